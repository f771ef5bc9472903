// SPDX-License-Identifier: Apache-2.0
/*
 * test_virtqueue.c - split virtqueues against rings built in malloc'd
 * "guest RAM": normal chains, 16-bit wraparound, indirect tables, and
 * hostile rings (loops, indices out of range, nested or malformed
 * indirect tables, buffers outside RAM or straddling regions, lengths
 * that wrap, avail index jumps, bad direction order).  Each hostile case
 * must end in -EINVAL with the queue broken and one log line saying what
 * was wrong.  Also notification suppression both ways.
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

#include "devices/virtio/virtqueue.h"
#include "vmm/guest_mem.h"
#include "vmm/log.h"

/* Region A: 1 MiB at 1 MiB; region B: 64 KiB right after it (adjacent). */
#define RAM_GPA 0x100000ull
#define RAM_SIZE 0x100000ull
#define RAM2_GPA 0x200000ull
#define RAM2_SIZE 0x10000ull
#define HOLE_GPA 0x300000ull /* not RAM */
#define BIG_GPA 0x100000000ull
#define BIG_SIZE 0x80000000ull

#define DESC_GPA 0x100000ull
#define AVAIL_GPA 0x104000ull
#define USED_GPA 0x105000ull
#define DATA_GPA 0x110000ull
#define IND_GPA 0x120000ull

#define F_NEXT 1
#define F_WRITE 2
#define F_INDIRECT 4

#define FEAT_INDIRECT (1ull << VIRTIO_F_INDIRECT_DESC)
#define FEAT_EVENT_IDX (1ull << VIRTIO_F_EVENT_IDX)

struct fx {
	struct guest_mem mem;
	uint8_t *ram, *ram2;
	struct vq q;
	struct vq_chain c;
	uint16_t size;
	uint16_t avail_idx; /* the driver's shadow of avail->idx */
	int log_fd;
	char log[8192];
};

/* ---- Driver-side helpers ---- */

static uint8_t *hva(struct fx *f, uint64_t gpa)
{
	uint8_t *p = guest_mem_ptr(&f->mem, gpa, 1);

	assert_non_null(p);
	return p;
}

static void put16(struct fx *f, uint64_t gpa, uint16_t v)
{
	v = htole16(v);
	memcpy(hva(f, gpa), &v, 2);
}

static uint16_t get16(struct fx *f, uint64_t gpa)
{
	uint16_t v;

	memcpy(&v, hva(f, gpa), 2);
	return le16toh(v);
}

static uint32_t get32(struct fx *f, uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, hva(f, gpa), 4);
	return le32toh(v);
}

static void desc_at(struct fx *f, uint64_t table, uint16_t i, uint64_t addr,
		    uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *p = hva(f, table + 16ull * i);
	uint64_t a = htole64(addr);
	uint32_t l = htole32(len);
	uint16_t fl = htole16(flags), n = htole16(next);

	memcpy(p, &a, 8);
	memcpy(p + 8, &l, 4);
	memcpy(p + 12, &fl, 2);
	memcpy(p + 14, &n, 2);
}

static void desc(struct fx *f, uint16_t i, uint64_t addr, uint32_t len,
		 uint16_t flags, uint16_t next)
{
	desc_at(f, DESC_GPA, i, addr, len, flags, next);
}

static void set_avail_idx(struct fx *f, uint16_t v)
{
	f->avail_idx = v;
	put16(f, AVAIL_GPA + 2, v);
}

static void avail_add(struct fx *f, uint16_t head)
{
	put16(f, AVAIL_GPA + 4 + 2u * (f->avail_idx % f->size), head);
	set_avail_idx(f, f->avail_idx + 1);
}

static uint64_t used_event_gpa(struct fx *f)
{
	return AVAIL_GPA + 4 + 2ull * f->size;
}

static uint64_t avail_event_gpa(struct fx *f)
{
	return USED_GPA + 4 + 8ull * f->size;
}

static void start(struct fx *f, uint16_t size, uint64_t features)
{
	f->size = size;
	vq_init(&f->q, &f->mem);
	assert_int_equal(vq_enable(&f->q, size, DESC_GPA, AVAIL_GPA, USED_GPA,
				   features),
			 0);
	f->avail_idx = get16(f, AVAIL_GPA + 2);
}

static const char *log_text(struct fx *f)
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
static void expect_broken(struct fx *f, const char *why)
{
	uint16_t last = f->q.last_avail;
	size_t len;

	/* Forget earlier lines so that only this failure's line matches. */
	assert_int_equal(ftruncate(f->log_fd, 0), 0);
	assert_int_equal(lseek(f->log_fd, 0, SEEK_SET), 0);
	assert_int_equal(vq_pop(&f->q, &f->c), -EINVAL);
	assert_true(f->q.broken);
	assert_int_equal(f->q.last_avail, last);
	if (!strstr(log_text(f), why))
		fail_msg("log lacks \"%s\": %s", why, f->log);
	len = strlen(f->log);
	assert_int_equal(vq_pop(&f->q, &f->c), -EINVAL);
	assert_int_equal(strlen(log_text(f)), len);
}

