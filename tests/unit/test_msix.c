// SPDX-License-Identifier: Apache-2.0
/*
 * test_msix.c - MSI-X capability, table and PBA with real eventfds and a
 * recording msi_router, on a device of the real PCI bus: guest config
 * writes go through pci_cfg_rw (wmask, then the device's cfg_write hook),
 * and the table/PBA BAR is reachable on the MMIO bus as a device would
 * expose it.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/irq.h"
#include "devices/pci/msix.h"
#include "devices/pci/pci.h"

#define NV 8
#define GSI_BASE 40
#define TBAR 2
#define TOFF 0x0
#define POFF 0x1000
#define MAX_CALLS 64
#define MSI_ADDR 0xfee01000ull
#define CAP_LIST_PTR 0x34
#define REG_COMMAND 0x04
#define CMD_MEM 0x2
#define MMIO32_BASE 0xc0000000ull
#define BAR_SIZE 0x2000

struct route_call {
	int set; /* 1 set, 0 clear */
	uint32_t gsi;
	uint64_t addr;
	uint32_t data;
};

struct fx {
	struct bus mmio;
	struct pci_bus *pbus;
	struct pci_dev dev;
	uint8_t devfn;
	struct msix *m;
	struct msix_cfg cfg;
	struct msi_router router;
	pthread_mutex_t rlock;
	pthread_cond_t rcond;
	struct route_call calls[MAX_CALLS];
	unsigned int ncalls;
	int fail_set; /* router->set returns this */
	int gate; /* router->set waits until released */
	int in_set; /* a set() call is blocked on the gate */
	pthread_t thr; /* a test's second thread, joined by teardown */
	int thr_live;
	int efd[NV];
};

static int rec_set(void *opaque, uint32_t gsi, uint64_t addr, uint32_t data)
{
	struct fx *fx = opaque;
	int ret;

	pthread_mutex_lock(&fx->rlock);
	if (fx->gate) {
		fx->in_set = 1;
		pthread_cond_broadcast(&fx->rcond);
		while (fx->gate)
			pthread_cond_wait(&fx->rcond, &fx->rlock);
		fx->in_set = 0;
	}
	ret = fx->fail_set;
	if (fx->ncalls < MAX_CALLS)
		fx->calls[fx->ncalls++] =
			(struct route_call){ 1, gsi, addr, data };
	pthread_mutex_unlock(&fx->rlock);
	return ret;
}

static int rec_clear(void *opaque, uint32_t gsi)
{
	struct fx *fx = opaque;

	pthread_mutex_lock(&fx->rlock);
	if (fx->ncalls < MAX_CALLS)
		fx->calls[fx->ncalls++] = (struct route_call){ 0, gsi, 0, 0 };
	pthread_mutex_unlock(&fx->rlock);
	return 0;
}

static unsigned int ncalls(struct fx *fx)
{
	unsigned int n;

	pthread_mutex_lock(&fx->rlock);
	n = fx->ncalls;
	pthread_mutex_unlock(&fx->rlock);
	return n;
}

static void assert_call(struct fx *fx, unsigned int idx, int set, uint32_t gsi,
			uint64_t addr, uint32_t data)
{
	assert_true(idx < ncalls(fx));
	assert_int_equal(fx->calls[idx].set, set);
	assert_int_equal(fx->calls[idx].gsi, gsi);
	assert_int_equal(fx->calls[idx].addr, addr);
	assert_int_equal(fx->calls[idx].data, data);
}

/* Eventfd counter, reset to 0 by the read. */
static uint64_t efd_count(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

static void fx_base_cfg(struct fx *fx, uint16_t nr)
{
	fx->cfg = (struct msix_cfg){
		.nr_vectors = nr,
		.table_bar = TBAR,
		.table_off = TOFF,
		.pba_bar = TBAR,
		.pba_off = POFF,
		.router = &fx->router,
		.gsi_base = GSI_BASE,
		.efds = fx->efd,
	};
}

static int in_range(uint64_t off, uint64_t start, uint64_t size)
{
	return off >= start && off - start < size;
}

/* The BAR as a device exposes it: table, PBA, nothing else. */
static int bar_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct fx *fx = opaque;

	if (in_range(off, TOFF, msix_table_size(NV)))
		return msix_table_read(fx->m, off - TOFF, data, len);
	if (in_range(off, POFF, msix_pba_size(NV)))
		return msix_pba_read(fx->m, off - POFF, data, len);
	return 0;
}

static int bar_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	struct fx *fx = opaque;

	if (in_range(off, TOFF, msix_table_size(NV)))
		return msix_table_write(fx->m, off - TOFF, data, len);
	if (in_range(off, POFF, msix_pba_size(NV)))
		return msix_pba_write(fx->m, off - POFF, data, len);
	return 0;
}

static const struct io_ops bar_ops = {
	.read = bar_read,
	.write = bar_write,
};

static void dev_cfg_write(struct pci_dev *d, uint32_t off, uint32_t len,
			  uint32_t val)
{
	struct fx *fx = d->opaque;

	msix_cfg_write(fx->m, off, len, val);
}

