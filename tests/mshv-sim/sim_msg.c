// SPDX-License-Identifier: Apache-2.0
/*
 * sim_msg.c - pure helpers of the MSHV simulator: decoding the port I/O
 * instruction KVM exited on (KVM reports neither its length nor whether
 * it was a string form), converting KVM's register state to the
 * hypervisor's formats, the kernel's MSHV_ROOT_HVCALL argument checks,
 * and interrupts as MSI messages.  No system calls: unit-tested.
 */
#define LOG_MOD "mshv-sim"

#include <errno.h>
#include <string.h>

#include "tests/mshv-sim/sim.h"

#define SIM_X86_MAX_INSN 15u

int sim_decode_io(const uint8_t *b, uint32_t n, bool long64,
		  struct sim_io_insn *out)
{
	bool rep = false;
	uint32_t i;
	uint8_t op;

	memset(out, 0, sizeof(*out));
	if (n > SIM_X86_MAX_INSN)
		n = SIM_X86_MAX_INSN;
	for (i = 0; i < n; i++) {
		switch (b[i]) {
		case 0x66: /* operand size: AX vs EAX, decided by KVM */
		case 0xf0:
		case 0x26:
		case 0x2e:
		case 0x36:
		case 0x3e:
		case 0x64:
		case 0x65:
			continue;
		case 0x67:
			out->asz = true;
			continue;
		case 0xf2:
		case 0xf3:
			rep = true;
			continue;
		default:
			break;
		}
		break;
	}
	/* REX comes last, right before the opcode. */
	if (i < n && long64 && (b[i] & 0xf0) == 0x40)
		i++;
	if (i >= n)
		return -EINVAL;
	op = b[i];
	if (op >= 0xe4 && op <= 0xe7) { /* IN/OUT with imm8 port */
		if (i + 1 >= n)
			return -EINVAL;
		out->len = i + 2;
	} else if (op >= 0xec && op <= 0xef) { /* IN/OUT with DX */
		out->len = i + 1;
	} else if (op >= 0x6c && op <= 0x6f) { /* INS/OUTS */
		out->len = i + 1;
		out->string = true;
		out->rep = rep;
	} else {
		return -EINVAL;
	}
	return 0;
}

void sim_seg_to_hv(struct hv_x64_segment_register *d,
		   const struct kvm_segment *s)
{
	uint16_t a = s->type & HV_X64_SEG_ATTR_TYPE_MASK;

	if (s->s)
		a |= HV_X64_SEG_ATTR_S;
	a |= (uint16_t)((s->dpl & 3) << HV_X64_SEG_ATTR_DPL_SHIFT);
	if (s->present && !s->unusable)
		a |= HV_X64_SEG_ATTR_P;
	if (s->avl)
		a |= HV_X64_SEG_ATTR_AVL;
	if (s->l)
		a |= HV_X64_SEG_ATTR_L;
	if (s->db)
		a |= HV_X64_SEG_ATTR_DB;
	if (s->g)
		a |= HV_X64_SEG_ATTR_G;
	memset(d, 0, sizeof(*d));
	d->base = s->base;
	d->limit = s->limit;
	d->selector = s->selector;
	d->attributes = a;
}

void sim_seg_from_hv(struct kvm_segment *d,
		     const struct hv_x64_segment_register *s)
{
	uint16_t a = s->attributes;

	memset(d, 0, sizeof(*d));
	d->base = s->base;
	d->limit = s->limit;
	d->selector = s->selector;
	d->type = a & HV_X64_SEG_ATTR_TYPE_MASK;
	d->s = !!(a & HV_X64_SEG_ATTR_S);
	d->dpl = (a & HV_X64_SEG_ATTR_DPL_MASK) >> HV_X64_SEG_ATTR_DPL_SHIFT;
	d->present = !!(a & HV_X64_SEG_ATTR_P);
	d->avl = !!(a & HV_X64_SEG_ATTR_AVL);
	d->l = !!(a & HV_X64_SEG_ATTR_L);
	d->db = !!(a & HV_X64_SEG_ATTR_DB);
	d->g = !!(a & HV_X64_SEG_ATTR_G);
	d->unusable = !d->present;
}

#define SIM_CR0_PE (1ull << 0)
#define SIM_CR0_AM (1ull << 18)
#define SIM_EFER_LMA (1ull << 10)

uint16_t sim_exec_state(const struct kvm_sregs *s)
{
	uint16_t e = 0;

	/* CPL is SS.DPL (VMX keeps it there); 0 in real mode. */
	if (s->cr0 & SIM_CR0_PE)
		e |= s->ss.dpl & HV_X64_EXEC_CPL_MASK;
	if (s->cr0 & SIM_CR0_PE)
		e |= HV_X64_EXEC_CR0_PE;
	if (s->cr0 & SIM_CR0_AM)
		e |= HV_X64_EXEC_CR0_AM;
	if (s->efer & SIM_EFER_LMA)
		e |= HV_X64_EXEC_EFER_LMA;
	return e;
}

void sim_intercept_hdr(struct hv_x64_intercept_message_header *h,
		       uint32_t vp_index, const struct kvm_regs *r,
		       const struct kvm_sregs *s, uint8_t access,
		       uint32_t insn_len)
{
	memset(h, 0, sizeof(*h));
	h->vp_index = vp_index;
	h->instruction_length_cr8 =
		(uint8_t)((insn_len & HV_X64_INSN_LEN_MASK) |
			  ((s->cr8 & 0xf) << 4));
	h->intercept_access_type = access;
	h->execution_state = sim_exec_state(s);
	sim_seg_to_hv(&h->cs_segment, &s->cs);
	h->rip = r->rip;
	h->rflags = r->rflags;
}

