// SPDX-License-Identifier: Apache-2.0
/*
 * virtio_pci_regs.c - the virtio-pci BAR: common configuration, ISR,
 * device configuration, notifications, MSI-X forwarding, and the PCI
 * configuration access window.
 *
 * Register semantics follow the virtio 1.x specification, section 4.1.4
 * (virtio structure PCI capabilities).  Every field is accessed at its
 * natural width (1, 2 or 4 bytes; a 64-bit field as two 4-byte halves or
 * one 8-byte access); anything else reads all-ones, is ignored on write
 * and logs rate-limited.  See virtio_pci_priv.h for the locking.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define LOG_MOD "virtio-pci"
#include "devices/virtio/virtio_pci_priv.h"
#include "vmm/log.h"

/* Common configuration layout (struct virtio_pci_common_cfg). */
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
#define CC_QNDATA 0x38
#define CC_QRESET 0x3a
#define CC_SIZE VIRTIO_PCI_COMMON_SIZE

/* Status bits only the device sets. */
#define STATUS_DEVICE_ONLY VIRTIO_STATUS_NEEDS_RESET

static uint64_t get_le(const void *data, uint32_t len)
{
	const uint8_t *p = data;
	uint64_t v = 0;

	for (uint32_t i = 0; i < len; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void put_le(void *data, uint32_t len, uint64_t v)
{
	uint8_t *p = data;

	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint8_t status_get(struct virtio_dev *vd)
{
	return __atomic_load_n(&vd->status, __ATOMIC_ACQUIRE);
}

static void bad_access(struct virtio_dev *vd, const char *what, uint64_t off,
		       uint32_t len, int write)
{
	log_ratelimited(&vd->rl, LOG_WARN,
			"%s: bad %u-byte %s of %s at BAR offset %#llx",
			vd->info->name, len, write ? "write" : "read", what,
			(unsigned long long)off);
}

/* Natural width of the common config field at `off`; 0 if none starts
 * there.  64-bit fields report 8 at their start and 4 at their middle. */
static uint32_t cc_width(uint32_t off)
{
	switch (off) {
	case CC_STATUS:
	case CC_CFGGEN:
		return 1;
	case CC_MSIX:
	case CC_NUMQ:
	case CC_QSEL:
	case CC_QSIZE:
	case CC_QMSIX:
	case CC_QENABLE:
	case CC_QNOFF:
	case CC_QNDATA:
	case CC_QRESET:
		return 2;
	case CC_DFSELECT:
	case CC_DF:
	case CC_GFSELECT:
	case CC_GF:
	case CC_QDESC + 4:
	case CC_QDRIVER + 4:
	case CC_QDEVICE + 4:
		return 4;
	case CC_QDESC:
	case CC_QDRIVER:
	case CC_QDEVICE:
		return 8;
	default:
		return 0;
	}
}

static bool cc_len_ok(uint32_t off, uint32_t len)
{
	uint32_t w = cc_width(off);

	/* A 64-bit field may also be accessed in two 4-byte halves. */
	return w && (len == w || (w == 8 && len == 4));
}

static struct virtio_pci_queue *cur_queue(struct virtio_dev *vd)
{
	if (vd->queue_sel >= vd->info->nr_queues)
		return NULL;
	return &vd->q[vd->queue_sel];
}

/* A 64-bit queue address field, possibly one half of it. */
static uint64_t *qaddr_field(struct virtio_pci_queue *q, uint32_t base)
{
	if (base == CC_QDESC)
		return &q->desc;
	if (base == CC_QDRIVER)
		return &q->driver;
	return &q->device;
}

static void qaddr_write(uint64_t *f, uint32_t half, uint32_t len, uint64_t v)
{
	if (len == 8)
		*f = v;
	else if (half)
		*f = (*f & 0xffffffffull) | (v << 32);
	else
		*f = (*f & ~0xffffffffull) | (v & 0xffffffffull);
}

static uint64_t cc_read(struct virtio_dev *vd, uint32_t off, uint32_t len)
{
	struct virtio_pci_queue *q = cur_queue(vd);
	uint32_t qbase = off & ~7u;

	switch (off) {
	case CC_DFSELECT:
		return vd->dfselect;
	case CC_DF:
		return vd->dfselect < 2 ?
			       (uint32_t)(vd->offered >> (32 * vd->dfselect)) :
			       0;
	case CC_GFSELECT:
		return vd->gfselect;
	case CC_GF:
		return vd->gfselect < 2 ? (uint32_t)(vd->driver_features >>
						     (32 * vd->gfselect)) :
					  0;
	case CC_MSIX:
		return __atomic_load_n(&vd->config_vector, __ATOMIC_RELAXED);
	case CC_NUMQ:
		return vd->info->nr_queues;
	case CC_STATUS:
		return status_get(vd);
	case CC_CFGGEN:
		return __atomic_load_n(&vd->config_gen, __ATOMIC_ACQUIRE);
	case CC_QSEL:
		return vd->queue_sel;
	case CC_QSIZE:
		return q ? q->size : 0; /* 0: no such queue */
	case CC_QMSIX:
		return q ? __atomic_load_n(&q->vector, __ATOMIC_RELAXED) :
			   VIRTIO_MSI_NO_VECTOR;
	case CC_QENABLE:
		return q ? q->enable : 0;
	case CC_QNOFF:
		return q ? vd->queue_sel : 0; /* slot = index * multiplier */
	case CC_QNDATA: /* NOTIF_CONFIG_DATA is never offered */
	case CC_QRESET: /* nor RING_RESET */
		return 0;
	default:
		if (!q)
			return 0;
		return *qaddr_field(q, qbase) >> (off & 4 ? 32 : 0) &
		       (len == 8 ? ~0ull : 0xffffffffull);
	}
}

/* Tell the VMM (event monitor) what happened to the device. */
static void vd_event(struct virtio_dev *vd, const char *what)
{
	if (vd->host->event)
		vd->host->event(vd->host->opaque, vd, what);
}

static void reset_device(struct virtio_dev *vd)
{
	virtio_pci_quiesce(vd);
	vd->ops->reset(vd->dev_opaque);
	virtio_pci_regs_reset(vd);
	virtio_pci_resume(vd);
	vd_event(vd, "reset");
}

/* FEATURES_OK: accept only a subset of what was offered, with VERSION_1
 * (this is a modern-only device). */
static bool features_ok(struct virtio_dev *vd)
{
	uint64_t f = vd->driver_features;

	if (f & ~vd->offered) {
		log_ratelimited(&vd->rl, LOG_WARN,
				"%s: driver accepted unoffered features %#llx",
				vd->info->name,
				(unsigned long long)(f & ~vd->offered));
		return false;
	}
	if (!(f & (1ull << VIRTIO_F_VERSION_1))) {
		log_ratelimited(&vd->rl, LOG_WARN,
				"%s: driver did not accept VERSION_1",
				vd->info->name);
		return false;
	}
	return true;
}

/* DRIVER_OK: hand the negotiated features to the device, workers
 * quiesced.  Returns the bits to add to the status. */
static uint8_t driver_ok(struct virtio_dev *vd, uint8_t old)
{
	int ret;

	if (!(old & VIRTIO_STATUS_FEATURES_OK)) {
		log_ratelimited(&vd->rl, LOG_WARN,
				"%s: DRIVER_OK without FEATURES_OK",
				vd->info->name);
		return 0;
	}
	if (old & VIRTIO_STATUS_NEEDS_RESET) /* the driver must reset */
		return VIRTIO_STATUS_DRIVER_OK;
	virtio_pci_quiesce(vd);
	ret = vd->ops->activate(vd->dev_opaque, vd, vd->driver_features);
	/* Publish DRIVER_OK before the worker may look at it again. */
	__atomic_fetch_or(&vd->status, VIRTIO_STATUS_DRIVER_OK,
			  __ATOMIC_RELEASE);
	virtio_pci_resume(vd);
	if (ret) {
		log_ratelimited(&vd->rl, LOG_WARN, "%s: activation failed (%d)",
				vd->info->name, ret);
		virtio_set_needs_reset(vd);
		return 0;
	}
	virtio_pci_kick_all(vd);
	vd_event(vd, "activated");
	return 0;
}

static void status_write(struct virtio_dev *vd, uint8_t val)
{
	uint8_t old = status_get(vd), add;

	if (!val) {
		reset_device(vd);
		return;
	}
	if (old & ~val & ~STATUS_DEVICE_ONLY)
		log_ratelimited(
			&vd->rl, LOG_WARN,
			"%s: driver cleared status bits %#x without reset",
			vd->info->name, old & ~val & ~STATUS_DEVICE_ONLY);
	add = val & ~old & ~STATUS_DEVICE_ONLY;
	if ((add & VIRTIO_STATUS_FEATURES_OK) && !features_ok(vd))
		add &= ~VIRTIO_STATUS_FEATURES_OK;
	if (add & VIRTIO_STATUS_DRIVER_OK) {
		add &= ~VIRTIO_STATUS_DRIVER_OK;
		/* Record FEATURES_OK etc. first: driver_ok checks them. */
		old = __atomic_or_fetch(&vd->status, add, __ATOMIC_RELEASE);
		add = driver_ok(vd, old);
	}
	__atomic_fetch_or(&vd->status, add, __ATOMIC_RELEASE);
}

/* A vector the driver may use: one of ours, or NO_VECTOR.  Anything else
 * reads back NO_VECTOR, which tells the driver the mapping failed. */
static uint16_t vector_check(struct virtio_dev *vd, uint16_t v)
{
	return v < vd->nr_vectors ? v : VIRTIO_MSI_NO_VECTOR;
}

static void queue_enable(struct virtio_dev *vd, struct virtio_pci_queue *q,
			 uint16_t val)
{
	uint16_t idx = (uint16_t)(q - vd->q);
	int ret;

	if (val != 1 || q->enable) {
		log_ratelimited(&vd->rl, LOG_WARN,
				"%s: queue %u: queue_enable %u ignored (is %u)",
				vd->info->name, idx, val, q->enable);
		return;
	}
	virtio_pci_quiesce(vd);
	ret = vq_enable(&vd->vqs[idx], q->size, q->desc, q->driver, q->device,
			vd->driver_features);
	virtio_pci_resume(vd);
	if (ret) {
		log_ratelimited(&vd->rl, LOG_WARN,
				"%s: queue %u: bad ring (size %u desc %#llx "
				"driver %#llx device %#llx)",
				vd->info->name, idx, q->size,
				(unsigned long long)q->desc,
				(unsigned long long)q->driver,
				(unsigned long long)q->device);
		virtio_set_needs_reset(vd);
		return;
	}
	q->enable = 1;
}

static void queue_write(struct virtio_dev *vd, uint32_t off, uint32_t len,
			uint64_t v)
{
	struct virtio_pci_queue *q = cur_queue(vd);

	if (!q) {
		log_ratelimited(&vd->rl, LOG_WARN,
				"%s: write to queue %u which does not exist",
				vd->info->name, vd->queue_sel);
		return;
	}
	if (off == CC_QMSIX) {
		__atomic_store_n(&q->vector, vector_check(vd, (uint16_t)v),
				 __ATOMIC_RELAXED);
		return;
	}
	if (off == CC_QENABLE) {
		queue_enable(vd, q, (uint16_t)v);
		return;
	}
	if (q->enable) {
		/* The spec forbids changing a live queue. */
		log_ratelimited(
			&vd->rl, LOG_WARN,
			"%s: queue %u: write at %#x after enable ignored",
			vd->info->name, vd->queue_sel, off);
		return;
	}
	if (off == CC_QSIZE) {
		if (!v || (v & (v - 1)) || v > vd->info->queue_size_max) {
			log_ratelimited(&vd->rl, LOG_WARN,
					"%s: queue %u: bad size %llu",
					vd->info->name, vd->queue_sel,
					(unsigned long long)v);
			return;
		}
		q->size = (uint16_t)v;
		return;
	}
	qaddr_write(qaddr_field(q, off & ~7u), off & 4, len, v);
}

static void cc_write(struct virtio_dev *vd, uint32_t off, uint32_t len,
		     uint64_t v)
{
	uint8_t st = status_get(vd);

	switch (off) {
	case CC_DFSELECT:
		vd->dfselect = (uint32_t)v;
		return;
	case CC_GFSELECT:
		vd->gfselect = (uint32_t)v;
		return;
	case CC_GF:
		if (st & VIRTIO_STATUS_FEATURES_OK || vd->gfselect >= 2) {
			log_ratelimited(&vd->rl, LOG_WARN,
					"%s: driver_feature write ignored "
					"(select %u, status %#x)",
					vd->info->name, vd->gfselect, st);
			return;
		}
		vd->driver_features &= ~(0xffffffffull << (32 * vd->gfselect));
		vd->driver_features |= v << (32 * vd->gfselect);
		return;
	case CC_MSIX:
		__atomic_store_n(&vd->config_vector,
				 vector_check(vd, (uint16_t)v),
				 __ATOMIC_RELAXED);
		return;
	case CC_STATUS:
		status_write(vd, (uint8_t)v);
		return;
	case CC_QSEL:
		vd->queue_sel = (uint16_t)v;
		return;
	case CC_QSIZE:
	case CC_QMSIX:
	case CC_QENABLE:
	case CC_QDESC:
	case CC_QDESC + 4:
	case CC_QDRIVER:
	case CC_QDRIVER + 4:
	case CC_QDEVICE:
	case CC_QDEVICE + 4:
		queue_write(vd, off, len, v);
		return;
	case CC_QRESET: /* RING_RESET is not offered */
	default: /* read-only fields */
		bad_access(vd, "read-only common config field", off, len, 1);
		return;
	}
}

static void notify_write(struct virtio_dev *vd, uint64_t off, uint32_t len)
{
	uint64_t qidx = off / VIRTIO_PCI_NOTIFY_MULT;

	/* Linux writes the 16-bit queue index; 4 bytes covers drivers that
	 * write notification data.  Either way the slot names the queue. */
	if (off % VIRTIO_PCI_NOTIFY_MULT || (len != 2 && len != 4) ||
	    qidx >= vd->info->nr_queues) {
		bad_access(vd, "notify", vd->notify_off + off, len, 1);
		return;
	}
	/* Reaching here means no ioeventfd took the write (unsupported, or a
	 * width it does not match): signal the same eventfd ourselves. */
	if (eventfd_write(vd->q[qidx].kick_fd, 1))
		log_ratelimited(&vd->rl, LOG_WARN, "%s: kick queue %llu: %m",
				vd->info->name, (unsigned long long)qidx);
}

static bool in(uint64_t off, uint32_t len, uint64_t base, uint64_t size)
{
	return off >= base && off - base < size && len <= size - (off - base);
}

static void cfg_access(struct virtio_dev *vd, uint64_t off, void *data,
		       uint32_t len, int write)
{
	uint32_t cfg_size = vd->info->config_size;

	if (off + len > cfg_size || (len != 1 && len != 2 && len != 4) ||
	    off % len) {
		bad_access(vd, "device config", vd->dev_off + off, len, write);
		if (!write)
			memset(data, 0xff, len);
		return;
	}
	if (!write)
		vd->ops->config_read(vd->dev_opaque, (uint32_t)off, data, len);
	else if (vd->ops->config_write)
		vd->ops->config_write(vd->dev_opaque, (uint32_t)off, data, len);
}

static void regs_rw(struct virtio_dev *vd, uint64_t off, void *data,
		    uint32_t len, int write, int peek)
{
	uint64_t rel;

	if (in(off, len, vd->common_off, CC_SIZE)) {
		rel = off - vd->common_off;
		if (!cc_len_ok((uint32_t)rel, len)) {
			bad_access(vd, "common config", off, len, write);
			goto bad;
		}
		if (write)
			cc_write(vd, (uint32_t)rel, len, get_le(data, len));
		else
			put_le(data, len, cc_read(vd, (uint32_t)rel, len));
		return;
	}
	if (off == vd->isr_off && len == 1) {
		if (write)
			bad_access(vd, "ISR", off, len, write);
		else if (peek)
			*(uint8_t *)data =
				__atomic_load_n(&vd->isr, __ATOMIC_ACQUIRE);
		else
			*(uint8_t *)data = __atomic_exchange_n(
				&vd->isr, 0, __ATOMIC_ACQ_REL);
		return;
	}
	if (vd->info->config_size &&
	    in(off, len, vd->dev_off, vd->info->config_size)) {
		cfg_access(vd, off - vd->dev_off, data, len, write);
		return;
	}
	bad_access(vd, "BAR", off, len, write);
bad:
	if (!write)
		memset(data, 0xff, len);
}

int virtio_pci_bar_rw(struct virtio_dev *vd, uint64_t off, void *data,
		      uint32_t len, int write, int peek)
{
	uint32_t tsize = msix_table_size(vd->nr_vectors);
	uint32_t psize = msix_pba_size(vd->nr_vectors);
	uint32_t nsize = vd->info->nr_queues * VIRTIO_PCI_NOTIFY_MULT;

	/* MSI-X and notifications have their own serialisation. */
	if (in(off, len, vd->table_off, tsize)) {
		if (write)
			msix_table_write(vd->msix, off - vd->table_off, data,
					 len);
		else
			msix_table_read(vd->msix, off - vd->table_off, data,
					len);
		return 0;
	}
	if (in(off, len, vd->pba_off, psize)) {
		if (!write)
			msix_pba_read(vd->msix, off - vd->pba_off, data, len);
		else
			msix_pba_write(vd->msix, off - vd->pba_off, data, len);
		return 0;
	}
	if (in(off, len, vd->notify_off, nsize)) {
		if (write)
			notify_write(vd, off - vd->notify_off, len);
		else
			memset(data, 0, len); /* notify slots read as zero */
		return 0;
	}
	pthread_mutex_lock(&vd->lock);
	regs_rw(vd, off, data, len, write, peek);
	pthread_mutex_unlock(&vd->lock);
	return 0;
}

static int bar_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	return virtio_pci_bar_rw(opaque, off, data, len, 0, 0);
}

static int bar_write(void *opaque, uint64_t off, const void *data, uint32_t len)
{
	return virtio_pci_bar_rw(opaque, off, (void *)data, len, 1, 0);
}

const struct io_ops virtio_pci_bar_ops = {
	.read = bar_read,
	.write = bar_write,
	/* widths are checked per register */
};

void virtio_pci_regs_reset(struct virtio_dev *vd)
{
	uint16_t qsize =
		vd->info->queue_size_max < 256 ? vd->info->queue_size_max : 256;

	for (uint16_t i = 0; i < vd->info->nr_queues; i++) {
		struct virtio_pci_queue *q = &vd->q[i];

		vq_reset(&vd->vqs[i]);
		q->size = qsize;
		__atomic_store_n(&q->vector, VIRTIO_MSI_NO_VECTOR,
				 __ATOMIC_RELAXED);
		q->enable = 0;
		q->desc = q->driver = q->device = 0;
		/* Drop kicks from before the reset. */
		if (q->kick_fd >= 0) {
			eventfd_t v;

			(void)eventfd_read(q->kick_fd, &v);
		}
	}
	/* MSI-X table, mask and enable bits are PCI function state, not
	 * virtio state: a device reset leaves them to the driver. */
	__atomic_store_n(&vd->config_vector, VIRTIO_MSI_NO_VECTOR,
			 __ATOMIC_RELAXED);
	vd->driver_features = 0;
	vd->dfselect = vd->gfselect = 0;
	vd->queue_sel = 0;
	__atomic_store_n(&vd->isr, 0, __ATOMIC_RELEASE);
	/* Last: a driver polling for 0 sees the reset completed. */
	__atomic_store_n(&vd->status, 0, __ATOMIC_RELEASE);
}

/* Latch the BAR bytes the window selects into pci_cfg_data (pci.h has no
 * config read hook, so reads are served from what the last selector or
 * data write latched; latching never has side effects). */
static void window_latch(struct virtio_dev *vd, uint8_t bar, uint32_t off,
			 uint32_t len)
{
	uint8_t buf[4] = { 0 };
	uint32_t data = vd->cfg_cap + VCAP_CFG_DATA;

	if (bar != VIRTIO_PCI_BAR || (len != 1 && len != 2 && len != 4) ||
	    off % len || off >= vd->bar_size || len > vd->bar_size - off) {
		pci_cfg_set(&vd->pci, data, 4, 0);
		return;
	}
	virtio_pci_bar_rw(vd, off, buf, len, 0, 1);
	pci_cfg_set(&vd->pci, data, 4, (uint32_t)get_le(buf, 4));
}

void virtio_pci_cfg_window(struct virtio_dev *vd, uint32_t off, uint32_t len)
{
	uint32_t cap = vd->cfg_cap, data = cap + VCAP_CFG_DATA;
	uint8_t bar;
	uint32_t boff, blen;
	uint8_t buf[4];

	if (off + len <= cap + VCAP_BAR || off >= data + 4)
		return;
	bar = (uint8_t)pci_cfg_get(&vd->pci, cap + VCAP_BAR, 1);
	boff = pci_cfg_get(&vd->pci, cap + VCAP_OFFSET, 4);
	blen = pci_cfg_get(&vd->pci, cap + VCAP_LENGTH, 4);
	if (off + len > data) {
		/* The driver wrote pci_cfg_data: forward it to the BAR. */
		if (bar != VIRTIO_PCI_BAR ||
		    (blen != 1 && blen != 2 && blen != 4) || boff % blen ||
		    boff >= vd->bar_size || blen > vd->bar_size - boff) {
			log_ratelimited(&vd->rl, LOG_WARN,
					"%s: bad cfg window bar %u off %#x "
					"len %u",
					vd->info->name, bar, boff, blen);
			return;
		}
		put_le(buf, 4, pci_cfg_get(&vd->pci, data, 4));
		virtio_pci_bar_rw(vd, boff, buf, blen, 1, 0);
	}
	window_latch(vd, bar, boff, blen);
}
