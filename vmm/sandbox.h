/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sandbox.h - per-thread seccomp filters (the only user of libseccomp).
 *
 * Every thread of the VMM runs under an allowlist built for its kind: the
 * main (VMM/event-loop) thread, vCPU threads, the API thread, and the
 * virtio device threads (one kind per device class).  The lists, with the
 * reason for each entry, are in vmm/sandbox_rules.c; docs/security.md
 * summarises them.  ioctl is allowed only for the request numbers a kind
 * needs: the hypervisor plugin's own list (hv_ops.get_ioctl_allowlist)
 * plus the TAP, terminal and block-device requests the core issues.
 *
 * Use:
 *   1. main, once the plugin is open and before any thread that will be
 *      sandboxed is created: sandbox_new() builds every kind's BPF program
 *      and installs the process-wide SIGSYS handler.
 *   2. each thread, on itself, once its own setup is done and before it
 *      handles guest or client input: sandbox_install(sb, kind).  Filters
 *      are inherited by threads created later, so the main filter allows
 *      whatever the other kinds need (threads made on a reboot run under
 *      main's filter plus their own).  The main thread installs its filter
 *      once only (filters stack; they cannot be removed).
 *   3. sandbox_free() after every thread that uses the programs is gone
 *      (the kernel keeps its own copy of installed filters).
 *
 * Modes (--seccomp): SECCOMP_ON - a forbidden syscall raises SIGSYS; the
 * handler writes one line to the log fd, e.g.
 *   nimbus[1.234567] error sandbox: vcpu thread: forbidden syscall
 *   execve (59), stopping the VMM
 * and ends the process with status SANDBOX_EXIT_STATUS.  SECCOMP_LOG -
 * forbidden syscalls are allowed and logged by the kernel (audit/dmesg).
 * SECCOMP_OFF - nothing is installed.
 *
 * The handler has no state of its own: the kernel hands it the thread
 * kind and the log fd, which sandbox_new stored in each program's trap
 * return value (SECCOMP_RET_DATA, delivered as si_errno), and the syscall
 * name comes from a compiled-in table (sandbox_syscall_name), because
 * libseccomp's resolver allocates and is not async-signal-safe.
 */
#ifndef NIMBUS_VMM_SANDBOX_H
#define NIMBUS_VMM_SANDBOX_H

#include <stddef.h>

/* Thread kinds.  Keep in step with the tables in sandbox_rules.c. */
enum sandbox_thread {
	SANDBOX_MAIN = 0, /* main thread: event loop, API handlers, VM life */
	SANDBOX_VCPU, /* a vCPU thread: run loop and MMIO/PIO devices */
	SANDBOX_API, /* the REST API server thread (api_server.c) */
	SANDBOX_VIRTIO_BLK, /* virtio-blk queue workers */
	SANDBOX_VIRTIO_CONSOLE, /* virtio-console worker */
	SANDBOX_VIRTIO_RNG, /* virtio-rng worker */
	SANDBOX_VIRTIO_NET, /* virtio-net workers and receive threads */
	SANDBOX_VIRTIO_VSOCK, /* virtio-vsock worker and device thread */
	SANDBOX_VIRTIO_PMEM, /* virtio-pmem worker */
	SANDBOX_THREAD_MAX,
};

/* Process exit status after a violation in SECCOMP_ON mode (the same as
 * main.c's "VMM error"). */
#define SANDBOX_EXIT_STATUS 1

/* Highest log fd the trap can carry (11 bits of SECCOMP_RET_DATA). */
#define SANDBOX_LOG_FD_MAX 2047

struct sandbox_ctx {
	int mode; /* enum seccomp_mode (vmm/config.h) */
	int log_fd; /* the log's fd (2 for stderr), 0..SANDBOX_LOG_FD_MAX */
	/* Request numbers from hv_ops.get_ioctl_allowlist (may be empty);
	 * only read during sandbox_new. */
	const unsigned long *hv_ioctls;
	size_t nr_hv_ioctls;
	int kick_signo; /* the vCPU kick signal (hv_host.kick_signo), >0 */
};

struct sandbox;

/*
 * Build the filters of every kind for ctx and install the SIGSYS handler
 * (process-wide).  Also seeds jansson's hash function now, because its
 * first use would otherwise open /dev/urandom from a sandboxed thread.
 * Main thread, before creating the threads that will call
 * sandbox_install.  Returns 0 and *out, -EINVAL for a bad ctx (unknown
 * mode, log fd out of range, no kick signal), -ENOMEM, or -errno from
 * libseccomp.  With SECCOMP_OFF nothing is built and installs are no-ops.
 */
int sandbox_new(const struct sandbox_ctx *ctx, struct sandbox **out);

/*
 * Install kind's filter on the calling thread (and unblock SIGSYS there,
 * so the handler can run).  Does not allocate.  Returns 0 (also with
 * SECCOMP_OFF), -EINVAL for an unknown kind, or -errno from prctl or
 * seccomp (the thread is then not sandboxed; callers treat it as fatal).
 */
int sandbox_install(const struct sandbox *sb, enum sandbox_thread kind);

/* Free what sandbox_new built.  NULL is a no-op.  Main thread. */
void sandbox_free(struct sandbox *sb);

/* The kind for a virtio device's threads by virtio device id (1 net,
 * 2 block, 3 console, 4 rng, 19 vsock, 27 pmem); -ENOENT for a device
 * without one.  Pure. */
int sandbox_virtio_kind(unsigned int device_id);

/* "main", "vcpu", "api", "virtio-blk", ...; "?" when out of range. */
const char *sandbox_thread_name(enum sandbox_thread kind);

/* Figures for the docs and tests: distinct syscalls kind allows on this
 * architecture (ioctl counted once), and ioctl request numbers. */
struct sandbox_stats {
	unsigned int syscalls;
	unsigned int ioctls;
};
int sandbox_get_stats(const struct sandbox *sb, enum sandbox_thread kind,
		      struct sandbox_stats *out);

/* 1 if kind's filter lets syscall `nr` through at all (for some
 * arguments), else 0.  For tests. */
int sandbox_allows(const struct sandbox *sb, enum sandbox_thread kind, long nr);

/* The name of syscall nr on this architecture, or NULL.  Static storage;
 * async-signal-safe. */
const char *sandbox_syscall_name(long nr);

#ifdef NIMBUS_TEST_HOOKS
/*
 * Test builds only (-DNIMBUS_TEST_HOOKS): make the calling thread issue
 * a syscall no kind allows (execve of a path that does not exist, so it
 * is harmless if nothing stops it).  Returns only when the syscall was
 * let through (SECCOMP_OFF or SECCOMP_LOG): -errno of the failed execve.
 * sandbox_install also calls it when the environment variable
 * NIMBUS_SANDBOX_VIOLATE names the kind being installed (e.g. "vcpu"), so
 * end-to-end tests can check each thread kind in a running VMM.  Never
 * compiled into release builds; no guest or API path reaches it.
 */
int sandbox_test_violate(void);
#endif

#endif /* NIMBUS_VMM_SANDBOX_H */