static const struct pci_dev_ops dev_ops = {
	.cfg_write = dev_cfg_write,
};

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct pci_bus_cfg bc = { 0 };

	if (!fx)
		return -1;
	pthread_mutex_init(&fx->rlock, NULL);
	pthread_cond_init(&fx->rcond, NULL);
	fx->router = (struct msi_router){ rec_set, rec_clear, fx };
	for (int i = 0; i < NV; i++) {
		fx->efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (fx->efd[i] < 0)
			return -1;
	}
	if (bus_init(&fx->mmio, "mmio"))
		return -1;
	bc.mmio = &fx->mmio;
	bc.mmio32_base = MMIO32_BASE;
	bc.mmio32_size = 0x1000000;
	if (pci_bus_create(&bc, &fx->pbus))
		return -1;
	pci_dev_init(&fx->dev, "msix-test", 0x1af4, 0x1041, 0x020000, 1, 0x1af4,
		     1, &dev_ops, fx);
	if (pci_dev_set_bar(&fx->dev, TBAR, PCI_BAR_MEM32, 0, BAR_SIZE,
			    &bar_ops, fx))
		return -1;
	fx_base_cfg(fx, NV);
	if (msix_create(&fx->dev, &fx->cfg, &fx->m))
		return -1;
	if (pci_bus_add_dev(fx->pbus, &fx->dev, -1, &fx->devfn))
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	/* A failed assertion may leave the writer blocked on the gate. */
	if (fx->thr_live) {
		pthread_mutex_lock(&fx->rlock);
		fx->gate = 0;
		pthread_cond_broadcast(&fx->rcond);
		pthread_mutex_unlock(&fx->rlock);
		pthread_join(fx->thr, NULL);
	}
	pci_bus_destroy(fx->pbus);
	bus_destroy(&fx->mmio);
	msix_destroy(fx->m);
	pthread_mutex_destroy(&fx->dev.lock);
	for (int i = 0; i < NV; i++)
		close(fx->efd[i]);
	pthread_cond_destroy(&fx->rcond);
	pthread_mutex_destroy(&fx->rlock);
	free(fx);
	return 0;
}

static uint8_t find_cap(const struct pci_dev *d, uint8_t id)
{
	uint8_t p = d->cfg[CAP_LIST_PTR];

	for (int n = 0; p && n < 48; n++, p = d->cfg[p + 1])
		if (d->cfg[p] == id)
			return p;
	return 0;
}

/* A guest config write through the PCI bus. */
static void guest_cfg_write(struct fx *fx, uint32_t off, uint32_t len,
			    uint32_t val)
{
	assert_int_equal(pci_cfg_rw(fx->pbus, fx->devfn, off, &val, len, 1), 0);
}

static uint16_t mc_get(struct fx *fx)
{
	return (uint16_t)pci_cfg_get(&fx->dev, find_cap(&fx->dev, 0x11) + 2, 2);
}

static void mc_write(struct fx *fx, uint16_t v)
{
	guest_cfg_write(fx, find_cap(&fx->dev, 0x11) + 2, 2, v);
}

#define MC_EN 0x8000
#define MC_FM 0x4000

static void tw32(struct fx *fx, uint16_t v, uint32_t dw, uint32_t val)
{
	assert_int_equal(msix_table_write(fx->m, v * 16u + dw * 4, &val, 4), 0);
}

static uint32_t tr32(struct fx *fx, uint16_t v, uint32_t dw)
{
	uint32_t val;

	assert_int_equal(msix_table_read(fx->m, v * 16u + dw * 4, &val, 4), 0);
	return val;
}

static uint64_t pba64(struct fx *fx)
{
	uint64_t q;

	assert_int_equal(msix_pba_read(fx->m, 0, &q, 8), 0);
	return q;
}

/* Program vector v's message and optionally unmask it. */
static void program(struct fx *fx, uint16_t v, uint64_t addr, uint32_t data,
		    int unmask)
{
	tw32(fx, v, 0, (uint32_t)addr);
	tw32(fx, v, 1, (uint32_t)(addr >> 32));
	tw32(fx, v, 2, data);
	if (unmask)
		tw32(fx, v, 3, 0);
}

