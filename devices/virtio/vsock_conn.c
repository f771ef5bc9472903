// SPDX-License-Identifier: Apache-2.0
/*
 * vsock_conn.c - virtio-vsock connections: the table, host clients
 * (accept and the "CONNECT <port>" line), writing guest data to the host
 * socket with its buffer and credit accounting, and timers.  Runs on the
 * device thread only (see vsock_priv.h).
 *
 * Every host socket is non-blocking and registered edge-triggered; the
 * readable/writable flags remember readiness until a read or write hits
 * EAGAIN.  Writes use MSG_NOSIGNAL: a host client that went away is an
 * EPIPE for this connection, never a SIGPIPE for the VMM.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define LOG_MOD "virtio-vsock"
#include "devices/virtio/vsock_priv.h"
#include "vmm/log.h"

static unsigned int conn_bucket(uint32_t local, uint32_t peer)
{
	return (local * 2654435761u ^ peer) % VSOCK_HASH_SIZE;
}

struct vsock_conn *vsock_conn_new(struct vsock *v, int fd, enum vsock_state st)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP |
					    EPOLLET };
	struct vsock_conn *c;

	if (v->nr_conns >= VSOCK_MAX_CONNS) {
		log_ratelimited(&v->rl, LOG_WARN,
				"vsock %s: %u connections: refusing more",
				v->id, v->nr_conns);
		close(fd);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return NULL;
	}
	c->fd = fd;
	c->state = st;
	c->writable = 1;
	ev.data.u64 = (uintptr_t)c;
	if (epoll_ctl(v->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		log_ratelimited(&v->rl, LOG_WARN, "vsock %s: epoll_ctl: %m",
				v->id);
		close(fd);
		free(c);
		return NULL;
	}
	c->next = v->conns;
	if (v->conns)
		v->conns->prev = c;
	v->conns = c;
	__atomic_add_fetch(&v->nr_conns, 1, __ATOMIC_RELAXED);
	vsock_count(&v->ctr.conns_opened, 1);
	return c;
}

void vsock_conn_hash(struct vsock *v, struct vsock_conn *c)
{
	unsigned int b = conn_bucket(c->local_port, c->peer_port);

	c->hnext = v->hash[b];
	v->hash[b] = c;
	c->hashed = 1;
}

struct vsock_conn *vsock_conn_find(struct vsock *v, uint32_t local_port,
				   uint32_t peer_port)
{
	struct vsock_conn *c = v->hash[conn_bucket(local_port, peer_port)];

	for (; c; c = c->hnext)
		if (c->local_port == local_port && c->peer_port == peer_port)
			return c;
	return NULL;
}

static void conn_unpend(struct vsock *v, struct vsock_conn *c)
{
	struct vsock_conn **pp, *prev = NULL;

	if (!c->in_pending)
		return;
	for (pp = &v->pend_head; *pp; prev = *pp, pp = &(*pp)->pnext) {
		if (*pp != c)
			continue;
		*pp = c->pnext;
		if (v->pend_tail == c)
			v->pend_tail = prev;
		break;
	}
	c->in_pending = 0;
	c->pnext = NULL;
}

void vsock_conn_free(struct vsock *v, struct vsock_conn *c)
{
	if (c->hashed) {
		struct vsock_conn **pp =
			&v->hash[conn_bucket(c->local_port, c->peer_port)];

		while (*pp && *pp != c)
			pp = &(*pp)->hnext;
		if (*pp)
			*pp = c->hnext;
	}
	conn_unpend(v, c);
	if (v->rr == c)
		v->rr = c->next;
	if (c->prev)
		c->prev->next = c->next;
	else
		v->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	close(c->fd); /* also leaves the epoll set */
	free(c->buf);
	free(c);
	__atomic_sub_fetch(&v->nr_conns, 1, __ATOMIC_RELAXED);
	vsock_count(&v->ctr.conns_closed, 1);
}

void vsock_conn_free_all(struct vsock *v)
{
	while (v->conns)
		vsock_conn_free(v, v->conns);
	v->nr_orphan = 0;
	v->pend_head = v->pend_tail = NULL;
	v->rr = NULL;
}

void vsock_conn_pend(struct vsock *v, struct vsock_conn *c, unsigned int bits)
{
	c->pend |= bits;
	if (c->in_pending)
		return;
	c->in_pending = 1;
	c->pnext = NULL;
	if (v->pend_tail)
		v->pend_tail->pnext = c;
	else
		v->pend_head = c;
	v->pend_tail = c;
}

