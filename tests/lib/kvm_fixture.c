// SPDX-License-Identifier: Apache-2.0
/*
 * kvm_fixture.c - shared cmocka fixture for the tests on /dev/kvm: plugin
 * loading, VM/vCPU/RAM set-up, a vcpu_run with a watchdog, exit checks.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "tests/lib/kvm_fixture.h"

struct kvmt_watchdog {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	bool fired;
	long delay_ms;
	const struct hv_ops *ops;
	struct hv_vcpu *vcpu;
};

int kvmt_cap(long cap)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC), r;

	if (fd < 0)
		return 0;
	r = ioctl(fd, KVM_CHECK_EXTENSION, cap);
	close(fd);
	return r > 0 ? r : 0;
}

static void kvmt_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void kvmt_log(int level, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "[plugin %d] %s\n", level, buf);
}

static void kvmt_kick_handler(int sig)
{
	(void)sig;
}

static const char *kvmt_reason_str(uint32_t r)
{
	static const char *const names[] = {
		"NONE",	      "MMIO",	  "PIO",       "HLT", "INTR",
		"SHUTDOWN",   "RESET",	  "HYPERCALL", "MSR", "DEBUG",
		"FAIL_ENTRY", "INTERNAL", "UNKNOWN",   "EOI",
	};

	return r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}

int kvmt_env_init(struct kvmt_env *env, int argc, char **argv)
{
	const char *path = "build/plugins/hv-kvm.so";
	const char *dirs = getenv("NIMBUS_PLUGIN_PATH");
	struct sigaction sa;
	int n;

	if (dirs && *dirs)
		n = snprintf(env->plugin_path, sizeof(env->plugin_path),
			     "%.*s/hv-kvm.so", (int)strcspn(dirs, ":"), dirs);
	else
		n = snprintf(env->plugin_path, sizeof(env->plugin_path), "%s",
			     argc > 1 ? argv[1] : path);
	if (n < 0 || (size_t)n >= sizeof(env->plugin_path))
		return -ENAMETOOLONG;
	/* The kick signal: an empty handler without SA_RESTART, so that a
	 * signal interrupts KVM_RUN with EINTR. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kvmt_kick_handler;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		return -errno;
	return 0;
}

static int kvmt_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

int kvmt_setup(void **state)
{
	const struct kvmt_env *env = *state;
	struct kvmt_fx *fx;
	int fd;

	if (!env)
		return -1;
	fx = calloc(1, sizeof(*fx));
	if (!fx)
		return -1;
	fx->nr_fds = kvmt_count_fds();
	fx->dl = dlopen(env->plugin_path, RTLD_NOW | RTLD_LOCAL);
	if (!fx->dl) {
		print_error("dlopen %s: %s\n", env->plugin_path, dlerror());
		goto err_free;
	}
	fx->desc = dlsym(fx->dl, PLUGIN_DESC_SYMBOL);
	if (!fx->desc)
		goto err_dlclose;
	fx->ops = fx->desc->ops;
	fx->host.abi_major = HV_ABI_MAJOR;
	fx->host.abi_minor = HV_ABI_MINOR;
	fx->host.size = sizeof(fx->host);
	fx->host.kick_signo = SIGUSR1;
	fx->host.log = kvmt_log;
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	fx->have_kvm = fd >= 0;
	if (fd >= 0)
		close(fd);
	*state = fx;
	return 0;

err_dlclose:
	dlclose(fx->dl);
err_free:
	free(fx);
	return -1;
}

int kvmt_teardown(void **state)
{
	struct kvmt_fx *fx = *state;
	int ret = 0;

	if (fx->vcpu)
		fx->ops->vcpu_destroy(fx->vcpu);
	if (fx->vm)
		fx->ops->vm_destroy(fx->vm);
	if (fx->hv)
		fx->ops->close(fx->hv);
	if (fx->ram)
		munmap(fx->ram, KVMT_RAM_SIZE);
	dlclose(fx->dl);
	/* Every fd the plugin opened (and the test's eventfds) is closed. */
	if (kvmt_count_fds() != fx->nr_fds) {
		print_error("fd leak: %d open before, %d after\n", fx->nr_fds,
			    kvmt_count_fds());
		ret = -1;
	}
	free(fx);
	return ret;
}

void kvmt_open_hv(struct kvmt_fx *fx)
{
	assert_int_equal(fx->ops->open(&fx->host, &fx->hv), 0);
}

void kvmt_create_vm(struct kvmt_fx *fx, uint32_t nr_vcpus)
{
	struct hv_vm_config cfg = { .size = sizeof(cfg),
				    .arch = HV_ARCH_X86_64,
				    .nr_vcpus = nr_vcpus,
				    .mem_size = KVMT_RAM_SIZE };

	kvmt_open_hv(fx);
	assert_int_equal(fx->ops->vm_create(fx->hv, &cfg, &fx->vm), 0);
	fx->ram = mmap(NULL, KVMT_RAM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fx->ram == MAP_FAILED) {
		/* Keep teardown from munmap'ing MAP_FAILED. */
		fx->ram = NULL;
		fail_msg("mmap of guest RAM failed");
	}
}

