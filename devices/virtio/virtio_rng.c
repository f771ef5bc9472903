// SPDX-License-Identifier: Apache-2.0
/*
 * virtio_rng.c - virtio entropy device (virtio spec 5.4).
 *
 * Runs on the transport's worker thread: each kick drains the request
 * queue, filling every device-writable buffer from the source file.  See
 * virtio_rng.h for the bounds on how long that may take.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_MOD "virtio-rng"
#include "devices/virtio/virtio_rng.h"
#include "vmm/log.h"

#define VRNG_PCI_CLASS 0xff0000 /* "does not fit any defined class" */

struct vrng {
	int fd;
	struct log_rl rl;
	struct vq_chain chain; /* worker only; too big for the stack */
};

static const struct virtio_dev_info vrng_dev_info = {
	.name = "virtio-rng",
	.device_id = VIRTIO_ID_RNG,
	.pci_class = VRNG_PCI_CLASS,
	.features = 0,
	.nr_queues = 1,
	.queue_size_max = VRNG_QUEUE_SIZE_MAX,
	.config_size = 0,
};

/* One read(2) into `buf`; a dry non-blocking source gets one bounded
 * wait.  Returns the bytes read (0 on EOF or error). */
static uint32_t src_read(struct vrng *r, void *buf, uint32_t len)
{
	struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
	int waited = 0, eintr = 0;
	ssize_t n;

	for (;;) {
		n = read(r->fd, buf, len);
		if (n >= 0)
			return (uint32_t)n;
		if (errno == EINTR && eintr++ < 3)
			continue;
		if (errno == EAGAIN && !waited) {
			waited = 1;
			if (poll(&pfd, 1, VRNG_WAIT_MS) > 0)
				continue;
			return 0;
		}
		if (errno != EAGAIN)
			log_ratelimited(&r->rl, LOG_WARN, "source read: %m");
		return 0;
	}
}

/* Fill the chain's writable buffers in order; stop at a short read or at
 * VRNG_MAX_REQ.  Returns the bytes written. */
static uint32_t fill(struct vrng *r, const struct vq_chain *c)
{
	uint32_t total = 0;

	for (uint16_t i = 0; i < c->nr && total < VRNG_MAX_REQ; i++) {
		const struct vq_buf *b = &c->buf[i];
		uint32_t want, got;

		if (!b->write || !b->len)
			continue;
		want = b->len < VRNG_MAX_REQ - total ? b->len :
						       VRNG_MAX_REQ - total;
		got = src_read(r, b->addr, want);
		total += got;
		if (got < want)
			break;
	}
	return total;
}

static void vrng_queue_notify(void *opaque, struct virtio_dev *vd,
			      uint16_t qidx)
{
	struct vrng *r = opaque;
	struct vq *q = virtio_queue(vd, qidx);
	int pushed = 0, ret;

	if (!q)
		return;
	for (;;) {
		/* No kicks while draining; re-enable, then re-check so a
		 * buffer added in between is not stranded. */
		vq_enable_notify(q, false);
		while ((ret = vq_pop(q, &r->chain)) == 0) {
			ret = vq_push(q, r->chain.head, fill(r, &r->chain));
			if (ret)
				break;
			pushed = 1;
		}
		if (ret != -EAGAIN) {
			/* Malformed ring: vq_pop has logged it. */
			virtio_set_needs_reset(vd);
			break;
		}
		if (!vq_enable_notify(q, true))
			break;
	}
	if (pushed)
		virtio_notify_used(vd, qidx);
}

static int vrng_activate(void *opaque, struct virtio_dev *vd, uint64_t features)
{
	return 0;
}

static void vrng_reset(void *opaque)
{
	/* Requests complete synchronously: nothing is in flight. */
}

static const struct virtio_dev_ops vrng_dev_ops = {
	.activate = vrng_activate,
	.queue_notify = vrng_queue_notify,
	.reset = vrng_reset,
};

const struct virtio_dev_info *vrng_info(void)
{
	return &vrng_dev_info;
}

const struct virtio_dev_ops *vrng_ops(void)
{
	return &vrng_dev_ops;
}

int vrng_create(const char *src_path, struct vrng **out)
{
	const char *path = src_path ? src_path : VRNG_DEFAULT_SRC;
	struct vrng *r;
	struct stat st;
	int ret;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (r->fd < 0) {
		ret = -errno;
		log_err("cannot open entropy source %s: %m", path);
		goto err_free;
	}
	if (fstat(r->fd, &st)) {
		ret = -errno;
		log_err("cannot stat entropy source %s: %m", path);
		goto err_close;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = -EISDIR;
		log_err("entropy source %s is a directory", path);
		goto err_close;
	}
	*out = r;
	return 0;

err_close:
	close(r->fd);
err_free:
	free(r);
	return ret;
}

void vrng_destroy(struct vrng *r)
{
	if (!r)
		return;
	close(r->fd);
	free(r);
}
