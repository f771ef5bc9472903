// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for vmm/cli.c: the device options --serial, --console,
 * --disk and --rng. Run under ASan with leak detection so that a leak on
 * any path fails.
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

/* ---- --serial ---------------------------------------------------------- */

static void check_serial(char *val, int mode, const char *path)
{
	struct vm_config cfg;

	PARSE_OK(&cfg, "--kernel", "k", "--serial", val);
	assert_int_equal(cfg.serial.mode, mode);
	if (path)
		assert_string_equal(cfg.serial.path, path);
	else
		assert_null(cfg.serial.path);
	vm_config_free(&cfg);
}

static void test_serial(void **state)
{
	check_serial("off", CONSOLE_OFF, NULL);
	check_serial("null", CONSOLE_NULL, NULL);
	check_serial("tty", CONSOLE_TTY, NULL);
	check_serial("pty", CONSOLE_PTY, NULL);
	check_serial("file=/tmp/s.log", CONSOLE_FILE, "/tmp/s.log");
	check_serial("file=rel/a=b", CONSOLE_FILE, "rel/a=b");
	check_serial("socket=/run/serial.sock", CONSOLE_SOCKET,
		     "/run/serial.sock");

	PARSE_ERR("--serial: unknown mode 'bogus'", "--kernel", "k", "--serial",
		  "bogus");
	PARSE_ERR("--serial: unknown mode 'TTY'", "--kernel", "k", "--serial",
		  "TTY");
	PARSE_ERR("--serial: file= needs a path", "--kernel", "k", "--serial",
		  "file=");
	PARSE_ERR("--serial: file= needs a path", "--kernel", "k", "--serial",
		  "file");
	PARSE_ERR("--serial: socket= needs a path", "--kernel", "k", "--serial",
		  "socket=");
	PARSE_ERR("--serial: tty takes no value", "--kernel", "k", "--serial",
		  "tty=1");
	PARSE_ERR("--serial: more than one mode", "--kernel", "k", "--serial",
		  "tty,pty");
	PARSE_ERR("--serial: more than one mode", "--kernel", "k", "--serial",
		  "file=/a,file=/b");
	PARSE_ERR("--serial: iommu= is not supported yet", "--kernel", "k",
		  "--serial", "tty,iommu=on");
	PARSE_ERR("--serial: iommu= is not supported yet", "--kernel", "k",
		  "--serial", "iommu=off");
	PARSE_ERR("--serial: unknown mode ''", "--kernel", "k", "--serial",
		  "tty,");
	PARSE_ERR("--serial: empty value", "--kernel", "k", "--serial", "");
}

/* ---- --disk ------------------------------------------------------------ */

static void assert_disk(const struct disk_config *d, const char *path,
			const char *id, int ro, int direct, uint16_t nq,
			uint16_t qs, const char *serial)
{
	assert_string_equal(d->path, path);
	assert_string_equal(d->id, id);
	assert_int_equal(d->readonly, ro);
	assert_int_equal(d->direct, direct);
	assert_int_equal(d->num_queues, nq);
	assert_int_equal(d->queue_size, qs);
	if (serial)
		assert_string_equal(d->serial, serial);
	else
		assert_null(d->serial);
}

