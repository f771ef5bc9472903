// SPDX-License-Identifier: Apache-2.0
/*
 * sim_irq.c - interrupt plumbing of the MSHV simulator: MSHV_IRQFD,
 * MSHV_IOEVENTFD and MSHV_SET_MSI_ROUTING become KVM_IRQFD, KVM_IOEVENTFD
 * and KVM_SET_GSI_ROUTING (MSI entries only), after the kernel's own
 * checks (reference section 9); HVCALL_ASSERT_VIRTUAL_INTERRUPT becomes
 * KVM_SIGNAL_MSI with the same destination, vector, delivery mode and
 * trigger mode.
 *
 * Differences kept visible: resample fds need KVM's full in-kernel
 * irqchip, which the split irqchip is not (refused loudly); MSHV has no
 * port I/O ioeventfds (-EOPNOTSUPP, as the kernel answers).
 */
#define LOG_MOD "mshv-sim"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/mshv-sim/sim.h"

#define SIM_IRQFD_FLAGS (MSHV_IRQFD_FLAG_DEASSIGN | MSHV_IRQFD_FLAG_RESAMPLE)
#define SIM_IOEVENTFD_FLAGS                                        \
	(MSHV_IOEVENTFD_FLAG_DATAMATCH | MSHV_IOEVENTFD_FLAG_PIO | \
	 MSHV_IOEVENTFD_FLAG_DEASSIGN)

int sim_irq_irqfd(struct sim_part *part, const struct mshv_user_irqfd *a)
{
	struct kvm_irqfd k;
	int ret;

	if ((a->flags & ~SIM_IRQFD_FLAGS) || a->fd < 0 ||
	    a->gsi >= MSHV_MAX_GSI)
		return -EINVAL;
	if (a->flags & MSHV_IRQFD_FLAG_RESAMPLE)
		return sim_unsupported(
			part->sim,
			"irqfd resample (gsi %u): KVM's split irqchip has no resampler",
			a->gsi);
	memset(&k, 0, sizeof(k));
	k.fd = (uint32_t)a->fd;
	k.gsi = a->gsi;
	if (a->flags & MSHV_IRQFD_FLAG_DEASSIGN)
		k.flags = KVM_IRQFD_FLAG_DEASSIGN;
	ret = sim_kvm_ioctl(part->fd, KVM_IRQFD, &k);
	if (ret < 0)
		sim_debug(part->sim, "KVM_IRQFD fd %d gsi %u flags %#x: %s",
			  a->fd, a->gsi, a->flags, strerror(-ret));
	return ret;
}

int sim_irq_ioeventfd(struct sim_part *part,
		      const struct mshv_user_ioeventfd *a)
{
	struct kvm_ioeventfd k;
	uint32_t i;
	int ret;

	if (a->flags & ~SIM_IOEVENTFD_FLAGS)
		return -EINVAL;
	for (i = 0; i < sizeof(a->rsvd); i++)
		if (a->rsvd[i])
			return -EINVAL;
	if (a->flags & MSHV_IOEVENTFD_FLAG_PIO)
		return -EOPNOTSUPP; /* as the kernel: MMIO doorbells only */
	if (a->len != 0 && a->len != 1 && a->len != 2 && a->len != 4 &&
	    a->len != 8)
		return -EINVAL;
	if (a->fd < 0 || a->addr + a->len < a->addr)
		return -EINVAL;
	memset(&k, 0, sizeof(k));
	k.addr = a->addr;
	k.len = a->len;
	k.fd = a->fd;
	if (a->flags & MSHV_IOEVENTFD_FLAG_DATAMATCH) {
		k.flags |= KVM_IOEVENTFD_FLAG_DATAMATCH;
		k.datamatch = a->datamatch;
	}
	if (a->flags & MSHV_IOEVENTFD_FLAG_DEASSIGN)
		k.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
	ret = sim_kvm_ioctl(part->fd, KVM_IOEVENTFD, &k);
	if (ret < 0)
		sim_debug(part->sim, "KVM_IOEVENTFD %#llx len %u flags %#x: %s",
			  (unsigned long long)a->addr, a->len, a->flags,
			  strerror(-ret));
	return ret;
}

int sim_irq_routing(struct sim_part *part, const struct mshv_user_irq_table *t)
{
	struct kvm_irq_routing_entry *e;
	struct kvm_irq_routing *k;
	uint32_t i, j;
	int ret;

	if (t->nr > MSHV_MAX_GSI || t->rsvd)
		return -EINVAL;
	for (i = 0; i < t->nr; i++) {
		if (t->entries[i].gsi >= MSHV_MAX_GSI ||
		    t->entries[i].address_hi)
			return -EINVAL;
		for (j = 0; j < i; j++)
			if (t->entries[j].gsi == t->entries[i].gsi)
				return -EINVAL;
	}
	k = calloc(1, sizeof(*k) + (size_t)t->nr * sizeof(k->entries[0]));
	if (!k)
		return -ENOMEM;
	k->nr = t->nr;
	for (i = 0; i < t->nr; i++) {
		e = &k->entries[i];
		e->gsi = t->entries[i].gsi;
		e->type = KVM_IRQ_ROUTING_MSI;
		e->u.msi.address_lo = t->entries[i].address_lo;
		e->u.msi.address_hi = 0;
		e->u.msi.data = t->entries[i].data;
	}
	ret = sim_kvm_ioctl(part->fd, KVM_SET_GSI_ROUTING, k);
	if (ret < 0)
		sim_err(part->sim, "KVM_SET_GSI_ROUTING (%u routes): %s", t->nr,
			strerror(-ret));
	free(k);
	return ret;
}

int sim_irq_assert(struct sim_part *part,
		   const struct hv_input_assert_virtual_interrupt *in)
{
	struct kvm_msi msi;
	uint32_t addr, data;
	int ret;

	ret = sim_assert_to_msi(in, &addr, &data);
	if (ret == -EOPNOTSUPP)
		return sim_unsupported(part->sim,
				       "ASSERT_VIRTUAL_INTERRUPT of type %u",
				       in->interrupt_type);
	if (ret < 0)
		return HV_STATUS_INVALID_PARAMETER;
	memset(&msi, 0, sizeof(msi));
	msi.address_lo = addr;
	msi.data = data;
	/* > 0 delivered, 0 no destination accepted it (like hardware). */
	ret = sim_kvm_ioctl(part->fd, KVM_SIGNAL_MSI, &msi);
	if (ret < 0) {
		sim_err(part->sim, "KVM_SIGNAL_MSI %#x/%#x: %s", addr, data,
			strerror(-ret));
		return HV_STATUS_OPERATION_FAILED;
	}
	return HV_STATUS_SUCCESS;
}
