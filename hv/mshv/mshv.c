// SPDX-License-Identifier: Apache-2.0
/*
 * mshv.c - Microsoft Hypervisor (/dev/mshv) backend of the Nimbus hv ABI:
 * probe/open with the ABI check, capabilities, the passthrough hypercall
 * and partition-property helpers, and partition creation/teardown.
 *
 * Only the upstream Linux ABI (Linux >= 6.15) is spoken.  The older
 * out-of-tree ABI of pre-2024 Microsoft dom0 kernels reuses the ioctl
 * magic with other numbers and structs; it is recognised (its
 * MSHV_CHECK_EXTENSION succeeds, upstream has no such ioctl) and refused
 * with -EPROTO and a one-line explanation.
 */
#define LOG_MOD "mshv"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "hv/mshv/mshv_priv.h"

/* EAGAIN means "the kernel deposited memory, try again"; bound it so a
 * broken kernel cannot spin us forever. */
#define MSHV_HVCALL_RETRIES 1024

/* Every ioctl the plugin may issue once the VMM is sandboxed: the run
 * loop, hypercalls (registers, properties, interrupts, translation), VP
 * state, VP creation (vCPU threads create their VP late), memory
 * (un)mapping, interrupt plumbing and the dirty bitmap.  The numbers are
 * reused across fd types, which the filter cannot tell apart anyway. */
static const unsigned long mshv_ioctl_allowlist[] = {
	MSHV_RUN_VP,
	MSHV_ROOT_HVCALL,
	MSHV_GET_VP_STATE,
	MSHV_SET_VP_STATE,
	MSHV_CREATE_VP,
	MSHV_SET_GUEST_MEMORY,
	MSHV_IRQFD,
	MSHV_IOEVENTFD,
	MSHV_SET_MSI_ROUTING,
	MSHV_GET_GPAP_ACCESS_BITMAP,
	/* A reboot or vm.create makes a new partition, sandboxed. */
	MSHV_CREATE_PARTITION,
	MSHV_INITIALIZE_PARTITION,
};

int mshv_ioctl(struct hv *hv, int fd, unsigned long req, void *arg)
{
	int ret;

	do {
		ret = hv->sys->ioctl(hv->sys->ctx, fd, req, arg);
	} while (ret == -EINTR);
	return ret;
}

int mshv_hvcall(struct hv *hv, int fd, uint16_t code, uint16_t reps, void *in,
		uint32_t in_sz, void *out, uint32_t out_sz, uint16_t *status)
{
	struct mshv_root_hvcall args;
	int ret, tries = 0;

	if (status)
		*status = 0;
	if (!in || in_sz < 8 || in_sz > MSHV_HVCALL_MAX_SZ ||
	    out_sz > MSHV_HVCALL_MAX_SZ || !out != !out_sz)
		return -EINVAL;
	do {
		memset(&args, 0, sizeof(args));
		args.code = code;
		args.reps = reps;
		args.in_sz = (uint16_t)in_sz;
		args.out_sz = (uint16_t)out_sz;
		args.in_ptr = (uint64_t)(uintptr_t)in;
		args.out_ptr = (uint64_t)(uintptr_t)out;
		ret = hv->sys->ioctl(hv->sys->ctx, fd, MSHV_ROOT_HVCALL, &args);
	} while ((ret == -EINTR || ret == -EAGAIN) &&
		 ++tries < MSHV_HVCALL_RETRIES);
	if (status)
		*status = args.status;
	if (ret < 0)
		return ret;
	if (args.status != HV_STATUS_SUCCESS)
		return -EIO; /* the kernel should have failed the ioctl */
	if (reps && args.reps != reps)
		return -EIO;
	return 0;
}

int mshv_set_property(struct hv_vm *vm, uint32_t code, uint64_t val)
{
	struct hv_input_set_partition_property in = {
		.property_code = code,
		.property_value = val,
	};
	uint16_t st;
	int ret;

	ret = mshv_hvcall(vm->hv, vm->fd, HVCALL_SET_PARTITION_PROPERTY, 0, &in,
			  sizeof(in), NULL, 0, &st);
	if (ret < 0)
		mshv_err(vm->hv,
			 "set partition property %#x = %#llx: %s (status %#x)",
			 code, (unsigned long long)val, strerror(-ret), st);
	return ret;
}

