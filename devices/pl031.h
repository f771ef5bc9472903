/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pl031.h - an ARM PrimeCell PL031 real-time clock on the MMIO bus.
 *
 * A 32-bit seconds counter that follows the host's wall clock from the
 * moment the device is created (CLOCK_REALTIME plus an offset the guest
 * changes by writing the load register), a match register whose equality
 * with the counter raises the interrupt, and the PrimeCell
 * identification registers (part 0x031).  The model has no timer of its
 * own: the platform asks pl031_next_event_ns() when the next match falls
 * due, arms a timer for it and calls pl031_tick() when it fires; the
 * `rearm` hook tells the platform that the answer changed.
 *
 * Locking: a per-device mutex; the irq line is driven with it held; the
 * rearm hook is called with it released.
 */
#ifndef NIMBUS_DEVICES_PL031_H
#define NIMBUS_DEVICES_PL031_H

#include <stdint.h>

#include "devices/bus.h"
#include "devices/irq.h"

#define PL031_SIZE 0x1000u

struct pl031;

struct pl031_cfg {
	struct irq_line *irq; /* not owned; may be NULL */
	/* Wall-clock time in ns since the epoch; NULL = CLOCK_REALTIME.
	 * (Tests inject a fake clock.) */
	int64_t (*now_ns)(void *opaque);
	void *now_opaque;
	/* Optional: pl031_next_event_ns() changed; any thread. */
	void (*rearm)(void *opaque);
	void *rearm_opaque;
};

/* Allocate; the counter starts at the host's time.  0, -EINVAL, -ENOMEM.
 * Setup thread. */
int pl031_create(const struct pl031_cfg *cfg, struct pl031 **out);
/* Claim [base, base + PL031_SIZE) on the MMIO bus. */
int pl031_attach(struct pl031 *r, struct bus *mmio, uint64_t base);
/* Free (NULL-safe); unregistered by the caller first. */
void pl031_destroy(struct pl031 *r);

/*
 * When the match interrupt falls due next, as wall-clock ns since the
 * epoch in *when (in the past when it is due already).  0, or -ENOENT when
 * no event is pending (interrupt already raised).  Any thread.
 */
int pl031_next_event_ns(struct pl031 *r, int64_t *when);

/* Re-evaluate the match against the current time and raise the interrupt
 * when due.  Any thread (the platform's timer callback). */
void pl031_tick(struct pl031 *r);

#endif /* NIMBUS_DEVICES_PL031_H */
