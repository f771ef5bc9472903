/* SPDX-License-Identifier: Apache-2.0 */
/*
 * event.h - the VMM main loop: epoll over file descriptors.
 *
 * One loop per process, run by the main thread.  Users register an fd
 * with a callback; timers are timerfds registered like any fd, signals
 * arrive through a signalfd.  event_add/event_mod/event_del may be called
 * from any thread (epoll_ctl is thread-safe) but the callbacks always run
 * on the loop's thread.  A handler must be removed with event_del before
 * its fd is closed or its opaque freed; removal from inside any callback
 * of the same loop is safe.
 */
#ifndef NIMBUS_VMM_EVENT_H
#define NIMBUS_VMM_EVENT_H

#include <stdint.h>

#define EV_IN 1u
#define EV_OUT 2u

struct event_loop;

/* Called on the loop thread with the ready EV_* bits (EV_IN is also set
 * for hang-up and error so the handler's read() sees it). */
typedef void event_fn(void *opaque, int fd, uint32_t events);

/* Create/destroy a loop.  -errno on failure.  Main thread. */
int event_loop_new(struct event_loop **out);
void event_loop_free(struct event_loop *l);

/* Watch fd for `events`.  -EEXIST if the fd is already watched. */
int event_add(struct event_loop *l, int fd, uint32_t events, event_fn *cb,
	      void *opaque);
/* Change the events watched (0 pauses the fd without forgetting it). */
int event_mod(struct event_loop *l, int fd, uint32_t events);
/* Stop watching fd.  -ENOENT if unknown. */
int event_del(struct event_loop *l, int fd);

/* Run until event_loop_stop() is called; returns 0 or -errno. */
int event_loop_run(struct event_loop *l);
/* Ask event_loop_run to return after the current iteration.  Any thread,
 * async-signal-safe. */
void event_loop_stop(struct event_loop *l);

/* A timerfd helper: arm `fd` (from timerfd_create) to fire once after
 * `ns` nanoseconds (0 disarms).  -errno. */
int event_timer_arm(int fd, uint64_t ns);

#endif /* NIMBUS_VMM_EVENT_H */
