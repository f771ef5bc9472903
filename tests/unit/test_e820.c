// SPDX-License-Identifier: Apache-2.0
/*
 * test_e820.c - memory layout split, the e820 map builder (with extra
 * reserved ranges) and the 64-bit PCI window helper.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86_64/boot.h"
#include "arch/x86_64/layout.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)

struct want {
	uint64_t addr, size;
	uint32_t type;
};

static void check_map(uint64_t mem, const struct want *w, unsigned int nw)
{
	struct x86_e820_entry e[16];
	struct x86_mem_layout l;
	unsigned int nr = 99, i;

	memset(e, 0xa5, sizeof(e));
	x86_mem_layout_from_size(mem, &l);
	assert_int_equal(l.low_size + l.high_size, mem);
	assert_int_equal(x86_e820_build(&l, e, 16, &nr), 0);
	assert_int_equal(nr, nw);
	for (i = 0; i < nr; i++) {
		assert_int_equal(e[i].addr, w[i].addr);
		assert_int_equal(e[i].size, w[i].size);
		assert_int_equal(e[i].type, w[i].type);
		/* sorted, disjoint */
		if (i)
			assert_true(e[i].addr >= e[i - 1].addr + e[i - 1].size);
	}
	/* Entry nr is untouched. */
	assert_int_equal(e[nr].type, 0xa5a5a5a5u);
}

static void test_128m(void **state)
{
	static const struct want w[] = {
		{ 0, 0x9fc00, 1 },
		{ 0x9fc00, 0x100000 - 0x9fc00, 2 },
		{ MiB, 127 * MiB, 1 },
	};

	check_map(128 * MiB, w, 3);
}

static void test_512m(void **state)
{
	static const struct want w[] = {
		{ 0, 0x9fc00, 1 },
		{ 0x9fc00, 0x60400, 2 },
		{ MiB, 511 * MiB, 1 },
	};

	check_map(512 * MiB, w, 3);
}

static void test_3g(void **state)
{
	static const struct want w[] = {
		{ 0, 0x9fc00, 1 },
		{ 0x9fc00, 0x60400, 2 },
		{ MiB, 0xc0000000ull - MiB, 1 },
	};
	struct x86_mem_layout l;

	x86_mem_layout_from_size(3 * GiB, &l);
	assert_int_equal(l.low_size, 0xc0000000ull);
	assert_int_equal(l.high_size, 0);
	check_map(3 * GiB, w, 3);
}

static void test_8g(void **state)
{
	static const struct want w[] = {
		{ 0, 0x9fc00, 1 },
		{ 0x9fc00, 0x60400, 2 },
		{ MiB, 0xc0000000ull - MiB, 1 },
		{ 0x100000000ull, 5 * GiB, 1 },
	};
	struct x86_mem_layout l;

	x86_mem_layout_from_size(8 * GiB, &l);
	assert_int_equal(l.low_size, X86_MMIO_HOLE_START);
	assert_int_equal(l.high_size, 5 * GiB);
	check_map(8 * GiB, w, 4);
}

static void test_just_over_hole(void **state)
{
	static const struct want w[] = {
		{ 0, 0x9fc00, 1 },
		{ 0x9fc00, 0x60400, 2 },
		{ MiB, 0xc0000000ull - MiB, 1 },
		{ 0x100000000ull, 0x1000, 1 },
	};

	check_map(3 * GiB + 0x1000, w, 4);
}

/* The reserved entry covers the EBDA, BIOS area and the ACPI tables. */
static void test_acpi_reserved(void **state)
{
	struct x86_e820_entry e[4];
	struct x86_mem_layout l = { .low_size = 64 * MiB, .high_size = 0 };
	unsigned int nr, i, hits = 0;

	assert_int_equal(x86_e820_build(&l, e, 4, &nr), 0);
	for (i = 0; i < nr; i++) {
		if (X86_ACPI_BASE >= e[i].addr &&
		    X86_ACPI_BASE + X86_ACPI_MAX <= e[i].addr + e[i].size) {
			assert_int_equal(e[i].type, X86_E820_RESERVED);
			hits++;
		}
	}
	assert_int_equal(hits, 1);
}

