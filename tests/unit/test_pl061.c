// SPDX-License-Identifier: Apache-2.0
/*
 * test_pl061.c - the PL061 GPIO controller on an MMIO bus, configured the
 * way Linux's gpio-pl061 and gpio-keys set up the power key line.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "devices/bus.h"
#include "devices/irq.h"
#include "devices/pl061.h"
#include "vmm/log.h"

#define BASE 0x9030000ull
#define DIR 0x400
#define IS 0x404
#define IBE 0x408
#define IEV 0x40c
#define IE 0x410
#define RIS 0x414
#define MIS 0x418
#define IC 0x41c
#define KEY 3u
#define BIT (1u << KEY)

struct fx {
	struct bus bus;
	struct irq_line irq;
	struct pl061 *g;
	int level;
};

static void fx_irq(void *opaque, uint32_t pin, int level)
{
	((struct fx *)opaque)->level = level;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct pl061_cfg cfg;

	if (!f || bus_init(&f->bus, "mmio"))
		return -1;
	log_set_level(LOG_ERR);
	irq_line_init_cb(&f->irq, fx_irq, f, 39);
	cfg = (struct pl061_cfg){ .irq = &f->irq };
	if (pl061_create(&cfg, &f->g) || pl061_attach(f->g, &f->bus, BASE))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	bus_unregister(&f->bus, BASE);
	pl061_destroy(f->g);
	bus_destroy(&f->bus);
	free(f);
	return 0;
}

static uint8_t rd(struct fx *f, uint32_t off)
{
	uint8_t v = 0;

	assert_int_equal(bus_access(&f->bus, BASE + off, &v, 1, 0), 0);
	return v;
}

static void wr(struct fx *f, uint32_t off, uint8_t v)
{
	assert_int_equal(bus_access(&f->bus, BASE + off, &v, 1, 1), 0);
}

static void test_ids(void **state)
{
	static const uint8_t want[8] = { 0x61, 0x10, 0x04, 0x00,
					 0x0d, 0xf0, 0x05, 0xb1 };
	struct fx *f = *state;
	int i;

	for (i = 0; i < 8; i++)
		assert_int_equal(rd(f, 0xfe0 + 4 * i), want[i]);
}

static void test_data_masking(void **state)
{
	struct fx *f = *state;

	wr(f, DIR, 0x0f); /* lines 0-3 outputs */
	/* Address bits [9:2] select which bits a write changes. */
	wr(f, 0x3fc, 0xff);
	assert_int_equal(rd(f, 0x3fc), 0x0f);
	wr(f, 0x01 << 2, 0x00); /* clear line 0 only */
	assert_int_equal(rd(f, 0x3fc), 0x0e);
	assert_int_equal(rd(f, 0x02 << 2), 0x02);
	assert_int_equal(rd(f, 0x01 << 2), 0x00);
	/* Inputs read the external level, outputs ignore theirs. */
	assert_int_equal(pl061_set_input(f->g, 7, 1), 0);
	assert_int_equal(pl061_set_input(f->g, 1, 0), 0);
	assert_int_equal(rd(f, 0x3fc), 0x8e);
	assert_int_equal(pl061_set_input(f->g, 8, 1), -EINVAL);
}

/* gpio-keys asks for both edges on the key line. */
static void test_power_key_both_edges(void **state)
{
	struct fx *f = *state;

	wr(f, IS, 0);
	wr(f, IBE, BIT);
	wr(f, IC, 0xff);
	wr(f, IE, BIT);
	assert_int_equal(f->level, 0);
	pl061_set_input(f->g, KEY, 1); /* pressed */
	assert_int_equal(f->level, 1);
	assert_int_equal(rd(f, MIS), BIT);
	assert_int_equal(rd(f, BIT << 2), BIT);
	wr(f, IC, BIT);
	assert_int_equal(f->level, 0);
	pl061_set_input(f->g, KEY, 1); /* no change: no edge */
	assert_int_equal(f->level, 0);
	pl061_set_input(f->g, KEY, 0); /* released */
	assert_int_equal(f->level, 1);
	assert_int_equal(rd(f, BIT << 2), 0);
	wr(f, IC, BIT);
	assert_int_equal(f->level, 0);
	/* Other lines (falling edge by default) latch but stay masked. */
	pl061_set_input(f->g, 5, 1);
	assert_int_equal(rd(f, RIS), 0);
	pl061_set_input(f->g, 5, 0);
	assert_int_equal(rd(f, RIS), 1u << 5);
	assert_int_equal(f->level, 0);
}

static void test_single_edges(void **state)
{
	struct fx *f = *state;

	wr(f, IE, BIT);
	wr(f, IEV, BIT); /* rising only */
	pl061_set_input(f->g, KEY, 1);
	assert_int_equal(f->level, 1);
	wr(f, IC, BIT);
	pl061_set_input(f->g, KEY, 0);
	assert_int_equal(f->level, 0);
	wr(f, IEV, 0); /* falling only */
	pl061_set_input(f->g, KEY, 1);
	assert_int_equal(f->level, 0);
	pl061_set_input(f->g, KEY, 0);
	assert_int_equal(f->level, 1);
}

static void test_level(void **state)
{
	struct fx *f = *state;

	wr(f, IS, BIT);
	wr(f, IEV, BIT); /* high level */
	wr(f, IE, BIT);
	assert_int_equal(f->level, 0);
	pl061_set_input(f->g, KEY, 1);
	assert_int_equal(f->level, 1);
	/* Clearing a level interrupt does nothing while the level holds. */
	wr(f, IC, BIT);
	assert_int_equal(f->level, 1);
	pl061_set_input(f->g, KEY, 0);
	assert_int_equal(f->level, 0);
	assert_int_equal(rd(f, RIS), 0);
}

static void test_hostile(void **state)
{
	struct fx *f = *state;
	uint8_t v = 0xff;

	assert_int_not_equal(bus_access(&f->bus, BASE + DIR + 1, &v, 1, 1), 0);
	assert_int_equal(rd(f, DIR), 0);
	wr(f, RIS, 0xff);
	wr(f, MIS, 0xff);
	assert_int_equal(rd(f, RIS), 0);
	wr(f, 0x900, 0xff);
	assert_int_equal(rd(f, 0x900), 0);
	assert_int_equal(f->level, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ids),
		T(test_data_masking),
		T(test_power_key_both_edges),
		T(test_single_edges),
		T(test_level),
		T(test_hostile),
	};

	return cmocka_run_group_tests_name("pl061", tests, NULL, NULL);
}
