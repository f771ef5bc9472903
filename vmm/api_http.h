/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_http.h - the HTTP/1.1 subset the REST API speaks: a request parser
 * and a response writer, both pure functions on caller buffers (no I/O,
 * no allocation, no global state), so they run on strings in unit tests
 * and under a fuzzer, and from any thread.
 *
 * Requests (RFC 9112): a request line `METHOD SP origin-form SP HTTP/1.x`,
 * header fields, an empty line, then a body of exactly Content-Length
 * bytes.  Lines end in CRLF (a bare LF is tolerated, as RFC 9112 2.2
 * allows).  Limits: the request line and headers together at most
 * API_HTTP_HEAD_MAX bytes, at most API_HTTP_HEADERS_MAX fields, a body of
 * at most API_HTTP_BODY_MAX bytes.  Not supported: chunked or any other
 * Transfer-Encoding (501), obsolete line folding (400), absolute-form
 * targets (400), HTTP versions other than 1.0 and 1.1 (505).
 */
#ifndef NIMBUS_VMM_API_HTTP_H
#define NIMBUS_VMM_API_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define API_HTTP_HEAD_MAX 8192u /* request line + headers, bytes */
#define API_HTTP_HEADERS_MAX 64u /* header fields */
#define API_HTTP_BODY_MAX (256u * 1024) /* Content-Length limit */
#define API_HTTP_METHOD_MAX 16u /* incl. NUL */
#define API_HTTP_PATH_MAX 256u /* incl. NUL */
#define API_HTTP_MSG_MAX 128u /* error reason, incl. NUL */

enum api_http_method {
	API_HTTP_OTHER = 0, /* a syntactically valid token we do not serve */
	API_HTTP_GET,
	API_HTTP_PUT,
	API_HTTP_POST,
	API_HTTP_PATCH,
	API_HTTP_DELETE,
	API_HTTP_HEAD,
};

struct api_http_request {
	int method; /* enum api_http_method */
	char method_str[API_HTTP_METHOD_MAX];
	char path[API_HTTP_PATH_MAX]; /* the target without "?query" */
	int minor; /* HTTP/1.<minor>: 0 or 1 */
	int keep_alive; /* the connection may serve another request */
	int expect_continue; /* "Expect: 100-continue" was sent */
	int headers_done; /* the head is complete (also on -EAGAIN) */
	size_t head_len; /* bytes of request line + headers + empty line */
	size_t content_length;
	const char *body; /* points into the caller's buffer */
	size_t body_len; /* == content_length when complete */
	size_t consumed; /* head_len + body_len: where the next request starts */
};

/* Why a request was refused: the HTTP status to answer and a reason. */
struct api_http_error {
	int status; /* 400, 411, 413, 414, 417, 431, 505 */
	char msg[API_HTTP_MSG_MAX];
};

/*
 * Parse the request at the start of buf[0..len).
 *
 * Returns 0 when a complete request (head and body) is there: *req is
 * filled and req->consumed bytes belong to it.  -EAGAIN when more bytes
 * are needed (req->headers_done tells whether the head was complete: a
 * server then answers "100 Continue" once if req->expect_continue).  On a
 * malformed or refused request: -EINVAL (syntax: 400; an Expect other
 * than 100-continue: 417), -E2BIG (head over API_HTTP_HEAD_MAX or too
 * many fields: 431; body over API_HTTP_BODY_MAX: 413; target over
 * API_HTTP_PATH_MAX: 414), -ENOTSUP (Transfer-Encoding: 411) or
 * -EPROTONOSUPPORT (HTTP major version: 505), with *err filled; the connection should then be closed after the
 * answer.  Never reads outside buf[0..len), whatever its contents
 * (including NUL bytes).  Pure; any thread; also the fuzzing entry point.
 */
int api_http_parse(const char *buf, size_t len, struct api_http_request *req,
		   struct api_http_error *err);

/* The reason phrase of a status code ("Not Found"; "Unknown" if none). */
const char *api_http_reason(int status);

/*
 * Write a response head for `status` with a body of body_len bytes of
 * content type ctype (NULL: application/json) into out[0..cap), then the
 * body.  1xx, 204 and 304 get neither Content-Length nor a body.
 * keep_alive selects "Connection: keep-alive" or "close".  Returns the
 * number of bytes written, or -ENOSPC if it does not fit (nothing
 * usable is in out then).  Pure; any thread.
 */
int api_http_format_response(char *out, size_t cap, int status,
			     const char *ctype, const char *body,
			     size_t body_len, int keep_alive);

#endif /* NIMBUS_VMM_API_HTTP_H */
