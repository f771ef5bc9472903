// SPDX-License-Identifier: Apache-2.0
/*
 * test_pci_bar.c - PCI BARs through real PIO and MMIO buses: sizing,
 * assignment, decode enable, moves (also racing a reader thread), overlap
 * and teardown.  The shared fixture is tests/lib/pci_fixture.h.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "devices/bus.h"
#include "devices/pci/pci.h"
#include "tests/lib/pci_fixture.h"

static void test_bar_sizing(void **state)
{
	struct pcit_fx *f = *state;
	uint32_t orig;

	orig = pcit_cf8_rd(f, PCIT_DEVFN, 0x10, 4);
	assert_int_equal(orig & 0xf, 0); /* MEM32, not prefetchable */
	pcit_cf8_wr(f, PCIT_DEVFN, 0x10, 4, 0xffffffff);
	assert_int_equal(pcit_cf8_rd(f, PCIT_DEVFN, 0x10, 4), 0xfffff000);
	pcit_cf8_wr(f, PCIT_DEVFN, 0x10, 4, orig);
	assert_int_equal(pcit_cf8_rd(f, PCIT_DEVFN, 0x10, 4), orig);

	/* 64-bit prefetchable: type 10b, bit 3; the upper dword sizes too. */
	orig = pcit_ecam_rd(f, PCIT_DEVFN, 0x18, 4);
	assert_int_equal(orig & 0xf, 0xc);
	pcit_ecam_wr(f, PCIT_DEVFN, 0x18, 4, 0xffffffff);
	assert_int_equal(pcit_ecam_rd(f, PCIT_DEVFN, 0x18, 4), 0xffffc00c);
	pcit_ecam_wr(f, PCIT_DEVFN, 0x18, 4, orig);
	orig = pcit_ecam_rd(f, PCIT_DEVFN, 0x1c, 4);
	pcit_ecam_wr(f, PCIT_DEVFN, 0x1c, 4, 0xffffffff);
	assert_int_equal(pcit_ecam_rd(f, PCIT_DEVFN, 0x1c, 4), 0xffffffff);
	pcit_ecam_wr(f, PCIT_DEVFN, 0x1c, 4, orig);
	assert_int_equal(pcit_ecam_rd(f, PCIT_DEVFN, 0x1c, 4), f->bar2 >> 32);

	/* IO: bit 0 set, upper 16 bits hardwired to zero. */
	orig = pcit_cf8_rd(f, PCIT_DEVFN, 0x20, 4);
	assert_int_equal(orig & 3, 1);
	pcit_cf8_wr(f, PCIT_DEVFN, 0x20, 4, 0xffffffff);
	assert_int_equal(pcit_cf8_rd(f, PCIT_DEVFN, 0x20, 4), 0x0000ff01);
	pcit_cf8_wr(f, PCIT_DEVFN, 0x20, 4, orig);

	/* Unused BARs and the expansion ROM size to zero. */
	pcit_cf8_wr(f, PCIT_DEVFN, 0x14, 4, 0xffffffff);
	pcit_cf8_wr(f, PCIT_DEVFN, 0x24, 4, 0xffffffff);
	pcit_cf8_wr(f, PCIT_DEVFN, 0x30, 4, 0xffffffff);
	assert_int_equal(pcit_cf8_rd(f, PCIT_DEVFN, 0x14, 4), 0);
	assert_int_equal(pcit_cf8_rd(f, PCIT_DEVFN, 0x24, 4), 0);
	assert_int_equal(pcit_cf8_rd(f, PCIT_DEVFN, 0x30, 4), 0);
	assert_int_equal(f->t.nev, 0); /* decode was never on */
}

