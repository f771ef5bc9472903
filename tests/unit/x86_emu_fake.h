/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86_emu_fake.h - fake guest for the x86 instruction emulator tests
 * (test_x86_emu*.c): 1 MiB of "RAM" at GPA 0, a 64 KiB "MMIO" window at
 * FK_MMIO whose reads return its backing bytes and whose accesses are
 * logged in order together with port I/O, a page-table builder working in
 * the fake RAM, and helpers to set up a vCPU in real, 32-bit or 64-bit
 * mode.  Callbacks also count contract violations (bad lengths) and can
 * fail the n-th call.  Test-only, single-threaded; helpers assert.
 */
#ifndef NIMBUS_TESTS_UNIT_X86_EMU_FAKE_H
#define NIMBUS_TESTS_UNIT_X86_EMU_FAKE_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/x86emu/x86_emu.h"

#define FK_RAM_SIZE 0x100000ull
#define FK_MMIO 0xfe000000ull
#define FK_MMIO_SIZE 0x10000ull
#define FK_CODE 0x8000ull /* default RIP (in RAM) */
#define FK_PML4 0x1000ull /* identity map of the low 4 GiB, 1 GiB pages */
#define FK_PT_POOL 0x20000ull /* page tables built by fk_map() */
#define FK_LOG_MAX 64

#define PG_P 0x1ull
#define PG_RW 0x2ull
#define PG_US 0x4ull
#define PG_PS 0x80ull
#define PG_XD (1ull << 63)

#define CR0_PE 0x1ull
#define CR0_WP (1ull << 16)
#define CR0_PG (1ull << 31)
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define CR4_LA57 (1ull << 12)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)
#define FL_CF 0x1ull
#define FL_PF 0x4ull
#define FL_AF 0x10ull
#define FL_ZF 0x40ull
#define FL_SF 0x80ull
#define FL_DF 0x400ull
#define FL_OF 0x800ull
#define FL_AC (1ull << 18)
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

enum fk_space { FK_SP_MMIO = 1, FK_SP_PIO };
enum fk_mode { FK_M64 = 0, FK_M32, FK_M16 };

/* One logged MMIO or port access (data: little-endian value). */
struct fk_acc {
	uint8_t space; /* enum fk_space */
	uint8_t write;
	uint32_t len;
	uint64_t addr;
	uint64_t val;
};

struct fk {
	uint8_t ram[FK_RAM_SIZE];
	uint8_t mmio[FK_MMIO_SIZE];
	struct fk_acc log[FK_LOG_MAX];
	unsigned int nlog; /* all accesses, even past FK_LOG_MAX */
	unsigned int calls; /* callback invocations */
	unsigned int fail_at; /* 1-based call that fails with -EIO; 0: none */
	unsigned int violations; /* lengths outside the ops contract */
	unsigned int unmapped; /* accesses outside RAM and MMIO */
	uint8_t pio_next; /* IN data: successive byte values */
	uint64_t pt_next; /* fk_map() table allocator */
};

static inline uint64_t fk_le(const uint8_t *p, uint32_t n)
{
	uint64_t v = 0;

	while (n--)
		v = (v << 8) | p[n];
	return v;
}

static inline void fk_log(struct fk *fk, uint8_t space, int write,
			  uint64_t addr, const uint8_t *p, uint32_t len)
{
	struct fk_acc *a;

	if (fk->nlog < FK_LOG_MAX) {
		a = &fk->log[fk->nlog];
		a->space = space;
		a->write = (uint8_t)write;
		a->addr = addr;
		a->len = len;
		a->val = fk_le(p, len > 8 ? 8 : len);
	}
	fk->nlog++;
}

/* Shared checks of both phys callbacks; returns the backing bytes. */
static inline uint8_t *fk_phys(struct fk *fk, uint64_t gpa, uint32_t len,
			       int *rc, int *is_mmio)
{
	fk->calls++;
	*rc = 0;
	*is_mmio = 0;
	if (!len || len > 4096 || (len > 8 && (gpa & 0xfff) + len > 4096))
		fk->violations++;
	if (fk->fail_at && fk->calls == fk->fail_at) {
		*rc = -EIO;
		return NULL;
	}
	if (gpa < FK_RAM_SIZE && len <= FK_RAM_SIZE - gpa)
		return fk->ram + gpa;
	if (gpa >= FK_MMIO && gpa - FK_MMIO < FK_MMIO_SIZE &&
	    len <= FK_MMIO_SIZE - (gpa - FK_MMIO) && len <= 16) {
		*is_mmio = 1;
		return fk->mmio + (gpa - FK_MMIO);
	}
	fk->unmapped++;
	*rc = -ENXIO;
	return NULL;
}

