// SPDX-License-Identifier: Apache-2.0
/*
 * vsock_pkt.c - virtio-vsock packets: the tx queue (guest -> device:
 * header checks, the operations) and the rx queue (device -> guest:
 * queued control packets first, then data read from host sockets within
 * the guest's credit).  Device thread only (see vsock_priv.h).
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define LOG_MOD "virtio-vsock"
#include "devices/virtio/vsock_priv.h"
#include "vmm/log.h"

/* A parsed packet header. */
struct vs_hdr {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port, len;
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
};

static uint16_t ld16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return le16toh(v);
}

static uint32_t ld32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static uint64_t ld64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

static void st16(uint8_t *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, 2);
}

static void st32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static void st64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

/* Copy between buf and the chain's readable or writable bytes from
 * stream offset off; returns the bytes copied. */
static uint32_t chain_copy(const struct vq_chain *c, int writable, uint32_t off,
			   void *buf, uint32_t len, int to_chain)
{
	uint8_t *p = buf;
	uint32_t done = 0, n;
	uint16_t i;

	for (i = 0; i < c->nr && done < len; i++) {
		const struct vq_buf *b = &c->buf[i];

		if (!!b->write != !!writable)
			continue;
		if (off >= b->len) {
			off -= b->len;
			continue;
		}
		n = b->len - off < len - done ? b->len - off : len - done;
		if (to_chain)
			memcpy((uint8_t *)b->addr + off, p + done, n);
		else
			memcpy(p + done, (uint8_t *)b->addr + off, n);
		done += n;
		off = 0;
	}
	return done;
}

/* iovec over the chain's readable/writable bytes [off, off + len). */
static int chain_iov(struct vsock *v, const struct vq_chain *c, int writable,
		     uint32_t off, uint32_t len)
{
	int cnt = 0;
	uint16_t i;

	for (i = 0; i < c->nr && len; i++) {
		const struct vq_buf *b = &c->buf[i];
		uint32_t n;

		if (!!b->write != !!writable)
			continue;
		if (off >= b->len) {
			off -= b->len;
			continue;
		}
		n = b->len - off < len ? b->len - off : len;
		v->iov[cnt].iov_base = (uint8_t *)b->addr + off;
		v->iov[cnt++].iov_len = n;
		len -= n;
		off = 0;
	}
	return cnt;
}

static void vs_broken(struct vsock *v, const char *why)
{
	log_ratelimited(&v->rl, LOG_WARN, "vsock %s: %s; needs reset", v->id,
			why);
	v->broken = 1;
	virtio_set_needs_reset(v->tvd);
}

static void bad_pkt(struct vsock *v, const struct vs_hdr *h, const char *why)
{
	vsock_count(&v->ctr.bad_packets, 1);
	log_ratelimited(&v->rl, LOG_WARN,
			"vsock %s: bad packet (op %u, %u -> %u): %s", v->id,
			h ? h->op : 0, h ? h->src_port : 0, h ? h->dst_port : 0,
			why);
}

/* ---- tx: packets from the guest ---- */

/* A guest connection to host port `port`: forward to path_port. */
static void guest_connect(struct vsock *v, const struct vs_hdr *h)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vsock_conn *c;
	int fd;

	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", v->path,
		     h->dst_port) >= (int)sizeof(sa.sun_path))
		goto refuse;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto refuse;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		goto refuse;
	}
	c = vsock_conn_new(v, fd, VS_ESTABLISHED);
	if (!c)
		goto refuse;
	c->local_port = h->dst_port;
	c->peer_port = h->src_port;
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	vsock_conn_hash(v, c);
	vsock_conn_pend(v, c, VS_PEND_RESPONSE);
	return;
refuse:
	vsock_orphan_rst(v, h->dst_port, h->src_port);
}

/* The guest accepted a host client's connection. */
static void host_established(struct vsock *v, struct vsock_conn *c)
{
	char ok[32];
	int n = snprintf(ok, sizeof(ok), "OK %u\n", c->local_port);

	/* A fresh socket has room for a short line. */
	if (send(c->fd, ok, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) != n) {
		vsock_conn_reset(v, c);
		return;
	}
	c->state = VS_ESTABLISHED;
	c->deadline_ms = 0;
}

static void guest_shutdown(struct vsock *v, struct vsock_conn *c,
			   uint32_t flags)
{
	c->guest_shut |=
		(int)(flags & (VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND));
	if ((c->guest_shut & (VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND)) ==
	    (VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND)) {
		/* Closed on the guest's side: flush, then RST (which the
		 * guest waits for) and free. */
		c->state = VS_CLOSING;
		c->deadline_ms = vsock_now_ms() + VSOCK_CLOSE_TIMEOUT_MS;
	}
	if (c->buf_len && c->writable)
		vsock_conn_flush(v, c); /* may free c */
	else if (!c->buf_len && c->state == VS_CLOSING)
		vsock_conn_reset(v, c);
	else if (!c->buf_len && (c->guest_shut & VSOCK_SHUTDOWN_SEND))
		shutdown(c->fd, SHUT_WR);
}

