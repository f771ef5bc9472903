/* SPDX-License-Identifier: Apache-2.0 */
/*
 * layout.h - the x86_64 guest physical address map of a Nimbus VM.
 *
 * Shared by the boot loader, the ACPI builder and the platform wiring so
 * that every table the guest reads agrees on where things are.
 */
#ifndef NIMBUS_ARCH_X86_64_LAYOUT_H
#define NIMBUS_ARCH_X86_64_LAYOUT_H

/* Low memory (first MiB). */
#define X86_GDT_ADDR 0x500ull /* boot GDT (4 entries) */
#define X86_IDT_ADDR 0x520ull /* empty boot IDT */
#define X86_PVH_INFO_ADDR 0x6000ull /* struct hvm_start_info */
#define X86_PVH_MEMMAP_ADDR 0x6040ull /* hvm_memmap_table_entry[] */
#define X86_ZERO_PAGE_ADDR 0x7000ull /* struct boot_params */
#define X86_PML4_ADDR 0x9000ull /* identity page tables: PML4 */
#define X86_PDPT_ADDR 0xa000ull /*   PDPT (1 GiB pages or -> PD) */
#define X86_PD_ADDR 0xb000ull /*   4 PDs, 2 MiB pages, 0-4 GiB */
#define X86_BOOT_STACK 0x8ff0ull /* initial RSP for PVH/64-bit */
#define X86_CMDLINE_ADDR 0x20000ull /* kernel command line */
#define X86_CMDLINE_MAX 4096u
#define X86_EBDA_START 0x9fc00ull /* reserved in e820 from here */
#define X86_BIOS_START 0xe0000ull /* reserved to 1 MiB */
#define X86_ACPI_BASE 0xe0000ull /* RSDP first, then the tables */
#define X86_ACPI_MAX 0x1f000ull /* room up to the reset stub page */
#define X86_RESET_STUB_ADDR 0xff000ull /* page holding the reset vector */
#define X86_RESET_VECTOR 0xffff0ull /* where F000:FFF0 points */
#define X86_HIMEM_START 0x100000ull /* 1 MiB */
#define X86_KERNEL_ADDR 0x1000000ull /* bzImage protected-mode code */

/* The 32-bit hole: guest RAM below 4 GiB stops here. */
#define X86_MMIO_HOLE_START 0xc0000000ull
#define X86_MMIO_HOLE_END 0x100000000ull
#define X86_HIGH_RAM_START 0x100000000ull

/* PCI segment 0 (bus 0 only): BAR windows and the ECAM window. */
#define X86_PCI_MMIO32_BASE 0xc0000000ull /* 32-bit BAR window */
#define X86_PCI_MMIO32_SIZE 0x20000000ull /*   512 MiB, up to ECAM */
#define X86_PCI_ECAM_BASE 0xe0000000ull /* 1 MiB: bus 0 only */
#define X86_PCI_MMIO64_SIZE \
	(32ull << 30) /* 64-bit BAR window size; it
					   * starts at the first 1 GiB
					   * boundary above RAM and 4 GiB */

/* Highest guest-physical address the layout may use (architectural). */
#define X86_PHYS_ADDR_LIMIT (1ull << 52)

/* VMM-placed device memory (arch_device_window): right after the 64-bit
 * PCI window. */
#define X86_DEVICE_WINDOW_SIZE (64ull << 30)

/* Platform devices. */
#define X86_IOAPIC_ADDR 0xfec00000ull
#define X86_IOAPIC_SIZE 0x1000ull
#define X86_IOAPIC_PINS 24u
#define X86_LAPIC_ADDR 0xfee00000ull
/* ACPI Generic Event Device (devices/ged.h): its register page, and its
 * interrupt, an IOAPIC pin above the ISA range (no legacy semantics),
 * edge-triggered active high as the DSDT says. */
#define X86_GED_ADDR 0xfeb00000ull
#define X86_GED_GSI 16u

#define X86_COM1_PORT 0x3f8u
#define X86_COM1_IRQ 4u
#define X86_RTC_PORT 0x70u
#define X86_RTC_IRQ 8u
#define X86_I8042_DATA_PORT 0x60u
#define X86_I8042_CMD_PORT 0x64u
#define X86_DEBUG_PORT 0x80u
#define X86_ACPI_PM_PORT 0x600u /* sleep control/status, reset */
#define X86_ACPI_PM_TMR_PORT 0x608u /* ACPI PM timer (32-bit) */
#define X86_ACPI_S5_TYP 5u /* _S5 SLP_TYP */
#define X86_ACPI_RESET_VALUE 1u /* FADT RESET_VALUE */

#endif /* NIMBUS_ARCH_X86_64_LAYOUT_H */
