// SPDX-License-Identifier: Apache-2.0
/*
 * test_boot_linux.c - bzImage loading into malloc'd guest RAM.
 *
 * Synthetic bzImages are built byte by byte from the offsets in the boot
 * protocol documentation (not from our bootparam.h structs), written to a
 * temp dir and loaded.  Set NIMBUS_TEST_BZIMAGE=/path/to/vmlinuz to also
 * load a real kernel.
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

#include "arch/x86_64/boot.h"
#include "arch/x86_64/layout.h"
#include "vmm/guest_mem.h"

#define MiB (1ull << 20)
#define RAM_SIZE (64 * MiB)
#define ZP X86_ZERO_PAGE_ADDR

struct fx {
	char dir[64];
	char kernel[128], initrd[128];
	uint8_t *ram;
	struct guest_mem m;
	struct x86_boot_cfg cfg;
	struct x86_boot_info bi;
	char err[256];
};

struct bz {
	uint8_t setup_sects; /* raw field value */
	uint8_t jump_disp;
	uint16_t version;
	uint8_t loadflags;
	uint16_t xlf;
	uint8_t reloc;
	uint32_t align;
	uint32_t init_size;
	uint32_t initrd_max;
	uint32_t cmdline_size;
	uint64_t pref;
	size_t pm_size;
	uint16_t boot_flag;
};

