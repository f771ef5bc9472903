// SPDX-License-Identifier: Apache-2.0
/*
 * test_mshv_sim.c - the pure parts of the MSHV simulator (tests/mshv-sim):
 * the port I/O decoder, KVM <-> hypervisor register formats, the kernel's
 * MSHV_ROOT_HVCALL checks, interrupts as MSIs, the VP CPUID table, and
 * the decoder that locates a write KVM retired before exiting.  The parts
 * that need /dev/kvm run in tests/kvm/run-mshv.sh.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#if defined(__x86_64__)

#include "tests/mshv-sim/sim.h"

#define B(...) ((const uint8_t[]){ __VA_ARGS__ })
#define NB(...) sizeof((const uint8_t[]){ __VA_ARGS__ })
#define DEC_IO(l64, ...) sim_decode_io(B(__VA_ARGS__), NB(__VA_ARGS__), l64, &d)
#define DEC_W(mode, ...) \
	sim_decode_write(B(__VA_ARGS__), NB(__VA_ARGS__), mode, &w)

static void test_decode_io(void **state)
{
	struct sim_io_insn d;

	assert_int_equal(DEC_IO(false, 0xee, 0x90), 0);
	assert_int_equal(d.len, 1);
	assert_false(d.string);
	assert_int_equal(DEC_IO(false, 0x66, 0xef), 0);
	assert_int_equal(d.len, 2);
	assert_int_equal(DEC_IO(false, 0xe6, 0x80, 0x90), 0);
	assert_int_equal(d.len, 2);
	assert_int_equal(DEC_IO(false, 0xe4), -EINVAL); /* no imm8 */
	assert_int_equal(DEC_IO(false, 0xf3, 0x6e), 0);
	assert_true(d.string);
	assert_true(d.rep);
	assert_int_equal(d.len, 2);
	assert_int_equal(DEC_IO(false, 0x6c), 0);
	assert_true(d.string);
	assert_false(d.rep);
	/* REX before the opcode only counts in 64-bit code. */
	assert_int_equal(DEC_IO(true, 0x67, 0xf3, 0x48, 0x6d), 0);
	assert_int_equal(d.len, 4);
	assert_true(d.asz);
	assert_true(d.rep);
	assert_int_equal(DEC_IO(false, 0x67, 0xf3, 0x48, 0x6d), -EINVAL);
	assert_int_equal(DEC_IO(false, 0x90), -EINVAL);
	assert_int_equal(sim_decode_io(NULL, 0, false, &d), -EINVAL);
}

static void test_segments(void **state)
{
	struct kvm_segment k = {
		.base = 0x1000,
		.limit = 0xffffffff,
		.selector = 0x10,
		.type = 0xb,
		.s = 1,
		.present = 1,
		.l = 1,
		.g = 1,
	};
	struct hv_x64_segment_register h;
	struct kvm_segment back;

	sim_seg_to_hv(&h, &k);
	assert_int_equal(h.attributes, 0xa09b);
	assert_int_equal(h.base, 0x1000);
	assert_int_equal(h.limit, 0xffffffff);
	assert_int_equal(h.selector, 0x10);
	sim_seg_from_hv(&back, &h);
	assert_memory_equal(&back, &k, sizeof(k));
	/* Flat 32-bit data, DPL 3. */
	h.attributes = 0xc0f3;
	sim_seg_from_hv(&back, &h);
	assert_int_equal(back.type, 3);
	assert_int_equal(back.dpl, 3);
	assert_int_equal(back.db, 1);
	assert_int_equal(back.l, 0);
	assert_false(back.unusable);
	/* Unusable <-> P = 0. */
	k.unusable = 1;
	sim_seg_to_hv(&h, &k);
	assert_int_equal(h.attributes & HV_X64_SEG_ATTR_P, 0);
	sim_seg_from_hv(&back, &h);
	assert_true(back.unusable);
	assert_false(back.present);
}

