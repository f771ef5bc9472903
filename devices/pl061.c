// SPDX-License-Identifier: Apache-2.0
/*
 * pl061.c - ARM PrimeCell PL061 GPIO model (ARM DDI 0190).
 *
 * Edge interrupts latch in RIS until cleared through GPIOIC; level
 * interrupts follow the pin: RIS holds while the level matches GPIOIEV.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MOD "pl061"
#include "devices/pl061.h"
#include "vmm/log.h"

#define REG_DATA_END 0x400 /* GPIODATA: 0x000-0x3fc, mask = addr[9:2] */
#define REG_DIR 0x400
#define REG_IS 0x404 /* 1 = level sensitive */
#define REG_IBE 0x408 /* 1 = both edges */
#define REG_IEV 0x40c /* 1 = rising edge / high level */
#define REG_IE 0x410 /* interrupt mask: 1 = enabled */
#define REG_RIS 0x414
#define REG_MIS 0x418
#define REG_IC 0x41c
#define REG_AFSEL 0x420
#define REG_ID_BASE 0xfe0

static const uint8_t pl061_id[8] = { 0x61, 0x10, 0x04, 0x00,
				     0x0d, 0xf0, 0x05, 0xb1 };

struct pl061 {
	pthread_mutex_t lock;
	struct pl061_cfg cfg;
	struct log_rl rl;
	uint8_t out; /* output latch */
	uint8_t in; /* external input levels */
	uint8_t dir, is, ibe, iev, ie, ris, afsel;
};

/* Level each pin shows: the latch for outputs, the input otherwise. */
static uint8_t pins(const struct pl061 *g)
{
	return (uint8_t)((g->out & g->dir) | (g->in & ~g->dir));
}

/* Lock held: level-sensitive lines follow their pins; drive the line. */
static void update(struct pl061 *g)
{
	uint8_t p = pins(g);
	uint8_t active = (uint8_t)((p & g->iev) | (~p & ~g->iev));

	g->ris = (uint8_t)((g->ris & ~g->is) | (active & g->is));
	if (g->cfg.irq)
		irq_set_level(g->cfg.irq, (g->ris & g->ie) != 0);
}

/* Lock held: latch edge interrupts for pins that changed from old. */
static void edges(struct pl061 *g, uint8_t old)
{
	uint8_t now = pins(g), changed = (uint8_t)(old ^ now);
	uint8_t rising = changed & now, falling = changed & old;
	uint8_t edge = (uint8_t)~g->is;
	uint8_t hit =
		(uint8_t)((changed & g->ibe) | (rising & ~g->ibe & g->iev) |
			  (falling & ~g->ibe & ~g->iev));

	g->ris |= hit & edge;
}

int pl061_create(const struct pl061_cfg *cfg, struct pl061 **out)
{
	struct pl061 *g;

	if (!cfg || !out)
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->cfg = *cfg;
	pthread_mutex_init(&g->lock, NULL);
	*out = g;
	return 0;
}

void pl061_destroy(struct pl061 *g)
{
	if (!g)
		return;
	pthread_mutex_destroy(&g->lock);
	free(g);
}

static int pl061_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct pl061 *g = opaque;
	uint32_t v = 0;

	if (off >= PL061_SIZE || (off & 3))
		return -EINVAL;
	pthread_mutex_lock(&g->lock);
	if (off < REG_DATA_END) {
		v = pins(g) & (uint8_t)(off >> 2);
	} else {
		switch (off) {
		case REG_DIR:
			v = g->dir;
			break;
		case REG_IS:
			v = g->is;
			break;
		case REG_IBE:
			v = g->ibe;
			break;
		case REG_IEV:
			v = g->iev;
			break;
		case REG_IE:
			v = g->ie;
			break;
		case REG_RIS:
			v = g->ris;
			break;
		case REG_MIS:
			v = g->ris & g->ie;
			break;
		case REG_AFSEL:
			v = g->afsel;
			break;
		default:
			if (off >= REG_ID_BASE)
				v = pl061_id[(off - REG_ID_BASE) / 4];
			break;
		}
	}
	pthread_mutex_unlock(&g->lock);
	memcpy(data, &v, len);
	return 0;
}

static int pl061_write(void *opaque, uint64_t off, const void *data,
		       uint32_t len)
{
	struct pl061 *g = opaque;
	uint8_t v8, old;
	uint32_t v = 0;

	if (off >= PL061_SIZE || (off & 3)) {
		log_ratelimited(&g->rl, LOG_WARN, "bad write at %#llx/%u",
				(unsigned long long)off, len);
		return -EINVAL;
	}
	memcpy(&v, data, len);
	v8 = (uint8_t)v;
	pthread_mutex_lock(&g->lock);
	old = pins(g);
	if (off < REG_DATA_END) {
		uint8_t mask = (uint8_t)(off >> 2);

		g->out = (uint8_t)((g->out & ~mask) | (v8 & mask));
	} else {
		switch (off) {
		case REG_DIR:
			g->dir = v8;
			break;
		case REG_IS:
			g->is = v8;
			break;
		case REG_IBE:
			g->ibe = v8;
			break;
		case REG_IEV:
			g->iev = v8;
			break;
		case REG_IE:
			g->ie = v8;
			break;
		case REG_IC:
			g->ris &= (uint8_t) ~(v8 & ~g->is);
			break;
		case REG_AFSEL:
			g->afsel = v8;
			break;
		default:
			log_ratelimited(
				&g->rl, LOG_WARN,
				"write of %#x to read-only offset %#llx", v,
				(unsigned long long)off);
			break;
		}
	}
	/* Pins driven by the guest's own outputs can raise edges too. */
	edges(g, old);
	update(g);
	pthread_mutex_unlock(&g->lock);
	return 0;
}

static const struct io_ops pl061_ops = {
	.read = pl061_read,
	.write = pl061_write,
	.min_len = 1,
	.max_len = 4,
};

int pl061_attach(struct pl061 *g, struct bus *mmio, uint64_t base)
{
	return bus_register(mmio, base, PL061_SIZE, &pl061_ops, g, "pl061");
}

int pl061_set_input(struct pl061 *g, unsigned int line, int level)
{
	uint8_t old, bit;

	if (line >= PL061_NR_LINES)
		return -EINVAL;
	bit = (uint8_t)(1u << line);
	pthread_mutex_lock(&g->lock);
	old = pins(g);
	g->in = level ? (uint8_t)(g->in | bit) : (uint8_t)(g->in & ~bit);
	edges(g, old);
	update(g);
	pthread_mutex_unlock(&g->lock);
	return 0;
}
