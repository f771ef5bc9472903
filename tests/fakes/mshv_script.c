// SPDX-License-Identifier: Apache-2.0
/*
 * mshv_script.c - the scripted fake /dev/mshv, part one: the system-call
 * table and the ioctls of /dev/mshv, the partition and VP fds (see
 * mshv_script.h; hypercalls are in mshv_script_hvcall.c).
 *
 * Each ioctl handler first checks the argument against the reference ABI
 * the way the upstream driver does, then acts on the in-memory partition.
 * Anything the plugin should never send is a violation (recorded, and
 * answered with the kernel's error).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fakes/mshv_script.h"

/* --- helpers --------------------------------------------------------------- */

int mshv_script_bad(struct mshv_script *s, int err, const char *fmt, ...)
{
	va_list ap;

	if (!s->violations++) {
		va_start(ap, fmt);
		vsnprintf(s->first_violation, sizeof(s->first_violation), fmt,
			  ap);
		va_end(ap);
	}
	return -err;
}

void mshv_script_count(struct mshv_script_count *c, unsigned long key)
{
	unsigned int i;

	for (i = 0; i < MSHV_SCRIPT_MAX_COUNTS; i++) {
		if (c[i].n && c[i].key != key)
			continue;
		c[i].key = key;
		c[i].n++;
		return;
	}
}

unsigned int mshv_script_counted(const struct mshv_script_count *c,
				 unsigned long key)
{
	unsigned int i;

	for (i = 0; i < MSHV_SCRIPT_MAX_COUNTS; i++)
		if (c[i].n && c[i].key == key)
			return c[i].n;
	return 0;
}

int mshv_script_failing(struct mshv_script *s, bool hvcall, unsigned long key)
{
	unsigned int i;

	for (i = 0; i < MSHV_SCRIPT_MAX_FAILS; i++) {
		struct mshv_script_fail *f = &s->fails[i];

		if (f->times && f->hvcall == hvcall && f->key == key) {
			f->times--;
			return f->err;
		}
	}
	return 0;
}

bool mshv_script_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		if (*b++)
			return false;
	return true;
}

struct mshv_script_reg *mshv_script_vp_reg(struct mshv_script_vp *vp,
					   uint32_t name, bool create)
{
	unsigned int i;

	for (i = 0; i < vp->nr_regs; i++)
		if (vp->regs[i].name == name)
			return &vp->regs[i];
	if (!create || vp->nr_regs == MSHV_SCRIPT_MAX_REGS)
		return NULL;
	memset(&vp->regs[vp->nr_regs], 0, sizeof(vp->regs[0]));
	vp->regs[vp->nr_regs].name = name;
	return &vp->regs[vp->nr_regs++];
}

struct mshv_script_vp *mshv_script_vp(struct mshv_script *s, uint32_t vp)
{
	return vp < MSHV_SCRIPT_MAX_VPS && s->vps[vp].created ? &s->vps[vp] :
								NULL;
}

/* --- partition ioctls ------------------------------------------------------ */

static int ms_set_memory(struct mshv_script *s, struct mshv_user_mem_region *m)
{
	uint64_t end = m->guest_pfn + m->size / MSHV_PAGE_SIZE;
	unsigned int i;

	if (!s->initialized)
		return mshv_script_bad(s, EINVAL,
				       "SET_GUEST_MEMORY before initialize");
	if (!m->size || (m->size & 4095) || (m->userspace_addr & 4095) ||
	    (m->flags & ~MSHV_SET_MEM_FLAGS_MASK) ||
	    !mshv_script_zero(m->rsvd, sizeof(m->rsvd)))
		return mshv_script_bad(s, EINVAL, "SET_GUEST_MEMORY layout");
	if (m->flags & MSHV_SET_MEM_FLAG_UNMAP) {
		for (i = 0; i < s->nr_regions; i++) {
			struct mshv_user_mem_region *r = &s->regions[i];

			if (r->guest_pfn != m->guest_pfn)
				continue;
			if (r->size != m->size ||
			    r->userspace_addr != m->userspace_addr)
				return mshv_script_bad(s, EINVAL,
						       "partial unmap");
			memmove(r, r + 1, (s->nr_regions - i - 1) * sizeof(*r));
			s->nr_regions--;
			return 0;
		}
		return mshv_script_bad(s, ENOENT, "unmap of nothing");
	}
	for (i = 0; i < s->nr_regions; i++) {
		const struct mshv_user_mem_region *r = &s->regions[i];

		if (m->guest_pfn < r->guest_pfn + r->size / MSHV_PAGE_SIZE &&
		    r->guest_pfn < end)
			return mshv_script_bad(s, EEXIST, "overlapping map");
	}
	if (s->nr_regions == MSHV_SCRIPT_MAX_REGIONS)
		return -ENOSPC;
	s->regions[s->nr_regions++] = *m;
	return 0;
}

