/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kvm_fixture.h - shared cmocka fixture for the tests in tests/kvm/ that
 * drive the KVM plugin against the real /dev/kvm.
 *
 * The fixture dlopens hv-kvm.so and reaches it only through its struct
 * hv_ops, like the VMM does.  Tests build a VM with KVMT_RAM_SIZE bytes of
 * RAM at GPA 0 and one real-mode vCPU starting at 0:KVMT_CODE_ADDR, put a
 * tiny hand-assembled guest there, and check the exits it produces.  Every
 * test starts with KVMT_REQUIRE_KVM(), which skips it when /dev/kvm cannot
 * be opened.
 *
 * Typical main():
 *
 *	struct kvmt_env env;
 *	const struct CMUnitTest tests[] = { KVMT_TEST(test_x, &env), ... };
 *
 *	if (kvmt_env_init(&env, argc, argv))
 *		return 1;
 *	return cmocka_run_group_tests_name("name", tests, NULL, NULL);
 *
 * The helpers that return void check their work with cmocka assertions
 * and fail the running test on error; they may only be called from inside
 * a test.  Everything runs on the test's thread unless said otherwise.
 */
#ifndef NIMBUS_TESTS_KVM_FIXTURE_H
#define NIMBUS_TESTS_KVM_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hv/hv.h"
#include "hv/hv_x86_64.h"
#include "plugins/plugin.h"

#define KVMT_RAM_SIZE 0x100000ul /* 1 MiB at GPA 0 */
#define KVMT_CODE_ADDR 0x1000u /* where kvmt_boot() puts the guest code */
#define KVMT_MMIO_GPA 0xd0000000ull /* unmapped: accesses exit as MMIO */
#define KVMT_RUN_TIMEOUT_MS 5000 /* kvmt_run() fails the test after this */

/* Per-program settings, filled once by kvmt_env_init() in main(). */
struct kvmt_env {
	char plugin_path[4096]; /* hv-kvm.so to dlopen */
};

/*
 * Per-test state, created by kvmt_setup() and freed by kvmt_teardown().
 * Tests may fill hv, vm, vcpu and ram themselves; whatever is non-NULL at
 * teardown is destroyed (vcpu, then vm, then hv; ram is munmap'ed with
 * KVMT_RAM_SIZE).  A test that destroys one of them early sets it to NULL.
 */
struct kvmt_fx {
	int nr_fds; /* open fds before the test, to catch leaks */
	void *dl; /* dlopen handle of the plugin */
	const struct hv_ops *ops;
	const struct plugin_desc *desc;
	struct hv_host host; /* logs to stderr, kicks with SIGUSR1 */
	bool have_kvm; /* /dev/kvm could be opened */
	struct hv *hv;
	struct hv_vm *vm;
	struct hv_vcpu *vcpu;
	uint8_t *ram; /* KVMT_RAM_SIZE bytes backing GPA 0 */
};

/*
 * Resolve the plugin to load and install the kick signal handler.  Called
 * once from main() before the tests run.  The plugin is hv-kvm.so in the
 * first directory of $NIMBUS_PLUGIN_PATH, else argv[1], else
 * build/plugins/hv-kvm.so.  SIGUSR1 gets an empty handler without
 * SA_RESTART, so that a kick interrupts KVM_RUN with EINTR.  `env` must
 * outlive the test run.  Returns 0, -ENAMETOOLONG if the path does not
 * fit, or -errno from sigaction().
 */
int kvmt_env_init(struct kvmt_env *env, int argc, char **argv);

/*
 * cmocka setup: *state is the struct kvmt_env given to KVMT_TEST() and is
 * replaced by a new struct kvmt_fx with the plugin loaded and its host
 * filled in (no hv opened yet).  Returns 0, or -1 (cmocka's convention)
 * if the plugin cannot be loaded.
 */
int kvmt_setup(void **state);

/*
 * cmocka teardown: destroys what the test left in the fixture, dlcloses
 * the plugin and frees the fixture.  Returns 0, or -1 if the test leaked
 * a file descriptor (the plugin's or the test's own).
 */
int kvmt_teardown(void **state);

/* One test of a kvm group; `env` is the struct kvmt_env * from main(). */
#define KVMT_TEST(fn, env)                                       \
	cmocka_unit_test_prestate_setup_teardown(fn, kvmt_setup, \
						 kvmt_teardown, env)

/* First statement of every test: skip it when /dev/kvm is missing. */
#define KVMT_REQUIRE_KVM(fx)                                             \
	do {                                                             \
		if (!(fx)->have_kvm) {                                   \
			print_message("SKIP: /dev/kvm not available\n"); \
			skip();                                          \
		}                                                        \
	} while (0)

/*
 * A KVM capability of this host, asked /dev/kvm directly with
 * KVM_CHECK_EXTENSION, to decide what to expect.  Any thread.  Returns
 * the capability's value, or 0 if it is absent or /dev/kvm is unusable.
 */
int kvmt_cap(long cap);

/* Open the hypervisor into fx->hv (asserts). */
void kvmt_open_hv(struct kvmt_fx *fx);

/*
 * Open the hypervisor, create an x86_64 VM for `nr_vcpus` vCPUs with
 * KVMT_RAM_SIZE of memory into fx->vm, and allocate fx->ram (not mapped
 * into the guest yet: see kvmt_map_ram()).  Asserts.
 */
void kvmt_create_vm(struct kvmt_fx *fx, uint32_t nr_vcpus);

/* Map fx->ram at GPA 0, read/write/exec plus `extra_flags` (asserts). */
void kvmt_map_ram(struct kvmt_fx *fx, uint32_t extra_flags);

/*
 * Create vCPU 0 into fx->vcpu with `cfg` (may be NULL), the fixture as
 * its cookie, in real mode at CS:IP = 0:KVMT_CODE_ADDR, SP 0x8000, and FS
 * base `fs_base`.  Asserts.
 */
void kvmt_create_vcpu(struct kvmt_fx *fx, const struct hv_vcpu_config *cfg,
		      uint64_t fs_base);

/*
 * The common case: a 1-vCPU VM with RAM mapped, `len` bytes of `code`
 * copied to KVMT_CODE_ADDR and the vCPU created as kvmt_create_vcpu()
 * does.  Asserts.
 */
void kvmt_boot(struct kvmt_fx *fx, const uint8_t *code, size_t len,
	       uint64_t fs_base);

/*
 * One vcpu_run of fx->vcpu into `exit`.  A watchdog thread kicks the vCPU
 * after KVMT_RUN_TIMEOUT_MS, and the test then fails instead of hanging.
 * Fails the test if vcpu_run does not return 0.  Data the host writes
 * into `exit` (IN and MMIO read answers) reaches the guest on the next
 * call.
 */
void kvmt_run(struct kvmt_fx *fx, struct hv_exit *exit);

/* Fail the test, naming both reasons, unless exit->reason is `want`. */
void kvmt_expect_reason(const struct hv_exit *exit, uint32_t want);

/* Fail the test unless `exit` is port I/O of this port, size, direction. */
void kvmt_expect_pio(const struct hv_exit *exit, uint16_t port, uint8_t size,
		     int write);

/* The data of a port I/O exit as a little-endian integer of its size. */
uint32_t kvmt_pio_u32(const struct hv_exit *exit);

#endif
