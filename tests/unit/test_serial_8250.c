// SPDX-License-Identifier: Apache-2.0
/*
 * test_serial_8250.c - the 16550A UART driven through a PIO bus.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "devices/bus.h"
#include "devices/irq.h"
#include "devices/serial_8250.h"
#include "vmm/log.h"

#define BASE 0x3f8

/* Register offsets and bits, spelled out from the data sheet. */
#define RBR 0
#define THR 0
#define DLL 0
#define IER 1
#define DLM 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7

struct fx {
	struct bus bus;
	struct irq_line irq;
	struct uart8250 *u;
	int level; /* last level seen by the interrupt controller */
	unsigned int irq_changes;
	uint8_t tx[1024];
	size_t tx_len;
	unsigned int rx_space_calls;
};

static void fx_irq(void *opaque, uint32_t pin, int level)
{
	struct fx *f = opaque;

	assert_int_equal(pin, 4);
	f->level = level;
	f->irq_changes++;
}

static void fx_tx(void *opaque, const uint8_t *buf, size_t len)
{
	struct fx *f = opaque;

	assert_true(f->tx_len + len <= sizeof(f->tx));
	memcpy(f->tx + f->tx_len, buf, len);
	f->tx_len += len;
}

static void fx_rx_space(void *opaque)
{
	((struct fx *)opaque)->rx_space_calls++;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct uart8250_cfg cfg;

	if (!f || bus_init(&f->bus, "pio"))
		return -1;
	log_set_level(LOG_ERR);
	irq_line_init_cb(&f->irq, fx_irq, f, 4);
	cfg = (struct uart8250_cfg){
		.irq = &f->irq,
		.tx = fx_tx,
		.rx_space = fx_rx_space,
		.opaque = f,
	};
	if (uart8250_create(&cfg, &f->u) ||
	    uart8250_attach(f->u, &f->bus, BASE))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	bus_unregister(&f->bus, BASE);
	uart8250_destroy(f->u);
	bus_destroy(&f->bus);
	free(f);
	return 0;
}

static uint8_t in(struct fx *f, unsigned int reg)
{
	uint8_t v = 0;

	assert_int_equal(bus_access(&f->bus, BASE + reg, &v, 1, 0), 0);
	return v;
}

static void out(struct fx *f, unsigned int reg, uint8_t v)
{
	assert_int_equal(bus_access(&f->bus, BASE + reg, &v, 1, 1), 0);
}

static void push(struct fx *f, const char *s)
{
	size_t n = strlen(s);

	assert_int_equal(uart8250_rx(f->u, (const uint8_t *)s, n), n);
}

static void test_create_args(void **state)
{
	struct uart8250_cfg cfg = { 0 };
	struct uart8250 *u = NULL;

	assert_int_equal(uart8250_create(NULL, &u), -EINVAL);
	assert_int_equal(uart8250_create(&cfg, NULL), -EINVAL);
	/* No irq, no backend: still a working UART. */
	assert_int_equal(uart8250_create(&cfg, &u), 0);
	assert_int_equal(uart8250_rx(u, (const uint8_t *)"x", 1), 1);
	uart8250_destroy(u);
	uart8250_destroy(NULL);
}

static void test_power_on(void **state)
{
	struct fx *f = *state;

	assert_int_equal(in(f, IER), 0);
	assert_int_equal(in(f, IIR), 0x01);
	assert_int_equal(in(f, LCR), 0);
	assert_int_equal(in(f, MCR), 0);
	assert_int_equal(in(f, LSR), 0x60);
	assert_int_equal(in(f, MSR), 0xb0);
	assert_int_equal(in(f, SCR), 0);
	assert_int_equal(f->level, 0);
	assert_int_equal(uart8250_rx_space(f->u), 1);
}

