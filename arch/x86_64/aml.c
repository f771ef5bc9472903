// SPDX-License-Identifier: Apache-2.0
/*
 * aml.c - ACPI Machine Language byte-code builder (ACPI 6.5, chapter 20
 * for the term encodings, section 6.4 for resource descriptors).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MOD "aml"
#include "arch/x86_64/aml.h"
#include "arch/x86_64/aml_priv.h"
#include "vmm/log.h"

/* Opcodes and prefixes (ACPI 6.5, 20.2). */
#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01
#define AML_NAME_OP 0x08
#define AML_BYTE_PREFIX 0x0a
#define AML_WORD_PREFIX 0x0b
#define AML_DWORD_PREFIX 0x0c
#define AML_STRING_PREFIX 0x0d
#define AML_QWORD_PREFIX 0x0e
#define AML_SCOPE_OP 0x10
#define AML_BUFFER_OP 0x11
#define AML_PACKAGE_OP 0x12
#define AML_METHOD_OP 0x14
#define AML_ARG0_OP 0x68 /* Arg0-Arg6: 0x68-0x6e */
#define AML_LOCAL0_OP 0x60 /* Local0-Local7: 0x60-0x67 */
#define AML_STORE_OP 0x70
#define AML_AND_OP 0x7b
#define AML_OR_OP 0x7d
#define AML_NOTIFY_OP 0x86
#define AML_OPREGION_OP 0x80 /* after AML_EXT_OP_PREFIX */
#define AML_FIELD_OP 0x81 /* after AML_EXT_OP_PREFIX */
#define AML_CREATE_DWORD_FIELD_OP 0x8a
#define AML_LNOT_OP 0x92
#define AML_LEQUAL_OP 0x93
#define AML_IF_OP 0xa0
#define AML_DUAL_NAME_PREFIX 0x2e
#define AML_MULTI_NAME_PREFIX 0x2f
#define AML_EXT_OP_PREFIX 0x5b
#define AML_ROOT_CHAR 0x5c
#define AML_PARENT_PREFIX 0x5e
#define AML_RETURN_OP 0xa4
#define AML_ONES_OP 0xff
#define AML_DEVICE_OP 0x82 /* after AML_EXT_OP_PREFIX */

/* Keep a runaway builder from eating host memory: 2^28 is AML's limit. */
#define AML_BUF_MAX ((size_t)AML_PKGLEN_MAX)

