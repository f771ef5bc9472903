/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mshv_abi_hvcall.h - the hypercalls that pass through MSHV_ROOT_HVCALL,
 * their inputs and outputs, and the register values they carry
 * (reference section 2.5 and the sections each names).
 * Part of mshv_abi.h, which includes it where it belongs: include that
 * one, not this file.
 */
#ifndef NIMBUS_HV_MSHV_ABI_H
#error "include hv/mshv/mshv_abi.h"
#endif
#ifndef NIMBUS_HV_MSHV_ABI_HVCALL_H
#define NIMBUS_HV_MSHV_ABI_HVCALL_H

/* ---------------------------------------------------------------------- */
/* Passthrough hypercalls (section 2.5)                                    */

struct mshv_root_hvcall {
	uint16_t code; /* HVCALL_* */
	uint16_t reps; /* in: rep count (0 = not a rep call); out: done */
	uint16_t in_sz; /* 8..4096, includes rep data */
	uint16_t out_sz; /* <= 4096; nonzero iff out_ptr != 0 */
	uint16_t status; /* in: 0; out: HV_STATUS_* */
	uint8_t rsvd[6]; /* 0 */
	uint64_t in_ptr; /* bytes 0-7 are overwritten with the partition id */
	uint64_t out_ptr; /* or 0 */
};

#define MSHV_HVCALL_MAX_SZ 4096u

/* Hypercall codes allowed through MSHV_ROOT_HVCALL. */
#define HVCALL_GET_PARTITION_PROPERTY 0x0044u
#define HVCALL_SET_PARTITION_PROPERTY 0x0045u /* partition fd only */
#define HVCALL_INSTALL_INTERCEPT 0x004Du
#define HVCALL_GET_VP_REGISTERS 0x0050u /* rep */
#define HVCALL_SET_VP_REGISTERS 0x0051u /* rep */
#define HVCALL_TRANSLATE_VIRTUAL_ADDRESS 0x0052u
#define HVCALL_CLEAR_VIRTUAL_INTERRUPT 0x0056u
#define HVCALL_REGISTER_INTERCEPT_RESULT 0x0091u
#define HVCALL_ASSERT_VIRTUAL_INTERRUPT 0x0094u
#define HVCALL_SIGNAL_EVENT_DIRECT 0x00C0u
#define HVCALL_POST_MESSAGE_DIRECT 0x00C1u
#define HVCALL_GET_GPA_PAGES_ACCESS_STATES 0x00C9u /* rep */
#define HVCALL_GET_VP_CPUID_VALUES 0x00F4u /* rep */
#define HVCALL_GET_PARTITION_PROPERTY_EX 0x0101u /* /dev/mshv patch only */

/* HV_STATUS values. */
#define HV_STATUS_SUCCESS 0x00u
#define HV_STATUS_INVALID_HYPERCALL_CODE 0x02u
#define HV_STATUS_INVALID_HYPERCALL_INPUT 0x03u
#define HV_STATUS_INVALID_ALIGNMENT 0x04u
#define HV_STATUS_INVALID_PARAMETER 0x05u
#define HV_STATUS_ACCESS_DENIED 0x06u
#define HV_STATUS_INVALID_PARTITION_STATE 0x07u
#define HV_STATUS_OPERATION_DENIED 0x08u
#define HV_STATUS_UNKNOWN_PROPERTY 0x09u
#define HV_STATUS_PROPERTY_VALUE_OUT_OF_RANGE 0x0Au
#define HV_STATUS_INSUFFICIENT_MEMORY 0x0Bu
#define HV_STATUS_INVALID_PARTITION_ID 0x0Du
#define HV_STATUS_INVALID_VP_INDEX 0x0Eu
#define HV_STATUS_NOT_FOUND 0x10u
#define HV_STATUS_INVALID_PORT_ID 0x11u
#define HV_STATUS_INVALID_CONNECTION_ID 0x12u
#define HV_STATUS_INSUFFICIENT_BUFFERS 0x13u
#define HV_STATUS_NOT_ACKNOWLEDGED 0x14u
#define HV_STATUS_INVALID_VP_STATE 0x15u
#define HV_STATUS_NO_RESOURCES 0x1Du
#define HV_STATUS_PROCESSOR_FEATURE_NOT_SUPPORTED 0x20u
#define HV_STATUS_INVALID_LP_INDEX 0x41u
#define HV_STATUS_INVALID_REGISTER_VALUE 0x50u
#define HV_STATUS_OPERATION_FAILED 0x71u
#define HV_STATUS_TIME_OUT 0x78u
#define HV_STATUS_CALL_PENDING 0x79u
#define HV_STATUS_VTL_ALREADY_ENABLED 0x86u

