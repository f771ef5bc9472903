// SPDX-License-Identifier: Apache-2.0
/*
 * test_mshv_vp.c - virtual processors of the MSHV plugin on the scripted
 * /dev/mshv: MSHV_CREATE_VP with the APIC id as VP index, the boot MSRs
 * and FPU words written through SET_VP_REGISTERS, LAPIC LINT0/LINT1 via
 * the VP-state blob, CPUID topology via REGISTER_INTERCEPT_RESULT, error
 * unwinding; the register sets (core, special with segment attribute and
 * table layouts, single registers) through GET/SET_VP_REGISTERS; kicks.
 */
#include "tests/unit/test_mshv_fx.h"

static void test_vcpu_create_setup(void **state)
{
	struct mfx *f = mfx_new();
	struct hv_local_interrupt_controller_state *l;
	struct hv_input_register_intercept_result_cpuid c;
	union hv_register_value v;
	struct hv_vcpu *v1;
	unsigned int i;
	bool leaf1 = false, leafb1 = false, leaf1f1 = false;

	mfx_vm(f, 2);
	f->vcpu = mfx_vcpu_new(f, 0);
	v1 = mfx_vcpu_new(f, 1);
	assert_true(f->s->vps[0].open && f->s->vps[1].open);
	assert_int_equal(mshv_script_reg64(f->s, 1,
					   HV_X64_REGISTER_MTRR_DEF_TYPE),
			 0x806);
	assert_int_equal(mshv_script_reg_writes(f->s, 1, HV_X64_REGISTER_LSTAR),
			 1);
	assert_int_equal(mshv_script_reg_get(f->s, 1,
					     HV_X64_REGISTER_FP_CONTROL_STATUS,
					     &v),
			 0);
	assert_int_equal(v.fp_control_status.fp_control, 0x37f);
	assert_int_equal(mshv_script_reg_get(f->s, 1,
					     HV_X64_REGISTER_XMM_CONTROL_STATUS,
					     &v),
			 0);
	assert_int_equal(v.xmm_control_status.xmm_status_control, 0x1f80);
	l = &f->s->vps[1].lapic;
	assert_int_equal(l->apic_lvt_lint0 & 0x700, MSHV_APIC_LVT_DM_EXTINT);
	assert_int_equal(l->apic_lvt_lint1 & 0x700, MSHV_APIC_LVT_DM_NMI);
	assert_int_equal(l->apic_lvt_lint0 & 0x10000, 0x10000); /* rest kept */
	for (i = 0; i < f->s->nr_cpuid; i++) {
		c = f->s->cpuid[i];
		if (c.vp_index != 1)
			continue;
		assert_true(c.always_override);
		if (c.input_eax == 1) {
			leaf1 = true;
			assert_int_equal(c.ebx & c.ebx_mask & 0xff000000,
					 1u << 24);
			assert_int_equal(c.eax_mask, 0);
		}
		if ((c.input_eax == 0xb || c.input_eax == 0x1f) &&
		    c.input_ecx == 1) {
			if (c.input_eax == 0xb)
				leafb1 = true;
			else
				leaf1f1 = true;
			assert_true(c.subleaf_specific);
			assert_int_equal(c.edx, 1);
			assert_int_equal(c.ebx,
					 2); /* logical CPUs in package */
			assert_int_equal(c.eax, 1); /* x2APIC id shift */
		}
	}
	assert_true(leaf1 && leafb1 && leaf1f1);
	f->ops->vcpu_destroy(v1);
	assert_false(f->s->vps[1].open);
	mfx_free(f);
}

