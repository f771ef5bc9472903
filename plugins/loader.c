// SPDX-License-Identifier: Apache-2.0
/*
 * loader.c - find, dlopen and validate hypervisor plugins.
 *
 * Nothing in a plugin is trusted before the descriptor checks pass: the
 * checks run in a fixed order (file, dlopen, symbol, magic, kind, sizes,
 * ABI major, name, ops) and each one only reads what the previous ones
 * proved is there.  All state lives in the caller's struct plugin.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hv/hv_call.h"
#include "plugins/loader.h"

#define LOG_MOD "plugin"
#include "vmm/log.h"

#define PLUGIN_NAME_MAX 64

/* Bytes of struct plugin_desc the host reads (everything up to ops). */
#define PLUGIN_DESC_MIN                      \
	(offsetof(struct plugin_desc, ops) + \
	 sizeof(((struct plugin_desc *)0)->ops))

/* Append-only message builder over the caller's err buffer. */
struct msg {
	char *buf;
	size_t len;
	size_t pos;
};

static void msg_init(struct msg *m, char *buf, size_t len)
{
	m->buf = buf;
	m->len = buf ? len : 0;
	m->pos = 0;
	if (m->len)
		buf[0] = '\0';
}

__attribute__((format(printf, 2, 0))) static void
msg_vadd(struct msg *m, const char *fmt, va_list ap)
{
	int n;

	if (m->pos + 1 >= m->len)
		return;
	n = vsnprintf(m->buf + m->pos, m->len - m->pos, fmt, ap);
	if (n < 0)
		return;
	m->pos += (size_t)n;
	if (m->pos >= m->len)
		m->pos = m->len - 1;
}

__attribute__((format(printf, 2, 3))) static void msg_add(struct msg *m,
							  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msg_vadd(m, fmt, ap);
	va_end(ap);
}

/* Keep the message on one line whatever dlerror() or strerror() said. */
static void msg_one_line(struct msg *m)
{
	size_t i;

	for (i = 0; i < m->pos && m->buf[i]; i++)
		if (m->buf[i] == '\n' || m->buf[i] == '\r')
			m->buf[i] = ' ';
}

/* Fill err with "nimbus: plugin <what>: <reason>" on one line. */
__attribute__((format(printf, 4, 5))) static void
plugin_err(char *err, size_t errlen, const char *what, const char *fmt, ...)
{
	struct msg m;
	va_list ap;

	msg_init(&m, err, errlen);
	msg_add(&m, "nimbus: plugin %s: ", what);
	va_start(ap, fmt);
	msg_vadd(&m, fmt, ap);
	va_end(ap);
	msg_one_line(&m);
}

/* 1 if s is 1..PLUGIN_NAME_MAX-1 characters, all in [a-z0-9_] (plus '-'
 * when dash is set).  Reads at most PLUGIN_NAME_MAX bytes of s. */
static int plugin_name_ok(const char *s, int dash)
{
	size_t n;

	if (!s)
		return 0;
	for (n = 0; n < PLUGIN_NAME_MAX && s[n]; n++) {
		char c = s[n];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || (dash && c == '-')))
			return 0;
	}
	return n > 0 && n < PLUGIN_NAME_MAX;
}

/*
 * The descriptor checks shared by files and attached descriptors.  `what`
 * names the origin in messages; `fname` is the file's base name, or NULL
 * when there is no file to match the name against.
 */
static int plugin_check_desc(const struct plugin_desc *d, const char *what,
			     const char *fname, char *err, size_t errlen)
{
	char why[256];
	int ret;

	if (!d) {
		plugin_err(err, errlen, what, "no descriptor");
		return -EINVAL;
	}
	if (d->magic != PLUGIN_MAGIC) {
		plugin_err(err, errlen, what, "bad magic %#010x (want %#010x)",
			   d->magic, PLUGIN_MAGIC);
		return -EINVAL;
	}
	if (d->kind != PLUGIN_HV) {
		plugin_err(err, errlen, what,
			   "kind %u is not a hypervisor plugin (%u)", d->kind,
			   PLUGIN_HV);
		return -EINVAL;
	}
	if (d->desc_size < PLUGIN_DESC_MIN) {
		plugin_err(err, errlen, what,
			   "descriptor size %u too small (need %zu)",
			   d->desc_size, PLUGIN_DESC_MIN);
		return -EINVAL;
	}
	if (d->abi_major != HV_ABI_MAJOR) {
		plugin_err(
			err, errlen, what,
			"ABI major %u (plugin) != %u (host); plugin ABI %u.%u, host ABI %u.%u",
			d->abi_major, HV_ABI_MAJOR, d->abi_major, d->abi_minor,
			HV_ABI_MAJOR, HV_ABI_MINOR);
		return -EPROTO;
	}
	if (!plugin_name_ok(d->name, 1)) {
		plugin_err(err, errlen, what,
			   "descriptor name missing or not [a-z0-9_-]{1,%d}",
			   PLUGIN_NAME_MAX - 1);
		return -EINVAL;
	}
	if (fname) {
		size_t n = strlen(d->name);

		if (strncmp(fname, "hv-", 3) ||
		    strncmp(fname + 3, d->name, n) ||
		    strcmp(fname + 3 + n, ".so")) {
			plugin_err(
				err, errlen, what,
				"descriptor name '%s' does not match file name %s (want hv-%s.so)",
				d->name, fname, d->name);
			return -EINVAL;
		}
	}
	ret = hv_check_ops(d->ops, why, sizeof(why));
	if (ret) {
		plugin_err(err, errlen, what, "%s", why);
		return ret;
	}
	return 0;
}

