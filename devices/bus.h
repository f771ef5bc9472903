/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bus.h - a PIO or MMIO address bus: ranges mapped to device callbacks.
 *
 * Storage is a sorted array searched by binary search.  Registrations are
 * rare (setup, BAR moves) and take the write side of a rwlock; lookups are
 * hot and take the read side only to copy the range, so device callbacks
 * run unlocked and may themselves (un)register ranges on any bus.  A
 * callback can therefore still run for a range just unregistered: device
 * state must outlive every running vCPU.  Devices receive the offset within their
 * range, never the absolute address.
 */
#ifndef NIMBUS_DEVICES_BUS_H
#define NIMBUS_DEVICES_BUS_H

#include <pthread.h>
#include <stdint.h>

/*
 * Callbacks return 0, or a negative errno that the bus logs (rate-limited)
 * while answering the guest as hardware would (reads return all-ones).
 * Reads receive a zero-filled `data` buffer.  Called on vCPU threads.
 */
struct io_ops {
	int (*read)(void *opaque, uint64_t off, void *data, uint32_t len);
	int (*write)(void *opaque, uint64_t off, const void *data,
		     uint32_t len);
	uint8_t min_len, max_len; /* guest-visible sizes allowed; 0 = any */
	uint8_t impl_len; /* if set, the bus splits accesses into
				   * impl_len-sized pieces (little endian) */
};

struct bus_range {
	uint64_t base, size;
	const struct io_ops *ops;
	void *opaque;
	const char *name;
};

struct bus {
	const char *name; /* "pio", "mmio" */
	pthread_rwlock_t lock;
	struct bus_range *r;
	unsigned int nr, cap;
	uint64_t unclaimed; /* count of unclaimed accesses */
	void *rl; /* rate limiter for bad accesses */
};

/* Set up an empty bus.  -ENOMEM. */
int bus_init(struct bus *b, const char *name);
void bus_destroy(struct bus *b);

/*
 * Claim [base, base+size) for ops/opaque.  `name` must outlive the
 * registration.  -EINVAL zero size or overflow, -EEXIST overlap, -ENOMEM.
 * Any thread (takes the write lock).
 */
int bus_register(struct bus *b, uint64_t base, uint64_t size,
		 const struct io_ops *ops, void *opaque, const char *name);

/* Remove the range starting exactly at base.  -ENOENT. */
int bus_unregister(struct bus *b, uint64_t base);

/*
 * Dispatch one guest access of len (1..8; other lengths return -EINVAL
 * without touching `data`) bytes at addr.  Writes pass
 * `data`; reads fill it.  An access not contained in one range is
 * unclaimed: returns -ENOENT and reads yield all-ones.  A length outside
 * the range's min/max also reads all-ones and drops writes, returning
 * -EINVAL.  Any thread.
 */
int bus_access(struct bus *b, uint64_t addr, void *data, uint32_t len,
	       int write);

#endif /* NIMBUS_DEVICES_BUS_H */
