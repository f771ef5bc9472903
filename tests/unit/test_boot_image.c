// SPDX-License-Identifier: Apache-2.0
/*
 * test_boot_image.c - the arm64 Image loader: header parsing, placement
 * of the kernel (2 MiB base + text_offset), initramfs and FDT area, and
 * clean refusals for files that are not arm64 Images.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "arch/aarch64/boot.h"
#include "arch/aarch64/layout.h"
#include "vmm/guest_mem.h"
#include "vmm/log.h"

#define RAM (64ull << 20)

struct fx {
	struct guest_mem mem;
	uint8_t *ram;
	char kernel[64], initrd[64];
	char err[256];
};

static void put64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* An Image of `len` bytes whose body is a counting pattern. */
static void write_image(const char *path, uint64_t text_offset,
			uint64_t image_size, uint64_t flags, size_t len)
{
	uint8_t *b = calloc(1, len);
	FILE *f;
	size_t i;

	assert_non_null(b);
	for (i = 64; i < len; i++)
		b[i] = (uint8_t)i;
	put64(b + 8, text_offset);
	put64(b + 16, image_size);
	put64(b + 24, flags);
	memcpy(b + 56, "ARM\x64", 4);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, len, f), len);
	fclose(f);
	free(b);
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	int fd;

	if (!f)
		return -1;
	log_set_level(LOG_ERR);
	f->ram = aligned_alloc(4096, RAM);
	if (!f->ram)
		return -1;
	memset(f->ram, 0xee, RAM);
	guest_mem_init(&f->mem);
	if (guest_mem_add_external(&f->mem, A64_RAM_BASE, RAM, f->ram))
		return -1;
	strcpy(f->kernel, "/tmp/nimbus-a64k-XXXXXX");
	strcpy(f->initrd, "/tmp/nimbus-a64i-XXXXXX");
	fd = mkstemp(f->kernel);
	if (fd < 0)
		return -1;
	close(fd);
	fd = mkstemp(f->initrd);
	if (fd < 0)
		return -1;
	close(fd);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	unlink(f->kernel);
	unlink(f->initrd);
	guest_mem_destroy(&f->mem);
	free(f->ram);
	free(f);
	return 0;
}

static struct a64_boot_cfg cfg_for(struct fx *f, int with_initrd)
{
	return (struct a64_boot_cfg){
		.kernel_path = f->kernel,
		.initramfs_path = with_initrd ? f->initrd : NULL,
		.cmdline = "console=ttyAMA0",
		.ram_base = A64_RAM_BASE,
		.ram_size = RAM,
	};
}

static void test_parse(void **state)
{
	uint8_t h[64] = { 0 };
	struct a64_image_hdr out;
	int gz = -1;

	assert_int_equal(a64_image_parse(h, sizeof(h), &out, &gz), -ENOEXEC);
	assert_int_equal(gz, 0);
	memcpy(h + 56, "ARM\x64", 4);
	put64(h + 8, 0x10000);
	put64(h + 16, 0x1234000);
	assert_int_equal(a64_image_parse(h, sizeof(h), &out, NULL), 0);
	assert_true(out.text_offset == 0x10000);
	assert_true(out.image_size == 0x1234000);
	/* Short buffer. */
	assert_int_equal(a64_image_parse(h, 60, &out, NULL), -ENOEXEC);
	/* image_size 0: an old kernel, text_offset forced to 0x80000. */
	put64(h + 16, 0);
	assert_int_equal(a64_image_parse(h, sizeof(h), &out, NULL), 0);
	assert_true(out.text_offset == 0x80000);
	/* Big endian kernels are refused. */
	put64(h + 16, 0x100000);
	put64(h + 24, 1);
	assert_int_equal(a64_image_parse(h, sizeof(h), &out, NULL), -EINVAL);
	/* Absurd text_offset / image_size. */
	put64(h + 24, 0);
	put64(h + 8, 1ull << 40);
	assert_int_equal(a64_image_parse(h, sizeof(h), &out, NULL), -EINVAL);
	put64(h + 8, 0x123);
	assert_int_equal(a64_image_parse(h, sizeof(h), &out, NULL), -EINVAL);
	put64(h + 8, 0);
	put64(h + 16, 1ull << 40);
	assert_int_equal(a64_image_parse(h, sizeof(h), &out, NULL), -EINVAL);
	/* gzip data is recognised for a helpful message. */
	memset(h, 0, sizeof(h));
	h[0] = 0x1f;
	h[1] = 0x8b;
	assert_int_equal(a64_image_parse(h, sizeof(h), &out, &gz), -ENOEXEC);
	assert_int_equal(gz, 1);
}

