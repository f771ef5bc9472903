// SPDX-License-Identifier: Apache-2.0
/*
 * msix.c - MSI-X capability, vector table and pending-bit array.
 *
 * A vector is deliverable when it is effectively unmasked (its own mask,
 * the Function Mask and !Enable all clear) and route[i] - what the router
 * holds for gsi_base + i - matches its entry.  Otherwise msix_notify only
 * sets the pending bit: an eventfd written before the route is in place
 * would raise whatever stale (or absent) route the hypervisor has.  Every
 * path that may make a vector deliverable ends in sync_vector(), which
 * installs the route if needed and then delivers a pending message.
 *
 * Routes are kept when a vector is masked: a masked vector is simply not
 * signalled, and Linux masks/unmasks vectors often (irq balancing, the
 * MSI-X write protocol), so clearing would cost a routing-table push
 * each time.  Only msix_reset clears them.
 *
 * Locks: cfg_lock serialises everything the guest changes (table and
 * Message Control writes, reset) together with the router calls it
 * causes; lock protects the state msix_notify reads.  Order: the pci
 * device mutex (held by cfg_write callers) -> cfg_lock -> the router's own
 * lock.  lock is never held across a router call or an eventfd write.
 * A message that msix_notify found deliverable is written after lock is
 * dropped, so it may land just after a concurrent mask or retarget, like
 * a message already in flight on real hardware.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_MOD "msix"
#include "devices/pci/msix.h"
#include "vmm/log.h"

#define MSIX_CAP_ID 0x11
#define MSIX_CAP_LEN 12
/* Capability layout, offsets from its start */
#define CAP_MC 2
#define CAP_TABLE 4
#define CAP_PBA 8
#define MC_TSIZE 0x07ffu
#define MC_FMASK (1u << 14)
#define MC_ENABLE (1u << 15)
#define BIR_MASK 0x7u

/* Table entry, in dwords */
#define ENT_ADDR_LO 0
#define ENT_ADDR_HI 1
#define ENT_DATA 2
#define ENT_CTRL 3
#define ENT_DWORDS 4
#define CTRL_MASKED 1u /* other vector control bits are reserved */
#define ADDR_LO_RSVD 0x3u /* dword-aligned message address */

#define SIG_WORDS (MSIX_MAX_VECTORS / 64)

struct msix_route {
	uint64_t addr;
	uint32_t data;
	bool valid;
};

struct msix {
	pthread_mutex_t cfg_lock; /* guest updates + router calls; first */
	pthread_mutex_t lock; /* fields below the line */
	struct pci_dev *dev;
	const struct msi_router *router;
	uint32_t gsi_base;
	uint16_t nr;
	uint8_t cap;
	int *efds; /* copy of the caller's array */
	/* --- */
	bool enabled, fmask;
	uint32_t (*ent)[ENT_DWORDS];
	uint64_t *pba;
	struct msix_route *route;
	struct log_rl rl;
};

/* Vectors to signal once the locks are dropped. */
struct msix_sig {
	uint64_t bits[SIG_WORDS];
};

/*
 * Can the platform's interrupt controller take a message at `addr`?  On
 * x86 only the local APIC window 0xFEExxxxx (low dword; with x2APIC the
 * high dword may carry destination bits 31:8).  Elsewhere (GIC ITS) the
 * doorbell address is the platform's choice; the hypervisor validates.
 */
static bool msix_addr_valid(uint64_t addr)
{
#if defined(__x86_64__) || defined(__i386__)
	return ((uint32_t)addr >> 20) == 0xfee;
#else
	(void)addr;
	return true;
#endif
}

uint32_t msix_table_size(uint16_t nr_vectors)
{
	return (uint32_t)nr_vectors * MSIX_ENTRY_SIZE;
}

uint32_t msix_pba_size(uint16_t nr_vectors)
{
	return ((uint32_t)nr_vectors + 63) / 64 * 8;
}

static uint64_t ent_addr(const struct msix *m, uint16_t i)
{
	return (uint64_t)m->ent[i][ENT_ADDR_HI] << 32 | m->ent[i][ENT_ADDR_LO];
}

/* lock held */
static bool vec_masked(const struct msix *m, uint16_t i)
{
	return !m->enabled || m->fmask || (m->ent[i][ENT_CTRL] & CTRL_MASKED);
}

/* lock held: does the router hold this vector's current message? */
static bool route_current(const struct msix *m, uint16_t i)
{
	const struct msix_route *r = &m->route[i];

	return r->valid && r->addr == ent_addr(m, i) &&
	       r->data == m->ent[i][ENT_DATA];
}

static bool bit_test(const uint64_t *b, uint16_t i)
{
	return b[i / 64] >> (i % 64) & 1;
}

static void bit_set(uint64_t *b, uint16_t i)
{
	b[i / 64] |= 1ull << (i % 64);
}

