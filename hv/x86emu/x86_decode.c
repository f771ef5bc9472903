// SPDX-License-Identifier: Apache-2.0
/*
 * x86_decode.c - instruction decoder of the x86 emulator: legacy and REX
 * prefixes, the one-byte and 0F opcode tables of the covered set, ModRM/
 * SIB/displacement (16-, 32- and 64-bit addressing, RIP-relative),
 * immediates and moffs, operand and address size, and the memory
 * operand's segment and offset.  Bytes the hypervisor did not supply are
 * fetched at CS:RIP through the page walk, one page at a time and only
 * when the decoder needs them.
 */
#include <errno.h>
#include <string.h>

#include "hv/x86emu/x86_emu_priv.h"

#define F_MODRM 0x01
#define F_BYTE 0x02 /* 8-bit operands */
#define F_IMM8 0x04 /* imm8, sign-extended to the operand size */
#define F_IMMZ 0x08 /* imm16/imm32, sign-extended to the operand size */
#define F_IMMU8 0x10 /* imm8 port number */
#define F_MOFFS 0x20 /* moffs: address-size absolute offset */
#define F_REGDST 0x40 /* the register operand is the destination */
#define F_ACC 0x80 /* the register operand is AL/AX/EAX/RAX */

struct x86_opdesc {
	uint8_t kind; /* enum x86_kind */
	uint8_t flags;
};

/* clang-format off */
#define ALU_ROW(op)                                                       \
	[(op) * 8 + 0] = { X86K_ALU, F_MODRM | F_BYTE },                  \
	[(op) * 8 + 1] = { X86K_ALU, F_MODRM },                           \
	[(op) * 8 + 2] = { X86K_ALU, F_MODRM | F_BYTE | F_REGDST },       \
	[(op) * 8 + 3] = { X86K_ALU, F_MODRM | F_REGDST },                \
	[(op) * 8 + 4] = { X86K_ALU, F_BYTE | F_ACC | F_IMM8 },           \
	[(op) * 8 + 5] = { X86K_ALU, F_ACC | F_IMMZ }
/* clang-format on */

static const struct x86_opdesc x86_map0[256] = {
	ALU_ROW(X86_ALU_ADD),
	ALU_ROW(X86_ALU_OR),
	ALU_ROW(X86_ALU_ADC),
	ALU_ROW(X86_ALU_SBB),
	ALU_ROW(X86_ALU_AND),
	ALU_ROW(X86_ALU_SUB),
	ALU_ROW(X86_ALU_XOR),
	ALU_ROW(X86_ALU_CMP),
	[0x6c] = { X86K_INS, F_BYTE },
	[0x6d] = { X86K_INS, 0 },
	[0x6e] = { X86K_OUTS, F_BYTE },
	[0x6f] = { X86K_OUTS, 0 },
	[0x80] = { X86K_GRP1, F_MODRM | F_BYTE | F_IMM8 },
	[0x81] = { X86K_GRP1, F_MODRM | F_IMMZ },
	[0x83] = { X86K_GRP1, F_MODRM | F_IMM8 },
	[0x84] = { X86K_TEST, F_MODRM | F_BYTE },
	[0x85] = { X86K_TEST, F_MODRM },
	[0x86] = { X86K_XCHG, F_MODRM | F_BYTE },
	[0x87] = { X86K_XCHG, F_MODRM },
	[0x88] = { X86K_MOV, F_MODRM | F_BYTE },
	[0x89] = { X86K_MOV, F_MODRM },
	[0x8a] = { X86K_MOV, F_MODRM | F_BYTE | F_REGDST },
	[0x8b] = { X86K_MOV, F_MODRM | F_REGDST },
	[0xa0] = { X86K_MOV, F_MOFFS | F_BYTE | F_ACC | F_REGDST },
	[0xa1] = { X86K_MOV, F_MOFFS | F_ACC | F_REGDST },
	[0xa2] = { X86K_MOV, F_MOFFS | F_BYTE | F_ACC },
	[0xa3] = { X86K_MOV, F_MOFFS | F_ACC },
	[0xa4] = { X86K_MOVS, F_BYTE },
	[0xa5] = { X86K_MOVS, 0 },
	[0xa8] = { X86K_TEST, F_BYTE | F_ACC | F_IMM8 },
	[0xa9] = { X86K_TEST, F_ACC | F_IMMZ },
	[0xaa] = { X86K_STOS, F_BYTE },
	[0xab] = { X86K_STOS, 0 },
	/* Group forms: only /0 (C6/C7) and /0, /1 (F6/F7) are accepted, all
	 * of which carry the immediate listed here. */
	[0xc6] = { X86K_MOV, F_MODRM | F_BYTE | F_IMM8 },
	[0xc7] = { X86K_MOV, F_MODRM | F_IMMZ },
	[0xe4] = { X86K_IN, F_BYTE | F_IMMU8 },
	[0xe5] = { X86K_IN, F_IMMU8 },
	[0xe6] = { X86K_OUT, F_BYTE | F_IMMU8 },
	[0xe7] = { X86K_OUT, F_IMMU8 },
	[0xec] = { X86K_IN, F_BYTE },
	[0xed] = { X86K_IN, 0 },
	[0xee] = { X86K_OUT, F_BYTE },
	[0xef] = { X86K_OUT, 0 },
	[0xf6] = { X86K_TEST, F_MODRM | F_BYTE | F_IMM8 },
	[0xf7] = { X86K_TEST, F_MODRM | F_IMMZ },
};

