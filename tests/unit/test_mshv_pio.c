// SPDX-License-Identifier: Apache-2.0
/*
 * test_mshv_pio.c - port I/O intercepts of the MSHV plugin on the
 * scripted /dev/mshv: IN/OUT of every size (the HV_EXIT_PIO the VMM sees,
 * then RAX and RIP written on re-entry), INS/OUTS with and without REP,
 * counting up and down, split into chunks, across pages, with the 0x67
 * address size, in 16-bit mode with a segment override, REP with RCX = 0,
 * a #PF injected when the translation fails, and malformed messages.
 */
#include "tests/unit/test_mshv_fx.h"

#define PORT 0x3f8
#define RIP0 0x100000ull

/* An I/O message: size bytes, write or read, string/rep, insn bytes. */
static struct hv_x64_io_port_intercept_message *
io_msg(struct hv_message *m, uint8_t size, bool write, uint8_t flags,
       const char *insn, uint8_t insn_len)
{
	struct hv_x64_io_port_intercept_message *io = &m->u.x64_io;

	mshv_script_msg_x64(
		m, HVMSG_X64_IO_PORT_INTERCEPT, sizeof(*io), 0, RIP0, insn_len,
		write ? HV_INTERCEPT_ACCESS_WRITE : HV_INTERCEPT_ACCESS_READ);
	io->port_number = PORT;
	io->access_info = size | flags;
	io->instruction_byte_count = insn_len;
	memcpy(io->instruction_bytes, insn, insn_len);
	return io;
}

static void test_out(void **state)
{
	struct mfx *f = *state;
	struct hv_message m;
	struct hv_exit e;

	io_msg(&m, 1, true, 0, "\xee", 1)->rax = 0x123441;
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_PIO);
	assert_int_equal(e.u.pio.port, PORT);
	assert_int_equal(e.u.pio.size, 1);
	assert_int_equal(e.u.pio.write, 1);
	assert_int_equal(e.u.pio.count, 1);
	assert_int_equal(e.u.pio.data[0], 0x41);
	assert_int_equal(e.pc, RIP0);
	/* Nothing written until the VMM comes back. */
	assert_int_equal(mshv_script_reg_writes(f->s, 0, HV_X64_REGISTER_RIP),
			 0);
	io_msg(&m, 4, true, 0, "\xef", 1)->rax = 0xaabbccdd11223344ull;
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_PIO);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RIP), RIP0 + 1);
	assert_int_equal(e.u.pio.size, 4);
	assert_memory_equal(e.u.pio.data, "\x44\x33\x22\x11", 4);
	mfx_run_expect(f, &e, HV_EXIT_INTR);
	assert_int_equal(mshv_script_reg_writes(f->s, 0, HV_X64_REGISTER_RIP),
			 2);
	assert_int_equal(mshv_script_reg_writes(f->s, 0, HV_X64_REGISTER_RAX),
			 0);
}

/* IN of `size` bytes with RAX `rax`; the VMM answers 0x5a5b5c5d. */
static uint64_t do_in(struct mfx *f, uint8_t size, uint64_t rax)
{
	struct hv_message m;
	struct hv_exit e;

	io_msg(&m, size, false, 0, "\xec", 1)->rax = rax;
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_PIO);
	assert_int_equal(e.u.pio.write, 0);
	assert_int_equal(e.u.pio.size, size);
	memcpy(e.u.pio.data, "\x5d\x5c\x5b\x5a", size);
	mfx_run_expect(f, &e, HV_EXIT_INTR);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RIP), RIP0 + 1);
	return mfx_reg(f, HV_X64_REGISTER_RAX);
}

static void test_in(void **state)
{
	struct mfx *f = *state;

	assert_int_equal(do_in(f, 1, 0x1111222233334444ull),
			 0x111122223333445dull);
	assert_int_equal(do_in(f, 2, 0x1111222233334444ull),
			 0x1111222233335c5dull);
	/* IN EAX zero-extends. */
	assert_int_equal(do_in(f, 4, 0x1111222233334444ull), 0x5a5b5c5dull);
}

static void test_outs_rep(void **state)
{
	struct mfx *f = *state;
	struct hv_x64_io_port_intercept_message *io;
	struct hv_message m;
	struct hv_exit e;

	memcpy(f->ram + 0x2000, "hello", 5);
	io = io_msg(&m, 1, true, HV_X64_IO_STRING_OP | HV_X64_IO_REP_PREFIX,
		    "\xf3\x6e", 2);
	io->rcx = 5;
	io->rsi = 0x2000;
	io->rdi = 0x9999;
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_PIO);
	assert_int_equal(e.u.pio.count, 5);
	assert_int_equal(e.u.pio.write, 1);
	assert_memory_equal(e.u.pio.data, "hello", 5);
	assert_int_equal(
		mshv_script_hvcalls(f->s, HVCALL_TRANSLATE_VIRTUAL_ADDRESS), 1);
	mfx_run_expect(f, &e, HV_EXIT_INTR);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RSI), 0x2005);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RCX), 0);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RIP), RIP0 + 2);
	assert_int_equal(mshv_script_reg_writes(f->s, 0, HV_X64_REGISTER_RDI),
			 0);
}

