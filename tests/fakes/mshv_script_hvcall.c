// SPDX-License-Identifier: Apache-2.0
/*
 * mshv_script_hvcall.c - the scripted fake /dev/mshv, part two: the
 * MSHV_ROOT_HVCALL passthrough hypercalls (checked like the kernel's
 * mshv_ioctl_passthru_hvcall, then served from the in-memory partition)
 * and the test-side knobs and inspection functions.  See mshv_script.h.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "tests/fakes/mshv_script.h"

/* --- hypercalls ------------------------------------------------------------ */

static bool ms_code_rep(uint16_t code)
{
	return code == HVCALL_GET_VP_REGISTERS ||
	       code == HVCALL_SET_VP_REGISTERS ||
	       code == HVCALL_GET_GPA_PAGES_ACCESS_STATES ||
	       code == HVCALL_GET_VP_CPUID_VALUES;
}

static bool ms_code_allowed(uint16_t code)
{
	static const uint16_t ok[] = {
		HVCALL_GET_PARTITION_PROPERTY,
		HVCALL_SET_PARTITION_PROPERTY,
		HVCALL_INSTALL_INTERCEPT,
		HVCALL_GET_VP_REGISTERS,
		HVCALL_SET_VP_REGISTERS,
		HVCALL_TRANSLATE_VIRTUAL_ADDRESS,
		HVCALL_CLEAR_VIRTUAL_INTERRUPT,
		HVCALL_REGISTER_INTERCEPT_RESULT,
		HVCALL_ASSERT_VIRTUAL_INTERRUPT,
		HVCALL_GET_GPA_PAGES_ACCESS_STATES,
		HVCALL_SIGNAL_EVENT_DIRECT,
		HVCALL_POST_MESSAGE_DIRECT,
		HVCALL_GET_VP_CPUID_VALUES,
	};
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (ok[i] == code)
			return true;
	return false;
}

/* The VP a register/translate hypercall addresses: the fd's VP must be
 * the one named in the input. */
static struct mshv_script_vp *ms_target_vp(struct mshv_script *s, int fd_vp,
					   uint32_t vp_index)
{
	if (fd_vp >= 0 && (uint32_t)fd_vp != vp_index)
		return NULL;
	return mshv_script_vp(s, vp_index);
}

static int ms_hv_regs(struct mshv_script *s, int fd_vp,
		      struct mshv_root_hvcall *a, bool set)
{
	const struct hv_input_vp_registers_hdr *h =
		(void *)(uintptr_t)a->in_ptr;
	uint32_t n = a->reps, i, want_in = 16 + (set ? 32 : 4) * n;
	struct mshv_script_vp *vp;
	struct mshv_script_reg *r;

	if (a->in_sz != want_in || a->out_sz != (set ? 0 : 16 * n))
		return mshv_script_bad(s, EINVAL,
				       "%s_VP_REGISTERS: in %u out %u for %u",
				       set ? "SET" : "GET", a->in_sz, a->out_sz,
				       n);
	if (h->input_vtl || h->rsvd8 || h->rsvd16)
		return mshv_script_bad(s, EINVAL,
				       "VP_REGISTERS: reserved header");
	vp = ms_target_vp(s, fd_vp, h->vp_index);
	if (!vp)
		return mshv_script_bad(s, EINVAL,
				       "VP_REGISTERS: vp %u on fd of vp %d",
				       h->vp_index, fd_vp);
	for (i = 0; i < n; i++) {
		if (set) {
			const struct hv_register_assoc *e =
				(const void *)((uintptr_t)a->in_ptr + 16 +
					       32 * i);

			if (e->reserved1 || e->reserved2)
				return mshv_script_bad(s, EINVAL,
						       "assoc reserved");
			if (e->name <= HV_REGISTER_INTERNAL_ACTIVITY_STATE)
				return mshv_script_bad(
					s, EINVAL,
					"write of suspend register %#x",
					e->name);
			r = mshv_script_vp_reg(vp, e->name, true);
			if (!r)
				return -ENOSPC;
			r->v = e->value;
			r->writes++;
		} else {
			const uint32_t *names =
				(const void *)((uintptr_t)a->in_ptr + 16);
			union hv_register_value *out =
				(void *)(uintptr_t)a->out_ptr;

			r = mshv_script_vp_reg(vp, names[i], false);
			if (r)
				out[i] = r->v;
			else
				memset(&out[i], 0, sizeof(out[i]));
		}
	}
	return 0;
}

