/* SPDX-License-Identifier: Apache-2.0 */
/*
 * acpi.h - ACPI tables of an x86_64 Nimbus VM.
 *
 * Writes a hardware-reduced ACPI 6.5 table set into guest RAM: RSDP,
 * XSDT, FADT, DSDT and MADT (and MCFG with PCI on).  There is no FACS, no
 * PM1/GPE register block and no SCI: power-off and reset go through the
 * FADT sleep control and reset registers (I/O port X86_ACPI_PM_PORT) and
 * the sleep status register (X86_ACPI_SLEEP_STS_PORT), as
 * devices/acpi_pm.h lays out; interrupts are described by the MADT (local
 * APICs, one IOAPIC, ISA IRQ0 -> GSI 2) and the DSDT names the legacy
 * devices (COM1, CMOS RTC) and \_S5.  Addresses and values come from
 * arch/x86_64/layout.h.
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
 *
 * PCI segment 0 (cfg->has_pci; off by default, and with it off the tables
 * are byte for byte those of a VMM without PCI):
 * - MCFG (PCI Firmware 3.3, 4.1.2) with one allocation: ecam_base,
 *   segment 0, bus_start..bus_end.  ecam_base is where bus 0's
 *   configuration space would be, as the allocation's base address is
 *   defined; the decoded ECAM range starts bus_start MiB above it.
 * - \_SB.PCI0: _HID PNP0A08 (PCI Express root: ECAM gives extended config
 *   space), _CID PNP0A03, _UID 0, _SEG 0, _BBN bus_start, and a _CRS of
 *   WordBusNumber(bus range), IO(0xCF8, 8) for configuration mechanism
 *   #1, WordIO(I/O window) if io_size, DWordMemory(32-bit window) if
 *   mmio32_size and QWordMemory(64-bit window) if mmio64_size.  The
 *   windows are ResourceProducer, fixed, non-cacheable, read-write:
 *   Linux only distinguishes prefetchable windows, and a prefetchable one
 *   would refuse non-prefetchable BARs.  No _ADR: ACPI 6.5, 6.1 says a
 *   device has either _HID or _ADR, not both (iasl warns), and nothing
 *   reads _ADR of a root bridge.  No _PRT: INTx is not wired, so
 *   devices must report Interrupt Pin 0 and use MSI-X.
 * - _OSC (ACPI 6.5, 6.2.11; PCI Firmware 3.3, 4.5) grants whatever the OS
 *   requests for the PCI host bridge UUID 33DB4D5B-1FF7-401C-9657-
 *   7441C03DD766 (it returns the capabilities buffer unchanged) and sets
 *   "unrecognized UUID" for any other UUID.  There are no PCIe ports, so
 *   native hotplug, AER, PME, LTR and DPC have nothing to act on;
 *   granting avoids Linux's "_OSC: platform retains control of PCIe
 *   features" (printed for a PNP0A08 bridge without _OSC, which also
 *   turns ASPM handling off).  Linux requires the returned buffer to
 *   have the length it passed, which returning Arg3 guarantees.
 * - \_SB.MRES: a PNP0C02 motherboard-resource device whose _CRS is
 *   Memory32Fixed(ECAM range).  PCI Firmware 3.3, 4.1.2 requires the
 *   MCFG range to be reserved this way (and not in PCI0's _CRS).
 *   Linux (arch/x86/pci/mmconfig-shared.c) checks twice.  Early, before
 *   the AML interpreter runs, the range must be E820 reserved (6.1;
 *   since 6.10 only for BIOS dates before 2016, which includes "no DMI"),
 *   else "PCI: not using MMCONFIG".  Late, a PNP0C01/PNP0C02 _CRS covering
 *   the range is accepted ("MMCONFIG at ... reserved in ACPI motherboard
 *   resources"), else "[Firmware Info]: ... not reserved in ACPI
 *   motherboard resources".  So the platform should ALSO reserve
 *   x86_acpi_pci_ecam_range() in the e820 map (x86_mem_layout_reserve()
 *   in boot.h): Linux 6.1 then takes MMCONFIG at the early check
 *   ("MMCONFIG at ... reserved in E820"), before any ACPI method could
 *   need it.  Both ways were seen in a 6.1 guest with no warning.  The
 *   early check also needs conf1 (0xCF8) to pass Linux's sanity test,
 *   which without DMI means a class 0x0600 (host bridge) or Intel-vendor
 *   device on bus 0.
 * - Linux x86 ignores an MCFG entry above 4 GiB unless DMI reports a BIOS
 *   from 2010 or later, and Memory32Fixed cannot describe it either, so
 *   the ECAM range must end at or below 4 GiB.
 */