static void bit_clear(uint64_t *b, uint16_t i)
{
	b[i / 64] &= ~(1ull << (i % 64));
}

/* Write the vector's eventfd; no lock held. */
static int signal_vector(struct msix *m, uint16_t i)
{
	static const uint64_t one = 1;
	int err;

	if (write(m->efds[i], &one, sizeof(one)) == sizeof(one))
		return 0;
	/* EAGAIN: the counter is saturated, the interrupt is pending. */
	if (errno == EAGAIN)
		return 0;
	err = errno ? -errno : -EIO;
	pthread_mutex_lock(&m->lock);
	log_ratelimited(&m->rl, LOG_WARN, "vector %u: eventfd %d write: %s", i,
			m->efds[i], strerror(-err));
	pthread_mutex_unlock(&m->lock);
	return err;
}

static void signal_all(struct msix *m, const struct msix_sig *s)
{
	for (uint32_t w = 0; w < SIG_WORDS; w++) {
		uint64_t bits = s->bits[w];

		while (bits) {
			uint16_t i = (uint16_t)(w * 64 + __builtin_ctzll(bits));

			bits &= bits - 1;
			signal_vector(m, i);
		}
	}
}

/*
 * Vector i may have become deliverable: install its route if the router
 * does not hold it yet, then hand a pending message to `s`.  cfg_lock
 * held (it keeps ent[i] stable while lock is dropped for the router).
 */
static void sync_vector(struct msix *m, uint16_t i, struct msix_sig *s)
{
	const struct msi_router *rt = m->router;
	uint64_t addr;
	uint32_t data;
	int ret;

	pthread_mutex_lock(&m->lock);
	if (vec_masked(m, i))
		goto out;
	if (!route_current(m, i)) {
		addr = ent_addr(m, i);
		data = m->ent[i][ENT_DATA];
		if (!msix_addr_valid(addr)) {
			/* Stays pending until the guest fixes the entry. */
			log_ratelimited(&m->rl, LOG_WARN,
					"vector %u: %#llx is no MSI address", i,
					(unsigned long long)addr);
			goto out;
		}
		pthread_mutex_unlock(&m->lock);
		ret = rt->set(rt->opaque, m->gsi_base + i, addr, data);
		pthread_mutex_lock(&m->lock);
		m->route[i] = (struct msix_route){ addr, data, ret == 0 };
		if (ret) {
			log_ratelimited(&m->rl, LOG_WARN,
					"vector %u: route for gsi %u: %s", i,
					m->gsi_base + i, strerror(-ret));
			goto out;
		}
	}
	if (bit_test(m->pba, i)) {
		bit_clear(m->pba, i);
		bit_set(s->bits, i);
	}
out:
	pthread_mutex_unlock(&m->lock);
}

/* 4 or 8 bytes, naturally aligned, inside a region of `size` bytes. */
static bool access_ok(uint64_t off, uint32_t len, uint32_t size)
{
	return (len == 4 || len == 8) && off % len == 0 && off < size &&
	       len <= size - off;
}

static void bad_access(struct msix *m, const char *what, uint64_t off,
		       uint32_t len)
{
	pthread_mutex_lock(&m->lock);
	log_ratelimited(&m->rl, LOG_WARN, "bad %s access: %u bytes at %#llx",
			what, len, (unsigned long long)off);
	pthread_mutex_unlock(&m->lock);
}

int msix_table_read(struct msix *m, uint64_t off, void *data, uint32_t len)
{
	uint32_t v[2];
	uint16_t i;
	uint32_t dw;

	if (!access_ok(off, len, msix_table_size(m->nr))) {
		memset(data, 0xff, len);
		bad_access(m, "table read", off, len);
		return -EINVAL;
	}
	i = (uint16_t)(off / MSIX_ENTRY_SIZE);
	dw = (uint32_t)(off % MSIX_ENTRY_SIZE) / 4;
	pthread_mutex_lock(&m->lock);
	for (uint32_t k = 0; k < len / 4; k++)
		v[k] = m->ent[i][dw + k];
	pthread_mutex_unlock(&m->lock);
	memcpy(data, v, len);
	return 0;
}

/* lock held */
static void ent_write(struct msix *m, uint16_t i, uint32_t dw, uint32_t v)
{
	switch (dw) {
	case ENT_ADDR_LO:
		v &= ~ADDR_LO_RSVD;
		break;
	case ENT_CTRL:
		v &= CTRL_MASKED;
		break;
	}
	m->ent[i][dw] = v;
}