/* GET_PARTITION_PROPERTY input (16 B); output is one u64. */
struct hv_input_get_partition_property {
	uint64_t partition_id;
	uint32_t property_code;
	uint32_t padding;
};

/* SET_PARTITION_PROPERTY input (24 B); no output. */
struct hv_input_set_partition_property {
	uint64_t partition_id;
	uint32_t property_code;
	uint32_t padding;
	uint64_t property_value;
};

/* Partition property codes. */
#define HV_PARTITION_PROPERTY_PRIVILEGE_FLAGS 0x00010000u
#define HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES 0x00010001u
#define HV_PARTITION_PROPERTY_SUSPEND 0x00020000u
#define HV_PARTITION_PROPERTY_TIME_FREEZE 0x00030003u
#define HV_PARTITION_PROPERTY_REFERENCE_TIME 0x00030005u
#define HV_PARTITION_PROPERTY_DEBUG_CHANNEL_ID 0x00040000u
#define HV_PARTITION_PROPERTY_PROCESSORS_PER_SOCKET 0x00050003u
#define HV_PARTITION_PROPERTY_GPA_PAGE_ACCESS_TRACKING 0x00050005u
#define HV_PARTITION_PROPERTY_IMPLEMENTED_PHYSICAL_ADDRESS_BITS 0x00050010u
#define HV_PARTITION_PROPERTY_UNIMPLEMENTED_MSR_ACTION 0x00050017u
#define HV_PARTITION_PROPERTY_GICD_BASE_ADDRESS 0x00050028u
#define HV_PARTITION_PROPERTY_GITS_TRANSLATER_BASE_ADDRESS 0x00050029u
#define HV_PARTITION_PROPERTY_GIC_LPI_INT_ID_BITS 0x0005002Au
#define HV_PARTITION_PROPERTY_GIC_PPI_OVERFLOW_INTERRUPT_FROM_CNTV 0x0005002Bu
#define HV_PARTITION_PROPERTY_GIC_PPI_OVERFLOW_INTERRUPT_FROM_CNTP 0x0005002Cu
#define HV_PARTITION_PROPERTY_GIC_PPI_PERFORMANCE_MONITORS_INTERRUPT 0x0005002Du
#define HV_PARTITION_PROPERTY_GIC_PPI_PMBIRQ 0x0005002Eu
#define HV_PARTITION_PROPERTY_PROCESSOR_VENDOR 0x00060000u
#define HV_PARTITION_PROPERTY_PROCESSOR_XSAVE_FEATURES 0x00060002u
#define HV_PARTITION_PROPERTY_PHYSICAL_ADDRESS_WIDTH 0x00060006u
#define HV_PARTITION_PROPERTY_MAX_XSAVE_DATA_SIZE 0x00060008u
#define HV_PARTITION_PROPERTY_PROCESSOR_FEATURES0 0x0006000Au
#define HV_PARTITION_PROPERTY_PROCESSOR_FEATURES1 0x0006000Bu
#define HV_PARTITION_PROPERTY_GUEST_OS_ID 0x00070000u
#define HV_PARTITION_PROPERTY_VMM_CAPABILITIES 0x00090007u
#define HV_PARTITION_PROPERTY_ASSIGNABLE_SYNTHETIC_PROC_FEATURES 0x00090009u

/* UNIMPLEMENTED_MSR_ACTION values. */
#define HV_UNIMPLEMENTED_MSR_ACTION_FAULT 0u
#define HV_UNIMPLEMENTED_MSR_ACTION_IGNORE_WRITE_READ_ZERO 1u

