// SPDX-License-Identifier: Apache-2.0
/*
 * net_rx.c - virtio-net receive threads: backend -> guest (see
 * virtio_net.h for the design).
 *
 * A frame is read with one readv into [the first chain's writable
 * buffers, the bounce buffer]; what does not fit the first chain is
 * copied from the bounce buffer into further chains (MRG_RXBUF).  The
 * header's flags and num_buffers are fixed up last, then every chain of
 * the frame is written to the used ring and used->idx is published once,
 * so a driver walking num_buffers never sees a partial frame.
 */
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/uio.h>

#define LOG_MOD "virtio-net"
#include "devices/virtio/net_priv.h"
#include "vmm/sandbox.h"
#include "vmm/log.h"

enum rx_wait {
	RX_WAIT_FD, /* backend empty: wait for it or a wake-up */
	RX_WAIT_KICK, /* no buffers (or broken): wait for a wake-up only */
	RX_AGAIN, /* budget used up: look again right away */
	RX_WAIT_ERR, /* the backend failed: wait a little, then retry */
};

enum rx_take {
	RX_TAKEN,
	RX_NO_BUF,
	RX_BROKEN,
};

/* What the thread saw of the device at its last epoch change. */
struct rx_view {
	struct virtio_dev *vd;
	uint64_t features;
	int running; /* active and this pair is usable */
};

/* ---- chains ---- */

static void rx_broken(struct vnet_pair *p, struct rx_view *v, const char *why)
{
	log_ratelimited(&p->rx.rl, LOG_WARN, "net %s: receiveq %u: %s",
			p->n->id, p->idx, why);
	p->rx.broken = 1;
	virtio_set_needs_reset(v->vd);
}

/* Take the next receive chain into *c, asking for a kick when the ring
 * is dry (and looking once more, for buffers added meanwhile). */
static enum rx_take rx_take(struct vnet_pair *p, struct rx_view *v,
			    struct vq *q, struct vq_chain *c)
{
	int ret;

	for (;;) {
		ret = vq_pop(q, c);
		if (!ret)
			break;
		if (ret != -EAGAIN) {
			rx_broken(p, v, "malformed ring");
			return RX_BROKEN;
		}
		p->rx.notify_on = 1;
		if (!vq_enable_notify(q, true))
			return RX_NO_BUF;
	}
	if (p->rx.notify_on) {
		vq_enable_notify(q, false);
		p->rx.notify_on = 0;
	}
	if (c->out_len) {
		rx_broken(p, v, "device-readable buffer in a receive chain");
		return RX_BROKEN;
	}
	return RX_TAKEN;
}

void vnet_rx_forget(struct vnet_pair *p)
{
	p->rx.have_c1 = 0;
	p->rx.in_progress = 0;
	p->rx.nheld = 0;
	p->rx.notify_on = 0;
	p->rx.broken = 0;
}

/* Drop the frame being placed; the first chain is kept for the next one,
 * further chains go back empty (a driver drops zero-length buffers). */
static int rx_drop(struct vnet_pair *p, struct vq *q, const char *why)
{
	struct vnet_rxq *rx = &p->rx;
	int ret = 0;

	vnet_count(p->n, VNET_CTR_RX_DROPPED, 1);
	log_ratelimited(&rx->rl, LOG_WARN,
			"net %s: receiveq %u: frame dropped: %s", p->n->id,
			p->idx, why);
	if (rx->nheld > 1) {
		memset(&rx->held_len[1], 0,
		       (rx->nheld - 1u) * sizeof(rx->held_len[0]));
		ret = vq_push_n(q, &rx->held_head[1], &rx->held_len[1],
				(uint16_t)(rx->nheld - 1));
	}
	rx->in_progress = 0;
	rx->nheld = 0;
	return ret;
}

/* Is the header's offload request one the guest accepts right now? */
static bool rx_hdr_allowed(const uint8_t *hdr, uint64_t offl)
{
	uint8_t gso = hdr[VIRTIO_NET_HDR_OFF_GSO_TYPE];

	if ((gso & VIRTIO_NET_HDR_GSO_ECN) &&
	    !(offl & 1ull << VIRTIO_NET_F_GUEST_ECN))
		return false;
	switch (gso & ~VIRTIO_NET_HDR_GSO_ECN) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return true;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		return offl & 1ull << VIRTIO_NET_F_GUEST_TSO4;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		return offl & 1ull << VIRTIO_NET_F_GUEST_TSO6;
	case VIRTIO_NET_HDR_GSO_UDP:
		return offl & 1ull << VIRTIO_NET_F_GUEST_UFO;
	default:
		return false;
	}
}

