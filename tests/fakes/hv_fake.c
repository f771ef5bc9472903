// SPDX-License-Identifier: Apache-2.0
/*
 * hv_fake.c - an in-memory hypervisor for tests (see hv_fake.h): the
 * hv_ops, the descriptor and the process-wide test controls.  The
 * per-object accessors are in hv_fake_access.c.
 *
 * Built twice: linked statically into every unit test, and as
 * build/plugins/hv-fake.so.  Like any plugin it must not use the core's
 * symbols (-Wl,-z,defs), so it logs through host->log, not vmm/log.h.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

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

/* Consume an injected failure for `op` (a literal from the table). */
static int fake_fail_take(const char *op)
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

__attribute__((format(printf, 3, 4))) static void
fake_log(struct hv *hv, int level, const char *fmt, ...)
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

static void fake_vec_del(struct fake_vec *v, size_t i)
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

static int fake_map_memory(struct hv_vm *vm, uint64_t gpa, uint64_t size,
			   void *hva, uint32_t flags)
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

static int fake_unmap_memory(struct hv_vm *vm, uint64_t gpa, uint64_t size)
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

static int fake_dirty_log_enable(struct hv_vm *vm, uint64_t gpa, uint64_t size,
				 int on)
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

static int fake_dirty_log_fetch(struct hv_vm *vm, uint64_t gpa, uint64_t size,
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

static int fake_irqchip_create(struct hv_vm *vm,
			       const struct hv_irqchip_config *cfg)
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

static int fake_irqchip_finalize(struct hv_vm *vm)
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

static int fake_irq_line(struct hv_vm *vm, uint32_t gsi, int level)
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

static int fake_irqfd(struct hv_vm *vm, int efd, uint32_t gsi, int resample_efd,
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

static int fake_ioeventfd(struct hv_vm *vm, const struct hv_ioeventfd *ioe,
			  int assign)
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

static int fake_set_routes(struct hv_vm *vm, const struct hv_route *r,
			   uint32_t n)
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

static int fake_signal_msi(struct hv_vm *vm, uint64_t addr, uint32_t data,
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

/* --- vCPU --- */

static void fake_reset_state(struct hv_vcpu *v)
{
	struct hv_x86_segment data = {
		.limit = 0xffff, .type = 3, .present = 1, .s = 1
	};
	struct hv_x86_sregs *s = &v->sregs;

	memset(&v->regs, 0, sizeof(v->regs));
	v->regs.rip = 0xfff0;
	v->regs.rflags = 0x2;
	memset(s, 0, sizeof(*s));
	s->cs = data;
	s->cs.selector = 0xf000;
	s->cs.base = 0xffff0000;
	s->cs.type = 0xb;
	s->ds = s->es = s->fs = s->gs = s->ss = data;
	s->tr = data;
	s->tr.type = 0xb;
	s->tr.s = 0;
	s->ldt = s->tr;
	s->ldt.type = 2;
	s->gdt.limit = s->idt.limit = 0xffff;
	s->cr0 = 0x60000010;
	s->apic_base = HV_X86_LAPIC_BASE | 0x800 | (v->id == 0 ? 0x100 : 0);
}

/* Record a vCPU op made off the vCPU's own thread (hv.h threading rule). */
static void fake_check_thread(struct hv_vcpu *v, const char *op)
{
	if (pthread_equal(pthread_self(), v->thread))
		return;
	if (atomic_fetch_add(&v->thread_violations, 1) == 0)
		fake_log(v->vm->hv, HV_LOG_WARN,
			 "vCPU %u: %s called off the vCPU thread", v->id, op);
}

static int fake_vcpu_create(struct hv_vm *vm, uint32_t id,
			    const struct hv_vcpu_config *cfg, void *cookie,
			    struct hv_vcpu **out)
{
	struct hv_vcpu *v;
	int err = fake_fail_take("vcpu_create");

	if (err)
		return err;
	if (!cfg || !out || cfg->size < sizeof(*cfg) || id >= vm->cfg.nr_vcpus)
		return -EINVAL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (v->wake_fd < 0) {
		err = -errno;
		goto err_free;
	}
	v->vm = vm;
	v->id = id;
	v->cfg = *cfg;
	v->cookie = cookie;
	v->thread = pthread_self();
	pthread_mutex_init(&v->lock, NULL);
	fake_reset_state(v);
	pthread_mutex_lock(&vm->lock);
	err = vm->vcpus[id] ? -EEXIST : 0;
	if (!err)
		vm->vcpus[id] = v;
	pthread_mutex_unlock(&vm->lock);
	if (err)
		goto err_close;
	fake_set_last((void **)&fake_last_vcpu, v, NULL);
	*out = v;
	return 0;

err_close:
	pthread_mutex_destroy(&v->lock);
	close(v->wake_fd);
err_free:
	free(v);
	return err;
}

static void fake_vcpu_destroy(struct hv_vcpu *v)
{
	struct fake_node *n;

	if (!v)
		return;
	fake_set_last((void **)&fake_last_vcpu, NULL, v);
	pthread_mutex_lock(&v->vm->lock);
	v->vm->vcpus[v->id] = NULL;
	pthread_mutex_unlock(&v->vm->lock);
	while ((n = v->head)) {
		v->head = n->next;
		free(n);
	}
	close(v->wake_fd);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

/* The core re-entered after a scripted exit: keep what it wrote back. */
static void fake_record_completion(struct hv_vcpu *v,
				   const struct hv_exit *exit)
{
	if (!v->pending)
		return;
	v->pending = 0;
	v->completion = *exit;
	if (v->completion.reason == HV_EXIT_PIO)
		v->completion.u.pio.data = NULL;
	v->have_completion = 1;
	if (v->pending_read == 1)
		memcpy(v->read, exit->u.mmio.data, v->pending_len);
	else if (v->pending_read == 2)
		memcpy(v->read, v->pio_buf, v->pending_len);
	if (v->pending_read) {
		v->read_len = v->pending_len;
		v->have_read = 1;
	}
	v->pending_read = 0;
}

/* Wait for a push or kick.  Called unlocked on the vCPU thread. */
static int fake_wait(struct hv_vcpu *v)
{
	struct pollfd pfd = { .fd = v->wake_fd, .events = POLLIN };
	uint64_t cnt;
	int r = poll(&pfd, 1, HV_FAKE_BLOCK_MS);

	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	if (r == 0)
		return -ETIMEDOUT;
	if (read(v->wake_fd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

/* Complete a HV_FAKE_F_HOST_* exit through the hv_host callbacks, as a
 * backend with its own instruction emulator would.  Unlocked. */
static int fake_via_host(struct hv_vcpu *v, const struct fake_node *n,
			 struct hv_exit *exit)
{
	const struct hv_host *h = v->vm->hv->host;
	const struct hv_exit *e = &n->exit;
	uint32_t len = MIN(e->u.mmio.len, 8u), i;
	uint8_t buf[8];
	void *hva = NULL;
	int ret = -EOPNOTSUPP, rd = 0;

	if (!h || h->size < offsetof(struct hv_host, gpa_to_hva) +
				    sizeof(h->gpa_to_hva))
		goto done;
	if (e->flags & HV_FAKE_F_HOST_RAM) {
		if (e->reason != HV_EXIT_MMIO || !h->gpa_to_hva)
			goto done;
		hva = h->gpa_to_hva(v->cookie, e->u.mmio.gpa, len);
		ret = hva ? 0 : -EFAULT;
		if (hva && e->u.mmio.write)
			memcpy(hva, e->u.mmio.data, len);
		else if (hva)
			memcpy(buf, hva, len);
		rd = hva && !e->u.mmio.write;
	} else if (e->reason == HV_EXIT_MMIO && h->mmio) {
		memcpy(buf, e->u.mmio.data, 8);
		if (!e->u.mmio.write)
			memset(buf, HV_FAKE_POISON, sizeof(buf));
		ret = h->mmio(v->cookie, e->u.mmio.gpa, buf, len,
			      e->u.mmio.write);
		rd = !e->u.mmio.write;
	} else if (e->reason == HV_EXIT_PIO && h->pio) {
		len = n->pio_len;
		if (e->u.pio.write)
			memcpy(v->pio_buf, n->pio, len);
		else
			memset(v->pio_buf, HV_FAKE_POISON, len);
		ret = 0;
		for (i = 0; i < e->u.pio.count && ret >= 0; i++)
			ret = h->pio(v->cookie, e->u.pio.port,
				     v->pio_buf + i * e->u.pio.size,
				     e->u.pio.size, e->u.pio.write);
		rd = !e->u.pio.write;
	}
done:
	pthread_mutex_lock(&v->lock);
	v->host_ret = ret;
	v->host_hva = hva;
	if (rd && ret >= 0) {
		memcpy(v->read, e->reason == HV_EXIT_PIO ? v->pio_buf : buf,
		       len);
		v->read_len = len;
		v->have_read = 1;
	}
	pthread_mutex_unlock(&v->lock);
	memset(exit, 0, sizeof(*exit));
	exit->reason = HV_EXIT_NONE;
	return ret < 0 ? ret : 0;
}

static int fake_vcpu_run(struct hv_vcpu *v, struct hv_exit *exit)
{
	struct fake_node *n;
	int err = fake_fail_take("vcpu_run");

	if (err)
		return err;
	if (!exit)
		return -EINVAL;
	fake_check_thread(v, "vcpu_run");
	pthread_mutex_lock(&v->lock);
	/* Completion comes first, as on KVM: a kick does not lose it. */
	fake_record_completion(v, exit);
	for (;;) {
		if (atomic_exchange(&v->kicked, 0)) {
			memset(exit, 0, sizeof(*exit));
			exit->reason = HV_EXIT_INTR;
			goto out;
		}
		if (v->head)
			break;
		if (!v->blocking) {
			memset(exit, 0, sizeof(*exit));
			exit->reason = HV_EXIT_SHUTDOWN;
			goto out;
		}
		pthread_mutex_unlock(&v->lock);
		err = fake_wait(v);
		if (err)
			return err;
		pthread_mutex_lock(&v->lock);
	}
	n = v->head;
	v->head = n->next;
	if (!v->head)
		v->tail = NULL;
	v->nr_queued--;
	v->runs++;
	if (n->exit.flags & (HV_FAKE_F_HOST_IO | HV_FAKE_F_HOST_RAM)) {
		v->have_read = 0;
		pthread_mutex_unlock(&v->lock);
		err = fake_via_host(v, n, exit);
		free(n);
		return err;
	}
	*exit = n->exit;
	exit->flags &= ~(HV_FAKE_F_HOST_IO | HV_FAKE_F_HOST_RAM);
	v->pending = 1;
	if (exit->reason == HV_EXIT_MMIO && !exit->u.mmio.write) {
		memset(exit->u.mmio.data, HV_FAKE_POISON, 8);
		v->pending_read = 1;
		v->pending_len = MIN(exit->u.mmio.len, 8u);
		v->have_read = 0;
	} else if (exit->reason == HV_EXIT_PIO) {
		if (exit->u.pio.write)
			memcpy(v->pio_buf, n->pio, n->pio_len);
		else
			memset(v->pio_buf, HV_FAKE_POISON, n->pio_len);
		exit->u.pio.data = v->pio_buf;
		if (!exit->u.pio.write) {
			v->pending_read = 2;
			v->pending_len = n->pio_len;
			v->have_read = 0;
		}
	}
	free(n);
out:
	pthread_mutex_unlock(&v->lock);
	return 0;
}

static void fake_vcpu_kick(struct hv_vcpu *v)
{
	uint64_t one = 1;
	int saved = errno;
	ssize_t r;

	/* Async-signal-safe: an atomic store and write(2), no locks. */
	atomic_store(&v->kicked, 1);
	r = write(v->wake_fd, &one, sizeof(one));
	(void)r; /* EAGAIN: counter saturated, the waiter wakes anyway */
	errno = saved;
}

/* Bulk set -> storage and size; NULL for an unknown set. */
static void *fake_regs_ptr(struct hv_vcpu *v, uint32_t set, size_t *size)
{
	if (set == HV_REGS_CORE) {
		*size = sizeof(v->regs);
		return &v->regs;
	}
	if (set == HV_REGS_SPECIAL) {
		*size = sizeof(v->sregs);
		return &v->sregs;
	}
	return NULL;
}

/* Common checks of the bulk register ops; *p = storage of `set`. */
static int fake_regs_check(struct hv_vcpu *v, uint32_t set, const void *buf,
			   size_t len, const char *op, void **p)
{
	size_t size = 0;
	int err = fake_fail_take(op);

	if (err)
		return err;
	fake_check_thread(v, op);
	*p = fake_regs_ptr(v, set, &size);
	if (!*p || !buf || len != size)
		return -EINVAL;
	return 0;
}

static int fake_vcpu_get_regs(struct hv_vcpu *v, uint32_t set, void *buf,
			      size_t len)
{
	void *p;
	int err = fake_regs_check(v, set, buf, len, "vcpu_get_regs", &p);

	if (err)
		return err;
	pthread_mutex_lock(&v->lock);
	memcpy(buf, p, len);
	pthread_mutex_unlock(&v->lock);
	return 0;
}

static int fake_vcpu_set_regs(struct hv_vcpu *v, uint32_t set, const void *buf,
			      size_t len)
{
	void *p;
	int err = fake_regs_check(v, set, buf, len, "vcpu_set_regs", &p);

	if (err)
		return err;
	pthread_mutex_lock(&v->lock);
	memcpy(p, buf, len);
	pthread_mutex_unlock(&v->lock);
	return 0;
}

static uint64_t *fake_reg_ptr(struct hv_vcpu *v, uint32_t id)
{
	switch (id) {
	case HV_X86_RIP:
		return &v->regs.rip;
	case HV_X86_RSP:
		return &v->regs.rsp;
	case HV_X86_RFLAGS:
		return &v->regs.rflags;
	case HV_X86_RAX:
		return &v->regs.rax;
	case HV_X86_RBX:
		return &v->regs.rbx;
	case HV_X86_RCX:
		return &v->regs.rcx;
	case HV_X86_RDX:
		return &v->regs.rdx;
	case HV_X86_RSI:
		return &v->regs.rsi;
	case HV_X86_RDI:
		return &v->regs.rdi;
	case HV_X86_CR0:
		return &v->sregs.cr0;
	case HV_X86_CR3:
		return &v->sregs.cr3;
	case HV_X86_CR4:
		return &v->sregs.cr4;
	case HV_X86_EFER:
		return &v->sregs.efer;
	default:
		return NULL;
	}
}

static int fake_vcpu_get_reg(struct hv_vcpu *v, uint32_t id, uint64_t *val)
{
	int err = fake_fail_take("vcpu_get_reg");
	uint64_t *p;

	if (err)
		return err;
	fake_check_thread(v, "vcpu_get_reg");
	p = fake_reg_ptr(v, id);
	if (!p || !val)
		return -EINVAL;
	pthread_mutex_lock(&v->lock);
	*val = *p;
	pthread_mutex_unlock(&v->lock);
	return 0;
}

static int fake_vcpu_set_reg(struct hv_vcpu *v, uint32_t id, uint64_t val)
{
	int err = fake_fail_take("vcpu_set_reg");
	uint64_t *p;

	if (err)
		return err;
	fake_check_thread(v, "vcpu_set_reg");
	p = fake_reg_ptr(v, id);
	if (!p)
		return -EINVAL;
	pthread_mutex_lock(&v->lock);
	*p = val;
	pthread_mutex_unlock(&v->lock);
	return 0;
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
