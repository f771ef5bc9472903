// SPDX-License-Identifier: Apache-2.0
/*
 * test_x86_emu_addr.c - x86 instruction emulator: every ModRM/SIB
 * addressing kind in 64-, 32- and 16-bit code (RIP-relative, address-size
 * override, wrap-around, segment bases and overrides, canonical checks),
 * the string instructions with and without REP (direction flag, address
 * size, segment rules) and IN/OUT/INS/OUTS.  Table rows run against the
 * fake guest of x86_emu_fake.h.
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

/* mov eax,[...] reading zeroes from MMIO at `a`: RAX becomes 0. */
#define LD(nm, a, ...)                                                  \
	{                                                               \
		nm, __VA_ARGS__, .acc = { MR(a, 4, 0) }, .chg = G(RAX), \
				 .out = { [X86_RAX] = 0 }               \
	}

static const struct ecase addr64_cases[] = {
	LD("[rbx+disp8]", M + 0x10, I(0x8b, 0x43, 0x10),
	   .gpr = { [X86_RAX] = ~0ull, [X86_RBX] = M }),
	LD("[rbx+disp8] negative", M + 0xf0, I(0x8b, 0x43, 0xf0),
	   .gpr = { [X86_RBX] = M + 0x100 }),
	LD("[rbx+disp32]", M + 0x1000, I(0x8b, 0x83, D32(0x1000)),
	   .gpr = { [X86_RBX] = M }),
	LD("[rip+disp32]", M + 0x30, I(0x8b, 0x05, D32(0x1030 - 6)),
	   .rip = M - 0x1000),
	LD("[rip+disp32] negative", M + 0x1006, I(0x8b, 0x05, D32(-0x1000)),
	   .rip = M + 0x2000),
	LD("[rip+disp32] with REX.B", M + 0x30,
	   I(0x41, 0x8b, 0x05, D32(0x1030 - 7)), .rip = M - 0x1000,
	   .gpr = { [X86_R13] = 0x5000 }),
	LD("addr32 [eip+disp32] wraps", M + 0x30,
	   I(0x67, 0x8b, 0x05, D32(0x30 - 7)), .rip = 0x100000000ull + M),
	LD("[rbx+rcx*8-8]", M + 0x18, I(0x8b, 0x44, 0xcb, 0xf8),
	   .gpr = { [X86_RBX] = M, [X86_RCX] = 4 }),
	LD("[rsp]", M + 0x40, I(0x8b, 0x04, 0x24),
	   .gpr = { [X86_RSP] = M + 0x40 }),
	LD("[rbp+0]", M + 0x44, I(0x8b, 0x45, 0x00),
	   .gpr = { [X86_RBP] = M + 0x44 }),
	LD("[r12]", M + 0x48, I(0x41, 0x8b, 0x04, 0x24),
	   .gpr = { [X86_R12] = M + 0x48 }),
	LD("[r13+0]", M + 0x4c, I(0x41, 0x8b, 0x45, 0x00),
	   .gpr = { [X86_R13] = M + 0x4c }),
	LD("[rax+r12*4]", M + 0x40, I(0x42, 0x8b, 0x04, 0xa0),
	   .gpr = { [X86_RAX] = M, [X86_R12] = 0x10 }),
	LD("[rcx*4+disp32] (no base, wraps)", M + 0x100,
	   I(0x8b, 0x04, 0x8d, D32(M)), .gpr = { [X86_RCX] = 0x40000040 }),
	LD("addr32 [disp32]", M, I(0x67, 0x8b, 0x04, 0x25, D32(M))),
	LD("addr32 [ebx] drops bits 63:32", M + 0x10, I(0x67, 0x8b, 0x03),
	   .gpr = { [X86_RBX] = 0xffffffff00000000ull | (M + 0x10) }),
	LD("fs:[rbx]", M + 0x40, I(0x64, 0x8b, 0x03),
	   .gpr = { [X86_RBX] = 0x40 }, .seg = { [X86_SEG_FS] = M }),
	LD("cs: is ignored in 64-bit mode", M + 0x50, I(0x2e, 0x8b, 0x03),
	   .gpr = { [X86_RBX] = M + 0x50 }, .seg = { [X86_SEG_CS] = 0x1000 }),
	LD("es: is ignored in 64-bit mode", M + 0x50, I(0x26, 0x8b, 0x03),
	   .gpr = { [X86_RBX] = M + 0x50 },
	   .seg = { [X86_SEG_ES] = 0x1000, [X86_SEG_DS] = 0x2000 }),
	LD("last segment prefix wins", M + 0x60, I(0x64, 0x65, 0x8b, 0x03),
	   .gpr = { [X86_RBX] = 0x60 },
	   .seg = { [X86_SEG_FS] = 0x1000, [X86_SEG_GS] = M }),
	{ "gs:[rbx] store", I(0x65, 0x89, 0x03),
	  .gpr = { [X86_RAX] = 7, [X86_RBX] = 8 },
	  .seg = { [X86_SEG_GS] = M + 0x1000 },
	  .acc = { MW(M + 0x1008, 4, 7) } },
	{ "[sib base=5 mod=0] is disp32 even with REX.B",
	  I(0x41, 0x8b, 0x04, 0x25, D32(0x100)), .gpr = { [X86_R13] = M },
	  .mem = { { 0x100, 0xcafef00d, 4 } }, .chg = G(RAX),
	  .out = { [X86_RAX] = 0xcafef00d } },
	{ "addr32 wraps at 4 GiB", I(0x67, 0x8b, 0x43, 0x20),
	  .gpr = { [X86_RBX] = 0xfffffff0 }, .mem = { { 0x10, 0x55aa, 4 } },
	  .chg = G(RAX), .out = { [X86_RAX] = 0x55aa } },
	{ "[disp32] sign-extends in 64-bit mode", I(0x8b, 0x04, 0x25, D32(M)),
	  .rc = -EFAULT, .vec = 14, .ec = 0, .cr2 = 0xfffffffffe000000ull },
	{ "non-canonical -> #GP(0)", I(0x8b, 0x03), .rc = -EFAULT, .vec = 13,
	  .gpr = { [X86_RBX] = 0x0000800000000000ull } },
	{ "non-canonical end -> #GP(0)", I(0x8b, 0x03), .rc = -EFAULT,
	  .vec = 13, .gpr = { [X86_RBX] = 0x00007ffffffffffeull } },
	{ "non-canonical [rsp] -> #SS(0)", I(0x8b, 0x04, 0x24), .rc = -EFAULT,
	  .vec = 12, .gpr = { [X86_RSP] = 0x0000800000000000ull } },
	{ "mov eax,esp (mod=3, rm=4)", I(0x8b, 0xc4),
	  .gpr = { [X86_RSP] = 0x123456789ull }, .chg = G(RAX),
	  .out = { [X86_RAX] = 0x23456789 } },
};

