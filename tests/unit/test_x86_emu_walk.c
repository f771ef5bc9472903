// SPDX-License-Identifier: Apache-2.0
/*
 * test_x86_emu_walk.c - x86 instruction emulator: x86_emu_translate over
 * page tables built in the fake guest RAM (paging off, 32-bit with PSE
 * and PSE-36, PAE, 4- and 5-level with 2 MiB and 1 GiB pages; present,
 * reserved-bit, U/S, R/W+WP, NX, SMEP and SMAP checks and their #PF error
 * codes), then whole instructions whose operands straddle pages or whose
 * bytes must be fetched through the walk.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "tests/unit/x86_emu_fake.h"

#define M FK_MMIO
#define K4 0x1000ull
#define M2 0x200000ull
#define G1 0x40000000ull
#define M4 0x400000ull
#define GVA4 0x00007f1234567abcull
#define GVA5 0x00abcdef12345abcull
#define GVA32 0xc0345abcull
#define RD 0u
#define WR X86_EMU_ACC_WRITE
#define EX X86_EMU_ACC_FETCH
#define PFEC_P 1u
#define PFEC_W 2u
#define PFEC_U 4u
#define PFEC_RSVD 8u
#define PFEC_I 16u

enum { W_4L = 0, W_5L, W_PAE, W_32, W_OFF };

/* Bits of wcase.opt: deviations from the mode's default registers. */
#define O_NOWP 0x01u
#define O_NONXE 0x02u
#define O_SMEP 0x04u
#define O_SMAP 0x08u
#define O_AC 0x10u
#define O_NOPSE 0x20u

struct wcase {
	const char *name;
	int paging;
	uint64_t gva; /* mapped (and queried unless qgva is set) */
	uint64_t gpa; /* page base */
	uint64_t page;
	uint64_t leaf;
	int poke_level; /* -1 (or 0 with no bits): none */
	uint64_t poke_set, poke_clr;
	uint64_t qgva;
	unsigned int acc;
	uint8_t cpl;
	unsigned int opt;
	int rc;
	uint64_t want; /* GPA on success */
	uint8_t vec; /* 0: #PF */
	uint32_t ec;
	unsigned int fail_at;
};

static void walk_build(struct fk *fk, const struct wcase *c,
		       struct x86_emu_cpu *cpu, uint64_t ent[5])
{
	uint64_t root, pt, a;

	memset(cpu, 0, sizeof(*cpu));
	cpu->cr0 = CR0_PE | CR0_PG | CR0_WP;
	switch (c->paging) {
	case W_4L:
	case W_5L:
		root = fk_alloc_table(fk);
		fk_map(fk, root, c->paging == W_5L ? 5 : 4, c->gva, c->gpa,
		       c->page, c->leaf, ent);
		cpu->cr3 = root;
		cpu->cr4 = CR4_PAE | (c->paging == W_5L ? CR4_LA57 : 0);
		cpu->efer = EFER_LME | EFER_LMA | EFER_NXE;
		break;
	case W_PAE:
		/* CR3 holds a 32-byte aligned PDPT. */
		root = fk_alloc_table(fk);
		ent[2] = 0x3020 + ((c->gva >> 30) & 3) * 8;
		fk_put(fk, ent[2], root | PG_P, 8);
		fk_map(fk, root, 2, c->gva, c->gpa, c->page, c->leaf, ent);
		cpu->cr3 = 0x3020;
		cpu->cr4 = CR4_PAE;
		cpu->efer = EFER_NXE;
		break;
	case W_32:
		root = fk_alloc_table(fk);
		ent[1] = root + (c->gva >> 22) * 4;
		if (c->page == M4) {
			fk_put(fk, ent[1], c->gpa | c->leaf | PG_PS, 4);
		} else {
			pt = fk_alloc_table(fk);
			fk_put(fk, ent[1], pt | PG_P | PG_RW | PG_US, 4);
			ent[0] = pt + ((c->gva >> 12) & 1023) * 4;
			fk_put(fk, ent[0], c->gpa | c->leaf, 4);
		}
		cpu->cr3 = root;
		cpu->cr4 = CR4_PSE;
		cpu->efer = EFER_NXE;
		break;
	default:
		cpu->cr0 = CR0_PE;
		break;
	}
	if (c->opt & O_NOWP)
		cpu->cr0 &= ~CR0_WP;
	if (c->opt & O_NONXE)
		cpu->efer &= ~EFER_NXE;
	if (c->opt & O_SMEP)
		cpu->cr4 |= CR4_SMEP;
	if (c->opt & O_SMAP)
		cpu->cr4 |= CR4_SMAP;
	if (c->opt & O_AC)
		cpu->rflags |= FL_AC;
	if (c->opt & O_NOPSE)
		cpu->cr4 &= ~CR4_PSE;
	cpu->cpl = c->cpl;
	if (c->poke_set || c->poke_clr) {
		a = ent[c->poke_level];
		fk_put(fk, a, (fk_get(fk, a, 8) | c->poke_set) & ~c->poke_clr,
		       8);
	}
}

