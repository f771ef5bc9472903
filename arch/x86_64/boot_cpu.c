// SPDX-License-Identifier: Apache-2.0
/*
 * boot_cpu.c - boot GDT, identity page tables and the BSP's first
 * register state for the 64-bit Linux and the PVH entry.
 *
 * The segment registers are described once (boot_segments) and both the
 * GDT descriptors and the sregs are derived from that description, so the
 * hidden segment state always equals what a reload from the GDT gives.
 */
#include <errno.h>
#include <string.h>

#define LOG_MOD "x86-boot-cpu"
#include "arch/x86_64/boot.h"
#include "arch/x86_64/layout.h"
#include "vmm/log.h"

#define CR0_PE (1ull << 0)
#define CR0_ET (1ull << 4)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define RFLAGS_FIXED 0x2ull /* bit 1 is always set */

#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_PS (1ull << 7)
#define PT_ENTRIES 512u
#define PT_PAGE 0x1000ull
#define PAGE_2M (1ull << 21)

#define SEG_TYPE_CODE_XRA 0xbu /* execute/read, accessed */
#define SEG_TYPE_DATA_RWA 0x3u /* read/write, accessed */
#define SEG_TYPE_LDT 0x2u
#define SEG_TYPE_TSS_BUSY 0xbu /* 32/64-bit busy TSS */
#define BOOT_TSS_LIMIT 0x67u /* minimal 32-bit TSS, as PVH specifies */
#define BOOT_IDT_BYTES 16u

/* Low-memory boot data must not overlap (layout.h).  Checked here. */
_Static_assert(X86_GDT_ADDR + X86_BOOT_GDT_ENTRIES * 8 <= X86_IDT_ADDR,
	       "GDT overlaps IDT");
_Static_assert(X86_IDT_ADDR + BOOT_IDT_BYTES <= X86_PVH_INFO_ADDR,
	       "IDT overlaps PVH start info");
_Static_assert(X86_ZERO_PAGE_ADDR + 0x1000 < X86_BOOT_STACK &&
		       X86_BOOT_STACK <= X86_PML4_ADDR,
	       "boot stack must lie between the zero page and the PML4");
_Static_assert(X86_PML4_ADDR + PT_PAGE <= X86_PDPT_ADDR &&
		       X86_PDPT_ADDR + PT_PAGE <= X86_PD_ADDR,
	       "page table overlap");
_Static_assert(X86_PD_ADDR + X86_BOOT_PD_COUNT * PT_PAGE <= X86_CMDLINE_ADDR,
	       "PDs overlap the command line");
_Static_assert(X86_CMDLINE_ADDR + X86_CMDLINE_MAX <= X86_EBDA_START,
	       "command line overlaps the EBDA");

static int mode_ok(const struct x86_boot_info *bi)
{
	return bi &&
	       (bi->mode == X86_ENTRY_LINUX64 || bi->mode == X86_ENTRY_PVH32);
}

static void boot_segments(uint32_t mode, struct hv_x86_segment *cs,
			  struct hv_x86_segment *ds)
{
	memset(cs, 0, sizeof(*cs));
	cs->limit = 0xffffffffu;
	cs->selector = X86_BOOT_CS;
	cs->type = SEG_TYPE_CODE_XRA;
	cs->present = 1;
	cs->s = 1;
	cs->g = 1;
	if (mode == X86_ENTRY_LINUX64)
		cs->l = 1; /* 64-bit code: D must be 0 */
	else
		cs->db = 1;

	memset(ds, 0, sizeof(*ds));
	ds->limit = 0xffffffffu;
	ds->selector = X86_BOOT_DS;
	ds->type = SEG_TYPE_DATA_RWA;
	ds->present = 1;
	ds->db = 1;
	ds->s = 1;
	ds->g = 1;
}

/* Encode a code/data segment as an 8-byte descriptor. */
static uint64_t seg_to_desc(const struct hv_x86_segment *s)
{
	uint64_t lim = s->g ? s->limit >> 12 : s->limit;
	uint64_t d;

	d = lim & 0xffff;
	d |= (s->base & 0xffffffull) << 16;
	d |= (uint64_t)(s->type & 0xf) << 40;
	d |= (uint64_t)(s->s & 1) << 44;
	d |= (uint64_t)(s->dpl & 3) << 45;
	d |= (uint64_t)(s->present & 1) << 47;
	d |= ((lim >> 16) & 0xf) << 48;
	d |= (uint64_t)(s->avl & 1) << 52;
	d |= (uint64_t)(s->l & 1) << 53;
	d |= (uint64_t)(s->db & 1) << 54;
	d |= (uint64_t)(s->g & 1) << 55;
	d |= ((s->base >> 24) & 0xff) << 56;
	return d;
}

int x86_boot_cpu_state(const struct x86_boot_info *bi, uint32_t vcpu_id,
		       struct hv_x86_regs *regs, struct hv_x86_sregs *sregs)
{
	struct hv_x86_segment cs, ds;
	int long_mode;

	if (!mode_ok(bi) || !regs || !sregs)
		return -EINVAL;
	if (vcpu_id)
		return -EAGAIN;
	long_mode = bi->mode == X86_ENTRY_LINUX64;
	boot_segments(bi->mode, &cs, &ds);

