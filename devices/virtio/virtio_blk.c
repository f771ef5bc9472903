// SPDX-License-Identifier: Apache-2.0
/*
 * virtio_blk.c - virtio-blk device model: image setup (open, lock, size,
 * alignment probe), config space, features and the queue loop.  Request
 * framing, validation and execution are in blk_io.c.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_MOD "virtio-blk"
#include "devices/virtio/blk_io.h"
#include "devices/virtio/virtio_blk.h"
#include "vmm/log.h"

#define VBLK_PCI_CLASS 0x018000 /* mass storage controller, other */

static void vblk_put16(uint8_t *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, sizeof(v));
}

static void vblk_put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

static void vblk_put64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, sizeof(v));
}

/* ---- Setup ---- */

/* One line for the caller of the setup functions (errmsg_set). */
#define vblk_err(err, errlen, path, ret, ...) \
	errmsg_set(err, errlen, "disk", path, ret, __VA_ARGS__)

static int vblk_lock(struct vblk *b, char *err, size_t errlen)
{
	struct flock fl = {
		.l_type = b->readonly ? F_RDLCK : F_WRLCK,
		.l_whence = SEEK_SET,
	};
	struct flock who = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	if (!fcntl(b->io.fd, F_OFD_SETLK, &fl))
		return 0;
	if (errno != EAGAIN && errno != EACCES)
		return vblk_err(err, errlen, b->path, -errno,
				"cannot lock the image: %s", strerror(errno));
	if (fcntl(b->io.fd, F_OFD_GETLK, &who))
		who.l_type = F_UNLCK;
	return vblk_err(err, errlen, b->path, -EBUSY,
			"image is %s by another process (another VM using it?)",
			who.l_type == F_RDLCK ? "open read-only" : "in use");
}

/* O_DIRECT alignment: see the header comment. */
static int vblk_probe_align(struct vblk *b, const struct stat *st, char *err,
			    size_t errlen)
{
	uint32_t align = 4096, mem = 4096;
	struct statx stx;
	int lbs;

	if (S_ISBLK(st->st_mode)) {
		if (ioctl(b->io.fd, BLKSSZGET, &lbs) || lbs <= 0)
			return vblk_err(err, errlen, b->path, -EIO,
					"BLKSSZGET failed: %s",
					strerror(errno));
		align = mem = (uint32_t)lbs;
		if (!b->io.direct)
			mem = 1;
	} else if (!b->io.direct) {
		align = VIRTIO_BLK_SECTOR_SIZE;
		mem = 1;
	}
	if (b->io.direct &&
	    !statx(b->io.fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) &&
	    (stx.stx_mask & STATX_DIOALIGN) && stx.stx_dio_offset_align) {
		if (S_ISREG(st->st_mode))
			align = stx.stx_dio_offset_align;
		mem = stx.stx_dio_mem_align ? stx.stx_dio_mem_align : align;
	}
	if (align < VIRTIO_BLK_SECTOR_SIZE)
		align = VIRTIO_BLK_SECTOR_SIZE;
	if ((align & (align - 1)) || align > BLK_MAX_ALIGN ||
	    (mem & (mem - 1)) || mem > BLK_MAX_ALIGN)
		return vblk_err(
			err, errlen, b->path, -EINVAL,
			"unsupported block size %u / buffer alignment %u",
			align, mem);
	b->io.align = align;
	b->io.mem_align = mem;
	b->blk_size = align;
	return 0;
}

static int vblk_size(struct vblk *b, const struct stat *st, char *err,
		     size_t errlen)
{
	uint64_t size = (uint64_t)st->st_size, usable;

	if (S_ISBLK(st->st_mode) && ioctl(b->io.fd, BLKGETSIZE64, &size))
		return vblk_err(err, errlen, b->path, -errno,
				"BLKGETSIZE64 failed: %s", strerror(errno));
	usable = size & ~(uint64_t)(b->io.align - 1);
	if (usable != size)
		log_warn(
			"disk %s: %llu trailing bytes past the last %u-byte block are not visible to the guest",
			b->path, (unsigned long long)(size - usable),
			b->io.align);
	b->capacity = usable / VIRTIO_BLK_SECTOR_SIZE;
	return 0;
}

