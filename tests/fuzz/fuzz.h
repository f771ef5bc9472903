/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz.h - shared helpers of the libFuzzer targets (tests/fuzz/fuzz_*.c).
 *
 * Each target drives real Nimbus code through its normal entry point with
 * the fuzzer's input.  These helpers read that input as a stream of
 * little-endian integers (zeros once it runs out), give targets a "guest
 * RAM" registered with a guest_mem, quiet the log (formatted into
 * /dev/null, so format paths still run) and run a sequence of bus
 * accesses, the way a guest's register writes would arrive.
 *
 * Harness state: libFuzzer calls LLVMFuzzerTestOneInput many times in one
 * process, so expensive, input-independent set-up (RAM, fds) is made once
 * in LLVMFuzzerInitialize and kept in file-scope variables of the target;
 * everything the input influences is created and destroyed per input.
 * This is test code: the VMM's "no static state" rule is about the
 * product.
 *
 * FUZZ_CHECK(cond) aborts (a crash the fuzzer records) when an invariant
 * the code under test promises does not hold.
 */
#ifndef NIMBUS_TESTS_FUZZ_H
#define NIMBUS_TESTS_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "devices/bus.h"
#include "vmm/guest_mem.h"

#define FUZZ_CHECK(cond)                                      \
	do {                                                  \
		if (!(cond))                                  \
			fuzz_fail(__FILE__, __LINE__, #cond); \
	} while (0)

/* The input, consumed from the front. */
struct fz {
	const uint8_t *p;
	size_t n;
};

static inline void fz_init(struct fz *f, const uint8_t *data, size_t size)
{
	f->p = data;
	f->n = size;
}

/* Copy up to len bytes out (the rest of buf is zeroed); returns how many
 * came from the input. */
static inline size_t fz_take(struct fz *f, void *buf, size_t len)
{
	size_t k = len < f->n ? len : f->n;

	memcpy(buf, f->p, k);
	memset((uint8_t *)buf + k, 0, len - k);
	f->p += k;
	f->n -= k;
	return k;
}

static inline uint8_t fz_u8(struct fz *f)
{
	uint8_t v;

	fz_take(f, &v, 1);
	return v;
}

static inline uint16_t fz_u16(struct fz *f)
{
	uint8_t b[2];

	fz_take(f, b, 2);
	return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint32_t fz_u32(struct fz *f)
{
	uint8_t b[4];

	fz_take(f, b, 4);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

static inline uint64_t fz_u64(struct fz *f)
{
	uint64_t lo = fz_u32(f);

	return lo | (uint64_t)fz_u32(f) << 32;
}

/* A NUL-terminated copy of the next string: up to a NUL byte or `max`
 * bytes, whichever comes first.  malloc'd; the caller frees it. */
char *fz_str(struct fz *f, size_t max);

/* Record the failed invariant and abort. */
void fuzz_fail(const char *file, int line, const char *what)
	__attribute__((noreturn));

/* Log everything (LOG_DEBUG) into /dev/null.  Once, at initialisation. */
void fuzz_quiet_log(void);

/* Guest RAM: `size` zeroed bytes at guest address `gpa`. */
struct fz_ram {
	struct guest_mem mem;
	uint8_t *host;
	uint64_t gpa, size;
};

/* Allocate (2 MiB aligned, as guest_mem expects) and register.  0 or
 * -errno. */
int fz_ram_init(struct fz_ram *r, uint64_t gpa, uint64_t size);
void fz_ram_fini(struct fz_ram *r);

/*
 * Run the rest of the input as accesses to bus b inside [base, base +
 * span): each op is one byte (bit 0 write, bits 1-2 size 1/2/4/8), an
 * offset (u16, taken modulo span), and for writes the value.  Reads go
 * to a scratch buffer.  `hook`, when not NULL, runs between accesses
 * with the op byte (bits 3-7 are free for the target's own events).
 * Returns the number of accesses made.
 */
typedef void fz_hook_fn(void *opaque, uint8_t op, struct fz *f);
unsigned int fz_bus_ops(struct fz *f, struct bus *b, uint64_t base,
			uint64_t span, unsigned int max_ops, fz_hook_fn *hook,
			void *opaque);

/*
 * Wait for another thread of the target (a device's own thread) to make
 * done(arg) true: yields the CPU between looks, gives up after max_us
 * microseconds.  Returns done()'s last answer.
 */
bool fz_wait(bool (*done)(void *arg), void *arg, unsigned int max_us);

/* A file holding buf[0..len) (a memfd), and its /proc/self/fd path in
 * path[0..64).  The fd, or -errno. */
int fz_memfd(const char *name, const void *buf, size_t len, char path[64]);

#endif /* NIMBUS_TESTS_FUZZ_H */
