/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vtransport.h - a stand-in for the virtio-pci transport in the device
 * fuzz targets (tests/fuzz/vtransport.c), so that a device's ops run on
 * the fuzzing thread, deterministically, without PCI or worker threads.
 *
 * It implements the transport calls of devices/virtio/virtio.h over an
 * array of struct vq in a fuzz guest RAM.  vt_setup reads the driver's
 * side from the input: negotiated features, queue sizes, and the guest
 * RAM image holding the rings (queue i's descriptor table at i * 0x1000,
 * avail ring at + 0x800, used ring at + 0xc00; buffers anywhere).
 * vt_run then plays the guest's kicks: a script byte per kick names the
 * queue (or, when the device asks, another event), after which the
 * harness checks the transport-level invariants: a used index that never
 * runs ahead of what was made available, used lengths within the
 * chain's writable bytes.
 */
#ifndef NIMBUS_TESTS_FUZZ_VTRANSPORT_H
#define NIMBUS_TESTS_FUZZ_VTRANSPORT_H

#include <stdint.h>

#include "devices/virtio/virtio.h"
#include "tests/fuzz/fuzz.h"

#define VT_RAM_SIZE 0x20000u
#define VT_QUEUE_STRIDE 0x1000u
#define VT_MAX_SCRIPT 32

struct virtio_dev {
	struct vq vq[VIRTIO_MAX_QUEUES];
	uint16_t nr_queues;
	int needs_reset;
	unsigned int notified, config_changes;
	int watched_fd[VIRTIO_MAX_QUEUES];
	const struct virtio_dev_ops *ops;
	void *opaque;
	uint64_t features;
	uint8_t script[VT_MAX_SCRIPT];
	unsigned int nr_script;
};

/* Guest RAM shared by every input (allocated once). */
struct fz_ram *vt_ram(void);

/*
 * Read features (masked with `offered`), the script and the RAM image
 * from the input, enable every queue whose size byte is non-zero, and
 * activate the device (ops->activate).  Returns 0, or -1 when activation
 * failed (the harness then just resets and frees).
 */
int vt_setup(struct virtio_dev *vd, const struct virtio_dev_info *info,
	     const struct virtio_dev_ops *ops, void *opaque, struct fz *f);

/*
 * Play the script: for each byte, `event` (when not NULL) gets it first
 * and returns 1 if it handled it; otherwise the queue byte % nr_queues is
 * kicked (queue_notify, if the queue is live and the device is not in
 * NEEDS_RESET).  Then the device is reset (ops->reset).
 */
typedef int vt_event_fn(void *opaque, uint8_t ev);
void vt_run(struct virtio_dev *vd, vt_event_fn *event, void *eopaque);

#endif /* NIMBUS_TESTS_FUZZ_VTRANSPORT_H */
