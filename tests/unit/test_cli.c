// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for vmm/cli.c: the nimbus command line and its helpers.
 * Run under ASan with leak detection so that a leak on any path fails.
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

#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define TiB (1ull << 40)

/* ---- cli_parse: accepted forms -------------------------------------- */

static void test_defaults(void **state)
{
	struct vm_config cfg;

	/* Garbage in *cfg must not matter: it is zeroed first. */
	memset(&cfg, 0xa5, sizeof(cfg));
	PARSE_OK(&cfg, "--kernel", "vmlinux");
	assert_string_equal(cfg.payload.kernel, "vmlinux");
	assert_null(cfg.payload.initramfs);
	assert_null(cfg.payload.cmdline);
	assert_int_equal(cfg.cpus.boot, 1);
	assert_int_equal(cfg.cpus.max, 1);
	assert_int_equal(cfg.memory.size, 512 * MiB);
	assert_int_equal(cfg.serial.mode, CONSOLE_NULL);
	assert_null(cfg.serial.path);
	assert_int_equal(cfg.console.mode, CONSOLE_TTY);
	assert_null(cfg.console.path);
	assert_int_equal(cfg.nr_disks, 0);
	assert_null(cfg.disks[0].path);
	assert_string_equal(cfg.rng.src, "/dev/urandom");
	assert_string_equal(cfg.hv, "auto");
	assert_null(cfg.hv_plugin);
	assert_int_equal(cfg.verbosity, 0);
	assert_null(cfg.log_file);
	vm_config_free(&cfg);
}

static void check_full(const struct vm_config *cfg)
{
	assert_string_equal(cfg->payload.kernel, "/boot/vmlinuz");
	assert_string_equal(cfg->payload.initramfs, "/boot/initrd.img");
	assert_string_equal(cfg->payload.cmdline,
			    "console=ttyS0,115200 root=/dev/vda rw");
	assert_int_equal(cfg->cpus.boot, 2);
	assert_int_equal(cfg->cpus.max, 4);
	assert_int_equal(cfg->memory.size, 1 * GiB);
	assert_int_equal(cfg->serial.mode, CONSOLE_FILE);
	assert_string_equal(cfg->serial.path, "/tmp/serial.log");
	assert_string_equal(cfg->hv, "kvm");
	assert_string_equal(cfg->hv_plugin, "/opt/nimbus/hv-kvm.so");
	assert_string_equal(cfg->log_file, "/var/log/nimbus.log");
	assert_int_equal(cfg->verbosity, 2);
}

static void test_all_options_separate(void **state)
{
	struct vm_config cfg;

	PARSE_OK(&cfg, "--kernel", "/boot/vmlinuz", "--initramfs",
		 "/boot/initrd.img", "--cmdline",
		 "console=ttyS0,115200 root=/dev/vda rw", "--cpus",
		 "boot=2,max=4", "--memory", "size=1G", "--serial",
		 "file=/tmp/serial.log", "--hv", "kvm", "--hv-plugin",
		 "/opt/nimbus/hv-kvm.so", "-v", "--log-file",
		 "/var/log/nimbus.log", "-v");
	check_full(&cfg);
	vm_config_free(&cfg);
}

static void test_all_options_equals(void **state)
{
	struct vm_config cfg;

	PARSE_OK(&cfg, "--kernel=/boot/vmlinuz", "--initramfs=/boot/initrd.img",
		 "--cmdline=console=ttyS0,115200 root=/dev/vda rw",
		 "--cpus=boot=2,max=4", "--memory=size=1G",
		 "--serial=file=/tmp/serial.log", "--hv=kvm",
		 "--hv-plugin=/opt/nimbus/hv-kvm.so", "-vv",
		 "--log-file=/var/log/nimbus.log");
	check_full(&cfg);
	vm_config_free(&cfg);
}

