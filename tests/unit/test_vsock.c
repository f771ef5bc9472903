// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for the virtio-vsock device (devices/virtio/virtio_vsock.c,
 * vsock_conn.c, vsock_pkt.c): both connection directions through UNIX
 * sockets, data, half-close, credit flow control, timeouts, reset and
 * descriptor hygiene.  The fixture (test_vsock_fx.h) plays driver,
 * transport and host.
 */
#include <dirent.h>
#include <sys/stat.h>

#include "tests/unit/test_vsock_fx.h"
#include "tests/lib/seccomp_groups.h"

static int vfx_teardown(void **state)
{
	if (*state)
		vfx_free(*state);
	return 0;
}

static int count_fds(void)
{
	return vdrv_count_fds();
}

static void test_config(void **state)
{
	struct vfx *f = vfx_new();
	const struct virtio_dev_info *info = vsock_info(f->v);
	uint8_t c[12];
	struct stat st;

	*state = f;
	assert_int_equal(info->device_id, VIRTIO_ID_VSOCK);
	assert_int_equal(info->nr_queues, 3);
	assert_int_equal(info->config_size, 8);
	memset(c, 0xaa, sizeof(c));
	f->ops->config_read(f->v, 0, c, 8);
	assert_int_equal(c[0], VFX_CID);
	assert_int_equal(c[1] | c[2] | c[3] | c[4] | c[5] | c[6] | c[7], 0);
	f->ops->config_read(f->v, 4, c, 8); /* past the end: zeros */
	assert_int_equal(c[4], 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
}

static void test_create_errors(void **state)
{
	struct vsock_cfg cfg = { .guest_cid = 2, .path = "/tmp/x" };
	struct vsock *v = NULL;
	char err[256], path[200];
	int fd;

	assert_int_equal(vsock_create(&cfg, &v, err, sizeof(err)), -EINVAL);
	cfg.guest_cid = 3;
	cfg.path = "";
	assert_int_equal(vsock_create(&cfg, &v, err, sizeof(err)), -EINVAL);
	/* A regular file in the way is not replaced. */
	snprintf(path, sizeof(path), "/tmp/nimbus-vsock-file-%d", getpid());
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	cfg.path = path;
	assert_int_equal(vsock_create(&cfg, &v, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "not a socket"));
	unlink(path);
	assert_null(v);
}

static void test_stale_socket_replaced_live_refused(void **state)
{
	struct vfx *f = vfx_new();
	struct vsock_cfg cfg = { .guest_cid = 4, .path = f->path };
	struct vsock *v2 = NULL;
	char err[256];

	*state = f;
	/* A live listener: refused. */
	assert_int_equal(vsock_create(&cfg, &v2, err, sizeof(err)),
			 -EADDRINUSE);
	/* Gone, but its file left behind (a crashed VMM): replaced. */
	vsock_stop(f->v);
	vsock_destroy(f->v);
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->path);
		assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)),
				 0);
		close(fd); /* the file stays, nobody listens */
	}
	assert_int_equal(vsock_create(&cfg, &f->v, err, sizeof(err)), 0);
}

static void test_host_to_guest(void **state)
{
	struct vfx *f = vfx_new();
	struct vpkt p, r;
	uint32_t hport;
	char buf[64];
	int fd;

	*state = f;
	vfx_post_rx(f, 16);
	fd = vfx_host_open(f, 1234, &hport);
	assert_int_equal(vsock_nr_conns(f->v), 1);
	/* host -> guest */
	assert_int_equal(send(fd, "hello", 5, 0), 5);
	vfx_expect(f, &p, VSOCK_OP_RW);
	assert_int_equal(p.src_port, hport);
	assert_int_equal(p.dst_port, 1234);
	assert_int_equal(p.len, 5);
	assert_memory_equal(p.data, "hello", 5);
	assert_int_equal(p.buf_alloc, VSOCK_BUF_ALLOC);
	/* guest -> host */
	r = vfx_pkt(VSOCK_OP_RW, 1234, hport);
	r.len = 5;
	memcpy(r.data, "world", 5);
	vfx_send(f, &r);
	assert_int_equal(vfx_read_n(fd, buf, 5), 5);
	assert_memory_equal(buf, "world", 5);
	/* The host closes: SHUTDOWN(SEND) to the guest, which closes too
	 * and gets its RST. */
	close(fd);
	vfx_expect(f, &p, VSOCK_OP_SHUTDOWN);
	assert_int_equal(p.flags, VSOCK_SHUTDOWN_SEND);
	r = vfx_pkt(VSOCK_OP_SHUTDOWN, 1234, hport);
	r.flags = VSOCK_SHUTDOWN_SEND | VSOCK_SHUTDOWN_RCV;
	vfx_send(f, &r);
	vfx_expect(f, &p, VSOCK_OP_RST);
	assert_int_equal(p.dst_port, 1234);
	assert_true(VDRV_WAIT_FOR(vsock_nr_conns(f->v) == 0));
	assert_int_equal(VFX_CTR(f, rx_bytes), 5);
	assert_int_equal(VFX_CTR(f, tx_bytes), 5);
}

