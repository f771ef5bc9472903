// SPDX-License-Identifier: Apache-2.0
/*
 * test_loader.c - plugins/loader.c end to end: real dlopen of
 * build/plugins/hv-fake.so and of the broken hv-bad-*.so plugins, files
 * made at test time (non-ELF, writable, renamed, directory), the search
 * path and plugin_select, and plugin_attach of static descriptors.
 *
 * The plugin directory comes from the first entry of $NIMBUS_PLUGIN_PATH,
 * default "build/plugins" (made absolute).  Tests change the variable and
 * restore it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv/hv_call.h"
#include "plugins/loader.h"
#include "tests/fakes/hv_fake.h"
#include "vmm/log.h"

struct lx {
	char dir[PATH_MAX]; /* the build's plugin directory */
	char tmp[PATH_MAX]; /* scratch directory for made-up files */
	char *saved_env;
	struct hv_host host;
	struct plugin p;
	char err[1024];
};

static const struct plugin zero_plugin;

static int setup(void **state)
{
	struct lx *x = calloc(1, sizeof(*x));
	const char *env = getenv("NIMBUS_PLUGIN_PATH");
	char first[PATH_MAX];

	assert_non_null(x);
	snprintf(first, sizeof(first), "%s",
		 env && *env ? env : "build/plugins");
	first[strcspn(first, ":")] = '\0';
	if (!realpath(first, x->dir))
		fail_msg("plugin directory %s: %s (build the plugins first)",
			 first, strerror(errno));
	snprintf(x->tmp, sizeof(x->tmp), "/tmp/nimbus-loader-XXXXXX");
	assert_non_null(mkdtemp(x->tmp));
	if (env)
		x->saved_env = strdup(env);
	x->host = (struct hv_host){ .abi_major = HV_ABI_MAJOR,
				    .abi_minor = HV_ABI_MINOR,
				    .size = sizeof(x->host) };
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct lx *x = *state;
	char path[PATH_MAX + 256];
	struct dirent *d;
	DIR *dir;

	plugin_unload(&x->p);
	dir = opendir(x->tmp);
	while (dir && (d = readdir(dir))) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", x->tmp, d->d_name);
		if (unlink(path))
			rmdir(path);
	}
	if (dir)
		closedir(dir);
	rmdir(x->tmp);
	if (x->saved_env)
		setenv("NIMBUS_PLUGIN_PATH", x->saved_env, 1);
	else
		unsetenv("NIMBUS_PLUGIN_PATH");
	free(x->saved_env);
	free(x);
	return 0;
}

/* "<dir>/<file>" in a static-free caller buffer. */
static const char *in(char *buf, size_t len, const char *dir, const char *file)
{
	snprintf(buf, len, "%s/%s", dir, file);
	return buf;
}

static void copy_file(const char *src, const char *dst, mode_t mode)
{
	char buf[65536];
	ssize_t n;
	int in_fd = open(src, O_RDONLY | O_CLOEXEC);
	int out_fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(in_fd >= 0);
	assert_true(out_fd >= 0);
	while ((n = read(in_fd, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out_fd, buf, (size_t)n), n);
	assert_int_equal(n, 0);
	close(in_fd);
	close(out_fd);
	assert_int_equal(chmod(dst, mode), 0); /* exact, whatever the umask */
}

/* Is a file of that absolute path mapped into this process? */
static int mapped(const char *path)
{
	char line[PATH_MAX + 256];
	size_t n = strlen(path);
	int found = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, path);

		found = p && p[n] == '\n';
	}
	fclose(f);
	return found;
}

/* A refusal: the errno, one line naming `name`, `what`, *p zeroed, and a
 * plugin file that was dlopen'ed for checking is closed again. */
