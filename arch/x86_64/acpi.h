/* SPDX-License-Identifier: Apache-2.0 */
/*
 * acpi.h - ACPI tables of an x86_64 Nimbus VM.
 *
 * Writes a hardware-reduced ACPI 6.5 table set into guest RAM: RSDP,
 * XSDT, FADT, DSDT and MADT.  There is no FACS, no PM1/GPE register
 * block and no SCI: power-off and reset go through the FADT sleep
 * control and reset registers (I/O port X86_ACPI_PM_PORT) and the sleep
 * status register (X86_ACPI_SLEEP_STS_PORT), as devices/acpi_pm.h lays out;
 * interrupts are described by the MADT (local APICs, one IOAPIC, ISA
 * IRQ0 -> GSI 2) and the DSDT names the legacy devices (COM1, CMOS RTC)
 * and \_S5.  Addresses and values come from arch/x86_64/layout.h.
 *
 * Platform decisions (see the report of the issue that added this file):
 * - IOAPIC id 0: what the IOAPIC's ID register reads after reset.  x86_64
 *   Linux keeps IOAPIC ids unique only among IOAPICs (LAPIC ids are a
 *   separate namespace), and the 4-bit IOAPIC id field could not hold
 *   nr_vcpus anyway.
 * - IAPC_BOOT_ARCH = LEGACY_DEVICES | VGA_NOT_PRESENT.  The 8042 bit is
 *   clear and the DSDT has no PS/2 node: the i8042 at 0x60/0x64 is there
 *   to reset the machine and has no keyboard, mouse or IRQ lines.  With
 *   both absent Linux skips the i8042 driver ("PNP: No PS/2 controller
 *   found") instead of probing it and timing out on the missing devices.
 *   Reboot through 0xFE to port 0x64 does not depend on either.
 * - The ACPI PM timer is only advertised when cfg->has_pm_timer is set
 *   (devices/acpi_pm implements it at X86_ACPI_PM_TMR_PORT): x86 Linux
 *   reads X_PM_TMR_BLK even in hardware-reduced mode and polls the port
 *   up to 10000 times at boot to check that it counts.
 * - Linux in hardware-reduced mode without EFI reboots through the BIOS
 *   reset vector, not the FADT reset register, unless booted with
 *   reboot=acpi; the reset register is still described for reboot=acpi
 *   and for other guests.
 */
#ifndef NIMBUS_ARCH_X86_64_ACPI_H
#define NIMBUS_ARCH_X86_64_ACPI_H

#include <stdint.h>

#include "arch/x86_64/layout.h"
#include "vmm/guest_mem.h"

/* 8-bit xAPIC ids 0..n-1 with 0xff reserved for broadcast. */
#define X86_ACPI_MAX_VCPUS 255u

/*
 * Sleep status register: the byte after the sleep control/reset register,
 * where devices/acpi_pm.h keeps WAK_STS (ACPICA writes WAK_STS there
 * before it writes SLP_TYP|SLP_EN to the control register).
 */
#define X86_ACPI_SLEEP_STS_PORT (X86_ACPI_PM_PORT + 1u)

/* IOAPIC id in the MADT: the IOAPIC device's ID register reset value. */
#define X86_ACPI_IOAPIC_ID 0u

struct x86_acpi_cfg {
	uint32_t nr_vcpus; /* MADT LAPIC entries, APIC ids 0..n-1, enabled */
	int has_serial; /* COM1 (0x3f8, IRQ 4) in the DSDT */
	int has_pm_timer; /* FADT X_PM_TMR_BLK = X86_ACPI_PM_TMR_PORT */
};

/*
 * Build the tables into guest RAM at [base, base + max_size).
 *
 * The RSDP (ACPI 2.0+, revision 2, OEM id "NIMBUS", both checksums) is
 * written at base, which must be 16-byte aligned; with base =
 * X86_ACPI_BASE a guest scanning 0xE0000-0xFFFFF finds it.  XSDT, FADT,
 * DSDT and MADT follow, each 16-byte aligned and checksummed.  Bytes in
 * the used part of the range that belong to no table are zeroed.
 *
 * Caller: main thread, at VM setup before vCPUs run.  `m` is only written
 * through; nothing is retained.  *rsdp_addr receives the guest physical
 * address of the RSDP (for PVH start info or boot_params.acpi_rsdp_addr).
 *
 * Returns 0; -EINVAL for nr_vcpus 0 or above X86_ACPI_MAX_VCPUS or an
 * unaligned base; -ENOSPC if the tables do not fit in max_size; -EFAULT
 * if the guest range they need is not RAM; -ENOMEM.
 */
int x86_acpi_build(struct guest_mem *m, uint64_t base, uint64_t max_size,
		   const struct x86_acpi_cfg *cfg, uint64_t *rsdp_addr);

#endif /* NIMBUS_ARCH_X86_64_ACPI_H */
