/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sim.h - the MSHV simulator: the upstream /dev/mshv ABI implemented on top
 * of /dev/kvm, as a `struct mshv_sys` table for the MSHV plugin
 * (hv/mshv/mshv_sys.h).  build/plugins/hv-mshv-sim.so is every plugin
 * object except mshv_desc.o plus these files and their own descriptor
 * (sim_desc.c, plugin name "mshv-sim"), so the real plugin code runs on
 * this machine's KVM.
 *
 * Mapping: /dev/mshv fd = /dev/kvm fd, partition fd = KVM VM fd (split
 * irqchip with 24 reserved IOAPIC routes: the LAPIC is in the kernel, as
 * the hypervisor's is), VP fd = KVM vCPU fd.  The fds the plugin sees are
 * the real KVM fds; a table maps each to its object.  MSHV_RUN_VP is
 * KVM_RUN with each KVM exit turned into the hv_message the hypervisor
 * would send; hypercalls become KVM register/CPUID/interrupt ioctls.
 *
 * KVM and MSHV differ in how an intercepted access is completed: KVM
 * finishes a read on the next KVM_RUN and retires a write before exiting,
 * while MSHV leaves the VP at the instruction and the plugin emulates it
 * and writes RIP etc. through SET_VP_REGISTERS.  sim_exit.c bridges the
 * two (complete KVM's side at once with kvm_run.immediate_exit, locate a
 * retired write and undo its register effects), so the plugin sees
 * exactly what MSHV would show.
 *
 * Nothing is simulated silently: a request the simulator cannot honour
 * fails with -EOPNOTSUPP and an error line on the host log.
 *
 * Threads: the sys table may be called from any thread.  The fd table
 * has its own lock; partition state (regions, properties, VP table) the
 * partition's; VP state belongs to the VP's thread, except the kick flag.
 * Plugin-internal (hidden visibility); no global mutable state.
 */
#ifndef NIMBUS_TESTS_MSHV_SIM_H
#define NIMBUS_TESTS_MSHV_SIM_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hv/hv.h"
#include "hv/mshv/mshv_abi.h"
#include "hv/mshv/mshv_sys.h"

#define SIM_KVM_PATH "/dev/kvm"
#define SIM_IOAPIC_PINS 24u /* KVM_CAP_SPLIT_IRQCHIP routes reserved */
#define SIM_KICK_SLOTS 1024u /* live VPs per simulator instance */
/* At most this many extra KVM_RUNs to flush one intercepted instruction
 * (KVM's emulator re-enters the guest every 1024 REP iterations). */
#define SIM_FLUSH_MAX 4096u

/* Same addresses as the KVM plugin: below the BIOS area, away from RAM. */
#define SIM_IDENTITY_MAP_ADDR 0xfffbc000ull
#define SIM_TSS_ADDR 0xfffbd000ull

enum sim_fd_kind {
	SIM_FD_SYS = 1, /* /dev/mshv (a /dev/kvm fd) */
	SIM_FD_PART, /* partition (a KVM VM fd) */
	SIM_FD_VP, /* VP (a KVM vCPU fd) */
};

struct sim_fd {
	int fd;
	int kind; /* enum sim_fd_kind */
	void *obj; /* struct sim_dev / sim_part / sim_vp */
	bool closed; /* partition fd closed, VPs still alive */
};

/* A rate limiter for guest-provoked log lines. */
struct sim_rl {
	uint64_t window_ns;
	uint32_t printed;
};

/* What went through the simulator (atomic counters, per partition). */
struct sim_stats {
	uint64_t runs; /* MSHV_RUN_VP calls */
	uint64_t mmio; /* HVMSG_UNMAPPED_GPA delivered */
	uint64_t gpa_intercept; /* HVMSG_GPA_INTERCEPT delivered */
	uint64_t pio; /* HVMSG_X64_IO_PORT_INTERCEPT delivered */
	uint64_t pio_string; /* ... of which INS/OUTS */
	uint64_t eoi; /* HVMSG_X64_APIC_EOI */
	uint64_t other_msgs; /* halt, triple fault, bad register state */
	uint64_t msr_internal; /* unimplemented MSRs answered inside */
	uint64_t flush_runs; /* extra KVM_RUNs completing KVM's side */
	uint64_t writes_undone; /* retired writes put back before the insn */
	uint64_t hvcalls; /* MSHV_ROOT_HVCALL */
	uint64_t intr; /* MSHV_RUN_VP returning EINTR */
};

/* The simulator instance behind one struct mshv_sys. */
struct mshv_sim {
	struct mshv_sys sys; /* sys.ctx == this */
	const struct hv_host *host;
	pthread_mutex_t lock; /* fds, kick */
	struct sim_fd *fds;
	uint32_t nr_fds, cap_fds;
	struct sim_vp *kick[SIM_KICK_SLOTS]; /* atomic pointers */
	uint64_t next_part_id;
	bool auto_free; /* freed when its last fd is closed */
};

/* One open /dev/mshv. */
struct sim_dev {
	int fd; /* /dev/kvm */
	int run_size; /* KVM_GET_VCPU_MMAP_SIZE */
};

/* One guest memory region (MSHV_SET_GUEST_MEMORY). */
struct sim_region {
	uint64_t gpa, size;
	void *hva;
	uint8_t flags; /* MSHV_SET_MEM_FLAG_* */
	uint32_t slot; /* KVM memslot */
	uint64_t *dirty; /* accumulated DIRTY bits while tracking */
};

/* A CPUID result registered with REGISTER_INTERCEPT_RESULT. */
struct sim_cpuid_ovr {
	uint32_t leaf, subleaf;
	bool per_subleaf;
	uint32_t val[4], mask[4]; /* eax, ebx, ecx, edx */
};

struct sim_part {
	struct mshv_sim *sim;
	int fd; /* KVM VM fd */
	int run_size;
	uint64_t id;
	uint64_t pt_flags;
	bool initialized;
	bool fd_closed; /* the plugin closed the partition fd */
	bool user_msr; /* KVM_CAP_X86_USER_SPACE_MSR enabled */
	bool sync_regs; /* KVM_CAP_SYNC_REGS: GPRs/sregs in kvm_run */
	bool tsc_deadline; /* KVM emulates the TSC-deadline timer */
	pthread_mutex_t lock; /* everything below but regions */
	uint64_t synth_features;
	uint64_t msr_action; /* HV_UNIMPLEMENTED_MSR_ACTION_* */
	uint64_t procs_per_socket;
	bool tracking; /* GPA_PAGE_ACCESS_TRACKING */
	bool warned_translate;
	struct sim_vp *vps[MSHV_MAX_VPS];
	uint32_t nr_vps;
	struct kvm_cpuid2 *supported; /* KVM_GET_SUPPORTED_CPUID */
	pthread_rwlock_t mem_lock; /* regions */
	struct sim_region *regions;
	uint32_t nr_regions, cap_regions;
	struct sim_stats stats;
};

/* Decoded port I/O instruction (sim_msg.c). */
struct sim_io_insn {
	uint32_t len; /* bytes, prefixes included */
	bool string; /* INS/OUTS */
	bool rep; /* F2/F3 prefix on a string instruction */
	bool asz; /* 0x67 address-size prefix */
};

struct sim_vp {
	struct sim_part *part;
	int fd; /* KVM vCPU fd */
	uint32_t index; /* VP index = KVM vCPU id = APIC id */
	uint32_t kick_slot;
	struct kvm_run *run;
	int kick_pending; /* atomic */
	bool ran; /* KVM_RUN happened: CPUID is frozen */
	/* Register cache.  The GPRs are written back lazily, before the
	 * next KVM_RUN (regs_dirty); sregs are written through. */
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	bool regs_valid, sregs_valid, regs_dirty;
	struct sim_cpuid_ovr *ovr;
	uint32_t nr_ovr, cap_ovr;
	struct sim_rl rl;
};

/* --- logging -------------------------------------------------------------- */

/* An expression (usable inside sim_unsupported's comma expression). */
#define sim_log(sim, lvl, fmt, ...)                                         \
	((sim)->host && (sim)->host->log ?                                  \
		 (sim)->host->log((lvl), "mshv-sim: " fmt, ##__VA_ARGS__) : \
		 (void)0)
#define sim_err(sim, ...) sim_log(sim, HV_LOG_ERR, __VA_ARGS__)
#define sim_warn(sim, ...) sim_log(sim, HV_LOG_WARN, __VA_ARGS__)
#define sim_info(sim, ...) sim_log(sim, HV_LOG_INFO, __VA_ARGS__)
#define sim_debug(sim, ...) sim_log(sim, HV_LOG_DEBUG, __VA_ARGS__)

/* Loud refusal of something the simulator does not implement: logs and
 * evaluates to -EOPNOTSUPP. */
#define sim_unsupported(sim, fmt, ...) \
	(sim_err(sim, "not simulated: " fmt, ##__VA_ARGS__), -EOPNOTSUPP)

/* True when a guest-provoked line may be printed now. */
bool sim_rl_ok(struct sim_rl *rl);

#define sim_stat_add(part, field) \
	__atomic_add_fetch(&(part)->stats.field, 1, __ATOMIC_RELAXED)

/* ioctl(2) returning the result or -errno, retried on EINTR. */
int sim_kvm_ioctl(int fd, unsigned long req, void *arg);

/* --- sim_desc.c: the fd table --------------------------------------------- */

/* Record fd -> obj (kind).  0 or -ENOMEM.  Any thread. */
int sim_fd_add(struct mshv_sim *sim, int fd, int kind, void *obj);
/* Make vp findable by sys->kick (0 or -ENOSPC), and forget it again
 * before it is freed. */
int sim_kick_register(struct mshv_sim *sim, struct sim_vp *vp);
void sim_kick_unregister(struct mshv_sim *sim, struct sim_vp *vp);

/* --- sim_part.c: partitions and VPs ---------------------------------------- */

/* MSHV_CREATE_PARTITION on /dev/mshv `dev`: the partition fd or -errno. */
int sim_part_create(struct mshv_sim *sim, struct sim_dev *dev,
		    const struct mshv_create_partition *args);
/* An ioctl on a partition fd; result or -errno. */
int sim_part_ioctl(struct sim_part *part, unsigned long req, void *arg);
/* Free a partition whose fd is closed and whose VPs are gone (logs the
 * exit counters).  Called with no lock held. */
void sim_part_destroy(struct sim_part *part);
/* An ioctl on a VP fd; result or -errno. */
int sim_vp_ioctl(struct sim_vp *vp, unsigned long req, void *arg);
/* Close a VP: unmap kvm_run, close its fd, drop it from the partition.
 * Returns true when its partition is now ready for sim_part_destroy(). */
bool sim_vp_close(struct sim_vp *vp);
/* VP by index (NULL if none); takes part->lock. */
struct sim_vp *sim_vp_find(struct sim_part *part, uint32_t index);
/* Rebuild the VP's CPUID from the supported table and its overrides and
 * hand it to KVM.  0 or -errno. */
int sim_vp_set_cpuid(struct sim_vp *vp);

/* --- sim_mem.c: guest memory ------------------------------------------------ */

int sim_mem_set(struct sim_part *part, const struct mshv_user_mem_region *m);
int sim_mem_gpap(struct sim_part *part, struct mshv_gpap_access_bitmap *b);
/* Turn GPA_PAGE_ACCESS_TRACKING on or off (part->lock held). */
int sim_mem_tracking(struct sim_part *part, bool on);
/* Copy guest RAM [gpa, gpa+len) out of / into the regions; -EFAULT when
 * any byte is not RAM.  Any thread. */
int sim_mem_rw(struct sim_part *part, uint64_t gpa, void *buf, uint32_t len,
	       bool write);
/* Is gpa in a region?  *flags gets its MSHV_SET_MEM_FLAG_*. */
bool sim_mem_lookup(struct sim_part *part, uint64_t gpa, uint8_t *flags);
/* Drop every region (partition teardown). */
void sim_mem_free(struct sim_part *part);
/* Read up to `len` bytes at linear address `lin` of the VP, page by page
 * through KVM_TRANSLATE; returns the bytes read (stops at the first page
 * that is not present or not RAM). */
uint32_t sim_mem_read_lin(struct sim_vp *vp, uint64_t lin, void *buf,
			  uint32_t len);

/* --- sim_irq.c -------------------------------------------------------------- */

int sim_irq_irqfd(struct sim_part *part, const struct mshv_user_irqfd *a);
int sim_irq_ioeventfd(struct sim_part *part,
		      const struct mshv_user_ioeventfd *a);
int sim_irq_routing(struct sim_part *part, const struct mshv_user_irq_table *t);
/* ASSERT_VIRTUAL_INTERRUPT as a KVM_SIGNAL_MSI: HV_STATUS_*, or a
 * negative errno for something not simulated. */
int sim_irq_assert(struct sim_part *part,
		   const struct hv_input_assert_virtual_interrupt *in);

/* --- sim_hvcall.c ------------------------------------------------------------ */

/* MSHV_ROOT_HVCALL on a partition fd (vp NULL) or a VP fd. */
int sim_hvcall(struct sim_part *part, struct sim_vp *vp,
	       struct mshv_root_hvcall *args);

/* --- sim_regs.c -------------------------------------------------------------- */

/* Fill the register cache.  0 or -errno. */
int sim_vp_load_regs(struct sim_vp *vp);
int sim_vp_load_sregs(struct sim_vp *vp);
/* The cached GPRs changed: KVM gets them before the next KVM_RUN. */
void sim_vp_regs_changed(struct sim_vp *vp);
/* Before KVM_RUN: hand dirty GPRs to KVM (kvm_run sync area, else
 * KVM_SET_REGS).  After it: refresh the cache from the sync area.  0 or
 * -errno. */
int sim_vp_push_regs(struct sim_vp *vp);
void sim_vp_pull_regs(struct sim_vp *vp);
/* GET_VP_REGISTERS of names[0..n) into vals; HV_STATUS_* or -errno. */
int sim_regs_get(struct sim_vp *vp, const uint32_t *names,
		 union hv_register_value *vals, uint32_t n, uint32_t *done);
/* SET_VP_REGISTERS of regs[0..n); HV_STATUS_* or -errno. */
int sim_regs_set(struct sim_vp *vp, const struct hv_register_assoc *regs,
		 uint32_t n, uint32_t *done);
/* MSHV_GET_VP_STATE / MSHV_SET_VP_STATE. */
int sim_vp_state(struct sim_vp *vp, struct mshv_get_set_vp_state *st, bool set);

/* --- sim_run.c, sim_exit.c --------------------------------------------------- */

/* KVM_EXIT_IO / KVM_EXIT_MMIO into *msg: 1, or -errno. */
int sim_exit_io(struct sim_vp *vp, struct hv_message *msg);
int sim_exit_mmio(struct sim_vp *vp, struct hv_message *msg);

/* MSHV_RUN_VP: 0 with *msg filled, -EINTR (kick/signal) or -errno. */
int sim_vp_run(struct sim_vp *vp, struct hv_message *msg);

/* --- sim_msg.c: pure helpers (no system calls; unit-tested) ---------------- */

/* Decode the port I/O instruction at bytes[0..n): 0, or -EINVAL if it is
 * not IN/OUT/INS/OUTS. */
int sim_decode_io(const uint8_t *bytes, uint32_t n, bool long64,
		  struct sim_io_insn *out);
/* KVM segment <-> hypervisor segment register (P = 0 is "unusable"). */
void sim_seg_to_hv(struct hv_x64_segment_register *d,
		   const struct kvm_segment *s);
void sim_seg_from_hv(struct kvm_segment *d,
		     const struct hv_x64_segment_register *s);
/* The intercept header's execution_state from KVM state. */
uint16_t sim_exec_state(const struct kvm_sregs *s);
/* Fill an x86 intercept header. */
void sim_intercept_hdr(struct hv_x64_intercept_message_header *h,
		       uint32_t vp_index, const struct kvm_regs *r,
		       const struct kvm_sregs *s, uint8_t access,
		       uint32_t insn_len);
/* errno the kernel returns for a failed hypercall status. */
int sim_status_errno(uint32_t status);
/* Check a MSHV_ROOT_HVCALL argument like the kernel: 0 or -EINVAL.
 * *rep tells whether the code is a rep hypercall. */
int sim_hvcall_check(const struct mshv_root_hvcall *a, bool on_vp, bool *rep);
/* KVM_SIGNAL_MSI address/data for an ASSERT_VIRTUAL_INTERRUPT input;
 * -EINVAL for a malformed one, -EOPNOTSUPP for a type MSI cannot carry. */
int sim_assert_to_msi(const struct hv_input_assert_virtual_interrupt *in,
		      uint32_t *addr, uint32_t *data);

/* --- sim_insn.c: the retired write instruction (pure) -------------------- */

enum sim_seg {
	SIM_SEG_ES,
	SIM_SEG_CS,
	SIM_SEG_SS,
	SIM_SEG_DS,
	SIM_SEG_FS,
	SIM_SEG_GS,
	SIM_SEG_NR
};

enum sim_wkind {
	SIM_W_MOV_RM = 1, /* 88, 89: MOV r/m, reg */
	SIM_W_MOV_IMM, /* C6, C7: MOV r/m, imm */
	SIM_W_MOV_MOFFS, /* A2, A3: MOV moffs, accumulator */
	SIM_W_STOS,
	SIM_W_MOVS,
	SIM_W_OUT_IMM, /* E6, E7 */
	SIM_W_OUT_DX, /* EE, EF */
	SIM_W_OUTS, /* 6E, 6F */
};

/* A decoded instruction that writes memory or a port first. */
struct sim_winsn {
	uint32_t len; /* bytes, prefixes included */
	uint32_t kind; /* enum sim_wkind */
	uint32_t size; /* operand bytes */
	uint32_t asize; /* address bytes: 2, 4 or 8 */
	uint8_t op, rex;
	bool rep;
	int seg; /* override (enum sim_seg) or -1 */
	uint8_t reg; /* ModRM reg: the source register (REX.R included) */
	bool has_base, has_index, riprel;
	uint8_t base, index, scale;
	int64_t disp; /* displacement, or the moffs address */
	uint64_t imm; /* immediate; the port of OUT imm8 */
};

/* Code size from KVM state: 2, 4 or 8 bytes (16/32/64-bit code). */
uint32_t sim_cpu_mode(const struct kvm_sregs *s);
/* Decode one instruction from b[0..n): 0, or -EINVAL (not one of ours,
 * or truncated). */
int sim_decode_write(const uint8_t *b, uint32_t n, uint32_t mode,
		     struct sim_winsn *w);
bool sim_write_is_string(const struct sim_winsn *w);
/* A REP string form whose RCX (after KVM's iteration) is not zero yet:
 * KVM left RIP at the instruction. */
bool sim_write_unfinished(const struct sim_winsn *w,
			  const struct kvm_regs *post);
/* Registers before the instruction (at start_rip), from KVM's after it. */
void sim_write_pre(const struct sim_winsn *w, const struct kvm_regs *post,
		   struct kvm_regs *pre, uint64_t start_rip);
/* Linear address the memory forms write (pre-state registers). */
uint64_t sim_write_lin(const struct sim_winsn *w, const struct kvm_regs *pre,
		       const struct kvm_sregs *s, uint32_t mode,
		       uint64_t next_rip);
/* The value written, when it comes from a register or an immediate. */
bool sim_write_value(const struct sim_winsn *w, const struct kvm_regs *pre,
		     uint64_t *val);
/* The port of the OUT forms. */
uint16_t sim_write_port(const struct sim_winsn *w, const struct kvm_regs *pre);

/* --- sim_write.c ------------------------------------------------------------ */

/* What a write exit reported. */
struct sim_wexit {
	bool pio; /* OUT/OUTS, else an MMIO write */
	uint16_t port;
	uint64_t gpa;
	uint32_t len; /* bytes of this exit (I/O size, MMIO fragment) */
	uint64_t data; /* low `len` bytes */
};

/* Guest code around RIP, read once per exit: b[15 - back, 15) are the
 * bytes before RIP, b[15, 15 + fwd) those at RIP. */
#define SIM_CODE_BACK 15u
#define SIM_CODE_FWD 16u
struct sim_code {
	uint8_t b[SIM_CODE_BACK + SIM_CODE_FWD];
	uint32_t back, fwd;
};

/* Read the code window around linear address `lin` (any thread). */
void sim_code_read(struct sim_vp *vp, uint64_t lin, struct sim_code *c);

/* Locate the write KVM retired before exit x (registers `post`, code
 * window c at post->rip): 0 with the registers before it in *pre and its
 * length in *ilen, or -ENOENT. */
int sim_write_locate(struct sim_vp *vp, const struct kvm_regs *post,
		     const struct kvm_sregs *s, const struct sim_code *c,
		     const struct sim_wexit *x, struct kvm_regs *pre,
		     uint32_t *ilen);

/* --- sim_cpuid.c (pure) -------------------------------------------------- */

/* Build a VP's CPUID: the supported table with the VP's APIC id, the
 * hypervisor bit, TSC-deadline (when `tsc_deadline`), x2APIC only when
 * `x2apic`, then the overrides in order.  *out is malloc'ed.  0 or
 * -ENOMEM. */
int sim_cpuid_build(const struct kvm_cpuid2 *base, uint32_t vp_index,
		    bool x2apic, bool tsc_deadline,
		    const struct sim_cpuid_ovr *ovr, uint32_t nr_ovr,
		    struct kvm_cpuid2 **out);
/* Result of CPUID(leaf, subleaf) in table c (zeros when absent). */
void sim_cpuid_lookup(const struct kvm_cpuid2 *c, uint32_t leaf,
		      uint32_t subleaf, uint32_t out[4]);
/* Add or replace an override (same leaf, subleaf, per_subleaf).  0 or
 * -ENOMEM. */
int sim_cpuid_ovr_add(struct sim_cpuid_ovr **ovr, uint32_t *nr, uint32_t *cap,
		      const struct sim_cpuid_ovr *o);

#endif /* NIMBUS_TESTS_MSHV_SIM_H */
