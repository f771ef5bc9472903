// SPDX-License-Identifier: Apache-2.0
/*
 * virtio_pci.c - virtio 1.x PCI transport: the PCI function, ioeventfds,
 * and the device-facing calls of virtio.h (the worker threads are in
 * virtio_worker.c).
 *
 * BAR 0 (64-bit memory, not prefetchable: ISR reads have side effects)
 * holds, each at a 4 KiB-aligned offset: common config, ISR, device
 * config (when the device has one), the notification area (one 4-byte
 * slot per queue, notify_off_multiplier 4), the MSI-X table and the PBA;
 * its size is the next power of two.  The register model lives in
 * virtio_pci_regs.c; locking is described in virtio_pci_priv.h.
 *
 * Interrupts: with MSI-X enabled, a queue or config event signals the
 * vector the driver chose (none for VIRTIO_MSI_NO_VECTOR).  With MSI-X
 * disabled only the ISR bits are set: the function has no INTx line
 * (Interrupt Pin 0), so such a driver has to poll.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define LOG_MOD "virtio-pci"
#include "devices/virtio/virtio_pci_priv.h"
#include "vmm/log.h"

#define PCI_CAP_ID_VNDR 0x09
#define PCI_CAP_ID_NONE 0
#define VIRTIO_PCI_REVISION 1 /* modern only */
#define VIRTIO_PCI_MAX_CONFIG 4096
#define VIRTIO_PCI_KICK_LEN 2 /* Linux writes the 16-bit queue index */
/* Feature bits 24-49 belong to the transport and queue mechanics; the
 * transport offers the ones it implements, a device may offer none. */
#define VIRTIO_TRANSPORT_FEATURES (((1ull << 50) - 1) & ~((1ull << 24) - 1))

static uint32_t region_align(uint32_t v)
{
	return (v + VIRTIO_PCI_REGION_ALIGN - 1) &
	       ~(uint32_t)(VIRTIO_PCI_REGION_ALIGN - 1);
}

static int info_valid(const struct virtio_dev_info *info,
		      const struct virtio_dev_ops *ops,
		      const struct virtio_pci_host *host)
{
	uint16_t qmax;

	if (!info || !ops || !host || !info->name || !host->mem ||
	    !host->router || !host->alloc_vectors)
		return 0;
	qmax = info->queue_size_max;
	if (!info->nr_queues || info->nr_queues > VIRTIO_MAX_QUEUES || !qmax ||
	    (qmax & (qmax - 1)) || qmax > VQ_MAX_SIZE)
		return 0;
	if (info->features & VIRTIO_TRANSPORT_FEATURES)
		return 0;
	if (info->device_id > 0xffff - VIRTIO_PCI_DEVICE_BASE ||
	    info->pci_class > 0xffffff ||
	    info->config_size > VIRTIO_PCI_MAX_CONFIG)
		return 0;
	if (!ops->activate || !ops->queue_notify || !ops->reset ||
	    (info->config_size && !ops->config_read))
		return 0;
	return 1;
}

/* Place the regions of BAR 0 (see the file comment). */
static void layout(struct virtio_dev *vd)
{
	uint64_t end;

	vd->common_off = 0;
	vd->isr_off = VIRTIO_PCI_REGION_ALIGN;
	vd->dev_off = 2 * VIRTIO_PCI_REGION_ALIGN;
	end = vd->dev_off + region_align(vd->info->config_size);
	vd->notify_off = (uint32_t)end;
	end += region_align(vd->info->nr_queues * VIRTIO_PCI_NOTIFY_MULT);
	vd->table_off = (uint32_t)end;
	end += region_align(msix_table_size(vd->nr_vectors));
	vd->pba_off = (uint32_t)end;
	end += region_align(msix_pba_size(vd->nr_vectors));
	vd->bar_size = VIRTIO_PCI_REGION_ALIGN;
	while (vd->bar_size < end)
		vd->bar_size <<= 1;
}

/* One vendor-specific virtio capability describing a BAR 0 region. */
static int add_vcap(struct virtio_dev *vd, uint8_t type, uint8_t len,
		    uint32_t off, uint32_t size, uint8_t *cap_out)
{
	struct pci_dev *d = &vd->pci;
	uint8_t cap;
	int ret;

	ret = pci_dev_add_cap(d, PCI_CAP_ID_VNDR, len, &cap);
	if (ret)
		return ret;
	pci_cfg_set(d, cap + VCAP_LEN, 1, len);
	pci_cfg_set(d, cap + VCAP_TYPE, 1, type);
	pci_cfg_set(d, cap + VCAP_BAR, 1, VIRTIO_PCI_BAR);
	pci_cfg_set(d, cap + VCAP_OFFSET, 4, off);
	pci_cfg_set(d, cap + VCAP_LENGTH, 4, size);
	if (cap_out)
		*cap_out = cap;
	return 0;
}

