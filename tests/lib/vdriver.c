// SPDX-License-Identifier: Apache-2.0
/*
 * vdriver.c - a small virtio driver for unit tests (see vdriver.h).
 */
#define LOG_MOD "vdriver"
#include "tests/lib/vdriver.h"

#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>

#include "vmm/log.h"

#define PCI_CAP_PTR 0x34
#define PCI_CAP_ID_VNDR 0x09
#define PCI_CAP_ID_MSIX 0x11
#define PCI_COMMAND 0x04
#define PCI_BAR0 0x10
#define MSIX_ENABLE 0x8000
#define RAM_ALIGN (1u << 21)

/* ---- guest RAM ------------------------------------------------------- */

void vdrv_ram_init(struct vdrv_ram *r, uint64_t gpa, uint64_t size)
{
	void *host = NULL;

	assert_int_equal(posix_memalign(&host, RAM_ALIGN, size), 0);
	memset(host, 0, size);
	r->host = host;
	r->gpa = gpa;
	r->size = size;
	guest_mem_init(&r->mem);
	assert_int_equal(guest_mem_add_external(&r->mem, gpa, size, r->host),
			 0);
}

void vdrv_ram_destroy(struct vdrv_ram *r)
{
	guest_mem_destroy(&r->mem);
	free(r->host);
	r->host = NULL;
}

void *vdrv_ram_ptr(const struct vdrv_ram *r, uint64_t gpa, uint64_t len)
{
	assert_true(gpa >= r->gpa && len <= r->size &&
		    gpa - r->gpa <= r->size - len);
	return r->host + (gpa - r->gpa);
}

void vdrv_st16(const struct vdrv_ram *r, uint64_t gpa, uint16_t v)
{
	v = htole16(v);
	memcpy(vdrv_ram_ptr(r, gpa, 2), &v, 2);
}

void vdrv_st32(const struct vdrv_ram *r, uint64_t gpa, uint32_t v)
{
	v = htole32(v);
	memcpy(vdrv_ram_ptr(r, gpa, 4), &v, 4);
}

void vdrv_st64(const struct vdrv_ram *r, uint64_t gpa, uint64_t v)
{
	v = htole64(v);
	memcpy(vdrv_ram_ptr(r, gpa, 8), &v, 8);
}

uint16_t vdrv_ld16(const struct vdrv_ram *r, uint64_t gpa)
{
	uint16_t v;

	memcpy(&v, vdrv_ram_ptr(r, gpa, 2), 2);
	return le16toh(v);
}

uint32_t vdrv_ld32(const struct vdrv_ram *r, uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, vdrv_ram_ptr(r, gpa, 4), 4);
	return le32toh(v);
}

/* ---- split rings ------------------------------------------------------- */

void vdrv_vq_place(struct vdrv_vq *q, const struct vdrv_ram *ram, uint16_t size,
		   uint64_t desc, uint64_t avail, uint64_t used)
{
	assert_true(size && !(size & (size - 1)));
	*q = (struct vdrv_vq){ .ram = ram,
			       .desc = desc,
			       .avail = avail,
			       .used = used,
			       .size = size };
	memset(vdrv_ram_ptr(ram, desc, 16ull * size), 0, 16ull * size);
	memset(vdrv_ram_ptr(ram, avail, 6 + 2ull * size), 0, 6 + 2ull * size);
	memset(vdrv_ram_ptr(ram, used, 6 + 8ull * size), 0, 6 + 8ull * size);
}

void vdrv_vq_desc(struct vdrv_vq *q, uint16_t i, uint64_t addr, uint32_t len,
		  uint16_t flags, uint16_t next)
{
	uint64_t d = q->desc + 16ull * i;

	assert_true(i < q->size);
	vdrv_st64(q->ram, d, addr);
	vdrv_st32(q->ram, d + 8, len);
	vdrv_st16(q->ram, d + 12, flags);
	vdrv_st16(q->ram, d + 14, next);
}

