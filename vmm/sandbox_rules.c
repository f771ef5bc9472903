// SPDX-License-Identifier: Apache-2.0
/*
 * sandbox_rules.c - the seccomp allowlists, one per thread kind, each
 * entry with the reason it is there.  docs/security.md summarises them.
 *
 * Two rules shape the lists.  Threads inherit their creator's filter, and
 * the main thread creates vCPU and device threads again on a reboot or an
 * API request, so the main list allows everything another kind needs
 * (tests/unit/test_sandbox.c checks it).  And every kind allows what the
 * SIGSYS handler itself does: write and exit_group.
 */
#include <linux/if_tun.h>
#include <linux/fs.h>
#include <net/if.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "vmm/sandbox_priv.h"

#define R(name, arg)                  \
	{                             \
		SCMP_SYS(name), (arg) \
	}
#define LIST(a)                                 \
	{                                       \
		(a), sizeof(a) / sizeof((a)[0]) \
	}

/* Sanitizer builds (SANITIZE=1) add what their runtime needs. */
#if defined(__SANITIZE_ADDRESS__)
#define SB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SB_ASAN 1
#endif
#endif

/* Every thread. */
static const struct sb_rule base_rules[] = {
	R(write, SB_ANY), /* log lines, SIGSYS message, eventfd signals */
	R(futex, SB_ANY), /* pthread mutexes and condition variables */
	R(brk, SB_ANY), /* malloc: main arena */
	R(mmap, SB_NO_EXEC), /* malloc: large blocks, new arenas */
	R(munmap, SB_ANY), /* free of large blocks */
	R(mprotect, SB_NO_EXEC), /* malloc: thread arenas grow in place */
	R(madvise, SB_ANY), /* free: arena trimming; thread exit: stack */
	R(mremap, SB_ANY), /* realloc of large blocks */
	R(rt_sigreturn, SB_ANY), /* return from a signal handler (kick) */
	R(rt_sigprocmask, SB_ANY), /* glibc masks signals in thread exit */
	R(clock_gettime, SB_ANY), /* log time, rate limits (no vDSO) */
	R(restart_syscall, SB_ANY), /* a timed wait resumed after a signal */
	R(exit, SB_ANY), /* a thread ends */
	R(exit_group, SB_ANY), /* the process ends (and the SIGSYS handler) */
#ifdef SB_ASAN
	/* Sanitizer builds (SANITIZE=1) only, never a release build: the
	 * ASan runtime at thread start and exit. */
	R(sched_getaffinity, SB_ANY), /* thread start: stack bounds */
	R(sigaltstack, SB_ANY), /* its SEGV handler's stack, set and freed */
#endif
};

/* The main thread: event loop, API handlers, and the VM's life cycle
 * (create, reboot, delete, hot-plug), which opens files, maps memory,
 * talks to the hypervisor and starts threads. */
