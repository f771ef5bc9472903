// SPDX-License-Identifier: Apache-2.0
/*
 * virtqueue.c - virtio 1.x split virtqueues, device side.
 *
 * Guest layout (virtio 1.x, "Split Virtqueues"; all fields little-endian):
 *   descriptor table  16-byte aligned, 16 * size bytes:
 *                     { u64 addr; u32 len; u16 flags; u16 next; }
 *   avail ring         2-byte aligned, 6 + 2 * size bytes:
 *                     { u16 flags; u16 idx; u16 ring[size]; u16 used_event; }
 *   used ring          4-byte aligned, 6 + 8 * size bytes:
 *                     { u16 flags; u16 idx; {u32 id; u32 len} ring[size];
 *                       u16 avail_event; }
 *
 * Rules this file enforces on top of the header's list:
 *   - Every ring and every buffer must lie inside ONE guest RAM region
 *     (guest_mem_ptr semantics).  Regions that happen to be adjacent in
 *     guest physical space are not contiguous on the host, so a buffer
 *     straddling two of them is malformed (-EINVAL), not split.
 *   - The chain length counts every buffer descriptor, direct or from the
 *     indirect table, zero-length ones included; the descriptor that
 *     points at an indirect table is not a buffer and does not count.
 *     The limit is the queue size, so buf[] (VQ_MAX_CHAIN) never overflows
 *     and any loop ends in -EINVAL.
 *   - Zero-length descriptors are legal, are never translated (they name
 *     no bytes, so their address is not checked) and do not appear in
 *     buf[]; they still obey the readable-before-writable order.
 *   - An indirect descriptor may end a chain of direct ones (the spec
 *     requires devices to accept that); the WRITE flag on it is ignored.
 *   - The total of all lengths must fit in 32 bits.
 *
 * Guest fields are read with relaxed atomic loads of their exact width
 * into locals and each decision uses the local, so a guest rewriting the
 * ring concurrently cannot make a check and the use of a value disagree.
 */
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define LOG_MOD "virtqueue"
#include "devices/virtio/virtqueue.h"
#include "vmm/log.h"

#define VQ_DESC_F_NEXT 1
#define VQ_DESC_F_WRITE 2
#define VQ_DESC_F_INDIRECT 4
#define VQ_AVAIL_F_NO_INTERRUPT 1
#define VQ_USED_F_NO_NOTIFY 1

#define VQ_DESC_SIZE 16u
/* Byte offsets inside the rings. */
#define VQ_RING_FLAGS 0u
#define VQ_RING_IDX 2u
#define VQ_RING_ENTRIES 4u
#define VQ_USED_ELEM_SIZE 8u

/* A descriptor after its single read from guest memory. */
struct vq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* State of one chain walk. */
struct vq_walk {
	const uint8_t *table; /* host address of the current table */
	uint32_t entries; /* descriptors in it */
	int indirect; /* walking an indirect table */
	uint32_t count; /* buffer descriptors seen so far */
	int seen_write; /* a device-writable descriptor was seen */
	uint64_t total; /* sum of all lengths */
};

/* ---- Barriers (each pairs with one driver-side barrier) ---- */

/* Pairs with the driver's write barrier between filling the avail ring
 * and descriptors and bumping avail->idx. */
static inline void vq_rmb_after_avail_idx(void)
{
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
}

/* Pairs with the driver's read barrier between reading used->idx and
 * reading the used elements it covers. */
static inline void vq_wmb_before_used_idx(void)
{
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

/* Pairs with the driver's full barrier between writing used_event (or
 * avail->flags) and re-reading used->idx: our used->idx store must be
 * visible before we read its suppression fields. */
static inline void vq_mb_before_used_event(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* Pairs with the driver's full barrier between writing avail->idx and
 * reading used->flags / avail_event: our suppression write must be
 * visible before we re-read avail->idx. */
static inline void vq_mb_after_notify_enable(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* ---- Exact-width accesses to guest memory (naturally aligned) ---- */

static inline uint16_t vq_ld16(const uint8_t *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED));
}

static inline uint32_t vq_ld32(const uint8_t *p)
{
	return le32toh(__atomic_load_n((const uint32_t *)p, __ATOMIC_RELAXED));
}

static inline uint64_t vq_ld64(const uint8_t *p)
{
	return le64toh(__atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED));
}

static inline void vq_st16(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, htole16(v), __ATOMIC_RELAXED);
}

