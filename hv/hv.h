/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hv.h - the Nimbus hypervisor plugin ABI.
 *
 * The VMM core, the device model and the arch layers reach a hypervisor only
 * through the function table defined here.  A plugin (hv-<name>.so) exports
 * one `struct plugin_desc` (plugins/plugin.h) whose `ops` points at a
 * `struct hv_ops`.  This header is self-contained: C99 plus <stdint.h> and
 * <stddef.h> only, so a plugin can be built outside this tree.
 *
 * ABI evolution (the bump rule):
 *  - New ops are only ever appended to the end of struct hv_ops, and new
 *    fields only appended to the end of the config structs that carry a
 *    `size` member.  Such a change bumps HV_ABI_MINOR.  The host reads an op
 *    only when the plugin's ops->size covers it, so an older plugin simply
 *    lacks the op (the wrapper returns -EOPNOTSUPP).
 *  - Any reordering, removal, type change or change of meaning of an existing
 *    op, struct field, enum value or flag bumps HV_ABI_MAJOR and resets the
 *    minor to 0.  The loader refuses a plugin whose major differs.
 *
 * Conventions for every op: return 0 on success or a negative errno; results
 * come back through out-parameters.  Handles (struct hv, hv_vm, hv_vcpu) are
 * opaque and owned by the plugin; the host never frees them itself.
 * Mandatory ops are marked [M]; optional ops may be NULL and the matching
 * HV_CAP_* bit is then clear.
 *
 * Threading: system and VM ops may be called from any one thread at a time
 * (the host serialises them).  Every vcpu_* op for a given vCPU, including
 * vcpu_create, is called on that vCPU's own thread, except vcpu_kick, which
 * may be called from any thread and from a signal handler.
 */
#ifndef NIMBUS_HV_H
#define NIMBUS_HV_H

#include <stddef.h>
#include <stdint.h>

#define HV_ABI_MAJOR 1
#define HV_ABI_MINOR 0

struct hv;
struct hv_vm;
struct hv_vcpu;

/* Log levels for hv_host.log (same values as vmm/log.h). */
enum hv_log_level {
	HV_LOG_ERR = 0,
	HV_LOG_WARN = 1,
	HV_LOG_INFO = 2,
	HV_LOG_DEBUG = 3,
};

/*
 * Services the host lends to a plugin.  Passed to probe() and open(); the
 * pointer stays valid until close() returns.
 */
struct hv_host {
	uint16_t abi_major, abi_minor; /* the host's HV_ABI_* */
	uint32_t size; /* sizeof(struct hv_host) of the host */
	/* Signal number the host reserved for vcpu_kick (handler installed,
	 * no SA_RESTART).  Plugins send it with pthread_kill(). */
	int kick_signo;
	/* Log one line (no trailing newline needed).  Any thread. */
	void (*log)(int level, const char *fmt, ...)
		__attribute__((format(printf, 2, 3)));
	/*
	 * Completion path for backends that emulate instructions themselves
	 * (MSHV: one MOVS may touch MMIO twice).  `cookie` is the value given
	 * to vcpu_create.  Called on the vCPU thread during vcpu_run.  Reads
	 * fill `data`; unclaimed reads yield all-ones.  Return 0, or a
	 * negative errno if the VM must stop.  These reach the same buses as
	 * HV_EXIT_MMIO/HV_EXIT_PIO, so devices cannot tell the difference.
	 */
	int (*mmio)(void *cookie, uint64_t gpa, void *data, uint32_t len,
		    int write);
	int (*pio)(void *cookie, uint16_t port, void *data, uint32_t len,
		   int write);
	/* Host address of guest RAM [gpa, gpa+len), or NULL if any part of it
	 * is not RAM.  Valid while the mapping exists. */
	void *(*gpa_to_hva)(void *cookie, uint64_t gpa, uint64_t len);
};

/* Capability bits (struct hv_caps.flags). */
#define HV_CAP_IRQFD (1ull << 0)
#define HV_CAP_IOEVENTFD (1ull << 1)
#define HV_CAP_MSI_ROUTES (1ull << 2)
#define HV_CAP_DIRTY_LOG (1ull << 3)
#define HV_CAP_SPLIT_IRQCHIP (1ull << 4)
#define HV_CAP_GICV3 (1ull << 5)
#define HV_CAP_SIGNAL_MSI (1ull << 6)
#define HV_CAP_PIO_IOEVENTFD (1ull << 7)
#define HV_CAP_IRQ_LINE (1ull << 8)