/* "NB" + 16 hex digits of a mix of the image's identity. */
static void vblk_default_serial(struct vblk *b, const struct stat *st)
{
	uint64_t h = S_ISBLK(st->st_mode) ? (uint64_t)st->st_rdev :
					    (uint64_t)st->st_dev;
	char s[VIRTIO_BLK_ID_BYTES + 1];

	h = h * 0x9e3779b97f4a7c15ull ^ (S_ISBLK(st->st_mode) ? 0 : st->st_ino);
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 29;
	snprintf(s, sizeof(s), "NB%016llx", (unsigned long long)h);
	memcpy(b->serial, s, strlen(s));
}

static void vblk_build_config(struct vblk *b, uint16_t qsize)
{
	uint8_t *c = b->config;
	uint32_t dalign = b->blk_size > 4096 ? b->blk_size : 4096;

	vblk_put64(c + VIRTIO_BLK_CFG_CAPACITY, b->capacity);
	vblk_put32(c + VIRTIO_BLK_CFG_SEG_MAX, qsize - 2u);
	vblk_put32(c + VIRTIO_BLK_CFG_BLK_SIZE, b->blk_size);
	vblk_put16(c + VIRTIO_BLK_CFG_NUM_QUEUES, b->info.nr_queues);
	if (b->readonly)
		return;
	vblk_put32(c + VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS,
		   VBLK_MAX_DISCARD_SECTORS);
	vblk_put32(c + VIRTIO_BLK_CFG_MAX_DISCARD_SEG, VBLK_MAX_DISCARD_SEG);
	vblk_put32(c + VIRTIO_BLK_CFG_DISCARD_ALIGN,
		   dalign / VIRTIO_BLK_SECTOR_SIZE);
	vblk_put32(c + VIRTIO_BLK_CFG_MAX_WZ_SECTORS, VBLK_MAX_DISCARD_SECTORS);
	vblk_put32(c + VIRTIO_BLK_CFG_MAX_WZ_SEG, VBLK_MAX_DISCARD_SEG);
	c[VIRTIO_BLK_CFG_WZ_MAY_UNMAP] = 1;
}

static uint64_t vblk_features(const struct vblk *b)
{
	uint64_t f = 1ull << VIRTIO_BLK_F_SEG_MAX |
		     1ull << VIRTIO_BLK_F_BLK_SIZE | 1ull << VIRTIO_BLK_F_FLUSH;

	if (b->info.nr_queues > 1)
		f |= 1ull << VIRTIO_BLK_F_MQ;
	if (b->readonly)
		f |= 1ull << VIRTIO_BLK_F_RO;
	else
		f |= 1ull << VIRTIO_BLK_F_DISCARD |
		     1ull << VIRTIO_BLK_F_WRITE_ZEROES;
	return f;
}

static int vblk_check_cfg(const struct vblk_cfg *cfg, uint16_t *nq,
			  uint16_t *qs, char *err, size_t errlen)
{
	const char *p = cfg->path;

	*nq = cfg->num_queues ? cfg->num_queues : 1;
	*qs = cfg->queue_size ? cfg->queue_size : VBLK_DEFAULT_QUEUE_SIZE;
	if (*nq > VIRTIO_MAX_QUEUES)
		return vblk_err(err, errlen, p, -EINVAL,
				"num_queues %u is above %u", *nq,
				VIRTIO_MAX_QUEUES);
	if (*qs < VBLK_MIN_QUEUE_SIZE || *qs > VQ_MAX_SIZE || (*qs & (*qs - 1)))
		return vblk_err(err, errlen, p, -EINVAL,
				"queue_size %u is not a power of two in %u..%u",
				*qs, VBLK_MIN_QUEUE_SIZE, VQ_MAX_SIZE);
	if (cfg->serial && strlen(cfg->serial) > VIRTIO_BLK_ID_BYTES)
		return vblk_err(err, errlen, p, -EINVAL,
				"serial '%s' is longer than %u bytes",
				cfg->serial, VIRTIO_BLK_ID_BYTES);
	if (cfg->io_engine < BLK_ENGINE_AUTO ||
	    cfg->io_engine > BLK_ENGINE_SYNC)
		return vblk_err(err, errlen, p, -EINVAL, "unknown io_engine %d",
				cfg->io_engine);
	return 0;
}