static inline void vq_st32(uint8_t *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)p, htole32(v), __ATOMIC_RELAXED);
}

static void vq_desc_read(const uint8_t *p, struct vq_desc *d)
{
	uint8_t raw[VQ_DESC_SIZE];
	uint64_t a;
	uint32_t l;
	uint16_t f, n;

	if (!((uintptr_t)p & 7)) {
		d->addr = vq_ld64(p);
		d->len = vq_ld32(p + 8);
		d->flags = vq_ld16(p + 12);
		d->next = vq_ld16(p + 14);
		return;
	}
	/*
	 * Indirect tables carry no alignment rule.  Copy once; the asm
	 * makes `raw` escape so the compiler can neither re-read guest
	 * memory in place of the copy nor defer the copy.
	 */
	memcpy(raw, p, sizeof(raw));
	__asm__ volatile("" : : "r"(raw) : "memory");
	memcpy(&a, raw, 8);
	memcpy(&l, raw + 8, 4);
	memcpy(&f, raw + 12, 2);
	memcpy(&n, raw + 14, 2);
	d->addr = le64toh(a);
	d->len = le32toh(l);
	d->flags = le16toh(f);
	d->next = le16toh(n);
}

/* ---- Ring geometry ---- */

static uint64_t vq_desc_bytes(uint16_t size)
{
	return (uint64_t)size * VQ_DESC_SIZE;
}

static uint64_t vq_avail_bytes(uint16_t size)
{
	return 6 + 2 * (uint64_t)size;
}

static uint64_t vq_used_bytes(uint16_t size)
{
	return 6 + VQ_USED_ELEM_SIZE * (uint64_t)size;
}

/*
 * Host address of a ring that vq_enable already checked; NULL only if
 * guest RAM changed under us, which the callers treat as broken.
 */
static uint8_t *vq_ring(const struct vq *q, uint64_t gpa, uint64_t len)
{
	return guest_mem_ptr(q->mem, gpa, len);
}

