/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mshv_abi_msg.h - hv_message, the 256 bytes MSHV_RUN_VP returns, and
 * the intercept payloads it carries (reference sections 5.2 - 5.7, 4.7).
 * Part of mshv_abi.h, which includes it where it belongs: include that
 * one, not this file.
 */
#ifndef NIMBUS_HV_MSHV_ABI_H
#error "include hv/mshv/mshv_abi.h"
#endif
#ifndef NIMBUS_HV_MSHV_ABI_MSG_H
#define NIMBUS_HV_MSHV_ABI_MSG_H

/* ---------------------------------------------------------------------- */
/* hv_message (sections 5.2 - 5.7, 4.7)                                    */

#define HV_MESSAGE_SIZE 256u
#define HV_MESSAGE_PAYLOAD_BYTES 240u

#define HVMSG_NONE 0x00000000u
#define HVMSG_UNMAPPED_GPA 0x80000000u
#define HVMSG_GPA_INTERCEPT 0x80000001u
#define HVMSG_UNACCEPTED_GPA 0x80000003u
#define HVMSG_GPA_ATTRIBUTE_INTERCEPT 0x80000004u
#define HVMSG_TIMER_EXPIRED 0x80000010u
#define HVMSG_INVALID_VP_REGISTER_VALUE 0x80000020u
#define HVMSG_UNRECOVERABLE_EXCEPTION 0x80000021u
#define HVMSG_UNSUPPORTED_FEATURE 0x80000022u
#define HVMSG_OPAQUE_INTERCEPT 0x8000003Fu
#define HVMSG_HYPERCALL_INTERCEPT 0x80000050u
#define HVMSG_SYNIC_EVENT_INTERCEPT 0x80000060u
#define HVMSG_SYNIC_SINT_INTERCEPT 0x80000061u
#define HVMSG_SYNIC_SINT_DELIVERABLE 0x80000062u
#define HVMSG_ASYNC_CALL_COMPLETION 0x80000070u
#define HVMSG_SCHEDULER_VP_SIGNAL_BITSET 0x80000100u
#define HVMSG_SCHEDULER_VP_SIGNAL_PAIR 0x80000101u
#define HVMSG_X64_IO_PORT_INTERCEPT 0x80010000u
#define HVMSG_X64_MSR_INTERCEPT 0x80010001u
#define HVMSG_X64_CPUID_INTERCEPT 0x80010002u
#define HVMSG_X64_EXCEPTION_INTERCEPT 0x80010003u
#define HVMSG_X64_APIC_EOI 0x80010004u
#define HVMSG_X64_LEGACY_FP_ERROR 0x80010005u
#define HVMSG_X64_IOMMU_PRQ 0x80010006u
#define HVMSG_X64_HALT 0x80010007u
#define HVMSG_X64_INTERRUPTION_DELIVERABLE 0x80010008u
#define HVMSG_X64_SIPI_INTERCEPT 0x80010009u
#define HVMSG_ARM64_RESET_INTERCEPT 0x8001000Cu
#define HVMSG_X64_SEV_VMGEXIT_INTERCEPT 0x80010013u

struct hv_message_header {
	uint32_t message_type; /* HVMSG_* */
	uint8_t payload_size; /* <= 240 */
	uint8_t message_flags; /* bit 0: msg_pending */
	uint8_t reserved[2];
	uint64_t sender; /* port id */
};

/* Intercept access types. */
#define HV_INTERCEPT_ACCESS_READ 0u
#define HV_INTERCEPT_ACCESS_WRITE 1u
#define HV_INTERCEPT_ACCESS_EXECUTE 2u

/* x86 intercept header (40 B). */
struct hv_x64_intercept_message_header {
	uint32_t vp_index;
	uint8_t instruction_length_cr8; /* bits 0-3 length, 4-7 cr8 */
	uint8_t intercept_access_type; /* HV_INTERCEPT_ACCESS_* */
	uint16_t execution_state; /* HV_X64_EXEC_* */
	struct hv_x64_segment_register cs_segment;
	uint64_t rip;
	uint64_t rflags;
};

