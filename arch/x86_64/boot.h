/* SPDX-License-Identifier: Apache-2.0 */
/*
 * boot.h - x86_64 payload loader and initial vCPU state.
 *
 * Loads a guest kernel into guest RAM and describes how to enter it.  Two
 * payload formats are recognised from the file contents, never from the
 * name:
 *  - a bzImage (Linux boot protocol 2.12 or later with XLF_KERNEL_64),
 *    entered through the 64-bit boot protocol: long mode, identity paging
 *    of 0-4 GiB, RSI = struct boot_params at X86_ZERO_PAGE_ADDR;
 *  - an ELF64 x86_64 executable with a Xen PVH entry note
 *    (XEN_ELFNOTE_PHYS32_ENTRY in a PT_NOTE), entered in 32-bit flat
 *    protected mode with paging off, EBX = struct hvm_start_info at
 *    X86_PVH_INFO_ADDR.
 * Both get the same memory map (x86_e820_build), the command line at
 * X86_CMDLINE_ADDR and an optional initramfs placed page aligned as high
 * in low RAM as the kernel allows.
 *
 * Kernel and initramfs files are user input: every header field is checked
 * before use, and a bad file yields an error code plus a one-line message
 * naming the file, never a crash.
 *
 * Boot sequence for the VMM: x86_boot_load(), x86_boot_write_tables() on
 * the main thread after RAM exists, then x86_boot_setup_vcpu() on every
 * vCPU thread after vcpu_create.  Nothing here keeps state between calls.
 */
#ifndef NIMBUS_ARCH_X86_64_BOOT_H
#define NIMBUS_ARCH_X86_64_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/bootparam.h"
#include "hv/hv.h"
#include "hv/hv_x86_64.h"
#include "vmm/guest_mem.h"

/* ---------------------------------------------------------------------- */
/* Guest memory map                                                        */

/* Extra reserved ranges a layout can carry (the PCI ECAM range, ...). */
#define X86_MEM_MAX_RESERVED 4u

struct x86_mem_range {
	uint64_t addr;
	uint64_t size;
};

/*
 * Guest RAM is [0, low_size) and [X86_HIGH_RAM_START, +high_size).
 * low_size <= X86_MMIO_HOLE_START; both are multiples of 4 KiB, and
 * low_size must be above X86_HIMEM_START (1 MiB).  reserved[0..nr_reserved)
 * are extra e820 "reserved" ranges outside RAM (page aligned, non-empty,
 * disjoint); zero of them (the zeroed default) changes nothing.
 */
struct x86_mem_layout {
	uint64_t low_size;
	uint64_t high_size;
	unsigned int nr_reserved;
	struct x86_mem_range reserved[X86_MEM_MAX_RESERVED];
};

/*
 * Split `mem_size` bytes of RAM around the 32-bit MMIO hole: up to
 * X86_MMIO_HOLE_START below 4 GiB, the rest from 4 GiB.  Sets all of *l
 * (no reserved ranges).  Pure; no checks (x86_e820_build validates the
 * result).
 */
void x86_mem_layout_from_size(uint64_t mem_size, struct x86_mem_layout *l);

/*
 * Add [addr, addr + size) to l's reserved ranges, e.g. the ECAM range
 * from x86_acpi_pci_ecam_range() so that Linux's early MMCONFIG check
 * passes (see arch/x86_64/acpi.h).  Returns 0, -EINVAL for size 0, an
 * address or size not 4 KiB aligned, or a range that wraps, -ENOSPC if
 * X86_MEM_MAX_RESERVED ranges are already there.  Overlaps with RAM or
 * other ranges are caught by x86_e820_build.  Pure; any thread.
 */
int x86_mem_layout_reserve(struct x86_mem_layout *l, uint64_t addr,
			   uint64_t size);

/*
 * The 64-bit PCI BAR window for `l`: *base is the first 1 GiB boundary at
 * or above the end of RAM (4 GiB + high_size; 4 GiB without high RAM)
 * and *size is X86_PCI_MMIO64_SIZE.  Returns 0, or -ERANGE if the window
 * would end above 2^52 (the architectural physical address limit; the
 * caller must still check the vCPUs' MAXPHYADDR).  Reserved ranges are
 * not considered.  Pure; any thread.
 */
int x86_pci_mmio64_window(const struct x86_mem_layout *l, uint64_t *base,
			  uint64_t *size);

/*
 * Build the e820 map for `l` into out[0..max):
 *   [0, X86_EBDA_START)                RAM
 *   [X86_EBDA_START, X86_HIMEM_START)  reserved (EBDA, BIOS area and the
 *                                      ACPI tables at X86_ACPI_BASE: the
 *                                      whole range is type 2; ACPI
 *                                      permits tables in reserved memory
 *                                      and the kernel never reuses it)
 *   [X86_HIMEM_START, low_size)        RAM
 *   [X86_HIGH_RAM_START, +high_size)   RAM, only if high_size != 0
 *   each of l->reserved[]              reserved
 * The rest of the MMIO hole [low_size, 4 GiB) is not listed.  Entries
 * are sorted by address and disjoint.  Returns 0 and sets *nr, -EINVAL
 * for a layout that breaks the rules above (including a reserved range
 * that is empty, unaligned, wraps, or overlaps RAM, the low reserved
 * area or another reserved range), -ENOSPC if `max` is too small (out
 * may be partly written).
 * Pure; any thread.
 */
