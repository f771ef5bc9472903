// SPDX-License-Identifier: Apache-2.0
/*
 * test_bus.c - devices/bus.c and devices/irq.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/bus.h"
#include "devices/irq.h"
#include "vmm/log.h"

#define MAX_CALLS 16

/* A device that records every callback it receives. */
struct rec {
	int id;
	unsigned int n;
	struct {
		int write;
		uint64_t off;
		uint32_t len;
		uint8_t data[8];
	} call[MAX_CALLS];
	int ret; /* returned by the callbacks */
};

static void rec_log(struct rec *r, int write, uint64_t off, const void *data,
		    uint32_t len)
{
	assert_true(r->n < MAX_CALLS);
	assert_true(len >= 1 && len <= 8);
	r->call[r->n].write = write;
	r->call[r->n].off = off;
	r->call[r->n].len = len;
	if (write)
		memcpy(r->call[r->n].data, data, len);
	r->n++;
}

/* Reads return bytes (off + i) so tests can see which offset was read. */
static int rec_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct rec *r = opaque;
	uint8_t *p = data;
	uint32_t i;

	rec_log(r, 0, off, NULL, len);
	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(off + i);
	return r->ret;
}

static int rec_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	rec_log(opaque, 1, off, data, len);
	return ((struct rec *)opaque)->ret;
}

static const struct io_ops any_ops = {
	.read = rec_read,
	.write = rec_write,
};

static int setup(void **state)
{
	struct bus *b = calloc(1, sizeof(*b));

	if (!b || bus_init(b, "test"))
		return -1;
	log_set_level(LOG_ERR); /* keep expected warnings out of the output */
	*state = b;
	return 0;
}

static int teardown(void **state)
{
	bus_destroy(*state);
	free(*state);
	return 0;
}

static void assert_all_ones(const uint8_t *p, uint32_t len)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		assert_int_equal(p[i], 0xff);
}

static void test_edges(void **state)
{
	struct bus *b = *state;
	struct rec r = { 0 };
	uint8_t v[4];

	assert_int_equal(bus_register(b, 0x100, 0x10, &any_ops, &r, "r"), 0);
	assert_int_equal(bus_access(b, 0x100, v, 1, 0), 0);
	assert_int_equal(v[0], 0x00);
	assert_int_equal(bus_access(b, 0x10f, v, 1, 0), 0);
	assert_int_equal(v[0], 0x0f);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.call[1].off, 0xf);

	assert_int_equal(bus_access(b, 0xff, v, 1, 0), -ENOENT);
	assert_all_ones(v, 1);
	assert_int_equal(bus_access(b, 0x110, v, 1, 0), -ENOENT);
	assert_all_ones(v, 1);
	assert_int_equal(r.n, 2);
}

static void test_overlap(void **state)
{
	struct bus *b = *state;
	struct rec r = { 0 };

	assert_int_equal(bus_register(b, 0x100, 0x10, &any_ops, &r, "a"), 0);
	/* Every kind of overlap. */
	assert_int_equal(bus_register(b, 0x100, 0x10, &any_ops, &r, "x"),
			 -EEXIST);
	assert_int_equal(bus_register(b, 0x10f, 1, &any_ops, &r, "x"), -EEXIST);
	assert_int_equal(bus_register(b, 0xf0, 0x11, &any_ops, &r, "x"),
			 -EEXIST);
	assert_int_equal(bus_register(b, 0x104, 4, &any_ops, &r, "x"), -EEXIST);
	assert_int_equal(bus_register(b, 0, 0x1000, &any_ops, &r, "x"),
			 -EEXIST);
	/* Adjacent on both sides is fine. */
	assert_int_equal(bus_register(b, 0xf0, 0x10, &any_ops, &r, "lo"), 0);
	assert_int_equal(bus_register(b, 0x110, 0x10, &any_ops, &r, "hi"), 0);
	assert_int_equal(b->nr, 3);
	/* Overlapping the upper neighbour only. */
	assert_int_equal(bus_register(b, 0x120, 0x10, &any_ops, &r, "x"), 0);
	assert_int_equal(bus_register(b, 0x11f, 2, &any_ops, &r, "x"), -EEXIST);
}