static void test_load_kernel_initrd(void **state)
{
	struct fx *f = *state;
	struct a64_boot_cfg c = cfg_for(f, 1);
	struct a64_boot_info bi;
	uint8_t rd[5000];
	size_t i;
	uint8_t *k;

	for (i = 0; i < sizeof(rd); i++)
		rd[i] = (uint8_t)(i * 7);
	write_image(f->kernel, 0x10000, 0x300000, 0x2, 0x100000);
	write_file(f->initrd, rd, sizeof(rd));
	assert_int_equal(
		a64_boot_load(&f->mem, &c, &bi, f->err, sizeof(f->err)), 0);
	/* 2 MiB aligned RAM base + text_offset. */
	assert_true(bi.kernel_addr == A64_RAM_BASE + 0x10000);
	/* image_size (bss included) counts, not just the file. */
	assert_true(bi.kernel_end == bi.kernel_addr + 0x300000);
	k = guest_mem_ptr(&f->mem, bi.kernel_addr, 0x100000);
	assert_non_null(k);
	assert_memory_equal(k + 56, "ARM\x64", 4);
	assert_int_equal(k[0x1234], (uint8_t)0x1234);
	/* The FDT takes the last 2 MiB, the initramfs sits right below. */
	assert_true(bi.fdt_addr == A64_RAM_BASE + RAM - A64_FDT_MAX);
	assert_true(bi.initrd_size == sizeof(rd));
	assert_true((bi.initrd_addr & 0xfff) == 0);
	assert_true(bi.initrd_addr + bi.initrd_size <= bi.fdt_addr);
	assert_true(bi.fdt_addr - bi.initrd_addr < sizeof(rd) + 4096);
	assert_memory_equal(guest_mem_ptr(&f->mem, bi.initrd_addr, sizeof(rd)),
			    rd, sizeof(rd));
	assert_string_equal(bi.cmdline, "console=ttyAMA0");
}

static void test_no_initrd_old_kernel(void **state)
{
	struct fx *f = *state;
	struct a64_boot_cfg c = cfg_for(f, 0);
	struct a64_boot_info bi;

	write_image(f->kernel, 0, 0, 0, 0x20000);
	c.cmdline = NULL;
	assert_int_equal(
		a64_boot_load(&f->mem, &c, &bi, f->err, sizeof(f->err)), 0);
	assert_true(bi.kernel_addr == A64_RAM_BASE + 0x80000);
	assert_true(bi.kernel_end == bi.kernel_addr + 0x20000);
	assert_true(bi.initrd_size == 0);
	assert_string_equal(bi.cmdline, "");
}

static void test_refusals(void **state)
{
	struct fx *f = *state;
	struct a64_boot_cfg c = cfg_for(f, 1);
	struct a64_boot_info bi;
	static const uint8_t gz[64] = { 0x1f, 0x8b, 8 };
	static char big[A64_CMDLINE_MAX + 10];
	uint8_t one = 1;

	/* Missing kernel file. */
	c.kernel_path = "/nonexistent/Image";
	assert_int_equal(a64_boot_load(&f->mem, &c, &bi, f->err,
				       sizeof(f->err)),
			 -ENOENT);
	assert_non_null(strstr(f->err, "/nonexistent/Image"));
	c.kernel_path = f->kernel;
	/* A gzip-compressed Image. */
	write_file(f->kernel, gz, sizeof(gz));
	assert_int_equal(a64_boot_load(&f->mem, &c, &bi, f->err,
				       sizeof(f->err)),
			 -ENOEXEC);
	assert_non_null(strstr(f->err, "gzip"));
	/* A kernel whose image_size does not fit in RAM. */
	write_image(f->kernel, 0, RAM, 0, 4096);
	assert_int_equal(a64_boot_load(&f->mem, &c, &bi, f->err,
				       sizeof(f->err)),
			 -ENOSPC);
	/* An initramfs bigger than what is left. */
	write_image(f->kernel, 0, 0x200000, 0, 4096);
	{
		size_t n = RAM - A64_FDT_MAX - 0x200000 + 4096;
		uint8_t *blob = calloc(1, n);

		assert_non_null(blob);
		write_file(f->initrd, blob, n);
		free(blob);
	}
	assert_int_equal(a64_boot_load(&f->mem, &c, &bi, f->err,
				       sizeof(f->err)),
			 -ENOSPC);
	assert_non_null(strstr(f->err, "--initramfs"));
	/* Missing initramfs. */
	write_file(f->initrd, &one, 1);
	c.initramfs_path = "/nonexistent/initrd";
	assert_int_equal(a64_boot_load(&f->mem, &c, &bi, f->err,
				       sizeof(f->err)),
			 -ENOENT);
	c.initramfs_path = f->initrd;
	/* Command line too long. */
	memset(big, 'a', sizeof(big) - 1);
	c.cmdline = big;
	assert_int_equal(a64_boot_load(&f->mem, &c, &bi, f->err,
				       sizeof(f->err)),
			 -E2BIG);
	/* A directory is no kernel. */
	c.cmdline = NULL;
	c.kernel_path = "/tmp";
	assert_int_equal(a64_boot_load(&f->mem, &c, &bi, f->err,
				       sizeof(f->err)),
			 -EINVAL);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		T(test_load_kernel_initrd),
		T(test_no_initrd_old_kernel),
		T(test_refusals),
	};

	return cmocka_run_group_tests_name("boot_image", tests, NULL, NULL);
}
