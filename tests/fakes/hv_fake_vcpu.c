// SPDX-License-Identifier: Apache-2.0
/*
 * hv_fake_vcpu.c - the fake hypervisor's vCPU ops: create/destroy, run
 * (scripted exits, kicks, blocking mode, HV_FAKE_F_HOST_* completion) and
 * the register ops (see hv_fake.h for the semantics).  hv_fake.c puts them
 * in the hv_ops table; like it, this file is built into the unit tests and
 * into hv-fake.so, where everything here stays hidden.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "tests/fakes/hv_fake_priv.h"

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

int fake_vcpu_create(struct hv_vm *vm, uint32_t id,
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
	fake_last_vcpu_set(v);
	*out = v;
	return 0;

err_close:
	pthread_mutex_destroy(&v->lock);
	close(v->wake_fd);
err_free:
	free(v);
	return err;
}

void fake_vcpu_destroy(struct hv_vcpu *v)
{
	struct fake_node *n;

	if (!v)
		return;
	fake_last_vcpu_forget(v);
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

int fake_vcpu_run(struct hv_vcpu *v, struct hv_exit *exit)
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

void fake_vcpu_kick(struct hv_vcpu *v)
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

int fake_vcpu_get_regs(struct hv_vcpu *v, uint32_t set, void *buf, size_t len)
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

int fake_vcpu_set_regs(struct hv_vcpu *v, uint32_t set, const void *buf,
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

int fake_vcpu_get_reg(struct hv_vcpu *v, uint32_t id, uint64_t *val)
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

int fake_vcpu_set_reg(struct hv_vcpu *v, uint32_t id, uint64_t val)
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
