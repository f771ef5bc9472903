// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_cmos.c - the MC146818 RTC/CMOS (devices/rtc_cmos.c) under a
 * sequence of guest accesses to its index/data ports, with a clock the
 * input moves (forwards and backwards), timer ticks and event queries.
 */
#include <stdlib.h>

#include "devices/irq.h"
#include "devices/rtc_cmos.h"
#include "tests/fuzz/fuzz.h"

#define BASE 0x70u

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct st {
	struct rtc_cmos *r;
	int64_t now;
	unsigned int irqs, rearms;
};

static int64_t clock_ns(void *opaque)
{
	struct st *s = opaque;

	return s->now;
}

static void on_irq(void *opaque, uint32_t pin, int level)
{
	struct st *s = opaque;

	s->irqs += !!level;
}

static void on_rearm(void *opaque)
{
	struct st *s = opaque;
	int64_t when;

	s->rearms++;
	rtc_cmos_next_event_ns(s->r, &when);
}

static void hook(void *opaque, uint8_t op, struct fz *f)
{
	struct st *s = opaque;
	int64_t when;

	if (op & 0x08) {
		s->now += (int32_t)fz_u32(f) * 1000ll; /* +-2000 s */
		if (s->now < 0)
			s->now = 0;
	}
	if (op & 0x10)
		rtc_cmos_tick(s->r);
	if (op & 0x20)
		rtc_cmos_next_event_ns(s->r, &when);
	if ((op & 0xc0) == 0xc0)
		rtc_cmos_reset(s->r);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_log();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct st s = { 0 };
	struct rtc_cmos_cfg cfg = {
		.clock_ns = clock_ns,
		.opaque = &s,
		.rearm = on_rearm,
		.rearm_opaque = &s,
	};
	struct irq_line irq;
	struct bus pio;
	struct fz f;

	fz_init(&f, data, size);
	irq_line_init_cb(&irq, on_irq, &s, 8);
	cfg.irq = &irq;
	/* Any host wall clock from 1970 to 2096 (CLOCK_REALTIME in ns
	 * cannot go much further), any memory size (the CMOS reports it);
	 * the guest sets its own time to anything through the registers. */
	s.now = (int64_t)(fz_u64(&f) % 4000000000000000000ull);
	cfg.mem_below_4g = fz_u64(&f);
	cfg.mem_above_4g = fz_u64(&f);
	if (bus_init(&pio, "pio"))
		abort();
	if (rtc_cmos_create(&cfg, &s.r) || rtc_cmos_attach(s.r, &pio, BASE))
		abort();
	fz_bus_ops(&f, &pio, BASE, RTC_CMOS_NR_PORTS + 1, 4096, hook, &s);
	rtc_cmos_destroy(s.r);
	bus_destroy(&pio);
	return 0;
}