static void expect_buf(struct fx *f, unsigned int i, uint64_t gpa, uint32_t len,
		       int write)
{
	assert_true(i < f->c.nr);
	assert_ptr_equal(f->c.buf[i].addr, guest_mem_ptr(&f->mem, gpa, len));
	assert_int_equal(f->c.buf[i].len, len);
	assert_int_equal(f->c.buf[i].write, write);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->ram = aligned_alloc(4096, RAM_SIZE);
	f->ram2 = aligned_alloc(4096, RAM2_SIZE);
	if (!f->ram || !f->ram2)
		return -1;
	memset(f->ram, 0, RAM_SIZE);
	memset(f->ram2, 0, RAM2_SIZE);
	guest_mem_init(&f->mem);
	if (guest_mem_add_external(&f->mem, RAM_GPA, RAM_SIZE, f->ram) ||
	    guest_mem_add_external(&f->mem, RAM2_GPA, RAM2_SIZE, f->ram2))
		return -1;
	f->log_fd = memfd_create("vq-log", 0);
	if (f->log_fd < 0)
		return -1;
	log_set_fd(f->log_fd);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	log_set_fd(2);
	close(f->log_fd);
	guest_mem_destroy(&f->mem);
	free(f->ram);
	free(f->ram2);
	free(f);
	return 0;
}

/* ---- Normal chains ---- */

static void test_single_buffer(void **state)
{
	struct fx *f = *state;

	start(f, 16, 0);
	assert_int_equal(vq_pop(&f->q, &f->c), -EAGAIN);
	desc(f, 5, DATA_GPA, 64, 0, 0);
	avail_add(f, 5);
	assert_int_equal(vq_pop(&f->q, &f->c), 0);
	assert_int_equal(f->c.head, 5);
	assert_int_equal(f->c.nr, 1);
	expect_buf(f, 0, DATA_GPA, 64, 0);
	assert_int_equal(f->c.out_len, 64);
	assert_int_equal(f->c.in_len, 0);
	assert_int_equal(f->q.last_avail, 1);
	assert_int_equal(vq_pop(&f->q, &f->c), -EAGAIN);
	assert_false(f->q.broken);
}

static void test_read_write_chain(void **state)
{
	struct fx *f = *state;

	start(f, 16, 0);
	desc(f, 0, DATA_GPA, 16, F_NEXT, 1);
	desc(f, 1, DATA_GPA + 0x100, 512, F_WRITE, 0);
	avail_add(f, 0);
	assert_int_equal(vq_pop(&f->q, &f->c), 0);
	assert_int_equal(f->c.nr, 2);
	expect_buf(f, 0, DATA_GPA, 16, 0);
	expect_buf(f, 1, DATA_GPA + 0x100, 512, 1);
	assert_int_equal(f->c.out_len, 16);
	assert_int_equal(f->c.in_len, 512);
}

static void test_three_desc_chain_and_batch(void **state)
{
	struct fx *f = *state;

	start(f, 16, 0);
	/* Scattered, non-sequential next indices. */
	desc(f, 9, DATA_GPA, 16, F_NEXT, 2);
	desc(f, 2, DATA_GPA + 0x1000, 4096, F_NEXT | F_WRITE, 15);
	desc(f, 15, DATA_GPA + 0x3000, 1, F_WRITE, 0);
	desc(f, 3, DATA_GPA + 0x4000, 8, 0, 0);
	avail_add(f, 9);
	avail_add(f, 3);
	assert_int_equal(vq_pop(&f->q, &f->c), 0);
	assert_int_equal(f->c.head, 9);
	assert_int_equal(f->c.nr, 3);
	expect_buf(f, 0, DATA_GPA, 16, 0);
	expect_buf(f, 1, DATA_GPA + 0x1000, 4096, 1);
	expect_buf(f, 2, DATA_GPA + 0x3000, 1, 1);
	assert_int_equal(f->c.out_len, 16);
	assert_int_equal(f->c.in_len, 4097);
	assert_int_equal(vq_pop(&f->q, &f->c), 0);
	assert_int_equal(f->c.head, 3);
	assert_int_equal(f->c.nr, 1);
	assert_int_equal(vq_pop(&f->q, &f->c), -EAGAIN);
}

static void test_small_ring_slots(void **state)
{
	struct fx *f = *state;
	unsigned int i;

	/* Size 4: slots repeat every 4 chains, for avail and used alike. */
	start(f, 4, 0);
	for (i = 0; i < 4; i++)
		desc(f, i, DATA_GPA + i * 0x100, 8 + i, 0, 0);
	for (i = 0; i < 10; i++) {
		avail_add(f, (i * 3) % 4);
		assert_int_equal(vq_pop(&f->q, &f->c), 0);
		assert_int_equal(f->c.head, (i * 3) % 4);
		expect_buf(f, 0, DATA_GPA + ((i * 3) % 4) * 0x100,
			   8 + (i * 3) % 4, 0);
		assert_int_equal(vq_push(&f->q, f->c.head, i), 0);
		assert_int_equal(get32(f, USED_GPA + 4 + 8 * (i % 4)),
				 (i * 3) % 4);
		assert_int_equal(get32(f, USED_GPA + 8 + 8 * (i % 4)), i);
	}
	assert_int_equal(get16(f, USED_GPA + 2), 10);
	assert_int_equal(vq_pop(&f->q, &f->c), -EAGAIN);
}