static const struct sb_rule main_rules[] = {
	R(read, SB_ANY), /* eventfds, signalfd, console input, images */
	R(pread64, SB_ANY), /* kernel and initramfs loading (reboot) */
	R(openat, SB_ANY), /* images, /dev/net/tun, /dev/urandom, consoles */
	R(open, SB_ANY), /* the same through older libcs (x86_64 only) */
	R(close, SB_ANY), /* every fd above */
	R(fstat, SB_ANY), /* image and console types, sizes */
	R(newfstatat, SB_ANY), /* fstat/lstat in glibc >= 2.33 */
	R(statx, SB_ANY), /* stat through newer libcs */
	R(lseek, SB_ANY), /* image sizes */
	R(fcntl, SB_ANY), /* O_NONBLOCK, OFD image locks, F_DUPFD_CLOEXEC */
	R(dup, SB_ANY), /* TAP fd= adoption */
	R(ftruncate, SB_ANY), /* pmem backing files grown to size= */
	R(unlink, SB_ANY), /* stale API and console socket files */
	R(unlinkat, SB_ANY), /* the same on architectures without unlink */
	R(access, SB_ANY), /* payload checks for vm.create (x86_64) */
	R(faccessat, SB_ANY), /* the same on aarch64 */
	R(faccessat2, SB_ANY), /* the same in newer libcs */
	R(epoll_create1, SB_ANY), /* event loop and device workers */
	R(epoll_ctl, SB_ANY), /* event loop registrations */
	R(epoll_wait, SB_ANY), /* the event loop (x86_64) */
	R(epoll_pwait, SB_ANY), /* the event loop (aarch64) */
	R(poll, SB_ANY), /* short waits on one fd */
	R(ppoll, SB_ANY), /* poll on architectures without poll */
	R(eventfd2, SB_ANY), /* irqfds, ioeventfds, wakeups */
	R(timerfd_create, SB_ANY), /* event loop timers */
	R(timerfd_settime, SB_ANY), /* event loop timers */
	R(signalfd4, SB_ANY), /* SIGTERM/SIGINT/SIGHUP as events */
	R(socket, SB_AF_UNIX_INET), /* UNIX: API, consoles; INET: TAP config */
	R(bind, SB_ANY), /* API and console sockets */
	R(listen, SB_ANY), /* API and console sockets */
	R(accept4, SB_ANY), /* console socket clients */
	R(connect, SB_ANY), /* event monitor and vsock sockets */
	R(sendto, SB_ANY), /* socket console output */
	R(recvfrom, SB_ANY), /* socket console input */
	R(shutdown, SB_ANY), /* closing socket clients */
	R(getsockopt, SB_ANY), /* checking an inherited API socket */
	R(ioctl, SB_IOCTL), /* hypervisor, TAP, terminal, block sizes */
	R(io_uring_setup, SB_ANY), /* virtio-blk engine of a new VM */
	R(io_uring_register, SB_ANY), /* its completion eventfd */
	R(io_uring_enter, SB_ANY), /* its teardown */
	R(clone, SB_THREAD), /* pthread_create (threads only, no fork) */
	R(clone3, SB_ENOSYS), /* glibc then falls back to clone */
	R(set_robust_list, SB_ANY), /* new threads, under this filter */
	R(rseq, SB_ANY), /* new threads register rseq (glibc >= 2.35) */
	R(rt_sigaction, SB_SETXID), /* glibc's handler, first pthread_create */
	R(prctl, SB_NNP), /* new threads install their own filter */
	R(seccomp, SB_SET_FILTER), /* new threads install their own filter */
	R(getpid, SB_ANY), /* pthread_kill */
	R(gettid, SB_ANY), /* pthread_kill of itself */
	R(tgkill, SB_KICK), /* kicking vCPUs out of the guest */
	R(getrandom, SB_ANY), /* random MAC addresses for a new VM's NICs */
};

#ifdef SB_ASAN
/* Sanitizer builds (SANITIZE=1) only, never a release build: the leak
 * check LeakSanitizer runs when the process exits, on the main thread.
 * It stops the world from a helper task that ptraces every thread. */
static const struct sb_rule lsan_rules[] = {
	R(prctl, SB_ANY), /* PR_SET_PTRACER, PR_GET_DUMPABLE... */
	R(clone, SB_CLONE_VM), /* the tracer: shares memory, not a thread */
	R(ptrace, SB_ANY), /* attach, read registers, detach */
	R(wait4, SB_ANY), /* waiting for the tracer and the threads */
	R(getdents, SB_ANY), /* the thread list in /proc/self/task (x86_64) */
	R(getdents64, SB_ANY), /* the same elsewhere */
	R(sched_yield, SB_ANY), /* spin-waits in the tracer */
	R(rt_sigaction, SB_ANY), /* the tracer's own handlers */
	R(getppid, SB_ANY), /* the tracer checks its parent */
};
#endif

/* A vCPU thread: the run loop and every MMIO/PIO device model, which
 * runs on the thread whose guest access reached it. */
static const struct sb_rule vcpu_rules[] = {
	R(ioctl, SB_IOCTL), /* hypervisor run/registers/irqs; TAP offloads */
	R(read, SB_ANY), /* drain kick eventfds on a virtio reset */
	R(sendto, SB_ANY), /* serial output to a socket console */
	R(epoll_ctl, SB_ANY), /* virtio activation: watch completion fds */
	R(io_uring_enter, SB_ANY), /* virtio-blk reset waits for its I/O */
	R(close, SB_ANY), /* virtio-blk drops its ring on a failed start */
	R(getpid, SB_ANY), /* pthread_kill: kick the other vCPUs */
	R(gettid, SB_ANY), /* pthread_kill of itself (stop from a vCPU) */
	R(tgkill, SB_KICK), /* the kick itself */
};

