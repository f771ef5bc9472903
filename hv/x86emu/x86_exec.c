// SPDX-License-Identifier: Apache-2.0
/*
 * x86_exec.c - execution half of the x86 instruction emulator and its
 * entry point x86_emu_step: register and memory operands, arithmetic
 * flags, MOV/MOVZX/MOVSX/XCHG/ALU/TEST, string MOVS/STOS/INS/OUTS with
 * REP, and IN/OUT.  Memory operands are translated (both pages when an
 * access straddles a page boundary) before any access is made, and
 * registers, flags and RIP are written only after every access
 * succeeded, so a fault leaves the vCPU state as it was (string
 * instructions keep the iterations completed before the fault).
 */
#include <errno.h>
#include <string.h>

#include "hv/x86emu/x86_emu_priv.h"

/* A memory operand translated to at most two guest-physical pieces. */
struct xlat {
	uint64_t gpa[2];
	uint32_t len[2];
	unsigned int n;
};

static int cb_rc(int rc)
{
	return rc > 0 ? -EIO : rc;
}

static int mem_xlat(struct x86_emu *e, unsigned int seg, uint64_t off,
		    uint32_t len, unsigned int acc, struct xlat *x)
{
	uint32_t first;
	uint64_t la;
	int rc;

	rc = x86_emu_linear(e, seg, off, len, &la);
	if (rc)
		return rc;
	first = X86_PAGE_SIZE - (uint32_t)(la & (X86_PAGE_SIZE - 1));
	x->n = first < len ? 2 : 1;
	x->len[0] = x->n == 2 ? first : len;
	rc = x86_emu_translate(e->cpu, e->ops, e->ctx, la, acc, &x->gpa[0],
			       e->fault);
	if (rc || x->n == 1)
		return rc;
	/* The second page, wrapping like the linear address space does. */
	la += first;
	if (!e->mode64)
		la &= 0xffffffffull;
	x->len[1] = len - first;
	return x86_emu_translate(e->cpu, e->ops, e->ctx, la, acc, &x->gpa[1],
				 e->fault);
}

static int mem_read(struct x86_emu *e, const struct xlat *x, uint64_t *val)
{
	uint8_t b[8];
	int rc;

	rc = e->ops->read_phys(e->ctx, x->gpa[0], b, x->len[0]);
	if (!rc && x->n == 2)
		rc = e->ops->read_phys(e->ctx, x->gpa[1], b + x->len[0],
				       x->len[1]);
	if (rc)
		return cb_rc(rc);
	*val = x86_load_le(b, x->len[0] + (x->n == 2 ? x->len[1] : 0));
	return 0;
}

static int mem_write(struct x86_emu *e, const struct xlat *x, uint64_t val)
{
	uint8_t b[8];
	int rc;

	x86_store_le(b, val, x->len[0] + (x->n == 2 ? x->len[1] : 0));
	rc = e->ops->write_phys(e->ctx, x->gpa[0], b, x->len[0]);
	if (!rc && x->n == 2)
		rc = e->ops->write_phys(e->ctx, x->gpa[1], b + x->len[0],
					x->len[1]);
	return cb_rc(rc);
}

/* Registers: without REX, byte registers 4-7 are AH, CH, DH, BH. */
static bool is_high8(const struct x86_insn *d, unsigned int reg,
		     unsigned int size)
{
	return size == 1 && !d->rex && reg >= 4 && reg < 8;
}

static uint64_t reg_read(const struct x86_emu *e, const struct x86_insn *d,
			 unsigned int reg, unsigned int size)
{
	if (is_high8(d, reg, size))
		return (e->cpu->gpr[reg - 4] >> 8) & 0xff;
	return e->cpu->gpr[reg] & x86_size_mask(size);
}

/* 8- and 16-bit writes keep the rest; 32-bit writes zero-extend. */
static void gpr_write(uint64_t *g, unsigned int size, uint64_t v)
{
	if (size >= 4)
		*g = v & x86_size_mask(size);
	else
		*g = (*g & ~x86_size_mask(size)) | (v & x86_size_mask(size));
}

