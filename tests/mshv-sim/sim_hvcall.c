// SPDX-License-Identifier: Apache-2.0
/*
 * sim_hvcall.c - MSHV_ROOT_HVCALL of the MSHV simulator.
 *
 * The kernel's argument checks come first (sim_hvcall_check: status and
 * reserved bytes zero, sizes, pointer/size pairs, the allow-list, rep
 * counts, SET_PARTITION_PROPERTY on the partition fd only); the input is
 * then copied with its first 8 bytes replaced by the partition id, as the
 * kernel does, and the "hypervisor" answers:
 *
 *   GET/SET_PARTITION_PROPERTY  the properties the plugin needs (stored,
 *                               or derived from KVM); TIME_FREEZE = 1 and
 *                               unknown ones are refused loudly
 *   GET/SET_VP_REGISTERS        sim_regs.c (KVM vCPU state)
 *   TRANSLATE_VIRTUAL_ADDRESS   KVM_TRANSLATE plus the memory map
 *   ASSERT_VIRTUAL_INTERRUPT    KVM_SIGNAL_MSI (sim_irq.c)
 *   REGISTER_INTERCEPT_RESULT   CPUID overrides -> KVM_SET_CPUID2
 *   GET_VP_CPUID_VALUES         the VP's effective CPUID table
 *
 * Everything else on the allow-list (INSTALL_INTERCEPT, CLEAR_VIRTUAL_
 * INTERRUPT, SIGNAL_EVENT_DIRECT, POST_MESSAGE_DIRECT, GET_GPA_PAGES_
 * ACCESS_STATES) is refused loudly.  The ioctl fails with the kernel's
 * errno for the returned HV_STATUS, or -EOPNOTSUPP for what is not
 * simulated (status OPERATION_DENIED).
 */
#define LOG_MOD "mshv-sim"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/mshv-sim/sim.h"

#define SIM_TRANSLATE_KNOWN 0x7ffull /* control flags up to SHADOW_STACK */

/* --- partition properties --------------------------------------------------- */

static int sim_prop_get(struct sim_part *part, uint32_t code, uint64_t *val)
{
	uint32_t r[4];

	switch (code) {
	case HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES:
		*val = part->synth_features;
		return HV_STATUS_SUCCESS;
	case HV_PARTITION_PROPERTY_UNIMPLEMENTED_MSR_ACTION:
		*val = part->msr_action;
		return HV_STATUS_SUCCESS;
	case HV_PARTITION_PROPERTY_GPA_PAGE_ACCESS_TRACKING:
		*val = part->tracking;
		return HV_STATUS_SUCCESS;
	case HV_PARTITION_PROPERTY_PROCESSORS_PER_SOCKET:
		*val = part->procs_per_socket;
		return HV_STATUS_SUCCESS;
	case HV_PARTITION_PROPERTY_TIME_FREEZE:
		*val = 0;
		return HV_STATUS_SUCCESS;
	case HV_PARTITION_PROPERTY_PHYSICAL_ADDRESS_WIDTH:
	case HV_PARTITION_PROPERTY_IMPLEMENTED_PHYSICAL_ADDRESS_BITS:
		sim_cpuid_lookup(part->supported, 0x80000008u, 0, r);
		*val = r[0] & 0xff;
		return HV_STATUS_SUCCESS;
	default:
		return sim_unsupported(part->sim,
				       "partition property %#x (get)", code);
	}
}

