// SPDX-License-Identifier: Apache-2.0
/*
 * mshv_aarch64.c - aarch64 part of the MSHV plugin.  Written from the
 * reference (section 4.7 and the arm64 message layouts) and compiled for
 * aarch64, but never run on an arm64 MSHV host: see README.md.
 *
 * Partition: the hypervisor emulates a GICv3 whose distributor (and ITS
 * doorbell) addresses and timer/PMU PPIs are partition properties that
 * must be set before MSHV_INITIALIZE_PARTITION.  They are only known at
 * irqchip_create, so on aarch64 vm_create leaves the partition
 * uninitialised, map_memory records regions, and irqchip_create sets the
 * GIC properties, initialises and maps the recorded regions.  vCPUs can
 * only be created after that.  Each VP gets its redistributor address
 * (GICR_BASE_GPA) and PSTATE EL1h with DAIF masked.
 *
 * Exits: data aborts on unmapped GPAs arrive with the ESR syndrome; with
 * ISV set it says size, direction, register and sign extension, so the
 * access is done through hv_host.mmio (or RAM) and PC advances by 4 or 2
 * (ESR.IL).  PSCI SYSTEM_OFF/RESET arrive as HVMSG_ARM64_RESET_INTERCEPT.
 * Registers: HV_A64_REGS_CORE and the single HV_A64_* ids map onto the
 * hypervisor's arm64 register names; the HV_A64_MP_STATE pseudo register
 * is not offered (PSCI CPU_ON is handled by the hypervisor [inferred]).
 * irq_line asserts or deasserts an SPI with ASSERT_VIRTUAL_INTERRUPT.
 */
#define LOG_MOD "mshv"

#include <errno.h>
#include <string.h>

#include "hv/hv_aarch64.h"
#include "hv/mshv/mshv_priv.h"

#define MSHV_A64_GICR_STRIDE 0x20000ull /* RD_base + SGI_base frames */
#define MSHV_A64_PPI_CNTV 27u /* virtual timer INTID */
#define MSHV_A64_PPI_PMU 23u /* PMU INTID */

/* A conservative synthetic feature set for arm64 [inferred: the
 * reference lists CH/QEMU's x86 sets only]. */
#define MSHV_A64_SYNTH_FEATURES                                              \
	(HV_SYNTH_HYPERVISOR_PRESENT | HV_SYNTH_HV1 |                        \
	 HV_SYNTH_ACCESS_PARTITION_REFERENCE_COUNTER |                       \
	 HV_SYNTH_ACCESS_SYNIC_REGS | HV_SYNTH_ACCESS_SYNTHETIC_TIMER_REGS | \
	 HV_SYNTH_ACCESS_HYPERCALL_REGS | HV_SYNTH_ACCESS_VP_INDEX |         \
	 HV_SYNTH_ACCESS_PARTITION_REFERENCE_TSC |                           \
	 HV_SYNTH_DIRECT_SYNTHETIC_TIMERS)

uint64_t mshv_arch_pt_flags(void)
{
	return 1ull << MSHV_PT_BIT_GPA_SUPER_PAGES;
}

/* Not queried (the partition property needs a partition): 40 bits is
 * what every arm64 MSHV host offers at least [inferred]. */
uint32_t mshv_arch_ipa_bits(void)
{
	return 40;
}

uint64_t mshv_arch_caps(void)
{
	return HV_CAP_GICV3 | HV_CAP_IRQ_LINE;
}

int mshv_arch_vm_early(struct hv_vm *vm, const struct hv_vm_config *cfg,
		       bool *init_now)
{
	if (cfg->arch != HV_ARCH_AARCH64)
		return -EINVAL;
	if (cfg->ipa_bits && cfg->ipa_bits > mshv_arch_ipa_bits())
		return -EINVAL;
	*init_now = false; /* waits for the GIC addresses */
	return mshv_set_property(vm,
				 HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES,
				 MSHV_A64_SYNTH_FEATURES);
}

int mshv_arch_vm_late(struct hv_vm *vm)
{
	return 0;
}

