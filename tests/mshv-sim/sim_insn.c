// SPDX-License-Identifier: Apache-2.0
/*
 * sim_insn.c - the simulator's own small decoder for the instructions
 * that write MMIO or a port first (pure, unit-tested).
 *
 * KVM completes reads on the next KVM_RUN, but it *retires* a write
 * before exiting: its emulator writes the registers back and advances RIP
 * (or, for an unfinished REP iteration, steps RCX/RSI/RDI and leaves RIP)
 * and only the device access is left for userspace.  MSHV instead
 * reports the access with the VP still at the instruction.  To present
 * that state the simulator locates the retired instruction (sim_write.c:
 * it ends at KVM's RIP, or starts there for an unfinished REP) and undoes
 * its register effects, which this file computes.  Covered: MOV r/imm to
 * memory (88, 89, C6, C7, A2, A3), STOS, MOVS, OUT imm8/DX, OUTS, with
 * the 66/67/REP/LOCK/segment/REX prefixes and 16/32/64-bit addressing
 * (ModRM, SIB, disp, RIP-relative).  It is independent of the plugin's
 * emulator on purpose: it must not hide that emulator's mistakes.
 */
#define LOG_MOD "mshv-sim"

#include <errno.h>
#include <string.h>

#include "tests/mshv-sim/sim.h"

#define SIM_MAX_INSN 15u
#define SIM_RFLAGS_DF (1ull << 10)
#define SIM_EFER_LMA (1ull << 10)
#define SIM_CR0_PE (1ull << 0)

uint32_t sim_cpu_mode(const struct kvm_sregs *s)
{
	if ((s->efer & SIM_EFER_LMA) && s->cs.l)
		return 8;
	if ((s->cr0 & SIM_CR0_PE) && s->cs.db)
		return 4;
	return 2;
}

static int sim_seg_prefix(uint8_t b)
{
	switch (b) {
	case 0x26:
		return SIM_SEG_ES;
	case 0x2e:
		return SIM_SEG_CS;
	case 0x36:
		return SIM_SEG_SS;
	case 0x3e:
		return SIM_SEG_DS;
	case 0x64:
		return SIM_SEG_FS;
	case 0x65:
		return SIM_SEG_GS;
	default:
		return -1;
	}
}

static int64_t sim_sext(uint64_t v, uint32_t bytes)
{
	uint32_t sh = 64 - 8 * bytes;

	return (int64_t)(v << sh) >> sh;
}

/* Little-endian immediate of `bytes` at b[*i], bounded by n. */
static int sim_fetch(const uint8_t *b, uint32_t n, uint32_t *i, uint32_t bytes,
		     uint64_t *v)
{
	uint32_t k;

	if (*i + bytes > n)
		return -EINVAL;
	*v = 0;
	for (k = 0; k < bytes; k++)
		*v |= (uint64_t)b[*i + k] << (8 * k);
	*i += bytes;
	return 0;
}

/* 16-bit ModRM: base and index registers of each r/m (BX 3, BP 5,
 * SI 6, DI 7); 0xff for none. */
static const uint8_t sim_rm16[8][2] = {
	{ 3, 6 },    { 3, 7 },	  { 5, 6 },    { 5, 7 },
	{ 6, 0xff }, { 7, 0xff }, { 5, 0xff }, { 3, 0xff },
};

static int sim_modrm16(const uint8_t *b, uint32_t n, uint32_t *i, uint8_t mod,
		       uint8_t rm, struct sim_winsn *w)
{
	uint64_t d = 0;

	if (mod == 0 && rm == 6) {
		mod = 2; /* disp16 alone */
	} else {
		w->base = sim_rm16[rm][0];
		w->has_base = true;
		w->index = sim_rm16[rm][1];
		w->has_index = w->index != 0xff;
	}
	if (mod == 1 && sim_fetch(b, n, i, 1, &d))
		return -EINVAL;
	if (mod == 2 && sim_fetch(b, n, i, 2, &d))
		return -EINVAL;
	w->disp = mod == 1 ? sim_sext(d, 1) : (int64_t)d;
	return 0;
}

/* ModRM (+SIB, displacement) of a memory operand. */
static int sim_modrm(const uint8_t *b, uint32_t n, uint32_t *i, uint32_t mode,
		     struct sim_winsn *w)
{
	uint8_t m, sib, mod, rm;
	uint64_t d;

