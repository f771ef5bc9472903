/* SPDX-License-Identifier: Apache-2.0 */
/*
 * serial_8250.h - a 16550A UART on the PIO bus (COM1 at 0x3f8, IRQ 4).
 *
 * The device models the eight byte-wide registers of a 16550A: RBR/THR,
 * IER, IIR/FCR, LCR (with the divisor latch behind DLAB), MCR (loopback,
 * OUT2), LSR, MSR and SCR, a 16-byte receive FIFO with trigger levels
 * 1/4/8/14, and the four interrupt sources in hardware priority order.
 * Transmission is instantaneous: THR and the shift register are always
 * empty again by the time the guest reads LSR, so THRE and TEMT read 1.
 * A receive FIFO holding fewer bytes than the trigger level reports the
 * character-timeout interrupt at once (the model has no bit clock).
 *
 * As on PC serial cards the interrupt pin reaches the interrupt controller
 * only while MCR.OUT2 is set (Linux sets it whenever the port has an IRQ).
 * In loopback mode the OUT2 pin is forced inactive, so the line stays low
 * even though IIR keeps reporting the pending source.
 *
 * Locking: register accesses (vCPU threads) and uart8250_rx() (main
 * thread) serialise on a per-device mutex.  The irq line is driven with
 * that mutex held, so the irq callback must not call back into this
 * device (an interrupt controller never does).  tx() and rx_space() are
 * called with the state mutex released, so they may call uart8250_rx();
 * tx() runs under a second mutex that only keeps bytes from concurrent
 * vCPUs in THR order.
 */
#ifndef NIMBUS_DEVICES_SERIAL_8250_H
#define NIMBUS_DEVICES_SERIAL_8250_H

#include <stddef.h>
#include <stdint.h>

#include "devices/bus.h"
#include "devices/irq.h"

#define UART8250_NR_PORTS 8u
#define UART8250_FIFO_SIZE 16u

struct uart8250;

struct uart8250_cfg {
	struct irq_line *irq; /* not owned; may be NULL (no interrupts) */
	/* Bytes the guest transmits (not in loopback).  vCPU thread.  May
	 * be NULL: output is dropped. */
	void (*tx)(void *opaque, const uint8_t *buf, size_t len);
	/* Optional: the receive FIFO may have gained room (the guest read a
	 * byte, wrote FCR, left loopback, or the device was reset), so
	 * uart8250_rx() may accept more.  A backend that stops feeding input
	 * when uart8250_rx() takes less than offered waits for this.  vCPU
	 * thread, or the uart8250_reset() caller. */
	void (*rx_space)(void *opaque);
	void *opaque;
};

/*
 * Allocate a UART in its power-on state; cfg is copied (the irq line it
 * points to must outlive the device).  Returns 0 and *out, -EINVAL for a
 * NULL cfg/out, -ENOMEM.  Setup thread.
 */
int uart8250_create(const struct uart8250_cfg *cfg, struct uart8250 **out);

/*
 * Claim [base, base+8) on the PIO bus; the bus accepts 1-byte accesses
 * only.  Returns bus_register's result.  Setup thread.
 */
int uart8250_attach(struct uart8250 *u, struct bus *pio, uint16_t base);

/* Free the device (NULL-safe).  The caller unregisters it from the bus
 * first; no access may be running. */
void uart8250_destroy(struct uart8250 *u);

/* Back to the power-on state; lowers the irq line and calls rx_space()
 * (the FIFO was emptied).  Any thread; no device lock held on return. */
void uart8250_reset(struct uart8250 *u);

/*
 * Host input: push up to len bytes into the receive FIFO and return how
 * many were taken (at most the free space: 16 with FIFOs on, 1 without;
 * 0 in loopback mode, where the serial input is disconnected).  Raises
 * the interrupt as the guest configured it.  Main thread (any thread);
 * never calls tx()/rx_space().
 */
size_t uart8250_rx(struct uart8250 *u, const uint8_t *buf, size_t len);

/* Bytes uart8250_rx() would accept now.  Any thread. */
size_t uart8250_rx_space(struct uart8250 *u);

#endif /* NIMBUS_DEVICES_SERIAL_8250_H */