/* hv_partition_synthetic_processor_features bits (one u64 bank). */
#define HV_SYNTH_HYPERVISOR_PRESENT (1ull << 0)
#define HV_SYNTH_HV1 (1ull << 1)
#define HV_SYNTH_ACCESS_VP_RUN_TIME_REG (1ull << 2)
#define HV_SYNTH_ACCESS_PARTITION_REFERENCE_COUNTER (1ull << 3)
#define HV_SYNTH_ACCESS_SYNIC_REGS (1ull << 4)
#define HV_SYNTH_ACCESS_SYNTHETIC_TIMER_REGS (1ull << 5)
#define HV_SYNTH_ACCESS_INTR_CTRL_REGS (1ull << 6)
#define HV_SYNTH_ACCESS_HYPERCALL_REGS (1ull << 7)
#define HV_SYNTH_ACCESS_VP_INDEX (1ull << 8)
#define HV_SYNTH_ACCESS_PARTITION_REFERENCE_TSC (1ull << 9)
#define HV_SYNTH_ACCESS_GUEST_IDLE_REG (1ull << 10) /* x86 */
#define HV_SYNTH_ACCESS_FREQUENCY_REGS (1ull << 11)
#define HV_SYNTH_DIRECT_SYNTHETIC_TIMERS (1ull << 22)
#define HV_SYNTH_TB_FLUSH_HYPERCALLS (1ull << 25)
#define HV_SYNTH_SYNTHETIC_CLUSTER_IPI (1ull << 26)
#define HV_SYNTH_ACCESS_VP_REGS (1ull << 38)
#define HV_SYNTH_FLUSH_GUEST_PHYSICAL_ADDRESS_SPACE (1ull << 53)

/* GET/SET_VP_REGISTERS input header (16 B): names (get) or
 * hv_register_assoc elements (set) follow at byte 16. */
struct hv_input_vp_registers_hdr {
	uint64_t partition_id;
	uint32_t vp_index;
	uint8_t input_vtl; /* 0 */
	uint8_t rsvd8;
	uint16_t rsvd16;
};

/* A register value: 128 bits; 64-bit registers use the low 8 bytes. */
struct hv_u128 {
	uint64_t low_part;
	uint64_t high_part;
};

/* hv_x64_segment_register (section 4.4). */
struct hv_x64_segment_register {
	uint64_t base;
	uint32_t limit; /* byte granular, already expanded */
	uint16_t selector;
	uint16_t attributes; /* HV_X64_SEG_ATTR_* */
};

#define HV_X64_SEG_ATTR_TYPE_MASK 0x000Fu
#define HV_X64_SEG_ATTR_S (1u << 4) /* non-system */
#define HV_X64_SEG_ATTR_DPL_SHIFT 5
#define HV_X64_SEG_ATTR_DPL_MASK (3u << 5)
#define HV_X64_SEG_ATTR_P (1u << 7)
#define HV_X64_SEG_ATTR_AVL (1u << 12)
#define HV_X64_SEG_ATTR_L (1u << 13)
#define HV_X64_SEG_ATTR_DB (1u << 14)
#define HV_X64_SEG_ATTR_G (1u << 15)

/* hv_x64_table_register (GDTR, IDTR). */
struct hv_x64_table_register {
	uint16_t pad[3];
	uint16_t limit;
	uint64_t base;
};

/* FP_CONTROL_STATUS / XMM_CONTROL_STATUS registers. */
struct hv_x64_fp_control_status_register {
	uint16_t fp_control;
	uint16_t fp_status;
	uint8_t fp_tag; /* abridged */
	uint8_t reserved;
	uint16_t last_fp_op;
	uint64_t last_fp_rip;
};

struct hv_x64_xmm_control_status_register {
	uint64_t last_fp_rdp;
	uint32_t xmm_status_control; /* MXCSR */
	uint32_t xmm_status_control_mask;
};

