// SPDX-License-Identifier: Apache-2.0
/*
 * test_pci.c - PCI bus 0 driven through real PIO and MMIO buses: config
 * space via CF8/CFC and ECAM, BAR sizing, assignment, decode and moves.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/bus.h"
#include "devices/pci/pci.h"
#include "vmm/log.h"

#define ECAM 0xe0000000ull
#define M32_BASE 0xc0000000ull
#define M32_SIZE 0x20000000ull
#define M64_BASE 0x1000000000ull
#define M64_SIZE (32ull << 30)
#define IO_BASE 0xc000u
#define IO_SIZE 0x1000u

#define T_VENDOR 0x1af4
#define T_DEVICE 0x10ff
#define T_CLASS 0x018000 /* mass storage, other */
#define T_SLOT 3
#define T_DEVFN (T_SLOT << 3)
#define T_CAP_ID 0x09 /* vendor specific */

#define BAR0_SIZE 0x1000ull /* MEM32 */
#define BAR2_SIZE 0x4000ull /* MEM64, prefetchable (BAR2 + BAR3) */
#define BAR4_SIZE 0x100ull /* IO */

/* One BAR's backing region: counts and records accesses. */
struct region {
	unsigned int id;
	unsigned int reads, writes;
	uint64_t off;
	uint32_t len;
	uint64_t val;
};

struct map_ev {
	unsigned int bar;
	uint64_t addr;
	int mapped;
};

struct tdev {
	struct pci_dev pci;
	struct region reg[PCI_NUM_BARS];
	struct map_ev ev[256];
	unsigned int nev;
	unsigned int cfg_writes;
	uint32_t cw_off, cw_len, cw_val;
	uint8_t cap;
};

struct fx {
	struct bus pio, mmio;
	struct pci_bus *pb;
	struct tdev t;
	uint64_t bar0, bar2;
	uint16_t bar4;
	int null_fd;
};

static int reg_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct region *r = opaque;
	uint64_t v = (uint64_t)r->id << 24 | off;

	r->reads++;
	r->off = off;
	r->len = len;
	memcpy(data, &v, len);
	return 0;
}

static int reg_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	struct region *r = opaque;

	r->writes++;
	r->off = off;
	r->len = len;
	r->val = 0;
	memcpy(&r->val, data, len);
	return 0;
}

static const struct io_ops reg_ops = {
	.read = reg_read,
	.write = reg_write,
};

static void t_bar_map(struct pci_dev *d, unsigned int bar, uint64_t addr,
		      int mapped)
{
	struct tdev *t = d->opaque;

	if (t->nev < 256)
		t->ev[t->nev++] = (struct map_ev){ bar, addr, mapped };
}

static void t_cfg_write(struct pci_dev *d, uint32_t off, uint32_t len,
			uint32_t val)
{
	struct tdev *t = d->opaque;

	t->cfg_writes++;
	t->cw_off = off;
	t->cw_len = len;
	t->cw_val = val;
}

static const struct pci_dev_ops t_ops = {
	.cfg_write = t_cfg_write,
	.bar_map = t_bar_map,
};

static void tdev_init(struct tdev *t)
{
	unsigned int i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < PCI_NUM_BARS; i++)
		t->reg[i].id = i;
	pci_dev_init(&t->pci, "tdev", T_VENDOR, T_DEVICE, T_CLASS, 0x01, 0x1af4,
		     0x0042, &t_ops, t);
	assert_int_equal(pci_dev_set_bar(&t->pci, 0, PCI_BAR_MEM32, 0,
					 BAR0_SIZE, &reg_ops, &t->reg[0]),
			 0);
	assert_int_equal(pci_dev_set_bar(&t->pci, 2, PCI_BAR_MEM64, 1,
					 BAR2_SIZE, &reg_ops, &t->reg[2]),
			 0);
	assert_int_equal(pci_dev_set_bar(&t->pci, 4, PCI_BAR_IO, 0, BAR4_SIZE,
					 &reg_ops, &t->reg[4]),
			 0);
	assert_int_equal(pci_dev_add_cap(&t->pci, T_CAP_ID, 8, &t->cap), 0);
	pci_cfg_set(&t->pci, t->cap + 2, 1, 8); /* cap length */
	pci_cfg_set(&t->pci, t->cap + 4, 4, 0xcafef00d); /* body */
}

static struct pci_bus_cfg fx_cfg(struct fx *f)
{
	return (struct pci_bus_cfg){
		.pio = &f->pio,
		.mmio = &f->mmio,
		.ecam_base = ECAM,
		.mmio32_base = M32_BASE,
		.mmio32_size = M32_SIZE,
		.mmio64_base = M64_BASE,
		.mmio64_size = M64_SIZE,
		.io_base = IO_BASE,
		.io_size = IO_SIZE,
	};
}

/* ---- config access helpers ------------------------------------------ */

static void cf8_set(struct fx *f, uint32_t a)
{
	assert_int_equal(bus_access(&f->pio, PCI_CONFIG_ADDRESS, &a, 4, 1), 0);
}

static uint32_t cf8_rd(struct fx *f, uint8_t devfn, uint32_t reg, uint32_t len)
{
	uint32_t v = 0;

	cf8_set(f, 0x80000000u | devfn << 8 | (reg & 0xfc));
	assert_int_equal(bus_access(&f->pio, PCI_CONFIG_DATA + (reg & 3), &v,
				    len, 0),
			 0);
	return v;
}

static void cf8_wr(struct fx *f, uint8_t devfn, uint32_t reg, uint32_t len,
		   uint32_t v)
{
	cf8_set(f, 0x80000000u | devfn << 8 | (reg & 0xfc));
	assert_int_equal(bus_access(&f->pio, PCI_CONFIG_DATA + (reg & 3), &v,
				    len, 1),
			 0);
}

static uint32_t ecam_rd(struct fx *f, uint8_t devfn, uint32_t reg, uint32_t len)
{
	uint32_t v = 0;

	assert_int_equal(bus_access(&f->mmio, ECAM + (devfn << 12) + reg, &v,
				    len, 0),
			 0);
	return v;
}

static void ecam_wr(struct fx *f, uint8_t devfn, uint32_t reg, uint32_t len,
		    uint32_t v)
{
	assert_int_equal(bus_access(&f->mmio, ECAM + (devfn << 12) + reg, &v,
				    len, 1),
			 0);
}

/* Read 4 bytes through the bus at addr; -ENOENT when unclaimed. */
static int mmio_rd(struct fx *f, uint64_t addr, uint32_t *v)
{
	*v = 0;
	return bus_access(&f->mmio, addr, v, 4, 0);
}

