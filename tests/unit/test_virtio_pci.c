// SPDX-License-Identifier: Apache-2.0
/*
 * test_virtio_pci.c - the virtio-pci transport driven like a Linux driver
 * would, through real buses: PCI config space via pci_cfg_rw, the BAR via
 * bus_access on the MMIO bus, rings in malloc'd guest RAM, a recording
 * MSI router, real eventfds for the vectors and a recording ioeventfd hook
 * (or one answering -EOPNOTSUPP).  The device is a tiny in-test one that
 * fills each writable buffer with a per-request byte.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>

#include "devices/virtio/virtio_pci.h"
#include "tests/lib/vdriver.h"
#include "vmm/log.h"

/* Platform. */
#define RAM_SIZE (1u << 20)
#define MMIO64_BASE VDRV_MMIO64_BASE
#define GSI_BASE 40

/* Spec constants the test (the "driver") knows independently. */
#define NO_VECTOR 0xffff
#define CAP_VNDR 0x09
#define CAP_MSIX 0x11
#define CC_DFSELECT VDRV_CC_DFSELECT
#define CC_DF VDRV_CC_DF
#define CC_GFSELECT VDRV_CC_GFSELECT
#define CC_GF VDRV_CC_GF
#define CC_MSIX VDRV_CC_MSIX
#define CC_NUMQ VDRV_CC_NUMQ
#define CC_STATUS VDRV_CC_STATUS
#define CC_CFGGEN VDRV_CC_CFGGEN
#define CC_QSEL VDRV_CC_QSEL
#define CC_QSIZE VDRV_CC_QSIZE
#define CC_QMSIX VDRV_CC_QMSIX
#define CC_QENABLE VDRV_CC_QENABLE
#define CC_QNOFF VDRV_CC_QNOFF
#define CC_QDESC VDRV_CC_QDESC
#define CC_QDRIVER VDRV_CC_QDRIVER
#define CC_QDEVICE VDRV_CC_QDEVICE
#define S_ACK VIRTIO_STATUS_ACKNOWLEDGE
#define S_DRV VIRTIO_STATUS_DRIVER
#define S_FOK VIRTIO_STATUS_FEATURES_OK
#define S_DOK VIRTIO_STATUS_DRIVER_OK
#define S_NR VIRTIO_STATUS_NEEDS_RESET
#define DESC_F_NEXT VDRV_DESC_F_NEXT
#define DESC_F_WRITE VDRV_DESC_F_WRITE

/* The in-test device. */
#define T_ID 30
#define T_NQ 2
#define T_QMAX 1024
#define T_FEAT (1ull << 3)
#define T_CFG 8
#define NVEC (T_NQ + 1)

struct tdev {
	uint8_t cfg[T_CFG];
	uint32_t wr_off, wr_len, wr_val;
	int activates, resets, notifies;
	uint64_t features;
	int in_reset, in_notify, violations; /* atomics: quiesce checks */
	int slow; /* atomic: sleep inside callbacks */
	uint8_t next_byte;
	struct vq_chain chain;
};

struct fx {
	struct vdrv_plat p;
	struct vdrv_dev d;
	struct virtio_dev *vd;
	struct tdev td;
	struct vdrv_vq q[T_NQ]; /* driver side of each queue */
};

/* ---- in-test device ------------------------------------------------ */

static void td_cfg_read(void *opaque, uint32_t off, void *data, uint32_t len)
{
	memcpy(data, ((struct tdev *)opaque)->cfg + off, len);
}

static void td_cfg_write(void *opaque, uint32_t off, const void *data,
			 uint32_t len)
{
	struct tdev *t = opaque;

	t->wr_off = off;
	t->wr_len = len;
	t->wr_val = 0;
	memcpy(&t->wr_val, data, len);
}

static int td_activate(void *opaque, struct virtio_dev *vd, uint64_t f)
{
	struct tdev *t = opaque;

	if (__atomic_load_n(&t->in_notify, __ATOMIC_SEQ_CST))
		__atomic_add_fetch(&t->violations, 1, __ATOMIC_SEQ_CST);
	t->activates++;
	t->features = f;
	return 0;
}

static void td_reset(void *opaque)
{
	struct tdev *t = opaque;

	__atomic_store_n(&t->in_reset, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&t->in_notify, __ATOMIC_SEQ_CST))
		__atomic_add_fetch(&t->violations, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&t->slow, __ATOMIC_SEQ_CST))
		usleep(300);
	t->resets++;
	__atomic_store_n(&t->in_reset, 0, __ATOMIC_SEQ_CST);
}

