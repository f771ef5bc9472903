// SPDX-License-Identifier: Apache-2.0
/*
 * platform.c - the x86_64 PC-like platform of a Nimbus VM.
 *
 * Split irqchip: the LAPICs live in the hypervisor; the IOAPIC and the
 * legacy devices live here.  Each IOAPIC pin p owns MSI route gsi = p and
 * an irqfd-bound eventfd, so interrupt delivery is identical on every
 * backend.  Devices: 16550A UART (COM1), CMOS RTC, i8042 (reset only),
 * debug port 0x80, ACPI PM (power-off/reset/PM timer), the ACPI GED
 * (power button); ACPI tables and the Linux/PVH payload.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define LOG_MOD "x86"
#include "arch/arch.h"
#include "arch/x86_64/acpi.h"
#include "arch/x86_64/boot.h"
#include "arch/x86_64/layout.h"
#include "devices/acpi_pm.h"
#include "devices/debug_port.h"
#include "devices/ged.h"
#include "devices/i8042.h"
#include "devices/ioapic.h"
#include "devices/pci/pci.h"
#include "devices/rtc_cmos.h"
#include "devices/serial_8250.h"
#include "hv/hv_call.h"
#include "hv/hv_x86_64.h"
#include "vmm/log.h"

struct arch_vm {
	const struct arch_host *h;
	struct ioapic *ioapic;
	int pin_efd[X86_IOAPIC_PINS];
	struct uart8250 *uart;
	struct irq_line uart_irq;
	struct rtc_cmos *rtc;
	struct irq_line rtc_irq;
	int rtc_tfd;
	struct i8042 *i8042;
	struct debug_port *dbg;
	struct acpi_pm *pm;
	struct ged *ged;
	struct irq_line ged_irq;
	struct pci_bus *pci;
	struct x86_boot_info boot;
	uint64_t devwin_base, devwin_size; /* arch_device_window */
	struct log_rl msr_rl; /* unhandled MSRs: the guest chooses them */
};

/* PCI segment 0, bus 0: CF8/CFC, ECAM, and BAR windows in the 32-bit
 * hole and above RAM; the ACPI tables describe the same (acfg). */
static int create_pci(struct arch_vm *a, struct x86_acpi_cfg *acfg, char *err,
		      size_t errlen)
{
	const struct arch_host *h = a->h;
	struct pci_bus_cfg pcfg = { 0 };
	struct x86_mem_layout l;
	int ret;

	x86_mem_layout_from_size(h->cfg->memory.size, &l);
	acfg->has_pci = 1;
	acfg->ecam_base = X86_PCI_ECAM_BASE;
	acfg->mmio32_base = X86_PCI_MMIO32_BASE;
	acfg->mmio32_size = X86_PCI_MMIO32_SIZE;
	ret = x86_pci_mmio64_window(&l, &acfg->mmio64_base, &acfg->mmio64_size);
	if (ret) {
		snprintf(err, errlen, "no room for the 64-bit PCI window");
		return ret;
	}
	if (acfg->mmio64_base + acfg->mmio64_size <=
	    X86_PHYS_ADDR_LIMIT - X86_DEVICE_WINDOW_SIZE) {
		a->devwin_base = acfg->mmio64_base + acfg->mmio64_size;
		a->devwin_size = X86_DEVICE_WINDOW_SIZE;
	}
	pcfg.pio = h->pio;
	pcfg.mmio = h->mmio;
	pcfg.ecam_base = acfg->ecam_base;
	pcfg.mmio32_base = acfg->mmio32_base;
	pcfg.mmio32_size = acfg->mmio32_size;
	pcfg.mmio64_base = acfg->mmio64_base;
	pcfg.mmio64_size = acfg->mmio64_size;
	ret = pci_bus_create(&pcfg, &a->pci);
	if (ret)
		snprintf(err, errlen, "cannot create the PCI bus: %s",
			 strerror(-ret));
	return ret;
}

int arch_ram_layout(uint64_t mem_size, struct arch_ram_region *r,
		    unsigned int max, unsigned int *nr)
{
	struct x86_mem_layout l;

	if (!mem_size || mem_size & 0xfff || max < 2)
		return -EINVAL;
	x86_mem_layout_from_size(mem_size, &l);
	r[0].gpa = 0;
	r[0].size = l.low_size;
	*nr = 1;
	if (l.high_size) {
		r[1].gpa = X86_HIGH_RAM_START;
		r[1].size = l.high_size;
		*nr = 2;
	}
	return 0;
}

