// SPDX-License-Identifier: Apache-2.0
/*
 * test_rtc_cmos.c - CMOS RTC driven through the PIO bus with a fake clock.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "arch/x86_64/layout.h"
#include "devices/bus.h"
#include "devices/irq.h"
#include "devices/rtc_cmos.h"

#define NS 1000000000LL
#define MIB (1024ull * 1024)
#define GIB (1024 * MIB)
/* 2024-02-29 13:45:56 UTC, a Thursday */
#define T0 1709214356LL

struct fx {
	struct bus bus;
	struct rtc_cmos *rtc;
	int64_t now;
	int irq_level;
	int irq_raises;
	int rearms;
};

static int64_t fake_clock(void *opaque)
{
	return __atomic_load_n(&((struct fx *)opaque)->now, __ATOMIC_RELAXED);
}

static void fake_irq(void *opaque, uint32_t pin, int level)
{
	struct fx *fx = opaque;

	assert_int_equal(pin, X86_RTC_IRQ);
	fx->irq_level = level;
	if (level)
		fx->irq_raises++;
}

static void fake_rearm(void *opaque)
{
	((struct fx *)opaque)->rearms++;
}

static int make_fx(void **state, uint64_t below, uint64_t above)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct rtc_cmos_cfg cfg = { 0 };
	struct irq_line line;

	if (!fx)
		return -1;
	fx->now = T0 * NS + NS / 2;
	irq_line_init_cb(&line, fake_irq, fx, X86_RTC_IRQ);
	cfg.irq = &line;
	cfg.mem_below_4g = below;
	cfg.mem_above_4g = above;
	cfg.clock_ns = fake_clock;
	cfg.opaque = fx;
	cfg.rearm = fake_rearm;
	cfg.rearm_opaque = fx;
	if (bus_init(&fx->bus, "pio") || rtc_cmos_create(&cfg, &fx->rtc) ||
	    rtc_cmos_attach(fx->rtc, &fx->bus, X86_RTC_PORT))
		return -1;
	*state = fx;
	return 0;
}

static int setup(void **state)
{
	return make_fx(state, 512 * MIB, 0);
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	rtc_cmos_destroy(fx->rtc);
	bus_destroy(&fx->bus);
	free(fx);
	return 0;
}

static uint8_t rd(struct fx *fx, uint8_t idx)
{
	uint8_t v = 0;

	assert_int_equal(bus_access(&fx->bus, X86_RTC_PORT, &idx, 1, 1), 0);
	assert_int_equal(bus_access(&fx->bus, X86_RTC_PORT + 1, &v, 1, 0), 0);
	return v;
}

static void wr(struct fx *fx, uint8_t idx, uint8_t val)
{
	assert_int_equal(bus_access(&fx->bus, X86_RTC_PORT, &idx, 1, 1), 0);
	assert_int_equal(bus_access(&fx->bus, X86_RTC_PORT + 1, &val, 1, 1), 0);
}

static void expect_time(struct fx *fx, uint8_t cent, uint8_t year, uint8_t mon,
			uint8_t mday, uint8_t hour, uint8_t min, uint8_t sec)
{
	assert_int_equal(rd(fx, 0x00), sec);
	assert_int_equal(rd(fx, 0x02), min);
	assert_int_equal(rd(fx, 0x04), hour);
	assert_int_equal(rd(fx, 0x07), mday);
	assert_int_equal(rd(fx, 0x08), mon);
	assert_int_equal(rd(fx, 0x09), year);
	assert_int_equal(rd(fx, 0x32), cent);
}

static void test_time_bcd(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(rd(fx, 0x0a), 0x26);
	assert_int_equal(rd(fx, 0x0b), 0x02);
	assert_int_equal(rd(fx, 0x0d), 0x80);
	expect_time(fx, 0x20, 0x24, 0x02, 0x29, 0x13, 0x45, 0x56);
	assert_int_equal(rd(fx, 0x06), 5); /* Thursday, Sunday = 1 */
	/* Time advances with the host clock. */
	fx->now += 3600 * NS;
	expect_time(fx, 0x20, 0x24, 0x02, 0x29, 0x14, 0x45, 0x56);
}

