// SPDX-License-Identifier: Apache-2.0
/*
 * vblk_fixture.c - shared driver-side fixture for the virtio-blk unit
 * tests (see vblk_fixture.h).
 */
#define LOG_MOD "vblkt"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/lib/vblk_fixture.h"
#include "vmm/log.h"

#if !VBLKT_REAL
/* Test-local transport: exists only while virtio_pci.c does not (or on
 * request); linking both would define these symbols twice. */
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

#if VBLKT_REAL
uint64_t vblkt_offered(struct vblkt *t)
{
	return vdrv_features(&t->dev);
}

bool vblkt_needs_reset(struct vblkt *t)
{
	return vdrv_cc_rd(&t->dev, VDRV_CC_STATUS, 1) &
	       VIRTIO_STATUS_NEEDS_RESET;
}

/* Interrupts sent for queue qi since the last call. */
unsigned int vblkt_irqs(struct vblkt *t, uint16_t qi)
{
	return vdrv_efd_take(t->plat.efd[qi]);
}

/* Configuration-change interrupts since the last call. */
unsigned int vblkt_config_irqs(struct vblkt *t)
{
	return vblkt_irqs(t, t->nq);
}

uint32_t vblkt_cfg32(struct vblkt *t, uint32_t off)
{
	return (uint32_t)vdrv_rd(&t->dev, t->dev.devcfg + off, 4);
}

uint16_t vblkt_cfg16(struct vblkt *t, uint32_t off)
{
	return (uint16_t)vdrv_rd(&t->dev, t->dev.devcfg + off, 2);
}

uint8_t vblkt_cfg8(struct vblkt *t, uint32_t off)
{
	return (uint8_t)vdrv_rd(&t->dev, t->dev.devcfg + off, 1);
}
#else
uint64_t vblkt_offered(struct vblkt *t)
{
	return vblk_info(t->b)->features;
}

void vblkt_transport_up(struct vblkt *t, uint64_t drv_features)
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

void vblkt_transport_down(struct vblkt *t)
{
}

bool vblkt_needs_reset(struct vblkt *t)
{
	return t->vd->needs_reset > 0;
}

unsigned int vblkt_irqs(struct vblkt *t, uint16_t qi)
{
	unsigned int n = t->vd->irqs[qi];

	t->vd->irqs[qi] = 0;
	return n;
}

/* NEEDS_RESET is the only config event here. */
unsigned int vblkt_config_irqs(struct vblkt *t)
{
	unsigned int n = t->vd->needs_reset - t->vd->needs_reset_seen;

	t->vd->needs_reset_seen = t->vd->needs_reset;
	return n;
}

static void vblkt_cfg(struct vblkt *t, uint32_t off, void *buf, uint32_t len)
{
	t->ops->config_read(t->b, off, buf, len);
}

