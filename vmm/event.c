// SPDX-License-Identifier: Apache-2.0
/*
 * event.c - epoll main loop.
 *
 * Handlers live in a small array indexed by slot; the epoll data carries
 * the fd and a generation so that an event for a handler deleted earlier
 * in the same epoll_wait batch is recognised as stale and dropped.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define LOG_MOD "event"
#include "vmm/event.h"
#include "vmm/log.h"

struct handler {
	int fd; /* -1: free slot */
	uint32_t gen;
	event_fn *cb;
	void *opaque;
};

struct event_loop {
	int epfd;
	int stop_efd;
	volatile int stop;
	pthread_mutex_t lock; /* protects h[] against event_add from others */
	struct handler *h;
	unsigned int nr, cap;
	uint32_t next_gen;
};

int event_loop_new(struct event_loop **out)
{
	struct event_loop *l = calloc(1, sizeof(*l));
	struct epoll_event ev = { .events = EPOLLIN };
	int ret;

	if (!l)
		return -ENOMEM;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		ret = -errno;
		goto err_free;
	}
	l->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->stop_efd < 0) {
		ret = -errno;
		goto err_epoll;
	}
	ev.data.u64 = UINT64_MAX;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->stop_efd, &ev)) {
		ret = -errno;
		goto err_efd;
	}
	pthread_mutex_init(&l->lock, NULL);
	*out = l;
	return 0;

err_efd:
	close(l->stop_efd);
err_epoll:
	close(l->epfd);
err_free:
	free(l);
	return ret;
}

void event_loop_free(struct event_loop *l)
{
	if (!l)
		return;
	close(l->stop_efd);
	close(l->epfd);
	pthread_mutex_destroy(&l->lock);
	free(l->h);
	free(l);
}

static uint32_t to_epoll(uint32_t events)
{
	return (events & EV_IN ? EPOLLIN : 0) |
	       (events & EV_OUT ? EPOLLOUT : 0);
}

static int find(const struct event_loop *l, int fd)
{
	unsigned int i;

	for (i = 0; i < l->nr; i++)
		if (l->h[i].fd == fd)
			return (int)i;
	return -1;
}

static uint64_t pack(unsigned int slot, uint32_t gen)
{
	return (uint64_t)gen << 32 | slot;
}

int event_add(struct event_loop *l, int fd, uint32_t events, event_fn *cb,
	      void *opaque)
{
	struct epoll_event ev = { .events = to_epoll(events) };
	unsigned int slot;
	int ret = 0;

	pthread_mutex_lock(&l->lock);
	if (find(l, fd) >= 0) {
		ret = -EEXIST;
		goto out;
	}
	for (slot = 0; slot < l->nr; slot++)
		if (l->h[slot].fd < 0)
			break;
	if (slot == l->nr) {
		if (l->nr == l->cap) {
			unsigned int cap = l->cap ? l->cap * 2 : 16;
			struct handler *h = realloc(l->h, cap * sizeof(*h));

			if (!h) {
				ret = -ENOMEM;
				goto out;
			}
			l->h = h;
			l->cap = cap;
		}
		l->nr++;
	}
	l->h[slot] = (struct handler){ fd, ++l->next_gen, cb, opaque };
	ev.data.u64 = pack(slot, l->h[slot].gen);
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		ret = -errno;
		l->h[slot].fd = -1;
	}
out:
	pthread_mutex_unlock(&l->lock);
	return ret;
}

int event_mod(struct event_loop *l, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = to_epoll(events) };
	int slot, ret = 0;

	pthread_mutex_lock(&l->lock);
	slot = find(l, fd);
	if (slot < 0) {
		ret = -ENOENT;
		goto out;
	}
	ev.data.u64 = pack((unsigned int)slot, l->h[slot].gen);
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev))
		ret = -errno;
out:
	pthread_mutex_unlock(&l->lock);
	return ret;
}

int event_del(struct event_loop *l, int fd)
{
	int slot, ret = 0;

	pthread_mutex_lock(&l->lock);
	slot = find(l, fd);
	if (slot < 0) {
		ret = -ENOENT;
		goto out;
	}
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	l->h[slot].fd = -1;
	l->h[slot].gen = 0;
out:
	pthread_mutex_unlock(&l->lock);
	return ret;
}

static void dispatch(struct event_loop *l, const struct epoll_event *e)
{
	unsigned int slot = (unsigned int)(e->data.u64 & 0xffffffffu);
	uint32_t gen = (uint32_t)(e->data.u64 >> 32);
	uint32_t events = 0;
	struct handler h;

	pthread_mutex_lock(&l->lock);
	if (slot >= l->nr || l->h[slot].fd < 0 || l->h[slot].gen != gen) {
		pthread_mutex_unlock(&l->lock);
		return; /* deleted earlier in this batch */
	}
	h = l->h[slot];
	pthread_mutex_unlock(&l->lock);
	if (e->events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP))
		events |= EV_IN;
	if (e->events & EPOLLOUT)
		events |= EV_OUT;
	h.cb(h.opaque, h.fd, events);
}

int event_loop_run(struct event_loop *l)
{
	struct epoll_event evs[32];
	uint64_t v;
	int i, n;

	while (!l->stop) {
		n = epoll_wait(l->epfd, evs, 32, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (i = 0; i < n && !l->stop; i++) {
			if (evs[i].data.u64 == UINT64_MAX) {
				if (read(l->stop_efd, &v, sizeof(v)) < 0) {
					/* nonblocking: already drained */
				}
				continue;
			}
			dispatch(l, &evs[i]);
		}
	}
	l->stop = 0;
	return 0;
}

void event_loop_stop(struct event_loop *l)
{
	uint64_t one = 1;

	l->stop = 1;
	if (write(l->stop_efd, &one, sizeof(one)) < 0) {
		/* counter saturated: the loop is waking anyway */
	}
}

int event_timer_arm(int fd, uint64_t ns)
{
	struct itimerspec its = { 0 };

	its.it_value.tv_sec = (time_t)(ns / 1000000000ull);
	its.it_value.tv_nsec = (long)(ns % 1000000000ull);
	if (timerfd_settime(fd, 0, &its, NULL))
		return -errno;
	return 0;
}
