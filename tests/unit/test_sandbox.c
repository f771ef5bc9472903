// SPDX-License-Identifier: Apache-2.0
/*
 * test_sandbox.c - the seccomp filters of vmm/sandbox.c, installed for
 * real: each case forks a child that builds the filters, installs one
 * kind on itself, makes syscalls that kind needs (they must work) and
 * then a forbidden one.  The parent checks that the child ended with
 * SANDBOX_EXIT_STATUS and that its log fd (a pipe) carries the handler's
 * line naming the syscall, its number and the thread kind.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_tun.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cmocka.h>
#include <seccomp.h>

#include "vmm/config.h"
#include "vmm/sandbox.h"

/* Child exit codes other than SANDBOX_EXIT_STATUS. */
#define CHILD_OK 0
#define CHILD_SETUP 70 /* the sandbox could not be built or installed */
#define CHILD_NOT_STOPPED 71 /* the forbidden syscall went through */
#define CHILD_STEP 80 /* + n: allowed step n failed */

/* The plugin's list as the test hands it in: harmless requests that work
 * on a pipe.  FIONBIO is in no list. */
static const unsigned long test_hv_ioctls[] = { FIONREAD, TIOCOUTQ };

/* Resources made before the filter goes on. */
struct res {
	int log_fd; /* the pipe to the parent (the sandbox's log fd) */
	int efd; /* eventfd holding 1 */
	int epfd; /* epoll watching efd */
	int sp[2]; /* socketpair */
	int mfd; /* memfd of 64 KiB */
	int rnd; /* /dev/urandom */
	int null; /* /dev/null */
	void *map; /* shared mapping of mfd */
};

typedef int child_fn(const struct sandbox *sb, struct res *r, void *arg);

struct run {
	int status;
	char msg[1024];
};

static void on_usr1(int sig)
{
}

static int res_open(struct res *r, int log_fd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct sigaction sa = { .sa_handler = on_usr1 };

	r->log_fd = log_fd;
	r->efd = eventfd(1, EFD_NONBLOCK);
	r->epfd = epoll_create1(0);
	r->mfd = memfd_create("sb", 0);
	r->rnd = open("/dev/urandom", O_RDONLY);
	r->null = open("/dev/null", O_RDWR);
	if (r->efd < 0 || r->epfd < 0 || r->mfd < 0 || r->rnd < 0 ||
	    r->null < 0 || ftruncate(r->mfd, 65536) ||
	    epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->efd, &ev) ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, r->sp))
		return -1;
	r->map = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, r->mfd,
		      0);
	if (r->map == MAP_FAILED)
		return -1;
	/* Signal handlers are process state, set before any filter. */
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGUSR1, &sa, NULL);
}

static void run_child(int mode, int kind, child_fn *fn, void *arg,
		      struct run *out)
{
	struct sandbox_ctx ctx = {
		.mode = mode,
		.hv_ioctls = test_hv_ioctls,
		.nr_hv_ioctls = 2,
		.kick_signo = SIGUSR1,
	};
	struct pollfd pfd;
	size_t len = 0;
	int p[2], wst;
	pid_t pid;

	memset(out, 0, sizeof(*out));
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		struct sandbox *sb;
		struct res r;

		close(p[0]);
		ctx.log_fd = p[1];
		if (res_open(&r, p[1]) || sandbox_new(&ctx, &sb) ||
		    (kind >= 0 && sandbox_install(sb, kind)))
			_exit(CHILD_SETUP);
		_exit(fn(sb, &r, arg));
	}
	close(p[1]);
	pfd = (struct pollfd){ .fd = p[0], .events = POLLIN };
	while (len < sizeof(out->msg) - 1 && poll(&pfd, 1, 20000) > 0) {
		ssize_t n =
			read(p[0], out->msg + len, sizeof(out->msg) - 1 - len);

		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(p[0]);
	assert_int_equal(waitpid(pid, &wst, 0), pid);
	out->status = WIFEXITED(wst) ? WEXITSTATUS(wst) : 128 + WTERMSIG(wst);
}

