// SPDX-License-Identifier: Apache-2.0
/*
 * acpi_dsdt.c - the DSDT's definition block for x86_64 guests: \_S5 and
 * the devices under \_SB (COM1, RTC, the PCI0 host bridge with its _CRS
 * and _OSC, the MRES motherboard resources, the GED and its power
 * button).  See acpi.h for the platform decisions; AML from aml.h.
 */
#include <stddef.h>

#include "arch/x86_64/acpi.h"
#include "arch/x86_64/aml.h"
#include "arch/x86_64/layout.h"
#include "devices/ged.h"

/* _OSC of a PCI host bridge (PCI Firmware 3.3, 4.5.1). */
#define PCI_OSC_UUID "33DB4D5B-1FF7-401C-9657-7441C03DD766"
#define OSC_UNRECOGNIZED_UUID 0x4u /* status DWORD bit 2 */

/* Device(COM1): the 16550 UART at 0x3f8, ISA IRQ 4. */
static void dsdt_com1(struct aml_buf *b)
{
	size_t dev, sta, crs;

	aml_device_open(b, "COM1", &dev);
	aml_name_eisaid(b, "_HID", "PNP0501");
	aml_name_integer(b, "_UID", 1);
	aml_method_open(b, "_STA", 0, AML_NOT_SERIALIZED, 0, &sta);
	aml_return(b);
	aml_integer(b, 0x0f); /* present, enabled, shown, functioning */
	aml_close(b, sta);
	aml_name(b, "_CRS");
	aml_restemplate_open(b, &crs);
	aml_res_io(b, X86_COM1_PORT, X86_COM1_PORT, 1, 8);
	aml_res_irq(b, X86_COM1_IRQ, AML_IRQ_EDGE);
	aml_restemplate_close(b, crs);
	aml_close(b, dev);
}

/* Device(RTC): the MC146818 CMOS RTC at 0x70, ISA IRQ 8. */
static void dsdt_rtc(struct aml_buf *b)
{
	size_t dev, crs;

	aml_device_open(b, "RTC", &dev);
	aml_name_eisaid(b, "_HID", "PNP0B00");
	aml_name(b, "_CRS");
	aml_restemplate_open(b, &crs);
	aml_res_io(b, X86_RTC_PORT, X86_RTC_PORT, 1, 2);
	aml_res_irq(b, X86_RTC_IRQ, AML_IRQ_EDGE);
	aml_restemplate_close(b, crs);
	aml_close(b, dev);
}

/* PCI0's _CRS: bus range, config ports, then the windows (see acpi.h). */
static void dsdt_pci_crs(struct aml_buf *b, const struct x86_acpi_cfg *c)
{
	const uint8_t fixed = AML_ADDR_MIN_FIXED | AML_ADDR_MAX_FIXED;
	const uint8_t mem = AML_MEM_RW | AML_MEM_NONCACHEABLE;
	size_t crs;

	aml_name(b, "_CRS");
	aml_restemplate_open(b, &crs);
	aml_res_word_addr(b, AML_ADDR_BUS, fixed, 0, 0, c->bus_start,
			  c->bus_end, 0,
			  (uint16_t)(c->bus_end - c->bus_start + 1));
	aml_res_io(b, X86_ACPI_PCI_CONF1_PORT, X86_ACPI_PCI_CONF1_PORT, 1,
		   X86_ACPI_PCI_CONF1_LEN);
	if (c->io_size)
		aml_res_word_addr(b, AML_ADDR_IO, fixed, AML_IO_RANGE_ENTIRE, 0,
				  c->io_base,
				  (uint16_t)(c->io_base + c->io_size - 1), 0,
				  c->io_size);
	if (c->mmio32_size)
		aml_res_dword_addr(
			b, AML_ADDR_MEMORY, fixed, mem, 0,
			(uint32_t)c->mmio32_base,
			(uint32_t)(c->mmio32_base + c->mmio32_size - 1), 0,
			(uint32_t)c->mmio32_size);
	if (c->mmio64_size)
		aml_res_qword_addr(b, AML_ADDR_MEMORY, fixed, mem, 0,
				   c->mmio64_base,
				   c->mmio64_base + c->mmio64_size - 1, 0,
				   c->mmio64_size);
	aml_restemplate_close(b, crs);
}

/*
 * Method(_OSC, 4, Serialized) {
 *	CreateDWordField(Arg3, 0, CDW1)
 *	If (LNot(LEqual(Arg0, ToUUID(PCI_OSC_UUID)))) {
 *		Or(CDW1, OSC_UNRECOGNIZED_UUID, CDW1)
 *	}
 *	Return(Arg3)
 * }
 * Serialized because it creates a named object (CDW1).
 */
static void dsdt_pci_osc(struct aml_buf *b)
{
	size_t method, cond;

	aml_method_open(b, "_OSC", 4, AML_SERIALIZED, 0, &method);
	aml_create_dword_field(b);
	aml_arg(b, 3);
	aml_integer(b, 0);
	aml_namestring(b, "CDW1");
	aml_if_open(b, &cond);
	aml_lnot(b);
	aml_lequal(b);
	aml_arg(b, 0);
	aml_uuid(b, PCI_OSC_UUID);
	aml_or(b);
	aml_namestring(b, "CDW1");
	aml_integer(b, OSC_UNRECOGNIZED_UUID);
	aml_namestring(b, "CDW1");
	aml_close(b, cond);
	aml_return(b);
	aml_arg(b, 3);
	aml_close(b, method);
}

