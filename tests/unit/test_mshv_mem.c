// SPDX-License-Identifier: Apache-2.0
/*
 * test_mshv_mem.c - guest memory and dirty logging of the MSHV plugin on
 * the scripted /dev/mshv: MSHV_SET_GUEST_MEMORY flags for RAM and ROM,
 * argument checks, overlap and exact-unmap rules, and the partition-wide
 * dirty tracking (property on/off, CLEAR on enable, SET on disable,
 * MSHV_GET_GPAP_ACCESS_BITMAP harvesting into the caller's bitmap).
 */
#include "tests/unit/test_mshv_fx.h"

#define GB (1ull << 30)

/* A VM with no memory mapped. */
static int setup_bare(void **state)
{
	struct mfx *f = mfx_new();
	struct hv_vm_config vc = { .size = sizeof(vc),
				   .arch = HV_ARCH_X86_64,
				   .nr_vcpus = 1 };

	mfx_open_hv(f);
	assert_int_equal(f->ops->vm_create(f->hv, &vc, &f->vm), 0);
	*state = f;
	return 0;
}

static int teardown_bare(void **state)
{
	struct mfx *f = *state;

	/* Each test unmapped what it mapped: no fixture RAM to unmap. */
	f->ops->vm_destroy(f->vm);
	f->vm = NULL;
	mfx_free(f);
	return 0;
}

static void test_map_flags(void **state)
{
	struct mfx *f = *state;
	struct mshv_user_mem_region r;
	uint8_t *rom = f->ram + 0x100000;

	assert_int_equal(f->ops->map_memory(f->vm, 0, 0x100000, f->ram,
					    HV_MEM_READ | HV_MEM_WRITE |
						    HV_MEM_EXEC),
			 0);
	assert_int_equal(f->ops->map_memory(f->vm, 4 * GB - 0x10000, 0x10000,
					    rom, HV_MEM_READ | HV_MEM_EXEC),
			 0);
	assert_int_equal(f->s->nr_regions, 2);
	r = f->s->regions[0];
	assert_int_equal(r.guest_pfn, 0);
	assert_int_equal(r.size, 0x100000);
	assert_ptr_equal((void *)(uintptr_t)r.userspace_addr, f->ram);
	assert_int_equal(r.flags, MSHV_SET_MEM_FLAG_WRITABLE |
					  MSHV_SET_MEM_FLAG_EXECUTABLE);
	r = f->s->regions[1];
	assert_int_equal(r.guest_pfn, (4 * GB - 0x10000) >> 12);
	assert_int_equal(r.flags, MSHV_SET_MEM_FLAG_EXECUTABLE);
	assert_int_equal(f->ops->unmap_memory(f->vm, 4 * GB - 0x10000, 0x10000),
			 0);
	assert_int_equal(f->ops->unmap_memory(f->vm, 0, 0x100000), 0);
	assert_int_equal(f->s->nr_regions, 0);
	assert_int_equal(mshv_script_ioctls(f->s, MSHV_SET_GUEST_MEMORY), 4);
}

