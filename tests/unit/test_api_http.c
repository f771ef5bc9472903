// SPDX-License-Identifier: Apache-2.0
/*
 * test_api_http.c - the REST API's HTTP/1.1 parser and response writer
 * on strings: complete and partial requests, pipelining, every refusal
 * class (400, 411, 413, 414, 417, 431, 505) and hostile bytes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/api_http.h"

static int parse(const char *s, struct api_http_request *req,
		 struct api_http_error *err)
{
	return api_http_parse(s, strlen(s), req, err);
}

/* Expect a refusal with `status`. */
static void refused(const char *s, int ret, int status)
{
	struct api_http_request req;
	struct api_http_error err;
	int r = parse(s, &req, &err);

	if (r != ret || err.status != status)
		fail_msg("'%.60s': got %d/%d want %d/%d (%s)", s, r, err.status,
			 ret, status, err.msg);
	assert_true(strlen(err.msg) > 0);
}

static void test_get(void **state)
{
	const char *s = "GET /api/v1/vm.info HTTP/1.1\r\n"
			"Host: localhost\r\nAccept: */*\r\n\r\n";
	struct api_http_request req;
	struct api_http_error err;

	assert_int_equal(parse(s, &req, &err), 0);
	assert_int_equal(req.method, API_HTTP_GET);
	assert_string_equal(req.method_str, "GET");
	assert_string_equal(req.path, "/api/v1/vm.info");
	assert_int_equal(req.minor, 1);
	assert_int_equal(req.keep_alive, 1);
	assert_int_equal(req.body_len, 0);
	assert_int_equal(req.consumed, strlen(s));
}

static void test_put_body_and_pipelining(void **state)
{
	const char *s = "PUT /api/v1/vm.create?x=1 HTTP/1.1\r\n"
			"Content-Type: application/json\r\n"
			"content-LENGTH:   7  \r\n\r\n"
			"{\"a\":1}"
			"GET /api/v1/vmm.ping HTTP/1.0\r\n\r\n";
	struct api_http_request req;
	struct api_http_error err;
	size_t off;

	assert_int_equal(parse(s, &req, &err), 0);
	assert_int_equal(req.method, API_HTTP_PUT);
	assert_string_equal(req.path, "/api/v1/vm.create");
	assert_int_equal(req.body_len, 7);
	assert_memory_equal(req.body, "{\"a\":1}", 7);
	off = req.consumed;
	assert_int_equal(api_http_parse(s + off, strlen(s) - off, &req, &err),
			 0);
	assert_string_equal(req.path, "/api/v1/vmm.ping");
	assert_int_equal(req.minor, 0);
	assert_int_equal(req.keep_alive, 0); /* HTTP/1.0 default */
	assert_int_equal(off + req.consumed, strlen(s));
}

static void test_incremental(void **state)
{
	const char *s = "PUT /api/v1/vm.boot HTTP/1.1\r\n"
			"Content-Length: 2\r\n\r\n{}";
	struct api_http_request req;
	struct api_http_error err;
	size_t n, len = strlen(s);

	/* Every prefix is incomplete, never an error. */
	for (n = 0; n < len; n++) {
		assert_int_equal(api_http_parse(s, n, &req, &err), -EAGAIN);
		assert_int_equal(req.headers_done, n >= len - 2);
	}
	assert_int_equal(api_http_parse(s, len, &req, &err), 0);
}

static void test_expect_continue(void **state)
{
	const char *s = "PUT /api/v1/vm.create HTTP/1.1\r\n"
			"Expect: 100-continue\r\nContent-Length: 5\r\n\r\n";
	struct api_http_request req;
	struct api_http_error err;

	assert_int_equal(parse(s, &req, &err), -EAGAIN);
	assert_int_equal(req.headers_done, 1);
	assert_int_equal(req.expect_continue, 1);
	refused("PUT / HTTP/1.1\r\nExpect: something\r\n\r\n", -EINVAL, 417);
}

static void test_connection_header(void **state)
{
	struct api_http_request req;
	struct api_http_error err;

	assert_int_equal(
		parse("GET / HTTP/1.1\r\nConnection: foo, Close\r\n\r\n", &req,
		      &err),
		0);
	assert_int_equal(req.keep_alive, 0);
	assert_int_equal(
		parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &req,
		      &err),
		0);
	assert_int_equal(req.keep_alive, 1);
}