static void test_divisor_latch(void **state)
{
	struct fx *f = *state;

	out(f, IER, 0x05);
	out(f, LCR, 0x83);
	out(f, DLL, 0x01);
	out(f, DLM, 0x02);
	assert_int_equal(in(f, DLL), 0x01);
	assert_int_equal(in(f, DLM), 0x02);
	assert_int_equal(f->tx_len, 0); /* DLL writes do not transmit */
	out(f, LCR, 0x03);
	assert_int_equal(in(f, LCR), 0x03);
	assert_int_equal(in(f, IER), 0x05); /* IER kept behind the latch */
	out(f, THR, 'x');
	assert_int_equal(f->tx_len, 1);
	out(f, LCR, 0x80);
	assert_int_equal(in(f, DLL), 0x01);
	assert_int_equal(in(f, DLM), 0x02);
	/* Rx data is not visible through DLL. */
	out(f, LCR, 0x00);
	push(f, "q");
	out(f, LCR, 0x80);
	assert_int_equal(in(f, DLL), 0x01);
	out(f, LCR, 0x00);
	assert_int_equal(in(f, RBR), 'q');
}

static void test_scratch_and_ier_mask(void **state)
{
	struct fx *f = *state;

	out(f, SCR, 0xa5);
	assert_int_equal(in(f, SCR), 0xa5);
	out(f, SCR, 0x5a);
	assert_int_equal(in(f, SCR), 0x5a);
	/* Linux's existence test: IER holds the low nibble only. */
	out(f, IER, 0x00);
	assert_int_equal(in(f, IER), 0x00);
	out(f, IER, 0xff);
	assert_int_equal(in(f, IER), 0x0f);
	out(f, IER, 0x40); /* XScale UUE bit must not stick */
	assert_int_equal(in(f, IER), 0x00);
}

static void test_fifo_iir_bits(void **state)
{
	struct fx *f = *state;

	assert_int_equal(in(f, IIR), 0x01);
	out(f, FCR, 0x01);
	assert_int_equal(in(f, IIR), 0xc1);
	assert_int_equal(uart8250_rx_space(f->u), 16);
	/* No 64-byte FIFO (16750 bit 5), with or without DLAB. */
	out(f, FCR, 0x21);
	assert_int_equal(in(f, IIR), 0xc1);
	out(f, LCR, 0x80);
	out(f, FCR, 0x21);
	assert_int_equal(in(f, IIR), 0xc1); /* IIR, not an EFR, behind DLAB */
	out(f, LCR, 0xbf);
	assert_int_not_equal(in(f, IIR), 0); /* no EFR either */
	out(f, LCR, 0x00);
	/* Other bits are ignored unless FCR0 is set. */
	out(f, FCR, 0xc0);
	assert_int_equal(in(f, IIR), 0x01);
	assert_int_equal(uart8250_rx_space(f->u), 1);
}

static void test_tx(void **state)
{
	struct fx *f = *state;

	out(f, THR, 'h');
	out(f, THR, 'i');
	assert_int_equal(f->tx_len, 2);
	assert_memory_equal(f->tx, "hi", 2);
	/* Transmission is instantaneous. */
	assert_int_equal(in(f, LSR) & 0x60, 0x60);
	assert_int_equal(in(f, LSR) & 0x01, 0); /* not looped back */
}

static void test_rx_irq(void **state)
{
	struct fx *f = *state;

	out(f, MCR, 0x0b); /* DTR, RTS, OUT2 */
	out(f, IER, 0x01);
	assert_int_equal(f->level, 0);
	push(f, "a");
	assert_int_equal(in(f, LSR) & 0x01, 0x01);
	assert_int_equal(in(f, IIR), 0x04);
	assert_int_equal(f->level, 1);
	assert_int_equal(uart8250_rx_space(f->u), 0);
	assert_int_equal(uart8250_rx(f->u, (const uint8_t *)"b", 1), 0);
	assert_int_equal(in(f, RBR), 'a');
	assert_int_equal(f->rx_space_calls, 1);
	assert_int_equal(in(f, LSR) & 0x01, 0);
	assert_int_equal(in(f, IIR), 0x01);
	assert_int_equal(f->level, 0);
	/* An empty RBR read does not ask the backend for more. */
	in(f, RBR);
	assert_int_equal(f->rx_space_calls, 1);
	/* Data with ERBFI clear: DR but no interrupt. */
	out(f, IER, 0x00);
	push(f, "c");
	assert_int_equal(in(f, LSR) & 0x01, 0x01);
	assert_int_equal(in(f, IIR), 0x01);
	assert_int_equal(f->level, 0);
	/* Enabling ERBFI with data waiting interrupts at once. */
	out(f, IER, 0x01);
	assert_int_equal(f->level, 1);
}