static void test_cap_bytes(void **state)
{
	struct fx *fx = *state;
	uint8_t c = find_cap(&fx->dev, 0x11);

	assert_int_not_equal(c, 0);
	assert_int_equal(pci_cfg_get(&fx->dev, c + 2, 2), NV - 1);
	assert_int_equal(pci_cfg_get(&fx->dev, c + 4, 4), TOFF | TBAR);
	assert_int_equal(pci_cfg_get(&fx->dev, c + 8, 4), POFF | TBAR);
	/* Only Enable and Function Mask are writable. */
	assert_int_equal(fx->dev.wmask[c + 2], 0);
	assert_int_equal(fx->dev.wmask[c + 3], 0xc0);
	for (int i = 4; i < 12; i++)
		assert_int_equal(fx->dev.wmask[c + i], 0);
	/* A guest writing all-ones only flips those two bits. */
	mc_write(fx, 0xffff);
	assert_int_equal(mc_get(fx), MC_EN | MC_FM | (NV - 1));
	guest_cfg_write(fx, c + 4, 4, 0xffffffff);
	guest_cfg_write(fx, c + 8, 4, 0xffffffff);
	assert_int_equal(pci_cfg_get(&fx->dev, c + 4, 4), TOFF | TBAR);
	assert_int_equal(pci_cfg_get(&fx->dev, c + 8, 4), POFF | TBAR);
	assert_int_equal(msix_enabled(fx->m), 1);
	mc_write(fx, 0);
	assert_int_equal(msix_enabled(fx->m), 0);
}

static void test_table_size_encoding(void **state)
{
	struct fx *fx = *state;
	static const uint16_t nrs[] = { 1, 2, 64, 65, MSIX_MAX_VECTORS };
	int *efds = calloc(MSIX_MAX_VECTORS, sizeof(*efds));

	assert_int_equal(msix_table_size(1), 16);
	assert_int_equal(msix_table_size(2048), 32768);
	assert_int_equal(msix_pba_size(1), 8);
	assert_int_equal(msix_pba_size(64), 8);
	assert_int_equal(msix_pba_size(65), 16);
	assert_int_equal(msix_pba_size(2048), 256);
	assert_non_null(efds);
	for (int i = 0; i < MSIX_MAX_VECTORS; i++)
		efds[i] = fx->efd[0];
	for (size_t k = 0; k < sizeof(nrs) / sizeof(nrs[0]); k++) {
		struct pci_dev d;
		struct msix *m;
		struct msix_cfg cfg = fx->cfg;
		uint8_t c;
		uint32_t v = 0;

		pci_dev_init(&d, "t", 1, 2, 0, 0, 0, 0, NULL, NULL);
		cfg.nr_vectors = nrs[k];
		cfg.efds = efds;
		cfg.table_bar = 0;
		cfg.pba_bar = 4;
		cfg.pba_off = 0x800;
		assert_int_equal(msix_create(&d, &cfg, &m), 0);
		c = find_cap(&d, 0x11);
		assert_int_equal(pci_cfg_get(&d, c + 2, 2), nrs[k] - 1u);
		assert_int_equal(pci_cfg_get(&d, c + 4, 4), 0);
		assert_int_equal(pci_cfg_get(&d, c + 8, 4), 0x804);
		/* Last entry readable, one past it not. */
		assert_int_equal(
			msix_table_read(m, (nrs[k] - 1u) * 16 + 12, &v, 4), 0);
		assert_int_equal(v, 1);
		assert_int_equal(msix_table_read(m, nrs[k] * 16u, &v, 4),
				 -EINVAL);
		/* The last vector's pending bit, read as a dword. */
		assert_int_equal(msix_notify(m, nrs[k] - 1u), 0);
		assert_int_equal(
			msix_pba_read(m, (nrs[k] - 1u) / 32 * 4, &v, 4), 0);
		assert_int_equal(v, 1u << ((nrs[k] - 1u) % 32));
		assert_int_equal(msix_pba_read(m, msix_pba_size(nrs[k]), &v, 4),
				 -EINVAL);
		msix_destroy(m);
		pthread_mutex_destroy(&d.lock);
	}
	free(efds);
}

static void test_masked_at_reset(void **state)
{
	struct fx *fx = *state;
	uint32_t d;

	for (uint16_t v = 0; v < NV; v++) {
		assert_int_equal(tr32(fx, v, 0), 0);
		assert_int_equal(tr32(fx, v, 1), 0);
		assert_int_equal(tr32(fx, v, 2), 0);
		assert_int_equal(tr32(fx, v, 3), 1);
	}
	assert_int_equal(pba64(fx), 0);
	assert_int_equal(msix_pba_read(fx->m, 4, &d, 4), 0);
	assert_int_equal(d, 0);
	assert_int_equal(msix_enabled(fx->m), 0);
	assert_int_equal(ncalls(fx), 0);
}

static void test_unmask_installs_route(void **state)
{
	struct fx *fx = *state;
	uint64_t sat;

	mc_write(fx, MC_EN);
	program(fx, 3, MSI_ADDR, 0x4041, 0);
	assert_int_equal(ncalls(fx), 0); /* still masked */
	tw32(fx, 3, 3, 0);
	assert_int_equal(ncalls(fx), 1);
	assert_call(fx, 0, 1, GSI_BASE + 3, MSI_ADDR, 0x4041);
	assert_int_equal(tr32(fx, 3, 3), 0);
	assert_int_equal(msix_notify(fx->m, 3), 0);
	assert_int_equal(efd_count(fx->efd[3]), 1);
	assert_int_equal(pba64(fx), 0);
	for (int i = 0; i < NV; i++)
		assert_int_equal(efd_count(fx->efd[i]), 0);
	/* A saturated counter (EAGAIN) is still a delivered interrupt. */
	sat = 0xfffffffffffffffeull;
	assert_int_equal(write(fx->efd[3], &sat, sizeof(sat)), sizeof(sat));
	assert_int_equal(msix_notify(fx->m, 3), 0);
	assert_int_equal(efd_count(fx->efd[3]), sat);
}