static void enable_decode(struct fx *f, uint16_t bits)
{
	cf8_wr(f, T_DEVFN, 0x04, 2, bits);
}

/* ---- fixture ----------------------------------------------------------- */

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct pci_bus_cfg cfg;
	uint8_t devfn = 0;

	if (!f || bus_init(&f->pio, "pio") || bus_init(&f->mmio, "mmio"))
		return -1;
	/* Guest-triggered warnings are formatted but not shown. */
	f->null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	log_set_fd(f->null_fd);
	cfg = fx_cfg(f);
	if (pci_bus_create(&cfg, &f->pb))
		return -1;
	tdev_init(&f->t);
	if (pci_bus_add_dev(f->pb, &f->t.pci, T_SLOT, &devfn) ||
	    devfn != T_DEVFN)
		return -1;
	f->bar0 = pci_cfg_get(&f->t.pci, 0x10, 4) & ~0xfull;
	f->bar2 = (uint64_t)pci_cfg_get(&f->t.pci, 0x1c, 4) << 32 |
		  (pci_cfg_get(&f->t.pci, 0x18, 4) & ~0xfull);
	f->bar4 = pci_cfg_get(&f->t.pci, 0x20, 4) & ~3u;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	pci_bus_destroy(f->pb);
	bus_destroy(&f->pio);
	bus_destroy(&f->mmio);
	log_set_fd(2);
	close(f->null_fd);
	free(f);
	return 0;
}

/* ---- tests --------------------------------------------------------------- */

static void test_cf8_and_ecam_agree(void **state)
{
	struct fx *f = *state;
	static const uint8_t devfns[] = { 0, T_DEVFN };
	uint32_t reg, i;

	for (i = 0; i < 2; i++) {
		for (reg = 0; reg < 0x100; reg += 4)
			assert_int_equal(cf8_rd(f, devfns[i], reg, 4),
					 ecam_rd(f, devfns[i], reg, 4));
		for (reg = 0; reg < 0x100; reg += 2)
			assert_int_equal(cf8_rd(f, devfns[i], reg, 2),
					 ecam_rd(f, devfns[i], reg, 2));
		for (reg = 0; reg < 0x100; reg++)
			assert_int_equal(cf8_rd(f, devfns[i], reg, 1),
					 ecam_rd(f, devfns[i], reg, 1));
	}
	/* Byte lanes: CFC+n carries register byte n of the dword. */
	assert_int_equal(cf8_rd(f, T_DEVFN, 0x02, 2), T_DEVICE);
	assert_int_equal(cf8_rd(f, T_DEVFN, 0x0b, 1), T_CLASS >> 16);
	/* A write through one path is seen through the other. */
	cf8_wr(f, T_DEVFN, 0x3c, 1, 0x5a);
	assert_int_equal(ecam_rd(f, T_DEVFN, 0x3c, 1), 0x5a);
	ecam_wr(f, T_DEVFN, 0x3c, 1, 0xa5);
	assert_int_equal(cf8_rd(f, T_DEVFN, 0x3c, 1), 0xa5);
}

static void test_absent_read_ones(void **state)
{
	struct fx *f = *state;
	unsigned int fn;

	assert_int_equal(cf8_rd(f, 5 << 3, 0, 4), 0xffffffff);
	assert_int_equal(ecam_rd(f, 5 << 3, 0, 4), 0xffffffff);
	assert_int_equal(ecam_rd(f, 31 << 3, 0x40, 2), 0xffff);
	for (fn = 1; fn < 8; fn++) {
		assert_int_equal(cf8_rd(f, T_DEVFN | fn, 0, 4), 0xffffffff);
		assert_int_equal(ecam_rd(f, T_DEVFN | fn, 0, 4), 0xffffffff);
		assert_int_equal(ecam_rd(f, fn, 0, 4), 0xffffffff);
	}
	/* Writes to nothing go nowhere (and do not reach slot 3 fn 0). */
	ecam_wr(f, T_DEVFN | 1, 0x3c, 1, 0x77);
	assert_int_not_equal(ecam_rd(f, T_DEVFN, 0x3c, 1), 0x77);
	/* Header type bit 7 clear: not multi-function. */
	assert_int_equal(ecam_rd(f, T_DEVFN, 0x0e, 1), 0x00);
	assert_int_equal(ecam_rd(f, 0, 0x0e, 1), 0x00);
}

static void test_cf8_enable_and_bus(void **state)
{
	struct fx *f = *state;
	uint32_t v;

	/* Enable bit clear: all-ones, writes dropped. */
	cf8_set(f, T_DEVFN << 8 | 0x3c);
	v = 0;
	assert_int_equal(bus_access(&f->pio, PCI_CONFIG_DATA, &v, 4, 0), 0);
	assert_int_equal(v, 0xffffffff);
	v = 0x33;
	assert_int_equal(bus_access(&f->pio, PCI_CONFIG_DATA, &v, 1, 1), 0);
	assert_int_not_equal(ecam_rd(f, T_DEVFN, 0x3c, 1), 0x33);
	/* Bus 1 does not exist. */
	cf8_set(f, 0x80000000u | 1 << 16 | T_DEVFN << 8);
	assert_int_equal(bus_access(&f->pio, PCI_CONFIG_DATA, &v, 4, 0), 0);
	assert_int_equal(v, 0xffffffff);
	/* The latch reads back; reserved bits 30:24 (AMD extended register
	 * bits 27:24) and bits 1:0 read zero. */
	cf8_set(f, 0xff000000u | 0x12345 << 2 | 3);
	assert_int_equal(bus_access(&f->pio, PCI_CONFIG_ADDRESS, &v, 4, 0), 0);
	assert_int_equal(v, 0x80000000u | 0x12345 << 2);
	/* Linux's type-1 probe: a byte write to 0xCFB leaves the latch. */
	cf8_set(f, 0x80000000u);
	v = 1;
	assert_int_equal(bus_access(&f->pio, 0xcfb, &v, 1, 1), 0);
	assert_int_equal(bus_access(&f->pio, PCI_CONFIG_ADDRESS, &v, 4, 0), 0);
	assert_int_equal(v, 0x80000000u);
	/* Non-dword accesses to 0xCF8-0xCFB read as unclaimed. */
	assert_int_equal(bus_access(&f->pio, 0xcf8, &v, 2, 0), 0);
	assert_int_equal(v & 0xffff, 0xffff);
	assert_int_equal(bus_access(&f->pio, 0xcf9, &v, 1, 0), 0);
	assert_int_equal(v & 0xff, 0xff);
}

