// SPDX-License-Identifier: Apache-2.0
/*
 * test_ioapic.c - IOAPIC through the MMIO bus, with a recording router,
 * real eventfds per pin and a recording deliver callback.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cmocka.h>

#include "arch/x86_64/layout.h"
#include "devices/bus.h"
#include "devices/ioapic.h"
#include "devices/irq.h"

#define BASE X86_IOAPIC_ADDR
#define NPINS IOAPIC_NR_PINS
#define MAX_CALLS 256

#define LO_MASKED 0x10000u
#define LO_LEVEL 0x8000u
#define LO_IRR 0x4000u
#define LO_ACTIVE_LOW 0x2000u
#define LO_DELIVS 0x1000u
#define LO_LOGICAL 0x800u

struct route_call {
	int set; /* 1 set, 0 clear */
	uint32_t gsi;
	uint64_t addr;
	uint32_t data;
};

struct msg {
	uint64_t addr;
	uint32_t data;
};

struct fx {
	struct bus bus;
	struct ioapic *io;
	struct msi_router router;
	struct route_call calls[MAX_CALLS];
	unsigned int ncalls;
	int fail_set; /* next router->set calls fail with this */
	struct msg msgs[MAX_CALLS];
	unsigned int nmsgs;
	int efd[NPINS];
};

static int fake_set(void *opaque, uint32_t gsi, uint64_t addr, uint32_t data)
{
	struct fx *fx = opaque;

	if (fx->fail_set)
		return fx->fail_set;
	/* The router is called with the IOAPIC's route lock held, so this
	 * runs serialised even from test_threads' threads. */
	if (fx->ncalls < MAX_CALLS)
		fx->calls[fx->ncalls++] =
			(struct route_call){ 1, gsi, addr, data };
	return 0;
}

static int fake_clear(void *opaque, uint32_t gsi)
{
	struct fx *fx = opaque;

	if (fx->ncalls < MAX_CALLS)
		fx->calls[fx->ncalls++] = (struct route_call){ 0, gsi, 0, 0 };
	return 0;
}

static void fake_deliver(void *opaque, uint64_t addr, uint32_t data)
{
	struct fx *fx = opaque;

	assert_true(fx->nmsgs < MAX_CALLS);
	fx->msgs[fx->nmsgs++] = (struct msg){ addr, data };
}

/* with_efd: real eventfds on every pin; else every pin uses deliver. */
static int make_fx(void **state, int with_efd)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	struct ioapic_cfg cfg;

	if (!fx)
		return -1;
	ioapic_cfg_init(&cfg);
	fx->router = (struct msi_router){ fake_set, fake_clear, fx };
	cfg.router = &fx->router;
	cfg.deliver = fake_deliver;
	cfg.opaque = fx;
	cfg.id = 2;
	for (unsigned int p = 0; p < NPINS; p++) {
		fx->efd[p] = -1;
		if (!with_efd)
			continue;
		fx->efd[p] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (fx->efd[p] < 0)
			return -1;
		cfg.pin_efd[p] = fx->efd[p];
	}
	if (bus_init(&fx->bus, "mmio") || ioapic_create(&cfg, &fx->io) ||
	    ioapic_attach(fx->io, &fx->bus, BASE))
		return -1;
	*state = fx;
	return 0;
}

static int setup_efd(void **state)
{
	return make_fx(state, 1);
}

static int setup_cb(void **state)
{
	return make_fx(state, 0);
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	ioapic_destroy(fx->io);
	bus_destroy(&fx->bus);
	for (unsigned int p = 0; p < NPINS; p++)
		if (fx->efd[p] >= 0)
			close(fx->efd[p]);
	free(fx);
	return 0;
}

static void mmio_wr(struct fx *fx, uint64_t off, uint32_t v)
{
	assert_int_equal(bus_access(&fx->bus, BASE + off, &v, 4, 1), 0);
}

static uint32_t mmio_rd(struct fx *fx, uint64_t off)
{
	uint32_t v = 0;

	assert_int_equal(bus_access(&fx->bus, BASE + off, &v, 4, 0), 0);
	return v;
}

