/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_virtio_net_fx.h - the fixture shared by test_virtio_net.c and
 * test_virtio_net_hostile.c (header-only: each test binary includes it
 * once; everything is static inline).
 *
 * The test plays the driver with tests/lib/vdriver (rings in malloc'd
 * guest RAM) and the transport with local definitions of the virtio_*
 * calls the device makes; the device's receive threads call them too, so
 * they only use atomics.  The backend is one AF_UNIX SOCK_SEQPACKET pair
 * per queue pair (a read or write is one frame, as on a TAP), with test
 * doubles for the offload and queue attach hooks.
 */
#ifndef NIMBUS_TESTS_VIRTIO_NET_FX_H
#define NIMBUS_TESTS_VIRTIO_NET_FX_H

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/virtio/virtio_net.h"
#include "tests/lib/vdriver.h"

#define FX_RAM_GPA 0x100000ull
#define FX_RAM_SIZE (8u << 20)
#define FX_RING_AREA (FX_RAM_GPA)
#define FX_RING_STRIDE 0x8000ull /* desc + avail + used for 1024 entries */
#define FX_BUF_BASE (FX_RAM_GPA + (4u << 20))
#define FX_MAX_Q (2 * VNET_MAX_PAIRS + 1)
#define FX_MAC                                     \
	{                                          \
		0x52, 0x54, 0x00, 0x12, 0x34, 0x56 \
	}

#define BIT(b) (1ull << (b))

/* ---- the transport, as far as the device sees it --------------------- */

struct virtio_dev {
	struct vq q[FX_MAX_Q];
	unsigned int notify_calls[FX_MAX_Q]; /* atomic */
	unsigned int irqs[FX_MAX_Q]; /* atomic */
	unsigned int needs_reset; /* atomic */
	unsigned int config_changed; /* atomic */
};

struct vq *virtio_queue(struct virtio_dev *vd, uint16_t qidx)
{
	return qidx < FX_MAX_Q ? &vd->q[qidx] : NULL;
}

int virtio_notify_used(struct virtio_dev *vd, uint16_t qidx)
{
	if (qidx >= FX_MAX_Q)
		return -EINVAL;
	__atomic_add_fetch(&vd->notify_calls[qidx], 1, __ATOMIC_SEQ_CST);
	if (vq_should_notify(&vd->q[qidx]))
		__atomic_add_fetch(&vd->irqs[qidx], 1, __ATOMIC_SEQ_CST);
	return 0;
}

void virtio_config_changed(struct virtio_dev *vd)
{
	__atomic_add_fetch(&vd->config_changed, 1, __ATOMIC_SEQ_CST);
}

void virtio_set_needs_reset(struct virtio_dev *vd)
{
	__atomic_add_fetch(&vd->needs_reset, 1, __ATOMIC_SEQ_CST);
}

/* ---- fixture ----------------------------------------------------------- */

struct fx {
	struct vdrv_ram ram;
	struct virtio_dev vd;
	struct vnet *n;
	const struct virtio_dev_ops *ops;
	struct vdrv_vq dq[FX_MAX_Q];
	uint16_t nr_pairs, qsize, nq;
	uint64_t features;
	int host[VNET_MAX_PAIRS]; /* the test's end of each backend pair */
	int dev[VNET_MAX_PAIRS]; /* the device's end */
	uint64_t next_buf;
	/* backend hooks (called from device threads): atomic */
	unsigned int offload_calls, last_offload;
	unsigned int queue_calls;
	int attached[VNET_MAX_PAIRS];
};

static inline int fx_set_offload(void *opaque, unsigned int flags)
{
	struct fx *f = opaque;

	__atomic_store_n(&f->last_offload, flags, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&f->offload_calls, 1, __ATOMIC_SEQ_CST);
	return 0;
}

