// SPDX-License-Identifier: Apache-2.0
/*
 * test_kvm_plugin.c - the KVM plugin against the real /dev/kvm.
 *
 * Loads hv-kvm.so with dlopen ($NIMBUS_PLUGIN_PATH's first directory, else
 * argv[1], else build/plugins/hv-kvm.so) and drives it only through its
 * struct hv_ops.  Each test runs a tiny real-mode guest (hand-assembled
 * below, one instruction per line) that talks back through port I/O and
 * MMIO.  Without a usable /dev/kvm every test is skipped.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/kvm.h>

#include "hv/hv.h"
#include "hv/hv_x86_64.h"
#include "plugins/plugin.h"

#define RAM_SIZE 0x100000ul /* 1 MiB at GPA 0 */
#define CODE_ADDR 0x1000u
#define MMIO_GPA 0xd0000000ull
#define RUN_TIMEOUT_MS 5000

/* Set once by main() before the tests run. */
/* A KVM capability of this host, asked directly (0 if unknown). */
static int kvm_cap(long cap)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC), r;

	if (fd < 0)
		return 0;
	r = ioctl(fd, KVM_CHECK_EXTENSION, cap);
	close(fd);
	return r > 0 ? r : 0;
}

static const char *plugin_path = "build/plugins/hv-kvm.so";

struct fx {
	int nr_fds; /* open fds before the test, to catch leaks */
	void *dl;
	const struct hv_ops *ops;
	const struct plugin_desc *desc;
	struct hv_host host;
	bool have_kvm;
	struct hv *hv;
	struct hv_vm *vm;
	struct hv_vcpu *vcpu;
	uint8_t *ram;
};

struct watchdog {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	bool fired;
	long delay_ms;
	const struct hv_ops *ops;
	struct hv_vcpu *vcpu;
};

static void test_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void test_log(int level, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "[plugin %d] %s\n", level, buf);
}

static void kick_handler(int sig)
{
	(void)sig;
}

static const char *reason_str(uint32_t r)
{
	static const char *const names[] = {
		"NONE",	      "MMIO",	  "PIO",       "HLT", "INTR",
		"SHUTDOWN",   "RESET",	  "HYPERCALL", "MSR", "DEBUG",
		"FAIL_ENTRY", "INTERNAL", "UNKNOWN",   "EOI",
	};

	return r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}

/* --- fixture -------------------------------------------------------------- */

static int count_fds(void)
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

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	int fd;

	if (!fx)
		return -1;
	fx->nr_fds = count_fds();
	fx->dl = dlopen(plugin_path, RTLD_NOW | RTLD_LOCAL);
	if (!fx->dl) {
		print_error("dlopen %s: %s\n", plugin_path, dlerror());
		free(fx);
		return -1;
	}
	fx->desc = dlsym(fx->dl, PLUGIN_DESC_SYMBOL);
	if (!fx->desc) {
		dlclose(fx->dl);
		free(fx);
		return -1;
	}
	fx->ops = fx->desc->ops;
	fx->host.abi_major = HV_ABI_MAJOR;
	fx->host.abi_minor = HV_ABI_MINOR;
	fx->host.size = sizeof(fx->host);
	fx->host.kick_signo = SIGUSR1;
	fx->host.log = test_log;
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	fx->have_kvm = fd >= 0;
	if (fd >= 0)
		close(fd);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	if (fx->vcpu)
		fx->ops->vcpu_destroy(fx->vcpu);
	if (fx->vm)
		fx->ops->vm_destroy(fx->vm);
	if (fx->hv)
		fx->ops->close(fx->hv);
	if (fx->ram)
		munmap(fx->ram, RAM_SIZE);
	dlclose(fx->dl);
	/* Every fd the plugin opened (and the test's eventfds) is closed. */
	if (count_fds() != fx->nr_fds) {
		print_error("fd leak: %d open before, %d after\n", fx->nr_fds,
			    count_fds());
		free(fx);
		return -1;
	}
	free(fx);
	return 0;
}

#define REQUIRE_KVM(fx)                                                  \
	do {                                                             \
		if (!(fx)->have_kvm) {                                   \
			print_message("SKIP: /dev/kvm not available\n"); \
			skip();                                          \
		}                                                        \
	} while (0)

static void open_hv(struct fx *fx)
{
	assert_int_equal(fx->ops->open(&fx->host, &fx->hv), 0);
}

static void create_vm(struct fx *fx, uint32_t nr_vcpus)
{
	struct hv_vm_config cfg = { .size = sizeof(cfg),
				    .arch = HV_ARCH_X86_64,
				    .nr_vcpus = nr_vcpus,
				    .mem_size = RAM_SIZE };

	open_hv(fx);
	assert_int_equal(fx->ops->vm_create(fx->hv, &cfg, &fx->vm), 0);
	fx->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(fx->ram != MAP_FAILED);
}

static void map_ram(struct fx *fx, uint32_t extra_flags)
{
	assert_int_equal(fx->ops->map_memory(fx->vm, 0, RAM_SIZE, fx->ram,
					     HV_MEM_READ | HV_MEM_WRITE |
						     HV_MEM_EXEC | extra_flags),
			 0);
}

