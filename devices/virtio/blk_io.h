/* SPDX-License-Identifier: Apache-2.0 */
/*
 * blk_io.h - virtio-blk request execution (private to virtio_blk.c and
 * blk_io.c).
 *
 * virtio_blk.c sets the device up and runs the queues; blk_io.c frames and
 * validates each popped chain (vblk_req_handle) and executes it on the
 * image fd, reads and writes through the asynchronous engine of
 * blk_aio.c when the queue has one, everything else synchronously: vectored reads and writes retried to
 * completion, with a bounce buffer for O_DIRECT requests the guest did not
 * align, fdatasync, and the fallocate-based discard / write-zeroes with
 * their fallbacks.  blk_io_* ranges are in bytes and were checked against
 * the capacity by the caller.
 *
 * Threading: `struct blk_io` and everything in `struct vblk` but the
 * counters are constant after setup and shared; each queue brings its own
 * `struct vblk_queue` (with its `struct blk_scratch`).  Callers: the
 * queue's worker.
 */
#ifndef NIMBUS_DEVICES_BLK_IO_H
#define NIMBUS_DEVICES_BLK_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "devices/counters.h"
#include "devices/virtio/virtio_blk.h"
#include "devices/virtio/virtqueue.h"
#include "vmm/log.h"

#define BLK_BOUNCE_SIZE (1u << 20)
#define BLK_MAX_ALIGN 65536u /* largest O_DIRECT block size accepted */

/* Per-image parameters, fixed at create. */
struct blk_io {
	int fd;
	int direct; /* fd has O_DIRECT */
	uint32_t align; /* power of two: O_DIRECT offset/length unit */
	uint32_t mem_align; /* power of two: O_DIRECT buffer address unit */
};

/* Per-queue scratch. */
struct blk_scratch {
	uint8_t *bounce; /* BLK_BOUNCE_SIZE bytes, allocated on first use */
};

/*
 * Read (write = 0) or write `len` bytes at byte offset `off` to/from the
 * iovecs (cnt entries totalling len, consumed in place).  *done receives
 * the bytes transferred (for reads: written into guest buffers).
 * 0, or -errno (-EIO for an unexpected end of file, -ENOMEM when the
 * bounce buffer cannot be allocated).
 */
int blk_io_rw(const struct blk_io *io, struct blk_scratch *s, int write,
	      uint64_t off, struct iovec *iov, int cnt, uint64_t len,
	      uint64_t *done);

/* fdatasync.  0 or -errno. */
int blk_io_flush(const struct blk_io *io);

/* Punch a hole (data becomes undefined-but-stable; files read zeros).
 * Unsupported by the file system/device: 0 (discard is a hint). */
int blk_io_discard(const struct blk_io *io, uint64_t off, uint64_t len);

/* Make [off, off+len) read as zeros: PUNCH_HOLE when `unmap`, else
 * ZERO_RANGE, else writing zeros.  0 or -errno. */
int blk_io_write_zeroes(const struct blk_io *io, struct blk_scratch *s,
			uint64_t off, uint64_t len, int unmap);

/* Free the bounce buffer (NULL-safe contents). */
void blk_scratch_free(struct blk_scratch *s);

/* ---- The asynchronous engine (blk_aio.c) ---- */

#define BLK_AIO_MAX_IOV 64 /* requests with more segments run in sync */

struct blk_aio;

/* One finished request, as blk_aio_reap reports it. */
struct blk_aio_done {
	uint16_t head; /* chain head to push */
	uint8_t write;
	uint32_t len; /* data bytes of the request */
	uint32_t used; /* used length to push (status byte included) */
	int res; /* 0, or the -errno the guest saw as IOERR */
};

/*
 * An io_uring with nr_slots entries and as many request slots, plus the
 * eventfd its completions signal.  -errno (-ENOSYS, -EPERM... when the
 * kernel has no io_uring: use the synchronous engine).  Setup thread.
 */
int blk_aio_create(uint16_t nr_slots, struct blk_aio **out);

/* The completion eventfd (to watch; blk_aio_drain_fd empties it). */
int blk_aio_fd(const struct blk_aio *a);
void blk_aio_drain_fd(struct blk_aio *a);

