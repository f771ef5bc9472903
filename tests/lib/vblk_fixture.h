/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vblk_fixture.h - shared fixture for the virtio-blk unit tests
 * (tests/unit/test_virtio_blk*.c).
 *
 * The test plays the driver: split rings and request buffers live in
 * malloc'd "guest RAM" (struct vdrv_ram) and the test kicks by calling
 * ops->queue_notify itself (no worker thread).  The device sits on a
 * temporary image file holding vblkt_pat().  The transport is the real
 * virtio-pci one whenever devices/virtio/virtio_pci.c exists: the fixture
 * negotiates features, sets up the queues and reads device config through
 * BAR 0.  Without it (or with -DVBLK_TEST_LOCAL_TRANSPORT, which also
 * checks that only one interrupt is requested per batch) vblk_fixture.c
 * defines the four virtio_* calls itself; the two must never be linked
 * together, so the switch must be given to the test files and to
 * vblk_fixture.c alike (struct vblkt differs between the two modes).
 *
 * All functions are for the single cmocka test thread.  They report
 * failures through cmocka assertions (the running test fails) rather than
 * return values unless stated otherwise.
 */
#ifndef NIMBUS_TESTS_VBLK_FIXTURE_H
#define NIMBUS_TESTS_VBLK_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/virtio/blk_io.h"
#include "devices/virtio/virtio_blk.h"
#include "tests/lib/vdriver.h"

#if __has_include("devices/virtio/virtio_pci.c") && \
		  !defined(VBLK_TEST_LOCAL_TRANSPORT)
#define VBLKT_REAL 1
#else
#define VBLKT_REAL 0
#endif

#define RAM_GPA 0x100000ull
#define RAM_SIZE (8u << 20)
#define HDR_GPA (RAM_GPA + 0x40000)
#define HDR2_GPA (RAM_GPA + 0x41000)
#define STATUS_GPA (RAM_GPA + 0x42000)
#define DATA_GPA (RAM_GPA + 0x100000)
#define IMG_SIZE ((2u << 20) + 300) /* 4096 sectors and a tail */
#define IMG_SECTORS 4096u
#define MAX_Q 4

#define DESC_F_NEXT VDRV_DESC_F_NEXT
#define DESC_F_WRITE VDRV_DESC_F_WRITE
#define ST_UNTOUCHED 0xee
#define TMP_TEMPLATE "/tmp/nimbus-vblk-XXXXXX"
#define SHM_TEMPLATE "/dev/shm/nimbus-vblk-XXXXXX"

#if !VBLKT_REAL
/* Local transport state (defined in vblk_fixture.c). */
struct virtio_dev {
	struct vq q[VIRTIO_MAX_QUEUES];
	uint16_t nr;
	unsigned int irqs[VIRTIO_MAX_QUEUES];
	unsigned int needs_reset, needs_reset_seen;
};
#endif

struct vblkt;

/* Transport bring-up / tear-down hooks (see vblkt_setup()). */
typedef void (*vblkt_up_fn)(struct vblkt *t, uint64_t drv_features);
typedef void (*vblkt_down_fn)(struct vblkt *t);

struct vblkt {
	vblkt_up_fn up;
	vblkt_down_fn down;
	struct vdrv_ram ram;
	char path[32];
	struct vblk *b;
	const struct virtio_dev_ops *ops;
	struct virtio_dev *vd;
#if VBLKT_REAL
	struct vdrv_plat plat;
	struct vdrv_dev dev;
#else
	struct virtio_dev local;
#endif
	uint16_t nq, qsize;
	struct vdrv_vq dq[MAX_Q];
};

/* Guest memory, little-endian, inside the RAM. */
#define gp(t, a) ((uint8_t *)vdrv_ram_ptr(&(t)->ram, (a), 1))
#define st16(t, a, v) vdrv_st16(&(t)->ram, (a), (v))
#define st32(t, a, v) vdrv_st32(&(t)->ram, (a), (v))
#define st64(t, a, v) vdrv_st64(&(t)->ram, (a), (v))
#define ld16(t, a) vdrv_ld16(&(t)->ram, (a))