/* Real mode, CS:IP = 0:CODE_ADDR, FS base = fs_base. */
static void create_vcpu(struct fx *fx, const struct hv_vcpu_config *cfg,
			uint64_t fs_base)
{
	struct hv_x86_regs r = { .rip = CODE_ADDR,
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

/* A VM with 1 MiB of RAM, one real-mode vCPU, `code` at CODE_ADDR. */
static void boot(struct fx *fx, const uint8_t *code, size_t len,
		 uint64_t fs_base)
{
	create_vm(fx, 1);
	map_ram(fx, 0);
	memcpy(fx->ram + CODE_ADDR, code, len);
	create_vcpu(fx, NULL, fs_base);
}

static void *watchdog_main(void *arg)
{
	struct watchdog *w = arg;
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

static void watchdog_start(struct watchdog *w, struct fx *fx, long ms)
{
	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->delay_ms = ms;
	w->ops = fx->ops;
	w->vcpu = fx->vcpu;
	assert_int_equal(pthread_create(&w->thread, NULL, watchdog_main, w), 0);
}

/* Returns true if the watchdog kicked. */
static bool watchdog_stop(struct watchdog *w)
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

/* vcpu_run with a watchdog so that a guest that never exits fails the
 * test instead of hanging it. */
static void run(struct fx *fx, struct hv_exit *exit)
{
	struct watchdog w;
	bool fired;
	int ret;

	watchdog_start(&w, fx, RUN_TIMEOUT_MS);
	ret = fx->ops->vcpu_run(fx->vcpu, exit);
	fired = watchdog_stop(&w);
	assert_int_equal(ret, 0);
	if (fired)
		fail_msg("guest timed out (exit %s)", reason_str(exit->reason));
}

static void expect_reason(const struct hv_exit *exit, uint32_t want)
{
	if (exit->reason != want)
		fail_msg("want exit %s, got %s (raw %u, suberror %u)",
			 reason_str(want), reason_str(exit->reason),
			 exit->u.unknown.raw, exit->u.fail.suberror);
}

static void expect_pio(const struct hv_exit *exit, uint16_t port, uint8_t size,
		       int write)
{
	expect_reason(exit, HV_EXIT_PIO);
	assert_int_equal(exit->u.pio.port, port);
	assert_int_equal(exit->u.pio.size, size);
	assert_int_equal(exit->u.pio.write, write);
	assert_non_null(exit->u.pio.data);
}

static uint32_t pio_u32(const struct hv_exit *exit)
{
	uint32_t v = 0;

	memcpy(&v, exit->u.pio.data, exit->u.pio.size);
	return v;
}

/* --- tests ---------------------------------------------------------------- */

static void test_probe_caps(void **state)
{
	struct fx *fx = *state;
	struct hv_vm_config bad = { .size = sizeof(bad),
				    .arch = HV_ARCH_AARCH64,
				    .nr_vcpus = 1 };
	const unsigned long *cmds;
	struct hv_vm *vm = NULL;
	struct hv_caps caps;
	bool has_run = false;
	size_t n, i;

	REQUIRE_KVM(fx);
	assert_int_equal(fx->desc->magic, PLUGIN_MAGIC);
	assert_int_equal(fx->desc->kind, PLUGIN_HV);
	assert_int_equal(fx->desc->abi_major, HV_ABI_MAJOR);
	assert_int_equal(fx->desc->desc_size, sizeof(struct plugin_desc));
	assert_string_equal(fx->desc->name, "kvm");
	assert_non_null(fx->desc->build_id);
	assert_int_equal(fx->ops->size, sizeof(struct hv_ops));
	assert_int_equal(fx->ops->probe(&fx->host), 0);
	open_hv(fx);
	assert_int_equal(fx->ops->get_caps(fx->hv, &caps), 0);
	assert_true(caps.flags & HV_CAP_IRQFD);
	assert_true(caps.flags & HV_CAP_IOEVENTFD);
	assert_true(caps.flags & HV_CAP_PIO_IOEVENTFD);
	assert_true(caps.flags & HV_CAP_MSI_ROUTES);
	assert_true(caps.flags & HV_CAP_SPLIT_IRQCHIP);
	assert_true(caps.flags & HV_CAP_SIGNAL_MSI);
	assert_true(caps.flags & HV_CAP_DIRTY_LOG);
	assert_false(caps.flags & HV_CAP_GICV3);
	assert_true(caps.max_vcpus >= 1);
	assert_true(caps.max_gsi >= 24);
	assert_in_range(caps.ipa_bits, 32, 64);
	assert_int_equal(fx->ops->get_ioctl_allowlist(fx->hv, &cmds, &n), 0);
	assert_true(n > 0);
	for (i = 0; i < n; i++)
		has_run |= cmds[i] == KVM_RUN;
	assert_true(has_run);
	/* Wrong architecture and too many vCPUs are refused. */
	assert_int_equal(fx->ops->vm_create(fx->hv, &bad, &vm), -EINVAL);
	bad.arch = HV_ARCH_X86_64;
	bad.nr_vcpus = caps.max_vcpus + 1;
	assert_int_equal(fx->ops->vm_create(fx->hv, &bad, &vm), -EINVAL);
	assert_null(vm);
}

static void test_pio_mmio(void **state)
{
	static const uint8_t code[] = {
		0xb0, 0x42, /* mov al, 0x42 */
		0xe6, 0x10, /* out 0x10, al */
		0xe4, 0x11, /* in al, 0x11 */
		0xe6, 0x12, /* out 0x12, al */
		0x64, 0xa2, 0x00, 0x00, /* mov [fs:0x0000], al (MMIO write) */
		0x64, 0xa0, 0x04, 0x00, /* mov al, [fs:0x0004] (MMIO read) */
		0xe6, 0x13, /* out 0x13, al */
		0xb8, 0x34, 0x12, /* mov ax, 0x1234 */
		0xe7, 0x16, /* out 0x16, ax */
		0xbe, 0x00, 0x20, /* mov si, 0x2000 */
		0xb9, 0x04, 0x00, /* mov cx, 4 */
		0xba, 0x17, 0x00, /* mov dx, 0x17 */
		0xfc, /* cld */
		0xf3, 0x6e, /* rep outsb */
		0xf4, /* hlt */
	};
	struct fx *fx = *state;
	struct hv_exit exit = { 0 };
	char str[5] = { 0 };
	uint32_t got = 0;

	REQUIRE_KVM(fx);
	boot(fx, code, sizeof(code), MMIO_GPA);
	memcpy(fx->ram + 0x2000, "ABCD", 4);

	run(fx, &exit);
	expect_pio(&exit, 0x10, 1, 1);
	assert_int_equal(exit.u.pio.count, 1);
	assert_int_equal(exit.u.pio.data[0], 0x42);

	run(fx, &exit);
	expect_pio(&exit, 0x11, 1, 0);
	exit.u.pio.data[0] = 0x5a; /* the host answers the IN */

	run(fx, &exit);
	expect_pio(&exit, 0x12, 1, 1);
	assert_int_equal(exit.u.pio.data[0], 0x5a);

	run(fx, &exit);
	expect_reason(&exit, HV_EXIT_MMIO);
	assert_int_equal(exit.u.mmio.gpa, MMIO_GPA);
	assert_int_equal(exit.u.mmio.len, 1);
	assert_int_equal(exit.u.mmio.write, 1);
	assert_int_equal(exit.u.mmio.data[0], 0x5a);

	run(fx, &exit);
	expect_reason(&exit, HV_EXIT_MMIO);
	assert_int_equal(exit.u.mmio.gpa, MMIO_GPA + 4);
	assert_int_equal(exit.u.mmio.len, 1);
	assert_int_equal(exit.u.mmio.write, 0);
	exit.u.mmio.data[0] = 0xa5; /* the host answers the MMIO read */

	run(fx, &exit);
	expect_pio(&exit, 0x13, 1, 1);
	assert_int_equal(exit.u.pio.data[0], 0xa5);

	run(fx, &exit);
	expect_pio(&exit, 0x16, 2, 1);
	assert_int_equal(pio_u32(&exit), 0x1234);

	/* rep outsb: KVM may split the string into several exits. */
	while (got < 4) {
		run(fx, &exit);
		expect_pio(&exit, 0x17, 1, 1);
		assert_in_range(exit.u.pio.count, 1, 4 - got);
		memcpy(str + got, exit.u.pio.data, exit.u.pio.count);
		got += exit.u.pio.count;
	}
	assert_string_equal(str, "ABCD");

	run(fx, &exit);
	expect_reason(&exit, HV_EXIT_HLT);
}

struct kicker {
	const struct hv_ops *ops;
	struct hv_vcpu *vcpu;
};

static void *kicker_main(void *arg)
{
	struct kicker *k = arg;
	struct timespec ts = { 0, 100 * 1000000l };

	nanosleep(&ts, NULL);
	k->ops->vcpu_kick(k->vcpu);
	return NULL;
}

static void test_kick(void **state)
{
	static const uint8_t code[] = {
		0xe6, 0x10, /* out 0x10, al */
		0xeb, 0xfe, /* jmp $ */
	};
	struct fx *fx = *state;
	struct hv_exit exit = { 0 };
	struct kicker k;
	pthread_t t;
	uint64_t rip;

	REQUIRE_KVM(fx);
	boot(fx, code, sizeof(code), 0);

	/* A kick before the run: the guest must not even start. */
	fx->ops->vcpu_kick(fx->vcpu);
	run(fx, &exit);
	expect_reason(&exit, HV_EXIT_INTR);
	assert_int_equal(fx->ops->vcpu_get_reg(fx->vcpu, HV_X86_RIP, &rip), 0);
	assert_int_equal(rip, CODE_ADDR);

	/* The kick is consumed: the next run reaches the guest. */
	run(fx, &exit);
	expect_pio(&exit, 0x10, 1, 1);

	/* A kick from another thread while the guest spins. */
	k.ops = fx->ops;
	k.vcpu = fx->vcpu;
	assert_int_equal(pthread_create(&t, NULL, kicker_main, &k), 0);
	run(fx, &exit);
	pthread_join(t, NULL);
	expect_reason(&exit, HV_EXIT_INTR);
	assert_int_equal(fx->ops->vcpu_get_reg(fx->vcpu, HV_X86_RIP, &rip), 0);
	assert_int_equal(rip, CODE_ADDR + 2);
}

static void test_regs(void **state)
{
	static const uint8_t code[] = {
		0xe6, 0x10, /* out 0x10, al */
		0xf4, /* hlt */
	};
	struct fx *fx = *state;
	struct hv_x86_regs r, r2;
	struct hv_x86_sregs s, s2;
	struct hv_exit exit = { 0 };
	uint64_t v, *p;
	size_t i;

	REQUIRE_KVM(fx);
	boot(fx, code, sizeof(code), 0);

	/* Core registers round-trip exactly. */
	for (p = &r.rax, i = 0; p <= &r.r15; p++, i++)
		*p = 0x1111111111111111ull * (i % 15 + 1) + i;
	r.rip = CODE_ADDR;
	r.rflags = 0x246;
	assert_int_equal(fx->ops->vcpu_set_regs(fx->vcpu, HV_REGS_CORE, &r,
						sizeof(r)),
			 0);
	memset(&r2, 0, sizeof(r2));
	assert_int_equal(fx->ops->vcpu_get_regs(fx->vcpu, HV_REGS_CORE, &r2,
						sizeof(r2)),
			 0);
	assert_memory_equal(&r, &r2, sizeof(r));

	/* Special registers: segments and descriptor tables. */
	assert_int_equal(fx->ops->vcpu_get_regs(fx->vcpu, HV_REGS_SPECIAL, &s,
						sizeof(s)),
			 0);
	s.es.base = 0x56780;
	s.es.selector = 0x5678;
	s.gs.base = 0x9abc0;
	s.gs.selector = 0x9abc;
	s.gs.limit = 0xffff;
	s.gdt.base = 0x500;
	s.gdt.limit = 0x1f;
	s.idt.base = 0x1000;
	s.idt.limit = 0x7ff;
	s.cr2 = 0xdead000;
	assert_int_equal(fx->ops->vcpu_set_regs(fx->vcpu, HV_REGS_SPECIAL, &s,
						sizeof(s)),
			 0);
	memset(&s2, 0xff, sizeof(s2));
	assert_int_equal(fx->ops->vcpu_get_regs(fx->vcpu, HV_REGS_SPECIAL, &s2,
						sizeof(s2)),
			 0);
	assert_int_equal(s2.es.base, 0x56780);
	assert_int_equal(s2.es.selector, 0x5678);
	assert_int_equal(s2.gs.base, 0x9abc0);
	assert_int_equal(s2.gs.selector, 0x9abc);
	assert_int_equal(s2.gs.limit, 0xffff);
	assert_int_equal(s2.gdt.base, 0x500);
	assert_int_equal(s2.gdt.limit, 0x1f);
	assert_int_equal(s2.idt.base, 0x1000);
	assert_int_equal(s2.idt.limit, 0x7ff);
	assert_int_equal(s2.cr2, 0xdead000);
	assert_int_equal(s2.cr0, s.cr0);
	assert_int_equal(s2.efer, s.efer);
	assert_int_equal(s2.cs.base, 0);
	assert_int_equal(s2.cs.limit, s.cs.limit);
	assert_int_equal(s2.cs.type, s.cs.type);
	assert_int_equal(s2.cs.present, s.cs.present);
	assert_int_equal(s2.apic_base, s.apic_base);
	assert_int_equal(s2.es.pad, 0);
	assert_int_equal(s2.gdt.pad[0], 0);

	/* Single registers, and that they reach the guest. */
	assert_int_equal(fx->ops->vcpu_get_reg(fx->vcpu, HV_X86_RBX, &v), 0);
	assert_int_equal(v, r.rbx);
	assert_int_equal(fx->ops->vcpu_get_reg(fx->vcpu, HV_X86_CR0, &v), 0);
	assert_int_equal(v, s.cr0);
	assert_int_equal(fx->ops->vcpu_set_reg(fx->vcpu, HV_X86_RAX, 0x77), 0);
	assert_int_equal(fx->ops->vcpu_get_reg(fx->vcpu, HV_X86_RAX, &v), 0);
	assert_int_equal(v, 0x77);
	run(fx, &exit);
	expect_pio(&exit, 0x10, 1, 1);
	assert_int_equal(exit.u.pio.data[0], 0x77);
	assert_int_equal(fx->ops->vcpu_get_reg(fx->vcpu, HV_X86_RIP, &v), 0);
	assert_int_equal(v, CODE_ADDR + 2);

	/* Bad sizes, sets and ids. */
	assert_int_equal(fx->ops->vcpu_get_regs(fx->vcpu, HV_REGS_CORE, &r,
						sizeof(r) - 1),
			 -EINVAL);
	assert_int_equal(fx->ops->vcpu_set_regs(fx->vcpu, HV_REGS_SPECIAL, &s,
						sizeof(r)),
			 -EINVAL);
	assert_int_equal(fx->ops->vcpu_get_regs(fx->vcpu, 99, &r, sizeof(r)),
			 -EINVAL);
	assert_int_equal(fx->ops->vcpu_get_reg(fx->vcpu, 0, &v), -EINVAL);
	assert_int_equal(fx->ops->vcpu_set_reg(fx->vcpu, 0x1ff, 0), -EINVAL);
}

static void test_map_memory(void **state)
{
	const uint32_t rw = HV_MEM_READ | HV_MEM_WRITE | HV_MEM_EXEC;
	struct fx *fx = *state;
	uint8_t *extra;

	REQUIRE_KVM(fx);
	create_vm(fx, 1);
	extra = mmap(NULL, 0x20000, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(extra != MAP_FAILED);
	map_ram(fx, 0);
	/* Overlaps, inside and across the end. */
	assert_int_equal(fx->ops->map_memory(fx->vm, 0x80000, 0x10000, extra,
					     rw),
			 -EEXIST);
	assert_int_equal(fx->ops->map_memory(fx->vm, 0xf0000, 0x20000, extra,
					     rw),
			 -EEXIST);
	/* Adjacent is fine; read-only too. */
	assert_int_equal(
		fx->ops->map_memory(fx->vm, RAM_SIZE, 0x10000, extra, rw), 0);
	assert_int_equal(fx->ops->map_memory(fx->vm, 0x200000, 0x10000,
					     extra + 0x10000, HV_MEM_READ),
			 0);
	/* Malformed requests. */
	assert_int_equal(fx->ops->map_memory(fx->vm, 0x300800, 0x1000, extra,
					     rw),
			 -EINVAL);
	assert_int_equal(fx->ops->map_memory(fx->vm, 0x300000, 0x1000,
					     extra + 8, rw),
			 -EINVAL);
	assert_int_equal(fx->ops->map_memory(fx->vm, 0x300000, 0, extra, rw),
			 -EINVAL);
	assert_int_equal(fx->ops->map_memory(fx->vm, 0x300000, 0x1000, extra,
					     rw | 0x100),
			 -EINVAL);
	/* Unmap exactly one mapping. */
	assert_int_equal(fx->ops->unmap_memory(fx->vm, 0, 0x1000), -EINVAL);
	assert_int_equal(fx->ops->unmap_memory(fx->vm, 0x1000, 0x1000),
			 -ENOENT);
	assert_int_equal(fx->ops->unmap_memory(fx->vm, RAM_SIZE, 0x10000), 0);
	assert_int_equal(fx->ops->unmap_memory(fx->vm, RAM_SIZE, 0x10000),
			 -ENOENT);
	/* The hole can be mapped again, now overlapping nothing. */
	assert_int_equal(fx->ops->map_memory(fx->vm, 0xf0000 + 0x10000, 0x20000,
					     extra, rw),
			 0);
	assert_int_equal(fx->ops->unmap_memory(fx->vm, RAM_SIZE, 0x20000), 0);
	assert_int_equal(fx->ops->unmap_memory(fx->vm, 0x200000, 0x10000), 0);
	assert_int_equal(fx->ops->unmap_memory(fx->vm, 0, RAM_SIZE), 0);
	munmap(extra, 0x20000);
}

static void test_msi_irqfd(void **state)
{
	/* clang-format off */
	static const uint8_t code[] = {
		/* 0x1000 */ 0x31, 0xc0,                /* xor ax, ax */
		/* 0x1002 */ 0x8e, 0xd8,                /* mov ds, ax */
		/* 0x1004 */ 0xc7, 0x06, 0xc0, 0x00, 0x3c, 0x10,
				/* mov word [0x00c0], 0x103c ; IVT[0x30].ip */
		/* 0x100a */ 0xc7, 0x06, 0xc2, 0x00, 0x00, 0x00,
				/* mov word [0x00c2], 0 ; IVT[0x30].cs */
		/* 0x1010 */ 0xc7, 0x06, 0xc4, 0x00, 0x49, 0x10,
				/* mov word [0x00c4], 0x1049 ; IVT[0x31].ip */
		/* 0x1016 */ 0xc7, 0x06, 0xc6, 0x00, 0x00, 0x00,
				/* mov word [0x00c6], 0 ; IVT[0x31].cs */
		/* 0x101c */ 0x66, 0x64, 0xa1, 0x50, 0x03,
				/* mov eax, [fs:0x0350] ; LAPIC LVT LINT0 */
		/* 0x1021 */ 0x66, 0xe7, 0x16,          /* out 0x16, eax */
		/* 0x1024 */ 0x66, 0x64, 0xa1, 0x60, 0x03,
				/* mov eax, [fs:0x0360] ; LAPIC LVT LINT1 */
		/* 0x1029 */ 0x66, 0xe7, 0x16,          /* out 0x16, eax */
		/* 0x102c */ 0x66, 0x64, 0xc7, 0x06, 0xf0, 0x00,
			     0xff, 0x01, 0x00, 0x00,
				/* mov dword [fs:0x00f0], 0x1ff ; SVR on */
		/* 0x1036 */ 0xe6, 0x15,                /* out 0x15, al */
		/* 0x1038 */ 0xfb,                      /* sti */
		/* 0x1039 */ 0xf4,                      /* hlt */
		/* 0x103a */ 0xeb, 0xfc,                /* jmp 0x1038 */
		/* vector 0x30 (edge) handler: */
		/* 0x103c */ 0xe6, 0x14,                /* out 0x14, al */
		/* 0x103e */ 0x66, 0x64, 0xc7, 0x06, 0xb0, 0x00,
			     0x00, 0x00, 0x00, 0x00,
				/* mov dword [fs:0x00b0], 0 ; LAPIC EOI */
		/* 0x1048 */ 0xcf,                      /* iret */
		/* vector 0x31 (level) handler: */
		/* 0x1049 */ 0xe6, 0x17,                /* out 0x17, al */
		/* 0x104b */ 0x66, 0x64, 0xc7, 0x06, 0xb0, 0x00,
			     0x00, 0x00, 0x00, 0x00,
				/* mov dword [fs:0x00b0], 0 ; LAPIC EOI */
		/* 0x1055 */ 0xcf,                      /* iret */
	};
	/* clang-format on */
	const struct hv_irqchip_config chip = { .size = sizeof(chip),
						.model = HV_IRQCHIP_X86_SPLIT,
						.nr_pins = 24 };
	/* GSI 30: edge MSI, vector 0x30, fixed, physical dest APIC 0.
	 * GSI 5 (an IOAPIC pin): level MSI (trigger bit 15, assert bit 14),
	 * vector 0x31, whose EOI must come back as HV_EXIT_EOI. */
	const struct hv_route routes[] = {
		{ .gsi = 30,
		  .type = HV_ROUTE_MSI,
		  .u.msi = { .addr = HV_X86_LAPIC_BASE, .data = 0x30 } },
		{ .gsi = 5,
		  .type = HV_ROUTE_MSI,
		  .u.msi = { .addr = HV_X86_LAPIC_BASE,
			     .data = 0x31 | 1u << 15 | 1u << 14 } },
	};
	struct fx *fx = *state;
	struct hv_exit exit = { 0 };
	uint64_t one = 1;
	int efd;

	REQUIRE_KVM(fx);
	create_vm(fx, 1);
	map_ram(fx, 0);
	memcpy(fx->ram + CODE_ADDR, code, sizeof(code));
	assert_int_equal(fx->ops->irqchip_create(fx->vm, &chip), 0);
	assert_int_equal(fx->ops->irqchip_create(fx->vm, &chip), -EEXIST);
	create_vcpu(fx, NULL, HV_X86_LAPIC_BASE);
	assert_int_equal(fx->ops->irqchip_finalize(fx->vm), 0);
	assert_int_equal(fx->ops->set_routes(fx->vm, routes, 2), 0);
	efd = eventfd(0, EFD_CLOEXEC);
	assert_true(efd >= 0);
	assert_int_equal(fx->ops->irqfd(fx->vm, efd, 30, -1, 1), 0);

	/* The plugin set LINT0 to ExtINT and LINT1 to NMI. */
	run(fx, &exit);
	expect_pio(&exit, 0x16, 4, 1);
	assert_int_equal(pio_u32(&exit) & 0x700, 0x700);
	run(fx, &exit);
	expect_pio(&exit, 0x16, 4, 1);
	assert_int_equal(pio_u32(&exit) & 0x700, 0x400);

	run(fx, &exit);
	expect_pio(&exit, 0x15, 1, 1);
	/* irqfd -> MSI route -> LAPIC vector 0x30 -> handler. */
	assert_int_equal(write(efd, &one, sizeof(one)), sizeof(one));
	run(fx, &exit);
	expect_pio(&exit, 0x14, 1, 1);

	/* One-shot MSI. */
	assert_int_equal(
		fx->ops->signal_msi(fx->vm, HV_X86_LAPIC_BASE, 0x30, 0), 0);
	run(fx, &exit);
	expect_pio(&exit, 0x14, 1, 1);

	/* KVM_IRQ_LINE on the same GSI goes through the route too. */
	assert_int_equal(fx->ops->irq_line(fx->vm, 30, 1), 0);
	assert_int_equal(fx->ops->irq_line(fx->vm, 30, 0), 0);
	run(fx, &exit);
	expect_pio(&exit, 0x14, 1, 1);

	/* A level interrupt on an IOAPIC pin: its EOI exits to the host. */
	assert_int_equal(fx->ops->irq_line(fx->vm, 5, 1), 0);
	run(fx, &exit);
	expect_pio(&exit, 0x17, 1, 1);
	run(fx, &exit);
	expect_reason(&exit, HV_EXIT_EOI);
	assert_int_equal(exit.u.eoi.vector, 0x31);
	assert_int_equal(fx->ops->irq_line(fx->vm, 5, 0), 0);

	assert_int_equal(fx->ops->irqfd(fx->vm, efd, 30, -1, 0), 0);
	assert_int_equal(fx->ops->irqfd(fx->vm, efd, 1u << 30, -1, 1), -EINVAL);
	close(efd);
}

static uint64_t efd_count(int efd)
{
	uint64_t v = 0;

	if (read(efd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

static void test_ioeventfd(void **state)
{
	static const uint8_t code[] = {
		0xb0, 0x42, /* mov al, 0x42 */
		0xe6, 0x30, /* out 0x30, al (ioeventfd) */
		0x64, 0xa2, 0x00, 0x00, /* mov [fs:0], al (MMIO ioeventfd) */
		0xe6, 0x31, /* out 0x31, al -> exit 1 */
		0xb0, 0x41, /* mov al, 0x41 */
		0xe6, 0x32, /* out 0x32, al (no match) -> exit 2 */
		0xb0, 0x42, /* mov al, 0x42 */
		0xe6, 0x32, /* out 0x32, al (datamatch) */
		0xe6, 0x33, /* out 0x33, al -> exit 3 */
		0xe6, 0x30, /* out 0x30, al (deassigned) -> exit 4 */
		0xf4, /* hlt */
	};
	struct fx *fx = *state;
	struct hv_exit exit = { 0 };
	struct hv_ioeventfd pio = { .space = HV_IO_PIO,
				    .len = 1,
				    .addr = 0x30 };
	struct hv_ioeventfd dm = { .space = HV_IO_PIO,
				   .len = 1,
				   .addr = 0x32,
				   .datamatch = 0x42,
				   .has_datamatch = 1 };
	struct hv_ioeventfd mmio = { .space = HV_IO_MMIO,
				     .len = 1,
				     .addr = MMIO_GPA };
	struct hv_ioeventfd bad = { .space = HV_IO_PIO,
				    .len = 3,
				    .addr = 0x40 };

	REQUIRE_KVM(fx);
	boot(fx, code, sizeof(code), MMIO_GPA);
	pio.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	dm.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	mmio.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_true(pio.fd >= 0 && dm.fd >= 0 && mmio.fd >= 0);
	assert_int_equal(fx->ops->ioeventfd(fx->vm, &pio, 1), 0);
	assert_int_equal(fx->ops->ioeventfd(fx->vm, &dm, 1), 0);
	assert_int_equal(fx->ops->ioeventfd(fx->vm, &mmio, 1), 0);
	bad.fd = pio.fd;
	assert_int_equal(fx->ops->ioeventfd(fx->vm, &bad, 1), -EINVAL);
	bad.len = 1;
	bad.addr = 0x10000;
	assert_int_equal(fx->ops->ioeventfd(fx->vm, &bad, 1), -EINVAL);
	assert_int_equal(efd_count(pio.fd), 0);

	run(fx, &exit);
	expect_pio(&exit, 0x31, 1, 1);
	assert_int_equal(efd_count(pio.fd), 1);
	assert_int_equal(efd_count(mmio.fd), 1);

	run(fx, &exit);
	expect_pio(&exit, 0x32, 1, 1);
	assert_int_equal(exit.u.pio.data[0], 0x41);
	assert_int_equal(efd_count(dm.fd), 0);

	run(fx, &exit);
	expect_pio(&exit, 0x33, 1, 1);
	assert_int_equal(efd_count(dm.fd), 1);
	assert_int_equal(fx->ops->ioeventfd(fx->vm, &pio, 0), 0);

	run(fx, &exit);
	expect_pio(&exit, 0x30, 1, 1);
	assert_int_equal(efd_count(pio.fd), 0);

	assert_int_equal(fx->ops->ioeventfd(fx->vm, &dm, 0), 0);
	assert_int_equal(fx->ops->ioeventfd(fx->vm, &mmio, 0), 0);
	close(pio.fd);
	close(dm.fd);
	close(mmio.fd);
}

static void test_dirty_log_readonly(void **state)
{
	static const uint8_t code[] = {
		0xb8, 0x00, 0x10, /* mov ax, 0x1000 */
		0x8e, 0xc0, /* mov es, ax */
		0x26, 0xc6, 0x06, 0x00, 0x00, 0xaa,
		/* mov byte [es:0x0000], 0xaa ; GPA 0x10000 */
		0x26, 0xc6, 0x06, 0x00, 0x30, 0xbb,
		/* mov byte [es:0x3000], 0xbb ; GPA 0x13000 */
		0xb8, 0xff, 0xff, /* mov ax, 0xffff */
		0x8e, 0xc0, /* mov es, ax */
		0x26, 0xa0, 0x10, 0x00, /* mov al, [es:0x10] ; GPA 0x100000 */
		0xe6, 0x10, /* out 0x10, al */
		0x26, 0xa2, 0x10, 0x00, /* mov [es:0x10], al ; read-only */
		0xf4, /* hlt */
	};
	const uint64_t want = 1ull << 0x10 | 1ull << 0x13;
	struct fx *fx = *state;
	struct hv_exit exit = { 0 };
	uint64_t bm[RAM_SIZE / 4096 / 64];
	uint64_t sub;
	uint8_t *rom;
	size_t i;

	REQUIRE_KVM(fx);
	create_vm(fx, 1);
	map_ram(fx, HV_MEM_LOG_DIRTY);
	memcpy(fx->ram + CODE_ADDR, code, sizeof(code));
	rom = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(rom != MAP_FAILED);
	rom[0] = 0x99;
	assert_int_equal(fx->ops->map_memory(fx->vm, RAM_SIZE, 0x10000, rom,
					     HV_MEM_READ | HV_MEM_EXEC),
			 0);
	create_vcpu(fx, NULL, 0);

	run(fx, &exit);
	expect_pio(&exit, 0x10, 1, 1);
	assert_int_equal(exit.u.pio.data[0], 0x99);
	assert_int_equal(fx->ram[0x10000], 0xaa);
	assert_int_equal(fx->ram[0x13000], 0xbb);

	/* Without HV_DIRTY_CLEAR the same pages come back every time. */
	for (i = 0; i < 2; i++) {
		memset(bm, 0xff, sizeof(bm));
		assert_int_equal(fx->ops->dirty_log_fetch(fx->vm, 0, RAM_SIZE,
							  bm, 0),
				 0);
		assert_int_equal(bm[0], want);
		assert_int_equal(bm[1] | bm[2] | bm[3], 0);
	}
	/* A sub-range lands at bit 0 of the caller's bitmap. */
	assert_int_equal(
		fx->ops->dirty_log_fetch(fx->vm, 0x10000, 0x4000, &sub, 0), 0);
	assert_int_equal(sub, 0x9);
	/* Clearing forgets the reported pages only. */
	assert_int_equal(fx->ops->dirty_log_fetch(fx->vm, 0x13000, 0x1000, &sub,
						  HV_DIRTY_CLEAR),
			 0);
	assert_int_equal(sub, 1);
	assert_int_equal(fx->ops->dirty_log_fetch(fx->vm, 0, RAM_SIZE, bm,
						  HV_DIRTY_CLEAR),
			 0);
	assert_int_equal(bm[0], 1ull << 0x10);
	assert_int_equal(fx->ops->dirty_log_fetch(fx->vm, 0, RAM_SIZE, bm, 0),
			 0);
	assert_int_equal(bm[0] | bm[1] | bm[2] | bm[3], 0);

	/* Errors: holes, slots without logging, partial enable. */
	assert_int_equal(fx->ops->dirty_log_fetch(fx->vm, 0x200000, 0x1000, bm,
						  0),
			 -ENOENT);
	assert_int_equal(fx->ops->dirty_log_fetch(fx->vm, RAM_SIZE, 0x1000, bm,
						  0),
			 -EINVAL);
	assert_int_equal(fx->ops->dirty_log_enable(fx->vm, 0, 0x1000, 1),
			 -EINVAL);
	assert_int_equal(fx->ops->dirty_log_enable(fx->vm, 0, RAM_SIZE, 0), 0);
	assert_int_equal(fx->ops->dirty_log_fetch(fx->vm, 0, RAM_SIZE, bm, 0),
			 -EINVAL);
	assert_int_equal(fx->ops->dirty_log_enable(fx->vm, 0, RAM_SIZE, 1), 0);

	/* A write to read-only memory is an MMIO exit; memory unchanged. */
	run(fx, &exit);
	expect_reason(&exit, HV_EXIT_MMIO);
	assert_int_equal(exit.u.mmio.gpa, RAM_SIZE);
	assert_int_equal(exit.u.mmio.write, 1);
	assert_int_equal(exit.u.mmio.data[0], 0x99);
	assert_int_equal(rom[0], 0x99);
	run(fx, &exit);
	expect_reason(&exit, HV_EXIT_HLT);
	fx->ops->vcpu_destroy(fx->vcpu);
	fx->vcpu = NULL;
	assert_int_equal(fx->ops->unmap_memory(fx->vm, RAM_SIZE, 0x10000), 0);
	munmap(rom, 0x10000);
}

static void test_cpuid_msrs(void **state)
{
	static const uint8_t code[] = {
		0x66, 0xb8, 0x01, 0x00, 0x00, 0x00, /* mov eax, 1 */
		0x0f, 0xa2, /* cpuid */
		0x66, 0x89, 0xd8, /* mov eax, ebx */
		0x66, 0xe7, 0x20, /* out 0x20, eax */
		0x66, 0x89, 0xd0, /* mov eax, edx */
		0x66, 0xe7, 0x21, /* out 0x21, eax */
		0x66, 0x89, 0xc8, /* mov eax, ecx */
		0x66, 0xe7, 0x22, /* out 0x22, eax */
		0x66, 0xb8, 0x00, 0x00, 0x00, 0x40, /* mov eax, 0x40000000 */
		0x0f, 0xa2, /* cpuid */
		0x66, 0xe7, 0x23, /* out 0x23, eax */
		0x66, 0x89, 0xd8, /* mov eax, ebx */
		0x66, 0xe7, 0x24, /* out 0x24, eax */
		0x66, 0xb8, 0x0b, 0x00, 0x00, 0x00, /* mov eax, 0xb */
		0x66, 0xb9, 0x01, 0x00, 0x00, 0x00, /* mov ecx, 1 */
		0x0f, 0xa2, /* cpuid */
		0x66, 0xe7, 0x25, /* out 0x25, eax */
		0x66, 0x89, 0xd8, /* mov eax, ebx */
		0x66, 0xe7, 0x26, /* out 0x26, eax */
		0x66, 0x89, 0xd0, /* mov eax, edx */
		0x66, 0xe7, 0x27, /* out 0x27, eax */
		0x66, 0xb8, 0x10, 0x00, 0x00, 0x40, /* mov eax, 0x40000010 */
		0x0f, 0xa2, /* cpuid */
		0x66, 0xe7, 0x28, /* out 0x28, eax */
		0x66, 0x89, 0xd8, /* mov eax, ebx */
		0x66, 0xe7, 0x29, /* out 0x29, eax */
		0x66, 0xb9, 0xa0, 0x01, 0x00, 0x00, /* mov ecx, 0x1a0 */
		0x0f, 0x32, /* rdmsr ; IA32_MISC_ENABLE */
		0x66, 0xe7, 0x2a, /* out 0x2a, eax */
		0x66, 0xb9, 0xff, 0x02, 0x00, 0x00, /* mov ecx, 0x2ff */
		0x0f, 0x32, /* rdmsr ; MTRR_DEF_TYPE */
		0x66, 0xe7, 0x2b, /* out 0x2b, eax */
		0x66, 0xb9, 0x82, 0x00, 0x00, 0xc0, /* mov ecx, 0xc0000082 */
		0x0f, 0x32, /* rdmsr ; LSTAR */
		0x66, 0xe7, 0x2c, /* out 0x2c, eax */
		0xf4, /* hlt */
	};
	/* vCPU with APIC id 3 of 4: 2 threads x 2 cores. */
	const struct hv_vcpu_config cfg = { .size = sizeof(cfg),
					    .nr_vcpus = 4,
					    .apic_id = 3,
					    .threads_per_core = 2,
					    .cores_per_die = 2 };
	struct fx *fx = *state;
	struct hv_exit exit = { 0 };
	uint32_t v[13];
	int i;

	REQUIRE_KVM(fx);
	create_vm(fx, 4);
	map_ram(fx, 0);
	memcpy(fx->ram + CODE_ADDR, code, sizeof(code));
	create_vcpu(fx, &cfg, 0);
	for (i = 0; i < 13; i++) {
		run(fx, &exit);
		expect_pio(&exit, 0x20 + i, 4, 1);
		v[i] = pio_u32(&exit);
	}
	run(fx, &exit);
	expect_reason(&exit, HV_EXIT_HLT);

	assert_int_equal(v[0] >> 24, 3); /* initial APIC id */
	assert_int_equal((v[0] >> 16) & 0xff, 4); /* logical per pkg */
	assert_true(v[1] & (1u << 28)); /* HTT */
	assert_true(v[2] & (1u << 31)); /* hypervisor */
	/* TSC-deadline timer, whenever KVM emulates it. */
	if (kvm_cap(KVM_CAP_TSC_DEADLINE_TIMER))
		assert_true(v[2] & (1u << 24));
	assert_int_equal(v[3], 0x40000010); /* max hv leaf */
	assert_memory_equal(&v[4], "KVMK", 4); /* signature */
	assert_int_equal(v[5], 2); /* 0xB.1 shift */
	assert_int_equal(v[6], 4); /* 0xB.1 count */
	assert_int_equal(v[7], 3); /* x2APIC id */
	assert_true(v[8] > 0); /* TSC kHz */
	assert_int_equal(v[9], 1000000); /* APIC bus kHz */
	assert_true(v[10] & 1); /* fast strings */
	assert_int_equal(v[11], 0x806); /* MTRRs on, default WB */
	assert_int_equal(v[12], 0); /* LSTAR */
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_probe_caps, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pio_mmio, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kick, setup, teardown),
		cmocka_unit_test_setup_teardown(test_regs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_memory, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_msi_irqfd, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ioeventfd, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_dirty_log_readonly, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cpuid_msrs, setup,
						teardown),
	};
	static char path[4096];
	struct sigaction sa;
	const char *env = getenv("NIMBUS_PLUGIN_PATH");

	if (env && *env) {
		size_t n = strcspn(env, ":");

		snprintf(path, sizeof(path), "%.*s/hv-kvm.so", (int)n, env);
		plugin_path = path;
	} else if (argc > 1) {
		plugin_path = argv[1];
	}
	/* The kick signal: an empty handler without SA_RESTART, so that a
	 * signal interrupts KVM_RUN with EINTR. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	return cmocka_run_group_tests_name("kvm_plugin", tests, NULL, NULL);
}