static void test_exec_state_and_header(void **state)
{
	struct hv_x64_intercept_message_header hdr;
	struct kvm_sregs s;
	struct kvm_regs r;

	memset(&s, 0, sizeof(s));
	memset(&r, 0, sizeof(r));
	assert_int_equal(sim_exec_state(&s), 0); /* real mode: CPL 0 */
	s.ss.dpl = 3;
	assert_int_equal(sim_exec_state(&s), 0);
	s.cr0 = 1 | (1u << 18);
	s.efer = 1u << 10;
	assert_int_equal(sim_exec_state(&s), 3 | HV_X64_EXEC_CR0_PE |
						     HV_X64_EXEC_CR0_AM |
						     HV_X64_EXEC_EFER_LMA);
	r.rip = 0x1234;
	r.rflags = 0x202;
	s.cr8 = 0x5;
	s.cs.type = 0xb;
	s.cs.s = 1;
	s.cs.present = 1;
	sim_intercept_hdr(&hdr, 7, &r, &s, HV_INTERCEPT_ACCESS_WRITE, 3);
	assert_int_equal(hdr.vp_index, 7);
	assert_int_equal(hdr.instruction_length_cr8, 0x53);
	assert_int_equal(hdr.intercept_access_type, HV_INTERCEPT_ACCESS_WRITE);
	assert_int_equal(hdr.rip, 0x1234);
	assert_int_equal(hdr.rflags, 0x202);
	assert_int_equal(hdr.cs_segment.attributes, 0x9b);
}

static void hvcall_init(struct mshv_root_hvcall *a, uint16_t code,
			uint16_t reps, uint16_t in_sz, uint16_t out_sz)
{
	static uint8_t buf[16];

	memset(a, 0, sizeof(*a));
	a->code = code;
	a->reps = reps;
	a->in_sz = in_sz;
	a->out_sz = out_sz;
	a->in_ptr = (uint64_t)(uintptr_t)buf;
	a->out_ptr = out_sz ? (uint64_t)(uintptr_t)buf : 0;
}

static void test_hvcall_check(void **state)
{
	struct mshv_root_hvcall a;
	bool rep = false;

	hvcall_init(&a, HVCALL_GET_VP_REGISTERS, 2, 24, 32);
	assert_int_equal(sim_hvcall_check(&a, true, &rep), 0);
	assert_true(rep);
	hvcall_init(&a, HVCALL_GET_PARTITION_PROPERTY, 0, 16, 8);
	assert_int_equal(sim_hvcall_check(&a, false, &rep), 0);
	assert_false(rep);
	a.status = 1;
	assert_int_equal(sim_hvcall_check(&a, false, &rep), -EINVAL);
	hvcall_init(&a, HVCALL_GET_PARTITION_PROPERTY, 0, 16, 8);
	a.rsvd[5] = 1;
	assert_int_equal(sim_hvcall_check(&a, false, &rep), -EINVAL);
	hvcall_init(&a, HVCALL_GET_PARTITION_PROPERTY, 0, 7, 8);
	assert_int_equal(sim_hvcall_check(&a, false, &rep), -EINVAL);
	hvcall_init(&a, HVCALL_GET_PARTITION_PROPERTY, 0, 4097, 8);
	assert_int_equal(sim_hvcall_check(&a, false, &rep), -EINVAL);
	hvcall_init(&a, HVCALL_GET_PARTITION_PROPERTY, 0, 16, 8);
	a.out_ptr = 0; /* out_sz without a buffer */
	assert_int_equal(sim_hvcall_check(&a, false, &rep), -EINVAL);
	hvcall_init(&a, HVCALL_GET_PARTITION_PROPERTY, 0, 16, 0);
	a.in_ptr = 0;
	assert_int_equal(sim_hvcall_check(&a, false, &rep), -EINVAL);
	/* SET_PARTITION_PROPERTY: partition fd only. */
	hvcall_init(&a, HVCALL_SET_PARTITION_PROPERTY, 0, 24, 0);
	assert_int_equal(sim_hvcall_check(&a, false, &rep), 0);
	assert_int_equal(sim_hvcall_check(&a, true, &rep), -EINVAL);
	/* A rep count on a simple hypercall. */
	hvcall_init(&a, HVCALL_TRANSLATE_VIRTUAL_ADDRESS, 1, 32, 16);
	assert_int_equal(sim_hvcall_check(&a, true, &rep), -EINVAL);
	/* Not on the kernel's allow-list. */
	hvcall_init(&a, 0x0053, 0, 16, 0); /* READ_GPA */
	assert_int_equal(sim_hvcall_check(&a, true, &rep), -EINVAL);
	hvcall_init(&a, HVCALL_GET_PARTITION_PROPERTY_EX, 0, 24, 16);
	assert_int_equal(sim_hvcall_check(&a, false, &rep), -EINVAL);
}