int msix_table_write(struct msix *m, uint64_t off, const void *data,
		     uint32_t len)
{
	struct msix_sig s = { { 0 } };
	uint32_t v[2];
	uint16_t i;
	uint32_t dw;

	if (!access_ok(off, len, msix_table_size(m->nr))) {
		bad_access(m, "table write", off, len);
		return -EINVAL;
	}
	memcpy(v, data, len);
	i = (uint16_t)(off / MSIX_ENTRY_SIZE);
	dw = (uint32_t)(off % MSIX_ENTRY_SIZE) / 4;
	pthread_mutex_lock(&m->cfg_lock);
	pthread_mutex_lock(&m->lock);
	/* An 8-byte write updates both dwords before the route is synced. */
	for (uint32_t k = 0; k < len / 4; k++)
		ent_write(m, i, dw + k, v[k]);
	pthread_mutex_unlock(&m->lock);
	sync_vector(m, i, &s);
	pthread_mutex_unlock(&m->cfg_lock);
	signal_all(m, &s);
	return 0;
}

int msix_pba_read(struct msix *m, uint64_t off, void *data, uint32_t len)
{
	uint64_t q;
	uint32_t d;

	if (!access_ok(off, len, msix_pba_size(m->nr))) {
		memset(data, 0xff, len);
		bad_access(m, "PBA read", off, len);
		return -EINVAL;
	}
	pthread_mutex_lock(&m->lock);
	q = m->pba[off / 8];
	pthread_mutex_unlock(&m->lock);
	if (len == 8) {
		memcpy(data, &q, sizeof(q));
	} else {
		d = (uint32_t)(q >> (off % 8 * 8));
		memcpy(data, &d, sizeof(d));
	}
	return 0;
}

int msix_pba_write(struct msix *m, uint64_t off, const void *data, uint32_t len)
{
	/* The PBA is read-only; a write has no effect. */
	if (!access_ok(off, len, msix_pba_size(m->nr))) {
		bad_access(m, "PBA write", off, len);
		return -EINVAL;
	}
	return 0;
}

void msix_cfg_write(struct msix *m, uint32_t off, uint32_t len, uint32_t val)
{
	uint32_t mc_off = m->cap + CAP_MC;
	struct msix_sig s = { { 0 } };
	bool en, fm, changed;
	uint32_t mc;

	if ((uint64_t)off + len <= mc_off || off >= mc_off + 2)
		return;
	/* The generic code already applied wmask: read the result back. */
	mc = pci_cfg_get(m->dev, mc_off, 2);
	en = mc & MC_ENABLE;
	fm = mc & MC_FMASK;
	pthread_mutex_lock(&m->cfg_lock);
	pthread_mutex_lock(&m->lock);
	changed = en != m->enabled || fm != m->fmask;
	m->enabled = en;
	m->fmask = fm;
	pthread_mutex_unlock(&m->lock);
	if (changed)
		for (uint16_t i = 0; i < m->nr; i++)
			sync_vector(m, i, &s);
	pthread_mutex_unlock(&m->cfg_lock);
	signal_all(m, &s);
}

int msix_notify(struct msix *m, uint16_t v)
{
	bool deliver;

	if (v >= m->nr)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	deliver = !vec_masked(m, v) && route_current(m, v);
	if (!deliver)
		bit_set(m->pba, v);
	pthread_mutex_unlock(&m->lock);
	return deliver ? signal_vector(m, v) : 0;
}

int msix_enabled(struct msix *m)
{
	int en;

	pthread_mutex_lock(&m->lock);
	en = m->enabled;
	pthread_mutex_unlock(&m->lock);
	return en;
}

void msix_reset(struct msix *m)
{
	const struct msi_router *rt = m->router;
	struct msix_sig clr = { { 0 } };
	uint32_t mc_off = m->cap + CAP_MC;
	int ret;

	pthread_mutex_lock(&m->cfg_lock);
	pthread_mutex_lock(&m->lock);
	m->enabled = false;
	m->fmask = false;
	for (uint16_t i = 0; i < m->nr; i++) {
		memset(m->ent[i], 0, sizeof(m->ent[i]));
		m->ent[i][ENT_CTRL] = CTRL_MASKED;
		if (m->route[i].valid)
			bit_set(clr.bits, i);
		m->route[i].valid = false;
	}
	memset(m->pba, 0, msix_pba_size(m->nr));
	pthread_mutex_unlock(&m->lock);
	pci_cfg_set(m->dev, mc_off, 2,
		    pci_cfg_get(m->dev, mc_off, 2) & ~(MC_ENABLE | MC_FMASK));
	for (uint16_t i = 0; i < m->nr; i++) {
		if (!bit_test(clr.bits, i))
			continue;
		ret = rt->clear(rt->opaque, m->gsi_base + i);
		if (!ret)
			continue;
		/* A guest can trigger resets (reboot): rate-limited. */
		pthread_mutex_lock(&m->lock);
		log_ratelimited(&m->rl, LOG_WARN, "clear route for gsi %u: %s",
				m->gsi_base + i, strerror(-ret));
		pthread_mutex_unlock(&m->lock);
	}
	pthread_mutex_unlock(&m->cfg_lock);
}

