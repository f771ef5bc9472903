// SPDX-License-Identifier: Apache-2.0
/*
 * sim_part.c - partitions and VPs of the MSHV simulator.
 *
 * MSHV_CREATE_PARTITION creates a KVM VM with the split irqchip (the
 * hypervisor emulates the LAPIC; GSIs [0, 24) are the userspace IOAPIC's
 * routes, whose level-triggered EOIs come back as KVM_EXIT_IOAPIC_EOI),
 * unknown MSRs reported to userspace (so UNIMPLEMENTED_MSR_ACTION can be
 * honoured), GPRs and sregs exchanged through kvm_run where KVM can
 * (KVM_CAP_SYNC_REGS), and the supported CPUID read once.  The partition
 * fd is the VM fd.  MSHV_CREATE_VP creates vCPU `vp_index` (the APIC id), maps its
 * kvm_run and installs its CPUID; the VP fd is the vCPU fd.
 *
 * Like the kernel's, a partition outlives its fd while VPs remain; the
 * last one out destroys it and logs what went through the simulator.
 */
#define LOG_MOD "mshv-sim"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tests/mshv-sim/sim.h"

#define SIM_PT_KNOWN ((1ull << MSHV_PT_BIT_COUNT) - 1)
#define SIM_PT_ISOLATION_COUNT 1u /* upstream: only "none" */
#define SIM_CPUID_MAX 4096u
#define SIM_SYNC_WANT (KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS)

static int sim_supported_cpuid(struct sim_part *part, int kvm_fd)
{
	struct kvm_cpuid2 *c;
	uint32_t n = 64;
	int ret;

	for (;;) {
		c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c)
			return -ENOMEM;
		c->nent = n;
		ret = sim_kvm_ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c);
		if (!ret)
			break;
		free(c);
		if (ret != -E2BIG || n >= SIM_CPUID_MAX)
			return ret;
		n *= 2;
	}
	part->supported = c;
	return 0;
}