static void check_refusal(struct lx *x, int ret, int want, const char *name,
			  const char *what)
{
	if (ret != want || !strstr(x->err, name) || !strstr(x->err, what))
		fail_msg("got %d '%s', want %d with '%s' and '%s'", ret, x->err,
			 want, name, what);
	assert_null(strchr(x->err, '\n'));
	assert_memory_equal(&x->p, &zero_plugin, sizeof(x->p));
	if (name[0] == '/' && mapped(name))
		fail_msg("%s still mapped after the refusal", name);
}

static int load_file(struct lx *x, const char *path)
{
	memset(&x->p, 0xa5, sizeof(x->p)); /* must come back zeroed */
	x->err[0] = '\0';
	return plugin_load_file(path, &x->p, x->err, sizeof(x->err));
}

static void test_load_fake_by_path(void **state)
{
	struct lx *x = *state;
	struct hv_vm_config vc = { .size = sizeof(vc),
				   .arch = HV_ARCH_X86_64,
				   .nr_vcpus = 1 };
	struct hv_vcpu_config cc = { .size = sizeof(cc), .nr_vcpus = 1 };
	char path[PATH_MAX + 32];
	const struct hv_ops *o;
	struct hv_vcpu *vcpu;
	struct hv_exit e;
	struct hv_vm *vm;
	struct hv *hv;

	in(path, sizeof(path), x->dir, "hv-fake.so");
	assert_int_equal(load_file(x, path), 0);
	assert_non_null(x->p.handle);
	assert_string_equal(x->p.desc->name, "fake");
	assert_string_equal(x->p.path, path);
	o = x->p.ops;
	assert_ptr_equal(o, x->p.desc->ops);
	/* The plugin's own copy, not the one linked into this test. */
	assert_ptr_not_equal(x->p.desc, &hv_fake_desc);
	assert_ptr_not_equal(o, hv_fake_desc.ops);
	assert_int_equal(o->size, sizeof(struct hv_ops));
	assert_int_equal(hv_check_ops(o, NULL, 0), 0);
	/* Drive it through the dlopen'ed ops. */
	assert_int_equal(o->probe(&x->host), 0);
	assert_int_equal(o->open(&x->host, &hv), 0);
	assert_int_equal(o->vm_create(hv, &vc, &vm), 0);
	assert_int_equal(o->vcpu_create(vm, 0, &cc, NULL, &vcpu), 0);
	assert_null(hv_fake_last_vm()); /* the static fake saw nothing */
	assert_int_equal(o->vcpu_run(vcpu, &e), 0);
	assert_int_equal(e.reason, HV_EXIT_SHUTDOWN);
	o->vcpu_destroy(vcpu);
	o->vm_destroy(vm);
	o->close(hv);
	assert_true(mapped(path));
	plugin_unload(&x->p);
	assert_memory_equal(&x->p, &zero_plugin, sizeof(x->p));
	assert_false(mapped(path));
}

static void test_load_by_name(void **state)
{
	struct lx *x = *state;
	char env[2 * PATH_MAX], want[PATH_MAX + 32];

	/* Relative and empty entries are skipped, missing ones passed. */
	snprintf(env, sizeof(env), "build/plugins::/nonexistent-nimbus:%s",
		 x->dir);
	setenv("NIMBUS_PLUGIN_PATH", env, 1);
	assert_int_equal(plugin_load_name("fake", NULL, &x->p, x->err,
					  sizeof(x->err)),
			 0);
	assert_string_equal(x->p.path,
			    in(want, sizeof(want), x->dir, "hv-fake.so"));
	plugin_unload(&x->p);
	/* Then the plugin directory, after the path. */
	setenv("NIMBUS_PLUGIN_PATH", x->tmp, 1);
	assert_int_equal(plugin_load_name("fake", x->dir, &x->p, x->err,
					  sizeof(x->err)),
			 0);
	assert_string_equal(x->p.path, want);
	plugin_unload(&x->p);
	unsetenv("NIMBUS_PLUGIN_PATH");
	assert_int_equal(plugin_load_name("fake", x->dir, &x->p, x->err,
					  sizeof(x->err)),
			 0);
	plugin_unload(&x->p);
	/* Loading by name reaches the broken plugins too (names with '-'). */
	assert_int_equal(plugin_load_name("bad-abi", x->dir, &x->p, x->err,
					  sizeof(x->err)),
			 -EPROTO);
	check_refusal(x, -EPROTO, -EPROTO, "hv-bad-abi.so", "ABI major");
}

