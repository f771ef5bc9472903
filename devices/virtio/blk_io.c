// SPDX-License-Identifier: Apache-2.0
/*
 * blk_io.c - virtio-blk request framing, validation and synchronous
 * execution on the raw image.
 *
 * Direct path: preadv/pwritev straight on the guest's iovecs, looping over
 * short transfers.  Bounce path (O_DIRECT only, when the offset, length or
 * any iovec is not aligned, or the kernel refused the direct path with
 * EINVAL): the request is cut into chunks of at most BLK_BOUNCE_SIZE,
 * each widened to whole blocks; reads copy the wanted part out, writes
 * first read the partial blocks at either end (read-modify-write).
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_MOD "virtio-blk"
#include "devices/virtio/blk_io.h"
#include "vmm/log.h"

/*
 * Source of zeros for the write-zeroes fallback: one page, aligned for
 * O_DIRECT, repeated BLK_ZERO_IOVS times in an iovec array.
 */
#define BLK_ZERO_SIZE 4096u
#define BLK_ZERO_IOVS 64
static const uint8_t blk_zeroes[BLK_ZERO_SIZE]
	__attribute__((aligned(BLK_ZERO_SIZE)));

static uint64_t blk_min(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Drop `n` consumed bytes from the front of the iovec array. */
static void blk_iov_advance(struct iovec **iov, int *cnt, size_t n)
{
	while (*cnt && n >= (*iov)->iov_len) {
		n -= (*iov)->iov_len;
		(*iov)++;
		(*cnt)--;
	}
	if (*cnt && n) {
		(*iov)->iov_base = (uint8_t *)(*iov)->iov_base + n;
		(*iov)->iov_len -= n;
	}
	/* Zero-length entries would make preadv return 0 and look like EOF. */
	while (*cnt && !(*iov)->iov_len) {
		(*iov)++;
		(*cnt)--;
	}
}

/* Copy n bytes between a linear buffer and the iovecs (consumed). */
static void blk_iov_copy(struct iovec **iov, int *cnt, uint8_t *buf, size_t n,
			 int to_iov)
{
	while (n && *cnt) {
		size_t k = blk_min(n, (*iov)->iov_len);

		if (to_iov)
			memcpy((*iov)->iov_base, buf, k);
		else
			memcpy(buf, (*iov)->iov_base, k);
		buf += k;
		n -= k;
		blk_iov_advance(iov, cnt, k);
	}
}

bool blk_io_aligned(const struct blk_io *io, uint64_t off,
		    const struct iovec *iov, int cnt, uint64_t len)
{
	uint64_t a = io->align - 1, m = io->mem_align - 1;
	int i;

	if ((off | len) & a)
		return false;
	for (i = 0; i < cnt; i++)
		if ((iov[i].iov_len & a) || ((uintptr_t)iov[i].iov_base & m))
			return false;
	return true;
}

/* preadv/pwritev until the iovecs are consumed. */
static int blk_rw_vec(const struct blk_io *io, int write, uint64_t off,
		      struct iovec **iov, int *cnt, uint64_t *done)
{
	ssize_t n;

	blk_iov_advance(iov, cnt, 0);
	while (*cnt) {
		int k = *cnt < IOV_MAX ? *cnt : IOV_MAX;

		if (write)
			n = pwritev(io->fd, *iov, k, (off_t)off);
		else
			n = preadv(io->fd, *iov, k, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!n)
			return -EIO; /* EOF inside the capacity: image shrank */
		off += (uint64_t)n;
		*done += (uint64_t)n;
		blk_iov_advance(iov, cnt, (size_t)n);
	}
	return 0;
}

/* pread of up to len bytes; *got stops short only at end of file. */
static int blk_pread_full(int fd, uint8_t *buf, size_t len, uint64_t off,
			  size_t *got)
{
	ssize_t n;

	*got = 0;
	while (*got < len) {
		n = pread(fd, buf + *got, len - *got, (off_t)(off + *got));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!n)
			break;
		*got += (size_t)n;
	}
	return 0;
}

static int blk_pwrite_full(int fd, const uint8_t *buf, size_t len, uint64_t off)
{
	size_t put = 0;
	ssize_t n;

	while (put < len) {
		n = pwrite(fd, buf + put, len - put, (off_t)(off + put));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!n)
			return -EIO;
		put += (size_t)n;
	}
	return 0;
}

