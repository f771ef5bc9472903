// SPDX-License-Identifier: Apache-2.0
/*
 * test_acpi_pm.c - ACPI sleep/reset registers and PM timer via a PIO bus.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "arch/x86_64/layout.h"
#include "devices/acpi_pm.h"
#include "devices/bus.h"
#include "vmm/log.h"

#define PM X86_ACPI_PM_PORT
#define TMR X86_ACPI_PM_TMR_PORT
#define S5_OFF ((X86_ACPI_S5_TYP << 2) | (1u << 5))

struct fx {
	struct bus bus;
	struct acpi_pm *d;
	uint64_t now;
	unsigned int resets, poweroffs;
};

static void fx_reset(void *opaque)
{
	((struct fx *)opaque)->resets++;
}

static void fx_poweroff(void *opaque)
{
	((struct fx *)opaque)->poweroffs++;
}

static uint64_t fx_clock(void *opaque)
{
	return ((struct fx *)opaque)->now;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct acpi_pm_cfg cfg;

	if (!f || bus_init(&f->bus, "pio"))
		return -1;
	log_set_level(LOG_ERR);
	f->now = 123456789ull; /* the clock does not start at 0 */
	cfg = (struct acpi_pm_cfg){
		.poweroff = fx_poweroff,
		.reset = fx_reset,
		.opaque = f,
		.clock_ns = fx_clock,
	};
	if (acpi_pm_create(&cfg, &f->d) || acpi_pm_attach(f->d, &f->bus, PM))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	bus_unregister(&f->bus, PM);
	acpi_pm_destroy(f->d);
	bus_destroy(&f->bus);
	free(f);
	return 0;
}

static uint8_t in8(struct fx *f, unsigned int port)
{
	uint8_t v = 0;

	assert_int_equal(bus_access(&f->bus, port, &v, 1, 0), 0);
	return v;
}

static void out8(struct fx *f, unsigned int port, uint8_t v)
{
	assert_int_equal(bus_access(&f->bus, port, &v, 1, 1), 0);
}

static uint32_t tmr(struct fx *f)
{
	uint32_t v = 0;

	assert_int_equal(bus_access(&f->bus, TMR, &v, 4, 0), 0);
	return v;
}

/* Reference: floor(ns * 3579545 / 1e9) mod 2^32. */
static uint32_t ticks_ref(uint64_t ns)
{
	return (uint32_t)((unsigned __int128)ns * 3579545u / 1000000000u);
}

static void test_layout(void **state)
{
	assert_int_equal(TMR, PM + ACPI_PM_TMR_OFF);
	assert_int_equal(S5_OFF, 0x34);
	assert_int_equal(X86_ACPI_RESET_VALUE, 1);
}

static void test_reset_and_poweroff(void **state)
{
	struct fx *f = *state;

	out8(f, PM, X86_ACPI_RESET_VALUE);
	assert_int_equal(f->resets, 1);
	assert_int_equal(f->poweroffs, 0);
	out8(f, PM, S5_OFF);
	assert_int_equal(f->resets, 1);
	assert_int_equal(f->poweroffs, 1);
	/* SLP_TYP 5 without SLP_EN does nothing. */
	out8(f, PM, X86_ACPI_S5_TYP << 2);
	out8(f, PM, 0x00);
	assert_int_equal(f->resets, 1);
	assert_int_equal(f->poweroffs, 1);
	/* The sleep control register reads 0. */
	assert_int_equal(in8(f, PM), 0);
}

