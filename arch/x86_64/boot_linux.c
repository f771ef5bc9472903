// SPDX-License-Identifier: Apache-2.0
/*
 * boot_linux.c - x86_boot_load(): format detection, the helpers both
 * loaders share, and the bzImage loader (Linux 64-bit boot protocol).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_MOD "x86-boot"
#include "arch/x86_64/boot.h"
#include "arch/x86_64/layout.h"
#include "vmm/log.h"

#define BOOT_PAGE 0x1000ull
#define BOOT_HEAD_LEN 4096u /* bytes read for format detection */
#define BZ_MIN_VERSION 0x020cu /* 2.12: xloadflags exists */
#define BZ_MAX_ALIGN (1ull << 30) /* sanity bound on kernel_alignment */
/* heap_end_ptr as in the protocol's sample setup (heap ends at 0xe000). */
#define BZ_HEAP_END 0xe000u
/* Bytes of setup header we need: up to and including init_size. */
#define BZ_HDR_NEED (X86_BP_OFF(hdr.init_size) + 4)

/* The jump byte can describe at most 0x202 + 127 bytes: inside the hole. */
_Static_assert(0x202 + 127 <= X86_SETUP_HDR_LIMIT, "setup header limit");
/* The smallest setup area (1 sector + boot sector) holds the header. */
_Static_assert(2 * X86_SECTOR_SIZE >= X86_SETUP_HDR_LIMIT, "setup area");
_Static_assert(BOOT_HEAD_LEN >= X86_SETUP_HDR_LIMIT, "head buffer");

static uint64_t page_up(uint64_t v)
{
	return (v + BOOT_PAGE - 1) & ~(BOOT_PAGE - 1);
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

int x86_boot_err(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

int x86_boot_read(const struct x86_boot_file *f, void *buf, uint64_t len,
		  uint64_t off, char *err, size_t errlen)
{
	uint8_t *p = buf;
	ssize_t r;
	int ret;

	if (off > f->size || len > f->size - off)
		return x86_boot_err(
			err, errlen, -EINVAL,
			"%s: data at offset %llu (+%llu bytes) lies "
			"past the end of the file (%llu bytes)",
			f->path, (unsigned long long)off,
			(unsigned long long)len, (unsigned long long)f->size);
	while (len) {
		size_t chunk = len > (1u << 30) ? (1u << 30) : (size_t)len;

		r = pread(f->fd, p, chunk, (off_t)off);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			return x86_boot_err(err, errlen, ret,
					    "%s: read failed: %s", f->path,
					    strerror(-ret));
		}
		if (r == 0)
			return x86_boot_err(err, errlen, -EIO,
					    "%s: file shrank while being read",
					    f->path);
		p += r;
		off += (uint64_t)r;
		len -= (uint64_t)r;
	}
	return 0;
}

static int boot_open(const char *what, const char *path,
		     struct x86_boot_file *f, char *err, size_t errlen)
{
	struct stat st;
	int ret;

	f->path = path;
	f->size = 0;
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0) {
		ret = -errno;
		return x86_boot_err(err, errlen, ret, "%s: cannot open %s: %s",
				    path, what, strerror(-ret));
	}
	if (fstat(f->fd, &st) < 0) {
		ret = -errno;
		x86_boot_err(err, errlen, ret, "%s: cannot stat %s: %s", path,
			     what, strerror(-ret));
		goto err_close;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = x86_boot_err(err, errlen, -EINVAL,
				   "%s: %s is not a regular file", path, what);
		goto err_close;
	}
	f->size = (uint64_t)st.st_size;
	return 0;

err_close:
	close(f->fd);
	f->fd = -1;
	return ret;
}

int x86_boot_put_cmdline(struct guest_mem *m, const struct x86_boot_cfg *cfg,
			 uint64_t max_len, char *err, size_t errlen)
{
	const char *s = cfg->cmdline ? cfg->cmdline : "";
	size_t len = strnlen(s, X86_CMDLINE_MAX);

	if (max_len > X86_CMDLINE_MAX - 1)
		max_len = X86_CMDLINE_MAX - 1;
	if (len > max_len)
		return x86_boot_err(err, errlen, -E2BIG,
				    "kernel command line is too long (%s%zu "
				    "bytes, the limit is %llu)",
				    len >= X86_CMDLINE_MAX ? "at least " : "",
				    len, (unsigned long long)max_len);
	if (guest_mem_write(m, X86_CMDLINE_ADDR, s, len + 1))
		return x86_boot_err(err, errlen, -EFAULT,
				    "no guest RAM for the command line at "
				    "0x%llx",
				    (unsigned long long)X86_CMDLINE_ADDR);
	return 0;
}

