// SPDX-License-Identifier: Apache-2.0
/*
 * sim_lapic.c - MSHV_GET_VP_STATE / MSHV_SET_VP_STATE of the MSHV
 * simulator.  Only the LAPIC blob exists here: the hypervisor's
 * hv_local_interrupt_controller_state is read from / written to KVM's
 * in-kernel LAPIC (KVM_GET_LAPIC / KVM_SET_LAPIC, xAPIC register layout).
 * apic_id is the plain id (the ID register's bits 31:24); the other
 * fields are the raw register values.  A set leaves the read-only ones
 * (version, current count, remote read) as KVM has them.
 *
 * XSAVE, SynIC pages and synthetic timers are not simulated (loud
 * -EOPNOTSUPP).  The kernel's buffer checks are reproduced: page-aligned
 * non-zero buf_ptr/buf_sz, reserved bytes zero; buf_sz is written back.
 */
#define LOG_MOD "mshv-sim"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "tests/mshv-sim/sim.h"

/* xAPIC register offsets in kvm_lapic_state.regs. */
#define SIM_APIC_ID 0x20
#define SIM_APIC_LDR 0xd0
#define SIM_APIC_DFR 0xe0
#define SIM_APIC_SPIV 0xf0
#define SIM_APIC_ISR 0x100
#define SIM_APIC_TMR 0x180
#define SIM_APIC_IRR 0x200
#define SIM_APIC_ESR 0x280
#define SIM_APIC_LVT_CMCI 0x2f0
#define SIM_APIC_ICR_LO 0x300
#define SIM_APIC_ICR_HI 0x310
#define SIM_APIC_LVT_TIMER 0x320
#define SIM_APIC_LVT_THERMAL 0x330
#define SIM_APIC_LVT_PERF 0x340
#define SIM_APIC_LVT_LINT0 0x350
#define SIM_APIC_LVT_LINT1 0x360
#define SIM_APIC_LVT_ERROR 0x370
#define SIM_APIC_TMICT 0x380
#define SIM_APIC_TMCCT 0x390
#define SIM_APIC_TDCR 0x3e0
#define SIM_APIC_VERSION 0x30

/* Blob field <-> register offset, for the plain read/write fields. */
#define SIM_LAPIC_FIELD(f, off)                                              \
	{                                                                    \
		offsetof(struct hv_local_interrupt_controller_state, f), off \
	}
static const struct {
	uint32_t field, reg;
} sim_lapic_rw[] = {
	SIM_LAPIC_FIELD(apic_ldr, SIM_APIC_LDR),
	SIM_LAPIC_FIELD(apic_dfr, SIM_APIC_DFR),
	SIM_LAPIC_FIELD(apic_spurious, SIM_APIC_SPIV),
	SIM_LAPIC_FIELD(apic_esr, SIM_APIC_ESR),
	SIM_LAPIC_FIELD(apic_icr_high, SIM_APIC_ICR_HI),
	SIM_LAPIC_FIELD(apic_icr_low, SIM_APIC_ICR_LO),
	SIM_LAPIC_FIELD(apic_lvt_timer, SIM_APIC_LVT_TIMER),
	SIM_LAPIC_FIELD(apic_lvt_thermal, SIM_APIC_LVT_THERMAL),
	SIM_LAPIC_FIELD(apic_lvt_perfmon, SIM_APIC_LVT_PERF),
	SIM_LAPIC_FIELD(apic_lvt_lint0, SIM_APIC_LVT_LINT0),
	SIM_LAPIC_FIELD(apic_lvt_lint1, SIM_APIC_LVT_LINT1),
	SIM_LAPIC_FIELD(apic_lvt_error, SIM_APIC_LVT_ERROR),
	SIM_LAPIC_FIELD(apic_lvt_cmci, SIM_APIC_LVT_CMCI),
	SIM_LAPIC_FIELD(apic_initial_count, SIM_APIC_TMICT),
	SIM_LAPIC_FIELD(apic_divide_configuration, SIM_APIC_TDCR),
};

#define SIM_NR_LAPIC_RW (sizeof(sim_lapic_rw) / sizeof(sim_lapic_rw[0]))

static uint32_t sim_apic_get(const struct kvm_lapic_state *l, uint32_t off)
{
	uint32_t v;

	memcpy(&v, &l->regs[off], sizeof(v));
	return v;
}

