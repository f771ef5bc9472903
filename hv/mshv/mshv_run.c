// SPDX-License-Identifier: Apache-2.0
/*
 * mshv_run.c - the run loop of the MSHV plugin and the arch-neutral
 * messages.
 *
 * MSHV_RUN_VP blocks until an intercept the kernel does not handle and
 * returns it as a 256-byte hv_message.  The hypervisor does not complete
 * the intercepted instruction: the plugin writes the results (RAX, RIP,
 * ...) through SET_VP_REGISTERS before the next run, either at once (for
 * what it handles itself) or on re-entry once the host has filled the
 * data of an HV_EXIT_PIO/HV_EXIT_MSR (vcpu->pending).
 *
 * The message is untrusted input: its type, size and every field the
 * decoders use are checked; anything malformed or unknown becomes
 * HV_EXIT_INTERNAL / HV_EXIT_UNKNOWN (logged, rate-limited), never a
 * crash.
 */
#define LOG_MOD "mshv"

#include <errno.h>
#include <string.h>

#include "hv/mshv/mshv_priv.h"

int mshv_exit_internal(struct hv_vcpu *vcpu, struct hv_exit *exit,
		       uint32_t suberror, const char *why)
{
	uint32_t type = vcpu->msg.header.message_type;

	exit->reason = HV_EXIT_INTERNAL;
	exit->u.fail.suberror = suberror;
	exit->u.fail.hw_reason = type;
	mshv_guest_warn(vcpu, "%s (message %#x)", why, type);
	return 0;
}

bool mshv_msg_has(struct hv_vcpu *vcpu, struct hv_exit *exit, uint32_t min)
{
	if (vcpu->msg.header.payload_size >= min)
		return true;
	mshv_exit_internal(vcpu, exit, MSHV_INTERNAL_BAD_MESSAGE,
			   "message payload too short");
	return false;
}

static int mshv_decode(struct hv_vcpu *vcpu, struct hv_exit *exit)
{
	const struct hv_message *m = &vcpu->msg;
	int ret;

	if (m->header.payload_size > HV_MESSAGE_PAYLOAD_BYTES)
		return mshv_exit_internal(vcpu, exit, MSHV_INTERNAL_BAD_MESSAGE,
					  "message payload too long");
	exit->pc = mshv_arch_msg_pc(m);
	switch (m->header.message_type) {
	case HVMSG_NONE:
		exit->reason = HV_EXIT_NONE;
		return 0;
	case HVMSG_UNRECOVERABLE_EXCEPTION:
		/* A triple fault: a PC resets (the VMM does). */
		exit->reason = HV_EXIT_SHUTDOWN;
		exit->flags |= HV_EXIT_F_TRIPLE_FAULT;
		return 0;
	case HVMSG_INVALID_VP_REGISTER_VALUE:
		exit->reason = HV_EXIT_FAIL_ENTRY;
		exit->u.fail.hw_reason = m->header.message_type;
		if (mshv_rl_ok(&vcpu->rl))
			mshv_err(
				vcpu->vm->hv,
				"vCPU %u: the hypervisor refused the register state",
				vcpu->id);
		return 0;
	case HVMSG_UNSUPPORTED_FEATURE:
		if (!mshv_msg_has(vcpu, exit, sizeof(m->u.unsupported)))
			return 0;
		mshv_exit_internal(vcpu, exit, MSHV_INTERNAL_UNSUPPORTED,
				   "unsupported feature");
		exit->u.fail.hw_reason = m->u.unsupported.feature_code;
		return 0;
	case HVMSG_TIMER_EXPIRED:
	case HVMSG_OPAQUE_INTERCEPT:
	case HVMSG_ASYNC_CALL_COMPLETION:
	case HVMSG_SCHEDULER_VP_SIGNAL_BITSET:
	case HVMSG_SCHEDULER_VP_SIGNAL_PAIR:
		/* Kernel-internal; nothing for us to do if one leaks. */
		exit->reason = HV_EXIT_NONE;
		return 0;
	default:
		break;
	}
	ret = mshv_arch_decode(vcpu, exit);
	if (ret != -ENOENT)
		return ret;
	exit->reason = HV_EXIT_UNKNOWN;
	exit->u.unknown.raw = m->header.message_type;
	mshv_guest_warn(vcpu, "unexpected message %#x", m->header.message_type);
	return 0;
}

int mshv_vcpu_run(struct hv_vcpu *vcpu, struct hv_exit *exit)
{
	int ret;

	/* Finish the previous exit first: its register writes must reach
	 * the VP even when this run is cut short by a kick. */
	if (vcpu->pending) {
		ret = mshv_arch_complete(vcpu, exit);
		vcpu->pending = MSHV_PEND_NONE;
		if (ret < 0)
			return ret;
	}
	memset(exit, 0, sizeof(*exit));
	if (__atomic_exchange_n(&vcpu->kicked, 0, __ATOMIC_SEQ_CST)) {
		exit->reason = HV_EXIT_INTR;
		return 0;
	}
	memset(&vcpu->msg, 0, sizeof(vcpu->msg));
	ret = vcpu->vm->hv->sys->ioctl(vcpu->vm->hv->sys->ctx, vcpu->fd,
				       MSHV_RUN_VP, &vcpu->msg);
	if (ret == -EINTR || ret == -EAGAIN) {
		__atomic_store_n(&vcpu->kicked, 0, __ATOMIC_SEQ_CST);
		exit->reason = HV_EXIT_INTR;
		return 0;
	}
	if (ret < 0) {
		if (mshv_rl_ok(&vcpu->rl))
			mshv_err(vcpu->vm->hv, "vCPU %u: MSHV_RUN_VP: %s",
				 vcpu->id, strerror(-ret));
		return ret;
	}
	return mshv_decode(vcpu, exit);
}
