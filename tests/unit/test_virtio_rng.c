// SPDX-License-Identifier: Apache-2.0
/*
 * test_virtio_rng.c - virtio-rng behind the virtio-pci transport, driven
 * like the Linux driver: config space through pci_cfg_rw, registers
 * through the MMIO bus, rings in malloc'd guest RAM, MSI-X vectors on real
 * eventfds, kicks through a recorded ioeventfd or a trapped notify write.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>

#include "devices/virtio/virtio_pci.h"
#include "devices/virtio/virtio_rng.h"
#include "tests/lib/vdriver.h"
#include "vmm/log.h"

#define RAM_SIZE (1u << 20)
#define NVEC 2
#define QSIZE 16
#define DESC 0x10000ull
#define AVAIL 0x11000ull
#define USED 0x12000ull
#define BUF 0x20000ull

#define CC_STATUS VDRV_CC_STATUS
#define DESC_F_NEXT VDRV_DESC_F_NEXT
#define DESC_F_WRITE VDRV_DESC_F_WRITE

struct fx {
	struct vdrv_plat p;
	struct vdrv_dev d;
	struct vdrv_vq q;
	uint8_t *ram; /* p.ram.host: guest RAM at GPA 0 */
	int *efd; /* p.efd */
	struct vrng *rng;
	struct virtio_dev *vd;
	char path[64];
	int fifo_w;
};

static uint32_t cfgrd(struct fx *f, uint32_t off, uint32_t len)
{
	return vdrv_cfg_rd(&f->d, off, len);
}

static uint64_t cc(struct fx *f, uint32_t reg, uint32_t len)
{
	return vdrv_cc_rd(&f->d, reg, len);
}

static void ccw(struct fx *f, uint32_t reg, uint32_t len, uint64_t v)
{
	vdrv_cc_wr(&f->d, reg, len, v);
}

static uint16_t used_idx(struct fx *f)
{
	return vdrv_vq_used_idx(&f->q);
}

static uint32_t used_len(struct fx *f, uint16_t i)
{
	uint32_t id, len;

	vdrv_vq_used_elem(&f->q, i, &id, &len);
	return len;
}

#define WAIT_FOR VDRV_WAIT_FOR

static int efd_fired(int fd, int ms)
{
	return vdrv_efd_fired(fd, ms);
}

static void put_desc(struct fx *f, uint16_t i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	vdrv_vq_desc(&f->q, i, addr, len, flags, next);
}

/* Make `head` available and ask for an interrupt on its completion. */
static void publish(struct fx *f, uint16_t head)
{
	vdrv_vq_publish(&f->q, head, true);
}

static void kick(struct fx *f)
{
	vdrv_kick(&f->d, 0);
}

/* Linux's probe: reset, features, MSI-X, queue 0, DRIVER_OK. */
static void drv_init(struct fx *f)
{
	uint64_t feat = vdrv_features(&f->d);

	assert_true(feat & 1ull << VIRTIO_F_VERSION_1);
	vdrv_vq_place(&f->q, f->p.ram, QSIZE, DESC, AVAIL, USED);
	vdrv_driver_init(&f->d, feat, &f->q, 1, 0, 1);
}

/* One writable buffer; wait for completion and the queue interrupt.
 * Returns the used length. */
static uint32_t request(struct fx *f, uint64_t addr, uint32_t len)
{
	uint16_t before = used_idx(f);
	struct vdrv_seg s = { addr, len, 1 };

	vdrv_vq_post(&f->q, &s, 1, true);
	kick(f);
	assert_true(vdrv_vq_wait_used(&f->q, (uint16_t)(before + 1)));
	assert_true(efd_fired(f->efd[1], 3000));
	return used_len(f, before);
}

static int fx_up(void **state, const char *src, int ioev_mode)
{
	struct vdrv_plat_cfg pc = { .ram_size = RAM_SIZE,
				    .nvec = NVEC,
				    .gsi_base = 24,
				    .ioev_mode = ioev_mode };
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->fifo_w = -1;
	vdrv_plat_init(&f->p, &pc);
	f->ram = f->p.ram->host;
	f->efd = f->p.efd;
	assert_int_equal(vrng_create(src, &f->rng), 0);
	assert_int_equal(virtio_pci_create(vrng_info(), vrng_ops(), f->rng,
					   &f->p.host, &f->vd),
			 0);
	assert_int_equal(virtio_pci_start(f->vd), 0);
	vdrv_dev_plug(&f->d, &f->p, virtio_pci_dev(f->vd));
	assert_int_equal(f->d.mult, 4);
	drv_init(f);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return fx_up(state, NULL, 0);
}

