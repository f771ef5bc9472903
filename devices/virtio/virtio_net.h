/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio_net.h - virtio-net (virtio 1.x section 5.1) on a TAP-like backend.
 *
 * The device moves Ethernet frames between the guest and one backend fd
 * per queue pair.  Each fd has datagram semantics (one read or write is
 * one frame) and every frame is preceded by the 12-byte virtio_net_hdr_v1,
 * exactly as a TAP with IFF_VNET_HDR and TUNSETVNETHDRSZ 12 gives it
 * (net_tap.h); unit tests use AF_UNIX datagram socket pairs instead.  The
 * device never opens or closes the fds.  Independent of the transport:
 * virtio_pci_create() takes vnet_info(), vnet_ops() and the vnet.
 *
 * Queues: receiveq0, transmitq0, ... receiveqN-1, transmitqN-1 (N =
 * nr_pairs), then the control queue.  Without VIRTIO_NET_F_MQ negotiated
 * only pair 0 exists for the driver and the control queue is queue 2 (the
 * spec's numbering); the higher queues are then never used.
 *
 * Features offered: MAC, STATUS (link up), CTRL_VQ, CTRL_MAC_ADDR,
 * CTRL_GUEST_OFFLOADS, MRG_RXBUF, MTU when an MTU is configured, MQ when
 * nr_pairs > 1, and with offload_csum: CSUM and GUEST_CSUM; with
 * offload_tso as well: HOST/GUEST_TSO4, TSO6 and ECN; with offload_ufo as
 * well: HOST/GUEST_UFO (TSO and UFO need checksum offload).  At
 * activation, and on CTRL_GUEST_OFFLOADS_SET, the guest's receive
 * offloads are mirrored onto the backend (bops->set_offload with TUN_F_*
 * bits), so the host only hands over frames the guest can take.
 *
 * Threads.  Transmit: each transmitq runs on its own transport worker
 * (VIRTIO_DEV_F_QUEUE_WORKERS), which pops chains, checks and copies the
 * header (the guest cannot change it after the check), and writes the
 * frame with one writev.  Receive: one thread per queue pair, created by
 * vnet_create and stopped by vnet_stop, idle until activation.  It polls
 * the pair's fd only while it holds a receive buffer, so when the guest
 * posts none the backend is not read at all (back-pressure; no busy
 * loop), and wakes on an eventfd that the receiveq's kick, activation,
 * reset and multiqueue changes signal.  A frame is read straight into the
 * guest's first buffer chain, the overflow into a per-pair bounce buffer
 * that is copied into further chains (MRG_RXBUF), and all chains of a
 * frame are published to the used ring at once.  A frame too large for
 * the buffers (without MRG_RXBUF, or more than a ring's worth) is dropped
 * and counted; the chain is reused.  Control queue: its own worker.
 *
 * Multiqueue: pairs at or above the driver's VQ_PAIRS_SET value (1 until
 * it sends one) are detached from the backend (bops->set_queue) by their
 * own receive thread, so the host steers no frames to queues the driver
 * does not serve; their transmitq still works through pair 0's fd.
 *
 * Reset (vCPU thread, workers quiesced): the receive threads are told to
 * drop every popped chain and wait until each has; nothing the guest
 * wrote is used afterwards.
 *
 * Hostile guests: a transmit chain shorter than the header, with a frame
 * above VNET_MAX_FRAME, or with a GSO type / checksum request the driver
 * did not negotiate is dropped (counted, rate-limited log) and returned
 * with length 0; a receive chain with a device-readable buffer or a
 * malformed ring sets NEEDS_RESET; a receive chain shorter than the
 * header is returned with length 0; malformed control commands are
 * answered VIRTIO_NET_ERR.
 */
#ifndef NIMBUS_DEVICES_VIRTIO_NET_H
#define NIMBUS_DEVICES_VIRTIO_NET_H

#include <stddef.h>
#include <stdint.h>

#include "devices/virtio/virtio.h"

/* Feature bits (virtio 1.x 5.1.3). */
#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_CTRL_GUEST_OFFLOADS 2
#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_GUEST_ECN 9
#define VIRTIO_NET_F_GUEST_UFO 10
#define VIRTIO_NET_F_HOST_TSO4 11
#define VIRTIO_NET_F_HOST_TSO6 12
#define VIRTIO_NET_F_HOST_ECN 13
#define VIRTIO_NET_F_HOST_UFO 14
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_F_CTRL_VQ 17
#define VIRTIO_NET_F_CTRL_RX 18
#define VIRTIO_NET_F_CTRL_VLAN 19
#define VIRTIO_NET_F_GUEST_ANNOUNCE 21
#define VIRTIO_NET_F_MQ 22
#define VIRTIO_NET_F_CTRL_MAC_ADDR 23

/* Config space (little endian). */
#define VIRTIO_NET_CFG_MAC 0
#define VIRTIO_NET_CFG_STATUS 6
#define VIRTIO_NET_CFG_MAX_PAIRS 8
#define VIRTIO_NET_CFG_MTU 10
#define VIRTIO_NET_CFG_SIZE 12
#define VIRTIO_NET_S_LINK_UP 1

/* struct virtio_net_hdr_v1 (12 bytes). */
#define VIRTIO_NET_HDR_LEN 12
#define VIRTIO_NET_HDR_OFF_FLAGS 0
#define VIRTIO_NET_HDR_OFF_GSO_TYPE 1
#define VIRTIO_NET_HDR_OFF_NUM_BUFFERS 10
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE 0
#define VIRTIO_NET_HDR_GSO_TCPV4 1
#define VIRTIO_NET_HDR_GSO_UDP 3
#define VIRTIO_NET_HDR_GSO_TCPV6 4
#define VIRTIO_NET_HDR_GSO_ECN 0x80

/* Control queue: { u8 class; u8 command; data...; } then { u8 ack; }. */
#define VIRTIO_NET_OK 0
#define VIRTIO_NET_ERR 1
#define VIRTIO_NET_CTRL_RX 0
#define VIRTIO_NET_CTRL_MAC 1
#define VIRTIO_NET_CTRL_MAC_TABLE_SET 0
#define VIRTIO_NET_CTRL_MAC_ADDR_SET 1
#define VIRTIO_NET_CTRL_MQ 4
#define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET 0
#define VIRTIO_NET_CTRL_GUEST_OFFLOADS 5
#define VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET 0

/* Limits. */
#define VNET_MAX_PAIRS 16 /* 2 * 16 + 1 queues <= VIRTIO_MAX_QUEUES */
#define VNET_MAX_FRAME 65550 /* Ethernet frame, header not included */
#define VNET_DEFAULT_QUEUE_SIZE 256
#define VNET_MIN_QUEUE_SIZE 2
#define VNET_RX_BUDGET 64 /* frames per receive batch (one interrupt) */
#define VNET_TX_BUDGET 256 /* chains per transmit batch */

struct vnet;

/* What the device asks of its backend (net_tap, or a test double). */
struct vnet_backend_ops {
	/* Mirror the guest's receive offloads: TUN_F_* bits.  0/-errno.
	 * vCPU thread (activation) or the control queue's worker. */
	int (*set_offload)(void *opaque, unsigned int tun_flags);
	/* Attach (1) / detach (0) pair `pair`'s fd.  0/-errno.  That pair's
	 * receive thread.  Optional (NULL: pairs always attached). */
	int (*set_queue)(void *opaque, uint16_t pair, int attach);
};

struct sandbox;

struct vnet_cfg {
	const int *fds; /* one per pair, non-blocking; borrowed */
	uint16_t nr_pairs; /* 1..VNET_MAX_PAIRS */
	uint16_t queue_size; /* power of two 2..VQ_MAX_SIZE; 0: 256 */
	uint8_t mac[6]; /* guest MAC (config space) */
	uint16_t mtu; /* 0: VIRTIO_NET_F_MTU not offered */
	int offload_csum, offload_tso, offload_ufo;
	const char *id; /* for log lines; NULL: "net" */
	const struct vnet_backend_ops *bops; /* NULL: no offload control */
	void *bopaque;
	/* Filters the receive threads install before their first guest
	 * access (SANDBOX_VIRTIO_NET); NULL: none.  Borrowed, must outlive
	 * the device. */
	const struct sandbox *sandbox;
};

/* Monotonic counters since create; each read atomically. */
struct vnet_counters {
	uint64_t rx_frames, rx_bytes; /* delivered to the guest */
	uint64_t tx_frames, tx_bytes; /* written to the backend */
	uint64_t rx_dropped; /* read from the backend, not delivered */
	uint64_t tx_dropped; /* bad chains or backend write errors */
	uint64_t ctrl_errors; /* control commands answered ERR */
};

/*
 * Build the device and start its receive threads (idle until the driver
 * activates it).  cfg is copied (the id string too).  On failure returns
 * -errno with one line in err (errlen may be 0): -EINVAL bad cfg, -ENOMEM,
 * or pthread/eventfd errors.  Main thread, setup: the threads inherit its
 * signal mask with every signal blocked.
 */
int vnet_create(const struct vnet_cfg *cfg, struct vnet **out, char *err,
		size_t errlen);

/* What the transport needs; valid for the device's lifetime. */
const struct virtio_dev_info *vnet_info(struct vnet *n);

/* The device callbacks (static table); their opaque is the struct vnet. */
const struct virtio_dev_ops *vnet_ops(void);

/* Link status as the config space reports it (up at create); a change
 * raises the config interrupt once the driver is active.  Any thread. */
void vnet_set_link(struct vnet *n, int up);

/* Snapshot of the counters.  Any thread. */
void vnet_get_counters(struct vnet *n, struct vnet_counters *out);

/* The same counters for vm.counters (devices/counters.h), named as Cloud
 * Hypervisor names them (rx_bytes, rx_frames, tx_bytes, tx_frames) plus
 * rx_dropped, tx_dropped, ctrl_errors.  Valid for the device's life. */
struct dev_counters;
const struct dev_counters *vnet_dev_counters(struct vnet *n);

/*
 * Stop and join the receive threads.  Call before destroying the
 * transport (they use it).  Idempotent.  Main thread.
 */
void vnet_stop(struct vnet *n);

/* vnet_stop, then free.  NULL-safe.  After the transport is destroyed.
 * The backend fds stay open (the caller's). */
void vnet_destroy(struct vnet *n);

#endif /* NIMBUS_DEVICES_VIRTIO_NET_H */
