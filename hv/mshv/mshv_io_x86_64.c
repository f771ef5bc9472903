// SPDX-License-Identifier: Apache-2.0
/*
 * mshv_io_x86_64.c - port I/O intercepts of the MSHV plugin (x86_64).
 *
 * IN/OUT become one HV_EXIT_PIO element; on re-entry the plugin writes
 * RAX (IN) and RIP += instruction length with one SET_VP_REGISTERS.
 *
 * INS/OUTS (REP or not) become HV_EXIT_PIO with `count` elements, one
 * chunk at a time: at most MSHV_PIO_BUF bytes, so the memory side spans at
 * most two guest pages, each translated with
 * HVCALL_TRANSLATE_VIRTUAL_ADDRESS before any device is touched (a fault
 * is injected as #PF instead).  OUTS reads guest memory into the buffer
 * before the exit; INS writes the buffer back on re-entry.  Completion
 * steps RSI/RDI by the bytes moved (downwards with EFLAGS.DF), decrements
 * RCX for REP and advances RIP only when the REP count reaches zero:
 * otherwise the guest re-executes the instruction for the next chunk, as
 * after an interrupt on hardware.  Address size (0x67) and the OUTS
 * segment override come from the instruction bytes; segment limits are
 * not checked.
 */
#define LOG_MOD "mshv"

#include <errno.h>
#include <string.h>

#include "hv/mshv/mshv_x86_64.h"

/* Prefixes of the I/O instruction that matter here. */
struct mshv_io_prefix {
	bool asz; /* 0x67 address-size override */
	int seg; /* segment override register name, or 0 */
};

static void mshv_io_prefixes(const struct hv_x64_io_port_intercept_message *io,
			     bool long64, struct mshv_io_prefix *p)
{
	uint32_t n = io->instruction_byte_count, i;
	uint8_t b;

	memset(p, 0, sizeof(*p));
	if (n > sizeof(io->instruction_bytes))
		n = sizeof(io->instruction_bytes);
	for (i = 0; i < n; i++) {
		b = io->instruction_bytes[i];
		switch (b) {
		case 0x67:
			p->asz = true;
			break;
		case 0x26:
			p->seg = HV_X64_REGISTER_ES;
			break;
		case 0x2e:
			p->seg = HV_X64_REGISTER_CS;
			break;
		case 0x36:
			p->seg = HV_X64_REGISTER_SS;
			break;
		case 0x3e:
			p->seg = HV_X64_REGISTER_DS;
			break;
		case 0x64:
			p->seg = HV_X64_REGISTER_FS;
			break;
		case 0x65:
			p->seg = HV_X64_REGISTER_GS;
			break;
		case 0x66:
		case 0xf0:
		case 0xf2:
		case 0xf3:
			break;
		default:
			if (long64 && (b & 0xf0) == 0x40)
				break; /* REX: the opcode follows */
			return;
		}
	}
}

/* Base of segment `seg` (a register name) for the string operand. */
static int mshv_io_seg_base(struct hv_vcpu *vcpu,
			    const struct hv_x64_io_port_intercept_message *io,
			    uint32_t seg, bool long64, uint64_t *base)
{
	union hv_register_value v;
	int ret;

	if (long64 && seg != HV_X64_REGISTER_FS && seg != HV_X64_REGISTER_GS) {
		*base = 0;
		return 0;
	}
	if (seg == HV_X64_REGISTER_DS) {
		*base = io->ds_segment.base;
		return 0;
	}
	if (seg == HV_X64_REGISTER_ES) {
		*base = io->es_segment.base;
		return 0;
	}
	if (seg == HV_X64_REGISTER_CS) {
		*base = io->header.cs_segment.base;
		return 0;
	}
	ret = mshv_get_vp_regs(vcpu, &seg, &v, 1);
	if (!ret)
		*base = v.segment.base;
	return ret;
}

/* Translate the guest page of `lin`.  Returns 0 with *gpa_page, 1 after
 * injecting #PF, or -errno. */