static void test_ids_and_class(void **state)
{
	struct fx *f = *state;

	assert_int_equal(ecam_rd(f, 0, 0x00, 2), 0x8086);
	assert_int_equal(ecam_rd(f, 0, 0x02, 2), 0x0d57);
	assert_int_equal(ecam_rd(f, 0, 0x08, 4) >> 8, 0x060000);
	assert_int_equal(ecam_rd(f, 0, 0x06, 2) & 0x10, 0); /* no caps */
	assert_int_equal(cf8_rd(f, T_DEVFN, 0x00, 4),
			 T_DEVICE << 16 | T_VENDOR);
	assert_int_equal(cf8_rd(f, T_DEVFN, 0x08, 4), T_CLASS << 8 | 0x01);
	assert_int_equal(cf8_rd(f, T_DEVFN, 0x2c, 4), 0x0042u << 16 | 0x1af4);
	assert_int_equal(cf8_rd(f, T_DEVFN, 0x3d, 1), 0); /* no INTx pin */
	assert_int_equal(cf8_rd(f, T_DEVFN, 0x30, 4), 0); /* no ROM */
}

static void test_cap_walk(void **state)
{
	struct fx *f = *state;
	uint8_t p, n = 0, found = 0;

	assert_true(ecam_rd(f, T_DEVFN, 0x06, 2) & 0x10);
	p = ecam_rd(f, T_DEVFN, 0x34, 1);
	assert_int_equal(p, 0x40);
	while (p && n++ < 48) {
		assert_int_equal(p & 3, 0);
		assert_true(p >= 0x40);
		if (ecam_rd(f, T_DEVFN, p, 1) == T_CAP_ID) {
			found = p;
			assert_int_equal(cf8_rd(f, T_DEVFN, p + 2, 1), 8);
			assert_int_equal(cf8_rd(f, T_DEVFN, p + 4, 4),
					 0xcafef00d);
		}
		p = ecam_rd(f, T_DEVFN, p + 1, 1);
	}
	assert_int_equal(found, f->t.cap);
	/* The body is read-only unless the device says otherwise. */
	cf8_wr(f, T_DEVFN, f->t.cap + 4, 4, 0);
	cf8_wr(f, T_DEVFN, f->t.cap + 1, 1, 0x80);
	assert_int_equal(cf8_rd(f, T_DEVFN, f->t.cap + 4, 4), 0xcafef00d);
	assert_int_equal(cf8_rd(f, T_DEVFN, f->t.cap + 1, 1), 0);
}

static void test_cap_chain_and_space(void **state)
{
	struct tdev t;
	uint8_t off[64];
	unsigned int n = 0;

	memset(&t, 0, sizeof(t));
	pci_dev_init(&t.pci, "caps", 1, 2, 0, 0, 0, 0, NULL, NULL);
	assert_int_equal(pci_dev_add_cap(&t.pci, 5, 1, &off[0]), -EINVAL);
	assert_int_equal(pci_cfg_get(&t.pci, 0x06, 2) & 0x10, 0);
	/* 6-byte caps are padded to dwords: 0x40, 0x48, ... 0xf8. */
	while (!pci_dev_add_cap(&t.pci, 0x10 + n, 6, &off[n]))
		n++;
	assert_int_equal(n, 24);
	assert_int_equal(off[0], 0x40);
	assert_int_equal(off[1], 0x48);
	assert_int_equal(off[23], 0xf8);
	assert_int_equal(pci_cfg_get(&t.pci, 0x34, 1), 0x40);
	assert_int_equal(pci_cfg_get(&t.pci, 0x41, 1), 0x48);
	assert_int_equal(pci_cfg_get(&t.pci, 0xf9, 1), 0);
	assert_int_equal(pci_cfg_get(&t.pci, 0xf8, 1), 0x10 + 23);
	assert_int_equal(pci_dev_add_cap(&t.pci, 9, 2, &off[0]), -ENOSPC);
}

static void test_bar_sizing(void **state)
{
	struct fx *f = *state;
	uint32_t orig;

	orig = cf8_rd(f, T_DEVFN, 0x10, 4);
	assert_int_equal(orig & 0xf, 0); /* MEM32, not prefetchable */
	cf8_wr(f, T_DEVFN, 0x10, 4, 0xffffffff);
	assert_int_equal(cf8_rd(f, T_DEVFN, 0x10, 4), 0xfffff000);
	cf8_wr(f, T_DEVFN, 0x10, 4, orig);
	assert_int_equal(cf8_rd(f, T_DEVFN, 0x10, 4), orig);

	/* 64-bit prefetchable: type 10b, bit 3; the upper dword sizes too. */
	orig = ecam_rd(f, T_DEVFN, 0x18, 4);
	assert_int_equal(orig & 0xf, 0xc);
	ecam_wr(f, T_DEVFN, 0x18, 4, 0xffffffff);
	assert_int_equal(ecam_rd(f, T_DEVFN, 0x18, 4), 0xffffc00c);
	ecam_wr(f, T_DEVFN, 0x18, 4, orig);
	orig = ecam_rd(f, T_DEVFN, 0x1c, 4);
	ecam_wr(f, T_DEVFN, 0x1c, 4, 0xffffffff);
	assert_int_equal(ecam_rd(f, T_DEVFN, 0x1c, 4), 0xffffffff);
	ecam_wr(f, T_DEVFN, 0x1c, 4, orig);
	assert_int_equal(ecam_rd(f, T_DEVFN, 0x1c, 4), f->bar2 >> 32);

	/* IO: bit 0 set, upper 16 bits hardwired to zero. */
	orig = cf8_rd(f, T_DEVFN, 0x20, 4);
	assert_int_equal(orig & 3, 1);
	cf8_wr(f, T_DEVFN, 0x20, 4, 0xffffffff);
	assert_int_equal(cf8_rd(f, T_DEVFN, 0x20, 4), 0x0000ff01);
	cf8_wr(f, T_DEVFN, 0x20, 4, orig);

	/* Unused BARs and the expansion ROM size to zero. */
	cf8_wr(f, T_DEVFN, 0x14, 4, 0xffffffff);
	cf8_wr(f, T_DEVFN, 0x24, 4, 0xffffffff);
	cf8_wr(f, T_DEVFN, 0x30, 4, 0xffffffff);
	assert_int_equal(cf8_rd(f, T_DEVFN, 0x14, 4), 0);
	assert_int_equal(cf8_rd(f, T_DEVFN, 0x24, 4), 0);
	assert_int_equal(cf8_rd(f, T_DEVFN, 0x30, 4), 0);
	assert_int_equal(f->t.nev, 0); /* decode was never on */
}

