/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sandbox_priv.h - the allowlist tables of vmm/sandbox.c, kept in
 * vmm/sandbox_rules.c.  Only the sandbox files include it.
 *
 * A kind's filter is the union of its rule lists (every kind starts with
 * the base list), plus ioctl rules for the request groups it names.
 * Syscall numbers come from SCMP_SYS(); a syscall this architecture lacks
 * has a negative (pseudo) number there and is skipped.
 */
#ifndef NIMBUS_VMM_SANDBOX_PRIV_H
#define NIMBUS_VMM_SANDBOX_PRIV_H

#include <stddef.h>

#include "vmm/sandbox.h"

/* How a rule restricts the arguments. */
enum sb_arg {
	SB_ANY = 0, /* any arguments */
	SB_NO_EXEC, /* mmap/mprotect: prot (arg 2) without PROT_EXEC */
	SB_THREAD, /* clone: flags (arg 0) include CLONE_THREAD */
	SB_CLONE_VM, /* clone: flags include CLONE_VM (never a fork) */
	SB_AF_UNIX, /* socket: domain AF_UNIX */
	SB_AF_UNIX_INET, /* socket: domain AF_UNIX or AF_INET */
	SB_IOCTL, /* ioctl: request in the kind's ioctl groups */
	SB_KICK, /* tgkill: own process, the vCPU kick signal only */
	SB_NNP, /* prctl: PR_SET_NO_NEW_PRIVS only */
	SB_SET_FILTER, /* seccomp: SECCOMP_SET_MODE_FILTER only */
	SB_SETXID, /* rt_sigaction: glibc's SIGSETXID (kernel signal 33) */
	SB_ENOSYS, /* not allowed: fails with ENOSYS instead of trapping */
};

struct sb_rule {
	int nr; /* SCMP_SYS(name) */
	unsigned char arg; /* enum sb_arg */
};

struct sb_list {
	const struct sb_rule *rules;
	size_t n;
};

/* ioctl request groups (struct sb_kind.ioctls). */
#define SB_IOC_HV 0x1u /* the plugin's list (sandbox_ctx.hv_ioctls) */
#define SB_IOC_TAP_RUN 0x2u /* TAP offloads and queues while running */
#define SB_IOC_TAP_SETUP 0x4u /* TAP creation and host-side config */
#define SB_IOC_TERM 0x8u /* terminal (serial/console on a tty or pty) */
#define SB_IOC_BLOCK 0x10u /* block-device disks: sizes */

#define SB_MAX_LISTS 4

struct sb_kind {
	const char *name; /* as in the SIGSYS message */
	const struct sb_list *lists[SB_MAX_LISTS]; /* NULL-terminated */
	unsigned int ioctls; /* SB_IOC_* */
};

/* Indexed by enum sandbox_thread. */
const struct sb_kind *sb_kind_get(unsigned int kind);

/* The fixed ioctl numbers of one SB_IOC_* group (not SB_IOC_HV). */
const unsigned long *sb_ioctl_group(unsigned int group, size_t *n);

#endif /* NIMBUS_VMM_SANDBOX_PRIV_H */
