/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hv_x86_64.h - x86_64 register sets of the Nimbus plugin ABI.
 *
 * Used with hv_ops.vcpu_get_regs/vcpu_set_regs (bulk sets, HV_REGS_*) and
 * vcpu_get_reg/vcpu_set_reg (single registers, HV_X86_*).  Layouts are part
 * of the ABI: follow the bump rule in hv.h.  Self-contained (C99 + stdint).
 */
#ifndef NIMBUS_HV_X86_64_H
#define NIMBUS_HV_X86_64_H

#include <stdint.h>

enum hv_x86_regs_set {
	HV_REGS_CORE = 1, /* struct hv_x86_regs */
	HV_REGS_SPECIAL = 2, /* struct hv_x86_sregs */
};

struct hv_x86_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rip, rflags;
};

struct hv_x86_segment {
	uint64_t base;
	uint32_t limit;
	uint16_t selector;
	uint8_t type; /* 4-bit descriptor type */
	uint8_t present, dpl, db, s, l, g, avl;
	uint8_t unusable;
	uint8_t pad;
};

struct hv_x86_dtable {
	uint64_t base;
	uint16_t limit;
	uint16_t pad[3];
};

struct hv_x86_sregs {
	struct hv_x86_segment cs, ds, es, fs, gs, ss;
	struct hv_x86_segment tr, ldt;
	struct hv_x86_dtable gdt, idt;
	uint64_t cr0, cr2, cr3, cr4, cr8;
	uint64_t efer;
	uint64_t apic_base;
};

/* Single-register ids for vcpu_get_reg/vcpu_set_reg. */
enum hv_x86_reg_id {
	HV_X86_RIP = 0x100,
	HV_X86_RSP,
	HV_X86_RFLAGS,
	HV_X86_RAX,
	HV_X86_RBX,
	HV_X86_RCX,
	HV_X86_RDX,
	HV_X86_RSI,
	HV_X86_RDI,
	HV_X86_CR0,
	HV_X86_CR3,
	HV_X86_CR4,
	HV_X86_EFER,
};

/* Guest-physical addresses of the x86 platform that backends rely on. */
#define HV_X86_LAPIC_BASE 0xfee00000ull

#endif /* NIMBUS_HV_X86_64_H */
