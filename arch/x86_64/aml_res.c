// SPDX-License-Identifier: Apache-2.0
/*
 * aml_res.c - AML resource templates: the small and large resource
 * descriptors of ACPI 6.5 section 6.4 inside a Buffer (see aml.h).
 */
#include <errno.h>

#include "arch/x86_64/aml.h"
#include "arch/x86_64/aml_priv.h"

/* Resource descriptor tags (ACPI 6.5, 6.4.2 small and 6.4.3 large). */
#define RES_IRQ_SHORT 0x22 /* small type 4, length 2 */
#define RES_IRQ_FLAGS 0x23 /* small type 4, length 3 */
#define RES_IO 0x47 /* small type 8, length 7 */
#define RES_END_TAG 0x79 /* small type 0xf, length 1 */
#define RES_MEM32_FIXED 0x86 /* large type 6 */
#define RES_DWORD_ADDR 0x87 /* large type 7 */
#define RES_WORD_ADDR 0x88 /* large type 8 */
#define RES_EXT_IRQ 0x89 /* large type 9 */
#define RES_QWORD_ADDR 0x8a /* large type 0xa */

int aml_restemplate_open(struct aml_buf *b, size_t *mark)
{
	return aml_buffer_open(b, mark);
}

int aml_restemplate_close(struct aml_buf *b, size_t mark)
{
	/* Checksum 0: "the checksum is treated as correct" (6.4.2.9). */
	static const uint8_t end_tag[2] = { RES_END_TAG, 0x00 };

	aml_bytes(b, end_tag, sizeof(end_tag));
	return aml_buffer_close(b, mark);
}

int aml_res_io(struct aml_buf *b, uint16_t min, uint16_t max, uint8_t align,
	       uint8_t len)
{
	if (max < min)
		return aml_fail(b, -EINVAL);
	aml_put8(b, RES_IO);
	aml_put8(b, 0x01); /* _DEC: decodes 16 address bits */
	aml_put_le(b, min, 2);
	aml_put_le(b, max, 2);
	aml_put8(b, align);
	return aml_put8(b, len);
}

int aml_res_irq(struct aml_buf *b, unsigned int irq, unsigned int flags)
{
	uint8_t info = 0;

	if (irq > 15 || flags & ~0xfu)
		return aml_fail(b, -EINVAL);
	if (flags == AML_IRQ_EDGE) {
		/* The 2-byte form implies edge, active high, exclusive. */
		aml_put8(b, RES_IRQ_SHORT);
		return aml_put_le(b, 1u << irq, 2);
	}
	if (flags & AML_IRQ_EDGE)
		info |= 0x01; /* _HE */
	if (flags & AML_IRQ_ACTIVE_LOW)
		info |= 0x08; /* _LL */
	if (flags & AML_IRQ_SHARED)
		info |= 0x10; /* _SHR */
	if (flags & AML_IRQ_WAKE)
		info |= 0x20; /* _WKC */
	aml_put8(b, RES_IRQ_FLAGS);
	aml_put_le(b, 1u << irq, 2);
	return aml_put8(b, info);
}

int aml_res_ext_irq(struct aml_buf *b, uint32_t gsi, unsigned int flags)
{
	uint8_t info = 0x01; /* ResourceConsumer */

	if (flags & ~0xfu)
		return aml_fail(b, -EINVAL);
	if (flags & AML_IRQ_EDGE)
		info |= 0x02;
	if (flags & AML_IRQ_ACTIVE_LOW)
		info |= 0x04;
	if (flags & AML_IRQ_SHARED)
		info |= 0x08;
	if (flags & AML_IRQ_WAKE)
		info |= 0x10;
	aml_put8(b, RES_EXT_IRQ);
	aml_put_le(b, 6, 2); /* flags, count, one DWord */
	aml_put8(b, info);
	aml_put8(b, 1);
	return aml_put_le(b, gsi, 4);
}

int aml_res_mem32_fixed(struct aml_buf *b, bool rw, uint32_t base, uint32_t len)
{
	aml_put8(b, RES_MEM32_FIXED);
	aml_put_le(b, 9, 2);
	aml_put8(b, rw ? 0x01 : 0x00);
	aml_put_le(b, base, 4);
	return aml_put_le(b, len, 4);
}

/* Common body of the Word/DWord/QWord address space descriptors. */
static int res_addr(struct aml_buf *b, uint8_t tag, unsigned int size,
		    uint8_t type, uint8_t gflags, uint8_t tflags,
		    const uint64_t v[5])
{
	unsigned int i;

	if (v[2] < v[1] || type > AML_ADDR_BUS || gflags & 0xf0)
		return aml_fail(b, -EINVAL);
	aml_put8(b, tag);
	aml_put_le(b, 3 + 5 * size, 2);
	aml_put8(b, type);
	aml_put8(b, gflags);
	aml_put8(b, tflags);
	for (i = 0; i < 5; i++)
		aml_put_le(b, v[i], size);
	return b->err;
}

int aml_res_word_addr(struct aml_buf *b, uint8_t type, uint8_t gflags,
		      uint8_t tflags, uint16_t gran, uint16_t min, uint16_t max,
		      uint16_t tra, uint16_t len)
{
	const uint64_t v[5] = { gran, min, max, tra, len };

	return res_addr(b, RES_WORD_ADDR, 2, type, gflags, tflags, v);
}

int aml_res_dword_addr(struct aml_buf *b, uint8_t type, uint8_t gflags,
		       uint8_t tflags, uint32_t gran, uint32_t min,
		       uint32_t max, uint32_t tra, uint32_t len)
{
	const uint64_t v[5] = { gran, min, max, tra, len };

	return res_addr(b, RES_DWORD_ADDR, 4, type, gflags, tflags, v);
}

int aml_res_qword_addr(struct aml_buf *b, uint8_t type, uint8_t gflags,
		       uint8_t tflags, uint64_t gran, uint64_t min,
		       uint64_t max, uint64_t tra, uint64_t len)
{
	const uint64_t v[5] = { gran, min, max, tra, len };

	return res_addr(b, RES_QWORD_ADDR, 8, type, gflags, tflags, v);
}