static void test_invalid(void **state)
{
	struct bus *b = *state;
	struct rec r = { 0 };
	uint8_t v[2];

	assert_int_equal(bus_register(b, 0x100, 0, &any_ops, &r, "x"), -EINVAL);
	assert_int_equal(bus_register(b, UINT64_MAX, 2, &any_ops, &r, "x"),
			 -EINVAL);
	assert_int_equal(bus_register(b, 2, UINT64_MAX, &any_ops, &r, "x"),
			 -EINVAL);
	assert_int_equal(bus_register(b, 0x100, 1, NULL, &r, "x"), -EINVAL);
	assert_int_equal(b->nr, 0);

	/* The very last byte of the space is a valid range... */
	assert_int_equal(bus_register(b, UINT64_MAX, 1, &any_ops, &r, "top"),
			 0);
	assert_int_equal(bus_access(b, UINT64_MAX, v, 1, 0), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.call[0].off, 0);
	/* ...but an access wrapping past it is not. */
	assert_int_equal(bus_access(b, UINT64_MAX, v, 2, 0), -EINVAL);
	assert_all_ones(v, 2);
	assert_int_equal(r.n, 1);
}

static void test_bad_len(void **state)
{
	struct bus *b = *state;
	struct rec r = { 0 };
	uint8_t v[16];

	assert_int_equal(bus_register(b, 0x100, 0x20, &any_ops, &r, "r"), 0);
	memset(v, 0x5a, sizeof(v));
	assert_int_equal(bus_access(b, 0x100, v, 0, 0), -EINVAL);
	assert_int_equal(bus_access(b, 0x100, v, 9, 0), -EINVAL);
	/* Not an access at all: the buffer is left untouched. */
	assert_int_equal(v[0], 0x5a);
	assert_int_equal(v[8], 0x5a);
	assert_int_equal(bus_access(b, 0x100, v, 9, 1), -EINVAL);
	assert_int_equal(r.n, 0);
	/* 8 bytes is the widest access. */
	assert_int_equal(bus_access(b, 0x100, v, 8, 0), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.call[0].len, 8);
}

static void test_unregister(void **state)
{
	struct bus *b = *state;
	struct rec r1 = { 0 }, r2 = { 0 };
	uint8_t v = 0;

	assert_int_equal(bus_register(b, 0x100, 8, &any_ops, &r1, "a"), 0);
	assert_int_equal(bus_register(b, 0x200, 8, &any_ops, &r2, "b"), 0);
	assert_int_equal(bus_unregister(b, 0x101), -ENOENT);
	assert_int_equal(bus_unregister(b, 0x300), -ENOENT);
	assert_int_equal(bus_unregister(b, 0x100), 0);
	assert_int_equal(bus_unregister(b, 0x100), -ENOENT);
	assert_int_equal(b->nr, 1);
	assert_int_equal(bus_access(b, 0x100, &v, 1, 1), -ENOENT);
	assert_int_equal(r1.n, 0);
	/* The other range is untouched; the freed one can be reused. */
	assert_int_equal(bus_access(b, 0x204, &v, 1, 1), 0);
	assert_int_equal(r2.n, 1);
	assert_int_equal(bus_register(b, 0x104, 4, &any_ops, &r1, "c"), 0);
	assert_int_equal(bus_access(b, 0x104, &v, 1, 1), 0);
	assert_int_equal(r1.n, 1);
	assert_int_equal(r1.call[0].off, 0);
}

static void test_unclaimed(void **state)
{
	struct bus *b = *state;
	struct rec r = { 0 };
	uint8_t v[8];
	uint64_t before;

	assert_int_equal(bus_register(b, 0x100, 4, &any_ops, &r, "r"), 0);
	before = b->unclaimed;
	memset(v, 0, sizeof(v));
	assert_int_equal(bus_access(b, 0x50, v, 8, 0), -ENOENT);
	assert_all_ones(v, 8);
	assert_int_equal(bus_access(b, 0x50, v, 4, 1), -ENOENT);
	assert_int_equal(b->unclaimed, before + 2);

	/* Straddling the end of a range is unclaimed, not truncated. */
	memset(v, 0, sizeof(v));
	assert_int_equal(bus_access(b, 0x102, v, 4, 0), -ENOENT);
	assert_all_ones(v, 4);
	assert_int_equal(bus_access(b, 0x103, v, 2, 1), -ENOENT);
	/* Straddling the start too. */
	assert_int_equal(bus_access(b, 0xff, v, 2, 0), -ENOENT);
	assert_int_equal(r.n, 0);
	/* Exactly up to the end is claimed. */
	assert_int_equal(bus_access(b, 0x102, v, 2, 0), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.call[0].off, 2);
	assert_int_equal(r.call[0].len, 2);
}