int mshv_get_property(struct hv_vm *vm, uint32_t code, uint64_t *val)
{
	struct hv_input_get_partition_property in = { .property_code = code };
	uint64_t out = 0;
	uint16_t st;
	int ret;

	ret = mshv_hvcall(vm->hv, vm->fd, HVCALL_GET_PARTITION_PROPERTY, 0, &in,
			  sizeof(in), &out, sizeof(out), &st);
	if (ret < 0) {
		mshv_debug(vm->hv,
			   "get partition property %#x: %s (status %#x)", code,
			   strerror(-ret), st);
		return ret;
	}
	*val = out;
	return 0;
}

/* --- probe / open --------------------------------------------------------- */

/* Open /dev/mshv and refuse the old ABI.  Returns the fd or -ENODEV /
 * -EACCES / -EPROTO / -errno. */
static int mshv_open_dev(const struct hv_host *h, const struct mshv_sys *sys)
{
	uint32_t cap = MSHV_OLD_CAP_CORE_API_STABLE;
	int fd, ret;

	fd = sys->open(sys->ctx, MSHV_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		mshv_log(h, HV_LOG_DEBUG, "cannot open %s: %s", MSHV_DEV_PATH,
			 strerror(-fd));
		if (fd == -ENOENT || fd == -ENODEV || fd == -ENXIO)
			return -ENODEV;
		if (fd == -EACCES || fd == -EPERM)
			return -EACCES;
		return fd;
	}
	/* Upstream has no ioctl with this number and answers ENOTTY; only
	 * the old out-of-tree driver implements it. */
	ret = sys->ioctl(sys->ctx, fd, MSHV_OLD_CHECK_EXTENSION, &cap);
	if (ret >= 0) {
		mshv_log(
			h, HV_LOG_ERR,
			"%s speaks the old out-of-tree MSHV ABI (pre-2024 Microsoft dom0 kernel); Nimbus needs the upstream /dev/mshv ABI of Linux 6.15 or later",
			MSHV_DEV_PATH);
		sys->close(sys->ctx, fd);
		return -EPROTO;
	}
	return fd;
}

int mshv_probe_with_sys(const struct hv_host *h, const struct mshv_sys *sys)
{
	int fd;

	if (!sys)
		return -EINVAL;
	fd = mshv_open_dev(h, sys);
	if (fd < 0)
		return fd;
	sys->close(sys->ctx, fd);
	return 0;
}

int mshv_open_with_sys(const struct hv_host *h, const struct mshv_sys *sys,
		       struct hv **out)
{
	struct hv *hv;
	int fd;

	if (!h || !sys || !out ||
	    h->size < offsetof(struct hv_host, gpa_to_hva) +
			      sizeof(h->gpa_to_hva) ||
	    !h->mmio || !h->pio || !h->gpa_to_hva)
		return -EINVAL;
	fd = mshv_open_dev(h, sys);
	if (fd < 0)
		return fd;
	hv = calloc(1, sizeof(*hv));
	if (!hv) {
		sys->close(sys->ctx, fd);
		return -ENOMEM;
	}
	hv->host = h;
	hv->sys = sys;
	hv->fd = fd;
	if (h->kick_signo <= 0)
		mshv_warn(hv,
			  "no kick signal: kicks cannot stop a running vCPU");
	*out = hv;
	return 0;
}

void mshv_close(struct hv *hv)
{
	if (!hv)
		return;
	if (hv->nr_vms)
		mshv_err(hv, "close with %u VMs alive", hv->nr_vms);
	hv->sys->close(hv->sys->ctx, hv->fd);
	free(hv);
}

