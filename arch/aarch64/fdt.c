// SPDX-License-Identifier: Apache-2.0
/*
 * fdt.c - the flattened device tree of the AArch64 platform, built with
 * libfdt's sequential-write API.  Every libfdt call is checked: the first
 * failure ends the build with its error mapped to an errno.
 *
 * Bindings followed (Linux Documentation/devicetree/bindings): arm/cpus,
 * arm/psci, timer/arm,arch_timer, interrupt-controller/arm,gic-v3 (with
 * the ITS as a child), serial/arm,pl011, rtc/arm,pl031, gpio/pl061-gpio,
 * input/gpio-keys, pci/host-generic-pci and pci-msi (msi-map).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <libfdt.h>

#define LOG_MOD "a64-fdt"
#include "arch/aarch64/boot.h"
#include "hv/hv_aarch64.h"
#include "vmm/log.h"

enum {
	PH_GIC = 1,
	PH_ITS,
	PH_CLK,
	PH_GPIO,
};

/* GIC interrupt specifier: type, number, flags. */
#define GIC_SPI 0u
#define GIC_PPI 1u
#define IRQ_LEVEL_HIGH 4u
#define IRQ_EDGE_RISING 1u

/* PCI address space codes (phys.hi) of the ranges property. */
#define PCI_SPACE_MEM32 0x02000000u
#define PCI_SPACE_MEM64 0x03000000u

/* Evaluate a libfdt call; on failure leave through `fail` with ret set. */
#define FDT_DO(call)               \
	do {                       \
		ret = (call);      \
		if (ret < 0)       \
			goto fail; \
	} while (0)

struct fdt_w {
	void *fdt;
	char name[64];
};

static int prop_u32(void *fdt, const char *name, uint32_t v)
{
	return fdt_property_u32(fdt, name, v);
}

static int prop_u64(void *fdt, const char *name, uint64_t v)
{
	return fdt_property_u64(fdt, name, v);
}

/* A property of n big-endian cells. */
static int prop_cells(void *fdt, const char *name, const uint32_t *v,
		      unsigned int n)
{
	fdt32_t be[16];
	unsigned int i;

	if (n > 16)
		return -FDT_ERR_BADVALUE;
	for (i = 0; i < n; i++)
		be[i] = cpu_to_fdt32(v[i]);
	return fdt_property(fdt, name, be, (int)(n * sizeof(be[0])));
}

/* reg = <addr size> with two cells each. */
static int prop_reg(void *fdt, uint64_t addr, uint64_t size)
{
	const uint32_t c[4] = { (uint32_t)(addr >> 32), (uint32_t)addr,
				(uint32_t)(size >> 32), (uint32_t)size };

	return prop_cells(fdt, "reg", c, 4);
}

static int prop_irq(void *fdt, uint32_t type, uint32_t nr, uint32_t flags)
{
	const uint32_t c[3] = { type, nr, flags };

	return prop_cells(fdt, "interrupts", c, 3);
}

/* "a\0b\0": a string list property. */
static int prop_strs2(void *fdt, const char *name, const char *a, const char *b)
{
	char buf[96];
	size_t la = strlen(a) + 1, lb = strlen(b) + 1;

	if (la + lb > sizeof(buf))
		return -FDT_ERR_BADVALUE;
	memcpy(buf, a, la);
	memcpy(buf + la, b, lb);
	return fdt_property(fdt, name, buf, (int)(la + lb));
}

static int begin_at(struct fdt_w *w, const char *base, uint64_t addr)
{
	snprintf(w->name, sizeof(w->name), "%s@%llx", base,
		 (unsigned long long)addr);
	return fdt_begin_node(w->fdt, w->name);
}

static int add_cpus(struct fdt_w *w, const struct a64_fdt_cfg *c)
{
	void *fdt = w->fdt;
	uint32_t i;
	int ret;

	FDT_DO(fdt_begin_node(fdt, "cpus"));
	FDT_DO(prop_u32(fdt, "#address-cells", 2));
	FDT_DO(prop_u32(fdt, "#size-cells", 0));
	for (i = 0; i < c->nr_cpus; i++) {
		uint64_t mpidr = c->mpidr[i] & HV_A64_MPIDR_AFF_MASK;

		FDT_DO(begin_at(w, "cpu", mpidr));
		FDT_DO(fdt_property_string(fdt, "device_type", "cpu"));
		FDT_DO(fdt_property_string(fdt, "compatible", "arm,arm-v8"));
		FDT_DO(fdt_property_string(fdt, "enable-method", "psci"));
		FDT_DO(prop_cells(fdt, "reg",
				  (const uint32_t[]){ (uint32_t)(mpidr >> 32),
						      (uint32_t)mpidr },
				  2));
		FDT_DO(fdt_end_node(fdt));
	}
	FDT_DO(fdt_end_node(fdt));
	return 0;
fail:
	return ret;
}

