// SPDX-License-Identifier: Apache-2.0
/*
 * Hostile-guest tests for virtio-vsock: bad operations, bad lengths,
 * spoofed CIDs, credit abuse, protocol misuse and broken rings.  Each
 * must end in a dropped packet, a RST or NEEDS_RESET, with the device
 * still serving well-behaved connections afterwards.
 */
#include "tests/unit/test_vsock_fx.h"

static int vfx_teardown(void **state)
{
	if (*state)
		vfx_free(*state);
	return 0;
}

/* The device still works: a guest -> host connection round trip. */
static void still_works(struct vfx *f, uint32_t port)
{
	int lfd = vfx_unix_listen(f, port), fd;
	struct vpkt p, r;
	char c;

	r = vfx_pkt(VSOCK_OP_REQUEST, 2000, port);
	vfx_send(f, &r);
	vfx_expect(f, &p, VSOCK_OP_RESPONSE);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(fd >= 0);
	r = vfx_pkt(VSOCK_OP_RW, 2000, port);
	r.len = 1;
	r.data[0] = '!';
	vfx_send(f, &r);
	assert_int_equal(vfx_read_n(fd, &c, 1), 1);
	assert_int_equal(c, '!');
	r = vfx_pkt(VSOCK_OP_RST, 2000, port);
	vfx_send(f, &r);
	close(fd);
	close(lfd);
	assert_int_equal(f->vd.needs_reset, 0);
}

static void test_short_header(void **state)
{
	struct vfx *f = vfx_new();
	struct vdrv_seg s = { vfx_buf(f, 43), 43, 0 };
	uint16_t head;

	*state = f;
	vfx_post_rx(f, 8);
	memset(vfx_ptr(f, s.gpa, 43), 0, 43);
	head = vdrv_vq_post(&f->dq[VSOCK_TXQ], &s, 1, true);
	vfx_kick(f, VSOCK_TXQ);
	assert_true(vdrv_vq_wait_used(&f->dq[VSOCK_TXQ], 1));
	assert_int_equal(vdrv_vq_take_used(&f->dq[VSOCK_TXQ], head), 0);
	assert_int_equal(VFX_CTR(f, bad_packets), 1);
	vfx_expect_none(f, 50);
	still_works(f, 3000);
}

static void test_bad_lengths(void **state)
{
	struct vfx *f = vfx_new();
	struct vpkt p, r;

	*state = f;
	vfx_post_rx(f, 8);
	/* len says 100, 10 bytes follow the header. */
	r = vfx_pkt(VSOCK_OP_RW, 1, 2);
	r.len = 100;
	vfx_send_raw(f, &r, 10);
	vfx_expect(f, &p, VSOCK_OP_RST);
	assert_int_equal(p.dst_port, 1);
	/* len above the largest packet, with the bytes there. */
	r.len = VSOCK_MAX_PKT + 1;
	vfx_send_raw(f, &r, VSOCK_MAX_PKT + 1);
	vfx_expect(f, &p, VSOCK_OP_RST);
	/* len 0xffffffff: wraps anything that adds to it. */
	r.len = 0xffffffffu;
	vfx_send_raw(f, &r, 8);
	vfx_expect(f, &p, VSOCK_OP_RST);
	/* A payload on a control packet. */
	r = vfx_pkt(VSOCK_OP_REQUEST, 5, 6);
	r.len = 4;
	vfx_send(f, &r);
	vfx_expect(f, &p, VSOCK_OP_RST);
	assert_int_equal(VFX_CTR(f, bad_packets), 4);
	still_works(f, 3001);
}

static void test_bad_cids_and_type(void **state)
{
	struct vfx *f = vfx_new();
	struct vpkt p, r;

	*state = f;
	vfx_post_rx(f, 8);
	/* Spoofed source CID, or not for the host: dropped silently. */
	r = vfx_pkt(VSOCK_OP_REQUEST, 7, 3002);
	r.src_cid = 99;
	vfx_send(f, &r);
	r = vfx_pkt(VSOCK_OP_REQUEST, 7, 3002);
	r.dst_cid = 5;
	vfx_send(f, &r);
	vfx_expect_none(f, 50);
	/* Seqpacket (not offered): refused. */
	r = vfx_pkt(VSOCK_OP_REQUEST, 7, 3002);
	r.type = 2;
	vfx_send(f, &r);
	vfx_expect(f, &p, VSOCK_OP_RST);
	assert_int_equal(VFX_CTR(f, bad_packets), 3);
	still_works(f, 3002);
}

