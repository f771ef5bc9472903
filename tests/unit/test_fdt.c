// SPDX-License-Identifier: Apache-2.0
/*
 * test_fdt.c - the AArch64 device tree: built, read back with libfdt node
 * by node, and decompiled by dtc without warnings.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libfdt.h>

#include "arch/aarch64/boot.h"
#include "arch/aarch64/layout.h"
#include "vmm/log.h"

#define BUFSZ (64 * 1024)

static const uint64_t mpidrs[4] = { 0, 1, 2, 0x100 };

static void cfg_default(struct a64_fdt_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->ram_base = A64_RAM_BASE;
	c->ram_size = 256ull << 20;
	c->nr_cpus = 4;
	c->mpidr = mpidrs;
	c->bootargs = "console=ttyAMA0 quiet";
	c->initrd_addr = 0x4f000000;
	c->initrd_size = 0x123456;
	c->has_uart = 1;
	c->has_pci = 1;
}

static void *build(const struct a64_fdt_cfg *c)
{
	void *fdt = malloc(BUFSZ);

	assert_non_null(fdt);
	assert_int_equal(a64_fdt_build(c, fdt, BUFSZ), 0);
	assert_int_equal(fdt_check_header(fdt), 0);
	return fdt;
}

static int node(const void *fdt, const char *path)
{
	int off = fdt_path_offset(fdt, path);

	if (off < 0)
		fail_msg("node %s missing: %s", path, fdt_strerror(off));
	return off;
}

static const void *prop(const void *fdt, int off, const char *name, int *len)
{
	const void *p = fdt_getprop(fdt, off, name, len);

	if (!p)
		fail_msg("property %s missing", name);
	return p;
}

static uint32_t cell(const void *p, int i)
{
	return fdt32_to_cpu(((const fdt32_t *)p)[i]);
}

static uint64_t cell64(const void *p, int i)
{
	return ((uint64_t)cell(p, i) << 32) | cell(p, i + 1);
}

static void assert_str(const void *fdt, int off, const char *name,
		       const char *want)
{
	int len;
	const char *s = prop(fdt, off, name, &len);

	assert_string_equal(s, want);
}

/* "compatible" holds `want` among its strings. */
static void assert_compat(const void *fdt, int off, const char *want)
{
	assert_int_equal(fdt_node_check_compatible(fdt, off, want), 0);
}

/* A 2-cell address / 2-cell size reg. */
static void assert_reg(const void *fdt, int off, uint64_t addr, uint64_t size)
{
	int len;
	const void *p = prop(fdt, off, "reg", &len);

	assert_int_equal(len, 16);
	assert_true(cell64(p, 0) == addr);
	assert_true(cell64(p, 2) == size);
}

static void assert_irq(const void *fdt, int off, uint32_t type, uint32_t nr)
{
	int len;
	const void *p = prop(fdt, off, "interrupts", &len);

	assert_int_equal(len, 12);
	assert_int_equal(cell(p, 0), type);
	assert_int_equal(cell(p, 1), nr);
	assert_int_equal(cell(p, 2), 4); /* level high */
}

static void test_root_memory_chosen(void **state)
{
	struct a64_fdt_cfg c;
	void *fdt;
	const void *p;
	int off, len;

	cfg_default(&c);
	fdt = build(&c);
	off = node(fdt, "/");
	assert_int_equal(cell(prop(fdt, off, "#address-cells", &len), 0), 2);
	assert_int_equal(cell(prop(fdt, off, "#size-cells", &len), 0), 2);
	assert_int_equal(cell(prop(fdt, off, "interrupt-parent", &len), 0),
			 fdt_get_phandle(fdt, node(fdt, "/intc@8000000")));

	off = node(fdt, "/memory@40000000");
	assert_str(fdt, off, "device_type", "memory");
	assert_reg(fdt, off, A64_RAM_BASE, 256ull << 20);

	off = node(fdt, "/chosen");
	assert_str(fdt, off, "bootargs", "console=ttyAMA0 quiet");
	assert_str(fdt, off, "stdout-path", "/pl011@9000000");
	p = prop(fdt, off, "linux,initrd-start", &len);
	assert_int_equal(len, 8);
	assert_true(cell64(p, 0) == 0x4f000000);
	p = prop(fdt, off, "linux,initrd-end", &len);
	assert_true(cell64(p, 0) == 0x4f000000 + 0x123456);
	free(fdt);
}