static int sim_prop_set(struct sim_part *part, uint32_t code, uint64_t val)
{
	struct mshv_sim *sim = part->sim;
	int ret;

	switch (code) {
	case HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES:
		if (part->initialized) {
			sim_err(sim,
				"SYNTHETIC_PROC_FEATURES set after MSHV_INITIALIZE_PARTITION");
			return HV_STATUS_INVALID_PARTITION_STATE;
		}
		part->synth_features = val;
		sim_info(
			sim,
			"synthetic processor features %#llx recorded; the guest sees KVM's CPUID, not Hyper-V's enlightenments",
			(unsigned long long)val);
		return HV_STATUS_SUCCESS;
	case HV_PARTITION_PROPERTY_UNIMPLEMENTED_MSR_ACTION:
		if (val > HV_UNIMPLEMENTED_MSR_ACTION_IGNORE_WRITE_READ_ZERO)
			return HV_STATUS_PROPERTY_VALUE_OUT_OF_RANGE;
		if (val && !part->user_msr)
			return sim_unsupported(
				sim,
				"UNIMPLEMENTED_MSR_ACTION = 1 (this KVM lacks KVM_CAP_X86_USER_SPACE_MSR)");
		part->msr_action = val;
		return HV_STATUS_SUCCESS;
	case HV_PARTITION_PROPERTY_GPA_PAGE_ACCESS_TRACKING:
		if (val > 1)
			return HV_STATUS_PROPERTY_VALUE_OUT_OF_RANGE;
		ret = sim_mem_tracking(part, val);
		return ret < 0 ? HV_STATUS_OPERATION_FAILED : HV_STATUS_SUCCESS;
	case HV_PARTITION_PROPERTY_PROCESSORS_PER_SOCKET:
		part->procs_per_socket = val;
		return HV_STATUS_SUCCESS;
	case HV_PARTITION_PROPERTY_TIME_FREEZE:
		if (!val)
			return HV_STATUS_SUCCESS; /* never frozen */
		return sim_unsupported(
			sim, "TIME_FREEZE = %llu (pausing the partition)",
			(unsigned long long)val);
	default:
		return sim_unsupported(sim,
				       "partition property %#x = %#llx (set)",
				       code, (unsigned long long)val);
	}
}

static int sim_hc_property(struct sim_part *part, bool set, const uint8_t *in,
			   uint32_t in_sz, uint8_t *out, uint32_t out_sz)
{
	struct hv_input_set_partition_property p;
	uint64_t val = 0;
	int st;

	memset(&p, 0, sizeof(p));
	if (in_sz < (set ? sizeof(p) :
			   sizeof(struct hv_input_get_partition_property)) ||
	    (!set && out_sz < sizeof(val)))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	memcpy(&p, in, set ? sizeof(p) : 16);
	pthread_mutex_lock(&part->lock);
	if (set) {
		st = sim_prop_set(part, p.property_code, p.property_value);
	} else {
		st = sim_prop_get(part, p.property_code, &val);
		memcpy(out, &val, sizeof(val));
	}
	pthread_mutex_unlock(&part->lock);
	return st;
}

/* --- VP-targeted calls ---------------------------------------------------- */

static int sim_target(struct sim_part *part, const uint8_t *in,
		      struct sim_vp **vp)
{
	uint32_t idx;

	memcpy(&idx, in + 8, sizeof(idx));
	*vp = sim_vp_find(part, idx);
	return *vp ? HV_STATUS_SUCCESS : HV_STATUS_INVALID_VP_INDEX;
}

static int sim_hc_regs(struct sim_part *part, bool set, uint16_t reps,
		       const uint8_t *in, uint32_t in_sz, uint8_t *out,
		       uint32_t out_sz, uint32_t *done)
{
	const struct hv_input_vp_registers_hdr *h = (const void *)in;
	struct sim_vp *vp;
	int st;

	if (in_sz < sizeof(*h) + (uint32_t)reps * (set ? 32u : 4u) ||
	    (!set && out_sz < 16u * reps))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (h->input_vtl || h->rsvd8 || h->rsvd16)
		return HV_STATUS_INVALID_PARAMETER;
	st = sim_target(part, in, &vp);
	if (st)
		return st;
	if (set)
		return sim_regs_set(vp, (const void *)(in + sizeof(*h)), reps,
				    done);
	/* reps <= 256: out_sz (<= 4096) holds 16 bytes per name. */
	return sim_regs_get(vp, (const void *)(in + sizeof(*h)), (void *)out,
			    reps, done);
}