static void test_enospc(void **state)
{
	struct x86_e820_entry e[4];
	struct x86_mem_layout l;
	unsigned int nr = 77;

	x86_mem_layout_from_size(8 * GiB, &l);
	assert_int_equal(x86_e820_build(&l, e, 3, &nr), -ENOSPC);
	assert_int_equal(nr, 77);
	assert_int_equal(x86_e820_build(&l, e, 0, &nr), -ENOSPC);
	assert_int_equal(x86_e820_build(&l, NULL, 0, &nr), -ENOSPC);
	assert_int_equal(x86_e820_build(&l, e, 4, &nr), 0);
	assert_int_equal(nr, 4);
	x86_mem_layout_from_size(128 * MiB, &l);
	assert_int_equal(x86_e820_build(&l, e, 2, &nr), -ENOSPC);
	assert_int_equal(x86_e820_build(&l, e, 3, &nr), 0);
	assert_int_equal(nr, 3);
}

static void test_einval(void **state)
{
	struct x86_e820_entry e[8];
	struct x86_mem_layout l;
	unsigned int nr;

	l = (struct x86_mem_layout){ .low_size = 0, .high_size = 0 };
	assert_int_equal(x86_e820_build(&l, e, 8, &nr), -EINVAL);
	l = (struct x86_mem_layout){ .low_size = MiB, .high_size = 0 };
	assert_int_equal(x86_e820_build(&l, e, 8, &nr), -EINVAL);
	l = (struct x86_mem_layout){ .low_size = 64 * MiB + 512,
				     .high_size = 0 };
	assert_int_equal(x86_e820_build(&l, e, 8, &nr), -EINVAL);
	l = (struct x86_mem_layout){ .low_size = 64 * MiB, .high_size = 100 };
	assert_int_equal(x86_e820_build(&l, e, 8, &nr), -EINVAL);
	l = (struct x86_mem_layout){ .low_size = X86_MMIO_HOLE_START + 0x1000,
				     .high_size = 0 };
	assert_int_equal(x86_e820_build(&l, e, 8, &nr), -EINVAL);
	l = (struct x86_mem_layout){ .low_size = 64 * MiB,
				     .high_size = ~0xfffull };
	assert_int_equal(x86_e820_build(&l, e, 8, &nr), -EINVAL);
	l = (struct x86_mem_layout){ .low_size = 64 * MiB, .high_size = 0 };
	assert_int_equal(x86_e820_build(NULL, e, 8, &nr), -EINVAL);
	assert_int_equal(x86_e820_build(&l, e, 8, NULL), -EINVAL);
	assert_int_equal(x86_e820_build(&l, NULL, 8, &nr), -EINVAL);
	/* Smallest valid: 1 MiB + one page. */
	l = (struct x86_mem_layout){ .low_size = MiB + 0x1000, .high_size = 0 };
	assert_int_equal(x86_e820_build(&l, e, 8, &nr), 0);
	assert_int_equal(e[2].size, 0x1000);
}

/* The ECAM range reserved in the hole: between low and high RAM. */
static void test_reserved_ecam(void **state)
{
	static const struct want w8g[] = {
		{ 0, 0x9fc00, 1 },
		{ 0x9fc00, 0x60400, 2 },
		{ MiB, 0xc0000000ull - MiB, 1 },
		{ X86_PCI_ECAM_BASE, MiB, 2 },
		{ 0x100000000ull, 5 * GiB, 1 },
	};
	static const struct want w128m[] = {
		{ 0, 0x9fc00, 1 },
		{ 0x9fc00, 0x60400, 2 },
		{ MiB, 127 * MiB, 1 },
		{ X86_PCI_ECAM_BASE, MiB, 2 },
	};
	struct x86_e820_entry e[8];
	struct x86_mem_layout l;
	unsigned int nr = 0, i;

	x86_mem_layout_from_size(8 * GiB, &l);
	assert_int_equal(x86_mem_layout_reserve(&l, X86_PCI_ECAM_BASE, MiB), 0);
	assert_int_equal(x86_e820_build(&l, e, 8, &nr), 0);
	assert_int_equal(nr, 5);
	for (i = 0; i < nr; i++) {
		assert_int_equal(e[i].addr, w8g[i].addr);
		assert_int_equal(e[i].size, w8g[i].size);
		assert_int_equal(e[i].type, w8g[i].type);
	}
	/* One entry more than without it: max 4 is now too small. */
	assert_int_equal(x86_e820_build(&l, e, 4, &nr), -ENOSPC);

	x86_mem_layout_from_size(128 * MiB, &l);
	assert_int_equal(x86_mem_layout_reserve(&l, X86_PCI_ECAM_BASE, MiB), 0);
	assert_int_equal(x86_e820_build(&l, e, 8, &nr), 0);
	assert_int_equal(nr, 4);
	for (i = 0; i < nr; i++) {
		assert_int_equal(e[i].addr, w128m[i].addr);
		assert_int_equal(e[i].size, w128m[i].size);
		assert_int_equal(e[i].type, w128m[i].type);
	}
}

