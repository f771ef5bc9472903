// SPDX-License-Identifier: Apache-2.0
/*
 * vm_virtio.c - virtio-pci devices of a VM.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <unistd.h>

#define LOG_MOD "vm"
#include "devices/pci/pci.h"
#include "devices/virtio/net_tap.h"
#include "devices/virtio/virtio_blk.h"
#include "devices/virtio/virtio_console.h"
#include "devices/virtio/virtio_net.h"
#include "devices/virtio/virtio_pmem.h"
#include "devices/virtio/virtio_pci.h"
#include "devices/virtio/virtio_rng.h"
#include "devices/virtio/virtio_vsock.h"
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

/* A NIC: the device and the TAP whose fds it uses. */
struct vm_net {
	struct vnet *n;
	struct net_tap *tap;
};

/* A pmem device and where the VMM mapped it. */
struct vm_pmem {
	struct vpmem *p;
	struct vm *vm;
	uint64_t gpa;
	int mapped; /* in the hypervisor */
};

static void vm_pmem_free(struct vm_pmem *w)
{
	struct vm *vm = w->vm;

	/* The guest_mem entry stays until guest_mem_destroy (lookups are
	 * lock-free); nothing translates guest addresses any more. */
	if (w->mapped)
		vm->ops->unmap_memory(vm->hvm, w->gpa, vpmem_size(w->p));
	vpmem_destroy(w->p);
	free(w);
}

static void vm_net_free(struct vm_net *w)
{
	vnet_destroy(w->n);
	net_tap_close(w->tap);
	free(w);
}

static void destroy_model(int kind, void *dev)
{
	switch (kind) {
	case VM_VDEV_NET:
		vm_net_free(dev);
		break;
	case VM_VDEV_VSOCK:
		vsock_destroy(dev);
		break;
	case VM_VDEV_PMEM:
		vm_pmem_free(dev);
		break;
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

static int add_device_as(struct vm *vm, const struct virtio_dev_info *info,
			 const struct virtio_dev_ops *ops, void *opaque,
			 void *dev, int kind, char *err, size_t errlen)
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
	ret = virtio_pci_create(info, ops, opaque, &vm->vhost, &v->vd);
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

/* The common case: the model is also the ops' opaque. */
static int add_device(struct vm *vm, const struct virtio_dev_info *info,
		      const struct virtio_dev_ops *ops, void *dev, int kind,
		      char *err, size_t errlen)
{
	return add_device_as(vm, info, ops, dev, dev, kind, err, errlen);
}

/* Stop a device's own threads (before its transport goes). */
static void stop_model(int kind, void *dev)
{
	if (kind == VM_VDEV_NET)
		vnet_stop(((struct vm_net *)dev)->n);
	else if (kind == VM_VDEV_VSOCK)
		vsock_stop(dev);
}

/* ---- network and host channels ---- */

static int net_set_offload(void *opaque, unsigned int tun_flags)
{
	return net_tap_set_offload(opaque, tun_flags);
}

static int net_set_queue(void *opaque, uint16_t pair, int attach)
{
	return net_tap_set_queue(opaque, pair, attach);
}

static const struct vnet_backend_ops net_bops = {
	.set_offload = net_set_offload,
	.set_queue = net_set_queue,
};

static int create_net(struct vm *vm, const struct net_config *nc, char *err,
		      size_t errlen)
{
	static const uint8_t zero[6];
	uint16_t pairs = nc->num_queues ? nc->num_queues / 2 : 1;
	struct net_tap_cfg tcfg = {
		.name = nc->tap,
		.fds = nc->fds,
		.nr_fds = nc->nr_fds,
		.nr_queues = pairs,
		.ip = nc->ip,
		.mask = nc->mask,
		.has_ip = nc->has_ip,
		.has_mask = nc->has_mask,
		.has_host_mac = nc->has_host_mac,
		.mtu = nc->mtu,
	};
	struct vnet_cfg ncfg = {
		.nr_pairs = pairs,
		.queue_size = nc->queue_size,
		.mtu = nc->mtu,
		.offload_csum = nc->offload_csum,
		.offload_tso = nc->offload_tso,
		.offload_ufo = nc->offload_ufo,
		.id = nc->id,
		.bops = &net_bops,
		.sandbox = vm->sandbox,
	};
	int fds[NET_TAP_MAX_QUEUES];
	struct vm_net *w;
	struct vnet *n;
	unsigned int i;
	int ret;

	memcpy(tcfg.host_mac, nc->host_mac, 6);
	memcpy(ncfg.mac, nc->mac, 6);
	/* The CLI fills a random MAC; a config from elsewhere may not. */
	if (!nc->has_mac && !memcmp(ncfg.mac, zero, 6)) {
		if (getrandom(ncfg.mac, 6, 0) != 6)
			ncfg.mac[5] = (uint8_t)vm->nr_vdevs;
		ncfg.mac[0] = (uint8_t)((ncfg.mac[0] & 0xfe) | 0x02);
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, errlen, "net %s: out of memory", nc->id);
		return -ENOMEM;
	}
	ret = net_tap_open(&tcfg, &w->tap, err, errlen);
	if (ret)
		goto err_free;
	for (i = 0; i < pairs; i++)
		fds[i] = net_tap_fd(w->tap, i);
	ncfg.fds = fds;
	ncfg.bopaque = w->tap;
	ret = vnet_create(&ncfg, &w->n, err, errlen);
	if (ret)
		goto err_free;
	log_info("net %s: tap %s", nc->id ? nc->id : "", net_tap_name(w->tap));
	n = w->n; /* add_device owns w from here */
	ret = add_device_as(vm, vnet_info(n), vnet_ops(), n, w, VM_VDEV_NET,
			    err, errlen);
	if (ret)
		return ret;
	vm->vdevs[vm->nr_vdevs - 1].id = nc->id;
	if (nc->id) {
		ret = vm_counters_add(vm, nc->id, vnet_dev_counters(n));
		if (ret) {
			snprintf(err, errlen, "net %s: counters: %s", nc->id,
				 strerror(-ret));
			return ret;
		}
	}
	return 0;

err_free:
	vm_net_free(w);
	return ret;
}

/*
 * One --pmem: map the file at *next in the device window (then advance
 * *next past it, 2 MiB aligned), into the hypervisor and into guest_mem
 * so that devices can use guest buffers that live in pmem (DAX pages
 * handed to virtio-blk or virtio-net).
 */
static int create_pmem(struct vm *vm, const struct pmem_config *pc,
		       uint64_t *next, uint64_t win_end, char *err,
		       size_t errlen)
{
	struct vpmem_cfg pcfg = {
		.path = pc->file,
		.size = pc->size,
		.discard_writes = pc->discard_writes,
		.id = pc->id,
	};
	struct vm_pmem *w;
	uint64_t size;
	int ret;

	w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, errlen, "pmem %s: out of memory", pc->file);
		return -ENOMEM;
	}
	w->vm = vm;
	ret = vpmem_create(&pcfg, &w->p, err, errlen);
	if (ret) {
		free(w);
		return ret;
	}
	size = vpmem_size(w->p);
	w->gpa = (*next + VPMEM_ALIGN - 1) & ~(VPMEM_ALIGN - 1);
	if (w->gpa < *next || size > win_end - w->gpa) {
		snprintf(err, errlen,
			 "pmem %s: no room for %llu MiB in the device window",
			 pc->file, (unsigned long long)(size >> 20));
		ret = -ENOSPC;
		goto err_free;
	}
	ret = vm->ops->map_memory(vm->hvm, w->gpa, size, vpmem_host_addr(w->p),
				  HV_MEM_READ | HV_MEM_WRITE | HV_MEM_EXEC);
	if (ret) {
		snprintf(err, errlen,
			 "pmem %s: hypervisor refused the mapping at %#llx: %s",
			 pc->file, (unsigned long long)w->gpa, strerror(-ret));
		goto err_free;
	}
	w->mapped = 1;
	ret = guest_mem_add_external(&vm->mem, w->gpa, size,
				     vpmem_host_addr(w->p));
	if (ret) {
		snprintf(err, errlen, "pmem %s: cannot add guest memory: %s",
			 pc->file, strerror(-ret));
		goto err_free;
	}
	vpmem_set_gpa(w->p, w->gpa);
	*next = w->gpa + size;
	log_info("pmem %s at %#llx", pc->id ? pc->id : pc->file,
		 (unsigned long long)w->gpa);
	ret = add_device_as(vm, vpmem_info(w->p), vpmem_ops(), w->p, w,
			    VM_VDEV_PMEM, err, errlen);
	if (!ret)
		vm->vdevs[vm->nr_vdevs - 1].id = pc->id;
	return ret;

