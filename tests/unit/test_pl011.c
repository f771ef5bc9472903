// SPDX-License-Identifier: Apache-2.0
/*
 * test_pl011.c - the PL011 UART driven through an MMIO bus the way
 * Linux's amba-pl011 driver drives it (16-bit accesses).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "devices/bus.h"
#include "devices/irq.h"
#include "devices/pl011.h"
#include "vmm/log.h"

#define BASE 0x9000000ull
#define DR 0x000
#define RSR 0x004
#define FR 0x018
#define IBRD 0x024
#define FBRD 0x028
#define LCR_H 0x02c
#define CR 0x030
#define IFLS 0x034
#define IMSC 0x038
#define RIS 0x03c
#define MIS 0x040
#define ICR 0x044

#define FR_RXFE 0x10
#define FR_RXFF 0x40
#define FR_TXFE 0x80
#define INT_RX 0x10
#define INT_TX 0x20
#define INT_RT 0x40

struct fx {
	struct bus bus;
	struct irq_line irq;
	struct pl011 *u;
	int level;
	unsigned int edges; /* 0->1 transitions of the line */
	uint8_t out[256];
	size_t nout;
	unsigned int spaces;
};

static void fx_irq(void *opaque, uint32_t pin, int level)
{
	struct fx *f = opaque;

	if (level && !f->level)
		f->edges++;
	f->level = level;
}

static void fx_tx(void *opaque, const uint8_t *buf, size_t len)
{
	struct fx *f = opaque;

	memcpy(f->out + f->nout, buf, len);
	f->nout += len;
}

static void fx_space(void *opaque)
{
	((struct fx *)opaque)->spaces++;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct pl011_cfg cfg;

	if (!f || bus_init(&f->bus, "mmio"))
		return -1;
	log_set_level(LOG_ERR);
	irq_line_init_cb(&f->irq, fx_irq, f, 33);
	cfg = (struct pl011_cfg){
		.irq = &f->irq, .tx = fx_tx, .rx_space = fx_space, .opaque = f
	};
	if (pl011_create(&cfg, &f->u) || pl011_attach(f->u, &f->bus, BASE))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	bus_unregister(&f->bus, BASE);
	pl011_destroy(f->u);
	bus_destroy(&f->bus);
	free(f);
	return 0;
}

static uint16_t rd(struct fx *f, uint32_t off)
{
	uint16_t v = 0;

	assert_int_equal(bus_access(&f->bus, BASE + off, &v, 2, 0), 0);
	return v;
}

static void wr(struct fx *f, uint32_t off, uint16_t v)
{
	assert_int_equal(bus_access(&f->bus, BASE + off, &v, 2, 1), 0);
}

/* What Linux's pl011_startup does, roughly: enable, FIFOs on, RX and RT
 * interrupts unmasked. */
static void linux_startup(struct fx *f)
{
	wr(f, IBRD, 13);
	wr(f, FBRD, 1);
	wr(f, LCR_H, 0x70); /* 8 bits, FIFOs enabled */
	wr(f, CR, 0x301); /* UARTEN, TXE, RXE */
	wr(f, ICR, 0x7ff);
	wr(f, IMSC, INT_RX | INT_RT);
}

static void test_ids(void **state)
{
	static const uint8_t want[8] = { 0x11, 0x10, 0x14, 0x00,
					 0x0d, 0xf0, 0x05, 0xb1 };
	struct fx *f = *state;
	uint32_t v;
	int i;

	for (i = 0; i < 8; i++) {
		v = 0;
		assert_int_equal(
			bus_access(&f->bus, BASE + 0xfe0 + 4 * i, &v, 4, 0), 0);
		assert_int_equal(v, want[i]);
	}
}

static void test_reset_state(void **state)
{
	struct fx *f = *state;

	assert_int_equal(rd(f, CR), 0x300);
	assert_int_equal(rd(f, IFLS), 0x12);
	assert_int_equal(rd(f, FR) & (FR_RXFE | FR_TXFE), FR_RXFE | FR_TXFE);
	assert_int_equal(rd(f, IMSC), 0);
	assert_int_equal(f->level, 0);
}

static void test_tx(void **state)
{
	struct fx *f = *state;

	linux_startup(f);
	wr(f, DR, 'h');
	wr(f, DR, 'i');
	assert_int_equal(f->nout, 2);
	assert_memory_equal(f->out, "hi", 2);
	/* TX raw status set, but masked: no interrupt. */
	assert_true(rd(f, RIS) & INT_TX);
	assert_int_equal(f->level, 0);
	wr(f, IMSC, INT_RX | INT_RT | INT_TX);
	assert_int_equal(f->level, 1);
	assert_int_equal(rd(f, MIS), INT_TX);
	wr(f, ICR, INT_TX);
	assert_int_equal(f->level, 0);
	/* Disabled transmitter: nothing goes out. */
	wr(f, CR, 0x201);
	wr(f, DR, 'x');
	assert_int_equal(f->nout, 2);
}