/* One aligned block for read-modify-write; zeros past end of file. */
static int blk_read_block(const struct blk_io *io, uint8_t *buf, uint64_t off)
{
	size_t got;
	int ret;

	ret = blk_pread_full(io->fd, buf, io->align, off, &got);
	if (ret)
		return ret;
	memset(buf + got, 0, io->align - got);
	return 0;
}

static int blk_bounce_get(struct blk_scratch *s)
{
	void *p;
	int ret;

	if (s->bounce)
		return 0;
	ret = posix_memalign(&p, BLK_MAX_ALIGN, BLK_BOUNCE_SIZE);
	if (ret)
		return -ret;
	s->bounce = p;
	return 0;
}

/* The bounce path: chunks widened to whole blocks. */
static int blk_rw_bounce(const struct blk_io *io, struct blk_scratch *s,
			 int write, uint64_t off, struct iovec **iov, int *cnt,
			 uint64_t len, uint64_t *done)
{
	uint64_t amask = io->align - 1;
	int ret;

	ret = blk_bounce_get(s);
	if (ret)
		return ret;
	while (len) {
		uint64_t start = off & ~amask;
		size_t head = (size_t)(off - start);
		size_t n = (size_t)blk_min(len, BLK_BOUNCE_SIZE - head);
		size_t span = (size_t)((head + n + amask) & ~amask);
		uint8_t *b = s->bounce;
		size_t got;

		if (!write) {
			ret = blk_pread_full(io->fd, b, span, start, &got);
			if (ret)
				return ret;
			if (got < head + n)
				return -EIO;
			blk_iov_copy(iov, cnt, b + head, n, 1);
		} else {
			if (head) {
				ret = blk_read_block(io, b, start);
				if (ret)
					return ret;
			}
			/* The last block, unless it is the first and read. */
			if (span != head + n && (span > io->align || !head)) {
				ret = blk_read_block(io, b + span - io->align,
						     start + span - io->align);
				if (ret)
					return ret;
			}
			blk_iov_copy(iov, cnt, b + head, n, 0);
			ret = blk_pwrite_full(io->fd, b, span, start);
			if (ret)
				return ret;
		}
		off += n;
		len -= n;
		*done += n;
	}
	return 0;
}

int blk_io_rw(const struct blk_io *io, struct blk_scratch *s, int write,
	      uint64_t off, struct iovec *iov, int cnt, uint64_t len,
	      uint64_t *done)
{
	uint64_t d = 0;
	int ret;

	*done = 0;
	if (!io->direct || blk_io_aligned(io, off, iov, cnt, len)) {
		ret = blk_rw_vec(io, write, off, &iov, &cnt, &d);
		*done = d;
		/* A constraint the probe did not see: retry the rest bounced. */
		if (ret != -EINVAL || !io->direct)
			return ret;
	}
	ret = blk_rw_bounce(io, s, write, off + d, &iov, &cnt, len - d, &d);
	*done = d;
	return ret;
}

int blk_io_flush(const struct blk_io *io)
{
	return fdatasync(io->fd) ? -errno : 0;
}

static int blk_fallocate(int fd, int mode, uint64_t off, uint64_t len)
{
	int ret;

	do {
		ret = fallocate(fd, mode | FALLOC_FL_KEEP_SIZE, (off_t)off,
				(off_t)len);
	} while (ret && errno == EINTR);
	return ret ? -errno : 0;
}

int blk_io_discard(const struct blk_io *io, uint64_t off, uint64_t len)
{
	int ret = blk_fallocate(io->fd, FALLOC_FL_PUNCH_HOLE, off, len);

	return ret == -EOPNOTSUPP ? 0 : ret;
}