static const struct bz bz_default = {
	.setup_sects = 3,
	.jump_disp = 0x6a, /* header ends at 0x26c */
	.version = 0x020f,
	.loadflags = 0x01,
	.xlf = 0x03,
	.reloc = 1,
	.align = 0x200000,
	.init_size = 4 * MiB,
	.initrd_max = 0x7fffffff,
	.cmdline_size = 2047,
	.pref = 0x1000000,
	.pm_size = 70000,
	.boot_flag = 0xaa55,
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint64_t get(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static uint8_t pm_byte(size_t i)
{
	return (uint8_t)(i * 7 + 3);
}

static void write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

/* Build a bzImage; returns its size, *out malloc'd. */
static size_t make_bz(const struct bz *o, uint8_t **out)
{
	unsigned int sects = o->setup_sects ? o->setup_sects : 4;
	size_t setup = (sects + 1) * 512u, size = setup + o->pm_size, i;
	uint8_t *b = calloc(1, size);

	assert_non_null(b);
	for (i = 0; i < setup; i++)
		b[i] = 0xee; /* real-mode junk, must not leak */
	memset(b + 0x1f1, 0, 0x26c - 0x1f1); /* header: unset fields 0 */
	b[0x1f1] = o->setup_sects;
	put16(b + 0x1f2, 1); /* root_flags */
	put32(b + 0x1f4, (uint32_t)(o->pm_size / 16));
	put16(b + 0x1fc, 0x0801); /* root_dev */
	put16(b + 0x1fe, o->boot_flag);
	b[0x200] = 0xeb;
	b[0x201] = o->jump_disp;
	memcpy(b + 0x202, "HdrS", 4);
	put16(b + 0x206, o->version);
	put16(b + 0x20e, 0x1234); /* kernel_version */
	b[0x211] = o->loadflags;
	put32(b + 0x214, 0x100000); /* code32_start default */
	put32(b + 0x22c, o->initrd_max);
	put32(b + 0x230, o->align);
	b[0x234] = o->reloc;
	b[0x235] = 21;
	put16(b + 0x236, o->xlf);
	put32(b + 0x238, o->cmdline_size);
	put32(b + 0x248, 0x2cc);
	put32(b + 0x24c, 1000);
	put64(b + 0x250, 0xdeadbeef000ull); /* setup_data: must be dropped */
	put64(b + 0x258, o->pref);
	put32(b + 0x260, o->init_size);
	put32(b + 0x264, 0x190);
	put32(b + 0x268, 0x10000);
	for (i = 0; i < o->pm_size; i++)
		b[setup + i] = pm_byte(i);
	*out = b;
	return size;
}

static void write_bz(struct fx *f, const struct bz *o)
{
	uint8_t *b;
	size_t n = make_bz(o, &b);

	write_file(f->kernel, b, n);
	free(b);
}

static void write_initrd(struct fx *f, size_t len)
{
	uint8_t *b = malloc(len);
	size_t i;

	assert_non_null(b);
	for (i = 0; i < len; i++)
		b[i] = (uint8_t)(i ^ (i >> 8) ^ 0x5a);
	write_file(f->initrd, b, len);
	free(b);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/nimbus-bz-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->kernel, sizeof(f->kernel), "%s/bzImage", f->dir);
	snprintf(f->initrd, sizeof(f->initrd), "%s/initrd", f->dir);
	f->ram = malloc(RAM_SIZE);
	if (!f->ram)
		return -1;
	memset(f->ram, 0xcc, RAM_SIZE);
	guest_mem_init(&f->m);
	if (guest_mem_add_external(&f->m, 0, RAM_SIZE, f->ram))
		return -1;
	f->cfg.kernel_path = f->kernel;
	f->cfg.layout.low_size = RAM_SIZE;
	f->cfg.rsdp_addr = X86_ACPI_BASE;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	unlink(f->kernel);
	unlink(f->initrd);
	rmdir(f->dir);
	guest_mem_destroy(&f->m);
	free(f->ram);
	free(f);
	return 0;
}

static int load(struct fx *f)
{
	memset(f->err, 0, sizeof(f->err));
	return x86_boot_load(&f->m, &f->cfg, &f->bi, f->err, sizeof(f->err));
}

/* Expect failure `ret` with a one-line message (naming `name` if set). */
static void expect_fail(struct fx *f, int ret, const char *name)
{
	assert_int_equal(load(f), ret);
	assert_true(strlen(f->err) > 0);
	assert_null(strchr(f->err, '\n'));
	if (name)
		assert_non_null(strstr(f->err, name));
	assert_int_equal(f->bi.mode, 0);
}

/* Header bytes the loader writes: vid_mode, type_of_loader, loadflags,
 * code32_start, ramdisk_image/size, heap_end_ptr, cmd_line_ptr, setup_data. */
static int written(size_t off)
{
	static const size_t w[][2] = { { 0x1fa, 2 },  { 0x210, 2 },
				       { 0x214, 12 }, { 0x224, 2 },
				       { 0x228, 4 },  { 0x250, 8 } };
	size_t i;

	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		if (off >= w[i][0] && off < w[i][0] + w[i][1])
			return 1;
	return 0;
}

static const uint64_t e820_want[3][3] = {
	{ 0, 0x9fc00, 1 },
	{ 0x9fc00, 0x60400, 2 },
	{ MiB, RAM_SIZE - MiB, 1 },
};

static void test_load_full(void **state)
{
	struct fx *f = *state;
	const char *cmd = "console=ttyS0 root=/dev/vda rw";
	const uint8_t *zp = f->ram + ZP, *e;
	uint64_t want_initrd = (RAM_SIZE - 10000) & ~0xfffull;
	uint8_t *file;
	size_t i;

	write_bz(f, &bz_default);
	write_initrd(f, 10000);
	f->cfg.initramfs_path = f->initrd;
	f->cfg.cmdline = cmd;
	assert_int_equal(load(f), 0);
	assert_string_equal(f->err, "");

	assert_int_equal(f->bi.mode, X86_ENTRY_LINUX64);
	assert_int_equal(f->bi.entry, 0x1000200);
	assert_int_equal(f->bi.params_addr, 0x7000);
	assert_int_equal(f->bi.kernel_start, 0x1000000);
	assert_int_equal(f->bi.kernel_end, 0x1000000 + 4 * MiB);
	assert_int_equal(f->bi.initrd_addr, want_initrd);
	assert_int_equal(f->bi.initrd_size, 10000);

	/* Kernel bytes at the load address, nothing before it. */
	for (i = 0; i < bz_default.pm_size; i++)
		if (f->ram[0x1000000 + i] != pm_byte(i))
			fail_msg("kernel byte %zu differs", i);
	assert_int_equal(f->ram[0x1000000 - 1], 0xcc);

	/* Every other header byte is copied from the file. */
	make_bz(&bz_default, &file);
	for (i = 0x1f1; i < 0x26c; i++)
		if (!written(i) && zp[i] != file[i])
			fail_msg("zero page byte 0x%zx not copied", i);
	free(file);
	assert_memory_equal(zp + 0x202, "HdrS", 4);
	assert_int_equal(get(zp + 0x260, 4), 4 * MiB);
	/* Fields we write. */
	assert_int_equal(get(zp + 0x1fa, 2), 0xffff); /* vid_mode */
	assert_int_equal(zp[0x210], 0xff); /* type_of_loader */
	assert_int_equal(zp[0x211], 0x81); /* HIGH|HEAP */
	assert_int_equal(get(zp + 0x214, 4), 0x1000000); /* code32_start */
	assert_int_equal(get(zp + 0x218, 4), want_initrd);
	assert_int_equal(get(zp + 0x21c, 4), 10000);
	assert_int_equal(get(zp + 0x224, 2), 0xde00); /* heap_end_ptr */
	assert_int_equal(get(zp + 0x228, 4), 0x20000); /* cmd_line_ptr */
	assert_int_equal(get(zp + 0x250, 8), 0); /* setup_data */
	assert_int_equal(get(zp + 0x070, 8), X86_ACPI_BASE);
	assert_int_equal(get(zp + 0x0c0, 4), 0); /* ext_ramdisk */
	assert_int_equal(get(zp + 0x0c4, 4), 0);
	assert_int_equal(get(zp + 0x0c8, 4), 0); /* ext_cmd_line */
	assert_int_equal(zp[0x1ef], 0); /* sentinel */
	/* Outside the header: zero (file had 0xee junk there). */
	for (i = 0x26c; i < 0x290; i++)
		assert_int_equal(zp[i], 0);
	for (i = 0; i < 0x1e8; i++)
		if (i < 0x70 || i >= 0x78)
			assert_int_equal(zp[i], 0);
	assert_int_equal(zp[0xfff], 0);

	/* e820: 20-byte entries at 0x2d0 */
	assert_int_equal(zp[0x1e8], 3);
	for (i = 0, e = zp + 0x2d0; i < 3; i++, e += 20) {
		assert_int_equal(get(e, 8), e820_want[i][0]);
		assert_int_equal(get(e + 8, 8), e820_want[i][1]);
		assert_int_equal(get(e + 16, 4), e820_want[i][2]);
	}
	assert_int_equal(get(e, 8), 0);

	/* Command line and initramfs. */
	assert_string_equal((const char *)f->ram + 0x20000, cmd);
	for (i = 0; i < 10000; i++)
		if (f->ram[want_initrd + i] != (uint8_t)(i ^ (i >> 8) ^ 0x5a))
			fail_msg("initrd byte %zu differs", i);
}

static void test_no_initrd_no_cmdline(void **state)
{
	struct fx *f = *state;
	const uint8_t *zp = f->ram + ZP;

	write_bz(f, &bz_default);
	f->cfg.rsdp_addr = 0;
	assert_int_equal(load(f), 0);
	assert_int_equal(f->bi.initrd_addr, 0);
	assert_int_equal(f->bi.initrd_size, 0);
	assert_int_equal(get(zp + 0x218, 4), 0);
	assert_int_equal(get(zp + 0x21c, 4), 0);
	assert_int_equal(get(zp + 0x228, 4), 0x20000);
	assert_int_equal(get(zp + 0x070, 8), 0);
	assert_string_equal((const char *)f->ram + 0x20000, "");
}

static void test_setup_sects_zero_means_4(void **state)
{
	struct fx *f = *state;
	struct bz o = bz_default;

	o.setup_sects = 0;
	o.loadflags = 0x41; /* KEEP_SEGMENTS from the file is dropped */
	write_bz(f, &o);
	assert_int_equal(load(f), 0);
	assert_int_equal(f->ram[ZP + 0x211], 0x81);
	assert_int_equal(f->ram[0x1000000], pm_byte(0));
	assert_int_equal(f->ram[0x1000000 + 100], pm_byte(100));
}

static void test_alignment_and_pref(void **state)
{
	struct fx *f = *state;
	struct bz o = bz_default;

	o.align = 32 * MiB; /* 16 MiB rounds up to 32 MiB */
	write_bz(f, &o);
	assert_int_equal(load(f), 0);
	assert_int_equal(f->bi.kernel_start, 32 * MiB);
	assert_int_equal(f->bi.entry, 32 * MiB + 0x200);
	assert_int_equal(get(f->ram + ZP + 0x214, 4), 32 * MiB);
	assert_int_equal(f->ram[32 * MiB + 5], pm_byte(5));

	o = bz_default;
	o.reloc = 0;
	o.pref = 0x2400000;
	write_bz(f, &o);
	assert_int_equal(load(f), 0);
	assert_int_equal(f->bi.entry, 0x2400200);
	assert_int_equal(f->ram[0x2400000 + 9], pm_byte(9));

	/* Non-relocatable with pref_address outside low RAM. */
	o.pref = 0x80000;
	write_bz(f, &o);
	expect_fail(f, -EINVAL, f->kernel);
	o.pref = RAM_SIZE;
	write_bz(f, &o);
	expect_fail(f, -EINVAL, f->kernel);

	/* kernel_alignment not a power of two / absurd. */
	o = bz_default;
	o.align = 0x300000;
	write_bz(f, &o);
	expect_fail(f, -EINVAL, f->kernel);
	o.align = 0;
	write_bz(f, &o);
	expect_fail(f, -EINVAL, f->kernel);
	o.align = 0x80000000u;
	write_bz(f, &o);
	expect_fail(f, -EINVAL, f->kernel);
}

static void test_initrd_addr_max(void **state)
{
	struct fx *f = *state;
	struct bz o = bz_default;

	o.initrd_max = 0x2ffffff; /* last byte below 48 MiB */
	write_bz(f, &o);
	write_initrd(f, 10000);
	f->cfg.initramfs_path = f->initrd;
	assert_int_equal(load(f), 0);
	assert_int_equal(f->bi.initrd_addr, (48 * MiB - 10000) & ~0xfffull);
	assert_true(f->bi.initrd_addr + f->bi.initrd_size <= 48 * MiB);

	/* Just above init_size: fits exactly. */
	o.initrd_max = (uint32_t)(20 * MiB + 0x2000 - 1);
	write_bz(f, &o);
	write_initrd(f, 0x2000);
	assert_int_equal(load(f), 0);
	assert_int_equal(f->bi.initrd_addr, 20 * MiB);

	/* One byte more would overlap the kernel's init_size. */
	write_initrd(f, 0x2001);
	expect_fail(f, -ENOSPC, f->initrd);
}

static void test_init_size_too_big(void **state)
{
	struct fx *f = *state;
	struct bz o = bz_default;

	o.init_size = 48 * MiB + 1; /* 16 MiB + this > 64 MiB */
	write_bz(f, &o);
	expect_fail(f, -ENOSPC, f->kernel);
	o.init_size = 48 * MiB; /* exactly fits */
	write_bz(f, &o);
	assert_int_equal(load(f), 0);
	assert_int_equal(f->bi.kernel_end, RAM_SIZE);
}

static void test_cmdline_limits(void **state)
{
	struct fx *f = *state;
	struct bz o = bz_default;
	char big[X86_CMDLINE_MAX + 10];

	o.cmdline_size = 16;
	write_bz(f, &o);
	f->cfg.cmdline = "0123456789abcdef"; /* 16: ok */
	assert_int_equal(load(f), 0);
	assert_string_equal((const char *)f->ram + 0x20000, f->cfg.cmdline);
	f->cfg.cmdline = "0123456789abcdefg";
	expect_fail(f, -E2BIG, NULL);

	/* Kernel allows more than our buffer. */
	o.cmdline_size = 1u << 20;
	write_bz(f, &o);
	memset(big, 'a', sizeof(big));
	big[X86_CMDLINE_MAX - 1] = '\0'; /* 4095 chars: fits */
	f->cfg.cmdline = big;
	assert_int_equal(load(f), 0);
	assert_int_equal(strlen((const char *)f->ram + 0x20000),
			 X86_CMDLINE_MAX - 1);
	big[X86_CMDLINE_MAX - 1] = 'a';
	big[X86_CMDLINE_MAX] = '\0';
	expect_fail(f, -E2BIG, NULL);
	big[sizeof(big) - 1] = '\0';
	expect_fail(f, -E2BIG, NULL);
}

static void test_bad_files(void **state)
{
	struct fx *f = *state;
	uint8_t junk[4096];
	size_t i;

	write_file(f->kernel, "", 0);
	expect_fail(f, -ENOEXEC, f->kernel);

	srand(1);
	for (i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)rand();
	junk[0] = 0; /* no ELF magic */
	write_file(f->kernel, junk, sizeof(junk));
	expect_fail(f, -ENOEXEC, f->kernel);

	/* Just the magic, cut right after it. */
	memset(junk, 0, sizeof(junk));
	memcpy(junk + 0x202, "HdrS", 4);
	write_file(f->kernel, junk, 0x206);
	expect_fail(f, -EINVAL, f->kernel);
}

static void test_truncated(void **state)
{
	struct fx *f = *state;
	struct bz o = bz_default;
	uint8_t *b;
	size_t n = make_bz(&o, &b);

	write_file(f->kernel, b, 0x240); /* inside the setup header */
	expect_fail(f, -EINVAL, f->kernel);
	write_file(f->kernel, b, 0x400); /* inside the setup area */
	expect_fail(f, -EINVAL, f->kernel);
	write_file(f->kernel, b, 4 * 512); /* setup only, no kernel */
	expect_fail(f, -EINVAL, f->kernel);
	write_file(f->kernel, b, n);
	assert_int_equal(load(f), 0);
	free(b);

	/* setup_sects pointing past the end of the file */
	o.setup_sects = 200;
	o.pm_size = 0;
	n = make_bz(&o, &b);
	write_file(f->kernel, b, 2048);
	expect_fail(f, -EINVAL, f->kernel);
	assert_non_null(strstr(f->err, "setup_sects"));
	free(b);
	(void)n;
}

static void test_rejected_headers(void **state)
{
	struct fx *f = *state;
	struct bz o;

	o = bz_default;
	o.xlf = 0; /* 32-bit only kernel */
	write_bz(f, &o);
	expect_fail(f, -ENOEXEC, f->kernel);
	assert_non_null(strstr(f->err, "64-bit"));

	o = bz_default;
	o.version = 0x020b;
	write_bz(f, &o);
	expect_fail(f, -ENOEXEC, f->kernel);

	o = bz_default;
	o.loadflags = 0; /* zImage */
	write_bz(f, &o);
	expect_fail(f, -ENOEXEC, f->kernel);

	o = bz_default;
	o.boot_flag = 0x1234;
	write_bz(f, &o);
	expect_fail(f, -EINVAL, f->kernel);

	o = bz_default;
	o.jump_disp = 0x30; /* header ends at 0x232, before init_size */
	write_bz(f, &o);
	expect_fail(f, -EINVAL, f->kernel);
	o.jump_disp = 0x90; /* negative displacement */
	write_bz(f, &o);
	expect_fail(f, -EINVAL, f->kernel);

	/* Header ending before the fields we do not copy. */
	o = bz_default;
	o.jump_disp = 0x62; /* ends at 0x264: kernel_info_offset not copied */
	write_bz(f, &o);
	assert_int_equal(load(f), 0);
	assert_int_equal(get(f->ram + ZP + 0x260, 4), 4 * MiB);
	assert_int_equal(get(f->ram + ZP + 0x264, 4), 0);
	assert_int_equal(get(f->ram + ZP + 0x268, 4), 0);
}

static void test_paths(void **state)
{
	struct fx *f = *state;
	char missing[160];

	f->cfg.kernel_path = NULL;
	expect_fail(f, -EINVAL, NULL);
	f->cfg.kernel_path = "";
	expect_fail(f, -EINVAL, NULL);
	snprintf(missing, sizeof(missing), "%s/nope", f->dir);
	f->cfg.kernel_path = missing;
	expect_fail(f, -ENOENT, missing);
	f->cfg.kernel_path = f->dir; /* a directory */
	expect_fail(f, -EINVAL, f->dir);

	f->cfg.kernel_path = f->kernel;
	write_bz(f, &bz_default);
	f->cfg.initramfs_path = missing;
	expect_fail(f, -ENOENT, missing);
	write_initrd(f, 0);
	f->cfg.initramfs_path = f->initrd;
	expect_fail(f, -EINVAL, f->initrd);
}

static void test_initrd_too_big(void **state)
{
	struct fx *f = *state;
	int fd;

	write_bz(f, &bz_default);
	/* Sparse 60 MiB file: larger than RAM above the kernel. */
	fd = open(f->initrd, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 60 * MiB), 0);
	close(fd);
	f->cfg.initramfs_path = f->initrd;
	expect_fail(f, -ENOSPC, f->initrd);
}