/*
 * HV_X64_REGISTER_PENDING_EVENT0 as an exception event (from the Hyper-V
 * TLFS HV_X64_PENDING_EXCEPTION_EVENT; the reference names the register
 * but not its format): u32 word0 = bit 0 event_pending, bits 1-3
 * event_type (0 = exception), bit 8 deliver_error_code, bits 16-31
 * vector; u32 error_code; u64 exception_parameter (CR2 for #PF).
 */
#define HV_X64_PENDING_EVENT_PENDING (1u << 0)
#define HV_X64_PENDING_EVENT_TYPE_SHIFT 1
#define HV_X64_PENDING_EVENT_EXCEPTION 0u
#define HV_X64_PENDING_EVENT_DELIVER_ERROR_CODE (1u << 8)
#define HV_X64_PENDING_EVENT_VECTOR_SHIFT 16

struct hv_x64_pending_exception_event {
	uint32_t word0;
	uint32_t error_code;
	uint64_t exception_parameter;
};

union hv_register_value {
	struct hv_u128 reg128;
	uint64_t reg64;
	uint32_t reg32;
	uint16_t reg16;
	uint8_t reg8;
	struct hv_x64_segment_register segment;
	struct hv_x64_table_register table;
	struct hv_x64_fp_control_status_register fp_control_status;
	struct hv_x64_xmm_control_status_register xmm_control_status;
	struct hv_x64_pending_exception_event pending_exception;
};

/* One SET_VP_REGISTERS element (32 B). */
struct hv_register_assoc {
	uint32_t name; /* HV_X64_REGISTER_* / HV_ARM64_REGISTER_* */
	uint32_t reserved1;
	uint64_t reserved2;
	union hv_register_value value;
};

/* Registers per GET/SET call: SET elements are 32 bytes, so 4096 bytes
 * of input hold 127. */
#define MSHV_MAX_REGS_PER_CALL 127u

