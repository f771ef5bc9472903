/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio_console.h - virtio-console (device id 3): one console port, the
 * guest's hvc0, for Cloud Hypervisor's --console.
 *
 * Single port, no VIRTIO_CONSOLE_F_MULTIPORT: two queues, receiveq (0,
 * host -> guest) and transmitq (1, guest -> host).  Config space is
 * { le16 cols; le16 rows; le32 max_nr_ports; le32 emerg_wr; } (12 bytes).
 * Features offered: VIRTIO_CONSOLE_F_EMERG_WRITE only, so a driver may
 * print a character by writing emerg_wr before its queues work.
 * VIRTIO_CONSOLE_F_SIZE is not offered because nothing tells the device
 * the host terminal's size yet: cols and rows read 0 and the guest keeps
 * its default size.  max_nr_ports reads 1.
 *
 * Output: the worker thread pops transmitq chains, hands each readable
 * buffer to cfg->tx in ring order (writable buffers are skipped), returns
 * the chain with length 0 and interrupts the driver.
 *
 * Input (design): the main thread calls vcon_rx(), which pops receiveq
 * chains itself, copies into their writable buffers, pushes them and
 * calls virtio_notify_used(vd, 0).  The worker thread never touches the
 * receiveq; a receiveq kick only tells the device that buffers arrived,
 * and if vcon_rx() had to hold input back the worker calls cfg->rx_space
 * so that the host side offers it again.  Input is never dropped:
 * whatever vcon_rx() does not accept stays with the caller.
 *
 * Locking: one mutex covers the receiveq, the activation state and the
 * hold flag; vcon_rx(), the receiveq kick, activate and reset take it.
 * The transmitq is only touched by the worker (reset and activate run
 * with the worker quiesced), so output never waits for input.  cfg->tx
 * and cfg->rx_space are called without the mutex held, so they may call
 * vcon_rx().
 *
 * Assumptions on the transport (virtio.h documents virtio_notify_used()
 * as worker-thread only): the device calls it for queue 0 from the main
 * thread, serialised per queue by the mutex above, which is safe as long
 * as it touches only that queue's state and delivers through an any-thread
 * path; and the transport calls ops->reset before it vq_reset()s the
 * queues, so vcon_rx() has stopped using the receiveq when the rings go.
 * Both hold for virtio_pci.c as written (reset_device(): ops->reset, then
 * virtio_pci_regs_reset(); virtio_notify_used(): vq_should_notify() on
 * the queue, then msix_notify(), documented any-thread).
 *
 * Hostile guests: a readable buffer on the receiveq or a malformed ring
 * on either queue puts the device in NEEDS_RESET (rate-limited log) and
 * the device stops using that queue until the driver resets it.
 */
#ifndef NIMBUS_DEVICES_VIRTIO_CONSOLE_H
#define NIMBUS_DEVICES_VIRTIO_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include "devices/virtio/virtio.h"

/* Queues. */
#define VCON_RXQ 0 /* receiveq: host -> guest */
#define VCON_TXQ 1 /* transmitq: guest -> host */
#define VCON_NR_QUEUES 2
#define VCON_QUEUE_SIZE_MAX 256

/* Device feature bits (virtio 1.x, 5.3.3). */
#define VIRTIO_CONSOLE_F_SIZE 0
#define VIRTIO_CONSOLE_F_MULTIPORT 1
#define VIRTIO_CONSOLE_F_EMERG_WRITE 2

/* Config space layout (little endian). */
#define VCON_CFG_COLS 0
#define VCON_CFG_ROWS 2
#define VCON_CFG_MAX_NR_PORTS 4
#define VCON_CFG_EMERG_WR 8
#define VCON_CFG_SIZE 12

/* PCI class: communication controller, other (0x0780). */
#define VCON_PCI_CLASS 0x078000u

struct vcon;

/* The host-side hooks, like the UART's backend hooks. */
struct vcon_cfg {
	/*
	 * Guest output, in order.  The worker thread (transmitq), or a vCPU
	 * thread for an emergency write (one byte).  Called without device
	 * locks held.  May be NULL: output is dropped.
	 */
	void (*tx)(void *opaque, const uint8_t *buf, size_t len);
	/*
	 * Optional: vcon_rx() accepted less than it was offered and the
	 * guest has since posted receive buffers (or the driver became
	 * ready), so vcon_rx() may accept more.  Called once per hold.  The
	 * worker thread (receiveq kick) or the vCPU thread that activates
	 * the device; no device lock held.
	 */
	void (*rx_space)(void *opaque);
	void *opaque;
};

/*
 * Allocate a console device; cfg is copied.  Returns 0 and *out,
 * -EINVAL for NULL cfg/out, -ENOMEM, or pthread_mutex_init's error.
 * Main thread, setup.
 */
int vcon_create(const struct vcon_cfg *cfg, struct vcon **out);

/* What the transport needs to know (static for the device's lifetime). */
const struct virtio_dev_info *vcon_info(struct vcon *c);

/* The device callbacks; the opaque pointer to pass is the struct vcon. */
const struct virtio_dev_ops *vcon_ops(void);

/* Free the device.  NULL-safe.  The transport is destroyed first (no
 * worker, vCPU or vcon_rx() call may still run). */
void vcon_destroy(struct vcon *c);

/*
 * Host input: copy up to len bytes into the guest's receive buffers, in
 * order, filling each chain's writable buffers before the next chain, and
 * interrupt the driver.  Returns the number of bytes accepted: 0 when the
 * driver is not ready, posted no buffer, or the device needs a reset.
 * Whenever it returns less than len, cfg->rx_space is called later, once
 * the guest posts buffers (back-pressure: nothing is dropped).  Chains
 * without writable bytes are returned empty; more than a queue's worth of
 * them in one call ends it (a guest doing that only stalls its own
 * input).  Main thread (any single thread); never calls tx() or
 * rx_space().
 */
size_t vcon_rx(struct vcon *c, const uint8_t *buf, size_t len);

#endif /* NIMBUS_DEVICES_VIRTIO_CONSOLE_H */
