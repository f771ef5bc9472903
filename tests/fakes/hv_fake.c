// SPDX-License-Identifier: Apache-2.0
/*
 * hv_fake.c - an in-memory hypervisor for tests (see hv_fake.h): the
 * system and VM lifecycle ops, the hv_ops table, the descriptor and the
 * process-wide test controls.  The VM memory and interrupt ops are in
 * hv_fake_vm.c, the vCPU ops in hv_fake_vcpu.c and the per-object
 * accessors in hv_fake_access.c.
 *
 * Built twice: linked statically into every unit test, and as
 * build/plugins/hv-fake.so.  Like any plugin it must not use the core's
 * symbols (-Wl,-z,defs), so it logs through host->log, not vmm/log.h.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fakes/hv_fake_priv.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Test-only process-wide state.  A test holding only core objects needs a
 * way to reach the fake objects behind them, and error injection has to be
 * armed before the core creates the objects it applies to; both are
 * therefore global here, guarded by one mutex since vCPU threads call ops
 * concurrently.  Production plugins keep no such state.
 */
static const char *const fake_op_names[] = {
	"probe",
	"open",
	"get_caps",
	"get_ioctl_allowlist",
	"vm_create",
	"map_memory",
	"unmap_memory",
	"dirty_log_enable",
	"dirty_log_fetch",
	"irqchip_create",
	"irqchip_finalize",
	"irq_line",
	"irqfd",
	"ioeventfd",
	"set_routes",
	"signal_msi",
	"vcpu_create",
	"vcpu_run",
	"vcpu_get_regs",
	"vcpu_set_regs",
	"vcpu_get_reg",
	"vcpu_set_reg",
};
static pthread_mutex_t fake_global_lock = PTHREAD_MUTEX_INITIALIZER;
static int fake_fail[ARRAY_SIZE(fake_op_names)];
static struct hv *fake_last_hv;
static struct hv_vm *fake_last_vm;
static struct hv_vcpu *fake_last_vcpu;

static int fake_op_index(const char *op)
{
	size_t i;

	for (i = 0; op && i < ARRAY_SIZE(fake_op_names); i++)
		if (!strcmp(op, fake_op_names[i]))
			return (int)i;
	return -1;
}

int fake_fail_take(const char *op)
{
	int i = fake_op_index(op), err = 0;

	pthread_mutex_lock(&fake_global_lock);
	if (i >= 0) {
		err = fake_fail[i];
		fake_fail[i] = 0;
	}
	pthread_mutex_unlock(&fake_global_lock);
	return err;
}

static void fake_set_last(void **slot, void *val, void *only_if)
{
	pthread_mutex_lock(&fake_global_lock);
	if (!only_if || *slot == only_if)
		*slot = val;
	pthread_mutex_unlock(&fake_global_lock);
}

static void *fake_get_last(void **slot)
{
	void *v;

	pthread_mutex_lock(&fake_global_lock);
	v = *slot;
	pthread_mutex_unlock(&fake_global_lock);
	return v;
}

void fake_last_vcpu_set(struct hv_vcpu *v)
{
	fake_set_last((void **)&fake_last_vcpu, v, NULL);
}

void fake_last_vcpu_forget(struct hv_vcpu *v)
{
	fake_set_last((void **)&fake_last_vcpu, NULL, v);
}

void fake_log(struct hv *hv, int level, const char *fmt, ...)
{
	const struct hv_host *h = hv ? hv->host : NULL;
	char buf[256];
	va_list ap;

	if (!h || h->size < offsetof(struct hv_host, log) + sizeof(h->log) ||
	    !h->log)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	h->log(level, "fake: %s", buf);
}

/* --- fake_vec --- */

int fake_vec_push(struct fake_vec *v, const void *item)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 8;
		void *p = realloc(v->items, cap * v->size);

		if (!p)
			return -ENOMEM;
		v->items = p;
		v->cap = cap;
	}
	memcpy((char *)v->items + v->n * v->size, item, v->size);
	v->n++;
	return 0;
}

void *fake_vec_at(const struct fake_vec *v, size_t i)
{
	return (char *)v->items + i * v->size;
}

