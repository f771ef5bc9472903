/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kvm_priv.h - state shared by the files of the KVM plugin (hv-kvm.so).
 *
 * The plugin is split by topic: kvm.c holds the system, VM and interrupt
 * ops plus the descriptor; kvm_mem.c the memory and dirty-log ops;
 * kvm_<arch>.c everything that touches a vCPU (creation, MSRs, run loop,
 * kick, registers) and the arch part of VM creation; kvm_cpuid_<arch>.c
 * the CPUID table and vCPU topology.  Nothing here is visible outside the
 * plugin
 * (it is built with -fvisibility=hidden) and the plugin never calls into
 * the VMM core: it logs through hv_host.log only.
 *
 * Ownership: struct hv owns the /dev/kvm fd; struct hv_vm owns the VM fd,
 * its memslot table and the per-slot dirty bitmaps; struct hv_vcpu owns
 * the vCPU fd and its kvm_run mapping.  Every handle is freed by its
 * destroy/close op.
 */
#ifndef NIMBUS_HV_KVM_PRIV_H
#define NIMBUS_HV_KVM_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <linux/kvm.h>

#include "hv/hv.h"

#define KVM_PAGE_SIZE 4096ull

/* The per-process handle: /dev/kvm plus what we learnt about it. */
struct hv {
	const struct hv_host *host;
	int kvm_fd;
	uint32_t run_size; /* KVM_GET_VCPU_MMAP_SIZE */
	uint32_t max_vcpus; /* KVM_CAP_MAX_VCPUS */
	uint32_t max_vcpu_id; /* KVM_CAP_MAX_VCPU_ID */
	uint32_t max_gsi; /* KVM_CAP_IRQ_ROUTING */
	uint32_t max_memslots; /* KVM_CAP_NR_MEMSLOTS */
	bool readonly_mem; /* KVM_CAP_READONLY_MEM */
	bool ioeventfd_any_len; /* KVM_CAP_IOEVENTFD_ANY_LENGTH */
	uint32_t nr_vms; /* live VMs, for close() sanity */
};

/* One KVM memslot; slot id == index in hv_vm.slots. */
struct kvm_slot {
	bool used;
	uint32_t hv_flags; /* HV_MEM_* as mapped */
	uint32_t kvm_flags; /* KVM_MEM_* currently registered */
	uint64_t gpa, size;
	void *hva;
	/* Dirty bits accumulated from KVM_GET_DIRTY_LOG (which resets the
	 * kernel's copy on every call), 1 bit per page; NULL when logging
	 * is off. */
	uint64_t *dirty;
};

struct hv_vm {
	struct hv *hv;
	int fd;
	uint32_t nr_vcpus; /* live vCPUs */
	uint32_t vcpus_created; /* ever created (irqchip ordering) */
	bool irqchip; /* split irqchip enabled */
	struct kvm_slot *slots;
	uint32_t nr_slots; /* allocated entries of slots[] */
	/* MSI routes and signals carry a device id (aarch64 with an ITS). */
	bool msi_devid;
	/* aarch64: vGIC/ITS state, owned by kvm_aarch64.c (NULL on x86). */
	struct kvm_a64_vm *a64;
};

/* A tiny rate limiter for messages a guest can provoke. */
struct kvm_rl {
	uint64_t window_ns;
	uint32_t printed;
};

#define KVM_RL_WINDOW_NS 5000000000ull
#define KVM_RL_BURST 10

/* What the previous exit left for vcpu_run to complete on re-entry. */
enum kvm_pending {
	KVM_PEND_NONE = 0,
	KVM_PEND_MMIO_READ, /* copy hv_exit.u.mmio.data to run->mmio.data */
	KVM_PEND_HCALL, /* copy hv_exit.u.hcall.ret[0] */
	KVM_PEND_MSR, /* copy hv_exit.u.msr.{value,error} */
};

struct hv_vcpu {
	struct hv_vm *vm;
	int fd;
	uint32_t id; /* hv id (0-based) */
	uint32_t kvm_id; /* KVM vcpu id == initial APIC id */
	struct kvm_run *run; /* mmap of run_size bytes */
	pthread_t thread; /* kick target */
	void *cookie;
	uint32_t pending; /* enum kvm_pending */
	struct kvm_rl rl;
};