static void test_assignment(void **state)
{
	struct fx *f = *state;
	struct tdev t2;
	uint8_t devfn;
	uint64_t a0;

	assert_true(f->bar0 >= M32_BASE &&
		    f->bar0 + BAR0_SIZE <= M32_BASE + M32_SIZE);
	assert_int_equal(f->bar0 & (BAR0_SIZE - 1), 0);
	assert_true(f->bar2 >= M64_BASE &&
		    f->bar2 + BAR2_SIZE <= M64_BASE + M64_SIZE);
	assert_int_equal(f->bar2 & (BAR2_SIZE - 1), 0);
	assert_true(f->bar4 >= IO_BASE &&
		    f->bar4 + BAR4_SIZE <= IO_BASE + IO_SIZE);
	assert_int_equal(f->bar4 & (BAR4_SIZE - 1), 0);
	/* Decode left to the guest. */
	assert_int_equal(cf8_rd(f, T_DEVFN, 0x04, 2), 0);
	assert_int_equal(f->pio.nr, 1); /* CF8/CFC only */
	assert_int_equal(f->mmio.nr, 1); /* ECAM only */

	/* A second device: first free slot, disjoint aligned BARs. */
	tdev_init(&t2);
	assert_int_equal(pci_bus_add_dev(f->pb, &t2.pci, -1, &devfn), 0);
	assert_int_equal(devfn, 1 << 3);
	a0 = pci_cfg_get(&t2.pci, 0x10, 4) & ~0xfull;
	assert_true(a0 >= M32_BASE && a0 != f->bar0);
	assert_int_equal(a0 & (BAR0_SIZE - 1), 0);
	assert_int_not_equal(pci_cfg_get(&t2.pci, 0x20, 4) & ~3u, f->bar4);
	assert_int_equal(ecam_rd(f, 1 << 3, 0, 2), T_VENDOR);
}

static void test_decode_enable(void **state)
{
	struct fx *f = *state;
	uint32_t v;
	uint8_t b;

	/* Not decoded before the command bits are set. */
	assert_int_equal(mmio_rd(f, f->bar0 + 0x10, &v), -ENOENT);
	assert_int_equal(mmio_rd(f, f->bar2 + 0x10, &v), -ENOENT);
	assert_int_equal(bus_access(&f->pio, f->bar4 + 1, &b, 1, 0), -ENOENT);

	enable_decode(f, 0x2); /* memory only */
	assert_int_equal(f->t.nev, 2);
	assert_int_equal(f->t.ev[0].bar, 0);
	assert_int_equal(f->t.ev[0].addr, f->bar0);
	assert_int_equal(f->t.ev[0].mapped, 1);
	assert_int_equal(f->t.ev[1].bar, 2);
	assert_int_equal(f->t.ev[1].addr, f->bar2);
	assert_int_equal(f->t.ev[1].mapped, 1);
	assert_int_equal(mmio_rd(f, f->bar0 + 0x10, &v), 0);
	assert_int_equal(v, 0x10);
	assert_int_equal(f->t.reg[0].off, 0x10);
	assert_int_equal(f->t.reg[0].len, 4);
	v = 0x1234;
	assert_int_equal(bus_access(&f->mmio, f->bar2 + 0x3ff8, &v, 4, 1), 0);
	assert_int_equal(f->t.reg[2].writes, 1);
	assert_int_equal(f->t.reg[2].off, 0x3ff8);
	assert_int_equal(f->t.reg[2].val, 0x1234);
	/* Past the end of the BAR is not the device's. */
	assert_int_equal(mmio_rd(f, f->bar0 + BAR0_SIZE, &v), -ENOENT);
	assert_int_equal(bus_access(&f->pio, f->bar4 + 1, &b, 1, 0), -ENOENT);

	enable_decode(f, 0x3); /* and I/O */
	assert_int_equal(f->t.nev, 3);
	assert_int_equal(f->t.ev[2].bar, 4);
	assert_int_equal(f->t.ev[2].addr, f->bar4);
	assert_int_equal(bus_access(&f->pio, f->bar4 + 0xfe, &b, 1, 0), 0);
	assert_int_equal(b, 0xfe);
	assert_int_equal(f->t.reg[4].off, 0xfe);
	/* Re-writing the same command register changes nothing. */
	enable_decode(f, 0x3);
	assert_int_equal(f->t.nev, 3);
}

static void test_decode_off_unmaps(void **state)
{
	struct fx *f = *state;
	unsigned int i;
	uint32_t v;

	for (i = 0; i < 20; i++) {
		enable_decode(f, 0x3);
		enable_decode(f, 0x0);
	}
	assert_int_equal(f->t.nev, 120);
	assert_int_equal(f->t.ev[119].mapped, 0);
	assert_int_equal(f->t.ev[119].bar, 4);
	assert_int_equal(f->t.ev[119].addr, f->bar4);
	assert_int_equal(mmio_rd(f, f->bar0, &v), -ENOENT);
	assert_int_equal(v, 0xffffffff);
	assert_int_equal(f->pio.nr, 1);
	assert_int_equal(f->mmio.nr, 1);
	/* Memory off, I/O on: only the I/O BAR. */
	enable_decode(f, 0x1);
	assert_int_equal(f->pio.nr, 2);
	assert_int_equal(f->mmio.nr, 1);
}

static void test_bar_move(void **state)
{
	struct fx *f = *state;
	uint64_t new0 = M32_BASE + 0x100000;
	uint32_t v;
	uint8_t b;

	enable_decode(f, 0x3);
	f->t.nev = 0;
	cf8_wr(f, T_DEVFN, 0x10, 4, (uint32_t)new0);
	assert_int_equal(f->t.nev, 2);
	assert_int_equal(f->t.ev[0].bar, 0);
	assert_int_equal(f->t.ev[0].addr, f->bar0);
	assert_int_equal(f->t.ev[0].mapped, 0);
	assert_int_equal(f->t.ev[1].bar, 0);
	assert_int_equal(f->t.ev[1].addr, new0);
	assert_int_equal(f->t.ev[1].mapped, 1);
	assert_int_equal(mmio_rd(f, f->bar0 + 8, &v), -ENOENT);
	assert_int_equal(mmio_rd(f, new0 + 8, &v), 0);
	assert_int_equal(v, 8);
	assert_int_equal(f->t.pci.bar[0].addr, new0);
	assert_int_equal(f->mmio.nr, 3);

	/* The I/O BAR moves with a 16-bit write of its low half. */
	cf8_wr(f, T_DEVFN, 0x20, 2, 0xd001);
	assert_int_equal(bus_access(&f->pio, f->bar4, &b, 1, 0), -ENOENT);
	assert_int_equal(bus_access(&f->pio, 0xd000 + 3, &b, 1, 0), -ENOENT);
	assert_false(f->t.pci.bar[4].mapped); /* outside the I/O window */
	assert_int_equal(f->t.nev, 3);
	assert_int_equal(f->t.ev[2].bar, 4);
	assert_int_equal(f->t.ev[2].mapped, 0);
	cf8_wr(f, T_DEVFN, 0x20, 2, 0xcf01);
	assert_int_equal(f->t.nev, 4);
	assert_int_equal(f->t.ev[3].addr, 0xcf00);
	assert_int_equal(f->t.ev[3].mapped, 1);
	assert_int_equal(bus_access(&f->pio, 0xcf00 + 3, &b, 1, 0), 0);
	assert_int_equal(b, 3);
	assert_int_equal(f->pio.nr, 2);
}

