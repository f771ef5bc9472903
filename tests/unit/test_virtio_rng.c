// SPDX-License-Identifier: Apache-2.0
/*
 * test_virtio_rng.c - virtio-rng behind the virtio-pci transport, driven
 * like the Linux driver: config space through pci_cfg_rw, registers
 * through the MMIO bus, rings in malloc'd guest RAM, MSI-X vectors on real
 * eventfds, kicks through a recorded ioeventfd or a trapped notify write.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "devices/bus.h"
#include "devices/pci/pci.h"
#include "devices/virtio/virtio.h"
#include "devices/virtio/virtio_pci.h"
#include "devices/virtio/virtio_rng.h"
#include "vmm/guest_mem.h"
#include "vmm/log.h"

#define RAM_SIZE (1u << 20)
#define ECAM_BASE 0xb0000000ull
#define MMIO64_BASE 0x100000000ull
#define NVEC 2
#define QSIZE 16
#define DESC 0x10000ull
#define AVAIL 0x11000ull
#define USED 0x12000ull
#define BUF 0x20000ull

#define CC_DFSELECT 0x00
#define CC_DF 0x04
#define CC_GFSELECT 0x08
#define CC_GF 0x0c
#define CC_MSIX 0x10
#define CC_STATUS 0x14
#define CC_QSEL 0x16
#define CC_QSIZE 0x18
#define CC_QMSIX 0x1a
#define CC_QENABLE 0x1c
#define CC_QDESC 0x20
#define CC_QDRIVER 0x28
#define CC_QDEVICE 0x30
#define DESC_F_NEXT 1
#define DESC_F_WRITE 2

struct fx {
	struct bus pio, mmio;
	struct pci_bus *pb;
	struct guest_mem mem;
	uint8_t *ram;
	struct msi_router router;
	int efd[NVEC];
	int ioev_mode; /* 0: record, 1: -EOPNOTSUPP */
	uint64_t ioev_addr;
	int ioev_fd, ioev_live;
	struct virtio_pci_host host;
	struct vrng *rng;
	struct virtio_dev *vd;
	uint8_t devfn;
	uint64_t bar;
	uint32_t common, isr, notify, table, msixcap;
	int has_devcfg;
	uint16_t avail_idx, next_desc;
	char path[64];
	int fifo_w;
};

static int r_set(void *o, uint32_t gsi, uint64_t addr, uint32_t data)
{
	return 0;
}

static int r_clear(void *o, uint32_t gsi)
{
	return 0;
}

static int h_alloc(void *opaque, uint16_t n, uint32_t *gsi_base, int *efds)
{
	struct fx *f = opaque;

	assert_int_equal(n, NVEC);
	memcpy(efds, f->efd, sizeof(f->efd));
	*gsi_base = 24;
	return 0;
}

static int h_ioev(void *opaque, uint64_t addr, uint32_t len, int fd, int assign)
{
	struct fx *f = opaque;

	if (f->ioev_mode)
		return -EOPNOTSUPP;
	assert_int_equal(len, 2);
	if (assign) {
		assert_false(f->ioev_live);
		f->ioev_addr = addr;
		f->ioev_fd = fd;
	} else {
		assert_true(f->ioev_live && f->ioev_addr == addr &&
			    f->ioev_fd == fd);
	}
	f->ioev_live = assign;
	return 0;
}

static uint32_t cfgrd(struct fx *f, uint32_t off, uint32_t len)
{
	uint32_t v = 0;

	assert_int_equal(pci_cfg_rw(f->pb, f->devfn, off, &v, len, 0), 0);
	return v;
}

static void cfgwr(struct fx *f, uint32_t off, uint32_t len, uint32_t v)
{
	assert_int_equal(pci_cfg_rw(f->pb, f->devfn, off, &v, len, 1), 0);
}

static uint64_t rd(struct fx *f, uint64_t off, uint32_t len)
{
	uint64_t v = 0;

	bus_access(&f->mmio, f->bar + off, &v, len, 0);
	return v;
}

static void wr(struct fx *f, uint64_t off, uint32_t len, uint64_t v)
{
	bus_access(&f->mmio, f->bar + off, &v, len, 1);
}

static void ccw(struct fx *f, uint32_t reg, uint32_t len, uint64_t v)
{
	wr(f, f->common + reg, len, v);
}

