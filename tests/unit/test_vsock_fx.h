/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_vsock_fx.h - fixture shared by test_vsock.c and
 * test_vsock_hostile.c (header-only, static inline).
 *
 * The test plays the guest driver (rings in malloc'd guest RAM through
 * tests/lib/vdriver), the transport (local virtio_* definitions; the
 * device thread calls them, so they only use atomics) and the host side
 * (UNIX sockets in a private temporary directory).
 */
#ifndef NIMBUS_TESTS_VSOCK_FX_H
#define NIMBUS_TESTS_VSOCK_FX_H

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/virtio/virtio_vsock.h"
#include "tests/lib/vdriver.h"

struct sandbox;

/* Seccomp filters for the device thread of every vfx_new (test_vsock.c
 * runs its cases once without and once with them); NULL: none. */
static const struct sandbox *vfx_sandbox;

/* vfx_new builds a threadless device (the test runs vsock_poll). */
static bool vfx_threadless;

#define VFX_RAM_GPA 0x100000ull
#define VFX_RAM_SIZE (8u << 20)
#define VFX_BUF_BASE (VFX_RAM_GPA + (1u << 20))
#define VFX_QSIZE 64
#define VFX_CID 3
#define VFX_RXBUF (VSOCK_HDR_LEN + 4096)
#define VFX_RX_AREA (VFX_RAM_GPA + 0x10000) /* one buffer per descriptor */

struct virtio_dev {
	struct vq q[VSOCK_NR_QUEUES];
	unsigned int irqs[VSOCK_NR_QUEUES]; /* atomic */
	unsigned int needs_reset; /* atomic */
};

struct vq *virtio_queue(struct virtio_dev *vd, uint16_t qidx)
{
	return qidx < VSOCK_NR_QUEUES ? &vd->q[qidx] : NULL;
}

int virtio_notify_used(struct virtio_dev *vd, uint16_t qidx)
{
	if (qidx >= VSOCK_NR_QUEUES)
		return -EINVAL;
	if (vq_should_notify(&vd->q[qidx]))
		__atomic_add_fetch(&vd->irqs[qidx], 1, __ATOMIC_SEQ_CST);
	return 0;
}

void virtio_config_changed(struct virtio_dev *vd)
{
}

void virtio_set_needs_reset(struct virtio_dev *vd)
{
	__atomic_add_fetch(&vd->needs_reset, 1, __ATOMIC_SEQ_CST);
}

struct vfx {
	struct vdrv_ram ram;
	struct virtio_dev vd;
	struct vsock *v;
	const struct virtio_dev_ops *ops;
	struct vdrv_vq dq[VSOCK_NR_QUEUES];
	char dir[48];
	char path[64];
	uint64_t next_buf;
	/* rx buffers posted: gpa by head */
	uint64_t rx_gpa[VFX_QSIZE];
	unsigned int rx_posted;
};

/* A packet as the guest sees or sends it. */
struct vpkt {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port, len;
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
	uint8_t data[4096];
};

static inline uint64_t vfx_buf(struct vfx *f, uint32_t len)
{
	uint64_t a = f->next_buf;

	f->next_buf += (len + 7u) & ~7u;
	if (f->next_buf > VFX_RAM_GPA + VFX_RAM_SIZE) {
		/* Recycle: tests never keep more than a ring's worth. */
		f->next_buf = VFX_BUF_BASE + ((len + 7u) & ~7u);
		a = VFX_BUF_BASE;
	}
	return a;
}

static inline uint8_t *vfx_ptr(struct vfx *f, uint64_t gpa, uint32_t len)
{
	return vdrv_ram_ptr(&f->ram, gpa, len ? len : 1);
}

static inline void vfx_rings(struct vfx *f)
{
	uint16_t i;

	for (i = 0; i < VSOCK_NR_QUEUES; i++) {
		struct vdrv_vq *d = &f->dq[i];
		uint64_t desc = VFX_RAM_GPA + 0x4000ull * i;

		vdrv_vq_place(d, &f->ram, VFX_QSIZE, desc, desc + 0x1000,
			      desc + 0x2000);
		vq_init(&f->vd.q[i], &f->ram.mem);
		assert_int_equal(vq_enable(&f->vd.q[i], VFX_QSIZE, d->desc,
					   d->avail, d->used, 0),
				 0);
	}
	f->rx_posted = 0;
}

static inline struct vfx *vfx_new(void)
{
	struct vfx *f = calloc(1, sizeof(*f));
	struct vsock_cfg cfg = { .guest_cid = VFX_CID,
				 .queue_size = VFX_QSIZE,
				 .id = "t",
				 .sandbox = vfx_sandbox,
				 .threadless = vfx_threadless };
	char err[256];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/nimbus-vsock-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/v.sock", f->dir);
	cfg.path = f->path;
	vdrv_ram_init(&f->ram, VFX_RAM_GPA, VFX_RAM_SIZE);
	f->next_buf = VFX_BUF_BASE;
	assert_int_equal(vsock_create(&cfg, &f->v, err, sizeof(err)), 0);
	f->ops = vsock_ops();
	vfx_rings(f);
	assert_int_equal(f->ops->activate(f->v, &f->vd, 0), 0);
	return f;
}

