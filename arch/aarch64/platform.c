// SPDX-License-Identifier: Apache-2.0
/*
 * platform.c - the AArch64 "virt"-like platform of a Nimbus VM.
 *
 * Interrupts: the hypervisor's in-kernel GICv3 with an ITS
 * (HV_IRQCHIP_GICV3); the AMBA devices drive SPIs through irq_line, PCI
 * MSI-X vectors reach the ITS through MSI routes carrying the device id
 * (the FDT's msi-map makes it the requester id).  Devices: PL011 UART,
 * PL031 RTC, PL061 GPIO with the power key on line 3, the PCI ECAM host
 * bridge (segment 0, bus 0).  The payload is an arm64 Image; the FDT is
 * written at finalize, once every vCPU exists and reported its MPIDR.
 * Secondary vCPUs start powered off and are brought up by the guest with
 * PSCI CPU_ON, which the hypervisor handles.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define LOG_MOD "a64"
#include "arch/aarch64/boot.h"
#include "arch/aarch64/layout.h"
#include "arch/arch.h"
#include "devices/pci/pci.h"
#include "devices/pl011.h"
#include "devices/pl031.h"
#include "devices/pl061.h"
#include "hv/hv_aarch64.h"
#include "hv/hv_call.h"
#include "vmm/log.h"

struct arch_vm {
	const struct arch_host *h;
	struct pl011 *uart;
	struct irq_line uart_irq;
	struct pl031 *rtc;
	struct irq_line rtc_irq;
	int rtc_tfd;
	struct pl061 *gpio;
	struct irq_line gpio_irq;
	int key_tfd; /* releases the power key */
	struct pci_bus *pci;
	struct a64_boot_info boot;
	uint64_t *mpidr; /* per vCPU, from arch_vcpu_init */
	struct log_rl rl;
};

int arch_ram_layout(uint64_t mem_size, struct arch_ram_region *r,
		    unsigned int max, unsigned int *nr)
{
	/* 2 MiB granules: the FDT takes the last 2 MiB, aligned. */
	if (mem_size < A64_RAM_MIN || mem_size > A64_RAM_MAX ||
	    (mem_size & (A64_FDT_MAX - 1)) || max < 1)
		return -EINVAL;
	r[0].gpa = A64_RAM_BASE;
	r[0].size = mem_size;
	*nr = 1;
	return 0;
}

/* irq_line callback: a device pin is SPI `pin`. */
static void spi_set(void *opaque, uint32_t pin, int level)
{
	struct arch_vm *a = opaque;
	int ret = HV_CALL(a->h->ops, irq_line, a->h->hvm, pin, level);

	/* -EBUSY: the vGIC is not initialised yet; the level is sampled
	 * again on the device's next change. */
	if (ret && ret != -EBUSY)
		log_ratelimited(&a->rl, LOG_WARN, "SPI %u level %d: %s", pin,
				level, strerror(-ret));
}

static int create_irqchip(struct arch_vm *a, char *err, size_t errlen)
{
	const struct arch_host *h = a->h;
	const uint64_t need = HV_CAP_GICV3 | HV_CAP_IRQ_LINE | HV_CAP_IRQFD |
			      HV_CAP_MSI_ROUTES;
	struct hv_irqchip_config ic = {
		.size = sizeof(ic),
		.model = HV_IRQCHIP_GICV3,
		.nr_pins = A64_GIC_NR_IRQS,
		.dist_base = A64_GIC_DIST_BASE,
		.redist_base = A64_GIC_REDIST_BASE,
		.redist_size = A64_GIC_REDIST_STRIDE * h->nr_vcpus,
		.its_base = A64_GIC_ITS_BASE,
	};
	int ret;

	if ((h->caps->flags & need) != need) {
		snprintf(
			err, errlen,
			"the hypervisor lacks an in-kernel GICv3, irq lines, irqfd or MSI routing");
		return -EOPNOTSUPP;
	}
	if (!h->nr_vcpus || h->nr_vcpus > A64_MAX_VCPUS) {
		snprintf(err, errlen,
			 "%u vCPUs: this platform has room for 1 to %llu",
			 h->nr_vcpus, (unsigned long long)A64_MAX_VCPUS);
		return -EINVAL;
	}
	if (h->caps->ipa_bits && h->caps->ipa_bits < A64_IPA_BITS_NEEDED) {
		snprintf(
			err, errlen,
			"the hypervisor offers %u IPA bits, the layout needs %u",
			h->caps->ipa_bits, A64_IPA_BITS_NEEDED);
		return -EOPNOTSUPP;
	}
	ret = HV_CALL(h->ops, irqchip_create, h->hvm, &ic);
	if (ret)
		snprintf(err, errlen, "cannot create the GICv3/ITS: %s",
			 strerror(-ret));
	return ret;
}

