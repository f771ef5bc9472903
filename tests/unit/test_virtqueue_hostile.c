// SPDX-License-Identifier: Apache-2.0
/*
 * test_virtqueue_hostile.c - split virtqueues against hostile rings built
 * in malloc'd "guest RAM" (see tests/lib/vq_fixture.h): loops, indices
 * out of range, nested or malformed indirect tables, buffers outside RAM
 * or straddling regions, lengths that wrap, avail index jumps, bad
 * direction order.  Each case must end in -EINVAL with the queue broken
 * and one log line saying what was wrong; a broken queue stays broken
 * until reset.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/virtio/virtqueue.h"
#include "tests/lib/vq_fixture.h"

/* ---- Hostile indirect tables ---- */

static void test_indirect_full_table_limit(void **state)
{
	struct vqt_fx *f = *state;
	uint16_t i;

	vqt_start(f, 16, VQT_FEAT_INDIRECT);
	for (i = 0; i < 16; i++)
		vqt_desc_at(f, VQT_IND_GPA, i, VQT_DATA_GPA + i * 16, 16,
			    i < 15 ? VQT_F_NEXT : 0, i + 1);
	vqt_desc(f, 0, VQT_IND_GPA, 16 * 16, VQT_F_INDIRECT, 0);
	vqt_avail_add(f, 0);
	assert_int_equal(vq_pop(&f->q, &f->c), 0);
	assert_int_equal(f->c.nr, 16);
	assert_int_equal(f->c.out_len, 256);
	/* One direct buffer in front makes 17 > size. */
	vqt_desc(f, 1, VQT_DATA_GPA + 0x800, 4, VQT_F_NEXT, 0);
	vqt_avail_add(f, 1);
	vqt_expect_broken(f, "longer than 16");
}

static void test_indirect_nested(void **state)
{
	struct vqt_fx *f = *state;

	vqt_start(f, 16, VQT_FEAT_INDIRECT);
	vqt_desc_at(f, VQT_IND_GPA, 0, VQT_DATA_GPA, 16, VQT_F_NEXT, 1);
	vqt_desc_at(f, VQT_IND_GPA, 1, VQT_IND_GPA, 32, VQT_F_INDIRECT, 0);
	vqt_desc(f, 0, VQT_IND_GPA, 32, VQT_F_INDIRECT, 0);
	vqt_avail_add(f, 0);
	vqt_expect_broken(f, "nested indirect");
}

static void check_bad_table(struct vqt_fx *f, uint64_t addr, uint32_t len,
			    uint16_t flags, uint64_t features, const char *why)
{
	vq_reset(&f->q);
	vqt_start(f, 16, features);
	vqt_desc_at(f, VQT_IND_GPA, 0, VQT_DATA_GPA, 16, 0, 0);
	vqt_desc(f, 0, addr, len, flags, 1);
	vqt_desc(f, 1, VQT_DATA_GPA, 16, VQT_F_WRITE, 0);
	vqt_set_avail_idx(f, 0);
	vqt_avail_add(f, 0);
	vqt_expect_broken(f, why);
}

static void test_indirect_bad(void **state)
{
	struct vqt_fx *f = *state;

	vq_init(&f->q, &f->mem);
	check_bad_table(f, VQT_IND_GPA, 0, VQT_F_INDIRECT, VQT_FEAT_INDIRECT,
			"bad table length 0");
	check_bad_table(f, VQT_IND_GPA, 17, VQT_F_INDIRECT, VQT_FEAT_INDIRECT,
			"bad table length 17");
	check_bad_table(f, VQT_IND_GPA, 8, VQT_F_INDIRECT, VQT_FEAT_INDIRECT,
			"bad table length 8");
	check_bad_table(f, VQT_IND_GPA, 17 * 16, VQT_F_INDIRECT,
			VQT_FEAT_INDIRECT, "bad table length 272");
	check_bad_table(f, VQT_IND_GPA, 16, VQT_F_INDIRECT | VQT_F_NEXT,
			VQT_FEAT_INDIRECT, "has NEXT set");
	check_bad_table(f, VQT_IND_GPA, 16, VQT_F_INDIRECT, 0,
			"not negotiated");
	check_bad_table(f, VQT_HOLE_GPA, 16, VQT_F_INDIRECT, VQT_FEAT_INDIRECT,
			"not in one RAM region");
	check_bad_table(f, VQT_RAM2_GPA - 16, 32, VQT_F_INDIRECT,
			VQT_FEAT_INDIRECT, "not in one RAM region");
}

