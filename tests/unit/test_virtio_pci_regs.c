// SPDX-License-Identifier: Apache-2.0
/*
 * test_virtio_pci_regs.c - the virtio-pci transport's registers and state
 * (BAR moves, reset state, register rules, device config space, INTx
 * without MSI-X, the PCI config access window, quiesce against concurrent
 * kicks, creation errors), on the fixture of test_virtio_pci_fx.h.
 */
#include "tests/unit/test_virtio_pci_fx.h"

static void test_bar_move(void **state)
{
	struct fx *f = *state;
	uint64_t old = f->d.bar, nbar = MMIO64_BASE + 0x40000000ull;
	uint64_t v = 0;

	drv_init(f, dev_features(f), 1);
	assert_int_equal(f->p.nlive, T_NQ);
	assert_int_equal(f->p.live[0].addr & ~0xfffull, old + f->d.notify);
	cfgwr(f, 0x10, 4, (uint32_t)nbar | 0x4);
	cfgwr(f, 0x14, 4, nbar >> 32);
	f->d.bar = nbar;
	assert_int_equal(f->p.nlive, T_NQ);
	for (int q = 0; q < T_NQ; q++) {
		assert_non_null(find_ioev(f, nbar + f->d.notify + q * 4ull));
		assert_null(find_ioev(f, old + f->d.notify + q * 4ull));
	}
	/* Old address decodes nothing; the new one is the device. */
	assert_int_equal(bus_access(&f->p.mmio, old + f->d.common + CC_NUMQ, &v,
				    2, 0),
			 -ENOENT);
	assert_int_equal(cc(f, CC_NUMQ, 2), T_NQ);
	one_request(f, 0, 0x40000, 32);
	/* Memory decode off: all ioeventfds gone, back on: back. */
	cfgwr(f, 0x04, 2, 0x4);
	assert_int_equal(f->p.nlive, 0);
	cfgwr(f, 0x04, 2, 0x6);
	assert_int_equal(f->p.nlive, T_NQ);
	one_request(f, 1, 0x41000, 32);
}

static void test_reset_state(void **state)
{
	struct fx *f = *state;
	int resets;

	drv_init(f, dev_features(f), 1);
	ccw(f, CC_QSEL, 2, 1);
	resets = f->td.resets;
	ccw(f, CC_STATUS, 1, 0);
	assert_int_equal(cc(f, CC_STATUS, 1), 0);
	assert_int_equal(f->td.resets, resets + 1);
	assert_int_equal(cc(f, CC_QSEL, 2), 0);
	assert_int_equal(cc(f, CC_MSIX, 2), NO_VECTOR);
	ccw(f, CC_GFSELECT, 4, 1);
	assert_int_equal(cc(f, CC_GF, 4), 0);
	for (int q = 0; q < T_NQ; q++) {
		ccw(f, CC_QSEL, 2, q);
		assert_int_equal(cc(f, CC_QSIZE, 2), 256);
		assert_int_equal(cc(f, CC_QENABLE, 2), 0);
		assert_int_equal(cc(f, CC_QMSIX, 2), NO_VECTOR);
		assert_int_equal(cc(f, CC_QDESC, 4), 0);
		assert_int_equal(cc(f, CC_QDEVICE, 4), 0);
	}
	/* MSI-X is PCI state: still enabled. */
	assert_true(cfgrd(f, f->d.msixcap + 2, 2) & 0x8000);
	/* A kick after reset does nothing. */
	add_wbuf(f, 0, 0x40000, 8);
	wr(f, f->d.notify, 2, 0);
	usleep(20000);
	assert_int_equal(used_idx(f, 0), 0);
}

