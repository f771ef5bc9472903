// SPDX-License-Identifier: Apache-2.0
/*
 * test_aml.c - AML builder: exact byte sequences for each encoding.
 * Expected bytes follow ACPI 6.5 chapter 20 and section 6.4; the resource
 * and method encodings were cross-checked against iasl output.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86_64/aml.h"

static int setup(void **state)
{
	struct aml_buf *b = malloc(sizeof(*b));

	if (!b)
		return -1;
	aml_buf_init(b);
	*state = b;
	return 0;
}

static int teardown(void **state)
{
	struct aml_buf *b = *state;

	aml_buf_free(b);
	free(b);
	return 0;
}

/* The buffer holds exactly `exp` and no error happened. */
static void expect_bytes(const struct aml_buf *b, const uint8_t *exp,
			 size_t len)
{
	assert_int_equal(aml_buf_err(b), 0);
	assert_int_equal(b->len, len);
	assert_memory_equal(b->data, exp, len);
}

#define EXPECT(b, ...)                                         \
	do {                                                   \
		static const uint8_t exp_[] = { __VA_ARGS__ }; \
		expect_bytes((b), exp_, sizeof(exp_));         \
	} while (0)

static void test_pkglen_encode(void **state)
{
	static const struct {
		size_t content;
		int n;
		uint8_t bytes[4];
	} cases[] = {
		{ 0, 1, { 0x01 } },
		{ 62, 1, { 0x3f } }, /* 63 total: 1 byte */
		{ 63, 2, { 0x41, 0x04 } }, /* 65 total */
		{ 64, 2, { 0x42, 0x04 } },
		{ 4093, 2, { 0x4f, 0xff } }, /* 4095 total */
		{ 4094, 3, { 0x81, 0x00, 0x01 } }, /* 4097 total */
		{ 1048572, 3, { 0x8f, 0xff, 0xff } }, /* 0xfffff total */
		{ 1048573, 4, { 0xc1, 0x00, 0x00, 0x01 } },
		{ 0x0ffffffb, 4, { 0xcf, 0xff, 0xff, 0xff } },
	};
	uint8_t out[4];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(out, 0xee, sizeof(out));
		assert_int_equal(aml_pkglen_encode(cases[i].content, out),
				 cases[i].n);
		assert_memory_equal(out, cases[i].bytes, (size_t)cases[i].n);
	}
	assert_int_equal(aml_pkglen_encode(0x0ffffffc, out), -E2BIG);
	assert_int_equal(aml_pkglen_encode(SIZE_MAX, out), -E2BIG);
}