/* Ranges given out of order come out sorted; touching RAM is fine. */
static void test_reserved_sorted(void **state)
{
	static const struct want w[] = {
		{ 0, 0x9fc00, 1 },
		{ 0x9fc00, 0x60400, 2 },
		{ MiB, 0xc0000000ull - MiB, 1 },
		{ 0xc0000000ull, 0x1000, 2 }, /* right after low RAM */
		{ 0xe0000000ull, 16 * MiB, 2 },
		{ 0xe1000000ull, 0x2000, 2 }, /* touches the previous one */
		{ 0x100000000ull, 2 * GiB, 1 },
		{ 0x180000000ull, GiB, 2 }, /* right after high RAM */
	};
	struct x86_e820_entry e[8];
	struct x86_mem_layout l;
	unsigned int nr = 0, i;

	x86_mem_layout_from_size(5 * GiB, &l);
	assert_int_equal(x86_mem_layout_reserve(&l, 0x180000000ull, GiB), 0);
	assert_int_equal(x86_mem_layout_reserve(&l, 0xe1000000ull, 0x2000), 0);
	assert_int_equal(x86_mem_layout_reserve(&l, 0xc0000000ull, 0x1000), 0);
	assert_int_equal(x86_mem_layout_reserve(&l, 0xe0000000ull, 16 * MiB),
			 0);
	assert_int_equal(x86_mem_layout_reserve(&l, 0xf0000000ull, 0x1000),
			 -ENOSPC);
	assert_int_equal(l.nr_reserved, X86_MEM_MAX_RESERVED);
	assert_int_equal(x86_e820_build(&l, e, 8, &nr), 0);
	assert_int_equal(nr, 8);
	for (i = 0; i < nr; i++) {
		assert_int_equal(e[i].addr, w[i].addr);
		assert_int_equal(e[i].size, w[i].size);
		assert_int_equal(e[i].type, w[i].type);
	}
	/* x86_mem_layout_from_size starts a fresh list. */
	x86_mem_layout_from_size(5 * GiB, &l);
	assert_int_equal(l.nr_reserved, 0);
}

