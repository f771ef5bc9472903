// SPDX-License-Identifier: Apache-2.0
/*
 * test_virtio_pci.c - the virtio-pci transport driven like a Linux driver
 * would, through real buses: PCI config space via pci_cfg_rw, the BAR via
 * bus_access on the MMIO bus, rings in malloc'd guest RAM, a recording
 * MSI router, real eventfds for the vectors and a recording ioeventfd hook
 * (or one answering -EOPNOTSUPP).  The device is a tiny in-test one that
 * fills each writable buffer with a per-request byte.
 */
#include "tests/unit/test_virtio_pci_fx.h"

/* ---- tests ----------------------------------------------------------- */

static void test_identity(void **state)
{
	struct fx *f = *state;
	uint32_t lo, hi;
	uint64_t size;

	assert_int_equal(cfgrd(f, 0x00, 2), 0x1af4);
	assert_int_equal(cfgrd(f, 0x02, 2), 0x1040 + T_ID);
	assert_int_equal(cfgrd(f, 0x08, 1), 1); /* revision 1: modern */
	assert_int_equal(cfgrd(f, 0x08, 4) >> 8, 0xff0000);
	assert_int_equal(cfgrd(f, 0x2c, 2), 0x1af4);
	/* Size the BAR the way firmware does; it must be a power of two
	 * covering every region. */
	cfgwr(f, 0x04, 2, 0);
	cfgwr(f, 0x10, 4, 0xffffffff);
	cfgwr(f, 0x14, 4, 0xffffffff);
	lo = cfgrd(f, 0x10, 4);
	hi = cfgrd(f, 0x14, 4);
	size = ~((uint64_t)hi << 32 | (lo & ~0xfu)) + 1;
	assert_int_equal(size & (size - 1), 0);
	assert_true(size > f->d.pba && size > f->d.table && size > f->d.notify);
	cfgwr(f, 0x10, 4, (uint32_t)f->d.bar);
	cfgwr(f, 0x14, 4, f->d.bar >> 32);
	cfgwr(f, 0x04, 2, 0x6);
	assert_int_equal(cc(f, CC_NUMQ, 2), T_NQ);
	/* Regions are distinct. */
	assert_true(f->d.common != f->d.isr && f->d.isr != f->d.devcfg &&
		    f->d.devcfg != f->d.notify && f->d.notify != f->d.table &&
		    f->d.table != f->d.pba);
}

static void test_features(void **state)
{
	struct fx *f = *state;
	uint64_t want = T_FEAT | 1ull << VIRTIO_F_VERSION_1 |
			1ull << VIRTIO_F_EVENT_IDX |
			1ull << VIRTIO_F_INDIRECT_DESC;

	reset_dev(f);
	status_or(f, S_ACK | S_DRV);
	assert_int_equal(dev_features(f), want);
	ccw(f, CC_DFSELECT, 4, 2);
	assert_int_equal(cc(f, CC_DF, 4), 0);

	/* An unoffered bit (ACCESS_PLATFORM) is refused. */
	set_features(f, want | 1ull << VIRTIO_F_ACCESS_PLATFORM);
	status_or(f, S_FOK);
	assert_int_equal(cc(f, CC_STATUS, 1), S_ACK | S_DRV);

	/* Without VERSION_1 too. */
	reset_dev(f);
	status_or(f, S_ACK | S_DRV);
	set_features(f, T_FEAT);
	status_or(f, S_FOK);
	assert_false(cc(f, CC_STATUS, 1) & S_FOK);

	/* A subset with VERSION_1 is accepted and reads back. */
	reset_dev(f);
	status_or(f, S_ACK | S_DRV);
	set_features(f, 1ull << VIRTIO_F_VERSION_1 | T_FEAT);
	status_or(f, S_FOK);
	assert_true(cc(f, CC_STATUS, 1) & S_FOK);
	ccw(f, CC_GFSELECT, 4, 1);
	assert_int_equal(cc(f, CC_GF, 4), 1);
	/* Frozen after FEATURES_OK. */
	ccw(f, CC_GF, 4, 0);
	assert_int_equal(cc(f, CC_GF, 4), 1);
	ccw(f, CC_GFSELECT, 4, 0);
	assert_int_equal(cc(f, CC_GF, 4), T_FEAT);
	/* DRIVER_OK hands exactly those to the device. */
	status_or(f, S_DOK);
	assert_int_equal(f->td.activates, 1);
	assert_int_equal(f->td.features, 1ull << VIRTIO_F_VERSION_1 | T_FEAT);
}

