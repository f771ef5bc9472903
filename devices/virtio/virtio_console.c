// SPDX-License-Identifier: Apache-2.0
/*
 * virtio_console.c - single-port virtio-console (see virtio_console.h for
 * the threading design).
 */
#define LOG_MOD "virtio-console"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/virtio_console.h"
#include "vmm/log.h"

/* Pushes between interrupts while the guest keeps the transmitq full. */
#define VCON_TX_BATCH 64u

struct vcon {
	struct vcon_cfg cfg;
	struct virtio_dev_info info;

	pthread_mutex_t lock;
	/* Under lock: */
	struct virtio_dev *vd; /* from activate; valid for vd's lifetime */
	bool active; /* between activate and reset */
	bool rx_broken; /* NEEDS_RESET raised for the receiveq */
	bool rx_held; /* vcon_rx() took less than offered */
	struct log_rl rx_rl;
	struct vq_chain rx_chain;

	/* Worker thread only (reset/activate run with it quiesced): */
	bool tx_broken;
	struct log_rl tx_rl;
	struct vq_chain tx_chain;
};

static void vcon_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void vcon_put_le32(uint8_t *p, uint32_t v)
{
	vcon_put_le16(p, (uint16_t)v);
	vcon_put_le16(p + 2, (uint16_t)(v >> 16));
}

/* ---- config space ----------------------------------------------------- */

static void vcon_config_read(void *opaque, uint32_t off, void *data,
			     uint32_t len)
{
	uint8_t img[VCON_CFG_SIZE] = { 0 };

	/* cols/rows stay 0: VIRTIO_CONSOLE_F_SIZE is not offered. */
	vcon_put_le32(img + VCON_CFG_MAX_NR_PORTS, 1);
	memset(data, 0, len);
	/* The transport checks the range; a stray read still gets zeros. */
	if (off < VCON_CFG_SIZE)
		memcpy(data, img + off,
		       len < VCON_CFG_SIZE - off ? len : VCON_CFG_SIZE - off);
}

/*
 * Only emerg_wr is writable.  Its low byte is one character of output;
 * the spec lets a driver use it before the device is set up, so it works
 * whatever was negotiated.  Other writes are ignored, as read-only
 * registers ignore them.
 */
static void vcon_config_write(void *opaque, uint32_t off, const void *data,
			      uint32_t len)
{
	struct vcon *c = opaque;
	uint8_t ch;

	if (off != VCON_CFG_EMERG_WR || len == 0 || len > 4)
		return;
	ch = *(const uint8_t *)data;
	if (c->cfg.tx)
		c->cfg.tx(c->cfg.opaque, &ch, 1);
}

/* ---- lifecycle -------------------------------------------------------- */

static int vcon_activate(void *opaque, struct virtio_dev *vd, uint64_t features)
{
	struct vcon *c = opaque;
	bool wake;

	pthread_mutex_lock(&c->lock);
	c->vd = vd;
	c->active = true;
	c->rx_broken = false;
	c->tx_broken = false;
	/* Input held before the driver was ready: let the host retry. */
	wake = c->rx_held;
	c->rx_held = false;
	pthread_mutex_unlock(&c->lock);
	if (wake && c->cfg.rx_space)
		c->cfg.rx_space(c->cfg.opaque);
	return 0;
}

/*
 * Forget the queues.  Held input stays with the host side (rx_held is
 * kept) and is offered again once the driver is back.
 */
static void vcon_reset(void *opaque)
{
	struct vcon *c = opaque;

	pthread_mutex_lock(&c->lock);
	c->active = false;
	c->rx_broken = false;
	c->tx_broken = false;
	pthread_mutex_unlock(&c->lock);
}

/* ---- transmitq (worker thread) ---------------------------------------- */

static void vcon_tx_fail(struct vcon *c, struct virtio_dev *vd, const char *why)
{
	log_ratelimited(&c->tx_rl, LOG_WARN, "transmitq: %s; needs reset", why);
	c->tx_broken = true;
	virtio_set_needs_reset(vd);
}

static void vcon_tx_chain(struct vcon *c, const struct vq_chain *ch)
{
	bool skipped = false;
	uint16_t i;

	for (i = 0; i < ch->nr; i++) {
		const struct vq_buf *b = &ch->buf[i];

		if (b->write) {
			skipped = true;
			continue;
		}
		if (b->len && c->cfg.tx)
			c->cfg.tx(c->cfg.opaque, b->addr, b->len);
	}
	if (skipped)
		log_ratelimited(
			&c->tx_rl, LOG_WARN,
			"transmitq: writable buffer in chain %u ignored",
			ch->head);
}

static void vcon_tx_process(struct vcon *c, struct virtio_dev *vd)
{
	struct vq *q = virtio_queue(vd, VCON_TXQ);
	unsigned int pending = 0;
	bool rechecked = false;
	int ret;

	if (!q || c->tx_broken)
		return;
	for (;;) {
		ret = vq_pop(q, &c->tx_chain);
		if (ret == -EAGAIN) {
			/* Ask for kicks again, then look once more: the
			 * driver may have added a chain meanwhile. */
			if (!rechecked && vq_enable_notify(q, true)) {
				rechecked = true;
				continue;
			}
			break;
		}
		if (ret) {
			vcon_tx_fail(c, vd, "malformed ring");
			break;
		}
		rechecked = false;
		vcon_tx_chain(c, &c->tx_chain);
		if (vq_push(q, c->tx_chain.head, 0)) {
			vcon_tx_fail(c, vd, "cannot return a chain");
			break;
		}
		if (++pending >= VCON_TX_BATCH) {
			virtio_notify_used(vd, VCON_TXQ);
			pending = 0;
		}
	}
	if (pending)
		virtio_notify_used(vd, VCON_TXQ);
}