static void reg_write(struct x86_emu *e, const struct x86_insn *d,
		      unsigned int reg, unsigned int size, uint64_t v)
{
	uint64_t *g;

	if (is_high8(d, reg, size)) {
		g = &e->cpu->gpr[reg - 4];
		*g = (*g & ~0xff00ull) | ((v & 0xff) << 8);
		return;
	}
	gpr_write(&e->cpu->gpr[reg], size, v);
}

static uint64_t alu_flags(uint64_t r, uint64_t sign)
{
	uint64_t fl = 0;

	if (!r)
		fl |= X86_FL_ZF;
	if (r & sign)
		fl |= X86_FL_SF;
	if (!__builtin_parity((unsigned int)(r & 0xff)))
		fl |= X86_FL_PF;
	return fl;
}

/* One ALU operation a OP b of `size` bytes; updates the six flags. */
static uint64_t alu_exec(unsigned int op, unsigned int size, uint64_t a,
			 uint64_t b, uint64_t *rflags)
{
	uint64_t m = x86_size_mask(size), sign = 1ull << (size * 8 - 1);
	uint64_t cin = (*rflags & X86_FL_CF) ? 1 : 0, r, fl = 0;
	bool carry;

	a &= m;
	b &= m;
	switch (op) {
	case X86_ALU_ADD:
	case X86_ALU_ADC:
		if (op == X86_ALU_ADD)
			cin = 0;
		r = (a + b + cin) & m;
		carry = cin ? r <= a : r < a;
		if ((a ^ r) & (b ^ r) & sign)
			fl |= X86_FL_OF;
		fl |= (a ^ b ^ r) & X86_FL_AF;
		break;
	case X86_ALU_SUB:
	case X86_ALU_SBB:
	case X86_ALU_CMP:
		if (op != X86_ALU_SBB)
			cin = 0;
		r = (a - b - cin) & m;
		carry = cin ? a <= b : a < b;
		if ((a ^ b) & (a ^ r) & sign)
			fl |= X86_FL_OF;
		fl |= (a ^ b ^ r) & X86_FL_AF;
		break;
	case X86_ALU_OR:
		r = a | b;
		carry = false;
		break;
	case X86_ALU_XOR:
		r = a ^ b;
		carry = false;
		break;
	default: /* AND, TEST */
		r = a & b;
		carry = false;
		break;
	}
	if (carry)
		fl |= X86_FL_CF;
	fl |= alu_flags(r, sign);
	*rflags = (*rflags & ~X86_FL_ARITH) | fl;
	return r;
}

/* Load the r/m operand; a memory operand is translated for `acc`. */
static int rm_load(struct x86_emu *e, const struct x86_insn *d,
		   unsigned int size, unsigned int acc, struct xlat *x,
		   uint64_t *val)
{
	int rc;

	if (!d->mem) {
		*val = reg_read(e, d, d->rm, size);
		return 0;
	}
	rc = mem_xlat(e, d->seg, d->ea, size, acc, x);
	if (rc)
		return rc;
	return mem_read(e, x, val);
}

static int exec_mov(struct x86_emu *e, const struct x86_insn *d)
{
	unsigned int size = d->opsize;
	struct xlat x;
	uint64_t v;
	int rc;

	if (d->reg_is_dst) {
		rc = rm_load(e, d, size, 0, &x, &v);
		if (!rc)
			reg_write(e, d, d->reg, size, v);
		return rc;
	}
	v = d->has_imm ? d->imm : reg_read(e, d, d->reg, size);
	if (!d->mem) {
		reg_write(e, d, d->rm, size, v);
		return 0;
	}
	rc = mem_xlat(e, d->seg, d->ea, size, X86_EMU_ACC_WRITE, &x);
	return rc ? rc : mem_write(e, &x, v);
}

static int exec_movx(struct x86_emu *e, const struct x86_insn *d)
{
	unsigned int ss = d->srcsize;
	struct xlat x;
	uint64_t v;
	int rc;

	rc = rm_load(e, d, ss, 0, &x, &v);
	if (rc)
		return rc;
	if (d->kind == X86K_MOVSX && (v >> (ss * 8 - 1)) & 1)
		v |= ~x86_size_mask(ss);
	reg_write(e, d, d->reg, d->opsize, v);
	return 0;
}