static void test_data_after_connect_line(void **state)
{
	struct vfx *f = vfx_new();
	int fd = vfx_unix_connect(f->path);
	struct vpkt p, r;
	char ok[32];

	*state = f;
	vfx_post_rx(f, 8);
	/* The line and early data in one write; \r\n tolerated. */
	assert_int_equal(send(fd, "CONNECT 77\r\nearly", 17, 0), 17);
	vfx_expect(f, &p, VSOCK_OP_REQUEST);
	assert_int_equal(p.dst_port, 77);
	r = vfx_pkt(VSOCK_OP_RESPONSE, 77, p.src_port);
	r.buf_alloc = 4096;
	vfx_send(f, &r);
	assert_true(vfx_read_n(fd, ok, 3) == 3);
	vfx_expect(f, &p, VSOCK_OP_RW);
	assert_int_equal(p.len, 5);
	assert_memory_equal(p.data, "early", 5);
	close(fd);
}

static void test_bad_connect_lines(void **state)
{
	static const char *const bad[] = { "HELLO 5\n", "CONNECT\n",
					   "CONNECT x\n",
					   "CONNECT 99999999999\n",
					   "CONNECT 5 6\n" };
	struct vfx *f = vfx_new();
	unsigned int i;
	int fd;

	*state = f;
	vfx_post_rx(f, 8);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fd = vfx_unix_connect(f->path);
		assert_int_equal(send(fd, bad[i], strlen(bad[i]), 0),
				 (ssize_t)strlen(bad[i]));
		assert_true(vfx_eof(fd, 3000));
		close(fd);
	}
	/* No newline within the line limit. */
	fd = vfx_unix_connect(f->path);
	assert_int_equal(
		send(fd, "CONNECT 1111111111111111111111111111111", 39, 0), 39);
	assert_true(vfx_eof(fd, 3000));
	close(fd);
	vfx_expect_none(f, 50);
	assert_int_equal(vsock_nr_conns(f->v), 0);
}

static void test_guest_refuses(void **state)
{
	struct vfx *f = vfx_new();
	int fd = vfx_unix_connect(f->path);
	struct vpkt p, r;

	*state = f;
	vfx_post_rx(f, 4);
	dprintf(fd, "CONNECT 9\n");
	vfx_expect(f, &p, VSOCK_OP_REQUEST);
	r = vfx_pkt(VSOCK_OP_RST, 9, p.src_port);
	vfx_send(f, &r);
	assert_true(vfx_eof(fd, 3000));
	close(fd);
	assert_true(VDRV_WAIT_FOR(vsock_nr_conns(f->v) == 0));
}

static void test_guest_silent_times_out(void **state)
{
	struct vfx *f = vfx_new();
	int fd = vfx_unix_connect(f->path);
	struct vpkt p;

	*state = f;
	vfx_post_rx(f, 4);
	dprintf(fd, "CONNECT 9\n");
	vfx_expect(f, &p, VSOCK_OP_REQUEST);
	/* No answer: the host client is closed and the guest told. */
	assert_true(vfx_eof(fd, VSOCK_CONNECT_TIMEOUT_MS + 2000));
	vfx_expect(f, &p, VSOCK_OP_RST);
	assert_int_equal(p.dst_port, 9);
	close(fd);
}

