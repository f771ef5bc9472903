/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mshv_x86_64.h - helpers shared by the x86_64 files of the MSHV plugin:
 * mshv_x86_64.c (partition/VP setup, message dispatch, CPUID, MSR, HLT,
 * EOI, exception injection), mshv_io_x86_64.c (port I/O, string forms
 * included), mshv_emu_x86_64.c (memory intercepts through the shared
 * instruction emulator) and mshv_regs_x86_64.c (register sets).
 * Everything runs on the vCPU's thread.  Plugin-internal.
 */
#ifndef NIMBUS_HV_MSHV_X86_64_H
#define NIMBUS_HV_MSHV_X86_64_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/mshv/mshv_priv.h"

#define MSHV_X86_RFLAGS_IF (1ull << 9)
#define MSHV_X86_RFLAGS_DF (1ull << 10)

#define MSHV_X86_VEC_UD 6
#define MSHV_X86_VEC_GP 13
#define MSHV_X86_VEC_PF 14

/* RIP after the intercepted instruction, from the intercept header. */
static inline uint64_t
mshv_x86_next_rip(const struct hv_x64_intercept_message_header *h)
{
	return h->rip + (h->instruction_length_cr8 & HV_X64_INSN_LEN_MASK);
}

/*
 * Check an intercept message: payload of at least `min` bytes and the
 * header's VP index is ours.  Else fills HV_EXIT_INTERNAL (BAD_MESSAGE)
 * and returns false.
 */
bool mshv_x86_msg_ok(struct hv_vcpu *vcpu, struct hv_exit *exit, uint32_t min);

/*
 * Queue exception `vector` (error code when has_error) for delivery at
 * the next run through HV_X64_REGISTER_PENDING_EVENT0; `param` is the
 * exception parameter (CR2 for #PF).  *exit becomes HV_EXIT_NONE, or
 * HV_EXIT_INTERNAL (INJECT) when the hypervisor refuses.  Returns 0.
 */
int mshv_x86_inject(struct hv_vcpu *vcpu, struct hv_exit *exit, uint8_t vector,
		    bool has_error, uint32_t error, uint64_t param);

/*
 * Guest-physical access for emulation: RAM through hv_host.gpa_to_hva,
 * anything else through hv_host.mmio in naturally sized pieces of at most
 * 8 bytes.  Returns 0 or the host's negative errno (the VM must stop).
 */
int mshv_x86_phys_rw(struct hv_vcpu *vcpu, uint64_t gpa, void *buf,
		     uint32_t len, bool write);

/* HVMSG_X64_IO_PORT_INTERCEPT (mshv_io_x86_64.c). */
int mshv_x86_io(struct hv_vcpu *vcpu, struct hv_exit *exit);
/* Completion of MSHV_PEND_PIO_* on re-entry. */
int mshv_x86_io_complete(struct hv_vcpu *vcpu);

/* HVMSG_UNMAPPED_GPA / HVMSG_GPA_INTERCEPT (mshv_emu_x86_64.c). */
int mshv_x86_mmio(struct hv_vcpu *vcpu, struct hv_exit *exit);

#endif /* NIMBUS_HV_MSHV_X86_64_H */
