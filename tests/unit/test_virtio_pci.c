// SPDX-License-Identifier: Apache-2.0
/*
 * test_virtio_pci.c - the virtio-pci transport driven like a Linux driver
 * would, through real buses: PCI config space via pci_cfg_rw, the BAR via
 * bus_access on the MMIO bus, rings in malloc'd guest RAM, a recording
 * MSI router, real eventfds for the vectors and a recording ioeventfd hook
 * (or one answering -EOPNOTSUPP).  The device is a tiny in-test one that
 * fills each writable buffer with a per-request byte.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/bus.h"
#include "devices/pci/pci.h"
#include "devices/virtio/virtio.h"
#include "devices/virtio/virtio_pci.h"
#include "vmm/guest_mem.h"
#include "vmm/log.h"

/* Platform. */
#define RAM_SIZE (1u << 20)
#define ECAM_BASE 0xb0000000ull
#define MMIO32_BASE 0xc0000000ull
#define MMIO32_SIZE 0x10000000ull
#define MMIO64_BASE 0x100000000ull
#define MMIO64_SIZE 0x100000000ull
#define GSI_BASE 40
#define MAX_REC 256

/* Spec constants the test (the "driver") knows independently. */
#define NO_VECTOR 0xffff
#define CAP_VNDR 0x09
#define CAP_MSIX 0x11
#define CC_DFSELECT 0x00
#define CC_DF 0x04
#define CC_GFSELECT 0x08
#define CC_GF 0x0c
#define CC_MSIX 0x10
#define CC_NUMQ 0x12
#define CC_STATUS 0x14
#define CC_CFGGEN 0x15
#define CC_QSEL 0x16
#define CC_QSIZE 0x18
#define CC_QMSIX 0x1a
#define CC_QENABLE 0x1c
#define CC_QNOFF 0x1e
#define CC_QDESC 0x20
#define CC_QDRIVER 0x28
#define CC_QDEVICE 0x30
#define S_ACK VIRTIO_STATUS_ACKNOWLEDGE
#define S_DRV VIRTIO_STATUS_DRIVER
#define S_FOK VIRTIO_STATUS_FEATURES_OK
#define S_DOK VIRTIO_STATUS_DRIVER_OK
#define S_NR VIRTIO_STATUS_NEEDS_RESET
#define DESC_F_NEXT 1
#define DESC_F_WRITE 2

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

struct ioev {
	uint64_t addr;
	uint32_t len;
	int fd;
};