static int mshv_io_translate(struct hv_vcpu *vcpu, struct hv_exit *exit,
			     uint64_t lin, bool mem_write, uint64_t *gpa_page)
{
	struct hv_input_translate_virtual_address in = {
		.vp_index = vcpu->vp_index,
		.control_flags = (mem_write ? HV_TRANSLATE_GVA_VALIDATE_WRITE :
					      HV_TRANSLATE_GVA_VALIDATE_READ) |
				 HV_TRANSLATE_GVA_SET_PAGE_TABLE_BITS,
		.gva_page = lin >> MSHV_PAGE_SHIFT,
	};
	struct hv_output_translate_virtual_address out = { 0, 0 };
	uint32_t code, err;
	int ret;

	ret = mshv_hvcall(vcpu->vm->hv, vcpu->fd,
			  HVCALL_TRANSLATE_VIRTUAL_ADDRESS, 0, &in, sizeof(in),
			  &out, sizeof(out), NULL);
	if (ret < 0)
		return ret;
	code = (uint32_t)out.result;
	switch (code) {
	case HV_TRANSLATE_GVA_SUCCESS:
	case HV_TRANSLATE_GVA_GPA_UNMAPPED: /* MMIO: hv_host.mmio serves it */
		*gpa_page = out.gpa_page << MSHV_PAGE_SHIFT;
		return 0;
	case HV_TRANSLATE_GVA_PAGE_NOT_PRESENT:
	case HV_TRANSLATE_GVA_PRIVILEGE_VIOLATION:
	case HV_TRANSLATE_GVA_INVALID_PAGE_TABLE_FLAGS:
		err = code == HV_TRANSLATE_GVA_PAGE_NOT_PRESENT ? 0 : 1;
		if (mem_write)
			err |= 2;
		if ((vcpu->msg.u.x64_hdr.execution_state &
		     HV_X64_EXEC_CPL_MASK) == 3)
			err |= 4;
		if (code == HV_TRANSLATE_GVA_INVALID_PAGE_TABLE_FLAGS)
			err |= 8;
		mshv_x86_inject(vcpu, exit, MSHV_X86_VEC_PF, true, err, lin);
		return 1;
	default:
		mshv_exit_internal(vcpu, exit, MSHV_INTERNAL_EMULATION,
				   "string I/O to inaccessible memory");
		return 1;
	}
}

/* Reverse the element order of the chunk in pio_buf. */
static void mshv_io_reverse(struct hv_vcpu *vcpu)
{
	struct mshv_pio *p = &vcpu->pio;
	uint8_t *buf = vcpu->pio_buf, t;
	uint32_t i, j, k;

	for (i = 0, j = p->count - 1; i < j; i++, j--)
		for (k = 0; k < p->size; k++) {
			t = buf[i * p->size + k];
			buf[i * p->size + k] = buf[j * p->size + k];
			buf[j * p->size + k] = t;
		}
}

/* Move the chunk between guest memory and pio_buf.  pio_buf holds the
 * elements in execution order, which is the reverse of memory order when
 * counting down. */
static int mshv_io_mem(struct hv_vcpu *vcpu, bool to_guest)
{
	struct mshv_pio *p = &vcpu->pio;
	uint32_t bytes = p->size * p->count, first;
	uint64_t in_page = p->lin & (MSHV_PAGE_SIZE - 1);
	int ret;

	if (p->down && to_guest)
		mshv_io_reverse(vcpu);
	first = (uint32_t)(MSHV_PAGE_SIZE - in_page);
	if (first > bytes)
		first = bytes;
	ret = mshv_x86_phys_rw(vcpu, p->gpa[0] + in_page, vcpu->pio_buf, first,
			       to_guest);
	if (!ret && first < bytes)
		ret = mshv_x86_phys_rw(vcpu, p->gpa[1], vcpu->pio_buf + first,
				       bytes - first, to_guest);
	if (!ret && p->down && !to_guest)
		mshv_io_reverse(vcpu);
	return ret;
}

/* Write `val` into a register used with address-size mask `mask`. */
static uint64_t mshv_io_merge(uint64_t old, uint64_t val, uint64_t mask)
{
	if (mask == 0xffff)
		return (old & ~0xffffull) | (val & 0xffff);
	return val & mask; /* 32-bit writes zero-extend */
}

