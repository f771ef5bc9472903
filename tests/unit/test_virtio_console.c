// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for devices/virtio/virtio_console.c.  The test plays the
 * driver: it builds split rings in malloc'd "guest RAM", and it plays the
 * transport with local definitions of the four virtio_* calls the device
 * makes (so the test needs neither PCI nor a worker thread; the archive's
 * virtio_pci.o is never pulled in because nothing else refers to it).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "devices/virtio/virtio_console.h"
#include "tests/lib/vdriver.h"

#define RAM_GPA 0x100000ull
#define RAM_SIZE (1u << 20)
#define QSIZE 16u
#define BUF_GPA (RAM_GPA + 0x10000)

#define DESC_F_NEXT VDRV_DESC_F_NEXT

/* ---- the transport, as far as the device sees it --------------------- */

struct virtio_dev {
	struct vq q[VCON_NR_QUEUES];
	unsigned int notify_calls[VCON_NR_QUEUES];
	unsigned int irqs[VCON_NR_QUEUES];
	unsigned int needs_reset;
	unsigned int config_changed;
};

struct vq *virtio_queue(struct virtio_dev *vd, uint16_t qidx)
{
	return qidx < VCON_NR_QUEUES ? &vd->q[qidx] : NULL;
}

int virtio_notify_used(struct virtio_dev *vd, uint16_t qidx)
{
	if (qidx >= VCON_NR_QUEUES)
		return -EINVAL;
	vd->notify_calls[qidx]++;
	if (vq_should_notify(&vd->q[qidx]))
		vd->irqs[qidx]++;
	return 0;
}

void virtio_config_changed(struct virtio_dev *vd)
{
	vd->config_changed++;
}

void virtio_set_needs_reset(struct virtio_dev *vd)
{
	vd->needs_reset++;
}

/* ---- fixture ----------------------------------------------------------- */

struct fx {
	struct vdrv_ram ram;
	struct virtio_dev vd;
	struct vcon *c;
	const struct virtio_dev_ops *ops;
	struct vdrv_vq dq[VCON_NR_QUEUES]; /* the driver's side */
	uint64_t next_buf; /* bump allocator for buffers */
	uint8_t out[4096];
	size_t out_len;
	unsigned int tx_calls;
	unsigned int rx_space_calls;
};

static void fx_tx(void *opaque, const uint8_t *buf, size_t len)
{
	struct fx *f = opaque;

	assert_true(len > 0);
	assert_true(f->out_len + len <= sizeof(f->out));
	memcpy(f->out + f->out_len, buf, len);
	f->out_len += len;
	f->tx_calls++;
}

static void fx_rx_space(void *opaque)
{
	struct fx *f = opaque;

	f->rx_space_calls++;
}

/* Guest memory, little-endian, inside the RAM. */
#define gpa(f, a) ((uint8_t *)vdrv_ram_ptr(&(f)->ram, (a), 1))
#define st16(f, a, v) vdrv_st16(&(f)->ram, (a), (v))
#define st32(f, a, v) vdrv_st32(&(f)->ram, (a), (v))
#define st64(f, a, v) vdrv_st64(&(f)->ram, (a), (v))
#define ld16(f, a) vdrv_ld16(&(f)->ram, (a))

/* (Re)create the driver's rings for both queues and enable them. */
static void fx_enable_queues(struct fx *f, uint64_t features)
{
	unsigned int i;

	for (i = 0; i < VCON_NR_QUEUES; i++) {
		struct vdrv_vq *d = &f->dq[i];
		uint64_t desc = RAM_GPA + 0x4000 * i;

		vdrv_vq_place(d, &f->ram, QSIZE, desc, desc + 0x1000,
			      desc + 0x2000);
		vq_init(&f->vd.q[i], &f->ram.mem);
		assert_int_equal(vq_enable(&f->vd.q[i], QSIZE, d->desc,
					   d->avail, d->used, features),
				 0);
	}
}