static void td_notify(void *opaque, struct virtio_dev *vd, uint16_t qidx)
{
	struct tdev *t = opaque;
	struct vq *q = virtio_queue(vd, qidx);
	int ret, pushed = 0;

	__atomic_store_n(&t->in_notify, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&t->in_reset, __ATOMIC_SEQ_CST))
		__atomic_add_fetch(&t->violations, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&t->notifies, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&t->slow, __ATOMIC_SEQ_CST))
		usleep(300);
	while ((ret = vq_pop(q, &t->chain)) == 0) {
		uint32_t len = 0;

		t->next_byte++;
		for (uint16_t i = 0; i < t->chain.nr; i++) {
			if (!t->chain.buf[i].write)
				continue;
			memset(t->chain.buf[i].addr, t->next_byte,
			       t->chain.buf[i].len);
			len += t->chain.buf[i].len;
		}
		vq_push(q, t->chain.head, len);
		pushed = 1;
	}
	if (ret == -EINVAL)
		virtio_set_needs_reset(vd);
	if (pushed)
		virtio_notify_used(vd, qidx);
	__atomic_store_n(&t->in_notify, 0, __ATOMIC_SEQ_CST);
}

static const struct virtio_dev_info td_info = {
	.name = "vtest",
	.device_id = T_ID,
	.pci_class = 0xff0000,
	.features = T_FEAT,
	.nr_queues = T_NQ,
	.queue_size_max = T_QMAX,
	.config_size = T_CFG,
};

static const struct virtio_dev_ops td_ops = {
	.config_read = td_cfg_read,
	.config_write = td_cfg_write,
	.activate = td_activate,
	.queue_notify = td_notify,
	.reset = td_reset,
};

/* ---- driver-side helpers ------------------------------------------- */

static uint32_t cfgrd(struct fx *f, uint32_t off, uint32_t len)
{
	return vdrv_cfg_rd(&f->d, off, len);
}

static void cfgwr(struct fx *f, uint32_t off, uint32_t len, uint32_t v)
{
	vdrv_cfg_wr(&f->d, off, len, v);
}

static uint64_t rd(struct fx *f, uint64_t off, uint32_t len)
{
	return vdrv_rd(&f->d, off, len);
}

static void wr(struct fx *f, uint64_t off, uint32_t len, uint64_t v)
{
	vdrv_wr(&f->d, off, len, v);
}

static uint64_t cc(struct fx *f, uint32_t reg, uint32_t len)
{
	return vdrv_cc_rd(&f->d, reg, len);
}

static void ccw(struct fx *f, uint32_t reg, uint32_t len, uint64_t v)
{
	vdrv_cc_wr(&f->d, reg, len, v);
}

static void *gpa(struct fx *f, uint64_t a)
{
	return vdrv_ram_ptr(f->p.ram, a, 1);
}

static uint16_t used_idx(struct fx *f, int q)
{
	return vdrv_vq_used_idx(&f->q[q]);
}

#define WAIT_FOR VDRV_WAIT_FOR

static int efd_fired(int fd, int ms)
{
	return vdrv_efd_fired(fd, ms);
}

/* Check the capability list the library walked: the virtio caps and
 * MSI-X. */
static void check_caps(struct fx *f)
{
	assert_true(cfgrd(f, 0x06, 2) & 0x10); /* capability list */
	for (unsigned int i = 0; i < f->d.ncaps; i++) {
		const struct vdrv_cap *c = &f->d.caps[i];

		if (c->id == CAP_MSIX)
			continue;
		assert_int_equal(c->id, CAP_VNDR);
		if (c->type != 5) {
			assert_int_equal(c->bar, 0); /* BAR 0 */
			assert_int_equal(c->off % 4096, 0);
		}
		switch (c->type) {
		case 1:
			assert_int_equal(c->cap_len, 16);
			assert_true(c->len >= 0x38);
			break;
		case 2:
			assert_int_equal(c->cap_len, 20);
			assert_true(c->len >= T_NQ * f->d.mult);
			break;
		case 3:
			assert_true(c->len >= 1);
			break;
		case 4:
			assert_int_equal(c->len, T_CFG);
			break;
		case 5:
			assert_int_equal(c->cap_len, 20);
			break;
		default:
			fail_msg("unexpected virtio cap type %u", c->type);
		}
	}
	assert_int_equal(f->d.vcaps_seen, 0x3e);
	assert_int_equal(f->d.mult, 4);
	assert_true(f->d.msixcap);
	/* MSI-X: table size N-1 in Message Control, BIR 0. */
	assert_int_equal(cfgrd(f, f->d.msixcap + 2, 2) & 0x7ff, NVEC - 1);
	assert_int_equal(cfgrd(f, f->d.msixcap + 4, 4), f->d.table);
	assert_int_equal(f->d.table_bir, 0);
	assert_int_equal(f->d.pba & 7, 0);
	assert_int_equal(f->d.table % 4096, 0);
	assert_int_equal(f->d.pba % 4096, 0);
}

static void check_bar(struct fx *f)
{
	assert_int_equal(f->d.bar_lo & 0x7, 0x4); /* memory, 64-bit */
	assert_true(f->d.bar >= MMIO64_BASE);
	assert_int_equal(cfgrd(f, 0x04, 2) & 0x6, 0x6); /* memory + master */
}

static void msix_on(struct fx *f)
{
	vdrv_msix_enable(&f->d);
}

static void status_or(struct fx *f, uint8_t bits)
{
	vdrv_status_or(&f->d, bits);
}

static void reset_dev(struct fx *f)
{
	vdrv_reset(&f->d);
}

static uint64_t dev_features(struct fx *f)
{
	return vdrv_features(&f->d);
}

