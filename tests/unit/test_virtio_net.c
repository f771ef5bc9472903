// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for devices/virtio/virtio_net.c, net_rx.c, net_tx.c and
 * net_ctrl.c: config space and features, transmit and receive paths
 * (direct, mergeable buffers, back-pressure), multiqueue, the control
 * queue and reset.  The fixture (test_virtio_net_fx.h) plays driver,
 * transport and backend.
 */
#include <linux/if_tun.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/resource.h>

#include "tests/unit/test_virtio_net_fx.h"
#include "tests/lib/seccomp_groups.h"

/* Features a Linux driver takes on a default device, minus MQ. */
#define F_BASE                                                         \
	(BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_STATUS) |            \
	 BIT(VIRTIO_NET_F_CTRL_VQ) | BIT(VIRTIO_NET_F_CTRL_MAC_ADDR) | \
	 BIT(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) | BIT(VIRTIO_F_VERSION_1))
#define F_CSUM (BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_GUEST_CSUM))
#define F_TSO                                                          \
	(BIT(VIRTIO_NET_F_HOST_TSO4) | BIT(VIRTIO_NET_F_HOST_TSO6) |   \
	 BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO6) | \
	 BIT(VIRTIO_NET_F_HOST_ECN) | BIT(VIRTIO_NET_F_GUEST_ECN))
#define F_MRG BIT(VIRTIO_NET_F_MRG_RXBUF)

static int fx_teardown(void **state)
{
	if (*state)
		fx_free(*state);
	return 0;
}

/* ---- config and features ---------------------------------------------- */

static void test_config_and_features(void **state)
{
	struct vnet_cfg cfg = { .mac = { 0x02, 1, 2, 3, 4, 5 },
				.mtu = 1400,
				.offload_csum = 1,
				.offload_tso = 1 };
	struct fx *f = fx_new(2, 256, &cfg);
	const struct virtio_dev_info *info = vnet_info(f->n);
	uint8_t c[VIRTIO_NET_CFG_SIZE];

	*state = f;
	assert_int_equal(info->device_id, VIRTIO_ID_NET);
	assert_int_equal(info->nr_queues, 5);
	assert_int_equal(info->queue_size_max, 256);
	assert_int_equal(info->config_size, VIRTIO_NET_CFG_SIZE);
	assert_true(info->flags & VIRTIO_DEV_F_QUEUE_WORKERS);
	assert_int_equal(info->features & (F_BASE & ~BIT(VIRTIO_F_VERSION_1)),
			 F_BASE & ~BIT(VIRTIO_F_VERSION_1));
	assert_true(info->features & BIT(VIRTIO_NET_F_MQ));
	assert_true(info->features & BIT(VIRTIO_NET_F_MTU));
	assert_true(info->features & BIT(VIRTIO_NET_F_MRG_RXBUF));
	assert_int_equal(info->features & F_TSO, F_TSO);
	assert_false(info->features & BIT(VIRTIO_NET_F_HOST_UFO));
	/* Transport bits (24..49) are never the device's. */
	assert_int_equal(
		info->features & (((1ull << 50) - 1) & ~((1ull << 24) - 1)), 0);

	f->ops->config_read(f->n, 0, c, sizeof(c));
	assert_memory_equal(c, cfg.mac, 6);
	assert_int_equal(c[6] | c[7] << 8, VIRTIO_NET_S_LINK_UP);
	assert_int_equal(c[8] | c[9] << 8, 2);
	assert_int_equal(c[10] | c[11] << 8, 1400);
	/* A read past the end gives zeros, no crash. */
	memset(c, 0xaa, 4);
	f->ops->config_read(f->n, VIRTIO_NET_CFG_SIZE - 2, c, 4);
	assert_int_equal(c[2], 0);
	assert_int_equal(c[3], 0);

	/* Link down: config reads 0, the interrupt comes once active. */
	fx_start(f, F_BASE);
	vnet_set_link(f->n, 0);
	f->ops->config_read(f->n, VIRTIO_NET_CFG_STATUS, c, 2);
	assert_int_equal(c[0] | c[1] << 8, 0);
	assert_int_equal(fx_ld(&f->vd.config_changed), 1);
	vnet_set_link(f->n, 0);
	assert_int_equal(fx_ld(&f->vd.config_changed), 1);
}