static int fx_setup(void **state)
{
	struct vcon_cfg cfg = { .tx = fx_tx, .rx_space = fx_rx_space };
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	vdrv_ram_init(&f->ram, RAM_GPA, RAM_SIZE);
	f->next_buf = BUF_GPA;
	cfg.opaque = f;
	assert_int_equal(vcon_create(&cfg, &f->c), 0);
	f->ops = vcon_ops();
	fx_enable_queues(f, 0);
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	vcon_destroy(f->c);
	vdrv_ram_destroy(&f->ram);
	free(f);
	return 0;
}

static void fx_activate(struct fx *f, uint64_t features)
{
	assert_int_equal(f->ops->activate(f->c, &f->vd, features), 0);
}

/* A guest buffer of len bytes (filled with `fill`), returned as a gpa. */
static uint64_t fx_buf(struct fx *f, const void *data, uint32_t len,
		       uint8_t fill)
{
	uint64_t a = f->next_buf;

	f->next_buf += (len + 15) & ~15u;
	assert_true(f->next_buf <= RAM_GPA + RAM_SIZE);
	memset(gpa(f, a), fill, len);
	if (data)
		memcpy(gpa(f, a), data, len);
	return a;
}

/* A chain from next_desc on (no descriptor reuse in a test); returns its
 * head, not yet made avail. */
static uint16_t drv_chain(struct fx *f, unsigned int qi,
			  const struct vdrv_seg *s, unsigned int n)
{
	assert_true(f->dq[qi].next_desc + n <= QSIZE);
	return vdrv_vq_chain(&f->dq[qi], s, n);
}

static void drv_avail(struct fx *f, unsigned int qi, uint16_t head)
{
	vdrv_vq_publish(&f->dq[qi], head, false);
}

static uint16_t drv_post(struct fx *f, unsigned int qi,
			 const struct vdrv_seg *s, unsigned int n)
{
	uint16_t head = drv_chain(f, qi, s, n);

	drv_avail(f, qi, head);
	return head;
}

static uint16_t used_idx(struct fx *f, unsigned int qi)
{
	return vdrv_vq_used_idx(&f->dq[qi]);
}

static void assert_used(struct fx *f, unsigned int qi, unsigned int slot,
			uint16_t head, uint32_t len)
{
	uint32_t id, ulen;

	vdrv_vq_used_elem(&f->dq[qi], (uint16_t)slot, &id, &ulen);
	assert_int_equal(id, head);
	assert_int_equal(ulen, len);
}

static void kick(struct fx *f, uint16_t qidx)
{
	f->ops->queue_notify(f->c, &f->vd, qidx);
}

static size_t rx_str(struct fx *f, const char *s)
{
	return vcon_rx(f->c, (const uint8_t *)s, strlen(s));
}

/* ---- tests --------------------------------------------------------------- */

static void test_create_info(void **state)
{
	struct fx *f = *state;
	const struct virtio_dev_info *info = vcon_info(f->c);
	struct vcon *c = (struct vcon *)0x1;
	struct vcon_cfg cfg = { 0 };

	assert_int_equal(info->device_id, VIRTIO_ID_CONSOLE);
	assert_int_equal(info->device_id, 3);
	assert_int_equal(info->nr_queues, 2);
	assert_int_equal(info->config_size, 12);
	assert_true(info->queue_size_max >= 2 &&
		    info->queue_size_max <= VQ_MAX_SIZE &&
		    !(info->queue_size_max & (info->queue_size_max - 1)));
	assert_int_equal(info->features, 1ull << VIRTIO_CONSOLE_F_EMERG_WRITE);
	assert_string_equal(info->name, "virtio-console");
	assert_non_null(f->ops->config_read);
	assert_non_null(f->ops->activate);
	assert_non_null(f->ops->queue_notify);
	assert_non_null(f->ops->reset);

	assert_int_equal(vcon_create(NULL, &c), -EINVAL);
	assert_int_equal(vcon_create(&cfg, NULL), -EINVAL);
	vcon_destroy(NULL);
	/* A device without hooks drops output and never calls back. */
	assert_int_equal(vcon_create(&cfg, &c), 0);
	f->ops->config_write(c, VCON_CFG_EMERG_WR, "x", 1);
	vcon_destroy(c);
}