static void set_features(struct fx *f, uint64_t feat)
{
	vdrv_set_features(&f->d, feat);
}

/* Program queue q's size, rings and vector (rings at fixed RAM spots). */
static void setup_queue(struct fx *f, int q, uint16_t size, uint16_t vec)
{
	uint64_t base = 0x10000 + (uint64_t)q * 0x10000;

	vdrv_vq_place(&f->q[q], f->p.ram, size, base, base + 0x4000,
		      base + 0x8000);
	ccw(f, CC_QSEL, 2, q);
	assert_int_equal(cc(f, CC_QSIZE, 2), 256); /* the default */
	assert_int_equal(cc(f, CC_QENABLE, 2), 0);
	assert_int_equal(cc(f, CC_QNOFF, 2), q);
	vdrv_queue_setup(&f->d, q, &f->q[q], vec);
}

/* The Linux probe sequence up to DRIVER_OK; all queues enabled. */
static void drv_init(struct fx *f, uint64_t feat, int msix)
{
	int n;

	vdrv_negotiate(&f->d, feat);
	if (msix) {
		msix_on(f);
		ccw(f, CC_MSIX, 2, 0);
		assert_int_equal(cc(f, CC_MSIX, 2), 0);
	}
	for (int q = 0; q < T_NQ; q++)
		setup_queue(f, q, 64, msix ? 1 + q : NO_VECTOR);
	n = __atomic_load_n(&f->td.notifies, __ATOMIC_SEQ_CST);
	vdrv_driver_ok(&f->d);
	/* DRIVER_OK kicks every queue once; let those pass so later kicks
	 * in a test are the only thing that can make the device work. */
	assert_true(WAIT_FOR(__atomic_load_n(&f->td.notifies,
					     __ATOMIC_SEQ_CST) >= n + T_NQ));
}

static void put_desc(struct fx *f, int q, uint16_t i, uint64_t addr,
		     uint32_t len, uint16_t flags, uint16_t next)
{
	vdrv_vq_desc(&f->q[q], i, addr, len, flags, next);
}

/* Publish chain `head` and, with EVENT_IDX, ask for the next interrupt. */
static void publish(struct fx *f, int q, uint16_t head)
{
	vdrv_vq_publish(&f->q[q], head, true);
}

/* One writable buffer of `len` bytes at `addr`. */
static void add_wbuf(struct fx *f, int q, uint64_t addr, uint32_t len)
{
	struct vdrv_seg s = { addr, len, 1 };

	vdrv_vq_post(&f->q[q], &s, 1, true);
}

static const struct vdrv_ioev *find_ioev(struct fx *f, uint64_t addr)
{
	return vdrv_ioev_find(&f->p, addr);
}

static void kick(struct fx *f, int q)
{
	vdrv_kick(&f->d, q);
}

/* ---- fixture --------------------------------------------------------- */

static int setup_mode(void **state, int ioev_mode)
{
	struct vdrv_plat_cfg pc = { .ram_size = RAM_SIZE,
				    .nvec = NVEC,
				    .gsi_base = GSI_BASE,
				    .ioev_mode = ioev_mode };
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	vdrv_plat_init(&f->p, &pc);
	memcpy(f->td.cfg, "\x11\x22\x33\x44\x55\x66\x77\x88", T_CFG);
	assert_int_equal(virtio_pci_create(&td_info, &td_ops, &f->td,
					   &f->p.host, &f->vd),
			 0);
	assert_int_equal(virtio_pci_start(f->vd), 0);
	vdrv_dev_plug(&f->d, &f->p, virtio_pci_dev(f->vd));
	check_caps(f);
	check_bar(f);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_mode(state, 0);
}

static int setup_noioev(void **state)
{
	return setup_mode(state, 1);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	/* Unmapping the BAR takes the ioeventfds away (checked). */
	vdrv_plat_remove_bus(&f->p);
	virtio_pci_destroy(f->vd);
	vdrv_plat_destroy(&f->p);
	free(f);
	return 0;
}

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

/* Request/complete on queue q with a vector; checks data and interrupt. */
static void one_request(struct fx *f, int q, uint64_t buf, uint32_t len)
{
	uint16_t before = used_idx(f, q);
	uint8_t expect;

	memset(gpa(f, buf), 0, len);
	add_wbuf(f, q, buf, len);
	kick(f, q);
	assert_true(WAIT_FOR(used_idx(f, q) == (uint16_t)(before + 1)));
	assert_true(efd_fired(f->p.efd[1 + q], 3000));
	/* The used element: our head, all bytes written. */
	uint32_t *ue = gpa(f, f->q[q].used + 4 + 8 * (before % f->q[q].size));
	assert_int_equal(ue[1], len);
	expect = f->td.next_byte;
	for (uint32_t i = 0; i < len; i++)
		assert_int_equal(((uint8_t *)gpa(f, buf))[i], expect);
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
		cmocka_unit_test(test_no_leaks),
	};

	log_set_level(LOG_ERR);
	return cmocka_run_group_tests_name("virtio_pci", tests, NULL, NULL);
}
