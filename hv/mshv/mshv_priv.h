/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mshv_priv.h - state shared by the files of the MSHV plugin (hv-mshv.so).
 *
 * Split by topic: mshv.c holds probe/open, the passthrough-hypercall and
 * partition-property helpers and the VM ops; mshv_mem.c memory and the
 * dirty log; mshv_irq.c irqfd, ioeventfd and MSI routing; mshv_vp.c vCPU
 * creation, kicks and register hypercalls; mshv_run.c the run loop and
 * the arch-neutral messages; mshv_<arch>.c (and mshv_*_<arch>.c) the arch
 * parts; mshv_desc.c the descriptor and the libc system-call table.
 *
 * Every system call goes through hv->sys (mshv_sys.h).  The plugin never
 * calls the VMM core: it logs through hv_host.log and reaches devices and
 * guest RAM only through hv_host.mmio/pio/gpa_to_hva.  Nothing here is
 * visible outside the plugin (built with -fvisibility=hidden).
 *
 * Ownership: struct hv owns the /dev/mshv fd; struct hv_vm the partition
 * fd and its region table; struct hv_vcpu the VP fd and its message
 * buffer.  Each is freed by its close/destroy op.  Threads: VM ops are
 * serialised by the host; vcpu_create runs on each vCPU's thread (so the
 * vCPU counters are atomic); every other vcpu_* op on that thread, except
 * vcpu_kick.
 */
#ifndef NIMBUS_HV_MSHV_PRIV_H
#define NIMBUS_HV_MSHV_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "hv/hv.h"
#include "hv/mshv/mshv_abi.h"
#include "hv/mshv/mshv_sys.h"

/* The per-process handle. */
struct hv {
	const struct hv_host *host;
	const struct mshv_sys *sys;
	int fd; /* /dev/mshv */
	uint32_t nr_vms;
};

/* One guest memory mapping (one MSHV_SET_GUEST_MEMORY region). */
struct mshv_region {
	uint64_t gpa, size;
	void *hva;
	uint32_t hv_flags; /* HV_MEM_* as asked */
	uint8_t mshv_flags; /* MSHV_SET_MEM_FLAG_* */
	bool mapped; /* given to the kernel (only after initialize) */
	bool dirty_log;
};

struct hv_vm {
	struct hv *hv;
	int fd; /* partition fd */
	uint32_t nr_vcpus_cfg; /* hv_vm_config.nr_vcpus */
	uint32_t nr_vcpus; /* live vCPUs (atomic) */
	uint32_t vcpus_created; /* ever created (atomic) */
	bool initialized; /* MSHV_INITIALIZE_PARTITION done */
	bool irqchip;
	struct hv_irqchip_config irqchip_cfg;
	bool tracking; /* GPA_PAGE_ACCESS_TRACKING is on */
	struct mshv_region *regions;
	uint32_t nr_regions, cap_regions;
};

/* A tiny rate limiter for messages a guest can provoke. */
struct mshv_rl {
	uint64_t window_ns;
	uint32_t printed;
};

#define MSHV_RL_WINDOW_NS 5000000000ull
#define MSHV_RL_BURST 10

/* What the previous exit left for vcpu_run to complete on re-entry. */
enum mshv_pending {
	MSHV_PEND_NONE = 0,
	MSHV_PEND_PIO_IN, /* IN: RAX from pio_buf, RIP += len */
	MSHV_PEND_PIO_OUT, /* OUT: RIP += len */
	MSHV_PEND_PIO_STR, /* INS/OUTS chunk: memory (INS), RSI/RDI/RCX/RIP */
	MSHV_PEND_MSR, /* RDMSR/WRMSR: RAX/RDX or #GP, RIP += len */
};

/* x86 port I/O in flight (filled by the decoder, used on completion). */
struct mshv_pio {
	uint64_t rip_next; /* RIP after the instruction */
	uint64_t rax; /* guest RAX at the exit */
	uint64_t rcx, index; /* RCX and RSI (OUTS) / RDI (INS) at the exit */
	uint64_t addr_mask; /* address-size mask: 0xffff, 2^32-1, ~0 */
	uint64_t gpa[2]; /* INS: guest pages of the chunk (page base) */
	uint64_t lin; /* INS: linear address of the lowest byte */
	uint32_t size, count; /* element size, elements in this chunk */
	bool rep, down; /* REP prefix, EFLAGS.DF */
	bool write; /* OUT/OUTS */
};

#define MSHV_PIO_BUF 4096u /* hv_exit.pio.data capacity (bytes) */

