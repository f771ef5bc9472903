// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_virtio_vsock.c - virtio-vsock packet handling (devices/virtio/
 * virtio_vsock.c, vsock_pkt.c, vsock_conn.c): the guest's transmit and
 * receive queues (see vtransport.h for the rings) processed by the
 * device's own thread, against a host side with listeners on ports 1024
 * and 1025 (guest-initiated connections) and host clients that connect
 * to the device's socket and send "CONNECT <port>" lines plus data.
 *
 * The device is threadless: after each kick the harness runs the device
 * loop (vsock_poll, the loop body of the device thread) until it is
 * idle, so an input always does the same work.  Script bytes with the
 * top bit set start a host client instead.  One device is built on first
 * use and kept; each input ends with a device reset, which drops every
 * connection.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "devices/virtio/virtio_vsock.h"
#include "tests/fuzz/vtransport.h"

#define MAX_CLIENTS 8

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vsock *vs;
static char dir[64], path[96];
static int listeners[2];
static struct virtio_dev vd;

struct st {
	int clients[MAX_CLIENTS];
	unsigned int nr;
};

static int listen_at(const char *p)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fd, 64))
		abort();
	return fd;
}

/* The sockets and their directory go when the fuzzer exits. */
static void cleanup(void)
{
	char p[128];

	unlink(path);
	for (int i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s_%d", path, 1024 + i);
		unlink(p);
	}
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct vsock_cfg cfg = { .guest_cid = 3,
				 .queue_size = 16,
				 .threadless = true };
	char p[128];

	fuzz_quiet_log();
	vt_ram();
	/* As vmm/main.c does: a peer that went away is an error, not a
	 * signal. */
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/nimbus-fuzz-vsock.XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/v.sock", dir);
	for (int i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s_%d", path, 1024 + i);
		listeners[i] = listen_at(p);
	}
	cfg.path = path;
	if (vsock_create(&cfg, &vs, NULL, 0))
		abort();
	atexit(cleanup);
	return 0;
}

/* Accept and drop what the device connected to our listeners, and
 * read what it sent to host clients, so no buffer stays full. */
static void host_io(struct st *s)
{
	char buf[4096];
	int fd;

	for (int i = 0; i < 2; i++)
		while ((fd = accept4(listeners[i], NULL, NULL,
				     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
			(void)!send(fd, "hello from the host\n", 20,
				    MSG_NOSIGNAL);
			close(fd);
		}
	for (unsigned int i = 0; i < s->nr; i++)
		while (recv(s->clients[i], buf, sizeof(buf), MSG_DONTWAIT) > 0)
			;
}

/* Run the device loop until it is idle (bounded: a guest that keeps it
 * busy forever is the loop's problem, not the harness's). */
static void run_device(void)
{
	for (int i = 0; i < 64; i++)
		if (vsock_poll(vs) <= 0)
			return;
}

static void client(struct st *s, uint8_t ev)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char line[64];
	int fd, n;

	if (s->nr == MAX_CLIENTS)
		return;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0)
		abort();
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return;
	}
	/* A well-formed line most of the time, garbage sometimes. */
	n = ev & 0x40 ? snprintf(line, sizeof(line), "CONNECT %u\n", ev & 63) :
			snprintf(line, sizeof(line), "CONN%cCT x\n", ev);
	(void)!send(fd, line, (size_t)n, MSG_NOSIGNAL);
	(void)!send(fd, "data", 4, MSG_NOSIGNAL);
	s->clients[s->nr++] = fd;
}

static int on_event(void *opaque, uint8_t ev)
{
	struct st *s = opaque;

	host_io(s);
	if (ev & 0x80) {
		client(s, ev);
		run_device();
		return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct st s = { .nr = 0 };
	struct fz f;

	fz_init(&f, data, size);
	if (!vt_setup(&vd, vsock_info(vs), vsock_ops(), vs, &f)) {
		for (unsigned int i = 0; i < vd.nr_script; i++) {
			uint8_t ev = vd.script[i];
			uint16_t q = ev % vd.nr_queues;

			if (on_event(&s, ev) || !vd.vq[q].ready)
				continue;
			vsock_ops()->queue_notify(vs, &vd, q);
			run_device();
		}
		host_io(&s);
		run_device();
	}
	vsock_ops()->reset(vs);
	run_device();
	for (unsigned int i = 0; i < s.nr; i++)
		close(s.clients[i]);
	return 0;
}