static void tx_rw(struct vsock *v, struct vsock_conn *c,
		  const struct vq_chain *ch, const struct vs_hdr *h)
{
	int cnt;

	if (c->state != VS_ESTABLISHED ||
	    (c->guest_shut & VSOCK_SHUTDOWN_SEND)) {
		bad_pkt(v, h, "data on a connection not open for it");
		vsock_conn_reset(v, c);
		return;
	}
	if (!h->len)
		return;
	cnt = chain_iov(v, ch, 0, VSOCK_HDR_LEN, h->len);
	if (!vsock_conn_from_guest(v, c, v->iov, cnt, h->len)) {
		bad_pkt(v, h, "beyond the credit given");
		vsock_conn_reset(v, c);
	}
}

static void tx_op(struct vsock *v, const struct vq_chain *ch,
		  const struct vs_hdr *h)
{
	struct vsock_conn *c = vsock_conn_find(v, h->dst_port, h->src_port);

	if (c) {
		c->peer_buf_alloc = h->buf_alloc;
		c->peer_fwd_cnt = h->fwd_cnt;
		c->credit_asked = 0;
	}
	switch (h->op) {
	case VSOCK_OP_REQUEST:
		if (c) {
			bad_pkt(v, h, "REQUEST for an open connection");
			vsock_conn_reset(v, c);
		} else {
			guest_connect(v, h);
		}
		return;
	case VSOCK_OP_RST:
		if (c)
			vsock_conn_free(v, c);
		return;
	default:
		break;
	}
	if (!c) {
		/* Nothing here: the guest's socket must learn it. */
		vsock_orphan_rst(v, h->dst_port, h->src_port);
		return;
	}
	switch (h->op) {
	case VSOCK_OP_RESPONSE:
		if (c->state == VS_REQUESTED && !(c->pend & VS_PEND_REQUEST))
			host_established(v, c);
		else
			vsock_conn_reset(v, c);
		break;
	case VSOCK_OP_RW:
		tx_rw(v, c, ch, h);
		break;
	case VSOCK_OP_SHUTDOWN:
		guest_shutdown(v, c, h->flags);
		break;
	case VSOCK_OP_CREDIT_UPDATE:
		break; /* the header did it */
	case VSOCK_OP_CREDIT_REQUEST:
		vsock_conn_pend(v, c, VS_PEND_CREDIT_UPDATE);
		break;
	default:
		bad_pkt(v, h, "unknown operation");
		vsock_conn_reset(v, c);
		break;
	}
}

static void tx_packet(struct vsock *v, const struct vq_chain *ch)
{
	uint8_t b[VSOCK_HDR_LEN];
	struct vs_hdr h;

	if (ch->out_len < VSOCK_HDR_LEN) {
		bad_pkt(v, NULL, "shorter than the header");
		return;
	}
	chain_copy(ch, 0, 0, b, VSOCK_HDR_LEN, 0);
	h = (struct vs_hdr){
		.src_cid = ld64(b + VSOCK_HDR_SRC_CID),
		.dst_cid = ld64(b + VSOCK_HDR_DST_CID),
		.src_port = ld32(b + VSOCK_HDR_SRC_PORT),
		.dst_port = ld32(b + VSOCK_HDR_DST_PORT),
		.len = ld32(b + VSOCK_HDR_LEN_OFF),
		.type = ld16(b + VSOCK_HDR_TYPE),
		.op = ld16(b + VSOCK_HDR_OP),
		.flags = ld32(b + VSOCK_HDR_FLAGS),
		.buf_alloc = ld32(b + VSOCK_HDR_BUF_ALLOC),
		.fwd_cnt = ld32(b + VSOCK_HDR_FWD_CNT),
	};
	if (h.src_cid != v->cid || h.dst_cid != VSOCK_HOST_CID) {
		bad_pkt(v, &h, "not from the guest's CID to the host");
		return;
	}
	if (h.len > ch->out_len - VSOCK_HDR_LEN || h.len > VSOCK_MAX_PKT ||
	    (h.len && h.op != VSOCK_OP_RW)) {
		struct vsock_conn *c =
			vsock_conn_find(v, h.dst_port, h.src_port);

		bad_pkt(v, &h, "bad length");
		if (c)
			vsock_conn_reset(v, c);
		else if (h.op != VSOCK_OP_RST)
			vsock_orphan_rst(v, h.dst_port, h.src_port);
		return;
	}
	if (h.type != VSOCK_TYPE_STREAM) {
		bad_pkt(v, &h, "not a stream socket");
		if (h.op != VSOCK_OP_RST)
			vsock_orphan_rst(v, h.dst_port, h.src_port);
		return;
	}
	tx_op(v, ch, &h);
}