static void test_guest_to_host(void **state)
{
	struct vfx *f = vfx_new();
	int lfd = vfx_unix_listen(f, 5000), fd;
	struct vpkt p, r;
	char buf[16];

	*state = f;
	vfx_post_rx(f, 8);
	r = vfx_pkt(VSOCK_OP_REQUEST, 1025, 5000);
	vfx_send(f, &r);
	vfx_expect(f, &p, VSOCK_OP_RESPONSE);
	assert_int_equal(p.src_port, 5000);
	assert_int_equal(p.dst_port, 1025);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(fd >= 0);
	r = vfx_pkt(VSOCK_OP_RW, 1025, 5000);
	r.len = 3;
	memcpy(r.data, "abc", 3);
	vfx_send(f, &r);
	assert_int_equal(vfx_read_n(fd, buf, 3), 3);
	assert_memory_equal(buf, "abc", 3);
	assert_int_equal(send(fd, "xyz", 3, 0), 3);
	vfx_expect(f, &p, VSOCK_OP_RW);
	assert_memory_equal(p.data, "xyz", 3);
	/* Half-close from the guest: the host reads EOF, can still send. */
	r = vfx_pkt(VSOCK_OP_SHUTDOWN, 1025, 5000);
	r.flags = VSOCK_SHUTDOWN_SEND;
	vfx_send(f, &r);
	assert_true(vfx_eof(fd, 3000));
	assert_int_equal(send(fd, "late", 4, 0), 4);
	vfx_expect(f, &p, VSOCK_OP_RW);
	assert_memory_equal(p.data, "late", 4);
	/* RST from the guest: closed at once. */
	r = vfx_pkt(VSOCK_OP_RST, 1025, 5000);
	vfx_send(f, &r);
	assert_true(VDRV_WAIT_FOR(vsock_nr_conns(f->v) == 0));
	close(fd);
	close(lfd);
}

static void test_guest_to_nobody(void **state)
{
	struct vfx *f = vfx_new();
	struct vpkt p, r;

	*state = f;
	vfx_post_rx(f, 4);
	r = vfx_pkt(VSOCK_OP_REQUEST, 1026, 6000);
	vfx_send(f, &r);
	vfx_expect(f, &p, VSOCK_OP_RST);
	assert_int_equal(p.src_port, 6000);
	assert_int_equal(p.dst_port, 1026);
	assert_int_equal(vsock_nr_conns(f->v), 0);
}

static void test_credit_limits_host_data(void **state)
{
	struct vfx *f = vfx_new();
	static char big[300];
	uint32_t hport, got = 0;
	struct vpkt p, r;
	int fd;

	*state = f;
	vfx_post_rx(f, 16);
	fd = vfx_unix_connect(f->path);
	dprintf(fd, "CONNECT 42\n");
	vfx_expect(f, &p, VSOCK_OP_REQUEST);
	hport = p.src_port;
	r = vfx_pkt(VSOCK_OP_RESPONSE, 42, hport);
	r.buf_alloc = 100; /* the guest can take 100 bytes */
	vfx_send(f, &r);
	assert_int_equal(vfx_read_n(fd, big, 3 + 1 + 10 + 1 - 5),
			 3 + 1 + 10 + 1 - 5); /* "OK 1073741824\n" */
	memset(big, 'z', sizeof(big));
	assert_int_equal(send(fd, big, sizeof(big), 0), (ssize_t)sizeof(big));
	while (got < 100) {
		vfx_expect(f, &p, VSOCK_OP_RW);
		got += p.len;
	}
	assert_int_equal(got, 100);
	/* Out of credit: the device asks, and sends no more data. */
	vfx_expect(f, &p, VSOCK_OP_CREDIT_REQUEST);
	vfx_expect_none(f, 100);
	/* The guest consumed 100: another 100 may come. */
	r = vfx_pkt(VSOCK_OP_CREDIT_UPDATE, 42, hport);
	r.buf_alloc = 100;
	r.fwd_cnt = 100;
	vfx_send(f, &r);
	while (got < 200) {
		vfx_expect(f, &p, VSOCK_OP_RW);
		got += p.len;
	}
	assert_int_equal(got, 200);
	close(fd);
}

static void test_host_slow_reader_buffered(void **state)
{
	struct vfx *f = vfx_new();
	static char chunk[4096], rd[4096];
	uint32_t hport, sent = 0, fwd_seen = 0;
	struct vpkt p, r;
	unsigned int i;
	int fd, sz = 4096;

	*state = f;
	vfx_post_rx(f, 32);
	fd = vfx_host_open(f, 43, &hport);
	/* A small host receive buffer, and nobody reading. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	for (i = 0; i < 48; i++) { /* 192 KiB < VSOCK_BUF_ALLOC */
		r = vfx_pkt(VSOCK_OP_RW, 43, hport);
		r.len = sizeof(chunk);
		memset(r.data, (int)i, sizeof(r.data));
		vfx_send(f, &r);
		sent += r.len;
	}
	assert_int_equal(vsock_nr_conns(f->v), 1);
	/* Now the host reads everything, in order. */
	for (i = 0; i < 48; i++) {
		assert_int_equal(vfx_read_n(fd, rd, sizeof(rd)), sizeof(rd));
		assert_int_equal((uint8_t)rd[0], i);
		assert_int_equal((uint8_t)rd[4095], i);
	}
	/* ...and the guest is told about the space (fwd_cnt). */
	while (fwd_seen < sent / 2 && vfx_recv(f, &p))
		if (p.op == VSOCK_OP_CREDIT_UPDATE)
			fwd_seen = p.fwd_cnt;
	assert_true(fwd_seen >= VSOCK_BUF_ALLOC / 2);
	close(fd);
}

