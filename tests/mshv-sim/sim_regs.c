// SPDX-License-Identifier: Apache-2.0
/*
 * sim_regs.c - registers of the MSHV simulator: each hypervisor register
 * name maps to a piece of KVM vCPU state (kvm_regs, kvm_sregs, an MSR,
 * kvm_fpu, kvm_debugregs, XCR0, kvm_vcpu_events, the LAPIC) loaded on
 * first use in a hypercall; the VP's register cache (GPRs and sregs,
 * filled from kvm_run's sync area at each exit, GPR writes handed to KVM
 * just before the next KVM_RUN); and HVCALL_GET_VP_REGISTERS.  SET is in
 * sim_regs_set.c.
 *
 * Not simulated (loud -EOPNOTSUPP): Hyper-V synthetic registers (SynIC,
 * timers, hypercall page: the guest sees KVM, not Hyper-V), writes to
 * read-only or suspend registers, PENDING_EVENT1, and events other than
 * exceptions in PENDING_EVENT0.  INTERMEDIATE_CRx are the plain CRx (no
 * nested hypervisor).
 */
#define LOG_MOD "mshv-sim"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "tests/mshv-sim/sim_regs.h"

/* Hypervisor register names -> MSR index (reference section 4.3). */
static const struct {
	uint32_t name, msr;
} sim_msr_regs[] = {
	{ HV_X64_REGISTER_TSC, 0x10 },
	{ HV_X64_REGISTER_KERNEL_GS_BASE, 0xc0000102 },
	{ HV_X64_REGISTER_PAT, 0x277 },
	{ HV_X64_REGISTER_SYSENTER_CS, 0x174 },
	{ HV_X64_REGISTER_SYSENTER_EIP, 0x176 },
	{ HV_X64_REGISTER_SYSENTER_ESP, 0x175 },
	{ HV_X64_REGISTER_STAR, 0xc0000081 },
	{ HV_X64_REGISTER_LSTAR, 0xc0000082 },
	{ HV_X64_REGISTER_CSTAR, 0xc0000083 },
	{ HV_X64_REGISTER_SFMASK, 0xc0000084 },
	{ HV_X64_REGISTER_MTRR_CAP, 0xfe },
	{ HV_X64_REGISTER_MTRR_DEF_TYPE, 0x2ff },
	{ 0x00080070, 0x250 }, /* MTRR_FIX64K_00000 */
	{ 0x00080071, 0x258 }, /* MTRR_FIX16K_80000 */
	{ 0x00080072, 0x259 }, /* MTRR_FIX16K_A0000 */
	{ HV_X64_REGISTER_TSC_AUX, 0xc0000103 },
	{ 0x0008007c, 0xd90 }, /* BNDCFGS */
	{ 0x0008007d, 0x1d9 }, /* DEBUG_CTL */
	{ 0x00080084, 0x48 }, /* SPEC_CTRL */
	{ 0x00080085, 0x49 }, /* PRED_CMD */
	{ 0x00080086, 0xc001011f }, /* VIRT_SPEC_CTRL */
	{ 0x0008008b, 0xda0 }, /* U_XSS (IA32_XSS) */
	{ 0x0008008c, 0x6a0 }, /* U_CET */
	{ 0x0008008d, 0x6a2 }, /* S_CET */
	{ 0x0008008f, 0x6a4 }, /* PL0_SSP */
	{ 0x00080090, 0x6a5 },
	{ 0x00080091, 0x6a6 },
	{ 0x00080092, 0x6a7 }, /* PL3_SSP */
	{ 0x00080093, 0x6a8 }, /* INTERRUPT_SSP_TABLE_ADDR */
	{ HV_X64_REGISTER_TSC_ADJUST, 0x3b },
	{ HV_X64_REGISTER_MISC_ENABLE, 0x1a0 },
	{ 0x000800a1, 0x3a }, /* IA32_FEATURE_CONTROL */
};

#define SIM_NR_MSR_REGS (sizeof(sim_msr_regs) / sizeof(sim_msr_regs[0]))

