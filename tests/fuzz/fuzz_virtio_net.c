// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_virtio_net.c - virtio-net request handling (devices/virtio/
 * virtio_net.c, net_tx.c, net_rx.c, net_ctrl.c): transmit and control
 * queues kicked on the fuzzing thread, the receive path on the device's
 * own receive threads fed with frames through the backend (see
 * vtransport.h for the rings).
 *
 * The backend is a datagram socketpair per queue pair, which keeps frame
 * boundaries as a TAP does, with a host reader thread on the other end.
 * Every frame the device transmits must carry the 12-byte virtio-net
 * header and at most VNET_MAX_FRAME bytes after it.  Script bytes with the top bit set inject a frame for the receive
 * path; the harness then waits (at most 0.3 ms: a receive thread
 * takes a frame in microseconds, and a pair the driver has not enabled
 * never does) for a receive thread to take it, unless the guest posted
 * no buffer for it or the device wants a reset.
 *
 * Starting and joining the receive threads costs more than an input, so
 * one device per configuration is built on first use and kept: each
 * input ends with a device reset, as a driver unbinding does, and the
 * next activates it again.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devices/virtio/virtio_net.h"
#include "tests/fuzz/vtransport.h"

#define MAX_PAIRS 2

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct st {
	int sp[MAX_PAIRS][2]; /* [0] the device's, [1] the host's */
	uint16_t pairs;
	unsigned int offloads, queue_changes;
	uint8_t frame[1600];
	struct virtio_dev *vd;
};

static int set_offload(void *opaque, unsigned int tun_flags)
{
	struct st *s = opaque;

	s->offloads++;
	return 0;
}

static int set_queue(void *opaque, uint16_t pair, int attach)
{
	struct st *s = opaque;

	FUZZ_CHECK(pair < s->pairs);
	__atomic_add_fetch(&s->queue_changes, 1, __ATOMIC_RELAXED);
	return 0;
}

static const struct vnet_backend_ops bops = { set_offload, set_queue };

/* The host's reader, as a host stack reading a TAP: takes what the
 * device sends as it comes, so the backend never fills up (a full
 * backend makes the device wait VNET_TX_RETRY_MS per frame).  Every frame
 * is the header plus at most VNET_MAX_FRAME bytes. */
static void *host_reader(void *arg)
{
	static uint8_t buf[VNET_MAX_FRAME + 64];
	struct st *s = arg;
	struct pollfd pfd[MAX_PAIRS];
	ssize_t n;

	for (uint16_t p = 0; p < s->pairs; p++)
		pfd[p] = (struct pollfd){ .fd = s->sp[p][1], .events = POLLIN };
	for (;;) {
		if (poll(pfd, s->pairs, -1) < 0)
			continue;
		for (uint16_t p = 0; p < s->pairs; p++)
			while ((n = recv(s->sp[p][1], buf, sizeof(buf),
					 MSG_DONTWAIT)) >= 0)
				FUZZ_CHECK(n >= 12 && n <= 12 + VNET_MAX_FRAME);
	}
	return NULL;
}

struct taken {
	int fd; /* the device's end */
	const struct vq *rxq;
	const struct virtio_dev *vd;
};

/* The frame was read, or the receive thread will not read it now: the
 * queue is down or the guest has no buffer posted that it has not taken
 * (a chain it already holds is used within microseconds; the frame is
 * then taken later, which the next looks tolerate). */
static bool frame_taken(void *arg)
{
	const struct taken *t = arg;
	const uint8_t *avail;
	uint16_t idx;
	int pending = 0;

	if (ioctl(t->fd, FIONREAD, &pending) || !pending)
		return true;
	if (!__atomic_load_n(&t->rxq->ready, __ATOMIC_ACQUIRE) ||
	    __atomic_load_n(&t->rxq->broken, __ATOMIC_ACQUIRE) ||
	    __atomic_load_n(&t->vd->needs_reset, __ATOMIC_ACQUIRE))
		return true;
	avail = vt_ram()->host + t->rxq->avail + 2;
	idx = (uint16_t)(avail[0] | avail[1] << 8);
	return __atomic_load_n(&t->rxq->last_avail, __ATOMIC_ACQUIRE) == idx;
}

static int on_event(void *opaque, uint8_t ev)
{
	struct st *s = opaque;
	uint16_t p = (uint16_t)((ev >> 6) & 1) % s->pairs;
	size_t len = 12 + (size_t)(ev & 63) * 24;
	struct taken t = { s->sp[p][0], &s->vd->vq[2 * p], s->vd };

	if (!(ev & 0x80))
		return 0;
	if (send(s->sp[p][1], s->frame, len, MSG_DONTWAIT) == (ssize_t)len)
		fz_wait(frame_taken, &t, 300);
	return 1;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_log();
	vt_ram();
	signal(SIGPIPE, SIG_IGN); /* as vmm/main.c */
	return 0;
}

static struct dev {
	struct st s;
	struct vnet *n;
	struct virtio_dev vd;
} * devs[8];

static struct dev *get_dev(uint8_t flags)
{
	struct dev *d = devs[flags & 7];
	struct vnet_cfg cfg = {
		.mac = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 },
		.bops = &bops,
		.queue_size = 16,
	};
	int fds[MAX_PAIRS];
	pthread_t reader;

	if (d)
		return d;
	d = calloc(1, sizeof(*d));
	if (!d)
		abort();
	d->s.pairs = flags & 1 ? 2 : 1;
	for (uint16_t p = 0; p < d->s.pairs; p++) {
		if (socketpair(AF_UNIX,
			       SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
			       d->s.sp[p]))
			abort();
		fds[p] = d->s.sp[p][0];
	}
	for (size_t i = 0; i < sizeof(d->s.frame); i++)
		d->s.frame[i] = (uint8_t)(i * 7);
	cfg.fds = fds;
	cfg.nr_pairs = d->s.pairs;
	cfg.bopaque = &d->s;
	cfg.mtu = flags & 2 ? 1500 : 0;
	cfg.offload_csum = cfg.offload_tso = cfg.offload_ufo = flags & 4;
	if (vnet_create(&cfg, &d->n, NULL, 0) ||
	    pthread_create(&reader, NULL, host_reader, &d->s))
		abort();
	d->s.vd = &d->vd;
	devs[flags & 7] = d;
	return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dev *d;
	struct fz f;

	fz_init(&f, data, size);
	d = get_dev(fz_u8(&f));
	if (!vt_setup(&d->vd, vnet_info(d->n), vnet_ops(), d->n, &f))
		vt_run(&d->vd, on_event, &d->s);
	else
		vnet_ops()->reset(d->n);
	return 0;
}
