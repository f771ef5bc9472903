// SPDX-License-Identifier: Apache-2.0
/*
 * test_mshv_exits.c - the MSHV plugin's decoding of the non-I/O messages
 * on the scripted /dev/mshv: HLT (interrupts on: re-run; off: HV_EXIT_HLT),
 * APIC EOI (HV_EXIT_EOI for the userspace IOAPIC), CPUID (answered with
 * the hypervisor's result, RIP advanced), MSR read/write (HV_EXIT_MSR,
 * completed on re-entry, #GP when the VMM refuses), unrecoverable
 * exception (triple fault: shutdown that resets), invalid register state,
 * unsupported feature, kernel-internal and unknown types, and malformed
 * payloads (never a crash, never a register write).
 */
#include "tests/unit/test_mshv_fx.h"

#define RIP0 0x200000ull

static void test_halt(void **state)
{
	struct mfx *f = *state;
	struct hv_x64_intercept_message_header *h;
	struct hv_message m;
	struct hv_exit e;

	mshv_script_msg_x64(&m, HVMSG_X64_HALT, 40, 0, RIP0, 1, 0);
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_NONE);
	assert_int_equal(e.pc, RIP0);
	h = mshv_script_msg_x64(&m, HVMSG_X64_HALT, 40, 0, RIP0, 1, 0);
	h->rflags = 0x2; /* IF = 0: stopped for good */
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_HLT);
	assert_int_equal(mshv_script_reg_writes(f->s, 0, HV_X64_REGISTER_RIP),
			 0);
}

static void test_eoi(void **state)
{
	struct mfx *f = *state;
	struct hv_message m;
	struct hv_exit e;

	mshv_script_msg(&m, HVMSG_X64_APIC_EOI, 8);
	m.u.x64_eoi.vp_index = 0;
	m.u.x64_eoi.interrupt_vector = 0x31;
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_EOI);
	assert_int_equal(e.u.eoi.vector, 0x31);
	assert_int_equal(e.pc, 0);
	/* Another VP's EOI, a vector above 255, a short payload. */
	m.u.x64_eoi.vp_index = 3;
	mfx_push(f, &m);
	m.u.x64_eoi.vp_index = 0;
	m.u.x64_eoi.interrupt_vector = 0x100;
	mfx_push(f, &m);
	m.u.x64_eoi.interrupt_vector = 0x31;
	m.header.payload_size = 4;
	mfx_push(f, &m);
	while (f->s->vps[0].q_len)
		mfx_run_expect(f, &e, HV_EXIT_INTERNAL);
}

static void test_cpuid(void **state)
{
	struct mfx *f = *state;
	struct hv_x64_cpuid_intercept_message *c = NULL;
	struct hv_message m;
	struct hv_exit e;

	mshv_script_msg_x64(&m, HVMSG_X64_CPUID_INTERCEPT, 104, 0, RIP0, 2, 0);
	c = &m.u.x64_cpuid;
	c->rax = 1;
	c->default_result_rax = 0xffffffff000806f1ull;
	c->default_result_rbx = 0x00010800;
	c->default_result_rcx = 0x80000000;
	c->default_result_rdx = 0x178bfbff;
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_NONE);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RAX), 0x806f1);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RBX), 0x10800);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RCX), 0x80000000);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RDX), 0x178bfbff);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RIP), RIP0 + 2);
	/* A refused write stops the VM. */
	mfx_push(f, &m);
	mshv_script_fail_hvcall(f->s, HVCALL_SET_VP_REGISTERS, EIO, 1);
	assert_int_equal(f->ops->vcpu_run(f->vcpu, &e), -EIO);
}

static void test_msr(void **state)
{
	struct mfx *f = *state;
	struct hv_x64_msr_intercept_message *x;
	union hv_register_value v;
	struct hv_message m;
	struct hv_exit e;

	mshv_script_msg_x64(&m, HVMSG_X64_MSR_INTERCEPT, 64, 0, RIP0, 2,
			    HV_INTERCEPT_ACCESS_READ);
	x = &m.u.x64_msr;
	x->msr_number = 0x4b564d00;
	x->rax = 0x1111;
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_MSR);
	assert_int_equal(e.u.msr.index, 0x4b564d00);
	assert_int_equal(e.u.msr.write, 0);
	e.u.msr.value = 0x1122334455667788ull;
	mshv_script_msg_x64(&m, HVMSG_X64_MSR_INTERCEPT, 64, 0, RIP0 + 2, 2,
			    HV_INTERCEPT_ACCESS_WRITE);
	x->msr_number = 0x4b564d01;
	x->rax = 0xffffffff87654321ull; /* upper half ignored */
	x->rdx = 0x12345678;
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_MSR);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RAX), 0x55667788);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RDX), 0x11223344);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RIP), RIP0 + 2);
	assert_int_equal(e.u.msr.write, 1);
	assert_int_equal(e.u.msr.value, 0x1234567887654321ull);
	/* The VMM refuses the write: #GP(0), RIP unchanged. */
	e.u.msr.error = 1;
	mfx_run_expect(f, &e, HV_EXIT_INTR);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RIP), RIP0 + 2);
	assert_int_equal(mshv_script_reg_get(
				 f->s, 0, HV_X64_REGISTER_PENDING_EVENT0, &v),
			 0);
	assert_int_equal(v.pending_exception.word0,
			 1u | (1u << 8) | (13u << 16));
	assert_int_equal(v.pending_exception.error_code, 0);
	/* An access type that is neither read nor write. */
	mshv_script_msg_x64(&m, HVMSG_X64_MSR_INTERCEPT, 64, 0, RIP0, 2,
			    HV_INTERCEPT_ACCESS_EXECUTE);
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_INTERNAL);
}