static void test_assignment(void **state)
{
	struct pcit_fx *f = *state;
	struct pcit_tdev t2;
	uint8_t devfn;
	uint64_t a0;

	assert_true(f->bar0 >= PCIT_M32_BASE &&
		    f->bar0 + PCIT_BAR0_SIZE <= PCIT_M32_BASE + PCIT_M32_SIZE);
	assert_int_equal(f->bar0 & (PCIT_BAR0_SIZE - 1), 0);
	assert_true(f->bar2 >= PCIT_M64_BASE &&
		    f->bar2 + PCIT_BAR2_SIZE <= PCIT_M64_BASE + PCIT_M64_SIZE);
	assert_int_equal(f->bar2 & (PCIT_BAR2_SIZE - 1), 0);
	assert_true(f->bar4 >= PCIT_IO_BASE &&
		    f->bar4 + PCIT_BAR4_SIZE <= PCIT_IO_BASE + PCIT_IO_SIZE);
	assert_int_equal(f->bar4 & (PCIT_BAR4_SIZE - 1), 0);
	/* Decode left to the guest. */
	assert_int_equal(pcit_cf8_rd(f, PCIT_DEVFN, 0x04, 2), 0);
	assert_int_equal(f->pio.nr, 1); /* CF8/CFC only */
	assert_int_equal(f->mmio.nr, 1); /* PCIT_ECAM only */

	/* A second device: first free slot, disjoint aligned BARs. */
	pcit_tdev_init(&t2);
	assert_int_equal(pci_bus_add_dev(f->pb, &t2.pci, -1, &devfn), 0);
	assert_int_equal(devfn, 1 << 3);
	a0 = pci_cfg_get(&t2.pci, 0x10, 4) & ~0xfull;
	assert_true(a0 >= PCIT_M32_BASE && a0 != f->bar0);
	assert_int_equal(a0 & (PCIT_BAR0_SIZE - 1), 0);
	assert_int_not_equal(pci_cfg_get(&t2.pci, 0x20, 4) & ~3u, f->bar4);
	assert_int_equal(pcit_ecam_rd(f, 1 << 3, 0, 2), PCIT_VENDOR);
}

static void test_decode_enable(void **state)
{
	struct pcit_fx *f = *state;
	uint32_t v;
	uint8_t b;

	/* Not decoded before the command bits are set. */
	assert_int_equal(pcit_mmio_rd(f, f->bar0 + 0x10, &v), -ENOENT);
	assert_int_equal(pcit_mmio_rd(f, f->bar2 + 0x10, &v), -ENOENT);
	assert_int_equal(bus_access(&f->pio, f->bar4 + 1, &b, 1, 0), -ENOENT);

	pcit_enable_decode(f, 0x2); /* memory only */
	assert_int_equal(f->t.nev, 2);
	assert_int_equal(f->t.ev[0].bar, 0);
	assert_int_equal(f->t.ev[0].addr, f->bar0);
	assert_int_equal(f->t.ev[0].mapped, 1);
	assert_int_equal(f->t.ev[1].bar, 2);
	assert_int_equal(f->t.ev[1].addr, f->bar2);
	assert_int_equal(f->t.ev[1].mapped, 1);
	assert_int_equal(pcit_mmio_rd(f, f->bar0 + 0x10, &v), 0);
	assert_int_equal(v, 0x10);
	assert_int_equal(f->t.reg[0].off, 0x10);
	assert_int_equal(f->t.reg[0].len, 4);
	v = 0x1234;
	assert_int_equal(bus_access(&f->mmio, f->bar2 + 0x3ff8, &v, 4, 1), 0);
	assert_int_equal(f->t.reg[2].writes, 1);
	assert_int_equal(f->t.reg[2].off, 0x3ff8);
	assert_int_equal(f->t.reg[2].val, 0x1234);
	/* Past the end of the BAR is not the device's. */
	assert_int_equal(pcit_mmio_rd(f, f->bar0 + PCIT_BAR0_SIZE, &v),
			 -ENOENT);
	assert_int_equal(bus_access(&f->pio, f->bar4 + 1, &b, 1, 0), -ENOENT);

	pcit_enable_decode(f, 0x3); /* and I/O */
	assert_int_equal(f->t.nev, 3);
	assert_int_equal(f->t.ev[2].bar, 4);
	assert_int_equal(f->t.ev[2].addr, f->bar4);
	assert_int_equal(bus_access(&f->pio, f->bar4 + 0xfe, &b, 1, 0), 0);
	assert_int_equal(b, 0xfe);
	assert_int_equal(f->t.reg[4].off, 0xfe);
	/* Re-writing the same command register changes nothing. */
	pcit_enable_decode(f, 0x3);
	assert_int_equal(f->t.nev, 3);
}

static void test_decode_off_unmaps(void **state)
{
	struct pcit_fx *f = *state;
	unsigned int i;
	uint32_t v;

	for (i = 0; i < 20; i++) {
		pcit_enable_decode(f, 0x3);
		pcit_enable_decode(f, 0x0);
	}
	assert_int_equal(f->t.nev, 120);
	assert_int_equal(f->t.ev[119].mapped, 0);
	assert_int_equal(f->t.ev[119].bar, 4);
	assert_int_equal(f->t.ev[119].addr, f->bar4);
	assert_int_equal(pcit_mmio_rd(f, f->bar0, &v), -ENOENT);
	assert_int_equal(v, 0xffffffff);
	assert_int_equal(f->pio.nr, 1);
	assert_int_equal(f->mmio.nr, 1);
	/* Memory off, I/O on: only the I/O BAR. */
	pcit_enable_decode(f, 0x1);
	assert_int_equal(f->pio.nr, 2);
	assert_int_equal(f->mmio.nr, 1);
}

