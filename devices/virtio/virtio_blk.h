/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio_blk.h - virtio-blk (virtio 1.x section 5.2) over a raw image.
 *
 * The device serves one raw image (regular file or block device) and is
 * independent of the transport: virtio_pci_create() takes vblk_info(),
 * vblk_ops() and the vblk as the opaque pointer.  Requests IN, OUT, FLUSH
 * (fdatasync), GET_ID, DISCARD (fallocate PUNCH_HOLE) and WRITE_ZEROES
 * (fallocate ZERO_RANGE, or PUNCH_HOLE when the driver allows unmapping,
 * falling back to writing zeros) are executed; anything else is answered
 * UNSUPP.  A DISCARD the file system or device cannot do completes OK
 * without effect (discard is a hint).  A read-only disk offers
 * VIRTIO_BLK_F_RO and answers every write, discard and write-zeroes with
 * IOERR.
 *
 * Features offered: SEG_MAX (queue size - 2), BLK_SIZE, FLUSH, MQ when
 * num_queues > 1, RO for read-only disks, DISCARD and WRITE_ZEROES for
 * writable ones.  Config space is the spec layout up to
 * write_zeroes_may_unmap and its padding (60 bytes); `capacity` is the
 * image size in 512-byte sectors, rounded down to whole blocks (blk_size:
 * 512 for buffered files, BLKSSZGET for block devices, the probed size
 * below with O_DIRECT).  CONFIG_WCE is not offered: FLUSH tells the driver
 * the disk has a volatile write cache, which it has (the page cache and
 * the device's own), so the guest flushes.
 *
 * Request framing follows the spec's rule that devices make no assumption
 * about how the driver splits a request into descriptors: the readable
 * bytes are a stream whose first 16 are the header (which may therefore be
 * split across buffers) and the rest the data-out; the writable bytes are
 * a stream whose last byte is the status and the rest the data-in.  A
 * chain with no writable byte cannot be answered: it is returned with
 * len 0 (logged, rate-limited).  Fewer than 16 readable bytes, data in the
 * wrong direction, lengths that are not whole sectors, ranges beyond the
 * capacity or overflowing it all give IOERR.
 *
 * I/O engine: synchronous preadv/pwritev/fallocate/fdatasync on the
 * transport's worker thread, one request at a time per queue.  Short
 * transfers are retried to completion (EOF or an error gives IOERR).
 * io_uring was not measured yet: liburing-dev is in Debian 12 (2.3-3,
 * bookworm/main) but not installed; it is the follow-up option to
 * measure against this engine (see the benchmark).
 *
 * O_DIRECT (direct=on): the image is opened with O_DIRECT and requires
 * file offsets, lengths and buffer addresses aligned.  The block size is
 * BLKSSZGET for block devices; for regular files statx(STATX_DIOALIGN)
 * when the kernel reports it, else 4096 (safe on every common file
 * system); at least 512 either way, and it is advertised as blk_size so a
 * driver issues aligned requests.  Buffer addresses must be aligned to
 * STATX_DIOALIGN's memory alignment when reported, else the block size.
 * Guest buffers are guest memory whose alignment the device does not
 * control: a request whose offset, length or any buffer (address or
 * length) is not aligned goes through a per-queue bounce buffer (1 MiB,
 * chunked), with read-modify-write of the partial blocks at either end of
 * a write.  That read-modify-write is not atomic against a concurrent
 * write to the other part of the same block from another queue; Linux
 * never issues such writes once it honours blk_size.
 *
 * Image lock: like Cloud Hypervisor, an open-file-description lock
 * (F_OFD_SETLK) on the whole file, exclusive (F_WRLCK) for a writable disk
 * and shared (F_RDLCK) for a read-only one.  A second Nimbus on a
 * writable image (or QEMU: the whole-file lock conflicts with its
 * byte-range OFD locks) fails at vblk_create; several read-only users may
 * share an image.  The lock lives as long as the file descriptor.  A file
 * system without OFD locks makes vblk_create fail too.
 *
 * Queue loop (ops->queue_notify): driver kicks are suppressed while the
 * queue is drained (vq_enable_notify), chains are popped, executed and
 * pushed until the ring is empty, kicks are re-armed and the ring
 * re-checked, then virtio_notify_used is called once for the batch.  A
 * malformed ring (vq_pop/vq_push -EINVAL) calls virtio_set_needs_reset
 * and stops.
 *
 * Threading: ops->queue_notify for queue q runs on the transport's worker
 * and uses only queue q's scratch state (chain, iovecs, bounce buffer,
 * log rate limit), so different queues may later run concurrently on
 * different workers.  Counters are updated atomically.  config_read runs
 * on vCPU threads and reads constant data.
 */
#ifndef NIMBUS_DEVICES_VIRTIO_BLK_H
#define NIMBUS_DEVICES_VIRTIO_BLK_H

#include <stddef.h>
#include <stdint.h>

#include "devices/virtio/virtio.h"

/* Feature bits (virtio 1.x 5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_GEOMETRY 4
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_TOPOLOGY 10
#define VIRTIO_BLK_F_CONFIG_WCE 11
#define VIRTIO_BLK_F_MQ 12
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

/* Request types. */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13

