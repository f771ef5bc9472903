// SPDX-License-Identifier: Apache-2.0
/*
 * rtc_cmos.c - MC146818-style CMOS RTC and NVRAM with clock-derived time.
 *
 * Guest time is host time plus (off_sec, off_ns).  While the clock runs
 * the time bytes of ram[] are scratch, regenerated on each read; while it
 * is stopped (SET, or the divider held in reset) they hold the frozen time
 * the guest reads and writes, and restarting turns them back into an
 * offset.  Register C flags are settled over (last_eval, now] whenever
 * they could be observed or the timeline changes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOG_MOD "rtc-cmos"
#include "devices/rtc_cmos.h"
#include "vmm/log.h"

#define NS_PER_SEC 1000000000LL
#define SECS_PER_DAY 86400LL
#define RTC_BASE_HZ 32768LL
/* UIP rises 8 base-clock cycles (244.14 us) before the update. */
#define RTC_UIP_NS (8 * NS_PER_SEC / RTC_BASE_HZ)
/* Releasing the divider reset puts the first update 500 ms away. */
#define RTC_DIV_START_PHASE_NS (NS_PER_SEC / 2)

enum rtc_reg {
	REG_SEC = 0x00,
	REG_SEC_ALARM = 0x01,
	REG_MIN = 0x02,
	REG_MIN_ALARM = 0x03,
	REG_HOUR = 0x04,
	REG_HOUR_ALARM = 0x05,
	REG_WDAY = 0x06,
	REG_MDAY = 0x07,
	REG_MON = 0x08,
	REG_YEAR = 0x09,
	REG_A = 0x0a,
	REG_B = 0x0b,
	REG_C = 0x0c,
	REG_D = 0x0d,
	REG_CENTURY = 0x32,
};

#define A_UIP 0x80
#define A_DV_MASK 0x70
#define A_DV_RUN_MAX 0x20 /* DV 000, 001, 010 run; 011-111 stop */
#define A_RS_MASK 0x0f
#define B_SET 0x80
#define B_PIE 0x40
#define B_AIE 0x20
#define B_UIE 0x10
#define B_SQWE 0x08
#define B_DM_BINARY 0x04
#define B_24H 0x02
#define C_IRQF 0x80
#define C_PF 0x40 /* flag bits in C line up with enable bits in B */
#define C_AF 0x20
#define C_UF 0x10
#define C_FLAGS (C_PF | C_AF | C_UF)
#define D_VRT 0x80
#define HOUR_PM 0x80
#define ALARM_DONT_CARE 0xc0

struct gtime {
	int64_t sec; /* seconds since the epoch, guest timeline */
	int64_t ns; /* [0, NS_PER_SEC) */
};