static int ms_hv_translate(struct mshv_script *s, int fd_vp,
			   struct mshv_root_hvcall *a)
{
	const struct hv_input_translate_virtual_address *in =
		(void *)(uintptr_t)a->in_ptr;
	struct hv_output_translate_virtual_address *out =
		(void *)(uintptr_t)a->out_ptr;
	uint64_t v = HV_TRANSLATE_GVA_VALIDATE_READ |
		     HV_TRANSLATE_GVA_VALIDATE_WRITE |
		     HV_TRANSLATE_GVA_VALIDATE_EXECUTE;
	unsigned int i;

	if (a->in_sz != sizeof(*in) || a->out_sz != sizeof(*out) ||
	    in->padding || !(in->control_flags & v))
		return mshv_script_bad(s, EINVAL,
				       "TRANSLATE_VIRTUAL_ADDRESS layout");
	if (!ms_target_vp(s, fd_vp, in->vp_index))
		return mshv_script_bad(s, EINVAL, "TRANSLATE: vp %u",
				       in->vp_index);
	out->result = HV_TRANSLATE_GVA_SUCCESS;
	out->gpa_page = in->gva_page;
	for (i = 0; i < s->nr_xlate; i++) {
		if (s->xlate[i].gva_page == in->gva_page) {
			out->result = s->xlate[i].result;
			out->gpa_page = s->xlate[i].gpa_page;
		}
	}
	return 0;
}

static int ms_hv_property(struct mshv_script *s, int fd_vp,
			  struct mshv_root_hvcall *a, bool set)
{
	const struct hv_input_set_partition_property *in =
		(void *)(uintptr_t)a->in_ptr;
	unsigned int i;

	if (set && (fd_vp >= 0 || a->in_sz != 24 || a->out_sz))
		return mshv_script_bad(s, EINVAL,
				       "SET_PARTITION_PROPERTY layout/fd");
	if (!set && (a->in_sz != 16 || a->out_sz != 8))
		return mshv_script_bad(s, EINVAL,
				       "GET_PARTITION_PROPERTY layout");
	if (in->padding)
		return mshv_script_bad(s, EINVAL, "PARTITION_PROPERTY padding");
	for (i = 0; i < s->nr_props; i++)
		if (s->props[i].code == in->property_code)
			break;
	if (!set) {
		*(uint64_t *)(uintptr_t)a->out_ptr =
			i < s->nr_props ? s->props[i].val : 0;
		return 0;
	}
	if (i == s->nr_props) {
		if (i == MSHV_SCRIPT_MAX_PROPS)
			return -ENOSPC;
		s->nr_props++;
		s->props[i].early = !s->initialized;
	}
	s->props[i].code = in->property_code;
	s->props[i].val = in->property_value;
	return 0;
}

static int ms_hvcall_body(struct mshv_script *s, int fd_vp,
			  struct mshv_root_hvcall *a)
{
	switch (a->code) {
	case HVCALL_GET_VP_REGISTERS:
	case HVCALL_SET_VP_REGISTERS:
		return ms_hv_regs(s, fd_vp, a,
				  a->code == HVCALL_SET_VP_REGISTERS);
	case HVCALL_GET_PARTITION_PROPERTY:
	case HVCALL_SET_PARTITION_PROPERTY:
		return ms_hv_property(s, fd_vp, a,
				      a->code == HVCALL_SET_PARTITION_PROPERTY);
	case HVCALL_TRANSLATE_VIRTUAL_ADDRESS:
		return ms_hv_translate(s, fd_vp, a);
	case HVCALL_REGISTER_INTERCEPT_RESULT: {
		struct hv_input_register_intercept_result_cpuid *in =
			(void *)(uintptr_t)a->in_ptr;

		if (a->in_sz != HV_REGISTER_INTERCEPT_RESULT_CPUID_SIZE ||
		    a->out_sz ||
		    in->intercept_type != HV_INTERCEPT_TYPE_X64_CPUID ||
		    in->padding || !ms_target_vp(s, fd_vp, in->vp_index))
			return mshv_script_bad(s, EINVAL,
					       "REGISTER_INTERCEPT_RESULT");
		if (s->nr_cpuid < MSHV_SCRIPT_MAX_CPUID)
			s->cpuid[s->nr_cpuid++] = *in;
		return 0;
	}
	case HVCALL_ASSERT_VIRTUAL_INTERRUPT: {
		struct hv_input_assert_virtual_interrupt *in =
			(void *)(uintptr_t)a->in_ptr;

		if (a->in_sz != sizeof(*in) || a->out_sz || in->target_vtl ||
		    in->rsvd_z0 || in->rsvd_z1 || in->interrupt_type > 9)
			return mshv_script_bad(s, EINVAL,
					       "ASSERT_VIRTUAL_INTERRUPT");
		s->last_assert = *in;
		s->nr_asserts++;
		return 0;
	}
	default:
		return 0;
	}
}

