// SPDX-License-Identifier: Apache-2.0
/*
 * Hostile-ring tests for virtio-net: a guest that sends short headers,
 * oversize frames, descriptor lengths that wrap, offload requests it did
 * not negotiate, receive chains the device cannot use, and malformed
 * control commands.  Every case must end in a counted drop, an error
 * answer or NEEDS_RESET: never a crash, a hang or a frame that should not
 * exist.
 */
#include "tests/unit/test_virtio_net_fx.h"

#define F_BASE                                               \
	(BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_CTRL_VQ) | \
	 BIT(VIRTIO_NET_F_CTRL_MAC_ADDR) |                   \
	 BIT(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) | BIT(VIRTIO_F_VERSION_1))

static int fx_teardown(void **state)
{
	if (*state)
		fx_free(*state);
	return 0;
}

/* Post one transmit chain of the given segments and kick. */
static uint16_t tx_post(struct fx *f, const struct vdrv_seg *s, unsigned int n)
{
	uint16_t head = vdrv_vq_post(&f->dq[1], s, n, true);

	fx_kick(f, 1);
	return head;
}

/* A good frame still goes through afterwards. */
static void tx_still_works(struct fx *f)
{
	struct vdrv_seg s = { fx_buf(f, 12 + 64), 12 + 64, 0 };
	uint8_t got[256];
	uint16_t head;

	fx_hdr(fx_ptr(f, s.gpa, 12), 0, 0);
	head = tx_post(f, &s, 1);
	assert_int_equal(vdrv_vq_take_used(&f->dq[1], head), 0);
	assert_int_equal(fx_host_recv(f, 0, got, sizeof(got), 1000), 76);
}

static void test_tx_short_header(void **state)
{
	struct fx *f = fx_new(1, 64, NULL);
	struct vdrv_seg s[2] = { { fx_buf(f, 5), 5, 0 },
				 { fx_buf(f, 6), 6, 0 } };
	uint8_t got[64];

	*state = f;
	fx_start(f, F_BASE);
	/* 11 readable bytes: no room for the 12-byte header. */
	assert_int_equal(vdrv_vq_take_used(&f->dq[1], tx_post(f, s, 2)), 0);
	/* No readable byte at all, only a writable buffer. */
	s[0].write = 1;
	assert_int_equal(vdrv_vq_take_used(&f->dq[1], tx_post(f, s, 1)), 0);
	assert_int_equal(fx_host_recv(f, 0, got, sizeof(got), 50), -1);
	assert_int_equal(FX_CTR(f, tx_dropped), 2);
	assert_int_equal(fx_ld(&f->vd.needs_reset), 0);
	tx_still_works(f);
}

static void test_tx_oversize(void **state)
{
	struct fx *f = fx_new(1, 64, NULL);
	struct vdrv_seg s[3];
	uint8_t got[64];

	*state = f;
	fx_start(f, F_BASE);
	/* 12 + 65551 bytes: one more than the largest frame. */
	s[0] = (struct vdrv_seg){ fx_buf(f, 12), 12, 0 };
	s[1] = (struct vdrv_seg){ fx_buf(f, 65536), 65536, 0 };
	s[2] = (struct vdrv_seg){ fx_buf(f, VNET_MAX_FRAME + 1 - 65536),
				  VNET_MAX_FRAME + 1 - 65536, 0 };
	fx_hdr(fx_ptr(f, s[0].gpa, 12), 0, 0);
	assert_int_equal(vdrv_vq_take_used(&f->dq[1], tx_post(f, s, 3)), 0);
	assert_int_equal(fx_host_recv(f, 0, got, sizeof(got), 50), -1);
	assert_int_equal(FX_CTR(f, tx_dropped), 1);
	tx_still_works(f);
}

