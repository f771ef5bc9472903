// SPDX-License-Identifier: Apache-2.0
/*
 * api_server.c - the API thread: accept, per-connection buffers, poll
 * with deadlines, hand-off to the main loop (see api_server.h).
 *
 * Calls move between two lists under one mutex: `todo` (parsed, for the
 * main loop) and `done` (answered, for the thread).  A call names its
 * connection by slot and generation, so an answer for a connection that
 * timed out or went away in the meantime is recognised and dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define LOG_MOD "api"
#include "vmm/api_server.h"
#include "vmm/log.h"
#include "vmm/sandbox.h"

#define RBUF_MAX (API_HTTP_HEAD_MAX + API_HTTP_BODY_MAX)

enum conn_state {
	CONN_FREE = 0,
	CONN_READ, /* reading a request (or idle between requests) */
	CONN_WAIT, /* its call is with the main loop */
	CONN_WRITE, /* writing an answer */
};

struct call {
	struct call *next;
	unsigned int slot;
	uint64_t gen;
	int keep_alive;
	int method;
	char method_str[API_HTTP_METHOD_MAX];
	char path[API_HTTP_PATH_MAX];
	char *body;
	size_t body_len;
	struct api_response resp;
};

struct conn {
	int fd;
	int state; /* enum conn_state */
	uint64_t gen;
	char *rbuf;
	size_t rlen, rcap;
	char *wbuf;
	size_t wlen, woff;
	int close_after; /* close once wbuf is out */
	int sent_continue;
	uint64_t deadline; /* ms, monotonic */
	const struct api_server_cfg *t; /* the timeouts */
};

struct api_server {
	struct api_server_cfg cfg;
	char *path; /* unlinked at stop, if we created it */
	int listen_fd;
	int wake_efd; /* thread: answers ready, or stop */
	int main_efd; /* main loop: calls to run */
	pthread_t thread;
	pthread_mutex_t lock;
	struct call *todo, **todo_tail;
	struct call *done, **done_tail;
	int stopping;
	uint64_t next_gen;
	struct conn conns[API_SRV_MAX_CONNS];
	unsigned int nr_conns;
};

static int stopping(struct api_server *s)
{
	return __atomic_load_n(&s->stopping, __ATOMIC_ACQUIRE);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void efd_kick(int efd)
{
	uint64_t one = 1;

	if (write(efd, &one, sizeof(one)) < 0) {
		/* saturated: a wakeup is pending anyway */
	}
}

static void efd_drain(int efd)
{
	uint64_t v;

	if (read(efd, &v, sizeof(v)) < 0) {
		/* nothing pending */
	}
}

void api_response_error(struct api_response *resp, int status, const char *fmt,
			...)
{
	char msg[512];
	json_t *j;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	resp->status = status;
	resp->ctype = NULL;
	free(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
	/* Echoed client bytes need not be UTF-8: fall back to a plain one. */
	j = json_pack("{s:s}", "error", msg);
	if (!j)
		j = json_pack("{s:s}", "error", api_http_reason(status));
	if (j) {
		resp->body = json_dumps(j, JSON_COMPACT);
		json_decref(j);
	}
	if (resp->body)
		resp->body_len = strlen(resp->body);
}

static void call_free(struct call *c)
{
	if (!c)
		return;
	free(c->body);
	free(c->resp.body);
	free(c);
}

/* --- connections --------------------------------------------------------- */

static void conn_close(struct api_server *s, struct conn *c)
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
		call_free(call);
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

static void conn_read(struct api_server *s, struct conn *c)
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
		conn_close(s, c);
		return;
	}
	if (n < 0)
		return;
	if (!c->rlen) /* the first byte of a request starts its clock */
		c->deadline = now_ms() + s->cfg.request_ms;
	c->rlen += (size_t)n;
	conn_parse(s, c);
}

static void conn_write(struct api_server *s, struct conn *c)
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
			conn_close(s, c);
			return;
		}
		c->woff += (size_t)n;
	}
	free(c->wbuf);
	c->wbuf = NULL;
	c->wlen = c->woff = 0;
	if (c->close_after || stopping(s)) {
		conn_close(s, c);
		return;
	}
	c->state = CONN_READ;
	c->deadline = now_ms() + (c->rlen ? s->cfg.request_ms : s->cfg.idle_ms);
	conn_parse(s, c); /* a pipelined request may be complete */
}