static void test_no_rx_buffers_backpressure(void **state)
{
	struct vfx *f = vfx_new();
	uint32_t hport;
	struct vpkt p;
	int fd;

	*state = f;
	vfx_post_rx(f, 4);
	fd = vfx_host_open(f, 44, &hport);
	/* Use up the buffers left, then send more: it waits, unread. */
	assert_int_equal(send(fd, "a", 1, 0), 1);
	vfx_expect(f, &p, VSOCK_OP_RW);
	assert_int_equal(send(fd, "b", 1, 0), 1);
	vfx_expect(f, &p, VSOCK_OP_RW);
	assert_int_equal(send(fd, "c", 1, 0), 1);
	vfx_expect(f, &p, VSOCK_OP_RW);
	assert_int_equal(f->rx_posted, 0);
	assert_int_equal(send(fd, "d", 1, 0), 1);
	vfx_expect_none(f, 100);
	vfx_post_rx(f, 2);
	vfx_expect(f, &p, VSOCK_OP_RW);
	assert_int_equal(p.data[0], 'd');
	close(fd);
}

static void test_reset_closes_conns_listener_stays(void **state)
{
	struct vfx *f = vfx_new();
	int lfd = vfx_unix_listen(f, 7000), fd1, fd2;
	uint32_t hport;
	struct vpkt p, r;

	*state = f;
	vfx_post_rx(f, 8);
	fd1 = vfx_host_open(f, 50, &hport);
	r = vfx_pkt(VSOCK_OP_REQUEST, 1030, 7000);
	vfx_send(f, &r);
	vfx_expect(f, &p, VSOCK_OP_RESPONSE);
	fd2 = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_int_equal(vsock_nr_conns(f->v), 2);
	/* The guest reboots: both host sides see the end. */
	vfx_reset(f);
	assert_int_equal(vsock_nr_conns(f->v), 0);
	assert_true(vfx_eof(fd1, 1000));
	assert_true(vfx_eof(fd2, 1000));
	close(fd1);
	close(fd2);
	/* A client that connects while the driver is down waits... */
	fd1 = vfx_unix_connect(f->path);
	dprintf(fd1, "CONNECT 51\n");
	usleep(50000);
	/* ...and is served once the new driver is up. */
	vfx_rings(f);
	assert_int_equal(f->ops->activate(f->v, &f->vd, 0), 0);
	vfx_post_rx(f, 4);
	vfx_expect(f, &p, VSOCK_OP_REQUEST);
	assert_int_equal(p.dst_port, 51);
	close(fd1);
	close(lfd);
}

static void test_many_short_connections_no_leak(void **state)
{
	struct vfx *f = vfx_new();
	int before, i, fd;
	uint32_t hport;
	struct vpkt p, r;
	char c;

	*state = f;
	vfx_post_rx(f, 32);
	/* One round first so lazily created state is there. */
	before = -1;
	for (i = 0; i < 201; i++) {
		if (i == 1)
			before = count_fds();
		fd = vfx_host_open(f, 60, &hport);
		assert_int_equal(send(fd, "x", 1, 0), 1);
		vfx_expect(f, &p, VSOCK_OP_RW);
		r = vfx_pkt(VSOCK_OP_RW, 60, hport);
		r.len = 1;
		r.data[0] = 'y';
		vfx_send(f, &r);
		assert_int_equal(vfx_read_n(fd, &c, 1), 1);
		close(fd);
		vfx_expect(f, &p, VSOCK_OP_SHUTDOWN);
		r = vfx_pkt(VSOCK_OP_SHUTDOWN, 60, hport);
		r.flags = 3;
		vfx_send(f, &r);
		vfx_expect(f, &p, VSOCK_OP_RST);
		vfx_post_rx(f, 4); /* REQUEST, RW, SHUTDOWN, RST used */
	}
	assert_true(VDRV_WAIT_FOR(vsock_nr_conns(f->v) == 0));
	assert_int_equal(count_fds(), before);
	assert_int_equal(VFX_CTR(f, conns_opened), 201);
	assert_int_equal(VFX_CTR(f, conns_closed), 201);
}