err_free:
	vm_pmem_free(w);
	return ret;
}

/* --net, --vsock and --pmem devices, in that order. */
static int create_host_channels(struct vm *vm, char *err, size_t errlen)
{
	const struct vm_config *cfg = vm->cfg;
	unsigned int i;
	int ret;

	for (i = 0; i < cfg->nr_nets; i++) {
		ret = create_net(vm, &cfg->nets[i], err, errlen);
		if (ret)
			return ret;
	}
	if (cfg->vsock.cid) {
		struct vsock_cfg vcfg = {
			.guest_cid = cfg->vsock.cid,
			.path = cfg->vsock.socket,
			.id = cfg->vsock.id,
			.sandbox = vm->sandbox,
		};
		struct vsock *vs;

		ret = vsock_create(&vcfg, &vs, err, errlen);
		if (ret)
			return ret;
		ret = add_device(vm, vsock_info(vs), vsock_ops(), vs,
				 VM_VDEV_VSOCK, err, errlen);
		if (ret)
			return ret;
		vm->vdevs[vm->nr_vdevs - 1].id = cfg->vsock.id ? cfg->vsock.id :
								 "_vsock";
	}
	if (cfg->nr_pmems) {
		uint64_t base, size, end;

		ret = arch_device_window(vm->arch, &base, &size);
		if (ret) {
			snprintf(
				err, errlen,
				"--pmem: this platform has no device memory window");
			return ret;
		}
		end = base + size;
		for (i = 0; i < cfg->nr_pmems; i++) {
			ret = create_pmem(vm, &cfg->pmems[i], &base, end, err,
					  errlen);
			if (ret)
				return ret;
		}
	}
	return 0;
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
	return create_host_channels(vm, err, errlen);
}

void vm_virtio_destroy(struct vm *vm)
{
	unsigned int i;

	/* Device threads first, then the transports: both call into the
	 * transport (interrupts) and the device. */
	for (i = 0; i < vm->nr_vdevs; i++)
		stop_model(vm->vdevs[i].kind, vm->vdevs[i].dev);
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
