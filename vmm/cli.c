// SPDX-License-Identifier: Apache-2.0
/*
 * cli.c - the `nimbus` command line (Cloud Hypervisor syntax).
 *
 * A table of options drives a small hand-written loop; getopt is not used
 * because its state is global.  The parser never logs: every problem is
 * reported once through the caller's err buffer.
 */
#define LOG_MOD "cli"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vmm/cli.h"
#include "vmm/log.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct cli_state {
	struct vm_config *cfg;
	char *err;
	size_t errlen;
	unsigned int vm_opts; /* options that describe the VM itself */
	/*
	 * True once an option lets the VMM start without a payload and wait
	 * for one over the API (CH's --api-socket).  No such option exists
	 * yet, so --kernel is always required for now.
	 */
	bool wait_for_api;
	bool console_set; /* --console given (else a default applies) */
};

struct cli_opt;
typedef int (*cli_opt_fn)(struct cli_state *st, const struct cli_opt *opt,
			  const char *val);

#define OPT_ARG 0x1u /* takes a value */
#define OPT_MULTI 0x2u /* may be given more than once */
#define OPT_VM 0x4u /* describes the VM: needs a payload */
#define OPT_EMPTY_OK 0x8u /* the value may be empty */
#define OPT_ABSPATH 0x10u /* the value must be an absolute path */
#define OPT_VALUES 0x20u /* takes every following non-option argument */

struct cli_opt {
	const char *name; /* long name without "--", or NULL */
	char short_name; /* short name (flags only), or 0 */
	unsigned int flags;
	cli_opt_fn fn;
	size_t field; /* for opt_string: offset of the char * in vm_config */
};

#define cli_err(st, ...) kv_set_err((st)->err, (st)->errlen, __VA_ARGS__)

static int cli_nomem(struct cli_state *st)
{
	cli_err(st, "out of memory");
	return -ENOMEM;
}

/* ---- generic helpers ------------------------------------------------ */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* ---- option handlers ------------------------------------------------ */

/* Keys Cloud Hypervisor has but Nimbus does not implement yet. */
static const char *const cpus_later_keys[] = {
	"topology", "kvm_hyperv", "max_phys_bits",   "affinity",
	"features", "nested",	  "core_scheduling", "profile",
};

static const char *const memory_later_keys[] = {
	"file",
	"mergeable",
	"hotplug_method",
	"hotplug_size",
	"hotplugged_size",
	"shared",
	"hugepages",
	"hugepage_size",
	"prefault",
	"reserve",
	"thp",
};

static int cli_bad_key(struct cli_state *st, const struct cli_opt *opt,
		       const char *key, const char *const *later, size_t nlater)
{
	size_t i;

	for (i = 0; i < nlater; i++)
		if (!strcmp(key, later[i]))
			return cli_err(st, "--%s: %s= is not supported yet",
				       opt->name, key);
	return cli_err(st, "--%s: unknown key '%.*s'", opt->name,
		       kv_echo_len(strlen(key)), key);
}

static int cli_kv(struct cli_state *st, const struct cli_opt *opt,
		  const char *val, struct kv **kv, size_t *n)
{
	char msg[160];
	int ret;

	ret = kv_parse(val, kv, n, msg, sizeof(msg));
	if (ret == -ENOMEM)
		return cli_nomem(st);
	if (ret)
		return cli_err(st, "--%s: %s", opt->name, msg);
	return 0;
}

static int opt_string(struct cli_state *st, const struct cli_opt *opt,
		      const char *val)
{
	char **dst = (char **)((char *)st->cfg + opt->field);

	if ((opt->flags & OPT_ABSPATH) && val[0] != '/')
		return cli_err(st, "--%s: '%.*s' is not an absolute path",
			       opt->name, kv_echo_len(strlen(val)), val);
	*dst = strdup(val);
	if (!*dst)
		return cli_nomem(st);
	return 0;
}