uint32_t vblkt_cfg32(struct vblkt *t, uint32_t off)
{
	uint8_t b[4];

	vblkt_cfg(t, off, b, 4);
	return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

uint16_t vblkt_cfg16(struct vblkt *t, uint32_t off)
{
	uint8_t b[2];

	vblkt_cfg(t, off, b, 2);
	return (uint16_t)(b[0] | b[1] << 8);
}

uint8_t vblkt_cfg8(struct vblkt *t, uint32_t off)
{
	uint8_t b;

	vblkt_cfg(t, off, &b, 1);
	return b;
}
#endif

/* ---- images and fixture ---------------------------------------------- */

uint8_t vblkt_pat(uint64_t off)
{
	return (uint8_t)(off * 7 + (off >> 9) + 1);
}

/* A temp image (mkstemp `tmpl`) of `size` bytes holding vblkt_pat(). */
void vblkt_img_create(char *path, const char *tmpl, uint64_t size)
{
	uint8_t *buf = malloc(size);
	int fd;

	assert_non_null(buf);
	strcpy(path, tmpl);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	for (uint64_t i = 0; i < size; i++)
		buf[i] = vblkt_pat(i);
	assert_int_equal(pwrite(fd, buf, size, 0), (ssize_t)size);
	assert_int_equal(fsync(fd), 0);
	close(fd);
	free(buf);
}

void vblkt_img_read(struct vblkt *t, void *buf, size_t len, uint64_t off)
{
	int fd = open(t->path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

/* The image still holds vblkt_pat() in [off, off+len). */
void vblkt_assert_img_pat(struct vblkt *t, uint64_t off, size_t len)
{
	uint8_t *buf = malloc(len);

	assert_non_null(buf);
	vblkt_img_read(t, buf, len, off);
	for (size_t i = 0; i < len; i++)
		if (buf[i] != vblkt_pat(off + i))
			fail_msg("image byte %llu is %#x, want %#x",
				 (unsigned long long)(off + i), buf[i],
				 vblkt_pat(off + i));
	free(buf);
}

void vblkt_assert_img_zero(struct vblkt *t, uint64_t off, size_t len)
{
	uint8_t *buf = malloc(len);

	assert_non_null(buf);
	vblkt_img_read(t, buf, len, off);
	for (size_t i = 0; i < len; i++)
		if (buf[i])
			fail_msg("image byte %llu is %#x, want 0",
				 (unsigned long long)(off + i), buf[i]);
	free(buf);
}

int vblkt_setup_hooks(void **state, vblkt_up_fn up, vblkt_down_fn down)
{
	struct vblkt *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	vdrv_ram_init(&t->ram, RAM_GPA, RAM_SIZE);
	vblkt_img_create(t->path, TMP_TEMPLATE, IMG_SIZE);
	t->ops = vblk_ops();
	t->up = up;
	t->down = down;
	*state = t;
	return 0;
}

void vblkt_stop(struct vblkt *t)
{
	if (!t->b)
		return;
	t->down(t);
	vblk_destroy(t->b);
	t->b = NULL;
	t->vd = NULL;
}

int vblkt_teardown(void **state)
{
	struct vblkt *t = *state;

	vblkt_stop(t);
	unlink(t->path);
	vdrv_ram_destroy(&t->ram);
	free(t);
	return 0;
}

/* Create the device on t->path and bring the transport and queues up. */
int vblkt_start_cfg(struct vblkt *t, const struct vblk_cfg *cfg,
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
	t->up(t, drv_features);
	return 0;
}

void vblkt_start(struct vblkt *t, int readonly, int direct, uint16_t nq)
{
	struct vblk_cfg cfg = {
		.path = t->path,
		.readonly = readonly,
		.direct = direct,
		.num_queues = nq,
		.serial = "nimbus-serial-01",
	};

	assert_int_equal(vblkt_start_cfg(t, &cfg, 0), 0);
}

/* ---- the driver ------------------------------------------------------ */

/* Post one chain (descriptors from next_desc on) and make it avail. */
uint16_t vblkt_drv_post(struct vblkt *t, unsigned int qi,
			const struct vdrv_seg *b, unsigned int n)
{
	return vdrv_vq_post(&t->dq[qi], b, n, false);
}

void vblkt_kick(struct vblkt *t, uint16_t qi)
{
	t->ops->queue_notify(t->b, t->vd, qi);
}

/* Consume the next used element, which must exist, and check its id. */
uint32_t vblkt_drv_used(struct vblkt *t, unsigned int qi, uint16_t head)
{
	return vdrv_vq_take_used(&t->dq[qi], head);
}

void vblkt_drv_no_used(struct vblkt *t, unsigned int qi)
{
	vdrv_vq_assert_no_used(&t->dq[qi]);
}

void vblkt_put_hdr(struct vblkt *t, uint64_t a, uint32_t type, uint64_t sector)
{
	st32(t, a, type);
	st32(t, a + 4, 0);
	st64(t, a + 8, sector);
}

/*
 * One request: header at HDR_GPA, the data buffers, a 1-byte status at
 * STATUS_GPA.  Returns the status; *used (may be NULL) gets the used len.
 */
uint8_t vblkt_req_q(struct vblkt *t, unsigned int qi, uint32_t type,
		    uint64_t sector, const struct vdrv_seg *data,
		    unsigned int n, uint32_t *used)
{
	struct vdrv_seg b[8];
	uint16_t head;
	uint32_t len;

	assert_true(n + 2 <= 8);
	vblkt_put_hdr(t, HDR_GPA, type, sector);
	b[0] = (struct vdrv_seg){ HDR_GPA, VIRTIO_BLK_HDR_SIZE, 0 };
	if (n)
		memcpy(&b[1], data, n * sizeof(*data));
	b[n + 1] = (struct vdrv_seg){ STATUS_GPA, 1, 1 };
	*gp(t, STATUS_GPA) = ST_UNTOUCHED;
	head = vblkt_drv_post(t, qi, b, n + 2);
	vblkt_kick(t, (uint16_t)qi);
	len = vblkt_drv_used(t, qi, head);
	vblkt_drv_no_used(t, qi);
	if (used)
		*used = len;
	return *gp(t, STATUS_GPA);
}

uint8_t vblkt_req(struct vblkt *t, uint32_t type, uint64_t sector,
		  const struct vdrv_seg *data, unsigned int n, uint32_t *used)
{
	return vblkt_req_q(t, 0, type, sector, data, n, used);
}

/* DISCARD / WRITE_ZEROES with segments {sector, num, flags}. */
uint8_t vblkt_req_segs(struct vblkt *t, uint32_t type, uint64_t (*s)[3],
		       unsigned int nseg)
{
	struct vdrv_seg d = { DATA_GPA, nseg * VIRTIO_BLK_SEG_SIZE, 0 };

	for (unsigned int i = 0; i < nseg; i++) {
		st64(t, DATA_GPA + 16 * i, s[i][0]);
		st32(t, DATA_GPA + 16 * i + 8, (uint32_t)s[i][1]);
		st32(t, DATA_GPA + 16 * i + 12, (uint32_t)s[i][2]);
	}
	return vblkt_req(t, type, 0, &d, 1, NULL);
}

void vblkt_fill(struct vblkt *t, uint64_t a, uint32_t len, uint8_t seed)
{
	for (uint32_t i = 0; i < len; i++)
		gp(t, a)[i] = (uint8_t)(seed + i * 13 + (i >> 8));
}

void vblkt_assert_img_fill(struct vblkt *t, uint64_t off, uint32_t len,
			   uint8_t seed)
{
	uint8_t *buf = malloc(len);

	assert_non_null(buf);
	vblkt_img_read(t, buf, len, off);
	for (uint32_t i = 0; i < len; i++)
		if (buf[i] != (uint8_t)(seed + i * 13 + (i >> 8)))
			fail_msg("image byte %llu differs",
				 (unsigned long long)(off + i));
	free(buf);
}

struct vblk_counters vblkt_counters(struct vblkt *t)
{
	struct vblk_counters c;

	vblk_get_counters(t->b, &c);
	return c;
}

/* GET_ID into out (21 bytes: 20 of ID and a NUL). */
void vblkt_get_id(struct vblkt *t, char *out)
{
	struct vdrv_seg id = { DATA_GPA, 20, 1 };

	memset(gp(t, DATA_GPA), 0xaa, 20);
	assert_int_equal(vblkt_req(t, VIRTIO_BLK_T_GET_ID, 0, &id, 1, NULL),
			 VIRTIO_BLK_S_OK);
	memcpy(out, gp(t, DATA_GPA), 20);
	out[20] = '\0';
}
