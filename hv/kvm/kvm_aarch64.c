// SPDX-License-Identifier: Apache-2.0
/*
 * kvm_aarch64.c - AArch64 side of the KVM plugin: the in-kernel GICv3 and
 * ITS (KVM_CREATE_DEVICE), SPI lines, irqfds bound before the vGIC is
 * initialised, vCPU creation (preferred target, PSCI 0.2+, start powered
 * off), the AArch64 exits, and ONE_REG register access (the run loop,
 * kicks and the common exits are in kvm_vcpu.c).  PSCI (CPU_ON,
 * SYSTEM_OFF, SYSTEM_RESET) is handled inside KVM; power-off and reset
 * reach the host as KVM_EXIT_SYSTEM_EVENT and become HV_EXIT_SHUTDOWN /
 * HV_EXIT_RESET.
 *
 * vGIC ordering: KVM wants the GIC device and its addresses before the
 * vCPUs, KVM_DEV_ARM_VGIC_CTRL_INIT after all of them, and refuses
 * KVM_IRQFD (-EAGAIN) until then; irqfds bound earlier are therefore kept
 * and bound at finalize.
 */
#define LOG_MOD "kvm"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hv/hv_aarch64.h"
#include "hv/kvm/kvm_priv.h"

/* The VM type 0 gives a 40-bit IPA space. */
#define KVM_A64_IPA_BITS 40u

struct kvm_a64_irqfd {
	int efd, resample_efd;
	uint32_t gsi;
};

struct kvm_a64_vm {
	int gic_fd, its_fd; /* -1: none */
	uint32_t nr_irqs;
	bool ready; /* vGIC initialised */
	struct kvm_a64_irqfd *early; /* irqfds waiting for the vGIC */
	uint32_t nr_early, cap_early;
};

/* --- VM --------------------------------------------------------------- */

int kvm_arch_vm_init(struct hv_vm *vm, const struct hv_vm_config *cfg)
{
	struct kvm_a64_vm *a;

	if (cfg->arch != HV_ARCH_AARCH64)
		return -EINVAL;
	if (cfg->ipa_bits > kvm_arch_ipa_bits(vm->hv))
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->gic_fd = a->its_fd = -1;
	vm->a64 = a;
	return 0;
}

void kvm_a64_vm_fini(struct hv_vm *vm)
{
	struct kvm_a64_vm *a = vm->a64;

	if (!a)
		return;
	if (a->its_fd >= 0)
		close(a->its_fd);
	if (a->gic_fd >= 0)
		close(a->gic_fd);
	free(a->early);
	free(a);
	vm->a64 = NULL;
}

uint32_t kvm_arch_ipa_bits(struct hv *hv)
{
	int n = ioctl(hv->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE);

	/* Without the capability KVM offers exactly 40 bits. */
	return n > 0 && (uint32_t)n < KVM_A64_IPA_BITS ? (uint32_t)n :
							 KVM_A64_IPA_BITS;
}

static int kvm_dev_attr(int fd, uint32_t group, uint64_t attr, void *val)
{
	struct kvm_device_attr a = {
		.group = group,
		.attr = attr,
		.addr = (uintptr_t)val,
	};

	return kvm_ioctl(fd, KVM_SET_DEVICE_ATTR, &a);
}

static int kvm_create_dev(struct hv_vm *vm, uint32_t type, int *fd)
{
	struct kvm_create_device d = { .type = type };
	int ret = kvm_ioctl(vm->fd, KVM_CREATE_DEVICE, &d);

	if (ret < 0)
		return ret;
	*fd = (int)d.fd;
	return 0;
}