static int add_psci_timer(struct fdt_w *w)
{
	void *fdt = w->fdt;
	const uint32_t timer[12] = {
		GIC_PPI, A64_PPI_TIMER_SEC,  IRQ_LEVEL_HIGH,
		GIC_PPI, A64_PPI_TIMER_PHYS, IRQ_LEVEL_HIGH,
		GIC_PPI, A64_PPI_TIMER_VIRT, IRQ_LEVEL_HIGH,
		GIC_PPI, A64_PPI_TIMER_HYP,  IRQ_LEVEL_HIGH,
	};
	int ret;

	FDT_DO(fdt_begin_node(fdt, "psci"));
	FDT_DO(prop_strs2(fdt, "compatible", "arm,psci-1.0", "arm,psci-0.2"));
	FDT_DO(fdt_property_string(fdt, "method", "hvc"));
	FDT_DO(fdt_end_node(fdt));

	FDT_DO(fdt_begin_node(fdt, "timer"));
	FDT_DO(fdt_property_string(fdt, "compatible", "arm,armv8-timer"));
	FDT_DO(prop_cells(fdt, "interrupts", timer, 12));
	FDT_DO(fdt_property(fdt, "always-on", NULL, 0));
	FDT_DO(fdt_end_node(fdt));
	return 0;
fail:
	return ret;
}

static int add_gic(struct fdt_w *w, const struct a64_fdt_cfg *c)
{
	void *fdt = w->fdt;
	const uint32_t reg[8] = {
		0, (uint32_t)A64_GIC_DIST_BASE,
		0, (uint32_t)A64_GIC_DIST_SIZE,
		0, (uint32_t)A64_GIC_REDIST_BASE,
		0, (uint32_t)(A64_GIC_REDIST_STRIDE * c->nr_cpus),
	};
	int ret;

	FDT_DO(begin_at(w, "intc", A64_GIC_DIST_BASE));
	FDT_DO(fdt_property_string(fdt, "compatible", "arm,gic-v3"));
	FDT_DO(prop_u32(fdt, "#interrupt-cells", 3));
	FDT_DO(fdt_property(fdt, "interrupt-controller", NULL, 0));
	FDT_DO(prop_u32(fdt, "#address-cells", 2));
	FDT_DO(prop_u32(fdt, "#size-cells", 2));
	FDT_DO(fdt_property(fdt, "ranges", NULL, 0));
	FDT_DO(prop_cells(fdt, "reg", reg, 8));
	FDT_DO(prop_u32(fdt, "phandle", PH_GIC));
	FDT_DO(begin_at(w, "msi-controller", A64_GIC_ITS_BASE));
	FDT_DO(fdt_property_string(fdt, "compatible", "arm,gic-v3-its"));
	FDT_DO(fdt_property(fdt, "msi-controller", NULL, 0));
	FDT_DO(prop_u32(fdt, "#msi-cells", 1));
	FDT_DO(prop_reg(fdt, A64_GIC_ITS_BASE, A64_GIC_ITS_SIZE));
	FDT_DO(prop_u32(fdt, "phandle", PH_ITS));
	FDT_DO(fdt_end_node(fdt));
	FDT_DO(fdt_end_node(fdt));
	return 0;
fail:
	return ret;
}

/* One AMBA PrimeCell device: compatible "arm,<part>", "arm,primecell". */
static int begin_amba(struct fdt_w *w, const char *part, uint64_t base,
		      uint32_t spi)
{
	void *fdt = w->fdt;
	char compat[32];
	int ret;

	snprintf(compat, sizeof(compat), "arm,%s", part);
	FDT_DO(begin_at(w, part, base));
	FDT_DO(prop_strs2(fdt, "compatible", compat, "arm,primecell"));
	FDT_DO(prop_reg(fdt, base, A64_AMBA_SIZE));
	FDT_DO(prop_irq(fdt, GIC_SPI, spi, IRQ_LEVEL_HIGH));
	return 0;
fail:
	return ret;
}