static void test_time_binary(void **state)
{
	struct fx *fx = *state;

	wr(fx, 0x0b, 0x06);
	expect_time(fx, 20, 24, 2, 29, 13, 45, 56);
	assert_int_equal(rd(fx, 0x06), 5);
}

static void test_hour_12(void **state)
{
	struct fx *fx = *state;

	wr(fx, 0x0b, 0x00); /* BCD, 12-hour */
	assert_int_equal(rd(fx, 0x04), 0x81); /* 1 PM */
	wr(fx, 0x0b, 0x04); /* binary, 12-hour */
	assert_int_equal(rd(fx, 0x04), 0x81);
	fx->now = (1709165400LL) * NS; /* 00:10 */
	assert_int_equal(rd(fx, 0x04), 12); /* 12 AM */
	wr(fx, 0x0b, 0x00);
	assert_int_equal(rd(fx, 0x04), 0x12);
	fx->now += 12 * 3600 * NS; /* 12:10 */
	assert_int_equal(rd(fx, 0x04), 0x92); /* 12 PM */
	fx->now += 11 * 3600 * NS; /* 23:10 */
	assert_int_equal(rd(fx, 0x04), 0x91);
	wr(fx, 0x0b, 0x02);
	assert_int_equal(rd(fx, 0x04), 0x23);

	/* A guest-set 12-hour time: 11 PM BCD, then read in 24-hour. */
	wr(fx, 0x0b, 0x80);
	wr(fx, 0x04, 0x91);
	wr(fx, 0x0b, 0x00);
	assert_int_equal(rd(fx, 0x04), 0x91);
	wr(fx, 0x0b, 0x02);
	assert_int_equal(rd(fx, 0x04), 0x23);
	wr(fx, 0x0b, 0x80);
	wr(fx, 0x04, 0x12); /* 12 AM */
	wr(fx, 0x0b, 0x00);
	wr(fx, 0x0b, 0x02);
	assert_int_equal(rd(fx, 0x04), 0x00);
}

static void test_century(void **state)
{
	struct fx *fx = *state;

	wr(fx, 0x0b, 0x82);
	wr(fx, 0x32, 0x20);
	wr(fx, 0x09, 0x99);
	wr(fx, 0x08, 0x12);
	wr(fx, 0x07, 0x31);
	wr(fx, 0x04, 0x23);
	wr(fx, 0x02, 0x59);
	wr(fx, 0x00, 0x59);
	wr(fx, 0x0b, 0x02);
	expect_time(fx, 0x20, 0x99, 0x12, 0x31, 0x23, 0x59, 0x59);
	fx->now += NS;
	expect_time(fx, 0x21, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00);
	assert_int_equal(rd(fx, 0x06), 6); /* 2100-01-01 is a Friday */
	wr(fx, 0x0b, 0x06);
	assert_int_equal(rd(fx, 0x32), 21);
}

static void test_uip_window(void **state)
{
	struct fx *fx = *state;

	fx->now = T0 * NS + 999700000;
	assert_int_equal(rd(fx, 0x0a), 0x26);
	assert_int_equal(rd(fx, 0x00), 0x56);
	fx->now = T0 * NS + 999800000; /* inside the 244 us window */
	assert_int_equal(rd(fx, 0x0a), 0xa6);
	assert_int_equal(rd(fx, 0x00), 0x56);
	fx->now = T0 * NS + NS - 1;
	assert_int_equal(rd(fx, 0x0a), 0xa6);
	assert_int_equal(rd(fx, 0x00), 0x56);
	fx->now = (T0 + 1) * NS; /* update done: UIP clear, new second */
	assert_int_equal(rd(fx, 0x0a), 0x26);
	assert_int_equal(rd(fx, 0x00), 0x57);
	/* UIP never reads 1 while SET holds the clock. */
	fx->now = T0 * NS + 999900000;
	wr(fx, 0x0b, 0x82);
	assert_int_equal(rd(fx, 0x0a), 0x26);
	/* Writing UIP is ignored. */
	wr(fx, 0x0b, 0x02);
	fx->now = T0 * NS;
	wr(fx, 0x0a, 0xa6);
	assert_int_equal(rd(fx, 0x0a), 0x26);
}