int kvm_a64_irqchip_create(struct hv_vm *vm,
			   const struct hv_irqchip_config *cfg)
{
	struct kvm_a64_vm *a = vm->a64;
	uint64_t addr;
	uint32_t n;
	int ret;

	if (!cfg || cfg->size < sizeof(*cfg))
		return -EINVAL;
	if (cfg->model != HV_IRQCHIP_GICV3)
		return -EOPNOTSUPP;
	if (a->gic_fd >= 0)
		return -EEXIST;
	if (vm->vcpus_created)
		return -EBUSY;
	n = cfg->nr_pins;
	if (n < 64 || n > 1024 || n % 32)
		return -EINVAL;
	ret = kvm_create_dev(vm, KVM_DEV_TYPE_ARM_VGIC_V3, &a->gic_fd);
	if (ret < 0) {
		kvm_err(vm->hv, "vGICv3: %s", strerror(-ret));
		return ret;
	}
	addr = cfg->dist_base;
	ret = kvm_dev_attr(a->gic_fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
			   KVM_VGIC_V3_ADDR_TYPE_DIST, &addr);
	if (!ret) {
		addr = cfg->redist_base;
		ret = kvm_dev_attr(a->gic_fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
				   KVM_VGIC_V3_ADDR_TYPE_REDIST, &addr);
	}
	if (!ret)
		ret = kvm_dev_attr(a->gic_fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0,
				   &n);
	if (ret < 0) {
		kvm_err(vm->hv, "vGICv3 setup: %s", strerror(-ret));
		goto err_gic;
	}
	a->nr_irqs = n;
	if (!cfg->its_base)
		return 0;
	ret = kvm_create_dev(vm, KVM_DEV_TYPE_ARM_VGIC_ITS, &a->its_fd);
	if (!ret) {
		addr = cfg->its_base;
		ret = kvm_dev_attr(a->its_fd, KVM_DEV_ARM_VGIC_GRP_ADDR,
				   KVM_VGIC_ITS_ADDR_TYPE, &addr);
	}
	if (ret < 0) {
		kvm_err(vm->hv, "vGIC ITS: %s", strerror(-ret));
		goto err_its;
	}
	/* With an ITS, KVM needs the device id of every MSI. */
	vm->msi_devid = true;
	return 0;

err_its:
	if (a->its_fd >= 0)
		close(a->its_fd);
	a->its_fd = -1;
err_gic:
	close(a->gic_fd);
	a->gic_fd = -1;
	return ret;
}