static void test_tx_lengths_that_wrap(void **state)
{
	struct fx *f = fx_new(1, 64, NULL);
	struct vdrv_seg s[3];

	*state = f;
	fx_start(f, F_BASE);
	/* Sum of lengths above 4 GiB, the second buffer far beyond RAM. */
	s[0] = (struct vdrv_seg){ fx_buf(f, 12), 12, 0 };
	s[1] = (struct vdrv_seg){ FX_RAM_GPA, 0xfffffff8u, 0 };
	s[2] = (struct vdrv_seg){ fx_buf(f, 16), 16, 0 };
	tx_post(f, s, 3);
	assert_int_equal(fx_ld(&f->vd.needs_reset), 1);
	assert_int_equal(FX_CTR(f, tx_frames), 0);
}

static void test_tx_rx_addr_plus_len_wraps(void **state)
{
	struct fx *f = fx_new(1, 64, NULL);
	struct vdrv_seg s[2];

	*state = f;
	fx_start(f, F_BASE);
	/* address + length overflows 64 bits */
	s[0] = (struct vdrv_seg){ fx_buf(f, 12), 12, 0 };
	s[1] = (struct vdrv_seg){ 0xfffffffffffff000ull, 0x2000, 0 };
	tx_post(f, s, 2);
	assert_int_equal(fx_ld(&f->vd.needs_reset), 1);
	/* The same on the receive side, on the device's own thread. */
	s[0] = (struct vdrv_seg){ 0xffffffffffffff00ull, 0x1000, 1 };
	vdrv_vq_post(&f->dq[0], s, 1, true);
	fx_kick(f, 0);
	assert_true(VDRV_WAIT_FOR(fx_ld(&f->vd.needs_reset) == 2));
}

static void test_tx_offloads_not_negotiated(void **state)
{
	struct fx *f = fx_new(1, 64, NULL);
	static const uint8_t bad[][2] = {
		{ VIRTIO_NET_HDR_F_NEEDS_CSUM, 0 },
		{ 0, VIRTIO_NET_HDR_GSO_TCPV4 },
		{ 0, VIRTIO_NET_HDR_GSO_TCPV6 },
		{ 0, VIRTIO_NET_HDR_GSO_UDP },
		{ 0, VIRTIO_NET_HDR_GSO_ECN },
		{ 0, 0x42 },
	};
	uint8_t got[256];
	unsigned int i;

	*state = f;
	fx_start(f, F_BASE);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vdrv_seg s = { fx_buf(f, 12 + 100), 12 + 100, 0 };

		fx_hdr(fx_ptr(f, s.gpa, 12), bad[i][0], bad[i][1]);
		assert_int_equal(
			vdrv_vq_take_used(&f->dq[1], tx_post(f, &s, 1)), 0);
	}
	assert_int_equal(fx_host_recv(f, 0, got, sizeof(got), 50), -1);
	assert_int_equal(FX_CTR(f, tx_dropped), sizeof(bad) / sizeof(bad[0]));
	tx_still_works(f);
}

static void test_tx_more_buffers_than_iovecs(void **state)
{
	struct fx *f = fx_new(1, 1024, NULL);
	struct vdrv_seg *s = calloc(1024, sizeof(*s));
	static uint8_t got[2048];
	uint64_t first;
	unsigned int i;

	*state = f;
	assert_non_null(s);
	fx_start(f, F_BASE);
	/* Header + 8 bytes, then 1023 one-byte buffers: 1025 iovecs. */
	first = fx_buf(f, 20);
	fx_hdr(fx_ptr(f, first, 12), 0, 0);
	memset(fx_ptr(f, first + 12, 8), 0xa5, 8);
	s[0] = (struct vdrv_seg){ first, 20, 0 };
	for (i = 1; i < 1024; i++) {
		s[i] = (struct vdrv_seg){ fx_buf(f, 1), 1, 0 };
		*fx_ptr(f, s[i].gpa, 1) = (uint8_t)i;
	}
	assert_int_equal(vdrv_vq_take_used(&f->dq[1], tx_post(f, s, 1024)), 0);
	assert_int_equal(fx_host_recv(f, 0, got, sizeof(got), 1000),
			 12 + 8 + 1023);
	assert_int_equal(got[12], 0xa5);
	for (i = 1; i < 1024; i++)
		assert_int_equal(got[19 + i], (uint8_t)i);
	free(s);
}