/* Scope(_SB) holding `fill` raw bytes: check header and moved content. */
static void scope_with_fill(struct aml_buf *b, size_t fill, const uint8_t *pl,
			    size_t pl_len)
{
	uint8_t *raw = malloc(fill);
	size_t mark, i;

	assert_non_null(raw);
	for (i = 0; i < fill; i++)
		raw[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(aml_scope_open(b, "_SB", &mark), 0);
	assert_int_equal(aml_bytes(b, raw, fill), 0);
	assert_int_equal(aml_close(b, mark), 0);
	assert_int_equal(b->len, 1 + pl_len + 4 + fill);
	assert_int_equal(b->data[0], 0x10);
	assert_memory_equal(b->data + 1, pl, pl_len);
	assert_memory_equal(b->data + 1 + pl_len, "_SB_", 4);
	assert_memory_equal(b->data + 1 + pl_len + 4, raw, fill);
	free(raw);
	aml_buf_free(b);
}

static void test_pkglen_in_scope(void **state)
{
	struct aml_buf *b = *state;

	/* Content = NameSeg (4) + fill. */
	scope_with_fill(b, 58, (const uint8_t[]){ 0x3f }, 1);
	scope_with_fill(b, 59, (const uint8_t[]){ 0x41, 0x04 }, 2);
	scope_with_fill(b, 4089, (const uint8_t[]){ 0x4f, 0xff }, 2);
	scope_with_fill(b, 4090, (const uint8_t[]){ 0x81, 0x00, 0x01 }, 3);
}

static void test_nested_growth(void **state)
{
	struct aml_buf *b = *state;
	uint8_t raw[54];
	size_t outer, inner;

	memset(raw, 0xab, sizeof(raw));
	/*
	 * Inner Device: "DEV0" + 54 = 58 -> PkgLength 0x3b (1 byte).
	 * Outer Scope: "_SB_" + 5B 82 3B + 58 = 65 -> 2 bytes (0x43 0x04).
	 */
	aml_scope_open(b, "_SB", &outer);
	aml_device_open(b, "DEV0", &inner);
	aml_bytes(b, raw, sizeof(raw));
	aml_close(b, inner);
	aml_close(b, outer);
	assert_int_equal(aml_buf_err(b), 0);
	assert_int_equal(b->len, 3 + 4 + 3 + 4 + sizeof(raw));
	assert_memory_equal(b->data,
			    "\x10\x43\x04_SB_\x5b\x82\x3b"
			    "DEV0",
			    14);
	assert_memory_equal(b->data + 14, raw, sizeof(raw));
}

static void test_integers(void **state)
{
	static const struct {
		uint64_t v;
		size_t len;
		uint8_t bytes[9];
	} cases[] = {
		{ 0, 1, { 0x00 } },
		{ 1, 1, { 0x01 } },
		{ 2, 2, { 0x0a, 0x02 } },
		{ 0xff, 2, { 0x0a, 0xff } },
		{ 0x100, 3, { 0x0b, 0x00, 0x01 } },
		{ 0xffff, 3, { 0x0b, 0xff, 0xff } },
		{ 0x10000, 5, { 0x0c, 0x00, 0x00, 0x01, 0x00 } },
		{ 0xffffffff, 5, { 0x0c, 0xff, 0xff, 0xff, 0xff } },
		{ 0x100000000ull, 9, { 0x0e, 0, 0, 0, 0, 1, 0, 0, 0 } },
		{ 0xfffffffffffffffeull,
		  9,
		  { 0x0e, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } },
		{ UINT64_MAX, 1, { 0xff } },
	};
	struct aml_buf *b = *state;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		aml_buf_free(b);
		assert_int_equal(aml_integer(b, cases[i].v), 0);
		expect_bytes(b, cases[i].bytes, cases[i].len);
	}
}

static void test_eisaid(void **state)
{
	struct aml_buf *b = *state;
	uint32_t v;

	assert_int_equal(aml_eisaid_encode("PNP0501", &v), 0);
	assert_int_equal(v, 0x0105d041);
	assert_int_equal(aml_eisaid_encode("PNP0B00", &v), 0);
	assert_int_equal(v, 0x000bd041);
	assert_int_equal(aml_eisaid_encode("PNP0303", &v), 0);
	assert_int_equal(v, 0x0303d041);
	assert_int_equal(aml_eisaid_encode("QEM0001", &v), 0);
	assert_int_equal(v, 0x0100ad44);

	assert_int_equal(aml_eisaid_encode("pnp0501", &v), -EINVAL);
	assert_int_equal(aml_eisaid_encode("PNP050", &v), -EINVAL);
	assert_int_equal(aml_eisaid_encode("PNP05011", &v), -EINVAL);
	assert_int_equal(aml_eisaid_encode("PNP05G1", &v), -EINVAL);
	assert_int_equal(aml_eisaid_encode("PNP05a1", &v), -EINVAL);
	assert_int_equal(aml_eisaid_encode("P1P0501", &v), -EINVAL);
	assert_int_equal(aml_eisaid_encode(NULL, &v), -EINVAL);

	/* Always a DWordConst. */
	assert_int_equal(aml_eisaid(b, "PNP0B00"), 0);
	EXPECT(b, 0x0c, 0x41, 0xd0, 0x0b, 0x00);
}

