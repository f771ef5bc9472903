/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mshv_sys.h - the system-call table of the MSHV plugin and its entries.
 *
 * The MSHV plugin (hv-mshv.so) never calls open/ioctl/mmap/close or
 * pthread_kill directly: every system call goes through a `struct
 * mshv_sys`, so the same objects serve three users:
 *
 *   - hv-mshv.so: hv/mshv/mshv_desc.c holds the plugin descriptor and
 *     mshv_sys_libc, the table that calls libc on the real /dev/mshv;
 *   - unit tests: tests/fakes/mshv_script.c provides a scripted fake table
 *     and the tests call mshv_probe_with_sys()/mshv_open_with_sys();
 *   - hv-mshv-sim.so: every plugin object except mshv_desc.o, plus a
 *     descriptor and a table implementing /dev/mshv on top of /dev/kvm.
 *
 * A variant builds its descriptor like mshv_desc.c does:
 *
 *	static int my_probe(const struct hv_host *h)
 *	{ return mshv_probe_with_sys(h, &my_sys); }
 *	static int my_open(const struct hv_host *h, struct hv **out)
 *	{ return mshv_open_with_sys(h, &my_sys, out); }
 *	static const struct hv_ops my_ops = MSHV_HV_OPS_INIT(my_probe, my_open);
 *
 * Every op other than probe/open reaches the table through the struct hv
 * that open returned, so the table is chosen once per handle.
 */
#ifndef NIMBUS_HV_MSHV_SYS_H
#define NIMBUS_HV_MSHV_SYS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/hv.h"

/* The device node the plugin opens. */
#define MSHV_DEV_PATH "/dev/mshv"

/*
 * The system calls the plugin makes.  Every function receives `ctx` first
 * and returns a negative errno on failure (never -1 with errno set); none
 * of them retries on EINTR: the plugin decides.  All may be called from
 * any thread (VM ops from the host's control thread, VP ops from each
 * vCPU's own thread) and must be thread-safe; `kick` must also be
 * async-signal-safe.
 */
struct mshv_sys {
	void *ctx; /* passed back to every function */
	/* open(2): the new fd, or -errno (-ENOENT: no /dev/mshv). */
	int (*open)(void *ctx, const char *path, int flags);
	/* close(2): 0 or -errno. */
	int (*close)(void *ctx, int fd);
	/* ioctl(2): the ioctl's non-negative result (new fds for
	 * MSHV_CREATE_PARTITION and MSHV_CREATE_VP), or -errno.  `arg` is
	 * the struct of the request (mshv_abi.h), or NULL for none. */
	int (*ioctl)(void *ctx, int fd, unsigned long req, void *arg);
	/* mmap(NULL, len, prot, MAP_SHARED, fd, off): 0 with *out set, or
	 * -errno.  Reserved for the VP register/message pages; this version
	 * of the plugin does not map them. */
	int (*mmap)(void *ctx, int fd, size_t len, int prot, uint64_t off,
		    void **out);
	/* munmap(2) of an earlier mmap: 0 or -errno. */
	int (*munmap)(void *ctx, void *addr, size_t len);
	/* Make a MSHV_RUN_VP on `vp_fd`, running or about to run on thread
	 * `thread`, return -EINTR soon.  libc: pthread_kill(thread, signo)
	 * when signo > 0 (hv_host.kick_signo).  A simulator may also set
	 * its own immediate-exit flag.  Async-signal-safe; no result. */
	void (*kick)(void *ctx, int vp_fd, pthread_t thread, int signo);
};

/* The libc table of hv-mshv.so (ctx NULL).  Defined in mshv_desc.c only,
 * which the simulator and the unit tests do not link. */
extern const struct mshv_sys mshv_sys_libc;

/*
 * Is MSHV usable through `sys`?  Opens MSHV_DEV_PATH, checks that it speaks
 * the upstream ABI and closes it again; creates no partition.
 * Returns 0; -ENODEV when the node is absent (so --hv auto moves on);
 * -EACCES without permission; -EPROTO for the old out-of-tree ABI (after
 * logging a one-line explanation through h->log); another -errno for
 * anything else.  `h` may have a NULL log.  Any thread.
 */
int mshv_probe_with_sys(const struct hv_host *h, const struct mshv_sys *sys);

/*
 * hv_ops.open with an explicit table: checks like mshv_probe_with_sys(),
 * then keeps the /dev/mshv fd in a new handle returned in *out.  `h` and
 * `sys` (and sys->ctx) must outlive the handle; close it with
 * mshv_close().  Returns 0, -EINVAL for a NULL argument or a host table
 * older than hv_host.gpa_to_hva, -ENOMEM, or the probe errors above.
 */
int mshv_open_with_sys(const struct hv_host *h, const struct mshv_sys *sys,
		       struct hv **out);