static void test_disk_forms(void **state)
{
	struct vm_config cfg;

	PARSE_OK(&cfg, "--kernel", "k", "--disk", "path=/img/root.raw");
	assert_int_equal(cfg.nr_disks, 1);
	assert_disk(&cfg.disks[0], "/img/root.raw", "_disk0", 0, 0, 1, 256,
		    NULL);
	assert_null(cfg.disks[1].path);
	vm_config_free(&cfg);

	/* Repeated, several after one --disk, and both mixed: in order. */
	PARSE_OK(&cfg, "--disk", "path=a", "--kernel", "k", "--disk=path=b",
		 "path=c", "--cpus", "boot=2", "--disk", "path=d", "path=e",
		 "path=f");
	assert_int_equal(cfg.nr_disks, 6);
	assert_disk(&cfg.disks[0], "a", "_disk0", 0, 0, 1, 256, NULL);
	assert_disk(&cfg.disks[1], "b", "_disk1", 0, 0, 1, 256, NULL);
	assert_disk(&cfg.disks[2], "c", "_disk2", 0, 0, 1, 256, NULL);
	assert_disk(&cfg.disks[3], "d", "_disk3", 0, 0, 1, 256, NULL);
	assert_disk(&cfg.disks[4], "e", "_disk4", 0, 0, 1, 256, NULL);
	assert_disk(&cfg.disks[5], "f", "_disk5", 0, 0, 1, 256, NULL);
	assert_int_equal(cfg.cpus.boot, 2);
	vm_config_free(&cfg);

	/* "--" ends the list like any option does. */
	PARSE_OK(&cfg, "--kernel", "k", "--disk", "path=a", "path=b", "--");
	assert_int_equal(cfg.nr_disks, 2);
	vm_config_free(&cfg);

	/* The most disks there can be. */
	PARSE_OK(&cfg, "--kernel", "k", "--disk", "path=0", "path=1", "path=2",
		 "path=3", "path=4", "path=5", "path=6", "path=7", "path=8",
		 "path=9", "path=10", "path=11", "path=12", "path=13", "--disk",
		 "path=14", "--disk", "path=15,id=last");
	assert_int_equal(cfg.nr_disks, CONFIG_MAX_DISKS);
	assert_disk(&cfg.disks[14], "14", "_disk14", 0, 0, 1, 256, NULL);
	assert_disk(&cfg.disks[15], "15", "last", 0, 0, 1, 256, NULL);
	vm_config_free(&cfg);
}

static void test_disk_keys(void **state)
{
	struct vm_config cfg;

	PARSE_OK(&cfg, "--kernel", "k", "--disk",
		 "path=/dev/vdb,readonly=on,direct=true,num_queues=4,"
		 "queue_size=1024,id=data,serial=0123456789abcdefghij,"
		 "image_type=raw",
		 "readonly=off,direct=OFF,path=p=q,queue_size=2,num_queues=64,"
		 "image_type=RAW,serial=x",
		 "path=c,num_queues=1,queue_size=128,readonly=False");
	assert_int_equal(cfg.nr_disks, 3);
	assert_disk(&cfg.disks[0], "/dev/vdb", "data", 1, 1, 4, 1024,
		    "0123456789abcdefghij");
	assert_disk(&cfg.disks[1], "p=q", "_disk0", 0, 0, 64, 2, "x");
	assert_disk(&cfg.disks[2], "c", "_disk1", 0, 0, 1, 128, NULL);
	vm_config_free(&cfg);
}

static void test_disk_ids(void **state)
{
	struct vm_config cfg;

	/* CH's counter skips ids the user gave and only moves for disks
	 * that need a name. */
	PARSE_OK(&cfg, "--kernel", "k", "--disk", "path=a", "path=b,id=_disk0",
		 "path=c", "path=d,id=x", "path=e,id=_disk3", "path=f");
	assert_string_equal(cfg.disks[0].id, "_disk1");
	assert_string_equal(cfg.disks[1].id, "_disk0");
	assert_string_equal(cfg.disks[2].id, "_disk2");
	assert_string_equal(cfg.disks[3].id, "x");
	assert_string_equal(cfg.disks[4].id, "_disk3");
	assert_string_equal(cfg.disks[5].id, "_disk4");
	vm_config_free(&cfg);

	PARSE_OK(&cfg, "--kernel", "k", "--disk", "path=a,id=root", "path=b");
	assert_string_equal(cfg.disks[0].id, "root");
	assert_string_equal(cfg.disks[1].id, "_disk0");
	vm_config_free(&cfg);

	PARSE_ERR("--disk: id 'root' is not unique", "--kernel", "k", "--disk",
		  "path=a,id=root", "--disk", "path=b,id=root");
	PARSE_ERR("--disk: id '__x' is reserved", "--kernel", "k", "--disk",
		  "path=a,id=__x");
	PARSE_ERR("--disk: id= is empty", "--kernel", "k", "--disk",
		  "path=a,id=");
}