static void test_rx_fifo_full(void **state)
{
	struct fx *f = *state;
	uint8_t buf[20];
	unsigned int i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)('A' + i);
	out(f, FCR, 0xc1);
	f->rx_space_calls = 0;
	assert_int_equal(uart8250_rx(f->u, buf, sizeof(buf)), 16);
	assert_int_equal(uart8250_rx_space(f->u), 0);
	assert_int_equal(uart8250_rx(f->u, buf, 1), 0);
	/* Host input never overruns. */
	assert_int_equal(in(f, LSR) & 0x02, 0);
	for (i = 0; i < 16; i++) {
		assert_int_equal(in(f, LSR) & 0x01, 0x01);
		assert_int_equal(in(f, RBR), 'A' + i);
		assert_int_equal(uart8250_rx_space(f->u), i + 1);
	}
	assert_int_equal(in(f, LSR) & 0x01, 0);
	assert_int_equal(f->rx_space_calls, 16);
	/* Partial acceptance into a part-full FIFO. */
	assert_int_equal(uart8250_rx(f->u, buf, 10), 10);
	assert_int_equal(uart8250_rx(f->u, buf, 10), 6);
}

/* A backend blocked on a full FIFO is woken by every way room appears. */
static void test_rx_space_wakeups(void **state)
{
	struct fx *f = *state;
	uint8_t buf[16] = { 0 };
	unsigned int calls;

	out(f, FCR, 0x01);
	assert_int_equal(uart8250_rx(f->u, buf, 16), 16);
	calls = f->rx_space_calls;
	out(f, FCR, 0x03); /* Linux clears the FIFOs at startup */
	assert_int_equal(f->rx_space_calls, calls + 1);
	assert_int_equal(uart8250_rx_space(f->u), 16);

	assert_int_equal(uart8250_rx(f->u, buf, 16), 16);
	calls = f->rx_space_calls;
	out(f, FCR, 0x00); /* FIFOs off: cleared, room for one */
	assert_int_equal(f->rx_space_calls, calls + 1);
	assert_int_equal(uart8250_rx(f->u, buf, 16), 1);

	calls = f->rx_space_calls;
	uart8250_reset(f->u);
	assert_int_equal(f->rx_space_calls, calls + 1);
	assert_int_equal(uart8250_rx_space(f->u), 1);
	/* Other register writes do not. */
	calls = f->rx_space_calls;
	out(f, SCR, 1);
	out(f, IER, 1);
	out(f, LCR, 3);
	assert_int_equal(f->rx_space_calls, calls);
}

static void test_fifo_clear(void **state)
{
	struct fx *f = *state;

	out(f, FCR, 0x01);
	push(f, "abc");
	out(f, FCR, 0x03); /* clear RX */
	assert_int_equal(in(f, LSR) & 0x01, 0);
	assert_int_equal(uart8250_rx_space(f->u), 16);
	push(f, "abc");
	out(f, FCR, 0x05); /* clear TX only */
	assert_int_equal(uart8250_rx_space(f->u), 13);
	out(f, FCR, 0x00); /* disabling the FIFOs resets them */
	assert_int_equal(in(f, LSR) & 0x01, 0);
	push(f, "z");
	out(f, FCR, 0x01); /* and so does enabling them */
	assert_int_equal(in(f, LSR) & 0x01, 0);
}

