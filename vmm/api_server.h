/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_server.h - the REST API's server thread: HTTP/1.1 over a UNIX
 * socket (--api-socket path=PATH|fd=N).
 *
 * One thread owns the listening socket and every connection.  It never
 * blocks on a client: sockets are non-blocking and multiplexed with
 * poll(); each connection buffers its request, then its answer, and
 * timeouts close those that stall (API_SRV_REQUEST_MS to send a request,
 * API_SRV_IDLE_MS idle between keep-alive requests, API_SRV_WRITE_MS to
 * take an answer).  Malformed HTTP is answered by the thread itself
 * (api_http.h decides the 4xx/5xx) with {"error": "..."} and the
 * connection is closed.
 *
 * A well-formed request is copied into a call and queued for the main
 * loop (an eventfd registered with event_add wakes it); the handler runs
 * there, fills the response, and the thread writes it back.  So the
 * thread never touches devices or VM state, and handlers never touch
 * sockets.  A connection waits for its answer while others go on; a
 * handler that takes longer than API_SRV_ANSWER_MS gets its client a 503
 * (its late answer is dropped).  At most API_SRV_MAX_CONNS connections
 * are open at once; more wait in the listen backlog.
 */
#ifndef NIMBUS_VMM_API_SERVER_H
#define NIMBUS_VMM_API_SERVER_H

#include <stddef.h>

#include "vmm/api_http.h"
#include "vmm/config.h"
#include "vmm/event.h"

#define API_SRV_MAX_CONNS 256u
#define API_SRV_REQUEST_MS 10000u
#define API_SRV_IDLE_MS 60000u
#define API_SRV_WRITE_MS 10000u
#define API_SRV_ANSWER_MS 30000u

/* A request as the handler sees it; valid during the handler call. */
struct api_request {
	int method; /* enum api_http_method */
	const char *method_str;
	const char *path; /* "/api/v1/vm.info" */
	const char *body; /* NUL-terminated copy of the body */
	size_t body_len;
};

/* What the handler fills in.  body is malloc'd (or NULL) and becomes the
 * server's; ctype NULL means application/json. */
struct api_response {
	int status;
	char *body;
	size_t body_len;
	const char *ctype; /* static storage */
};

/* Main loop thread; must fill resp->status (and optionally the body). */
typedef void api_handler_fn(void *opaque, const struct api_request *req,
			    struct api_response *resp);

struct sandbox;

struct api_server_cfg {
	const struct endpoint_config *ep; /* path= or fd= */
	struct event_loop *loop; /* where handlers run */
	api_handler_fn *handler;
	void *opaque;
	/* Seccomp filters; the thread installs SANDBOX_API (NULL: none). */
	const struct sandbox *sandbox;
	/* Timeouts in ms; 0 = the API_SRV_*_MS defaults (tests shorten). */
	unsigned int request_ms, idle_ms, write_ms, answer_ms;
};

struct api_server;

/*
 * Create the socket (path: a stale socket file there is replaced, any
 * other file is an error; fd: an open socket, listened on if it is not
 * yet), register with the loop and start the thread.  On failure a
 * one-line reason is in err and nothing is left.  Main thread.
 */
int api_server_start(const struct api_server_cfg *cfg, struct api_server **out,
		     char *err, size_t errlen);

/*
 * Stop: queued requests the main loop has not run get 503, answers
 * already made are written (for at most one second), then the thread
 * ends, every socket is closed and the socket file removed.  NULL-safe.
 * Main thread, outside any handler.
 */
void api_server_stop(struct api_server *s);

/*
 * A JSON error response: status and body {"error": msg}.  The body is
 * allocated; on allocation failure it is left NULL.  Any thread.
 */
void api_response_error(struct api_response *resp, int status, const char *fmt,
			...) __attribute__((format(printf, 3, 4)));

#endif /* NIMBUS_VMM_API_SERVER_H */