static void test_disk_errors(void **state)
{
	static const char *const later[] = {
		"vhost_user=on",
		"socket=/s",
		"iommu=on",
		"iommu=off",
		"pci_segment=0",
		"pci_device_id=3",
		"bw_size=1000",
		"bw_one_time_burst=1",
		"bw_refill_time=10",
		"ops_size=10",
		"ops_one_time_burst=1",
		"ops_refill_time=10",
		"rate_limit_group=g",
		"queue_affinity=[0@[1]]",
		"backing_files=on",
		"sparse=on",
		"lock_granularity=full",
		"_disable_io_uring=on",
		"_disable_aio=on",
	};
	char arg[64], want[64];
	size_t i;

	PARSE_ERR("--disk: path= is required", "--kernel", "k", "--disk",
		  "readonly=on");
	PARSE_ERR("--disk: path= is required", "--kernel", "k", "--disk",
		  "path=a", "id=b");
	PARSE_ERR("--disk: path= is empty", "--kernel", "k", "--disk", "path=");
	PARSE_ERR("--disk: num_queues=0 must be a number from 1 to 64",
		  "--kernel", "k", "--disk", "path=a,num_queues=0");
	PARSE_ERR("--disk: num_queues=65", "--kernel", "k", "--disk",
		  "path=a,num_queues=65");
	PARSE_ERR("--disk: num_queues=x", "--kernel", "k", "--disk",
		  "path=a,num_queues=x");
	PARSE_ERR("--disk: num_queues=", "--kernel", "k", "--disk",
		  "path=a,num_queues=");
	PARSE_ERR("--disk: queue_size=3 must be a power of two from 2 to 1024",
		  "--kernel", "k", "--disk", "path=a,queue_size=3");
	PARSE_ERR("--disk: queue_size=1 ", "--kernel", "k", "--disk",
		  "path=a,queue_size=1");
	PARSE_ERR("--disk: queue_size=0 ", "--kernel", "k", "--disk",
		  "path=a,queue_size=0");
	PARSE_ERR("--disk: queue_size=2048", "--kernel", "k", "--disk",
		  "path=a,queue_size=2048");
	PARSE_ERR("--disk: queue_size=768", "--kernel", "k", "--disk",
		  "path=a,queue_size=768");
	PARSE_ERR("--disk: queue_size=65792", "--kernel", "k", "--disk",
		  "path=a,queue_size=65792");
	PARSE_ERR("--disk: readonly=yes must be on or off", "--kernel", "k",
		  "--disk", "path=a,readonly=yes");
	PARSE_ERR("--disk: direct= must be on or off", "--kernel", "k",
		  "--disk", "path=a,direct=");
	PARSE_ERR("--disk: serial= is longer than 20 bytes", "--kernel", "k",
		  "--disk", "path=a,serial=0123456789abcdefghijk");
	PARSE_ERR("--disk: serial= is empty", "--kernel", "k", "--disk",
		  "path=a,serial=");
	PARSE_ERR("--disk: image_type=qcow2 is not supported yet", "--kernel",
		  "k", "--disk", "path=a,image_type=qcow2");
	PARSE_ERR("--disk: image_type=vhdx is not supported yet", "--kernel",
		  "k", "--disk", "path=a,image_type=vhdx");
	PARSE_ERR("--disk: invalid image_type 'iso'", "--kernel", "k", "--disk",
		  "path=a,image_type=iso");
	PARSE_ERR("--disk: unknown key 'ro'", "--kernel", "k", "--disk",
		  "path=a,ro=on");
	PARSE_ERR("--disk: unknown key 'Path'", "--kernel", "k", "--disk",
		  "Path=a");
	PARSE_ERR("--disk: duplicate key 'path'", "--kernel", "k", "--disk",
		  "path=a,path=b");
	PARSE_ERR("--disk: missing '=' in 'vmlinux'", "--kernel", "k", "--disk",
		  "path=a", "vmlinux");
	PARSE_ERR("--disk: missing value", "--kernel", "k", "--disk");
	PARSE_ERR("--disk: missing value", "--kernel", "k", "--disk", "-v");
	PARSE_ERR("--disk: empty value", "--kernel", "k", "--disk", "");
	PARSE_ERR("--disk: empty value", "--kernel", "k", "--disk", "path=a",
		  "");
	PARSE_ERR("--disk: more than 16 disks", "--kernel", "k", "--disk",
		  "path=0", "path=1", "path=2", "path=3", "path=4", "path=5",
		  "path=6", "path=7", "path=8", "path=9", "path=10", "path=11",
		  "path=12", "path=13", "path=14", "path=15", "--disk",
		  "path=16");
	PARSE_ERR("--kernel is required", "--disk", "path=a");
	/* An error after several disks frees them all (LSan). */
	PARSE_ERR("--disk: queue_size=5", "--kernel", "k", "--disk",
		  "path=a,id=a,serial=s", "path=b", "--disk",
		  "path=c,serial=t,queue_size=5");
	PARSE_ERR("--cpus: boot=0", "--disk", "path=a,id=a,serial=s",
		  "--console", "file=/c", "--rng", "src=/r", "--kernel", "k",
		  "--cpus", "boot=0");

	for (i = 0; i < sizeof(later) / sizeof(later[0]); i++) {
		char *argv[] = {
			"nimbus", "--kernel", "k", "--disk", arg, NULL
		};
		struct vm_config cfg;
		char err[256] = "";

		snprintf(arg, sizeof(arg), "path=a,%s", later[i]);
		snprintf(want, sizeof(want),
			 "--disk: %.*s= is not supported yet",
			 (int)strcspn(later[i], "="), later[i]);
		assert_int_equal(cli_parse(5, argv, &cfg, err, sizeof(err)),
				 -EINVAL);
		if (!strstr(err, want))
			fail_msg("\"%s\": error \"%s\" lacks \"%s\"", arg, err,
				 want);
		clit_assert_owns_nothing(&cfg);
	}
}