void vsock_orphan_rst(struct vsock *v, uint32_t src_port, uint32_t dst_port)
{
	if (v->nr_orphan >= VSOCK_MAX_ORPHAN_RST) {
		log_ratelimited(&v->rl, LOG_WARN,
				"vsock %s: too many resets queued; one dropped",
				v->id);
		return;
	}
	v->orphan[v->nr_orphan].src_port = src_port;
	v->orphan[v->nr_orphan].dst_port = dst_port;
	v->nr_orphan++;
}

void vsock_conn_reset(struct vsock *v, struct vsock_conn *c)
{
	/* The guest knows the connection unless it was never told of it. */
	if (c->hashed && c->state != VS_LINE &&
	    !(c->state == VS_REQUESTED && (c->pend & VS_PEND_REQUEST)))
		vsock_orphan_rst(v, c->local_port, c->peer_port);
	vsock_conn_free(v, c);
}

/* ---- host clients ---- */

/* A free host-side port for a connection to guest port `peer`. */
static uint32_t host_port(struct vsock *v, uint32_t peer)
{
	uint32_t p;

	do {
		p = v->next_host_port++;
		if (v->next_host_port < VSOCK_FIRST_HOST_PORT)
			v->next_host_port = VSOCK_FIRST_HOST_PORT;
	} while (vsock_conn_find(v, p, peer));
	return p;
}

/* "CONNECT <port>\n" (a '\r' before the '\n' is tolerated). */
static int parse_line(const char *s, uint32_t len, uint32_t *port)
{
	unsigned long long p = 0;
	uint32_t i = 8;

	if (len < 10 || memcmp(s, "CONNECT ", 8) || s[len - 1] != '\n')
		return -EINVAL;
	len--;
	if (s[len - 1] == '\r')
		len--;
	if (i >= len)
		return -EINVAL;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || p > 0xffffffffull)
			return -EINVAL;
		p = p * 10 + (unsigned int)(s[i] - '0');
	}
	if (p > 0xffffffffull)
		return -EINVAL;
	*port = (uint32_t)p;
	return 0;
}

/* Read the CONNECT line of a VS_LINE connection; the bytes after it stay
 * in the socket for the data path. */
static void host_line(struct vsock *v, struct vsock_conn *c)
{
	char *nl;
	ssize_t n;
	uint32_t port, take;

	n = recv(c->fd, c->line + c->line_len, VSOCK_LINE_MAX - c->line_len,
		 MSG_PEEK);
	if (n < 0 && errno == EAGAIN) {
		c->readable = 0;
		return;
	}
	if (n <= 0)
		goto bad;
	nl = memchr(c->line + c->line_len, '\n', (size_t)n);
	take = nl ? (uint32_t)(nl - (c->line + c->line_len)) + 1 : (uint32_t)n;
	if (recv(c->fd, c->line + c->line_len, take, 0) != (ssize_t)take)
		goto bad;
	c->line_len += take;
	if (!nl) {
		if (c->line_len >= VSOCK_LINE_MAX)
			goto bad;
		return; /* the rest of the line comes later */
	}
	if (parse_line(c->line, c->line_len, &port))
		goto bad;
	c->peer_port = port;
	c->local_port = host_port(v, port);
	c->state = VS_REQUESTED;
	c->deadline_ms = vsock_now_ms() + VSOCK_CONNECT_TIMEOUT_MS;
	c->readable = 1; /* data may follow the line */
	vsock_conn_hash(v, c);
	vsock_conn_pend(v, c, VS_PEND_REQUEST);
	return;
bad:
	log_ratelimited(
		&v->rl, LOG_WARN,
		"vsock %s: host client closed: no valid \"CONNECT <port>\" line",
		v->id);
	vsock_conn_free(v, c);
}

void vsock_accept(struct vsock *v)
{
	struct vsock_conn *c;
	int fd;

	for (;;) {
		fd = accept4(v->listen_fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_ratelimited(&v->rl, LOG_WARN,
						"vsock %s: accept: %m", v->id);
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;
		}
		c = vsock_conn_new(v, fd, VS_LINE);
		if (c)
			c->deadline_ms = vsock_now_ms() + VSOCK_LINE_TIMEOUT_MS;
	}
}

