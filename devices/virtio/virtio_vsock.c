// SPDX-License-Identifier: Apache-2.0
/*
 * virtio_vsock.c - virtio-vsock device: setup, the listening socket,
 * config space, activation and reset, and the device thread's loop (see
 * virtio_vsock.h).  Connections are in vsock_conn.c, packets in
 * vsock_pkt.c.
 */
#include <endian.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define LOG_MOD "virtio-vsock"
#include "devices/virtio/vsock_priv.h"
#include "vmm/log.h"
#include "vmm/sandbox.h"

#define VSOCK_PCI_CLASS 0xff0000 /* "does not fit any defined class" */
#define VSOCK_TAG_EFD 1ull
#define VSOCK_TAG_LISTEN 2ull /* conns are tagged with their pointer */

uint64_t vsock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* One line for the caller of the setup functions (errmsg_set). */
#define vs_err(err, errlen, id, ret, ...) \
	errmsg_set(err, errlen, "vsock", id, ret, __VA_ARGS__)

/* ---- the listening socket ---- */

/* A socket file left by a process that is gone may be replaced; a live
 * listener or any other kind of file may not. */
static int vs_clear_path(const char *path, const char *id, char *err,
			 size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, ret;

	if (lstat(path, &st))
		return errno == ENOENT ?
			       0 :
			       vs_err(err, errlen, id, -errno, "%s: %s", path,
				      strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return vs_err(err, errlen, id, -EEXIST,
			      "%s exists and is not a socket", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return vs_err(err, errlen, id, -errno, "socket: %s",
			      strerror(errno));
	memcpy(sa.sun_path, path, strlen(path));
	ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (!ret)
		return vs_err(err, errlen, id, -EADDRINUSE,
			      "%s: another process listens there", path);
	if (unlink(path) && errno != ENOENT)
		return vs_err(err, errlen, id, -errno,
			      "cannot remove stale socket %s: %s", path,
			      strerror(errno));
	return 0;
}

static int vs_listen(struct vsock *v, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int ret;

	/* Room for "_<port>" when connecting to the guest's targets. */
	if (strlen(v->path) + 12 > sizeof(sa.sun_path))
		return vs_err(err, errlen, v->id, -ENAMETOOLONG,
			      "socket path %s is too long", v->path);
	ret = vs_clear_path(v->path, v->id, err, errlen);
	if (ret)
		return ret;
	v->listen_fd =
		socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (v->listen_fd < 0)
		return vs_err(err, errlen, v->id, -errno, "socket: %s",
			      strerror(errno));
	memcpy(sa.sun_path, v->path, strlen(v->path));
	if (bind(v->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(v->listen_fd, 128))
		return vs_err(err, errlen, v->id, -errno,
			      "cannot listen on %s: %s", v->path,
			      strerror(errno));
	return 0;
}

/* ---- the thread ---- */

static int vs_epoll_set(struct vsock *v, int fd, uint64_t tag, int add)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	if (epoll_ctl(v->epfd, add ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, fd, &ev))
		return -errno;
	return 0;
}

/* Take over the device state at an epoch change; false: stop. */
static bool vs_sync(struct vsock *v)
{
	bool go = true;

	pthread_mutex_lock(&v->lock);
	if (v->stop) {
		go = false;
	} else if (v->seen_epoch != v->epoch) {
		vsock_conn_free_all(v);
		v->have_rx = 0;
		v->broken = 0;
		v->rx_notify_on = 0;
		v->rx_pushed = v->tx_pushed = 0;
		v->tvd = v->vd;
		v->running = v->active;
		if (v->running != v->listening &&
		    !vs_epoll_set(v, v->listen_fd, VSOCK_TAG_LISTEN,
				  v->running))
			v->listening = v->running;
		v->seen_epoch = v->epoch;
		pthread_cond_broadcast(&v->cond);
	}
	pthread_mutex_unlock(&v->lock);
	return go;
}

/*
 * One pass of the device loop: take over an epoch change, handle what
 * epoll reports (waiting at most *timeout ms while running, -1: until
 * something happens; nowait: not at all), process the queues, and set
 * *timeout for the next pass.  Returns 1 when more work is pending, 0
 * when idle, -1 when the loop must end.
 */
static int vs_pass(struct vsock *v, int *timeout, bool nowait)
{
	struct epoll_event ev[VSOCK_EPOLL_EVENTS];
	int n, i, wait = -1;
	eventfd_t val;
	bool more;

	if (!vs_sync(v))
		return -1;
	if (nowait)
		wait = 0;
	else if (v->running)
		wait = *timeout;
	n = epoll_wait(v->epfd, ev, VSOCK_EPOLL_EVENTS, wait);
	if (n < 0 && errno != EINTR) {
		log_err("vsock %s: epoll_wait: %m", v->id);
		return -1;
	}
	for (i = 0; i < n; i++) {
		uint64_t tag = ev[i].data.u64;

		if (tag == VSOCK_TAG_EFD)
			(void)eventfd_read(v->efd, &val);
		else if (tag == VSOCK_TAG_LISTEN && v->running)
			vsock_accept(v);
		else if (tag > VSOCK_TAG_LISTEN && v->running)
			vsock_conn_event(v, (struct vsock_conn *)(uintptr_t)tag,
					 ev[i].events);
	}
	if (!v->running)
		return 0;
	more = false;
	vsock_conn_timers(v);
	if (!v->broken) {
		more |= vsock_tx_process(v);
		more |= vsock_rx_process(v);
	}
	/* Deadlines set meanwhile, and what expiring ones queue. */
	*timeout = vsock_conn_timers(v);
	if (!v->broken) {
		if (v->nr_orphan || v->pend_head)
			more |= vsock_rx_process(v);
		vsock_notify(v);
	}
	if (more && !v->broken) {
		*timeout = 0;
		return 1;
	}
	return 0;
}

static void *vs_thread(void *arg)
{
	struct vsock *v = arg;
	int timeout = -1, n;

	n = sandbox_install(v->sandbox, SANDBOX_VIRTIO_VSOCK);
	if (n) {
		/* Never serve the guest unfiltered: the device stays idle. */
		log_err("vsock %s: cannot install the seccomp filter: %s",
			v->id, strerror(-n));
		pthread_mutex_lock(&v->lock);
		v->dead = 1;
		pthread_cond_broadcast(&v->cond);
		pthread_mutex_unlock(&v->lock);
		return NULL;
	}
	while (vs_pass(v, &timeout, false) >= 0)
		;
	pthread_mutex_lock(&v->lock);
	vsock_conn_free_all(v);
	pthread_mutex_unlock(&v->lock);
	return NULL;
}

int vsock_poll(struct vsock *v)
{
	int timeout = 0, ret;

	if (v->started)
		return -EBUSY;
	ret = vs_pass(v, &timeout, true);
	return ret < 0 ? -EIO : ret;
}

/* ---- setup ---- */

static int vs_start(struct vsock *v)
{
	sigset_t all, old;
	int ret;

	v->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (v->epfd < 0)
		return -errno;
	v->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (v->efd < 0)
		return -errno;
	ret = vs_epoll_set(v, v->efd, VSOCK_TAG_EFD, 1);
	if (ret || v->threadless)
		return ret;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = -pthread_create(&v->thread, NULL, vs_thread, v);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret)
		return ret;
	v->started = 1;
	pthread_setname_np(v->thread, "vsock");
	return 0;
}

int vsock_create(const struct vsock_cfg *cfg, struct vsock **out, char *err,
		 size_t errlen)
{
	const char *id = cfg && cfg->id ? cfg->id : "vsock";
	uint16_t qs;
	struct vsock *v;
	int ret;

	if (errlen)
		err[0] = '\0';
	if (!cfg || !out || !cfg->path || !cfg->path[0])
		return vs_err(err, errlen, id, -EINVAL, "no socket path");
	if (cfg->guest_cid < 3 || cfg->guest_cid > 0xfffffffeull)
		return vs_err(err, errlen, id, -EINVAL,
			      "cid %llu is not in 3..4294967294",
			      (unsigned long long)cfg->guest_cid);
	qs = cfg->queue_size ? cfg->queue_size : VSOCK_DEFAULT_QUEUE_SIZE;
	if (qs < 4 || qs > VQ_MAX_SIZE || (qs & (qs - 1)))
		return vs_err(err, errlen, id, -EINVAL,
			      "queue_size %u is not a power of two in 4..%u",
			      qs, VQ_MAX_SIZE);
	v = calloc(1, sizeof(*v));
	if (!v)
		return vs_err(err, errlen, id, -ENOMEM, "out of memory");
	pthread_mutex_init(&v->lock, NULL);
	pthread_cond_init(&v->cond, NULL);
	v->listen_fd = v->epfd = v->efd = -1;
	v->cid = cfg->guest_cid;
	v->sandbox = cfg->sandbox;
	v->threadless = cfg->threadless;
	v->next_host_port = VSOCK_FIRST_HOST_PORT;
	v->info = (struct virtio_dev_info){
		.name = "virtio-vsock",
		.device_id = VIRTIO_ID_VSOCK,
		.pci_class = VSOCK_PCI_CLASS,
		.nr_queues = VSOCK_NR_QUEUES,
		.queue_size_max = qs,
		.config_size = VSOCK_CFG_SIZE,
	};
	v->id = strdup(id);
	v->path = strdup(cfg->path);
	if (!v->id || !v->path) {
		ret = vs_err(err, errlen, id, -ENOMEM, "out of memory");
		goto err_free;
	}
	ret = vs_listen(v, err, errlen);
	if (ret)
		goto err_free;
	ret = vs_start(v);
	if (ret) {
		vs_err(err, errlen, id, ret, "cannot start its thread: %s",
		       strerror(-ret));
		goto err_free;
	}
	log_info("vsock %s: guest cid %llu, host socket %s", v->id,
		 (unsigned long long)v->cid, v->path);
	*out = v;
	return 0;

err_free:
	vsock_destroy(v);
	return ret;
}

const struct virtio_dev_info *vsock_info(struct vsock *v)
{
	return &v->info;
}

_Static_assert(sizeof(struct vsock_counters) % sizeof(uint64_t) == 0,
	       "vsock_counters holds only uint64_t fields");

void vsock_get_counters(struct vsock *v, struct vsock_counters *out)
{
	const uint64_t *src = (const uint64_t *)&v->ctr;
	uint64_t *dst = (uint64_t *)out;
	size_t i;

	for (i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

unsigned int vsock_nr_conns(struct vsock *v)
{
	return __atomic_load_n(&v->nr_conns, __ATOMIC_RELAXED);
}

void vsock_stop(struct vsock *v)
{
	if (!v)
		return;
	if (!v->started) {
		/* Threadless: the caller is the loop; close what it left. */
		pthread_mutex_lock(&v->lock);
		vsock_conn_free_all(v);
		pthread_mutex_unlock(&v->lock);
		return;
	}
	pthread_mutex_lock(&v->lock);
	v->stop = 1;
	pthread_mutex_unlock(&v->lock);
	(void)eventfd_write(v->efd, 1);
	pthread_join(v->thread, NULL);
	v->started = 0;
}

void vsock_destroy(struct vsock *v)
{
	if (!v)
		return;
	vsock_stop(v);
	if (v->listen_fd >= 0) {
		close(v->listen_fd);
		unlink(v->path);
	}
	if (v->efd >= 0)
		close(v->efd);
	if (v->epfd >= 0)
		close(v->epfd);
	pthread_cond_destroy(&v->cond);
	pthread_mutex_destroy(&v->lock);
	free(v->path);
	free(v->id);
	free(v);
}

/* ---- device ops ---- */

static void vs_config_read(void *opaque, uint32_t off, void *data, uint32_t len)
{
	struct vsock *v = opaque;
	uint64_t cid = htole64(v->cid);

	memset(data, 0, len);
	if (off < VSOCK_CFG_SIZE)
		memcpy(data, (uint8_t *)&cid + off,
		       len < VSOCK_CFG_SIZE - off ? len : VSOCK_CFG_SIZE - off);
}

/* Bump the epoch and wait for the thread to take it.  v->lock held. */
static void vs_sync_thread(struct vsock *v)
{
	v->epoch++;
	if (!v->started)
		return;
	(void)eventfd_write(v->efd, 1);
	while (v->seen_epoch != v->epoch && !v->stop && !v->dead)
		pthread_cond_wait(&v->cond, &v->lock);
}

static int vs_activate(void *opaque, struct virtio_dev *vd, uint64_t features)
{
	struct vsock *v = opaque;

	pthread_mutex_lock(&v->lock);
	v->vd = vd;
	v->active = 1;
	vs_sync_thread(v);
	pthread_mutex_unlock(&v->lock);
	return 0;
}

static void vs_reset(void *opaque)
{
	struct vsock *v = opaque;

	pthread_mutex_lock(&v->lock);
	v->active = 0;
	vs_sync_thread(v);
	v->vd = NULL;
	pthread_mutex_unlock(&v->lock);
}

static void vs_queue_notify(void *opaque, struct virtio_dev *vd, uint16_t qidx)
{
	struct vsock *v = opaque;

	/* The thread owns both data queues; the event queue is never used
	 * (buffers the driver posts there stay until a reset). */
	if (qidx == VSOCK_RXQ || qidx == VSOCK_TXQ)
		(void)eventfd_write(v->efd, 1);
}

static const struct virtio_dev_ops vsock_dev_ops = {
	.config_read = vs_config_read,
	.activate = vs_activate,
	.queue_notify = vs_queue_notify,
	.reset = vs_reset,
};

const struct virtio_dev_ops *vsock_ops(void)
{
	return &vsock_dev_ops;
}