static void test_indirect_next_and_loop(void **state)
{
	struct vqt_fx *f = *state;

	/* next within the queue size but beyond the 3-entry table. */
	vqt_start(f, 16, VQT_FEAT_INDIRECT);
	vqt_desc_at(f, VQT_IND_GPA, 0, VQT_DATA_GPA, 16, VQT_F_NEXT, 3);
	vqt_desc(f, 0, VQT_IND_GPA, 3 * 16, VQT_F_INDIRECT, 0);
	vqt_avail_add(f, 0);
	vqt_expect_broken(f, "next 3 >= 3");

	vq_reset(&f->q);
	vqt_start(f, 16, VQT_FEAT_INDIRECT);
	vqt_desc_at(f, VQT_IND_GPA, 0, VQT_DATA_GPA, 16, VQT_F_NEXT, 1);
	vqt_desc_at(f, VQT_IND_GPA, 1, VQT_DATA_GPA, 16, VQT_F_NEXT, 0);
	vqt_set_avail_idx(f, 0);
	vqt_avail_add(f, 0);
	vqt_expect_broken(f, "loop");

	/* Readable after writable inside the table. */
	vq_reset(&f->q);
	vqt_start(f, 16, VQT_FEAT_INDIRECT);
	vqt_desc_at(f, VQT_IND_GPA, 0, VQT_DATA_GPA, 16,
		    VQT_F_NEXT | VQT_F_WRITE, 1);
	vqt_desc_at(f, VQT_IND_GPA, 1, VQT_DATA_GPA, 16, 0, 0);
	vqt_desc(f, 0, VQT_IND_GPA, 2 * 16, VQT_F_INDIRECT, 0);
	vqt_set_avail_idx(f, 0);
	vqt_avail_add(f, 0);
	vqt_expect_broken(f, "readable indirect desc 1 after a writable");
}

/* ---- Hostile direct chains ---- */

static void test_loops(void **state)
{
	struct vqt_fx *f = *state;

	vqt_start(f, 16, 0);
	vqt_desc(f, 7, VQT_DATA_GPA, 16, VQT_F_NEXT, 7);
	vqt_avail_add(f, 7);
	vqt_expect_broken(f, "loop");

	vq_reset(&f->q);
	vqt_start(f, 16, 0);
	vqt_desc(f, 0, VQT_DATA_GPA, 16, VQT_F_NEXT, 1);
	vqt_desc(f, 1, VQT_DATA_GPA, 16, VQT_F_NEXT, 0);
	vqt_set_avail_idx(f, 0);
	vqt_avail_add(f, 0);
	vqt_expect_broken(f, "longer than 16");

	/* A loop of zero-length descriptors must still be caught. */
	vq_reset(&f->q);
	vqt_start(f, 16, 0);
	vqt_desc(f, 0, 0, 0, VQT_F_NEXT, 0);
	vqt_set_avail_idx(f, 0);
	vqt_avail_add(f, 0);
	vqt_expect_broken(f, "loop");
}

static void test_index_ranges(void **state)
{
	struct vqt_fx *f = *state;

	vqt_start(f, 16, 0);
	vqt_desc(f, 0, VQT_DATA_GPA, 16, VQT_F_NEXT, 16);
	vqt_avail_add(f, 0);
	vqt_expect_broken(f, "next 16 >= 16");

	vq_reset(&f->q);
	vqt_start(f, 16, 0);
	vqt_set_avail_idx(f, 0);
	vqt_avail_add(f, 16);
	vqt_expect_broken(f, "head 16 >= size 16");

	vq_reset(&f->q);
	vqt_start(f, 16, 0);
	vqt_set_avail_idx(f, 0);
	vqt_avail_add(f, 0xffff);
	vqt_expect_broken(f, "head 65535");
}

static void test_avail_jump(void **state)
{
	struct vqt_fx *f = *state;

	vqt_start(f, 16, 0);
	vqt_desc(f, 0, VQT_DATA_GPA, 16, 0, 0);
	vqt_set_avail_idx(f, 17);
	vqt_expect_broken(f, "avail idx 17 is 17 ahead");

	/* Exactly a full ring is legal. */
	vq_reset(&f->q);
	vqt_start(f, 16, 0);
	vqt_set_avail_idx(f, 16);
	assert_int_equal(vq_pop(&f->q, &f->c), 0);
	/* A "backwards" index is a jump of nearly 65536. */
	vq_reset(&f->q);
	vqt_start(f, 16, 0);
	f->q.last_avail = 5;
	vqt_set_avail_idx(f, 4);
	vqt_expect_broken(f, "ahead");
}

static void check_bad_buf(struct vqt_fx *f, uint64_t addr, uint32_t len,
			  const char *why)
{
	vq_reset(&f->q);
	vqt_start(f, 16, 0);
	vqt_desc(f, 0, VQT_DATA_GPA, 16, VQT_F_NEXT, 1);
	vqt_desc(f, 1, addr, len, VQT_F_WRITE, 0);
	vqt_set_avail_idx(f, 0);
	vqt_avail_add(f, 0);
	vqt_expect_broken(f, why);
}

static void check_good_buf(struct vqt_fx *f, uint64_t addr, uint32_t len)
{
	vq_reset(&f->q);
	vqt_start(f, 16, 0);
	vqt_desc(f, 0, addr, len, 0, 0);
	vqt_set_avail_idx(f, 0);
	vqt_avail_add(f, 0);
	assert_int_equal(vq_pop(&f->q, &f->c), 0);
	vqt_expect_buf(f, 0, addr, len, 0);
}