static inline int fx_set_queue(void *opaque, uint16_t pair, int attach)
{
	struct fx *f = opaque;

	__atomic_store_n(&f->attached[pair], attach, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&f->queue_calls, 1, __ATOMIC_SEQ_CST);
	return 0;
}

struct sandbox;

/* Seccomp filters for the receive threads of every fx_new (test_virtio_
 * net.c runs its cases once without and once with them); NULL: none. */
static const struct sandbox *fx_sandbox;

static const struct vnet_backend_ops fx_bops = {
	.set_offload = fx_set_offload,
	.set_queue = fx_set_queue,
};

/* Create the device (cfg fields not set here come from `tweak`). */
static inline struct fx *fx_new(uint16_t pairs, uint16_t qsize,
				const struct vnet_cfg *tweak)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct vnet_cfg cfg = { .mac = FX_MAC,
				.offload_csum = 1,
				.offload_tso = 1,
				.offload_ufo = 1 };
	char err[256];
	uint16_t i;

	assert_non_null(f);
	if (tweak)
		cfg = *tweak;
	vdrv_ram_init(&f->ram, FX_RAM_GPA, FX_RAM_SIZE);
	f->next_buf = FX_BUF_BASE;
	f->nr_pairs = pairs;
	f->qsize = qsize;
	f->nq = (uint16_t)(2 * pairs + 1);
	for (i = 0; i < pairs; i++) {
		int sv[2];

		assert_int_equal(socketpair(AF_UNIX,
					    SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
					    sv),
				 0);
		f->host[i] = sv[0];
		f->dev[i] = sv[1];
		assert_int_equal(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
		f->attached[i] = 1;
	}
	cfg.fds = f->dev;
	cfg.nr_pairs = pairs;
	cfg.queue_size = qsize;
	cfg.bops = &fx_bops;
	cfg.bopaque = f;
	cfg.id = "t0";
	if (!cfg.sandbox)
		cfg.sandbox = fx_sandbox;
	assert_int_equal(vnet_create(&cfg, &f->n, err, sizeof(err)), 0);
	f->ops = vnet_ops();
	return f;
}

/* Rings for queues [0, nq) (all of them), then activate with features. */
static inline void fx_start(struct fx *f, uint64_t features)
{
	uint16_t i;

	f->features = features;
	for (i = 0; i < f->nq; i++) {
		struct vdrv_vq *d = &f->dq[i];
		uint64_t desc = FX_RING_AREA + FX_RING_STRIDE * i;

		vdrv_vq_place(d, &f->ram, f->qsize, desc, desc + 0x4000,
			      desc + 0x5000);
		vq_init(&f->vd.q[i], &f->ram.mem);
		assert_int_equal(vq_enable(&f->vd.q[i], f->qsize, d->desc,
					   d->avail, d->used, features),
				 0);
	}
	assert_int_equal(f->ops->activate(f->n, &f->vd, features), 0);
}

/* What the transport does on a reset: ops->reset, then the queues. */
static inline void fx_reset(struct fx *f)
{
	uint16_t i;

	f->ops->reset(f->n);
	for (i = 0; i < f->nq; i++)
		vq_reset(&f->vd.q[i]);
}

static inline void fx_free(struct fx *f)
{
	uint16_t i;

	vnet_stop(f->n);
	vnet_destroy(f->n);
	for (i = 0; i < f->nr_pairs; i++) {
		close(f->host[i]);
		close(f->dev[i]);
	}
	vdrv_ram_destroy(&f->ram);
	free(f);
}

/* A fresh guest buffer of len bytes (8-byte aligned). */
static inline uint64_t fx_buf(struct fx *f, uint32_t len)
{
	uint64_t a = f->next_buf;

	f->next_buf += (len + 7u) & ~7u;
	assert_true(f->next_buf <= FX_RAM_GPA + FX_RAM_SIZE);
	return a;
}

static inline uint8_t *fx_ptr(struct fx *f, uint64_t gpa, uint32_t len)
{
	return vdrv_ram_ptr(&f->ram, gpa, len ? len : 1);
}