int mshv_get_caps(struct hv *hv, struct hv_caps *caps)
{
	if (!caps)
		return -EINVAL;
	memset(caps, 0, sizeof(*caps));
	/* No PIO ioeventfd (the kernel refuses it) and no in-kernel irqchip
	 * pins on x86: the IOAPIC lives in userspace. */
	caps->flags = HV_CAP_IRQFD | HV_CAP_IOEVENTFD | HV_CAP_MSI_ROUTES |
		      HV_CAP_DIRTY_LOG | mshv_arch_caps();
	caps->max_vcpus = MSHV_MAX_VPS;
	caps->max_gsi = MSHV_MAX_GSI;
	caps->ipa_bits = mshv_arch_ipa_bits();
	return 0;
}

int mshv_get_ioctl_allowlist(struct hv *hv, const unsigned long **cmds,
			     size_t *n)
{
	if (!cmds || !n)
		return -EINVAL;
	*cmds = mshv_ioctl_allowlist;
	*n = sizeof(mshv_ioctl_allowlist) / sizeof(mshv_ioctl_allowlist[0]);
	return 0;
}

/* --- VM ------------------------------------------------------------------- */

int mshv_vm_initialize(struct hv_vm *vm)
{
	int ret;

	if (vm->initialized)
		return 0;
	ret = mshv_ioctl(vm->hv, vm->fd, MSHV_INITIALIZE_PARTITION, NULL);
	if (ret < 0) {
		mshv_err(vm->hv, "MSHV_INITIALIZE_PARTITION: %s",
			 strerror(-ret));
		return ret;
	}
	vm->initialized = true;
	ret = mshv_arch_vm_late(vm);
	if (ret < 0)
		return ret;
	return mshv_mem_replay(vm);
}

int mshv_vm_create(struct hv *hv, const struct hv_vm_config *cfg,
		   struct hv_vm **out)
{
	struct mshv_create_partition args = {
		.pt_flags = mshv_arch_pt_flags(),
		.pt_isolation = MSHV_PT_ISOLATION_NONE,
	};
	struct hv_vm *vm;
	bool init_now = false;
	int ret;

	if (!cfg || !out || cfg->size < offsetof(struct hv_vm_config, mem_size))
		return -EINVAL;
	if (!cfg->nr_vcpus || cfg->nr_vcpus > MSHV_MAX_VPS) {
		mshv_err(hv, "%u vCPUs requested, MSHV allows 1 to %u",
			 cfg->nr_vcpus, MSHV_MAX_VPS);
		return -EINVAL;
	}
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->hv = hv;
	vm->nr_vcpus_cfg = cfg->nr_vcpus;
	ret = mshv_ioctl(hv, hv->fd, MSHV_CREATE_PARTITION, &args);
	if (ret == -ENOTTY) {
		mshv_err(
			hv,
			"%s does not know MSHV_CREATE_PARTITION: not the upstream /dev/mshv ABI (Linux 6.15 or later)",
			MSHV_DEV_PATH);
		ret = -EPROTO;
		goto err_free;
	}
	if (ret < 0) {
		mshv_err(hv, "MSHV_CREATE_PARTITION: %s", strerror(-ret));
		goto err_free;
	}
	vm->fd = ret;
	ret = mshv_arch_vm_early(vm, cfg, &init_now);
	if (ret < 0)
		goto err_close;
	if (init_now) {
		ret = mshv_vm_initialize(vm);
		if (ret < 0)
			goto err_close;
	}
	hv->nr_vms++;
	*out = vm;
	return 0;

err_close:
	hv->sys->close(hv->sys->ctx, vm->fd);
	mshv_mem_free(vm);
err_free:
	free(vm);
	return ret;
}

/* Closing the partition fd (after every VP fd) destroys the partition and
 * releases its memory; there is no destroy ioctl. */
void mshv_vm_destroy(struct hv_vm *vm)
{
	uint32_t live;

	if (!vm)
		return;
	live = __atomic_load_n(&vm->nr_vcpus, __ATOMIC_ACQUIRE);
	if (live)
		mshv_err(vm->hv, "VM destroyed with %u vCPUs alive", live);
	vm->hv->sys->close(vm->hv->sys->ctx, vm->fd);
	mshv_mem_free(vm);
	vm->hv->nr_vms--;
	free(vm);
}
