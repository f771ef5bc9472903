// SPDX-License-Identifier: Apache-2.0
/*
 * hv-bad-probe.so: a plugin that passes every load check but whose probe
 * reports -ENODEV (no such hypervisor here), for plugin_select's probe
 * handling.
 */
#include "tests/fakes/bad_plugin.h"

static const struct hv_ops bad_ops = {
	.size = sizeof(struct hv_ops),
	BAD_MANDATORY_OPS,
};

PLUGIN_EXPORT const struct plugin_desc nimbus_plugin_desc = {
	.magic = PLUGIN_MAGIC,
	.abi_major = HV_ABI_MAJOR,
	.name = "bad-probe",
	BAD_DESC_FIELDS(&bad_ops),
};