int blk_io_write_zeroes(const struct blk_io *io, struct blk_scratch *s,
			uint64_t off, uint64_t len, int unmap)
{
	int ret = -EOPNOTSUPP;

	if (unmap)
		ret = blk_fallocate(io->fd, FALLOC_FL_PUNCH_HOLE, off, len);
	if (ret == -EOPNOTSUPP)
		ret = blk_fallocate(io->fd, FALLOC_FL_ZERO_RANGE, off, len);
	if (ret != -EOPNOTSUPP)
		return ret;
	while (len) {
		struct iovec v[BLK_ZERO_IOVS];
		uint64_t chunk = 0, done;
		int n;

		for (n = 0; n < BLK_ZERO_IOVS && chunk < len; n++) {
			v[n].iov_base = (void *)blk_zeroes;
			v[n].iov_len =
				(size_t)blk_min(len - chunk, BLK_ZERO_SIZE);
			chunk += v[n].iov_len;
		}
		ret = blk_io_rw(io, s, 1, off, v, n, chunk, &done);
		if (ret)
			return ret;
		off += chunk;
		len -= chunk;
	}
	return 0;
}

void blk_scratch_free(struct blk_scratch *s)
{
	free(s->bounce);
	s->bounce = NULL;
}

/* ---- Request framing ---- */

/* One request after framing (see virtio_blk.h). */
struct vblk_req {
	uint32_t type;
	uint64_t sector;
	uint32_t out_data; /* readable bytes after the header */
	uint32_t in_data; /* writable bytes before the status */
	uint8_t *status;
};

/*
 * Gather up to `take` bytes of the chain's readable (write = 0) or
 * writable stream, after skipping `skip` of them, into iov[].  Returns the
 * number of entries (never more than c->nr).
 */
static int vblk_gather(const struct vq_chain *c, int write, uint64_t skip,
		       uint64_t take, struct iovec *iov)
{
	int n = 0;
	uint16_t i;

	for (i = 0; i < c->nr && take; i++) {
		const struct vq_buf *vb = &c->buf[i];
		uint64_t len = vb->len;

		if (!!vb->write != !!write)
			continue;
		if (skip >= len) {
			skip -= len;
			continue;
		}
		len -= skip;
		if (len > take)
			len = take;
		iov[n].iov_base = (uint8_t *)vb->addr + skip;
		iov[n].iov_len = len;
		n++;
		take -= len;
		skip = 0;
	}
	return n;
}

/* Copy `n` bytes at offset `off` of a stream (guest may race: copy once). */
static void vblk_stream_copy(struct vblk_queue *q, int write, uint64_t off,
			     void *buf, uint64_t n, int to_guest)
{
	uint8_t *p = buf;
	int cnt, i;

	cnt = vblk_gather(&q->chain, write, off, n, q->iov);
	for (i = 0; i < cnt; i++) {
		if (to_guest)
			memcpy(q->iov[i].iov_base, p, q->iov[i].iov_len);
		else
			memcpy(p, q->iov[i].iov_base, q->iov[i].iov_len);
		p += q->iov[i].iov_len;
	}
}

static bool vblk_range_ok(const struct vblk *b, uint64_t sector, uint64_t nsec)
{
	return sector <= b->capacity && nsec <= b->capacity - sector;
}

/* vblk_rw: queued on the asynchronous engine, no status yet. */
#define VBLK_S_INFLIGHT 0xffu

/* ---- Request execution ---- */

