/* SPDX-License-Identifier: Apache-2.0 */
/*
 * layout.h - the AArch64 guest physical address map of a Nimbus VM.
 *
 * Shared by the platform wiring, the FDT builder and the Image loader so
 * that the device tree the guest reads agrees with where things are.  The
 * low 1 GiB holds the GIC, the AMBA devices and the PCI windows (the
 * layout of QEMU's "virt" board, which guests know well); RAM starts at
 * 1 GiB; the 64-bit PCI window and the VMM device window sit far above
 * RAM, below the 40-bit IPA limit every KVM host offers.
 */
#ifndef NIMBUS_ARCH_AARCH64_LAYOUT_H
#define NIMBUS_ARCH_AARCH64_LAYOUT_H

/* GICv3: distributor, ITS (two 64 KiB frames), redistributors (two
 * 64 KiB frames per vCPU, up to the UART). */
#define A64_GIC_DIST_BASE 0x08000000ull
#define A64_GIC_DIST_SIZE 0x10000ull
#define A64_GIC_ITS_BASE 0x08080000ull
#define A64_GIC_ITS_SIZE 0x20000ull
#define A64_GIC_REDIST_BASE 0x080a0000ull
#define A64_GIC_REDIST_STRIDE 0x20000ull
#define A64_GIC_REDIST_MAX 0x00f60000ull
#define A64_MAX_VCPUS (A64_GIC_REDIST_MAX / A64_GIC_REDIST_STRIDE) /* 123 */
/* Interrupt ids the vGIC implements (SGIs, PPIs and SPIs). */
#define A64_GIC_NR_IRQS 256u

/* AMBA devices (4 KiB each) and their SPIs (INTID = 32 + SPI). */
#define A64_UART_BASE 0x09000000ull
#define A64_UART_SPI 1u
#define A64_RTC_BASE 0x09010000ull
#define A64_RTC_SPI 2u
#define A64_GPIO_BASE 0x09030000ull
#define A64_GPIO_SPI 7u
#define A64_AMBA_SIZE 0x1000ull
#define A64_POWER_KEY_LINE 3u /* PL061 line wired to gpio-keys */
#define A64_KEY_POWER 116u /* linux,code of KEY_POWER */
#define A64_POWER_KEY_MS 100 /* how long a press holds the line */
#define A64_APB_CLOCK_HZ 24000000u

/* Architected timer PPIs (INTID = 16 + PPI). */
#define A64_PPI_TIMER_SEC 13u
#define A64_PPI_TIMER_PHYS 14u
#define A64_PPI_TIMER_VIRT 11u
#define A64_PPI_TIMER_HYP 10u

/* PCI segment 0, bus 0: 32-bit BAR window, ECAM, 64-bit BAR window. */
#define A64_PCI_MMIO32_BASE 0x10000000ull
#define A64_PCI_MMIO32_SIZE 0x2eff0000ull
#define A64_PCI_ECAM_BASE 0x3f000000ull /* 1 MiB: bus 0 only */
#define A64_PCI_MMIO64_BASE 0x8000000000ull /* 512 GiB */
#define A64_PCI_MMIO64_SIZE (64ull << 30)
/* VMM-placed device memory (arch_device_window), after the 64-bit
 * window; ends at 640 GiB. */
#define A64_DEVICE_WINDOW_BASE (A64_PCI_MMIO64_BASE + A64_PCI_MMIO64_SIZE)
#define A64_DEVICE_WINDOW_SIZE (64ull << 30)
#define A64_IPA_BITS_NEEDED 40u

/* RAM: one region from 1 GiB up to the 64-bit PCI window. */
#define A64_RAM_BASE 0x40000000ull
#define A64_RAM_MAX (A64_PCI_MMIO64_BASE - A64_RAM_BASE)
#define A64_RAM_MIN (32ull << 20)

/* Payload placement inside RAM: the kernel at the start (2 MiB aligned
 * plus its text_offset), the FDT in the last A64_FDT_MAX bytes, the
 * initramfs right below it. */
#define A64_KERNEL_ALIGN 0x200000ull
#define A64_FDT_MAX 0x200000ull /* booting.rst: at most 2 MiB */
#define A64_CMDLINE_MAX 2048u

#endif /* NIMBUS_ARCH_AARCH64_LAYOUT_H */