static int add_amba(struct fdt_w *w, const struct a64_fdt_cfg *c)
{
	void *fdt = w->fdt;
	int ret;

	FDT_DO(fdt_begin_node(fdt, "apb-pclk"));
	FDT_DO(fdt_property_string(fdt, "compatible", "fixed-clock"));
	FDT_DO(prop_u32(fdt, "#clock-cells", 0));
	FDT_DO(prop_u32(fdt, "clock-frequency", A64_APB_CLOCK_HZ));
	FDT_DO(fdt_property_string(fdt, "clock-output-names", "clk24mhz"));
	FDT_DO(prop_u32(fdt, "phandle", PH_CLK));
	FDT_DO(fdt_end_node(fdt));

	if (c->has_uart) {
		FDT_DO(begin_amba(w, "pl011", A64_UART_BASE, A64_UART_SPI));
		FDT_DO(prop_cells(fdt, "clocks",
				  (const uint32_t[]){ PH_CLK, PH_CLK }, 2));
		FDT_DO(prop_strs2(fdt, "clock-names", "uartclk", "apb_pclk"));
		FDT_DO(fdt_end_node(fdt));
	}

	FDT_DO(begin_amba(w, "pl031", A64_RTC_BASE, A64_RTC_SPI));
	FDT_DO(prop_u32(fdt, "clocks", PH_CLK));
	FDT_DO(fdt_property_string(fdt, "clock-names", "apb_pclk"));
	FDT_DO(fdt_end_node(fdt));

	FDT_DO(begin_amba(w, "pl061", A64_GPIO_BASE, A64_GPIO_SPI));
	FDT_DO(fdt_property(fdt, "gpio-controller", NULL, 0));
	FDT_DO(prop_u32(fdt, "#gpio-cells", 2));
	FDT_DO(prop_u32(fdt, "clocks", PH_CLK));
	FDT_DO(fdt_property_string(fdt, "clock-names", "apb_pclk"));
	FDT_DO(prop_u32(fdt, "phandle", PH_GPIO));
	FDT_DO(fdt_end_node(fdt));

	FDT_DO(fdt_begin_node(fdt, "gpio-keys"));
	FDT_DO(fdt_property_string(fdt, "compatible", "gpio-keys"));
	FDT_DO(fdt_begin_node(fdt, "poweroff"));
	FDT_DO(fdt_property_string(fdt, "label", "GPIO Key Poweroff"));
	FDT_DO(prop_u32(fdt, "linux,code", A64_KEY_POWER));
	FDT_DO(prop_cells(fdt, "gpios",
			  (const uint32_t[]){ PH_GPIO, A64_POWER_KEY_LINE, 0 },
			  3));
	FDT_DO(fdt_end_node(fdt));
	FDT_DO(fdt_end_node(fdt));
	return 0;
fail:
	return ret;
}

static int add_pci(struct fdt_w *w)
{
	void *fdt = w->fdt;
	const uint32_t ranges[14] = {
		PCI_SPACE_MEM32,
		(uint32_t)(A64_PCI_MMIO32_BASE >> 32),
		(uint32_t)A64_PCI_MMIO32_BASE,
		(uint32_t)(A64_PCI_MMIO32_BASE >> 32),
		(uint32_t)A64_PCI_MMIO32_BASE,
		(uint32_t)(A64_PCI_MMIO32_SIZE >> 32),
		(uint32_t)A64_PCI_MMIO32_SIZE,
		PCI_SPACE_MEM64,
		(uint32_t)(A64_PCI_MMIO64_BASE >> 32),
		(uint32_t)A64_PCI_MMIO64_BASE,
		(uint32_t)(A64_PCI_MMIO64_BASE >> 32),
		(uint32_t)A64_PCI_MMIO64_BASE,
		(uint32_t)(A64_PCI_MMIO64_SIZE >> 32),
		(uint32_t)A64_PCI_MMIO64_SIZE,
	};
	/* Requester id r (bus 0: the devfn) is ITS device id r. */
	const uint32_t msi_map[4] = { 0, PH_ITS, 0, 0x100 };
	int ret;

	FDT_DO(begin_at(w, "pcie", A64_PCI_ECAM_BASE));
	FDT_DO(fdt_property_string(fdt, "compatible", "pci-host-ecam-generic"));
	FDT_DO(fdt_property_string(fdt, "device_type", "pci"));
	FDT_DO(prop_reg(fdt, A64_PCI_ECAM_BASE, 1ull << 20));
	FDT_DO(prop_cells(fdt, "bus-range", (const uint32_t[]){ 0, 0 }, 2));
	FDT_DO(prop_u32(fdt, "#address-cells", 3));
	FDT_DO(prop_u32(fdt, "#size-cells", 2));
	FDT_DO(prop_u32(fdt, "linux,pci-domain", 0));
	FDT_DO(prop_cells(fdt, "ranges", ranges, 14));
	FDT_DO(prop_cells(fdt, "msi-map", msi_map, 4));
	FDT_DO(fdt_property(fdt, "dma-coherent", NULL, 0));
	FDT_DO(fdt_end_node(fdt));
	return 0;
fail:
	return ret;
}

