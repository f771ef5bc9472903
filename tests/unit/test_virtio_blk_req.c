// SPDX-License-Identifier: Apache-2.0
/*
 * test_virtio_blk_req.c - virtio-blk request validation against temporary
 * image files: read-only devices, sector ranges, hostile chains and
 * queues, multiqueue batching, notification re-arm, O_DIRECT and the
 * blk_io read-modify-write path.  Fixture and transport: see
 * tests/lib/vblk_fixture.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "tests/lib/vblk_fixture.h"
#include "vmm/log.h"

static void test_readonly(void **state)
{
	struct vblkt *t = *state;
	uint64_t seg[1][3] = { { 0, 8, 0 } };
	struct vdrv_seg out = { DATA_GPA, 512, 0 };
	struct vdrv_seg in = { DATA_GPA + 0x1000, 512, 1 };

	vblkt_start(t, 1, 0, 0);
	vblkt_fill(t, DATA_GPA, 512, 9);
	assert_int_equal(vblkt_req(t, VIRTIO_BLK_T_OUT, 0, &out, 1, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(vblkt_req_segs(t, VIRTIO_BLK_T_DISCARD, seg, 1),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(vblkt_req_segs(t, VIRTIO_BLK_T_WRITE_ZEROES, seg, 1),
			 VIRTIO_BLK_S_IOERR);
	vblkt_assert_img_pat(t, 0, 8 * 512);
	assert_int_equal(vblkt_req(t, VIRTIO_BLK_T_IN, 0, &in, 1, NULL),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(*gp(t, DATA_GPA + 0x1000 + 7), vblkt_pat(7));
	assert_int_equal(vblkt_req(t, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, NULL),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(vblkt_counters(t).errors, 3);
	assert_int_equal(vblkt_counters(t).write_ops, 0);
}

static void test_ranges(void **state)
{
	struct vblkt *t = *state;
	struct vdrv_seg one = { DATA_GPA, 512, 1 };
	struct vdrv_seg two = { DATA_GPA, 1024, 1 };
	struct vdrv_seg odd = { DATA_GPA, 100, 1 };
	struct vdrv_seg odd_out = { DATA_GPA, 513, 0 };
	uint32_t used;

	vblkt_start(t, 0, 0, 0);
	assert_int_equal(vblkt_req(t, VIRTIO_BLK_T_IN, IMG_SECTORS - 1, &one, 1,
				   &used),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(used, 513);
	assert_int_equal(vblkt_req(t, VIRTIO_BLK_T_IN, IMG_SECTORS - 1, &two, 1,
				   &used),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(used, 1);
	assert_int_equal(vblkt_req(t, VIRTIO_BLK_T_IN, IMG_SECTORS, &one, 1,
				   NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(vblkt_req(t, VIRTIO_BLK_T_IN, UINT64_MAX, &one, 1,
				   NULL),
			 VIRTIO_BLK_S_IOERR);
	/* sector * 512 would wrap to 0 */
	assert_int_equal(vblkt_req(t, VIRTIO_BLK_T_IN, 1ull << 55, &one, 1,
				   NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(vblkt_req(t, VIRTIO_BLK_T_IN, 0, &odd, 1, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(vblkt_req(t, VIRTIO_BLK_T_OUT, 0, &odd_out, 1, NULL),
			 VIRTIO_BLK_S_IOERR);
	vblkt_assert_img_pat(t, 0, 1024);
	assert_int_equal(vblkt_counters(t).errors, 6);
}

static void test_bad_chains(void **state)
{
	struct vblkt *t = *state;
	struct vdrv_seg b[3];
	uint16_t head;

	vblkt_start(t, 0, 0, 0);
	/* Zero-length header. */
	b[0] = (struct vdrv_seg){ HDR_GPA, 0, 0 };
	b[1] = (struct vdrv_seg){ STATUS_GPA, 1, 1 };
	*gp(t, STATUS_GPA) = ST_UNTOUCHED;
	head = vblkt_drv_post(t, 0, b, 2);
	vblkt_kick(t, 0);
	assert_int_equal(vblkt_drv_used(t, 0, head), 1);
	assert_int_equal(*gp(t, STATUS_GPA), VIRTIO_BLK_S_IOERR);

	/* Header of 15 bytes (8 + 7). */
	vblkt_put_hdr(t, HDR_GPA, VIRTIO_BLK_T_FLUSH, 0);
	b[0] = (struct vdrv_seg){ HDR_GPA, 8, 0 };
	b[1] = (struct vdrv_seg){ HDR_GPA + 8, 7, 0 };
	b[2] = (struct vdrv_seg){ STATUS_GPA, 1, 1 };
	*gp(t, STATUS_GPA) = ST_UNTOUCHED;
	head = vblkt_drv_post(t, 0, b, 3);
	vblkt_kick(t, 0);
	assert_int_equal(vblkt_drv_used(t, 0, head), 1);
	assert_int_equal(*gp(t, STATUS_GPA), VIRTIO_BLK_S_IOERR);

	/* No status byte at all: returned with len 0, nothing written. */
	b[0] = (struct vdrv_seg){ HDR_GPA, 16, 0 };
	head = vblkt_drv_post(t, 0, b, 1);
	vblkt_kick(t, 0);
	assert_int_equal(vblkt_drv_used(t, 0, head), 0);

	/* The "status" is readable: same. */
	b[1] = (struct vdrv_seg){ STATUS_GPA, 1, 0 };
	*gp(t, STATUS_GPA) = ST_UNTOUCHED;
	head = vblkt_drv_post(t, 0, b, 2);
	vblkt_kick(t, 0);
	assert_int_equal(vblkt_drv_used(t, 0, head), 0);
	assert_int_equal(*gp(t, STATUS_GPA), ST_UNTOUCHED);

	assert_int_equal(vblkt_counters(t).errors, 4);
	assert_int_equal(vblkt_counters(t).flush_ops, 0);
	assert_false(vblkt_needs_reset(t));
}

static void test_unsupported_and_direction(void **state)
{
	struct vblkt *t = *state;
	struct vdrv_seg rd = { DATA_GPA, 512, 0 };
	struct vdrv_seg wr = { DATA_GPA, 512, 1 };
	uint32_t used;

	vblkt_start(t, 0, 0, 0);
	assert_int_equal(vblkt_req(t, 2, 0, NULL, 0, &used),
			 VIRTIO_BLK_S_UNSUPP);
	assert_int_equal(used, 1);
	assert_int_equal(vblkt_req(t, 99, 0, &wr, 1, NULL),
			 VIRTIO_BLK_S_UNSUPP);
	assert_int_equal(vblkt_req(t, UINT32_MAX, 0, &rd, 1, NULL),
			 VIRTIO_BLK_S_UNSUPP);
	/* IN with readable data, OUT with writable data, GET_ID reading. */
	assert_int_equal(vblkt_req(t, VIRTIO_BLK_T_IN, 0, &rd, 1, NULL),
			 VIRTIO_BLK_S_IOERR);
	vblkt_fill(t, DATA_GPA, 512, 5);
	assert_int_equal(vblkt_req(t, VIRTIO_BLK_T_OUT, 0, &wr, 1, NULL),
			 VIRTIO_BLK_S_IOERR);
	vblkt_assert_img_pat(t, 0, 512);
	assert_int_equal(vblkt_req(t, VIRTIO_BLK_T_GET_ID, 0, &rd, 1, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(vblkt_counters(t).errors, 6);
}

static void test_malformed_queue(void **state)
{
	struct vblkt *t = *state;
	struct vdrv_vq *d = &t->dq[0];

	vblkt_start(t, 0, 0, 0);
	/* desc 0 -> 1 -> 0: a loop. */
	st64(t, d->desc, HDR_GPA);
	st32(t, d->desc + 8, 16);
	st16(t, d->desc + 12, DESC_F_NEXT);
	st16(t, d->desc + 14, 1);
	st64(t, d->desc + 16, STATUS_GPA);
	st32(t, d->desc + 24, 1);
	st16(t, d->desc + 28, DESC_F_NEXT | DESC_F_WRITE);
	st16(t, d->desc + 30, 0);
	st16(t, d->avail + 4, 0);
	st16(t, d->avail + 2, 1);
	assert_false(vblkt_needs_reset(t));
	vblkt_kick(t, 0);
	assert_true(vblkt_needs_reset(t));
	assert_int_equal(vblkt_config_irqs(t), 1);
	vblkt_drv_no_used(t, 0);
	vblkt_kick(t, 0); /* still broken, still no crash */
	assert_true(vblkt_needs_reset(t));
	vblkt_drv_no_used(t, 0);
}

static void test_multiqueue_batch(void **state)
{
	struct vblkt *t = *state;
	struct vblk_cfg cfg = { .path = t->path, .num_queues = 2 };
	struct vdrv_seg b[3];
	uint16_t heads[3];
	char id[21];

	assert_int_equal(vblkt_start_cfg(t, &cfg, 1ull << VIRTIO_BLK_F_MQ), 0);
	vblkt_get_id(t, id);
	assert_int_equal(vblkt_req_q(t, 1, VIRTIO_BLK_T_FLUSH, 0, NULL, 0,
				     NULL),
			 VIRTIO_BLK_S_OK);
	vblkt_kick(t, 7); /* no such queue: ignored */
	vblkt_drv_no_used(t, 0);
	vblkt_drv_no_used(t, 1);
	assert_int_equal(vblkt_irqs(t, 0), 1);
	assert_int_equal(vblkt_irqs(t, 1), 1);

	/* Three reads posted, one kick: three completions in order. */
	for (unsigned int i = 0; i < 3; i++) {
		vblkt_put_hdr(t, HDR_GPA + 32 * i, VIRTIO_BLK_T_IN, 10 + i);
		b[0] = (struct vdrv_seg){ HDR_GPA + 32 * i, 16, 0 };
		b[1] = (struct vdrv_seg){ DATA_GPA + 512 * i, 512, 1 };
		b[2] = (struct vdrv_seg){ STATUS_GPA + i, 1, 1 };
		heads[i] = vblkt_drv_post(t, 1, b, 3);
	}
	vblkt_kick(t, 1);
	for (unsigned int i = 0; i < 3; i++) {
		assert_int_equal(vblkt_drv_used(t, 1, heads[i]), 513);
		assert_int_equal(*gp(t, STATUS_GPA + i), VIRTIO_BLK_S_OK);
		assert_int_equal(*gp(t, DATA_GPA + 512 * i),
				 vblkt_pat(512 * (10 + i)));
	}
	vblkt_drv_no_used(t, 1);
	assert_int_equal(vblkt_irqs(t, 1), 1); /* one per batch */
	assert_int_equal(vblkt_irqs(t, 0), 0);
}

/* After draining, kicks are re-armed: avail_event (EVENT_IDX) or the
 * used ring's NO_NOTIFY flag cleared. */
static void test_notify_rearm(void **state)
{
	struct vblkt *t = *state;
	struct vblk_cfg cfg = { .path = t->path };
	struct vdrv_vq *d = &t->dq[0];

	assert_int_equal(vblkt_start_cfg(t, &cfg, 1ull << VIRTIO_F_EVENT_IDX),
			 0);
	assert_int_equal(vblkt_req(t, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, NULL),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(vblkt_req(t, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, NULL),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(ld16(t, d->used + 4 + 8u * t->qsize), 2);
	vblkt_stop(t);

	assert_int_equal(vblkt_start_cfg(t, &cfg, 0), 0);
	st16(t, d->used, 1); /* as if left suppressed */
	assert_int_equal(vblkt_req(t, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, NULL),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(ld16(t, d->used), 0);
}

/* ---- tests: O_DIRECT --------------------------------------------------- */

static int start_direct(struct vblkt *t)
{
	struct vblk_cfg cfg = { .path = t->path, .direct = 1 };
	int ret = vblkt_start_cfg(t, &cfg, 0);

	if (ret == -EINVAL)
		return -1; /* no O_DIRECT on this file system */
	assert_int_equal(ret, 0);
	return 0;
}

static void test_direct_misaligned(void **state)
{
	struct vblkt *t = *state;
	struct vdrv_seg out[3] = {
		{ DATA_GPA + 1, 512, 0 },
		{ DATA_GPA + 0x1003, 1000, 0 },
		{ DATA_GPA + 0x2000, 536, 0 },
	};
	struct vdrv_seg in[2] = {
		{ DATA_GPA + 0x10005, 100, 1 },
		{ DATA_GPA + 0x11000, 1948, 1 },
	};
	struct vdrv_seg big = { DATA_GPA + 0x20007, (3u << 19) + 512, 0 };
	struct vdrv_seg big_in = { DATA_GPA + 0x300003, (3u << 19) + 512, 1 };
	struct vdrv_seg al = { DATA_GPA + 0x10000, 4096, 1 };
	uint8_t want[2048];

	if (start_direct(t))
		skip();
	assert_int_equal(vblkt_cfg32(t, VIRTIO_BLK_CFG_BLK_SIZE) % 512, 0);
	vblkt_fill(t, out[0].gpa, 512, 1);
	vblkt_fill(t, out[1].gpa, 1000, 2);
	vblkt_fill(t, out[2].gpa, 536, 3);
	assert_int_equal(vblkt_req(t, VIRTIO_BLK_T_OUT, 16, out, 3, NULL),
			 VIRTIO_BLK_S_OK);
	vblkt_assert_img_fill(t, 16 * 512, 512, 1);
	vblkt_assert_img_fill(t, 17 * 512, 1000, 2);
	vblkt_assert_img_fill(t, 17 * 512 + 1000, 536, 3);
	vblkt_assert_img_pat(t, 15 * 512, 512);
	vblkt_assert_img_pat(t, 20 * 512, 512);

	assert_int_equal(vblkt_req(t, VIRTIO_BLK_T_IN, 16, in, 2, NULL),
			 VIRTIO_BLK_S_OK);
	vblkt_img_read(t, want, sizeof(want), 16 * 512);
	assert_memory_equal(gp(t, in[0].gpa), want, 100);
	assert_memory_equal(gp(t, in[1].gpa), want + 100, 1948);

	/* Aligned buffers take the direct path. */
	assert_int_equal(vblkt_req(t, VIRTIO_BLK_T_IN, 8, &al, 1, NULL),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(*gp(t, al.gpa + 4095), vblkt_pat(8 * 512 + 4095));

	/* More than the bounce buffer, misaligned: several chunks. */
	vblkt_fill(t, big.gpa, big.len, 7);
	assert_int_equal(vblkt_req(t, VIRTIO_BLK_T_OUT, 1, &big, 1, NULL),
			 VIRTIO_BLK_S_OK);
	vblkt_assert_img_fill(t, 512, big.len, 7);
	vblkt_assert_img_pat(t, 0, 512);
	vblkt_assert_img_pat(t, 512 + big.len, 512);
	memset(gp(t, big_in.gpa), 0, big_in.len);
	assert_int_equal(vblkt_req(t, VIRTIO_BLK_T_IN, 1, &big_in, 1, NULL),
			 VIRTIO_BLK_S_OK);
	assert_memory_equal(gp(t, big_in.gpa), gp(t, big.gpa), big.len);
	assert_int_equal(vblkt_counters(t).errors, 0);
}

/* blk_io with a 4096-byte block: read-modify-write of partial blocks. */
static void test_blk_io_rmw(void **state)
{
	struct vblkt *t = *state;
	struct blk_scratch s = { 0 };
	struct blk_io io = { .direct = 1, .align = 4096, .mem_align = 512 };
	uint8_t *src = malloc(9000), *dst = malloc(9000);
	struct iovec v[2];
	uint64_t done;

	assert_non_null(src);
	assert_non_null(dst);
	io.fd = open(t->path, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (io.fd < 0) {
		free(src);
		free(dst);
		skip();
	}
	for (int i = 0; i < 9000; i++)
		src[i] = (uint8_t)(i * 31 + 5);
	/* 512 bytes in the middle of a block. */
	v[0] = (struct iovec){ src + 1, 512 };
	assert_int_equal(blk_io_rw(&io, &s, 1, 4096 + 512, v, 1, 512, &done),
			 0);
	assert_int_equal(done, 512);
	vblkt_assert_img_pat(t, 4096, 512);
	vblkt_img_read(t, dst, 512, 4096 + 512);
	assert_memory_equal(dst, src + 1, 512);
	vblkt_assert_img_pat(t, 4096 + 1024, 3072);

	/* 5120 bytes from 3072: partial head and tail blocks, two iovecs. */
	v[0] = (struct iovec){ src + 100, 1000 };
	v[1] = (struct iovec){ src + 2000, 4120 };
	assert_int_equal(blk_io_rw(&io, &s, 1, 12288 + 3072, v, 2, 5120, &done),
			 0);
	assert_int_equal(done, 5120);
	vblkt_assert_img_pat(t, 12288, 3072);
	vblkt_img_read(t, dst, 5120, 12288 + 3072);
	assert_memory_equal(dst, src + 100, 1000);
	assert_memory_equal(dst + 1000, src + 2000, 4120);
	vblkt_assert_img_pat(t, 12288 + 3072 + 5120, 4096 - 1024);

	/* From a block boundary to the middle of that block. */
	v[0] = (struct iovec){ src + 7, 1024 };
	assert_int_equal(blk_io_rw(&io, &s, 1, 8192, v, 1, 1024, &done), 0);
	vblkt_img_read(t, dst, 1024, 8192);
	assert_memory_equal(dst, src + 7, 1024);
	vblkt_assert_img_pat(t, 8192 + 1024, 3072);

	/* Read back through the bounce path at an odd place. */
	memset(dst, 0, 9000);
	v[0] = (struct iovec){ dst + 3, 1536 };
	assert_int_equal(blk_io_rw(&io, &s, 0, 12288 + 3072, v, 1, 1536, &done),
			 0);
	assert_int_equal(done, 1536);
	assert_memory_equal(dst + 3, src + 100, 1000);
	assert_memory_equal(dst + 1003, src + 2000, 536);

	/* Zeroing a partial block. */
	assert_int_equal(blk_io_write_zeroes(&io, &s, 20480 + 512, 1024, 0), 0);
	vblkt_assert_img_zero(t, 20480 + 512, 1024);
	vblkt_assert_img_pat(t, 20480, 512);
	vblkt_assert_img_pat(t, 20480 + 1536, 512);

	blk_scratch_free(&s);
	close(io.fd);
	free(src);
	free(dst);
}

#define TB_TEST(fn) \
	cmocka_unit_test_setup_teardown(fn, vblkt_setup, vblkt_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TB_TEST(test_readonly),
		TB_TEST(test_ranges),
		TB_TEST(test_bad_chains),
		TB_TEST(test_unsupported_and_direction),
		TB_TEST(test_malformed_queue),
		TB_TEST(test_multiqueue_batch),
		TB_TEST(test_notify_rearm),
		TB_TEST(test_direct_misaligned),
		TB_TEST(test_blk_io_rmw),
	};

	/* The device logs every guest error (rate-limited); keep the
	 * output to cmocka's lines. */
	log_set_level(LOG_ERR);
	return cmocka_run_group_tests_name("virtio_blk_req", tests, NULL, NULL);
}
