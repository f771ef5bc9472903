// SPDX-License-Identifier: Apache-2.0
/*
 * test_boot_cpu.c - boot GDT, identity page tables and initial registers.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86_64/boot.h"
#include "arch/x86_64/layout.h"
#include "vmm/guest_mem.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define RAM_SIZE (2 * MiB)

static const struct x86_boot_info bi64 = {
	.mode = X86_ENTRY_LINUX64,
	.entry = 0x1000200,
	.params_addr = 0x7000,
};

static const struct x86_boot_info bi32 = {
	.mode = X86_ENTRY_PVH32,
	.entry = 0x1000850,
	.params_addr = 0x6000,
};

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static void check_seg(const struct hv_x86_segment *s, uint64_t base,
		      uint32_t limit, uint16_t sel, uint8_t type,
		      uint8_t present, uint8_t db, uint8_t sflag, uint8_t l,
		      uint8_t g, uint8_t unusable)
{
	assert_int_equal(s->base, base);
	assert_int_equal(s->limit, limit);
	assert_int_equal(s->selector, sel);
	assert_int_equal(s->type, type);
	assert_int_equal(s->present, present);
	assert_int_equal(s->dpl, 0);
	assert_int_equal(s->db, db);
	assert_int_equal(s->s, sflag);
	assert_int_equal(s->l, l);
	assert_int_equal(s->g, g);
	assert_int_equal(s->avl, 0);
	assert_int_equal(s->unusable, unusable);
}

static void check_common(const struct hv_x86_sregs *s)
{
	const struct hv_x86_segment *data[] = { &s->ds, &s->es, &s->fs, &s->gs,
						&s->ss };
	unsigned int i;

	for (i = 0; i < 5; i++)
		check_seg(data[i], 0, 0xffffffff, 0x18, 3, 1, 1, 1, 0, 1, 0);
	check_seg(&s->tr, 0, 0x67, 0, 11, 1, 0, 0, 0, 0, 0);
	assert_int_equal(s->ldt.unusable, 1);
	assert_int_equal(s->ldt.selector, 0);
	assert_int_equal(s->gdt.base, 0x500);
	assert_int_equal(s->gdt.limit, 31);
	assert_int_equal(s->idt.base, 0x520);
	assert_int_equal(s->idt.limit, 0);
	assert_int_equal(s->cr2, 0);
	assert_int_equal(s->cr8, 0);
	assert_int_equal(s->apic_base, 0);
}

static void test_state_linux64(void **state)
{
	struct hv_x86_regs r;
	struct hv_x86_sregs s;

	memset(&r, 0xa5, sizeof(r));
	memset(&s, 0xa5, sizeof(s));
	assert_int_equal(x86_boot_cpu_state(&bi64, 0, &r, &s), 0);
	check_seg(&s.cs, 0, 0xffffffff, 0x10, 11, 1, 0, 1, 1, 1, 0);
	check_common(&s);
	assert_int_equal(s.cr0, 0x80000011);
	assert_int_equal(s.cr3, 0x9000);
	assert_int_equal(s.cr4, 0x20);
	assert_int_equal(s.efer, 0x500);

	assert_int_equal(r.rip, 0x1000200);
	assert_int_equal(r.rsi, 0x7000);
	assert_int_equal(r.rsp, 0x8ff0);
	assert_int_equal(r.rflags, 2);
	assert_int_equal(r.rax | r.rbx | r.rcx | r.rdx | r.rdi | r.rbp, 0);
	assert_int_equal(
		r.r8 | r.r9 | r.r10 | r.r11 | r.r12 | r.r13 | r.r14 | r.r15, 0);
}

static void test_state_pvh32(void **state)
{
	struct hv_x86_regs r;
	struct hv_x86_sregs s;

	memset(&r, 0xa5, sizeof(r));
	memset(&s, 0xa5, sizeof(s));
	assert_int_equal(x86_boot_cpu_state(&bi32, 0, &r, &s), 0);
	check_seg(&s.cs, 0, 0xffffffff, 0x10, 11, 1, 1, 1, 0, 1, 0);
	check_common(&s);
	assert_int_equal(s.cr0, 0x11);
	assert_int_equal(s.cr3, 0);
	assert_int_equal(s.cr4, 0);
	assert_int_equal(s.efer, 0);

	assert_int_equal(r.rip, 0x1000850);
	assert_int_equal(r.rbx, 0x6000);
	assert_int_equal(r.rsp, 0x8ff0);
	assert_int_equal(r.rflags, 2);
	assert_int_equal(r.rax | r.rcx | r.rdx | r.rsi | r.rdi | r.rbp, 0);
}

static void test_state_ap_and_bad(void **state)
{
	struct x86_boot_info bad = bi64;
	struct hv_x86_regs r;
	struct hv_x86_sregs s;

	assert_int_equal(x86_boot_cpu_state(&bi64, 1, &r, &s), -EAGAIN);
	assert_int_equal(x86_boot_cpu_state(&bi32, 7, &r, &s), -EAGAIN);
	bad.mode = 0;
	assert_int_equal(x86_boot_cpu_state(&bad, 0, &r, &s), -EINVAL);
	bad.mode = 3;
	assert_int_equal(x86_boot_cpu_state(&bad, 0, &r, &s), -EINVAL);
	assert_int_equal(x86_boot_cpu_state(NULL, 0, &r, &s), -EINVAL);
	assert_int_equal(x86_boot_cpu_state(&bi64, 0, NULL, &s), -EINVAL);
	assert_int_equal(x86_boot_cpu_state(&bi64, 0, &r, NULL), -EINVAL);
}

/* Decode a GDT descriptor the way the CPU loads it into a segment. */
static void desc_to_seg(uint64_t d, uint16_t sel, struct hv_x86_segment *s)
{
	uint32_t lim = (uint32_t)((d & 0xffff) | ((d >> 32) & 0xf0000));

	memset(s, 0, sizeof(*s));
	s->base = ((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000);
	s->g = (d >> 55) & 1;
	s->limit = s->g ? (lim << 12) | 0xfff : lim;
	s->selector = sel;
	s->type = (d >> 40) & 0xf;
	s->s = (d >> 44) & 1;
	s->dpl = (d >> 45) & 3;
	s->present = (d >> 47) & 1;
	s->avl = (d >> 52) & 1;
	s->l = (d >> 53) & 1;
	s->db = (d >> 54) & 1;
}

static struct guest_mem *new_ram(uint8_t **ram, uint64_t gpa, uint64_t size)
{
	struct guest_mem *m = malloc(sizeof(*m));

	assert_non_null(m);
	*ram = malloc(size);
	assert_non_null(*ram);
	memset(*ram, 0xcc, size);
	guest_mem_init(m);
	assert_int_equal(guest_mem_add_external(m, gpa, size, *ram), 0);
	return m;
}

static void free_ram(struct guest_mem *m, uint8_t *ram)
{
	guest_mem_destroy(m);
	free(m);
	free(ram);
}

static void check_gdt(const uint8_t *ram, const struct x86_boot_info *bi,
		      uint64_t want_cs)
{
	struct hv_x86_segment cs, ds;
	struct hv_x86_regs r;
	struct hv_x86_sregs s;
	size_t i;

	assert_int_equal(rd64(ram + 0x500), 0);
	assert_int_equal(rd64(ram + 0x508), 0);
	assert_int_equal(rd64(ram + 0x510), want_cs);
	assert_int_equal(rd64(ram + 0x518), 0x00cf93000000ffffull);
	for (i = 0x520; i < 0x530; i++)
		assert_int_equal(ram[i], 0);

	/* The sregs equal what loading 0x10/0x18 from this GDT gives. */
	assert_int_equal(x86_boot_cpu_state(bi, 0, &r, &s), 0);
	desc_to_seg(rd64(ram + 0x510), 0x10, &cs);
	desc_to_seg(rd64(ram + 0x518), 0x18, &ds);
	assert_memory_equal(&cs, &s.cs, sizeof(cs));
	assert_memory_equal(&ds, &s.ds, sizeof(ds));
	assert_memory_equal(&ds, &s.ss, sizeof(ds));
	assert_memory_equal(&ds, &s.es, sizeof(ds));
	assert_memory_equal(&ds, &s.fs, sizeof(ds));
	assert_memory_equal(&ds, &s.gs, sizeof(ds));
}

/* Walk the 4-level tables from CR3; returns the physical address. */
static uint64_t walk(const uint8_t *ram, uint64_t cr3, uint64_t va)
{
	const uint64_t mask = 0x000ffffffffff000ull;
	uint64_t e;

	e = rd64(ram + (cr3 & mask) + ((va >> 39) & 511) * 8);
	assert_int_equal(e & 3, 3); /* P|RW */
	assert_int_equal(e & 0x80, 0);
	e = rd64(ram + (e & mask) + ((va >> 30) & 511) * 8);
	assert_int_equal(e & 3, 3);
	assert_int_equal(e & 0x80, 0); /* not a 1 GiB page */
	e = rd64(ram + (e & mask) + ((va >> 21) & 511) * 8);
	assert_int_equal(e & 0x83, 0x83); /* P|RW|PS: 2 MiB page */
	assert_int_equal(e & ~(mask | 0xfffull), 0); /* no NX etc. */
	return (e & 0x000fffffffe00000ull) | (va & 0x1fffff);
}

static void test_tables_linux64(void **state)
{
	static const uint64_t va[] = {
		0,	  2 * MiB, GiB + 0x1000, 0xf9999000ull, 0xfffff000ull,
		0x1000123
	};
	struct hv_x86_regs r;
	struct hv_x86_sregs s;
	uint8_t *ram;
	struct guest_mem *m = new_ram(&ram, 0, RAM_SIZE);
	unsigned int i;

	assert_int_equal(x86_boot_write_tables(m, &bi64), 0);
	check_gdt(ram, &bi64, 0x00af9b000000ffffull);
	assert_int_equal(x86_boot_cpu_state(&bi64, 0, &r, &s), 0);
	for (i = 0; i < sizeof(va) / sizeof(va[0]); i++)
		assert_int_equal(walk(ram, s.cr3, va[i]), va[i]);
	/* Exactly 4 GiB: PML4[0] only, PDPT[0..3] only. */
	for (i = 1; i < 512; i++)
		assert_int_equal(rd64(ram + 0x9000 + i * 8), 0);
	for (i = 4; i < 512; i++)
		assert_int_equal(rd64(ram + 0xa000 + i * 8), 0);
	/* Nothing after the last PD. */
	assert_int_equal(ram[0xf000], 0xcc);
	free_ram(m, ram);
}

static void test_tables_pvh32(void **state)
{
	uint8_t *ram;
	struct guest_mem *m = new_ram(&ram, 0, RAM_SIZE);

	assert_int_equal(x86_boot_write_tables(m, &bi32), 0);
	check_gdt(ram, &bi32, 0x00cf9b000000ffffull);
	/* No page tables for PVH: the kernel builds its own. */
	assert_int_equal(ram[0x9000], 0xcc);
	assert_int_equal(ram[0xb000], 0xcc);
	free_ram(m, ram);
}

static void test_tables_efault(void **state)
{
	struct x86_boot_info bad = bi64;
	uint8_t *ram;
	struct guest_mem *m = new_ram(&ram, MiB, MiB); /* no low RAM */

	assert_int_equal(x86_boot_write_tables(m, &bi64), -EFAULT);
	free_ram(m, ram);

	/* GDT fits, page tables do not. */
	m = new_ram(&ram, 0, 0x9000);
	assert_int_equal(x86_boot_write_tables(m, &bi32), 0);
	assert_int_equal(x86_boot_write_tables(m, &bi64), -EFAULT);
	free_ram(m, ram);
	m = new_ram(&ram, 0, 0xc000); /* PML4, PDPT, first PD only */
	assert_int_equal(x86_boot_write_tables(m, &bi64), -EFAULT);
	bad.mode = 9;
	assert_int_equal(x86_boot_write_tables(m, &bad), -EINVAL);
	assert_int_equal(x86_boot_write_tables(NULL, &bi64), -EINVAL);
	free_ram(m, ram);
}

/* A minimal hypervisor: two register ops recording what they get. */
struct hv_vcpu {
	struct hv_x86_sregs sregs;
	struct hv_x86_regs regs;
	int calls[8]; /* set ids in order, get as -id */
	unsigned int ncalls;
	int fail_get;
};

static int fake_get(struct hv_vcpu *v, uint32_t set, void *buf, size_t len)
{
	v->calls[v->ncalls++] = -(int)set;
	if (v->fail_get)
		return v->fail_get;
	assert_int_equal(set, HV_REGS_SPECIAL);
	assert_int_equal(len, sizeof(v->sregs));
	memcpy(buf, &v->sregs, len);
	return 0;
}

static int fake_set(struct hv_vcpu *v, uint32_t set, const void *buf,
		    size_t len)
{
	v->calls[v->ncalls++] = (int)set;
	if (set == HV_REGS_SPECIAL) {
		assert_int_equal(len, sizeof(v->sregs));
		memcpy(&v->sregs, buf, len);
	} else {
		assert_int_equal(set, HV_REGS_CORE);
		assert_int_equal(len, sizeof(v->regs));
		memcpy(&v->regs, buf, len);
	}
	return 0;
}

static void test_setup_vcpu(void **state)
{
	struct hv_ops ops = { .size = sizeof(ops),
			      .vcpu_get_regs = fake_get,
			      .vcpu_set_regs = fake_set };
	struct hv_vcpu v;
	struct hv_x86_regs r;
	struct hv_x86_sregs s;

	memset(&v, 0x5a, sizeof(v)); /* "reset state" garbage */
	v.sregs.apic_base = 0xfee00900;
	v.sregs.cr2 = 0x1234;
	v.sregs.cr8 = 5;
	v.ncalls = 0;
	v.fail_get = 0;
	assert_int_equal(x86_boot_setup_vcpu(&ops, &v, &bi64, 0), 0);
	assert_int_equal(v.ncalls, 3);
	assert_int_equal(v.calls[0], -HV_REGS_SPECIAL);
	assert_int_equal(v.calls[1], HV_REGS_SPECIAL);
	assert_int_equal(v.calls[2], HV_REGS_CORE);

	assert_int_equal(x86_boot_cpu_state(&bi64, 0, &r, &s), 0);
	s.apic_base = 0xfee00900;
	s.cr2 = 0x1234;
	s.cr8 = 5;
	assert_memory_equal(&v.sregs, &s, sizeof(s));
	assert_memory_equal(&v.regs, &r, sizeof(r));

	/* APs: untouched. */
	v.ncalls = 0;
	assert_int_equal(x86_boot_setup_vcpu(&ops, &v, &bi64, 1), 0);
	assert_int_equal(v.ncalls, 0);
}

static void test_setup_vcpu_errors(void **state)
{
	struct hv_ops ops = { .size = sizeof(ops),
			      .vcpu_get_regs = fake_get,
			      .vcpu_set_regs = fake_set };
	struct x86_boot_info bad = bi32;
	struct hv_vcpu v;

	memset(&v, 0, sizeof(v));
	v.fail_get = -EIO;
	assert_int_equal(x86_boot_setup_vcpu(&ops, &v, &bi32, 0), -EIO);
	assert_int_equal(v.ncalls, 1); /* nothing set after a failed get */

	v.fail_get = 0;
	v.ncalls = 0;
	ops.vcpu_get_regs = NULL;
	assert_int_equal(x86_boot_setup_vcpu(&ops, &v, &bi32, 0), -EOPNOTSUPP);
	assert_int_equal(v.ncalls, 0);
	ops.vcpu_get_regs = fake_get;
	bad.mode = 0;
	assert_int_equal(x86_boot_setup_vcpu(&ops, &v, &bad, 0), -EINVAL);
	assert_int_equal(x86_boot_setup_vcpu(NULL, &v, &bi32, 0), -EINVAL);
	assert_int_equal(v.ncalls, 0);

	assert_int_equal(x86_boot_setup_vcpu(&ops, &v, &bi32, 0), 0);
	assert_int_equal(v.regs.rbx, 0x6000);
	assert_int_equal(v.sregs.cr0, 0x11);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_linux64),
		cmocka_unit_test(test_state_pvh32),
		cmocka_unit_test(test_state_ap_and_bad),
		cmocka_unit_test(test_tables_linux64),
		cmocka_unit_test(test_tables_pvh32),
		cmocka_unit_test(test_tables_efault),
		cmocka_unit_test(test_setup_vcpu),
		cmocka_unit_test(test_setup_vcpu_errors),
	};

	return cmocka_run_group_tests_name("boot_cpu", tests, NULL, NULL);
}