int sim_reg_resolve(uint32_t name, uint32_t *arg)
{
	static const uint8_t crs[] = { 0, 2, 3, 4, 8 };
	uint32_t i;

	*arg = name & 0xff;
	if (name >= HV_X64_REGISTER_RAX && name <= HV_X64_REGISTER_R15)
		return SIM_R_GPR;
	if (name >= HV_X64_REGISTER_XMM0 && name <= HV_X64_REGISTER_XMM0 + 15)
		return SIM_R_XMM;
	if (name >= HV_X64_REGISTER_FP_MMX0 &&
	    name <= HV_X64_REGISTER_FP_MMX0 + 7) {
		*arg = name - HV_X64_REGISTER_FP_MMX0;
		return SIM_R_FPR;
	}
	if (name >= HV_X64_REGISTER_ES && name <= HV_X64_REGISTER_TR)
		return SIM_R_SEG;
	if ((name >= HV_X64_REGISTER_CR0 && name <= HV_X64_REGISTER_CR8) ||
	    name == HV_X64_REGISTER_INTERMEDIATE_CR0 ||
	    (name >= HV_X64_REGISTER_INTERMEDIATE_CR3 &&
	     name <= HV_X64_REGISTER_INTERMEDIATE_CR8)) {
		*arg = crs[name & 0xf];
		return SIM_R_CR;
	}
	if (name >= HV_X64_REGISTER_DR0 && name <= HV_X64_REGISTER_DR7) {
		*arg = (name & 0xf) < 4 ? (name & 0xf) : (name & 0xf) + 2;
		return SIM_R_DR;
	}
	if (name >= 0x00080010 && name <= 0x0008001f) { /* MTRR_PHYS_BASEn */
		*arg = 0x200 + 2 * (name & 0xf);
		return SIM_R_MSR;
	}
	if (name >= 0x00080040 && name <= 0x0008004f) { /* MTRR_PHYS_MASKn */
		*arg = 0x201 + 2 * (name & 0xf);
		return SIM_R_MSR;
	}
	if (name >= 0x00080073 && name <= 0x0008007a) { /* MTRR_FIX4K_* */
		*arg = 0x268 + (name - 0x00080073);
		return SIM_R_MSR;
	}
	for (i = 0; i < SIM_NR_MSR_REGS; i++) {
		if (sim_msr_regs[i].name == name) {
			*arg = sim_msr_regs[i].msr;
			return SIM_R_MSR;
		}
	}
	switch (name) {
	case HV_X64_REGISTER_RIP:
		return SIM_R_RIP;
	case HV_X64_REGISTER_RFLAGS:
		return SIM_R_RFLAGS;
	case HV_X64_REGISTER_IDTR:
		return SIM_R_IDTR;
	case HV_X64_REGISTER_GDTR:
		return SIM_R_GDTR;
	case HV_X64_REGISTER_EFER:
		return SIM_R_EFER;
	case HV_X64_REGISTER_APIC_BASE:
		return SIM_R_APIC_BASE;
	case HV_X64_REGISTER_FP_CONTROL_STATUS:
		return SIM_R_FPCS;
	case HV_X64_REGISTER_XMM_CONTROL_STATUS:
		return SIM_R_XMMCS;
	case HV_X64_REGISTER_XFEM:
		return SIM_R_XCR0;
	case HV_X64_REGISTER_INTERRUPT_STATE:
		return SIM_R_ISTATE;
	case HV_X64_REGISTER_PENDING_INTERRUPTION:
		return SIM_R_PEND_INT;
	case HV_X64_REGISTER_PENDING_EVENT0:
		return SIM_R_PEND_EV0;
	case HV_REGISTER_VP_INDEX:
	case HV_X64_REGISTER_INITIAL_APIC_ID:
		return SIM_R_VP_INDEX;
	case HV_X64_REGISTER_APIC_ID:
		return SIM_R_APIC_ID;
	case HV_X64_REGISTER_APIC_VERSION:
		return SIM_R_APIC_VER;
	case HV_REGISTER_INTERNAL_ACTIVITY_STATE:
		return SIM_R_ACTIVITY;
	default:
		return SIM_R_NONE;
	}
}

int sim_vp_load_regs(struct sim_vp *vp)
{
	int ret;

	if (vp->regs_valid)
		return 0;
	ret = sim_kvm_ioctl(vp->fd, KVM_GET_REGS, &vp->regs);
	vp->regs_valid = !ret;
	return ret;
}

