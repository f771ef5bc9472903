// SPDX-License-Identifier: Apache-2.0
/*
 * mshv_mem.c - guest memory and dirty-page logging of the MSHV plugin.
 *
 * Each hv map_memory call is one MSHV_SET_GUEST_MEMORY region (readable is
 * implied; HV_MEM_WRITE/EXEC add WRITABLE/EXECUTABLE).  The kernel keeps
 * no slot numbers, but it unmaps only exact regions and refuses overlaps,
 * so the plugin keeps the table too: for -EEXIST/-ENOENT answers, to
 * replay regions recorded before the partition was initialised (aarch64
 * initialises only once the GIC addresses are known), and for dirty
 * logging.
 *
 * Dirty logging is partition-wide in MSHV (GPA_PAGE_ACCESS_TRACKING): it
 * is on while at least one region logs.  Harvesting reads the DIRTY bits
 * with MSHV_GET_GPAP_ACCESS_BITMAP (optionally clearing them); switching a
 * region off marks its pages dirty again (the SET operation), which is how
 * Cloud Hypervisor hands write access back before turning tracking off.
 */
#define LOG_MOD "mshv"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hv/mshv/mshv_priv.h"

#define MSHV_HV_MEM_FLAGS \
	(HV_MEM_READ | HV_MEM_WRITE | HV_MEM_EXEC | HV_MEM_LOG_DIRTY)

static bool mshv_page_aligned(uint64_t v)
{
	return !(v & (MSHV_PAGE_SIZE - 1));
}

static int mshv_set_mem(struct hv_vm *vm, const struct mshv_region *r,
			bool unmap)
{
	struct mshv_user_mem_region m = {
		.size = r->size,
		.guest_pfn = r->gpa >> MSHV_PAGE_SHIFT,
		.userspace_addr = (uint64_t)(uintptr_t)r->hva,
		.flags = unmap ? MSHV_SET_MEM_FLAG_UNMAP : r->mshv_flags,
	};
	int ret;

	ret = mshv_ioctl(vm->hv, vm->fd, MSHV_SET_GUEST_MEMORY, &m);
	if (ret < 0)
		mshv_err(vm->hv, "%s gpa %#llx size %#llx: %s",
			 unmap ? "unmap" : "map", (unsigned long long)r->gpa,
			 (unsigned long long)r->size, strerror(-ret));
	return ret < 0 ? ret : 0;
}

/* One MSHV_GET_GPAP_ACCESS_BITMAP call of at most MSHV_GPAP_MAX_PAGES. */
static int mshv_gpap(struct hv_vm *vm, uint8_t op, uint64_t pfn, uint64_t count,
		     void *bitmap)
{
	struct mshv_gpap_access_bitmap b = {
		.access_type = MSHV_GPAP_ACCESS_TYPE_DIRTY,
		.access_op = op,
		.page_count = count,
		.gpap_base = pfn,
		.bitmap_ptr = (uint64_t)(uintptr_t)bitmap,
	};
	int ret;

	ret = mshv_ioctl(vm->hv, vm->fd, MSHV_GET_GPAP_ACCESS_BITMAP, &b);
	if (ret < 0)
		mshv_err(vm->hv, "dirty bitmap of pfn %#llx + %llu: %s",
			 (unsigned long long)pfn, (unsigned long long)count,
			 strerror(-ret));
	return ret < 0 ? ret : 0;
}

/* Apply `op` (CLEAR or SET) to the DIRTY bits of a whole region,
 * discarding what is read. */
static int mshv_region_dirty_op(struct hv_vm *vm, const struct mshv_region *r,
				uint8_t op)
{
	uint64_t pfn = r->gpa >> MSHV_PAGE_SHIFT;
	uint64_t left = r->size >> MSHV_PAGE_SHIFT, n;
	uint8_t *scratch;
	int ret = 0;

	scratch = malloc(MSHV_GPAP_MAX_PAGES / 8);
	if (!scratch)
		return -ENOMEM;
	while (left && !ret) {
		n = left < MSHV_GPAP_MAX_PAGES ? left : MSHV_GPAP_MAX_PAGES;
		ret = mshv_gpap(vm, op, pfn, n, scratch);
		pfn += n;
		left -= n;
	}
	free(scratch);
	return ret;
}

static bool mshv_any_logging(const struct hv_vm *vm)
{
	uint32_t i;

	for (i = 0; i < vm->nr_regions; i++)
		if (vm->regions[i].dirty_log)
			return true;
	return false;
}