static void test_wraparound(void **state)
{
	struct fx *f = *state;
	uint16_t heads[3] = { 4, 7, 1 };
	unsigned int i;

	start(f, 16, 0);
	/* Driver and device both near the 16-bit wrap. */
	f->q.last_avail = 65534;
	f->q.used_idx = 65534;
	set_avail_idx(f, 65534);
	for (i = 0; i < 3; i++) {
		desc(f, heads[i], DATA_GPA + i * 0x100, 8, 0, 0);
		avail_add(f, heads[i]);
	}
	assert_int_equal(get16(f, AVAIL_GPA + 2), 1);
	for (i = 0; i < 3; i++) {
		assert_int_equal(vq_pop(&f->q, &f->c), 0);
		assert_int_equal(f->c.head, heads[i]);
		expect_buf(f, 0, DATA_GPA + i * 0x100, 8, 0);
		assert_int_equal(vq_push(&f->q, f->c.head, i), 0);
	}
	assert_int_equal(vq_pop(&f->q, &f->c), -EAGAIN);
	assert_int_equal(f->q.last_avail, 1);
	/* Used slots 14, 15, 0 and the used index wrapped to 1. */
	assert_int_equal(get32(f, USED_GPA + 4 + 8 * 14), 4);
	assert_int_equal(get32(f, USED_GPA + 4 + 8 * 15), 7);
	assert_int_equal(get32(f, USED_GPA + 4 + 8 * 15 + 4), 1);
	assert_int_equal(get32(f, USED_GPA + 4), 1);
	assert_int_equal(get32(f, USED_GPA + 4 + 4), 2);
	assert_int_equal(get16(f, USED_GPA + 2), 1);

	/* A full ring across the wrap is fine; one more is a jump. */
	vq_init(&f->q, &f->mem);
	start(f, 16, 0);
	f->q.last_avail = 65530;
	desc(f, 0, DATA_GPA, 8, 0, 0);
	set_avail_idx(f, (uint16_t)(65530 + 16));
	assert_int_equal(vq_pop(&f->q, &f->c), 0);
	f->q.last_avail = 65530;
	set_avail_idx(f, (uint16_t)(65530 + 17));
	expect_broken(f, "ahead");
}

/* ---- Indirect tables ---- */

static void test_indirect_valid(void **state)
{
	struct fx *f = *state;

	start(f, 16, FEAT_INDIRECT);
	desc_at(f, IND_GPA, 0, DATA_GPA, 16, F_NEXT, 2);
	desc_at(f, IND_GPA, 2, DATA_GPA + 0x100, 100, F_NEXT | F_WRITE, 1);
	desc_at(f, IND_GPA, 1, DATA_GPA + 0x200, 1, F_WRITE, 0);
	/* WRITE on the table descriptor itself must be ignored. */
	desc(f, 3, IND_GPA, 3 * 16, F_INDIRECT | F_WRITE, 0);
	avail_add(f, 3);
	assert_int_equal(vq_pop(&f->q, &f->c), 0);
	assert_int_equal(f->c.head, 3);
	assert_int_equal(f->c.nr, 3);
	expect_buf(f, 0, DATA_GPA, 16, 0);
	expect_buf(f, 1, DATA_GPA + 0x100, 100, 1);
	expect_buf(f, 2, DATA_GPA + 0x200, 1, 1);
	assert_int_equal(f->c.out_len, 16);
	assert_int_equal(f->c.in_len, 101);

	/* Direct descriptors followed by an indirect one (spec: valid). */
	desc(f, 4, DATA_GPA + 0x300, 32, F_NEXT, 6);
	desc(f, 6, IND_GPA + 0x104, 16, F_INDIRECT, 0); /* unaligned table */
	desc_at(f, IND_GPA + 0x104, 0, DATA_GPA + 0x400, 8, F_WRITE, 0);
	avail_add(f, 4);
	assert_int_equal(vq_pop(&f->q, &f->c), 0);
	assert_int_equal(f->c.head, 4);
	assert_int_equal(f->c.nr, 2);
	expect_buf(f, 0, DATA_GPA + 0x300, 32, 0);
	expect_buf(f, 1, DATA_GPA + 0x400, 8, 1);
}

static void test_indirect_full_table_limit(void **state)
{
	struct fx *f = *state;
	uint16_t i;

	start(f, 16, FEAT_INDIRECT);
	for (i = 0; i < 16; i++)
		desc_at(f, IND_GPA, i, DATA_GPA + i * 16, 16,
			i < 15 ? F_NEXT : 0, i + 1);
	desc(f, 0, IND_GPA, 16 * 16, F_INDIRECT, 0);
	avail_add(f, 0);
	assert_int_equal(vq_pop(&f->q, &f->c), 0);
	assert_int_equal(f->c.nr, 16);
	assert_int_equal(f->c.out_len, 256);
	/* One direct buffer in front makes 17 > size. */
	desc(f, 1, DATA_GPA + 0x800, 4, F_NEXT, 0);
	avail_add(f, 1);
	expect_broken(f, "longer than 16");
}