bool vsock_tx_process(struct vsock *v)
{
	struct vq *q = virtio_queue(v->tvd, VSOCK_TXQ);
	unsigned int n;
	int ret;

	if (!q)
		return false;
	for (n = 0; n < VSOCK_BATCH; n++) {
		ret = vq_pop(q, &v->tx_chain);
		if (ret == -EAGAIN) {
			if (vq_enable_notify(q, true))
				continue;
			return false;
		}
		if (ret) {
			vs_broken(v, "tx queue malformed");
			return false;
		}
		tx_packet(v, &v->tx_chain);
		if (vq_push(q, v->tx_chain.head, 0)) {
			vs_broken(v, "tx queue: cannot return a chain");
			return false;
		}
		v->tx_pushed++;
	}
	return true;
}

/* ---- rx: packets to the guest ---- */

/* Make sure v->rx_chain holds a usable chain.  false: none (kicks
 * enabled) or the queue is broken. */
static bool rx_take(struct vsock *v, struct vq *q)
{
	int ret;

	while (!v->have_rx) {
		ret = vq_pop(q, &v->rx_chain);
		if (ret == -EAGAIN) {
			v->rx_notify_on = 1;
			if (vq_enable_notify(q, true))
				continue;
			return false;
		}
		if (ret) {
			vs_broken(v, "rx queue malformed");
			return false;
		}
		if (v->rx_chain.out_len) {
			vs_broken(v, "device-readable buffer in an rx chain");
			return false;
		}
		if (v->rx_chain.in_len < VSOCK_HDR_LEN) {
			bad_pkt(v, NULL, "rx buffer shorter than the header");
			if (vq_push(q, v->rx_chain.head, 0)) {
				vs_broken(v, "rx queue: cannot return a chain");
				return false;
			}
			v->rx_pushed++;
			continue;
		}
		v->have_rx = 1;
	}
	if (v->rx_notify_on) {
		vq_enable_notify(q, false);
		v->rx_notify_on = 0;
	}
	return true;
}

/* Write the header and hand the chain to the guest. */
static bool rx_send(struct vsock *v, struct vq *q, uint32_t src_port,
		    uint32_t dst_port, uint16_t op, uint32_t flags,
		    uint32_t len, struct vsock_conn *c)
{
	uint8_t b[VSOCK_HDR_LEN] = { 0 };

	st64(b + VSOCK_HDR_SRC_CID, VSOCK_HOST_CID);
	st64(b + VSOCK_HDR_DST_CID, v->cid);
	st32(b + VSOCK_HDR_SRC_PORT, src_port);
	st32(b + VSOCK_HDR_DST_PORT, dst_port);
	st32(b + VSOCK_HDR_LEN_OFF, len);
	st16(b + VSOCK_HDR_TYPE, VSOCK_TYPE_STREAM);
	st16(b + VSOCK_HDR_OP, op);
	st32(b + VSOCK_HDR_FLAGS, flags);
	st32(b + VSOCK_HDR_BUF_ALLOC, VSOCK_BUF_ALLOC);
	if (c) {
		st32(b + VSOCK_HDR_FWD_CNT, c->fwd_cnt);
		c->last_fwd_sent = c->fwd_cnt;
	}
	chain_copy(&v->rx_chain, 1, 0, b, VSOCK_HDR_LEN, 1);
	v->have_rx = 0;
	if (vq_push(q, v->rx_chain.head, VSOCK_HDR_LEN + len)) {
		vs_broken(v, "rx queue: cannot return a chain");
		return false;
	}
	if (op == VSOCK_OP_RST)
		vsock_count(&v->ctr.rst_sent, 1);
	v->rx_pushed++;
	return true;
}

/* One queued control packet of c (the first pending, in protocol
 * order).  The chain is there. */
static bool rx_control(struct vsock *v, struct vq *q, struct vsock_conn *c)
{
	static const struct {
		unsigned int bit;
		uint16_t op;
	} order[] = {
		{ VS_PEND_REQUEST, VSOCK_OP_REQUEST },
		{ VS_PEND_RESPONSE, VSOCK_OP_RESPONSE },
		{ VS_PEND_CREDIT_UPDATE, VSOCK_OP_CREDIT_UPDATE },
		{ VS_PEND_CREDIT_REQUEST, VSOCK_OP_CREDIT_REQUEST },
		{ VS_PEND_SHUTDOWN, VSOCK_OP_SHUTDOWN },
	};
	unsigned int i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (!(c->pend & order[i].bit))
			continue;
		c->pend &= ~order[i].bit;
		if (!c->pend) {
			v->pend_head = c->pnext;
			if (!v->pend_head)
				v->pend_tail = NULL;
			c->in_pending = 0;
			c->pnext = NULL;
		}
		return rx_send(
			v, q, c->local_port, c->peer_port, order[i].op,
			order[i].op == VSOCK_OP_SHUTDOWN ? c->shut_flags : 0, 0,
			c);
	}
	/* Nothing left (bits cleared elsewhere): drop from the list. */
	v->pend_head = c->pnext;
	if (!v->pend_head)
		v->pend_tail = NULL;
	c->in_pending = 0;
	return true;
}

