// SPDX-License-Identifier: Apache-2.0
/*
 * test_errmsg.c - errmsg_set (vmm/log.h), the one-line error of the
 * device setup functions, and its use by a device.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "devices/virtio/virtio_pmem.h"
#include "vmm/log.h"

static void test_format_and_return(void **state)
{
	char err[64];

	(void)state;
	assert_int_equal(errmsg_set(err, sizeof(err), "disk", "/a.img", -ENOENT,
				    "cannot open: %s", "gone"),
			 -ENOENT);
	assert_string_equal(err, "disk /a.img: cannot open: gone");
	/* Any value comes back, also 0. */
	assert_int_equal(errmsg_set(err, sizeof(err), "net", "n0", 0, "x"), 0);
	assert_string_equal(err, "net n0: x");
}

static void test_truncates_and_terminates(void **state)
{
	char err[12], big[600];

	(void)state;
	memset(err, 'z', sizeof(err));
	assert_int_equal(errmsg_set(err, 8, "pmem", "p", -EINVAL, "%s",
				    "long message"),
			 -EINVAL);
	assert_string_equal(err, "pmem p:");
	assert_int_equal(err[8], 'z'); /* nothing past errlen */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(errmsg_set(err, sizeof(err), "k", "n", -E2BIG, "%s",
				    big),
			 -E2BIG);
	assert_int_equal(strlen(err), sizeof(err) - 1);
}

static void test_no_buffer(void **state)
{
	char err[4] = "abc";

	(void)state;
	assert_int_equal(errmsg_set(NULL, 32, "k", "n", -EIO, "x"), -EIO);
	assert_int_equal(errmsg_set(err, 0, "k", "n", -EIO, "x"), -EIO);
	assert_string_equal(err, "abc");
}

/* A device's setup error goes through it: kind, name, then the text. */
static void test_device_uses_it(void **state)
{
	struct vpmem_cfg cfg = { .path = "/nonexistent/nimbus-pmem.img" };
	struct vpmem *p = NULL;
	char err[256] = "";

	(void)state;
	assert_true(vpmem_create(&cfg, &p, err, sizeof(err)) < 0);
	assert_null(p);
	assert_memory_equal(err, "pmem /nonexistent/nimbus-pmem.img: ",
			    strlen("pmem /nonexistent/nimbus-pmem.img: "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_and_return),
		cmocka_unit_test(test_truncates_and_terminates),
		cmocka_unit_test(test_no_buffer),
		cmocka_unit_test(test_device_uses_it),
	};

	return cmocka_run_group_tests_name("errmsg", tests, NULL, NULL);
}
