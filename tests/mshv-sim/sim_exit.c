// SPDX-License-Identifier: Apache-2.0
/*
 * sim_exit.c - KVM_EXIT_IO and KVM_EXIT_MMIO turned into the intercept
 * messages of the MSHV simulator, with the VP left exactly at the
 * intercepted instruction, as an MSHV VP is.
 *
 *   KVM_EXIT_IO    HVMSG_X64_IO_PORT_INTERCEPT (128-byte payload: port,
 *                  size, string/REP flags and instruction length decoded
 *                  from the guest's code at CS:RIP, instruction bytes,
 *                  RAX/RCX/RSI/RDI, DS/ES)
 *   KVM_EXIT_MMIO  HVMSG_UNMAPPED_GPA, or HVMSG_GPA_INTERCEPT for a write
 *                  to a read-only region (80 bytes: GPA, access type, up
 *                  to 16 instruction bytes; no GVA, which KVM does not
 *                  report)
 *
 * Two differences between KVM and MSHV are undone here.
 *
 * 1. KVM completes a pending access when KVM_RUN is next entered (writes
 *    the destination register of a read, advances RIP, continues with the
 *    next REP iteration or fragment), while the MSHV plugin emulates the
 *    instruction itself and a later KVM_RUN must not execute it again.
 *    So before the message is returned the simulator "flushes" KVM: it
 *    feeds dummy data (zeros; for INS the guest bytes KVM is about to
 *    overwrite, so memory does not change), sets kvm_run.immediate_exit
 *    and calls KVM_RUN, which completes the pending operation and returns
 *    EINTR without entering the guest (KVM API: "complete pending
 *    operations without allowing any further instructions to be
 *    executed"); further IO/MMIO exits during this (REP iterations,
 *    fragments) are fed the same way, up to SIM_FLUSH_MAX.  The GPRs, RIP
 *    and RFLAGS saved at the exit are then put back (before the next
 *    KVM_RUN, with the plugin's own changes).  What a flushed completion
 *    may have written to guest RAM (the destination of an MMIO-to-RAM
 *    MOVS) is written again by the plugin's emulation; dummy device
 *    accesses go nowhere.  Segment and control registers are assumed
 *    unchanged by a completion (no instruction that changes them
 *    completes an MMIO access in practice).
 *
 * 2. KVM *retires* a write before exiting: its emulator writes the
 *    registers back and advances RIP (an unfinished REP iteration only
 *    steps RCX/RSI/RDI) and leaves userspace just the device access; the
 *    same holds for an OUT that went through the emulator (always on
 *    this machine's software KVM; on VMX/SVM only string forms: a plain
 *    OUT is then still pending, which the flush shows by moving RIP).
 *    The retired instruction is located and its register effects undone
 *    (sim_write.c), so the plugin sees the state before it.
 */
#define LOG_MOD "mshv-sim"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "tests/mshv-sim/sim.h"

#define SIM_EFER_LMA (1ull << 10)
#define SIM_RFLAGS_DF (1ull << 10)
#define SIM_INSN_MAX 16u

static bool sim_long64(const struct kvm_sregs *s)
{
	return (s->efer & SIM_EFER_LMA) && s->cs.l;
}

static uint64_t sim_code_lin(const struct sim_vp *vp, uint64_t rip)
{
	if (sim_long64(&vp->sregs))
		return rip;
	return (vp->sregs.cs.base + rip) & 0xffffffffull;
}

/* KVM's current GPRs during a flush. */
static int sim_kvm_regs(struct sim_vp *vp, struct kvm_regs *r)
{
	if (vp->part->sync_regs) {
		*r = vp->run->s.regs.regs; /* refreshed at every return */
		return 0;
	}
	return sim_kvm_ioctl(vp->fd, KVM_GET_REGS, r);
}

