// SPDX-License-Identifier: Apache-2.0
/*
 * test_virtio_blk.c - virtio-blk against temporary image files:
 * config, setup, I/O, flush, discard and write-zeroes.
 *
 * The test plays the driver: split rings and request buffers live in
 * malloc'd "guest RAM" and the test kicks by calling ops->queue_notify
 * itself (no worker thread).  The transport is the real virtio-pci one
 * whenever devices/virtio/virtio_pci.c exists: the test negotiates
 * features, sets up the queues and reads device config through BAR 0 at
 * the offsets the virtio capabilities announce.  Without it (or with
 * -DVBLK_TEST_LOCAL_TRANSPORT, which also checks that only one interrupt
 * is requested per batch) local definitions of the four virtio_* calls
 * stand in; the two must never be linked together.
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

/* ---- tests: config and setup ------------------------------------------- */

static void test_config(void **state)
{
	struct vblkt *t = *state;
	const struct virtio_dev_info *info;
	uint64_t f;

	vblkt_start(t, 0, 0, 0);
	info = vblk_info(t->b);
	assert_string_equal(info->name, "virtio-blk");
	assert_int_equal(info->device_id, VIRTIO_ID_BLOCK);
	assert_int_equal(info->nr_queues, 1);
	assert_int_equal(info->queue_size_max, 256);
	assert_int_equal(info->config_size, 60);
	assert_int_equal(vblk_capacity(t->b), IMG_SECTORS);

	f = vblkt_offered(t);
	assert_true(f & 1ull << VIRTIO_BLK_F_SEG_MAX);
	assert_true(f & 1ull << VIRTIO_BLK_F_BLK_SIZE);
	assert_true(f & 1ull << VIRTIO_BLK_F_FLUSH);
	assert_true(f & 1ull << VIRTIO_BLK_F_DISCARD);
	assert_true(f & 1ull << VIRTIO_BLK_F_WRITE_ZEROES);
	assert_false(f & 1ull << VIRTIO_BLK_F_RO);
	assert_false(f & 1ull << VIRTIO_BLK_F_MQ);
	assert_false(f & 1ull << VIRTIO_BLK_F_CONFIG_WCE);
	assert_false(f & 1ull << VIRTIO_BLK_F_SIZE_MAX);
	assert_false(f & 1ull << VIRTIO_BLK_F_GEOMETRY);

	assert_int_equal(vblkt_cfg32(t, 0), IMG_SECTORS);
	assert_int_equal(vblkt_cfg32(t, 4), 0);
	assert_int_equal(vblkt_cfg32(t, VIRTIO_BLK_CFG_SEG_MAX), 254);
	assert_int_equal(vblkt_cfg32(t, VIRTIO_BLK_CFG_BLK_SIZE), 512);
	assert_int_equal(vblkt_cfg16(t, VIRTIO_BLK_CFG_NUM_QUEUES), 1);
	assert_int_equal(vblkt_cfg32(t, VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS),
			 1u << 22);
	assert_int_equal(vblkt_cfg32(t, VIRTIO_BLK_CFG_MAX_DISCARD_SEG), 32);
	assert_int_equal(vblkt_cfg32(t, VIRTIO_BLK_CFG_DISCARD_ALIGN), 8);
	assert_int_equal(vblkt_cfg32(t, VIRTIO_BLK_CFG_MAX_WZ_SECTORS),
			 1u << 22);
	assert_int_equal(vblkt_cfg32(t, VIRTIO_BLK_CFG_MAX_WZ_SEG), 32);
	assert_int_equal(vblkt_cfg8(t, VIRTIO_BLK_CFG_WZ_MAY_UNMAP), 1);
	assert_int_equal(vblkt_cfg8(t, VIRTIO_BLK_CFG_WRITEBACK), 0);
	assert_int_equal(vblkt_cfg32(t, VIRTIO_BLK_CFG_SIZE_MAX), 0);
}

