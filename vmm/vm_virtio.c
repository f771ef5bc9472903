// SPDX-License-Identifier: Apache-2.0
/*
 * vm_virtio.c - virtio-pci devices of a VM.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define LOG_MOD "vm"
#include "devices/pci/pci.h"
#include "devices/virtio/virtio_blk.h"
#include "devices/virtio/virtio_console.h"
#include "devices/virtio/virtio_pci.h"
#include "devices/virtio/virtio_rng.h"
#include "hv/hv_call.h"
#include "vmm/log.h"
#include "vmm/evmon.h"
#include "vmm/vm.h"
#include "vmm/vm_virtio.h"

/* First GSI for MSI-X vectors: 0..23 are the IOAPIC's pins. */
#define VM_GSI_MSI_BASE 24u

static int alloc_vectors(void *opaque, uint16_t n, uint32_t *gsi_base,
			 int *efds)
{
	struct vm *vm = opaque;
	uint32_t base = vm->next_gsi ? vm->next_gsi : VM_GSI_MSI_BASE;
	uint16_t i;
	int ret;

	if (vm->caps.max_gsi && base + n > vm->caps.max_gsi)
		return -ENOSPC;
	for (i = 0; i < n; i++) {
		ret = vm->ah.irqfd_new(vm, base + i, &efds[i]);
		if (ret)
			return ret; /* eventfds made so far are the VM's */
	}
	vm->next_gsi = base + n;
	*gsi_base = base;
	return 0;
}

static int ioeventfd(void *opaque, uint64_t addr, uint32_t len, int fd,
		     int assign)
{
	struct vm *vm = opaque;
	struct hv_ioeventfd ioe = {
		.space = HV_IO_MMIO,
		.len = len,
		.addr = addr,
		.fd = fd,
	};

	if (!(vm->caps.flags & HV_CAP_IOEVENTFD))
		return -EOPNOTSUPP;
	return HV_CALL(vm->ops, ioeventfd, vm->hvm, &ioe, assign);
}

static void vcon_tx(void *opaque, const uint8_t *buf, size_t len)
{
	struct vm *vm = opaque;

	if (vm->vcon_tx)
		vm->vcon_tx(vm->vcon_opaque, buf, len);
}

static void vcon_rx_space(void *opaque)
{
	struct vm *vm = opaque;

	if (vm->vcon_rx_space)
		vm->vcon_rx_space(vm->vcon_opaque);
}

static void destroy_model(int kind, void *dev)
{
	switch (kind) {
	case VM_VDEV_RNG:
		vrng_destroy(dev);
		break;
	case VM_VDEV_CONSOLE:
		vcon_destroy(dev);
		break;
	case VM_VDEV_BLOCK:
		vblk_destroy(dev);
		break;
	}
}

/* Wrap one device model into a transport on the PCI bus and start it.
 * Takes ownership of `dev` whatever happens. */
/* A device was activated or reset by its driver: an event. */
static void vdev_event(void *opaque, struct virtio_dev *vd, const char *what)
{
	struct vm *vm = opaque;
	unsigned int i;

	for (i = 0; i < vm->nr_vdevs; i++)
		if (vm->vdevs[i].vd == vd && vm->vdevs[i].id)
			evmon_emit(vm->evmon, "virtio-device", what, "id",
				   vm->vdevs[i].id, NULL);
}

static int add_device(struct vm *vm, const struct virtio_dev_info *info,
		      const struct virtio_dev_ops *ops, void *dev, int kind,
		      char *err, size_t errlen)
{
	uint32_t gsi0;
	struct vm_vdev *v;
	uint8_t devfn;
	int ret;

	if (vm->nr_vdevs >= VM_MAX_VDEVS) {
		destroy_model(kind, dev);
		snprintf(err, errlen, "too many virtio devices");
		return -ENOSPC;
	}
	v = &vm->vdevs[vm->nr_vdevs];
	v->kind = kind;
	v->dev = dev;
	vm->nr_vdevs++;
	gsi0 = vm->next_gsi ? vm->next_gsi : VM_GSI_MSI_BASE;
	ret = virtio_pci_create(info, ops, dev, &vm->vhost, &v->vd);
	if (ret) {
		snprintf(err, errlen, "%s: cannot create the transport: %s",
			 info->name, strerror(-ret));
		return ret;
	}
	ret = pci_bus_add_dev(vm->pci, virtio_pci_dev(v->vd), -1, &devfn);
	if (ret) {
		snprintf(err, errlen, "%s: no room on the PCI bus: %s",
			 info->name, strerror(-ret));
		return ret;
	}
	v->devfn = devfn;
	/* alloc_vectors handed this device [gsi0, next_gsi). */
	v->gsi_base = gsi0;
	v->nr_gsi = vm->next_gsi > gsi0 ? vm->next_gsi - gsi0 : 0;
	ret = virtio_pci_start(v->vd);
	if (ret)
		snprintf(err, errlen, "%s: cannot start its worker: %s",
			 info->name, strerror(-ret));
	else
		log_info("%s at 00:%02x.%x", info->name, devfn >> 3, devfn & 7);
	return ret;
}

