// SPDX-License-Identifier: Apache-2.0
/*
 * test_x86_emu_hostile.c - x86 instruction emulator under hostile input:
 * random instruction bytes and vCPU state (every result is 0 or an
 * expected negative errno, the callbacks only see lengths the contract
 * allows, RIP never moves on failure), truncated instruction buffers (the
 * missing bytes are fetched and give the same result; missing memory
 * gives an error), failing callbacks at every call, and bad arguments.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "tests/unit/x86_emu_fake.h"

#define M FK_MMIO

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A register value that often lands in RAM or MMIO. */
static uint64_t rng_addr(uint64_t *s)
{
	uint64_t r = rng_next(s);

	switch (r & 7) {
	case 0:
	case 1:
		return (r >> 8) & (FK_RAM_SIZE - 1);
	case 2:
	case 3:
		return M + ((r >> 8) & (FK_MMIO_SIZE - 1));
	case 4:
		return (r >> 8) & 0x3f;
	default:
		return rng_next(s);
	}
}

static void restore_identity_map(struct fk *fk)
{
	uint64_t i;

	memset(fk->ram + FK_PML4, 0, 0x2000);
	fk_put(fk, FK_PML4, 0x2000 | PG_P | PG_RW | PG_US, 8);
	for (i = 0; i < 4; i++)
		fk_put(fk, 0x2000 + i * 8,
		       (i << 30) | PG_P | PG_RW | PG_US | PG_PS, 8);
}

static const uint8_t interesting[] = {
	0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26, 0x2e, 0x36, 0x3e, 0x64,
	0x65, 0x48, 0x4c, 0x41, 0x0f, 0x88, 0x89, 0x8a, 0x8b, 0xc6,
	0xc7, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xaa, 0xab, 0x6c,
	0x6d, 0x6e, 0x6f, 0x80, 0x81, 0x83, 0x84, 0x85, 0x86, 0x87,
	0xf6, 0xf7, 0x01, 0x39, 0xe4, 0xed, 0xee, 0xb6, 0xbf,
};

static void test_random_bytes(void **state)
{
	struct x86_emu_fault fault;
	struct x86_emu_cpu cpu, in;
	struct fk *fk = fk_new();
	uint64_t s = 0x9e3779b97f4a7c15ull, r;
	uint8_t insn[16];
	unsigned int iter, i, ok = 0;
	size_t n;
	int rc;

	assert_non_null(fk);
	for (iter = 0; iter < 30000; iter++) {
		r = rng_next(&s);
		fk_cpu_init(&cpu, (int)(r % 3));
		for (i = 0; i < 16; i++) {
			uint64_t b = rng_next(&s);

			insn[i] = (b & 1) ? interesting[(b >> 8) %
							sizeof(interesting)] :
					    (uint8_t)(b >> 8);
			cpu.gpr[i] = rng_addr(&s);
		}
		cpu.gpr[X86_RCX] &= (r & 0x100) ? ~0ull : 0x3f;
		for (i = 0; i < X86_SEG_NR; i++)
			cpu.seg_base[i] = (r >> (12 + i)) & 1 ? rng_addr(&s) :
								0;
		cpu.rip = (r >> 20) & 1 ? rng_addr(&s) : FK_CODE;
		cpu.rflags |= (r >> 21) & 1 ? FL_DF : 0;
		cpu.cpl = (r >> 22) & 1 ? 3 : 0;
		if ((r >> 23) & 1)
			cpu.cr4 |= CR4_LA57 | CR4_SMAP | CR4_SMEP;
		if ((r >> 24) & 1)
			memcpy(fk->ram +
				       (cpu.rip & (FK_RAM_SIZE - 1) & ~0xfull),
			       insn, 16);
		n = (r >> 25) % 17;
		restore_identity_map(fk);
		fk->violations = 0;
		fk->nlog = 0;
		in = cpu;
		rc = x86_emu_step(&cpu, insn, n, &fk_ops, fk, &fault);
		if (rc != 0 && rc != -EFAULT && rc != -EINVAL &&
		    rc != -EOPNOTSUPP && rc != -ENXIO)
			fail_msg("iteration %u: rc %d", iter, rc);
		assert_int_equal(fk->violations, 0);
		if (rc)
			assert_int_equal(cpu.rip, in.rip);
		if (rc == -EFAULT)
			assert_true(fault.vector == 12 || fault.vector == 13 ||
				    fault.vector == 14);
		if (!rc) {
			ok++;
			assert_int_equal(cpu.cr3, in.cr3);
			assert_int_equal(cpu.rflags & ~(uint64_t)FL_ARITH,
					 in.rflags & ~(uint64_t)FL_ARITH);
		}
	}
	/* The generator must reach the executor, not just the decoder. */
	assert_true(ok > 1000);
	free(fk);
}