#define RWX (PG_P | PG_RW)
#define URW (PG_P | PG_RW | PG_US)

static const struct wcase walk_cases[] = {
	{ "paging off", W_OFF, .gva = 0x12345678, .want = 0x12345678 },
	{ "paging off: 32-bit linear", W_OFF, .gva = 0x100001000ull,
	  .want = 0x1000 },
	{ "4-level 4K", W_4L, GVA4, 0x45000, K4, RWX, .want = 0x45abc },
	{ "4-level 2M", W_4L, GVA4, 0x400000, M2, RWX, .want = 0x567abc },
	{ "4-level 2M, PAT bit is not address", W_4L, GVA4, 0x400000, M2,
	  RWX | 0x1000, .want = 0x567abc },
	{ "4-level 1G", W_4L, GVA4, 0x80000000, G1, RWX, .want = 0xb4567abc },
	{ "4-level ignores PTE bits 62:52", W_4L, GVA4, 0x45000, K4,
	  RWX | 0x7ff0000000000000ull, .want = 0x45abc },
	{ "5-level 4K", W_5L, GVA5, 0x46000, K4, RWX, .want = 0x46abc },
	{ "5-level 2M", W_5L, GVA5, 0x600000, M2, RWX, .want = 0x745abc },
	{ "5-level 1G", W_5L, GVA5, 0xc0000000, G1, RWX, .want = 0xd2345abc },
	{ "5-level: high canonical", W_5L, 0xff12345678901000ull, 0x45000, K4,
	  RWX, .want = 0x45000 },
	{ "4-level: bit 47 set, not sign-extended", W_4L, GVA4, 0x45000, K4,
	  RWX, .qgva = 0x0000800000000000ull, .rc = -EFAULT, .vec = 13 },
	{ "4-level: 57-bit address", W_4L, GVA5, 0x45000, K4, RWX,
	  .rc = -EFAULT, .vec = 13 },
	{ "5-level: not sign-extended", W_5L, GVA5, 0x45000, K4, RWX,
	  .qgva = 0x0100000000000000ull, .rc = -EFAULT, .vec = 13 },
	{ "not-present PTE", W_4L, GVA4, 0x45000, K4, 0, .rc = -EFAULT },
	{ "not-present PML4E, user write", W_4L, GVA4, 0x45000, K4, URW,
	  .poke_level = 3, .poke_clr = PG_P, .acc = WR, .cpl = 3, .rc = -EFAULT,
	  .ec = PFEC_W | PFEC_U },
	{ "not-present PML5E", W_5L, GVA5, 0x45000, K4, URW, .poke_level = 4,
	  .poke_clr = PG_P, .rc = -EFAULT },
	{ "write to read-only PTE, WP=1", W_4L, GVA4, 0x45000, K4, PG_P,
	  .acc = WR, .rc = -EFAULT, .ec = PFEC_P | PFEC_W },
	{ "write to read-only PTE, WP=0", W_4L, GVA4, 0x45000, K4, PG_P,
	  .acc = WR, .opt = O_NOWP, .want = 0x45abc },
	{ "user write to read-only page, WP=0", W_4L, GVA4, 0x45000, K4,
	  PG_P | PG_US, .acc = WR, .cpl = 3, .opt = O_NOWP, .rc = -EFAULT,
	  .ec = PFEC_P | PFEC_W | PFEC_U },
	{ "write under read-only PDPTE", W_4L, GVA4, 0x45000, K4, RWX,
	  .poke_level = 2, .poke_clr = PG_RW, .acc = WR, .rc = -EFAULT,
	  .ec = PFEC_P | PFEC_W },
	{ "read under read-only PDPTE", W_4L, GVA4, 0x45000, K4, RWX,
	  .poke_level = 2, .poke_clr = PG_RW, .want = 0x45abc },
	{ "user read of supervisor PTE", W_4L, GVA4, 0x45000, K4, RWX, .cpl = 3,
	  .rc = -EFAULT, .ec = PFEC_P | PFEC_U },
	{ "user read under supervisor PML4E", W_4L, GVA4, 0x45000, K4, URW,
	  .poke_level = 3, .poke_clr = PG_US, .cpl = 3, .rc = -EFAULT,
	  .ec = PFEC_P | PFEC_U },
	{ "user read of user page", W_4L, GVA4, 0x45000, K4, URW, .cpl = 3,
	  .want = 0x45abc },
	{ "user write of user 2M page", W_4L, GVA4, 0x400000, M2, URW,
	  .acc = WR, .cpl = 3, .want = 0x567abc },
	{ "fetch from NX page", W_4L, GVA4, 0x45000, K4, RWX | PG_XD, .acc = EX,
	  .rc = -EFAULT, .ec = PFEC_P | PFEC_I },
	{ "read of NX page", W_4L, GVA4, 0x45000, K4, RWX | PG_XD,
	  .want = 0x45abc },
	{ "fetch under NX PDE", W_4L, GVA4, 0x45000, K4, RWX, .poke_level = 1,
	  .poke_set = PG_XD, .acc = EX, .rc = -EFAULT, .ec = PFEC_P | PFEC_I },
	{ "fetch from NX 1G page", W_4L, GVA4, 0x80000000, G1, RWX | PG_XD,
	  .acc = EX, .rc = -EFAULT, .ec = PFEC_P | PFEC_I },
	{ "user fetch from NX page", W_4L, GVA4, 0x45000, K4, URW | PG_XD,
	  .acc = EX, .cpl = 3, .rc = -EFAULT, .ec = PFEC_P | PFEC_U | PFEC_I },
	{ "XD bit without EFER.NXE is reserved", W_4L, GVA4, 0x45000, K4,
	  RWX | PG_XD, .opt = O_NONXE, .rc = -EFAULT,
	  .ec = PFEC_P | PFEC_RSVD },
	{ "fetch, not present, NXE: I/D set", W_4L, GVA4, 0x45000, K4, 0,
	  .acc = EX, .rc = -EFAULT, .ec = PFEC_I },
	{ "fetch, not present, no NXE/SMEP: I/D clear", W_4L, GVA4, 0x45000, K4,
	  0, .acc = EX, .opt = O_NONXE, .rc = -EFAULT, .ec = 0 },
	{ "PS in PML4E is reserved", W_4L, GVA4, 0x45000, K4, RWX,
	  .poke_level = 3, .poke_set = PG_PS, .rc = -EFAULT,
	  .ec = PFEC_P | PFEC_RSVD },
	{ "PS in PML5E is reserved", W_5L, GVA5, 0x45000, K4, RWX,
	  .poke_level = 4, .poke_set = PG_PS, .acc = WR, .rc = -EFAULT,
	  .ec = PFEC_P | PFEC_W | PFEC_RSVD },
	{ "2M page with bit 13 set", W_4L, GVA4, 0x400000, M2, RWX | 0x2000,
	  .rc = -EFAULT, .ec = PFEC_P | PFEC_RSVD },
	{ "1G page with bit 20 set", W_4L, GVA4, 0x80000000, G1, RWX | 0x100000,
	  .rc = -EFAULT, .ec = PFEC_P | PFEC_RSVD },
	{ "reserved beats not-present below", W_4L, GVA4, 0x45000, K4, 0,
	  .poke_level = 3, .poke_set = PG_PS, .rc = -EFAULT,
	  .ec = PFEC_P | PFEC_RSVD },
	{ "SMEP: supervisor fetch from user page", W_4L, GVA4, 0x45000, K4, URW,
	  .acc = EX, .opt = O_SMEP, .rc = -EFAULT, .ec = PFEC_P | PFEC_I },
	{ "SMEP: supervisor read of user page", W_4L, GVA4, 0x45000, K4, URW,
	  .opt = O_SMEP, .want = 0x45abc },
	{ "SMAP: supervisor read of user page", W_4L, GVA4, 0x45000, K4, URW,
	  .opt = O_SMAP, .rc = -EFAULT, .ec = PFEC_P },
	{ "SMAP: supervisor write of user page", W_4L, GVA4, 0x45000, K4, URW,
	  .acc = WR, .opt = O_SMAP, .rc = -EFAULT, .ec = PFEC_P | PFEC_W },
	{ "SMAP with RFLAGS.AC", W_4L, GVA4, 0x45000, K4, URW,
	  .opt = O_SMAP | O_AC, .want = 0x45abc },
	{ "SMAP: user access unaffected", W_4L, GVA4, 0x45000, K4, URW,
	  .cpl = 3, .opt = O_SMAP, .want = 0x45abc },
	{ "PAE 4K", W_PAE, GVA32, 0x47000, K4, RWX, .want = 0x47abc },
	{ "PAE 2M", W_PAE, GVA32, 0x600000, M2, RWX, .want = 0x745abc },
	{ "PAE: high physical address", W_PAE, GVA32, 0x123456000ull, K4, RWX,
	  .want = 0x123456abcull },
	{ "PAE: PDPTE not present", W_PAE, GVA32, 0x47000, K4, RWX,
	  .poke_level = 2, .poke_clr = PG_P, .rc = -EFAULT },
	{ "PAE: PDPTE bit 1 is reserved", W_PAE, GVA32, 0x47000, K4, RWX,
	  .poke_level = 2, .poke_set = PG_RW, .rc = -EFAULT,
	  .ec = PFEC_P | PFEC_RSVD },
	{ "PAE: PTE bit 62 is reserved", W_PAE, GVA32, 0x47000, K4,
	  RWX | (1ull << 62), .rc = -EFAULT, .ec = PFEC_P | PFEC_RSVD },
	{ "PAE: fetch from NX page", W_PAE, GVA32, 0x47000, K4, RWX | PG_XD,
	  .acc = EX, .rc = -EFAULT, .ec = PFEC_P | PFEC_I },
	{ "PAE: user write to read-only PDE", W_PAE, GVA32, 0x47000, K4, URW,
	  .poke_level = 1, .poke_clr = PG_RW, .acc = WR, .cpl = 3,
	  .rc = -EFAULT, .ec = PFEC_P | PFEC_W | PFEC_U },
	{ "32-bit 4K", W_32, GVA32, 0x48000, K4, RWX, .want = 0x48abc },
	{ "32-bit 4M (PSE)", W_32, GVA32, 0xc00000, M4, RWX, .want = 0xf45abc },
	{ "32-bit 4M (PSE-36)", W_32, GVA32, 0xc00000, M4, RWX | 0x2000,
	  .want = 0x100f45abcull },
	{ "32-bit 4M with bit 21 set", W_32, GVA32, 0xc00000, M4,
	  RWX | 0x200000, .rc = -EFAULT, .ec = PFEC_P | PFEC_RSVD },
	{ "32-bit: PS ignored without CR4.PSE", W_32, GVA32, 0x48000, K4, RWX,
	  .poke_level = 1, .poke_set = PG_PS, .opt = O_NOPSE, .want = 0x48abc },
	{ "32-bit: PDE not present", W_32, GVA32, 0x48000, K4, RWX,
	  .poke_level = 1, .poke_clr = PG_P, .acc = WR, .rc = -EFAULT,
	  .ec = PFEC_W },
	{ "32-bit: user read of supervisor page", W_32, GVA32, 0x48000, K4, RWX,
	  .cpl = 3, .rc = -EFAULT, .ec = PFEC_P | PFEC_U },
	{ "32-bit: no NX, fetch not present: I/D clear", W_32, GVA32, 0x48000,
	  K4, 0, .acc = EX, .rc = -EFAULT, .ec = 0 },
	{ "32-bit: bit 63 does not exist", W_32, GVA32, 0x48000, K4, RWX,
	  .acc = EX, .want = 0x48abc },
	{ "page-table read error", W_4L, GVA4, 0x45000, K4, RWX, .fail_at = 2,
	  .rc = -EIO },
	{ "PAE: PDPTE read error", W_PAE, GVA32, 0x47000, K4, RWX, .fail_at = 1,
	  .rc = -EIO },
	{ "32-bit: PDE read error", W_32, GVA32, 0x48000, K4, RWX, .fail_at = 1,
	  .rc = -EIO },
	{ "32-bit: PTE read error", W_32, GVA32, 0x48000, K4, RWX, .fail_at = 2,
	  .rc = -EIO },
	{ "32-bit: user write to read-only 4M page", W_32, GVA32, 0xc00000, M4,
	  PG_P | PG_US, .acc = WR, .cpl = 3, .rc = -EFAULT,
	  .ec = PFEC_P | PFEC_W | PFEC_U },
};