static void test_namestring(void **state)
{
	struct aml_buf *b = *state;

	aml_namestring(b, "_S5");
	EXPECT(b, '_', 'S', '5', '_');
	aml_buf_free(b);
	aml_namestring(b, "RTC");
	EXPECT(b, 'R', 'T', 'C', '_');
	aml_buf_free(b);
	aml_namestring(b, "A");
	EXPECT(b, 'A', '_', '_', '_');
	aml_buf_free(b);
	aml_namestring(b, "\\_SB.PCI0");
	EXPECT(b, 0x5c, 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0');
	aml_buf_free(b);
	aml_namestring(b, "\\_SB.PCI0.ISA");
	EXPECT(b, 0x5c, 0x2f, 0x03, '_', 'S', 'B', '_', 'P', 'C', 'I', '0', 'I',
	       'S', 'A', '_');
	aml_buf_free(b);
	aml_namestring(b, "^^FOO");
	EXPECT(b, 0x5e, 0x5e, 'F', 'O', 'O', '_');
	aml_buf_free(b);
	aml_namestring(b, "\\");
	EXPECT(b, 0x5c, 0x00);
}

static void test_namestring_invalid(void **state)
{
	static const char *const bad[] = {
		"", "1ABC", "ABCDE", "_sb", "A..B", "A.", ".A", "\\^A", "A-B",
	};
	struct aml_buf *b = *state;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		aml_buf_free(b);
		assert_int_equal(aml_namestring(b, bad[i]), -EINVAL);
	}
	/* Sticky: later calls fail too and append nothing. */
	aml_buf_free(b);
	aml_integer(b, 5);
	assert_int_equal(aml_name(b, "bad"), -EINVAL);
	assert_int_equal(aml_integer(b, 7), -EINVAL);
	assert_int_equal(aml_buf_err(b), -EINVAL);
}

static void test_name_package_s5(void **state)
{
	struct aml_buf *b = *state;
	size_t pkg;

	aml_name(b, "_S5");
	aml_package_open(b, 4, &pkg);
	aml_integer(b, 5);
	aml_integer(b, 0);
	aml_integer(b, 0);
	aml_integer(b, 0);
	aml_close(b, pkg);
	EXPECT(b, 0x08, '_', 'S', '5', '_', 0x12, 0x07, 0x04, 0x0a, 0x05, 0x00,
	       0x00, 0x00);
}

static void test_method_return(void **state)
{
	struct aml_buf *b = *state;
	size_t m;

	aml_method_open(b, "_STA", 0, AML_NOT_SERIALIZED, 0, &m);
	aml_return(b);
	aml_integer(b, 0x0f);
	aml_close(b, m);
	EXPECT(b, 0x14, 0x09, '_', 'S', 'T', 'A', 0x00, 0xa4, 0x0a, 0x0f);
	aml_buf_free(b);

	/* 2 args, serialized, sync level 3 -> flags 0x3a. */
	aml_method_open(b, "M1", 2, AML_SERIALIZED, 3, &m);
	aml_return(b);
	aml_integer(b, 1);
	aml_close(b, m);
	EXPECT(b, 0x14, 0x08, 'M', '1', '_', '_', 0x3a, 0xa4, 0x01);
	aml_buf_free(b);

	assert_int_equal(aml_method_open(b, "M2", 8, false, 0, &m), -EINVAL);
	aml_buf_free(b);
	assert_int_equal(aml_method_open(b, "M2", 0, false, 16, &m), -EINVAL);
}

static void test_string_and_buffer(void **state)
{
	struct aml_buf *b = *state;
	uint8_t big[300];
	size_t m;

	aml_name_string(b, "S1", "ab");
	EXPECT(b, 0x08, 'S', '1', '_', '_', 0x0d, 'a', 'b', 0x00);
	aml_buf_free(b);
	assert_int_equal(aml_string(b, "\xc3\xa9"), -EINVAL);
	aml_buf_free(b);

	aml_buffer_open(b, &m);
	aml_bytes(b, "\x01\x02\x03", 3);
	aml_buffer_close(b, m);
	EXPECT(b, 0x11, 0x06, 0x0a, 0x03, 0x01, 0x02, 0x03);
	aml_buf_free(b);

	/* 300 bytes: WordConst size; 3 + 300 + 2 = 305 = 0x131. */
	memset(big, 0x5a, sizeof(big));
	aml_buffer_open(b, &m);
	aml_bytes(b, big, sizeof(big));
	aml_buffer_close(b, m);
	assert_int_equal(aml_buf_err(b), 0);
	assert_int_equal(b->len, 1 + 2 + 3 + 300);
	assert_memory_equal(b->data, "\x11\x41\x13\x0b\x2c\x01", 6);
	assert_memory_equal(b->data + 6, big, sizeof(big));
	aml_buf_free(b);

	aml_restemplate_open(b, &m);
	aml_restemplate_close(b, m);
	EXPECT(b, 0x11, 0x05, 0x0a, 0x02, 0x79, 0x00);
}

