// SPDX-License-Identifier: Apache-2.0
/*
 * irq.c - interrupt lines backed by a callback or an irqfd eventfd.
 */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "devices/irq.h"

void irq_line_init_cb(struct irq_line *l, irq_set_fn *cb, void *opaque,
		      uint32_t pin)
{
	l->efd = -1;
	l->cb = cb;
	l->opaque = opaque;
	l->pin = pin;
	l->level = 0;
}

void irq_line_init_efd(struct irq_line *l, int efd)
{
	l->efd = efd;
	l->cb = NULL;
	l->opaque = NULL;
	l->pin = 0;
	l->level = 0;
}

static int efd_signal(int efd)
{
	uint64_t one = 1;

	if (write(efd, &one, sizeof(one)) != sizeof(one))
		return errno == EAGAIN ? 0 : -errno;
	return 0;
}

int irq_set_level(struct irq_line *l, int level)
{
	int old;

	level = !!level;
	/* Atomic so that two threads driving one line see each edge once. */
	old = __atomic_exchange_n(&l->level, level, __ATOMIC_ACQ_REL);
	if (l->efd >= 0)
		return (!old && level) ? efd_signal(l->efd) : 0;
	if (l->cb && old != level)
		l->cb(l->opaque, l->pin, level);
	return 0;
}

int irq_pulse(struct irq_line *l)
{
	if (l->efd >= 0) {
		__atomic_store_n(&l->level, 0, __ATOMIC_RELEASE);
		return efd_signal(l->efd);
	}
	if (l->cb) {
		l->cb(l->opaque, l->pin, 1);
		l->cb(l->opaque, l->pin, 0);
	}
	l->level = 0;
	return 0;
}