static const struct ecase addr32_cases[] = {
	LD("32: [ebx] + DS base", M + 0x100, .mode = FK_M32, I(0x8b, 0x03),
	   .gpr = { [X86_RBX] = 0x01000100 },
	   .seg = { [X86_SEG_DS] = 0xfd000000 }),
	LD("32: [ebp+disp8] uses SS", M + 0x30, .mode = FK_M32,
	   I(0x8b, 0x45, 0x10), .gpr = { [X86_RBP] = 0x20 },
	   .seg = { [X86_SEG_SS] = M }),
	LD("32: ds:[ebp+disp8]", M + 0x1030, .mode = FK_M32,
	   I(0x3e, 0x8b, 0x45, 0x10), .gpr = { [X86_RBP] = 0x20 },
	   .seg = { [X86_SEG_SS] = M, [X86_SEG_DS] = M + 0x1000 }),
	LD("32: [esp] uses SS", M + 0x8, .mode = FK_M32, I(0x8b, 0x04, 0x24),
	   .gpr = { [X86_RSP] = 8 }, .seg = { [X86_SEG_SS] = M }),
	LD("32: cs:[ebx]", M + 0x8, .mode = FK_M32, I(0x2e, 0x8b, 0x03),
	   .gpr = { [X86_RBX] = 8 }, .seg = { [X86_SEG_CS] = M }),
	LD("32: ss:[ebx]", M + 0x8, .mode = FK_M32, I(0x36, 0x8b, 0x03),
	   .gpr = { [X86_RBX] = 8 }, .seg = { [X86_SEG_SS] = M }),
	LD("32: [disp32] is absolute", M + 0x200, .mode = FK_M32,
	   I(0x8b, 0x05, D32(M + 0x200))),
	LD("32: [moffs32]", M + 0x10, .mode = FK_M32, I(0xa1, D32(M + 0x10))),
	LD("32: 67 -> [bx]", M + 0x10, .mode = FK_M32, I(0x67, 0x8b, 0x07),
	   .gpr = { [X86_RBX] = 0xffff0010 }, .seg = { [X86_SEG_DS] = M }),
	LD("32: gs:[ebx+esi*2+disp8]", M + 0x1026, .mode = FK_M32,
	   I(0x65, 0x8b, 0x44, 0x73, 0x06),
	   .gpr = { [X86_RBX] = 0x10, [X86_RSI] = 0x8 },
	   .seg = { [X86_SEG_GS] = M + 0x1000 }),
	{ "32: es:[ebx] store", .mode = FK_M32, I(0x26, 0x89, 0x03),
	  .gpr = { [X86_RAX] = 3, [X86_RBX] = 4 }, .seg = { [X86_SEG_ES] = M },
	  .acc = { MW(M + 4, 4, 3) } },
	{ "32: 66 -> 16-bit store", .mode = FK_M32, I(0x66, 0x89, 0x03),
	  .gpr = { [X86_RAX] = 0x12345678, [X86_RBX] = M },
	  .acc = { MW(M, 2, 0x5678) } },
	{ "32: 67 a1 -> moffs16", .mode = FK_M32, I(0x67, 0xa1, 0x10, 0x00),
	  .seg = { [X86_SEG_DS] = M }, .mem = { { M + 0x10, 9, 4 } },
	  .acc = { MR(M + 0x10, 4, 9) }, .chg = G(RAX),
	  .out = { [X86_RAX] = 9 } },
	{ "32: linear address wraps at 4 GiB", .mode = FK_M32, I(0x8b, 0x03),
	  .gpr = { [X86_RBX] = 0x00100200 },
	  .seg = { [X86_SEG_DS] = 0xfff00000 }, .mem = { { 0x200, 0x77, 4 } },
	  .chg = G(RAX), .out = { [X86_RAX] = 0x77 } },
	{ "32: 48 is not REX", .mode = FK_M32, I(0x48, 0x89, 0x03),
	  .rc = -EOPNOTSUPP },
	{ "32: eip wraps", .mode = FK_M32, I(0x89, 0x03), .rip = 0xfffffffe,
	  .gpr = { [X86_RBX] = M }, .acc = { MW(M, 4, 0) }, .rip_abs = 1,
	  .rip_out = 0 },
};