/* Arm the RTC's timerfd for its next match, or disarm it. */
static void rtc_rearm(void *opaque)
{
	struct arch_vm *a = opaque;
	struct itimerspec its = { 0 };
	int64_t when = 0;

	if (!pl031_next_event_ns(a->rtc, &when)) {
		if (when <= 0)
			when = 1;
		its.it_value.tv_sec = when / 1000000000;
		its.it_value.tv_nsec = when % 1000000000;
	}
	timerfd_settime(a->rtc_tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void on_rtc_timer(void *opaque, int fd, uint32_t events)
{
	struct arch_vm *a = opaque;
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0) {
		/* spurious wakeup */
	}
	pl031_tick(a->rtc);
	rtc_rearm(a);
}

static void on_key_timer(void *opaque, int fd, uint32_t events)
{
	struct arch_vm *a = opaque;
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0)
		return;
	pl061_set_input(a->gpio, A64_POWER_KEY_LINE, 0);
}

static int new_timer(struct arch_vm *a, int clock,
		     void (*cb)(void *, int, uint32_t), int *fd)
{
	int ret;

	*fd = timerfd_create(clock, TFD_CLOEXEC | TFD_NONBLOCK);
	if (*fd < 0)
		return -errno;
	ret = event_add(a->h->loop, *fd, EV_IN, cb, a);
	if (ret) {
		close(*fd);
		*fd = -1;
	}
	return ret;
}

static int create_devices(struct arch_vm *a, char *err, size_t errlen)
{
	const struct arch_host *h = a->h;
	int ret;

	if (h->cfg->serial.mode != CONSOLE_OFF) {
		struct pl011_cfg ucfg = {
			.irq = &a->uart_irq,
			.tx = h->console_tx,
			.rx_space = h->console_rx_space,
			.opaque = h->opaque,
		};

		irq_line_init_cb(&a->uart_irq, spi_set, a, A64_UART_SPI);
		ret = pl011_create(&ucfg, &a->uart);
		if (!ret)
			ret = pl011_attach(a->uart, h->mmio, A64_UART_BASE);
		if (ret)
			goto fail;
	}
	{
		struct pl031_cfg rcfg = {
			.irq = &a->rtc_irq,
			.rearm = rtc_rearm,
			.rearm_opaque = a,
		};

		irq_line_init_cb(&a->rtc_irq, spi_set, a, A64_RTC_SPI);
		ret = pl031_create(&rcfg, &a->rtc);
		if (!ret)
			ret = pl031_attach(a->rtc, h->mmio, A64_RTC_BASE);
		if (!ret)
			ret = new_timer(a, CLOCK_REALTIME, on_rtc_timer,
					&a->rtc_tfd);
		if (ret)
			goto fail;
	}
	{
		struct pl061_cfg gcfg = { .irq = &a->gpio_irq };

		irq_line_init_cb(&a->gpio_irq, spi_set, a, A64_GPIO_SPI);
		ret = pl061_create(&gcfg, &a->gpio);
		if (!ret)
			ret = pl061_attach(a->gpio, h->mmio, A64_GPIO_BASE);
		if (!ret)
			ret = new_timer(a, CLOCK_MONOTONIC, on_key_timer,
					&a->key_tfd);
		if (ret)
			goto fail;
	}
	{
		struct pci_bus_cfg pcfg = {
			.mmio = h->mmio,
			.ecam_base = A64_PCI_ECAM_BASE,
			.mmio32_base = A64_PCI_MMIO32_BASE,
			.mmio32_size = A64_PCI_MMIO32_SIZE,
			.mmio64_base = A64_PCI_MMIO64_BASE,
			.mmio64_size = A64_PCI_MMIO64_SIZE,
		};

		ret = pci_bus_create(&pcfg, &a->pci);
		if (ret)
			goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "cannot create platform devices: %s",
		 strerror(-ret));
	return ret;
}

int arch_vm_create(const struct arch_host *h, struct arch_vm **out, char *err,
		   size_t errlen)
{
	struct a64_boot_cfg bcfg;
	struct arch_vm *a;
	int ret;

	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->h = h;
	a->rtc_tfd = a->key_tfd = -1;
	a->mpidr = calloc(h->nr_vcpus ? h->nr_vcpus : 1, sizeof(*a->mpidr));
	if (!a->mpidr) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = create_irqchip(a, err, errlen);
	if (ret)
		goto fail;
	ret = create_devices(a, err, errlen);
	if (ret)
		goto fail;
	bcfg = (struct a64_boot_cfg){
		.kernel_path = h->cfg->payload.kernel,
		.initramfs_path = h->cfg->payload.initramfs,
		.cmdline = h->cfg->payload.cmdline,
		.ram_base = A64_RAM_BASE,
		.ram_size = h->cfg->memory.size,
	};
	ret = a64_boot_load(h->mem, &bcfg, &a->boot, err, errlen);
	if (ret)
		goto fail;
	*out = a;
	return 0;

fail:
	arch_vm_destroy(a);
	return ret;
}

/*
 * Boot state (booting.rst): x0 = FDT address, x1..x3 = 0, PC = the Image,
 * EL1h with D, A, I and F masked.  Secondaries stay powered off (the
 * backend's default) until the guest's PSCI CPU_ON.
 */