static int opt_cpus(struct cli_state *st, const struct cli_opt *opt,
		    const char *val)
{
	uint32_t boot = 1, max = 0;
	bool have_max = false;
	struct kv *kv = NULL;
	size_t n = 0, i;
	int ret;

	ret = cli_kv(st, opt, val, &kv, &n);
	if (ret)
		return ret;
	for (i = 0; i < n && !ret; i++) {
		uint32_t *dst;

		if (!strcmp(kv[i].key, "boot")) {
			dst = &boot;
		} else if (!strcmp(kv[i].key, "max")) {
			dst = &max;
			have_max = true;
		} else {
			ret = cli_bad_key(st, opt, kv[i].key, cpus_later_keys,
					  ARRAY_SIZE(cpus_later_keys));
			break;
		}
		if (parse_u32(kv[i].val, 1, CLI_CPUS_MAX, dst))
			ret = cli_err(
				st,
				"--cpus: %s=%.*s must be a number from 1 to %u",
				kv[i].key, kv_echo_len(strlen(kv[i].val)),
				kv[i].val, CLI_CPUS_MAX);
	}
	if (ret)
		goto out_free_kv;
	if (!have_max)
		max = boot;
	if (boot > max) {
		ret = cli_err(st, "--cpus: boot=%u is above max=%u", boot, max);
		goto out_free_kv;
	}
	st->cfg->cpus.boot = boot;
	st->cfg->cpus.max = max;

out_free_kv:
	kv_free(kv, n);
	return ret;
}

static int check_mem_size(struct cli_state *st, const char *s)
{
	uint64_t size;

	if (parse_size(s, &size))
		return cli_err(
			st,
			"--memory: invalid size '%.*s' (want e.g. 4096, 512M, 2G)",
			kv_echo_len(strlen(s)), s);
	if (size < CLI_MEM_MIN)
		return cli_err(
			st,
			"--memory: size %.*s is below the minimum of %llu MiB",
			kv_echo_len(strlen(s)), s, CLI_MEM_MIN >> 20);
	if (size > CLI_MEM_MAX)
		return cli_err(
			st,
			"--memory: size %.*s is above the maximum of %llu GiB",
			kv_echo_len(strlen(s)), s, CLI_MEM_MAX >> 30);
	if (size % CLI_MEM_ALIGN)
		return cli_err(
			st, "--memory: size %.*s is not a multiple of %llu KiB",
			kv_echo_len(strlen(s)), s, CLI_MEM_ALIGN >> 10);
	st->cfg->memory.size = size;
	return 0;
}

static int opt_memory(struct cli_state *st, const struct cli_opt *opt,
		      const char *val)
{
	struct kv *kv = NULL;
	size_t n = 0, i;
	int ret;

	ret = cli_kv(st, opt, val, &kv, &n);
	if (ret)
		return ret;
	for (i = 0; i < n && !ret; i++) {
		if (!strcmp(kv[i].key, "size"))
			ret = check_mem_size(st, kv[i].val);
		else
			ret = cli_bad_key(st, opt, kv[i].key, memory_later_keys,
					  ARRAY_SIZE(memory_later_keys));
	}
	kv_free(kv, n);
	return ret;
}

struct cons_mode {
	const char *name;
	int mode; /* enum console_mode */
	bool needs_path; /* written "name=PATH" */
};

/* The modes one console option accepts, and how its errors list them. */
struct cons_kind {
	const struct cons_mode *modes;
	size_t nr;
	const char *list;
};

static const struct cons_mode serial_modes[] = {
	{ "off", CONSOLE_OFF, false },	{ "null", CONSOLE_NULL, false },
	{ "tty", CONSOLE_TTY, false },	{ "pty", CONSOLE_PTY, false },
	{ "file", CONSOLE_FILE, true }, { "socket", CONSOLE_SOCKET, true },
};

/* CH's --console has no socket= mode. */
static const struct cons_mode console_modes[] = {
	{ "off", CONSOLE_OFF, false },	{ "null", CONSOLE_NULL, false },
	{ "tty", CONSOLE_TTY, false },	{ "pty", CONSOLE_PTY, false },
	{ "file", CONSOLE_FILE, true },
};