static const struct ecase addr16_cases[] = {
	{ "16: [bx+si]", .mode = FK_M16, I(0x8b, 0x00),
	  .gpr = { [X86_RAX] = ~0ull, [X86_RBX] = 0x10, [X86_RSI] = 0x20 },
	  .seg = { [X86_SEG_DS] = M }, .mem = { { M + 0x30, 0xbeef, 2 } },
	  .acc = { MR(M + 0x30, 2, 0xbeef) }, .chg = G(RAX),
	  .out = { [X86_RAX] = 0xffffffffffffbeefull } },
	{ "16: [bp+di+disp8] uses SS", .mode = FK_M16, I(0x8b, 0x43, 0x04),
	  .gpr = { [X86_RBP] = 0x10, [X86_RDI] = 0x20 },
	  .seg = { [X86_SEG_DS] = 0x1000, [X86_SEG_SS] = M + 0x1000 },
	  .acc = { MR(M + 0x1034, 2, 0) } },
	{ "16: [bp+si]", .mode = FK_M16, I(0x8b, 0x02),
	  .gpr = { [X86_RBP] = 0x10, [X86_RSI] = 0x2 },
	  .seg = { [X86_SEG_SS] = M }, .acc = { MR(M + 0x12, 2, 0) } },
	{ "16: [bx+di]", .mode = FK_M16, I(0x8b, 0x01),
	  .gpr = { [X86_RBX] = 0x10, [X86_RDI] = 0x3 },
	  .seg = { [X86_SEG_DS] = M }, .acc = { MR(M + 0x13, 2, 0) } },
	{ "16: [disp16]", .mode = FK_M16, I(0x8b, 0x06, 0x34, 0x12),
	  .seg = { [X86_SEG_DS] = M }, .acc = { MR(M + 0x1234, 2, 0) } },
	{ "16: [bp+disp8] uses SS", .mode = FK_M16, I(0x8b, 0x46, 0x02),
	  .gpr = { [X86_RBP] = 0x100 }, .seg = { [X86_SEG_SS] = M },
	  .acc = { MR(M + 0x102, 2, 0) } },
	{ "16: [si]", .mode = FK_M16, I(0x8b, 0x04),
	  .gpr = { [X86_RSI] = 0x10006 }, .seg = { [X86_SEG_DS] = M },
	  .acc = { MR(M + 6, 2, 0) } },
	{ "16: [di+disp16]", .mode = FK_M16, I(0x8b, 0x85, 0x00, 0x01),
	  .gpr = { [X86_RDI] = 0x7 }, .seg = { [X86_SEG_DS] = M },
	  .acc = { MR(M + 0x107, 2, 0) } },
	{ "16: [bx]", .mode = FK_M16, I(0x8b, 0x07), .gpr = { [X86_RBX] = 0x8 },
	  .seg = { [X86_SEG_DS] = M }, .acc = { MR(M + 8, 2, 0) } },
	{ "16: [bx+si-1] wraps at 64 KiB", .mode = FK_M16, I(0x8a, 0x40, 0xff),
	  .gpr = { [X86_RBX] = 0x50000, [X86_RSI] = 0x70000 },
	  .seg = { [X86_SEG_DS] = M }, .acc = { MR(M + 0xffff, 1, 0) } },
	{ "16: 66 -> 32-bit load", .mode = FK_M16, I(0x66, 0x8b, 0x07),
	  .gpr = { [X86_RAX] = ~0ull }, .seg = { [X86_SEG_DS] = M },
	  .mem = { { M, 0x89abcdef, 4 } }, .acc = { MR(M, 4, 0x89abcdef) },
	  .chg = G(RAX), .out = { [X86_RAX] = 0x89abcdef } },
	{ "16: 67 -> [ebx+ecx*4]", .mode = FK_M16, I(0x67, 0x8b, 0x04, 0x8b),
	  .gpr = { [X86_RBX] = 0x8000, [X86_RCX] = 1 },
	  .seg = { [X86_SEG_DS] = M }, .acc = { MR(M + 0x8004, 2, 0) } },
	{ "16: [moffs16]", .mode = FK_M16, I(0xa1, 0x34, 0x12),
	  .seg = { [X86_SEG_DS] = M }, .acc = { MR(M + 0x1234, 2, 0) } },
	{ "16: mov [bx],imm16", .mode = FK_M16, I(0xc7, 0x07, 0x34, 0x12),
	  .seg = { [X86_SEG_DS] = M }, .acc = { MW(M, 2, 0x1234) } },
	{ "16: ip wraps", .mode = FK_M16, I(0x89, 0x07), .rip = 0xfffe,
	  .seg = { [X86_SEG_DS] = M }, .acc = { MW(M, 2, 0) }, .rip_abs = 1,
	  .rip_out = 0 },
};