static void test_trigger_levels(void **state)
{
	static const uint8_t level[4] = { 1, 4, 8, 14 };
	struct fx *f = *state;
	unsigned int t, i;

	out(f, MCR, 0x08);
	out(f, IER, 0x01);
	for (t = 0; t < 4; t++) {
		out(f, FCR, (uint8_t)(t << 6) | 0x03);
		assert_int_equal(in(f, IIR), 0xc1);
		for (i = 1; i < level[t]; i++) {
			push(f, "x");
			/* Below the trigger: character timeout. */
			assert_int_equal(in(f, IIR), 0xcc);
			assert_int_equal(f->level, 1);
		}
		push(f, "x");
		assert_int_equal(in(f, IIR), 0xc4);
		/* Draining below the trigger falls back to timeout. */
		if (level[t] > 1) {
			in(f, RBR);
			assert_int_equal(in(f, IIR), 0xcc);
		}
	}
	out(f, FCR, 0x03);
	assert_int_equal(in(f, IIR), 0xc1);
	assert_int_equal(f->level, 0);
}

static void test_overrun(void **state)
{
	struct fx *f = *state;
	unsigned int i;

	out(f, MCR, 0x10); /* loopback */
	out(f, FCR, 0x01);
	out(f, IER, 0x04); /* line status only */
	for (i = 0; i < 17; i++)
		out(f, THR, (uint8_t)i);
	assert_int_equal(f->tx_len, 0);
	assert_int_equal(in(f, IIR), 0xc6);
	assert_int_equal(in(f, LSR), 0x63); /* DR THRE TEMT OE */
	assert_int_equal(in(f, LSR), 0x61); /* OE cleared by the read */
	assert_int_equal(in(f, IIR), 0xc1);
	/* FIFO mode keeps the FIFO and drops the new byte. */
	for (i = 0; i < 16; i++)
		assert_int_equal(in(f, RBR), i);
	assert_int_equal(in(f, LSR) & 0x01, 0);

	/* Without FIFOs the holding register is overwritten. */
	out(f, FCR, 0x00);
	out(f, THR, 'a');
	assert_int_equal(in(f, LSR) & 0x03, 0x01);
	out(f, THR, 'b');
	assert_int_equal(in(f, LSR) & 0x03, 0x03);
	assert_int_equal(in(f, RBR), 'b');
	assert_int_equal(in(f, LSR) & 0x03, 0x00);
}

static void test_thre_on_etbei(void **state)
{
	struct fx *f = *state;

	out(f, MCR, 0x08);
	out(f, IER, 0x02);
	assert_int_equal(f->level, 1);
	assert_int_equal(in(f, IIR), 0x02);
	/* The IIR read that reported THRE acknowledged it. */
	assert_int_equal(f->level, 0);
	assert_int_equal(in(f, IIR), 0x01);
	/* Rewriting ETBEI without an edge does not re-raise... */
	out(f, IER, 0x02);
	assert_int_equal(in(f, IIR), 0x01);
	/* ...a 0 -> 1 edge does (Linux's UART_BUG_THRE probe). */
	out(f, IER, 0x00);
	out(f, IER, 0x02);
	assert_int_equal(f->level, 1);
	assert_int_equal(in(f, IIR), 0x02);
	/* Disabling ETBEI drops the request. */
	out(f, IER, 0x00);
	out(f, IER, 0x02);
	out(f, IER, 0x00);
	assert_int_equal(f->level, 0);
	assert_int_equal(in(f, IIR), 0x01);
}

static void test_thre_after_thr_write(void **state)
{
	struct fx *f = *state;

	out(f, FCR, 0x01);
	out(f, MCR, 0x08);
	out(f, IER, 0x02);
	assert_int_equal(in(f, IIR), 0xc2);
	assert_int_equal(f->level, 0);
	out(f, THR, 'z');
	/* THR emptied again at once: a fresh THRE interrupt. */
	assert_int_equal(f->level, 1);
	assert_int_equal(in(f, IIR), 0xc2);
	assert_int_equal(in(f, IIR), 0xc1);
	assert_int_equal(f->tx_len, 1);
}

