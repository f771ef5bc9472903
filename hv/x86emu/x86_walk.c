// SPDX-License-Identifier: Apache-2.0
/*
 * x86_walk.c - guest linear-to-physical translation for the x86
 * instruction emulator: paging off, 32-bit paging (4 KiB and PSE 4 MiB
 * pages), PAE paging, and 4- and 5-level paging with 2 MiB and 1 GiB
 * pages.  Checks present, reserved bits, U/S (with SMEP/SMAP), R/W (with
 * CR0.WP) and NX (with EFER.NXE) and reports #PF with the architectural
 * error code.  Page-table entries come from the guest through read_phys
 * and are hostile: every value only ever becomes another GPA handed back
 * to the caller's range checks.  No accessed/dirty bits are set.
 */
#include <errno.h>
#include <string.h>

#include "hv/x86emu/x86_emu_priv.h"

#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_US (1ull << 2)
#define PTE_PS (1ull << 7)
#define PTE_XD (1ull << 63)
#define PTE_ADDR (((1ull << X86_EMU_MAXPHYADDR) - 1) & ~0xfffull)
/* Bits MAXPHYADDR..51 of a 4-/5-level entry (none when it is 52). */
#define PTE_RSVD_PHYS (((1ull << 52) - 1) & ~((1ull << X86_EMU_MAXPHYADDR) - 1))
/* PAE paging: bits 62:MAXPHYADDR are reserved in PDEs and PTEs. */
#define PAE_RSVD_HIGH (PTE_RSVD_PHYS | 0x7ff0000000000000ull)
/* PAE PDPTE: bits 2:1, 8:5 and 63:MAXPHYADDR. */
#define PAE_PDPTE_RSVD (0x1e6ull | PAE_RSVD_HIGH | PTE_XD)
#define LARGE_2M_RSVD 0x1fe000ull /* bits 20:13 of a 2 MiB PDE */
#define LARGE_1G_RSVD 0x3fffe000ull /* bits 29:13 of a 1 GiB PDPTE */
#define PSE_4M_RSVD (1ull << 21)

struct walk {
	const struct x86_emu_cpu *cpu;
	const struct x86_emu_ops *ops;
	void *ctx;
	struct x86_emu_fault *fault;
	uint64_t gva;
	bool user, write, fetch;
	bool nxe; /* EFER.NXE with PAE-format tables: XD exists */
	bool rw, us, xd; /* accumulated over the levels */
};

static int walk_fault(struct walk *w, uint32_t bits)
{
	uint32_t ec = bits;

	if (w->write)
		ec |= X86_PFEC_W;
	if (w->user)
		ec |= X86_PFEC_U;
	if (w->fetch && (w->nxe || (w->cpu->cr4 & X86_CR4_SMEP)))
		ec |= X86_PFEC_I;
	memset(w->fault, 0, sizeof(*w->fault));
	w->fault->vector = X86_VEC_PF;
	w->fault->has_error_code = 1;
	w->fault->error_code = ec;
	w->fault->cr2 = w->gva;
	return -EFAULT;
}

static int read_entry(struct walk *w, uint64_t gpa, unsigned int size,
		      uint64_t *ent)
{
	uint8_t b[8];
	int rc;

	rc = w->ops->read_phys(w->ctx, gpa, b, size);
	if (rc)
		return rc < 0 ? rc : -EIO;
	*ent = x86_load_le(b, size);
	return 0;
}

/* Present and reserved-bit checks of one entry, then fold its rights. */
static int check_entry(struct walk *w, uint64_t ent, uint64_t rsvd, bool rights)
{
	if (!(ent & PTE_P))
		return walk_fault(w, 0);
	if (ent & rsvd)
		return walk_fault(w, X86_PFEC_P | X86_PFEC_RSVD);
	if (rights) {
		w->rw = w->rw && (ent & PTE_RW);
		w->us = w->us && (ent & PTE_US);
		w->xd = w->xd || (w->nxe && (ent & PTE_XD));
	}
	return 0;
}

/* Access rights of the whole walk against the access kind. */
static int check_rights(struct walk *w)
{
	const struct x86_emu_cpu *cpu = w->cpu;

	if (w->user) {
		if (!w->us || (w->write && !w->rw))
			return walk_fault(w, X86_PFEC_P);
	} else {
		if (w->write && !w->rw && (cpu->cr0 & X86_CR0_WP))
			return walk_fault(w, X86_PFEC_P);
		if (w->us && w->fetch && (cpu->cr4 & X86_CR4_SMEP))
			return walk_fault(w, X86_PFEC_P);
		if (w->us && !w->fetch && (cpu->cr4 & X86_CR4_SMAP) &&
		    !(cpu->rflags & X86_FL_AC))
			return walk_fault(w, X86_PFEC_P);
	}
	if (w->fetch && w->xd)
		return walk_fault(w, X86_PFEC_P);
	return 0;
}

/*
 * PAE-format tables below `table` (the PML5, PML4 or PAE page directory),
 * starting at `level` (4: PML5 ... 1: PD, 0: PT).
 */