static void reg_wr(struct fx *fx, uint32_t sel, uint32_t v)
{
	mmio_wr(fx, 0x00, sel);
	mmio_wr(fx, 0x10, v);
}

static uint32_t reg_rd(struct fx *fx, uint32_t sel)
{
	mmio_wr(fx, 0x00, sel);
	return mmio_rd(fx, 0x10);
}

/* Program an entry the way Linux does: high dword first, then low. */
static void set_rte(struct fx *fx, uint32_t pin, uint32_t lo, uint8_t dest)
{
	reg_wr(fx, 0x11 + 2 * pin, (uint32_t)dest << 24);
	reg_wr(fx, 0x10 + 2 * pin, lo);
}

/* Eventfd count for a pin (0 if none pending); reading resets it. */
static uint64_t efd_count(struct fx *fx, uint32_t pin)
{
	uint64_t v = 0;

	if (read(fx->efd[pin], &v, sizeof(v)) != sizeof(v)) {
		assert_int_equal(errno, EAGAIN);
		return 0;
	}
	return v;
}

static void expect_no_efd(struct fx *fx)
{
	for (uint32_t p = 0; p < NPINS; p++)
		assert_int_equal(efd_count(fx, p), 0);
}

static void expect_call(struct fx *fx, unsigned int i, int set, uint32_t gsi,
			uint64_t addr, uint32_t data)
{
	assert_true(i < fx->ncalls);
	assert_int_equal(fx->calls[i].set, set);
	assert_int_equal(fx->calls[i].gsi, gsi);
	assert_int_equal(fx->calls[i].addr, addr);
	assert_int_equal(fx->calls[i].data, data);
}

static void test_id_version(void **state)
{
	struct fx *fx = *state;

	assert_int_equal(reg_rd(fx, 0x01), 0x00170020);
	assert_int_equal(reg_rd(fx, 0x00), 0x02000000);
	assert_int_equal(reg_rd(fx, 0x02), 0x02000000);
	reg_wr(fx, 0x00, 0xffffffff);
	assert_int_equal(reg_rd(fx, 0x00), 0x0f000000);
	assert_int_equal(reg_rd(fx, 0x02), 0x0f000000);
	reg_wr(fx, 0x01, 0);
	reg_wr(fx, 0x02, 0);
	assert_int_equal(reg_rd(fx, 0x01), 0x00170020);
	assert_int_equal(reg_rd(fx, 0x02), 0x0f000000);
	mmio_wr(fx, 0x00, 0x1ff);
	assert_int_equal(mmio_rd(fx, 0x00), 0xff);
	/* Every entry starts masked; nothing routed at creation. */
	for (uint32_t p = 0; p < NPINS; p++) {
		assert_int_equal(reg_rd(fx, 0x10 + 2 * p), LO_MASKED);
		assert_int_equal(reg_rd(fx, 0x11 + 2 * p), 0);
	}
	assert_int_equal(fx->ncalls, 0);
}

static void test_rte_roundtrip(void **state)
{
	struct fx *fx = *state;

	reg_wr(fx, 0x11 + 2 * 3, 0xffffffff);
	reg_wr(fx, 0x10 + 2 * 3, 0xffffffff | 0);
	/* RO delivery status / Remote IRR and reserved bits read 0. */
	assert_int_equal(reg_rd(fx, 0x10 + 2 * 3), 0x0001afff);
	assert_int_equal(reg_rd(fx, 0x11 + 2 * 3), 0xff000000);
	reg_wr(fx, 0x10 + 2 * 3, 0x00012345 & ~LO_IRR);
	assert_int_equal(reg_rd(fx, 0x10 + 2 * 3), 0x00012345 & ~LO_DELIVS);
	/* Neighbours untouched. */
	assert_int_equal(reg_rd(fx, 0x10 + 2 * 2), LO_MASKED);
	assert_int_equal(reg_rd(fx, 0x10 + 2 * 4), LO_MASKED);

	/* Remote IRR survives a guest write that clears it... */
	set_rte(fx, 5, LO_LEVEL | 0x45, 0);
	ioapic_set_irq(fx->io, 5, 1);
	assert_int_equal(efd_count(fx, 5), 1);
	assert_int_equal(reg_rd(fx, 0x10 + 2 * 5), LO_IRR | LO_LEVEL | 0x45);
	reg_wr(fx, 0x10 + 2 * 5, LO_DELIVS | LO_LEVEL | 0x46);
	assert_int_equal(reg_rd(fx, 0x10 + 2 * 5), LO_IRR | LO_LEVEL | 0x46);
	/* ...but switching to edge clears it (Linux's 0x11-style EOI). */
	reg_wr(fx, 0x10 + 2 * 5, 0x46);
	assert_int_equal(reg_rd(fx, 0x10 + 2 * 5), 0x46);
	reg_wr(fx, 0x10 + 2 * 5, LO_LEVEL | 0x46);
	/* Line still high: IRR clear again, so it fires. */
	assert_int_equal(efd_count(fx, 5), 1);
	assert_int_equal(reg_rd(fx, 0x10 + 2 * 5), LO_IRR | LO_LEVEL | 0x46);
}

