/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vm.h - the VM object: hypervisor handles, guest RAM, buses, interrupt
 * routes, vCPUs and the platform, plus its run/stop life cycle.
 *
 * Life cycle (main thread): vm_create() builds everything up to and
 * including the payload; vm_start() spawns one thread per vCPU; the main
 * loop runs until the VM stops (vm->stop_reason set, stop eventfd
 * signalled); vm_join() waits for the vCPU threads; vm_destroy() frees
 * everything.  A reboot is a destroy followed by a fresh create.
 *
 * While running, vm_pause() parks every vCPU thread outside the guest and
 * waits until each has acknowledged; vm_resume() lets them go on.  Guest
 * clock across a pause: the hv ABI has no clock get/set op, so nothing is
 * frozen.  On KVM the guest's kvmclock and TSC follow the host's clock,
 * so after a resume the guest sees time advanced by exactly the paused
 * interval (no larger jump, and never backwards); its timers that expired
 * meanwhile fire at once.  Freezing guest time (KVM_GET/SET_CLOCK, MSHV
 * TIME_FREEZE) needs new optional hv ops.
 */
#ifndef NIMBUS_VMM_VM_H
#define NIMBUS_VMM_VM_H

#include <pthread.h>
#include <stdint.h>

#include "arch/arch.h"
#include "devices/virtio/virtio_pci.h"
#include "devices/bus.h"
#include "devices/irq.h"
#include "hv/hv.h"
#include "vmm/config.h"
#include "vmm/event.h"
#include "vmm/guest_mem.h"

struct vcpu;
struct pci_bus;
struct vcon;
struct evmon;
struct sandbox;
struct dev_counters;
struct pvpanic;

/* rng + console + disks + nets + vsock + pmems */
#define VM_MAX_VDEVS \
	(2 + CONFIG_MAX_DISKS + CONFIG_MAX_NETS + 1 + CONFIG_MAX_PMEMS)
#define VM_MAX_COUNTERS 32 /* devices reporting to vm.counters */
#define VM_PAUSE_TIMEOUT_MS 5000 /* vm_pause gives up after */

enum vm_vdev_kind {
	VM_VDEV_RNG = 1,
	VM_VDEV_CONSOLE,
	VM_VDEV_BLOCK,
	VM_VDEV_NET, /* dev: the NIC and its TAP (vm_virtio.c) */
	VM_VDEV_VSOCK,
	VM_VDEV_PMEM, /* dev: the device and its mapping (vm_virtio.c) */
};

/* One virtio-pci device of the VM. */
struct vm_vdev {
	int kind; /* enum vm_vdev_kind */
	void *dev; /* the device model (vrng, vcon, vblk, ...) */
	struct virtio_dev *vd; /* its transport */
	uint8_t devfn;
	uint32_t gsi_base, nr_gsi; /* its MSI-X vectors' GSIs */
	const char *id; /* for events and counters (config-owned) */
};

enum vm_stop_reason {
	VM_RUNNING = 0,
	VM_STOP_POWEROFF, /* guest powered off: exit status 0 */
	VM_STOP_RESET, /* guest asked for reboot: recreate the VM */
	VM_STOP_SIGNAL, /* SIGTERM/SIGINT: clean shutdown */
	VM_STOP_ERROR, /* VMM or hypervisor error: non-zero exit */
};

/* One device's counters as vm.counters reports them. */
struct vm_counters_entry {
	const char *id; /* device id, outlives the VM (config string) */
	const struct dev_counters *c;
};

struct vm {
	const struct vm_config *cfg;
	const struct hv_ops *ops;
	struct hv *hv;
	struct hv_vm *hvm;
	struct hv_caps caps;
	struct guest_mem mem;
	struct bus pio, mmio;
	struct event_loop *loop;

	/* MSI routing table kept by the core, pushed whole to the hv. */
	pthread_mutex_t route_lock;
	struct hv_route *routes;
	uint32_t nr_routes, cap_routes;
	struct msi_router router;
	int *irq_efds; /* eventfds bound with irqfd, closed at end */
	unsigned int nr_irq_efds;

	struct arch_host ah;
	struct arch_vm *arch;

	/* PCI and virtio (vm_virtio.c); pci belongs to the platform. */
	struct pci_bus *pci;
	struct virtio_pci_host vhost;
	struct vm_vdev vdevs[VM_MAX_VDEVS];
	unsigned int nr_vdevs;
	uint32_t next_gsi; /* next free GSI for MSI-X vectors */
	struct vcon *vcon; /* the virtio console, if any */