static void test_fatal_messages(void **state)
{
	struct mfx *f = *state;
	struct hv_message m;
	struct hv_exit e;

	mshv_script_msg_x64(&m, HVMSG_UNRECOVERABLE_EXCEPTION, 40, 0, RIP0, 0,
			    0);
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_SHUTDOWN);
	assert_true(e.flags & HV_EXIT_F_TRIPLE_FAULT);
	assert_int_equal(e.pc, RIP0);
	mshv_script_msg(&m, HVMSG_INVALID_VP_REGISTER_VALUE, 8);
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_FAIL_ENTRY);
	assert_int_equal(e.u.fail.hw_reason, HVMSG_INVALID_VP_REGISTER_VALUE);
	mshv_script_msg(&m, HVMSG_UNSUPPORTED_FEATURE, 16);
	m.u.unsupported.feature_code = 2;
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_INTERNAL);
	assert_int_equal(e.u.fail.suberror, 4);
	assert_int_equal(e.u.fail.hw_reason, 2);
	assert_int_equal(mshv_script_reg_writes(f->s, 0, HV_X64_REGISTER_RIP),
			 0);
}

static void test_other_messages(void **state)
{
	struct mfx *f = *state;
	static const uint32_t ignored[] = {
		HVMSG_NONE,
		HVMSG_TIMER_EXPIRED,
		HVMSG_OPAQUE_INTERCEPT,
		HVMSG_ASYNC_CALL_COMPLETION,
		HVMSG_SCHEDULER_VP_SIGNAL_BITSET,
		HVMSG_X64_INTERRUPTION_DELIVERABLE,
		HVMSG_X64_SIPI_INTERCEPT,
	};
	static const uint32_t unknown[] = {
		0x80000099u,
		HVMSG_X64_EXCEPTION_INTERCEPT,
		HVMSG_HYPERCALL_INTERCEPT,
		HVMSG_ARM64_RESET_INTERCEPT,
		HVMSG_UNACCEPTED_GPA,
		0xffffffffu,
	};
	struct hv_message m;
	struct hv_exit e;
	size_t i;

	for (i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++) {
		mshv_script_msg(&m, ignored[i], 40);
		mfx_push(f, &m);
		mfx_run_expect(f, &e, HV_EXIT_NONE);
	}
	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		mshv_script_msg(&m, unknown[i], 40);
		mfx_push(f, &m);
		mfx_run_expect(f, &e, HV_EXIT_UNKNOWN);
		assert_int_equal(e.u.unknown.raw, unknown[i]);
	}
	assert_int_equal(f->nr_pio + f->nr_mmio, 0);
}

/* Every known type with every payload size below its minimum, and
 * garbage payloads: a clean exit each time. */
static void test_malformed_sweep(void **state)
{
	struct mfx *f = *state;
	static const struct {
		uint32_t type, min;
	} t[] = {
		{ HVMSG_X64_IO_PORT_INTERCEPT, 128 },
		{ HVMSG_UNMAPPED_GPA, 80 },
		{ HVMSG_GPA_INTERCEPT, 80 },
		{ HVMSG_X64_CPUID_INTERCEPT, 104 },
		{ HVMSG_X64_MSR_INTERCEPT, 64 },
		{ HVMSG_X64_HALT, 40 },
		{ HVMSG_X64_APIC_EOI, 8 },
		{ HVMSG_UNSUPPORTED_FEATURE, 16 },
	};
	struct hv_message m;
	struct hv_exit e;
	uint32_t sz;
	size_t i, j;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		for (sz = 0; sz < t[i].min; sz += 7) {
			mshv_script_msg(&m, t[i].type, sz);
			for (j = 0; j < sizeof(m.u.payload); j++)
				m.u.payload[j] = (uint8_t)(j * 37 + sz);
			m.u.x64_hdr.vp_index = 0;
			mfx_push(f, &m);
			mfx_run_expect(f, &e, HV_EXIT_INTERNAL);
			assert_int_equal(e.u.fail.suberror, 1);
		}
	}
	assert_int_equal(f->nr_pio + f->nr_mmio, 0);
	assert_int_equal(mshv_script_reg_writes(f->s, 0, HV_X64_REGISTER_RIP),
			 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_halt, mfx_setup,
						mfx_teardown),
		cmocka_unit_test_setup_teardown(test_eoi, mfx_setup,
						mfx_teardown),
		cmocka_unit_test_setup_teardown(test_cpuid, mfx_setup,
						mfx_teardown),
		cmocka_unit_test_setup_teardown(test_msr, mfx_setup,
						mfx_teardown),
		cmocka_unit_test_setup_teardown(test_fatal_messages, mfx_setup,
						mfx_teardown),
		cmocka_unit_test_setup_teardown(test_other_messages, mfx_setup,
						mfx_teardown),
		cmocka_unit_test_setup_teardown(test_malformed_sweep, mfx_setup,
						mfx_teardown),
	};

	return cmocka_run_group_tests_name("mshv_exits", tests, NULL, NULL);
}