struct hv_caps {
	uint64_t flags; /* HV_CAP_* */
	uint32_t max_vcpus; /* hard limit for one VM */
	uint32_t max_gsi; /* routes: gsi < max_gsi */
	uint32_t ipa_bits; /* guest physical address bits */
	uint32_t reserved;
};

/* Architectures (hv_vm_config.arch). */
enum hv_arch {
	HV_ARCH_X86_64 = 1,
	HV_ARCH_AARCH64 = 2,
};

struct hv_vm_config {
	uint32_t size; /* sizeof(struct hv_vm_config) of the caller */
	uint32_t arch; /* enum hv_arch; must match the plugin's build */
	uint32_t nr_vcpus; /* vCPUs the VM will get (topology, MADT) */
	uint32_t ipa_bits; /* 0 = backend default */
	uint64_t mem_size; /* total guest RAM, informative */
};

/* map_memory flags. */
#define HV_MEM_READ (1u << 0)
#define HV_MEM_WRITE (1u << 1)
#define HV_MEM_EXEC (1u << 2)
#define HV_MEM_LOG_DIRTY (1u << 3)

/* dirty_log_fetch flags. */
#define HV_DIRTY_CLEAR (1u << 0)

/* Interrupt controller models (hv_irqchip_config.model). */
enum hv_irqchip_model {
	/* x86: LAPIC in the hypervisor, IOAPIC/PIC/PIT in userspace.  GSIs
	 * [0, nr_pins) are reserved for the userspace IOAPIC's MSI routes;
	 * level-triggered routes there produce HV_EXIT_EOI. */
	HV_IRQCHIP_X86_SPLIT = 1,
	/* aarch64: in-kernel GICv3 (dist at dist_base, redists at
	 * redist_base, optional ITS at its_base when non-zero). */
	HV_IRQCHIP_GICV3 = 2,
};

struct hv_irqchip_config {
	uint32_t size;
	uint32_t model; /* enum hv_irqchip_model */
	uint32_t nr_pins; /* x86 split: IOAPIC pins (24); GIC: nr IRQs */
	uint32_t reserved;
	uint64_t dist_base, redist_base, redist_size, its_base;
};

/* ioeventfd description. */
enum hv_io_space {
	HV_IO_MMIO = 0,
	HV_IO_PIO = 1,
};

struct hv_ioeventfd {
	uint32_t space; /* enum hv_io_space */
	uint32_t len; /* 0 (any), 1, 2, 4, 8 */
	uint64_t addr;
	uint64_t datamatch;
	int32_t fd;
	uint8_t has_datamatch;
	uint8_t pad[3];
};

/* Interrupt routes (set_routes replaces the whole table). */
enum hv_route_type {
	HV_ROUTE_MSI = 1,
	HV_ROUTE_IRQCHIP = 2,
};

struct hv_route {
	uint32_t gsi;
	uint32_t type; /* enum hv_route_type */
	union {
		struct {
			uint64_t addr;
			uint32_t data;
			uint32_t devid; /* aarch64 ITS device id, else 0 */
		} msi;
		struct {
			uint32_t chip;
			uint32_t pin;
		} irqchip;
	} u;
};

/* vCPU configuration (arch-specific fields are ignored elsewhere). */
struct hv_vcpu_config {
	uint32_t size;
	uint32_t nr_vcpus; /* total vCPUs of the VM (topology) */
	/* x86_64 */
	uint32_t apic_id; /* initial APIC id (normally the vCPU id) */
	uint32_t threads_per_core; /* 0 = 1 */
	uint32_t cores_per_die; /* 0 = nr_vcpus */
	uint32_t reserved0;
	/* aarch64 */
	uint64_t features; /* HV_A64_FEAT_* (see hv_aarch64.h) */
	uint64_t mpidr;
};

/* ---------------------------------------------------------------------- */
/* Exits                                                                   */

