// SPDX-License-Identifier: Apache-2.0
/*
 * test_api_server.c - the API thread over a real UNIX socket, with the
 * main loop on a second thread: requests reach the handler and answers
 * come back; keep-alive and pipelining; malformed requests (1,000 of
 * them) answered with 4xx and the connection closed; 100 concurrent
 * clients; stalled clients neither block others nor live forever; a
 * handler slower than the answer timeout; 100-continue; socket file and
 * fd= set-up; stop delivering an answer already made.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "vmm/api_server.h"
#include "vmm/log.h"

struct fixture {
	char path[64];
	struct endpoint_config ep;
	struct event_loop *loop;
	struct api_server *srv;
	pthread_t loop_thread;
	int loop_running;
	unsigned int handled;
};

static void handler(void *opaque, const struct api_request *req,
		    struct api_response *resp)
{
	struct fixture *f = opaque;
	char buf[512];

	__atomic_add_fetch(&f->handled, 1, __ATOMIC_RELAXED);
	if (!strcmp(req->path, "/hang"))
		usleep(700000);
	if (!strcmp(req->path, "/stop"))
		event_loop_stop(f->loop);
	if (!strcmp(req->path, "/empty")) {
		resp->status = 204;
		return;
	}
	snprintf(buf, sizeof(buf), "{\"m\":\"%s\",\"p\":\"%s\",\"n\":%zu}",
		 req->method_str, req->path, req->body_len);
	resp->status = 200;
	resp->body = strdup(buf);
	resp->body_len = strlen(buf);
}

static void *loop_main(void *arg)
{
	struct fixture *f = arg;

	event_loop_run(f->loop);
	return NULL;
}

static int start(struct fixture *f, unsigned int request_ms,
		 unsigned int idle_ms, unsigned int answer_ms)
{
	struct api_server_cfg cfg = {
		.ep = &f->ep,
		.loop = f->loop,
		.handler = handler,
		.opaque = f,
		.request_ms = request_ms,
		.idle_ms = idle_ms,
		.answer_ms = answer_ms,
	};
	char err[256];

	if (api_server_start(&cfg, &f->srv, err, sizeof(err))) {
		print_error("%s\n", err);
		return -1;
	}
	pthread_create(&f->loop_thread, NULL, loop_main, f);
	f->loop_running = 1;
	return 0;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->path, sizeof(f->path), "/tmp/nimbus-api-%d.sock",
		 (int)getpid());
	f->ep.path = f->path;
	f->ep.fd = -1;
	if (event_loop_new(&f->loop) || start(f, 500, 800, 300))
		return -1;
	*state = f;
	return 0;
}

static void stop(struct fixture *f)
{
	if (f->loop_running) {
		event_loop_stop(f->loop);
		pthread_join(f->loop_thread, NULL);
		f->loop_running = 0;
	}
	api_server_stop(f->srv);
	f->srv = NULL;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	stop(f);
	event_loop_free(f->loop);
	free(f);
	return 0;
}

static int client(struct fixture *f)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	strcpy(sa.sun_path, f->path);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void send_all(int fd, const char *s, size_t n)
{
	assert_int_equal(send(fd, s, n, MSG_NOSIGNAL), (ssize_t)n);
}

/*
 * Read one response (status line, headers, Content-Length body) within
 * ms; returns the status, the body in body[] (if given).  0 on timeout,
 * -1 on EOF before a response.
 */
static int read_resp(int fd, char *body, size_t cap, int ms)
{
	char buf[8192];
	size_t len = 0;
	int status = 0;
	char *end, *cl;
	size_t blen = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	for (;;) {
		ssize_t n;

		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end) {
			cl = strstr(buf, "Content-Length: ");
			blen = cl && cl < end ? strtoul(cl + 16, NULL, 10) : 0;
			if (len >= (size_t)(end + 4 - buf) + blen)
				break;
		}
		if (poll(&p, 1, ms) != 1)
			return 0;
		n = recv(fd, buf + len, 1, 0); /* byte by byte: one response */
		if (n <= 0)
			return -1;
		len += (size_t)n;
		assert_true(len < sizeof(buf) - 1);
	}
	sscanf(buf, "HTTP/1.1 %d", &status);
	if (body) {
		assert_true(blen < cap);
		memcpy(body, end + 4, blen);
		body[blen] = '\0';
	}
	return status;
}

/* The peer closed (EOF) within ms. */
static int closed(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&p, 1, ms) != 1)
		return 0;
	return recv(fd, &c, 1, 0) == 0;
}