static const struct ecase string_cases[] = {
	{ "stosb", I(0xaa), .gpr = { [X86_RAX] = 0x5a, [X86_RDI] = M + 0x10 },
	  .acc = { MW(M + 0x10, 1, 0x5a) }, .chg = G(RDI),
	  .out = { [X86_RDI] = M + 0x11 } },
	{ "stosd with DF", I(0xab), .fl = FL_DF,
	  .gpr = { [X86_RAX] = 0x11223344, [X86_RDI] = M + 0x10 },
	  .acc = { MW(M + 0x10, 4, 0x11223344) }, .chg = G(RDI),
	  .out = { [X86_RDI] = M + 0xc } },
	{ "stosq", I(0x48, 0xab),
	  .gpr = { [X86_RAX] = ~1ull, [X86_RDI] = M + 0x10 },
	  .acc = { MW(M + 0x10, 8, ~1ull) }, .chg = G(RDI),
	  .out = { [X86_RDI] = M + 0x18 } },
	{ "stosw", I(0x66, 0xab),
	  .gpr = { [X86_RAX] = 0xabcd, [X86_RDI] = M + 0x10 },
	  .acc = { MW(M + 0x10, 2, 0xabcd) }, .chg = G(RDI),
	  .out = { [X86_RDI] = M + 0x12 } },
	{ "rep stosd x3", I(0xf3, 0xab),
	  .gpr = { [X86_RAX] = 7, [X86_RCX] = 3, [X86_RDI] = M + 0x10 },
	  .acc = { MW(M + 0x10, 4, 7), MW(M + 0x14, 4, 7), MW(M + 0x18, 4, 7) },
	  .chg = G(RCX) | G(RDI),
	  .out = { [X86_RCX] = 0, [X86_RDI] = M + 0x1c } },
	{ "rep stosb with rcx=0", I(0xf3, 0xaa),
	  .gpr = { [X86_RDI] = M + 0x10 } },
	{ "repne (f2) stosb repeats too", I(0xf2, 0xaa),
	  .gpr = { [X86_RAX] = 1, [X86_RCX] = 2, [X86_RDI] = M },
	  .acc = { MW(M, 1, 1), MW(M + 1, 1, 1) }, .chg = G(RCX) | G(RDI),
	  .out = { [X86_RCX] = 0, [X86_RDI] = M + 2 } },
	{ "rep stosb with DF", I(0xf3, 0xaa), .fl = FL_DF,
	  .gpr = { [X86_RAX] = 2, [X86_RCX] = 2, [X86_RDI] = M + 0x10 },
	  .acc = { MW(M + 0x10, 1, 2), MW(M + 0xf, 1, 2) },
	  .chg = G(RCX) | G(RDI), .out = { [X86_RDI] = M + 0xe } },
	{ "movsb mmio -> ram", I(0xa4),
	  .gpr = { [X86_RSI] = M + 0x20, [X86_RDI] = 0x3000 },
	  .mem = { { M + 0x20, 0x77, 1 } }, .acc = { MR(M + 0x20, 1, 0x77) },
	  .want = { { 0x3000, 0x77, 1 } }, .chg = G(RSI) | G(RDI),
	  .out = { [X86_RSI] = M + 0x21, [X86_RDI] = 0x3001 } },
	{ "rep movsq ram -> mmio", I(0xf3, 0x48, 0xa5),
	  .gpr = { [X86_RCX] = 2, [X86_RSI] = 0x3000, [X86_RDI] = M + 0x40 },
	  .mem = { { 0x3000, 0x1111111111111111ull, 8 },
		   { 0x3008, 0x2222222222222222ull, 8 } },
	  .acc = { MW(M + 0x40, 8, 0x1111111111111111ull),
		   MW(M + 0x48, 8, 0x2222222222222222ull) },
	  .chg = G(RCX) | G(RSI) | G(RDI),
	  .out = { [X86_RCX] = 0, [X86_RSI] = 0x3010, [X86_RDI] = M + 0x50 } },
	{ "movsd fs: source", I(0x64, 0xa5),
	  .gpr = { [X86_RSI] = 0x20, [X86_RDI] = 0x3000 },
	  .seg = { [X86_SEG_FS] = M }, .mem = { { M + 0x20, 0x12345678, 4 } },
	  .acc = { MR(M + 0x20, 4, 0x12345678) },
	  .want = { { 0x3000, 0x12345678, 4 } }, .chg = G(RSI) | G(RDI),
	  .out = { [X86_RSI] = 0x24, [X86_RDI] = 0x3004 } },
	{ "32: stos writes ES:edi despite fs:", .mode = FK_M32, I(0x64, 0xaa),
	  .gpr = { [X86_RAX] = 9, [X86_RDI] = 0x10 },
	  .seg = { [X86_SEG_ES] = M, [X86_SEG_FS] = 0x1000, [X86_SEG_DS] = 0x2000 },
	  .acc = { MW(M + 0x10, 1, 9) }, .chg = G(RDI),
	  .out = { [X86_RDI] = 0x11 } },
	{ "32: movsb reads DS:esi, writes ES:edi", .mode = FK_M32, I(0xa4),
	  .gpr = { [X86_RSI] = 0x10, [X86_RDI] = 0x20 },
	  .seg = { [X86_SEG_DS] = M, [X86_SEG_ES] = M + 0x1000 },
	  .mem = { { M + 0x10, 0x42, 1 } },
	  .acc = { MR(M + 0x10, 1, 0x42), MW(M + 0x1020, 1, 0x42) },
	  .chg = G(RSI) | G(RDI),
	  .out = { [X86_RSI] = 0x11, [X86_RDI] = 0x21 } },
	{ "addr32 rep stosb: edi wraps, ecx/edi zero-extend",
	  I(0x67, 0xf3, 0xaa), .fl = FL_DF,
	  .gpr = { [X86_RAX] = 0x33,
		   [X86_RCX] = 0xdead000000000001ull,
		   [X86_RDI] = 0xabcd000000000000ull },
	  .want = { { 0, 0x33, 1 } }, .chg = G(RCX) | G(RDI),
	  .out = { [X86_RCX] = 0, [X86_RDI] = 0xffffffff } },
	{ "16: rep stosb: cx counts, di wraps", .mode = FK_M16, I(0xf3, 0xaa),
	  .gpr = { [X86_RAX] = 5, [X86_RCX] = 0x50002, [X86_RDI] = 0x7ffff },
	  .seg = { [X86_SEG_ES] = M },
	  .acc = { MW(M + 0xffff, 1, 5), MW(M, 1, 5) }, .chg = G(RCX) | G(RDI),
	  .out = { [X86_RCX] = 0x50000, [X86_RDI] = 0x70001 } },
	{ "16: movsw", .mode = FK_M16, I(0xa5),
	  .gpr = { [X86_RSI] = 2, [X86_RDI] = 4 },
	  .seg = { [X86_SEG_DS] = M, [X86_SEG_ES] = 0x3000 },
	  .mem = { { M + 2, 0xbeef, 2 } }, .acc = { MR(M + 2, 2, 0xbeef) },
	  .want = { { 0x3004, 0xbeef, 2 } }, .chg = G(RSI) | G(RDI),
	  .out = { [X86_RSI] = 4, [X86_RDI] = 6 } },
	{ "16: 66 stosd", .mode = FK_M16, I(0x66, 0xab),
	  .gpr = { [X86_RAX] = 0xcafebabe }, .seg = { [X86_SEG_ES] = M },
	  .acc = { MW(M, 4, 0xcafebabe) }, .chg = G(RDI),
	  .out = { [X86_RDI] = 4 } },
};