static void test_routes(void **state)
{
	struct fx *fx = *state;
	unsigned int n;

	/* Fixed, physical destination 3. */
	set_rte(fx, 1, 0x31, 3);
	assert_int_equal(fx->ncalls, 1);
	expect_call(fx, 0, 1, 1, 0xfee03000, 0x4031);
	/* Lowest priority, logical destination 0x0f. */
	set_rte(fx, 2, LO_LOGICAL | 1 << 8 | 0x42, 0x0f);
	expect_call(fx, 1, 1, 2, 0xfee0f004, 0x4142);
	/* Level, active low, destination 0xff. */
	set_rte(fx, 9, LO_LEVEL | LO_ACTIVE_LOW | 0x59, 0xff);
	expect_call(fx, 2, 1, 9, 0xfeeff000, 0xc059);
	/* NMI delivery mode. */
	set_rte(fx, 23, 4 << 8 | 0x02, 1);
	expect_call(fx, 3, 1, 23, 0xfee01000, 0x4402);
	assert_int_equal(fx->ncalls, 4);
	/* Rewriting an identical entry does not touch the table. */
	set_rte(fx, 1, 0x31, 3);
	assert_int_equal(fx->ncalls, 4);
	/* New destination on an unmasked entry re-routes it. */
	reg_wr(fx, 0x11 + 2 * 1, 7u << 24);
	expect_call(fx, 4, 1, 1, 0xfee07000, 0x4031);
	/* Masking keeps the route (the hypervisor still reports the EOI of
	 * a level interrupt in service); unmasking the same entry needs no
	 * call either. */
	n = fx->ncalls;
	reg_wr(fx, 0x10 + 2 * 1, LO_MASKED | 0x31);
	assert_int_equal(fx->ncalls, n);
	reg_wr(fx, 0x10 + 2 * 1, 0x31);
	assert_int_equal(fx->ncalls, n);
	/* Changes to a masked entry need no route... */
	reg_wr(fx, 0x10 + 2 * 1, LO_MASKED | 0x32);
	assert_int_equal(fx->ncalls, n);
	/* ...until it is unmasked with them. */
	reg_wr(fx, 0x10 + 2 * 1, 0x32);
	expect_call(fx, n, 1, 1, 0xfee07000, 0x4032);
	assert_int_equal(fx->ncalls, n + 1);
}

static void test_edge_eventfd(void **state)
{
	struct fx *fx = *state;

	set_rte(fx, 4, 0x34, 0);
	expect_no_efd(fx);
	ioapic_set_irq(fx->io, 4, 1);
	assert_int_equal(efd_count(fx, 4), 1);
	ioapic_set_irq(fx->io, 4, 1); /* no new edge */
	assert_int_equal(efd_count(fx, 4), 0);
	ioapic_set_irq(fx->io, 4, 0);
	assert_int_equal(efd_count(fx, 4), 0);
	for (int i = 0; i < 3; i++) {
		ioapic_set_irq(fx->io, 4, 1);
		ioapic_set_irq(fx->io, 4, 0);
	}
	assert_int_equal(efd_count(fx, 4), 3);
	expect_no_efd(fx);
	/* Edge entries never set Remote IRR; an EOI changes nothing. */
	assert_int_equal(reg_rd(fx, 0x10 + 2 * 4), 0x34);
	ioapic_eoi(fx->io, 0x34);
	expect_no_efd(fx);
	/* Works as an irq_line callback too. */
	{
		struct irq_line l;

		irq_line_init_cb(&l, ioapic_set_irq, fx->io, 4);
		irq_pulse(&l);
		assert_int_equal(efd_count(fx, 4), 1);
	}
}