static void test_bare_lf_and_leading_empty_lines(void **state)
{
	struct api_http_request req;
	struct api_http_error err;

	assert_int_equal(parse("\r\n\nGET /x HTTP/1.1\nA: b\n\n", &req, &err),
			 0);
	assert_string_equal(req.path, "/x");
}

static void test_malformed_400(void **state)
{
	static const char *const bad[] = {
		"GET\r\n\r\n",
		"GET /x\r\n\r\n",
		"GET  /x HTTP/1.1\r\n\r\n",
		"GET /x  HTTP/1.1\r\n\r\n",
		"GET x HTTP/1.1\r\n\r\n",
		"GET http://localhost/api/v1/vm.info HTTP/1.1\r\n\r\n",
		"GET /x HTTP/1.1 \r\n\r\n",
		"GET /x HTTP/11\r\n\r\n",
		"GET /x FTP/1.1\r\n\r\n",
		"GET /x HTTP/a.1\r\n\r\n",
		"GET /x HTTP/1.1\r\nNoColon\r\n\r\n",
		"GET /x HTTP/1.1\r\nBad Name: v\r\n\r\n",
		"GET /x HTTP/1.1\r\n: v\r\n\r\n",
		"GET /x HTTP/1.1\r\nA: b\r\n folded\r\n\r\n",
		"GET /x HTTP/1.1\r\nA: b\x01\r\n\r\n",
		"GET /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
		"GET /x HTTP/1.1\r\nContent-Length: 1x\r\n\r\n",
		"GET /x HTTP/1.1\r\nContent-Length:\r\n\r\n",
		"GET /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"G\x80T /x HTTP/1.1\r\n\r\n",
		"GET /\x7f HTTP/1.1\r\n\r\n",
		"\x16\x03\x01\x02\x00", /* a TLS hello, refused before CRLF */
		"{\"json\": \"without a request line\"}",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		refused(bad[i], -EINVAL, 400);
}

static void test_limits(void **state)
{
	char *big = malloc(API_HTTP_HEAD_MAX + 64);
	char line[600];
	size_t n;
	unsigned int i;

	assert_non_null(big);
	/* 413: Content-Length over the body limit (checked at once). */
	snprintf(line, sizeof(line),
		 "PUT /x HTTP/1.1\r\nContent-Length: %u\r\n\r\n",
		 API_HTTP_BODY_MAX + 1);
	refused(line, -E2BIG, 413);
	refused("PUT /x HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
		-E2BIG, 413);
	/* 414: the target. */
	n = (size_t)snprintf(big, API_HTTP_HEAD_MAX, "GET /");
	memset(big + n, 'a', API_HTTP_PATH_MAX);
	strcpy(big + n + API_HTTP_PATH_MAX, " HTTP/1.1\r\n\r\n");
	refused(big, -E2BIG, 414);
	/* 431: a head that never ends, and too many fields. */
	n = (size_t)snprintf(big, API_HTTP_HEAD_MAX, "GET /x HTTP/1.1\r\nA: ");
	memset(big + n, 'b', API_HTTP_HEAD_MAX + 10 - n);
	big[API_HTTP_HEAD_MAX + 10] = '\0';
	refused(big, -E2BIG, 431);
	n = (size_t)snprintf(big, API_HTTP_HEAD_MAX, "GET /x HTTP/1.1\r\n");
	for (i = 0; i <= API_HTTP_HEADERS_MAX; i++)
		n += (size_t)snprintf(big + n, API_HTTP_HEAD_MAX - n,
				      "H%u: v\r\n", i);
	snprintf(big + n, API_HTTP_HEAD_MAX - n, "\r\n");
	refused(big, -E2BIG, 431);
	/* A request line that never ends. */
	memset(big, 'A', API_HTTP_HEAD_MAX + 10);
	big[3] = ' ';
	big[API_HTTP_HEAD_MAX + 10] = '\0';
	refused(big, -E2BIG, 431);
	/* A method that never ends. */
	memset(big, 'A', 40);
	big[40] = '\0';
	refused(big, -EINVAL, 400);
	free(big);
}

static void test_unsupported(void **state)
{
	struct api_http_request req;
	struct api_http_error err;

	refused("PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
		-ENOTSUP, 411);
	refused("GET /x HTTP/2.0\r\n\r\n", -EPROTONOSUPPORT, 505);
	refused("GET /x HTTP/0.9\r\n\r\n", -EPROTONOSUPPORT, 505);
	/* A later 1.x minor is served as 1.1 (RFC 9110 2.5). */
	assert_int_equal(parse("GET /x HTTP/1.7\r\n\r\n", &req, &err), 0);
	assert_int_equal(req.minor, 1);
}

static void test_methods(void **state)
{
	struct api_http_request req;
	struct api_http_error err;

	assert_int_equal(parse("BREW /pot HTTP/1.1\r\n\r\n", &req, &err), 0);
	assert_int_equal(req.method, API_HTTP_OTHER);
	assert_string_equal(req.method_str, "BREW");
	assert_int_equal(parse("DELETE / HTTP/1.1\r\n\r\n", &req, &err), 0);
	assert_int_equal(req.method, API_HTTP_DELETE);
}

/* NUL bytes and random garbage: never a crash, never a read past len. */
static void test_hostile_bytes(void **state)
{
	struct api_http_request req;
	struct api_http_error err;
	unsigned int seed = 12345, i, j;
	char buf[512];
	int r;

	assert_int_equal(api_http_parse("GET /\0x HTTP/1.1\r\n\r\n", 20, &req,
					&err),
			 -EINVAL);
	for (i = 0; i < 20000; i++) {
		size_t len = (size_t)(rand_r(&seed) % sizeof(buf));
		char *p = malloc(len ? len : 1);

		for (j = 0; j < len; j++)
			buf[j] =
				(char)(rand_r(&seed) % 7 == 0 ?
					       "\r\n :/\tG"[rand_r(&seed) % 7] :
					       rand_r(&seed));
		memcpy(p, buf, len);
		r = api_http_parse(p, len, &req, &err);
		assert_true(r == 0 || r == -EAGAIN || r == -EINVAL ||
			    r == -E2BIG || r == -ENOTSUP ||
			    r == -EPROTONOSUPPORT);
		if (r == 0)
			assert_true(req.consumed <= len);
		free(p);
	}
}

static void test_format(void **state)
{
	char out[256];
	int n;

	n = api_http_format_response(out, sizeof(out), 200, NULL, "{}", 2, 1);
	assert_true(n > 0);
	out[n] = '\0';
	assert_string_equal(out, "HTTP/1.1 200 OK\r\nServer: nimbus\r\n"
				 "Content-Type: application/json\r\n"
				 "Content-Length: 2\r\n"
				 "Connection: keep-alive\r\n\r\n{}");
	n = api_http_format_response(out, sizeof(out), 204, NULL, "x", 1, 0);
	out[n] = '\0';
	assert_string_equal(out, "HTTP/1.1 204 No Content\r\nServer: nimbus\r\n"
				 "Connection: close\r\n\r\n");
	n = api_http_format_response(out, sizeof(out), 100, NULL, NULL, 0, 1);
	out[n] = '\0';
	assert_string_equal(out,
			    "HTTP/1.1 100 Continue\r\nServer: nimbus\r\n\r\n");
	assert_int_equal(api_http_format_response(out, 20, 200, NULL, "{}", 2,
						  0),
			 -ENOSPC);
	assert_int_equal(api_http_format_response(out, 100, 200, "text/plain",
						  out, 90, 0),
			 -ENOSPC);
	assert_string_equal(api_http_reason(404), "Not Found");
	assert_string_equal(api_http_reason(299), "Unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_put_body_and_pipelining),
		cmocka_unit_test(test_incremental),
		cmocka_unit_test(test_expect_continue),
		cmocka_unit_test(test_connection_header),
		cmocka_unit_test(test_bare_lf_and_leading_empty_lines),
		cmocka_unit_test(test_malformed_400),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_methods),
		cmocka_unit_test(test_hostile_bytes),
		cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests_name("api_http", tests, NULL, NULL);
}