void fake_vec_del(struct fake_vec *v, size_t i)
{
	memmove(fake_vec_at(v, i), fake_vec_at(v, i + 1),
		(v->n - i - 1) * v->size);
	v->n--;
}

static void fake_vec_free(struct fake_vec *v)
{
	free(v->items);
	v->items = NULL;
	v->n = v->cap = 0;
}

/* --- system --- */

static int fake_probe(const struct hv_host *h)
{
	int err = fake_fail_take("probe");

	if (err)
		return err;
	if (!h || h->abi_major != HV_ABI_MAJOR)
		return -EPROTO;
	return 0;
}

void fake_default_caps(struct hv_caps *c)
{
	memset(c, 0, sizeof(*c));
	c->flags = HV_CAP_IRQFD | HV_CAP_IOEVENTFD | HV_CAP_MSI_ROUTES |
		   HV_CAP_DIRTY_LOG | HV_CAP_SPLIT_IRQCHIP | HV_CAP_SIGNAL_MSI |
		   HV_CAP_PIO_IOEVENTFD | HV_CAP_IRQ_LINE;
	c->max_vcpus = 64;
	c->max_gsi = 1024;
	c->ipa_bits = 48;
}

static int fake_open(const struct hv_host *h, struct hv **out)
{
	struct hv *hv;
	int err = fake_fail_take("open");

	if (err)
		return err;
	if (!h || !out)
		return -EINVAL;
	hv = calloc(1, sizeof(*hv));
	if (!hv)
		return -ENOMEM;
	hv->host = h;
	pthread_mutex_init(&hv->lock, NULL);
	fake_default_caps(&hv->caps);
	fake_set_last((void **)&fake_last_hv, hv, NULL);
	*out = hv;
	return 0;
}

static void fake_close(struct hv *hv)
{
	if (!hv)
		return;
	if (hv->nr_vms)
		fake_log(hv, HV_LOG_ERR, "close with %u VM(s) alive",
			 hv->nr_vms);
	fake_set_last((void **)&fake_last_hv, NULL, hv);
	pthread_mutex_destroy(&hv->lock);
	free(hv);
}

static int fake_get_caps(struct hv *hv, struct hv_caps *caps)
{
	int err = fake_fail_take("get_caps");

	if (err)
		return err;
	if (!hv || !caps)
		return -EINVAL;
	pthread_mutex_lock(&hv->lock);
	*caps = hv->caps;
	pthread_mutex_unlock(&hv->lock);
	return 0;
}

static int fake_get_ioctl_allowlist(struct hv *hv, const unsigned long **cmds,
				    size_t *n)
{
	static const unsigned long none[1];
	int err = fake_fail_take("get_ioctl_allowlist");

	if (err)
		return err;
	*cmds = none;
	*n = 0; /* the fake issues no ioctls */
	return 0;
}

/* --- VM --- */

static int fake_vm_create(struct hv *hv, const struct hv_vm_config *cfg,
			  struct hv_vm **out)
{
	struct hv_vm *vm;
	int err = fake_fail_take("vm_create");

	if (err)
		return err;
	if (!hv || !cfg || !out || cfg->size < sizeof(*cfg))
		return -EINVAL;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	fake_get_caps(hv, &vm->caps);
	if (cfg->nr_vcpus == 0 || cfg->nr_vcpus > vm->caps.max_vcpus ||
	    (cfg->arch != HV_ARCH_X86_64 && cfg->arch != HV_ARCH_AARCH64)) {
		free(vm);
		return -EINVAL;
	}
	vm->vcpus = calloc(cfg->nr_vcpus, sizeof(*vm->vcpus));
	if (!vm->vcpus) {
		free(vm);
		return -ENOMEM;
	}
	vm->hv = hv;
	vm->cfg = *cfg;
	pthread_mutex_init(&vm->lock, NULL);
	vm->regions.size = sizeof(struct hv_fake_region);
	vm->irqfds.size = sizeof(struct hv_fake_irqfd);
	vm->ioeventfds.size = sizeof(struct hv_ioeventfd);
	vm->msis.size = sizeof(struct hv_fake_msi);
	vm->lines.size = sizeof(struct hv_fake_irq_line);
	vm->dirty.size = sizeof(uint64_t);
	pthread_mutex_lock(&hv->lock);
	hv->nr_vms++;
	pthread_mutex_unlock(&hv->lock);
	fake_set_last((void **)&fake_last_vm, vm, NULL);
	*out = vm;
	return 0;
}

