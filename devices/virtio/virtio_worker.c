// SPDX-License-Identifier: Apache-2.0
/*
 * virtio_worker.c - the worker threads of the virtio-pci transport: one
 * per device, or one per queue for devices with
 * VIRTIO_DEV_F_QUEUE_WORKERS.  Each waits with epoll on its queues' kick
 * eventfds (ioeventfds), the fds its device asked it to watch and its
 * control eventfd, and calls the device's queue_notify.  Quiescing parks
 * every worker between two batches (see virtio_pci_priv.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define LOG_MOD "virtio-pci"
#include "devices/virtio/virtio_pci_priv.h"
#include "vmm/log.h"
#include "vmm/sandbox.h"

#define WORKER_EVENTS 16

/* ---- workers --------------------------------------------------------- */

/* epoll tags: a queue's kick fd is tagged with its index, a watched fd
 * with WATCH_TAG + index, the control fd with CTL_TAG. */
#define WATCH_TAG 0x10000u
#define CTL_TAG 0x20000u

/* Park while a quiesce is requested.  Returns 1 when told to stop. */
static int worker_checkpoint(struct virtio_worker *w)
{
	struct virtio_dev *vd = w->vd;
	int stop;

	pthread_mutex_lock(&vd->wlock);
	while (vd->pause_req && !vd->stop) {
		if (!w->paused) {
			w->paused = 1;
			vd->nr_paused++;
			pthread_cond_broadcast(&vd->wcond);
		}
		pthread_cond_wait(&vd->wcond, &vd->wlock);
	}
	if (w->paused) {
		w->paused = 0;
		vd->nr_paused--;
	}
	stop = vd->stop;
	pthread_mutex_unlock(&vd->wlock);
	return stop;
}

static int queue_live(struct virtio_dev *vd, uint16_t qidx)
{
	uint8_t st = __atomic_load_n(&vd->status, __ATOMIC_ACQUIRE);
	const struct vq *q = &vd->vqs[qidx];

	return (st & VIRTIO_STATUS_DRIVER_OK) &&
	       !(st & VIRTIO_STATUS_NEEDS_RESET) && q->ready && !q->broken;
}

static void *worker(void *arg)
{
	struct virtio_worker *w = arg;
	struct virtio_dev *vd = w->vd;
	struct epoll_event ev[WORKER_EVENTS];
	eventfd_t v;
	int n;

	n = sandbox_install(vd->host->sandbox,
			    sandbox_virtio_kind(vd->info->device_id));
	if (n) {
		/* Never serve the guest unfiltered: the device stays idle. */
		log_err("%s: cannot install the seccomp filter: %s",
			vd->info->name, strerror(-n));
		goto gone;
	}
	for (;;) {
		n = epoll_wait(w->epfd, ev, WORKER_EVENTS, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_err("%s: worker epoll_wait: %m", vd->info->name);
			break;
		}
		/* Drain the control fd before looking at the flags, so a
		 * request made after this check leaves it readable. */
		(void)eventfd_read(w->ctl_fd, &v);
		if (worker_checkpoint(w))
			break;
		for (int i = 0; i < n; i++) {
			uint32_t tag = ev[i].data.u32;
			uint32_t qidx = tag & (WATCH_TAG - 1);

			if (tag == CTL_TAG || qidx >= vd->info->nr_queues)
				continue;
			/* A kick drained by a reset meanwhile reads EAGAIN;
			 * a watched fd is the device's to drain. */
			if (!(tag & WATCH_TAG) &&
			    eventfd_read(vd->q[qidx].kick_fd, &v))
				continue;
			if (queue_live(vd, (uint16_t)qidx))
				vd->ops->queue_notify(vd->dev_opaque, vd,
						      (uint16_t)qidx);
		}
	}
gone:
	/* Gone for good: count as paused so quiescers never wait. */
	pthread_mutex_lock(&vd->wlock);
	if (!w->paused) {
		w->paused = 1;
		vd->nr_paused++;
	}
	pthread_cond_broadcast(&vd->wcond);
	pthread_mutex_unlock(&vd->wlock);
	return NULL;
}

static int is_worker(struct virtio_dev *vd)
{
	for (uint16_t i = 0; i < vd->nr_workers; i++)
		if (vd->workers[i].running &&
		    pthread_equal(pthread_self(), vd->workers[i].thread))
			return 1;
	return 0;
}