static void test_notify_masked_pends(void **state)
{
	struct fx *fx = *state;

	mc_write(fx, MC_EN);
	program(fx, 1, MSI_ADDR, 0x31, 1);
	assert_int_equal(ncalls(fx), 1);
	tw32(fx, 1, 3, 1);
	assert_int_equal(msix_notify(fx->m, 1), 0);
	assert_int_equal(msix_notify(fx->m, 1), 0);
	assert_int_equal(efd_count(fx->efd[1]), 0);
	assert_int_equal(pba64(fx), 1u << 1);
	/* Unmasking delivers once and clears the bit; the route was kept. */
	tw32(fx, 1, 3, 0);
	assert_int_equal(efd_count(fx->efd[1]), 1);
	assert_int_equal(pba64(fx), 0);
	assert_int_equal(ncalls(fx), 1);
	/* Masked vectors that were never notified are not delivered. */
	tw32(fx, 1, 3, 1);
	tw32(fx, 1, 3, 0);
	assert_int_equal(efd_count(fx->efd[1]), 0);
}

static void test_function_mask(void **state)
{
	struct fx *fx = *state;

	mc_write(fx, MC_EN | MC_FM);
	program(fx, 0, MSI_ADDR, 0x20, 1);
	program(fx, 5, MSI_ADDR, 0x25, 1);
	program(fx, 6, MSI_ADDR, 0x26, 0);
	assert_int_equal(ncalls(fx), 0);
	msix_notify(fx->m, 0);
	msix_notify(fx->m, 6);
	assert_int_equal(pba64(fx), 1u | 1u << 6);
	assert_int_equal(efd_count(fx->efd[0]), 0);
	/* The function mask leaves the per-vector bits alone. */
	assert_int_equal(tr32(fx, 0, 3), 0);
	mc_write(fx, MC_EN);
	assert_int_equal(efd_count(fx->efd[0]), 1);
	assert_int_equal(efd_count(fx->efd[5]), 0);
	assert_int_equal(efd_count(fx->efd[6]), 0);
	assert_int_equal(pba64(fx), 1u << 6); /* vector 6 still masked */
	assert_int_equal(ncalls(fx), 2);
	assert_call(fx, 0, 1, GSI_BASE + 0, MSI_ADDR, 0x20);
	assert_call(fx, 1, 1, GSI_BASE + 5, MSI_ADDR, 0x25);
	mc_write(fx, MC_EN | MC_FM);
	msix_notify(fx->m, 5);
	assert_int_equal(efd_count(fx->efd[5]), 0);
	assert_int_equal(pba64(fx), 1u << 6 | 1u << 5);
	/* A byte write to the high byte of Message Control also counts. */
	guest_cfg_write(fx, find_cap(&fx->dev, 0x11) + 3, 1, MC_EN >> 8);
	assert_int_equal(efd_count(fx->efd[5]), 1);
	assert_int_equal(ncalls(fx), 2);
}

static void test_enable_bit(void **state)
{
	struct fx *fx = *state;

	program(fx, 2, MSI_ADDR, 0x22, 1);
	assert_int_equal(ncalls(fx), 0);
	msix_notify(fx->m, 2);
	assert_int_equal(efd_count(fx->efd[2]), 0);
	assert_int_equal(pba64(fx), 1u << 2);
	mc_write(fx, MC_EN);
	assert_int_equal(msix_enabled(fx->m), 1);
	assert_int_equal(ncalls(fx), 1);
	assert_call(fx, 0, 1, GSI_BASE + 2, MSI_ADDR, 0x22);
	assert_int_equal(efd_count(fx->efd[2]), 1);
	assert_int_equal(pba64(fx), 0);
	mc_write(fx, 0);
	assert_int_equal(msix_enabled(fx->m), 0);
	msix_notify(fx->m, 2);
	assert_int_equal(efd_count(fx->efd[2]), 0);
	assert_int_equal(pba64(fx), 1u << 2);
	/* A config write elsewhere does not re-evaluate anything. */
	guest_cfg_write(fx, 0x04, 2, 0x0006);
	assert_int_equal(pba64(fx), 1u << 2);
}