static void test_request_and_keep_alive(void **state)
{
	struct fixture *f = *state;
	const char *r =
		"PUT /api/v1/vm.boot HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}";
	const char *three = "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n"
			    "GET /empty HTTP/1.1\r\nConnection: close\r\n\r\n";
	char body[256];
	int fd = client(f);

	send_all(fd, r, strlen(r));
	assert_int_equal(read_resp(fd, body, sizeof(body), 2000), 200);
	assert_string_equal(
		body, "{\"m\":\"PUT\",\"p\":\"/api/v1/vm.boot\",\"n\":2}");
	/* Same connection again, then three pipelined in one write. */
	send_all(fd, r, strlen(r));
	assert_int_equal(read_resp(fd, body, sizeof(body), 2000), 200);
	send_all(fd, three, strlen(three));
	assert_int_equal(read_resp(fd, body, sizeof(body), 2000), 200);
	assert_non_null(strstr(body, "\"/a\""));
	assert_int_equal(read_resp(fd, body, sizeof(body), 2000), 200);
	assert_non_null(strstr(body, "\"/b\""));
	assert_int_equal(read_resp(fd, NULL, 0, 2000), 204);
	assert_true(closed(fd, 2000));
	close(fd);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"garbage\r\n\r\n",
		"GET /x HTTP/1\r\n\r\n",
		"PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
		"PUT /x HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n",
		"GET /x HTTP/1.1\r\nBad Header\r\n\r\n",
		"\x01\x02\x03\x04",
		"GET /x HTTP/1.1\r\n folded: x\r\n\r\n",
	};
	struct fixture *f = *state;
	unsigned int seed = 1, i, handled;
	char buf[300];
	int fd, st;

	handled = __atomic_load_n(&f->handled, __ATOMIC_RELAXED);
	for (i = 0; i < 1000; i++) {
		size_t n, k;
		const char *s;

		if (i % 2) {
			s = bad[i / 2 % (sizeof(bad) / sizeof(bad[0]))];
			n = strlen(s);
		} else {
			/* A request line of random bytes, then an end. */
			n = 1 + (size_t)rand_r(&seed) % 200;
			for (k = 0; k < n; k++)
				buf[k] = (char)(1 + rand_r(&seed) % 255);
			buf[0] = (char)('{' + rand_r(&seed) % 3);
			memcpy(buf + n, "\r\n\r\n", 4);
			n += 4;
			s = buf;
		}
		fd = client(f);
		send_all(fd, s, n);
		st = read_resp(fd, NULL, 0, 2000);
		if (st < 400 || st > 499)
			fail_msg("malformed request %u: status %d", i, st);
		assert_true(closed(fd, 2000));
		close(fd);
	}
	/* None reached the handler; the server still serves. */
	assert_int_equal(__atomic_load_n(&f->handled, __ATOMIC_RELAXED),
			 handled);
	fd = client(f);
	send_all(fd, "GET /ok HTTP/1.1\r\n\r\n", 20);
	assert_int_equal(read_resp(fd, NULL, 0, 2000), 200);
	close(fd);
}

static void test_100_concurrent(void **state)
{
	struct fixture *f = *state;
	char req[64], body[256], want[64];
	int fds[100], i;

	for (i = 0; i < 100; i++)
		fds[i] = client(f);
	for (i = 0; i < 100; i++) {
		snprintf(req, sizeof(req), "GET /c%d HTTP/1.1\r\n\r\n", i);
		send_all(fds[i], req, strlen(req));
	}
	for (i = 99; i >= 0; i--) {
		assert_int_equal(read_resp(fds[i], body, sizeof(body), 5000),
				 200);
		snprintf(want, sizeof(want), "\"/c%d\"", i);
		assert_non_null(strstr(body, want));
		close(fds[i]);
	}
}

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* 50 clients stall mid-request; others are served at once, and the
 * stalled ones get 408 after the request timeout (500 ms here). */
static void test_slow_clients(void **state)
{
	struct fixture *f = *state;
	int slow[50], fd, i;
	uint64_t t0;

	for (i = 0; i < 50; i++) {
		slow[i] = client(f);
		send_all(slow[i], "GET /slow HT", 12);
	}
	t0 = ms_now();
	fd = client(f);
	send_all(fd, "GET /fast HTTP/1.1\r\n\r\n", 22);
	assert_int_equal(read_resp(fd, NULL, 0, 2000), 200);
	assert_true(ms_now() - t0 < 400);
	close(fd);
	for (i = 0; i < 50; i++) {
		assert_int_equal(read_resp(slow[i], NULL, 0, 3000), 408);
		close(slow[i]);
	}
	/* An idle keep-alive connection is closed after idle_ms (800). */
	fd = client(f);
	send_all(fd, "GET /x HTTP/1.1\r\n\r\n", 19);
	assert_int_equal(read_resp(fd, NULL, 0, 2000), 200);
	assert_true(closed(fd, 3000));
	close(fd);
	/* A silent client too. */
	fd = client(f);
	assert_true(closed(fd, 3000));
	close(fd);
}

