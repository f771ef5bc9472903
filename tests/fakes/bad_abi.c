// SPDX-License-Identifier: Apache-2.0
/* hv-bad-abi.so: a valid plugin built for the next ABI major version. */
#include "tests/fakes/bad_plugin.h"

static const struct hv_ops bad_ops = {
	.size = sizeof(struct hv_ops),
	BAD_MANDATORY_OPS,
};

PLUGIN_EXPORT const struct plugin_desc nimbus_plugin_desc = {
	.magic = PLUGIN_MAGIC,
	.abi_major = HV_ABI_MAJOR + 1,
	.name = "bad-abi",
	BAD_DESC_FIELDS(&bad_ops),
};