static void test_iir_read_clears_thre_only_if_reported(void **state)
{
	struct fx *f = *state;

	out(f, MCR, 0x08);
	push(f, "r");
	out(f, IER, 0x03);
	/* RX data outranks THRE; reading IIR keeps THRE pending. */
	assert_int_equal(in(f, IIR), 0x04);
	assert_int_equal(in(f, IIR), 0x04);
	assert_int_equal(in(f, RBR), 'r');
	assert_int_equal(f->level, 1);
	assert_int_equal(in(f, IIR), 0x02);
	assert_int_equal(in(f, IIR), 0x01);
	assert_int_equal(f->level, 0);
}

static void test_priority(void **state)
{
	struct fx *f = *state;

	/* Entering loopback changes CTS/DSR/DCD: modem status deltas. */
	out(f, MCR, 0x10);
	out(f, THR, 'a');
	out(f, THR, 'b'); /* overrun, no FIFO */
	out(f, IER, 0x0f);
	assert_int_equal(in(f, IIR), 0x06);
	assert_int_equal(in(f, LSR), 0x63);
	assert_int_equal(in(f, IIR), 0x04);
	assert_int_equal(in(f, RBR), 'b');
	assert_int_equal(in(f, IIR), 0x02);
	assert_int_equal(in(f, IIR), 0x00);
	assert_int_equal(in(f, MSR), 0x0b); /* DCTS DDSR DDCD, lines low */
	assert_int_equal(in(f, IIR), 0x01);
	assert_int_equal(in(f, MSR), 0x00);
}

static void test_out2_gating(void **state)
{
	struct fx *f = *state;

	out(f, IER, 0x02);
	/* Pending in IIR, but the pin is gated off without OUT2. */
	out(f, MCR, 0x03);
	assert_int_equal(f->level, 0);
	out(f, MCR, 0x0b);
	assert_int_equal(f->level, 1);
	out(f, MCR, 0x03);
	assert_int_equal(f->level, 0);
	out(f, MCR, 0x0b);
	assert_int_equal(f->level, 1);
	/* Loopback forces the OUT2 pin inactive. */
	out(f, MCR, 0x18);
	assert_int_equal(f->level, 0);
	assert_int_equal(in(f, IIR) & 0x0f, 0x02);
	out(f, IER, 0x02);
	out(f, MCR, 0x08);
	assert_int_equal(in(f, IIR) & 0x01, 0x01);
	assert_int_equal(f->level, 0);
}

static void test_loopback(void **state)
{
	struct fx *f = *state;
	unsigned int calls;

	/* Linux's probe: LOOP|OUT2|RTS must read back DCD|CTS. */
	out(f, MCR, 0x1a);
	assert_int_equal(in(f, MSR) & 0xf0, 0x90);
	out(f, MCR, 0x15); /* LOOP DTR OUT1 */
	/* DSR|RI; CTS, DSR and DCD changed; RI rose (no TERI). */
	assert_int_equal(in(f, MSR), 0x60 | 0x0b);
	out(f, MCR, 0x10); /* OUT1 1 -> 0: trailing edge of RI */
	assert_int_equal(in(f, MSR) & 0x0f, 0x04 | 0x02);
	assert_int_equal(in(f, MSR), 0x00);
	/* Transmit goes to receive, not to the backend. */
	out(f, FCR, 0x01);
	out(f, THR, 'l');
	out(f, THR, 'b');
	assert_int_equal(f->tx_len, 0);
	assert_int_equal(in(f, LSR) & 0x01, 0x01);
	assert_int_equal(in(f, RBR), 'l');
	assert_int_equal(in(f, RBR), 'b');
	/* The serial input is disconnected. */
	assert_int_equal(uart8250_rx_space(f->u), 0);
	assert_int_equal(uart8250_rx(f->u, (const uint8_t *)"x", 1), 0);
	/* Leaving loopback reconnects it and tells the backend. */
	calls = f->rx_space_calls;
	out(f, MCR, 0x00);
	assert_int_equal(f->rx_space_calls, calls + 1);
	assert_int_equal(uart8250_rx_space(f->u), 16);
	assert_int_equal(in(f, MSR), 0xb0 | 0x0b);
	assert_int_equal(in(f, MSR), 0xb0);
	out(f, THR, 'n');
	assert_int_equal(f->tx_len, 1);
	assert_int_equal(f->tx[0], 'n');
}