static void test_device_hid_crs(void **state)
{
	struct aml_buf *b = *state;
	size_t dev, crs;

	aml_device_open(b, "COM1", &dev);
	aml_name_eisaid(b, "_HID", "PNP0501");
	aml_name(b, "_CRS");
	aml_restemplate_open(b, &crs);
	aml_res_io(b, 0x3f8, 0x3f8, 1, 8);
	aml_res_irq(b, 4, AML_IRQ_EDGE);
	aml_restemplate_close(b, crs);
	aml_close(b, dev);
	EXPECT(b, 0x5b, 0x82, 0x25, 'C', 'O', 'M', '1',
	       /* Name(_HID, EisaId("PNP0501")) */
	       0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x05, 0x01,
	       /* Name(_CRS, ResourceTemplate() { ... }) */
	       0x08, '_', 'C', 'R', 'S', 0x11, 0x10, 0x0a, 0x0d,
	       /* IO(Decode16, 0x3f8, 0x3f8, 1, 8) */
	       0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08,
	       /* IRQNoFlags() {4} */
	       0x22, 0x10, 0x00,
	       /* EndTag, checksum 0 */
	       0x79, 0x00);
}

static void test_interrupt_descriptors(void **state)
{
	struct aml_buf *b = *state;

	/* IRQ(Level, ActiveLow, Shared) {9} */
	aml_res_irq(b, 9, AML_IRQ_ACTIVE_LOW | AML_IRQ_SHARED);
	EXPECT(b, 0x23, 0x00, 0x02, 0x18);
	aml_buf_free(b);
	/* IRQ(Edge, ActiveHigh, Shared) {15}: not the short form. */
	aml_res_irq(b, 15, AML_IRQ_EDGE | AML_IRQ_SHARED);
	EXPECT(b, 0x23, 0x00, 0x80, 0x11);
	aml_buf_free(b);
	assert_int_equal(aml_res_irq(b, 16, AML_IRQ_EDGE), -EINVAL);
	aml_buf_free(b);

	/* Interrupt(ResourceConsumer, Edge, ActiveHigh, Exclusive) {5} */
	aml_res_ext_irq(b, 5, AML_IRQ_EDGE);
	EXPECT(b, 0x89, 0x06, 0x00, 0x03, 0x01, 0x05, 0x00, 0x00, 0x00);
	aml_buf_free(b);
	/* Interrupt(ResourceConsumer, Level, ActiveLow, Shared) {33} */
	aml_res_ext_irq(b, 33, AML_IRQ_ACTIVE_LOW | AML_IRQ_SHARED);
	EXPECT(b, 0x89, 0x06, 0x00, 0x0d, 0x01, 0x21, 0x00, 0x00, 0x00);
}