struct rtc_cmos {
	pthread_mutex_t lock;
	struct irq_line irq;
	bool has_irq;
	rtc_cmos_clock_fn *clock_ns;
	void *opaque;
	rtc_cmos_rearm_fn *rearm;
	void *rearm_opaque;
	uint8_t index;
	uint8_t ram[RTC_CMOS_NVRAM_SIZE];
	int64_t off_sec; /* guest = host + off_sec s + off_ns ns */
	int64_t off_ns; /* [0, NS_PER_SEC) */
	int64_t last_eval; /* host ns up to which register C is settled */
	struct log_rl rl;
};

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t host_now(struct rtc_cmos *r)
{
	struct timespec ts;

	if (r->clock_ns)
		return r->clock_ns(r->opaque);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

static struct gtime to_guest(const struct rtc_cmos *r, int64_t host_ns)
{
	int64_t hs = floor_div(host_ns, NS_PER_SEC);
	struct gtime g = { hs + r->off_sec, host_ns - hs * NS_PER_SEC };

	g.ns += r->off_ns;
	if (g.ns >= NS_PER_SEC) {
		g.ns -= NS_PER_SEC;
		g.sec++;
	}
	return g;
}

/* Choose the offset so that the guest time at host_ns is (sec, ns). */
static void set_guest_time(struct rtc_cmos *r, int64_t host_ns, int64_t sec,
			   int64_t ns)
{
	int64_t hs = floor_div(host_ns, NS_PER_SEC);
	int64_t d = ns - (host_ns - hs * NS_PER_SEC);

	r->off_sec = sec - hs;
	if (d < 0) {
		d += NS_PER_SEC;
		r->off_sec--;
	}
	r->off_ns = d;
}

static bool divider_on(const struct rtc_cmos *r)
{
	return (r->ram[REG_A] & A_DV_MASK) <= A_DV_RUN_MAX;
}

static bool clock_running(const struct rtc_cmos *r)
{
	return divider_on(r) && !(r->ram[REG_B] & B_SET);
}

/* Days since 1970-01-01 <-> proleptic Gregorian date (era arithmetic). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = floor_div(y, 400);
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = floor_div(z, 146097);
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static uint8_t enc(const struct rtc_cmos *r, unsigned int v)
{
	if (r->ram[REG_B] & B_DM_BINARY)
		return (uint8_t)v;
	v %= 100;
	return (uint8_t)((v / 10) << 4 | v % 10);
}

static int dec(const struct rtc_cmos *r, uint8_t b)
{
	if (r->ram[REG_B] & B_DM_BINARY)
		return b;
	return (b >> 4) * 10 + (b & 0x0f);
}

static int clampi(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static uint8_t enc_hour(const struct rtc_cmos *r, unsigned int h)
{
	unsigned int h12 = h % 12 ? h % 12 : 12;

	if (r->ram[REG_B] & B_24H)
		return enc(r, h);
	return enc(r, h12) | (h >= 12 ? HOUR_PM : 0);
}

static int dec_hour(const struct rtc_cmos *r, uint8_t b)
{
	int h;

	if (r->ram[REG_B] & B_24H)
		return clampi(dec(r, b), 0, 23);
	h = clampi(dec(r, b & ~HOUR_PM), 1, 12) % 12;
	return (b & HOUR_PM) ? h + 12 : h;
}

/* Write the time/date bytes for guest second `sec` in the current format. */
static void fill_time_regs(struct rtc_cmos *r, int64_t sec)
{
	int64_t days = floor_div(sec, SECS_PER_DAY), year;
	unsigned int tod = (unsigned int)(sec - days * SECS_PER_DAY);
	int mon, mday;

	civil_from_days(days, &year, &mon, &mday);
	r->ram[REG_SEC] = enc(r, tod % 60);
	r->ram[REG_MIN] = enc(r, tod / 60 % 60);
	r->ram[REG_HOUR] = enc_hour(r, tod / 3600);
	/* 1970-01-01 was a Thursday; the RTC counts Sunday as 1. */
	r->ram[REG_WDAY] = enc(r, (unsigned int)((days % 7 + 11) % 7) + 1);
	r->ram[REG_MDAY] = enc(r, (unsigned int)mday);
	r->ram[REG_MON] = enc(r, (unsigned int)mon);
	r->ram[REG_YEAR] = enc(r, (unsigned int)(year % 100));
	r->ram[REG_CENTURY] = enc(r, (unsigned int)(year / 100 % 100));
}

/* The time/date bytes as a guest second; out-of-range fields clamped. */
static int64_t regs_to_sec(const struct rtc_cmos *r)
{
	int64_t year = clampi(dec(r, r->ram[REG_CENTURY]), 0, 99) * 100 +
		       clampi(dec(r, r->ram[REG_YEAR]), 0, 99);
	int64_t days = days_from_civil(year,
				       clampi(dec(r, r->ram[REG_MON]), 1, 12),
				       clampi(dec(r, r->ram[REG_MDAY]), 1, 31));

	return days * SECS_PER_DAY + dec_hour(r, r->ram[REG_HOUR]) * 3600 +
	       clampi(dec(r, r->ram[REG_MIN]), 0, 59) * 60 +
	       clampi(dec(r, r->ram[REG_SEC]), 0, 59);
}

static bool alarm_byte_match(uint8_t alarm, uint8_t now)
{
	return (alarm & ALARM_DONT_CARE) == ALARM_DONT_CARE || alarm == now;
}

static bool alarm_match(const struct rtc_cmos *r, int64_t s)
{
	int64_t tod = s - floor_div(s, SECS_PER_DAY) * SECS_PER_DAY;

	return alarm_byte_match(r->ram[REG_SEC_ALARM],
				enc(r, (unsigned int)(tod % 60))) &&
	       alarm_byte_match(r->ram[REG_MIN_ALARM],
				enc(r, (unsigned int)(tod / 60 % 60))) &&
	       alarm_byte_match(r->ram[REG_HOUR_ALARM],
				enc_hour(r, (unsigned int)(tod / 3600)));
}

/* The values of each time-of-day field the alarm bytes match: bit v set
 * when v matches (an invalid byte matches none, don't-care all). */
struct alarm_sets {
	uint64_t sec, min;
	uint32_t hour;
};

/* The set of values 0..n-1 of a minute or second field that alarm byte
 * b matches: all, the one it encodes, or none. */
static uint64_t field_set(const struct rtc_cmos *r, uint8_t b, int n)
{
	int v;

	if ((b & ALARM_DONT_CARE) == ALARM_DONT_CARE)
		return (1ull << n) - 1;
	v = dec(r, b);
	return v < n && enc(r, (unsigned int)v) == b ? 1ull << v : 0;
}

static uint32_t hour_set(const struct rtc_cmos *r, uint8_t b)
{
	int h;

	if ((b & ALARM_DONT_CARE) == ALARM_DONT_CARE)
		return (1u << 24) - 1;
	if (r->ram[REG_B] & B_24H)
		h = dec(r, b);
	else
		h = dec(r, b & ~HOUR_PM) % 12 + (b & HOUR_PM ? 12 : 0);
	return h < 24 && enc_hour(r, (unsigned int)h) == b ? 1u << h : 0;
}

static void alarm_sets(const struct rtc_cmos *r, struct alarm_sets *a)
{
	a->sec = field_set(r, r->ram[REG_SEC_ALARM], 60);
	a->min = field_set(r, r->ram[REG_MIN_ALARM], 60);
	a->hour = hour_set(r, r->ram[REG_HOUR_ALARM]);
}

/* The smallest v in from..n-1 (n <= 60) whose bit is set, or -1. */
static int next_bit(uint64_t set, int from, int n)
{
	if (from >= n)
		return -1;
	set &= (~0ull << from) & ((1ull << n) - 1);
	return set ? __builtin_ctzll(set) : -1;
}

/* The first time of day >= tod (0..86399) the alarm matches, or -1 if
 * none is left that day.  Every set non-empty: a few steps per field. */
static int64_t alarm_next_tod(const struct alarm_sets *a, int64_t tod)
{
	int h0 = (int)(tod / 3600), m0 = (int)(tod / 60 % 60);
	int s0 = (int)(tod % 60), h, m, s;

	for (h = next_bit(a->hour, h0, 24); h >= 0;
	     h = next_bit(a->hour, h + 1, 24)) {
		for (m = next_bit(a->min, h == h0 ? m0 : 0, 60); m >= 0;
		     m = next_bit(a->min, m + 1, 60)) {
			s = next_bit(a->sec, h == h0 && m == m0 ? s0 : 0, 60);
			if (s >= 0)
				return h * 3600 + m * 60 + s;
		}
	}
	return -1;
}

/*
 * Does any update to a second in (from, to] match the alarm bytes?  A
 * short gap (the usual once-a-second settle) checks each second; a long
 * one (the host clock jumped, or nobody looked for a while) finds the
 * first matching second after `from` instead of walking up to a day.
 */
static bool alarm_hit(const struct rtc_cmos *r, int64_t from, int64_t to)
{
	int64_t s = from + 1, tod, next;
	struct alarm_sets a;

	if (to < s)
		return false;
	if (to - s < 64) {
		for (; s <= to; s++)
			if (alarm_match(r, s))
				return true;
		return false;
	}
	alarm_sets(r, &a);
	if (!a.sec || !a.min || !a.hour)
		return false;
	/* A whole day holds every time of day. */
	if (to - s >= SECS_PER_DAY - 1)
		return true;
	tod = s - floor_div(s, SECS_PER_DAY) * SECS_PER_DAY;
	next = alarm_next_tod(&a, tod);
	if (next < 0)
		next = SECS_PER_DAY + alarm_next_tod(&a, 0);
	return s + (next - tod) <= to;
}

/* Periodic interrupt period in 32.768 kHz cycles; 0 = off. */
static int64_t periodic_cycles(const struct rtc_cmos *r)
{
	unsigned int rs = r->ram[REG_A] & A_RS_MASK;

	if (!rs)
		return 0;
	if (rs <= 2) /* 1 and 2 alias rates 8 and 9 at 32.768 kHz */
		rs += 7;
	return 1LL << (rs - 1);
}

static int64_t ns_to_cycles(int64_t ns)
{
	return ns * RTC_BASE_HZ / NS_PER_SEC;
}

/*
 * Set the register C flags for every event in (last_eval, now] under the
 * current (unchanged since last_eval) settings.  A clock that went back
 * produces no events.
 */
static void settle(struct rtc_cmos *r, int64_t now)
{
	struct gtime a, b;
	int64_t per;

	if (now <= r->last_eval) {
		r->last_eval = now;
		return;
	}
	a = to_guest(r, r->last_eval);
	b = to_guest(r, now);
	r->last_eval = now;
	if (!divider_on(r))
		return;
	per = periodic_cycles(r);
	/* Periods divide the second, so a new second is a new period too. */
	if (per && (b.sec != a.sec ||
		    ns_to_cycles(a.ns) / per != ns_to_cycles(b.ns) / per))
		r->ram[REG_C] |= C_PF;
	if ((r->ram[REG_B] & B_SET) || b.sec <= a.sec)
		return;
	r->ram[REG_C] |= C_UF;
	if (alarm_hit(r, a.sec, b.sec))
		r->ram[REG_C] |= C_AF;
}

static bool irqf(const struct rtc_cmos *r)
{
	return r->ram[REG_C] & r->ram[REG_B] & C_FLAGS;
}

static void update_irq(struct rtc_cmos *r)
{
	if (r->has_irq)
		irq_set_level(&r->irq, irqf(r));
}

static bool is_time_reg(uint8_t idx)
{
	/* 0, 2, 4, 6-9 and the century; 1, 3, 5 are the alarm. */
	return idx == REG_CENTURY || (idx <= REG_YEAR && (0x3d5u >> idx & 1));
}

static uint8_t read_reg(struct rtc_cmos *r, uint8_t idx)
{
	int64_t now = host_now(r);
	struct gtime g;
	uint8_t v;

	if (is_time_reg(idx)) {
		if (clock_running(r))
			fill_time_regs(r, to_guest(r, now).sec);
		return r->ram[idx];
	}
	switch (idx) {
	case REG_A:
		g = to_guest(r, now);
		v = r->ram[REG_A];
		if (clock_running(r) && g.ns >= NS_PER_SEC - RTC_UIP_NS)
			v |= A_UIP;
		return v;
	case REG_C:
		settle(r, now);
		v = r->ram[REG_C] | (irqf(r) ? C_IRQF : 0);
		r->ram[REG_C] = 0;
		update_irq(r);
		return v;
	case REG_D:
		return D_VRT;
	default:
		return r->ram[idx];
	}
}

/* Register A or B changes: may stop, restart or re-phase the clock. */
static void write_ctrl(struct rtc_cmos *r, uint8_t idx, uint8_t val)
{
	int64_t now = host_now(r);
	bool was_running = clock_running(r), was_div = divider_on(r);

	settle(r, now);
	if (was_running) /* freeze in the format it was counting in */
		fill_time_regs(r, to_guest(r, now).sec);
	if (idx == REG_A) {
		r->ram[REG_A] = val & ~A_UIP;
	} else {
		/* Setting SET aborts updates and clears UIE (datasheet). */
		if (val & B_SET)
			val &= ~B_UIE;
		r->ram[REG_B] = val;
	}
	if (!was_div && divider_on(r))
		set_guest_time(r, now, to_guest(r, now).sec,
			       RTC_DIV_START_PHASE_NS);
	if (!was_running && clock_running(r))
		set_guest_time(r, now, regs_to_sec(r), to_guest(r, now).ns);
	update_irq(r);
}

static void write_time(struct rtc_cmos *r, uint8_t idx, uint8_t val)
{
	int64_t now = host_now(r);
	struct gtime g;

	if (!clock_running(r)) {
		r->ram[idx] = val;
		return;
	}
	/* A write while counting takes effect at once, keeping the phase. */
	settle(r, now);
	g = to_guest(r, now);
	fill_time_regs(r, g.sec);
	r->ram[idx] = val;
	set_guest_time(r, now, regs_to_sec(r), g.ns);
}

/* Returns true when the next event time may have moved. */
static bool write_reg(struct rtc_cmos *r, uint8_t idx, uint8_t val)
{
	if (is_time_reg(idx)) {
		write_time(r, idx, val);
		return true;
	}
	switch (idx) {
	case REG_A:
	case REG_B:
		write_ctrl(r, idx, val);
		return true;
	case REG_C:
	case REG_D:
		return false; /* read-only */
	default:
		r->ram[idx] = val;
		return false;
	}
}

static int rtc_io_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct rtc_cmos *r = opaque;
	uint8_t *out = data;
	bool rearm;

	if (len != 1 || off >= RTC_CMOS_NR_PORTS) {
		memset(data, 0xff, len);
		return 0;
	}
	if (off == 0) { /* the index port is write-only */
		*out = 0xff;
		return 0;
	}
	pthread_mutex_lock(&r->lock);
	rearm = r->index == REG_C;
	*out = read_reg(r, r->index);
	pthread_mutex_unlock(&r->lock);
	if (rearm && r->rearm)
		r->rearm(r->rearm_opaque);
	return 0;
}