static inline void fx_kick(struct fx *f, uint16_t qidx)
{
	f->ops->queue_notify(f->n, &f->vd, qidx);
}

/* A 12-byte virtio_net_hdr_v1. */
static inline void fx_hdr(uint8_t *h, uint8_t flags, uint8_t gso)
{
	memset(h, 0, VIRTIO_NET_HDR_LEN);
	h[0] = flags;
	h[1] = gso;
}

/* The host sends one frame (header + payload) on pair `pair`. */
static inline void fx_host_send(struct fx *f, uint16_t pair, const void *frame,
				size_t len)
{
	assert_int_equal(send(f->host[pair], frame, len, 0), (ssize_t)len);
}

/* The host receives one frame within `ms`: its length, or -1 if none. */
static inline ssize_t fx_host_recv(struct fx *f, uint16_t pair, void *buf,
				   size_t max, int ms)
{
	struct pollfd pfd = { .fd = f->host[pair], .events = POLLIN };

	if (poll(&pfd, 1, ms) <= 0)
		return -1;
	return recv(f->host[pair], buf, max, MSG_DONTWAIT);
}

/* Bytes the device has not read yet from what the host sent on `pair`. */
static inline int fx_host_unread(struct fx *f, uint16_t pair)
{
	struct pollfd pfd = { .fd = f->dev[pair], .events = POLLIN };

	return poll(&pfd, 1, 0) == 1;
}

/* Fill a payload with a pattern that depends on `seed`. */
static inline void fx_pattern(uint8_t *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + seed * 13 + (i >> 8));
}

/* The guest posts `n` receive chains of one `len`-byte buffer each on
 * pair `pair`; returns the first buffer's address (consecutive). */
static inline uint64_t fx_post_rx(struct fx *f, uint16_t pair, unsigned int n,
				  uint32_t len, uint16_t *heads)
{
	uint64_t first = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct vdrv_seg s = { fx_buf(f, len), len, 1 };

		if (!i)
			first = s.gpa;
		heads[i] = vdrv_vq_post(&f->dq[2 * pair], &s, 1, true);
	}
	return first;
}

static inline uint64_t fx_counter(struct fx *f, size_t off)
{
	struct vnet_counters c;

	vnet_get_counters(f->n, &c);
	return *(uint64_t *)((char *)&c + off);
}

#define FX_CTR(f, field) fx_counter((f), offsetof(struct vnet_counters, field))

static inline unsigned int fx_ld(unsigned int *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

/* Send a control command; returns the ack byte (0xee if none written). */
static inline uint8_t fx_ctrl(struct fx *f, uint16_t ctrlq, uint8_t cls,
			      uint8_t cmd, const void *data, uint32_t len)
{
	uint64_t h = fx_buf(f, 2), d = len ? fx_buf(f, len) : 0,
		 a = fx_buf(f, 1);
	struct vdrv_seg s[3];
	unsigned int ns = 0;
	uint16_t head;
	uint32_t used;

	fx_ptr(f, h, 2)[0] = cls;
	fx_ptr(f, h, 2)[1] = cmd;
	s[ns++] = (struct vdrv_seg){ h, 2, 0 };
	if (len) {
		memcpy(fx_ptr(f, d, len), data, len);
		s[ns++] = (struct vdrv_seg){ d, len, 0 };
	}
	*fx_ptr(f, a, 1) = 0xee;
	s[ns++] = (struct vdrv_seg){ a, 1, 1 };
	head = vdrv_vq_post(&f->dq[ctrlq], s, ns, true);
	fx_kick(f, ctrlq);
	used = vdrv_vq_take_used(&f->dq[ctrlq], head);
	assert_int_equal(used, 1);
	return *fx_ptr(f, a, 1);
}

#endif /* NIMBUS_TESTS_VIRTIO_NET_FX_H */