static void test_config_ro_mq(void **state)
{
	struct vblkt *t = *state;
	struct vblk_cfg cfg = {
		.path = t->path,
		.readonly = 1,
		.num_queues = 3,
		.queue_size = 64,
	};
	uint64_t f;

	assert_int_equal(vblkt_start_cfg(t, &cfg, 1ull << VIRTIO_BLK_F_MQ), 0);
	f = vblkt_offered(t);
	assert_true(f & 1ull << VIRTIO_BLK_F_RO);
	assert_true(f & 1ull << VIRTIO_BLK_F_MQ);
	assert_false(f & 1ull << VIRTIO_BLK_F_DISCARD);
	assert_false(f & 1ull << VIRTIO_BLK_F_WRITE_ZEROES);
	assert_int_equal(vblk_info(t->b)->nr_queues, 3);
	assert_int_equal(vblk_info(t->b)->queue_size_max, 64);
	assert_int_equal(vblkt_cfg16(t, VIRTIO_BLK_CFG_NUM_QUEUES), 3);
	assert_int_equal(vblkt_cfg32(t, VIRTIO_BLK_CFG_SEG_MAX), 62);
	assert_int_equal(vblkt_cfg32(t, VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS), 0);
	assert_int_equal(vblkt_cfg8(t, VIRTIO_BLK_CFG_WZ_MAY_UNMAP), 0);
}