/* Does [off, off + size) fit BAR `bar` as far as the device declared it? */
static bool bar_ok(const struct pci_dev *d, unsigned int bar, uint32_t off,
		   uint32_t size)
{
	const struct pci_bar *b;

	if (bar >= PCI_NUM_BARS || off % 8)
		return false;
	b = &d->bar[bar];
	if ((uint64_t)off + size > UINT32_MAX)
		return false;
	if (b->type == PCI_BAR_NONE)
		/* Declared later, but not the upper half of a 64-bit BAR. */
		return bar == 0 || d->bar[bar - 1].type != PCI_BAR_MEM64;
	if (b->type == PCI_BAR_IO)
		return false;
	return (uint64_t)off + size <= b->size;
}

static int check_cfg(const struct pci_dev *d, const struct msix_cfg *c)
{
	uint32_t tsz, psz;

	if (c->nr_vectors < 1 || c->nr_vectors > MSIX_MAX_VECTORS)
		return -EINVAL;
	if (!c->router || !c->router->set || !c->router->clear || !c->efds)
		return -EINVAL;
	if ((uint64_t)c->gsi_base + c->nr_vectors - 1 > UINT32_MAX)
		return -EINVAL;
	for (uint16_t i = 0; i < c->nr_vectors; i++)
		if (c->efds[i] < 0)
			return -EINVAL;
	tsz = msix_table_size(c->nr_vectors);
	psz = msix_pba_size(c->nr_vectors);
	if (c->table_bar >= PCI_NUM_BARS || c->pba_bar >= PCI_NUM_BARS ||
	    !bar_ok(d, c->table_bar, c->table_off, tsz) ||
	    !bar_ok(d, c->pba_bar, c->pba_off, psz))
		return -EINVAL;
	if (c->table_bar == c->pba_bar && c->table_off < c->pba_off + psz &&
	    c->pba_off < c->table_off + tsz)
		return -EINVAL;
	return 0;
}

int msix_create(struct pci_dev *d, const struct msix_cfg *cfg,
		struct msix **out)
{
	struct msix *m;
	uint8_t cap;
	int err;

	if (!d || !cfg || !out)
		return -EINVAL;
	err = check_cfg(d, cfg);
	if (err)
		return err;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->nr = cfg->nr_vectors;
	m->ent = calloc(m->nr, sizeof(*m->ent));
	m->route = calloc(m->nr, sizeof(*m->route));
	m->pba = calloc(msix_pba_size(m->nr) / 8, sizeof(*m->pba));
	m->efds = calloc(m->nr, sizeof(*m->efds));
	if (!m->ent || !m->route || !m->pba || !m->efds) {
		err = -ENOMEM;
		goto err_free;
	}
	err = -pthread_mutex_init(&m->lock, NULL);
	if (err)
		goto err_free;
	err = -pthread_mutex_init(&m->cfg_lock, NULL);
	if (err)
		goto err_lock;
	/* Last: a capability cannot be taken back. */
	err = pci_dev_add_cap(d, MSIX_CAP_ID, MSIX_CAP_LEN, &cap);
	if (err)
		goto err_cfg_lock;

	m->dev = d;
	m->cap = cap;
	m->router = cfg->router;
	m->gsi_base = cfg->gsi_base;
	memcpy(m->efds, cfg->efds, m->nr * sizeof(*m->efds));
	for (uint16_t i = 0; i < m->nr; i++)
		m->ent[i][ENT_CTRL] = CTRL_MASKED;
	pci_cfg_set(d, cap + CAP_MC, 2, (m->nr - 1u) & MC_TSIZE);
	pci_cfg_set(d, cap + CAP_TABLE, 4, cfg->table_off | cfg->table_bar);
	pci_cfg_set(d, cap + CAP_PBA, 4, cfg->pba_off | cfg->pba_bar);
	memset(&d->wmask[cap + CAP_MC], 0, MSIX_CAP_LEN - CAP_MC);
	memset(&d->w1cmask[cap + CAP_MC], 0, MSIX_CAP_LEN - CAP_MC);
	/* Only Enable and Function Mask (the top bits of the high byte). */
	d->wmask[cap + CAP_MC + 1] = (MC_ENABLE | MC_FMASK) >> 8;
	*out = m;
	return 0;

err_cfg_lock:
	pthread_mutex_destroy(&m->cfg_lock);
err_lock:
	pthread_mutex_destroy(&m->lock);
err_free:
	free(m->efds);
	free(m->pba);
	free(m->route);
	free(m->ent);
	free(m);
	return err;
}

void msix_destroy(struct msix *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->cfg_lock);
	pthread_mutex_destroy(&m->lock);
	free(m->efds);
	free(m->pba);
	free(m->route);
	free(m->ent);
	free(m);
}
