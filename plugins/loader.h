/* SPDX-License-Identifier: Apache-2.0 */
/*
 * loader.h - find, load and check hypervisor plugins.
 *
 * The only code in Nimbus that calls dlopen.  Search order for a plugin
 * named NAME: an explicit path (--hv-plugin), else hv-NAME.so in each
 * directory of $NIMBUS_PLUGIN_PATH (colon separated, absolute entries
 * only), else the compiled-in PLUGINDIR.  Relative paths and the current
 * directory are never searched.  Call from the main thread before the
 * seccomp sandbox is installed.
 */
#ifndef NIMBUS_PLUGINS_LOADER_H
#define NIMBUS_PLUGINS_LOADER_H

#include <stddef.h>

#include "hv/hv.h"
#include "plugins/plugin.h"

struct plugin {
	void *handle; /* dlopen handle; NULL if attached */
	const struct plugin_desc *desc;
	const struct hv_ops *ops;
	char path[4096]; /* file it came from, "" if attached */
};

/*
 * Load the plugin file at `path` and validate it (absolute regular file
 * not writable by group/other, dlopen RTLD_NOW|RTLD_LOCAL, descriptor
 * present, magic, kind, ABI major, desc and ops sizes, mandatory ops).
 * Does not call probe.  On failure returns a negative errno and writes a
 * one-line reason naming the file and versions into err[errlen].
 * -ENOENT missing file, -EINVAL relative path or bad descriptor, -EPERM
 * writable by others, -ENOEXEC not a shared object / no descriptor,
 * -EPROTO ABI major mismatch.  On success *p owns the handle.  On any
 * failure the file is closed again and *p is zeroed.  Also -ENAMETOOLONG
 * for a path that does not fit p->path, and the stat(2) error for files
 * that cannot be examined.  err may be NULL when errlen is 0.
 */
int plugin_load_file(const char *path, struct plugin *p, char *err,
		     size_t errlen);

/*
 * Resolve `name` ("kvm", "mshv", "fake") through $NIMBUS_PLUGIN_PATH and
 * then `plugindir` (may be NULL), load the first hv-NAME.so found.
 * -ENOENT when no candidate exists anywhere; otherwise as plugin_load_file.
 * `name` must match [a-z0-9_-]+ (-EINVAL).  Relative and empty path
 * entries are skipped (with a warning).  The first file that exists
 * decides: if it is refused, the search stops with that error rather than
 * falling back to a later directory.  The -ENOENT message lists every
 * directory searched.
 */
int plugin_load_name(const char *name, const char *plugindir, struct plugin *p,
		     char *err, size_t errlen);

/*
 * Select a hypervisor: `hv` is "auto", "kvm" or "mshv"; `explicit_path`
 * (may be NULL) overrides the search.  Loads candidates and calls
 * ops->probe(host); "auto" tries kvm then mshv, moving on when probe
 * returns -ENODEV or -EACCES or the plugin cannot be found.  On success
 * *p is loaded and probed.  On failure err explains every attempt.
 *
 * Details: a NULL `hv` means "auto"; any other name ("fake") is loaded by
 * that name alone and must match [a-z0-9_]+ (-EINVAL).  An explicit path
 * ignores `hv` entirely and its plugin may have any name.  In "auto", a
 * candidate that exists but is refused by the loader, or whose probe fails
 * with another error, stops the selection with that error.  "auto" with
 * no usable candidate returns -ENOENT when none was found, else the last
 * probe error (-ENODEV/-EACCES).  A probe failure unloads the plugin.
 * `host` must not be NULL (-EINVAL).  Reads $NIMBUS_PLUGIN_PATH once.
 */
int plugin_select(const char *hv, const char *explicit_path,
		  const char *plugindir, const struct hv_host *host,
		  struct plugin *p, char *err, size_t errlen);

/*
 * Validate a descriptor that is linked in statically (tests, built-in
 * backends) with the same checks as a file, without dlopen (there is no
 * file name to match; the name must still be [a-z0-9_-]+).  Messages name
 * the origin "(built-in)".  On success p->handle is NULL and p->path "".
 */
int plugin_attach(const struct plugin_desc *desc, struct plugin *p, char *err,
		  size_t errlen);

/* Release a plugin loaded or attached above and zero *p (NULL and an
 * already zeroed *p are fine).  No VM may still exist. */
void plugin_unload(struct plugin *p);

#endif /* NIMBUS_PLUGINS_LOADER_H */
