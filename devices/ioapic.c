// SPDX-License-Identifier: Apache-2.0
/*
 * ioapic.c - 24-pin I/O APIC turning pins into MSIs on per-pin routes.
 *
 * route[p] mirrors what the router holds for gsi p.  A pin with an eventfd
 * may only fire when route[p] matches its current entry; otherwise the
 * eventfd would raise whatever stale (or absent) route the hypervisor has.
 * Messages are collected in a batch under the state mutex and sent after
 * it is released.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_MOD "ioapic"
#include "devices/ioapic.h"
#include "vmm/log.h"

/* MMIO offsets */
#define IOAPIC_REGSEL 0x00
#define IOAPIC_IOWIN 0x10
#define IOAPIC_EOIR 0x40

/* Indirect registers */
#define IND_ID 0x00
#define IND_VER 0x01
#define IND_ARB 0x02
#define IND_REDTBL 0x10
#define IND_REDTBL_END (IND_REDTBL + 2 * IOAPIC_NR_PINS)

#define ID_SHIFT 24
#define ID_MASK 0x0fu

/* Redirection table entry */
#define RTE_VECTOR 0xffull
#define RTE_DELMODE_SHIFT 8
#define RTE_DELMODE_MASK 0x7ull
#define RTE_DESTMODE (1ull << 11) /* 1 = logical */
#define RTE_DELIVS (1ull << 12) /* read-only */
#define RTE_POLARITY (1ull << 13) /* 1 = active low */
#define RTE_REMOTE_IRR (1ull << 14) /* read-only */
#define RTE_LEVEL (1ull << 15)
#define RTE_MASKED (1ull << 16)
#define RTE_DEST_SHIFT 56
#define RTE_RO (RTE_DELIVS | RTE_REMOTE_IRR)
#define RTE_WRITABLE                                                         \
	(0xffull << RTE_DEST_SHIFT | RTE_MASKED | RTE_LEVEL | RTE_POLARITY | \
	 RTE_DESTMODE | RTE_DELMODE_MASK << RTE_DELMODE_SHIFT | RTE_VECTOR)

/* MSI format, Intel SDM vol. 3 section 11.11 */
#define MSI_ADDR_BASE 0xfee00000ull
#define MSI_ADDR_DEST_SHIFT 12
#define MSI_ADDR_DM_LOGICAL (1ull << 2)
#define MSI_DATA_DELMODE_SHIFT 8
#define MSI_DATA_ASSERT (1u << 14)
#define MSI_DATA_LEVEL (1u << 15)

struct ioapic_route {
	uint64_t addr;
	uint32_t data;
	bool valid;
};

struct ioapic_msg {
	int efd;
	uint64_t addr;
	uint32_t data;
};

struct ioapic_batch {
	unsigned int n;
	struct ioapic_msg m[IOAPIC_NR_PINS];
};

struct ioapic {
	pthread_mutex_t lock; /* all fields below */
	pthread_mutex_t route_lock; /* serialises router calls; taken first */
	struct ioapic_cfg cfg;
	uint32_t regsel;
	uint8_t id;
	uint64_t rte[IOAPIC_NR_PINS];
	uint32_t level; /* electrical input level, bit per pin */
	uint32_t pend_edge; /* edges waiting for their route to settle */
	struct ioapic_route route[IOAPIC_NR_PINS];
	struct log_rl rl;
};

void ioapic_cfg_init(struct ioapic_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	for (unsigned int p = 0; p < IOAPIC_NR_PINS; p++)
		cfg->pin_efd[p] = -1;
}

static struct ioapic_route rte_to_msi(uint64_t rte)
{
	struct ioapic_route m;