/* The child was stopped by the filter on `sys` and said so for `kind`. */
static void assert_stopped(const struct run *r, int kind, long sys)
{
	char want[128];

	snprintf(want, sizeof(want), "%s thread: forbidden syscall %s (%ld)",
		 sandbox_thread_name(kind), sandbox_syscall_name(sys), sys);
	if (r->status != SANDBOX_EXIT_STATUS || !strstr(r->msg, want))
		fail_msg(
			"child status %d, log \"%s\", wanted status %d and \"%s\"",
			r->status, r->msg, SANDBOX_EXIT_STATUS, want);
	assert_non_null(strstr(r->msg, "error sandbox: "));
	assert_non_null(strstr(r->msg, "stopping the VMM\n"));
}

/* ---- allowed syscalls per kind ---------------------------------------- */

/* What every thread does: log, allocate, lock. */
static int steps_base(struct res *r)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	void *big = malloc(4 << 20); /* mmap'd by malloc */

	if (!big)
		return CHILD_STEP + 1;
	memset(big, 1, 4 << 20);
	free(big);
	pthread_mutex_lock(&m);
	pthread_mutex_unlock(&m);
	if (write(r->null, "x", 1) != 1)
		return CHILD_STEP + 2;
	return 0;
}

static int steps_worker(struct res *r)
{
	struct epoll_event ev;
	uint64_t v;

	if (epoll_wait(r->epfd, &ev, 1, 0) != 1)
		return CHILD_STEP + 10;
	if (read(r->efd, &v, sizeof(v)) != sizeof(v))
		return CHILD_STEP + 11;
	/* Leave it readable for the next kind (test_stacked). */
	if (write(r->efd, &v, sizeof(v)) != sizeof(v))
		return CHILD_STEP + 12;
	return 0;
}

static void *thread_noop(void *arg)
{
	return arg;
}

static int steps_main(struct res *r)
{
	struct epoll_event ev;
	struct termios t;
	pthread_t th;
	int fd, n;

	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || close(fd))
		return CHILD_STEP + 20;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || close(fd))
		return CHILD_STEP + 21;
	/* clone3 answers ENOSYS, glibc falls back to clone(CLONE_THREAD). */
	if (pthread_create(&th, NULL, thread_noop, NULL) ||
	    pthread_join(th, NULL))
		return CHILD_STEP + 22;
	if (ioctl(r->sp[0], FIONREAD, &n))
		return CHILD_STEP + 23;
	/* A terminal request on a non-tty fails, but is not stopped. */
	if (!tcgetattr(r->null, &t) || errno != ENOTTY)
		return CHILD_STEP + 24;
	if (epoll_wait(r->epfd, &ev, 1, 0) != 1)
		return CHILD_STEP + 25;
	return 0;
}

static int steps_vcpu(struct res *r)
{
	int n;

	if (ioctl(r->sp[0], FIONREAD, &n) || ioctl(r->sp[0], TIOCOUTQ, &n))
		return CHILD_STEP + 30;
	/* The kick: tgkill to this process with the kick signal. */
	if (pthread_kill(pthread_self(), SIGUSR1))
		return CHILD_STEP + 31;
	if (send(r->sp[0], "k", 1, MSG_DONTWAIT) != 1)
		return CHILD_STEP + 32;
	/* TUNSETOFFLOAD on a non-TAP fails, but is allowed through. */
	if (!ioctl(r->sp[0], TUNSETOFFLOAD, 0ul) && errno != ENOTTY &&
	    errno != EINVAL)
		return CHILD_STEP + 33;
	return 0;
}

static int steps_api(struct res *r)
{
	struct pollfd p = { .fd = r->efd, .events = POLLIN };
	char c;

	if (poll(&p, 1, 0) != 1)
		return CHILD_STEP + 40;
	if (send(r->sp[0], "a", 1, 0) != 1 || recv(r->sp[1], &c, 1, 0) != 1)
		return CHILD_STEP + 41;
	return 0;
}

static int steps_blk(struct res *r)
{
	char buf[512] = { 1 };
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };

	if (pwrite(r->mfd, buf, sizeof(buf), 0) != sizeof(buf) ||
	    pread(r->mfd, buf, sizeof(buf), 512) != sizeof(buf))
		return CHILD_STEP + 50;
	if (pwritev(r->mfd, &iov, 1, 1024) != sizeof(buf) ||
	    preadv(r->mfd, &iov, 1, 0) != sizeof(buf))
		return CHILD_STEP + 51;
	if (fdatasync(r->mfd) ||
	    fallocate(r->mfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
		      4096))
		return CHILD_STEP + 52;
	return 0;
}