static void test_bar_move(void **state)
{
	struct pcit_fx *f = *state;
	uint64_t new0 = PCIT_M32_BASE + 0x100000;
	uint32_t v;
	uint8_t b;

	pcit_enable_decode(f, 0x3);
	f->t.nev = 0;
	pcit_cf8_wr(f, PCIT_DEVFN, 0x10, 4, (uint32_t)new0);
	assert_int_equal(f->t.nev, 2);
	assert_int_equal(f->t.ev[0].bar, 0);
	assert_int_equal(f->t.ev[0].addr, f->bar0);
	assert_int_equal(f->t.ev[0].mapped, 0);
	assert_int_equal(f->t.ev[1].bar, 0);
	assert_int_equal(f->t.ev[1].addr, new0);
	assert_int_equal(f->t.ev[1].mapped, 1);
	assert_int_equal(pcit_mmio_rd(f, f->bar0 + 8, &v), -ENOENT);
	assert_int_equal(pcit_mmio_rd(f, new0 + 8, &v), 0);
	assert_int_equal(v, 8);
	assert_int_equal(f->t.pci.bar[0].addr, new0);
	assert_int_equal(f->mmio.nr, 3);

	/* The I/O BAR moves with a 16-bit write of its low half. */
	pcit_cf8_wr(f, PCIT_DEVFN, 0x20, 2, 0xd001);
	assert_int_equal(bus_access(&f->pio, f->bar4, &b, 1, 0), -ENOENT);
	assert_int_equal(bus_access(&f->pio, 0xd000 + 3, &b, 1, 0), -ENOENT);
	assert_false(f->t.pci.bar[4].mapped); /* outside the I/O window */
	assert_int_equal(f->t.nev, 3);
	assert_int_equal(f->t.ev[2].bar, 4);
	assert_int_equal(f->t.ev[2].mapped, 0);
	pcit_cf8_wr(f, PCIT_DEVFN, 0x20, 2, 0xcf01);
	assert_int_equal(f->t.nev, 4);
	assert_int_equal(f->t.ev[3].addr, 0xcf00);
	assert_int_equal(f->t.ev[3].mapped, 1);
	assert_int_equal(bus_access(&f->pio, 0xcf00 + 3, &b, 1, 0), 0);
	assert_int_equal(b, 3);
	assert_int_equal(f->pio.nr, 2);
}

static void test_move_via_ecam(void **state)
{
	struct pcit_fx *f = *state;
	uint64_t new2 = PCIT_M32_BASE + 0x200000; /* into the 32-bit window */
	uint64_t new0 = PCIT_M32_BASE + 0x300000;
	uint32_t v;

	pcit_enable_decode(f, 0x2);
	/* Moves arrive on the very MMIO bus whose map they change. */
	pcit_ecam_wr(f, PCIT_DEVFN, 0x10, 4, (uint32_t)new0);
	pcit_ecam_wr(f, PCIT_DEVFN, 0x18, 4, (uint32_t)new2);
	pcit_ecam_wr(f, PCIT_DEVFN, 0x1c, 4, 0);
	assert_int_equal(pcit_mmio_rd(f, f->bar0, &v), -ENOENT);
	assert_int_equal(pcit_mmio_rd(f, f->bar2, &v), -ENOENT);
	assert_int_equal(pcit_mmio_rd(f, new0 + 4, &v), 0);
	assert_int_equal(v, 4);
	assert_int_equal(pcit_mmio_rd(f, new2 + 0x3000, &v), 0);
	assert_int_equal(v, 2u << 24 | 0x3000);
	assert_int_equal(f->t.ev[f->t.nev - 1].bar, 2);
	assert_int_equal(f->t.ev[f->t.nev - 1].addr, new2);
	assert_int_equal(f->t.ev[f->t.nev - 1].mapped, 1);
	assert_int_equal(f->mmio.nr, 3);
	assert_int_equal(pcit_ecam_rd(f, PCIT_DEVFN, 0x18, 4),
			 (uint32_t)new2 | 0xc);
}