/* Switch logging of one region; the partition property follows the
 * first region on and the last one off. */
static int mshv_region_log(struct hv_vm *vm, struct mshv_region *r, bool on)
{
	int ret;

	if (!vm->initialized || !r->mapped) {
		r->dirty_log = on; /* applied by mshv_mem_replay() */
		return 0;
	}
	if (on) {
		if (!vm->tracking) {
			ret = mshv_set_property(
				vm,
				HV_PARTITION_PROPERTY_GPA_PAGE_ACCESS_TRACKING,
				1);
			if (ret < 0)
				return ret;
			vm->tracking = true;
		}
		/* Start from a clean log, like a fresh KVM memslot. */
		ret = mshv_region_dirty_op(vm, r, MSHV_GPAP_ACCESS_OP_CLEAR);
		if (ret < 0)
			return ret;
		r->dirty_log = true;
		return 0;
	}
	ret = mshv_region_dirty_op(vm, r, MSHV_GPAP_ACCESS_OP_SET);
	if (ret < 0)
		return ret;
	r->dirty_log = false;
	if (vm->tracking && !mshv_any_logging(vm)) {
		ret = mshv_set_property(
			vm, HV_PARTITION_PROPERTY_GPA_PAGE_ACCESS_TRACKING, 0);
		if (ret < 0)
			return ret;
		vm->tracking = false;
	}
	return 0;
}

static struct mshv_region *mshv_region_at(struct hv_vm *vm, uint64_t gpa)
{
	uint32_t i;

	for (i = 0; i < vm->nr_regions; i++)
		if (gpa >= vm->regions[i].gpa &&
		    gpa - vm->regions[i].gpa < vm->regions[i].size)
			return &vm->regions[i];
	return NULL;
}