static const struct cons_kind serial_kind = {
	serial_modes, ARRAY_SIZE(serial_modes), "off|null|tty|pty|file=|socket="
};

static const struct cons_kind console_kind = { console_modes,
					       ARRAY_SIZE(console_modes),
					       "off|null|tty|pty|file=" };

/* One comma-separated item of a console option; *found is set on a mode. */
static int cons_item(struct cli_state *st, const struct cli_opt *opt,
		     const struct cons_kind *kind, const char *p, size_t len,
		     const struct cons_mode **found, const char **path,
		     size_t *path_len)
{
	const char *eq = memchr(p, '=', len);
	size_t name_len = eq ? (size_t)(eq - p) : len;
	size_t i;

	if (name_len == 5 && !memcmp(p, "iommu", 5))
		return cli_err(st, "--%s: iommu= is not supported yet",
			       opt->name);
	for (i = 0; i < kind->nr; i++) {
		const struct cons_mode *m = &kind->modes[i];

		if (strlen(m->name) != name_len || memcmp(p, m->name, name_len))
			continue;
		if (*found)
			return cli_err(st, "--%s: more than one mode given",
				       opt->name);
		if (m->needs_path && (!eq || eq + 1 == p + len))
			return cli_err(st, "--%s: %s= needs a path", opt->name,
				       m->name);
		if (!m->needs_path && eq)
			return cli_err(st, "--%s: %s takes no value", opt->name,
				       m->name);
		*found = m;
		if (eq) {
			*path = eq + 1;
			*path_len = len - name_len - 1;
		}
		return 0;
	}
	return cli_err(st, "--%s: unknown mode '%.*s' (%s)", opt->name,
		       kv_echo_len(len), p, kind->list);
}

static int opt_cons(struct cli_state *st, const struct cli_opt *opt,
		    const char *val, const struct cons_kind *kind,
		    struct console_config *dst)
{
	const struct cons_mode *found = NULL;
	const char *p, *end, *path = NULL;
	size_t path_len = 0;
	int ret;

	for (p = val;; p = end + 1) {
		end = strchrnul(p, ',');
		ret = cons_item(st, opt, kind, p, (size_t)(end - p), &found,
				&path, &path_len);
		if (ret)
			return ret;
		if (*end == '\0')
			break;
	}
	if (!found) /* unreachable: every item is a mode or an error */
		return cli_err(st, "--%s: no mode given", opt->name);
	if (path) {
		dst->path = strndup(path, path_len);
		if (!dst->path)
			return cli_nomem(st);
	}
	dst->mode = found->mode;
	return 0;
}

static int opt_serial(struct cli_state *st, const struct cli_opt *opt,
		      const char *val)
{
	return opt_cons(st, opt, val, &serial_kind, &st->cfg->serial);
}

static int opt_console(struct cli_state *st, const struct cli_opt *opt,
		       const char *val)
{
	st->console_set = true;
	return opt_cons(st, opt, val, &console_kind, &st->cfg->console);
}

/* ---- --disk, --rng ----------------------------------------------------- */

/* CH --disk keys Nimbus does not implement yet. */
static const char *const disk_later_keys[] = {
	"vhost_user",
	"socket",
	"iommu",
	"pci_segment",
	"pci_device_id",
	"bw_size",
	"bw_one_time_burst",
	"bw_refill_time",
	"ops_size",
	"ops_one_time_burst",
	"ops_refill_time",
	"rate_limit_group",
	"queue_affinity",
	"backing_files",
	"sparse",
	"lock_granularity",
	"_disable_io_uring",
	"_disable_aio",
};

static bool is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

static void disk_free(struct disk_config *d)
{
	free(d->path);
	free(d->id);
	free(d->serial);
	d->path = NULL;
	d->id = NULL;
	d->serial = NULL;
}

