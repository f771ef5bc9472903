// SPDX-License-Identifier: Apache-2.0
/*
 * hv_fake_access.c - the fake hypervisor's per-object test accessors: caps
 * override, VM and vCPU records, scripted exits and dirty pages (see
 * hv_fake.h for the contracts).  Like hv_fake.c it is built both into the
 * unit tests and into hv-fake.so, where HV_FAKE_API keeps these exported.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/fakes/hv_fake_priv.h"

void hv_fake_set_caps(struct hv *hv, const struct hv_caps *caps)
{
	pthread_mutex_lock(&hv->lock);
	if (caps)
		hv->caps = *caps;
	else
		fake_default_caps(&hv->caps);
	pthread_mutex_unlock(&hv->lock);
}

void hv_fake_vm_config(struct hv_vm *vm, struct hv_vm_config *out)
{
	pthread_mutex_lock(&vm->lock);
	*out = vm->cfg;
	pthread_mutex_unlock(&vm->lock);
}

struct hv_vcpu *hv_fake_vm_vcpu(struct hv_vm *vm, uint32_t id)
{
	struct hv_vcpu *v = NULL;

	pthread_mutex_lock(&vm->lock);
	if (id < vm->cfg.nr_vcpus)
		v = vm->vcpus[id];
	pthread_mutex_unlock(&vm->lock);
	return v;
}

static unsigned int fake_vm_count(struct hv_vm *vm, const struct fake_vec *vec)
{
	unsigned int n;

	pthread_mutex_lock(&vm->lock);
	n = (unsigned int)vec->n;
	pthread_mutex_unlock(&vm->lock);
	return n;
}

static int fake_vm_get(struct hv_vm *vm, const struct fake_vec *vec,
		       unsigned int idx, void *out)
{
	int err = -ENOENT;

	pthread_mutex_lock(&vm->lock);
	if (idx < vec->n) {
		memcpy(out, fake_vec_at(vec, idx), vec->size);
		err = 0;
	}
	pthread_mutex_unlock(&vm->lock);
	return err;
}

unsigned int hv_fake_nr_regions(struct hv_vm *vm)
{
	return fake_vm_count(vm, &vm->regions);
}

int hv_fake_get_region(struct hv_vm *vm, unsigned int idx,
		       struct hv_fake_region *out)
{
	return fake_vm_get(vm, &vm->regions, idx, out);
}

void *hv_fake_gpa_to_hva(struct hv_vm *vm, uint64_t gpa, uint64_t len)
{
	struct hv_fake_region *r;
	void *hva = NULL;
	int i;

	pthread_mutex_lock(&vm->lock);
	i = len ? fake_region_find(vm, gpa, len) : -1;
	if (i >= 0) {
		r = fake_vec_at(&vm->regions, i);
		hva = (char *)r->hva + (gpa - r->gpa);
	}
	pthread_mutex_unlock(&vm->lock);
	return hva;
}

unsigned int hv_fake_nr_irqfds(struct hv_vm *vm)
{
	return fake_vm_count(vm, &vm->irqfds);
}

int hv_fake_get_irqfd(struct hv_vm *vm, unsigned int idx,
		      struct hv_fake_irqfd *out)
{
	return fake_vm_get(vm, &vm->irqfds, idx, out);
}

int hv_fake_find_irqfd(struct hv_vm *vm, uint32_t gsi,
		       struct hv_fake_irqfd *out)
{
	int err = -ENOENT;
	size_t i;

	pthread_mutex_lock(&vm->lock);
	for (i = 0; i < vm->irqfds.n && err; i++) {
		struct hv_fake_irqfd *b = fake_vec_at(&vm->irqfds, i);

		if (b->gsi == gsi) {
			*out = *b;
			err = 0;
		}
	}
	pthread_mutex_unlock(&vm->lock);
	return err;
}

unsigned int hv_fake_nr_ioeventfds(struct hv_vm *vm)
{
	return fake_vm_count(vm, &vm->ioeventfds);
}

int hv_fake_get_ioeventfd(struct hv_vm *vm, unsigned int idx,
			  struct hv_ioeventfd *out)
{
	return fake_vm_get(vm, &vm->ioeventfds, idx, out);
}

void hv_fake_get_routes(struct hv_vm *vm, struct hv_route *out, uint32_t cap,
			uint32_t *n, unsigned int *calls)
{
	pthread_mutex_lock(&vm->lock);
	if (out && vm->nr_routes)
		memcpy(out, vm->routes, MIN(cap, vm->nr_routes) * sizeof(*out));
	if (n)
		*n = vm->nr_routes;
	if (calls)
		*calls = vm->route_calls;
	pthread_mutex_unlock(&vm->lock);
}

unsigned int hv_fake_nr_msis(struct hv_vm *vm)
{
	return fake_vm_count(vm, &vm->msis);
}

int hv_fake_get_msi(struct hv_vm *vm, unsigned int idx, struct hv_fake_msi *out)
{
	return fake_vm_get(vm, &vm->msis, idx, out);
}

unsigned int hv_fake_nr_irq_lines(struct hv_vm *vm)
{
	return fake_vm_count(vm, &vm->lines);
}

int hv_fake_get_irq_line(struct hv_vm *vm, unsigned int idx,
			 struct hv_fake_irq_line *out)
{
	return fake_vm_get(vm, &vm->lines, idx, out);
}

void hv_fake_clear_events(struct hv_vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	vm->msis.n = 0;
	vm->lines.n = 0;
	pthread_mutex_unlock(&vm->lock);
}

int hv_fake_get_irqchip(struct hv_vm *vm, struct hv_irqchip_config *out,
			int *finalized)
{
	int err = -ENOENT;

	pthread_mutex_lock(&vm->lock);
	if (vm->chip_state) {
		*out = vm->chip;
		if (finalized)
			*finalized = vm->chip_state == 2;
		err = 0;
	}
	pthread_mutex_unlock(&vm->lock);
	return err;
}

int hv_fake_mark_dirty(struct hv_vm *vm, uint64_t gpa)
{
	uint64_t pg = gpa & ~(FAKE_PAGE - 1);
	int err = 0;
	size_t i;

	pthread_mutex_lock(&vm->lock);
	for (i = 0; i < vm->dirty.n; i++)
		if (*(uint64_t *)fake_vec_at(&vm->dirty, i) == pg)
			break;
	if (i == vm->dirty.n)
		err = fake_vec_push(&vm->dirty, &pg);
	pthread_mutex_unlock(&vm->lock);
	return err;
}

int hv_fake_push_exit(struct hv_vcpu *v, const struct hv_exit *exit)
{
	uint64_t len = 0, one = 1;
	struct fake_node *n;
	ssize_t r;

	if (!v || !exit)
		return -EINVAL;
	if (exit->reason == HV_EXIT_PIO) {
		len = (uint64_t)exit->u.pio.size * exit->u.pio.count;
		if (len > HV_FAKE_PIO_MAX)
			return -EINVAL;
	}
	n = calloc(1, sizeof(*n) + len);
	if (!n)
		return -ENOMEM;
	n->exit = *exit;
	n->pio_len = (uint32_t)len;
	if (len && exit->u.pio.write && exit->u.pio.data)
		memcpy(n->pio, exit->u.pio.data, len);
	n->exit.u.pio.data = exit->reason == HV_EXIT_PIO ? NULL :
							   n->exit.u.pio.data;
	pthread_mutex_lock(&v->lock);
	if (v->tail)
		v->tail->next = n;
	else
		v->head = n;
	v->tail = n;
	v->nr_queued++;
	pthread_mutex_unlock(&v->lock);
	r = write(v->wake_fd, &one, sizeof(one));
	(void)r;
	return 0;
}

unsigned int hv_fake_nr_queued(struct hv_vcpu *v)
{
	unsigned int n;

	pthread_mutex_lock(&v->lock);
	n = v->nr_queued;
	pthread_mutex_unlock(&v->lock);
	return n;
}

void hv_fake_set_blocking(struct hv_vcpu *v, int on)
{
	uint64_t one = 1;
	ssize_t r;

	pthread_mutex_lock(&v->lock);
	v->blocking = !!on;
	pthread_mutex_unlock(&v->lock);
	r = write(v->wake_fd, &one, sizeof(one));
	(void)r;
}

int hv_fake_last_read(struct hv_vcpu *v, uint8_t *buf, uint32_t *len)
{
	int err = 0;

	pthread_mutex_lock(&v->lock);
	if (!v->have_read) {
		err = -ENOENT;
	} else if (*len < v->read_len) {
		err = -ENOSPC;
	} else {
		memcpy(buf, v->read, v->read_len);
	}
	if (err != -ENOENT)
		*len = v->read_len;
	pthread_mutex_unlock(&v->lock);
	return err;
}

int hv_fake_last_completion(struct hv_vcpu *v, struct hv_exit *out)
{
	int err = -ENOENT;

	pthread_mutex_lock(&v->lock);
	if (v->have_completion) {
		*out = v->completion;
		err = 0;
	}
	pthread_mutex_unlock(&v->lock);
	return err;
}

void hv_fake_last_host(struct hv_vcpu *v, int *ret, void **hva)
{
	pthread_mutex_lock(&v->lock);
	if (ret)
		*ret = v->host_ret;
	if (hva)
		*hva = v->host_hva;
	pthread_mutex_unlock(&v->lock);
}

unsigned int hv_fake_nr_runs(struct hv_vcpu *v)
{
	unsigned int n;

	pthread_mutex_lock(&v->lock);
	n = v->runs;
	pthread_mutex_unlock(&v->lock);
	return n;
}

int hv_fake_kick_pending(struct hv_vcpu *v)
{
	return atomic_load(&v->kicked);
}

uint32_t hv_fake_vcpu_id(struct hv_vcpu *v)
{
	return v->id;
}

void hv_fake_vcpu_config(struct hv_vcpu *v, struct hv_vcpu_config *out)
{
	*out = v->cfg;
}

void *hv_fake_vcpu_cookie(struct hv_vcpu *v)
{
	return v->cookie;
}

unsigned int hv_fake_thread_violations(struct hv_vcpu *v)
{
	return atomic_load(&v->thread_violations);
}