static void test_status_errno(void **state)
{
	assert_int_equal(sim_status_errno(HV_STATUS_SUCCESS), 0);
	assert_int_equal(sim_status_errno(HV_STATUS_INVALID_PARAMETER),
			 -EINVAL);
	assert_int_equal(sim_status_errno(HV_STATUS_INVALID_VP_INDEX), -EINVAL);
	assert_int_equal(sim_status_errno(HV_STATUS_INVALID_REGISTER_VALUE),
			 -EINVAL);
	assert_int_equal(sim_status_errno(HV_STATUS_INSUFFICIENT_MEMORY),
			 -ENOMEM);
	assert_int_equal(sim_status_errno(HV_STATUS_ACCESS_DENIED), -EIO);
	assert_int_equal(sim_status_errno(HV_STATUS_UNKNOWN_PROPERTY), -EIO);
}

static void test_assert_to_msi(void **state)
{
	struct hv_input_assert_virtual_interrupt in;
	uint32_t addr, data;

	memset(&in, 0, sizeof(in));
	in.interrupt_type = HV_X64_INTERRUPT_TYPE_FIXED;
	in.control_flags = HV_INTERRUPT_CONTROL_LEVEL |
			   HV_INTERRUPT_CONTROL_LOGICAL_DEST;
	in.dest_addr = 1;
	in.vector = 0x30;
	assert_int_equal(sim_assert_to_msi(&in, &addr, &data), 0);
	assert_int_equal(addr, 0xfee01004u);
	assert_int_equal(data, 0xc030u); /* level, asserted, vector */
	in.interrupt_type = HV_X64_INTERRUPT_TYPE_NMI;
	in.control_flags = 0;
	in.dest_addr = 3;
	in.vector = 0;
	assert_int_equal(sim_assert_to_msi(&in, &addr, &data), 0);
	assert_int_equal(addr, 0xfee03000u);
	assert_int_equal(data, 0x4400u);
	in.interrupt_type = HV_X64_INTERRUPT_TYPE_LOCALINT0;
	assert_int_equal(sim_assert_to_msi(&in, &addr, &data), -EOPNOTSUPP);
	in.interrupt_type = 10;
	assert_int_equal(sim_assert_to_msi(&in, &addr, &data), -EINVAL);
	in.interrupt_type = HV_X64_INTERRUPT_TYPE_FIXED;
	in.dest_addr = 0x100; /* needs address_hi */
	assert_int_equal(sim_assert_to_msi(&in, &addr, &data), -EINVAL);
	in.dest_addr = 0;
	in.control_flags = HV_INTERRUPT_CONTROL_ARM64_ASSERTED;
	assert_int_equal(sim_assert_to_msi(&in, &addr, &data), -EINVAL);
	in.control_flags = 0;
	in.target_vtl = 1;
	assert_int_equal(sim_assert_to_msi(&in, &addr, &data), -EINVAL);
}

static struct kvm_cpuid2 *cpuid_base(void)
{
	struct kvm_cpuid2 *c =
		calloc(1, sizeof(*c) + 4 * sizeof(c->entries[0]));

	assert_non_null(c);
	c->nent = 4;
	c->entries[0].function = 0;
	c->entries[0].eax = 0xb;
	c->entries[1].function = 1;
	c->entries[1].ebx = 0xff010800;
	c->entries[1].ecx = 1u << 21; /* x2APIC */
	c->entries[2].function = 0xb;
	c->entries[2].index = 0;
	c->entries[2].flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
	c->entries[2].ebx = 1;
	c->entries[3].function = 0xb;
	c->entries[3].index = 1;
	c->entries[3].flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
	c->entries[3].ebx = 4;
	return c;
}