static uint8_t vblk_rw(struct vblk *b, struct vblk_queue *q,
		       const struct vblk_req *r, uint32_t *written)
{
	int write = r->type == VIRTIO_BLK_T_OUT;
	uint32_t len = write ? r->out_data : r->in_data;
	uint64_t done = 0, off;
	int cnt, ret;

	if (write ? r->in_data : r->out_data) {
		log_ratelimited(&q->rl, LOG_WARN,
				"disk %s: %s with data in the wrong direction",
				b->id, write ? "OUT" : "IN");
		return VIRTIO_BLK_S_IOERR;
	}
	if (write && b->readonly) {
		log_ratelimited(&q->rl, LOG_WARN,
				"disk %s: write to a read-only disk", b->id);
		return VIRTIO_BLK_S_IOERR;
	}
	if (len % VIRTIO_BLK_SECTOR_SIZE ||
	    !vblk_range_ok(b, r->sector, len / VIRTIO_BLK_SECTOR_SIZE)) {
		log_ratelimited(
			&q->rl, LOG_WARN,
			"disk %s: %s of %u bytes at sector %llu: not whole sectors or beyond %llu sectors",
			b->id, write ? "OUT" : "IN", len,
			(unsigned long long)r->sector,
			(unsigned long long)b->capacity);
		return VIRTIO_BLK_S_IOERR;
	}
	/* OUT data follows the header in the readable stream; IN data
	 * precedes the status in the writable one. */
	cnt = vblk_gather(&q->chain, !write, write ? VIRTIO_BLK_HDR_SIZE : 0,
			  len, q->iov);
	off = r->sector * VIRTIO_BLK_SECTOR_SIZE;
	/* Counted when reaped (virtio_blk.c). */
	if (q->aio && len &&
	    (!b->io.direct || blk_io_aligned(&b->io, off, q->iov, cnt, len)) &&
	    !blk_aio_submit(q->aio, &b->io, write, off, q->iov, cnt, len,
			    q->chain.head, r->status))
		return VBLK_S_INFLIGHT;
	ret = blk_io_rw(&b->io, &q->scratch, write, off, q->iov, cnt, len,
			&done);
	if (!write)
		*written = (uint32_t)done;
	if (ret) {
		log_ratelimited(
			&q->rl, LOG_WARN,
			"disk %s: %s of %u bytes at sector %llu failed: %s",
			b->id, write ? "write" : "read", len,
			(unsigned long long)r->sector, strerror(-ret));
		return VIRTIO_BLK_S_IOERR;
	}
	vblk_count(b, write ? VBLK_CTR_WRITE_OPS : VBLK_CTR_READ_OPS, 1);
	vblk_count(b, write ? VBLK_CTR_WRITE_BYTES : VBLK_CTR_READ_BYTES, len);
	return VIRTIO_BLK_S_OK;
}

static uint8_t vblk_get_id(struct vblk *b, struct vblk_queue *q,
			   const struct vblk_req *r, uint32_t *written)
{
	uint32_t n = r->in_data < VIRTIO_BLK_ID_BYTES ? r->in_data :
							VIRTIO_BLK_ID_BYTES;

	if (r->out_data || !n) {
		log_ratelimited(&q->rl, LOG_WARN,
				"disk %s: GET_ID without a writable id buffer",
				b->id);
		return VIRTIO_BLK_S_IOERR;
	}
	vblk_stream_copy(q, 1, 0, b->serial, n, 1);
	*written = n;
	return VIRTIO_BLK_S_OK;
}

/* DISCARD / WRITE_ZEROES: validate every segment, then execute them. */
static uint8_t vblk_segments(struct vblk *b, struct vblk_queue *q,
			     const struct vblk_req *r)
{
	int wz = r->type == VIRTIO_BLK_T_WRITE_ZEROES;
	const char *what = wz ? "WRITE_ZEROES" : "DISCARD";
	uint8_t seg[VBLK_MAX_DISCARD_SEG][VIRTIO_BLK_SEG_SIZE];
	uint32_t nseg = r->out_data / VIRTIO_BLK_SEG_SIZE, i, flags, num;
	uint64_t sector;
	int ret;

	if (b->readonly || r->in_data || !nseg ||
	    r->out_data % VIRTIO_BLK_SEG_SIZE || nseg > VBLK_MAX_DISCARD_SEG) {
		log_ratelimited(
			&q->rl, LOG_WARN,
			"disk %s: bad %s (%u data bytes, %u writable, %s)",
			b->id, what, r->out_data, r->in_data,
			b->readonly ? "read-only" : "read-write");
		return VIRTIO_BLK_S_IOERR;
	}
	vblk_stream_copy(q, 0, VIRTIO_BLK_HDR_SIZE, seg, r->out_data, 0);
	for (i = 0; i < nseg; i++) {
		memcpy(&sector, seg[i], 8);
		memcpy(&num, seg[i] + 8, 4);
		memcpy(&flags, seg[i] + 12, 4);
		sector = le64toh(sector);
		num = le32toh(num);
		flags = le32toh(flags);
		if (flags & ~(wz ? VIRTIO_BLK_WZ_FLAG_UNMAP : 0u))
			return VIRTIO_BLK_S_UNSUPP;
		if (num > VBLK_MAX_DISCARD_SECTORS ||
		    !vblk_range_ok(b, sector, num)) {
			log_ratelimited(
				&q->rl, LOG_WARN,
				"disk %s: %s segment %u: %u sectors at %llu beyond %llu",
				b->id, what, i, num, (unsigned long long)sector,
				(unsigned long long)b->capacity);
			return VIRTIO_BLK_S_IOERR;
		}
	}
	for (i = 0; i < nseg; i++) {
		memcpy(&sector, seg[i], 8);
		memcpy(&num, seg[i] + 8, 4);
		memcpy(&flags, seg[i] + 12, 4);
		sector = le64toh(sector) * VIRTIO_BLK_SECTOR_SIZE;
		num = le32toh(num);
		if (!num)
			continue;
		if (wz)
			ret = blk_io_write_zeroes(
				&b->io, &q->scratch, sector,
				(uint64_t)num * VIRTIO_BLK_SECTOR_SIZE,
				!!(le32toh(flags) & VIRTIO_BLK_WZ_FLAG_UNMAP));
		else
			ret = blk_io_discard(&b->io, sector,
					     (uint64_t)num *
						     VIRTIO_BLK_SECTOR_SIZE);
		if (ret) {
			log_ratelimited(&q->rl, LOG_WARN,
					"disk %s: %s failed: %s", b->id, what,
					strerror(-ret));
			return VIRTIO_BLK_S_IOERR;
		}
	}
	vblk_count(b, wz ? VBLK_CTR_WRITE_ZEROES_OPS : VBLK_CTR_DISCARD_OPS, 1);
	return VIRTIO_BLK_S_OK;
}

