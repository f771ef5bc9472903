// SPDX-License-Identifier: Apache-2.0
/*
 * test_virtio_blk.c - virtio-blk against temporary image files.
 *
 * The test plays the driver: split rings and request buffers live in
 * malloc'd "guest RAM" and the test kicks by calling ops->queue_notify
 * itself (no worker thread).  The transport is the real virtio-pci one
 * whenever devices/virtio/virtio_pci.c exists: the test negotiates
 * features, sets up the queues and reads device config through BAR 0 at
 * the offsets the virtio capabilities announce.  Without it (or with
 * -DVBLK_TEST_LOCAL_TRANSPORT, which also checks that only one interrupt
 * is requested per batch) local definitions of the four virtio_* calls
 * stand in; the two must never be linked together.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "devices/virtio/blk_io.h"
#include "devices/virtio/virtio_blk.h"
#include "tests/lib/vdriver.h"
#include "vmm/log.h"

#if __has_include("devices/virtio/virtio_pci.c") && \
		  !defined(VBLK_TEST_LOCAL_TRANSPORT)
#define TB_REAL 1
#else
#define TB_REAL 0
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

/* ---- transport ------------------------------------------------------- */

#if !TB_REAL
/* Test-local transport: exists only while virtio_pci.c does not (or on
 * request); linking both would define these symbols twice. */
struct virtio_dev {
	struct vq q[VIRTIO_MAX_QUEUES];
	uint16_t nr;
	unsigned int irqs[VIRTIO_MAX_QUEUES];
	unsigned int needs_reset, needs_reset_seen;
};

struct vq *virtio_queue(struct virtio_dev *vd, uint16_t qidx)
{
	return qidx < vd->nr ? &vd->q[qidx] : NULL;
}

int virtio_notify_used(struct virtio_dev *vd, uint16_t qidx)
{
	assert_true(qidx < vd->nr);
	if (vq_should_notify(&vd->q[qidx]))
		vd->irqs[qidx]++;
	return 0;
}

void virtio_config_changed(struct virtio_dev *vd)
{
}

void virtio_set_needs_reset(struct virtio_dev *vd)
{
	vd->needs_reset++;
}
#endif

