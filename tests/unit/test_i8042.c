// SPDX-License-Identifier: Apache-2.0
/*
 * test_i8042.c - the PS/2 controller driven through a PIO bus.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "devices/bus.h"
#include "devices/i8042.h"
#include "vmm/log.h"

#define DATA 0x60
#define CMD 0x64

#define STR_OBF 0x01
#define STR_IBF 0x02
#define STR_SYS 0x04
#define STR_CMD 0x08
#define STR_UNLOCK 0x10
#define STR_AUXDATA 0x20

struct fx {
	struct bus bus;
	struct i8042 *d;
	unsigned int resets;
};

static void fx_reset(void *opaque)
{
	((struct fx *)opaque)->resets++;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct i8042_cfg cfg;

	if (!f || bus_init(&f->bus, "pio"))
		return -1;
	log_set_level(LOG_ERR);
	cfg = (struct i8042_cfg){ .reset = fx_reset, .opaque = f };
	if (i8042_create(&cfg, &f->d) || i8042_attach(f->d, &f->bus, DATA))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	bus_unregister(&f->bus, DATA);
	bus_unregister(&f->bus, CMD);
	i8042_destroy(f->d);
	bus_destroy(&f->bus);
	free(f);
	return 0;
}

static uint8_t in(struct fx *f, unsigned int port)
{
	uint8_t v = 0;

	assert_int_equal(bus_access(&f->bus, port, &v, 1, 0), 0);
	return v;
}

static void out(struct fx *f, unsigned int port, uint8_t v)
{
	assert_int_equal(bus_access(&f->bus, port, &v, 1, 1), 0);
}

/* A controller command with an optional parameter; returns the reply
 * byte, or -1 if the output buffer stayed empty. */
static int command(struct fx *f, uint8_t cmd, int param)
{
	assert_int_equal(in(f, CMD) & STR_IBF, 0);
	out(f, CMD, cmd);
	if (param >= 0) {
		assert_int_equal(in(f, CMD) & STR_IBF, 0);
		out(f, DATA, (uint8_t)param);
	}
	if (!(in(f, CMD) & STR_OBF))
		return -1;
	return in(f, DATA);
}

static void test_create_args(void **state)
{
	struct i8042_cfg cfg = { 0 };
	struct i8042 *d;
	struct bus b;

	assert_int_equal(i8042_create(NULL, &d), -EINVAL);
	assert_int_equal(i8042_create(&cfg, NULL), -EINVAL);
	assert_int_equal(i8042_create(&cfg, &d), 0);
	/* A failed attach leaves nothing registered. */
	assert_int_equal(bus_init(&b, "pio"), 0);
	assert_int_equal(bus_register(&b, CMD, 1, &(const struct io_ops){ 0 },
				      NULL, "x"),
			 0);
	assert_int_equal(i8042_attach(d, &b, DATA), -EEXIST);
	assert_int_equal(b.nr, 1);
	assert_int_equal(i8042_attach(d, &b, 0xfffe), -EINVAL);
	bus_unregister(&b, CMD);
	/* No reset callback: 0xFE is harmless. */
	assert_int_equal(i8042_attach(d, &b, DATA), 0);
	assert_int_equal(bus_access(&b, CMD, &(uint8_t){ 0xfe }, 1, 1), 0);
	bus_destroy(&b);
	i8042_destroy(d);
	i8042_destroy(NULL);
}

static void test_power_on_status(void **state)
{
	struct fx *f = *state;
	uint8_t s = in(f, CMD);

	assert_int_equal(s & (STR_OBF | STR_IBF | STR_AUXDATA), 0);
	assert_int_equal(s & STR_SYS, STR_SYS);
	assert_int_equal(s & STR_UNLOCK, STR_UNLOCK); /* no keylock */
	assert_int_equal(command(f, 0x20, -1), 0x45);
}

static void test_reset_command(void **state)
{
	struct fx *f = *state;
	unsigned int c;

	out(f, CMD, 0xfe);
	assert_int_equal(f->resets, 1);
	/* 0xF0-0xFF pulse the lines whose bit is 0; bit 0 is reset. */
	out(f, CMD, 0xff);
	out(f, CMD, 0xfd);
	assert_int_equal(f->resets, 1);
	for (c = 0xf0; c <= 0xff; c++)
		out(f, CMD, (uint8_t)c);
	assert_int_equal(f->resets, 1 + 8);
	/* 0xFE on the data port is a keyboard byte, not a reset. */
	out(f, DATA, 0xfe);
	assert_int_equal(f->resets, 9);
}