static void test_create_errors(void **state)
{
	struct vblkt *t = *state;
	struct vblk_cfg cfg = { .path = "/nonexistent/nimbus-disk.img" };
	struct vblk *b = NULL;
	char err[256];

	assert_int_equal(vblk_create(&cfg, &b, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/nimbus-disk.img"));
	assert_null(b);
	/* errlen 0: no message, same error. */
	assert_int_equal(vblk_create(&cfg, &b, NULL, 0), -ENOENT);

	cfg.path = "/tmp";
	cfg.readonly = 1;
	assert_int_equal(vblk_create(&cfg, &b, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "/tmp"));
	assert_non_null(strstr(err, "not a regular file or block device"));

	cfg = (struct vblk_cfg){ .path = t->path };
	cfg.queue_size = 3;
	assert_int_equal(vblk_create(&cfg, &b, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, t->path));
	cfg.queue_size = 2048;
	assert_int_equal(vblk_create(&cfg, &b, err, sizeof(err)), -EINVAL);
	cfg.queue_size = 2;
	assert_int_equal(vblk_create(&cfg, &b, err, sizeof(err)), -EINVAL);
	cfg.queue_size = 0;
	cfg.num_queues = VIRTIO_MAX_QUEUES + 1;
	assert_int_equal(vblk_create(&cfg, &b, err, sizeof(err)), -EINVAL);
	cfg.num_queues = 0;
	cfg.serial = "123456789012345678901"; /* 21 bytes */
	assert_int_equal(vblk_create(&cfg, &b, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "serial"));
	cfg.serial = "12345678901234567890"; /* 20 bytes: fine */
	assert_int_equal(vblk_create(&cfg, &b, err, sizeof(err)), 0);
	vblk_destroy(b);
	cfg.path = NULL;
	assert_int_equal(vblk_create(&cfg, &b, err, sizeof(err)), -EINVAL);
	vblk_destroy(NULL);
}

static void test_lock(void **state)
{
	struct vblkt *t = *state;
	struct vblk_cfg rw = { .path = t->path };
	struct vblk_cfg ro = { .path = t->path, .readonly = 1 };
	struct vblk *a, *b, *c;
	char err[256];

	assert_int_equal(vblk_create(&rw, &a, err, sizeof(err)), 0);
	assert_int_equal(vblk_create(&rw, &b, err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, t->path));
	assert_non_null(strstr(err, "in use"));
	assert_int_equal(vblk_create(&ro, &b, err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, t->path));
	vblk_destroy(a);

	/* Read-only users share; a writer is refused while they are there. */
	assert_int_equal(vblk_create(&ro, &a, err, sizeof(err)), 0);
	assert_int_equal(vblk_create(&ro, &b, err, sizeof(err)), 0);
	assert_int_equal(vblk_create(&rw, &c, err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, t->path));
	vblk_destroy(a);
	vblk_destroy(b);
	assert_int_equal(vblk_create(&rw, &c, err, sizeof(err)), 0);
	vblk_destroy(c);
}

/* ---- tests: requests --------------------------------------------------- */

static void test_rw_roundtrip(void **state)
{
	struct vblkt *t = *state;
	struct vdrv_seg out[3] = {
		{ DATA_GPA, 512, 0 },
		{ DATA_GPA + 0x10000, 1024, 0 },
		{ DATA_GPA + 0x20000, 512, 0 },
	};
	struct vdrv_seg in = { DATA_GPA + 0x30000, 2048, 1 };
	struct vblk_counters c;
	uint32_t used;

	vblkt_start(t, 0, 0, 0);
	vblkt_fill(t, out[0].gpa, 512, 1);
	vblkt_fill(t, out[1].gpa, 1024, 2);
	vblkt_fill(t, out[2].gpa, 512, 3);
	assert_int_equal(vblkt_req(t, VIRTIO_BLK_T_OUT, 3, out, 3, &used),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(used, 1);
	vblkt_assert_img_fill(t, 3 * 512, 512, 1);
	vblkt_assert_img_fill(t, 4 * 512, 1024, 2);
	vblkt_assert_img_fill(t, 6 * 512, 512, 3);
	vblkt_assert_img_pat(t, 0, 3 * 512);
	vblkt_assert_img_pat(t, 7 * 512, 512);

	memset(gp(t, in.gpa), 0, 2048);
	assert_int_equal(vblkt_req(t, VIRTIO_BLK_T_IN, 3, &in, 1, &used),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(used, 2049);
	assert_memory_equal(gp(t, in.gpa), gp(t, out[0].gpa), 512);
	assert_memory_equal(gp(t, in.gpa + 512), gp(t, out[1].gpa), 1024);
	assert_memory_equal(gp(t, in.gpa + 1536), gp(t, out[2].gpa), 512);

	c = vblkt_counters(t);
	assert_int_equal(c.write_ops, 1);
	assert_int_equal(c.write_bytes, 2048);
	assert_int_equal(c.read_ops, 1);
	assert_int_equal(c.read_bytes, 2048);
	assert_int_equal(c.errors, 0);
	assert_int_equal(vblkt_irqs(t, 0), 2); /* one per kick */
	assert_false(vblkt_needs_reset(t));
}

/* Header split 5 + 11 over two buffers, data and status sharing one. */
static void test_odd_framing(void **state)
{
	struct vblkt *t = *state;
	uint8_t want[1024];
	struct vdrv_seg b[3] = {
		{ HDR_GPA, 5, 0 },
		{ HDR2_GPA, 11, 0 },
		{ DATA_GPA, 1025, 1 },
	};
	uint16_t head;

	vblkt_start(t, 0, 0, 0);
	vblkt_put_hdr(t, HDR2_GPA + 0x100, VIRTIO_BLK_T_IN, 100);
	memcpy(gp(t, HDR_GPA), gp(t, HDR2_GPA + 0x100), 5);
	memcpy(gp(t, HDR2_GPA), gp(t, HDR2_GPA + 0x105), 11);
	memset(gp(t, DATA_GPA), 0xaa, 1025);
	head = vblkt_drv_post(t, 0, b, 3);
	vblkt_kick(t, 0);
	assert_int_equal(vblkt_drv_used(t, 0, head), 1025);
	assert_int_equal(*gp(t, DATA_GPA + 1024), VIRTIO_BLK_S_OK);
	vblkt_img_read(t, want, sizeof(want), 100 * 512);
	assert_memory_equal(gp(t, DATA_GPA), want, sizeof(want));

	/* One writable buffer of 512 bytes: 511 data bytes + the status,
	 * which is not whole sectors. */
	vblkt_put_hdr(t, HDR2_GPA + 0x100, VIRTIO_BLK_T_IN, 0);
	memcpy(gp(t, HDR_GPA), gp(t, HDR2_GPA + 0x100), 5);
	memcpy(gp(t, HDR2_GPA), gp(t, HDR2_GPA + 0x105), 11);
	memset(gp(t, DATA_GPA), 0xaa, 512);
	b[2].len = 512;
	head = vblkt_drv_post(t, 0, b, 3);
	vblkt_kick(t, 0);
	assert_int_equal(vblkt_drv_used(t, 0, head), 1);
	assert_int_equal(*gp(t, DATA_GPA + 511), VIRTIO_BLK_S_IOERR);
	assert_int_equal(*gp(t, DATA_GPA), 0xaa);
}

static void test_flush_get_id(void **state)
{
	struct vblkt *t = *state;
	struct vdrv_seg id = { DATA_GPA, 20, 1 };
	struct vdrv_seg small = { DATA_GPA, 8, 1 };
	uint32_t used;

	vblkt_start(t, 0, 0, 0);
	assert_int_equal(vblkt_req(t, VIRTIO_BLK_T_FLUSH, 12345, NULL, 0,
				   &used),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(used, 1);
	assert_int_equal(vblkt_counters(t).flush_ops, 1);

	memset(gp(t, DATA_GPA), 0xaa, 32);
	assert_int_equal(vblkt_req(t, VIRTIO_BLK_T_GET_ID, 0, &id, 1, &used),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(used, 21);
	assert_memory_equal(gp(t, DATA_GPA), "nimbus-serial-01\0\0\0\0", 20);
	assert_int_equal(*gp(t, DATA_GPA + 20), 0xaa);

	memset(gp(t, DATA_GPA), 0xaa, 32);
	assert_int_equal(vblkt_req(t, VIRTIO_BLK_T_GET_ID, 0, &small, 1, &used),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(used, 9);
	assert_memory_equal(gp(t, DATA_GPA), "nimbus-s", 8);
	assert_int_equal(*gp(t, DATA_GPA + 8), 0xaa);

	/* A larger buffer gets the 20 bytes and nothing more. */
	id.len = 32;
	memset(gp(t, DATA_GPA), 0xaa, 32);
	assert_int_equal(vblkt_req(t, VIRTIO_BLK_T_GET_ID, 0, &id, 1, &used),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(used, 21);
	assert_memory_equal(gp(t, DATA_GPA), "nimbus-serial-01\0\0\0\0", 20);
	assert_int_equal(*gp(t, DATA_GPA + 20), 0xaa);

	/* GET_ID needs a writable buffer. */
	assert_int_equal(vblkt_req(t, VIRTIO_BLK_T_GET_ID, 0, NULL, 0, &used),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(used, 1);
}

static void test_default_serial(void **state)
{
	struct vblkt *t = *state;
	struct vblk_cfg cfg = { .path = t->path };
	char a[21], b[21], c[21], other[32];

	assert_int_equal(vblkt_start_cfg(t, &cfg, 0), 0);
	vblkt_get_id(t, a);
	assert_int_equal(strlen(a), 18);
	assert_memory_equal(a, "NB", 2);
	assert_int_equal(strspn(a + 2, "0123456789abcdef"), 16);
	vblkt_stop(t);
	assert_int_equal(vblkt_start_cfg(t, &cfg, 0), 0);
	vblkt_get_id(t, b);
	assert_string_equal(a, b); /* stable for the same image */
	vblkt_stop(t);

	vblkt_img_create(other, TMP_TEMPLATE, 4096);
	cfg.path = other;
	assert_int_equal(vblkt_start_cfg(t, &cfg, 0), 0);
	vblkt_get_id(t, c);
	vblkt_stop(t);
	unlink(other);
	assert_string_not_equal(a, c);
}

static void test_discard(void **state)
{
	struct vblkt *t = *state;
	uint64_t ok[1][3] = { { 256, 256, 0 } };
	uint64_t unmap[1][3] = { { 600, 8, 1 } };
	uint64_t far[1][3] = { { IMG_SECTORS - 8, 16, 0 } };
	uint64_t second_bad[2][3] = { { 700, 8, 0 }, { IMG_SECTORS, 1, 0 } };
	uint64_t many[33][3];
	struct stat before, after;
	int fd;

	vblkt_start(t, 0, 0, 0);
	assert_int_equal(stat(t->path, &before), 0);
	assert_int_equal(vblkt_req_segs(t, VIRTIO_BLK_T_DISCARD, ok, 1),
			 VIRTIO_BLK_S_OK);
	vblkt_assert_img_zero(t, 256 * 512, 256 * 512);
	vblkt_assert_img_pat(t, 255 * 512, 512);
	vblkt_assert_img_pat(t, 512 * 512, 512);
	assert_int_equal(stat(t->path, &after), 0);
	assert_int_equal(after.st_size, IMG_SIZE);
	assert_true(after.st_blocks + 256 <= before.st_blocks);
	fd = open(t->path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(lseek(fd, 256 * 512, SEEK_HOLE), 256 * 512);
	close(fd);
	assert_int_equal(vblkt_counters(t).discard_ops, 1);

	/* The unmap flag is reserved for DISCARD. */
	assert_int_equal(vblkt_req_segs(t, VIRTIO_BLK_T_DISCARD, unmap, 1),
			 VIRTIO_BLK_S_UNSUPP);
	vblkt_assert_img_pat(t, 600 * 512, 8 * 512);
	assert_int_equal(vblkt_req_segs(t, VIRTIO_BLK_T_DISCARD, far, 1),
			 VIRTIO_BLK_S_IOERR);
	/* Validated as a whole: the good first segment is not executed. */
	assert_int_equal(vblkt_req_segs(t, VIRTIO_BLK_T_DISCARD, second_bad, 2),
			 VIRTIO_BLK_S_IOERR);
	vblkt_assert_img_pat(t, 700 * 512, 8 * 512);
	for (int i = 0; i < 33; i++) {
		many[i][0] = 800 + i;
		many[i][1] = 1;
		many[i][2] = 0;
	}
	assert_int_equal(vblkt_req_segs(t, VIRTIO_BLK_T_DISCARD, many, 33),
			 VIRTIO_BLK_S_IOERR);
	vblkt_assert_img_pat(t, 800 * 512, 33 * 512);
	assert_int_equal(vblkt_req_segs(t, VIRTIO_BLK_T_DISCARD, many, 32),
			 VIRTIO_BLK_S_OK);
	vblkt_assert_img_zero(t, 800 * 512, 32 * 512);
	vblkt_assert_img_pat(t, 832 * 512, 512);
	assert_int_equal(vblkt_req_segs(t, VIRTIO_BLK_T_DISCARD, many, 0),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(vblkt_counters(t).discard_ops, 2);
}

static void test_write_zeroes(void **state)
{
	struct vblkt *t = *state;
	uint64_t plain[1][3] = { { 9, 7, 0 } };
	uint64_t unmap[1][3] = { { 32, 8, VIRTIO_BLK_WZ_FLAG_UNMAP } };
	uint64_t bad_flag[1][3] = { { 64, 8, 2 } };
	uint64_t wrap[1][3] = { { UINT64_MAX - 1, 4, 0 } };
	struct vdrv_seg odd = { DATA_GPA, 24, 0 };
	struct stat st;
	int fd;

	vblkt_start(t, 0, 0, 0);
	assert_int_equal(vblkt_req_segs(t, VIRTIO_BLK_T_WRITE_ZEROES, plain, 1),
			 VIRTIO_BLK_S_OK);
	vblkt_assert_img_pat(t, 8 * 512, 512);
	vblkt_assert_img_zero(t, 9 * 512, 7 * 512);
	vblkt_assert_img_pat(t, 16 * 512, 512);

	assert_int_equal(vblkt_req_segs(t, VIRTIO_BLK_T_WRITE_ZEROES, unmap, 1),
			 VIRTIO_BLK_S_OK);
	vblkt_assert_img_zero(t, 32 * 512, 8 * 512);
	vblkt_assert_img_pat(t, 40 * 512, 512);
	fd = open(t->path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(lseek(fd, 32 * 512, SEEK_HOLE), 32 * 512);
	close(fd);

	assert_int_equal(vblkt_req_segs(t, VIRTIO_BLK_T_WRITE_ZEROES, bad_flag,
					1),
			 VIRTIO_BLK_S_UNSUPP);
	vblkt_assert_img_pat(t, 64 * 512, 8 * 512);
	assert_int_equal(vblkt_req_segs(t, VIRTIO_BLK_T_WRITE_ZEROES, wrap, 1),
			 VIRTIO_BLK_S_IOERR);
	/* A segment list that is not whole segments. */
	assert_int_equal(vblkt_req(t, VIRTIO_BLK_T_WRITE_ZEROES, 0, &odd, 1,
				   NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(stat(t->path, &st), 0);
	assert_int_equal(st.st_size, IMG_SIZE);
	assert_int_equal(vblkt_counters(t).write_zeroes_ops, 2);
}

/*
 * tmpfs has no FALLOC_FL_ZERO_RANGE: zeros are written instead, through
 * the vector path and (O_DIRECT, 4 KiB blocks, partial blocks) through the
 * bounce path.
 */
static void test_write_zeroes_fallback(void **state)
{
	struct vblkt *t = *state;
	uint64_t plain[1][3] = { { 3, 5, 0 } };
	struct blk_scratch s = { 0 };
	struct blk_io io = { .direct = 1, .align = 4096, .mem_align = 512 };
	struct statfs sfs;
	int ret, err;

	if (statfs("/dev/shm", &sfs) || sfs.f_type != 0x01021994 /* tmpfs */)
		skip();
	unlink(t->path);
	vblkt_img_create(t->path, SHM_TEMPLATE, IMG_SIZE);
	io.fd = open(t->path, O_RDWR | O_CLOEXEC);
	assert_true(io.fd >= 0);
	ret = fallocate(io.fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 0,
			4096);
	err = errno;
	close(io.fd);
	if (!ret || err != EOPNOTSUPP)
		skip(); /* a tmpfs that zeroes ranges: no fallback to test */

	vblkt_start(t, 0, 0, 0);
	assert_int_equal(vblkt_req_segs(t, VIRTIO_BLK_T_WRITE_ZEROES, plain, 1),
			 VIRTIO_BLK_S_OK);
	vblkt_assert_img_pat(t, 2 * 512, 512);
	vblkt_assert_img_zero(t, 3 * 512, 5 * 512);
	vblkt_assert_img_pat(t, 8 * 512, 512);
	assert_int_equal(vblkt_counters(t).write_zeroes_ops, 1);
	vblkt_stop(t);

	io.fd = open(t->path, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (io.fd < 0)
		return; /* tmpfs without O_DIRECT (before Linux 6.6) */
	assert_int_equal(blk_io_write_zeroes(&io, &s, 4096 + 512, 70000, 0), 0);
	vblkt_assert_img_pat(t, 4096, 512);
	vblkt_assert_img_zero(t, 4096 + 512, 70000);
	vblkt_assert_img_pat(t, 4096 + 512 + 70000, 4096);
	blk_scratch_free(&s);
	close(io.fd);
}

#define TB_TEST(fn) \
	cmocka_unit_test_setup_teardown(fn, vblkt_setup, vblkt_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TB_TEST(test_config),
		TB_TEST(test_config_ro_mq),
		TB_TEST(test_create_errors),
		TB_TEST(test_lock),
		TB_TEST(test_rw_roundtrip),
		TB_TEST(test_odd_framing),
		TB_TEST(test_flush_get_id),
		TB_TEST(test_default_serial),
		TB_TEST(test_discard),
		TB_TEST(test_write_zeroes),
		TB_TEST(test_write_zeroes_fallback),
	};

	/* The device logs every guest error (rate-limited); keep the
	 * output to cmocka's lines. */
	log_set_level(LOG_ERR);
	return cmocka_run_group_tests_name("virtio_blk", tests, NULL, NULL);
}
