/* SPDX-License-Identifier: Apache-2.0 */
/*
 * boot.h - AArch64 Linux boot: the arm64 Image loader and the flattened
 * device tree builder (arch/aarch64/boot_image.c, fdt.c).
 *
 * The loader follows the kernel's booting.rst: the Image header's
 * text_offset and image_size place the kernel at a 2 MiB aligned base
 * plus text_offset at the start of RAM; the FDT goes in the last 2 MiB
 * of RAM and the initramfs right below it.  The FDT builder describes
 * the whole platform (memory, CPUs with PSCI, GICv3 + ITS, timer, PL011,
 * PL031, PL061 with a gpio-keys power key, the PCI ECAM host bridge with
 * msi-map, chosen).  Both are pure functions of their inputs plus guest
 * RAM, so unit tests run them on any host.
 */
#ifndef NIMBUS_ARCH_AARCH64_BOOT_H
#define NIMBUS_ARCH_AARCH64_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "arch/aarch64/layout.h"
#include "vmm/guest_mem.h"

/* Image header fields (booting.rst), little endian in the file. */
#define A64_IMAGE_MAGIC 0x644d5241u /* "ARM\x64" at offset 56 */
#define A64_IMAGE_HDR_SIZE 64u
#define A64_IMAGE_FLAG_BE (1ull << 0)
#define A64_IMAGE_DEFAULT_TEXT_OFFSET 0x80000ull /* image_size == 0 */

struct a64_image_hdr {
	uint64_t text_offset;
	uint64_t image_size; /* bytes from the load address, bss included */
	uint64_t flags;
};

/*
 * Parse the first `len` bytes of a kernel file.  0 and *out; -ENOEXEC for
 * a file that is no arm64 Image (no magic; also gzip data, with *gzip set
 * when it looks compressed), -EINVAL for a big-endian kernel or a
 * text_offset/image_size that cannot be placed.  Pure.
 */
int a64_image_parse(const void *buf, size_t len, struct a64_image_hdr *out,
		    int *gzip);

struct a64_boot_cfg {
	const char *kernel_path;
	const char *initramfs_path; /* NULL: none */
	const char *cmdline; /* NULL: empty */
	uint64_t ram_base, ram_size; /* the single RAM region */
};

struct a64_boot_info {
	uint64_t kernel_addr; /* where the Image was loaded: the entry */
	uint64_t kernel_end; /* load address + max(image_size, file) */
	uint64_t initrd_addr, initrd_size; /* size 0: none */
	uint64_t fdt_addr; /* where the FDT goes (A64_FDT_MAX bytes) */
	char cmdline[A64_CMDLINE_MAX];
};

/*
 * Load the kernel and initramfs into guest RAM (`m` maps [ram_base,
 * ram_base + ram_size)) and fill *out.  On failure a one-line reason is
 * in err: -ENOENT/-errno for files, -ENOEXEC/-EINVAL for the Image,
 * -E2BIG for a command line too long, -ENOSPC when things do not fit in
 * RAM.  Main thread.
 */
int a64_boot_load(struct guest_mem *m, const struct a64_boot_cfg *cfg,
		  struct a64_boot_info *out, char *err, size_t errlen);

/* What the FDT describes. */
struct a64_fdt_cfg {
	uint64_t ram_base, ram_size;
	uint32_t nr_cpus;
	const uint64_t *mpidr; /* nr_cpus affinity values (reg of each cpu) */
	const char *bootargs; /* may be NULL */
	uint64_t initrd_addr, initrd_size; /* size 0: none */
	int has_uart; /* PL011 at A64_UART_BASE, stdout-path */
	int has_pci; /* ECAM host bridge with msi-map to the ITS */
};

/*
 * Build the device tree into buf[0..size) (a valid, packed FDT on
 * success).  0, -ENOSPC when it does not fit, -EINVAL for a bad cfg, or
 * -EIO for another libfdt failure.  Pure.
 */
int a64_fdt_build(const struct a64_fdt_cfg *cfg, void *buf, size_t size);

#endif /* NIMBUS_ARCH_AARCH64_BOOT_H */