int kvm_a64_irqchip_finalize(struct hv_vm *vm)
{
	struct kvm_a64_vm *a = vm->a64;
	struct kvm_irqfd req;
	uint32_t i;
	int ret;

	if (a->gic_fd < 0)
		return -ENXIO;
	if (a->ready)
		return 0;
	ret = kvm_dev_attr(a->gic_fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
			   KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
	if (!ret && a->its_fd >= 0)
		ret = kvm_dev_attr(a->its_fd, KVM_DEV_ARM_VGIC_GRP_CTRL,
				   KVM_DEV_ARM_VGIC_CTRL_INIT, NULL);
	if (ret < 0) {
		kvm_err(vm->hv, "vGIC init: %s", strerror(-ret));
		return ret;
	}
	a->ready = true;
	for (i = 0; i < a->nr_early; i++) {
		memset(&req, 0, sizeof(req));
		req.fd = (uint32_t)a->early[i].efd;
		req.gsi = a->early[i].gsi;
		if (a->early[i].resample_efd >= 0) {
			req.flags = KVM_IRQFD_FLAG_RESAMPLE;
			req.resamplefd = (uint32_t)a->early[i].resample_efd;
		}
		ret = kvm_ioctl(vm->fd, KVM_IRQFD, &req);
		if (ret < 0) {
			kvm_err(vm->hv, "irqfd gsi %u: %s", req.gsi,
				strerror(-ret));
			return ret;
		}
	}
	free(a->early);
	a->early = NULL;
	a->nr_early = a->cap_early = 0;
	return 0;
}

int kvm_a64_irqfd_early(struct hv_vm *vm, int efd, uint32_t gsi,
			int resample_efd, int assign)
{
	struct kvm_a64_vm *a = vm->a64;
	uint32_t i;

	if (a->ready)
		return 1;
	if (!assign) {
		for (i = 0; i < a->nr_early; i++) {
			if (a->early[i].efd != efd || a->early[i].gsi != gsi)
				continue;
			a->early[i] = a->early[--a->nr_early];
			return 0;
		}
		return -ENOENT;
	}
	if (a->nr_early == a->cap_early) {
		uint32_t cap = a->cap_early ? a->cap_early * 2 : 16;
		struct kvm_a64_irqfd *n = realloc(a->early, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		a->early = n;
		a->cap_early = cap;
	}
	a->early[a->nr_early++] = (struct kvm_a64_irqfd){
		.efd = efd, .resample_efd = resample_efd, .gsi = gsi
	};
	return 0;
}

int kvm_a64_irq_line(struct hv_vm *vm, uint32_t gsi, int level)
{
	struct kvm_a64_vm *a = vm->a64;
	struct kvm_irq_level irq = { .level = level ? 1 : 0 };

	if (!a->ready)
		return a->gic_fd < 0 ? -ENXIO : -EBUSY;
	if (gsi >= a->nr_irqs - HV_A64_SPI_BASE)
		return -EINVAL;
	irq.irq = (KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT) |
		  (HV_A64_SPI_BASE + gsi);
	return kvm_ioctl(vm->fd, KVM_IRQ_LINE, &irq);
}

/* --- vCPU ------------------------------------------------------------- */

/* The MPIDR_EL1 KVM gives vCPU `id` (Aff0: 16 per cluster). */
static uint64_t kvm_a64_default_mpidr(uint32_t id)
{
	return (id & 0xf) | ((uint64_t)((id >> 4) & 0xff) << 8) |
	       ((uint64_t)((id >> 12) & 0xff) << 16);
}

static int kvm_a64_init_vcpu(struct hv_vcpu *vcpu,
			     const struct hv_vcpu_config *cfg)
{
	struct hv *hv = vcpu->vm->hv;
	struct kvm_vcpu_init init;
	uint64_t feat = HV_A64_FEAT_PSCI;
	int ret;

	if (cfg && cfg->size >= offsetof(struct hv_vcpu_config, mpidr) &&
	    cfg->features)
		feat = cfg->features;
	else if (vcpu->id)
		feat |= HV_A64_FEAT_POWER_OFF;
	if (feat & ~(HV_A64_FEAT_POWER_OFF | HV_A64_FEAT_PSCI))
		return -EOPNOTSUPP; /* PMU: needs its PPI wired, not yet */
	memset(&init, 0, sizeof(init));
	ret = kvm_ioctl(vcpu->vm->fd, KVM_ARM_PREFERRED_TARGET, &init);
	if (ret < 0) {
		kvm_err(hv, "KVM_ARM_PREFERRED_TARGET: %s", strerror(-ret));
		return ret;
	}
	if (feat & HV_A64_FEAT_PSCI)
		init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
	if (feat & HV_A64_FEAT_POWER_OFF)
		init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
	ret = kvm_ioctl(vcpu->fd, KVM_ARM_VCPU_INIT, &init);
	if (ret < 0)
		kvm_err(hv, "vCPU %u: KVM_ARM_VCPU_INIT: %s", vcpu->id,
			strerror(-ret));
	return ret;
}

int kvm_vcpu_create(struct hv_vm *vm, uint32_t id,
		    const struct hv_vcpu_config *cfg, void *cookie,
		    struct hv_vcpu **out)
{
	struct hv *hv = vm->hv;
	struct hv_vcpu *vcpu;
	int ret;

	if (vm->nr_vcpus >= hv->max_vcpus || id >= hv->max_vcpu_id)
		return -EINVAL;
	if (vm->a64->ready)
		return -EBUSY; /* KVM refuses vCPUs after vGIC init */
	vcpu = calloc(1, sizeof(*vcpu));
	if (!vcpu)
		return -ENOMEM;
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->kvm_id = id;
	vcpu->cookie = cookie;
	ret = kvm_vcpu_open(vcpu);
	if (ret < 0)
		goto err_free;
	ret = kvm_a64_init_vcpu(vcpu, cfg);
	if (ret < 0)
		goto err_close;
	if (cfg && cfg->size >= sizeof(*cfg) && cfg->mpidr &&
	    cfg->mpidr != kvm_a64_default_mpidr(id)) {
		ret = kvm_vcpu_set_reg(vcpu, HV_A64_MPIDR_EL1,
				       (cfg->mpidr & HV_A64_MPIDR_AFF_MASK) |
					       (1ull << 31));
		if (ret < 0)
			goto err_close;
	}
	vcpu->thread = pthread_self();
	vm->nr_vcpus++;
	*out = vcpu;
	return 0;

err_close:
	kvm_vcpu_close(vcpu);
err_free:
	free(vcpu);
	return ret;
}

/* --- run -------------------------------------------------------------- */

void kvm_arch_complete(struct hv_vcpu *vcpu, const struct hv_exit *exit)
{
	if (vcpu->pending == KVM_PEND_MMIO_READ)
		memcpy(vcpu->run->mmio.data, exit->u.mmio.data,
		       sizeof(vcpu->run->mmio.data));
	vcpu->pending = KVM_PEND_NONE;
}

int kvm_arch_decode(struct hv_vcpu *vcpu, struct hv_exit *exit)
{
	struct kvm_run *run = vcpu->run;

	switch (run->exit_reason) {
	case KVM_EXIT_ARM_NISV:
		/* An MMIO access KVM cannot decode (no valid syndrome):
		 * a guest bug; stop rather than guess. */
		exit->reason = HV_EXIT_INTERNAL;
		exit->u.fail.hw_reason = run->arm_nisv.esr_iss;
		if (kvm_rl_ok(&vcpu->rl))
			kvm_err(vcpu->vm->hv,
				"vCPU %u: undecodable MMIO access at %#llx",
				vcpu->id,
				(unsigned long long)run->arm_nisv.fault_ipa);
		break;
	case KVM_EXIT_DEBUG:
		exit->reason = HV_EXIT_DEBUG;
		break;
	default:
		return kvm_decode_common(vcpu, exit);
	}
	return 0;
}

/* --- registers -------------------------------------------------------- */

#define KVM_A64_CORE(name)                                     \
	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
	 KVM_REG_ARM_CORE_REG(name))

/* ONE_REG id of an HV_A64_* register, 0 if it has none. */
static uint64_t kvm_a64_reg(uint32_t id)
{
	if (id >= HV_A64_X0 && id <= HV_A64_X30)
		return KVM_A64_CORE(regs.regs[0]) + 2 * (id - HV_A64_X0);
	switch (id) {
	case HV_A64_SP:
		return KVM_A64_CORE(regs.sp);
	case HV_A64_PC:
		return KVM_A64_CORE(regs.pc);
	case HV_A64_PSTATE:
		return KVM_A64_CORE(regs.pstate);
	case HV_A64_SP_EL1:
		return KVM_A64_CORE(sp_el1);
	case HV_A64_ELR_EL1:
		return KVM_A64_CORE(elr_el1);
	case HV_A64_SPSR_EL1:
		return KVM_A64_CORE(spsr[KVM_SPSR_EL1]);
	case HV_A64_MPIDR_EL1:
		return ARM64_SYS_REG(3, 0, 0, 0, 5);
	}
	return 0;
}

static int kvm_one_reg(struct hv_vcpu *vcpu, uint64_t id, uint64_t *val,
		       int set)
{
	struct kvm_one_reg r = { .id = id, .addr = (uintptr_t)val };

	return kvm_ioctl(vcpu->fd, set ? KVM_SET_ONE_REG : KVM_GET_ONE_REG, &r);
}

int kvm_vcpu_get_reg(struct hv_vcpu *vcpu, uint32_t reg_id, uint64_t *val)
{
	struct kvm_mp_state mp;
	uint64_t id;
	int ret;

	if (reg_id == HV_A64_MP_STATE) {
		ret = kvm_ioctl(vcpu->fd, KVM_GET_MP_STATE, &mp);
		if (!ret)
			*val = mp.mp_state == KVM_MP_STATE_STOPPED ?
				       HV_A64_MP_STOPPED :
				       HV_A64_MP_RUNNABLE;
		return ret;
	}
	id = kvm_a64_reg(reg_id);
	return id ? kvm_one_reg(vcpu, id, val, 0) : -EINVAL;
}

int kvm_vcpu_set_reg(struct hv_vcpu *vcpu, uint32_t reg_id, uint64_t val)
{
	struct kvm_mp_state mp = { 0 };
	uint64_t id;

	if (reg_id == HV_A64_MP_STATE) {
		if (val != HV_A64_MP_STOPPED && val != HV_A64_MP_RUNNABLE)
			return -EINVAL;
		mp.mp_state = val == HV_A64_MP_STOPPED ? KVM_MP_STATE_STOPPED :
							 KVM_MP_STATE_RUNNABLE;
		return kvm_ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp);
	}
	id = kvm_a64_reg(reg_id);
	return id ? kvm_one_reg(vcpu, id, &val, 1) : -EINVAL;
}

