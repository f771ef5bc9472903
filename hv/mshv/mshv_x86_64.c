// SPDX-License-Identifier: Apache-2.0
/*
 * mshv_x86_64.c - x86_64 part of the MSHV plugin: partition flags and
 * properties, the split irqchip and MSI routes, VP setup (boot MSRs, FPU
 * control words, LAPIC LINT pins, CPUID topology) and the dispatch of x86
 * messages, with the small ones handled here: HLT, APIC EOI, CPUID and
 * MSR intercepts.  Port I/O is in mshv_io_x86_64.c, memory intercepts in
 * mshv_emu_x86_64.c, register sets in mshv_regs_x86_64.c.
 *
 * The partition is created with the hypervisor's LAPIC and x2APIC, so
 * LAPIC MMIO, IPIs, INIT/SIPI and the LAPIC timer never reach the VMM;
 * the IOAPIC is the VMM's, fed by MSI routes, and level-triggered EOIs
 * come back as HV_EXIT_EOI.
 */
#define LOG_MOD "mshv"

#include <cpuid.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hv/mshv/mshv_x86_64.h"

/* QEMU's synthetic feature set (reference section 2.4): Hyper-V leaves,
 * SynIC, timers, reference TSC and counter, VP index, APIC/hypercall MSRs,
 * frequency MSRs (no PIT/HPET needed), direct timers, flush and IPI
 * hypercalls.  Fixed rather than read from the host, which the upstream
 * kernel cannot do through /dev/mshv. */
#define MSHV_X86_SYNTH_FEATURES                                               \
	(HV_SYNTH_HYPERVISOR_PRESENT | HV_SYNTH_HV1 |                         \
	 HV_SYNTH_ACCESS_PARTITION_REFERENCE_COUNTER |                        \
	 HV_SYNTH_ACCESS_SYNIC_REGS | HV_SYNTH_ACCESS_SYNTHETIC_TIMER_REGS |  \
	 HV_SYNTH_ACCESS_INTR_CTRL_REGS | HV_SYNTH_ACCESS_HYPERCALL_REGS |    \
	 HV_SYNTH_ACCESS_VP_INDEX | HV_SYNTH_ACCESS_PARTITION_REFERENCE_TSC | \
	 HV_SYNTH_ACCESS_GUEST_IDLE_REG | HV_SYNTH_ACCESS_FREQUENCY_REGS |    \
	 HV_SYNTH_DIRECT_SYNTHETIC_TIMERS | HV_SYNTH_TB_FLUSH_HYPERCALLS |    \
	 HV_SYNTH_SYNTHETIC_CLUSTER_IPI)

/* Boot MSRs (as on KVM) and the FPU control words, set at VP creation. */
static const struct {
	uint32_t name;
	uint64_t value;
} mshv_x86_boot_regs[] = {
	{ HV_X64_REGISTER_SYSENTER_CS, 0 },
	{ HV_X64_REGISTER_SYSENTER_ESP, 0 },
	{ HV_X64_REGISTER_SYSENTER_EIP, 0 },
	{ HV_X64_REGISTER_STAR, 0 },
	{ HV_X64_REGISTER_LSTAR, 0 },
	{ HV_X64_REGISTER_CSTAR, 0 },
	{ HV_X64_REGISTER_SFMASK, 0 },
	{ HV_X64_REGISTER_KERNEL_GS_BASE, 0 },
	{ HV_X64_REGISTER_MTRR_DEF_TYPE, 0x806 }, /* enabled, write-back */
};

#define MSHV_X86_NR_BOOT_REGS \
	(sizeof(mshv_x86_boot_regs) / sizeof(mshv_x86_boot_regs[0]))

/* --- partition ------------------------------------------------------------ */

uint64_t mshv_arch_pt_flags(void)
{
	return (1ull << MSHV_PT_BIT_LAPIC) | (1ull << MSHV_PT_BIT_X2APIC) |
	       (1ull << MSHV_PT_BIT_GPA_SUPER_PAGES);
}