struct tb {
	struct vdrv_ram ram;
	char path[32];
	struct vblk *b;
	const struct virtio_dev_ops *ops;
	struct virtio_dev *vd;
#if TB_REAL
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

#if TB_REAL
static uint64_t tb_offered(struct tb *t)
{
	return vdrv_features(&t->dev);
}

/*
 * Put the function on the test platform's PCI bus and run the driver's
 * side of initialisation through BAR 0: MSI-X on, vector i for queue i
 * and vector nq for config changes, each counted by eventfd efd[v].
 */
static void tb_transport_up(struct tb *t, uint64_t drv_features)
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

static void tb_transport_down(struct tb *t)
{
	vdrv_plat_remove_bus(&t->plat);
	virtio_pci_destroy(t->vd);
	vdrv_plat_destroy(&t->plat);
	memset(&t->plat, 0, sizeof(t->plat));
	memset(&t->dev, 0, sizeof(t->dev));
}

static bool tb_needs_reset(struct tb *t)
{
	return vdrv_cc_rd(&t->dev, VDRV_CC_STATUS, 1) &
	       VIRTIO_STATUS_NEEDS_RESET;
}

/* Interrupts sent for queue qi since the last call. */
static unsigned int tb_irqs(struct tb *t, uint16_t qi)
{
	return vdrv_efd_take(t->plat.efd[qi]);
}

/* Configuration-change interrupts since the last call. */
static unsigned int tb_config_irqs(struct tb *t)
{
	return tb_irqs(t, t->nq);
}

static uint32_t tb_cfg32(struct tb *t, uint32_t off)
{
	return (uint32_t)vdrv_rd(&t->dev, t->dev.devcfg + off, 4);
}

static uint16_t tb_cfg16(struct tb *t, uint32_t off)
{
	return (uint16_t)vdrv_rd(&t->dev, t->dev.devcfg + off, 2);
}

static uint8_t tb_cfg8(struct tb *t, uint32_t off)
{
	return (uint8_t)vdrv_rd(&t->dev, t->dev.devcfg + off, 1);
}
#else
static uint64_t tb_offered(struct tb *t)
{
	return vblk_info(t->b)->features;
}

static void tb_transport_up(struct tb *t, uint64_t drv_features)
{
	t->vd = &t->local;
	memset(t->vd, 0, sizeof(*t->vd));
	t->vd->nr = t->nq;
	for (uint16_t i = 0; i < t->nq; i++) {
		vq_init(&t->vd->q[i], &t->ram.mem);
		assert_int_equal(vq_enable(&t->vd->q[i], t->qsize,
					   t->dq[i].desc, t->dq[i].avail,
					   t->dq[i].used, drv_features),
				 0);
	}
	assert_int_equal(t->ops->activate(t->b, t->vd, drv_features), 0);
}

static void tb_transport_down(struct tb *t)
{
}

static bool tb_needs_reset(struct tb *t)
{
	return t->vd->needs_reset > 0;
}

static unsigned int tb_irqs(struct tb *t, uint16_t qi)
{
	unsigned int n = t->vd->irqs[qi];

	t->vd->irqs[qi] = 0;
	return n;
}

/* NEEDS_RESET is the only config event here. */
static unsigned int tb_config_irqs(struct tb *t)
{
	unsigned int n = t->vd->needs_reset - t->vd->needs_reset_seen;

	t->vd->needs_reset_seen = t->vd->needs_reset;
	return n;
}

static void tb_cfg(struct tb *t, uint32_t off, void *buf, uint32_t len)
{
	t->ops->config_read(t->b, off, buf, len);
}

static uint32_t tb_cfg32(struct tb *t, uint32_t off)
{
	uint8_t b[4];

	tb_cfg(t, off, b, 4);
	return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint16_t tb_cfg16(struct tb *t, uint32_t off)
{
	uint8_t b[2];

	tb_cfg(t, off, b, 2);
	return (uint16_t)(b[0] | b[1] << 8);
}

static uint8_t tb_cfg8(struct tb *t, uint32_t off)
{
	uint8_t b;

	tb_cfg(t, off, &b, 1);
	return b;
}
#endif

/* ---- images and fixture ---------------------------------------------- */

static uint8_t pat(uint64_t off)
{
	return (uint8_t)(off * 7 + (off >> 9) + 1);
}

/* A temp image (mkstemp `tmpl`) of `size` bytes holding pat(). */
static void img_create(char *path, const char *tmpl, uint64_t size)
{
	uint8_t *buf = malloc(size);
	int fd;

	assert_non_null(buf);
	strcpy(path, tmpl);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	for (uint64_t i = 0; i < size; i++)
		buf[i] = pat(i);
	assert_int_equal(pwrite(fd, buf, size, 0), (ssize_t)size);
	assert_int_equal(fsync(fd), 0);
	close(fd);
	free(buf);
}

static void img_read(struct tb *t, void *buf, size_t len, uint64_t off)
{
	int fd = open(t->path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

/* The image still holds pat() in [off, off+len). */
static void assert_img_pat(struct tb *t, uint64_t off, size_t len)
{
	uint8_t *buf = malloc(len);

	assert_non_null(buf);
	img_read(t, buf, len, off);
	for (size_t i = 0; i < len; i++)
		if (buf[i] != pat(off + i))
			fail_msg("image byte %llu is %#x, want %#x",
				 (unsigned long long)(off + i), buf[i],
				 pat(off + i));
	free(buf);
}

static void assert_img_zero(struct tb *t, uint64_t off, size_t len)
{
	uint8_t *buf = malloc(len);

	assert_non_null(buf);
	img_read(t, buf, len, off);
	for (size_t i = 0; i < len; i++)
		if (buf[i])
			fail_msg("image byte %llu is %#x, want 0",
				 (unsigned long long)(off + i), buf[i]);
	free(buf);
}

static int tb_setup(void **state)
{
	struct tb *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	vdrv_ram_init(&t->ram, RAM_GPA, RAM_SIZE);
	img_create(t->path, TMP_TEMPLATE, IMG_SIZE);
	t->ops = vblk_ops();
	*state = t;
	return 0;
}

static void tb_stop(struct tb *t)
{
	if (!t->b)
		return;
	tb_transport_down(t);
	vblk_destroy(t->b);
	t->b = NULL;
	t->vd = NULL;
}

static int tb_teardown(void **state)
{
	struct tb *t = *state;

	tb_stop(t);
	unlink(t->path);
	vdrv_ram_destroy(&t->ram);
	free(t);
	return 0;
}

/* Create the device on t->path and bring the transport and queues up. */
static int tb_start_cfg(struct tb *t, const struct vblk_cfg *cfg,
			uint64_t drv_features)
{
	char err[256];
	int ret;

	ret = vblk_create(cfg, &t->b, err, sizeof(err));
	if (ret)
		return ret;
	t->nq = vblk_info(t->b)->nr_queues;
	t->qsize = vblk_info(t->b)->queue_size_max;
	assert_true(t->nq <= MAX_Q);
	for (uint16_t i = 0; i < t->nq; i++) {
		uint64_t desc = RAM_GPA + 0x8000ull * i;

		vdrv_vq_place(&t->dq[i], &t->ram, t->qsize, desc, desc + 0x4000,
			      desc + 0x5000);
	}
	tb_transport_up(t, drv_features);
	return 0;
}

static void tb_start(struct tb *t, int readonly, int direct, uint16_t nq)
{
	struct vblk_cfg cfg = {
		.path = t->path,
		.readonly = readonly,
		.direct = direct,
		.num_queues = nq,
		.serial = "nimbus-serial-01",
	};

	assert_int_equal(tb_start_cfg(t, &cfg, 0), 0);
}

/* ---- the driver ------------------------------------------------------ */

/* Post one chain (descriptors from next_desc on) and make it avail. */
static uint16_t drv_post(struct tb *t, unsigned int qi,
			 const struct vdrv_seg *b, unsigned int n)
{
	return vdrv_vq_post(&t->dq[qi], b, n, false);
}

static void kick(struct tb *t, uint16_t qi)
{
	t->ops->queue_notify(t->b, t->vd, qi);
}

/* Consume the next used element, which must exist, and check its id. */
static uint32_t drv_used(struct tb *t, unsigned int qi, uint16_t head)
{
	return vdrv_vq_take_used(&t->dq[qi], head);
}

static void drv_no_used(struct tb *t, unsigned int qi)
{
	vdrv_vq_assert_no_used(&t->dq[qi]);
}

static void put_hdr(struct tb *t, uint64_t a, uint32_t type, uint64_t sector)
{
	st32(t, a, type);
	st32(t, a + 4, 0);
	st64(t, a + 8, sector);
}

/*
 * One request: header at HDR_GPA, the data buffers, a 1-byte status at
 * STATUS_GPA.  Returns the status; *used (may be NULL) gets the used len.
 */
static uint8_t req_q(struct tb *t, unsigned int qi, uint32_t type,
		     uint64_t sector, const struct vdrv_seg *data,
		     unsigned int n, uint32_t *used)
{
	struct vdrv_seg b[8];
	uint16_t head;
	uint32_t len;

	assert_true(n + 2 <= 8);
	put_hdr(t, HDR_GPA, type, sector);
	b[0] = (struct vdrv_seg){ HDR_GPA, VIRTIO_BLK_HDR_SIZE, 0 };
	if (n)
		memcpy(&b[1], data, n * sizeof(*data));
	b[n + 1] = (struct vdrv_seg){ STATUS_GPA, 1, 1 };
	*gp(t, STATUS_GPA) = ST_UNTOUCHED;
	head = drv_post(t, qi, b, n + 2);
	kick(t, (uint16_t)qi);
	len = drv_used(t, qi, head);
	drv_no_used(t, qi);
	if (used)
		*used = len;
	return *gp(t, STATUS_GPA);
}

static uint8_t req(struct tb *t, uint32_t type, uint64_t sector,
		   const struct vdrv_seg *data, unsigned int n, uint32_t *used)
{
	return req_q(t, 0, type, sector, data, n, used);
}

/* DISCARD / WRITE_ZEROES with segments {sector, num, flags}. */
static uint8_t req_segs(struct tb *t, uint32_t type, uint64_t (*s)[3],
			unsigned int nseg)
{
	struct vdrv_seg d = { DATA_GPA, nseg * VIRTIO_BLK_SEG_SIZE, 0 };

	for (unsigned int i = 0; i < nseg; i++) {
		st64(t, DATA_GPA + 16 * i, s[i][0]);
		st32(t, DATA_GPA + 16 * i + 8, (uint32_t)s[i][1]);
		st32(t, DATA_GPA + 16 * i + 12, (uint32_t)s[i][2]);
	}
	return req(t, type, 0, &d, 1, NULL);
}

static void fill(struct tb *t, uint64_t a, uint32_t len, uint8_t seed)
{
	for (uint32_t i = 0; i < len; i++)
		gp(t, a)[i] = (uint8_t)(seed + i * 13 + (i >> 8));
}

static void assert_img_fill(struct tb *t, uint64_t off, uint32_t len,
			    uint8_t seed)
{
	uint8_t *buf = malloc(len);

	assert_non_null(buf);
	img_read(t, buf, len, off);
	for (uint32_t i = 0; i < len; i++)
		if (buf[i] != (uint8_t)(seed + i * 13 + (i >> 8)))
			fail_msg("image byte %llu differs",
				 (unsigned long long)(off + i));
	free(buf);
}

static struct vblk_counters counters(struct tb *t)
{
	struct vblk_counters c;

	vblk_get_counters(t->b, &c);
	return c;
}

/* ---- tests: config and setup ------------------------------------------- */

static void test_config(void **state)
{
	struct tb *t = *state;
	const struct virtio_dev_info *info;
	uint64_t f;

	tb_start(t, 0, 0, 0);
	info = vblk_info(t->b);
	assert_string_equal(info->name, "virtio-blk");
	assert_int_equal(info->device_id, VIRTIO_ID_BLOCK);
	assert_int_equal(info->nr_queues, 1);
	assert_int_equal(info->queue_size_max, 256);
	assert_int_equal(info->config_size, 60);
	assert_int_equal(vblk_capacity(t->b), IMG_SECTORS);

	f = tb_offered(t);
	assert_true(f & 1ull << VIRTIO_BLK_F_SEG_MAX);
	assert_true(f & 1ull << VIRTIO_BLK_F_BLK_SIZE);
	assert_true(f & 1ull << VIRTIO_BLK_F_FLUSH);
	assert_true(f & 1ull << VIRTIO_BLK_F_DISCARD);
	assert_true(f & 1ull << VIRTIO_BLK_F_WRITE_ZEROES);
	assert_false(f & 1ull << VIRTIO_BLK_F_RO);
	assert_false(f & 1ull << VIRTIO_BLK_F_MQ);
	assert_false(f & 1ull << VIRTIO_BLK_F_CONFIG_WCE);
	assert_false(f & 1ull << VIRTIO_BLK_F_SIZE_MAX);
	assert_false(f & 1ull << VIRTIO_BLK_F_GEOMETRY);

	assert_int_equal(tb_cfg32(t, 0), IMG_SECTORS);
	assert_int_equal(tb_cfg32(t, 4), 0);
	assert_int_equal(tb_cfg32(t, VIRTIO_BLK_CFG_SEG_MAX), 254);
	assert_int_equal(tb_cfg32(t, VIRTIO_BLK_CFG_BLK_SIZE), 512);
	assert_int_equal(tb_cfg16(t, VIRTIO_BLK_CFG_NUM_QUEUES), 1);
	assert_int_equal(tb_cfg32(t, VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS),
			 1u << 22);
	assert_int_equal(tb_cfg32(t, VIRTIO_BLK_CFG_MAX_DISCARD_SEG), 32);
	assert_int_equal(tb_cfg32(t, VIRTIO_BLK_CFG_DISCARD_ALIGN), 8);
	assert_int_equal(tb_cfg32(t, VIRTIO_BLK_CFG_MAX_WZ_SECTORS), 1u << 22);
	assert_int_equal(tb_cfg32(t, VIRTIO_BLK_CFG_MAX_WZ_SEG), 32);
	assert_int_equal(tb_cfg8(t, VIRTIO_BLK_CFG_WZ_MAY_UNMAP), 1);
	assert_int_equal(tb_cfg8(t, VIRTIO_BLK_CFG_WRITEBACK), 0);
	assert_int_equal(tb_cfg32(t, VIRTIO_BLK_CFG_SIZE_MAX), 0);
}

static void test_config_ro_mq(void **state)
{
	struct tb *t = *state;
	struct vblk_cfg cfg = {
		.path = t->path,
		.readonly = 1,
		.num_queues = 3,
		.queue_size = 64,
	};
	uint64_t f;

	assert_int_equal(tb_start_cfg(t, &cfg, 1ull << VIRTIO_BLK_F_MQ), 0);
	f = tb_offered(t);
	assert_true(f & 1ull << VIRTIO_BLK_F_RO);
	assert_true(f & 1ull << VIRTIO_BLK_F_MQ);
	assert_false(f & 1ull << VIRTIO_BLK_F_DISCARD);
	assert_false(f & 1ull << VIRTIO_BLK_F_WRITE_ZEROES);
	assert_int_equal(vblk_info(t->b)->nr_queues, 3);
	assert_int_equal(vblk_info(t->b)->queue_size_max, 64);
	assert_int_equal(tb_cfg16(t, VIRTIO_BLK_CFG_NUM_QUEUES), 3);
	assert_int_equal(tb_cfg32(t, VIRTIO_BLK_CFG_SEG_MAX), 62);
	assert_int_equal(tb_cfg32(t, VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS), 0);
	assert_int_equal(tb_cfg8(t, VIRTIO_BLK_CFG_WZ_MAY_UNMAP), 0);
}

static void test_create_errors(void **state)
{
	struct tb *t = *state;
	struct vblk_cfg cfg = { .path = "/nonexistent/nimbus-disk.img" };
	struct vblk *b = NULL;
	char err[256];

	assert_int_equal(vblk_create(&cfg, &b, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/nimbus-disk.img"));
	assert_null(b);
	/* errlen 0: no message, same error. */
	assert_int_equal(vblk_create(&cfg, &b, NULL, 0), -ENOENT);

	cfg.path = "/tmp";
	cfg.readonly = 1;
	assert_int_equal(vblk_create(&cfg, &b, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "/tmp"));
	assert_non_null(strstr(err, "not a regular file or block device"));

	cfg = (struct vblk_cfg){ .path = t->path };
	cfg.queue_size = 3;
	assert_int_equal(vblk_create(&cfg, &b, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, t->path));
	cfg.queue_size = 2048;
	assert_int_equal(vblk_create(&cfg, &b, err, sizeof(err)), -EINVAL);
	cfg.queue_size = 2;
	assert_int_equal(vblk_create(&cfg, &b, err, sizeof(err)), -EINVAL);
	cfg.queue_size = 0;
	cfg.num_queues = VIRTIO_MAX_QUEUES + 1;
	assert_int_equal(vblk_create(&cfg, &b, err, sizeof(err)), -EINVAL);
	cfg.num_queues = 0;
	cfg.serial = "123456789012345678901"; /* 21 bytes */
	assert_int_equal(vblk_create(&cfg, &b, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "serial"));
	cfg.serial = "12345678901234567890"; /* 20 bytes: fine */
	assert_int_equal(vblk_create(&cfg, &b, err, sizeof(err)), 0);
	vblk_destroy(b);
	cfg.path = NULL;
	assert_int_equal(vblk_create(&cfg, &b, err, sizeof(err)), -EINVAL);
	vblk_destroy(NULL);
}

static void test_lock(void **state)
{
	struct tb *t = *state;
	struct vblk_cfg rw = { .path = t->path };
	struct vblk_cfg ro = { .path = t->path, .readonly = 1 };
	struct vblk *a, *b, *c;
	char err[256];

	assert_int_equal(vblk_create(&rw, &a, err, sizeof(err)), 0);
	assert_int_equal(vblk_create(&rw, &b, err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, t->path));
	assert_non_null(strstr(err, "in use"));
	assert_int_equal(vblk_create(&ro, &b, err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, t->path));
	vblk_destroy(a);

	/* Read-only users share; a writer is refused while they are there. */
	assert_int_equal(vblk_create(&ro, &a, err, sizeof(err)), 0);
	assert_int_equal(vblk_create(&ro, &b, err, sizeof(err)), 0);
	assert_int_equal(vblk_create(&rw, &c, err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, t->path));
	vblk_destroy(a);
	vblk_destroy(b);
	assert_int_equal(vblk_create(&rw, &c, err, sizeof(err)), 0);
	vblk_destroy(c);
}

/* ---- tests: requests --------------------------------------------------- */

static void test_rw_roundtrip(void **state)
{
	struct tb *t = *state;
	struct vdrv_seg out[3] = {
		{ DATA_GPA, 512, 0 },
		{ DATA_GPA + 0x10000, 1024, 0 },
		{ DATA_GPA + 0x20000, 512, 0 },
	};
	struct vdrv_seg in = { DATA_GPA + 0x30000, 2048, 1 };
	struct vblk_counters c;
	uint32_t used;

	tb_start(t, 0, 0, 0);
	fill(t, out[0].gpa, 512, 1);
	fill(t, out[1].gpa, 1024, 2);
	fill(t, out[2].gpa, 512, 3);
	assert_int_equal(req(t, VIRTIO_BLK_T_OUT, 3, out, 3, &used),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(used, 1);
	assert_img_fill(t, 3 * 512, 512, 1);
	assert_img_fill(t, 4 * 512, 1024, 2);
	assert_img_fill(t, 6 * 512, 512, 3);
	assert_img_pat(t, 0, 3 * 512);
	assert_img_pat(t, 7 * 512, 512);

	memset(gp(t, in.gpa), 0, 2048);
	assert_int_equal(req(t, VIRTIO_BLK_T_IN, 3, &in, 1, &used),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(used, 2049);
	assert_memory_equal(gp(t, in.gpa), gp(t, out[0].gpa), 512);
	assert_memory_equal(gp(t, in.gpa + 512), gp(t, out[1].gpa), 1024);
	assert_memory_equal(gp(t, in.gpa + 1536), gp(t, out[2].gpa), 512);

	c = counters(t);
	assert_int_equal(c.write_ops, 1);
	assert_int_equal(c.write_bytes, 2048);
	assert_int_equal(c.read_ops, 1);
	assert_int_equal(c.read_bytes, 2048);
	assert_int_equal(c.errors, 0);
	assert_int_equal(tb_irqs(t, 0), 2); /* one per kick */
	assert_false(tb_needs_reset(t));
}

/* Header split 5 + 11 over two buffers, data and status sharing one. */
static void test_odd_framing(void **state)
{
	struct tb *t = *state;
	uint8_t want[1024];
	struct vdrv_seg b[3] = {
		{ HDR_GPA, 5, 0 },
		{ HDR2_GPA, 11, 0 },
		{ DATA_GPA, 1025, 1 },
	};
	uint16_t head;

	tb_start(t, 0, 0, 0);
	put_hdr(t, HDR2_GPA + 0x100, VIRTIO_BLK_T_IN, 100);
	memcpy(gp(t, HDR_GPA), gp(t, HDR2_GPA + 0x100), 5);
	memcpy(gp(t, HDR2_GPA), gp(t, HDR2_GPA + 0x105), 11);
	memset(gp(t, DATA_GPA), 0xaa, 1025);
	head = drv_post(t, 0, b, 3);
	kick(t, 0);
	assert_int_equal(drv_used(t, 0, head), 1025);
	assert_int_equal(*gp(t, DATA_GPA + 1024), VIRTIO_BLK_S_OK);
	img_read(t, want, sizeof(want), 100 * 512);
	assert_memory_equal(gp(t, DATA_GPA), want, sizeof(want));

	/* One writable buffer of 512 bytes: 511 data bytes + the status,
	 * which is not whole sectors. */
	put_hdr(t, HDR2_GPA + 0x100, VIRTIO_BLK_T_IN, 0);
	memcpy(gp(t, HDR_GPA), gp(t, HDR2_GPA + 0x100), 5);
	memcpy(gp(t, HDR2_GPA), gp(t, HDR2_GPA + 0x105), 11);
	memset(gp(t, DATA_GPA), 0xaa, 512);
	b[2].len = 512;
	head = drv_post(t, 0, b, 3);
	kick(t, 0);
	assert_int_equal(drv_used(t, 0, head), 1);
	assert_int_equal(*gp(t, DATA_GPA + 511), VIRTIO_BLK_S_IOERR);
	assert_int_equal(*gp(t, DATA_GPA), 0xaa);
}

static void test_flush_get_id(void **state)
{
	struct tb *t = *state;
	struct vdrv_seg id = { DATA_GPA, 20, 1 };
	struct vdrv_seg small = { DATA_GPA, 8, 1 };
	uint32_t used;

	tb_start(t, 0, 0, 0);
	assert_int_equal(req(t, VIRTIO_BLK_T_FLUSH, 12345, NULL, 0, &used),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(used, 1);
	assert_int_equal(counters(t).flush_ops, 1);

	memset(gp(t, DATA_GPA), 0xaa, 32);
	assert_int_equal(req(t, VIRTIO_BLK_T_GET_ID, 0, &id, 1, &used),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(used, 21);
	assert_memory_equal(gp(t, DATA_GPA), "nimbus-serial-01\0\0\0\0", 20);
	assert_int_equal(*gp(t, DATA_GPA + 20), 0xaa);

	memset(gp(t, DATA_GPA), 0xaa, 32);
	assert_int_equal(req(t, VIRTIO_BLK_T_GET_ID, 0, &small, 1, &used),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(used, 9);
	assert_memory_equal(gp(t, DATA_GPA), "nimbus-s", 8);
	assert_int_equal(*gp(t, DATA_GPA + 8), 0xaa);

	/* A larger buffer gets the 20 bytes and nothing more. */
	id.len = 32;
	memset(gp(t, DATA_GPA), 0xaa, 32);
	assert_int_equal(req(t, VIRTIO_BLK_T_GET_ID, 0, &id, 1, &used),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(used, 21);
	assert_memory_equal(gp(t, DATA_GPA), "nimbus-serial-01\0\0\0\0", 20);
	assert_int_equal(*gp(t, DATA_GPA + 20), 0xaa);

	/* GET_ID needs a writable buffer. */
	assert_int_equal(req(t, VIRTIO_BLK_T_GET_ID, 0, NULL, 0, &used),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(used, 1);
}

static void get_id(struct tb *t, char *out)
{
	struct vdrv_seg id = { DATA_GPA, 20, 1 };

	memset(gp(t, DATA_GPA), 0xaa, 20);
	assert_int_equal(req(t, VIRTIO_BLK_T_GET_ID, 0, &id, 1, NULL),
			 VIRTIO_BLK_S_OK);
	memcpy(out, gp(t, DATA_GPA), 20);
	out[20] = '\0';
}

static void test_default_serial(void **state)
{
	struct tb *t = *state;
	struct vblk_cfg cfg = { .path = t->path };
	char a[21], b[21], c[21], other[32];

	assert_int_equal(tb_start_cfg(t, &cfg, 0), 0);
	get_id(t, a);
	assert_int_equal(strlen(a), 18);
	assert_memory_equal(a, "NB", 2);
	assert_int_equal(strspn(a + 2, "0123456789abcdef"), 16);
	tb_stop(t);
	assert_int_equal(tb_start_cfg(t, &cfg, 0), 0);
	get_id(t, b);
	assert_string_equal(a, b); /* stable for the same image */
	tb_stop(t);

	img_create(other, TMP_TEMPLATE, 4096);
	cfg.path = other;
	assert_int_equal(tb_start_cfg(t, &cfg, 0), 0);
	get_id(t, c);
	tb_stop(t);
	unlink(other);
	assert_string_not_equal(a, c);
}

static void test_discard(void **state)
{
	struct tb *t = *state;
	uint64_t ok[1][3] = { { 256, 256, 0 } };
	uint64_t unmap[1][3] = { { 600, 8, 1 } };
	uint64_t far[1][3] = { { IMG_SECTORS - 8, 16, 0 } };
	uint64_t second_bad[2][3] = { { 700, 8, 0 }, { IMG_SECTORS, 1, 0 } };
	uint64_t many[33][3];
	struct stat before, after;
	int fd;

	tb_start(t, 0, 0, 0);
	assert_int_equal(stat(t->path, &before), 0);
	assert_int_equal(req_segs(t, VIRTIO_BLK_T_DISCARD, ok, 1),
			 VIRTIO_BLK_S_OK);
	assert_img_zero(t, 256 * 512, 256 * 512);
	assert_img_pat(t, 255 * 512, 512);
	assert_img_pat(t, 512 * 512, 512);
	assert_int_equal(stat(t->path, &after), 0);
	assert_int_equal(after.st_size, IMG_SIZE);
	assert_true(after.st_blocks + 256 <= before.st_blocks);
	fd = open(t->path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(lseek(fd, 256 * 512, SEEK_HOLE), 256 * 512);
	close(fd);
	assert_int_equal(counters(t).discard_ops, 1);

	/* The unmap flag is reserved for DISCARD. */
	assert_int_equal(req_segs(t, VIRTIO_BLK_T_DISCARD, unmap, 1),
			 VIRTIO_BLK_S_UNSUPP);
	assert_img_pat(t, 600 * 512, 8 * 512);
	assert_int_equal(req_segs(t, VIRTIO_BLK_T_DISCARD, far, 1),
			 VIRTIO_BLK_S_IOERR);
	/* Validated as a whole: the good first segment is not executed. */
	assert_int_equal(req_segs(t, VIRTIO_BLK_T_DISCARD, second_bad, 2),
			 VIRTIO_BLK_S_IOERR);
	assert_img_pat(t, 700 * 512, 8 * 512);
	for (int i = 0; i < 33; i++) {
		many[i][0] = 800 + i;
		many[i][1] = 1;
		many[i][2] = 0;
	}
	assert_int_equal(req_segs(t, VIRTIO_BLK_T_DISCARD, many, 33),
			 VIRTIO_BLK_S_IOERR);
	assert_img_pat(t, 800 * 512, 33 * 512);
	assert_int_equal(req_segs(t, VIRTIO_BLK_T_DISCARD, many, 32),
			 VIRTIO_BLK_S_OK);
	assert_img_zero(t, 800 * 512, 32 * 512);
	assert_img_pat(t, 832 * 512, 512);
	assert_int_equal(req_segs(t, VIRTIO_BLK_T_DISCARD, many, 0),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(counters(t).discard_ops, 2);
}

static void test_write_zeroes(void **state)
{
	struct tb *t = *state;
	uint64_t plain[1][3] = { { 9, 7, 0 } };
	uint64_t unmap[1][3] = { { 32, 8, VIRTIO_BLK_WZ_FLAG_UNMAP } };
	uint64_t bad_flag[1][3] = { { 64, 8, 2 } };
	uint64_t wrap[1][3] = { { UINT64_MAX - 1, 4, 0 } };
	struct vdrv_seg odd = { DATA_GPA, 24, 0 };
	struct stat st;
	int fd;

	tb_start(t, 0, 0, 0);
	assert_int_equal(req_segs(t, VIRTIO_BLK_T_WRITE_ZEROES, plain, 1),
			 VIRTIO_BLK_S_OK);
	assert_img_pat(t, 8 * 512, 512);
	assert_img_zero(t, 9 * 512, 7 * 512);
	assert_img_pat(t, 16 * 512, 512);

	assert_int_equal(req_segs(t, VIRTIO_BLK_T_WRITE_ZEROES, unmap, 1),
			 VIRTIO_BLK_S_OK);
	assert_img_zero(t, 32 * 512, 8 * 512);
	assert_img_pat(t, 40 * 512, 512);
	fd = open(t->path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(lseek(fd, 32 * 512, SEEK_HOLE), 32 * 512);
	close(fd);

	assert_int_equal(req_segs(t, VIRTIO_BLK_T_WRITE_ZEROES, bad_flag, 1),
			 VIRTIO_BLK_S_UNSUPP);
	assert_img_pat(t, 64 * 512, 8 * 512);
	assert_int_equal(req_segs(t, VIRTIO_BLK_T_WRITE_ZEROES, wrap, 1),
			 VIRTIO_BLK_S_IOERR);
	/* A segment list that is not whole segments. */
	assert_int_equal(req(t, VIRTIO_BLK_T_WRITE_ZEROES, 0, &odd, 1, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(stat(t->path, &st), 0);
	assert_int_equal(st.st_size, IMG_SIZE);
	assert_int_equal(counters(t).write_zeroes_ops, 2);
}

/*
 * tmpfs has no FALLOC_FL_ZERO_RANGE: zeros are written instead, through
 * the vector path and (O_DIRECT, 4 KiB blocks, partial blocks) through the
 * bounce path.
 */
static void test_write_zeroes_fallback(void **state)
{
	struct tb *t = *state;
	uint64_t plain[1][3] = { { 3, 5, 0 } };
	struct blk_scratch s = { 0 };
	struct blk_io io = { .direct = 1, .align = 4096, .mem_align = 512 };
	struct statfs sfs;
	int ret, err;

	if (statfs("/dev/shm", &sfs) || sfs.f_type != 0x01021994 /* tmpfs */)
		skip();
	unlink(t->path);
	img_create(t->path, SHM_TEMPLATE, IMG_SIZE);
	io.fd = open(t->path, O_RDWR | O_CLOEXEC);
	assert_true(io.fd >= 0);
	ret = fallocate(io.fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 0,
			4096);
	err = errno;
	close(io.fd);
	if (!ret || err != EOPNOTSUPP)
		skip(); /* a tmpfs that zeroes ranges: no fallback to test */

	tb_start(t, 0, 0, 0);
	assert_int_equal(req_segs(t, VIRTIO_BLK_T_WRITE_ZEROES, plain, 1),
			 VIRTIO_BLK_S_OK);
	assert_img_pat(t, 2 * 512, 512);
	assert_img_zero(t, 3 * 512, 5 * 512);
	assert_img_pat(t, 8 * 512, 512);
	assert_int_equal(counters(t).write_zeroes_ops, 1);
	tb_stop(t);

	io.fd = open(t->path, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (io.fd < 0)
		return; /* tmpfs without O_DIRECT (before Linux 6.6) */
	assert_int_equal(blk_io_write_zeroes(&io, &s, 4096 + 512, 70000, 0), 0);
	assert_img_pat(t, 4096, 512);
	assert_img_zero(t, 4096 + 512, 70000);
	assert_img_pat(t, 4096 + 512 + 70000, 4096);
	blk_scratch_free(&s);
	close(io.fd);
}

static void test_readonly(void **state)
{
	struct tb *t = *state;
	uint64_t seg[1][3] = { { 0, 8, 0 } };
	struct vdrv_seg out = { DATA_GPA, 512, 0 };
	struct vdrv_seg in = { DATA_GPA + 0x1000, 512, 1 };

	tb_start(t, 1, 0, 0);
	fill(t, DATA_GPA, 512, 9);
	assert_int_equal(req(t, VIRTIO_BLK_T_OUT, 0, &out, 1, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(req_segs(t, VIRTIO_BLK_T_DISCARD, seg, 1),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(req_segs(t, VIRTIO_BLK_T_WRITE_ZEROES, seg, 1),
			 VIRTIO_BLK_S_IOERR);
	assert_img_pat(t, 0, 8 * 512);
	assert_int_equal(req(t, VIRTIO_BLK_T_IN, 0, &in, 1, NULL),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(*gp(t, DATA_GPA + 0x1000 + 7), pat(7));
	assert_int_equal(req(t, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, NULL),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(counters(t).errors, 3);
	assert_int_equal(counters(t).write_ops, 0);
}

static void test_ranges(void **state)
{
	struct tb *t = *state;
	struct vdrv_seg one = { DATA_GPA, 512, 1 };
	struct vdrv_seg two = { DATA_GPA, 1024, 1 };
	struct vdrv_seg odd = { DATA_GPA, 100, 1 };
	struct vdrv_seg odd_out = { DATA_GPA, 513, 0 };
	uint32_t used;

	tb_start(t, 0, 0, 0);
	assert_int_equal(req(t, VIRTIO_BLK_T_IN, IMG_SECTORS - 1, &one, 1,
			     &used),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(used, 513);
	assert_int_equal(req(t, VIRTIO_BLK_T_IN, IMG_SECTORS - 1, &two, 1,
			     &used),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(used, 1);
	assert_int_equal(req(t, VIRTIO_BLK_T_IN, IMG_SECTORS, &one, 1, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(req(t, VIRTIO_BLK_T_IN, UINT64_MAX, &one, 1, NULL),
			 VIRTIO_BLK_S_IOERR);
	/* sector * 512 would wrap to 0 */
	assert_int_equal(req(t, VIRTIO_BLK_T_IN, 1ull << 55, &one, 1, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(req(t, VIRTIO_BLK_T_IN, 0, &odd, 1, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(req(t, VIRTIO_BLK_T_OUT, 0, &odd_out, 1, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_img_pat(t, 0, 1024);
	assert_int_equal(counters(t).errors, 6);
}

static void test_bad_chains(void **state)
{
	struct tb *t = *state;
	struct vdrv_seg b[3];
	uint16_t head;

	tb_start(t, 0, 0, 0);
	/* Zero-length header. */
	b[0] = (struct vdrv_seg){ HDR_GPA, 0, 0 };
	b[1] = (struct vdrv_seg){ STATUS_GPA, 1, 1 };
	*gp(t, STATUS_GPA) = ST_UNTOUCHED;
	head = drv_post(t, 0, b, 2);
	kick(t, 0);
	assert_int_equal(drv_used(t, 0, head), 1);
	assert_int_equal(*gp(t, STATUS_GPA), VIRTIO_BLK_S_IOERR);

	/* Header of 15 bytes (8 + 7). */
	put_hdr(t, HDR_GPA, VIRTIO_BLK_T_FLUSH, 0);
	b[0] = (struct vdrv_seg){ HDR_GPA, 8, 0 };
	b[1] = (struct vdrv_seg){ HDR_GPA + 8, 7, 0 };
	b[2] = (struct vdrv_seg){ STATUS_GPA, 1, 1 };
	*gp(t, STATUS_GPA) = ST_UNTOUCHED;
	head = drv_post(t, 0, b, 3);
	kick(t, 0);
	assert_int_equal(drv_used(t, 0, head), 1);
	assert_int_equal(*gp(t, STATUS_GPA), VIRTIO_BLK_S_IOERR);

	/* No status byte at all: returned with len 0, nothing written. */
	b[0] = (struct vdrv_seg){ HDR_GPA, 16, 0 };
	head = drv_post(t, 0, b, 1);
	kick(t, 0);
	assert_int_equal(drv_used(t, 0, head), 0);

	/* The "status" is readable: same. */
	b[1] = (struct vdrv_seg){ STATUS_GPA, 1, 0 };
	*gp(t, STATUS_GPA) = ST_UNTOUCHED;
	head = drv_post(t, 0, b, 2);
	kick(t, 0);
	assert_int_equal(drv_used(t, 0, head), 0);
	assert_int_equal(*gp(t, STATUS_GPA), ST_UNTOUCHED);

	assert_int_equal(counters(t).errors, 4);
	assert_int_equal(counters(t).flush_ops, 0);
	assert_false(tb_needs_reset(t));
}

static void test_unsupported_and_direction(void **state)
{
	struct tb *t = *state;
	struct vdrv_seg rd = { DATA_GPA, 512, 0 };
	struct vdrv_seg wr = { DATA_GPA, 512, 1 };
	uint32_t used;

	tb_start(t, 0, 0, 0);
	assert_int_equal(req(t, 2, 0, NULL, 0, &used), VIRTIO_BLK_S_UNSUPP);
	assert_int_equal(used, 1);
	assert_int_equal(req(t, 99, 0, &wr, 1, NULL), VIRTIO_BLK_S_UNSUPP);
	assert_int_equal(req(t, UINT32_MAX, 0, &rd, 1, NULL),
			 VIRTIO_BLK_S_UNSUPP);
	/* IN with readable data, OUT with writable data, GET_ID reading. */
	assert_int_equal(req(t, VIRTIO_BLK_T_IN, 0, &rd, 1, NULL),
			 VIRTIO_BLK_S_IOERR);
	fill(t, DATA_GPA, 512, 5);
	assert_int_equal(req(t, VIRTIO_BLK_T_OUT, 0, &wr, 1, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_img_pat(t, 0, 512);
	assert_int_equal(req(t, VIRTIO_BLK_T_GET_ID, 0, &rd, 1, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(counters(t).errors, 6);
}

static void test_malformed_queue(void **state)
{
	struct tb *t = *state;
	struct vdrv_vq *d = &t->dq[0];

	tb_start(t, 0, 0, 0);
	/* desc 0 -> 1 -> 0: a loop. */
	st64(t, d->desc, HDR_GPA);
	st32(t, d->desc + 8, 16);
	st16(t, d->desc + 12, DESC_F_NEXT);
	st16(t, d->desc + 14, 1);
	st64(t, d->desc + 16, STATUS_GPA);
	st32(t, d->desc + 24, 1);
	st16(t, d->desc + 28, DESC_F_NEXT | DESC_F_WRITE);
	st16(t, d->desc + 30, 0);
	st16(t, d->avail + 4, 0);
	st16(t, d->avail + 2, 1);
	assert_false(tb_needs_reset(t));
	kick(t, 0);
	assert_true(tb_needs_reset(t));
	assert_int_equal(tb_config_irqs(t), 1);
	drv_no_used(t, 0);
	kick(t, 0); /* still broken, still no crash */
	assert_true(tb_needs_reset(t));
	drv_no_used(t, 0);
}

static void test_multiqueue_batch(void **state)
{
	struct tb *t = *state;
	struct vblk_cfg cfg = { .path = t->path, .num_queues = 2 };
	struct vdrv_seg b[3];
	uint16_t heads[3];
	char id[21];

	assert_int_equal(tb_start_cfg(t, &cfg, 1ull << VIRTIO_BLK_F_MQ), 0);
	get_id(t, id);
	assert_int_equal(req_q(t, 1, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, NULL),
			 VIRTIO_BLK_S_OK);
	kick(t, 7); /* no such queue: ignored */
	drv_no_used(t, 0);
	drv_no_used(t, 1);
	assert_int_equal(tb_irqs(t, 0), 1);
	assert_int_equal(tb_irqs(t, 1), 1);

	/* Three reads posted, one kick: three completions in order. */
	for (unsigned int i = 0; i < 3; i++) {
		put_hdr(t, HDR_GPA + 32 * i, VIRTIO_BLK_T_IN, 10 + i);
		b[0] = (struct vdrv_seg){ HDR_GPA + 32 * i, 16, 0 };
		b[1] = (struct vdrv_seg){ DATA_GPA + 512 * i, 512, 1 };
		b[2] = (struct vdrv_seg){ STATUS_GPA + i, 1, 1 };
		heads[i] = drv_post(t, 1, b, 3);
	}
	kick(t, 1);
	for (unsigned int i = 0; i < 3; i++) {
		assert_int_equal(drv_used(t, 1, heads[i]), 513);
		assert_int_equal(*gp(t, STATUS_GPA + i), VIRTIO_BLK_S_OK);
		assert_int_equal(*gp(t, DATA_GPA + 512 * i),
				 pat(512 * (10 + i)));
	}
	drv_no_used(t, 1);
	assert_int_equal(tb_irqs(t, 1), 1); /* one per batch */
	assert_int_equal(tb_irqs(t, 0), 0);
}

/* After draining, kicks are re-armed: avail_event (EVENT_IDX) or the
 * used ring's NO_NOTIFY flag cleared. */
static void test_notify_rearm(void **state)
{
	struct tb *t = *state;
	struct vblk_cfg cfg = { .path = t->path };
	struct vdrv_vq *d = &t->dq[0];

	assert_int_equal(tb_start_cfg(t, &cfg, 1ull << VIRTIO_F_EVENT_IDX), 0);
	assert_int_equal(req(t, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, NULL),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(req(t, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, NULL),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(ld16(t, d->used + 4 + 8u * t->qsize), 2);
	tb_stop(t);

	assert_int_equal(tb_start_cfg(t, &cfg, 0), 0);
	st16(t, d->used, 1); /* as if left suppressed */
	assert_int_equal(req(t, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, NULL),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(ld16(t, d->used), 0);
}

/* ---- tests: O_DIRECT --------------------------------------------------- */

static int start_direct(struct tb *t)
{
	struct vblk_cfg cfg = { .path = t->path, .direct = 1 };
	int ret = tb_start_cfg(t, &cfg, 0);

	if (ret == -EINVAL)
		return -1; /* no O_DIRECT on this file system */
	assert_int_equal(ret, 0);
	return 0;
}

static void test_direct_misaligned(void **state)
{
	struct tb *t = *state;
	struct vdrv_seg out[3] = {
		{ DATA_GPA + 1, 512, 0 },
		{ DATA_GPA + 0x1003, 1000, 0 },
		{ DATA_GPA + 0x2000, 536, 0 },
	};
	struct vdrv_seg in[2] = {
		{ DATA_GPA + 0x10005, 100, 1 },
		{ DATA_GPA + 0x11000, 1948, 1 },
	};
	struct vdrv_seg big = { DATA_GPA + 0x20007, (3u << 19) + 512, 0 };
	struct vdrv_seg big_in = { DATA_GPA + 0x300003, (3u << 19) + 512, 1 };
	struct vdrv_seg al = { DATA_GPA + 0x10000, 4096, 1 };
	uint8_t want[2048];

	if (start_direct(t))
		skip();
	assert_int_equal(tb_cfg32(t, VIRTIO_BLK_CFG_BLK_SIZE) % 512, 0);
	fill(t, out[0].gpa, 512, 1);
	fill(t, out[1].gpa, 1000, 2);
	fill(t, out[2].gpa, 536, 3);
	assert_int_equal(req(t, VIRTIO_BLK_T_OUT, 16, out, 3, NULL),
			 VIRTIO_BLK_S_OK);
	assert_img_fill(t, 16 * 512, 512, 1);
	assert_img_fill(t, 17 * 512, 1000, 2);
	assert_img_fill(t, 17 * 512 + 1000, 536, 3);
	assert_img_pat(t, 15 * 512, 512);
	assert_img_pat(t, 20 * 512, 512);

	assert_int_equal(req(t, VIRTIO_BLK_T_IN, 16, in, 2, NULL),
			 VIRTIO_BLK_S_OK);
	img_read(t, want, sizeof(want), 16 * 512);
	assert_memory_equal(gp(t, in[0].gpa), want, 100);
	assert_memory_equal(gp(t, in[1].gpa), want + 100, 1948);

	/* Aligned buffers take the direct path. */
	assert_int_equal(req(t, VIRTIO_BLK_T_IN, 8, &al, 1, NULL),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(*gp(t, al.gpa + 4095), pat(8 * 512 + 4095));

	/* More than the bounce buffer, misaligned: several chunks. */
	fill(t, big.gpa, big.len, 7);
	assert_int_equal(req(t, VIRTIO_BLK_T_OUT, 1, &big, 1, NULL),
			 VIRTIO_BLK_S_OK);
	assert_img_fill(t, 512, big.len, 7);
	assert_img_pat(t, 0, 512);
	assert_img_pat(t, 512 + big.len, 512);
	memset(gp(t, big_in.gpa), 0, big_in.len);
	assert_int_equal(req(t, VIRTIO_BLK_T_IN, 1, &big_in, 1, NULL),
			 VIRTIO_BLK_S_OK);
	assert_memory_equal(gp(t, big_in.gpa), gp(t, big.gpa), big.len);
	assert_int_equal(counters(t).errors, 0);
}

/* blk_io with a 4096-byte block: read-modify-write of partial blocks. */
static void test_blk_io_rmw(void **state)
{
	struct tb *t = *state;
	struct blk_scratch s = { 0 };
	struct blk_io io = { .direct = 1, .align = 4096, .mem_align = 512 };
	uint8_t *src = malloc(9000), *dst = malloc(9000);
	struct iovec v[2];
	uint64_t done;

	assert_non_null(src);
	assert_non_null(dst);
	io.fd = open(t->path, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (io.fd < 0) {
		free(src);
		free(dst);
		skip();
	}
	for (int i = 0; i < 9000; i++)
		src[i] = (uint8_t)(i * 31 + 5);
	/* 512 bytes in the middle of a block. */
	v[0] = (struct iovec){ src + 1, 512 };
	assert_int_equal(blk_io_rw(&io, &s, 1, 4096 + 512, v, 1, 512, &done),
			 0);
	assert_int_equal(done, 512);
	assert_img_pat(t, 4096, 512);
	img_read(t, dst, 512, 4096 + 512);
	assert_memory_equal(dst, src + 1, 512);
	assert_img_pat(t, 4096 + 1024, 3072);

	/* 5120 bytes from 3072: partial head and tail blocks, two iovecs. */
	v[0] = (struct iovec){ src + 100, 1000 };
	v[1] = (struct iovec){ src + 2000, 4120 };
	assert_int_equal(blk_io_rw(&io, &s, 1, 12288 + 3072, v, 2, 5120, &done),
			 0);
	assert_int_equal(done, 5120);
	assert_img_pat(t, 12288, 3072);
	img_read(t, dst, 5120, 12288 + 3072);
	assert_memory_equal(dst, src + 100, 1000);
	assert_memory_equal(dst + 1000, src + 2000, 4120);
	assert_img_pat(t, 12288 + 3072 + 5120, 4096 - 1024);

	/* From a block boundary to the middle of that block. */
	v[0] = (struct iovec){ src + 7, 1024 };
	assert_int_equal(blk_io_rw(&io, &s, 1, 8192, v, 1, 1024, &done), 0);
	img_read(t, dst, 1024, 8192);
	assert_memory_equal(dst, src + 7, 1024);
	assert_img_pat(t, 8192 + 1024, 3072);

	/* Read back through the bounce path at an odd place. */
	memset(dst, 0, 9000);
	v[0] = (struct iovec){ dst + 3, 1536 };
	assert_int_equal(blk_io_rw(&io, &s, 0, 12288 + 3072, v, 1, 1536, &done),
			 0);
	assert_int_equal(done, 1536);
	assert_memory_equal(dst + 3, src + 100, 1000);
	assert_memory_equal(dst + 1003, src + 2000, 536);

	/* Zeroing a partial block. */
	assert_int_equal(blk_io_write_zeroes(&io, &s, 20480 + 512, 1024, 0), 0);
	assert_img_zero(t, 20480 + 512, 1024);
	assert_img_pat(t, 20480, 512);
	assert_img_pat(t, 20480 + 1536, 512);

	blk_scratch_free(&s);
	close(io.fd);
	free(src);
	free(dst);
}

#define TB_TEST(fn) cmocka_unit_test_setup_teardown(fn, tb_setup, tb_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TB_TEST(test_config),
		TB_TEST(test_config_ro_mq),
		TB_TEST(test_create_errors),
		TB_TEST(test_lock),
		TB_TEST(test_rw_roundtrip),
		TB_TEST(test_odd_framing),
		TB_TEST(test_flush_get_id),
		TB_TEST(test_default_serial),
		TB_TEST(test_discard),
		TB_TEST(test_write_zeroes),
		TB_TEST(test_write_zeroes_fallback),
		TB_TEST(test_readonly),
		TB_TEST(test_ranges),
		TB_TEST(test_bad_chains),
		TB_TEST(test_unsupported_and_direction),
		TB_TEST(test_malformed_queue),
		TB_TEST(test_multiqueue_batch),
		TB_TEST(test_notify_rearm),
		TB_TEST(test_direct_misaligned),
		TB_TEST(test_blk_io_rmw),
	};

	/* The device logs every guest error (rate-limited); keep the
	 * output to cmocka's lines. */
	log_set_level(LOG_ERR);
	return cmocka_run_group_tests_name("virtio_blk", tests, NULL, NULL);
}