static int mshv_io_string(struct hv_vcpu *vcpu, struct hv_exit *exit)
{
	const struct hv_x64_io_port_intercept_message *io = &vcpu->msg.u.x64_io;
	struct mshv_pio *p = &vcpu->pio;
	bool long64 = (io->header.execution_state & HV_X64_EXEC_EFER_LMA) &&
		      (io->header.cs_segment.attributes & HV_X64_SEG_ATTR_L);
	uint64_t base = 0, off, total, room, lo;
	struct mshv_io_prefix pf;
	uint32_t asz, seg;
	int ret;

	mshv_io_prefixes(io, long64, &pf);
	if (long64)
		asz = pf.asz ? 4 : 8;
	else if (io->header.cs_segment.attributes & HV_X64_SEG_ATTR_DB)
		asz = pf.asz ? 2 : 4;
	else
		asz = pf.asz ? 4 : 2;
	p->addr_mask = asz == 8 ? ~0ull : asz == 4 ? 0xffffffffull : 0xffffull;
	p->rep = io->access_info & HV_X64_IO_REP_PREFIX;
	p->down = io->header.rflags & MSHV_X86_RFLAGS_DF;
	p->rcx = io->rcx;
	p->index = p->write ? io->rsi : io->rdi;
	total = p->rep ? (io->rcx & p->addr_mask) : 1;
	if (!total) {
		exit->reason = HV_EXIT_NONE; /* REP with RCX = 0: a no-op */
		return mshv_set_vp_reg64(vcpu, HV_X64_REGISTER_RIP,
					 p->rip_next);
	}
	/* The chunk must not wrap the index register. */
	off = p->index & p->addr_mask;
	if (off > p->addr_mask - (p->size - 1))
		return mshv_exit_internal(vcpu, exit, MSHV_INTERNAL_EMULATION,
					  "string I/O wraps its segment");
	if (total > MSHV_PIO_BUF / p->size)
		total = MSHV_PIO_BUF / p->size;
	/* Elements after the first that fit before the wrap. */
	room = p->down ? off / p->size :
			 (p->addr_mask - (p->size - 1) - off) / p->size;
	if (total - 1 > room)
		total = room + 1;
	p->count = (uint32_t)total;
	seg = p->write && pf.seg ? (uint32_t)pf.seg :
	      p->write		 ? HV_X64_REGISTER_DS :
				   HV_X64_REGISTER_ES;
	ret = mshv_io_seg_base(vcpu, io, seg, long64, &base);
	if (ret < 0)
		return ret;
	lo = p->down ? off - (uint64_t)(p->count - 1) * p->size : off;
	p->lin = base + lo;
	if (!long64)
		p->lin &= 0xffffffffull;
	/* Memory is read by OUTS and written by INS. */
	ret = mshv_io_translate(vcpu, exit, p->lin, !p->write, &p->gpa[0]);
	if (ret)
		return ret < 0 ? ret : 0;
	p->gpa[1] = p->gpa[0];
	if ((p->lin >> MSHV_PAGE_SHIFT) !=
	    ((p->lin + (uint64_t)p->count * p->size - 1) >> MSHV_PAGE_SHIFT)) {
		ret = mshv_io_translate(vcpu, exit,
					(p->lin | (MSHV_PAGE_SIZE - 1)) + 1,
					!p->write, &p->gpa[1]);
		if (ret)
			return ret < 0 ? ret : 0;
	}
	if (p->write) {
		ret = mshv_io_mem(vcpu, false);
		if (ret < 0)
			return ret;
	} else {
		memset(vcpu->pio_buf, 0xff, (size_t)p->count * p->size);
	}
	exit->reason = HV_EXIT_PIO;
	exit->u.pio.port = io->port_number;
	exit->u.pio.size = (uint8_t)p->size;
	exit->u.pio.write = p->write;
	exit->u.pio.count = p->count;
	exit->u.pio.data = vcpu->pio_buf;
	vcpu->pending = MSHV_PEND_PIO_STR;
	return 0;
}

