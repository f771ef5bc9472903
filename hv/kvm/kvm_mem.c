// SPDX-License-Identifier: Apache-2.0
/*
 * kvm_mem.c - guest memory of the KVM plugin: memslots, map/unmap and the
 * dirty log.
 *
 * Memory is slot-less at the ABI; every map_memory() call becomes one KVM
 * memslot whose id is its index in hv_vm.slots.  The slot table and its
 * dirty bitmaps are freed by kvm_vm_destroy() (kvm.c).
 */
#define LOG_MOD "kvm"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hv/kvm/kvm_priv.h"

#define KVM_SLOTS_INITIAL 16u

static uint64_t kvm_slot_pages(const struct kvm_slot *s)
{
	return s->size / KVM_PAGE_SIZE;
}

/* Bytes of a 64-bit-word bitmap covering `pages` pages. */
static size_t kvm_bitmap_bytes(uint64_t pages)
{
	return (size_t)((pages + 63) / 64) * sizeof(uint64_t);
}

static int kvm_slot_register(struct hv_vm *vm, uint32_t id,
			     const struct kvm_slot *s, uint64_t size)
{
	struct kvm_userspace_memory_region r = {
		.slot = id,
		.flags = s->kvm_flags,
		.guest_phys_addr = s->gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)s->hva,
	};

	return kvm_ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r);
}

/* Index of a free slot entry, growing the table; -ENOSPC when KVM has no
 * more memslots. */
