// SPDX-License-Identifier: Apache-2.0
/*
 * sandbox.c - builds the per-kind seccomp programs with libseccomp,
 * installs them on threads, and reports violations.
 *
 * Programs are built once, up front (sandbox_new), exported as classic
 * BPF and kept, so that installing one later (sandbox_install on a thread
 * the already-sandboxed main thread created) needs nothing but prctl and
 * seccomp.  Before keeping a program, every "trap" return in it is given
 * the kind and log fd as SECCOMP_RET_DATA: the kernel passes that value to
 * the SIGSYS handler in si_errno, so the handler needs no global state.
 *
 * The handler only formats into a stack buffer, calls write(2) once and
 * ends the process with exit_group(SANDBOX_EXIT_STATUS).  That exit is the
 * SECCOMP_RET_KILL_PROCESS the kernel would otherwise apply, postponed by
 * one write so the log says why; it is not an error path a caller could
 * handle, so the rule that only vmm/main.c exits still holds for every
 * code path that returns.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <jansson.h>
#include <seccomp.h>

#define LOG_MOD "sandbox"
#include "vmm/config.h"
#include "vmm/log.h"
#include "vmm/sandbox_priv.h"

#if defined(__x86_64__)
#define SB_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SB_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "sandbox: unsupported architecture"
#endif

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1 /* si_code of a seccomp SIGSYS (linux/signal.h) */
#endif

/* glibc's internal SIGSETXID (__SIGRTMIN + 1), whose handler it installs
 * on the first pthread_create. */
#define SB_SIGSETXID 33

#define SB_NR_MAX 512 /* syscall numbers tracked for stats and tests */
#define SB_IOCTL_MAX 256 /* distinct ioctl numbers per kind */
#define SB_ARG_MAX 16 /* enum sb_arg values */
#define SB_KIND_BITS 5 /* SECCOMP_RET_DATA: kind | log fd << 5 */
#define SB_KIND_MASK ((1u << SB_KIND_BITS) - 1)

_Static_assert(SANDBOX_THREAD_MAX <= SB_KIND_MASK + 1, "kinds fit in data");
_Static_assert(((SANDBOX_LOG_FD_MAX << SB_KIND_BITS) | SB_KIND_MASK) <=
		       SECCOMP_RET_DATA,
	       "kind and log fd fit in SECCOMP_RET_DATA");

struct sandbox {
	int mode; /* enum seccomp_mode */
	struct sock_fprog prog[SANDBOX_THREAD_MAX];
	struct sandbox_stats stats[SANDBOX_THREAD_MAX];
	uint64_t allowed[SANDBOX_THREAD_MAX][SB_NR_MAX / 64];
};

/* What one kind's build needs besides its rule lists. */
struct sb_build {
	scmp_filter_ctx f;
	unsigned long ioctls[SB_IOCTL_MAX];
	size_t nr_ioctls;
	pid_t pid;
	int kick_signo;
	uint64_t seen[SB_ARG_MAX][SB_NR_MAX / 64]; /* rules added */
	uint64_t *allowed;
};

/* ---- the SIGSYS handler (async-signal-safe code only) ---------------- */

static size_t sb_put(char *buf, size_t n, size_t cap, const char *s)
{
	while (*s && n < cap)
		buf[n++] = *s++;
	return n;
}