static void test_load_name_first_found_wins(void **state)
{
	struct lx *x = *state;
	char env[2 * PATH_MAX], src[PATH_MAX + 32], dst[PATH_MAX + 32];
	int ret;

	/* A refused plugin early in the path does not fall through. */
	copy_file(in(src, sizeof(src), x->dir, "hv-fake.so"),
		  in(dst, sizeof(dst), x->tmp, "hv-fake.so"), 0775);
	snprintf(env, sizeof(env), "%s:%s", x->tmp, x->dir);
	setenv("NIMBUS_PLUGIN_PATH", env, 1);
	memset(&x->p, 0xa5, sizeof(x->p));
	ret = plugin_load_name("fake", NULL, &x->p, x->err, sizeof(x->err));
	check_refusal(x, ret, -EPERM, dst, "writable");
}

static void test_load_name_missing(void **state)
{
	struct lx *x = *state;
	static const char *const bad[] = { "",	   "../fake", "a/b",
					   "Fake", "fake.so", "x y" };
	size_t i;
	int ret;

	setenv("NIMBUS_PLUGIN_PATH", "/nonexistent-a:relative/dir", 1);
	memset(&x->p, 0xa5, sizeof(x->p));
	ret = plugin_load_name("nosuch", "/nonexistent-b", &x->p, x->err,
			       sizeof(x->err));
	check_refusal(x, ret, -ENOENT, "hv-nosuch.so", "/nonexistent-a");
	assert_non_null(strstr(x->err, "/nonexistent-b"));
	assert_null(strstr(x->err, "relative/dir"));
	/* Nowhere to look at all. */
	unsetenv("NIMBUS_PLUGIN_PATH");
	ret = plugin_load_name("nosuch", NULL, &x->p, x->err, sizeof(x->err));
	check_refusal(x, ret, -ENOENT, "hv-nosuch.so", "NIMBUS_PLUGIN_PATH");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ret = plugin_load_name(bad[i], x->dir, &x->p, x->err,
				       sizeof(x->err));
		check_refusal(x, ret, -EINVAL, bad[i], "invalid plugin name");
	}
	ret = plugin_load_name(NULL, x->dir, &x->p, x->err, sizeof(x->err));
	assert_int_equal(ret, -EINVAL);
}

static void test_refuse_files(void **state)
{
	struct lx *x = *state;
	char path[PATH_MAX + 32];
	int fd;

	check_refusal(x, load_file(x, "build/plugins/hv-fake.so"), -EINVAL,
		      "build/plugins/hv-fake.so", "relative path");
	check_refusal(x, load_file(x, "hv-fake.so"), -EINVAL, "hv-fake.so",
		      "relative path");
	assert_int_equal(load_file(x, NULL), -EINVAL);

	in(path, sizeof(path), x->tmp, "hv-gone.so");
	check_refusal(x, load_file(x, path), -ENOENT, path, "No such file");

	in(path, sizeof(path), x->tmp, "hv-x.so");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "not an ELF file\n", 16), 16);
	close(fd);
	assert_int_equal(chmod(path, 0644), 0);
	check_refusal(x, load_file(x, path), -ENOEXEC, path, "dlopen failed");

	in(path, sizeof(path), x->tmp, "hv-dir.so");
	assert_int_equal(mkdir(path, 0755), 0);
	check_refusal(x, load_file(x, path), -EINVAL, path,
		      "not a regular file");
}

