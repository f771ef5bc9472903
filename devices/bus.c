// SPDX-License-Identifier: Apache-2.0
/*
 * bus.c - sorted-array address bus with binary search.
 *
 * Lookups copy the matching range under the read lock and call the device
 * after releasing it, so a device may change the map from its own
 * callback (a PCI config write that moves a BAR, arriving through ECAM on
 * this very bus).  The price: an access racing bus_unregister may still
 * reach the device it was looked up for, so a device's state must stay
 * valid until no vCPU runs (devices are freed only with vCPUs stopped).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MOD "bus"
#include "devices/bus.h"
#include "vmm/log.h"

int bus_init(struct bus *b, const char *name)
{
	memset(b, 0, sizeof(*b));
	b->name = name;
	b->rl = calloc(1, sizeof(struct log_rl));
	if (!b->rl)
		return -ENOMEM;
	if (pthread_rwlock_init(&b->lock, NULL)) {
		free(b->rl);
		return -ENOMEM;
	}
	return 0;
}

void bus_destroy(struct bus *b)
{
	pthread_rwlock_destroy(&b->lock);
	free(b->r);
	free(b->rl);
	memset(b, 0, sizeof(*b));
}

/* Index of the first range whose base is > addr. */
static unsigned int upper_bound(const struct bus *b, uint64_t addr)
{
	unsigned int lo = 0, hi = b->nr;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (b->r[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int bus_register(struct bus *b, uint64_t base, uint64_t size,
		 const struct io_ops *ops, void *opaque, const char *name)
{
	unsigned int i;
	int ret = 0;

	if (!size || base + size - 1 < base || !ops)
		return -EINVAL;
	pthread_rwlock_wrlock(&b->lock);
	i = upper_bound(b, base);
	if ((i > 0 && b->r[i - 1].base + b->r[i - 1].size - 1 >= base) ||
	    (i < b->nr && b->r[i].base <= base + size - 1)) {
		ret = -EEXIST;
		goto out;
	}
	if (b->nr == b->cap) {
		unsigned int cap = b->cap ? b->cap * 2 : 16;
		struct bus_range *r = realloc(b->r, cap * sizeof(*r));

		if (!r) {
			ret = -ENOMEM;
			goto out;
		}
		b->r = r;
		b->cap = cap;
	}
	memmove(&b->r[i + 1], &b->r[i], (b->nr - i) * sizeof(*b->r));
	b->r[i] = (struct bus_range){ base, size, ops, opaque, name };
	b->nr++;
out:
	pthread_rwlock_unlock(&b->lock);
	return ret;
}

int bus_unregister(struct bus *b, uint64_t base)
{
	unsigned int i;
	int ret = -ENOENT;

	pthread_rwlock_wrlock(&b->lock);
	i = upper_bound(b, base);
	if (i > 0 && b->r[i - 1].base == base) {
		i--;
		memmove(&b->r[i], &b->r[i + 1],
			(b->nr - i - 1) * sizeof(*b->r));
		b->nr--;
		ret = 0;
	}
	pthread_rwlock_unlock(&b->lock);
	return ret;
}

/* One device call; a missing callback ignores writes and reads zero. */
static int call(const struct bus_range *r, uint64_t off, uint8_t *data,
		uint32_t len, int write)
{
	if (write)
		return r->ops->write ?
			       r->ops->write(r->opaque, off, data, len) :
			       0;
	return r->ops->read ? r->ops->read(r->opaque, off, data, len) : 0;
}

/* Split an access into impl_len pieces, little-endian order; stop at the
 * first piece that fails. */
static int split_access(const struct bus_range *r, uint64_t off, uint8_t *data,
			uint32_t len, int write)
{
	uint32_t step = r->ops->impl_len, done;
	int ret = 0;

	for (done = 0; done < len && !ret; done += step)
		ret = call(r, off + done, data + done,
			   len - done < step ? len - done : step, write);
	return ret;
}

int bus_access(struct bus *b, uint64_t addr, void *data, uint32_t len,
	       int write)
{
	struct bus_range range;
	const struct bus_range *r = &range;
	unsigned int i;
	uint64_t off;
	int ret;

	if (!len || len > 8)
		return -EINVAL; /* not an access: leave the buffer alone */
	if (!write)
		memset(data, 0, len);
	if (addr + len - 1 < addr) {
		ret = -EINVAL; /* wraps the address space */
		goto bad;
	}
	pthread_rwlock_rdlock(&b->lock);
	i = upper_bound(b, addr);
	if (!i) {
		pthread_rwlock_unlock(&b->lock);
		goto unclaimed;
	}
	range = b->r[i - 1];
	pthread_rwlock_unlock(&b->lock);
	off = addr - r->base;
	if (off >= r->size || len > r->size - off)
		goto unclaimed;
	if ((r->ops->min_len && len < r->ops->min_len) ||
	    (r->ops->max_len && len > r->ops->max_len)) {
		log_ratelimited((struct log_rl *)b->rl, LOG_WARN,
				"%s: %u-byte %s at %#llx not allowed by %s",
				b->name, len, write ? "write" : "read",
				(unsigned long long)addr, r->name);
		ret = -EINVAL;
		goto bad;
	}
	if (r->ops->impl_len && len > r->ops->impl_len)
		ret = split_access(r, off, data, len, write);
	else
		ret = call(r, off, data, len, write);
	if (ret)
		log_ratelimited((struct log_rl *)b->rl, LOG_WARN,
				"%s: %s %s at %#llx len %u failed: %s", b->name,
				r->name, write ? "write" : "read",
				(unsigned long long)addr, len, strerror(-ret));
	/* A failed read answers all-ones, whatever the device wrote. */
	if (ret && !write)
		memset(data, 0xff, len);
	return ret;

unclaimed:
	__atomic_add_fetch(&b->unclaimed, 1, __ATOMIC_RELAXED);
	ret = -ENOENT;
bad:
	if (!write)
		memset(data, 0xff, len);
	return ret;
}
