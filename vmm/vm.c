// SPDX-License-Identifier: Apache-2.0
/*
 * vm.c - VM construction, interrupt routes, start/stop and teardown.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define LOG_MOD "vm"
#include "devices/pci/pci.h"
#include "devices/pvpanic.h"
#include "hv/hv_call.h"
#include "vmm/evmon.h"
#include "vmm/log.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"
#include "vmm/vm_virtio.h"

/* --- MSI routes ------------------------------------------------------- */

static int routes_push(struct vm *vm)
{
	int ret = HV_CALL(vm->ops, set_routes, vm->hvm, vm->routes,
			  vm->nr_routes);

	if (ret)
		log_err("cannot update interrupt routes: %s", strerror(-ret));
	return ret;
}

/* The ITS device id of the PCI function that owns `gsi`: its requester
 * id (bus 0: the devfn), which the aarch64 FDT's msi-map passes through
 * unchanged; 0 when no device owns it.  x86 backends ignore it. */
static uint32_t msi_devid(struct vm *vm, uint32_t gsi)
{
	unsigned int i;

	for (i = 0; i < vm->nr_vdevs; i++)
		if (gsi >= vm->vdevs[i].gsi_base &&
		    gsi - vm->vdevs[i].gsi_base < vm->vdevs[i].nr_gsi)
			return vm->vdevs[i].devfn;
	return 0;
}

static int route_set(void *opaque, uint32_t gsi, uint64_t addr, uint32_t data)
{
	struct vm *vm = opaque;
	struct hv_route *r = NULL;
	uint32_t i;
	int ret;

	pthread_mutex_lock(&vm->route_lock);
	for (i = 0; i < vm->nr_routes; i++)
		if (vm->routes[i].gsi == gsi)
			r = &vm->routes[i];
	if (!r) {
		if (vm->nr_routes == vm->cap_routes) {
			uint32_t cap = vm->cap_routes ? vm->cap_routes * 2 : 32;
			struct hv_route *n =
				realloc(vm->routes, cap * sizeof(*n));

			if (!n) {
				ret = -ENOMEM;
				goto out;
			}
			vm->routes = n;
			vm->cap_routes = cap;
		}
		r = &vm->routes[vm->nr_routes++];
	} else if (r->type == HV_ROUTE_MSI && r->u.msi.addr == addr &&
		   r->u.msi.data == data) {
		ret = 0; /* unchanged: spare the hypervisor call */
		goto out;
	}
	memset(r, 0, sizeof(*r));
	r->gsi = gsi;
	r->type = HV_ROUTE_MSI;
	r->u.msi.addr = addr;
	r->u.msi.data = data;
	r->u.msi.devid = msi_devid(vm, gsi);
	ret = routes_push(vm);
out:
	pthread_mutex_unlock(&vm->route_lock);
	return ret;
}

static int route_clear(void *opaque, uint32_t gsi)
{
	struct vm *vm = opaque;
	uint32_t i;
	int ret = 0;

	pthread_mutex_lock(&vm->route_lock);
	for (i = 0; i < vm->nr_routes; i++) {
		if (vm->routes[i].gsi != gsi)
			continue;
		vm->routes[i] = vm->routes[--vm->nr_routes];
		ret = routes_push(vm);
		break;
	}
	pthread_mutex_unlock(&vm->route_lock);
	return ret;
}

/* --- services lent to the platform ------------------------------------ */