#define HV_X64_INSN_LEN_MASK 0x0Fu
#define HV_X64_EXEC_CPL_MASK 0x0003u
#define HV_X64_EXEC_CR0_PE (1u << 2)
#define HV_X64_EXEC_CR0_AM (1u << 3)
#define HV_X64_EXEC_EFER_LMA (1u << 4)
#define HV_X64_EXEC_DEBUG_ACTIVE (1u << 5)
#define HV_X64_EXEC_INTERRUPTION_PENDING (1u << 6)
#define HV_X64_EXEC_INTERRUPT_SHADOW (1u << 12)

/* HVMSG_X64_IO_PORT_INTERCEPT payload (128 B). */
struct hv_x64_io_port_intercept_message {
	struct hv_x64_intercept_message_header header;
	uint16_t port_number;
	uint8_t access_info; /* HV_X64_IO_* */
	uint8_t instruction_byte_count;
	uint32_t reserved;
	uint64_t rax;
	uint8_t instruction_bytes[16];
	struct hv_x64_segment_register ds_segment;
	struct hv_x64_segment_register es_segment;
	uint64_t rcx;
	uint64_t rsi;
	uint64_t rdi;
};

#define HV_X64_IO_ACCESS_SIZE_MASK 0x07u /* 1, 2 or 4 bytes */
#define HV_X64_IO_STRING_OP (1u << 3)
#define HV_X64_IO_REP_PREFIX (1u << 4)

/* HVMSG_UNMAPPED_GPA / HVMSG_GPA_INTERCEPT payload on x86 (80 B). */
struct hv_x64_memory_intercept_message {
	struct hv_x64_intercept_message_header header;
	uint32_t cache_type;
	uint8_t instruction_byte_count; /* 0..16 */
	uint8_t memory_access_info; /* HV_X64_MEM_* */
	uint8_t tpr_priority;
	uint8_t reserved1;
	uint64_t guest_virtual_address;
	uint64_t guest_physical_address;
	uint8_t instruction_bytes[16];
};

#define HV_X64_MEM_GVA_VALID (1u << 0)
#define HV_X64_MEM_GVA_GPA_VALID (1u << 1)

/* HVMSG_X64_CPUID_INTERCEPT payload (104 B). */
struct hv_x64_cpuid_intercept_message {
	struct hv_x64_intercept_message_header header;
	uint64_t rax, rcx, rdx, rbx; /* guest inputs */
	uint64_t default_result_rax, default_result_rcx;
	uint64_t default_result_rdx, default_result_rbx;
};

/* HVMSG_X64_MSR_INTERCEPT payload (64 B). */
struct hv_x64_msr_intercept_message {
	struct hv_x64_intercept_message_header header;
	uint32_t msr_number;
	uint32_t reserved;
	uint64_t rdx;
	uint64_t rax;
};

/* HVMSG_X64_EXCEPTION_INTERCEPT payload (240 B). */
struct hv_x64_exception_intercept_message {
	struct hv_x64_intercept_message_header header;
	uint16_t exception_vector;
	uint8_t exception_info; /* bit 0 error code valid, 1 software */
	uint8_t instruction_byte_count;
	uint32_t error_code;
	uint64_t exception_parameter;
	uint64_t reserved;
	uint8_t instruction_bytes[16];
	struct hv_x64_segment_register ds_segment;
	struct hv_x64_segment_register ss_segment;
	uint64_t gpr[16]; /* rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8..r15 */
};

/* HVMSG_X64_APIC_EOI payload (8 B, no intercept header). */
struct hv_x64_apic_eoi_message {
	uint32_t vp_index;
	uint32_t interrupt_vector;
};

/* HVMSG_INVALID_VP_REGISTER_VALUE payload. */
struct hv_invalid_vp_register_message {
	uint32_t vp_index;
	uint32_t reserved;
};

/* HVMSG_UNSUPPORTED_FEATURE payload. */
struct hv_unsupported_feature_message {
	uint32_t vp_index;
	uint32_t feature_code; /* 1 intercept, 2 task-switch TSS */
	uint64_t feature_parameter;
};

/* arm64 intercept header (24 B). */
struct hv_arm64_intercept_message_header {
	uint32_t vp_index;
	uint8_t instruction_length;
	uint8_t intercept_access_type;
	uint16_t execution_state;
	uint64_t pc;
	uint64_t cpsr;
};

/* HVMSG_UNMAPPED_GPA / HVMSG_GPA_INTERCEPT payload on arm64 (64 B). */
struct hv_arm64_memory_intercept_message {
	struct hv_arm64_intercept_message_header header;
	uint32_t cache_type;
	uint8_t instruction_byte_count;
	uint8_t memory_access_info;
	uint16_t reserved1;
	uint8_t instruction_bytes[4];
	uint32_t reserved2;
	uint64_t guest_virtual_address;
	uint64_t guest_physical_address;
	uint64_t syndrome; /* ESR_EL2 */
};

