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
 * The value parsers it uses (kv_parse, parse_size, parse_u32, parse_bool)
 * live in vmm/kvparse.h, included here for existing callers.
 */
#ifndef NIMBUS_VMM_CLI_H
#define NIMBUS_VMM_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/config.h"
#include "vmm/kvparse.h"

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

#endif /* NIMBUS_VMM_CLI_H */