static int irqfd_new(void *opaque, uint32_t gsi, int *efd_out)
{
	struct vm *vm = opaque;
	int *n, efd, ret;

	n = realloc(vm->irq_efds, (vm->nr_irq_efds + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	vm->irq_efds = n;
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		return -errno;
	ret = HV_CALL(vm->ops, irqfd, vm->hvm, efd, gsi, -1, 1);
	if (ret) {
		close(efd);
		return ret;
	}
	vm->irq_efds[vm->nr_irq_efds] = efd;
	vm->nr_irq_efds++;
	*efd_out = efd;
	return 0;
}

static void arch_request(void *opaque, int what)
{
	struct vm *vm = opaque;

	if (what == ARCH_REQ_POWEROFF) {
		log_info("guest powered off");
		vm_request_stop(vm, VM_STOP_POWEROFF);
	} else if (what == ARCH_REQ_RESET) {
		log_info("guest requested a reset");
		vm_request_stop(vm, VM_STOP_RESET);
	}
}

static void console_tx(void *opaque, const uint8_t *buf, size_t len)
{
	struct vm *vm = opaque;

	if (vm->console_tx)
		vm->console_tx(vm->console_opaque, buf, len);
}

static void console_rx_space(void *opaque)
{
	struct vm *vm = opaque;

	if (vm->console_rx_space)
		vm->console_rx_space(vm->console_opaque);
}

/* --- construction ----------------------------------------------------- */

static int setup_memory(struct vm *vm, char *err, size_t errlen)
{
	struct arch_ram_region r[GUEST_MEM_MAX_REGIONS];
	unsigned int nr, i;
	void *hva;
	int ret;

	ret = arch_ram_layout(vm->cfg->memory.size, r, GUEST_MEM_MAX_REGIONS,
			      &nr);
	if (ret) {
		snprintf(err, errlen, "memory size %llu cannot be laid out",
			 (unsigned long long)vm->cfg->memory.size);
		return ret;
	}
	for (i = 0; i < nr; i++) {
		ret = guest_mem_add(&vm->mem, r[i].gpa, r[i].size, &hva);
		if (ret) {
			snprintf(err, errlen,
				 "cannot allocate %llu MiB of guest memory: %s",
				 (unsigned long long)(r[i].size >> 20),
				 strerror(-ret));
			return ret;
		}
		ret = vm->ops->map_memory(vm->hvm, r[i].gpa, r[i].size, hva,
					  HV_MEM_READ | HV_MEM_WRITE |
						  HV_MEM_EXEC);
		if (ret) {
			snprintf(err, errlen,
				 "hypervisor refused guest memory at %#llx: %s",
				 (unsigned long long)r[i].gpa, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static void on_pvpanic(void *opaque, uint8_t events)
{
	struct vm *vm = opaque;

	if (events & PVPANIC_PANICKED) {
		log_warn("the guest reported a panic (pvpanic)");
		evmon_emit(vm->evmon, "guest", "panic", NULL);
	}
	if (events & PVPANIC_CRASH_LOADED) {
		log_warn("the guest loaded a crash kernel (pvpanic)");
		evmon_emit(vm->evmon, "guest", "crash-loaded", NULL);
	}
}

/* --pvpanic: PCI 1b36:0011 after the virtio devices (their BDFs stay). */
static int create_pvpanic(struct vm *vm, char *err, size_t errlen)
{
	struct pvpanic_cfg pcfg = { .event = on_pvpanic, .opaque = vm };
	struct pci_bus *pci = arch_pci_bus(vm->arch);
	uint8_t devfn;
	int ret;

	if (!vm->cfg->pvpanic)
		return 0;
	if (!pci) {
		snprintf(err, errlen, "--pvpanic needs a PCI bus");
		return -ENODEV;
	}
	ret = pvpanic_create(&pcfg, &vm->pvpanic);
	if (!ret)
		ret = pci_bus_add_dev(pci, pvpanic_pci_dev(vm->pvpanic), -1,
				      &devfn);
	if (ret) {
		snprintf(err, errlen, "pvpanic: %s", strerror(-ret));
		return ret;
	}
	log_info("pvpanic at 00:%02x.%x", devfn >> 3, devfn & 7);
	return 0;
}

int vm_create(const struct vm_config *cfg, const struct hv_ops *ops,
	      struct hv *hv, struct event_loop *loop, struct vm *vm, char *err,
	      size_t errlen)
{
	/* Keep the console hooks main set before calling us. */
	void (*ctx)(void *, const uint8_t *, size_t) = vm->console_tx;
	void (*crx)(void *) = vm->console_rx_space;
	void *copaque = vm->console_opaque;
	void (*vtx)(void *, const uint8_t *, size_t) = vm->vcon_tx;
	void (*vrx)(void *) = vm->vcon_rx_space;
	void *vopaque = vm->vcon_opaque;
	int kick_signo = vm->kick_signo;
	struct evmon *evmon = vm->evmon;
	struct hv_vm_config vcfg = { .size = sizeof(vcfg) };
	pthread_condattr_t ca;
	uint32_t i;
	int ret;

	memset(vm, 0, sizeof(*vm));
	vm->console_tx = ctx;
	vm->console_rx_space = crx;
	vm->console_opaque = copaque;
	vm->vcon_tx = vtx;
	vm->vcon_rx_space = vrx;
	vm->vcon_opaque = vopaque;
	vm->kick_signo = kick_signo;
	vm->evmon = evmon;
	vm->cfg = cfg;
	vm->ops = ops;
	vm->hv = hv;
	vm->loop = loop;
	vm->stop_efd = -1;
	guest_mem_init(&vm->mem);
	pthread_mutex_init(&vm->lock, NULL);
	/* vm_pause's timed wait measures on the monotonic clock. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&vm->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&vm->route_lock, NULL);
	vm->router.set = route_set;
	vm->router.clear = route_clear;
	vm->router.opaque = vm;

	vm->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->stop_efd < 0) {
		ret = -errno;
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	ret = ops->get_caps(hv, &vm->caps);
	if (ret) {
		snprintf(err, errlen, "hypervisor capabilities: %s",
			 strerror(-ret));
		goto fail;
	}
	vm->nr_vcpus = cfg->cpus.boot;
	if (!vm->nr_vcpus ||
	    (vm->caps.max_vcpus && vm->nr_vcpus > vm->caps.max_vcpus)) {
		ret = -EINVAL;
		snprintf(err, errlen,
			 "--cpus boot=%u: the hypervisor allows 1 to %u",
			 vm->nr_vcpus, vm->caps.max_vcpus);
		goto fail;
	}
#if defined(__x86_64__)
	vcfg.arch = HV_ARCH_X86_64;
#elif defined(__aarch64__)
	vcfg.arch = HV_ARCH_AARCH64;
#endif
	vcfg.nr_vcpus = vm->nr_vcpus;
	vcfg.mem_size = cfg->memory.size;
	ret = ops->vm_create(hv, &vcfg, &vm->hvm);
	if (ret) {
		snprintf(err, errlen, "cannot create the VM: %s",
			 strerror(-ret));
		goto fail;
	}
	ret = bus_init(&vm->pio, "pio");
	if (!ret)
		ret = bus_init(&vm->mmio, "mmio");
	if (ret) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	ret = setup_memory(vm, err, errlen);
	if (ret)
		goto fail;

	vm->ah = (struct arch_host){
		.ops = ops,
		.hvm = vm->hvm,
		.caps = &vm->caps,
		.mem = &vm->mem,
		.pio = &vm->pio,
		.mmio = &vm->mmio,
		.loop = loop,
		.router = &vm->router,
		.cfg = cfg,
		.nr_vcpus = vm->nr_vcpus,
		.irqfd_new = irqfd_new,
		.request = arch_request,
		.console_tx = console_tx,
		.console_rx_space = console_rx_space,
		.opaque = vm,
	};
	ret = arch_vm_create(&vm->ah, &vm->arch, err, errlen);
	if (ret)
		goto fail;
	ret = vm_virtio_create(vm, err, errlen);
	if (ret)
		goto fail;
	ret = create_pvpanic(vm, err, errlen);
	if (ret)
		goto fail;

	vm->vcpus = calloc(vm->nr_vcpus, sizeof(*vm->vcpus));
	if (!vm->vcpus) {
		ret = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (i = 0; i < vm->nr_vcpus; i++) {
		vm->vcpus[i].vm = vm;
		vm->vcpus[i].id = i;
	}
	return 0;

fail:
	vm_destroy(vm);
	return ret;
}

int vm_prepare(struct vm *vm)
{
	uint32_t i;
	int ret = 0;

	for (i = 0; i < vm->nr_vcpus; i++) {
		ret = -pthread_create(&vm->vcpus[i].thread, NULL, vcpu_thread,
				      &vm->vcpus[i]);
		if (ret) {
			log_err("cannot start vCPU thread %u: %s", i,
				strerror(-ret));
			break;
		}
		vm->vcpus[i].thread_started = 1;
	}
	pthread_mutex_lock(&vm->lock);
	while (vm->started < i)
		pthread_cond_wait(&vm->cond, &vm->lock);
	if (!ret)
		ret = vm->setup_err;
	pthread_mutex_unlock(&vm->lock);
	if (!ret) {
		ret = arch_vm_finalize(vm->arch);
		if (ret)
			log_err("cannot finalize the platform: %s",
				strerror(-ret));
	}
	if (ret)
		vm_request_stop(vm, VM_STOP_ERROR);
	return ret;
}

void vm_go(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	vm->go = 1;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
}

int vm_start(struct vm *vm)
{
	int ret = vm_prepare(vm);

	if (!ret)
		vm_go(vm);
	return ret;
}

void vm_kick_all(struct vm *vm)
{
	uint32_t i;

	for (i = 0; vm->vcpus && i < vm->nr_vcpus; i++) {
		struct hv_vcpu *v = __atomic_load_n(&vm->vcpus[i].hv_vcpu,
						    __ATOMIC_ACQUIRE);

		if (v)
			vm->ops->vcpu_kick(v);
	}
}

int vm_pause(struct vm *vm)
{
	struct timespec now, deadline, step;
	int ret = 0;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += VM_PAUSE_TIMEOUT_MS / 1000;
	deadline.tv_nsec += (VM_PAUSE_TIMEOUT_MS % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&vm->lock);
	if (vm->stop_reason) {
		pthread_mutex_unlock(&vm->lock);
		return -ESHUTDOWN;
	}
	__atomic_store_n(&vm->pause_req, 1, __ATOMIC_RELEASE);
	while (vm->parked < vm->active && !vm->stop_reason) {
		/* Kick (again) every 50 ms: a vCPU between its pause check
		 * and vcpu_run consumes the first kick as a pending one. */
		pthread_mutex_unlock(&vm->lock);
		vm_kick_all(vm);
		pthread_mutex_lock(&vm->lock);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > deadline.tv_sec ||
		    (now.tv_sec == deadline.tv_sec &&
		     now.tv_nsec >= deadline.tv_nsec)) {
			ret = -ETIMEDOUT;
			break;
		}
		step = now;
		step.tv_nsec += 50000000L;
		if (step.tv_nsec >= 1000000000L) {
			step.tv_sec++;
			step.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&vm->cond, &vm->lock, &step);
	}
	if (!ret && vm->stop_reason)
		ret = -ESHUTDOWN;
	if (ret) {
		__atomic_store_n(&vm->pause_req, 0, __ATOMIC_RELEASE);
		pthread_cond_broadcast(&vm->cond);
	}
	pthread_mutex_unlock(&vm->lock);
	if (ret == -ETIMEDOUT)
		log_err("a vCPU did not stop within %u ms; not paused",
			VM_PAUSE_TIMEOUT_MS);
	return ret;
}

void vm_resume(struct vm *vm)
{
	pthread_mutex_lock(&vm->lock);
	__atomic_store_n(&vm->pause_req, 0, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
}

int vm_counters_add(struct vm *vm, const char *id, const struct dev_counters *c)
{
	unsigned int i;

	for (i = 0; i < vm->nr_counters; i++)
		if (!strcmp(vm->counters[i].id, id))
			return -EEXIST;
	if (vm->nr_counters >= VM_MAX_COUNTERS)
		return -ENOSPC;
	vm->counters[vm->nr_counters].id = id;
	vm->counters[vm->nr_counters].c = c;
	vm->nr_counters++;
	return 0;
}

int vm_power_button(struct vm *vm)
{
	return arch_power_button(vm->arch);
}

void vm_request_stop(struct vm *vm, int reason)
{
	uint64_t one = 1;
	int first = 0;

	pthread_mutex_lock(&vm->lock);
	if (!vm->stop_reason) {
		__atomic_store_n(&vm->stop_reason, reason, __ATOMIC_RELEASE);
		first = 1;
	}
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
	if (!first)
		return;
	vm_kick_all(vm);
	if (vm->stop_efd >= 0 &&
	    write(vm->stop_efd, &one, sizeof(one)) != sizeof(one))
		log_warn("cannot signal the main loop: %s", strerror(errno));
}

void vm_join(struct vm *vm)
{
	uint32_t i;

	for (i = 0; vm->vcpus && i < vm->nr_vcpus; i++) {
		if (!vm->vcpus[i].thread_started)
			continue;
		pthread_join(vm->vcpus[i].thread, NULL);
		vm->vcpus[i].thread_started = 0;
	}
}

void vm_destroy(struct vm *vm)
{
	unsigned int i;

	for (i = 0; vm->vcpus && i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].hv_vcpu)
			vm->ops->vcpu_destroy(vm->vcpus[i].hv_vcpu);
	free(vm->vcpus);
	vm->vcpus = NULL;
	/* The platform (and its PCI bus, which unmaps every BAR and so the
	 * virtio ioeventfds) goes first; then the transports stop their
	 * workers and free the devices, while irqfds still exist. */
	arch_vm_destroy(vm->arch);
	vm->arch = NULL;
	vm_virtio_destroy(vm);
	pvpanic_destroy(vm->pvpanic);
	vm->pvpanic = NULL;
	vm->nr_counters = 0;
	for (i = 0; i < vm->nr_irq_efds; i++) {
		HV_CALL(vm->ops, irqfd, vm->hvm, vm->irq_efds[i], 0, -1, 0);
		close(vm->irq_efds[i]);
	}
	free(vm->irq_efds);
	vm->irq_efds = NULL;
	vm->nr_irq_efds = 0;
	if (vm->hvm) {
		for (i = 0; i < vm->mem.nr; i++)
			vm->ops->unmap_memory(vm->hvm, vm->mem.r[i].gpa,
					      vm->mem.r[i].size);
		vm->ops->vm_destroy(vm->hvm);
		vm->hvm = NULL;
	}
	guest_mem_destroy(&vm->mem);
	if (vm->pio.rl)
		bus_destroy(&vm->pio);
	if (vm->mmio.rl)
		bus_destroy(&vm->mmio);
	free(vm->routes);
	vm->routes = NULL;
	vm->nr_routes = vm->cap_routes = 0;
	if (vm->stop_efd >= 0)
		close(vm->stop_efd);
	vm->stop_efd = -1;
	pthread_mutex_destroy(&vm->route_lock);
	pthread_cond_destroy(&vm->cond);
	pthread_mutex_destroy(&vm->lock);
}