static void test_threads_and_socket_go(void **state)
{
	int threads = vdrv_count_threads(), fds = count_fds();
	struct vfx *f = vfx_new();
	char path[64];
	struct stat st;

	assert_int_equal(vdrv_count_threads(), threads + 1);
	snprintf(path, sizeof(path), "%s", f->path);
	vfx_free(f);
	*state = NULL;
	/* A joined thread's task can linger in /proc for a moment. */
	if (!VDRV_WAIT_FOR(vdrv_count_threads() == threads))
		assert_int_equal(vdrv_count_threads(), threads);
	assert_int_equal(count_fds(), fds);
	assert_int_not_equal(stat(path, &st), 0);
}

/* Drive a threadless device to idle; false if it never got there. */
static bool poll_idle(struct vfx *f)
{
	for (int i = 0; i < 100; i++) {
		int ret = vsock_poll(f->v);

		assert_true(ret >= 0);
		if (!ret)
			return true;
	}
	return false;
}

static void test_threadless_poll(void **state)
{
	int threads = vdrv_count_threads(), lfd, fd;
	struct vfx *f, *g;
	struct vpkt p, r;
	uint16_t head;

	vfx_threadless = true;
	f = vfx_new();
	vfx_threadless = false;
	*state = f;
	assert_int_equal(vdrv_count_threads(), threads);
	lfd = vfx_unix_listen(f, 5000);
	vfx_post_rx(f, 8);
	r = vfx_pkt(VSOCK_OP_REQUEST, 1025, 5000);
	head = vfx_post_tx(f, &r, 0);
	/* Nothing moves until the caller runs the loop. */
	usleep(20000);
	assert_int_equal(vdrv_vq_used_idx(&f->dq[VSOCK_TXQ]), 0);
	assert_true(poll_idle(f));
	assert_int_equal(vdrv_vq_used_idx(&f->dq[VSOCK_TXQ]), 1);
	assert_int_equal(vdrv_vq_take_used(&f->dq[VSOCK_TXQ], head), 0);
	vfx_expect(f, &p, VSOCK_OP_RESPONSE);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(send(fd, "xyz", 3, 0), 3);
	assert_true(poll_idle(f));
	vfx_expect(f, &p, VSOCK_OP_RW);
	assert_int_equal(p.len, 3);
	assert_memory_equal(p.data, "xyz", 3);
	/* A reset takes effect at the next pass: the connection goes. */
	assert_int_equal(vsock_nr_conns(f->v), 1);
	vfx_reset(f);
	assert_true(poll_idle(f));
	assert_int_equal(vsock_nr_conns(f->v), 0);
	assert_true(vfx_eof(fd, 1000));
	close(fd);
	close(lfd);
	/* A device with its thread refuses to be polled. */
	g = vfx_new();
	assert_int_equal(vsock_poll(g->v), -EBUSY);
	vfx_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_config, vfx_teardown),
		cmocka_unit_test(test_create_errors),
		cmocka_unit_test_teardown(
			test_stale_socket_replaced_live_refused, vfx_teardown),
		cmocka_unit_test_teardown(test_host_to_guest, vfx_teardown),
		cmocka_unit_test_teardown(test_data_after_connect_line,
					  vfx_teardown),
		cmocka_unit_test_teardown(test_bad_connect_lines, vfx_teardown),
		cmocka_unit_test_teardown(test_guest_refuses, vfx_teardown),
		cmocka_unit_test_teardown(test_guest_silent_times_out,
					  vfx_teardown),
		cmocka_unit_test_teardown(test_guest_to_host, vfx_teardown),
		cmocka_unit_test_teardown(test_guest_to_nobody, vfx_teardown),
		cmocka_unit_test_teardown(test_credit_limits_host_data,
					  vfx_teardown),
		cmocka_unit_test_teardown(test_host_slow_reader_buffered,
					  vfx_teardown),
		cmocka_unit_test_teardown(test_no_rx_buffers_backpressure,
					  vfx_teardown),
		cmocka_unit_test_teardown(
			test_reset_closes_conns_listener_stays, vfx_teardown),
		cmocka_unit_test_teardown(test_many_short_connections_no_leak,
					  vfx_teardown),
		cmocka_unit_test_teardown(test_threads_and_socket_go,
					  vfx_teardown),
		cmocka_unit_test_teardown(test_threadless_poll, vfx_teardown),
	};

	/* Once as is, once with the device thread under its seccomp filter,
	 * as in the VMM. */
	return RUN_GROUPS_WITH_SECCOMP("vsock", tests, &vfx_sandbox);
}
