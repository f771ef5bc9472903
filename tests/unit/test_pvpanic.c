// SPDX-License-Identifier: Apache-2.0
/*
 * test_pvpanic.c - the pvpanic PCI device on a real PCI bus: identity
 * (1b36:0011, class 0x088000), BAR0 decoding once enabled, the supported
 * events byte, and panic writes reaching the owner once per event bit.
 */
#include <errno.h>
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
#include "devices/pvpanic.h"
#include "vmm/log.h"

struct fixture {
	struct bus pio, mmio;
	struct pci_bus *pci;
	struct pvpanic *p;
	uint8_t devfn;
	uint8_t events[8];
	unsigned int nr_events;
	uint64_t bar;
};

static void on_event(void *opaque, uint8_t events)
{
	struct fixture *f = opaque;

	if (f->nr_events < 8)
		f->events[f->nr_events] = events;
	f->nr_events++;
}

static uint32_t cfg_rd(struct fixture *f, uint32_t off, uint32_t len)
{
	uint32_t v = 0;

	pci_cfg_rw(f->pci, f->devfn, off, &v, len, 0);
	return v;
}

static void cfg_wr(struct fixture *f, uint32_t off, uint32_t len, uint32_t v)
{
	pci_cfg_rw(f->pci, f->devfn, off, &v, len, 1);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct pci_bus_cfg pc = { 0 };
	struct pvpanic_cfg cfg = { .event = on_event };

	if (!f || bus_init(&f->pio, "pio") || bus_init(&f->mmio, "mmio"))
		return -1;
	pc.pio = &f->pio;
	pc.mmio = &f->mmio;
	pc.mmio32_base = 0xc0000000ull;
	pc.mmio32_size = 0x20000000ull;
	if (pci_bus_create(&pc, &f->pci))
		return -1;
	cfg.opaque = f;
	if (pvpanic_create(&cfg, &f->p) ||
	    pci_bus_add_dev(f->pci, pvpanic_pci_dev(f->p), -1, &f->devfn))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	pci_bus_destroy(f->pci);
	pvpanic_destroy(f->p);
	bus_destroy(&f->pio);
	bus_destroy(&f->mmio);
	free(f);
	return 0;
}

/* Enable memory decoding and return BAR0's address. */
static uint64_t enable(struct fixture *f)
{
	uint64_t bar = cfg_rd(f, 0x10, 4) & ~0xfull;

	cfg_wr(f, 0x04, 2, 0x2); /* memory space */
	return bar;
}

static void test_identity(void **state)
{
	struct fixture *f = *state;
	uint32_t size;

	assert_int_equal(cfg_rd(f, 0x00, 2), 0x1b36);
	assert_int_equal(cfg_rd(f, 0x02, 2), 0x0011);
	assert_int_equal(cfg_rd(f, 0x08, 4) >> 8, 0x088000);
	assert_int_equal(cfg_rd(f, 0x3d, 1), 0); /* no INTx pin */
	/* BAR0 is 32-bit memory, 16 bytes. */
	assert_int_equal(cfg_rd(f, 0x10, 4) & 0x7, 0);
	cfg_wr(f, 0x10, 4, 0xffffffff);
	size = ~(cfg_rd(f, 0x10, 4) & ~0xfu) + 1;
	assert_int_equal(size, PVPANIC_BAR_SIZE);
}

static void test_decoding_and_events(void **state)
{
	struct fixture *f = *state;
	uint8_t v = 0xee;
	uint64_t bar;

	bar = cfg_rd(f, 0x10, 4) & ~0xfull;
	assert_true(bar >= 0xc0000000ull);
	/* Not decoded before the guest enables memory space. */
	assert_int_equal(bus_access(&f->mmio, bar, &v, 1, 0), -ENOENT);
	bar = enable(f);
	assert_int_equal(bus_access(&f->mmio, bar, &v, 1, 0), 0);
	assert_int_equal(v, PVPANIC_PANICKED | PVPANIC_CRASH_LOADED);
	v = 0xee;
	assert_int_equal(bus_access(&f->mmio, bar + 4, &v, 1, 0), 0);
	assert_int_equal(v, 0);

	/* Writes elsewhere and of nothing report nothing. */
	v = PVPANIC_PANICKED;
	bus_access(&f->mmio, bar + 1, &v, 1, 1);
	v = 0;
	bus_access(&f->mmio, bar, &v, 1, 1);
	assert_int_equal(f->nr_events, 0);

	v = PVPANIC_CRASH_LOADED;
	bus_access(&f->mmio, bar, &v, 1, 1);
	assert_int_equal(f->nr_events, 1);
	assert_int_equal(f->events[0], PVPANIC_CRASH_LOADED);
	/* Both bits, an unknown one too: only the new known bit. */
	v = 0xff;
	bus_access(&f->mmio, bar, &v, 1, 1);
	assert_int_equal(f->nr_events, 2);
	assert_int_equal(f->events[1], PVPANIC_PANICKED);
	assert_int_equal(pvpanic_events(f->p), 3);
	/* A guest hammering the register is not heard again. */
	for (int i = 0; i < 1000; i++)
		bus_access(&f->mmio, bar, &v, 1, 1);
	assert_int_equal(f->nr_events, 2);
}

/* Wider accesses are split into bytes: byte 0 carries the event. */
static void test_wide_write(void **state)
{
	struct fixture *f = *state;
	uint32_t v = 0x01010100 | PVPANIC_PANICKED;
	uint64_t bar = enable(f);

	assert_int_equal(bus_access(&f->mmio, bar, &v, 4, 1), 0);
	assert_int_equal(f->nr_events, 1);
	assert_int_equal(f->events[0], PVPANIC_PANICKED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decoding_and_events, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_wide_write, setup,
						teardown),
	};

	log_set_level(LOG_ERR);
	return cmocka_run_group_tests_name("pvpanic", tests, NULL, NULL);
}