/* All bytes placed: fix the header up and publish the chains. */
static int rx_finish(struct vnet_pair *p, struct vq *q)
{
	struct vnet_rxq *rx = &p->rx;
	uint64_t offl = __atomic_load_n(&p->n->rx_offloads, __ATOMIC_RELAXED);
	uint8_t hdr[VIRTIO_NET_HDR_LEN];
	uint16_t nb;
	int ret;

	vnet_chain_copy(&rx->c1, 1, 0, hdr, sizeof(hdr), 0);
	if (!rx_hdr_allowed(hdr, offl))
		return rx_drop(p, q, "offload the guest did not accept");
	if (!(offl & 1ull << VIRTIO_NET_F_GUEST_CSUM))
		hdr[VIRTIO_NET_HDR_OFF_FLAGS] = 0;
	nb = htole16(rx->nheld);
	memcpy(hdr + VIRTIO_NET_HDR_OFF_NUM_BUFFERS, &nb, 2);
	vnet_chain_copy(&rx->c1, 1, 0, hdr, sizeof(hdr), 1);
	ret = vq_push_n(q, rx->held_head, rx->held_len, rx->nheld);
	vnet_count(p->n, VNET_CTR_RX_FRAMES, 1);
	vnet_count(p->n, VNET_CTR_RX_BYTES, rx->pkt_len - VIRTIO_NET_HDR_LEN);
	rx->have_c1 = 0;
	rx->in_progress = 0;
	rx->nheld = 0;
	return ret;
}

/* Copy the rest of the frame into further chains.  RX_TAKEN when the
 * frame is done (published or dropped). */
static enum rx_take rx_spill(struct vnet_pair *p, struct rx_view *v,
			     struct vq *q)
{
	struct vnet_rxq *rx = &p->rx;
	enum rx_take t;
	uint32_t n;

	while (rx->placed < rx->pkt_len) {
		if (rx->nheld >= q->size) {
			/* Every buffer the ring can hold is ours already. */
			return rx_drop(p, q, "larger than the receive ring") ?
				       RX_BROKEN :
				       RX_TAKEN;
		}
		t = rx_take(p, v, q, &rx->more);
		if (t != RX_TAKEN)
			return t;
		n = vnet_chain_copy(&rx->more, 1, 0,
				    rx->bounce + (rx->placed - rx->bounce_base),
				    rx->pkt_len - rx->placed, 1);
		rx->held_head[rx->nheld] = rx->more.head;
		rx->held_len[rx->nheld++] = n;
		rx->placed += n;
	}
	return rx_finish(p, q) ? RX_BROKEN : RX_TAKEN;
}

