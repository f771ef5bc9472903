// SPDX-License-Identifier: Apache-2.0
/*
 * sim_cpuid.c - CPUID of the simulated VPs (pure, unit-tested).
 *
 * MSHV answers CPUID itself with the partition's features; the VMM only
 * registers per-VP overrides (HVCALL_REGISTER_INTERCEPT_RESULT: bits
 * whose mask bit is set take the given value).  The simulator's "what the
 * hypervisor answers" is KVM_GET_SUPPORTED_CPUID plus what a hypervisor
 * fills per VP: the initial APIC id (leaf 1 EBX[31:24], leaves 0xB/0x1F
 * EDX), the hypervisor-present bit, TSC-deadline when KVM emulates it,
 * and x2APIC only for partitions created with MSHV_PT_BIT_X2APIC.  The
 * overrides are then applied in registration order; a leaf/sub-leaf the
 * table lacks is added.  The result goes to KVM_SET_CPUID2.
 */
#define LOG_MOD "mshv-sim"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/mshv-sim/sim.h"

#define SIM_CPUID1_ECX_X2APIC (1u << 21)
#define SIM_CPUID1_ECX_TSC_DEADLINE (1u << 24)
#define SIM_CPUID1_ECX_HYPERVISOR (1u << 31)

static uint32_t *sim_cpuid_reg(struct kvm_cpuid_entry2 *e, int i)
{
	uint32_t *regs[4] = { &e->eax, &e->ebx, &e->ecx, &e->edx };

	return regs[i];
}

static bool sim_cpuid_match(const struct kvm_cpuid_entry2 *e, uint32_t leaf,
			    uint32_t subleaf, bool per_subleaf)
{
	if (e->function != leaf)
		return false;
	if (!per_subleaf || !(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX))
		return true;
	return e->index == subleaf;
}

static void sim_cpuid_apply(struct kvm_cpuid_entry2 *e,
			    const struct sim_cpuid_ovr *o)
{
	uint32_t *r;
	int i;

	for (i = 0; i < 4; i++) {
		r = sim_cpuid_reg(e, i);
		*r = (*r & ~o->mask[i]) | (o->val[i] & o->mask[i]);
	}
}

static void sim_cpuid_defaults(struct kvm_cpuid2 *c, uint32_t vp_index,
			       bool x2apic, bool tsc_deadline)
{
	struct kvm_cpuid_entry2 *e;
	uint32_t i;

	for (i = 0; i < c->nent; i++) {
		e = &c->entries[i];
		if (e->function == 1) {
			e->ebx = (e->ebx & 0x00ffffffu) | (vp_index & 0xffu)
								  << 24;
			e->ecx |= SIM_CPUID1_ECX_HYPERVISOR;
			if (tsc_deadline)
				e->ecx |= SIM_CPUID1_ECX_TSC_DEADLINE;
			if (!x2apic)
				e->ecx &= ~SIM_CPUID1_ECX_X2APIC;
		} else if (e->function == 0xb || e->function == 0x1f) {
			e->edx = vp_index;
		}
	}
}

int sim_cpuid_build(const struct kvm_cpuid2 *base, uint32_t vp_index,
		    bool x2apic, bool tsc_deadline,
		    const struct sim_cpuid_ovr *ovr, uint32_t nr_ovr,
		    struct kvm_cpuid2 **out)
{
	struct kvm_cpuid_entry2 *e;
	struct kvm_cpuid2 *c;
	uint32_t i, j, cap;
	bool hit;

	cap = (base ? base->nent : 0) + nr_ovr;
	c = calloc(1, sizeof(*c) + (size_t)(cap ? cap : 1) * sizeof(*e));
	if (!c)
		return -ENOMEM;
	if (base) {
		memcpy(c->entries, base->entries,
		       base->nent * sizeof(base->entries[0]));
		c->nent = base->nent;
	}
	sim_cpuid_defaults(c, vp_index, x2apic, tsc_deadline);
	for (i = 0; i < nr_ovr; i++) {
		hit = false;
		for (j = 0; j < c->nent; j++) {
			e = &c->entries[j];
			if (!sim_cpuid_match(e, ovr[i].leaf, ovr[i].subleaf,
					     ovr[i].per_subleaf))
				continue;
			sim_cpuid_apply(e, &ovr[i]);
			hit = true;
		}
		if (hit)
			continue;
		e = &c->entries[c->nent++];
		memset(e, 0, sizeof(*e));
		e->function = ovr[i].leaf;
		e->index = ovr[i].per_subleaf ? ovr[i].subleaf : 0;
		e->flags = ovr[i].per_subleaf ?
				   KVM_CPUID_FLAG_SIGNIFCANT_INDEX :
				   0;
		sim_cpuid_apply(e, &ovr[i]);
	}
	*out = c;
	return 0;
}

void sim_cpuid_lookup(const struct kvm_cpuid2 *c, uint32_t leaf,
		      uint32_t subleaf, uint32_t out[4])
{
	const struct kvm_cpuid_entry2 *e;
	uint32_t i;

	memset(out, 0, 4 * sizeof(out[0]));
	if (!c)
		return;
	for (i = 0; i < c->nent; i++) {
		e = &c->entries[i];
		if (!sim_cpuid_match(e, leaf, subleaf, true))
			continue;
		out[0] = e->eax;
		out[1] = e->ebx;
		out[2] = e->ecx;
		out[3] = e->edx;
		return;
	}
}

int sim_cpuid_ovr_add(struct sim_cpuid_ovr **ovr, uint32_t *nr, uint32_t *cap,
		      const struct sim_cpuid_ovr *o)
{
	struct sim_cpuid_ovr *n;
	uint32_t i;

	for (i = 0; i < *nr; i++) {
		if ((*ovr)[i].leaf == o->leaf &&
		    (*ovr)[i].per_subleaf == o->per_subleaf &&
		    (!o->per_subleaf || (*ovr)[i].subleaf == o->subleaf)) {
			(*ovr)[i] = *o;
			return 0;
		}
	}
	if (*nr == *cap) {
		uint32_t c = *cap ? *cap * 2 : 8;

		n = realloc(*ovr, c * sizeof(*n));
		if (!n)
			return -ENOMEM;
		*ovr = n;
		*cap = c;
	}
	(*ovr)[(*nr)++] = *o;
	return 0;
}