static void test_cmdline(void **state)
{
	struct vm_config cfg;

	PARSE_OK(&cfg, "--kernel", "k", "--cmdline", "");
	assert_string_equal(cfg.payload.cmdline, "");
	vm_config_free(&cfg);

	PARSE_OK(&cfg, "--kernel", "k", "--cmdline=");
	assert_string_equal(cfg.payload.cmdline, "");
	vm_config_free(&cfg);

	PARSE_OK(&cfg, "--cmdline=a=b,c=d=e", "--kernel", "k");
	assert_string_equal(cfg.payload.cmdline, "a=b,c=d=e");
	vm_config_free(&cfg);

	/* A value starting with '-' needs the '=' form. */
	PARSE_OK(&cfg, "--kernel", "k", "--cmdline=-- single");
	assert_string_equal(cfg.payload.cmdline, "-- single");
	vm_config_free(&cfg);
	PARSE_ERR("--cmdline: missing value", "--kernel", "k", "--cmdline",
		  "-x");
}

static void check_cpus(char *val, uint32_t boot, uint32_t max)
{
	struct vm_config cfg;

	PARSE_OK(&cfg, "--kernel", "k", "--cpus", val);
	assert_int_equal(cfg.cpus.boot, boot);
	assert_int_equal(cfg.cpus.max, max);
	vm_config_free(&cfg);
}

static void test_cpus(void **state)
{
	check_cpus("boot=2", 2, 2);
	check_cpus("boot=2,max=8", 2, 8);
	check_cpus("max=8,boot=3", 3, 8);
	check_cpus("max=4", 1, 4);
	check_cpus("", 1, 1);
	check_cpus("boot=1", 1, 1);
	check_cpus("boot=255", 255, 255);
	check_cpus("boot=007", 7, 7);

	PARSE_ERR("--cpus: boot=0", "--kernel", "k", "--cpus", "boot=0");
	PARSE_ERR("--cpus: max=0", "--kernel", "k", "--cpus", "max=0");
	PARSE_ERR("--cpus: boot=256", "--kernel", "k", "--cpus", "boot=256");
	PARSE_ERR("--cpus: boot=x", "--kernel", "k", "--cpus", "boot=x");
	PARSE_ERR("--cpus: boot=-1", "--kernel", "k", "--cpus", "boot=-1");
	PARSE_ERR("--cpus: boot=", "--kernel", "k", "--cpus", "boot=");
	PARSE_ERR("--cpus: boot=0x2", "--kernel", "k", "--cpus", "boot=0x2");
	PARSE_ERR("--cpus: boot=4 is above max=2", "--kernel", "k", "--cpus",
		  "boot=4,max=2");
	PARSE_ERR("--cpus: boot=2 is above max=1", "--kernel", "k", "--cpus",
		  "max=1,boot=2");
	PARSE_ERR("--cpus: topology= is not supported yet", "--kernel", "k",
		  "--cpus", "boot=2,topology=1:2:1:1");
	PARSE_ERR("--cpus: kvm_hyperv= is not supported yet", "--kernel", "k",
		  "--cpus", "kvm_hyperv=on");
	PARSE_ERR("--cpus: affinity= is not supported yet", "--kernel", "k",
		  "--cpus", "affinity=[0@[0]]");
	PARSE_ERR("--cpus: unknown key 'foo'", "--kernel", "k", "--cpus",
		  "boot=1,foo=2");
	PARSE_ERR("--cpus: duplicate key 'boot'", "--kernel", "k", "--cpus",
		  "boot=1,boot=2");
	PARSE_ERR("--cpus: missing '='", "--kernel", "k", "--cpus", "boot");
	PARSE_ERR("--cpus: empty item", "--kernel", "k", "--cpus", "boot=1,");
}

static void check_mem(char *val, uint64_t size)
{
	struct vm_config cfg;

	PARSE_OK(&cfg, "--kernel", "k", "--memory", val);
	assert_int_equal(cfg.memory.size, size);
	vm_config_free(&cfg);
}

