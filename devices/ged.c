// SPDX-License-Identifier: Apache-2.0
/*
 * ged.c - ACPI Generic Event Device (see ged.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MOD "ged"
#include "devices/ged.h"
#include "vmm/log.h"

struct ged {
	struct irq_line *irq;
	pthread_mutex_t lock; /* pending */
	uint32_t pending;
};

static int ged_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct ged *g = opaque;
	uint32_t v;

	/* Only a full read of the register consumes events: a stray byte
	 * read must not lose them. */
	if (off != 0 || len != GED_REG_SIZE)
		return 0;
	pthread_mutex_lock(&g->lock);
	v = g->pending;
	g->pending = 0;
	pthread_mutex_unlock(&g->lock);
	memcpy(data, &v, sizeof(v));
	return 0;
}

static int ged_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	return 0;
}

static const struct io_ops ged_ops = {
	.read = ged_read,
	.write = ged_write,
	.min_len = 1,
	.max_len = 8,
};

int ged_create(const struct ged_cfg *cfg, struct ged **out)
{
	struct ged *g;

	if (!cfg || !cfg->irq)
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->irq = cfg->irq;
	pthread_mutex_init(&g->lock, NULL);
	*out = g;
	return 0;
}

int ged_attach(struct ged *g, struct bus *mmio, uint64_t base)
{
	return bus_register(mmio, base, GED_MMIO_SIZE, &ged_ops, g, "ged");
}

int ged_notify(struct ged *g, uint32_t events)
{
	int ret = 0;

	if (!events)
		return 0;
	pthread_mutex_lock(&g->lock);
	g->pending |= events;
	pthread_mutex_unlock(&g->lock);
	/* After the bits are visible: the guest's _EVT reads them. */
	ret = irq_pulse(g->irq);
	return ret;
}

uint32_t ged_pending(struct ged *g)
{
	uint32_t v;

	pthread_mutex_lock(&g->lock);
	v = g->pending;
	pthread_mutex_unlock(&g->lock);
	return v;
}

void ged_destroy(struct ged *g)
{
	if (!g)
		return;
	pthread_mutex_destroy(&g->lock);
	free(g);
}
