// SPDX-License-Identifier: Apache-2.0
/*
 * test_virtio_blk_aio.c - the asynchronous (io_uring) engine of
 * virtio-blk: the engine on its own against a temporary file, then the
 * device with the real transport and its per-queue worker threads, many
 * requests in flight, two queues at once and a reset with requests in
 * flight.  Skips (visibly) when the kernel refuses io_uring.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/virtio/blk_io.h"
#include "devices/virtio/virtio_blk.h"
#include "devices/virtio/virtio_pci.h"
#include "tests/lib/vblk_fixture.h"

/* ---- the engine alone -------------------------------------------------- */

struct eng {
	char path[32];
	struct blk_io io;
	struct blk_scratch scratch;
	struct blk_aio *a;
};

static int eng_setup(void **state)
{
	struct eng *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	vblkt_img_create(e->path, TMP_TEMPLATE, 64 * 1024);
	e->io.fd = open(e->path, O_RDWR | O_CLOEXEC);
	assert_true(e->io.fd >= 0);
	e->io.align = e->io.mem_align = 512;
	*state = e;
	return 0;
}

static int eng_teardown(void **state)
{
	struct eng *e = *state;

	blk_aio_destroy(e->a);
	blk_scratch_free(&e->scratch);
	close(e->io.fd);
	unlink(e->path);
	free(e);
	return 0;
}

static bool have_io_uring(struct eng *e, uint16_t slots)
{
	int ret = blk_aio_create(slots, &e->a);

	if (ret == -ENOSYS || ret == -EPERM) {
		printf("SKIP: io_uring unavailable here (%s)\n",
		       strerror(-ret));
		return false;
	}
	assert_int_equal(ret, 0);
	return true;
}

static void reap_one(struct eng *e, struct blk_aio_done *c)
{
	assert_int_equal(blk_aio_reap(e->a, &e->io, &e->scratch, 1, c), 0);
}

static void test_engine_rw(void **state)
{
	struct eng *e = *state;
	uint8_t buf[3][4096], back[3][4096], st[3] = { 9, 9, 9 };
	struct blk_aio_done c;
	unsigned int seen = 0;
	struct iovec iov[2];
	uint64_t v;

	if (!have_io_uring(e, 8))
		skip();
	assert_int_equal(blk_aio_inflight(e->a), 0);
	assert_int_equal(blk_aio_reap(e->a, &e->io, &e->scratch, 0, &c),
			 -EAGAIN);
	/* Three writes in flight at once, one with two iovecs. */
	for (int i = 0; i < 3; i++) {
		memset(buf[i], 0x30 + i, sizeof(buf[i]));
		iov[0] = (struct iovec){ buf[i], 1024 };
		iov[1] = (struct iovec){ buf[i] + 1024, 3072 };
		assert_int_equal(blk_aio_submit(e->a, &e->io, 1, 8192u * i, iov,
						i == 1 ? 2 : 1,
						i == 1 ? 4096 : 1024, 10 + i,
						&st[i]),
				 0);
	}
	assert_int_equal(blk_aio_inflight(e->a), 3);
	assert_int_equal(blk_aio_flush_submissions(e->a), 0);
	for (int i = 0; i < 3; i++) {
		reap_one(e, &c);
		assert_true(c.head >= 10 && c.head <= 12);
		seen |= 1u << (c.head - 10);
		assert_int_equal(c.write, 1);
		assert_int_equal(c.res, 0);
		assert_int_equal(c.used, 1); /* status byte only */
		assert_int_equal(c.len, c.head == 11 ? 4096 : 1024);
		assert_int_equal(st[c.head - 10], VIRTIO_BLK_S_OK);
	}
	assert_int_equal(seen, 7);
	assert_int_equal(blk_aio_inflight(e->a), 0);
	/* The completion eventfd was signalled. */
	assert_int_equal(read(blk_aio_fd(e->a), &v, 8), 8);
	assert_true(v >= 1);

	/* Read them back asynchronously. */
	for (int i = 0; i < 3; i++) {
		iov[0] = (struct iovec){ back[i], 4096 };
		assert_int_equal(blk_aio_submit(e->a, &e->io, 0, 8192u * i, iov,
						1, 4096, 20 + i, &st[i]),
				 0);
	}
	assert_int_equal(blk_aio_flush_submissions(e->a), 0);
	for (int i = 0; i < 3; i++) {
		reap_one(e, &c);
		assert_int_equal(c.res, 0);
		assert_int_equal(c.used, 4097);
	}
	assert_memory_equal(back[1], buf[1], 4096);
	assert_memory_equal(back[0], buf[0], 1024);
	assert_memory_equal(back[2], buf[2], 1024);
	/* Bytes after the 1 KiB writes keep the image pattern. */
	assert_int_equal(back[0][1024], vblkt_pat(1024));
	assert_int_equal(back[2][2000], vblkt_pat(2 * 8192 + 2000));
}