uint16_t vdrv_vq_chain(struct vdrv_vq *q, const struct vdrv_seg *s,
		       unsigned int n)
{
	uint16_t head = q->next_desc % q->size;

	for (unsigned int i = 0; i < n; i++) {
		uint16_t idx = (uint16_t)((head + i) % q->size);
		uint16_t fl = s[i].write ? VDRV_DESC_F_WRITE : 0;

		if (i + 1 < n)
			fl |= VDRV_DESC_F_NEXT;
		vdrv_vq_desc(q, idx, s[i].gpa, s[i].len, fl,
			     (uint16_t)((idx + 1) % q->size));
	}
	q->next_desc = (uint16_t)(q->next_desc + n);
	return head;
}

void vdrv_vq_publish(struct vdrv_vq *q, uint16_t head, bool want_irq)
{
	uint16_t *idx = vdrv_ram_ptr(q->ram, q->avail + 2, 2);

	vdrv_st16(q->ram, q->avail + 4 + 2ull * (q->avail_idx % q->size), head);
	if (want_irq)
		vdrv_st16(q->ram, vdrv_vq_used_event(q), vdrv_vq_used_idx(q));
	q->avail_idx++;
	/* Pairs with the device's acquire of avail->idx: the ring slot and
	 * descriptors are visible before the new index. */
	__atomic_store_n(idx, htole16(q->avail_idx), __ATOMIC_RELEASE);
}

uint16_t vdrv_vq_post(struct vdrv_vq *q, const struct vdrv_seg *s,
		      unsigned int n, bool want_irq)
{
	uint16_t head = vdrv_vq_chain(q, s, n);

	vdrv_vq_publish(q, head, want_irq);
	return head;
}

uint16_t vdrv_vq_used_idx(const struct vdrv_vq *q)
{
	uint16_t *idx = vdrv_ram_ptr(q->ram, q->used + 2, 2);

	/* Pairs with the device's release of used->idx. */
	return le16toh(__atomic_load_n(idx, __ATOMIC_ACQUIRE));
}

void vdrv_vq_used_elem(const struct vdrv_vq *q, uint16_t slot, uint32_t *id,
		       uint32_t *len)
{
	uint64_t e = q->used + 4 + 8ull * (slot % q->size);

	*id = vdrv_ld32(q->ram, e);
	*len = vdrv_ld32(q->ram, e + 4);
}

uint32_t vdrv_vq_take_used(struct vdrv_vq *q, uint16_t head)
{
	uint32_t id, len;

	assert_true((uint16_t)(vdrv_vq_used_idx(q) - q->used_seen) > 0);
	vdrv_vq_used_elem(q, q->used_seen, &id, &len);
	assert_int_equal(id, head);
	q->used_seen++;
	return len;
}

void vdrv_vq_assert_no_used(const struct vdrv_vq *q)
{
	assert_int_equal(vdrv_vq_used_idx(q), q->used_seen);
}

bool vdrv_vq_wait_used(const struct vdrv_vq *q, uint16_t idx)
{
	return VDRV_WAIT_FOR(vdrv_vq_used_idx(q) == idx);
}

uint64_t vdrv_vq_used_event(const struct vdrv_vq *q)
{
	return q->avail + 4 + 2ull * q->size;
}

uint64_t vdrv_vq_avail_event(const struct vdrv_vq *q)
{
	return q->used + 4 + 8ull * q->size;
}

/* ---- platform hooks ------------------------------------------------------ */

static int plat_route_set(void *opaque, uint32_t gsi, uint64_t addr,
			  uint32_t data)
{
	struct vdrv_plat *p = opaque;

	pthread_mutex_lock(&p->lock);
	if (p->nroutes < VDRV_MAX_REC)
		p->route_gsi[p->nroutes++] = gsi;
	pthread_mutex_unlock(&p->lock);
	return 0;
}

static int plat_route_clear(void *opaque, uint32_t gsi)
{
	return 0;
}