static void test_map_checks(void **state)
{
	struct mfx *f = *state;
	uint32_t rw = HV_MEM_READ | HV_MEM_WRITE;

	assert_int_equal(f->ops->map_memory(f->vm, 0x1000, 0, f->ram, rw),
			 -EINVAL);
	assert_int_equal(f->ops->map_memory(f->vm, 0x1001, 0x1000, f->ram, rw),
			 -EINVAL);
	assert_int_equal(f->ops->map_memory(f->vm, 0x1000, 0x1800, f->ram, rw),
			 -EINVAL);
	assert_int_equal(f->ops->map_memory(f->vm, 0x1000, 0x1000, f->ram + 8,
					    rw),
			 -EINVAL);
	assert_int_equal(f->ops->map_memory(f->vm, ~0xfffull, 0x2000, f->ram,
					    rw),
			 -EINVAL);
	assert_int_equal(f->ops->map_memory(f->vm, 0, 0x1000, f->ram,
					    rw | (1u << 7)),
			 -EINVAL);
	assert_int_equal(mshv_script_ioctls(f->s, MSHV_SET_GUEST_MEMORY), 0);
	/* Overlaps are refused before the kernel sees them. */
	assert_int_equal(
		f->ops->map_memory(f->vm, 0x10000, 0x10000, f->ram, rw), 0);
	assert_int_equal(f->ops->map_memory(f->vm, 0x1f000, 0x2000,
					    f->ram + 0x20000, rw),
			 -EEXIST);
	assert_int_equal(f->ops->map_memory(f->vm, 0xf000, 0x2000,
					    f->ram + 0x20000, rw),
			 -EEXIST);
	assert_int_equal(f->ops->map_memory(f->vm, 0x20000, 0x1000,
					    f->ram + 0x20000, rw),
			 0);
	/* Unmap: exact start and size only. */
	assert_int_equal(f->ops->unmap_memory(f->vm, 0x11000, 0x1000), -ENOENT);
	assert_int_equal(f->ops->unmap_memory(f->vm, 0x10000, 0x1000), -EINVAL);
	assert_int_equal(f->ops->unmap_memory(f->vm, 0x10000, 0x10000), 0);
	assert_int_equal(f->ops->unmap_memory(f->vm, 0x10000, 0x10000),
			 -ENOENT);
	assert_int_equal(f->ops->unmap_memory(f->vm, 0x20000, 0x1000), 0);
	/* A kernel failure leaves nothing recorded. */
	mshv_script_fail_ioctl(f->s, MSHV_SET_GUEST_MEMORY, ENOMEM, 1);
	assert_int_equal(f->ops->map_memory(f->vm, 0, 0x1000, f->ram, rw),
			 -ENOMEM);
	assert_int_equal(f->ops->unmap_memory(f->vm, 0, 0x1000), -ENOENT);
}

static void test_dirty_log_cycle(void **state)
{
	struct mfx *f = *state;
	uint32_t rw = HV_MEM_READ | HV_MEM_WRITE;
	struct mshv_gpap_access_bitmap g;
	uint64_t val, bm[2];
	bool early;

	/* 64 pages at 0 and 36 pages right after, both logging. */
	assert_int_equal(f->ops->map_memory(f->vm, 0, 64 * 4096, f->ram, rw),
			 0);
	assert_int_equal(f->ops->map_memory(f->vm, 64 * 4096, 36 * 4096,
					    f->ram + 64 * 4096, rw),
			 0);
	assert_int_equal(mshv_script_property(
				 f->s,
				 HV_PARTITION_PROPERTY_GPA_PAGE_ACCESS_TRACKING,
				 NULL, NULL),
			 -ENOENT);
	f->s->dirty[f->s->nr_dirty++] = 3; /* stale: cleared by the enable */
	assert_int_equal(f->ops->dirty_log_enable(f->vm, 0, 100 * 4096, 1), 0);
	assert_int_equal(mshv_script_property(
				 f->s,
				 HV_PARTITION_PROPERTY_GPA_PAGE_ACCESS_TRACKING,
				 &val, &early),
			 0);
	assert_int_equal(val, 1);
	assert_false(early);
	g = f->s->last_gpap;
	assert_int_equal(g.access_type, MSHV_GPAP_ACCESS_TYPE_DIRTY);
	assert_int_equal(g.access_op, MSHV_GPAP_ACCESS_OP_CLEAR);
	assert_int_equal(f->s->nr_dirty, 0);

	f->s->dirty[f->s->nr_dirty++] = 1;
	f->s->dirty[f->s->nr_dirty++] = 63;
	f->s->dirty[f->s->nr_dirty++] = 64;
	f->s->dirty[f->s->nr_dirty++] = 99;
	memset(bm, 0xff, sizeof(bm));
	assert_int_equal(f->ops->dirty_log_fetch(f->vm, 0, 100 * 4096, bm, 0),
			 0);
	assert_int_equal(bm[0], (1ull << 1) | (1ull << 63));
	assert_int_equal(bm[1], (1ull << 0) | (1ull << 35));
	assert_int_equal(f->s->last_gpap.access_op, MSHV_GPAP_ACCESS_OP_NOOP);
	assert_int_equal(f->s->nr_dirty, 4);
	/* A sub-range starting inside the second region, with CLEAR. */
	memset(bm, 0, sizeof(bm));
	assert_int_equal(f->ops->dirty_log_fetch(f->vm, 63 * 4096, 37 * 4096,
						 bm, HV_DIRTY_CLEAR),
			 0);
	assert_int_equal(bm[0], (1ull << 0) | (1ull << 1) | (1ull << 36));
	assert_int_equal(f->s->last_gpap.access_op, MSHV_GPAP_ACCESS_OP_CLEAR);
	assert_int_equal(f->s->nr_dirty, 1); /* page 1 was outside */
	/* Switching one region off marks it dirty again; the property
	 * stays on while the other one logs. */
	assert_int_equal(
		f->ops->dirty_log_enable(f->vm, 64 * 4096, 36 * 4096, 0), 0);
	assert_int_equal(f->s->last_gpap.access_op, MSHV_GPAP_ACCESS_OP_SET);
	assert_int_equal(f->s->last_gpap.gpap_base, 64);
	assert_int_equal(f->s->last_gpap.page_count, 36);
	mshv_script_property(f->s,
			     HV_PARTITION_PROPERTY_GPA_PAGE_ACCESS_TRACKING,
			     &val, NULL);
	assert_int_equal(val, 1);
	assert_int_equal(f->ops->dirty_log_fetch(f->vm, 64 * 4096, 4096, bm, 0),
			 -ENOENT);
	assert_int_equal(f->ops->dirty_log_enable(f->vm, 0, 64 * 4096, 0), 0);
	mshv_script_property(f->s,
			     HV_PARTITION_PROPERTY_GPA_PAGE_ACCESS_TRACKING,
			     &val, NULL);
	assert_int_equal(val, 0);
	assert_int_equal(f->ops->unmap_memory(f->vm, 0, 64 * 4096), 0);
	assert_int_equal(f->ops->unmap_memory(f->vm, 64 * 4096, 36 * 4096), 0);
}

