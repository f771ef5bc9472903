// SPDX-License-Identifier: Apache-2.0
/*
 * acpi_pm.c - sleep control/status, reset register and PM timer.
 *
 * Register layouts follow the ACPI specification's hardware-reduced
 * sleep registers (section 4.8.3.7) and the PM timer (4.8.3.3).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#define LOG_MOD "acpi-pm"
#include "arch/x86_64/layout.h"
#include "devices/acpi_pm.h"
#include "vmm/log.h"

#define SLP_TYP_SHIFT 2
#define SLP_TYP_MASK 0x07
#define SLP_EN 0x20

#define NS_PER_S 1000000000ull

struct acpi_pm {
	pthread_mutex_t lock;
	struct acpi_pm_cfg cfg;
	uint64_t start_ns; /* clock value at which the timer read 0 */
	uint8_t sleep_sts;
	struct log_rl rl;
};

enum pm_action {
	PM_NONE,
	PM_RESET,
	PM_POWEROFF,
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static uint64_t now_ns(const struct acpi_pm *d)
{
	if (d->cfg.clock_ns)
		return d->cfg.clock_ns(d->cfg.opaque);
	return mono_ns();
}

/* Timer ticks after `ns`, truncated to 32 bits; no 64-bit overflow. */
static uint32_t pm_ticks(uint64_t ns)
{
	uint64_t t = (ns / NS_PER_S) * ACPI_PM_TMR_HZ +
		     (ns % NS_PER_S) * ACPI_PM_TMR_HZ / NS_PER_S;

	return (uint32_t)t;
}

/* Register byte `off` as the guest reads it; tmr is the sampled timer. */
static uint8_t reg_byte(const struct acpi_pm *d, uint64_t off, uint32_t tmr)
{
	if (off == 1)
		return d->sleep_sts;
	if (off >= ACPI_PM_TMR_OFF && off < ACPI_PM_NR_PORTS)
		return (uint8_t)(tmr >> (8 * (off - ACPI_PM_TMR_OFF)));
	return 0; /* sleep control reads 0; reserved */
}

static int pm_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct acpi_pm *d = opaque;
	uint8_t *p = data;
	uint32_t tmr = 0, i;

	if (!len || len > 4 || off >= ACPI_PM_NR_PORTS ||
	    len > ACPI_PM_NR_PORTS - off)
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	if (off + len > ACPI_PM_TMR_OFF)
		tmr = pm_ticks(now_ns(d) - d->start_ns);
	for (i = 0; i < len; i++)
		p[i] = reg_byte(d, off + i, tmr);
	pthread_mutex_unlock(&d->lock);
	return 0;
}

static enum pm_action sleep_ctl_write(struct acpi_pm *d, uint8_t v)
{
	unsigned int typ = (v >> SLP_TYP_SHIFT) & SLP_TYP_MASK;

	if (v == X86_ACPI_RESET_VALUE)
		return PM_RESET;
	if (!(v & SLP_EN))
		return PM_NONE;
	if (typ == X86_ACPI_S5_TYP)
		return PM_POWEROFF;
	/* Not supported: wake up at once so the guest's WAK_STS poll ends. */
	log_ratelimited(&d->rl, LOG_WARN,
			"sleep type %u not supported, waking at once", typ);
	d->sleep_sts |= ACPI_PM_WAK_STS;
	return PM_NONE;
}

static int pm_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	struct acpi_pm *d = opaque;
	const uint8_t *p = data;
	enum pm_action act = PM_NONE;
	uint32_t i;

	if (!len || len > 4 || off >= ACPI_PM_NR_PORTS ||
	    len > ACPI_PM_NR_PORTS - off)
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	for (i = 0; i < len; i++) {
		if (off + i == 0)
			act = sleep_ctl_write(d, p[i]);
		else if (off + i == 1) /* write 1 to clear */
			d->sleep_sts &= (uint8_t) ~(p[i] & ACPI_PM_WAK_STS);
		/* Reserved bytes and the read-only timer ignore writes. */
	}
	pthread_mutex_unlock(&d->lock);
	if (act == PM_RESET && d->cfg.reset)
		d->cfg.reset(d->cfg.opaque);
	else if (act == PM_POWEROFF && d->cfg.poweroff)
		d->cfg.poweroff(d->cfg.opaque);
	return 0;
}

static const struct io_ops acpi_pm_ops = {
	.read = pm_read,
	.write = pm_write,
	.min_len = 1,
	.max_len = 4,
};

int acpi_pm_create(const struct acpi_pm_cfg *cfg, struct acpi_pm **out)
{
	struct acpi_pm *d;

	if (!cfg || !out)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	if (pthread_mutex_init(&d->lock, NULL)) {
		free(d);
		return -ENOMEM;
	}
	d->cfg = *cfg;
	d->start_ns = now_ns(d);
	*out = d;
	return 0;
}

int acpi_pm_attach(struct acpi_pm *d, struct bus *pio, uint16_t base)
{
	return bus_register(pio, base, ACPI_PM_NR_PORTS, &acpi_pm_ops, d,
			    "acpi-pm");
}

void acpi_pm_destroy(struct acpi_pm *d)
{
	if (!d)
		return;
	pthread_mutex_destroy(&d->lock);
	free(d);
}

void acpi_pm_reset(struct acpi_pm *d)
{
	pthread_mutex_lock(&d->lock);
	d->sleep_sts = 0;
	d->start_ns = now_ns(d);
	pthread_mutex_unlock(&d->lock);
}