static void dev_reset(void *opaque)
{
	struct arch_vm *a = opaque;

	a->h->request(a->h->opaque, ARCH_REQ_RESET);
}

static void dev_poweroff(void *opaque)
{
	struct arch_vm *a = opaque;

	a->h->request(a->h->opaque, ARCH_REQ_POWEROFF);
}

/* Arm the RTC's timerfd (CLOCK_REALTIME, absolute) for its next event,
 * or disarm it.  Main loop, and vCPU threads through the rearm hook. */
static void rtc_rearm(void *opaque)
{
	struct arch_vm *a = opaque;
	struct itimerspec its = { 0 };
	int64_t when = 0;

	if (!rtc_cmos_next_event_ns(a->rtc, &when)) {
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
	rtc_cmos_tick(a->rtc);
	rtc_rearm(a);
}

static int create_irqchip(struct arch_vm *a, char *err, size_t errlen)
{
	const struct arch_host *h = a->h;
	struct hv_irqchip_config ic = {
		.size = sizeof(ic),
		.model = HV_IRQCHIP_X86_SPLIT,
		.nr_pins = X86_IOAPIC_PINS,
	};
	struct ioapic_cfg icfg;
	unsigned int p;
	int ret;

	if ((h->caps->flags &
	     (HV_CAP_SPLIT_IRQCHIP | HV_CAP_IRQFD | HV_CAP_MSI_ROUTES)) !=
	    (HV_CAP_SPLIT_IRQCHIP | HV_CAP_IRQFD | HV_CAP_MSI_ROUTES)) {
		snprintf(
			err, errlen,
			"the hypervisor lacks split irqchip, irqfd or MSI routing");
		return -EOPNOTSUPP;
	}
	ioapic_cfg_init(&icfg);
	ret = HV_CALL(h->ops, irqchip_create, h->hvm, &ic);
	if (ret) {
		snprintf(err, errlen,
			 "cannot create the interrupt controller: %s",
			 strerror(-ret));
		return ret;
	}
	for (p = 0; p < X86_IOAPIC_PINS; p++) {
		ret = h->irqfd_new(h->opaque, p, &a->pin_efd[p]);
		if (ret) {
			snprintf(err, errlen, "cannot bind IOAPIC pin %u: %s",
				 p, strerror(-ret));
			return ret;
		}
		icfg.pin_efd[p] = a->pin_efd[p];
	}
	icfg.router = h->router;
	ret = ioapic_create(&icfg, &a->ioapic);
	if (!ret)
		ret = ioapic_attach(a->ioapic, h->mmio, X86_IOAPIC_ADDR);
	if (ret)
		snprintf(err, errlen, "IOAPIC: %s", strerror(-ret));
	return ret;
}

static int create_devices(struct arch_vm *a, char *err, size_t errlen)
{
	const struct arch_host *h = a->h;
	struct x86_mem_layout l;
	int ret;

	if (h->cfg->serial.mode != CONSOLE_OFF) {
		struct uart8250_cfg ucfg = {
			.irq = &a->uart_irq,
			.tx = h->console_tx,
			.rx_space = h->console_rx_space,
			.opaque = h->opaque,
		};

		irq_line_init_cb(&a->uart_irq, ioapic_set_irq, a->ioapic,
				 X86_COM1_IRQ);
		ret = uart8250_create(&ucfg, &a->uart);
		if (!ret)
			ret = uart8250_attach(a->uart, h->pio, X86_COM1_PORT);
		if (ret)
			goto fail;
	}

	x86_mem_layout_from_size(h->cfg->memory.size, &l);
	{
		struct rtc_cmos_cfg rcfg = {
			.irq = &a->rtc_irq,
			.mem_below_4g = l.low_size,
			.mem_above_4g = l.high_size,
			.rearm = rtc_rearm,
			.rearm_opaque = a,
		};

		irq_line_init_cb(&a->rtc_irq, ioapic_set_irq, a->ioapic,
				 X86_RTC_IRQ);
		ret = rtc_cmos_create(&rcfg, &a->rtc);
		if (!ret)
			ret = rtc_cmos_attach(a->rtc, h->pio, X86_RTC_PORT);
		if (ret)
			goto fail;
		a->rtc_tfd = timerfd_create(CLOCK_REALTIME,
					    TFD_CLOEXEC | TFD_NONBLOCK);
		if (a->rtc_tfd < 0) {
			ret = -errno;
			goto fail;
		}
		ret = event_add(h->loop, a->rtc_tfd, EV_IN, on_rtc_timer, a);
		if (ret)
			goto fail;
		rtc_rearm(a);
	}
	{
		struct i8042_cfg kcfg = { .reset = dev_reset, .opaque = a };

		ret = i8042_create(&kcfg, &a->i8042);
		if (!ret)
			ret = i8042_attach(a->i8042, h->pio,
					   X86_I8042_DATA_PORT);
		if (ret)
			goto fail;
	}
	{
		struct debug_port_cfg dcfg = { 0 };

		ret = debug_port_create(&dcfg, &a->dbg);
		if (!ret)
			ret = debug_port_attach(a->dbg, h->pio, X86_DEBUG_PORT);
		if (ret)
			goto fail;
	}
	{
		struct acpi_pm_cfg pcfg = {
			.poweroff = dev_poweroff,
			.reset = dev_reset,
			.opaque = a,
		};

		ret = acpi_pm_create(&pcfg, &a->pm);
		if (!ret)
			ret = acpi_pm_attach(a->pm, h->pio, X86_ACPI_PM_PORT);
		if (ret)
			goto fail;
	}
	{
		struct ged_cfg gcfg = { .irq = &a->ged_irq };

		irq_line_init_cb(&a->ged_irq, ioapic_set_irq, a->ioapic,
				 X86_GED_GSI);
		ret = ged_create(&gcfg, &a->ged);
		if (!ret)
			ret = ged_attach(a->ged, h->mmio, X86_GED_ADDR);
		if (ret)
			goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "cannot create platform devices: %s",
		 strerror(-ret));
	return ret;
}

/*
 * Firmware would have code at the reset vector; we have none, yet guests
 * jump there to reboot (x86 Linux on hardware-reduced ACPI without EFI
 * uses its "BIOS" method: real mode, then ljmp F000:FFF0).  Put a stub
 * there that asks the platform for a reset the way a guest would: the
 * ACPI reset register, then an i8042 reset pulse, then halt.
 */
static int write_reset_stub(struct guest_mem *m)
{
	static const uint8_t stub[] = {
		0xba,
		X86_ACPI_PM_PORT & 0xff,
		X86_ACPI_PM_PORT >> 8, /* mov dx */
		0xb0,
		X86_ACPI_RESET_VALUE, /* mov al, reset value */
		0xee, /* out dx, al */
		0xb0,
		0xfe, /* mov al, 0xfe */
		0xe6,
		X86_I8042_CMD_PORT, /* out 0x64, al */
		0xf4, /* hlt */
		0xeb,
		0xfd, /* jmp back to hlt */
	};

	_Static_assert(sizeof(stub) <= 16, "reset stub must fit below 1 MiB");
	return guest_mem_write(m, X86_RESET_VECTOR, stub, sizeof(stub));
}

int arch_vm_create(const struct arch_host *h, struct arch_vm **out, char *err,
		   size_t errlen)
{
	struct x86_acpi_cfg acfg;
	struct x86_boot_cfg bcfg;
	struct arch_vm *a;
	uint64_t rsdp = 0;
	unsigned int p;
	int ret;

	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->h = h;
	a->rtc_tfd = -1;
	for (p = 0; p < X86_IOAPIC_PINS; p++)
		a->pin_efd[p] = -1;

	ret = create_irqchip(a, err, errlen);
	if (ret)
		goto fail;
	ret = create_devices(a, err, errlen);
	if (ret)
		goto fail;

	memset(&acfg, 0, sizeof(acfg));
	acfg.nr_vcpus = h->nr_vcpus;
	acfg.has_serial = a->uart != NULL;
	acfg.has_ged = 1;
	acfg.ged_base = X86_GED_ADDR;
	acfg.ged_gsi = X86_GED_GSI;
	ret = create_pci(a, &acfg, err, errlen);
	if (ret)
		goto fail;
	ret = x86_acpi_build(h->mem, X86_ACPI_BASE, X86_ACPI_MAX, &acfg, &rsdp);
	if (ret) {
		snprintf(err, errlen, "cannot build ACPI tables: %s",
			 strerror(-ret));
		goto fail;
	}

	memset(&bcfg, 0, sizeof(bcfg));
	bcfg.kernel_path = h->cfg->payload.kernel;
	bcfg.initramfs_path = h->cfg->payload.initramfs;
	bcfg.cmdline = h->cfg->payload.cmdline;
	x86_mem_layout_from_size(h->cfg->memory.size, &bcfg.layout);
	{
		uint64_t ecam, ecam_size;

		/* Linux's early MMCONFIG check wants ECAM in the e820 map. */
		x86_acpi_pci_ecam_range(&acfg, &ecam, &ecam_size);
		ret = x86_mem_layout_reserve(&bcfg.layout, ecam, ecam_size);
		if (ret) {
			snprintf(err, errlen, "cannot reserve ECAM: %s",
				 strerror(-ret));
			goto fail;
		}
	}
	bcfg.rsdp_addr = rsdp;
	ret = x86_boot_load(h->mem, &bcfg, &a->boot, err, errlen);
	if (ret)
		goto fail;
	ret = x86_boot_write_tables(h->mem, &a->boot);
	if (!ret)
		ret = write_reset_stub(h->mem);
	if (ret) {
		snprintf(err, errlen, "cannot write boot tables: %s",
			 strerror(-ret));
		goto fail;
	}
	*out = a;
	return 0;

fail:
	arch_vm_destroy(a);
	return ret;
}

int arch_vcpu_init(struct arch_vm *a, struct hv_vcpu *v, uint32_t id)
{
	return x86_boot_setup_vcpu(a->h->ops, v, &a->boot, id);
}

int arch_vm_finalize(struct arch_vm *a)
{
	return 0;
}

int arch_handle_exit(struct arch_vm *a, uint32_t vcpu_id, struct hv_exit *exit)
{
	switch (exit->reason) {
	case HV_EXIT_EOI:
		ioapic_eoi(a->ioapic, exit->u.eoi.vector);
		return 0;
	case HV_EXIT_MSR:
		/* Unknown MSRs fault like on hardware without them. */
		log_ratelimited(&a->msr_rl, LOG_DEBUG,
				"vCPU %u: %s of unhandled MSR %#x", vcpu_id,
				exit->u.msr.write ? "write" : "read",
				exit->u.msr.index);
		exit->u.msr.error = 1;
		exit->u.msr.value = 0;
		return 0;
	case HV_EXIT_HYPERCALL:
		/* No hypercalls are offered: -ENOSYS in KVM's convention. */
		exit->u.hcall.ret[0] = (uint64_t)-1000;
		return 0;
	case HV_EXIT_DEBUG:
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

int arch_device_window(struct arch_vm *a, uint64_t *base, uint64_t *size)
{
	if (!a->devwin_size)
		return -ENOSPC;
	*base = a->devwin_base;
	*size = a->devwin_size;
	return 0;
}

int arch_power_button(struct arch_vm *a)
{
	if (!a || !a->ged)
		return -ENODEV;
	return ged_notify(a->ged, GED_EVT_POWER_BUTTON);
}

struct pci_bus *arch_pci_bus(struct arch_vm *a)
{
	return a ? a->pci : NULL;
}

size_t arch_console_input(struct arch_vm *a, const uint8_t *buf, size_t len)
{
	if (!a || !a->uart)
		return len; /* no serial device: input is discarded */
	return uart8250_rx(a->uart, buf, len);
}

void arch_vm_destroy(struct arch_vm *a)
{
	if (!a)
		return;
	if (a->rtc_tfd >= 0) {
		event_del(a->h->loop, a->rtc_tfd);
		close(a->rtc_tfd);
	}
	/* Unmaps every BAR (devices drop their ioeventfds) while the
	 * devices still exist: vm_virtio_destroy frees them afterwards. */
	pci_bus_destroy(a->pci);
	ged_destroy(a->ged);
	acpi_pm_destroy(a->pm);
	debug_port_destroy(a->dbg);
	i8042_destroy(a->i8042);
	rtc_cmos_destroy(a->rtc);
	uart8250_destroy(a->uart);
	ioapic_destroy(a->ioapic);
	/* pin eventfds belong to the core (irqfd_new) */
	free(a);
}
