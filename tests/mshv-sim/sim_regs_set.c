// SPDX-License-Identifier: Apache-2.0
/*
 * sim_regs_set.c - HVCALL_SET_VP_REGISTERS of the MSHV simulator: each
 * register is written into the KVM state its name maps to (sim_regs.c),
 * loaded once per call; what changed is written back at the end, sregs
 * first (so CR2 is in place before an exception queued through
 * PENDING_EVENT0), GPRs into the VP's cache (KVM gets them before the
 * next KVM_RUN), then FPU, XCR0, debug registers, MSRs and events.  As
 * the hypervisor does, the registers before a failing one are applied and
 * the completed count says how many.
 */
#define LOG_MOD "mshv-sim"

#include <errno.h>
#include <string.h>

#include "tests/mshv-sim/sim_regs.h"

/* Queue an exception from a PENDING_EVENT0 value. */
static int sim_set_event0(struct sim_rs *rs, const union hv_register_value *v)
{
	const struct hv_x64_pending_exception_event *e = &v->pending_exception;
	uint32_t type = (e->word0 >> HV_X64_PENDING_EVENT_TYPE_SHIFT) & 7;
	uint32_t vec = e->word0 >> HV_X64_PENDING_EVENT_VECTOR_SHIFT;
	struct sim_vp *vp = rs->vp;
	int ret;

	if (!(e->word0 & HV_X64_PENDING_EVENT_PENDING)) {
		rs->ev.exception.injected = 0;
		return 0;
	}
	if (type != HV_X64_PENDING_EVENT_EXCEPTION)
		return sim_unsupported(vp->part->sim,
				       "PENDING_EVENT0 of event type %u", type);
	if (vec >= 32)
		return HV_STATUS_INVALID_PARAMETER;
	if (vec == 14) { /* #PF: the parameter is CR2 */
		ret = sim_vp_load_sregs(vp);
		if (ret < 0)
			return ret;
		vp->sregs.cr2 = e->exception_parameter;
		rs->dirty |= SIM_S_SREGS;
	}
	rs->ev.exception.injected = 1;
	rs->ev.exception.nr = (uint8_t)vec;
	rs->ev.exception.has_error_code =
		!!(e->word0 & HV_X64_PENDING_EVENT_DELIVER_ERROR_CODE);
	rs->ev.exception.error_code = e->error_code;
	return 0;
}

static void sim_set_xcr0(struct kvm_xcrs *x, uint64_t v)
{
	memset(x, 0, sizeof(*x));
	x->nr_xcrs = 1;
	x->xcrs[0].xcr = 0;
	x->xcrs[0].value = v;
}

static int sim_set_one(struct sim_rs *rs, int kind, uint32_t arg,
		       const union hv_register_value *v)
{
	struct sim_vp *vp = rs->vp;
	uint32_t st = sim_reg_state(kind);
	int ret;

	if ((!st && kind != SIM_R_MSR) || kind == SIM_R_PEND_INT)
		return -EROFS; /* read-only here */
	ret = st ? sim_rs_need(rs, st) : 0;
	if (ret < 0)
		return ret;
	rs->dirty |= st;
	switch (kind) {
	case SIM_R_GPR:
		*sim_reg_gpr(&vp->regs, arg) = v->reg64;
		return 0;
	case SIM_R_RIP:
		vp->regs.rip = v->reg64;
		return 0;
	case SIM_R_RFLAGS:
		vp->regs.rflags = v->reg64;
		return 0;
	case SIM_R_SEG:
		sim_seg_from_hv(sim_reg_seg(&vp->sregs, arg), &v->segment);
		return 0;
	case SIM_R_IDTR:
		vp->sregs.idt.base = v->table.base;
		vp->sregs.idt.limit = v->table.limit;
		return 0;
	case SIM_R_GDTR:
		vp->sregs.gdt.base = v->table.base;
		vp->sregs.gdt.limit = v->table.limit;
		return 0;
	case SIM_R_CR:
		*sim_reg_cr(&vp->sregs, arg) = v->reg64;
		return 0;
	case SIM_R_EFER:
		vp->sregs.efer = v->reg64;
		return 0;
	case SIM_R_APIC_BASE:
		vp->sregs.apic_base = v->reg64;
		return 0;
	case SIM_R_MSR:
		rs->msr[rs->nr_msrs].index = arg;
		rs->msr[rs->nr_msrs].data = v->reg64;
		rs->nr_msrs++;
		return 0;
	case SIM_R_XMM:
		memcpy(rs->fpu.xmm[arg & 15], &v->reg128, 16);
		return 0;
	case SIM_R_FPR:
		memcpy(rs->fpu.fpr[arg & 7], &v->reg128, 16);
		return 0;
	case SIM_R_FPCS:
		rs->fpu.fcw = v->fp_control_status.fp_control;
		rs->fpu.fsw = v->fp_control_status.fp_status;
		rs->fpu.ftwx = v->fp_control_status.fp_tag;
		rs->fpu.last_opcode = v->fp_control_status.last_fp_op;
		rs->fpu.last_ip = v->fp_control_status.last_fp_rip;
		return 0;
	case SIM_R_XMMCS:
		rs->fpu.last_dp = v->xmm_control_status.last_fp_rdp;
		rs->fpu.mxcsr = v->xmm_control_status.xmm_status_control;
		return 0;
	case SIM_R_DR:
		*sim_reg_dr(&rs->dbg, arg) = v->reg64;
		return 0;
	case SIM_R_XCR0:
		sim_set_xcr0(&rs->xcrs, v->reg64);
		return 0;
	case SIM_R_ISTATE:
		rs->ev.interrupt.shadow =
			(v->reg64 & 1) ? KVM_X86_SHADOW_INT_MOV_SS : 0;
		rs->ev.nmi.masked = !!(v->reg64 & 2);
		rs->ev.flags |= KVM_VCPUEVENT_VALID_SHADOW;
		return 0;
	case SIM_R_PEND_EV0:
		return sim_set_event0(rs, v);
	default:
		return -EROFS;
	}
}

