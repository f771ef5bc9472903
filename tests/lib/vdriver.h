/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vdriver.h - a small virtio driver for unit tests.
 *
 * The virtio device tests play the guest driver.  This library holds what
 * they share: guest RAM (host memory registered with a guest_mem), split
 * rings built in it (descriptors, avail and used rings, read back the way
 * a driver does), a test platform (PIO and MMIO buses, a PCI bus, a
 * recording MSI router, real eventfds for the MSI-X vectors, a recording
 * ioeventfd hook) and a virtio-pci driver that finds the capabilities
 * through pci_cfg_rw and runs the reset / ACKNOWLEDGE / DRIVER / features
 * / FEATURES_OK / queue setup / DRIVER_OK sequence through bus_access on
 * BAR 0.
 *
 * The library never calls the virtio-pci transport itself (tests create
 * it and hand over its pci_dev), so tests that stand in for the transport
 * with their own virtio_queue() etc. can link it too.
 *
 * All helpers check their work with cmocka assertions and fail the running
 * test on error: call them from a test, setup or teardown only, on the
 * test's thread.  Nothing here is thread-safe except the MSI router hooks,
 * which the transport may call from its worker thread.  Multi-byte values
 * in guest RAM are little-endian, as virtio 1.x wants.
 */
#ifndef NIMBUS_TESTS_VDRIVER_H
#define NIMBUS_TESTS_VDRIVER_H

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/bus.h"
#include "devices/irq.h"
#include "devices/pci/pci.h"
#include "devices/virtio/virtio.h"
#include "devices/virtio/virtio_pci.h"
#include "vmm/guest_mem.h"

/* Where the platform's PCI windows are. */
#define VDRV_ECAM_BASE 0xb0000000ull
#define VDRV_MMIO32_BASE 0xc0000000ull
#define VDRV_MMIO32_SIZE 0x10000000ull
#define VDRV_MMIO64_BASE 0x100000000ull
#define VDRV_MMIO64_SIZE 0x100000000ull

#define VDRV_MAX_VEC (VIRTIO_MAX_QUEUES + 1)
#define VDRV_MAX_REC 256 /* routes and live ioeventfds recorded */
#define VDRV_MAX_CAPS 16
#define VDRV_NO_VECTOR 0xffff
#define VDRV_DESC_F_NEXT 1
#define VDRV_DESC_F_WRITE 2

/* Common configuration registers (virtio 1.x, 4.1.4.3). */
#define VDRV_CC_DFSELECT 0x00
#define VDRV_CC_DF 0x04
#define VDRV_CC_GFSELECT 0x08
#define VDRV_CC_GF 0x0c
#define VDRV_CC_MSIX 0x10
#define VDRV_CC_NUMQ 0x12
#define VDRV_CC_STATUS 0x14
#define VDRV_CC_CFGGEN 0x15
#define VDRV_CC_QSEL 0x16
#define VDRV_CC_QSIZE 0x18
#define VDRV_CC_QMSIX 0x1a
#define VDRV_CC_QENABLE 0x1c
#define VDRV_CC_QNOFF 0x1e
#define VDRV_CC_QDESC 0x20
#define VDRV_CC_QDRIVER 0x28
#define VDRV_CC_QDEVICE 0x30

/*
 * Wait up to about 3 s, polling every millisecond, for `pred`; evaluates
 * to whether it became true.
 */
#define VDRV_WAIT_FOR(pred)                                          \
	({                                                           \
		int _ok = 0;                                         \
		for (int _i = 0; _i < 3000 && !(_ok = (pred)); _i++) \
			usleep(1000);                                \
		_ok;                                                 \
	})

/* ---- guest RAM --------------------------------------------------------- */

struct vdrv_ram {
	struct guest_mem mem; /* hand &mem to devices and vq_init */
	uint8_t *host; /* 2 MiB aligned, zeroed at init */
	uint64_t gpa, size;
};

