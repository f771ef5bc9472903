// SPDX-License-Identifier: Apache-2.0
/*
 * test_pci.c - PCI bus 0 config space through real PIO and MMIO buses:
 * CF8/CFC and ECAM access, IDs, capabilities, read-only and W1C fields,
 * malformed accesses and setup errors.  BARs are in test_pci_bar.c; the
 * shared fixture is tests/lib/pci_fixture.h.
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

static void test_cf8_and_ecam_agree(void **state)
{
	struct pcit_fx *f = *state;
	static const uint8_t devfns[] = { 0, PCIT_DEVFN };
	uint32_t reg, i;

	for (i = 0; i < 2; i++) {
		for (reg = 0; reg < 0x100; reg += 4)
			assert_int_equal(pcit_cf8_rd(f, devfns[i], reg, 4),
					 pcit_ecam_rd(f, devfns[i], reg, 4));
		for (reg = 0; reg < 0x100; reg += 2)
			assert_int_equal(pcit_cf8_rd(f, devfns[i], reg, 2),
					 pcit_ecam_rd(f, devfns[i], reg, 2));
		for (reg = 0; reg < 0x100; reg++)
			assert_int_equal(pcit_cf8_rd(f, devfns[i], reg, 1),
					 pcit_ecam_rd(f, devfns[i], reg, 1));
	}
	/* Byte lanes: CFC+n carries register byte n of the dword. */
	assert_int_equal(pcit_cf8_rd(f, PCIT_DEVFN, 0x02, 2), PCIT_DEVICE);
	assert_int_equal(pcit_cf8_rd(f, PCIT_DEVFN, 0x0b, 1), PCIT_CLASS >> 16);
	/* A write through one path is seen through the other. */
	pcit_cf8_wr(f, PCIT_DEVFN, 0x3c, 1, 0x5a);
	assert_int_equal(pcit_ecam_rd(f, PCIT_DEVFN, 0x3c, 1), 0x5a);
	pcit_ecam_wr(f, PCIT_DEVFN, 0x3c, 1, 0xa5);
	assert_int_equal(pcit_cf8_rd(f, PCIT_DEVFN, 0x3c, 1), 0xa5);
}

static void test_absent_read_ones(void **state)
{
	struct pcit_fx *f = *state;
	unsigned int fn;

	assert_int_equal(pcit_cf8_rd(f, 5 << 3, 0, 4), 0xffffffff);
	assert_int_equal(pcit_ecam_rd(f, 5 << 3, 0, 4), 0xffffffff);
	assert_int_equal(pcit_ecam_rd(f, 31 << 3, 0x40, 2), 0xffff);
	for (fn = 1; fn < 8; fn++) {
		assert_int_equal(pcit_cf8_rd(f, PCIT_DEVFN | fn, 0, 4),
				 0xffffffff);
		assert_int_equal(pcit_ecam_rd(f, PCIT_DEVFN | fn, 0, 4),
				 0xffffffff);
		assert_int_equal(pcit_ecam_rd(f, fn, 0, 4), 0xffffffff);
	}
	/* Writes to nothing go nowhere (and do not reach slot 3 fn 0). */
	pcit_ecam_wr(f, PCIT_DEVFN | 1, 0x3c, 1, 0x77);
	assert_int_not_equal(pcit_ecam_rd(f, PCIT_DEVFN, 0x3c, 1), 0x77);
	/* Header type bit 7 clear: not multi-function. */
	assert_int_equal(pcit_ecam_rd(f, PCIT_DEVFN, 0x0e, 1), 0x00);
	assert_int_equal(pcit_ecam_rd(f, 0, 0x0e, 1), 0x00);
}

