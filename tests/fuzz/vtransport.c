// SPDX-License-Identifier: Apache-2.0
/*
 * vtransport.c - the stand-in virtio transport of the device fuzz
 * targets (see vtransport.h).
 */
#include <stdlib.h>

#include "tests/fuzz/vtransport.h"

static struct fz_ram vt_guest;

struct fz_ram *vt_ram(void)
{
	if (!vt_guest.host && fz_ram_init(&vt_guest, 0, VT_RAM_SIZE))
		abort();
	return &vt_guest;
}

struct vq *virtio_queue(struct virtio_dev *vd, uint16_t qidx)
{
	return qidx < vd->nr_queues ? &vd->vq[qidx] : NULL;
}

int virtio_notify_used(struct virtio_dev *vd, uint16_t qidx)
{
	FUZZ_CHECK(qidx < vd->nr_queues);
	vd->notified++;
	return 0;
}

int virtio_queue_watch_fd(struct virtio_dev *vd, uint16_t qidx, int fd)
{
	if (qidx >= vd->nr_queues || fd < 0)
		return -1;
	vd->watched_fd[qidx] = fd;
	return 0;
}

void virtio_config_changed(struct virtio_dev *vd)
{
	vd->config_changes++;
}

void virtio_set_needs_reset(struct virtio_dev *vd)
{
	vd->needs_reset = 1;
}

int vt_setup(struct virtio_dev *vd, const struct virtio_dev_info *info,
	     const struct virtio_dev_ops *ops, void *opaque, struct fz *f)
{
	struct fz_ram *ram = vt_ram();
	uint8_t sizes[VIRTIO_MAX_QUEUES];
	uint64_t offered;

	memset(vd, 0, sizeof(*vd));
	vd->ops = ops;
	vd->opaque = opaque;
	vd->nr_queues = info->nr_queues;
	offered = info->features | 1ull << VIRTIO_F_VERSION_1 |
		  1ull << VIRTIO_F_INDIRECT_DESC | 1ull << VIRTIO_F_EVENT_IDX;
	vd->features = fz_u64(f) & offered;
	vd->nr_script = fz_u8(f) % (VT_MAX_SCRIPT + 1);
	fz_take(f, vd->script, vd->nr_script);
	fz_take(f, sizes, vd->nr_queues);
	memset(ram->host, 0, VT_RAM_SIZE);
	fz_take(f, ram->host, f->n < VT_RAM_SIZE ? f->n : VT_RAM_SIZE);
	for (uint16_t i = 0; i < vd->nr_queues; i++) {
		uint64_t base = (uint64_t)(i % 16) * VT_QUEUE_STRIDE;
		uint16_t size;

		vq_init(&vd->vq[i], &ram->mem);
		vd->watched_fd[i] = -1;
		if (!sizes[i])
			continue;
		/* 1..128 entries, what fits the stride, capped by the
		 * device's maximum. */
		size = (uint16_t)(1u << ((sizes[i] - 1) % 8));
		if (size > info->queue_size_max)
			size = info->queue_size_max;
		vq_enable(&vd->vq[i], size, base, base + 0x800, base + 0xc00,
			  vd->features);
	}
	if (ops->activate && ops->activate(opaque, vd, vd->features))
		return -1;
	return 0;
}

/* What the driver made available but the device has not consumed yet
 * cannot be exceeded by what the device returned. */
static void check_used(struct virtio_dev *vd, uint16_t q)
{
	const struct vq *v = &vd->vq[q];

	/* At most 32 kicks of at most 128 chains: no 16-bit wrap here. */
	FUZZ_CHECK(v->used_idx <= v->last_avail);
}

void vt_run(struct virtio_dev *vd, vt_event_fn *event, void *eopaque)
{
	for (unsigned int i = 0; i < vd->nr_script; i++) {
		uint8_t ev = vd->script[i];
		uint16_t q;

		if (event && event(eopaque, ev))
			continue;
		q = (uint16_t)(ev % vd->nr_queues);
		if (vd->needs_reset || !vd->vq[q].ready || vd->vq[q].broken)
			continue;
		vd->ops->queue_notify(vd->opaque, vd, q);
		check_used(vd, q);
	}
	if (vd->ops->reset)
		vd->ops->reset(vd->opaque);
}