static const struct {
	uint8_t n;
	uint8_t b[15];
} valid_insns[] = {
	{ 2, { 0x89, 0x03 } },
	{ 7, { 0xc7, 0x43, 0x10, 0x78, 0x56, 0x34, 0x12 } },
	{ 7, { 0x48, 0xc7, 0x03, 0xf0, 0xff, 0xff, 0xff } },
	{ 9, { 0xa1, 0x00, 0x01, 0x00, 0xfe, 0x00, 0x00, 0x00, 0x00 } },
	{ 4, { 0x4c, 0x8b, 0x3c, 0x8b } },
	{ 8, { 0x67, 0x8b, 0x04, 0x25, 0x10, 0x00, 0x00, 0xfe } },
	{ 3, { 0x80, 0x3b, 0x7f } },
	{ 4, { 0x0f, 0xb6, 0x43, 0x01 } },
	{ 3, { 0xf3, 0x48, 0xab } },
	{ 6, { 0x64, 0x66, 0xf7, 0x03, 0x01, 0x80 } },
	{ 15,
	  { 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0x3e, 0xc7, 0x03,
	    0x01, 0x02, 0x03, 0x04 } },
};

static void setup_regs(struct x86_emu_cpu *cpu)
{
	fk_cpu_init(cpu, FK_M64);
	cpu->gpr[X86_RAX] = 0x1122334455667788ull;
	cpu->gpr[X86_RBX] = M + 0x100;
	cpu->gpr[X86_RCX] = 3;
	cpu->gpr[X86_RDI] = M + 0x200;
	cpu->seg_base[X86_SEG_FS] = 0x40;
}

/* Missing bytes are fetched (same result) or fail cleanly. */
static void test_truncated(void **state)
{
	struct x86_emu_cpu full, part;
	struct x86_emu_fault fault;
	struct fk *fa = fk_new(), *fb = fk_new();
	unsigned int i, k;
	uint64_t rip;

	assert_non_null(fa);
	assert_non_null(fb);
	for (i = 0; i < sizeof(valid_insns) / sizeof(valid_insns[0]); i++) {
		unsigned int n = valid_insns[i].n;
		const uint8_t *b = valid_insns[i].b;

		for (k = 0; k < n; k++) {
			/* The rest is in RAM just below the end of RAM. */
			rip = FK_RAM_SIZE - n;
			setup_regs(&full);
			full.rip = rip;
			part = full;
			fa->nlog = fb->nlog = 0;
			memcpy(fb->ram + rip, b, n);
			assert_int_equal(x86_emu_step(&full, b, n, &fk_ops, fa,
						      &fault),
					 0);
			assert_int_equal(x86_emu_step(&part, b, k, &fk_ops, fb,
						      &fault),
					 0);
			assert_memory_equal(&full, &part, sizeof(full));
			assert_int_equal(fa->nlog, fb->nlog);
			assert_memory_equal(fa->log, fb->log,
					    fa->nlog * sizeof(fa->log[0]));
			assert_memory_equal(fa->mmio, fb->mmio, FK_MMIO_SIZE);

			/* The rest is past the end of RAM: nothing there. */
			setup_regs(&part);
			part.rip = FK_RAM_SIZE - k;
			full = part;
			memcpy(fb->ram + FK_RAM_SIZE - k, b, k);
			fb->nlog = 0;
			assert_int_equal(x86_emu_step(&part, b, k, &fk_ops, fb,
						      &fault),
					 -ENXIO);
			assert_memory_equal(&full, &part, sizeof(full));
			assert_int_equal(fb->nlog, 0);
		}
	}
	free(fa);
	free(fb);
}

/* Fail the n-th callback of an instruction for every n it makes. */
static void fail_every_call(const uint8_t *insn, size_t len, size_t n,
			    bool string, void (*setup)(struct x86_emu_cpu *cpu))
{
	struct x86_emu_fault fault;
	struct x86_emu_cpu cpu, in;
	struct fk *fk = fk_new();
	unsigned int calls, at;

	assert_non_null(fk);
	memcpy(fk->ram + FK_CODE, insn, len);
	setup(&cpu);
	assert_int_equal(x86_emu_step(&cpu, insn, n, &fk_ops, fk, &fault), 0);
	calls = fk->calls;
	assert_true(calls > 0);
	for (at = 1; at <= calls + 1; at++) {
		fk->calls = 0;
		fk->fail_at = at;
		setup(&cpu);
		in = cpu;
		if (at > calls) {
			assert_int_equal(x86_emu_step(&cpu, insn, n, &fk_ops,
						      fk, &fault),
					 0);
			continue;
		}
		assert_int_equal(
			x86_emu_step(&cpu, insn, n, &fk_ops, fk, &fault), -EIO);
		assert_int_equal(cpu.rip, in.rip);
		if (!string)
			assert_memory_equal(&cpu, &in, sizeof(cpu));
	}
	free(fk);
}