int mshv_script_hvcall(struct mshv_script *s, int fd_vp,
		       struct mshv_root_hvcall *a)
{
	int err, ret;

	mshv_script_count(s->hvcall_counts, a->code);
	if (a->status || !mshv_script_zero(a->rsvd, sizeof(a->rsvd)))
		return mshv_script_bad(s, EINVAL,
				       "ROOT_HVCALL status/rsvd not 0");
	if (!a->in_ptr || a->in_sz < 8 || a->in_sz > MSHV_HVCALL_MAX_SZ ||
	    a->out_sz > MSHV_HVCALL_MAX_SZ || !a->out_sz != !a->out_ptr)
		return mshv_script_bad(s, EINVAL,
				       "ROOT_HVCALL %#x sizes in %u out %u",
				       a->code, a->in_sz, a->out_sz);
	if (!ms_code_allowed(a->code))
		return mshv_script_bad(s, EINVAL, "hypercall %#x not allowed",
				       a->code);
	if (ms_code_rep(a->code) ? !a->reps : a->reps)
		return mshv_script_bad(s, EINVAL, "hypercall %#x reps %u",
				       a->code, a->reps);
	/* Like the kernel: the first input word is the partition id. */
	*(uint64_t *)(uintptr_t)a->in_ptr = MSHV_SCRIPT_PARTITION_ID;
	err = mshv_script_failing(s, true, a->code);
	if (err) {
		a->status = err == EAGAIN ? HV_STATUS_INSUFFICIENT_MEMORY :
					    HV_STATUS_INVALID_PARAMETER;
		a->reps = 0;
		return -err;
	}
	ret = ms_hvcall_body(s, fd_vp, a);
	if (ret < 0) {
		a->status = HV_STATUS_INVALID_PARAMETER;
		return ret;
	}
	a->status = HV_STATUS_SUCCESS;
	return 0;
}

/* --- knobs and script ------------------------------------------------------ */