static void test_min_max(void **state)
{
	static const struct io_ops ops = {
		.read = rec_read,
		.write = rec_write,
		.min_len = 2,
		.max_len = 4,
	};
	struct bus *b = *state;
	struct rec r = { 0 };
	uint8_t v[8];

	assert_int_equal(bus_register(b, 0x100, 8, &ops, &r, "r"), 0);
	memset(v, 0, sizeof(v));
	assert_int_equal(bus_access(b, 0x100, v, 1, 0), -EINVAL);
	assert_all_ones(v, 1);
	assert_int_equal(bus_access(b, 0x100, v, 8, 0), -EINVAL);
	assert_all_ones(v, 8);
	assert_int_equal(bus_access(b, 0x100, v, 1, 1), -EINVAL);
	assert_int_equal(bus_access(b, 0x100, v, 8, 1), -EINVAL);
	assert_int_equal(r.n, 0);
	assert_int_equal(bus_access(b, 0x100, v, 2, 0), 0);
	assert_int_equal(bus_access(b, 0x104, v, 4, 1), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.call[1].off, 4);
	assert_int_equal(r.call[1].len, 4);
	/* Invalid lengths are not counted as unclaimed. */
	assert_int_equal(b->unclaimed, 0);
}

static void test_impl_len_split(void **state)
{
	static const struct io_ops ops1 = {
		.read = rec_read,
		.write = rec_write,
		.impl_len = 1,
	};
	static const struct io_ops ops2 = {
		.read = rec_read,
		.write = rec_write,
		.impl_len = 2,
	};
	struct bus *b = *state;
	struct rec r1 = { 0 }, r2 = { 0 };
	uint32_t w = 0x44332211, rd = 0;
	uint8_t v8[8];
	unsigned int i;

	assert_int_equal(bus_register(b, 0x100, 0x10, &ops1, &r1, "b1"), 0);
	assert_int_equal(bus_register(b, 0x200, 0x10, &ops2, &r2, "b2"), 0);

	/* A 4-byte write becomes 4 ordered 1-byte writes, little endian. */
	assert_int_equal(bus_access(b, 0x104, &w, 4, 1), 0);
	assert_int_equal(r1.n, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(r1.call[i].write, 1);
		assert_int_equal(r1.call[i].off, 4 + i);
		assert_int_equal(r1.call[i].len, 1);
		assert_int_equal(r1.call[i].data[0], 0x11 * (i + 1));
	}
	/* Reads are assembled from the pieces in the same order. */
	assert_int_equal(bus_access(b, 0x108, &rd, 4, 0), 0);
	assert_int_equal(rd, 0x0b0a0908);
	assert_int_equal(r1.n, 8);
	/* An access no wider than impl_len is passed through. */
	assert_int_equal(bus_access(b, 0x100, &rd, 1, 0), 0);
	assert_int_equal(r1.n, 9);

	/* impl_len 2: an 8-byte read is four 2-byte reads. */
	assert_int_equal(bus_access(b, 0x208, v8, 8, 0), 0);
	assert_int_equal(r2.n, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(r2.call[i].off, 8 + 2 * i);
		assert_int_equal(r2.call[i].len, 2);
	}
	for (i = 0; i < 8; i++)
		assert_int_equal(v8[i], 8 + i);
}

static void test_relative_offsets(void **state)
{
	struct bus *b = *state;
	struct rec a = { 0 }, c = { 0 };
	uint16_t v = 0xbeef;

	assert_int_equal(bus_register(b, 0xfee00000, 0x1000, &any_ops, &a, "a"),
			 0);
	assert_int_equal(bus_register(b, 0x3f8, 8, &any_ops, &c, "c"), 0);
	assert_int_equal(bus_access(b, 0xfee00300, &v, 2, 1), 0);
	assert_int_equal(a.call[0].off, 0x300);
	assert_memory_equal(a.call[0].data, &v, 2);
	assert_int_equal(bus_access(b, 0x3fd, &v, 1, 0), 0);
	assert_int_equal(c.call[0].off, 5);
	assert_int_equal(v & 0xff, 5);
}

#define MANY 200

struct many_dev {
	int id;
	unsigned int hits;
	uint64_t last_off;
};

static int many_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	struct many_dev *m = opaque;

	m->hits++;
	m->last_off = off;
	*(uint8_t *)data = (uint8_t)m->id;
	return 0;
}