int sim_status_errno(uint32_t status)
{
	switch (status) {
	case HV_STATUS_SUCCESS:
		return 0;
	case HV_STATUS_INVALID_HYPERCALL_CODE:
	case HV_STATUS_INVALID_HYPERCALL_INPUT:
	case HV_STATUS_INVALID_ALIGNMENT:
	case HV_STATUS_INVALID_PARAMETER:
	case HV_STATUS_INVALID_PARTITION_ID:
	case HV_STATUS_INVALID_VP_INDEX:
	case HV_STATUS_INVALID_REGISTER_VALUE:
		return -EINVAL;
	case HV_STATUS_INSUFFICIENT_MEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

/* The kernel's allow-list (reference section 2.5). */
static const struct {
	uint16_t code;
	bool rep;
	bool partition_only;
} sim_hvcall_allowed[] = {
	{ HVCALL_GET_PARTITION_PROPERTY, false, false },
	{ HVCALL_SET_PARTITION_PROPERTY, false, true },
	{ HVCALL_INSTALL_INTERCEPT, false, false },
	{ HVCALL_GET_VP_REGISTERS, true, false },
	{ HVCALL_SET_VP_REGISTERS, true, false },
	{ HVCALL_TRANSLATE_VIRTUAL_ADDRESS, false, false },
	{ HVCALL_CLEAR_VIRTUAL_INTERRUPT, false, false },
	{ HVCALL_REGISTER_INTERCEPT_RESULT, false, false },
	{ HVCALL_ASSERT_VIRTUAL_INTERRUPT, false, false },
	{ HVCALL_GET_GPA_PAGES_ACCESS_STATES, true, false },
	{ HVCALL_SIGNAL_EVENT_DIRECT, false, false },
	{ HVCALL_POST_MESSAGE_DIRECT, false, false },
	{ HVCALL_GET_VP_CPUID_VALUES, true, false },
};

int sim_hvcall_check(const struct mshv_root_hvcall *a, bool on_vp, bool *rep)
{
	uint32_t i;

	if (a->status)
		return -EINVAL;
	for (i = 0; i < sizeof(a->rsvd); i++)
		if (a->rsvd[i])
			return -EINVAL;
	if (!a->in_ptr || a->in_sz < 8 || a->in_sz > MSHV_HVCALL_MAX_SZ ||
	    a->out_sz > MSHV_HVCALL_MAX_SZ || !a->out_ptr != !a->out_sz)
		return -EINVAL;
	for (i = 0;
	     i < sizeof(sim_hvcall_allowed) / sizeof(sim_hvcall_allowed[0]);
	     i++) {
		if (sim_hvcall_allowed[i].code != a->code)
			continue;
		if (sim_hvcall_allowed[i].partition_only && on_vp)
			return -EINVAL;
		if (!sim_hvcall_allowed[i].rep && a->reps)
			return -EINVAL;
		*rep = sim_hvcall_allowed[i].rep;
		return 0;
	}
	return -EINVAL;
}

#define SIM_MSI_BASE 0xfee00000u
#define SIM_MSI_DEST_SHIFT 12
#define SIM_MSI_LOGICAL (1u << 2)
#define SIM_MSI_DM_SHIFT 8
#define SIM_MSI_ASSERT (1u << 14)
#define SIM_MSI_LEVEL (1u << 15)

int sim_assert_to_msi(const struct hv_input_assert_virtual_interrupt *in,
		      uint32_t *addr, uint32_t *data)
{
	uint32_t known = HV_INTERRUPT_CONTROL_LEVEL |
			 HV_INTERRUPT_CONTROL_LOGICAL_DEST;

	if ((in->control_flags & ~known) || in->target_vtl || in->rsvd_z0 ||
	    in->rsvd_z1 || in->vector > 0xff || in->dest_addr > 0xff)
		return -EINVAL;
	switch (in->interrupt_type) {
	case HV_X64_INTERRUPT_TYPE_FIXED:
	case HV_X64_INTERRUPT_TYPE_LOWESTPRIORITY:
	case HV_X64_INTERRUPT_TYPE_SMI:
	case HV_X64_INTERRUPT_TYPE_NMI:
	case HV_X64_INTERRUPT_TYPE_INIT:
	case HV_X64_INTERRUPT_TYPE_SIPI:
	case HV_X64_INTERRUPT_TYPE_EXTINT:
		break; /* the MSI delivery mode has the same number */
	case HV_X64_INTERRUPT_TYPE_REMOTEREAD:
	case HV_X64_INTERRUPT_TYPE_LOCALINT0:
	case HV_X64_INTERRUPT_TYPE_LOCALINT1:
		return -EOPNOTSUPP;
	default:
		return -EINVAL;
	}
	*addr = SIM_MSI_BASE | (uint32_t)in->dest_addr << SIM_MSI_DEST_SHIFT;
	if (in->control_flags & HV_INTERRUPT_CONTROL_LOGICAL_DEST)
		*addr |= SIM_MSI_LOGICAL;
	*data = in->vector | in->interrupt_type << SIM_MSI_DM_SHIFT |
		SIM_MSI_ASSERT;
	if (in->control_flags & HV_INTERRUPT_CONTROL_LEVEL)
		*data |= SIM_MSI_LEVEL;
	return 0;
}