static uint64_t cc(struct fx *f, uint32_t reg, uint32_t len)
{
	return rd(f, f->common + reg, len);
}

static uint16_t used_idx(struct fx *f)
{
	return __atomic_load_n((uint16_t *)(f->ram + USED + 2),
			       __ATOMIC_ACQUIRE);
}

static uint32_t used_len(struct fx *f, uint16_t i)
{
	uint32_t v;

	memcpy(&v, f->ram + USED + 4 + 8 * (i % QSIZE) + 4, 4);
	return v;
}

#define WAIT_FOR(pred)                                               \
	({                                                           \
		int _ok = 0;                                         \
		for (int _i = 0; _i < 3000 && !(_ok = (pred)); _i++) \
			usleep(1000);                                \
		_ok;                                                 \
	})

static int efd_fired(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	eventfd_t v;

	return poll(&p, 1, ms) == 1 && eventfd_read(fd, &v) == 0;
}

static void find_caps(struct fx *f)
{
	uint32_t ptr = cfgrd(f, 0x34, 1);

	for (int n = 0; ptr && n < 48; n++, ptr = cfgrd(f, ptr + 1, 1)) {
		if (cfgrd(f, ptr, 1) == 0x11) {
			f->msixcap = ptr;
			f->table = cfgrd(f, ptr + 4, 4);
			continue;
		}
		switch (cfgrd(f, ptr + 3, 1)) {
		case 1:
			f->common = cfgrd(f, ptr + 8, 4);
			break;
		case 2:
			f->notify = cfgrd(f, ptr + 8, 4);
			assert_int_equal(cfgrd(f, ptr + 16, 4), 4);
			break;
		case 3:
			f->isr = cfgrd(f, ptr + 8, 4);
			break;
		case 4:
			f->has_devcfg = 1;
			break;
		}
	}
}

