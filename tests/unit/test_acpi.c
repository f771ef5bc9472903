// SPDX-License-Identifier: Apache-2.0
/*
 * test_acpi.c - x86 ACPI tables: build into malloc'd guest RAM and walk
 * them from the RSDP the way a guest does, reading fields by their ACPI
 * 6.5 byte offsets (independently of the structs in acpi.c).  The PCI
 * part walks the DSDT's AML (Scope/Device PkgLengths, Name objects, the
 * _CRS buffers descriptor by descriptor) and the MCFG by PCI Firmware 3.3
 * offsets.
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
	uint64_t rsdp, xsdt, fadt, dsdt, madt, mcfg;
	uint64_t end; /* highest table end */
};

#define MiB (1ull << 20)
#define GiB (1ull << 30)

/* The PCI description the platform is expected to pass. */
static const struct x86_acpi_cfg pci_cfg = {
	.nr_vcpus = 2,
	.has_serial = 1,
	.has_pci = 1,
	.ecam_base = X86_PCI_ECAM_BASE,
	.bus_start = 0,
	.bus_end = 0,
	.mmio32_base = X86_PCI_MMIO32_BASE,
	.mmio32_size = X86_PCI_MMIO32_SIZE,
	.mmio64_base = 9 * GiB,
	.mmio64_size = X86_PCI_MMIO64_SIZE,
	.io_base = 0x1000,
	.io_size = 0xf000,
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

static void walk(struct fixture *f, uint64_t rsdp, struct tables *t, int pci)
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
	assert_int_equal((xlen - 36) / 8, pci ? 3 : 2);
	for (i = 0; i < (xlen - 36) / 8; i++) {
		uint64_t a = rd64(f->ram + t->xsdt + 36 + 8 * i);

		assert_true(a + 4 <= RAM_SIZE);
		if (!memcmp(f->ram + a, "FACP", 4) && !t->fadt)
			t->fadt = a;
		else if (!memcmp(f->ram + a, "APIC", 4) && !t->madt)
			t->madt = a;
		else if (!memcmp(f->ram + a, "MCFG", 4) && pci && !t->mcfg)
			t->mcfg = a;
		else
			fail_msg("unexpected XSDT entry %u", i);
	}
	assert_int_not_equal(t->fadt, 0);
	assert_int_not_equal(t->madt, 0);
	assert_int_equal(check_table(f, t->fadt, "FACP", 6, t), 276);
	t->dsdt = rd64(f->ram + t->fadt + 140);
	check_table(f, t->dsdt, "DSDT", 2, t);
	check_table(f, t->madt, "APIC", 6, t);
	if (pci)
		assert_int_equal(check_table(f, t->mcfg, "MCFG", 1, t), 60);
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

static void check_pci(struct fixture *f, const struct tables *t,
		      const struct x86_acpi_cfg *cfg);

static void build_cfg_and_check(struct fixture *f,
				const struct x86_acpi_cfg *cfg,
				struct tables *tp)
{
	struct tables t;
	uint64_t rsdp = 0, i;

	memset(f->ram, FILL, RAM_SIZE);
	assert_int_equal(x86_acpi_build(&f->m, X86_ACPI_BASE, X86_ACPI_MAX, cfg,
					&rsdp),
			 0);
	assert_int_equal(rsdp, X86_ACPI_BASE);
	walk(f, rsdp, &t, cfg->has_pci);
	check_fadt(f, &t, cfg->has_pm_timer);
	check_madt(f, &t, cfg->nr_vcpus);
	check_dsdt(f, &t, cfg->has_serial);
	check_pci(f, &t, cfg);
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
	if (tp)
		*tp = t;
}

static void build_and_check(struct fixture *f, uint32_t nr_vcpus, int serial,
			    int pm_timer)
{
	struct x86_acpi_cfg cfg = {
		.nr_vcpus = nr_vcpus,
		.has_serial = serial,
		.has_pm_timer = pm_timer,
	};

	build_cfg_and_check(f, &cfg, NULL);
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
	walk(f, rsdp, &t, 0);
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

/* ---- AML walking, by ACPI 6.5 chapter 20 and section 6.4 ---- */

/* Decode the PkgLength at p: returns its size, *val its value. */
static size_t pkglen(const uint8_t *p, size_t *val)
{
	size_t n = (size_t)(p[0] >> 6) + 1, i;

	if (n == 1) {
		*val = p[0] & 0x3f;
		return 1;
	}
	*val = p[0] & 0x0f;
	for (i = 1; i < n; i++)
		*val |= (size_t)p[i] << (4 + 8 * (i - 1));
	return n;
}

/*
 * Find `op` (Scope: {0x10}, Device: {0x5b, 0x82}) named `seg` in
 * [p, p + len); return the start of its body (after the NameSeg) and set
 * *blen, or NULL.
 */
static const uint8_t *find_pkg(const uint8_t *p, size_t len, const uint8_t *op,
			       size_t oplen, const char *seg, size_t *blen)
{
	size_t i, n, pl;

	for (i = 0; i + oplen + 5 <= len; i++) {
		if (memcmp(p + i, op, oplen))
			continue;
		n = pkglen(p + i + oplen, &pl);
		if (i + oplen + n + 4 > len ||
		    memcmp(p + i + oplen + n, seg, 4))
			continue;
		assert_true(pl >= n + 4);
		assert_true(i + oplen + pl <= len);
		*blen = pl - n - 4;
		return p + i + oplen + n + 4;
	}
	return NULL;
}

static const uint8_t *find_device(const uint8_t *p, size_t len, const char *seg,
				  size_t *blen)
{
	static const uint8_t dev_op[] = { 0x5b, 0x82 };

	return find_pkg(p, len, dev_op, 2, seg, blen);
}

/* The object after Name(seg, ...) in [p, p + len); fails if absent. */
static const uint8_t *find_name(const uint8_t *p, size_t len, const char *seg)
{
	size_t i;

	for (i = 0; i + 6 <= len; i++)
		if (p[i] == 0x08 && !memcmp(p + i + 1, seg, 4))
			return p + i + 5;
	fail_msg("no Name(%s)", seg);
	return NULL;
}

/* Name(seg, EisaId(id)) with id already compressed to its 4 bytes. */
static void check_eisaid(const uint8_t *p, size_t len, const char *seg,
			 const uint8_t id[4])
{
	const uint8_t *o = find_name(p, len, seg);

	assert_int_equal(o[0], 0x0c); /* DWordConst */
	assert_memory_equal(o + 1, id, 4);
}

/* Name(seg, v) for v < 256: Zero, One or a ByteConst. */
static void check_small_int(const uint8_t *p, size_t len, const char *seg,
			    unsigned int v)
{
	const uint8_t *o = find_name(p, len, seg);

	if (v <= 1) {
		assert_int_equal(o[0], v);
	} else {
		assert_int_equal(o[0], 0x0a);
		assert_int_equal(o[1], v);
	}
}

struct res {
	const uint8_t *d; /* descriptor, tag first */
	size_t len; /* whole descriptor */
};

/*
 * Name(_CRS, Buffer) in the device body: split the buffer into its
 * resource descriptors (the EndTag excluded, but checked to be last and
 * to end the buffer exactly).  Returns the count.
 */
static unsigned int crs_split(const uint8_t *body, size_t blen, struct res *r,
			      unsigned int max)
{
	const uint8_t *o = find_name(body, blen, "_CRS"), *p, *end;
	size_t n, pl, size;
	unsigned int count = 0;

	assert_int_equal(o[0], 0x11); /* BufferOp */
	n = pkglen(o + 1, &pl);
	p = o + 1 + n;
	if (p[0] == 0x0a) {
		size = p[1];
		p += 2;
	} else {
		assert_int_equal(p[0], 0x0b);
		size = rd16(p + 1);
		p += 3;
	}
	assert_int_equal(pl, (size_t)(p - (o + 1)) + size);
	assert_true(p + size <= body + blen);
	end = p + size;
	while (p < end) {
		size_t len = p[0] & 0x80 ? 3 + (size_t)rd16(p + 1) :
					   1 + (size_t)(p[0] & 0x07);

		assert_true(p + len <= end);
		if (p[0] == 0x79) { /* EndTag: last, checksum 0 */
			assert_int_equal(len, 2);
			assert_int_equal(p[1], 0);
			assert_ptr_equal(p + len, end);
			return count;
		}
		assert_true(count < max);
		r[count].d = p;
		r[count].len = len;
		count++;
		p += len;
	}
	fail_msg("no EndTag");
	return 0;
}

/* Little-endian field of `size` bytes. */
static uint64_t rdn(const uint8_t *p, unsigned int size)
{
	uint64_t v = 0;

	while (size--)
		v = v << 8 | p[size];
	return v;
}

/*
 * Word/DWord/QWord address space descriptor (ACPI 6.5, 6.4.3.5): a
 * ResourceProducer with MinFixed and MaxFixed, positive decode,
 * granularity 0 and no translation.
 */
static void check_addr(const struct res *r, uint8_t tag, unsigned int size,
		       uint8_t type, uint8_t tflags, uint64_t min, uint64_t len)
{
	const uint8_t *d = r->d;

	assert_int_equal(d[0], tag);
	assert_int_equal(r->len, 3 + 3 + 5 * size);
	assert_int_equal(rd16(d + 1), 3 + 5 * size);
	assert_int_equal(d[3], type);
	assert_int_equal(d[4], 0x0c); /* _MAF | _MIF; producer; _DEC = 0 */
	assert_int_equal(d[5], tflags);
	assert_int_equal(rdn(d + 6, size), 0); /* _GRA */
	assert_int_equal(rdn(d + 6 + size, size), min);
	assert_int_equal(rdn(d + 6 + 2 * size, size), min + len - 1);
	assert_int_equal(rdn(d + 6 + 3 * size, size), 0); /* _TRA */
	assert_int_equal(rdn(d + 6 + 4 * size, size), len);
}

/* The _OSC that grants everything for the PCI host bridge UUID. */
static const uint8_t osc_method[] = {
	0x14, 0x33, '_',  'O',	'S',  'C',  0x0c, /* Method, Serialized */
	0x8a, 0x6b, 0x00, 'C',	'D',  'W',  '1', /* CreateDWordField */
	0xa0, 0x23, 0x92, 0x93, 0x68, /* If (LNot (LEqual (Arg0, */
	0x11, 0x13, 0x0a, 0x10, 0x5b, 0x4d, 0xdb, 0x33, 0xf7, 0x1f,
	0x1c, 0x40, 0x96, 0x57, 0x74, 0x41, 0xc0, 0x3d, 0xd7, 0x66, /* ToUUID */
	0x7d, 'C',  'D',  'W',	'1',  0x0a, 0x04, 'C',	'D',  'W',
	'1',  0xa4, 0x6b, /* Return (Arg3) */
};

static const uint8_t eisa_pnp0a08[4] = { 0x41, 0xd0, 0x0a, 0x08 };
static const uint8_t eisa_pnp0a03[4] = { 0x41, 0xd0, 0x0a, 0x03 };
static const uint8_t eisa_pnp0c02[4] = { 0x41, 0xd0, 0x0c, 0x02 };

/* \_SB.PCI0, \_SB.MRES and the MCFG, or their absence without has_pci. */
static void check_pci(struct fixture *f, const struct tables *t,
		      const struct x86_acpi_cfg *cfg)
{
	static const uint8_t scope_op[] = { 0x10 };
	const uint8_t *dsdt = f->ram + t->dsdt, *sb, *pci0, *mres, *m;
	size_t dlen = rd32(dsdt + 4) - 36, sblen, plen, mlen;
	uint64_t ecam = cfg->ecam_base + cfg->bus_start * MiB;
	uint64_t ecam_len = (cfg->bus_end - cfg->bus_start + 1ull) * MiB;
	struct res r[8];
	unsigned int n, i = 0;

	sb = find_pkg(dsdt + 36, dlen, scope_op, 1, "_SB_", &sblen);
	assert_non_null(sb);
	pci0 = find_device(sb, sblen, "PCI0", &plen);
	mres = find_device(sb, sblen, "MRES", &mlen);
	if (!cfg->has_pci) {
		assert_null(pci0);
		assert_null(mres);
		assert_int_equal(t->mcfg, 0);
		return;
	}
	assert_non_null(pci0);
	assert_non_null(mres);

	check_eisaid(pci0, plen, "_HID", eisa_pnp0a08);
	check_eisaid(pci0, plen, "_CID", eisa_pnp0a03);
	check_small_int(pci0, plen, "_UID", 0);
	check_small_int(pci0, plen, "_SEG", 0);
	check_small_int(pci0, plen, "_BBN", cfg->bus_start);
	assert_false(contains(pci0, plen, (const uint8_t *)"_ADR", 4));
	assert_true(contains(pci0, plen, osc_method, sizeof(osc_method)));

	n = crs_split(pci0, plen, r, 8);
	assert_int_equal(n, 2 + !!cfg->io_size + !!cfg->mmio32_size +
				    !!cfg->mmio64_size);
	/* WordBusNumber, producer: type 2, no type-specific flags. */
	check_addr(&r[i++], 0x88, 2, 2, 0, cfg->bus_start,
		   cfg->bus_end - cfg->bus_start + 1);
	/* IO(Decode16, 0xCF8, 0xCF8, 1, 8) */
	assert_int_equal(r[i].len, 8);
	assert_memory_equal(r[i].d,
			    ((const uint8_t[]){ 0x47, 0x01, 0xf8, 0x0c, 0xf8,
						0x0c, 0x01, 0x08 }),
			    8);
	i++;
	if (cfg->io_size) /* WordIO, EntireRange */
		check_addr(&r[i++], 0x88, 2, 1, 0x03, cfg->io_base,
			   cfg->io_size);
	if (cfg->mmio32_size) /* DWordMemory, NonCacheable, ReadWrite */
		check_addr(&r[i++], 0x87, 4, 0, 0x01, cfg->mmio32_base,
			   cfg->mmio32_size);
	if (cfg->mmio64_size) /* QWordMemory, NonCacheable, ReadWrite */
		check_addr(&r[i++], 0x8a, 8, 0, 0x01, cfg->mmio64_base,
			   cfg->mmio64_size);

	/* PNP0C02 holding exactly the ECAM range as Memory32Fixed. */
	check_eisaid(mres, mlen, "_HID", eisa_pnp0c02);
	check_small_int(mres, mlen, "_UID", 1);
	assert_int_equal(crs_split(mres, mlen, r, 8), 1);
	assert_int_equal(r[0].len, 12);
	assert_int_equal(r[0].d[0], 0x86);
	assert_int_equal(rd16(r[0].d + 1), 9);
	assert_int_equal(r[0].d[3], 0x01); /* ReadWrite */
	assert_int_equal(rd32(r[0].d + 4), ecam);
	assert_int_equal(rd32(r[0].d + 8), ecam_len);

	/* MCFG: reserved[8], then one allocation at offset 44. */
	m = f->ram + t->mcfg;
	assert_int_equal(rd64(m + 36), 0);
	assert_int_equal(rd64(m + 44), cfg->ecam_base);
	assert_int_equal(rd16(m + 52), 0); /* segment */
	assert_int_equal(m[54], cfg->bus_start);
	assert_int_equal(m[55], cfg->bus_end);
	assert_int_equal(rd32(m + 56), 0);
	/* XSDT order: FADT, MADT, MCFG. */
	assert_int_equal(rd64(f->ram + t->xsdt + 36 + 16), t->mcfg);
}

static void test_pci(void **state)
{
	struct fixture *f = *state;
	struct x86_acpi_cfg cfg = pci_cfg;
	struct tables t;

	build_cfg_and_check(f, &cfg, &t);
	/* One MCFG, 16-byte aligned, after the MADT. */
	assert_true(t.mcfg > t.madt);
	assert_int_equal(t.end, t.mcfg + 60);

	/* Windows are optional: no I/O and no 64-bit window. */
	cfg.io_size = 0;
	cfg.mmio64_size = 0;
	build_cfg_and_check(f, &cfg, NULL);
	cfg.mmio32_size = 0;
	cfg.has_serial = 0;
	cfg.has_pm_timer = 1;
	build_cfg_and_check(f, &cfg, NULL);
}

static void test_pci_bus_range(void **state)
{
	struct fixture *f = *state;
	struct x86_acpi_cfg cfg = pci_cfg;
	uint64_t base, size;

	/* Buses 2-5: ECAM decodes from base + 2 MiB, 4 MiB long. */
	cfg.bus_start = 2;
	cfg.bus_end = 5;
	cfg.nr_vcpus = 255;
	cfg.io_base = 0xd00;
	cfg.io_size = 0xf300;
	build_cfg_and_check(f, &cfg, NULL);
	x86_acpi_pci_ecam_range(&cfg, &base, &size);
	assert_int_equal(base, X86_PCI_ECAM_BASE + 2 * MiB);
	assert_int_equal(size, 4 * MiB);

	/* All 256 buses: 256 MiB, below the IOAPIC. */
	cfg.bus_start = 0;
	cfg.bus_end = 255;
	cfg.ecam_base = 0xe0000000ull;
	cfg.io_base = 0;
	cfg.io_size = 0xcf8;
	build_cfg_and_check(f, &cfg, NULL);
	x86_acpi_pci_ecam_range(&cfg, &base, &size);
	assert_int_equal(base, 0xe0000000ull);
	assert_int_equal(size, 256 * MiB);

	/* The default: bus 0 only, 1 MiB at X86_PCI_ECAM_BASE. */
	x86_acpi_pci_ecam_range(&pci_cfg, &base, &size);
	assert_int_equal(base, X86_PCI_ECAM_BASE);
	assert_int_equal(size, MiB);
}

static void test_pci_invalid(void **state)
{
	static const struct {
		const char *what;
		uint64_t ecam;
		uint8_t bus_start, bus_end;
		uint64_t m32, m32_size, m64, m64_size;
		uint16_t io, io_size;
	} bad[] = {
#define OK32 X86_PCI_MMIO32_BASE, X86_PCI_MMIO32_SIZE
#define OK64 9 * GiB, X86_PCI_MMIO64_SIZE
		{ "buses reversed", X86_PCI_ECAM_BASE, 1, 0, OK32, OK64, 0, 0 },
		{ "ECAM unaligned", X86_PCI_ECAM_BASE + 0x1000, 0, 0, OK32,
		  OK64, 0, 0 },
		{ "ECAM above 4G", 4 * GiB, 0, 0, OK32, OK64, 0, 0 },
		{ "ECAM across 4G", 0xff000000ull, 0, 31, OK32, OK64, 0, 0 },
		{ "ECAM over IOAPIC", 0xf0000000ull, 0, 255, OK32, OK64, 0, 0 },
		{ "32-bit above 4G", X86_PCI_ECAM_BASE, 0, 0, 8 * GiB, MiB,
		  OK64, 0, 0 },
		{ "32-bit across 4G", X86_PCI_ECAM_BASE, 0, 0, 0xfff00000ull,
		  2 * MiB, OK64, 0, 0 },
		{ "32-bit over ECAM", X86_PCI_ECAM_BASE, 0, 0, 0xc0000000ull,
		  0x20100000ull, OK64, 0, 0 },
		{ "32-bit over LAPIC", X86_PCI_ECAM_BASE, 0, 0, 0xfee00000ull,
		  0x1000, OK64, 0, 0 },
		{ "64-bit wraps", X86_PCI_ECAM_BASE, 0, 0, OK32,
		  0xfffffffffff00000ull, 2 * MiB, 0, 0 },
		{ "64-bit over 32-bit", X86_PCI_ECAM_BASE, 0, 0, OK32,
		  0xd0000000ull, GiB, 0, 0 },
		{ "I/O past 64K", X86_PCI_ECAM_BASE, 0, 0, OK32, OK64, 0xf000,
		  0x1001 },
		{ "I/O over 0xCF8", X86_PCI_ECAM_BASE, 0, 0, OK32, OK64, 0xc00,
		  0x100 },
		{ "I/O at 0xCFF", X86_PCI_ECAM_BASE, 0, 0, OK32, OK64, 0xcff,
		  1 },
#undef OK32
#undef OK64
	};
	struct fixture *f = *state;
	struct x86_acpi_cfg cfg;
	uint64_t rsdp = 0, i;
	size_t k;

	for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		cfg = pci_cfg;
		cfg.ecam_base = bad[k].ecam;
		cfg.bus_start = bad[k].bus_start;
		cfg.bus_end = bad[k].bus_end;
		cfg.mmio32_base = bad[k].m32;
		cfg.mmio32_size = bad[k].m32_size;
		cfg.mmio64_base = bad[k].m64;
		cfg.mmio64_size = bad[k].m64_size;
		cfg.io_base = bad[k].io;
		cfg.io_size = bad[k].io_size;
		memset(f->ram, FILL, RAM_SIZE);
		if (x86_acpi_build(&f->m, X86_ACPI_BASE, X86_ACPI_MAX, &cfg,
				   &rsdp) != -EINVAL)
			fail_msg("%s: accepted", bad[k].what);
		for (i = 0; i < RAM_SIZE; i++)
			if (f->ram[i] != FILL)
				fail_msg("%s: RAM written", bad[k].what);
		/* The same description is ignored without has_pci. */
		cfg.has_pci = 0;
		assert_int_equal(x86_acpi_build(&f->m, X86_ACPI_BASE,
						X86_ACPI_MAX, &cfg, &rsdp),
				 0);
	}
	assert_int_equal(rsdp, X86_ACPI_BASE);
}

/* ---- has_pci = 0 is byte for byte the table set from before PCI ---- */

static uint64_t fnv1a(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (len--) {
		h ^= *p++;
		h *= 0x100000001b3ull;
	}
	return h;
}

static void test_no_pci_unchanged(void **state)
{
	/*
	 * Length and FNV-1a 64 of [RSDP, end of the last table) as built by
	 * acpi.c before PCI support (commit 84674ba), for these configs.
	 */
	static const struct {
		uint32_t nr_vcpus;
		int serial, pm_timer;
		uint64_t len, hash;
	} golden[] = {
		{ 1, 1, 0, 640, 0x9d2cd7f836c2e459ull },
		{ 2, 1, 0, 648, 0x710d2b3609145ee1ull },
		{ 64, 1, 0, 1144, 0xa34654c8bf1f0bbfull },
		{ 255, 0, 0, 2608, 0x88581d7c219181c3ull },
		{ 2, 0, 1, 584, 0xfffc07c8a633f365ull },
		{ 255, 1, 1, 2672, 0x4152400983cd6a07ull },
	};
	struct fixture *f = *state;
	struct x86_acpi_cfg cfg;
	struct tables t;
	size_t k;
	int pass;

	for (k = 0; k < sizeof(golden) / sizeof(golden[0]); k++) {
		/* Pass 0: zeroed config; 1: PCI fields set, switch off. */
		for (pass = 0; pass < 2; pass++) {
			cfg = pass ? pci_cfg : (struct x86_acpi_cfg){ 0 };
			cfg.has_pci = 0;
			cfg.nr_vcpus = golden[k].nr_vcpus;
			cfg.has_serial = golden[k].serial;
			cfg.has_pm_timer = golden[k].pm_timer;
			build_cfg_and_check(f, &cfg, &t);
			assert_int_equal(t.end - t.rsdp, golden[k].len);
			assert_int_equal(fnv1a(f->ram + t.rsdp, t.end - t.rsdp),
					 golden[k].hash);
		}
	}
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_build_1_vcpu),
		T(test_build_2_vcpus),
		T(test_build_64_vcpus),
		T(test_build_255_vcpus_no_serial),
		T(test_build_pm_timer),
		T(test_bad_vcpu_count),
		T(test_too_small),
		T(test_not_ram),
		T(test_pci),
		T(test_pci_bus_range),
		T(test_pci_invalid),
		T(test_no_pci_unchanged),
	};
#undef T

	return cmocka_run_group_tests_name("acpi", tests, NULL, NULL);
}