/* INS: give KVM the bytes already at ES:rDI, which it will write back. */
static void sim_ins_prefill(struct sim_vp *vp, const struct sim_io_insn *ins,
			    uint8_t *data, uint32_t size, uint32_t count)
{
	uint64_t mask, rdi, lin, bytes = (uint64_t)size * count;
	bool long64 = sim_long64(&vp->sregs);
	struct kvm_regs r;
	uint32_t i, k;
	uint8_t t;

	if (sim_kvm_regs(vp, &r) < 0)
		return;
	if (long64)
		mask = ins->asz ? 0xffffffffull : ~0ull;
	else if (vp->sregs.cs.db)
		mask = ins->asz ? 0xffffull : 0xffffffffull;
	else
		mask = ins->asz ? 0xffffffffull : 0xffffull;
	rdi = r.rdi & mask;
	if (r.rflags & SIM_RFLAGS_DF)
		rdi = (rdi - (bytes - size)) & mask;
	lin = (long64 ? 0 : vp->sregs.es.base) + rdi;
	if (!long64)
		lin &= 0xffffffffull;
	if (sim_mem_read_lin(vp, lin, data, (uint32_t)bytes) != bytes)
		return; /* keep zeros: the plugin rewrites the destination */
	if (!(r.rflags & SIM_RFLAGS_DF))
		return;
	/* Counting down, element 0 goes to the highest address. */
	for (i = 0; i < count / 2; i++)
		for (k = 0; k < size; k++) {
			t = data[i * size + k];
			data[i * size + k] = data[(count - 1 - i) * size + k];
			data[(count - 1 - i) * size + k] = t;
		}
}

/* Dummy data for the access KVM waits on. */
static void sim_flush_feed(struct sim_vp *vp, const struct sim_io_insn *ins)
{
	struct kvm_run *run = vp->run;
	uint64_t bytes;
	uint8_t *data;

	if (run->exit_reason == KVM_EXIT_MMIO) {
		if (!run->mmio.is_write)
			memset(run->mmio.data, 0, sizeof(run->mmio.data));
		return;
	}
	if (run->exit_reason != KVM_EXIT_IO ||
	    run->io.direction != KVM_EXIT_IO_IN)
		return;
	bytes = (uint64_t)run->io.size * run->io.count;
	if (run->io.data_offset > (uint64_t)vp->part->run_size ||
	    bytes > (uint64_t)vp->part->run_size - run->io.data_offset)
		return;
	data = (uint8_t *)run + run->io.data_offset;
	memset(data, 0, bytes);
	if (ins && ins->string)
		sim_ins_prefill(vp, ins, data, run->io.size, run->io.count);
}

/* Complete KVM's pending access without running the guest; the cached
 * GPRs (the exit's) go back to KVM before the next KVM_RUN.  *rip_after
 * (may be NULL): the RIP KVM reached.  0 or -errno. */
static int sim_flush(struct sim_vp *vp, const struct sim_io_insn *ins,
		     uint64_t *rip_after)
{
	struct kvm_run *run = vp->run;
	struct kvm_regs after;
	uint32_t n;
	int ret;

	for (n = 0;; n++) {
		if (n == SIM_FLUSH_MAX) {
			sim_err(vp->part->sim,
				"VP %u: KVM still wants data after %u completions at rip %#llx",
				vp->index, n, (unsigned long long)vp->regs.rip);
			return -EIO;
		}
		sim_flush_feed(vp, ins);
		__atomic_store_n(&run->immediate_exit, 1, __ATOMIC_SEQ_CST);
		ret = ioctl(vp->fd, KVM_RUN, 0) < 0 ? -errno : 0;
		sim_stat_add(vp->part, flush_runs);
		if (ret == -EINTR)
			break;
		if (!ret && (run->exit_reason == KVM_EXIT_IO ||
			     run->exit_reason == KVM_EXIT_MMIO))
			continue;
		sim_err(vp->part->sim,
			"VP %u: completing the access at rip %#llx: %s (exit %u)",
			vp->index, (unsigned long long)vp->regs.rip,
			ret ? strerror(-ret) : "unexpected exit",
			run->exit_reason);
		return ret ? ret : -EIO;
	}
	__atomic_store_n(
		&run->immediate_exit,
		__atomic_load_n(&vp->kick_pending, __ATOMIC_SEQ_CST) ? 1 : 0,
		__ATOMIC_SEQ_CST);
	sim_vp_regs_changed(vp); /* KVM moved on; the cache did not */
	if (!rip_after)
		return 0;
	ret = sim_kvm_regs(vp, &after);
	*rip_after = ret < 0 ? vp->regs.rip : after.rip;
	return 0;
}

