// SPDX-License-Identifier: Apache-2.0
/*
 * e820.c - the guest memory map shared by the bzImage and PVH loaders.
 */
#include <errno.h>

#define LOG_MOD "x86-e820"
#include "arch/x86_64/boot.h"
#include "arch/x86_64/layout.h"
#include "vmm/log.h"

#define E820_PAGE_MASK 0xfffull

/* The reserved entry must cover the ACPI tables (see boot.h). */
_Static_assert(X86_ACPI_BASE >= X86_EBDA_START &&
		       X86_ACPI_BASE + X86_ACPI_MAX <= X86_HIMEM_START,
	       "ACPI tables outside the reserved low range");

void x86_mem_layout_from_size(uint64_t mem_size, struct x86_mem_layout *l)
{
	if (mem_size <= X86_MMIO_HOLE_START) {
		l->low_size = mem_size;
		l->high_size = 0;
	} else {
		l->low_size = X86_MMIO_HOLE_START;
		l->high_size = mem_size - X86_MMIO_HOLE_START;
	}
}

static int e820_add(struct x86_e820_entry *out, unsigned int max,
		    unsigned int *n, uint64_t addr, uint64_t size,
		    uint32_t type)
{
	if (*n >= max)
		return -ENOSPC;
	out[*n].addr = addr;
	out[*n].size = size;
	out[*n].type = type;
	(*n)++;
	return 0;
}

int x86_e820_build(const struct x86_mem_layout *l, struct x86_e820_entry *out,
		   unsigned int max, unsigned int *nr)
{
	unsigned int n = 0;
	int ret;

	if (!l || !nr || (max && !out))
		return -EINVAL;
	if ((l->low_size | l->high_size) & E820_PAGE_MASK ||
	    l->low_size <= X86_HIMEM_START ||
	    l->low_size > X86_MMIO_HOLE_START ||
	    l->high_size > UINT64_MAX - X86_HIGH_RAM_START)
		return -EINVAL;

	ret = e820_add(out, max, &n, 0, X86_EBDA_START, X86_E820_RAM);
	if (ret)
		return ret;
	ret = e820_add(out, max, &n, X86_EBDA_START,
		       X86_HIMEM_START - X86_EBDA_START, X86_E820_RESERVED);
	if (ret)
		return ret;
	ret = e820_add(out, max, &n, X86_HIMEM_START,
		       l->low_size - X86_HIMEM_START, X86_E820_RAM);
	if (ret)
		return ret;
	if (l->high_size) {
		ret = e820_add(out, max, &n, X86_HIGH_RAM_START, l->high_size,
			       X86_E820_RAM);
		if (ret)
			return ret;
	}
	*nr = n;
	return 0;
}