static void ms_add_fail(struct mshv_script *s, bool hvcall, unsigned long key,
			int err, unsigned int times)
{
	unsigned int i;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < MSHV_SCRIPT_MAX_FAILS; i++) {
		if (!s->fails[i].times) {
			s->fails[i] = (struct mshv_script_fail){ hvcall, key,
								 err, times };
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
}

void mshv_script_fail_ioctl(struct mshv_script *s, unsigned long req, int err,
			    unsigned int times)
{
	ms_add_fail(s, false, req, err, times);
}

void mshv_script_fail_hvcall(struct mshv_script *s, uint16_t code, int err,
			     unsigned int times)
{
	ms_add_fail(s, true, code, err, times);
}

static int ms_push(struct mshv_script *s, uint32_t vp, int err,
		   const struct hv_message *m)
{
	struct mshv_script_vp *v;
	int ret = 0;

	if (vp >= MSHV_SCRIPT_MAX_VPS)
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	v = &s->vps[vp];
	if (v->q_len == MSHV_SCRIPT_MAX_MSGS) {
		ret = -E2BIG;
	} else {
		struct mshv_script_item *it =
			&v->q[(v->q_head + v->q_len++) % MSHV_SCRIPT_MAX_MSGS];

		it->err = err;
		if (m)
			it->msg = *m;
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}

int mshv_script_push_msg(struct mshv_script *s, uint32_t vp,
			 const struct hv_message *m)
{
	return ms_push(s, vp, 0, m);
}

int mshv_script_push_run_error(struct mshv_script *s, uint32_t vp, int err)
{
	return ms_push(s, vp, err, NULL);
}

void mshv_script_msg(struct hv_message *m, uint32_t type, uint32_t size)
{
	memset(m, 0, sizeof(*m));
	m->header.message_type = type;
	m->header.payload_size = (uint8_t)size;
}

struct hv_x64_intercept_message_header *
mshv_script_msg_x64(struct hv_message *m, uint32_t type, uint32_t size,
		    uint32_t vp, uint64_t rip, uint8_t insn_len, uint8_t access)
{
	struct hv_x64_intercept_message_header *h = &m->u.x64_hdr;

	mshv_script_msg(m, type, size);
	h->vp_index = vp;
	h->instruction_length_cr8 = insn_len & HV_X64_INSN_LEN_MASK;
	h->intercept_access_type = access;
	h->execution_state = HV_X64_EXEC_CR0_PE | HV_X64_EXEC_EFER_LMA;
	h->cs_segment.selector = 0x10;
	h->cs_segment.limit = 0xffffffff;
	h->cs_segment.attributes = 0xa09b; /* 64-bit code */
	h->rip = rip;
	h->rflags = 0x202;
	return h;
}

/* --- inspection ------------------------------------------------------------ */

unsigned int mshv_script_ioctls(struct mshv_script *s, unsigned long req)
{
	return mshv_script_counted(s->ioctl_counts, req);
}

unsigned int mshv_script_hvcalls(struct mshv_script *s, uint16_t code)
{
	return mshv_script_counted(s->hvcall_counts, code);
}

unsigned int mshv_script_open_fds(struct mshv_script *s)
{
	unsigned int n = (unsigned int)__builtin_popcount(s->dev_open), i;

	n += s->pt_open;
	for (i = 0; i < MSHV_SCRIPT_MAX_VPS; i++)
		n += s->vps[i].open;
	return n;
}

int mshv_script_property(struct mshv_script *s, uint32_t code, uint64_t *val,
			 bool *early)
{
	unsigned int i;

	for (i = 0; i < s->nr_props; i++) {
		if (s->props[i].code != code)
			continue;
		if (val)
			*val = s->props[i].val;
		if (early)
			*early = s->props[i].early;
		return 0;
	}
	return -ENOENT;
}

void mshv_script_reg_set(struct mshv_script *s, uint32_t vp, uint32_t name,
			 const union hv_register_value *v)
{
	struct mshv_script_reg *r;

	if (vp >= MSHV_SCRIPT_MAX_VPS)
		return;
	r = mshv_script_vp_reg(&s->vps[vp], name, true);
	if (r)
		r->v = *v;
}

void mshv_script_reg_set64(struct mshv_script *s, uint32_t vp, uint32_t name,
			   uint64_t v)
{
	union hv_register_value u;

	memset(&u, 0, sizeof(u));
	u.reg64 = v;
	mshv_script_reg_set(s, vp, name, &u);
}

int mshv_script_reg_get(struct mshv_script *s, uint32_t vp, uint32_t name,
			union hv_register_value *v)
{
	struct mshv_script_reg *r =
		vp < MSHV_SCRIPT_MAX_VPS ?
			mshv_script_vp_reg(&s->vps[vp], name, false) :
			NULL;

	if (!r)
		return -ENOENT;
	*v = r->v;
	return 0;
}

uint64_t mshv_script_reg64(struct mshv_script *s, uint32_t vp, uint32_t name)
{
	union hv_register_value v;

	return mshv_script_reg_get(s, vp, name, &v) ? 0 : v.reg64;
}

unsigned int mshv_script_reg_writes(struct mshv_script *s, uint32_t vp,
				    uint32_t name)
{
	struct mshv_script_reg *r =
		vp < MSHV_SCRIPT_MAX_VPS ?
			mshv_script_vp_reg(&s->vps[vp], name, false) :
			NULL;

	return r ? r->writes : 0;
}

void mshv_script_reset_writes(struct mshv_script *s)
{
	unsigned int i, j;

	for (i = 0; i < MSHV_SCRIPT_MAX_VPS; i++)
		for (j = 0; j < s->vps[i].nr_regs; j++)
			s->vps[i].regs[j].writes = 0;
}

int mshv_script_irqfd(struct mshv_script *s, int fd, uint32_t *gsi)
{
	unsigned int i;

	for (i = 0; i < s->nr_irqfds; i++) {
		if (s->irqfds[i].fd == fd) {
			*gsi = s->irqfds[i].gsi;
			return 0;
		}
	}
	return -ENOENT;
}