	m.addr = MSI_ADDR_BASE | (rte >> RTE_DEST_SHIFT) << MSI_ADDR_DEST_SHIFT;
	if (rte & RTE_DESTMODE)
		m.addr |= MSI_ADDR_DM_LOGICAL;
	m.data = (uint32_t)(rte & RTE_VECTOR) |
		 (uint32_t)((rte >> RTE_DELMODE_SHIFT) & RTE_DELMODE_MASK)
			 << MSI_DATA_DELMODE_SHIFT |
		 MSI_DATA_ASSERT;
	if (rte & RTE_LEVEL)
		m.data |= MSI_DATA_LEVEL;
	m.valid = !(rte & RTE_MASKED);
	return m;
}

static bool pin_asserted(const struct ioapic *io, uint32_t p)
{
	bool lvl = io->level >> p & 1;

	return (io->rte[p] & RTE_POLARITY) ? !lvl : lvl;
}

/* May pin p fire now?  An eventfd needs the route to match the entry. */
static bool route_ready(const struct ioapic *io, uint32_t p)
{
	struct ioapic_route want = rte_to_msi(io->rte[p]);
	const struct ioapic_route *have = &io->route[p];

	if (!io->cfg.router || io->cfg.pin_efd[p] < 0)
		return true;
	return have->valid && have->addr == want.addr &&
	       have->data == want.data;
}

static void fire(struct ioapic *io, uint32_t p, struct ioapic_batch *b)
{
	struct ioapic_route m = rte_to_msi(io->rte[p]);

	b->m[b->n++] =
		(struct ioapic_msg){ io->cfg.pin_efd[p], m.addr, m.data };
}

/* Fire a level pin if asserted, unmasked and not awaiting EOI. */
static void try_fire_level(struct ioapic *io, uint32_t p,
			   struct ioapic_batch *b)
{
	uint64_t rte = io->rte[p];

	if (!(rte & RTE_LEVEL) || (rte & (RTE_MASKED | RTE_REMOTE_IRR)) ||
	    !pin_asserted(io, p) || !route_ready(io, p))
		return;
	io->rte[p] |= RTE_REMOTE_IRR;
	fire(io, p, b);
}

/* Send the batch; called without the state mutex. */
static void flush(struct ioapic *io, const struct ioapic_batch *b)
{
	static const uint64_t one = 1;

	for (unsigned int i = 0; i < b->n; i++) {
		const struct ioapic_msg *m = &b->m[i];

		if (m->efd >= 0) {
			/* EAGAIN: counter saturated, the interrupt is
			 * pending anyway. */
			if (write(m->efd, &one, sizeof(one)) != sizeof(one) &&
			    errno != EAGAIN)
				log_ratelimited(&io->rl, LOG_WARN,
						"eventfd %d write: %s", m->efd,
						strerror(errno));
		} else if (io->cfg.deliver) {
			io->cfg.deliver(io->cfg.opaque, m->addr, m->data);
		}
	}
}

/*
 * Bring the router's route for pin p in line with its entry, then deliver
 * what waited for it.  The router is called with only route_lock held.
 *
 * A guest masking a pin keeps its last route (`keep_masked`): the pin
 * cannot fire while masked (fire() and try_fire_level() check), and the
 * route is what makes the hypervisor report the EOI of a level interrupt
 * still in service.  Dropping it left Remote IRR set forever when Linux
 * masked a level pin before its EOI (free_irq then waited on it).  Only a
 * reset clears routes.
 */
