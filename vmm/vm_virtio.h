/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vm_virtio.h - the VM's virtio-pci devices, built from its config.
 *
 * virtio-rng is always present; virtio-console when --console is not off;
 * one virtio-blk per --disk.  Each device gets a virtio-pci transport on
 * the platform's PCI bus, MSI-X vectors (GSIs from 24 upward, each bound
 * to an eventfd with the hypervisor's irqfd) and MMIO ioeventfds for its
 * queue notifications.  PCI slots follow the config order, so BDFs are
 * stable across boots.
 */
#ifndef NIMBUS_VMM_VM_VIRTIO_H
#define NIMBUS_VMM_VM_VIRTIO_H

#include <stddef.h>
#include <stdint.h>

struct vm;

/* Create, add to the PCI bus and start every device of vm->cfg.  On
 * failure a one-line reason (naming the disk) is in err; devices already
 * made are left for vm_virtio_destroy.  Main thread, before vCPUs run. */
int vm_virtio_create(struct vm *vm, char *err, size_t errlen);

/* Stop and free every device.  Main thread, vCPUs stopped. */
void vm_virtio_destroy(struct vm *vm);

/* Host input for the virtio console; bytes taken.  Main thread. */
size_t vm_virtio_console_input(struct vm *vm, const uint8_t *buf, size_t len);

#endif /* NIMBUS_VMM_VM_VIRTIO_H */