static void test_set_freeze(void **state)
{
	struct fx *fx = *state;
	int rearms = fx->rearms;

	wr(fx, 0x0b, 0x82 | 0x10); /* SET also clears UIE */
	assert_int_equal(rd(fx, 0x0b), 0x82);
	assert_true(fx->rearms > rearms);
	fx->now += 5 * NS;
	expect_time(fx, 0x20, 0x24, 0x02, 0x29, 0x13, 0x45, 0x56);
	wr(fx, 0x32, 0x20);
	wr(fx, 0x09, 0x31);
	wr(fx, 0x08, 0x12);
	wr(fx, 0x07, 0x31);
	wr(fx, 0x04, 0x23);
	wr(fx, 0x02, 0x59);
	wr(fx, 0x00, 0x58);
	fx->now += 10 * NS;
	expect_time(fx, 0x20, 0x31, 0x12, 0x31, 0x23, 0x59, 0x58);
	wr(fx, 0x0b, 0x02);
	expect_time(fx, 0x20, 0x31, 0x12, 0x31, 0x23, 0x59, 0x58);
	fx->now += 3 * NS;
	expect_time(fx, 0x20, 0x32, 0x01, 0x01, 0x00, 0x00, 0x01);
	/* A direct write while running takes effect and keeps counting. */
	wr(fx, 0x02, 0x30);
	fx->now += NS;
	expect_time(fx, 0x20, 0x32, 0x01, 0x01, 0x00, 0x30, 0x02);
}

static void test_divider_reset(void **state)
{
	struct fx *fx = *state;

	/* Linux's set sequence: SET, divider reset, time, clear, restore. */
	wr(fx, 0x0b, 0x82);
	wr(fx, 0x0a, 0x76);
	wr(fx, 0x04, 0x12);
	wr(fx, 0x02, 0x00);
	wr(fx, 0x00, 0x00);
	wr(fx, 0x0b, 0x02);
	fx->now += 2 * NS;
	assert_int_equal(rd(fx, 0x00), 0x00); /* divider still in reset */
	assert_int_equal(rd(fx, 0x0a), 0x76);
	fx->now = T0 * NS + 100000000;
	wr(fx, 0x0a, 0x26);
	fx->now += 499999999; /* first update 500 ms after release */
	assert_int_equal(rd(fx, 0x00), 0x00);
	fx->now += 1;
	assert_int_equal(rd(fx, 0x00), 0x01);
	assert_int_equal(rd(fx, 0x04), 0x12);
}

static void test_hostile_time(void **state)
{
	struct fx *fx = *state;
	uint8_t regs[] = { 0x00, 0x02, 0x04, 0x07, 0x08, 0x09, 0x32 };

	wr(fx, 0x0b, 0x82);
	for (unsigned int i = 0; i < sizeof(regs); i++)
		wr(fx, regs[i], 0xff);
	wr(fx, 0x0b, 0x02);
	/* Clamped to 9999-12-31 23:59:59 and still counting. */
	expect_time(fx, 0x99, 0x99, 0x12, 0x31, 0x23, 0x59, 0x59);
	fx->now += NS;
	expect_time(fx, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00);
	wr(fx, 0x0b, 0x06); /* year 10000 wraps the century to 0 */
	assert_int_equal(rd(fx, 0x32), 0);
	wr(fx, 0x0b, 0x86); /* binary: 0xff fields */
	for (unsigned int i = 0; i < sizeof(regs); i++)
		wr(fx, regs[i], 0xff);
	assert_int_equal(rd(fx, 0x00), 0xff); /* frozen: raw bytes */
	wr(fx, 0x0b, 0x06);
	assert_int_equal(rd(fx, 0x00), 59);
	assert_int_equal(rd(fx, 0x08), 12);
}

