// SPDX-License-Identifier: Apache-2.0
/*
 * hv-bad-short_ops.so: every mandatory op is set, but ops->size claims a
 * table that ends before vcpu_run, as an old or miscompiled plugin would.
 */
#include "tests/fakes/bad_plugin.h"

static const struct hv_ops bad_ops = {
	.size = offsetof(struct hv_ops, vcpu_run),
	BAD_MANDATORY_OPS,
};

PLUGIN_EXPORT const struct plugin_desc nimbus_plugin_desc = {
	.magic = PLUGIN_MAGIC,
	.abi_major = HV_ABI_MAJOR,
	.name = "bad-short_ops",
	BAD_DESC_FIELDS(&bad_ops),
};
