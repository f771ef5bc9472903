/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pl011.h - an ARM PrimeCell PL011 UART on the MMIO bus (4 KiB window).
 *
 * Models the registers Linux's amba-pl011 driver and its earlycon use: DR,
 * RSR/ECR, FR, ILPR, IBRD, FBRD, LCR_H, CR, IFLS, IMSC, RIS, MIS, ICR,
 * DMACR and the PrimeCell identification registers (part 0x011).  The
 * receive FIFO holds 32 characters with LCR_H.FEN set and one without;
 * transmission is instantaneous, so the transmit FIFO always reads empty
 * and each write to DR raises the transmit interrupt (cleared by ICR).
 * The receive timeout interrupt is raised as soon as data waits (the model
 * has no bit clock).  The interrupt output is the OR of the masked
 * interrupt status (UARTINTR).  Loopback (CR.LBE) feeds transmitted bytes
 * back into the receive FIFO.  Registers accept 1, 2 and 4-byte accesses;
 * Linux uses 16-bit ones.
 *
 * Locking: register accesses (vCPU threads) and pl011_rx() (main thread)
 * serialise on a per-device mutex; the irq line is driven with it held.
 * tx() and rx_space() are called with it released.
 */
#ifndef NIMBUS_DEVICES_PL011_H
#define NIMBUS_DEVICES_PL011_H

#include <stddef.h>
#include <stdint.h>

#include "devices/bus.h"
#include "devices/irq.h"

#define PL011_SIZE 0x1000u
#define PL011_FIFO_SIZE 32u

struct pl011;

struct pl011_cfg {
	struct irq_line *irq; /* not owned; may be NULL */
	/* Bytes the guest transmits (not in loopback); vCPU thread; may be
	 * NULL (output dropped). */
	void (*tx)(void *opaque, const uint8_t *buf, size_t len);
	/* Optional: pl011_rx() may accept more now (the guest read data,
	 * enabled the receiver or reset the device). */
	void (*rx_space)(void *opaque);
	void *opaque;
};

/* Allocate a UART in its reset state; cfg is copied.  0, -EINVAL (NULL
 * cfg/out), -ENOMEM.  Setup thread. */
int pl011_create(const struct pl011_cfg *cfg, struct pl011 **out);

/* Claim [base, base + PL011_SIZE) on the MMIO bus.  bus_register's
 * result.  Setup thread. */
int pl011_attach(struct pl011 *u, struct bus *mmio, uint64_t base);

/* Free the device (NULL-safe); the caller unregistered it first. */
void pl011_destroy(struct pl011 *u);

/*
 * Host input: push up to len bytes into the receive FIFO; returns how
 * many were taken (0 while the UART or its receiver is disabled, or in
 * loopback).  Raises the receive interrupts as configured.  Any thread;
 * never calls tx()/rx_space().
 */
size_t pl011_rx(struct pl011 *u, const uint8_t *buf, size_t len);

#endif /* NIMBUS_DEVICES_PL011_H */
