// SPDX-License-Identifier: Apache-2.0
/*
 * api_http.c - HTTP/1.1 request parsing and response formatting for the
 * REST API (RFC 9110 / RFC 9112 subset; see api_http.h).  Every byte is
 * distrusted: the scanner never reads past len and checks each
 * character class explicitly.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "vmm/api_http.h"

/* Scanning state over buf[0..len). */
struct scan {
	const char *buf;
	size_t len;
	size_t pos;
};

static int set_err(struct api_http_error *err, int status, int ret,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int set_err(struct api_http_error *err, int status, int ret,
		   const char *fmt, ...)
{
	va_list ap;

	err->status = status;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return ret;
}

/* RFC 9110 5.6.2 tchar. */
static bool is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Field value characters: VCHAR, SP, HTAB, obs-text. */
static bool is_vchar_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || (c > 0x20 && c != 0x7f);
}

/*
 * The next line [*start, *start + *llen) without its CRLF/LF.  Returns
 * false when no '\n' is found before `limit`.
 */
static bool next_line(struct scan *s, size_t limit, size_t *start, size_t *llen)
{
	const char *nl;
	size_t end = limit < s->len ? limit : s->len;

	if (s->pos >= end)
		return false;
	nl = memchr(s->buf + s->pos, '\n', end - s->pos);
	if (!nl)
		return false;
	*start = s->pos;
	*llen = (size_t)(nl - (s->buf + s->pos));
	if (*llen && s->buf[*start + *llen - 1] == '\r')
		(*llen)--;
	s->pos = (size_t)(nl - s->buf) + 1;
	return true;
}

static bool ieq(const char *a, size_t alen, const char *b)
{
	size_t i;

	if (alen != strlen(b))
		return false;
	for (i = 0; i < alen; i++) {
		char x = a[i], y = b[i];

		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return false;
	}
	return true;
}

static const struct {
	const char *name;
	int method;
} methods[] = {
	{ "GET", API_HTTP_GET },       { "PUT", API_HTTP_PUT },
	{ "POST", API_HTTP_POST },     { "PATCH", API_HTTP_PATCH },
	{ "DELETE", API_HTTP_DELETE }, { "HEAD", API_HTTP_HEAD },
};

/*
 * Before the head is complete: refuse bytes that can never start a
 * request line (a method is a token), so garbage is answered at once.
 */
static int check_partial_method(const char *p, size_t n,
				struct api_http_error *err)
{
	size_t i;

	for (i = 0; i < n && i < API_HTTP_METHOD_MAX; i++) {
		if (p[i] == ' ' && i > 0)
			return 0;
		if (!is_tchar((unsigned char)p[i]))
			return set_err(err, 400, -EINVAL,
				       "malformed request line");
	}
	if (i == API_HTTP_METHOD_MAX)
		return set_err(err, 400, -EINVAL, "method too long");
	return 0;
}

static int parse_request_line(const char *l, size_t n,
			      struct api_http_request *req,
			      struct api_http_error *err)
{
	size_t i = 0, m, t0, tlen, plen;
	unsigned int k;

	while (i < n && is_tchar((unsigned char)l[i]))
		i++;
	m = i;
	if (!m || m >= API_HTTP_METHOD_MAX || i >= n || l[i] != ' ')
		return set_err(err, 400, -EINVAL, "malformed request line");
	memcpy(req->method_str, l, m);
	req->method_str[m] = '\0';
	req->method = API_HTTP_OTHER;
	for (k = 0; k < sizeof(methods) / sizeof(methods[0]); k++)
		if (!strcmp(req->method_str, methods[k].name))
			req->method = methods[k].method;
	t0 = ++i;
	while (i < n && l[i] > 0x20 && l[i] != 0x7f)
		i++;
	tlen = i - t0;
	if (!tlen || i >= n || l[i] != ' ')
		return set_err(err, 400, -EINVAL, "malformed request line");
	if (l[t0] != '/')
		return set_err(err, 400, -EINVAL,
			       "the request target must be an absolute path");
	for (plen = 0; plen < tlen && l[t0 + plen] != '?'; plen++)
		;
	if (plen >= API_HTTP_PATH_MAX)
		return set_err(err, 414, -E2BIG, "request target too long");
	memcpy(req->path, l + t0, plen);
	req->path[plen] = '\0';
	i++;
	if (n - i != 8 || memcmp(l + i, "HTTP/", 5) || l[i + 6] != '.' ||
	    l[i + 5] < '0' || l[i + 5] > '9' || l[i + 7] < '0' ||
	    l[i + 7] > '9')
		return set_err(err, 400, -EINVAL, "malformed HTTP version");
	if (l[i + 5] != '1')
		return set_err(err, 505, -EPROTONOSUPPORT,
			       "only HTTP/1.x is supported");
	/* RFC 9110 2.5: a later 1.x minor is served as 1.1. */
	req->minor = l[i + 7] > '1' ? 1 : l[i + 7] - '0';
	req->keep_alive = req->minor == 1;
	return 0;
}

