// SPDX-License-Identifier: Apache-2.0
/*
 * api_conn.c - one API connection on the API thread: buffers, HTTP
 * parsing, hand-off of complete requests to the main loop, answers,
 * deadlines (see api_server_priv.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define LOG_MOD "api"
#include "vmm/api_server_priv.h"
#include "vmm/log.h"

void api_call_free(struct call *c)
{
	if (!c)
		return;
	free(c->body);
	free(c->resp.body);
	free(c);
}

/* --- connections --------------------------------------------------------- */

void api_conn_close(struct api_server *s, struct conn *c)
{
	if (c->state == CONN_FREE)
		return;
	close(c->fd);
	free(c->rbuf);
	free(c->wbuf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	s->nr_conns--;
}

/* Queue `len` bytes of answer; the connection switches to writing. */
static void conn_answer(struct conn *c, char *buf, size_t len, int keep)
{
	free(c->wbuf);
	c->wbuf = buf;
	c->wlen = len;
	c->woff = 0;
	c->close_after = !keep;
	c->state = CONN_WRITE;
	c->deadline = now_ms() + c->t->write_ms;
}

/* Format status/body into a fresh buffer and queue it. */
static void conn_respond(struct conn *c, const struct api_response *r, int keep)
{
	size_t cap = 512 + r->body_len;
	char *buf = malloc(cap);
	int n;

	if (!buf) {
		conn_answer(c, NULL, 0, 0);
		return;
	}
	n = api_http_format_response(buf, cap, r->status, r->ctype, r->body,
				     r->body_len, keep);
	if (n < 0) {
		free(buf);
		conn_answer(c, NULL, 0, 0);
		return;
	}
	conn_answer(c, buf, (size_t)n, keep);
}

static void conn_error(struct conn *c, int status, const char *msg)
{
	struct api_response r = { 0 };

	api_response_error(&r, status, "%s", msg);
	conn_respond(c, &r, 0);
	free(r.body);
}

/* Hand a complete request to the main loop. */
static void conn_dispatch(struct api_server *s, struct conn *c,
			  const struct api_http_request *req)
{
	struct call *call = calloc(1, sizeof(*call));

	if (call)
		call->body = malloc(req->body_len + 1);
	if (!call || !call->body) {
		api_call_free(call);
		conn_error(c, 503, "out of memory");
		return;
	}
	call->slot = (unsigned int)(c - s->conns);
	call->gen = c->gen;
	call->keep_alive = req->keep_alive;
	call->method = req->method;
	memcpy(call->method_str, req->method_str, sizeof(call->method_str));
	memcpy(call->path, req->path, sizeof(call->path));
	memcpy(call->body, req->body, req->body_len);
	call->body[req->body_len] = '\0';
	call->body_len = req->body_len;
	/* The request's bytes are consumed; pipelined ones stay. */
	memmove(c->rbuf, c->rbuf + req->consumed, c->rlen - req->consumed);
	c->rlen -= req->consumed;
	c->state = CONN_WAIT;
	c->deadline = now_ms() + s->cfg.answer_ms;
	pthread_mutex_lock(&s->lock);
	*s->todo_tail = call;
	s->todo_tail = &call->next;
	pthread_mutex_unlock(&s->lock);
	efd_kick(s->main_efd);
}

/* Parse what is buffered: dispatch, answer an error, or wait. */
static void conn_parse(struct api_server *s, struct conn *c)
{
	struct api_http_request req;
	struct api_http_error herr;
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
	int ret;

	if (!c->rlen)
		return;
	ret = api_http_parse(c->rbuf, c->rlen, &req, &herr);
	if (ret == -EAGAIN) {
		if (req.headers_done && req.expect_continue &&
		    !c->sent_continue) {
			/* Best effort: a client that cannot take 25 bytes
			 * now sends its body after its own timeout. */
			c->sent_continue = 1;
			if (send(c->fd, cont, sizeof(cont) - 1,
				 MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
				/* see above */
			}
		}
		return;
	}
	if (ret) {
		conn_error(c, herr.status, herr.msg);
		return;
	}
	c->sent_continue = 0;
	conn_dispatch(s, c, &req);
}

void api_conn_read(struct api_server *s, struct conn *c)
{
	ssize_t n;

	if (c->rlen == c->rcap) {
		size_t cap = c->rcap ? c->rcap * 2 : 4096;
		char *nb;

		if (cap > RBUF_MAX)
			cap = RBUF_MAX;
		if (cap == c->rcap) { /* the parser refuses before this */
			conn_error(c, 413, "request too large");
			return;
		}
		nb = realloc(c->rbuf, cap);
		if (!nb) {
			conn_error(c, 503, "out of memory");
			return;
		}
		c->rbuf = nb;
		c->rcap = cap;
	}
	n = recv(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen, MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		api_conn_close(s, c);
		return;
	}
	if (n < 0)
		return;
	if (!c->rlen) /* the first byte of a request starts its clock */
		c->deadline = now_ms() + s->cfg.request_ms;
	c->rlen += (size_t)n;
	conn_parse(s, c);
}

void api_conn_write(struct api_server *s, struct conn *c)
{
	ssize_t n;

	while (c->woff < c->wlen) {
		n = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			api_conn_close(s, c);
			return;
		}
		c->woff += (size_t)n;
	}
	free(c->wbuf);
	c->wbuf = NULL;
	c->wlen = c->woff = 0;
	if (c->close_after || stopping(s)) {
		api_conn_close(s, c);
		return;
	}
	c->state = CONN_READ;
	c->deadline = now_ms() + (c->rlen ? s->cfg.request_ms : s->cfg.idle_ms);
	conn_parse(s, c); /* a pipelined request may be complete */
}

void api_accept_all(struct api_server *s)
{
	unsigned int i;
	int fd;

	while (s->nr_conns < API_SRV_MAX_CONNS) {
		fd = accept4(s->listen_fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				log_warn("cannot accept an API client: %s",
					 strerror(errno));
			return;
		}
		for (i = 0; i < API_SRV_MAX_CONNS; i++)
			if (s->conns[i].state == CONN_FREE)
				break;
		s->conns[i].fd = fd;
		s->conns[i].state = CONN_READ;
		s->conns[i].gen = ++s->next_gen;
		s->conns[i].deadline = now_ms() + s->cfg.idle_ms;
		s->conns[i].t = &s->cfg;
		s->nr_conns++;
	}
}

/* Answers from the main loop go to their connections. */
void api_take_answers(struct api_server *s)
{
	struct call *list, *c;
	struct conn *cn;

	pthread_mutex_lock(&s->lock);
	list = s->done;
	s->done = NULL;
	s->done_tail = &s->done;
	pthread_mutex_unlock(&s->lock);
	while ((c = list)) {
		list = c->next;
		cn = &s->conns[c->slot];
		if (cn->state == CONN_WAIT && cn->gen == c->gen)
			conn_respond(cn, &c->resp, c->keep_alive);
		api_call_free(c);
	}
}

void api_expire(struct api_server *s, uint64_t now)
{
	unsigned int i;

	for (i = 0; i < API_SRV_MAX_CONNS; i++) {
		struct conn *c = &s->conns[i];

		if (c->state == CONN_FREE || now < c->deadline)
			continue;
		if (c->state == CONN_READ && c->rlen) {
			conn_error(c, 408, "request not received in time");
		} else if (c->state == CONN_WAIT) {
			/* The call stays queued; its answer is dropped. */
			c->gen = ++s->next_gen;
			conn_error(c, 503, "the VMM did not answer in time");
		} else {
			api_conn_close(s, c);
		}
	}
}