static int add_chosen(struct fdt_w *w, const struct a64_fdt_cfg *c)
{
	void *fdt = w->fdt;
	char path[32];
	int ret;

	FDT_DO(fdt_begin_node(fdt, "chosen"));
	FDT_DO(fdt_property_string(fdt, "bootargs",
				   c->bootargs ? c->bootargs : ""));
	if (c->has_uart) {
		snprintf(path, sizeof(path), "/pl011@%llx",
			 (unsigned long long)A64_UART_BASE);
		FDT_DO(fdt_property_string(fdt, "stdout-path", path));
	}
	if (c->initrd_size) {
		FDT_DO(prop_u64(fdt, "linux,initrd-start", c->initrd_addr));
		FDT_DO(prop_u64(fdt, "linux,initrd-end",
				c->initrd_addr + c->initrd_size));
	}
	FDT_DO(fdt_end_node(fdt));
	return 0;
fail:
	return ret;
}

static int build(struct fdt_w *w, const struct a64_fdt_cfg *c, size_t size)
{
	void *fdt = w->fdt;
	int ret;

	FDT_DO(fdt_create(fdt, (int)size));
	FDT_DO(fdt_finish_reservemap(fdt));
	FDT_DO(fdt_begin_node(fdt, ""));
	FDT_DO(fdt_property_string(fdt, "compatible", "nimbus,virt"));
	FDT_DO(fdt_property_string(fdt, "model", "Nimbus AArch64 VM"));
	FDT_DO(prop_u32(fdt, "interrupt-parent", PH_GIC));
	FDT_DO(prop_u32(fdt, "#address-cells", 2));
	FDT_DO(prop_u32(fdt, "#size-cells", 2));
	FDT_DO(add_chosen(w, c));
	FDT_DO(begin_at(w, "memory", c->ram_base));
	FDT_DO(fdt_property_string(fdt, "device_type", "memory"));
	FDT_DO(prop_reg(fdt, c->ram_base, c->ram_size));
	FDT_DO(fdt_end_node(fdt));
	FDT_DO(add_cpus(w, c));
	FDT_DO(add_psci_timer(w));
	FDT_DO(add_gic(w, c));
	FDT_DO(add_amba(w, c));
	if (c->has_pci)
		FDT_DO(add_pci(w));
	FDT_DO(fdt_end_node(fdt));
	FDT_DO(fdt_finish(fdt));
	FDT_DO(fdt_pack(fdt));
	return 0;
fail:
	return ret;
}

int a64_fdt_build(const struct a64_fdt_cfg *cfg, void *buf, size_t size)
{
	struct fdt_w w = { .fdt = buf };
	int ret;

	if (!cfg || !buf || size > INT32_MAX || !cfg->nr_cpus ||
	    cfg->nr_cpus > A64_MAX_VCPUS || !cfg->mpidr || !cfg->ram_size)
		return -EINVAL;
	ret = build(&w, cfg, size);
	if (ret >= 0)
		return 0;
	log_debug("libfdt: %s", fdt_strerror(ret));
	return ret == -FDT_ERR_NOSPACE ? -ENOSPC : -EIO;
}