static void test_config_space(void **state)
{
	struct fx *f = *state;
	uint8_t b[16];
	uint32_t v32;
	uint16_t v16;

	memset(b, 0xee, sizeof(b));
	f->ops->config_read(f->c, 0, b, 12);
	assert_int_equal(b[0] | b[1] << 8, 0); /* cols */
	assert_int_equal(b[2] | b[3] << 8, 0); /* rows */
	assert_int_equal(b[4], 1); /* max_nr_ports, LE */
	assert_int_equal(b[5] | b[6] | b[7], 0);
	assert_int_equal(b[8] | b[9] | b[10] | b[11], 0); /* emerg_wr */
	assert_int_equal(b[12], 0xee);

	f->ops->config_read(f->c, VCON_CFG_MAX_NR_PORTS, &v32, 4);
	assert_int_equal(v32, 1);
	f->ops->config_read(f->c, VCON_CFG_ROWS, &v16, 2);
	assert_int_equal(v16, 0);
	/* Past the end (the transport should not pass it): zeros. */
	memset(b, 0xee, sizeof(b));
	f->ops->config_read(f->c, 10, b, 4);
	assert_int_equal(b[0] | b[1] | b[2] | b[3], 0);
	memset(b, 0xee, sizeof(b));
	f->ops->config_read(f->c, 100, b, 4);
	assert_int_equal(b[0] | b[1] | b[2] | b[3], 0);

	/* Emergency write: the low byte, before any setup, any width. */
	v32 = 0x12345641; /* 'A' */
	f->ops->config_write(f->c, VCON_CFG_EMERG_WR, &v32, 4);
	f->ops->config_write(f->c, VCON_CFG_EMERG_WR, "B", 1);
	/* Writes elsewhere (read-only fields, misaligned) are ignored. */
	f->ops->config_write(f->c, VCON_CFG_COLS, "C", 1);
	f->ops->config_write(f->c, VCON_CFG_EMERG_WR + 1, "D", 1);
	f->ops->config_write(f->c, VCON_CFG_MAX_NR_PORTS, &v32, 4);
	assert_int_equal(f->out_len, 2);
	assert_memory_equal(f->out, "AB", 2);
	f->ops->config_read(f->c, 0, b, 12);
	assert_int_equal(b[0] | b[1] | b[2] | b[3], 0);
	assert_int_equal(b[4], 1);
	assert_int_equal(f->vd.needs_reset, 0);
}

static void test_tx_in_order(void **state)
{
	struct fx *f = *state;
	uint16_t h1, h2, h3;

	fx_activate(f, 0);
	h1 = drv_post(
		f, VCON_TXQ,
		(struct vdrv_seg[]){ { fx_buf(f, "hello ", 6, 0), 6, 0 } }, 1);
	h2 = drv_post(f, VCON_TXQ,
		      (struct vdrv_seg[]){ { fx_buf(f, "wor", 3, 0), 3, 0 },
					   { fx_buf(f, NULL, 0, 0), 0, 0 },
					   { fx_buf(f, "ld", 2, 0), 2, 0 } },
		      3);
	h3 = drv_post(f, VCON_TXQ,
		      (struct vdrv_seg[]){ { fx_buf(f, "!\n", 2, 0), 2, 0 } },
		      1);
	kick(f, VCON_TXQ);

	assert_int_equal(f->out_len, 13);
	assert_memory_equal(f->out, "hello world!\n", 13);
	assert_int_equal(used_idx(f, VCON_TXQ), 3);
	assert_used(f, VCON_TXQ, 0, h1, 0);
	assert_used(f, VCON_TXQ, 1, h2, 0);
	assert_used(f, VCON_TXQ, 2, h3, 0);
	/* One interrupt for the batch. */
	assert_int_equal(f->vd.notify_calls[VCON_TXQ], 1);
	assert_int_equal(f->vd.irqs[VCON_TXQ], 1);
	assert_int_equal(f->vd.needs_reset, 0);

	/* A second round continues in order; an empty kick is quiet. */
	drv_post(f, VCON_TXQ,
		 (struct vdrv_seg[]){ { fx_buf(f, "xy", 2, 0), 2, 0 } }, 1);
	kick(f, VCON_TXQ);
	kick(f, VCON_TXQ);
	assert_int_equal(f->out_len, 15);
	assert_memory_equal(f->out + 13, "xy", 2);
	assert_int_equal(used_idx(f, VCON_TXQ), 4);
	assert_int_equal(f->vd.notify_calls[VCON_TXQ], 2);
	/* Output never goes to the receive side. */
	assert_int_equal(used_idx(f, VCON_RXQ), 0);
}