static inline int fk_read(void *ctx, uint64_t gpa, void *buf, uint32_t len)
{
	struct fk *fk = ctx;
	int rc, mmio;
	uint8_t *p = fk_phys(fk, gpa, len, &rc, &mmio);

	if (!p)
		return rc;
	memcpy(buf, p, len);
	if (mmio)
		fk_log(fk, FK_SP_MMIO, 0, gpa, p, len);
	return 0;
}

static inline int fk_write(void *ctx, uint64_t gpa, const void *buf,
			   uint32_t len)
{
	struct fk *fk = ctx;
	int rc, mmio;
	uint8_t *p = fk_phys(fk, gpa, len, &rc, &mmio);

	if (!p)
		return rc;
	memcpy(p, buf, len);
	if (mmio)
		fk_log(fk, FK_SP_MMIO, 1, gpa, p, len);
	return 0;
}

/* IN returns successive bytes pio_next, pio_next + 1, ... */
static inline int fk_pio(void *ctx, uint16_t port, void *data, uint32_t len,
			 int write)
{
	struct fk *fk = ctx;
	uint8_t *p = data;
	uint32_t i;

	fk->calls++;
	if (len != 1 && len != 2 && len != 4)
		fk->violations++;
	if (fk->fail_at && fk->calls == fk->fail_at)
		return -EIO;
	if (!write)
		for (i = 0; i < len && i < 4; i++)
			p[i] = fk->pio_next++;
	fk_log(fk, FK_SP_PIO, write, port, p, len > 4 ? 4 : len);
	return 0;
}

static const struct x86_emu_ops fk_ops = {
	.read_phys = fk_read,
	.write_phys = fk_write,
	.pio = fk_pio,
};