static void test_dirty_log_ranges(void **state)
{
	struct mfx *f = *state;
	uint32_t rw = HV_MEM_READ | HV_MEM_WRITE;
	uint64_t bm[4];

	assert_int_equal(f->ops->map_memory(f->vm, 0, 16 * 4096, f->ram,
					    rw | HV_MEM_LOG_DIRTY),
			 0);
	/* Logging from the map call itself. */
	assert_int_equal(mshv_script_property(
				 f->s,
				 HV_PARTITION_PROPERTY_GPA_PAGE_ACCESS_TRACKING,
				 NULL, NULL),
			 0);
	/* Cutting a region, holes, bad alignment, unknown flags. */
	assert_int_equal(f->ops->dirty_log_enable(f->vm, 0, 8 * 4096, 0),
			 -EINVAL);
	assert_int_equal(f->ops->dirty_log_enable(f->vm, 0, 32 * 4096, 0),
			 -ENOENT);
	assert_int_equal(f->ops->dirty_log_enable(f->vm, 0x100000, 4096, 1),
			 -ENOENT);
	assert_int_equal(f->ops->dirty_log_fetch(f->vm, 0, 32 * 4096, bm, 0),
			 -ENOENT);
	assert_int_equal(f->ops->dirty_log_fetch(f->vm, 10, 4096, bm, 0),
			 -EINVAL);
	assert_int_equal(f->ops->dirty_log_fetch(f->vm, 0, 4096, bm, 1u << 5),
			 -EINVAL);
	assert_int_equal(f->ops->dirty_log_fetch(f->vm, 0, 4096, NULL, 0),
			 -EINVAL);
	mshv_script_fail_ioctl(f->s, MSHV_GET_GPAP_ACCESS_BITMAP, EIO, 1);
	assert_int_equal(f->ops->dirty_log_fetch(f->vm, 0, 4096, bm, 0), -EIO);
	/* Unmapping the last logging region turns tracking off. */
	assert_int_equal(f->ops->unmap_memory(f->vm, 0, 16 * 4096), 0);
	{
		uint64_t val = 1;

		mshv_script_property(
			f->s, HV_PARTITION_PROPERTY_GPA_PAGE_ACCESS_TRACKING,
			&val, NULL);
		assert_int_equal(val, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_map_flags, setup_bare,
						teardown_bare),
		cmocka_unit_test_setup_teardown(test_map_checks, setup_bare,
						teardown_bare),
		cmocka_unit_test_setup_teardown(test_dirty_log_cycle,
						setup_bare, teardown_bare),
		cmocka_unit_test_setup_teardown(test_dirty_log_ranges,
						setup_bare, teardown_bare),
	};

	return cmocka_run_group_tests_name("mshv_mem", tests, NULL, NULL);
}