static int ms_irqfd(struct mshv_script *s, const struct mshv_user_irqfd *q)
{
	unsigned int i;

	if ((q->flags & ~3u) || q->fd < 0 || q->gsi >= MSHV_MAX_GSI ||
	    (q->flags & MSHV_IRQFD_FLAG_RESAMPLE))
		return mshv_script_bad(s, EINVAL,
				       "IRQFD flags %#x fd %d gsi %u", q->flags,
				       q->fd, q->gsi);
	for (i = 0; i < s->nr_irqfds; i++)
		if (s->irqfds[i].fd == q->fd)
			break;
	if (q->flags & MSHV_IRQFD_FLAG_DEASSIGN) {
		if (i == s->nr_irqfds || s->irqfds[i].gsi != q->gsi)
			return -ENOENT;
		s->irqfds[i] = s->irqfds[--s->nr_irqfds];
		return 0;
	}
	if (i < s->nr_irqfds)
		return -EBUSY;
	if (s->nr_irqfds == MSHV_SCRIPT_MAX_IRQFDS)
		return -ENOSPC;
	s->irqfds[s->nr_irqfds++] = *q;
	return 0;
}

static bool ms_ioe_same(const struct mshv_user_ioeventfd *a,
			const struct mshv_user_ioeventfd *b)
{
	uint32_t dm = MSHV_IOEVENTFD_FLAG_DATAMATCH;

	return a->addr == b->addr && a->len == b->len &&
	       (a->flags & dm) == (b->flags & dm) &&
	       (!(a->flags & dm) || a->datamatch == b->datamatch);
}

static int ms_ioeventfd(struct mshv_script *s,
			const struct mshv_user_ioeventfd *q)
{
	unsigned int i;

	if (q->flags & MSHV_IOEVENTFD_FLAG_PIO)
		return mshv_script_bad(s, EOPNOTSUPP,
				       "PIO ioeventfd reached the kernel");
	if ((q->flags & ~7u) || q->fd < 0 || !mshv_script_zero(q->rsvd, 4) ||
	    (q->len != 0 && q->len != 1 && q->len != 2 && q->len != 4 &&
	     q->len != 8))
		return mshv_script_bad(s, EINVAL, "IOEVENTFD layout");
	for (i = 0; i < s->nr_ioes; i++)
		if (ms_ioe_same(&s->ioes[i], q))
			break;
	if (q->flags & MSHV_IOEVENTFD_FLAG_DEASSIGN) {
		if (i == s->nr_ioes || s->ioes[i].fd != q->fd)
			return -ENOENT;
		s->ioes[i] = s->ioes[--s->nr_ioes];
		return 0;
	}
	if (i < s->nr_ioes)
		return -EEXIST;
	if (s->nr_ioes == MSHV_SCRIPT_MAX_IOES)
		return -ENOSPC;
	s->ioes[s->nr_ioes++] = *q;
	return 0;
}