void kvmt_map_ram(struct kvmt_fx *fx, uint32_t extra_flags)
{
	assert_int_equal(fx->ops->map_memory(fx->vm, 0, KVMT_RAM_SIZE, fx->ram,
					     HV_MEM_READ | HV_MEM_WRITE |
						     HV_MEM_EXEC | extra_flags),
			 0);
}

void kvmt_create_vcpu(struct kvmt_fx *fx, const struct hv_vcpu_config *cfg,
		      uint64_t fs_base)
{
	struct hv_x86_regs r = { .rip = KVMT_CODE_ADDR,
				 .rflags = 0x2,
				 .rsp = 0x8000 };
	struct hv_x86_sregs s;

	assert_int_equal(fx->ops->vcpu_create(fx->vm, 0, cfg, fx, &fx->vcpu),
			 0);
	assert_int_equal(fx->ops->vcpu_get_regs(fx->vcpu, HV_REGS_SPECIAL, &s,
						sizeof(s)),
			 0);
	s.cs.base = 0;
	s.cs.selector = 0;
	s.fs.base = fs_base;
	assert_int_equal(fx->ops->vcpu_set_regs(fx->vcpu, HV_REGS_SPECIAL, &s,
						sizeof(s)),
			 0);
	assert_int_equal(fx->ops->vcpu_set_regs(fx->vcpu, HV_REGS_CORE, &r,
						sizeof(r)),
			 0);
}

void kvmt_boot(struct kvmt_fx *fx, const uint8_t *code, size_t len,
	       uint64_t fs_base)
{
	kvmt_create_vm(fx, 1);
	kvmt_map_ram(fx, 0);
	memcpy(fx->ram + KVMT_CODE_ADDR, code, len);
	kvmt_create_vcpu(fx, NULL, fs_base);
}

static void *kvmt_watchdog_main(void *arg)
{
	struct kvmt_watchdog *w = arg;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += w->delay_ms / 1000;
	ts.tv_nsec += (w->delay_ms % 1000) * 1000000l;
	if (ts.tv_nsec >= 1000000000l) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000l;
	}
	pthread_mutex_lock(&w->lock);
	while (!w->done) {
		if (pthread_cond_timedwait(&w->cond, &w->lock, &ts) ==
		    ETIMEDOUT) {
			w->fired = true;
			w->ops->vcpu_kick(w->vcpu);
			break;
		}
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static void kvmt_watchdog_start(struct kvmt_watchdog *w, struct kvmt_fx *fx,
				long ms)
{
	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->delay_ms = ms;
	w->ops = fx->ops;
	w->vcpu = fx->vcpu;
	assert_int_equal(
		pthread_create(&w->thread, NULL, kvmt_watchdog_main, w), 0);
}

/* Returns true if the watchdog kicked. */
static bool kvmt_watchdog_stop(struct kvmt_watchdog *w)
{
	pthread_mutex_lock(&w->lock);
	w->done = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	return w->fired;
}

void kvmt_run(struct kvmt_fx *fx, struct hv_exit *exit)
{
	struct kvmt_watchdog w;
	bool fired;
	int ret;

	kvmt_watchdog_start(&w, fx, KVMT_RUN_TIMEOUT_MS);
	ret = fx->ops->vcpu_run(fx->vcpu, exit);
	fired = kvmt_watchdog_stop(&w);
	assert_int_equal(ret, 0);
	if (fired)
		fail_msg("guest timed out (exit %s)",
			 kvmt_reason_str(exit->reason));
}

void kvmt_expect_reason(const struct hv_exit *exit, uint32_t want)
{
	if (exit->reason != want)
		fail_msg("want exit %s, got %s (raw %u, suberror %u)",
			 kvmt_reason_str(want), kvmt_reason_str(exit->reason),
			 exit->u.unknown.raw, exit->u.fail.suberror);
}

void kvmt_expect_pio(const struct hv_exit *exit, uint16_t port, uint8_t size,
		     int write)
{
	kvmt_expect_reason(exit, HV_EXIT_PIO);
	assert_int_equal(exit->u.pio.port, port);
	assert_int_equal(exit->u.pio.size, size);
	assert_int_equal(exit->u.pio.write, write);
	assert_non_null(exit->u.pio.data);
}

uint32_t kvmt_pio_u32(const struct hv_exit *exit)
{
	uint32_t v = 0;
	size_t n = exit->u.pio.size;

	memcpy(&v, exit->u.pio.data, n < sizeof(v) ? n : sizeof(v));
	return v;
}