static inline void vfx_reset(struct vfx *f)
{
	uint16_t i;

	f->ops->reset(f->v);
	for (i = 0; i < VSOCK_NR_QUEUES; i++)
		vq_reset(&f->vd.q[i]);
}

static inline void vfx_free(struct vfx *f)
{
	char cmd[160];

	vsock_stop(f->v);
	vsock_destroy(f->v);
	vdrv_ram_destroy(&f->ram);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
}

static inline void vfx_kick(struct vfx *f, uint16_t q)
{
	f->ops->queue_notify(f->v, &f->vd, q);
}

/* Post n receive buffers (header and 4 KiB payload in one buffer). */
static inline void vfx_post_rx(struct vfx *f, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint16_t d = f->dq[VSOCK_RXQ].next_desc % VFX_QSIZE;
		struct vdrv_seg s = { VFX_RX_AREA + (uint64_t)VFX_RXBUF * d,
				      VFX_RXBUF, 1 };
		uint16_t head = vdrv_vq_post(&f->dq[VSOCK_RXQ], &s, 1, true);

		f->rx_gpa[head] = s.gpa;
		f->rx_posted++;
	}
	vfx_kick(f, VSOCK_RXQ);
}

static inline void vfx_hdr_put(uint8_t *b, const struct vpkt *p)
{
	uint64_t q;
	uint32_t l;
	uint16_t s;

	q = htole64(p->src_cid), memcpy(b + VSOCK_HDR_SRC_CID, &q, 8);
	q = htole64(p->dst_cid), memcpy(b + VSOCK_HDR_DST_CID, &q, 8);
	l = htole32(p->src_port), memcpy(b + VSOCK_HDR_SRC_PORT, &l, 4);
	l = htole32(p->dst_port), memcpy(b + VSOCK_HDR_DST_PORT, &l, 4);
	l = htole32(p->len), memcpy(b + VSOCK_HDR_LEN_OFF, &l, 4);
	s = htole16(p->type), memcpy(b + VSOCK_HDR_TYPE, &s, 2);
	s = htole16(p->op), memcpy(b + VSOCK_HDR_OP, &s, 2);
	l = htole32(p->flags), memcpy(b + VSOCK_HDR_FLAGS, &l, 4);
	l = htole32(p->buf_alloc), memcpy(b + VSOCK_HDR_BUF_ALLOC, &l, 4);
	l = htole32(p->fwd_cnt), memcpy(b + VSOCK_HDR_FWD_CNT, &l, 4);
}

static inline void vfx_hdr_get(const uint8_t *b, struct vpkt *p)
{
	uint64_t q;
	uint32_t l;
	uint16_t s;

	memcpy(&q, b + VSOCK_HDR_SRC_CID, 8), p->src_cid = le64toh(q);
	memcpy(&q, b + VSOCK_HDR_DST_CID, 8), p->dst_cid = le64toh(q);
	memcpy(&l, b + VSOCK_HDR_SRC_PORT, 4), p->src_port = le32toh(l);
	memcpy(&l, b + VSOCK_HDR_DST_PORT, 4), p->dst_port = le32toh(l);
	memcpy(&l, b + VSOCK_HDR_LEN_OFF, 4), p->len = le32toh(l);
	memcpy(&s, b + VSOCK_HDR_TYPE, 2), p->type = le16toh(s);
	memcpy(&s, b + VSOCK_HDR_OP, 2), p->op = le16toh(s);
	memcpy(&l, b + VSOCK_HDR_FLAGS, 4), p->flags = le32toh(l);
	memcpy(&l, b + VSOCK_HDR_BUF_ALLOC, 4), p->buf_alloc = le32toh(l);
	memcpy(&l, b + VSOCK_HDR_FWD_CNT, 4), p->fwd_cnt = le32toh(l);
}

/* A guest packet with the usual fields filled. */
static inline struct vpkt vfx_pkt(uint16_t op, uint32_t gport, uint32_t hport)
{
	struct vpkt p = {
		.src_cid = VFX_CID,
		.dst_cid = VSOCK_HOST_CID,
		.src_port = gport,
		.dst_port = hport,
		.type = VSOCK_TYPE_STREAM,
		.op = op,
		.buf_alloc = 256 * 1024,
	};
	return p;
}

/* The guest posts p on the transmit queue (header and data_bytes of
 * p->data, in two buffers) and kicks; returns the chain's head. */