static void test_translate(void **state)
{
	struct x86_emu_fault fault;
	struct x86_emu_cpu cpu;
	uint64_t ent[5], gpa, gva;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(walk_cases) / sizeof(walk_cases[0]); i++) {
		const struct wcase *c = &walk_cases[i];
		struct fk *fk = fk_new();

		assert_non_null(fk);
		memset(ent, 0, sizeof(ent));
		walk_build(fk, c, &cpu, ent);
		fk->fail_at = c->fail_at;
		gva = c->qgva ? c->qgva : c->gva;
		gpa = 0x5555;
		rc = x86_emu_translate(&cpu, &fk_ops, fk, gva, c->acc, &gpa,
				       &fault);
		if (rc != c->rc)
			fail_msg("case \"%s\": rc %d, want %d", c->name, rc,
				 c->rc);
		if (!rc)
			fk_check(c->name, "gpa", gpa, c->want);
		if (rc == -EFAULT) {
			fk_check(c->name, "vector", fault.vector,
				 c->vec ? c->vec : 14);
			fk_check(c->name, "error code", fault.error_code,
				 c->ec);
			fk_check(c->name, "has_error_code",
				 fault.has_error_code, 1);
			fk_check(c->name, "cr2", fault.cr2,
				 c->vec ? 0 :
					  (c->paging == W_4L ||
							   c->paging == W_5L ?
						   gva :
						   gva & 0xffffffff));
		}
		fk_check(c->name, "violations", fk->violations, 0);
		free(fk);
	}
}

