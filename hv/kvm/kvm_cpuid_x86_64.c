// SPDX-License-Identifier: Apache-2.0
/*
 * kvm_cpuid_x86_64.c - CPUID of the KVM plugin's x86_64 vCPUs: the
 * topology a vCPU reports, and the table handed to KVM_SET_CPUID2 (what
 * KVM supports, with the topology leaves, the hypervisor bit and the KVM
 * hypervisor leaves filled in).  Also the guest physical address width,
 * which x86 reports through CPUID.
 */
#define LOG_MOD "kvm"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hv/kvm/kvm_priv.h"

#define CPUID_EXTRA 16u /* room for entries we add */
#define CPUID_MAX_ENTRIES 4096u
#define CPUID_HV_BASE 0x40000000u
#define CPUID_HV_FEATURES 0x40000001u
#define CPUID_HV_TIMING 0x40000010u
/* KVM's LAPIC timer ticks once per nanosecond (APIC_BUS_CYCLE_NS = 1)
 * unless the VMM changes it, which we do not: a 1 GHz bus. */
#define KVM_APIC_BUS_KHZ 1000000u

#define CPUID1_EDX_HTT (1u << 28)
#define CPUID1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID1_ECX_HYPERVISOR (1u << 31)
#define CPUID_TOPO_SMT 1u
#define CPUID_TOPO_CORE 2u

/* KVM_GET_SUPPORTED_CPUID with CPUID_EXTRA spare entries at the end. */
static int kvm_supported_cpuid(struct hv *hv, struct kvm_cpuid2 **out)
{
	struct kvm_cpuid2 *c;
	uint32_t n = 128;
	int ret;

	for (;;) {
		c = calloc(1, sizeof(*c) + (n + CPUID_EXTRA) *
						   sizeof(c->entries[0]));
		if (!c)
			return -ENOMEM;
		c->nent = n;
		ret = kvm_ioctl(hv->kvm_fd, KVM_GET_SUPPORTED_CPUID, c);
		if (!ret) {
			*out = c;
			return 0;
		}
		free(c);
		if (ret != -E2BIG || n >= CPUID_MAX_ENTRIES) {
			kvm_err(hv, "KVM_GET_SUPPORTED_CPUID: %s",
				strerror(-ret));
			return ret;
		}
		n *= 2;
	}
}

static struct kvm_cpuid_entry2 *kvm_cpuid_find(struct kvm_cpuid2 *c,
					       uint32_t fn, uint32_t idx)
{
	uint32_t i;

	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn &&
		    (c->entries[i].index == idx ||
		     !(c->entries[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX)))
			return &c->entries[i];
	return NULL;
}

/* Drop every sub-leaf of `fn`. */
static void kvm_cpuid_remove(struct kvm_cpuid2 *c, uint32_t fn)
{
	uint32_t i, j = 0;

	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function != fn)
			c->entries[j++] = c->entries[i];
	c->nent = j;
}

/* Append an entry; `cap` is the allocated number of entries. */
static struct kvm_cpuid_entry2 *kvm_cpuid_add(struct kvm_cpuid2 *c,
					      uint32_t cap, uint32_t fn,
					      uint32_t idx, uint32_t flags)
{
	struct kvm_cpuid_entry2 *e;

	if (c->nent >= cap)
		return NULL;
	e = &c->entries[c->nent++];
	memset(e, 0, sizeof(*e));
	e->function = fn;
	e->index = idx;
	e->flags = flags;
	return e;
}

static uint32_t kvm_order(uint32_t n)
{
	uint32_t s = 0;

	while ((1ull << s) < n)
		s++;
	return s;
}