static void test_ins_rep_down(void **state)
{
	struct mfx *f = *state;
	struct hv_x64_io_port_intercept_message *io;
	struct hv_message m;
	struct hv_exit e;

	io = io_msg(&m, 2, false, HV_X64_IO_STRING_OP | HV_X64_IO_REP_PREFIX,
		    "\xf3\x66\x6d", 3);
	io->header.rflags |= 1u << 10; /* DF */
	io->rcx = 3;
	io->rdi = 0x3006;
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_PIO);
	assert_int_equal(e.u.pio.count, 3);
	assert_int_equal(e.u.pio.size, 2);
	memcpy(e.u.pio.data, "AaBbCc", 6); /* in execution order */
	mfx_run_expect(f, &e, HV_EXIT_INTR);
	assert_memory_equal(f->ram + 0x3002, "CcBbAa", 6);
	assert_int_equal(f->ram[0x3008], 0);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RDI), 0x3000);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RCX), 0);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RIP), RIP0 + 3);
}

/* 5000 bytes: one 4096-byte chunk, the guest re-executes, then the rest. */
static void test_outs_chunks(void **state)
{
	struct mfx *f = *state;
	struct hv_x64_io_port_intercept_message *io;
	struct hv_message m;
	struct hv_exit e;

	memset(f->ram + 0x10000, 'x', 5000);
	io = io_msg(&m, 1, true, HV_X64_IO_STRING_OP | HV_X64_IO_REP_PREFIX,
		    "\xf3\x6e", 2);
	io->rcx = 5000;
	io->rsi = 0x10000;
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_PIO);
	assert_int_equal(e.u.pio.count, 4096);
	mfx_run_expect(f, &e, HV_EXIT_INTR);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RCX), 904);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RSI), 0x11000);
	assert_int_equal(mshv_script_reg_writes(f->s, 0, HV_X64_REGISTER_RIP),
			 0);
	io->rcx = 904;
	io->rsi = 0x11000;
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_PIO);
	assert_int_equal(e.u.pio.count, 904);
	mfx_run_expect(f, &e, HV_EXIT_INTR);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RCX), 0);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RIP), RIP0 + 2);
}

/* OUTSD across a page boundary, non-REP: two translations, RCX alone. */
static void test_outs_cross_page(void **state)
{
	struct mfx *f = *state;
	struct hv_x64_io_port_intercept_message *io;
	struct hv_message m;
	struct hv_exit e;

	/* Guest page 0x41 lives at GPA 0x7000, page 0x42 at 0x9000. */
	f->s->xlate[0] = (struct mshv_script_xlate){ 0x41, 0x7, 0 };
	f->s->xlate[1] = (struct mshv_script_xlate){ 0x42, 0x9, 0 };
	f->s->nr_xlate = 2;
	memcpy(f->ram + 0x7ffe, "\x01\x02", 2);
	memcpy(f->ram + 0x9000, "\x03\x04", 2);
	io = io_msg(&m, 4, true, HV_X64_IO_STRING_OP, "\x6f", 1);
	io->rsi = 0x41ffe;
	io->rcx = 77;
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_PIO);
	assert_int_equal(e.u.pio.count, 1);
	assert_memory_equal(e.u.pio.data, "\x01\x02\x03\x04", 4);
	assert_int_equal(
		mshv_script_hvcalls(f->s, HVCALL_TRANSLATE_VIRTUAL_ADDRESS), 2);
	mfx_run_expect(f, &e, HV_EXIT_INTR);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RSI), 0x42002);
	assert_int_equal(mshv_script_reg_writes(f->s, 0, HV_X64_REGISTER_RCX),
			 0);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RIP), RIP0 + 1);
}

static void test_rep_zero_and_asz(void **state)
{
	struct mfx *f = *state;
	struct hv_x64_io_port_intercept_message *io;
	struct hv_message m;
	struct hv_exit e;

	io = io_msg(&m, 1, true, HV_X64_IO_STRING_OP | HV_X64_IO_REP_PREFIX,
		    "\xf3\x6e", 2);
	io->rcx = 0;
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_NONE);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RIP), RIP0 + 2);
	/* 0x67: ECX/ESI in 64-bit mode; the writes zero-extend. */
	memcpy(f->ram + 0x2000, "ab", 2);
	io = io_msg(&m, 1, true, HV_X64_IO_STRING_OP | HV_X64_IO_REP_PREFIX,
		    "\x67\xf3\x6e", 3);
	io->rcx = 0xffffffff00000002ull;
	io->rsi = 0x1234567800002000ull;
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_PIO);
	assert_int_equal(e.u.pio.count, 2);
	assert_memory_equal(e.u.pio.data, "ab", 2);
	mfx_run_expect(f, &e, HV_EXIT_INTR);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RSI), 0x2002);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RCX), 0);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RIP), RIP0 + 3);
}

