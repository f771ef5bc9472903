// SPDX-License-Identifier: Apache-2.0
/*
 * mshv_regs_x86_64.c - register sets of the MSHV plugin (x86_64): the
 * hv ABI's HV_REGS_CORE / HV_REGS_SPECIAL structs and single registers,
 * converted to and from hypervisor register names and values, one
 * GET/SET_VP_REGISTERS hypercall per call.
 *
 * Segments: the hypervisor's 16-bit attribute word is the descriptor
 * access byte (type, S, DPL, P) in bits 0-7 and AVL, L, D/B, G in bits
 * 12-15.  It has no "unusable" bit: an unusable segment is written with
 * P = 0, and a segment read with P = 0 reports unusable.  CR0/CR3/CR4 use
 * the plain register names (what QEMU does; the intermediate names are for
 * nested hypervisors).
 */
#define LOG_MOD "mshv"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "hv/hv_x86_64.h"
#include "hv/mshv/mshv_priv.h"

/* HV_REGS_CORE: struct hv_x86_regs field offsets and their names. */
#define MSHV_GPR(f, n)                             \
	{                                          \
		offsetof(struct hv_x86_regs, f), n \
	}
static const struct {
	uint32_t off;
	uint32_t name;
} mshv_core_regs[] = {
	MSHV_GPR(rax, HV_X64_REGISTER_RAX),
	MSHV_GPR(rbx, HV_X64_REGISTER_RBX),
	MSHV_GPR(rcx, HV_X64_REGISTER_RCX),
	MSHV_GPR(rdx, HV_X64_REGISTER_RDX),
	MSHV_GPR(rsi, HV_X64_REGISTER_RSI),
	MSHV_GPR(rdi, HV_X64_REGISTER_RDI),
	MSHV_GPR(rsp, HV_X64_REGISTER_RSP),
	MSHV_GPR(rbp, HV_X64_REGISTER_RBP),
	MSHV_GPR(r8, HV_X64_REGISTER_R8),
	MSHV_GPR(r9, HV_X64_REGISTER_R8 + 1),
	MSHV_GPR(r10, HV_X64_REGISTER_R8 + 2),
	MSHV_GPR(r11, HV_X64_REGISTER_R8 + 3),
	MSHV_GPR(r12, HV_X64_REGISTER_R8 + 4),
	MSHV_GPR(r13, HV_X64_REGISTER_R8 + 5),
	MSHV_GPR(r14, HV_X64_REGISTER_R8 + 6),
	MSHV_GPR(r15, HV_X64_REGISTER_R15),
	MSHV_GPR(rip, HV_X64_REGISTER_RIP),
	MSHV_GPR(rflags, HV_X64_REGISTER_RFLAGS),
};

#define MSHV_NR_CORE (sizeof(mshv_core_regs) / sizeof(mshv_core_regs[0]))

/* HV_REGS_SPECIAL, in Cloud Hypervisor's order. */
enum {
	MSHV_SR_CS,
	MSHV_SR_DS,
	MSHV_SR_ES,
	MSHV_SR_FS,
	MSHV_SR_GS,
	MSHV_SR_SS,
	MSHV_SR_TR,
	MSHV_SR_LDT,
	MSHV_SR_GDT,
	MSHV_SR_IDT,
	MSHV_SR_CR0,
	MSHV_SR_CR2,
	MSHV_SR_CR3,
	MSHV_SR_CR4,
	MSHV_SR_CR8,
	MSHV_SR_EFER,
	MSHV_SR_APIC_BASE,
	MSHV_NR_SPECIAL
};

static const uint32_t mshv_special_names[MSHV_NR_SPECIAL] = {
	HV_X64_REGISTER_CS,   HV_X64_REGISTER_DS,	 HV_X64_REGISTER_ES,
	HV_X64_REGISTER_FS,   HV_X64_REGISTER_GS,	 HV_X64_REGISTER_SS,
	HV_X64_REGISTER_TR,   HV_X64_REGISTER_LDTR,	 HV_X64_REGISTER_GDTR,
	HV_X64_REGISTER_IDTR, HV_X64_REGISTER_CR0,	 HV_X64_REGISTER_CR2,
	HV_X64_REGISTER_CR3,  HV_X64_REGISTER_CR4,	 HV_X64_REGISTER_CR8,
	HV_X64_REGISTER_EFER, HV_X64_REGISTER_APIC_BASE,
};

