/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio_pci_priv.h - state shared by the virtio-pci transport's two files.
 *
 * virtio_pci.c builds the PCI function (capabilities, MSI-X, the BAR),
 * moves ioeventfds with the BAR, runs the worker thread and implements
 * the device-facing calls of virtio.h.  virtio_pci_regs.c models the BAR:
 * common configuration, ISR, device configuration, notification area and
 * the MSI-X table/PBA forwarding, plus the PCI configuration access
 * window.  Private to those two files.
 *
 * Locking (outermost first): the PCI function's mutex (config space, held
 * by pci.c around cfg_write/bar_map) -> vd->lock (register state) ->
 * vd->wlock (worker handshake) and the MSI-X mutex.  The worker thread
 * never takes the PCI or register mutex: everything it reads that the
 * driver can change (status, vectors, ISR, config generation) is accessed
 * with atomics, and queue state (struct vq) is changed only while the
 * worker is quiesced.  That is what lets a register write wait for the
 * worker to pause while holding vd->lock.
 */
#ifndef NIMBUS_DEVICES_VIRTIO_PCI_PRIV_H
#define NIMBUS_DEVICES_VIRTIO_PCI_PRIV_H

#include <pthread.h>
#include <stdint.h>

#include "devices/pci/msix.h"
#include "devices/pci/pci.h"
#include "devices/virtio/virtio.h"
#include "devices/virtio/virtio_pci.h"
#include "devices/virtio/virtqueue.h"
#include "vmm/log.h"

#define VIRTIO_MSI_NO_VECTOR 0xffff

/* Vendor capability cfg_type values. */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG 3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG 5

/* struct virtio_pci_cap field offsets (within the capability). */
#define VCAP_LEN 2
#define VCAP_TYPE 3
#define VCAP_BAR 4
#define VCAP_ID 5
#define VCAP_OFFSET 8
#define VCAP_LENGTH 12
#define VCAP_SIZE 16
#define VCAP_NOTIFY_MULT 16 /* notify cap: notify_off_multiplier */
#define VCAP_CFG_DATA 16 /* PCI cfg access cap: pci_cfg_data[4] */
#define VCAP_EXT_SIZE 20 /* notify and PCI cfg access caps */

#define VIRTIO_PCI_COMMON_SIZE 0x3c /* through queue_reset */
#define VIRTIO_PCI_NOTIFY_MULT 4 /* one 4-byte slot per queue */
#define VIRTIO_PCI_REGION_ALIGN 4096

/* ISR status bits. */
#define VIRTIO_ISR_QUEUE 1
#define VIRTIO_ISR_CONFIG 2

/* Driver-visible per-queue registers (the struct vq is the live ring). */
struct virtio_pci_queue {
	uint16_t size; /* queue_size */
	uint16_t vector; /* queue_msix_vector; atomic (read by the worker) */
	uint16_t enable; /* queue_enable */
	uint64_t desc, driver, device;
	int kick_fd; /* eventfd the worker waits on (owned) */
	int ioev_set; /* registered as an ioeventfd at vd->ioev_addr */
};

struct virtio_dev {
	const struct virtio_dev_info *info;
	const struct virtio_dev_ops *ops;
	void *dev_opaque;
	const struct virtio_pci_host *host;

	struct pci_dev pci;
	struct msix *msix;
	uint16_t nr_vectors; /* nr_queues + 1 */
	uint32_t gsi_base;
	int *vec_efds; /* from alloc_vectors; the VMM owns the fds */
	uint8_t cfg_cap; /* offset of the PCI cfg access capability */

	/* BAR 0 layout (offsets; sizes rounded to VIRTIO_PCI_REGION_ALIGN) */
	uint64_t bar_size;
	uint32_t common_off, isr_off, dev_off, notify_off;
	uint32_t table_off, pba_off;

	/* Register state: vd->lock unless noted. */
	pthread_mutex_t lock;
	uint64_t offered; /* device_feature */
	uint64_t driver_features; /* driver_feature */
	uint32_t dfselect, gfselect;
	uint16_t config_vector; /* atomic (read by the worker) */
	uint16_t queue_sel;
	uint8_t status; /* atomic: NEEDS_RESET is set from any thread */
	uint8_t config_gen; /* atomic */
	uint8_t isr; /* atomic; cleared by a read */
	struct virtio_pci_queue *q;
	struct vq *vqs;
	struct log_rl rl;

	/* ioeventfds: PCI function mutex (bar_map) or vCPUs stopped. */
	uint64_t ioev_addr; /* BAR address they are registered for */
	int ioev_unsupported; /* the hypervisor said -EOPNOTSUPP */

	/* Workers: one per queue with VIRTIO_DEV_F_QUEUE_WORKERS, else one
	 * for all.  Handshake under vd->wlock. */
	pthread_mutex_t wlock;
	pthread_cond_t wcond;
	struct virtio_worker *workers;
	uint16_t nr_workers;
	int started;
	int pause_req, stop;
	uint16_t nr_paused; /* workers parked (or gone) */
};

/* One worker thread and the fds it waits on. */
struct virtio_worker {
	struct virtio_dev *vd;
	pthread_t thread;
	int epfd, ctl_fd;
	uint16_t first_q, nr_q; /* the queues it serves */
	int running; /* thread created */
	int paused; /* vd->wlock */
};

/* BAR 0 io_ops (virtio_pci_regs.c). */
extern const struct io_ops virtio_pci_bar_ops;

/*
 * One access to BAR 0 at `off` from the MMIO bus or the PCI cfg window.
 * `peek` reads without side effects (the ISR is not cleared).  Takes
 * vd->lock; 0 always (bad accesses are answered and logged here).
 */
int virtio_pci_bar_rw(struct virtio_dev *vd, uint64_t off, void *data,
		      uint32_t len, int write, int peek);

/* pci_dev_ops.cfg_write part for the PCI cfg access capability.  PCI
 * function mutex held. */
void virtio_pci_cfg_window(struct virtio_dev *vd, uint32_t off, uint32_t len);

/* Register state to its reset values (queues, vectors, features, ISR,
 * status 0).  vd->lock held, worker quiesced. */
void virtio_pci_regs_reset(struct virtio_dev *vd);

/* Stop the worker between two batches and wait until it has; resume it.
 * No-ops before virtio_pci_start and on the worker thread itself.
 * vd->lock held (one quiescer at a time). */
void virtio_pci_quiesce(struct virtio_dev *vd);
void virtio_pci_resume(struct virtio_dev *vd);

/* Stop and join every running worker and close their fds (destroy, or
 * a failed start).  Main thread. */
void virtio_workers_stop(struct virtio_dev *vd);

/* Signal every enabled queue's kick eventfd (after DRIVER_OK, so buffers
 * queued before it are seen).  Any thread. */
void virtio_pci_kick_all(struct virtio_dev *vd);

/* Signal the configuration vector (ISR bit 1 set first, as the spec
 * requires).  Any thread. */
void virtio_pci_config_irq(struct virtio_dev *vd);

#endif /* NIMBUS_DEVICES_VIRTIO_PCI_PRIV_H */
