/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio_vsock.h - virtio-vsock (virtio 1.x section 5.10) bridged to UNIX
 * sockets on the host ("hybrid vsock", as Firecracker and Cloud Hypervisor
 * do it).
 *
 * The guest has a CID (>= 3); the host is CID 2.  Stream sockets only.
 *   host -> guest: a host program connects to the UNIX socket `path` the
 *     device listens on and writes "CONNECT <port>\n"; the device asks
 *     the guest (REQUEST to <port>) and, once the guest accepts, answers
 *     "OK <host_port>\n" (the port the guest sees the connection come
 *     from); bytes then flow both ways.  If the guest refuses (RST), does
 *     not answer within VSOCK_CONNECT_TIMEOUT_MS, or the line is
 *     malformed, the UNIX connection is closed.
 *   guest -> host: a guest connection to CID 2, port P, is forwarded to
 *     the UNIX socket `path`_P (e.g. /run/v.sock_1234); if nothing
 *     listens there the guest gets a RST (connection refused).
 *
 * Flow control is the spec's credit scheme: the device advertises a
 * receive buffer of VSOCK_BUF_ALLOC bytes per connection and never
 * reads more from a UNIX socket than the guest's advertised credit
 * allows; guest data the UNIX peer is not ready for is kept (up to the
 * credit the guest was given) and the guest learns of freed space with a
 * CREDIT_UPDATE.  A guest sending beyond its credit gets a RST.
 * Half-close works both ways (SHUTDOWN flags <-> shutdown(2) / EOF).
 *
 * One thread (created by vsock_create, stopped by vsock_stop) owns all
 * connections and the rx and tx queues: it waits in epoll on the
 * listener, the connections and an eventfd that queue kicks, activation
 * and reset signal.  The listener is only watched while the driver is
 * active, so host clients that connect earlier wait in the backlog.  A
 * device reset closes every connection (the guest's sockets are gone);
 * the listener stays, so the device works again after the guest reboots.
 *
 * Hostile guests: packets shorter than the header, with a length above
 * what the chain holds or VSOCK_MAX_PKT, from a CID that is not the
 * guest's, to a CID that is not the host, of an unknown type or op, or
 * for unknown connections are dropped or answered with RST (counted,
 * rate-limited log); a malformed ring or a device-readable rx buffer sets
 * NEEDS_RESET.  Connections are limited to VSOCK_MAX_CONNS.
 */
#ifndef NIMBUS_DEVICES_VIRTIO_VSOCK_H
#define NIMBUS_DEVICES_VIRTIO_VSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/virtio/virtio.h"

#define VIRTIO_ID_VSOCK 19

/* Queues. */
#define VSOCK_RXQ 0
#define VSOCK_TXQ 1
#define VSOCK_EVTQ 2
#define VSOCK_NR_QUEUES 3

/* Config space: le64 guest_cid. */
#define VSOCK_CFG_SIZE 8

/* Packet header (44 bytes, little endian). */
#define VSOCK_HDR_LEN 44
#define VSOCK_HDR_SRC_CID 0
#define VSOCK_HDR_DST_CID 8
#define VSOCK_HDR_SRC_PORT 16
#define VSOCK_HDR_DST_PORT 20
#define VSOCK_HDR_LEN_OFF 24
#define VSOCK_HDR_TYPE 28
#define VSOCK_HDR_OP 30
#define VSOCK_HDR_FLAGS 32
#define VSOCK_HDR_BUF_ALLOC 36
#define VSOCK_HDR_FWD_CNT 40

#define VSOCK_TYPE_STREAM 1
#define VSOCK_OP_REQUEST 1
#define VSOCK_OP_RESPONSE 2
#define VSOCK_OP_RST 3
#define VSOCK_OP_SHUTDOWN 4
#define VSOCK_OP_RW 5
#define VSOCK_OP_CREDIT_UPDATE 6
#define VSOCK_OP_CREDIT_REQUEST 7
#define VSOCK_SHUTDOWN_RCV 1
#define VSOCK_SHUTDOWN_SEND 2

#define VSOCK_HOST_CID 2
#define VSOCK_DEFAULT_QUEUE_SIZE 256
#define VSOCK_MAX_PKT (64u * 1024) /* payload bytes per packet */
#define VSOCK_BUF_ALLOC (256u * 1024) /* receive buffer we advertise */
#define VSOCK_MAX_CONNS 1024
#define VSOCK_CONNECT_TIMEOUT_MS 2000 /* guest answer to a REQUEST */
#define VSOCK_LINE_TIMEOUT_MS 5000 /* host client's CONNECT line */
#define VSOCK_CLOSE_TIMEOUT_MS 2000 /* flushing before a close */

struct vsock;

struct sandbox;

struct vsock_cfg {
	uint64_t guest_cid; /* 3..0xfffffffe */
	const char *path; /* UNIX socket to listen on (replaced if stale) */
	uint16_t queue_size; /* power of two 4..VQ_MAX_SIZE; 0: 256 */
	const char *id; /* for log lines; NULL: "vsock" */
	/* Filter the device thread installs before its first guest access
	 * (SANDBOX_VIRTIO_VSOCK); NULL: none.  Borrowed, must outlive the
	 * device. */
	const struct sandbox *sandbox;
	/* Tests and fuzzers only (the CLI and API never set it): no device
	 * thread; the caller runs the device loop with vsock_poll(). */
	bool threadless;
};

/* Monotonic counters since create; each read atomically. */
struct vsock_counters {
	uint64_t conns_opened, conns_closed;
	uint64_t rx_bytes; /* host -> guest payload */
	uint64_t tx_bytes; /* guest -> host payload */
	uint64_t rst_sent;
	uint64_t bad_packets; /* dropped or answered RST as malformed */
};

/*
 * Bind and listen on cfg->path (a leftover socket file there is
 * replaced; any other file is an error), build the device and start its
 * thread (idle until the driver activates it; none if cfg->threadless).  cfg is copied.  -EINVAL
 * bad cfg, -EADDRINUSE when another process listens on path, -ENOMEM,
 * or the failing call's -errno, with one line in err.  Main thread, setup.
 */
int vsock_create(const struct vsock_cfg *cfg, struct vsock **out, char *err,
		 size_t errlen);

const struct virtio_dev_info *vsock_info(struct vsock *v);
const struct virtio_dev_ops *vsock_ops(void);

/* Snapshot of the counters.  Any thread. */
void vsock_get_counters(struct vsock *v, struct vsock_counters *out);

/* Open connections right now.  Any thread. */
unsigned int vsock_nr_conns(struct vsock *v);

/*
 * Threadless devices only (cfg->threadless): one pass of the device
 * loop in the caller's thread, never blocking: apply an activation or
 * reset, accept host clients, handle socket events and process both
 * data queues.  Returns 1 when it has more work queued (call again), 0
 * when idle, -EBUSY for a device with a thread, -EIO when the loop
 * failed.  The thread that calls the device ops, between them.
 */
int vsock_poll(struct vsock *v);

/* Stop and join the thread, closing every connection.  Before the
 * transport is destroyed.  Idempotent.  Main thread. */
void vsock_stop(struct vsock *v);

/* vsock_stop, close and unlink the listener, free.  NULL-safe.  After
 * the transport is destroyed. */
void vsock_destroy(struct vsock *v);

#endif /* NIMBUS_DEVICES_VIRTIO_VSOCK_H */