uint32_t mshv_arch_ipa_bits(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid(0x80000000, &a, &b, &c, &d) || a < 0x80000008)
		return 36;
	__get_cpuid(0x80000008, &a, &b, &c, &d);
	return a & 0xff;
}

uint64_t mshv_arch_caps(void)
{
	return HV_CAP_SPLIT_IRQCHIP | HV_CAP_SIGNAL_MSI;
}

int mshv_arch_vm_early(struct hv_vm *vm, const struct hv_vm_config *cfg,
		       bool *init_now)
{
	uint32_t bits = mshv_arch_ipa_bits();
	int ret;

	if (cfg->arch != HV_ARCH_X86_64)
		return -EINVAL;
	if (cfg->ipa_bits && cfg->ipa_bits > bits)
		return -EINVAL;
	ret = mshv_set_property(vm,
				HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES,
				MSHV_X86_SYNTH_FEATURES);
	if (ret < 0)
		return ret;
	*init_now = true;
	return 0;
}

/* Unknown MSRs read as zero and ignore writes, as with CH and QEMU (the
 * default would be #GP on every MSR the hypervisor does not model). */
int mshv_arch_vm_late(struct hv_vm *vm)
{
	return mshv_set_property(
		vm, HV_PARTITION_PROPERTY_UNIMPLEMENTED_MSR_ACTION,
		HV_UNIMPLEMENTED_MSR_ACTION_IGNORE_WRITE_READ_ZERO);
}

int mshv_arch_irqchip_create(struct hv_vm *vm,
			     const struct hv_irqchip_config *cfg)
{
	if (cfg->model != HV_IRQCHIP_X86_SPLIT)
		return -EOPNOTSUPP;
	if (!cfg->nr_pins || cfg->nr_pins > MSHV_MAX_GSI)
		return -EINVAL;
	return 0; /* the LAPIC exists since partition creation */
}

int mshv_arch_route(struct hv_vm *vm, const struct hv_route *r,
		    struct mshv_user_irq_entry *e)
{
	if (r->type != HV_ROUTE_MSI || (r->u.msi.addr >> 32)) {
		mshv_err(
			vm->hv,
			"route gsi %u: only MSI routes below 4 GiB exist on MSHV",
			r->gsi);
		return -EINVAL;
	}
	e->gsi = r->gsi;
	e->address_lo = (uint32_t)r->u.msi.addr;
	e->address_hi = 0;
	e->data = r->u.msi.data;
	return 0;
}

/* The MSI message decoded into a hypervisor interrupt, as the kernel does
 * for routes: vector data[7:0], delivery mode data[10:8], level data[15],
 * destination address[19:12], logical mode address[2]. */
int mshv_arch_signal_msi(struct hv_vm *vm, uint64_t addr, uint32_t data,
			 uint32_t devid)
{
	struct hv_input_assert_virtual_interrupt in = { 0 };
	uint16_t st;
	int ret;

	if (addr >> 32)
		return -EINVAL;
	in.interrupt_type = (data >> 8) & 7;
	if (data & (1u << 15))
		in.control_flags |= HV_INTERRUPT_CONTROL_LEVEL;
	if (addr & (1u << 2))
		in.control_flags |= HV_INTERRUPT_CONTROL_LOGICAL_DEST;
	in.dest_addr = (addr >> 12) & 0xff;
	in.vector = data & 0xff;
	ret = mshv_hvcall(vm->hv, vm->fd, HVCALL_ASSERT_VIRTUAL_INTERRUPT, 0,
			  &in, sizeof(in), NULL, 0, &st);
	if (ret < 0)
		mshv_debug(vm->hv, "MSI %#llx/%#x: %s (status %#x)",
			   (unsigned long long)addr, data, strerror(-ret), st);
	return ret;
}

/* No in-kernel interrupt controller with input pins on x86: wired
 * interrupts are MSI routes plus irqfds. */
int mshv_arch_irq_line(struct hv_vm *vm, uint32_t gsi, int level)
{
	return -EOPNOTSUPP;
}

/* --- VP setup ------------------------------------------------------------- */