static void test_tx_writable_skipped(void **state)
{
	struct fx *f = *state;
	uint64_t w = fx_buf(f, NULL, 8, 0x5a);
	uint16_t h;
	unsigned int i;

	fx_activate(f, 0);
	h = drv_post(f, VCON_TXQ,
		     (struct vdrv_seg[]){ { fx_buf(f, "ab", 2, 0), 2, 0 },
					  { w, 8, 1 } },
		     2);
	drv_post(f, VCON_TXQ, (struct vdrv_seg[]){ { w, 8, 1 } }, 1);
	drv_post(f, VCON_TXQ,
		 (struct vdrv_seg[]){ { fx_buf(f, "c", 1, 0), 1, 0 } }, 1);
	kick(f, VCON_TXQ);
	assert_int_equal(f->out_len, 3);
	assert_memory_equal(f->out, "abc", 3);
	assert_int_equal(used_idx(f, VCON_TXQ), 3);
	assert_used(f, VCON_TXQ, 0, h, 0);
	for (i = 0; i < 8; i++)
		assert_int_equal(gpa(f, w)[i], 0x5a);
	assert_int_equal(f->vd.needs_reset, 0);
}

static void test_tx_malformed(void **state)
{
	struct fx *f = *state;
	uint64_t a = fx_buf(f, "loop", 4, 0);
	struct vdrv_vq *d = &f->dq[VCON_TXQ];

	fx_activate(f, 0);
	/* Descriptor 0 chains to itself. */
	st64(f, d->desc, a);
	st32(f, d->desc + 8, 4);
	st16(f, d->desc + 12, DESC_F_NEXT);
	st16(f, d->desc + 14, 0);
	drv_avail(f, VCON_TXQ, 0);
	kick(f, VCON_TXQ);
	assert_int_equal(f->out_len, 0);
	assert_int_equal(f->vd.needs_reset, 1);
	assert_int_equal(used_idx(f, VCON_TXQ), 0);
	/* The device leaves the queue alone until reset. */
	kick(f, VCON_TXQ);
	assert_int_equal(f->vd.needs_reset, 1);
}

static void test_rx_before_ready(void **state)
{
	struct fx *f = *state;

	/* Buffers are there but the driver has not set DRIVER_OK. */
	drv_post(f, VCON_RXQ,
		 (struct vdrv_seg[]){ { fx_buf(f, NULL, 8, 0), 8, 1 } }, 1);
	assert_int_equal(rx_str(f, "early"), 0);
	assert_int_equal(used_idx(f, VCON_RXQ), 0);
	assert_int_equal(f->rx_space_calls, 0);
	/* Activation tells the host side to offer the held input again. */
	fx_activate(f, 0);
	assert_int_equal(f->rx_space_calls, 1);
	assert_int_equal(rx_str(f, "early"), 5);
	assert_int_equal(used_idx(f, VCON_RXQ), 1);
	/* Nothing held: a later activation does not call back. */
	f->ops->reset(f->c);
	fx_enable_queues(f, 0);
	fx_activate(f, 0);
	assert_int_equal(f->rx_space_calls, 1);
	assert_int_equal(vcon_rx(f->c, (const uint8_t *)"x", 0), 0);
	assert_int_equal(vcon_rx(NULL, (const uint8_t *)"x", 1), 0);
}

