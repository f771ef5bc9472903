// SPDX-License-Identifier: Apache-2.0
/*
 * hv-bad-no_desc.so: a valid descriptor that is not exported (the plugin
 * forgot PLUGIN_EXPORT and is built with -fvisibility=hidden), so dlsym
 * cannot find nimbus_plugin_desc.
 */
#include "tests/fakes/bad_plugin.h"

static const struct hv_ops bad_ops = {
	.size = sizeof(struct hv_ops),
	BAD_MANDATORY_OPS,
};

__attribute__((visibility("hidden"), used))
const struct plugin_desc nimbus_plugin_desc = {
	.magic = PLUGIN_MAGIC,
	.abi_major = HV_ABI_MAJOR,
	.name = "bad-no_desc",
	BAD_DESC_FIELDS(&bad_ops),
};