static const struct io_ops many_ops = { .read = many_read };

static void test_many_ranges(void **state)
{
	struct bus *b = *state;
	static struct many_dev dev[MANY];
	unsigned int order[MANY], i, j;
	uint8_t v;

	/* Register in a scrambled order (7 is coprime with 200). */
	for (i = 0; i < MANY; i++) {
		order[i] = (i * 7 + 3) % MANY;
		dev[i] = (struct many_dev){ .id = (int)i };
	}
	for (i = 0; i < MANY; i++) {
		j = order[i];
		assert_int_equal(bus_register(b, 0x1000 + j * 0x10, 8,
					      &many_ops, &dev[j], "m"),
				 0);
	}
	assert_int_equal(b->nr, MANY);
	for (i = 1; i < b->nr; i++)
		assert_true(b->r[i - 1].base < b->r[i].base);

	for (i = 0; i < MANY; i++) {
		uint64_t base = 0x1000 + i * 0x10;

		assert_int_equal(bus_access(b, base, &v, 1, 0), 0);
		assert_int_equal(v, (uint8_t)i);
		assert_int_equal(bus_access(b, base + 7, &v, 1, 0), 0);
		assert_int_equal(dev[i].last_off, 7);
		/* The gap after each range is unclaimed. */
		assert_int_equal(bus_access(b, base + 8, &v, 1, 0), -ENOENT);
		assert_int_equal(bus_access(b, base + 0xf, &v, 1, 0), -ENOENT);
		assert_int_equal(dev[i].hits, 2);
	}
	assert_int_equal(bus_access(b, 0xfff, &v, 1, 0), -ENOENT);
	assert_int_equal(bus_access(b, 0x1000 + MANY * 0x10, &v, 1, 0),
			 -ENOENT);

	/* Remove every other range; the rest still resolve. */
	for (i = 0; i < MANY; i += 2)
		assert_int_equal(bus_unregister(b, 0x1000 + i * 0x10), 0);
	for (i = 0; i < MANY; i++) {
		int ret = bus_access(b, 0x1000 + i * 0x10 + 3, &v, 1, 0);

		assert_int_equal(ret, (i % 2) ? 0 : -ENOENT);
		if (i % 2)
			assert_int_equal(v, (uint8_t)i);
	}
}

/*
 * bus.h: callbacks return a negative errno "while answering the guest as
 * hardware would (reads return all-ones)".
 */
static void test_callback_error(void **state)
{
	static const struct io_ops split_ops = {
		.read = rec_read,
		.write = rec_write,
		.impl_len = 1,
	};
	struct bus *b = *state;
	struct rec r = { .ret = -EIO }, s = { .ret = -EIO };
	uint8_t v[4];

	assert_int_equal(bus_register(b, 0x100, 8, &any_ops, &r, "r"), 0);
	assert_int_equal(bus_register(b, 0x200, 8, &split_ops, &s, "s"), 0);
	assert_int_equal(bus_access(b, 0x100, v, 1, 1), -EIO);
	assert_int_equal(bus_access(b, 0x104, v, 4, 0), -EIO);
	assert_all_ones(v, 4);
	/* A split access stops at the first failing piece. */
	assert_int_equal(bus_access(b, 0x204, v, 4, 0), -EIO);
	assert_int_equal(s.n, 1);
	assert_all_ones(v, 4);
}