static void test_rx_readable_buffer(void **state)
{
	struct fx *f = fx_new(1, 64, NULL);
	struct vdrv_seg s[2] = { { fx_buf(f, 64), 64, 0 },
				 { fx_buf(f, 2048), 2048, 1 } };
	uint8_t pkt[12 + 60] = { 0 };

	*state = f;
	fx_start(f, F_BASE);
	vdrv_vq_post(&f->dq[0], s, 2, true);
	fx_kick(f, 0);
	fx_host_send(f, 0, pkt, sizeof(pkt));
	assert_true(VDRV_WAIT_FOR(fx_ld(&f->vd.needs_reset) == 1));
	usleep(20000);
	assert_int_equal(vdrv_vq_used_idx(&f->dq[0]), 0);
	/* Transmit is unaffected by the broken receive queue. */
	tx_still_works(f);
}

static void test_rx_chain_shorter_than_header(void **state)
{
	struct fx *f = fx_new(1, 64, NULL);
	uint8_t pkt[12 + 60] = { 0 };
	uint16_t small, heads[1];
	struct vdrv_seg s = { fx_buf(f, 8), 8, 1 };

	*state = f;
	fx_start(f, F_BASE);
	small = vdrv_vq_post(&f->dq[0], &s, 1, true);
	fx_post_rx(f, 0, 1, 256, heads);
	fx_kick(f, 0);
	fx_host_send(f, 0, pkt, sizeof(pkt));
	assert_true(vdrv_vq_wait_used(&f->dq[0], 2));
	assert_int_equal(vdrv_vq_take_used(&f->dq[0], small), 0);
	assert_int_equal(vdrv_vq_take_used(&f->dq[0], heads[0]), sizeof(pkt));
	assert_int_equal(fx_ld(&f->vd.needs_reset), 0);
}

static void test_rx_frame_larger_than_ring(void **state)
{
	struct fx *f = fx_new(1, 8, NULL);
	static uint8_t pkt[12 + 1000];
	uint16_t heads[8], h2[1];
	uint32_t id, len;
	unsigned int i;

	*state = f;
	fx_start(f, F_BASE | BIT(VIRTIO_NET_F_MRG_RXBUF));
	/* 8 chains of 16 bytes cannot hold 1012 bytes, ever. */
	fx_post_rx(f, 0, 8, 16, heads);
	fx_kick(f, 0);
	fx_hdr(pkt, 0, 0);
	fx_host_send(f, 0, pkt, sizeof(pkt));
	/* Chains 2..8 come back empty; chain 1 is kept for the next frame. */
	assert_true(vdrv_vq_wait_used(&f->dq[0], 7));
	for (i = 1; i < 8; i++)
		assert_int_equal(vdrv_vq_take_used(&f->dq[0], heads[i]), 0);
	assert_int_equal(FX_CTR(f, rx_dropped), 1);
	fx_host_send(f, 0, pkt, 16);
	assert_true(vdrv_vq_wait_used(&f->dq[0], 8));
	vdrv_vq_used_elem(&f->dq[0], 7, &id, &len);
	assert_int_equal(id, heads[0]);
	assert_int_equal(len, 16);
	(void)h2;
	assert_int_equal(fx_ld(&f->vd.needs_reset), 0);
}

static void test_rx_avail_index_jump(void **state)
{
	struct fx *f = fx_new(1, 16, NULL);
	uint16_t *idx;

	*state = f;
	fx_start(f, F_BASE);
	/* avail->idx 100 ahead of what was consumed on a 16-entry ring. */
	idx = (uint16_t *)fx_ptr(f, f->dq[0].avail + 2, 2);
	__atomic_store_n(idx, htole16(100), __ATOMIC_RELEASE);
	fx_kick(f, 0);
	assert_true(VDRV_WAIT_FOR(fx_ld(&f->vd.needs_reset) == 1));
	/* Reset recovers the device. */
	fx_reset(f);
	fx_start(f, F_BASE);
	tx_still_works(f);
}