static inline uint16_t vfx_post_tx(struct vfx *f, const struct vpkt *p,
				   uint32_t data_bytes)
{
	struct vdrv_seg s[2];
	unsigned int n = 1;
	uint16_t head;

	s[0] = (struct vdrv_seg){ vfx_buf(f, VSOCK_HDR_LEN), VSOCK_HDR_LEN, 0 };
	vfx_hdr_put(vfx_ptr(f, s[0].gpa, VSOCK_HDR_LEN), p);
	if (data_bytes) {
		s[1] = (struct vdrv_seg){ vfx_buf(f, data_bytes), data_bytes,
					  0 };
		memcpy(vfx_ptr(f, s[1].gpa, data_bytes), p->data,
		       data_bytes < sizeof(p->data) ? data_bytes :
						      sizeof(p->data));
		n = 2;
	}
	head = vdrv_vq_post(&f->dq[VSOCK_TXQ], s, n, true);
	vfx_kick(f, VSOCK_TXQ);
	return head;
}

/* The guest sends p (header and data_bytes of data, in two buffers) and
 * waits until the device has consumed it. */
static inline void vfx_send_raw(struct vfx *f, const struct vpkt *p,
				uint32_t data_bytes)
{
	uint16_t head = vfx_post_tx(f, p, data_bytes);

	assert_true(VDRV_WAIT_FOR(vdrv_vq_used_idx(&f->dq[VSOCK_TXQ]) ==
				  f->dq[VSOCK_TXQ].avail_idx));
	assert_int_equal(vdrv_vq_take_used(&f->dq[VSOCK_TXQ], head), 0);
}

static inline void vfx_send(struct vfx *f, const struct vpkt *p)
{
	vfx_send_raw(f, p, p->len);
}

/* The next packet the device gave the guest, within ~3 s.  false if none. */
static inline bool vfx_recv(struct vfx *f, struct vpkt *p)
{
	struct vdrv_vq *q = &f->dq[VSOCK_RXQ];
	uint32_t id, len;
	uint8_t *b;

	if (!VDRV_WAIT_FOR((uint16_t)(vdrv_vq_used_idx(q) - q->used_seen) > 0))
		return false;
	vdrv_vq_used_elem(q, q->used_seen, &id, &len);
	q->used_seen++;
	assert_true(id < VFX_QSIZE);
	assert_true(len >= VSOCK_HDR_LEN && len <= VFX_RXBUF);
	b = vfx_ptr(f, f->rx_gpa[id], len);
	vfx_hdr_get(b, p);
	assert_int_equal(p->len, len - VSOCK_HDR_LEN);
	memcpy(p->data, b + VSOCK_HDR_LEN, p->len);
	f->rx_posted--;
	return true;
}

/* Receive the next packet and require op (skipping nothing). */
static inline void vfx_expect(struct vfx *f, struct vpkt *p, uint16_t op)
{
	assert_true(vfx_recv(f, p));
	assert_int_equal(p->op, op);
	assert_int_equal(p->src_cid, VSOCK_HOST_CID);
	assert_int_equal(p->dst_cid, VFX_CID);
	assert_int_equal(p->type, VSOCK_TYPE_STREAM);
}

/* Nothing more arrives within ms. */
static inline void vfx_expect_none(struct vfx *f, int ms)
{
	usleep((useconds_t)ms * 1000);
	vdrv_vq_assert_no_used(&f->dq[VSOCK_RXQ]);
}

static inline int vfx_unix_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static inline int vfx_unix_listen(struct vfx *f, uint32_t port)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", f->path, port);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 16), 0);
	return fd;
}

/* Read exactly n bytes from fd within ~3 s; returns the count read. */
static inline size_t vfx_read_n(int fd, void *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&pfd, 1, 3000) <= 0)
			break;
		r = recv(fd, (char *)buf + got, n - got, 0);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

/* Whether fd reaches EOF (or an error) within ms. */
static inline bool vfx_eof(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&pfd, 1, ms) <= 0)
		return false;
	return recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
}

/* Host client connects to guest port `port`; the guest accepts.  Returns
 * the host fd (after reading "OK <port>\n") and the host port. */
static inline int vfx_host_open(struct vfx *f, uint32_t port, uint32_t *hport)
{
	int fd = vfx_unix_connect(f->path);
	char line[64], want[64];
	struct vpkt p, r;

	dprintf(fd, "CONNECT %u\n", port);
	vfx_expect(f, &p, VSOCK_OP_REQUEST);
	assert_int_equal(p.dst_port, port);
	assert_true(p.src_port >= (1u << 30));
	r = vfx_pkt(VSOCK_OP_RESPONSE, port, p.src_port);
	vfx_send(f, &r);
	snprintf(want, sizeof(want), "OK %u\n", p.src_port);
	memset(line, 0, sizeof(line));
	assert_int_equal(vfx_read_n(fd, line, strlen(want)), strlen(want));
	assert_string_equal(line, want);
	*hport = p.src_port;
	return fd;
}

static inline uint64_t vfx_ctr(struct vfx *f, size_t off)
{
	struct vsock_counters c;

	vsock_get_counters(f->v, &c);
	return *(uint64_t *)((char *)&c + off);
}

#define VFX_CTR(f, field) vfx_ctr((f), offsetof(struct vsock_counters, field))

#endif /* NIMBUS_TESTS_VSOCK_FX_H */