static void test_no_csum_means_no_tso(void **state)
{
	struct vnet_cfg cfg = { .mac = FX_MAC,
				.offload_tso = 1,
				.offload_ufo = 1 };
	struct fx *f = fx_new(1, 64, &cfg);
	uint64_t feat = vnet_info(f->n)->features;

	*state = f;
	assert_int_equal(feat & (F_CSUM | F_TSO | BIT(VIRTIO_NET_F_GUEST_UFO)),
			 0);
	assert_false(feat & BIT(VIRTIO_NET_F_MQ));
	assert_false(feat & BIT(VIRTIO_NET_F_MTU));
	assert_int_equal(vnet_info(f->n)->nr_queues, 3);
}

static void test_bad_cfg(void **state)
{
	int fds[2] = { 0, 0 };
	struct vnet_cfg cfg = { .fds = fds, .nr_pairs = 1 };
	struct vnet *n = NULL;
	char err[200];

	cfg.nr_pairs = 0;
	assert_int_equal(vnet_create(&cfg, &n, err, sizeof(err)), -EINVAL);
	cfg.nr_pairs = VNET_MAX_PAIRS + 1;
	assert_int_equal(vnet_create(&cfg, &n, err, sizeof(err)), -EINVAL);
	cfg.nr_pairs = 1;
	cfg.queue_size = 100;
	assert_int_equal(vnet_create(&cfg, &n, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "queue_size"));
	cfg.queue_size = 0;
	cfg.mac[0] = 0x01; /* multicast */
	assert_int_equal(vnet_create(&cfg, &n, err, sizeof(err)), -EINVAL);
	assert_null(n);
}

static void test_activate_mirrors_offloads(void **state)
{
	struct fx *f = fx_new(1, 64, NULL);

	*state = f;
	fx_start(f, F_BASE | F_CSUM | F_TSO);
	assert_int_equal(fx_ld(&f->offload_calls), 1);
	assert_int_equal(fx_ld(&f->last_offload),
			 TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN);
	fx_reset(f);
	fx_start(f, F_BASE);
	assert_int_equal(fx_ld(&f->last_offload), 0);
	fx_reset(f);
	fx_start(f, F_BASE | F_CSUM | BIT(VIRTIO_NET_F_GUEST_UFO));
	assert_int_equal(fx_ld(&f->last_offload), TUN_F_CSUM | TUN_F_UFO);
}

/* ---- transmit ------------------------------------------------------------ */