static int add_caps(struct virtio_dev *vd)
{
	uint8_t cap;
	int ret;

	ret = add_vcap(vd, VIRTIO_PCI_CAP_COMMON_CFG, VCAP_SIZE, vd->common_off,
		       VIRTIO_PCI_COMMON_SIZE, NULL);
	if (!ret)
		ret = add_vcap(vd, VIRTIO_PCI_CAP_NOTIFY_CFG, VCAP_EXT_SIZE,
			       vd->notify_off,
			       vd->info->nr_queues * VIRTIO_PCI_NOTIFY_MULT,
			       &cap);
	if (ret)
		return ret;
	pci_cfg_set(&vd->pci, cap + VCAP_NOTIFY_MULT, 4,
		    VIRTIO_PCI_NOTIFY_MULT);
	ret = add_vcap(vd, VIRTIO_PCI_CAP_ISR_CFG, VCAP_SIZE, vd->isr_off, 1,
		       NULL);
	if (!ret && vd->info->config_size)
		ret = add_vcap(vd, VIRTIO_PCI_CAP_DEVICE_CFG, VCAP_SIZE,
			       vd->dev_off, vd->info->config_size, NULL);
	if (!ret)
		ret = add_vcap(vd, VIRTIO_PCI_CAP_PCI_CFG, VCAP_EXT_SIZE, 0, 0,
			       &vd->cfg_cap);
	if (ret)
		return ret;
	/* The window's selectors and data are the driver's to write. */
	cap = vd->cfg_cap;
	vd->pci.wmask[cap + VCAP_BAR] = 0xff;
	memset(&vd->pci.wmask[cap + VCAP_OFFSET], 0xff, 4);
	memset(&vd->pci.wmask[cap + VCAP_LENGTH], 0xff, 4);
	memset(&vd->pci.wmask[cap + VCAP_CFG_DATA], 0xff, 4);
	return 0;
}

static uint64_t kick_addr(const struct virtio_dev *vd, uint64_t base,
			  uint16_t i)
{
	return base + vd->notify_off + (uint64_t)i * VIRTIO_PCI_NOTIFY_MULT;
}

static void ioev_unregister(struct virtio_dev *vd)
{
	const struct virtio_pci_host *h = vd->host;

	for (uint16_t i = 0; i < vd->info->nr_queues; i++) {
		struct virtio_pci_queue *q = &vd->q[i];

		if (!q->ioev_set)
			continue;
		h->ioeventfd(h->opaque, kick_addr(vd, vd->ioev_addr, i),
			     VIRTIO_PCI_KICK_LEN, q->kick_fd, 0);
		q->ioev_set = 0;
	}
}

static void ioev_register(struct virtio_dev *vd, uint64_t base)
{
	const struct virtio_pci_host *h = vd->host;
	int ret;

	vd->ioev_addr = base;
	if (vd->ioev_unsupported || !h->ioeventfd)
		return;
	for (uint16_t i = 0; i < vd->info->nr_queues; i++) {
		ret = h->ioeventfd(h->opaque, kick_addr(vd, base, i),
				   VIRTIO_PCI_KICK_LEN, vd->q[i].kick_fd, 1);
		if (ret == -EOPNOTSUPP) {
			log_info("%s: no ioeventfd; kicks exit to the VMM",
				 vd->info->name);
			vd->ioev_unsupported = 1;
			return;
		}
		if (ret) {
			/* The notify handler still serves this queue. */
			log_ratelimited(&vd->rl, LOG_WARN,
					"%s: ioeventfd for queue %u: %s",
					vd->info->name, i, strerror(-ret));
			continue;
		}
		vd->q[i].ioev_set = 1;
	}
}

static void vpci_bar_map(struct pci_dev *d, unsigned int bar, uint64_t addr,
			 int mapped)
{
	struct virtio_dev *vd = d->opaque;

	if (bar != VIRTIO_PCI_BAR)
		return;
	ioev_unregister(vd);
	if (mapped)
		ioev_register(vd, addr);
}