static int ms_routing(struct mshv_script *s,
		      const struct mshv_user_irq_table *t)
{
	unsigned int i, j;

	if (!t || t->rsvd || t->nr > MSHV_MAX_GSI)
		return mshv_script_bad(s, EINVAL, "MSI_ROUTING header");
	for (i = 0; i < t->nr; i++) {
		if (t->entries[i].gsi >= MSHV_MAX_GSI ||
		    t->entries[i].address_hi)
			return mshv_script_bad(s, EINVAL,
					       "MSI_ROUTING entry %u", i);
		for (j = 0; j < i; j++)
			if (t->entries[j].gsi == t->entries[i].gsi)
				return mshv_script_bad(s, EINVAL,
						       "duplicate gsi");
	}
	memcpy(s->routes, t->entries, t->nr * sizeof(t->entries[0]));
	s->nr_routes = t->nr;
	return 0;
}

static int ms_gpap(struct mshv_script *s, struct mshv_gpap_access_bitmap *b)
{
	uint8_t *bits = (void *)(uintptr_t)b->bitmap_ptr;
	uint64_t i;
	unsigned int k;
	bool dirty;

	if (b->access_type > MSHV_GPAP_ACCESS_TYPE_DIRTY ||
	    b->access_op > MSHV_GPAP_ACCESS_OP_SET ||
	    !mshv_script_zero(b->rsvd, sizeof(b->rsvd)) || !b->page_count ||
	    !bits)
		return mshv_script_bad(s, EINVAL, "GPAP_ACCESS_BITMAP layout");
	s->last_gpap = *b;
	memset(bits, 0, (b->page_count + 7) / 8);
	for (i = 0; i < b->page_count; i++) {
		for (k = 0, dirty = false; k < s->nr_dirty; k++)
			if (s->dirty[k] == b->gpap_base + i)
				break;
		dirty = k < s->nr_dirty;
		if (dirty)
			bits[i / 8] |= (uint8_t)(1u << (i % 8));
		if (dirty && b->access_op == MSHV_GPAP_ACCESS_OP_CLEAR)
			s->dirty[k] = s->dirty[--s->nr_dirty];
		else if (!dirty && b->access_op == MSHV_GPAP_ACCESS_OP_SET &&
			 s->nr_dirty < MSHV_SCRIPT_MAX_DIRTY)
			s->dirty[s->nr_dirty++] = b->gpap_base + i;
	}
	return 0;
}

static int ms_create_vp(struct mshv_script *s, const struct mshv_create_vp *c)
{
	struct mshv_script_vp *vp;

	if (!s->initialized)
		return mshv_script_bad(s, EINVAL,
				       "CREATE_VP before initialize");
	if (c->vp_index >= MSHV_MAX_VPS)
		return mshv_script_bad(s, EINVAL, "vp_index %u", c->vp_index);
	if (c->vp_index >= MSHV_SCRIPT_MAX_VPS)
		return -ENOSPC;
	vp = &s->vps[c->vp_index];
	if (vp->created)
		return -EEXIST;
	vp->created = vp->open = true;
	vp->lapic.apic_id = c->vp_index << 24;
	vp->lapic.apic_lvt_lint0 = 0x10000;
	vp->lapic.apic_lvt_lint1 = 0x10000;
	return MSHV_SCRIPT_VP_FD + (int)c->vp_index;
}

static int ms_pt_ioctl(struct mshv_script *s, unsigned long req, void *arg)
{
	switch (req) {
	case MSHV_INITIALIZE_PARTITION:
		if (arg)
			return mshv_script_bad(s, EINVAL,
					       "INITIALIZE with argument");
		s->initialized = true;
		return 0;
	case MSHV_CREATE_VP:
		return ms_create_vp(s, arg);
	case MSHV_SET_GUEST_MEMORY:
		return ms_set_memory(s, arg);
	case MSHV_IRQFD:
		return ms_irqfd(s, arg);
	case MSHV_IOEVENTFD:
		return ms_ioeventfd(s, arg);
	case MSHV_SET_MSI_ROUTING:
		return ms_routing(s, arg);
	case MSHV_GET_GPAP_ACCESS_BITMAP:
		return ms_gpap(s, arg);
	case MSHV_ROOT_HVCALL:
		return mshv_script_hvcall(s, -1, arg);
	default:
		return mshv_script_bad(s, ENOTTY,
				       "ioctl %#lx on the partition fd", req);
	}
}

