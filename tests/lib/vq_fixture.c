// SPDX-License-Identifier: Apache-2.0
/*
 * vq_fixture.c - driver-side helpers and guest RAM for the virtqueue
 * unit tests; see vq_fixture.h for the contracts.
 */
#include <endian.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#define LOG_MOD "vqt"
#include "tests/lib/vq_fixture.h"
#include "vmm/log.h"

uint8_t *vqt_hva(struct vqt_fx *f, uint64_t gpa)
{
	uint8_t *p = guest_mem_ptr(&f->mem, gpa, 1);

	assert_non_null(p);
	return p;
}

void vqt_put16(struct vqt_fx *f, uint64_t gpa, uint16_t v)
{
	v = htole16(v);
	memcpy(vqt_hva(f, gpa), &v, 2);
}

uint16_t vqt_get16(struct vqt_fx *f, uint64_t gpa)
{
	uint16_t v;

	memcpy(&v, vqt_hva(f, gpa), 2);
	return le16toh(v);
}

uint32_t vqt_get32(struct vqt_fx *f, uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, vqt_hva(f, gpa), 4);
	return le32toh(v);
}

void vqt_desc_at(struct vqt_fx *f, uint64_t table, uint16_t i, uint64_t addr,
		 uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *p = vqt_hva(f, table + 16ull * i);
	uint64_t a = htole64(addr);
	uint32_t l = htole32(len);
	uint16_t fl = htole16(flags), n = htole16(next);

	memcpy(p, &a, 8);
	memcpy(p + 8, &l, 4);
	memcpy(p + 12, &fl, 2);
	memcpy(p + 14, &n, 2);
}

void vqt_desc(struct vqt_fx *f, uint16_t i, uint64_t addr, uint32_t len,
	      uint16_t flags, uint16_t next)
{
	vqt_desc_at(f, VQT_DESC_GPA, i, addr, len, flags, next);
}

void vqt_set_avail_idx(struct vqt_fx *f, uint16_t v)
{
	f->avail_idx = v;
	vqt_put16(f, VQT_AVAIL_GPA + 2, v);
}

void vqt_avail_add(struct vqt_fx *f, uint16_t head)
{
	vqt_put16(f, VQT_AVAIL_GPA + 4 + 2u * (f->avail_idx % f->size), head);
	vqt_set_avail_idx(f, f->avail_idx + 1);
}

uint64_t vqt_used_event_gpa(struct vqt_fx *f)
{
	return VQT_AVAIL_GPA + 4 + 2ull * f->size;
}

uint64_t vqt_avail_event_gpa(struct vqt_fx *f)
{
	return VQT_USED_GPA + 4 + 8ull * f->size;
}

void vqt_start(struct vqt_fx *f, uint16_t size, uint64_t features)
{
	f->size = size;
	vq_init(&f->q, &f->mem);
	assert_int_equal(vq_enable(&f->q, size, VQT_DESC_GPA, VQT_AVAIL_GPA,
				   VQT_USED_GPA, features),
			 0);
	f->avail_idx = vqt_get16(f, VQT_AVAIL_GPA + 2);
}

const char *vqt_log_text(struct vqt_fx *f)
{
	ssize_t n = pread(f->log_fd, f->log, sizeof(f->log) - 1, 0);

	assert_true(n >= 0);
	f->log[n] = 0;
	return f->log;
}

/*
 * The queue must refuse the current ring: -EINVAL, broken, nothing
 * consumed, one log line containing `why`, and no second line on retry.
 */
void vqt_expect_broken(struct vqt_fx *f, const char *why)
{
	uint16_t last = f->q.last_avail;
	size_t len;

	/* Forget earlier lines so that only this failure's line matches. */
	assert_int_equal(ftruncate(f->log_fd, 0), 0);
	assert_int_equal(lseek(f->log_fd, 0, SEEK_SET), 0);
	assert_int_equal(vq_pop(&f->q, &f->c), -EINVAL);
	assert_true(f->q.broken);
	assert_int_equal(f->q.last_avail, last);
	if (!strstr(vqt_log_text(f), why))
		fail_msg("log lacks \"%s\": %s", why, f->log);
	len = strlen(f->log);
	assert_int_equal(vq_pop(&f->q, &f->c), -EINVAL);
	assert_int_equal(strlen(vqt_log_text(f)), len);
}

void vqt_expect_buf(struct vqt_fx *f, unsigned int i, uint64_t gpa,
		    uint32_t len, int write)
{
	assert_true(i < f->c.nr);
	assert_ptr_equal(f->c.buf[i].addr, guest_mem_ptr(&f->mem, gpa, len));
	assert_int_equal(f->c.buf[i].len, len);
	assert_int_equal(f->c.buf[i].write, write);
}

int vqt_setup(void **state)
{
	struct vqt_fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->ram = aligned_alloc(4096, VQT_RAM_SIZE);
	f->ram2 = aligned_alloc(4096, VQT_RAM2_SIZE);
	if (!f->ram || !f->ram2)
		return -1;
	memset(f->ram, 0, VQT_RAM_SIZE);
	memset(f->ram2, 0, VQT_RAM2_SIZE);
	guest_mem_init(&f->mem);
	if (guest_mem_add_external(&f->mem, VQT_RAM_GPA, VQT_RAM_SIZE,
				   f->ram) ||
	    guest_mem_add_external(&f->mem, VQT_RAM2_GPA, VQT_RAM2_SIZE,
				   f->ram2))
		return -1;
	f->log_fd = memfd_create("vq-log", 0);
	if (f->log_fd < 0)
		return -1;
	log_set_fd(f->log_fd);
	*state = f;
	return 0;
}

int vqt_teardown(void **state)
{
	struct vqt_fx *f = *state;

	log_set_fd(2);
	close(f->log_fd);
	guest_mem_destroy(&f->mem);
	free(f->ram);
	free(f->ram2);
	free(f);
	return 0;
}