static void fake_vm_destroy(struct hv_vm *vm)
{
	uint32_t i;

	if (!vm)
		return;
	for (i = 0; i < vm->cfg.nr_vcpus; i++)
		if (vm->vcpus[i])
			fake_log(vm->hv, HV_LOG_ERR,
				 "vm_destroy with vCPU %u alive", i);
	fake_set_last((void **)&fake_last_vm, NULL, vm);
	pthread_mutex_lock(&vm->hv->lock);
	vm->hv->nr_vms--;
	pthread_mutex_unlock(&vm->hv->lock);
	fake_vec_free(&vm->regions);
	fake_vec_free(&vm->irqfds);
	fake_vec_free(&vm->ioeventfds);
	fake_vec_free(&vm->msis);
	fake_vec_free(&vm->lines);
	fake_vec_free(&vm->dirty);
	free(vm->routes);
	free(vm->vcpus);
	pthread_mutex_destroy(&vm->lock);
	free(vm);
}

static const struct hv_ops fake_ops = {
	.size = sizeof(struct hv_ops),
	.probe = fake_probe,
	.open = fake_open,
	.close = fake_close,
	.get_caps = fake_get_caps,
	.get_ioctl_allowlist = fake_get_ioctl_allowlist,
	.vm_create = fake_vm_create,
	.vm_destroy = fake_vm_destroy,
	.map_memory = fake_map_memory,
	.unmap_memory = fake_unmap_memory,
	.dirty_log_enable = fake_dirty_log_enable,
	.dirty_log_fetch = fake_dirty_log_fetch,
	.irqchip_create = fake_irqchip_create,
	.irqchip_finalize = fake_irqchip_finalize,
	.irq_line = fake_irq_line,
	.irqfd = fake_irqfd,
	.ioeventfd = fake_ioeventfd,
	.set_routes = fake_set_routes,
	.signal_msi = fake_signal_msi,
	.vcpu_create = fake_vcpu_create,
	.vcpu_destroy = fake_vcpu_destroy,
	.vcpu_run = fake_vcpu_run,
	.vcpu_kick = fake_vcpu_kick,
	.vcpu_get_regs = fake_vcpu_get_regs,
	.vcpu_set_regs = fake_vcpu_set_regs,
	.vcpu_get_reg = fake_vcpu_get_reg,
	.vcpu_set_reg = fake_vcpu_set_reg,
};

#define FAKE_DESC                                                        \
	{                                                                \
		.magic = PLUGIN_MAGIC, .kind = PLUGIN_HV,                \
		.abi_major = HV_ABI_MAJOR, .abi_minor = HV_ABI_MINOR,    \
		.desc_size = sizeof(struct plugin_desc), .name = "fake", \
		.build_id = "hv-fake test plugin", .ops = &fake_ops,     \
	}

const struct plugin_desc hv_fake_desc = FAKE_DESC;
PLUGIN_EXPORT const struct plugin_desc nimbus_plugin_desc = FAKE_DESC;

/* --- test controls --- */

int hv_fake_fail_next(const char *op, int err)
{
	int i = fake_op_index(op);

	if (i < 0 || err >= 0)
		return -EINVAL;
	pthread_mutex_lock(&fake_global_lock);
	fake_fail[i] = err;
	pthread_mutex_unlock(&fake_global_lock);
	return 0;
}

void hv_fake_fail_clear(void)
{
	pthread_mutex_lock(&fake_global_lock);
	memset(fake_fail, 0, sizeof(fake_fail));
	pthread_mutex_unlock(&fake_global_lock);
}

struct hv *hv_fake_last_hv(void)
{
	return fake_get_last((void **)&fake_last_hv);
}

struct hv_vm *hv_fake_last_vm(void)
{
	return fake_get_last((void **)&fake_last_vm);
}

struct hv_vcpu *hv_fake_last_vcpu(void)
{
	return fake_get_last((void **)&fake_last_vcpu);
}