static void test_regc_clears_irq(void **state)
{
	struct fx *fx = *state;

	/* Flags latch without their enable bit (and without IRQF). */
	fx->now += NS;
	assert_int_equal(rd(fx, 0x0c), 0x50); /* PF | UF */
	assert_int_equal(rd(fx, 0x0c), 0x00);
	assert_int_equal(fx->irq_raises, 0);

	wr(fx, 0x0b, 0x12); /* UIE */
	fx->now += NS;
	rtc_cmos_tick(fx->rtc);
	assert_int_equal(fx->irq_level, 1);
	assert_int_equal(fx->irq_raises, 1);
	assert_int_equal(rd(fx, 0x0c) & 0xb0, 0x90); /* IRQF | UF */
	assert_int_equal(fx->irq_level, 0);
	assert_int_equal(rd(fx, 0x0c), 0x00);
	/* Registers C and D are read-only. */
	wr(fx, 0x0c, 0xff);
	wr(fx, 0x0d, 0x00);
	assert_int_equal(rd(fx, 0x0c), 0x00);
	assert_int_equal(rd(fx, 0x0d), 0x80);
	/* Enabling an interrupt whose flag is already set raises at once. */
	wr(fx, 0x0b, 0x02);
	fx->now += NS;
	rtc_cmos_tick(fx->rtc);
	assert_int_equal(fx->irq_level, 0);
	wr(fx, 0x0b, 0x12);
	assert_int_equal(fx->irq_level, 1);
	wr(fx, 0x0b, 0x02);
	assert_int_equal(fx->irq_level, 0);
}

/* A reference model of the alarm: the bytes as the spec encodes them
 * (BCD or binary, 12- or 24-hour), checked second by second. */
