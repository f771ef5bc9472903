// SPDX-License-Identifier: Apache-2.0
/*
 * kvparse.c - key=value lists, sizes, integers and toggles (see kvparse.h).
 */
#define LOG_MOD "kvparse"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vmm/kvparse.h"
#include "vmm/log.h"

int kv_set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

int kv_echo_len(size_t len)
{
	return (int)(len < KV_ECHO_MAX ? len : KV_ECHO_MAX);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGT";
	uint64_t v = 0;
	unsigned int shift = 0;
	const char *p = s;

	if (!s || !out || !is_digit(*p))
		return -EINVAL;
	for (; is_digit(*p); p++) {
		unsigned int d = (unsigned int)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	if (*p != '\0') {
		/* One binary unit letter, and nothing after it. */
		const char *u = strchr(units, *p);

		if (!u || p[1] != '\0')
			return -EINVAL;
		shift = 10 * (unsigned int)(u - units + 1);
	}
	if (v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = v << shift;
	return 0;
}

int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	uint64_t v = 0;
	const char *p;

	if (!s || !out || *s == '\0')
		return -EINVAL;
	for (p = s; *p; p++) {
		if (!is_digit(*p))
			return -EINVAL;
		/* Saturate: any value above UINT32_MAX is out of range. */
		if (v <= UINT32_MAX)
			v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v < min || v > max)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

int parse_bool(const char *s, int *out)
{
	if (!s || !out)
		return -EINVAL;
	if (!strcasecmp(s, "on") || !strcasecmp(s, "true"))
		*out = 1;
	else if (!strcasecmp(s, "off") || !strcasecmp(s, "false"))
		*out = 0;
	else
		return -EINVAL;
	return 0;
}

void kv_free(struct kv *kv, size_t n)
{
	size_t i;

	if (!kv)
		return;
	for (i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].val);
	}
	free(kv);
}

/* Is the key p[0..len) already among kv[0..n)? */
static bool kv_has(const struct kv *kv, size_t n, const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(kv[i].key) == len && !memcmp(kv[i].key, p, len))
			return true;
	return false;
}

int kv_parse(const char *s, struct kv **out, size_t *n, char *err,
	     size_t errlen)
{
	struct kv *kv;
	size_t cap = 1, count = 0, len;
	const char *p, *end, *eq;
	int ret;

	if (!s || !out || !n)
		return -EINVAL;
	if (*s == '\0') {
		*out = NULL;
		*n = 0;
		return 0;
	}
	for (p = s; *p; p++)
		cap += *p == ',';
	kv = calloc(cap, sizeof(*kv));
	if (!kv) {
		kv_set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}

	for (p = s;; p = end + 1) {
		end = strchrnul(p, ',');
		len = (size_t)(end - p);
		eq = memchr(p, '=', len);
		if (len == 0) {
			ret = kv_set_err(err, errlen, "empty item in '%.*s'",
					 kv_echo_len(strlen(s)), s);
			goto out_free;
		}
		if (!eq) {
			ret = kv_set_err(err, errlen, "missing '=' in '%.*s'",
					 kv_echo_len(len), p);
			goto out_free;
		}
		if (eq == p) {
			ret = kv_set_err(err, errlen, "empty key in '%.*s'",
					 kv_echo_len(len), p);
			goto out_free;
		}
		if (kv_has(kv, count, p, (size_t)(eq - p))) {
			ret = kv_set_err(err, errlen, "duplicate key '%.*s'",
					 kv_echo_len((size_t)(eq - p)), p);
			goto out_free;
		}
		kv[count].key = strndup(p, (size_t)(eq - p));
		kv[count].val = strndup(eq + 1, (size_t)(end - eq - 1));
		count++;
		if (!kv[count - 1].key || !kv[count - 1].val) {
			ret = -ENOMEM;
			kv_set_err(err, errlen, "out of memory");
			goto out_free;
		}
		if (*end == '\0')
			break;
	}
	*out = kv;
	*n = count;
	return 0;

out_free:
	kv_free(kv, count);
	return ret;
}
