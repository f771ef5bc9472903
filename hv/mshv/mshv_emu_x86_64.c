// SPDX-License-Identifier: Apache-2.0
/*
 * mshv_emu_x86_64.c - memory intercepts of the MSHV plugin (x86_64).
 *
 * HVMSG_UNMAPPED_GPA (no mapping: MMIO) and HVMSG_GPA_INTERCEPT (the
 * mapping forbids the access, e.g. a write to ROM) carry the guest's
 * instruction bytes but neither the size nor the data of the access.  The
 * plugin loads the VP state into the shared emulator (hv/x86emu), which
 * decodes and executes the one instruction; its guest-physical accesses go
 * to RAM through hv_host.gpa_to_hva and to devices through hv_host.mmio
 * (one MOVS may touch both).  Changed registers are written back with one
 * SET_VP_REGISTERS and the exit is HV_EXIT_NONE.  A fault the emulator
 * reports is queued as a pending exception; an instruction it cannot
 * handle stops the VM with HV_EXIT_INTERNAL (EMULATION).
 */
#define LOG_MOD "mshv"

#include <errno.h>
#include <string.h>

#include "hv/mshv/mshv_x86_64.h"
#include "hv/x86emu/x86_emu.h"

/* The registers the emulator needs, in one GET_VP_REGISTERS call. */
enum {
	MSHV_EMU_GPR0 = 0, /* 16 GPRs in hardware order */
	MSHV_EMU_RIP = 16,
	MSHV_EMU_RFLAGS,
	MSHV_EMU_CR0,
	MSHV_EMU_CR3,
	MSHV_EMU_CR4,
	MSHV_EMU_EFER,
	MSHV_EMU_SEG0, /* ES, CS, SS, DS, FS, GS */
	MSHV_EMU_NR = MSHV_EMU_SEG0 + X86_SEG_NR,
};

static const uint32_t mshv_emu_names[MSHV_EMU_NR] = {
	HV_X64_REGISTER_RAX,	HV_X64_REGISTER_RCX,	HV_X64_REGISTER_RDX,
	HV_X64_REGISTER_RBX,	HV_X64_REGISTER_RSP,	HV_X64_REGISTER_RBP,
	HV_X64_REGISTER_RSI,	HV_X64_REGISTER_RDI,	HV_X64_REGISTER_R8,
	HV_X64_REGISTER_R8 + 1, HV_X64_REGISTER_R8 + 2, HV_X64_REGISTER_R8 + 3,
	HV_X64_REGISTER_R8 + 4, HV_X64_REGISTER_R8 + 5, HV_X64_REGISTER_R8 + 6,
	HV_X64_REGISTER_R15,	HV_X64_REGISTER_RIP,	HV_X64_REGISTER_RFLAGS,
	HV_X64_REGISTER_CR0,	HV_X64_REGISTER_CR3,	HV_X64_REGISTER_CR4,
	HV_X64_REGISTER_EFER,	HV_X64_REGISTER_ES,	HV_X64_REGISTER_CS,
	HV_X64_REGISTER_SS,	HV_X64_REGISTER_DS,	HV_X64_REGISTER_FS,
	HV_X64_REGISTER_GS,
};

static int mshv_emu_read(void *ctx, uint64_t gpa, void *buf, uint32_t len)
{
	return mshv_x86_phys_rw(ctx, gpa, buf, len, false);
}

static int mshv_emu_write(void *ctx, uint64_t gpa, const void *buf,
			  uint32_t len)
{
	/* phys_rw only reads from buf when writing. */
	return mshv_x86_phys_rw(ctx, gpa, (void *)(uintptr_t)buf, len, true);
}

static int mshv_emu_pio(void *ctx, uint16_t port, void *data, uint32_t len,
			int write)
{
	struct hv_vcpu *vcpu = ctx;

	return vcpu->vm->hv->host->pio(vcpu->cookie, port, data, len, write);
}

static const struct x86_emu_ops mshv_emu_ops = {
	.read_phys = mshv_emu_read,
	.write_phys = mshv_emu_write,
	.pio = mshv_emu_pio,
};

