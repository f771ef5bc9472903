// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_x86_emu.c - libFuzzer target for the x86 instruction emulator.
 * The input is a vCPU state (mode, paging mode, control bits, registers,
 * segment bases), up to 16 instruction bytes and the content of a small
 * guest RAM that every GPA aliases into (so page-table pointers always
 * land somewhere), plus an MMIO window, an unmapped range and an optional
 * failing callback.  Each input runs twice on identical copies and must
 * give identical results; the callbacks and the results are checked
 * against the x86_emu.h contract and any breach traps.  A direct
 * x86_emu_translate call on a fuzzed address is checked as well.
 *
 * Build and run (from the repository root):
 *   clang -std=gnu11 -g -O1 -I. -D_GNU_SOURCE \
 *     -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
 *     tests/fuzz/fuzz_x86_emu.c hv/x86emu/x86_decode.c \
 *     hv/x86emu/x86_exec.c hv/x86emu/x86_walk.c -o /tmp/x86emu/fuzz_x86_emu
 *   mkdir -p /tmp/x86emu/corpus
 *   /tmp/x86emu/fuzz_x86_emu -max_total_time=120 -max_len=16384 \
 *     /tmp/x86emu/corpus
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hv/x86emu/x86_emu.h"

#define FZ_RAM_SIZE 0x10000u
#define FZ_MMIO 0x80000000ull /* [2G, 2G + 64K): logged device window */
#define FZ_HOLE (1ull << 40) /* at and above: nothing there */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz {
	uint8_t ram[FZ_RAM_SIZE];
	uint64_t mmio_seed;
	uint64_t sum; /* digest of every access, compared between runs */
	unsigned int calls;
	unsigned int fail_at;
};

#define CHECK(c)                          \
	do {                              \
		if (!(c))                 \
			__builtin_trap(); \
	} while (0)

static void fz_mix(struct fz *f, uint64_t v)
{
	f->sum = (f->sum ^ v) * 0x100000001b3ull;
}

static int fz_phys(struct fz *f, uint64_t gpa, void *buf, uint32_t len,
		   int write)
{
	uint8_t *p = buf;
	uint32_t i;

	CHECK(len >= 1 && len <= 4096);
	CHECK(len <= 8 || (gpa & 0xfff) + len <= 4096);
	f->calls++;
	fz_mix(f, gpa ^ ((uint64_t)len << 56) ^ ((uint64_t)write << 63));
	if (f->fail_at && f->calls == f->fail_at)
		return -EIO;
	if (gpa >= FZ_HOLE)
		return -ENXIO;
	/* Data accesses are 1-8 bytes; an instruction fetch may be longer. */
	if (gpa >= FZ_MMIO && gpa < FZ_MMIO + FZ_RAM_SIZE) {
		for (i = 0; i < len; i++) {
			if (write)
				fz_mix(f, p[i]);
			else
				p[i] = (uint8_t)(f->mmio_seed >> (i % 8 * 8)) ^
				       (uint8_t)gpa;
		}
		return 0;
	}
	for (i = 0; i < len; i++) {
		uint8_t *r = &f->ram[(gpa + i) % FZ_RAM_SIZE];

		if (write)
			*r = p[i];
		else
			p[i] = *r;
	}
	return 0;
}

static int fz_read(void *ctx, uint64_t gpa, void *buf, uint32_t len)
{
	return fz_phys(ctx, gpa, buf, len, 0);
}

static int fz_write(void *ctx, uint64_t gpa, const void *buf, uint32_t len)
{
	return fz_phys(ctx, gpa, (void *)buf, len, 1);
}

static int fz_pio(void *ctx, uint16_t port, void *data, uint32_t len, int write)
{
	struct fz *f = ctx;
	uint8_t *p = data;
	uint32_t i;

	CHECK(len == 1 || len == 2 || len == 4);
	f->calls++;
	fz_mix(f, port ^ ((uint64_t)len << 32) ^ ((uint64_t)write << 40));
	if (f->fail_at && f->calls == f->fail_at)
		return -EIO;
	for (i = 0; i < len; i++) {
		if (write)
			fz_mix(f, p[i]);
		else
			p[i] = (uint8_t)(port + i);
	}
	return 0;
}

/* Input layout, in order. */
struct fz_hdr {
	uint8_t mode; /* bits 0-1 code size, 2-4 paging, 5 cpl3, 6 DF, 7 AC */
	uint8_t ctl; /* WP, NXE, SMEP, SMAP, PSE, no-pio, LA57-in-4L, -- */
	uint8_t insn_len;
	uint8_t fail_at;
	uint8_t acc; /* for the direct translate call */
	uint8_t pad[3];
	uint8_t insn[16];
	uint64_t gpr[16];
	uint64_t seg[X86_SEG_NR];
	uint64_t rip, cr3, mmio_seed, gva;
};