static void plugin_log_loaded(const struct plugin *p, const char *what)
{
	const char *bid = p->desc->build_id;

	log_info("loaded plugin %s (%s, ABI %u.%u, host %u.%u, build %.64s)",
		 what, p->desc->name, p->desc->abi_major, p->desc->abi_minor,
		 HV_ABI_MAJOR, HV_ABI_MINOR, bid ? bid : "?");
}

int plugin_load_file(const char *path, struct plugin *p, char *err,
		     size_t errlen)
{
	const struct plugin_desc *desc;
	const char *fname;
	struct stat st;
	void *handle;
	int ret;

	memset(p, 0, sizeof(*p));
	if (!path || path[0] != '/') {
		plugin_err(
			err, errlen, path ? path : "(null)",
			"relative path (plugins load from absolute paths only)");
		return -EINVAL;
	}
	if (strlen(path) >= sizeof(p->path)) {
		plugin_err(err, errlen, path, "path too long");
		return -ENAMETOOLONG;
	}
	if (stat(path, &st)) {
		ret = -errno;
		plugin_err(err, errlen, path, "%s", strerror(-ret));
		return ret;
	}
	if (!S_ISREG(st.st_mode)) {
		plugin_err(err, errlen, path, "not a regular file");
		return -EINVAL;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		plugin_err(
			err, errlen, path,
			"writable by group or others (mode %04o); refusing to load",
			(unsigned int)(st.st_mode & 07777));
		return -EPERM;
	}

	dlerror();
	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		const char *e = dlerror();

		plugin_err(err, errlen, path, "dlopen failed: %s",
			   e ? e : "unknown error");
		return -ENOEXEC;
	}
	dlerror();
	desc = dlsym(handle, PLUGIN_DESC_SYMBOL);
	if (!desc) {
		plugin_err(err, errlen, path,
			   "no descriptor (symbol %s not exported)",
			   PLUGIN_DESC_SYMBOL);
		ret = -ENOEXEC;
		goto err_close;
	}
	fname = strrchr(path, '/') + 1;
	ret = plugin_check_desc(desc, path, fname, err, errlen);
	if (ret)
		goto err_close;

	p->handle = handle;
	p->desc = desc;
	p->ops = desc->ops;
	memcpy(p->path, path, strlen(path) + 1);
	plugin_log_loaded(p, path);
	return 0;

err_close:
	dlclose(handle);
	return ret;
}

/*
 * Search hv-<name>.so in the absolute entries of `env` (NIMBUS_PLUGIN_PATH
 * as read by the caller, may be NULL), then in `plugindir`.  Stops at the
 * first file that exists, loaded or not: a broken plugin early in the path
 * must not silently give way to another one.
 */
static int plugin_find(const char *name, const char *env, const char *plugindir,
		       struct plugin *p, char *err, size_t errlen)
{
	char cand[sizeof(p->path)];
	const char *s = env, *e;
	struct msg looked;
	char where[1024];
	int ret, n = 0;

	msg_init(&looked, where, sizeof(where));
	for (;;) {
		const char *dir;
		size_t len;

		if (s) {
			e = strchrnul(s, ':');
			dir = s;
			len = (size_t)(e - s);
			s = *e ? e + 1 : NULL;
		} else if (plugindir) {
			dir = plugindir;
			len = strlen(plugindir);
			plugindir = NULL;
		} else {
			break;
		}
		/* Never the current directory or anything relative to it. */
		if (!len)
			continue;
		if (dir[0] != '/') {
			log_warn("ignoring relative plugin directory '%.*s'",
				 (int)len, dir);
			continue;
		}
		if ((size_t)snprintf(cand, sizeof(cand), "%.*s/hv-%s.so",
				     (int)len, dir, name) >= sizeof(cand))
			continue;
		msg_add(&looked, "%s%.*s", n++ ? ", " : "", (int)len, dir);
		ret = plugin_load_file(cand, p, err, errlen);
		if (ret != -ENOENT && ret != -ENOTDIR)
			return ret;
	}
	plugin_err(
		err, errlen, name, "hv-%s.so not found (looked in: %s)", name,
		n ? where :
		    "nothing; NIMBUS_PLUGIN_PATH and the plugin directory are unset");
	return -ENOENT;
}