static void test_cpus_psci_timer(void **state)
{
	struct a64_fdt_cfg c;
	char path[64];
	void *fdt;
	const void *p;
	int off, len, i, n = 0;

	cfg_default(&c);
	fdt = build(&c);
	off = node(fdt, "/cpus");
	assert_int_equal(cell(prop(fdt, off, "#address-cells", &len), 0), 2);
	assert_int_equal(cell(prop(fdt, off, "#size-cells", &len), 0), 0);
	fdt_for_each_subnode(i, fdt, off) n++;
	assert_int_equal(n, 4);
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "/cpus/cpu@%llx",
			 (unsigned long long)mpidrs[i]);
		off = node(fdt, path);
		assert_str(fdt, off, "device_type", "cpu");
		assert_compat(fdt, off, "arm,arm-v8");
		assert_str(fdt, off, "enable-method", "psci");
		p = prop(fdt, off, "reg", &len);
		assert_int_equal(len, 8);
		assert_true(cell64(p, 0) == mpidrs[i]);
	}
	off = node(fdt, "/psci");
	assert_compat(fdt, off, "arm,psci-0.2");
	assert_compat(fdt, off, "arm,psci-1.0");
	assert_str(fdt, off, "method", "hvc");

	off = node(fdt, "/timer");
	assert_compat(fdt, off, "arm,armv8-timer");
	p = prop(fdt, off, "interrupts", &len);
	assert_int_equal(len, 48);
	assert_int_equal(cell(p, 0), 1); /* PPI */
	assert_int_equal(cell(p, 1), 13);
	assert_int_equal(cell(p, 4), 14);
	assert_int_equal(cell(p, 7), 11); /* virtual timer: INTID 27 */
	assert_int_equal(cell(p, 10), 10);
	free(fdt);
}

static void test_gic_its(void **state)
{
	struct a64_fdt_cfg c;
	void *fdt;
	const void *p;
	int off, len;

	cfg_default(&c);
	fdt = build(&c);
	off = node(fdt, "/intc@8000000");
	assert_compat(fdt, off, "arm,gic-v3");
	assert_non_null(prop(fdt, off, "interrupt-controller", &len));
	assert_int_equal(cell(prop(fdt, off, "#interrupt-cells", &len), 0), 3);
	p = prop(fdt, off, "reg", &len);
	assert_int_equal(len, 32);
	assert_true(cell64(p, 0) == A64_GIC_DIST_BASE);
	assert_true(cell64(p, 2) == A64_GIC_DIST_SIZE);
	assert_true(cell64(p, 4) == A64_GIC_REDIST_BASE);
	/* One redistributor (two 64 KiB frames) per CPU. */
	assert_true(cell64(p, 6) == 4 * A64_GIC_REDIST_STRIDE);

	off = node(fdt, "/intc@8000000/msi-controller@8080000");
	assert_compat(fdt, off, "arm,gic-v3-its");
	assert_non_null(prop(fdt, off, "msi-controller", &len));
	assert_int_equal(cell(prop(fdt, off, "#msi-cells", &len), 0), 1);
	assert_reg(fdt, off, A64_GIC_ITS_BASE, A64_GIC_ITS_SIZE);
	assert_true(fdt_get_phandle(fdt, off) != 0);
	free(fdt);
}

