// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_virtio_console.c - virtio-console request handling
 * (devices/virtio/virtio_console.c): transmit and receive queues on
 * rings in guest RAM (see vtransport.h), with host input (vcon_rx)
 * interleaved with the guest's kicks.  Host input is never dropped:
 * vcon_rx takes at most what it is offered.
 */
#include <stdlib.h>

#include "devices/virtio/virtio_console.h"
#include "tests/fuzz/vtransport.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct st {
	struct vcon *c;
	size_t out;
	unsigned int spaces;
};

static void on_tx(void *opaque, const uint8_t *buf, size_t len)
{
	struct st *s = opaque;

	FUZZ_CHECK(buf && len);
	s->out += len;
}

static void on_space(void *opaque)
{
	struct st *s = opaque;

	s->spaces++;
}

/* Script bytes with the top bit set are host input of (ev & 63) bytes. */
static int on_event(void *opaque, uint8_t ev)
{
	static const uint8_t text[64] = "host input for the guest, 0123456789 "
					"abcdefghijklmnopqrstuvwxyz";
	struct st *s = opaque;
	size_t n = ev & 63;

	if (!(ev & 0x80))
		return 0;
	FUZZ_CHECK(vcon_rx(s->c, text, n) <= n);
	return 1;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_log();
	vt_ram();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct st s = { 0 };
	struct vcon_cfg cfg = { .tx = on_tx,
				.rx_space = on_space,
				.opaque = &s };
	struct virtio_dev vd;
	struct fz f;

	fz_init(&f, data, size);
	if (vcon_create(&cfg, &s.c))
		abort();
	if (!vt_setup(&vd, vcon_info(s.c), vcon_ops(), s.c, &f))
		vt_run(&vd, on_event, &s);
	vcon_destroy(s.c);
	return 0;
}