static const struct ecase pio_cases[] = {
	{ "in al,imm8", I(0xe4, 0x70), .gpr = { [X86_RAX] = ~0ull },
	  .acc = { PR(0x70, 1, 0x41) }, .chg = G(RAX),
	  .out = { [X86_RAX] = 0xffffffffffffff41ull } },
	{ "in eax,imm8 zero-extends", I(0xe5, 0x71),
	  .gpr = { [X86_RAX] = ~0ull }, .acc = { PR(0x71, 4, 0x44434241) },
	  .chg = G(RAX), .out = { [X86_RAX] = 0x44434241 } },
	{ "in ax,dx", I(0x66, 0xed),
	  .gpr = { [X86_RAX] = ~0ull, [X86_RDX] = 0x103f8 },
	  .acc = { PR(0x3f8, 2, 0x4241) }, .chg = G(RAX),
	  .out = { [X86_RAX] = 0xffffffffffff4241ull } },
	{ "in al,dx", I(0xec), .gpr = { [X86_RDX] = 0x60 },
	  .acc = { PR(0x60, 1, 0x41) }, .chg = G(RAX),
	  .out = { [X86_RAX] = 0x41 } },
	{ "REX.W in eax,dx is 32-bit", I(0x48, 0xed),
	  .gpr = { [X86_RDX] = 0xcfc }, .acc = { PR(0xcfc, 4, 0x44434241) },
	  .chg = G(RAX), .out = { [X86_RAX] = 0x44434241 } },
	{ "out imm8,al", I(0xe6, 0x80), .gpr = { [X86_RAX] = 0x1234 },
	  .acc = { PW(0x80, 1, 0x34) } },
	{ "out imm8,eax", I(0xe7, 0x81),
	  .gpr = { [X86_RAX] = 0x1122334455667788ull },
	  .acc = { PW(0x81, 4, 0x55667788) } },
	{ "out dx,eax", I(0xef),
	  .gpr = { [X86_RAX] = 0x11223344, [X86_RDX] = 0x10cf8 },
	  .acc = { PW(0xcf8, 4, 0x11223344) } },
	{ "out dx,ax", I(0x66, 0xef),
	  .gpr = { [X86_RAX] = 0x11223344, [X86_RDX] = 0x3f8 },
	  .acc = { PW(0x3f8, 2, 0x3344) } },
	{ "out dx,al", I(0xee),
	  .gpr = { [X86_RAX] = 0x11223344, [X86_RDX] = 0x3f8 },
	  .acc = { PW(0x3f8, 1, 0x44) } },
	{ "outsb", I(0x6e), .gpr = { [X86_RSI] = M + 0x10, [X86_RDX] = 0x3f8 },
	  .mem = { { M + 0x10, 0x99, 1 } },
	  .acc = { MR(M + 0x10, 1, 0x99), PW(0x3f8, 1, 0x99) }, .chg = G(RSI),
	  .out = { [X86_RSI] = M + 0x11 } },
	{ "rep outsw", I(0xf3, 0x66, 0x6f),
	  .gpr = { [X86_RCX] = 2, [X86_RSI] = 0x3000, [X86_RDX] = 0x1f0 },
	  .mem = { { 0x3000, 0xbbbbaaaa, 4 } },
	  .acc = { PW(0x1f0, 2, 0xaaaa), PW(0x1f0, 2, 0xbbbb) },
	  .chg = G(RCX) | G(RSI),
	  .out = { [X86_RCX] = 0, [X86_RSI] = 0x3004 } },
	{ "insd", I(0x6d), .gpr = { [X86_RDI] = M + 0x10, [X86_RDX] = 0x1f0 },
	  .acc = { PR(0x1f0, 4, 0x44434241), MW(M + 0x10, 4, 0x44434241) },
	  .chg = G(RDI), .out = { [X86_RDI] = M + 0x14 } },
	{ "rep insb with DF", I(0xf3, 0x6c), .fl = FL_DF,
	  .gpr = { [X86_RCX] = 2, [X86_RDI] = 0x3001, [X86_RDX] = 0x60 },
	  .acc = { PR(0x60, 1, 0x41), PR(0x60, 1, 0x42) },
	  .want = { { 0x3000, 0x4142, 2 } }, .chg = G(RCX) | G(RDI),
	  .out = { [X86_RCX] = 0, [X86_RDI] = 0x2fff } },
	{ "outsb fs: source", I(0x64, 0x6e),
	  .gpr = { [X86_RSI] = 0x10, [X86_RDX] = 0x80 },
	  .seg = { [X86_SEG_FS] = M }, .mem = { { M + 0x10, 0x5, 1 } },
	  .acc = { MR(M + 0x10, 1, 5), PW(0x80, 1, 5) }, .chg = G(RSI),
	  .out = { [X86_RSI] = 0x11 } },
	{ "32: insb writes ES:edi despite fs:", .mode = FK_M32, I(0x64, 0x6c),
	  .gpr = { [X86_RDI] = 0x10, [X86_RDX] = 0x60 },
	  .seg = { [X86_SEG_ES] = M, [X86_SEG_FS] = 0x2000 },
	  .acc = { PR(0x60, 1, 0x41), MW(M + 0x10, 1, 0x41) }, .chg = G(RDI),
	  .out = { [X86_RDI] = 0x11 } },
};