static void setup_fetch(struct x86_emu_cpu *cpu)
{
	setup_regs(cpu);
	cpu->gpr[X86_RSI] = 0x3000;
	cpu->gpr[X86_RDX] = 0x3f8;
}

static void test_callback_errors(void **state)
{
	static const uint8_t add_fs[] = { 0x64, 0x01, 0x43, 0x08 };
	static const uint8_t xchg[] = { 0x87, 0x03 };
	static const uint8_t rep_movs[] = { 0xf3, 0xa5 };
	static const uint8_t rep_outs[] = { 0xf3, 0x6e };
	static const uint8_t in_al[] = { 0xe4, 0x70 };

#define ALL(x) x, sizeof(x), sizeof(x)
	fail_every_call(ALL(add_fs), false, setup_fetch);
	fail_every_call(ALL(xchg), false, setup_fetch);
	fail_every_call(ALL(in_al), false, setup_fetch);
	fail_every_call(ALL(rep_movs), true, setup_fetch);
	fail_every_call(ALL(rep_outs), true, setup_fetch);
	/* No bytes given: the fetch itself fails at each step. */
	fail_every_call(add_fs, sizeof(add_fs), 0, false, setup_fetch);
#undef ALL
}

static int read_positive(void *ctx, uint64_t gpa, void *buf, uint32_t len)
{
	memset(buf, 0, len);
	return 1;
}

static void test_bad_arguments(void **state)
{
	static const uint8_t mov[16] = { 0x89, 0x03, 0xff, 0xff, 0xff };
	struct x86_emu_ops ops = fk_ops;
	struct x86_emu_fault fault;
	struct x86_emu_cpu cpu, in;
	struct fk *fk = fk_new();

	assert_non_null(fk);
	setup_regs(&cpu);
	in = cpu;
	assert_int_equal(x86_emu_step(NULL, mov, 2, &fk_ops, fk, &fault),
			 -EINVAL);
	assert_int_equal(x86_emu_step(&cpu, mov, 2, NULL, fk, &fault), -EINVAL);
	assert_int_equal(x86_emu_step(&cpu, NULL, 2, &fk_ops, fk, &fault),
			 -EINVAL);
	ops.write_phys = NULL;
	assert_int_equal(x86_emu_step(&cpu, mov, 2, &ops, fk, &fault), -EINVAL);
	ops = fk_ops;
	ops.read_phys = NULL;
	assert_int_equal(x86_emu_step(&cpu, mov, 2, &ops, fk, &fault), -EINVAL);
	assert_memory_equal(&cpu, &in, sizeof(cpu));
	assert_int_equal(fk->calls, 0);

	/* A callback returning a positive value is an I/O error. */
	ops = fk_ops;
	ops.read_phys = read_positive;
	assert_int_equal(x86_emu_step(&cpu, mov, 2, &ops, fk, &fault), -EIO);
	assert_memory_equal(&cpu, &in, sizeof(cpu));

	/* More than 16 bytes given: only the instruction is used. */
	assert_int_equal(x86_emu_step(&cpu, mov, 1000, &fk_ops, fk, &fault), 0);
	assert_int_equal(cpu.rip, in.rip + 2);

	/* No bytes at all: fetched through the walk; NULL fault is fine. */
	memcpy(fk->ram + FK_CODE, mov, 2);
	cpu = in;
	assert_int_equal(x86_emu_step(&cpu, NULL, 0, &fk_ops, fk, NULL), 0);
	assert_int_equal(cpu.rip, in.rip + 2);
	assert_int_equal(fk_get(fk, M + 0x100, 4), 0x55667788);
	cpu = in;
	cpu.gpr[X86_RBX] = 0x0000900000000000ull;
	assert_int_equal(x86_emu_step(&cpu, mov, 2, &fk_ops, fk, NULL),
			 -EFAULT);
	free(fk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_bytes),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_callback_errors),
		cmocka_unit_test(test_bad_arguments),
	};

	return cmocka_run_group_tests_name("x86_emu_hostile", tests, NULL,
					   NULL);
}