static void test_amba_devices(void **state)
{
	struct a64_fdt_cfg c;
	void *fdt;
	const void *p;
	int off, len, clk, gpio;

	cfg_default(&c);
	fdt = build(&c);
	off = node(fdt, "/apb-pclk");
	assert_compat(fdt, off, "fixed-clock");
	assert_int_equal(cell(prop(fdt, off, "clock-frequency", &len), 0),
			 24000000);
	clk = (int)fdt_get_phandle(fdt, off);
	assert_true(clk > 0);

	off = node(fdt, "/pl011@9000000");
	assert_compat(fdt, off, "arm,pl011");
	assert_compat(fdt, off, "arm,primecell");
	assert_reg(fdt, off, A64_UART_BASE, 0x1000);
	assert_irq(fdt, off, 0, A64_UART_SPI);
	p = prop(fdt, off, "clocks", &len);
	assert_int_equal(len, 8);
	assert_int_equal(cell(p, 0), clk);
	p = prop(fdt, off, "clock-names", &len);
	assert_int_equal(len, (int)sizeof("uartclk\0apb_pclk"));
	assert_memory_equal(p, "uartclk\0apb_pclk", len);

	off = node(fdt, "/pl031@9010000");
	assert_compat(fdt, off, "arm,pl031");
	assert_reg(fdt, off, A64_RTC_BASE, 0x1000);
	assert_irq(fdt, off, 0, A64_RTC_SPI);
	assert_str(fdt, off, "clock-names", "apb_pclk");

	off = node(fdt, "/pl061@9030000");
	assert_compat(fdt, off, "arm,pl061");
	assert_reg(fdt, off, A64_GPIO_BASE, 0x1000);
	assert_irq(fdt, off, 0, A64_GPIO_SPI);
	assert_non_null(prop(fdt, off, "gpio-controller", &len));
	assert_int_equal(cell(prop(fdt, off, "#gpio-cells", &len), 0), 2);
	gpio = (int)fdt_get_phandle(fdt, off);

	off = node(fdt, "/gpio-keys");
	assert_compat(fdt, off, "gpio-keys");
	off = node(fdt, "/gpio-keys/poweroff");
	assert_int_equal(cell(prop(fdt, off, "linux,code", &len), 0), 116);
	p = prop(fdt, off, "gpios", &len);
	assert_int_equal(len, 12);
	assert_int_equal(cell(p, 0), gpio);
	assert_int_equal(cell(p, 1), 3); /* line 3 */
	assert_int_equal(cell(p, 2), 0); /* active high */
	free(fdt);
}

static void test_pci(void **state)
{
	struct a64_fdt_cfg c;
	void *fdt;
	const void *p;
	int off, len, its;

	cfg_default(&c);
	fdt = build(&c);
	its = (int)fdt_get_phandle(
		fdt, node(fdt, "/intc@8000000/msi-controller@8080000"));
	off = node(fdt, "/pcie@3f000000");
	assert_compat(fdt, off, "pci-host-ecam-generic");
	assert_str(fdt, off, "device_type", "pci");
	assert_reg(fdt, off, A64_PCI_ECAM_BASE, 1ull << 20);
	p = prop(fdt, off, "bus-range", &len);
	assert_int_equal(len, 8);
	assert_int_equal(cell(p, 0), 0);
	assert_int_equal(cell(p, 1), 0);
	p = prop(fdt, off, "ranges", &len);
	assert_int_equal(len, 2 * 7 * 4);
	assert_int_equal(cell(p, 0), 0x02000000);
	assert_true(cell64(p, 1) == A64_PCI_MMIO32_BASE);
	assert_true(cell64(p, 3) == A64_PCI_MMIO32_BASE);
	assert_true(cell64(p, 5) == A64_PCI_MMIO32_SIZE);
	assert_int_equal(cell(p, 7), 0x03000000);
	assert_true(cell64(p, 8) == A64_PCI_MMIO64_BASE);
	assert_true(cell64(p, 10) == A64_PCI_MMIO64_BASE);
	assert_true(cell64(p, 12) == A64_PCI_MMIO64_SIZE);
	p = prop(fdt, off, "msi-map", &len);
	assert_int_equal(len, 16);
	assert_int_equal(cell(p, 0), 0);
	assert_int_equal(cell(p, 1), its);
	assert_int_equal(cell(p, 2), 0);
	assert_int_equal(cell(p, 3), 0x100);
	assert_non_null(prop(fdt, off, "dma-coherent", &len));
	free(fdt);
}

