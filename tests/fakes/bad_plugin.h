/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bad_plugin.h - a minimal valid hypervisor plugin, for the broken test
 * plugins tests/fakes/bad_*.c (each becomes build/plugins/hv-bad-*.so).
 *
 * Each broken plugin starts from this table and descriptor and breaks
 * exactly one thing, so the loader test proves that refusal is caused by
 * that defect and no other.  The stubs are never meant to run: probe says
 * -ENODEV and everything else -ENOSYS.  Include from one .c file only.
 */
#ifndef NIMBUS_TESTS_BAD_PLUGIN_H
#define NIMBUS_TESTS_BAD_PLUGIN_H

#include <errno.h>
#include <stddef.h>

#include "hv/hv.h"
#include "plugins/plugin.h"

#define BAD_STUB __attribute__((unused)) static

BAD_STUB int bad_probe(const struct hv_host *h)
{
	return -ENODEV;
}

BAD_STUB int bad_open(const struct hv_host *h, struct hv **out)
{
	return -ENOSYS;
}

BAD_STUB void bad_close(struct hv *hv)
{
}

BAD_STUB int bad_get_caps(struct hv *hv, struct hv_caps *caps)
{
	return -ENOSYS;
}

BAD_STUB int bad_vm_create(struct hv *hv, const struct hv_vm_config *cfg,
			   struct hv_vm **out)
{
	return -ENOSYS;
}

BAD_STUB void bad_vm_destroy(struct hv_vm *vm)
{
}

BAD_STUB int bad_map_memory(struct hv_vm *vm, uint64_t gpa, uint64_t size,
			    void *hva, uint32_t flags)
{
	return -ENOSYS;
}

BAD_STUB int bad_unmap_memory(struct hv_vm *vm, uint64_t gpa, uint64_t size)
{
	return -ENOSYS;
}

BAD_STUB int bad_vcpu_create(struct hv_vm *vm, uint32_t id,
			     const struct hv_vcpu_config *cfg, void *cookie,
			     struct hv_vcpu **out)
{
	return -ENOSYS;
}

BAD_STUB void bad_vcpu_destroy(struct hv_vcpu *vcpu)
{
}

BAD_STUB int bad_vcpu_run(struct hv_vcpu *vcpu, struct hv_exit *exit)
{
	return -ENOSYS;
}

BAD_STUB void bad_vcpu_kick(struct hv_vcpu *vcpu)
{
}

BAD_STUB int bad_vcpu_get_regs(struct hv_vcpu *vcpu, uint32_t set, void *buf,
			       size_t len)
{
	return -ENOSYS;
}

BAD_STUB int bad_vcpu_set_regs(struct hv_vcpu *vcpu, uint32_t set,
			       const void *buf, size_t len)
{
	return -ENOSYS;
}

/* Every mandatory op, for a struct hv_ops initializer. */
#define BAD_MANDATORY_OPS                                                 \
	.probe = bad_probe, .open = bad_open, .close = bad_close,         \
	.get_caps = bad_get_caps, .vm_create = bad_vm_create,             \
	.vm_destroy = bad_vm_destroy, .map_memory = bad_map_memory,       \
	.unmap_memory = bad_unmap_memory, .vcpu_create = bad_vcpu_create, \
	.vcpu_destroy = bad_vcpu_destroy, .vcpu_run = bad_vcpu_run,       \
	.vcpu_kick = bad_vcpu_kick, .vcpu_get_regs = bad_vcpu_get_regs,   \
	.vcpu_set_regs = bad_vcpu_set_regs

/* The descriptor fields no broken plugin changes; each one sets .magic,
 * .abi_major and .name itself (overriding would trip -Woverride-init). */
#define BAD_DESC_FIELDS(opsp)                         \
	.kind = PLUGIN_HV, .abi_minor = HV_ABI_MINOR, \
	.desc_size = sizeof(struct plugin_desc),      \
	.build_id = "broken test plugin", .ops = (opsp)

#endif /* NIMBUS_TESTS_BAD_PLUGIN_H */