static void test_ctrl_garbage(void **state)
{
	struct fx *f = fx_new(1, 64, NULL);
	uint8_t big[64] = { 0 }, one = VIRTIO_NET_CTRL_MAC, mac[5] = { 0 };
	struct vdrv_seg s[2];
	uint16_t head;

	*state = f;
	fx_start(f, F_BASE);
	/* Unknown class, RX class (not offered), MAC table (not offered),
	 * MAC with 5 bytes, oversize data. */
	assert_int_equal(fx_ctrl(f, 2, 0x77, 0, NULL, 0), VIRTIO_NET_ERR);
	assert_int_equal(fx_ctrl(f, 2, VIRTIO_NET_CTRL_RX, 0, big, 1),
			 VIRTIO_NET_ERR);
	assert_int_equal(fx_ctrl(f, 2, VIRTIO_NET_CTRL_MAC,
				 VIRTIO_NET_CTRL_MAC_TABLE_SET, big, 8),
			 VIRTIO_NET_ERR);
	assert_int_equal(fx_ctrl(f, 2, VIRTIO_NET_CTRL_MAC,
				 VIRTIO_NET_CTRL_MAC_ADDR_SET, mac, 5),
			 VIRTIO_NET_ERR);
	assert_int_equal(fx_ctrl(f, 2, VIRTIO_NET_CTRL_MAC,
				 VIRTIO_NET_CTRL_MAC_ADDR_SET, big, 64),
			 VIRTIO_NET_ERR);
	/* One readable byte (no command), then no writable byte at all. */
	s[0] = (struct vdrv_seg){ fx_buf(f, 1), 1, 0 };
	*fx_ptr(f, s[0].gpa, 1) = one;
	s[1] = (struct vdrv_seg){ fx_buf(f, 1), 1, 1 };
	*fx_ptr(f, s[1].gpa, 1) = 0xee;
	head = vdrv_vq_post(&f->dq[2], s, 2, true);
	fx_kick(f, 2);
	assert_int_equal(vdrv_vq_take_used(&f->dq[2], head), 1);
	assert_int_equal(*fx_ptr(f, s[1].gpa, 1), VIRTIO_NET_ERR);
	head = vdrv_vq_post(&f->dq[2], s, 1, true);
	fx_kick(f, 2);
	assert_int_equal(vdrv_vq_take_used(&f->dq[2], head), 0);
	assert_int_equal(FX_CTR(f, ctrl_errors), 7);
	assert_int_equal(fx_ld(&f->vd.needs_reset), 0);
}

static void test_kick_before_and_after_reset(void **state)
{
	struct fx *f = fx_new(2, 64, NULL);

	*state = f;
	/* Kicks for every queue number, active or not: no crash. */
	fx_start(f, F_BASE);
	for (uint16_t q = 0; q < FX_MAX_Q; q++)
		fx_kick(f, q);
	fx_reset(f);
	fx_reset(f);
	assert_int_equal(fx_ld(&f->vd.needs_reset), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_tx_short_header, fx_teardown),
		cmocka_unit_test_teardown(test_tx_oversize, fx_teardown),
		cmocka_unit_test_teardown(test_tx_lengths_that_wrap,
					  fx_teardown),
		cmocka_unit_test_teardown(test_tx_rx_addr_plus_len_wraps,
					  fx_teardown),
		cmocka_unit_test_teardown(test_tx_offloads_not_negotiated,
					  fx_teardown),
		cmocka_unit_test_teardown(test_tx_more_buffers_than_iovecs,
					  fx_teardown),
		cmocka_unit_test_teardown(test_rx_readable_buffer, fx_teardown),
		cmocka_unit_test_teardown(test_rx_chain_shorter_than_header,
					  fx_teardown),
		cmocka_unit_test_teardown(test_rx_frame_larger_than_ring,
					  fx_teardown),
		cmocka_unit_test_teardown(test_rx_avail_index_jump,
					  fx_teardown),
		cmocka_unit_test_teardown(test_ctrl_garbage, fx_teardown),
		cmocka_unit_test_teardown(test_kick_before_and_after_reset,
					  fx_teardown),
	};

	return cmocka_run_group_tests_name("virtio_net_hostile", tests, NULL,
					   NULL);
}
