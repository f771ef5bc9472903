// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_kernel.c - the x86 kernel loaders (arch/x86_64/boot_linux.c for
 * bzImage with its boot_params and command line, boot_pvh.c for ELF
 * vmlinux with a PVH note) on arbitrary files, with an optional
 * initramfs, any command line and odd memory layouts, followed by the
 * boot tables and vCPU state the platform derives from the result.  A
 * load that succeeds must place the kernel and initramfs inside guest
 * RAM and give an entry point inside the kernel.
 *
 * Input: flags, memory size selector, command line (NUL-terminated),
 * kernel length, kernel bytes, initramfs bytes (the rest).
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "arch/x86_64/boot.h"
#include "arch/x86_64/layout.h"
#include "hv/hv_x86_64.h"
#include "tests/fuzz/fuzz.h"

#define RAM_SIZE (64ull << 20)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fz_ram ram;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_log();
	if (fz_ram_init(&ram, 0, RAM_SIZE))
		abort();
	return 0;
}

static void check_info(const struct x86_boot_info *bi, uint64_t mem)
{
	struct hv_x86_regs regs;
	struct hv_x86_sregs sregs;

	FUZZ_CHECK(bi->mode == X86_ENTRY_LINUX64 ||
		   bi->mode == X86_ENTRY_PVH32);
	FUZZ_CHECK(bi->kernel_start < bi->kernel_end);
	FUZZ_CHECK(bi->kernel_end <= mem);
	FUZZ_CHECK(bi->initrd_addr + bi->initrd_size <= mem);
	FUZZ_CHECK(bi->params_addr < mem);
	FUZZ_CHECK(!x86_boot_write_tables(&ram.mem, bi));
	FUZZ_CHECK(!x86_boot_cpu_state(bi, 0, &regs, &sregs));
	FUZZ_CHECK(regs.rip == bi->entry);
	/* An AP waits for INIT/SIPI. */
	FUZZ_CHECK(x86_boot_cpu_state(bi, 1, &regs, &sregs) == -EAGAIN);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct x86_boot_cfg cfg = { 0 };
	struct x86_boot_info bi;
	char kpath[64], ipath[64], err[256];
	uint64_t mem = RAM_SIZE;
	int kfd, ifd = -1, ret;
	uint32_t klen;
	uint8_t flags;
	char *cmdline;
	struct fz f;

	fz_init(&f, data, size);
	flags = fz_u8(&f);
	if (flags & 1) /* smaller, not page-multiple memory */
		mem -= (uint64_t)fz_u16(&f) * 1000;
	if (flags & 2) /* any size: loads past the RAM must fail cleanly */
		mem = fz_u64(&f);
	x86_mem_layout_from_size(mem, &cfg.layout);
	if (flags & 4)
		x86_mem_layout_reserve(&cfg.layout, fz_u64(&f), fz_u64(&f));
	cfg.rsdp_addr = flags & 8 ? fz_u32(&f) : 0;
	cmdline = fz_str(&f, 8192);
	cfg.cmdline = flags & 16 ? cmdline : NULL;
	klen = fz_u32(&f);
	if (klen > f.n)
		klen = (uint32_t)f.n;
	kfd = fz_memfd("kernel", f.p, klen, kpath);
	f.p += klen;
	f.n -= klen;
	if (kfd < 0)
		abort();
	cfg.kernel_path = kpath;
	if (flags & 32) {
		ifd = fz_memfd("initrd", f.p, f.n, ipath);
		if (ifd < 0)
			abort();
		cfg.initramfs_path = ipath;
	}
	ret = x86_boot_load(&ram.mem, &cfg, &bi, err, sizeof(err));
	/* The loaders place things by the layout (checked against it
	 * here); guest_mem writes past the 64 MiB that back it fail. */
	if (!ret)
		check_info(&bi, cfg.layout.high_size ?
					(4ull << 30) + cfg.layout.high_size :
					cfg.layout.low_size);
	else
		FUZZ_CHECK(err[0] && memchr(err, 0, sizeof(err)));
	close(kfd);
	if (ifd >= 0)
		close(ifd);
	free(cmdline);
	return 0;
}