static void test_engine_short_and_limits(void **state)
{
	struct eng *e = *state;
	static uint8_t buf[8192];
	struct iovec iov[BLK_AIO_MAX_IOV + 1];
	struct blk_aio_done c;
	uint8_t st = 9;

	if (!have_io_uring(e, 2))
		skip();
	/* A read running past the end of the image: the kernel returns a
	 * short count, the synchronous redo meets EOF, the guest sees
	 * IOERR and nothing written into its buffers. */
	iov[0] = (struct iovec){ buf, 8192 };
	assert_int_equal(blk_aio_submit(e->a, &e->io, 0, 60 * 1024, iov, 1,
					8192, 5, &st),
			 0);
	assert_int_equal(blk_aio_flush_submissions(e->a), 0);
	reap_one(e, &c);
	assert_int_equal(c.head, 5);
	assert_int_equal(c.res, -EIO);
	assert_int_equal(c.used, 1);
	assert_int_equal(st, VIRTIO_BLK_S_IOERR);

	/* Too many iovecs, or no free slot: the caller goes synchronous. */
	for (int i = 0; i <= BLK_AIO_MAX_IOV; i++)
		iov[i] = (struct iovec){ buf + i, 1 };
	assert_int_equal(blk_aio_submit(e->a, &e->io, 0, 0, iov,
					BLK_AIO_MAX_IOV + 1,
					BLK_AIO_MAX_IOV + 1, 1, &st),
			 -EAGAIN);
	assert_int_equal(blk_aio_submit(e->a, &e->io, 0, 0, iov, 0, 0, 1, &st),
			 -EAGAIN);
	iov[0] = (struct iovec){ buf, 512 };
	assert_int_equal(
		blk_aio_submit(e->a, &e->io, 0, 0, iov, 1, 512, 1, &st), 0);
	assert_int_equal(
		blk_aio_submit(e->a, &e->io, 0, 512, iov, 1, 512, 2, &st), 0);
	assert_int_equal(blk_aio_submit(e->a, &e->io, 0, 1024, iov, 1, 512, 3,
					&st),
			 -EAGAIN);
	/* A reset drops both, submitted or not. */
	blk_aio_cancel_all(e->a);
	assert_int_equal(blk_aio_inflight(e->a), 0);
	assert_int_equal(blk_aio_reap(e->a, &e->io, &e->scratch, 0, &c),
			 -EAGAIN);
	/* Slots are free again. */
	assert_int_equal(
		blk_aio_submit(e->a, &e->io, 0, 0, iov, 1, 512, 4, &st), 0);
}

/* ---- the device with its worker threads -------------------------------- */

#define NREQ 24
#define AHDR(i) (HDR_GPA + 16ull * (i))
#define ASTATUS(i) (STATUS_GPA + (i))
#define ADATA(i) (DATA_GPA + 4096ull * (i))

/* vblkt_transport_up with the transport's workers started first, so
 * that activate can hand them the completion eventfds. */
