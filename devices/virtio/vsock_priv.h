/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vsock_priv.h - state shared by the virtio-vsock files: virtio_vsock.c
 * (setup, the device ops and the thread's loop), vsock_conn.c
 * (connections: table, host side, timers) and vsock_pkt.c (packets: the
 * tx queue from the guest, the rx queue to it).  Private to those files.
 *
 * Everything below the "thread" line is owned by the device thread;
 * activate/reset hand it over through v->lock and the epoch handshake
 * (as in virtio-net), so the thread is never running a batch while a
 * reset changes the queues.
 */
#ifndef NIMBUS_DEVICES_VSOCK_PRIV_H
#define NIMBUS_DEVICES_VSOCK_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "devices/virtio/virtio_vsock.h"
#include "vmm/log.h"

#define VSOCK_HASH_SIZE 256
#define VSOCK_MAX_ORPHAN_RST 64 /* RSTs for unknown connections, queued */
#define VSOCK_LINE_MAX 32 /* "CONNECT 4294967295\n" fits */
#define VSOCK_BATCH 128 /* packets per queue per loop turn */
#define VSOCK_EPOLL_EVENTS 64
#define VSOCK_FIRST_HOST_PORT (1u << 30) /* ports of host-initiated conns */

enum vsock_state {
	VS_LINE, /* host client accepted, reading "CONNECT <port>\n" */
	VS_REQUESTED, /* REQUEST sent to the guest, waiting for RESPONSE */
	VS_ESTABLISHED,
	VS_CLOSING, /* flushing to the host before close + RST */
};

/* Control packets a connection owes the guest (bits). */
#define VS_PEND_REQUEST (1u << 0)
#define VS_PEND_RESPONSE (1u << 1)
#define VS_PEND_SHUTDOWN (1u << 2)
#define VS_PEND_CREDIT_UPDATE (1u << 3)
#define VS_PEND_CREDIT_REQUEST (1u << 4)

struct vsock_conn {
	struct vsock_conn *hnext; /* hash chain */
	struct vsock_conn *next, *prev; /* all connections */
	struct vsock_conn *pnext; /* pending-control list */
	int in_pending;
	int fd; /* UNIX socket */
	enum vsock_state state;
	uint32_t local_port; /* host side */
	uint32_t peer_port; /* guest side */
	int hashed;
	unsigned int pend; /* VS_PEND_* */
	uint32_t shut_flags; /* for VS_PEND_SHUTDOWN */
	/* fd readiness (edge-triggered epoll): */
	int readable, writable;
	int host_eof; /* the host shut its write side (read gave 0) */
	int guest_shut; /* VSOCK_SHUTDOWN_* the guest announced */
	int credit_asked; /* CREDIT_REQUEST sent since the last credit */
	/* Credit: peer = the guest. */
	uint32_t peer_buf_alloc, peer_fwd_cnt;
	uint32_t tx_cnt; /* payload bytes sent to the guest */
	uint32_t rx_cnt; /* payload bytes received from the guest */
	uint32_t fwd_cnt; /* of those, written to the host socket */
	uint32_t last_fwd_sent; /* fwd_cnt the guest was last told */
	/* Guest data the host socket did not take yet (<= VSOCK_BUF_ALLOC). */
	uint8_t *buf;
	uint32_t buf_len, buf_cap;
	/* VS_LINE: the CONNECT line, and bytes after it for the guest. */
	char line[VSOCK_LINE_MAX];
	uint32_t line_len;
	uint64_t deadline_ms; /* 0: none */
};

struct vsock {
	struct virtio_dev_info info;
	char *id;
	char *path;
	uint64_t cid;
	int listen_fd;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* v->lock: */
	struct virtio_dev *vd;
	uint64_t epoch;
	uint64_t seen_epoch;
	int active;
	int stop;
	pthread_t thread;
	int started;
	int threadless; /* cfg->threadless: vsock_poll drives it */
	int dead; /* the thread ended (no filter): serves nothing */
	const struct sandbox *sandbox;
	int efd; /* wakes the thread */

	struct vsock_counters ctr; /* atomic */
	unsigned int nr_conns; /* atomic (read by vsock_nr_conns) */

	/* ---- thread ---- */
	struct virtio_dev *tvd; /* the vd the thread works with */
	int running;
	int epfd;
	int listening; /* listen_fd is in epfd */
	int broken; /* NEEDS_RESET raised */
	struct vsock_conn *hash[VSOCK_HASH_SIZE];
	struct vsock_conn *conns; /* all, doubly linked */
	struct vsock_conn *pend_head, *pend_tail;
	struct vsock_conn *rr; /* where the rx round-robin resumes */
	uint32_t next_host_port;
	struct {
		uint32_t src_port, dst_port; /* as the RST carries them */
	} orphan[VSOCK_MAX_ORPHAN_RST];
	unsigned int nr_orphan;
	int rx_notify_on;
	int have_rx; /* rx_chain holds a popped, unused chain */
	uint16_t rx_pushed, tx_pushed; /* since the last interrupt */
	struct vq_chain rx_chain;
	struct vq_chain tx_chain;
	struct iovec iov[VQ_MAX_CHAIN];
	struct log_rl rl;
};

static inline void vsock_count(uint64_t *ctr, uint64_t v)
{
	__atomic_add_fetch(ctr, v, __ATOMIC_RELAXED);
}

/* Monotonic milliseconds. */
uint64_t vsock_now_ms(void);

/* ---- vsock_conn.c ---- */

/* New connection (not hashed yet) in state `st` on `fd`, registered with
 * epoll.  NULL when the limit is reached or out of memory (fd closed). */
struct vsock_conn *vsock_conn_new(struct vsock *v, int fd, enum vsock_state st);
/* Hash it under (local_port, peer_port). */
void vsock_conn_hash(struct vsock *v, struct vsock_conn *c);
struct vsock_conn *vsock_conn_find(struct vsock *v, uint32_t local_port,
				   uint32_t peer_port);
/* Close the fd, unlink and free. */
void vsock_conn_free(struct vsock *v, struct vsock_conn *c);
/* Free every connection and forget queued RSTs (reset, stop). */
void vsock_conn_free_all(struct vsock *v);
/* Queue control packet(s) `bits` for the guest. */
void vsock_conn_pend(struct vsock *v, struct vsock_conn *c, unsigned int bits);
/* The connection is dead: RST to the guest if it knows it, then free. */
void vsock_conn_reset(struct vsock *v, struct vsock_conn *c);
/* Queue a RST for a connection we do not have. */
void vsock_orphan_rst(struct vsock *v, uint32_t src_port, uint32_t dst_port);
/* Accept every waiting host client. */
void vsock_accept(struct vsock *v);
/* fd readiness for c (from epoll). */
void vsock_conn_event(struct vsock *v, struct vsock_conn *c, uint32_t ev);
/* Write what the guest sent (buffered first) to the host socket.  May
 * free c (host gone, or a close completed). */
void vsock_conn_flush(struct vsock *v, struct vsock_conn *c);
/* Deliver guest payload in iov to the host socket (buffering the rest).
 * false: the guest overran its credit (c untouched; the caller resets).
 * true: done, and c may have been freed (host gone, close completed). */
bool vsock_conn_from_guest(struct vsock *v, struct vsock_conn *c,
			   const struct iovec *iov, int cnt, uint32_t len);
/* Timers; returns the epoll timeout until the next one (-1: none). */
int vsock_conn_timers(struct vsock *v);

/* ---- vsock_pkt.c ---- */

/* Handle the tx queue (guest -> device); true if chains were left. */
bool vsock_tx_process(struct vsock *v);
/* Fill rx buffers: control packets, then data; true if more could be
 * sent right away (budget used up). */
bool vsock_rx_process(struct vsock *v);
/* Interrupt for what was pushed. */
void vsock_notify(struct vsock *v);

#endif /* NIMBUS_DEVICES_VSOCK_PRIV_H */
