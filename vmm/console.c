// SPDX-License-Identifier: Apache-2.0
/*
 * console.c - console backends and input back-pressure.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#define LOG_MOD "console"
#include "vmm/console.h"
#include "vmm/log.h"

#define CONSOLE_BUF 4096

struct console {
	int mode;
	struct event_loop *loop;
	int in_fd; /* read side, -1 if none */
	int out_fd; /* write side, -1 discards */
	int listen_fd; /* socket mode */
	int space_efd; /* sink has room again */
	int in_watched; /* in_fd registered with the loop */
	int tty_raw; /* restore `saved` on close */
	struct termios saved;
	char *sock_path;
	pthread_mutex_t out_lock;
	console_sink_fn *sink;
	void *sink_opaque;
	uint8_t pending[CONSOLE_BUF];
	size_t npending, off;
};

static void input_watch(struct console *c, int on)
{
	if (c->in_fd >= 0 && c->in_watched)
		event_mod(c->loop, c->in_fd, on ? EV_IN : 0);
}

/* Offer pending input to the sink; resume reading once all is taken. */
static void flush_pending(struct console *c)
{
	size_t n;

	if (!c->sink)
		return;
	while (c->off < c->npending) {
		n = c->sink(c->sink_opaque, c->pending + c->off,
			    c->npending - c->off);
		if (!n)
			break;
		c->off += n;
	}
	if (c->off == c->npending) {
		c->off = c->npending = 0;
		input_watch(c, 1);
	}
}

static void drop_client(struct console *c)
{
	pthread_mutex_lock(&c->out_lock);
	if (c->in_watched)
		event_del(c->loop, c->in_fd);
	c->in_watched = 0;
	close(c->in_fd);
	c->in_fd = c->out_fd = -1;
	pthread_mutex_unlock(&c->out_lock);
}

static void on_input(void *opaque, int fd, uint32_t events)
{
	struct console *c = opaque;
	ssize_t n;

	n = read(fd, c->pending, sizeof(c->pending));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* EOF: a socket client left, or stdin closed. */
		if (c->mode == CONSOLE_SOCKET) {
			drop_client(c);
		} else if (c->in_watched) {
			event_del(c->loop, fd);
			c->in_watched = 0;
		}
		return;
	}
	c->npending = (size_t)n;
	c->off = 0;
	input_watch(c, 0);
	flush_pending(c);
}

static void on_space(void *opaque, int fd, uint32_t events)
{
	struct console *c = opaque;
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0) {
		/* nonblocking eventfd already drained */
	}
	flush_pending(c);
}

static void on_accept(void *opaque, int fd, uint32_t events)
{
	struct console *c = opaque;
	int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (cfd < 0)
		return;
	if (c->in_fd >= 0) {
		/* One client at a time, as a serial line has one end. */
		close(cfd);
		return;
	}
	pthread_mutex_lock(&c->out_lock);
	c->in_fd = c->out_fd = cfd;
	pthread_mutex_unlock(&c->out_lock);
	if (!event_add(c->loop, cfd, EV_IN, on_input, c))
		c->in_watched = 1;
}

static int open_tty(struct console *c, char *err, size_t errlen)
{
	struct termios raw;

	c->out_fd = STDOUT_FILENO;
	c->in_fd = STDIN_FILENO;
	if (isatty(STDIN_FILENO) && !tcgetattr(STDIN_FILENO, &c->saved)) {
		raw = c->saved;
		cfmakeraw(&raw);
		/* Keep output post-processing so host newlines stay sane. */
		raw.c_oflag |= OPOST;
		if (!tcsetattr(STDIN_FILENO, TCSANOW, &raw))
			c->tty_raw = 1;
	}
	return 0;
}

static int open_file(struct console *c, const char *path, char *err,
		     size_t errlen)
{
	c->out_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (c->out_fd < 0) {
		snprintf(err, errlen, "--serial file=%s: %s", path,
			 strerror(errno));
		return -errno;
	}
	return 0;
}