void vsock_conn_event(struct vsock *v, struct vsock_conn *c, uint32_t ev)
{
	if (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->readable = 1;
	if (ev & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		c->writable = 1;
	if (c->state == VS_LINE) {
		if (c->readable)
			host_line(v, c); /* may free c */
		return;
	}
	if (c->writable && c->buf_len)
		vsock_conn_flush(v, c); /* may free c */
}

/* ---- guest data to the host ---- */

/* Tell the guest about space it can use again once it is worth it. */
static void credit_check(struct vsock *v, struct vsock_conn *c)
{
	if (c->fwd_cnt - c->last_fwd_sent >= VSOCK_BUF_ALLOC / 2)
		vsock_conn_pend(v, c, VS_PEND_CREDIT_UPDATE);
}

/* The guest said SEND (or both) and everything it sent is out. */
static void after_flush(struct vsock *v, struct vsock_conn *c)
{
	if (c->buf_len)
		return;
	if (c->state == VS_CLOSING) {
		vsock_conn_reset(v, c);
		return;
	}
	if (c->guest_shut & VSOCK_SHUTDOWN_SEND)
		shutdown(c->fd, SHUT_WR);
}

void vsock_conn_flush(struct vsock *v, struct vsock_conn *c)
{
	ssize_t n;

	while (c->buf_len) {
		n = send(c->fd, c->buf, c->buf_len,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			c->writable = 0;
			return;
		}
		if (n <= 0) {
			vsock_conn_reset(v, c); /* the host client is gone */
			return;
		}
		memmove(c->buf, c->buf + n, c->buf_len - (uint32_t)n);
		c->buf_len -= (uint32_t)n;
		c->fwd_cnt += (uint32_t)n;
	}
	credit_check(v, c);
	after_flush(v, c);
}

static int buf_reserve(struct vsock_conn *c, uint32_t need)
{
	uint32_t cap = c->buf_cap ? c->buf_cap : 4096;
	uint8_t *b;

	if (need <= c->buf_cap)
		return 0;
	while (cap < need)
		cap *= 2;
	if (cap > VSOCK_BUF_ALLOC)
		cap = VSOCK_BUF_ALLOC;
	b = realloc(c->buf, cap);
	if (!b)
		return -ENOMEM;
	c->buf = b;
	c->buf_cap = cap;
	return 0;
}

bool vsock_conn_from_guest(struct vsock *v, struct vsock_conn *c,
			   const struct iovec *iov, int cnt, uint32_t len)
{
	struct msghdr mh = { .msg_iov = (struct iovec *)iov,
			     .msg_iovlen = (size_t)cnt };
	uint32_t sent = 0, skip;
	ssize_t n;
	int i;

	/* Never more than the credit we gave: what is not forwarded yet
	 * plus this must fit our advertised buffer. */
	if (len > VSOCK_BUF_ALLOC - c->buf_len)
		return false;
	c->rx_cnt += len;
	vsock_count(&v->ctr.tx_bytes, len);
	if (!c->buf_len && c->writable && len) {
		do
			n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		while (n < 0 && errno == EINTR);
		if (n < 0 && errno != EAGAIN) {
			vsock_conn_reset(v, c);
			return true; /* handled: the host side is gone */
		}
		if (n < 0)
			c->writable = 0;
		sent = n > 0 ? (uint32_t)n : 0;
		c->fwd_cnt += sent;
	}
	if (sent < len) {
		if (buf_reserve(c, c->buf_len + len - sent)) {
			vsock_conn_reset(v, c);
			return true;
		}
		skip = sent;
		for (i = 0; i < cnt; i++) {
			size_t l = iov[i].iov_len;

			if (skip >= l) {
				skip -= (uint32_t)l;
				continue;
			}
			memcpy(c->buf + c->buf_len,
			       (uint8_t *)iov[i].iov_base + skip, l - skip);
			c->buf_len += (uint32_t)(l - skip);
			skip = 0;
		}
	}
	credit_check(v, c);
	after_flush(v, c);
	return true;
}

/* ---- timers ---- */

int vsock_conn_timers(struct vsock *v)
{
	uint64_t now = vsock_now_ms(), next = 0;
	struct vsock_conn *c, *n;

	for (c = v->conns; c; c = n) {
		n = c->next;
		if (!c->deadline_ms)
			continue;
		if (c->deadline_ms <= now) {
			log_ratelimited(
				&v->rl, LOG_WARN,
				"vsock %s: connection %u:%u timed out (%s)",
				v->id, c->local_port, c->peer_port,
				c->state == VS_LINE ? "no CONNECT line" :
				c->state == VS_REQUESTED ?
						      "guest did not answer" :
						      "host did not read");
			vsock_conn_reset(v, c);
			continue;
		}
		if (!next || c->deadline_ms < next)
			next = c->deadline_ms;
	}
	if (!next)
		return -1;
	return (int)(next - now);
}