static void test_tx_split_header(void **state)
{
	struct fx *f = fx_new(1, 64, NULL);
	uint8_t frame[1000], got[2048], hdr[12];
	uint64_t a, b, c;
	struct vdrv_seg s[3];
	uint16_t head;

	*state = f;
	fx_start(f, F_BASE | F_CSUM);
	fx_pattern(frame, sizeof(frame), 1);
	fx_hdr(hdr, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0);
	hdr[6] = 34; /* csum_start */
	hdr[8] = 16; /* csum_offset */
	hdr[10] = 0x55; /* num_buffers: must not reach the backend */
	/* The header split 5 + 7, with 3 bytes of frame in the second. */
	a = fx_buf(f, 5);
	b = fx_buf(f, 10);
	c = fx_buf(f, sizeof(frame) - 3);
	memcpy(fx_ptr(f, a, 5), hdr, 5);
	memcpy(fx_ptr(f, b, 7), hdr + 5, 7);
	memcpy(fx_ptr(f, b + 7, 3), frame, 3);
	memcpy(fx_ptr(f, c, sizeof(frame) - 3), frame + 3, sizeof(frame) - 3);
	s[0] = (struct vdrv_seg){ a, 5, 0 };
	s[1] = (struct vdrv_seg){ b, 10, 0 };
	s[2] = (struct vdrv_seg){ c, sizeof(frame) - 3, 0 };
	head = vdrv_vq_post(&f->dq[1], s, 3, true);
	fx_kick(f, 1);
	assert_int_equal(vdrv_vq_take_used(&f->dq[1], head), 0);
	assert_int_equal(fx_host_recv(f, 0, got, sizeof(got), 1000),
			 12 + sizeof(frame));
	assert_int_equal(got[0], VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(got[6], 34);
	assert_int_equal(got[8], 16);
	assert_int_equal(got[10], 0);
	assert_memory_equal(got + 12, frame, sizeof(frame));
	assert_int_equal(FX_CTR(f, tx_frames), 1);
	assert_int_equal(FX_CTR(f, tx_bytes), sizeof(frame));
	assert_true(fx_ld(&f->vd.irqs[1]) >= 1);
}

static void test_tx_batch(void **state)
{
	struct fx *f = fx_new(1, 256, NULL);
	uint8_t got[256];
	uint16_t heads[200];
	unsigned int i;

	*state = f;
	fx_start(f, F_BASE);
	for (i = 0; i < 200; i++) {
		struct vdrv_seg s = { fx_buf(f, 12 + 60), 12 + 60, 0 };

		fx_hdr(fx_ptr(f, s.gpa, 12), 0, 0);
		memset(fx_ptr(f, s.gpa + 12, 60), (int)i, 60);
		heads[i] = vdrv_vq_post(&f->dq[1], &s, 1, i == 199);
	}
	fx_kick(f, 1);
	for (i = 0; i < 200; i++) {
		assert_int_equal(vdrv_vq_take_used(&f->dq[1], heads[i]), 0);
		assert_int_equal(fx_host_recv(f, 0, got, sizeof(got), 1000),
				 72);
		assert_int_equal(got[12], (uint8_t)i);
	}
	assert_int_equal(FX_CTR(f, tx_frames), 200);
}

/* ---- receive ------------------------------------------------------------- */

static void test_rx_single_buffer(void **state)
{
	struct fx *f = fx_new(1, 64, NULL);
	uint8_t pkt[12 + 1000];
	uint16_t heads[2];
	uint64_t buf;

	*state = f;
	fx_start(f, F_BASE | F_CSUM);
	buf = fx_post_rx(f, 0, 2, 2048, heads);
	fx_kick(f, 0);
	fx_hdr(pkt, VIRTIO_NET_HDR_F_DATA_VALID, 0);
	pkt[10] = 0x77; /* what the backend leaves in num_buffers */
	fx_pattern(pkt + 12, 1000, 2);
	fx_host_send(f, 0, pkt, sizeof(pkt));
	assert_true(vdrv_vq_wait_used(&f->dq[0], 1));
	assert_int_equal(vdrv_vq_take_used(&f->dq[0], heads[0]), sizeof(pkt));
	assert_int_equal(fx_ptr(f, buf, 12)[0], VIRTIO_NET_HDR_F_DATA_VALID);
	assert_int_equal(vdrv_ld16(&f->ram, buf + 10), 1);
	assert_memory_equal(fx_ptr(f, buf + 12, 1000), pkt + 12, 1000);
	assert_int_equal(FX_CTR(f, rx_frames), 1);
	assert_int_equal(FX_CTR(f, rx_bytes), 1000);
	assert_true(VDRV_WAIT_FOR(fx_ld(&f->vd.irqs[0]) >= 1));
}

static void test_rx_flags_cleared_without_guest_csum(void **state)
{
	struct fx *f = fx_new(1, 64, NULL);
	uint8_t pkt[12 + 60];
	uint16_t heads[1];
	uint64_t buf;

	*state = f;
	fx_start(f, F_BASE);
	buf = fx_post_rx(f, 0, 1, 2048, heads);
	fx_kick(f, 0);
	fx_hdr(pkt, VIRTIO_NET_HDR_F_DATA_VALID, 0);
	fx_host_send(f, 0, pkt, sizeof(pkt));
	assert_true(vdrv_vq_wait_used(&f->dq[0], 1));
	assert_int_equal(fx_ptr(f, buf, 1)[0], 0);
}

static void test_rx_mergeable(void **state)
{
	struct fx *f = fx_new(1, 64, NULL);
	uint8_t pkt[12 + 1000], got[12 + 1000];
	uint16_t heads[8];
	uint32_t len, off = 0;
	uint64_t buf;
	unsigned int i;

	*state = f;
	fx_start(f, F_BASE | F_MRG);
	buf = fx_post_rx(f, 0, 8, 256, heads);
	fx_kick(f, 0);
	fx_hdr(pkt, 0, 0);
	fx_pattern(pkt + 12, 1000, 3);
	fx_host_send(f, 0, pkt, sizeof(pkt));
	assert_true(vdrv_vq_wait_used(&f->dq[0], 4));
	/* Published together: never a partial frame. */
	assert_int_equal(vdrv_vq_used_idx(&f->dq[0]), 4);
	for (i = 0; i < 4; i++) {
		len = vdrv_vq_take_used(&f->dq[0], heads[i]);
		assert_int_equal(len, i < 3 ? 256 : 1012 - 768);
		memcpy(got + off, fx_ptr(f, buf + 256 * i, len), len);
		off += len;
	}
	assert_int_equal(vdrv_ld16(&f->ram, buf + 10), 4);
	assert_memory_equal(got + 12, pkt + 12, 1000);
	/* A second small frame takes the next chain alone. */
	fx_host_send(f, 0, pkt, 100);
	assert_true(vdrv_vq_wait_used(&f->dq[0], 5));
	assert_int_equal(vdrv_vq_take_used(&f->dq[0], heads[4]), 100);
	assert_int_equal(vdrv_ld16(&f->ram, buf + 4 * 256 + 10), 1);
}

static void test_rx_mergeable_waits_for_buffers(void **state)
{
	struct fx *f = fx_new(1, 64, NULL);
	uint8_t pkt[12 + 3000];
	uint16_t heads[4];

	*state = f;
	fx_start(f, F_BASE | F_MRG);
	fx_post_rx(f, 0, 1, 1024, heads);
	fx_kick(f, 0);
	fx_hdr(pkt, 0, 0);
	fx_pattern(pkt + 12, 3000, 4);
	fx_host_send(f, 0, pkt, sizeof(pkt));
	usleep(50000);
	/* One chain is not enough: nothing published yet. */
	assert_int_equal(vdrv_vq_used_idx(&f->dq[0]), 0);
	fx_post_rx(f, 0, 3, 1024, heads + 1);
	fx_kick(f, 0);
	assert_true(vdrv_vq_wait_used(&f->dq[0], 3));
	assert_int_equal(vdrv_vq_take_used(&f->dq[0], heads[0]), 1024);
	assert_int_equal(vdrv_vq_take_used(&f->dq[0], heads[1]), 1024);
	assert_int_equal(vdrv_vq_take_used(&f->dq[0], heads[2]), 3012 - 2048);
	assert_int_equal(FX_CTR(f, rx_dropped), 0);
}

static void test_rx_too_big_without_mrg_is_dropped(void **state)
{
	struct fx *f = fx_new(1, 64, NULL);
	uint8_t pkt[12 + 3000];
	uint16_t heads[1];
	uint64_t buf;

	*state = f;
	fx_start(f, F_BASE);
	buf = fx_post_rx(f, 0, 1, 1526, heads);
	fx_kick(f, 0);
	fx_hdr(pkt, 0, 0);
	fx_pattern(pkt + 12, 3000, 5);
	fx_host_send(f, 0, pkt, sizeof(pkt));
	fx_host_send(f, 0, pkt, 12 + 500);
	/* The big one is dropped; its chain takes the next frame. */
	assert_true(vdrv_vq_wait_used(&f->dq[0], 1));
	assert_int_equal(vdrv_vq_take_used(&f->dq[0], heads[0]), 512);
	assert_memory_equal(fx_ptr(f, buf + 12, 500), pkt + 12, 500);
	assert_int_equal(FX_CTR(f, rx_dropped), 1);
}

static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void test_rx_backpressure(void **state)
{
	struct fx *f = fx_new(1, 64, NULL);
	uint8_t pkt[12 + 200];
	uint16_t heads[4];
	uint64_t t0, buf;
	unsigned int i;

	*state = f;
	fx_start(f, F_BASE);
	fx_hdr(pkt, 0, 0);
	for (i = 0; i < 3; i++) {
		pkt[12] = (uint8_t)i;
		fx_host_send(f, 0, pkt, sizeof(pkt));
	}
	/* No buffers: the backend is not read and no CPU is burnt. */
	t0 = cpu_ns();
	usleep(200000);
	assert_true(cpu_ns() - t0 < 50000000ull);
	assert_true(fx_host_unread(f, 0));
	assert_int_equal(FX_CTR(f, rx_dropped), 0);
	/* Buffers arrive: every frame, in order. */
	buf = fx_post_rx(f, 0, 4, 512, heads);
	fx_kick(f, 0);
	assert_true(vdrv_vq_wait_used(&f->dq[0], 3));
	for (i = 0; i < 3; i++) {
		assert_int_equal(vdrv_vq_take_used(&f->dq[0], heads[i]),
				 sizeof(pkt));
		assert_int_equal(*fx_ptr(f, buf + 512 * i + 12, 1), i);
	}
	assert_false(fx_host_unread(f, 0));
	/* Idle with a buffer held: still no spinning. */
	t0 = cpu_ns();
	usleep(100000);
	assert_true(cpu_ns() - t0 < 30000000ull);
}

/* ---- multiqueue and control --------------------------------------------- */

static void test_mq(void **state)
{
	struct fx *f = fx_new(2, 64, NULL);
	uint8_t pkt[12 + 64], got[256];
	uint16_t pairs = htole16(2), heads[1], head;
	struct vdrv_seg s;

	*state = f;
	fx_start(f, F_BASE | BIT(VIRTIO_NET_F_MQ));
	/* One pair until the driver asks: pair 1 is detached. */
	assert_true(VDRV_WAIT_FOR(fx_ld((unsigned int *)&f->attached[1]) == 0));
	assert_int_equal(fx_ctrl(f, 4, VIRTIO_NET_CTRL_MQ,
				 VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &pairs, 2),
			 VIRTIO_NET_OK);
	assert_true(VDRV_WAIT_FOR(fx_ld((unsigned int *)&f->attached[1]) == 1));
	/* Pair 1 transmits on its own fd and receives from it. */
	s = (struct vdrv_seg){ fx_buf(f, sizeof(pkt)), sizeof(pkt), 0 };
	fx_hdr(fx_ptr(f, s.gpa, 12), 0, 0);
	head = vdrv_vq_post(&f->dq[3], &s, 1, true);
	fx_kick(f, 3);
	assert_int_equal(vdrv_vq_take_used(&f->dq[3], head), 0);
	assert_int_equal(fx_host_recv(f, 1, got, sizeof(got), 1000),
			 sizeof(pkt));
	assert_int_equal(fx_host_recv(f, 0, got, sizeof(got), 0), -1);
	fx_post_rx(f, 1, 1, 512, heads);
	fx_kick(f, 2);
	fx_hdr(pkt, 0, 0);
	fx_host_send(f, 1, pkt, sizeof(pkt));
	assert_true(vdrv_vq_wait_used(&f->dq[2], 1));
	assert_int_equal(vdrv_vq_take_used(&f->dq[2], heads[0]), sizeof(pkt));
	/* Back to one pair; 0 and 3 pairs are refused. */
	pairs = htole16(1);
	assert_int_equal(fx_ctrl(f, 4, VIRTIO_NET_CTRL_MQ,
				 VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &pairs, 2),
			 VIRTIO_NET_OK);
	assert_true(VDRV_WAIT_FOR(fx_ld((unsigned int *)&f->attached[1]) == 0));
	pairs = 0;
	assert_int_equal(fx_ctrl(f, 4, VIRTIO_NET_CTRL_MQ,
				 VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &pairs, 2),
			 VIRTIO_NET_ERR);
	pairs = htole16(3);
	assert_int_equal(fx_ctrl(f, 4, VIRTIO_NET_CTRL_MQ,
				 VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &pairs, 2),
			 VIRTIO_NET_ERR);
	assert_int_equal(FX_CTR(f, ctrl_errors), 2);
}

static void test_ctrl_queue_index_without_mq(void **state)
{
	struct fx *f = fx_new(2, 64, NULL);
	uint8_t mac[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee }, c[6];
	uint16_t pairs = htole16(2);

	*state = f;
	fx_start(f, F_BASE); /* no MQ: the control queue is queue 2 */
	assert_int_equal(fx_ctrl(f, 2, VIRTIO_NET_CTRL_MAC,
				 VIRTIO_NET_CTRL_MAC_ADDR_SET, mac, 6),
			 VIRTIO_NET_OK);
	f->ops->config_read(f->n, 0, c, 6);
	assert_memory_equal(c, mac, 6);
	/* MQ not negotiated: refused. */
	assert_int_equal(fx_ctrl(f, 2, VIRTIO_NET_CTRL_MQ,
				 VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &pairs, 2),
			 VIRTIO_NET_ERR);
	/* A kick on a queue of the unused pair does nothing. */
	fx_kick(f, 3);
	assert_int_equal(fx_ld(&f->vd.needs_reset), 0);
}

static void test_ctrl_guest_offloads(void **state)
{
	struct fx *f = fx_new(1, 64, NULL);
	uint64_t v;

	*state = f;
	fx_start(f, F_BASE | F_CSUM | F_TSO);
	v = htole64(BIT(VIRTIO_NET_F_GUEST_CSUM));
	assert_int_equal(fx_ctrl(f, 2, VIRTIO_NET_CTRL_GUEST_OFFLOADS,
				 VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET, &v, 8),
			 VIRTIO_NET_OK);
	assert_int_equal(fx_ld(&f->last_offload), TUN_F_CSUM);
	/* Not negotiated (UFO), or TSO without checksum: refused. */
	v = htole64(BIT(VIRTIO_NET_F_GUEST_CSUM) | BIT(VIRTIO_NET_F_GUEST_UFO));
	assert_int_equal(fx_ctrl(f, 2, VIRTIO_NET_CTRL_GUEST_OFFLOADS,
				 VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET, &v, 8),
			 VIRTIO_NET_ERR);
	v = htole64(BIT(VIRTIO_NET_F_GUEST_TSO4));
	assert_int_equal(fx_ctrl(f, 2, VIRTIO_NET_CTRL_GUEST_OFFLOADS,
				 VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET, &v, 8),
			 VIRTIO_NET_ERR);
	assert_int_equal(fx_ld(&f->last_offload), TUN_F_CSUM);
	v = 0;
	assert_int_equal(fx_ctrl(f, 2, VIRTIO_NET_CTRL_GUEST_OFFLOADS,
				 VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET, &v, 8),
			 VIRTIO_NET_OK);
	assert_int_equal(fx_ld(&f->last_offload), 0);
}

/* ---- reset --------------------------------------------------------------- */

static void test_reset_drops_held_chains(void **state)
{
	struct fx *f = fx_new(1, 64, NULL);
	uint8_t pkt[12 + 3000];
	uint16_t heads[4];

	*state = f;
	fx_start(f, F_BASE | F_MRG);
	fx_post_rx(f, 0, 1, 1024, heads);
	fx_kick(f, 0);
	fx_hdr(pkt, 0, 0);
	fx_pattern(pkt + 12, 3000, 6);
	fx_host_send(f, 0, pkt, sizeof(pkt));
	usleep(50000); /* the frame is half placed, waiting for buffers */
	fx_reset(f);
	/* Fresh rings: the old chain is forgotten, new frames flow. */
	fx_start(f, F_BASE);
	fx_post_rx(f, 0, 1, 2048, heads);
	fx_kick(f, 0);
	fx_host_send(f, 0, pkt, 12 + 100);
	assert_true(vdrv_vq_wait_used(&f->dq[0], 1));
	assert_int_equal(vdrv_vq_take_used(&f->dq[0], heads[0]), 112);
	/* Reset with nothing going on, then stop: threads end. */
	fx_reset(f);
}

static void test_threads_end(void **state)
{
	int before = vdrv_count_threads();
	struct fx *f = fx_new(4, 64, NULL);

	assert_int_equal(vdrv_count_threads(), before + 4);
	fx_start(f, F_BASE);
	fx_free(f);
	*state = NULL;
	/* A joined thread's task can linger in /proc for a moment. */
	if (!VDRV_WAIT_FOR(vdrv_count_threads() == before))
		assert_int_equal(vdrv_count_threads(), before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_config_and_features,
					  fx_teardown),
		cmocka_unit_test_teardown(test_no_csum_means_no_tso,
					  fx_teardown),
		cmocka_unit_test(test_bad_cfg),
		cmocka_unit_test_teardown(test_activate_mirrors_offloads,
					  fx_teardown),
		cmocka_unit_test_teardown(test_tx_split_header, fx_teardown),
		cmocka_unit_test_teardown(test_tx_batch, fx_teardown),
		cmocka_unit_test_teardown(test_rx_single_buffer, fx_teardown),
		cmocka_unit_test_teardown(
			test_rx_flags_cleared_without_guest_csum, fx_teardown),
		cmocka_unit_test_teardown(test_rx_mergeable, fx_teardown),
		cmocka_unit_test_teardown(test_rx_mergeable_waits_for_buffers,
					  fx_teardown),
		cmocka_unit_test_teardown(
			test_rx_too_big_without_mrg_is_dropped, fx_teardown),
		cmocka_unit_test_teardown(test_rx_backpressure, fx_teardown),
		cmocka_unit_test_teardown(test_mq, fx_teardown),
		cmocka_unit_test_teardown(test_ctrl_queue_index_without_mq,
					  fx_teardown),
		cmocka_unit_test_teardown(test_ctrl_guest_offloads,
					  fx_teardown),
		cmocka_unit_test_teardown(test_reset_drops_held_chains,
					  fx_teardown),
		cmocka_unit_test_teardown(test_threads_end, fx_teardown),
	};

	/* Once as is, once with the receive threads under their seccomp
	 * filter, as in the VMM. */
	return RUN_GROUPS_WITH_SECCOMP("virtio_net", tests, &fx_sandbox);
}