/* Write back what the call changed, sregs first. */
static int sim_rs_flush(struct sim_rs *rs)
{
	struct sim_vp *vp = rs->vp;
	int ret = 0;

	if (rs->dirty & SIM_S_SREGS) {
		ret = sim_kvm_ioctl(vp->fd, KVM_SET_SREGS, &vp->sregs);
		if (ret < 0) {
			vp->sregs_valid = false;
			return ret;
		}
	}
	if (rs->dirty & SIM_S_REGS)
		sim_vp_regs_changed(vp); /* KVM gets them before KVM_RUN */
	if (!ret && (rs->dirty & SIM_S_FPU))
		ret = sim_kvm_ioctl(vp->fd, KVM_SET_FPU, &rs->fpu);
	if (!ret && (rs->dirty & SIM_S_XCRS))
		ret = sim_kvm_ioctl(vp->fd, KVM_SET_XCRS, &rs->xcrs);
	if (!ret && (rs->dirty & SIM_S_DBG))
		ret = sim_kvm_ioctl(vp->fd, KVM_SET_DEBUGREGS, &rs->dbg);
	if (!ret && rs->nr_msrs) {
		rs->msrs.nmsrs = rs->nr_msrs;
		ret = sim_kvm_ioctl(vp->fd, KVM_SET_MSRS, &rs->msrs);
		if (ret >= 0 && ret < (int)rs->nr_msrs) {
			sim_err(vp->part->sim, "KVM refused MSR %#x = %#llx",
				rs->msr[ret].index,
				(unsigned long long)rs->msr[ret].data);
			return HV_STATUS_INVALID_PARAMETER;
		}
		ret = ret < 0 ? ret : 0;
	}
	if (!ret && (rs->dirty & SIM_S_EV))
		ret = sim_kvm_ioctl(vp->fd, KVM_SET_VCPU_EVENTS, &rs->ev);
	return ret;
}

int sim_regs_set(struct sim_vp *vp, const struct hv_register_assoc *regs,
		 uint32_t n, uint32_t *done)
{
	struct mshv_sim *sim = vp->part->sim;
	struct sim_rs rs;
	uint32_t i, arg;
	int kind, ret = 0, fret;

	memset(&rs, 0, sizeof(rs));
	rs.vp = vp;
	for (i = 0; i < n && !ret; i++) {
		kind = sim_reg_resolve(regs[i].name, &arg);
		if (kind == SIM_R_NONE) {
			ret = sim_unsupported(
				sim, "SET_VP_REGISTERS of register %#x",
				regs[i].name);
			break;
		}
		ret = sim_set_one(&rs, kind, arg, &regs[i].value);
		if (ret == -EROFS)
			ret = sim_unsupported(
				sim,
				"SET_VP_REGISTERS of read-only register %#x",
				regs[i].name);
		if (ret)
			break;
	}
	*done = i;
	/* What came before a failure is applied, as the hypervisor does. */
	fret = sim_rs_flush(&rs);
	if (fret == -EINVAL) {
		sim_debug(sim, "VP %u: KVM refused the register state",
			  vp->index);
		fret = HV_STATUS_INVALID_REGISTER_VALUE;
	}
	if (fret && !ret) {
		*done = 0;
		ret = fret;
	}
	return ret;
}
