// SPDX-License-Identifier: Apache-2.0
/*
 * pci_fixture.c - shared fixture of the PCI unit tests: PIO and MMIO
 * buses, a PCI bus 0 on them and one test device with three counting
 * BARs and a vendor capability.  See pci_fixture.h.
 */
#define LOG_MOD "pcit"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/bus.h"
#include "devices/pci/pci.h"
#include "tests/lib/pci_fixture.h"
#include "vmm/log.h"

static int reg_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct pcit_region *r = opaque;
	uint64_t v = (uint64_t)r->id << 24 | off;

	r->reads++;
	r->off = off;
	r->len = len;
	memcpy(data, &v, len);
	return 0;
}

static int reg_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	struct pcit_region *r = opaque;

	r->writes++;
	r->off = off;
	r->len = len;
	r->val = 0;
	memcpy(&r->val, data, len);
	return 0;
}

const struct io_ops pcit_reg_ops = {
	.read = reg_read,
	.write = reg_write,
};

static void t_bar_map(struct pci_dev *d, unsigned int bar, uint64_t addr,
		      int mapped)
{
	struct pcit_tdev *t = d->opaque;

	if (t->nev < 256)
		t->ev[t->nev++] = (struct pcit_map_ev){ bar, addr, mapped };
}

static void t_cfg_write(struct pci_dev *d, uint32_t off, uint32_t len,
			uint32_t val)
{
	struct pcit_tdev *t = d->opaque;

	t->cfg_writes++;
	t->cw_off = off;
	t->cw_len = len;
	t->cw_val = val;
}

static const struct pci_dev_ops t_ops = {
	.cfg_write = t_cfg_write,
	.bar_map = t_bar_map,
};

void pcit_tdev_init(struct pcit_tdev *t)
{
	unsigned int i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < PCI_NUM_BARS; i++)
		t->reg[i].id = i;
	pci_dev_init(&t->pci, "tdev", PCIT_VENDOR, PCIT_DEVICE, PCIT_CLASS,
		     0x01, 0x1af4, 0x0042, &t_ops, t);
	assert_int_equal(pci_dev_set_bar(&t->pci, 0, PCI_BAR_MEM32, 0,
					 PCIT_BAR0_SIZE, &pcit_reg_ops,
					 &t->reg[0]),
			 0);
	assert_int_equal(pci_dev_set_bar(&t->pci, 2, PCI_BAR_MEM64, 1,
					 PCIT_BAR2_SIZE, &pcit_reg_ops,
					 &t->reg[2]),
			 0);
	assert_int_equal(pci_dev_set_bar(&t->pci, 4, PCI_BAR_IO, 0,
					 PCIT_BAR4_SIZE, &pcit_reg_ops,
					 &t->reg[4]),
			 0);
	assert_int_equal(pci_dev_add_cap(&t->pci, PCIT_CAP_ID, 8, &t->cap), 0);
	pci_cfg_set(&t->pci, t->cap + 2, 1, 8); /* cap length */
	pci_cfg_set(&t->pci, t->cap + 4, 4, 0xcafef00d); /* body */
}

struct pci_bus_cfg pcit_fx_cfg(struct pcit_fx *f)
{
	return (struct pci_bus_cfg){
		.pio = &f->pio,
		.mmio = &f->mmio,
		.ecam_base = PCIT_ECAM,
		.mmio32_base = PCIT_M32_BASE,
		.mmio32_size = PCIT_M32_SIZE,
		.mmio64_base = PCIT_M64_BASE,
		.mmio64_size = PCIT_M64_SIZE,
		.io_base = PCIT_IO_BASE,
		.io_size = PCIT_IO_SIZE,
	};
}

/* ---- config access helpers ------------------------------------------ */

void pcit_cf8_set(struct pcit_fx *f, uint32_t a)
{
	assert_int_equal(bus_access(&f->pio, PCI_CONFIG_ADDRESS, &a, 4, 1), 0);
}

uint32_t pcit_cf8_rd(struct pcit_fx *f, uint8_t devfn, uint32_t reg,
		     uint32_t len)
{
	uint32_t v = 0;

	pcit_cf8_set(f, 0x80000000u | devfn << 8 | (reg & 0xfc));
	assert_int_equal(bus_access(&f->pio, PCI_CONFIG_DATA + (reg & 3), &v,
				    len, 0),
			 0);
	return v;
}

void pcit_cf8_wr(struct pcit_fx *f, uint8_t devfn, uint32_t reg, uint32_t len,
		 uint32_t v)
{
	pcit_cf8_set(f, 0x80000000u | devfn << 8 | (reg & 0xfc));
	assert_int_equal(bus_access(&f->pio, PCI_CONFIG_DATA + (reg & 3), &v,
				    len, 1),
			 0);
}

uint32_t pcit_ecam_rd(struct pcit_fx *f, uint8_t devfn, uint32_t reg,
		      uint32_t len)
{
	uint32_t v = 0;

	assert_int_equal(bus_access(&f->mmio, PCIT_ECAM + (devfn << 12) + reg,
				    &v, len, 0),
			 0);
	return v;
}

void pcit_ecam_wr(struct pcit_fx *f, uint8_t devfn, uint32_t reg, uint32_t len,
		  uint32_t v)
{
	assert_int_equal(bus_access(&f->mmio, PCIT_ECAM + (devfn << 12) + reg,
				    &v, len, 1),
			 0);
}

/* Read 4 bytes through the bus at addr; -ENOENT when unclaimed. */
int pcit_mmio_rd(struct pcit_fx *f, uint64_t addr, uint32_t *v)
{
	*v = 0;
	return bus_access(&f->mmio, addr, v, 4, 0);
}

void pcit_enable_decode(struct pcit_fx *f, uint16_t bits)
{
	pcit_cf8_wr(f, PCIT_DEVFN, 0x04, 2, bits);
}

/* ---- fixture ---------------------------------------------------------- */

int pcit_setup(void **state)
{
	struct pcit_fx *f = calloc(1, sizeof(*f));
	struct pci_bus_cfg cfg;
	uint8_t devfn = 0;

	if (!f || bus_init(&f->pio, "pio") || bus_init(&f->mmio, "mmio"))
		return -1;
	/* Guest-triggered warnings are formatted but not shown. */
	f->null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	log_set_fd(f->null_fd);
	cfg = pcit_fx_cfg(f);
	if (pci_bus_create(&cfg, &f->pb))
		return -1;
	pcit_tdev_init(&f->t);
	if (pci_bus_add_dev(f->pb, &f->t.pci, PCIT_SLOT, &devfn) ||
	    devfn != PCIT_DEVFN)
		return -1;
	f->bar0 = pci_cfg_get(&f->t.pci, 0x10, 4) & ~0xfull;
	f->bar2 = (uint64_t)pci_cfg_get(&f->t.pci, 0x1c, 4) << 32 |
		  (pci_cfg_get(&f->t.pci, 0x18, 4) & ~0xfull);
	f->bar4 = pci_cfg_get(&f->t.pci, 0x20, 4) & ~3u;
	*state = f;
	return 0;
}

int pcit_teardown(void **state)
{
	struct pcit_fx *f = *state;

	pci_bus_destroy(f->pb);
	bus_destroy(&f->pio);
	bus_destroy(&f->mmio);
	log_set_fd(2);
	close(f->null_fd);
	free(f);
	return 0;
}
