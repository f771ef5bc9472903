// SPDX-License-Identifier: Apache-2.0
/*
 * acpi.c - hardware-reduced ACPI 6.5 tables for x86_64 guests (RSDP,
 * XSDT, FADT, DSDT, MADT, MCFG); the DSDT's AML is in acpi_dsdt.c.  Layouts: ACPI 6.5 sections 5.2.5 (RSDP),
 * 5.2.6 (header), 5.2.8 (XSDT), 5.2.9 (FADT), 5.2.11.1 (DSDT), 5.2.12
 * (MADT) and 5.2.3.2 (Generic Address Structure); PCI Firmware 3.3,
 * 4.1.2 (MCFG) and 4.5 (_OSC).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#define LOG_MOD "acpi"
#include "arch/x86_64/acpi.h"
#include "arch/x86_64/aml.h"
#include "arch/x86_64/layout.h"
#include "vmm/log.h"

/* The structs below are the little-endian wire format. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "ACPI tables are built with host-endian packed structs");

#define ACPI_OEM_ID "NIMBUS"
#define ACPI_OEM_TABLE_ID "NIMBUSVM"
#define ACPI_OEM_REVISION 1u
#define ACPI_CREATOR_ID "NMBS"
#define ACPI_CREATOR_REVISION 1u
#define ACPI_HYPERVISOR_ID "NIMBUS\0\0" /* 8 bytes, NUL padded */

#define ACPI_TABLE_ALIGN 16u

struct acpi_rsdp {
	char signature[8]; /* "RSD PTR " */
	uint8_t checksum; /* bytes 0-19 */
	char oem_id[6];
	uint8_t revision; /* 2: ACPI 2.0+ layout */
	uint32_t rsdt_address;
	uint32_t length;
	uint64_t xsdt_address;
	uint8_t ext_checksum; /* whole structure */
	uint8_t reserved[3];
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP layout");

struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_header) == 36, "SDT header layout");