static uint8_t ref_enc(unsigned int v, bool bin)
{
	return bin ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

static uint8_t ref_enc_hour(unsigned int h, bool h24, bool bin)
{
	if (h24)
		return ref_enc(h, bin);
	return ref_enc(h % 12 ? h % 12 : 12, bin) | (h >= 12 ? 0x80 : 0);
}

static bool ref_byte(uint8_t alarm, uint8_t v)
{
	return (alarm & 0xc0) == 0xc0 || alarm == v;
}

static bool ref_alarm(const uint8_t al[3], bool h24, bool bin, int64_t from,
		      int64_t to)
{
	int64_t s = from + 1;

	if (to - s >= 86400) /* the time of day repeats after a day */
		s = to - 86400 + 1;
	for (; s <= to; s++) {
		unsigned int tod = (unsigned int)(s % 86400);

		if (ref_byte(al[0], ref_enc(tod % 60, bin)) &&
		    ref_byte(al[1], ref_enc(tod / 60 % 60, bin)) &&
		    ref_byte(al[2], ref_enc_hour(tod / 3600, h24, bin)))
			return true;
	}
	return false;
}

/* The first second after `from` the model's alarm fires, -1: never. */
static int64_t ref_first(const uint8_t al[3], bool h24, bool bin, int64_t from)
{
	int64_t s;

	for (s = from + 1; s <= from + 86400; s++)
		if (ref_alarm(al, h24, bin, s - 1, s))
			return s;
	return -1;
}

static uint32_t xorshift(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* Gaps short and long (the host clock jumped): AF as the model says. */
static void test_alarm_gaps_match_model(void **state)
{
	struct fx *fx = *state;
	uint32_t x = 0x2545f491u;
	unsigned int i, hits = 0, k;

	wr(fx, 0x0a, 0x20); /* no periodic flag in the way */
	for (i = 0; i < 1500; i++) {
		bool h24 = xorshift(&x) & 1, bin = xorshift(&x) & 1;
		int64_t from = T0 + xorshift(&x) % 400000, gap;
		uint8_t al[3];
		bool want;

		wr(fx, 0x0b, 0x20 | (h24 ? 0x02 : 0) | (bin ? 0x04 : 0));
		for (k = 0; k < 3; k++) {
			uint32_t r = xorshift(&x);
			unsigned int v = (r >> 8) % (k == 2 ? 24 : 60);

			if (r % 4 == 0)
				al[k] = (uint8_t)(0xc0 | (r >> 16));
			else if (r % 4 == 3)
				al[k] = (uint8_t)(r >> 16);
			else
				al[k] = k == 2 ? ref_enc_hour(v, h24, bin) :
						 ref_enc(v, bin);
			wr(fx, (uint8_t)(1 + 2 * k), al[k]);
		}
		switch (xorshift(&x) % 7) {
		case 5: /* the gap ends exactly on the first match */
		case 6: /* ... or one second before it */
			gap = ref_first(al, h24, bin, from);
			gap = gap < 0 ? 1 + xorshift(&x) % 90000 : gap - from;
			if (gap > 1 && (i & 1))
				gap--;
			break;
		case 0:
			gap = 1 + xorshift(&x) % 70;
			break;
		case 1:
		case 2:
			gap = 1 + xorshift(&x) % 5000;
			break;
		case 3:
			gap = 1 + xorshift(&x) % 90000;
			break;
		default:
			gap = 86399 + xorshift(&x) % 4;
			break;
		}
		want = ref_alarm(al, h24, bin, from, from + gap);
		fx->now = from * NS + NS / 2;
		rd(fx, 0x0c); /* settled up to `from`, flags cleared */
		fx->now = (from + gap) * NS + NS / 2;
		if (!!(rd(fx, 0x0c) & 0x20) != want)
			fail_msg("case %u: alarm %02x:%02x:%02x, %s %s, %lld s "
				 "after %lld: AF should be %d",
				 i, al[2], al[1], al[0], h24 ? "24h" : "12h",
				 bin ? "binary" : "BCD", (long long)gap,
				 (long long)from, want);
		hits += want;
	}
	/* The cases exercise both answers. */
	assert_true(hits > 100 && hits < 1300);
}

static void test_alarm(void **state)
{
	struct fx *fx = *state;
	int64_t when;

	wr(fx, 0x0a, 0x20); /* no periodic flag in the way */
	wr(fx, 0x01, 0x30);
	wr(fx, 0x03, 0xc0); /* any minute */
	wr(fx, 0x05, 0xff); /* any hour */
	wr(fx, 0x0b, 0x22); /* AIE */
	assert_int_equal(rtc_cmos_next_event_ns(fx->rtc, &when), 0);
	assert_true(when == (T0 + 1) * NS);
	fx->now = (T0 + 33) * NS + NS / 2; /* 13:46:29.5 */
	rtc_cmos_tick(fx->rtc);
	assert_int_equal(fx->irq_level, 0);
	assert_int_equal(rd(fx, 0x0c), 0x10); /* UF only */
	fx->now = (T0 + 34) * NS; /* 13:46:30 */
	rtc_cmos_tick(fx->rtc);
	assert_int_equal(fx->irq_level, 1);
	assert_int_equal(rd(fx, 0x0c), 0xb0);
	assert_int_equal(fx->irq_level, 0);
	/* Next minute at :30 again, thanks to the don't-care minute. */
	fx->now = (T0 + 93) * NS;
	assert_int_equal(rd(fx, 0x0c), 0x10);
	fx->now = (T0 + 94) * NS;
	assert_int_equal(rd(fx, 0x0c), 0xb0);
	/* A concrete minute that does not match never fires. */
	wr(fx, 0x03, 0x50);
	fx->now = (T0 + 154) * NS; /* 13:48:30 */
	assert_int_equal(rd(fx, 0x0c), 0x10);
	/* Matching minute in a long gap is still seen (lazily). */
	fx->now = (T0 + 3600) * NS; /* 14:45:56, passed 13:50:30 */
	assert_int_equal(rd(fx, 0x0c), 0xb0);
	/* Only 0xc0-0xff are don't-care: 0x80 matches no second. */
	wr(fx, 0x01, 0x80);
	wr(fx, 0x03, 0xc0);
	fx->now += 120 * NS;
	assert_int_equal(rd(fx, 0x0c), 0x10);
	/* All don't-care: every update. */
	wr(fx, 0x01, 0xc0);
	wr(fx, 0x03, 0xc0);
	wr(fx, 0x05, 0xc0);
	fx->now += NS;
	assert_int_equal(rd(fx, 0x0c), 0xb0);
}

static void test_update_irq_timer(void **state)
{
	struct fx *fx = *state;
	int64_t when;

	wr(fx, 0x0a, 0x20);
	assert_int_equal(rtc_cmos_next_event_ns(fx->rtc, &when), -ENOENT);
	wr(fx, 0x0b, 0x12); /* UIE */
	assert_int_equal(rtc_cmos_next_event_ns(fx->rtc, &when), 0);
	assert_true(when == (T0 + 1) * NS);
	fx->now = when - 1;
	rtc_cmos_tick(fx->rtc);
	assert_int_equal(fx->irq_level, 0);
	fx->now = when;
	rtc_cmos_tick(fx->rtc);
	assert_int_equal(fx->irq_level, 1);
	/* Line already high: nothing to time until register C is read. */
	assert_int_equal(rtc_cmos_next_event_ns(fx->rtc, &when), -ENOENT);
	fx->rearms = 0;
	assert_int_equal(rd(fx, 0x0c), 0x90);
	assert_int_equal(fx->rearms, 1);
	assert_int_equal(fx->irq_level, 0);
	assert_int_equal(rtc_cmos_next_event_ns(fx->rtc, &when), 0);
	assert_true(when == (T0 + 2) * NS);
	/* A late next_event call still catches the passed update. */
	fx->now = (T0 + 2) * NS + 5;
	assert_int_equal(rtc_cmos_next_event_ns(fx->rtc, &when), -ENOENT);
	assert_int_equal(fx->irq_level, 1);
	assert_int_equal(fx->irq_raises, 2);
	/* SET stops updates: no event. */
	assert_int_equal(rd(fx, 0x0c), 0x90);
	wr(fx, 0x0b, 0xa2); /* SET | AIE */
	assert_int_equal(rtc_cmos_next_event_ns(fx->rtc, &when), -ENOENT);
}

static void expect_period(struct fx *fx, uint8_t a, int64_t ns)
{
	int64_t when;

	fx->now = T0 * NS;
	wr(fx, 0x0a, a);
	rd(fx, 0x0c);
	assert_int_equal(rtc_cmos_next_event_ns(fx->rtc, &when), 0);
	assert_true(when - fx->now == ns);
	fx->now = when - 1;
	rtc_cmos_tick(fx->rtc);
	assert_int_equal(fx->irq_level, 0);
	fx->now = when;
	rtc_cmos_tick(fx->rtc);
	assert_int_equal(fx->irq_level, 1);
	assert_int_equal(rd(fx, 0x0c), 0xc0); /* IRQF | PF */
	assert_int_equal(fx->irq_level, 0);
}

static void test_periodic(void **state)
{
	struct fx *fx = *state;
	int64_t when;

	wr(fx, 0x0b, 0x42); /* PIE */
	expect_period(fx, 0x26, 976563); /* 1024 Hz: 976562.5 ns */
	expect_period(fx, 0x2f, 500000000); /* 2 Hz */
	expect_period(fx, 0x23, 122071); /* 8192 Hz: 122070.3125 ns */
	expect_period(fx, 0x21, 3906250); /* rate 1 = rate 8 */
	expect_period(fx, 0x22, 7812500); /* rate 2 = rate 9 */
	/* Periods stay aligned to the divider: from mid-period too. */
	fx->now = T0 * NS + 100000000;
	wr(fx, 0x0a, 0x2f);
	rd(fx, 0x0c);
	assert_int_equal(rtc_cmos_next_event_ns(fx->rtc, &when), 0);
	assert_true(when == T0 * NS + 500000000);
	/* Rate 0 or a stopped divider: no periodic event. */
	wr(fx, 0x0a, 0x20);
	rd(fx, 0x0c);
	assert_int_equal(rtc_cmos_next_event_ns(fx->rtc, &when), -ENOENT);
	wr(fx, 0x0a, 0x7f);
	rd(fx, 0x0c);
	assert_int_equal(rtc_cmos_next_event_ns(fx->rtc, &when), -ENOENT);
	fx->now += NS;
	assert_int_equal(rd(fx, 0x0c), 0x00);
	/* PF latches without PIE and is reported lazily on a C read. */
	wr(fx, 0x0a, 0x26);
	wr(fx, 0x0b, 0x02);
	rd(fx, 0x0c);
	fx->now += 1000000;
	assert_int_equal(rd(fx, 0x0c), 0x40);
	assert_int_equal(rd(fx, 0x0c), 0x00);
}

static void test_nvram(void **state)
{
	struct fx *fx = *state;
	uint8_t v = 0;
	uint16_t w = 0;

	for (unsigned int i = 0x0e; i < 0x80; i++)
		if (i != 0x32)
			wr(fx, (uint8_t)i, (uint8_t)(i * 7 + 3));
	for (unsigned int i = 0x0e; i < 0x80; i++)
		if (i != 0x32)
			assert_int_equal(rd(fx, (uint8_t)i),
					 (uint8_t)(i * 7 + 3));
	/* Bit 7 of the index is the NMI mask: 0xc0 selects 0x40. */
	assert_int_equal(rd(fx, 0xc0), (uint8_t)(0x40 * 7 + 3));
	wr(fx, 0xc1, 0x5a);
	assert_int_equal(rd(fx, 0x41), 0x5a);
	/* Alarm bytes are plain storage. */
	wr(fx, 0x01, 0x12);
	assert_int_equal(rd(fx, 0x01), 0x12);
	/* Index port reads 0xff; wider accesses are refused. */
	assert_int_equal(bus_access(&fx->bus, X86_RTC_PORT, &v, 1, 0), 0);
	assert_int_equal(v, 0xff);
	assert_int_equal(bus_access(&fx->bus, X86_RTC_PORT, &w, 2, 0), -EINVAL);
	assert_int_equal(w, 0xffff);
	w = 0x1234;
	assert_int_equal(bus_access(&fx->bus, X86_RTC_PORT, &w, 2, 1), -EINVAL);
}

static void test_mem_512m(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(rd(fx, 0x15), 0x80); /* 640 KiB */
	assert_int_equal(rd(fx, 0x16), 0x02);
	assert_int_equal(rd(fx, 0x17), 0xff); /* 523264 KiB, capped */
	assert_int_equal(rd(fx, 0x18), 0xff);
	assert_int_equal(rd(fx, 0x30), 0xff);
	assert_int_equal(rd(fx, 0x31), 0xff);
	assert_int_equal(rd(fx, 0x34), 0x00); /* (512M - 16M) / 64K */
	assert_int_equal(rd(fx, 0x35), 0x1f);
	assert_int_equal(rd(fx, 0x5b), 0x00);
	assert_int_equal(rd(fx, 0x5c), 0x00);
	assert_int_equal(rd(fx, 0x5d), 0x00);
}

static int setup_6g(void **state)
{
	/* 6 GiB: 3 GiB below the hole at 0xc0000000, 3 GiB above 4 GiB. */
	return make_fx(state, 3 * GIB, 3 * GIB);
}

static void test_mem_6g(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(rd(fx, 0x15), 0x80);
	assert_int_equal(rd(fx, 0x16), 0x02);
	assert_int_equal(rd(fx, 0x17), 0xff);
	assert_int_equal(rd(fx, 0x18), 0xff);
	assert_int_equal(rd(fx, 0x34), 0x00); /* 48896 = 0xbf00 */
	assert_int_equal(rd(fx, 0x35), 0xbf);
	assert_int_equal(rd(fx, 0x5b), 0x00); /* 49152 = 0x00c000 */
	assert_int_equal(rd(fx, 0x5c), 0xc0);
	assert_int_equal(rd(fx, 0x5d), 0x00);
}

static int setup_8m(void **state)
{
	return make_fx(state, 8 * MIB, 0);
}

static void test_mem_8m(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(rd(fx, 0x17), 0x00); /* 7168 KiB = 0x1c00 */
	assert_int_equal(rd(fx, 0x18), 0x1c);
	assert_int_equal(rd(fx, 0x30), 0x00);
	assert_int_equal(rd(fx, 0x31), 0x1c);
	assert_int_equal(rd(fx, 0x34), 0x00);
	assert_int_equal(rd(fx, 0x35), 0x00);
}

static void test_reset(void **state)
{
	struct fx *fx = *state;
	int64_t when;

	wr(fx, 0x40, 0xa5);
	wr(fx, 0x0b, 0x7a); /* PIE AIE UIE SQWE, 24h */
	fx->now += NS;
	rtc_cmos_tick(fx->rtc);
	assert_int_equal(fx->irq_level, 1);
	rtc_cmos_reset(fx->rtc);
	assert_int_equal(fx->irq_level, 0);
	assert_int_equal(rd(fx, 0x0b), 0x02);
	assert_int_equal(rd(fx, 0x0c), 0x00);
	assert_int_equal(rd(fx, 0x0a), 0x26);
	assert_int_equal(rd(fx, 0x40), 0xa5);
	assert_int_equal(rd(fx, 0x15), 0x80);
	expect_time(fx, 0x20, 0x24, 0x02, 0x29, 0x13, 0x45, 0x57);
	assert_int_equal(rtc_cmos_next_event_ns(fx->rtc, &when), -ENOENT);
}

static void *tick_thread(void *arg)
{
	struct fx *fx = arg;
	int64_t when;

	for (int i = 0; i < 2000; i++) {
		rtc_cmos_tick(fx->rtc);
		rtc_cmos_next_event_ns(fx->rtc, &when);
	}
	return NULL;
}

/* Main-loop calls racing vCPU port accesses: no deadlock or race (run
 * under TSan too), and the device is consistent afterwards. */
static void test_threads(void **state)
{
	struct fx *fx = *state;
	pthread_t tid;

	wr(fx, 0x0b, 0x52); /* PIE | UIE */
	assert_int_equal(pthread_create(&tid, NULL, tick_thread, fx), 0);
	for (int i = 0; i < 2000; i++) {
		__atomic_add_fetch(&fx->now, 700000, __ATOMIC_RELAXED);
		rd(fx, 0x0c);
		rd(fx, 0x00);
	}
	assert_int_equal(pthread_join(tid, NULL), 0);
	rd(fx, 0x0c);
	assert_int_equal(fx->irq_level, 0);
	fx->now += NS;
	rtc_cmos_tick(fx->rtc);
	assert_int_equal(fx->irq_level, 1);
	assert_int_equal(rd(fx, 0x0c), 0xd0);
	assert_int_equal(fx->irq_level, 0);
}

static void test_no_irq_line(void **state)
{
	struct rtc_cmos_cfg cfg = { 0 };
	struct rtc_cmos *r = NULL;
	int64_t when;

	assert_int_equal(rtc_cmos_create(NULL, &r), -EINVAL);
	assert_int_equal(rtc_cmos_create(&cfg, NULL), -EINVAL);
	/* Real clock, no IRQ line: still works. */
	assert_int_equal(rtc_cmos_create(&cfg, &r), 0);
	rtc_cmos_tick(r);
	assert_int_equal(rtc_cmos_next_event_ns(r, &when), -ENOENT);
	rtc_cmos_reset(r);
	rtc_cmos_destroy(r);
	rtc_cmos_destroy(NULL);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_time_bcd),
		T(test_time_binary),
		T(test_hour_12),
		T(test_century),
		T(test_uip_window),
		T(test_set_freeze),
		T(test_divider_reset),
		T(test_hostile_time),
		T(test_regc_clears_irq),
		T(test_alarm),
		T(test_alarm_gaps_match_model),
		T(test_update_irq_timer),
		T(test_periodic),
		T(test_nvram),
		T(test_mem_512m),
		cmocka_unit_test_setup_teardown(test_mem_6g, setup_6g,
						teardown),
		cmocka_unit_test_setup_teardown(test_mem_8m, setup_8m,
						teardown),
		T(test_reset),
		T(test_threads),
		cmocka_unit_test(test_no_irq_line),
	};

	return cmocka_run_group_tests_name("rtc_cmos", tests, NULL, NULL);
}