static void test_indirect_nested(void **state)
{
	struct fx *f = *state;

	start(f, 16, FEAT_INDIRECT);
	desc_at(f, IND_GPA, 0, DATA_GPA, 16, F_NEXT, 1);
	desc_at(f, IND_GPA, 1, IND_GPA, 32, F_INDIRECT, 0);
	desc(f, 0, IND_GPA, 32, F_INDIRECT, 0);
	avail_add(f, 0);
	expect_broken(f, "nested indirect");
}

static void check_bad_table(struct fx *f, uint64_t addr, uint32_t len,
			    uint16_t flags, uint64_t features, const char *why)
{
	vq_reset(&f->q);
	start(f, 16, features);
	desc_at(f, IND_GPA, 0, DATA_GPA, 16, 0, 0);
	desc(f, 0, addr, len, flags, 1);
	desc(f, 1, DATA_GPA, 16, F_WRITE, 0);
	set_avail_idx(f, 0);
	avail_add(f, 0);
	expect_broken(f, why);
}

static void test_indirect_bad(void **state)
{
	struct fx *f = *state;

	vq_init(&f->q, &f->mem);
	check_bad_table(f, IND_GPA, 0, F_INDIRECT, FEAT_INDIRECT,
			"bad table length 0");
	check_bad_table(f, IND_GPA, 17, F_INDIRECT, FEAT_INDIRECT,
			"bad table length 17");
	check_bad_table(f, IND_GPA, 8, F_INDIRECT, FEAT_INDIRECT,
			"bad table length 8");
	check_bad_table(f, IND_GPA, 17 * 16, F_INDIRECT, FEAT_INDIRECT,
			"bad table length 272");
	check_bad_table(f, IND_GPA, 16, F_INDIRECT | F_NEXT, FEAT_INDIRECT,
			"has NEXT set");
	check_bad_table(f, IND_GPA, 16, F_INDIRECT, 0, "not negotiated");
	check_bad_table(f, HOLE_GPA, 16, F_INDIRECT, FEAT_INDIRECT,
			"not in one RAM region");
	check_bad_table(f, RAM2_GPA - 16, 32, F_INDIRECT, FEAT_INDIRECT,
			"not in one RAM region");
}

static void test_indirect_next_and_loop(void **state)
{
	struct fx *f = *state;

	/* next within the queue size but beyond the 3-entry table. */
	start(f, 16, FEAT_INDIRECT);
	desc_at(f, IND_GPA, 0, DATA_GPA, 16, F_NEXT, 3);
	desc(f, 0, IND_GPA, 3 * 16, F_INDIRECT, 0);
	avail_add(f, 0);
	expect_broken(f, "next 3 >= 3");

	vq_reset(&f->q);
	start(f, 16, FEAT_INDIRECT);
	desc_at(f, IND_GPA, 0, DATA_GPA, 16, F_NEXT, 1);
	desc_at(f, IND_GPA, 1, DATA_GPA, 16, F_NEXT, 0);
	set_avail_idx(f, 0);
	avail_add(f, 0);
	expect_broken(f, "loop");

	/* Readable after writable inside the table. */
	vq_reset(&f->q);
	start(f, 16, FEAT_INDIRECT);
	desc_at(f, IND_GPA, 0, DATA_GPA, 16, F_NEXT | F_WRITE, 1);
	desc_at(f, IND_GPA, 1, DATA_GPA, 16, 0, 0);
	desc(f, 0, IND_GPA, 2 * 16, F_INDIRECT, 0);
	set_avail_idx(f, 0);
	avail_add(f, 0);
	expect_broken(f, "readable indirect desc 1 after a writable");
}

/* ---- Hostile direct chains ---- */

static void test_loops(void **state)
{
	struct fx *f = *state;

	start(f, 16, 0);
	desc(f, 7, DATA_GPA, 16, F_NEXT, 7);
	avail_add(f, 7);
	expect_broken(f, "loop");

	vq_reset(&f->q);
	start(f, 16, 0);
	desc(f, 0, DATA_GPA, 16, F_NEXT, 1);
	desc(f, 1, DATA_GPA, 16, F_NEXT, 0);
	set_avail_idx(f, 0);
	avail_add(f, 0);
	expect_broken(f, "longer than 16");

	/* A loop of zero-length descriptors must still be caught. */
	vq_reset(&f->q);
	start(f, 16, 0);
	desc(f, 0, 0, 0, F_NEXT, 0);
	set_avail_idx(f, 0);
	avail_add(f, 0);
	expect_broken(f, "loop");
}

static void test_longest_chain_ok(void **state)
{
	struct fx *f = *state;
	uint16_t i;

	start(f, 16, 0);
	for (i = 0; i < 16; i++)
		desc(f, i, DATA_GPA + i * 16, 16, i < 15 ? F_NEXT : 0, i + 1);
	avail_add(f, 0);
	assert_int_equal(vq_pop(&f->q, &f->c), 0);
	assert_int_equal(f->c.nr, 16);
	expect_buf(f, 15, DATA_GPA + 15 * 16, 16, 0);
}