static void test_buffers_outside_ram(void **state)
{
	struct vqt_fx *f = *state;

	vq_init(&f->q, &f->mem);
	check_bad_buf(f, VQT_HOLE_GPA, 16, "buffer 0x300000+16 not in one RAM");
	check_bad_buf(f, 0, 16, "not in one RAM region");
	/* Partly past the end of the last region. */
	check_bad_buf(f, VQT_RAM2_GPA + VQT_RAM2_SIZE - 8, 16,
		      "not in one RAM");
	/* Straddling the two adjacent regions. */
	check_bad_buf(f, VQT_RAM2_GPA - 8, 16, "buffer 0x1ffff8+16 not in one");
	/* addr + len past 2^64. */
	check_bad_buf(f, UINT64_MAX - 0xff, 0x200, "wraps past 2^64");
	/* Controls: the same edges from inside. */
	check_good_buf(f, VQT_RAM2_GPA - 16, 16);
	check_good_buf(f, VQT_RAM2_GPA, 16);
	check_good_buf(f, VQT_RAM2_GPA + VQT_RAM2_SIZE - 16, 16);
}

static void test_total_length_overflow(void **state)
{
	struct vqt_fx *f = *state;

	/* 2 GiB of address space only; never touched. */
	assert_int_equal(
		guest_mem_add(&f->mem, VQT_BIG_GPA, VQT_BIG_SIZE, NULL), 0);
	vqt_start(f, 16, 0);
	vqt_desc(f, 0, VQT_BIG_GPA, 0x80000000u, VQT_F_NEXT, 1);
	vqt_desc(f, 1, VQT_BIG_GPA, 0x7fffffffu, VQT_F_WRITE, 0);
	vqt_avail_add(f, 0);
	assert_int_equal(vq_pop(&f->q, &f->c), 0);
	assert_int_equal(f->c.out_len, 0x80000000u);
	assert_int_equal(f->c.in_len, 0x7fffffffu);

	vqt_desc(f, 1, VQT_BIG_GPA, 0x80000000u, VQT_F_WRITE, 0);
	vqt_avail_add(f, 0);
	vqt_expect_broken(f, "total length exceeds 4 GiB");
}

static void test_readable_after_writable(void **state)
{
	struct vqt_fx *f = *state;

	vqt_start(f, 16, 0);
	vqt_desc(f, 0, VQT_DATA_GPA, 16, VQT_F_NEXT, 1);
	vqt_desc(f, 1, VQT_DATA_GPA + 16, 16, VQT_F_NEXT | VQT_F_WRITE, 2);
	vqt_desc(f, 2, VQT_DATA_GPA + 32, 16, 0, 0);
	vqt_avail_add(f, 0);
	vqt_expect_broken(f, "readable desc 2 after a writable");
}

static void test_broken_until_reset(void **state)
{
	struct vqt_fx *f = *state;

	vqt_start(f, 16, VQT_FEAT_EVENT_IDX);
	vqt_desc(f, 0, VQT_HOLE_GPA, 16, 0, 0);
	vqt_avail_add(f, 0);
	vqt_expect_broken(f, "not in one RAM region");
	/* Repairing the ring does not help: the device needs a reset. */
	vqt_desc(f, 0, VQT_DATA_GPA, 16, 0, 0);
	assert_int_equal(vq_pop(&f->q, &f->c), -EINVAL);
	assert_int_equal(vq_push(&f->q, 0, 0), -EINVAL);
	assert_int_equal(vqt_get16(f, VQT_USED_GPA + 2), 0);
	assert_false(vq_should_notify(&f->q));
	assert_false(vq_enable_notify(&f->q, true));

	vq_reset(&f->q);
	assert_false(f->q.broken);
	assert_false(f->q.ready);
	assert_ptr_equal(f->q.mem, &f->mem);
	assert_int_equal(vq_pop(&f->q, &f->c), -EAGAIN);
	assert_int_equal(vq_enable(&f->q, 16, VQT_DESC_GPA, VQT_AVAIL_GPA,
				   VQT_USED_GPA, VQT_FEAT_EVENT_IDX),
			 0);
	assert_int_equal(vq_pop(&f->q, &f->c), 0);
	vqt_expect_buf(f, 0, VQT_DATA_GPA, 16, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, vqt_setup, vqt_teardown)
		T(test_indirect_full_table_limit),
		T(test_indirect_nested),
		T(test_indirect_bad),
		T(test_indirect_next_and_loop),
		T(test_loops),
		T(test_index_ranges),
		T(test_avail_jump),
		T(test_buffers_outside_ram),
		T(test_total_length_overflow),
		T(test_readable_after_writable),
		T(test_broken_until_reset),
#undef T
	};

	/* A walk that never ends (undetected loop) fails the run. */
	alarm(60);
	return cmocka_run_group_tests_name("virtqueue_hostile", tests, NULL,
					   NULL);
}
