// SPDX-License-Identifier: Apache-2.0
/*
 * sim_mem.c - guest memory of the MSHV simulator.
 *
 * MSHV_SET_GUEST_MEMORY regions become KVM memslots (the lowest free slot
 * number each): readable is implied, no WRITABLE flag makes a read-only
 * slot (a write to it is then an HVMSG_GPA_INTERCEPT, not UNMAPPED_GPA).
 * KVM cannot make memory non-executable, so a region without EXECUTABLE
 * is refused loudly.  The kernel's checks are reproduced: alignment, flag
 * and reserved bits, GPA overlap (-EEXIST), exact unmap (-ENOENT/-EINVAL),
 * regions only after MSHV_INITIALIZE_PARTITION.
 *
 * Dirty tracking (GPA_PAGE_ACCESS_TRACKING) puts KVM_MEM_LOG_DIRTY_PAGES
 * on every slot.  KVM's log is harvested (and cleared by KVM) into a
 * per-region bitmap on each MSHV_GET_GPAP_ACCESS_BITMAP, which then reads
 * and applies the NOOP/CLEAR/SET operation to that bitmap, so a NOOP read
 * does not lose bits.  The ACCESSED bitmap has no KVM equivalent.
 */
#define LOG_MOD "mshv-sim"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "tests/mshv-sim/sim.h"

#define SIM_PAGE_MASK (MSHV_PAGE_SIZE - 1)
#define SIM_MAX_GPA_BITS 52

static uint64_t sim_region_pages(const struct sim_region *r)
{
	return r->size >> MSHV_PAGE_SHIFT;
}

static size_t sim_bitmap_bytes(uint64_t pages)
{
	return (size_t)((pages + 63) / 64) * sizeof(uint64_t);
}

/* KVM_SET_USER_MEMORY_REGION for r (size 0 deletes the slot). */
static int sim_slot_set(struct sim_part *part, const struct sim_region *r,
			bool del)
{
	struct kvm_userspace_memory_region k = {
		.slot = r->slot,
		.guest_phys_addr = r->gpa,
		.memory_size = del ? 0 : r->size,
		.userspace_addr = (uint64_t)(uintptr_t)r->hva,
	};

	if (!(r->flags & MSHV_SET_MEM_FLAG_WRITABLE))
		k.flags |= KVM_MEM_READONLY;
	if (part->tracking && !del)
		k.flags |= KVM_MEM_LOG_DIRTY_PAGES;
	return sim_kvm_ioctl(part->fd, KVM_SET_USER_MEMORY_REGION, &k);
}

static struct sim_region *sim_region_at(struct sim_part *part, uint64_t gpa)
{
	struct sim_region *r;
	uint32_t i;

	for (i = 0; i < part->nr_regions; i++) {
		r = &part->regions[i];
		if (gpa >= r->gpa && gpa - r->gpa < r->size)
			return r;
	}
	return NULL;
}

static uint32_t sim_free_slot(struct sim_part *part)
{
	uint32_t slot, i;

	for (slot = 0;; slot++) {
		for (i = 0; i < part->nr_regions; i++)
			if (part->regions[i].slot == slot)
				break;
		if (i == part->nr_regions)
			return slot;
	}
}

static int sim_mem_unmap(struct sim_part *part, uint64_t gpa, uint64_t size,
			 uint64_t uaddr)
{
	struct sim_region *r;
	int ret;

	pthread_rwlock_wrlock(&part->mem_lock);
	r = sim_region_at(part, gpa);
	if (!r || r->gpa != gpa) {
		ret = -ENOENT;
		goto out;
	}
	if (r->size != size || (uint64_t)(uintptr_t)r->hva != uaddr) {
		ret = -EINVAL;
		goto out;
	}
	ret = sim_slot_set(part, r, true);
	if (ret < 0) {
		sim_err(part->sim, "delete memslot %u: %s", r->slot,
			strerror(-ret));
		goto out;
	}
	free(r->dirty);
	*r = part->regions[--part->nr_regions];
out:
	pthread_rwlock_unlock(&part->mem_lock);
	return ret;
}

static int sim_mem_map(struct sim_part *part, uint64_t gpa, uint64_t size,
		       uint64_t uaddr, uint8_t flags)
{
	struct sim_region *r, *n;
	uint32_t i;
	int ret;

	pthread_rwlock_wrlock(&part->mem_lock);
	for (i = 0; i < part->nr_regions; i++) {
		r = &part->regions[i];
		if (gpa < r->gpa + r->size && r->gpa < gpa + size) {
			ret = -EEXIST;
			goto out;
		}
	}
	if (part->nr_regions == part->cap_regions) {
		uint32_t cap = part->cap_regions ? part->cap_regions * 2 : 16;

		n = realloc(part->regions, cap * sizeof(*n));
		if (!n) {
			ret = -ENOMEM;
			goto out;
		}
		part->regions = n;
		part->cap_regions = cap;
	}
	r = &part->regions[part->nr_regions];
	memset(r, 0, sizeof(*r));
	r->gpa = gpa;
	r->size = size;
	r->hva = (void *)(uintptr_t)uaddr;
	r->flags = flags;
	r->slot = sim_free_slot(part);
	if (part->tracking) {
		r->dirty = calloc(1, sim_bitmap_bytes(sim_region_pages(r)));
		if (!r->dirty) {
			ret = -ENOMEM;
			goto out;
		}
	}
	ret = sim_slot_set(part, r, false);
	if (ret < 0) {
		sim_err(part->sim, "memslot %u gpa %#llx size %#llx: %s",
			r->slot, (unsigned long long)gpa,
			(unsigned long long)size, strerror(-ret));
		free(r->dirty);
		goto out;
	}
	part->nr_regions++;
out:
	pthread_rwlock_unlock(&part->mem_lock);
	return ret;
}

