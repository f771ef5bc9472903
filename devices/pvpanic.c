// SPDX-License-Identifier: Apache-2.0
/*
 * pvpanic.c - the pvpanic PCI device (see pvpanic.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MOD "pvpanic"
#include "devices/pci/pci.h"
#include "devices/pvpanic.h"
#include "vmm/log.h"

#define PVPANIC_SUPPORTED (PVPANIC_PANICKED | PVPANIC_CRASH_LOADED)

struct pvpanic {
	struct pci_dev pci;
	struct pvpanic_cfg cfg;
	uint8_t reported; /* event bits already forwarded (atomic) */
	struct log_rl rl;
};

static int bar_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	/* data is zero-filled by the bus. */
	if (off == 0)
		*(uint8_t *)data = PVPANIC_SUPPORTED;
	return 0;
}

static int bar_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	struct pvpanic *p = opaque;
	uint8_t v = *(const uint8_t *)data, fresh, old;

	if (off != 0)
		return 0;
	if (v & ~PVPANIC_SUPPORTED)
		log_ratelimited(&p->rl, LOG_WARN,
				"guest wrote unknown pvpanic events %#x", v);
	v &= PVPANIC_SUPPORTED;
	old = __atomic_fetch_or(&p->reported, v, __ATOMIC_ACQ_REL);
	fresh = v & (uint8_t)~old;
	if (fresh && p->cfg.event)
		p->cfg.event(p->cfg.opaque, fresh);
	return 0;
}

static const struct io_ops pvpanic_bar_ops = {
	.read = bar_read,
	.write = bar_write,
	.min_len = 1,
	.max_len = 8,
	.impl_len = 1,
};

int pvpanic_create(const struct pvpanic_cfg *cfg, struct pvpanic **out)
{
	struct pvpanic *p = calloc(1, sizeof(*p));
	int ret;

	if (!p)
		return -ENOMEM;
	p->cfg = *cfg;
	pci_dev_init(&p->pci, "pvpanic", PVPANIC_VENDOR, PVPANIC_DEVICE,
		     PVPANIC_CLASS, 1, PVPANIC_VENDOR, PVPANIC_DEVICE, NULL, p);
	ret = pci_dev_set_bar(&p->pci, 0, PCI_BAR_MEM32, 0, PVPANIC_BAR_SIZE,
			      &pvpanic_bar_ops, p);
	if (ret) {
		pvpanic_destroy(p);
		return ret;
	}
	*out = p;
	return 0;
}

struct pci_dev *pvpanic_pci_dev(struct pvpanic *p)
{
	return &p->pci;
}

uint8_t pvpanic_events(const struct pvpanic *p)
{
	return __atomic_load_n(&p->reported, __ATOMIC_ACQUIRE);
}

void pvpanic_destroy(struct pvpanic *p)
{
	if (!p)
		return;
	pthread_mutex_destroy(&p->pci.lock);
	free(p);
}
