/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtqueue.h - virtio 1.x split virtqueues, device side.
 *
 * Everything in the rings is written by a hostile guest and validated:
 * descriptor indices below the queue size, chains no longer than the
 * queue size (which also catches loops), indirect tables only when
 * negotiated, never nested, sized in whole descriptors and within the
 * queue size, every buffer inside guest RAM without overflow, readable
 * (driver->device) buffers never after writable ones, and an avail index
 * that runs more than the queue size ahead of what was consumed.  A
 * violation returns -EINVAL and marks the queue broken (the transport then
 * sets DEVICE_NEEDS_RESET); it logs once per queue, rate-limited.
 *
 * Memory ordering: the helpers pair with the driver's barriers as the
 * virtio spec's memory model requires (read avail->idx, then the ring
 * entries; write used elements, then used->idx).
 *
 * Threading: one thread at a time per queue (the device's worker); setup
 * and reset from the transport with the worker quiesced.
 */
#ifndef NIMBUS_DEVICES_VIRTQUEUE_H
#define NIMBUS_DEVICES_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/guest_mem.h"
#include "vmm/log.h"

#define VQ_MAX_SIZE 1024
#define VQ_MAX_CHAIN VQ_MAX_SIZE

/* Feature bits the queue cares about. */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29

struct vq {
	const struct guest_mem *mem;
	uint16_t size; /* power of two, 1..VQ_MAX_SIZE */
	int ready;
	uint64_t desc, avail, used; /* guest physical ring addresses */
	int event_idx, indirect; /* negotiated features */
	uint16_t last_avail; /* next avail slot the device consumes */
	uint16_t used_idx; /* next used slot the device fills */
	uint16_t signalled_used; /* used_idx when the driver was last told */
	int signalled_valid;
	int broken;
	struct log_rl rl;
};

/* One guest buffer of a chain, already translated and bounds-checked. */
struct vq_buf {
	void *addr;
	uint32_t len;
	int write; /* device-writable (driver reads the result) */
};

struct vq_chain {
	uint16_t head; /* pass to vq_push */
	uint16_t nr; /* buffers in buf[] */
	uint32_t out_len; /* total device-readable bytes */
	uint32_t in_len; /* total device-writable bytes */
	struct vq_buf buf[VQ_MAX_CHAIN];
};

/* Zero the queue and remember guest RAM.  Transport, setup. */
void vq_init(struct vq *q, const struct guest_mem *mem);

/*
 * Make the queue live with the driver's size and ring addresses and the
 * negotiated features (bit mask).  -EINVAL when the size is not a power of
 * two in range, a ring is misaligned (16/2/4 bytes) or not entirely in
 * guest RAM.  Transport (vCPU thread, DRIVER_OK or queue_enable).
 */
int vq_enable(struct vq *q, uint16_t size, uint64_t desc, uint64_t avail,
	      uint64_t used, uint64_t features);

/* Forget everything but `mem` (device reset). */
void vq_reset(struct vq *q);

/*
 * Take the next available chain into *c.  0 with *c filled; -EAGAIN when
 * the ring is empty (or the queue not ready); -EINVAL when the guest put
 * something malformed there (q->broken is then set and every later call
 * returns -EINVAL until vq_reset).
 */
int vq_pop(struct vq *q, struct vq_chain *c);

/* Give chain `head` back with `len` bytes written by the device.
 * -EINVAL if the queue is broken or not ready. */
int vq_push(struct vq *q, uint16_t head, uint32_t len);

/* vq_push of n chains (heads[i] with lens[i] bytes) with one used->idx
 * update, so the driver sees them together (mergeable receive buffers).
 * Nothing is published when any head is out of range: -EINVAL. */
int vq_push_n(struct vq *q, const uint16_t *heads, const uint32_t *lens,
	      uint16_t n);

/*
 * After one or more vq_push: must the driver be interrupted?  Honours
 * VRING_AVAIL_F_NO_INTERRUPT, or with EVENT_IDX the driver's used_event.
 * Updates the signalled state; call once per batch.
 */
bool vq_should_notify(struct vq *q);

/*
 * Tell the driver whether the device wants kicks (suppression the other
 * way): without EVENT_IDX sets/clears VRING_USED_F_NO_NOTIFY; with it
 * writes avail_event = last_avail.  Returns true when new buffers arrived
 * meanwhile (re-check before sleeping).
 */
bool vq_enable_notify(struct vq *q, bool on);

/*
 * Addendum (documentation only; rules vq_pop applies, see virtqueue.c):
 * - Each ring and each buffer must lie within ONE guest RAM region
 *   (guest_mem_ptr semantics): a buffer straddling two regions, even
 *   adjacent ones, is malformed (-EINVAL), never split.
 * - Zero-length descriptors are accepted, not translated (their address
 *   is not checked) and left out of buf[], so c->nr may be smaller than
 *   the chain and may be 0; they count toward the chain-length limit and
 *   obey the readable-before-writable rule.
 * - The chain limit (queue size) counts buffer descriptors, direct or in
 *   the indirect table; the descriptor pointing at a table does not
 *   count.  An indirect descriptor may end a chain of direct ones.
 * - out_len + in_len never exceeds UINT32_MAX (longer chains: -EINVAL).
 * - vq_reset keeps `rl`, so a reset loop cannot defeat rate limiting.
 */

#endif /* NIMBUS_DEVICES_VIRTQUEUE_H */