static void test_translate_args(void **state)
{
	struct x86_emu_ops ops = fk_ops;
	struct x86_emu_cpu cpu;
	struct fk *fk = fk_new();
	uint64_t gpa;

	assert_non_null(fk);
	fk_cpu_init(&cpu, FK_M64);
	assert_int_equal(x86_emu_translate(NULL, &fk_ops, fk, 0, 0, &gpa, NULL),
			 -EINVAL);
	assert_int_equal(x86_emu_translate(&cpu, NULL, fk, 0, 0, &gpa, NULL),
			 -EINVAL);
	assert_int_equal(x86_emu_translate(&cpu, &fk_ops, fk, 0, 0, NULL, NULL),
			 -EINVAL);
	ops.read_phys = NULL;
	assert_int_equal(x86_emu_translate(&cpu, &ops, fk, 0, 0, &gpa, NULL),
			 -EINVAL);
	/* A NULL fault pointer is allowed, even when the walk faults. */
	assert_int_equal(x86_emu_translate(&cpu, &fk_ops, fk,
					   0xffff800000000000ull, 0, &gpa,
					   NULL),
			 -EFAULT);
	assert_int_equal(
		x86_emu_translate(&cpu, &fk_ops, fk, M + 5, WR, &gpa, NULL), 0);
	assert_int_equal(gpa, M + 5);
	free(fk);
}

