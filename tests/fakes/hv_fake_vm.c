// SPDX-License-Identifier: Apache-2.0
/*
 * hv_fake_vm.c - the fake hypervisor's VM memory and interrupt ops: guest
 * memory map, dirty log, irqchip, irq lines, irqfds, ioeventfds, routes and
 * MSIs (see hv_fake.h for the semantics).  hv_fake.c puts them in the
 * hv_ops table; like it, this file is built into the unit tests and into
 * hv-fake.so, where everything here stays hidden.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fakes/hv_fake_priv.h"

int fake_region_find(struct hv_vm *vm, uint64_t gpa, uint64_t len)
{
	size_t i;

	for (i = 0; i < vm->regions.n; i++) {
		struct hv_fake_region *r = fake_vec_at(&vm->regions, i);

		if (gpa >= r->gpa && gpa - r->gpa < r->size &&
		    len <= r->size - (gpa - r->gpa))
			return (int)i;
	}
	return -1;
}

int fake_map_memory(struct hv_vm *vm, uint64_t gpa, uint64_t size, void *hva,
		    uint32_t flags)
{
	struct hv_fake_region r = { gpa, size, hva, flags, 0 };
	uint32_t known = HV_MEM_READ | HV_MEM_WRITE | HV_MEM_EXEC |
			 HV_MEM_LOG_DIRTY;
	int err = fake_fail_take("map_memory");
	size_t i;

	if (err)
		return err;
	if (!size || (gpa | size | (uintptr_t)hva) & (FAKE_PAGE - 1) ||
	    gpa + size < gpa || !hva || flags & ~known)
		return -EINVAL;
	r.dirty_log = !!(flags & HV_MEM_LOG_DIRTY);
	pthread_mutex_lock(&vm->lock);
	for (i = 0; i < vm->regions.n; i++) {
		struct hv_fake_region *o = fake_vec_at(&vm->regions, i);

		if (gpa < o->gpa + o->size && o->gpa < gpa + size) {
			err = -EEXIST;
			goto out;
		}
	}
	err = fake_vec_push(&vm->regions, &r);
out:
	pthread_mutex_unlock(&vm->lock);
	return err;
}

int fake_unmap_memory(struct hv_vm *vm, uint64_t gpa, uint64_t size)
{
	int err = fake_fail_take("unmap_memory");
	size_t i;

	if (err)
		return err;
	pthread_mutex_lock(&vm->lock);
	err = -ENOENT;
	for (i = 0; i < vm->regions.n; i++) {
		struct hv_fake_region *r = fake_vec_at(&vm->regions, i);

		if (r->gpa != gpa)
			continue;
		err = -EINVAL;
		if (r->size != size)
			break;
		fake_vec_del(&vm->regions, i);
		err = 0;
		break;
	}
	/* Pages of the removed range are no longer dirty. */
	for (i = 0; !err && i < vm->dirty.n;) {
		uint64_t *pg = fake_vec_at(&vm->dirty, i);

		if (*pg - gpa < size)
			fake_vec_del(&vm->dirty, i);
		else
			i++;
	}
	pthread_mutex_unlock(&vm->lock);
	return err;
}

int fake_dirty_log_enable(struct hv_vm *vm, uint64_t gpa, uint64_t size, int on)
{
	int err = fake_fail_take("dirty_log_enable");
	int i;

	if (err)
		return err;
	pthread_mutex_lock(&vm->lock);
	i = size ? fake_region_find(vm, gpa, size) : -1;
	if (i >= 0)
		((struct hv_fake_region *)fake_vec_at(&vm->regions, i))
			->dirty_log = !!on;
	pthread_mutex_unlock(&vm->lock);
	return i >= 0 ? 0 : -ENOENT;
}

int fake_dirty_log_fetch(struct hv_vm *vm, uint64_t gpa, uint64_t size,
			 uint64_t *bitmap, uint32_t flags)
{
	uint64_t pages = size / FAKE_PAGE;
	int err = fake_fail_take("dirty_log_fetch");
	size_t i;
	int r;

	if (err)
		return err;
	if (!size || !bitmap || (gpa | size) & (FAKE_PAGE - 1) ||
	    flags & ~HV_DIRTY_CLEAR)
		return -EINVAL;
	pthread_mutex_lock(&vm->lock);
	r = fake_region_find(vm, gpa, size);
	if (r < 0 || !((struct hv_fake_region *)fake_vec_at(&vm->regions, r))
			      ->dirty_log) {
		pthread_mutex_unlock(&vm->lock);
		return -ENOENT;
	}
	memset(bitmap, 0, (pages + 63) / 64 * sizeof(*bitmap));
	for (i = 0; i < vm->dirty.n;) {
		uint64_t pg = *(uint64_t *)fake_vec_at(&vm->dirty, i);

		if (pg - gpa < size) {
			bitmap[(pg - gpa) / FAKE_PAGE / 64] |=
				1ull << ((pg - gpa) / FAKE_PAGE % 64);
			if (flags & HV_DIRTY_CLEAR) {
				fake_vec_del(&vm->dirty, i);
				continue;
			}
		}
		i++;
	}
	pthread_mutex_unlock(&vm->lock);
	return 0;
}