static uint8_t vblk_flush(struct vblk *b, struct vblk_queue *q)
{
	int ret = b->readonly ? 0 : blk_io_flush(&b->io);

	if (ret) {
		log_ratelimited(&q->rl, LOG_WARN, "disk %s: flush failed: %s",
				b->id, strerror(-ret));
		return VIRTIO_BLK_S_IOERR;
	}
	vblk_count(b, VBLK_CTR_FLUSH_OPS, 1);
	return VIRTIO_BLK_S_OK;
}

uint32_t vblk_req_handle(struct vblk *b, struct vblk_queue *q, bool *inflight)
{
	const struct vq_chain *c = &q->chain;
	struct vblk_req r = { 0 };
	uint8_t hdr[VIRTIO_BLK_HDR_SIZE], st;
	uint32_t written = 0, type;
	const struct vq_buf *last;

	*inflight = false;
	/* Zero-length buffers are not in buf[] and writable ones come last
	 * (vq_pop checks), so the status is the last byte of the last. */
	last = c->nr ? &c->buf[c->nr - 1] : NULL;
	if (!c->in_len || !last || !last->write || !last->len) {
		vblk_count(b, VBLK_CTR_ERRORS, 1);
		log_ratelimited(
			&q->rl, LOG_WARN,
			"disk %s: request without a writable status byte dropped",
			b->id);
		return 0;
	}
	r.status = (uint8_t *)last->addr + last->len - 1;
	r.in_data = c->in_len - 1;
	if (c->out_len < VIRTIO_BLK_HDR_SIZE) {
		log_ratelimited(&q->rl, LOG_WARN,
				"disk %s: request header of %u bytes (< %u)",
				b->id, c->out_len, VIRTIO_BLK_HDR_SIZE);
		st = VIRTIO_BLK_S_IOERR;
		goto out;
	}
	r.out_data = c->out_len - VIRTIO_BLK_HDR_SIZE;
	vblk_stream_copy(q, 0, 0, hdr, sizeof(hdr), 0);
	memcpy(&type, hdr, 4);
	memcpy(&r.sector, hdr + 8, 8);
	r.type = le32toh(type);
	r.sector = le64toh(r.sector);

	switch (r.type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		st = vblk_rw(b, q, &r, &written);
		break;
	case VIRTIO_BLK_T_FLUSH:
		st = vblk_flush(b, q);
		break;
	case VIRTIO_BLK_T_GET_ID:
		st = vblk_get_id(b, q, &r, &written);
		break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		st = vblk_segments(b, q, &r);
		break;
	default:
		log_ratelimited(&q->rl, LOG_DEBUG,
				"disk %s: unsupported request type %u", b->id,
				r.type);
		st = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	if (st == VBLK_S_INFLIGHT) {
		*inflight = true;
		return 0;
	}
out:
	if (st != VIRTIO_BLK_S_OK)
		vblk_count(b, VBLK_CTR_ERRORS, 1);
	*r.status = st;
	return written + 1;
}
