// SPDX-License-Identifier: Apache-2.0
/*
 * e820.c - the guest memory map shared by the bzImage and PVH loaders.
 */
#include <errno.h>
#include <string.h>

#define LOG_MOD "x86-e820"
#include "arch/x86_64/boot.h"
#include "arch/x86_64/layout.h"
#include "vmm/log.h"

#define E820_PAGE_MASK 0xfffull
#define E820_FIXED_ENTRIES 4u /* low RAM, low reserved, RAM, high RAM */
#define PCI_MMIO64_ALIGN (1ull << 30)

/* The reserved entry must cover the ACPI tables (see boot.h). */
_Static_assert(X86_ACPI_BASE >= X86_EBDA_START &&
		       X86_ACPI_BASE + X86_ACPI_MAX <= X86_HIMEM_START,
	       "ACPI tables outside the reserved low range");

void x86_mem_layout_from_size(uint64_t mem_size, struct x86_mem_layout *l)
{
	memset(l, 0, sizeof(*l));
	if (mem_size <= X86_MMIO_HOLE_START) {
		l->low_size = mem_size;
		l->high_size = 0;
	} else {
		l->low_size = X86_MMIO_HOLE_START;
		l->high_size = mem_size - X86_MMIO_HOLE_START;
	}
}

int x86_mem_layout_reserve(struct x86_mem_layout *l, uint64_t addr,
			   uint64_t size)
{
	if (!size || (addr | size) & E820_PAGE_MASK || size > UINT64_MAX - addr)
		return -EINVAL;
	if (l->nr_reserved >= X86_MEM_MAX_RESERVED)
		return -ENOSPC;
	l->reserved[l->nr_reserved].addr = addr;
	l->reserved[l->nr_reserved].size = size;
	l->nr_reserved++;
	return 0;
}

int x86_pci_mmio64_window(const struct x86_mem_layout *l, uint64_t *base,
			  uint64_t *size)
{
	uint64_t ram_end;

	/* Checked before adding so that nothing below can wrap. */
	if (l->high_size > X86_PHYS_ADDR_LIMIT)
		return -ERANGE;
	ram_end = X86_HIGH_RAM_START + l->high_size;
	*base = (ram_end + PCI_MMIO64_ALIGN - 1) & ~(PCI_MMIO64_ALIGN - 1);
	*size = X86_PCI_MMIO64_SIZE;
	if (*base > X86_PHYS_ADDR_LIMIT - *size)
		return -ERANGE;
	return 0;
}

static void e820_set(struct x86_e820_entry *e, uint64_t addr, uint64_t size,
		     uint32_t type)
{
	e->addr = addr;
	e->size = size;
	e->type = type;
}

int x86_e820_build(const struct x86_mem_layout *l, struct x86_e820_entry *out,
		   unsigned int max, unsigned int *nr)
{
	struct x86_e820_entry map[E820_FIXED_ENTRIES + X86_MEM_MAX_RESERVED];
	struct x86_e820_entry tmp;
	unsigned int n = 0, i, j;

	if (!l || !nr || (max && !out))
		return -EINVAL;
	if ((l->low_size | l->high_size) & E820_PAGE_MASK ||
	    l->low_size <= X86_HIMEM_START ||
	    l->low_size > X86_MMIO_HOLE_START ||
	    l->high_size > UINT64_MAX - X86_HIGH_RAM_START ||
	    l->nr_reserved > X86_MEM_MAX_RESERVED)
		return -EINVAL;

	e820_set(&map[n++], 0, X86_EBDA_START, X86_E820_RAM);
	e820_set(&map[n++], X86_EBDA_START, X86_HIMEM_START - X86_EBDA_START,
		 X86_E820_RESERVED);
	e820_set(&map[n++], X86_HIMEM_START, l->low_size - X86_HIMEM_START,
		 X86_E820_RAM);
	if (l->high_size)
		e820_set(&map[n++], X86_HIGH_RAM_START, l->high_size,
			 X86_E820_RAM);
	for (i = 0; i < l->nr_reserved; i++) {
		const struct x86_mem_range *r = &l->reserved[i];

		if (!r->size || (r->addr | r->size) & E820_PAGE_MASK ||
		    r->size > UINT64_MAX - r->addr)
			return -EINVAL;
		e820_set(&map[n++], r->addr, r->size, X86_E820_RESERVED);
	}

	/* Insertion sort by address, then every entry must end before the
	 * next starts: that rejects reserved ranges over RAM or each other. */
	for (i = 1; i < n; i++) {
		tmp = map[i];
		for (j = i; j && map[j - 1].addr > tmp.addr; j--)
			map[j] = map[j - 1];
		map[j] = tmp;
	}
	for (i = 1; i < n; i++)
		if (map[i - 1].addr + map[i - 1].size > map[i].addr)
			return -EINVAL;

	if (n > max)
		return -ENOSPC;
	memcpy(out, map, n * sizeof(*map));
	*nr = n;
	return 0;
}
