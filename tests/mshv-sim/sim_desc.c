// SPDX-License-Identifier: Apache-2.0
/*
 * sim_desc.c - descriptor of hv-mshv-sim.so ("mshv-sim", built with
 * MSHV_HV_OPS_INIT around the plugin's mshv_*_with_sys) and the system
 * call table it hands the plugin: open/ioctl/close/kick of /dev/mshv,
 * partition and VP fds, each the real KVM fd it stands for.
 *
 * Each probe/open gets its own simulator instance (struct mshv_sim, whose
 * embedded mshv_sys has ctx = the instance).  A probe's instance is freed
 * when the probe returns; an open's lives as long as the handle: the
 * plugin closes the /dev/mshv fd last (mshv_close), and the instance
 * frees itself once its last fd is closed.
 */
#define LOG_MOD "mshv-sim"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "plugins/plugin.h"
#include "tests/mshv-sim/sim.h"

#ifndef NIMBUS_VERSION
#define NIMBUS_VERSION "unknown"
#endif

#define SIM_RL_WINDOW_NS 5000000000ull
#define SIM_RL_BURST 10

bool sim_rl_ok(struct sim_rl *rl)
{
	struct timespec ts;
	uint64_t now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	if (now - rl->window_ns >= SIM_RL_WINDOW_NS) {
		rl->window_ns = now;
		rl->printed = 0;
	}
	return rl->printed++ < SIM_RL_BURST;
}

int sim_kvm_ioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, req, arg);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : ret;
}

/* --- fd table ------------------------------------------------------------- */

int sim_fd_add(struct mshv_sim *sim, int fd, int kind, void *obj)
{
	struct sim_fd *n;
	int ret = 0;

	pthread_mutex_lock(&sim->lock);
	if (sim->nr_fds == sim->cap_fds) {
		uint32_t cap = sim->cap_fds ? sim->cap_fds * 2 : 16;

		n = realloc(sim->fds, cap * sizeof(*n));
		if (!n) {
			ret = -ENOMEM;
			goto out;
		}
		sim->fds = n;
		sim->cap_fds = cap;
	}
	sim->fds[sim->nr_fds].fd = fd;
	sim->fds[sim->nr_fds].kind = kind;
	sim->fds[sim->nr_fds].obj = obj;
	sim->fds[sim->nr_fds].closed = false;
	sim->nr_fds++;
out:
	pthread_mutex_unlock(&sim->lock);
	return ret;
}

static void sim_fd_remove(struct mshv_sim *sim, int fd)
{
	uint32_t i;

	pthread_mutex_lock(&sim->lock);
	for (i = 0; i < sim->nr_fds; i++) {
		if (sim->fds[i].fd == fd) {
			sim->fds[i] = sim->fds[--sim->nr_fds];
			break;
		}
	}
	pthread_mutex_unlock(&sim->lock);
}

/* Copy the live entry of fd; -EBADF if there is none. */
static int sim_fd_get(struct mshv_sim *sim, int fd, struct sim_fd *out)
{
	int ret = -EBADF;
	uint32_t i;

	pthread_mutex_lock(&sim->lock);
	for (i = 0; i < sim->nr_fds; i++) {
		if (sim->fds[i].fd == fd && !sim->fds[i].closed) {
			*out = sim->fds[i];
			ret = 0;
			break;
		}
	}
	pthread_mutex_unlock(&sim->lock);
	return ret;
}

int sim_kick_register(struct mshv_sim *sim, struct sim_vp *vp)
{
	uint32_t i;

	pthread_mutex_lock(&sim->lock);
	for (i = 0; i < SIM_KICK_SLOTS; i++) {
		if (!__atomic_load_n(&sim->kick[i], __ATOMIC_ACQUIRE)) {
			vp->kick_slot = i;
			__atomic_store_n(&sim->kick[i], vp, __ATOMIC_RELEASE);
			break;
		}
	}
	pthread_mutex_unlock(&sim->lock);
	return i < SIM_KICK_SLOTS ? 0 : -ENOSPC;
}

void sim_kick_unregister(struct mshv_sim *sim, struct sim_vp *vp)
{
	__atomic_store_n(&sim->kick[vp->kick_slot], NULL, __ATOMIC_RELEASE);
}

/* --- the system calls ------------------------------------------------------ */