/* Real mode: 16-bit SI/CX, ES override for OUTS, segment base added. */
static void test_outs_16bit(void **state)
{
	struct mfx *f = *state;
	struct hv_x64_io_port_intercept_message *io;
	struct hv_message m;
	struct hv_exit e;

	memcpy(f->ram + 0x20010, "zy", 2);
	io = io_msg(&m, 1, true, HV_X64_IO_STRING_OP | HV_X64_IO_REP_PREFIX,
		    "\x26\xf3\x6e", 3);
	io->header.execution_state = 0;
	io->header.cs_segment.attributes = 0x9b;
	io->ds_segment.base = 0x10000;
	io->es_segment.base = 0x20000;
	io->rcx = 0xabcd0002;
	io->rsi = 0xabcd0010;
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_PIO);
	assert_memory_equal(e.u.pio.data, "zy", 2);
	mfx_run_expect(f, &e, HV_EXIT_INTR);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RSI), 0xabcd0012);
	assert_int_equal(mfx_reg(f, HV_X64_REGISTER_RCX), 0xabcd0000);
}

static void test_string_page_fault(void **state)
{
	struct mfx *f = *state;
	struct hv_x64_io_port_intercept_message *io;
	union hv_register_value v;
	struct hv_message m;
	struct hv_exit e;

	f->s->xlate[f->s->nr_xlate++] = (struct mshv_script_xlate){
		.gva_page = 0x50, .result = HV_TRANSLATE_GVA_PAGE_NOT_PRESENT
	};
	io = io_msg(&m, 1, false, HV_X64_IO_STRING_OP, "\x6c", 1);
	io->rdi = 0x50010;
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_NONE);
	assert_int_equal(f->nr_pio, 0);
	assert_int_equal(mshv_script_reg_get(
				 f->s, 0, HV_X64_REGISTER_PENDING_EVENT0, &v),
			 0);
	/* pending | exception | error code | vector 14; W (INS writes). */
	assert_int_equal(v.pending_exception.word0,
			 1u | (1u << 8) | (14u << 16));
	assert_int_equal(v.pending_exception.error_code, 2);
	assert_int_equal(v.pending_exception.exception_parameter, 0x50010);
	assert_int_equal(mshv_script_reg_writes(f->s, 0, HV_X64_REGISTER_RIP),
			 0);
	/* Nothing pending: the next run just runs. */
	mfx_run_expect(f, &e, HV_EXIT_INTR);
	assert_int_equal(mshv_script_reg_writes(f->s, 0, HV_X64_REGISTER_RIP),
			 0);
}

static void test_io_malformed(void **state)
{
	struct mfx *f = *state;
	struct hv_x64_io_port_intercept_message *io;
	struct hv_message m;
	struct hv_exit e;

	io_msg(&m, 3, true, 0, "\xee", 1);
	mfx_push(f, &m);
	io = io_msg(&m, 1, true, 0, "\xee", 1);
	io->header.intercept_access_type = HV_INTERCEPT_ACCESS_EXECUTE;
	mfx_push(f, &m);
	io = io_msg(&m, 1, true, 0, "\xee", 0);
	mfx_push(f, &m);
	io = io_msg(&m, 1, true, 0, "\xee", 1);
	m.header.payload_size = 100;
	mfx_push(f, &m);
	io = io_msg(&m, 1, true, 0, "\xee", 1);
	io->header.vp_index = 1;
	mfx_push(f, &m);
	io = io_msg(&m, 1, true, 0, "\xee", 1);
	m.header.payload_size = 241;
	mfx_push(f, &m);
	while (f->s->vps[0].q_len) {
		mfx_run_expect(f, &e, HV_EXIT_INTERNAL);
		assert_int_equal(e.u.fail.suberror, 1); /* bad message */
		assert_int_equal(e.u.fail.hw_reason,
				 HVMSG_X64_IO_PORT_INTERCEPT);
	}
	assert_int_equal(f->nr_pio, 0);
	assert_int_equal(mshv_script_reg_writes(f->s, 0, HV_X64_REGISTER_RIP),
			 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_out, mfx_setup,
						mfx_teardown),
		cmocka_unit_test_setup_teardown(test_in, mfx_setup,
						mfx_teardown),
		cmocka_unit_test_setup_teardown(test_outs_rep, mfx_setup,
						mfx_teardown),
		cmocka_unit_test_setup_teardown(test_ins_rep_down, mfx_setup,
						mfx_teardown),
		cmocka_unit_test_setup_teardown(test_outs_chunks, mfx_setup,
						mfx_teardown),
		cmocka_unit_test_setup_teardown(test_outs_cross_page, mfx_setup,
						mfx_teardown),
		cmocka_unit_test_setup_teardown(test_rep_zero_and_asz,
						mfx_setup, mfx_teardown),
		cmocka_unit_test_setup_teardown(test_outs_16bit, mfx_setup,
						mfx_teardown),
		cmocka_unit_test_setup_teardown(test_string_page_fault,
						mfx_setup, mfx_teardown),
		cmocka_unit_test_setup_teardown(test_io_malformed, mfx_setup,
						mfx_teardown),
	};

	return cmocka_run_group_tests_name("mshv_pio", tests, NULL, NULL);
}