static void test_bad_ops(void **state)
{
	struct vfx *f = vfx_new();
	int lfd = vfx_unix_listen(f, 3003), fd;
	struct vpkt p, r;
	uint16_t op;

	*state = f;
	vfx_post_rx(f, 16);
	/* Operations on connections that do not exist: RST (none for RST). */
	for (op = VSOCK_OP_RESPONSE; op <= 9; op++) {
		r = vfx_pkt(op, 10, 11);
		vfx_send(f, &r);
		if (op != VSOCK_OP_RST) {
			vfx_expect(f, &p, VSOCK_OP_RST);
			assert_int_equal(p.src_port, 11);
			assert_int_equal(p.dst_port, 10);
		}
	}
	vfx_expect_none(f, 30);
	/* An unknown op on an open connection resets it. */
	r = vfx_pkt(VSOCK_OP_REQUEST, 12, 3003);
	vfx_send(f, &r);
	vfx_expect(f, &p, VSOCK_OP_RESPONSE);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	r = vfx_pkt(77, 12, 3003);
	vfx_send(f, &r);
	vfx_expect(f, &p, VSOCK_OP_RST);
	assert_true(vfx_eof(fd, 1000));
	close(fd);
	/* A second REQUEST for an open connection resets it too. */
	r = vfx_pkt(VSOCK_OP_REQUEST, 13, 3003);
	vfx_send(f, &r);
	vfx_expect(f, &p, VSOCK_OP_RESPONSE);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	vfx_send(f, &r);
	vfx_expect(f, &p, VSOCK_OP_RST);
	assert_true(vfx_eof(fd, 1000));
	close(fd);
	close(lfd);
	assert_true(VDRV_WAIT_FOR(vsock_nr_conns(f->v) == 0));
	still_works(f, 3004);
}

static void test_data_before_response(void **state)
{
	struct vfx *f = vfx_new();
	int fd = vfx_unix_connect(f->path);
	struct vpkt p, r;

	*state = f;
	vfx_post_rx(f, 8);
	dprintf(fd, "CONNECT 20\n");
	vfx_expect(f, &p, VSOCK_OP_REQUEST);
	/* RW before accepting: the connection is reset. */
	r = vfx_pkt(VSOCK_OP_RW, 20, p.src_port);
	r.len = 3;
	vfx_send(f, &r);
	vfx_expect(f, &p, VSOCK_OP_RST);
	assert_true(vfx_eof(fd, 1000));
	close(fd);
}

static void test_credit_abuse(void **state)
{
	struct vfx *f = vfx_new();
	uint32_t hport, sent = 0;
	struct vpkt p, r;
	int fd, sz = 4096;

	*state = f;
	vfx_post_rx(f, 8);
	fd = vfx_host_open(f, 21, &hport);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	/* The host does not read; the guest ignores the credit it got. */
	/* (What the host socket itself holds is forwarded, not owed.) */
	while (sent <= 4u * VSOCK_BUF_ALLOC) {
		r = vfx_pkt(VSOCK_OP_RW, 21, hport);
		r.len = 4096;
		vfx_send(f, &r);
		sent += 4096;
		if (!vsock_nr_conns(f->v))
			break;
	}
	assert_true(sent > VSOCK_BUF_ALLOC);
	assert_int_equal(vsock_nr_conns(f->v), 0);
	do
		assert_true(vfx_recv(f, &p));
	while (p.op != VSOCK_OP_RST);
	assert_int_equal(p.dst_port, 21);
	close(fd);
	/* Lying about fwd_cnt/buf_alloc only limits what the guest gets. */
	fd = vfx_host_open(f, 22, &hport);
	r = vfx_pkt(VSOCK_OP_CREDIT_UPDATE, 22, hport);
	r.fwd_cnt = 0x80000000u;
	r.buf_alloc = 0;
	vfx_send(f, &r);
	assert_int_equal(send(fd, "q", 1, 0), 1);
	vfx_expect(f, &p, VSOCK_OP_CREDIT_REQUEST);
	vfx_expect_none(f, 50);
	close(fd);
}

static void test_shutdown_then_data(void **state)
{
	struct vfx *f = vfx_new();
	int lfd = vfx_unix_listen(f, 3005), fd;
	struct vpkt p, r;

	*state = f;
	vfx_post_rx(f, 8);
	r = vfx_pkt(VSOCK_OP_REQUEST, 30, 3005);
	vfx_send(f, &r);
	vfx_expect(f, &p, VSOCK_OP_RESPONSE);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	r = vfx_pkt(VSOCK_OP_SHUTDOWN, 30, 3005);
	r.flags = VSOCK_SHUTDOWN_SEND | 0xfffc; /* junk bits ignored */
	vfx_send(f, &r);
	/* Data after promising not to send: reset. */
	r = vfx_pkt(VSOCK_OP_RW, 30, 3005);
	r.len = 2;
	vfx_send(f, &r);
	vfx_expect(f, &p, VSOCK_OP_RST);
	close(fd);
	close(lfd);
}