struct acpi_gas {
	uint8_t space_id; /* 0 memory, 1 system I/O */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size; /* 1 byte, 2 word, 3 dword, 4 qword */
	uint64_t address;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS layout");

#define ACPI_GAS_IO 1u
#define ACPI_GAS_ACCESS_BYTE 1u
#define ACPI_GAS_ACCESS_DWORD 3u

struct acpi_fadt {
	struct acpi_header h;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0; /* ACPI 1.0 INT_MODEL */
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable;
	uint8_t acpi_disable;
	uint8_t s4bios_req;
	uint8_t pstate_cnt;
	uint32_t pm1a_evt_blk;
	uint32_t pm1b_evt_blk;
	uint32_t pm1a_cnt_blk;
	uint32_t pm1b_cnt_blk;
	uint32_t pm2_cnt_blk;
	uint32_t pm_tmr_blk;
	uint32_t gpe0_blk;
	uint32_t gpe1_blk;
	uint8_t pm1_evt_len;
	uint8_t pm1_cnt_len;
	uint8_t pm2_cnt_len;
	uint8_t pm_tmr_len;
	uint8_t gpe0_blk_len;
	uint8_t gpe1_blk_len;
	uint8_t gpe1_base;
	uint8_t cst_cnt;
	uint16_t p_lvl2_lat;
	uint16_t p_lvl3_lat;
	uint16_t flush_size;
	uint16_t flush_stride;
	uint8_t duty_offset;
	uint8_t duty_width;
	uint8_t day_alrm;
	uint8_t mon_alrm;
	uint8_t century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk;
	struct acpi_gas x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk;
	struct acpi_gas x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk;
	struct acpi_gas x_gpe1_blk;
	struct acpi_gas sleep_control_reg;
	struct acpi_gas sleep_status_reg;
	uint64_t hypervisor_vendor_id;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT revision 6 layout");
_Static_assert(offsetof(struct acpi_fadt, iapc_boot_arch) == 109, "FADT");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT flags");
_Static_assert(offsetof(struct acpi_fadt, minor_version) == 131, "FADT");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT X_DSDT");
_Static_assert(offsetof(struct acpi_fadt, sleep_control_reg) == 244, "FADT");

/* FADT flags (ACPI 6.5, table 5.10). */
#define FADT_WBINVD (1u << 0)
#define FADT_PWR_BUTTON (1u << 4) /* power button is not fixed hardware */
#define FADT_SLP_BUTTON (1u << 5) /* sleep button is not fixed hardware */
#define FADT_FIX_RTC (1u << 6) /* no RTC wake status in fixed regs */
#define FADT_TMR_VAL_EXT (1u << 8) /* 32-bit PM timer */
#define FADT_RESET_REG_SUP (1u << 10)
#define FADT_HW_REDUCED_ACPI (1u << 20)

/* IA-PC boot architecture flags (ACPI 6.5, table 5.11). */
#define FADT_BOOT_LEGACY_DEVICES (1u << 0)
#define FADT_BOOT_8042 (1u << 1)
#define FADT_BOOT_VGA_NOT_PRESENT (1u << 2)

#define FADT_REVISION 6u
#define FADT_MINOR_VERSION 5u /* ACPI 6.5 */

struct acpi_madt {
	struct acpi_header h;
	uint32_t lapic_address;
	uint32_t flags; /* bit 0 PCAT_COMPAT: dual 8259 present */
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT layout");

#define MADT_REVISION 6u /* ACPI 6.5 */

#define MADT_TYPE_LAPIC 0u
#define MADT_TYPE_IOAPIC 1u
#define MADT_TYPE_ISO 2u
#define MADT_TYPE_LAPIC_NMI 4u

struct madt_lapic {
	uint8_t type;
	uint8_t length;
	uint8_t uid; /* ACPI processor UID */
	uint8_t apic_id;
	uint32_t flags; /* bit 0 enabled */
} __attribute__((packed));
_Static_assert(sizeof(struct madt_lapic) == 8, "MADT LAPIC layout");

struct madt_ioapic {
	uint8_t type;
	uint8_t length;
	uint8_t id;
	uint8_t reserved;
	uint32_t address;
	uint32_t gsi_base;
} __attribute__((packed));
_Static_assert(sizeof(struct madt_ioapic) == 12, "MADT IOAPIC layout");

struct madt_iso {
	uint8_t type;
	uint8_t length;
	uint8_t bus; /* 0: ISA */
	uint8_t source;
	uint32_t gsi;
	uint16_t flags; /* MPS INTI flags */
} __attribute__((packed));
_Static_assert(sizeof(struct madt_iso) == 10, "MADT ISO layout");

struct madt_lapic_nmi {
	uint8_t type;
	uint8_t length;
	uint8_t uid; /* 0xff: all processors */
	uint16_t flags;
	uint8_t lint;
} __attribute__((packed));
_Static_assert(sizeof(struct madt_lapic_nmi) == 6, "MADT LAPIC NMI layout");

struct acpi_mcfg {
	struct acpi_header h;
	uint8_t reserved[8];
	/* One configuration space base address allocation structure. */
	uint64_t base; /* ECAM address of bus 0 */
	uint16_t segment;
	uint8_t bus_start;
	uint8_t bus_end;
	uint32_t reserved1;
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_mcfg) == 60, "MCFG with one allocation");

#define MCFG_REVISION 1u

#define ACPI_4G (1ull << 32)

#define MADT_LAPIC_ENABLED 1u
/* MPS INTI flags: polarity bits 1:0 = 01 active high, trigger 3:2 = 01 edge. */
#define MPS_INTI_HIGH_EDGE 0x0005u

/* Where each table lands, as offsets from base. */
struct acpi_layout {
	uint64_t xsdt, fadt, dsdt, madt, mcfg; /* mcfg 0: none */
	uint32_t xsdt_len, dsdt_len, madt_len;
	unsigned int xsdt_entries; /* FADT, MADT[, MCFG]; DSDT is in the FADT */
	uint64_t used;
};

static uint64_t align_up(uint64_t v)
{
	return (v + ACPI_TABLE_ALIGN - 1) & ~(uint64_t)(ACPI_TABLE_ALIGN - 1);
}

static uint8_t checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum = (uint8_t)(sum + *p++);
	return (uint8_t)-sum;
}

static void header_init(struct acpi_header *h, const char *sig, uint32_t length,
			uint8_t revision)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->signature, sig, 4);
	h->length = length;
	h->revision = revision;
	memcpy(h->oem_id, ACPI_OEM_ID, 6);
	memcpy(h->oem_table_id, ACPI_OEM_TABLE_ID, 8);
	h->oem_revision = ACPI_OEM_REVISION;
	memcpy(h->creator_id, ACPI_CREATOR_ID, 4);
	h->creator_revision = ACPI_CREATOR_REVISION;
}

/* Fill in the checksum of the table of `len` bytes at p (after writing). */
static void table_seal(uint8_t *p, uint32_t len)
{
	p[offsetof(struct acpi_header, checksum)] = 0;
	p[offsetof(struct acpi_header, checksum)] = checksum(p, len);
}