static void test_memory(void **state)
{
	check_mem("size=1G", GiB);
	check_mem("size=64M", 64 * MiB);
	check_mem("size=16M", 16 * MiB);
	check_mem("size=16384K", 16 * MiB);
	check_mem("size=16781312", 16 * MiB + 4096);
	check_mem("size=1T", TiB);
	check_mem("size=1024G", TiB);
	check_mem("", 512 * MiB);

	PARSE_ERR("below the minimum", "--kernel", "k", "--memory", "size=15M");
	PARSE_ERR("below the minimum", "--kernel", "k", "--memory", "size=0");
	PARSE_ERR("above the maximum", "--kernel", "k", "--memory",
		  "size=1025G");
	PARSE_ERR("above the maximum", "--kernel", "k", "--memory", "size=2T");
	PARSE_ERR("not a multiple of 4 KiB", "--kernel", "k", "--memory",
		  "size=16777217");
	PARSE_ERR("not a multiple of 4 KiB", "--kernel", "k", "--memory",
		  "size=16385K");
	PARSE_ERR("--memory: invalid size '99999999999T'", "--kernel", "k",
		  "--memory", "size=99999999999T");
	PARSE_ERR("--memory: invalid size '512MB'", "--kernel", "k", "--memory",
		  "size=512MB");
	PARSE_ERR("--memory: invalid size '512X'", "--kernel", "k", "--memory",
		  "size=512X");
	PARSE_ERR("--memory: invalid size ''", "--kernel", "k", "--memory",
		  "size=");
	PARSE_ERR("--memory: invalid size '-1G'", "--kernel", "k", "--memory",
		  "size=-1G");
	PARSE_ERR("--memory: shared= is not supported yet", "--kernel", "k",
		  "--memory", "size=1G,shared=on");
	PARSE_ERR("--memory: hugepages= is not supported yet", "--kernel", "k",
		  "--memory", "hugepages=on");
	PARSE_ERR("--memory: unknown key 'sise'", "--kernel", "k", "--memory",
		  "sise=1G");
	PARSE_ERR("--memory: duplicate key 'size'", "--kernel", "k", "--memory",
		  "size=1G,size=2G");
	PARSE_ERR("--memory: missing '='", "--kernel", "k", "--memory", "1G");
}

static void check_hv(char *name)
{
	struct vm_config cfg;

	PARSE_OK(&cfg, "--kernel", "k", "--hv", name);
	assert_string_equal(cfg.hv, name);
	vm_config_free(&cfg);
}

static void test_hv(void **state)
{
	struct vm_config cfg;

	check_hv("auto");
	check_hv("kvm");
	check_hv("mshv");
	check_hv("fake");
	check_hv("my_plugin2");
	check_hv("abcdefghijklmnopqrstuvwxyz012345"); /* 32 characters */

	PARSE_ERR("--hv: invalid name 'KVM'", "--kernel", "k", "--hv", "KVM");
	PARSE_ERR("--hv: invalid name 'kvm-x'", "--kernel", "k", "--hv",
		  "kvm-x");
	PARSE_ERR("--hv: invalid name '../x'", "--kernel", "k", "--hv", "../x");
	PARSE_ERR("--hv: invalid name '/abs'", "--kernel", "k", "--hv=/abs");
	PARSE_ERR("--hv: name longer than 32 characters", "--kernel", "k",
		  "--hv", "abcdefghijklmnopqrstuvwxyz0123456");
	PARSE_ERR("--hv: empty value", "--kernel", "k", "--hv", "");
	PARSE_ERR("--hv: empty value", "--kernel", "k", "--hv=");

	PARSE_OK(&cfg, "--kernel", "k", "--hv-plugin", "/x/hv-fake.so");
	assert_string_equal(cfg.hv_plugin, "/x/hv-fake.so");
	assert_string_equal(cfg.hv, "auto");
	vm_config_free(&cfg);

	PARSE_ERR("--hv-plugin: 'hv-kvm.so' is not an absolute path",
		  "--kernel", "k", "--hv-plugin", "hv-kvm.so");
	PARSE_ERR("--hv-plugin: './hv-kvm.so' is not an absolute path",
		  "--kernel", "k", "--hv-plugin=./hv-kvm.so");
	PARSE_ERR("--hv-plugin: empty value", "--kernel", "k", "--hv-plugin",
		  "");
}

static void check_verbosity(int argc, char **argv, int want)
{
	struct vm_config cfg;

	clit_parse_ok(argc, argv, &cfg, __LINE__);
	assert_int_equal(cfg.verbosity, want);
	vm_config_free(&cfg);
}