enum hv_exit_reason {
	HV_EXIT_NONE = 0, /* handled inside the backend; just run again */
	HV_EXIT_MMIO, /* u.mmio: complete reads before the next run */
	HV_EXIT_PIO, /* u.pio */
	HV_EXIT_HLT, /* guest halted with interrupts off for good */
	HV_EXIT_INTR, /* vcpu_kick or a signal interrupted the run */
	HV_EXIT_SHUTDOWN, /* guest asked to power off (or triple fault) */
	HV_EXIT_RESET, /* guest asked for a reset */
	HV_EXIT_HYPERCALL, /* u.hcall: PSCI/SMCCC, vmcall; fill ret[] */
	HV_EXIT_MSR, /* u.msr: fill value for reads */
	HV_EXIT_DEBUG,
	HV_EXIT_FAIL_ENTRY, /* u.fail */
	HV_EXIT_INTERNAL, /* u.fail: backend-internal error */
	HV_EXIT_UNKNOWN, /* u.unknown.raw: backend-native code */
	HV_EXIT_EOI, /* u.eoi: x86 split irqchip level EOI */
	HV_EXIT_REASON_MAX
};

/* hv_exit.flags */
#define HV_EXIT_F_TRIPLE_FAULT (1u << 0) /* SHUTDOWN caused by a fault */

struct hv_exit {
	uint32_t reason; /* enum hv_exit_reason */
	uint32_t flags; /* HV_EXIT_F_* */
	uint64_t pc; /* guest PC if cheap for the backend, else 0 */
	union {
		struct {
			uint64_t gpa;
			uint32_t len; /* 1..8 */
			uint8_t write;
			uint8_t data[8];
		} mmio;
		struct {
			uint16_t port;
			uint8_t size; /* 1, 2 or 4 bytes per element */
			uint8_t write;
			uint32_t count; /* elements (rep string I/O) */
			uint8_t *data; /* size*count bytes, owned by the
					 * backend until the next vcpu_run */
		} pio;
		struct {
			uint64_t nr;
			uint64_t args[6];
			uint64_t ret[4];
		} hcall;
		struct {
			uint32_t index;
			uint8_t write;
			uint8_t error; /* host sets 1 to inject #GP */
			uint64_t value;
		} msr;
		struct {
			uint64_t hw_reason;
			uint32_t suberror;
		} fail;
		struct {
			uint32_t vector;
		} eoi;
		struct {
			uint32_t raw;
		} unknown;
	} u;
};

/* ---------------------------------------------------------------------- */
/* The ops table                                                           */

struct hv_ops {
	uint32_t size; /* sizeof(struct hv_ops) as the plugin saw it */
	uint32_t reserved;

	/* --- system --- */
	/* [M] Is this hypervisor usable here?  No side effects, creates
	 * nothing.  -ENODEV: not present; -EACCES: no permission;
	 * -EPROTO: present but an unsupported API version. */
	int (*probe)(const struct hv_host *h);
	/* [M] Open the per-process handle.  `h` must outlive the handle. */
	int (*open)(const struct hv_host *h, struct hv **out);
	/* [M] Release the handle; every VM must already be destroyed. */
	void (*close)(struct hv *hv);
	/* [M] Fill capability bits and limits. */
	int (*get_caps)(struct hv *hv, struct hv_caps *caps);
	/* Point *cmds at a plugin-owned array of the ioctl request numbers
	 * the plugin issues after setup (for the seccomp filter). */
	int (*get_ioctl_allowlist)(struct hv *hv, const unsigned long **cmds,
				   size_t *n);