static void test_bad_layout_and_ram(void **state)
{
	struct fx *f = *state;

	write_bz(f, &bz_default);
	f->cfg.layout.low_size = 0;
	expect_fail(f, -EINVAL, NULL);
	f->cfg.layout.low_size = X86_MMIO_HOLE_START + 0x1000;
	expect_fail(f, -EINVAL, NULL);

	/* Layout promises 128 MiB, guest_mem has 64: the initrd lands in
	 * the missing part. */
	f->cfg.layout.low_size = 2 * RAM_SIZE;
	write_initrd(f, 4096);
	f->cfg.initramfs_path = f->initrd;
	expect_fail(f, -EFAULT, f->initrd);
}

/* Optional: a real distribution kernel. */
static void test_real_bzimage(void **state)
{
	const char *path = getenv("NIMBUS_TEST_BZIMAGE");
	struct x86_boot_cfg cfg = { 0 };
	struct x86_boot_info bi;
	struct guest_mem m;
	char err[256];
	void *hva;
	uint8_t *zp;

	if (!path)
		skip();
	guest_mem_init(&m);
	assert_int_equal(guest_mem_add(&m, 0, 512 * MiB, &hva), 0);
	cfg.kernel_path = path;
	cfg.cmdline = "console=ttyS0";
	x86_mem_layout_from_size(512 * MiB, &cfg.layout);
	assert_int_equal(x86_boot_load(&m, &cfg, &bi, err, sizeof(err)), 0);
	zp = (uint8_t *)hva + ZP;
	assert_int_equal(bi.mode, X86_ENTRY_LINUX64);
	assert_int_equal(bi.entry, bi.kernel_start + 0x200);
	assert_true(bi.kernel_start >= 16 * MiB);
	assert_int_equal(bi.kernel_end - bi.kernel_start, get(zp + 0x260, 4));
	assert_memory_equal(zp + 0x202, "HdrS", 4);
	assert_true(get(zp + 0x206, 2) >= 0x020c);
	assert_int_equal(zp[0x210], 0xff);
	assert_int_equal(zp[0x1e8], 3);
	print_message("real bzImage: protocol %x, load 0x%llx, init_size "
		      "0x%llx\n",
		      (unsigned int)get(zp + 0x206, 2),
		      (unsigned long long)bi.kernel_start,
		      (unsigned long long)get(zp + 0x260, 4));
	guest_mem_destroy(&m);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_load_full),
		T(test_no_initrd_no_cmdline),
		T(test_setup_sects_zero_means_4),
		T(test_alignment_and_pref),
		T(test_initrd_addr_max),
		T(test_init_size_too_big),
		T(test_cmdline_limits),
		T(test_bad_files),
		T(test_truncated),
		T(test_rejected_headers),
		T(test_paths),
		T(test_initrd_too_big),
		T(test_bad_layout_and_ram),
		cmocka_unit_test(test_real_bzimage),
	};

	return cmocka_run_group_tests_name("boot_linux", tests, NULL, NULL);
}
