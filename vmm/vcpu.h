/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vcpu.h - vCPU threads and exit dispatch.
 *
 * Each vCPU runs on its own thread: it creates its hypervisor vCPU, lets
 * the platform set its state, then loops on hv vcpu_run and
 * vcpu_handle_exit().  vcpu_handle_exit() is the one place where exits
 * are interpreted; it only touches the buses and the platform, so tests
 * drive it with fabricated exits.
 */
#ifndef NIMBUS_VMM_VCPU_H
#define NIMBUS_VMM_VCPU_H

#include <pthread.h>
#include <stdint.h>

#include "hv/hv.h"

struct vm;

struct vcpu {
	struct vm *vm;
	uint32_t id;
	pthread_t thread;
	int thread_started;
	struct hv_vcpu *hv_vcpu; /* set once created (atomic publish) */
	uint64_t exits; /* number of exits handled */
};

enum vcpu_action {
	VCPU_CONTINUE = 0, /* run again */
	VCPU_STOP = 1, /* the VM is stopping (reason already set) */
};

/*
 * Interpret one exit of vCPU `v`: MMIO/PIO go to the VM's buses (read
 * buffers zero-filled first; unclaimed reads answer all-ones), shutdown,
 * reset and failures set the VM's stop reason, everything else goes to
 * arch_handle_exit().  Unknown or failed exits stop the VM with a message
 * naming hv_exit_reason_str().  Never aborts.  vCPU thread (or a test).
 */
int vcpu_handle_exit(struct vm *vm, struct vcpu *v, struct hv_exit *exit);

/* Thread body: pass a struct vcpu *. */
void *vcpu_thread(void *arg);

/* The hv_host callbacks that route backend-completed accesses to the
 * buses of the vCPU's VM; cookie is the struct vcpu *. */
int vcpu_host_mmio(void *cookie, uint64_t gpa, void *data, uint32_t len,
		   int write);
int vcpu_host_pio(void *cookie, uint16_t port, void *data, uint32_t len,
		  int write);
void *vcpu_host_gpa_to_hva(void *cookie, uint64_t gpa, uint64_t len);

#endif /* NIMBUS_VMM_VCPU_H */