/* The REST API thread: non-blocking sockets and a wakeup eventfd. */
static const struct sb_rule api_rules[] = {
	R(read, SB_ANY), /* wakeup eventfd */
	R(poll, SB_ANY), /* waiting on the listener and clients */
	R(ppoll, SB_ANY), /* poll on architectures without poll */
	R(accept4, SB_ANY), /* new clients */
	R(recvfrom, SB_ANY), /* requests */
	R(sendto, SB_ANY), /* answers */
	R(close, SB_ANY), /* finished clients */
};

/* Every virtio worker: wait on kicks and device fds. */
static const struct sb_rule worker_rules[] = {
	R(read, SB_ANY), /* kick and control eventfds, device fds */
	R(epoll_wait, SB_ANY), /* the worker loop (x86_64) */
	R(epoll_pwait, SB_ANY), /* the worker loop (aarch64) */
};

static const struct sb_rule blk_rules[] = {
	R(pread64, SB_ANY), /* bounced reads (unaligned with O_DIRECT) */
	R(pwrite64, SB_ANY), /* bounced writes */
	R(preadv, SB_ANY), /* reads straight into guest buffers */
	R(pwritev, SB_ANY), /* writes straight from guest buffers */
	R(fdatasync, SB_ANY), /* VIRTIO_BLK_T_FLUSH */
	R(fallocate, SB_ANY), /* DISCARD and WRITE_ZEROES */
	R(io_uring_enter, SB_ANY), /* the asynchronous engine */
};

static const struct sb_rule console_rules[] = {
	R(sendto, SB_ANY), /* output to a socket console */
};

/* virtio-rng needs only the worker list: read(2) on its source. */

static const struct sb_rule net_rules[] = {
	R(readv, SB_ANY), /* receive: one frame into guest buffers */
	R(writev, SB_ANY), /* transmit: one frame from guest buffers */
	R(poll, SB_ANY), /* receive thread wait; transmit back-off */
	R(ppoll, SB_ANY), /* poll on architectures without poll */
	R(ioctl, SB_IOCTL), /* TAP offloads (control queue), queues */
};

/* virtio-vsock: its device thread (virtio_vsock.c vs_thread) bridges
 * guest streams to UNIX sockets; its worker only wakes that thread. */
static const struct sb_rule vsock_rules[] = {
	R(epoll_ctl, SB_ANY), /* watching the listener and connections */
	R(socket, SB_AF_UNIX), /* guest connections to <path>_<port> */
	R(connect, SB_ANY), /* the same */
	R(accept4, SB_ANY), /* host clients on <path> */
	R(recvfrom, SB_ANY), /* host data and "CONNECT <port>" lines */
	R(readv, SB_ANY), /* host data straight into guest buffers */
	R(sendto, SB_ANY), /* "OK <port>" answers, buffered guest data */
	R(sendmsg, SB_ANY), /* guest data straight from guest buffers */
	R(shutdown, SB_ANY), /* VIRTIO_VSOCK_OP_SHUTDOWN */
	R(close, SB_ANY), /* connection teardown */
};

/* virtio-pmem: the flush request. */
static const struct sb_rule pmem_rules[] = {
	R(fdatasync, SB_ANY), /* VIRTIO_PMEM_REQ_TYPE_FLUSH */
};

static const struct sb_list base = LIST(base_rules);
static const struct sb_list main_l = LIST(main_rules);
#ifdef SB_ASAN
static const struct sb_list lsan_l = LIST(lsan_rules);
#define SB_LSAN (&lsan_l)
#else
#define SB_LSAN NULL
#endif

static const struct sb_list vcpu_l = LIST(vcpu_rules);
static const struct sb_list api_l = LIST(api_rules);
static const struct sb_list worker = LIST(worker_rules);
static const struct sb_list blk_l = LIST(blk_rules);
static const struct sb_list console_l = LIST(console_rules);
static const struct sb_list net_l = LIST(net_rules);
static const struct sb_list vsock_l = LIST(vsock_rules);
static const struct sb_list pmem_l = LIST(pmem_rules);

