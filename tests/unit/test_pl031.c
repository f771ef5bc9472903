// SPDX-License-Identifier: Apache-2.0
/*
 * test_pl031.c - the PL031 RTC on an MMIO bus with an injected clock.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "devices/bus.h"
#include "devices/irq.h"
#include "devices/pl031.h"
#include "vmm/log.h"

#define BASE 0x9010000ull
#define DR 0x00
#define MR 0x04
#define LR 0x08
#define CR 0x0c
#define IMSC 0x10
#define RIS 0x14
#define MIS 0x18
#define ICR 0x1c
#define NS 1000000000ll

struct fx {
	struct bus bus;
	struct irq_line irq;
	struct pl031 *r;
	int64_t now; /* fake wall clock, ns */
	int level;
	unsigned int rearms;
};

static int64_t fx_now(void *opaque)
{
	return ((struct fx *)opaque)->now;
}

static void fx_irq(void *opaque, uint32_t pin, int level)
{
	((struct fx *)opaque)->level = level;
}

static void fx_rearm(void *opaque)
{
	((struct fx *)opaque)->rearms++;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct pl031_cfg cfg;

	if (!f || bus_init(&f->bus, "mmio"))
		return -1;
	log_set_level(LOG_ERR);
	f->now = 1700000000ll * NS + NS / 2;
	irq_line_init_cb(&f->irq, fx_irq, f, 34);
	cfg = (struct pl031_cfg){ .irq = &f->irq,
				  .now_ns = fx_now,
				  .now_opaque = f,
				  .rearm = fx_rearm,
				  .rearm_opaque = f };
	if (pl031_create(&cfg, &f->r) || pl031_attach(f->r, &f->bus, BASE))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	bus_unregister(&f->bus, BASE);
	pl031_destroy(f->r);
	bus_destroy(&f->bus);
	free(f);
	return 0;
}

static uint32_t rd(struct fx *f, uint32_t off)
{
	uint32_t v = 0;

	assert_int_equal(bus_access(&f->bus, BASE + off, &v, 4, 0), 0);
	return v;
}

static void wr(struct fx *f, uint32_t off, uint32_t v)
{
	assert_int_equal(bus_access(&f->bus, BASE + off, &v, 4, 1), 0);
}

static void test_ids(void **state)
{
	static const uint8_t want[8] = { 0x31, 0x10, 0x14, 0x00,
					 0x0d, 0xf0, 0x05, 0xb1 };
	struct fx *f = *state;
	int i;

	for (i = 0; i < 8; i++)
		assert_int_equal(rd(f, 0xfe0 + 4 * i), want[i]);
}

static void test_follows_host_clock(void **state)
{
	struct fx *f = *state;

	assert_int_equal(rd(f, DR), 1700000000u);
	assert_int_equal(rd(f, CR), 1);
	f->now += 3 * NS;
	assert_int_equal(rd(f, DR), 1700000003u);
	/* Writing 0 to CR does not stop the clock. */
	wr(f, CR, 0);
	f->now += NS;
	assert_int_equal(rd(f, DR), 1700000004u);
}

static void test_real_clock(void **state)
{
	struct pl031_cfg cfg = { 0 };
	struct pl031 *r;
	struct bus b;
	uint32_t v = 0;
	time_t t;

	(void)state;
	assert_int_equal(bus_init(&b, "mmio"), 0);
	assert_int_equal(pl031_create(&cfg, &r), 0);
	assert_int_equal(pl031_attach(r, &b, BASE), 0);
	t = time(NULL);
	assert_int_equal(bus_access(&b, BASE + DR, &v, 4, 0), 0);
	assert_true(v >= (uint32_t)t && v <= (uint32_t)t + 1);
	bus_unregister(&b, BASE);
	pl031_destroy(r);
	bus_destroy(&b);
}

static void test_load(void **state)
{
	struct fx *f = *state;

	wr(f, LR, 1000);
	assert_int_equal(rd(f, LR), 1000);
	assert_int_equal(rd(f, DR), 1000);
	f->now += 2 * NS;
	assert_int_equal(rd(f, DR), 1002);
	/* The counter wraps at 2^32. */
	wr(f, LR, 0xffffffffu);
	f->now += NS;
	assert_int_equal(rd(f, DR), 0);
}

static void test_match(void **state)
{
	struct fx *f = *state;
	int64_t when = 0;
	uint32_t now = rd(f, DR);

	assert_int_equal(pl031_next_event_ns(f->r, &when), -ENOENT);
	wr(f, IMSC, 1);
	wr(f, MR, now + 5);
	assert_int_equal(f->rearms, 1);
	assert_int_equal(pl031_next_event_ns(f->r, &when), 0);
	assert_true(when == (int64_t)(now + 5) * NS);
	f->now += 4 * NS;
	pl031_tick(f->r);
	assert_int_equal(rd(f, RIS), 0);
	assert_int_equal(f->level, 0);
	/* The timer fires late: the match is still raised. */
	f->now += 2 * NS;
	pl031_tick(f->r);
	assert_int_equal(rd(f, RIS), 1);
	assert_int_equal(rd(f, MIS), 1);
	assert_int_equal(f->level, 1);
	assert_int_equal(pl031_next_event_ns(f->r, &when), -ENOENT);
	wr(f, ICR, 1);
	assert_int_equal(rd(f, RIS), 0);
	assert_int_equal(f->level, 0);
	/* Once only: ticking again raises nothing. */
	pl031_tick(f->r);
	assert_int_equal(rd(f, RIS), 0);
}

static void test_masked_match(void **state)
{
	struct fx *f = *state;

	wr(f, MR, rd(f, DR));
	assert_int_equal(rd(f, RIS), 1);
	assert_int_equal(rd(f, MIS), 0);
	assert_int_equal(f->level, 0);
	wr(f, IMSC, 1);
	assert_int_equal(f->level, 1);
}

static void test_hostile(void **state)
{
	struct fx *f = *state;
	uint16_t h = 0;
	uint32_t v = 0x12345678;

	/* Only aligned 32-bit accesses. */
	assert_int_not_equal(bus_access(&f->bus, BASE + DR, &h, 2, 0), 0);
	assert_int_not_equal(bus_access(&f->bus, BASE + LR + 1, &v, 4, 1), 0);
	assert_int_equal(rd(f, LR), 0);
	/* Read-only registers ignore writes. */
	wr(f, RIS, 1);
	wr(f, DR, 5);
	assert_int_equal(rd(f, RIS), 0);
	assert_int_equal(rd(f, DR), 1700000000u);
	assert_int_equal(rd(f, 0x800), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ids),
		T(test_follows_host_clock),
		T(test_load),
		T(test_match),
		T(test_masked_match),
		T(test_hostile),
		cmocka_unit_test(test_real_clock),
	};

	return cmocka_run_group_tests_name("pl031", tests, NULL, NULL);
}