static void test_output_port(void **state)
{
	struct fx *f = *state;

	assert_int_equal(command(f, 0xd0, -1), 0x03);
	assert_int_equal(command(f, 0xd1, 0x01), -1); /* A20 off */
	assert_int_equal(f->resets, 0);
	assert_int_equal(command(f, 0xd0, -1), 0x01);
	command(f, 0xdf, -1);
	assert_int_equal(command(f, 0xd0, -1), 0x03);
	command(f, 0xdd, -1);
	assert_int_equal(command(f, 0xd0, -1), 0x01);
	/* Bit 0 low drives the CPU reset line. */
	command(f, 0xd1, 0x02);
	assert_int_equal(f->resets, 1);
	command(f, 0xd1, 0xdf);
	assert_int_equal(f->resets, 1);
}

static void test_tests_and_ctr(void **state)
{
	struct fx *f = *state;

	assert_int_equal(command(f, 0xaa, -1), 0x55);
	assert_int_equal(in(f, CMD) & STR_OBF, 0); /* read emptied it */
	assert_int_equal(command(f, 0xab, -1), 0x00);
	assert_int_equal(command(f, 0xa9, -1), 0x00);
	assert_int_equal(command(f, 0xa4, -1), 0xf1);

	assert_int_equal(command(f, 0x60, 0x30), -1);
	assert_int_equal(command(f, 0x20, -1), 0x30);
	assert_int_equal(in(f, CMD) & STR_SYS, 0); /* follows CTR bit 2 */
	command(f, 0x60, 0x74);
	assert_int_equal(in(f, CMD) & STR_SYS, STR_SYS);
	/* Port enable/disable commands show in the command byte. */
	command(f, 0xad, -1);
	command(f, 0xa7, -1);
	assert_int_equal(command(f, 0x20, -1), 0x74);
	command(f, 0xae, -1);
	assert_int_equal(command(f, 0x20, -1), 0x64);
	command(f, 0xa8, -1);
	assert_int_equal(command(f, 0x20, -1), 0x44);
	command(f, 0xa7, -1);
	assert_int_equal(command(f, 0x20, -1), 0x64);
	/* The rest of controller RAM. */
	command(f, 0x7f, 0x99);
	assert_int_equal(command(f, 0x3f, -1), 0x99);
	assert_int_equal(command(f, 0x20, -1), 0x64);
}

static void test_cmd_data_flag(void **state)
{
	struct fx *f = *state;

	out(f, CMD, 0xa7);
	assert_int_equal(in(f, CMD) & STR_CMD, STR_CMD);
	out(f, DATA, 0x00);
	assert_int_equal(in(f, CMD) & STR_CMD, 0);
	assert_int_equal(in(f, CMD) & STR_IBF, 0);
}

static void test_loopback_obuf(void **state)
{
	struct fx *f = *state;

	/* 0xD3: the byte comes back as if the mouse sent it. */
	out(f, CMD, 0xd3);
	out(f, DATA, 0x5a);
	assert_int_equal(in(f, CMD) & (STR_OBF | STR_AUXDATA),
			 STR_OBF | STR_AUXDATA);
	assert_int_equal(in(f, DATA), 0x5a);
	assert_int_equal(in(f, CMD) & (STR_OBF | STR_AUXDATA), 0);
	/* 0xD2: as if from the keyboard. */
	out(f, CMD, 0xd2);
	out(f, DATA, 0xa5);
	assert_int_equal(in(f, CMD) & (STR_OBF | STR_AUXDATA), STR_OBF);
	assert_int_equal(in(f, DATA), 0xa5);
	/* Reading an empty buffer returns the stale byte. */
	assert_int_equal(in(f, DATA), 0xa5);
	assert_int_equal(in(f, CMD) & STR_OBF, 0);
}

static void test_no_devices(void **state)
{
	struct fx *f = *state;
	uint8_t ctr = (uint8_t)command(f, 0x20, -1);

	/* Keyboard reset/identify: no ACK, nothing queued, never busy. */
	out(f, DATA, 0xff);
	out(f, DATA, 0xf2);
	assert_int_equal(in(f, CMD) & (STR_OBF | STR_IBF), 0);
	/* Mouse via 0xD4: same. */
	assert_int_equal(command(f, 0xd4, 0xf4), -1);
	assert_int_equal(in(f, CMD) & (STR_OBF | STR_IBF), 0);
	/* The next controller command gets its own answer. */
	assert_int_equal(command(f, 0x20, -1), ctr);
}