static void test_register_rules(void **state)
{
	struct fx *f = *state;

	reset_dev(f);
	/* Wrong widths: all-ones, writes dropped. */
	assert_int_equal(cc(f, CC_STATUS, 4), 0xffffffffull);
	assert_int_equal(cc(f, CC_DF, 2), 0xffff);
	assert_int_equal(cc(f, CC_NUMQ, 1), 0xff);
	ccw(f, CC_QSEL, 4, 1);
	assert_int_equal(cc(f, CC_QSEL, 2), 0);
	ccw(f, CC_STATUS, 2, S_ACK);
	assert_int_equal(cc(f, CC_STATUS, 1), 0);
	assert_int_equal(rd(f, f->d.isr, 4), 0xffffffffull);
	assert_int_equal(rd(f, f->d.common + 0x3c, 4), 0xffffffffull);
	/* Queue size: power of two up to the max. */
	ccw(f, CC_QSIZE, 2, 100);
	assert_int_equal(cc(f, CC_QSIZE, 2), 256);
	ccw(f, CC_QSIZE, 2, 2048);
	assert_int_equal(cc(f, CC_QSIZE, 2), 256);
	ccw(f, CC_QSIZE, 2, 1024);
	assert_int_equal(cc(f, CC_QSIZE, 2), 1024);
	/* 64-bit fields: halves and whole. */
	ccw(f, CC_QDESC, 8, 0x123456789abcdef0ull);
	assert_int_equal(cc(f, CC_QDESC, 4), 0x9abcdef0);
	assert_int_equal(cc(f, CC_QDESC + 4, 4), 0x12345678);
	ccw(f, CC_QDESC + 4, 4, 0);
	assert_int_equal(cc(f, CC_QDESC, 8), 0x9abcdef0);
	assert_int_equal(cc(f, CC_QDESC + 2, 2), 0xffff);
	/* Vectors beyond the table read back NO_VECTOR. */
	ccw(f, CC_QMSIX, 2, NVEC);
	assert_int_equal(cc(f, CC_QMSIX, 2), NO_VECTOR);
	ccw(f, CC_MSIX, 2, NVEC - 1);
	assert_int_equal(cc(f, CC_MSIX, 2), NVEC - 1);
	/* A queue that does not exist. */
	ccw(f, CC_QSEL, 2, T_NQ);
	assert_int_equal(cc(f, CC_QSIZE, 2), 0);
	ccw(f, CC_QSIZE, 2, 16);
	assert_int_equal(cc(f, CC_QSIZE, 2), 0);
	/* Read-only fields stay. */
	ccw(f, CC_NUMQ, 2, 7);
	assert_int_equal(cc(f, CC_NUMQ, 2), T_NQ);
	/* Notify area: bad widths and slots are ignored, reads zero. */
	wr(f, f->d.notify + 1, 1, 0);
	wr(f, f->d.notify + 4 * T_NQ, 2, 0);
	assert_int_equal(rd(f, f->d.notify, 2), 0);
	/* Driver cannot set NEEDS_RESET itself. */
	ccw(f, CC_STATUS, 1, S_ACK | S_NR);
	assert_int_equal(cc(f, CC_STATUS, 1), S_ACK);
	/* Size is frozen once the queue is live. */
	drv_init(f, dev_features(f), 1);
	ccw(f, CC_QSEL, 2, 0);
	ccw(f, CC_QSIZE, 2, 32);
	assert_int_equal(cc(f, CC_QSIZE, 2), 64);
	ccw(f, CC_QDESC, 4, 0x30000);
	assert_int_equal(cc(f, CC_QDESC, 4), f->q[0].desc);
}

static void test_config_space(void **state)
{
	struct fx *f = *state;
	uint8_t gen;

	assert_int_equal(rd(f, f->d.devcfg, 1), 0x11);
	assert_int_equal(rd(f, f->d.devcfg + 2, 2), 0x4433);
	assert_int_equal(rd(f, f->d.devcfg + 4, 4), 0x88776655);
	assert_int_equal(rd(f, f->d.devcfg + 6, 4), 0xffffffffull); /* past */
	assert_int_equal(rd(f, f->d.devcfg + 1, 2), 0xffff); /* unaligned */
	assert_int_equal(rd(f, f->d.devcfg + T_CFG, 1), 0xff);
	wr(f, f->d.devcfg + 4, 2, 0xbeef);
	assert_int_equal(f->td.wr_off, 4);
	assert_int_equal(f->td.wr_len, 2);
	assert_int_equal(f->td.wr_val, 0xbeef);

	drv_init(f, dev_features(f), 1);
	gen = cc(f, CC_CFGGEN, 1);
	virtio_config_changed(f->vd);
	assert_int_equal(cc(f, CC_CFGGEN, 1), (uint8_t)(gen + 1));
	assert_true(efd_fired(f->p.efd[0], 3000));
	/* ISR: config bit set, a read clears it. */
	assert_int_equal(rd(f, f->d.isr, 1), 2);
	assert_int_equal(rd(f, f->d.isr, 1), 0);
	/* NO_VECTOR: no interrupt at all. */
	ccw(f, CC_MSIX, 2, NO_VECTOR);
	virtio_config_changed(f->vd);
	assert_false(efd_fired(f->p.efd[0], 20));
}

static void test_no_msix_isr(void **state)
{
	struct fx *f = *state;

	drv_init(f, dev_features(f), 0);
	add_wbuf(f, 0, 0x40000, 64);
	kick(f, 0);
	assert_true(WAIT_FOR(used_idx(f, 0) == 1));
	assert_true(WAIT_FOR(rd(f, f->d.isr, 1) & 1));
	assert_int_equal(rd(f, f->d.isr, 1), 0);
	for (int v = 0; v < NVEC; v++)
		assert_false(efd_fired(f->p.efd[v], 0));
}