/* --- VP and /dev/mshv ioctls ----------------------------------------------- */

static int ms_vp_state(struct mshv_script *s, struct mshv_script_vp *vp,
		       struct mshv_get_set_vp_state *st, bool set)
{
	if (st->type > MSHV_VP_STATE_SYNTHETIC_TIMERS ||
	    !mshv_script_zero(st->rsvd, 3) || !st->buf_sz ||
	    (st->buf_sz & 4095) || !st->buf_ptr || (st->buf_ptr & 4095))
		return mshv_script_bad(s, EINVAL, "VP_STATE layout");
	if (st->type != MSHV_VP_STATE_LAPIC)
		return -EINVAL;
	if (set)
		memcpy(&vp->lapic, (void *)(uintptr_t)st->buf_ptr,
		       sizeof(vp->lapic));
	else
		memcpy((void *)(uintptr_t)st->buf_ptr, &vp->lapic,
		       sizeof(vp->lapic));
	return 0;
}

static int ms_vp_ioctl(struct mshv_script *s, uint32_t idx, unsigned long req,
		       void *arg)
{
	struct mshv_script_vp *vp = &s->vps[idx];
	struct mshv_script_item *it;

	switch (req) {
	case MSHV_RUN_VP:
		if (!arg)
			return mshv_script_bad(s, EFAULT,
					       "RUN_VP without buffer");
		vp->runs++;
		if (!vp->q_len)
			return -EINTR;
		it = &vp->q[vp->q_head];
		vp->q_head = (vp->q_head + 1) % MSHV_SCRIPT_MAX_MSGS;
		vp->q_len--;
		if (it->err)
			return -it->err;
		memcpy(arg, &it->msg, sizeof(it->msg));
		return 0;
	case MSHV_GET_VP_STATE:
	case MSHV_SET_VP_STATE:
		return ms_vp_state(s, vp, arg, req == MSHV_SET_VP_STATE);
	case MSHV_ROOT_HVCALL:
		return mshv_script_hvcall(s, (int)idx, arg);
	default:
		return mshv_script_bad(s, ENOTTY, "ioctl %#lx on a VP fd", req);
	}
}

static int ms_dev_ioctl(struct mshv_script *s, unsigned long req, void *arg)
{
	const struct mshv_create_partition *c = arg;

	if (req == MSHV_OLD_CHECK_EXTENSION)
		return s->abi == MSHV_SCRIPT_ABI_OLD ? 1 : -ENOTTY;
	if (s->abi == MSHV_SCRIPT_ABI_OLD)
		return -ENOTTY;
	if (req != MSHV_CREATE_PARTITION)
		return mshv_script_bad(s, ENOTTY, "ioctl %#lx on /dev/mshv",
				       req);
	if (!c || (c->pt_flags & ~((1ull << MSHV_PT_BIT_COUNT) - 1)) ||
	    (c->pt_flags & (1ull << MSHV_PT_BIT_CPU_AND_XSAVE_FEATURES)) ||
	    c->pt_isolation != MSHV_PT_ISOLATION_NONE)
		return mshv_script_bad(s, EINVAL, "CREATE_PARTITION args");
	if (s->pt_open)
		return -EBUSY; /* the fake holds one partition */
	s->pt_open = true;
	s->initialized = false;
	s->create = *c;
	return MSHV_SCRIPT_PT_FD;
}

/* --- the table ------------------------------------------------------------- */

