/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio_rng.h - virtio entropy device (virtio device id 4).
 *
 * One request queue and no configuration space: the driver posts
 * device-writable buffers and the device fills them with bytes read from a
 * host source file (default /dev/urandom).  The device never sees PCI:
 * the VMM wraps it with the transport, e.g.
 *
 *	vrng_create(path, &rng);
 *	virtio_pci_create(vrng_info(), vrng_ops(), rng, &host, &vd);
 *
 * Bounded work: the source is read with one read(2) per buffer, at most
 * VRNG_MAX_REQ bytes per request; a short read or EOF completes the
 * request with the bytes obtained (possibly 0).  The source is opened
 * non-blocking, and when it has nothing to give the worker waits at most
 * VRNG_WAIT_MS in poll(2) once per buffer, so a slow source (a FIFO, an
 * exhausted /dev/random) never blocks the VMM, a device reset or teardown
 * for longer than that.  Readable buffers in a chain are skipped.
 */
#ifndef NIMBUS_DEVICES_VIRTIO_RNG_H
#define NIMBUS_DEVICES_VIRTIO_RNG_H

#include "devices/virtio/virtio.h"

#define VRNG_DEFAULT_SRC "/dev/urandom"
#define VRNG_QUEUE_SIZE_MAX 256
#define VRNG_MAX_REQ (64u * 1024) /* bytes filled per request, at most */
#define VRNG_WAIT_MS 100 /* longest wait for a dry source */

struct vrng;

/*
 * Open `src_path` (NULL: VRNG_DEFAULT_SRC) read-only, close-on-exec and
 * non-blocking, and allocate the device.  Directories are refused
 * (-EISDIR).  -errno from open/fstat, -ENOMEM.  Main thread, setup.
 */
int vrng_create(const char *src_path, struct vrng **out);

/* The device description and callbacks for virtio_pci_create (static
 * data, valid forever); the callbacks' opaque is the struct vrng. */
const struct virtio_dev_info *vrng_info(void);
const struct virtio_dev_ops *vrng_ops(void);

/* Close the source and free.  After virtio_pci_destroy of the transport
 * wrapping it.  NULL-safe. */
void vrng_destroy(struct vrng *r);

#endif /* NIMBUS_DEVICES_VIRTIO_RNG_H */