static void vpci_cfg_write(struct pci_dev *d, uint32_t off, uint32_t len,
			   uint32_t val)
{
	struct virtio_dev *vd = d->opaque;

	msix_cfg_write(vd->msix, off, len, val);
	virtio_pci_cfg_window(vd, off, len);
}

static const struct pci_dev_ops vpci_ops = {
	.cfg_write = vpci_cfg_write,
	.bar_map = vpci_bar_map,
};

static int kick_fds_open(struct virtio_dev *vd)
{
	for (uint16_t i = 0; i < vd->info->nr_queues; i++)
		vd->q[i].kick_fd = -1;
	for (uint16_t i = 0; i < vd->info->nr_queues; i++) {
		vd->q[i].kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (vd->q[i].kick_fd < 0)
			return -errno;
	}
	return 0;
}

static void kick_fds_close(struct virtio_dev *vd)
{
	for (uint16_t i = 0; i < vd->info->nr_queues; i++)
		if (vd->q[i].kick_fd >= 0)
			close(vd->q[i].kick_fd);
}

static void vd_free(struct virtio_dev *vd)
{
	pthread_cond_destroy(&vd->wcond);
	pthread_mutex_destroy(&vd->wlock);
	pthread_mutex_destroy(&vd->lock);
	free(vd->vec_efds);
	free(vd->vqs);
	free(vd->q);
	free(vd->workers);
	free(vd);
}

static int vd_alloc(const struct virtio_dev_info *info, struct virtio_dev **out)
{
	struct virtio_dev *vd = calloc(1, sizeof(*vd));

	if (!vd)
		return -ENOMEM;
	vd->nr_workers = (info->flags & VIRTIO_DEV_F_QUEUE_WORKERS) ?
				 info->nr_queues :
				 1;
	vd->q = calloc(info->nr_queues, sizeof(*vd->q));
	vd->vqs = calloc(info->nr_queues, sizeof(*vd->vqs));
	vd->vec_efds = calloc(info->nr_queues + 1u, sizeof(*vd->vec_efds));
	vd->workers = calloc(vd->nr_workers, sizeof(*vd->workers));
	if (!vd->q || !vd->vqs || !vd->vec_efds || !vd->workers) {
		free(vd->q);
		free(vd->vqs);
		free(vd->vec_efds);
		free(vd->workers);
		free(vd);
		return -ENOMEM;
	}
	for (uint16_t i = 0; i < vd->nr_workers; i++) {
		struct virtio_worker *w = &vd->workers[i];

		w->vd = vd;
		w->epfd = w->ctl_fd = -1;
		w->first_q = vd->nr_workers == 1 ? 0 : i;
		w->nr_q = vd->nr_workers == 1 ? info->nr_queues : 1;
	}
	pthread_mutex_init(&vd->lock, NULL);
	pthread_mutex_init(&vd->wlock, NULL);
	pthread_cond_init(&vd->wcond, NULL);
	vd->info = info;
	vd->nr_vectors = info->nr_queues + 1;
	*out = vd;
	return 0;
}

int virtio_pci_create(const struct virtio_dev_info *info,
		      const struct virtio_dev_ops *ops, void *dev_opaque,
		      const struct virtio_pci_host *host,
		      struct virtio_dev **out)
{
	struct msix_cfg mc = { 0 };
	struct virtio_dev *vd;
	int ret;