static void test_rx_chain_readable(void **state)
{
	struct vfx *f = vfx_new();
	struct vdrv_seg s[2] = { { vfx_buf(f, 64), 64, 0 },
				 { vfx_buf(f, 4096), 4096, 1 } };
	struct vpkt r;

	*state = f;
	vdrv_vq_post(&f->dq[VSOCK_RXQ], s, 2, true);
	vfx_kick(f, VSOCK_RXQ);
	r = vfx_pkt(VSOCK_OP_REQUEST, 40, 3006); /* needs an RST back */
	vfx_send(f, &r);
	assert_true(VDRV_WAIT_FOR(
		__atomic_load_n(&f->vd.needs_reset, __ATOMIC_SEQ_CST) == 1));
	/* A reset brings it back. */
	vfx_reset(f);
	vfx_rings(f);
	f->vd.needs_reset = 0;
	assert_int_equal(f->ops->activate(f->v, &f->vd, 0), 0);
	vfx_post_rx(f, 8);
	still_works(f, 3007);
}

static void test_rx_chain_short(void **state)
{
	struct vfx *f = vfx_new();
	struct vdrv_seg s = { vfx_buf(f, 20), 20, 1 };
	struct vdrv_vq *q = &f->dq[VSOCK_RXQ];
	struct vpkt p, r;
	uint32_t id, len;
	uint16_t head;

	*state = f;
	head = vdrv_vq_post(q, &s, 1, true);
	vfx_kick(f, VSOCK_RXQ);
	r = vfx_pkt(VSOCK_OP_REQUEST, 41, 3008);
	vfx_send(f, &r);
	/* Returned empty; the RST waits for a real buffer. */
	assert_true(vdrv_vq_wait_used(q, 1));
	vdrv_vq_used_elem(q, 0, &id, &len);
	assert_int_equal(id, head);
	assert_int_equal(len, 0);
	q->used_seen++;
	vfx_post_rx(f, 2);
	vfx_expect(f, &p, VSOCK_OP_RST);
	assert_int_equal(f->vd.needs_reset, 0);
}

static void test_tx_ring_malformed(void **state)
{
	struct vfx *f = vfx_new();
	uint16_t *idx;

	*state = f;
	idx = (uint16_t *)vfx_ptr(f, f->dq[VSOCK_TXQ].avail + 2, 2);
	__atomic_store_n(idx, htole16(500), __ATOMIC_RELEASE);
	vfx_kick(f, VSOCK_TXQ);
	assert_true(VDRV_WAIT_FOR(
		__atomic_load_n(&f->vd.needs_reset, __ATOMIC_SEQ_CST) == 1));
}

static void test_rst_flood_without_buffers(void **state)
{
	struct vfx *f = vfx_new();
	struct vpkt p, r;
	unsigned int i, n = 0;

	*state = f;
	/* 300 refused REQUESTs and no rx buffer: the queued RSTs are
	 * bounded, nothing crashes, and they flow once buffers come. */
	for (i = 0; i < 300; i++) {
		r = vfx_pkt(VSOCK_OP_REQUEST, 100 + i, 9);
		vfx_send(f, &r);
	}
	for (i = 0; i < 2; i++) {
		vfx_post_rx(f, 32);
		while (f->rx_posted && vfx_recv(f, &p)) {
			assert_int_equal(p.op, VSOCK_OP_RST);
			n++;
		}
	}
	assert_int_equal(n, 64);
	assert_int_equal(f->rx_posted, 0);
	vfx_post_rx(f, 8);
	still_works(f, 3009);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_short_header, vfx_teardown),
		cmocka_unit_test_teardown(test_bad_lengths, vfx_teardown),
		cmocka_unit_test_teardown(test_bad_cids_and_type, vfx_teardown),
		cmocka_unit_test_teardown(test_bad_ops, vfx_teardown),
		cmocka_unit_test_teardown(test_data_before_response,
					  vfx_teardown),
		cmocka_unit_test_teardown(test_credit_abuse, vfx_teardown),
		cmocka_unit_test_teardown(test_shutdown_then_data,
					  vfx_teardown),
		cmocka_unit_test_teardown(test_rx_chain_readable, vfx_teardown),
		cmocka_unit_test_teardown(test_rx_chain_short, vfx_teardown),
		cmocka_unit_test_teardown(test_tx_ring_malformed, vfx_teardown),
		cmocka_unit_test_teardown(test_rst_flood_without_buffers,
					  vfx_teardown),
	};

	return cmocka_run_group_tests_name("vsock_hostile", tests, NULL, NULL);
}