/* Content-Length: 1*DIGIT, at most API_HTTP_BODY_MAX. */
static int parse_content_length(const char *v, size_t n, size_t *out,
				struct api_http_error *err)
{
	size_t i, val = 0;

	if (!n)
		return set_err(err, 400, -EINVAL, "empty Content-Length");
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return set_err(err, 400, -EINVAL,
				       "malformed Content-Length");
		val = val * 10 + (size_t)(v[i] - '0');
		if (val > API_HTTP_BODY_MAX)
			return set_err(err, 413, -E2BIG,
				       "body larger than %u bytes",
				       API_HTTP_BODY_MAX);
	}
	*out = val;
	return 0;
}

/* Connection: a comma-separated token list. */
static void parse_connection(const char *v, size_t n,
			     struct api_http_request *req)
{
	size_t i = 0, s, e;

	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (ieq(v + s, e - s, "close"))
			req->keep_alive = 0;
		else if (ieq(v + s, e - s, "keep-alive"))
			req->keep_alive = 1;
	}
}

static int parse_header(const char *l, size_t n, struct api_http_request *req,
			bool *have_cl, struct api_http_error *err)
{
	size_t i = 0, vs, ve;
	size_t cl = 0;
	int ret;

	if (l[0] == ' ' || l[0] == '\t')
		return set_err(err, 400, -EINVAL,
			       "obsolete header line folding");
	while (i < n && is_tchar((unsigned char)l[i]))
		i++;
	if (!i || i >= n || l[i] != ':')
		return set_err(err, 400, -EINVAL, "malformed header field");
	vs = i + 1;
	for (ve = vs; ve < n; ve++)
		if (!is_vchar_ws((unsigned char)l[ve]))
			return set_err(err, 400, -EINVAL,
				       "invalid character in a header value");
	while (vs < n && (l[vs] == ' ' || l[vs] == '\t'))
		vs++;
	while (ve > vs && (l[ve - 1] == ' ' || l[ve - 1] == '\t'))
		ve--;

	if (ieq(l, i, "content-length")) {
		ret = parse_content_length(l + vs, ve - vs, &cl, err);
		if (ret)
			return ret;
		if (*have_cl && cl != req->content_length)
			return set_err(err, 400, -EINVAL,
				       "conflicting Content-Length fields");
		*have_cl = true;
		req->content_length = cl;
	} else if (ieq(l, i, "transfer-encoding")) {
		return set_err(err, 411, -ENOTSUP,
			       "Transfer-Encoding is not supported; send "
			       "Content-Length");
	} else if (ieq(l, i, "connection")) {
		parse_connection(l + vs, ve - vs, req);
	} else if (ieq(l, i, "expect")) {
		if (!ieq(l + vs, ve - vs, "100-continue"))
			return set_err(err, 417, -EINVAL,
				       "unsupported expectation");
		req->expect_continue = 1;
	}
	return 0;
}

int api_http_parse(const char *buf, size_t len, struct api_http_request *req,
		   struct api_http_error *err)
{
	struct scan s = { .buf = buf, .len = len };
	size_t start, llen, nfields = 0;
	bool have_cl = false;
	int ret;

