/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio_pci.h - the modern (virtio 1.x) PCI transport.
 *
 * Wraps a virtio device into a PCI function (vendor 0x1af4, device
 * 0x1040 + device id) with one 64-bit memory BAR holding, at fixed
 * offsets, the common configuration, the ISR status, the device
 * configuration, the notification area (one 4-byte slot per queue) and the
 * MSI-X table and PBA (one vector per queue plus one for config changes),
 * each announced by a vendor-specific capability, plus the PCI
 * configuration access capability.  Features offered: the device's, plus
 * VERSION_1, EVENT_IDX and INDIRECT_DESC; ACCESS_PLATFORM never.
 *
 * Kicks: each queue's notify address gets an ioeventfd when the hypervisor
 * supports it (registered whenever the BAR is mapped, moved with it);
 * otherwise the notify write itself signals the same eventfd.  A worker
 * thread per device waits on those eventfds and calls ops->queue_notify.
 * Completions interrupt through MSI-X (irqfd).  A malformed queue sets
 * DEVICE_NEEDS_RESET; the VMM and other devices keep running.
 */
#ifndef NIMBUS_DEVICES_VIRTIO_PCI_H
#define NIMBUS_DEVICES_VIRTIO_PCI_H

#include <stdint.h>

#include "devices/irq.h"
#include "devices/pci/pci.h"
#include "devices/virtio/virtio.h"
#include "vmm/guest_mem.h"

struct sandbox;

#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040
#define VIRTIO_PCI_BAR 0 /* the one BAR (64-bit, uses slots 0-1) */

/* What the VMM lends the transport. */
struct virtio_pci_host {
	const struct guest_mem *mem;
	const struct msi_router *router;
	/*
	 * Reserve `n` consecutive GSIs, each bound with irqfd to a fresh
	 * eventfd; fills *gsi_base and efds[0..n).  The VMM owns and closes
	 * them.  -errno.  Main thread, at create.
	 */
	int (*alloc_vectors)(void *opaque, uint16_t n, uint32_t *gsi_base,
			     int *efds);
	/*
	 * (Un)register an MMIO ioeventfd: a guest write of `len` bytes at
	 * `addr` signals `fd` without an exit.  -EOPNOTSUPP when the
	 * hypervisor cannot; the transport then signals fd from the write.
	 * vCPU thread (BAR moves) or main thread.
	 */
	int (*ioeventfd)(void *opaque, uint64_t addr, uint32_t len, int fd,
			 int assign);
	/*
	 * Optional (may be NULL): the driver activated ("activated", after
	 * DRIVER_OK) or reset ("reset") device `vd`; for the event monitor.
	 * vCPU thread; must not block.
	 */
	void (*event)(void *opaque, struct virtio_dev *vd, const char *what);
	/* Seccomp filters: each worker installs its device kind's (NULL:
	 * none).  Must outlive the device. */
	const struct sandbox *sandbox;
	void *opaque;
};

/*
 * Create the transport for a device and its PCI function (returned by
 * virtio_pci_dev for pci_bus_add_dev).  `info`, `ops`, `dev_opaque` and
 * `host` must outlive it.  Queue sizes start at min(256,
 * info->queue_size_max).  -EINVAL bad info, -ENOMEM, or alloc_vectors'
 * error.  Main thread.
 */
int virtio_pci_create(const struct virtio_dev_info *info,
		      const struct virtio_dev_ops *ops, void *dev_opaque,
		      const struct virtio_pci_host *host,
		      struct virtio_dev **out);

/* The PCI function to add to the bus. */
struct pci_dev *virtio_pci_dev(struct virtio_dev *vd);

/* Start the worker thread.  -errno.  Main thread, before vCPUs run. */
int virtio_pci_start(struct virtio_dev *vd);

/* Stop the worker, unregister ioeventfds, free.  NULL-safe.  Main
 * thread, vCPUs stopped, after pci_bus_destroy (the pci_dev lives inside
 * vd and the bus calls it while unmapping).  The device (dev_opaque) is
 * freed by its owner afterwards. */
void virtio_pci_destroy(struct virtio_dev *vd);

/*
 * Details of the transport (additions to the contract above):
 * - info->features may hold device-type bits only (0-23, 50-63): a device
 *   offering a transport bit (24-49) is refused with -EINVAL.
 * - MSI-X has info->nr_queues + 1 vectors (GSIs from alloc_vectors); the
 *   driver picks the config and per-queue vectors, VIRTIO_MSI_NO_VECTOR
 *   (0xffff) meaning none.  A device reset (status 0) sets them back to
 *   none but leaves the MSI-X capability and table alone: those are PCI
 *   function state.  With MSI-X disabled only the ISR is set; there is no
 *   INTx line.
 * - queue_size may be set to any power of two up to
 *   info->queue_size_max before queue_enable; queue_enable checks the
 *   ring (vq_enable) and sets NEEDS_RESET if it is bad.
 * - virtio_pci_destroy resets the MSI-X state, so the router's clear()
 *   runs for the routes installed: the router must still work then.
 * - Kick ioeventfds are 2-byte (Linux writes the 16-bit queue index)
 *   without data match; other widths trap and are signalled by the
 *   notify handler.
 * - The PCI configuration access capability works both ways, but since
 *   pci_dev_ops has no read hook, pci_cfg_data holds the BAR value
 *   latched when the driver last wrote the capability's bar/offset/length
 *   or data; latching has no side effects (the ISR is not cleared by it).
 */

#endif /* NIMBUS_DEVICES_VIRTIO_PCI_H */