static void sim_apic_put(struct kvm_lapic_state *l, uint32_t off, uint32_t v)
{
	memcpy(&l->regs[off], &v, sizeof(v));
}

static void sim_lapic_to_hv(struct hv_local_interrupt_controller_state *h,
			    const struct kvm_lapic_state *l)
{
	uint32_t i;

	memset(h, 0, sizeof(*h));
	h->apic_id = sim_apic_get(l, SIM_APIC_ID) >> 24;
	h->apic_version = sim_apic_get(l, SIM_APIC_VERSION);
	for (i = 0; i < SIM_NR_LAPIC_RW; i++)
		memcpy((char *)h + sim_lapic_rw[i].field,
		       &l->regs[sim_lapic_rw[i].reg], sizeof(uint32_t));
	for (i = 0; i < 8; i++) {
		h->apic_isr[i] = sim_apic_get(l, SIM_APIC_ISR + 0x10 * i);
		h->apic_tmr[i] = sim_apic_get(l, SIM_APIC_TMR + 0x10 * i);
		h->apic_irr[i] = sim_apic_get(l, SIM_APIC_IRR + 0x10 * i);
	}
	h->apic_counter_value = sim_apic_get(l, SIM_APIC_TMCCT);
}

static void
sim_lapic_from_hv(struct kvm_lapic_state *l,
		  const struct hv_local_interrupt_controller_state *h)
{
	uint32_t i;

	sim_apic_put(l, SIM_APIC_ID, h->apic_id << 24);
	for (i = 0; i < SIM_NR_LAPIC_RW; i++)
		memcpy(&l->regs[sim_lapic_rw[i].reg],
		       (const char *)h + sim_lapic_rw[i].field,
		       sizeof(uint32_t));
	for (i = 0; i < 8; i++) {
		sim_apic_put(l, SIM_APIC_ISR + 0x10 * i, h->apic_isr[i]);
		sim_apic_put(l, SIM_APIC_TMR + 0x10 * i, h->apic_tmr[i]);
		sim_apic_put(l, SIM_APIC_IRR + 0x10 * i, h->apic_irr[i]);
	}
}

int sim_vp_state(struct sim_vp *vp, struct mshv_get_set_vp_state *st, bool set)
{
	struct hv_local_interrupt_controller_state h;
	struct kvm_lapic_state l;
	void *buf = (void *)(uintptr_t)st->buf_ptr;
	uint32_t i;
	int ret;

	for (i = 0; i < sizeof(st->rsvd); i++)
		if (st->rsvd[i])
			return -EINVAL;
	if (!st->buf_sz || (st->buf_sz & (MSHV_PAGE_SIZE - 1)) || !buf ||
	    (st->buf_ptr & (MSHV_PAGE_SIZE - 1)))
		return -EINVAL;
	switch (st->type) {
	case MSHV_VP_STATE_LAPIC:
		break;
	case MSHV_VP_STATE_XSAVE:
	case MSHV_VP_STATE_SIMP:
	case MSHV_VP_STATE_SIEFP:
	case MSHV_VP_STATE_SYNTHETIC_TIMERS:
		return sim_unsupported(vp->part->sim, "VP state %u (%s)",
				       st->type, set ? "set" : "get");
	default:
		return -EINVAL;
	}
	ret = sim_kvm_ioctl(vp->fd, KVM_GET_LAPIC, &l);
	if (ret < 0) {
		sim_err(vp->part->sim, "VP %u: KVM_GET_LAPIC: %s", vp->index,
			strerror(-ret));
		return ret;
	}
	st->buf_sz = MSHV_PAGE_SIZE;
	if (!set) {
		sim_lapic_to_hv(&h, &l);
		memset(buf, 0, MSHV_PAGE_SIZE);
		memcpy(buf, &h, sizeof(h));
		return 0;
	}
	memcpy(&h, buf, sizeof(h));
	sim_lapic_from_hv(&l, &h);
	ret = sim_kvm_ioctl(vp->fd, KVM_SET_LAPIC, &l);
	if (ret < 0)
		sim_err(vp->part->sim, "VP %u: KVM_SET_LAPIC: %s", vp->index,
			strerror(-ret));
	return ret;
}
