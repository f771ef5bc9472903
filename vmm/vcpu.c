// SPDX-License-Identifier: Apache-2.0
/*
 * vcpu.c - vCPU threads and exit dispatch.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#define LOG_MOD "vcpu"
#include "arch/arch.h"
#include "hv/hv_call.h"
#include "vmm/log.h"
#include "vmm/sandbox.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

/* A kvm_run page holds at most this much string-I/O data. */
#define VCPU_PIO_MAX_BYTES 4096u

static int stop_reason(struct vm *vm)
{
	return __atomic_load_n(&vm->stop_reason, __ATOMIC_ACQUIRE);
}

static int handle_mmio(struct vm *vm, struct hv_exit *e)
{
	uint32_t len = e->u.mmio.len;

	if (!len || len > sizeof(e->u.mmio.data)) {
		log_err("backend reported an MMIO exit of %u bytes", len);
		return -EINVAL;
	}
	/* Errors are answered like hardware (all-ones) and logged by the
	 * bus; they never stop the VM. */
	bus_access(&vm->mmio, e->u.mmio.gpa, e->u.mmio.data, len,
		   e->u.mmio.write);
	return 0;
}

static int handle_pio(struct vm *vm, struct hv_exit *e)
{
	uint32_t size = e->u.pio.size, count = e->u.pio.count, i;

	if ((size != 1 && size != 2 && size != 4) || !count ||
	    count > VCPU_PIO_MAX_BYTES / size || !e->u.pio.data) {
		log_err("backend reported a bad PIO exit (size %u count %u)",
			size, count);
		return -EINVAL;
	}
	for (i = 0; i < count; i++)
		bus_access(&vm->pio, e->u.pio.port, e->u.pio.data + i * size,
			   size, e->u.pio.write);
	return 0;
}

/* A halted vCPU with no interrupt source in the hypervisor sleeps until
 * the VM stops; it never enters the guest again, so it counts as parked
 * for vm_pause. */
static void wait_halted(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	vm->parked++;
	pthread_cond_broadcast(&vm->cond);
	while (!vm->stop_reason)
		pthread_cond_wait(&vm->cond, &vm->lock);
	vm->parked--;
	pthread_mutex_unlock(&vm->lock);
}

/* vm_pause asked: acknowledge (parked++) and wait outside the guest for
 * vm_resume or a stop.  A completed MMIO/PIO read stays in *exit and is
 * delivered by the next vcpu_run, as without a pause. */
static void vcpu_park(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	if (vm->pause_req && !vm->stop_reason) {
		vm->parked++;
		pthread_cond_broadcast(&vm->cond);
		while (vm->pause_req && !vm->stop_reason)
			pthread_cond_wait(&vm->cond, &vm->lock);
		vm->parked--;
	}
	pthread_mutex_unlock(&vm->lock);
}

int vcpu_handle_exit(struct vm *vm, struct vcpu *v, struct hv_exit *exit)
{
	char name[32];
	int ret;

	v->exits++;
	switch (exit->reason) {
	case HV_EXIT_NONE:
	case HV_EXIT_INTR:
		return stop_reason(vm) ? VCPU_STOP : VCPU_CONTINUE;
	case HV_EXIT_MMIO:
		ret = handle_mmio(vm, exit);
		break;
	case HV_EXIT_PIO:
		ret = handle_pio(vm, exit);
		break;
	case HV_EXIT_SHUTDOWN:
		if (exit->flags & HV_EXIT_F_TRIPLE_FAULT) {
			/* A PC resets on a triple fault; Linux uses it as a
			 * last-resort reboot method. */
			log_warn("vCPU %u: triple fault, resetting the VM",
				 v->id);
			vm_request_stop(vm, VM_STOP_RESET);
		} else {
			log_info("vCPU %u: guest shutdown", v->id);
			vm_request_stop(vm, VM_STOP_POWEROFF);
		}
		return VCPU_STOP;
	case HV_EXIT_RESET:
		log_info("vCPU %u: guest reset", v->id);
		vm_request_stop(vm, VM_STOP_RESET);
		return VCPU_STOP;
	case HV_EXIT_HLT:
		wait_halted(vm);
		return VCPU_STOP;
	case HV_EXIT_FAIL_ENTRY:
	case HV_EXIT_INTERNAL:
		log_err("vCPU %u: %s (hardware reason %#llx, suberror %u) at pc %#llx",
			v->id,
			hv_exit_reason_str(exit->reason, name, sizeof(name)),
			(unsigned long long)exit->u.fail.hw_reason,
			exit->u.fail.suberror, (unsigned long long)exit->pc);
		vm_request_stop(vm, VM_STOP_ERROR);
		return VCPU_STOP;
	case HV_EXIT_UNKNOWN:
		log_err("vCPU %u: unknown exit (backend code %u) at pc %#llx",
			v->id, exit->u.unknown.raw,
			(unsigned long long)exit->pc);
		vm_request_stop(vm, VM_STOP_ERROR);
		return VCPU_STOP;
	default:
		if (exit->reason >= HV_EXIT_REASON_MAX) {
			log_err("vCPU %u: invalid exit reason %u", v->id,
				exit->reason);
			vm_request_stop(vm, VM_STOP_ERROR);
			return VCPU_STOP;
		}
		ret = arch_handle_exit(vm->arch, v->id, exit);
		break;
	}
	if (ret) {
		log_err("vCPU %u: cannot handle %s exit: %s", v->id,
			hv_exit_reason_str(exit->reason, name, sizeof(name)),
			strerror(-ret));
		vm_request_stop(vm, VM_STOP_ERROR);
		return VCPU_STOP;
	}
	return stop_reason(vm) ? VCPU_STOP : VCPU_CONTINUE;
}