static void test_every_value(void **state)
{
	struct fx *f = *state;
	unsigned int v, resets = 0, offs = 0;

	for (v = 0; v < 256; v++) {
		out8(f, PM, (uint8_t)v);
		if (v == X86_ACPI_RESET_VALUE)
			resets++;
		else if ((v & 0x20) && ((v >> 2) & 7) == X86_ACPI_S5_TYP)
			offs++; /* 0x34 with any reserved bits (0,1,6,7) */
		assert_int_equal(f->resets, resets);
		assert_int_equal(f->poweroffs, offs);
	}
	assert_int_equal(resets, 1);
	assert_int_equal(offs, 16);
	/* The same values elsewhere in the block do nothing. */
	for (v = 1; v < ACPI_PM_NR_PORTS; v++) {
		out8(f, PM + v, X86_ACPI_RESET_VALUE);
		out8(f, PM + v, S5_OFF);
	}
	assert_int_equal(f->resets, 1);
	assert_int_equal(f->poweroffs, 16);
}

static void test_wide_writes(void **state)
{
	struct fx *f = *state;
	uint16_t w = 0x3400; /* 0x00 to control, 0x34 to status */
	uint32_t d = 0x00000001;

	assert_int_equal(bus_access(&f->bus, PM, &w, 2, 1), 0);
	assert_int_equal(f->resets + f->poweroffs, 0);
	/* Byte 0 of a wider write is the control/reset register. */
	assert_int_equal(bus_access(&f->bus, PM, &d, 4, 1), 0);
	assert_int_equal(f->resets, 1);
	assert_int_equal(f->poweroffs, 0);
}

static void test_sleep_status(void **state)
{
	struct fx *f = *state;

	assert_int_equal(in8(f, PM + 1), 0);
	/* Unsupported sleep states wake at once: WAK_STS set. */
	out8(f, PM, (3 << 2) | 0x20);
	assert_int_equal(f->poweroffs + f->resets, 0);
	assert_int_equal(in8(f, PM + 1), 0x80);
	/* Write-1-to-clear: other bits do not clear it. */
	out8(f, PM + 1, 0x7f);
	assert_int_equal(in8(f, PM + 1), 0x80);
	out8(f, PM + 1, 0x80);
	assert_int_equal(in8(f, PM + 1), 0);
	out8(f, PM + 1, 0xff);
	assert_int_equal(in8(f, PM + 1), 0);
	/* Reset clears it too. */
	out8(f, PM, (1 << 2) | 0x20);
	assert_int_equal(in8(f, PM + 1), 0x80);
	acpi_pm_reset(f->d);
	assert_int_equal(in8(f, PM + 1), 0);
}

static void test_timer_rate(void **state)
{
	struct fx *f = *state;
	uint64_t start = f->now;
	uint8_t b;
	uint16_t h;

	assert_int_equal(tmr(f), 0);
	f->now = start + 1000000000ull;
	assert_int_equal(tmr(f), 3579545);
	f->now = start + 1000;
	assert_int_equal(tmr(f), 3); /* 3.58 ticks per microsecond */
	f->now = start + 280;
	assert_int_equal(tmr(f), 1);
	f->now = start + 279;
	assert_int_equal(tmr(f), 0);
	f->now = start + 10ull * 1000000000ull + 1234567;
	assert_int_equal(tmr(f), ticks_ref(10ull * 1000000000ull + 1234567));

	/* Byte and word reads see parts of the same counter. */
	f->now = start + 1000000000ull; /* 0x00369e99 */
	assert_int_equal(bus_access(&f->bus, TMR, &b, 1, 0), 0);
	assert_int_equal(b, 0x99);
	assert_int_equal(bus_access(&f->bus, TMR + 1, &b, 1, 0), 0);
	assert_int_equal(b, 0x9e);
	assert_int_equal(bus_access(&f->bus, TMR + 2, &h, 2, 0), 0);
	assert_int_equal(h, 0x0036);
	/* The timer is read-only. */
	out8(f, TMR, 0);
	assert_int_equal(tmr(f), 3579545);
}