static int open_pty(struct console *c, char *err, size_t errlen)
{
	struct termios raw;
	int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0 || grantpt(fd) || unlockpt(fd)) {
		snprintf(err, errlen, "--serial pty: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	if (!tcgetattr(fd, &raw)) {
		cfmakeraw(&raw);
		tcsetattr(fd, TCSANOW, &raw);
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	c->in_fd = c->out_fd = fd;
	/* Operators find the pty from this line (CH logs it likewise). */
	log_msg(LOG_WARN, LOG_MOD, "serial console is %s", ptsname(fd));
	return 0;
}

static int open_socket(struct console *c, const char *path, char *err,
		       size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "--serial socket=%s: path too long",
			 path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fd, 1)) {
		int e = errno;

		snprintf(err, errlen, "--serial socket=%s: %s", path,
			 strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	c->listen_fd = fd;
	c->sock_path = strdup(path);
	return 0;
}

int console_open(const struct console_config *cc, struct event_loop *loop,
		 struct console **out, char *err, size_t errlen)
{
	struct console *c = calloc(1, sizeof(*c));
	int ret = 0;

	if (!c)
		return -ENOMEM;
	c->mode = cc->mode;
	c->loop = loop;
	c->in_fd = c->out_fd = c->listen_fd = -1;
	pthread_mutex_init(&c->out_lock, NULL);
	c->space_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->space_efd < 0) {
		ret = -errno;
		goto fail;
	}
	switch (cc->mode) {
	case CONSOLE_TTY:
		ret = open_tty(c, err, errlen);
		break;
	case CONSOLE_FILE:
		ret = open_file(c, cc->path, err, errlen);
		break;
	case CONSOLE_PTY:
		ret = open_pty(c, err, errlen);
		break;
	case CONSOLE_SOCKET:
		ret = open_socket(c, cc->path, err, errlen);
		break;
	default:
		break; /* off / null: output discarded, no input */
	}
	if (ret)
		goto fail;
	ret = event_add(loop, c->space_efd, EV_IN, on_space, c);
	if (ret)
		goto fail;
	if (c->listen_fd >= 0) {
		ret = event_add(loop, c->listen_fd, EV_IN, on_accept, c);
		if (ret)
			goto fail;
	}
	/* Regular-file or /dev/null stdin cannot be polled: skip it. */
	if (c->in_fd >= 0 && !event_add(loop, c->in_fd, EV_IN, on_input, c))
		c->in_watched = 1;
	*out = c;
	return 0;

fail:
	if (!err[0])
		snprintf(err, errlen, "console: %s", strerror(-ret));
	console_close(c);
	return ret;
}

void console_set_sink(struct console *c, console_sink_fn *sink, void *opaque)
{
	c->sink = sink;
	c->sink_opaque = opaque;
	if (sink)
		flush_pending(c);
}

void console_output(void *opaque, const uint8_t *buf, size_t len)
{
	struct console *c = opaque;
	ssize_t n;

	pthread_mutex_lock(&c->out_lock);
	while (len && c->out_fd >= 0) {
		if (c->mode == CONSOLE_SOCKET)
			n = send(c->out_fd, buf, len,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		else
			n = write(c->out_fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* a stalled reader must not stall the vCPU */
		buf += n;
		len -= (size_t)n;
	}
	pthread_mutex_unlock(&c->out_lock);
}

void console_rx_space(void *opaque)
{
	struct console *c = opaque;
	uint64_t one = 1;

	if (write(c->space_efd, &one, sizeof(one)) < 0) {
		/* counter saturated: a wakeup is already pending */
	}
}

void console_close(struct console *c)
{
	if (!c)
		return;
	if (c->in_watched)
		event_del(c->loop, c->in_fd);
	if (c->space_efd >= 0) {
		event_del(c->loop, c->space_efd);
		close(c->space_efd);
	}
	if (c->listen_fd >= 0) {
		event_del(c->loop, c->listen_fd);
		close(c->listen_fd);
		if (c->sock_path)
			unlink(c->sock_path);
	}
	if (c->tty_raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &c->saved);
	if (c->mode == CONSOLE_FILE || c->mode == CONSOLE_PTY ||
	    c->mode == CONSOLE_SOCKET) {
		if (c->out_fd >= 0)
			close(c->out_fd);
	}
	free(c->sock_path);
	pthread_mutex_destroy(&c->out_lock);
	free(c);
}