static void test_vcpu_create_errors(void **state)
{
	struct mfx *f = mfx_new();
	struct hv_vcpu_config cc = { .size = sizeof(cc),
				     .nr_vcpus = 2,
				     .apic_id = 256 };
	struct hv_vcpu *v = NULL;

	mfx_vm(f, 2);
	assert_int_equal(f->ops->vcpu_create(f->vm, 0, &cc, f, &v), -EINVAL);
	cc.size = 4;
	cc.apic_id = 0;
	assert_int_equal(f->ops->vcpu_create(f->vm, 0, &cc, f, &v), -EINVAL);
	cc.size = sizeof(cc);
	/* LAPIC state refused: the VP fd is closed again. */
	mshv_script_fail_ioctl(f->s, MSHV_GET_VP_STATE, EIO, 1);
	assert_int_equal(f->ops->vcpu_create(f->vm, 0, &cc, f, &v), -EIO);
	assert_false(f->s->vps[0].open);
	assert_null(v);
	/* The kernel keeps a VP until the partition goes: EEXIST now. */
	assert_int_equal(f->ops->vcpu_create(f->vm, 0, &cc, f, &v), -EEXIST);
	cc.apic_id = 1;
	mshv_script_fail_hvcall(f->s, HVCALL_SET_VP_REGISTERS, EINVAL, 1);
	assert_int_equal(f->ops->vcpu_create(f->vm, 1, &cc, f, &v), -EINVAL);
	assert_false(f->s->vps[1].open);
	/* CPUID registration is best effort. */
	cc.apic_id = 2;
	mshv_script_fail_hvcall(f->s, HVCALL_REGISTER_INTERCEPT_RESULT, EINVAL,
				1);
	assert_int_equal(f->ops->vcpu_create(f->vm, 2, &cc, f, &f->vcpu), 0);
	mfx_free(f);
}

static void test_regs_core(void **state)
{
	struct mfx *f = *state;
	struct hv_x86_regs r, back;

	memset(&r, 0, sizeof(r));
	r.rax = 1;
	r.rbx = 2;
	r.rcx = 3;
	r.rdx = 4;
	r.rsi = 5;
	r.rdi = 6;
	r.rsp = 7;
	r.rbp = 8;
	r.r8 = 9;
	r.r15 = 16;
	r.rip = 0x100000;
	r.rflags = 0x2;
	assert_int_equal(
		f->ops->vcpu_set_regs(f->vcpu, HV_REGS_CORE, &r, sizeof(r)), 0);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RBX), 2);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RSP), 7);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_R8), 9);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_R15), 16);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RIP), 0x100000);
	mshv_script_reg_set64(f->s, 0, HV_X64_REGISTER_R8 + 5, 0x1313);
	assert_int_equal(f->ops->vcpu_get_regs(f->vcpu, HV_REGS_CORE, &back,
					       sizeof(back)),
			 0);
	r.r13 = 0x1313;
	assert_memory_equal(&r, &back, sizeof(r));
	assert_int_equal(f->ops->vcpu_get_regs(f->vcpu, HV_REGS_CORE, &back,
					       sizeof(back) - 8),
			 -EINVAL);
	assert_int_equal(f->ops->vcpu_set_regs(f->vcpu, 99, &r, sizeof(r)),
			 -EINVAL);
}

static void test_regs_special(void **state)
{
	struct mfx *f = *state;
	struct hv_x86_sregs s, back;
	union hv_register_value v;

	memset(&s, 0, sizeof(s));
	s.cs = (struct hv_x86_segment){ .base = 0,
					.limit = 0xffffffff,
					.selector = 0x10,
					.type = 0xb,
					.present = 1,
					.dpl = 0,
					.s = 1,
					.l = 1,
					.g = 1 };
	s.ds = (struct hv_x86_segment){ .limit = 0xffffffff,
					.selector = 0x18,
					.type = 3,
					.present = 1,
					.s = 1,
					.db = 1,
					.g = 1 };
	s.es = s.fs = s.gs = s.ss = s.ds;
	s.fs.base = 0x7000;
	s.tr = (struct hv_x86_segment){
		.limit = 0x67, .selector = 0x20, .type = 0xb, .present = 1
	};
	s.ldt = (struct hv_x86_segment){ .unusable = 1,
					 .present = 1,
					 .type = 2 };
	s.gdt.base = 0x500;
	s.gdt.limit = 31;
	s.idt.base = 0x520;
	s.idt.limit = 7;
	s.cr0 = 0x80000011;
	s.cr3 = 0x9000;
	s.cr4 = 0x20;
	s.efer = 0x500;
	s.apic_base = 0xfee00900;
	assert_int_equal(f->ops->vcpu_set_regs(f->vcpu, HV_REGS_SPECIAL, &s,
					       sizeof(s)),
			 0);
	assert_int_equal(mshv_script_reg_get(f->s, 0, HV_X64_REGISTER_CS, &v),
			 0);
	assert_int_equal(v.segment.attributes, 0xa09b);
	assert_int_equal(v.segment.selector, 0x10);
	assert_int_equal(v.segment.limit, 0xffffffff);
	mshv_script_reg_get(f->s, 0, HV_X64_REGISTER_DS, &v);
	assert_int_equal(v.segment.attributes, 0xc093);
	mshv_script_reg_get(f->s, 0, HV_X64_REGISTER_TR, &v);
	assert_int_equal(v.segment.attributes, 0x008b);
	mshv_script_reg_get(f->s, 0, HV_X64_REGISTER_LDTR, &v);
	assert_int_equal(v.segment.attributes & HV_X64_SEG_ATTR_P, 0);
	mshv_script_reg_get(f->s, 0, HV_X64_REGISTER_GDTR, &v);
	assert_int_equal(v.table.base, 0x500);
	assert_int_equal(v.table.limit, 31);
	assert_int_equal(v.reg128.low_part & 0xffffffffffffull, 0);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_CR0), 0x80000011);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_EFER), 0x500);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_APIC_BASE), 0xfee00900);
	assert_int_equal(f->ops->vcpu_get_regs(f->vcpu, HV_REGS_SPECIAL, &back,
					       sizeof(back)),
			 0);
	s.ldt.present = 0; /* unusable is expressed as not present */
	assert_memory_equal(&s, &back, sizeof(s));
}