static void test_msr_normal(void **state)
{
	struct fx *f = *state;

	out(f, MCR, 0x0f);
	assert_int_equal(in(f, MSR), 0xb0);
	out(f, MCR, 0x00);
	assert_int_equal(in(f, MSR), 0xb0);
	out(f, IER, 0x08);
	assert_int_equal(in(f, IIR), 0x01);
}

static void test_reset(void **state)
{
	struct fx *f = *state;

	out(f, LCR, 0x80);
	out(f, DLL, 0x55);
	out(f, LCR, 0x1b);
	out(f, FCR, 0x81);
	out(f, SCR, 0x77);
	out(f, MCR, 0x0b);
	out(f, IER, 0x0f);
	push(f, "abc");
	assert_int_equal(f->level, 1);
	uart8250_reset(f->u);
	assert_int_equal(f->level, 0);
	assert_int_equal(in(f, IER), 0);
	assert_int_equal(in(f, IIR), 0x01);
	assert_int_equal(in(f, LCR), 0);
	assert_int_equal(in(f, MCR), 0);
	assert_int_equal(in(f, LSR), 0x60);
	assert_int_equal(in(f, MSR), 0xb0);
	assert_int_equal(in(f, SCR), 0);
	assert_int_equal(uart8250_rx_space(f->u), 1);
	out(f, LCR, 0x80);
	assert_int_equal(in(f, DLL), 12);
	assert_int_equal(in(f, DLM), 0);
}

static void test_hostile(void **state)
{
	struct fx *f = *state;
	uint32_t v = 0x12345678;
	uint16_t w = 0xabcd;

	/* Only byte accesses reach the device. */
	assert_int_equal(bus_access(&f->bus, BASE + SCR - 1, &w, 2, 1),
			 -EINVAL);
	assert_int_equal(bus_access(&f->bus, BASE, &v, 4, 1), -EINVAL);
	assert_int_equal(f->tx_len, 0);
	assert_int_equal(in(f, SCR), 0);
	assert_int_equal(bus_access(&f->bus, BASE + LSR, &w, 2, 0), -EINVAL);
	assert_int_equal(w, 0xffff);
	/* Read-only registers ignore writes. */
	out(f, LSR, 0xff);
	assert_int_equal(in(f, LSR), 0x60);
	out(f, MSR, 0x0f);
	assert_int_equal(in(f, MSR), 0xb0);
	out(f, MCR, 0xff);
	assert_int_equal(in(f, MCR), 0x1f);
	out(f, MCR, 0x00);
	/* Past the eight registers nothing answers. */
	assert_int_equal(bus_access(&f->bus, BASE + 8, &w, 1, 0), -ENOENT);
	/* Every register byte value is harmless. */
	for (v = 0; v < 256; v++) {
		unsigned int r;

		for (r = 0; r < 8; r++)
			out(f, r, (uint8_t)v);
		for (r = 0; r < 8; r++)
			in(f, r);
	}
}