int fake_irqchip_create(struct hv_vm *vm, const struct hv_irqchip_config *cfg)
{
	int err = fake_fail_take("irqchip_create");
	uint32_t i;

	if (err)
		return err;
	if (!cfg || cfg->size < sizeof(*cfg) ||
	    (cfg->model != HV_IRQCHIP_X86_SPLIT &&
	     cfg->model != HV_IRQCHIP_GICV3))
		return -EINVAL;
	pthread_mutex_lock(&vm->lock);
	if (vm->chip_state) {
		err = -EEXIST;
		goto out;
	}
	/* Like KVM: the split irqchip is a VM capability set before vCPUs. */
	for (i = 0; cfg->model == HV_IRQCHIP_X86_SPLIT && i < vm->cfg.nr_vcpus;
	     i++)
		if (vm->vcpus[i]) {
			err = -EINVAL;
			goto out;
		}
	vm->chip = *cfg;
	vm->chip_state = 1;
out:
	pthread_mutex_unlock(&vm->lock);
	return err;
}

int fake_irqchip_finalize(struct hv_vm *vm)
{
	int err = fake_fail_take("irqchip_finalize");

	if (err)
		return err;
	pthread_mutex_lock(&vm->lock);
	if (vm->chip_state == 1)
		vm->chip_state = 2;
	else
		err = vm->chip_state ? -EBUSY : -ENXIO;
	pthread_mutex_unlock(&vm->lock);
	return err;
}

int fake_irq_line(struct hv_vm *vm, uint32_t gsi, int level)
{
	struct hv_fake_irq_line l = { gsi, level };
	int err = fake_fail_take("irq_line");

	if (err)
		return err;
	pthread_mutex_lock(&vm->lock);
	err = vm->chip_state ? fake_vec_push(&vm->lines, &l) : -ENXIO;
	pthread_mutex_unlock(&vm->lock);
	return err;
}

int fake_irqfd(struct hv_vm *vm, int efd, uint32_t gsi, int resample_efd,
	       int assign)
{
	struct hv_fake_irqfd b = { efd, gsi, resample_efd };
	int err = fake_fail_take("irqfd");
	size_t i;

	if (err)
		return err;
	if (efd < 0 || gsi >= vm->caps.max_gsi)
		return -EINVAL;
	pthread_mutex_lock(&vm->lock);
	for (i = 0; i < vm->irqfds.n; i++) {
		struct hv_fake_irqfd *o = fake_vec_at(&vm->irqfds, i);

		if (o->fd == efd)
			break;
	}
	if (assign) {
		err = i < vm->irqfds.n ? -EBUSY :
					 fake_vec_push(&vm->irqfds, &b);
	} else if (i < vm->irqfds.n &&
		   ((struct hv_fake_irqfd *)fake_vec_at(&vm->irqfds, i))->gsi ==
			   gsi) {
		fake_vec_del(&vm->irqfds, i);
	} else {
		err = -ENOENT;
	}
	pthread_mutex_unlock(&vm->lock);
	return err;
}

static int fake_ioe_same(const struct hv_ioeventfd *a,
			 const struct hv_ioeventfd *b)
{
	return a->space == b->space && a->addr == b->addr && a->len == b->len &&
	       a->has_datamatch == b->has_datamatch &&
	       (!a->has_datamatch || a->datamatch == b->datamatch);
}

int fake_ioeventfd(struct hv_vm *vm, const struct hv_ioeventfd *ioe, int assign)
{
	int err = fake_fail_take("ioeventfd");
	size_t i;

	if (err)
		return err;
	if (!ioe || ioe->fd < 0 ||
	    (ioe->space != HV_IO_MMIO && ioe->space != HV_IO_PIO) ||
	    (ioe->len != 0 && ioe->len != 1 && ioe->len != 2 && ioe->len != 4 &&
	     ioe->len != 8))
		return -EINVAL;
	if (ioe->space == HV_IO_PIO && !(vm->caps.flags & HV_CAP_PIO_IOEVENTFD))
		return -EOPNOTSUPP;
	pthread_mutex_lock(&vm->lock);
	for (i = 0; i < vm->ioeventfds.n; i++)
		if (fake_ioe_same(fake_vec_at(&vm->ioeventfds, i), ioe))
			break;
	if (assign)
		err = i < vm->ioeventfds.n ?
			      -EEXIST :
			      fake_vec_push(&vm->ioeventfds, ioe);
	else if (i < vm->ioeventfds.n &&
		 ((struct hv_ioeventfd *)fake_vec_at(&vm->ioeventfds, i))->fd ==
			 ioe->fd)
		fake_vec_del(&vm->ioeventfds, i);
	else
		err = -ENOENT;
	pthread_mutex_unlock(&vm->lock);
	return err;
}

int fake_set_routes(struct hv_vm *vm, const struct hv_route *r, uint32_t n)
{
	struct hv_route *copy = NULL;
	int err = fake_fail_take("set_routes");
	uint32_t i;

	if (err)
		return err;
	if ((n && !r) || n > vm->caps.max_gsi)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (r[i].gsi >= vm->caps.max_gsi ||
		    (r[i].type != HV_ROUTE_MSI &&
		     r[i].type != HV_ROUTE_IRQCHIP))
			return -EINVAL;
	if (n) {
		copy = malloc(n * sizeof(*copy));
		if (!copy)
			return -ENOMEM;
		memcpy(copy, r, n * sizeof(*copy));
	}
	pthread_mutex_lock(&vm->lock);
	free(vm->routes);
	vm->routes = copy;
	vm->nr_routes = n;
	vm->route_calls++;
	pthread_mutex_unlock(&vm->lock);
	return 0;
}

int fake_signal_msi(struct hv_vm *vm, uint64_t addr, uint32_t data,
		    uint32_t devid)
{
	struct hv_fake_msi m = { addr, data, devid };
	int err = fake_fail_take("signal_msi");

	if (err)
		return err;
	pthread_mutex_lock(&vm->lock);
	err = fake_vec_push(&vm->msis, &m);
	pthread_mutex_unlock(&vm->lock);
	return err;
}