static const struct x86_opdesc x86_map1[256] = {
	[0xb6] = { X86K_MOVZX, F_MODRM | F_REGDST },
	[0xb7] = { X86K_MOVZX, F_MODRM | F_REGDST },
	[0xbe] = { X86K_MOVSX, F_MODRM | F_REGDST },
	[0xbf] = { X86K_MOVSX, F_MODRM | F_REGDST },
};

/* The instruction byte stream. */
struct dec {
	struct x86_emu *e;
	uint8_t buf[X86_MAX_INSN_LEN];
	unsigned int avail; /* bytes in buf */
	unsigned int pos; /* bytes consumed */
	bool rip_rel; /* the ModRM operand is RIP-relative */
};

/* Fetch the next bytes at CS:RIP+avail, up to the end of their page. */
static int fetch_more(struct dec *s)
{
	struct x86_emu *e = s->e;
	const struct x86_emu_cpu *cpu = e->cpu;
	uint64_t ip = cpu->rip + s->avail, ipmask, la, gpa;
	unsigned int n = X86_MAX_INSN_LEN - s->avail;
	int rc;

	if (e->mode64) {
		la = ip;
	} else {
		ipmask = cpu->cs_db ? 0xffffffffull : 0xffffull;
		ip &= ipmask;
		/* Stop at the IP wrap; the next call starts from 0. */
		if (ipmask - ip + 1 < n)
			n = (unsigned int)(ipmask - ip + 1);
		la = (cpu->seg_base[X86_SEG_CS] + ip) & 0xffffffffull;
	}
	if (X86_PAGE_SIZE - (la & (X86_PAGE_SIZE - 1)) < n)
		n = X86_PAGE_SIZE - (unsigned int)(la & (X86_PAGE_SIZE - 1));
	rc = x86_emu_translate(cpu, e->ops, e->ctx, la, X86_EMU_ACC_FETCH, &gpa,
			       e->fault);
	if (rc)
		return rc;
	rc = e->ops->read_phys(e->ctx, gpa, s->buf + s->avail, n);
	if (rc)
		return rc < 0 ? rc : -EIO;
	s->avail += n;
	return 0;
}

static int get_u8(struct dec *s, uint8_t *b)
{
	int rc;

	if (s->pos >= X86_MAX_INSN_LEN)
		return -EINVAL;
	if (s->pos >= s->avail) {
		rc = fetch_more(s);
		if (rc)
			return rc;
	}
	*b = s->buf[s->pos++];
	return 0;
}

/* Little-endian immediate or displacement of n bytes, sign-extended. */
static int get_simm(struct dec *s, unsigned int n, uint64_t *v)
{
	uint8_t b[8];
	unsigned int i;
	int rc;

	for (i = 0; i < n; i++) {
		rc = get_u8(s, &b[i]);
		if (rc)
			return rc;
	}
	*v = x86_load_le(b, n);
	if (n < 8 && (*v >> (n * 8 - 1)) & 1)
		*v |= ~x86_size_mask(n);
	return 0;
}

/* Legacy prefixes and REX; leaves the opcode's first byte in *opc. */
static int decode_prefixes(struct dec *s, struct x86_insn *d, int *seg_ovr,
			   bool *opsz, bool *adsz, uint8_t *opc)
{
	uint8_t b;
	int rc;

	for (;;) {
		rc = get_u8(s, &b);
		if (rc)
			return rc;
		switch (b) {
		case 0xf0:
			d->lock = 1;
			break;
		case 0xf2:
		case 0xf3:
			d->rep = b;
			break;
		case 0x26:
		case 0x2e:
		case 0x36:
		case 0x3e:
			*seg_ovr = (b >> 3) & 3; /* ES, CS, SS, DS */
			break;
		case 0x64:
		case 0x65:
			*seg_ovr = b == 0x64 ? X86_SEG_FS : X86_SEG_GS;
			break;
		case 0x66:
			*opsz = true;
			break;
		case 0x67:
			*adsz = true;
			break;
		default:
			if (s->e->mode64 && (b & 0xf0) == 0x40) {
				d->rex = b;
				continue;
			}
			*opc = b;
			return 0;
		}
		/* A REX prefix counts only right before the opcode. */
		d->rex = 0;
	}
}