/* Decimal, zero-padded to `width` digits. */
static size_t sb_put_u(char *buf, size_t n, size_t cap, uint64_t v,
		       unsigned int width)
{
	char tmp[24];
	unsigned int i = 0;

	do {
		tmp[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && i < sizeof(tmp));
	while (i < width && i < sizeof(tmp))
		tmp[i++] = '0';
	while (i && n < cap)
		buf[n++] = tmp[--i];
	return n;
}

static void sb_sigsys(int sig, siginfo_t *si, void *uctx)
{
	unsigned int data = (unsigned int)si->si_errno;
	const struct sb_kind *k = sb_kind_get(data & SB_KIND_MASK);
	int native = si->si_arch == SB_AUDIT_ARCH;
	const char *name = native ? sandbox_syscall_name(si->si_syscall) : NULL;
	uint64_t t = log_uptime_ns();
	char buf[256];
	size_t n = 0, cap = sizeof(buf) - 1;

	/* Only the kernel's seccomp traps; a SIGSYS sent by kill(2) is
	 * ignored. */
	if (si->si_code != SYS_SECCOMP)
		return;
	n = sb_put(buf, n, cap, "nimbus[");
	n = sb_put_u(buf, n, cap, t / 1000000000u, 1);
	n = sb_put(buf, n, cap, ".");
	n = sb_put_u(buf, n, cap, t % 1000000000u / 1000, 6);
	n = sb_put(buf, n, cap, "] error sandbox: ");
	n = sb_put(buf, n, cap, k ? k->name : "?");
	n = sb_put(buf, n, cap, " thread: forbidden syscall ");
	n = sb_put(buf, n, cap, name ? name : "?");
	n = sb_put(buf, n, cap, " (");
	n = sb_put_u(buf, n, cap, (uint32_t)si->si_syscall, 1);
	n = sb_put(buf, n, cap, native ? ")" : ", foreign ABI)");
	n = sb_put(buf, n, cap, ", stopping the VMM");
	buf[n++] = '\n';
	if (write((int)(data >> SB_KIND_BITS), buf, n) < 0) {
		/* nowhere left to say it */
	}
	/* The raw syscall: sanitizer runtimes intercept _exit() to run
	 * their leak check, which would itself be stopped. */
	syscall(SYS_exit_group, SANDBOX_EXIT_STATUS);
}

/* ---- building --------------------------------------------------------- */

static int sb_cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a;
	unsigned long y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

static int sb_ioctl_add(struct sb_build *b, const unsigned long *v, size_t n)
{
	if (n > SB_IOCTL_MAX - b->nr_ioctls)
		return -E2BIG;
	for (size_t i = 0; i < n; i++)
		b->ioctls[b->nr_ioctls++] = v[i] & 0xffffffffu;
	return 0;
}

/* The kind's ioctl numbers, sorted, without duplicates. */
static int sb_collect_ioctls(struct sb_build *b, const struct sb_kind *k,
			     const struct sandbox_ctx *ctx)
{
	size_t i, j, n;
	int ret = 0;

	b->nr_ioctls = 0;
	if (k->ioctls & SB_IOC_HV)
		ret = sb_ioctl_add(b, ctx->hv_ioctls, ctx->nr_hv_ioctls);
	for (unsigned int g = SB_IOC_HV << 1; !ret && g <= SB_IOC_BLOCK;
	     g <<= 1) {
		const unsigned long *v;

		if (!(k->ioctls & g))
			continue;
		v = sb_ioctl_group(g, &n);
		ret = sb_ioctl_add(b, v, n);
	}
	if (ret)
		return ret;
	qsort(b->ioctls, b->nr_ioctls, sizeof(b->ioctls[0]), sb_cmp_ulong);
	for (i = j = 0; i < b->nr_ioctls; i++)
		if (!j || b->ioctls[j - 1] != b->ioctls[i])
			b->ioctls[j++] = b->ioctls[i];
	b->nr_ioctls = j;
	return 0;
}

/* libseccomp's SCMP_A* macros leave fields to the compiler's zeroing,
 * which clang's -Wextra flags. */
static struct scmp_arg_cmp sb_cmp(unsigned int arg, enum scmp_compare op,
				  scmp_datum_t a, scmp_datum_t b)
{
	return (struct scmp_arg_cmp){
		.arg = arg, .op = op, .datum_a = a, .datum_b = b
	};
}

static int sb_allow(struct sb_build *b, int nr, unsigned int argc,
		    const struct scmp_arg_cmp *cmp)
{
	int ret = seccomp_rule_add_array(b->f, SCMP_ACT_ALLOW, nr, argc, cmp);

	return ret == -EEXIST ? 0 : ret;
}

static int sb_add_rule(struct sb_build *b, const struct sb_rule *r)
{
	struct scmp_arg_cmp c[2];
	int ret = 0;

	switch (r->arg) {
	case SB_ANY:
		return sb_allow(b, r->nr, 0, NULL);
	case SB_NO_EXEC:
		c[0] = sb_cmp(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);
		return sb_allow(b, r->nr, 1, c);
	case SB_THREAD:
		c[0] = sb_cmp(0, SCMP_CMP_MASKED_EQ, CLONE_THREAD,
			      CLONE_THREAD);
		return sb_allow(b, r->nr, 1, c);
	case SB_CLONE_VM:
		c[0] = sb_cmp(0, SCMP_CMP_MASKED_EQ, CLONE_VM, CLONE_VM);
		return sb_allow(b, r->nr, 1, c);
	case SB_AF_UNIX_INET:
		c[0] = sb_cmp(0, SCMP_CMP_EQ, AF_INET, 0);
		ret = sb_allow(b, r->nr, 1, c);
		/* fall through */
	case SB_AF_UNIX:
		c[0] = sb_cmp(0, SCMP_CMP_EQ, AF_UNIX, 0);
		return ret ? ret : sb_allow(b, r->nr, 1, c);
	case SB_IOCTL:
		/* The kernel reads the request as 32 bits; compare only
		 * those, so a sign-extended number matches too. */
		for (size_t i = 0; !ret && i < b->nr_ioctls; i++) {
			c[0] = sb_cmp(1, SCMP_CMP_MASKED_EQ, 0xffffffffu,
				      b->ioctls[i]);
			ret = sb_allow(b, r->nr, 1, c);
		}
		return ret;
	case SB_KICK:
		c[0] = sb_cmp(0, SCMP_CMP_EQ, (scmp_datum_t)b->pid, 0);
		c[1] = sb_cmp(2, SCMP_CMP_EQ, (scmp_datum_t)b->kick_signo, 0);
		return sb_allow(b, r->nr, 2, c);
	case SB_NNP:
		c[0] = sb_cmp(0, SCMP_CMP_EQ, PR_SET_NO_NEW_PRIVS, 0);
		return sb_allow(b, r->nr, 1, c);
	case SB_SET_FILTER:
		c[0] = sb_cmp(0, SCMP_CMP_EQ, SECCOMP_SET_MODE_FILTER, 0);
		return sb_allow(b, r->nr, 1, c);
	case SB_SETXID:
		c[0] = sb_cmp(0, SCMP_CMP_EQ, SB_SIGSETXID, 0);
		return sb_allow(b, r->nr, 1, c);
	case SB_ENOSYS:
		ret = seccomp_rule_add(b->f, SCMP_ACT_ERRNO(ENOSYS), r->nr, 0);
		return ret == -EEXIST ? 0 : ret;
	default:
		return -EINVAL;
	}
}

static int sb_add_list(struct sb_build *b, const struct sb_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct sb_rule *r = &l->rules[i];
		uint64_t bit;
		int ret;

		/* Not a syscall of this architecture (SCMP_SYS gave a
		 * pseudo number): nothing to allow. */
		if (r->nr < 0)
			continue;
		if (r->nr >= SB_NR_MAX || r->arg >= SB_ARG_MAX)
			return -ERANGE;
		bit = 1ull << (r->nr % 64);
		if (b->seen[r->arg][r->nr / 64] & bit)
			continue;
		if (r->arg == SB_IOCTL && !b->nr_ioctls)
			continue;
		ret = sb_add_rule(b, r);
		if (ret)
			return ret;
		b->seen[r->arg][r->nr / 64] |= bit;
		if (r->arg != SB_ENOSYS)
			b->allowed[r->nr / 64] |= bit;
	}
	return 0;
}