static int plat_alloc_vectors(void *opaque, uint16_t n, uint32_t *gsi_base,
			      int *efds)
{
	struct vdrv_plat *p = opaque;

	if (n != p->nvec)
		return -EINVAL;
	memcpy(efds, p->efd, n * sizeof(*efds));
	*gsi_base = p->gsi_base;
	return 0;
}

/* Device events: counted (any thread). */
static void plat_event(void *opaque, struct virtio_dev *vd, const char *what)
{
	struct vdrv_plat *p = opaque;

	if (!strcmp(what, "activated"))
		__atomic_fetch_add(&p->nactivated, 1, __ATOMIC_SEQ_CST);
	else if (!strcmp(what, "reset"))
		__atomic_fetch_add(&p->nresets, 1, __ATOMIC_SEQ_CST);
	else
		__atomic_fetch_add(&p->nbadevents, 1, __ATOMIC_SEQ_CST);
}

static int plat_ioeventfd(void *opaque, uint64_t addr, uint32_t len, int fd,
			  int assign)
{
	struct vdrv_plat *p = opaque;

	if (p->ioev_mode)
		return -EOPNOTSUPP;
	if (len != 2)
		p->ioev_bad++;
	if (assign) {
		if (vdrv_ioev_find(p, addr) || p->nlive == VDRV_MAX_REC) {
			p->ioev_bad++;
			return -EEXIST;
		}
		p->live[p->nlive++] = (struct vdrv_ioev){ addr, len, fd };
		p->nassign++;
		return 0;
	}
	for (unsigned int i = 0; i < p->nlive; i++) {
		if (p->live[i].addr == addr && p->live[i].fd == fd) {
			p->live[i] = p->live[--p->nlive];
			p->ndeassign++;
			return 0;
		}
	}
	p->ioev_bad++;
	return -ENOENT;
}

/* ---- the platform ---------------------------------------------------------- */

void vdrv_plat_init(struct vdrv_plat *p, const struct vdrv_plat_cfg *cfg)
{
	struct pci_bus_cfg pc = {
		.pio = &p->pio,
		.mmio = &p->mmio,
		.ecam_base = VDRV_ECAM_BASE,
		.mmio32_base = VDRV_MMIO32_BASE,
		.mmio32_size = VDRV_MMIO32_SIZE,
		.mmio64_base = VDRV_MMIO64_BASE,
		.mmio64_size = VDRV_MMIO64_SIZE,
	};

	assert_true(cfg->nvec <= VDRV_MAX_VEC);
	p->nvec = cfg->nvec;
	p->gsi_base = cfg->gsi_base;
	p->ioev_mode = cfg->ioev_mode;
	assert_int_equal(pthread_mutex_init(&p->lock, NULL), 0);
	assert_int_equal(bus_init(&p->pio, "pio"), 0);
	assert_int_equal(bus_init(&p->mmio, "mmio"), 0);
	p->ram = cfg->ram;
	if (!p->ram) {
		p->ram = &p->own_ram;
		vdrv_ram_init(p->ram, cfg->ram_gpa, cfg->ram_size);
	}
	for (uint16_t i = 0; i < p->nvec; i++) {
		p->efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		assert_true(p->efd[i] >= 0);
	}
	p->router = (struct msi_router){ .set = plat_route_set,
					 .clear = plat_route_clear,
					 .opaque = p };
	p->host = (struct virtio_pci_host){ .mem = &p->ram->mem,
					    .router = &p->router,
					    .alloc_vectors = plat_alloc_vectors,
					    .ioeventfd = plat_ioeventfd,
					    .event = plat_event,
					    .opaque = p };
	assert_int_equal(pci_bus_create(&pc, &p->pb), 0);
}

void vdrv_plat_remove_bus(struct vdrv_plat *p)
{
	if (!p->pb)
		return;
	pci_bus_destroy(p->pb);
	p->pb = NULL;
	/* Unmapping the BARs took the ioeventfds away. */
	assert_int_equal(p->nlive, 0);
	assert_int_equal(p->ioev_bad, 0);
}