static void test_cpuid(void **state)
{
	struct kvm_cpuid2 *base = cpuid_base(), *c = NULL;
	struct sim_cpuid_ovr *ovr = NULL, o;
	uint32_t nr = 0, cap = 0, r[4];

	assert_int_equal(sim_cpuid_build(base, 5, false, true, NULL, 0, &c), 0);
	sim_cpuid_lookup(c, 1, 0, r);
	assert_int_equal(r[1], 0x05010800); /* APIC id in EBX[31:24] */
	assert_int_equal(r[2], (1u << 31) | (1u << 24)); /* no x2APIC */
	sim_cpuid_lookup(c, 0xb, 1, r);
	assert_int_equal(r[1], 4);
	assert_int_equal(r[3], 5); /* x2APIC id */
	sim_cpuid_lookup(c, 0x40000010, 0, r);
	assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
	free(c);

	/* Overrides: masked bits only; a per-subleaf one hits one entry; a
	 * missing leaf is added; re-registering replaces. */
	memset(&o, 0, sizeof(o));
	o.leaf = 1;
	o.val[1] = 0x02030000;
	o.mask[1] = 0xffff0000;
	assert_int_equal(sim_cpuid_ovr_add(&ovr, &nr, &cap, &o), 0);
	memset(&o, 0, sizeof(o));
	o.leaf = 0xb;
	o.subleaf = 1;
	o.per_subleaf = true;
	o.val[1] = 8;
	o.mask[1] = 0xffff;
	assert_int_equal(sim_cpuid_ovr_add(&ovr, &nr, &cap, &o), 0);
	memset(&o, 0, sizeof(o));
	o.leaf = 0x40000010;
	o.val[0] = 123;
	o.mask[0] = ~0u;
	assert_int_equal(sim_cpuid_ovr_add(&ovr, &nr, &cap, &o), 0);
	o.val[0] = 456;
	assert_int_equal(sim_cpuid_ovr_add(&ovr, &nr, &cap, &o), 0);
	assert_int_equal(nr, 3);
	assert_int_equal(sim_cpuid_build(base, 2, true, false, ovr, nr, &c), 0);
	sim_cpuid_lookup(c, 1, 0, r);
	assert_int_equal(r[1], 0x02030800);
	assert_int_equal(r[2], (1u << 31) | (1u << 21));
	sim_cpuid_lookup(c, 0xb, 0, r);
	assert_int_equal(r[1], 1);
	sim_cpuid_lookup(c, 0xb, 1, r);
	assert_int_equal(r[1], 8);
	sim_cpuid_lookup(c, 0x40000010, 0, r);
	assert_int_equal(r[0], 456);
	free(c);
	free(ovr);
	free(base);
}