/* Read the exported program back and give its traps their data. */
static int sb_export(scmp_filter_ctx f, struct sock_fprog *prog, uint32_t data)
{
	struct sock_filter *insn = NULL;
	off_t size;
	size_t n;
	int fd, ret;

	fd = memfd_create("nimbus-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = seccomp_export_bpf(f, fd);
	if (ret)
		goto out_close;
	size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % sizeof(*insn) ||
	    size / sizeof(*insn) > BPF_MAXINSNS) {
		ret = size < 0 ? -errno : -E2BIG;
		goto out_close;
	}
	n = (size_t)size / sizeof(*insn);
	insn = malloc((size_t)size);
	if (!insn) {
		ret = -ENOMEM;
		goto out_close;
	}
	if (pread(fd, insn, (size_t)size, 0) != size) {
		ret = -EIO;
		free(insn);
		goto out_close;
	}
	for (size_t i = 0; i < n; i++)
		if (insn[i].code == (BPF_RET | BPF_K) &&
		    insn[i].k == SECCOMP_RET_TRAP)
			insn[i].k = SECCOMP_RET_TRAP | data;
	prog->len = (unsigned short)n;
	prog->filter = insn;
out_close:
	close(fd);
	return ret;
}

static int sb_build_kind(struct sandbox *sb, unsigned int kind,
			 const struct sandbox_ctx *ctx, struct sb_build *b)
{
	const struct sb_kind *k = sb_kind_get(kind);
	uint32_t def = sb->mode == SECCOMP_LOG ? SCMP_ACT_LOG : SCMP_ACT_TRAP;
	unsigned int i, j;
	int ret;

	memset(b->seen, 0, sizeof(b->seen));
	b->allowed = sb->allowed[kind];
	ret = sb_collect_ioctls(b, k, ctx);
	if (ret)
		return ret;
	b->f = seccomp_init(def);
	if (!b->f)
		return -ENOMEM;
	/* Another ABI's syscalls (x32, int 0x80) get the same message. */
	ret = seccomp_attr_set(b->f, SCMP_FLTATR_ACT_BADARCH, def);
	/* A binary tree instead of a linear scan; libseccomp >= 2.5. */
	if (!ret)
		(void)seccomp_attr_set(b->f, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	for (i = 0; !ret && i < SB_MAX_LISTS && k->lists[i]; i++)
		ret = sb_add_list(b, k->lists[i]);
	/* Threads inherit the main filter: it allows what they need. */
	for (j = 0; !ret && kind == SANDBOX_MAIN && j < SANDBOX_THREAD_MAX;
	     j++) {
		const struct sb_kind *o = sb_kind_get(j);

		for (i = 0; !ret && i < SB_MAX_LISTS && o->lists[i]; i++)
			ret = sb_add_list(b, o->lists[i]);
	}
	if (!ret)
		ret = sb_export(b->f, &sb->prog[kind],
				kind | (uint32_t)ctx->log_fd << SB_KIND_BITS);
	seccomp_release(b->f);
	if (ret)
		return ret;
	for (i = 0; i < SB_NR_MAX / 64; i++)
		sb->stats[kind].syscalls +=
			(unsigned int)__builtin_popcountll(b->allowed[i]);
	if (b->seen[SB_IOCTL][SCMP_SYS(ioctl) / 64] &
	    1ull << (SCMP_SYS(ioctl) % 64))
		sb->stats[kind].ioctls = (unsigned int)b->nr_ioctls;
	return 0;
}

static int sb_check_ctx(const struct sandbox_ctx *ctx)
{
	if (!ctx)
		return -EINVAL;
	if (ctx->mode != SECCOMP_ON && ctx->mode != SECCOMP_OFF &&
	    ctx->mode != SECCOMP_LOG)
		return -EINVAL;
	if (ctx->mode == SECCOMP_OFF)
		return 0;
	if (ctx->log_fd < 0 || ctx->log_fd > SANDBOX_LOG_FD_MAX ||
	    ctx->kick_signo <= 0 || ctx->kick_signo >= SIGRTMAX ||
	    (ctx->nr_hv_ioctls && !ctx->hv_ioctls))
		return -EINVAL;
	return 0;
}

int sandbox_new(const struct sandbox_ctx *ctx, struct sandbox **out)
{
	struct sigaction sa = { .sa_sigaction = sb_sigsys,
				.sa_flags = SA_SIGINFO };
	struct sandbox *sb;
	struct sb_build *b;
	int ret;

	ret = sb_check_ctx(ctx);
	if (ret)
		return ret;
	sb = calloc(1, sizeof(*sb));
	if (!sb)
		return -ENOMEM;
	sb->mode = ctx->mode;
	if (sb->mode == SECCOMP_OFF) {
		*out = sb;
		return 0;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		ret = -ENOMEM;
		goto err_free;
	}
	b->pid = getpid();
	b->kick_signo = ctx->kick_signo;
	for (unsigned int k = 0; !ret && k < SANDBOX_THREAD_MAX; k++)
		ret = sb_build_kind(sb, k, ctx, b);
	free(b);
	if (ret) {
		log_err("cannot build the seccomp filters: %s", strerror(-ret));
		goto err_free;
	}
	/* jansson seeds its hash function from /dev/urandom when it makes
	 * its first object; do that before open(2) is forbidden. */
	json_object_seed(0);
	if (sb->mode == SECCOMP_ON) {
		/* Nothing else may run on a thread that just broke the
		 * rules: block every other signal during the handler. */
		sigfillset(&sa.sa_mask);
		if (sigaction(SIGSYS, &sa, NULL)) {
			ret = -errno;
			goto err_free;
		}
	}
	*out = sb;
	return 0;

err_free:
	sandbox_free(sb);
	return ret;
}

void sandbox_free(struct sandbox *sb)
{
	if (!sb)
		return;
	for (unsigned int k = 0; k < SANDBOX_THREAD_MAX; k++)
		free(sb->prog[k].filter);
	free(sb);
}

/* ---- installing and queries ------------------------------------------- */

int sandbox_install(const struct sandbox *sb, enum sandbox_thread kind)
{
	sigset_t set;

	if (!sb || sb->mode == SECCOMP_OFF)
		return 0;
	if ((unsigned int)kind >= SANDBOX_THREAD_MAX)
		return -EINVAL;
	/* A forced SIGSYS that is blocked kills without the handler. */
	sigemptyset(&set);
	sigaddset(&set, SIGSYS);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &sb->prog[kind]))
		return -errno;
