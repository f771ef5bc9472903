/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_json_priv.h - the field tables shared by api_json.c and
 * api_json_dev.c (VmConfig parsing).  Each JSON object is described by a
 * table of fields: the CH name, a kind and where the value goes;
 * api_json_parse_object() walks an object's keys against it, so unknown
 * keys, wrong types and out-of-range numbers are refused in one place.
 * JSON null means "not given".  Nothing outside those files includes it.
 */
#ifndef NIMBUS_VMM_API_JSON_PRIV_H
#define NIMBUS_VMM_API_JSON_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "vmm/config.h"

struct api_json_ctx {
	char *err;
	size_t errlen;
	struct vm_config *cfg;
};

enum fkind {
	FK_STR, /* char *, non-empty */
	FK_BOOL, /* int */
	FK_BOOL8, /* uint8_t */
	FK_U16, /* uint16_t in [min, max] */
	FK_U32, /* uint32_t in [min, max] */
	FK_U64, /* uint64_t in [min, max] */
	FK_FN, /* fn(c, where, value, base) */
	FK_LATER, /* CH field: only its default (null/false/0/""/[]/{}) */
	FK_LATER_TRUE, /* same, and true is CH's default */
	FK_LATER_STR, /* same, and the string dflt is CH's default */
};

struct api_json_field {
	const char *name;
	int kind;
	size_t off;
	uint64_t min, max;
	int (*fn)(struct api_json_ctx *c, const char *where, const json_t *v,
		  void *base);
	const char *dflt;
};

/* Format a reason into c->err; returns -EINVAL. */
int api_json_err(struct api_json_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "out of memory" into c->err; returns -ENOMEM. */
int api_json_nomem(struct api_json_ctx *c);
/* Walk obj's keys against fields[0..nr), storing into base; `prefix`
 * names obj in messages ("disks[1]").  0, -EINVAL or -ENOMEM. */
int api_json_parse_object(struct api_json_ctx *c, const json_t *obj,
			  const char *prefix,
			  const struct api_json_field *fields, size_t nr,
			  void *base);

/* The device arrays and objects of a VmConfig (api_json_dev.c): each an
 * FK_FN parser whose base is the struct vm_config. */
int api_json_parse_disks(struct api_json_ctx *c, const char *where,
			 const json_t *v, void *base);
int api_json_parse_nets(struct api_json_ctx *c, const char *where,
			const json_t *v, void *base);
int api_json_parse_vsock(struct api_json_ctx *c, const char *where,
			 const json_t *v, void *base);
int api_json_parse_pmems(struct api_json_ctx *c, const char *where,
			 const json_t *v, void *base);

/* clang-format off */
#define FSTR(n, s, m) { n, FK_STR, offsetof(s, m), 0, 0, NULL, NULL }
#define FBOOL(n, s, m) { n, FK_BOOL, offsetof(s, m), 0, 0, NULL, NULL }
#define FBOOL8(n, s, m) { n, FK_BOOL8, offsetof(s, m), 0, 0, NULL, NULL }
#define FU16(n, s, m, lo, hi) { n, FK_U16, offsetof(s, m), lo, hi, NULL, NULL }
#define FU32(n, s, m, lo, hi) { n, FK_U32, offsetof(s, m), lo, hi, NULL, NULL }
#define FU64(n, s, m, lo, hi) { n, FK_U64, offsetof(s, m), lo, hi, NULL, NULL }
#define FFN(n, f) { n, FK_FN, 0, 0, 0, f, NULL }
#define FLATER(n) { n, FK_LATER, 0, 0, 0, NULL, NULL }
#define FLATER_TRUE(n) { n, FK_LATER_TRUE, 0, 0, 0, NULL, NULL }
#define FLATER_STR(n, d) { n, FK_LATER_STR, 0, 0, 0, NULL, d }
#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))
/* clang-format on */

static inline bool is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

#endif /* NIMBUS_VMM_API_JSON_PRIV_H */