int mshv_arch_irqchip_create(struct hv_vm *vm,
			     const struct hv_irqchip_config *cfg)
{
	int ret;

	if (cfg->model != HV_IRQCHIP_GICV3)
		return -EOPNOTSUPP;
	if (!cfg->dist_base || !cfg->redist_base)
		return -EINVAL;
	ret = mshv_set_property(vm, HV_PARTITION_PROPERTY_GICD_BASE_ADDRESS,
				cfg->dist_base);
	if (!ret && cfg->its_base)
		ret = mshv_set_property(
			vm, HV_PARTITION_PROPERTY_GITS_TRANSLATER_BASE_ADDRESS,
			cfg->its_base);
	if (!ret)
		ret = mshv_set_property(
			vm, HV_PARTITION_PROPERTY_GIC_LPI_INT_ID_BITS, 0);
	if (!ret)
		ret = mshv_set_property(
			vm,
			HV_PARTITION_PROPERTY_GIC_PPI_OVERFLOW_INTERRUPT_FROM_CNTV,
			MSHV_A64_PPI_CNTV);
	if (!ret)
		ret = mshv_set_property(
			vm,
			HV_PARTITION_PROPERTY_GIC_PPI_PERFORMANCE_MONITORS_INTERRUPT,
			MSHV_A64_PPI_PMU);
	if (ret < 0)
		return ret;
	return mshv_vm_initialize(vm);
}

/* MSI routes carry the ITS/doorbell message; wired lines are routes whose
 * data is the SPI's INTID. */
int mshv_arch_route(struct hv_vm *vm, const struct hv_route *r,
		    struct mshv_user_irq_entry *e)
{
	e->gsi = r->gsi;
	if (r->type == HV_ROUTE_IRQCHIP) {
		e->address_lo = 0;
		e->address_hi = 0;
		e->data = r->u.irqchip.pin + HV_A64_SPI_BASE;
		return 0;
	}
	if (r->type != HV_ROUTE_MSI || (r->u.msi.addr >> 32))
		return -EINVAL;
	e->address_lo = (uint32_t)r->u.msi.addr;
	e->address_hi = 0;
	e->data = r->u.msi.data;
	return 0;
}

int mshv_arch_signal_msi(struct hv_vm *vm, uint64_t addr, uint32_t data,
			 uint32_t devid)
{
	return -EOPNOTSUPP;
}

/* SPI `gsi` (INTID HV_A64_SPI_BASE + gsi) asserted or deasserted: a
 * FIXED interrupt whose control word carries the level [reference 6.5;
 * the GIC distributor routes it]. */
int mshv_arch_irq_line(struct hv_vm *vm, uint32_t gsi, int level)
{
	struct hv_input_assert_virtual_interrupt in = { 0 };

	if (!vm->irqchip)
		return -ENXIO;
	if (gsi >= 988) /* SPIs are INTIDs 32..1019 */
		return -EINVAL;
	in.interrupt_type = 0;
	in.control_flags = HV_INTERRUPT_CONTROL_LEVEL;
	if (level)
		in.control_flags |= HV_INTERRUPT_CONTROL_ARM64_ASSERTED;
	in.vector = HV_A64_SPI_BASE + gsi;
	return mshv_hvcall(vm->hv, vm->fd, HVCALL_ASSERT_VIRTUAL_INTERRUPT, 0,
			   &in, sizeof(in), NULL, 0, NULL);
}

int mshv_arch_vp_index(uint32_t id, const struct hv_vcpu_config *cfg,
		       uint32_t *vp_index)
{
	if (id >= MSHV_MAX_VPS)
		return -EINVAL;
	*vp_index = id;
	return 0;
}

int mshv_arch_vcpu_init(struct hv_vcpu *vcpu, const struct hv_vcpu_config *cfg)
{
	const struct hv_vm *vm = vcpu->vm;
	struct hv_register_assoc a[2];
	uint32_t n = 0;

	/* PSCI (CPU_ON/OFF, SYSTEM_OFF/RESET) is the hypervisor's; the
	 * initial power state and the PMU are its defaults [inferred]. */
	if (cfg && cfg->size >= sizeof(*cfg) &&
	    (cfg->features &
	     ~(HV_A64_FEAT_POWER_OFF | HV_A64_FEAT_PSCI | HV_A64_FEAT_PMU)))
		return -EOPNOTSUPP;
	mshv_assoc64(&a[n++], HV_ARM64_REGISTER_PSTATE,
		     HV_A64_PSTATE_EL1H | HV_A64_PSTATE_DAIF);
	if (vm->irqchip)
		mshv_assoc64(&a[n++], HV_ARM64_REGISTER_GICR_BASE_GPA,
			     vm->irqchip_cfg.redist_base +
				     vcpu->vp_index * MSHV_A64_GICR_STRIDE);
	return mshv_set_vp_regs(vcpu, a, n);
}