/* ESR fields of a data abort (arm64 memory intercept syndrome). */
#define HV_ARM64_ESR_IL (1ull << 25)
#define HV_ARM64_ESR_ISV (1ull << 24)
#define HV_ARM64_ESR_SAS_SHIFT 22
#define HV_ARM64_ESR_SAS_MASK 3ull
#define HV_ARM64_ESR_SSE (1ull << 21)
#define HV_ARM64_ESR_SRT_SHIFT 16
#define HV_ARM64_ESR_SRT_MASK 0x1Full
#define HV_ARM64_ESR_SF (1ull << 15)
#define HV_ARM64_ESR_WNR (1ull << 6)

/* HVMSG_ARM64_RESET_INTERCEPT payload. */
struct hv_arm64_reset_intercept_message {
	struct hv_arm64_intercept_message_header header;
	uint32_t reset_type; /* HV_ARM64_RESET_TYPE_* */
	uint32_t reset_code;
};

#define HV_ARM64_RESET_TYPE_POWER_OFF 0u
#define HV_ARM64_RESET_TYPE_REBOOT 1u
#define HV_ARM64_RESET_TYPE_SYSTEM_RESET2 2u
#define HV_ARM64_RESET_TYPE_HIBERNATE 3u

/* The 256-byte message MSHV_RUN_VP fills. */
struct hv_message {
	struct hv_message_header header;
	union {
		uint8_t payload[HV_MESSAGE_PAYLOAD_BYTES];
		uint64_t payload_u64[HV_MESSAGE_PAYLOAD_BYTES / 8];
		struct hv_x64_intercept_message_header x64_hdr;
		struct hv_x64_io_port_intercept_message x64_io;
		struct hv_x64_memory_intercept_message x64_mem;
		struct hv_x64_cpuid_intercept_message x64_cpuid;
		struct hv_x64_msr_intercept_message x64_msr;
		struct hv_x64_exception_intercept_message x64_exc;
		struct hv_x64_apic_eoi_message x64_eoi;
		struct hv_invalid_vp_register_message invalid_reg;
		struct hv_unsupported_feature_message unsupported;
		struct hv_arm64_intercept_message_header a64_hdr;
		struct hv_arm64_memory_intercept_message a64_mem;
		struct hv_arm64_reset_intercept_message a64_reset;
	} u;
};

/* Layout checks against the reference. */

MSHV_ABI_SIZE(struct hv_message_header, 16);
MSHV_ABI_SIZE(struct hv_x64_intercept_message_header, 40);
MSHV_ABI_OFF(struct hv_x64_intercept_message_header, rip, 24);
MSHV_ABI_SIZE(struct hv_x64_io_port_intercept_message, 128);
MSHV_ABI_OFF(struct hv_x64_io_port_intercept_message, rax, 48);
MSHV_ABI_OFF(struct hv_x64_io_port_intercept_message, ds_segment, 72);
MSHV_ABI_OFF(struct hv_x64_io_port_intercept_message, rcx, 104);
MSHV_ABI_SIZE(struct hv_x64_memory_intercept_message, 80);
MSHV_ABI_OFF(struct hv_x64_memory_intercept_message, guest_physical_address,
	     56);
MSHV_ABI_SIZE(struct hv_x64_cpuid_intercept_message, 104);
MSHV_ABI_SIZE(struct hv_x64_msr_intercept_message, 64);
MSHV_ABI_SIZE(struct hv_x64_exception_intercept_message, 240);
MSHV_ABI_OFF(struct hv_x64_exception_intercept_message, gpr, 112);
MSHV_ABI_SIZE(struct hv_arm64_intercept_message_header, 24);
MSHV_ABI_SIZE(struct hv_arm64_memory_intercept_message, 64);
MSHV_ABI_OFF(struct hv_arm64_memory_intercept_message, syndrome, 56);
MSHV_ABI_SIZE(struct hv_arm64_reset_intercept_message, 32);
MSHV_ABI_SIZE(struct hv_message, HV_MESSAGE_SIZE);

#endif /* NIMBUS_HV_MSHV_ABI_MSG_H */
