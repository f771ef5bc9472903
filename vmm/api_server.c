// SPDX-License-Identifier: Apache-2.0
/*
 * api_server.c - the API thread's poll loop with deadlines, the main
 * loop's side of the hand-off, setup and teardown (see api_server.h; one
 * connection's work is in api_conn.c).
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
#include "vmm/api_server_priv.h"
#include "vmm/log.h"
#include "vmm/sandbox.h"

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
		api_take_answers(s);
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
		api_expire(s, now);
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
				api_accept_all(s);
			} else {
				struct conn *c = &s->conns[map[i]];

				if (c->state == CONN_READ)
					api_conn_read(s, c);
				else if (c->state == CONN_WRITE)
					api_conn_write(s, c);
			}
		}
	}
	for (i = 0; i < API_SRV_MAX_CONNS; i++)
		api_conn_close(s, &s->conns[i]);
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
		api_call_free(c);
	}
	while ((c = s->done)) {
		s->done = c->next;
		api_call_free(c);
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