static void test_reserved_invalid(void **state)
{
	static const struct x86_mem_range bad[] = {
		{ 0x0bfff000ull, 0x2000 }, /* over the end of low RAM */
		{ 0x80000, 0x1000 }, /* in the first 640 KiB */
		{ 0xe0000, 0x1000 }, /* in the low reserved area */
		{ 0x17ffff000ull, 0x1000 }, /* last page of high RAM */
		{ 0xe0000000ull, 0 }, /* empty */
		{ 0xe0000800ull, 0x1000 }, /* unaligned address */
		{ 0xe0000000ull, 0x1800 }, /* unaligned size */
		{ 0xfffffffffffff000ull, 0x2000 }, /* wraps */
		{ 0xe0080000ull, 0x1000 }, /* inside the ECAM range */
	};
	struct x86_e820_entry e[8];
	struct x86_mem_layout l;
	unsigned int nr = 77, i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* Layout: 192 MiB low, 2 GiB high, ECAM reserved. */
		l = (struct x86_mem_layout){ .low_size = 0x0c000000ull,
					     .high_size = 2 * GiB };
		assert_int_equal(
			x86_mem_layout_reserve(&l, X86_PCI_ECAM_BASE, MiB), 0);
		/* Written directly: x86_e820_build must check on its own. */
		l.reserved[1] = bad[i];
		l.nr_reserved = 2;
		if (x86_e820_build(&l, e, 8, &nr) != -EINVAL)
			fail_msg("bad range %u accepted", i);
		assert_int_equal(nr, 77);
	}
	/* Sanity: the layout itself is fine. */
	l.nr_reserved = 1;
	assert_int_equal(x86_e820_build(&l, e, 8, &nr), 0);
	assert_int_equal(nr, 5);
	l.nr_reserved = X86_MEM_MAX_RESERVED + 1;
	assert_int_equal(x86_e820_build(&l, e, 8, &nr), -EINVAL);

	/* x86_mem_layout_reserve's own checks. */
	l = (struct x86_mem_layout){ .low_size = 64 * MiB, .high_size = 0 };
	assert_int_equal(x86_mem_layout_reserve(&l, 0xe0000000ull, 0), -EINVAL);
	assert_int_equal(x86_mem_layout_reserve(&l, 0xe0000100ull, 0x1000),
			 -EINVAL);
	assert_int_equal(x86_mem_layout_reserve(&l, 0xe0000000ull, 0x100),
			 -EINVAL);
	assert_int_equal(x86_mem_layout_reserve(&l, 0xfffffffffffff000ull,
						0x1000),
			 -EINVAL);
	assert_int_equal(l.nr_reserved, 0);
}

static void test_mmio64_window(void **state)
{
	static const struct {
		uint64_t mem, base;
	} cases[] = {
		{ 128 * MiB, 4 * GiB }, /* no high RAM: 4 GiB */
		{ 3 * GiB, 4 * GiB },
		{ 3 * GiB + 0x1000, 5 * GiB }, /* one page above 4 GiB */
		{ 4 * GiB, 5 * GiB }, /* high RAM ends at 5 GiB exactly */
		{ 4 * GiB + 0x1000, 6 * GiB },
		{ 8 * GiB, 9 * GiB },
		{ 8 * GiB + 512 * MiB, 10 * GiB },
		{ 1024 * GiB, 1025 * GiB },
	};
	struct x86_mem_layout l;
	uint64_t base, size;
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		x86_mem_layout_from_size(cases[i].mem, &l);
		base = size = 1;
		assert_int_equal(x86_pci_mmio64_window(&l, &base, &size), 0);
		assert_int_equal(base, cases[i].base);
		assert_int_equal(size, X86_PCI_MMIO64_SIZE);
		assert_int_equal(base % GiB, 0);
		assert_true(base >= X86_HIGH_RAM_START + l.high_size);
	}
	/* Up to 2^52, not beyond; huge sizes do not wrap. */
	l = (struct x86_mem_layout){ .low_size = 0x0c000000ull,
				     .high_size = (1ull << 52) -
						  X86_PCI_MMIO64_SIZE -
						  X86_HIGH_RAM_START };
	assert_int_equal(x86_pci_mmio64_window(&l, &base, &size), 0);
	assert_int_equal(base + size, 1ull << 52);
	l.high_size += 0x1000;
	assert_int_equal(x86_pci_mmio64_window(&l, &base, &size), -ERANGE);
	l.high_size = UINT64_MAX - X86_HIGH_RAM_START;
	assert_int_equal(x86_pci_mmio64_window(&l, &base, &size), -ERANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_128m),
		cmocka_unit_test(test_512m),
		cmocka_unit_test(test_3g),
		cmocka_unit_test(test_8g),
		cmocka_unit_test(test_just_over_hole),
		cmocka_unit_test(test_acpi_reserved),
		cmocka_unit_test(test_enospc),
		cmocka_unit_test(test_einval),
		cmocka_unit_test(test_reserved_ecam),
		cmocka_unit_test(test_reserved_sorted),
		cmocka_unit_test(test_reserved_invalid),
		cmocka_unit_test(test_mmio64_window),
	};

	return cmocka_run_group_tests_name("e820", tests, NULL, NULL);
}
