// SPDX-License-Identifier: Apache-2.0
/*
 * lib.c - helpers shared by the libFuzzer targets (see fuzz.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sched.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "tests/fuzz/fuzz.h"
#include "vmm/log.h"

char *fz_str(struct fz *f, size_t max)
{
	size_t k = 0;
	char *s;

	while (k < f->n && k < max && f->p[k])
		k++;
	s = malloc(k + 1);
	if (!s)
		abort();
	memcpy(s, f->p, k);
	s[k] = '\0';
	/* Skip the terminator too, when there is one. */
	if (k < f->n && k < max)
		k++;
	f->p += k;
	f->n -= k;
	return s;
}

bool fz_wait(bool (*done)(void *arg), void *arg, unsigned int max_us)
{
	struct timespec t0, t;
	long us;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (done(arg))
			return true;
		clock_gettime(CLOCK_MONOTONIC, &t);
		us = (t.tv_sec - t0.tv_sec) * 1000000L +
		     (t.tv_nsec - t0.tv_nsec) / 1000L;
		if (us >= (long)max_us)
			return done(arg);
		sched_yield();
	}
}

void fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", file, line, what);
	abort();
}

void fuzz_quiet_log(void)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	if (fd >= 0)
		log_set_fd(fd);
	log_set_level(LOG_DEBUG);
	log_init_clock();
}

int fz_ram_init(struct fz_ram *r, uint64_t gpa, uint64_t size)
{
	int ret;

	memset(r, 0, sizeof(*r));
	r->host = aligned_alloc(GUEST_MEM_HUGE_ALIGN,
				(size + GUEST_MEM_HUGE_ALIGN - 1) &
					~(GUEST_MEM_HUGE_ALIGN - 1));
	if (!r->host)
		return -ENOMEM;
	memset(r->host, 0, size);
	r->gpa = gpa;
	r->size = size;
	guest_mem_init(&r->mem);
	ret = guest_mem_add_external(&r->mem, gpa, size, r->host);
	if (ret) {
		free(r->host);
		r->host = NULL;
	}
	return ret;
}

void fz_ram_fini(struct fz_ram *r)
{
	guest_mem_destroy(&r->mem);
	free(r->host);
	r->host = NULL;
}

unsigned int fz_bus_ops(struct fz *f, struct bus *b, uint64_t base,
			uint64_t span, unsigned int max_ops, fz_hook_fn *hook,
			void *opaque)
{
	unsigned int done = 0;

	while (f->n && done < max_ops) {
		uint8_t op = fz_u8(f), buf[8];
		uint32_t len = 1u << ((op >> 1) & 3);
		uint64_t off = fz_u16(f) % span;

		if (op & 1)
			fz_take(f, buf, len);
		bus_access(b, base + off, buf, len, op & 1);
		done++;
		if (hook)
			hook(opaque, op, f);
	}
	return done;
}

int fz_memfd(const char *name, const void *buf, size_t len, char path[64])
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (len && write(fd, buf, len) != (ssize_t)len) {
		close(fd);
		return -EIO;
	}
	snprintf(path, 64, "/proc/self/fd/%d", fd);
	return fd;
}