static void test_index_ranges(void **state)
{
	struct fx *f = *state;

	start(f, 16, 0);
	desc(f, 0, DATA_GPA, 16, F_NEXT, 16);
	avail_add(f, 0);
	expect_broken(f, "next 16 >= 16");

	vq_reset(&f->q);
	start(f, 16, 0);
	set_avail_idx(f, 0);
	avail_add(f, 16);
	expect_broken(f, "head 16 >= size 16");

	vq_reset(&f->q);
	start(f, 16, 0);
	set_avail_idx(f, 0);
	avail_add(f, 0xffff);
	expect_broken(f, "head 65535");
}

static void test_avail_jump(void **state)
{
	struct fx *f = *state;

	start(f, 16, 0);
	desc(f, 0, DATA_GPA, 16, 0, 0);
	set_avail_idx(f, 17);
	expect_broken(f, "avail idx 17 is 17 ahead");

	/* Exactly a full ring is legal. */
	vq_reset(&f->q);
	start(f, 16, 0);
	set_avail_idx(f, 16);
	assert_int_equal(vq_pop(&f->q, &f->c), 0);
	/* A "backwards" index is a jump of nearly 65536. */
	vq_reset(&f->q);
	start(f, 16, 0);
	f->q.last_avail = 5;
	set_avail_idx(f, 4);
	expect_broken(f, "ahead");
}

static void check_bad_buf(struct fx *f, uint64_t addr, uint32_t len,
			  const char *why)
{
	vq_reset(&f->q);
	start(f, 16, 0);
	desc(f, 0, DATA_GPA, 16, F_NEXT, 1);
	desc(f, 1, addr, len, F_WRITE, 0);
	set_avail_idx(f, 0);
	avail_add(f, 0);
	expect_broken(f, why);
}

static void check_good_buf(struct fx *f, uint64_t addr, uint32_t len)
{
	vq_reset(&f->q);
	start(f, 16, 0);
	desc(f, 0, addr, len, 0, 0);
	set_avail_idx(f, 0);
	avail_add(f, 0);
	assert_int_equal(vq_pop(&f->q, &f->c), 0);
	expect_buf(f, 0, addr, len, 0);
}

static void test_buffers_outside_ram(void **state)
{
	struct fx *f = *state;

	vq_init(&f->q, &f->mem);
	check_bad_buf(f, HOLE_GPA, 16, "buffer 0x300000+16 not in one RAM");
	check_bad_buf(f, 0, 16, "not in one RAM region");
	/* Partly past the end of the last region. */
	check_bad_buf(f, RAM2_GPA + RAM2_SIZE - 8, 16, "not in one RAM");
	/* Straddling the two adjacent regions. */
	check_bad_buf(f, RAM2_GPA - 8, 16, "buffer 0x1ffff8+16 not in one");
	/* addr + len past 2^64. */
	check_bad_buf(f, UINT64_MAX - 0xff, 0x200, "wraps past 2^64");
	/* Controls: the same edges from inside. */
	check_good_buf(f, RAM2_GPA - 16, 16);
	check_good_buf(f, RAM2_GPA, 16);
	check_good_buf(f, RAM2_GPA + RAM2_SIZE - 16, 16);
}

static void test_total_length_overflow(void **state)
{
	struct fx *f = *state;

	/* 2 GiB of address space only; never touched. */
	assert_int_equal(guest_mem_add(&f->mem, BIG_GPA, BIG_SIZE, NULL), 0);
	start(f, 16, 0);
	desc(f, 0, BIG_GPA, 0x80000000u, F_NEXT, 1);
	desc(f, 1, BIG_GPA, 0x7fffffffu, F_WRITE, 0);
	avail_add(f, 0);
	assert_int_equal(vq_pop(&f->q, &f->c), 0);
	assert_int_equal(f->c.out_len, 0x80000000u);
	assert_int_equal(f->c.in_len, 0x7fffffffu);

	desc(f, 1, BIG_GPA, 0x80000000u, F_WRITE, 0);
	avail_add(f, 0);
	expect_broken(f, "total length exceeds 4 GiB");
}

static void test_readable_after_writable(void **state)
{
	struct fx *f = *state;

	start(f, 16, 0);
	desc(f, 0, DATA_GPA, 16, F_NEXT, 1);
	desc(f, 1, DATA_GPA + 16, 16, F_NEXT | F_WRITE, 2);
	desc(f, 2, DATA_GPA + 32, 16, 0, 0);
	avail_add(f, 0);
	expect_broken(f, "readable desc 2 after a writable");
}

