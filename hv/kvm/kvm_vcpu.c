// SPDX-License-Identifier: Apache-2.0
/*
 * kvm_vcpu.c - the architecture-neutral half of the KVM plugin's vCPUs:
 * opening a vCPU and its kvm_run page, destroying it, the run loop, kicks
 * and the exits every architecture reports the same way.  The arch files
 * (kvm_x86_64.c, kvm_aarch64.c) add register setup, register access and
 * their own exits.
 *
 * Kick protocol: vcpu_kick sets kvm_run.immediate_exit and then signals
 * the vCPU thread (hv_host.kick_signo, handler installed without
 * SA_RESTART).  A kick that lands before KVM_RUN makes KVM return EINTR at
 * once; one that lands during KVM_RUN interrupts it through the signal.
 * vcpu_run clears the flag only when it reports HV_EXIT_INTR, so no kick
 * is lost.
 */
#define LOG_MOD "kvm"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hv/kvm/kvm_priv.h"

int kvm_vcpu_open(struct hv_vcpu *vcpu)
{
	struct hv_vm *vm = vcpu->vm;
	struct hv *hv = vm->hv;
	void *run;
	int ret;

	ret = kvm_ioctl(vm->fd, KVM_CREATE_VCPU,
			(void *)(uintptr_t)vcpu->kvm_id);
	if (ret < 0) {
		kvm_err(hv, "KVM_CREATE_VCPU %u: %s", vcpu->kvm_id,
			strerror(-ret));
		return ret;
	}
	vcpu->fd = ret;
	vm->vcpus_created++;
	run = mmap(NULL, hv->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   vcpu->fd, 0);
	if (run == MAP_FAILED) {
		ret = -errno;
		kvm_err(hv, "vCPU %u: mmap kvm_run: %s", vcpu->id,
			strerror(-ret));
		close(vcpu->fd);
		return ret;
	}
	vcpu->run = run;
	return 0;
}

void kvm_vcpu_close(struct hv_vcpu *vcpu)
{
	munmap(vcpu->run, vcpu->vm->hv->run_size);
	close(vcpu->fd);
}

/* KVM keeps the vCPU object until the VM goes away: its id cannot be
 * created again in the same VM. */
void kvm_vcpu_destroy(struct hv_vcpu *vcpu)
{
	if (!vcpu)
		return;
	kvm_vcpu_close(vcpu);
	vcpu->vm->nr_vcpus--;
	free(vcpu);
}

static int kvm_decode_mmio(struct hv_vcpu *vcpu, struct hv_exit *exit)
{
	struct kvm_run *run = vcpu->run;

	if (!run->mmio.len || run->mmio.len > sizeof(run->mmio.data)) {
		if (kvm_rl_ok(&vcpu->rl))
			kvm_err(vcpu->vm->hv, "vCPU %u: bad MMIO exit",
				vcpu->id);
		return -EIO;
	}
	exit->reason = HV_EXIT_MMIO;
	exit->u.mmio.gpa = run->mmio.phys_addr;
	exit->u.mmio.len = run->mmio.len;
	exit->u.mmio.write = !!run->mmio.is_write;
	if (run->mmio.is_write)
		memcpy(exit->u.mmio.data, run->mmio.data, run->mmio.len);
	else
		vcpu->pending = KVM_PEND_MMIO_READ;
	return 0;
}

static void kvm_decode_event(struct hv_vcpu *vcpu, struct hv_exit *exit)
{
	struct kvm_run *run = vcpu->run;

	switch (run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		exit->reason = HV_EXIT_SHUTDOWN;
		break;
	case KVM_SYSTEM_EVENT_RESET:
		exit->reason = HV_EXIT_RESET;
		break;
	case KVM_SYSTEM_EVENT_CRASH:
		if (kvm_rl_ok(&vcpu->rl))
			kvm_warn(vcpu->vm->hv, "vCPU %u: guest crashed",
				 vcpu->id);
		exit->reason = HV_EXIT_SHUTDOWN;
		break;
	default:
		exit->reason = HV_EXIT_UNKNOWN;
		exit->u.unknown.raw = run->exit_reason;
		break;
	}
}

int kvm_decode_common(struct hv_vcpu *vcpu, struct hv_exit *exit)
{
	struct kvm_run *run = vcpu->run;
	uint32_t i;

	switch (run->exit_reason) {
	case KVM_EXIT_MMIO:
		return kvm_decode_mmio(vcpu, exit);
	case KVM_EXIT_SYSTEM_EVENT:
		kvm_decode_event(vcpu, exit);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		exit->reason = HV_EXIT_FAIL_ENTRY;
		exit->u.fail.hw_reason =
			run->fail_entry.hardware_entry_failure_reason;
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		exit->reason = HV_EXIT_INTERNAL;
		exit->u.fail.suberror = run->internal.suberror;
		if (run->internal.ndata)
			exit->u.fail.hw_reason = run->internal.data[0];
		if (!kvm_rl_ok(&vcpu->rl))
			break;
		kvm_err(vcpu->vm->hv, "vCPU %u: internal error %u, %u data",
			vcpu->id, run->internal.suberror, run->internal.ndata);
		for (i = 0; i < run->internal.ndata && i < 4; i++)
			kvm_err(vcpu->vm->hv, "  data[%u] = %#llx", i,
				(unsigned long long)run->internal.data[i]);
		break;
	case KVM_EXIT_INTR:
		exit->reason = HV_EXIT_INTR;
		break;
	default:
		exit->reason = HV_EXIT_UNKNOWN;
		exit->u.unknown.raw = run->exit_reason;
		break;
	}
	return 0;
}

int kvm_vcpu_run(struct hv_vcpu *vcpu, struct hv_exit *exit)
{
	struct kvm_run *run = vcpu->run;
	int err;

	/* Completion happens inside KVM_RUN even when it then returns EINTR
	 * for a kick, so the pending state is consumed either way. */
	kvm_arch_complete(vcpu, exit);
	err = ioctl(vcpu->fd, KVM_RUN, 0) < 0 ? errno : 0;
	memset(exit, 0, sizeof(*exit));
	if (err == EINTR || err == EAGAIN) {
		__atomic_store_n(&run->immediate_exit, 0, __ATOMIC_SEQ_CST);
		exit->reason = HV_EXIT_INTR;
		return 0;
	}
	if (err) {
		if (kvm_rl_ok(&vcpu->rl))
			kvm_err(vcpu->vm->hv, "vCPU %u: KVM_RUN: %s", vcpu->id,
				strerror(err));
		return -err;
	}
	return kvm_arch_decode(vcpu, exit);
}

void kvm_vcpu_kick(struct hv_vcpu *vcpu)
{
	int signo = vcpu->vm->hv->host->kick_signo;

	/* Flag first: KVM checks it on entry, the signal covers a vCPU that
	 * is already inside KVM_RUN. */
	__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	if (signo > 0)
		pthread_kill(vcpu->thread, signo);
}
