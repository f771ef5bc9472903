/* SPDX-License-Identifier: Apache-2.0 */
/*
 * guest_mem.h - guest RAM: allocation and checked gpa -> hva translation.
 *
 * A VM's RAM is a small array of regions, each one anonymous mapping
 * (MAP_NORESERVE) placed at a guest physical address.  Every translation
 * of a guest-controlled address goes through guest_mem_ptr(), which checks
 * that the whole [gpa, gpa+len) lies in one region without overflow.
 * The layout is fixed after setup; lookups are then lock-free and safe
 * from any thread.
 */
#ifndef NIMBUS_VMM_GUEST_MEM_H
#define NIMBUS_VMM_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

#define GUEST_MEM_MAX_REGIONS 8
#define GUEST_MEM_HUGE_ALIGN (2ull << 20) /* host/guest offset alignment */

struct guest_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
	int owned; /* 1: guest_mem mapped it and unmaps it */
};

struct guest_mem {
	struct guest_region r[GUEST_MEM_MAX_REGIONS];
	unsigned int nr;
	uint64_t total;
};

/* Zero the struct.  Main thread, setup. */
void guest_mem_init(struct guest_mem *m);

/*
 * Allocate `size` bytes (page multiple) of anonymous RAM at `gpa` and add
 * it as a region.  The host address is congruent to gpa modulo
 * GUEST_MEM_HUGE_ALIGN and advised for transparent huge pages.  -EINVAL unaligned/zero/overflowing, -EEXIST overlap,
 * -ENOSPC too many regions, -ENOMEM mmap failure.  *hva_out (may be NULL)
 * receives the host address.  Main thread, before vCPUs run.
 */
int guest_mem_add(struct guest_mem *m, uint64_t gpa, uint64_t size,
		  void **hva_out);

/* Add caller-owned memory (tests: malloc'd "guest RAM").  Same errors. */
int guest_mem_add_external(struct guest_mem *m, uint64_t gpa, uint64_t size,
			   void *hva);

/* Unmap owned regions and reset.  Main thread, no vCPU running. */
void guest_mem_destroy(struct guest_mem *m);

/*
 * Host pointer for guest [gpa, gpa+len) or NULL if any byte of it is not
 * in a single RAM region (or gpa+len overflows).  len 0 is treated as 1.
 * Any thread.
 */
void *guest_mem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len);

/* Copy to/from guest RAM; -EFAULT if the range is not RAM. */
int guest_mem_read(const struct guest_mem *m, uint64_t gpa, void *buf,
		   uint64_t len);
int guest_mem_write(const struct guest_mem *m, uint64_t gpa, const void *buf,
		    uint64_t len);

#endif /* NIMBUS_VMM_GUEST_MEM_H */