static int kvm_slot_alloc(struct hv_vm *vm)
{
	struct kvm_slot *n;
	uint32_t i, cap;

	for (i = 0; i < vm->nr_slots; i++)
		if (!vm->slots[i].used)
			return (int)i;
	if (vm->nr_slots >= vm->hv->max_memslots)
		return -ENOSPC;
	cap = vm->nr_slots ? vm->nr_slots * 2 : KVM_SLOTS_INITIAL;
	if (cap > vm->hv->max_memslots)
		cap = vm->hv->max_memslots;
	n = realloc(vm->slots, cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	memset(n + vm->nr_slots, 0, (cap - vm->nr_slots) * sizeof(*n));
	vm->slots = n;
	i = vm->nr_slots;
	vm->nr_slots = cap;
	return (int)i;
}

static bool kvm_range_ok(uint64_t gpa, uint64_t size)
{
	return size && !(gpa % KVM_PAGE_SIZE) && !(size % KVM_PAGE_SIZE) &&
	       gpa + size > gpa;
}

static bool kvm_overlaps(const struct kvm_slot *s, uint64_t gpa, uint64_t size)
{
	return s->used && gpa < s->gpa + s->size && s->gpa < gpa + size;
}

int kvm_map_memory(struct hv_vm *vm, uint64_t gpa, uint64_t size, void *hva,
		   uint32_t flags)
{
	const uint32_t known = HV_MEM_READ | HV_MEM_WRITE | HV_MEM_EXEC |
			       HV_MEM_LOG_DIRTY;
	struct kvm_slot *s;
	uint32_t i;
	int id, ret;

	if ((flags & ~known) || !kvm_range_ok(gpa, size) || !hva ||
	    ((uintptr_t)hva % KVM_PAGE_SIZE))
		return -EINVAL;
	/* KVM memory is always readable and executable. */
	if (!(flags & HV_MEM_READ))
		return -EOPNOTSUPP;
	if (!(flags & HV_MEM_WRITE) && !vm->hv->readonly_mem)
		return -EOPNOTSUPP;
	for (i = 0; i < vm->nr_slots; i++)
		if (kvm_overlaps(&vm->slots[i], gpa, size))
			return -EEXIST;
	id = kvm_slot_alloc(vm);
	if (id < 0)
		return id;
	s = &vm->slots[id];
	*s = (struct kvm_slot){
		.gpa = gpa, .size = size, .hva = hva, .hv_flags = flags
	};
	if (!(flags & HV_MEM_WRITE))
		s->kvm_flags |= KVM_MEM_READONLY;
	if (flags & HV_MEM_LOG_DIRTY) {
		s->kvm_flags |= KVM_MEM_LOG_DIRTY_PAGES;
		s->dirty = calloc(1, kvm_bitmap_bytes(kvm_slot_pages(s)));
		if (!s->dirty)
			return -ENOMEM;
	}
	ret = kvm_slot_register(vm, (uint32_t)id, s, size);
	if (ret < 0) {
		kvm_err(vm->hv, "map %#llx+%#llx: %s", (unsigned long long)gpa,
			(unsigned long long)size, strerror(-ret));
		free(s->dirty);
		memset(s, 0, sizeof(*s));
		return ret;
	}
	s->used = true;
	return 0;
}

int kvm_unmap_memory(struct hv_vm *vm, uint64_t gpa, uint64_t size)
{
	struct kvm_slot *s;
	uint32_t i;
	int ret;

	for (i = 0; i < vm->nr_slots; i++) {
		s = &vm->slots[i];
		if (!s->used || s->gpa != gpa)
			continue;
		if (s->size != size)
			return -EINVAL;
		ret = kvm_slot_register(vm, i, s, 0);
		if (ret < 0)
			return ret;
		free(s->dirty);
		memset(s, 0, sizeof(*s));
		return 0;
	}
	return -ENOENT;
}

/*
 * Check that [gpa, gpa+size) is entirely mapped.  With `whole`, every
 * mapping touching the range must lie inside it; with `logging`, every one
 * must have dirty logging on.  -ENOENT for holes, -EINVAL otherwise.
 */
static int kvm_range_check(struct hv_vm *vm, uint64_t gpa, uint64_t size,
			   bool whole, bool logging)
{
	uint64_t covered = 0, lo, hi;
	uint32_t i;

	if (!kvm_range_ok(gpa, size))
		return -EINVAL;
	for (i = 0; i < vm->nr_slots; i++) {
		const struct kvm_slot *s = &vm->slots[i];

		if (!kvm_overlaps(s, gpa, size))
			continue;
		if (whole && (s->gpa < gpa || s->gpa + s->size > gpa + size))
			return -EINVAL;
		if (logging && !s->dirty)
			return -EINVAL;
		lo = s->gpa > gpa ? s->gpa : gpa;
		hi = s->gpa + s->size < gpa + size ? s->gpa + s->size :
						     gpa + size;
		covered += hi - lo;
	}
	return covered == size ? 0 : -ENOENT;
}

/* Logging is switched per mapping: the range must consist of whole
 * mappings (-EINVAL) without holes (-ENOENT).  Turning it off drops the
 * bits not fetched yet.  On a failure midway, mappings already switched
 * stay switched. */
int kvm_dirty_log_enable(struct hv_vm *vm, uint64_t gpa, uint64_t size, int on)
{
	struct kvm_slot *s;
	uint32_t i;
	int ret;

	ret = kvm_range_check(vm, gpa, size, true, false);
	if (ret < 0)
		return ret;
	for (i = 0; i < vm->nr_slots; i++) {
		s = &vm->slots[i];
		if (!kvm_overlaps(s, gpa, size) || !!s->dirty == !!on)
			continue;
		if (on) {
			s->dirty =
				calloc(1, kvm_bitmap_bytes(kvm_slot_pages(s)));
			if (!s->dirty)
				return -ENOMEM;
			s->kvm_flags |= KVM_MEM_LOG_DIRTY_PAGES;
		} else {
			s->kvm_flags &= ~KVM_MEM_LOG_DIRTY_PAGES;
		}
		ret = kvm_slot_register(vm, i, s, s->size);
		if (ret < 0) {
			kvm_err(vm->hv, "dirty log %s on slot %u: %s",
				on ? "enable" : "disable", i, strerror(-ret));
			s->kvm_flags ^= KVM_MEM_LOG_DIRTY_PAGES;
			if (on) {
				free(s->dirty);
				s->dirty = NULL;
			}
			return ret;
		}
		if (!on) {
			free(s->dirty);
			s->dirty = NULL;
		}
		s->hv_flags = on ? s->hv_flags | HV_MEM_LOG_DIRTY :
				   s->hv_flags & ~HV_MEM_LOG_DIRTY;
	}
	return 0;
}

/* Copy n bits from src (starting at bit soff) to dst (at bit doff), which
 * the caller zeroed; optionally clear the copied bits in src. */
static void kvm_bits_copy(uint64_t *dst, uint64_t doff, uint64_t *src,
			  uint64_t soff, uint64_t n, bool clear)
{
	uint64_t i = 0, s, w;

	while (i < n) {
		s = soff + i;
		w = src[s / 64] >> (s % 64);
		if (!w) {
			i += 64 - s % 64;
			continue;
		}
		if (w & 1) {
			dst[(doff + i) / 64] |= 1ull << ((doff + i) % 64);
			if (clear)
				src[s / 64] &= ~(1ull << (s % 64));
		}
		i++;
	}
}

/*
 * KVM's classic KVM_GET_DIRTY_LOG returns and resets the kernel's bitmap
 * of a whole slot (and write-protects the pages again).  The plugin ORs it
 * into the slot's own accumulated bitmap and reports from that, so a fetch
 * without HV_DIRTY_CLEAR loses nothing and reports the same pages again
 * next time, while HV_DIRTY_CLEAR forgets the reported pages of the range
 * (pages outside the range are kept for a later fetch).
 */
int kvm_dirty_log_fetch(struct hv_vm *vm, uint64_t gpa, uint64_t size,
			uint64_t *bitmap, uint32_t flags)
{
	struct kvm_dirty_log log = { 0 };
	uint64_t *tmp, lo, hi, w;
	struct kvm_slot *s;
	uint32_t i;
	int ret;

	if (!bitmap || (flags & ~HV_DIRTY_CLEAR))
		return -EINVAL;
	ret = kvm_range_check(vm, gpa, size, false, true);
	if (ret < 0)
		return ret;
	memset(bitmap, 0, kvm_bitmap_bytes(size / KVM_PAGE_SIZE));
	for (i = 0; i < vm->nr_slots; i++) {
		s = &vm->slots[i];
		if (!kvm_overlaps(s, gpa, size))
			continue;
		tmp = calloc(1, kvm_bitmap_bytes(kvm_slot_pages(s)));
		if (!tmp)
			return -ENOMEM;
		log.slot = i;
		log.dirty_bitmap = tmp;
		ret = kvm_ioctl(vm->fd, KVM_GET_DIRTY_LOG, &log);
		if (ret < 0) {
			kvm_err(vm->hv, "KVM_GET_DIRTY_LOG slot %u: %s", i,
				strerror(-ret));
			free(tmp);
			return ret;
		}
		for (w = 0; w < (kvm_slot_pages(s) + 63) / 64; w++)
			s->dirty[w] |= tmp[w];
		free(tmp);
		lo = s->gpa > gpa ? s->gpa : gpa;
		hi = s->gpa + s->size < gpa + size ? s->gpa + s->size :
						     gpa + size;
		kvm_bits_copy(bitmap, (lo - gpa) / KVM_PAGE_SIZE, s->dirty,
			      (lo - s->gpa) / KVM_PAGE_SIZE,
			      (hi - lo) / KVM_PAGE_SIZE,
			      flags & HV_DIRTY_CLEAR);
	}
	return 0;
}