void virtio_pci_quiesce(struct virtio_dev *vd)
{
	if (!vd->started || is_worker(vd))
		return;
	pthread_mutex_lock(&vd->wlock);
	vd->pause_req = 1;
	for (uint16_t i = 0; i < vd->nr_workers; i++)
		(void)eventfd_write(vd->workers[i].ctl_fd, 1);
	while (vd->nr_paused < vd->nr_workers)
		pthread_cond_wait(&vd->wcond, &vd->wlock);
	pthread_mutex_unlock(&vd->wlock);
}

void virtio_pci_resume(struct virtio_dev *vd)
{
	if (!vd->started || is_worker(vd))
		return;
	pthread_mutex_lock(&vd->wlock);
	vd->pause_req = 0;
	pthread_cond_broadcast(&vd->wcond);
	pthread_mutex_unlock(&vd->wlock);
}

static int epoll_add(int epfd, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static struct virtio_worker *queue_worker(struct virtio_dev *vd, uint16_t qidx)
{
	return &vd->workers[vd->nr_workers == 1 ? 0 : qidx];
}

int virtio_queue_watch_fd(struct virtio_dev *vd, uint16_t qidx, int fd)
{
	struct virtio_worker *w;

	if (qidx >= vd->info->nr_queues || fd < 0)
		return -EINVAL;
	w = queue_worker(vd, qidx);
	if (w->epfd < 0)
		return -EAGAIN;
	return epoll_add(w->epfd, fd, WATCH_TAG | qidx);
}

static void worker_close(struct virtio_worker *w)
{
	if (w->ctl_fd >= 0)
		close(w->ctl_fd);
	if (w->epfd >= 0)
		close(w->epfd);
	w->ctl_fd = w->epfd = -1;
}

static int worker_open(struct virtio_dev *vd, struct virtio_worker *w)
{
	int ret;

	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0)
		return -errno;
	w->ctl_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->ctl_fd < 0) {
		ret = -errno;
		worker_close(w);
		return ret;
	}
	ret = epoll_add(w->epfd, w->ctl_fd, CTL_TAG);
	for (uint16_t i = 0; !ret && i < w->nr_q; i++)
		ret = epoll_add(w->epfd, vd->q[w->first_q + i].kick_fd,
				w->first_q + i);
	if (ret)
		worker_close(w);
	return ret;
}

void virtio_workers_stop(struct virtio_dev *vd)
{
	pthread_mutex_lock(&vd->wlock);
	vd->stop = 1;
	for (uint16_t i = 0; i < vd->nr_workers; i++)
		if (vd->workers[i].ctl_fd >= 0)
			(void)eventfd_write(vd->workers[i].ctl_fd, 1);
	pthread_cond_broadcast(&vd->wcond);
	pthread_mutex_unlock(&vd->wlock);
	for (uint16_t i = 0; i < vd->nr_workers; i++) {
		struct virtio_worker *w = &vd->workers[i];

		if (w->running)
			pthread_join(w->thread, NULL);
		w->running = 0;
		worker_close(w);
	}
}

int virtio_pci_start(struct virtio_dev *vd)
{
	sigset_t all, old;
	char name[32];
	int ret = 0;
	uint16_t i;

	if (vd->started)
		return -EBUSY;
	for (i = 0; !ret && i < vd->nr_workers; i++)
		ret = worker_open(vd, &vd->workers[i]);
	if (ret)
		goto err;
	/* Signals are for the main and vCPU threads, never a worker. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; !ret && i < vd->nr_workers; i++) {
		struct virtio_worker *w = &vd->workers[i];

		ret = -pthread_create(&w->thread, NULL, worker, w);
		if (ret)
			break;
		w->running = 1;
		if (vd->nr_workers == 1)
			snprintf(name, sizeof(name), "%s", vd->info->name);
		else
			snprintf(name, sizeof(name), "%.11s/q%u",
				 vd->info->name, i);
		name[15] = '\0'; /* the kernel's limit */
		pthread_setname_np(w->thread, name);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret)
		goto err;
	vd->started = 1;
	return 0;

err:
	virtio_workers_stop(vd);
	vd->stop = 0;
	vd->nr_paused = 0;
	return ret;
}
