/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio.h - virtio 1.x devices as the transport sees them.
 *
 * A device (virtio-blk, -console, -rng ...) describes itself with a
 * `struct virtio_dev_info` and a `struct virtio_dev_ops`, and never sees
 * PCI: the transport (virtio_pci.c) owns feature negotiation, device
 * status, the queues' setup and the interrupts, and runs one worker thread
 * per device (or per queue, VIRTIO_DEV_F_QUEUE_WORKERS) that calls
 * ops->queue_notify when the driver kicks a queue.
 * Devices complete requests on that worker thread with vq_push() on
 * virtio_queue() and then virtio_notify_used().
 *
 * A device that gets -EINVAL from vq_pop() (the guest put something
 * malformed in the ring; the queue is now broken) calls
 * virtio_set_needs_reset() and stops using the queue; the transport stops
 * calling queue_notify for it until the driver resets the device.
 */
#ifndef NIMBUS_DEVICES_VIRTIO_H
#define NIMBUS_DEVICES_VIRTIO_H

#include <stdint.h>

#include "devices/virtio/virtqueue.h"

#define VIRTIO_MAX_QUEUES 64

/* Virtio device ids (device type field). */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG 4

/* Transport feature bits (the transport offers them itself). */
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ACCESS_PLATFORM 33 /* never offered */

/* Device status bits. */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

struct virtio_dev;

struct virtio_dev_info {
	const char *name; /* "virtio-rng": logs and counters */
	uint16_t device_id; /* VIRTIO_ID_* */
	uint32_t pci_class; /* 24-bit class code for the PCI function */
	uint64_t features; /* device-specific feature bits offered */
	uint16_t nr_queues; /* 1..VIRTIO_MAX_QUEUES */
	uint16_t queue_size_max; /* power of two, <= VQ_MAX_SIZE */
	uint32_t config_size; /* bytes of device config space */
	uint32_t flags; /* VIRTIO_DEV_F_* */
};

/*
 * virtio_dev_info.flags: VIRTIO_DEV_F_QUEUE_WORKERS gives every queue its
 * own worker thread, so queue_notify runs concurrently for different
 * queues (never for the same one); the device keeps per-queue state apart
 * or locks what it shares.  Without it one worker serves all queues.
 */
#define VIRTIO_DEV_F_QUEUE_WORKERS (1u << 0)

struct virtio_dev_ops {
	/* Device config space, off + len <= config_size (checked by the
	 * transport).  vCPU thread. */
	void (*config_read)(void *opaque, uint32_t off, void *data,
			    uint32_t len);
	void (*config_write)(void *opaque, uint32_t off, const void *data,
			     uint32_t len); /* optional */
	/* The driver set DRIVER_OK having accepted `features`; the device
	 * may start using its queues.  Nonzero: the transport sets
	 * NEEDS_RESET.  vCPU thread (workers quiesced). */
	int (*activate)(void *opaque, struct virtio_dev *vd, uint64_t features);
	/* Queue `qidx` was kicked.  The device's worker thread; called only
	 * while DRIVER_OK is set, NEEDS_RESET is not and the queue is live,
	 * never concurrently with activate or reset.  vq_pop() -EINVAL:
	 * call virtio_set_needs_reset() and return. */
	void (*queue_notify)(void *opaque, struct virtio_dev *vd,
			     uint16_t qidx);
	/* The driver reset the device: drop all queue state and in-flight
	 * requests' guest pointers.  Workers quiesced. */
	void (*reset)(void *opaque);
};

/* Queue `qidx` of the device (valid for the device's lifetime). */
struct vq *virtio_queue(struct virtio_dev *vd, uint16_t qidx);

/* After vq_push()es on `qidx`: interrupt the driver if the queue's
 * notification rules say so.  0 or -errno.  Worker thread. */
int virtio_notify_used(struct virtio_dev *vd, uint16_t qidx);

/*
 * Have queue `qidx`'s worker also wait on `fd` (e.g. an I/O completion
 * eventfd): when it is readable, ops->queue_notify runs for `qidx` as for
 * a kick, on that worker, under the same rules; the device drains fd.
 * Call from activate (workers quiesced), once per fd; the device keeps
 * fd open until virtio_pci_destroy.  0, -EINVAL, -EAGAIN before
 * virtio_pci_start, or -errno from epoll.
 */
int virtio_queue_watch_fd(struct virtio_dev *vd, uint16_t qidx, int fd);

/* Device config changed (e.g. disk resized): config interrupt. */
void virtio_config_changed(struct virtio_dev *vd);

/* The device cannot go on (a malformed queue): set NEEDS_RESET and raise
 * the config interrupt; the driver must reset.  Any thread. */
void virtio_set_needs_reset(struct virtio_dev *vd);

#endif /* NIMBUS_DEVICES_VIRTIO_H */