/* Logging through the host; prefix every line with the plugin name. */
#define kvm_log(h, lvl, fmt, ...)                                    \
	do {                                                         \
		if ((h) && (h)->log)                                 \
			(h)->log((lvl), "kvm: " fmt, ##__VA_ARGS__); \
	} while (0)
#define kvm_err(hv, ...) kvm_log((hv)->host, HV_LOG_ERR, __VA_ARGS__)
#define kvm_warn(hv, ...) kvm_log((hv)->host, HV_LOG_WARN, __VA_ARGS__)
#define kvm_info(hv, ...) kvm_log((hv)->host, HV_LOG_INFO, __VA_ARGS__)
#define kvm_debug(hv, ...) kvm_log((hv)->host, HV_LOG_DEBUG, __VA_ARGS__)

/* True when a guest-provoked message may be printed now (vCPU thread). */
static inline bool kvm_rl_ok(struct kvm_rl *rl)
{
	struct timespec ts;
	uint64_t now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	if (now - rl->window_ns >= KVM_RL_WINDOW_NS) {
		rl->window_ns = now;
		rl->printed = 0;
	}
	return rl->printed++ < KVM_RL_BURST;
}

/* ioctl() retrying on EINTR, for everything but KVM_RUN.  Returns the
 * ioctl's non-negative result or -errno. */
int kvm_ioctl(int fd, unsigned long req, void *arg);

/* --- provided by kvm_mem.c --------------------------------------------- */

/*
 * The memory ops of struct hv_ops, with the contracts of hv/hv.h (called
 * by one thread at a time, like every VM op).  Each mapping is one KVM
 * memslot; dirty_log_enable switches whole mappings only (-EINVAL for a
 * range that cuts one, -ENOENT for holes).
 */
int kvm_map_memory(struct hv_vm *vm, uint64_t gpa, uint64_t size, void *hva,
		   uint32_t flags);
int kvm_unmap_memory(struct hv_vm *vm, uint64_t gpa, uint64_t size);
int kvm_dirty_log_enable(struct hv_vm *vm, uint64_t gpa, uint64_t size, int on);
int kvm_dirty_log_fetch(struct hv_vm *vm, uint64_t gpa, uint64_t size,
			uint64_t *bitmap, uint32_t flags);

/* --- provided by kvm_<arch>.c ------------------------------------------ */

/* Arch checks and setup right after KVM_CREATE_VM (x86: architecture and
 * IPA bits, TSS and identity map addresses).  Returns 0, -EINVAL for a
 * config this arch cannot honour, or -errno; the caller closes the fd. */
int kvm_arch_vm_init(struct hv_vm *vm, const struct hv_vm_config *cfg);
/* Guest physical address bits the hypervisor supports, 0 if unknown
 * (x86_64: in kvm_cpuid_x86_64.c, read from CPUID). */
uint32_t kvm_arch_ipa_bits(struct hv *hv);

/*
 * The vCPU ops of struct hv_ops, with the contracts of hv/hv.h.  Besides:
 * vcpu_create uses the initial APIC id as KVM's vCPU id; KVM keeps a vCPU
 * until its VM is destroyed, so an id cannot be created twice in one VM.
 * vcpu_kick must not race with vcpu_destroy (the thread it signals must
 * still exist).
 */
int kvm_vcpu_create(struct hv_vm *vm, uint32_t id,
		    const struct hv_vcpu_config *cfg, void *cookie,
		    struct hv_vcpu **out);
void kvm_vcpu_destroy(struct hv_vcpu *vcpu);
int kvm_vcpu_run(struct hv_vcpu *vcpu, struct hv_exit *exit);
void kvm_vcpu_kick(struct hv_vcpu *vcpu);
int kvm_vcpu_get_regs(struct hv_vcpu *vcpu, uint32_t set, void *buf,
		      size_t len);
int kvm_vcpu_set_regs(struct hv_vcpu *vcpu, uint32_t set, const void *buf,
		      size_t len);
int kvm_vcpu_get_reg(struct hv_vcpu *vcpu, uint32_t reg_id, uint64_t *val);
int kvm_vcpu_set_reg(struct hv_vcpu *vcpu, uint32_t reg_id, uint64_t val);

/* --- provided by kvm_vcpu.c (vCPU thread unless said) ------------------ */

/* KVM_CREATE_VCPU with vcpu->kvm_id (counted in vm->vcpus_created) and
 * map its kvm_run; vcpu->vm and ->id set by the caller.  0 or -errno
 * (logged; nothing left open).  The thread that creates the vCPU. */
int kvm_vcpu_open(struct hv_vcpu *vcpu);
/* Undo kvm_vcpu_open (vcpu_create's error path, vcpu_destroy). */
void kvm_vcpu_close(struct hv_vcpu *vcpu);
/* Decode the exits every architecture reports the same way (MMIO, system
 * events, entry failures, internal errors, INTR; anything else is
 * HV_EXIT_UNKNOWN).  0, or -EIO for a malformed exit (logged). */
int kvm_decode_common(struct hv_vcpu *vcpu, struct hv_exit *exit);

/* --- provided by kvm_<arch>.c for kvm_vcpu.c --------------------------- */

/* Hand the host's answer to the previous exit (vcpu->pending) back to
 * KVM before the next KVM_RUN; clears vcpu->pending. */
void kvm_arch_complete(struct hv_vcpu *vcpu, const struct hv_exit *exit);
/* Decode the exit KVM_RUN just reported into *exit (zeroed by the
 * caller), the arch's own exits first, then kvm_decode_common.  0 or
 * -EIO for a malformed exit. */
int kvm_arch_decode(struct hv_vcpu *vcpu, struct hv_exit *exit);

#if defined(__aarch64__)
/* --- provided by kvm_aarch64.c (aarch64 only) --------------------------- */

/* Free the vGIC/ITS state (vm_destroy, before the VM fd is closed). */
void kvm_a64_vm_fini(struct hv_vm *vm);
/* The irqchip ops of struct hv_ops for HV_IRQCHIP_GICV3: the vGICv3 (and
 * ITS when its_base is set) before the vCPUs, KVM_DEV_ARM_VGIC_CTRL_INIT
 * at finalize, SPI `gsi` (INTID 32 + gsi) through KVM_IRQ_LINE. */
int kvm_a64_irqchip_create(struct hv_vm *vm,
			   const struct hv_irqchip_config *cfg);
int kvm_a64_irqchip_finalize(struct hv_vm *vm);
int kvm_a64_irq_line(struct hv_vm *vm, uint32_t gsi, int level);
/* KVM refuses KVM_IRQFD until the vGIC is initialised: before finalize
 * this records (or forgets, assign = 0) the binding and returns 0 (or
 * -errno); finalize binds them.  Returns 1 when the vGIC is ready and the
 * caller should issue KVM_IRQFD itself. */
int kvm_a64_irqfd_early(struct hv_vm *vm, int efd, uint32_t gsi,
			int resample_efd, int assign);
#endif

/* --- provided by kvm_cpuid_x86_64.c (x86_64 only) ----------------------- */

/* Topology of one vCPU as CPUID reports it. */
struct kvm_topo {
	uint32_t apic_id;
	uint32_t threads; /* per core */
	uint32_t cores; /* per die (= package) */
	uint32_t smt_shift; /* x2APIC id bits for the thread */
	uint32_t pkg_shift; /* ... for thread + core */
};

/* Fill *t for hv vCPU `id` from cfg (NULL: one thread per core, APIC id =
 * id).  Pure; returns 0 or -EINVAL for a bad config size or a topology
 * too large to describe. */
int kvm_topo_init(struct kvm_topo *t, uint32_t id,
		  const struct hv_vcpu_config *cfg);
/* Build the vCPU's CPUID table from KVM_GET_SUPPORTED_CPUID and topology
 * t, and load it with KVM_SET_CPUID2.  Called once from kvm_vcpu_create()
 * before the vCPU first runs.  Returns 0 or -errno (logged). */
int kvm_setup_cpuid(struct hv_vcpu *vcpu, const struct kvm_topo *t);

#endif /* NIMBUS_HV_KVM_PRIV_H */