/* Mark the queue broken and say why, once (later calls return early). */
static int vq_fail(struct vq *q, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int vq_fail(struct vq *q, const char *fmt, ...)
{
	char why[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	q->broken = 1;
	log_ratelimited(&q->rl, LOG_WARN,
			"queue (desc 0x%llx, size %u) broken, needs reset: %s",
			(unsigned long long)q->desc, q->size, why);
	return -EINVAL;
}

/* ---- Setup ---- */

void vq_init(struct vq *q, const struct guest_mem *mem)
{
	memset(q, 0, sizeof(*q));
	q->mem = mem;
}

static int vq_ring_ok(const struct vq *q, uint64_t gpa, uint64_t len,
		      uint64_t align)
{
	uint8_t *p;

	if (gpa & (align - 1))
		return 0;
	p = guest_mem_ptr(q->mem, gpa, len);
	/* The host side must be aligned too for exact-width accesses. */
	return p && !((uintptr_t)p & (align - 1));
}

int vq_enable(struct vq *q, uint16_t size, uint64_t desc, uint64_t avail,
	      uint64_t used, uint64_t features)
{
	if (!q->mem || !size || size > VQ_MAX_SIZE || (size & (size - 1)))
		return -EINVAL;
	if (!vq_ring_ok(q, desc, vq_desc_bytes(size), 16) ||
	    !vq_ring_ok(q, avail, vq_avail_bytes(size), 2) ||
	    !vq_ring_ok(q, used, vq_used_bytes(size), 4))
		return -EINVAL;
	q->size = size;
	q->desc = desc;
	q->avail = avail;
	q->used = used;
	q->event_idx = !!(features & (1ull << VIRTIO_F_EVENT_IDX));
	q->indirect = !!(features & (1ull << VIRTIO_F_INDIRECT_DESC));
	q->last_avail = 0;
	q->used_idx = 0;
	q->signalled_used = 0;
	q->signalled_valid = 0;
	q->broken = 0;
	q->ready = 1;
	return 0;
}

void vq_reset(struct vq *q)
{
	const struct guest_mem *mem = q->mem;
	/* Kept so that a guest resetting in a loop cannot flood the log. */
	struct log_rl rl = q->rl;

	vq_init(q, mem);
	q->rl = rl;
}

/* ---- Chain walk ---- */

/* Enter the indirect table named by *d (already known to carry INDIRECT). */
static int vq_walk_indirect(struct vq *q, struct vq_walk *w,
			    const struct vq_desc *d, uint16_t idx)
{
	const uint8_t *t;

	if (w->indirect)
		return vq_fail(q, "nested indirect descriptor at %u", idx);
	if (!q->indirect)
		return vq_fail(
			q,
			"indirect descriptor %u but INDIRECT_DESC not negotiated",
			idx);
	if (d->flags & VQ_DESC_F_NEXT)
		return vq_fail(q, "indirect descriptor %u has NEXT set", idx);
	if (!d->len || d->len % VQ_DESC_SIZE || d->len / VQ_DESC_SIZE > q->size)
		return vq_fail(
			q,
			"indirect descriptor %u: bad table length %u (queue size %u)",
			idx, d->len, q->size);
	t = guest_mem_ptr(q->mem, d->addr, d->len);
	if (!t)
		return vq_fail(
			q,
			"indirect table 0x%llx+%u (desc %u) not in one RAM region",
			(unsigned long long)d->addr, d->len, idx);
	w->table = t;
	w->entries = d->len / VQ_DESC_SIZE;
	w->indirect = 1;
	return 0;
}

/* Account one buffer descriptor and append it to the chain. */
static int vq_walk_buf(struct vq *q, struct vq_walk *w, struct vq_chain *c,
		       const struct vq_desc *d, uint16_t idx)
{
	int write = !!(d->flags & VQ_DESC_F_WRITE);
	const char *where = w->indirect ? "indirect " : "";
	struct vq_buf *b;
	void *p;

	if (++w->count > q->size)
		return vq_fail(
			q,
			"chain from head %u longer than %u descriptors (loop?) at %sdesc %u",
			c->head, q->size, where, idx);
	if (!write && w->seen_write)
		return vq_fail(
			q,
			"chain from head %u: readable %sdesc %u after a writable one",
			c->head, where, idx);
	w->seen_write |= write;
	w->total += d->len;
	if (w->total > UINT32_MAX)
		return vq_fail(
			q,
			"chain from head %u: total length exceeds 4 GiB at %sdesc %u",
			c->head, where, idx);
	if (!d->len)
		return 0;
	if (d->addr + d->len < d->addr)
		return vq_fail(q, "%sdesc %u: 0x%llx+%u wraps past 2^64", where,
			       idx, (unsigned long long)d->addr, d->len);
	p = guest_mem_ptr(q->mem, d->addr, d->len);
	if (!p)
		return vq_fail(
			q, "%sdesc %u: buffer 0x%llx+%u not in one RAM region",
			where, idx, (unsigned long long)d->addr, d->len);
	b = &c->buf[c->nr++];
	b->addr = p;
	b->len = d->len;
	b->write = write;
	if (write)
		c->in_len += d->len;
	else
		c->out_len += d->len;
	return 0;
}

static int vq_walk_chain(struct vq *q, const uint8_t *desc, uint16_t head,
			 struct vq_chain *c)
{
	struct vq_walk w = { .table = desc, .entries = q->size };
	struct vq_desc d;
	uint32_t idx = head;
	int ret;

	c->head = head;
	c->nr = 0;
	c->out_len = 0;
	c->in_len = 0;
	for (;;) {
		/* idx < w.entries holds here: head and each next are checked. */
		vq_desc_read(w.table + (uint64_t)idx * VQ_DESC_SIZE, &d);
		if (d.flags & VQ_DESC_F_INDIRECT) {
			ret = vq_walk_indirect(q, &w, &d, (uint16_t)idx);
			if (ret)
				return ret;
			idx = 0;
			continue;
		}
		ret = vq_walk_buf(q, &w, c, &d, (uint16_t)idx);
		if (ret)
			return ret;
		if (!(d.flags & VQ_DESC_F_NEXT))
			return 0;
		if (d.next >= w.entries)
			return vq_fail(
				q,
				"chain from head %u: %sdesc %u has next %u >= %u",
				head, w.indirect ? "indirect " : "",
				(unsigned int)idx, d.next, w.entries);
		idx = d.next;
	}
}

/* ---- Public operations ---- */

int vq_pop(struct vq *q, struct vq_chain *c)
{
	const uint8_t *avail, *desc;
	uint16_t avail_idx, pending, head;
	int ret;

	if (q->broken)
		return -EINVAL;
	if (!q->ready)
		return -EAGAIN;
	avail = vq_ring(q, q->avail, vq_avail_bytes(q->size));
	desc = vq_ring(q, q->desc, vq_desc_bytes(q->size));
	if (!avail || !desc)
		return vq_fail(q, "rings no longer in guest RAM");

	avail_idx = vq_ld16(avail + VQ_RING_IDX);
	pending = (uint16_t)(avail_idx - q->last_avail);
	if (!pending)
		return -EAGAIN;
	if (pending > q->size)
		return vq_fail(
			q, "avail idx %u is %u ahead of consumed %u (size %u)",
			avail_idx, pending, q->last_avail, q->size);
	vq_rmb_after_avail_idx();

	head = vq_ld16(avail + VQ_RING_ENTRIES +
		       2u * (q->last_avail & (q->size - 1u)));
	if (head >= q->size)
		return vq_fail(q, "avail slot %u: head %u >= size %u",
			       q->last_avail, head, q->size);
	ret = vq_walk_chain(q, desc, head, c);
	if (ret)
		return ret;
	/* avail_event is published only by vq_enable_notify. */
	q->last_avail++;
	return 0;
}

int vq_push_n(struct vq *q, const uint16_t *heads, const uint32_t *lens,
	      uint16_t n)
{
	uint8_t *used, *elem;
	uint16_t i;

	if (q->broken || !q->ready)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (heads[i] < q->size)
			continue;
		log_ratelimited(
			&q->rl, LOG_WARN,
			"queue (desc 0x%llx): push of head %u >= size %u",
			(unsigned long long)q->desc, heads[i], q->size);
		return -EINVAL;
	}
	used = vq_ring(q, q->used, vq_used_bytes(q->size));
	if (!used)
		return vq_fail(q, "used ring no longer in guest RAM");

	for (i = 0; i < n; i++) {
		elem = used + VQ_RING_ENTRIES +
		       VQ_USED_ELEM_SIZE *
			       ((uint16_t)(q->used_idx + i) & (q->size - 1u));
		vq_st32(elem, heads[i]);
		vq_st32(elem + 4, lens[i]);
	}
	vq_wmb_before_used_idx();
	q->used_idx = (uint16_t)(q->used_idx + n);
	vq_st16(used + VQ_RING_IDX, q->used_idx);
	return 0;
}

int vq_push(struct vq *q, uint16_t head, uint32_t len)
{
	return vq_push_n(q, &head, &len, 1);
}

/* The driver asked to be told once the used index passes `event`:
 * true when event lies in [old, new) modulo 2^16. */
static bool vq_need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

bool vq_should_notify(struct vq *q)
{
	const uint8_t *avail;
	uint16_t old, new_idx, event;
	int valid;

	if (q->broken || !q->ready)
		return false;
	avail = vq_ring(q, q->avail, vq_avail_bytes(q->size));
	if (!avail)
		return false;
	vq_mb_before_used_event();

	old = q->signalled_used;
	valid = q->signalled_valid;
	new_idx = q->used_idx;
	q->signalled_used = new_idx;
	q->signalled_valid = 1;

	if (!q->event_idx)
		return !(vq_ld16(avail + VQ_RING_FLAGS) &
			 VQ_AVAIL_F_NO_INTERRUPT);
	/* Without a previous signal there is no `old` to compare against. */
	if (!valid)
		return true;
	event = vq_ld16(avail + VQ_RING_ENTRIES + 2u * q->size);
	return vq_need_event(event, new_idx, old);
}

bool vq_enable_notify(struct vq *q, bool on)
{
	const uint8_t *avail;
	uint8_t *used;
	uint16_t avail_idx;

	if (q->broken || !q->ready)
		return false;
	avail = vq_ring(q, q->avail, vq_avail_bytes(q->size));
	used = vq_ring(q, q->used, vq_used_bytes(q->size));
	if (!avail || !used)
		return false;

	if (!q->event_idx)
		vq_st16(used + VQ_RING_FLAGS, on ? 0 : VQ_USED_F_NO_NOTIFY);
	else if (on)
		vq_st16(used + VQ_RING_ENTRIES + VQ_USED_ELEM_SIZE * q->size,
			q->last_avail);
	/*
	 * With EVENT_IDX, "off" leaves avail_event behind last_avail: the
	 * driver only kicks again when its idx passes that stale value.
	 */
	vq_mb_after_notify_enable();
	avail_idx = vq_ld16(avail + VQ_RING_IDX);
	return avail_idx != q->last_avail;
}