int mshv_map_memory(struct hv_vm *vm, uint64_t gpa, uint64_t size, void *hva,
		    uint32_t flags)
{
	struct mshv_region *r;
	uint32_t i;
	int ret;

	if (!size || !mshv_page_aligned(gpa) || !mshv_page_aligned(size) ||
	    !mshv_page_aligned((uint64_t)(uintptr_t)hva) || !hva ||
	    gpa + size < gpa || (flags & ~MSHV_HV_MEM_FLAGS))
		return -EINVAL;
	for (i = 0; i < vm->nr_regions; i++) {
		r = &vm->regions[i];
		if (gpa < r->gpa + r->size && r->gpa < gpa + size)
			return -EEXIST;
	}
	if (vm->nr_regions == vm->cap_regions) {
		uint32_t cap = vm->cap_regions ? vm->cap_regions * 2 : 16;
		struct mshv_region *n = realloc(vm->regions, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		vm->regions = n;
		vm->cap_regions = cap;
	}
	r = &vm->regions[vm->nr_regions];
	memset(r, 0, sizeof(*r));
	r->gpa = gpa;
	r->size = size;
	r->hva = hva;
	r->hv_flags = flags;
	if (flags & HV_MEM_WRITE)
		r->mshv_flags |= MSHV_SET_MEM_FLAG_WRITABLE;
	if (flags & HV_MEM_EXEC)
		r->mshv_flags |= MSHV_SET_MEM_FLAG_EXECUTABLE;
	if (vm->initialized) {
		ret = mshv_set_mem(vm, r, false);
		if (ret < 0)
			return ret;
		r->mapped = true;
	}
	vm->nr_regions++;
	if (flags & HV_MEM_LOG_DIRTY) {
		ret = mshv_region_log(vm, r, true);
		if (ret < 0) {
			mshv_unmap_memory(vm, gpa, size);
			return ret;
		}
	}
	return 0;
}

int mshv_unmap_memory(struct hv_vm *vm, uint64_t gpa, uint64_t size)
{
	struct mshv_region *r = NULL;
	uint32_t i;
	int ret;

	for (i = 0; i < vm->nr_regions; i++) {
		if (vm->regions[i].gpa == gpa) {
			r = &vm->regions[i];
			break;
		}
	}
	if (!r)
		return -ENOENT;
	if (r->size != size)
		return -EINVAL;
	if (r->dirty_log && r->mapped) {
		/* Best effort: the mapping goes away either way. */
		r->dirty_log = false;
		if (vm->tracking && !mshv_any_logging(vm) &&
		    !mshv_set_property(
			    vm, HV_PARTITION_PROPERTY_GPA_PAGE_ACCESS_TRACKING,
			    0))
			vm->tracking = false;
	}
	if (r->mapped) {
		ret = mshv_set_mem(vm, r, true);
		if (ret < 0)
			return ret;
	}
	vm->regions[i] = vm->regions[--vm->nr_regions];
	return 0;
}

int mshv_mem_replay(struct hv_vm *vm)
{
	struct mshv_region *r;
	uint32_t i;
	bool log;
	int ret;

	for (i = 0; i < vm->nr_regions; i++) {
		r = &vm->regions[i];
		if (r->mapped)
			continue;
		ret = mshv_set_mem(vm, r, false);
		if (ret < 0)
			return ret;
		r->mapped = true;
		log = r->dirty_log;
		r->dirty_log = false;
		if (log) {
			ret = mshv_region_log(vm, r, true);
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

void mshv_mem_free(struct hv_vm *vm)
{
	free(vm->regions);
	vm->regions = NULL;
	vm->nr_regions = vm->cap_regions = 0;
}

/* Check that [gpa, gpa+size) consists of whole regions without holes;
 * -EINVAL when a region is cut, -ENOENT for a hole. */
static int mshv_whole_regions(struct hv_vm *vm, uint64_t gpa, uint64_t size)
{
	uint64_t at = gpa, end = gpa + size;
	struct mshv_region *r;

	while (at < end) {
		r = mshv_region_at(vm, at);
		if (!r)
			return -ENOENT;
		if (r->gpa != at || r->size > end - at)
			return -EINVAL;
		at += r->size;
	}
	return 0;
}

int mshv_dirty_log_enable(struct hv_vm *vm, uint64_t gpa, uint64_t size, int on)
{
	uint64_t at, end = gpa + size;
	struct mshv_region *r;
	int ret;

	if (!size || !mshv_page_aligned(gpa) || !mshv_page_aligned(size) ||
	    end < gpa)
		return -EINVAL;
	ret = mshv_whole_regions(vm, gpa, size);
	if (ret < 0)
		return ret;
	for (at = gpa; at < end; at += r->size) {
		r = mshv_region_at(vm, at);
		if (r->dirty_log == !!on)
			continue;
		ret = mshv_region_log(vm, r, on);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Copy `n` bits from src (bit 0 up) to dst at bit offset `at`. */
static void mshv_bits_copy(uint64_t *dst, uint64_t at, const uint8_t *src,
			   uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		if (src[i / 8] & (1u << (i % 8)))
			dst[(at + i) / 64] |= 1ull << ((at + i) % 64);
}

int mshv_dirty_log_fetch(struct hv_vm *vm, uint64_t gpa, uint64_t size,
			 uint64_t *bitmap, uint32_t flags)
{
	uint64_t pages = size >> MSHV_PAGE_SHIFT, done = 0, n, at;
	struct mshv_region *r;
	uint8_t *scratch;
	int ret = 0;

	if (!bitmap || !size || !mshv_page_aligned(gpa) ||
	    !mshv_page_aligned(size) || gpa + size < gpa ||
	    (flags & ~HV_DIRTY_CLEAR))
		return -EINVAL;
	/* Every page must be in a logging region before anything is read
	 * (a CLEAR must not half happen). */
	for (at = gpa; at < gpa + size; at = r->gpa + r->size) {
		r = mshv_region_at(vm, at);
		if (!r || !r->dirty_log || !r->mapped)
			return -ENOENT;
	}
	scratch = malloc(MSHV_GPAP_MAX_PAGES / 8);
	if (!scratch)
		return -ENOMEM;
	memset(bitmap, 0, ((pages + 63) / 64) * sizeof(*bitmap));
	while (done < pages) {
		at = gpa + (done << MSHV_PAGE_SHIFT);
		r = mshv_region_at(vm, at);
		n = (r->gpa + r->size - at) >> MSHV_PAGE_SHIFT;
		if (n > pages - done)
			n = pages - done;
		if (n > MSHV_GPAP_MAX_PAGES)
			n = MSHV_GPAP_MAX_PAGES;
		memset(scratch, 0, (n + 7) / 8);
		ret = mshv_gpap(vm,
				(flags & HV_DIRTY_CLEAR) ?
					MSHV_GPAP_ACCESS_OP_CLEAR :
					MSHV_GPAP_ACCESS_OP_NOOP,
				at >> MSHV_PAGE_SHIFT, n, scratch);
		if (ret < 0)
			break;
		mshv_bits_copy(bitmap, done, scratch, n);
		done += n;
	}
	free(scratch);
	return ret;
}
