/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli.h - the `nimbus` command line, parsed into a struct vm_config.
 *
 * The syntax follows Cloud Hypervisor: `--opt value` or `--opt=value`,
 * where structured options take a `key=value,key=value` list
 * (`--cpus boot=2,max=4`, `--memory size=1G`).  Everything here is pure:
 * no I/O, no environment, no global state, so it is safe from any thread
 * and unit-testable with string arrays.  Checks that need the filesystem
 * (is the kernel readable?) belong to the caller.
 *
 * The small helpers (kv_parse, parse_size, parse_u32, parse_bool) are
 * shared with the REST API and nimbus-remote.
 */
#ifndef NIMBUS_VMM_CLI_H
#define NIMBUS_VMM_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/config.h"

/* Limits enforced by cli_parse (bytes / counts). */
#define CLI_CPUS_MAX 255u
#define CLI_MEM_MIN (16ull << 20) /* 16 MiB */
#define CLI_MEM_MAX (1ull << 40) /* 1 TiB */
#define CLI_MEM_ALIGN 4096ull /* size must be page aligned */
#define CLI_MEM_DEFAULT (512ull << 20)
#define CLI_HV_NAME_MAX 32 /* characters in a --hv name */

enum cli_result {
	CLI_OK = 0, /* *cfg describes a VM to run */
	CLI_HELP = 1, /* -h/--help seen: print cli_usage_text(), exit 0 */
	CLI_VERSION = 2, /* -V/--version seen: print the version, exit 0 */
};

/*
 * Parse argv[1..argc-1] (argv[0] is the program name and is ignored) into
 * *cfg.  *cfg need not be initialised: it is zeroed, then given defaults
 * (1 vCPU, max = boot, 512 MiB, serial CONSOLE_NULL, hv "auto").
 *
 * Rules: every option at most once, except -v (counted, also "-vv").
 * A value is taken from `--opt=value` or from the next argument; a next
 * argument that starts with '-' (other than "-" itself) is an option, so
 * the value counts as missing; use `--opt=value` for such values.  "--"
 * ends the options; any argument after it, or any positional argument,
 * is an error.  -h/-V win as soon as they are seen (errors in earlier
 * arguments are still reported).  Without -h/-V, --kernel is required.
 *
 * Returns CLI_OK, CLI_HELP or CLI_VERSION; -EINVAL for a bad command line
 * with a one-line message naming the option in err (the caller exits with
 * status 2); -ENOMEM.  err may be NULL or errlen 0.  On every return
 * other than CLI_OK, *cfg owns nothing (still safe for vm_config_free).
 * On CLI_OK the caller owns the strings and frees them with
 * vm_config_free().
 */
int cli_parse(int argc, char **argv, struct vm_config *cfg, char *err,
	      size_t errlen);

/*
 * Free the strings owned by *cfg and set the pointers to NULL.  NULL-safe
 * and idempotent; leaves the scalar fields alone.
 */
void vm_config_free(struct vm_config *cfg);

/* The --help text (static storage, ends with a newline). */
const char *cli_usage_text(void);

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

#endif /* NIMBUS_VMM_CLI_H */
