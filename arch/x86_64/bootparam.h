/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bootparam.h - wire layouts of the x86 boot protocols Nimbus speaks.
 *
 * Our own definitions, written from the Linux/x86 boot protocol
 * documentation (boot.rst, zero-page.rst) and the Xen PVH start-of-day ABI
 * (public/arch-x86/hvm/start_info.h).  Every field offset the loader
 * touches is pinned with _Static_assert, so a layout slip fails the build
 * instead of the guest.  All fields are little endian, which is also the
 * host byte order on x86_64 (the only host these loaders run on).
 */
#ifndef NIMBUS_ARCH_X86_64_BOOTPARAM_H
#define NIMBUS_ARCH_X86_64_BOOTPARAM_H

#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------------- */
/* E820 memory map                                                         */

#define X86_E820_RAM 1u
#define X86_E820_RESERVED 2u
#define X86_E820_ACPI 3u
#define X86_E820_NVS 4u
#define X86_E820_UNUSABLE 5u

/* One BIOS e820 entry as the zero page carries it: 20 bytes, packed. */
struct x86_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type; /* X86_E820_* */
} __attribute__((packed));

_Static_assert(sizeof(struct x86_e820_entry) == 20, "e820 entry size");

/* ---------------------------------------------------------------------- */
/* Linux boot protocol: setup header and zero page                        */

/* Offsets in the bzImage file (and in boot_params). */
#define X86_SETUP_HDR_OFFSET 0x1f1u /* first byte of the setup header */
#define X86_SETUP_HDR_MAGIC_OFFSET 0x202u
#define X86_SETUP_HDR_MAGIC 0x53726448u /* "HdrS" */
#define X86_BOOT_FLAG_MAGIC 0xaa55u
#define X86_SECTOR_SIZE 512u
#define X86_SETUP_SECTS_DEFAULT 4u /* setup_sects == 0 means 4 */

/* loadflags */
#define X86_LOADED_HIGH (1u << 0)
#define X86_KASLR_FLAG (1u << 1)
#define X86_QUIET_FLAG (1u << 5)
#define X86_KEEP_SEGMENTS (1u << 6) /* obsolete */
#define X86_CAN_USE_HEAP (1u << 7)

/* xloadflags (protocol 2.12+) */
#define X86_XLF_KERNEL_64 (1u << 0)
#define X86_XLF_CAN_BE_LOADED_ABOVE_4G (1u << 1)

#define X86_LOADER_TYPE_UNDEFINED 0xffu
#define X86_VID_MODE_NORMAL 0xffffu
/* initrd_addr_max for kernels that do not say (protocol < 2.03). */
#define X86_INITRD_ADDR_MAX_DEFAULT 0x37ffffffu
/* The 64-bit entry point is this far into the protected-mode code. */
#define X86_LINUX64_ENTRY_OFFSET 0x200u

/*
 * The setup header as laid out from file/zero-page offset 0x1f1 to the end
 * of protocol 2.15 (0x26c).  Packed: the first field starts on an odd
 * address.
 */
struct x86_setup_header {
	uint8_t setup_sects;
	uint16_t root_flags;
	uint32_t syssize;
	uint16_t ram_size;
	uint16_t vid_mode;
	uint16_t root_dev;
	uint16_t boot_flag;
	uint16_t jump;
	uint32_t header;
	uint16_t version;
	uint32_t realmode_swtch;
	uint16_t start_sys_seg;
	uint16_t kernel_version;
	uint8_t type_of_loader;
	uint8_t loadflags;
	uint16_t setup_move_size;
	uint32_t code32_start;
	uint32_t ramdisk_image;
	uint32_t ramdisk_size;
	uint32_t bootsect_kludge;
	uint16_t heap_end_ptr;
	uint8_t ext_loader_ver;
	uint8_t ext_loader_type;
	uint32_t cmd_line_ptr;
	uint32_t initrd_addr_max;
	uint32_t kernel_alignment;
	uint8_t relocatable_kernel;
	uint8_t min_alignment;
	uint16_t xloadflags;
	uint32_t cmdline_size;
	uint32_t hardware_subarch;
	uint64_t hardware_subarch_data;
	uint32_t payload_offset;
	uint32_t payload_length;
	uint64_t setup_data;
	uint64_t pref_address;
	uint32_t init_size;
	uint32_t handover_offset;
	uint32_t kernel_info_offset;
} __attribute__((packed));

#define X86_ZP_E820_MAX 128u /* entries in boot_params.e820_table */