static int sim_sys_open(void *ctx, const char *path, int flags)
{
	struct mshv_sim *sim = ctx;
	struct sim_dev *dev;
	int fd, ret;

	if (!path || strcmp(path, MSHV_DEV_PATH))
		return -ENOENT;
	fd = open(SIM_KVM_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		sim_debug(sim, "cannot open %s: %s", SIM_KVM_PATH,
			  strerror(-ret));
		return ret;
	}
	ret = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (ret != KVM_API_VERSION) {
		sim_err(sim, "%s has KVM API version %d, not %d", SIM_KVM_PATH,
			ret, KVM_API_VERSION);
		ret = -ENODEV;
		goto err_close;
	}
	dev = calloc(1, sizeof(*dev));
	if (!dev) {
		ret = -ENOMEM;
		goto err_close;
	}
	dev->fd = fd;
	dev->run_size = ioctl(fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (dev->run_size < (int)sizeof(struct kvm_run)) {
		ret = -ENODEV;
		goto err_free;
	}
	ret = sim_fd_add(sim, fd, SIM_FD_SYS, dev);
	if (ret < 0)
		goto err_free;
	return fd;

err_free:
	free(dev);
err_close:
	close(fd);
	return ret;
}

static int sim_dev_ioctl(struct mshv_sim *sim, struct sim_dev *dev,
			 unsigned long req, void *arg)
{
	switch (req) {
	case MSHV_CREATE_PARTITION:
		if (!arg)
			return -EFAULT;
		return sim_part_create(sim, dev, arg);
	case MSHV_OLD_CHECK_EXTENSION:
		/* The old-ABI probe: upstream has no such ioctl. */
		return -ENOTTY;
	default:
		sim_err(sim, "ioctl %#lx on /dev/mshv: not in the upstream ABI",
			req);
		return -ENOTTY;
	}
}

static int sim_sys_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	struct mshv_sim *sim = ctx;
	struct sim_fd f;

	if (sim_fd_get(sim, fd, &f) < 0)
		return -EBADF;
	switch (f.kind) {
	case SIM_FD_SYS:
		return sim_dev_ioctl(sim, f.obj, req, arg);
	case SIM_FD_PART:
		return sim_part_ioctl(f.obj, req, arg);
	case SIM_FD_VP:
		return sim_vp_ioctl(f.obj, req, arg);
	default:
		return -EBADF;
	}
}

static void sim_free(struct mshv_sim *sim)
{
	free(sim->fds);
	pthread_mutex_destroy(&sim->lock);
	free(sim);
}

/* The plugin closes the /dev/mshv fd last (mshv_close: every VM is
 * destroyed by then), so the last close is not concurrent with another. */
static void sim_maybe_free(struct mshv_sim *sim)
{
	bool last;

	pthread_mutex_lock(&sim->lock);
	last = sim->auto_free && !sim->nr_fds;
	pthread_mutex_unlock(&sim->lock);
	if (last)
		sim_free(sim);
}

/* Destroy a partition whose fd is closed and whose last VP is gone. */
static void sim_part_release(struct mshv_sim *sim, struct sim_part *part)
{
	int fd = part->fd;

	sim_part_destroy(part);
	sim_fd_remove(sim, fd);
	close(fd);
}

static int sim_sys_close(void *ctx, int fd)
{
	struct mshv_sim *sim = ctx;
	struct sim_part *part;
	struct sim_fd f;
	uint32_t i;
	bool ready;

	if (sim_fd_get(sim, fd, &f) < 0)
		return -EBADF;
	switch (f.kind) {
	case SIM_FD_SYS:
		sim_fd_remove(sim, fd);
		close(fd);
		free(f.obj);
		break;
	case SIM_FD_PART:
		/* The VM lives on while VPs hold it, like the kernel's
		 * partition; its fd stays open (and unusable) until then. */
		part = f.obj;
		pthread_mutex_lock(&sim->lock);
		for (i = 0; i < sim->nr_fds; i++)
			if (sim->fds[i].fd == fd)
				sim->fds[i].closed = true;
		pthread_mutex_unlock(&sim->lock);
		pthread_mutex_lock(&part->lock);
		part->fd_closed = true;
		ready = !part->nr_vps;
		pthread_mutex_unlock(&part->lock);
		if (ready)
			sim_part_release(sim, part);
		break;
	case SIM_FD_VP:
		sim_fd_remove(sim, fd);
		part = ((struct sim_vp *)f.obj)->part;
		if (sim_vp_close(f.obj))
			sim_part_release(sim, part);
		break;
	default:
		return -EBADF;
	}
	sim_maybe_free(sim);
	return 0;
}

static int sim_sys_mmap(void *ctx, int fd, size_t len, int prot, uint64_t off,
			void **out)
{
	struct mshv_sim *sim = ctx;

	return sim_unsupported(sim,
			       "mmap of VP page %llu (register/message pages)",
			       (unsigned long long)(off / MSHV_PAGE_SIZE));
}

static int sim_sys_munmap(void *ctx, void *addr, size_t len)
{
	return -EINVAL; /* nothing was ever mapped */
}

