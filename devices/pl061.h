/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pl061.h - an ARM PrimeCell PL061 GPIO controller (8 lines) on the MMIO
 * bus.
 *
 * Models GPIODATA with its address-bit masking, direction, the interrupt
 * sense/both-edges/event/mask registers, raw and masked status, clear, the
 * mode-control register and the PrimeCell identification registers (part
 * 0x061).  The VMM drives the input lines with pl061_set_input(); the
 * platform wires line 3 to a gpio-keys KEY_POWER node so that a power
 * button press reaches the guest as a key event.  The interrupt output is
 * the OR of the masked status (GPIOINTR).
 *
 * Locking: a per-device mutex; the irq line is driven with it held.
 */
#ifndef NIMBUS_DEVICES_PL061_H
#define NIMBUS_DEVICES_PL061_H

#include <stdint.h>

#include "devices/bus.h"
#include "devices/irq.h"

#define PL061_SIZE 0x1000u
#define PL061_NR_LINES 8u

struct pl061;

struct pl061_cfg {
	struct irq_line *irq; /* not owned; may be NULL */
};

/* Allocate with every line an input at level 0.  0, -EINVAL, -ENOMEM. */
int pl061_create(const struct pl061_cfg *cfg, struct pl061 **out);
/* Claim [base, base + PL061_SIZE) on the MMIO bus. */
int pl061_attach(struct pl061 *g, struct bus *mmio, uint64_t base);
/* Free (NULL-safe); unregistered by the caller first. */
void pl061_destroy(struct pl061 *g);

/*
 * Drive external input `line` (0..7) to `level` (0 or 1), detecting edges
 * and levels as the guest configured them.  -EINVAL for a bad line.  Any
 * thread.  A line the guest made an output ignores its input.
 */
int pl061_set_input(struct pl061 *g, unsigned int line, int level);

#endif /* NIMBUS_DEVICES_PL061_H */