static void gas_io(struct acpi_gas *g, uint8_t bits, uint8_t access,
		   uint16_t port)
{
	g->space_id = ACPI_GAS_IO;
	g->bit_width = bits;
	g->bit_offset = 0;
	g->access_size = access;
	g->address = port;
}

static void write_rsdp(uint8_t *g, uint64_t base, const struct acpi_layout *l)
{
	struct acpi_rsdp r;

	memset(&r, 0, sizeof(r));
	memcpy(r.signature, "RSD PTR ", 8);
	memcpy(r.oem_id, ACPI_OEM_ID, 6);
	r.revision = 2;
	r.rsdt_address = 0; /* no RSDT: every table is reached via the XSDT */
	r.length = sizeof(r);
	r.xsdt_address = base + l->xsdt;
	r.checksum = checksum((const uint8_t *)&r, 20);
	r.ext_checksum = checksum((const uint8_t *)&r, sizeof(r));
	memcpy(g, &r, sizeof(r));
}

static void write_xsdt(uint8_t *g, uint64_t base, const struct acpi_layout *l)
{
	const uint64_t entries[3] = { base + l->fadt, base + l->madt,
				      base + l->mcfg };
	struct acpi_header h;

	header_init(&h, "XSDT", l->xsdt_len, 1);
	memcpy(g + l->xsdt, &h, sizeof(h));
	memcpy(g + l->xsdt + sizeof(h), entries, 8 * l->xsdt_entries);
	table_seal(g + l->xsdt, l->xsdt_len);
}

static void write_fadt(uint8_t *g, uint64_t base, const struct acpi_layout *l,
		       const struct x86_acpi_cfg *cfg)
{
	uint64_t dsdt = base + l->dsdt;
	struct acpi_fadt f;

	memset(&f, 0, sizeof(f));
	header_init(&f.h, "FACP", sizeof(f), FADT_REVISION);
	/*
	 * Hardware-reduced: no FACS, SCI, SMI, PM1/PM2/GPE blocks or C-state
	 * fields; all of those stay zero (ACPI 6.5, 5.2.9 note on HW-reduced).
	 */
	f.dsdt = dsdt <= UINT32_MAX ? (uint32_t)dsdt : 0; /* same as X_DSDT */
	f.x_dsdt = dsdt;
	f.flags = FADT_WBINVD | FADT_PWR_BUTTON | FADT_SLP_BUTTON |
		  FADT_FIX_RTC | FADT_RESET_REG_SUP | FADT_HW_REDUCED_ACPI;
	f.iapc_boot_arch = FADT_BOOT_LEGACY_DEVICES | FADT_BOOT_VGA_NOT_PRESENT;
	gas_io(&f.reset_reg, 8, ACPI_GAS_ACCESS_BYTE, X86_ACPI_PM_PORT);
	f.reset_value = X86_ACPI_RESET_VALUE;
	f.minor_version = FADT_MINOR_VERSION;
	gas_io(&f.sleep_control_reg, 8, ACPI_GAS_ACCESS_BYTE, X86_ACPI_PM_PORT);
	gas_io(&f.sleep_status_reg, 8, ACPI_GAS_ACCESS_BYTE,
	       X86_ACPI_SLEEP_STS_PORT);
	if (cfg->has_pm_timer) {
		f.pm_tmr_blk = X86_ACPI_PM_TMR_PORT;
		f.pm_tmr_len = 4;
		gas_io(&f.x_pm_tmr_blk, 32, ACPI_GAS_ACCESS_DWORD,
		       X86_ACPI_PM_TMR_PORT);
		f.flags |= FADT_TMR_VAL_EXT;
	}
	memcpy(&f.hypervisor_vendor_id, ACPI_HYPERVISOR_ID, 8);
	memcpy(g + l->fadt, &f, sizeof(f));
	table_seal(g + l->fadt, sizeof(f));
}

static void write_dsdt(uint8_t *g, const struct acpi_layout *l,
		       const struct aml_buf *aml)
{
	struct acpi_header h;

	/* Revision 2: integers in the definition block are 64-bit. */
	header_init(&h, "DSDT", l->dsdt_len, 2);
	memcpy(g + l->dsdt, &h, sizeof(h));
	memcpy(g + l->dsdt + sizeof(h), aml->data, aml->len);
	table_seal(g + l->dsdt, l->dsdt_len);
}