/* Allocate `size` zeroed bytes and register them at `gpa` in r->mem. */
void vdrv_ram_init(struct vdrv_ram *r, uint64_t gpa, uint64_t size);
/* Undo vdrv_ram_init. */
void vdrv_ram_destroy(struct vdrv_ram *r);
/* Host pointer for [gpa, gpa + len), which must lie inside the RAM. */
void *vdrv_ram_ptr(const struct vdrv_ram *r, uint64_t gpa, uint64_t len);
/* Little-endian stores and loads at a guest address (inside the RAM). */
void vdrv_st16(const struct vdrv_ram *r, uint64_t gpa, uint16_t v);
void vdrv_st32(const struct vdrv_ram *r, uint64_t gpa, uint32_t v);
void vdrv_st64(const struct vdrv_ram *r, uint64_t gpa, uint64_t v);
uint16_t vdrv_ld16(const struct vdrv_ram *r, uint64_t gpa);
uint32_t vdrv_ld32(const struct vdrv_ram *r, uint64_t gpa);

/* ---- split rings --------------------------------------------------------- */

/* The driver's view of one split virtqueue in guest RAM. */
struct vdrv_vq {
	const struct vdrv_ram *ram;
	uint64_t desc, avail, used; /* guest addresses of the three parts */
	uint16_t size;
	uint16_t avail_idx; /* the driver's avail->idx */
	uint16_t next_desc; /* free-running: next descriptor is % size */
	uint16_t used_seen; /* used elements consumed by vdrv_vq_take_used */
};

/* One buffer of a chain: guest address, length, device-writable. */
struct vdrv_seg {
	uint64_t gpa;
	uint32_t len;
	int write;
};

/*
 * Place a queue of `size` (power of two) entries at the given guest
 * addresses, zero its three areas and reset the driver's counters.
 */
void vdrv_vq_place(struct vdrv_vq *q, const struct vdrv_ram *ram, uint16_t size,
		   uint64_t desc, uint64_t avail, uint64_t used);
/* Write descriptor `i` (below size). */
void vdrv_vq_desc(struct vdrv_vq *q, uint16_t i, uint64_t addr, uint32_t len,
		  uint16_t flags, uint16_t next);
/*
 * Write `n` descriptors from next_desc on (wrapping at size), chained in
 * order, NEXT on all but the last, WRITE as s[i].write says; advances
 * next_desc.  Returns the head.  Not yet made available.
 */
uint16_t vdrv_vq_chain(struct vdrv_vq *q, const struct vdrv_seg *s,
		       unsigned int n);
/*
 * Make chain `head` available: ring slot, then (when `want_irq`) the
 * used_event field set to the current used index so that the next
 * completion interrupts with EVENT_IDX, then avail->idx with release
 * ordering.
 */
void vdrv_vq_publish(struct vdrv_vq *q, uint16_t head, bool want_irq);
/* vdrv_vq_chain then vdrv_vq_publish.  Returns the head. */
uint16_t vdrv_vq_post(struct vdrv_vq *q, const struct vdrv_seg *s,
		      unsigned int n, bool want_irq);
/* used->idx, loaded with acquire ordering (the device may run
 * concurrently). */
uint16_t vdrv_vq_used_idx(const struct vdrv_vq *q);
/* Used element in slot `slot` (taken % size): id and len. */
void vdrv_vq_used_elem(const struct vdrv_vq *q, uint16_t slot, uint32_t *id,
		       uint32_t *len);
/*
 * Consume the next used element, which must exist and name `head`.
 * Returns its len.
 */
uint32_t vdrv_vq_take_used(struct vdrv_vq *q, uint16_t head);
/* Assert that no used element is waiting beyond those consumed. */
void vdrv_vq_assert_no_used(const struct vdrv_vq *q);
/* Wait (bounded, ~3 s) for used->idx == idx; returns whether it did. */
bool vdrv_vq_wait_used(const struct vdrv_vq *q, uint16_t idx);
/* Guest addresses of used_event (in avail) and avail_event (in used). */
uint64_t vdrv_vq_used_event(const struct vdrv_vq *q);
uint64_t vdrv_vq_avail_event(const struct vdrv_vq *q);