/* The VP index doubles as the initial APIC id (the MADT's). */
int mshv_arch_vp_index(uint32_t id, const struct hv_vcpu_config *cfg,
		       uint32_t *vp_index)
{
	uint32_t idx = cfg ? cfg->apic_id : id;

	if (idx >= MSHV_MAX_VPS)
		return -EINVAL;
	*vp_index = idx;
	return 0;
}

static int mshv_x86_boot_regs_set(struct hv_vcpu *vcpu)
{
	struct hv_register_assoc a[MSHV_X86_NR_BOOT_REGS + 2];
	uint32_t i;

	for (i = 0; i < MSHV_X86_NR_BOOT_REGS; i++)
		mshv_assoc64(&a[i], mshv_x86_boot_regs[i].name,
			     mshv_x86_boot_regs[i].value);
	memset(&a[i], 0, sizeof(a[i]));
	a[i].name = HV_X64_REGISTER_FP_CONTROL_STATUS;
	a[i].value.fp_control_status.fp_control = 0x37f;
	i++;
	memset(&a[i], 0, sizeof(a[i]));
	a[i].name = HV_X64_REGISTER_XMM_CONTROL_STATUS;
	a[i].value.xmm_control_status.xmm_status_control = 0x1f80;
	i++;
	return mshv_set_vp_regs(vcpu, a, i);
}

static void mshv_x86_lvt_dm(uint32_t *lvt, uint32_t mode)
{
	*lvt = (*lvt & ~MSHV_APIC_LVT_DM_MASK) | mode;
}

/* LINT0 as ExtINT, LINT1 as NMI: a PC's virtual wire. */
static int mshv_x86_lapic_setup(struct hv_vcpu *vcpu)
{
	struct hv_local_interrupt_controller_state *l;
	void *page;
	int ret;

	if (posix_memalign(&page, MSHV_PAGE_SIZE, MSHV_PAGE_SIZE))
		return -ENOMEM;
	memset(page, 0, MSHV_PAGE_SIZE);
	ret = mshv_vp_state(vcpu, MSHV_VP_STATE_LAPIC, page, false);
	if (!ret) {
		l = page;
		mshv_x86_lvt_dm(&l->apic_lvt_lint0, MSHV_APIC_LVT_DM_EXTINT);
		mshv_x86_lvt_dm(&l->apic_lvt_lint1, MSHV_APIC_LVT_DM_NMI);
		ret = mshv_vp_state(vcpu, MSHV_VP_STATE_LAPIC, page, true);
	}
	free(page);
	return ret;
}

static uint32_t mshv_x86_order(uint32_t n)
{
	uint32_t s = 0;

	while ((1u << s) < n && s < 31)
		s++;
	return s;
}

static int mshv_x86_cpuid_result(struct hv_vcpu *vcpu, uint32_t leaf,
				 uint32_t subleaf, bool per_subleaf,
				 const uint32_t val[4], const uint32_t mask[4])
{
	struct hv_input_register_intercept_result_cpuid in = {
		.vp_index = vcpu->vp_index,
		.intercept_type = HV_INTERCEPT_TYPE_X64_CPUID,
		.input_eax = leaf,
		.input_ecx = subleaf,
		.subleaf_specific = per_subleaf,
		.always_override = 1,
		.eax = val[0],
		.eax_mask = mask[0],
		.ebx = val[1],
		.ebx_mask = mask[1],
		.ecx = val[2],
		.ecx_mask = mask[2],
		.edx = val[3],
		.edx_mask = mask[3],
	};

	return mshv_hvcall(vcpu->vm->hv, vcpu->fd,
			   HVCALL_REGISTER_INTERCEPT_RESULT, 0, &in,
			   HV_REGISTER_INTERCEPT_RESULT_CPUID_SIZE, NULL, 0,
			   NULL);
}

/* APIC id and topology in CPUID leaves 1 and 0xB (the rest is the
 * hypervisor's).  Best effort: a hypervisor that refuses keeps its own
 * (consistent) topology. */