static void test_zero_length(void **state)
{
	struct fx *f = *state;

	start(f, 16, 0);
	/* The zero-length one points nowhere and is simply left out. */
	desc(f, 0, DATA_GPA, 16, F_NEXT, 1);
	desc(f, 1, HOLE_GPA, 0, F_NEXT, 2);
	desc(f, 2, DATA_GPA + 64, 4, F_NEXT | F_WRITE, 3);
	desc(f, 3, UINT64_MAX, 0, F_WRITE, 0);
	avail_add(f, 0);
	assert_int_equal(vq_pop(&f->q, &f->c), 0);
	assert_int_equal(f->c.nr, 2);
	expect_buf(f, 0, DATA_GPA, 16, 0);
	expect_buf(f, 1, DATA_GPA + 64, 4, 1);
	assert_int_equal(f->c.out_len, 16);
	assert_int_equal(f->c.in_len, 4);

	/* Only zero-length buffers: an empty chain, still consumed. */
	desc(f, 5, DATA_GPA, 0, 0, 0);
	avail_add(f, 5);
	assert_int_equal(vq_pop(&f->q, &f->c), 0);
	assert_int_equal(f->c.head, 5);
	assert_int_equal(f->c.nr, 0);

	/* Direction order applies to them too. */
	desc(f, 6, DATA_GPA, 4, F_NEXT | F_WRITE, 7);
	desc(f, 7, DATA_GPA, 0, 0, 0);
	avail_add(f, 6);
	expect_broken(f, "readable desc 7 after a writable");
}

static void test_empty_and_not_ready(void **state)
{
	struct fx *f = *state;

	vq_init(&f->q, &f->mem);
	f->size = 16;
	assert_int_equal(vq_pop(&f->q, &f->c), -EAGAIN);
	assert_int_equal(vq_push(&f->q, 0, 0), -EINVAL);
	assert_false(vq_should_notify(&f->q));
	assert_false(vq_enable_notify(&f->q, true));
	start(f, 16, 0);
	assert_int_equal(vq_pop(&f->q, &f->c), -EAGAIN);
	assert_int_equal(vq_pop(&f->q, &f->c), -EAGAIN);
	assert_false(f->q.broken);
	assert_string_equal(log_text(f), "");
}

static void test_broken_until_reset(void **state)
{
	struct fx *f = *state;

	start(f, 16, FEAT_EVENT_IDX);
	desc(f, 0, HOLE_GPA, 16, 0, 0);
	avail_add(f, 0);
	expect_broken(f, "not in one RAM region");
	/* Repairing the ring does not help: the device needs a reset. */
	desc(f, 0, DATA_GPA, 16, 0, 0);
	assert_int_equal(vq_pop(&f->q, &f->c), -EINVAL);
	assert_int_equal(vq_push(&f->q, 0, 0), -EINVAL);
	assert_int_equal(get16(f, USED_GPA + 2), 0);
	assert_false(vq_should_notify(&f->q));
	assert_false(vq_enable_notify(&f->q, true));

	vq_reset(&f->q);
	assert_false(f->q.broken);
	assert_false(f->q.ready);
	assert_ptr_equal(f->q.mem, &f->mem);
	assert_int_equal(vq_pop(&f->q, &f->c), -EAGAIN);
	assert_int_equal(vq_enable(&f->q, 16, DESC_GPA, AVAIL_GPA, USED_GPA,
				   FEAT_EVENT_IDX),
			 0);
	assert_int_equal(vq_pop(&f->q, &f->c), 0);
	expect_buf(f, 0, DATA_GPA, 16, 0);
}

/* ---- Setup checks ---- */

static void test_enable_checks(void **state)
{
	struct fx *f = *state;
	struct vq *q = &f->q;
	uint16_t bad_sizes[] = { 0, 3, 6, 100, 2048, 0x8000 };
	unsigned int i;

	vq_init(q, &f->mem);
	for (i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++)
		assert_int_equal(vq_enable(q, bad_sizes[i], DESC_GPA, AVAIL_GPA,
					   USED_GPA, 0),
				 -EINVAL);
	/* Alignment 16 / 2 / 4. */
	assert_int_equal(vq_enable(q, 16, DESC_GPA + 8, AVAIL_GPA, USED_GPA, 0),
			 -EINVAL);
	assert_int_equal(vq_enable(q, 16, DESC_GPA, AVAIL_GPA + 1, USED_GPA, 0),
			 -EINVAL);
	assert_int_equal(vq_enable(q, 16, DESC_GPA, AVAIL_GPA, USED_GPA + 2, 0),
			 -EINVAL);
	/* Outside RAM, straddling regions, one byte short at the end. */
	assert_int_equal(vq_enable(q, 16, HOLE_GPA, AVAIL_GPA, USED_GPA, 0),
			 -EINVAL);
	assert_int_equal(vq_enable(q, 16, RAM2_GPA - 128, AVAIL_GPA, USED_GPA,
				   0),
			 -EINVAL);
	assert_int_equal(vq_enable(q, 16, DESC_GPA, AVAIL_GPA,
				   RAM2_GPA + RAM2_SIZE - 132, 0),
			 -EINVAL);
	assert_int_equal(vq_enable(q, 16, DESC_GPA, RAM2_GPA + RAM2_SIZE - 36,
				   USED_GPA, 0),
			 -EINVAL);
	assert_int_equal(vq_enable(q, 16, DESC_GPA, UINT64_MAX - 1, USED_GPA,
				   0),
			 -EINVAL);
	assert_false(q->ready);
	assert_int_equal(vq_pop(q, &f->c), -EAGAIN);

	/* Exactly fitting rings at region ends, and the size extremes. */
	assert_int_equal(vq_enable(q, 16, RAM2_GPA - 256,
				   RAM2_GPA + RAM2_SIZE - 38,
				   RAM2_GPA + RAM2_SIZE - 300, 0),
			 0);
	assert_true(q->ready);
	assert_int_equal(vq_enable(q, 1, DESC_GPA, AVAIL_GPA, USED_GPA, 0), 0);
	assert_int_equal(vq_enable(q, VQ_MAX_SIZE, DESC_GPA, AVAIL_GPA + 0x4000,
				   USED_GPA + 0x4000,
				   FEAT_EVENT_IDX | FEAT_INDIRECT),
			 0);
	assert_int_equal(q->size, VQ_MAX_SIZE);
	assert_true(q->event_idx);
	assert_true(q->indirect);

	/*
	 * Host memory 8 bytes off its gpa's alignment (a caller bug, but
	 * the exact-width accesses need it): refused rather than risked;
	 * a gpa-misaligned table is refused even where the host side
	 * happens to be aligned.
	 */
	guest_mem_init(&f->mem);
	assert_int_equal(guest_mem_add_external(&f->mem, RAM_GPA, 0x10000,
						f->ram + 8),
			 0);
	vq_init(q, &f->mem);
	assert_int_equal(vq_enable(q, 16, DESC_GPA, AVAIL_GPA, USED_GPA, 0),
			 -EINVAL);
	assert_int_equal(vq_enable(q, 16, DESC_GPA + 8, AVAIL_GPA, USED_GPA, 0),
			 -EINVAL);
	assert_int_equal(vq_enable(q, 16, DESC_GPA + 16, AVAIL_GPA, USED_GPA,
				   0),
			 -EINVAL);

	/* No guest memory at all. */
	vq_init(q, NULL);
	assert_int_equal(vq_enable(q, 16, DESC_GPA, AVAIL_GPA, USED_GPA, 0),
			 -EINVAL);
}