void vdrv_plat_destroy(struct vdrv_plat *p)
{
	vdrv_plat_remove_bus(p);
	for (uint16_t i = 0; i < p->nvec; i++)
		close(p->efd[i]);
	if (p->ram == &p->own_ram)
		vdrv_ram_destroy(p->ram);
	bus_destroy(&p->pio);
	bus_destroy(&p->mmio);
	pthread_mutex_destroy(&p->lock);
}

unsigned int vdrv_plat_nroutes(struct vdrv_plat *p)
{
	unsigned int n;

	pthread_mutex_lock(&p->lock);
	n = p->nroutes;
	pthread_mutex_unlock(&p->lock);
	return n;
}

const struct vdrv_ioev *vdrv_ioev_find(const struct vdrv_plat *p, uint64_t addr)
{
	for (unsigned int i = 0; i < p->nlive; i++)
		if (p->live[i].addr == addr)
			return &p->live[i];
	return NULL;
}

/* ---- a virtio-pci function --------------------------------------------------- */

uint32_t vdrv_cfg_rd(struct vdrv_dev *d, uint32_t off, uint32_t len)
{
	uint32_t v = 0;

	assert_int_equal(pci_cfg_rw(d->p->pb, d->devfn, off, &v, len, 0), 0);
	return v;
}

void vdrv_cfg_wr(struct vdrv_dev *d, uint32_t off, uint32_t len, uint32_t v)
{
	assert_int_equal(pci_cfg_rw(d->p->pb, d->devfn, off, &v, len, 1), 0);
}

static void find_caps(struct vdrv_dev *d)
{
	uint32_t ptr = vdrv_cfg_rd(d, PCI_CAP_PTR, 1);

	for (d->ncaps = 0; ptr; ptr = vdrv_cfg_rd(d, ptr + 1, 1)) {
		struct vdrv_cap *c = &d->caps[d->ncaps++];

		assert_true(d->ncaps <= VDRV_MAX_CAPS);
		*c = (struct vdrv_cap){ .ptr = (uint8_t)ptr,
					.id = (uint8_t)vdrv_cfg_rd(d, ptr, 1) };
		if (c->id == PCI_CAP_ID_MSIX) {
			uint32_t tbl = vdrv_cfg_rd(d, ptr + 4, 4);

			d->msixcap = ptr;
			d->table = tbl & ~7u;
			d->table_bir = tbl & 7;
			d->pba = vdrv_cfg_rd(d, ptr + 8, 4);
			continue;
		}
		if (c->id != PCI_CAP_ID_VNDR)
			continue;
		c->cap_len = (uint8_t)vdrv_cfg_rd(d, ptr + 2, 1);
		c->type = (uint8_t)vdrv_cfg_rd(d, ptr + 3, 1);
		c->bar = (uint8_t)vdrv_cfg_rd(d, ptr + 4, 1);
		c->off = vdrv_cfg_rd(d, ptr + 8, 4);
		c->len = vdrv_cfg_rd(d, ptr + 12, 4);
		if (c->type < 32)
			d->vcaps_seen |= 1u << c->type;
		switch (c->type) {
		case 1:
			d->common = c->off;
			break;
		case 2:
			d->notify = c->off;
			d->mult = vdrv_cfg_rd(d, ptr + 16, 4);
			break;
		case 3:
			d->isr = c->off;
			break;
		case 4:
			d->devcfg = c->off;
			d->devcfg_len = c->len;
			break;
		case 5:
			d->cfgcap = ptr;
			break;
		}
	}
}

void vdrv_dev_plug(struct vdrv_dev *d, struct vdrv_plat *p, struct pci_dev *pd)
{
	uint32_t hi;

	d->p = p;
	assert_int_equal(pci_bus_add_dev(p->pb, pd, -1, &d->devfn), 0);
	find_caps(d);
	d->bar_lo = vdrv_cfg_rd(d, PCI_BAR0, 4);
	hi = vdrv_cfg_rd(d, PCI_BAR0 + 4, 4);
	d->bar = (uint64_t)hi << 32 | (d->bar_lo & ~0xfu);
	/* Memory decode and bus mastering. */
	vdrv_cfg_wr(d, PCI_COMMAND, 2, vdrv_cfg_rd(d, PCI_COMMAND, 2) | 0x6);
}