/* Requests submitted and not yet reaped. */
unsigned int blk_aio_inflight(const struct blk_aio *a);

/*
 * Queue a read or write of `len` bytes at byte `off` with the given
 * iovecs (copied; cnt <= BLK_AIO_MAX_IOV) for chain `head`, whose status
 * byte is at `status`; the submission happens at the next
 * blk_aio_flush_submissions.  -EAGAIN when no slot is free or the
 * request does not fit (the caller runs it synchronously).  The
 * guest buffers must stay valid until the request is reaped (they are
 * guest RAM).  Queue's worker.
 */
int blk_aio_submit(struct blk_aio *a, const struct blk_io *io, int write,
		   uint64_t off, const struct iovec *iov, int cnt, uint32_t len,
		   uint16_t head, uint8_t *status);

/* Hand every queued request to the kernel.  0 or -errno. */
int blk_aio_flush_submissions(struct blk_aio *a);

/*
 * Take one completion (waiting for it when `wait`), write the request's
 * status byte (a short or failed transfer is first redone synchronously
 * with `scratch`) and describe it in *c.  0; -EAGAIN when nothing is
 * (yet) complete; another -errno on a ring failure.  Queue's worker.
 */
int blk_aio_reap(struct blk_aio *a, const struct blk_io *io,
		 struct blk_scratch *scratch, int wait, struct blk_aio_done *c);

/* Wait for every request in flight and forget them (device reset): their
 * chains are not pushed.  Workers quiesced. */
void blk_aio_cancel_all(struct blk_aio *a);

/* Cancel everything and free.  NULL-safe.  No worker running. */
void blk_aio_destroy(struct blk_aio *a);

/* True when an O_DIRECT transfer needs no bounce buffer. */
bool blk_io_aligned(const struct blk_io *io, uint64_t off,
		    const struct iovec *iov, int cnt, uint64_t len);

/* ---- The device state shared with virtio_blk.c ---- */

/* Per-queue scratch: only the queue's worker touches it. */
struct vblk_queue {
	struct vq_chain chain;
	struct iovec iov[VQ_MAX_CHAIN];
	struct blk_scratch scratch;
	struct blk_aio *aio; /* NULL: synchronous engine */
	int aio_watched; /* its eventfd is on the worker's list */
	struct log_rl rl;
};

struct vblk {
	struct virtio_dev_info info;
	struct blk_io io;
	char *path, *id;
	uint8_t serial[VIRTIO_BLK_ID_BYTES];
	uint8_t config[VIRTIO_BLK_CFG_SIZE];
	uint64_t capacity; /* sectors */
	int readonly;
	uint32_t blk_size;
	struct dev_counters dc; /* enum vblk_ctr order (vblk_counters) */
	struct vblk_queue *q; /* info.nr_queues entries */
};

/* Counter indices in b->dc: the field order of struct vblk_counters. */
enum vblk_ctr {
	VBLK_CTR_READ_OPS,
	VBLK_CTR_READ_BYTES,
	VBLK_CTR_WRITE_OPS,
	VBLK_CTR_WRITE_BYTES,
	VBLK_CTR_FLUSH_OPS,
	VBLK_CTR_DISCARD_OPS,
	VBLK_CTR_WRITE_ZEROES_OPS,
	VBLK_CTR_ERRORS,
	VBLK_CTR_NR
};

static inline void vblk_count(struct vblk *b, enum vblk_ctr c, uint64_t n)
{
	dev_counter_add(&b->dc, c, n);
}

/*
 * Execute the chain in q->chain (popped from queue q) and write its status
 * byte; returns the used length to push (bytes written into the chain's
 * writable buffers, status included; 0 for a chain without a writable
 * byte).  With q->aio, a read or write may instead be queued on the
 * asynchronous engine: then *inflight is set, nothing is to be pushed now
 * and blk_aio_reap reports the chain later.  The queue's worker.
 */
uint32_t vblk_req_handle(struct vblk *b, struct vblk_queue *q, bool *inflight);

#endif /* NIMBUS_DEVICES_BLK_IO_H */
