// SPDX-License-Identifier: Apache-2.0
/*
 * virtio_pmem.c - virtio-pmem device (see virtio_pmem.h).
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_MOD "virtio-pmem"
#include "devices/virtio/virtio_pmem.h"
#include "vmm/log.h"

#define VPMEM_PCI_CLASS 0x058000 /* memory controller, other */

struct vpmem {
	struct virtio_dev_info info;
	char *path;
	char *id;
	int fd;
	int discard;
	void *map;
	uint64_t size;
	uint64_t gpa;
	struct vpmem_counters ctr; /* atomic */
	struct log_rl rl;
	struct vq_chain chain; /* worker only */
};

/* One line for the caller of the setup functions (errmsg_set). */
#define pm_err(err, errlen, path, ret, ...) \
	errmsg_set(err, errlen, "pmem", path, ret, __VA_ARGS__)

static int pm_open(struct vpmem *p, const struct vpmem_cfg *cfg, char *err,
		   size_t errlen)
{
	struct stat st;
	uint64_t size;

	p->fd = open(p->path, (p->discard ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (p->fd < 0)
		return pm_err(err, errlen, p->path, -errno, "cannot open: %s",
			      strerror(errno));
	if (fstat(p->fd, &st))
		return pm_err(err, errlen, p->path, -errno, "fstat: %s",
			      strerror(errno));
	if (!S_ISREG(st.st_mode))
		return pm_err(err, errlen, p->path, -EINVAL,
			      "not a regular file");
	size = cfg->size ? cfg->size : (uint64_t)st.st_size;
	if (!size || size % VPMEM_ALIGN)
		return pm_err(err, errlen, p->path, -EINVAL,
			      "size %llu is not a non-zero multiple of 2 MiB%s",
			      (unsigned long long)size,
			      cfg->size ? "" : " (give size=)");
	if ((uint64_t)st.st_size < size) {
		if (p->discard)
			return pm_err(
				err, errlen, p->path, -EINVAL,
				"file is shorter than size= (%llu < %llu) and discard_writes keeps it so",
				(unsigned long long)st.st_size,
				(unsigned long long)size);
		if (ftruncate(p->fd, (off_t)size))
			return pm_err(err, errlen, p->path, -errno,
				      "cannot extend to %llu bytes: %s",
				      (unsigned long long)size,
				      strerror(errno));
	}
	p->size = size;
	p->map = mmap(NULL, size, PROT_READ | PROT_WRITE,
		      p->discard ? MAP_PRIVATE | MAP_NORESERVE : MAP_SHARED,
		      p->fd, 0);
	if (p->map == MAP_FAILED) {
		p->map = NULL;
		return pm_err(err, errlen, p->path, -errno, "mmap: %s",
			      strerror(errno));
	}
	return 0;
}

int vpmem_create(const struct vpmem_cfg *cfg, struct vpmem **out, char *err,
		 size_t errlen)
{
	struct vpmem *p;
	int ret;

	if (errlen)
		err[0] = '\0';
	if (!cfg || !out || !cfg->path)
		return pm_err(err, errlen, "(none)", -EINVAL, "no file");
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->fd = -1;
	p->discard = !!cfg->discard_writes;
	p->path = strdup(cfg->path);
	p->id = strdup(cfg->id ? cfg->id : cfg->path);
	if (!p->path || !p->id) {
		ret = -ENOMEM;
		goto err_free;
	}
	ret = pm_open(p, cfg, err, errlen);
	if (ret)
		goto err_free;
	p->info = (struct virtio_dev_info){
		.name = "virtio-pmem",
		.device_id = VIRTIO_ID_PMEM,
		.pci_class = VPMEM_PCI_CLASS,
		.nr_queues = 1,
		.queue_size_max = VPMEM_QUEUE_SIZE,
		.config_size = VPMEM_CFG_SIZE,
	};
	log_info("pmem %s: %s, %llu MiB%s", p->id, p->path,
		 (unsigned long long)(p->size >> 20),
		 p->discard ? ", writes discarded" : "");
	*out = p;
	return 0;

err_free:
	vpmem_destroy(p);
	return ret;
}

void *vpmem_host_addr(struct vpmem *p)
{
	return p->map;
}

uint64_t vpmem_size(struct vpmem *p)
{
	return p->size;
}

void vpmem_set_gpa(struct vpmem *p, uint64_t gpa)
{
	p->gpa = gpa;
}

const struct virtio_dev_info *vpmem_info(struct vpmem *p)
{
	return &p->info;
}

void vpmem_get_counters(struct vpmem *p, struct vpmem_counters *out)
{
	out->flushes = __atomic_load_n(&p->ctr.flushes, __ATOMIC_RELAXED);
	out->errors = __atomic_load_n(&p->ctr.errors, __ATOMIC_RELAXED);
}

void vpmem_destroy(struct vpmem *p)
{
	if (!p)
		return;
	if (p->map)
		munmap(p->map, p->size);
	if (p->fd >= 0)
		close(p->fd);
	free(p->path);
	free(p->id);
	free(p);
}

/* ---- device ops ---- */

static void pm_config_read(void *opaque, uint32_t off, void *data, uint32_t len)
{
	struct vpmem *p = opaque;
	uint64_t cfg[2] = { htole64(p->gpa), htole64(p->size) };

	memset(data, 0, len);
	if (off < VPMEM_CFG_SIZE)
		memcpy(data, (uint8_t *)cfg + off,
		       len < VPMEM_CFG_SIZE - off ? len : VPMEM_CFG_SIZE - off);
}

static int pm_activate(void *opaque, struct virtio_dev *vd, uint64_t features)
{
	return 0;
}

static void pm_reset(void *opaque)
{
	/* Requests complete synchronously: nothing is in flight. */
}

/* Copy `len` bytes of the chain's readable (or writable) stream. */
static uint32_t pm_copy(const struct vq_chain *c, int writable, void *buf,
			uint32_t len, int to_chain)
{
	uint32_t done = 0, n;
	uint16_t i;

	for (i = 0; i < c->nr && done < len; i++) {
		const struct vq_buf *b = &c->buf[i];

		if (!!b->write != !!writable)
			continue;
		n = b->len < len - done ? b->len : len - done;
		if (to_chain)
			memcpy(b->addr, (uint8_t *)buf + done, n);
		else
			memcpy((uint8_t *)buf + done, b->addr, n);
		done += n;
	}
	return done;
}

/* Serve one request; returns the bytes written to the chain. */
static uint32_t pm_request(struct vpmem *p, const struct vq_chain *c)
{
	uint32_t type, ret = htole32(VIRTIO_PMEM_RESP_TYPE_OK);

	if (c->out_len < 4) {
		log_ratelimited(&p->rl, LOG_WARN,
				"pmem %s: request shorter than its type",
				p->id);
		ret = htole32(VIRTIO_PMEM_RESP_TYPE_EIO);
	} else {
		pm_copy(c, 0, &type, 4, 0);
		type = le32toh(type);
		if (type != VIRTIO_PMEM_REQ_TYPE_FLUSH) {
			log_ratelimited(&p->rl, LOG_WARN,
					"pmem %s: unknown request type %u",
					p->id, type);
			ret = htole32(VIRTIO_PMEM_RESP_TYPE_EIO);
		} else {
			__atomic_add_fetch(&p->ctr.flushes, 1,
					   __ATOMIC_RELAXED);
			/* The mapping shares the page cache: syncing the
			 * file syncs what the guest stored. */
			if (!p->discard && fdatasync(p->fd)) {
				log_ratelimited(&p->rl, LOG_WARN,
						"pmem %s: fdatasync: %m",
						p->id);
				ret = htole32(VIRTIO_PMEM_RESP_TYPE_EIO);
			}
		}
	}
	if (ret)
		__atomic_add_fetch(&p->ctr.errors, 1, __ATOMIC_RELAXED);
	if (c->in_len < 4) {
		log_ratelimited(&p->rl, LOG_WARN,
				"pmem %s: no room for the response", p->id);
		if (!ret)
			__atomic_add_fetch(&p->ctr.errors, 1, __ATOMIC_RELAXED);
		return 0;
	}
	return pm_copy(c, 1, &ret, 4, 1);
}

static void pm_queue_notify(void *opaque, struct virtio_dev *vd, uint16_t qidx)
{
	struct vpmem *p = opaque;
	struct vq *q = virtio_queue(vd, qidx);
	unsigned int pushed = 0;
	int ret;

	if (!q)
		return;
	do {
		vq_enable_notify(q, false);
		while (!(ret = vq_pop(q, &p->chain))) {
			ret = vq_push(q, p->chain.head,
				      pm_request(p, &p->chain));
			if (ret)
				break;
			pushed++;
		}
		if (ret != -EAGAIN) {
			log_ratelimited(&p->rl, LOG_WARN,
					"pmem %s: malformed ring", p->id);
			virtio_set_needs_reset(vd);
			break;
		}
	} while (vq_enable_notify(q, true));
	if (pushed)
		virtio_notify_used(vd, qidx);
}

static const struct virtio_dev_ops vpmem_dev_ops = {
	.config_read = pm_config_read,
	.activate = pm_activate,
	.queue_notify = pm_queue_notify,
	.reset = pm_reset,
};

const struct virtio_dev_ops *vpmem_ops(void)
{
	return &vpmem_dev_ops;
}