static void route_sync(struct ioapic *io, uint32_t p, bool keep_masked)
{
	const struct msi_router *rt = io->cfg.router;
	struct ioapic_batch b = { 0 };
	struct ioapic_route want;
	int ret;

	pthread_mutex_lock(&io->route_lock);
	pthread_mutex_lock(&io->lock);
	want = rte_to_msi(io->rte[p]);
	if (!want.valid && keep_masked && io->route[p].valid)
		want = io->route[p];
	if (rt && (want.valid != io->route[p].valid ||
		   (want.valid && (want.addr != io->route[p].addr ||
				   want.data != io->route[p].data)))) {
		pthread_mutex_unlock(&io->lock);
		ret = want.valid ?
			      rt->set(rt->opaque, p, want.addr, want.data) :
			      rt->clear(rt->opaque, p);
		pthread_mutex_lock(&io->lock);
		if (ret) {
			log_ratelimited(&io->rl, LOG_WARN,
					"route %s for pin %u failed: %s",
					want.valid ? "set" : "clear", p,
					strerror(-ret));
			want.valid = false;
		}
		io->route[p] = want;
	}
	if ((io->pend_edge >> p & 1) && route_ready(io, p)) {
		io->pend_edge &= ~(1u << p);
		if (!(io->rte[p] & (RTE_MASKED | RTE_LEVEL)))
			fire(io, p, &b);
	}
	try_fire_level(io, p, &b);
	pthread_mutex_unlock(&io->lock);
	pthread_mutex_unlock(&io->route_lock);
	flush(io, &b);
}

static uint32_t read_indirect(struct ioapic *io)
{
	uint32_t sel = io->regsel, p;

	switch (sel) {
	case IND_ID:
	case IND_ARB:
		return (uint32_t)io->id << ID_SHIFT;
	case IND_VER:
		return (IOAPIC_NR_PINS - 1) << 16 | IOAPIC_VERSION;
	}
	if (sel < IND_REDTBL || sel >= IND_REDTBL_END) {
		log_ratelimited(&io->rl, LOG_WARN,
				"read of invalid register %#x", sel);
		return 0xffffffffu;
	}
	p = (sel - IND_REDTBL) / 2;
	return (uint32_t)(io->rte[p] >> (sel & 1 ? 32 : 0));
}

/* Returns the pin whose entry changed, or -1. */
static int write_indirect(struct ioapic *io, uint32_t val)
{
	uint32_t sel = io->regsel, p;
	uint64_t old, rte;

	switch (sel) {
	case IND_ID:
		io->id = (val >> ID_SHIFT) & ID_MASK;
		return -1;
	case IND_VER:
	case IND_ARB:
		return -1; /* read-only */
	}
	if (sel < IND_REDTBL || sel >= IND_REDTBL_END) {
		log_ratelimited(&io->rl, LOG_WARN,
				"write %#x to invalid register %#x", val, sel);
		return -1;
	}
	p = (sel - IND_REDTBL) / 2;
	old = io->rte[p];
	if (sel & 1)
		rte = (old & 0xffffffffull) | (uint64_t)val << 32;
	else
		rte = (old & ~0xffffffffull) | val;
	rte = (rte & RTE_WRITABLE) | (old & RTE_RO);
	/* Linux's EOI for version 0x11 parts relies on this. */
	if (!(rte & RTE_LEVEL))
		rte &= ~RTE_REMOTE_IRR;
	/* An edge still waiting for its route dies with a mask. */
	if (rte & (RTE_MASKED | RTE_LEVEL))
		io->pend_edge &= ~(1u << p);
	io->rte[p] = rte;
	return (int)p;
}

static int ioapic_mmio_read(void *opaque, uint64_t off, void *data,
			    uint32_t len)
{
	struct ioapic *io = opaque;
	uint32_t v = 0;

	if (len != 4) {
		memset(data, 0xff, len);
		return 0;
	}
	pthread_mutex_lock(&io->lock);
	if (off == IOAPIC_REGSEL)
		v = io->regsel;
	else if (off == IOAPIC_IOWIN)
		v = read_indirect(io);
	pthread_mutex_unlock(&io->lock);
	memcpy(data, &v, sizeof(v));
	return 0;
}

static int ioapic_mmio_write(void *opaque, uint64_t off, const void *data,
			     uint32_t len)
{
	struct ioapic *io = opaque;
	int pin = -1;
	uint32_t v;

	if (len != 4)
		return 0;
	memcpy(&v, data, sizeof(v));
	if (off == IOAPIC_EOIR) {
		ioapic_eoi(io, v & 0xff);
		return 0;
	}
	pthread_mutex_lock(&io->lock);
	if (off == IOAPIC_REGSEL)
		io->regsel = v & 0xff;
	else if (off == IOAPIC_IOWIN)
		pin = write_indirect(io, v);
	pthread_mutex_unlock(&io->lock);
	if (pin >= 0)
		route_sync(io, (uint32_t)pin, true);
	return 0;
}