static void test_rx_backpressure(void **state)
{
	struct fx *f = *state;
	uint64_t b1, b2;
	uint16_t h1, h2;

	fx_activate(f, 0);
	/* No buffer: nothing accepted, nothing dropped, no callback yet. */
	assert_int_equal(rx_str(f, "abc"), 0);
	assert_int_equal(rx_str(f, "abc"), 0);
	assert_int_equal(f->rx_space_calls, 0);
	assert_int_equal(f->vd.notify_calls[VCON_RXQ], 0);

	/* The guest posts a 2-byte buffer and kicks: rx_space once. */
	b1 = fx_buf(f, NULL, 2, 0xee);
	h1 = drv_post(f, VCON_RXQ, (struct vdrv_seg[]){ { b1, 2, 1 } }, 1);
	kick(f, VCON_RXQ);
	assert_int_equal(f->rx_space_calls, 1);
	kick(f, VCON_RXQ); /* no longer held: no second call */
	assert_int_equal(f->rx_space_calls, 1);

	assert_int_equal(rx_str(f, "abc"), 2);
	assert_memory_equal(gpa(f, b1), "ab", 2);
	assert_int_equal(used_idx(f, VCON_RXQ), 1);
	assert_used(f, VCON_RXQ, 0, h1, 2);
	assert_int_equal(f->vd.notify_calls[VCON_RXQ], 1);
	assert_int_equal(f->vd.irqs[VCON_RXQ], 1);

	/* "c" is still held by the caller; the next post wakes it. */
	b2 = fx_buf(f, NULL, 4, 0xee);
	h2 = drv_post(f, VCON_RXQ, (struct vdrv_seg[]){ { b2, 4, 1 } }, 1);
	kick(f, VCON_RXQ);
	assert_int_equal(f->rx_space_calls, 2);
	assert_int_equal(rx_str(f, "c"), 1);
	assert_int_equal(gpa(f, b2)[0], 'c');
	assert_int_equal(gpa(f, b2)[1], 0xee);
	assert_used(f, VCON_RXQ, 1, h2, 1);
	assert_int_equal(f->vd.needs_reset, 0);
	/* Everything was taken: a kick does not call back. */
	drv_post(f, VCON_RXQ,
		 (struct vdrv_seg[]){ { fx_buf(f, NULL, 4, 0), 4, 1 } }, 1);
	kick(f, VCON_RXQ);
	assert_int_equal(f->rx_space_calls, 2);
	/* Transmit kicks never wake input. */
	assert_int_equal(rx_str(f, "0123456789"), 4);
	kick(f, VCON_TXQ);
	assert_int_equal(f->rx_space_calls, 2);
}

static void test_rx_multi_buffer(void **state)
{
	struct fx *f = *state;
	const char *in = "0123456789ABCDEF";
	uint64_t a = fx_buf(f, NULL, 3, 0xee), b = fx_buf(f, NULL, 4, 0xee);
	uint64_t c = fx_buf(f, NULL, 10, 0xee), d = fx_buf(f, NULL, 8, 0xee);
	uint16_t h1, h2, h3;

	fx_activate(f, 0);
	h1 = drv_post(f, VCON_RXQ,
		      (struct vdrv_seg[]){ { a, 3, 1 },
					   { fx_buf(f, NULL, 0, 0), 0, 1 },
					   { b, 4, 1 } },
		      3);
	h2 = drv_post(f, VCON_RXQ, (struct vdrv_seg[]){ { c, 10, 1 } }, 1);
	h3 = drv_post(f, VCON_RXQ, (struct vdrv_seg[]){ { d, 8, 1 } }, 1);

	assert_int_equal(rx_str(f, in), 16);
	assert_memory_equal(gpa(f, a), "012", 3);
	assert_memory_equal(gpa(f, b), "3456", 4);
	assert_memory_equal(gpa(f, c), "789ABCDEF", 9);
	assert_int_equal(gpa(f, c)[9], 0xee);
	assert_int_equal(used_idx(f, VCON_RXQ), 2);
	assert_used(f, VCON_RXQ, 0, h1, 7);
	assert_used(f, VCON_RXQ, 1, h2, 9);
	/* One interrupt for the whole call. */
	assert_int_equal(f->vd.notify_calls[VCON_RXQ], 1);

	/* The untouched third chain takes the next input. */
	assert_int_equal(rx_str(f, "xyz"), 3);
	assert_memory_equal(gpa(f, d), "xyz", 3);
	assert_used(f, VCON_RXQ, 2, h3, 3);
	assert_int_equal(rx_str(f, "more"), 0);
	assert_int_equal(f->vd.needs_reset, 0);
}