static void test_rx_fifo(void **state)
{
	struct fx *f = *state;
	uint8_t buf[40];
	unsigned int i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)('a' + i % 26);
	/* Receiver disabled at reset (UARTEN clear): nothing taken. */
	assert_int_equal(pl011_rx(f->u, buf, 4), 0);
	linux_startup(f);
	assert_true(f->spaces >= 1);
	/* One byte: below the half-full trigger, timeout interrupt only. */
	assert_int_equal(pl011_rx(f->u, buf, 1), 1);
	assert_int_equal(f->level, 1);
	assert_int_equal(rd(f, MIS), INT_RT);
	assert_int_equal(rd(f, DR), 'a');
	assert_int_equal(f->level, 0);
	assert_true(rd(f, FR) & FR_RXFE);
	/* Fill the 32-byte FIFO: the rest is refused. */
	assert_int_equal(pl011_rx(f->u, buf, sizeof(buf)), 32);
	assert_true(rd(f, FR) & FR_RXFF);
	assert_int_equal(rd(f, MIS), INT_RX | INT_RT);
	for (i = 0; i < 32; i++)
		assert_int_equal(rd(f, DR), buf[i]);
	assert_int_equal(rd(f, RIS) & (INT_RX | INT_RT), 0);
	assert_int_equal(f->level, 0);
	/* Reading an empty FIFO returns 0 and changes nothing. */
	assert_int_equal(rd(f, DR), 0);
}

static void test_rx_no_fifo(void **state)
{
	struct fx *f = *state;
	const uint8_t buf[2] = { 'x', 'y' };

	linux_startup(f);
	wr(f, LCR_H, 0x60); /* FEN off: a one-character holding register */
	assert_int_equal(pl011_rx(f->u, buf, 2), 1);
	assert_int_equal(rd(f, MIS), INT_RX | INT_RT);
	assert_true(rd(f, FR) & FR_RXFF);
	assert_int_equal(rd(f, DR), 'x');
}

static void test_loopback(void **state)
{
	struct fx *f = *state;
	const uint8_t b = 'z';

	linux_startup(f);
	wr(f, CR, 0x381); /* + LBE */
	wr(f, DR, 'L');
	assert_int_equal(f->nout, 0);
	assert_int_equal(rd(f, DR), 'L');
	/* External input is disconnected in loopback. */
	assert_int_equal(pl011_rx(f->u, &b, 1), 0);
}

static void test_trigger_levels(void **state)
{
	struct fx *f = *state;
	uint8_t buf[32] = { 0 };

	linux_startup(f);
	wr(f, IFLS, 0x00); /* RX trigger 1/8 = 4 bytes */
	assert_int_equal(pl011_rx(f->u, buf, 3), 3);
	assert_int_equal(rd(f, RIS) & INT_RX, 0);
	assert_int_equal(pl011_rx(f->u, buf, 1), 1);
	assert_true(rd(f, RIS) & INT_RX);
	wr(f, IFLS, 0x20); /* 7/8 = 28 bytes */
	assert_int_equal(rd(f, RIS) & INT_RX, 0);
}

static void test_hostile(void **state)
{
	struct fx *f = *state;
	uint64_t q = 0;
	uint32_t v = 0;
	uint16_t w = 0xffff;

	/* Misaligned accesses read all-ones and change nothing. */
	assert_int_not_equal(bus_access(&f->bus, BASE + CR + 1, &v, 2, 0), 0);
	assert_int_not_equal(bus_access(&f->bus, BASE + CR + 2, &w, 2, 1), 0);
	assert_int_equal(rd(f, CR), 0x300);
	/* 8-byte accesses are refused by the bus. */
	assert_int_not_equal(bus_access(&f->bus, BASE + CR, &q, 8, 0), 0);
	assert_true(q == ~0ull);
	/* Writes to read-only and unknown registers are dropped. */
	wr(f, FR, 0);
	wr(f, 0x800, 0x1234);
	assert_int_equal(rd(f, 0x800), 0);
	wr(f, RSR, 0xff);
	assert_int_equal(rd(f, RSR), 0);
	/* 32-bit accesses work too (SBSA-style drivers, earlycon). */
	v = 0x301;
	assert_int_equal(bus_access(&f->bus, BASE + CR, &v, 4, 1), 0);
	v = 0;
	assert_int_equal(bus_access(&f->bus, BASE + CR, &v, 4, 0), 0);
	assert_int_equal(v, 0x301);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ids),
		T(test_reset_state),
		T(test_tx),
		T(test_rx_fifo),
		T(test_rx_no_fifo),
		T(test_loopback),
		T(test_trigger_levels),
		T(test_hostile),
	};

	return cmocka_run_group_tests_name("pl011", tests, NULL, NULL);
}