static void test_decode_write_forms(void **state)
{
	struct sim_winsn w;

	assert_int_equal(DEC_W(8, 0x89, 0x07), 0); /* mov %eax,(%rdi) */
	assert_int_equal(w.kind, SIM_W_MOV_RM);
	assert_int_equal(w.len, 2);
	assert_int_equal(w.size, 4);
	assert_int_equal(w.reg, 0);
	assert_true(w.has_base);
	assert_int_equal(w.base, 7);
	/* mov %rax,8(%rsp) */
	assert_int_equal(DEC_W(8, 0x48, 0x89, 0x44, 0x24, 0x08), 0);
	assert_int_equal(w.len, 5);
	assert_int_equal(w.size, 8);
	assert_int_equal(w.base, 4);
	assert_false(w.has_index);
	assert_int_equal(w.disp, 8);
	/* movl $0xdeadbeef,0x10(%rip) */
	assert_int_equal(
		DEC_W(8, 0xc7, 0x05, 0x10, 0, 0, 0, 0xef, 0xbe, 0xad, 0xde), 0);
	assert_int_equal(w.kind, SIM_W_MOV_IMM);
	assert_int_equal(w.len, 10);
	assert_true(w.riprel);
	assert_int_equal(w.disp, 0x10);
	assert_int_equal(w.imm, 0xdeadbeef);
	/* movq $-1,(%rax): imm32 sign-extended */
	assert_int_equal(DEC_W(8, 0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0xff), 0);
	assert_int_equal(w.imm, ~0ull);
	/* mov %ax,(%rdx) */
	assert_int_equal(DEC_W(8, 0x66, 0x89, 0x02), 0);
	assert_int_equal(w.size, 2);
	/* mov %eax,0x1000: SIB without base or index */
	assert_int_equal(DEC_W(8, 0x89, 0x04, 0x25, 0, 0x10, 0, 0), 0);
	assert_false(w.has_base);
	assert_false(w.has_index);
	assert_int_equal(w.disp, 0x1000);
	/* mov %eax,(%rax,%r12,1): REX.X makes index 4 real */
	assert_int_equal(DEC_W(8, 0x42, 0x89, 0x04, 0x20), 0);
	assert_true(w.has_index);
	assert_int_equal(w.index, 12);
	/* mov %eax,-4(%ebp) in 32-bit code */
	assert_int_equal(DEC_W(4, 0x89, 0x45, 0xfc), 0);
	assert_int_equal(w.disp, -4);
	assert_int_equal(w.asize, 4);
	/* movabs %eax,0x1122334455667788 */
	assert_int_equal(DEC_W(8, 0xa3, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33,
			       0x22, 0x11),
			 0);
	assert_int_equal(w.kind, SIM_W_MOV_MOFFS);
	assert_int_equal(w.len, 9);
	assert_int_equal((uint64_t)w.disp, 0x1122334455667788ull);
	/* Strings and OUT. */
	assert_int_equal(DEC_W(8, 0xf3, 0xaa), 0);
	assert_int_equal(w.kind, SIM_W_STOS);
	assert_true(w.rep);
	assert_int_equal(w.size, 1);
	assert_int_equal(DEC_W(8, 0xf3, 0x48, 0xa5), 0);
	assert_int_equal(w.kind, SIM_W_MOVS);
	assert_int_equal(w.size, 8);
	assert_int_equal(DEC_W(4, 0xe6, 0x80), 0);
	assert_int_equal(w.kind, SIM_W_OUT_IMM);
	assert_int_equal(w.imm, 0x80);
	assert_int_equal(DEC_W(4, 0x66, 0xef), 0);
	assert_int_equal(w.kind, SIM_W_OUT_DX);
	assert_int_equal(w.size, 2);
	assert_int_equal(DEC_W(8, 0x48, 0xef), 0); /* REX.W: still 4 */
	assert_int_equal(w.size, 4);
	assert_int_equal(DEC_W(2, 0xef), 0); /* 16-bit code */
	assert_int_equal(w.size, 2);
	/* 16-bit addressing: mov %al,0x4(%bp,%si), mov %ax,0x1234 */
	assert_int_equal(DEC_W(2, 0x88, 0x42, 0x04), 0);
	assert_int_equal(w.len, 3);
	assert_int_equal(w.base, 5);
	assert_true(w.has_index);
	assert_int_equal(w.index, 6);
	assert_int_equal(w.disp, 4);
	assert_int_equal(DEC_W(4, 0x67, 0x89, 0x06, 0x34, 0x12), 0);
	assert_false(w.has_base);
	assert_int_equal(w.disp, 0x1234);
	assert_int_equal(w.len, 5);
	assert_int_equal(DEC_W(4, 0xf3, 0x6e), 0);
	assert_int_equal(w.kind, SIM_W_OUTS);
}

static void test_decode_write_refused(void **state)
{
	struct sim_winsn w;

	assert_int_equal(DEC_W(8, 0x8b, 0x07), -EINVAL); /* a load */
	assert_int_equal(DEC_W(8, 0x89, 0xc0), -EINVAL); /* reg to reg */
	assert_int_equal(DEC_W(8, 0xc6, 0x08, 0x01), -EINVAL); /* C6 /1 */
	assert_int_equal(DEC_W(8, 0xc7, 0x05, 0x10, 0), -EINVAL); /* cut */
	assert_int_equal(DEC_W(8, 0x89), -EINVAL);
	assert_int_equal(DEC_W(8, 0x66, 0x67), -EINVAL);
	assert_int_equal(DEC_W(8, 0x0f, 0xc3, 0x07), -EINVAL); /* movnti */
}