static int steps_net(struct res *r)
{
	char buf[64] = "frame";
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct pollfd p = { .fd = r->sp[1], .events = POLLIN };

	if (writev(r->sp[0], &iov, 1) != sizeof(buf) ||
	    poll(&p, 1, 1000) != 1 || readv(r->sp[1], &iov, 1) != sizeof(buf))
		return CHILD_STEP + 60;
	if (!ioctl(r->sp[0], TUNSETOFFLOAD, 0ul) && errno != ENOTTY &&
	    errno != EINVAL)
		return CHILD_STEP + 61;
	return 0;
}

static int steps_kind(int kind, struct res *r)
{
	char buf[16];
	int ret = steps_base(r);

	if (ret || kind == SANDBOX_MAIN || kind == SANDBOX_VCPU ||
	    kind == SANDBOX_API) {
		if (ret)
			return ret;
		return kind == SANDBOX_MAIN ? steps_main(r) :
		       kind == SANDBOX_VCPU ? steps_vcpu(r) :
					      steps_api(r);
	}
	ret = steps_worker(r);
	if (ret)
		return ret;
	switch (kind) {
	case SANDBOX_VIRTIO_BLK:
		return steps_blk(r);
	case SANDBOX_VIRTIO_CONSOLE:
		return send(r->sp[0], "c", 1, 0) == 1 ? 0 : CHILD_STEP + 70;
	case SANDBOX_VIRTIO_RNG:
		return read(r->rnd, buf, sizeof(buf)) == sizeof(buf) ?
			       0 :
			       CHILD_STEP + 71;
	case SANDBOX_VIRTIO_NET:
		return steps_net(r);
	case SANDBOX_VIRTIO_VSOCK: {
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);

		return fd >= 0 && !close(fd) ? 0 : CHILD_STEP + 72;
	}
	case SANDBOX_VIRTIO_PMEM:
		return !fdatasync(r->mfd) ? 0 : CHILD_STEP + 73;
	}
	return CHILD_STEP + 79;
}

static int forbidden_execve(void)
{
	char *const argv[] = { NULL };

	syscall(SYS_execve, "/nonexistent/nimbus-test", argv, argv);
	return CHILD_NOT_STOPPED;
}

/* Allowed steps of the kind in arg, then execve. */
static int child_kind(const struct sandbox *sb, struct res *r, void *arg)
{
	int ret = steps_kind(*(int *)arg, r);

	return ret ? ret : forbidden_execve();
}

static void test_kind(void **state)
{
	int kind = *(int *)*state;
	struct run r;

	run_child(SECCOMP_ON, kind, child_kind, &kind, &r);
	assert_stopped(&r, kind, SYS_execve);
}

/* ---- argument filters ------------------------------------------------- */

static int child_ioctl_fionbio(const struct sandbox *sb, struct res *r,
			       void *arg)
{
	int n = 0;

	if (ioctl(r->sp[0], FIONREAD, &n))
		return CHILD_STEP + 1;
	ioctl(r->sp[0], FIONBIO, &n);
	return CHILD_NOT_STOPPED;
}

static int child_ioctl_any(const struct sandbox *sb, struct res *r, void *arg)
{
	int n;

	ioctl(r->sp[0], FIONREAD, &n);
	return CHILD_NOT_STOPPED;
}

static void test_ioctl_numbers(void **state)
{
	struct run r;

	/* vCPU: the plugin's FIONREAD passes, FIONBIO is stopped. */
	run_child(SECCOMP_ON, SANDBOX_VCPU, child_ioctl_fionbio, NULL, &r);
	assert_stopped(&r, SANDBOX_VCPU, SYS_ioctl);
	/* The API thread has no ioctl at all. */
	run_child(SECCOMP_ON, SANDBOX_API, child_ioctl_any, NULL, &r);
	assert_stopped(&r, SANDBOX_API, SYS_ioctl);
}

static int child_socket(const struct sandbox *sb, struct res *r, void *arg)
{
	socket(*(int *)arg, SOCK_DGRAM, 0);
	return CHILD_NOT_STOPPED;
}