	if (!out || !info_valid(info, ops, host))
		return -EINVAL;
	ret = vd_alloc(info, &vd);
	if (ret)
		return ret;
	vd->ops = ops;
	vd->dev_opaque = dev_opaque;
	vd->host = host;
	/* Never ACCESS_PLATFORM: info_valid refused transport bits. */
	vd->offered = info->features | 1ull << VIRTIO_F_VERSION_1 |
		      1ull << VIRTIO_F_EVENT_IDX |
		      1ull << VIRTIO_F_INDIRECT_DESC;
	for (uint16_t i = 0; i < info->nr_queues; i++)
		vq_init(&vd->vqs[i], host->mem);
	ret = kick_fds_open(vd);
	if (ret)
		goto err_kick;
	layout(vd);
	pci_dev_init(&vd->pci, info->name, VIRTIO_PCI_VENDOR,
		     (uint16_t)(VIRTIO_PCI_DEVICE_BASE + info->device_id),
		     info->pci_class, VIRTIO_PCI_REVISION, VIRTIO_PCI_VENDOR,
		     info->device_id, &vpci_ops, vd);
	ret = pci_dev_set_bar(&vd->pci, VIRTIO_PCI_BAR, PCI_BAR_MEM64, 0,
			      vd->bar_size, &virtio_pci_bar_ops, vd);
	if (!ret)
		ret = add_caps(vd);
	if (!ret)
		ret = host->alloc_vectors(host->opaque, vd->nr_vectors,
					  &vd->gsi_base, vd->vec_efds);
	if (ret)
		goto err_kick;
	mc.nr_vectors = vd->nr_vectors;
	mc.table_bar = mc.pba_bar = VIRTIO_PCI_BAR;
	mc.table_off = vd->table_off;
	mc.pba_off = vd->pba_off;
	mc.router = host->router;
	mc.gsi_base = vd->gsi_base;
	mc.efds = vd->vec_efds;
	ret = msix_create(&vd->pci, &mc, &vd->msix);
	if (ret)
		goto err_kick;
	virtio_pci_regs_reset(vd);
	*out = vd;
	return 0;

err_kick:
	kick_fds_close(vd);
	vd_free(vd);
	return ret;
}

struct pci_dev *virtio_pci_dev(struct virtio_dev *vd)
{
	return &vd->pci;
}

struct vq *virtio_queue(struct virtio_dev *vd, uint16_t qidx)
{
	return qidx < vd->info->nr_queues ? &vd->vqs[qidx] : NULL;
}

void virtio_pci_destroy(struct virtio_dev *vd)
{
	if (!vd)
		return;
	if (vd->started)
		virtio_workers_stop(vd);
	ioev_unregister(vd);
	msix_reset(vd->msix); /* drops the routes it installed */
	msix_destroy(vd->msix);
	kick_fds_close(vd);
	vd_free(vd);
}

/* ---- device-facing calls ---------------------------------------------- */

void virtio_pci_kick_all(struct virtio_dev *vd)
{
	for (uint16_t i = 0; i < vd->info->nr_queues; i++)
		if (vd->q[i].enable)
			(void)eventfd_write(vd->q[i].kick_fd, 1);
}

/* Deliver through MSI-X `vector`, or, with MSI-X off, only the ISR. */
static int vpci_irq(struct virtio_dev *vd, uint8_t isr_bit, uint16_t vector)
{
	if (msix_enabled(vd->msix))
		return vector == VIRTIO_MSI_NO_VECTOR ?
			       0 :
			       msix_notify(vd->msix, vector);
	__atomic_fetch_or(&vd->isr, isr_bit, __ATOMIC_RELEASE);
	return 0;
}

int virtio_notify_used(struct virtio_dev *vd, uint16_t qidx)
{
	if (qidx >= vd->info->nr_queues)
		return -EINVAL;
	if (!vq_should_notify(&vd->vqs[qidx]))
		return 0;
	return vpci_irq(vd, VIRTIO_ISR_QUEUE,
			__atomic_load_n(&vd->q[qidx].vector, __ATOMIC_RELAXED));
}

void virtio_pci_config_irq(struct virtio_dev *vd)
{
	int ret;

	/* The spec wants ISR bit 1 set before any config notification. */
	__atomic_fetch_or(&vd->isr, VIRTIO_ISR_CONFIG, __ATOMIC_RELEASE);
	ret = vpci_irq(vd, VIRTIO_ISR_CONFIG,
		       __atomic_load_n(&vd->config_vector, __ATOMIC_RELAXED));
	if (ret)
		log_ratelimited(&vd->rl, LOG_WARN, "%s: config irq: %s",
				vd->info->name, strerror(-ret));
}

void virtio_config_changed(struct virtio_dev *vd)
{
	__atomic_add_fetch(&vd->config_gen, 1, __ATOMIC_RELEASE);
	virtio_pci_config_irq(vd);
}

void virtio_set_needs_reset(struct virtio_dev *vd)
{
	uint8_t old = __atomic_fetch_or(&vd->status, VIRTIO_STATUS_NEEDS_RESET,
					__ATOMIC_ACQ_REL);

	if (old & VIRTIO_STATUS_NEEDS_RESET)
		return; /* the driver was told already */
	log_ratelimited(&vd->rl, LOG_WARN, "%s: device needs reset",
			vd->info->name);
	virtio_pci_config_irq(vd);
}