static void mshv_x86_cpuid_setup(struct hv_vcpu *vcpu,
				 const struct hv_vcpu_config *cfg)
{
	uint32_t nr = cfg && cfg->nr_vcpus ? cfg->nr_vcpus :
					     vcpu->vm->nr_vcpus_cfg;
	uint32_t threads =
		cfg && cfg->threads_per_core ? cfg->threads_per_core : 1;
	uint32_t cores = cfg && cfg->cores_per_die ? cfg->cores_per_die : nr;
	uint32_t smt = mshv_x86_order(threads);
	uint32_t pkg = smt + mshv_x86_order(cores);
	uint32_t apic = vcpu->vp_index, logical = 1u << pkg;
	const uint32_t all[4] = { ~0u, ~0u, ~0u, ~0u };
	uint32_t l1[4] = { 0, 0, 0, 0 }, l1m[4] = { 0, 0xffff0000u, 0, 0 };
	uint32_t b0[4] = { smt, threads, (1u << 8) | 0, apic };
	uint32_t b1[4] = { pkg, threads * cores, (2u << 8) | 1, apic };
	int ret;

	l1[1] = (apic << 24) | ((logical > 255 ? 255 : logical) << 16);
	ret = mshv_x86_cpuid_result(vcpu, 1, 0, false, l1, l1m);
	if (!ret)
		ret = mshv_x86_cpuid_result(vcpu, 0xb, 0, true, b0, all);
	if (!ret)
		ret = mshv_x86_cpuid_result(vcpu, 0xb, 1, true, b1, all);
	/* Leaf 0x1f (V2 extended topology) says the same, for guests that
	 * prefer it when the host CPU has it. */
	if (!ret)
		ret = mshv_x86_cpuid_result(vcpu, 0x1f, 0, true, b0, all);
	if (!ret)
		ret = mshv_x86_cpuid_result(vcpu, 0x1f, 1, true, b1, all);
	if (ret < 0)
		mshv_warn(vcpu->vm->hv,
			  "vCPU %u: CPUID topology not registered: %s",
			  vcpu->id, strerror(-ret));
}

int mshv_arch_vcpu_init(struct hv_vcpu *vcpu, const struct hv_vcpu_config *cfg)
{
	int ret;

	ret = mshv_x86_boot_regs_set(vcpu);
	if (ret < 0)
		return ret;
	ret = mshv_x86_lapic_setup(vcpu);
	if (ret < 0) {
		mshv_err(vcpu->vm->hv, "vCPU %u: LAPIC setup: %s", vcpu->id,
			 strerror(-ret));
		return ret;
	}
	mshv_x86_cpuid_setup(vcpu, cfg);
	return 0;
}

/* --- helpers for the x86 files -------------------------------------------- */

bool mshv_x86_msg_ok(struct hv_vcpu *vcpu, struct hv_exit *exit, uint32_t min)
{
	if (!mshv_msg_has(vcpu, exit, min))
		return false;
	if (vcpu->msg.u.x64_hdr.vp_index != vcpu->vp_index) {
		mshv_exit_internal(vcpu, exit, MSHV_INTERNAL_BAD_MESSAGE,
				   "message for another VP");
		return false;
	}
	return true;
}

int mshv_x86_inject(struct hv_vcpu *vcpu, struct hv_exit *exit, uint8_t vector,
		    bool has_error, uint32_t error, uint64_t param)
{
	struct hv_register_assoc a;
	struct hv_x64_pending_exception_event *ev = &a.value.pending_exception;

	memset(&a, 0, sizeof(a));
	a.name = HV_X64_REGISTER_PENDING_EVENT0;
	ev->word0 = HV_X64_PENDING_EVENT_PENDING |
		    (HV_X64_PENDING_EVENT_EXCEPTION
		     << HV_X64_PENDING_EVENT_TYPE_SHIFT) |
		    ((uint32_t)vector << HV_X64_PENDING_EVENT_VECTOR_SHIFT);
	if (has_error) {
		ev->word0 |= HV_X64_PENDING_EVENT_DELIVER_ERROR_CODE;
		ev->error_code = error;
	}
	ev->exception_parameter = param;
	exit->reason = HV_EXIT_NONE;
	if (mshv_set_vp_regs(vcpu, &a, 1) < 0)
		return mshv_exit_internal(vcpu, exit, MSHV_INTERNAL_INJECT,
					  "cannot inject an exception");
	return 0;
}

