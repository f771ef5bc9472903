/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hv_aarch64.h - AArch64 register sets, vCPU features and GIC conventions
 * of the Nimbus plugin ABI.
 *
 * Used with hv_ops.vcpu_get_regs/vcpu_set_regs (bulk set HV_A64_REGS_CORE),
 * vcpu_get_reg/vcpu_set_reg (single registers, HV_A64_*), the `features`
 * and `mpidr` fields of struct hv_vcpu_config and the HV_IRQCHIP_GICV3
 * model of struct hv_irqchip_config.  Layouts and values are part of the
 * ABI: follow the bump rule in hv.h.  Self-contained (C99 + stdint).
 *
 * Interrupt numbering with HV_IRQCHIP_GICV3: irq_line's `gsi` is an SPI
 * index (0-based, GIC INTID = HV_A64_SPI_BASE + gsi); routes and irqfds
 * use GSIs as usual, and MSI routes carry the ITS device id in
 * u.msi.devid (the PCI requester id under the FDT's msi-map).
 */
#ifndef NIMBUS_HV_AARCH64_H
#define NIMBUS_HV_AARCH64_H

#include <stdint.h>

enum hv_a64_regs_set {
	HV_A64_REGS_CORE = 0x11, /* struct hv_a64_regs */
};

/* General-purpose state of an AArch64 vCPU (what a boot needs). */
struct hv_a64_regs {
	uint64_t x[31]; /* x0..x30 */
	uint64_t sp; /* SP_EL0 */
	uint64_t pc;
	uint64_t pstate; /* SPSR format: M[3:0], DAIF ... */
	uint64_t sp_el1;
	uint64_t elr_el1;
	uint64_t spsr_el1;
};

/* Single-register ids for vcpu_get_reg/vcpu_set_reg. */
enum hv_a64_reg_id {
	HV_A64_X0 = 0x200, /* HV_A64_X0 + n is xn, n = 0..30 */
	HV_A64_X30 = HV_A64_X0 + 30,
	HV_A64_SP, /* SP_EL0 */
	HV_A64_PC,
	HV_A64_PSTATE,
	HV_A64_SP_EL1,
	HV_A64_ELR_EL1,
	HV_A64_SPSR_EL1,
	HV_A64_MPIDR_EL1, /* affinity as the guest reads it */
	/* Pseudo register: HV_A64_MP_RUNNABLE or HV_A64_MP_STOPPED (a
	 * stopped vCPU waits for PSCI CPU_ON from another vCPU). */
	HV_A64_MP_STATE,
};

#define HV_A64_MP_RUNNABLE 0u
#define HV_A64_MP_STOPPED 1u

/*
 * hv_vcpu_config.features.  0 asks for the backend's defaults: PSCI 0.2
 * or later, vCPU 0 runnable and every other vCPU stopped until PSCI
 * CPU_ON.  Any other value is taken literally (then set HV_A64_FEAT_PSCI
 * explicitly).  -EOPNOTSUPP from vcpu_create for a feature the backend
 * lacks.
 */
#define HV_A64_FEAT_POWER_OFF (1ull << 0) /* start stopped */
#define HV_A64_FEAT_PSCI (1ull << 1) /* PSCI 0.2+ through the hypervisor */
#define HV_A64_FEAT_PMU (1ull << 2) /* PMUv3 */

/* PSTATE values (SPSR layout). */
#define HV_A64_PSTATE_EL1H 0x5ull /* EL1 using SP_EL1 */
#define HV_A64_PSTATE_DAIF 0x3c0ull /* D, A, I, F masked */

/* MPIDR_EL1 affinity bits (Aff3 in [39:32], Aff2..Aff0 in [23:0]). */
#define HV_A64_MPIDR_AFF_MASK 0xff00ffffffull

/* First shared peripheral interrupt (SPI) INTID of a GIC. */
#define HV_A64_SPI_BASE 32u

#endif /* NIMBUS_HV_AARCH64_H */