static int ms_open(void *ctx, const char *path, int flags)
{
	struct mshv_script *s = ctx;
	int ret, i;

	pthread_mutex_lock(&s->lock);
	if (strcmp(path, MSHV_DEV_PATH) || (flags & O_ACCMODE) != O_RDWR) {
		ret = mshv_script_bad(s, EINVAL, "open(%s, %#x)", path, flags);
	} else if (s->open_err) {
		ret = -s->open_err;
	} else {
		for (i = 0; i < 32 && (s->dev_open & (1u << i)); i++)
			;
		s->dev_open |= 1u << i;
		ret = MSHV_SCRIPT_DEV_FD + i;
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

static void ms_partition_gone(struct mshv_script *s)
{
	unsigned int i;

	s->pt_open = s->initialized = false;
	s->nr_regions = s->nr_irqfds = s->nr_ioes = s->nr_routes = 0;
	for (i = 0; i < MSHV_SCRIPT_MAX_VPS; i++) {
		if (s->vps[i].open)
			mshv_script_bad(s, EBUSY,
					"partition closed before VP %u", i);
		s->vps[i].created = s->vps[i].open = false;
	}
}

static int ms_close(void *ctx, int fd)
{
	struct mshv_script *s = ctx;
	int ret = 0, n = fd - MSHV_SCRIPT_DEV_FD;

	pthread_mutex_lock(&s->lock);
	if (n >= 0 && n < 32 && (s->dev_open & (1u << n)))
		s->dev_open &= ~(1u << n);
	else if (fd == MSHV_SCRIPT_PT_FD && s->pt_open)
		ms_partition_gone(s);
	else if (fd >= MSHV_SCRIPT_VP_FD &&
		 fd < MSHV_SCRIPT_VP_FD + MSHV_SCRIPT_MAX_VPS &&
		 s->vps[fd - MSHV_SCRIPT_VP_FD].open)
		s->vps[fd - MSHV_SCRIPT_VP_FD].open = false;
	else
		ret = mshv_script_bad(s, EBADF, "close(%d)", fd);
	pthread_mutex_unlock(&s->lock);
	return ret;
}

static int ms_ioctl(void *ctx, int fd, unsigned long req, void *arg)
{
	struct mshv_script *s = ctx;
	int ret, n = fd - MSHV_SCRIPT_DEV_FD;

	pthread_mutex_lock(&s->lock);
	mshv_script_count(s->ioctl_counts, req);
	ret = mshv_script_failing(s, false, req);
	if (ret)
		ret = -ret;
	else if (n >= 0 && n < 32 && (s->dev_open & (1u << n)))
		ret = ms_dev_ioctl(s, req, arg);
	else if (fd == MSHV_SCRIPT_PT_FD && s->pt_open)
		ret = ms_pt_ioctl(s, req, arg);
	else if (fd >= MSHV_SCRIPT_VP_FD &&
		 fd < MSHV_SCRIPT_VP_FD + MSHV_SCRIPT_MAX_VPS &&
		 s->vps[fd - MSHV_SCRIPT_VP_FD].open)
		ret = ms_vp_ioctl(s, (uint32_t)(fd - MSHV_SCRIPT_VP_FD), req,
				  arg);
	else
		ret = mshv_script_bad(s, EBADF, "ioctl %#lx on fd %d", req, fd);
	pthread_mutex_unlock(&s->lock);
	return ret;
}

static int ms_mmap(void *ctx, int fd, size_t len, int prot, uint64_t off,
		   void **out)
{
	return mshv_script_bad(ctx, ENODEV,
			       "mmap is not used by this plugin version");
}

static int ms_munmap(void *ctx, void *addr, size_t len)
{
	return mshv_script_bad(ctx, EINVAL,
			       "munmap is not used by this plugin version");
}

static void ms_kick(void *ctx, int vp_fd, pthread_t thread, int signo)
{
	struct mshv_script *s = ctx;

	__atomic_add_fetch(&s->kicks, 1, __ATOMIC_SEQ_CST);
}

int mshv_script_new(struct mshv_script **out)
{
	struct mshv_script *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	s->sys = (struct mshv_sys){
		.ctx = s,
		.open = ms_open,
		.close = ms_close,
		.ioctl = ms_ioctl,
		.mmap = ms_mmap,
		.munmap = ms_munmap,
		.kick = ms_kick,
	};
	*out = s;
	return 0;
}

void mshv_script_free(struct mshv_script *s)
{
	if (!s)
		return;
	pthread_mutex_destroy(&s->lock);
	free(s);
}

const struct mshv_sys *mshv_script_sys(struct mshv_script *s)
{
	return &s->sys;
}