static void test_move_via_ecam(void **state)
{
	struct fx *f = *state;
	uint64_t new2 = M32_BASE + 0x200000; /* into the 32-bit window */
	uint64_t new0 = M32_BASE + 0x300000;
	uint32_t v;

	enable_decode(f, 0x2);
	/* Moves arrive on the very MMIO bus whose map they change. */
	ecam_wr(f, T_DEVFN, 0x10, 4, (uint32_t)new0);
	ecam_wr(f, T_DEVFN, 0x18, 4, (uint32_t)new2);
	ecam_wr(f, T_DEVFN, 0x1c, 4, 0);
	assert_int_equal(mmio_rd(f, f->bar0, &v), -ENOENT);
	assert_int_equal(mmio_rd(f, f->bar2, &v), -ENOENT);
	assert_int_equal(mmio_rd(f, new0 + 4, &v), 0);
	assert_int_equal(v, 4);
	assert_int_equal(mmio_rd(f, new2 + 0x3000, &v), 0);
	assert_int_equal(v, 2u << 24 | 0x3000);
	assert_int_equal(f->t.ev[f->t.nev - 1].bar, 2);
	assert_int_equal(f->t.ev[f->t.nev - 1].addr, new2);
	assert_int_equal(f->t.ev[f->t.nev - 1].mapped, 1);
	assert_int_equal(f->mmio.nr, 3);
	assert_int_equal(ecam_rd(f, T_DEVFN, 0x18, 4), (uint32_t)new2 | 0xc);
}

static void test_sizing_does_not_map(void **state)
{
	struct fx *f = *state;
	uint32_t v, orig;

	enable_decode(f, 0x3);
	f->t.nev = 0;
	orig = cf8_rd(f, T_DEVFN, 0x10, 4);
	cf8_wr(f, T_DEVFN, 0x10, 4, 0xffffffff);
	assert_int_equal(f->t.nev, 1);
	assert_int_equal(f->t.ev[0].mapped, 0);
	assert_int_equal(mmio_rd(f, 0xfffff000, &v), -ENOENT);
	assert_int_equal(mmio_rd(f, f->bar0, &v), -ENOENT);
	cf8_wr(f, T_DEVFN, 0x10, 4, orig);
	assert_int_equal(f->t.nev, 2);
	assert_int_equal(f->t.ev[1].mapped, 1);
	assert_int_equal(f->t.ev[1].addr, f->bar0);
	assert_int_equal(mmio_rd(f, f->bar0, &v), 0);

	/* Both halves of the 64-bit BAR at all-ones: nothing mapped. */
	ecam_wr(f, T_DEVFN, 0x1c, 4, 0xffffffff);
	ecam_wr(f, T_DEVFN, 0x18, 4, 0xffffffff);
	assert_false(f->t.pci.bar[2].mapped);
	/* IO sizing too. */
	cf8_wr(f, T_DEVFN, 0x20, 4, 0xffffffff);
	assert_false(f->t.pci.bar[4].mapped);
	assert_int_equal(f->mmio.nr, 2);
	assert_int_equal(f->pio.nr, 1);
}

static int dummy_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	memset(data, 0x5a, len);
	return 0;
}

static const struct io_ops dummy_ops = { .read = dummy_read };

static void test_overlap_refused(void **state)
{
	struct fx *f = *state;
	uint64_t busy = M32_BASE + 0x400000;
	uint32_t v;

	assert_int_equal(bus_register(&f->mmio, busy, 0x1000, &dummy_ops, NULL,
				      "busy"),
			 0);
	enable_decode(f, 0x3);
	f->t.nev = 0;
	cf8_wr(f, T_DEVFN, 0x10, 4, (uint32_t)busy);
	assert_false(f->t.pci.bar[0].mapped);
	assert_int_equal(f->t.nev, 1); /* unmapped from the old place only */
	assert_int_equal(mmio_rd(f, busy, &v), 0);
	assert_int_equal(v, 0x5a5a5a5a); /* the other owner keeps it */
	/* Onto another BAR of the same device. */
	cf8_wr(f, T_DEVFN, 0x10, 4, (uint32_t)f->bar0);
	assert_true(f->t.pci.bar[0].mapped);
	ecam_wr(f, T_DEVFN, 0x18, 4, (uint32_t)f->bar0 | 0xc);
	ecam_wr(f, T_DEVFN, 0x1c, 4, 0);
	assert_false(f->t.pci.bar[2].mapped);
	assert_int_equal(mmio_rd(f, f->bar0 + 0x20, &v), 0);
	assert_int_equal(v, 0x20); /* still BAR0's */
	/* Address zero and addresses outside the windows decode nothing. */
	cf8_wr(f, T_DEVFN, 0x10, 4, 0);
	assert_false(f->t.pci.bar[0].mapped);
	cf8_wr(f, T_DEVFN, 0x10, 4, 0x80000000);
	assert_false(f->t.pci.bar[0].mapped);
	assert_int_equal(mmio_rd(f, 0x80000000, &v), -ENOENT);
	/* The guest can fix it: a retry on the next write succeeds. */
	ecam_wr(f, T_DEVFN, 0x18, 4, (uint32_t)(M32_BASE + 0x800000) | 0xc);
	assert_true(f->t.pci.bar[2].mapped);
	cf8_wr(f, T_DEVFN, 0x10, 4, (uint32_t)M32_BASE + 0x10000);
	assert_true(f->t.pci.bar[0].mapped);
	assert_int_equal(f->mmio.nr, 4);
	assert_int_equal(bus_unregister(&f->mmio, busy), 0);
}