static void up_with_workers(struct vblkt *t, uint64_t drv_features)
{
	struct vdrv_plat_cfg pc = { .ram = &t->ram,
				    .nvec = t->nq + 1,
				    .gsi_base = 100 };

	vdrv_plat_init(&t->plat, &pc);
	assert_int_equal(virtio_pci_create(vblk_info(t->b), t->ops, t->b,
					   &t->plat.host, &t->vd),
			 0);
	assert_int_equal(virtio_pci_start(t->vd), 0);
	t->dev.strict = 1;
	t->dev.wide_addr = 1;
	vdrv_dev_plug(&t->dev, &t->plat, virtio_pci_dev(t->vd));
	vdrv_driver_init(&t->dev, drv_features | 1ull << VIRTIO_F_VERSION_1,
			 t->dq, t->nq, t->nq, 0);
}

static int dev_setup(void **state)
{
	return vblkt_setup_hooks(state, up_with_workers, vblkt_transport_down);
}

/* Post read i (4 KiB at sector 8*i + 8*first) on queue qi; no kick. */
static uint16_t post_read(struct vblkt *t, unsigned int qi, unsigned int i,
			  unsigned int first)
{
	struct vdrv_seg s[3] = {
		{ AHDR(i), VIRTIO_BLK_HDR_SIZE, 0 },
		{ ADATA(i), 4096, 1 },
		{ ASTATUS(i), 1, 1 },
	};

	vblkt_put_hdr(t, AHDR(i), VIRTIO_BLK_T_IN, 8ull * (i + first));
	*gp(t, ASTATUS(i)) = ST_UNTOUCHED;
	memset(gp(t, ADATA(i)), 0, 4096);
	return vdrv_vq_post(&t->dq[qi], s, 3, false);
}

static void check_read(struct vblkt *t, unsigned int i, unsigned int first)
{
	const uint8_t *p = gp(t, ADATA(i));

	assert_int_equal(*gp(t, ASTATUS(i)), VIRTIO_BLK_S_OK);
	for (unsigned int k = 0; k < 4096; k += 511)
		assert_int_equal(p[k], vblkt_pat(4096ull * (i + first) + k));
}

static bool start_aio(struct vblkt *t, uint16_t nq)
{
	struct vblk_cfg cfg = {
		.path = t->path,
		.num_queues = nq,
		.io_engine = BLK_ENGINE_IO_URING,
	};
	int ret =
		vblkt_start_cfg(t, &cfg, nq > 1 ? 1ull << VIRTIO_BLK_F_MQ : 0);

	if (ret == -ENOSYS || ret == -EPERM) {
		printf("SKIP: io_uring unavailable here (%s)\n",
		       strerror(-ret));
		return false;
	}
	assert_int_equal(ret, 0);
	return true;
}

static void test_device_many_in_flight(void **state)
{
	struct vblkt *t = *state;
	const struct dev_counters *dc;
	struct vblk_counters ctr;
	uint16_t head[NREQ];

	if (!start_aio(t, 1))
		skip();
	/* The engine is on and its completions reach the worker. */
	assert_non_null(t->b->q[0].aio);
	assert_int_equal(t->b->q[0].aio_watched, 1);
	for (unsigned int i = 0; i < NREQ; i++)
		head[i] = post_read(t, 0, i, 0);
	vdrv_kick(&t->dev, 0);
	assert_true(vdrv_vq_wait_used(&t->dq[0], NREQ));
	for (unsigned int i = 0; i < NREQ; i++) {
		uint32_t id, len;

		vdrv_vq_used_elem(&t->dq[0], (uint16_t)i, &id, &len);
		assert_true(id < 1024);
		assert_int_equal(len, 4097);
		check_read(t, i, 0);
	}
	(void)head;
	vblk_get_counters(t->b, &ctr);
	assert_int_equal(ctr.read_ops, NREQ);
	assert_int_equal(ctr.read_bytes, NREQ * 4096ull);
	assert_int_equal(ctr.errors, 0);
	/* The same numbers under CH's names for vm.counters. */
	dc = vblk_dev_counters(t->b);
	assert_string_equal(dc->names[VBLK_CTR_READ_OPS], "read_ops");
	assert_string_equal(dc->names[VBLK_CTR_READ_BYTES], "read_bytes");
	assert_int_equal(dev_counter_get(dc, VBLK_CTR_READ_OPS), NREQ);
	assert_int_equal(dev_counter_get(dc, VBLK_CTR_READ_BYTES),
			 NREQ * 4096ull);
	assert_int_equal(dev_counter_get(dc, VBLK_CTR_WRITE_OPS), 0);
	assert_false(vblkt_needs_reset(t));
}