static void test_8byte_access(void **state)
{
	struct fx *fx = *state;
	uint64_t q = 0x00000100fee03000ull, r;
	uint32_t d;

	mc_write(fx, MC_EN);
	assert_int_equal(msix_table_write(fx->m, 4 * 16, &q, 8), 0);
	assert_int_equal(ncalls(fx), 0);
	/* Data and vector control in one write: one route, exact values. */
	q = 0x0000000000000044ull;
	assert_int_equal(msix_table_write(fx->m, 4 * 16 + 8, &q, 8), 0);
	assert_int_equal(ncalls(fx), 1);
	assert_call(fx, 0, 1, GSI_BASE + 4, 0x00000100fee03000ull, 0x44);
	assert_int_equal(msix_table_read(fx->m, 4 * 16, &r, 8), 0);
	assert_int_equal(r, 0x00000100fee03000ull);
	assert_int_equal(msix_table_read(fx->m, 4 * 16 + 8, &r, 8), 0);
	assert_int_equal(r, 0x44);
	/* Mask via a qword write: ctrl reserved bits dropped. */
	q = 0xffffffff00000044ull;
	assert_int_equal(msix_table_write(fx->m, 4 * 16 + 8, &q, 8), 0);
	assert_int_equal(msix_table_read(fx->m, 4 * 16 + 8, &r, 8), 0);
	assert_int_equal(r, 0x0000000100000044ull);
	msix_notify(fx->m, 4);
	assert_int_equal(pba64(fx), 1u << 4);
	assert_int_equal(msix_pba_read(fx->m, 0, &d, 4), 0);
	assert_int_equal(d, 1u << 4);
}

static void test_reserved_bits(void **state)
{
	struct fx *fx = *state;

	tw32(fx, 0, 3, 0xffffffff);
	assert_int_equal(tr32(fx, 0, 3), 1);
	tw32(fx, 0, 3, 0xfffffffe);
	assert_int_equal(tr32(fx, 0, 3), 0);
	tw32(fx, 0, 0, 0xfee00003);
	assert_int_equal(tr32(fx, 0, 0), 0xfee00000);
	tw32(fx, 0, 2, 0xdeadbeef);
	assert_int_equal(tr32(fx, 0, 2), 0xdeadbeef);
}

static void test_bad_accesses(void **state)
{
	struct fx *fx = *state;
	uint64_t q, zero = 0;
	uint32_t d = 0x12345678;
	uint16_t w;
	uint8_t big[16];

	/* Wrong sizes, misaligned, out of range: all-ones, -EINVAL. */
	assert_int_equal(msix_table_read(fx->m, 0, &w, 2), -EINVAL);
	assert_int_equal(w, 0xffff);
	assert_int_equal(msix_table_read(fx->m, 2, &d, 4), -EINVAL);
	assert_int_equal(d, 0xffffffff);
	assert_int_equal(msix_table_read(fx->m, 4, &q, 8), -EINVAL);
	assert_int_equal(q, ~0ull);
	assert_int_equal(msix_table_read(fx->m, NV * 16, &d, 4), -EINVAL);
	assert_int_equal(msix_table_read(fx->m, ~7ull, &q, 8), -EINVAL);
	assert_int_equal(msix_table_read(fx->m, 0, big, 16), -EINVAL);
	assert_int_equal(msix_table_read(fx->m, 0, big, 0), -EINVAL);
	/* Bad writes are dropped. */
	d = 0;
	assert_int_equal(msix_table_write(fx->m, 12, &w, 2), -EINVAL);
	assert_int_equal(msix_table_write(fx->m, 13, &d, 4), -EINVAL);
	assert_int_equal(msix_table_write(fx->m, 12, &zero, 8), -EINVAL);
	assert_int_equal(msix_table_write(fx->m, NV * 16 + 12, &d, 4), -EINVAL);
	assert_int_equal(msix_table_write(fx->m, ~3ull, &d, 4), -EINVAL);
	for (uint16_t v = 0; v < NV; v++)
		assert_int_equal(tr32(fx, v, 3), 1);
	/* The PBA is read-only and only one qword long here. */
	msix_notify(fx->m, 7);
	assert_int_equal(msix_pba_write(fx->m, 0, &zero, 8), 0);
	assert_int_equal(msix_pba_write(fx->m, 2, &zero, 4), -EINVAL);
	assert_int_equal(pba64(fx), 1u << 7);
	assert_int_equal(msix_pba_read(fx->m, 8, &q, 8), -EINVAL);
	assert_int_equal(q, ~0ull);
	assert_int_equal(msix_pba_read(fx->m, 1, &d, 4), -EINVAL);
	assert_int_equal(msix_pba_read(fx->m, 0, &w, 2), -EINVAL);
	/* Vectors out of range. */
	assert_int_equal(msix_notify(fx->m, NV), -EINVAL);
	assert_int_equal(msix_notify(fx->m, 0xffff), -EINVAL);
	assert_int_equal(pba64(fx), 1u << 7);
	assert_int_equal(ncalls(fx), 0);
}

static void expect_bad_cfg(struct fx *fx, const struct msix_cfg *cfg,
			   struct pci_dev *d)
{
	struct msix *m = NULL;
	uint8_t before = d->cfg[CAP_LIST_PTR];

	assert_int_equal(msix_create(d, cfg, &m), -EINVAL);
	assert_null(m);
	/* Nothing was added to the capability list. */
	assert_int_equal(d->cfg[CAP_LIST_PTR], before);
}