/* Read one frame into c1 (+ bounce).  Bytes read or -errno. */
static ssize_t rx_read(struct vnet_pair *p, bool *direct)
{
	struct vnet_rxq *rx = &p->rx;
	struct iovec *v = rx->iov;
	int cnt = 0;
	ssize_t n;
	uint16_t i;

	*direct = rx->c1.nr < IOV_MAX;
	if (*direct)
		for (i = 0; i < rx->c1.nr; i++) {
			v[cnt].iov_base = rx->c1.buf[i].addr;
			v[cnt++].iov_len = rx->c1.buf[i].len;
		}
	v[cnt].iov_base = rx->bounce;
	v[cnt++].iov_len = VNET_BOUNCE_SIZE;
	do
		n = readv(p->fd, v, cnt);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/* Start placing a frame of n bytes just read. */
static enum rx_take rx_place(struct vnet_pair *p, struct rx_view *v,
			     struct vq *q, uint32_t n, bool direct)
{
	struct vnet_rxq *rx = &p->rx;
	uint32_t cap = rx->c1.in_len;

	rx->pkt_len = n;
	rx->nheld = 1;
	rx->held_head[0] = rx->c1.head;
	if (n < VIRTIO_NET_HDR_LEN || n - VIRTIO_NET_HDR_LEN > VNET_MAX_FRAME)
		return rx_drop(p, q, "bad frame length from the backend") ?
			       RX_BROKEN :
			       RX_TAKEN;
	if (direct) {
		rx->placed = n < cap ? n : cap;
		rx->bounce_base = cap;
	} else {
		rx->bounce_base = 0;
		rx->placed = vnet_chain_copy(&rx->c1, 1, 0, rx->bounce, n, 1);
	}
	rx->held_len[0] = rx->placed;
	if (rx->placed == n)
		return rx_finish(p, q) ? RX_BROKEN : RX_TAKEN;
	if (!(v->features & 1ull << VIRTIO_NET_F_MRG_RXBUF))
		return rx_drop(p, q, "larger than the receive buffer") ?
			       RX_BROKEN :
			       RX_TAKEN;
	rx->in_progress = 1;
	return rx_spill(p, v, q);
}

/* Deliver frames until the backend or the ring runs dry, or the budget. */
static enum rx_wait rx_run(struct vnet_pair *p, struct rx_view *v)
{
	struct vnet_rxq *rx = &p->rx;
	struct vq *q = virtio_queue(v->vd, VNET_RXQ(p->idx));
	enum rx_wait wait = RX_AGAIN;
	uint16_t used_before;
	unsigned int frames;
	enum rx_take t;
	bool direct;
	ssize_t n;

	if (!q || q->broken || rx->broken)
		return RX_WAIT_KICK;
	used_before = q->used_idx;
	for (frames = 0; frames < VNET_RX_BUDGET; frames++) {
		if (rx->in_progress) {
			t = rx_spill(p, v, q);
		} else {
			t = RX_TAKEN;
			if (!rx->have_c1) {
				t = rx_take(p, v, q, &rx->c1);
				rx->have_c1 = t == RX_TAKEN;
			}
			if (t == RX_TAKEN &&
			    rx->c1.in_len < VIRTIO_NET_HDR_LEN) {
				/* No room for even the header: give it back. */
				log_ratelimited(
					&rx->rl, LOG_WARN,
					"net %s: receiveq %u: chain of %u bytes is shorter than the header",
					p->n->id, p->idx, rx->c1.in_len);
				rx->have_c1 = 0;
				if (vq_push(q, rx->c1.head, 0))
					t = RX_BROKEN;
				else
					continue;
			}
			if (t == RX_TAKEN) {
				n = rx_read(p, &direct);
				if (n == -EAGAIN) {
					wait = RX_WAIT_FD;
					break;
				}
				if (n < 0) {
					log_ratelimited(
						&rx->rl, LOG_WARN,
						"net %s: read from the backend: %s",
						p->n->id, strerror((int)-n));
					wait = RX_WAIT_ERR;
					break;
				}
				t = rx_place(p, v, q, (uint32_t)n, direct);
			}
		}
		if (t == RX_BROKEN && !rx->broken)
			rx_broken(p, v, "cannot return chains");
		if (t != RX_TAKEN) {
			wait = RX_WAIT_KICK;
			break;
		}
	}
	if (q->used_idx != used_before)
		virtio_notify_used(v->vd, VNET_RXQ(p->idx));
	return wait;
}

/* ---- the thread ---- */

/* Sleep until a wake-up, the backend is readable (with_fd), or ms pass
 * (-1: no limit). */
static void rx_wait(struct vnet_pair *p, bool with_fd, int ms)
{
	struct pollfd pfd[2] = {
		{ .fd = p->efd, .events = POLLIN },
		{ .fd = p->fd, .events = POLLIN },
	};
	eventfd_t v;

	if (poll(pfd, with_fd ? 2 : 1, ms) > 0 && (pfd[0].revents & POLLIN))
		(void)eventfd_read(p->efd, &v);
}

/* Attach the pair's backend queue while the driver serves it (pair 0
 * always), detach it otherwise. */
static void rx_apply_attach(struct vnet_pair *p, bool want)
{
	struct vnet *n = p->n;
	int ret;

	if (p->idx == 0)
		want = true;
	if (want == !!p->rx.attached || !n->bops || !n->bops->set_queue)
		return;
	ret = n->bops->set_queue(n->bopaque, p->idx, want);
	if (ret)
		log_ratelimited(&p->rx.rl, LOG_WARN,
				"net %s: cannot %s queue %u: %s", n->id,
				want ? "attach" : "detach", p->idx,
				strerror(-ret));
	/* Tried once; do not retry in a loop.  Read by the transmitq. */
	__atomic_store_n(&p->rx.attached, want, __ATOMIC_RELAXED);
}

/* Look at the device state; false when the thread must exit. */
static bool rx_sync(struct vnet_pair *p, struct rx_view *v)
{
	struct vnet *n = p->n;
	bool run;

	pthread_mutex_lock(&n->lock);
	if (n->stop) {
		pthread_mutex_unlock(&n->lock);
		return false;
	}
	if (p->seen_epoch != n->epoch) {
		vnet_rx_forget(p);
		v->vd = n->vd;
		v->features = n->features;
		v->running = n->active && p->idx < n->usable_pairs;
		p->seen_epoch = n->epoch;
		pthread_cond_broadcast(&n->cond);
	}
	pthread_mutex_unlock(&n->lock);
	run = v->running && __atomic_load_n(&p->want_active, __ATOMIC_RELAXED);
	rx_apply_attach(p, run);
	return true;
}

void *vnet_rx_thread(void *arg)
{
	struct vnet_pair *p = arg;
	struct rx_view v = { 0 };
	enum rx_wait w;
	int ret;

	ret = sandbox_install(p->n->sandbox, SANDBOX_VIRTIO_NET);
	if (ret) {
		/* Never serve the guest unfiltered: this queue stays idle. */
		log_err("net %s: rx%u: cannot install the seccomp filter: %s",
			p->n->id, p->idx, strerror(-ret));
		pthread_mutex_lock(&p->n->lock);
		p->dead = 1;
		pthread_cond_broadcast(&p->n->cond);
		pthread_mutex_unlock(&p->n->lock);
		return NULL;
	}
	while (rx_sync(p, &v)) {
		if (!v.running ||
		    !__atomic_load_n(&p->want_active, __ATOMIC_RELAXED)) {
			rx_wait(p, false, -1);
			continue;
		}
		w = rx_run(p, &v);
		if (w == RX_WAIT_ERR)
			rx_wait(p, false, VNET_RX_ERR_WAIT_MS);
		else if (w != RX_AGAIN)
			rx_wait(p, w == RX_WAIT_FD, -1);
	}
	return NULL;
}