static void accept_all(struct api_server *s)
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
static void take_answers(struct api_server *s)
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
		call_free(c);
	}
}

static void expire(struct api_server *s, uint64_t now)
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
			conn_close(s, c);
		}
	}
}

static void *server_thread(void *arg)
{
	struct api_server *s = arg;
	struct pollfd pfd[API_SRV_MAX_CONNS + 2];
	unsigned int map[API_SRV_MAX_CONNS + 2];
	uint64_t now, next, stop_deadline = 0;
	unsigned int i, n;
	int timeout, ret;

	ret = sandbox_install(s->cfg.sandbox, SANDBOX_API);
	if (ret) {
		/* Never parse a client's bytes unfiltered. */
		log_err("API thread: cannot install the seccomp filter: %s",
			strerror(-ret));
		return NULL;
	}
	for (;;) {
		take_answers(s);
		now = now_ms();
		if (stopping(s)) {
			bool writing = false;

			if (!stop_deadline)
				stop_deadline = now + 1000;
			for (i = 0; i < API_SRV_MAX_CONNS; i++)
				writing |= s->conns[i].state == CONN_WRITE;
			if (!writing || now >= stop_deadline)
				break;
		}
		expire(s, now);
		n = 0;
		next = now + s->cfg.idle_ms;
		pfd[n++] =
			(struct pollfd){ .fd = s->wake_efd, .events = POLLIN };
		if (!stopping(s) && s->nr_conns < API_SRV_MAX_CONNS)
			pfd[n++] = (struct pollfd){ .fd = s->listen_fd,
						    .events = POLLIN };
		for (i = 0; i < API_SRV_MAX_CONNS; i++) {
			struct conn *c = &s->conns[i];

			if (c->state == CONN_FREE)
				continue;
			if (c->deadline < next)
				next = c->deadline;
			if (c->state == CONN_WAIT)
				continue;
			map[n] = i;
			pfd[n++] = (struct pollfd){
				.fd = c->fd,
				.events = c->state == CONN_READ ? POLLIN :
								  POLLOUT,
			};
		}
		if (stopping(s) && stop_deadline < next)
			next = stop_deadline;
		timeout = next > now ? (int)(next - now) : 0;
		if (poll(pfd, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll: %s", strerror(errno));
			break;
		}
		for (i = 0; i < n; i++) {
			if (!pfd[i].revents)
				continue;
			if (pfd[i].fd == s->wake_efd) {
				efd_drain(s->wake_efd);
			} else if (pfd[i].fd == s->listen_fd) {
				accept_all(s);
			} else {
				struct conn *c = &s->conns[map[i]];

				if (c->state == CONN_READ)
					conn_read(s, c);
				else if (c->state == CONN_WRITE)
					conn_write(s, c);
			}
		}
	}
	for (i = 0; i < API_SRV_MAX_CONNS; i++)
		conn_close(s, &s->conns[i]);
	return NULL;
}

/* --- main loop side -------------------------------------------------------- */

static void on_calls(void *opaque, int fd, uint32_t events)
{
	struct api_server *s = opaque;
	struct api_request req;
	struct call *list, *c;

	efd_drain(fd);
	pthread_mutex_lock(&s->lock);
	list = s->todo;
	s->todo = NULL;
	s->todo_tail = &s->todo;
	pthread_mutex_unlock(&s->lock);
	while ((c = list)) {
		list = c->next;
		c->next = NULL;
		req = (struct api_request){
			.method = c->method,
			.method_str = c->method_str,
			.path = c->path,
			.body = c->body,
			.body_len = c->body_len,
		};
		c->resp.status = 500;
		s->cfg.handler(s->cfg.opaque, &req, &c->resp);
		pthread_mutex_lock(&s->lock);
		*s->done_tail = c;
		s->done_tail = &c->next;
		pthread_mutex_unlock(&s->lock);
		efd_kick(s->wake_efd);
	}
}

static int listen_path(struct api_server *s, const char *path, char *err,
		       size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "--api-socket %s: path too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen,
				 "--api-socket %s: exists and is not a socket",
				 path);
			return -EEXIST;
		}
		unlink(path); /* stale, from an earlier run */
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fd, SOMAXCONN)) {
		close(fd);
		goto fail;
	}
	s->path = strdup(path);
	s->listen_fd = fd;
	return 0;