static int exec_xchg(struct x86_emu *e, const struct x86_insn *d)
{
	unsigned int size = d->opsize;
	uint64_t r = reg_read(e, d, d->reg, size), old;
	struct xlat x;
	int rc;

	rc = rm_load(e, d, size, X86_EMU_ACC_WRITE, &x, &old);
	if (rc)
		return rc;
	if (d->mem) {
		rc = mem_write(e, &x, r);
		if (rc)
			return rc;
	} else {
		reg_write(e, d, d->rm, size, r);
	}
	reg_write(e, d, d->reg, size, old);
	return 0;
}

/* ALU, GRP1 and TEST: dst OP src, written back unless CMP/TEST. */
static int exec_alu(struct x86_emu *e, const struct x86_insn *d)
{
	unsigned int size = d->opsize, op = d->alu_op;
	bool wb = op != X86_ALU_CMP && op != X86_ALU_TEST;
	uint64_t a = 0, b = 0, r, fl = e->cpu->rflags;
	bool rm_dst = d->has_imm || !d->reg_is_dst;
	struct xlat x;
	int rc;

	rc = rm_load(e, d, size, rm_dst && wb ? X86_EMU_ACC_WRITE : 0, &x,
		     rm_dst ? &a : &b);
	if (rc)
		return rc;
	if (d->has_imm)
		b = d->imm;
	else if (rm_dst)
		b = reg_read(e, d, d->reg, size);
	else
		a = reg_read(e, d, d->reg, size);
	r = alu_exec(op, size, a, b, &fl);
	if (wb) {
		if (rm_dst && d->mem) {
			rc = mem_write(e, &x, r);
			if (rc)
				return rc;
		} else {
			reg_write(e, d, rm_dst ? d->rm : d->reg, size, r);
		}
	}
	e->cpu->rflags = fl;
	return 0;
}

static int port_io(struct x86_emu *e, uint16_t port, uint64_t *val,
		   unsigned int size, int write)
{
	uint8_t b[4] = { 0 };
	int rc;

	if (write)
		x86_store_le(b, *val, size);
	rc = e->ops->pio(e->ctx, port, b, size, write);
	if (rc)
		return cb_rc(rc);
	if (!write)
		*val = x86_load_le(b, size);
	return 0;
}

static int exec_inout(struct x86_emu *e, const struct x86_insn *d)
{
	uint16_t port = d->imm_port ? (uint16_t)d->imm :
				      (uint16_t)e->cpu->gpr[X86_RDX];
	unsigned int size = d->opsize;
	uint64_t v = 0;
	int rc;

	if (d->kind == X86K_OUT) {
		v = e->cpu->gpr[X86_RAX] & x86_size_mask(size);
		return port_io(e, port, &v, size, 1);
	}
	rc = port_io(e, port, &v, size, 0);
	if (!rc)
		gpr_write(&e->cpu->gpr[X86_RAX], size, v);
	return rc;
}

/* One element of a string instruction at the current RSI/RDI. */
static int string_one(struct x86_emu *e, const struct x86_insn *d)
{
	uint64_t amask = x86_size_mask(d->adsize), v = 0;
	const uint64_t *g = e->cpu->gpr;
	uint16_t port = (uint16_t)g[X86_RDX];
	unsigned int size = d->opsize;
	struct xlat src, dst;
	int rc;

	/* Both operands are checked before the first access is made. */
	if (d->kind == X86K_MOVS || d->kind == X86K_OUTS) {
		rc = mem_xlat(e, d->seg, g[X86_RSI] & amask, size, 0, &src);
		if (rc)
			return rc;
	}
	if (d->kind != X86K_OUTS) {
		rc = mem_xlat(e, X86_SEG_ES, g[X86_RDI] & amask, size,
			      X86_EMU_ACC_WRITE, &dst);
		if (rc)
			return rc;
	}
	switch (d->kind) {
	case X86K_MOVS:
		rc = mem_read(e, &src, &v);
		break;
	case X86K_STOS:
		v = g[X86_RAX];
		rc = 0;
		break;
	case X86K_INS:
		rc = port_io(e, port, &v, size, 0);
		break;
	default: /* OUTS */
		rc = mem_read(e, &src, &v);
		return rc ? rc : port_io(e, port, &v, size, 1);
	}
	return rc ? rc : mem_write(e, &dst, v);
}