#define CHECK_V(want, ...) \
	check_verbosity(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (want))

static void test_verbosity(void **state)
{
	CHECK_V(0, "--kernel", "k");
	CHECK_V(1, "-v", "--kernel", "k");
	CHECK_V(3, "-v", "--kernel", "k", "-v", "-v");
	CHECK_V(2, "--kernel", "k", "-vv");
	CHECK_V(5, "-vvv", "--kernel", "k", "-vv");

	PARSE_ERR("unknown option '-x' in '-vx'", "--kernel", "k", "-vx");
	PARSE_ERR("unknown option '--verbose'", "--kernel", "k", "--verbose");
}

static void check_result(int argc, char **argv, int want)
{
	struct vm_config cfg;
	char err[128] = "x";
	int ret;

	ret = cli_parse(argc, argv, &cfg, err, sizeof(err));
	assert_int_equal(ret, want);
	assert_string_equal(err, "");
	clit_assert_owns_nothing(&cfg);
	vm_config_free(&cfg);
}

#define CHECK_RESULT(want, ...) \
	check_result(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (want))

static void test_help_version(void **state)
{
	CHECK_RESULT(CLI_HELP, "-h");
	CHECK_RESULT(CLI_HELP, "--help");
	CHECK_RESULT(CLI_VERSION, "-V");
	CHECK_RESULT(CLI_VERSION, "--version");
	/* Options before -h are parsed (and freed), -h still wins. */
	CHECK_RESULT(CLI_HELP, "--kernel", "k", "--cpus", "boot=2", "-h");
	CHECK_RESULT(CLI_VERSION, "--kernel", "k", "-vV");
	/* Once -h is seen the rest is not looked at. */
	CHECK_RESULT(CLI_HELP, "-h", "--bogus", "x");
	CHECK_RESULT(CLI_VERSION, "--version", "--help");

	/* An error before -h is still an error. */
	PARSE_ERR("unknown option '--bogus'", "--bogus", "-h");
	PARSE_ERR("--help: takes no value", "--help=yes");
	PARSE_ERR("--version: takes no value", "--version=1");
}

static void test_usage(void **state)
{
	static const char *const opts[] = {
		"--kernel",   "--initramfs", "--cmdline",     "--cpus",
		"--memory",   "--serial",    "--hv ",	      "--hv-plugin",
		"--log-file", "-v ",	     "-V, --version", "-h, --help",
		"--disk",     "--console",   "--rng",	      "readonly=on|off",
		"num_queues", "queue_size",  "serial=",	      "file=PATH",
	};
	const char *text = cli_usage_text();
	size_t i;

	assert_non_null(text);
	assert_true(strlen(text) > 0);
	assert_int_equal(text[strlen(text) - 1], '\n');
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (!strstr(text, opts[i]))
			fail_msg("usage text lacks \"%s\"", opts[i]);
}

/* ---- cli_parse: errors ----------------------------------------------- */