static int vblk_open(struct vblk *b, const struct vblk_cfg *cfg, char *err,
		     size_t errlen)
{
	int flags = (cfg->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	struct stat st;
	int ret;

	if (cfg->direct)
		flags |= O_DIRECT;
	b->io.fd = open(b->path, flags);
	if (b->io.fd < 0) {
		ret = -errno;
		if (ret == -EINVAL && cfg->direct)
			return vblk_err(
				err, errlen, b->path, ret,
				"O_DIRECT is not supported there (direct=on)");
		return vblk_err(err, errlen, b->path, ret, "cannot open%s: %s",
				cfg->readonly ? " read-only" : " read-write",
				strerror(-ret));
	}
	if (fstat(b->io.fd, &st))
		return vblk_err(err, errlen, b->path, -errno,
				"fstat failed: %s", strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return vblk_err(err, errlen, b->path, -EINVAL,
				"not a regular file or block device");
	ret = vblk_lock(b, err, errlen);
	if (!ret)
		ret = vblk_probe_align(b, &st, err, errlen);
	if (!ret)
		ret = vblk_size(b, &st, err, errlen);
	if (!ret && !cfg->serial)
		vblk_default_serial(b, &st);
	return ret;
}

/* Cloud Hypervisor's block counter names first, then Nimbus's own. */
static const char *const vblk_ctr_names[VBLK_CTR_NR] = {
	[VBLK_CTR_READ_OPS] = DEV_CTR_READ_OPS,
	[VBLK_CTR_READ_BYTES] = DEV_CTR_READ_BYTES,
	[VBLK_CTR_WRITE_OPS] = DEV_CTR_WRITE_OPS,
	[VBLK_CTR_WRITE_BYTES] = DEV_CTR_WRITE_BYTES,
	[VBLK_CTR_FLUSH_OPS] = "flush_ops",
	[VBLK_CTR_DISCARD_OPS] = "discard_ops",
	[VBLK_CTR_WRITE_ZEROES_OPS] = "write_zeroes_ops",
	[VBLK_CTR_ERRORS] = "errors",
};

/* One io_uring per queue (BLK_ENGINE_AUTO: when the kernel allows). */
static int vblk_engine_setup(struct vblk *b, int engine, uint16_t qs, char *err,
			     size_t errlen)
{
	uint16_t i;
	int ret = 0;

	if (engine == BLK_ENGINE_SYNC)
		return 0;
	for (i = 0; i < b->info.nr_queues && !ret; i++)
		ret = blk_aio_create(qs, &b->q[i].aio);
	if (!ret)
		return 0;
	for (i = 0; i < b->info.nr_queues; i++) {
		blk_aio_destroy(b->q[i].aio);
		b->q[i].aio = NULL;
	}
	if (engine == BLK_ENGINE_IO_URING)
		return vblk_err(err, errlen, b->path, ret,
				"io_engine=io_uring: cannot set up io_uring");
	log_info("disk %s: no io_uring here (%s), using synchronous I/O", b->id,
		 strerror(-ret));
	return 0;
}

int vblk_create(const struct vblk_cfg *cfg, struct vblk **out, char *err,
		size_t errlen)
{
	uint16_t nq, qs;
	struct vblk *b;
	int ret;

	if (errlen)
		err[0] = '\0';
	if (!cfg || !out || !cfg->path)
		return vblk_err(err, errlen, "(none)", -EINVAL, "no path");
	ret = vblk_check_cfg(cfg, &nq, &qs, err, errlen);
	if (ret)
		return ret;
	b = calloc(1, sizeof(*b));
	if (!b)
		return vblk_err(err, errlen, cfg->path, -ENOMEM,
				"out of memory");
	b->io.fd = -1;
	dev_counters_init(&b->dc, vblk_ctr_names, VBLK_CTR_NR);
	b->readonly = !!cfg->readonly;
	b->io.direct = !!cfg->direct;
	b->path = strdup(cfg->path);
	b->id = strdup(cfg->id ? cfg->id : cfg->path);
	b->q = calloc(nq, sizeof(*b->q));
	if (!b->path || !b->id || !b->q) {
		ret = vblk_err(err, errlen, cfg->path, -ENOMEM,
			       "out of memory");
		goto err_free;
	}
	if (cfg->serial)
		memcpy(b->serial, cfg->serial, strlen(cfg->serial));
	ret = vblk_open(b, cfg, err, errlen);
	if (ret)
		goto err_free;

	b->info.name = "virtio-blk";
	b->info.device_id = VIRTIO_ID_BLOCK;
	b->info.pci_class = VBLK_PCI_CLASS;
	b->info.nr_queues = nq;
	b->info.queue_size_max = qs;
	b->info.config_size = VIRTIO_BLK_CFG_SIZE;
	b->info.features = vblk_features(b);
	b->info.flags = VIRTIO_DEV_F_QUEUE_WORKERS;
	vblk_build_config(b, qs);
	ret = vblk_engine_setup(b, cfg->io_engine, qs, err, errlen);
	if (ret)
		goto err_free;
	log_info(
		"disk %s (%s): %llu sectors, %s%s, block size %u, %u queue(s) of %u, %s",
		b->id, b->path, (unsigned long long)b->capacity,
		b->readonly ? "read-only" : "read-write",
		b->io.direct ? ", O_DIRECT" : "", b->blk_size, nq, qs,
		b->q[0].aio ? "io_uring" : "synchronous I/O");
	*out = b;
	return 0;

err_free:
	vblk_destroy(b);
	return ret;
}

const struct virtio_dev_info *vblk_info(struct vblk *b)
{
	return &b->info;
}

uint64_t vblk_capacity(struct vblk *b)
{
	return b->capacity;
}

_Static_assert(sizeof(struct vblk_counters) == VBLK_CTR_NR * sizeof(uint64_t),
	       "vblk_counters: one uint64_t per enum vblk_ctr, same order");

void vblk_get_counters(struct vblk *b, struct vblk_counters *out)
{
	uint64_t *dst = (uint64_t *)out;

	for (unsigned int i = 0; i < VBLK_CTR_NR; i++)
		dst[i] = dev_counter_get(&b->dc, i);
}

const struct dev_counters *vblk_dev_counters(struct vblk *b)
{
	return &b->dc;
}

void vblk_destroy(struct vblk *b)
{
	uint16_t i;

	if (!b)
		return;
	if (b->q)
		for (i = 0; i < b->info.nr_queues; i++) {
			blk_aio_destroy(b->q[i].aio);
			blk_scratch_free(&b->q[i].scratch);
		}
	if (b->io.fd >= 0)
		close(b->io.fd); /* drops the OFD lock */
	free(b->q);
	free(b->id);
	free(b->path);
	free(b);
}

/* ---- Device ops ---- */

static void vblk_config_read(void *opaque, uint32_t off, void *data,
			     uint32_t len)
{
	struct vblk *b = opaque;

	if (off > VIRTIO_BLK_CFG_SIZE || len > VIRTIO_BLK_CFG_SIZE - off) {
		memset(data, 0, len);
		return;
	}
	memcpy(data, b->config + off, len);
}

static int vblk_activate(void *opaque, struct virtio_dev *vd, uint64_t features)
{
	struct vblk *b = opaque;
	uint16_t i;

	/* Completions wake the queue's worker like a kick does. */
	for (i = 0; i < b->info.nr_queues; i++) {
		struct vblk_queue *q = &b->q[i];
		int ret;

		if (!q->aio || q->aio_watched)
			continue;
		ret = virtio_queue_watch_fd(vd, i, blk_aio_fd(q->aio));
		if (ret) {
			/* Nothing is in flight before the first activate. */
			log_warn(
				"disk %s: queue %u: cannot watch io_uring completions (%s): synchronous I/O",
				b->id, i, strerror(-ret));
			blk_aio_destroy(q->aio);
			q->aio = NULL;
			continue;
		}
		q->aio_watched = 1;
	}
	return 0;
}

/* Push every finished asynchronous request; the number pushed, or -1 when
 * the used ring cannot take one (the queue is broken). */
static int vblk_reap(struct vblk *b, struct vblk_queue *q, struct vq *vq)
{
	struct blk_aio_done c;
	int n = 0;

	while (!blk_aio_reap(q->aio, &b->io, &q->scratch, 0, &c)) {
		if (c.res) {
			vblk_count(b, VBLK_CTR_ERRORS, 1);
			log_ratelimited(&q->rl, LOG_WARN,
					"disk %s: %s of %u bytes failed: %s",
					b->id, c.write ? "write" : "read",
					c.len, strerror(-c.res));
		} else {
			vblk_count(b,
				   c.write ? VBLK_CTR_WRITE_OPS :
					     VBLK_CTR_READ_OPS,
				   1);
			vblk_count(b,
				   c.write ? VBLK_CTR_WRITE_BYTES :
					     VBLK_CTR_READ_BYTES,
				   c.len);
		}
		if (vq_push(vq, c.head, c.used))
			return -1;
		n++;
	}
	return n;
}

static void vblk_queue_notify(void *opaque, struct virtio_dev *vd,
			      uint16_t qidx)
{
	struct vblk *b = opaque;
	struct vblk_queue *q;
	unsigned int pushed = 0;
	struct vq *vq;
	int ret, n;

	if (qidx >= b->info.nr_queues)
		return;
	q = &b->q[qidx];
	vq = virtio_queue(vd, qidx);
	if (!vq)
		return;
	if (q->aio)
		blk_aio_drain_fd(q->aio);
	/* Kicks off while draining; re-armed and re-checked before leaving
	 * so a request queued meanwhile is never left without a kick.
	 * Completions need no re-check: the eventfd stays signalled. */
	do {
		vq_enable_notify(vq, false);
		if (q->aio) {
			n = vblk_reap(b, q, vq);
			if (n < 0) {
				ret = -EINVAL;
				goto broken;
			}
			pushed += (unsigned int)n;
		}
		while (!(ret = vq_pop(vq, &q->chain))) {
			bool inflight = false;
			uint32_t len = vblk_req_handle(b, q, &inflight);

			if (inflight)
				continue;
			ret = vq_push(vq, q->chain.head, len);
			if (ret)
				break;
			pushed++;
		}
		if (q->aio && blk_aio_flush_submissions(q->aio))
			log_ratelimited(&q->rl, LOG_WARN,
					"disk %s: io_uring submit failed",
					b->id);
		if (ret != -EAGAIN)
			goto broken;
	} while (vq_enable_notify(vq, true));
	if (pushed)
		virtio_notify_used(vd, qidx);
	return;

broken:
	virtio_set_needs_reset(vd);
	if (pushed)
		virtio_notify_used(vd, qidx);
}

static void vblk_reset(void *opaque)
{
	struct vblk *b = opaque;
	uint16_t i;

	/* Synchronous requests hold no guest pointers between calls; the
	 * asynchronous ones in flight are waited for and dropped. */
	for (i = 0; i < b->info.nr_queues; i++)
		if (b->q[i].aio)
			blk_aio_cancel_all(b->q[i].aio);
}

static const struct virtio_dev_ops vblk_dev_ops = {
	.config_read = vblk_config_read,
	.activate = vblk_activate,
	.queue_notify = vblk_queue_notify,
	.reset = vblk_reset,
};

const struct virtio_dev_ops *vblk_ops(void)
{
	return &vblk_dev_ops;
}