static int setup_noioev(void **state)
{
	return fx_up(state, NULL, 1);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	vdrv_plat_remove_bus(&f->p);
	virtio_pci_destroy(f->vd);
	vrng_destroy(f->rng);
	if (f->fifo_w >= 0)
		close(f->fifo_w);
	if (f->path[0])
		unlink(f->path);
	vdrv_plat_destroy(&f->p);
	free(f);
	return 0;
}

/* ---- tests ----------------------------------------------------------- */

static void test_identity(void **state)
{
	struct fx *f = *state;

	assert_int_equal(cfgrd(f, 0, 2), 0x1af4);
	assert_int_equal(cfgrd(f, 2, 2), 0x1040 + VIRTIO_ID_RNG);
	assert_int_equal(cfgrd(f, 8, 1), 1);
	assert_false(f->d.vcaps_seen & 1u << 4); /* no config space */
	assert_int_equal(cc(f, 0x12, 2), 1); /* num_queues */
	assert_int_equal(vrng_info()->device_id, VIRTIO_ID_RNG);
}

static void test_entropy(void **state)
{
	struct fx *f = *state;
	uint8_t a[64], zero[64] = { 0 };

	memset(f->ram + BUF, 0, 128);
	assert_int_equal(request(f, BUF, 64), 64);
	assert_int_equal(request(f, BUF + 64, 64), 64);
	memcpy(a, f->ram + BUF, 64);
	/* 64 random bytes: never all zero, never equal to the next 64. */
	assert_memory_not_equal(a, zero, 64);
	assert_memory_not_equal(f->ram + BUF + 64, zero, 64);
	assert_memory_not_equal(a, f->ram + BUF + 64, 64);
	/* The byte after the buffer was not touched. */
	assert_int_equal(f->ram[BUF + 128], 0);
}

static void test_entropy_noioev(void **state)
{
	test_entropy(state);
}

/* Make a temp file source holding `len` known bytes; fixture on it. */
static struct fx *fx_on_file(void **st, uint8_t *data, size_t len)
{
	char path[] = "/tmp/test_vrng_XXXXXX";
	struct fx *f;
	int fd;

	for (size_t i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 7 + 1);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	fx_up(st, path, 0);
	f = *st;
	strcpy(f->path, path);
	return f;
}

/* A file source: read in order, then a short read, then EOF (0 bytes). */
static void test_file_source(void **state)
{
	uint8_t data[100];
	struct fx *f = fx_on_file(state, data, sizeof(data));

	assert_int_equal(request(f, BUF, 64), 64);
	assert_memory_equal(f->ram + BUF, data, 64);
	memset(f->ram + BUF, 0xee, 64);
	assert_int_equal(request(f, BUF, 64), 36);
	assert_memory_equal(f->ram + BUF, data + 64, 36);
	assert_int_equal(f->ram[BUF + 36], 0xee);
	assert_int_equal(request(f, BUF, 64), 0);
	assert_int_equal(f->ram[BUF], data[64]); /* EOF wrote nothing */
}

/* Readable buffers are skipped; writable ones are filled in order. */
static void test_mixed_chain(void **state)
{
	uint8_t data[100];
	struct fx *f = fx_on_file(state, data, sizeof(data));
	uint16_t before = used_idx(f);

	memset(f->ram + BUF, 0xaa, 16);
	put_desc(f, 0, BUF, 16, DESC_F_NEXT, 1);
	put_desc(f, 1, BUF + 0x100, 10, DESC_F_WRITE | DESC_F_NEXT, 2);
	put_desc(f, 2, BUF + 0x200, 20, DESC_F_WRITE, 0);
	f->q.next_desc = 3;
	publish(f, 0);
	kick(f);
	assert_true(WAIT_FOR(used_idx(f) == before + 1));
	assert_true(efd_fired(f->efd[1], 3000));
	assert_int_equal(used_len(f, before), 30);
	assert_memory_equal(f->ram + BUF + 0x100, data, 10);
	assert_memory_equal(f->ram + BUF + 0x200, data + 10, 20);
	for (int i = 0; i < 16; i++)
		assert_int_equal(f->ram[BUF + i], 0xaa);
}