static void test_errors(void **state)
{
	PARSE_ERR("unknown option '--bogus'", "--kernel", "k", "--bogus");
	PARSE_ERR("unknown option '--bogus'", "--kernel", "k", "--bogus=1");
	/* No abbreviations. */
	PARSE_ERR("unknown option '--kern'", "--kern", "k");
	PARSE_ERR("unknown option '-x'", "-x", "--kernel", "k");
	PARSE_ERR("unknown option '---kernel'", "---kernel", "k");

	PARSE_ERR("--kernel: given more than once", "--kernel", "a", "--kernel",
		  "b");
	PARSE_ERR("--kernel: given more than once", "--kernel=a", "--kernel=a");
	PARSE_ERR("--cpus: given more than once", "--kernel", "k", "--cpus",
		  "boot=1", "--cpus", "boot=2");
	PARSE_ERR("--memory: given more than once", "--kernel", "k", "--memory",
		  "size=1G", "--memory=size=1G");
	PARSE_ERR("--serial: given more than once", "--kernel", "k", "--serial",
		  "tty", "--serial", "tty");
	PARSE_ERR("--cmdline: given more than once", "--kernel", "k",
		  "--cmdline", "", "--cmdline", "");
	PARSE_ERR("--hv: given more than once", "--kernel", "k", "--hv", "kvm",
		  "--hv", "kvm");
	PARSE_ERR("--log-file: given more than once", "--kernel", "k",
		  "--log-file", "a", "--log-file", "b");

	PARSE_ERR("--kernel: missing value", "--kernel");
	PARSE_ERR("--kernel: missing value", "--kernel", "--cpus", "boot=1");
	PARSE_ERR("--cpus: missing value", "--kernel", "k", "--cpus");
	PARSE_ERR("--initramfs: missing value", "--kernel", "k", "--initramfs",
		  "-v");
	PARSE_ERR("--kernel: empty value", "--kernel", "");
	PARSE_ERR("--kernel: empty value", "--kernel=");
	PARSE_ERR("--log-file: empty value", "--kernel", "k", "--log-file=");

	PARSE_ERR("unexpected argument 'vmlinux'", "vmlinux");
	PARSE_ERR("unexpected argument 'extra'", "--kernel", "k", "extra");
	PARSE_ERR("unexpected argument '-'", "--kernel", "k", "-");
	PARSE_ERR("unexpected argument '--cpus'", "--kernel", "k", "--",
		  "--cpus");

	/* The payload rule. */
	PARSE_ERR("--kernel is required", "--cpus", "boot=2");
	PARSE_ERR("--kernel is required", "--initramfs", "i", "--cmdline", "c");
	PARSE_ERR("--kernel is required", "-v", "--hv", "kvm");
}

static void test_no_args(void **state)
{
	struct vm_config cfg;
	char err[128] = "";

	assert_int_equal(cli_parse(1, ARGV("x") /* argv[1] ignored */, &cfg,
				   err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "--kernel is required"));
	clit_assert_owns_nothing(&cfg);
	assert_int_equal(cli_parse(0, NULL, &cfg, err, sizeof(err)), -EINVAL);
	clit_assert_owns_nothing(&cfg);
}

static void test_double_dash(void **state)
{
	struct vm_config cfg;

	PARSE_OK(&cfg, "--kernel", "k", "--");
	assert_string_equal(cfg.payload.kernel, "k");
	vm_config_free(&cfg);
	/* A value may be "-" (not an option) and begin with "--" via '='. */
	PARSE_OK(&cfg, "--kernel", "-", "--log-file=--odd");
	assert_string_equal(cfg.payload.kernel, "-");
	assert_string_equal(cfg.log_file, "--odd");
	vm_config_free(&cfg);
}

/* Errors after earlier options allocated strings must free them (LSan). */
static void test_error_frees(void **state)
{
	PARSE_ERR("--cpus: boot=0", "--kernel", "k", "--initramfs", "i",
		  "--cmdline", "c", "--serial", "file=/f", "--hv", "fake",
		  "--hv-plugin", "/p.so", "--log-file", "l", "--cpus",
		  "boot=0");
	PARSE_ERR("unknown option '--nope'", "--kernel", "k", "--serial",
		  "socket=/s", "--nope");
	PARSE_ERR("--memory: invalid size", "--memory", "size=1Q", "--kernel",
		  "k");
}

static void test_err_buffer(void **state)
{
	struct vm_config cfg;
	char small[8];

	/* No err buffer at all. */
	assert_int_equal(cli_parse(ARGC("--bogus"), ARGV("--bogus"), &cfg, NULL,
				   0),
			 -EINVAL);
	clit_assert_owns_nothing(&cfg);

	/* A short buffer is truncated and still terminated. */
	memset(small, 'x', sizeof(small));
	assert_int_equal(cli_parse(ARGC("--bogus"), ARGV("--bogus"), &cfg,
				   small, sizeof(small)),
			 -EINVAL);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_memory_equal(small, "unknown", 7);

	/* A long user string is echoed only in part. */
	{
		char big[512], err[1024];
		char *argv[] = { "nimbus", big, NULL };

		big[0] = '-';
		big[1] = '-';
		memset(big + 2, 'a', sizeof(big) - 3);
		big[sizeof(big) - 1] = '\0';
		assert_int_equal(cli_parse(2, argv, &cfg, err, sizeof(err)),
				 -EINVAL);
		assert_true(strlen(err) < 128);
	}
}