struct hv_vcpu {
	struct hv_vm *vm;
	int fd; /* VP fd */
	uint32_t id; /* hv id (0-based) */
	uint32_t vp_index; /* MSHV VP index */
	void *cookie; /* for the hv_host callbacks */
	pthread_t thread; /* kick target */
	int kicked; /* atomic: a kick not yet reported */
	uint32_t pending; /* enum mshv_pending */
	struct mshv_pio pio;
	struct mshv_rl rl;
	struct hv_message msg; /* the last MSHV_RUN_VP result */
	uint8_t pio_buf[MSHV_PIO_BUF];
};

/* HV_EXIT_INTERNAL suberrors (hv_exit.u.fail.suberror); hw_reason then
 * holds the message type. */
#define MSHV_INTERNAL_BAD_MESSAGE 1u /* malformed hv_message */
#define MSHV_INTERNAL_EMULATION 2u /* instruction could not be emulated */
#define MSHV_INTERNAL_INJECT 3u /* exception could not be injected */
#define MSHV_INTERNAL_UNSUPPORTED 4u /* HVMSG_UNSUPPORTED_FEATURE */

/* Logging through the host; every line names the plugin. */
#define mshv_log(h, lvl, fmt, ...)                                    \
	do {                                                          \
		if ((h) && (h)->log)                                  \
			(h)->log((lvl), "mshv: " fmt, ##__VA_ARGS__); \
	} while (0)
#define mshv_err(hv, ...) mshv_log((hv)->host, HV_LOG_ERR, __VA_ARGS__)
#define mshv_warn(hv, ...) mshv_log((hv)->host, HV_LOG_WARN, __VA_ARGS__)
#define mshv_info(hv, ...) mshv_log((hv)->host, HV_LOG_INFO, __VA_ARGS__)
#define mshv_debug(hv, ...) mshv_log((hv)->host, HV_LOG_DEBUG, __VA_ARGS__)

/* True when a guest-provoked message may be printed now (vCPU thread). */
static inline bool mshv_rl_ok(struct mshv_rl *rl)
{
	struct timespec ts;
	uint64_t now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	if (now - rl->window_ns >= MSHV_RL_WINDOW_NS) {
		rl->window_ns = now;
		rl->printed = 0;
	}
	return rl->printed++ < MSHV_RL_BURST;
}

/* Rate-limited warning about something the guest did (vCPU thread). */
#define mshv_guest_warn(vcpu, fmt, ...)                                        \
	do {                                                                   \
		if (mshv_rl_ok(&(vcpu)->rl))                                   \
			mshv_warn((vcpu)->vm->hv, "vCPU %u: " fmt, (vcpu)->id, \
				  ##__VA_ARGS__);                              \
	} while (0)

/* --- mshv.c --------------------------------------------------------------- */

/* sys->ioctl retried on EINTR (everything but MSHV_RUN_VP).  Returns the
 * ioctl's non-negative result or -errno. */
int mshv_ioctl(struct hv *hv, int fd, unsigned long req, void *arg);

/*
 * One MSHV_ROOT_HVCALL on `fd` (partition or VP fd): `in` (in_sz bytes,
 * 8..4096, its first 8 bytes are the partition id the kernel fills) and
 * `out` (out_sz bytes or NULL/0).  `reps` is the rep count of a rep
 * hypercall (0 otherwise); a rep call must complete all of them.  Retries
 * on EINTR and on EAGAIN (the kernel deposited memory).  Returns 0, or
 * -errno; *status (may be NULL) gets the HV_STATUS.  Any thread.
 */
int mshv_hvcall(struct hv *hv, int fd, uint16_t code, uint16_t reps, void *in,
		uint32_t in_sz, void *out, uint32_t out_sz, uint16_t *status);

/* Partition properties through the hypercalls (partition fd).  0 or
 * -errno (logged). */
int mshv_set_property(struct hv_vm *vm, uint32_t code, uint64_t val);
int mshv_get_property(struct hv_vm *vm, uint32_t code, uint64_t *val);

/* MSHV_INITIALIZE_PARTITION, the arch's late properties, and the memory
 * regions recorded before it.  Idempotent.  0 or -errno. */
int mshv_vm_initialize(struct hv_vm *vm);

/* --- mshv_mem.c ----------------------------------------------------------- */

/* Issue MSHV_SET_GUEST_MEMORY for every region recorded before the
 * partition was initialised.  0 or -errno. */
int mshv_mem_replay(struct hv_vm *vm);
/* Free the region table (vm_destroy). */
void mshv_mem_free(struct hv_vm *vm);

/* --- mshv_vp.c ------------------------------------------------------------ */

/* GET_VP_REGISTERS of names[0..n) into vals (n <= MSHV_MAX_REGS_PER_CALL)
 * and SET_VP_REGISTERS of regs[0..n), on the VP fd.  0 or -errno. */
int mshv_get_vp_regs(struct hv_vcpu *vcpu, const uint32_t *names,
		     union hv_register_value *vals, uint32_t n);
int mshv_set_vp_regs(struct hv_vcpu *vcpu, const struct hv_register_assoc *regs,
		     uint32_t n);
/* One 64-bit register. */
int mshv_get_vp_reg64(struct hv_vcpu *vcpu, uint32_t name, uint64_t *val);
int mshv_set_vp_reg64(struct hv_vcpu *vcpu, uint32_t name, uint64_t val);
/* Fill one SET_VP_REGISTERS element with a 64-bit value. */
void mshv_assoc64(struct hv_register_assoc *a, uint32_t name, uint64_t val);
/* MSHV_GET/SET_VP_STATE of a 4096-byte page-aligned buffer. */
int mshv_vp_state(struct hv_vcpu *vcpu, uint8_t type, void *page, bool set);

/* --- mshv_run.c ----------------------------------------------------------- */

/* Set *exit to HV_EXIT_INTERNAL for message type `type` (and log it,
 * rate-limited).  Returns 0 so decoders can `return` it. */
int mshv_exit_internal(struct hv_vcpu *vcpu, struct hv_exit *exit,
		       uint32_t suberror, const char *why);
/* Is the current message's payload at least `min` bytes?  Else logs and
 * fills HV_EXIT_INTERNAL (BAD_MESSAGE) and returns false. */
bool mshv_msg_has(struct hv_vcpu *vcpu, struct hv_exit *exit, uint32_t min);

/* --- mshv_<arch>.c -------------------------------------------------------- */

/* Creation flags (1 << MSHV_PT_BIT_*) for this arch. */
uint64_t mshv_arch_pt_flags(void);
/* Before initialize: check cfg (-EINVAL if this arch cannot honour it)
 * and set the early properties.  Sets *init_now when the partition can be
 * initialised right away (aarch64 waits for the GIC addresses). */
int mshv_arch_vm_early(struct hv_vm *vm, const struct hv_vm_config *cfg,
		       bool *init_now);
/* After initialize: the late properties. */
int mshv_arch_vm_late(struct hv_vm *vm);
/* Capability bits and IPA bits this arch adds. */
uint64_t mshv_arch_caps(void);
uint32_t mshv_arch_ipa_bits(void);
/* The arch part of irqchip_create (cfg already size-checked). */
int mshv_arch_irqchip_create(struct hv_vm *vm,
			     const struct hv_irqchip_config *cfg);
/* Convert one route; -EINVAL if the hypervisor cannot express it. */
int mshv_arch_route(struct hv_vm *vm, const struct hv_route *r,
		    struct mshv_user_irq_entry *e);
/* hv_ops.irq_line for this arch (-EOPNOTSUPP on x86). */
int mshv_arch_irq_line(struct hv_vm *vm, uint32_t gsi, int level);
/* hv_ops.signal_msi for this arch. */
int mshv_arch_signal_msi(struct hv_vm *vm, uint64_t addr, uint32_t data,
			 uint32_t devid);
/* VP index for hv vCPU `id` (cfg may be NULL); -EINVAL if out of range. */
int mshv_arch_vp_index(uint32_t id, const struct hv_vcpu_config *cfg,
		       uint32_t *vp_index);
/* After MSHV_CREATE_VP: registers, LAPIC/GIC redistributor, CPUID. */
int mshv_arch_vcpu_init(struct hv_vcpu *vcpu, const struct hv_vcpu_config *cfg);
/* Finish the access the previous exit described (vcpu->pending). */
int mshv_arch_complete(struct hv_vcpu *vcpu, const struct hv_exit *exit);
/* Decode an arch message into *exit; -ENOENT for a type it does not know;
 * a negative errno stops the VM. */
int mshv_arch_decode(struct hv_vcpu *vcpu, struct hv_exit *exit);
/* Guest PC from the message's intercept header (0 if none). */
uint64_t mshv_arch_msg_pc(const struct hv_message *m);

#endif /* NIMBUS_HV_MSHV_PRIV_H */