	struct vcpu *vcpus;
	uint32_t nr_vcpus;

	pthread_mutex_t lock; /* stop_reason, started count */
	pthread_cond_t cond;
	int stop_reason; /* enum vm_stop_reason; first one wins */
	uint32_t started; /* vCPUs that finished their setup */
	/* vCPUs created so far: they are created in id order, so that the
	 * hypervisor's creation index equals the id (KVM on arm64 before
	 * Linux 6.6 routes private interrupts - the timer's - by index). */
	uint32_t created;
	int setup_err; /* first vCPU setup error */
	int go; /* all set up: vCPUs may enter the guest */
	int kick_signo; /* signal the plugin uses for vcpu_kick */
	int stop_efd; /* signalled when stop_reason is set */
	int pause_req; /* vCPUs must park (vm_pause) */
	uint32_t active; /* vCPU threads in their run loop */
	uint32_t parked; /* vCPU threads parked or halted */

	/* Event monitor (NULL: none); set by the owner before vm_create. */
	struct evmon *evmon;
	/* Seccomp filters for its vCPU and device threads, or NULL. */
	const struct sandbox *sandbox;
	struct pvpanic *pvpanic; /* --pvpanic device, or NULL */
	struct vm_counters_entry counters[VM_MAX_COUNTERS];
	unsigned int nr_counters;

	/* virtio-console plumbing set by main before vm_create. */
	void (*vcon_tx)(void *opaque, const uint8_t *buf, size_t len);
	void (*vcon_rx_space)(void *opaque);
	void *vcon_opaque;

	/* Console plumbing set by main before vm_create. */
	void (*console_tx)(void *opaque, const uint8_t *buf, size_t len);
	void (*console_rx_space)(void *opaque);
	void *console_opaque;
};

/*
 * Build a VM from cfg: hv VM, RAM, buses, platform, payload.  `ops`/`hv`
 * come from the loaded plugin; the cfg and loop must outlive the VM.
 * On failure a one-line reason is in err and everything is undone.
 * Main thread.
 */
int vm_create(const struct vm_config *cfg, const struct hv_ops *ops,
	      struct hv *hv, struct event_loop *loop, struct vm *vm, char *err,
	      size_t errlen);

/* Spawn the vCPU threads and wait until each created and set up its
 * vCPU (they then wait for vm_go before entering the guest), and
 * finalize the platform.  -errno: the VM is then stopping (still call
 * vm_join).  Main thread. */
int vm_prepare(struct vm *vm);

/* Let the prepared vCPUs enter the guest.  Main thread. */
void vm_go(struct vm *vm);

/* vm_prepare, then vm_go on success. */
int vm_start(struct vm *vm);

/* Record why the VM stops (first caller wins), kick every vCPU and wake
 * the main loop.  Any thread. */
void vm_request_stop(struct vm *vm, int reason);

/* Wait for every vCPU thread to end.  Main thread. */
void vm_join(struct vm *vm);

/* Free everything.  Main thread, after vm_join (or a failed create). */
void vm_destroy(struct vm *vm);

/* Kick every vCPU that exists.  Any thread. */
void vm_kick_all(struct vm *vm);

/*
 * Park every vCPU thread outside the guest: set the pause request, kick
 * each vCPU and wait until all acknowledged (halted vCPUs count as
 * parked).  Device threads keep running (queued I/O completes).  Returns
 * 0; -ESHUTDOWN if the VM is stopping; -ETIMEDOUT if a vCPU did not
 * acknowledge within VM_PAUSE_TIMEOUT_MS (the request is withdrawn, the
 * VM keeps running).  Main thread, after vm_start.
 */
int vm_pause(struct vm *vm);

/* Let parked vCPUs enter the guest again.  Main thread. */
void vm_resume(struct vm *vm);

/*
 * Report `c` in vm.counters under `id` (both must outlive the VM).
 * Called while devices are created (vm_create and what it calls).
 * -ENOSPC past VM_MAX_COUNTERS, -EEXIST for an id already there.
 */
int vm_counters_add(struct vm *vm, const char *id,
		    const struct dev_counters *c);

/* Press the guest's power button (ACPI GED on x86).  -ENODEV if the
 * platform has none.  Main thread, VM running. */
int vm_power_button(struct vm *vm);

#endif /* NIMBUS_VMM_VM_H */
