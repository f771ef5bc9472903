// SPDX-License-Identifier: Apache-2.0
/*
 * test_x86_emu.c - x86 instruction emulator: MOV (all sizes, high-byte
 * registers, immediates, moffs), MOVZX/MOVSX, XCHG, the ALU/CMP/TEST
 * forms with their flags, prefixes and encoding errors.  Each table row
 * is one instruction run in 64-bit mode against the fake guest of
 * x86_emu_fake.h (identity paging, MMIO window at FK_MMIO).
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
#define V64 0x1122334455667788ull

static const struct ecase mov_cases[] = {
	{ "mov [rbx],eax", I(0x89, 0x03),
	  .gpr = { [X86_RAX] = V64, [X86_RBX] = M + 0x100 },
	  .acc = { MW(M + 0x100, 4, 0x55667788) } },
	{ "mov [rbx],rax", I(0x48, 0x89, 0x03),
	  .gpr = { [X86_RAX] = V64, [X86_RBX] = M + 0x100 },
	  .acc = { MW(M + 0x100, 8, V64) } },
	{ "mov [rbx],ax", I(0x66, 0x89, 0x03),
	  .gpr = { [X86_RAX] = V64, [X86_RBX] = M + 0x100 },
	  .acc = { MW(M + 0x100, 2, 0x7788) } },
	{ "mov [rbx],al", I(0x88, 0x03),
	  .gpr = { [X86_RAX] = V64, [X86_RBX] = M + 0x100 },
	  .acc = { MW(M + 0x100, 1, 0x88) } },
	{ "mov [rbx],ah", I(0x88, 0x23),
	  .gpr = { [X86_RAX] = V64, [X86_RBX] = M + 0x100 },
	  .acc = { MW(M + 0x100, 1, 0x77) } },
	{ "mov [rbx],spl (REX)", I(0x40, 0x88, 0x23),
	  .gpr = { [X86_RAX] = V64, [X86_RSP] = 0x1299, [X86_RBX] = M + 0x100 },
	  .acc = { MW(M + 0x100, 1, 0x99) } },
	{ "mov [rbx],r9w", I(0x66, 0x44, 0x89, 0x0b),
	  .gpr = { [X86_R9] = 0xabcd1234, [X86_RBX] = M + 0x100 },
	  .acc = { MW(M + 0x100, 2, 0x1234) } },
	{ "mov eax,[rbx] zero-extends", I(0x8b, 0x03),
	  .gpr = { [X86_RAX] = ~0ull, [X86_RBX] = M + 0x100 },
	  .mem = { { M + 0x100, 0xdeadbeef, 4 } },
	  .acc = { MR(M + 0x100, 4, 0xdeadbeef) }, .chg = G(RAX),
	  .out = { [X86_RAX] = 0xdeadbeef } },
	{ "mov ax,[rbx] keeps bits 63:16", I(0x66, 0x8b, 0x03),
	  .gpr = { [X86_RAX] = ~0ull, [X86_RBX] = M + 0x100 },
	  .mem = { { M + 0x100, 0xdeadbeef, 4 } },
	  .acc = { MR(M + 0x100, 2, 0xbeef) }, .chg = G(RAX),
	  .out = { [X86_RAX] = 0xffffffffffffbeefull } },
	{ "mov al,[rbx]", I(0x8a, 0x03),
	  .gpr = { [X86_RAX] = ~0ull, [X86_RBX] = M + 0x100 },
	  .mem = { { M + 0x100, 0xef, 1 } }, .acc = { MR(M + 0x100, 1, 0xef) },
	  .chg = G(RAX), .out = { [X86_RAX] = 0xffffffffffffffefull } },
	{ "mov bh,[rbx]", I(0x8a, 0x3b), .gpr = { [X86_RBX] = M + 0x100 },
	  .mem = { { M + 0x100, 0xef, 1 } }, .acc = { MR(M + 0x100, 1, 0xef) },
	  .chg = G(RBX), .out = { [X86_RBX] = M + 0xef00 } },
	{ "mov dil,[rbx] (REX)", I(0x40, 0x8a, 0x3b),
	  .gpr = { [X86_RBX] = M + 0x100, [X86_RDI] = 0x1111 },
	  .mem = { { M + 0x100, 0xef, 1 } }, .acc = { MR(M + 0x100, 1, 0xef) },
	  .chg = G(RDI), .out = { [X86_RDI] = 0x11ef } },
	{ "mov rax,[rbx]", I(0x48, 0x8b, 0x03), .gpr = { [X86_RBX] = M },
	  .mem = { { M, 0x0123456789abcdefull, 8 } },
	  .acc = { MR(M, 8, 0x0123456789abcdefull) }, .chg = G(RAX),
	  .out = { [X86_RAX] = 0x0123456789abcdefull } },
	{ "mov r15,[rbx+rcx*4]", I(0x4c, 0x8b, 0x3c, 0x8b),
	  .gpr = { [X86_RBX] = M, [X86_RCX] = 0x40 },
	  .mem = { { M + 0x100, V64, 8 } }, .acc = { MR(M + 0x100, 8, V64) },
	  .chg = G(R15), .out = { [X86_R15] = V64 } },
	{ "mov byte [rbx],imm8", I(0xc6, 0x03, 0xab),
	  .gpr = { [X86_RBX] = M + 0x100 }, .acc = { MW(M + 0x100, 1, 0xab) } },
	{ "mov word [rbx],imm16", I(0x66, 0xc7, 0x03, 0x34, 0x12),
	  .gpr = { [X86_RBX] = M + 0x100 },
	  .acc = { MW(M + 0x100, 2, 0x1234) } },
	{ "mov dword [rbx],imm32", I(0xc7, 0x03, D32(0x12345678)),
	  .gpr = { [X86_RBX] = M + 0x100 },
	  .acc = { MW(M + 0x100, 4, 0x12345678) } },
	{ "mov qword [rbx],-16", I(0x48, 0xc7, 0x03, D32(0xfffffff0)),
	  .gpr = { [X86_RBX] = M + 0x100 },
	  .acc = { MW(M + 0x100, 8, 0xfffffffffffffff0ull) } },
	{ "mov qword [rbx],imm32 sign-extends",
	  I(0x48, 0xc7, 0x03, D32(0x80000000)),
	  .gpr = { [X86_RBX] = M + 0x100 },
	  .acc = { MW(M + 0x100, 8, 0xffffffff80000000ull) } },
	{ "mov byte [rbx+8],imm8 after disp8", I(0xc6, 0x43, 0x08, 0x5a),
	  .gpr = { [X86_RBX] = M + 0x100 }, .acc = { MW(M + 0x108, 1, 0x5a) } },
	{ "mov eax,[moffs64]", I(0xa1, D64(M + 0x100)),
	  .gpr = { [X86_RAX] = ~0ull }, .mem = { { M + 0x100, 0xdeadbeef, 4 } },
	  .acc = { MR(M + 0x100, 4, 0xdeadbeef) }, .chg = G(RAX),
	  .out = { [X86_RAX] = 0xdeadbeef } },
	{ "mov [moffs64],rax", I(0x48, 0xa3, D64(M + 0x100)),
	  .gpr = { [X86_RAX] = V64 }, .acc = { MW(M + 0x100, 8, V64) } },
	{ "mov al,[moffs64]", I(0xa0, D64(M + 0x100)),
	  .gpr = { [X86_RAX] = ~0ull }, .mem = { { M + 0x100, 0xef, 1 } },
	  .acc = { MR(M + 0x100, 1, 0xef) }, .chg = G(RAX),
	  .out = { [X86_RAX] = 0xffffffffffffffefull } },
	{ "mov [moffs64],al", I(0xa2, D64(M + 0x100)),
	  .gpr = { [X86_RAX] = V64 }, .acc = { MW(M + 0x100, 1, 0x88) } },
	{ "mov [moffs64],ax", I(0x66, 0xa3, D64(M + 0x100)),
	  .gpr = { [X86_RAX] = V64 }, .acc = { MW(M + 0x100, 2, 0x7788) } },
	{ "mov eax,[moffs32] (67)", I(0x67, 0xa1, D32(M + 0x100)),
	  .mem = { { M + 0x100, 0xdeadbeef, 4 } },
	  .acc = { MR(M + 0x100, 4, 0xdeadbeef) }, .chg = G(RAX),
	  .out = { [X86_RAX] = 0xdeadbeef } },
	{ "mov eax,fs:[moffs64]", I(0x64, 0xa1, D64(0x100)),
	  .seg = { [X86_SEG_FS] = M }, .mem = { { M + 0x100, 0xdeadbeef, 4 } },
	  .acc = { MR(M + 0x100, 4, 0xdeadbeef) }, .chg = G(RAX),
	  .out = { [X86_RAX] = 0xdeadbeef } },
	{ "mov ebx,eax (register form)", I(0x89, 0xc3),
	  .gpr = { [X86_RAX] = V64, [X86_RBX] = ~0ull }, .chg = G(RBX),
	  .out = { [X86_RBX] = 0x55667788 } },
	{ "mov ah,ch (register form)", I(0x88, 0xec),
	  .gpr = { [X86_RAX] = V64, [X86_RCX] = 0xab00 }, .chg = G(RAX),
	  .out = { [X86_RAX] = 0x112233445566ab88ull } },
};

static const struct ecase movx_cases[] = {
	{ "movzx eax,byte [rbx]", I(0x0f, 0xb6, 0x03),
	  .gpr = { [X86_RAX] = ~0ull, [X86_RBX] = M },
	  .mem = { { M, 0x80, 1 } }, .acc = { MR(M, 1, 0x80) }, .chg = G(RAX),
	  .out = { [X86_RAX] = 0x80 } },
	{ "movsx eax,byte [rbx]", I(0x0f, 0xbe, 0x03),
	  .gpr = { [X86_RAX] = ~0ull, [X86_RBX] = M },
	  .mem = { { M, 0x80, 1 } }, .acc = { MR(M, 1, 0x80) }, .chg = G(RAX),
	  .out = { [X86_RAX] = 0xffffff80 } },
	{ "movsx rax,word [rbx]", I(0x48, 0x0f, 0xbf, 0x03),
	  .gpr = { [X86_RBX] = M }, .mem = { { M, 0x8000, 2 } },
	  .acc = { MR(M, 2, 0x8000) }, .chg = G(RAX),
	  .out = { [X86_RAX] = 0xffffffffffff8000ull } },
	{ "movzx eax,word [rbx]", I(0x0f, 0xb7, 0x03),
	  .gpr = { [X86_RAX] = ~0ull, [X86_RBX] = M },
	  .mem = { { M, 0x8000, 2 } }, .acc = { MR(M, 2, 0x8000) },
	  .chg = G(RAX), .out = { [X86_RAX] = 0x8000 } },
	{ "movsx ax,byte [rbx]", I(0x66, 0x0f, 0xbe, 0x03),
	  .gpr = { [X86_RAX] = 0x1111111111111111ull, [X86_RBX] = M },
	  .mem = { { M, 0x80, 1 } }, .acc = { MR(M, 1, 0x80) }, .chg = G(RAX),
	  .out = { [X86_RAX] = 0x111111111111ff80ull } },
	{ "movzx r10,byte [rbx]", I(0x4c, 0x0f, 0xb6, 0x13),
	  .gpr = { [X86_R10] = ~0ull, [X86_RBX] = M },
	  .mem = { { M, 0x80, 1 } }, .acc = { MR(M, 1, 0x80) }, .chg = G(R10),
	  .out = { [X86_R10] = 0x80 } },
	{ "movsx ecx,ah", I(0x0f, 0xbe, 0xcc), .gpr = { [X86_RAX] = 0x8000 },
	  .chg = G(RCX), .out = { [X86_RCX] = 0xffffff80 } },
	{ "movsx ecx,spl (REX)", I(0x40, 0x0f, 0xbe, 0xcc),
	  .gpr = { [X86_RAX] = 0x8000, [X86_RSP] = 0x7f }, .chg = G(RCX),
	  .out = { [X86_RCX] = 0x7f } },
};

static const struct ecase xchg_cases[] = {
	{ "xchg [rbx],eax", I(0x87, 0x03),
	  .gpr = { [X86_RAX] = V64, [X86_RBX] = M },
	  .mem = { { M, 0xdeadbeef, 4 } },
	  .acc = { MR(M, 4, 0xdeadbeef), MW(M, 4, 0x55667788) }, .chg = G(RAX),
	  .out = { [X86_RAX] = 0xdeadbeef } },
	{ "xchg [rbx],ah", I(0x86, 0x23),
	  .gpr = { [X86_RAX] = 0x1234, [X86_RBX] = M },
	  .mem = { { M, 0xef, 1 } }, .acc = { MR(M, 1, 0xef), MW(M, 1, 0x12) },
	  .chg = G(RAX), .out = { [X86_RAX] = 0xef34 } },
	{ "lock xchg [rbx],rax", I(0xf0, 0x48, 0x87, 0x03),
	  .gpr = { [X86_RAX] = V64, [X86_RBX] = M }, .mem = { { M, 5, 8 } },
	  .acc = { MR(M, 8, 5), MW(M, 8, V64) }, .chg = G(RAX),
	  .out = { [X86_RAX] = 5 } },
	{ "xacquire (f2) xchg [rbx],eax", I(0xf2, 0x87, 0x03),
	  .gpr = { [X86_RAX] = 1, [X86_RBX] = M }, .mem = { { M, 2, 4 } },
	  .acc = { MR(M, 4, 2), MW(M, 4, 1) }, .chg = G(RAX),
	  .out = { [X86_RAX] = 2 } },
	{ "xchg eax,ebx (register form)", I(0x87, 0xd8),
	  .gpr = { [X86_RAX] = 0xffffffff00000001ull,
		   [X86_RBX] = 0xffffffff00000002ull },
	  .chg = G(RAX) | G(RBX), .out = { [X86_RAX] = 2, [X86_RBX] = 1 } },
};

#define ALU(nm, ...)                                \
	{                                           \
		nm, __VA_ARGS__, .flmask = FL_ARITH \
	}

static const struct ecase alu_cases[] = {
	ALU("add [rbx],eax carry+zero", I(0x01, 0x03),
	    .gpr = { [X86_RAX] = 1, [X86_RBX] = M },
	    .mem = { { M, 0xffffffff, 4 } },
	    .acc = { MR(M, 4, 0xffffffff), MW(M, 4, 0) },
	    .flout = FL_CF | FL_ZF | FL_PF | FL_AF),
	ALU("add eax,[rbx] overflow", I(0x03, 0x03),
	    .gpr = { [X86_RAX] = 1, [X86_RBX] = M },
	    .mem = { { M, 0x7fffffff, 4 } }, .acc = { MR(M, 4, 0x7fffffff) },
	    .chg = G(RAX), .out = { [X86_RAX] = 0x80000000 },
	    .flout = FL_OF | FL_SF | FL_PF | FL_AF),
	ALU("add [rbx],al", I(0x00, 0x03),
	    .gpr = { [X86_RAX] = 1, [X86_RBX] = M }, .mem = { { M, 0x7f, 1 } },
	    .acc = { MR(M, 1, 0x7f), MW(M, 1, 0x80) },
	    .flout = FL_OF | FL_SF | FL_AF),
	ALU("or [rbx],eax clears CF/OF", I(0x09, 0x03), .fl = FL_CF | FL_OF,
	    .gpr = { [X86_RAX] = 0x0f, [X86_RBX] = M },
	    .mem = { { M, 0xf0, 4 } },
	    .acc = { MR(M, 4, 0xf0), MW(M, 4, 0xff) }, .flout = FL_PF),
	ALU("and [rbx],eax zero", I(0x21, 0x03),
	    .gpr = { [X86_RAX] = 0x0f, [X86_RBX] = M },
	    .mem = { { M, 0xf0, 4 } }, .acc = { MR(M, 4, 0xf0), MW(M, 4, 0) },
	    .flout = FL_ZF | FL_PF),
	ALU("xor [rbx],rax sign", I(0x48, 0x31, 0x03),
	    .gpr = { [X86_RAX] = 1, [X86_RBX] = M },
	    .mem = { { M, 0x8000000000000000ull, 8 } },
	    .acc = { MR(M, 8, 0x8000000000000000ull),
		     MW(M, 8, 0x8000000000000001ull) },
	    .flout = FL_SF),
	ALU("sub [rbx],eax borrow", I(0x29, 0x03),
	    .gpr = { [X86_RAX] = 2, [X86_RBX] = M }, .mem = { { M, 1, 4 } },
	    .acc = { MR(M, 4, 1), MW(M, 4, 0xffffffff) },
	    .flout = FL_CF | FL_SF | FL_PF | FL_AF),
	ALU("sub eax,[rbx] overflow", I(0x2b, 0x03),
	    .gpr = { [X86_RAX] = 0x80000000, [X86_RBX] = M },
	    .mem = { { M, 1, 4 } }, .acc = { MR(M, 4, 1) }, .chg = G(RAX),
	    .out = { [X86_RAX] = 0x7fffffff }, .flout = FL_OF | FL_PF | FL_AF),
	ALU("cmp [rbx],eax equal: no write", I(0x39, 0x03),
	    .gpr = { [X86_RAX] = 0x1234, [X86_RBX] = M },
	    .mem = { { M, 0x1234, 4 } }, .acc = { MR(M, 4, 0x1234) },
	    .flout = FL_ZF | FL_PF),
	ALU("cmp eax,[rbx] below", I(0x3b, 0x03),
	    .gpr = { [X86_RAX] = 1, [X86_RBX] = M }, .mem = { { M, 2, 4 } },
	    .acc = { MR(M, 4, 2) }, .flout = FL_CF | FL_SF | FL_PF | FL_AF),
	ALU("cmp byte [rbx],0x7f (80 /7)", I(0x80, 0x3b, 0x7f),
	    .gpr = { [X86_RBX] = M }, .mem = { { M, 0x80, 1 } },
	    .acc = { MR(M, 1, 0x80) }, .flout = FL_OF | FL_AF),
	ALU("or dword [rbx],1 (83 /1)", I(0x83, 0x0b, 0x01),
	    .gpr = { [X86_RBX] = M }, .mem = { { M, 0x100, 4 } },
	    .acc = { MR(M, 4, 0x100), MW(M, 4, 0x101) }, .flout = 0),
	ALU("and dword [rbx],0xff (81 /4)", I(0x81, 0x23, D32(0xff)),
	    .gpr = { [X86_RBX] = M }, .mem = { { M, 0x12345678, 4 } },
	    .acc = { MR(M, 4, 0x12345678), MW(M, 4, 0x78) }, .flout = FL_PF),
	ALU("sub qword [rbx],1 (48 83 /5)", I(0x48, 0x83, 0x2b, 0x01),
	    .gpr = { [X86_RBX] = M }, .acc = { MR(M, 8, 0), MW(M, 8, ~0ull) },
	    .flout = FL_CF | FL_SF | FL_PF | FL_AF),
	ALU("add dword [rbx],-1 (83 sign-extends)", I(0x83, 0x03, 0xff),
	    .gpr = { [X86_RBX] = M }, .mem = { { M, 1, 4 } },
	    .acc = { MR(M, 4, 1), MW(M, 4, 0) },
	    .flout = FL_CF | FL_ZF | FL_PF | FL_AF),
	ALU("adc [rbx],eax with CF", I(0x11, 0x03), .fl = FL_CF,
	    .gpr = { [X86_RAX] = 1, [X86_RBX] = M },
	    .mem = { { M, 0xfffffffe, 4 } },
	    .acc = { MR(M, 4, 0xfffffffe), MW(M, 4, 0) },
	    .flout = FL_CF | FL_ZF | FL_PF | FL_AF),
	ALU("adc [rbx],eax without CF", I(0x11, 0x03),
	    .gpr = { [X86_RAX] = 1, [X86_RBX] = M },
	    .mem = { { M, 0xfffffffe, 4 } },
	    .acc = { MR(M, 4, 0xfffffffe), MW(M, 4, 0xffffffff) },
	    .flout = FL_SF | FL_PF),
	ALU("sbb [rbx],eax with CF", I(0x19, 0x03), .fl = FL_CF,
	    .gpr = { [X86_RAX] = 5, [X86_RBX] = M }, .mem = { { M, 5, 4 } },
	    .acc = { MR(M, 4, 5), MW(M, 4, 0xffffffff) },
	    .flout = FL_CF | FL_SF | FL_PF | FL_AF),
	ALU("lock add [rbx],eax", I(0xf0, 0x01, 0x03),
	    .gpr = { [X86_RAX] = 1, [X86_RBX] = M }, .mem = { { M, 1, 4 } },
	    .acc = { MR(M, 4, 1), MW(M, 4, 2) }, .flout = 0),
	ALU("test [rbx],eax", I(0x85, 0x03), .fl = FL_CF | FL_OF,
	    .gpr = { [X86_RAX] = 0x0f, [X86_RBX] = M },
	    .mem = { { M, 0xf0, 4 } }, .acc = { MR(M, 4, 0xf0) },
	    .flout = FL_ZF | FL_PF),
	ALU("test dword [rbx],imm32 (f7 /0)", I(0xf7, 0x03, D32(0x80000000)),
	    .gpr = { [X86_RBX] = M }, .mem = { { M, 0x80000000, 4 } },
	    .acc = { MR(M, 4, 0x80000000) }, .flout = FL_SF | FL_PF),
	ALU("test byte [rbx],imm8 (f6 /0)", I(0xf6, 0x03, 0x01),
	    .gpr = { [X86_RBX] = M }, .mem = { { M, 1, 1 } },
	    .acc = { MR(M, 1, 1) }, .flout = 0),
	ALU("test dword [rbx],imm32 (f7 /1 alias)", I(0xf7, 0x0b, D32(1)),
	    .gpr = { [X86_RBX] = M }, .mem = { { M, 2, 4 } },
	    .acc = { MR(M, 4, 2) }, .flout = FL_ZF | FL_PF),
	ALU("test word [rbx],imm16 (66 f7)", I(0x66, 0xf7, 0x03, 0x00, 0x80),
	    .gpr = { [X86_RBX] = M }, .mem = { { M, 0x8001, 2 } },
	    .acc = { MR(M, 2, 0x8001) }, .flout = FL_SF | FL_PF),
	ALU("test al,imm8 (a8)", I(0xa8, 0x81), .gpr = { [X86_RAX] = 0x80 },
	    .flout = FL_SF),
	ALU("add al,imm8 (04)", I(0x04, 0xff), .gpr = { [X86_RAX] = 0x101 },
	    .chg = G(RAX), .out = { [X86_RAX] = 0x100 },
	    .flout = FL_CF | FL_ZF | FL_PF | FL_AF),
	ALU("cmp eax,imm32 (3d)", I(0x3d, D32(0x80000000)),
	    .flout = FL_CF | FL_SF | FL_OF | FL_PF),
	ALU("sub rax,imm32 (48 2d) sign-extends",
	    I(0x48, 0x2d, D32(0xffffffff)), .gpr = { [X86_RAX] = 5 },
	    .chg = G(RAX), .out = { [X86_RAX] = 6 },
	    .flout = FL_CF | FL_PF | FL_AF),
	ALU("add eax,ecx (register form)", I(0x01, 0xc8),
	    .gpr = { [X86_RAX] = 0xffffffff00000001ull, [X86_RCX] = 2 },
	    .chg = G(RAX), .out = { [X86_RAX] = 3 }, .flout = FL_PF),
	ALU("or word [rbx],imm16 (66 81 /1)", I(0x66, 0x81, 0x0b, 0x00, 0x80),
	    .gpr = { [X86_RBX] = M }, .mem = { { M, 1, 2 } },
	    .acc = { MR(M, 2, 1), MW(M, 2, 0x8001) }, .flout = FL_SF),
	ALU("cmp [rbx],r8 (REX.R)", I(0x4c, 0x39, 0x03),
	    .gpr = { [X86_R8] = 0x100000000ull, [X86_RBX] = M },
	    .mem = { { M, 0x100000000ull, 8 } },
	    .acc = { MR(M, 8, 0x100000000ull) }, .flout = FL_ZF | FL_PF),
	ALU("xor bh,[rbx]", I(0x32, 0x3b), .gpr = { [X86_RBX] = M + 0xff00 },
	    .mem = { { M + 0xff00, 0x0f, 1 } },
	    .acc = { MR(M + 0xff00, 1, 0x0f) }, .chg = G(RBX),
	    .out = { [X86_RBX] = M + 0xf000 }, .flout = FL_SF | FL_PF),
};

#define FILL9 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e

static const struct ecase prefix_cases[] = {
	{ "REX before a legacy prefix is ignored", I(0x48, 0x66, 0x89, 0x03),
	  .gpr = { [X86_RAX] = V64, [X86_RBX] = M },
	  .acc = { MW(M, 2, 0x7788) } },
	{ "last REX counts", I(0x48, 0x40, 0x89, 0x03),
	  .gpr = { [X86_RAX] = V64, [X86_RBX] = M },
	  .acc = { MW(M, 4, 0x55667788) } },
	{ "REX.W beats 66", I(0x66, 0x48, 0x89, 0x03),
	  .gpr = { [X86_RAX] = V64, [X86_RBX] = M }, .acc = { MW(M, 8, V64) } },
	{ "rep on mov is ignored", I(0xf3, 0x89, 0x03),
	  .gpr = { [X86_RAX] = V64, [X86_RBX] = M },
	  .acc = { MW(M, 4, 0x55667788) } },
	{ "15 bytes", I(FILL9, 0xc7, 0x03, D32(0x12345678)),
	  .gpr = { [X86_RBX] = M }, .acc = { MW(M, 4, 0x12345678) } },
	{ "16 bytes", I(FILL9, 0x3e, 0xc7, 0x03, D32(0x12345678)),
	  .rc = -EINVAL, .gpr = { [X86_RBX] = M } },
	{ "16 prefixes", I(FILL9, 0x66, 0x67, 0xf3, 0xf2, 0x64, 0x65, 0x26),
	  .rc = -EINVAL },
	{ "lock on a register form", I(0xf0, 0x01, 0xc8), .rc = -EINVAL },
	{ "lock on moffs", I(0xf0, 0xa1, D64(M)), .rc = -EINVAL },
	{ "lock on stos", I(0xf0, 0xaa), .rc = -EINVAL,
	  .gpr = { [X86_RDI] = M } },
	{ "ud2", I(0x0f, 0x0b), .rc = -EOPNOTSUPP },
	{ "c6 /1", I(0xc6, 0x0b, 0x00), .rc = -EOPNOTSUPP },
	{ "c7 f8 (xbegin)", I(0xc7, 0xf8, D32(0)), .rc = -EOPNOTSUPP },
	{ "not (f7 /2)", I(0xf7, 0x13), .rc = -EOPNOTSUPP },
	{ "mul (f6 /4)", I(0xf6, 0x23), .rc = -EOPNOTSUPP },
	{ "inc (ff /0)", I(0xff, 0x03), .rc = -EOPNOTSUPP },
	{ "vex (c5)", I(0xc5, 0xf8, 0x77), .rc = -EOPNOTSUPP },
	{ "movsxd (63)", I(0x63, 0x03), .rc = -EOPNOTSUPP },
	{ "nop", I(0x90), .rc = -EOPNOTSUPP },
	{ "lods", I(0xac), .rc = -EOPNOTSUPP },
	{ "cmps", I(0xa6), .rc = -EOPNOTSUPP },
	{ "mov sreg (8e)", I(0x8e, 0x03), .rc = -EOPNOTSUPP },
	{ "82 in 64-bit mode", I(0x82, 0x03, 0x01), .rc = -EOPNOTSUPP },
	{ "0f 0f (3DNow!)", I(0x0f, 0x0f, 0x03, 0x00), .rc = -EOPNOTSUPP },
	{ "bt (0f a3)", I(0x0f, 0xa3, 0x03), .rc = -EOPNOTSUPP },
};

static void test_mov(void **state)
{
	FK_RUN(mov_cases);
}

static void test_movzx_movsx(void **state)
{
	FK_RUN(movx_cases);
}

static void test_xchg(void **state)
{
	FK_RUN(xchg_cases);
}

static void test_alu_flags(void **state)
{
	FK_RUN(alu_cases);
}

static void test_prefixes_and_errors(void **state)
{
	FK_RUN(prefix_cases);
}

/* Each opcode/size pair agrees with a direct computation of the flags. */
static void test_alu_exhaustive_byte(void **state)
{
	static const uint8_t ops[] = { 0x00, 0x08, 0x10, 0x18,
				       0x20, 0x28, 0x30, 0x38 };
	struct x86_emu_fault fault;
	struct x86_emu_cpu cpu;
	struct fk *fk = fk_new();
	unsigned int a, b, o, cf;

	assert_non_null(fk);
	for (o = 0; o < 8; o++) {
		for (a = 0; a < 256; a += 7) {
			for (b = 0; b < 256; b += 5) {
				for (cf = 0; cf < 2; cf++) {
					uint8_t insn[2] = { ops[o], 0xc8 };
					unsigned int r, want, fl = 0;
					int sr;

					fk_cpu_init(&cpu, FK_M64);
					cpu.gpr[X86_RAX] = a;
					cpu.gpr[X86_RCX] = b;
					cpu.rflags |= cf;
					assert_int_equal(
						x86_emu_step(&cpu, insn, 2,
							     &fk_ops, fk,
							     &fault),
						0);
					switch (o) {
					case 0:
					case 2:
						sr = (int)a + (int)b +
						     (o == 2 ? (int)cf : 0);
						break;
					case 3:
					case 5:
					case 7:
						sr = (int)a - (int)b -
						     (o == 3 ? (int)cf : 0);
						break;
					case 1:
						sr = (int)(a | b);
						break;
					case 4:
						sr = (int)(a & b);
						break;
					default:
						sr = (int)(a ^ b);
						break;
					}
					r = (unsigned int)sr & 0xff;
					if (o != 1 && o != 4 && o != 6) {
						int s8 = (int8_t)a;
						int t8 = (int8_t)b;
						int c = (o == 2 || o == 3) ?
								cf :
								0;
						int sv = (o == 0 || o == 2) ?
								 s8 + t8 + c :
								 s8 - t8 - c;

						if (sr < 0 || sr > 255)
							fl |= FL_CF;
						if (sv < -128 || sv > 127)
							fl |= FL_OF;
						fl |= (a ^ b ^ r) & FL_AF;
					}
					if (!r)
						fl |= FL_ZF;
					if (r & 0x80)
						fl |= FL_SF;
					if (!__builtin_parity(r))
						fl |= FL_PF;
					assert_int_equal(cpu.rflags & FL_ARITH,
							 fl);
					want = o == 7 ? a : r;
					assert_int_equal(cpu.gpr[X86_RAX],
							 want);
				}
			}
		}
	}
	free(fk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mov),
		cmocka_unit_test(test_movzx_movsx),
		cmocka_unit_test(test_xchg),
		cmocka_unit_test(test_alu_flags),
		cmocka_unit_test(test_alu_exhaustive_byte),
		cmocka_unit_test(test_prefixes_and_errors),
	};

	return cmocka_run_group_tests_name("x86_emu", tests, NULL, NULL);
}