static void test_odd_accesses(void **state)
{
	struct fx *f = *state;
	uint64_t q = 0;
	uint32_t v;
	uint8_t buf[8];

	/* Unaligned CONFIG_DATA access: all-ones, writes dropped. */
	cf8_set(f, 0x80000000u | T_DEVFN << 8 | 0x3c);
	v = 0;
	assert_int_equal(bus_access(&f->pio, 0xcfd, &v, 2, 0), 0);
	assert_int_equal(v, 0xffff);
	v = 0x77;
	assert_int_equal(bus_access(&f->pio, 0xcfd, &v, 2, 1), 0);
	assert_int_not_equal(ecam_rd(f, T_DEVFN, 0x3d, 1), 0x77);
	/* Crossing 0xCFB/0xCFC or past 0xCFF: not config accesses. */
	assert_int_equal(bus_access(&f->pio, 0xcfa, &v, 4, 0), 0);
	assert_int_equal(v, 0xffffffff);
	assert_int_equal(bus_access(&f->pio, 0xcfe, &v, 4, 0), -ENOENT);
	/* CFC+3 byte read is register byte 3. */
	assert_int_equal(cf8_rd(f, T_DEVFN, 0x0b, 1), T_CLASS >> 16);
	/* ECAM: 8-byte and unaligned accesses answer all-ones. */
	assert_int_equal(bus_access(&f->mmio, ECAM + (T_DEVFN << 12), &q, 8, 0),
			 0);
	assert_true(q == ~0ull);
	assert_int_equal(ecam_rd(f, T_DEVFN, 0x02 - 1, 2), 0xffff);
	assert_int_equal(ecam_rd(f, T_DEVFN, 0x01, 4), 0xffffffff);
	/* Extended config space: zero, read-only, ECAM only. */
	assert_int_equal(ecam_rd(f, T_DEVFN, 0x100, 4), 0);
	ecam_wr(f, T_DEVFN, 0xffc, 4, 0xffffffff);
	assert_int_equal(ecam_rd(f, T_DEVFN, 0xffc, 4), 0);
	/* Direct calls with bad shapes. */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(pci_cfg_rw(f->pb, T_DEVFN, 0x1000, buf, 4, 0),
			 -EINVAL);
	assert_int_equal(buf[0], 0xff);
	assert_int_equal(pci_cfg_rw(f->pb, T_DEVFN, 0xffe, buf, 4, 0), -EINVAL);
	assert_int_equal(pci_cfg_rw(f->pb, T_DEVFN, 0, buf, 3, 0), -EINVAL);
	assert_int_equal(pci_cfg_rw(f->pb, T_DEVFN, 0, buf, 0, 1), -EINVAL);
	assert_int_equal(pci_cfg_rw(f->pb, T_DEVFN, 0x3c, buf, 8, 1), -EINVAL);
	assert_int_equal(pci_cfg_rw(f->pb, 7 << 3, 0, buf, 4, 0), -ENODEV);
	assert_int_equal(pci_cfg_rw(f->pb, T_DEVFN, 0, buf, 4, 0), 0);
	assert_int_equal(buf[0] | buf[1] << 8, T_VENDOR);
	/* Only the well-formed extended-space write got through. */
	assert_int_equal(f->t.cfg_writes, 1);
	assert_int_equal(f->t.cw_off, 0xffc);
	/* Accessor bounds. */
	assert_int_equal(pci_cfg_get(&f->t.pci, 0xffe, 4), 0);
	pci_cfg_set(&f->t.pci, 0xfff, 2, 0xffff);
	assert_int_equal(pci_cfg_get(&f->t.pci, 0xfff, 1), 0);
}

static void test_status_w1c(void **state)
{
	struct fx *f = *state;

	pci_cfg_set(&f->t.pci, 0x06, 2, 0xf910);
	/* Writing zeros or to read-only status bits changes nothing. */
	cf8_wr(f, T_DEVFN, 0x06, 2, 0x0000);
	cf8_wr(f, T_DEVFN, 0x06, 2, 0x06ff & ~0x0100);
	assert_int_equal(cf8_rd(f, T_DEVFN, 0x06, 2), 0xf910);
	/* Each 1 clears its bit only. */
	cf8_wr(f, T_DEVFN, 0x06, 2, 0x0800);
	assert_int_equal(cf8_rd(f, T_DEVFN, 0x06, 2), 0xf110);
	ecam_wr(f, T_DEVFN, 0x07, 1, 0x81);
	assert_int_equal(ecam_rd(f, T_DEVFN, 0x06, 2), 0x7010);
	/* A dword write at 0x04 carries command and status together. */
	cf8_wr(f, T_DEVFN, 0x04, 4, 0xffff0000);
	assert_int_equal(cf8_rd(f, T_DEVFN, 0x04, 4), 0x00100000);
	assert_int_equal(f->t.cfg_writes, 5);
	assert_int_equal(f->t.cw_off, 0x04);
	assert_int_equal(f->t.cw_len, 4);
	assert_int_equal(f->t.cw_val, 0xffff0000);
}

static void test_read_only_fields(void **state)
{
	struct fx *f = *state;
	uint32_t before[64], reg;

	for (reg = 0; reg < 0x100; reg += 4)
		before[reg / 4] = cf8_rd(f, T_DEVFN, reg, 4);
	/* Command: only I/O, memory, bus master, INTx disable stick. */
	cf8_wr(f, T_DEVFN, 0x04, 2, 0xfff8);
	assert_int_equal(cf8_rd(f, T_DEVFN, 0x04, 2), 0x0400);
	cf8_wr(f, T_DEVFN, 0x04, 2, 0);
	for (reg = 0; reg < 0x100; reg += 4) {
		if (reg == 0x04 || (reg >= 0x10 && reg < 0x28))
			continue; /* command/status, BARs: other tests */
		cf8_wr(f, T_DEVFN, reg, 4, 0xffffffff);
		ecam_wr(f, T_DEVFN, reg, 4, 0);
	}
	for (reg = 0; reg < 0x100; reg += 4) {
		uint32_t now = cf8_rd(f, T_DEVFN, reg, 4);

		if (reg == 0x0c) /* cache line size: scratch */
			assert_int_equal(now, before[reg / 4] & ~0xffu);
		else if (reg == 0x3c) /* interrupt line: scratch */
			assert_int_equal(now, before[reg / 4] & ~0xffu);
		else if (reg != 0x04)
			assert_int_equal(now, before[reg / 4]);
	}
	cf8_wr(f, T_DEVFN, 0x3c, 4, 0xffffffff);
	assert_int_equal(cf8_rd(f, T_DEVFN, 0x3c, 4), 0xff); /* pin stays 0 */
	/* The host bridge is just as stubborn. */
	ecam_wr(f, 0, 0x00, 4, 0);
	ecam_wr(f, 0, 0x08, 4, 0);
	assert_int_equal(ecam_rd(f, 0, 0x00, 4), 0x0d578086);
	assert_int_equal(ecam_rd(f, 0, 0x08, 4), 0x06000000);
}

