/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vq_fixture.h - shared fixture for the split-virtqueue unit tests
 * (tests/unit/test_virtqueue.c and test_virtqueue_hostile.c).  It plays
 * the driver: two malloc'd regions registered as guest RAM, helpers that
 * write descriptors and avail entries in little-endian at fixed guest
 * addresses, and a memfd that captures the log so that tests can check
 * what the queue said.  Test-only code: helpers fail the current cmocka
 * test (assert_*) instead of returning errors.  All calls are made from
 * the cmocka test thread; nothing here is thread-safe.
 */
#ifndef NIMBUS_TESTS_LIB_VQ_FIXTURE_H
#define NIMBUS_TESTS_LIB_VQ_FIXTURE_H

#include <stdint.h>

#include "devices/virtio/virtqueue.h"
#include "vmm/guest_mem.h"

/* Region A: 1 MiB at 1 MiB; region B: 64 KiB right after it (adjacent). */
#define VQT_RAM_GPA 0x100000ull
#define VQT_RAM_SIZE 0x100000ull
#define VQT_RAM2_GPA 0x200000ull
#define VQT_RAM2_SIZE 0x10000ull
#define VQT_HOLE_GPA 0x300000ull /* not RAM */
#define VQT_BIG_GPA 0x100000000ull
#define VQT_BIG_SIZE 0x80000000ull

/* Where vqt_start() puts the rings, and free space for buffers/tables. */
#define VQT_DESC_GPA 0x100000ull
#define VQT_AVAIL_GPA 0x104000ull
#define VQT_USED_GPA 0x105000ull
#define VQT_DATA_GPA 0x110000ull
#define VQT_IND_GPA 0x120000ull

/* Descriptor flags as the driver writes them. */
#define VQT_F_NEXT 1
#define VQT_F_WRITE 2
#define VQT_F_INDIRECT 4

#define VQT_FEAT_INDIRECT (1ull << VIRTIO_F_INDIRECT_DESC)
#define VQT_FEAT_EVENT_IDX (1ull << VIRTIO_F_EVENT_IDX)

/* Per-test state; created by vqt_setup(), freed by vqt_teardown(). */
struct vqt_fx {
	struct guest_mem mem;
	uint8_t *ram, *ram2;
	struct vq q;
	struct vq_chain c;
	uint16_t size;
	uint16_t avail_idx; /* the driver's shadow of avail->idx */
	int log_fd;
	char log[8192];
};

/*
 * cmocka group-less setup/teardown for one test: vqt_setup() allocates a
 * zeroed struct vqt_fx with both RAM regions registered and the log
 * redirected to a memfd, stores it in *state and returns 0 (-1 on
 * allocation failure).  vqt_teardown() restores logging to fd 2 and frees
 * everything; returns 0.
 */
int vqt_setup(void **state);
int vqt_teardown(void **state);

/* Host pointer for guest byte `gpa`; fails the test if it is not RAM. */
uint8_t *vqt_hva(struct vqt_fx *f, uint64_t gpa);

/* Little-endian 16/32-bit guest accesses; fail the test outside RAM. */
void vqt_put16(struct vqt_fx *f, uint64_t gpa, uint16_t v);
uint16_t vqt_get16(struct vqt_fx *f, uint64_t gpa);
uint32_t vqt_get32(struct vqt_fx *f, uint64_t gpa);

/*
 * Write descriptor `i` of the table at `table` (vqt_desc_at) or of the
 * ring's own table at VQT_DESC_GPA (vqt_desc).  No validation: tests use
 * these to build hostile descriptors too.
 */
void vqt_desc_at(struct vqt_fx *f, uint64_t table, uint16_t i, uint64_t addr,
		 uint32_t len, uint16_t flags, uint16_t next);
void vqt_desc(struct vqt_fx *f, uint16_t i, uint64_t addr, uint32_t len,
	      uint16_t flags, uint16_t next);

/* Set avail->idx (and the shadow) to `v`, any value, unchecked. */
void vqt_set_avail_idx(struct vqt_fx *f, uint16_t v);
/* Publish `head` in the next avail slot and bump avail->idx by one. */
void vqt_avail_add(struct vqt_fx *f, uint16_t head);

/* Guest addresses of used_event / avail_event for the current size. */
uint64_t vqt_used_event_gpa(struct vqt_fx *f);
uint64_t vqt_avail_event_gpa(struct vqt_fx *f);

/*
 * vq_init() + vq_enable() with the standard ring addresses and `size`
 * entries; fails the test if enabling fails.  Reloads the avail shadow
 * from guest memory.  Does not clear the rings.
 */
void vqt_start(struct vqt_fx *f, uint16_t size, uint64_t features);

/* Everything logged since setup (or the last truncate); owned by `f`. */
const char *vqt_log_text(struct vqt_fx *f);

/*
 * The queue must refuse the current ring: vq_pop() gives -EINVAL, the
 * queue is broken, nothing consumed, exactly one log line containing
 * `why`, and no further line on retry.  Truncates the log first.
 */
void vqt_expect_broken(struct vqt_fx *f, const char *why);

/* Buffer `i` of the last popped chain is (gpa, len, write). */
void vqt_expect_buf(struct vqt_fx *f, unsigned int i, uint64_t gpa,
		    uint32_t len, int write);

#endif /* NIMBUS_TESTS_LIB_VQ_FIXTURE_H */