static void test_addressing_64(void **state)
{
	FK_RUN(addr64_cases);
}

static void test_addressing_32(void **state)
{
	FK_RUN(addr32_cases);
}

static void test_addressing_16(void **state)
{
	FK_RUN(addr16_cases);
}

static void test_string(void **state)
{
	FK_RUN(string_cases);
}

static void test_port_io(void **state)
{
	FK_RUN(pio_cases);
}

/* Without ops->pio every port instruction is left to the caller. */
static void test_no_pio_callback(void **state)
{
	static const uint8_t insns[][2] = {
		{ 0xe4, 0x60 }, { 0xe7, 0x60 }, { 0xec, 0x90 }, { 0xef, 0x90 },
		{ 0x6c, 0x90 }, { 0x6f, 0x90 }, { 0xf3, 0x6e },
	};
	struct x86_emu_ops ops = fk_ops;
	struct x86_emu_fault fault;
	struct x86_emu_cpu cpu, in;
	struct fk *fk = fk_new();
	size_t i;

	assert_non_null(fk);
	ops.pio = NULL;
	for (i = 0; i < sizeof(insns) / sizeof(insns[0]); i++) {
		fk_cpu_init(&cpu, FK_M64);
		cpu.gpr[X86_RCX] = 1;
		cpu.gpr[X86_RSI] = 0x3000;
		cpu.gpr[X86_RDI] = 0x3000;
		in = cpu;
		assert_int_equal(x86_emu_step(&cpu, insns[i], 2, &ops, fk,
					      &fault),
				 -EOPNOTSUPP);
		assert_memory_equal(&cpu, &in, sizeof(cpu));
	}
	assert_int_equal(fk->nlog, 0);
	free(fk);
}