/* ---- receiveq --------------------------------------------------------- */

/* A receiveq kick: the driver posted buffers.  Worker thread. */
static void vcon_rx_kick(struct vcon *c)
{
	bool wake;

	pthread_mutex_lock(&c->lock);
	wake = c->rx_held && c->active && !c->rx_broken;
	if (wake)
		c->rx_held = false;
	pthread_mutex_unlock(&c->lock);
	if (wake && c->cfg.rx_space)
		c->cfg.rx_space(c->cfg.opaque);
}

static void vcon_queue_notify(void *opaque, struct virtio_dev *vd,
			      uint16_t qidx)
{
	struct vcon *c = opaque;

	if (qidx == VCON_TXQ)
		vcon_tx_process(c, vd);
	else if (qidx == VCON_RXQ)
		vcon_rx_kick(c);
	else
		log_ratelimited(&c->tx_rl, LOG_WARN,
				"kick for queue %u ignored", qidx);
}

/* Lock held. */
static void vcon_rx_fail(struct vcon *c, const char *why)
{
	log_ratelimited(&c->rx_rl, LOG_WARN, "receiveq: %s; needs reset", why);
	c->rx_broken = true;
	virtio_set_needs_reset(c->vd);
}

/* Copy into the chain's buffers, in order; returns the bytes written. */
static size_t vcon_rx_fill(const struct vq_chain *ch, const uint8_t *buf,
			   size_t len)
{
	size_t done = 0, n;
	uint16_t i;

	for (i = 0; i < ch->nr && done < len; i++) {
		n = ch->buf[i].len;
		if (n > len - done)
			n = len - done;
		memcpy(ch->buf[i].addr, buf + done, n);
		done += n;
	}
	return done;
}

static bool vcon_chain_has_readable(const struct vq_chain *ch)
{
	uint16_t i;

	for (i = 0; i < ch->nr; i++)
		if (!ch->buf[i].write)
			return true;
	return false;
}

/* Lock held, device active.  Returns the bytes accepted. */
static size_t vcon_rx_locked(struct vcon *c, const uint8_t *buf, size_t len)
{
	struct vq_chain *ch = &c->rx_chain;
	struct vq *q = virtio_queue(c->vd, VCON_RXQ);
	unsigned int empty = 0;
	bool rechecked = false, pushed = false;
	size_t done = 0, n;
	int ret;

	if (!q)
		return 0;
	while (done < len) {
		ret = vq_pop(q, ch);
		if (ret == -EAGAIN) {
			/* Out of buffers: ask for a kick when more come,
			 * then look once more in case they just did. */
			if (!rechecked && vq_enable_notify(q, true)) {
				rechecked = true;
				continue;
			}
			break;
		}
		if (ret) {
			vcon_rx_fail(c, "malformed ring");
			break;
		}
		rechecked = false;
		if (vcon_chain_has_readable(ch)) {
			vcon_rx_fail(c, "device-readable buffer");
			break;
		}
		n = vcon_rx_fill(ch, buf + done, len - done);
		if (vq_push(q, ch->head, (uint32_t)n)) {
			vcon_rx_fail(c, "cannot return a chain");
			break;
		}
		pushed = true;
		done += n;
		/* Zero-length chains make no progress: bound them. */
		if (n == 0 && ++empty >= q->size)
			break;
	}
	if (pushed)
		virtio_notify_used(c->vd, VCON_RXQ);
	return done;
}

size_t vcon_rx(struct vcon *c, const uint8_t *buf, size_t len)
{
	size_t done = 0;

	if (!c || !buf || len == 0)
		return 0;
	pthread_mutex_lock(&c->lock);
	if (c->active && !c->rx_broken)
		done = vcon_rx_locked(c, buf, len);
	c->rx_held = done < len;
	pthread_mutex_unlock(&c->lock);
	return done;
}

/* ---- setup ------------------------------------------------------------ */

static const struct virtio_dev_ops vcon_dev_ops = {
	.config_read = vcon_config_read,
	.config_write = vcon_config_write,
	.activate = vcon_activate,
	.queue_notify = vcon_queue_notify,
	.reset = vcon_reset,
};

const struct virtio_dev_ops *vcon_ops(void)
{
	return &vcon_dev_ops;
}

const struct virtio_dev_info *vcon_info(struct vcon *c)
{
	return &c->info;
}

int vcon_create(const struct vcon_cfg *cfg, struct vcon **out)
{
	struct vcon *c;
	int ret;

	if (!cfg || !out)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	ret = pthread_mutex_init(&c->lock, NULL);
	if (ret)
		goto out_free;
	c->cfg = *cfg;
	c->info = (struct virtio_dev_info){
		.name = "virtio-console",
		.device_id = VIRTIO_ID_CONSOLE,
		.pci_class = VCON_PCI_CLASS,
		.features = 1ull << VIRTIO_CONSOLE_F_EMERG_WRITE,
		.nr_queues = VCON_NR_QUEUES,
		.queue_size_max = VCON_QUEUE_SIZE_MAX,
		.config_size = VCON_CFG_SIZE,
	};
	*out = c;
	return 0;

out_free:
	free(c);
	return -ret;
}

void vcon_destroy(struct vcon *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c);
}