/*
 * Straddle/fetch set-up (4-level, identity map replaced):
 *   0x400000 -> M+0x1000 RW   0x401000 -> M+0x3000 RW
 *   0x402000 -> M+0x5000 RO   0x403000 not present
 *   0x500000 -> RAM 0x8000 (code)   0x501000 not present
 *   0x502000 -> RAM 0x9000 NX       0x503000 -> RAM 0xa000 supervisor
 *   0x600000 -> RAM 0x30000         0x601000 -> RAM 0x50000
 * Everything is user-accessible except 0x503000.
 */
static void straddle_setup(struct fk *fk, struct x86_emu_cpu *cpu)
{
	static const struct {
		uint64_t gva, gpa, leaf;
	} maps[] = {
		{ 0x400000, M + 0x1000, URW },
		{ 0x401000, M + 0x3000, URW },
		{ 0x402000, M + 0x5000, PG_P | PG_US },
		{ 0x403000, 0, 0 },
		{ 0x500000, 0x8000, URW },
		{ 0x501000, 0, 0 },
		{ 0x502000, 0x9000, URW | PG_XD },
		{ 0x503000, 0xa000, RWX },
		{ 0x600000, 0x30000, URW },
		{ 0x601000, 0x50000, URW },
	};
	uint64_t root = fk_alloc_table(fk);
	size_t i;

	for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		fk_map(fk, root, 4, maps[i].gva, maps[i].gpa, K4, maps[i].leaf,
		       NULL);
	cpu->cr3 = root;
}