/* REP stops after X86_EMU_REP_BUDGET iterations with RIP unchanged. */
static void test_rep_budget(void **state)
{
	static const uint8_t rep_stosb[] = { 0xf3, 0xaa };
	struct x86_emu_fault fault;
	struct x86_emu_cpu cpu;
	struct fk *fk = fk_new();
	uint64_t n = X86_EMU_REP_BUDGET + 904;

	assert_non_null(fk);
	fk_cpu_init(&cpu, FK_M64);
	cpu.gpr[X86_RAX] = 0xab;
	cpu.gpr[X86_RCX] = n;
	cpu.gpr[X86_RDI] = M;
	assert_int_equal(x86_emu_step(&cpu, rep_stosb, 2, &fk_ops, fk, &fault),
			 0);
	assert_int_equal(fk->nlog, X86_EMU_REP_BUDGET);
	assert_int_equal(cpu.gpr[X86_RCX], 904);
	assert_int_equal(cpu.gpr[X86_RDI], M + X86_EMU_REP_BUDGET);
	assert_int_equal(cpu.rip, FK_CODE);
	assert_int_equal(fk->mmio[X86_EMU_REP_BUDGET - 1], 0xab);
	assert_int_equal(fk->mmio[X86_EMU_REP_BUDGET], 0);
	/* The guest re-executes it: the rest completes and RIP moves on. */
	assert_int_equal(x86_emu_step(&cpu, rep_stosb, 2, &fk_ops, fk, &fault),
			 0);
	assert_int_equal(fk->nlog, n);
	assert_int_equal(cpu.gpr[X86_RCX], 0);
	assert_int_equal(cpu.gpr[X86_RDI], M + n);
	assert_int_equal(cpu.rip, FK_CODE + 2);

	/* Exactly the budget completes in one step. */
	fk->nlog = 0;
	cpu.rip = FK_CODE;
	cpu.gpr[X86_RCX] = X86_EMU_REP_BUDGET;
	cpu.gpr[X86_RDI] = M;
	assert_int_equal(x86_emu_step(&cpu, rep_stosb, 2, &fk_ops, fk, &fault),
			 0);
	assert_int_equal(fk->nlog, X86_EMU_REP_BUDGET);
	assert_int_equal(cpu.gpr[X86_RCX], 0);
	assert_int_equal(cpu.rip, FK_CODE + 2);
	free(fk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addressing_64),
		cmocka_unit_test(test_addressing_32),
		cmocka_unit_test(test_addressing_16),
		cmocka_unit_test(test_string),
		cmocka_unit_test(test_port_io),
		cmocka_unit_test(test_no_pio_callback),
		cmocka_unit_test(test_rep_budget),
	};

	return cmocka_run_group_tests_name("x86_emu_addr", tests, NULL, NULL);
}
