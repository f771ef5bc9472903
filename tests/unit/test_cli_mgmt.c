// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for vmm/cli_mgmt.c: --api-socket, --event-monitor,
 * --pvpanic and --seccomp, and the payload rule --api-socket relaxes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/cli.h"
#include "tests/lib/cli_fixture.h"

static void test_api_socket(void **state)
{
	struct vm_config cfg;

	/* Alone, it lets the VMM start without a payload. */
	PARSE_OK(&cfg, "--api-socket", "path=/run/nimbus.sock");
	assert_string_equal(cfg.api.path, "/run/nimbus.sock");
	assert_int_equal(cfg.api.fd, -1);
	assert_null(cfg.payload.kernel);
	vm_config_free(&cfg);

	PARSE_OK(&cfg, "--api-socket", "/tmp/a.sock", "--kernel", "k");
	assert_string_equal(cfg.api.path, "/tmp/a.sock");
	assert_string_equal(cfg.payload.kernel, "k");
	vm_config_free(&cfg);

	PARSE_OK(&cfg, "--api-socket=fd=7");
	assert_null(cfg.api.path);
	assert_int_equal(cfg.api.fd, 7);
	vm_config_free(&cfg);

	/* Without it, the payload is still required... */
	PARSE_ERR("--kernel is required", "--event-monitor", "fd=3");
	/* ...and VM options still need one even with it. */
	PARSE_ERR("--kernel is required", "--api-socket", "/s", "--cpus",
		  "boot=2");

	PARSE_ERR("--api-socket: fd=1 must be a descriptor number >= 3",
		  "--api-socket", "fd=1");
	PARSE_ERR("--api-socket: fd=x must be a descriptor number >= 3",
		  "--api-socket", "fd=x");
	PARSE_ERR("--api-socket: path 'rel' is not an absolute path",
		  "--api-socket", "path=rel");
	PARSE_ERR("--api-socket: give exactly one of path= or fd=",
		  "--api-socket", "path=/a,fd=4");
	PARSE_ERR("--api-socket: unknown key 'sock'", "--api-socket",
		  "sock=/a");
	PARSE_ERR("--api-socket: given more than once", "--api-socket", "/a",
		  "--api-socket", "/b");
}

static void test_event_monitor(void **state)
{
	struct vm_config cfg;

	PARSE_OK(&cfg, "--kernel", "k", "--event-monitor", "path=/tmp/ev");
	assert_string_equal(cfg.event_monitor.path, "/tmp/ev");
	assert_int_equal(cfg.event_monitor.fd, -1);
	assert_int_equal(cfg.api.fd, -1);
	assert_null(cfg.api.path);
	vm_config_free(&cfg);

	PARSE_OK(&cfg, "--kernel", "k", "--event-monitor", "fd=9");
	assert_int_equal(cfg.event_monitor.fd, 9);
	vm_config_free(&cfg);

	PARSE_ERR("--event-monitor: unknown key 'foo'", "--kernel", "k",
		  "--event-monitor", "foo=1");
	PARSE_ERR("--event-monitor: empty value", "--kernel", "k",
		  "--event-monitor", "");
}

static void test_pvpanic_seccomp(void **state)
{
	struct vm_config cfg;

	PARSE_OK(&cfg, "--kernel", "k");
	assert_int_equal(cfg.pvpanic, 0);
	assert_int_equal(cfg.seccomp, SECCOMP_ON);
	vm_config_free(&cfg);

	PARSE_OK(&cfg, "--kernel", "k", "--pvpanic", "--seccomp", "log");
	assert_int_equal(cfg.pvpanic, 1);
	assert_int_equal(cfg.seccomp, SECCOMP_LOG);
	vm_config_free(&cfg);

	PARSE_OK(&cfg, "--kernel", "k", "--seccomp=false");
	assert_int_equal(cfg.seccomp, SECCOMP_OFF);
	vm_config_free(&cfg);
	PARSE_OK(&cfg, "--kernel", "k", "--seccomp", "true");
	assert_int_equal(cfg.seccomp, SECCOMP_ON);
	vm_config_free(&cfg);

	PARSE_ERR("--seccomp: 'yes' is not true, false or log", "--kernel", "k",
		  "--seccomp", "yes");
	PARSE_ERR("--pvpanic: takes no value", "--kernel", "k", "--pvpanic=on");
	PARSE_ERR("--kernel is required", "--api-socket", "/s", "--pvpanic");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api_socket),
		cmocka_unit_test(test_event_monitor),
		cmocka_unit_test(test_pvpanic_seccomp),
	};

	return cmocka_run_group_tests_name("cli_mgmt", tests, NULL, NULL);
}
