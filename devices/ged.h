/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ged.h - the ACPI Generic Event Device (ACPI 6.5, 5.6.9): how a
 * hardware-reduced platform tells the guest about events such as a
 * power-button press.
 *
 * Hardware: one 32-bit register (GED_REG_SIZE bytes of MMIO) and one
 * interrupt line.  Notifying sets event bits and pulses the line (edge,
 * active high); a guest read of the register returns the pending bits and
 * clears them.  Writes are ignored.  Edge, as QEMU's and Cloud
 * Hypervisor's GEDs: a level line would leave the IOAPIC's remote IRR to
 * the guest's EOI, which never reaches the VMM while Linux keeps the pin
 * masked for its threaded handler (the masked pin's route is removed), so
 * Linux's free_irq at power-off would wait for it forever.  The DSDT (see
 * arch/x86_64/acpi.h) describes it as Device(GED) with _HID "ACPI0013",
 * the interrupt in _CRS, an OperationRegion over the register and an
 * _EVT method that reads it once and, for GED_EVT_POWER_BUTTON,
 * Notify(PWRB, 0x80) on the PNP0C0C power button device; Linux's button
 * driver turns that into KEY_POWER, which acpid or systemd-logind
 * answer with a clean shutdown.
 *
 * Thread-safety: ged_notify from any thread, register reads on vCPU
 * threads; one mutex guards the pending bits.
 */
#ifndef NIMBUS_DEVICES_GED_H
#define NIMBUS_DEVICES_GED_H

#include <stdint.h>

#include "devices/bus.h"
#include "devices/irq.h"

#define GED_REG_SIZE 4u
#define GED_MMIO_SIZE 0x1000u /* the range claimed on the bus */

/* Event bits (the same values Cloud Hypervisor's GED uses). */
#define GED_EVT_CPU_HOTPLUG (1u << 0)
#define GED_EVT_PCI_HOTPLUG (1u << 1)
#define GED_EVT_MEM_HOTPLUG (1u << 2)
#define GED_EVT_POWER_BUTTON (1u << 3)

struct ged;

struct ged_cfg {
	struct irq_line *irq; /* the GED interrupt, owned by the caller */
};

/* Allocate the device.  -EINVAL without an irq, -ENOMEM.  Main thread. */
int ged_create(const struct ged_cfg *cfg, struct ged **out);

/* Claim [base, base + GED_MMIO_SIZE) on `mmio`.  bus_register's result. */
int ged_attach(struct ged *g, struct bus *mmio, uint64_t base);

/* Raise `events` (GED_EVT_* bits): pending |= events, then an edge on
 * the line.  Any thread.  0 or the irq line's -errno. */
int ged_notify(struct ged *g, uint32_t events);

/* Pending bits without clearing them (tests, diagnostics). */
uint32_t ged_pending(struct ged *g);

/* Free (NULL-safe); the caller unregisters the range first. */
void ged_destroy(struct ged *g);

#endif /* NIMBUS_DEVICES_GED_H */