static int sim_hc_translate(struct sim_part *part, const uint8_t *in,
			    uint32_t in_sz, uint8_t *out, uint32_t out_sz)
{
	struct hv_input_translate_virtual_address t;
	struct hv_output_translate_virtual_address o;
	struct kvm_translation tr;
	struct sim_vp *vp;
	uint8_t flags = 0;
	int st, ret;

	if (in_sz < sizeof(t) || out_sz < sizeof(o))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	memcpy(&t, in, sizeof(t));
	if (t.control_flags & ~SIM_TRANSLATE_KNOWN)
		return HV_STATUS_INVALID_PARAMETER;
	st = sim_target(part, in, &vp);
	if (st)
		return st;
	if (!part->warned_translate) {
		part->warned_translate = true;
		sim_info(
			part->sim,
			"TRANSLATE_VIRTUAL_ADDRESS uses KVM_TRANSLATE: page-table permissions are not validated, accessed/dirty bits not set");
	}
	memset(&tr, 0, sizeof(tr));
	tr.linear_address = t.gva_page << MSHV_PAGE_SHIFT;
	ret = sim_kvm_ioctl(vp->fd, KVM_TRANSLATE, &tr);
	if (ret < 0) {
		sim_err(part->sim, "KVM_TRANSLATE: %s", strerror(-ret));
		return ret;
	}
	memset(&o, 0, sizeof(o));
	if (!tr.valid) {
		o.result = HV_TRANSLATE_GVA_PAGE_NOT_PRESENT;
	} else {
		o.gpa_page = tr.physical_address >> MSHV_PAGE_SHIFT;
		if (!sim_mem_lookup(part, tr.physical_address, &flags))
			o.result = HV_TRANSLATE_GVA_GPA_UNMAPPED;
		else if ((t.control_flags & HV_TRANSLATE_GVA_VALIDATE_WRITE) &&
			 !(flags & MSHV_SET_MEM_FLAG_WRITABLE))
			o.result = HV_TRANSLATE_GVA_GPA_NO_WRITE_ACCESS;
		else
			o.result = HV_TRANSLATE_GVA_SUCCESS;
	}
	memcpy(out, &o, sizeof(o));
	return HV_STATUS_SUCCESS;
}

static int sim_hc_cpuid_result(struct sim_part *part, const uint8_t *in,
			       uint32_t in_sz)
{
	struct hv_input_register_intercept_result_cpuid c;
	struct sim_cpuid_ovr o;
	struct sim_vp *vp;
	uint32_t type;
	int st, ret;

	if (in_sz < 16)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	memcpy(&type, in + 12, sizeof(type));
	if (type != HV_INTERCEPT_TYPE_X64_CPUID)
		return sim_unsupported(
			part->sim,
			"REGISTER_INTERCEPT_RESULT for intercept type %u",
			type);
	if (in_sz < HV_REGISTER_INTERCEPT_RESULT_CPUID_SIZE)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	memset(&c, 0, sizeof(c));
	memcpy(&c, in, HV_REGISTER_INTERCEPT_RESULT_CPUID_SIZE);
	st = sim_target(part, in, &vp);
	if (st)
		return st;
	memset(&o, 0, sizeof(o));
	o.leaf = c.input_eax;
	o.subleaf = c.input_ecx;
	o.per_subleaf = c.subleaf_specific;
	o.val[0] = c.eax;
	o.mask[0] = c.eax_mask;
	o.val[1] = c.ebx;
	o.mask[1] = c.ebx_mask;
	o.val[2] = c.ecx;
	o.mask[2] = c.ecx_mask;
	o.val[3] = c.edx;
	o.mask[3] = c.edx_mask;
	ret = sim_cpuid_ovr_add(&vp->ovr, &vp->nr_ovr, &vp->cap_ovr, &o);
	if (ret < 0)
		return HV_STATUS_INSUFFICIENT_MEMORY;
	ret = sim_vp_set_cpuid(vp);
	if (ret < 0)
		return sim_unsupported(
			part->sim, "CPUID leaf %#x.%u changed on VP %u%s (%s)",
			o.leaf, o.subleaf, vp->index,
			vp->ran ? " after it ran" : "", strerror(-ret));
	return HV_STATUS_SUCCESS;
}

