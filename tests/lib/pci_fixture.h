/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pci_fixture.h - shared fixture of the PCI unit tests (test_pci.c,
 * test_pci_bar.c).  It builds a PIO and an MMIO bus, a PCI bus 0 on them
 * with ECAM at PCIT_ECAM and fixed BAR windows, and adds one test device
 * whose BAR regions count and record every access, so tests can see what
 * the guest's config and BAR accesses reached.
 *
 * All helpers check their work with cmocka assertions and fail the running
 * test on error: call them from a test, setup or teardown only.  Nothing
 * here is thread-safe beyond what bus_access itself guarantees (tests may
 * call pcit_mmio_rd from a second thread).
 */
#ifndef NIMBUS_TESTS_PCI_FIXTURE_H
#define NIMBUS_TESTS_PCI_FIXTURE_H

#include <stdint.h>

#include "devices/bus.h"
#include "devices/pci/pci.h"

#define PCIT_ECAM 0xe0000000ull
#define PCIT_M32_BASE 0xc0000000ull
#define PCIT_M32_SIZE 0x20000000ull
#define PCIT_M64_BASE 0x1000000000ull
#define PCIT_M64_SIZE (32ull << 30)
#define PCIT_IO_BASE 0xc000u
#define PCIT_IO_SIZE 0x1000u

#define PCIT_VENDOR 0x1af4
#define PCIT_DEVICE 0x10ff
#define PCIT_CLASS 0x018000 /* mass storage, other */
#define PCIT_SLOT 3
#define PCIT_DEVFN (PCIT_SLOT << 3)
#define PCIT_CAP_ID 0x09 /* vendor specific */

#define PCIT_BAR0_SIZE 0x1000ull /* MEM32 */
#define PCIT_BAR2_SIZE 0x4000ull /* MEM64, prefetchable (BAR2 + BAR3) */
#define PCIT_BAR4_SIZE 0x100ull /* IO */

/* One BAR's backing region: counts and records accesses. */
struct pcit_region {
	unsigned int id;
	unsigned int reads, writes;
	uint64_t off;
	uint32_t len;
	uint64_t val;
};

/* One bar_map callback: BAR index, address, mapped (1) or unmapped (0). */
struct pcit_map_ev {
	unsigned int bar;
	uint64_t addr;
	int mapped;
};

/*
 * The test device: BAR0 MEM32 (PCIT_BAR0_SIZE), BAR2 MEM64 prefetchable
 * (PCIT_BAR2_SIZE), BAR4 IO (PCIT_BAR4_SIZE), each backed by reg[i]
 * through pcit_reg_ops; bar_map callbacks are logged in ev[] (at most
 * 256, nev counts them) and cfg_write callbacks counted in cfg_writes
 * with the last one in cw_*.  cap is the offset of its capability.
 */
struct pcit_tdev {
	struct pci_dev pci;
	struct pcit_region reg[PCI_NUM_BARS];
	struct pcit_map_ev ev[256];
	unsigned int nev;
	unsigned int cfg_writes;
	uint32_t cw_off, cw_len, cw_val;
	uint8_t cap;
};

/*
 * Per-test state: the buses, bus 0, the test device in slot PCIT_SLOT and
 * the addresses its BARs were given at add time.
 */
struct pcit_fx {
	struct bus pio, mmio;
	struct pci_bus *pb;
	struct pcit_tdev t;
	uint64_t bar0, bar2;
	uint16_t bar4;
	int null_fd;
};

/*
 * io_ops of a struct pcit_region (opaque): reads return id << 24 | offset
 * and count in reads; writes count in writes and keep the value in val.
 * Both record the last offset and length.
 */
extern const struct io_ops pcit_reg_ops;

/* Zero *t and make it the test device (not yet on a bus). */
void pcit_tdev_init(struct pcit_tdev *t);

/* The bus configuration of the fixture, on f's buses. */
struct pci_bus_cfg pcit_fx_cfg(struct pcit_fx *f);

/* Write the CONFIG_ADDRESS latch (0xCF8) with a dword. */
void pcit_cf8_set(struct pcit_fx *f, uint32_t a);

/* Config read/write of len bytes at reg of bus 0 devfn via CF8/CFC. */
uint32_t pcit_cf8_rd(struct pcit_fx *f, uint8_t devfn, uint32_t reg,
		     uint32_t len);
void pcit_cf8_wr(struct pcit_fx *f, uint8_t devfn, uint32_t reg, uint32_t len,
		 uint32_t v);

/* Config read/write of len bytes at reg of bus 0 devfn via ECAM. */
uint32_t pcit_ecam_rd(struct pcit_fx *f, uint8_t devfn, uint32_t reg,
		      uint32_t len);
void pcit_ecam_wr(struct pcit_fx *f, uint8_t devfn, uint32_t reg, uint32_t len,
		  uint32_t v);

/*
 * Read 4 bytes of the MMIO bus at addr into *v (no assertion; safe from
 * another thread).  Returns bus_access's result: 0, or -ENOENT when
 * unclaimed.
 */
int pcit_mmio_rd(struct pcit_fx *f, uint64_t addr, uint32_t *v);

/* Write the test device's command register (16 bits) via CF8/CFC. */
void pcit_enable_decode(struct pcit_fx *f, uint16_t bits);

/*
 * cmocka setup/teardown: allocate a struct pcit_fx into *state, build the
 * buses and bus 0, add the test device at PCIT_DEVFN and record its BAR
 * addresses; logs go to /dev/null until teardown, which destroys the PCI
 * bus (if f->pb is still set; tests may destroy it and clear it), the
 * buses and frees f.  Return 0, or -1 if setup failed.
 */
int pcit_setup(void **state);
int pcit_teardown(void **state);

#endif
