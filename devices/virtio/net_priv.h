/* SPDX-License-Identifier: Apache-2.0 */
/*
 * net_priv.h - state shared by the virtio-net files: virtio_net.c (setup,
 * config space, activation and reset, the receive threads' life cycle),
 * net_rx.c (receive threads), net_tx.c (transmit queues) and net_ctrl.c
 * (control queue).  Private to those files.
 *
 * Ownership and locking:
 * - n->lock protects the activation state (vd, epoch, active, stop,
 *   features), the MAC and link status; n->cond carries the reset
 *   handshake.  Receive threads take n->lock only between batches.
 * - struct vnet_rxq belongs to its receive thread; struct vnet_txq to the
 *   transport worker of its transmitq; ctrl_chain to the control queue's
 *   worker.  reset/activate run with the workers quiesced and wait for
 *   the receive threads (epoch handshake), so they may touch anything.
 * - Fields marked atomic are read and written with __atomic builtins.
 */
#ifndef NIMBUS_DEVICES_NET_PRIV_H
#define NIMBUS_DEVICES_NET_PRIV_H

#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/uio.h>

#include "devices/counters.h"
#include "devices/virtio/virtio_net.h"
#include "vmm/log.h"

#ifndef IOV_MAX
#define IOV_MAX 1024
#endif

/* Bounce buffer: a frame with its header and room to notice oversize. */
#define VNET_BOUNCE_SIZE (128u * 1024)
#define VNET_TX_RETRY_MS 100 /* wait for room once when the backend is full */
#define VNET_RX_ERR_WAIT_MS 100 /* after a backend read error */

/* Receive side of one pair (its thread's). */
struct vnet_rxq {
	struct vq_chain c1; /* first chain of the next frame, if have_c1 */
	struct vq_chain more; /* further chains (MRG_RXBUF) */
	struct iovec iov[IOV_MAX];
	uint8_t *bounce;
	int have_c1;
	int notify_on; /* kicks were enabled because the ring ran dry */
	int attached; /* atomic: what set_queue last made of this pair */
	int broken; /* NEEDS_RESET raised: the queue is left alone */
	/* A frame that spills over several chains, waiting for buffers: */
	int in_progress;
	uint32_t pkt_len; /* header included */
	uint32_t placed; /* bytes already in guest buffers */
	uint32_t bounce_base; /* frame offset of bounce[0] */
	uint16_t nheld; /* chains taken for it, c1 first */
	uint16_t held_head[VQ_MAX_SIZE];
	uint32_t held_len[VQ_MAX_SIZE];
	struct log_rl rl;
};

/* Transmit side of one pair (its transmitq worker's). */
struct vnet_txq {
	struct vq_chain chain;
	struct iovec iov[IOV_MAX];
	uint8_t *bounce;
	struct log_rl rl;
};

struct vnet_pair {
	struct vnet *n;
	uint16_t idx;
	int fd; /* backend, borrowed */
	int efd; /* wakes the receive thread */
	pthread_t thread;
	int started;
	int dead; /* n->lock: the thread ended (no filter), serves nothing */
	int want_active; /* atomic: the driver serves this pair */
	uint64_t seen_epoch; /* n->lock */
	struct vnet_rxq rx;
	struct vnet_txq tx;
};

struct vnet {
	struct virtio_dev_info info;
	char *id;
	const struct vnet_backend_ops *bops;
	void *bopaque;
	const struct sandbox *sandbox;
	uint16_t nr_pairs;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* n->lock: */
	uint8_t mac[6];
	uint16_t status;
	uint16_t mtu;
	struct virtio_dev *vd; /* from activate */
	uint64_t epoch; /* bumped by activate and reset */
	int active; /* between activate and reset */
	int stop;
	/* Set by activate (workers and receive threads quiet); read-only
	 * until the next reset: */
	uint64_t features;
	uint16_t usable_pairs; /* nr_pairs with MQ, else 1 */
	uint16_t ctrl_qidx;
	/* atomic: the guest's current receive offloads (feature bits) */
	uint64_t rx_offloads;

	struct dev_counters ctr; /* VNET_CTR_* */
	struct vq_chain ctrl_chain;
	struct log_rl rl;
	struct vnet_pair pairs[];
};

#define VNET_RXQ(pair) ((uint16_t)(2 * (pair)))
#define VNET_TXQ(pair) ((uint16_t)(2 * (pair) + 1))

/* Receive offload feature bits (GUEST_*), and transmit ones (HOST_*). */
#define VNET_GUEST_OFFLOADS                                                  \
	(1ull << VIRTIO_NET_F_GUEST_CSUM | 1ull << VIRTIO_NET_F_GUEST_TSO4 | \
	 1ull << VIRTIO_NET_F_GUEST_TSO6 | 1ull << VIRTIO_NET_F_GUEST_ECN |  \
	 1ull << VIRTIO_NET_F_GUEST_UFO)

/* Counter indices (names in virtio_net.c: Cloud Hypervisor's first). */
enum {
	VNET_CTR_RX_BYTES,
	VNET_CTR_RX_FRAMES,
	VNET_CTR_TX_BYTES,
	VNET_CTR_TX_FRAMES,
	VNET_CTR_RX_DROPPED,
	VNET_CTR_TX_DROPPED,
	VNET_CTR_CTRL_ERRORS,
	VNET_NR_CTR,
};

static inline void vnet_count(struct vnet *n, unsigned int idx, uint64_t v)
{
	dev_counter_add(&n->ctr, idx, v);
}

/*
 * Copy between `buf` and the chain's readable (writable == 0) or
 * device-writable (writable == 1) bytes seen as one stream, from stream
 * offset `off`, at most `len` bytes; to_chain selects the direction.
 * Returns the bytes copied (less at the end of the stream).
 */
uint32_t vnet_chain_copy(const struct vq_chain *c, int writable, uint32_t off,
			 void *buf, uint32_t len, int to_chain);

/* TUN_F_* bits for a set of GUEST_* feature bits. */
unsigned int vnet_tun_offloads(uint64_t guest_features);

/* Wake pair p's receive thread.  Any thread. */
void vnet_wake(struct vnet_pair *p);

/* The receive thread (net_rx.c); arg is its struct vnet_pair. */
void *vnet_rx_thread(void *arg);

/* Forget every chain the receive side holds (reset).  The pair's thread,
 * or anyone while it is stopped. */
void vnet_rx_forget(struct vnet_pair *p);

/* Serve a transmitq kick for pair `pair` (net_tx.c).  Its worker. */
void vnet_tx_process(struct vnet *n, struct virtio_dev *vd, uint16_t pair);

/* Serve a control queue kick (net_ctrl.c).  Its worker. */
void vnet_ctrl_process(struct vnet *n, struct virtio_dev *vd, uint16_t qidx);

#endif /* NIMBUS_DEVICES_NET_PRIV_H */