static bool disk_id_taken(const struct vm_config *cfg, const char *id)
{
	unsigned int i;

	for (i = 0; i < cfg->nr_disks && i < CONFIG_MAX_DISKS; i++)
		if (cfg->disks[i].id && !strcmp(cfg->disks[i].id, id))
			return true;
	return false;
}

static int disk_strdup(struct cli_state *st, const struct kv *kv, char **dst)
{
	if (kv->val[0] == '\0')
		return cli_err(st, "--disk: %s= is empty", kv->key);
	*dst = strdup(kv->val);
	if (!*dst)
		return cli_nomem(st);
	return 0;
}

static int disk_id(struct cli_state *st, struct disk_config *d,
		   const struct kv *kv)
{
	const char *v = kv->val;
	int len = kv_echo_len(strlen(v));

	/* As in CH, "__" names belong to the VMM's own devices. */
	if (!strncmp(v, "__", 2))
		return cli_err(st,
			       "--disk: id '%.*s' is reserved (\"__\" prefix)",
			       len, v);
	if (disk_id_taken(st->cfg, v))
		return cli_err(st, "--disk: id '%.*s' is not unique", len, v);
	return disk_strdup(st, kv, &d->id);
}

static int disk_image_type(struct cli_state *st, const char *v)
{
	static const char *const later[] = { "qcow2", "vhd", "vhdx" };
	size_t i;

	if (!strcasecmp(v, "raw"))
		return 0;
	for (i = 0; i < ARRAY_SIZE(later); i++)
		if (!strcasecmp(v, later[i]))
			return cli_err(
				st,
				"--disk: image_type=%s is not supported yet (raw only)",
				later[i]);
	return cli_err(
		st, "--disk: invalid image_type '%.*s' (raw, qcow2, vhd, vhdx)",
		kv_echo_len(strlen(v)), v);
}

static int disk_key(struct cli_state *st, const struct cli_opt *opt,
		    struct disk_config *d, const struct kv *kv)
{
	const char *k = kv->key, *v = kv->val;
	int vlen = kv_echo_len(strlen(v));
	uint32_t u;

	if (!strcmp(k, "path"))
		return disk_strdup(st, kv, &d->path);
	if (!strcmp(k, "readonly") || !strcmp(k, "direct")) {
		if (parse_bool(v, k[0] == 'r' ? &d->readonly : &d->direct))
			return cli_err(st, "--disk: %s=%.*s must be on or off",
				       k, vlen, v);
		return 0;
	}
	if (!strcmp(k, "num_queues")) {
		if (parse_u32(v, 1, CLI_DISK_QUEUES_MAX, &u))
			return cli_err(
				st,
				"--disk: num_queues=%.*s must be a number from 1 to %u",
				vlen, v, CLI_DISK_QUEUES_MAX);
		d->num_queues = (uint16_t)u;
		return 0;
	}
	if (!strcmp(k, "queue_size")) {
		if (parse_u32(v, CLI_DISK_QSIZE_MIN, CLI_DISK_QSIZE_MAX, &u) ||
		    !is_pow2(u))
			return cli_err(
				st,
				"--disk: queue_size=%.*s must be a power of two from %u to %u",
				vlen, v, CLI_DISK_QSIZE_MIN,
				CLI_DISK_QSIZE_MAX);
		d->queue_size = (uint16_t)u;
		return 0;
	}
	if (!strcmp(k, "id"))
		return disk_id(st, d, kv);
	if (!strcmp(k, "serial")) {
		if (strlen(v) > CLI_DISK_SERIAL_MAX)
			return cli_err(
				st, "--disk: serial= is longer than %u bytes",
				CLI_DISK_SERIAL_MAX);
		return disk_strdup(st, kv, &d->serial);
	}
	if (!strcmp(k, "image_type"))
		return disk_image_type(st, v);
	return cli_bad_key(st, opt, k, disk_later_keys,
			   ARRAY_SIZE(disk_later_keys));
}

