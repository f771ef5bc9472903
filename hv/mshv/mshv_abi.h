/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mshv_abi.h - the Linux /dev/mshv userspace ABI (upstream, Linux >= 6.15)
 * and the Microsoft Hypervisor structures that travel through it.
 *
 * Written from /work/shared/reference/mshv-abi.md (section numbers in the
 * comments point there).  The kernel exports only the ioctl structs; the
 * hypervisor structs (hv_message, intercept payloads, register values,
 * hypercall inputs) are carried here, as every VMM must.  Everything is
 * little-endian with the exact offsets given in the reference; the layouts
 * are naturally aligned so no packing is needed, and _Static_asserts at
 * the end of each part pin every size and the offsets the plugin reads.
 * Two parts live in their own files, included from here:
 * mshv_abi_hvcall.h (passthrough hypercalls, register values) and
 * mshv_abi_msg.h (hv_message and the intercept payloads).
 *
 * Users: the MSHV plugin (hv/mshv/), its scripted fake
 * (tests/fakes/mshv_script.c) and the MSHV-on-KVM simulator.  Only C11 and
 * <stdint.h>/<stddef.h>: no kernel headers, so it builds anywhere and the
 * same file serves x86_64 and aarch64 (the ioctl encoding is the generic
 * one on both).  Additions are fine; existing names and values are stable.
 */
#ifndef NIMBUS_HV_MSHV_ABI_H
#define NIMBUS_HV_MSHV_ABI_H

#include <stddef.h>
#include <stdint.h>