/* Leaves 0xB and 0x1F: SMT and core levels, then the invalid level. */
static int kvm_cpuid_x2apic_topo(struct kvm_cpuid2 *c, uint32_t cap,
				 uint32_t fn, const struct kvm_topo *t)
{
	struct kvm_cpuid_entry2 *e;
	uint32_t i;

	kvm_cpuid_remove(c, fn);
	for (i = 0; i < 3; i++) {
		e = kvm_cpuid_add(c, cap, fn, i,
				  KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
		if (!e)
			return -ENOSPC;
		e->ecx = i;
		e->edx = t->apic_id;
		if (i == 0) {
			e->eax = t->smt_shift;
			e->ebx = t->threads;
			e->ecx |= CPUID_TOPO_SMT << 8;
		} else if (i == 1) {
			e->eax = t->pkg_shift;
			e->ebx = t->threads * t->cores;
			e->ecx |= CPUID_TOPO_CORE << 8;
		}
	}
	return 0;
}

static void kvm_cpuid_basic(struct kvm_cpuid2 *c, const struct kvm_topo *t)
{
	uint32_t i, logical = 1u << t->pkg_shift, share, level;
	struct kvm_cpuid_entry2 *e;

	e = kvm_cpuid_find(c, 1, 0);
	if (e) {
		if (logical > 0xff)
			logical = 0xff;
		e->ebx = (e->ebx & 0xffff) | (t->apic_id & 0xff) << 24 |
			 logical << 16;
		if (t->threads * t->cores > 1)
			e->edx |= CPUID1_EDX_HTT;
		else
			e->edx &= ~CPUID1_EDX_HTT;
		e->ecx |= CPUID1_ECX_HYPERVISOR;
	}
	/* Leaf 4: cores per package, and who shares each cache level (L1/L2
	 * per core, L3 per package). */
	for (i = 0; i < c->nent; i++) {
		e = &c->entries[i];
		if (e->function != 4 || !(e->eax & 0x1f))
			continue;
		level = (e->eax >> 5) & 7;
		share = level <= 2 ? t->threads : t->threads * t->cores;
		e->eax &= ~(0x3fu << 26 | 0xfffu << 14);
		e->eax |= ((t->cores - 1) & 0x3f) << 26;
		e->eax |= ((share - 1) & 0xfff) << 14;
	}
}

/* Hypervisor leaves: KVM signature, KVM features as supported, timing. */
static int kvm_cpuid_hv_leaves(struct kvm_cpuid2 *c, uint32_t cap,
			       uint32_t tsc_khz)
{
	struct kvm_cpuid_entry2 *e;
	uint32_t max = CPUID_HV_FEATURES;

	e = kvm_cpuid_find(c, CPUID_HV_BASE, 0);
	if (!e)
		e = kvm_cpuid_add(c, cap, CPUID_HV_BASE, 0, 0);
	if (!e)
		return -ENOSPC;
	if (e->eax > max)
		max = e->eax;
	if (tsc_khz && max < CPUID_HV_TIMING)
		max = CPUID_HV_TIMING;
	e->eax = max;
	memcpy(&e->ebx, "KVMK", 4);
	memcpy(&e->ecx, "VMKV", 4);
	memcpy(&e->edx, "M\0\0\0", 4);
	if (!kvm_cpuid_find(c, CPUID_HV_FEATURES, 0) &&
	    !kvm_cpuid_add(c, cap, CPUID_HV_FEATURES, 0, 0))
		return -ENOSPC;
	if (tsc_khz) {
		kvm_cpuid_remove(c, CPUID_HV_TIMING);
		e = kvm_cpuid_add(c, cap, CPUID_HV_TIMING, 0, 0);
		if (!e)
			return -ENOSPC;
		e->eax = tsc_khz;
		e->ebx = KVM_APIC_BUS_KHZ;
	}
	return 0;
}

int kvm_setup_cpuid(struct hv_vcpu *vcpu, const struct kvm_topo *t)
{
	struct hv *hv = vcpu->vm->hv;
	struct kvm_cpuid_entry2 *e;
	struct kvm_cpuid2 *c;
	uint32_t cap, max_basic;
	int ret, khz;

	ret = kvm_supported_cpuid(hv, &c);
	if (ret < 0)
		return ret;
	cap = c->nent + CPUID_EXTRA;
	e = kvm_cpuid_find(c, 0, 0);
	max_basic = e ? e->eax : 0;
	kvm_cpuid_basic(c, t);
	/* KVM emulates the TSC-deadline timer but leaves it out of the
	 * supported CPUID; without it Linux programs the LAPIC timer in
	 * one-shot mode, which costs more exits per tick. */
	e = kvm_cpuid_find(c, 1, 0);
	if (e && ioctl(hv->kvm_fd, KVM_CHECK_EXTENSION,
		       KVM_CAP_TSC_DEADLINE_TIMER) > 0)
		e->ecx |= CPUID1_ECX_TSC_DEADLINE;
	ret = 0;
	if (max_basic >= 0xb)
		ret = kvm_cpuid_x2apic_topo(c, cap, 0xb, t);
	if (!ret && max_basic >= 0x1f)
		ret = kvm_cpuid_x2apic_topo(c, cap, 0x1f, t);
	khz = ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0);
	if (!ret)
		ret = kvm_cpuid_hv_leaves(c, cap, khz > 0 ? (uint32_t)khz : 0);
	if (!ret)
		ret = kvm_ioctl(vcpu->fd, KVM_SET_CPUID2, c);
	if (ret < 0)
		kvm_err(hv, "vCPU %u: CPUID setup: %s", vcpu->id,
			strerror(-ret));
	free(c);
	return ret;
}

uint32_t kvm_arch_ipa_bits(struct hv *hv)
{
	struct kvm_cpuid_entry2 *e;
	struct kvm_cpuid2 *c;
	uint32_t bits = 0;

	if (kvm_supported_cpuid(hv, &c) < 0)
		return 0;
	e = kvm_cpuid_find(c, 0x80000008u, 0);
	if (e)
		bits = e->eax & 0xff;
	free(c);
	return bits;
}

int kvm_topo_init(struct kvm_topo *t, uint32_t id,
		  const struct hv_vcpu_config *cfg)
{
	uint32_t nr = 1;

	memset(t, 0, sizeof(*t));
	t->apic_id = id;
	t->threads = 1;
	if (cfg) {
		if (cfg->size < offsetof(struct hv_vcpu_config, reserved0))
			return -EINVAL;
		nr = cfg->nr_vcpus ? cfg->nr_vcpus : 1;
		t->apic_id = cfg->apic_id;
		t->threads = cfg->threads_per_core ? cfg->threads_per_core : 1;
		t->cores = cfg->cores_per_die;
	}
	if (!t->cores)
		t->cores = (nr + t->threads - 1) / t->threads;
	if (t->threads > 256 || t->cores > 4096)
		return -EINVAL;
	t->smt_shift = kvm_order(t->threads);
	t->pkg_shift = t->smt_shift + kvm_order(t->cores);
	return 0;
}