static void test_socket_domains(void **state)
{
	int netlink = AF_NETLINK, inet = AF_INET, unix_ = AF_UNIX;
	struct run r;

	run_child(SECCOMP_ON, SANDBOX_MAIN, child_socket, &netlink, &r);
	assert_stopped(&r, SANDBOX_MAIN, SYS_socket);
	run_child(SECCOMP_ON, SANDBOX_VIRTIO_VSOCK, child_socket, &inet, &r);
	assert_stopped(&r, SANDBOX_VIRTIO_VSOCK, SYS_socket);
	run_child(SECCOMP_ON, SANDBOX_VCPU, child_socket, &unix_, &r);
	assert_stopped(&r, SANDBOX_VCPU, SYS_socket);
}

static int child_fork(const struct sandbox *sb, struct res *r, void *arg)
{
	pid_t pid = fork();

	if (!pid)
		_exit(0);
	return CHILD_NOT_STOPPED;
}

static int child_exec_map(const struct sandbox *sb, struct res *r, void *arg)
{
	mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1,
	     0);
	return CHILD_NOT_STOPPED;
}

static int child_kick_other(const struct sandbox *sb, struct res *r, void *arg)
{
	syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), SIGUSR2);
	return CHILD_NOT_STOPPED;
}

static int child_ptrace(const struct sandbox *sb, struct res *r, void *arg)
{
	syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0);
	return CHILD_NOT_STOPPED;
}

static void test_other_filters(void **state)
{
	struct run r;

	/* fork() is clone without CLONE_THREAD. */
	run_child(SECCOMP_ON, SANDBOX_MAIN, child_fork, NULL, &r);
	assert_stopped(&r, SANDBOX_MAIN, SYS_clone);
	run_child(SECCOMP_ON, SANDBOX_VIRTIO_BLK, child_exec_map, NULL, &r);
	assert_stopped(&r, SANDBOX_VIRTIO_BLK, SYS_mmap);
	/* Only the kick signal may be sent. */
	run_child(SECCOMP_ON, SANDBOX_VCPU, child_kick_other, NULL, &r);
	assert_stopped(&r, SANDBOX_VCPU, SYS_tgkill);
	run_child(SECCOMP_ON, SANDBOX_API, child_ptrace, NULL, &r);
	assert_stopped(&r, SANDBOX_API, SYS_ptrace);
}

/* ---- stacking, thread exit -------------------------------------------- */

struct stacked {
	const struct sandbox *sb;
	struct res *r;
	int kind;
	int ret;
};

static void *stacked_thread(void *arg)
{
	struct stacked *s = arg;

	if (sandbox_install(s->sb, s->kind)) {
		s->ret = CHILD_SETUP;
		return NULL;
	}
	s->ret = steps_kind(s->kind, s->r);
	if (s->ret == 0 && s->kind == SANDBOX_VCPU)
		s->ret = forbidden_execve();
	return NULL;
}

/* A thread made by the sandboxed main thread installs its own kind on
 * top: its syscalls still work, and a violation names its kind.  The
 * thread of the last kind (RNG) ends normally under its filter. */
static int child_stacked(const struct sandbox *sb, struct res *r, void *arg)
{
	static const int order[] = { SANDBOX_VIRTIO_BLK, SANDBOX_VIRTIO_NET,
				     SANDBOX_API, SANDBOX_VIRTIO_RNG,
				     SANDBOX_VCPU };
	pthread_t th;

	if (sandbox_install(sb, SANDBOX_MAIN))
		return CHILD_SETUP;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		struct stacked s = { sb, r, order[i], -1 };

		if (pthread_create(&th, NULL, stacked_thread, &s) ||
		    pthread_join(th, NULL))
			return CHILD_STEP + 90;
		if (s.ret)
			return s.ret;
	}
	return CHILD_STEP + 91; /* the vCPU thread should not return */
}

static void test_stacked(void **state)
{
	struct run r;

	run_child(SECCOMP_ON, -1, child_stacked, NULL, &r);
	assert_stopped(&r, SANDBOX_VCPU, SYS_execve);
}

/* Whatever another kind allows, main allows too (inheritance). */
static int child_superset(const struct sandbox *sb, struct res *r, void *arg)
{
	for (int k = 0; k < SANDBOX_THREAD_MAX; k++)
		for (long nr = 0; nr < 512; nr++)
			if (sandbox_allows(sb, k, nr) &&
			    !sandbox_allows(sb, SANDBOX_MAIN, nr))
				return CHILD_STEP + k;
	return 0;
}

