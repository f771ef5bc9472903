// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for devices/virtio/virtio_pmem.c: sizing and mapping the
 * backing file, config space, flush requests (shared and discard_writes
 * mappings) and hostile requests.  The test plays driver and transport.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/virtio/virtio_pmem.h"
#include "tests/lib/vdriver.h"

#define RAM_GPA 0x100000ull
#define RAM_SIZE (1u << 20)
#define QS 16
#define MiB (1ull << 20)

struct virtio_dev {
	struct vq q;
	unsigned int irqs, needs_reset;
};

struct vq *virtio_queue(struct virtio_dev *vd, uint16_t qidx)
{
	return qidx == 0 ? &vd->q : NULL;
}

int virtio_notify_used(struct virtio_dev *vd, uint16_t qidx)
{
	if (vq_should_notify(&vd->q))
		vd->irqs++;
	return 0;
}

void virtio_config_changed(struct virtio_dev *vd)
{
}

void virtio_set_needs_reset(struct virtio_dev *vd)
{
	vd->needs_reset++;
}

struct pfx {
	char path[64];
	struct vdrv_ram ram;
	struct virtio_dev vd;
	struct vdrv_vq dq;
	struct vpmem *p;
	uint64_t next;
};

/* A file of `size` bytes, byte i = i * 7 (mod 256) where written. */
static void make_file(const char *path, uint64_t size)
{
	static uint8_t blk[65536];
	int fd = open(path, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0600);
	uint64_t off;
	size_t i;

	assert_true(fd >= 0);
	for (i = 0; i < sizeof(blk); i++)
		blk[i] = (uint8_t)(i * 7);
	for (off = 0; off < size; off += sizeof(blk))
		assert_int_equal(pwrite(fd, blk,
					size - off < sizeof(blk) ? size - off :
								   sizeof(blk),
					(off_t)off),
				 (ssize_t)(size - off < sizeof(blk) ?
						   size - off :
						   sizeof(blk)));
	close(fd);
}

static struct pfx *pfx_new(uint64_t fsize, uint64_t size, int discard)
{
	struct pfx *f = calloc(1, sizeof(*f));
	struct vpmem_cfg cfg = { .size = size, .discard_writes = discard };
	char err[256];

	assert_non_null(f);
	snprintf(f->path, sizeof(f->path), "/tmp/nimbus-pmem-%d.img", getpid());
	make_file(f->path, fsize);
	cfg.path = f->path;
	assert_int_equal(vpmem_create(&cfg, &f->p, err, sizeof(err)), 0);
	vdrv_ram_init(&f->ram, RAM_GPA, RAM_SIZE);
	vdrv_vq_place(&f->dq, &f->ram, QS, RAM_GPA, RAM_GPA + 0x1000,
		      RAM_GPA + 0x2000);
	vq_init(&f->vd.q, &f->ram.mem);
	assert_int_equal(vq_enable(&f->vd.q, QS, f->dq.desc, f->dq.avail,
				   f->dq.used, 0),
			 0);
	assert_int_equal(vpmem_ops()->activate(f->p, &f->vd, 0), 0);
	f->next = RAM_GPA + 0x10000;
	return f;
}

static int pfx_teardown(void **state)
{
	struct pfx *f = *state;

	if (!f)
		return 0;
	vpmem_destroy(f->p);
	vdrv_ram_destroy(&f->ram);
	unlink(f->path);
	free(f);
	return 0;
}

/* Post a request of the given segments (filled by the caller), kick,
 * return the used length. */
static uint32_t request(struct pfx *f, struct vdrv_seg *s, unsigned int n)
{
	uint16_t head = vdrv_vq_post(&f->dq, s, n, true);

	vpmem_ops()->queue_notify(f->p, &f->vd, 0);
	return vdrv_vq_take_used(&f->dq, head);
}

static uint64_t buf(struct pfx *f, uint32_t len)
{
	uint64_t a = f->next;

	f->next += (len + 7) & ~7u;
	return a;
}

