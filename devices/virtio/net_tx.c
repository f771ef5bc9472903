// SPDX-License-Identifier: Apache-2.0
/*
 * net_tx.c - virtio-net transmit queues: guest -> backend (see
 * virtio_net.h).  Runs on the transmitq's own transport worker.
 *
 * The 12-byte header is copied out of guest memory and checked, and the
 * copy is what the backend gets: a guest rewriting its buffer after the
 * check cannot smuggle an offload request past it.  The frame itself is
 * handed to writev straight from guest memory (the kernel copies it), or
 * through the bounce buffer when the chain has more buffers than an
 * iovec may.
 */
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/uio.h>

#define LOG_MOD "virtio-net"
#include "devices/virtio/net_priv.h"
#include "vmm/log.h"

/* Is the guest's header one the negotiated features allow? */
static const char *tx_hdr_check(const uint8_t *hdr, uint64_t f)
{
	uint8_t gso = hdr[VIRTIO_NET_HDR_OFF_GSO_TYPE];
	uint8_t flags = hdr[VIRTIO_NET_HDR_OFF_FLAGS];

	if ((flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
	    !(f & 1ull << VIRTIO_NET_F_CSUM))
		return "checksum offload not negotiated";
	if ((gso & VIRTIO_NET_HDR_GSO_ECN) &&
	    !(f & 1ull << VIRTIO_NET_F_HOST_ECN))
		return "ECN segmentation not negotiated";
	switch (gso & ~VIRTIO_NET_HDR_GSO_ECN) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return NULL;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		return f & 1ull << VIRTIO_NET_F_HOST_TSO4 ?
			       NULL :
			       "TSO4 not negotiated";
	case VIRTIO_NET_HDR_GSO_TCPV6:
		return f & 1ull << VIRTIO_NET_F_HOST_TSO6 ?
			       NULL :
			       "TSO6 not negotiated";
	case VIRTIO_NET_HDR_GSO_UDP:
		return f & 1ull << VIRTIO_NET_F_HOST_UFO ? NULL :
							   "UFO not negotiated";
	default:
		return "unknown GSO type";
	}
}

/* iovec for [hdr copy][readable bytes from offset 12].  Returns the count,
 * or 0 when the chain needs more entries than IOV_MAX. */
static int tx_iov(struct vnet_txq *tx, const struct vq_chain *c, uint8_t *hdr)
{
	uint32_t skip = VIRTIO_NET_HDR_LEN;
	int cnt = 0;
	uint16_t i;

	tx->iov[cnt].iov_base = hdr;
	tx->iov[cnt++].iov_len = VIRTIO_NET_HDR_LEN;
	for (i = 0; i < c->nr; i++) {
		const struct vq_buf *b = &c->buf[i];

		if (b->write)
			continue; /* the spec has none here; ignored */
		if (skip >= b->len) {
			skip -= b->len;
			continue;
		}
		if (cnt == IOV_MAX)
			return 0;
		tx->iov[cnt].iov_base = (uint8_t *)b->addr + skip;
		tx->iov[cnt++].iov_len = b->len - skip;
		skip = 0;
	}
	return cnt;
}

static int tx_write(int fd, const struct iovec *iov, int cnt)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	bool waited = false;
	ssize_t n;

	for (;;) {
		n = writev(fd, iov, cnt);
		if (n >= 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN || waited)
			return -errno;
		/* Backend full: wait once, briefly, then drop. */
		waited = true;
		if (poll(&pfd, 1, VNET_TX_RETRY_MS) <= 0)
			return -EAGAIN;
	}
}

/* Send one chain's frame; false when it was dropped. */
static bool tx_frame(struct vnet *n, struct vnet_pair *p,
		     const struct vq_chain *c, uint64_t f)
{
	struct vnet_txq *tx = &p->tx;
	uint8_t hdr[VIRTIO_NET_HDR_LEN];
	const char *why;
	uint32_t len;
	int cnt, fd, ret;

	if (c->out_len < VIRTIO_NET_HDR_LEN) {
		why = "shorter than the header";
		goto drop;
	}
	len = c->out_len - VIRTIO_NET_HDR_LEN;
	if (len > VNET_MAX_FRAME) {
		why = "frame larger than 65550 bytes";
		goto drop;
	}
	vnet_chain_copy(c, 0, 0, hdr, sizeof(hdr), 0);
	why = tx_hdr_check(hdr, f);
	if (why)
		goto drop;
	hdr[VIRTIO_NET_HDR_OFF_FLAGS] &= VIRTIO_NET_HDR_F_NEEDS_CSUM;
	memset(hdr + VIRTIO_NET_HDR_OFF_NUM_BUFFERS, 0, 2);
	cnt = tx_iov(tx, c, hdr);
	if (!cnt) {
		memcpy(tx->bounce, hdr, sizeof(hdr));
		vnet_chain_copy(c, 0, VIRTIO_NET_HDR_LEN,
				tx->bounce + VIRTIO_NET_HDR_LEN, len, 0);
		tx->iov[0].iov_base = tx->bounce;
		tx->iov[0].iov_len = VIRTIO_NET_HDR_LEN + len;
		cnt = 1;
	}
	/* A pair the driver does not use is detached from the TAP. */
	fd = __atomic_load_n(&p->rx.attached, __ATOMIC_RELAXED) ?
		     p->fd :
		     n->pairs[0].fd;
	ret = tx_write(fd, tx->iov, cnt);
	if (ret) {
		log_ratelimited(&tx->rl, LOG_WARN,
				"net %s: transmitq %u: backend write: %s",
				n->id, p->idx, strerror(-ret));
		vnet_count(n, VNET_CTR_TX_DROPPED, 1);
		return false;
	}
	vnet_count(n, VNET_CTR_TX_FRAMES, 1);
	vnet_count(n, VNET_CTR_TX_BYTES, len);
	return true;

drop:
	log_ratelimited(&tx->rl, LOG_WARN,
			"net %s: transmitq %u: chain %u dropped: %s", n->id,
			p->idx, c->head, why);
	vnet_count(n, VNET_CTR_TX_DROPPED, 1);
	return false;
}

void vnet_tx_process(struct vnet *n, struct virtio_dev *vd, uint16_t pair)
{
	struct vnet_pair *p = &n->pairs[pair];
	struct vq *q = virtio_queue(vd, VNET_TXQ(pair));
	unsigned int pending = 0;
	int ret;

	if (!q)
		return;
	/* Kicks off while draining; re-armed and re-checked before leaving
	 * so a chain queued meanwhile is never left without a kick. */
	do {
		vq_enable_notify(q, false);
		while (!(ret = vq_pop(q, &p->tx.chain))) {
			tx_frame(n, p, &p->tx.chain, n->features);
			ret = vq_push(q, p->tx.chain.head, 0);
			if (ret)
				break;
			if (++pending >= VNET_TX_BUDGET) {
				virtio_notify_used(vd, VNET_TXQ(pair));
				pending = 0;
			}
		}
		if (ret != -EAGAIN) {
			log_ratelimited(&p->tx.rl, LOG_WARN,
					"net %s: transmitq %u: malformed ring",
					n->id, pair);
			virtio_set_needs_reset(vd);
			break;
		}
	} while (vq_enable_notify(q, true));
	if (pending)
		virtio_notify_used(vd, VNET_TXQ(pair));
}