/* Device(PCI0): the host bridge of PCI segment 0. */
static void dsdt_pci0(struct aml_buf *b, const struct x86_acpi_cfg *c)
{
	size_t dev;

	aml_device_open(b, "PCI0", &dev);
	aml_name_eisaid(b, "_HID", "PNP0A08");
	aml_name_eisaid(b, "_CID", "PNP0A03");
	aml_name_integer(b, "_UID", 0);
	aml_name_integer(b, "_SEG", 0);
	aml_name_integer(b, "_BBN", c->bus_start);
	dsdt_pci_crs(b, c);
	dsdt_pci_osc(b);
	aml_close(b, dev);
}

/* Device(MRES): motherboard resources, i.e. the ECAM range. */
static void dsdt_mres(struct aml_buf *b, const struct x86_acpi_cfg *c)
{
	uint64_t base, size;
	size_t dev, crs;

	x86_acpi_pci_ecam_range(c, &base, &size);
	aml_device_open(b, "MRES", &dev);
	aml_name_eisaid(b, "_HID", "PNP0C02");
	aml_name_integer(b, "_UID", 1);
	aml_name(b, "_CRS");
	aml_restemplate_open(b, &crs);
	aml_res_mem32_fixed(b, true, (uint32_t)base, (uint32_t)size);
	aml_restemplate_close(b, crs);
	aml_close(b, dev);
}

/*
 * Device(GED): the Generic Event Device (devices/ged.h), and Device(PWRB),
 * the control-method power button it notifies:
 *
 *	Device (GED) {
 *		Name (_HID, "ACPI0013")
 *		Name (_UID, 0)
 *		Name (_CRS, ResourceTemplate () {
 *			Interrupt (ResourceConsumer, Edge, ActiveHigh,
 *				   Exclusive) { ged_gsi }
 *		})
 *		OperationRegion (GDST, SystemMemory, ged_base, 4)
 *		Field (GDST, DWordAcc, NoLock, WriteAsZeros) { GDAT, 32 }
 *		Method (_EVT, 1, Serialized) {
 *			Store (GDAT, Local0)	// one read: it clears
 *			If (And (Local0, GED_EVT_POWER_BUTTON)) {
 *				Notify (\_SB.PWRB, 0x80)
 *			}
 *		}
 *	}
 *	Device (PWRB) { Name (_HID, EisaId ("PNP0C0C")) Name (_UID, 0) }
 *
 * ACPI 6.5, 5.6.9: OSPM calls _EVT with the GSI that fired; the FADT
 * says the power button is not fixed hardware (PWR_BUTTON flag), so the
 * OS uses the PNP0C0C device, and 0x80 is "button pressed" (4.8.2.2.1).
 */
static void dsdt_ged(struct aml_buf *b, const struct x86_acpi_cfg *c)
{
	static const struct aml_field_unit gdat = { "GDAT", 32 };
	size_t dev, crs, evt, cond;

	aml_device_open(b, "GED", &dev);
	aml_name_string(b, "_HID", "ACPI0013");
	aml_name_integer(b, "_UID", 0);
	aml_name(b, "_CRS");
	aml_restemplate_open(b, &crs);
	aml_res_ext_irq(b, c->ged_gsi, AML_IRQ_EDGE); /* see devices/ged.h */
	aml_restemplate_close(b, crs);
	aml_opregion(b, "GDST", AML_SPACE_SYSTEM_MEMORY, c->ged_base,
		     GED_REG_SIZE);
	aml_field(b, "GDST", AML_FIELD_DWORD_ACC | AML_FIELD_WRITE_AS_ZEROS,
		  &gdat, 1);
	aml_method_open(b, "_EVT", 1, AML_SERIALIZED, 0, &evt);
	aml_store(b);
	aml_namestring(b, "GDAT");
	aml_local(b, 0);
	aml_if_open(b, &cond);
	aml_and(b);
	aml_local(b, 0);
	aml_integer(b, GED_EVT_POWER_BUTTON);
	aml_null_target(b);
	aml_notify(b);
	aml_namestring(b, "\\_SB.PWRB");
	aml_integer(b, 0x80);
	aml_close(b, cond);
	aml_close(b, evt);
	aml_close(b, dev);

	aml_device_open(b, "PWRB", &dev);
	aml_name_eisaid(b, "_HID", "PNP0C0C");
	aml_name_integer(b, "_UID", 0);
	aml_close(b, dev);
}

int x86_acpi_dsdt_build(struct aml_buf *b, const struct x86_acpi_cfg *cfg)
{
	size_t pkg, sb;

	/* \_S5: SLP_TYPa, SLP_TYPb, two reserved entries. */
	aml_name(b, "_S5");
	aml_package_open(b, 4, &pkg);
	aml_integer(b, X86_ACPI_S5_TYP);
	aml_integer(b, 0);
	aml_integer(b, 0);
	aml_integer(b, 0);
	aml_close(b, pkg);

	aml_scope_open(b, "_SB", &sb);
	if (cfg->has_serial)
		dsdt_com1(b);
	dsdt_rtc(b);
	if (cfg->has_pci) {
		dsdt_pci0(b, cfg);
		dsdt_mres(b, cfg);
	}
	if (cfg->has_ged)
		dsdt_ged(b, cfg);
	aml_close(b, sb);
	return aml_buf_err(b);
}
