// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_virtqueue.c - split virtqueue parsing (devices/virtio/virtqueue.c)
 * against rings the input writes into guest RAM.
 *
 * Input: a header byte (queue size, features, where the rings are), a
 * count and script of device-side operations (pop, push, notification
 * checks, the driver adding avail entries, reset), then the image of
 * guest RAM.  Every chain vq_pop accepts is checked against what
 * virtqueue.h promises: buffers inside guest RAM, lengths that add up,
 * readable before writable, no more buffers than the queue size.
 */
#include <errno.h>
#include <stdlib.h>

#include "devices/virtio/virtqueue.h"
#include "tests/fuzz/fuzz.h"

#define RAM_SIZE 0x10000u

static struct fz_ram ram;
static struct vq_chain *chain;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_log();
	chain = malloc(sizeof(*chain));
	if (!chain || fz_ram_init(&ram, 0, RAM_SIZE))
		abort();
	return 0;
}

static void check_chain(const struct vq *q, const struct vq_chain *c)
{
	uint64_t out = 0, in = 0;
	int seen_write = 0;

	FUZZ_CHECK(c->head < q->size);
	FUZZ_CHECK(c->nr <= q->size);
	for (unsigned int i = 0; i < c->nr; i++) {
		const uint8_t *p = c->buf[i].addr;

		FUZZ_CHECK(c->buf[i].len > 0);
		FUZZ_CHECK(p >= ram.host && p < ram.host + RAM_SIZE);
		FUZZ_CHECK(c->buf[i].len <= (size_t)(ram.host + RAM_SIZE - p));
		if (c->buf[i].write) {
			seen_write = 1;
			in += c->buf[i].len;
		} else {
			FUZZ_CHECK(!seen_write);
			out += c->buf[i].len;
		}
	}
	FUZZ_CHECK(out == c->out_len && in == c->in_len);
}

/* The driver publishes `n` more avail entries (bumps avail->idx). */
static void driver_add(struct vq *q, unsigned int n)
{
	uint8_t *idx = ram.host + (q->avail - ram.gpa) + 2;
	uint16_t v = (uint16_t)(idx[0] | idx[1] << 8);

	v = (uint16_t)(v + n);
	idx[0] = (uint8_t)v;
	idx[1] = (uint8_t)(v >> 8);
}

/* Chains popped and not yet pushed, oldest first (an asynchronous
 * device's requests in flight).  A device pushes each popped head once:
 * the harness does the same, never an arbitrary one. */
struct inflight {
	uint16_t head[VQ_MAX_SIZE];
	uint32_t len[VQ_MAX_SIZE];
	unsigned int first, nr;
};

static void complete_one(struct vq *q, struct inflight *fl)
{
	unsigned int i = fl->first % VQ_MAX_SIZE;

	if (!fl->nr)
		return;
	vq_push(q, fl->head[i], fl->len[i]);
	fl->first++;
	fl->nr--;
}

static void drain(struct vq *q, struct inflight *fl, int async)
{
	unsigned int pops = 0;
	int ret;

	/* What every device's queue_notify does.  Without the driver
	 * acting, at most a ring's worth can be available: more means the
	 * device's own writes made new entries appear, and a device would
	 * loop forever. */
	while (!(ret = vq_pop(q, chain))) {
		check_chain(q, chain);
		FUZZ_CHECK(++pops <= q->size);
		if (async && fl->nr < q->size) {
			unsigned int i = (fl->first + fl->nr++) % VQ_MAX_SIZE;

			fl->head[i] = chain->head;
			fl->len[i] = chain->in_len;
		} else if (vq_push(q, chain->head, chain->in_len)) {
			break;
		}
	}
	FUZZ_CHECK(ret == -EAGAIN || ret == -EINVAL || !ret);
	FUZZ_CHECK(ret != -EINVAL || q->broken);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t script[64], hdr, nops;
	uint64_t features = 0, desc = 0, avail = 0x4000, used = 0x6000;
	static struct inflight fl;
	uint16_t qsize;
	struct fz f;
	struct vq q;

	fz_init(&f, data, size);
	hdr = fz_u8(&f);
	qsize = (uint16_t)(1u << ((hdr & 15) % 11)); /* 1..1024 */
	if (hdr & 0x10)
		features |= 1ull << VIRTIO_F_INDIRECT_DESC;
	if (hdr & 0x20)
		features |= 1ull << VIRTIO_F_EVENT_IDX;
	if (hdr & 0x40) {
		/* Rings anywhere, including misaligned, overlapping or
		 * outside RAM. */
		desc = fz_u32(&f);
		avail = fz_u32(&f);
		used = fz_u32(&f);
	}
	if (hdr & 0x80)
		qsize = (uint16_t)(qsize + 1); /* not a power of two */
	nops = fz_u8(&f) % sizeof(script);
	fz_take(&f, script, nops);
	memset(ram.host, 0, RAM_SIZE);
	fz_take(&f, ram.host, f.n < RAM_SIZE ? f.n : RAM_SIZE);

	vq_init(&q, &ram.mem);
	if (vq_enable(&q, qsize, desc, avail, used, features))
		return 0;
	FUZZ_CHECK(q.size == qsize && !(qsize & (qsize - 1)));
	fl.first = fl.nr = 0;
	for (unsigned int i = 0; i < nops + 1u; i++) {
		uint8_t op = i < nops ? script[i] : 0;

		switch (op & 7) {
		case 0:
		case 1:
		case 2:
			drain(&q, &fl, op & 8);
			break;
		case 3:
			complete_one(&q, &fl);
			break;
		case 4:
			vq_should_notify(&q);
			break;
		case 5:
			vq_enable_notify(&q, op & 8);
			break;
		case 6:
			driver_add(&q, op >> 3);
			break;
		case 7:
			vq_reset(&q);
			fl.first = fl.nr = 0;
			if (vq_enable(&q, qsize, desc, avail, used, features))
				return 0;
			break;
		}
	}
	return 0;
}