int mshv_x86_phys_rw(struct hv_vcpu *vcpu, uint64_t gpa, void *buf,
		     uint32_t len, bool write)
{
	const struct hv_host *h = vcpu->vm->hv->host;
	uint8_t *p = buf;
	uint32_t n;
	void *hva;
	int ret;

	hva = h->gpa_to_hva(vcpu->cookie, gpa, len);
	if (hva) {
		if (write)
			memcpy(hva, buf, len);
		else
			memcpy(buf, hva, len);
		return 0;
	}
	while (len) {
		n = len >= 8 && !(gpa & 7) ? 8 :
		    len >= 4 && !(gpa & 3) ? 4 :
		    len >= 2 && !(gpa & 1) ? 2 :
					     1;
		ret = h->mmio(vcpu->cookie, gpa, p, n, write);
		if (ret < 0)
			return ret;
		gpa += n;
		p += n;
		len -= n;
	}
	return 0;
}

/* --- small messages ------------------------------------------------------- */

/* With the hypervisor's LAPIC an HLT with interrupts on sleeps inside the
 * hypervisor; a reported HLT with IF=0 is a vCPU stopped for good. */
static int mshv_x86_halt(struct hv_vcpu *vcpu, struct hv_exit *exit)
{
	const struct hv_x64_intercept_message_header *h = &vcpu->msg.u.x64_hdr;

	if (!mshv_x86_msg_ok(vcpu, exit, sizeof(*h)))
		return 0;
	exit->reason = (h->rflags & MSHV_X86_RFLAGS_IF) ? HV_EXIT_NONE :
							  HV_EXIT_HLT;
	return 0;
}

static int mshv_x86_eoi(struct hv_vcpu *vcpu, struct hv_exit *exit)
{
	const struct hv_x64_apic_eoi_message *e = &vcpu->msg.u.x64_eoi;

	if (!mshv_msg_has(vcpu, exit, sizeof(*e)))
		return 0;
	if (e->vp_index != vcpu->vp_index || e->interrupt_vector > 0xff)
		return mshv_exit_internal(vcpu, exit, MSHV_INTERNAL_BAD_MESSAGE,
					  "bad APIC EOI message");
	exit->reason = HV_EXIT_EOI;
	exit->u.eoi.vector = e->interrupt_vector;
	return 0;
}

/* Answer with the hypervisor's own result (we register overrides with
 * REGISTER_INTERCEPT_RESULT instead of emulating CPUID). */
static int mshv_x86_cpuid(struct hv_vcpu *vcpu, struct hv_exit *exit)
{
	const struct hv_x64_cpuid_intercept_message *c = &vcpu->msg.u.x64_cpuid;
	struct hv_register_assoc a[5];
	int ret;

	if (!mshv_x86_msg_ok(vcpu, exit, sizeof(*c)))
		return 0;
	mshv_assoc64(&a[0], HV_X64_REGISTER_RAX,
		     (uint32_t)c->default_result_rax);
	mshv_assoc64(&a[1], HV_X64_REGISTER_RBX,
		     (uint32_t)c->default_result_rbx);
	mshv_assoc64(&a[2], HV_X64_REGISTER_RCX,
		     (uint32_t)c->default_result_rcx);
	mshv_assoc64(&a[3], HV_X64_REGISTER_RDX,
		     (uint32_t)c->default_result_rdx);
	mshv_assoc64(&a[4], HV_X64_REGISTER_RIP, mshv_x86_next_rip(&c->header));
	ret = mshv_set_vp_regs(vcpu, a, 5);
	exit->reason = HV_EXIT_NONE;
	return ret;
}