static int rtc_io_write(void *opaque, uint64_t off, const void *data,
			uint32_t len)
{
	struct rtc_cmos *r = opaque;
	uint8_t val = *(const uint8_t *)data;
	bool rearm = false;

	if (len != 1 || off >= RTC_CMOS_NR_PORTS) {
		log_ratelimited(&r->rl, LOG_WARN, "bad access off %llu len %u",
				(unsigned long long)off, len);
		return 0;
	}
	pthread_mutex_lock(&r->lock);
	if (off == 0)
		r->index = val & 0x7f; /* bit 7 masks NMI: not modelled */
	else
		rearm = write_reg(r, r->index, val);
	pthread_mutex_unlock(&r->lock);
	if (rearm && r->rearm)
		r->rearm(r->rearm_opaque);
	return 0;
}

static const struct io_ops rtc_io_ops = {
	.read = rtc_io_read,
	.write = rtc_io_write,
	.min_len = 1,
	.max_len = 1,
};

static void put_le(uint8_t *p, uint64_t v, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The memory-size bytes PC firmware (SeaBIOS and friends) reads. */
static void fill_mem_size(struct rtc_cmos *r, uint64_t below, uint64_t above)
{
	const uint64_t kib = 1024, mib = 1024 * kib;
	uint64_t v;

	v = below / kib < 640 ? below / kib : 640; /* base memory, KiB */
	put_le(&r->ram[0x15], v, 2);
	v = below > mib ? (below - mib) / kib : 0; /* extended, KiB */
	if (v > 0xffff)
		v = 0xffff;
	put_le(&r->ram[0x17], v, 2);
	put_le(&r->ram[0x30], v, 2);
	v = below > 16 * mib ? (below - 16 * mib) / (64 * kib) : 0;
	if (v > 0xffff)
		v = 0xffff;
	put_le(&r->ram[0x34], v, 2);
	v = above / (64 * kib);
	if (v > 0xffffff)
		v = 0xffffff;
	put_le(&r->ram[0x5b], v, 3);
}

int rtc_cmos_create(const struct rtc_cmos_cfg *cfg, struct rtc_cmos **out)
{
	struct rtc_cmos *r;
	int err;

	if (!cfg || !out)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	err = pthread_mutex_init(&r->lock, NULL);
	if (err)
		goto err_free;
	if (cfg->irq) {
		r->irq = *cfg->irq;
		r->has_irq = true;
	}
	r->clock_ns = cfg->clock_ns;
	r->opaque = cfg->opaque;
	r->rearm = cfg->rearm;
	r->rearm_opaque = cfg->rearm_opaque;
	r->ram[REG_A] = 0x26; /* 32.768 kHz divider, 1024 Hz rate */
	r->ram[REG_B] = B_24H;
	fill_mem_size(r, cfg->mem_below_4g, cfg->mem_above_4g);
	r->last_eval = host_now(r);
	*out = r;
	return 0;

err_free:
	free(r);
	return -err;
}

int rtc_cmos_attach(struct rtc_cmos *r, struct bus *bus, uint64_t base)
{
	return bus_register(bus, base, RTC_CMOS_NR_PORTS, &rtc_io_ops, r,
			    "rtc-cmos");
}

void rtc_cmos_destroy(struct rtc_cmos *r)
{
	if (!r)
		return;
	pthread_mutex_destroy(&r->lock);
	free(r);
}

void rtc_cmos_reset(struct rtc_cmos *r)
{
	pthread_mutex_lock(&r->lock);
	settle(r, host_now(r));
	r->ram[REG_B] &= ~(B_PIE | B_AIE | B_UIE | B_SQWE);
	r->ram[REG_C] = 0;
	r->index = 0;
	update_irq(r);
	pthread_mutex_unlock(&r->lock);
}

int rtc_cmos_next_event_ns(struct rtc_cmos *r, int64_t *when)
{
	int64_t now, per, best = INT64_MAX;
	struct gtime g;
	int ret = -ENOENT;

	pthread_mutex_lock(&r->lock);
	now = host_now(r);
	settle(r, now);
	update_irq(r);
	if (irqf(r) || !divider_on(r))
		goto out;
	g = to_guest(r, now);
	per = periodic_cycles(r);
	if (per && (r->ram[REG_B] & B_PIE)) {
		int64_t next = (ns_to_cycles(g.ns) / per + 1) * per;
		/* Round up so the period has surely ended at `when`. */
		int64_t ns =
			(next * NS_PER_SEC + RTC_BASE_HZ - 1) / RTC_BASE_HZ;

		best = now + (ns - g.ns);
		ret = 0;
	}
	if (clock_running(r) && (r->ram[REG_B] & (B_UIE | B_AIE))) {
		int64_t t = now + (NS_PER_SEC - g.ns);

		if (t < best)
			best = t;
		ret = 0;
	}
	if (!ret)
		*when = best;
out:
	pthread_mutex_unlock(&r->lock);
	return ret;
}

void rtc_cmos_tick(struct rtc_cmos *r)
{
	pthread_mutex_lock(&r->lock);
	settle(r, host_now(r));
	update_irq(r);
	pthread_mutex_unlock(&r->lock);
}
