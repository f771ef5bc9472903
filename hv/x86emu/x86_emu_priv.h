/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86_emu_priv.h - internals shared by the x86 instruction emulator's
 * files: the decoder (x86_decode.c) fills a struct x86_insn from the
 * instruction bytes, the executor (x86_exec.c) runs it against the
 * caller's callbacks, and the page walker (x86_walk.c) implements
 * x86_emu_translate.  Nothing here is used outside hv/x86emu/.
 *
 * The emulator does not log: it is linked into hypervisor plugins, which
 * log only through the host table, and every failure is returned to the
 * caller, which logs it rate-limited.
 */
#ifndef NIMBUS_HV_X86EMU_X86_EMU_PRIV_H
#define NIMBUS_HV_X86EMU_X86_EMU_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/x86emu/x86_emu.h"

/* Architectural bits the emulator looks at. */
#define X86_CR0_PE (1ull << 0)
#define X86_CR0_WP (1ull << 16)
#define X86_CR0_PG (1ull << 31)
#define X86_CR4_PSE (1ull << 4)
#define X86_CR4_PAE (1ull << 5)
#define X86_CR4_LA57 (1ull << 12)
#define X86_CR4_SMEP (1ull << 20)
#define X86_CR4_SMAP (1ull << 21)
#define X86_EFER_LMA (1ull << 10)
#define X86_EFER_NXE (1ull << 11)

#define X86_FL_CF (1ull << 0)
#define X86_FL_PF (1ull << 2)
#define X86_FL_AF (1ull << 4)
#define X86_FL_ZF (1ull << 6)
#define X86_FL_SF (1ull << 7)
#define X86_FL_DF (1ull << 10)
#define X86_FL_OF (1ull << 11)
#define X86_FL_AC (1ull << 18)
#define X86_FL_ARITH \
	(X86_FL_CF | X86_FL_PF | X86_FL_AF | X86_FL_ZF | X86_FL_SF | X86_FL_OF)

/* #PF error code bits. */
#define X86_PFEC_P (1u << 0)
#define X86_PFEC_W (1u << 1)
#define X86_PFEC_U (1u << 2)
#define X86_PFEC_RSVD (1u << 3)
#define X86_PFEC_I (1u << 4)

#define X86_VEC_SS 12
#define X86_VEC_GP 13
#define X86_VEC_PF 14

/*
 * Physical-address width assumed for reserved-bit checks.  The emulator
 * does not know the host's MAXPHYADDR; 52 is the architectural maximum,
 * so only bits the architecture always reserves are checked.  A hardware
 * walk already succeeded before any intercept reaches us, so a stricter
 * width would only matter for a guest racing its own page tables, and
 * every GPA still goes through the caller's range checks.
 */
#define X86_EMU_MAXPHYADDR 52

#define X86_PAGE_SIZE 4096u
#define X86_MAX_INSN_LEN 15u

/* Per-call state: which CPU, whose callbacks, where faults go. */
struct x86_emu {
	struct x86_emu_cpu *cpu;
	const struct x86_emu_ops *ops;
	void *ctx;
	struct x86_emu_fault *fault;
	bool mode64; /* EFER.LMA && CS.L */
};

/* What the executor does with a decoded opcode. */
enum x86_kind {
	X86K_NONE = 0,
	X86K_ALU, /* 00-3D: op in insn.alu_op, form from the opcode */
	X86K_GRP1, /* 80/81/83: op in ModRM.reg */
	X86K_TEST, /* 84/85, A8/A9, F6/F7 /0 /1 */
	X86K_XCHG, /* 86/87 */
	X86K_MOV, /* 88-8B, C6/C7, A0-A3 */
	X86K_MOVZX, /* 0F B6/B7 */
	X86K_MOVSX, /* 0F BE/BF */
	X86K_MOVS, /* A4/A5 */
	X86K_STOS, /* AA/AB */
	X86K_IN, /* E4/E5/EC/ED */
	X86K_OUT, /* E6/E7/EE/EF */
	X86K_INS, /* 6C/6D */
	X86K_OUTS, /* 6E/6F */
};

/* ALU operations, in the opcode / ModRM.reg order, plus TEST. */
enum x86_alu_op {
	X86_ALU_ADD = 0,
	X86_ALU_OR,
	X86_ALU_ADC,
	X86_ALU_SBB,
	X86_ALU_AND,
	X86_ALU_SUB,
	X86_ALU_XOR,
	X86_ALU_CMP,
	X86_ALU_TEST,
};

/* A decoded instruction. */
struct x86_insn {
	uint8_t len; /* bytes, prefixes included */
	uint8_t kind; /* enum x86_kind */
	uint8_t opc; /* last opcode byte */
	uint8_t opsize; /* operand size in bytes: 1, 2, 4 or 8 */
	uint8_t srcsize; /* MOVZX/MOVSX source size */
	uint8_t adsize; /* address size in bytes: 2, 4 or 8 */
	uint8_t rex; /* the REX byte, 0 if none */
	uint8_t rep; /* 0, 0xf2 or 0xf3 */
	uint8_t lock;
	uint8_t seg; /* segment of the memory operand (enum x86_emu_seg) */
	uint8_t alu_op; /* enum x86_alu_op */
	uint8_t reg_is_dst; /* ALU/MOV: the ModRM.reg operand is written */
	uint8_t has_modrm;
	uint8_t mem; /* the r/m operand (or moffs) is memory */
	uint8_t reg; /* ModRM.reg, REX.R applied */
	uint8_t rm; /* ModRM.rm, REX.B applied (register form) */
	uint8_t has_imm;
	uint8_t imm_port; /* IN/OUT: port from imm8 rather than DX */
	uint64_t imm; /* sign- or zero-extended to opsize, then masked */
	uint64_t ea; /* memory operand offset, wrapped to adsize */
};

/* x86_decode.c */

/*
 * Decode the instruction at cpu->rip from `bytes` (the first `n` bytes,
 * n may be 0), fetching missing bytes through the page walk.  Returns 0,
 * -EINVAL (over 15 bytes, LOCK without a memory operand, bad ModRM use),
 * -EOPNOTSUPP (outside the covered set), -EFAULT (fetch fault in
 * e->fault) or a callback's errno.
 */
int x86_emu_decode(struct x86_emu *e, const uint8_t *bytes, size_t n,
		   struct x86_insn *d);

/*
 * Linear address of segment:offset with `len` bytes: adds the segment
 * base (only FS/GS in 64-bit mode), wraps to 32 bits outside 64-bit mode
 * and checks that the first and last byte are canonical in 64-bit mode.
 * Returns 0 with *la or -EFAULT with #GP(0)/#SS(0) in e->fault.
 */
int x86_emu_linear(struct x86_emu *e, unsigned int seg, uint64_t off,
		   uint32_t len, uint64_t *la);

/* Mask of an address or operand of `size` bytes (1, 2, 4 or 8). */
static inline uint64_t x86_size_mask(unsigned int size)
{
	return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

/* Little-endian load/store of 1..8 bytes. */
static inline uint64_t x86_load_le(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	while (n--)
		v = (v << 8) | p[n];
	return v;
}

static inline void x86_store_le(uint8_t *p, uint64_t v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

#endif /* NIMBUS_HV_X86EMU_X86_EMU_PRIV_H */
