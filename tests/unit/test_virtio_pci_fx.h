// SPDX-License-Identifier: Apache-2.0
/*
 * test_virtio_pci_fx.h - fixture shared by test_virtio_pci.c and
 * test_virtio_pci_regs.c: the virtio-pci transport on real buses (PCI
 * config space via pci_cfg_rw, the BAR via bus_access), rings in malloc'd
 * guest RAM, a recording MSI router, real eventfds for the vectors and a
 * recording ioeventfd hook (or one answering -EOPNOTSUPP), and a tiny
 * in-test device that fills each writable buffer with a per-request byte.
 */
#ifndef NIMBUS_TESTS_UNIT_TEST_VIRTIO_PCI_FX_H
#define NIMBUS_TESTS_UNIT_TEST_VIRTIO_PCI_FX_H

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

static inline void td_cfg_read(void *opaque, uint32_t off, void *data,
			       uint32_t len)
{
	memcpy(data, ((struct tdev *)opaque)->cfg + off, len);
}

static inline void td_cfg_write(void *opaque, uint32_t off, const void *data,
				uint32_t len)
{
	struct tdev *t = opaque;

	t->wr_off = off;
	t->wr_len = len;
	t->wr_val = 0;
	memcpy(&t->wr_val, data, len);
}

static inline int td_activate(void *opaque, struct virtio_dev *vd, uint64_t f)
{
	struct tdev *t = opaque;

	if (__atomic_load_n(&t->in_notify, __ATOMIC_SEQ_CST))
		__atomic_add_fetch(&t->violations, 1, __ATOMIC_SEQ_CST);
	t->activates++;
	t->features = f;
	return 0;
}

static inline void td_reset(void *opaque)
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

static inline void td_notify(void *opaque, struct virtio_dev *vd, uint16_t qidx)
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

static inline uint32_t cfgrd(struct fx *f, uint32_t off, uint32_t len)
{
	return vdrv_cfg_rd(&f->d, off, len);
}

static inline void cfgwr(struct fx *f, uint32_t off, uint32_t len, uint32_t v)
{
	vdrv_cfg_wr(&f->d, off, len, v);
}

static inline uint64_t rd(struct fx *f, uint64_t off, uint32_t len)
{
	return vdrv_rd(&f->d, off, len);
}

static inline void wr(struct fx *f, uint64_t off, uint32_t len, uint64_t v)
{
	vdrv_wr(&f->d, off, len, v);
}

static inline uint64_t cc(struct fx *f, uint32_t reg, uint32_t len)
{
	return vdrv_cc_rd(&f->d, reg, len);
}

static inline void ccw(struct fx *f, uint32_t reg, uint32_t len, uint64_t v)
{
	vdrv_cc_wr(&f->d, reg, len, v);
}

static inline void *gpa(struct fx *f, uint64_t a)
{
	return vdrv_ram_ptr(f->p.ram, a, 1);
}

static inline uint16_t used_idx(struct fx *f, int q)
{
	return vdrv_vq_used_idx(&f->q[q]);
}

#define WAIT_FOR VDRV_WAIT_FOR

static inline int efd_fired(int fd, int ms)
{
	return vdrv_efd_fired(fd, ms);
}

/* Check the capability list the library walked: the virtio caps and
 * MSI-X. */
static inline void check_caps(struct fx *f)
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

static inline void check_bar(struct fx *f)
{
	assert_int_equal(f->d.bar_lo & 0x7, 0x4); /* memory, 64-bit */
	assert_true(f->d.bar >= MMIO64_BASE);
	assert_int_equal(cfgrd(f, 0x04, 2) & 0x6, 0x6); /* memory + master */
}

static inline void msix_on(struct fx *f)
{
	vdrv_msix_enable(&f->d);
}

static inline void status_or(struct fx *f, uint8_t bits)
{
	vdrv_status_or(&f->d, bits);
}

static inline void reset_dev(struct fx *f)
{
	vdrv_reset(&f->d);
}

static inline uint64_t dev_features(struct fx *f)
{
	return vdrv_features(&f->d);
}

static inline void set_features(struct fx *f, uint64_t feat)
{
	vdrv_set_features(&f->d, feat);
}

/* Program queue q's size, rings and vector (rings at fixed RAM spots). */
static inline void setup_queue(struct fx *f, int q, uint16_t size, uint16_t vec)
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
static inline void drv_init(struct fx *f, uint64_t feat, int msix)
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

static inline void put_desc(struct fx *f, int q, uint16_t i, uint64_t addr,
			    uint32_t len, uint16_t flags, uint16_t next)
{
	vdrv_vq_desc(&f->q[q], i, addr, len, flags, next);
}

/* Publish chain `head` and, with EVENT_IDX, ask for the next interrupt. */
static inline void publish(struct fx *f, int q, uint16_t head)
{
	vdrv_vq_publish(&f->q[q], head, true);
}

/* One writable buffer of `len` bytes at `addr`. */
static inline void add_wbuf(struct fx *f, int q, uint64_t addr, uint32_t len)
{
	struct vdrv_seg s = { addr, len, 1 };

	vdrv_vq_post(&f->q[q], &s, 1, true);
}

static const struct vdrv_ioev *find_ioev(struct fx *f, uint64_t addr)
{
	return vdrv_ioev_find(&f->p, addr);
}

static inline void kick(struct fx *f, int q)
{
	vdrv_kick(&f->d, q);
}

/* ---- fixture --------------------------------------------------------- */

static inline int setup_mode(void **state, int ioev_mode)
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

static inline int setup(void **state)
{
	return setup_mode(state, 0);
}

static inline int setup_noioev(void **state)
{
	return setup_mode(state, 1);
}

static inline int teardown(void **state)
{
	struct fx *f = *state;

	/* Unmapping the BAR takes the ioeventfds away (checked). */
	vdrv_plat_remove_bus(&f->p);
	virtio_pci_destroy(f->vd);
	vdrv_plat_destroy(&f->p);
	free(f);
	return 0;
}

/* Request/complete on queue q with a vector; checks data and interrupt. */
static inline void one_request(struct fx *f, int q, uint64_t buf, uint32_t len)
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

#endif /* NIMBUS_TESTS_UNIT_TEST_VIRTIO_PCI_FX_H */
