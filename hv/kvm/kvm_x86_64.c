// SPDX-License-Identifier: Apache-2.0
/*
 * kvm_x86_64.c - x86_64 vCPUs of the KVM plugin: creation (boot MSRs,
 * LAPIC LINT pins; CPUID comes from kvm_cpuid_x86_64.c), the x86 exits
 * (port I/O, HLT, MSRs, hypercalls, EOI) and their completion, register
 * access; plus the x86 part of VM creation.  The run loop and the common
 * exits are in kvm_vcpu.c.
 */
#define LOG_MOD "kvm"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hv/hv_x86_64.h"
#include "hv/kvm/kvm_priv.h"

/* Just below the 256 KiB BIOS area under 4 GiB, far from the IOAPIC and
 * LAPIC pages: one page of identity map, then the three-page TSS. */
#define KVM_X86_IDENTITY_MAP_ADDR 0xfffbc000ull
#define KVM_X86_TSS_ADDR 0xfffbd000ull

#define APIC_LVT0 0x350u
#define APIC_LVT1 0x360u
#define APIC_DM_MASK 0x700u
#define APIC_DM_NMI 0x400u
#define APIC_DM_EXTINT 0x700u

/* Boot MSR values, written once at vCPU creation. */
static const struct {
	uint32_t index;
	uint64_t value;
} kvm_boot_msrs[] = {
	{ 0x174, 0 }, /* IA32_SYSENTER_CS */
	{ 0x175, 0 }, /* IA32_SYSENTER_ESP */
	{ 0x176, 0 }, /* IA32_SYSENTER_EIP */
	{ 0xc0000081, 0 }, /* STAR */
	{ 0xc0000082, 0 }, /* LSTAR */
	{ 0xc0000083, 0 }, /* CSTAR */
	{ 0xc0000084, 0 }, /* SYSCALL_MASK (FMASK) */
	{ 0xc0000102, 0 }, /* KERNEL_GS_BASE */
	{ 0x10, 0 }, /* IA32_TSC */
	{ 0x1a0, 1 }, /* IA32_MISC_ENABLE: fast strings */
	{ 0x2ff, 0x806 }, /* MTRR_DEF_TYPE: enabled, write-back */
};

#define NR_BOOT_MSRS (sizeof(kvm_boot_msrs) / sizeof(kvm_boot_msrs[0]))

/* --- VM and vCPU setup ---------------------------------------------------- */

int kvm_arch_vm_init(struct hv_vm *vm, const struct hv_vm_config *cfg)
{
	uint64_t idmap = KVM_X86_IDENTITY_MAP_ADDR;
	uint32_t bits;
	int ret;

	if (cfg->arch != HV_ARCH_X86_64)
		return -EINVAL;
	bits = kvm_arch_ipa_bits(vm->hv);
	if (cfg->ipa_bits && bits && cfg->ipa_bits > bits)
		return -EINVAL;
	/* Both only matter for CPUs without unrestricted guest support, but
	 * KVM wants them set before the first vCPU exists. */
	ret = kvm_ioctl(vm->fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap);
	if (!ret)
		ret = kvm_ioctl(vm->fd, KVM_SET_TSS_ADDR,
				(void *)(uintptr_t)KVM_X86_TSS_ADDR);
	if (ret < 0)
		kvm_err(vm->hv, "TSS/identity map setup: %s", strerror(-ret));
	return ret;
}

static int kvm_setup_msrs(struct hv_vcpu *vcpu)
{
	struct kvm_msrs *m;
	uint32_t i;
	int ret;

	m = calloc(1, sizeof(*m) + NR_BOOT_MSRS * sizeof(m->entries[0]));
	if (!m)
		return -ENOMEM;
	m->nmsrs = NR_BOOT_MSRS;
	for (i = 0; i < NR_BOOT_MSRS; i++) {
		m->entries[i].index = kvm_boot_msrs[i].index;
		m->entries[i].data = kvm_boot_msrs[i].value;
	}
	/* Returns how many MSRs were set, stopping at the first failure. */
	ret = kvm_ioctl(vcpu->fd, KVM_SET_MSRS, m);
	if (ret >= 0 && ret < (int)NR_BOOT_MSRS) {
		kvm_err(vcpu->vm->hv, "vCPU %u: MSR %#x refused", vcpu->id,
			kvm_boot_msrs[ret].index);
		ret = -EIO;
	}
	free(m);
	return ret < 0 ? ret : 0;
}