static void test_rx_readable_buffer(void **state)
{
	struct fx *f = *state;
	uint64_t r = fx_buf(f, "keep", 4, 0), w = fx_buf(f, NULL, 8, 0xee);

	fx_activate(f, 0);
	drv_post(f, VCON_RXQ, (struct vdrv_seg[]){ { r, 4, 0 }, { w, 8, 1 } },
		 2);
	drv_post(f, VCON_RXQ, (struct vdrv_seg[]){ { w, 8, 1 } }, 1);
	assert_int_equal(rx_str(f, "data"), 0);
	assert_int_equal(f->vd.needs_reset, 1);
	assert_int_equal(used_idx(f, VCON_RXQ), 0);
	assert_memory_equal(gpa(f, r), "keep", 4);
	assert_int_equal(gpa(f, w)[0], 0xee);
	/* Stopped: no more pops, no second NEEDS_RESET, no wake-ups. */
	assert_int_equal(rx_str(f, "data"), 0);
	kick(f, VCON_RXQ);
	assert_int_equal(f->vd.needs_reset, 1);
	assert_int_equal(f->rx_space_calls, 0);
	assert_int_equal(gpa(f, w)[0], 0xee);
	/* Output still works: only the receiveq is stopped. */
	drv_post(f, VCON_TXQ,
		 (struct vdrv_seg[]){ { fx_buf(f, "ok", 2, 0), 2, 0 } }, 1);
	kick(f, VCON_TXQ);
	assert_memory_equal(f->out, "ok", 2);
}

static void test_rx_malformed_ring(void **state)
{
	struct fx *f = *state;
	struct vdrv_vq *d = &f->dq[VCON_RXQ];

	fx_activate(f, 0);
	/* avail idx runs more than the queue size ahead. */
	st16(f, d->avail + 2, QSIZE + 5);
	assert_int_equal(rx_str(f, "data"), 0);
	assert_int_equal(f->vd.needs_reset, 1);
	assert_int_equal(rx_str(f, "data"), 0);
	assert_int_equal(f->vd.needs_reset, 1);
	assert_int_equal(used_idx(f, VCON_RXQ), 0);

	/* A buffer outside guest RAM (after a reset). */
	f->ops->reset(f->c);
	fx_enable_queues(f, 0);
	fx_activate(f, 0);
	drv_post(f, VCON_RXQ,
		 (struct vdrv_seg[]){ { RAM_GPA + RAM_SIZE - 4, 8, 1 } }, 1);
	assert_int_equal(rx_str(f, "data"), 0);
	assert_int_equal(f->vd.needs_reset, 2);
}

static void test_rx_zero_length_chains(void **state)
{
	struct fx *f = *state;
	uint64_t b = fx_buf(f, NULL, 4, 0);
	unsigned int i;

	fx_activate(f, 0);
	/* Chains naming no bytes are returned empty and skipped. */
	drv_post(f, VCON_RXQ, (struct vdrv_seg[]){ { b, 0, 1 } }, 1);
	drv_post(f, VCON_RXQ, (struct vdrv_seg[]){ { b, 4, 1 } }, 1);
	assert_int_equal(rx_str(f, "wxyz"), 4);
	assert_int_equal(used_idx(f, VCON_RXQ), 2);
	assert_used(f, VCON_RXQ, 0, 0, 0);
	assert_used(f, VCON_RXQ, 1, 1, 4);
	assert_memory_equal(gpa(f, b), "wxyz", 4);

	/* A ring of nothing but them: all returned, nothing accepted. */
	for (i = 0; i < QSIZE - 2; i++)
		drv_post(f, VCON_RXQ, (struct vdrv_seg[]){ { b, 0, 1 } }, 1);
	assert_int_equal(rx_str(f, "a"), 0);
	assert_int_equal(used_idx(f, VCON_RXQ), QSIZE);
	assert_int_equal(f->vd.needs_reset, 0);
}