static void fz_cpu(const struct fz_hdr *h, struct x86_emu_cpu *cpu)
{
	unsigned int paging = (h->mode >> 2) & 7;

	memset(cpu, 0, sizeof(*cpu));
	memcpy(cpu->gpr, h->gpr, sizeof(cpu->gpr));
	memcpy(cpu->seg_base, h->seg, sizeof(cpu->seg_base));
	cpu->rip = h->rip;
	cpu->cr3 = h->cr3;
	cpu->rflags = 0x2 | ((h->mode & 0x40) ? 0x400 : 0) |
		      ((h->mode & 0x80) ? 0x40000 : 0);
	cpu->cpl = (h->mode & 0x20) ? 3 : 0;
	cpu->cs_l = (h->mode & 3) == 2;
	cpu->cs_db = (h->mode & 3) == 1 || (h->mode & 3) == 3;
	cpu->cr0 = 1 | ((h->ctl & 1) ? 1u << 16 : 0);
	cpu->efer = (h->ctl & 2) ? 1u << 11 : 0;
	cpu->cr4 = ((h->ctl & 4) ? 1u << 20 : 0) |
		   ((h->ctl & 8) ? 1u << 21 : 0) |
		   ((h->ctl & 16) ? 1u << 4 : 0);
	switch (paging) {
	case 0:
		break;
	case 1: /* 32-bit */
		cpu->cr0 |= 1u << 31;
		break;
	case 2: /* PAE */
		cpu->cr0 |= 1u << 31;
		cpu->cr4 |= 1u << 5;
		break;
	case 3: /* 4-level */
	case 4: /* 5-level */
	default:
		cpu->cr0 |= 1u << 31;
		cpu->cr4 |= 1u << 5;
		if (paging == 4 || (h->ctl & 64))
			cpu->cr4 |= 1u << 12;
		cpu->efer |= (1u << 8) | (1u << 10);
		break;
	}
}

struct fz_result {
	int rc;
	struct x86_emu_cpu cpu;
	struct x86_emu_fault fault;
	uint64_t sum;
	unsigned int calls;
};

static void fz_run(const struct fz_hdr *h, const uint8_t *mem, size_t mlen,
		   struct fz *f, struct fz_result *res)
{
	const struct x86_emu_ops ops = {
		.read_phys = fz_read,
		.write_phys = fz_write,
		.pio = (h->ctl & 32) ? NULL : fz_pio,
	};
	struct x86_emu_cpu in;
	uint64_t ipmask, adv;
	int rc = 0;

	memset(f, 0, sizeof(*f));
	memcpy(f->ram, mem, mlen);
	f->mmio_seed = h->mmio_seed;
	f->fail_at = h->fail_at;
	fz_cpu(h, &res->cpu);
	in = res->cpu;
	memset(&res->fault, 0xa5, sizeof(res->fault));
	rc = x86_emu_step(&res->cpu, h->insn, h->insn_len % 17, &ops, f,
			  &res->fault);
	CHECK(rc == 0 || rc == -EFAULT || rc == -EINVAL || rc == -EOPNOTSUPP ||
	      rc == -ENXIO || rc == -EIO);
	/* Control state is never touched. */
	CHECK(res->cpu.cr0 == in.cr0 && res->cpu.cr3 == in.cr3 &&
	      res->cpu.cr4 == in.cr4 && res->cpu.efer == in.efer &&
	      res->cpu.cpl == in.cpl &&
	      !memcmp(res->cpu.seg_base, in.seg_base, sizeof(in.seg_base)));
	CHECK(!((res->cpu.rflags ^ in.rflags) & ~0x8d5ull));
	if (rc) {
		CHECK(res->cpu.rip == in.rip);
		CHECK(res->cpu.rflags == in.rflags);
	} else {
		ipmask = ((in.efer >> 10) & 1) && in.cs_l ?
				 ~0ull :
				 (in.cs_db ? 0xffffffffull : 0xffffull);
		adv = (res->cpu.rip - in.rip) & ipmask;
		CHECK(adv <= 15);
	}
	if (rc == -EFAULT) {
		CHECK(res->fault.has_error_code == 1);
		CHECK(res->fault.vector == 12 || res->fault.vector == 13 ||
		      res->fault.vector == 14);
		if (res->fault.vector == 14)
			CHECK(!(res->fault.error_code & ~0x1fu));
		else
			CHECK(res->fault.error_code == 0);
	}
	res->rc = rc;
	res->sum = f->sum;
	res->calls = f->calls;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_result a, b;
	struct x86_emu_fault fault;
	struct x86_emu_cpu cpu;
	const uint8_t *mem;
	struct fz_hdr h;
	struct fz *f;
	uint64_t gpa;
	size_t mlen;
	int rc;

	if (size < sizeof(h))
		return 0;
	memcpy(&h, data, sizeof(h));
	mem = data + sizeof(h);
	mlen = size - sizeof(h);
	if (mlen > FZ_RAM_SIZE)
		mlen = FZ_RAM_SIZE;
	f = malloc(sizeof(*f));
	if (!f)
		return 0;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	fz_run(&h, mem, mlen, f, &a);
	fz_run(&h, mem, mlen, f, &b);
	/* Deterministic: no uninitialised state leaks into the result. */
	CHECK(a.rc == b.rc && a.sum == b.sum && a.calls == b.calls);
	CHECK(!memcmp(&a.cpu, &b.cpu, sizeof(a.cpu)));
	if (a.rc == -EFAULT)
		CHECK(!memcmp(&a.fault, &b.fault, sizeof(a.fault)));

	/* The walk on its own: a success keeps the page offset. */
	memset(f, 0, sizeof(*f));
	memcpy(f->ram, mem, mlen);
	fz_cpu(&h, &cpu);
	rc = x86_emu_translate(&cpu,
			       &(const struct x86_emu_ops){
				       .read_phys = fz_read,
				       .write_phys = fz_write,
			       },
			       f, h.gva, h.acc & 3, &gpa, &fault);
	CHECK(rc == 0 || rc == -EFAULT || rc == -ENXIO);
	if (!rc)
		CHECK((gpa & 0xfff) == (h.gva & 0xfff));
	if (rc == -EFAULT && fault.vector == 14)
		CHECK(fault.cr2 ==
		      ((cpu.efer >> 10) & 1 ? h.gva : h.gva & 0xffffffff));
	free(f);
	return 0;
}