static void test_reg_single(void **state)
{
	struct mfx *f = *state;
	uint64_t val;

	assert_int_equal(f->ops->vcpu_set_reg(f->vcpu, HV_X86_RIP, 0xfff0), 0);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RIP), 0xfff0);
	mshv_script_reg_set64(f->s, 0, HV_X64_REGISTER_CR4, 0x6f0);
	assert_int_equal(f->ops->vcpu_get_reg(f->vcpu, HV_X86_CR4, &val), 0);
	assert_int_equal(val, 0x6f0);
	assert_int_equal(f->ops->vcpu_get_reg(f->vcpu, 0x42, &val), -EINVAL);
	assert_int_equal(f->ops->vcpu_set_reg(f->vcpu, 0x42, 1), -EINVAL);
	mshv_script_fail_hvcall(f->s, HVCALL_GET_VP_REGISTERS, EIO, 1);
	assert_int_equal(f->ops->vcpu_get_reg(f->vcpu, HV_X86_RAX, &val), -EIO);
}

static void test_kick(void **state)
{
	struct mfx *f = *state;
	struct hv_exit e;
	struct hv_message m;

	f->ops->vcpu_kick(f->vcpu);
	assert_int_equal(f->s->kicks, 1);
	mshv_script_msg(&m, HVMSG_NONE, 0);
	mfx_push(f, &m);
	/* A kick before the run: reported without entering the VP. */
	mfx_run_expect(f, &e, HV_EXIT_INTR);
	assert_int_equal(f->s->vps[0].runs, 0);
	mfx_run_expect(f, &e, HV_EXIT_NONE);
	assert_int_equal(f->s->vps[0].runs, 1);
	/* A signal during the run: EINTR, and EAGAIN alike. */
	mfx_run_expect(f, &e, HV_EXIT_INTR);
	mshv_script_push_run_error(f->s, 0, EAGAIN);
	mfx_run_expect(f, &e, HV_EXIT_INTR);
	assert_int_equal(f->s->vps[0].runs, 3);
	/* A failing run stops the VM. */
	mshv_script_push_run_error(f->s, 0, EFAULT);
	assert_int_equal(f->ops->vcpu_run(f->vcpu, &e), -EFAULT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vcpu_create_setup),
		cmocka_unit_test(test_vcpu_create_errors),
		cmocka_unit_test_setup_teardown(test_regs_core, mfx_setup,
						mfx_teardown),
		cmocka_unit_test_setup_teardown(test_regs_special, mfx_setup,
						mfx_teardown),
		cmocka_unit_test_setup_teardown(test_reg_single, mfx_setup,
						mfx_teardown),
		cmocka_unit_test_setup_teardown(test_kick, mfx_setup,
						mfx_teardown),
	};

	return cmocka_run_group_tests_name("mshv_vp", tests, NULL, NULL);
}
