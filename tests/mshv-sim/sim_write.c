// SPDX-License-Identifier: Apache-2.0
/*
 * sim_write.c - find the write instruction KVM retired before a write
 * exit (MMIO write, or an OUT/OUTS that KVM's emulator handled), so that
 * the message can show the VP at that instruction as MSHV would.
 *
 * Candidates, decoded with sim_insn.c: the instruction at RIP when it is
 * a REP string form KVM has not finished (RCX not zero after the
 * iteration), else every instruction of 1 to 15 bytes that ends exactly
 * at RIP.  A candidate is accepted only if, with the registers undone to
 * before it, it writes what KVM reported: for MMIO the same GPA (linear
 * address through KVM_TRANSLATE) with a matching size and, for register
 * and immediate sources, the same bytes; for port I/O the same port, size
 * and value.  Two different instructions satisfying all of that would
 * also have the same effect, so the shortest is taken.
 */
#define LOG_MOD "mshv-sim"

#include <errno.h>
#include <string.h>

#include "tests/mshv-sim/sim.h"

void sim_code_read(struct sim_vp *vp, uint64_t lin, struct sim_code *c)
{
	uint32_t in_page = (uint32_t)(lin & (MSHV_PAGE_SIZE - 1));
	uint32_t first = in_page < SIM_CODE_BACK ? in_page : SIM_CODE_BACK;
	uint32_t rest = SIM_CODE_BACK - first, n;

	memset(c, 0, sizeof(*c));
	/* The bytes before RIP in its own page, and those at RIP. */
	n = sim_mem_read_lin(vp, lin - first, c->b + SIM_CODE_BACK - first,
			     first + SIM_CODE_FWD);
	if (n < first)
		return;
	c->back = first;
	c->fwd = n - first;
	/* The rest of the 15 from the previous page, if it is there. */
	if (rest && lin >= SIM_CODE_BACK &&
	    sim_mem_read_lin(vp, lin - SIM_CODE_BACK, c->b, rest) == rest)
		c->back = SIM_CODE_BACK;
}

static bool sim_is_out(const struct sim_winsn *w)
{
	return w->kind == SIM_W_OUT_IMM || w->kind == SIM_W_OUT_DX ||
	       w->kind == SIM_W_OUTS;
}

static bool sim_wverify(struct sim_vp *vp, const struct sim_winsn *w,
			const struct kvm_regs *pre, const struct kvm_sregs *s,
			uint32_t mode, uint64_t next_rip,
			const struct sim_wexit *x)
{
	uint64_t mask = x->len >= 8 ? ~0ull : (1ull << (8 * x->len)) - 1;
	struct kvm_translation tr;
	uint64_t val;

	if (x->pio) {
		if (!sim_is_out(w) || w->size != x->len ||
		    sim_write_port(w, pre) != x->port)
			return false;
		return !sim_write_value(w, pre, &val) ||
		       (val & mask) == (x->data & mask);
	}
	if (sim_is_out(w) || x->len > w->size)
		return false;
	/* A shorter exit is the first fragment of a page-crossing write. */
	if (x->len < w->size && ((x->gpa + x->len) & (MSHV_PAGE_SIZE - 1)))
		return false;
	memset(&tr, 0, sizeof(tr));
	tr.linear_address = sim_write_lin(w, pre, s, mode, next_rip);
	if (sim_kvm_ioctl(vp->fd, KVM_TRANSLATE, &tr) < 0 || !tr.valid ||
	    tr.physical_address != x->gpa)
		return false;
	return !sim_write_value(w, pre, &val) ||
	       (val & mask) == (x->data & mask);
}

int sim_write_locate(struct sim_vp *vp, const struct kvm_regs *post,
		     const struct kvm_sregs *s, const struct sim_code *c,
		     const struct sim_wexit *x, struct kvm_regs *pre,
		     uint32_t *ilen)
{
	const uint8_t *at = c->b + SIM_CODE_BACK;
	uint32_t mode = sim_cpu_mode(s), k;
	struct sim_winsn w;
	uint64_t start;

	if (!sim_decode_write(at, c->fwd, mode, &w) &&
	    sim_write_unfinished(&w, post)) {
		sim_write_pre(&w, post, pre, post->rip);
		if (sim_wverify(vp, &w, pre, s, mode, post->rip + w.len, x)) {
			*ilen = w.len;
			return 0;
		}
	}
	for (k = 1; k <= c->back; k++) {
		if (sim_decode_write(at - k, k, mode, &w) || w.len != k ||
		    sim_write_unfinished(&w, post))
			continue;
		start = post->rip - k;
		if (mode != 8)
			start &= 0xffffffffull;
		sim_write_pre(&w, post, pre, start);
		if (sim_wverify(vp, &w, pre, s, mode, post->rip, x)) {
			*ilen = k;
			return 0;
		}
	}
	return -ENOENT;
}