static void write_madt(uint8_t *g, const struct acpi_layout *l,
		       const struct x86_acpi_cfg *cfg)
{
	uint8_t *p = g + l->madt;
	struct acpi_madt madt;
	struct madt_ioapic io;
	struct madt_iso iso;
	struct madt_lapic_nmi nmi;
	uint32_t i;

	header_init(&madt.h, "APIC", l->madt_len, MADT_REVISION);
	madt.lapic_address = (uint32_t)X86_LAPIC_ADDR;
	madt.flags = 0; /* no 8259 PIC is emulated */
	memcpy(p, &madt, sizeof(madt));
	p += sizeof(madt);

	for (i = 0; i < cfg->nr_vcpus; i++) {
		struct madt_lapic lapic = {
			.type = MADT_TYPE_LAPIC,
			.length = sizeof(lapic),
			.uid = (uint8_t)i,
			.apic_id = (uint8_t)i,
			.flags = MADT_LAPIC_ENABLED,
		};

		memcpy(p, &lapic, sizeof(lapic));
		p += sizeof(lapic);
	}

	memset(&io, 0, sizeof(io));
	io.type = MADT_TYPE_IOAPIC;
	io.length = sizeof(io);
	io.id = X86_ACPI_IOAPIC_ID;
	io.address = (uint32_t)X86_IOAPIC_ADDR;
	io.gsi_base = 0;
	memcpy(p, &io, sizeof(io));
	p += sizeof(io);

	/*
	 * ISA IRQ0 (PIT) -> GSI 2 as on PCs; IRQs 1-15 are identity mapped.
	 * The flags are explicit, not "conforming": with SCI_INT = 0 Linux
	 * treats an override of IRQ 0 as the SCI's and would turn
	 * conforming flags into level/active-low.
	 */
	iso.type = MADT_TYPE_ISO;
	iso.length = sizeof(iso);
	iso.bus = 0;
	iso.source = 0;
	iso.gsi = 2;
	iso.flags = MPS_INTI_HIGH_EDGE;
	memcpy(p, &iso, sizeof(iso));
	p += sizeof(iso);

	nmi.type = MADT_TYPE_LAPIC_NMI;
	nmi.length = sizeof(nmi);
	nmi.uid = 0xff;
	nmi.flags = MPS_INTI_HIGH_EDGE;
	nmi.lint = 1;
	memcpy(p, &nmi, sizeof(nmi));

	table_seal(g + l->madt, l->madt_len);
}

static void write_mcfg(uint8_t *g, const struct acpi_layout *l,
		       const struct x86_acpi_cfg *cfg)
{
	struct acpi_mcfg t;

	memset(&t, 0, sizeof(t));
	header_init(&t.h, "MCFG", sizeof(t), MCFG_REVISION);
	t.base = cfg->ecam_base;
	t.segment = 0;
	t.bus_start = cfg->bus_start;
	t.bus_end = cfg->bus_end;
	memcpy(g + l->mcfg, &t, sizeof(t));
	table_seal(g + l->mcfg, sizeof(t));
}

static void layout_compute(struct acpi_layout *l, size_t aml_len,
			   const struct x86_acpi_cfg *cfg)
{
	uint32_t nr_vcpus = cfg->nr_vcpus;

	l->xsdt_entries = cfg->has_pci ? 3 : 2;
	l->xsdt = align_up(sizeof(struct acpi_rsdp));
	l->xsdt_len = sizeof(struct acpi_header) + 8 * l->xsdt_entries;
	l->fadt = align_up(l->xsdt + l->xsdt_len);
	l->dsdt = align_up(l->fadt + sizeof(struct acpi_fadt));
	l->dsdt_len = (uint32_t)(sizeof(struct acpi_header) + aml_len);
	l->madt = align_up(l->dsdt + l->dsdt_len);
	l->madt_len = (uint32_t)(sizeof(struct acpi_madt) +
				 nr_vcpus * sizeof(struct madt_lapic) +
				 sizeof(struct madt_ioapic) +
				 sizeof(struct madt_iso) +
				 sizeof(struct madt_lapic_nmi));
	l->used = l->madt + l->madt_len;
	l->mcfg = 0;
	if (cfg->has_pci) {
		l->mcfg = align_up(l->used);
		l->used = l->mcfg + sizeof(struct acpi_mcfg);
	}
}

void x86_acpi_pci_ecam_range(const struct x86_acpi_cfg *cfg, uint64_t *base,
			     uint64_t *size)
{
	*base = cfg->ecam_base + cfg->bus_start * X86_ACPI_ECAM_BUS_SIZE;
	*size = ((uint64_t)cfg->bus_end - cfg->bus_start + 1) *
		X86_ACPI_ECAM_BUS_SIZE;
}

/* Non-empty [a, a + alen) and [b, b + blen) intersect (neither wraps). */
static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

