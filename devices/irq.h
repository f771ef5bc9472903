/* SPDX-License-Identifier: Apache-2.0 */
/*
 * irq.h - interrupt lines and MSI routing as devices see them.
 *
 * A device owns `struct irq_line`s handed to it at creation and calls
 * irq_set_level()/irq_pulse().  A line is backed either by a callback
 * (an interrupt controller model such as the IOAPIC, which receives
 * (pin, level)) or by an eventfd bound to a GSI with the hypervisor's
 * irqfd (the line is then edge: each 0->1 transition or pulse writes the
 * eventfd).  Devices never touch the hypervisor.
 *
 * Interrupt controller models that translate pins into MSIs (IOAPIC,
 * MSI-X) reach the hypervisor's routing table through `struct msi_router`,
 * implemented by the VMM core.
 */
#ifndef NIMBUS_DEVICES_IRQ_H
#define NIMBUS_DEVICES_IRQ_H

#include <stdint.h>

typedef void irq_set_fn(void *opaque, uint32_t pin, int level);

struct irq_line {
	int efd; /* >= 0: eventfd; else use cb */
	irq_set_fn *cb;
	void *opaque;
	uint32_t pin;
	int level; /* last level set */
};

/* Initialise a line backed by a callback / by an eventfd (not owned). */
void irq_line_init_cb(struct irq_line *l, irq_set_fn *cb, void *opaque,
		      uint32_t pin);
void irq_line_init_efd(struct irq_line *l, int efd);

/* Set the line level.  Callback lines forward every change; eventfd
 * lines signal on 0->1.  Any thread.  Returns 0 or -errno from write. */
int irq_set_level(struct irq_line *l, int level);

/* Raise and lower at once (an edge).  Any thread. */
int irq_pulse(struct irq_line *l);

/*
 * The VMM core's routing table, as seen by interrupt controller models.
 * set() installs or replaces the MSI route for `gsi` and pushes the table
 * to the hypervisor; clear() removes it.  Return 0 or -errno.  Any thread
 * (the implementation serialises).
 */
struct msi_router {
	int (*set)(void *opaque, uint32_t gsi, uint64_t addr, uint32_t data);
	int (*clear)(void *opaque, uint32_t gsi);
	void *opaque;
};

#endif /* NIMBUS_DEVICES_IRQ_H */
