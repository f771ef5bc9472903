// SPDX-License-Identifier: Apache-2.0
/*
 * serial_8250.c - 16550A UART model.
 *
 * Register map and behaviour follow the National Semiconductor PC16550D
 * data sheet; the choices a PC guest depends on are noted where they are
 * made.  See serial_8250.h for the locking rules.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#define LOG_MOD "uart8250"
#include "devices/serial_8250.h"
#include "vmm/log.h"

/* Register offsets. */
#define REG_RBR_THR 0 /* DLL when DLAB */
#define REG_IER 1 /* DLM when DLAB */
#define REG_IIR_FCR 2
#define REG_LCR 3
#define REG_MCR 4
#define REG_LSR 5
#define REG_MSR 6
#define REG_SCR 7

#define IER_ERBFI 0x01 /* received data available */
#define IER_ETBEI 0x02 /* THR empty */
#define IER_ELSI 0x04 /* receiver line status */
#define IER_EDSSI 0x08 /* modem status */
#define IER_MASK 0x0f /* bits 7:4 read 0 on a 16550A */

#define IIR_NONE 0x01
#define IIR_MSI 0x00
#define IIR_THRE 0x02
#define IIR_RDA 0x04
#define IIR_RLS 0x06
#define IIR_TIMEOUT 0x0c
#define IIR_FIFO_ON 0xc0

#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04
#define FCR_KEEP 0xc9 /* enable, DMA mode, trigger level */

#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_PE 0x04
#define LSR_FE 0x08
#define LSR_BI 0x10
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define LSR_ERRORS (LSR_OE | LSR_PE | LSR_FE | LSR_BI)

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_DELTAS 0x0f
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80
/* A terminal is attached: carrier, data set ready, clear to send. */
#define MSR_CONNECTED (MSR_DCD | MSR_DSR | MSR_CTS)

static const uint8_t rx_trigger[4] = { 1, 4, 8, 14 };

struct uart8250 {
	pthread_mutex_t lock; /* all register state below */
	pthread_mutex_t tx_lock; /* keeps tx() calls in THR order */
	struct uart8250_cfg cfg;

	uint8_t ier, lcr, mcr, scr, fcr;
	uint8_t lsr_err; /* sticky LSR error bits, cleared by reading LSR */
	uint8_t msr; /* lines (7:4) and deltas (3:0) */
	uint16_t dl;
	bool thr_ipending;

	uint8_t rx[UART8250_FIFO_SIZE];
	unsigned int rx_head, rx_count;
};

/* Actions decided under the lock and run after it is dropped. */
struct uart_defer {
	bool tx;
	uint8_t tx_byte;
	bool rx_space;
};

static bool fifo_on(const struct uart8250 *u)
{
	return u->fcr & FCR_ENABLE;
}

static unsigned int rx_capacity(const struct uart8250 *u)
{
	return fifo_on(u) ? UART8250_FIFO_SIZE : 1;
}

static void rx_clear(struct uart8250 *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
}

/* Caller checked there is room. */
static void rx_push(struct uart8250 *u, uint8_t b)
{
	u->rx[(u->rx_head + u->rx_count) % UART8250_FIFO_SIZE] = b;
	u->rx_count++;
}

static uint8_t rx_pop(struct uart8250 *u)
{
	uint8_t b = u->rx[u->rx_head];

	u->rx_head = (u->rx_head + 1) % UART8250_FIFO_SIZE;
	u->rx_count--;
	return b;
}

/* Loopback receive: the data sheet's overrun rules. */
static void rx_loop_byte(struct uart8250 *u, uint8_t b)
{
	if (u->rx_count < rx_capacity(u)) {
		rx_push(u, b);
		return;
	}
	u->lsr_err |= LSR_OE;
	/* Without FIFOs the new character overwrites the holding register;
	 * with them the shift register is overwritten and the FIFO kept. */
	if (!fifo_on(u))
		u->rx[u->rx_head] = b;
}

static uint8_t lsr_value(const struct uart8250 *u)
{
	/* THR and the shift register drain instantly. */
	uint8_t lsr = LSR_THRE | LSR_TEMT | u->lsr_err;

	if (u->rx_count)
		lsr |= LSR_DR;
	return lsr;
}

/* The modem status inputs as the receiver sees them. */
static uint8_t msr_lines(const struct uart8250 *u)
{
	uint8_t m = 0;

	if (!(u->mcr & MCR_LOOP))
		return MSR_CONNECTED;
	/* Loopback wires the modem control outputs to the status inputs. */
	if (u->mcr & MCR_RTS)
		m |= MSR_CTS;
	if (u->mcr & MCR_DTR)
		m |= MSR_DSR;
	if (u->mcr & MCR_OUT1)
		m |= MSR_RI;
	if (u->mcr & MCR_OUT2)
		m |= MSR_DCD;
	return m;
}