/* ---- transport (real virtio-pci or local stand-ins) ------------------ */

/* Features the device offers. */
uint64_t vblkt_offered(struct vblkt *t);
/* Whether the device has set NEEDS_RESET. */
bool vblkt_needs_reset(struct vblkt *t);
/* Interrupts sent for queue qi since the last call (resets the count). */
unsigned int vblkt_irqs(struct vblkt *t, uint16_t qi);
/* Configuration-change interrupts since the last call (local transport:
 * NEEDS_RESET events). */
unsigned int vblkt_config_irqs(struct vblkt *t);
/* Device-config reads at byte offset off (little-endian). */
uint32_t vblkt_cfg32(struct vblkt *t, uint32_t off);
uint16_t vblkt_cfg16(struct vblkt *t, uint32_t off);
uint8_t vblkt_cfg8(struct vblkt *t, uint32_t off);

/* ---- images and fixture ---------------------------------------------- */

/* The byte a fresh image holds at offset off. */
uint8_t vblkt_pat(uint64_t off);
/* Create a temp image (mkstemp of tmpl, copied into path) of size bytes
 * holding vblkt_pat().  The caller unlinks it. */
void vblkt_img_create(char *path, const char *tmpl, uint64_t size);
/* Read len bytes at off from the image file t->path into buf. */
void vblkt_img_read(struct vblkt *t, void *buf, size_t len, uint64_t off);
/* Assert the image holds vblkt_pat() / zeroes in [off, off+len). */
void vblkt_assert_img_pat(struct vblkt *t, uint64_t off, size_t len);
void vblkt_assert_img_zero(struct vblkt *t, uint64_t off, size_t len);
/* cmocka teardown: stop the device, unlink the image and free the
 * fixture.  Returns 0. */
int vblkt_teardown(void **state);
/* Destroy the device and transport, if started (idempotent). */
void vblkt_stop(struct vblkt *t);
/* Create the device from cfg, place the rings and bring the transport up
 * accepting drv_features.  Returns 0 or the -errno of vblk_create(). */
int vblkt_start_cfg(struct vblkt *t, const struct vblk_cfg *cfg,
		    uint64_t drv_features);
/* vblkt_start_cfg() on t->path with the given options; must succeed. */
void vblkt_start(struct vblkt *t, int readonly, int direct, uint16_t nq);

/* ---- the driver ------------------------------------------------------ */

/* Post one chain of n buffers on queue qi and make it avail; returns the
 * head descriptor index. */
uint16_t vblkt_drv_post(struct vblkt *t, unsigned int qi,
			const struct vdrv_seg *b, unsigned int n);
/* Notify queue qi directly through ops->queue_notify. */
void vblkt_kick(struct vblkt *t, uint16_t qi);
/* Consume the next used element, which must exist and have id head;
 * returns its len. */
uint32_t vblkt_drv_used(struct vblkt *t, unsigned int qi, uint16_t head);
/* Assert queue qi has no unconsumed used element. */
void vblkt_drv_no_used(struct vblkt *t, unsigned int qi);
/* Write a request header {type, 0, sector} at guest address a. */
void vblkt_put_hdr(struct vblkt *t, uint64_t a, uint32_t type, uint64_t sector);
/* One request on queue qi: header at HDR_GPA, the n data buffers, a
 * 1-byte status at STATUS_GPA.  Returns the status; *used (may be NULL)
 * gets the used len.  n <= 6. */
uint8_t vblkt_req_q(struct vblkt *t, unsigned int qi, uint32_t type,
		    uint64_t sector, const struct vdrv_seg *data,
		    unsigned int n, uint32_t *used);
/* vblkt_req_q() on queue 0. */
uint8_t vblkt_req(struct vblkt *t, uint32_t type, uint64_t sector,
		  const struct vdrv_seg *data, unsigned int n, uint32_t *used);