int sim_mem_set(struct sim_part *part, const struct mshv_user_mem_region *m)
{
	uint64_t gpa = m->guest_pfn << MSHV_PAGE_SHIFT;
	bool init;
	uint32_t i;

	if (m->flags & ~MSHV_SET_MEM_FLAGS_MASK)
		return -EINVAL;
	for (i = 0; i < sizeof(m->rsvd); i++)
		if (m->rsvd[i])
			return -EINVAL;
	if (m->guest_pfn >> (SIM_MAX_GPA_BITS - MSHV_PAGE_SHIFT))
		return -EINVAL;
	if (m->flags & MSHV_SET_MEM_FLAG_UNMAP)
		return sim_mem_unmap(part, gpa, m->size, m->userspace_addr);
	if (!m->size || (m->size & SIM_PAGE_MASK) ||
	    (m->userspace_addr & SIM_PAGE_MASK) || !m->userspace_addr ||
	    (gpa + m->size) >> SIM_MAX_GPA_BITS)
		return -EINVAL;
	pthread_mutex_lock(&part->lock);
	init = part->initialized;
	pthread_mutex_unlock(&part->lock);
	if (!init) {
		sim_err(part->sim,
			"guest memory mapped before MSHV_INITIALIZE_PARTITION");
		return -EINVAL;
	}
	if (!(m->flags & MSHV_SET_MEM_FLAG_EXECUTABLE))
		return sim_unsupported(
			part->sim,
			"non-executable guest memory at gpa %#llx (KVM memslots are always executable)",
			(unsigned long long)gpa);
	return sim_mem_map(part, gpa, m->size, m->userspace_addr, m->flags);
}

int sim_mem_tracking(struct sim_part *part, bool on)
{
	struct sim_region *r;
	uint32_t i;
	int ret = 0;

	pthread_rwlock_wrlock(&part->mem_lock);
	if (part->tracking == on)
		goto out;
	for (i = 0; i < part->nr_regions && on; i++) {
		r = &part->regions[i];
		r->dirty = calloc(1, sim_bitmap_bytes(sim_region_pages(r)));
		if (!r->dirty) {
			ret = -ENOMEM;
			break;
		}
	}
	part->tracking = on && !ret;
	for (i = 0; i < part->nr_regions; i++) {
		r = &part->regions[i];
		if (!ret) {
			ret = sim_slot_set(part, r, false);
			if (ret < 0)
				sim_err(part->sim,
					"dirty logging %s on memslot %u: %s",
					on ? "on" : "off", r->slot,
					strerror(-ret));
		}
		if (!part->tracking) {
			free(r->dirty);
			r->dirty = NULL;
		}
	}
out:
	pthread_rwlock_unlock(&part->mem_lock);
	return ret;
}

/* OR KVM's dirty log of r (which KVM clears) into r->dirty. */
static int sim_harvest(struct sim_part *part, struct sim_region *r)
{
	size_t bytes = sim_bitmap_bytes(sim_region_pages(r)), i;
	struct kvm_dirty_log log = { .slot = r->slot };
	uint64_t *tmp;
	int ret;

	tmp = calloc(1, bytes);
	if (!tmp)
		return -ENOMEM;
	log.dirty_bitmap = tmp;
	ret = sim_kvm_ioctl(part->fd, KVM_GET_DIRTY_LOG, &log);
	if (!ret)
		for (i = 0; i < bytes / sizeof(*tmp); i++)
			r->dirty[i] |= tmp[i];
	free(tmp);
	return ret;
}

static bool sim_bit(const uint64_t *b, uint64_t i)
{
	return b[i / 64] & (1ull << (i % 64));
}

static void sim_bit_put(uint64_t *b, uint64_t i, bool v)
{
	if (v)
		b[i / 64] |= 1ull << (i % 64);
	else
		b[i / 64] &= ~(1ull << (i % 64));
}

/* Every page of [gpa, end) in some region?  Harvest those regions. */
static int sim_gpap_prepare(struct sim_part *part, uint64_t gpa, uint64_t end)
{
	struct sim_region *r;
	int ret;

	while (gpa < end) {
		r = sim_region_at(part, gpa);
		if (!r)
			return -EINVAL;
		ret = sim_harvest(part, r);
		if (ret < 0)
			return ret;
		gpa = r->gpa + r->size;
	}
	return 0;
}