/* The register sequence of Linux's autoconfig() and startup THRE test. */
static void test_linux_probe(void **state)
{
	struct fx *f = *state;
	uint8_t save_lcr, save_mcr, iir1, iir;
	unsigned int count;

	out(f, IER, 0);
	assert_int_equal(in(f, IER) & 0x0f, 0);
	out(f, IER, 0x0f);
	assert_int_equal(in(f, IER) & 0x0f, 0x0f);
	out(f, IER, 0);
	save_mcr = in(f, MCR);
	save_lcr = in(f, LCR);
	out(f, MCR, 0x1a);
	assert_int_equal(in(f, MSR) & 0xf0, 0x90);
	out(f, MCR, save_mcr);
	out(f, LCR, 0xbf);
	out(f, FCR, 0); /* EFR in Linux's eyes */
	out(f, LCR, 0);
	out(f, FCR, 0x01);
	assert_int_equal(in(f, IIR) >> 6, 3); /* -> autoconfig_16550a */
	out(f, LCR, 0x80);
	assert_int_not_equal(in(f, IIR), 0); /* no ST16C650V1 EFR */
	out(f, LCR, 0xbf);
	assert_int_not_equal(in(f, IIR), 0); /* no EFR */

	/* size_fifo(): 256 bytes in loopback, count what comes back. */
	out(f, LCR, 0);
	out(f, FCR, 0x07);
	out(f, MCR, 0x10);
	out(f, LCR, 0x80);
	out(f, DLL, 1);
	out(f, DLM, 0);
	out(f, LCR, 0x03);
	for (count = 0; count < 256; count++)
		out(f, THR, (uint8_t)count);
	for (count = 0; (in(f, LSR) & 0x01) && count < 256; count++)
		in(f, RBR);
	assert_int_equal(count, 16); /* 16550A, not a 64-byte U6 */
	out(f, MCR, save_mcr);
	out(f, LCR, save_lcr);
	assert_int_equal(f->tx_len, 0);

	/* serial8250_do_startup(): THRE must be re-asserted. */
	out(f, IER, 0x02);
	iir1 = in(f, IIR);
	out(f, IER, 0);
	out(f, IER, 0x02);
	iir = in(f, IIR);
	out(f, IER, 0);
	assert_int_equal(iir1 & 0x01, 0);
	assert_int_equal(iir & 0x01, 0);
	/* LSR safety check. */
	assert_int_not_equal(in(f, LSR), 0xff);
}

#define STRESS_BYTES 4000

static void *producer(void *arg)
{
	struct fx *f = arg;
	unsigned int sent = 0;

	while (sent < STRESS_BYTES) {
		uint8_t b[5];
		unsigned int i, n = STRESS_BYTES - sent;

		if (n > sizeof(b))
			n = sizeof(b);
		for (i = 0; i < n; i++)
			b[i] = (uint8_t)((sent + i) * 7);
		sent += (unsigned int)uart8250_rx(f->u, b, n);
		if (sent < STRESS_BYTES && !uart8250_rx_space(f->u))
			sched_yield();
	}
	return NULL;
}

/* Main-thread input racing vCPU reads loses and reorders nothing. */
static void test_concurrent_rx(void **state)
{
	struct fx *f = *state;
	pthread_t t;
	unsigned int got = 0;
	time_t deadline = time(NULL) + 30;

	out(f, FCR, 0x01);
	out(f, MCR, 0x08);
	out(f, IER, 0x01);
	assert_int_equal(pthread_create(&t, NULL, producer, f), 0);
	while (got < STRESS_BYTES) {
		if (!(in(f, LSR) & 0x01)) {
			/* Lost bytes must fail the test, not hang it. */
			assert_true(time(NULL) < deadline);
			continue;
		}
		assert_int_equal(in(f, RBR), (uint8_t)(got * 7));
		got++;
	}
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(in(f, LSR) & 0x01, 0);
	assert_int_equal(f->level, 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_args),
		T(test_power_on),
		T(test_divisor_latch),
		T(test_scratch_and_ier_mask),
		T(test_fifo_iir_bits),
		T(test_tx),
		T(test_rx_irq),
		T(test_rx_fifo_full),
		T(test_rx_space_wakeups),
		T(test_fifo_clear),
		T(test_trigger_levels),
		T(test_overrun),
		T(test_thre_on_etbei),
		T(test_thre_after_thr_write),
		T(test_iir_read_clears_thre_only_if_reported),
		T(test_priority),
		T(test_out2_gating),
		T(test_loopback),
		T(test_msr_normal),
		T(test_reset),
		T(test_hostile),
		T(test_linux_probe),
		T(test_concurrent_rx),
	};
#undef T

	return cmocka_run_group_tests_name("serial_8250", tests, NULL, NULL);
}