static int sim_hc_cpuid_values(struct sim_part *part, uint16_t reps,
			       const uint8_t *in, uint32_t in_sz, uint8_t *out,
			       uint32_t out_sz, uint32_t *done)
{
	struct kvm_cpuid2 *c;
	struct sim_vp *vp;
	uint32_t i, leaf, sub, r[4];
	int st;

	if (in_sz < 24u + 24u * reps || out_sz < 16u * reps)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	st = sim_target(part, in, &vp);
	if (st)
		return st;
	if (sim_cpuid_build(part->supported, vp->index,
			    part->pt_flags & (1ull << MSHV_PT_BIT_X2APIC),
			    part->tsc_deadline, vp->ovr, vp->nr_ovr, &c) < 0)
		return HV_STATUS_INSUFFICIENT_MEMORY;
	for (i = 0; i < reps; i++) {
		memcpy(&leaf, in + 24 + 24 * i, 4);
		memcpy(&sub, in + 24 + 24 * i + 4, 4);
		sim_cpuid_lookup(c, leaf, sub, r);
		/* Output order: eax, ebx, ecx, edx. */
		memcpy(out + 16 * i, r, sizeof(r));
	}
	free(c);
	*done = reps;
	return HV_STATUS_SUCCESS;
}

/* --- dispatch -------------------------------------------------------------- */

static int sim_hc_dispatch(struct sim_part *part,
			   const struct mshv_root_hvcall *a, const uint8_t *in,
			   uint8_t *out, uint32_t *done)
{
	struct hv_input_assert_virtual_interrupt ai;

	switch (a->code) {
	case HVCALL_GET_PARTITION_PROPERTY:
	case HVCALL_SET_PARTITION_PROPERTY:
		return sim_hc_property(part,
				       a->code == HVCALL_SET_PARTITION_PROPERTY,
				       in, a->in_sz, out, a->out_sz);
	case HVCALL_GET_VP_REGISTERS:
	case HVCALL_SET_VP_REGISTERS:
		return sim_hc_regs(part, a->code == HVCALL_SET_VP_REGISTERS,
				   a->reps, in, a->in_sz, out, a->out_sz, done);
	case HVCALL_TRANSLATE_VIRTUAL_ADDRESS:
		return sim_hc_translate(part, in, a->in_sz, out, a->out_sz);
	case HVCALL_ASSERT_VIRTUAL_INTERRUPT:
		if (a->in_sz < sizeof(ai))
			return HV_STATUS_INVALID_HYPERCALL_INPUT;
		memcpy(&ai, in, sizeof(ai));
		return sim_irq_assert(part, &ai);
	case HVCALL_REGISTER_INTERCEPT_RESULT:
		return sim_hc_cpuid_result(part, in, a->in_sz);
	case HVCALL_GET_VP_CPUID_VALUES:
		return sim_hc_cpuid_values(part, a->reps, in, a->in_sz, out,
					   a->out_sz, done);
	default:
		return sim_unsupported(part->sim, "hypercall %#x", a->code);
	}
}

int sim_hvcall(struct sim_part *part, struct sim_vp *vp,
	       struct mshv_root_hvcall *a)
{
	uint8_t in[MSHV_HVCALL_MAX_SZ] __attribute__((aligned(16)));
	uint8_t out[MSHV_HVCALL_MAX_SZ] __attribute__((aligned(16)));
	uint32_t done = 0;
	bool rep = false;
	int st;

	sim_stat_add(part, hvcalls);
	st = sim_hvcall_check(a, vp != NULL, &rep);
	if (st < 0) {
		sim_err(part->sim,
			"MSHV_ROOT_HVCALL %#x refused like the kernel would (in %u, out %u, reps %u, %s fd)",
			a->code, a->in_sz, a->out_sz, a->reps,
			vp ? "VP" : "partition");
		return st;
	}
	memset(in, 0, sizeof(in));
	memcpy(in, (const void *)(uintptr_t)a->in_ptr, a->in_sz);
	memcpy(in, &part->id, sizeof(part->id));
	memset(out, 0, sizeof(out));
	st = sim_hc_dispatch(part, a, in, out, &done);
	a->reps = rep ? (uint16_t)done : 0;
	if (st < 0) {
		a->status = st == -EOPNOTSUPP ? HV_STATUS_OPERATION_DENIED :
						HV_STATUS_OPERATION_FAILED;
		return st;
	}
	a->status = (uint16_t)st;
	if (a->out_sz)
		memcpy((void *)(uintptr_t)a->out_ptr, out, a->out_sz);
	return sim_status_errno((uint32_t)st);
}