static const uint8_t modrm16_base[8] = {
	X86_RBX, X86_RBX, X86_RBP, X86_RBP, X86_RSI, X86_RDI, X86_RBP, X86_RBX,
};

static int decode_modrm16(struct dec *s, struct x86_insn *d, uint8_t mod,
			  uint8_t rm, uint64_t *ea, int *defseg)
{
	const uint64_t *g = s->e->cpu->gpr;
	uint64_t disp = 0;
	int rc;

	*defseg = X86_SEG_DS;
	if (mod == 0 && rm == 6) {
		rc = get_simm(s, 2, &disp);
		*ea = disp & 0xffff;
		return rc;
	}
	*ea = g[modrm16_base[rm]];
	if (rm < 4)
		*ea += g[rm & 1 ? X86_RDI : X86_RSI];
	if (rm == 2 || rm == 3 || rm == 6)
		*defseg = X86_SEG_SS;
	if (mod) {
		rc = get_simm(s, mod == 1 ? 1 : 2, &disp);
		if (rc)
			return rc;
	}
	*ea = (*ea + disp) & 0xffff;
	return 0;
}

static int decode_modrm32(struct dec *s, struct x86_insn *d, uint8_t mod,
			  uint8_t rm, uint64_t *ea, int *defseg)
{
	const uint64_t *g = s->e->cpu->gpr;
	uint8_t sib, base = rm, idx;
	uint64_t disp = 0;
	bool no_base = false;
	int rc;

	*ea = 0;
	*defseg = X86_SEG_DS;
	if (rm == 4) {
		rc = get_u8(s, &sib);
		if (rc)
			return rc;
		base = sib & 7;
		idx = ((sib >> 3) & 7) | ((d->rex & 2) << 2);
		if (idx != X86_RSP)
			*ea = g[idx] << (sib >> 6);
		no_base = base == 5 && mod == 0;
	} else if (rm == 5 && mod == 0) {
		no_base = true;
		s->rip_rel = s->e->mode64;
	}
	if (!no_base) {
		base |= (d->rex & 1) << 3;
		*ea += g[base];
		if (base == X86_RSP || base == X86_RBP)
			*defseg = X86_SEG_SS;
	}
	if (mod == 1 || mod == 2 || no_base) {
		rc = get_simm(s, mod == 1 ? 1 : 4, &disp);
		if (rc)
			return rc;
	}
	*ea += disp;
	return 0;
}

static int decode_modrm(struct dec *s, struct x86_insn *d, int seg_ovr)
{
	uint8_t m, mod, rm;
	int defseg, rc;

	rc = get_u8(s, &m);
	if (rc)
		return rc;
	mod = m >> 6;
	rm = m & 7;
	d->has_modrm = 1;
	d->reg = ((m >> 3) & 7) | ((d->rex & 4) << 1);
	if (mod == 3) {
		d->rm = rm | ((d->rex & 1) << 3);
		return 0;
	}
	d->mem = 1;
	if (d->adsize == 2)
		rc = decode_modrm16(s, d, mod, rm, &d->ea, &defseg);
	else
		rc = decode_modrm32(s, d, mod, rm, &d->ea, &defseg);
	d->seg = seg_ovr >= 0 ? seg_ovr : defseg;
	return rc;
}

/* Opcode-specific checks once ModRM is known. */
static int check_group(struct x86_insn *d)
{
	unsigned int sub = d->reg & 7;

	switch (d->opc) {
	case 0x80:
	case 0x81:
	case 0x83:
		d->alu_op = sub;
		return 0;
	case 0xc6:
	case 0xc7:
		return sub == 0 ? 0 : -EOPNOTSUPP;
	case 0xf6:
	case 0xf7:
		/* /1 is an undocumented alias of TEST on every x86 CPU. */
		return sub <= 1 ? 0 : -EOPNOTSUPP;
	default:
		return 0;
	}
}

static void set_sizes(struct dec *s, struct x86_insn *d, unsigned int flags,
		      bool opsz, bool adsz)
{
	const struct x86_emu_cpu *cpu = s->e->cpu;

	if (s->e->mode64) {
		d->opsize = (d->rex & 8) ? 8 : (opsz ? 2 : 4);
		d->adsize = adsz ? 4 : 8;
	} else {
		d->opsize = (!cpu->cs_db != !opsz) ? 4 : 2;
		d->adsize = (!cpu->cs_db != !adsz) ? 4 : 2;
	}
	if (flags & F_BYTE)
		d->opsize = 1;
	/* Port I/O has no 64-bit form: REX.W is ignored. */
	if ((d->kind == X86K_IN || d->kind == X86K_OUT || d->kind == X86K_INS ||
	     d->kind == X86K_OUTS) &&
	    d->opsize == 8)
		d->opsize = 4;
}

