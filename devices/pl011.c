// SPDX-License-Identifier: Apache-2.0
/*
 * pl011.c - ARM PrimeCell PL011 UART model.
 *
 * Register map and bits from the PL011 Technical Reference Manual (ARM
 * DDI 0183).  See pl011.h for the model's simplifications and locking.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MOD "pl011"
#include "devices/pl011.h"
#include "vmm/log.h"

#define REG_DR 0x000
#define REG_RSR 0x004 /* RSR on read, ECR on write */
#define REG_FR 0x018
#define REG_ILPR 0x020
#define REG_IBRD 0x024
#define REG_FBRD 0x028
#define REG_LCR_H 0x02c
#define REG_CR 0x030
#define REG_IFLS 0x034
#define REG_IMSC 0x038
#define REG_RIS 0x03c
#define REG_MIS 0x040
#define REG_ICR 0x044
#define REG_DMACR 0x048
#define REG_ID_BASE 0xfe0 /* PeriphID0..3, PCellID0..3 */

#define FR_RXFE (1u << 4)
#define FR_TXFF (1u << 5)
#define FR_RXFF (1u << 6)
#define FR_TXFE (1u << 7)
/* Modem inputs of a connected terminal: CTS, DSR, DCD. */
#define FR_MODEM 0x7u

#define LCR_H_FEN (1u << 4)

#define CR_UARTEN (1u << 0)
#define CR_LBE (1u << 7)
#define CR_TXE (1u << 8)
#define CR_RXE (1u << 9)
#define CR_MASK 0xff87u /* bits 6:3 are reserved */

#define INT_RX (1u << 4)
#define INT_TX (1u << 5)
#define INT_RT (1u << 6)
#define INT_MASK 0x7ffu

/* Reset values: IFLS half/half, CR with TXE and RXE set. */
#define IFLS_RESET 0x12u
#define CR_RESET (CR_TXE | CR_RXE)

static const uint8_t pl011_id[8] = { 0x11, 0x10, 0x14, 0x00,
				     0x0d, 0xf0, 0x05, 0xb1 };
/* FIFO trigger levels in eighths for IFLS values 0..4. */
static const uint8_t pl011_trig8[5] = { 1, 2, 4, 6, 7 };

struct pl011 {
	pthread_mutex_t lock;
	pthread_mutex_t tx_lock; /* keeps tx() calls in DR order */
	struct pl011_cfg cfg;
	struct log_rl rl;

	uint32_t ilpr, ibrd, fbrd, lcr_h, cr, ifls, imsc, ris, dmacr;
	uint8_t rx[PL011_FIFO_SIZE];
	unsigned int rx_head, rx_count;
};

static unsigned int rx_capacity(const struct pl011 *u)
{
	return (u->lcr_h & LCR_H_FEN) ? PL011_FIFO_SIZE : 1;
}

static unsigned int rx_trigger(const struct pl011 *u)
{
	unsigned int sel = (u->ifls >> 3) & 7;

	if (!(u->lcr_h & LCR_H_FEN))
		return 1;
	if (sel > 4)
		sel = 2; /* reserved encodings: half full */
	return PL011_FIFO_SIZE * pl011_trig8[sel] / 8;
}

/* Recompute the receive status bits and drive the line.  Lock held. */
static void update(struct pl011 *u)
{
	u->ris &= ~INT_RX;
	if (u->rx_count >= rx_trigger(u))
		u->ris |= INT_RX;
	if (!u->rx_count)
		u->ris &= ~INT_RT;
	if (u->cfg.irq)
		irq_set_level(u->cfg.irq, (u->ris & u->imsc) != 0);
}

static bool rx_enabled(const struct pl011 *u)
{
	return (u->cr & (CR_UARTEN | CR_RXE)) == (CR_UARTEN | CR_RXE);
}

/* Lock held; caller checked for room. */
static void rx_push(struct pl011 *u, uint8_t b)
{
	u->rx[(u->rx_head + u->rx_count) % PL011_FIFO_SIZE] = b;
	u->rx_count++;
	u->ris |= INT_RT;
}

static void reset_locked(struct pl011 *u)
{
	u->ilpr = u->ibrd = u->fbrd = u->lcr_h = u->imsc = 0;
	u->ris = u->dmacr = 0;
	u->cr = CR_RESET;
	u->ifls = IFLS_RESET;
	u->rx_head = u->rx_count = 0;
}

int pl011_create(const struct pl011_cfg *cfg, struct pl011 **out)
{
	struct pl011 *u;

	if (!cfg || !out)
		return -EINVAL;
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->cfg = *cfg;
	pthread_mutex_init(&u->lock, NULL);
	pthread_mutex_init(&u->tx_lock, NULL);
	reset_locked(u);
	*out = u;
	return 0;
}

void pl011_destroy(struct pl011 *u)
{
	if (!u)
		return;
	pthread_mutex_destroy(&u->tx_lock);
	pthread_mutex_destroy(&u->lock);
	free(u);
}

/* Read register `reg` (word aligned).  Lock held.  *space is set when a
 * byte left the FIFO. */