#ifdef NIMBUS_TEST_HOOKS
	{
		const char *v = getenv("NIMBUS_SANDBOX_VIOLATE");

		if (v && !strcmp(v, sandbox_thread_name(kind)))
			(void)sandbox_test_violate();
	}
#endif
	return 0;
}

int sandbox_virtio_kind(unsigned int device_id)
{
	switch (device_id) {
	case 1:
		return SANDBOX_VIRTIO_NET;
	case 2:
		return SANDBOX_VIRTIO_BLK;
	case 3:
		return SANDBOX_VIRTIO_CONSOLE;
	case 4:
		return SANDBOX_VIRTIO_RNG;
	case 19:
		return SANDBOX_VIRTIO_VSOCK;
	case 27:
		return SANDBOX_VIRTIO_PMEM;
	default:
		return -ENOENT;
	}
}

const char *sandbox_thread_name(enum sandbox_thread kind)
{
	const struct sb_kind *k = sb_kind_get((unsigned int)kind);

	return k ? k->name : "?";
}

int sandbox_get_stats(const struct sandbox *sb, enum sandbox_thread kind,
		      struct sandbox_stats *out)
{
	if (!sb || (unsigned int)kind >= SANDBOX_THREAD_MAX)
		return -EINVAL;
	*out = sb->stats[kind];
	return 0;
}

int sandbox_allows(const struct sandbox *sb, enum sandbox_thread kind, long nr)
{
	if (!sb || (unsigned int)kind >= SANDBOX_THREAD_MAX || nr < 0 ||
	    nr >= SB_NR_MAX)
		return 0;
	return !!(sb->allowed[kind][nr / 64] & 1ull << (nr % 64));
}

#ifdef NIMBUS_TEST_HOOKS
int sandbox_test_violate(void)
{
	char *const argv[] = { NULL };

	syscall(SYS_execve, "/nonexistent/nimbus-sandbox-test", argv, argv);
	return -errno;
}
#endif