static void test_write_lin_value(void **state)
{
	struct kvm_sregs s;
	struct kvm_regs r;
	struct sim_winsn w;
	uint64_t v;

	memset(&s, 0, sizeof(s));
	memset(&r, 0, sizeof(r));
	r.rsp = 0x1000;
	r.rax = 0x1122334455667788ull;
	s.ss.base = 0x100;
	s.fs.base = 0x70000;
	assert_int_equal(DEC_W(8, 0x48, 0x89, 0x44, 0x24, 0x08), 0);
	assert_int_equal(sim_write_lin(&w, &r, &s, 8, 0), 0x1008);
	assert_true(sim_write_value(&w, &r, &v));
	assert_int_equal(v, 0x1122334455667788ull);
	/* 32-bit code: SS is the default segment for an ESP base. */
	assert_int_equal(DEC_W(4, 0x89, 0x44, 0x24, 0x08), 0);
	assert_int_equal(sim_write_lin(&w, &r, &s, 4, 0), 0x1108);
	/* RIP-relative from the next instruction. */
	assert_int_equal(DEC_W(8, 0xc7, 0x05, 0x10, 0, 0, 0, 1, 0, 0, 0), 0);
	assert_int_equal(sim_write_lin(&w, &r, &s, 8, 0x2000), 0x2010);
	assert_true(sim_write_value(&w, &r, &v));
	assert_int_equal(v, 1);
	/* FS override keeps its base in 64-bit code. */
	assert_int_equal(DEC_W(8, 0x64, 0x89, 0x04, 0x25, 0x10, 0, 0, 0), 0);
	assert_int_equal(sim_write_lin(&w, &r, &s, 8, 0), 0x70010);
	/* mov %ah,(%esi): the high byte register without REX. */
	r.rsi = 0x3000;
	assert_int_equal(DEC_W(4, 0x88, 0x26), 0);
	assert_int_equal(sim_write_lin(&w, &r, &s, 4, 0), 0x3000);
	assert_true(sim_write_value(&w, &r, &v));
	assert_int_equal(v & 0xff, 0x77);
	/* With REX, reg 4 is SPL. */
	assert_int_equal(DEC_W(8, 0x40, 0x88, 0x26), 0);
	assert_true(sim_write_value(&w, &r, &v));
	assert_int_equal(v, r.rsp);
	/* STOS writes ES:rDI, whatever the override; MOVS data is memory. */
	s.es.base = 0x500;
	r.rdi = 0x40;
	assert_int_equal(DEC_W(4, 0x2e, 0xaa), 0);
	assert_int_equal(sim_write_lin(&w, &r, &s, 4, 0), 0x540);
	assert_int_equal(DEC_W(4, 0xa5), 0);
	assert_false(sim_write_value(&w, &r, &v));
	/* 16-bit: [BP+DI-2] defaults to SS, wraps inside 64 KiB. */
	r.rbp = 0x1;
	r.rdi = 0x0;
	s.ss.base = 0x20000;
	assert_int_equal(DEC_W(2, 0x89, 0x43, 0xfe), 0);
	assert_int_equal(sim_write_lin(&w, &r, &s, 2, 0), 0x2ffff);
	/* OUT ports. */
	r.rdx = 0x123403f8;
	assert_int_equal(DEC_W(4, 0xee), 0);
	assert_int_equal(sim_write_port(&w, &r), 0x3f8);
	assert_int_equal(DEC_W(4, 0xe6, 0x70), 0);
	assert_int_equal(sim_write_port(&w, &r), 0x70);
}