/* The PCI configuration access capability reaches the BAR. */
static void test_cfg_window(void **state)
{
	struct fx *f = *state;
	uint32_t c = f->d.cfgcap;

	reset_dev(f);
	cfgwr(f, c + 4, 1, 0);
	cfgwr(f, c + 8, 4, f->d.common + CC_NUMQ);
	cfgwr(f, c + 12, 4, 2);
	assert_int_equal(cfgrd(f, c + 16, 2), T_NQ);
	/* Write the status through the window. */
	cfgwr(f, c + 8, 4, f->d.common + CC_STATUS);
	cfgwr(f, c + 12, 4, 1);
	cfgwr(f, c + 16, 1, S_ACK);
	assert_int_equal(cc(f, CC_STATUS, 1), S_ACK);
	assert_int_equal(cfgrd(f, c + 16, 1), S_ACK);
	/* Device config through the window. */
	cfgwr(f, c + 8, 4, f->d.devcfg + 4);
	cfgwr(f, c + 12, 4, 4);
	assert_int_equal(cfgrd(f, c + 16, 4), 0x88776655);
	/* A bad selection reads zero and writes nothing. */
	cfgwr(f, c + 4, 1, 3);
	assert_int_equal(cfgrd(f, c + 16, 4), 0);
	cfgwr(f, c + 4, 1, 0);
	cfgwr(f, c + 8, 4, f->d.common + CC_STATUS);
	cfgwr(f, c + 12, 4, 3);
	cfgwr(f, c + 16, 1, 0);
	assert_int_equal(cc(f, CC_STATUS, 1), S_ACK);
}

struct spam {
	struct fx *f;
	int stop;
};

static void *spammer(void *arg)
{
	struct spam *s = arg;

	while (!__atomic_load_n(&s->stop, __ATOMIC_SEQ_CST)) {
		/* Like a vCPU kicking through MMIO. */
		uint64_t v = 0;

		bus_access(&s->f->p.mmio, s->f->d.bar + s->f->d.notify, &v, 2,
			   1);
		usleep(50);
	}
	return NULL;
}

/* Resets and activations never overlap a queue_notify call. */
static void test_quiesce(void **state)
{
	struct fx *f = *state;
	struct spam s = { f, 0 };
	pthread_t t;

	__atomic_store_n(&f->td.slow, 1, __ATOMIC_SEQ_CST);
	drv_init(f, dev_features(f), 1);
	assert_int_equal(pthread_create(&t, NULL, spammer, &s), 0);
	for (int i = 0; i < 30; i++) {
		drv_init(f, dev_features(f), 1);
		/* Give the kicks something to do before the next reset. */
		for (int j = 0; j < 4; j++)
			add_wbuf(f, 0, 0x40000 + 64 * j, 64);
		usleep(500);
	}
	__atomic_store_n(&s.stop, 1, __ATOMIC_SEQ_CST);
	pthread_join(t, NULL);
	assert_true(__atomic_load_n(&f->td.notifies, __ATOMIC_SEQ_CST) > 0);
	assert_int_equal(__atomic_load_n(&f->td.violations, __ATOMIC_SEQ_CST),
			 0);
	__atomic_store_n(&f->td.slow, 0, __ATOMIC_SEQ_CST);
}

static void test_create_errors(void **state)
{
	struct fx *f = *state;
	struct virtio_dev_info bad = td_info;
	struct virtio_dev *vd;

	bad.queue_size_max = 100;
	assert_int_equal(virtio_pci_create(&bad, &td_ops, &f->td, &f->p.host,
					   &vd),
			 -EINVAL);
	bad = td_info;
	bad.nr_queues = 0;
	assert_int_equal(virtio_pci_create(&bad, &td_ops, &f->td, &f->p.host,
					   &vd),
			 -EINVAL);
	bad = td_info;
	bad.nr_queues = VIRTIO_MAX_QUEUES + 1;
	assert_int_equal(virtio_pci_create(&bad, &td_ops, &f->td, &f->p.host,
					   &vd),
			 -EINVAL);
	bad = td_info;
	bad.features |= 1ull << VIRTIO_F_ACCESS_PLATFORM;
	assert_int_equal(virtio_pci_create(&bad, &td_ops, &f->td, &f->p.host,
					   &vd),
			 -EINVAL);
	assert_int_equal(virtio_pci_start(f->vd), -EBUSY);
	virtio_pci_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bar_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_state, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_register_rules, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_config_space, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_msix_isr, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cfg_window, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_quiesce, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_errors, setup,
						teardown),
	};

	log_set_level(LOG_ERR);
	return cmocka_run_group_tests_name("virtio_pci_regs", tests, NULL,
					   NULL);
}