/* Store a little-endian value of len bytes in RAM or MMIO backing. */
static inline void fk_put(struct fk *fk, uint64_t gpa, uint64_t v,
			  unsigned int len)
{
	uint8_t *p;
	unsigned int i;

	if (gpa >= FK_MMIO)
		p = fk->mmio + (gpa - FK_MMIO);
	else
		p = fk->ram + gpa;
	for (i = 0; i < len; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

static inline uint64_t fk_get(struct fk *fk, uint64_t gpa, unsigned int len)
{
	if (gpa >= FK_MMIO)
		return fk_le(fk->mmio + (gpa - FK_MMIO), len);
	return fk_le(fk->ram + gpa, len);
}

static inline struct fk *fk_new(void)
{
	struct fk *fk = calloc(1, sizeof(*fk));
	uint64_t i;

	if (!fk)
		return NULL;
	/* PML4[0] -> PDPT at 0x2000 with four 1 GiB identity pages. */
	fk_put(fk, FK_PML4, 0x2000 | PG_P | PG_RW | PG_US, 8);
	for (i = 0; i < 4; i++)
		fk_put(fk, 0x2000 + i * 8,
		       (i << 30) | PG_P | PG_RW | PG_US | PG_PS, 8);
	fk->pt_next = FK_PT_POOL;
	return fk;
}

/* vCPU in 64-bit long mode (identity paging), flat 32-bit or real mode. */
static inline void fk_cpu_init(struct x86_emu_cpu *cpu, int mode)
{
	memset(cpu, 0, sizeof(*cpu));
	cpu->rip = FK_CODE;
	cpu->rflags = 0x2;
	switch (mode) {
	case FK_M64:
		cpu->cr0 = CR0_PE | CR0_PG | CR0_WP;
		cpu->cr3 = FK_PML4;
		cpu->cr4 = CR4_PAE;
		cpu->efer = EFER_LME | EFER_LMA | EFER_NXE;
		cpu->cs_l = 1;
		break;
	case FK_M32:
		cpu->cr0 = CR0_PE;
		cpu->cs_db = 1;
		break;
	default:
		break;
	}
}

/* A zeroed 4 KiB table from the pool. */
static inline uint64_t fk_alloc_table(struct fk *fk)
{
	uint64_t t = fk->pt_next;

	fk->pt_next += 0x1000;
	memset(fk->ram + t, 0, 0x1000);
	return t;
}

/*
 * Map gva -> gpa with a leaf of `page` bytes (4K, 2M, 1G) under the
 * PAE-format root `root` with `levels` (4 or 5; 2 for a PAE page
 * directory), creating missing tables with P|RW|US.  `leaf` holds the
 * leaf's flag bits (PS is added for large pages).  ent[] receives the
 * GPA of the entry used at each level (ent[0]: the leaf table's level).
 */
static inline void fk_map(struct fk *fk, uint64_t root, int levels,
			  uint64_t gva, uint64_t gpa, uint64_t page,
			  uint64_t leaf, uint64_t ent[5])
{
	int leaf_level = page == 0x40000000ull ? 2 : (page == 0x200000 ? 1 : 0);
	uint64_t table = root, e;
	int lv;

	for (lv = levels - 1; lv >= 0; lv--) {
		uint64_t a = table + ((gva >> (12 + 9 * lv)) & 511) * 8;

		if (ent)
			ent[lv] = a;
		if (lv == leaf_level) {
			fk_put(fk, a, gpa | leaf | (leaf_level ? PG_PS : 0), 8);
			return;
		}
		e = fk_get(fk, a, 8);
		if (!(e & PG_P)) {
			e = fk_alloc_table(fk) | PG_P | PG_RW | PG_US;
			fk_put(fk, a, e, 8);
		}
		table = e & 0x000ffffffffff000ull;
	}
}

/*
 * Table-driven instruction cases (the including file includes cmocka.h
 * first).  A case gives the bytes, mode and initial state; the runner
 * checks rc, every GPR (those not in `chg` must be unchanged), RIP,
 * RFLAGS under `flmask` (other bits unchanged), the exact ordered list
 * of MMIO/port accesses, memory contents after, and the fault.
 */
struct emem {
	uint64_t gpa;
	uint64_t val;
	uint8_t len; /* 0 ends the list */
};

struct ecase {
	const char *name;
	uint8_t mode; /* enum fk_mode */
	uint8_t n; /* instruction bytes given */
	uint8_t insn[16];
	int rc;
	uint64_t gpr[16];
	uint64_t seg[X86_SEG_NR];
	uint64_t fl; /* RFLAGS bits set before */
	uint64_t rip; /* 0: FK_CODE */
	struct emem mem[3];
	uint32_t chg; /* bit per GPR expected to change */
	uint64_t out[16];
	uint64_t flmask, flout;
	struct fk_acc acc[5]; /* len 0 ends the list */
	struct emem want[3];
	uint8_t stay; /* RIP stays (REP budget) */
	uint8_t rip_abs; /* RIP must equal rip_out */
	uint64_t rip_out;
	uint8_t vec; /* -EFAULT: vector, error code, CR2 */
	uint32_t ec;
	uint64_t cr2;
	uint8_t cpl;
	uint8_t partial; /* `chg` applies even on error (REP progress) */
	uint8_t fetch; /* bytes also stored at code_gpa; only `give` passed */
	uint8_t give;
	uint64_t code_gpa; /* 0: FK_CODE */
	/* Extra set-up (page tables, control registers) before the step. */
	void (*setup)(struct fk *fk, struct x86_emu_cpu *cpu);
};

#define I(...) .insn = { __VA_ARGS__ }, .n = sizeof((uint8_t[]){ __VA_ARGS__ })
#define MR(a, l, v)                    \
	{                              \
		FK_SP_MMIO, 0, l, a, v \
	}
#define MW(a, l, v)                    \
	{                              \
		FK_SP_MMIO, 1, l, a, v \
	}
#define PR(p, l, v)                   \
	{                             \
		FK_SP_PIO, 0, l, p, v \
	}
#define PW(p, l, v)                   \
	{                             \
		FK_SP_PIO, 1, l, p, v \
	}
#define G(r) (1u << X86_##r)
#define D32(v)                                                   \
	(uint8_t)(v), (uint8_t)((v) >> 8), (uint8_t)((v) >> 16), \
		(uint8_t)((v) >> 24)
#define D64(v) D32(v), D32((uint64_t)(v) >> 32)

static inline void fk_check(const char *name, const char *what, uint64_t got,
			    uint64_t want)
{
	if (got != want)
		fail_msg("case \"%s\": %s = %#llx, want %#llx", name, what,
			 (unsigned long long)got, (unsigned long long)want);
}

static inline void fk_check_log(const struct ecase *c, const struct fk *fk)
{
	unsigned int i, n = 0;

	while (n < 5 && c->acc[n].len)
		n++;
	fk_check(c->name, "access count", fk->nlog, n);
	for (i = 0; i < n; i++) {
		const struct fk_acc *g = &fk->log[i], *w = &c->acc[i];

		if (g->space != w->space || g->write != w->write ||
		    g->len != w->len || g->addr != w->addr || g->val != w->val)
			fail_msg("case \"%s\": access %u is %s %s %#llx len %u "
				 "val %#llx, want %s %s %#llx len %u val %#llx",
				 c->name, i,
				 g->space == FK_SP_PIO ? "pio" : "mmio",
				 g->write ? "write" : "read",
				 (unsigned long long)g->addr, g->len,
				 (unsigned long long)g->val,
				 w->space == FK_SP_PIO ? "pio" : "mmio",
				 w->write ? "write" : "read",
				 (unsigned long long)w->addr, w->len,
				 (unsigned long long)w->val);
	}
}

static inline void fk_run_case(const struct ecase *c)
{
	struct x86_emu_fault fault;
	struct x86_emu_cpu cpu, in;
	struct fk *fk = fk_new();
	char what[32];
	unsigned int i;
	uint64_t want;
	int rc;

	assert_non_null(fk);
	fk_cpu_init(&cpu, c->mode);
	memcpy(cpu.gpr, c->gpr, sizeof(cpu.gpr));
	memcpy(cpu.seg_base, c->seg, sizeof(cpu.seg_base));
	cpu.rflags |= c->fl;
	if (c->rip)
		cpu.rip = c->rip;
	for (i = 0; i < 3 && c->mem[i].len; i++)
		fk_put(fk, c->mem[i].gpa, c->mem[i].val, c->mem[i].len);
	fk->pio_next = 0x41;
	cpu.cpl = c->cpl;
	if (c->setup)
		c->setup(fk, &cpu);
	if (c->fetch)
		memcpy(fk->ram + (c->code_gpa ? c->code_gpa : FK_CODE), c->insn,
		       c->n);
	in = cpu;
	rc = x86_emu_step(&cpu, c->insn, c->fetch ? c->give : c->n, &fk_ops, fk,
			  &fault);
	if (rc != c->rc)
		fail_msg("case \"%s\": rc %d, want %d", c->name, rc, c->rc);
	for (i = 0; i < 16; i++) {
		want = ((!rc || c->partial) && (c->chg & (1u << i))) ?
			       c->out[i] :
			       in.gpr[i];
		snprintf(what, sizeof(what), "gpr[%u]", i);
		fk_check(c->name, what, cpu.gpr[i], want);
	}
	if (rc)
		want = in.rip;
	else if (c->rip_abs)
		want = c->rip_out;
	else
		want = c->stay ? in.rip : in.rip + c->n;
	fk_check(c->name, "rip", cpu.rip, want);
	want = rc ? in.rflags :
		    (in.rflags & ~c->flmask) | (c->flout & c->flmask);
	fk_check(c->name, "rflags", cpu.rflags, want);
	fk_check(c->name, "cr3", cpu.cr3, in.cr3);
	fk_check_log(c, fk);
	for (i = 0; i < 3 && c->want[i].len; i++)
		fk_check(c->name, "memory after",
			 fk_get(fk, c->want[i].gpa, c->want[i].len),
			 c->want[i].val);
	if (rc == -EFAULT) {
		fk_check(c->name, "vector", fault.vector, c->vec);
		fk_check(c->name, "has_error_code", fault.has_error_code, 1);
		fk_check(c->name, "error code", fault.error_code, c->ec);
		fk_check(c->name, "cr2", fault.cr2, c->cr2);
	}
	fk_check(c->name, "violations", fk->violations, 0);
	free(fk);
}

static inline void fk_run_table(const struct ecase *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fk_run_case(&t[i]);
}

#define FK_RUN(table) fk_run_table(table, sizeof(table) / sizeof(table[0]))

#endif /* NIMBUS_TESTS_UNIT_X86_EMU_FAKE_H */