/* DISCARD / WRITE_ZEROES with nseg segments {sector, num, flags} written
 * at DATA_GPA.  Returns the status. */
uint8_t vblkt_req_segs(struct vblkt *t, uint32_t type, uint64_t (*s)[3],
		       unsigned int nseg);
/* Fill guest [a, a+len) with a pattern derived from seed; assert the
 * image holds that pattern at [off, off+len). */
void vblkt_fill(struct vblkt *t, uint64_t a, uint32_t len, uint8_t seed);
void vblkt_assert_img_fill(struct vblkt *t, uint64_t off, uint32_t len,
			   uint8_t seed);
/* VIRTIO_BLK_T_GET_ID into out[0..19] plus a NUL at out[20]; asserts
 * status OK. */
void vblkt_get_id(struct vblkt *t, char *out);
/* The device's counters now. */
struct vblk_counters vblkt_counters(struct vblkt *t);

/*
 * Transport bring-up for t->b with t->nq queues at t->dq, accepting
 * drv_features (VERSION_1 is added on the real transport), and its undo.
 * With the real transport these are static inline here, not in
 * vblk_fixture.c: every tests/lib .c file is linked into every test binary, and a
 * reference to virtio_pci_create() from there would pull virtio_pci.o
 * into binaries that define their own virtio_* stand-ins.
 */
#if VBLKT_REAL
/*
 * Put the function on the test platform's PCI bus and run the driver's
 * side of initialisation through BAR 0: MSI-X on, vector i for queue i
 * and vector nq for config changes, each counted by eventfd efd[v].
 */
static inline void vblkt_transport_up(struct vblkt *t, uint64_t drv_features)
{
	struct vdrv_plat_cfg pc = { .ram = &t->ram,
				    .nvec = t->nq + 1,
				    .gsi_base = 100 };
	struct vdrv_dev *d = &t->dev;

	vdrv_plat_init(&t->plat, &pc);
	assert_int_equal(virtio_pci_create(vblk_info(t->b), t->ops, t->b,
					   &t->plat.host, &t->vd),
			 0);
	d->strict = 1;
	d->wide_addr = 1;
	vdrv_dev_plug(d, &t->plat, virtio_pci_dev(t->vd));
	/* Every region the test uses is announced, in BAR 0. */
	for (unsigned int i = 0; i < d->ncaps; i++)
		if (d->caps[i].id == 0x09)
			assert_int_equal(d->caps[i].bar, VIRTIO_PCI_BAR);
	assert_int_equal(d->table_bir, VIRTIO_PCI_BAR);
	assert_true(d->msixcap);
	assert_int_equal(d->vcaps_seen & (1 << 1 | 1 << 3 | 1 << 4),
			 1 << 1 | 1 << 3 | 1 << 4);
	vdrv_driver_init(d, drv_features | 1ull << VIRTIO_F_VERSION_1, t->dq,
			 t->nq, t->nq, 0);
}

static inline void vblkt_transport_down(struct vblkt *t)
{
	vdrv_plat_remove_bus(&t->plat);
	virtio_pci_destroy(t->vd);
	vdrv_plat_destroy(&t->plat);
	memset(&t->plat, 0, sizeof(t->plat));
	memset(&t->dev, 0, sizeof(t->dev));
}
#else
void vblkt_transport_up(struct vblkt *t, uint64_t drv_features);
void vblkt_transport_down(struct vblkt *t);
#endif

/* Allocate the fixture (see vblkt_setup()) with the given transport hooks.
 * Returns 0. */
int vblkt_setup_hooks(void **state, vblkt_up_fn up, vblkt_down_fn down);

/* cmocka setup: allocate a struct vblkt with RAM and a fresh IMG_SIZE
 * image in *state.  Returns 0. */
static inline int vblkt_setup(void **state)
{
	return vblkt_setup_hooks(state, vblkt_transport_up,
				 vblkt_transport_down);
}

#endif
