// SPDX-License-Identifier: Apache-2.0
/*
 * cli.c - the `nimbus` command line (Cloud Hypervisor syntax).
 *
 * A table of options drives a small hand-written loop; getopt is not used
 * because its state is global.  The parser never logs: every problem is
 * reported once through the caller's err buffer.  The device options
 * (--serial, --console, --disk, --rng) are parsed in cli_dev.c.
 */
#define LOG_MOD "cli"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/cli.h"
#include "vmm/cli_priv.h"
#include "vmm/log.h"

int cli_nomem(struct cli_state *st)
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

int cli_bad_key(struct cli_state *st, const struct cli_opt *opt,
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

int cli_kv(struct cli_state *st, const struct cli_opt *opt, const char *val,
	   struct kv **kv, size_t *n)
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
	{ "serial", 0, OPT_ARG | OPT_VM, cli_opt_serial, 0 },
	{ "console", 0, OPT_ARG | OPT_VM, cli_opt_console, 0 },
	{ "disk", 0, OPT_ARG | OPT_VM | OPT_MULTI | OPT_VALUES, cli_opt_disk,
	  0 },
	{ "rng", 0, OPT_ARG | OPT_VM | OPT_EMPTY_OK, cli_opt_rng, 0 },
	{ "net", 0, OPT_ARG | OPT_VM | OPT_MULTI | OPT_VALUES, cli_opt_net, 0 },
	{ "vsock", 0, OPT_ARG | OPT_VM | OPT_MULTI, cli_opt_vsock, 0 },
	{ "pmem", 0, OPT_ARG | OPT_VM | OPT_MULTI | OPT_VALUES, cli_opt_pmem,
	  0 },
	{ "api-socket", 0, OPT_ARG, cli_opt_api_socket, 0 },
	{ "event-monitor", 0, OPT_ARG, cli_opt_event_monitor, 0 },
	{ "pvpanic", 0, OPT_VM, cli_opt_pvpanic, 0 },
	{ "seccomp", 0, OPT_ARG, cli_opt_seccomp, 0 },
	{ "hv", 0, OPT_ARG, opt_hv, 0 },
	{ "hv-plugin", 0, OPT_ARG | OPT_ABSPATH, opt_string,
	  CFG_FIELD(hv_plugin) },
	{ "log-file", 0, OPT_ARG, opt_string, CFG_FIELD(log_file) },
	{ NULL, 'v', OPT_MULTI, opt_verbose, 0 },
	{ "version", 'V', 0, opt_version, 0 },
	{ "help", 'h', 0, opt_help, 0 },
};

static const char cli_usage[] =
	"Usage: nimbus [OPTIONS] --kernel PATH | --api-socket path=PATH\n"
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
	"         [,io_engine=auto|io_uring|sync]\n"
	"                         virtio-blk disk on a raw image; repeat --disk\n"
	"                         or list several after one (at most 16);\n"
	"                         num_queues 1..64 (default 1), queue_size a\n"
	"                         power of two 2..1024 (default 256), serial up\n"
	"                         to 20 bytes, id default _disk0, _disk1...\n"
	"  --rng src=PATH         virtio-rng entropy source (default\n"
	"                         /dev/urandom)\n"
	"  --net tap=NAME|fd=N[,ip=IP][,mask=MASK][,mac=MAC][,host_mac=MAC]\n"
	"        [,mtu=N][,num_queues=N][,queue_size=N][,id=ID]\n"
	"        [,offload_csum=on|off][,offload_tso=on|off][,offload_ufo=on|off]\n"
	"                         virtio-net on a TAP (created when tap= names\n"
	"                         none, or empty); ip/mask set the host side and\n"
	"                         bring it up; num_queues even, 2..32 (one\n"
	"                         thread per pair); random local MAC; repeat\n"
	"                         for more NICs (at most 8), id default _net0...\n"
	"  --vsock cid=N,socket=PATH[,id=ID]\n"
	"                         virtio-vsock: host clients connect to PATH and\n"
	"                         send \"CONNECT <port>\"; guest connections to\n"
	"                         port P go to PATH_P\n"
	"  --pmem file=PATH[,size=SIZE][,discard_writes=on|off][,id=ID]\n"
	"                         virtio-pmem: PATH mapped into guest memory\n"
	"                         (/dev/pmemN); discard_writes maps it private\n"
	"                         (at most 8)\n"
	"\n"
	"  --pvpanic              pvpanic PCI device: a guest panic becomes an\n"
	"                         event\n"
	"\n"
	"Management:\n"
	"  --api-socket path=PATH|fd=N\n"
	"                         serve the REST API on this UNIX socket; with\n"
	"                         no --kernel, wait for vm.create and vm.boot\n"
	"  --event-monitor path=PATH|fd=N\n"
	"                         write one JSON object per event there\n"
	"  --seccomp true|false|log\n"
	"                         system-call filter per thread (default true)\n"
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
	int ret;

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
	ret = cli_disk_default_ids(st);
	if (ret)
		return ret;
	return cli_net_default_ids(st);
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
	cfg->api.fd = -1;
	cfg->event_monitor.fd = -1;
	cfg->seccomp = SECCOMP_ON;
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
		&cfg->vsock.socket,
		&cfg->vsock.id,
		&cfg->api.path,
		&cfg->event_monitor.path,
	};

	for (i = 0; i < ARRAY_SIZE(owned); i++) {
		free(*owned[i]);
		*owned[i] = NULL;
	}
	/* Every slot, whatever nr_disks says: unused ones are NULL. */
	for (i = 0; i < CONFIG_MAX_DISKS; i++)
		cli_disk_free(&cfg->disks[i]);
	for (i = 0; i < CONFIG_MAX_NETS; i++) {
		free(cfg->nets[i].tap);
		free(cfg->nets[i].id);
		cfg->nets[i].tap = cfg->nets[i].id = NULL;
	}
	for (i = 0; i < CONFIG_MAX_PMEMS; i++) {
		free(cfg->pmems[i].file);
		free(cfg->pmems[i].id);
		cfg->pmems[i].file = cfg->pmems[i].id = NULL;
	}
}