/* Single registers by hv id. */
static const struct {
	uint32_t id;
	uint32_t name;
} mshv_single_regs[] = {
	{ HV_X86_RIP, HV_X64_REGISTER_RIP },
	{ HV_X86_RSP, HV_X64_REGISTER_RSP },
	{ HV_X86_RFLAGS, HV_X64_REGISTER_RFLAGS },
	{ HV_X86_RAX, HV_X64_REGISTER_RAX },
	{ HV_X86_RBX, HV_X64_REGISTER_RBX },
	{ HV_X86_RCX, HV_X64_REGISTER_RCX },
	{ HV_X86_RDX, HV_X64_REGISTER_RDX },
	{ HV_X86_RSI, HV_X64_REGISTER_RSI },
	{ HV_X86_RDI, HV_X64_REGISTER_RDI },
	{ HV_X86_CR0, HV_X64_REGISTER_CR0 },
	{ HV_X86_CR3, HV_X64_REGISTER_CR3 },
	{ HV_X86_CR4, HV_X64_REGISTER_CR4 },
	{ HV_X86_EFER, HV_X64_REGISTER_EFER },
};

static void mshv_seg_get(struct hv_x86_segment *d,
			 const struct hv_x64_segment_register *s)
{
	uint16_t a = s->attributes;

	memset(d, 0, sizeof(*d));
	d->base = s->base;
	d->limit = s->limit;
	d->selector = s->selector;
	d->type = a & HV_X64_SEG_ATTR_TYPE_MASK;
	d->s = !!(a & HV_X64_SEG_ATTR_S);
	d->dpl = (a & HV_X64_SEG_ATTR_DPL_MASK) >> HV_X64_SEG_ATTR_DPL_SHIFT;
	d->present = !!(a & HV_X64_SEG_ATTR_P);
	d->avl = !!(a & HV_X64_SEG_ATTR_AVL);
	d->l = !!(a & HV_X64_SEG_ATTR_L);
	d->db = !!(a & HV_X64_SEG_ATTR_DB);
	d->g = !!(a & HV_X64_SEG_ATTR_G);
	d->unusable = !d->present;
}

static void mshv_seg_put(struct hv_x64_segment_register *d,
			 const struct hv_x86_segment *s)
{
	uint16_t a = s->type & HV_X64_SEG_ATTR_TYPE_MASK;

	if (s->s)
		a |= HV_X64_SEG_ATTR_S;
	a |= (uint16_t)((s->dpl & 3) << HV_X64_SEG_ATTR_DPL_SHIFT);
	if (s->present && !s->unusable)
		a |= HV_X64_SEG_ATTR_P;
	if (s->avl)
		a |= HV_X64_SEG_ATTR_AVL;
	if (s->l)
		a |= HV_X64_SEG_ATTR_L;
	if (s->db)
		a |= HV_X64_SEG_ATTR_DB;
	if (s->g)
		a |= HV_X64_SEG_ATTR_G;
	memset(d, 0, sizeof(*d));
	d->base = s->base;
	d->limit = s->limit;
	d->selector = s->selector;
	d->attributes = a;
}

static struct hv_x86_segment *mshv_sr_seg(struct hv_x86_sregs *s, int i)
{
	struct hv_x86_segment *segs[] = { &s->cs, &s->ds, &s->es, &s->fs,
					  &s->gs, &s->ss, &s->tr, &s->ldt };

	return segs[i];
}

static uint64_t *mshv_sr_ctrl(struct hv_x86_sregs *s, int i)
{
	uint64_t *ctrl[] = { &s->cr0, &s->cr2,	&s->cr3,      &s->cr4,
			     &s->cr8, &s->efer, &s->apic_base };

	return ctrl[i - MSHV_SR_CR0];
}

static int mshv_get_special(struct hv_vcpu *vcpu, struct hv_x86_sregs *s)
{
	union hv_register_value v[MSHV_NR_SPECIAL];
	struct hv_x86_dtable *dt;
	int i, ret;

	ret = mshv_get_vp_regs(vcpu, mshv_special_names, v, MSHV_NR_SPECIAL);
	if (ret < 0)
		return ret;
	memset(s, 0, sizeof(*s));
	for (i = MSHV_SR_CS; i <= MSHV_SR_LDT; i++)
		mshv_seg_get(mshv_sr_seg(s, i), &v[i].segment);
	for (i = MSHV_SR_GDT; i <= MSHV_SR_IDT; i++) {
		dt = i == MSHV_SR_GDT ? &s->gdt : &s->idt;
		dt->base = v[i].table.base;
		dt->limit = v[i].table.limit;
	}
	for (i = MSHV_SR_CR0; i < MSHV_NR_SPECIAL; i++)
		*mshv_sr_ctrl(s, i) = v[i].reg64;
	return 0;
}