static void test_cf8_enable_and_bus(void **state)
{
	struct pcit_fx *f = *state;
	uint32_t v;

	/* Enable bit clear: all-ones, writes dropped. */
	pcit_cf8_set(f, PCIT_DEVFN << 8 | 0x3c);
	v = 0;
	assert_int_equal(bus_access(&f->pio, PCI_CONFIG_DATA, &v, 4, 0), 0);
	assert_int_equal(v, 0xffffffff);
	v = 0x33;
	assert_int_equal(bus_access(&f->pio, PCI_CONFIG_DATA, &v, 1, 1), 0);
	assert_int_not_equal(pcit_ecam_rd(f, PCIT_DEVFN, 0x3c, 1), 0x33);
	/* Bus 1 does not exist. */
	pcit_cf8_set(f, 0x80000000u | 1 << 16 | PCIT_DEVFN << 8);
	assert_int_equal(bus_access(&f->pio, PCI_CONFIG_DATA, &v, 4, 0), 0);
	assert_int_equal(v, 0xffffffff);
	/* The latch reads back; reserved bits 30:24 (AMD extended register
	 * bits 27:24) and bits 1:0 read zero. */
	pcit_cf8_set(f, 0xff000000u | 0x12345 << 2 | 3);
	assert_int_equal(bus_access(&f->pio, PCI_CONFIG_ADDRESS, &v, 4, 0), 0);
	assert_int_equal(v, 0x80000000u | 0x12345 << 2);
	/* Linux's type-1 probe: a byte write to 0xCFB leaves the latch. */
	pcit_cf8_set(f, 0x80000000u);
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
	struct pcit_fx *f = *state;

	assert_int_equal(pcit_ecam_rd(f, 0, 0x00, 2), 0x8086);
	assert_int_equal(pcit_ecam_rd(f, 0, 0x02, 2), 0x0d57);
	assert_int_equal(pcit_ecam_rd(f, 0, 0x08, 4) >> 8, 0x060000);
	assert_int_equal(pcit_ecam_rd(f, 0, 0x06, 2) & 0x10, 0); /* no caps */
	assert_int_equal(pcit_cf8_rd(f, PCIT_DEVFN, 0x00, 4),
			 PCIT_DEVICE << 16 | PCIT_VENDOR);
	assert_int_equal(pcit_cf8_rd(f, PCIT_DEVFN, 0x08, 4),
			 PCIT_CLASS << 8 | 0x01);
	assert_int_equal(pcit_cf8_rd(f, PCIT_DEVFN, 0x2c, 4),
			 0x0042u << 16 | 0x1af4);
	assert_int_equal(pcit_cf8_rd(f, PCIT_DEVFN, 0x3d, 1),
			 0); /* no INTx pin */
	assert_int_equal(pcit_cf8_rd(f, PCIT_DEVFN, 0x30, 4), 0); /* no ROM */
}

static void test_cap_walk(void **state)
{
	struct pcit_fx *f = *state;
	uint8_t p, n = 0, found = 0;

	assert_true(pcit_ecam_rd(f, PCIT_DEVFN, 0x06, 2) & 0x10);
	p = pcit_ecam_rd(f, PCIT_DEVFN, 0x34, 1);
	assert_int_equal(p, 0x40);
	while (p && n++ < 48) {
		assert_int_equal(p & 3, 0);
		assert_true(p >= 0x40);
		if (pcit_ecam_rd(f, PCIT_DEVFN, p, 1) == PCIT_CAP_ID) {
			found = p;
			assert_int_equal(pcit_cf8_rd(f, PCIT_DEVFN, p + 2, 1),
					 8);
			assert_int_equal(pcit_cf8_rd(f, PCIT_DEVFN, p + 4, 4),
					 0xcafef00d);
		}
		p = pcit_ecam_rd(f, PCIT_DEVFN, p + 1, 1);
	}
	assert_int_equal(found, f->t.cap);
	/* The body is read-only unless the device says otherwise. */
	pcit_cf8_wr(f, PCIT_DEVFN, f->t.cap + 4, 4, 0);
	pcit_cf8_wr(f, PCIT_DEVFN, f->t.cap + 1, 1, 0x80);
	assert_int_equal(pcit_cf8_rd(f, PCIT_DEVFN, f->t.cap + 4, 4),
			 0xcafef00d);
	assert_int_equal(pcit_cf8_rd(f, PCIT_DEVFN, f->t.cap + 1, 1), 0);
}