static void test_masked(void **state)
{
	struct fx *fx = *state;
	unsigned int n;

	set_rte(fx, 6, LO_MASKED | 0x36, 0);
	ioapic_set_irq(fx->io, 6, 1);
	ioapic_set_irq(fx->io, 6, 0);
	ioapic_set_irq(fx->io, 6, 1);
	expect_no_efd(fx);
	/* Unmasking an edge pin that is high: the edge was lost. */
	reg_wr(fx, 0x10 + 2 * 6, 0x36);
	expect_no_efd(fx);
	ioapic_set_irq(fx->io, 6, 0);
	ioapic_set_irq(fx->io, 6, 1);
	assert_int_equal(efd_count(fx, 6), 1);
	/* Masked level pin: held, delivered on unmask. */
	set_rte(fx, 7, LO_MASKED | LO_LEVEL | 0x37, 0);
	ioapic_set_irq(fx->io, 7, 1);
	expect_no_efd(fx);
	assert_int_equal(reg_rd(fx, 0x10 + 2 * 7) & LO_IRR, 0);
	reg_wr(fx, 0x10 + 2 * 7, LO_LEVEL | 0x37);
	assert_int_equal(efd_count(fx, 7), 1);
	/* Mask while awaiting EOI: the route stays (the hypervisor must
	 * still report the EOI); EOI clears IRR but does not fire. */
	n = fx->ncalls;
	reg_wr(fx, 0x10 + 2 * 7, LO_MASKED | LO_LEVEL | 0x37);
	assert_int_equal(fx->ncalls, n);
	ioapic_eoi(fx->io, 0x37);
	expect_no_efd(fx);
	assert_int_equal(reg_rd(fx, 0x10 + 2 * 7) & LO_IRR, 0);
	reg_wr(fx, 0x10 + 2 * 7, LO_LEVEL | 0x37);
	assert_int_equal(efd_count(fx, 7), 1);
	/* Unmasking a level pin whose line is low fires nothing. */
	set_rte(fx, 8, LO_LEVEL | 0x38, 0);
	expect_no_efd(fx);
}

static void test_level(void **state)
{
	struct fx *fx = *state;

	set_rte(fx, 10, LO_LEVEL | 0x3a, 0);
	set_rte(fx, 11, LO_LEVEL | 0x3b, 0);
	ioapic_set_irq(fx->io, 10, 1);
	assert_int_equal(efd_count(fx, 10), 1);
	assert_true(reg_rd(fx, 0x10 + 2 * 10) & LO_IRR);
	/* No re-delivery until EOI, whatever the line does. */
	ioapic_set_irq(fx->io, 10, 0);
	ioapic_set_irq(fx->io, 10, 1);
	expect_no_efd(fx);
	/* EOI of another vector: nothing. */
	ioapic_eoi(fx->io, 0x3b);
	expect_no_efd(fx);
	assert_true(reg_rd(fx, 0x10 + 2 * 10) & LO_IRR);
	/* EOI with the line still high: delivered again. */
	ioapic_eoi(fx->io, 0x3a);
	assert_int_equal(efd_count(fx, 10), 1);
	assert_true(reg_rd(fx, 0x10 + 2 * 10) & LO_IRR);
	/* EOI with the line low: IRR clears, nothing delivered. */
	ioapic_set_irq(fx->io, 10, 0);
	ioapic_eoi(fx->io, 0x3a);
	expect_no_efd(fx);
	assert_false(reg_rd(fx, 0x10 + 2 * 10) & LO_IRR);
	/* A second EOI is harmless. */
	ioapic_eoi(fx->io, 0x3a);
	expect_no_efd(fx);
	ioapic_set_irq(fx->io, 10, 1);
	assert_int_equal(efd_count(fx, 10), 1);
	/* The EOI register at 0x40 does the same (vector in bits 7:0). */
	mmio_wr(fx, 0x40, 0xffffff00 | 0x3b);
	expect_no_efd(fx);
	mmio_wr(fx, 0x40, 0x3a);
	assert_int_equal(efd_count(fx, 10), 1);
	/* One EOI serves every level pin sharing the vector. */
	set_rte(fx, 11, LO_LEVEL | 0x3a, 0);
	ioapic_set_irq(fx->io, 11, 1);
	assert_int_equal(efd_count(fx, 11), 1);
	ioapic_eoi(fx->io, 0x3a);
	assert_int_equal(efd_count(fx, 10), 1);
	assert_int_equal(efd_count(fx, 11), 1);
	expect_no_efd(fx);
}

