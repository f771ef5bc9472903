/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_server_priv.h - state shared by the API server's two files:
 * api_server.c (the thread's loop, the main-loop side, setup) and
 * api_conn.c (what happens on one connection).  Not for other users.
 *
 * Everything here belongs to the API thread except the call lists
 * (s->todo, s->done: under s->lock) and s->stopping (atomic).
 */
#ifndef NIMBUS_VMM_API_SERVER_PRIV_H
#define NIMBUS_VMM_API_SERVER_PRIV_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "vmm/api_server.h"

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

static inline int stopping(struct api_server *s)
{
	return __atomic_load_n(&s->stopping, __ATOMIC_ACQUIRE);
}

static inline uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static inline void efd_kick(int efd)
{
	uint64_t one = 1;

	if (write(efd, &one, sizeof(one)) < 0) {
		/* saturated: a wakeup is pending anyway */
	}
}

/* --- api_conn.c (API thread) --- */

/* Free a call and its buffers; NULL-safe. */
void api_call_free(struct call *c);
/* Close a connection and free its slot (no-op on a free slot). */
void api_conn_close(struct api_server *s, struct conn *c);
/* The connection is readable (CONN_READ) / writable (CONN_WRITE): read
 * and parse, dispatching a complete request to the main loop or
 * answering an error; or write the pending answer.  May close c. */
void api_conn_read(struct api_server *s, struct conn *c);
void api_conn_write(struct api_server *s, struct conn *c);
/* Accept clients while there is a free slot. */
void api_accept_all(struct api_server *s);
/* Route the main loop's answers (s->done) to their connections; an
 * answer whose connection went away or timed out is dropped. */
void api_take_answers(struct api_server *s);
/* Act on every connection whose deadline passed by `now` (ms): 408 for a
 * partial request, 503 for an unanswered call, close an idle one. */
void api_expire(struct api_server *s, uint64_t now);

#endif /* NIMBUS_VMM_API_SERVER_PRIV_H */