int sim_vp_load_sregs(struct sim_vp *vp)
{
	int ret;

	if (vp->sregs_valid)
		return 0;
	ret = sim_kvm_ioctl(vp->fd, KVM_GET_SREGS, &vp->sregs);
	vp->sregs_valid = !ret;
	return ret;
}

void sim_vp_regs_changed(struct sim_vp *vp)
{
	vp->regs_valid = true;
	vp->regs_dirty = true;
}

int sim_vp_push_regs(struct sim_vp *vp)
{
	struct kvm_run *run = vp->run;
	int ret;

	if (!vp->regs_dirty)
		return 0;
	if (vp->part->sync_regs) {
		run->s.regs.regs = vp->regs;
		run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
		return 0;
	}
	ret = sim_kvm_ioctl(vp->fd, KVM_SET_REGS, &vp->regs);
	if (!ret)
		vp->regs_dirty = false;
	return ret;
}

void sim_vp_pull_regs(struct sim_vp *vp)
{
	struct kvm_run *run = vp->run;

	if (!vp->part->sync_regs) {
		vp->regs_valid = vp->regs_dirty;
		vp->sregs_valid = false;
		return;
	}
	/* KVM fills the sync area on every return; an early return (a VP
	 * waiting for SIPI) may leave our GPRs unconsumed: keep them. */
	if (!(run->kvm_dirty_regs & KVM_SYNC_X86_REGS)) {
		vp->regs = run->s.regs.regs;
		vp->regs_valid = true;
		vp->regs_dirty = false;
	}
	vp->sregs = run->s.regs.sregs;
	vp->sregs_valid = true;
}

int sim_rs_need(struct sim_rs *rs, uint32_t what)
{
	static const struct {
		uint32_t bit;
		unsigned long get;
		size_t off;
	} st[] = {
		{ SIM_S_FPU, KVM_GET_FPU, offsetof(struct sim_rs, fpu) },
		{ SIM_S_DBG, KVM_GET_DEBUGREGS, offsetof(struct sim_rs, dbg) },
		{ SIM_S_EV, KVM_GET_VCPU_EVENTS, offsetof(struct sim_rs, ev) },
		{ SIM_S_XCRS, KVM_GET_XCRS, offsetof(struct sim_rs, xcrs) },
	};
	uint32_t i;
	int ret;

	if (what == SIM_S_REGS)
		return sim_vp_load_regs(rs->vp);
	if (what == SIM_S_SREGS)
		return sim_vp_load_sregs(rs->vp);
	if (rs->have & what)
		return 0;
	for (i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
		if (st[i].bit != what)
			continue;
		ret = sim_kvm_ioctl(rs->vp->fd, st[i].get,
				    (char *)rs + st[i].off);
		if (ret < 0)
			return ret;
		rs->have |= what;
		return 0;
	}
	return -EINVAL;
}

__u64 *sim_reg_gpr(struct kvm_regs *r, uint32_t n)
{
	__u64 *g[16] = { &r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp,
			 &r->rsi, &r->rdi, &r->r8,  &r->r9,  &r->r10, &r->r11,
			 &r->r12, &r->r13, &r->r14, &r->r15 };

	return g[n & 15];
}

struct kvm_segment *sim_reg_seg(struct kvm_sregs *s, uint32_t n)
{
	struct kvm_segment *g[8] = { &s->es, &s->cs, &s->ss,  &s->ds,
				     &s->fs, &s->gs, &s->ldt, &s->tr };

	return g[n & 7];
}

__u64 *sim_reg_cr(struct kvm_sregs *s, uint32_t n)
{
	switch (n) {
	case 0:
		return &s->cr0;
	case 2:
		return &s->cr2;
	case 3:
		return &s->cr3;
	case 4:
		return &s->cr4;
	default:
		return &s->cr8;
	}
}

__u64 *sim_reg_dr(struct kvm_debugregs *d, uint32_t n)
{
	if (n < 4)
		return &d->db[n];
	return n == 6 ? &d->dr6 : &d->dr7;
}