static void test_sizing_does_not_map(void **state)
{
	struct pcit_fx *f = *state;
	uint32_t v, orig;

	pcit_enable_decode(f, 0x3);
	f->t.nev = 0;
	orig = pcit_cf8_rd(f, PCIT_DEVFN, 0x10, 4);
	pcit_cf8_wr(f, PCIT_DEVFN, 0x10, 4, 0xffffffff);
	assert_int_equal(f->t.nev, 1);
	assert_int_equal(f->t.ev[0].mapped, 0);
	assert_int_equal(pcit_mmio_rd(f, 0xfffff000, &v), -ENOENT);
	assert_int_equal(pcit_mmio_rd(f, f->bar0, &v), -ENOENT);
	pcit_cf8_wr(f, PCIT_DEVFN, 0x10, 4, orig);
	assert_int_equal(f->t.nev, 2);
	assert_int_equal(f->t.ev[1].mapped, 1);
	assert_int_equal(f->t.ev[1].addr, f->bar0);
	assert_int_equal(pcit_mmio_rd(f, f->bar0, &v), 0);

	/* Both halves of the 64-bit BAR at all-ones: nothing mapped. */
	pcit_ecam_wr(f, PCIT_DEVFN, 0x1c, 4, 0xffffffff);
	pcit_ecam_wr(f, PCIT_DEVFN, 0x18, 4, 0xffffffff);
	assert_false(f->t.pci.bar[2].mapped);
	/* IO sizing too. */
	pcit_cf8_wr(f, PCIT_DEVFN, 0x20, 4, 0xffffffff);
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
	struct pcit_fx *f = *state;
	uint64_t busy = PCIT_M32_BASE + 0x400000;
	uint32_t v;

	assert_int_equal(bus_register(&f->mmio, busy, 0x1000, &dummy_ops, NULL,
				      "busy"),
			 0);
	pcit_enable_decode(f, 0x3);
	f->t.nev = 0;
	pcit_cf8_wr(f, PCIT_DEVFN, 0x10, 4, (uint32_t)busy);
	assert_false(f->t.pci.bar[0].mapped);
	assert_int_equal(f->t.nev, 1); /* unmapped from the old place only */
	assert_int_equal(pcit_mmio_rd(f, busy, &v), 0);
	assert_int_equal(v, 0x5a5a5a5a); /* the other owner keeps it */
	/* Onto another BAR of the same device. */
	pcit_cf8_wr(f, PCIT_DEVFN, 0x10, 4, (uint32_t)f->bar0);
	assert_true(f->t.pci.bar[0].mapped);
	pcit_ecam_wr(f, PCIT_DEVFN, 0x18, 4, (uint32_t)f->bar0 | 0xc);
	pcit_ecam_wr(f, PCIT_DEVFN, 0x1c, 4, 0);
	assert_false(f->t.pci.bar[2].mapped);
	assert_int_equal(pcit_mmio_rd(f, f->bar0 + 0x20, &v), 0);
	assert_int_equal(v, 0x20); /* still BAR0's */
	/* Address zero and addresses outside the windows decode nothing. */
	pcit_cf8_wr(f, PCIT_DEVFN, 0x10, 4, 0);
	assert_false(f->t.pci.bar[0].mapped);
	pcit_cf8_wr(f, PCIT_DEVFN, 0x10, 4, 0x80000000);
	assert_false(f->t.pci.bar[0].mapped);
	assert_int_equal(pcit_mmio_rd(f, 0x80000000, &v), -ENOENT);
	/* The guest can fix it: a retry on the next write succeeds. */
	pcit_ecam_wr(f, PCIT_DEVFN, 0x18, 4,
		     (uint32_t)(PCIT_M32_BASE + 0x800000) | 0xc);
	assert_true(f->t.pci.bar[2].mapped);
	pcit_cf8_wr(f, PCIT_DEVFN, 0x10, 4, (uint32_t)PCIT_M32_BASE + 0x10000);
	assert_true(f->t.pci.bar[0].mapped);
	assert_int_equal(f->mmio.nr, 4);
	assert_int_equal(bus_unregister(&f->mmio, busy), 0);
}