/* A well-formed request of `type`; returns the response code. */
static uint32_t send_req(struct pfx *f, uint32_t type)
{
	struct vdrv_seg s[2] = { { buf(f, 4), 4, 0 }, { buf(f, 4), 4, 1 } };

	vdrv_st32(&f->ram, s[0].gpa, type);
	vdrv_st32(&f->ram, s[1].gpa, 0xdeadbeef);
	assert_int_equal(request(f, s, 2), 4);
	return vdrv_ld32(&f->ram, s[1].gpa);
}

static uint8_t file_byte(const char *path, off_t off)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	uint8_t b = 0;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, off), 1);
	close(fd);
	return b;
}

static void test_config_and_mapping(void **state)
{
	struct pfx *f = pfx_new(4 * MiB, 0, 0);
	const struct virtio_dev_info *info = vpmem_info(f->p);
	uint8_t *m = vpmem_host_addr(f->p);
	uint64_t c[2];

	*state = f;
	assert_int_equal(info->device_id, VIRTIO_ID_PMEM);
	assert_int_equal(info->nr_queues, 1);
	assert_int_equal(info->config_size, 16);
	assert_int_equal(vpmem_size(f->p), 4 * MiB);
	vpmem_set_gpa(f->p, 0x2000000000ull);
	vpmem_ops()->config_read(f->p, 0, c, 16);
	assert_int_equal(le64toh(c[0]), 0x2000000000ull);
	assert_int_equal(le64toh(c[1]), 4 * MiB);
	vpmem_ops()->config_read(f->p, 8, c, 8);
	assert_int_equal(le64toh(c[0]), 4 * MiB);
	/* The mapping is the file. */
	assert_int_equal(m[0], 0);
	assert_int_equal(m[1], 7);
	assert_int_equal(m[4 * MiB - 1], (uint8_t)((65536 - 1) * 7));
}

static void test_write_flush_reaches_file(void **state)
{
	struct pfx *f = pfx_new(2 * MiB, 0, 0);
	uint8_t *m = vpmem_host_addr(f->p);
	struct vpmem_counters c;

	*state = f;
	m[12345] = 0xab; /* a guest store through DAX */
	m[2 * MiB - 1] = 0xcd;
	assert_int_equal(send_req(f, VIRTIO_PMEM_REQ_TYPE_FLUSH),
			 VIRTIO_PMEM_RESP_TYPE_OK);
	assert_int_equal(file_byte(f->path, 12345), 0xab);
	assert_int_equal(file_byte(f->path, 2 * MiB - 1), 0xcd);
	vpmem_get_counters(f->p, &c);
	assert_int_equal(c.flushes, 1);
	assert_int_equal(c.errors, 0);
	assert_true(f->vd.irqs >= 1);
}

static void test_discard_writes(void **state)
{
	struct pfx *f = pfx_new(2 * MiB, 0, 1);
	uint8_t *m = vpmem_host_addr(f->p);

	*state = f;
	assert_int_equal(m[1], 7);
	m[1] = 0x55;
	assert_int_equal(send_req(f, VIRTIO_PMEM_REQ_TYPE_FLUSH),
			 VIRTIO_PMEM_RESP_TYPE_OK);
	assert_int_equal(m[1], 0x55); /* the guest sees its write... */
	assert_int_equal(file_byte(f->path, 1), 7); /* ...the file not */
}