/* A handler slower than answer_ms: 503; the late answer is dropped. */
static void test_answer_timeout(void **state)
{
	struct fixture *f = *state;
	int fd = client(f), fd2;

	send_all(fd, "GET /hang HTTP/1.1\r\n\r\n", 22);
	assert_int_equal(read_resp(fd, NULL, 0, 3000), 503);
	assert_true(closed(fd, 2000));
	close(fd);
	usleep(600000); /* the main loop is still in /hang until then */
	fd2 = client(f);
	send_all(fd2, "GET /after HTTP/1.1\r\n\r\n", 23);
	assert_int_equal(read_resp(fd2, NULL, 0, 3000), 200);
	close(fd2);
}

static void test_expect_continue_and_limits(void **state)
{
	struct fixture *f = *state;
	const char *h = "PUT /big HTTP/1.1\r\nExpect: 100-continue\r\n"
			"Content-Length: 5\r\n\r\n";
	char body[256];
	int fd = client(f);

	send_all(fd, h, strlen(h));
	assert_int_equal(read_resp(fd, NULL, 0, 2000), 100);
	send_all(fd, "hello", 5);
	assert_int_equal(read_resp(fd, body, sizeof(body), 2000), 200);
	assert_non_null(strstr(body, "\"n\":5"));
	close(fd);
	fd = client(f);
	snprintf(body, sizeof(body),
		 "PUT /x HTTP/1.1\r\nContent-Length: %u\r\n\r\n",
		 API_HTTP_BODY_MAX + 1);
	send_all(fd, body, strlen(body));
	assert_int_equal(read_resp(fd, body, sizeof(body), 2000), 413);
	assert_non_null(strstr(body, "\"error\""));
	close(fd);
}

/* An answer made just before the VMM stops still reaches its client. */
static void test_stop_flushes(void **state)
{
	struct fixture *f = *state;
	int fd = client(f);

	send_all(fd, "PUT /stop HTTP/1.1\r\n\r\n", 22);
	pthread_join(f->loop_thread, NULL); /* the handler stopped it */
	f->loop_running = 0;
	api_server_stop(f->srv);
	f->srv = NULL;
	assert_int_equal(read_resp(fd, NULL, 0, 2000), 200);
	close(fd);
	/* The socket file is gone. */
	assert_int_equal(access(f->path, F_OK), -1);
}

static void test_socket_setup(void **state)
{
	struct fixture *f = *state;
	struct api_server *s2;
	struct api_server_cfg cfg = {
		.loop = f->loop,
		.handler = handler,
		.opaque = f,
	};
	struct endpoint_config ep = { .fd = -1 };
	char path[80], err[256];
	int fd, lfd;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	stop(f);
	/* A stale socket file from an earlier run is replaced. */
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sa.sun_path, f->path);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(lfd);
	assert_int_equal(start(f, 0, 0, 0), 0);
	fd = client(f);
	send_all(fd, "GET /x HTTP/1.1\r\n\r\n", 19);
	assert_int_equal(read_resp(fd, NULL, 0, 2000), 200);
	close(fd);
	/* Any other file is not touched. */
	snprintf(path, sizeof(path), "%s.file", f->path);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	ep.path = path;
	cfg.ep = &ep;
	assert_int_equal(api_server_start(&cfg, &s2, err, sizeof(err)),
			 -EEXIST);
	assert_non_null(strstr(err, path));
	assert_int_equal(access(path, F_OK), 0);
	unlink(path);
	/* fd=: a socket the caller opened (and did not listen on yet). */
	snprintf(path, sizeof(path), "%s.fd", f->path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sa.sun_path, path);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ep.path = NULL;
	ep.fd = lfd;
	assert_int_equal(api_server_start(&cfg, &s2, err, sizeof(err)), 0);
	{
		int c = socket(AF_UNIX, SOCK_STREAM, 0);

		assert_int_equal(connect(c, (struct sockaddr *)&sa, sizeof(sa)),
				 0);
		send_all(c, "GET /fd HTTP/1.1\r\n\r\n", 20);
		assert_int_equal(read_resp(c, NULL, 0, 2000), 200);
		close(c);
	}
	api_server_stop(s2);
	unlink(path);
	/* Not a socket at all. */
	ep.fd = open("/dev/null", O_RDONLY);
	assert_int_equal(api_server_start(&cfg, &s2, err, sizeof(err)),
			 -ENOTSOCK);
	close(ep.fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_request_and_keep_alive,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_100_concurrent, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_slow_clients, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_answer_timeout, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_expect_continue_and_limits,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_flushes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_socket_setup, setup,
						teardown),
	};

	log_set_level(LOG_ERR);
	return cmocka_run_group_tests_name("api_server", tests, NULL, NULL);
}