/* Which state a register kind lives in. */
uint32_t sim_reg_state(int kind)
{
	switch (kind) {
	case SIM_R_GPR:
	case SIM_R_RIP:
	case SIM_R_RFLAGS:
		return SIM_S_REGS;
	case SIM_R_SEG:
	case SIM_R_IDTR:
	case SIM_R_GDTR:
	case SIM_R_CR:
	case SIM_R_EFER:
	case SIM_R_APIC_BASE:
		return SIM_S_SREGS;
	case SIM_R_XMM:
	case SIM_R_FPR:
	case SIM_R_FPCS:
	case SIM_R_XMMCS:
		return SIM_S_FPU;
	case SIM_R_DR:
		return SIM_S_DBG;
	case SIM_R_XCR0:
		return SIM_S_XCRS;
	case SIM_R_ISTATE:
	case SIM_R_PEND_INT:
	case SIM_R_PEND_EV0:
		return SIM_S_EV;
	default:
		return 0;
	}
}

static uint64_t sim_xcr0(const struct kvm_xcrs *x)
{
	uint32_t i;

	for (i = 0; i < x->nr_xcrs && i < KVM_MAX_XCRS; i++)
		if (x->xcrs[i].xcr == 0)
			return x->xcrs[i].value;
	return 0;
}

/* PENDING_INTERRUPTION from KVM's injected event (TLFS layout). */
static uint64_t sim_pend_int(const struct kvm_vcpu_events *ev)
{
	uint64_t v = 0;

	if (ev->exception.injected) {
		v = 1 | 3u << 1 | (uint64_t)ev->exception.nr << 16;
		if (ev->exception.has_error_code)
			v |= 1u << 4 | (uint64_t)ev->exception.error_code << 32;
	} else if (ev->nmi.injected) {
		v = 1 | 2u << 1 | 2ull << 16;
	} else if (ev->interrupt.injected) {
		v = 1 | (uint64_t)ev->interrupt.nr << 16;
	}
	return v;
}

static int sim_get_lapic_reg(struct sim_vp *vp, uint32_t off, uint32_t *v)
{
	struct kvm_lapic_state l;
	int ret = sim_kvm_ioctl(vp->fd, KVM_GET_LAPIC, &l);

	if (!ret)
		memcpy(v, &l.regs[off], sizeof(*v));
	return ret;
}

static int sim_get_one(struct sim_rs *rs, int kind, uint32_t arg,
		       union hv_register_value *v)
{
	struct sim_vp *vp = rs->vp;
	struct kvm_msrs *m = &rs->msrs;
	struct kvm_mp_state mp;
	uint32_t u32 = 0;
	int ret;