/* One disk: a whole key=value list, all or nothing. */
static int opt_disk(struct cli_state *st, const struct cli_opt *opt,
		    const char *val)
{
	struct disk_config d = {
		.num_queues = 1,
		.queue_size = CLI_DISK_QSIZE_DEFAULT,
	};
	struct kv *kv = NULL;
	size_t n = 0, i;
	int ret;

	if (st->cfg->nr_disks >= CONFIG_MAX_DISKS)
		return cli_err(st, "--disk: more than %d disks",
			       CONFIG_MAX_DISKS);
	ret = cli_kv(st, opt, val, &kv, &n);
	if (ret)
		return ret;
	for (i = 0; i < n && !ret; i++)
		ret = disk_key(st, opt, &d, &kv[i]);
	if (!ret && !d.path)
		ret = cli_err(st, "--disk: path= is required");
	kv_free(kv, n);
	if (ret) {
		disk_free(&d);
		return ret;
	}
	st->cfg->disks[st->cfg->nr_disks++] = d;
	return 0;
}

/*
 * Name the disks given without id= as CH does: one counter, "_disk0",
 * "_disk1"..., advanced only for such disks and skipping names a user
 * already gave to another disk.
 */
static int disk_default_ids(struct cli_state *st)
{
	struct vm_config *cfg = st->cfg;
	unsigned int i, next = 0;
	char name[32];

	for (i = 0; i < cfg->nr_disks; i++) {
		if (cfg->disks[i].id)
			continue;
		do
			snprintf(name, sizeof(name), "_disk%u", next++);
		while (disk_id_taken(cfg, name));
		cfg->disks[i].id = strdup(name);
		if (!cfg->disks[i].id)
			return cli_nomem(st);
	}
	return 0;
}

static const char *const rng_later_keys[] = { "iommu" };

static int opt_rng(struct cli_state *st, const struct cli_opt *opt,
		   const char *val)
{
	struct kv *kv = NULL;
	size_t n = 0, i;
	int ret;

	ret = cli_kv(st, opt, val, &kv, &n);
	if (ret)
		return ret;
	for (i = 0; i < n && !ret; i++) {
		if (strcmp(kv[i].key, "src")) {
			ret = cli_bad_key(st, opt, kv[i].key, rng_later_keys,
					  ARRAY_SIZE(rng_later_keys));
		} else if (kv[i].val[0] == '\0') {
			ret = cli_err(st, "--rng: src= needs a path");
		} else {
			st->cfg->rng.src = strdup(kv[i].val);
			if (!st->cfg->rng.src)
				ret = cli_nomem(st);
		}
	}
	kv_free(kv, n);
	return ret;
}

static int opt_hv(struct cli_state *st, const struct cli_opt *opt,
		  const char *val)
{
	size_t len = strlen(val), i;

	for (i = 0; i < len; i++)
		if (!is_digit(val[i]) && !(val[i] >= 'a' && val[i] <= 'z') &&
		    val[i] != '_')
			break;
	if (len > CLI_HV_NAME_MAX)
		return cli_err(st, "--hv: name longer than %d characters",
			       CLI_HV_NAME_MAX);
	if (i < len)
		return cli_err(
			st,
			"--hv: invalid name '%.*s' (want auto, kvm, mshv or [a-z0-9_])",
			kv_echo_len(len), val);
	st->cfg->hv = strdup(val);
	if (!st->cfg->hv)
		return cli_nomem(st);
	return 0;
}

static int opt_verbose(struct cli_state *st, const struct cli_opt *opt,
		       const char *val)
{
	if (st->cfg->verbosity < INT_MAX)
		st->cfg->verbosity++;
	return 0;
}

static int opt_help(struct cli_state *st, const struct cli_opt *opt,
		    const char *val)
{
	return CLI_HELP;
}

static int opt_version(struct cli_state *st, const struct cli_opt *opt,
		       const char *val)
{
	return CLI_VERSION;
}

#define CFG_FIELD(f) offsetof(struct vm_config, f)