static void test_flow(void **state)
{
	struct fx *f = *state;
	unsigned int routes;

	drv_init(f, dev_features(f), 1);
	assert_int_equal(f->td.activates, 1);
	/* Each unmasked vector got its route. */
	routes = vdrv_plat_nroutes(&f->p);
	assert_true(routes >= NVEC);
	if (!f->p.ioev_mode) {
		assert_int_equal(f->p.nlive, T_NQ);
		for (int q = 0; q < T_NQ; q++)
			assert_non_null(find_ioev(f, f->d.bar + f->d.notify +
							     (uint64_t)q * 4));
	} else {
		assert_int_equal(f->p.nlive, 0);
	}
	one_request(f, 0, 0x40000, 64);
	one_request(f, 0, 0x40040, 64);
	one_request(f, 1, 0x41000, 100);
	/* The config vector stayed quiet. */
	assert_false(efd_fired(f->p.efd[0], 0));
	/* MSI-X on: the ISR is not used for queue interrupts. */
	assert_int_equal(rd(f, f->d.isr, 1) & 1, 0);
}

static void test_flow_noioev(void **state)
{
	test_flow(state);
}

/* The driver's interrupt suppression is honoured both ways. */
static void test_irq_suppression(void **state)
{
	struct fx *f = *state;
	uint64_t feat = dev_features(f) & ~(1ull << VIRTIO_F_EVENT_IDX);
	uint16_t *avail;

	/* No EVENT_IDX: VRING_AVAIL_F_NO_INTERRUPT. */
	drv_init(f, feat, 1);
	avail = gpa(f, f->q[0].avail);
	avail[0] = 1;
	add_wbuf(f, 0, 0x40000, 8);
	kick(f, 0);
	assert_true(WAIT_FOR(used_idx(f, 0) == 1));
	assert_false(efd_fired(f->p.efd[1], 50));
	avail[0] = 0;
	one_request(f, 0, 0x40000, 8);

	/* EVENT_IDX: used_event far ahead means no interrupt yet. */
	drv_init(f, dev_features(f), 1);
	avail = gpa(f, f->q[0].avail);
	one_request(f, 0, 0x40000, 8); /* the device has signalled once */
	add_wbuf(f, 0, 0x40000, 8);
	avail[2 + f->q[0].size] = 10; /* used_event */
	kick(f, 0);
	assert_true(WAIT_FOR(used_idx(f, 0) == 2));
	assert_false(efd_fired(f->p.efd[1], 50));
	one_request(f, 0, 0x40000, 8); /* publish asks for the next one */
}

static void test_kick_before_driver_ok(void **state)
{
	struct fx *f = *state;

	reset_dev(f);
	status_or(f, S_ACK | S_DRV);
	set_features(f, dev_features(f));
	status_or(f, S_FOK);
	msix_on(f);
	ccw(f, CC_MSIX, 2, 0);
	setup_queue(f, 0, 64, 1);
	setup_queue(f, 1, 64, 2);
	add_wbuf(f, 0, 0x40000, 16);
	kick(f, 0);
	usleep(20000);
	assert_int_equal(used_idx(f, 0), 0); /* not before DRIVER_OK */
	status_or(f, S_DOK);
	/* DRIVER_OK looks at what was queued meanwhile. */
	assert_true(WAIT_FOR(used_idx(f, 0) == 1));
	assert_true(efd_fired(f->p.efd[1], 3000));
}