static void put_desc(struct fx *f, uint16_t i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	uint8_t *d = f->ram + DESC + 16ull * i;

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

static void publish(struct fx *f, uint16_t head)
{
	uint16_t *avail = (uint16_t *)(f->ram + AVAIL);

	avail[2 + f->avail_idx % QSIZE] = head;
	avail[2 + QSIZE] = used_idx(f); /* used_event: interrupt me next */
	f->avail_idx++;
	__atomic_store_n(&avail[1], f->avail_idx, __ATOMIC_RELEASE);
}

static void kick(struct fx *f)
{
	if (f->ioev_mode) {
		assert_false(f->ioev_live);
		wr(f, f->notify, 2, 0);
	} else {
		assert_true(f->ioev_live);
		assert_int_equal(f->ioev_addr, f->bar + f->notify);
		assert_int_equal(eventfd_write(f->ioev_fd, 1), 0);
	}
}

/* Linux's probe: reset, features, MSI-X, queue 0, DRIVER_OK. */
static void drv_init(struct fx *f)
{
	uint64_t feat;

	ccw(f, CC_STATUS, 1, 0);
	assert_int_equal(cc(f, CC_STATUS, 1), 0);
	ccw(f, CC_STATUS, 1, 1);
	ccw(f, CC_STATUS, 1, 3);
	ccw(f, CC_DFSELECT, 4, 0);
	feat = cc(f, CC_DF, 4);
	ccw(f, CC_DFSELECT, 4, 1);
	feat |= cc(f, CC_DF, 4) << 32;
	assert_true(feat & 1ull << VIRTIO_F_VERSION_1);
	ccw(f, CC_GFSELECT, 4, 0);
	ccw(f, CC_GF, 4, (uint32_t)feat);
	ccw(f, CC_GFSELECT, 4, 1);
	ccw(f, CC_GF, 4, feat >> 32);
	ccw(f, CC_STATUS, 1, 11);
	assert_int_equal(cc(f, CC_STATUS, 1), 11);
	cfgwr(f, f->msixcap + 2, 2, 0x8000);
	for (uint32_t v = 0; v < NVEC; v++) {
		wr(f, f->table + 16 * v, 4, 0xfee00000);
		wr(f, f->table + 16 * v + 8, 4, 0x40 + v);
		wr(f, f->table + 16 * v + 12, 4, 0);
	}
	ccw(f, CC_MSIX, 2, 0);
	memset(f->ram + DESC, 0, 0x3000);
	f->avail_idx = f->next_desc = 0;
	ccw(f, CC_QSEL, 2, 0);
	ccw(f, CC_QSIZE, 2, QSIZE);
	ccw(f, CC_QDESC, 4, DESC);
	ccw(f, CC_QDRIVER, 4, AVAIL);
	ccw(f, CC_QDEVICE, 4, USED);
	ccw(f, CC_QMSIX, 2, 1);
	assert_int_equal(cc(f, CC_QMSIX, 2), 1);
	ccw(f, CC_QENABLE, 2, 1);
	ccw(f, CC_STATUS, 1, 15);
	assert_int_equal(cc(f, CC_STATUS, 1), 15);
}

/* One writable buffer; wait for completion and the queue interrupt.
 * Returns the used length. */
static uint32_t request(struct fx *f, uint64_t addr, uint32_t len)
{
	uint16_t before = used_idx(f), d = f->next_desc++ % QSIZE;

	put_desc(f, d, addr, len, DESC_F_WRITE, 0);
	publish(f, d);
	kick(f);
	assert_true(WAIT_FOR(used_idx(f) == (uint16_t)(before + 1)));
	assert_true(efd_fired(f->efd[1], 3000));
	return used_len(f, before);
}

static int fx_up(void **state, const char *src, int ioev_mode)
{
	struct pci_bus_cfg pc = { 0 };
	struct fx *f = calloc(1, sizeof(*f));
	uint32_t lo, hi;

	assert_non_null(f);
	f->ioev_mode = ioev_mode;
	f->fifo_w = -1;
	assert_int_equal(bus_init(&f->pio, "pio"), 0);
	assert_int_equal(bus_init(&f->mmio, "mmio"), 0);
	f->ram = aligned_alloc(4096, RAM_SIZE);
	assert_non_null(f->ram);
	memset(f->ram, 0, RAM_SIZE);
	guest_mem_init(&f->mem);
	assert_int_equal(guest_mem_add_external(&f->mem, 0, RAM_SIZE, f->ram),
			 0);
	for (int i = 0; i < NVEC; i++)
		f->efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	f->router = (struct msi_router){ r_set, r_clear, f };
	f->host = (struct virtio_pci_host){ .mem = &f->mem,
					    .router = &f->router,
					    .alloc_vectors = h_alloc,
					    .ioeventfd = h_ioev,
					    .opaque = f };
	pc.pio = &f->pio;
	pc.mmio = &f->mmio;
	pc.ecam_base = ECAM_BASE;
	pc.mmio64_base = MMIO64_BASE;
	pc.mmio64_size = 1ull << 32;
	assert_int_equal(pci_bus_create(&pc, &f->pb), 0);
	assert_int_equal(vrng_create(src, &f->rng), 0);
	assert_int_equal(virtio_pci_create(vrng_info(), vrng_ops(), f->rng,
					   &f->host, &f->vd),
			 0);
	assert_int_equal(pci_bus_add_dev(f->pb, virtio_pci_dev(f->vd), -1,
					 &f->devfn),
			 0);
	assert_int_equal(virtio_pci_start(f->vd), 0);
	find_caps(f);
	lo = cfgrd(f, 0x10, 4);
	hi = cfgrd(f, 0x14, 4);
	f->bar = (uint64_t)hi << 32 | (lo & ~0xfu);
	cfgwr(f, 0x04, 2, 0x6);
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

	pci_bus_destroy(f->pb);
	assert_false(f->ioev_live);
	virtio_pci_destroy(f->vd);
	vrng_destroy(f->rng);
	for (int i = 0; i < NVEC; i++)
		close(f->efd[i]);
	if (f->fifo_w >= 0)
		close(f->fifo_w);
	if (f->path[0])
		unlink(f->path);
	guest_mem_destroy(&f->mem);
	free(f->ram);
	bus_destroy(&f->pio);
	bus_destroy(&f->mmio);
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
	assert_false(f->has_devcfg); /* no config space */
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
	f->next_desc = 3;
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

static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void test_no_leaks(void **state)
{
	int fds = count_dir("/proc/self/fd");
	int tasks = count_dir("/proc/self/task");
	void *st;

	for (int i = 0; i < 3; i++) {
		fx_up(&st, NULL, i & 1);
		test_entropy(&st);
		teardown(&st);
	}
	assert_int_equal(count_dir("/proc/self/fd"), fds);
	assert_int_equal(count_dir("/proc/self/task"), tasks);
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