static const struct cli_opt cli_opts[] = {
	{ "kernel", 0, OPT_ARG, opt_string, CFG_FIELD(payload.kernel) },
	{ "initramfs", 0, OPT_ARG | OPT_VM, opt_string,
	  CFG_FIELD(payload.initramfs) },
	{ "cmdline", 0, OPT_ARG | OPT_VM | OPT_EMPTY_OK, opt_string,
	  CFG_FIELD(payload.cmdline) },
	{ "cpus", 0, OPT_ARG | OPT_VM | OPT_EMPTY_OK, opt_cpus, 0 },
	{ "memory", 0, OPT_ARG | OPT_VM | OPT_EMPTY_OK, opt_memory, 0 },
	{ "serial", 0, OPT_ARG | OPT_VM, opt_serial, 0 },
	{ "console", 0, OPT_ARG | OPT_VM, opt_console, 0 },
	{ "disk", 0, OPT_ARG | OPT_VM | OPT_MULTI | OPT_VALUES, opt_disk, 0 },
	{ "rng", 0, OPT_ARG | OPT_VM | OPT_EMPTY_OK, opt_rng, 0 },
	{ "hv", 0, OPT_ARG, opt_hv, 0 },
	{ "hv-plugin", 0, OPT_ARG | OPT_ABSPATH, opt_string,
	  CFG_FIELD(hv_plugin) },
	{ "log-file", 0, OPT_ARG, opt_string, CFG_FIELD(log_file) },
	{ NULL, 'v', OPT_MULTI, opt_verbose, 0 },
	{ "version", 'V', 0, opt_version, 0 },
	{ "help", 'h', 0, opt_help, 0 },
};

static const char cli_usage[] =
	"Usage: nimbus [OPTIONS] --kernel PATH\n"
	"\n"
	"Run one virtual machine.  Options are written `--opt value` or\n"
	"`--opt=value`; use the second form for a value starting with '-'.\n"
	"\n"
	"Payload:\n"
	"  --kernel PATH          guest kernel: ELF vmlinux (PVH) or bzImage\n"
	"  --initramfs PATH       initial RAM disk\n"
	"  --cmdline STRING       kernel command line (default: empty)\n"
	"\n"
	"Resources:\n"
	"  --cpus boot=N[,max=M]  vCPUs at boot and at most (default boot=1,\n"
	"                         max=boot; 1 <= boot <= max <= 255)\n"
	"  --memory size=SIZE     guest RAM; SIZE is bytes or a number with K,\n"
	"                         M, G or T (x1024); 16M..1T, a multiple of 4K\n"
	"                         (default 512M)\n"
	"\n"
	"Devices:\n"
	"  --serial MODE          legacy UART: off, null (default), tty, pty,\n"
	"                         file=PATH or socket=PATH\n"
	"  --console MODE         virtio-console (hvc0): off, null, tty, pty or\n"
	"                         file=PATH (default tty; off with --serial tty)\n"
	"  --disk path=PATH[,readonly=on|off][,direct=on|off][,num_queues=N]\n"
	"         [,queue_size=N][,id=ID][,serial=STRING]\n"
	"                         virtio-blk disk on a raw image; repeat --disk\n"
	"                         or list several after one (at most 16);\n"
	"                         num_queues 1..64 (default 1), queue_size a\n"
	"                         power of two 2..1024 (default 256), serial up\n"
	"                         to 20 bytes, id default _disk0, _disk1...\n"
	"  --rng src=PATH         virtio-rng entropy source (default\n"
	"                         /dev/urandom)\n"
	"\n"
	"Hypervisor:\n"
	"  --hv NAME              auto (default: kvm, then mshv), kvm, mshv or\n"
	"                         another plugin name; hv-NAME.so is searched\n"
	"                         in $NIMBUS_PLUGIN_PATH, then the install dir\n"
	"  --hv-plugin PATH       load this plugin file (absolute path)\n"
	"\n"
	"Logging and information:\n"
	"  -v                     more log output; repeat for more (-vv)\n"
	"  --log-file PATH        write the log to PATH instead of stderr\n"
	"  -V, --version          print the version and exit\n"
	"  -h, --help             print this help and exit\n";