uint64_t vdrv_rd(struct vdrv_dev *d, uint64_t off, uint32_t len)
{
	uint64_t v = 0;
	int ret = bus_access(&d->p->mmio, d->bar + off, &v, len, 0);

	if (d->strict)
		assert_int_equal(ret, 0);
	return v;
}

void vdrv_wr(struct vdrv_dev *d, uint64_t off, uint32_t len, uint64_t v)
{
	int ret = bus_access(&d->p->mmio, d->bar + off, &v, len, 1);

	if (d->strict)
		assert_int_equal(ret, 0);
}

uint64_t vdrv_cc_rd(struct vdrv_dev *d, uint32_t reg, uint32_t len)
{
	return vdrv_rd(d, d->common + reg, len);
}

void vdrv_cc_wr(struct vdrv_dev *d, uint32_t reg, uint32_t len, uint64_t v)
{
	vdrv_wr(d, d->common + reg, len, v);
}

void vdrv_status_or(struct vdrv_dev *d, uint8_t bits)
{
	vdrv_cc_wr(d, VDRV_CC_STATUS, 1,
		   vdrv_cc_rd(d, VDRV_CC_STATUS, 1) | bits);
}

void vdrv_reset(struct vdrv_dev *d)
{
	vdrv_cc_wr(d, VDRV_CC_STATUS, 1, 0);
	assert_int_equal(vdrv_cc_rd(d, VDRV_CC_STATUS, 1), 0);
}

uint64_t vdrv_features(struct vdrv_dev *d)
{
	uint64_t lo;

	vdrv_cc_wr(d, VDRV_CC_DFSELECT, 4, 0);
	lo = vdrv_cc_rd(d, VDRV_CC_DF, 4);
	vdrv_cc_wr(d, VDRV_CC_DFSELECT, 4, 1);
	return lo | vdrv_cc_rd(d, VDRV_CC_DF, 4) << 32;
}

void vdrv_set_features(struct vdrv_dev *d, uint64_t feat)
{
	vdrv_cc_wr(d, VDRV_CC_GFSELECT, 4, 0);
	vdrv_cc_wr(d, VDRV_CC_GF, 4, (uint32_t)feat);
	vdrv_cc_wr(d, VDRV_CC_GFSELECT, 4, 1);
	vdrv_cc_wr(d, VDRV_CC_GF, 4, feat >> 32);
}