static void test_setup_errors(void **state)
{
	struct fx *f = *state;
	struct pci_bus_cfg cfg;
	struct pci_bus *pb;
	struct tdev t, big;
	uint8_t devfn;

	memset(&t, 0, sizeof(t));
	pci_dev_init(&t.pci, "bad", 1, 2, 0, 0, 0, 0, NULL, NULL);
	assert_int_equal(pci_dev_set_bar(&t.pci, 6, PCI_BAR_MEM32, 0, 0x1000,
					 &reg_ops, NULL),
			 -EINVAL);
	assert_int_equal(pci_dev_set_bar(&t.pci, 5, PCI_BAR_MEM64, 0, 0x1000,
					 &reg_ops, NULL),
			 -EINVAL);
	assert_int_equal(pci_dev_set_bar(&t.pci, 0, PCI_BAR_MEM32, 0, 0x1800,
					 &reg_ops, NULL),
			 -EINVAL);
	assert_int_equal(pci_dev_set_bar(&t.pci, 0, PCI_BAR_MEM32, 0, 8,
					 &reg_ops, NULL),
			 -EINVAL);
	assert_int_equal(pci_dev_set_bar(&t.pci, 0, PCI_BAR_IO, 0, 512,
					 &reg_ops, NULL),
			 -EINVAL);
	assert_int_equal(pci_dev_set_bar(&t.pci, 0, 7, 0, 0x1000, &reg_ops,
					 NULL),
			 -EINVAL);
	assert_int_equal(pci_dev_set_bar(&t.pci, 0, PCI_BAR_MEM32, 0, 0x1000,
					 NULL, NULL),
			 -EINVAL);
	assert_int_equal(pci_dev_set_bar(&t.pci, 1, PCI_BAR_MEM64, 0, 0x1000,
					 &reg_ops, NULL),
			 0);
	assert_int_equal(pci_dev_set_bar(&t.pci, 2, PCI_BAR_IO, 0, 16, &reg_ops,
					 NULL),
			 -EINVAL); /* upper half of BAR1 */
	assert_int_equal(pci_dev_set_bar(&t.pci, 0, PCI_BAR_MEM64, 0, 0x1000,
					 &reg_ops, NULL),
			 -EINVAL); /* would take BAR1 */

	assert_int_equal(pci_bus_add_dev(f->pb, &t.pci, 0, &devfn), -EBUSY);
	assert_int_equal(pci_bus_add_dev(f->pb, &t.pci, T_SLOT, &devfn),
			 -EBUSY);
	assert_int_equal(pci_bus_add_dev(f->pb, &t.pci, 32, &devfn), -EINVAL);
	assert_int_equal(pci_bus_add_dev(f->pb, &f->t.pci, -1, &devfn),
			 -EINVAL); /* already added */

	/* A BAR larger than its window: -ENOSPC, nothing consumed. */
	memset(&big, 0, sizeof(big));
	pci_dev_init(&big.pci, "big", 1, 3, 0, 0, 0, 0, NULL, NULL);
	assert_int_equal(pci_dev_set_bar(&big.pci, 0, PCI_BAR_MEM64, 0, 0x1000,
					 &reg_ops, NULL),
			 0);
	assert_int_equal(pci_dev_set_bar(&big.pci, 2, PCI_BAR_MEM32, 0,
					 1ull << 30, &reg_ops, NULL),
			 0);
	assert_int_equal(pci_bus_add_dev(f->pb, &big.pci, -1, &devfn), -ENOSPC);
	assert_null(big.pci.bus);
	assert_int_equal(pci_bus_add_dev(f->pb, &t.pci, -1, &devfn), 0);
	assert_int_equal(devfn, 1 << 3);
	/* The 64-bit cursor was not advanced by the failed device. */
	assert_int_equal(pci_cfg_get(&t.pci, 0x14, 4),
			 (uint32_t)(f->bar2 + BAR2_SIZE) | 0x4);
	assert_int_equal(pci_cfg_get(&t.pci, 0x18, 4), f->bar2 >> 32);

	/* Bad bus configurations. */
	cfg = fx_cfg(f);
	cfg.ecam_base = ECAM + 0x1000;
	assert_int_equal(pci_bus_create(&cfg, &pb), -EINVAL);
	cfg = fx_cfg(f);
	cfg.mmio32_base = 0xf0000000;
	assert_int_equal(pci_bus_create(&cfg, &pb), -EINVAL);
	cfg = fx_cfg(f);
	cfg.io_base = 0xff00;
	assert_int_equal(pci_bus_create(&cfg, &pb), -EINVAL);
	cfg = fx_cfg(f); /* CF8 and ECAM already taken by f->pb */
	assert_int_equal(pci_bus_create(&cfg, &pb), -EEXIST);
	cfg.pio = NULL;
	cfg.io_size = 0;
	assert_int_equal(pci_bus_create(&cfg, &pb), -EEXIST);
	assert_int_equal(f->pio.nr, 1);
	assert_int_equal(f->mmio.nr, 1);
}

static void test_mem64_fallback(void **state)
{
	struct fx *f = *state;
	struct pci_bus_cfg cfg = fx_cfg(f);
	struct bus pio, mmio;
	struct pci_bus *pb;
	struct tdev t;
	uint8_t devfn;
	uint64_t a2;

	assert_int_equal(bus_init(&pio, "pio2"), 0);
	assert_int_equal(bus_init(&mmio, "mmio2"), 0);
	cfg.pio = &pio;
	cfg.mmio = &mmio;
	cfg.mmio64_size = 0;
	assert_int_equal(pci_bus_create(&cfg, &pb), 0);
	tdev_init(&t);
	assert_int_equal(pci_bus_add_dev(pb, &t.pci, -1, &devfn), 0);
	a2 = (uint64_t)pci_cfg_get(&t.pci, 0x1c, 4) << 32 |
	     (pci_cfg_get(&t.pci, 0x18, 4) & ~0xfull);
	assert_true(a2 >= M32_BASE && a2 + BAR2_SIZE <= M32_BASE + M32_SIZE);
	assert_int_equal(a2 & (BAR2_SIZE - 1), 0);
	pci_bus_destroy(pb);
	assert_int_equal(pio.nr, 0);
	assert_int_equal(mmio.nr, 0);
	bus_destroy(&pio);
	bus_destroy(&mmio);
}

/* With a 32-bit window reaching 4 GiB, the sizing pattern lies inside it:
 * it must still not be decoded. */
