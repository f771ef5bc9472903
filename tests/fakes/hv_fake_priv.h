/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hv_fake_priv.h - internals shared by the files of the fake hypervisor.
 *
 * hv_fake.c holds the system and VM lifecycle ops, the hv_ops table, the
 * descriptor and the process-wide test controls (injected failures, last
 * created objects); hv_fake_vm.c the VM memory and interrupt ops;
 * hv_fake_vcpu.c the vCPU ops; hv_fake_access.c the per-object test
 * accessors of hv_fake.h.  All see the object layouts below.  Nothing here
 * is part of the test API: the functions are hidden in hv-fake.so
 * (-fvisibility=hidden) and tests use hv_fake.h only.
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
/* Remove record i (i < v->n), keeping the order of the others.  Caller
 * holds the lock of the object owning v. */
void fake_vec_del(struct fake_vec *v, size_t i);
/* Region index holding [gpa, gpa+len) (len > 0), or -1.  VM lock held. */
int fake_region_find(struct hv_vm *vm, uint64_t gpa, uint64_t len);
/* The default capabilities of a new hv handle (see hv_fake_set_caps). */
void fake_default_caps(struct hv_caps *c);

/* --- process-wide test controls (hv_fake.c); any thread, no lock held --- */

/* Consume an injected failure for `op` (a literal from hv_fake.c's op
 * table): the negative errno armed by hv_fake_fail_next, or 0. */
int fake_fail_take(const char *op);
/* hv_fake_last_vcpu() bookkeeping: set makes v the last created vCPU;
 * forget clears it if it is still v (v is being destroyed). */
void fake_last_vcpu_set(struct hv_vcpu *v);
void fake_last_vcpu_forget(struct hv_vcpu *v);
/* Log through hv->host->log when the host has one (hv may be NULL). */
__attribute__((format(printf, 3, 4))) void fake_log(struct hv *hv, int level,
						    const char *fmt, ...);

/* --- VM memory and interrupt ops (hv_fake_vm.c); see struct hv_ops --- */

int fake_map_memory(struct hv_vm *vm, uint64_t gpa, uint64_t size, void *hva,
		    uint32_t flags);
int fake_unmap_memory(struct hv_vm *vm, uint64_t gpa, uint64_t size);
int fake_dirty_log_enable(struct hv_vm *vm, uint64_t gpa, uint64_t size,
			  int on);
int fake_dirty_log_fetch(struct hv_vm *vm, uint64_t gpa, uint64_t size,
			 uint64_t *bitmap, uint32_t flags);
int fake_irqchip_create(struct hv_vm *vm, const struct hv_irqchip_config *cfg);
int fake_irqchip_finalize(struct hv_vm *vm);
int fake_irq_line(struct hv_vm *vm, uint32_t gsi, int level);
int fake_irqfd(struct hv_vm *vm, int efd, uint32_t gsi, int resample_efd,
	       int assign);
int fake_ioeventfd(struct hv_vm *vm, const struct hv_ioeventfd *ioe,
		   int assign);
int fake_set_routes(struct hv_vm *vm, const struct hv_route *r, uint32_t n);
int fake_signal_msi(struct hv_vm *vm, uint64_t addr, uint32_t data,
		    uint32_t devid);

/* --- vCPU ops (hv_fake_vcpu.c); see struct hv_ops --- */

int fake_vcpu_create(struct hv_vm *vm, uint32_t id,
		     const struct hv_vcpu_config *cfg, void *cookie,
		     struct hv_vcpu **out);
void fake_vcpu_destroy(struct hv_vcpu *v);
int fake_vcpu_run(struct hv_vcpu *v, struct hv_exit *exit);
void fake_vcpu_kick(struct hv_vcpu *v);
int fake_vcpu_get_regs(struct hv_vcpu *v, uint32_t set, void *buf, size_t len);
int fake_vcpu_set_regs(struct hv_vcpu *v, uint32_t set, const void *buf,
		       size_t len);
int fake_vcpu_get_reg(struct hv_vcpu *v, uint32_t id, uint64_t *val);
int fake_vcpu_set_reg(struct hv_vcpu *v, uint32_t id, uint64_t val);

#endif /* NIMBUS_TESTS_HV_FAKE_PRIV_H */