static int sim_load_state(struct sim_vp *vp)
{
	int ret = sim_vp_load_regs(vp);

	if (!ret)
		ret = sim_vp_load_sregs(vp);
	if (ret < 0)
		sim_err(vp->part->sim, "VP %u: reading registers: %s",
			vp->index, strerror(-ret));
	return ret;
}

static void sim_bad_insn(struct sim_vp *vp, const char *what, uint64_t rip,
			 const struct sim_code *c)
{
	const uint8_t *b = c->b + SIM_CODE_BACK;

	sim_err(vp->part->sim,
		"VP %u: %s at rip %#llx (%u bytes before, %u at it: %02x %02x %02x %02x %02x %02x)",
		vp->index, what, (unsigned long long)rip, c->back, c->fwd, b[0],
		b[1], b[2], b[3], b[4], b[5]);
}

/* The instruction bytes at `k` bytes before the exit's RIP, for the
 * message; returns how many (at most 16). */
static uint32_t sim_insn_bytes(const struct sim_code *c, uint32_t k,
			       uint8_t *out)
{
	uint32_t n = k + c->fwd;

	if (n > SIM_INSN_MAX)
		n = SIM_INSN_MAX;
	memcpy(out, c->b + SIM_CODE_BACK - k, n);
	return n;
}

/* The registers before the instruction become the VP's. */
static void sim_set_pre(struct sim_vp *vp, const struct kvm_regs *pre)
{
	if (pre->rip != vp->regs.rip || pre->rcx != vp->regs.rcx ||
	    pre->rsi != vp->regs.rsi || pre->rdi != vp->regs.rdi)
		sim_stat_add(vp->part, writes_undone);
	vp->regs = *pre;
	sim_vp_regs_changed(vp);
}

int sim_exit_io(struct sim_vp *vp, struct hv_message *msg)
{
	struct hv_x64_io_port_intercept_message *io = &msg->u.x64_io;
	struct kvm_run *run = vp->run;
	uint64_t bytes = (uint64_t)run->io.size * run->io.count, rip_after = 0;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;
	struct sim_io_insn insn;
	struct kvm_regs pre;
	struct sim_wexit x;
	struct sim_code c;
	uint32_t nb, len = 0, k;
	int ret, dec;

	if ((run->io.size != 1 && run->io.size != 2 && run->io.size != 4) ||
	    !run->io.count ||
	    run->io.data_offset > (uint64_t)vp->part->run_size ||
	    bytes > (uint64_t)vp->part->run_size - run->io.data_offset) {
		sim_err(vp->part->sim, "VP %u: bad I/O exit", vp->index);
		return -EIO;
	}
	ret = sim_load_state(vp);
	if (ret < 0)
		return ret;
	/* This exit's fields: the flush overwrites run->io. */
	memset(&x, 0, sizeof(x));
	x.pio = out;
	x.port = run->io.port;
	x.len = run->io.size;
	if (out)
		memcpy(&x.data, (uint8_t *)run + run->io.data_offset, x.len);
	sim_code_read(vp, sim_code_lin(vp, vp->regs.rip), &c);
	dec = sim_decode_io(c.b + SIM_CODE_BACK, c.fwd, sim_long64(&vp->sregs),
			    &insn);
	ret = sim_flush(vp, !out && !dec ? &insn : NULL,
			out ? &rip_after : NULL);
	if (ret < 0)
		return ret;
	pre = vp->regs;
	if (out && rip_after != vp->regs.rip) {
		/* KVM's completion stepped RIP: the OUT was still pending. */
		if (rip_after - vp->regs.rip >= SIM_INSN_MAX)
			return -EIO;
		len = (uint32_t)(rip_after - vp->regs.rip);
	} else if (out && sim_write_locate(vp, &vp->regs, &vp->sregs, &c, &x,
					   &pre, &len)) {
		sim_bad_insn(vp, "no OUT instruction ends", vp->regs.rip, &c);
		return -EIO;
	}
	if (vp->regs.rip - pre.rip > c.back)
		return -EIO; /* cannot happen: located in the window */
	k = (uint32_t)(vp->regs.rip - pre.rip);
	nb = sim_insn_bytes(&c, k, io->instruction_bytes);
	if (k)
		dec = sim_decode_io(io->instruction_bytes, nb,
				    sim_long64(&vp->sregs), &insn);
	if (dec && !len) {
		sim_bad_insn(vp, "no I/O instruction", pre.rip, &c);
		return -EIO;
	}
	if (!len)
		len = insn.len;
	sim_set_pre(vp, &pre);
	msg->header.message_type = HVMSG_X64_IO_PORT_INTERCEPT;
	msg->header.payload_size = sizeof(*io);
	sim_intercept_hdr(&io->header, vp->index, &pre, &vp->sregs,
			  out ? HV_INTERCEPT_ACCESS_WRITE :
				HV_INTERCEPT_ACCESS_READ,
			  len);
	io->port_number = x.port;
	io->access_info = (uint8_t)x.len;
	if (!dec && insn.string)
		io->access_info |= HV_X64_IO_STRING_OP;
	if (!dec && insn.rep)
		io->access_info |= HV_X64_IO_REP_PREFIX;
	io->instruction_byte_count = (uint8_t)nb;
	io->rax = pre.rax;
	sim_seg_to_hv(&io->ds_segment, &vp->sregs.ds);
	sim_seg_to_hv(&io->es_segment, &vp->sregs.es);
	io->rcx = pre.rcx;
	io->rsi = pre.rsi;
	io->rdi = pre.rdi;
	sim_stat_add(vp->part, pio);
	if (!dec && insn.string)
		sim_stat_add(vp->part, pio_string);
	return 1;
}

