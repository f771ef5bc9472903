/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pci.h - PCI segment 0, bus 0: config space, BARs and capabilities.
 *
 * A `struct pci_bus` owns up to 32 single-function devices.  The guest
 * reaches their config space through the legacy port mechanism
 * (CONFIG_ADDRESS 0xCF8 / CONFIG_DATA 0xCFC on the PIO bus) and through
 * ECAM (a memory window on the MMIO bus, 4 KiB per function).  Both end in
 * pci_cfg_rw().  Generic config handling uses per-byte writable and
 * write-1-to-clear masks; devices add capabilities and BARs at setup and
 * may hook config writes (MSI-X enable, ...).
 *
 * BARs: the bus assigns each BAR an address from its windows when the
 * device is added, as firmware would; the guest may size and move BARs.
 * A BAR is registered on the PIO/MMIO bus while its address is valid and
 * the matching decode bit (I/O space, memory space) is set in the command
 * register; every change re-registers it and calls ops->bar_map so the
 * device can move what hangs off the BAR (ioeventfds).  Unassigned or
 * disabled BARs decode nothing.
 *
 * Threading: config accesses come from vCPU threads; each device has a
 * mutex serialising its config space.  Device callbacks run with that
 * mutex held and must not call back into pci_cfg_rw for the same device.
 */
#ifndef NIMBUS_DEVICES_PCI_H
#define NIMBUS_DEVICES_PCI_H

#include <pthread.h>
#include <stdint.h>

#include "devices/bus.h"

#define PCI_CFG_SIZE 4096 /* PCIe extended config space */
#define PCI_NUM_BARS 6
#define PCI_MAX_SLOTS 32
#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA 0xcfc
#define PCI_ECAM_BUS_SIZE (1ull << 20) /* one bus: 32 dev x 8 fn x 4 KiB */

enum pci_bar_type {
	PCI_BAR_NONE = 0,
	PCI_BAR_IO,
	PCI_BAR_MEM32,
	PCI_BAR_MEM64, /* takes this BAR slot and the next */
};

struct pci_dev;
struct pci_bus;

struct pci_dev_ops {
	/* Optional: after the generic handling of a config write of `len`
	 * bytes at `off` (value as the guest wrote it).  Device mutex held. */
	void (*cfg_write)(struct pci_dev *d, uint32_t off, uint32_t len,
			  uint32_t val);
	/* Optional: BAR `bar` became decoded at `addr` (mapped = 1) or
	 * stopped decoding (mapped = 0, addr = the old address).  Device
	 * mutex held. */
	void (*bar_map)(struct pci_dev *d, unsigned int bar, uint64_t addr,
			int mapped);
};

struct pci_bar {
	uint32_t type; /* enum pci_bar_type */
	int prefetch;
	uint64_t size; /* power of two; IO >= 4, MEM >= 16 (4 KiB used) */
	const struct io_ops *ops;
	void *opaque;
	uint64_t addr; /* address currently registered (if mapped) */
	int mapped; /* registered on the PIO/MMIO bus */
};

struct pci_dev {
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE]; /* bits the guest may change */
	uint8_t w1cmask[PCI_CFG_SIZE]; /* bits a 1 clears (status) */
	struct pci_bar bar[PCI_NUM_BARS];
	const struct pci_dev_ops *ops;
	void *opaque; /* for the device's callbacks */
	const char *name;
	struct pci_bus *bus; /* set by pci_bus_add_dev */
	uint8_t devfn;
	uint8_t cap_next; /* where the next capability goes */
	pthread_mutex_t lock;
};

/*
 * Initialise a type-0 header: ids, class (24-bit: base, sub, prog-if),
 * revision, subsystem ids, status with the capability-list bit, command
 * register writable for I/O, memory, bus master and INTx disable.  The
 * caller's ops/opaque go in d.  Main thread, before pci_bus_add_dev.
 */
void pci_dev_init(struct pci_dev *d, const char *name, uint16_t vendor,
		  uint16_t device, uint32_t class_code, uint8_t revision,
		  uint16_t subsys_vendor, uint16_t subsys_id,
		  const struct pci_dev_ops *ops, void *opaque);

/*
 * Declare BAR `idx` of `size` bytes (power of two) served by ops/opaque
 * (offsets within the BAR).  A MEM64 BAR also uses idx+1.  -EINVAL for a
 * bad index, size or a slot already used.  Setup only.
 */
int pci_dev_set_bar(struct pci_dev *d, unsigned int idx, uint32_t type,
		    int prefetch, uint64_t size, const struct io_ops *ops,
		    void *opaque);

/*
 * Append a capability of `len` bytes (>= 2, including the id and next
 * bytes) to the standard capability list; *off receives its offset.  The
 * body is zero and read-only until the device sets bytes and masks.
 * -ENOSPC when it does not fit below 0x100.  Setup only.
 */
int pci_dev_add_cap(struct pci_dev *d, uint8_t cap_id, uint8_t len,
		    uint8_t *off);

/* Little-endian config space accessors for device code (no masks). */
uint32_t pci_cfg_get(const struct pci_dev *d, uint32_t off, uint32_t len);
void pci_cfg_set(struct pci_dev *d, uint32_t off, uint32_t len, uint32_t v);

struct pci_bus_cfg {
	struct bus *pio, *mmio;
	uint64_t ecam_base; /* 0: no ECAM window */
	uint64_t mmio32_base, mmio32_size; /* BAR windows (firmware-style */
	uint64_t mmio64_base, mmio64_size; /*  assignment at add time) */
	uint16_t io_base, io_size;
};

/*
 * Create the bus with a host bridge at 00:00.0 and register CF8/CFC (PIO)
 * and the ECAM window (MMIO, PCI_ECAM_BUS_SIZE bytes).  -errno.  Main.
 */
int pci_bus_create(const struct pci_bus_cfg *cfg, struct pci_bus **out);

/*
 * Place `d` at `slot` (1..31) or the first free slot (slot < 0), assign
 * its BARs from the windows (naturally aligned), and report the devfn.
 * The device must stay valid until pci_bus_destroy.  -EBUSY slot taken,
 * -ENOSPC no slot or window space.  Main thread, before vCPUs run.
 */
int pci_bus_add_dev(struct pci_bus *b, struct pci_dev *d, int slot,
		    uint8_t *devfn);

/*
 * Config access of 1, 2 or 4 bytes at `off` (< PCI_CFG_SIZE, naturally
 * aligned) of function `devfn`.  Absent functions read all-ones and ignore
 * writes; unaligned or out-of-range accesses likewise.  Returns 0 or
 * -ENODEV / -EINVAL for those cases (already answered).  vCPU threads.
 */
int pci_cfg_rw(struct pci_bus *b, uint8_t devfn, uint32_t off, void *data,
	       uint32_t len, int write);

/* Unregister every mapped BAR and the config windows, free the bus (the
 * devices are the caller's).  NULL-safe.  Main thread, vCPUs stopped. */
void pci_bus_destroy(struct pci_bus *b);

#endif /* NIMBUS_DEVICES_PCI_H */