static void test_refuse_writable(void **state)
{
	struct lx *x = *state;
	static const mode_t bad[] = { 0775, 0757, 0664, 0646, 0777 };
	char path[PATH_MAX + 32], src[PATH_MAX + 32];
	size_t i;

	in(src, sizeof(src), x->dir, "hv-fake.so");
	in(path, sizeof(path), x->tmp, "hv-fake.so");
	/* The same bytes load fine with a safe mode (exec bit not needed). */
	copy_file(src, path, 0755);
	assert_int_equal(load_file(x, path), 0);
	plugin_unload(&x->p);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(load_file(x, path), 0);
	plugin_unload(&x->p);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(chmod(path, bad[i]), 0);
		check_refusal(x, load_file(x, path), -EPERM, path,
			      "writable by group or others");
	}
}

static void test_refuse_broken_plugins(void **state)
{
	struct lx *x = *state;
	char abi[96], path[PATH_MAX + 32];
	const struct {
		const char *file;
		int err;
		const char *what;
	} cases[] = {
		{ "hv-bad-magic.so", -EINVAL, "bad magic" },
		{ "hv-bad-abi.so", -EPROTO, abi },
		{ "hv-bad-short_ops.so", -EINVAL, "ops table too short" },
		{ "hv-bad-missing_op.so", -EINVAL, "mandatory op vcpu_run" },
		{ "hv-bad-no_desc.so", -ENOEXEC, "no descriptor" },
		{ "hv-bad-name.so", -EINVAL,
		  "descriptor name 'kvm' does not match file name" },
	};
	size_t i;

	snprintf(
		abi, sizeof(abi),
		"ABI major %d (plugin) != %d (host); plugin ABI %d.%d, host ABI %d.%d",
		HV_ABI_MAJOR + 1, HV_ABI_MAJOR, HV_ABI_MAJOR + 1, HV_ABI_MINOR,
		HV_ABI_MAJOR, HV_ABI_MINOR);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		in(path, sizeof(path), x->dir, cases[i].file);
		check_refusal(x, load_file(x, path), cases[i].err, path,
			      cases[i].what);
		assert_int_equal(strncmp(x->err, "nimbus: plugin ", 15), 0);
	}
}

static void test_refuse_renamed(void **state)
{
	struct lx *x = *state;
	char path[PATH_MAX + 32], src[PATH_MAX + 32];

	in(src, sizeof(src), x->dir, "hv-fake.so");
	in(path, sizeof(path), x->tmp, "hv-other.so");
	copy_file(src, path, 0755);
	check_refusal(x, load_file(x, path), -EINVAL, path,
		      "descriptor name 'fake' does not match");
	in(path, sizeof(path), x->tmp, "fake.so");
	copy_file(src, path, 0755);
	check_refusal(x, load_file(x, path), -EINVAL, path, "want hv-fake.so");
}

static int select_hv(struct lx *x, const char *hv, const char *explicit_path,
		     const char *plugindir)
{
	memset(&x->p, 0xa5, sizeof(x->p));
	x->err[0] = '\0';
	return plugin_select(hv, explicit_path, plugindir, &x->host, &x->p,
			     x->err, sizeof(x->err));
}

static void test_select_auto(void **state)
{
	struct lx *x = *state;
	char path[PATH_MAX + 32], src[PATH_MAX + 32];

	/* A search path holding only hv-fake.so: neither kvm nor mshv. */
	in(src, sizeof(src), x->dir, "hv-fake.so");
	copy_file(src, in(path, sizeof(path), x->tmp, "hv-fake.so"), 0755);
	setenv("NIMBUS_PLUGIN_PATH", x->tmp, 1);
	check_refusal(x, select_hv(x, "auto", NULL, NULL), -ENOENT, "hv-kvm.so",
		      "hv-mshv.so");
	assert_non_null(strstr(x->err, x->tmp));
	assert_non_null(strstr(x->err, "[kvm]"));
	assert_non_null(strstr(x->err, "[mshv]"));
	/* NULL means auto. */
	check_refusal(x, select_hv(x, NULL, NULL, NULL), -ENOENT, "hv-kvm.so",
		      "hv-mshv.so");
	/* A broken kvm stops the search instead of falling back to mshv. */
	copy_file(src, in(path, sizeof(path), x->tmp, "hv-kvm.so"), 0755);
	check_refusal(x, select_hv(x, "auto", NULL, NULL), -EINVAL, path,
		      "does not match");
	assert_null(strstr(x->err, "mshv"));
	assert_int_equal(chmod(path, 0666), 0);
	check_refusal(x, select_hv(x, "auto", NULL, NULL), -EPERM, path,
		      "writable");
	/* So does a broken mshv after a missing kvm. */
	assert_int_equal(unlink(path), 0);
	copy_file(src, in(path, sizeof(path), x->tmp, "hv-mshv.so"), 0755);
	check_refusal(x, select_hv(x, "auto", NULL, NULL), -EINVAL, path,
		      "does not match");
}