static int decode_imm(struct dec *s, struct x86_insn *d, unsigned int flags)
{
	unsigned int n;
	uint64_t v = 0;
	int rc;

	if (flags & F_IMMU8) {
		rc = get_simm(s, 1, &v);
		d->imm_port = 1;
		d->imm = v & 0xff;
		return rc;
	}
	if (flags & F_IMM8)
		n = 1;
	else if (flags & F_IMMZ)
		n = d->opsize == 2 ? 2 : 4;
	else
		return 0;
	rc = get_simm(s, n, &v);
	d->has_imm = 1;
	d->imm = v & x86_size_mask(d->opsize);
	return rc;
}

int x86_emu_decode(struct x86_emu *e, const uint8_t *bytes, size_t n,
		   struct x86_insn *d)
{
	struct dec s = { .e = e };
	const struct x86_opdesc *op;
	bool opsz = false, adsz = false;
	int seg_ovr = -1, rc;
	uint8_t opc;

	memset(d, 0, sizeof(*d));
	s.avail = n < X86_MAX_INSN_LEN ? (unsigned int)n : X86_MAX_INSN_LEN;
	if (s.avail)
		memcpy(s.buf, bytes, s.avail);
	rc = decode_prefixes(&s, d, &seg_ovr, &opsz, &adsz, &opc);
	if (rc)
		return rc;
	op = &x86_map0[opc];
	if (opc == 0x0f) {
		rc = get_u8(&s, &opc);
		if (rc)
			return rc;
		op = &x86_map1[opc];
	}
	if (op->kind == X86K_NONE)
		return -EOPNOTSUPP;
	d->opc = opc;
	d->kind = op->kind;
	d->alu_op = d->kind == X86K_TEST ? X86_ALU_TEST : (opc >> 3) & 7;
	d->reg_is_dst = !!(op->flags & F_REGDST);
	d->srcsize = (opc & 1) ? 2 : 1; /* 0F B6/BE: byte, B7/BF: word */
	d->seg = seg_ovr >= 0 ? seg_ovr : X86_SEG_DS;
	set_sizes(&s, d, op->flags, opsz, adsz);

	if (op->flags & F_MODRM) {
		rc = decode_modrm(&s, d, seg_ovr);
		if (rc)
			return rc;
		rc = check_group(d);
		if (rc)
			return rc;
	} else if (op->flags & F_MOFFS) {
		rc = get_simm(&s, d->adsize, &d->ea);
		if (rc)
			return rc;
		d->ea &= x86_size_mask(d->adsize);
		d->mem = 1;
		d->reg = X86_RAX;
	} else if (op->flags & F_ACC) {
		d->rm = X86_RAX; /* AL/eAX, imm forms */
	}
	rc = decode_imm(&s, d, op->flags);
	if (rc)
		return rc;
	/* LOCK is only valid with a memory operand (#UD otherwise). */
	if (d->lock && !(d->has_modrm && d->mem))
		return -EINVAL;
	d->len = (uint8_t)s.pos;
	if (s.rip_rel)
		d->ea += e->cpu->rip + d->len;
	if (d->has_modrm && d->mem)
		d->ea &= x86_size_mask(d->adsize);
	return 0;
}

int x86_emu_linear(struct x86_emu *e, unsigned int seg, uint64_t off,
		   uint32_t len, uint64_t *la)
{
	const struct x86_emu_cpu *cpu = e->cpu;
	unsigned int bits, sh;
	uint64_t last;

	if (!e->mode64) {
		*la = (cpu->seg_base[seg] + off) & 0xffffffffull;
		return 0;
	}
	*la = off;
	if (seg == X86_SEG_FS || seg == X86_SEG_GS)
		*la += cpu->seg_base[seg];
	bits = (cpu->cr4 & X86_CR4_LA57) ? 57 : 48;
	sh = 64 - bits;
	last = *la + len - 1;
	if ((uint64_t)((int64_t)(*la << sh) >> sh) == *la &&
	    (uint64_t)((int64_t)(last << sh) >> sh) == last)
		return 0;
	memset(e->fault, 0, sizeof(*e->fault));
	e->fault->vector = seg == X86_SEG_SS ? X86_VEC_SS : X86_VEC_GP;
	e->fault->has_error_code = 1;
	return -EFAULT;
}