int vm_virtio_create(struct vm *vm, char *err, size_t errlen)
{
	const struct vm_config *cfg = vm->cfg;
	unsigned int i;
	int ret;

	vm->pci = arch_pci_bus(vm->arch);
	if (!vm->pci)
		return 0; /* this platform has no PCI bus */
	vm->vhost = (struct virtio_pci_host){
		.mem = &vm->mem,
		.router = &vm->router,
		.alloc_vectors = alloc_vectors,
		.ioeventfd = ioeventfd,
		.event = vdev_event,
		.sandbox = vm->sandbox,
		.opaque = vm,
	};
	{
		struct vrng *r;

		ret = vrng_create(cfg->rng.src ? cfg->rng.src : "/dev/urandom",
				  &r);
		if (ret) {
			snprintf(err, errlen, "--rng src=%s: %s",
				 cfg->rng.src ? cfg->rng.src : "/dev/urandom",
				 strerror(-ret));
			return ret;
		}
		ret = add_device(vm, vrng_info(), vrng_ops(), r, VM_VDEV_RNG,
				 err, errlen);
		if (ret)
			return ret;
		vm->vdevs[vm->nr_vdevs - 1].id = "_rng";
	}
	if (cfg->console.mode != CONSOLE_OFF) {
		struct vcon_cfg ccfg = {
			.tx = vcon_tx,
			.rx_space = vcon_rx_space,
			.opaque = vm,
		};
		struct vcon *c;

		ret = vcon_create(&ccfg, &c);
		if (ret) {
			snprintf(err, errlen, "virtio-console: %s",
				 strerror(-ret));
			return ret;
		}
		vm->vcon = c;
		ret = add_device(vm, vcon_info(c), vcon_ops(), c,
				 VM_VDEV_CONSOLE, err, errlen);
		if (ret)
			return ret;
		vm->vdevs[vm->nr_vdevs - 1].id = "_console";
	}
	for (i = 0; i < cfg->nr_disks; i++) {
		const struct disk_config *d = &cfg->disks[i];
		struct vblk_cfg bcfg = {
			.path = d->path,
			.readonly = d->readonly,
			.direct = d->direct,
			.num_queues = d->num_queues,
			.queue_size = d->queue_size,
			.id = d->id,
			.serial = d->serial,
			.io_engine = d->io_engine,
		};
		struct vblk *b;

		ret = vblk_create(&bcfg, &b, err, errlen);
		if (ret)
			return ret;
		ret = add_device(vm, vblk_info(b), vblk_ops(), b, VM_VDEV_BLOCK,
				 err, errlen);
		if (ret)
			return ret;
		vm->vdevs[vm->nr_vdevs - 1].id = d->id;
		ret = vm_counters_add(vm, d->id, vblk_dev_counters(b));
		if (ret) {
			snprintf(err, errlen, "disk %s: counters: %s", d->id,
				 strerror(-ret));
			return ret;
		}
	}
	return 0;
}

void vm_virtio_destroy(struct vm *vm)
{
	unsigned int i;

	/* Transports first: they stop the workers that call the devices. */
	for (i = 0; i < vm->nr_vdevs; i++) {
		virtio_pci_destroy(vm->vdevs[i].vd);
		vm->vdevs[i].vd = NULL;
	}
	for (i = 0; i < vm->nr_vdevs; i++)
		destroy_model(vm->vdevs[i].kind, vm->vdevs[i].dev);
	vm->nr_vdevs = 0;
	vm->vcon = NULL;
}

size_t vm_virtio_console_input(struct vm *vm, const uint8_t *buf, size_t len)
{
	if (!vm->vcon)
		return len; /* no virtio console: input is discarded */
	return vcon_rx(vm->vcon, buf, len);
}
