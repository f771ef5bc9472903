// SPDX-License-Identifier: Apache-2.0
/*
 * test_acpi.c - x86 ACPI tables: build into malloc'd guest RAM and walk
 * them from the RSDP the way a guest does, reading fields by their ACPI
 * 6.5 byte offsets (independently of the structs in acpi.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86_64/acpi.h"
#include "arch/x86_64/layout.h"
#include "vmm/guest_mem.h"

#define RAM_SIZE (2u << 20)
#define FILL 0xa5

struct fixture {
	struct guest_mem m;
	uint8_t *ram;
};

/* What the walk found, as guest physical addresses. */
struct tables {
	uint64_t rsdp, xsdt, fadt, dsdt, madt;
	uint64_t end; /* highest table end */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->ram = malloc(RAM_SIZE);
	if (!f->ram) {
		free(f);
		return -1;
	}
	memset(f->ram, FILL, RAM_SIZE);
	guest_mem_init(&f->m);
	if (guest_mem_add_external(&f->m, 0, RAM_SIZE, f->ram)) {
		free(f->ram);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	guest_mem_destroy(&f->m);
	free(f->ram);
	free(f);
	return 0;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16;
}

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static uint8_t sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* Check the common header of the table at gpa; return its length. */
static uint32_t check_table(struct fixture *f, uint64_t gpa, const char *sig,
			    uint8_t revision, struct tables *t)
{
	const uint8_t *p = f->ram + gpa;
	uint32_t len;

	assert_true(gpa % 16 == 0);
	assert_true(gpa + 36 <= RAM_SIZE);
	assert_memory_equal(p, sig, 4);
	len = rd32(p + 4);
	assert_true(len >= 36);
	assert_true(gpa + len <= RAM_SIZE);
	assert_int_equal(p[8], revision);
	assert_int_equal(sum(p, len), 0);
	assert_memory_equal(p + 10, "NIMBUS", 6);
	assert_memory_equal(p + 16, "NIMBUSVM", 8);
	if (gpa + len > t->end)
		t->end = gpa + len;
	return len;
}

static void check_gas_io8(const uint8_t *g, uint16_t port)
{
	assert_int_equal(g[0], 1); /* system I/O */
	assert_int_equal(g[1], 8); /* bit width */
	assert_int_equal(g[2], 0); /* bit offset */
	assert_int_equal(g[3], 1); /* byte access */
	assert_int_equal(rd64(g + 4), port);
}

static void walk(struct fixture *f, uint64_t rsdp, struct tables *t)
{
	const uint8_t *r = f->ram + rsdp;
	uint32_t xlen, i;

	memset(t, 0, sizeof(*t));
	t->rsdp = rsdp;
	t->end = rsdp + 36;
	assert_true(rsdp % 16 == 0);
	assert_memory_equal(r, "RSD PTR ", 8);
	assert_int_equal(sum(r, 20), 0);
	assert_memory_equal(r + 9, "NIMBUS", 6);
	assert_int_equal(r[15], 2);
	assert_int_equal(rd32(r + 16), 0); /* no RSDT */
	assert_int_equal(rd32(r + 20), 36);
	assert_int_equal(sum(r, 36), 0);
	t->xsdt = rd64(r + 24);

	xlen = check_table(f, t->xsdt, "XSDT", 1, t);
	assert_int_equal((xlen - 36) % 8, 0);
	assert_int_equal((xlen - 36) / 8, 2);
	for (i = 0; i < (xlen - 36) / 8; i++) {
		uint64_t a = rd64(f->ram + t->xsdt + 36 + 8 * i);

		assert_true(a + 4 <= RAM_SIZE);
		if (!memcmp(f->ram + a, "FACP", 4))
			t->fadt = a;
		else if (!memcmp(f->ram + a, "APIC", 4))
			t->madt = a;
		else
			fail_msg("unexpected XSDT entry %u", i);
	}
	assert_int_not_equal(t->fadt, 0);
	assert_int_not_equal(t->madt, 0);
	assert_int_equal(check_table(f, t->fadt, "FACP", 6, t), 276);
	t->dsdt = rd64(f->ram + t->fadt + 140);
	check_table(f, t->dsdt, "DSDT", 2, t);
	check_table(f, t->madt, "APIC", 6, t);
}

static void check_fadt(struct fixture *f, const struct tables *t, int pm_timer)
{
	const uint8_t *p = f->ram + t->fadt;
	uint32_t flags = rd32(p + 112);
	uint16_t boot = rd16(p + 109);

	assert_int_equal(p[131], 5); /* minor version: ACPI 6.5 */
	assert_int_equal(rd32(p + 36), 0); /* no FACS */
	assert_int_equal(rd64(p + 132), 0); /* no X_FACS */
	assert_int_equal(rd32(p + 40), t->dsdt);
	assert_int_equal(rd16(p + 46), 0); /* no SCI */
	assert_int_equal(rd32(p + 48), 0); /* no SMI_CMD */
	assert_int_equal(rd32(p + 56), 0); /* no PM1a_EVT_BLK */
	assert_int_equal(rd32(p + 64), 0); /* no PM1a_CNT_BLK */
	assert_true(flags & (1u << 20)); /* HW_REDUCED_ACPI */
	assert_true(flags & (1u << 10)); /* RESET_REG_SUP */
	assert_true(flags & (1u << 4)); /* PWR_BUTTON: not fixed */
	assert_true(flags & (1u << 5)); /* SLP_BUTTON: not fixed */
	assert_true(flags & (1u << 6)); /* FIX_RTC */
	assert_int_equal(!!(flags & (1u << 8)), pm_timer); /* TMR_VAL_EXT */
	assert_true(boot & (1u << 2)); /* VGA not present */
	assert_false(boot & (1u << 1)); /* no usable 8042 */
	assert_false(boot & (1u << 3)); /* MSI allowed */
	assert_false(boot & (1u << 5)); /* CMOS RTC present */
	check_gas_io8(p + 116, X86_ACPI_PM_PORT);
	assert_int_equal(p[128], X86_ACPI_RESET_VALUE);
	check_gas_io8(p + 244, X86_ACPI_PM_PORT); /* sleep control */
	check_gas_io8(p + 256, X86_ACPI_SLEEP_STS_PORT); /* 0x601 */
	assert_memory_equal(p + 268, "NIMBUS\0\0", 8);
	if (pm_timer) {
		assert_int_equal(p[208], 1);
		assert_int_equal(p[209], 32);
		assert_int_equal(p[211], 3);
		assert_int_equal(rd64(p + 212), X86_ACPI_PM_TMR_PORT);
	} else {
		assert_int_equal(rd32(p + 76), 0);
		assert_int_equal(rd64(p + 212), 0);
	}
}

static void check_madt(struct fixture *f, const struct tables *t,
		       uint32_t nr_vcpus)
{
	const uint8_t *p = f->ram + t->madt;
	uint32_t len = rd32(p + 4), off, n_lapic = 0, n_ioapic = 0;
	uint32_t n_iso = 0, n_nmi = 0;

	assert_int_equal(rd32(p + 36), X86_LAPIC_ADDR);
	assert_int_equal(rd32(p + 40), 0); /* PCAT_COMPAT clear */
	for (off = 44; off < len; off += p[off + 1]) {
		const uint8_t *e = p + off;

		assert_true(off + 2 <= len);
		assert_true(e[1] >= 2 && off + e[1] <= len);
		switch (e[0]) {
		case 0: /* Processor Local APIC */
			assert_int_equal(e[1], 8);
			assert_int_equal(e[2], n_lapic); /* UID */
			assert_int_equal(e[3], n_lapic); /* APIC id */
			assert_int_equal(rd32(e + 4), 1); /* enabled */
			n_lapic++;
			break;
		case 1: /* I/O APIC */
			assert_int_equal(e[1], 12);
			assert_int_equal(e[2], X86_ACPI_IOAPIC_ID);
			assert_int_equal(rd32(e + 4), X86_IOAPIC_ADDR);
			assert_int_equal(rd32(e + 8), 0); /* GSI base */
			n_ioapic++;
			break;
		case 2: /* Interrupt Source Override */
			assert_int_equal(e[1], 10);
			assert_int_equal(e[2], 0); /* ISA */
			assert_int_equal(e[3], 0); /* IRQ0 */
			assert_int_equal(rd32(e + 4), 2); /* GSI 2 */
			assert_int_equal(rd16(e + 8), 5); /* edge, high */
			n_iso++;
			break;
		case 4: /* Local APIC NMI */
			assert_int_equal(e[1], 6);
			assert_int_equal(e[2], 0xff);
			assert_int_equal(e[5], 1); /* LINT1 */
			n_nmi++;
			break;
		default:
			fail_msg("unexpected MADT entry type %u", e[0]);
		}
	}
	assert_int_equal(off, len);
	assert_int_equal(n_lapic, nr_vcpus);
	assert_int_equal(n_ioapic, 1);
	assert_int_equal(n_iso, 1);
	assert_int_equal(n_nmi, 1);
}

static bool contains(const uint8_t *hay, size_t len, const uint8_t *needle,
		     size_t nlen)
{
	size_t i;

	for (i = 0; i + nlen <= len; i++)
		if (!memcmp(hay + i, needle, nlen))
			return true;
	return false;
}

static void check_dsdt(struct fixture *f, const struct tables *t, int serial)
{
	/* Name(_S5_, Package(4) { 5, Zero, Zero, Zero }) */
	static const uint8_t s5[] = { 0x08, '_',  'S',	'5',  '_',
				      0x12, 0x07, 0x04, 0x0a, X86_ACPI_S5_TYP,
				      0x00, 0x00, 0x00 };
	static const uint8_t com1[] = { 0x0c, 0x41, 0xd0, 0x05, 0x01 };
	static const uint8_t rtc[] = { 0x0c, 0x41, 0xd0, 0x0b, 0x00 };
	static const uint8_t io3f8[] = { 0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03 };
	static const uint8_t io70[] = { 0x47, 0x01, 0x70, 0x00,
					0x70, 0x00, 0x01, 0x02 };
	static const uint8_t sb[] = { 0x10 };
	const uint8_t *p = f->ram + t->dsdt;
	uint32_t len = rd32(p + 4);

	assert_true(contains(p + 36, len - 36, s5, sizeof(s5)));
	assert_true(contains(p + 36, len - 36, rtc, sizeof(rtc)));
	assert_true(contains(p + 36, len - 36, io70, sizeof(io70)));
	assert_int_equal(contains(p + 36, len - 36, com1, sizeof(com1)),
			 !!serial);
	assert_int_equal(contains(p + 36, len - 36, io3f8, sizeof(io3f8)),
			 !!serial);
	assert_true(contains(p + 36, len - 36, sb, sizeof(sb)));
	assert_true(contains(p + 36, len - 36, (const uint8_t *)"_SB_", 4));
}

static void build_and_check(struct fixture *f, uint32_t nr_vcpus, int serial,
			    int pm_timer)
{
	struct x86_acpi_cfg cfg = {
		.nr_vcpus = nr_vcpus,
		.has_serial = serial,
		.has_pm_timer = pm_timer,
	};
	struct tables t;
	uint64_t rsdp = 0, i;

	memset(f->ram, FILL, RAM_SIZE);
	assert_int_equal(x86_acpi_build(&f->m, X86_ACPI_BASE, X86_ACPI_MAX,
					&cfg, &rsdp),
			 0);
	assert_int_equal(rsdp, X86_ACPI_BASE);
	walk(f, rsdp, &t);
	check_fadt(f, &t, pm_timer);
	check_madt(f, &t, nr_vcpus);
	check_dsdt(f, &t, serial);
	/* Inside the scan window, and nothing written outside the tables. */
	assert_true(t.end <= X86_ACPI_BASE + X86_ACPI_MAX);
	for (i = 0; i < X86_ACPI_BASE; i++)
		if (f->ram[i] != FILL)
			fail_msg("byte %#llx below base changed",
				 (unsigned long long)i);
	for (i = t.end; i < RAM_SIZE; i++)
		if (f->ram[i] != FILL)
			fail_msg("byte %#llx past the tables changed",
				 (unsigned long long)i);
}

static void test_build_1_vcpu(void **state)
{
	build_and_check(*state, 1, 1, 0);
}

static void test_build_2_vcpus(void **state)
{
	build_and_check(*state, 2, 1, 0);
}

static void test_build_64_vcpus(void **state)
{
	build_and_check(*state, 64, 1, 0);
}

static void test_build_255_vcpus_no_serial(void **state)
{
	build_and_check(*state, 255, 0, 0);
}

static void test_build_pm_timer(void **state)
{
	build_and_check(*state, 2, 0, 1);
}

static void test_bad_vcpu_count(void **state)
{
	struct fixture *f = *state;
	struct x86_acpi_cfg cfg = { .nr_vcpus = 0, .has_serial = 1 };
	uint64_t rsdp;

	assert_int_equal(x86_acpi_build(&f->m, X86_ACPI_BASE, X86_ACPI_MAX,
					&cfg, &rsdp),
			 -EINVAL);
	cfg.nr_vcpus = X86_ACPI_MAX_VCPUS + 1;
	assert_int_equal(x86_acpi_build(&f->m, X86_ACPI_BASE, X86_ACPI_MAX,
					&cfg, &rsdp),
			 -EINVAL);
	cfg.nr_vcpus = 1;
	assert_int_equal(x86_acpi_build(&f->m, X86_ACPI_BASE + 8, X86_ACPI_MAX,
					&cfg, &rsdp),
			 -EINVAL);
}

static void test_too_small(void **state)
{
	struct fixture *f = *state;
	struct x86_acpi_cfg cfg = { .nr_vcpus = 64, .has_serial = 1 };
	struct tables t;
	uint64_t rsdp = 0, need;

	assert_int_equal(x86_acpi_build(&f->m, X86_ACPI_BASE, 64, &cfg, &rsdp),
			 -ENOSPC);
	/* Exactly the size needed fits; one byte less does not. */
	assert_int_equal(x86_acpi_build(&f->m, X86_ACPI_BASE, X86_ACPI_MAX,
					&cfg, &rsdp),
			 0);
	walk(f, rsdp, &t);
	need = t.end - X86_ACPI_BASE;
	memset(f->ram, FILL, RAM_SIZE);
	assert_int_equal(x86_acpi_build(&f->m, X86_ACPI_BASE, need - 1, &cfg,
					&rsdp),
			 -ENOSPC);
	assert_int_equal(f->ram[X86_ACPI_BASE], FILL); /* nothing written */
	assert_int_equal(
		x86_acpi_build(&f->m, X86_ACPI_BASE, need, &cfg, &rsdp), 0);
}

static void test_not_ram(void **state)
{
	struct fixture *f = *state;
	struct x86_acpi_cfg cfg = { .nr_vcpus = 2, .has_serial = 1 };
	uint64_t rsdp = 0;

	/* Wholly outside RAM. */
	assert_int_equal(x86_acpi_build(&f->m, 4u << 20, X86_ACPI_MAX, &cfg,
					&rsdp),
			 -EFAULT);
	/* Starts in RAM, runs past its end. */
	memset(f->ram, FILL, RAM_SIZE);
	assert_int_equal(x86_acpi_build(&f->m, RAM_SIZE - 0x100, X86_ACPI_MAX,
					&cfg, &rsdp),
			 -EFAULT);
	assert_int_equal(f->ram[RAM_SIZE - 0x100], FILL);
	assert_int_equal(rsdp, 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_build_1_vcpu),	T(test_build_2_vcpus),
		T(test_build_64_vcpus), T(test_build_255_vcpus_no_serial),
		T(test_build_pm_timer), T(test_bad_vcpu_count),
		T(test_too_small),	T(test_not_ram),
	};
#undef T

	return cmocka_run_group_tests_name("acpi", tests, NULL, NULL);
}
