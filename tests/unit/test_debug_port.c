// SPDX-License-Identifier: Apache-2.0
/*
 * test_debug_port.c - port 0x80 driven through a PIO bus.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/bus.h"
#include "devices/debug_port.h"
#include "vmm/log.h"

#define PORT 0x80

struct fx {
	struct bus bus;
	struct debug_port *d;
	uint64_t now;
	int pipe[2]; /* captured log */
};

static uint64_t fx_clock(void *opaque)
{
	return ((struct fx *)opaque)->now;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct debug_port_cfg cfg;

	if (!f || bus_init(&f->bus, "pio"))
		return -1;
	if (pipe2(f->pipe, O_NONBLOCK | O_CLOEXEC))
		return -1;
	fcntl(f->pipe[1], F_SETPIPE_SZ, 1 << 20);
	log_set_fd(f->pipe[1]);
	log_set_level(LOG_INFO);
	cfg = (struct debug_port_cfg){ .clock_ns = fx_clock, .opaque = f };
	if (debug_port_create(&cfg, &f->d) ||
	    debug_port_attach(f->d, &f->bus, PORT))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	log_set_fd(2);
	log_set_level(LOG_WARN);
	close(f->pipe[0]);
	close(f->pipe[1]);
	bus_unregister(&f->bus, PORT);
	debug_port_destroy(f->d);
	bus_destroy(&f->bus);
	free(f);
	return 0;
}

static void out(struct fx *f, uint8_t v)
{
	assert_int_equal(bus_access(&f->bus, PORT, &v, 1, 1), 0);
}

/* Everything logged since the last call, NUL-terminated. */
static char *drain_log(struct fx *f)
{
	static char buf[1 << 16];
	ssize_t n, total = 0;

	while ((n = read(f->pipe[0], buf + total,
			 sizeof(buf) - 1 - (size_t)total)) > 0)
		total += n;
	buf[total] = '\0';
	return buf;
}

static unsigned int count_lines(const char *s, const char *needle)
{
	unsigned int n = 0;

	while ((s = strstr(s, needle))) {
		n++;
		s++;
	}
	return n;
}

static void test_record(void **state)
{
	struct fx *f = *state;
	uint8_t code = 0;
	uint64_t ns = 0;
	char *log;

	assert_int_equal(debug_port_last(f->d, &code, &ns), -ENOENT);
	assert_int_equal(debug_port_count(f->d), 0);
	f->now = 1500000000ull + 42000;
	out(f, 0x41);
	assert_int_equal(debug_port_last(f->d, &code, &ns), 0);
	assert_int_equal(code, 0x41);
	assert_int_equal(ns, 1500042000ull);
	assert_int_equal(debug_port_count(f->d), 1);
	log = drain_log(f);
	assert_non_null(strstr(log, "info"));
	assert_non_null(strstr(log, "kernel code 0x41 at 1.500042 s"));

	f->now = 2000000000ull;
	out(f, 0xff);
	assert_int_equal(debug_port_last(f->d, &code, NULL), 0);
	assert_int_equal(code, 0xff);
	assert_int_equal(debug_port_last(f->d, NULL, &ns), 0);
	assert_int_equal(ns, 2000000000ull);
	assert_int_equal(debug_port_count(f->d), 2);
	assert_non_null(strstr(drain_log(f), "unknown code 0xff at 2.000000"));

	debug_port_reset(f->d);
	assert_int_equal(debug_port_count(f->d), 0);
	assert_int_equal(debug_port_last(f->d, &code, &ns), -ENOENT);
}

static void test_ranges(void **state)
{
	static const struct {
		uint8_t code;
		const char *name;
	} t[] = {
		{ 0x00, "firmware" },	{ 0x1f, "firmware" },
		{ 0x20, "bootloader" }, { 0x3f, "bootloader" },
		{ 0x40, "kernel" },	{ 0x5f, "kernel" },
		{ 0x60, "userspace" },	{ 0x7f, "userspace" },
		{ 0x80, "unknown" },	{ 0xff, "unknown" },
	};
	struct fx *f = *state;
	char expect[64];
	unsigned int i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_string_equal(debug_port_range(t[i].code), t[i].name);
		out(f, t[i].code);
		snprintf(expect, sizeof(expect), "%s code 0x%02x ", t[i].name,
			 t[i].code);
		assert_non_null(strstr(drain_log(f), expect));
	}
}

static void test_reads(void **state)
{
	struct fx *f = *state;
	uint8_t v = 0;
	uint16_t w = 0;

	assert_int_equal(bus_access(&f->bus, PORT, &v, 1, 0), 0);
	assert_int_equal(v, 0xff);
	assert_int_equal(debug_port_count(f->d), 0);
	/* Wider accesses spill past the one-port range. */
	assert_int_equal(bus_access(&f->bus, PORT, &w, 2, 1), -ENOENT);
	assert_int_equal(debug_port_count(f->d), 0);
}

static void test_ratelimit(void **state)
{
	struct fx *f = *state;
	unsigned int i;
	char *log;

	for (i = 0; i < 1000; i++)
		out(f, 0x42);
	/* Every write is recorded, but the guest cannot flood the log. */
	assert_int_equal(debug_port_count(f->d), 1000);
	log = drain_log(f);
	assert_int_equal(count_lines(log, "kernel code 0x42"), LOG_RL_BURST);
}

static void test_default_clock(void **state)
{
	struct debug_port *d;
	struct bus b;
	uint64_t t0, t1, ns = 0;

	log_set_level(LOG_ERR);
	assert_int_equal(debug_port_create(NULL, NULL), -EINVAL);
	assert_int_equal(debug_port_create(NULL, &d), 0);
	assert_int_equal(bus_init(&b, "pio"), 0);
	assert_int_equal(debug_port_attach(d, &b, PORT), 0);
	t0 = log_uptime_ns();
	assert_int_equal(bus_access(&b, PORT, &(uint8_t){ 0x10 }, 1, 1), 0);
	t1 = log_uptime_ns();
	assert_int_equal(debug_port_last(d, NULL, &ns), 0);
	assert_true(ns >= t0 && ns <= t1);
	bus_destroy(&b);
	debug_port_destroy(d);
	debug_port_destroy(NULL);
	log_set_level(LOG_WARN);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_record),
		T(test_ranges),
		T(test_reads),
		T(test_ratelimit),
		cmocka_unit_test(test_default_clock),
	};
#undef T

	return cmocka_run_group_tests_name("debug_port", tests, NULL, NULL);
}