const char *cli_usage_text(void)
{
	return cli_usage;
}

/* ---- the argument loop ---------------------------------------------- */

/* Does this argument look like an option rather than a value? */
static bool is_option(const char *a)
{
	return a[0] == '-' && a[1] != '\0';
}

/* One value of an option (options with OPT_VALUES may have several). */
static int cli_opt_value(struct cli_state *st, const struct cli_opt *opt,
			 const char *val)
{
	if ((opt->flags & OPT_ARG) && val[0] == '\0' &&
	    !(opt->flags & OPT_EMPTY_OK))
		return cli_err(st, "--%s: empty value", opt->name);
	return opt->fn(st, opt, val);
}

static int cli_run_opt(struct cli_state *st, const struct cli_opt *opt,
		       bool *seen, const char *val)
{
	size_t idx = (size_t)(opt - cli_opts);

	if (seen[idx] && !(opt->flags & OPT_MULTI)) {
		if (opt->name)
			return cli_err(st, "--%s: given more than once",
				       opt->name);
		return cli_err(st, "-%c: given more than once",
			       opt->short_name);
	}
	seen[idx] = true;
	if (opt->flags & OPT_VM)
		st->vm_opts++;
	return cli_opt_value(st, opt, val);
}

/* argv[*i] is "--name" or "--name=value"; may consume argv[*i + 1]. */
static int cli_long(struct cli_state *st, int argc, char **argv, int *i,
		    bool *seen)
{
	const char *name = argv[*i] + 2;
	const char *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	const struct cli_opt *opt = NULL;
	const char *val = NULL;
	size_t k;
	int ret;

	for (k = 0; k < ARRAY_SIZE(cli_opts); k++) {
		if (cli_opts[k].name && strlen(cli_opts[k].name) == len &&
		    !memcmp(cli_opts[k].name, name, len)) {
			opt = &cli_opts[k];
			break;
		}
	}
	if (!opt)
		return cli_err(st, "unknown option '--%.*s'", kv_echo_len(len),
			       name);
	if (!(opt->flags & OPT_ARG)) {
		if (eq)
			return cli_err(st, "--%s: takes no value", opt->name);
		return cli_run_opt(st, opt, seen, "");
	}
	if (eq)
		val = eq + 1;
	else if (*i + 1 < argc && argv[*i + 1] && !is_option(argv[*i + 1]))
		val = argv[++*i];
	else
		return cli_err(st, "--%s: missing value", opt->name);
	ret = cli_run_opt(st, opt, seen, val);
	/* CH's `--disk a b`: later values up to the next option. */
	while (!ret && (opt->flags & OPT_VALUES) && *i + 1 < argc &&
	       argv[*i + 1] && !is_option(argv[*i + 1]))
		ret = cli_opt_value(st, opt, argv[++*i]);
	return ret;
}

