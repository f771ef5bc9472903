// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_virtio_blk.c - virtio-blk request handling (devices/virtio/
 * blk_io.c) through its entry point vblk_req_handle, on chains the input
 * describes, and the device's queue processing (virtio_blk.c
 * queue_notify) on rings in guest RAM.
 *
 * Input byte 0 bit 0 picks the mode.  Chain mode: device flags (read-only,
 * serial), then buffers as vq_pop would hand them over (readable first,
 * then writable, none empty), each in its own exact-size allocation so
 * that any access outside it is an ASan report; the readable ones carry
 * the request header and data from the input.  The used length must not
 * exceed the chain's writable bytes and the status byte must be one of
 * the three statuses.  Queue mode: see vtransport.h.  The image is a 1 MiB
 * memfd, synchronous engine.  Creating a device per input costs more than
 * running it, so one device per configuration is made on first use and
 * kept (requests hold no state between calls; the image's contents are
 * only data).
 */
#include <stdlib.h>

#include "devices/virtio/blk_io.h"
#include "devices/virtio/virtio_blk.h"
#include "tests/fuzz/vtransport.h"

#define DISK_SIZE (1u << 20)
#define MAX_BUFS 16

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *zero;
static struct vblk *devs[16];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	zero = calloc(1, DISK_SIZE);
	fuzz_quiet_log();
	if (!zero)
		abort();
	vt_ram();
	return 0;
}

static void run_chain(struct vblk *b, struct fz *f)
{
	struct vblk_queue *q = &b->q[0];
	struct vq_chain *c = &q->chain;
	unsigned int nr = fz_u8(f) % (MAX_BUFS + 1), nout = fz_u8(f);
	uint64_t out = 0, in = 0;
	uint8_t *st = NULL;
	bool inflight;
	uint32_t used;

	c->head = 0;
	c->nr = (uint16_t)nr;
	for (unsigned int i = 0; i < nr; i++) {
		/* Mostly small (headers, status), sometimes large (data). */
		uint32_t len = fz_u16(f);

		len = (len & 0x8000) ? (len & 0x7fff) * 4u : (len & 0x3ff);
		if (!len)
			len = 1;
		c->buf[i].addr = malloc(len);
		c->buf[i].len = len;
		c->buf[i].write = i >= nout;
		if (!c->buf[i].addr)
			abort();
		if (c->buf[i].write) {
			memset(c->buf[i].addr, 0xee, len);
			in += len;
			st = (uint8_t *)c->buf[i].addr + len - 1;
		} else {
			fz_take(f, c->buf[i].addr, len);
			out += len;
		}
	}
	c->out_len = (uint32_t)out;
	c->in_len = (uint32_t)in;
	used = vblk_req_handle(b, q, &inflight);
	FUZZ_CHECK(!inflight); /* synchronous engine */
	FUZZ_CHECK(used <= c->in_len);
	if (used)
		FUZZ_CHECK(st && *st <= 2); /* OK, IOERR, UNSUPP */
	for (unsigned int i = 0; i < nr; i++)
		free(c->buf[i].addr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vblk_cfg cfg = { .io_engine = BLK_ENGINE_SYNC };
	char path[64];
	struct virtio_dev vd;
	struct vblk *b;
	uint8_t mode;
	struct fz f;

	fz_init(&f, data, size);
	mode = fz_u8(&f);
	b = devs[(mode >> 1) & 15];
	if (!b) {
		cfg.readonly = mode & 2;
		cfg.serial = mode & 4 ? "fuzz-serial-01234567" : NULL;
		cfg.num_queues = mode & 8 ? 2 : 1;
		cfg.queue_size = mode & 16 ? 4 : 0;
		/* Its own image: each device locks its image. */
		if (fz_memfd("fuzz-disk", zero, DISK_SIZE, path) < 0)
			abort();
		cfg.path = path;
		if (vblk_create(&cfg, &b, NULL, 0))
			abort();
		devs[(mode >> 1) & 15] = b;
	}
	if (mode & 1) {
		run_chain(b, &f);
	} else if (!vt_setup(&vd, vblk_info(b), vblk_ops(), b, &f)) {
		vt_run(&vd, NULL, NULL);
	}
	return 0;
}