/* ---- Used ring and notifications ---- */

static void test_push(void **state)
{
	struct fx *f = *state;

	start(f, 8, 0);
	desc(f, 6, DATA_GPA, 16, F_WRITE, 0);
	avail_add(f, 6);
	assert_int_equal(vq_pop(&f->q, &f->c), 0);
	assert_int_equal(vq_push(&f->q, f->c.head, 12), 0);
	assert_int_equal(get32(f, USED_GPA + 4), 6);
	assert_int_equal(get32(f, USED_GPA + 8), 12);
	assert_int_equal(get16(f, USED_GPA + 2), 1);
	assert_int_equal(f->q.used_idx, 1);

	assert_int_equal(vq_push(&f->q, 3, 0xdeadbeef), 0);
	assert_int_equal(get32(f, USED_GPA + 12), 3);
	assert_int_equal(get32(f, USED_GPA + 16), 0xdeadbeef);
	assert_int_equal(get16(f, USED_GPA + 2), 2);

	/* Out-of-range head: refused, nothing written. */
	assert_int_equal(vq_push(&f->q, 8, 1), -EINVAL);
	assert_int_equal(get32(f, USED_GPA + 20), 0);
	assert_int_equal(get16(f, USED_GPA + 2), 2);

	/* Slot is used_idx modulo size. */
	f->q.used_idx = 0xffff;
	assert_int_equal(vq_push(&f->q, 1, 5), 0);
	assert_int_equal(get32(f, USED_GPA + 4 + 8 * 7), 1);
	assert_int_equal(get32(f, USED_GPA + 4 + 8 * 7 + 4), 5);
	assert_int_equal(get16(f, USED_GPA + 2), 0);
}

static void test_notify_no_event_idx(void **state)
{
	struct fx *f = *state;

	start(f, 16, 0);
	assert_int_equal(vq_push(&f->q, 0, 0), 0);
	assert_true(vq_should_notify(&f->q));
	put16(f, AVAIL_GPA, 1); /* VRING_AVAIL_F_NO_INTERRUPT */
	assert_int_equal(vq_push(&f->q, 0, 0), 0);
	assert_false(vq_should_notify(&f->q));
	/* used_event is not looked at without EVENT_IDX. */
	put16(f, used_event_gpa(f), 1);
	assert_int_equal(vq_push(&f->q, 0, 0), 0);
	assert_false(vq_should_notify(&f->q));
	put16(f, AVAIL_GPA, 0);
	assert_int_equal(vq_push(&f->q, 0, 0), 0);
	assert_true(vq_should_notify(&f->q));
}

static void push_n(struct fx *f, unsigned int n)
{
	while (n--)
		assert_int_equal(vq_push(&f->q, 0, 0), 0);
}