static void test_timer_wrap(void **state)
{
	struct fx *f = *state;
	uint64_t start = f->now, ns;

	/* 2^32 ticks take about 1199.86 s. */
	f->now = start + 1199ull * 1000000000ull;
	assert_true(tmr(f) > 0xff000000u);
	f->now = start + 1200ull * 1000000000ull;
	assert_int_equal(tmr(f), 1200ull * 3579545 - (1ull << 32));
	/* No 64-bit overflow after years of uptime. */
	ns = 10ull * 365 * 86400 * 1000000000ull + 987654321;
	f->now = start + ns;
	assert_int_equal(tmr(f), ticks_ref(ns));
	ns = UINT64_MAX - start;
	f->now = start + ns;
	assert_int_equal(tmr(f), ticks_ref(ns));
}

static void test_timer_reset(void **state)
{
	struct fx *f = *state;

	f->now += 5000000000ull;
	assert_int_not_equal(tmr(f), 0);
	acpi_pm_reset(f->d);
	assert_int_equal(tmr(f), 0);
	f->now += 1000000000ull;
	assert_int_equal(tmr(f), 3579545);
}

static void test_hostile(void **state)
{
	struct fx *f = *state;
	uint64_t q = 0;
	uint32_t v = 0;
	unsigned int off;

	/* 8-byte accesses are refused by the bus. */
	assert_int_equal(bus_access(&f->bus, PM + 4, &q, 8, 0), -EINVAL);
	assert_int_equal(q, UINT64_MAX);
	q = S5_OFF;
	assert_int_equal(bus_access(&f->bus, PM, &q, 8, 1), -EINVAL);
	assert_int_equal(f->poweroffs, 0);
	/* Past the block nothing answers. */
	assert_int_equal(bus_access(&f->bus, TMR + 2, &v, 4, 0), -ENOENT);
	assert_int_equal(bus_access(&f->bus, PM + 12, &v, 1, 0), -ENOENT);
	/* Reserved registers read 0 and ignore writes. */
	for (off = 2; off < ACPI_PM_TMR_OFF; off++) {
		out8(f, PM + off, 0xff);
		assert_int_equal(in8(f, PM + off), 0);
	}
	assert_int_equal(f->resets + f->poweroffs, 0);
}

static void test_defaults(void **state)
{
	struct acpi_pm_cfg cfg = { 0 };
	struct acpi_pm *d;
	struct bus b;
	struct timespec ts = { 0, 20000000 };
	uint32_t t0 = 0, t1 = 0, delta;

	log_set_level(LOG_ERR);
	assert_int_equal(acpi_pm_create(NULL, &d), -EINVAL);
	assert_int_equal(acpi_pm_create(&cfg, NULL), -EINVAL);
	assert_int_equal(acpi_pm_create(&cfg, &d), 0);
	assert_int_equal(bus_init(&b, "pio"), 0);
	assert_int_equal(acpi_pm_attach(d, &b, PM), 0);
	/* No callbacks: reset and S5 are harmless. */
	assert_int_equal(bus_access(&b, PM, &(uint8_t){ 1 }, 1, 1), 0);
	assert_int_equal(bus_access(&b, PM, &(uint8_t){ S5_OFF }, 1, 1), 0);
	/* CLOCK_MONOTONIC: about 71591 ticks in 20 ms. */
	assert_int_equal(bus_access(&b, TMR, &t0, 4, 0), 0);
	nanosleep(&ts, NULL);
	assert_int_equal(bus_access(&b, TMR, &t1, 4, 0), 0);
	delta = t1 - t0;
	assert_true(delta >= 71000 && delta < 3579545);
	bus_destroy(&b);
	acpi_pm_destroy(d);
	acpi_pm_destroy(NULL);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		T(test_reset_and_poweroff),
		T(test_every_value),
		T(test_wide_writes),
		T(test_sleep_status),
		T(test_timer_rate),
		T(test_timer_wrap),
		T(test_timer_reset),
		T(test_hostile),
		cmocka_unit_test(test_defaults),
	};
#undef T

	return cmocka_run_group_tests_name("acpi_pm", tests, NULL, NULL);
}
