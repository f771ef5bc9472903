// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_ioapic.c - the IOAPIC (devices/ioapic.c) under a sequence of guest
 * MMIO accesses (index/data/EOI registers and beyond), interleaved with
 * device pin changes and EOIs from the local APIC.
 */
#include <stdlib.h>

#include "arch/x86_64/layout.h"
#include "devices/irq.h"
#include "devices/ioapic.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct st {
	struct ioapic *io;
	unsigned int msis, routes;
};

static void deliver(void *opaque, uint64_t addr, uint32_t data)
{
	struct st *s = opaque;

	s->msis++;
}

static int route_set(void *opaque, uint32_t gsi, uint64_t addr, uint32_t data)
{
	struct st *s = opaque;

	FUZZ_CHECK(gsi < IOAPIC_NR_PINS);
	s->routes++;
	return 0;
}

static int route_clear(void *opaque, uint32_t gsi)
{
	FUZZ_CHECK(gsi < IOAPIC_NR_PINS);
	return 0;
}

static void hook(void *opaque, uint8_t op, struct fz *f)
{
	struct st *s = opaque;

	if (op & 0x08)
		ioapic_set_irq(s->io, fz_u8(f) % IOAPIC_NR_PINS, op & 0x10);
	if (op & 0x20)
		ioapic_eoi(s->io, fz_u8(f));
	if ((op & 0xc0) == 0xc0)
		ioapic_reset(s->io);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_log();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct st s = { 0 };
	struct msi_router router = { route_set, route_clear, &s };
	struct ioapic_cfg cfg;
	struct bus mmio;
	struct fz f;

	fz_init(&f, data, size);
	ioapic_cfg_init(&cfg);
	cfg.deliver = deliver;
	cfg.opaque = &s;
	cfg.id = fz_u8(&f);
	if (cfg.id & 0x80)
		cfg.router = &router;
	if (bus_init(&mmio, "mmio"))
		abort();
	if (ioapic_create(&cfg, &s.io) ||
	    ioapic_attach(s.io, &mmio, X86_IOAPIC_ADDR))
		abort();
	fz_bus_ops(&f, &mmio, X86_IOAPIC_ADDR, X86_IOAPIC_SIZE, 4096, hook, &s);
	ioapic_destroy(s.io);
	bus_destroy(&mmio);
	return 0;
}
