// SPDX-License-Identifier: Apache-2.0
/*
 * pl031.c - ARM PrimeCell PL031 RTC model (ARM DDI 0224).
 *
 * The counter is derived, never stored: DR = (now_seconds + offset) mod
 * 2^32.  Writing MR or LR arms the match for the next time the counter
 * reads MR (up to 2^32 s ahead); it raises RIS once and disarms.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOG_MOD "pl031"
#include "devices/pl031.h"
#include "vmm/log.h"

#define REG_DR 0x00
#define REG_MR 0x04
#define REG_LR 0x08
#define REG_CR 0x0c
#define REG_IMSC 0x10
#define REG_RIS 0x14
#define REG_MIS 0x18
#define REG_ICR 0x1c
#define REG_ID_BASE 0xfe0

#define NS 1000000000ll

static const uint8_t pl031_id[8] = { 0x31, 0x10, 0x14, 0x00,
				     0x0d, 0xf0, 0x05, 0xb1 };

struct pl031 {
	pthread_mutex_t lock;
	struct pl031_cfg cfg;
	struct log_rl rl;
	int64_t offset; /* counter = host seconds + offset (mod 2^32) */
	uint32_t mr, lr, imsc, ris;
	bool armed; /* MR has not matched since the last MR/LR write */
	int64_t due_ns; /* when armed: wall-clock time of the match */
};

static int64_t now_ns(const struct pl031 *r)
{
	struct timespec ts;

	if (r->cfg.now_ns)
		return r->cfg.now_ns(r->cfg.now_opaque);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

static uint32_t counter(const struct pl031 *r, int64_t ns)
{
	return (uint32_t)(ns / NS + r->offset);
}

/* Seconds from now until the counter reads MR (0 if it does now). */
static uint32_t secs_to_match(const struct pl031 *r, int64_t ns)
{
	return r->mr - counter(r, ns);
}

/* Lock held: (re)compute when the counter next reads MR; it reaches a
 * value at the start of that second. */
static void arm(struct pl031 *r, int64_t ns)
{
	r->due_ns = (ns / NS + secs_to_match(r, ns)) * NS;
	r->armed = true;
}

/* Lock held: raise RIS when the match is due, drive the line. */
static void update(struct pl031 *r, int64_t ns)
{
	/* A late timer still raises the match it was armed for. */
	if (r->armed && ns >= r->due_ns) {
		r->ris = 1;
		r->armed = false;
	}
	if (r->cfg.irq)
		irq_set_level(r->cfg.irq, (r->ris & r->imsc) != 0);
}

int pl031_create(const struct pl031_cfg *cfg, struct pl031 **out)
{
	struct pl031 *r;

	if (!cfg || !out)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->cfg = *cfg;
	pthread_mutex_init(&r->lock, NULL);
	*out = r;
	return 0;
}

void pl031_destroy(struct pl031 *r)
{
	if (!r)
		return;
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static int pl031_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct pl031 *r = opaque;
	uint32_t v = 0;

	if (off >= PL031_SIZE || (off & 3) || len != 4)
		return -EINVAL;
	pthread_mutex_lock(&r->lock);
	switch (off) {
	case REG_DR:
		v = counter(r, now_ns(r));
		break;
	case REG_MR:
		v = r->mr;
		break;
	case REG_LR:
		v = r->lr; /* the last value loaded */
		break;
	case REG_CR:
		v = 1; /* started at reset, cannot be stopped */
		break;
	case REG_IMSC:
		v = r->imsc;
		break;
	case REG_RIS:
		v = r->ris;
		break;
	case REG_MIS:
		v = r->ris & r->imsc;
		break;
	default:
		if (off >= REG_ID_BASE)
			v = pl031_id[(off - REG_ID_BASE) / 4];
		break;
	}
	pthread_mutex_unlock(&r->lock);
	memcpy(data, &v, sizeof(v));
	return 0;
}

static int pl031_write(void *opaque, uint64_t off, const void *data,
		       uint32_t len)
{
	struct pl031 *r = opaque;
	bool rearm = false;
	int64_t ns;
	uint32_t v;

	if (off >= PL031_SIZE || (off & 3) || len != 4) {
		log_ratelimited(&r->rl, LOG_WARN, "bad write at %#llx/%u",
				(unsigned long long)off, len);
		return -EINVAL;
	}
	memcpy(&v, data, sizeof(v));
	pthread_mutex_lock(&r->lock);
	ns = now_ns(r);
	switch (off) {
	case REG_MR:
		r->mr = v;
		arm(r, ns);
		rearm = true;
		break;
	case REG_LR:
		r->lr = v;
		r->offset = (int64_t)v - ns / NS;
		arm(r, ns);
		rearm = true;
		break;
	case REG_CR:
		break; /* writing 0 does not stop the clock */
	case REG_IMSC:
		r->imsc = v & 1;
		break;
	case REG_ICR:
		r->ris &= ~(v & 1);
		break;
	default:
		log_ratelimited(&r->rl, LOG_WARN,
				"write of %#x to read-only offset %#llx", v,
				(unsigned long long)off);
		break;
	}
	update(r, ns);
	pthread_mutex_unlock(&r->lock);
	if (rearm && r->cfg.rearm)
		r->cfg.rearm(r->cfg.rearm_opaque);
	return 0;
}

static const struct io_ops pl031_ops = {
	.read = pl031_read,
	.write = pl031_write,
	.min_len = 4,
	.max_len = 4,
};

int pl031_attach(struct pl031 *r, struct bus *mmio, uint64_t base)
{
	return bus_register(mmio, base, PL031_SIZE, &pl031_ops, r, "pl031");
}

int pl031_next_event_ns(struct pl031 *r, int64_t *when)
{
	int ret = -ENOENT;

	pthread_mutex_lock(&r->lock);
	if (r->armed) {
		*when = r->due_ns;
		ret = 0;
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

void pl031_tick(struct pl031 *r)
{
	pthread_mutex_lock(&r->lock);
	update(r, now_ns(r));
	pthread_mutex_unlock(&r->lock);
}
