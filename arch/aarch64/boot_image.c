// SPDX-License-Identifier: Apache-2.0
/*
 * boot_image.c - load an arm64 Linux Image and its initramfs.
 *
 * Layout facts from the kernel's Documentation/arm64/booting.rst: the
 * 64-byte header holds text_offset (offset 8), image_size (16), flags
 * (24) and the magic "ARM\x64" (56); the Image must sit at a 2 MiB
 * aligned base plus text_offset, with image_size bytes free from there;
 * an image_size of 0 means an old kernel with text_offset 0x80000.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_MOD "a64-boot"
#include "arch/aarch64/boot.h"
#include "vmm/log.h"

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

int a64_image_parse(const void *buf, size_t len, struct a64_image_hdr *out,
		    int *gzip)
{
	const uint8_t *p = buf;
	uint32_t magic;

	if (gzip)
		*gzip = len >= 2 && p[0] == 0x1f && p[1] == 0x8b;
	if (len < A64_IMAGE_HDR_SIZE)
		return -ENOEXEC;
	magic = (uint32_t)le64(p + 56);
	if (magic != A64_IMAGE_MAGIC)
		return -ENOEXEC;
	out->text_offset = le64(p + 8);
	out->image_size = le64(p + 16);
	out->flags = le64(p + 24);
	if (out->flags & A64_IMAGE_FLAG_BE)
		return -EINVAL;
	if (!out->image_size)
		out->text_offset = A64_IMAGE_DEFAULT_TEXT_OFFSET;
	/* Both must leave the kernel well inside any sane RAM. */
	if (out->text_offset >= A64_KERNEL_ALIGN * 16 ||
	    (out->text_offset & 0xfff) || out->image_size > (1ull << 32))
		return -EINVAL;
	return 0;
}

/* Read all of fd (size bytes) into guest RAM at gpa. */
static int read_into(struct guest_mem *m, int fd, uint64_t gpa, uint64_t size)
{
	uint8_t *dst = guest_mem_ptr(m, gpa, size);
	uint64_t done = 0;
	ssize_t n;

	if (!dst)
		return -ENOSPC;
	while (done < size) {
		n = pread(fd, dst + done, size - done, (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO; /* file shrank under us */
		done += (uint64_t)n;
	}
	return 0;
}

static int open_sized(const char *path, uint64_t *size)
{
	struct stat st;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

static int load_kernel(struct guest_mem *m, const struct a64_boot_cfg *cfg,
		       struct a64_boot_info *out, char *err, size_t errlen)
{
	uint8_t hdr[A64_IMAGE_HDR_SIZE];
	struct a64_image_hdr h;
	uint64_t size, base, span;
	int fd, gz = 0, ret;
	ssize_t n;

	fd = open_sized(cfg->kernel_path, &size);
	if (fd < 0) {
		snprintf(err, errlen, "--kernel %s: %s", cfg->kernel_path,
			 strerror(-fd));
		return fd;
	}
	n = pread(fd, hdr, sizeof(hdr), 0);
	ret = a64_image_parse(hdr, n > 0 ? (size_t)n : 0, &h, &gz);
	if (ret) {
		snprintf(
			err, errlen, "--kernel %s: %s", cfg->kernel_path,
			gz ? "a gzip-compressed kernel; give the uncompressed arm64 Image" :
			ret == -ENOEXEC ?
			     "not an arm64 Image (no ARM\\x64 magic)" :
			     "unsupported Image header (big endian or bad text_offset/image_size)");
		goto out;
	}
	base = (cfg->ram_base + A64_KERNEL_ALIGN - 1) & ~(A64_KERNEL_ALIGN - 1);
	out->kernel_addr = base + h.text_offset;
	span = h.image_size > size ? h.image_size : size;
	out->kernel_end = out->kernel_addr + span;
	if (out->kernel_end > cfg->ram_base + cfg->ram_size - A64_FDT_MAX ||
	    out->kernel_end < out->kernel_addr) {
		snprintf(err, errlen,
			 "--kernel %s: %llu MiB do not fit in guest RAM",
			 cfg->kernel_path, (unsigned long long)(span >> 20));
		ret = -ENOSPC;
		goto out;
	}
	ret = read_into(m, fd, out->kernel_addr, size);
	if (ret)
		snprintf(err, errlen, "--kernel %s: %s", cfg->kernel_path,
			 strerror(-ret));
out:
	close(fd);
	return ret;
}

static int load_initramfs(struct guest_mem *m, const struct a64_boot_cfg *cfg,
			  struct a64_boot_info *out, char *err, size_t errlen)
{
	uint64_t size, addr;
	int fd, ret;

	fd = open_sized(cfg->initramfs_path, &size);
	if (fd < 0) {
		snprintf(err, errlen, "--initramfs %s: %s", cfg->initramfs_path,
			 strerror(-fd));
		return fd;
	}
	ret = -ENOSPC;
	if (size > out->fdt_addr - out->kernel_end)
		goto nospace;
	addr = (out->fdt_addr - size) & ~0xfffull;
	if (addr < out->kernel_end)
		goto nospace;
	ret = read_into(m, fd, addr, size);
	if (ret) {
		snprintf(err, errlen, "--initramfs %s: %s", cfg->initramfs_path,
			 strerror(-ret));
		goto out;
	}
	out->initrd_addr = addr;
	out->initrd_size = size;
	goto out;
nospace:
	snprintf(
		err, errlen,
		"--initramfs %s: %llu MiB do not fit in guest RAM after the kernel",
		cfg->initramfs_path, (unsigned long long)(size >> 20));
out:
	close(fd);
	return ret;
}

int a64_boot_load(struct guest_mem *m, const struct a64_boot_cfg *cfg,
		  struct a64_boot_info *out, char *err, size_t errlen)
{
	size_t len = cfg->cmdline ? strlen(cfg->cmdline) : 0;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!cfg->kernel_path) {
		snprintf(err, errlen, "no kernel given (--kernel)");
		return -EINVAL;
	}
	if (cfg->ram_size < A64_RAM_MIN || (cfg->ram_base & 0xfff) ||
	    (cfg->ram_size & (A64_FDT_MAX - 1))) {
		snprintf(err, errlen, "guest RAM too small or misaligned");
		return -EINVAL;
	}
	if (len >= sizeof(out->cmdline)) {
		snprintf(err, errlen, "--cmdline: %zu bytes, at most %zu", len,
			 sizeof(out->cmdline) - 1);
		return -E2BIG;
	}
	if (len)
		memcpy(out->cmdline, cfg->cmdline, len);
	out->fdt_addr = cfg->ram_base + cfg->ram_size - A64_FDT_MAX;
	ret = load_kernel(m, cfg, out, err, errlen);
	if (!ret && cfg->initramfs_path)
		ret = load_initramfs(m, cfg, out, err, errlen);
	if (!ret)
		log_debug(
			"kernel at %#llx..%#llx, initramfs %#llx+%#llx, fdt %#llx",
			(unsigned long long)out->kernel_addr,
			(unsigned long long)out->kernel_end,
			(unsigned long long)out->initrd_addr,
			(unsigned long long)out->initrd_size,
			(unsigned long long)out->fdt_addr);
	return ret;
}
