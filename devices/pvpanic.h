/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pvpanic.h - the pvpanic PCI device (QEMU's "pvpanic-pci", PCI 1b36:0011,
 * class 0x088000 "system peripheral, other"): a guest that panics writes
 * an event byte to BAR0 so the host learns about it without reading the
 * console.  Linux binds its pvpanic-pci driver to it.
 *
 * BAR0 is 16 bytes of MMIO.  Reading byte 0 returns the events the device
 * supports (PVPANIC_PANICKED | PVPANIC_CRASH_LOADED); writing byte 0
 * reports events.  Every other offset reads 0 and ignores writes.  Each
 * event bit is forwarded to the owner the first time the guest sets it
 * (a guest panics once per boot; a guest writing in a loop cannot flood
 * the host).
 */
#ifndef NIMBUS_DEVICES_PVPANIC_H
#define NIMBUS_DEVICES_PVPANIC_H

#include <stdint.h>

struct pci_dev;
struct pvpanic;

#define PVPANIC_VENDOR 0x1b36
#define PVPANIC_DEVICE 0x0011
#define PVPANIC_CLASS 0x088000
#define PVPANIC_BAR_SIZE 16u

#define PVPANIC_PANICKED (1u << 0) /* the guest panicked */
#define PVPANIC_CRASH_LOADED (1u << 1) /* a crash kernel took over */

struct pvpanic_cfg {
	/* New event bits (PVPANIC_*); vCPU thread.  May be NULL. */
	void (*event)(void *opaque, uint8_t events);
	void *opaque;
};

/* Create the device (config space and BAR0).  -ENOMEM.  Main thread. */
int pvpanic_create(const struct pvpanic_cfg *cfg, struct pvpanic **out);

/* The PCI function to hand to pci_bus_add_dev (owned by the device). */
struct pci_dev *pvpanic_pci_dev(struct pvpanic *p);

/* Event bits the guest has reported so far.  Any thread. */
uint8_t pvpanic_events(const struct pvpanic *p);

/* Free; after pci_bus_destroy.  NULL-safe.  Main thread. */
void pvpanic_destroy(struct pvpanic *p);

#endif /* NIMBUS_DEVICES_PVPANIC_H */