	memset(req, 0, sizeof(*req));
	err->status = 0;
	err->msg[0] = '\0';

	/* RFC 9112 2.2: ignore empty lines before the request line. */
	while (s.pos < len && (buf[s.pos] == '\r' || buf[s.pos] == '\n')) {
		s.pos++;
		if (s.pos > API_HTTP_HEAD_MAX)
			return set_err(err, 431, -E2BIG,
				       "request head too large");
	}
	if (!next_line(&s, API_HTTP_HEAD_MAX, &start, &llen)) {
		ret = check_partial_method(buf + s.pos, len - s.pos, err);
		if (ret)
			return ret;
		if (len >= API_HTTP_HEAD_MAX)
			return set_err(err, 431, -E2BIG,
				       "request head too large");
		return -EAGAIN;
	}
	ret = parse_request_line(buf + start, llen, req, err);
	if (ret)
		return ret;
	for (;;) {
		if (!next_line(&s, API_HTTP_HEAD_MAX, &start, &llen)) {
			if (len >= API_HTTP_HEAD_MAX)
				return set_err(err, 431, -E2BIG,
					       "request head too large");
			return -EAGAIN;
		}
		if (!llen)
			break;
		if (++nfields > API_HTTP_HEADERS_MAX)
			return set_err(err, 431, -E2BIG,
				       "more than %u header fields",
				       API_HTTP_HEADERS_MAX);
		ret = parse_header(buf + start, llen, req, &have_cl, err);
		if (ret)
			return ret;
	}
	req->headers_done = 1;
	req->head_len = s.pos;
	if (len - s.pos < req->content_length)
		return -EAGAIN;
	req->body = buf + s.pos;
	req->body_len = req->content_length;
	req->consumed = s.pos + req->body_len;
	return 0;
}

const char *api_http_reason(int status)
{
	static const struct {
		int status;
		const char *reason;
	} reasons[] = {
		{ 100, "Continue" },
		{ 200, "OK" },
		{ 204, "No Content" },
		{ 400, "Bad Request" },
		{ 404, "Not Found" },
		{ 405, "Method Not Allowed" },
		{ 408, "Request Timeout" },
		{ 409, "Conflict" },
		{ 411, "Length Required" },
		{ 413, "Content Too Large" },
		{ 414, "URI Too Long" },
		{ 415, "Unsupported Media Type" },
		{ 417, "Expectation Failed" },
		{ 429, "Too Many Requests" },
		{ 431, "Request Header Fields Too Large" },
		{ 500, "Internal Server Error" },
		{ 501, "Not Implemented" },
		{ 503, "Service Unavailable" },
		{ 505, "HTTP Version Not Supported" },
	};
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return "Unknown";
}

int api_http_format_response(char *out, size_t cap, int status,
			     const char *ctype, const char *body,
			     size_t body_len, int keep_alive)
{
	bool no_body = (status >= 100 && status < 200) || status == 204 ||
		       status == 304;
	const char *conn = keep_alive ? "keep-alive" : "close";
	int n;

	if (no_body)
		n = snprintf(out, cap,
			     "HTTP/1.1 %d %s\r\nServer: nimbus\r\n%s%s%s\r\n",
			     status, api_http_reason(status),
			     status >= 200 ? "Connection: " : "",
			     status >= 200 ? conn : "",
			     status >= 200 ? "\r\n" : "");
	else
		n = snprintf(out, cap,
			     "HTTP/1.1 %d %s\r\nServer: nimbus\r\n"
			     "Content-Type: %s\r\nContent-Length: %zu\r\n"
			     "Connection: %s\r\n\r\n",
			     status, api_http_reason(status),
			     ctype ? ctype : "application/json", body_len,
			     conn);
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	if (no_body)
		return n;
	if (body_len > cap - (size_t)n)
		return -ENOSPC;
	if (body_len)
		memcpy(out + n, body, body_len);
	if ((size_t)n + body_len > (size_t)2147483647)
		return -ENOSPC;
	return n + (int)body_len;
}