static uint32_t peer_credit(const struct vsock_conn *c)
{
	uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;

	return in_flight >= c->peer_buf_alloc ? 0 :
						c->peer_buf_alloc - in_flight;
}

/* Can c send data to the guest now?  (Asks for credit when out of it.) */
static bool data_ready(struct vsock *v, struct vsock_conn *c)
{
	if (c->state != VS_ESTABLISHED || !c->readable || c->host_eof ||
	    (c->guest_shut & VSOCK_SHUTDOWN_RCV) ||
	    (c->pend & VS_PEND_RESPONSE))
		return false;
	if (peer_credit(c))
		return true;
	if (!c->credit_asked) {
		c->credit_asked = 1;
		vsock_conn_pend(v, c, VS_PEND_CREDIT_REQUEST);
	}
	return false;
}

/* Read from c's host socket into the chain.  false when the queue broke. */
static bool rx_data(struct vsock *v, struct vq *q, struct vsock_conn *c)
{
	uint32_t want = v->rx_chain.in_len - VSOCK_HDR_LEN, cr = peer_credit(c);
	ssize_t n;
	int cnt;

	if (want > cr)
		want = cr;
	if (want > VSOCK_MAX_PKT)
		want = VSOCK_MAX_PKT;
	if (!want) /* a header-only buffer: use it for a credit update */
		return rx_send(v, q, c->local_port, c->peer_port,
			       VSOCK_OP_CREDIT_UPDATE, 0, 0, c);
	cnt = chain_iov(v, &v->rx_chain, 1, VSOCK_HDR_LEN, want);
	do
		n = readv(c->fd, v->iov, cnt);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN) {
		c->readable = 0;
		return true;
	}
	if (n < 0) {
		vsock_conn_reset(v, c);
		return true;
	}
	if (n == 0) {
		/* The host shut its side: no more data from us. */
		c->host_eof = 1;
		c->readable = 0;
		c->shut_flags |= VSOCK_SHUTDOWN_SEND;
		vsock_conn_pend(v, c, VS_PEND_SHUTDOWN);
		return true;
	}
	c->tx_cnt += (uint32_t)n;
	vsock_count(&v->ctr.rx_bytes, (uint64_t)n);
	return rx_send(v, q, c->local_port, c->peer_port, VSOCK_OP_RW, 0,
		       (uint32_t)n, c);
}

/* The next connection with data to send, round-robin. */
static struct vsock_conn *next_data(struct vsock *v)
{
	struct vsock_conn *start = v->rr ? v->rr : v->conns, *c = start;

	if (!c)
		return NULL;
	do {
		struct vsock_conn *n = c->next ? c->next : v->conns;

		if (data_ready(v, c)) {
			v->rr = n;
			return c;
		}
		c = n;
	} while (c != start);
	return NULL;
}

bool vsock_rx_process(struct vsock *v)
{
	struct vq *q = virtio_queue(v->tvd, VSOCK_RXQ);
	struct vsock_conn *c;
	unsigned int n;

	if (!q)
		return false;
	for (n = 0; n < VSOCK_BATCH; n++) {
		bool ok;

		c = NULL;
		if (!v->nr_orphan && !v->pend_head) {
			c = next_data(v);
			/* Looking may have queued a CREDIT_REQUEST. */
			if (!c && !v->pend_head)
				return false;
		}
		if (!rx_take(v, q))
			return false;
		if (v->nr_orphan) {
			v->nr_orphan--;
			ok = rx_send(v, q, v->orphan[v->nr_orphan].src_port,
				     v->orphan[v->nr_orphan].dst_port,
				     VSOCK_OP_RST, 0, 0, NULL);
		} else if (v->pend_head) {
			ok = rx_control(v, q, v->pend_head);
		} else if (c) {
			ok = rx_data(v, q, c);
		} else {
			ok = true;
		}
		if (!ok)
			return false;
	}
	return true;
}

void vsock_notify(struct vsock *v)
{
	if (v->rx_pushed)
		virtio_notify_used(v->tvd, VSOCK_RXQ);
	if (v->tx_pushed)
		virtio_notify_used(v->tvd, VSOCK_TXQ);
	v->rx_pushed = v->tx_pushed = 0;
}