/* ---- --console and its rule with --serial ------------------------------ */

static void check_console(char *serial, char *console, int smode, int cmode,
			  const char *cpath)
{
	struct vm_config cfg;
	char *argv[8] = { "nimbus", "--kernel", "k" };
	int argc = 3;

	if (serial) {
		argv[argc++] = "--serial";
		argv[argc++] = serial;
	}
	if (console) {
		argv[argc++] = "--console";
		argv[argc++] = console;
	}
	argv[argc] = NULL;
	clit_parse_ok(argc, argv, &cfg, __LINE__);
	assert_int_equal(cfg.serial.mode, smode);
	assert_int_equal(cfg.console.mode, cmode);
	if (cpath)
		assert_string_equal(cfg.console.path, cpath);
	else
		assert_null(cfg.console.path);
	vm_config_free(&cfg);
}

static void test_console(void **state)
{
	check_console(NULL, "off", CONSOLE_NULL, CONSOLE_OFF, NULL);
	check_console(NULL, "null", CONSOLE_NULL, CONSOLE_NULL, NULL);
	check_console(NULL, "tty", CONSOLE_NULL, CONSOLE_TTY, NULL);
	check_console(NULL, "pty", CONSOLE_NULL, CONSOLE_PTY, NULL);
	check_console(NULL, "file=/tmp/hvc0.log", CONSOLE_NULL, CONSOLE_FILE,
		      "/tmp/hvc0.log");

	PARSE_ERR(
		"--console: unknown mode 'socket=/s' (off|null|tty|pty|file=)",
		"--kernel", "k", "--console", "socket=/s");
	PARSE_ERR("--console: unknown mode 'bogus'", "--kernel", "k",
		  "--console", "bogus");
	PARSE_ERR("--console: file= needs a path", "--kernel", "k", "--console",
		  "file=");
	PARSE_ERR("--console: file= needs a path", "--kernel", "k", "--console",
		  "file");
	PARSE_ERR("--console: pty takes no value", "--kernel", "k", "--console",
		  "pty=1");
	PARSE_ERR("--console: more than one mode", "--kernel", "k", "--console",
		  "tty,off");
	PARSE_ERR("--console: iommu= is not supported yet", "--kernel", "k",
		  "--console", "tty,iommu=on");
	PARSE_ERR("--console: empty value", "--kernel", "k", "--console", "");
	PARSE_ERR("--console: given more than once", "--kernel", "k",
		  "--console", "off", "--console", "off");
	PARSE_ERR("--kernel is required", "--console", "off");
	/* --serial keeps its own list of modes in messages. */
	PARSE_ERR("--serial: unknown mode 'x' (off|null|tty|pty|file=|socket=)",
		  "--kernel", "k", "--serial", "x");
}