static void test_main_superset(void **state)
{
	struct run r;

	run_child(SECCOMP_ON, -1, child_superset, NULL, &r);
	assert_int_equal(r.status, 0);
}

/* ---- modes ------------------------------------------------------------ */

static int child_log_mode(const struct sandbox *sb, struct res *r, void *arg)
{
	char *const argv[] = { NULL };

	if (prctl(PR_GET_SECCOMP) != 2)
		return CHILD_STEP + 1;
	/* Logged by the kernel, then run: it fails on the missing file. */
	if (syscall(SYS_execve, "/nonexistent/nimbus-test", argv, argv) != -1 ||
	    errno != ENOENT)
		return CHILD_STEP + 2;
	return 0;
}

static int child_off_mode(const struct sandbox *sb, struct res *r, void *arg)
{
	struct sandbox_stats st;

	if (prctl(PR_GET_SECCOMP) != 0)
		return CHILD_STEP + 1;
	if (sandbox_get_stats(sb, SANDBOX_VCPU, &st) || st.syscalls)
		return CHILD_STEP + 2;
	return 0;
}

static void test_modes(void **state)
{
	struct run r;

	run_child(SECCOMP_LOG, SANDBOX_VCPU, child_log_mode, NULL, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.msg, "");
	run_child(SECCOMP_OFF, SANDBOX_VCPU, child_off_mode, NULL, &r);
	assert_int_equal(r.status, 0);
}

#ifdef NIMBUS_TEST_HOOKS
static int child_hook(const struct sandbox *sb, struct res *r, void *arg)
{
	sandbox_test_violate();
	return CHILD_NOT_STOPPED;
}

static void test_hook(void **state)
{
	struct run r;

	run_child(SECCOMP_ON, SANDBOX_VIRTIO_CONSOLE, child_hook, NULL, &r);
	assert_stopped(&r, SANDBOX_VIRTIO_CONSOLE, SYS_execve);
}
#endif

/* ---- pure parts ------------------------------------------------------- */

static void test_ctx_checks(void **state)
{
	struct sandbox_ctx ctx = { .mode = SECCOMP_ON,
				   .log_fd = 2,
				   .kick_signo = SIGUSR1 };
	struct sandbox *sb = NULL;

	ctx.mode = 7;
	assert_int_equal(sandbox_new(&ctx, &sb), -EINVAL);
	ctx.mode = SECCOMP_ON;
	ctx.log_fd = SANDBOX_LOG_FD_MAX + 1;
	assert_int_equal(sandbox_new(&ctx, &sb), -EINVAL);
	ctx.log_fd = 2;
	ctx.kick_signo = 0;
	assert_int_equal(sandbox_new(&ctx, &sb), -EINVAL);
	ctx.kick_signo = SIGUSR1;
	ctx.nr_hv_ioctls = 3;
	assert_int_equal(sandbox_new(&ctx, &sb), -EINVAL);
	assert_null(sb);
	ctx.mode = SECCOMP_OFF;
	assert_int_equal(sandbox_new(&ctx, &sb), 0);
	assert_int_equal(sandbox_install(sb, SANDBOX_VCPU), 0);
	sandbox_free(sb);
	assert_int_equal(sandbox_install(NULL, SANDBOX_VCPU), 0);
	sandbox_free(NULL);
}

static void test_names(void **state)
{
	unsigned int known = 0;

	for (long nr = 0; nr < 600; nr++) {
		char *want = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE,
							      (int)nr);
		const char *got = sandbox_syscall_name(nr);

		if (want) {
			if (!got || strcmp(got, want))
				fail_msg(
					"syscall %ld: table says %s, libseccomp %s",
					nr, got ? got : "nothing", want);
			known++;
		}
		free(want);
	}
	assert_true(known > 300);
	assert_string_equal(sandbox_syscall_name(SYS_ioctl), "ioctl");
	assert_null(sandbox_syscall_name(-1));
	assert_null(sandbox_syscall_name(100000));
}