int mshv_x86_io(struct hv_vcpu *vcpu, struct hv_exit *exit)
{
	const struct hv_x64_io_port_intercept_message *io = &vcpu->msg.u.x64_io;
	struct mshv_pio *p = &vcpu->pio;
	uint8_t acc = io->header.intercept_access_type;
	uint32_t size = io->access_info & HV_X64_IO_ACCESS_SIZE_MASK;

	if (!mshv_x86_msg_ok(vcpu, exit, sizeof(*io)))
		return 0;
	if ((size != 1 && size != 2 && size != 4) ||
	    (acc != HV_INTERCEPT_ACCESS_READ &&
	     acc != HV_INTERCEPT_ACCESS_WRITE) ||
	    !(io->header.instruction_length_cr8 & HV_X64_INSN_LEN_MASK))
		return mshv_exit_internal(vcpu, exit, MSHV_INTERNAL_BAD_MESSAGE,
					  "bad port I/O message");
	memset(p, 0, sizeof(*p));
	p->rip_next = mshv_x86_next_rip(&io->header);
	p->rax = io->rax;
	p->size = size;
	p->count = 1;
	p->write = acc == HV_INTERCEPT_ACCESS_WRITE;
	if (io->access_info & HV_X64_IO_STRING_OP)
		return mshv_io_string(vcpu, exit);
	exit->reason = HV_EXIT_PIO;
	exit->u.pio.port = io->port_number;
	exit->u.pio.size = (uint8_t)size;
	exit->u.pio.write = p->write;
	exit->u.pio.count = 1;
	exit->u.pio.data = vcpu->pio_buf;
	if (p->write) {
		memcpy(vcpu->pio_buf, &io->rax, size); /* little-endian */
		vcpu->pending = MSHV_PEND_PIO_OUT;
	} else {
		memset(vcpu->pio_buf, 0xff, size);
		vcpu->pending = MSHV_PEND_PIO_IN;
	}
	return 0;
}

static int mshv_io_string_complete(struct hv_vcpu *vcpu)
{
	struct mshv_pio *p = &vcpu->pio;
	uint64_t bytes = (uint64_t)p->count * p->size, idx, left = 0;
	struct hv_register_assoc a[3];
	uint32_t n = 0;
	int ret;

	if (!p->write) {
		ret = mshv_io_mem(vcpu, true);
		if (ret < 0)
			return ret;
	}
	idx = p->down ? p->index - bytes : p->index + bytes;
	mshv_assoc64(&a[n++],
		     p->write ? HV_X64_REGISTER_RSI : HV_X64_REGISTER_RDI,
		     mshv_io_merge(p->index, idx, p->addr_mask));
	if (p->rep) {
		left = (p->rcx & p->addr_mask) - p->count;
		mshv_assoc64(&a[n++], HV_X64_REGISTER_RCX,
			     mshv_io_merge(p->rcx, left, p->addr_mask));
	}
	if (!left)
		mshv_assoc64(&a[n++], HV_X64_REGISTER_RIP, p->rip_next);
	return mshv_set_vp_regs(vcpu, a, n);
}

int mshv_x86_io_complete(struct hv_vcpu *vcpu)
{
	struct mshv_pio *p = &vcpu->pio;
	struct hv_register_assoc a[2];
	uint64_t val = 0, rax;

	switch (vcpu->pending) {
	case MSHV_PEND_PIO_STR:
		return mshv_io_string_complete(vcpu);
	case MSHV_PEND_PIO_OUT:
		return mshv_set_vp_reg64(vcpu, HV_X64_REGISTER_RIP,
					 p->rip_next);
	case MSHV_PEND_PIO_IN:
		memcpy(&val, vcpu->pio_buf, p->size);
		/* IN AL/AX keep the rest of RAX; IN EAX zero-extends. */
		if (p->size == 4)
			rax = val;
		else
			rax = (p->rax & ~((1ull << (p->size * 8)) - 1)) | val;
		mshv_assoc64(&a[0], HV_X64_REGISTER_RAX, rax);
		mshv_assoc64(&a[1], HV_X64_REGISTER_RIP, p->rip_next);
		return mshv_set_vp_regs(vcpu, a, 2);
	default:
		return 0;
	}
}