static void test_hostile_ring(void **state)
{
	struct fx *f = *state;

	drv_init(f, dev_features(f), 1);
	/* A descriptor loop: 0 -> 1 -> 0. */
	put_desc(f, 0, 0, 0x40000, 16, DESC_F_WRITE | DESC_F_NEXT, 1);
	put_desc(f, 0, 1, 0x40010, 16, DESC_F_WRITE | DESC_F_NEXT, 0);
	publish(f, 0, 0);
	kick(f, 0);
	assert_true(WAIT_FOR(cc(f, CC_STATUS, 1) & S_NR));
	assert_true(efd_fired(f->p.efd[0], 3000)); /* config vector */
	assert_true(rd(f, f->d.isr, 1) & 2);
	assert_int_equal(used_idx(f, 0), 0);
	/* A reset brings it back to life. */
	drv_init(f, dev_features(f), 1);
	one_request(f, 0, 0x40000, 64);
}

static void test_hostile_ring_noioev(void **state)
{
	test_hostile_ring(state);
}

static void test_bad_ring_at_enable(void **state)
{
	struct fx *f = *state;

	reset_dev(f);
	status_or(f, S_ACK | S_DRV);
	set_features(f, dev_features(f));
	status_or(f, S_FOK);
	msix_on(f);
	ccw(f, CC_MSIX, 2, 0);
	ccw(f, CC_QSEL, 2, 0);
	ccw(f, CC_QSIZE, 2, 64);
	ccw(f, CC_QDESC, 4, RAM_SIZE - 16); /* runs off the end of RAM */
	ccw(f, CC_QDRIVER, 4, 0x14000);
	ccw(f, CC_QDEVICE, 4, 0x18000);
	ccw(f, CC_QENABLE, 2, 1);
	assert_int_equal(cc(f, CC_QENABLE, 2), 0);
	assert_true(cc(f, CC_STATUS, 1) & S_NR);
	assert_true(efd_fired(f->p.efd[0], 3000));
	/* Misaligned desc after a reset: same. */
	reset_dev(f);
	assert_false(efd_fired(f->p.efd[0], 0));
	status_or(f, S_ACK | S_DRV);
	set_features(f, dev_features(f));
	status_or(f, S_FOK);
	ccw(f, CC_MSIX, 2, 0);
	ccw(f, CC_QDESC, 4, 0x10008);
	ccw(f, CC_QDRIVER, 4, 0x14000);
	ccw(f, CC_QDEVICE, 4, 0x18000);
	ccw(f, CC_QENABLE, 2, 1);
	assert_true(cc(f, CC_STATUS, 1) & S_NR);
	/* DRIVER_OK now does not activate the device. */
	status_or(f, S_DOK);
	assert_int_equal(f->td.activates, 0);
}

/* Whole lifecycles leave no thread or fd behind. */
static void test_no_leaks(void **state)
{
	int fds = vdrv_count_fds();
	int tasks = vdrv_count_threads();
	void *st;

	for (int i = 0; i < 3; i++) {
		setup_mode(&st, i & 1);
		test_flow(&st);
		teardown(&st);
	}
	assert_int_equal(vdrv_count_fds(), fds);
	/* A joined thread's task can linger in /proc for a moment. */
	if (!VDRV_WAIT_FOR(vdrv_count_threads() == tasks))
		assert_int_equal(vdrv_count_threads(), tasks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_features, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flow_noioev, setup_noioev,
						teardown),
		cmocka_unit_test_setup_teardown(test_irq_suppression, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_kick_before_driver_ok,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_ring, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hostile_ring_noioev,
						setup_noioev, teardown),
		cmocka_unit_test_setup_teardown(test_bad_ring_at_enable, setup,
						teardown),
		cmocka_unit_test(test_no_leaks),
	};

	log_set_level(LOG_ERR);
	return cmocka_run_group_tests_name("virtio_pci", tests, NULL, NULL);
}