static void test_memory_and_address_descriptors(void **state)
{
	struct aml_buf *b = *state;

	aml_res_mem32_fixed(b, true, 0xfec00000, 0x1000);
	EXPECT(b, 0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0xc0, 0xfe, 0x00, 0x10,
	       0x00, 0x00);
	aml_buf_free(b);

	/* DWordMemory(Producer, PosDecode, MinFixed, MaxFixed, NonCacheable,
	 * ReadWrite, 0, 0xC0000000, 0xFEBFFFFF, 0, 0x3EC00000) */
	aml_res_dword_addr(b, AML_ADDR_MEMORY,
			   AML_ADDR_MIN_FIXED | AML_ADDR_MAX_FIXED,
			   AML_MEM_RW | AML_MEM_NONCACHEABLE, 0, 0xc0000000,
			   0xfebfffff, 0, 0x3ec00000);
	EXPECT(b, 0x87, 0x17, 0x00, 0x00, 0x0c, 0x01, 0, 0, 0, 0, 0x00, 0x00,
	       0x00, 0xc0, 0xff, 0xff, 0xbf, 0xfe, 0, 0, 0, 0, 0x00, 0x00, 0xc0,
	       0x3e);
	aml_buf_free(b);

	/* QWordMemory(..., Prefetchable, ReadWrite, 0, 4G, 8G-1, 0, 4G) */
	aml_res_qword_addr(b, AML_ADDR_MEMORY,
			   AML_ADDR_MIN_FIXED | AML_ADDR_MAX_FIXED,
			   AML_MEM_RW | AML_MEM_PREFETCHABLE, 0, 0x100000000ull,
			   0x1ffffffffull, 0, 0x100000000ull);
	/* clang-format off */
	EXPECT(b, 0x8a, 0x2b, 0x00, 0x00, 0x0c, 0x07,
	       0, 0, 0, 0, 0, 0, 0, 0,             /* _GRA */
	       0, 0, 0, 0, 1, 0, 0, 0,             /* _MIN */
	       0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0, /* _MAX */
	       0, 0, 0, 0, 0, 0, 0, 0,             /* _TRA */
	       0, 0, 0, 0, 1, 0, 0, 0);            /* _LEN */
	/* clang-format on */
	aml_buf_free(b);

	/* WordBusNumber(Producer, MinFixed, MaxFixed, PosDecode, 0, 0, 0xff,
	 * 0, 0x100) */
	aml_res_word_addr(b, AML_ADDR_BUS,
			  AML_ADDR_MIN_FIXED | AML_ADDR_MAX_FIXED, 0, 0, 0,
			  0xff, 0, 0x100);
	EXPECT(b, 0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00,
	       0xff, 0x00, 0x00, 0x00, 0x00, 0x01);
	aml_buf_free(b);

	/* DWordIO(..., EntireRange, 0, 0xD00, 0xFFFF, 0, 0xF300) */
	aml_res_dword_addr(b, AML_ADDR_IO,
			   AML_ADDR_MIN_FIXED | AML_ADDR_MAX_FIXED,
			   AML_IO_RANGE_ENTIRE, 0, 0xd00, 0xffff, 0, 0xf300);
	EXPECT(b, 0x87, 0x17, 0x00, 0x01, 0x0c, 0x03, 0, 0, 0, 0, 0x00, 0x0d, 0,
	       0, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0x00, 0xf3, 0, 0);
	aml_buf_free(b);

	assert_int_equal(aml_res_dword_addr(b, AML_ADDR_MEMORY, 0, 0, 0, 10, 9,
					    0, 0),
			 -EINVAL);
}

static void test_arg_and_operators(void **state)
{
	struct aml_buf *b = *state;
	unsigned int i;

	for (i = 0; i <= 6; i++) {
		aml_buf_free(b);
		assert_int_equal(aml_arg(b, i), 0);
		expect_bytes(b, (const uint8_t[]){ (uint8_t)(0x68 + i) }, 1);
	}
	aml_buf_free(b);
	assert_int_equal(aml_arg(b, 7), -EINVAL);
	aml_buf_free(b);

	/* CreateDWordField(Arg3, 4, CDW2) */
	aml_create_dword_field(b);
	aml_arg(b, 3);
	aml_integer(b, 4);
	aml_namestring(b, "CDW2");
	EXPECT(b, 0x8a, 0x6b, 0x0a, 0x04, 'C', 'D', 'W', '2');
	aml_buf_free(b);

	/* Or(CDW1, 0x10, CDW1) */
	aml_or(b);
	aml_namestring(b, "CDW1");
	aml_integer(b, 0x10);
	aml_namestring(b, "CDW1");
	EXPECT(b, 0x7d, 'C', 'D', 'W', '1', 0x0a, 0x10, 'C', 'D', 'W', '1');
	aml_buf_free(b);

	/* LNot(LEqual(Arg1, One)) */
	aml_lnot(b);
	aml_lequal(b);
	aml_arg(b, 1);
	aml_integer(b, 1);
	EXPECT(b, 0x92, 0x93, 0x69, 0x01);
}

static void test_if(void **state)
{
	struct aml_buf *b = *state;
	size_t m;

	/* If(LEqual(Arg0, One)) { Return(Zero) } */
	assert_int_equal(aml_if_open(b, &m), 0);
	aml_lequal(b);
	aml_arg(b, 0);
	aml_integer(b, 1);
	aml_return(b);
	aml_integer(b, 0);
	assert_int_equal(aml_close(b, m), 0);
	EXPECT(b, 0xa0, 0x06, 0x93, 0x68, 0x01, 0xa4, 0x00);
}

