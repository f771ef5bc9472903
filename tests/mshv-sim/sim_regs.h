/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sim_regs.h - what sim_regs.c (register names, the VP's register cache,
 * GET_VP_REGISTERS) and sim_regs_set.c (SET_VP_REGISTERS) share: the kind
 * of KVM state each hypervisor register name maps to, and the per-call
 * register state.  Private to the simulator; vCPU thread only.
 */
#ifndef NIMBUS_TESTS_MSHV_SIM_REGS_H
#define NIMBUS_TESTS_MSHV_SIM_REGS_H

#include "tests/mshv-sim/sim.h"

enum sim_reg_kind {
	SIM_R_NONE = 0,
	SIM_R_GPR, /* arg: hypervisor GPR number */
	SIM_R_RIP,
	SIM_R_RFLAGS,
	SIM_R_SEG, /* arg: ES CS SS DS FS GS LDTR TR */
	SIM_R_IDTR,
	SIM_R_GDTR,
	SIM_R_CR, /* arg: 0, 2, 3, 4, 8 */
	SIM_R_EFER,
	SIM_R_APIC_BASE,
	SIM_R_MSR, /* arg: MSR index */
	SIM_R_XMM, /* arg: n */
	SIM_R_FPR, /* arg: n */
	SIM_R_FPCS,
	SIM_R_XMMCS,
	SIM_R_DR, /* arg: 0-3, 6, 7 */
	SIM_R_XCR0,
	SIM_R_ISTATE,
	SIM_R_PEND_INT,
	SIM_R_PEND_EV0,
	SIM_R_VP_INDEX, /* read-only */
	SIM_R_APIC_ID, /* read-only */
	SIM_R_APIC_VER, /* read-only */
	SIM_R_ACTIVITY, /* read-only */
};

/* KVM state loaded for one hypercall. */
enum {
	SIM_S_FPU = 1u << 0,
	SIM_S_DBG = 1u << 1,
	SIM_S_EV = 1u << 2,
	SIM_S_XCRS = 1u << 3,
	SIM_S_REGS = 1u << 4, /* dirty only: the VP cache holds them */
	SIM_S_SREGS = 1u << 5,
};

struct sim_rs {
	struct sim_vp *vp;
	uint32_t have, dirty;
	struct kvm_fpu fpu;
	struct kvm_debugregs dbg;
	struct kvm_vcpu_events ev;
	struct kvm_xcrs xcrs;
	uint32_t nr_msrs;
	struct kvm_msrs msrs;
	struct kvm_msr_entry msr[MSHV_MAX_REGS_PER_CALL];
};

/* The kind of register `name` is (SIM_R_NONE if not simulated), with its
 * argument (GPR number, MSR index, ...) in *arg. */
int sim_reg_resolve(uint32_t name, uint32_t *arg);
/* Which SIM_S_* state a kind lives in (0: none, read-only). */
uint32_t sim_reg_state(int kind);
/* Load state `what` (one SIM_S_* bit) for this call.  0 or -errno. */
int sim_rs_need(struct sim_rs *rs, uint32_t what);
/* Pointers into KVM's structs by hypervisor numbering. */
__u64 *sim_reg_gpr(struct kvm_regs *r, uint32_t n);
struct kvm_segment *sim_reg_seg(struct kvm_sregs *s, uint32_t n);
__u64 *sim_reg_cr(struct kvm_sregs *s, uint32_t n);
__u64 *sim_reg_dr(struct kvm_debugregs *d, uint32_t n);

#endif /* NIMBUS_TESTS_MSHV_SIM_REGS_H */