int plugin_load_name(const char *name, const char *plugindir, struct plugin *p,
		     char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	if (!plugin_name_ok(name, 1)) {
		plugin_err(err, errlen, name ? name : "(null)",
			   "invalid plugin name (want [a-z0-9_-]+)");
		return -EINVAL;
	}
	return plugin_find(name, getenv("NIMBUS_PLUGIN_PATH"), plugindir, p,
			   err, errlen);
}

/* Probe a loaded plugin; unload it and explain on failure. */
static int plugin_probe(struct plugin *p, const struct hv_host *host, char *err,
			size_t errlen)
{
	int ret = HV_CALL(p->ops, probe, host);

	if (!ret)
		return 0;
	if (ret > 0) /* a plugin bug; do not let it look like success */
		ret = -EPROTO;
	plugin_err(err, errlen, p->path, "probe failed: %s", strerror(-ret));
	plugin_unload(p);
	return ret;
}

/* "auto": kvm, then mshv; not found / -ENODEV / -EACCES mean "next". */
static int plugin_select_auto(const char *env, const char *plugindir,
			      const struct hv_host *host, struct plugin *p,
			      char *err, size_t errlen)
{
	static const char *const names[] = { "kvm", "mshv" };
	char one[512];
	struct msg all;
	size_t i;
	int ret, result = -ENOENT;

	msg_init(&all, err, errlen);
	msg_add(&all, "nimbus: no usable hypervisor (--hv=auto):");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ret = plugin_find(names[i], env, plugindir, p, one,
				  sizeof(one));
		if (!ret)
			ret = plugin_probe(p, host, one, sizeof(one));
		if (!ret) {
			log_info("hypervisor %s selected", names[i]);
			return 0;
		}
		if (ret != -ENOENT && ret != -ENODEV && ret != -EACCES) {
			/* A broken plugin is an error, not a reason to
			 * quietly fall back to another hypervisor. */
			msg_init(&all, err, errlen);
			msg_add(&all, "%s", one);
			return ret;
		}
		/* Report "exists but unusable" over "not found". */
		if (ret != -ENOENT)
			result = ret;
		msg_add(&all, " [%s] %s%s", names[i],
			strncmp(one, "nimbus: ", 8) ? one : one + 8,
			i + 1 < sizeof(names) / sizeof(names[0]) ? ";" : "");
	}
	msg_one_line(&all);
	return result;
}

int plugin_select(const char *hv, const char *explicit_path,
		  const char *plugindir, const struct hv_host *host,
		  struct plugin *p, char *err, size_t errlen)
{
	const char *env;
	int ret;

	memset(p, 0, sizeof(*p));
	if (!host) {
		plugin_err(err, errlen, "(select)",
			   "no host table to probe with");
		return -EINVAL;
	}
	if (explicit_path) {
		ret = plugin_load_file(explicit_path, p, err, errlen);
		return ret ? ret : plugin_probe(p, host, err, errlen);
	}
	env = getenv("NIMBUS_PLUGIN_PATH");
	if (!hv || !strcmp(hv, "auto"))
		return plugin_select_auto(env, plugindir, host, p, err, errlen);
	if (!plugin_name_ok(hv, 0)) {
		plugin_err(
			err, errlen, hv,
			"invalid hypervisor name (want auto, kvm, mshv or [a-z0-9_]+)");
		return -EINVAL;
	}
	ret = plugin_find(hv, env, plugindir, p, err, errlen);
	return ret ? ret : plugin_probe(p, host, err, errlen);
}

int plugin_attach(const struct plugin_desc *desc, struct plugin *p, char *err,
		  size_t errlen)
{
	int ret;

	memset(p, 0, sizeof(*p));
	/* No file name to match; the name is still checked for shape. */
	ret = plugin_check_desc(desc, "(built-in)", NULL, err, errlen);
	if (ret)
		return ret;
	p->desc = desc;
	p->ops = desc->ops;
	plugin_log_loaded(p, "(built-in)");
	return 0;
}

void plugin_unload(struct plugin *p)
{
	if (!p)
		return;
	if (p->handle)
		dlclose(p->handle);
	memset(p, 0, sizeof(*p));
}