static void test_active_low(void **state)
{
	struct fx *fx = *state;

	/* Level, active low: a low line is asserted, so unmask fires. */
	set_rte(fx, 12, LO_LEVEL | LO_ACTIVE_LOW | 0x4c, 0);
	assert_int_equal(efd_count(fx, 12), 1);
	ioapic_set_irq(fx->io, 12, 1); /* deasserted */
	ioapic_eoi(fx->io, 0x4c);
	expect_no_efd(fx);
	ioapic_set_irq(fx->io, 12, 0); /* asserted */
	assert_int_equal(efd_count(fx, 12), 1);
	/* Edge, active low: fires on the falling edge only. */
	ioapic_set_irq(fx->io, 13, 1);
	set_rte(fx, 13, LO_ACTIVE_LOW | 0x4d, 0);
	expect_no_efd(fx);
	ioapic_set_irq(fx->io, 13, 0);
	assert_int_equal(efd_count(fx, 13), 1);
	ioapic_set_irq(fx->io, 13, 1);
	expect_no_efd(fx);
}

static void test_invalid_regs(void **state)
{
	struct fx *fx = *state;
	uint32_t before[2 * NPINS], sels[] = { 0x03, 0x0f, 0x40, 0x41, 0xff };

	set_rte(fx, 0, 0x20, 1);
	for (uint32_t i = 0; i < 2 * NPINS; i++)
		before[i] = reg_rd(fx, 0x10 + i);
	for (unsigned int i = 0; i < sizeof(sels) / sizeof(sels[0]); i++) {
		assert_int_equal(reg_rd(fx, sels[i]), 0xffffffff);
		reg_wr(fx, sels[i], 0);
	}
	for (uint32_t i = 0; i < 2 * NPINS; i++)
		assert_int_equal(reg_rd(fx, 0x10 + i), before[i]);
	assert_int_equal(reg_rd(fx, 0x00), 0x02000000);
	/* Unknown offsets read 0; the EOI register reads 0. */
	assert_int_equal(mmio_rd(fx, 0x20), 0);
	assert_int_equal(mmio_rd(fx, 0x40), 0);
	assert_int_equal(mmio_rd(fx, 0xffc), 0);
	mmio_wr(fx, 0x20, 0x12345678);
	/* Bad pins on the input side are ignored. */
	ioapic_set_irq(fx->io, NPINS, 1);
	ioapic_set_irq(fx->io, 0xffffffff, 1);
	expect_no_efd(fx);
}