static void test_reset(void **state)
{
	struct fx *f = *state;
	uint64_t w = fx_buf(f, NULL, 8, 0xee);
	uint16_t h;
	unsigned int i;

	fx_activate(f, 0);
	/* Break both queues. */
	drv_post(f, VCON_RXQ, (struct vdrv_seg[]){ { w, 8, 0 } }, 1);
	assert_int_equal(rx_str(f, "hi"), 0);
	st16(f, f->dq[VCON_TXQ].avail + 2, 100);
	kick(f, VCON_TXQ);
	assert_int_equal(f->vd.needs_reset, 2);

	/* The driver resets: the transport quiesces, resets the device,
	 * then its queues. */
	f->ops->reset(f->c);
	for (i = 0; i < VCON_NR_QUEUES; i++)
		vq_reset(&f->vd.q[i]);
	/* Reset but not re-activated: input is held, kicks do nothing. */
	assert_int_equal(rx_str(f, "hi"), 0);
	kick(f, VCON_RXQ);
	assert_int_equal(f->rx_space_calls, 0);

	/* Queues live again but no DRIVER_OK yet: still held. */
	fx_enable_queues(f, 0);
	h = drv_post(f, VCON_RXQ, (struct vdrv_seg[]){ { w, 8, 1 } }, 1);
	assert_int_equal(rx_str(f, "hi"), 0);
	assert_int_equal(used_idx(f, VCON_RXQ), 0);
	assert_int_equal(f->rx_space_calls, 0);

	/* Re-activated: the held input is offered again, both work. */
	fx_activate(f, 0);
	assert_int_equal(f->rx_space_calls, 1);
	assert_int_equal(rx_str(f, "hi"), 2);
	assert_memory_equal(gpa(f, w), "hi", 2);
	assert_used(f, VCON_RXQ, 0, h, 2);
	drv_post(f, VCON_TXQ,
		 (struct vdrv_seg[]){ { fx_buf(f, "ok", 2, 0), 2, 0 } }, 1);
	kick(f, VCON_TXQ);
	assert_int_equal(f->out_len, 2);
	assert_memory_equal(f->out, "ok", 2);
	assert_int_equal(f->vd.needs_reset, 2);
}

/* With EVENT_IDX the device must publish avail_event when it runs dry,
 * or the driver would stop kicking. */
static void test_event_idx(void **state)
{
	struct fx *f = *state;
	uint64_t feat = 1ull << VIRTIO_F_EVENT_IDX;
	uint64_t rx_avail_event = f->dq[VCON_RXQ].used + 4 + 8 * QSIZE;
	uint64_t tx_avail_event = f->dq[VCON_TXQ].used + 4 + 8 * QSIZE;

	fx_enable_queues(f, feat);
	fx_activate(f, feat);
	st16(f, rx_avail_event, 0xbeef);
	st16(f, tx_avail_event, 0xbeef);

	drv_post(f, VCON_TXQ,
		 (struct vdrv_seg[]){ { fx_buf(f, "a", 1, 0), 1, 0 } }, 1);
	drv_post(f, VCON_TXQ,
		 (struct vdrv_seg[]){ { fx_buf(f, "b", 1, 0), 1, 0 } }, 1);
	kick(f, VCON_TXQ);
	assert_memory_equal(f->out, "ab", 2);
	assert_int_equal(ld16(f, tx_avail_event), 2);

	drv_post(f, VCON_RXQ,
		 (struct vdrv_seg[]){ { fx_buf(f, NULL, 2, 0), 2, 1 } }, 1);
	assert_int_equal(rx_str(f, "xyz"), 2);
	assert_int_equal(ld16(f, rx_avail_event), 1);
	assert_int_equal(f->vd.needs_reset, 0);
}

#define FX_TEST(t) cmocka_unit_test_setup_teardown(t, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		FX_TEST(test_create_info),
		FX_TEST(test_config_space),
		FX_TEST(test_tx_in_order),
		FX_TEST(test_tx_writable_skipped),
		FX_TEST(test_tx_malformed),
		FX_TEST(test_rx_before_ready),
		FX_TEST(test_rx_backpressure),
		FX_TEST(test_rx_multi_buffer),
		FX_TEST(test_rx_readable_buffer),
		FX_TEST(test_rx_malformed_ring),
		FX_TEST(test_rx_zero_length_chains),
		FX_TEST(test_reset),
		FX_TEST(test_event_idx),
	};

	return cmocka_run_group_tests_name("virtio_console", tests, NULL, NULL);
}