static void test_command_aborts_param(void **state)
{
	struct fx *f = *state;

	out(f, CMD, 0x60);
	out(f, CMD, 0xaa);
	assert_int_equal(in(f, DATA), 0x55);
	out(f, DATA, 0x00); /* now a keyboard byte: CTR untouched */
	assert_int_equal(command(f, 0x20, -1), 0x45);
	out(f, CMD, 0xd1);
	out(f, CMD, 0xa8);
	out(f, DATA, 0x00); /* not an output-port write */
	assert_int_equal(f->resets, 0);
}

/* What Linux's i8042 probe does, in order. */
static void test_linux_probe(void **state)
{
	struct fx *f = *state;
	unsigned int n = 0;
	int ctr;

	/* i8042_flush(): must drain within 16 reads. */
	out(f, CMD, 0xd2);
	out(f, DATA, 0x11);
	while (in(f, CMD) & STR_OBF) {
		assert_true(n++ < 16);
		in(f, DATA);
	}
	assert_int_equal(command(f, 0xaa, -1), 0x55);
	ctr = command(f, 0x20, -1);
	assert_int_equal(command(f, 0x20, -1), ctr); /* stable */
	ctr = (ctr | 0x10) & ~0x01;
	assert_int_equal(command(f, 0x60, ctr), -1);
	assert_int_equal(command(f, 0x20, -1), ctr);
	/* i8042_check_aux(): loop, then the AUXDIS bit assignment test. */
	assert_true(in(f, CMD) & STR_UNLOCK);
	out(f, CMD, 0xd3);
	out(f, DATA, 0x5a);
	assert_true(in(f, CMD) & STR_AUXDATA);
	assert_int_equal(in(f, DATA), 0x5a);
	command(f, 0xa7, -1);
	assert_true(command(f, 0x20, -1) & 0x20);
	command(f, 0xa8, -1);
	assert_false(command(f, 0x20, -1) & 0x20);
	assert_int_equal(f->resets, 0);
}

static void test_reset_state(void **state)
{
	struct fx *f = *state;

	command(f, 0x60, 0x00);
	command(f, 0xd1, 0x01);
	out(f, CMD, 0x20);
	out(f, CMD, 0xd1); /* left waiting for its parameter */
	i8042_reset(f->d);
	assert_int_equal(in(f, CMD) & (STR_OBF | STR_CMD), 0);
	out(f, DATA, 0x00); /* not an output-port write any more */
	assert_int_equal(f->resets, 0);
	assert_int_equal(command(f, 0x20, -1), 0x45);
	assert_int_equal(command(f, 0xd0, -1), 0x03);
}

static void test_hostile(void **state)
{
	struct fx *f = *state;
	uint16_t w = 0;
	unsigned int c, v;

	/* Wider accesses spill out of the one-port ranges: unclaimed. */
	assert_int_equal(bus_access(&f->bus, DATA, &w, 2, 0), -ENOENT);
	assert_int_equal(w, 0xffff);
	assert_int_equal(bus_access(&f->bus, CMD, &(uint32_t){ 0xfe }, 4, 1),
			 -ENOENT);
	assert_int_equal(f->resets, 0);
	assert_int_equal(bus_access(&f->bus, CMD - 1, &(uint16_t){ 0xfefe }, 2,
				    1),
			 -ENOENT);
	assert_int_equal(f->resets, 0);
	/* Ports in between belong to other devices. */
	assert_int_equal(bus_access(&f->bus, 0x61, &w, 1, 0), -ENOENT);
	/* Every command with every parameter: only the documented reset
	 * paths fire. */
	for (c = 0; c < 256; c++) {
		for (v = 0; v < 256; v += 51) {
			out(f, CMD, (uint8_t)c);
			out(f, DATA, (uint8_t)v);
			in(f, CMD);
			in(f, DATA);
		}
	}
	/* 8 pulse commands and 0xD1 with even values, 6 values each. */
	assert_int_equal(f->resets, 8 * 6 + 3);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_args),
		T(test_power_on_status),
		T(test_reset_command),
		T(test_output_port),
		T(test_tests_and_ctr),
		T(test_cmd_data_flag),
		T(test_loopback_obuf),
		T(test_no_devices),
		T(test_command_aborts_param),
		T(test_linux_probe),
		T(test_reset_state),
		T(test_hostile),
	};
#undef T

	return cmocka_run_group_tests_name("i8042", tests, NULL, NULL);
}