static void test_access_width(void **state)
{
	struct fx *fx = *state;
	uint64_t q = 0;
	uint16_t w;
	uint8_t b;

	mmio_wr(fx, 0x00, 0x01);
	for (uint64_t off = 0; off <= 0x10; off += 0x10) {
		b = 0;
		assert_int_equal(bus_access(&fx->bus, BASE + off, &b, 1, 0),
				 -EINVAL);
		assert_int_equal(b, 0xff);
		w = 0;
		assert_int_equal(bus_access(&fx->bus, BASE + off, &w, 2, 0),
				 -EINVAL);
		assert_int_equal(w, 0xffff);
		assert_int_equal(bus_access(&fx->bus, BASE + off, &q, 8, 0),
				 -EINVAL);
		assert_true(q == ~0ull);
	}
	/* Narrow writes are dropped: IOREGSEL and ID unchanged. */
	b = 0x00;
	assert_int_equal(bus_access(&fx->bus, BASE, &b, 1, 1), -EINVAL);
	w = 0x0000;
	assert_int_equal(bus_access(&fx->bus, BASE, &w, 2, 1), -EINVAL);
	assert_int_equal(mmio_rd(fx, 0x00), 0x01);
	mmio_wr(fx, 0x00, 0x00);
	w = 0;
	assert_int_equal(bus_access(&fx->bus, BASE + 0x12, &w, 2, 1), -EINVAL);
	assert_int_equal(reg_rd(fx, 0x00), 0x02000000);
}

static void test_reset(void **state)
{
	struct fx *fx = *state;
	unsigned int n, clears = 0;

	set_rte(fx, 0, 0x20, 1);
	set_rte(fx, 14, LO_LEVEL | 0x2e, 2);
	set_rte(fx, 15, LO_MASKED | 0x2f, 2);
	ioapic_set_irq(fx->io, 14, 1);
	assert_int_equal(efd_count(fx, 14), 1);
	reg_wr(fx, 0x00, 0x07000000);
	mmio_wr(fx, 0x00, 0x21);
	n = fx->ncalls;
	ioapic_reset(fx->io);
	for (unsigned int i = n; i < fx->ncalls; i++) {
		assert_int_equal(fx->calls[i].set, 0);
		assert_true(fx->calls[i].gsi == 0 || fx->calls[i].gsi == 14);
		clears++;
	}
	assert_int_equal(clears, 2);
	assert_int_equal(mmio_rd(fx, 0x00), 0);
	for (uint32_t p = 0; p < NPINS; p++) {
		assert_int_equal(reg_rd(fx, 0x10 + 2 * p), LO_MASKED);
		assert_int_equal(reg_rd(fx, 0x11 + 2 * p), 0);
	}
	assert_int_equal(reg_rd(fx, 0x00), 0x02000000);
	ioapic_set_irq(fx->io, 0, 1);
	expect_no_efd(fx);
	/* Line 14 is still high: unmasking after reset fires it. */
	set_rte(fx, 14, LO_LEVEL | 0x2e, 2);
	assert_int_equal(efd_count(fx, 14), 1);
}

static void test_deliver_cb(void **state)
{
	struct fx *fx = *state;

	set_rte(fx, 3, LO_LOGICAL | 1 << 8 | 0x63, 0x03);
	ioapic_set_irq(fx->io, 3, 1);
	assert_int_equal(fx->nmsgs, 1);
	assert_int_equal(fx->msgs[0].addr, 0xfee03004);
	assert_int_equal(fx->msgs[0].data, 0x4163);
	set_rte(fx, 9, LO_LEVEL | 0x69, 0x01);
	ioapic_set_irq(fx->io, 9, 1);
	assert_int_equal(fx->nmsgs, 2);
	assert_int_equal(fx->msgs[1].addr, 0xfee01000);
	assert_int_equal(fx->msgs[1].data, 0xc069);
	ioapic_eoi(fx->io, 0x69);
	assert_int_equal(fx->nmsgs, 3);
	assert_int_equal(fx->msgs[2].data, 0xc069);
}