/* HV_A64_REGS_CORE field by field (arm64 has no bulk ioctl). */
static const struct {
	uint32_t id;
	uint32_t off;
} kvm_a64_core_map[] = {
	{ HV_A64_SP, offsetof(struct hv_a64_regs, sp) },
	{ HV_A64_PC, offsetof(struct hv_a64_regs, pc) },
	{ HV_A64_PSTATE, offsetof(struct hv_a64_regs, pstate) },
	{ HV_A64_SP_EL1, offsetof(struct hv_a64_regs, sp_el1) },
	{ HV_A64_ELR_EL1, offsetof(struct hv_a64_regs, elr_el1) },
	{ HV_A64_SPSR_EL1, offsetof(struct hv_a64_regs, spsr_el1) },
};

static int kvm_a64_core(struct hv_vcpu *vcpu, struct hv_a64_regs *r, int set)
{
	uint32_t i, n = sizeof(kvm_a64_core_map) / sizeof(kvm_a64_core_map[0]);
	int ret = 0;

	for (i = 0; i < 31 && !ret; i++)
		ret = kvm_one_reg(vcpu, kvm_a64_reg(HV_A64_X0 + i), &r->x[i],
				  set);
	for (i = 0; i < n && !ret; i++)
		ret = kvm_one_reg(
			vcpu, kvm_a64_reg(kvm_a64_core_map[i].id),
			(uint64_t *)((char *)r + kvm_a64_core_map[i].off), set);
	return ret;
}

int kvm_vcpu_get_regs(struct hv_vcpu *vcpu, uint32_t set, void *buf, size_t len)
{
	if (set != HV_A64_REGS_CORE || len != sizeof(struct hv_a64_regs))
		return -EINVAL;
	memset(buf, 0, len);
	return kvm_a64_core(vcpu, buf, 0);
}

int kvm_vcpu_set_regs(struct hv_vcpu *vcpu, uint32_t set, const void *buf,
		      size_t len)
{
	struct hv_a64_regs r;

	if (set != HV_A64_REGS_CORE || len != sizeof(r))
		return -EINVAL;
	memcpy(&r, buf, sizeof(r));
	return kvm_a64_core(vcpu, &r, 1);
}