/* ---- the platform ------------------------------------------------------- */

struct vdrv_plat_cfg {
	struct vdrv_ram *ram; /* guest RAM to use (caller keeps it), or */
	uint64_t ram_gpa, ram_size; /* where the platform makes its own */
	uint16_t nvec; /* eventfds made; alloc_vectors must ask for this */
	uint32_t gsi_base; /* what alloc_vectors answers */
	int ioev_mode; /* 0: record ioeventfds; 1: answer -EOPNOTSUPP */
};

/* A live ioeventfd as the transport registered it. */
struct vdrv_ioev {
	uint64_t addr;
	uint32_t len;
	int fd;
};

struct vdrv_plat {
	struct bus pio, mmio;
	struct pci_bus *pb;
	struct vdrv_ram *ram; /* cfg->ram or &own_ram */
	struct vdrv_ram own_ram;
	struct msi_router router;
	struct virtio_pci_host host; /* for virtio_pci_create */
	pthread_mutex_t lock; /* guards route_gsi, nroutes */
	uint32_t route_gsi[VDRV_MAX_REC];
	unsigned int nroutes;
	int efd[VDRV_MAX_VEC]; /* vector v interrupts by signalling efd[v] */
	uint16_t nvec;
	uint32_t gsi_base;
	int ioev_mode;
	struct vdrv_ioev live[VDRV_MAX_REC];
	unsigned int nlive, nassign, ndeassign;
	unsigned int ioev_bad; /* duplicate, unknown or non-2-byte requests */
	/* host.event calls: "activated", "reset", anything else (atomic). */
	unsigned int nactivated, nresets, nbadevents;
};

/*
 * Build the platform in caller-owned, zeroed storage that must not move
 * until vdrv_plat_destroy: buses, a PCI bus with the VDRV_* windows,
 * guest RAM (unless cfg->ram lends it), cfg->nvec non-blocking eventfds, and p->host wired to the
 * recording hooks.
 */
void vdrv_plat_init(struct vdrv_plat *p, const struct vdrv_plat_cfg *cfg);
/*
 * Destroy the PCI bus (unmapping every BAR) and assert that no ioeventfd
 * is left and none was misused.  Call before virtio_pci_destroy.
 */
void vdrv_plat_remove_bus(struct vdrv_plat *p);
/* Free the rest (and the bus if still there).  After virtio_pci_destroy. */
void vdrv_plat_destroy(struct vdrv_plat *p);
/* Routes set so far (locked read). */
unsigned int vdrv_plat_nroutes(struct vdrv_plat *p);
/* The live ioeventfd at `addr`, or NULL. */
const struct vdrv_ioev *vdrv_ioev_find(const struct vdrv_plat *p,
				       uint64_t addr);

/* ---- a virtio-pci function ------------------------------------------------- */

struct vdrv_cap {
	uint8_t ptr, id, cap_len; /* cap_len, type, bar: vendor caps only */
	uint8_t type, bar;
	uint32_t off, len;
};

struct vdrv_dev {
	struct vdrv_plat *p;
	uint8_t devfn;
	uint64_t bar; /* BAR 0 address */
	uint32_t bar_lo; /* BAR 0 low dword as read (type bits) */
	int strict; /* assert that every BAR access is claimed (rc 0) */
	int wide_addr; /* program queue addresses with 8-byte writes */
	/* From the capabilities: BAR 0 offsets and config-space places. */
	uint32_t common, isr, devcfg, devcfg_len, notify, mult;
	uint32_t cfgcap, msixcap, table, pba;
	uint8_t table_bir;
	uint32_t vcaps_seen; /* bit t: a vendor cap of type t */
	unsigned int ncaps;
	struct vdrv_cap caps[VDRV_MAX_CAPS];
};