struct fx {
	struct bus pio, mmio;
	struct pci_bus *pb;
	struct guest_mem mem;
	uint8_t *ram;
	struct msi_router router;
	pthread_mutex_t rlock;
	uint32_t route_gsi[MAX_REC];
	unsigned int nroutes;
	int efd[NVEC];
	int ioev_mode; /* 0 record, 1 -EOPNOTSUPP */
	struct ioev live[MAX_REC];
	unsigned int nlive, nassign, ndeassign;
	struct virtio_pci_host host;
	struct virtio_dev *vd;
	struct tdev td;
	uint8_t devfn;
	uint64_t bar;
	uint32_t common, isr, devcfg, notify, mult, cfgcap, msixcap;
	uint32_t table, pba;
	/* driver side of each queue */
	struct {
		uint16_t size, avail_idx, next_desc;
		uint64_t desc, avail, used;
	} q[T_NQ];
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

/* ---- host hooks ---------------------------------------------------- */

static int r_set(void *opaque, uint32_t gsi, uint64_t addr, uint32_t data)
{
	struct fx *f = opaque;

	pthread_mutex_lock(&f->rlock);
	if (f->nroutes < MAX_REC)
		f->route_gsi[f->nroutes++] = gsi;
	pthread_mutex_unlock(&f->rlock);
	return 0;
}

static int r_clear(void *opaque, uint32_t gsi)
{
	return 0;
}

static int h_alloc(void *opaque, uint16_t n, uint32_t *gsi_base, int *efds)
{
	struct fx *f = opaque;

	if (n != NVEC)
		return -EINVAL;
	for (uint16_t i = 0; i < n; i++)
		efds[i] = f->efd[i];
	*gsi_base = GSI_BASE;
	return 0;
}

static int h_ioev(void *opaque, uint64_t addr, uint32_t len, int fd, int assign)
{
	struct fx *f = opaque;

	if (f->ioev_mode)
		return -EOPNOTSUPP;
	if (assign) {
		for (unsigned int i = 0; i < f->nlive; i++)
			if (f->live[i].addr == addr)
				return -EEXIST;
		f->live[f->nlive++] = (struct ioev){ addr, len, fd };
		f->nassign++;
		return 0;
	}
	for (unsigned int i = 0; i < f->nlive; i++) {
		if (f->live[i].addr == addr && f->live[i].fd == fd) {
			f->live[i] = f->live[--f->nlive];
			f->ndeassign++;
			return 0;
		}
	}
	return -ENOENT;
}

/* ---- driver-side helpers ------------------------------------------- */

static uint32_t cfgrd(struct fx *f, uint32_t off, uint32_t len)
{
	uint32_t v = 0;

	assert_int_equal(pci_cfg_rw(f->pb, f->devfn, off, &v, len, 0), 0);
	return v;
}

static void cfgwr(struct fx *f, uint32_t off, uint32_t len, uint32_t v)
{
	assert_int_equal(pci_cfg_rw(f->pb, f->devfn, off, &v, len, 1), 0);
}

static uint64_t rd(struct fx *f, uint64_t off, uint32_t len)
{
	uint64_t v = 0;

	bus_access(&f->mmio, f->bar + off, &v, len, 0);
	return v;
}

static void wr(struct fx *f, uint64_t off, uint32_t len, uint64_t v)
{
	bus_access(&f->mmio, f->bar + off, &v, len, 1);
}

static uint64_t cc(struct fx *f, uint32_t reg, uint32_t len)
{
	return rd(f, f->common + reg, len);
}

static void ccw(struct fx *f, uint32_t reg, uint32_t len, uint64_t v)
{
	wr(f, f->common + reg, len, v);
}

static void *gpa(struct fx *f, uint64_t a)
{
	return f->ram + a;
}

static uint16_t used_idx(struct fx *f, int q)
{
	return __atomic_load_n((uint16_t *)gpa(f, f->q[q].used + 2),
			       __ATOMIC_ACQUIRE);
}

/* Wait up to ~3 s for `pred`. */
#define WAIT_FOR(pred)                                               \
	({                                                           \
		int _ok = 0;                                         \
		for (int _i = 0; _i < 3000 && !(_ok = (pred)); _i++) \
			usleep(1000);                                \
		_ok;                                                 \
	})

static int efd_fired(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	eventfd_t v;

	if (poll(&p, 1, ms) != 1)
		return 0;
	return eventfd_read(fd, &v) == 0;
}

/* Walk the capability list: the virtio caps and MSI-X. */
static void find_caps(struct fx *f)
{
	uint32_t ptr = cfgrd(f, 0x34, 1), seen = 0;

	assert_true(cfgrd(f, 0x06, 2) & 0x10); /* capability list */
	for (int n = 0; ptr && n < 48; n++, ptr = cfgrd(f, ptr + 1, 1)) {
		uint32_t id = cfgrd(f, ptr, 1);

		if (id == CAP_MSIX) {
			f->msixcap = ptr;
			continue;
		}
		assert_int_equal(id, CAP_VNDR);
		uint32_t type = cfgrd(f, ptr + 3, 1);
		uint32_t off = cfgrd(f, ptr + 8, 4);
		uint32_t len = cfgrd(f, ptr + 12, 4);

		seen |= 1u << type;
		if (type != 5) {
			assert_int_equal(cfgrd(f, ptr + 4, 1), 0); /* BAR 0 */
			assert_int_equal(off % 4096, 0);
		}
		switch (type) {
		case 1:
			assert_int_equal(cfgrd(f, ptr + 2, 1), 16);
			assert_true(len >= 0x38);
			f->common = off;
			break;
		case 2:
			assert_int_equal(cfgrd(f, ptr + 2, 1), 20);
			f->mult = cfgrd(f, ptr + 16, 4);
			assert_true(len >= T_NQ * f->mult);
			f->notify = off;
			break;
		case 3:
			assert_true(len >= 1);
			f->isr = off;
			break;
		case 4:
			assert_int_equal(len, T_CFG);
			f->devcfg = off;
			break;
		case 5:
			assert_int_equal(cfgrd(f, ptr + 2, 1), 20);
			f->cfgcap = ptr;
			break;
		default:
			fail_msg("unexpected virtio cap type %u", type);
		}
	}
	assert_int_equal(seen, 0x3e);
	assert_int_equal(f->mult, 4);
	assert_true(f->msixcap);
	/* MSI-X: table size N-1 in Message Control, BIR 0. */
	assert_int_equal(cfgrd(f, f->msixcap + 2, 2) & 0x7ff, NVEC - 1);
	f->table = cfgrd(f, f->msixcap + 4, 4);
	f->pba = cfgrd(f, f->msixcap + 8, 4);
	assert_int_equal(f->table & 7, 0);
	assert_int_equal(f->pba & 7, 0);
	assert_int_equal(f->table % 4096, 0);
	assert_int_equal(f->pba % 4096, 0);
}

static void map_bar(struct fx *f)
{
	uint32_t lo = cfgrd(f, 0x10, 4), hi = cfgrd(f, 0x14, 4);

	assert_int_equal(lo & 0x7, 0x4); /* memory, 64-bit */
	f->bar = (uint64_t)hi << 32 | (lo & ~0xfu);
	assert_true(f->bar >= MMIO64_BASE);
	cfgwr(f, 0x04, 2, cfgrd(f, 0x04, 2) | 0x6); /* memory + master */
}

static void msix_on(struct fx *f)
{
	cfgwr(f, f->msixcap + 2, 2, 0x8000);
	for (uint32_t v = 0; v < NVEC; v++) {
		uint32_t e = f->table + 16 * v;

		wr(f, e, 4, 0xfee00000);
		wr(f, e + 4, 4, 0);
		wr(f, e + 8, 4, 0x30 + v);
		wr(f, e + 12, 4, 0); /* unmask */
	}
}

static void status_or(struct fx *f, uint8_t bits)
{
	ccw(f, CC_STATUS, 1, cc(f, CC_STATUS, 1) | bits);
}

static void reset_dev(struct fx *f)
{
	ccw(f, CC_STATUS, 1, 0);
	assert_int_equal(cc(f, CC_STATUS, 1), 0);
}

static uint64_t dev_features(struct fx *f)
{
	ccw(f, CC_DFSELECT, 4, 0);
	uint64_t lo = cc(f, CC_DF, 4);

	ccw(f, CC_DFSELECT, 4, 1);
	return lo | cc(f, CC_DF, 4) << 32;
}

static void set_features(struct fx *f, uint64_t feat)
{
	ccw(f, CC_GFSELECT, 4, 0);
	ccw(f, CC_GF, 4, (uint32_t)feat);
	ccw(f, CC_GFSELECT, 4, 1);
	ccw(f, CC_GF, 4, feat >> 32);
}

/* Program queue q's size, rings and vector (rings at fixed RAM spots). */
static void setup_queue(struct fx *f, int q, uint16_t size, uint16_t vec)
{
	uint64_t base = 0x10000 + (uint64_t)q * 0x10000;

	memset(gpa(f, base), 0, 0x10000);
	f->q[q].size = size;
	f->q[q].avail_idx = f->q[q].next_desc = 0;
	f->q[q].desc = base;
	f->q[q].avail = base + 0x4000;
	f->q[q].used = base + 0x8000;
	ccw(f, CC_QSEL, 2, q);
	assert_int_equal(cc(f, CC_QSIZE, 2), 256); /* the default */
	assert_int_equal(cc(f, CC_QENABLE, 2), 0);
	assert_int_equal(cc(f, CC_QNOFF, 2), q);
	ccw(f, CC_QSIZE, 2, size);
	ccw(f, CC_QDESC, 4, (uint32_t)f->q[q].desc);
	ccw(f, CC_QDESC + 4, 4, f->q[q].desc >> 32);
	ccw(f, CC_QDRIVER, 4, (uint32_t)f->q[q].avail);
	ccw(f, CC_QDRIVER + 4, 4, 0);
	ccw(f, CC_QDEVICE, 4, (uint32_t)f->q[q].used);
	ccw(f, CC_QDEVICE + 4, 4, 0);
	ccw(f, CC_QMSIX, 2, vec);
	assert_int_equal(cc(f, CC_QMSIX, 2), vec);
	ccw(f, CC_QENABLE, 2, 1);
}

/* The Linux probe sequence up to DRIVER_OK; all queues enabled. */
static void drv_init(struct fx *f, uint64_t feat, int msix)
{
	int n;

	reset_dev(f);
	status_or(f, S_ACK);
	status_or(f, S_DRV);
	assert_int_equal(dev_features(f) & feat, feat);
	set_features(f, feat);
	status_or(f, S_FOK);
	assert_true(cc(f, CC_STATUS, 1) & S_FOK);
	if (msix) {
		msix_on(f);
		ccw(f, CC_MSIX, 2, 0);
		assert_int_equal(cc(f, CC_MSIX, 2), 0);
	}
	for (int q = 0; q < T_NQ; q++)
		setup_queue(f, q, 64, msix ? 1 + q : NO_VECTOR);
	n = __atomic_load_n(&f->td.notifies, __ATOMIC_SEQ_CST);
	status_or(f, S_DOK);
	assert_int_equal(cc(f, CC_STATUS, 1), S_ACK | S_DRV | S_FOK | S_DOK);
	/* DRIVER_OK kicks every queue once; let those pass so later kicks
	 * in a test are the only thing that can make the device work. */
	assert_true(WAIT_FOR(__atomic_load_n(&f->td.notifies,
					     __ATOMIC_SEQ_CST) >= n + T_NQ));
}

static void put_desc(struct fx *f, int q, uint16_t i, uint64_t addr,
		     uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *d = gpa(f, f->q[q].desc + 16ull * i);

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

/* Publish chain `head` and, with EVENT_IDX, ask for the next interrupt. */
static void publish(struct fx *f, int q, uint16_t head)
{
	uint16_t n = f->q[q].size, ai = f->q[q].avail_idx;
	uint16_t *avail = gpa(f, f->q[q].avail);

	avail[2 + ai % n] = head;
	avail[2 + n] = used_idx(f, q); /* used_event */
	__atomic_store_n(&avail[1], (uint16_t)(ai + 1), __ATOMIC_RELEASE);
	f->q[q].avail_idx = ai + 1;
}

/* One writable buffer of `len` bytes at `addr`. */
static void add_wbuf(struct fx *f, int q, uint64_t addr, uint32_t len)
{
	uint16_t d = f->q[q].next_desc++ % f->q[q].size;

	put_desc(f, q, d, addr, len, DESC_F_WRITE, 0);
	publish(f, q, d);
}

static const struct ioev *find_ioev(struct fx *f, uint64_t addr)
{
	for (unsigned int i = 0; i < f->nlive; i++)
		if (f->live[i].addr == addr)
			return &f->live[i];
	return NULL;
}

static void kick(struct fx *f, int q)
{
	uint64_t a = f->bar + f->notify + (uint64_t)q * f->mult;
	const struct ioev *e = find_ioev(f, a);

	if (f->ioev_mode) {
		assert_null(e);
		wr(f, f->notify + q * f->mult, 2, q); /* traps to the VMM */
		return;
	}
	/* What KVM does with a matching 2-byte write. */
	assert_non_null(e);
	assert_int_equal(e->len, 2);
	assert_int_equal(eventfd_write(e->fd, 1), 0);
}

/* ---- fixture --------------------------------------------------------- */

static int setup_mode(void **state, int ioev_mode)
{
	struct pci_bus_cfg pc = { 0 };
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->ioev_mode = ioev_mode;
	pthread_mutex_init(&f->rlock, NULL);
	assert_int_equal(bus_init(&f->pio, "pio"), 0);
	assert_int_equal(bus_init(&f->mmio, "mmio"), 0);
	f->ram = aligned_alloc(4096, RAM_SIZE);
	assert_non_null(f->ram);
	memset(f->ram, 0, RAM_SIZE);
	guest_mem_init(&f->mem);
	assert_int_equal(guest_mem_add_external(&f->mem, 0, RAM_SIZE, f->ram),
			 0);
	for (int i = 0; i < NVEC; i++) {
		f->efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		assert_true(f->efd[i] >= 0);
	}
	f->router = (struct msi_router){ r_set, r_clear, f };
	f->host = (struct virtio_pci_host){ .mem = &f->mem,
					    .router = &f->router,
					    .alloc_vectors = h_alloc,
					    .ioeventfd = h_ioev,
					    .opaque = f };
	pc.pio = &f->pio;
	pc.mmio = &f->mmio;
	pc.ecam_base = ECAM_BASE;
	pc.mmio32_base = MMIO32_BASE;
	pc.mmio32_size = MMIO32_SIZE;
	pc.mmio64_base = MMIO64_BASE;
	pc.mmio64_size = MMIO64_SIZE;
	assert_int_equal(pci_bus_create(&pc, &f->pb), 0);
	memcpy(f->td.cfg, "\x11\x22\x33\x44\x55\x66\x77\x88", T_CFG);
	assert_int_equal(virtio_pci_create(&td_info, &td_ops, &f->td, &f->host,
					   &f->vd),
			 0);
	assert_int_equal(pci_bus_add_dev(f->pb, virtio_pci_dev(f->vd), -1,
					 &f->devfn),
			 0);
	assert_int_equal(virtio_pci_start(f->vd), 0);
	find_caps(f);
	map_bar(f);
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

	pci_bus_destroy(f->pb);
	/* Unmapping the BAR took the ioeventfds away. */
	assert_int_equal(f->nlive, 0);
	virtio_pci_destroy(f->vd);
	for (int i = 0; i < NVEC; i++)
		close(f->efd[i]);
	guest_mem_destroy(&f->mem);
	free(f->ram);
	bus_destroy(&f->pio);
	bus_destroy(&f->mmio);
	pthread_mutex_destroy(&f->rlock);
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
	assert_true(size > f->pba && size > f->table && size > f->notify);
	cfgwr(f, 0x10, 4, (uint32_t)f->bar);
	cfgwr(f, 0x14, 4, f->bar >> 32);
	cfgwr(f, 0x04, 2, 0x6);
	assert_int_equal(cc(f, CC_NUMQ, 2), T_NQ);
	/* Regions are distinct. */
	assert_true(f->common != f->isr && f->isr != f->devcfg &&
		    f->devcfg != f->notify && f->notify != f->table &&
		    f->table != f->pba);
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
	assert_true(efd_fired(f->efd[1 + q], 3000));
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
	pthread_mutex_lock(&f->rlock);
	routes = f->nroutes;
	pthread_mutex_unlock(&f->rlock);
	assert_true(routes >= NVEC);
	if (!f->ioev_mode) {
		assert_int_equal(f->nlive, T_NQ);
		for (int q = 0; q < T_NQ; q++)
			assert_non_null(find_ioev(f, f->bar + f->notify +
							     (uint64_t)q * 4));
	} else {
		assert_int_equal(f->nlive, 0);
	}
	one_request(f, 0, 0x40000, 64);
	one_request(f, 0, 0x40040, 64);
	one_request(f, 1, 0x41000, 100);
	/* The config vector stayed quiet. */
	assert_false(efd_fired(f->efd[0], 0));
	/* MSI-X on: the ISR is not used for queue interrupts. */
	assert_int_equal(rd(f, f->isr, 1) & 1, 0);
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
	assert_false(efd_fired(f->efd[1], 50));
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
	assert_false(efd_fired(f->efd[1], 50));
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
	assert_true(efd_fired(f->efd[1], 3000));
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
	assert_true(efd_fired(f->efd[0], 3000)); /* config vector */
	assert_true(rd(f, f->isr, 1) & 2);
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
	assert_true(efd_fired(f->efd[0], 3000));
	/* Misaligned desc after a reset: same. */
	reset_dev(f);
	assert_false(efd_fired(f->efd[0], 0));
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
	uint64_t old = f->bar, nbar = MMIO64_BASE + 0x40000000ull;
	uint64_t v = 0;

	drv_init(f, dev_features(f), 1);
	assert_int_equal(f->nlive, T_NQ);
	assert_int_equal(f->live[0].addr & ~0xfffull, old + f->notify);
	cfgwr(f, 0x10, 4, (uint32_t)nbar | 0x4);
	cfgwr(f, 0x14, 4, nbar >> 32);
	f->bar = nbar;
	assert_int_equal(f->nlive, T_NQ);
	for (int q = 0; q < T_NQ; q++) {
		assert_non_null(find_ioev(f, nbar + f->notify + q * 4ull));
		assert_null(find_ioev(f, old + f->notify + q * 4ull));
	}
	/* Old address decodes nothing; the new one is the device. */
	assert_int_equal(bus_access(&f->mmio, old + f->common + CC_NUMQ, &v, 2,
				    0),
			 -ENOENT);
	assert_int_equal(cc(f, CC_NUMQ, 2), T_NQ);
	one_request(f, 0, 0x40000, 32);
	/* Memory decode off: all ioeventfds gone, back on: back. */
	cfgwr(f, 0x04, 2, 0x4);
	assert_int_equal(f->nlive, 0);
	cfgwr(f, 0x04, 2, 0x6);
	assert_int_equal(f->nlive, T_NQ);
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
	assert_true(cfgrd(f, f->msixcap + 2, 2) & 0x8000);
	/* A kick after reset does nothing. */
	add_wbuf(f, 0, 0x40000, 8);
	wr(f, f->notify, 2, 0);
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
	assert_int_equal(rd(f, f->isr, 4), 0xffffffffull);
	assert_int_equal(rd(f, f->common + 0x3c, 4), 0xffffffffull);
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
	wr(f, f->notify + 1, 1, 0);
	wr(f, f->notify + 4 * T_NQ, 2, 0);
	assert_int_equal(rd(f, f->notify, 2), 0);
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

	assert_int_equal(rd(f, f->devcfg, 1), 0x11);
	assert_int_equal(rd(f, f->devcfg + 2, 2), 0x4433);
	assert_int_equal(rd(f, f->devcfg + 4, 4), 0x88776655);
	assert_int_equal(rd(f, f->devcfg + 6, 4), 0xffffffffull); /* past */
	assert_int_equal(rd(f, f->devcfg + 1, 2), 0xffff); /* unaligned */
	assert_int_equal(rd(f, f->devcfg + T_CFG, 1), 0xff);
	wr(f, f->devcfg + 4, 2, 0xbeef);
	assert_int_equal(f->td.wr_off, 4);
	assert_int_equal(f->td.wr_len, 2);
	assert_int_equal(f->td.wr_val, 0xbeef);

	drv_init(f, dev_features(f), 1);
	gen = cc(f, CC_CFGGEN, 1);
	virtio_config_changed(f->vd);
	assert_int_equal(cc(f, CC_CFGGEN, 1), (uint8_t)(gen + 1));
	assert_true(efd_fired(f->efd[0], 3000));
	/* ISR: config bit set, a read clears it. */
	assert_int_equal(rd(f, f->isr, 1), 2);
	assert_int_equal(rd(f, f->isr, 1), 0);
	/* NO_VECTOR: no interrupt at all. */
	ccw(f, CC_MSIX, 2, NO_VECTOR);
	virtio_config_changed(f->vd);
	assert_false(efd_fired(f->efd[0], 20));
}

static void test_no_msix_isr(void **state)
{
	struct fx *f = *state;

	drv_init(f, dev_features(f), 0);
	add_wbuf(f, 0, 0x40000, 64);
	kick(f, 0);
	assert_true(WAIT_FOR(used_idx(f, 0) == 1));
	assert_true(WAIT_FOR(rd(f, f->isr, 1) & 1));
	assert_int_equal(rd(f, f->isr, 1), 0);
	for (int v = 0; v < NVEC; v++)
		assert_false(efd_fired(f->efd[v], 0));
}

/* The PCI configuration access capability reaches the BAR. */
static void test_cfg_window(void **state)
{
	struct fx *f = *state;
	uint32_t c = f->cfgcap;

	reset_dev(f);
	cfgwr(f, c + 4, 1, 0);
	cfgwr(f, c + 8, 4, f->common + CC_NUMQ);
	cfgwr(f, c + 12, 4, 2);
	assert_int_equal(cfgrd(f, c + 16, 2), T_NQ);
	/* Write the status through the window. */
	cfgwr(f, c + 8, 4, f->common + CC_STATUS);
	cfgwr(f, c + 12, 4, 1);
	cfgwr(f, c + 16, 1, S_ACK);
	assert_int_equal(cc(f, CC_STATUS, 1), S_ACK);
	assert_int_equal(cfgrd(f, c + 16, 1), S_ACK);
	/* Device config through the window. */
	cfgwr(f, c + 8, 4, f->devcfg + 4);
	cfgwr(f, c + 12, 4, 4);
	assert_int_equal(cfgrd(f, c + 16, 4), 0x88776655);
	/* A bad selection reads zero and writes nothing. */
	cfgwr(f, c + 4, 1, 3);
	assert_int_equal(cfgrd(f, c + 16, 4), 0);
	cfgwr(f, c + 4, 1, 0);
	cfgwr(f, c + 8, 4, f->common + CC_STATUS);
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

		bus_access(&s->f->mmio, s->f->bar + s->f->notify, &v, 2, 1);
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

static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Whole lifecycles leave no thread or fd behind. */
static void test_no_leaks(void **state)
{
	int fds = count_dir("/proc/self/fd");
	int tasks = count_dir("/proc/self/task");
	void *st;

	for (int i = 0; i < 3; i++) {
		setup_mode(&st, i & 1);
		test_flow(&st);
		teardown(&st);
	}
	assert_int_equal(count_dir("/proc/self/fd"), fds);
	assert_int_equal(count_dir("/proc/self/task"), tasks);
}

static void test_create_errors(void **state)
{
	struct fx *f = *state;
	struct virtio_dev_info bad = td_info;
	struct virtio_dev *vd;

	bad.queue_size_max = 100;
	assert_int_equal(virtio_pci_create(&bad, &td_ops, &f->td, &f->host,
					   &vd),
			 -EINVAL);
	bad = td_info;
	bad.nr_queues = 0;
	assert_int_equal(virtio_pci_create(&bad, &td_ops, &f->td, &f->host,
					   &vd),
			 -EINVAL);
	bad = td_info;
	bad.nr_queues = VIRTIO_MAX_QUEUES + 1;
	assert_int_equal(virtio_pci_create(&bad, &td_ops, &f->td, &f->host,
					   &vd),
			 -EINVAL);
	bad = td_info;
	bad.features |= 1ull << VIRTIO_F_ACCESS_PLATFORM;
	assert_int_equal(virtio_pci_create(&bad, &td_ops, &f->td, &f->host,
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
