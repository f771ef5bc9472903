// SPDX-License-Identifier: Apache-2.0
/*
 * debug_port.c - port 0x80: timestamped guest progress codes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#define LOG_MOD "debug-port"
#include "devices/debug_port.h"
#include "vmm/log.h"

struct debug_port {
	pthread_mutex_t lock;
	struct debug_port_cfg cfg;
	uint64_t count;
	uint64_t last_ns;
	uint8_t last_code;
	struct log_rl rl;
};

const char *debug_port_range(uint8_t code)
{
	static const char *const names[] = { "firmware", "bootloader", "kernel",
					     "userspace" };

	return code < 0x80 ? names[code >> 5] : "unknown";
}

static uint64_t now_ns(const struct debug_port *d)
{
	if (d->cfg.clock_ns)
		return d->cfg.clock_ns(d->cfg.opaque);
	return log_uptime_ns();
}

static int dbg_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	uint8_t *p = data;
	uint32_t i;

	/* Nothing drives the bus on a read of port 0x80. */
	for (i = 0; i < len; i++)
		p[i] = 0xff;
	return 0;
}

static int dbg_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	struct debug_port *d = opaque;
	uint8_t code = *(const uint8_t *)data;
	uint64_t ns;

	if (len != 1)
		return -EINVAL;
	ns = now_ns(d);
	pthread_mutex_lock(&d->lock);
	d->count++;
	d->last_code = code;
	d->last_ns = ns;
	/* The limiter's state is only touched under the lock. */
	log_ratelimited(&d->rl, LOG_INFO, "%s code 0x%02x at %llu.%06llu s",
			debug_port_range(code), code,
			(unsigned long long)(ns / 1000000000ull),
			(unsigned long long)(ns % 1000000000ull / 1000));
	pthread_mutex_unlock(&d->lock);
	return 0;
}

static const struct io_ops debug_port_ops = {
	.read = dbg_read,
	.write = dbg_write,
	.min_len = 1,
	.max_len = 1,
};

int debug_port_create(const struct debug_port_cfg *cfg, struct debug_port **out)
{
	struct debug_port *d;

	if (!out)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	if (pthread_mutex_init(&d->lock, NULL)) {
		free(d);
		return -ENOMEM;
	}
	if (cfg)
		d->cfg = *cfg;
	*out = d;
	return 0;
}

int debug_port_attach(struct debug_port *d, struct bus *pio, uint16_t base)
{
	return bus_register(pio, base, 1, &debug_port_ops, d, "debug-port");
}

void debug_port_destroy(struct debug_port *d)
{
	if (!d)
		return;
	pthread_mutex_destroy(&d->lock);
	free(d);
}

void debug_port_reset(struct debug_port *d)
{
	pthread_mutex_lock(&d->lock);
	d->count = 0;
	d->last_code = 0;
	d->last_ns = 0;
	pthread_mutex_unlock(&d->lock);
}

int debug_port_last(struct debug_port *d, uint8_t *code, uint64_t *ns)
{
	int ret = -ENOENT;

	pthread_mutex_lock(&d->lock);
	if (d->count) {
		if (code)
			*code = d->last_code;
		if (ns)
			*ns = d->last_ns;
		ret = 0;
	}
	pthread_mutex_unlock(&d->lock);
	return ret;
}

uint64_t debug_port_count(struct debug_port *d)
{
	uint64_t n;

	pthread_mutex_lock(&d->lock);
	n = d->count;
	pthread_mutex_unlock(&d->lock);
	return n;
}
