// SPDX-License-Identifier: Apache-2.0
/*
 * test_mshv_mmio.c - memory intercepts of the MSHV plugin on the scripted
 * /dev/mshv, through the shared instruction emulator (hv/x86emu): MMIO
 * writes and reads (MOV, MOVZX) reach hv_host.mmio with the right size
 * and data and update the destination register; a GPA intercept on RAM
 * is served from RAM; MOVS from MMIO to RAM touches both; RIP advances
 * by the decoded length.  A page fault of the emulator's walk becomes a
 * pending #PF; an instruction it cannot handle, a malformed message or an
 * execute access stop with HV_EXIT_INTERNAL; a device error stops the VM.
 */
#include "tests/unit/test_mshv_fx.h"

#define RIP0 0x1000ull
#define MMIO 0xd0000000ull

static void seg(struct mfx *f, uint32_t name, uint16_t attr)
{
	union hv_register_value v;

	memset(&v, 0, sizeof(v));
	v.segment.limit = 0xffffffff;
	v.segment.selector = name == HV_X64_REGISTER_CS ? 0x8 : 0x10;
	v.segment.attributes = attr;
	mshv_script_reg_set(f->s, 0, name, &v);
}

/* 32-bit flat protected mode, paging off (linear == physical). */
static int setup_flat32(void **state)
{
	struct mfx *f = mfx_ready();

	mshv_script_reg_set64(f->s, 0, HV_X64_REGISTER_RIP, RIP0);
	mshv_script_reg_set64(f->s, 0, HV_X64_REGISTER_RFLAGS, 0x2);
	mshv_script_reg_set64(f->s, 0, HV_X64_REGISTER_CR0, 0x11);
	seg(f, HV_X64_REGISTER_CS, 0xc09b);
	seg(f, HV_X64_REGISTER_DS, 0xc093);
	seg(f, HV_X64_REGISTER_ES, 0xc093);
	seg(f, HV_X64_REGISTER_SS, 0xc093);
	*state = f;
	return 0;
}

static struct hv_x64_memory_intercept_message *
mem_msg(struct hv_message *m, uint32_t type, uint8_t access, uint64_t gpa,
	const char *insn, uint8_t n)
{
	struct hv_x64_memory_intercept_message *mm = &m->u.x64_mem;

	mshv_script_msg_x64(m, type, sizeof(*mm), 0, RIP0, 0, access);
	mm->header.execution_state = HV_X64_EXEC_CR0_PE;
	mm->header.cs_segment.attributes = 0xc09b;
	mm->guest_physical_address = gpa;
	mm->guest_virtual_address = gpa;
	mm->memory_access_info = HV_X64_MEM_GVA_VALID |
				 HV_X64_MEM_GVA_GPA_VALID;
	mm->instruction_byte_count = n;
	memcpy(mm->instruction_bytes, insn, n);
	return mm;
}

static void test_mmio_write(void **state)
{
	struct mfx *f = *state;
	struct hv_message m;
	struct hv_exit e;

	mshv_script_reg_set64(f->s, 0, HV_X64_REGISTER_RAX,
			      0x11111111cafebabeull);
	mshv_script_reg_set64(f->s, 0, HV_X64_REGISTER_RBX, MMIO + 0x10);
	mshv_script_reset_writes(f->s);
	/* mov %eax,(%ebx) */
	mem_msg(&m, HVMSG_UNMAPPED_GPA, HV_INTERCEPT_ACCESS_WRITE, MMIO + 0x10,
		"\x89\x03", 2);
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_NONE);
	assert_int_equal(f->nr_mmio, 1);
	assert_int_equal(f->mmio[0].addr, MMIO + 0x10);
	assert_int_equal(f->mmio[0].len, 4);
	assert_int_equal(f->mmio[0].write, 1);
	assert_memory_equal(f->mmio[0].data, "\xbe\xba\xfe\xca", 4);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RIP), RIP0 + 2);
	assert_int_equal(mshv_script_reg_writes(f->s, 0, HV_X64_REGISTER_RAX),
			 0);
	assert_int_equal(mshv_script_hvcalls(f->s, HVCALL_GET_VP_REGISTERS), 1);
}

