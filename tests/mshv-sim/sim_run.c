// SPDX-License-Identifier: Apache-2.0
/*
 * sim_run.c - MSHV_RUN_VP of the MSHV simulator: KVM_RUN, with each KVM
 * exit turned into the hv_message the hypervisor would send.
 *
 *   KVM_EXIT_IO, _MMIO    port I/O and memory intercepts (sim_exit.c)
 *   KVM_EXIT_IOAPIC_EOI   HVMSG_X64_APIC_EOI (the guest EOI'd a vector of
 *                         a level-triggered route on an IOAPIC GSI)
 *   KVM_EXIT_SHUTDOWN     HVMSG_UNRECOVERABLE_EXCEPTION (triple fault)
 *   KVM_EXIT_FAIL_ENTRY   HVMSG_INVALID_VP_REGISTER_VALUE
 *   KVM_EXIT_HLT          HVMSG_X64_HALT (KVM's in-kernel LAPIC keeps HLT
 *                         inside, as the hypervisor does: not expected)
 *   KVM_EXIT_X86_*MSR     answered here for unknown MSRs, following
 *                         UNIMPLEMENTED_MSR_ACTION (no message: MSHV
 *                         reports MSRs only with an installed intercept)
 *   anything else         an error line and -EIO / -EOPNOTSUPP
 *
 * Kicks: sys->kick sets vp->kick_pending and kvm_run.immediate_exit, then
 * signals the thread, so a kick landing just before KVM_RUN is not lost
 * (KVM returns EINTR at once).  A flush (sim_exit.c) uses immediate_exit
 * too and leaves it set again if a kick arrived meanwhile.
 *
 * Registers: with KVM_CAP_SYNC_REGS, KVM stores the GPRs and sregs in
 * kvm_run at every return and takes dirty GPRs from there at entry, so an
 * exit costs no register ioctl.
 */
#define LOG_MOD "mshv-sim"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "tests/mshv-sim/sim.h"

static void sim_consume_kick(struct sim_vp *vp)
{
	__atomic_exchange_n(&vp->kick_pending, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&vp->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
}

/* A message with just the intercept header (halt, triple fault). */
static int sim_exit_hdr_only(struct sim_vp *vp, struct hv_message *msg,
			     uint32_t type)
{
	int ret = sim_vp_load_regs(vp);

	if (!ret)
		ret = sim_vp_load_sregs(vp);
	if (ret < 0)
		return ret;
	msg->header.message_type = type;
	msg->header.payload_size = sizeof(msg->u.x64_hdr);
	sim_intercept_hdr(&msg->u.x64_hdr, vp->index, &vp->regs, &vp->sregs,
			  HV_INTERCEPT_ACCESS_READ, 0);
	sim_stat_add(vp->part, other_msgs);
	return 1;
}

/* An unknown MSR: MSHV answers per UNIMPLEMENTED_MSR_ACTION itself. */
static int sim_exit_msr(struct sim_vp *vp)
{
	struct kvm_run *run = vp->run;
	bool rd = run->exit_reason == KVM_EXIT_X86_RDMSR;
	bool ignore;

	pthread_mutex_lock(&vp->part->lock);
	ignore = vp->part->msr_action ==
		 HV_UNIMPLEMENTED_MSR_ACTION_IGNORE_WRITE_READ_ZERO;
	pthread_mutex_unlock(&vp->part->lock);
	run->msr.error = ignore ? 0 : 1;
	if (rd)
		run->msr.data = 0;
	sim_stat_add(vp->part, msr_internal);
	if (sim_rl_ok(&vp->rl))
		sim_debug(vp->part->sim, "VP %u: unimplemented MSR %#x %s: %s",
			  vp->index, run->msr.index, rd ? "read" : "write",
			  ignore ? "ignored" : "#GP");
	return 0;
}

/* 1 with *msg filled, 0 handled here (run again), or -errno. */
static int sim_exit(struct sim_vp *vp, struct hv_message *msg)
{
	struct kvm_run *run = vp->run;
	uint32_t i;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		return sim_exit_io(vp, msg);
	case KVM_EXIT_MMIO:
		return sim_exit_mmio(vp, msg);
	case KVM_EXIT_IOAPIC_EOI:
		msg->header.message_type = HVMSG_X64_APIC_EOI;
		msg->header.payload_size = sizeof(msg->u.x64_eoi);
		msg->u.x64_eoi.vp_index = vp->index;
		msg->u.x64_eoi.interrupt_vector = run->eoi.vector;
		sim_stat_add(vp->part, eoi);
		return 1;
	case KVM_EXIT_SHUTDOWN:
		return sim_exit_hdr_only(vp, msg,
					 HVMSG_UNRECOVERABLE_EXCEPTION);
	case KVM_EXIT_HLT:
		return sim_exit_hdr_only(vp, msg, HVMSG_X64_HALT);
	case KVM_EXIT_FAIL_ENTRY:
		sim_err(vp->part->sim, "VP %u: KVM entry failed, reason %#llx",
			vp->index,
			(unsigned long long)
				run->fail_entry.hardware_entry_failure_reason);
		msg->header.message_type = HVMSG_INVALID_VP_REGISTER_VALUE;
		msg->header.payload_size = sizeof(msg->u.invalid_reg);
		msg->u.invalid_reg.vp_index = vp->index;
		sim_stat_add(vp->part, other_msgs);
		return 1;
	case KVM_EXIT_X86_RDMSR:
	case KVM_EXIT_X86_WRMSR:
		return sim_exit_msr(vp);
	case KVM_EXIT_INTERNAL_ERROR:
		sim_err(vp->part->sim, "VP %u: KVM internal error %u (%u data)",
			vp->index, run->internal.suberror, run->internal.ndata);
		for (i = 0; i < run->internal.ndata && i < 4; i++)
			sim_err(vp->part->sim, "  data[%u] = %#llx", i,
				(unsigned long long)run->internal.data[i]);
		return -EIO;
	default:
		return sim_unsupported(vp->part->sim, "KVM exit %u on VP %u",
				       run->exit_reason, vp->index);
	}
}

int sim_vp_run(struct sim_vp *vp, struct hv_message *msg)
{
	struct kvm_run *run = vp->run;
	int ret;

	sim_stat_add(vp->part, runs);
	for (;;) {
		/* A kick whose flag a flush cleared: KVM completes what is
		 * pending and returns EINTR at once. */
		if (__atomic_load_n(&vp->kick_pending, __ATOMIC_SEQ_CST))
			__atomic_store_n(&run->immediate_exit, 1,
					 __ATOMIC_SEQ_CST);
		ret = sim_vp_push_regs(vp);
		if (ret < 0)
			return ret;
		vp->ran = true;
		ret = ioctl(vp->fd, KVM_RUN, 0) < 0 ? -errno : 0;
		sim_vp_pull_regs(vp);
		if (ret == -EINTR || ret == -EAGAIN) {
			sim_consume_kick(vp);
			sim_stat_add(vp->part, intr);
			return -EINTR;
		}
		if (ret < 0) {
			if (sim_rl_ok(&vp->rl))
				sim_err(vp->part->sim, "VP %u: KVM_RUN: %s",
					vp->index, strerror(-ret));
			return ret;
		}
		memset(msg, 0, sizeof(*msg));
		ret = sim_exit(vp, msg);
		if (ret)
			return ret < 0 ? ret : 0;
	}
}