static void test_virtio_kinds(void **state)
{
	assert_int_equal(sandbox_virtio_kind(1), SANDBOX_VIRTIO_NET);
	assert_int_equal(sandbox_virtio_kind(2), SANDBOX_VIRTIO_BLK);
	assert_int_equal(sandbox_virtio_kind(3), SANDBOX_VIRTIO_CONSOLE);
	assert_int_equal(sandbox_virtio_kind(4), SANDBOX_VIRTIO_RNG);
	assert_int_equal(sandbox_virtio_kind(19), SANDBOX_VIRTIO_VSOCK);
	assert_int_equal(sandbox_virtio_kind(27), SANDBOX_VIRTIO_PMEM);
	assert_int_equal(sandbox_virtio_kind(5), -ENOENT);
	assert_string_equal(sandbox_thread_name(SANDBOX_VCPU), "vcpu");
	assert_string_equal(sandbox_thread_name(SANDBOX_THREAD_MAX), "?");
}

/* Prints the figure the security issue asks for (with the test's two
 * plugin ioctls; the real plugin's list adds its own). */
static void test_stats(void **state)
{
	struct sandbox_ctx ctx = { .mode = SECCOMP_ON,
				   .log_fd = 2,
				   .hv_ioctls = test_hv_ioctls,
				   .nr_hv_ioctls = 2,
				   .kick_signo = SIGUSR1 };
	struct sandbox_stats st[SANDBOX_THREAD_MAX];
	struct sandbox *sb;

	assert_int_equal(sandbox_new(&ctx, &sb), 0);
	for (int k = 0; k < SANDBOX_THREAD_MAX; k++) {
		assert_int_equal(sandbox_get_stats(sb, k, &st[k]), 0);
		printf("sandbox: %-15s %3u syscalls, %2u ioctl numbers\n",
		       sandbox_thread_name(k), st[k].syscalls, st[k].ioctls);
		assert_true(st[k].syscalls > 10);
		assert_true(st[k].syscalls <= st[SANDBOX_MAIN].syscalls);
	}
	assert_int_equal(st[SANDBOX_VCPU].ioctls, 2 + 2);
	assert_int_equal(st[SANDBOX_API].ioctls, 0);
	assert_int_equal(st[SANDBOX_VIRTIO_NET].ioctls, 2);
	assert_false(sandbox_allows(sb, SANDBOX_VCPU, SYS_execve));
	assert_true(sandbox_allows(sb, SANDBOX_VCPU, SYS_ioctl));
	assert_false(sandbox_allows(sb, SANDBOX_API, SYS_ioctl));
	/* clone3 is answered with ENOSYS, not allowed. */
	assert_false(sandbox_allows(sb, SANDBOX_MAIN, SYS_clone3));
	sandbox_free(sb);
}

static int kinds[SANDBOX_THREAD_MAX] = {
	SANDBOX_MAIN,	    SANDBOX_VCPU,	    SANDBOX_API,
	SANDBOX_VIRTIO_BLK, SANDBOX_VIRTIO_CONSOLE, SANDBOX_VIRTIO_RNG,
	SANDBOX_VIRTIO_NET, SANDBOX_VIRTIO_VSOCK,   SANDBOX_VIRTIO_PMEM,
};

#define KIND_TEST(k)                                              \
	{                                                         \
		"test_kind_" #k, test_kind, NULL, NULL, &kinds[k] \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ctx_checks),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_virtio_kinds),
		cmocka_unit_test(test_stats),
		KIND_TEST(SANDBOX_MAIN),
		KIND_TEST(SANDBOX_VCPU),
		KIND_TEST(SANDBOX_API),
		KIND_TEST(SANDBOX_VIRTIO_BLK),
		KIND_TEST(SANDBOX_VIRTIO_CONSOLE),
		KIND_TEST(SANDBOX_VIRTIO_RNG),
		KIND_TEST(SANDBOX_VIRTIO_NET),
		KIND_TEST(SANDBOX_VIRTIO_VSOCK),
		KIND_TEST(SANDBOX_VIRTIO_PMEM),
		cmocka_unit_test(test_ioctl_numbers),
		cmocka_unit_test(test_socket_domains),
		cmocka_unit_test(test_other_filters),
		cmocka_unit_test(test_stacked),
		cmocka_unit_test(test_main_superset),
		cmocka_unit_test(test_modes),
#ifdef NIMBUS_TEST_HOOKS
		cmocka_unit_test(test_hook),
#endif
	};

	return cmocka_run_group_tests_name("sandbox", tests, NULL, NULL);
}