static void test_mmio_read(void **state)
{
	struct mfx *f = *state;
	struct hv_message m;
	struct hv_exit e;

	mshv_script_reg_set64(f->s, 0, HV_X64_REGISTER_RBX, MMIO);
	mshv_script_reg_set64(f->s, 0, HV_X64_REGISTER_RCX, ~0ull);
	/* mov (%ebx),%ecx */
	mem_msg(&m, HVMSG_UNMAPPED_GPA, HV_INTERCEPT_ACCESS_READ, MMIO,
		"\x8b\x0b", 2);
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_NONE);
	assert_int_equal(f->nr_mmio, 1);
	assert_int_equal(f->mmio[0].len, 4);
	assert_int_equal(f->mmio[0].write, 0);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RCX), 0x44332211);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RIP), RIP0 + 2);
	/* movzbl (%ebx),%edx: one byte, zero-extended. */
	mshv_script_reg_set64(f->s, 0, HV_X64_REGISTER_RIP, RIP0);
	mem_msg(&m, HVMSG_UNMAPPED_GPA, HV_INTERCEPT_ACCESS_READ, MMIO,
		"\x0f\xb6\x13", 3);
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_NONE);
	assert_int_equal(f->mmio[1].len, 1);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RDX), 0x11);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RIP), RIP0 + 3);
}

/* A write to a read-only RAM mapping arrives as a GPA intercept. */
static void test_gpa_intercept_ram(void **state)
{
	struct mfx *f = *state;
	struct hv_message m;
	struct hv_exit e;

	mshv_script_reg_set64(f->s, 0, HV_X64_REGISTER_RAX, 0x0a0b0c0d);
	mshv_script_reg_set64(f->s, 0, HV_X64_REGISTER_RBX, 0x5000);
	mem_msg(&m, HVMSG_GPA_INTERCEPT, HV_INTERCEPT_ACCESS_WRITE, 0x5000,
		"\x89\x03", 2);
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_NONE);
	assert_int_equal(f->nr_mmio, 0);
	assert_memory_equal(f->ram + 0x5000, "\x0d\x0c\x0b\x0a", 4);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RIP), RIP0 + 2);
}

/* movsl from MMIO to RAM: one device read, one RAM write. */
static void test_movs_mmio_to_ram(void **state)
{
	struct mfx *f = *state;
	struct hv_message m;
	struct hv_exit e;

	mshv_script_reg_set64(f->s, 0, HV_X64_REGISTER_RSI, MMIO + 8);
	mshv_script_reg_set64(f->s, 0, HV_X64_REGISTER_RDI, 0x6000);
	mem_msg(&m, HVMSG_UNMAPPED_GPA, HV_INTERCEPT_ACCESS_READ, MMIO + 8,
		"\xa5", 1);
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_NONE);
	assert_int_equal(f->nr_mmio, 1);
	assert_int_equal(f->mmio[0].addr, MMIO + 8);
	assert_int_equal(f->mmio[0].write, 0);
	assert_memory_equal(f->ram + 0x6000, "\x11\x22\x33\x44", 4);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RSI), MMIO + 12);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RDI), 0x6004);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RIP), RIP0 + 1);
}

/* Long mode with an empty PML4: the walk faults, #PF is queued. */
static void test_page_fault_injected(void **state)
{
	struct mfx *f = *state;
	union hv_register_value v;
	struct hv_message m;
	struct hv_exit e;

	mshv_script_reg_set64(f->s, 0, HV_X64_REGISTER_CR0, 0x80000011);
	mshv_script_reg_set64(f->s, 0, HV_X64_REGISTER_CR3, 0x8000);
	mshv_script_reg_set64(f->s, 0, HV_X64_REGISTER_CR4, 0x20);
	mshv_script_reg_set64(f->s, 0, HV_X64_REGISTER_EFER, 0x500);
	seg(f, HV_X64_REGISTER_CS, 0xa09b);
	mshv_script_reg_set64(f->s, 0, HV_X64_REGISTER_RBX, MMIO);
	mshv_script_reset_writes(f->s);
	mem_msg(&m, HVMSG_UNMAPPED_GPA, HV_INTERCEPT_ACCESS_WRITE, MMIO,
		"\x89\x03", 2);
	m.u.x64_mem.header.execution_state |= HV_X64_EXEC_EFER_LMA;
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_NONE);
	assert_int_equal(f->nr_mmio, 0);
	assert_int_equal(mshv_script_reg_get(
				 f->s, 0, HV_X64_REGISTER_PENDING_EVENT0, &v),
			 0);
	assert_int_equal(v.pending_exception.word0,
			 1u | (1u << 8) | (14u << 16));
	assert_int_equal(v.pending_exception.error_code & 0x3, 0x2);
	assert_int_equal(v.pending_exception.exception_parameter, MMIO);
	assert_int_equal(mshv_script_reg_writes(f->s, 0, HV_X64_REGISTER_RIP),
			 0);
}