static const struct io_ops ioapic_io_ops = {
	.read = ioapic_mmio_read,
	.write = ioapic_mmio_write,
	.min_len = 4,
	.max_len = 4,
};

void ioapic_set_irq(void *opaque, uint32_t pin, int level)
{
	struct ioapic *io = opaque;
	struct ioapic_batch b = { 0 };
	bool was;

	if (pin >= IOAPIC_NR_PINS) {
		log_ratelimited(&io->rl, LOG_WARN, "set_irq on bad pin %u",
				pin);
		return;
	}
	pthread_mutex_lock(&io->lock);
	was = pin_asserted(io, pin);
	if (level)
		io->level |= 1u << pin;
	else
		io->level &= ~(1u << pin);
	if (io->rte[pin] & RTE_LEVEL) {
		try_fire_level(io, pin, &b);
	} else if (!was && pin_asserted(io, pin) &&
		   !(io->rte[pin] & RTE_MASKED)) {
		if (route_ready(io, pin))
			fire(io, pin, &b);
		else
			io->pend_edge |= 1u << pin;
	}
	pthread_mutex_unlock(&io->lock);
	flush(io, &b);
}

void ioapic_eoi(struct ioapic *io, uint32_t vector)
{
	struct ioapic_batch b = { 0 };

	pthread_mutex_lock(&io->lock);
	for (uint32_t p = 0; p < IOAPIC_NR_PINS; p++) {
		uint64_t rte = io->rte[p];

		if (!(rte & RTE_LEVEL) || !(rte & RTE_REMOTE_IRR) ||
		    (rte & RTE_VECTOR) != (vector & 0xff))
			continue;
		io->rte[p] &= ~RTE_REMOTE_IRR;
		try_fire_level(io, p, &b);
	}
	pthread_mutex_unlock(&io->lock);
	flush(io, &b);
}

void ioapic_reset(struct ioapic *io)
{
	pthread_mutex_lock(&io->lock);
	for (uint32_t p = 0; p < IOAPIC_NR_PINS; p++)
		io->rte[p] = RTE_MASKED;
	io->pend_edge = 0;
	io->id = io->cfg.id & ID_MASK;
	io->regsel = 0;
	pthread_mutex_unlock(&io->lock);
	for (uint32_t p = 0; p < IOAPIC_NR_PINS; p++)
		route_sync(io, p, false);
}

int ioapic_create(const struct ioapic_cfg *cfg, struct ioapic **out)
{
	struct ioapic *io;
	int err;

	if (!cfg || !out)
		return -EINVAL;
	io = calloc(1, sizeof(*io));
	if (!io)
		return -ENOMEM;
	err = pthread_mutex_init(&io->lock, NULL);
	if (err)
		goto err_free;
	err = pthread_mutex_init(&io->route_lock, NULL);
	if (err)
		goto err_lock;
	io->cfg = *cfg;
	io->id = cfg->id & ID_MASK;
	for (uint32_t p = 0; p < IOAPIC_NR_PINS; p++)
		io->rte[p] = RTE_MASKED;
	*out = io;
	return 0;

err_lock:
	pthread_mutex_destroy(&io->lock);
err_free:
	free(io);
	return -err;
}

int ioapic_attach(struct ioapic *io, struct bus *bus, uint64_t base)
{
	return bus_register(bus, base, X86_IOAPIC_SIZE, &ioapic_io_ops, io,
			    "ioapic");
}

void ioapic_destroy(struct ioapic *io)
{
	if (!io)
		return;
	pthread_mutex_destroy(&io->route_lock);
	pthread_mutex_destroy(&io->lock);
	free(io);
}
