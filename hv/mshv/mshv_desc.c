// SPDX-License-Identifier: Apache-2.0
/*
 * mshv_desc.c - the descriptor of hv-mshv.so and its system-call table,
 * which calls libc on the real /dev/mshv.
 *
 * This is the only file of the plugin that the unit tests and the
 * MSHV-on-KVM simulator leave out: they bring their own table (see
 * mshv_sys.h) and, for the simulator, their own descriptor.
 */
#define LOG_MOD "mshv"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hv/mshv/mshv_sys.h"
#include "plugins/plugin.h"

#ifndef NIMBUS_VERSION
#define NIMBUS_VERSION "unknown"
#endif

static int mshv_libc_open(void *ctx, const char *path, int flags)
{
	int fd = open(path, flags);

	return fd < 0 ? -errno : fd;
}

static int mshv_libc_close(void *ctx, int fd)
{
	return close(fd) < 0 ? -errno : 0;
}

static int mshv_libc_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	int ret = ioctl(fd, req, arg);

	return ret < 0 ? -errno : ret;
}

static int mshv_libc_mmap(void *ctx, int fd, size_t len, int prot, uint64_t off,
			  void **out)
{
	void *p = mmap(NULL, len, prot, MAP_SHARED, fd, (off_t)off);

	if (p == MAP_FAILED)
		return -errno;
	*out = p;
	return 0;
}

static int mshv_libc_munmap(void *ctx, void *addr, size_t len)
{
	return munmap(addr, len) < 0 ? -errno : 0;
}

static void mshv_libc_kick(void *ctx, int vp_fd, pthread_t thread, int signo)
{
	if (signo > 0)
		pthread_kill(thread, signo);
}

const struct mshv_sys mshv_sys_libc = {
	.ctx = NULL,
	.open = mshv_libc_open,
	.close = mshv_libc_close,
	.ioctl = mshv_libc_ioctl,
	.mmap = mshv_libc_mmap,
	.munmap = mshv_libc_munmap,
	.kick = mshv_libc_kick,
};

static int mshv_desc_probe(const struct hv_host *h)
{
	return mshv_probe_with_sys(h, &mshv_sys_libc);
}

static int mshv_desc_open(const struct hv_host *h, struct hv **out)
{
	return mshv_open_with_sys(h, &mshv_sys_libc, out);
}

static const struct hv_ops mshv_ops =
	MSHV_HV_OPS_INIT(mshv_desc_probe, mshv_desc_open);

PLUGIN_EXPORT const struct plugin_desc nimbus_plugin_desc = {
	.magic = PLUGIN_MAGIC,
	.kind = PLUGIN_HV,
	.abi_major = HV_ABI_MAJOR,
	.abi_minor = HV_ABI_MINOR,
	.desc_size = sizeof(struct plugin_desc),
	.name = "mshv",
	.build_id = NIMBUS_VERSION,
	.ops = &mshv_ops,
};