/* argv[i] is "-x" or a cluster of flags such as "-vv". */
static int cli_short(struct cli_state *st, const char *arg, bool *seen)
{
	const char *c;
	size_t k;
	int ret;

	for (c = arg + 1; *c; c++) {
		const struct cli_opt *opt = NULL;

		for (k = 0; k < ARRAY_SIZE(cli_opts); k++) {
			if (cli_opts[k].short_name == *c) {
				opt = &cli_opts[k];
				break;
			}
		}
		/* Short options are flags; none takes a value. */
		if (!opt || (opt->flags & OPT_ARG)) {
			if (c == arg + 1 && c[1] == '\0')
				return cli_err(st, "unknown option '%s'", arg);
			return cli_err(st, "unknown option '-%c' in '%.*s'", *c,
				       kv_echo_len(strlen(arg)), arg);
		}
		ret = cli_run_opt(st, opt, seen, "");
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * The payload rule, kept in one place so that --api-socket can relax it:
 * VM options always need a payload; with nothing but VMM options the VMM
 * may start empty only when it can wait for vm.create on the API.
 */
static int cli_check_payload(struct cli_state *st)
{
	if (st->cfg->payload.kernel)
		return 0;
	if (st->vm_opts == 0 && st->wait_for_api)
		return 0;
	return cli_err(st, "--kernel is required");
}

static int cli_apply_defaults(struct cli_state *st)
{
	struct vm_config *cfg = st->cfg;

	if (!cfg->hv) {
		cfg->hv = strdup("auto");
		if (!cfg->hv)
			return cli_nomem(st);
	}
	if (!cfg->rng.src) {
		cfg->rng.src = strdup(CLI_RNG_DEFAULT);
		if (!cfg->rng.src)
			return cli_nomem(st);
	}
	/* The console default that keeps `--serial tty` alone valid. */
	if (!st->console_set)
		cfg->console.mode = cfg->serial.mode == CONSOLE_TTY ?
					    CONSOLE_OFF :
					    CONSOLE_TTY;
	return disk_default_ids(st);
}

/* Only one device may own the terminal (CH's rule). */
static int cli_check_consoles(struct cli_state *st)
{
	if (st->cfg->serial.mode == CONSOLE_TTY &&
	    st->cfg->console.mode == CONSOLE_TTY)
		return cli_err(
			st,
			"--serial tty and --console tty cannot share the terminal; set one to off, null, pty or file=");
	return 0;
}

int cli_parse(int argc, char **argv, struct vm_config *cfg, char *err,
	      size_t errlen)
{
	bool seen[ARRAY_SIZE(cli_opts)] = { false };
	struct cli_state st = {
		.cfg = cfg,
		.err = err,
		.errlen = errlen,
	};
	bool end_of_opts = false;
	int i, ret = 0;

	if (err && errlen)
		err[0] = '\0';
	if (!cfg)
		return -EINVAL;
	memset(cfg, 0, sizeof(*cfg));
	cfg->cpus.boot = 1;
	cfg->cpus.max = 1;
	cfg->memory.size = CLI_MEM_DEFAULT;
	cfg->serial.mode = CONSOLE_NULL;
	if (argc < 1 || !argv)
		argc = 1;

	for (i = 1; i < argc && argv[i]; i++) {
		const char *a = argv[i];

		if (end_of_opts || !is_option(a)) {
			ret = cli_err(&st, "unexpected argument '%.*s'",
				      kv_echo_len(strlen(a)), a);
		} else if (!strcmp(a, "--")) {
			end_of_opts = true;
			continue;
		} else if (a[1] == '-') {
			ret = cli_long(&st, argc, argv, &i, seen);
		} else {
			ret = cli_short(&st, a, seen);
		}
		if (ret)
			goto out_free_cfg;
	}

	ret = cli_check_payload(&st);
	if (ret)
		goto out_free_cfg;
	ret = cli_apply_defaults(&st);
	if (ret)
		goto out_free_cfg;
	ret = cli_check_consoles(&st);
	if (ret)
		goto out_free_cfg;
	return CLI_OK;

out_free_cfg:
	vm_config_free(cfg);
	return ret;
}

void vm_config_free(struct vm_config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	char **owned[] = {
		&cfg->payload.kernel,
		&cfg->payload.initramfs,
		&cfg->payload.cmdline,
		&cfg->serial.path,
		&cfg->console.path,
		&cfg->rng.src,
		&cfg->hv,
		&cfg->hv_plugin,
		&cfg->log_file,
	};

	for (i = 0; i < ARRAY_SIZE(owned); i++) {
		free(*owned[i]);
		*owned[i] = NULL;
	}
	/* Every slot, whatever nr_disks says: unused ones are NULL. */
	for (i = 0; i < CONFIG_MAX_DISKS; i++)
		disk_free(&cfg->disks[i]);
}