static uint32_t reg_read(struct pl011 *u, uint32_t reg, bool *space)
{
	uint32_t v = 0;

	switch (reg) {
	case REG_DR:
		if (u->rx_count) {
			v = u->rx[u->rx_head];
			u->rx_head = (u->rx_head + 1) % PL011_FIFO_SIZE;
			u->rx_count--;
			*space = true;
			update(u);
		}
		break;
	case REG_RSR:
		break; /* no framing, parity, break or overrun errors */
	case REG_FR:
		v = FR_TXFE | FR_MODEM;
		if (!u->rx_count)
			v |= FR_RXFE;
		if (u->rx_count >= rx_capacity(u))
			v |= FR_RXFF;
		break;
	case REG_ILPR:
		v = u->ilpr;
		break;
	case REG_IBRD:
		v = u->ibrd;
		break;
	case REG_FBRD:
		v = u->fbrd;
		break;
	case REG_LCR_H:
		v = u->lcr_h;
		break;
	case REG_CR:
		v = u->cr;
		break;
	case REG_IFLS:
		v = u->ifls;
		break;
	case REG_IMSC:
		v = u->imsc;
		break;
	case REG_RIS:
		v = u->ris;
		break;
	case REG_MIS:
		v = u->ris & u->imsc;
		break;
	case REG_DMACR:
		v = u->dmacr;
		break;
	default:
		if (reg >= REG_ID_BASE)
			v = pl011_id[(reg - REG_ID_BASE) / 4];
		break;
	}
	return v;
}

static int pl011_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct pl011 *u = opaque;
	bool space = false;
	uint32_t v;

	if (off >= PL011_SIZE || (off & (len - 1)))
		return -EINVAL;
	pthread_mutex_lock(&u->lock);
	v = reg_read(u, (uint32_t)off & ~3u, &space) >> ((off & 3) * 8);
	pthread_mutex_unlock(&u->lock);
	memcpy(data, &v, len); /* little-endian host */
	if (space && u->cfg.rx_space)
		u->cfg.rx_space(u->cfg.opaque);
	return 0;
}

/* What a register write asks for after the lock is dropped. */
struct pl011_defer {
	bool tx, space;
	uint8_t byte;
};

static void reg_write(struct pl011 *u, uint32_t reg, uint32_t v,
		      struct pl011_defer *d)
{
	bool was_rx = rx_enabled(u);

	switch (reg) {
	case REG_DR:
		if (!(u->cr & CR_UARTEN) || !(u->cr & CR_TXE))
			break;
		if (u->cr & CR_LBE) {
			if (u->rx_count < rx_capacity(u))
				rx_push(u, (uint8_t)v);
		} else {
			d->tx = true;
			d->byte = (uint8_t)v;
		}
		u->ris |= INT_TX;
		break;
	case REG_RSR:
		break; /* clears errors; there are none */
	case REG_ILPR:
		u->ilpr = v & 0xff;
		break;
	case REG_IBRD:
		u->ibrd = v & 0xffff;
		break;
	case REG_FBRD:
		u->fbrd = v & 0x3f;
		break;
	case REG_LCR_H:
		/* Toggling FEN flushes what the FIFO cannot hold. */
		if ((u->lcr_h ^ v) & LCR_H_FEN) {
			u->rx_head = u->rx_count = 0;
			d->space = true;
		}
		u->lcr_h = v & 0xff;
		break;
	case REG_CR:
		u->cr = v & CR_MASK;
		if (!was_rx && rx_enabled(u))
			d->space = true;
		break;
	case REG_IFLS:
		u->ifls = v & 0x3f;
		break;
	case REG_IMSC:
		u->imsc = v & INT_MASK;
		break;
	case REG_ICR:
		u->ris &= ~(v & INT_MASK);
		break;
	case REG_DMACR:
		u->dmacr = v & 0x7;
		break;
	default:
		log_ratelimited(&u->rl, LOG_WARN,
				"write of %#x to read-only offset %#x", v, reg);
		break;
	}
	update(u);
}

static int pl011_write(void *opaque, uint64_t off, const void *data,
		       uint32_t len)
{
	struct pl011 *u = opaque;
	struct pl011_defer d = { 0 };
	uint32_t v = 0;

	if (off >= PL011_SIZE || (off & 3)) {
		log_ratelimited(&u->rl, LOG_WARN, "bad write at %#llx/%u",
				(unsigned long long)off, len);
		return -EINVAL;
	}
	memcpy(&v, data, len);
	pthread_mutex_lock(&u->lock);
	reg_write(u, (uint32_t)off, v, &d);
	/* Taken before the state lock is dropped so bytes of concurrent
	 * writers reach tx() in DR order. */
	if (d.tx)
		pthread_mutex_lock(&u->tx_lock);
	pthread_mutex_unlock(&u->lock);
	if (d.tx) {
		if (u->cfg.tx)
			u->cfg.tx(u->cfg.opaque, &d.byte, 1);
		pthread_mutex_unlock(&u->tx_lock);
	}
	if (d.space && u->cfg.rx_space)
		u->cfg.rx_space(u->cfg.opaque);
	return 0;
}

static const struct io_ops pl011_ops = {
	.read = pl011_read,
	.write = pl011_write,
	.min_len = 1,
	.max_len = 4,
};

int pl011_attach(struct pl011 *u, struct bus *mmio, uint64_t base)
{
	return bus_register(mmio, base, PL011_SIZE, &pl011_ops, u, "pl011");
}

size_t pl011_rx(struct pl011 *u, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&u->lock);
	if (rx_enabled(u) && !(u->cr & CR_LBE)) {
		while (n < len && u->rx_count < rx_capacity(u))
			rx_push(u, buf[n++]);
		if (n)
			update(u);
	}
	pthread_mutex_unlock(&u->lock);
	return n;
}