static void test_write_pre(void **state)
{
	struct kvm_regs post, pre;
	struct sim_winsn w;

	memset(&post, 0, sizeof(post));
	post.rip = 0x5000;
	post.rdi = 0x1004;
	post.rsi = 0x2004;
	post.rcx = 9;
	post.rflags = 0x2;
	assert_int_equal(DEC_W(8, 0xf3, 0xab), 0); /* rep stosl */
	assert_true(sim_write_unfinished(&w, &post));
	sim_write_pre(&w, &post, &pre, 0x5000);
	assert_int_equal(pre.rdi, 0x1000);
	assert_int_equal(pre.rsi, 0x2004); /* STOS leaves rSI */
	assert_int_equal(pre.rcx, 10);
	assert_int_equal(pre.rip, 0x5000);
	/* Counting down (DF). */
	post.rflags = 0x402;
	sim_write_pre(&w, &post, &pre, 0x5000);
	assert_int_equal(pre.rdi, 0x1008);
	/* MOVS steps both, OUTS only rSI. */
	post.rflags = 0x2;
	assert_int_equal(DEC_W(8, 0xf3, 0xa4), 0);
	sim_write_pre(&w, &post, &pre, 0x5000);
	assert_int_equal(pre.rdi, 0x1003);
	assert_int_equal(pre.rsi, 0x2003);
	assert_int_equal(DEC_W(8, 0xf3, 0x6e), 0);
	sim_write_pre(&w, &post, &pre, 0x5000);
	assert_int_equal(pre.rdi, 0x1004);
	assert_int_equal(pre.rsi, 0x2003);
	/* The last iteration: RCX 0, RIP was advanced. */
	post.rcx = 0;
	assert_false(sim_write_unfinished(&w, &post));
	sim_write_pre(&w, &post, &pre, 0x4ffe);
	assert_int_equal(pre.rcx, 1);
	assert_int_equal(pre.rip, 0x4ffe);
	/* 16-bit address size: only DI steps, wrapping inside 64 KiB. */
	post.rdi = 0x12340002;
	post.rcx = 0xabcd0000;
	assert_int_equal(DEC_W(4, 0x67, 0xf3, 0xab), 0);
	assert_false(sim_write_unfinished(&w, &post)); /* CX is 0 */
	sim_write_pre(&w, &post, &pre, 0x4ffd);
	assert_int_equal(pre.rdi, 0x1234fffe);
	assert_int_equal(pre.rcx, 0xabcd0001);
	/* MOV: only RIP moves back. */
	assert_int_equal(DEC_W(8, 0x89, 0x07), 0);
	assert_false(sim_write_unfinished(&w, &post));
	sim_write_pre(&w, &post, &pre, 0x4ffe);
	post.rip = 0x4ffe;
	assert_memory_equal(&pre, &post, sizeof(pre));
}

static void test_cpu_mode(void **state)
{
	struct kvm_sregs s;

	memset(&s, 0, sizeof(s));
	assert_int_equal(sim_cpu_mode(&s), 2);
	s.cr0 = 1;
	s.cs.db = 1;
	assert_int_equal(sim_cpu_mode(&s), 4);
	s.efer = 1u << 10;
	s.cs.l = 1;
	s.cs.db = 0;
	assert_int_equal(sim_cpu_mode(&s), 8);
	s.cs.l = 0; /* compatibility mode */
	s.cs.db = 1;
	assert_int_equal(sim_cpu_mode(&s), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_io),
		cmocka_unit_test(test_segments),
		cmocka_unit_test(test_exec_state_and_header),
		cmocka_unit_test(test_hvcall_check),
		cmocka_unit_test(test_status_errno),
		cmocka_unit_test(test_assert_to_msi),
		cmocka_unit_test(test_cpuid),
		cmocka_unit_test(test_decode_write_forms),
		cmocka_unit_test(test_decode_write_refused),
		cmocka_unit_test(test_write_lin_value),
		cmocka_unit_test(test_write_pre),
		cmocka_unit_test(test_cpu_mode),
	};

	return cmocka_run_group_tests_name("mshv_sim", tests, NULL, NULL);
}

#else /* the simulator is x86_64-only */

static void test_not_x86(void **state)
{
	skip();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_x86),
	};

	return cmocka_run_group_tests_name("mshv_sim", tests, NULL, NULL);
}

#endif
