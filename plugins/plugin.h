/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugin.h - the descriptor every Nimbus plugin exports.
 *
 * A plugin is a shared object named <kind>-<name>.so (hv-kvm.so) that
 * exports exactly one visible symbol, PLUGIN_DESC_SYMBOL, of type
 * `const struct plugin_desc`.  The loader (plugins/loader.c) checks magic,
 * kind, ABI major and table sizes before it trusts anything else in it.
 * Self-contained: C99 + stdint only.
 */
#ifndef NIMBUS_PLUGIN_H
#define NIMBUS_PLUGIN_H

#include <stdint.h>

#define PLUGIN_DESC_SYMBOL "nimbus_plugin_desc"
#define PLUGIN_MAGIC 0x564d4d31u

enum plugin_kind {
	PLUGIN_HV = 1,
};

struct plugin_desc {
	uint32_t magic; /* PLUGIN_MAGIC */
	uint32_t kind; /* enum plugin_kind */
	uint16_t abi_major; /* must equal the host's (HV_ABI_MAJOR) */
	uint16_t abi_minor; /* may be older; ops->size says what exists */
	uint32_t desc_size; /* sizeof(struct plugin_desc) at build time */
	const char *name; /* "kvm"; must match the file name hv-kvm.so */
	const char *build_id; /* free text, logged, never compared */
	const void *ops; /* kind-specific: const struct hv_ops * */
};

/* Mark the descriptor as the one exported symbol of a plugin. */
#define PLUGIN_EXPORT __attribute__((visibility("default")))

#endif /* NIMBUS_PLUGIN_H */