#ifndef NIMBUS_ARCH_X86_64_ACPI_H
#define NIMBUS_ARCH_X86_64_ACPI_H

#include <stdint.h>

#include "arch/x86_64/aml.h"

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

/* PCI configuration mechanism #1: CONFIG_ADDRESS, CONFIG_DATA at +4. */
#define X86_ACPI_PCI_CONF1_PORT 0xcf8u
#define X86_ACPI_PCI_CONF1_LEN 8u

/* ECAM: 4 KiB of configuration space per function, 1 MiB per bus. */
#define X86_ACPI_ECAM_BUS_SIZE (1ull << 20)

struct x86_acpi_cfg {
	uint32_t nr_vcpus; /* MADT LAPIC entries, APIC ids 0..n-1, enabled */
	int has_serial; /* COM1 (0x3f8, IRQ 4) in the DSDT */
	int has_pm_timer; /* FADT X_PM_TMR_BLK = X86_ACPI_PM_TMR_PORT */
	/* PCI segment 0 (see above); the fields below need has_pci. */
	int has_pci; /* MCFG, \_SB.PCI0 and \_SB.MRES */
	uint64_t ecam_base; /* bus 0's ECAM address (X86_PCI_ECAM_BASE) */
	uint8_t bus_start, bus_end; /* root bus range (0, 0) */
	uint64_t mmio32_base, mmio32_size; /* 32-bit BAR window; size 0: none */
	uint64_t mmio64_base, mmio64_size; /* 64-bit BAR window; size 0: none */
	uint16_t io_base, io_size; /* I/O BAR window; size 0: none */
	/* ACPI Generic Event Device (devices/ged.h) and the PNP0C0C power
	 * button it notifies: \_SB.GED and \_SB.PWRB in the DSDT. */
	int has_ged;
	uint64_t ged_base; /* its register (GED_REG_SIZE bytes of MMIO) */
	uint32_t ged_gsi; /* its interrupt: IOAPIC pin, edge, active high */
};

/*
 * The ECAM range the MCFG allocation of `cfg` decodes: [*base, *base +
 * *size) = ecam_base + bus_start MiB, (bus_end - bus_start + 1) MiB.  The
 * platform reserves it in the e820 map (see above).  Pure; cfg's PCI
 * fields are not validated here (x86_acpi_build does that).
 */
void x86_acpi_pci_ecam_range(const struct x86_acpi_cfg *cfg, uint64_t *base,
			     uint64_t *size);

/*
 * Build the tables into guest RAM at [base, base + max_size).
 *
 * The RSDP (ACPI 2.0+, revision 2, OEM id "NIMBUS", both checksums) is
 * written at base, which must be 16-byte aligned; with base =
 * X86_ACPI_BASE a guest scanning 0xE0000-0xFFFFF finds it.  XSDT, FADT,
 * DSDT, MADT and (has_pci) MCFG follow, each 16-byte aligned and
 * checksummed; the XSDT lists FADT, MADT and then MCFG.  Bytes in the
 * used part of the range that belong to no table are zeroed.
 *
 * Caller: main thread, at VM setup before vCPUs run.  `m` is only written
 * through; nothing is retained.  *rsdp_addr receives the guest physical
 * address of the RSDP (for PVH start info or boot_params.acpi_rsdp_addr).
 *
 * Returns 0; -EINVAL for nr_vcpus 0 or above X86_ACPI_MAX_VCPUS, an
 * unaligned base, or (has_pci) a bad PCI description: bus_start >
 * bus_end, ecam_base not 1 MiB aligned, the ECAM range or the 32-bit
 * window not below 4 GiB, a window that wraps, an I/O window past 0xFFFF
 * or over 0xCF8-0xCFF, or any two of ECAM range, windows, IOAPIC and
 * LAPIC pages overlapping; -ENOSPC if the tables do not fit in max_size;
 * -EFAULT if the guest range they need is not RAM; -ENOMEM.
 */
int x86_acpi_build(struct guest_mem *m, uint64_t base, uint64_t max_size,
		   const struct x86_acpi_cfg *cfg, uint64_t *rsdp_addr);

/*
 * The DSDT's definition block for cfg into b (acpi_dsdt.c): \_S5 and
 * \_SB with COM1 (has_serial), RTC, PCI0 and MRES (has_pci), GED and
 * PWRB (has_ged).  Returns aml_buf_err(b).  Internal to x86_acpi_build
 * (and its tests): cfg is not validated here.
 */
int x86_acpi_dsdt_build(struct aml_buf *b, const struct x86_acpi_cfg *cfg);

#endif /* NIMBUS_ARCH_X86_64_ACPI_H */
