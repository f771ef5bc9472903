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
#define CLI_DISK_QUEUES_MAX 64u /* --disk num_queues=1..64 */
#define CLI_DISK_QSIZE_MIN 2u /* --disk queue_size: a power of two */
#define CLI_DISK_QSIZE_MAX 1024u
#define CLI_DISK_QSIZE_DEFAULT 256u
#define CLI_DISK_SERIAL_MAX 20u /* bytes: the virtio-blk GET_ID string */
#define CLI_RNG_DEFAULT "/dev/urandom"

enum cli_result {
	CLI_OK = 0, /* *cfg describes a VM to run */
	CLI_HELP = 1, /* -h/--help seen: print cli_usage_text(), exit 0 */
	CLI_VERSION = 2, /* -V/--version seen: print the version, exit 0 */
};

/*
 * Parse argv[1..argc-1] (argv[0] is the program name and is ignored) into
 * *cfg.  *cfg need not be initialised: it is zeroed, then given defaults
 * (1 vCPU, max = boot, 512 MiB, serial CONSOLE_NULL, console see below,
 * no disks, rng src CLI_RNG_DEFAULT, hv "auto").
 *
 * Rules: every option at most once, except -v (counted, also "-vv") and
 * --disk.  A value is taken from `--opt=value` or from the next argument;
 * a next argument that starts with '-' (other than "-" itself) is an
 * option, so the value counts as missing; use `--opt=value` for such
 * values.  "--" ends the options; any argument after it, or any
 * positional argument, is an error.  -h/-V win as soon as they are seen
 * (errors in earlier arguments are still reported).  Without -h/-V,
 * --kernel is required.
 *
 * --disk, as in CH, is repeatable and also takes several values at once:
 * `--disk path=a path=b --disk path=c` gives three disks in that order
 * (every argument up to the next option is a disk, also after
 * `--disk=path=a`).  Each disk needs path=; num_queues 1..64 (default
 * 1); queue_size a power of two in 2..1024 (default 256, where CH uses
 * 128); serial at most 20 bytes; id unique among the disks and not
 * starting with "__" (reserved by CH for the VMM's own devices).  Disks
 * without id= are named as CH names them: "_disk0", "_disk1"... from one
 * counter that only such disks advance, skipping ids the user gave.  CH
 * keys Nimbus lacks (vhost_user, socket, iommu, pci_segment, the bw_* and
 * ops_* rate limits, image_type other than raw, ...) are errors that say
 * "not supported yet"; other keys are "unknown key".
 *
 * --console (virtio-console) takes off|null|tty|pty|file=PATH.  CH
 * defaults it to tty and rejects serial and console both on tty, so in CH
 * `--serial tty` alone is an error and users add `--console off`.  Nimbus
 * keeps that rule for an explicit `--console tty --serial tty` but makes
 * the default depend on --serial: tty, or off when --serial is tty.  Every
 * command line CH accepts means the same here; the one CH rejects for the
 * default (`--serial tty` without --console) runs with the UART on the
 * terminal and no virtio console, as CH users get with `--console off`.
 * CH has no rule for pty (each pty console gets its own pty), nor here.
 *
 * --rng src=PATH: the virtio-rng source (non-empty; default
 * CLI_RNG_DEFAULT when --rng or src= is absent).
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