static void test_select_named(void **state)
{
	struct lx *x = *state;
	static const char *const bad[] = { "", "FAKE", "fa/ke", "bad-probe",
					   "../fake" };
	char path[PATH_MAX + 32], src[PATH_MAX + 32];
	size_t i;

	in(src, sizeof(src), x->dir, "hv-fake.so");
	copy_file(src, in(path, sizeof(path), x->tmp, "hv-fake.so"), 0755);
	setenv("NIMBUS_PLUGIN_PATH", x->tmp, 1);
	assert_int_equal(select_hv(x, "fake", NULL, NULL), 0);
	assert_string_equal(x->p.path, path);
	assert_string_equal(x->p.desc->name, "fake");
	plugin_unload(&x->p);
	/* The plugin directory is searched too. */
	unsetenv("NIMBUS_PLUGIN_PATH");
	assert_int_equal(select_hv(x, "fake", NULL, x->dir), 0);
	plugin_unload(&x->p);
	setenv("NIMBUS_PLUGIN_PATH", x->tmp, 1);
	check_refusal(x, select_hv(x, "kvm", NULL, NULL), -ENOENT, "hv-kvm.so",
		      x->tmp);
	check_refusal(x, select_hv(x, "mshv", NULL, NULL), -ENOENT,
		      "hv-mshv.so", "not found");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check_refusal(x, select_hv(x, bad[i], NULL, NULL), -EINVAL,
			      bad[i], "invalid hypervisor name");
	/* No host table to probe with. */
	memset(&x->p, 0xa5, sizeof(x->p));
	assert_int_equal(plugin_select("fake", NULL, NULL, NULL, &x->p, x->err,
				       sizeof(x->err)),
			 -EINVAL);
	assert_memory_equal(&x->p, &zero_plugin, sizeof(x->p));
}

static void test_select_explicit(void **state)
{
	struct lx *x = *state;
	char path[PATH_MAX + 32];

	setenv("NIMBUS_PLUGIN_PATH", x->tmp, 1); /* holds nothing */
	/* The path wins over --hv and the search path. */
	in(path, sizeof(path), x->dir, "hv-fake.so");
	assert_int_equal(select_hv(x, "kvm", path, NULL), 0);
	assert_string_equal(x->p.desc->name, "fake");
	assert_string_equal(x->p.path, path);
	plugin_unload(&x->p);
	assert_int_equal(select_hv(x, "Not Valid", path, NULL), 0);
	plugin_unload(&x->p);
	/* A plugin that loads but whose probe says "not here". */
	in(path, sizeof(path), x->dir, "hv-bad-probe.so");
	check_refusal(x, select_hv(x, "auto", path, NULL), -ENODEV, path,
		      "probe failed");
	in(path, sizeof(path), x->dir, "hv-bad-abi.so");
	check_refusal(x, select_hv(x, "auto", path, NULL), -EPROTO, path,
		      "ABI major");
	check_refusal(x, select_hv(x, "auto", "hv-fake.so", NULL), -EINVAL,
		      "hv-fake.so", "relative path");
	check_refusal(x, select_hv(x, "auto", "", NULL), -EINVAL, "",
		      "relative path");
}