	ret = sim_reg_state(kind) ? sim_rs_need(rs, sim_reg_state(kind)) : 0;
	if (ret < 0)
		return ret;
	switch (kind) {
	case SIM_R_GPR:
		v->reg64 = *sim_reg_gpr(&vp->regs, arg);
		return 0;
	case SIM_R_RIP:
		v->reg64 = vp->regs.rip;
		return 0;
	case SIM_R_RFLAGS:
		v->reg64 = vp->regs.rflags;
		return 0;
	case SIM_R_SEG:
		sim_seg_to_hv(&v->segment, sim_reg_seg(&vp->sregs, arg));
		return 0;
	case SIM_R_IDTR:
	case SIM_R_GDTR:
		v->table.base = kind == SIM_R_IDTR ? vp->sregs.idt.base :
						     vp->sregs.gdt.base;
		v->table.limit = kind == SIM_R_IDTR ? vp->sregs.idt.limit :
						      vp->sregs.gdt.limit;
		return 0;
	case SIM_R_CR:
		v->reg64 = *sim_reg_cr(&vp->sregs, arg);
		return 0;
	case SIM_R_EFER:
		v->reg64 = vp->sregs.efer;
		return 0;
	case SIM_R_APIC_BASE:
		v->reg64 = vp->sregs.apic_base;
		return 0;
	case SIM_R_MSR:
		memset(m, 0, sizeof(*m));
		memset(&rs->msr[0], 0, sizeof(rs->msr[0]));
		m->nmsrs = 1;
		rs->msr[0].index = arg;
		ret = sim_kvm_ioctl(vp->fd, KVM_GET_MSRS, m);
		if (ret < 0)
			return ret;
		if (ret != 1)
			return HV_STATUS_INVALID_PARAMETER;
		v->reg64 = rs->msr[0].data;
		return 0;
	case SIM_R_XMM:
		memcpy(&v->reg128, rs->fpu.xmm[arg & 15], 16);
		return 0;
	case SIM_R_FPR:
		memcpy(&v->reg128, rs->fpu.fpr[arg & 7], 16);
		return 0;
	case SIM_R_FPCS:
		v->fp_control_status.fp_control = rs->fpu.fcw;
		v->fp_control_status.fp_status = rs->fpu.fsw;
		v->fp_control_status.fp_tag = rs->fpu.ftwx;
		v->fp_control_status.last_fp_op = rs->fpu.last_opcode;
		v->fp_control_status.last_fp_rip = rs->fpu.last_ip;
		return 0;
	case SIM_R_XMMCS:
		v->xmm_control_status.last_fp_rdp = rs->fpu.last_dp;
		v->xmm_control_status.xmm_status_control = rs->fpu.mxcsr;
		return 0;
	case SIM_R_DR:
		v->reg64 = *sim_reg_dr(&rs->dbg, arg);
		return 0;
	case SIM_R_XCR0:
		v->reg64 = sim_xcr0(&rs->xcrs);
		return 0;
	case SIM_R_ISTATE:
		v->reg64 = (rs->ev.interrupt.shadow ? 1 : 0) |
			   (rs->ev.nmi.masked ? 2 : 0);
		return 0;
	case SIM_R_PEND_INT:
		v->reg64 = sim_pend_int(&rs->ev);
		return 0;
	case SIM_R_PEND_EV0:
		if (!rs->ev.exception.injected)
			return 0;
		v->pending_exception.word0 =
			HV_X64_PENDING_EVENT_PENDING |
			(uint32_t)rs->ev.exception.nr
				<< HV_X64_PENDING_EVENT_VECTOR_SHIFT;
		if (rs->ev.exception.has_error_code) {
			v->pending_exception.word0 |=
				HV_X64_PENDING_EVENT_DELIVER_ERROR_CODE;
			v->pending_exception.error_code =
				rs->ev.exception.error_code;
		}
		return 0;
	case SIM_R_VP_INDEX:
		v->reg64 = vp->index;
		return 0;
	case SIM_R_APIC_ID:
	case SIM_R_APIC_VER:
		ret = sim_get_lapic_reg(vp, kind == SIM_R_APIC_ID ? 0x20 : 0x30,
					&u32);
		v->reg64 = kind == SIM_R_APIC_ID ? u32 >> 24 : u32;
		return ret;
	case SIM_R_ACTIVITY:
		ret = sim_kvm_ioctl(vp->fd, KVM_GET_MP_STATE, &mp);
		if (ret < 0)
			return ret;
		if (mp.mp_state == KVM_MP_STATE_HALTED)
			v->reg64 = 2; /* halt_suspend */
		else if (mp.mp_state != KVM_MP_STATE_RUNNABLE)
			v->reg64 = 1; /* startup_suspend: waits for SIPI */
		return 0;
	default:
		return -EINVAL;
	}
}

int sim_regs_get(struct sim_vp *vp, const uint32_t *names,
		 union hv_register_value *vals, uint32_t n, uint32_t *done)
{
	struct sim_rs rs;
	uint32_t i, arg;
	int kind, ret;

	memset(&rs, 0, sizeof(rs));
	rs.vp = vp;
	for (i = 0; i < n; i++) {
		memset(&vals[i], 0, sizeof(vals[i]));
		kind = sim_reg_resolve(names[i], &arg);
		if (kind == SIM_R_NONE) {
			*done = i;
			return sim_unsupported(
				vp->part->sim,
				"GET_VP_REGISTERS of register %#x", names[i]);
		}
		ret = sim_get_one(&rs, kind, arg, &vals[i]);
		if (ret) {
			*done = i;
			if (ret == HV_STATUS_INVALID_PARAMETER)
				sim_err(vp->part->sim,
					"KVM cannot read MSR %#x (register %#x)",
					arg, names[i]);
			return ret;
		}
	}
	*done = n;
	return HV_STATUS_SUCCESS;
}
