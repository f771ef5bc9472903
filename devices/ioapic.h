/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ioapic.h - the x86 I/O APIC of the split irqchip (same on KVM and MSHV).
 *
 * A 24-pin I/O APIC at X86_IOAPIC_ADDR, reporting version 0x20 (the
 * PCI 2.2-era Intel I/O APIC, as in ICH chipsets and QEMU's default) with
 * the directed-EOI register at offset 0x40.  Version register value:
 * 0x00170020 (max redirection entry 23).  KVM's in-kernel model and Cloud
 * Hypervisor report 0x11 (82093AA, no EOI register); Linux then clears
 * Remote IRR by briefly switching an entry to edge, which this model also
 * honours.
 *
 * Registers: IOREGSEL (offset 0x00, 8 bits), IOWIN (0x10), EOI (0x40,
 * write the vector).  32-bit accesses only; other widths read all-ones and
 * are dropped (by the bus).  Other offsets in the page read 0 and ignore
 * writes; the EOI register reads 0.  Indirect registers: 0x00 ID (bits
 * 27:24), 0x01 version, 0x02 arbitration (reads the ID), 0x10-0x3f the
 * 24 redirection entries (low dword at 0x10 + 2 * pin).  IOWIN accesses
 * with IOREGSEL selecting anything else read 0xffffffff and ignore writes
 * (as KVM's model does; the 82093AA datasheet leaves them undefined) and
 * are logged rate-limited.  In an entry, delivery status (bit 12, always 0
 * here: messages leave at once) and Remote IRR (bit 14) are read-only and
 * bits 17-55 are reserved and read 0.  Writing an edge trigger mode clears
 * Remote IRR.
 *
 * Delivery: each pin p has an MSI route with gsi = p in the hypervisor
 * routing table, and (normally) an eventfd bound to gsi p with irqfd.  The
 * IOAPIC keeps the route in sync with the entry through cfg->router (set
 * when unmasked, clear when masked) and fires the pin by writing 1 to
 * pin_efd[p]; a pin without eventfd uses cfg->deliver(addr, data)
 * instead.  MSI translation (Intel SDM vol. 3, 11.11): address =
 * 0xfee00000 | dest << 12 | dest_mode(logical) << 2; data = vector |
 * delivery_mode << 8 | 1 << 14 (assert: the IOAPIC only sends asserts) |
 * trigger(level) << 15.  Edge pins fire on each 0->1 of the (polarity-
 * adjusted) input while unmasked.  Level pins fire while asserted with
 * Remote IRR clear and then set it; an EOI of the vector (ioapic_eoi or
 * the EOI register) clears it and fires again if still asserted.  A level
 * pin asserted while masked fires when unmasked.
 *
 * Thread safety: a state mutex guards registers and pin levels; pins may
 * be set and EOIs delivered from any thread.  Route updates are serialised
 * by a second mutex and call cfg->router without the state mutex held, so
 * a slow routing-table push never blocks pin changes.  While a pin's route
 * is being changed its eventfd is not written; a pending edge or asserted
 * level is delivered once the route is in place.  Eventfd writes and
 * cfg->deliver calls happen after the state mutex is released.
 */
#ifndef NIMBUS_DEVICES_IOAPIC_H
#define NIMBUS_DEVICES_IOAPIC_H

#include <stdint.h>

#include "arch/x86_64/layout.h"
#include "devices/bus.h"
#include "devices/irq.h"

#define IOAPIC_NR_PINS X86_IOAPIC_PINS
#define IOAPIC_VERSION 0x20u

/* Sends one MSI (address, data); used for pins without an eventfd. */
typedef void ioapic_deliver_fn(void *opaque, uint64_t addr, uint32_t data);

struct ioapic_cfg {
	/* The VMM's routing table; NULL = routes are not maintained. */
	const struct msi_router *router;
	/* Per pin: eventfd bound to gsi = pin with irqfd (not owned), or
	 * -1 to use `deliver`.  Call ioapic_cfg_init() first: 0 is a valid
	 * fd number. */
	int pin_efd[IOAPIC_NR_PINS];
	ioapic_deliver_fn *deliver; /* may be NULL: such pins never fire */
	void *opaque;
	uint8_t id; /* ID register value after reset (bits 3:0) */
};

/* Fill cfg with defaults: no router, every pin_efd -1, id 0. */
void ioapic_cfg_init(struct ioapic_cfg *cfg);

struct ioapic;

/*
 * Allocate an IOAPIC in its reset state (every entry masked).  The cfg is
 * copied; the router and eventfds must outlive the device.  Main thread.
 * Returns 0 with *out set, -EINVAL on NULL arguments, -ENOMEM.
 */
int ioapic_create(const struct ioapic_cfg *cfg, struct ioapic **out);

/*
 * Claim [base, base + X86_IOAPIC_SIZE) on the MMIO bus (normally at
 * X86_IOAPIC_ADDR).  Returns bus_register()'s result.
 */
int ioapic_attach(struct ioapic *io, struct bus *bus, uint64_t base);

/* Free the device.  NULL-safe.  Unregisters nothing and leaves the
 * routes in the router (the VMM tears its table down). */
void ioapic_destroy(struct ioapic *io);

/*
 * Reset: mask every entry (all other fields 0, Remote IRR clear), ID from
 * cfg, IOREGSEL 0, and clear every installed route.  Pin input levels are
 * wires and are kept.  Any thread; calls the router.
 */
void ioapic_reset(struct ioapic *io);

/*
 * Pin input with the irq_set_fn signature: opaque is the struct ioapic,
 * level is the electrical level (polarity is applied here).  Any thread.
 * Pins >= IOAPIC_NR_PINS are ignored (logged rate-limited).
 */
void ioapic_set_irq(void *opaque, uint32_t pin, int level);

/*
 * End of interrupt for `vector` (bits 7:0), e.g. from HV_EXIT_EOI on a
 * vCPU thread: clear Remote IRR of every level entry with that vector and
 * fire again those whose line is still asserted and unmasked.  Any thread.
 */
void ioapic_eoi(struct ioapic *io, uint32_t vector);

#endif /* NIMBUS_DEVICES_IOAPIC_H */