int mshv_arch_complete(struct hv_vcpu *vcpu, const struct hv_exit *exit)
{
	return 0; /* every aarch64 exit is completed before it is reported */
}

static bool mshv_a64_msg_ok(struct hv_vcpu *vcpu, struct hv_exit *exit,
			    uint32_t min)
{
	if (!mshv_msg_has(vcpu, exit, min))
		return false;
	if (vcpu->msg.u.a64_hdr.vp_index == vcpu->vp_index)
		return true;
	mshv_exit_internal(vcpu, exit, MSHV_INTERNAL_BAD_MESSAGE,
			   "message for another VP");
	return false;
}

/* One data abort described by the ESR syndrome. */
static int mshv_a64_mmio(struct hv_vcpu *vcpu, struct hv_exit *exit)
{
	const struct hv_arm64_memory_intercept_message *m =
		&vcpu->msg.u.a64_mem;
	const struct hv_host *h = vcpu->vm->hv->host;
	uint64_t esr = m->syndrome, gpa = m->guest_physical_address, val = 0;
	uint32_t len, srt, n = 0;
	struct hv_register_assoc a[2];
	bool write;
	void *hva;
	int ret;

	if (!mshv_a64_msg_ok(vcpu, exit, sizeof(*m)))
		return 0;
	if (!(esr & HV_ARM64_ESR_ISV))
		return mshv_exit_internal(vcpu, exit, MSHV_INTERNAL_EMULATION,
					  "data abort without syndrome");
	len = 1u << ((esr >> HV_ARM64_ESR_SAS_SHIFT) & HV_ARM64_ESR_SAS_MASK);
	srt = (esr >> HV_ARM64_ESR_SRT_SHIFT) & HV_ARM64_ESR_SRT_MASK;
	write = esr & HV_ARM64_ESR_WNR;
	if (write && srt != 31) {
		ret = mshv_get_vp_reg64(vcpu, HV_ARM64_REGISTER_X0 + srt, &val);
		if (ret < 0)
			return ret;
	}
	hva = h->gpa_to_hva(vcpu->cookie, gpa, len);
	if (hva && write)
		memcpy(hva, &val, len);
	else if (hva)
		memcpy(&val, hva, len);
	else if ((ret = h->mmio(vcpu->cookie, gpa, &val, len, write)) < 0)
		return ret;
	if (!write && srt != 31) {
		if (len < 8)
			val &= (1ull << (len * 8)) - 1;
		if ((esr & HV_ARM64_ESR_SSE) && len < 8 &&
		    (val & (1ull << (len * 8 - 1))))
			val |= ~((1ull << (len * 8)) - 1);
		if (!(esr & HV_ARM64_ESR_SF))
			val &= 0xffffffffull;
		mshv_assoc64(&a[n++], HV_ARM64_REGISTER_X0 + srt, val);
	}
	mshv_assoc64(&a[n++], HV_ARM64_REGISTER_PC,
		     m->header.pc + ((esr & HV_ARM64_ESR_IL) ? 4 : 2));
	exit->reason = HV_EXIT_NONE;
	return mshv_set_vp_regs(vcpu, a, n);
}

static int mshv_a64_reset(struct hv_vcpu *vcpu, struct hv_exit *exit)
{
	const struct hv_arm64_reset_intercept_message *r =
		&vcpu->msg.u.a64_reset;

	if (!mshv_a64_msg_ok(vcpu, exit, sizeof(*r)))
		return 0;
	switch (r->reset_type) {
	case HV_ARM64_RESET_TYPE_POWER_OFF:
	case HV_ARM64_RESET_TYPE_HIBERNATE:
		exit->reason = HV_EXIT_SHUTDOWN;
		return 0;
	case HV_ARM64_RESET_TYPE_REBOOT:
	case HV_ARM64_RESET_TYPE_SYSTEM_RESET2:
		exit->reason = HV_EXIT_RESET;
		return 0;
	default:
		return mshv_exit_internal(vcpu, exit, MSHV_INTERNAL_BAD_MESSAGE,
					  "unknown reset type");
	}
}

int mshv_arch_decode(struct hv_vcpu *vcpu, struct hv_exit *exit)
{
	switch (vcpu->msg.header.message_type) {
	case HVMSG_UNMAPPED_GPA:
	case HVMSG_GPA_INTERCEPT:
		return mshv_a64_mmio(vcpu, exit);
	case HVMSG_ARM64_RESET_INTERCEPT:
		return mshv_a64_reset(vcpu, exit);
	default:
		return -ENOENT;
	}
}

