// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_pci.c - PCI config space and BAR decoding (devices/pci/pci.c): a
 * bus with three functions (I/O, 32-bit, 64-bit and prefetchable BARs,
 * capabilities) under guest accesses through configuration mechanism #1
 * (ports 0xcf8-0xcff), ECAM, the BAR windows, and pci_cfg_rw directly.
 * The BAR handlers check that the bus only hands them offsets inside the
 * BAR.
 */
#include <stdlib.h>

#include "devices/pci/pci.h"
#include "tests/fuzz/fuzz.h"

#define ECAM 0xe0000000ull
#define MMIO32 0xc0000000ull
#define MMIO32_SIZE 0x20000000ull
#define MMIO64 0x100000000ull
#define MMIO64_SIZE 0x100000000ull
#define IO_BASE 0xc000u
#define IO_SIZE 0x1000u
#define NDEV 3

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct bar_st {
	uint64_t size;
	unsigned long hits;
};

struct dev_st {
	struct pci_dev d;
	struct bar_st bar[PCI_NUM_BARS];
	unsigned int maps, unmaps;
};

static int bar_rw(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct bar_st *b = opaque;

	FUZZ_CHECK(len && off < b->size && len <= b->size - off);
	b->hits++;
	return 0;
}

static int bar_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	memset(data, 0x5a, len);
	return bar_rw(opaque, off, data, len);
}

static int bar_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	return bar_rw(opaque, off, (void *)data, len);
}

static const struct io_ops bar_ops = { .read = bar_read, .write = bar_write };

static void on_bar_map(struct pci_dev *d, unsigned int bar, uint64_t addr,
		       int mapped)
{
	struct dev_st *s = d->opaque;

	FUZZ_CHECK(bar < PCI_NUM_BARS && s->bar[bar].size);
	if (mapped)
		s->maps++;
	else
		s->unmaps++;
	FUZZ_CHECK(s->unmaps <= s->maps);
}

static void on_cfg_write(struct pci_dev *d, uint32_t off, uint32_t len,
			 uint32_t val)
{
	FUZZ_CHECK(len && off < PCI_CFG_SIZE && len <= PCI_CFG_SIZE - off);
}

static const struct pci_dev_ops dev_ops = {
	.cfg_write = on_cfg_write,
	.bar_map = on_bar_map,
};

static void set_bar(struct dev_st *s, unsigned int i, uint32_t type, int pf,
		    uint64_t size)
{
	s->bar[i].size = size;
	if (pci_dev_set_bar(&s->d, i, type, pf, size, &bar_ops, &s->bar[i]))
		abort();
}

static void add_devs(struct pci_bus *pb, struct dev_st *devs)
{
	uint8_t cap, devfn;

	for (unsigned int i = 0; i < NDEV; i++) {
		struct dev_st *s = &devs[i];

		pci_dev_init(&s->d, "fuzz", 0x1af4, (uint16_t)(0x1000 + i),
			     0xff0000, 1, 0x1af4, 1, &dev_ops, s);
		switch (i) {
		case 0:
			set_bar(s, 0, PCI_BAR_IO, 0, 32);
			set_bar(s, 1, PCI_BAR_MEM32, 0, 4096);
			set_bar(s, 2, PCI_BAR_MEM64, 1, 65536);
			break;
		case 1:
			set_bar(s, 0, PCI_BAR_MEM64, 0, 16384);
			set_bar(s, 5, PCI_BAR_IO, 0, 4);
			break;
		default:
			set_bar(s, 4, PCI_BAR_MEM32, 1, 1 << 20);
			break;
		}
		if (pci_dev_add_cap(&s->d, 0x09, 16, &cap) ||
		    pci_dev_add_cap(&s->d, 0x09, 8, &cap))
			abort();
		if (pci_bus_add_dev(pb, &s->d, -1, &devfn))
			abort();
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_log();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dev_st *devs = calloc(NDEV, sizeof(*devs));
	struct bus pio, mmio;
	struct pci_bus_cfg pc = {
		.pio = &pio,
		.mmio = &mmio,
		.ecam_base = ECAM,
		.mmio32_base = MMIO32,
		.mmio32_size = MMIO32_SIZE,
		.mmio64_base = MMIO64,
		.mmio64_size = MMIO64_SIZE,
		.io_base = IO_BASE,
		.io_size = IO_SIZE,
	};
	struct pci_bus *pb;
	struct fz f;

	fz_init(&f, data, size);
	if (!devs || bus_init(&pio, "pio") || bus_init(&mmio, "mmio") ||
	    pci_bus_create(&pc, &pb))
		abort();
	add_devs(pb, devs);
	for (unsigned int n = 0; f.n && n < 2048; n++) {
		uint8_t op = fz_u8(&f), buf[8];
		uint32_t len = 1u << ((op >> 1) & 3);
		int write = op & 1;

		switch ((op >> 3) & 7) {
		case 0:
		case 1: /* mechanism #1 */
			if (write)
				fz_take(&f, buf, len);
			bus_access(&pio, 0xcf8 + fz_u8(&f) % 8, buf, len,
				   write);
			break;
		case 2: /* ECAM: bus 0 and a little beyond */
		case 3:
			if (write)
				fz_take(&f, buf, len);
			bus_access(&mmio, ECAM + fz_u32(&f) % (2u << 20), buf,
				   len, write);
			break;
		case 4: /* the BAR windows */
			if (write)
				fz_take(&f, buf, len);
			bus_access(&mmio,
				   (op & 0x40 ? MMIO64 : MMIO32) +
					   fz_u32(&f) % (4u << 20),
				   buf, len, write);
			break;
		case 5:
			if (write)
				fz_take(&f, buf, len);
			bus_access(&pio, IO_BASE + fz_u16(&f) % IO_SIZE, buf,
				   len > 4 ? 4 : len, write);
			break;
		default: { /* the VMM's own accessor, any devfn and length */
			uint8_t devfn = fz_u8(&f);
			uint32_t off = fz_u16(&f) % (PCI_CFG_SIZE + 8);

			len = fz_u8(&f) % 9;
			if (write)
				fz_take(&f, buf, len);
			pci_cfg_rw(pb, devfn, off, buf, len, write);
			break;
		}
		}
	}
	pci_bus_destroy(pb);
	for (unsigned int i = 0; i < NDEV; i++)
		FUZZ_CHECK(devs[i].maps == devs[i].unmaps);
	bus_destroy(&pio);
	bus_destroy(&mmio);
	free(devs);
	return 0;
}