/* x86_64 register names (section 4.3). */
#define HV_REGISTER_EXPLICIT_SUSPEND 0x00000000u /* never write 0x0-0x4 */
#define HV_REGISTER_INTERCEPT_SUSPEND 0x00000001u
#define HV_REGISTER_INSTRUCTION_EMULATION_HINTS 0x00000002u
#define HV_REGISTER_DISPATCH_SUSPEND 0x00000003u
#define HV_REGISTER_INTERNAL_ACTIVITY_STATE 0x00000004u
#define HV_X64_REGISTER_PENDING_INTERRUPTION 0x00010002u
#define HV_X64_REGISTER_INTERRUPT_STATE 0x00010003u
#define HV_X64_REGISTER_PENDING_EVENT0 0x00010004u
#define HV_X64_REGISTER_PENDING_EVENT1 0x00010005u
#define HV_X64_REGISTER_DELIVERABILITY_NOTIFICATIONS 0x00010006u
#define HV_X64_REGISTER_RAX 0x00020000u /* + architectural GPR number */
#define HV_X64_REGISTER_RCX 0x00020001u
#define HV_X64_REGISTER_RDX 0x00020002u
#define HV_X64_REGISTER_RBX 0x00020003u
#define HV_X64_REGISTER_RSP 0x00020004u
#define HV_X64_REGISTER_RBP 0x00020005u
#define HV_X64_REGISTER_RSI 0x00020006u
#define HV_X64_REGISTER_RDI 0x00020007u
#define HV_X64_REGISTER_R8 0x00020008u
#define HV_X64_REGISTER_R15 0x0002000Fu
#define HV_X64_REGISTER_RIP 0x00020010u
#define HV_X64_REGISTER_RFLAGS 0x00020011u
#define HV_X64_REGISTER_XMM0 0x00030000u /* .. XMM15 0x0003000F */
#define HV_X64_REGISTER_FP_MMX0 0x00030010u /* .. FP_MMX7 0x00030017 */
#define HV_X64_REGISTER_FP_CONTROL_STATUS 0x00030018u
#define HV_X64_REGISTER_XMM_CONTROL_STATUS 0x00030019u
#define HV_X64_REGISTER_CR0 0x00040000u
#define HV_X64_REGISTER_CR2 0x00040001u
#define HV_X64_REGISTER_CR3 0x00040002u
#define HV_X64_REGISTER_CR4 0x00040003u
#define HV_X64_REGISTER_CR8 0x00040004u
#define HV_X64_REGISTER_XFEM 0x00040005u
#define HV_X64_REGISTER_INTERMEDIATE_CR0 0x00041000u
#define HV_X64_REGISTER_INTERMEDIATE_CR3 0x00041002u
#define HV_X64_REGISTER_INTERMEDIATE_CR4 0x00041003u
#define HV_X64_REGISTER_INTERMEDIATE_CR8 0x00041004u
#define HV_X64_REGISTER_DR0 0x00050000u
#define HV_X64_REGISTER_DR6 0x00050004u
#define HV_X64_REGISTER_DR7 0x00050005u
#define HV_X64_REGISTER_ES 0x00060000u
#define HV_X64_REGISTER_CS 0x00060001u
#define HV_X64_REGISTER_SS 0x00060002u
#define HV_X64_REGISTER_DS 0x00060003u
#define HV_X64_REGISTER_FS 0x00060004u
#define HV_X64_REGISTER_GS 0x00060005u
#define HV_X64_REGISTER_LDTR 0x00060006u
#define HV_X64_REGISTER_TR 0x00060007u
#define HV_X64_REGISTER_IDTR 0x00070000u
#define HV_X64_REGISTER_GDTR 0x00070001u
#define HV_X64_REGISTER_TSC 0x00080000u
#define HV_X64_REGISTER_EFER 0x00080001u
#define HV_X64_REGISTER_KERNEL_GS_BASE 0x00080002u
#define HV_X64_REGISTER_APIC_BASE 0x00080003u
#define HV_X64_REGISTER_PAT 0x00080004u
#define HV_X64_REGISTER_SYSENTER_CS 0x00080005u
#define HV_X64_REGISTER_SYSENTER_EIP 0x00080006u
#define HV_X64_REGISTER_SYSENTER_ESP 0x00080007u
#define HV_X64_REGISTER_STAR 0x00080008u
#define HV_X64_REGISTER_LSTAR 0x00080009u
#define HV_X64_REGISTER_CSTAR 0x0008000Au
#define HV_X64_REGISTER_SFMASK 0x0008000Bu
#define HV_X64_REGISTER_INITIAL_APIC_ID 0x0008000Cu
#define HV_X64_REGISTER_MTRR_CAP 0x0008000Du
#define HV_X64_REGISTER_MTRR_DEF_TYPE 0x0008000Eu
#define HV_X64_REGISTER_TSC_AUX 0x0008007Bu
#define HV_X64_REGISTER_TSC_ADJUST 0x00080096u
#define HV_X64_REGISTER_MISC_ENABLE 0x000800A0u
#define HV_X64_REGISTER_APIC_ID 0x00084802u
#define HV_X64_REGISTER_APIC_VERSION 0x00084803u
#define HV_REGISTER_VP_INDEX 0x00090003u

/* arm64 register names (section 4.7). */
#define HV_ARM64_REGISTER_X0 0x00020000u /* .. X28 0x0002001C */
#define HV_ARM64_REGISTER_FP 0x0002001Du /* X29 */
#define HV_ARM64_REGISTER_LR 0x0002001Eu /* X30 */
#define HV_ARM64_REGISTER_SP 0x0002001Fu
#define HV_ARM64_REGISTER_SP_EL0 0x00020020u
#define HV_ARM64_REGISTER_SP_EL1 0x00020021u
#define HV_ARM64_REGISTER_PC 0x00020022u
#define HV_ARM64_REGISTER_PSTATE 0x00020023u
#define HV_ARM64_REGISTER_Q0 0x00030000u
#define HV_ARM64_REGISTER_MPIDR_EL1 0x00040001u
#define HV_ARM64_REGISTER_SCTLR_EL1 0x00040002u
#define HV_ARM64_REGISTER_TTBR0_EL1 0x00040005u
#define HV_ARM64_REGISTER_TTBR1_EL1 0x00040006u
#define HV_ARM64_REGISTER_TCR_EL1 0x00040007u
#define HV_ARM64_REGISTER_VBAR_EL1 0x0004000Cu
#define HV_ARM64_REGISTER_FPCR 0x00040012u
#define HV_ARM64_REGISTER_FPSR 0x00040013u
#define HV_ARM64_REGISTER_SPSR_EL1 0x00040014u
#define HV_ARM64_REGISTER_ELR_EL1 0x00040015u
#define HV_ARM64_REGISTER_CNTV_CTL_EL0 0x0005800Eu
#define HV_ARM64_REGISTER_CNTV_CVAL_EL0 0x0005800Fu
#define HV_ARM64_REGISTER_GICR_BASE_GPA 0x00063000u

