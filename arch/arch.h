/* SPDX-License-Identifier: Apache-2.0 */
/*
 * arch.h - what each architecture's platform layer provides to the core.
 *
 * The VMM core (vmm/vm.c) owns the hypervisor handles, guest RAM, the
 * buses and the event loop, and lends them to the platform through
 * `struct arch_host`.  The platform creates the interrupt controller and
 * the platform devices, loads the payload, builds firmware tables, sets
 * the boot vCPU state and handles the arch-specific exits.  Both arches
 * implement every function here.
 */
#ifndef NIMBUS_ARCH_ARCH_H
#define NIMBUS_ARCH_ARCH_H

#include <stddef.h>
#include <stdint.h>

#include "devices/bus.h"
#include "devices/irq.h"
#include "hv/hv.h"
#include "vmm/config.h"
#include "vmm/event.h"
#include "vmm/guest_mem.h"

struct arch_vm;

/* Requests from platform devices to the core (arch_host.request). */
enum arch_request {
	ARCH_REQ_POWEROFF = 1,
	ARCH_REQ_RESET = 2,
};

struct arch_host {
	const struct hv_ops *ops;
	struct hv_vm *hvm;
	const struct hv_caps *caps;
	struct guest_mem *mem;
	struct bus *pio, *mmio;
	struct event_loop *loop;
	const struct msi_router *router;
	const struct vm_config *cfg;
	uint32_t nr_vcpus;
	/* Bind a new eventfd to `gsi` with the hypervisor's irqfd; the core
	 * owns and closes it when the VM is destroyed.  -errno. */
	int (*irqfd_new)(void *opaque, uint32_t gsi, int *efd);
	/* Device requests (poweroff, reset); any thread. */
	void (*request)(void *opaque, int what);
	/* Serial output from the guest console device; vCPU thread. */
	void (*console_tx)(void *opaque, const uint8_t *buf, size_t len);
	/* The console device has room for more input; vCPU thread. */
	void (*console_rx_space)(void *opaque);
	void *opaque;
};

struct arch_ram_region {
	uint64_t gpa, size;
};

/*
 * The guest RAM layout for mem_size bytes: fills r[] (at most max) and
 * *nr.  -EINVAL for sizes the platform cannot place.  Pure.
 */
int arch_ram_layout(uint64_t mem_size, struct arch_ram_region *r,
		    unsigned int max, unsigned int *nr);

/*
 * Create the irqchip (before any vCPU), platform devices, load the
 * payload (kernel, initramfs, cmdline) into RAM and build firmware
 * tables.  `h` must outlive the arch_vm.  On failure a one-line reason is
 * in err.  Main thread.
 */
int arch_vm_create(const struct arch_host *h, struct arch_vm **out, char *err,
		   size_t errlen);

/* Per-vCPU setup after vcpu_create, on the vCPU thread: boot register
 * state for the boot vCPU; secondary vCPUs as the arch requires. */
int arch_vcpu_init(struct arch_vm *a, struct hv_vcpu *v, uint32_t id);

/* Called after all vCPUs exist and before any runs (vGIC finalize). */
int arch_vm_finalize(struct arch_vm *a);

/*
 * Handle an exit the core does not handle itself (EOI, MSR, hypercall,
 * debug ...).  vCPU thread.  Returns 0 to keep running, or a negative
 * errno to stop the VM with an error (after logging why).
 */
int arch_handle_exit(struct arch_vm *a, uint32_t vcpu_id, struct hv_exit *exit);

/* Push console input into the guest-visible console device; returns the
 * number of bytes taken.  Main thread. */
size_t arch_console_input(struct arch_vm *a, const uint8_t *buf, size_t len);

/* The platform's PCI bus (segment 0), or NULL if it has none. */
struct pci_bus *arch_pci_bus(struct arch_vm *a);

/*
 * The guest-physical window for device memory the VMM places itself
 * (virtio-pmem regions, later shared-memory regions): outside RAM, the
 * PCI BAR windows and the platform devices, page aligned.  Fills *base and
 * *size; 0, or -ENOSPC when the platform has none.  Any thread after
 * arch_vm_create.
 */
int arch_device_window(struct arch_vm *a, uint64_t *base, uint64_t *size);

/*
 * Press the guest's power button: the platform notifies the guest (x86:
 * ACPI GED power-button event, Notify(PWRB, 0x80); aarch64: the PL061
 * GPIO power key), which normally shuts down and then powers off through
 * the usual path (ARCH_REQ_POWEROFF).  0, or -ENODEV if the platform has
 * no power button.  Main thread, while the VM runs.
 */
int arch_power_button(struct arch_vm *a);

/* Free everything created by arch_vm_create.  NULL-safe.  Main thread,
 * after all vCPUs are gone. */
void arch_vm_destroy(struct arch_vm *a);

#endif /* NIMBUS_ARCH_ARCH_H */