static void test_config_free(void **state)
{
	struct vm_config cfg;

	vm_config_free(NULL);
	PARSE_OK(&cfg, "--kernel", "k", "--log-file", "l", "--serial",
		 "file=/f", "--console", "file=/c", "--rng", "src=/r", "--disk",
		 "path=/a,serial=s1", "path=/b,id=b");
	vm_config_free(&cfg);
	clit_assert_owns_nothing(&cfg);
	vm_config_free(&cfg); /* idempotent */
	assert_int_equal(cfg.cpus.boot, 1);
}

static void test_kv_ok(void **state)
{
	struct kv *kv = NULL;
	size_t n = 99;
	char err[128] = "";

	assert_int_equal(kv_parse("", &kv, &n, err, sizeof(err)), 0);
	assert_null(kv);
	assert_int_equal(n, 0);

	assert_int_equal(kv_parse("a=1", &kv, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_string_equal(kv[0].key, "a");
	assert_string_equal(kv[0].val, "1");
	kv_free(kv, n);

	assert_int_equal(kv_parse("boot=2,max=x,e=,eq=b=c", &kv, &n, err,
				  sizeof(err)),
			 0);
	assert_int_equal(n, 4);
	assert_string_equal(kv[0].key, "boot");
	assert_string_equal(kv[0].val, "2");
	assert_string_equal(kv[1].key, "max");
	assert_string_equal(kv[1].val, "x");
	assert_string_equal(kv[2].key, "e");
	assert_string_equal(kv[2].val, "");
	assert_string_equal(kv[3].key, "eq");
	assert_string_equal(kv[3].val, "b=c");
	kv_free(kv, n);

	/* Keys differing only in length are distinct. */
	assert_int_equal(kv_parse("a=1,ab=2,abc=3", &kv, &n, err, sizeof(err)),
			 0);
	assert_int_equal(n, 3);
	kv_free(kv, n);

	kv_free(NULL, 0);
}

static void check_kv_err(const char *s, const char *want)
{
	static struct kv dummy;
	struct kv *sentinel = &dummy, *kv = sentinel;
	size_t n = 77;
	char err[128] = "";

	if (kv_parse(s, &kv, &n, err, sizeof(err)) != -EINVAL)
		fail_msg("kv_parse(\"%s\") did not fail", s);
	if (!strstr(err, want))
		fail_msg("kv_parse(\"%s\"): \"%s\" lacks \"%s\"", s, err, want);
	assert_ptr_equal(kv, sentinel);
	assert_int_equal(n, 77);
}

static void test_kv_errors(void **state)
{
	check_kv_err("=1", "empty key");
	check_kv_err("a=1,=2", "empty key");
	check_kv_err("a", "missing '=' in 'a'");
	check_kv_err("a=1,b", "missing '=' in 'b'");
	check_kv_err(",", "empty item");
	check_kv_err("a=1,", "empty item");
	check_kv_err(",a=1", "empty item");
	check_kv_err("a=1,,b=2", "empty item");
	check_kv_err("a=1,a=2", "duplicate key 'a'");
	check_kv_err("a=1,b=2,a=3", "duplicate key 'a'");
	check_kv_err("ab=1,b=2,ab=", "duplicate key 'ab'");
}

/* ---- parse_size / parse_u32 / parse_bool ----------------------------- */

static void test_parse_size(void **state)
{
	static const struct {
		const char *s;
		uint64_t v;
	} good[] = {
		{ "0", 0 },
		{ "1", 1 },
		{ "4096", 4096 },
		{ "2K", 2048 },
		{ "0K", 0 },
		{ "512M", 512 * MiB },
		{ "1G", GiB },
		{ "1T", TiB },
		{ "16777216", 16 * MiB },
		{ "0001G", GiB },
		{ "18446744073709551615", UINT64_MAX },
		{ "17179869183G", 17179869183ull << 30 },
		{ "16777215T", 16777215ull << 40 },
	};
	static const char *const bad[] = {
		"",
		"K",
		"G",
		"1.5G",
		"-1",
		"+1",
		" 1",
		"1 ",
		"1KB",
		"1k",
		"1m",
		"512MB",
		"1B",
		"1P",
		"1GG",
		"1G1",
		"0x10",
		"18446744073709551616",
		"17179869184G",
		"16777216T",
		"99999999999T",
		"99999999999999999999999",
	};
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = 12345;
		if (parse_size(good[i].s, &v))
			fail_msg("parse_size(\"%s\") failed", good[i].s);
		if (v != good[i].v)
			fail_msg("parse_size(\"%s\") = %llu, want %llu",
				 good[i].s, (unsigned long long)v,
				 (unsigned long long)good[i].v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 12345;
		if (parse_size(bad[i], &v) != -EINVAL)
			fail_msg("parse_size(\"%s\") accepted", bad[i]);
		assert_int_equal(v, 12345);
	}
	assert_int_equal(parse_size(NULL, &v), -EINVAL);
}

static void test_parse_u32(void **state)
{
	uint32_t v = 0;

	assert_int_equal(parse_u32("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(parse_u32("10", 0, 10, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(parse_u32("4294967295", 0, UINT32_MAX, &v), 0);
	assert_int_equal(v, UINT32_MAX);

	v = 7;
	assert_int_equal(parse_u32("4294967296", 0, UINT32_MAX, &v), -ERANGE);
	assert_int_equal(parse_u32("99999999999999999999999", 0, UINT32_MAX,
				   &v),
			 -ERANGE);
	assert_int_equal(parse_u32("11", 0, 10, &v), -ERANGE);
	assert_int_equal(parse_u32("0", 1, 10, &v), -ERANGE);
	assert_int_equal(v, 7);

	assert_int_equal(parse_u32("", 0, 10, &v), -EINVAL);
	assert_int_equal(parse_u32("1a", 0, 10, &v), -EINVAL);
	assert_int_equal(parse_u32("-1", 0, 10, &v), -EINVAL);
	assert_int_equal(parse_u32("+1", 0, 10, &v), -EINVAL);
	assert_int_equal(parse_u32(" 1", 0, 10, &v), -EINVAL);
	assert_int_equal(parse_u32("1 ", 0, 10, &v), -EINVAL);
	assert_int_equal(parse_u32("0x1", 0, 10, &v), -EINVAL);
	assert_int_equal(parse_u32("99999999999999999999x", 0, 10, &v),
			 -EINVAL);
	assert_int_equal(parse_u32(NULL, 0, 10, &v), -EINVAL);
	assert_int_equal(v, 7);
}

static void test_parse_bool(void **state)
{
	static const struct {
		const char *s;
		int v;
	} good[] = {
		{ "on", 1 },  { "true", 1 },  { "ON", 1 },  { "True", 1 },
		{ "off", 0 }, { "false", 0 }, { "OFF", 0 }, { "fAlSe", 0 },
	};
	static const char *const bad[] = { "",	"yes", "no",  "1",  "0",
					   "o", "onn", " on", "on " };
	size_t i;
	int v;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = -1;
		assert_int_equal(parse_bool(good[i].s, &v), 0);
		assert_int_equal(v, good[i].v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = -1;
		if (parse_bool(bad[i], &v) != -EINVAL)
			fail_msg("parse_bool(\"%s\") accepted", bad[i]);
		assert_int_equal(v, -1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_all_options_separate),
		cmocka_unit_test(test_all_options_equals),
		cmocka_unit_test(test_cmdline),
		cmocka_unit_test(test_cpus),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_hv),
		cmocka_unit_test(test_verbosity),
		cmocka_unit_test(test_help_version),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_no_args),
		cmocka_unit_test(test_double_dash),
		cmocka_unit_test(test_error_frees),
		cmocka_unit_test(test_err_buffer),
		cmocka_unit_test(test_config_free),
		cmocka_unit_test(test_kv_ok),
		cmocka_unit_test(test_kv_errors),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_parse_u32),
		cmocka_unit_test(test_parse_bool),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}