static void test_bad_cfg(void **state)
{
	struct fx *fx = *state;
	struct msi_router half = { rec_set, NULL, fx };
	int efds[NV];
	struct pci_dev d;
	struct msix_cfg c;

	pci_dev_init(&d, "t", 1, 2, 0, 0, 0, 0, NULL, NULL);
	assert_int_equal(pci_dev_set_bar(&d, 0, PCI_BAR_MEM64, 0, 0x1000,
					 &bar_ops, fx),
			 0);
	assert_int_equal(
		pci_dev_set_bar(&d, 3, PCI_BAR_IO, 0, 0x100, &bar_ops, fx), 0);
	memcpy(efds, fx->efd, sizeof(efds));
#define BAD(stmt)                           \
	do {                                \
		c = fx->cfg;                \
		c.table_bar = 0;            \
		c.pba_bar = 0;              \
		c.pba_off = 0x800;          \
		stmt;                       \
		expect_bad_cfg(fx, &c, &d); \
	} while (0)
	BAD(c.nr_vectors = 0);
	BAD(c.nr_vectors = MSIX_MAX_VECTORS + 1);
	BAD(c.nr_vectors = 0xffff);
	BAD(c.table_off = 4);
	BAD(c.pba_off = 0x801);
	BAD(c.table_bar = 6);
	BAD(c.pba_bar = 7);
	BAD(c.pba_off = 0x40); /* overlaps the table */
	BAD(c.table_off = 0x1000); /* past the 4 KiB BAR */
	BAD(c.table_off = 0xf88); /* table crosses the BAR end */
	BAD(c.table_bar = 3); /* I/O BAR */
	BAD(c.table_bar = 1); /* upper half of BAR 0 */
	BAD(c.table_bar = 4; c.table_off = 0xfffffff8);
	BAD(c.router = NULL);
	BAD(c.router = &half);
	BAD(c.efds = NULL);
	BAD(efds[NV - 1] = -1; c.efds = efds);
	BAD(c.gsi_base = 0xfffffffe);
#undef BAD
	c = fx->cfg;
	c.table_bar = 0;
	c.pba_bar = 0;
	c.pba_off = 0x800;
	c.efds = fx->efd;
	assert_int_equal(msix_create(NULL, &c, &fx->m), -EINVAL);
	assert_int_equal(msix_create(&d, NULL, &fx->m), -EINVAL);
	assert_int_equal(msix_create(&d, &c, NULL), -EINVAL);
	/* Boundary cases are fine: last GSI 0xffffffff, PBA ending at the
	 * end of the BAR. */
	c.gsi_base = 0xffffffff - (NV - 1);
	c.pba_off = 0xff8;
	{
		struct msix *m;

		assert_int_equal(msix_create(&d, &c, &m), 0);
		msix_destroy(m);
	}
	msix_destroy(NULL);
	pthread_mutex_destroy(&d.lock);
}

static void test_reset(void **state)
{
	struct fx *fx = *state;
	uint8_t c = find_cap(&fx->dev, 0x11);

	mc_write(fx, MC_EN);
	program(fx, 0, MSI_ADDR, 0x50, 1);
	program(fx, 3, MSI_ADDR, 0x53, 1);
	program(fx, 4, MSI_ADDR, 0x54, 0);
	msix_notify(fx->m, 4);
	mc_write(fx, MC_EN | MC_FM);
	assert_int_equal(ncalls(fx), 2);

	msix_reset(fx->m);
	assert_int_equal(msix_enabled(fx->m), 0);
	assert_int_equal(pci_cfg_get(&fx->dev, c + 2, 2), NV - 1);
	assert_int_equal(pba64(fx), 0);
	for (uint16_t v = 0; v < NV; v++) {
		assert_int_equal(tr32(fx, v, 0), 0);
		assert_int_equal(tr32(fx, v, 2), 0);
		assert_int_equal(tr32(fx, v, 3), 1);
	}
	/* The two installed routes were cleared, nothing else. */
	assert_int_equal(ncalls(fx), 4);
	assert_int_equal(fx->calls[2].set, 0);
	assert_int_equal(fx->calls[3].set, 0);
	assert_int_equal(fx->calls[2].gsi + fx->calls[3].gsi, 2 * GSI_BASE + 3);
	/* Nothing delivered after reset; a new unmask installs again. */
	msix_notify(fx->m, 0);
	assert_int_equal(efd_count(fx->efd[0]), 0);
	mc_write(fx, MC_EN);
	program(fx, 0, MSI_ADDR, 0x50, 1);
	assert_int_equal(ncalls(fx), 5);
	assert_call(fx, 4, 1, GSI_BASE, MSI_ADDR, 0x50);
	assert_int_equal(efd_count(fx->efd[0]), 1);
	/* Only vector 0's new route to clear, then nothing. */
	msix_reset(fx->m);
	msix_reset(fx->m);
	assert_int_equal(ncalls(fx), 6);
}