	if (*i >= n)
		return -EINVAL;
	m = b[(*i)++];
	mod = m >> 6;
	rm = m & 7;
	w->reg = (uint8_t)(((m >> 3) & 7) | ((w->rex & 4) << 1));
	if (mod == 3)
		return -EINVAL; /* a register destination */
	if (w->asize == 2)
		return sim_modrm16(b, n, i, mod, rm, w);
	if (rm == 4) {
		if (*i >= n)
			return -EINVAL;
		sib = b[(*i)++];
		w->scale = sib >> 6;
		w->index = (uint8_t)(((sib >> 3) & 7) | ((w->rex & 2) << 2));
		w->has_index = w->index != 4;
		w->base = (uint8_t)((sib & 7) | ((w->rex & 1) << 3));
		w->has_base = !((sib & 7) == 5 && mod == 0);
		if (!w->has_base)
			mod = 2; /* disp32 follows */
	} else if (rm == 5 && mod == 0) {
		w->riprel = mode == 8;
		mod = 2;
	} else {
		w->base = (uint8_t)(rm | ((w->rex & 1) << 3));
		w->has_base = true;
	}
	if (mod == 1) {
		if (sim_fetch(b, n, i, 1, &d))
			return -EINVAL;
		w->disp = sim_sext(d, 1);
	} else if (mod == 2) {
		if (sim_fetch(b, n, i, 4, &d))
			return -EINVAL;
		w->disp = sim_sext(d, 4);
	}
	return 0;
}

static int sim_decode_op(const uint8_t *b, uint32_t n, uint32_t *i,
			 uint32_t mode, uint32_t osize, struct sim_winsn *w)
{
	uint8_t op = b[(*i)++];
	uint32_t io = osize == 2 ? 2 : 4; /* OUT: REX.W changes nothing */
	uint64_t v;

	w->op = op;
	switch (op) {
	case 0x88:
	case 0x89:
		w->kind = SIM_W_MOV_RM;
		w->size = op & 1 ? osize : 1;
		return sim_modrm(b, n, i, mode, w);
	case 0xc6:
	case 0xc7:
		w->kind = SIM_W_MOV_IMM;
		w->size = op & 1 ? osize : 1;
		if (*i >= n || (b[*i] & 0x38))
			return -EINVAL; /* only /0 is MOV */
		if (sim_modrm(b, n, i, mode, w))
			return -EINVAL;
		if (sim_fetch(b, n, i, w->size > 4 ? 4 : w->size, &v))
			return -EINVAL;
		w->imm = w->size == 8 ? (uint64_t)sim_sext(v, 4) : v;
		return 0;
	case 0xa2:
	case 0xa3:
		w->kind = SIM_W_MOV_MOFFS;
		w->size = op & 1 ? osize : 1;
		if (sim_fetch(b, n, i, w->asize, &v))
			return -EINVAL;
		w->disp = (int64_t)v;
		return 0;
	case 0xaa:
	case 0xab:
		w->kind = SIM_W_STOS;
		w->size = op & 1 ? osize : 1;
		return 0;
	case 0xa4:
	case 0xa5:
		w->kind = SIM_W_MOVS;
		w->size = op & 1 ? osize : 1;
		return 0;
	case 0xe6:
	case 0xe7:
		w->kind = SIM_W_OUT_IMM;
		w->size = op & 1 ? io : 1;
		return sim_fetch(b, n, i, 1, &w->imm);
	case 0xee:
	case 0xef:
		w->kind = SIM_W_OUT_DX;
		w->size = op & 1 ? io : 1;
		return 0;
	case 0x6e:
	case 0x6f:
		w->kind = SIM_W_OUTS;
		w->size = op & 1 ? io : 1;
		return 0;
	default:
		return -EINVAL;
	}
}

int sim_decode_write(const uint8_t *b, uint32_t n, uint32_t mode,
		     struct sim_winsn *w)
{
	bool opsz = false, adsz = false;
	uint32_t i, osize;
	int seg, ret;

	memset(w, 0, sizeof(*w));
	w->seg = -1;
	if (n > SIM_MAX_INSN)
		n = SIM_MAX_INSN;
	for (i = 0; i < n; i++) {
		seg = sim_seg_prefix(b[i]);
		if (seg >= 0)
			w->seg = seg;
		else if (b[i] == 0x66)
			opsz = true;
		else if (b[i] == 0x67)
			adsz = true;
		else if (b[i] == 0xf2 || b[i] == 0xf3)
			w->rep = true;
		else if (b[i] != 0xf0)
			break;
	}
	if (i < n && mode == 8 && (b[i] & 0xf0) == 0x40)
		w->rex = b[i++];
	if (i >= n)
		return -EINVAL;
	if (mode == 8)
		w->asize = adsz ? 4 : 8;
	else if (mode == 4)
		w->asize = adsz ? 2 : 4;
	else
		w->asize = adsz ? 4 : 2;
	if (w->rex & 8)
		osize = 8;
	else if (mode == 2)
		osize = opsz ? 4 : 2;
	else
		osize = opsz ? 2 : 4;
	ret = sim_decode_op(b, n, &i, mode, osize, w);
	if (ret)
		return ret;
	w->len = i;
	return 0;
}

static uint64_t sim_amask(uint32_t asize)
{
	return asize == 8 ? ~0ull : asize == 4 ? 0xffffffffull : 0xffffull;
}

