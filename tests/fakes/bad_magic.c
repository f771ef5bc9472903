// SPDX-License-Identifier: Apache-2.0
/* hv-bad-magic.so: a valid plugin whose descriptor magic is byte-swapped. */
#include "tests/fakes/bad_plugin.h"

static const struct hv_ops bad_ops = {
	.size = sizeof(struct hv_ops),
	BAD_MANDATORY_OPS,
};

PLUGIN_EXPORT const struct plugin_desc nimbus_plugin_desc = {
	.magic = __builtin_bswap32(PLUGIN_MAGIC),
	.abi_major = HV_ABI_MAJOR,
	.name = "bad-magic",
	BAD_DESC_FIELDS(&bad_ops),
};