int x86_boot_put_initrd(struct guest_mem *m, const struct x86_boot_cfg *cfg,
			uint64_t lowest, uint64_t limit,
			struct x86_boot_info *bi, char *err, size_t errlen)
{
	struct x86_boot_file f;
	uint64_t addr;
	void *dst;
	int ret;

	bi->initrd_addr = 0;
	bi->initrd_size = 0;
	if (!cfg->initramfs_path)
		return 0;
	ret = boot_open("initramfs", cfg->initramfs_path, &f, err, errlen);
	if (ret)
		return ret;
	if (!f.size) {
		ret = x86_boot_err(err, errlen, -EINVAL,
				   "%s: initramfs is empty", f.path);
		goto out_close;
	}
	if (limit < lowest || f.size > limit - lowest ||
	    ((limit - f.size) & ~(BOOT_PAGE - 1)) < lowest) {
		ret = x86_boot_err(err, errlen, -ENOSPC,
				   "%s: initramfs (%llu bytes) does not fit in "
				   "guest RAM between 0x%llx and 0x%llx",
				   f.path, (unsigned long long)f.size,
				   (unsigned long long)lowest,
				   (unsigned long long)limit);
		goto out_close;
	}
	addr = (limit - f.size) & ~(BOOT_PAGE - 1);
	dst = guest_mem_ptr(m, addr, f.size);
	if (!dst) {
		ret = x86_boot_err(err, errlen, -EFAULT,
				   "%s: no guest RAM at 0x%llx for the "
				   "initramfs",
				   f.path, (unsigned long long)addr);
		goto out_close;
	}
	ret = x86_boot_read(&f, dst, f.size, 0, err, errlen);
	if (ret)
		goto out_close;
	bi->initrd_addr = addr;
	bi->initrd_size = f.size;
out_close:
	close(f.fd);
	return ret;
}

/* Where the protected-mode kernel goes; see the rules in boot.h. */
static int bz_place(const struct x86_setup_header *h,
		    const struct x86_boot_cfg *cfg, const char *path,
		    uint64_t *load, char *err, size_t errlen)
{
	uint64_t align = h->kernel_alignment;

	if (h->relocatable_kernel) {
		if (align < BOOT_PAGE || align > BZ_MAX_ALIGN ||
		    (align & (align - 1)))
			return x86_boot_err(err, errlen, -EINVAL,
					    "%s: bad kernel_alignment 0x%llx",
					    path, (unsigned long long)align);
		*load = (X86_KERNEL_ADDR + align - 1) & ~(align - 1);
		return 0;
	}
	*load = h->pref_address;
	if (*load < X86_HIMEM_START || *load >= cfg->layout.low_size ||
	    (*load & (BOOT_PAGE - 1)))
		return x86_boot_err(err, errlen, -EINVAL,
				    "%s: non-relocatable kernel wants "
				    "pref_address 0x%llx, outside low RAM",
				    path, (unsigned long long)*load);
	return 0;
}

/* Checks the header copy in bp and returns the setup area size. */
static int bz_check(const struct x86_boot_params *bp, size_t hdr_end,
		    const struct x86_boot_file *f, uint64_t *setup_size,
		    char *err, size_t errlen)
{
	const struct x86_setup_header *h = &bp->hdr;
	unsigned int sects = h->setup_sects;

	if (h->boot_flag != X86_BOOT_FLAG_MAGIC)
		return x86_boot_err(err, errlen, -EINVAL,
				    "%s: bad boot_flag 0x%04x in the setup "
				    "header (want 0xaa55)",
				    f->path, h->boot_flag);
	if (h->version < BZ_MIN_VERSION)
		return x86_boot_err(err, errlen, -ENOEXEC,
				    "%s: boot protocol %u.%02u is too old "
				    "(need 2.12 or later)",
				    f->path, h->version >> 8,
				    h->version & 0xff);
	if (hdr_end < BZ_HDR_NEED)
		return x86_boot_err(err, errlen, -EINVAL,
				    "%s: setup header ends at 0x%zx, too short "
				    "for protocol %u.%02u",
				    f->path, hdr_end, h->version >> 8,
				    h->version & 0xff);
	if (!(h->loadflags & X86_LOADED_HIGH))
		return x86_boot_err(
			err, errlen, -ENOEXEC,
			"%s: zImage kernels (LOADED_HIGH clear) are "
			"not supported",
			f->path);
	if (!(h->xloadflags & X86_XLF_KERNEL_64))
		return x86_boot_err(err, errlen, -ENOEXEC,
				    "%s: kernel has no 64-bit entry point "
				    "(XLF_KERNEL_64 clear; 32-bit kernel?)",
				    f->path);
	if (!sects)
		sects = X86_SETUP_SECTS_DEFAULT;
	*setup_size = (uint64_t)(sects + 1) * X86_SECTOR_SIZE;
	if (*setup_size >= f->size)
		return x86_boot_err(err, errlen, -EINVAL,
				    "%s: setup_sects (%u) points past the end "
				    "of the file (%llu bytes)",
				    f->path, sects,
				    (unsigned long long)f->size);
	return 0;
}

