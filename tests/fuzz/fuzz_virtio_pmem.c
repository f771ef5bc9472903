// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_virtio_pmem.c - virtio-pmem flush requests
 * (devices/virtio/virtio_pmem.c) on rings in guest RAM (see
 * vtransport.h), over a 2 MiB memfd, shared or with discard_writes.
 */
#include <stdlib.h>
#include <unistd.h>

#include "devices/virtio/virtio_pmem.h"
#include "tests/fuzz/vtransport.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int fd;

	fuzz_quiet_log();
	vt_ram();
	fd = fz_memfd("fuzz-pmem", NULL, 0, path);
	if (fd < 0 || ftruncate(fd, VPMEM_ALIGN))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vpmem_cfg cfg = { .path = path };
	struct virtio_dev vd;
	struct vpmem *p;
	struct fz f;

	fz_init(&f, data, size);
	cfg.discard_writes = fz_u8(&f) & 1;
	if (vpmem_create(&cfg, &p, NULL, 0))
		abort();
	vpmem_set_gpa(p, 1ull << 32);
	if (!vt_setup(&vd, vpmem_info(p), vpmem_ops(), p, &f))
		vt_run(&vd, NULL, NULL);
	vpmem_destroy(p);
	return 0;
}
