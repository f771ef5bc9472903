// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_virtio_rng.c - virtio-rng request handling
 * (devices/virtio/virtio_rng.c) on rings in guest RAM (see
 * vtransport.h), reading /dev/zero as the entropy source so runs repeat.
 */
#include <stdlib.h>

#include "devices/virtio/virtio_rng.h"
#include "tests/fuzz/vtransport.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_log();
	vt_ram();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtio_dev vd;
	struct vrng *r;
	struct fz f;

	fz_init(&f, data, size);
	if (vrng_create("/dev/zero", &r))
		abort();
	if (!vt_setup(&vd, vrng_info(), vrng_ops(), r, &f))
		vt_run(&vd, NULL, NULL);
	vrng_destroy(r);
	return 0;
}
