// SPDX-License-Identifier: Apache-2.0
/*
 * guest_mem.c - guest RAM regions and checked translation.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define LOG_MOD "guest-mem"
#include "vmm/guest_mem.h"
#include "vmm/log.h"

void guest_mem_init(struct guest_mem *m)
{
	memset(m, 0, sizeof(*m));
}

static int check_new(const struct guest_mem *m, uint64_t gpa, uint64_t size)
{
	unsigned int i;
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);

	if (!size || (gpa | size) & (page - 1) || gpa + size < gpa)
		return -EINVAL;
	if (m->nr >= GUEST_MEM_MAX_REGIONS)
		return -ENOSPC;
	for (i = 0; i < m->nr; i++) {
		const struct guest_region *r = &m->r[i];

		if (gpa < r->gpa + r->size && r->gpa < gpa + size)
			return -EEXIST;
	}
	return 0;
}

static void insert(struct guest_mem *m, uint64_t gpa, uint64_t size, void *hva,
		   int owned)
{
	struct guest_region *r = &m->r[m->nr++];

	r->gpa = gpa;
	r->size = size;
	r->hva = hva;
	r->owned = owned;
	m->total += size;
}

/*
 * Map `size` bytes of anonymous memory whose address is congruent to
 * `gpa` modulo 2 MiB, so that the hypervisor can back guest huge pages
 * with host huge pages (KVM only does when both offsets match).  The
 * slack mapped for alignment is unmapped again.
 */
static void *map_aligned(uint64_t gpa, uint64_t size)
{
	const uint64_t align = GUEST_MEM_HUGE_ALIGN;
	uint64_t want = gpa & (align - 1);
	uint8_t *p, *start;
	size_t head, tail;

	if (size + align < size)
		return MAP_FAILED;
	p = mmap(NULL, size + align, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return p;
	head = (size_t)((want - ((uint64_t)(uintptr_t)p & (align - 1))) &
			(align - 1));
	start = p + head;
	tail = (size_t)(align - head);
	if (head)
		munmap(p, head);
	if (tail)
		munmap(start + size, tail);
	/* A hint: transparent huge pages cut nested paging costs. */
	madvise(start, size, MADV_HUGEPAGE);
	return start;
}

int guest_mem_add(struct guest_mem *m, uint64_t gpa, uint64_t size,
		  void **hva_out)
{
	void *p;
	int ret = check_new(m, gpa, size);

	if (ret)
		return ret;
	p = map_aligned(gpa, size);
	if (p == MAP_FAILED) {
		ret = -errno;
		log_err("cannot map %llu MiB of guest RAM: %s",
			(unsigned long long)(size >> 20), strerror(errno));
		return ret;
	}
	insert(m, gpa, size, p, 1);
	if (hva_out)
		*hva_out = p;
	return 0;
}

int guest_mem_add_external(struct guest_mem *m, uint64_t gpa, uint64_t size,
			   void *hva)
{
	int ret = check_new(m, gpa, size);

	if (ret)
		return ret;
	insert(m, gpa, size, hva, 0);
	return 0;
}

void guest_mem_destroy(struct guest_mem *m)
{
	unsigned int i;

	for (i = 0; i < m->nr; i++)
		if (m->r[i].owned)
			munmap(m->r[i].hva, m->r[i].size);
	guest_mem_init(m);
}

void *guest_mem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	unsigned int i;

	if (!len)
		len = 1;
	if (gpa + len < gpa)
		return NULL;
	for (i = 0; i < m->nr; i++) {
		const struct guest_region *r = &m->r[i];

		/* Written so that no sum can overflow: r->size >= len first. */
		if (gpa >= r->gpa && len <= r->size &&
		    gpa - r->gpa <= r->size - len)
			return r->hva + (gpa - r->gpa);
	}
	return NULL;
}

int guest_mem_read(const struct guest_mem *m, uint64_t gpa, void *buf,
		   uint64_t len)
{
	void *p;

	if (!len)
		return 0;
	p = guest_mem_ptr(m, gpa, len);
	if (!p)
		return -EFAULT;
	memcpy(buf, p, len);
	return 0;
}

int guest_mem_write(const struct guest_mem *m, uint64_t gpa, const void *buf,
		    uint64_t len)
{
	void *p;

	if (!len)
		return 0;
	p = guest_mem_ptr(m, gpa, len);
	if (!p)
		return -EFAULT;
	memcpy(p, buf, len);
	return 0;
}