/* TRANSLATE_VIRTUAL_ADDRESS (section 5.9). */
struct hv_input_translate_virtual_address {
	uint64_t partition_id;
	uint32_t vp_index;
	uint32_t padding;
	uint64_t control_flags; /* HV_TRANSLATE_GVA_* */
	uint64_t gva_page; /* gva >> 12 */
};

struct hv_output_translate_virtual_address {
	uint64_t result; /* low 32 bits: HV_TRANSLATE_GVA_RESULT_* */
	uint64_t gpa_page;
};

#define HV_TRANSLATE_GVA_VALIDATE_READ 0x0001ull
#define HV_TRANSLATE_GVA_VALIDATE_WRITE 0x0002ull
#define HV_TRANSLATE_GVA_VALIDATE_EXECUTE 0x0004ull
#define HV_TRANSLATE_GVA_PRIVILEGE_EXEMPT 0x0008ull
#define HV_TRANSLATE_GVA_SET_PAGE_TABLE_BITS 0x0010ull
#define HV_TRANSLATE_GVA_TLB_FLUSH_INHIBIT 0x0020ull
#define HV_TRANSLATE_GVA_SUPERVISOR_ACCESS 0x0040ull
#define HV_TRANSLATE_GVA_USER_ACCESS 0x0080ull

#define HV_TRANSLATE_GVA_SUCCESS 0u
#define HV_TRANSLATE_GVA_PAGE_NOT_PRESENT 1u
#define HV_TRANSLATE_GVA_PRIVILEGE_VIOLATION 2u
#define HV_TRANSLATE_GVA_INVALID_PAGE_TABLE_FLAGS 3u
#define HV_TRANSLATE_GVA_GPA_UNMAPPED 4u
#define HV_TRANSLATE_GVA_GPA_NO_READ_ACCESS 5u
#define HV_TRANSLATE_GVA_GPA_NO_WRITE_ACCESS 6u
#define HV_TRANSLATE_GVA_GPA_ILLEGAL_OVERLAY_ACCESS 7u
#define HV_TRANSLATE_GVA_INTERCEPT 8u

/* ASSERT_VIRTUAL_INTERRUPT input (32 B, section 6.5). */
struct hv_input_assert_virtual_interrupt {
	uint64_t partition_id;
	uint32_t interrupt_type; /* HV_X64_INTERRUPT_TYPE_* */
	uint32_t control_flags; /* HV_INTERRUPT_CONTROL_* */
	uint64_t dest_addr;
	uint32_t vector;
	uint8_t target_vtl; /* 0 */
	uint8_t rsvd_z0;
	uint16_t rsvd_z1;
};

#define HV_INTERRUPT_CONTROL_LEVEL (1u << 0)
#define HV_INTERRUPT_CONTROL_LOGICAL_DEST (1u << 1)
#define HV_INTERRUPT_CONTROL_ARM64_ASSERTED (1u << 2)

#define HV_X64_INTERRUPT_TYPE_FIXED 0u
#define HV_X64_INTERRUPT_TYPE_LOWESTPRIORITY 1u
#define HV_X64_INTERRUPT_TYPE_SMI 2u
#define HV_X64_INTERRUPT_TYPE_REMOTEREAD 3u
#define HV_X64_INTERRUPT_TYPE_NMI 4u
#define HV_X64_INTERRUPT_TYPE_INIT 5u
#define HV_X64_INTERRUPT_TYPE_SIPI 6u
#define HV_X64_INTERRUPT_TYPE_EXTINT 7u
#define HV_X64_INTERRUPT_TYPE_LOCALINT0 8u
#define HV_X64_INTERRUPT_TYPE_LOCALINT1 9u