void vdrv_negotiate(struct vdrv_dev *d, uint64_t feat)
{
	const uint8_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			   VIRTIO_STATUS_FEATURES_OK;

	vdrv_reset(d);
	vdrv_status_or(d, VIRTIO_STATUS_ACKNOWLEDGE);
	vdrv_status_or(d, VIRTIO_STATUS_DRIVER);
	assert_int_equal(vdrv_features(d) & feat, feat);
	vdrv_set_features(d, feat);
	vdrv_status_or(d, VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(vdrv_cc_rd(d, VDRV_CC_STATUS, 1), st);
}

void vdrv_msix_enable(struct vdrv_dev *d)
{
	assert_true(d->msixcap);
	vdrv_cfg_wr(d, d->msixcap + 2, 2, MSIX_ENABLE);
	for (uint32_t v = 0; v < d->p->nvec; v++) {
		uint32_t e = d->table + 16 * v;

		vdrv_wr(d, e, 4, 0xfee00000);
		vdrv_wr(d, e + 4, 4, 0);
		vdrv_wr(d, e + 8, 4, 0x30 + v);
		vdrv_wr(d, e + 12, 4, 0); /* unmask */
	}
}

static void set_addr(struct vdrv_dev *d, uint32_t reg, uint64_t a)
{
	if (d->wide_addr) {
		vdrv_cc_wr(d, reg, 8, a);
		return;
	}
	vdrv_cc_wr(d, reg, 4, (uint32_t)a);
	vdrv_cc_wr(d, reg + 4, 4, a >> 32);
}

void vdrv_queue_setup(struct vdrv_dev *d, uint16_t qidx,
		      const struct vdrv_vq *q, uint16_t vec)
{
	vdrv_cc_wr(d, VDRV_CC_QSEL, 2, qidx);
	vdrv_cc_wr(d, VDRV_CC_QSIZE, 2, q->size);
	set_addr(d, VDRV_CC_QDESC, q->desc);
	set_addr(d, VDRV_CC_QDRIVER, q->avail);
	set_addr(d, VDRV_CC_QDEVICE, q->used);
	vdrv_cc_wr(d, VDRV_CC_QMSIX, 2, vec);
	assert_int_equal(vdrv_cc_rd(d, VDRV_CC_QMSIX, 2), vec);
	vdrv_cc_wr(d, VDRV_CC_QENABLE, 2, 1);
	assert_int_equal(vdrv_cc_rd(d, VDRV_CC_QENABLE, 2), 1);
}

void vdrv_driver_ok(struct vdrv_dev *d)
{
	vdrv_status_or(d, VIRTIO_STATUS_DRIVER_OK);
	assert_int_equal(vdrv_cc_rd(d, VDRV_CC_STATUS, 1),
			 VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
				 VIRTIO_STATUS_FEATURES_OK |
				 VIRTIO_STATUS_DRIVER_OK);
}

void vdrv_driver_init(struct vdrv_dev *d, uint64_t feat, struct vdrv_vq *qs,
		      uint16_t nq, uint16_t cfg_vec, uint16_t qvec0)
{
	vdrv_negotiate(d, feat);
	if (cfg_vec != VDRV_NO_VECTOR || qvec0 != VDRV_NO_VECTOR) {
		vdrv_msix_enable(d);
		vdrv_cc_wr(d, VDRV_CC_MSIX, 2, cfg_vec);
		assert_int_equal(vdrv_cc_rd(d, VDRV_CC_MSIX, 2), cfg_vec);
	}
	for (uint16_t i = 0; i < nq; i++)
		vdrv_queue_setup(d, i, &qs[i],
				 qvec0 == VDRV_NO_VECTOR ? VDRV_NO_VECTOR :
							   qvec0 + i);
	vdrv_driver_ok(d);
}

void vdrv_kick(struct vdrv_dev *d, uint16_t qidx)
{
	uint64_t off = d->notify + (uint64_t)qidx * d->mult;
	const struct vdrv_ioev *e = vdrv_ioev_find(d->p, d->bar + off);

	if (d->p->ioev_mode) {
		assert_null(e);
		vdrv_wr(d, off, 2, qidx); /* traps to the VMM */
		return;
	}
	/* What KVM does with a matching 2-byte write. */
	assert_non_null(e);
	assert_int_equal(e->len, 2);
	assert_int_equal(eventfd_write(e->fd, 1), 0);
}

/* ---- eventfds, fds and threads ------------------------------------------------ */

bool vdrv_efd_fired(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	eventfd_t v;

	if (poll(&pfd, 1, ms) != 1)
		return false;
	return eventfd_read(fd, &v) == 0;
}

unsigned int vdrv_efd_take(int fd)
{
	eventfd_t v;

	return eventfd_read(fd, &v) ? 0 : (unsigned int)v;
}

static int count_dir(const char *path)
{
	DIR *dir = opendir(path);
	int n = 0;

	assert_non_null(dir);
	while (readdir(dir))
		n++;
	closedir(dir);
	return n;
}

int vdrv_count_fds(void)
{
	return count_dir("/proc/self/fd");
}

int vdrv_count_threads(void)
{
	return count_dir("/proc/self/task");
}