static void test_retarget_unmasked(void **state)
{
	struct fx *fx = *state;

	mc_write(fx, MC_EN);
	program(fx, 1, MSI_ADDR, 0x61, 1);
	tw32(fx, 1, 2, 0x62);
	assert_int_equal(ncalls(fx), 2);
	assert_call(fx, 1, 1, GSI_BASE + 1, MSI_ADDR, 0x62);
	msix_notify(fx->m, 1);
	assert_int_equal(efd_count(fx->efd[1]), 1);
	/* Same values again: no router call. */
	tw32(fx, 1, 2, 0x62);
	assert_int_equal(ncalls(fx), 2);
	/* Retargeted while masked: installed only at unmask. */
	tw32(fx, 1, 3, 1);
	tw32(fx, 1, 0, (uint32_t)MSI_ADDR + 0x2000);
	assert_int_equal(ncalls(fx), 2);
	msix_notify(fx->m, 1);
	tw32(fx, 1, 3, 0);
	assert_int_equal(ncalls(fx), 3);
	assert_call(fx, 2, 1, GSI_BASE + 1, MSI_ADDR + 0x2000, 0x62);
	assert_int_equal(efd_count(fx->efd[1]), 1);
	assert_int_equal(pba64(fx), 0);
#if defined(__x86_64__) || defined(__i386__)
	/* Not an x86 MSI address: not installed, the vector pends. */
	tw32(fx, 1, 0, 0x1000);
	assert_int_equal(ncalls(fx), 3);
	msix_notify(fx->m, 1);
	assert_int_equal(efd_count(fx->efd[1]), 0);
	assert_int_equal(pba64(fx), 1u << 1);
	tw32(fx, 1, 0, 0xfee00000);
	assert_int_equal(ncalls(fx), 4);
	assert_call(fx, 3, 1, GSI_BASE + 1, 0xfee00000, 0x62);
	assert_int_equal(efd_count(fx->efd[1]), 1);
	assert_int_equal(pba64(fx), 0);
#endif
}

static void test_route_fail(void **state)
{
	struct fx *fx = *state;

	mc_write(fx, MC_EN);
	fx->fail_set = -EIO;
	program(fx, 2, MSI_ADDR, 0x72, 1);
	assert_int_equal(ncalls(fx), 1);
	msix_notify(fx->m, 2);
	assert_int_equal(efd_count(fx->efd[2]), 0);
	assert_int_equal(pba64(fx), 1u << 2);
	fx->fail_set = 0;
	tw32(fx, 2, 3, 1);
	tw32(fx, 2, 3, 0);
	assert_int_equal(ncalls(fx), 2);
	assert_call(fx, 1, 1, GSI_BASE + 2, MSI_ADDR, 0x72);
	assert_int_equal(efd_count(fx->efd[2]), 1);
	assert_int_equal(pba64(fx), 0);
}

static void *unmask_thread(void *arg)
{
	struct fx *fx = arg;
	uint32_t z = 0;

	msix_table_write(fx->m, 3 * 16 + 12, &z, 4);
	return NULL;
}

/* A notify while the route is being installed must wait for it. */
static void test_notify_during_route_update(void **state)
{
	struct fx *fx = *state;

	mc_write(fx, MC_EN);
	program(fx, 3, MSI_ADDR, 0x83, 0);
	pthread_mutex_lock(&fx->rlock);
	fx->gate = 1;
	pthread_mutex_unlock(&fx->rlock);
	assert_int_equal(pthread_create(&fx->thr, NULL, unmask_thread, fx), 0);
	fx->thr_live = 1;
	pthread_mutex_lock(&fx->rlock);
	while (!fx->in_set)
		pthread_cond_wait(&fx->rcond, &fx->rlock);
	pthread_mutex_unlock(&fx->rlock);
	/* Unmasked already, but the hypervisor has no route yet. */
	assert_int_equal(tr32(fx, 3, 3), 0);
	assert_int_equal(msix_notify(fx->m, 3), 0);
	assert_int_equal(efd_count(fx->efd[3]), 0);
	assert_int_equal(pba64(fx), 1u << 3);
	pthread_mutex_lock(&fx->rlock);
	fx->gate = 0;
	pthread_cond_broadcast(&fx->rcond);
	pthread_mutex_unlock(&fx->rlock);
	pthread_join(fx->thr, NULL);
	fx->thr_live = 0;
	assert_call(fx, 0, 1, GSI_BASE + 3, MSI_ADDR, 0x83);
	assert_int_equal(efd_count(fx->efd[3]), 1);
	assert_int_equal(pba64(fx), 0);
}

#define NOTIFIES 20000
#define TOGGLES 2000

static void *notify_thread(void *arg)
{
	struct fx *fx = arg;

	for (int i = 0; i < NOTIFIES; i++)
		msix_notify(fx->m, (uint16_t)(i % 2));
	return NULL;
}