#define ST(nm, ...)                                      \
	{                                                \
		nm, __VA_ARGS__, .setup = straddle_setup \
	}

static const struct ecase straddle_cases[] = {
	ST("read straddles two MMIO pages", I(0x8b, 0x03),
	   .gpr = { [X86_RBX] = 0x400ffe },
	   .mem = { { M + 0x1ffe, 0xbbaa, 2 }, { M + 0x3000, 0xddcc, 2 } },
	   .acc = { MR(M + 0x1ffe, 2, 0xbbaa), MR(M + 0x3000, 2, 0xddcc) },
	   .chg = G(RAX), .out = { [X86_RAX] = 0xddccbbaa }),
	ST("write straddles two MMIO pages", I(0x48, 0x89, 0x03),
	   .gpr = { [X86_RAX] = 0x0807060504030201ull, [X86_RBX] = 0x400ffd },
	   .acc = { MW(M + 0x1ffd, 3, 0x030201),
		    MW(M + 0x3000, 5, 0x0807060504ull) }),
	ST("write into read-only second page: nothing written", I(0x89, 0x03),
	   .gpr = { [X86_RBX] = 0x401ffe }, .rc = -EFAULT, .vec = 14,
	   .ec = PFEC_P | PFEC_W, .cr2 = 0x402000),
	ST("read into not-present second page", I(0x8b, 0x03),
	   .gpr = { [X86_RBX] = 0x402ffe }, .rc = -EFAULT, .vec = 14, .ec = 0,
	   .cr2 = 0x403000),
	ST("user read of supervisor page", I(0x8b, 0x03), .cpl = 3,
	   .gpr = { [X86_RBX] = 0x503010 }, .rc = -EFAULT, .vec = 14,
	   .ec = PFEC_P | PFEC_U, .cr2 = 0x503010),
	ST("read-modify-write straddling", I(0x01, 0x03),
	   .gpr = { [X86_RAX] = 1, [X86_RBX] = 0x400fff },
	   .mem = { { M + 0x1fff, 0xff, 1 } },
	   .acc = { MR(M + 0x1fff, 1, 0xff), MR(M + 0x3000, 3, 0),
		    MW(M + 0x1fff, 1, 0), MW(M + 0x3000, 3, 1) },
	   .flmask = FL_ARITH, .flout = FL_AF | FL_PF),
	ST("RMW on read-only page faults before reading", I(0x01, 0x03),
	   .gpr = { [X86_RBX] = 0x402010 }, .rc = -EFAULT, .vec = 14,
	   .ec = PFEC_P | PFEC_W, .cr2 = 0x402010),
	ST("cmp on read-only page only reads", I(0x39, 0x03),
	   .gpr = { [X86_RBX] = 0x402010 }, .acc = { MR(M + 0x5010, 4, 0) },
	   .flmask = FL_ARITH, .flout = FL_ZF | FL_PF),
	ST("movsw: both operands straddle", I(0x66, 0xa5),
	   .gpr = { [X86_RSI] = 0x600fff, [X86_RDI] = 0x400fff },
	   .mem = { { 0x30fff, 0x11, 1 }, { 0x50000, 0x22, 1 } },
	   .acc = { MW(M + 0x1fff, 1, 0x11), MW(M + 0x3000, 1, 0x22) },
	   .chg = G(RSI) | G(RDI),
	   .out = { [X86_RSI] = 0x601001, [X86_RDI] = 0x401001 }),
	ST("rep stosb stops at the fault, progress kept", I(0xf3, 0xaa),
	   .gpr = { [X86_RAX] = 0x7e, [X86_RCX] = 4, [X86_RDI] = 0x401ffe },
	   .rc = -EFAULT, .vec = 14, .ec = PFEC_P | PFEC_W, .cr2 = 0x402000,
	   .acc = { MW(M + 0x3ffe, 1, 0x7e), MW(M + 0x3fff, 1, 0x7e) },
	   .partial = 1, .chg = G(RCX) | G(RDI),
	   .out = { [X86_RCX] = 2, [X86_RDI] = 0x402000 }),
	ST("movsb: source fault, nothing written", I(0xa4),
	   .gpr = { [X86_RSI] = 0x403000, [X86_RDI] = 0x400000 }, .rc = -EFAULT,
	   .vec = 14, .ec = 0, .cr2 = 0x403000),
	ST("movsb: destination fault, source not read", I(0xa4),
	   .gpr = { [X86_RSI] = 0x400000, [X86_RDI] = 0x402000 }, .rc = -EFAULT,
	   .vec = 14, .ec = PFEC_P | PFEC_W, .cr2 = 0x402000),
	ST("insb: destination fault, port not read", I(0x6c),
	   .gpr = { [X86_RDI] = 0x403000 }, .rc = -EFAULT, .vec = 14,
	   .ec = PFEC_W, .cr2 = 0x403000),
	ST("fetch all bytes", I(0x89, 0x03), .fetch = 1, .give = 0,
	   .rip = 0x500010, .code_gpa = 0x8010, .gpr = { [X86_RBX] = 0x400000 },
	   .acc = { MW(M + 0x1000, 4, 0) }),
	ST("fetch the missing bytes", I(0xc7, 0x03, D32(0x01020304)),
	   .fetch = 1, .give = 2, .rip = 0x500010, .code_gpa = 0x8010,
	   .gpr = { [X86_RBX] = 0x400000 },
	   .acc = { MW(M + 0x1000, 4, 0x01020304) }),
	ST("instruction ends at the page end", I(0x89, 0x03), .fetch = 1,
	   .rip = 0x500ffe, .code_gpa = 0x8ffe, .gpr = { [X86_RBX] = 0x400000 },
	   .acc = { MW(M + 0x1000, 4, 0) }),
	ST("fetch crosses into a not-present page",
	   I(0xc7, 0x03, D32(0x01020304)), .fetch = 1, .rip = 0x500ffe,
	   .code_gpa = 0x8ffe, .rc = -EFAULT, .vec = 14, .ec = PFEC_I,
	   .cr2 = 0x501000),
	ST("fetch from an NX page", I(0x89, 0x03), .fetch = 1, .rip = 0x502000,
	   .code_gpa = 0x9000, .rc = -EFAULT, .vec = 14, .ec = PFEC_P | PFEC_I,
	   .cr2 = 0x502000),
	ST("NX page, bytes given: no fetch", I(0x89, 0x03), .rip = 0x502000,
	   .gpr = { [X86_RBX] = 0x400000 }, .acc = { MW(M + 0x1000, 4, 0) }),
	ST("user fetch from a supervisor page", I(0x89, 0x03), .fetch = 1,
	   .rip = 0x503000, .code_gpa = 0xa000, .cpl = 3, .rc = -EFAULT,
	   .vec = 14, .ec = PFEC_P | PFEC_U | PFEC_I, .cr2 = 0x503000),
	{ "16: fetch at CS base + IP", .mode = FK_M16, I(0x89, 0x07),
	  .fetch = 1, .rip = 0x100, .code_gpa = 0x8100,
	  .seg = { [X86_SEG_CS] = 0x8000, [X86_SEG_DS] = M },
	  .gpr = { [X86_RAX] = 0x4321 }, .acc = { MW(M, 2, 0x4321) } },
	{ "16: fetch wraps IP at 64 KiB", .mode = FK_M16, I(0x89, 0x07),
	  .fetch = 1, .give = 0, .rip = 0xffff, .code_gpa = 0x20000,
	  .gpr = { [X86_RSI] = 0x10 },
	  .seg = { [X86_SEG_CS] = 0x9800, [X86_SEG_DS] = M },
	  .mem = { { 0x197ff, 0x89, 1 }, { 0x9800, 0x07, 1 } },
	  .acc = { MW(M, 2, 0) }, .rip_abs = 1, .rip_out = 1 },
	/* Found by the fuzzer: fetches stop at the page end and at 15. */
	{ "fetch from MMIO: one read of 15 bytes", I(0x89, 0x03), .fetch = 1,
	  .code_gpa = 0x20000, .rip = M + 0x10,
	  .mem = { { M + 0x10, 0x0389, 2 } }, .gpr = { [X86_RBX] = M + 4 },
	  .acc = { MR(M + 0x10, 15, 0x0389), MW(M + 4, 4, 0) } },
	{ "fetch from MMIO: one read up to the page end", I(0x89, 0x03),
	  .fetch = 1, .code_gpa = 0x20000, .rip = M + 0xffa,
	  .mem = { { M + 0xffa, 0x0389, 2 } }, .gpr = { [X86_RBX] = M + 4 },
	  .acc = { MR(M + 0xffa, 6, 0x0389), MW(M + 4, 4, 0) } },
	{ "32: fetch at CS base + EIP", .mode = FK_M32, I(0x89, 0x03),
	  .fetch = 1, .rip = 0x1000, .code_gpa = 0x9000,
	  .seg = { [X86_SEG_CS] = 0x8000 }, .gpr = { [X86_RBX] = M + 4 },
	  .acc = { MW(M + 4, 4, 0) } },
};

static void test_straddle_and_fetch(void **state)
{
	FK_RUN(straddle_cases);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_translate),
		cmocka_unit_test(test_translate_args),
		cmocka_unit_test(test_straddle_and_fetch),
	};

	return cmocka_run_group_tests_name("x86_emu_walk", tests, NULL, NULL);
}