/* struct boot_params, the "zero page": exactly one 4 KiB page. */
struct x86_boot_params {
	uint8_t screen_info[0x40]; /* 0x000 */
	uint8_t apm_bios_info[0x14]; /* 0x040 */
	uint8_t pad0[4]; /* 0x054 */
	uint64_t tboot_addr; /* 0x058 */
	uint8_t ist_info[0x10]; /* 0x060 */
	uint64_t acpi_rsdp_addr; /* 0x070 */
	uint8_t pad1[8]; /* 0x078 */
	uint8_t hd0_info[0x10]; /* 0x080 */
	uint8_t hd1_info[0x10]; /* 0x090 */
	uint8_t sys_desc_table[0x10]; /* 0x0a0 */
	uint8_t olpc_ofw_header[0x10]; /* 0x0b0 */
	uint32_t ext_ramdisk_image; /* 0x0c0 */
	uint32_t ext_ramdisk_size; /* 0x0c4 */
	uint32_t ext_cmd_line_ptr; /* 0x0c8 */
	uint8_t pad2[0x13c - 0xcc]; /* 0x0cc */
	uint32_t cc_blob_address; /* 0x13c */
	uint8_t edid_info[0x80]; /* 0x140 */
	uint8_t efi_info[0x20]; /* 0x1c0 */
	uint32_t alt_mem_k; /* 0x1e0 */
	uint32_t scratch; /* 0x1e4 */
	uint8_t e820_entries; /* 0x1e8 */
	uint8_t eddbuf_entries; /* 0x1e9 */
	uint8_t edd_mbr_sig_buf_entries; /* 0x1ea */
	uint8_t kbd_status; /* 0x1eb */
	uint8_t secure_boot; /* 0x1ec */
	uint8_t pad3[2]; /* 0x1ed */
	uint8_t sentinel; /* 0x1ef */
	uint8_t pad4; /* 0x1f0 */
	struct x86_setup_header hdr; /* 0x1f1 */
	uint8_t pad5[0x290 - 0x1f1 - sizeof(struct x86_setup_header)];
	uint32_t edd_mbr_sig_buffer[16]; /* 0x290 */
	struct x86_e820_entry e820_table[X86_ZP_E820_MAX]; /* 0x2d0 */
	uint8_t pad6[0xd00 - 0x2d0 - 20 * X86_ZP_E820_MAX];
	uint8_t eddbuf[0x1ec]; /* 0xd00 */
	uint8_t pad7[0x1000 - 0xd00 - 0x1ec];
} __attribute__((packed));

/* The setup header may extend up to here (the hole in boot_params). */
#define X86_SETUP_HDR_LIMIT 0x290u