/*
 * MOVS/STOS/INS/OUTS, REP or not.  Returns 1 when the REP budget ran out
 * with RCX still non-zero (RIP must stay), 0 when done.
 */
static int exec_string(struct x86_emu *e, const struct x86_insn *d)
{
	struct x86_emu_cpu *cpu = e->cpu;
	uint64_t amask = x86_size_mask(d->adsize), step = d->opsize, cnt;
	bool src = d->kind == X86K_MOVS || d->kind == X86K_OUTS;
	bool dst = d->kind != X86K_OUTS;
	unsigned int i;
	int rc;

	if (cpu->rflags & X86_FL_DF)
		step = -step;
	for (i = 0;; i++) {
		cnt = cpu->gpr[X86_RCX] & amask;
		if (d->rep && !cnt)
			return 0;
		if (d->rep && i == X86_EMU_REP_BUDGET)
			return 1;
		rc = string_one(e, d);
		if (rc)
			return rc;
		/* Index and count registers wrap at the address size. */
		if (src)
			gpr_write(&cpu->gpr[X86_RSI], d->adsize,
				  cpu->gpr[X86_RSI] + step);
		if (dst)
			gpr_write(&cpu->gpr[X86_RDI], d->adsize,
				  cpu->gpr[X86_RDI] + step);
		if (!d->rep)
			return 0;
		gpr_write(&cpu->gpr[X86_RCX], d->adsize, cnt - 1);
	}
}

static int exec_insn(struct x86_emu *e, const struct x86_insn *d)
{
	switch (d->kind) {
	case X86K_MOV:
		return exec_mov(e, d);
	case X86K_MOVZX:
	case X86K_MOVSX:
		return exec_movx(e, d);
	case X86K_XCHG:
		return exec_xchg(e, d);
	case X86K_ALU:
	case X86K_GRP1:
	case X86K_TEST:
		return exec_alu(e, d);
	case X86K_IN:
	case X86K_OUT:
		return e->ops->pio ? exec_inout(e, d) : -EOPNOTSUPP;
	case X86K_INS:
	case X86K_OUTS:
		if (!e->ops->pio)
			return -EOPNOTSUPP;
		return exec_string(e, d);
	case X86K_MOVS:
	case X86K_STOS:
		return exec_string(e, d);
	default:
		return -EOPNOTSUPP;
	}
}

int x86_emu_step(struct x86_emu_cpu *cpu, const uint8_t *insn, size_t insn_len,
		 const struct x86_emu_ops *ops, void *ctx,
		 struct x86_emu_fault *fault)
{
	struct x86_emu_fault dummy;
	struct x86_emu e = {
		.cpu = cpu,
		.ops = ops,
		.ctx = ctx,
		.fault = fault ? fault : &dummy,
	};
	struct x86_insn d;
	uint64_t ipmask;
	int rc;

	if (!cpu || !ops || !ops->read_phys || !ops->write_phys ||
	    (!insn && insn_len))
		return -EINVAL;
	memset(e.fault, 0, sizeof(*e.fault));
	e.mode64 = (cpu->efer & X86_EFER_LMA) && cpu->cs_l;
	rc = x86_emu_decode(&e, insn, insn_len, &d);
	if (rc)
		return rc;
	rc = exec_insn(&e, &d);
	if (rc == 1) /* REP budget spent: re-execute */
		return 0;
	if (rc)
		return rc;
	ipmask = e.mode64 ? ~0ull : (cpu->cs_db ? 0xffffffffull : 0xffffull);
	cpu->rip = (cpu->rip + d.len) & ipmask;
	return 0;
}