static void test_cap_chain_and_space(void **state)
{
	struct pcit_tdev t;
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

static void test_odd_accesses(void **state)
{
	struct pcit_fx *f = *state;
	uint64_t q = 0;
	uint32_t v;
	uint8_t buf[8];

	/* Unaligned CONFIG_DATA access: all-ones, writes dropped. */
	pcit_cf8_set(f, 0x80000000u | PCIT_DEVFN << 8 | 0x3c);
	v = 0;
	assert_int_equal(bus_access(&f->pio, 0xcfd, &v, 2, 0), 0);
	assert_int_equal(v, 0xffff);
	v = 0x77;
	assert_int_equal(bus_access(&f->pio, 0xcfd, &v, 2, 1), 0);
	assert_int_not_equal(pcit_ecam_rd(f, PCIT_DEVFN, 0x3d, 1), 0x77);
	/* Crossing 0xCFB/0xCFC or past 0xCFF: not config accesses. */
	assert_int_equal(bus_access(&f->pio, 0xcfa, &v, 4, 0), 0);
	assert_int_equal(v, 0xffffffff);
	assert_int_equal(bus_access(&f->pio, 0xcfe, &v, 4, 0), -ENOENT);
	/* CFC+3 byte read is register byte 3. */
	assert_int_equal(pcit_cf8_rd(f, PCIT_DEVFN, 0x0b, 1), PCIT_CLASS >> 16);
	/* PCIT_ECAM: 8-byte and unaligned accesses answer all-ones. */
	assert_int_equal(bus_access(&f->mmio, PCIT_ECAM + (PCIT_DEVFN << 12),
				    &q, 8, 0),
			 0);
	assert_true(q == ~0ull);
	assert_int_equal(pcit_ecam_rd(f, PCIT_DEVFN, 0x02 - 1, 2), 0xffff);
	assert_int_equal(pcit_ecam_rd(f, PCIT_DEVFN, 0x01, 4), 0xffffffff);
	/* Extended config space: zero, read-only, PCIT_ECAM only. */
	assert_int_equal(pcit_ecam_rd(f, PCIT_DEVFN, 0x100, 4), 0);
	pcit_ecam_wr(f, PCIT_DEVFN, 0xffc, 4, 0xffffffff);
	assert_int_equal(pcit_ecam_rd(f, PCIT_DEVFN, 0xffc, 4), 0);
	/* Direct calls with bad shapes. */
	memset(buf, 0, sizeof(buf));
	assert_int_equal(pci_cfg_rw(f->pb, PCIT_DEVFN, 0x1000, buf, 4, 0),
			 -EINVAL);
	assert_int_equal(buf[0], 0xff);
	assert_int_equal(pci_cfg_rw(f->pb, PCIT_DEVFN, 0xffe, buf, 4, 0),
			 -EINVAL);
	assert_int_equal(pci_cfg_rw(f->pb, PCIT_DEVFN, 0, buf, 3, 0), -EINVAL);
	assert_int_equal(pci_cfg_rw(f->pb, PCIT_DEVFN, 0, buf, 0, 1), -EINVAL);
	assert_int_equal(pci_cfg_rw(f->pb, PCIT_DEVFN, 0x3c, buf, 8, 1),
			 -EINVAL);
	assert_int_equal(pci_cfg_rw(f->pb, 7 << 3, 0, buf, 4, 0), -ENODEV);
	assert_int_equal(pci_cfg_rw(f->pb, PCIT_DEVFN, 0, buf, 4, 0), 0);
	assert_int_equal(buf[0] | buf[1] << 8, PCIT_VENDOR);
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
	struct pcit_fx *f = *state;

	pci_cfg_set(&f->t.pci, 0x06, 2, 0xf910);
	/* Writing zeros or to read-only status bits changes nothing. */
	pcit_cf8_wr(f, PCIT_DEVFN, 0x06, 2, 0x0000);
	pcit_cf8_wr(f, PCIT_DEVFN, 0x06, 2, 0x06ff & ~0x0100);
	assert_int_equal(pcit_cf8_rd(f, PCIT_DEVFN, 0x06, 2), 0xf910);
	/* Each 1 clears its bit only. */
	pcit_cf8_wr(f, PCIT_DEVFN, 0x06, 2, 0x0800);
	assert_int_equal(pcit_cf8_rd(f, PCIT_DEVFN, 0x06, 2), 0xf110);
	pcit_ecam_wr(f, PCIT_DEVFN, 0x07, 1, 0x81);
	assert_int_equal(pcit_ecam_rd(f, PCIT_DEVFN, 0x06, 2), 0x7010);
	/* A dword write at 0x04 carries command and status together. */
	pcit_cf8_wr(f, PCIT_DEVFN, 0x04, 4, 0xffff0000);
	assert_int_equal(pcit_cf8_rd(f, PCIT_DEVFN, 0x04, 4), 0x00100000);
	assert_int_equal(f->t.cfg_writes, 5);
	assert_int_equal(f->t.cw_off, 0x04);
	assert_int_equal(f->t.cw_len, 4);
	assert_int_equal(f->t.cw_val, 0xffff0000);
}

static void test_read_only_fields(void **state)
{
	struct pcit_fx *f = *state;
	uint32_t before[64], reg;

	for (reg = 0; reg < 0x100; reg += 4)
		before[reg / 4] = pcit_cf8_rd(f, PCIT_DEVFN, reg, 4);
	/* Command: only I/O, memory, bus master, INTx disable stick. */
	pcit_cf8_wr(f, PCIT_DEVFN, 0x04, 2, 0xfff8);
	assert_int_equal(pcit_cf8_rd(f, PCIT_DEVFN, 0x04, 2), 0x0400);
	pcit_cf8_wr(f, PCIT_DEVFN, 0x04, 2, 0);
	for (reg = 0; reg < 0x100; reg += 4) {
		if (reg == 0x04 || (reg >= 0x10 && reg < 0x28))
			continue; /* command/status, BARs: other tests */
		pcit_cf8_wr(f, PCIT_DEVFN, reg, 4, 0xffffffff);
		pcit_ecam_wr(f, PCIT_DEVFN, reg, 4, 0);
	}
	for (reg = 0; reg < 0x100; reg += 4) {
		uint32_t now = pcit_cf8_rd(f, PCIT_DEVFN, reg, 4);

		if (reg == 0x0c) /* cache line size: scratch */
			assert_int_equal(now, before[reg / 4] & ~0xffu);
		else if (reg == 0x3c) /* interrupt line: scratch */
			assert_int_equal(now, before[reg / 4] & ~0xffu);
		else if (reg != 0x04)
			assert_int_equal(now, before[reg / 4]);
	}
	pcit_cf8_wr(f, PCIT_DEVFN, 0x3c, 4, 0xffffffff);
	assert_int_equal(pcit_cf8_rd(f, PCIT_DEVFN, 0x3c, 4),
			 0xff); /* pin stays 0 */
	/* The host bridge is just as stubborn. */
	pcit_ecam_wr(f, 0, 0x00, 4, 0);
	pcit_ecam_wr(f, 0, 0x08, 4, 0);
	assert_int_equal(pcit_ecam_rd(f, 0, 0x00, 4), 0x0d578086);
	assert_int_equal(pcit_ecam_rd(f, 0, 0x08, 4), 0x06000000);
}

static void test_setup_errors(void **state)
{
	struct pcit_fx *f = *state;
	struct pci_bus_cfg cfg;
	struct pci_bus *pb;
	struct pcit_tdev t, big;
	uint8_t devfn;

	memset(&t, 0, sizeof(t));
	pci_dev_init(&t.pci, "bad", 1, 2, 0, 0, 0, 0, NULL, NULL);
	assert_int_equal(pci_dev_set_bar(&t.pci, 6, PCI_BAR_MEM32, 0, 0x1000,
					 &pcit_reg_ops, NULL),
			 -EINVAL);
	assert_int_equal(pci_dev_set_bar(&t.pci, 5, PCI_BAR_MEM64, 0, 0x1000,
					 &pcit_reg_ops, NULL),
			 -EINVAL);
	assert_int_equal(pci_dev_set_bar(&t.pci, 0, PCI_BAR_MEM32, 0, 0x1800,
					 &pcit_reg_ops, NULL),
			 -EINVAL);
	assert_int_equal(pci_dev_set_bar(&t.pci, 0, PCI_BAR_MEM32, 0, 8,
					 &pcit_reg_ops, NULL),
			 -EINVAL);
	assert_int_equal(pci_dev_set_bar(&t.pci, 0, PCI_BAR_IO, 0, 512,
					 &pcit_reg_ops, NULL),
			 -EINVAL);
	assert_int_equal(pci_dev_set_bar(&t.pci, 0, 7, 0, 0x1000, &pcit_reg_ops,
					 NULL),
			 -EINVAL);
	assert_int_equal(pci_dev_set_bar(&t.pci, 0, PCI_BAR_MEM32, 0, 0x1000,
					 NULL, NULL),
			 -EINVAL);
	assert_int_equal(pci_dev_set_bar(&t.pci, 1, PCI_BAR_MEM64, 0, 0x1000,
					 &pcit_reg_ops, NULL),
			 0);
	assert_int_equal(pci_dev_set_bar(&t.pci, 2, PCI_BAR_IO, 0, 16,
					 &pcit_reg_ops, NULL),
			 -EINVAL); /* upper half of BAR1 */
	assert_int_equal(pci_dev_set_bar(&t.pci, 0, PCI_BAR_MEM64, 0, 0x1000,
					 &pcit_reg_ops, NULL),
			 -EINVAL); /* would take BAR1 */

	assert_int_equal(pci_bus_add_dev(f->pb, &t.pci, 0, &devfn), -EBUSY);
	assert_int_equal(pci_bus_add_dev(f->pb, &t.pci, PCIT_SLOT, &devfn),
			 -EBUSY);
	assert_int_equal(pci_bus_add_dev(f->pb, &t.pci, 32, &devfn), -EINVAL);
	assert_int_equal(pci_bus_add_dev(f->pb, &f->t.pci, -1, &devfn),
			 -EINVAL); /* already added */

	/* A BAR larger than its window: -ENOSPC, nothing consumed. */
	memset(&big, 0, sizeof(big));
	pci_dev_init(&big.pci, "big", 1, 3, 0, 0, 0, 0, NULL, NULL);
	assert_int_equal(pci_dev_set_bar(&big.pci, 0, PCI_BAR_MEM64, 0, 0x1000,
					 &pcit_reg_ops, NULL),
			 0);
	assert_int_equal(pci_dev_set_bar(&big.pci, 2, PCI_BAR_MEM32, 0,
					 1ull << 30, &pcit_reg_ops, NULL),
			 0);
	assert_int_equal(pci_bus_add_dev(f->pb, &big.pci, -1, &devfn), -ENOSPC);
	assert_null(big.pci.bus);
	assert_int_equal(pci_bus_add_dev(f->pb, &t.pci, -1, &devfn), 0);
	assert_int_equal(devfn, 1 << 3);
	/* The 64-bit cursor was not advanced by the failed device. */
	assert_int_equal(pci_cfg_get(&t.pci, 0x14, 4),
			 (uint32_t)(f->bar2 + PCIT_BAR2_SIZE) | 0x4);
	assert_int_equal(pci_cfg_get(&t.pci, 0x18, 4), f->bar2 >> 32);

	/* Bad bus configurations. */
	cfg = pcit_fx_cfg(f);
	cfg.ecam_base = PCIT_ECAM + 0x1000;
	assert_int_equal(pci_bus_create(&cfg, &pb), -EINVAL);
	cfg = pcit_fx_cfg(f);
	cfg.mmio32_base = 0xf0000000;
	assert_int_equal(pci_bus_create(&cfg, &pb), -EINVAL);
	cfg = pcit_fx_cfg(f);
	cfg.io_base = 0xff00;
	assert_int_equal(pci_bus_create(&cfg, &pb), -EINVAL);
	cfg = pcit_fx_cfg(f); /* CF8 and PCIT_ECAM already taken by f->pb */
	assert_int_equal(pci_bus_create(&cfg, &pb), -EEXIST);
	cfg.pio = NULL;
	cfg.io_size = 0;
	assert_int_equal(pci_bus_create(&cfg, &pb), -EEXIST);
	assert_int_equal(f->pio.nr, 1);
	assert_int_equal(f->mmio.nr, 1);
}

/* Seeded garbage through both paths: nothing crashes, nothing leaks. */
static void test_hostile_writes(void **state)
{
	struct pcit_fx *f = *state;
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
			bus_access(&f->mmio,
				   PCIT_ECAM + (PCIT_DEVFN << 12) + reg, &q,
				   len, (x >> 49) & 1);
		else {
			pcit_cf8_set(f, (uint32_t)(x >> 16));
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

#define T(fn) cmocka_unit_test_setup_teardown(fn, pcit_setup, pcit_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_cf8_and_ecam_agree), T(test_absent_read_ones),
		T(test_cf8_enable_and_bus), T(test_ids_and_class),
		T(test_cap_walk),	    T(test_cap_chain_and_space),
		T(test_odd_accesses),	    T(test_status_w1c),
		T(test_read_only_fields),   T(test_setup_errors),
		T(test_hostile_writes),
	};

	return cmocka_run_group_tests_name("pci", tests, NULL, NULL);
}