/*
 * Add PCI function `pd` to p's bus, walk its capability list into d
 * (asserting it ends within VDRV_MAX_CAPS entries), read BAR 0 and turn
 * on memory decode and bus mastering.  d is caller-owned.
 */
void vdrv_dev_plug(struct vdrv_dev *d, struct vdrv_plat *p, struct pci_dev *pd);
/* Config space read/write through pci_cfg_rw (asserting it succeeds). */
uint32_t vdrv_cfg_rd(struct vdrv_dev *d, uint32_t off, uint32_t len);
void vdrv_cfg_wr(struct vdrv_dev *d, uint32_t off, uint32_t len, uint32_t v);
/* BAR 0 access at `off` through bus_access on the MMIO bus; reads of
 * nothing give what the bus gives. */
uint64_t vdrv_rd(struct vdrv_dev *d, uint64_t off, uint32_t len);
void vdrv_wr(struct vdrv_dev *d, uint64_t off, uint32_t len, uint64_t v);
/* Common configuration register access. */
uint64_t vdrv_cc_rd(struct vdrv_dev *d, uint32_t reg, uint32_t len);
void vdrv_cc_wr(struct vdrv_dev *d, uint32_t reg, uint32_t len, uint64_t v);
/* device_status |= bits. */
void vdrv_status_or(struct vdrv_dev *d, uint8_t bits);
/* Write status 0 and assert it reads back 0. */
void vdrv_reset(struct vdrv_dev *d);
/* The 64 offered feature bits; write the 64 driver feature bits. */
uint64_t vdrv_features(struct vdrv_dev *d);
void vdrv_set_features(struct vdrv_dev *d, uint64_t feat);
/*
 * Reset, ACKNOWLEDGE, DRIVER, assert `feat` is offered, write it,
 * FEATURES_OK, and assert the status is exactly those three bits.
 */
void vdrv_negotiate(struct vdrv_dev *d, uint64_t feat);
/* Enable MSI-X and point table entries 0..p->nvec-1 at an x86 MSI
 * address, unmasked. */
void vdrv_msix_enable(struct vdrv_dev *d);
/*
 * Program queue `qidx` from q (size, rings), set its vector (asserting
 * the read-back) and enable it, asserting it reads enabled.
 */
void vdrv_queue_setup(struct vdrv_dev *d, uint16_t qidx,
		      const struct vdrv_vq *q, uint16_t vec);
/* Set DRIVER_OK and assert the status is ACK|DRIVER|FEATURES_OK|DRIVER_OK. */
void vdrv_driver_ok(struct vdrv_dev *d);
/*
 * The whole probe: vdrv_negotiate(feat); unless both vectors are
 * VDRV_NO_VECTOR, vdrv_msix_enable and the config vector (asserted);
 * queue i gets vector qvec0 + i (or none); then vdrv_driver_ok.
 */
void vdrv_driver_init(struct vdrv_dev *d, uint64_t feat, struct vdrv_vq *qs,
		      uint16_t nq, uint16_t cfg_vec, uint16_t qvec0);
/*
 * Kick queue `qidx` as a vCPU would: with ioeventfds, assert one (2-byte)
 * is live at the notify address and signal it, as KVM does; without,
 * assert none is and write the notify register.
 */
void vdrv_kick(struct vdrv_dev *d, uint16_t qidx);

/* ---- eventfds, fds and threads ----------------------------------------------- */

/* Wait up to `ms` for eventfd `fd`; consume and return true if it fired. */
bool vdrv_efd_fired(int fd, int ms);
/* The count on non-blocking eventfd `fd` (0 if none), consumed. */
unsigned int vdrv_efd_take(int fd);
/* Open fds and threads of this process (for leak checks). */
int vdrv_count_fds(void);
int vdrv_count_threads(void);

#endif /* NIMBUS_TESTS_VDRIVER_H */