static int mshv_x86_msr(struct hv_vcpu *vcpu, struct hv_exit *exit)
{
	const struct hv_x64_msr_intercept_message *m = &vcpu->msg.u.x64_msr;
	uint8_t acc = m->header.intercept_access_type;

	if (!mshv_x86_msg_ok(vcpu, exit, sizeof(*m)))
		return 0;
	if (acc != HV_INTERCEPT_ACCESS_READ && acc != HV_INTERCEPT_ACCESS_WRITE)
		return mshv_exit_internal(vcpu, exit, MSHV_INTERNAL_BAD_MESSAGE,
					  "bad MSR access type");
	vcpu->pio.rip_next = mshv_x86_next_rip(&m->header);
	vcpu->pio.write = acc == HV_INTERCEPT_ACCESS_WRITE;
	exit->reason = HV_EXIT_MSR;
	exit->u.msr.index = m->msr_number;
	exit->u.msr.write = vcpu->pio.write;
	if (vcpu->pio.write)
		exit->u.msr.value = (m->rdx << 32) | (uint32_t)m->rax;
	vcpu->pending = MSHV_PEND_MSR;
	return 0;
}

static int mshv_x86_msr_complete(struct hv_vcpu *vcpu,
				 const struct hv_exit *exit)
{
	struct hv_register_assoc a[3];
	struct hv_exit tmp;
	uint32_t n = 0;

	if (exit->u.msr.error) {
		memset(&tmp, 0, sizeof(tmp));
		mshv_x86_inject(vcpu, &tmp, MSHV_X86_VEC_GP, true, 0, 0);
		return tmp.reason == HV_EXIT_NONE ? 0 : -EIO;
	}
	if (!vcpu->pio.write) {
		mshv_assoc64(&a[n++], HV_X64_REGISTER_RAX,
			     (uint32_t)exit->u.msr.value);
		mshv_assoc64(&a[n++], HV_X64_REGISTER_RDX,
			     exit->u.msr.value >> 32);
	}
	mshv_assoc64(&a[n++], HV_X64_REGISTER_RIP, vcpu->pio.rip_next);
	return mshv_set_vp_regs(vcpu, a, n);
}

/* --- dispatch ------------------------------------------------------------- */

int mshv_arch_decode(struct hv_vcpu *vcpu, struct hv_exit *exit)
{
	switch (vcpu->msg.header.message_type) {
	case HVMSG_X64_IO_PORT_INTERCEPT:
		return mshv_x86_io(vcpu, exit);
	case HVMSG_UNMAPPED_GPA:
	case HVMSG_GPA_INTERCEPT:
		return mshv_x86_mmio(vcpu, exit);
	case HVMSG_X64_HALT:
		return mshv_x86_halt(vcpu, exit);
	case HVMSG_X64_APIC_EOI:
		return mshv_x86_eoi(vcpu, exit);
	case HVMSG_X64_CPUID_INTERCEPT:
		return mshv_x86_cpuid(vcpu, exit);
	case HVMSG_X64_MSR_INTERCEPT:
		return mshv_x86_msr(vcpu, exit);
	case HVMSG_X64_INTERRUPTION_DELIVERABLE:
	case HVMSG_X64_SIPI_INTERCEPT:
		/* Only with notifications/intercepts we never install. */
		exit->reason = HV_EXIT_NONE;
		return 0;
	default:
		return -ENOENT;
	}
}

int mshv_arch_complete(struct hv_vcpu *vcpu, const struct hv_exit *exit)
{
	switch (vcpu->pending) {
	case MSHV_PEND_PIO_IN:
	case MSHV_PEND_PIO_OUT:
	case MSHV_PEND_PIO_STR:
		return mshv_x86_io_complete(vcpu);
	case MSHV_PEND_MSR:
		return mshv_x86_msr_complete(vcpu, exit);
	default:
		return 0;
	}
}

uint64_t mshv_arch_msg_pc(const struct hv_message *m)
{
	switch (m->header.message_type) {
	case HVMSG_UNMAPPED_GPA:
	case HVMSG_GPA_INTERCEPT:
	case HVMSG_UNRECOVERABLE_EXCEPTION:
	case HVMSG_X64_IO_PORT_INTERCEPT:
	case HVMSG_X64_MSR_INTERCEPT:
	case HVMSG_X64_CPUID_INTERCEPT:
	case HVMSG_X64_EXCEPTION_INTERCEPT:
	case HVMSG_X64_HALT:
		return m->u.x64_hdr.rip;
	default:
		return 0;
	}
}