static void test_uuid(void **state)
{
	static const char *const bad[] = {
		"33DB4D5B-1FF7-401C-9657-7441C03DD76", /* short */
		"33DB4D5B-1FF7-401C-9657-7441C03DD7666", /* long */
		"33DB4D5B1-FF7-401C-9657-7441C03DD766", /* dash moved */
		"33DB4D5B-1FF7-401C-9657_7441C03DD766", /* not a dash */
		"33DB4D5G-1FF7-401C-9657-7441C03DD766", /* not hex */
		"33DB4D5B-1FF7-401C-9657-7441C03DD76-", /* dash at end */
		NULL,
	};
	struct aml_buf *b = *state;
	size_t i;

	/* The PCI host bridge _OSC UUID (ToUUID, checked with iasl -d). */
	assert_int_equal(aml_uuid(b, "33DB4D5B-1FF7-401C-9657-7441C03DD766"),
			 0);
	EXPECT(b, 0x11, 0x13, 0x0a, 0x10, 0x5b, 0x4d, 0xdb, 0x33, 0xf7, 0x1f,
	       0x1c, 0x40, 0x96, 0x57, 0x74, 0x41, 0xc0, 0x3d, 0xd7, 0x66);
	aml_buf_free(b);
	/* Lower case is the same UUID; bytes 0-15 all distinct here. */
	aml_uuid(b, "00112233-4455-6677-8899-aabbccddeeff");
	EXPECT(b, 0x11, 0x13, 0x0a, 0x10, 0x33, 0x22, 0x11, 0x00, 0x55, 0x44,
	       0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		aml_buf_free(b);
		assert_int_equal(aml_uuid(b, bad[i]), -EINVAL);
		assert_int_equal(b->len, 0);
	}
}

/* The host bridge _OSC that acpi.c emits, built from the pieces. */
static void test_osc_method(void **state)
{
	struct aml_buf *b = *state;
	size_t m, cond;

	aml_method_open(b, "_OSC", 4, AML_SERIALIZED, 0, &m);
	aml_create_dword_field(b);
	aml_arg(b, 3);
	aml_integer(b, 0);
	aml_namestring(b, "CDW1");
	aml_if_open(b, &cond);
	aml_lnot(b);
	aml_lequal(b);
	aml_arg(b, 0);
	aml_uuid(b, "33DB4D5B-1FF7-401C-9657-7441C03DD766");
	aml_or(b);
	aml_namestring(b, "CDW1");
	aml_integer(b, 4);
	aml_namestring(b, "CDW1");
	aml_close(b, cond);
	aml_return(b);
	aml_arg(b, 3);
	aml_close(b, m);
	/* clang-format off */
	EXPECT(b, 0x14, 0x33, '_', 'O', 'S', 'C', 0x0c,
	       /* CreateDWordField(Arg3, Zero, CDW1) */
	       0x8a, 0x6b, 0x00, 'C', 'D', 'W', '1',
	       /* If (LNot(LEqual(Arg0, ToUUID(...)))) */
	       0xa0, 0x23, 0x92, 0x93, 0x68,
	       0x11, 0x13, 0x0a, 0x10, 0x5b, 0x4d, 0xdb, 0x33, 0xf7, 0x1f,
	       0x1c, 0x40, 0x96, 0x57, 0x74, 0x41, 0xc0, 0x3d, 0xd7, 0x66,
	       /* Or(CDW1, 4, CDW1) */
	       0x7d, 'C', 'D', 'W', '1', 0x0a, 0x04, 'C', 'D', 'W', '1',
	       /* Return(Arg3) */
	       0xa4, 0x6b);
	/* clang-format on */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pkglen_encode),
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_pkglen_in_scope),
		T(test_nested_growth),
		T(test_integers),
		T(test_eisaid),
		T(test_namestring),
		T(test_namestring_invalid),
		T(test_name_package_s5),
		T(test_method_return),
		T(test_string_and_buffer),
		T(test_device_hid_crs),
		T(test_interrupt_descriptors),
		T(test_memory_and_address_descriptors),
		T(test_arg_and_operators),
		T(test_if),
		T(test_uuid),
		T(test_osc_method),
#undef T
	};

	return cmocka_run_group_tests_name("aml", tests, NULL, NULL);
}