/* The PCI fields of cfg: see the -EINVAL cases in acpi.h. */
static int pci_cfg_check(const struct x86_acpi_cfg *c)
{
	uint64_t r[5][2] = {
		{ 0, 0 }, /* ECAM range, filled in below */
		{ c->mmio32_base, c->mmio32_size },
		{ c->mmio64_base, c->mmio64_size },
		{ X86_IOAPIC_ADDR, X86_IOAPIC_SIZE },
		{ X86_LAPIC_ADDR, 0x1000 },
	};
	unsigned int i, j;

	if (c->bus_start > c->bus_end ||
	    c->ecam_base & (X86_ACPI_ECAM_BUS_SIZE - 1) ||
	    c->ecam_base >= ACPI_4G)
		return -EINVAL;
	x86_acpi_pci_ecam_range(c, &r[0][0], &r[0][1]);
	if (r[0][0] + r[0][1] > ACPI_4G)
		return -EINVAL;
	if (c->mmio32_size && (c->mmio32_base >= ACPI_4G ||
			       c->mmio32_size > ACPI_4G - c->mmio32_base))
		return -EINVAL;
	if (c->mmio64_size > UINT64_MAX - c->mmio64_base)
		return -EINVAL;
	if (c->io_size &&
	    ((uint32_t)c->io_base + c->io_size > 0x10000 ||
	     overlaps(c->io_base, c->io_size, X86_ACPI_PCI_CONF1_PORT,
		      X86_ACPI_PCI_CONF1_LEN)))
		return -EINVAL;
	for (i = 0; i < 5; i++)
		for (j = i + 1; j < 5; j++)
			if (overlaps(r[i][0], r[i][1], r[j][0], r[j][1]))
				return -EINVAL;
	return 0;
}

int x86_acpi_build(struct guest_mem *m, uint64_t base, uint64_t max_size,
		   const struct x86_acpi_cfg *cfg, uint64_t *rsdp_addr)
{
	struct acpi_layout l;
	struct aml_buf aml;
	uint8_t *g;
	int ret;

	if (!cfg->nr_vcpus || cfg->nr_vcpus > X86_ACPI_MAX_VCPUS) {
		log_err("%u vCPUs unsupported (1-%u)", cfg->nr_vcpus,
			X86_ACPI_MAX_VCPUS);
		return -EINVAL;
	}
	if (base & (ACPI_TABLE_ALIGN - 1)) {
		log_err("base %#llx is not 16-byte aligned",
			(unsigned long long)base);
		return -EINVAL;
	}

	if (cfg->has_pci && pci_cfg_check(cfg)) {
		log_err("bad PCI description: ECAM %#llx buses %u-%u, "
			"windows %#llx+%#llx %#llx+%#llx io %#x+%#x",
			(unsigned long long)cfg->ecam_base, cfg->bus_start,
			cfg->bus_end, (unsigned long long)cfg->mmio32_base,
			(unsigned long long)cfg->mmio32_size,
			(unsigned long long)cfg->mmio64_base,
			(unsigned long long)cfg->mmio64_size, cfg->io_base,
			cfg->io_size);
		return -EINVAL;
	}

	aml_buf_init(&aml);
	ret = x86_acpi_dsdt_build(&aml, cfg);
	if (ret) {
		log_err("cannot build the DSDT: %s", strerror(-ret));
		goto out_free_aml;
	}
	layout_compute(&l, aml.len, cfg);
	if (l.used > max_size) {
		log_err("tables need %llu bytes, %llu available",
			(unsigned long long)l.used,
			(unsigned long long)max_size);
		ret = -ENOSPC;
		goto out_free_aml;
	}
	g = guest_mem_ptr(m, base, l.used);
	if (!g) {
		log_err("[%#llx, +%#llx) is not guest RAM",
			(unsigned long long)base, (unsigned long long)l.used);
		ret = -EFAULT;
		goto out_free_aml;
	}

	memset(g, 0, l.used);
	write_dsdt(g, &l, &aml);
	write_madt(g, &l, cfg);
	if (cfg->has_pci)
		write_mcfg(g, &l, cfg);
	write_fadt(g, base, &l, cfg);
	write_xsdt(g, base, &l);
	write_rsdp(g, base, &l);
	*rsdp_addr = base;
	log_debug("ACPI tables at %#llx-%#llx: %u vCPUs, serial %s, PCI %s",
		  (unsigned long long)base, (unsigned long long)(base + l.used),
		  cfg->nr_vcpus, cfg->has_serial ? "yes" : "no",
		  cfg->has_pci ? "yes" : "no");
	ret = 0;

out_free_aml:
	aml_buf_free(&aml);
	return ret;
}
