// SPDX-License-Identifier: Apache-2.0
/*
 * blk_aio.c - the asynchronous engine of virtio-blk: reads and writes go
 * to the image through one io_uring per queue, so that a queue keeps as
 * many requests in flight as the guest posts (the synchronous engine of
 * blk_io.c runs them one after the other).  Why io_uring: measured in
 * bench/RESULTS.md against the synchronous engine; Linux AIO needs
 * O_DIRECT to be asynchronous and a thread pool adds a hand-off per
 * request.
 *
 * Each in-flight request owns a slot holding its head index, status
 * pointer and iovecs (guest buffers, validated by blk_io.c before the
 * submission).  The ring's completion eventfd is watched by the queue's
 * worker (virtio_queue_watch_fd), whose queue_notify reaps completions and
 * pushes them to the used ring.  A short or failed completion is redone
 * synchronously, with blk_io_rw's bounce fallback; only its failure
 * reaches the guest as IOERR.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <liburing.h>

#define LOG_MOD "virtio-blk"
#include "devices/virtio/blk_io.h"
#include "vmm/log.h"

struct blk_aio_slot {
	uint16_t head;
	uint8_t write;
	uint8_t *status;
	uint64_t off;
	uint32_t len;
	int cnt;
	struct iovec iov[BLK_AIO_MAX_IOV];
};

struct blk_aio {
	struct io_uring ring;
	int efd;
	uint16_t nr_slots, nr_free, inflight;
	uint16_t *free; /* stack of free slot indices */
	struct blk_aio_slot *slots;
};

int blk_aio_create(uint16_t nr_slots, struct blk_aio **out)
{
	struct blk_aio *a;
	int ret;

	if (!nr_slots)
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->slots = calloc(nr_slots, sizeof(*a->slots));
	a->free = calloc(nr_slots, sizeof(*a->free));
	if (!a->slots || !a->free) {
		ret = -ENOMEM;
		goto err_free;
	}
	a->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (a->efd < 0) {
		ret = -errno;
		goto err_free;
	}
	ret = io_uring_queue_init(nr_slots, &a->ring, 0);
	if (ret)
		goto err_efd;
	ret = io_uring_register_eventfd(&a->ring, a->efd);
	if (ret)
		goto err_ring;
	a->nr_slots = nr_slots;
	for (uint16_t i = 0; i < nr_slots; i++)
		a->free[a->nr_free++] = (uint16_t)(nr_slots - 1 - i);
	*out = a;
	return 0;

err_ring:
	io_uring_queue_exit(&a->ring);
err_efd:
	close(a->efd);
err_free:
	free(a->free);
	free(a->slots);
	free(a);
	return ret;
}

int blk_aio_fd(const struct blk_aio *a)
{
	return a->efd;
}

unsigned int blk_aio_inflight(const struct blk_aio *a)
{
	return a->inflight;
}

int blk_aio_submit(struct blk_aio *a, const struct blk_io *io, int write,
		   uint64_t off, const struct iovec *iov, int cnt, uint32_t len,
		   uint16_t head, uint8_t *status)
{
	struct blk_aio_slot *s;
	struct io_uring_sqe *sqe;

	if (cnt < 1 || cnt > BLK_AIO_MAX_IOV || !a->nr_free)
		return -EAGAIN;
	sqe = io_uring_get_sqe(&a->ring);
	if (!sqe) {
		/* The ring holds nr_slots entries: flush what is queued. */
		if (io_uring_submit(&a->ring) < 0)
			return -EAGAIN;
		sqe = io_uring_get_sqe(&a->ring);
		if (!sqe)
			return -EAGAIN;
	}
	s = &a->slots[a->free[--a->nr_free]];
	s->head = head;
	s->write = (uint8_t) !!write;
	s->status = status;
	s->off = off;
	s->len = len;
	s->cnt = cnt;
	memcpy(s->iov, iov, (size_t)cnt * sizeof(*iov));
	if (write)
		io_uring_prep_writev(sqe, io->fd, s->iov, (unsigned int)cnt,
				     off);
	else
		io_uring_prep_readv(sqe, io->fd, s->iov, (unsigned int)cnt,
				    off);
	io_uring_sqe_set_data64(sqe, (uint64_t)(s - a->slots));
	a->inflight++;
	return 0;
}

int blk_aio_flush_submissions(struct blk_aio *a)
{
	int ret = io_uring_submit(&a->ring);

	return ret < 0 ? ret : 0;
}

/* Finish slot `s` whose I/O returned `res`; fills *c. */
static void blk_aio_finish(struct blk_aio *a, const struct blk_io *io,
			   struct blk_scratch *scratch, struct blk_aio_slot *s,
			   int res, struct blk_aio_done *c)
{
	uint64_t done = 0;
	int ret = 0;

	if (res < 0 || (uint32_t)res != s->len) {
		/* Short or failed: redo it all synchronously (same bytes at
		 * the same offset, so idempotent), bounced if need be. */
		ret = blk_io_rw(io, scratch, s->write, s->off, s->iov, s->cnt,
				s->len, &done);
		if (!ret && done != s->len)
			ret = -EIO;
		if (!ret)
			res = (int)s->len;
		else
			res = ret;
	}
	c->head = s->head;
	c->write = s->write;
	c->len = s->len;
	c->res = res < 0 ? res : 0;
	*s->status = res < 0 ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
	/* Used length: data written into the guest's buffers + status. */
	c->used = (s->write || res < 0 ? 0 : s->len) + 1;
	a->free[a->nr_free++] = (uint16_t)(s - a->slots);
	a->inflight--;
}

int blk_aio_reap(struct blk_aio *a, const struct blk_io *io,
		 struct blk_scratch *scratch, int wait, struct blk_aio_done *c)
{
	struct io_uring_cqe *cqe;
	uint64_t idx;
	int ret, res;

	if (!a->inflight)
		return -EAGAIN;
	ret = wait ? io_uring_wait_cqe(&a->ring, &cqe) :
		     io_uring_peek_cqe(&a->ring, &cqe);
	if (ret)
		return ret == -EINTR ? -EAGAIN : ret;
	idx = io_uring_cqe_get_data64(cqe);
	res = cqe->res;
	io_uring_cqe_seen(&a->ring, cqe);
	if (idx >= a->nr_slots)
		return -EIO; /* not ours: cannot happen */
	blk_aio_finish(a, io, scratch, &a->slots[idx], res, c);
	return 0;
}

void blk_aio_drain_fd(struct blk_aio *a)
{
	eventfd_t v;

	(void)eventfd_read(a->efd, &v);
}

void blk_aio_cancel_all(struct blk_aio *a)
{
	struct io_uring_cqe *cqe;

	(void)io_uring_submit(&a->ring);
	while (a->inflight) {
		uint64_t idx;

		int ret = io_uring_wait_cqe(&a->ring, &cqe);

		if (ret == -EINTR)
			continue;
		if (ret)
			break;
		idx = io_uring_cqe_get_data64(cqe);
		io_uring_cqe_seen(&a->ring, cqe);
		if (idx < a->nr_slots) {
			a->free[a->nr_free++] = (uint16_t)idx;
			a->inflight--;
		}
	}
	blk_aio_drain_fd(a);
}

void blk_aio_destroy(struct blk_aio *a)
{
	if (!a)
		return;
	blk_aio_cancel_all(a);
	io_uring_queue_exit(&a->ring);
	close(a->efd);
	free(a->free);
	free(a->slots);
	free(a);
}