#define X86_BP_OFF(f) offsetof(struct x86_boot_params, f)
_Static_assert(sizeof(struct x86_setup_header) == 0x26c - 0x1f1, "hdr");
_Static_assert(sizeof(struct x86_boot_params) == 0x1000, "zero page");
_Static_assert(X86_BP_OFF(acpi_rsdp_addr) == 0x070, "acpi_rsdp_addr");
_Static_assert(X86_BP_OFF(ext_ramdisk_image) == 0x0c0, "ext_ramdisk");
_Static_assert(X86_BP_OFF(ext_cmd_line_ptr) == 0x0c8, "ext_cmd_line_ptr");
_Static_assert(X86_BP_OFF(cc_blob_address) == 0x13c, "cc_blob_address");
_Static_assert(X86_BP_OFF(alt_mem_k) == 0x1e0, "alt_mem_k");
_Static_assert(X86_BP_OFF(e820_entries) == 0x1e8, "e820_entries");
_Static_assert(X86_BP_OFF(sentinel) == 0x1ef, "sentinel");
_Static_assert(X86_BP_OFF(hdr) == 0x1f1, "hdr");
_Static_assert(X86_BP_OFF(hdr.setup_sects) == 0x1f1, "setup_sects");
_Static_assert(X86_BP_OFF(hdr.vid_mode) == 0x1fa, "vid_mode");
_Static_assert(X86_BP_OFF(hdr.boot_flag) == 0x1fe, "boot_flag");
_Static_assert(X86_BP_OFF(hdr.jump) == 0x200, "jump");
_Static_assert(X86_BP_OFF(hdr.header) == 0x202, "header");
_Static_assert(X86_BP_OFF(hdr.version) == 0x206, "version");
_Static_assert(X86_BP_OFF(hdr.type_of_loader) == 0x210, "type_of_loader");
_Static_assert(X86_BP_OFF(hdr.loadflags) == 0x211, "loadflags");
_Static_assert(X86_BP_OFF(hdr.code32_start) == 0x214, "code32_start");
_Static_assert(X86_BP_OFF(hdr.ramdisk_image) == 0x218, "ramdisk_image");
_Static_assert(X86_BP_OFF(hdr.ramdisk_size) == 0x21c, "ramdisk_size");
_Static_assert(X86_BP_OFF(hdr.heap_end_ptr) == 0x224, "heap_end_ptr");
_Static_assert(X86_BP_OFF(hdr.cmd_line_ptr) == 0x228, "cmd_line_ptr");
_Static_assert(X86_BP_OFF(hdr.initrd_addr_max) == 0x22c, "initrd_addr_max");
_Static_assert(X86_BP_OFF(hdr.kernel_alignment) == 0x230, "kernel_align");
_Static_assert(X86_BP_OFF(hdr.relocatable_kernel) == 0x234, "relocatable");
_Static_assert(X86_BP_OFF(hdr.xloadflags) == 0x236, "xloadflags");
_Static_assert(X86_BP_OFF(hdr.cmdline_size) == 0x238, "cmdline_size");
_Static_assert(X86_BP_OFF(hdr.payload_offset) == 0x248, "payload_offset");
_Static_assert(X86_BP_OFF(hdr.setup_data) == 0x250, "setup_data");
_Static_assert(X86_BP_OFF(hdr.pref_address) == 0x258, "pref_address");
_Static_assert(X86_BP_OFF(hdr.init_size) == 0x260, "init_size");
_Static_assert(X86_BP_OFF(hdr.kernel_info_offset) == 0x268, "kernel_info");
_Static_assert(X86_BP_OFF(edd_mbr_sig_buffer) == 0x290, "edd_mbr_sig");
_Static_assert(X86_BP_OFF(e820_table) == 0x2d0, "e820_table");
_Static_assert(X86_BP_OFF(eddbuf) == 0xd00, "eddbuf");

/* ---------------------------------------------------------------------- */
/* Xen PVH start of day (hvm_start_info version 1)                         */

#define X86_XEN_ELFNOTE_PHYS32_ENTRY 18u
#define X86_PVH_START_MAGIC 0x336ec578u
#define X86_PVH_START_VERSION 1u

/* Memory map entry types (same values as e820). */
#define X86_PVH_MEMMAP_RAM 1u
#define X86_PVH_MEMMAP_RESERVED 2u
#define X86_PVH_MEMMAP_ACPI 3u

struct x86_hvm_start_info {
	uint32_t magic; /* X86_PVH_START_MAGIC */
	uint32_t version; /* X86_PVH_START_VERSION */
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr; /* struct x86_hvm_modlist_entry[] */
	uint64_t cmdline_paddr; /* NUL-terminated */
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr; /* struct x86_hvm_memmap_entry[]; v1+ */
	uint32_t memmap_entries; /* v1+ */
	uint32_t reserved;
};

struct x86_hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct x86_hvm_memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type; /* X86_PVH_MEMMAP_* */
	uint32_t reserved;
};

#define X86_SI_OFF(f) offsetof(struct x86_hvm_start_info, f)
_Static_assert(sizeof(struct x86_hvm_start_info) == 56, "start_info");
_Static_assert(X86_SI_OFF(flags) == 8, "flags");
_Static_assert(X86_SI_OFF(nr_modules) == 12, "nr_modules");
_Static_assert(X86_SI_OFF(modlist_paddr) == 16, "modlist_paddr");
_Static_assert(X86_SI_OFF(cmdline_paddr) == 24, "cmdline_paddr");
_Static_assert(X86_SI_OFF(rsdp_paddr) == 32, "rsdp_paddr");
_Static_assert(X86_SI_OFF(memmap_paddr) == 40, "memmap_paddr");
_Static_assert(X86_SI_OFF(memmap_entries) == 48, "memmap_entries");
_Static_assert(X86_SI_OFF(reserved) == 52, "reserved");
_Static_assert(sizeof(struct x86_hvm_modlist_entry) == 32, "modlist entry");
_Static_assert(offsetof(struct x86_hvm_modlist_entry, cmdline_paddr) == 16,
	       "modlist cmdline");
_Static_assert(sizeof(struct x86_hvm_memmap_entry) == 24, "memmap entry");
_Static_assert(offsetof(struct x86_hvm_memmap_entry, type) == 16,
	       "memmap type");

#endif /* NIMBUS_ARCH_X86_64_BOOTPARAM_H */