/* Create the hv vCPU on this thread and let the platform set it up. */
static int vcpu_setup(struct vcpu *v)
{
	struct vm *vm = v->vm;
	struct hv_vcpu_config cfg = {
		.size = sizeof(cfg),
		.nr_vcpus = vm->nr_vcpus,
		.apic_id = v->id,
		.threads_per_core = 1,
		.cores_per_die = vm->nr_vcpus,
		.mpidr = v->id,
	};
	struct hv_vcpu *hvv = NULL;
	int ret;

	ret = vm->ops->vcpu_create(vm->hvm, v->id, &cfg, v, &hvv);
	if (ret) {
		log_err("vCPU %u: cannot create: %s", v->id, strerror(-ret));
		return ret;
	}
	__atomic_store_n(&v->hv_vcpu, hvv, __ATOMIC_RELEASE);
	ret = arch_vcpu_init(vm->arch, hvv, v->id);
	if (ret)
		log_err("vCPU %u: cannot set up boot state: %s", v->id,
			strerror(-ret));
	return ret;
}

void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	struct hv_exit exit;
	sigset_t set;
	int ret;

	/* The kick signal is blocked everywhere but on vCPU threads. */
	sigemptyset(&set);
	sigaddset(&set, vm->kick_signo);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	/* In id order: the thread of vCPU n-1 has created its vCPU. */
	pthread_mutex_lock(&vm->lock);
	while (vm->created != v->id)
		pthread_cond_wait(&vm->cond, &vm->lock);
	pthread_mutex_unlock(&vm->lock);
	ret = vcpu_setup(v);
	pthread_mutex_lock(&vm->lock);
	vm->created++;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	/* From here on the thread only runs the guest and its devices. */
	if (!ret) {
		ret = sandbox_install(vm->sandbox, SANDBOX_VCPU);
		if (ret)
			log_err("vCPU %u: cannot install the seccomp filter: %s",
				v->id, strerror(-ret));
	}
	pthread_mutex_lock(&vm->lock);
	vm->started++;
	if (ret && !vm->setup_err)
		vm->setup_err = ret;
	if (!ret)
		vm->active++;
	pthread_cond_broadcast(&vm->cond);
	while (!vm->go && !vm->stop_reason)
		pthread_cond_wait(&vm->cond, &vm->lock);
	pthread_mutex_unlock(&vm->lock);
	if (ret) {
		vm_request_stop(vm, VM_STOP_ERROR);
		return NULL;
	}

	memset(&exit, 0, sizeof(exit));
	while (!stop_reason(vm)) {
		if (__atomic_load_n(&vm->pause_req, __ATOMIC_ACQUIRE)) {
			vcpu_park(vm);
			continue;
		}
		ret = vm->ops->vcpu_run(v->hv_vcpu, &exit);
		if (ret) {
			log_err("vCPU %u: run failed: %s", v->id,
				strerror(-ret));
			vm_request_stop(vm, VM_STOP_ERROR);
			break;
		}
		if (vcpu_handle_exit(vm, v, &exit) == VCPU_STOP)
			break;
	}
	pthread_mutex_lock(&vm->lock);
	vm->active--;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	return NULL;
}

int vcpu_host_mmio(void *cookie, uint64_t gpa, void *data, uint32_t len,
		   int write)
{
	struct vcpu *v = cookie;

	if (!len || len > 8)
		return -EINVAL;
	bus_access(&v->vm->mmio, gpa, data, len, write);
	return 0;
}

int vcpu_host_pio(void *cookie, uint16_t port, void *data, uint32_t len,
		  int write)
{
	struct vcpu *v = cookie;

	if (len != 1 && len != 2 && len != 4)
		return -EINVAL;
	bus_access(&v->vm->pio, port, data, len, write);
	return 0;
}

void *vcpu_host_gpa_to_hva(void *cookie, uint64_t gpa, uint64_t len)
{
	struct vcpu *v = cookie;

	return guest_mem_ptr(&v->vm->mem, gpa, len);
}