/* The other ops, with the contracts of hv/hv.h.  Plugin-internal (hidden
 * visibility); listed here so a variant can build its table. */
void mshv_close(struct hv *hv);
int mshv_get_caps(struct hv *hv, struct hv_caps *caps);
int mshv_get_ioctl_allowlist(struct hv *hv, const unsigned long **cmds,
			     size_t *n);
int mshv_vm_create(struct hv *hv, const struct hv_vm_config *cfg,
		   struct hv_vm **out);
void mshv_vm_destroy(struct hv_vm *vm);
int mshv_map_memory(struct hv_vm *vm, uint64_t gpa, uint64_t size, void *hva,
		    uint32_t flags);
int mshv_unmap_memory(struct hv_vm *vm, uint64_t gpa, uint64_t size);
int mshv_dirty_log_enable(struct hv_vm *vm, uint64_t gpa, uint64_t size,
			  int on);
int mshv_dirty_log_fetch(struct hv_vm *vm, uint64_t gpa, uint64_t size,
			 uint64_t *bitmap, uint32_t flags);
int mshv_irqchip_create(struct hv_vm *vm, const struct hv_irqchip_config *cfg);
int mshv_irqchip_finalize(struct hv_vm *vm);
int mshv_irq_line(struct hv_vm *vm, uint32_t gsi, int level);
int mshv_irqfd(struct hv_vm *vm, int efd, uint32_t gsi, int resample_efd,
	       int assign);
int mshv_ioeventfd(struct hv_vm *vm, const struct hv_ioeventfd *ioe,
		   int assign);
int mshv_set_routes(struct hv_vm *vm, const struct hv_route *r, uint32_t n);
int mshv_signal_msi(struct hv_vm *vm, uint64_t addr, uint32_t data,
		    uint32_t devid);
int mshv_vcpu_create(struct hv_vm *vm, uint32_t id,
		     const struct hv_vcpu_config *cfg, void *cookie,
		     struct hv_vcpu **out);
void mshv_vcpu_destroy(struct hv_vcpu *vcpu);
int mshv_vcpu_run(struct hv_vcpu *vcpu, struct hv_exit *exit);
void mshv_vcpu_kick(struct hv_vcpu *vcpu);
int mshv_vcpu_get_regs(struct hv_vcpu *vcpu, uint32_t set, void *buf,
		       size_t len);
int mshv_vcpu_set_regs(struct hv_vcpu *vcpu, uint32_t set, const void *buf,
		       size_t len);
int mshv_vcpu_get_reg(struct hv_vcpu *vcpu, uint32_t reg_id, uint64_t *val);
int mshv_vcpu_set_reg(struct hv_vcpu *vcpu, uint32_t reg_id, uint64_t val);

/* A complete struct hv_ops initializer around a variant's probe/open and
 * ioctl list (the simulator's system calls are not MSHV's). */
/* clang-format off */
#define MSHV_HV_OPS_INIT_IOCTLS(probe_fn, open_fn, ioctls_fn)		\
	{								\
		.size = sizeof(struct hv_ops),				\
		.probe = (probe_fn),					\
		.open = (open_fn),					\
		.close = mshv_close,					\
		.get_caps = mshv_get_caps,				\
		.get_ioctl_allowlist = (ioctls_fn),	\
		.vm_create = mshv_vm_create,				\
		.vm_destroy = mshv_vm_destroy,				\
		.map_memory = mshv_map_memory,				\
		.unmap_memory = mshv_unmap_memory,			\
		.dirty_log_enable = mshv_dirty_log_enable,		\
		.dirty_log_fetch = mshv_dirty_log_fetch,		\
		.irqchip_create = mshv_irqchip_create,			\
		.irqchip_finalize = mshv_irqchip_finalize,		\
		.irq_line = mshv_irq_line,				\
		.irqfd = mshv_irqfd,					\
		.ioeventfd = mshv_ioeventfd,				\
		.set_routes = mshv_set_routes,				\
		.signal_msi = mshv_signal_msi,				\
		.vcpu_create = mshv_vcpu_create,			\
		.vcpu_destroy = mshv_vcpu_destroy,			\
		.vcpu_run = mshv_vcpu_run,				\
		.vcpu_kick = mshv_vcpu_kick,				\
		.vcpu_get_regs = mshv_vcpu_get_regs,			\
		.vcpu_set_regs = mshv_vcpu_set_regs,			\
		.vcpu_get_reg = mshv_vcpu_get_reg,			\
		.vcpu_set_reg = mshv_vcpu_set_reg,			\
	}
/* clang-format on */

/* The same with the plugin's own ioctl list. */
#define MSHV_HV_OPS_INIT(probe_fn, open_fn) \
	MSHV_HV_OPS_INIT_IOCTLS(probe_fn, open_fn, mshv_get_ioctl_allowlist)

#endif /* NIMBUS_HV_MSHV_SYS_H */