/* KVM's emulator steps index registers inside the address-size mask and
 * keeps the bits above it. */
static uint64_t sim_masked_add(uint64_t reg, int64_t d, uint32_t asize)
{
	uint64_t m = sim_amask(asize);

	return (reg & ~m) | ((reg + (uint64_t)d) & m);
}

static __u64 *sim_gpr_n(struct kvm_regs *r, uint32_t n)
{
	__u64 *g[16] = { &r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp,
			 &r->rsi, &r->rdi, &r->r8,  &r->r9,  &r->r10, &r->r11,
			 &r->r12, &r->r13, &r->r14, &r->r15 };

	return g[n & 15];
}

bool sim_write_is_string(const struct sim_winsn *w)
{
	return w->kind == SIM_W_STOS || w->kind == SIM_W_MOVS ||
	       w->kind == SIM_W_OUTS;
}

bool sim_write_unfinished(const struct sim_winsn *w,
			  const struct kvm_regs *post)
{
	return w->rep && sim_write_is_string(w) &&
	       (post->rcx & sim_amask(w->asize));
}

void sim_write_pre(const struct sim_winsn *w, const struct kvm_regs *post,
		   struct kvm_regs *pre, uint64_t start_rip)
{
	int64_t step = (int64_t)w->size;

	*pre = *post;
	pre->rip = start_rip;
	if (!sim_write_is_string(w))
		return;
	if (post->rflags & SIM_RFLAGS_DF)
		step = -step;
	if (w->kind != SIM_W_OUTS)
		pre->rdi = sim_masked_add(post->rdi, -step, w->asize);
	if (w->kind != SIM_W_STOS)
		pre->rsi = sim_masked_add(post->rsi, -step, w->asize);
	if (w->rep)
		pre->rcx = sim_masked_add(post->rcx, 1, w->asize);
}

static const struct kvm_segment *sim_segment(const struct kvm_sregs *s, int seg)
{
	const struct kvm_segment *t[SIM_SEG_NR] = { &s->es, &s->cs, &s->ss,
						    &s->ds, &s->fs, &s->gs };

	return t[seg];
}

uint64_t sim_write_lin(const struct sim_winsn *w, const struct kvm_regs *pre,
		       const struct kvm_sregs *s, uint32_t mode,
		       uint64_t next_rip)
{
	struct kvm_regs r = *pre;
	int seg = w->seg >= 0 ? w->seg : SIM_SEG_DS;
	uint64_t ea = 0, lin;

	switch (w->kind) {
	case SIM_W_MOV_RM:
	case SIM_W_MOV_IMM:
		if (w->riprel)
			ea = next_rip;
		if (w->has_base)
			ea += *sim_gpr_n(&r, w->base);
		if (w->has_index)
			ea += *sim_gpr_n(&r, w->index) << w->scale;
		ea += (uint64_t)w->disp;
		if (w->seg < 0 && w->has_base &&
		    ((w->base & 7) == 4 || (w->base & 7) == 5))
			seg = SIM_SEG_SS;
		break;
	case SIM_W_MOV_MOFFS:
		ea = (uint64_t)w->disp;
		break;
	default: /* STOS, MOVS: the destination is always ES:rDI */
		ea = r.rdi;
		seg = SIM_SEG_ES;
		break;
	}
	ea &= sim_amask(w->asize);
	if (mode == 8) {
		lin = ea;
		if (seg == SIM_SEG_FS || seg == SIM_SEG_GS)
			lin += sim_segment(s, seg)->base;
		return lin;
	}
	lin = sim_segment(s, seg)->base + ea;
	return lin & 0xffffffffull;
}

bool sim_write_value(const struct sim_winsn *w, const struct kvm_regs *pre,
		     uint64_t *val)
{
	struct kvm_regs r = *pre;
	uint32_t reg = 0;

	switch (w->kind) {
	case SIM_W_MOV_IMM:
		*val = w->imm;
		return true;
	case SIM_W_MOV_RM:
		reg = w->reg;
		/* AH, CH, DH, BH without REX. */
		if (w->size == 1 && !w->rex && reg >= 4 && reg < 8) {
			*val = (*sim_gpr_n(&r, reg - 4) >> 8) & 0xff;
			return true;
		}
		break;
	case SIM_W_MOV_MOFFS:
	case SIM_W_STOS:
	case SIM_W_OUT_IMM:
	case SIM_W_OUT_DX:
		break; /* the accumulator */
	default:
		return false; /* MOVS, OUTS: from memory */
	}
	*val = *sim_gpr_n(&r, reg);
	return true;
}

uint16_t sim_write_port(const struct sim_winsn *w, const struct kvm_regs *pre)
{
	return w->kind == SIM_W_OUT_IMM ? (uint16_t)w->imm : (uint16_t)pre->rdx;
}