int sim_mem_gpap(struct sim_part *part, struct mshv_gpap_access_bitmap *b)
{
	uint64_t i, pfn, gpa, end;
	struct sim_region *r;
	uint8_t *out;
	uint32_t k;
	bool v;
	int ret;

	for (k = 0; k < sizeof(b->rsvd); k++)
		if (b->rsvd[k])
			return -EINVAL;
	if (b->access_type > MSHV_GPAP_ACCESS_TYPE_DIRTY ||
	    b->access_op > MSHV_GPAP_ACCESS_OP_SET || !b->page_count ||
	    !b->bitmap_ptr || b->gpap_base >> (SIM_MAX_GPA_BITS - 12) ||
	    b->page_count >> (SIM_MAX_GPA_BITS - 12))
		return -EINVAL;
	if (b->access_type == MSHV_GPAP_ACCESS_TYPE_ACCESSED)
		return sim_unsupported(
			part->sim,
			"the ACCESSED page bitmap (KVM logs dirty pages only)");
	gpa = b->gpap_base << MSHV_PAGE_SHIFT;
	end = gpa + (b->page_count << MSHV_PAGE_SHIFT);
	out = (uint8_t *)(uintptr_t)b->bitmap_ptr;
	pthread_rwlock_wrlock(&part->mem_lock);
	if (!part->tracking) {
		sim_err(part->sim,
			"MSHV_GET_GPAP_ACCESS_BITMAP without GPA_PAGE_ACCESS_TRACKING");
		ret = -EINVAL;
		goto out;
	}
	ret = sim_gpap_prepare(part, gpa, end);
	if (ret < 0)
		goto out;
	memset(out, 0, (size_t)((b->page_count + 7) / 8));
	for (i = 0; i < b->page_count; i++) {
		pfn = b->gpap_base + i;
		r = sim_region_at(part, pfn << MSHV_PAGE_SHIFT);
		v = sim_bit(r->dirty, pfn - (r->gpa >> MSHV_PAGE_SHIFT));
		if (v)
			out[i / 8] |= (uint8_t)(1u << (i % 8));
		if (b->access_op == MSHV_GPAP_ACCESS_OP_CLEAR)
			sim_bit_put(r->dirty, pfn - (r->gpa >> MSHV_PAGE_SHIFT),
				    false);
		else if (b->access_op == MSHV_GPAP_ACCESS_OP_SET)
			sim_bit_put(r->dirty, pfn - (r->gpa >> MSHV_PAGE_SHIFT),
				    true);
	}
out:
	pthread_rwlock_unlock(&part->mem_lock);
	return ret;
}

int sim_mem_rw(struct sim_part *part, uint64_t gpa, void *buf, uint32_t len,
	       bool write)
{
	uint8_t *p = buf, *h;
	struct sim_region *r;
	uint64_t n;
	int ret = 0;

	pthread_rwlock_rdlock(&part->mem_lock);
	while (len) {
		r = sim_region_at(part, gpa);
		if (!r) {
			ret = -EFAULT;
			break;
		}
		n = r->gpa + r->size - gpa;
		if (n > len)
			n = len;
		h = (uint8_t *)r->hva + (gpa - r->gpa);
		if (write)
			memcpy(h, p, n);
		else
			memcpy(p, h, n);
		gpa += n;
		p += n;
		len -= (uint32_t)n;
	}
	pthread_rwlock_unlock(&part->mem_lock);
	return ret;
}

bool sim_mem_lookup(struct sim_part *part, uint64_t gpa, uint8_t *flags)
{
	struct sim_region *r;

	pthread_rwlock_rdlock(&part->mem_lock);
	r = sim_region_at(part, gpa);
	if (r && flags)
		*flags = r->flags;
	pthread_rwlock_unlock(&part->mem_lock);
	return r != NULL;
}

uint32_t sim_mem_read_lin(struct sim_vp *vp, uint64_t lin, void *buf,
			  uint32_t len)
{
	struct kvm_translation tr;
	uint32_t done = 0, n;

	while (done < len) {
		memset(&tr, 0, sizeof(tr));
		tr.linear_address = lin + done;
		if (sim_kvm_ioctl(vp->fd, KVM_TRANSLATE, &tr) < 0 || !tr.valid)
			break;
		n = (uint32_t)(MSHV_PAGE_SIZE - ((lin + done) & SIM_PAGE_MASK));
		if (n > len - done)
			n = len - done;
		if (sim_mem_rw(vp->part, tr.physical_address,
			       (uint8_t *)buf + done, n, false) < 0)
			break;
		done += n;
	}
	return done;
}

void sim_mem_free(struct sim_part *part)
{
	uint32_t i;

	for (i = 0; i < part->nr_regions; i++)
		free(part->regions[i].dirty);
	free(part->regions);
	part->regions = NULL;
	part->nr_regions = part->cap_regions = 0;
}