static void test_sizes(void **state)
{
	char path[64], err[256];
	struct vpmem_cfg cfg = { .path = path };
	struct vpmem *p = NULL;
	struct stat st;

	snprintf(path, sizeof(path), "/tmp/nimbus-pmem-size-%d.img", getpid());
	/* Not a multiple of 2 MiB. */
	make_file(path, 3 * MiB);
	assert_int_equal(vpmem_create(&cfg, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "2 MiB"));
	/* size= larger than a writable file: extended. */
	make_file(path, MiB);
	cfg.size = 4 * MiB;
	assert_int_equal(vpmem_create(&cfg, &p, err, sizeof(err)), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 4 * MiB);
	vpmem_destroy(p);
	/* ...but not with discard_writes. */
	make_file(path, MiB);
	cfg.discard_writes = 1;
	assert_int_equal(vpmem_create(&cfg, &p, err, sizeof(err)), -EINVAL);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, MiB);
	/* size= smaller than the file: the head of it. */
	make_file(path, 8 * MiB);
	cfg.size = 2 * MiB;
	assert_int_equal(vpmem_create(&cfg, &p, err, sizeof(err)), 0);
	assert_int_equal(vpmem_size(p), 2 * MiB);
	vpmem_destroy(p);
	unlink(path);
	/* Missing file, a directory, an empty file. */
	assert_int_equal(vpmem_create(&cfg, &p, err, sizeof(err)), -ENOENT);
	cfg.path = "/tmp";
	assert_int_equal(vpmem_create(&cfg, &p, err, sizeof(err)), -EINVAL);
	cfg.path = path;
	cfg.size = 0;
	cfg.discard_writes = 0;
	make_file(path, 0);
	assert_int_equal(vpmem_create(&cfg, &p, err, sizeof(err)), -EINVAL);
	unlink(path);
}

static void test_hostile_requests(void **state)
{
	struct pfx *f = pfx_new(2 * MiB, 0, 0);
	struct vdrv_seg s[3];
	struct vpmem_counters c;

	*state = f;
	/* Unknown type. */
	assert_int_equal(send_req(f, 7), VIRTIO_PMEM_RESP_TYPE_EIO);
	/* Two readable bytes only. */
	s[0] = (struct vdrv_seg){ buf(f, 2), 2, 0 };
	s[1] = (struct vdrv_seg){ buf(f, 4), 4, 1 };
	assert_int_equal(request(f, s, 2), 4);
	assert_int_equal(vdrv_ld32(&f->ram, s[1].gpa),
			 VIRTIO_PMEM_RESP_TYPE_EIO);
	/* No room for the answer. */
	s[0] = (struct vdrv_seg){ buf(f, 4), 4, 0 };
	vdrv_st32(&f->ram, s[0].gpa, 0);
	s[1] = (struct vdrv_seg){ buf(f, 2), 2, 1 };
	assert_int_equal(request(f, s, 2), 0);
	/* The type split over two buffers, the answer over two: fine. */
	s[0] = (struct vdrv_seg){ buf(f, 2), 2, 0 };
	s[1] = (struct vdrv_seg){ buf(f, 2), 2, 0 };
	s[2] = (struct vdrv_seg){ buf(f, 8), 8, 1 };
	vdrv_st16(&f->ram, s[0].gpa, 0);
	vdrv_st16(&f->ram, s[1].gpa, 0);
	vdrv_st32(&f->ram, s[2].gpa, 0xffffffff);
	assert_int_equal(request(f, s, 3), 4);
	assert_int_equal(vdrv_ld32(&f->ram, s[2].gpa), 0);
	vpmem_get_counters(f->p, &c);
	assert_int_equal(c.flushes, 2);
	assert_int_equal(c.errors, 3);
	/* A malformed ring: NEEDS_RESET, no crash. */
	vdrv_st16(&f->ram, f->dq.avail + 2, (uint16_t)(f->dq.avail_idx + 40));
	vpmem_ops()->queue_notify(f->p, &f->vd, 0);
	assert_int_equal(f->vd.needs_reset, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_config_and_mapping,
					  pfx_teardown),
		cmocka_unit_test_teardown(test_write_flush_reaches_file,
					  pfx_teardown),
		cmocka_unit_test_teardown(test_discard_writes, pfx_teardown),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test_teardown(test_hostile_requests, pfx_teardown),
	};

	return cmocka_run_group_tests_name("pmem", tests, NULL, NULL);
}