/* INSTALL_INTERCEPT input (24 B, section 5.10). */
struct hv_input_install_intercept {
	uint64_t partition_id;
	uint32_t access_type_mask; /* 1 read, 2 write, 4 execute */
	uint32_t intercept_type; /* HV_INTERCEPT_TYPE_* */
	uint64_t parameter;
};

#define HV_INTERCEPT_TYPE_X64_IO_PORT 0u
#define HV_INTERCEPT_TYPE_X64_MSR 1u
#define HV_INTERCEPT_TYPE_X64_CPUID 2u
#define HV_INTERCEPT_TYPE_EXCEPTION 3u
#define HV_INTERCEPT_TYPE_MMIO 5u
#define HV_INTERCEPT_TYPE_X64_GLOBAL_CPUID 6u
#define HV_INTERCEPT_TYPE_X64_APIC_SMI 7u
#define HV_INTERCEPT_TYPE_HYPERCALL 8u
#define HV_INTERCEPT_TYPE_X64_APIC_INIT_SIPI 9u
#define HV_INTERCEPT_TYPE_X64_APIC_WRITE 0xBu
#define HV_INTERCEPT_TYPE_X64_MSR_INDEX 0xCu

/* REGISTER_INTERCEPT_RESULT input for CPUID (60 B, section 5.8). */
struct hv_input_register_intercept_result_cpuid {
	uint64_t partition_id;
	uint32_t vp_index;
	uint32_t intercept_type; /* HV_INTERCEPT_TYPE_X64_CPUID */
	uint32_t input_eax; /* leaf */
	uint32_t input_ecx; /* subleaf */
	uint8_t subleaf_specific;
	uint8_t always_override;
	uint16_t padding;
	/* Bits whose mask bit is 1 take the value's bit. */
	uint32_t eax, eax_mask;
	uint32_t ebx, ebx_mask;
	uint32_t ecx, ecx_mask;
	uint32_t edx, edx_mask;
};

#define HV_REGISTER_INTERCEPT_RESULT_CPUID_SIZE 60u

/* Layout checks against the reference. */

MSHV_ABI_SIZE(struct mshv_root_hvcall, 32);
MSHV_ABI_OFF(struct mshv_root_hvcall, status, 8);
MSHV_ABI_OFF(struct mshv_root_hvcall, in_ptr, 16);
MSHV_ABI_SIZE(struct hv_input_get_partition_property, 16);
MSHV_ABI_SIZE(struct hv_input_set_partition_property, 24);
MSHV_ABI_SIZE(struct hv_input_vp_registers_hdr, 16);
MSHV_ABI_SIZE(union hv_register_value, 16);
MSHV_ABI_SIZE(struct hv_register_assoc, 32);
MSHV_ABI_OFF(struct hv_register_assoc, value, 16);
MSHV_ABI_SIZE(struct hv_x64_segment_register, 16);
MSHV_ABI_OFF(struct hv_x64_table_register, limit, 6);
MSHV_ABI_SIZE(struct hv_x64_table_register, 16);
MSHV_ABI_SIZE(struct hv_x64_fp_control_status_register, 16);
MSHV_ABI_SIZE(struct hv_x64_xmm_control_status_register, 16);
MSHV_ABI_SIZE(struct hv_x64_pending_exception_event, 16);
MSHV_ABI_SIZE(struct hv_input_translate_virtual_address, 32);
MSHV_ABI_SIZE(struct hv_output_translate_virtual_address, 16);
MSHV_ABI_SIZE(struct hv_input_assert_virtual_interrupt, 32);
MSHV_ABI_SIZE(struct hv_input_install_intercept, 24);
MSHV_ABI_OFF(struct hv_input_register_intercept_result_cpuid, eax, 28);
MSHV_ABI_OFF(struct hv_input_register_intercept_result_cpuid, edx_mask, 56);

#endif /* NIMBUS_HV_MSHV_ABI_HVCALL_H */
