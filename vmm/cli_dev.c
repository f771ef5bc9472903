// SPDX-License-Identifier: Apache-2.0
/*
 * cli_dev.c - the device options of the `nimbus` command line: --serial
 * and --console (one mode each), --disk (repeatable key=value lists) and
 * --rng.  Called from the option table in cli.c; like the rest of the
 * parser it never logs and reports problems through st->err.
 */
#define LOG_MOD "cli"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vmm/cli.h"
#include "devices/virtio/virtio_blk.h"
#include "vmm/cli_priv.h"
#include "vmm/log.h"

/* ---- --serial, --console ---------------------------------------------- */

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

int cli_opt_serial(struct cli_state *st, const struct cli_opt *opt,
		   const char *val)
{
	return opt_cons(st, opt, val, &serial_kind, &st->cfg->serial);
}

int cli_opt_console(struct cli_state *st, const struct cli_opt *opt,
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

void cli_disk_free(struct disk_config *d)
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
	/* Nimbus's own key: the benchmark compares the engines with it. */
	if (!strcmp(k, "io_engine")) {
		if (!strcmp(v, "auto"))
			d->io_engine = BLK_ENGINE_AUTO;
		else if (!strcmp(v, "io_uring"))
			d->io_engine = BLK_ENGINE_IO_URING;
		else if (!strcmp(v, "sync"))
			d->io_engine = BLK_ENGINE_SYNC;
		else
			return cli_err(
				st,
				"--disk: io_engine=%.*s is not auto, io_uring or sync",
				vlen, v);
		return 0;
	}
	return cli_bad_key(st, opt, k, disk_later_keys,
			   ARRAY_SIZE(disk_later_keys));
}

/* One disk: a whole key=value list, all or nothing. */
int cli_opt_disk(struct cli_state *st, const struct cli_opt *opt,
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
		cli_disk_free(&d);
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
int cli_disk_default_ids(struct cli_state *st)
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

int cli_opt_rng(struct cli_state *st, const struct cli_opt *opt,
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