static void kvm_lapic_set_dm(struct kvm_lapic_state *l, uint32_t reg,
			     uint32_t mode)
{
	uint32_t v;

	memcpy(&v, &l->regs[reg], sizeof(v));
	v = (v & ~APIC_DM_MASK) | mode;
	memcpy(&l->regs[reg], &v, sizeof(v));
}

/* LINT0 as ExtINT (the PIC), LINT1 as NMI, like a PC's virtual wire. */
static int kvm_setup_lapic(struct hv_vcpu *vcpu)
{
	struct kvm_lapic_state l;
	int ret;

	ret = kvm_ioctl(vcpu->fd, KVM_GET_LAPIC, &l);
	if (ret < 0)
		return ret;
	kvm_lapic_set_dm(&l, APIC_LVT0, APIC_DM_EXTINT);
	kvm_lapic_set_dm(&l, APIC_LVT1, APIC_DM_NMI);
	return kvm_ioctl(vcpu->fd, KVM_SET_LAPIC, &l);
}

int kvm_vcpu_create(struct hv_vm *vm, uint32_t id,
		    const struct hv_vcpu_config *cfg, void *cookie,
		    struct hv_vcpu **out)
{
	struct hv *hv = vm->hv;
	struct hv_vcpu *vcpu;
	struct kvm_topo t;
	int ret;