static void mshv_emu_load(struct x86_emu_cpu *cpu,
			  const union hv_register_value *v, uint16_t exec)
{
	uint16_t cs_attr = v[MSHV_EMU_SEG0 + X86_SEG_CS].segment.attributes;
	int i;

	memset(cpu, 0, sizeof(*cpu));
	for (i = 0; i < 16; i++)
		cpu->gpr[i] = v[MSHV_EMU_GPR0 + i].reg64;
	cpu->rip = v[MSHV_EMU_RIP].reg64;
	cpu->rflags = v[MSHV_EMU_RFLAGS].reg64;
	cpu->cr0 = v[MSHV_EMU_CR0].reg64;
	cpu->cr3 = v[MSHV_EMU_CR3].reg64;
	cpu->cr4 = v[MSHV_EMU_CR4].reg64;
	cpu->efer = v[MSHV_EMU_EFER].reg64;
	for (i = 0; i < X86_SEG_NR; i++)
		cpu->seg_base[i] = v[MSHV_EMU_SEG0 + i].segment.base;
	cpu->cs_l = !!(cs_attr & HV_X64_SEG_ATTR_L);
	cpu->cs_db = !!(cs_attr & HV_X64_SEG_ATTR_DB);
	cpu->cpl = exec & HV_X64_EXEC_CPL_MASK;
}

/* Write back what the instruction changed (RIP at least). */
static int mshv_emu_store(struct hv_vcpu *vcpu, const struct x86_emu_cpu *old,
			  const struct x86_emu_cpu *cpu)
{
	struct hv_register_assoc a[18];
	uint32_t n = 0;
	int i;

	for (i = 0; i < 16; i++)
		if (cpu->gpr[i] != old->gpr[i])
			mshv_assoc64(&a[n++], mshv_emu_names[MSHV_EMU_GPR0 + i],
				     cpu->gpr[i]);
	if (cpu->rflags != old->rflags)
		mshv_assoc64(&a[n++], HV_X64_REGISTER_RFLAGS, cpu->rflags);
	if (cpu->rip != old->rip)
		mshv_assoc64(&a[n++], HV_X64_REGISTER_RIP, cpu->rip);
	return mshv_set_vp_regs(vcpu, a, n);
}

int mshv_x86_mmio(struct hv_vcpu *vcpu, struct hv_exit *exit)
{
	const struct hv_x64_memory_intercept_message *mm = &vcpu->msg.u.x64_mem;
	union hv_register_value v[MSHV_EMU_NR];
	struct x86_emu_cpu cpu, old;
	struct x86_emu_fault fault;
	uint8_t acc = mm->header.intercept_access_type;
	int ret;

	if (!mshv_x86_msg_ok(vcpu, exit, sizeof(*mm)))
		return 0;
	if (mm->instruction_byte_count > sizeof(mm->instruction_bytes) ||
	    acc > HV_INTERCEPT_ACCESS_EXECUTE)
		return mshv_exit_internal(vcpu, exit, MSHV_INTERNAL_BAD_MESSAGE,
					  "bad memory intercept message");
	if (acc == HV_INTERCEPT_ACCESS_EXECUTE)
		return mshv_exit_internal(vcpu, exit, MSHV_INTERNAL_EMULATION,
					  "guest executes from MMIO");
	ret = mshv_get_vp_regs(vcpu, mshv_emu_names, v, MSHV_EMU_NR);
	if (ret < 0)
		return ret;
	mshv_emu_load(&cpu, v, mm->header.execution_state);
	old = cpu;
	memset(&fault, 0, sizeof(fault));
	ret = x86_emu_step(&cpu, mm->instruction_bytes,
			   mm->instruction_byte_count, &mshv_emu_ops, vcpu,
			   &fault);
	if (ret == -EFAULT)
		return mshv_x86_inject(
			vcpu, exit, fault.vector, fault.has_error_code,
			fault.error_code,
			fault.vector == MSHV_X86_VEC_PF ? fault.cr2 : 0);
	if (ret == -EOPNOTSUPP || ret == -EINVAL) {
		exit->pc = old.rip;
		mshv_guest_warn(
			vcpu,
			"cannot emulate the access to gpa %#llx at rip %#llx (%u bytes: %02x %02x %02x %02x)",
			(unsigned long long)mm->guest_physical_address,
			(unsigned long long)old.rip, mm->instruction_byte_count,
			mm->instruction_bytes[0], mm->instruction_bytes[1],
			mm->instruction_bytes[2], mm->instruction_bytes[3]);
		return mshv_exit_internal(vcpu, exit, MSHV_INTERNAL_EMULATION,
					  "instruction not emulated");
	}
	if (ret < 0)
		return ret; /* a device asked to stop the VM */
	exit->reason = HV_EXIT_NONE;
	return mshv_emu_store(vcpu, &old, &cpu);
}