static void test_concurrent_notify(void **state)
{
	struct fx *fx = *state;
	uint64_t got;

	mc_write(fx, MC_EN);
	program(fx, 0, MSI_ADDR, 0x90, 1);
	program(fx, 1, MSI_ADDR, 0x91, 1);
	assert_int_equal(pthread_create(&fx->thr, NULL, notify_thread, fx), 0);
	fx->thr_live = 1;
	for (int i = 0; i < TOGGLES; i++) {
		tw32(fx, (uint16_t)(i % 2), 3, i & 2 ? 0 : 1);
		if (i % 7 == 0)
			mc_write(fx, i & 8 ? MC_EN : MC_EN | MC_FM);
		if (i % 97 == 0)
			tw32(fx, 1, 2, 0x91 + (uint32_t)(i & 1));
	}
	pthread_join(fx->thr, NULL);
	fx->thr_live = 0;
	/* Everything unmasked at the end: nothing may be left pending. */
	mc_write(fx, MC_EN);
	tw32(fx, 0, 3, 0);
	tw32(fx, 1, 3, 0);
	assert_int_equal(pba64(fx), 0);
	got = efd_count(fx->efd[0]);
	assert_true(got >= 1 && got <= NOTIFIES / 2);
	got = efd_count(fx->efd[1]);
	assert_true(got >= 1 && got <= NOTIFIES / 2);
	assert_int_equal(msix_notify(fx->m, 0), 0);
	assert_int_equal(efd_count(fx->efd[0]), 1);
}

/* The way a guest sees it: config cycles and MMIO on the device's BAR. */
static void test_via_mmio(void **state)
{
	struct fx *fx = *state;
	uint8_t c = find_cap(&fx->dev, 0x11);
	uint64_t base, q = MSI_ADDR;
	uint32_t d, bar;

	assert_int_equal(pci_cfg_rw(fx->pbus, fx->devfn, 0x10 + 4 * TBAR, &bar,
				    4, 0),
			 0);
	base = bar & ~0xfu;
	assert_true(base >= MMIO32_BASE);
	d = CMD_MEM;
	guest_cfg_write(fx, REG_COMMAND, 2, d);
	assert_int_equal(fx->dev.bar[TBAR].mapped, 1);
	/* Message Control as the guest reads it, then enable. */
	assert_int_equal(pci_cfg_rw(fx->pbus, fx->devfn, c, &d, 4, 0), 0);
	assert_int_equal(d >> 16, NV - 1);
	assert_int_equal(d & 0xff, 0x11);
	d = (uint32_t)(MC_EN | (NV - 1)) << 16;
	guest_cfg_write(fx, c, 4, d);
	assert_int_equal(msix_enabled(fx->m), 1);

	assert_int_equal(bus_access(&fx->mmio, base + TOFF + 16 * 6, &q, 8, 1),
			 0);
	d = 0xa6;
	assert_int_equal(
		bus_access(&fx->mmio, base + TOFF + 16 * 6 + 8, &d, 4, 1), 0);
	assert_int_equal(ncalls(fx), 0);
	d = 0;
	assert_int_equal(
		bus_access(&fx->mmio, base + TOFF + 16 * 6 + 12, &d, 4, 1), 0);
	assert_int_equal(ncalls(fx), 1);
	assert_call(fx, 0, 1, GSI_BASE + 6, MSI_ADDR, 0xa6);
	q = 0;
	assert_int_equal(bus_access(&fx->mmio, base + TOFF + 16 * 6, &q, 8, 0),
			 0);
	assert_int_equal(q, MSI_ADDR);
	assert_int_equal(msix_notify(fx->m, 6), 0);
	assert_int_equal(efd_count(fx->efd[6]), 1);

	/* Function mask by a byte config write; the PBA shows the message
	 * and ignores writes. */
	guest_cfg_write(fx, c + 3, 1, (MC_EN | MC_FM) >> 8);
	msix_notify(fx->m, 6);
	q = 0;
	assert_int_equal(bus_access(&fx->mmio, base + POFF, &q, 8, 1), 0);
	assert_int_equal(bus_access(&fx->mmio, base + POFF, &q, 8, 0), 0);
	assert_int_equal(q, 1u << 6);
	d = 0;
	bus_access(&fx->mmio, base + TOFF + 2, &d, 2, 0);
	assert_int_equal(d, 0xffff);
	guest_cfg_write(fx, c + 3, 1, MC_EN >> 8);
	assert_int_equal(efd_count(fx->efd[6]), 1);
	assert_int_equal(bus_access(&fx->mmio, base + POFF, &q, 8, 0), 0);
	assert_int_equal(q, 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_cap_bytes),
		T(test_table_size_encoding),
		T(test_masked_at_reset),
		T(test_unmask_installs_route),
		T(test_notify_masked_pends),
		T(test_function_mask),
		T(test_enable_bit),
		T(test_8byte_access),
		T(test_reserved_bits),
		T(test_bad_accesses),
		T(test_bad_cfg),
		T(test_reset),
		T(test_retarget_unmasked),
		T(test_route_fail),
		T(test_notify_during_route_update),
		T(test_concurrent_notify),
		T(test_via_mmio),
	};
#undef T

	return cmocka_run_group_tests_name("msix", tests, NULL, NULL);
}