static void test_sizing_window_to_4g(void **state)
{
	struct fx *f = *state;
	struct pci_bus_cfg cfg = fx_cfg(f);
	struct bus pio, mmio;
	struct pci_bus *pb;
	struct tdev t;
	uint8_t devfn;
	uint32_t v;

	assert_int_equal(bus_init(&pio, "pio2"), 0);
	assert_int_equal(bus_init(&mmio, "mmio2"), 0);
	cfg.pio = &pio;
	cfg.mmio = &mmio;
	cfg.ecam_base = 0;
	cfg.mmio32_base = 0xf0000000;
	cfg.mmio32_size = 0x10000000;
	assert_int_equal(pci_bus_create(&cfg, &pb), 0);
	tdev_init(&t);
	assert_int_equal(pci_bus_add_dev(pb, &t.pci, -1, &devfn), 0);
	assert_int_equal(pci_cfg_rw(pb, devfn, 0x04, &(uint16_t){ 2 }, 2, 1),
			 0);
	assert_true(t.pci.bar[0].mapped);
	assert_int_equal(pci_cfg_rw(pb, devfn, 0x10, &(uint32_t){ ~0u }, 4, 1),
			 0);
	assert_false(t.pci.bar[0].mapped);
	assert_int_equal(bus_access(&mmio, 0xfffff000, &v, 4, 0), -ENOENT);
	assert_int_equal(mmio.nr, 1); /* BAR2 only */
	/* Just below: a real placement, decoded. */
	assert_int_equal(pci_cfg_rw(pb, devfn, 0x10, &(uint32_t){ 0xffffe000 },
				    4, 1),
			 0);
	assert_true(t.pci.bar[0].mapped);
	pci_bus_destroy(pb);
	assert_int_equal(mmio.nr, 0);
	bus_destroy(&pio);
	bus_destroy(&mmio);
}

struct reader {
	struct fx *f;
	uint64_t a, b;
	int stop;
	unsigned long hits, bad;
};

/* Hammers both candidate places of BAR0 while the main thread moves it. */
static void *reader_main(void *arg)
{
	struct reader *r = arg;
	uint32_t v;
	int ret;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		ret = mmio_rd(r->f, r->a + 0x24, &v);
		if (!ret)
			__atomic_add_fetch(&r->hits, 1, __ATOMIC_RELAXED);
		if ((!ret && v != 0x24) || (ret && v != 0xffffffff))
			r->bad++;
		ret = mmio_rd(r->f, r->b + 0x24, &v);
		if (!ret)
			__atomic_add_fetch(&r->hits, 1, __ATOMIC_RELAXED);
		if ((!ret && v != 0x24) || (ret && v != 0xffffffff))
			r->bad++;
	}
	return NULL;
}

static void test_concurrent_moves(void **state)
{
	struct fx *f = *state;
	struct reader r = { .f = f, .a = f->bar0, .b = M32_BASE + 0x100000 };
	pthread_t th;
	unsigned int i;
	uint32_t v;

	enable_decode(f, 0x2);
	assert_int_equal(pthread_create(&th, NULL, reader_main, &r), 0);
	/* At least 2000 moves, and on until the reader has seen the BAR. */
	for (i = 0;
	     i < 2000 || (i & 1) ||
	     (__atomic_load_n(&r.hits, __ATOMIC_RELAXED) < 100 && i < 10000000);
	     i++)
		ecam_wr(f, T_DEVFN, 0x10, 4, (uint32_t)(i & 1 ? r.a : r.b));
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(r.bad, 0);
	assert_true(r.hits >= 100);
	assert_int_equal(f->mmio.nr, 3);
	assert_int_equal(mmio_rd(f, r.a + 0x24, &v), 0); /* last i is odd */
	assert_int_equal(mmio_rd(f, r.b + 0x24, &v), -ENOENT);
}

/* Seeded garbage through both paths: nothing crashes, nothing leaks. */
static void test_hostile_writes(void **state)
{
	struct fx *f = *state;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	static const uint32_t lens[] = { 1, 2, 4, 3, 8 };
	unsigned int i, nmapped, b;

	for (i = 0; i < 20000; i++) {
		uint32_t len, reg, val;
		uint64_t q;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		len = lens[x % 5];
		reg = (x >> 8) % 0x1008;
		if (x & (1ull << 40))
			reg = 0x04 + ((x >> 8) & 0x23); /* command, BARs */
		val = x >> 32;
		if (!(x & (7ull << 44)))
			val = 0xffffffff;
		q = val;
		if (x & (1ull << 48))
			bus_access(&f->mmio, ECAM + (T_DEVFN << 12) + reg, &q,
				   len, (x >> 49) & 1);
		else {
			cf8_set(f, (uint32_t)(x >> 16));
			bus_access(&f->pio, 0xcf8 + (reg & 7), &q,
				   len > 4 ? 4 : len, (x >> 49) & 1);
		}
	}
	nmapped = 0;
	for (b = 0; b < PCI_NUM_BARS; b++)
		nmapped += f->t.pci.bar[b].mapped;
	assert_int_equal(f->pio.nr + f->mmio.nr, 2 + nmapped);
	pci_bus_destroy(f->pb);
	f->pb = NULL;
	assert_int_equal(f->pio.nr, 0);
	assert_int_equal(f->mmio.nr, 0);
}

static void test_destroy_leaves_buses_empty(void **state)
{
	struct fx *f = *state;

	enable_decode(f, 0x3);
	cf8_wr(f, T_DEVFN, 0x10, 4, (uint32_t)M32_BASE + 0x40000);
	assert_int_equal(f->pio.nr, 2);
	assert_int_equal(f->mmio.nr, 3);
	f->t.nev = 0;
	pci_bus_destroy(f->pb);
	f->pb = NULL;
	assert_int_equal(f->pio.nr, 0);
	assert_int_equal(f->mmio.nr, 0);
	assert_int_equal(f->t.nev, 3); /* each mapped BAR told it stopped */
	assert_int_equal(f->t.ev[0].mapped, 0);
	assert_int_equal(f->t.ev[0].addr, M32_BASE + 0x40000);
	assert_false(f->t.pci.bar[0].mapped);
	pci_bus_destroy(NULL);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_cf8_and_ecam_agree),
		T(test_absent_read_ones),
		T(test_cf8_enable_and_bus),
		T(test_ids_and_class),
		T(test_cap_walk),
		T(test_cap_chain_and_space),
		T(test_bar_sizing),
		T(test_assignment),
		T(test_decode_enable),
		T(test_decode_off_unmaps),
		T(test_bar_move),
		T(test_move_via_ecam),
		T(test_sizing_does_not_map),
		T(test_overlap_refused),
		T(test_odd_accesses),
		T(test_status_w1c),
		T(test_read_only_fields),
		T(test_setup_errors),
		T(test_mem64_fallback),
		T(test_sizing_window_to_4g),
		T(test_concurrent_moves),
		T(test_hostile_writes),
		T(test_destroy_leaves_buses_empty),
	};

	return cmocka_run_group_tests_name("pci", tests, NULL, NULL);
}