/* Fill in the loader's fields of boot_params and write it to the guest. */
static int bz_write_params(struct guest_mem *m, const struct x86_boot_cfg *cfg,
			   struct x86_boot_params *bp, uint64_t load,
			   const struct x86_boot_info *bi, char *err,
			   size_t errlen)
{
	struct x86_setup_header *h = &bp->hdr;
	unsigned int nr;
	int ret;

	h->vid_mode = X86_VID_MODE_NORMAL;
	h->type_of_loader = X86_LOADER_TYPE_UNDEFINED;
	/* KEEP_SEGMENTS is obsolete and meaningless for the 64-bit entry. */
	h->loadflags = (uint8_t)((h->loadflags & ~X86_KEEP_SEGMENTS) |
				 X86_CAN_USE_HEAP);
	h->heap_end_ptr = BZ_HEAP_END - 0x200;
	h->code32_start = (uint32_t)load;
	h->cmd_line_ptr = (uint32_t)X86_CMDLINE_ADDR;
	h->ramdisk_image = (uint32_t)bi->initrd_addr;
	h->ramdisk_size = (uint32_t)bi->initrd_size;
	bp->ext_ramdisk_image = (uint32_t)(bi->initrd_addr >> 32);
	bp->ext_ramdisk_size = (uint32_t)(bi->initrd_size >> 32);
	/* We pass no setup_data; never forward a pointer from the file. */
	h->setup_data = 0;
	bp->acpi_rsdp_addr = cfg->rsdp_addr;
	ret = x86_e820_build(&cfg->layout, bp->e820_table, X86_ZP_E820_MAX,
			     &nr);
	if (ret)
		return x86_boot_err(err, errlen, ret,
				    "bad guest memory layout");
	bp->e820_entries = (uint8_t)nr;
	if (guest_mem_write(m, X86_ZERO_PAGE_ADDR, bp, sizeof(*bp)))
		return x86_boot_err(err, errlen, -EFAULT,
				    "no guest RAM for boot_params at 0x%llx",
				    (unsigned long long)X86_ZERO_PAGE_ADDR);
	return 0;
}