int x86_e820_build(const struct x86_mem_layout *l, struct x86_e820_entry *out,
		   unsigned int max, unsigned int *nr);

/* ---------------------------------------------------------------------- */
/* Loading                                                                  */

struct x86_boot_cfg {
	const char *kernel_path; /* required */
	const char *initramfs_path; /* NULL: none */
	const char *cmdline; /* NULL: "" */
	struct x86_mem_layout layout;
	uint64_t rsdp_addr; /* guest address of the ACPI RSDP, 0: none */
};

enum x86_entry_mode {
	/* 64-bit boot protocol: long mode, RSI = boot_params */
	X86_ENTRY_LINUX64 = 1,
	/* PVH: 32-bit protected mode, paging off, EBX = hvm_start_info */
	X86_ENTRY_PVH32 = 2,
};

struct x86_boot_info {
	uint32_t mode; /* enum x86_entry_mode */
	uint64_t entry; /* guest physical entry point */
	uint64_t params_addr; /* boot_params or hvm_start_info */
	/*
	 * Guest range the kernel owns at entry: for a bzImage the load
	 * address up to max(image size, init_size); for PVH the lowest
	 * p_paddr up to the highest p_paddr + p_memsz.
	 */
	uint64_t kernel_start, kernel_end;
	uint64_t initrd_addr, initrd_size; /* 0, 0 without an initramfs */
};

/*
 * Load cfg->kernel_path (and cfg->initramfs_path) into `m` and fill *out.
 * Main thread, before any vCPU runs; `m` must hold the RAM `cfg->layout`
 * describes.  The loader writes the kernel, initramfs, command line and
 * boot_params/hvm_start_info (+ memory map and module list); the GDT and
 * page tables come from x86_boot_write_tables().
 *
 * bzImage rules: boot protocol 2.12 or later (xloadflags must exist),
 * LOADED_HIGH and XLF_KERNEL_64 set.  A relocatable kernel is loaded at
 * X86_KERNEL_ADDR rounded up to kernel_alignment (a power of two from
 * 4 KiB to 1 GiB); a non-relocatable one at pref_address.  The image and
 * init_size must fit in low RAM.  The initramfs goes below
 * min(initrd_addr_max + 1, low_size) and above the kernel's init_size.
 * PVH rules: ELF64, little endian, EM_X86_64, ET_EXEC; every PT_LOAD with
 * p_memsz > 0 lies in RAM at or above 1 MiB (by p_paddr), has
 * p_filesz <= p_memsz and file data inside the file; the entry (4- or
 * 8-byte note, below 4 GiB) lies in a loaded segment.
 *
 * On failure err (if errlen > 0) holds one line naming the file and the
 * problem, and guest RAM may be partly written.  Returns 0 or:
 *   -EINVAL   no kernel path, bad layout, or a corrupt/truncated/hostile
 *             header (setup_sects past EOF, segment overlapping the first
 *             MiB or outside RAM, p_filesz > p_memsz, overflowing
 *             offsets, empty initramfs ...)
 *   -ENOEXEC  not a format we boot: neither ELF nor bzImage, ELF without
 *             the PVH note or not x86_64, bzImage older than 2.12, zImage,
 *             or a bzImage without the 64-bit entry (XLF_KERNEL_64)
 *   -E2BIG    command line longer than the kernel's cmdline_size or
 *             X86_CMDLINE_MAX - 1
 *   -ENOSPC   kernel (with init_size) or initramfs does not fit in RAM
 *   -EFAULT   `m` lacks RAM the layout promised
 *   -EIO      a file shrank while being read
 *   -ENOMEM   host allocation failed
 *   -errno    the kernel or initramfs cannot be opened or read
 */
int x86_boot_load(struct guest_mem *m, const struct x86_boot_cfg *cfg,
		  struct x86_boot_info *out, char *err, size_t errlen);

/* ---------------------------------------------------------------------- */
/* Initial CPU state                                                        */

/* The boot GDT at X86_GDT_ADDR: null, unused, code, data. */
#define X86_BOOT_GDT_ENTRIES 4u
#define X86_BOOT_CS 0x10u /* 64-bit code (LINUX64) or 32-bit code (PVH32) */
#define X86_BOOT_DS 0x18u /* flat 4 GiB read/write data */
/* Boot page tables (LINUX64): PML4 -> PDPT -> 4 PDs of 2 MiB pages. */
#define X86_BOOT_PD_COUNT 4u