static void test_notify_event_idx(void **state)
{
	struct fx *f = *state;

	start(f, 16, FEAT_EVENT_IDX);
	/* First signal always goes out (no previous one to compare). */
	put16(f, used_event_gpa(f), 100);
	push_n(f, 1);
	assert_true(vq_should_notify(&f->q));
	assert_int_equal(f->q.signalled_used, 1);
	/* Nothing new since: no signal. */
	assert_false(vq_should_notify(&f->q));

	/* used_event == old: the entry written at index old -> signal. */
	put16(f, used_event_gpa(f), 1);
	push_n(f, 1);
	assert_true(vq_should_notify(&f->q));
	/* used_event one beyond what was written: not yet. */
	put16(f, used_event_gpa(f), 3);
	push_n(f, 1); /* wrote index 2 */
	assert_false(vq_should_notify(&f->q));
	/* A batch that crosses used_event (3) -> signal. */
	push_n(f, 3); /* wrote 3, 4, 5 */
	assert_true(vq_should_notify(&f->q));
	/* used_event already behind the batch: no signal. */
	put16(f, used_event_gpa(f), 4);
	push_n(f, 2); /* wrote 6, 7 */
	assert_false(vq_should_notify(&f->q));
	/* Last entry of the batch equal to used_event: signal. */
	put16(f, used_event_gpa(f), 9);
	push_n(f, 2); /* wrote 8, 9 */
	assert_true(vq_should_notify(&f->q));
	/* NO_INTERRUPT is ignored with EVENT_IDX. */
	put16(f, AVAIL_GPA, 1);
	put16(f, used_event_gpa(f), 10);
	push_n(f, 1);
	assert_true(vq_should_notify(&f->q));
	put16(f, AVAIL_GPA, 0);

	/* Across the 16-bit wrap. */
	f->q.used_idx = 0xffff;
	f->q.signalled_used = 0xffff;
	put16(f, used_event_gpa(f), 0xffff);
	push_n(f, 1);
	assert_int_equal(f->q.used_idx, 0);
	assert_true(vq_should_notify(&f->q));
	put16(f, used_event_gpa(f), 0xfffe);
	push_n(f, 2);
	assert_false(vq_should_notify(&f->q));
	put16(f, used_event_gpa(f), 3);
	f->q.used_idx = 0xfffe;
	f->q.signalled_used = 0xfffe;
	push_n(f, 6); /* 0xfffe .. 3 */
	assert_true(vq_should_notify(&f->q));

	/* After a reset the first signal goes out again. */
	vq_reset(&f->q);
	start(f, 16, FEAT_EVENT_IDX);
	put16(f, used_event_gpa(f), 200);
	push_n(f, 1);
	assert_true(vq_should_notify(&f->q));
}

static void test_enable_notify(void **state)
{
	struct fx *f = *state;

	start(f, 16, 0);
	put16(f, avail_event_gpa(f), 0x1234);
	assert_false(vq_enable_notify(&f->q, false));
	assert_int_equal(get16(f, USED_GPA), 1); /* VRING_USED_F_NO_NOTIFY */
	desc(f, 0, DATA_GPA, 16, 0, 0);
	avail_add(f, 0);
	assert_true(vq_enable_notify(&f->q, true));
	assert_int_equal(get16(f, USED_GPA), 0);
	assert_int_equal(get16(f, avail_event_gpa(f)), 0x1234);
	assert_int_equal(vq_pop(&f->q, &f->c), 0);
	assert_false(vq_enable_notify(&f->q, true));

	vq_reset(&f->q);
	start(f, 16, FEAT_EVENT_IDX);
	set_avail_idx(f, 0);
	put16(f, avail_event_gpa(f), 0x1234);
	/* Popping never publishes avail_event by itself. */
	avail_add(f, 0);
	avail_add(f, 0);
	assert_int_equal(vq_pop(&f->q, &f->c), 0);
	assert_int_equal(get16(f, avail_event_gpa(f)), 0x1234);
	/* On: avail_event = last_avail, flags stay 0, one still pending. */
	assert_true(vq_enable_notify(&f->q, true));
	assert_int_equal(get16(f, avail_event_gpa(f)), 1);
	assert_int_equal(get16(f, USED_GPA), 0);
	assert_int_equal(vq_pop(&f->q, &f->c), 0);
	assert_false(vq_enable_notify(&f->q, true));
	assert_int_equal(get16(f, avail_event_gpa(f)), 2);
	/* Off: nothing is written. */
	put16(f, avail_event_gpa(f), 0x1234);
	assert_false(vq_enable_notify(&f->q, false));
	assert_int_equal(get16(f, avail_event_gpa(f)), 0x1234);
	assert_int_equal(get16(f, USED_GPA), 0);
	avail_add(f, 0);
	assert_true(vq_enable_notify(&f->q, false));
	assert_int_equal(get16(f, avail_event_gpa(f)), 0x1234);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_single_buffer),
		T(test_read_write_chain),
		T(test_three_desc_chain_and_batch),
		T(test_small_ring_slots),
		T(test_wraparound),
		T(test_indirect_valid),
		T(test_indirect_full_table_limit),
		T(test_indirect_nested),
		T(test_indirect_bad),
		T(test_indirect_next_and_loop),
		T(test_loops),
		T(test_longest_chain_ok),
		T(test_index_ranges),
		T(test_avail_jump),
		T(test_buffers_outside_ram),
		T(test_total_length_overflow),
		T(test_readable_after_writable),
		T(test_zero_length),
		T(test_empty_and_not_ready),
		T(test_broken_until_reset),
		T(test_enable_checks),
		T(test_push),
		T(test_notify_no_event_idx),
		T(test_notify_event_idx),
		T(test_enable_notify),
#undef T
	};

	/* A walk that never ends (undetected loop) fails the run. */
	alarm(60);
	return cmocka_run_group_tests_name("virtqueue", tests, NULL, NULL);
}