static void test_mem64_fallback(void **state)
{
	struct pcit_fx *f = *state;
	struct pci_bus_cfg cfg = pcit_fx_cfg(f);
	struct bus pio, mmio;
	struct pci_bus *pb;
	struct pcit_tdev t;
	uint8_t devfn;
	uint64_t a2;

	assert_int_equal(bus_init(&pio, "pio2"), 0);
	assert_int_equal(bus_init(&mmio, "mmio2"), 0);
	cfg.pio = &pio;
	cfg.mmio = &mmio;
	cfg.mmio64_size = 0;
	assert_int_equal(pci_bus_create(&cfg, &pb), 0);
	pcit_tdev_init(&t);
	assert_int_equal(pci_bus_add_dev(pb, &t.pci, -1, &devfn), 0);
	a2 = (uint64_t)pci_cfg_get(&t.pci, 0x1c, 4) << 32 |
	     (pci_cfg_get(&t.pci, 0x18, 4) & ~0xfull);
	assert_true(a2 >= PCIT_M32_BASE &&
		    a2 + PCIT_BAR2_SIZE <= PCIT_M32_BASE + PCIT_M32_SIZE);
	assert_int_equal(a2 & (PCIT_BAR2_SIZE - 1), 0);
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
	struct pcit_fx *f = *state;
	struct pci_bus_cfg cfg = pcit_fx_cfg(f);
	struct bus pio, mmio;
	struct pci_bus *pb;
	struct pcit_tdev t;
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
	pcit_tdev_init(&t);
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
	struct pcit_fx *f;
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
		ret = pcit_mmio_rd(r->f, r->a + 0x24, &v);
		if (!ret)
			__atomic_add_fetch(&r->hits, 1, __ATOMIC_RELAXED);
		if ((!ret && v != 0x24) || (ret && v != 0xffffffff))
			r->bad++;
		ret = pcit_mmio_rd(r->f, r->b + 0x24, &v);
		if (!ret)
			__atomic_add_fetch(&r->hits, 1, __ATOMIC_RELAXED);
		if ((!ret && v != 0x24) || (ret && v != 0xffffffff))
			r->bad++;
	}
	return NULL;
}

static void test_concurrent_moves(void **state)
{
	struct pcit_fx *f = *state;
	struct reader r = { .f = f,
			    .a = f->bar0,
			    .b = PCIT_M32_BASE + 0x100000 };
	pthread_t th;
	unsigned int i;
	uint32_t v;

	pcit_enable_decode(f, 0x2);
	assert_int_equal(pthread_create(&th, NULL, reader_main, &r), 0);
	/* At least 2000 moves, and on until the reader has seen the BAR. */
	for (i = 0;
	     i < 2000 || (i & 1) ||
	     (__atomic_load_n(&r.hits, __ATOMIC_RELAXED) < 100 && i < 10000000);
	     i++)
		pcit_ecam_wr(f, PCIT_DEVFN, 0x10, 4,
			     (uint32_t)(i & 1 ? r.a : r.b));
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(r.bad, 0);
	assert_true(r.hits >= 100);
	assert_int_equal(f->mmio.nr, 3);
	assert_int_equal(pcit_mmio_rd(f, r.a + 0x24, &v),
			 0); /* last i is odd */
	assert_int_equal(pcit_mmio_rd(f, r.b + 0x24, &v), -ENOENT);
}

static void test_destroy_leaves_buses_empty(void **state)
{
	struct pcit_fx *f = *state;

	pcit_enable_decode(f, 0x3);
	pcit_cf8_wr(f, PCIT_DEVFN, 0x10, 4, (uint32_t)PCIT_M32_BASE + 0x40000);
	assert_int_equal(f->pio.nr, 2);
	assert_int_equal(f->mmio.nr, 3);
	f->t.nev = 0;
	pci_bus_destroy(f->pb);
	f->pb = NULL;
	assert_int_equal(f->pio.nr, 0);
	assert_int_equal(f->mmio.nr, 0);
	assert_int_equal(f->t.nev, 3); /* each mapped BAR told it stopped */
	assert_int_equal(f->t.ev[0].mapped, 0);
	assert_int_equal(f->t.ev[0].addr, PCIT_M32_BASE + 0x40000);
	assert_false(f->t.pci.bar[0].mapped);
	pci_bus_destroy(NULL);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, pcit_setup, pcit_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_bar_sizing),
		T(test_assignment),
		T(test_decode_enable),
		T(test_decode_off_unmaps),
		T(test_bar_move),
		T(test_move_via_ecam),
		T(test_sizing_does_not_map),
		T(test_overlap_refused),
		T(test_mem64_fallback),
		T(test_sizing_window_to_4g),
		T(test_concurrent_moves),
		T(test_destroy_leaves_buses_empty),
	};

	return cmocka_run_group_tests_name("pci_bar", tests, NULL, NULL);
}
