/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio_pmem.h - virtio-pmem (virtio 1.x section 5.19): a host file as
 * persistent memory in guest physical address space.
 *
 * The device maps the file into the VMM (MAP_SHARED, so guest stores
 * reach the file's page cache; or MAP_PRIVATE with discard_writes, so
 * the guest's changes are copy-on-write and the file never changes) and
 * the VMM places that mapping at a guest-physical address outside RAM
 * (arch_device_window) with the hypervisor's map_memory.  The guest finds
 * it in the config space { le64 start; le64 size; } and uses it with DAX:
 * loads and stores go straight to the mapping, no exits.  Its one queue
 * carries flush requests { le32 type; } answered { le32 ret; }: FLUSH
 * (type 0) runs fdatasync on the file (nothing to do with
 * discard_writes) and answers 0, or 1 (EIO) when it fails; any other
 * type, or a request too short to read, is answered EIO; a chain with no
 * room for the answer is returned with length 0.  Runs on the transport's
 * worker; requests complete synchronously.
 *
 * Size: cfg->size, or the file's size when 0; a non-zero multiple of
 * VPMEM_ALIGN (2 MiB, what Linux needs for DAX with huge pages).  A
 * writable file shorter than the size is extended (sparse); with
 * discard_writes it must be long enough (reads past its end would fault).
 */
#ifndef NIMBUS_DEVICES_VIRTIO_PMEM_H
#define NIMBUS_DEVICES_VIRTIO_PMEM_H

#include <stddef.h>
#include <stdint.h>

#include "devices/virtio/virtio.h"

#define VIRTIO_ID_PMEM 27
#define VPMEM_ALIGN (2ull << 20)
#define VPMEM_QUEUE_SIZE 64
#define VPMEM_CFG_SIZE 16 /* le64 start, le64 size */
#define VIRTIO_PMEM_REQ_TYPE_FLUSH 0
#define VIRTIO_PMEM_RESP_TYPE_OK 0
#define VIRTIO_PMEM_RESP_TYPE_EIO 1

struct vpmem;

struct vpmem_cfg {
	const char *path; /* the backing file */
	uint64_t size; /* 0: the file's size */
	int discard_writes; /* private mapping: the file is never written */
	const char *id; /* for log lines; NULL: the path */
};

/* Monotonic counters since create. */
struct vpmem_counters {
	uint64_t flushes;
	uint64_t errors; /* bad requests and failed flushes */
};

/*
 * Open (read-write, or read-only with discard_writes), size and map the
 * file.  cfg is copied.  -EINVAL bad size or not a regular file, -ENOMEM,
 * or the failing call's -errno, with one line naming the file in err.
 * Main thread, setup.
 */
int vpmem_create(const struct vpmem_cfg *cfg, struct vpmem **out, char *err,
		 size_t errlen);

/* The mapping the VMM gives the hypervisor, and its size. */
void *vpmem_host_addr(struct vpmem *p);
uint64_t vpmem_size(struct vpmem *p);

/* Where the VMM placed it in guest-physical space (config `start`).
 * Before the transport is created. */
void vpmem_set_gpa(struct vpmem *p, uint64_t gpa);

const struct virtio_dev_info *vpmem_info(struct vpmem *p);
const struct virtio_dev_ops *vpmem_ops(void);
void vpmem_get_counters(struct vpmem *p, struct vpmem_counters *out);

/* Unmap, close and free.  NULL-safe.  After the transport is destroyed
 * and the hypervisor mapping removed. */
void vpmem_destroy(struct vpmem *p);

#endif /* NIMBUS_DEVICES_VIRTIO_PMEM_H */
