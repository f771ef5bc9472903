// SPDX-License-Identifier: Apache-2.0
/*
 * test_guest_mem.c - guest RAM regions: placement rules, checked
 * translation at the edges (including overflow), copies, alignment.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/guest_mem.h"

#define MIB (1ull << 20)

static void test_add_rules(void **state)
{
	struct guest_mem m;
	void *hva;

	guest_mem_init(&m);
	assert_int_equal(guest_mem_add(&m, 0, 4 * MIB, &hva), 0);
	assert_non_null(hva);
	/* Overlap, zero size, unaligned, wrapping. */
	assert_int_equal(guest_mem_add(&m, 2 * MIB, 4 * MIB, NULL), -EEXIST);
	assert_int_equal(guest_mem_add(&m, 8 * MIB, 0, NULL), -EINVAL);
	assert_int_equal(guest_mem_add(&m, 8 * MIB + 1, MIB, NULL), -EINVAL);
	assert_int_equal(guest_mem_add(&m, 8 * MIB, MIB + 1, NULL), -EINVAL);
	assert_int_equal(guest_mem_add(&m, UINT64_MAX - 4095, 8192, NULL),
			 -EINVAL);
	/* Adjacent is fine. */
	assert_int_equal(guest_mem_add(&m, 4 * MIB, MIB, NULL), 0);
	assert_int_equal(m.nr, 2);
	assert_int_equal(m.total, 5 * MIB);
	guest_mem_destroy(&m);
	assert_int_equal(m.nr, 0);
}

static void test_region_limit(void **state)
{
	struct guest_mem m;
	unsigned int i;

	guest_mem_init(&m);
	for (i = 0; i < GUEST_MEM_MAX_REGIONS; i++)
		assert_int_equal(guest_mem_add(&m, i * 2 * MIB, MIB, NULL), 0);
	assert_int_equal(guest_mem_add(&m, 64 * MIB, MIB, NULL), -ENOSPC);
	guest_mem_destroy(&m);
}

static void test_ptr_bounds(void **state)
{
	struct guest_mem m;
	uint8_t *hva;

	guest_mem_init(&m);
	assert_int_equal(guest_mem_add(&m, MIB, MIB, (void **)&hva), 0);
	assert_ptr_equal(guest_mem_ptr(&m, MIB, 1), hva);
	assert_ptr_equal(guest_mem_ptr(&m, 2 * MIB - 4, 4), hva + MIB - 4);
	assert_ptr_equal(guest_mem_ptr(&m, MIB, MIB), hva);
	/* One byte past either end, straddling, and length 0 as 1. */
	assert_null(guest_mem_ptr(&m, MIB - 1, 1));
	assert_null(guest_mem_ptr(&m, 2 * MIB, 1));
	assert_null(guest_mem_ptr(&m, 2 * MIB - 4, 5));
	assert_null(guest_mem_ptr(&m, MIB, MIB + 1));
	assert_ptr_equal(guest_mem_ptr(&m, MIB, 0), hva);
	/* Hostile lengths and addresses that would wrap a naive check. */
	assert_null(guest_mem_ptr(&m, MIB + 8, UINT64_MAX));
	assert_null(guest_mem_ptr(&m, UINT64_MAX, 2));
	assert_null(guest_mem_ptr(&m, MIB, UINT64_MAX - MIB + 2));
	guest_mem_destroy(&m);
}

static void test_copy(void **state)
{
	struct guest_mem m;
	uint8_t buf[16], out[16];

	guest_mem_init(&m);
	assert_int_equal(guest_mem_add(&m, 0, MIB, NULL), 0);
	memset(buf, 0xa5, sizeof(buf));
	assert_int_equal(guest_mem_write(&m, MIB - 16, buf, 16), 0);
	assert_int_equal(guest_mem_read(&m, MIB - 16, out, 16), 0);
	assert_memory_equal(buf, out, 16);
	assert_int_equal(guest_mem_write(&m, MIB - 15, buf, 16), -EFAULT);
	assert_int_equal(guest_mem_read(&m, MIB, out, 1), -EFAULT);
	assert_int_equal(guest_mem_read(&m, MIB, out, 0), 0);
	guest_mem_destroy(&m);
}

/* Host and guest addresses agree modulo 2 MiB, so KVM can use huge
 * pages; checked for region starts at and off a 2 MiB boundary. */
static void test_huge_alignment(void **state)
{
	static const uint64_t gpas[] = { 0, MIB, 6 * MIB + 4096, (4ull << 30) };
	struct guest_mem m;
	unsigned int i;
	void *hva;

	guest_mem_init(&m);
	for (i = 0; i < sizeof(gpas) / sizeof(gpas[0]); i++) {
		assert_int_equal(guest_mem_add(&m, gpas[i], MIB, &hva), 0);
		assert_int_equal((uintptr_t)hva % GUEST_MEM_HUGE_ALIGN,
				 gpas[i] % GUEST_MEM_HUGE_ALIGN);
		/* The memory is usable end to end. */
		memset(hva, 0x5a, MIB);
	}
	guest_mem_destroy(&m);
}

static void test_external(void **state)
{
	struct guest_mem m;
	uint8_t *ram = malloc(64 * 1024);

	assert_non_null(ram);
	guest_mem_init(&m);
	assert_int_equal(guest_mem_add_external(&m, 0x10000, 64 * 1024, ram),
			 0);
	assert_ptr_equal(guest_mem_ptr(&m, 0x10010, 4), ram + 0x10);
	assert_int_equal(guest_mem_add_external(&m, 0x18000, 4096, ram),
			 -EEXIST);
	guest_mem_destroy(&m); /* must not free caller memory */
	ram[0] = 1;
	free(ram);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_rules),
		cmocka_unit_test(test_region_limit),
		cmocka_unit_test(test_ptr_bounds),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_huge_alignment),
		cmocka_unit_test(test_external),
	};

	return cmocka_run_group_tests_name("guest_mem", tests, NULL, NULL);
}