static void test_route_failure(void **state)
{
	struct fx *fx = *state;

	/* Without its route the eventfd would hit a stale gsi: hold. */
	fx->fail_set = -ENOSPC;
	set_rte(fx, 16, 0x50, 0);
	set_rte(fx, 17, LO_LEVEL | 0x51, 0);
	ioapic_set_irq(fx->io, 16, 1);
	ioapic_set_irq(fx->io, 17, 1);
	expect_no_efd(fx);
	assert_false(reg_rd(fx, 0x10 + 2 * 17) & LO_IRR);
	/* Once the route is in, the held edge and level go out. */
	fx->fail_set = 0;
	set_rte(fx, 16, 0x50, 0);
	assert_int_equal(efd_count(fx, 16), 1);
	set_rte(fx, 17, LO_LEVEL | 0x51, 0);
	assert_int_equal(efd_count(fx, 17), 1);
	expect_no_efd(fx);

	/* A held edge is dropped if the pin is masked meanwhile... */
	fx->fail_set = -ENOSPC;
	set_rte(fx, 18, 0x52, 0);
	ioapic_set_irq(fx->io, 18, 1);
	reg_wr(fx, 0x10 + 2 * 18, LO_MASKED | 0x52);
	fx->fail_set = 0;
	reg_wr(fx, 0x10 + 2 * 18, 0x52);
	expect_no_efd(fx);
	/* ...or on reset. */
	fx->fail_set = -ENOSPC;
	set_rte(fx, 19, 0x53, 0);
	ioapic_set_irq(fx->io, 19, 1);
	ioapic_reset(fx->io);
	fx->fail_set = 0;
	reg_wr(fx, 0x10 + 2 * 19, 0x53);
	expect_no_efd(fx);
}

struct pin_thread {
	struct ioapic *io;
	uint32_t pin;
	int n;
};

static void *pulse_thread(void *arg)
{
	struct pin_thread *t = arg;

	for (int i = 0; i < t->n; i++) {
		ioapic_set_irq(t->io, t->pin, 1);
		ioapic_set_irq(t->io, t->pin, 0);
		ioapic_eoi(t->io, 0x70 + t->pin);
	}
	return NULL;
}

/* Pins, EOIs and entry rewrites from several threads: no deadlock, every
 * delivery accounted for, and quiescent edges still go out. */
static void test_threads(void **state)
{
	struct fx *fx = *state;
	struct pin_thread t[4];
	pthread_t tid[4];
	uint64_t got;

	for (uint32_t p = 0; p < 4; p++) {
		set_rte(fx, p, 0x70 + p, 0);
		t[p] = (struct pin_thread){ fx->io, p, 2000 };
		assert_int_equal(
			pthread_create(&tid[p], NULL, pulse_thread, &t[p]), 0);
	}
	for (int i = 0; i < 500; i++)
		for (uint32_t p = 0; p < 4; p++)
			reg_wr(fx, 0x11 + 2 * p, (uint32_t)(i & 1) << 24);
	for (uint32_t p = 0; p < 4; p++) {
		assert_int_equal(pthread_join(tid[p], NULL), 0);
		got = efd_count(fx, p);
		assert_true(got >= 1 && got <= 2000);
		ioapic_set_irq(fx->io, p, 1);
		assert_int_equal(efd_count(fx, p), 1);
	}
	expect_no_efd(fx);
}

static void test_create_args(void **state)
{
	struct ioapic_cfg cfg;
	struct ioapic *io;

	ioapic_cfg_init(&cfg);
	assert_int_equal(ioapic_create(NULL, &io), -EINVAL);
	assert_int_equal(ioapic_create(&cfg, NULL), -EINVAL);
	for (unsigned int p = 0; p < NPINS; p++)
		assert_int_equal(cfg.pin_efd[p], -1);
	/* No router, no deliver: pins go nowhere, nothing crashes. */
	assert_int_equal(ioapic_create(&cfg, &io), 0);
	ioapic_set_irq(io, 1, 1);
	ioapic_eoi(io, 0);
	ioapic_reset(io);
	ioapic_destroy(io);
	ioapic_destroy(NULL);
}

#define TE(f) cmocka_unit_test_setup_teardown(f, setup_efd, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TE(test_id_version),
		TE(test_rte_roundtrip),
		TE(test_routes),
		TE(test_edge_eventfd),
		TE(test_masked),
		TE(test_level),
		TE(test_active_low),
		TE(test_invalid_regs),
		TE(test_access_width),
		TE(test_reset),
		cmocka_unit_test_setup_teardown(test_deliver_cb, setup_cb,
						teardown),
		TE(test_route_failure),
		TE(test_threads),
		cmocka_unit_test(test_create_args),
	};

	return cmocka_run_group_tests_name("ioapic", tests, NULL, NULL);
}
