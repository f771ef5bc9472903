// SPDX-License-Identifier: Apache-2.0
/* hv-bad-missing_op.so: a full-size ops table without the mandatory
 * vcpu_run. */
#include "tests/fakes/bad_plugin.h"

static const struct hv_ops bad_ops = {
	.size = sizeof(struct hv_ops),
	.probe = bad_probe,
	.open = bad_open,
	.close = bad_close,
	.get_caps = bad_get_caps,
	.vm_create = bad_vm_create,
	.vm_destroy = bad_vm_destroy,
	.map_memory = bad_map_memory,
	.unmap_memory = bad_unmap_memory,
	.vcpu_create = bad_vcpu_create,
	.vcpu_destroy = bad_vcpu_destroy,
	.vcpu_kick = bad_vcpu_kick,
	.vcpu_get_regs = bad_vcpu_get_regs,
	.vcpu_set_regs = bad_vcpu_set_regs,
};

PLUGIN_EXPORT const struct plugin_desc nimbus_plugin_desc = {
	.magic = PLUGIN_MAGIC,
	.abi_major = HV_ABI_MAJOR,
	.name = "bad-missing_op",
	BAD_DESC_FIELDS(&bad_ops),
};