static void msr_update(struct uart8250 *u)
{
	uint8_t old = u->msr & 0xf0, now = msr_lines(u);
	uint8_t delta = u->msr & MSR_DELTAS, diff = old ^ now;

	if (diff & MSR_CTS)
		delta |= MSR_DCTS;
	if (diff & MSR_DSR)
		delta |= MSR_DDSR;
	if ((old & MSR_RI) && !(now & MSR_RI)) /* trailing edge only */
		delta |= MSR_TERI;
	if (diff & MSR_DCD)
		delta |= MSR_DDCD;
	u->msr = now | delta;
}

/* Highest-priority pending source as an IIR id (IIR_NONE if none). */
static uint8_t iir_id(const struct uart8250 *u)
{
	if ((u->ier & IER_ELSI) && (u->lsr_err & LSR_ERRORS))
		return IIR_RLS;
	if ((u->ier & IER_ERBFI) && u->rx_count) {
		if (!fifo_on(u) || u->rx_count >= rx_trigger[u->fcr >> 6])
			return IIR_RDA;
		return IIR_TIMEOUT;
	}
	if ((u->ier & IER_ETBEI) && u->thr_ipending)
		return IIR_THRE;
	if ((u->ier & IER_EDSSI) && (u->msr & MSR_DELTAS))
		return IIR_MSI;
	return IIR_NONE;
}

/* Called with the lock held after every state change. */
static void irq_update(struct uart8250 *u)
{
	bool pending = iir_id(u) != IIR_NONE;
	/* PC cards gate the pin with OUT2; loopback forces OUT2 inactive. */
	bool gate = (u->mcr & (MCR_OUT2 | MCR_LOOP)) == MCR_OUT2;

	if (u->cfg.irq)
		irq_set_level(u->cfg.irq, pending && gate);
}

static void reset_locked(struct uart8250 *u)
{
	u->ier = 0;
	u->lcr = 0;
	u->mcr = 0;
	u->scr = 0;
	u->fcr = 0;
	u->lsr_err = 0;
	u->msr = MSR_CONNECTED;
	u->dl = 12; /* 9600 baud from the 1.8432 MHz PC clock */
	u->thr_ipending = false;
	rx_clear(u);
	irq_update(u);
}

static uint8_t reg_read(struct uart8250 *u, unsigned int reg,
			struct uart_defer *df)
{
	uint8_t v;

	switch (reg) {
	case REG_RBR_THR:
		if (u->lcr & LCR_DLAB)
			return u->dl & 0xff;
		if (!u->rx_count)
			return 0;
		df->rx_space = true;
		return rx_pop(u);
	case REG_IER:
		if (u->lcr & LCR_DLAB)
			return u->dl >> 8;
		return u->ier;
	case REG_IIR_FCR:
		v = iir_id(u);
		/* Reading IIR acknowledges THRE only when it is reported. */
		if (v == IIR_THRE)
			u->thr_ipending = false;
		return v | (fifo_on(u) ? IIR_FIFO_ON : 0);
	case REG_LCR:
		return u->lcr;
	case REG_MCR:
		return u->mcr;
	case REG_LSR:
		v = lsr_value(u);
		u->lsr_err = 0;
		return v;
	case REG_MSR:
		v = u->msr;
		u->msr &= ~MSR_DELTAS;
		return v;
	default:
		return u->scr;
	}
}

static void fcr_write(struct uart8250 *u, uint8_t v)
{
	/* Changing the enable bit resets both FIFOs. */
	if ((v ^ u->fcr) & FCR_ENABLE)
		rx_clear(u);
	/* The other bits are programmed only together with FCR0 = 1. */
	if (!(v & FCR_ENABLE)) {
		u->fcr = 0;
		return;
	}
	if (v & FCR_CLEAR_RX)
		rx_clear(u);
	/* FCR_CLEAR_TX: the transmit FIFO is always empty. */
	u->fcr = v & FCR_KEEP;
}

static void reg_write(struct uart8250 *u, unsigned int reg, uint8_t v,
		      struct uart_defer *df)
{
	uint8_t old;