int x86_boot_load_bzimage(struct guest_mem *m, const struct x86_boot_cfg *cfg,
			  const struct x86_boot_file *f, const uint8_t *head,
			  size_t head_len, struct x86_boot_info *bi, char *err,
			  size_t errlen)
{
	struct x86_boot_params bp;
	struct x86_setup_header *h = &bp.hdr;
	uint64_t setup_size = 0, load = 0, pm_size, footprint, limit, low;
	size_t hdr_end, copy_end;
	void *dst;
	int disp, ret;

	low = cfg->layout.low_size;
	if (head_len < X86_SETUP_HDR_MAGIC_OFFSET + 6)
		return x86_boot_err(err, errlen, -EINVAL,
				    "%s: truncated setup header", f->path);
	/* The jump at 0x200 is EB <signed disp>: the header ends there. */
	disp = (int8_t)head[0x201];
	hdr_end = disp > 0 ? 0x202 + (size_t)disp : 0x202;
	if (hdr_end > head_len)
		return x86_boot_err(err, errlen, -EINVAL,
				    "%s: file ends inside the setup header",
				    f->path);
	/* Look at everything up to the hole's end, keep only the header. */
	copy_end = head_len < X86_SETUP_HDR_LIMIT ? head_len :
						    X86_SETUP_HDR_LIMIT;
	memset(&bp, 0, sizeof(bp));
	memcpy((uint8_t *)&bp + X86_SETUP_HDR_OFFSET,
	       head + X86_SETUP_HDR_OFFSET, copy_end - X86_SETUP_HDR_OFFSET);
	ret = bz_check(&bp, hdr_end, f, &setup_size, err, errlen);
	if (ret)
		return ret;
	memset((uint8_t *)&bp + hdr_end, 0, copy_end - hdr_end);
	pm_size = f->size - setup_size;
	ret = bz_place(h, cfg, f->path, &load, err, errlen);
	if (ret)
		return ret;
	/* The decompressor needs init_size bytes from the load address. */
	footprint = pm_size > h->init_size ? pm_size : h->init_size;
	if (load >= low || footprint > low - load)
		return x86_boot_err(err, errlen, -ENOSPC,
				    "%s: kernel needs 0x%llx bytes at 0x%llx "
				    "but guest low RAM ends at 0x%llx",
				    f->path, (unsigned long long)footprint,
				    (unsigned long long)load,
				    (unsigned long long)low);
	dst = guest_mem_ptr(m, load, pm_size);
	if (!dst)
		return x86_boot_err(err, errlen, -EFAULT,
				    "%s: no guest RAM at 0x%llx for the kernel",
				    f->path, (unsigned long long)load);
	ret = x86_boot_read(f, dst, pm_size, setup_size, err, errlen);
	if (ret)
		return ret;

	ret = x86_boot_put_cmdline(
		m, cfg, h->cmdline_size ? h->cmdline_size : 255, err, errlen);
	if (ret)
		return ret;
	/* initrd_addr_max is the highest byte the initramfs may use. */
	limit = (uint64_t)(h->initrd_addr_max ? h->initrd_addr_max :
						X86_INITRD_ADDR_MAX_DEFAULT);
	limit = limit + 1 < low ? limit + 1 : low;
	ret = x86_boot_put_initrd(m, cfg, page_up(load + footprint), limit, bi,
				  err, errlen);
	if (ret)
		return ret;

	ret = bz_write_params(m, cfg, &bp, load, bi, err, errlen);
	if (ret)
		return ret;
	bi->mode = X86_ENTRY_LINUX64;
	bi->entry = load + X86_LINUX64_ENTRY_OFFSET;
	bi->params_addr = X86_ZERO_PAGE_ADDR;
	bi->kernel_start = load;
	bi->kernel_end = load + footprint;
	log_info("bzImage %s: protocol %u.%02u, %llu KiB at 0x%llx, "
		 "init_size %llu KiB",
		 f->path, h->version >> 8, h->version & 0xff,
		 (unsigned long long)(pm_size >> 10), (unsigned long long)load,
		 (unsigned long long)(h->init_size >> 10));
	return 0;
}

int x86_boot_load(struct guest_mem *m, const struct x86_boot_cfg *cfg,
		  struct x86_boot_info *out, char *err, size_t errlen)
{
	struct x86_e820_entry e820[8];
	uint8_t head[BOOT_HEAD_LEN];
	struct x86_boot_file f;
	unsigned int nr;
	size_t head_len;
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (!m || !cfg || !out)
		return x86_boot_err(err, errlen, -EINVAL,
				    "x86_boot_load: missing argument");
	memset(out, 0, sizeof(*out));
	if (!cfg->kernel_path || !cfg->kernel_path[0])
		return x86_boot_err(err, errlen, -EINVAL,
				    "no kernel image given");
	if (x86_e820_build(&cfg->layout, e820, 8, &nr))
		return x86_boot_err(err, errlen, -EINVAL,
				    "invalid guest memory layout (low 0x%llx, "
				    "high 0x%llx)",
				    (unsigned long long)cfg->layout.low_size,
				    (unsigned long long)cfg->layout.high_size);
	ret = boot_open("kernel", cfg->kernel_path, &f, err, errlen);
	if (ret)
		return ret;
	head_len = f.size < sizeof(head) ? (size_t)f.size : sizeof(head);
	ret = x86_boot_read(&f, head, head_len, 0, err, errlen);
	if (ret)
		goto out_close;

	if (head_len >= 4 && !memcmp(head, "\177ELF", 4))
		ret = x86_boot_load_pvh(m, cfg, &f, head, head_len, out, err,
					errlen);
	else if (head_len >= X86_SETUP_HDR_MAGIC_OFFSET + 4 &&
		 get_le32(head + X86_SETUP_HDR_MAGIC_OFFSET) ==
			 X86_SETUP_HDR_MAGIC)
		ret = x86_boot_load_bzimage(m, cfg, &f, head, head_len, out,
					    err, errlen);
	else
		ret = x86_boot_err(err, errlen, -ENOEXEC,
				   "%s: not a bzImage or an ELF vmlinux (no "
				   "\"HdrS\" setup header, no ELF magic)",
				   f.path);
	if (ret) {
		memset(out, 0, sizeof(*out));
		goto out_close;
	}
	if (out->initrd_size)
		log_info("initramfs %s: %llu KiB at 0x%llx",
			 cfg->initramfs_path,
			 (unsigned long long)(out->initrd_size >> 10),
			 (unsigned long long)out->initrd_addr);
out_close:
	close(f.fd);
	return ret;
}
