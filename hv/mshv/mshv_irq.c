// SPDX-License-Identifier: Apache-2.0
/*
 * mshv_irq.c - interrupt plumbing of the MSHV plugin: the irqchip ops,
 * irqfds, ioeventfds and the MSI routing table.
 *
 * On x86 the hypervisor emulates the local APIC; the IOAPIC lives in the
 * VMM and reaches the guest as MSI routes driven by irqfds, exactly like
 * KVM's split irqchip.  The guest's EOI of a level-triggered vector comes
 * back as HVMSG_X64_APIC_EOI, reported as HV_EXIT_EOI.  The kernel's
 * resample fds match EOI vectors against GSI numbers, so they are refused
 * here (-EOPNOTSUPP): the EOI exit is the supported path.  Port I/O
 * ioeventfds do not exist in MSHV (-EOPNOTSUPP).
 */
#define LOG_MOD "mshv"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hv/mshv/mshv_priv.h"

int mshv_irqchip_create(struct hv_vm *vm, const struct hv_irqchip_config *cfg)
{
	int ret;

	if (!cfg || cfg->size < offsetof(struct hv_irqchip_config, reserved))
		return -EINVAL;
	if (vm->irqchip)
		return -EEXIST;
	if (__atomic_load_n(&vm->vcpus_created, __ATOMIC_ACQUIRE))
		return -EBUSY;
	memset(&vm->irqchip_cfg, 0, sizeof(vm->irqchip_cfg));
	memcpy(&vm->irqchip_cfg, cfg,
	       cfg->size < sizeof(*cfg) ? cfg->size : sizeof(*cfg));
	ret = mshv_arch_irqchip_create(vm, &vm->irqchip_cfg);
	if (ret < 0)
		return ret;
	vm->irqchip = true;
	return 0;
}

int mshv_irqchip_finalize(struct hv_vm *vm)
{
	return vm->irqchip ? 0 : -ENXIO;
}

int mshv_irq_line(struct hv_vm *vm, uint32_t gsi, int level)
{
	return mshv_arch_irq_line(vm, gsi, level);
}

int mshv_irqfd(struct hv_vm *vm, int efd, uint32_t gsi, int resample_efd,
	       int assign)
{
	struct mshv_user_irqfd req = { .fd = efd, .gsi = gsi };
	int ret;

	if (efd < 0 || gsi >= MSHV_MAX_GSI)
		return -EINVAL;
	if (assign && resample_efd >= 0) {
		mshv_debug(
			vm->hv,
			"irqfd gsi %u: resample fds are not supported, level interrupts end with HV_EXIT_EOI",
			gsi);
		return -EOPNOTSUPP;
	}
	if (!assign)
		req.flags = MSHV_IRQFD_FLAG_DEASSIGN;
	ret = mshv_ioctl(vm->hv, vm->fd, MSHV_IRQFD, &req);
	if (ret < 0)
		mshv_debug(vm->hv, "irqfd %s fd %d gsi %u: %s",
			   assign ? "assign" : "deassign", efd, gsi,
			   strerror(-ret));
	return ret < 0 ? ret : 0;
}

int mshv_ioeventfd(struct hv_vm *vm, const struct hv_ioeventfd *ioe, int assign)
{
	struct mshv_user_ioeventfd req = { 0 };
	int ret;

	if (!ioe || ioe->fd < 0)
		return -EINVAL;
	if (ioe->space == HV_IO_PIO)
		return -EOPNOTSUPP;
	if (ioe->space != HV_IO_MMIO)
		return -EINVAL;
	if (ioe->len != 0 && ioe->len != 1 && ioe->len != 2 && ioe->len != 4 &&
	    ioe->len != 8)
		return -EINVAL;
	if (ioe->has_datamatch &&
	    (!ioe->len || (ioe->len < 8 && (ioe->datamatch >> (ioe->len * 8)))))
		return -EINVAL;
	if (ioe->addr + ioe->len < ioe->addr)
		return -EINVAL;
	req.addr = ioe->addr;
	req.len = ioe->len;
	req.fd = ioe->fd;
	if (ioe->has_datamatch) {
		req.flags |= MSHV_IOEVENTFD_FLAG_DATAMATCH;
		req.datamatch = ioe->datamatch;
	}
	if (!assign)
		req.flags |= MSHV_IOEVENTFD_FLAG_DEASSIGN;
	ret = mshv_ioctl(vm->hv, vm->fd, MSHV_IOEVENTFD, &req);
	if (ret < 0)
		mshv_debug(vm->hv, "ioeventfd %s %#llx len %u: %s",
			   assign ? "assign" : "deassign",
			   (unsigned long long)ioe->addr, ioe->len,
			   strerror(-ret));
	return ret < 0 ? ret : 0;
}

/* Replace the kernel's whole routing table (it also re-binds irqfds). */
int mshv_set_routes(struct hv_vm *vm, const struct hv_route *r, uint32_t n)
{
	struct mshv_user_irq_table *tbl;
	uint32_t i, j;
	int ret = 0;

	if (n > MSHV_MAX_GSI || (n && !r))
		return -EINVAL;
	tbl = calloc(1, sizeof(*tbl) + (size_t)n * sizeof(tbl->entries[0]));
	if (!tbl)
		return -ENOMEM;
	tbl->nr = n;
	for (i = 0; i < n && !ret; i++) {
		if (r[i].gsi >= MSHV_MAX_GSI) {
			ret = -EINVAL;
			break;
		}
		for (j = 0; j < i; j++)
			if (r[j].gsi == r[i].gsi)
				ret = -EINVAL; /* each GSI once */
		if (!ret)
			ret = mshv_arch_route(vm, &r[i], &tbl->entries[i]);
	}
	if (!ret) {
		ret = mshv_ioctl(vm->hv, vm->fd, MSHV_SET_MSI_ROUTING, tbl);
		if (ret < 0)
			mshv_err(vm->hv,
				 "MSHV_SET_MSI_ROUTING (%u entries): %s", n,
				 strerror(-ret));
	}
	free(tbl);
	return ret < 0 ? ret : 0;
}

int mshv_signal_msi(struct hv_vm *vm, uint64_t addr, uint32_t data,
		    uint32_t devid)
{
	return mshv_arch_signal_msi(vm, addr, data, devid);
}
