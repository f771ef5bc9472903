// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_acpi.c - the ACPI table builder (arch/x86_64/acpi.c, acpi_dsdt.c,
 * aml.c) with any configuration: vCPU counts, PCI windows and bus
 * ranges, optional devices, and the room it may use.  A table set it
 * reports as written must be well formed: RSDP checksums, an XSDT whose
 * entries point at tables inside the room, each with a length that fits
 * and a zero checksum.
 */
#include <stdlib.h>

#include "arch/x86_64/acpi.h"
#include "arch/x86_64/layout.h"
#include "tests/fuzz/fuzz.h"

#define RAM_SIZE (1u << 20)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fz_ram ram;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_log();
	if (fz_ram_init(&ram, 0, RAM_SIZE))
		abort();
	return 0;
}

static uint8_t sum(const uint8_t *p, uint64_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

static uint64_t le(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

/* The table at gpa lies in [base, end) and sums to zero. */
static void check_table(uint64_t gpa, uint64_t base, uint64_t end)
{
	uint64_t len;

	FUZZ_CHECK(gpa >= base && gpa + 36 <= end);
	len = le(ram.host + gpa + 4, 4);
	FUZZ_CHECK(len >= 36 && gpa + len <= end);
	FUZZ_CHECK(sum(ram.host + gpa, len) == 0);
}

static void check_tables(uint64_t rsdp, uint64_t base, uint64_t end)
{
	const uint8_t *r = ram.host + rsdp;
	uint64_t xsdt, n;

	FUZZ_CHECK(rsdp >= base && rsdp + 36 <= end);
	FUZZ_CHECK(!memcmp(r, "RSD PTR ", 8));
	FUZZ_CHECK(sum(r, 20) == 0 && sum(r, 36) == 0);
	xsdt = le(r + 24, 8);
	check_table(xsdt, base, end);
	n = (le(ram.host + xsdt + 4, 4) - 36) / 8;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t t = le(ram.host + xsdt + 36 + 8 * i, 8);

		check_table(t, base, end);
		if (!memcmp(ram.host + t, "FACP", 4) &&
		    le(ram.host + t + 4, 4) >= 148)
			check_table(le(ram.host + t + 140, 8), base, end);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct x86_acpi_cfg cfg;
	uint64_t rsdp = 0, max, eb, es;
	uint8_t flags;
	struct fz f;

	fz_init(&f, data, size);
	flags = fz_u8(&f);
	memset(&cfg, 0, sizeof(cfg));
	cfg.nr_vcpus = fz_u16(&f) % 300;
	cfg.has_serial = flags & 1;
	cfg.has_pm_timer = flags & 2;
	cfg.has_pci = flags & 4;
	cfg.has_ged = flags & 8;
	cfg.ecam_base = flags & 16 ? fz_u64(&f) : X86_PCI_ECAM_BASE;
	cfg.bus_start = fz_u8(&f);
	cfg.bus_end = fz_u8(&f);
	cfg.mmio32_base = fz_u64(&f);
	cfg.mmio32_size = fz_u64(&f);
	cfg.mmio64_base = fz_u64(&f);
	cfg.mmio64_size = fz_u64(&f);
	cfg.io_base = fz_u16(&f);
	cfg.io_size = fz_u16(&f);
	cfg.ged_base = fz_u64(&f);
	cfg.ged_gsi = fz_u32(&f);
	max = flags & 32 ? fz_u32(&f) % (X86_ACPI_MAX + 1) : X86_ACPI_MAX;
	x86_acpi_pci_ecam_range(&cfg, &eb, &es);
	memset(ram.host + X86_ACPI_BASE, 0, X86_ACPI_MAX);
	if (x86_acpi_build(&ram.mem, X86_ACPI_BASE, max, &cfg, &rsdp))
		return 0;
	check_tables(rsdp, X86_ACPI_BASE, X86_ACPI_BASE + max);
	return 0;
}