/*
 * Fill the initial registers of vCPU `vcpu_id` for `bi`.  Pure: fills all
 * of *regs and *sregs (apic_base, cr2 and cr8 left 0: x86_boot_setup_vcpu
 * keeps the hypervisor's values for those).
 *  BSP (0), LINUX64: long mode; CS = 0x10 64-bit code, DS/ES/FS/GS/SS =
 *    0x18 flat data, GDT X86_GDT_ADDR, IDT X86_IDT_ADDR limit 0, CR0 =
 *    PE|ET|PG, CR4 = PAE, CR3 = X86_PML4_ADDR, EFER = LME|LMA, RIP =
 *    entry, RSI = params_addr, RSP = X86_BOOT_STACK, RFLAGS = 0x2.
 *  BSP, PVH32: 32-bit flat protected mode, paging off; CS = 0x10 32-bit
 *    code, data 0x18, CR0 = PE|ET, CR4 = 0, EFER = 0, RIP = entry, RBX =
 *    params_addr, RSP = X86_BOOT_STACK, RFLAGS = 0x2.
 *  Both: TR selector 0, base 0, limit 0x67, busy TSS (type 11), present
 *    (what VM entry requires); LDTR unusable.  Segment attributes equal
 *    the descriptors x86_boot_write_tables() writes, bit for bit.
 * Returns 0, -EAGAIN for an AP (vcpu_id > 0: it stays in the reset state
 * and waits for INIT/SIPI from the BSP through the in-hypervisor LAPIC),
 * -EINVAL for an unknown mode.
 */
int x86_boot_cpu_state(const struct x86_boot_info *bi, uint32_t vcpu_id,
		       struct hv_x86_regs *regs, struct hv_x86_sregs *sregs);

/*
 * Write the boot GDT (X86_BOOT_GDT_ENTRIES at X86_GDT_ADDR, code
 * descriptor per bi->mode), a zeroed IDT slot at X86_IDT_ADDR, and for
 * LINUX64 the identity page tables for 0-4 GiB (PML4 at X86_PML4_ADDR,
 * PDPT at X86_PDPT_ADDR, 4 PDs of 2 MiB pages from X86_PD_ADDR).  Main
 * thread, before vCPUs run.  Returns 0, -EINVAL for an unknown mode,
 * -EFAULT if that low RAM is missing from `m`.
 */
int x86_boot_write_tables(struct guest_mem *m, const struct x86_boot_info *bi);

/*
 * Load the boot state into vCPU `v`: reads HV_REGS_SPECIAL, overrides the
 * segments, descriptor tables, CR0/CR3/CR4 and EFER (keeping apic_base,
 * CR2, CR8), writes it back, then writes HV_REGS_CORE.  For an AP
 * (vcpu_id > 0) it does nothing and returns 0.  Called on v's vCPU
 * thread before its first vcpu_run.  Returns 0, -EINVAL for a bad mode,
 * -EOPNOTSUPP if the register ops are missing, or the op's error.
 */
int x86_boot_setup_vcpu(const struct hv_ops *ops, struct hv_vcpu *v,
			const struct x86_boot_info *bi, uint32_t vcpu_id);

/* ---------------------------------------------------------------------- */
/* Internal to arch/x86_64/boot_*.c (shared by the two loaders)             */

struct x86_boot_file {
	const char *path;
	int fd;
	uint64_t size;
};

/* Format "msg" into err (if errlen) and return `ret`. */
int x86_boot_err(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Read exactly len bytes at off: 0, -EINVAL past EOF, -EIO short, -errno. */
int x86_boot_read(const struct x86_boot_file *f, void *buf, uint64_t len,
		  uint64_t off, char *err, size_t errlen);
/* Copy cfg->cmdline (NULL = "") to X86_CMDLINE_ADDR; at most max_len
 * characters before the NUL (-E2BIG). */
int x86_boot_put_cmdline(struct guest_mem *m, const struct x86_boot_cfg *cfg,
			 uint64_t max_len, char *err, size_t errlen);
/* Load cfg->initramfs_path (if any) page aligned, as high as possible with
 * [addr, addr+size) inside [lowest, limit); sets bi->initrd_*.  -ENOSPC if
 * it does not fit. */
int x86_boot_put_initrd(struct guest_mem *m, const struct x86_boot_cfg *cfg,
			uint64_t lowest, uint64_t limit,
			struct x86_boot_info *bi, char *err, size_t errlen);
/* The format loaders; `head` holds the first head_len bytes of the file. */
int x86_boot_load_bzimage(struct guest_mem *m, const struct x86_boot_cfg *cfg,
			  const struct x86_boot_file *f, const uint8_t *head,
			  size_t head_len, struct x86_boot_info *bi, char *err,
			  size_t errlen);
int x86_boot_load_pvh(struct guest_mem *m, const struct x86_boot_cfg *cfg,
		      const struct x86_boot_file *f, const uint8_t *head,
		      size_t head_len, struct x86_boot_info *bi, char *err,
		      size_t errlen);

#endif /* NIMBUS_ARCH_X86_64_BOOT_H */