/* Layout checks: every size and the offsets the plugin reads. */
#define MSHV_ABI_SIZE(t, n) _Static_assert(sizeof(t) == (n), #t " size")
#define MSHV_ABI_OFF(t, f, n) \
	_Static_assert(offsetof(t, f) == (n), #t "." #f " offset")

/* ---------------------------------------------------------------------- */
/* ioctl numbers (section 1)                                               */

#define MSHV_IOCTL_MAGIC 0xB8u

/* The generic Linux encoding: dir(2) | size(14) | type(8) | nr(8). */
#define MSHV_IOC_NONE 0u
#define MSHV_IOC_WRITE 1u
#define MSHV_IOC_READ 2u
#define MSHV_IOC(dir, nr, size)                                     \
	((unsigned long)(((dir) << 30) | ((uint32_t)(size) << 16) | \
			 (MSHV_IOCTL_MAGIC << 8) | (nr)))

/* On the /dev/mshv fd. */
#define MSHV_CREATE_PARTITION 0x4010B800ul /* W, mshv_create_partition */
/* On a partition fd. */
#define MSHV_INITIALIZE_PARTITION 0x0000B800ul /* no argument */
#define MSHV_CREATE_VP 0x4004B801ul /* W, mshv_create_vp; returns VP fd */
#define MSHV_SET_GUEST_MEMORY 0x4020B802ul /* W, mshv_user_mem_region */
#define MSHV_IRQFD 0x4010B803ul /* W, mshv_user_irqfd */
#define MSHV_IOEVENTFD 0x4020B804ul /* W, mshv_user_ioeventfd */
#define MSHV_SET_MSI_ROUTING 0x4008B805ul /* W, mshv_user_irq_table hdr */
#define MSHV_GET_GPAP_ACCESS_BITMAP 0xC020B806ul /* RW */
/* On a partition fd or a VP fd. */
#define MSHV_ROOT_HVCALL 0xC020B807ul /* RW, mshv_root_hvcall */
/* On a VP fd. */
#define MSHV_RUN_VP 0x8100B800ul /* R, 256-byte struct hv_message */
#define MSHV_GET_VP_STATE 0xC010B801ul /* RW, mshv_get_set_vp_state */
#define MSHV_SET_VP_STATE 0xC010B802ul /* RW, mshv_get_set_vp_state */

/* The pre-July-2024 out-of-tree ABI (section 7): detected, never used.
 * MSHV_CHECK_EXTENSION on /dev/mshv succeeds only there (upstream has no
 * such ioctl and answers ENOTTY). */
#define MSHV_OLD_CHECK_EXTENSION 0x4004B800ul /* W, u32 capability */
#define MSHV_OLD_CAP_CORE_API_STABLE 0u
#define MSHV_OLD_CREATE_PARTITION 0x4030B801ul

#define MSHV_MAX_VPS 256u /* vp_index < 256 */
#define MSHV_MAX_GSI 4096u /* routing: nr <= 4096, gsi < 4096 */
#define MSHV_PAGE_SIZE 4096ull
#define MSHV_PAGE_SHIFT 12

/* ---------------------------------------------------------------------- */
/* Partition creation (section 2.3)                                        */

/* pt_flags bit numbers. */
#define MSHV_PT_BIT_LAPIC 0
#define MSHV_PT_BIT_X2APIC 1
#define MSHV_PT_BIT_GPA_SUPER_PAGES 2
#define MSHV_PT_BIT_CPU_AND_XSAVE_FEATURES 3 /* argument is the v2 struct */
#define MSHV_PT_BIT_NESTED_VIRTUALIZATION 4
#define MSHV_PT_BIT_SMT_ENABLED_GUEST 5
#define MSHV_PT_BIT_COUNT 6

#define MSHV_PT_ISOLATION_NONE 0u

struct mshv_create_partition {
	uint64_t pt_flags; /* 1 << MSHV_PT_BIT_* */
	uint64_t pt_isolation; /* MSHV_PT_ISOLATION_* */
};

#define MSHV_NUM_CPU_FEATURES_BANKS 2

/* v2: same ioctl number, selected by MSHV_PT_BIT_CPU_AND_XSAVE_FEATURES. */
struct mshv_create_partition_v2 {
	uint64_t pt_flags;
	uint64_t pt_isolation;
	uint16_t pt_num_cpu_fbanks; /* <= MSHV_NUM_CPU_FEATURES_BANKS */
	uint8_t pt_rsvd[6]; /* 0 */
	uint64_t pt_cpu_fbanks[MSHV_NUM_CPU_FEATURES_BANKS]; /* 1 = disable */
	uint64_t pt_rsvd1[2]; /* 0 */
	uint64_t pt_disabled_xsave; /* x86: 1 = disable; arm64: 0 */
};

/* ---------------------------------------------------------------------- */
/* Memory (section 3)                                                      */

#define MSHV_SET_MEM_BIT_WRITABLE 0
#define MSHV_SET_MEM_BIT_EXECUTABLE 1
#define MSHV_SET_MEM_BIT_UNMAP 2
#define MSHV_SET_MEM_FLAG_WRITABLE (1u << MSHV_SET_MEM_BIT_WRITABLE)
#define MSHV_SET_MEM_FLAG_EXECUTABLE (1u << MSHV_SET_MEM_BIT_EXECUTABLE)
#define MSHV_SET_MEM_FLAG_UNMAP (1u << MSHV_SET_MEM_BIT_UNMAP)
#define MSHV_SET_MEM_FLAGS_MASK 0x7u

struct mshv_user_mem_region {
	uint64_t size; /* bytes, page multiple, nonzero */
	uint64_t guest_pfn; /* gpa >> 12 */
	uint64_t userspace_addr; /* page aligned */
	uint8_t flags; /* MSHV_SET_MEM_FLAG_*; readable is implied */
	uint8_t rsvd[7]; /* 0 */
};

/* Dirty / accessed bitmap (section 3.2). */
#define MSHV_GPAP_ACCESS_TYPE_ACCESSED 0u
#define MSHV_GPAP_ACCESS_TYPE_DIRTY 1u
#define MSHV_GPAP_ACCESS_OP_NOOP 0u
#define MSHV_GPAP_ACCESS_OP_CLEAR 1u
#define MSHV_GPAP_ACCESS_OP_SET 2u
#define MSHV_GPAP_MAX_PAGES 0x10000ull /* per call, as rust-vmm batches */

struct mshv_gpap_access_bitmap {
	uint8_t access_type; /* MSHV_GPAP_ACCESS_TYPE_* */
	uint8_t access_op; /* MSHV_GPAP_ACCESS_OP_*, applied after reading */
	uint8_t rsvd[6]; /* 0 */
	uint64_t page_count;
	uint64_t gpap_base; /* first guest page number */
	uint64_t bitmap_ptr; /* (page_count + 7) / 8 bytes, LE bit order */
};

/* ---------------------------------------------------------------------- */
/* VPs (section 4)                                                         */

struct mshv_create_vp {
	uint32_t vp_index; /* < MSHV_MAX_VPS */
};

/* VP state blobs (section 4.5). */
#define MSHV_VP_STATE_LAPIC 0u
#define MSHV_VP_STATE_XSAVE 1u
#define MSHV_VP_STATE_SIMP 2u
#define MSHV_VP_STATE_SIEFP 3u
#define MSHV_VP_STATE_SYNTHETIC_TIMERS 4u

struct mshv_get_set_vp_state {
	uint8_t type; /* MSHV_VP_STATE_* */
	uint8_t rsvd[3]; /* 0 */
	uint32_t buf_sz; /* page multiple, nonzero; out: real size */
	uint64_t buf_ptr; /* page aligned */
};

/* hv_local_interrupt_controller_state: the LAPIC blob (176 bytes used in
 * a 4096-byte buffer). */
struct hv_local_interrupt_controller_state {
	uint32_t apic_id;
	uint32_t apic_version;
	uint32_t apic_ldr;
	uint32_t apic_dfr;
	uint32_t apic_spurious;
	uint32_t apic_isr[8];
	uint32_t apic_tmr[8];
	uint32_t apic_irr[8];
	uint32_t apic_esr;
	uint32_t apic_icr_high;
	uint32_t apic_icr_low;
	uint32_t apic_lvt_timer;
	uint32_t apic_lvt_thermal;
	uint32_t apic_lvt_perfmon;
	uint32_t apic_lvt_lint0;
	uint32_t apic_lvt_lint1;
	uint32_t apic_lvt_error;
	uint32_t apic_lvt_cmci;
	uint32_t apic_error_status;
	uint32_t apic_initial_count;
	uint32_t apic_counter_value;
	uint32_t apic_divide_configuration;
	uint32_t apic_remote_read;
};

/* LVT delivery mode field (bits 10:8). */
#define MSHV_APIC_LVT_DM_MASK 0x700u
#define MSHV_APIC_LVT_DM_NMI 0x400u
#define MSHV_APIC_LVT_DM_EXTINT 0x700u

/* ---------------------------------------------------------------------- */
/* Interrupts (section 6)                                                  */

#define MSHV_IRQFD_BIT_DEASSIGN 0
#define MSHV_IRQFD_BIT_RESAMPLE 1
#define MSHV_IRQFD_FLAG_DEASSIGN (1u << MSHV_IRQFD_BIT_DEASSIGN)
#define MSHV_IRQFD_FLAG_RESAMPLE (1u << MSHV_IRQFD_BIT_RESAMPLE)

struct mshv_user_irqfd {
	int32_t fd;
	int32_t resamplefd;
	uint32_t gsi;
	uint32_t flags; /* MSHV_IRQFD_FLAG_* */
};

#define MSHV_IOEVENTFD_BIT_DATAMATCH 0
#define MSHV_IOEVENTFD_BIT_PIO 1 /* not supported: EOPNOTSUPP */
#define MSHV_IOEVENTFD_BIT_DEASSIGN 2
#define MSHV_IOEVENTFD_FLAG_DATAMATCH (1u << MSHV_IOEVENTFD_BIT_DATAMATCH)
#define MSHV_IOEVENTFD_FLAG_PIO (1u << MSHV_IOEVENTFD_BIT_PIO)
#define MSHV_IOEVENTFD_FLAG_DEASSIGN (1u << MSHV_IOEVENTFD_BIT_DEASSIGN)

struct mshv_user_ioeventfd {
	uint64_t datamatch;
	uint64_t addr; /* MMIO GPA */
	uint32_t len; /* 0 (any), 1, 2, 4, 8 */
	int32_t fd;
	uint32_t flags; /* MSHV_IOEVENTFD_FLAG_* */
	uint8_t rsvd[4]; /* 0 */
};

struct mshv_user_irq_entry {
	uint32_t gsi;
	uint32_t address_lo;
	uint32_t address_hi; /* must be 0 */
	uint32_t data;
};

/* Header of the MSHV_SET_MSI_ROUTING argument; nr entries follow (the
 * ioctl size encodes only these 8 bytes). */
struct mshv_user_irq_table {
	uint32_t nr; /* <= MSHV_MAX_GSI; replaces the whole table */
	uint32_t rsvd; /* 0 */
	struct mshv_user_irq_entry entries[];
};

#include "hv/mshv/mshv_abi_hvcall.h"
#include "hv/mshv/mshv_abi_msg.h"

/* ---------------------------------------------------------------------- */
/* Layout checks against the reference                                     */

MSHV_ABI_SIZE(struct mshv_create_partition, 16);
MSHV_ABI_SIZE(struct mshv_create_partition_v2, 64);
MSHV_ABI_OFF(struct mshv_create_partition_v2, pt_disabled_xsave, 56);
MSHV_ABI_SIZE(struct mshv_user_mem_region, 32);
MSHV_ABI_OFF(struct mshv_user_mem_region, flags, 24);
MSHV_ABI_SIZE(struct mshv_gpap_access_bitmap, 32);
MSHV_ABI_SIZE(struct mshv_create_vp, 4);
MSHV_ABI_SIZE(struct mshv_get_set_vp_state, 16);
MSHV_ABI_SIZE(struct hv_local_interrupt_controller_state, 176);
MSHV_ABI_OFF(struct hv_local_interrupt_controller_state, apic_lvt_lint0, 140);
MSHV_ABI_OFF(struct hv_local_interrupt_controller_state, apic_lvt_lint1, 144);
MSHV_ABI_SIZE(struct mshv_user_irqfd, 16);
MSHV_ABI_SIZE(struct mshv_user_ioeventfd, 32);
MSHV_ABI_OFF(struct mshv_user_ioeventfd, flags, 24);
MSHV_ABI_SIZE(struct mshv_user_irq_entry, 16);
MSHV_ABI_SIZE(struct mshv_user_irq_table, 8);

_Static_assert(MSHV_IOC(MSHV_IOC_WRITE, 0x00,
			sizeof(struct mshv_create_partition)) ==
		       MSHV_CREATE_PARTITION,
	       "CREATE_PARTITION");
_Static_assert(MSHV_IOC(MSHV_IOC_NONE, 0x00, 0) == MSHV_INITIALIZE_PARTITION,
	       "INITIALIZE_PARTITION");
_Static_assert(MSHV_IOC(MSHV_IOC_WRITE, 0x01, sizeof(struct mshv_create_vp)) ==
		       MSHV_CREATE_VP,
	       "CREATE_VP");
_Static_assert(MSHV_IOC(MSHV_IOC_WRITE, 0x02,
			sizeof(struct mshv_user_mem_region)) ==
		       MSHV_SET_GUEST_MEMORY,
	       "SET_GUEST_MEMORY");
_Static_assert(MSHV_IOC(MSHV_IOC_WRITE, 0x03, sizeof(struct mshv_user_irqfd)) ==
		       MSHV_IRQFD,
	       "IRQFD");
_Static_assert(MSHV_IOC(MSHV_IOC_WRITE, 0x04,
			sizeof(struct mshv_user_ioeventfd)) == MSHV_IOEVENTFD,
	       "IOEVENTFD");
_Static_assert(MSHV_IOC(MSHV_IOC_WRITE, 0x05,
			sizeof(struct mshv_user_irq_table)) ==
		       MSHV_SET_MSI_ROUTING,
	       "SET_MSI_ROUTING");
_Static_assert(MSHV_IOC(MSHV_IOC_READ | MSHV_IOC_WRITE, 0x06,
			sizeof(struct mshv_gpap_access_bitmap)) ==
		       MSHV_GET_GPAP_ACCESS_BITMAP,
	       "GET_GPAP_ACCESS_BITMAP");
_Static_assert(MSHV_IOC(MSHV_IOC_READ | MSHV_IOC_WRITE, 0x07,
			sizeof(struct mshv_root_hvcall)) == MSHV_ROOT_HVCALL,
	       "ROOT_HVCALL");
_Static_assert(MSHV_IOC(MSHV_IOC_READ, 0x00, sizeof(struct hv_message)) ==
		       MSHV_RUN_VP,
	       "RUN_VP");
_Static_assert(MSHV_IOC(MSHV_IOC_READ | MSHV_IOC_WRITE, 0x01,
			sizeof(struct mshv_get_set_vp_state)) ==
		       MSHV_GET_VP_STATE,
	       "GET_VP_STATE");
_Static_assert(MSHV_IOC(MSHV_IOC_WRITE, 0x00, sizeof(uint32_t)) ==
		       MSHV_OLD_CHECK_EXTENSION,
	       "old CHECK_EXTENSION");

#endif /* NIMBUS_HV_MSHV_ABI_H */