static void test_console_tty_rule(void **state)
{
	/* Defaults: console on the terminal unless the UART has it. */
	check_console(NULL, NULL, CONSOLE_NULL, CONSOLE_TTY, NULL);
	check_console("tty", NULL, CONSOLE_TTY, CONSOLE_OFF, NULL);
	check_console("off", NULL, CONSOLE_OFF, CONSOLE_TTY, NULL);
	check_console("pty", NULL, CONSOLE_PTY, CONSOLE_TTY, NULL);
	check_console("file=/s", NULL, CONSOLE_FILE, CONSOLE_TTY, NULL);
	check_console("socket=/s", NULL, CONSOLE_SOCKET, CONSOLE_TTY, NULL);
	/* Explicit choices that do not clash. */
	check_console("tty", "off", CONSOLE_TTY, CONSOLE_OFF, NULL);
	check_console("tty", "pty", CONSOLE_TTY, CONSOLE_PTY, NULL);
	check_console("tty", "file=/c", CONSOLE_TTY, CONSOLE_FILE, "/c");
	check_console("pty", "pty", CONSOLE_PTY, CONSOLE_PTY, NULL);
	check_console("null", "tty", CONSOLE_NULL, CONSOLE_TTY, NULL);
	/* Both on the terminal: an error naming both, in either order. */
	PARSE_ERR("--serial tty and --console tty cannot share the terminal",
		  "--kernel", "k", "--serial", "tty", "--console", "tty");
	PARSE_ERR("--serial tty and --console tty cannot share the terminal",
		  "--console=tty", "--kernel", "k", "--serial=tty");
}

/* ---- --rng --------------------------------------------------------------- */

static void test_rng(void **state)
{
	struct vm_config cfg;

	PARSE_OK(&cfg, "--kernel", "k", "--rng", "src=/dev/random");
	assert_string_equal(cfg.rng.src, "/dev/random");
	vm_config_free(&cfg);
	PARSE_OK(&cfg, "--kernel", "k", "--rng=src=rel/pool");
	assert_string_equal(cfg.rng.src, "rel/pool");
	vm_config_free(&cfg);
	PARSE_OK(&cfg, "--kernel", "k", "--rng", "");
	assert_string_equal(cfg.rng.src, "/dev/urandom");
	vm_config_free(&cfg);

	PARSE_ERR("--rng: src= needs a path", "--kernel", "k", "--rng", "src=");
	PARSE_ERR("--rng: iommu= is not supported yet", "--kernel", "k",
		  "--rng", "src=/dev/random,iommu=on");
	PARSE_ERR("--rng: unknown key 'source'", "--kernel", "k", "--rng",
		  "source=/dev/random");
	PARSE_ERR("--rng: duplicate key 'src'", "--kernel", "k", "--rng",
		  "src=/a,src=/b");
	PARSE_ERR("--rng: missing '='", "--kernel", "k", "--rng",
		  "/dev/random");
	PARSE_ERR("--rng: given more than once", "--kernel", "k", "--rng",
		  "src=/a", "--rng", "src=/b");
	PARSE_ERR("--rng: missing value", "--kernel", "k", "--rng");
	PARSE_ERR("--kernel is required", "--rng", "src=/a");
}

/* ---- kv_parse ------------------------------------------------------- */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_serial),
		cmocka_unit_test(test_disk_forms),
		cmocka_unit_test(test_disk_keys),
		cmocka_unit_test(test_disk_ids),
		cmocka_unit_test(test_disk_errors),
		cmocka_unit_test(test_console),
		cmocka_unit_test(test_console_tty_rule),
		cmocka_unit_test(test_rng),
	};

	return cmocka_run_group_tests_name("cli_dev", tests, NULL, NULL);
}