/* A device may leave read or write NULL: that side is ignored. */
static void test_null_callbacks(void **state)
{
	static const struct io_ops ro_ops = { .read = rec_read };
	static const struct io_ops ro_split_ops = {
		.read = rec_read,
		.impl_len = 1,
	};
	struct bus *b = *state;
	struct rec r = { 0 };
	uint32_t v = 0x12345678;
	pid_t pid;
	int status;

	assert_int_equal(bus_register(b, 0x100, 8, &ro_ops, &r, "ro"), 0);
	assert_int_equal(bus_register(b, 0x200, 8, &ro_split_ops, &r, "rs"), 0);
	assert_int_equal(bus_access(b, 0x100, &v, 4, 1), 0);
	assert_int_equal(r.n, 0);

	/* A wide write to a read-only device with impl_len must not crash
	 * the VMM: run it in a child so a crash fails only this test. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* Die of the signal rather than in cmocka's handler. */
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		_exit(bus_access(b, 0x200, &v, 4, 1) == 0 ? 0 : 2);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* --- irq lines ------------------------------------------------------ */

struct cb_rec {
	unsigned int n;
	uint32_t pin[8];
	int level[8];
};

static void cb_set(void *opaque, uint32_t pin, int level)
{
	struct cb_rec *c = opaque;

	assert_true(c->n < 8);
	c->pin[c->n] = pin;
	c->level[c->n] = level;
	c->n++;
}

static uint64_t efd_take(int efd)
{
	uint64_t cnt = 0;

	if (read(efd, &cnt, sizeof(cnt)) != sizeof(cnt))
		return 0;
	return cnt;
}

static void test_irq_eventfd(void **state)
{
	struct irq_line l;
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	assert_true(efd >= 0);
	irq_line_init_efd(&l, efd);
	assert_int_equal(l.level, 0);

	assert_int_equal(irq_set_level(&l, 1), 0);
	assert_int_equal(efd_take(efd), 1);
	/* 1 -> 1 is not a new edge. */
	assert_int_equal(irq_set_level(&l, 1), 0);
	assert_int_equal(irq_set_level(&l, 7), 0);
	assert_int_equal(efd_take(efd), 0);
	/* Lowering does not signal; raising again does, once. */
	assert_int_equal(irq_set_level(&l, 0), 0);
	assert_int_equal(efd_take(efd), 0);
	assert_int_equal(irq_set_level(&l, 1), 0);
	assert_int_equal(irq_set_level(&l, 1), 0);
	assert_int_equal(efd_take(efd), 1);
	assert_int_equal(l.level, 1);

	/* A pulse always signals and leaves the line low. */
	assert_int_equal(irq_pulse(&l), 0);
	assert_int_equal(efd_take(efd), 1);
	assert_int_equal(l.level, 0);
	assert_int_equal(irq_pulse(&l), 0);
	assert_int_equal(irq_pulse(&l), 0);
	assert_int_equal(efd_take(efd), 2);
	close(efd);
}

static void test_irq_callback(void **state)
{
	struct irq_line l;
	struct cb_rec c = { 0 };

	irq_line_init_cb(&l, cb_set, &c, 9);
	assert_int_equal(irq_set_level(&l, 0), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(irq_set_level(&l, 1), 0);
	assert_int_equal(irq_set_level(&l, 1), 0);
	assert_int_equal(irq_set_level(&l, 2), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.pin[0], 9);
	assert_int_equal(c.level[0], 1);
	assert_int_equal(irq_set_level(&l, 0), 0);
	assert_int_equal(irq_set_level(&l, 0), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.level[1], 0);

	assert_int_equal(irq_pulse(&l), 0);
	assert_int_equal(c.n, 4);
	assert_int_equal(c.level[2], 1);
	assert_int_equal(c.level[3], 0);
	assert_int_equal(c.pin[3], 9);
	assert_int_equal(l.level, 0);
}

/* A device may move itself from its own callback (a BAR move arriving
 * through ECAM on the same bus): no deadlock, and the map changes. */
struct mover {
	struct bus *b;
	uint64_t to;
};

static int mover_write(void *opaque, uint64_t off, const void *data,
		       uint32_t len);

static const struct io_ops mover_ops = { .write = mover_write };

static int mover_write(void *opaque, uint64_t off, const void *data,
		       uint32_t len)
{
	struct mover *m = opaque;

	if (bus_unregister(m->b, 0x1000))
		return -EIO;
	return bus_register(m->b, m->to, 0x10, &mover_ops, m, "mover");
}

static void test_reentrant_register(void **state)
{
	struct bus *b = *state;
	struct mover m = { b, 0x2000 };
	uint8_t v = 1;

	assert_int_equal(bus_register(b, 0x1000, 0x10, &mover_ops, &m, "mover"),
			 0);
	assert_int_equal(bus_access(b, 0x1004, &v, 1, 1), 0);
	assert_int_equal(b->nr, 1);
	assert_int_equal(b->r[0].base, 0x2000);
	assert_int_equal(bus_access(b, 0x1004, &v, 1, 1), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_edges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_len, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unregister, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unclaimed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_min_max, setup, teardown),
		cmocka_unit_test_setup_teardown(test_impl_len_split, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_relative_offsets, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_many_ranges, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_callback_error, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_null_callbacks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reentrant_register, setup,
						teardown),
		cmocka_unit_test(test_irq_eventfd),
		cmocka_unit_test(test_irq_callback),
	};

	return cmocka_run_group_tests_name("bus", tests, NULL, NULL);
}
