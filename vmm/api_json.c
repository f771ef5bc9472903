// SPDX-License-Identifier: Apache-2.0
/*
 * api_json.c - VmConfig JSON -> struct vm_config (see api_json.h): the
 * field machinery, the VM-wide objects and the top level; the device
 * arrays are in api_json_dev.c.
 *
 * Each JSON object is described by a table of fields: the CH name, a
 * kind (string, toggle, bounded integer, nested parser, or a CH field
 * Nimbus lacks) and where the value goes.  api_json_parse_object() walks the
 * object's keys against the table, so unknown keys, wrong types and
 * out-of-range numbers are refused in one place; the per-object
 * functions then apply defaults and cross-field rules.  JSON null means
 * "not given" everywhere (CH writes null for unset options).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vmm/api_json.h"
#include "vmm/api_json_priv.h"
#include "vmm/cli.h"

/* --- the field machinery ------------------------------------------------ */

int api_json_err(struct api_json_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->err && c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err, c->errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

int api_json_nomem(struct api_json_ctx *c)
{
	api_json_err(c, "out of memory");
	return -ENOMEM;
}

static bool is_default(const json_t *v, const struct api_json_field *f)
{
	switch (json_typeof(v)) {
	case JSON_NULL:
	case JSON_FALSE:
		return true;
	case JSON_TRUE:
		return f->kind == FK_LATER_TRUE;
	case JSON_INTEGER:
		return json_integer_value(v) == 0;
	case JSON_STRING:
		return json_string_length(v) == 0 ||
		       (f->dflt && !strcasecmp(json_string_value(v), f->dflt));
	case JSON_ARRAY:
		return json_array_size(v) == 0;
	case JSON_OBJECT:
		return json_object_size(v) == 0;
	default:
		return false;
	}
}

static int field_value(struct api_json_ctx *c, const char *where,
		       const json_t *v, const struct api_json_field *f,
		       void *base)
{
	void *dst = (char *)base + f->off;
	json_int_t n;

	if (json_is_null(v))
		return 0;
	switch (f->kind) {
	case FK_STR:
		if (!json_is_string(v))
			return api_json_err(c, "%s: must be a string", where);
		if (!json_string_length(v))
			return api_json_err(c, "%s: must not be empty", where);
		free(*(char **)dst);
		*(char **)dst = strdup(json_string_value(v));
		return *(char **)dst ? 0 : api_json_nomem(c);
	case FK_BOOL:
	case FK_BOOL8:
		if (!json_is_boolean(v))
			return api_json_err(c, "%s: must be true or false",
					    where);
		if (f->kind == FK_BOOL)
			*(int *)dst = json_is_true(v);
		else
			*(uint8_t *)dst = (uint8_t)json_is_true(v);
		return 0;
	case FK_U16:
	case FK_U32:
	case FK_U64:
		if (!json_is_integer(v))
			return api_json_err(c, "%s: must be an integer", where);
		n = json_integer_value(v);
		if (n < 0 || (uint64_t)n < f->min || (uint64_t)n > f->max)
			return api_json_err(c, "%s: %lld is outside %llu..%llu",
					    where, (long long)n,
					    (unsigned long long)f->min,
					    (unsigned long long)f->max);
		if (f->kind == FK_U16)
			*(uint16_t *)dst = (uint16_t)n;
		else if (f->kind == FK_U32)
			*(uint32_t *)dst = (uint32_t)n;
		else
			*(uint64_t *)dst = (uint64_t)n;
		return 0;
	case FK_FN:
		return f->fn(c, where, v, base);
	default:
		if (!is_default(v, f))
			return api_json_err(c, "%s is not supported yet",
					    where);
		return 0;
	}
}

/* Walk obj's keys against the table; `prefix` names obj in messages. */
int api_json_parse_object(struct api_json_ctx *c, const json_t *obj,
			  const char *prefix,
			  const struct api_json_field *fields, size_t nr,
			  void *base)
{
	const char *key;
	json_t *v;
	void *it;
	char where[128];
	size_t i;
	int ret;

	if (!json_is_object(obj))
		return api_json_err(c, "%s: must be an object", prefix);
	for (it = json_object_iter((json_t *)obj); it;
	     it = json_object_iter_next((json_t *)obj, it)) {
		key = json_object_iter_key(it);
		v = json_object_iter_value(it);
		for (i = 0; i < nr; i++)
			if (!strcmp(key, fields[i].name))
				break;
		if (prefix[0])
			snprintf(where, sizeof(where), "%s.%.48s", prefix, key);
		else
			snprintf(where, sizeof(where), "%.48s", key);
		if (i == nr)
			return api_json_err(c, "unknown field '%s'", where);
		ret = field_value(c, where, v, &fields[i], base);
		if (ret)
			return ret;
	}
	return 0;
}

/* --- payload, cpus, memory ---------------------------------------------- */

static const struct api_json_field payload_fields[] = {
	FSTR("kernel", struct payload_config, kernel),
	FSTR("initramfs", struct payload_config, initramfs),
	FSTR("cmdline", struct payload_config, cmdline),
	FLATER("firmware"),
	FLATER("igvm"),
	FLATER("host_data"),
};

static int parse_payload(struct api_json_ctx *c, const char *where,
			 const json_t *v, void *base)
{
	struct vm_config *cfg = base;
	int ret = api_json_parse_object(c, v, where, payload_fields,
					NFIELDS(payload_fields), &cfg->payload);

	if (!ret && !cfg->payload.kernel)
		return api_json_err(c, "payload.kernel is required");
	return ret;
}

static const struct api_json_field cpus_fields[] = {
	FU32("boot_vcpus", struct cpus_config, boot, 1, CLI_CPUS_MAX),
	FU32("max_vcpus", struct cpus_config, max, 1, CLI_CPUS_MAX),
	FLATER("topology"),
	FLATER("kvm_hyperv"),
	FLATER("max_phys_bits"),
	FLATER_TRUE("nested"),
	FLATER("affinity"),
	FLATER("features"),
	FLATER_STR("core_scheduling", "Vm"),
};

static int parse_cpus(struct api_json_ctx *c, const char *where,
		      const json_t *v, void *base)
{
	struct vm_config *cfg = base;
	int ret;

	cfg->cpus.max = 0;
	ret = api_json_parse_object(c, v, where, cpus_fields,
				    NFIELDS(cpus_fields), &cfg->cpus);
	if (ret)
		return ret;
	if (!cfg->cpus.max)
		cfg->cpus.max = cfg->cpus.boot;
	if (cfg->cpus.max < cfg->cpus.boot)
		return api_json_err(
			c, "cpus.max_vcpus (%u) is below boot_vcpus (%u)",
			cfg->cpus.max, cfg->cpus.boot);
	return 0;
}

static const struct api_json_field memory_fields[] = {
	FU64("size", struct memory_config, size, CLI_MEM_MIN, CLI_MEM_MAX),
	FLATER("hotplug_size"),
	FLATER("hotplugged_size"),
	FLATER("mergeable"),
	FLATER_STR("hotplug_method", "Acpi"),
	FLATER("shared"),
	FLATER("hugepages"),
	FLATER("hugepage_size"),
	FLATER("prefault"),
	FLATER("reserve"),
	FLATER_TRUE("thp"),
	FLATER("zones"),
};

static int parse_memory(struct api_json_ctx *c, const char *where,
			const json_t *v, void *base)
{
	struct vm_config *cfg = base;
	int ret = api_json_parse_object(c, v, where, memory_fields,
					NFIELDS(memory_fields), &cfg->memory);

	if (!ret && cfg->memory.size % CLI_MEM_ALIGN)
		return api_json_err(c,
				    "memory.size must be a multiple of 4096");
	return ret;
}

/* --- serial, console ---------------------------------------------------- */

static const char *const mode_names[] = {
	[CONSOLE_OFF] = "Off", [CONSOLE_NULL] = "Null",
	[CONSOLE_TTY] = "Tty", [CONSOLE_FILE] = "File",
	[CONSOLE_PTY] = "Pty", [CONSOLE_SOCKET] = "Socket",
};

const char *api_json_console_mode_name(int mode)
{
	if (mode < 0 || (size_t)mode >= NFIELDS(mode_names))
		return "Off";
	return mode_names[mode];
}

/* The JSON form of a console_config before validation. */
struct cons_json {
	char *mode;
	char *file;
	char *socket;
};

static const struct api_json_field cons_fields[] = {
	FSTR("mode", struct cons_json, mode),
	FSTR("file", struct cons_json, file),
	FSTR("socket", struct cons_json, socket),
	FLATER("iommu"),
	FLATER("id"),
};

static int parse_cons(struct api_json_ctx *c, const char *where,
		      const json_t *v, struct console_config *cc,
		      bool socket_ok)
{
	struct cons_json j = { 0 };
	int mode = -1, ret;
	size_t i;

	ret = api_json_parse_object(c, v, where, cons_fields,
				    NFIELDS(cons_fields), &j);
	if (ret)
		goto out;
	ret = -EINVAL;
	if (!j.mode) {
		api_json_err(c, "%s.mode is required", where);
		goto out;
	}
	for (i = 0; i < NFIELDS(mode_names); i++)
		if (!strcasecmp(j.mode, mode_names[i]))
			mode = (int)i;
	if (mode < 0) {
		api_json_err(
			c,
			"%s.mode: '%.32s' is not Off, Null, Tty, Pty, File or Socket",
			where, j.mode);
		goto out;
	}
	if (mode == CONSOLE_SOCKET && !socket_ok) {
		api_json_err(c, "%s.mode Socket is not supported yet", where);
		goto out;
	}
	if ((mode == CONSOLE_FILE) != !!j.file ||
	    (mode == CONSOLE_SOCKET) != !!j.socket) {
		api_json_err(
			c,
			"%s: mode File needs file, mode Socket needs socket, "
			"and no other mode takes either",
			where);
		goto out;
	}
	free(cc->path);
	cc->mode = mode;
	cc->path = mode == CONSOLE_FILE ? j.file : j.socket;
	if (mode == CONSOLE_FILE)
		j.file = NULL;
	else
		j.socket = NULL;
	ret = 0;
out:
	free(j.mode);
	free(j.file);
	free(j.socket);
	return ret;
}

static int parse_serial(struct api_json_ctx *c, const char *where,
			const json_t *v, void *base)
{
	return parse_cons(c, where, v, &((struct vm_config *)base)->serial,
			  true);
}

static int parse_console(struct api_json_ctx *c, const char *where,
			 const json_t *v, void *base)
{
	return parse_cons(c, where, v, &((struct vm_config *)base)->console,
			  false);
}

/* --- rng ---------------------------------------------------------------- */

static const struct api_json_field rng_fields[] = {
	FSTR("src", struct rng_config, src),
	FLATER("iommu"),
	FLATER("id"),
	FLATER("pci_segment"),
	FLATER("pci_device_id"),
};

static int parse_rng(struct api_json_ctx *c, const char *where, const json_t *v,
		     void *base)
{
	return api_json_parse_object(c, v, where, rng_fields,
				     NFIELDS(rng_fields),
				     &((struct vm_config *)base)->rng);
}

/* --- VmConfig ------------------------------------------------------------ */

static const struct api_json_field vm_fields[] = {
	FFN("payload", parse_payload),
	FFN("cpus", parse_cpus),
	FFN("memory", parse_memory),
	FFN("disks", api_json_parse_disks),
	FFN("net", api_json_parse_nets),
	FFN("rng", parse_rng),
	FFN("serial", parse_serial),
	FFN("console", parse_console),
	FFN("vsock", api_json_parse_vsock),
	FFN("pmem", api_json_parse_pmems),
	FBOOL("pvpanic", struct vm_config, pvpanic),
	FLATER("rate_limit_groups"),
	FLATER("balloon"),
	FLATER("fs"),
	FLATER("generic_vhost_user"),
	FLATER("debug_console"),
	FLATER("devices"),
	FLATER("user_devices"),
	FLATER("vdpa"),
	FLATER("numa"),
	FLATER("iommu"),
	FLATER("watchdog"),
	FLATER("rtc"),
	FLATER("pci_segments"),
	FLATER("platform"),
	FLATER("tpm"),
	FLATER("landlock_enable"),
	FLATER("landlock_rules"),
	FLATER("sgx_epc"),
	FLATER("preserved_fds"),
};

int api_json_to_vm_config(const json_t *root, struct vm_config *cfg, char *err,
			  size_t errlen)
{
	struct api_json_ctx c = { .err = err, .errlen = errlen, .cfg = cfg };
	int ret;

	if (err && errlen)
		err[0] = '\0';
	memset(cfg, 0, sizeof(*cfg));
	cfg->cpus.boot = cfg->cpus.max = 1;
	cfg->memory.size = CLI_MEM_DEFAULT;
	cfg->serial.mode = CONSOLE_NULL;
	cfg->console.mode = -1; /* default below, after serial is known */
	cfg->api.fd = -1;
	cfg->event_monitor.fd = -1;
	cfg->seccomp = SECCOMP_ON;
	if (!json_is_object(root)) {
		ret = api_json_err(&c, "the VmConfig must be a JSON object");
		goto fail;
	}
	if (!json_object_get(root, "payload") ||
	    json_is_null(json_object_get(root, "payload"))) {
		ret = api_json_err(&c, "payload is required");
		goto fail;
	}
	ret = api_json_parse_object(&c, root, "", vm_fields, NFIELDS(vm_fields),
				    cfg);
	if (ret)
		goto fail;
	if (cfg->console.mode < 0)
		cfg->console.mode = cfg->serial.mode == CONSOLE_TTY ?
					    CONSOLE_OFF :
					    CONSOLE_TTY;
	if (cfg->serial.mode == CONSOLE_TTY &&
	    cfg->console.mode == CONSOLE_TTY) {
		ret = api_json_err(&c, "serial and console cannot both be Tty");
		goto fail;
	}
	if (!cfg->rng.src) {
		cfg->rng.src = strdup(CLI_RNG_DEFAULT);
		if (!cfg->rng.src) {
			ret = api_json_nomem(&c);
			goto fail;
		}
	}
	return 0;
fail:
	vm_config_free(cfg);
	return ret;
}

int api_json_parse_vm_config(const char *buf, size_t len, struct vm_config *cfg,
			     char *err, size_t errlen)
{
	json_error_t jerror;
	json_t *root;
	int ret;

	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerror);
	if (!root) {
		memset(cfg, 0, sizeof(*cfg));
		if (err && errlen)
			snprintf(err, errlen,
				 "invalid JSON at line %d column %d: %s",
				 jerror.line, jerror.column, jerror.text);
		return -EINVAL;
	}
	ret = api_json_to_vm_config(root, cfg, err, errlen);
	json_decref(root);
	return ret;
}

int api_json_check_keys(const json_t *obj, const char *where,
			const char *const *allowed, char *err, size_t errlen)
{
	const char *key;
	void *it;
	size_t i;

	if (!json_is_object(obj)) {
		snprintf(err, errlen, "%s: must be a JSON object", where);
		return -EINVAL;
	}
	for (it = json_object_iter((json_t *)obj); it;
	     it = json_object_iter_next((json_t *)obj, it)) {
		key = json_object_iter_key(it);
		for (i = 0; allowed[i]; i++)
			if (!strcmp(key, allowed[i]))
				break;
		if (!allowed[i]) {
			snprintf(err, errlen, "%s: unknown field '%.48s'",
				 where, key);
			return -EINVAL;
		}
	}
	return 0;
}