/* Async-signal-safe: atomics and pthread_kill only. */
static void sim_sys_kick(void *ctx, int vp_fd, pthread_t thread, int signo)
{
	struct mshv_sim *sim = ctx;
	struct sim_vp *vp;
	uint32_t i;

	for (i = 0; i < SIM_KICK_SLOTS; i++) {
		vp = __atomic_load_n(&sim->kick[i], __ATOMIC_ACQUIRE);
		if (vp && vp->fd == vp_fd) {
			__atomic_store_n(&vp->kick_pending, 1,
					 __ATOMIC_SEQ_CST);
			__atomic_store_n(&vp->run->immediate_exit, 1,
					 __ATOMIC_SEQ_CST);
			break;
		}
	}
	if (signo > 0)
		pthread_kill(thread, signo);
}

static struct mshv_sim *sim_new(const struct hv_host *h)
{
	struct mshv_sim *sim = calloc(1, sizeof(*sim));

	if (!sim)
		return NULL;
	if (pthread_mutex_init(&sim->lock, NULL)) {
		free(sim);
		return NULL;
	}
	sim->host = h;
	sim->next_part_id = 1;
	sim->sys.ctx = sim;
	sim->sys.open = sim_sys_open;
	sim->sys.close = sim_sys_close;
	sim->sys.ioctl = sim_sys_ioctl;
	sim->sys.mmap = sim_sys_mmap;
	sim->sys.munmap = sim_sys_munmap;
	sim->sys.kick = sim_sys_kick;
	return sim;
}

/* --- descriptor ------------------------------------------------------------- */

static int sim_desc_probe(const struct hv_host *h)
{
	struct mshv_sim *sim = sim_new(h);
	int ret;

	if (!sim)
		return -ENOMEM;
	ret = mshv_probe_with_sys(h, &sim->sys);
	sim_free(sim);
	return ret;
}

static int sim_desc_open(const struct hv_host *h, struct hv **out)
{
	struct mshv_sim *sim = sim_new(h);
	int ret;

	if (!sim)
		return -ENOMEM;
	ret = mshv_open_with_sys(h, &sim->sys, out);
	if (ret < 0) {
		sim_free(sim);
		return ret;
	}
	pthread_mutex_lock(&sim->lock);
	sim->auto_free = true;
	pthread_mutex_unlock(&sim->lock);
	sim_info(sim, "/dev/mshv simulated on %s", SIM_KVM_PATH);
	return 0;
}

/* The /dev/kvm ioctls the simulator issues once the VMM is sandboxed
 * (partition and VP creation included: reboots and vm.create). */
static const unsigned long sim_ioctl_allowlist[] = {
	KVM_CHECK_EXTENSION,
	KVM_CREATE_VM,
	KVM_ENABLE_CAP,
	KVM_GET_VCPU_MMAP_SIZE,
	KVM_CREATE_VCPU,
	KVM_RUN,
	KVM_GET_REGS,
	KVM_SET_REGS,
	KVM_GET_SREGS,
	KVM_SET_SREGS,
	KVM_GET_MSRS,
	KVM_SET_MSRS,
	KVM_GET_LAPIC,
	KVM_SET_LAPIC,
	KVM_GET_MP_STATE,
	KVM_SET_FPU,
	KVM_SET_XCRS,
	KVM_SET_DEBUGREGS,
	KVM_SET_VCPU_EVENTS,
	KVM_GET_SUPPORTED_CPUID,
	KVM_SET_CPUID2,
	KVM_SET_TSS_ADDR,
	KVM_SET_IDENTITY_MAP_ADDR,
	KVM_SET_USER_MEMORY_REGION,
	KVM_GET_DIRTY_LOG,
	KVM_TRANSLATE,
	KVM_IRQFD,
	KVM_IOEVENTFD,
	KVM_SET_GSI_ROUTING,
	KVM_SIGNAL_MSI,
	KVM_GET_API_VERSION,
	KVM_GET_DEBUGREGS,
	KVM_GET_FPU,
	KVM_GET_VCPU_EVENTS,
	KVM_GET_XCRS,
};

static int sim_get_ioctl_allowlist(struct hv *hv, const unsigned long **cmds,
				   size_t *n)
{
	*cmds = sim_ioctl_allowlist;
	*n = sizeof(sim_ioctl_allowlist) / sizeof(sim_ioctl_allowlist[0]);
	return 0;
}

static const struct hv_ops sim_ops = MSHV_HV_OPS_INIT_IOCTLS(
	sim_desc_probe, sim_desc_open, sim_get_ioctl_allowlist);

PLUGIN_EXPORT const struct plugin_desc nimbus_plugin_desc = {
	.magic = PLUGIN_MAGIC,
	.kind = PLUGIN_HV,
	.abi_major = HV_ABI_MAJOR,
	.abi_minor = HV_ABI_MINOR,
	.desc_size = sizeof(struct plugin_desc),
	/* The loader wants hv-<name>.so; "mshv-sim" is never picked by
	 * --hv auto, only by --hv-plugin .../hv-mshv-sim.so. */
	.name = "mshv-sim",
	.build_id = NIMBUS_VERSION " (MSHV simulated on KVM)",
	.ops = &sim_ops,
};