int arch_vcpu_init(struct arch_vm *a, struct hv_vcpu *v, uint32_t id)
{
	const struct hv_ops *ops = a->h->ops;
	struct hv_a64_regs r;
	uint64_t mpidr = id;
	int ret;

	if (id >= a->h->nr_vcpus)
		return -EINVAL;
	ret = HV_CALL(ops, vcpu_get_reg, v, HV_A64_MPIDR_EL1, &mpidr);
	if (ret && ret != -EOPNOTSUPP)
		return ret;
	a->mpidr[id] = mpidr & HV_A64_MPIDR_AFF_MASK;
	if (id)
		return 0;
	ret = ops->vcpu_get_regs(v, HV_A64_REGS_CORE, &r, sizeof(r));
	if (ret)
		return ret;
	memset(r.x, 0, sizeof(r.x));
	r.x[0] = a->boot.fdt_addr;
	r.pc = a->boot.kernel_addr;
	r.pstate = HV_A64_PSTATE_EL1H | HV_A64_PSTATE_DAIF;
	return ops->vcpu_set_regs(v, HV_A64_REGS_CORE, &r, sizeof(r));
}

int arch_vm_finalize(struct arch_vm *a)
{
	const struct arch_host *h = a->h;
	struct a64_fdt_cfg fc = {
		.ram_base = A64_RAM_BASE,
		.ram_size = h->cfg->memory.size,
		.nr_cpus = h->nr_vcpus,
		.mpidr = a->mpidr,
		.bootargs = a->boot.cmdline,
		.initrd_addr = a->boot.initrd_addr,
		.initrd_size = a->boot.initrd_size,
		.has_uart = a->uart != NULL,
		.has_pci = a->pci != NULL,
	};
	void *dst;
	int ret;

	ret = HV_CALL(h->ops, irqchip_finalize, h->hvm);
	if (ret) {
		log_err("cannot initialise the GIC: %s", strerror(-ret));
		return ret;
	}
	dst = guest_mem_ptr(h->mem, a->boot.fdt_addr, A64_FDT_MAX);
	if (!dst)
		return -EFAULT;
	ret = a64_fdt_build(&fc, dst, A64_FDT_MAX);
	if (ret)
		log_err("cannot build the device tree: %s", strerror(-ret));
	return ret;
}

int arch_handle_exit(struct arch_vm *a, uint32_t vcpu_id, struct hv_exit *exit)
{
	switch (exit->reason) {
	case HV_EXIT_HYPERCALL:
		/* PSCI is the hypervisor's; any other SMCCC call is
		 * unknown: SMCCC_RET_NOT_SUPPORTED. */
		exit->u.hcall.ret[0] = (uint64_t)-1;
		return 0;
	case HV_EXIT_DEBUG:
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

size_t arch_console_input(struct arch_vm *a, const uint8_t *buf, size_t len)
{
	if (!a || !a->uart)
		return len; /* no serial device: input is discarded */
	return pl011_rx(a->uart, buf, len);
}

struct pci_bus *arch_pci_bus(struct arch_vm *a)
{
	return a ? a->pci : NULL;
}

int arch_device_window(struct arch_vm *a, uint64_t *base, uint64_t *size)
{
	*base = A64_DEVICE_WINDOW_BASE;
	*size = A64_DEVICE_WINDOW_SIZE;
	return 0;
}

int arch_power_button(struct arch_vm *a)
{
	struct itimerspec its = { 0 };
	int ret;

	if (!a || !a->gpio)
		return -ENODEV;
	ret = pl061_set_input(a->gpio, A64_POWER_KEY_LINE, 1);
	if (ret)
		return ret;
	/* gpio-keys debounces and samples the line: hold it a while. */
	its.it_value.tv_nsec = A64_POWER_KEY_MS * 1000000l;
	if (timerfd_settime(a->key_tfd, 0, &its, NULL))
		return -errno;
	log_info("power button pressed");
	return 0;
}

void arch_vm_destroy(struct arch_vm *a)
{
	if (!a)
		return;
	if (a->key_tfd >= 0) {
		event_del(a->h->loop, a->key_tfd);
		close(a->key_tfd);
	}
	if (a->rtc_tfd >= 0) {
		event_del(a->h->loop, a->rtc_tfd);
		close(a->rtc_tfd);
	}
	/* Unmaps every BAR while the devices still exist (see x86). */
	pci_bus_destroy(a->pci);
	if (a->gpio)
		bus_unregister(a->h->mmio, A64_GPIO_BASE);
	if (a->rtc)
		bus_unregister(a->h->mmio, A64_RTC_BASE);
	if (a->uart)
		bus_unregister(a->h->mmio, A64_UART_BASE);
	pl061_destroy(a->gpio);
	pl031_destroy(a->rtc);
	pl011_destroy(a->uart);
	free(a->mpidr);
	free(a);
}