static void test_not_emulated(void **state)
{
	struct mfx *f = *state;
	struct hv_message m;
	struct hv_exit e;

	/* ud2 touching MMIO, then a 16-byte run of prefixes. */
	mem_msg(&m, HVMSG_UNMAPPED_GPA, HV_INTERCEPT_ACCESS_READ, MMIO,
		"\x0f\x0b", 2);
	mfx_push(f, &m);
	mem_msg(&m, HVMSG_UNMAPPED_GPA, HV_INTERCEPT_ACCESS_READ, MMIO,
		"\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66\x66"
		"\x66\x66",
		16);
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_INTERNAL);
	assert_int_equal(e.u.fail.suberror, 2);
	assert_int_equal(e.u.fail.hw_reason, HVMSG_UNMAPPED_GPA);
	assert_int_equal(e.pc, RIP0);
	mfx_run_expect(f, &e, HV_EXIT_INTERNAL);
	assert_int_equal(e.u.fail.suberror, 2);
	/* Execute from MMIO; an impossible byte count. */
	mem_msg(&m, HVMSG_UNMAPPED_GPA, HV_INTERCEPT_ACCESS_EXECUTE, MMIO,
		"\x90", 1);
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_INTERNAL);
	assert_int_equal(e.u.fail.suberror, 2);
	mem_msg(&m, HVMSG_UNMAPPED_GPA, HV_INTERCEPT_ACCESS_READ, MMIO,
		"\x8b\x0b", 2);
	m.u.x64_mem.instruction_byte_count = 17;
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_INTERNAL);
	assert_int_equal(e.u.fail.suberror, 1);
	assert_int_equal(f->nr_mmio, 0);
	assert_int_equal(mshv_script_reg_writes(f->s, 0, HV_X64_REGISTER_RIP),
			 0);
}

static void test_device_error_stops(void **state)
{
	struct mfx *f = *state;
	struct hv_message m;
	struct hv_exit e;

	mshv_script_reg_set64(f->s, 0, HV_X64_REGISTER_RBX, MMIO);
	mem_msg(&m, HVMSG_UNMAPPED_GPA, HV_INTERCEPT_ACCESS_READ, MMIO,
		"\x8b\x0b", 2);
	mfx_push(f, &m);
	f->host_ret = -ENODEV;
	assert_int_equal(f->ops->vcpu_run(f->vcpu, &e), -ENODEV);
	f->host_ret = 0;
	/* A refused register read stops it too. */
	mfx_push(f, &m);
	mshv_script_fail_hvcall(f->s, HVCALL_GET_VP_REGISTERS, EIO, 1);
	assert_int_equal(f->ops->vcpu_run(f->vcpu, &e), -EIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mmio_write, setup_flat32,
						mfx_teardown),
		cmocka_unit_test_setup_teardown(test_mmio_read, setup_flat32,
						mfx_teardown),
		cmocka_unit_test_setup_teardown(test_gpa_intercept_ram,
						setup_flat32, mfx_teardown),
		cmocka_unit_test_setup_teardown(test_movs_mmio_to_ram,
						setup_flat32, mfx_teardown),
		cmocka_unit_test_setup_teardown(test_page_fault_injected,
						setup_flat32, mfx_teardown),
		cmocka_unit_test_setup_teardown(test_not_emulated, setup_flat32,
						mfx_teardown),
		cmocka_unit_test_setup_teardown(test_device_error_stops,
						setup_flat32, mfx_teardown),
	};

	return cmocka_run_group_tests_name("mshv_mmio", tests, NULL, NULL);
}