static int walk_pae_format(struct walk *w, uint64_t table, int level,
			   bool legacy, uint64_t *gpa)
{
	uint64_t xd_rsvd = w->nxe ? 0 : PTE_XD;
	uint64_t ent, rsvd, page_mask;
	unsigned int shift;
	int rc;

	for (;; level--) {
		shift = 12 + 9 * level;
		rc = read_entry(w, table + ((w->gva >> shift) & 511) * 8, 8,
				&ent);
		if (rc)
			return rc;
		rsvd = xd_rsvd | (legacy ? PAE_RSVD_HIGH : PTE_RSVD_PHYS);
		if (level >= 3)
			rsvd |= PTE_PS;
		else if (level == 2 && (ent & PTE_PS))
			rsvd |= LARGE_1G_RSVD;
		else if (level == 1 && (ent & PTE_PS))
			rsvd |= LARGE_2M_RSVD;
		rc = check_entry(w, ent, rsvd, true);
		if (rc)
			return rc;
		if (level == 0 || (ent & PTE_PS))
			break;
		table = ent & PTE_ADDR;
	}
	rc = check_rights(w);
	if (rc)
		return rc;
	page_mask = (1ull << shift) - 1;
	*gpa = (ent & PTE_ADDR & ~page_mask) | (w->gva & page_mask);
	return 0;
}

static int walk_pae(struct walk *w, uint64_t *gpa)
{
	uint64_t pdpt = w->cpu->cr3 & 0xffffffe0ull;
	uint64_t ent;
	int rc;

	/*
	 * Hardware loads the four PDPTEs at MOV CR3 and raises #GP there for
	 * reserved bits; we only see memory, so a bad PDPTE becomes #PF.
	 */
	rc = read_entry(w, pdpt + ((w->gva >> 30) & 3) * 8, 8, &ent);
	if (rc)
		return rc;
	rc = check_entry(w, ent, PAE_PDPTE_RSVD, false);
	if (rc)
		return rc;
	return walk_pae_format(w, ent & PTE_ADDR, 1, true, gpa);
}

static int walk_32(struct walk *w, uint64_t *gpa)
{
	uint64_t pde, pte, base;
	int rc;

	rc = read_entry(w, (w->cpu->cr3 & 0xfffff000ull) + (w->gva >> 22) * 4,
			4, &pde);
	if (rc)
		return rc;
	if ((pde & PTE_PS) && (w->cpu->cr4 & X86_CR4_PSE)) {
		rc = check_entry(w, pde, PSE_4M_RSVD, true);
		if (rc)
			return rc;
		rc = check_rights(w);
		if (rc)
			return rc;
		/* PSE-36: PDE bits 20:13 are physical address bits 39:32. */
		base = (pde & 0xffc00000ull) | (((pde >> 13) & 0xff) << 32);
		*gpa = base | (w->gva & 0x3fffff);
		return 0;
	}
	rc = check_entry(w, pde, 0, true);
	if (rc)
		return rc;
	rc = read_entry(w, (pde & 0xfffff000ull) + ((w->gva >> 12) & 1023) * 4,
			4, &pte);
	if (rc)
		return rc;
	rc = check_entry(w, pte, 0, true);
	if (rc)
		return rc;
	rc = check_rights(w);
	if (rc)
		return rc;
	*gpa = (pte & 0xfffff000ull) | (w->gva & 0xfff);
	return 0;
}

static bool is_canonical(uint64_t va, unsigned int bits)
{
	unsigned int sh = 64 - bits;

	return (uint64_t)((int64_t)(va << sh) >> sh) == va;
}

int x86_emu_translate(const struct x86_emu_cpu *cpu,
		      const struct x86_emu_ops *ops, void *ctx, uint64_t gva,
		      unsigned int acc, uint64_t *gpa,
		      struct x86_emu_fault *fault)
{
	struct x86_emu_fault dummy;
	struct walk w = {
		.cpu = cpu,
		.ops = ops,
		.ctx = ctx,
		.fault = fault ? fault : &dummy,
		.gva = gva,
		.write = (acc & X86_EMU_ACC_WRITE) &&
			 !(acc & X86_EMU_ACC_FETCH),
		.fetch = acc & X86_EMU_ACC_FETCH,
		.rw = true,
		.us = true,
	};
	bool la57;

	if (!cpu || !ops || !ops->read_phys || !gpa)
		return -EINVAL;
	w.user = cpu->cpl == 3;
	if (!(cpu->cr0 & X86_CR0_PG)) {
		*gpa = gva & 0xffffffffull;
		return 0;
	}
	if (cpu->efer & X86_EFER_LMA) {
		la57 = cpu->cr4 & X86_CR4_LA57;
		if (!is_canonical(gva, la57 ? 57 : 48)) {
			memset(w.fault, 0, sizeof(*w.fault));
			w.fault->vector = X86_VEC_GP;
			w.fault->has_error_code = 1;
			return -EFAULT;
		}
		w.nxe = cpu->efer & X86_EFER_NXE;
		return walk_pae_format(&w, cpu->cr3 & PTE_ADDR, la57 ? 4 : 3,
				       false, gpa);
	}
	w.gva = gva & 0xffffffffull;
	if (cpu->cr4 & X86_CR4_PAE) {
		w.nxe = cpu->efer & X86_EFER_NXE;
		return walk_pae(&w, gpa);
	}
	return walk_32(&w, gpa);
}