void aml_buf_init(struct aml_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void aml_buf_free(struct aml_buf *b)
{
	free(b->data);
	aml_buf_init(b);
}

int aml_buf_err(const struct aml_buf *b)
{
	return b->err;
}

int aml_fail(struct aml_buf *b, int err)
{
	if (!b->err)
		b->err = err;
	return b->err;
}

static int reserve(struct aml_buf *b, size_t more)
{
	size_t cap;
	uint8_t *p;

	if (b->err)
		return b->err;
	if (more > AML_BUF_MAX - b->len)
		return aml_fail(b, -E2BIG);
	if (b->len + more <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + more)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		return aml_fail(b, -ENOMEM);
	b->data = p;
	b->cap = cap;
	return 0;
}

int aml_bytes(struct aml_buf *b, const void *data, size_t len)
{
	int ret = reserve(b, len);

	if (ret)
		return ret;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	return 0;
}

int aml_put8(struct aml_buf *b, uint8_t v)
{
	return aml_bytes(b, &v, 1);
}

/* Little-endian integer of `size` bytes, as AML and resources store them. */
int aml_put_le(struct aml_buf *b, uint64_t v, unsigned int size)
{
	uint8_t tmp[8];
	unsigned int i;

	if (size > sizeof(tmp))
		return aml_fail(b, -EINVAL);
	for (i = 0; i < size; i++)
		tmp[i] = (uint8_t)(v >> (8 * i));
	return aml_bytes(b, tmp, size);
}

int aml_pkglen_encode(size_t content_len, uint8_t out[4])
{
	size_t total;
	unsigned int n, i;

	/* One byte holds 6 bits; 2-4 bytes hold 4 + 8 * (n - 1) bits. */
	if (content_len < 0x3f) {
		out[0] = (uint8_t)(content_len + 1);
		return 1;
	}
	for (n = 2; n <= 4; n++) {
		total = content_len + n;
		if (total < content_len)
			return -E2BIG;
		if (total <= (1ull << (4 + 8 * (n - 1))) - 1)
			break;
	}
	if (n > 4)
		return -E2BIG;
	out[0] = (uint8_t)(((n - 1) << 6) | (total & 0x0f));
	for (i = 1; i < n; i++)
		out[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
	return (int)n;
}

static bool is_hex_upper(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

static unsigned int hex_val(char c)
{
	return c <= '9' ? (unsigned int)(c - '0') :
			  (unsigned int)(c - 'A' + 10);
}

int aml_eisaid_encode(const char *id, uint32_t *out)
{
	uint16_t vendor, product = 0;
	unsigned int i;

	if (!id || strlen(id) != 7)
		return -EINVAL;
	for (i = 0; i < 3; i++)
		if (id[i] < 'A' || id[i] > 'Z')
			return -EINVAL;
	for (i = 3; i < 7; i++) {
		if (!is_hex_upper(id[i]))
			return -EINVAL;
		product = (uint16_t)(product << 4 | hex_val(id[i]));
	}
	/* Three 5-bit letters ('A' = 1) below a zero bit 15. */
	vendor = (uint16_t)((id[0] - 0x40) << 10 | (id[1] - 0x40) << 5 |
			    (id[2] - 0x40));
	/* Both 16-bit halves are stored big-endian in the little-endian DWord. */
	*out = (uint32_t)(vendor >> 8 | (vendor & 0xff) << 8) |
	       (uint32_t)(product >> 8 | (product & 0xff) << 8) << 16;
	return 0;
}

static bool is_lead_char(char c)
{
	return (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_name_char(char c)
{
	return is_lead_char(c) || (c >= '0' && c <= '9');
}

/* Parse one NameSeg of 1-4 chars at *p, padded with '_'; advances *p. */
static int parse_seg(const char **p, uint8_t seg[4])
{
	const char *s = *p;
	unsigned int n = 0;

	if (!is_lead_char(s[0]))
		return -EINVAL;
	while (is_name_char(s[n])) {
		if (n == 4)
			return -EINVAL;
		seg[n] = (uint8_t)s[n];
		n++;
	}
	memset(seg + n, '_', 4 - n);
	*p = s + n;
	return 0;
}

int aml_namestring(struct aml_buf *b, const char *path)
{
	uint8_t segs[255][4];
	unsigned int nseg = 0;
	const char *p = path;

	if (b->err)
		return b->err;
	if (!path)
		return aml_fail(b, -EINVAL);
	if (*p == '\\') {
		aml_put8(b, AML_ROOT_CHAR);
		p++;
	} else {
		while (*p == '^') {
			aml_put8(b, AML_PARENT_PREFIX);
			p++;
		}
	}
	while (*p) {
		if (nseg == 255 || parse_seg(&p, segs[nseg]))
			return aml_fail(b, -EINVAL);
		nseg++;
		if (*p == '.' && p[1])
			p++;
		else if (*p)
			return aml_fail(b, -EINVAL);
	}
	switch (nseg) {
	case 0:
		/* Only "\" or "^" alone names something: NullName. */
		if (p == path)
			return aml_fail(b, -EINVAL);
		return aml_put8(b, AML_ZERO_OP);
	case 1:
		break;
	case 2:
		aml_put8(b, AML_DUAL_NAME_PREFIX);
		break;
	default:
		aml_put8(b, AML_MULTI_NAME_PREFIX);
		aml_put8(b, (uint8_t)nseg);
		break;
	}
	return aml_bytes(b, segs, 4 * (size_t)nseg);
}

/* Shortest ComputationalData encoding of v into out; returns its length. */
static size_t int_encode(uint64_t v, uint8_t out[9])
{
	size_t size, i;

	if (v == 0 || v == 1 || v == UINT64_MAX) {
		out[0] = v == 0 ? AML_ZERO_OP :
			 v == 1 ? AML_ONE_OP :
				  AML_ONES_OP;
		return 1;
	}
	if (v <= 0xff) {
		out[0] = AML_BYTE_PREFIX;
		size = 1;
	} else if (v <= 0xffff) {
		out[0] = AML_WORD_PREFIX;
		size = 2;
	} else if (v <= 0xffffffff) {
		out[0] = AML_DWORD_PREFIX;
		size = 4;
	} else {
		out[0] = AML_QWORD_PREFIX;
		size = 8;
	}
	for (i = 0; i < size; i++)
		out[1 + i] = (uint8_t)(v >> (8 * i));
	return 1 + size;
}

int aml_integer(struct aml_buf *b, uint64_t v)
{
	uint8_t enc[9];

	return aml_bytes(b, enc, int_encode(v, enc));
}

int aml_string(struct aml_buf *b, const char *s)
{
	size_t i;

	if (b->err)
		return b->err;
	if (!s)
		return aml_fail(b, -EINVAL);
	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] > 0x7f)
			return aml_fail(b, -EINVAL);
	aml_put8(b, AML_STRING_PREFIX);
	return aml_bytes(b, s, i + 1);
}

int aml_eisaid(struct aml_buf *b, const char *id)
{
	uint32_t v;

	if (b->err)
		return b->err;
	if (aml_eisaid_encode(id, &v))
		return aml_fail(b, -EINVAL);
	/* Always a DWordConst, whatever its value, like EisaId() in ASL. */
	aml_put8(b, AML_DWORD_PREFIX);
	return aml_put_le(b, v, 4);
}

int aml_name(struct aml_buf *b, const char *path)
{
	aml_put8(b, AML_NAME_OP);
	return aml_namestring(b, path);
}

int aml_name_integer(struct aml_buf *b, const char *path, uint64_t v)
{
	aml_name(b, path);
	return aml_integer(b, v);
}

int aml_name_eisaid(struct aml_buf *b, const char *path, const char *id)
{
	aml_name(b, path);
	return aml_eisaid(b, id);
}

int aml_name_string(struct aml_buf *b, const char *path, const char *s)
{
	aml_name(b, path);
	return aml_string(b, s);
}

int aml_return(struct aml_buf *b)
{
	return aml_put8(b, AML_RETURN_OP);
}

int aml_arg(struct aml_buf *b, unsigned int n)
{
	if (n > 6)
		return aml_fail(b, -EINVAL);
	return aml_put8(b, (uint8_t)(AML_ARG0_OP + n));
}

static int hex_digit(char c)
{
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (is_hex_upper(c))
		return (int)hex_val(c);
	return -1;
}

int aml_uuid(struct aml_buf *b, const char *uuid)
{
	/* Where each byte of the buffer comes from in the string. */
	static const uint8_t src[16] = {
		6, 4, 2, 0, 11, 9, 16, 14, 19, 21, 24, 26, 28, 30, 32, 34,
	};
	uint8_t out[16];
	size_t m;
	int hi, lo;
	unsigned int i;

	if (b->err)
		return b->err;
	if (!uuid || strlen(uuid) != 36)
		return aml_fail(b, -EINVAL);
	for (i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? uuid[i] != '-' : hex_digit(uuid[i]) < 0)
			return aml_fail(b, -EINVAL);
	}
	for (i = 0; i < 16; i++) {
		hi = hex_digit(uuid[src[i]]);
		lo = hex_digit(uuid[src[i] + 1]);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	aml_buffer_open(b, &m);
	aml_bytes(b, out, sizeof(out));
	return aml_buffer_close(b, m);
}

int aml_lnot(struct aml_buf *b)
{
	return aml_put8(b, AML_LNOT_OP);
}

int aml_lequal(struct aml_buf *b)
{
	return aml_put8(b, AML_LEQUAL_OP);
}

int aml_or(struct aml_buf *b)
{
	return aml_put8(b, AML_OR_OP);
}

int aml_create_dword_field(struct aml_buf *b)
{
	return aml_put8(b, AML_CREATE_DWORD_FIELD_OP);
}

/* The mark is set even after an error, so callers never close garbage. */
static int pkg_open(struct aml_buf *b, size_t *mark)
{
	*mark = b->len;
	return b->err;
}

int aml_scope_open(struct aml_buf *b, const char *path, size_t *mark)
{
	aml_put8(b, AML_SCOPE_OP);
	pkg_open(b, mark);
	return aml_namestring(b, path);
}

int aml_device_open(struct aml_buf *b, const char *name, size_t *mark)
{
	aml_put8(b, AML_EXT_OP_PREFIX);
	aml_put8(b, AML_DEVICE_OP);
	pkg_open(b, mark);
	return aml_namestring(b, name);
}

int aml_method_open(struct aml_buf *b, const char *name, unsigned int nargs,
		    bool serialized, unsigned int sync_level, size_t *mark)
{
	if (nargs > 7 || sync_level > 15)
		return aml_fail(b, -EINVAL);
	aml_put8(b, AML_METHOD_OP);
	pkg_open(b, mark);
	aml_namestring(b, name);
	return aml_put8(b, (uint8_t)(nargs | (serialized ? 0x08 : 0) |
				     sync_level << 4));
}

int aml_if_open(struct aml_buf *b, size_t *mark)
{
	aml_put8(b, AML_IF_OP);
	return pkg_open(b, mark);
}

int aml_package_open(struct aml_buf *b, unsigned int nelems, size_t *mark)
{
	if (nelems > 255)
		return aml_fail(b, -EINVAL);
	aml_put8(b, AML_PACKAGE_OP);
	pkg_open(b, mark);
	return aml_put8(b, (uint8_t)nelems);
}

/* Insert `n` bytes of `hdr` at `at`, shifting what follows. */
static int insert(struct aml_buf *b, size_t at, const uint8_t *hdr, size_t n)
{
	int ret = reserve(b, n);

	if (ret)
		return ret;
	memmove(b->data + at + n, b->data + at, b->len - at);
	memcpy(b->data + at, hdr, n);
	b->len += n;
	return 0;
}

int aml_close(struct aml_buf *b, size_t mark)
{
	uint8_t pl[4];
	int n;

	if (b->err)
		return b->err;
	if (mark > b->len)
		return aml_fail(b, -EINVAL);
	n = aml_pkglen_encode(b->len - mark, pl);
	if (n < 0)
		return aml_fail(b, n);
	return insert(b, mark, pl, (size_t)n);
}

int aml_local(struct aml_buf *b, unsigned int n)
{
	if (n > 7)
		return aml_fail(b, -EINVAL);
	return aml_put8(b, (uint8_t)(AML_LOCAL0_OP + n));
}

int aml_store(struct aml_buf *b)
{
	return aml_put8(b, AML_STORE_OP);
}

int aml_and(struct aml_buf *b)
{
	return aml_put8(b, AML_AND_OP);
}

int aml_null_target(struct aml_buf *b)
{
	return aml_put8(b, AML_ZERO_OP); /* NullName */
}

int aml_notify(struct aml_buf *b)
{
	return aml_put8(b, AML_NOTIFY_OP);
}

int aml_opregion(struct aml_buf *b, const char *name, uint8_t space,
		 uint64_t offset, uint64_t len)
{
	aml_put8(b, AML_EXT_OP_PREFIX);
	aml_put8(b, AML_OPREGION_OP);
	aml_namestring(b, name);
	aml_put8(b, space);
	aml_integer(b, offset);
	return aml_integer(b, len);
}

/* A FieldList length: PkgLength's encoding of the plain value v (bits),
 * which, unlike a package's, does not count its own bytes. */
static int field_len(struct aml_buf *b, uint32_t v)
{
	uint8_t out[4];
	unsigned int n, i;

	if (v < 0x40)
		return aml_put8(b, (uint8_t)v);
	for (n = 2; n < 4 && v >= 1u << (4 + 8 * (n - 1)); n++)
		;
	if (v >= 1u << (4 + 8 * (n - 1)))
		return aml_fail(b, -E2BIG);
	out[0] = (uint8_t)(((n - 1) << 6) | (v & 0x0f));
	for (i = 1; i < n; i++)
		out[i] = (uint8_t)(v >> (4 + 8 * (i - 1)));
	return aml_bytes(b, out, n);
}

int aml_field(struct aml_buf *b, const char *region, uint8_t flags,
	      const struct aml_field_unit *u, size_t n)
{
	uint8_t seg[4];
	size_t mark, i;

	aml_put8(b, AML_EXT_OP_PREFIX);
	aml_put8(b, AML_FIELD_OP);
	pkg_open(b, &mark);
	aml_namestring(b, region);
	aml_put8(b, flags);
	for (i = 0; i < n; i++) {
		const char *p = u[i].name;

		if (!u[i].bits)
			return aml_fail(b, -EINVAL);
		if (!p) {
			aml_put8(b, 0x00); /* ReservedField */
		} else {
			if (parse_seg(&p, seg) || *p)
				return aml_fail(b, -EINVAL);
			aml_bytes(b, seg, 4);
		}
		field_len(b, u[i].bits);
	}
	return aml_close(b, mark);
}

int aml_buffer_open(struct aml_buf *b, size_t *mark)
{
	aml_put8(b, AML_BUFFER_OP);
	return pkg_open(b, mark);
}

int aml_buffer_close(struct aml_buf *b, size_t mark)
{
	uint8_t hdr[4 + 9], size[9];
	size_t size_len;
	int n;

	if (b->err)
		return b->err;
	if (mark > b->len)
		return aml_fail(b, -EINVAL);
	/* BufferSize is a TermArg: the shortest integer encoding. */
	size_len = int_encode(b->len - mark, size);
	n = aml_pkglen_encode(b->len - mark + size_len, hdr);
	if (n < 0)
		return aml_fail(b, n);
	memcpy(hdr + n, size, size_len);
	return insert(b, mark, hdr, (size_t)n + size_len);
}
