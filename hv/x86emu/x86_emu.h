/* SPDX-License-Identifier: Apache-2.0 */
/*
 * x86_emu.h - the x86 instruction emulator shared by hypervisor plugins
 * that must emulate guest instructions themselves (MSHV: an MMIO access
 * arrives as a GPA intercept with the instruction bytes, not as a decoded
 * access).
 *
 * The emulator decodes one instruction at the guest's RIP, computes its
 * linear memory operand, translates it through the guest's page tables
 * (x86_emu_translate), performs the access through the caller's
 * callbacks (RAM or MMIO: the callback decides) and updates the register
 * state: the destination register, RFLAGS for CMP/TEST/ALU forms, RSI/RDI/
 * RCX for string forms, and RIP.  It knows nothing of any hypervisor: the
 * caller loads struct x86_emu_cpu from the vCPU and writes back what
 * changed.
 *
 * Covered: MOV (88/89/8A/8B/C6/C7/A0-A3), MOVZX/MOVSX (0F B6/B7/BE/BF),
 * MOVS and STOS with REP, CMP, TEST, AND/OR/XOR/ADD/SUB with a memory
 * operand (80/81/83 and the reg/mem forms), XCHG with memory, the 66/67/
 * REX/segment/REP prefixes, any ModRM/SIB addressing mode including
 * RIP-relative; 4- and 5-level paging with 2 MiB/1 GiB pages, and flat
 * (paging off) modes.
 *
 * The guest is hostile: any byte string yields 0 or a negative errno,
 * never a crash or a read outside the given buffers.  Pure and
 * reentrant: no global state; one call per exit, on the vCPU thread.
 */
#ifndef NIMBUS_HV_X86EMU_X86_EMU_H
#define NIMBUS_HV_X86EMU_X86_EMU_H

#include <stddef.h>
#include <stdint.h>

/* General registers, in the hardware encoding order (ModRM reg numbers). */
enum x86_emu_gpr {
	X86_RAX = 0,
	X86_RCX,
	X86_RDX,
	X86_RBX,
	X86_RSP,
	X86_RBP,
	X86_RSI,
	X86_RDI,
	X86_R8,
	X86_R9,
	X86_R10,
	X86_R11,
	X86_R12,
	X86_R13,
	X86_R14,
	X86_R15,
};

/* Segment registers, in the hardware encoding order. */
enum x86_emu_seg {
	X86_SEG_ES = 0,
	X86_SEG_CS,
	X86_SEG_SS,
	X86_SEG_DS,
	X86_SEG_FS,
	X86_SEG_GS,
	X86_SEG_NR,
};

/* The vCPU state the emulator reads and updates. */
struct x86_emu_cpu {
	uint64_t gpr[16]; /* enum x86_emu_gpr */
	uint64_t rip;
	uint64_t rflags;
	uint64_t cr0, cr3, cr4, efer;
	uint64_t seg_base[X86_SEG_NR]; /* enum x86_emu_seg */
	uint8_t cs_l; /* CS.L: 64-bit code */
	uint8_t cs_db; /* CS.D: 32-bit default operand size (when !cs_l) */
	uint8_t cpl; /* current privilege level (CS.DPL / SS.DPL) */
	uint8_t pad[5];
};

/* Access kinds for x86_emu_translate. */
#define X86_EMU_ACC_WRITE (1u << 0)
#define X86_EMU_ACC_FETCH (1u << 1)

/* An exception the caller must inject instead of completing the access. */
struct x86_emu_fault {
	uint8_t vector; /* 13 (#GP), 14 (#PF), 6 (#UD) ... */
	uint8_t has_error_code;
	uint32_t error_code;
	uint64_t cr2; /* #PF: the faulting linear address */
};

/*
 * Guest-physical access, provided by the caller.  `ctx` is the caller's
 * pointer given to x86_emu_step.  read_phys/write_phys reach RAM or MMIO
 * (the caller routes each range); they may be asked for any length from 1
 * to 8 bytes, or up to 4096 bytes for page-table and instruction reads
 * that stay inside one page.  Return 0, or a negative errno (the VM
 * stops).  pio is used by IN/OUT/INS/OUTS (len 1, 2 or 4) and may be
 * NULL when the caller handles port I/O itself (then those opcodes give
 * -EOPNOTSUPP).
 */
struct x86_emu_ops {
	int (*read_phys)(void *ctx, uint64_t gpa, void *buf, uint32_t len);
	int (*write_phys)(void *ctx, uint64_t gpa, const void *buf,
			  uint32_t len);
	int (*pio)(void *ctx, uint16_t port, void *data, uint32_t len,
		   int write);
};

/* At most this many iterations of a REP string instruction per step; the
 * instruction is then left with RIP unchanged and RCX decremented, so the
 * guest re-executes it (as after an interrupt on hardware). */
#define X86_EMU_REP_BUDGET 4096u

/*
 * Translate the linear address `gva` for an access of kind `acc`
 * (X86_EMU_ACC_*) with the guest's paging mode (CR0.PG, CR4.PAE/LA57,
 * EFER.LMA), setting no accessed/dirty bits.  Returns 0 with *gpa,
 * -EFAULT with *fault filled (#PF with the architectural error code) when
 * the walk faults, or the negative errno of read_phys.
 */
int x86_emu_translate(const struct x86_emu_cpu *cpu,
		      const struct x86_emu_ops *ops, void *ctx, uint64_t gva,
		      unsigned int acc, uint64_t *gpa,
		      struct x86_emu_fault *fault);

/*
 * Decode and execute the one instruction at cpu->rip.  `insn` holds the
 * first `insn_len` (0..16) bytes at RIP as the hypervisor reported them;
 * missing bytes are fetched through the page walk.  On return 0 the
 * instruction completed and *cpu holds the new state (RIP advanced, or
 * unchanged for a REP instruction stopped by X86_EMU_REP_BUDGET).
 * -EFAULT: *fault holds the exception to inject; *cpu holds nothing of
 * the faulting access (RIP unchanged; the REP iterations done before it
 * stay done, as on hardware).
 * -EOPNOTSUPP: an instruction outside the covered set (the caller injects
 * #UD or stops the VM, and logs it rate-limited).  -EINVAL: malformed
 * (too long, bad encoding); any other negative errno comes from a
 * callback.
 */
int x86_emu_step(struct x86_emu_cpu *cpu, const uint8_t *insn, size_t insn_len,
		 const struct x86_emu_ops *ops, void *ctx,
		 struct x86_emu_fault *fault);

#endif /* NIMBUS_HV_X86EMU_X86_EMU_H */
