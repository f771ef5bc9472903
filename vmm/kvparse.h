/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kvparse.h - small parsers for command-line style values: Cloud
 * Hypervisor `key=value,key=value` lists, byte sizes ("512M"), bounded
 * decimal integers and on/off toggles.
 *
 * Used by the `nimbus` command line (vmm/cli.c) and shared with the REST
 * API and nimbus-remote.  Everything here is pure: no I/O, no logging, no
 * global state, so it is safe from any thread.  kv_parse also describes
 * its errors in the caller's err buffer; the others only return -errno.
 */
#ifndef NIMBUS_VMM_KVPARSE_H
#define NIMBUS_VMM_KVPARSE_H

#include <stddef.h>
#include <stdint.h>

/* One `key=value` item of a CH-style option list; both heap strings. */
struct kv {
	char *key;
	char *val;
};

/*
 * Split "a=1,b=x" into pairs.  The value is everything after the first
 * '=' (so it may contain '=' but not ','); it may be empty ("a=").  An
 * empty string gives zero pairs (*out = NULL, *n = 0).  Errors (-EINVAL,
 * message in err): an empty item ("a=1,,b=2", trailing ','), an empty
 * key ("=1"), an item without '=', a duplicate key.  -ENOMEM.  On success
 * the caller frees with kv_free(*out, *n); on failure nothing is left
 * allocated and *out and *n are untouched.
 */
int kv_parse(const char *s, struct kv **out, size_t *n, char *err,
	     size_t errlen);

/* Free an array from kv_parse.  NULL-safe. */
void kv_free(struct kv *kv, size_t n);

/*
 * Parse a byte size: decimal digits, then optionally one binary unit
 * suffix K, M, G or T (x1024, x1024^2, ...).  As in Cloud Hypervisor the
 * suffix is upper case and there is no "B" ("512M", not "512MB" or
 * "512m"); T is a Nimbus addition.  No sign, spaces, or other trailing
 * characters.  "0" is accepted (callers apply their own minimum).
 * Returns 0, or -EINVAL for empty/garbage/overflow beyond UINT64_MAX.
 */
int parse_size(const char *s, uint64_t *out);

/*
 * Parse a strictly decimal unsigned integer (digits only: no sign, space,
 * hex or trailing text) within [min, max].  Returns 0, -EINVAL for
 * garbage or empty, -ERANGE when outside [min, max].
 */
int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);

/*
 * Parse a toggle as Cloud Hypervisor does: on/true -> 1, off/false -> 0,
 * case-insensitive.  Returns 0 or -EINVAL (also for the empty string).
 */
int parse_bool(const char *s, int *out);

/* How much of a user-supplied string an error message echoes. */
#define KV_ECHO_MAX 64

/* Format a one-line message into err[errlen] (nothing if err is NULL or
 * errlen 0); returns -EINVAL so callers can `return kv_set_err(...)`.
 * Pure; any thread. */
int kv_set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* min(len, KV_ECHO_MAX) as an int, for "%.*s" when echoing user input. */
int kv_echo_len(size_t len);

#endif /* NIMBUS_VMM_KVPARSE_H */
