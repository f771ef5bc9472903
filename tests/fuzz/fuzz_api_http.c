// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_api_http.c - the REST API's HTTP/1.1 request parser
 * (vmm/api_http.c) on arbitrary bytes, fed like the server feeds it:
 * growing prefixes of one buffer, then request after request as
 * req.consumed says.  Checks what api_http.h promises: a complete request
 * lies inside the buffer, its body is Content-Length bytes right after
 * the head, strings are terminated, refusals carry a 4xx/5xx status; and
 * the response writer stays within its buffer.
 */
#include <errno.h>
#include <stdlib.h>

#include "vmm/api_http.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_log();
	return 0;
}

static void check_request(const char *buf, size_t len,
			  const struct api_http_request *r)
{
	FUZZ_CHECK(r->headers_done);
	FUZZ_CHECK(memchr(r->method_str, 0, sizeof(r->method_str)));
	FUZZ_CHECK(memchr(r->path, 0, sizeof(r->path)));
	FUZZ_CHECK(r->minor == 0 || r->minor == 1);
	FUZZ_CHECK(r->head_len <= len && r->consumed <= len);
	FUZZ_CHECK(r->body_len == r->content_length);
	FUZZ_CHECK(r->consumed == r->head_len + r->body_len);
	FUZZ_CHECK(r->body_len <= API_HTTP_BODY_MAX);
	if (r->body_len)
		FUZZ_CHECK(r->body == buf + r->head_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so reading past it is an ASan report. */
	char *buf = malloc(size ? size : 1);
	struct api_http_request req;
	struct api_http_error err;
	char out[1024];
	size_t off = 0;
	int ret;

	memcpy(buf, data, size);
	/* Growing prefixes of the first request, as a slow client sends
	 * it: byte by byte for its first 64 bytes, then in growing steps
	 * (every prefix of every input would make the target quadratic). */
	for (size_t n = 0, step = 1; n <= size && n < 4096; n += step) {
		ret = api_http_parse(buf, n, &req, &err);
		if (ret != -EAGAIN)
			break;
		if (n >= 64)
			step = n / 8;
	}
	while (off < size) {
		ret = api_http_parse(buf + off, size - off, &req, &err);
		if (ret == -EAGAIN)
			break;
		if (ret) {
			FUZZ_CHECK(err.status >= 400 && err.status < 600);
			FUZZ_CHECK(memchr(err.msg, 0, sizeof(err.msg)));
			api_http_format_response(out, sizeof(out), err.status,
						 NULL, err.msg, strlen(err.msg),
						 0);
			break;
		}
		check_request(buf + off, size - off, &req);
		FUZZ_CHECK(req.consumed > 0);
		ret = api_http_format_response(out, sizeof(out), 200, NULL,
					       req.body, req.body_len,
					       req.keep_alive);
		FUZZ_CHECK(ret == -ENOSPC ||
			   (ret > 0 && (size_t)ret <= sizeof(out)));
		off += req.consumed;
	}
	free(buf);
	return 0;
}
