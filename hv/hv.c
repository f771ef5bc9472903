// SPDX-License-Identifier: Apache-2.0
/*
 * hv.c - core-side glue around the plugin ABI: ops-table checks and
 * exit-reason names.  Pure functions over static const tables.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hv/hv_call.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The mandatory [M] ops of hv/hv.h, in table order. */
#define HV_MANDATORY(op)            \
	{                           \
#op, HV_OPS_END(op) \
	}
static const struct {
	const char *name;
	size_t end;
} hv_mandatory_ops[] = {
	HV_MANDATORY(probe),	     HV_MANDATORY(open),
	HV_MANDATORY(close),	     HV_MANDATORY(get_caps),
	HV_MANDATORY(vm_create),     HV_MANDATORY(vm_destroy),
	HV_MANDATORY(map_memory),    HV_MANDATORY(unmap_memory),
	HV_MANDATORY(vcpu_create),   HV_MANDATORY(vcpu_destroy),
	HV_MANDATORY(vcpu_run),	     HV_MANDATORY(vcpu_kick),
	HV_MANDATORY(vcpu_get_regs), HV_MANDATORY(vcpu_set_regs),
};

static const char *const hv_exit_names[HV_EXIT_REASON_MAX] = {
	[HV_EXIT_NONE] = "none",
	[HV_EXIT_MMIO] = "mmio",
	[HV_EXIT_PIO] = "pio",
	[HV_EXIT_HLT] = "hlt",
	[HV_EXIT_INTR] = "intr",
	[HV_EXIT_SHUTDOWN] = "shutdown",
	[HV_EXIT_RESET] = "reset",
	[HV_EXIT_HYPERCALL] = "hypercall",
	[HV_EXIT_MSR] = "msr",
	[HV_EXIT_DEBUG] = "debug",
	[HV_EXIT_FAIL_ENTRY] = "fail_entry",
	[HV_EXIT_INTERNAL] = "internal",
	[HV_EXIT_UNKNOWN] = "unknown",
	[HV_EXIT_EOI] = "eoi",
};

/* Read the function pointer that ends at `end` without naming its type. */
static int hv_fn_at(const struct hv_ops *ops, size_t end)
{
	void (*fn)(void);

	memcpy(&fn, (const char *)ops + end - sizeof(fn), sizeof(fn));
	return fn != NULL;
}

int hv_op_present(const struct hv_ops *ops, size_t end)
{
	size_t first = HV_OPS_END(probe);

	if (!ops || end < first || end > sizeof(*ops))
		return 0;
	/* Every op is one function pointer, laid out back to back. */
	if ((end - first) % sizeof(void (*)(void)))
		return 0;
	if (ops->size < end)
		return 0;
	return hv_fn_at(ops, end);
}

int hv_check_ops(const struct hv_ops *ops, char *err, size_t errlen)
{
	size_t need = 0;
	size_t i;

	if (!ops) {
		if (errlen)
			snprintf(err, errlen, "no ops table");
		return -EINVAL;
	}
	for (i = 0; i < ARRAY_SIZE(hv_mandatory_ops); i++)
		if (hv_mandatory_ops[i].end > need)
			need = hv_mandatory_ops[i].end;
	if (ops->size < need) {
		if (errlen)
			snprintf(
				err, errlen,
				"ops table too short: size %u < %zu (host needs every mandatory op up to %s)",
				ops->size, need,
				hv_mandatory_ops[ARRAY_SIZE(hv_mandatory_ops) -
						 1]
					.name);
		return -EINVAL;
	}
	for (i = 0; i < ARRAY_SIZE(hv_mandatory_ops); i++) {
		if (!hv_fn_at(ops, hv_mandatory_ops[i].end)) {
			if (errlen)
				snprintf(err, errlen,
					 "mandatory op %s is missing (NULL)",
					 hv_mandatory_ops[i].name);
			return -EINVAL;
		}
	}
	return 0;
}

const char *hv_exit_reason_name(uint32_t reason)
{
	if (reason >= ARRAY_SIZE(hv_exit_names) || !hv_exit_names[reason])
		return "unknown(?)";
	return hv_exit_names[reason];
}

const char *hv_exit_reason_fmt(uint32_t reason, char *buf, size_t len)
{
	if (reason < ARRAY_SIZE(hv_exit_names) && hv_exit_names[reason])
		return hv_exit_names[reason];
	if (!buf || !len)
		return "unknown(?)";
	snprintf(buf, len, "unknown(%u)", reason);
	return buf;
}