static void test_optional_parts(void **state)
{
	struct a64_fdt_cfg c;
	void *fdt;
	int off, len;

	cfg_default(&c);
	c.has_uart = 0;
	c.has_pci = 0;
	c.initrd_size = 0;
	c.bootargs = NULL;
	c.nr_cpus = 1;
	fdt = build(&c);
	assert_int_equal(fdt_path_offset(fdt, "/pl011@9000000"),
			 -FDT_ERR_NOTFOUND);
	assert_int_equal(fdt_path_offset(fdt, "/pcie@3f000000"),
			 -FDT_ERR_NOTFOUND);
	assert_int_equal(fdt_path_offset(fdt, "/cpus/cpu@1"),
			 -FDT_ERR_NOTFOUND);
	off = node(fdt, "/chosen");
	assert_null(fdt_getprop(fdt, off, "stdout-path", &len));
	assert_null(fdt_getprop(fdt, off, "linux,initrd-start", &len));
	assert_str(fdt, off, "bootargs", "");
	free(fdt);
}

static void test_errors(void **state)
{
	struct a64_fdt_cfg c;
	char small[256];
	void *fdt = malloc(BUFSZ);

	assert_non_null(fdt);
	cfg_default(&c);
	assert_int_equal(a64_fdt_build(&c, small, sizeof(small)), -ENOSPC);
	c.nr_cpus = 0;
	assert_int_equal(a64_fdt_build(&c, fdt, BUFSZ), -EINVAL);
	c.nr_cpus = A64_MAX_VCPUS + 1;
	assert_int_equal(a64_fdt_build(&c, fdt, BUFSZ), -EINVAL);
	c.nr_cpus = 1;
	c.mpidr = NULL;
	assert_int_equal(a64_fdt_build(&c, fdt, BUFSZ), -EINVAL);
	assert_int_equal(a64_fdt_build(NULL, fdt, BUFSZ), -EINVAL);
	free(fdt);
}

/* dtc decompiles the blob and its checks find nothing to warn about. */
static void test_dtc_clean(void **state)
{
	char dtb[] = "/tmp/nimbus-fdt-XXXXXX", cmd[256], line[512];
	struct a64_fdt_cfg c;
	int fd, warnings = 0;
	void *fdt;
	FILE *p;

	if (system("command -v dtc >/dev/null 2>&1")) {
		print_message("dtc not installed (device-tree-compiler)\n");
		skip();
	}
	cfg_default(&c);
	fdt = build(&c);
	fd = mkstemp(dtb);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, fdt, fdt_totalsize(fdt)),
			 (ssize_t)fdt_totalsize(fdt));
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "dtc -I dtb -O dts -o /dev/null %s 2>&1; echo rc=$?", dtb);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		if (!strncmp(line, "rc=", 3)) {
			assert_string_equal(line, "rc=0\n");
			continue;
		}
		print_message("dtc: %s", line);
		warnings++;
	}
	pclose(p);
	unlink(dtb);
	free(fdt);
	assert_int_equal(warnings, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_memory_chosen),
		cmocka_unit_test(test_cpus_psci_timer),
		cmocka_unit_test(test_gic_its),
		cmocka_unit_test(test_amba_devices),
		cmocka_unit_test(test_pci),
		cmocka_unit_test(test_optional_parts),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_dtc_clean),
	};

	log_set_level(LOG_ERR);
	return cmocka_run_group_tests_name("fdt", tests, NULL, NULL);
}