static int mshv_set_special(struct hv_vcpu *vcpu, const struct hv_x86_sregs *in)
{
	struct hv_register_assoc a[MSHV_NR_SPECIAL];
	struct hv_x86_sregs s = *in;
	const struct hv_x86_dtable *dt;
	int i;

	memset(a, 0, sizeof(a));
	for (i = 0; i < MSHV_NR_SPECIAL; i++)
		a[i].name = mshv_special_names[i];
	for (i = MSHV_SR_CS; i <= MSHV_SR_LDT; i++)
		mshv_seg_put(&a[i].value.segment, mshv_sr_seg(&s, i));
	for (i = MSHV_SR_GDT; i <= MSHV_SR_IDT; i++) {
		dt = i == MSHV_SR_GDT ? &s.gdt : &s.idt;
		a[i].value.table.base = dt->base;
		a[i].value.table.limit = dt->limit;
	}
	for (i = MSHV_SR_CR0; i < MSHV_NR_SPECIAL; i++)
		a[i].value.reg64 = *mshv_sr_ctrl(&s, i);
	return mshv_set_vp_regs(vcpu, a, MSHV_NR_SPECIAL);
}

int mshv_vcpu_get_regs(struct hv_vcpu *vcpu, uint32_t set, void *buf,
		       size_t len)
{
	union hv_register_value v[MSHV_NR_CORE];
	uint32_t names[MSHV_NR_CORE];
	uint32_t i;
	int ret;

	if (!buf)
		return -EINVAL;
	if (set == HV_REGS_SPECIAL && len == sizeof(struct hv_x86_sregs))
		return mshv_get_special(vcpu, buf);
	if (set != HV_REGS_CORE || len != sizeof(struct hv_x86_regs))
		return -EINVAL;
	for (i = 0; i < MSHV_NR_CORE; i++)
		names[i] = mshv_core_regs[i].name;
	ret = mshv_get_vp_regs(vcpu, names, v, MSHV_NR_CORE);
	if (ret < 0)
		return ret;
	for (i = 0; i < MSHV_NR_CORE; i++)
		memcpy((char *)buf + mshv_core_regs[i].off, &v[i].reg64,
		       sizeof(uint64_t));
	return 0;
}

int mshv_vcpu_set_regs(struct hv_vcpu *vcpu, uint32_t set, const void *buf,
		       size_t len)
{
	struct hv_register_assoc a[MSHV_NR_CORE];
	uint64_t val;
	uint32_t i;

	if (!buf)
		return -EINVAL;
	if (set == HV_REGS_SPECIAL && len == sizeof(struct hv_x86_sregs))
		return mshv_set_special(vcpu, buf);
	if (set != HV_REGS_CORE || len != sizeof(struct hv_x86_regs))
		return -EINVAL;
	for (i = 0; i < MSHV_NR_CORE; i++) {
		memcpy(&val, (const char *)buf + mshv_core_regs[i].off,
		       sizeof(val));
		mshv_assoc64(&a[i], mshv_core_regs[i].name, val);
	}
	return mshv_set_vp_regs(vcpu, a, MSHV_NR_CORE);
}

static int mshv_single_name(uint32_t id, uint32_t *name)
{
	size_t i;

	for (i = 0; i < sizeof(mshv_single_regs) / sizeof(mshv_single_regs[0]);
	     i++) {
		if (mshv_single_regs[i].id == id) {
			*name = mshv_single_regs[i].name;
			return 0;
		}
	}
	return -EINVAL;
}

int mshv_vcpu_get_reg(struct hv_vcpu *vcpu, uint32_t reg_id, uint64_t *val)
{
	uint32_t name;
	int ret = mshv_single_name(reg_id, &name);

	if (ret < 0 || !val)
		return -EINVAL;
	return mshv_get_vp_reg64(vcpu, name, val);
}

int mshv_vcpu_set_reg(struct hv_vcpu *vcpu, uint32_t reg_id, uint64_t val)
{
	uint32_t name;
	int ret = mshv_single_name(reg_id, &name);

	if (ret < 0)
		return ret;
	return mshv_set_vp_reg64(vcpu, name, val);
}