/* Status byte. */
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_SECTOR_SIZE 512u
#define VIRTIO_BLK_HDR_SIZE 16u /* {le32 type, le32 reserved, le64 sector} */
#define VIRTIO_BLK_ID_BYTES 20u /* GET_ID answer, NUL padded */
#define VIRTIO_BLK_SEG_SIZE 16u /* {le64 sector, le32 num, le32 flags} */
#define VIRTIO_BLK_WZ_FLAG_UNMAP 1u

/* Byte offsets in the device config space. */
#define VIRTIO_BLK_CFG_CAPACITY 0
#define VIRTIO_BLK_CFG_SIZE_MAX 8
#define VIRTIO_BLK_CFG_SEG_MAX 12
#define VIRTIO_BLK_CFG_GEOMETRY 16
#define VIRTIO_BLK_CFG_BLK_SIZE 20
#define VIRTIO_BLK_CFG_TOPOLOGY 24
#define VIRTIO_BLK_CFG_WRITEBACK 32
#define VIRTIO_BLK_CFG_NUM_QUEUES 34
#define VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS 36
#define VIRTIO_BLK_CFG_MAX_DISCARD_SEG 40
#define VIRTIO_BLK_CFG_DISCARD_ALIGN 44
#define VIRTIO_BLK_CFG_MAX_WZ_SECTORS 48
#define VIRTIO_BLK_CFG_MAX_WZ_SEG 52
#define VIRTIO_BLK_CFG_WZ_MAY_UNMAP 56
#define VIRTIO_BLK_CFG_SIZE 60

/* Limits this device advertises for DISCARD / WRITE_ZEROES. */
#define VBLK_MAX_DISCARD_SEG 32u
#define VBLK_MAX_DISCARD_SECTORS (1u << 22) /* 2 GiB per segment */

#define VBLK_DEFAULT_QUEUE_SIZE 256
#define VBLK_MIN_QUEUE_SIZE 4 /* header + data + status, with room */

struct vblk;

struct vblk_cfg {
	const char *path; /* image: regular file or block device */
	int readonly; /* open O_RDONLY, offer RO, refuse writes */
	int direct; /* O_DIRECT (see the header comment) */
	uint16_t num_queues; /* 1..VIRTIO_MAX_QUEUES; 0 means 1 */
	uint16_t queue_size; /* power of two 4..VQ_MAX_SIZE; 0 means 256 */
	const char *id; /* for log lines; NULL: the path */
	/*
	 * GET_ID answer, at most 20 bytes (longer is an error).  NULL:
	 * derived from the image's identity (st_dev, st_ino for files,
	 * st_rdev for block devices) as "NB" and 16 hex digits, so it is
	 * stable across boots and differs between images on one host.
	 */
	const char *serial;
	int io_engine; /* enum blk_io_engine */
};

/* How reads and writes reach the image (--disk io_engine=). */
enum blk_io_engine {
	BLK_ENGINE_AUTO = 0, /* io_uring when the kernel has it, else sync */
	BLK_ENGINE_IO_URING, /* io_uring or fail */
	BLK_ENGINE_SYNC, /* preadv/pwritev on the queue's worker */
};

/* Monotonic counters since create (for the API); all bytes are data. */
struct vblk_counters {
	uint64_t read_ops, read_bytes;
	uint64_t write_ops, write_bytes;
	uint64_t flush_ops, discard_ops, write_zeroes_ops;
	uint64_t errors; /* requests answered IOERR or UNSUPP, or dropped */
};

/*
 * Open and lock the image and build the device.  cfg is copied (strings
 * included).  The image is opened O_CLOEXEC, O_RDWR or O_RDONLY
 * (readonly), plus O_DIRECT (direct), then locked as described above,
 * sized (st_size, or BLKGETSIZE64 for block devices) and, with direct,
 * probed for its alignment.  On failure, returns -errno and writes one
 * line naming the file to err (errlen bytes, may be 0): -EINVAL bad cfg or
 * not a regular file / block device, -EBUSY image locked by another
 * process, -ENOMEM, or the failing syscall's error.  Main thread, setup.
 */
int vblk_create(const struct vblk_cfg *cfg, struct vblk **out, char *err,
		size_t errlen);

/* What the transport needs; valid for the device's lifetime. */
const struct virtio_dev_info *vblk_info(struct vblk *b);

/* The device callbacks (static table); their opaque is the struct vblk. */
const struct virtio_dev_ops *vblk_ops(void);

/* Snapshot of the counters (each read atomically).  Any thread. */
void vblk_get_counters(struct vblk *b, struct vblk_counters *out);

/* The same counters for vm.counters (devices/counters.h); valid for the
 * device's lifetime. */
struct dev_counters;
const struct dev_counters *vblk_dev_counters(struct vblk *b);

/* Capacity in 512-byte sectors, as the config space reports it. */
uint64_t vblk_capacity(struct vblk *b);

/*
 * Close the image (dropping the lock) and free everything.  NULL-safe.
 * Main thread, after the transport is destroyed (no worker running).
 */
void vblk_destroy(struct vblk *b);

#endif /* NIMBUS_DEVICES_VIRTIO_BLK_H */