/* A huge buffer gets at most VRNG_MAX_REQ bytes. */
static void test_big_request(void **state)
{
	struct fx *f = *state;
	uint32_t len = 2 * VRNG_MAX_REQ;

	memset(f->ram + 0x80000, 0, len);
	assert_int_equal(request(f, 0x80000, len), VRNG_MAX_REQ);
	assert_int_equal(f->ram[0x80000 + VRNG_MAX_REQ], 0);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

/* A source with nothing to give (an idle FIFO): the request completes
 * empty after a bounded wait, and a reset is not held up. */
static void test_dry_source(void **state)
{
	char path[] = "/tmp/test_vrng_fifo_XXXXXX";
	struct fx *f;
	uint64_t t0;
	int fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	assert_int_equal(mkfifo(path, 0600), 0);
	fx_up(state, path, 0);
	f = *state;
	strcpy(f->path, path);
	/* A writer that never writes: reads see EAGAIN, not EOF. */
	f->fifo_w = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	assert_true(f->fifo_w >= 0);
	t0 = now_ms();
	assert_int_equal(request(f, BUF, 64), 0);
	assert_true(now_ms() - t0 < 2000);
	assert_true(now_ms() - t0 >= VRNG_WAIT_MS / 2);
	/* Data arriving later is delivered. */
	assert_int_equal(write(f->fifo_w, "entropy!", 8), 8);
	assert_int_equal(request(f, BUF, 64), 8);
	assert_memory_equal(f->ram + BUF, "entropy!", 8);
	/* Busy worker + reset: bounded. */
	put_desc(f, 5, BUF, 64, DESC_F_WRITE, 0);
	publish(f, 5);
	kick(f);
	t0 = now_ms();
	ccw(f, CC_STATUS, 1, 0);
	assert_int_equal(cc(f, CC_STATUS, 1), 0);
	assert_true(now_ms() - t0 < 2000);
}

/* A descriptor outside guest RAM: NEEDS_RESET, then a reset recovers. */
static void test_hostile(void **state)
{
	struct fx *f = *state;

	put_desc(f, 0, RAM_SIZE - 8, 64, DESC_F_WRITE, 0);
	publish(f, 0);
	kick(f);
	assert_true(WAIT_FOR(cc(f, CC_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET));
	assert_true(efd_fired(f->efd[0], 3000));
	assert_int_equal(used_idx(f), 0);
	drv_init(f);
	assert_int_equal(request(f, BUF, 64), 64);
}

static void test_hostile_noioev(void **state)
{
	test_hostile(state);
}

static void test_create_errors(void **state)
{
	struct vrng *r = NULL;
	int level = log_get_level();

	log_set_level(-1); /* the errors below are expected */
	assert_int_equal(vrng_create("/nonexistent/rng", &r), -ENOENT);
	assert_int_equal(vrng_create("/tmp", &r), -EISDIR);
	log_set_level(level);
	assert_null(r);
	vrng_destroy(NULL);
}

static void test_no_leaks(void **state)
{
	int fds = vdrv_count_fds();
	int tasks = vdrv_count_threads();
	void *st;

	for (int i = 0; i < 3; i++) {
		fx_up(&st, NULL, i & 1);
		test_entropy(&st);
		teardown(&st);
	}
	assert_int_equal(vdrv_count_fds(), fds);
	/* A joined thread's task can linger in /proc for a moment. */
	if (!VDRV_WAIT_FOR(vdrv_count_threads() == tasks))
		assert_int_equal(vdrv_count_threads(), tasks);
}

/* Tests that build their own fixture tear it down through this. */
static int teardown_own(void **state)
{
	return *state ? teardown(state) : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entropy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_entropy_noioev,
						setup_noioev, teardown),
		cmocka_unit_test_teardown(test_file_source, teardown_own),
		cmocka_unit_test_teardown(test_mixed_chain, teardown_own),
		cmocka_unit_test_setup_teardown(test_big_request, setup,
						teardown),
		cmocka_unit_test_teardown(test_dry_source, teardown_own),
		cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_noioev,
						setup_noioev, teardown),
		cmocka_unit_test(test_create_errors),
		cmocka_unit_test(test_no_leaks),
	};

	log_set_level(LOG_ERR);
	return cmocka_run_group_tests_name("virtio_rng", tests, NULL, NULL);
}