uint64_t mshv_arch_msg_pc(const struct hv_message *m)
{
	switch (m->header.message_type) {
	case HVMSG_UNMAPPED_GPA:
	case HVMSG_GPA_INTERCEPT:
	case HVMSG_UNRECOVERABLE_EXCEPTION:
	case HVMSG_ARM64_RESET_INTERCEPT:
		return m->u.a64_hdr.pc;
	default:
		return 0;
	}
}

/* --- registers ------------------------------------------------------------ */

/* struct hv_a64_regs, field by field, and the hypervisor's names. */
#define MSHV_A64_NR_CORE 37

static uint32_t mshv_a64_core_name(uint32_t i)
{
	static const uint32_t tail[] = {
		HV_ARM64_REGISTER_SP_EL0,  HV_ARM64_REGISTER_PC,
		HV_ARM64_REGISTER_PSTATE,  HV_ARM64_REGISTER_SP_EL1,
		HV_ARM64_REGISTER_ELR_EL1, HV_ARM64_REGISTER_SPSR_EL1,
	};

	return i < 31 ? HV_ARM64_REGISTER_X0 + i : tail[i - 31];
}

_Static_assert(sizeof(struct hv_a64_regs) == MSHV_A64_NR_CORE * 8,
	       "hv_a64_regs is 37 u64s");

int mshv_vcpu_get_regs(struct hv_vcpu *vcpu, uint32_t set, void *buf,
		       size_t len)
{
	union hv_register_value v[MSHV_A64_NR_CORE];
	uint32_t names[MSHV_A64_NR_CORE], i;
	uint64_t *out = buf;
	int ret;

	if (!buf || set != HV_A64_REGS_CORE ||
	    len != sizeof(struct hv_a64_regs))
		return -EINVAL;
	for (i = 0; i < MSHV_A64_NR_CORE; i++)
		names[i] = mshv_a64_core_name(i);
	ret = mshv_get_vp_regs(vcpu, names, v, MSHV_A64_NR_CORE);
	if (ret < 0)
		return ret;
	for (i = 0; i < MSHV_A64_NR_CORE; i++)
		out[i] = v[i].reg64;
	return 0;
}

int mshv_vcpu_set_regs(struct hv_vcpu *vcpu, uint32_t set, const void *buf,
		       size_t len)
{
	struct hv_register_assoc a[MSHV_A64_NR_CORE];
	const uint64_t *in = buf;
	uint32_t i;

	if (!buf || set != HV_A64_REGS_CORE ||
	    len != sizeof(struct hv_a64_regs))
		return -EINVAL;
	for (i = 0; i < MSHV_A64_NR_CORE; i++)
		mshv_assoc64(&a[i], mshv_a64_core_name(i), in[i]);
	return mshv_set_vp_regs(vcpu, a, MSHV_A64_NR_CORE);
}

/* HV_A64_* id to a hypervisor name; -EOPNOTSUPP for the MP-state pseudo
 * register (PSCI is the hypervisor's), -EINVAL for unknown ids. */
static int mshv_a64_single(uint32_t id, uint32_t *name)
{
	if (id >= HV_A64_X0 && id <= HV_A64_SPSR_EL1) {
		*name = mshv_a64_core_name(id - HV_A64_X0);
		return 0;
	}
	if (id == HV_A64_MPIDR_EL1) {
		*name = HV_ARM64_REGISTER_MPIDR_EL1;
		return 0;
	}
	return id == HV_A64_MP_STATE ? -EOPNOTSUPP : -EINVAL;
}

int mshv_vcpu_get_reg(struct hv_vcpu *vcpu, uint32_t reg_id, uint64_t *val)
{
	uint32_t name;
	int ret = mshv_a64_single(reg_id, &name);

	if (ret < 0)
		return ret;
	if (!val)
		return -EINVAL;
	return mshv_get_vp_reg64(vcpu, name, val);
}

int mshv_vcpu_set_reg(struct hv_vcpu *vcpu, uint32_t reg_id, uint64_t val)
{
	uint32_t name;
	int ret = mshv_a64_single(reg_id, &name);

	if (ret < 0)
		return ret;
	return mshv_set_vp_reg64(vcpu, name, val);
}