int sim_exit_mmio(struct sim_vp *vp, struct hv_message *msg)
{
	struct hv_x64_memory_intercept_message *mm = &msg->u.x64_mem;
	struct kvm_run *run = vp->run;
	bool write = run->mmio.is_write, mapped;
	struct kvm_regs pre;
	struct sim_wexit x;
	struct sim_code c;
	uint32_t ilen;
	int ret;

	if (!run->mmio.len || run->mmio.len > sizeof(run->mmio.data)) {
		sim_err(vp->part->sim, "VP %u: MMIO exit of length %u",
			vp->index, run->mmio.len);
		return -EIO;
	}
	ret = sim_load_state(vp);
	if (ret < 0)
		return ret;
	/* This exit's fields: the flush overwrites run->mmio. */
	memset(&x, 0, sizeof(x));
	x.gpa = run->mmio.phys_addr;
	x.len = run->mmio.len;
	if (write)
		memcpy(&x.data, run->mmio.data, x.len);
	/* A write to a read-only region violates the mapping; any other
	 * access reaches a GPA with no mapping at all. */
	mapped = sim_mem_lookup(vp->part, x.gpa, NULL);
	sim_code_read(vp, sim_code_lin(vp, vp->regs.rip), &c);
	ret = sim_flush(vp, NULL, NULL);
	if (ret < 0)
		return ret;
	pre = vp->regs;
	if (write &&
	    sim_write_locate(vp, &vp->regs, &vp->sregs, &c, &x, &pre, &ilen)) {
		sim_bad_insn(
			vp,
			"cannot find the instruction that wrote MMIO, which ends",
			vp->regs.rip, &c);
		return -EIO;
	}
	if (vp->regs.rip - pre.rip > c.back)
		return -EIO; /* cannot happen: located in the window */
	mm->instruction_byte_count = (uint8_t)sim_insn_bytes(
		&c, (uint32_t)(vp->regs.rip - pre.rip), mm->instruction_bytes);
	sim_set_pre(vp, &pre);
	msg->header.message_type = mapped ? HVMSG_GPA_INTERCEPT :
					    HVMSG_UNMAPPED_GPA;
	msg->header.payload_size = sizeof(*mm);
	sim_intercept_hdr(&mm->header, vp->index, &pre, &vp->sregs,
			  write ? HV_INTERCEPT_ACCESS_WRITE :
				  HV_INTERCEPT_ACCESS_READ,
			  0);
	mm->cache_type = 0; /* uncached */
	mm->guest_physical_address = x.gpa;
	if (mapped)
		sim_stat_add(vp->part, gpa_intercept);
	else
		sim_stat_add(vp->part, mmio);
	return 1;
}