static void test_attach(void **state)
{
	struct lx *x = *state;
	struct hv_ops ops = *(const struct hv_ops *)hv_fake_desc.ops;
	struct plugin_desc d;
	int ret;

	assert_int_equal(
		plugin_attach(&hv_fake_desc, &x->p, x->err, sizeof(x->err)), 0);
	assert_null(x->p.handle);
	assert_ptr_equal(x->p.desc, &hv_fake_desc);
	assert_ptr_equal(x->p.ops, hv_fake_desc.ops);
	assert_string_equal(x->p.path, "");
	plugin_unload(&x->p);
	assert_memory_equal(&x->p, &zero_plugin, sizeof(x->p));

#define ATTACH_REFUSED(want, what)                                      \
	do {                                                            \
		memset(&x->p, 0xa5, sizeof(x->p));                      \
		ret = plugin_attach(&d, &x->p, x->err, sizeof(x->err)); \
		check_refusal(x, ret, want, "(built-in)", what);        \
		d = hv_fake_desc;                                       \
		ops = *(const struct hv_ops *)hv_fake_desc.ops;         \
	} while (0)

	d = hv_fake_desc;
	d.magic = 0x12345678;
	ATTACH_REFUSED(-EINVAL, "bad magic 0x12345678");
	d.kind = 2;
	ATTACH_REFUSED(-EINVAL, "kind 2");
	d.desc_size = 8;
	ATTACH_REFUSED(-EINVAL, "descriptor size 8 too small");
	d.abi_major = HV_ABI_MAJOR + 1;
	ATTACH_REFUSED(-EPROTO, "ABI major");
	d.name = NULL;
	ATTACH_REFUSED(-EINVAL, "name");
	d.name = "Bad Name";
	ATTACH_REFUSED(-EINVAL, "name");
	d.ops = NULL;
	ATTACH_REFUSED(-EINVAL, "no ops table");
	ops.size = HV_OPS_END(vcpu_run);
	d.ops = &ops;
	ATTACH_REFUSED(-EINVAL, "too short");
	ops.vcpu_kick = NULL;
	d.ops = &ops;
	ATTACH_REFUSED(-EINVAL, "vcpu_kick");
	/* An older minor with a shorter (but complete) table is fine. */
	ops.size = HV_OPS_END(vcpu_set_regs);
	d.ops = &ops;
	d.abi_minor = 0;
	assert_int_equal(plugin_attach(&d, &x->p, x->err, sizeof(x->err)), 0);
	plugin_unload(&x->p);
	memset(&x->p, 0xa5, sizeof(x->p));
	assert_int_equal(plugin_attach(NULL, &x->p, x->err, sizeof(x->err)),
			 -EINVAL);
	assert_memory_equal(&x->p, &zero_plugin, sizeof(x->p));
#undef ATTACH_REFUSED
}

static void test_small_err_buffer(void **state)
{
	struct lx *x = *state;
	char small[12];

	memset(small, 'x', sizeof(small));
	assert_int_equal(plugin_load_file("relative.so", &x->p, small,
					  sizeof(small)),
			 -EINVAL);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_int_equal(strncmp(small, "nimbus: plu", sizeof(small) - 1), 0);
	assert_int_equal(plugin_load_file("relative.so", &x->p, NULL, 0),
			 -EINVAL);
	assert_int_equal(plugin_select("nosuch", NULL, NULL, &x->host, &x->p,
				       NULL, 0),
			 -ENOENT);
	plugin_unload(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_load_fake_by_path, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_load_by_name, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_load_name_first_found_wins,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_name_missing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refuse_files, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refuse_writable, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refuse_broken_plugins,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_renamed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_select_auto, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_select_named, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_select_explicit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_attach, setup, teardown),
		cmocka_unit_test_setup_teardown(test_small_err_buffer, setup,
						teardown),
	};

	/* Refusals are expected here; keep warnings out of the output. */
	log_set_level(LOG_ERR);
	return cmocka_run_group_tests_name("loader", tests, NULL, NULL);
}