/* Does this process have a thread named `name`? */
static bool have_thread(const char *name)
{
	char path[300], comm[32];
	struct dirent *d;
	bool found = false;
	DIR *dir = opendir("/proc/self/task");

	assert_non_null(dir);
	while (!found && (d = readdir(dir))) {
		FILE *f;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm",
			 d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f)) {
			comm[strcspn(comm, "\n")] = '\0';
			found = !strcmp(comm, name);
		}
		fclose(f);
	}
	closedir(dir);
	return found;
}

static void test_device_two_queues(void **state)
{
	struct vblkt *t = *state;
	struct vblk_counters ctr;

	if (!start_aio(t, 2))
		skip();
	/* One worker thread per queue. */
	assert_true(have_thread("virtio-blk/q0"));
	assert_true(have_thread("virtio-blk/q1"));
	for (unsigned int i = 0; i < NREQ / 2; i++) {
		post_read(t, 0, i, 0);
		post_read(t, 1, NREQ / 2 + i, 0);
	}
	vdrv_kick(&t->dev, 1);
	vdrv_kick(&t->dev, 0);
	assert_true(vdrv_vq_wait_used(&t->dq[0], NREQ / 2));
	assert_true(vdrv_vq_wait_used(&t->dq[1], NREQ / 2));
	for (unsigned int i = 0; i < NREQ; i++)
		check_read(t, i, 0);
	vblk_get_counters(t->b, &ctr);
	assert_int_equal(ctr.read_ops, NREQ);
}

static void test_device_reset_in_flight(void **state)
{
	struct vblkt *t = *state;
	unsigned int resets;

	if (!start_aio(t, 1))
		skip();
	for (unsigned int i = 0; i < NREQ; i++)
		post_read(t, 0, i, 0);
	vdrv_kick(&t->dev, 0);
	/* Reset at once: requests still in flight are waited for and
	 * dropped; the device comes back and serves again. */
	assert_int_equal(t->plat.nactivated, 1);
	resets = t->plat.nresets;
	vdrv_reset(&t->dev);
	assert_int_equal(vdrv_cc_rd(&t->dev, VDRV_CC_STATUS, 1), 0);
	/* The event monitor hook saw the reset, then the new activation. */
	assert_int_equal(t->plat.nresets, resets + 1);
	for (uint16_t q = 0; q < t->nq; q++) {
		uint64_t desc = RAM_GPA + 0x8000ull * q;

		vdrv_vq_place(&t->dq[q], &t->ram, t->qsize, desc, desc + 0x4000,
			      desc + 0x5000);
	}
	vdrv_driver_init(&t->dev, 1ull << VIRTIO_F_VERSION_1, t->dq, t->nq,
			 t->nq, 0);
	for (unsigned int i = 0; i < 4; i++)
		post_read(t, 0, i, 100);
	vdrv_kick(&t->dev, 0);
	assert_true(vdrv_vq_wait_used(&t->dq[0], 4));
	for (unsigned int i = 0; i < 4; i++)
		check_read(t, i, 100);
	assert_int_equal(t->plat.nactivated, 2);
	assert_int_equal(t->plat.nbadevents, 0);
	assert_false(vblkt_needs_reset(t));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_engine_rw, eng_setup,
						eng_teardown),
		cmocka_unit_test_setup_teardown(test_engine_short_and_limits,
						eng_setup, eng_teardown),
		cmocka_unit_test_setup_teardown(test_device_many_in_flight,
						dev_setup, vblkt_teardown),
		cmocka_unit_test_setup_teardown(test_device_two_queues,
						dev_setup, vblkt_teardown),
		cmocka_unit_test_setup_teardown(test_device_reset_in_flight,
						dev_setup, vblkt_teardown),
	};

	return cmocka_run_group_tests_name("virtio_blk_aio", tests, NULL, NULL);
}