	memset(sregs, 0, sizeof(*sregs));
	sregs->cs = cs;
	sregs->ds = ds;
	sregs->es = ds;
	sregs->fs = ds;
	sregs->gs = ds;
	sregs->ss = ds;
	/* VM entry wants a usable busy TSS even though nothing uses it. */
	sregs->tr.limit = BOOT_TSS_LIMIT;
	sregs->tr.type = SEG_TYPE_TSS_BUSY;
	sregs->tr.present = 1;
	sregs->ldt.type = SEG_TYPE_LDT;
	sregs->ldt.unusable = 1;
	sregs->gdt.base = X86_GDT_ADDR;
	sregs->gdt.limit = X86_BOOT_GDT_ENTRIES * 8 - 1;
	sregs->idt.base = X86_IDT_ADDR;
	sregs->idt.limit = 0;
	if (long_mode) {
		sregs->cr0 = CR0_PE | CR0_ET | CR0_PG;
		sregs->cr3 = X86_PML4_ADDR;
		sregs->cr4 = CR4_PAE;
		sregs->efer = EFER_LME | EFER_LMA;
	} else {
		sregs->cr0 = CR0_PE | CR0_ET;
	}

	memset(regs, 0, sizeof(*regs));
	regs->rip = bi->entry;
	regs->rflags = RFLAGS_FIXED;
	regs->rsp = X86_BOOT_STACK;
	if (long_mode)
		regs->rsi = bi->params_addr;
	else
		regs->rbx = bi->params_addr;
	return 0;
}

static int write_page_tables(struct guest_mem *m)
{
	uint64_t pt[PT_ENTRIES];
	unsigned int i, j;

	memset(pt, 0, sizeof(pt));
	pt[0] = X86_PDPT_ADDR | PTE_P | PTE_RW;
	if (guest_mem_write(m, X86_PML4_ADDR, pt, sizeof(pt)))
		return -EFAULT;
	memset(pt, 0, sizeof(pt));
	for (i = 0; i < X86_BOOT_PD_COUNT; i++)
		pt[i] = (X86_PD_ADDR + i * PT_PAGE) | PTE_P | PTE_RW;
	if (guest_mem_write(m, X86_PDPT_ADDR, pt, sizeof(pt)))
		return -EFAULT;
	for (i = 0; i < X86_BOOT_PD_COUNT; i++) {
		for (j = 0; j < PT_ENTRIES; j++)
			pt[j] = ((uint64_t)i * PT_ENTRIES + j) * PAGE_2M |
				PTE_P | PTE_RW | PTE_PS;
		if (guest_mem_write(m, X86_PD_ADDR + i * PT_PAGE, pt,
				    sizeof(pt)))
			return -EFAULT;
	}
	return 0;
}

int x86_boot_write_tables(struct guest_mem *m, const struct x86_boot_info *bi)
{
	static const uint8_t idt[BOOT_IDT_BYTES];
	struct hv_x86_segment cs, ds;
	uint64_t gdt[X86_BOOT_GDT_ENTRIES];

	if (!m || !mode_ok(bi))
		return -EINVAL;
	boot_segments(bi->mode, &cs, &ds);
	memset(gdt, 0, sizeof(gdt));
	gdt[X86_BOOT_CS / 8] = seg_to_desc(&cs);
	gdt[X86_BOOT_DS / 8] = seg_to_desc(&ds);
	if (guest_mem_write(m, X86_GDT_ADDR, gdt, sizeof(gdt)) ||
	    guest_mem_write(m, X86_IDT_ADDR, idt, sizeof(idt))) {
		log_err("no guest RAM for the boot GDT/IDT at 0x%llx",
			(unsigned long long)X86_GDT_ADDR);
		return -EFAULT;
	}
	if (bi->mode == X86_ENTRY_LINUX64 && write_page_tables(m)) {
		log_err("no guest RAM for the boot page tables at 0x%llx",
			(unsigned long long)X86_PML4_ADDR);
		return -EFAULT;
	}
	return 0;
}

int x86_boot_setup_vcpu(const struct hv_ops *ops, struct hv_vcpu *v,
			const struct x86_boot_info *bi, uint32_t vcpu_id)
{
	struct hv_x86_sregs want, sregs;
	struct hv_x86_regs regs;
	int ret;

	if (!ops || !v || !mode_ok(bi))
		return -EINVAL;
	if (vcpu_id)
		return 0; /* APs wait for INIT/SIPI in their reset state */
	ret = x86_boot_cpu_state(bi, vcpu_id, &regs, &want);
	if (ret)
		return ret;
	if (ops->size < HV_OPS_END(vcpu_set_regs) || !ops->vcpu_get_regs ||
	    !ops->vcpu_set_regs)
		return -EOPNOTSUPP;

	/* Start from the hypervisor's state: keeps apic_base, cr2, cr8. */
	ret = ops->vcpu_get_regs(v, HV_REGS_SPECIAL, &sregs, sizeof(sregs));
	if (ret) {
		log_err("vCPU 0: reading special registers failed: %d", ret);
		return ret;
	}
	sregs.cs = want.cs;
	sregs.ds = want.ds;
	sregs.es = want.es;
	sregs.fs = want.fs;
	sregs.gs = want.gs;
	sregs.ss = want.ss;
	sregs.tr = want.tr;
	sregs.ldt = want.ldt;
	sregs.gdt = want.gdt;
	sregs.idt = want.idt;
	sregs.cr0 = want.cr0;
	sregs.cr3 = want.cr3;
	sregs.cr4 = want.cr4;
	sregs.efer = want.efer;
	ret = ops->vcpu_set_regs(v, HV_REGS_SPECIAL, &sregs, sizeof(sregs));
	if (ret) {
		log_err("vCPU 0: setting special registers failed: %d", ret);
		return ret;
	}
	ret = ops->vcpu_set_regs(v, HV_REGS_CORE, &regs, sizeof(regs));
	if (ret)
		log_err("vCPU 0: setting core registers failed: %d", ret);
	return ret;
}