	switch (reg) {
	case REG_RBR_THR:
		if (u->lcr & LCR_DLAB) {
			u->dl = (u->dl & 0xff00) | v;
			break;
		}
		if (u->mcr & MCR_LOOP) {
			rx_loop_byte(u, v);
		} else {
			df->tx = true;
			df->tx_byte = v;
		}
		/* THR empties at once, which raises THRE again. */
		u->thr_ipending = true;
		break;
	case REG_IER:
		if (u->lcr & LCR_DLAB) {
			u->dl = (u->dl & 0x00ff) | (uint16_t)(v << 8);
			break;
		}
		old = u->ier;
		u->ier = v & IER_MASK;
		/* Enabling ETBEI while THR is empty raises THRE even if an
		 * IIR read acknowledged it before; Linux's THRE test and
		 * Windows depend on this. */
		if ((u->ier & IER_ETBEI) && !(old & IER_ETBEI))
			u->thr_ipending = true;
		break;
	case REG_IIR_FCR:
		fcr_write(u, v);
		/* A cleared or resized FIFO has room without any RBR read;
		 * a backend blocked on a full FIFO must hear of it. */
		df->rx_space = true;
		break;
	case REG_LCR:
		u->lcr = v;
		break;
	case REG_MCR:
		old = u->mcr;
		u->mcr = v & MCR_MASK;
		msr_update(u);
		/* Leaving loopback reconnects the serial input. */
		if ((old & MCR_LOOP) && !(u->mcr & MCR_LOOP))
			df->rx_space = true;
		break;
	case REG_SCR:
		u->scr = v;
		break;
	default:
		/* LSR and MSR are read-only; writes are ignored. */
		break;
	}
}

static int uart_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct uart8250 *u = opaque;
	struct uart_defer df = { 0 };
	uint8_t *p = data;

	if (len != 1 || off >= UART8250_NR_PORTS)
		return -EINVAL;
	pthread_mutex_lock(&u->lock);
	*p = reg_read(u, (unsigned int)off, &df);
	irq_update(u);
	pthread_mutex_unlock(&u->lock);
	if (df.rx_space && u->cfg.rx_space)
		u->cfg.rx_space(u->cfg.opaque);
	return 0;
}

static int uart_write(void *opaque, uint64_t off, const void *data,
		      uint32_t len)
{
	struct uart8250 *u = opaque;
	struct uart_defer df = { 0 };
	const uint8_t *p = data;

	if (len != 1 || off >= UART8250_NR_PORTS)
		return -EINVAL;
	/* tx_lock before lock, released after tx(): bytes leave in the
	 * order they were written to THR. */
	pthread_mutex_lock(&u->tx_lock);
	pthread_mutex_lock(&u->lock);
	reg_write(u, (unsigned int)off, *p, &df);
	irq_update(u);
	pthread_mutex_unlock(&u->lock);
	if (df.tx && u->cfg.tx)
		u->cfg.tx(u->cfg.opaque, &df.tx_byte, 1);
	pthread_mutex_unlock(&u->tx_lock);
	if (df.rx_space && u->cfg.rx_space)
		u->cfg.rx_space(u->cfg.opaque);
	return 0;
}

static const struct io_ops uart_ops = {
	.read = uart_read,
	.write = uart_write,
	.min_len = 1,
	.max_len = 1,
};

static size_t rx_space_locked(const struct uart8250 *u)
{
	if (u->mcr & MCR_LOOP)
		return 0;
	return rx_capacity(u) - u->rx_count;
}

size_t uart8250_rx(struct uart8250 *u, const uint8_t *buf, size_t len)
{
	size_t n, i;

	pthread_mutex_lock(&u->lock);
	n = rx_space_locked(u);
	if (n > len)
		n = len;
	for (i = 0; i < n; i++)
		rx_push(u, buf[i]);
	irq_update(u);
	pthread_mutex_unlock(&u->lock);
	return n;
}

size_t uart8250_rx_space(struct uart8250 *u)
{
	size_t n;

	pthread_mutex_lock(&u->lock);
	n = rx_space_locked(u);
	pthread_mutex_unlock(&u->lock);
	return n;
}

int uart8250_create(const struct uart8250_cfg *cfg, struct uart8250 **out)
{
	struct uart8250 *u;

	if (!cfg || !out)
		return -EINVAL;
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	if (pthread_mutex_init(&u->lock, NULL))
		goto err_free;
	if (pthread_mutex_init(&u->tx_lock, NULL))
		goto err_lock;
	u->cfg = *cfg;
	reset_locked(u); /* not shared yet */
	*out = u;
	return 0;

err_lock:
	pthread_mutex_destroy(&u->lock);
err_free:
	free(u);
	return -ENOMEM;
}

int uart8250_attach(struct uart8250 *u, struct bus *pio, uint16_t base)
{
	return bus_register(pio, base, UART8250_NR_PORTS, &uart_ops, u,
			    "uart8250");
}

void uart8250_destroy(struct uart8250 *u)
{
	if (!u)
		return;
	pthread_mutex_destroy(&u->tx_lock);
	pthread_mutex_destroy(&u->lock);
	free(u);
}

void uart8250_reset(struct uart8250 *u)
{
	pthread_mutex_lock(&u->lock);
	reset_locked(u);
	pthread_mutex_unlock(&u->lock);
	if (u->cfg.rx_space)
		u->cfg.rx_space(u->cfg.opaque);
}