static const struct sb_kind kinds[SANDBOX_THREAD_MAX] = {
	[SANDBOX_MAIN] = { "main",
			   { &base, &main_l, SB_LSAN },
			   SB_IOC_HV | SB_IOC_TAP_RUN | SB_IOC_TAP_SETUP |
				   SB_IOC_TERM | SB_IOC_BLOCK },
	[SANDBOX_VCPU] = { "vcpu",
			   { &base, &vcpu_l },
			   SB_IOC_HV | SB_IOC_TAP_RUN },
	[SANDBOX_API] = { "api", { &base, &api_l }, 0 },
	[SANDBOX_VIRTIO_BLK] = { "virtio-blk", { &base, &worker, &blk_l }, 0 },
	[SANDBOX_VIRTIO_CONSOLE] = { "virtio-console",
				     { &base, &worker, &console_l },
				     0 },
	[SANDBOX_VIRTIO_RNG] = { "virtio-rng", { &base, &worker }, 0 },
	[SANDBOX_VIRTIO_NET] = { "virtio-net",
				 { &base, &worker, &net_l },
				 SB_IOC_TAP_RUN },
	[SANDBOX_VIRTIO_VSOCK] = { "virtio-vsock",
				   { &base, &worker, &vsock_l },
				   0 },
	[SANDBOX_VIRTIO_PMEM] = { "virtio-pmem",
				  { &base, &worker, &pmem_l },
				  0 },
};

const struct sb_kind *sb_kind_get(unsigned int kind)
{
	return kind < SANDBOX_THREAD_MAX ? &kinds[kind] : NULL;
}

/* TAP requests while the guest runs: feature negotiation sets offloads
 * (vCPU thread at DRIVER_OK, net control queue), multiqueue attaches and
 * detaches queues (net receive thread). */
static const unsigned long ioc_tap_run[] = {
	TUNSETOFFLOAD,
	TUNSETQUEUE,
};

/* TAP creation and host-side configuration (net_tap_open, main thread,
 * again on each reboot). */
static const unsigned long ioc_tap_setup[] = {
	TUNSETIFF, /* create/attach by name */
	TUNGETIFF, /* check an fd= TAP */
	TUNSETVNETHDRSZ, /* 12-byte virtio-net header */
	TUNSETVNETLE, /* little-endian header */
	TUNSETSNDBUF, /* unlimited send buffer (no silent tx drops) */
	SIOCSIFHWADDR, /* host_mac */
	SIOCSIFMTU, /* mtu */
	SIOCSIFADDR, /* ip */
	SIOCSIFNETMASK, /* mask */
	SIOCGIFFLAGS, /* bring the interface up: read ... */
	SIOCSIFFLAGS, /* ... and set IFF_UP */
};

/* Terminal requests: raw mode on stdin or a pty and its restore. */
static const unsigned long ioc_term[] = {
	TCGETS, /* tcgetattr, isatty */
	TCSETS, /* tcsetattr(TCSANOW) */
	TCSETSW, /* tcsetattr(TCSADRAIN) */
	TCSETSF, /* tcsetattr(TCSAFLUSH) */
	TIOCGWINSZ, /* console size */
	TIOCGPTN, /* ptsname of a --serial pty */
	TIOCSPTLCK, /* unlockpt */
};

/* Disks on block devices (vblk_create, main thread, again on reboot). */
static const unsigned long ioc_block[] = {
	BLKSSZGET, /* logical block size for O_DIRECT alignment */
	BLKGETSIZE64, /* capacity */
};

const unsigned long *sb_ioctl_group(unsigned int group, size_t *n)
{
	switch (group) {
	case SB_IOC_TAP_RUN:
		*n = sizeof(ioc_tap_run) / sizeof(ioc_tap_run[0]);
		return ioc_tap_run;
	case SB_IOC_TAP_SETUP:
		*n = sizeof(ioc_tap_setup) / sizeof(ioc_tap_setup[0]);
		return ioc_tap_setup;
	case SB_IOC_TERM:
		*n = sizeof(ioc_term) / sizeof(ioc_term[0]);
		return ioc_term;
	case SB_IOC_BLOCK:
		*n = sizeof(ioc_block) / sizeof(ioc_block[0]);
		return ioc_block;
	default:
		*n = 0;
		return NULL;
	}
}