fail:
	snprintf(err, errlen, "--api-socket %s: %s", path, strerror(errno));
	return -errno;
}

static int listen_fd(struct api_server *s, int fd, char *err, size_t errlen)
{
	int type = 0, acc = 0, fl;
	socklen_t len = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) ||
	    type != SOCK_STREAM) {
		snprintf(err, errlen, "--api-socket fd=%d: not a stream socket",
			 fd);
		return -ENOTSOCK;
	}
	len = sizeof(acc);
	if ((getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) || !acc) &&
	    listen(fd, SOMAXCONN)) {
		snprintf(err, errlen, "--api-socket fd=%d: %s", fd,
			 strerror(errno));
		return -errno;
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC)) {
		snprintf(err, errlen, "--api-socket fd=%d: %s", fd,
			 strerror(errno));
		return -errno;
	}
	s->listen_fd = fd;
	return 0;
}

static void server_free(struct api_server *s)
{
	struct call *c;

	while ((c = s->todo)) {
		s->todo = c->next;
		call_free(c);
	}
	while ((c = s->done)) {
		s->done = c->next;
		call_free(c);
	}
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->path)
		unlink(s->path);
	if (s->wake_efd >= 0)
		close(s->wake_efd);
	if (s->main_efd >= 0)
		close(s->main_efd);
	pthread_mutex_destroy(&s->lock);
	free(s->path);
	free(s);
}

int api_server_start(const struct api_server_cfg *cfg, struct api_server **out,
		     char *err, size_t errlen)
{
	struct api_server *s = calloc(1, sizeof(*s));
	unsigned int i;
	int ret;

	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
	if (!s->cfg.request_ms)
		s->cfg.request_ms = API_SRV_REQUEST_MS;
	if (!s->cfg.idle_ms)
		s->cfg.idle_ms = API_SRV_IDLE_MS;
	if (!s->cfg.write_ms)
		s->cfg.write_ms = API_SRV_WRITE_MS;
	if (!s->cfg.answer_ms)
		s->cfg.answer_ms = API_SRV_ANSWER_MS;
	s->listen_fd = -1;
	s->todo_tail = &s->todo;
	s->done_tail = &s->done;
	pthread_mutex_init(&s->lock, NULL);
	for (i = 0; i < API_SRV_MAX_CONNS; i++)
		s->conns[i].fd = -1;
	s->wake_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s->main_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->wake_efd < 0 || s->main_efd < 0) {
		ret = -errno;
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	if (cfg->ep->path)
		ret = listen_path(s, cfg->ep->path, err, errlen);
	else
		ret = listen_fd(s, cfg->ep->fd, err, errlen);
	if (ret)
		goto fail;
	ret = event_add(cfg->loop, s->main_efd, EV_IN, on_calls, s);
	if (ret) {
		snprintf(err, errlen, "event loop: %s", strerror(-ret));
		goto fail;
	}
	ret = -pthread_create(&s->thread, NULL, server_thread, s);
	if (ret) {
		event_del(cfg->loop, s->main_efd);
		snprintf(err, errlen, "cannot start the API thread: %s",
			 strerror(-ret));
		goto fail;
	}
	*out = s;
	return 0;
fail:
	server_free(s);
	return ret;
}

void api_server_stop(struct api_server *s)
{
	struct call *list, *c;

	if (!s)
		return;
	event_del(s->cfg.loop, s->main_efd);
	/* Nobody will run what is still queued: answer it here. */
	pthread_mutex_lock(&s->lock);
	list = s->todo;
	s->todo = NULL;
	s->todo_tail = &s->todo;
	while ((c = list)) {
		list = c->next;
		c->next = NULL;
		api_response_error(&c->resp, 503, "the VMM is shutting down");
		*s->done_tail = c;
		s->done_tail = &c->next;
	}
	__atomic_store_n(&s->stopping, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&s->lock);
	efd_kick(s->wake_efd);
	pthread_join(s->thread, NULL);
	server_free(s);
}