	ret = kvm_topo_init(&t, id, cfg);
	if (ret < 0)
		return ret;
	if (vm->nr_vcpus >= hv->max_vcpus || t.apic_id >= hv->max_vcpu_id)
		return -EINVAL;
	vcpu = calloc(1, sizeof(*vcpu));
	if (!vcpu)
		return -ENOMEM;
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->kvm_id = t.apic_id; /* KVM's vCPU id is the initial APIC id */
	vcpu->cookie = cookie;
	ret = kvm_vcpu_open(vcpu);
	if (ret < 0)
		goto err_free;
	ret = kvm_setup_cpuid(vcpu, &t);
	if (ret < 0)
		goto err_close;
	ret = kvm_setup_msrs(vcpu);
	if (ret < 0)
		goto err_close;
	/* The LAPIC exists in the kernel only with the (split) irqchip. */
	if (vm->irqchip) {
		ret = kvm_setup_lapic(vcpu);
		if (ret < 0) {
			kvm_err(hv, "vCPU %u: LAPIC setup: %s", id,
				strerror(-ret));
			goto err_close;
		}
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

/* --- run ------------------------------------------------------------------ */

/* Hand the host's answer to the previous exit back to KVM. */
void kvm_arch_complete(struct hv_vcpu *vcpu, const struct hv_exit *exit)
{
	struct kvm_run *run = vcpu->run;

	switch (vcpu->pending) {
	case KVM_PEND_MMIO_READ:
		memcpy(run->mmio.data, exit->u.mmio.data,
		       sizeof(run->mmio.data));
		break;
	case KVM_PEND_HCALL:
		run->hypercall.ret = exit->u.hcall.ret[0];
		break;
	case KVM_PEND_MSR:
		run->msr.error = exit->u.msr.error ? 1 : 0;
		if (run->exit_reason == KVM_EXIT_X86_RDMSR)
			run->msr.data = exit->u.msr.value;
		break;
	}
	vcpu->pending = KVM_PEND_NONE;
}

static int kvm_decode_io(struct hv_vcpu *vcpu, struct hv_exit *exit)
{
	struct kvm_run *run = vcpu->run;
	uint64_t off = run->io.data_offset;
	uint64_t bytes = (uint64_t)run->io.size * run->io.count;
	uint32_t run_size = vcpu->vm->hv->run_size;

	if ((run->io.size != 1 && run->io.size != 2 && run->io.size != 4) ||
	    !run->io.count || off > run_size || bytes > run_size - off) {
		if (kvm_rl_ok(&vcpu->rl))
			kvm_err(vcpu->vm->hv, "vCPU %u: bad I/O exit",
				vcpu->id);
		return -EIO;
	}
	exit->reason = HV_EXIT_PIO;
	exit->u.pio.port = run->io.port;
	exit->u.pio.size = run->io.size;
	exit->u.pio.write = run->io.direction == KVM_EXIT_IO_OUT;
	exit->u.pio.count = run->io.count;
	exit->u.pio.data = (uint8_t *)run + off;
	return 0;
}

int kvm_arch_decode(struct hv_vcpu *vcpu, struct hv_exit *exit)
{
	struct kvm_run *run = vcpu->run;
	uint32_t i;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		return kvm_decode_io(vcpu, exit);
	case KVM_EXIT_HLT:
		exit->reason = HV_EXIT_HLT;
		break;
	case KVM_EXIT_SHUTDOWN:
		exit->reason = HV_EXIT_SHUTDOWN;
		exit->flags |= HV_EXIT_F_TRIPLE_FAULT;
		break;
	case KVM_EXIT_IOAPIC_EOI:
		exit->reason = HV_EXIT_EOI;
		exit->u.eoi.vector = run->eoi.vector;
		break;
	case KVM_EXIT_DEBUG:
		exit->reason = HV_EXIT_DEBUG;
		exit->pc = run->debug.arch.pc;
		break;
	case KVM_EXIT_HYPERCALL:
		exit->reason = HV_EXIT_HYPERCALL;
		exit->u.hcall.nr = run->hypercall.nr;
		for (i = 0; i < 6; i++)
			exit->u.hcall.args[i] = run->hypercall.args[i];
		vcpu->pending = KVM_PEND_HCALL;
		break;
	case KVM_EXIT_X86_RDMSR:
	case KVM_EXIT_X86_WRMSR:
		exit->reason = HV_EXIT_MSR;
		exit->u.msr.index = run->msr.index;
		exit->u.msr.write = run->exit_reason == KVM_EXIT_X86_WRMSR;
		exit->u.msr.value = exit->u.msr.write ? run->msr.data : 0;
		vcpu->pending = KVM_PEND_MSR;
		break;
	default:
		return kvm_decode_common(vcpu, exit);
	}
	return 0;
}

/* --- registers ------------------------------------------------------------ */

/* Field lists of the register structs; both sides use the same names. */
/* clang-format off */
#define KVM_SEG_FIELDS(X) X(base) X(limit) X(selector) X(type) X(present) \
	X(dpl) X(db) X(s) X(l) X(g) X(avl) X(unusable)
#define KVM_SEGS(X) X(cs) X(ds) X(es) X(fs) X(gs) X(ss) X(tr) X(ldt)
#define KVM_CTRL(X) X(cr0) X(cr2) X(cr3) X(cr4) X(cr8) X(efer) X(apic_base) \
	X(gdt.base) X(gdt.limit) X(idt.base) X(idt.limit)
#define KVM_GPRS(X) X(rax) X(rbx) X(rcx) X(rdx) X(rsi) X(rdi) X(rsp) X(rbp) \
	X(r8) X(r9) X(r10) X(r11) X(r12) X(r13) X(r14) X(r15) X(rip) X(rflags)
/* clang-format on */
#define KVM_CP(f) d->f = s->f;
#define KVM_CP_SEG_GET(f) kvm_seg_get(&d->f, &s->f);
#define KVM_CP_SEG_PUT(f) kvm_seg_put(&d->f, &s->f);

static void kvm_seg_get(struct hv_x86_segment *d, const struct kvm_segment *s)
{
	memset(d, 0, sizeof(*d));
	KVM_SEG_FIELDS(KVM_CP)
}

static void kvm_seg_put(struct kvm_segment *d, const struct hv_x86_segment *s)
{
	memset(d, 0, sizeof(*d));
	KVM_SEG_FIELDS(KVM_CP)
}

static void kvm_sregs_get(struct hv_x86_sregs *d, const struct kvm_sregs *s)
{
	memset(d, 0, sizeof(*d));
	KVM_SEGS(KVM_CP_SEG_GET)
	KVM_CTRL(KVM_CP)
}

/* Leaves d->interrupt_bitmap (a pending interrupt) as read from KVM. */
static void kvm_sregs_put(struct kvm_sregs *d, const struct hv_x86_sregs *s)
{
	KVM_SEGS(KVM_CP_SEG_PUT)
	KVM_CTRL(KVM_CP)
}

static void kvm_regs_get(struct hv_x86_regs *d, const struct kvm_regs *s)
{
	KVM_GPRS(KVM_CP)
}

static void kvm_regs_put(struct kvm_regs *d, const struct hv_x86_regs *s)
{
	KVM_GPRS(KVM_CP)
}

int kvm_vcpu_get_regs(struct hv_vcpu *vcpu, uint32_t set, void *buf, size_t len)
{
	struct kvm_sregs ks;
	struct kvm_regs kr;
	int ret;

	if (set == HV_REGS_CORE && len == sizeof(struct hv_x86_regs)) {
		ret = kvm_ioctl(vcpu->fd, KVM_GET_REGS, &kr);
		if (!ret)
			kvm_regs_get(buf, &kr);
		return ret;
	}
	if (set == HV_REGS_SPECIAL && len == sizeof(struct hv_x86_sregs)) {
		ret = kvm_ioctl(vcpu->fd, KVM_GET_SREGS, &ks);
		if (!ret)
			kvm_sregs_get(buf, &ks);
		return ret;
	}
	return -EINVAL;
}

int kvm_vcpu_set_regs(struct hv_vcpu *vcpu, uint32_t set, const void *buf,
		      size_t len)
{
	struct kvm_sregs ks;
	struct kvm_regs kr;
	int ret;

	if (set == HV_REGS_CORE && len == sizeof(struct hv_x86_regs)) {
		kvm_regs_put(&kr, buf);
		return kvm_ioctl(vcpu->fd, KVM_SET_REGS, &kr);
	}
	if (set == HV_REGS_SPECIAL && len == sizeof(struct hv_x86_sregs)) {
		ret = kvm_ioctl(vcpu->fd, KVM_GET_SREGS, &ks);
		if (ret < 0)
			return ret;
		kvm_sregs_put(&ks, buf);
		return kvm_ioctl(vcpu->fd, KVM_SET_SREGS, &ks);
	}
	return -EINVAL;
}

/* Single registers: which KVM struct holds them, and where. */
static const struct {
	uint32_t id;
	bool special; /* struct kvm_sregs, else struct kvm_regs */
	uint32_t off;
} kvm_reg_map[] = {
	{ HV_X86_RIP, false, offsetof(struct kvm_regs, rip) },
	{ HV_X86_RSP, false, offsetof(struct kvm_regs, rsp) },
	{ HV_X86_RFLAGS, false, offsetof(struct kvm_regs, rflags) },
	{ HV_X86_RAX, false, offsetof(struct kvm_regs, rax) },
	{ HV_X86_RBX, false, offsetof(struct kvm_regs, rbx) },
	{ HV_X86_RCX, false, offsetof(struct kvm_regs, rcx) },
	{ HV_X86_RDX, false, offsetof(struct kvm_regs, rdx) },
	{ HV_X86_RSI, false, offsetof(struct kvm_regs, rsi) },
	{ HV_X86_RDI, false, offsetof(struct kvm_regs, rdi) },
	{ HV_X86_CR0, true, offsetof(struct kvm_sregs, cr0) },
	{ HV_X86_CR3, true, offsetof(struct kvm_sregs, cr3) },
	{ HV_X86_CR4, true, offsetof(struct kvm_sregs, cr4) },
	{ HV_X86_EFER, true, offsetof(struct kvm_sregs, efer) },
};

/* Read (val_in NULL) or read-modify-write one register. */
static int kvm_reg_access(struct hv_vcpu *vcpu, uint32_t id, uint64_t *out,
			  const uint64_t *val_in)
{
	union {
		struct kvm_regs r;
		struct kvm_sregs s;
	} u;
	unsigned long get, put;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(kvm_reg_map) / sizeof(kvm_reg_map[0]); i++)
		if (kvm_reg_map[i].id == id)
			break;
	if (i == sizeof(kvm_reg_map) / sizeof(kvm_reg_map[0]))
		return -EINVAL;
	get = kvm_reg_map[i].special ? KVM_GET_SREGS : KVM_GET_REGS;
	put = kvm_reg_map[i].special ? KVM_SET_SREGS : KVM_SET_REGS;
	ret = kvm_ioctl(vcpu->fd, get, &u);
	if (ret < 0)
		return ret;
	if (!val_in) {
		memcpy(out, (char *)&u + kvm_reg_map[i].off, sizeof(*out));
		return 0;
	}
	memcpy((char *)&u + kvm_reg_map[i].off, val_in, sizeof(*val_in));
	return kvm_ioctl(vcpu->fd, put, &u);
}

int kvm_vcpu_get_reg(struct hv_vcpu *vcpu, uint32_t reg_id, uint64_t *val)
{
	return kvm_reg_access(vcpu, reg_id, val, NULL);
}

int kvm_vcpu_set_reg(struct hv_vcpu *vcpu, uint32_t reg_id, uint64_t val)
{
	return kvm_reg_access(vcpu, reg_id, NULL, &val);
}