/* The VM-wide KVM setup done once at partition creation. */
static int sim_part_kvm_setup(struct sim_part *part, struct sim_dev *dev)
{
	struct mshv_sim *sim = part->sim;
	struct kvm_enable_cap cap;
	uint64_t idmap = SIM_IDENTITY_MAP_ADDR;
	int ret;

	memset(&cap, 0, sizeof(cap));
	cap.cap = KVM_CAP_SPLIT_IRQCHIP;
	cap.args[0] = SIM_IOAPIC_PINS;
	ret = sim_kvm_ioctl(part->fd, KVM_ENABLE_CAP, &cap);
	if (ret < 0) {
		sim_err(sim, "KVM split irqchip: %s", strerror(-ret));
		return ret;
	}
	/* Only CPUs without unrestricted guest need these; harmless else. */
	if (sim_kvm_ioctl(part->fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0 ||
	    sim_kvm_ioctl(part->fd, KVM_SET_TSS_ADDR,
			  (void *)(uintptr_t)SIM_TSS_ADDR) < 0)
		sim_debug(sim, "KVM TSS/identity map not set");
	memset(&cap, 0, sizeof(cap));
	cap.cap = KVM_CAP_X86_USER_SPACE_MSR;
	cap.args[0] = KVM_MSR_EXIT_REASON_UNKNOWN;
	part->user_msr = !sim_kvm_ioctl(part->fd, KVM_ENABLE_CAP, &cap);
	part->tsc_deadline = ioctl(dev->fd, KVM_CHECK_EXTENSION,
				   KVM_CAP_TSC_DEADLINE_TIMER) > 0;
	ret = ioctl(part->fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS);
	part->sync_regs = ret > 0 && (ret & SIM_SYNC_WANT) == SIM_SYNC_WANT;
	ret = sim_supported_cpuid(part, dev->fd);
	if (ret < 0)
		sim_err(sim, "KVM_GET_SUPPORTED_CPUID: %s", strerror(-ret));
	return ret;
}

int sim_part_create(struct mshv_sim *sim, struct sim_dev *dev,
		    const struct mshv_create_partition *a)
{
	uint64_t f = a->pt_flags;
	struct sim_part *part;
	int ret;

	if ((f & ~SIM_PT_KNOWN) || a->pt_isolation >= SIM_PT_ISOLATION_COUNT)
		return -EINVAL;
	if (f & (1ull << MSHV_PT_BIT_CPU_AND_XSAVE_FEATURES))
		return sim_unsupported(
			sim,
			"v2 partition creation (CPU and XSAVE feature banks)");
	if (f & (1ull << MSHV_PT_BIT_NESTED_VIRTUALIZATION))
		return sim_unsupported(sim, "nested virtualization partitions");
	if (f & (1ull << MSHV_PT_BIT_SMT_ENABLED_GUEST))
		return sim_unsupported(sim, "SMT-enabled guest partitions");
	if (!(f & (1ull << MSHV_PT_BIT_LAPIC)))
		return sim_unsupported(
			sim,
			"partition without the hypervisor's LAPIC (pt_flags %#llx)",
			(unsigned long long)f);
	part = calloc(1, sizeof(*part));
	if (!part)
		return -ENOMEM;
	part->sim = sim;
	part->pt_flags = f;
	part->run_size = dev->run_size;
	part->msr_action = HV_UNIMPLEMENTED_MSR_ACTION_FAULT;
	if (pthread_mutex_init(&part->lock, NULL)) {
		ret = -ENOMEM;
		goto err_free;
	}
	if (pthread_rwlock_init(&part->mem_lock, NULL)) {
		ret = -ENOMEM;
		goto err_lock;
	}
	ret = sim_kvm_ioctl(dev->fd, KVM_CREATE_VM, 0);
	if (ret < 0) {
		sim_err(sim, "KVM_CREATE_VM: %s", strerror(-ret));
		goto err_rwlock;
	}
	part->fd = ret;
	ret = sim_part_kvm_setup(part, dev);
	if (ret < 0)
		goto err_close;
	pthread_mutex_lock(&sim->lock);
	part->id = sim->next_part_id++;
	pthread_mutex_unlock(&sim->lock);
	ret = sim_fd_add(sim, part->fd, SIM_FD_PART, part);
	if (ret < 0)
		goto err_close;
	sim_debug(sim, "partition %llu = KVM VM fd %d (pt_flags %#llx)",
		  (unsigned long long)part->id, part->fd,
		  (unsigned long long)f);
	return part->fd;

err_close:
	free(part->supported);
	close(part->fd);
err_rwlock:
	pthread_rwlock_destroy(&part->mem_lock);
err_lock:
	pthread_mutex_destroy(&part->lock);
err_free:
	free(part);
	return ret;
}

struct sim_vp *sim_vp_find(struct sim_part *part, uint32_t index)
{
	struct sim_vp *vp = NULL;

	if (index >= MSHV_MAX_VPS)
		return NULL;
	pthread_mutex_lock(&part->lock);
	vp = part->vps[index];
	pthread_mutex_unlock(&part->lock);
	return vp;
}

int sim_vp_set_cpuid(struct sim_vp *vp)
{
	struct sim_part *part = vp->part;
	struct kvm_cpuid2 *c;
	int ret;

	ret = sim_cpuid_build(part->supported, vp->index,
			      part->pt_flags & (1ull << MSHV_PT_BIT_X2APIC),
			      part->tsc_deadline, vp->ovr, vp->nr_ovr, &c);
	if (ret < 0)
		return ret;
	ret = sim_kvm_ioctl(vp->fd, KVM_SET_CPUID2, c);
	free(c);
	return ret;
}

static int sim_vp_create(struct sim_part *part, const struct mshv_create_vp *a)
{
	struct mshv_sim *sim = part->sim;
	struct sim_vp *vp;
	void *run;
	int ret, fd;

	if (a->vp_index >= MSHV_MAX_VPS)
		return -EINVAL;
	vp = calloc(1, sizeof(*vp));
	if (!vp)
		return -ENOMEM;
	vp->part = part;
	vp->index = a->vp_index;
	pthread_mutex_lock(&part->lock);
	if (!part->initialized) {
		sim_err(sim,
			"MSHV_CREATE_VP %u before MSHV_INITIALIZE_PARTITION",
			a->vp_index);
		ret = -EINVAL;
		goto err_unlock;
	}
	if (part->vps[a->vp_index]) {
		ret = -EEXIST;
		goto err_unlock;
	}
	fd = sim_kvm_ioctl(part->fd, KVM_CREATE_VCPU,
			   (void *)(uintptr_t)a->vp_index);
	if (fd < 0) {
		ret = fd;
		sim_err(sim, "KVM_CREATE_VCPU %u: %s", a->vp_index,
			strerror(-ret));
		goto err_unlock;
	}
	vp->fd = fd;
	run = mmap(NULL, (size_t)part->run_size, PROT_READ | PROT_WRITE,
		   MAP_SHARED, fd, 0);
	if (run == MAP_FAILED) {
		ret = -errno;
		goto err_close;
	}
	vp->run = run;
	if (part->sync_regs)
		vp->run->kvm_valid_regs = SIM_SYNC_WANT;
	ret = sim_vp_set_cpuid(vp);
	if (ret < 0) {
		sim_err(sim, "VP %u: KVM_SET_CPUID2: %s", vp->index,
			strerror(-ret));
		goto err_unmap;
	}
	ret = sim_kick_register(sim, vp);
	if (ret < 0)
		goto err_unmap;
	ret = sim_fd_add(sim, fd, SIM_FD_VP, vp);
	if (ret < 0)
		goto err_kick;
	part->vps[vp->index] = vp;
	part->nr_vps++;
	pthread_mutex_unlock(&part->lock);
	return fd;

err_kick:
	sim_kick_unregister(sim, vp);
err_unmap:
	munmap(vp->run, (size_t)part->run_size);
err_close:
	close(fd);
err_unlock:
	pthread_mutex_unlock(&part->lock);
	free(vp);
	return ret;
}

bool sim_vp_close(struct sim_vp *vp)
{
	struct sim_part *part = vp->part;
	bool ready;

	sim_kick_unregister(part->sim, vp);
	pthread_mutex_lock(&part->lock);
	part->vps[vp->index] = NULL;
	part->nr_vps--;
	ready = part->fd_closed && !part->nr_vps;
	pthread_mutex_unlock(&part->lock);
	munmap(vp->run, (size_t)part->run_size);
	close(vp->fd);
	free(vp->ovr);
	free(vp);
	return ready;
}

#define SIM_STAT(part, f)                                      \
	((unsigned long long)__atomic_load_n(&(part)->stats.f, \
					     __ATOMIC_RELAXED))

void sim_part_destroy(struct sim_part *part)
{
	struct mshv_sim *sim = part->sim;

	sim_info(
		sim,
		"partition %llu: %llu MMIO intercepts (%llu unmapped GPA, %llu GPA intercept) and %llu port I/O intercepts (%llu string) delivered to the plugin",
		(unsigned long long)part->id,
		SIM_STAT(part, mmio) + SIM_STAT(part, gpa_intercept),
		SIM_STAT(part, mmio), SIM_STAT(part, gpa_intercept),
		SIM_STAT(part, pio), SIM_STAT(part, pio_string));
	sim_info(
		sim,
		"partition %llu: %llu APIC EOI and %llu other messages, %llu RUN_VP calls (%llu interrupted), %llu KVM_RUN flushes, %llu retired writes put back, %llu unimplemented MSR accesses answered, %llu hypercalls",
		(unsigned long long)part->id, SIM_STAT(part, eoi),
		SIM_STAT(part, other_msgs), SIM_STAT(part, runs),
		SIM_STAT(part, intr), SIM_STAT(part, flush_runs),
		SIM_STAT(part, writes_undone), SIM_STAT(part, msr_internal),
		SIM_STAT(part, hvcalls));
	sim_mem_free(part);
	free(part->supported);
	pthread_rwlock_destroy(&part->mem_lock);
	pthread_mutex_destroy(&part->lock);
	free(part);
}

int sim_part_ioctl(struct sim_part *part, unsigned long req, void *arg)
{
	if (req != MSHV_INITIALIZE_PARTITION && !arg)
		return -EFAULT;
	switch (req) {
	case MSHV_INITIALIZE_PARTITION:
		pthread_mutex_lock(&part->lock);
		part->initialized = true; /* idempotent */
		pthread_mutex_unlock(&part->lock);
		return 0;
	case MSHV_CREATE_VP:
		return sim_vp_create(part, arg);
	case MSHV_SET_GUEST_MEMORY:
		return sim_mem_set(part, arg);
	case MSHV_IRQFD:
		return sim_irq_irqfd(part, arg);
	case MSHV_IOEVENTFD:
		return sim_irq_ioeventfd(part, arg);
	case MSHV_SET_MSI_ROUTING:
		return sim_irq_routing(part, arg);
	case MSHV_GET_GPAP_ACCESS_BITMAP:
		return sim_mem_gpap(part, arg);
	case MSHV_ROOT_HVCALL:
		return sim_hvcall(part, NULL, arg);
	default:
		sim_err(part->sim, "unknown ioctl %#lx on a partition fd", req);
		return -ENOTTY;
	}
}

int sim_vp_ioctl(struct sim_vp *vp, unsigned long req, void *arg)
{
	if (!arg)
		return -EFAULT;
	switch (req) {
	case MSHV_RUN_VP:
		return sim_vp_run(vp, arg);
	case MSHV_GET_VP_STATE:
		return sim_vp_state(vp, arg, false);
	case MSHV_SET_VP_STATE:
		return sim_vp_state(vp, arg, true);
	case MSHV_ROOT_HVCALL:
		return sim_hvcall(vp->part, vp, arg);
	default:
		sim_err(vp->part->sim, "unknown ioctl %#lx on a VP fd", req);
		return -ENOTTY;
	}
}
