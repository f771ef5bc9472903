/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hv_fake_priv.h - internals shared by the files of the fake hypervisor.
 *
 * hv_fake.c holds the hv_ops, the descriptor and the process-wide test
 * controls (injected failures, last created objects); hv_fake_access.c
 * holds the per-object test accessors of hv_fake.h.  Both see the object
 * layouts below.  Nothing here is part of the test API: the functions are
 * hidden in hv-fake.so (-fvisibility=hidden) and tests use hv_fake.h only.
 *
 * Locking: struct hv, struct hv_vm and struct hv_vcpu each have a mutex
 * guarding their mutable fields (hv_vcpu.kicked and .thread_violations
 * are atomics instead); the helpers below say which lock they expect.
 */
#ifndef NIMBUS_TESTS_HV_FAKE_PRIV_H
#define NIMBUS_TESTS_HV_FAKE_PRIV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "tests/fakes/hv_fake.h"

#define FAKE_PAGE 4096ull
#define MIN(a, b) ((a) < (b) ? (a) : (b))

/* A growable array of fixed-size records. */
struct fake_vec {
	void *items;
	size_t n, cap, size;
};

struct hv {
	const struct hv_host *host;
	pthread_mutex_t lock;
	struct hv_caps caps;
	unsigned int nr_vms;
};

struct hv_vm {
	struct hv *hv;
	pthread_mutex_t lock;
	struct hv_vm_config cfg;
	struct hv_caps caps; /* snapshot at vm_create */
	struct fake_vec regions, irqfds, ioeventfds, msis, lines, dirty;
	struct hv_route *routes;
	uint32_t nr_routes;
	unsigned int route_calls;
	struct hv_irqchip_config chip;
	int chip_state; /* 0 none, 1 created, 2 finalized */
	struct hv_vcpu **vcpus; /* cfg.nr_vcpus slots */
};

struct fake_node {
	struct fake_node *next;
	struct hv_exit exit;
	uint32_t pio_len;
	uint8_t pio[];
};

struct hv_vcpu {
	struct hv_vm *vm;
	uint32_t id;
	struct hv_vcpu_config cfg;
	void *cookie;
	pthread_t thread;
	atomic_uint thread_violations;
	atomic_int kicked;
	int wake_fd;
	pthread_mutex_t lock;
	struct fake_node *head, *tail;
	unsigned int nr_queued, runs;
	int blocking;
	int pending; /* a scripted exit is out; record its completion */
	int pending_read; /* 1 MMIO read, 2 PIO in */
	uint32_t pending_len;
	int have_completion, have_read;
	struct hv_exit completion;
	uint32_t read_len;
	int host_ret;
	void *host_hva;
	struct hv_x86_regs regs;
	struct hv_x86_sregs sregs;
	uint8_t read[HV_FAKE_PIO_MAX];
	uint8_t pio_buf[HV_FAKE_PIO_MAX];
};

/* Append a copy of *item (v->size bytes), growing the array.  0 or
 * -ENOMEM.  Caller holds the lock of the object owning v. */
int fake_vec_push(struct fake_vec *v, const void *item);
/* Address of record i (i < v->n); valid until the next push or delete. */
void *fake_vec_at(const struct fake_vec *v, size_t i);
/* Region index holding [gpa, gpa+len) (len > 0), or -1.  VM lock held. */
int fake_region_find(struct hv_vm *vm, uint64_t gpa, uint64_t len);
/* The default capabilities of a new hv handle (see hv_fake_set_caps). */
void fake_default_caps(struct hv_caps *c);

#endif /* NIMBUS_TESTS_HV_FAKE_PRIV_H */
