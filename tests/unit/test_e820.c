// SPDX-License-Identifier: Apache-2.0
/*
 * test_e820.c - memory layout split and the e820 map builder.
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
	struct x86_mem_layout l = { 64 * MiB, 0 };
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

	l = (struct x86_mem_layout){ 0, 0 };
	assert_int_equal(x86_e820_build(&l, e, 8, &nr), -EINVAL);
	l = (struct x86_mem_layout){ MiB, 0 };
	assert_int_equal(x86_e820_build(&l, e, 8, &nr), -EINVAL);
	l = (struct x86_mem_layout){ 64 * MiB + 512, 0 };
	assert_int_equal(x86_e820_build(&l, e, 8, &nr), -EINVAL);
	l = (struct x86_mem_layout){ 64 * MiB, 100 };
	assert_int_equal(x86_e820_build(&l, e, 8, &nr), -EINVAL);
	l = (struct x86_mem_layout){ X86_MMIO_HOLE_START + 0x1000, 0 };
	assert_int_equal(x86_e820_build(&l, e, 8, &nr), -EINVAL);
	l = (struct x86_mem_layout){ 64 * MiB, ~0xfffull };
	assert_int_equal(x86_e820_build(&l, e, 8, &nr), -EINVAL);
	l = (struct x86_mem_layout){ 64 * MiB, 0 };
	assert_int_equal(x86_e820_build(NULL, e, 8, &nr), -EINVAL);
	assert_int_equal(x86_e820_build(&l, e, 8, NULL), -EINVAL);
	assert_int_equal(x86_e820_build(&l, NULL, 8, &nr), -EINVAL);
	/* Smallest valid: 1 MiB + one page. */
	l = (struct x86_mem_layout){ MiB + 0x1000, 0 };
	assert_int_equal(x86_e820_build(&l, e, 8, &nr), 0);
	assert_int_equal(e[2].size, 0x1000);
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
	};

	return cmocka_run_group_tests_name("e820", tests, NULL, NULL);
}