	/* --- VM --- */
	/* [M] Create and fully initialise a VM, ready for memory and vCPUs.
	 * -EINVAL for a config the backend cannot honour. */
	int (*vm_create)(struct hv *hv, const struct hv_vm_config *cfg,
			 struct hv_vm **out);
	/* [M] Destroy a VM; every vCPU must already be destroyed. */
	void (*vm_destroy)(struct hv_vm *vm);
	/* [M] Map host memory [hva, hva+size) at guest [gpa, gpa+size).
	 * Page aligned.  HV_MEM_* flags.  No slots: the backend allocates
	 * its own.  -EEXIST if the range overlaps an existing mapping. */
	int (*map_memory)(struct hv_vm *vm, uint64_t gpa, uint64_t size,
			  void *hva, uint32_t flags);
	/* [M] Remove exactly one earlier mapping starting at gpa (-ENOENT). */
	int (*unmap_memory)(struct hv_vm *vm, uint64_t gpa, uint64_t size);
	/* Start (on=1) or stop dirty logging for a mapped range. */
	int (*dirty_log_enable)(struct hv_vm *vm, uint64_t gpa, uint64_t size,
				int on);
	/* Fill `bitmap` (1 bit per 4 KiB page of [gpa, gpa+size), caller
	 * sized, rounded up to 64 bits); HV_DIRTY_CLEAR also clears. */
	int (*dirty_log_fetch)(struct hv_vm *vm, uint64_t gpa, uint64_t size,
			       uint64_t *bitmap, uint32_t flags);
	/* Create the interrupt controller.  Call before vcpu_create on x86
	 * (split irqchip) and before finalize on aarch64. */
	int (*irqchip_create)(struct hv_vm *vm,
			      const struct hv_irqchip_config *cfg);
	/* Finish irqchip setup after all vCPUs exist (vGIC init). */
	int (*irqchip_finalize)(struct hv_vm *vm);
	/* Drive an in-kernel interrupt controller input. */
	int (*irq_line)(struct hv_vm *vm, uint32_t gsi, int level);
	/* Bind (assign=1) or unbind eventfd `efd` to `gsi`.  resample_efd is
	 * -1 or an eventfd signalled on EOI of a level interrupt. */
	int (*irqfd)(struct hv_vm *vm, int efd, uint32_t gsi, int resample_efd,
		     int assign);
	/* Register (assign=1) or remove an ioeventfd.  -EOPNOTSUPP for a
	 * space the backend cannot do (MSHV: PIO). */
	int (*ioeventfd)(struct hv_vm *vm, const struct hv_ioeventfd *ioe,
			 int assign);
	/* Replace the whole routing table with r[0..n). */
	int (*set_routes)(struct hv_vm *vm, const struct hv_route *r,
			  uint32_t n);
	/* Inject one MSI now. */
	int (*signal_msi)(struct hv_vm *vm, uint64_t addr, uint32_t data,
			  uint32_t devid);

	/* --- vCPU --- */
	/* [M] Create vCPU `id` (0-based) on the calling thread, which becomes
	 * its thread.  `cookie` is handed back to the hv_host callbacks.
	 * x86: also installs CPUID and boot MSRs for the configuration. */
	int (*vcpu_create)(struct hv_vm *vm, uint32_t id,
			   const struct hv_vcpu_config *cfg, void *cookie,
			   struct hv_vcpu **out);
	/* [M] Destroy a vCPU (its thread, or any thread once it is gone). */
	void (*vcpu_destroy)(struct hv_vcpu *vcpu);
	/* [M] Run until the next exit that needs the host and describe it in
	 * *exit.  For MMIO/PIO reads, HV_EXIT_HYPERCALL and MSR reads the
	 * host fills the data in *exit and calls vcpu_run again with the same
	 * struct; the backend completes the access on re-entry.  Returns 0
	 * with exit->reason set, or a negative errno when the hypervisor
	 * failed (the VM must stop).  A pending kick makes it return 0 with
	 * HV_EXIT_INTR without entering the guest. */
	int (*vcpu_run)(struct hv_vcpu *vcpu, struct hv_exit *exit);
	/* [M] Make a running or imminent vcpu_run return HV_EXIT_INTR soon.
	 * Any thread; async-signal-safe. */
	void (*vcpu_kick)(struct hv_vcpu *vcpu);
	/* [M] Bulk register access; `set` is an HV_REGS_* id from the arch
	 * header, len must equal the size of its struct (-EINVAL). */
	int (*vcpu_get_regs)(struct hv_vcpu *vcpu, uint32_t set, void *buf,
			     size_t len);
	int (*vcpu_set_regs)(struct hv_vcpu *vcpu, uint32_t set,
			     const void *buf, size_t len);
	/* Single register by arch id (HV_X86_*, HV_A64_*); cold paths. */
	int (*vcpu_get_reg)(struct hv_vcpu *vcpu, uint32_t reg_id,
			    uint64_t *val);
	int (*vcpu_set_reg)(struct hv_vcpu *vcpu, uint32_t reg_id,
			    uint64_t val);
};

/* Offset one past the op `field`; the host reads `field` only when
 * ops->size >= HV_OPS_END(field). */
#define HV_OPS_END(field) \
	(offsetof(struct hv_ops, field) + sizeof(((struct hv_ops *)0)->field))

#endif /* NIMBUS_HV_H */
