/* SPDX-License-Identifier: Apache-2.0 */
/*
 * msix.h - MSI-X for an emulated PCI function.
 *
 * Adds the MSI-X capability to a pci_dev and models the vector table and
 * the pending-bit array (PBA), which live inside the device's BARs: the
 * BAR's io_ops forward accesses in those ranges to msix_table_read/write
 * and msix_pba_read.  Each vector i owns GSI gsi_base + i: while the
 * vector is unmasked (and MSI-X is enabled and the function not masked)
 * its MSI address/data is installed as that GSI's route through the
 * msi_router, and msix_notify(i) signals the eventfd bound to that GSI
 * with irqfd.  While masked, msix_notify sets the vector's pending bit;
 * unmasking delivers and clears it, as the PCI spec requires.
 *
 * Threading: table/config accesses come from vCPU threads, msix_notify
 * from device workers; an internal mutex serialises them.  Router calls
 * and eventfd writes happen outside it.
 */
#ifndef NIMBUS_DEVICES_MSIX_H
#define NIMBUS_DEVICES_MSIX_H

#include <stdint.h>

#include "devices/irq.h"
#include "devices/pci/pci.h"

#define MSIX_MAX_VECTORS 2048
#define MSIX_ENTRY_SIZE 16

struct msix;

struct msix_cfg {
	uint16_t nr_vectors; /* 1..MSIX_MAX_VECTORS */
	unsigned int table_bar; /* BAR index holding the table */
	uint32_t table_off; /* 8-byte aligned offset in that BAR */
	unsigned int pba_bar;
	uint32_t pba_off; /* 8-byte aligned */
	const struct msi_router *router;
	uint32_t gsi_base; /* vector i -> GSI gsi_base + i */
	const int *efds; /* nr_vectors eventfds, bound to those GSIs
				  * with irqfd (not owned) */
};

/* Add the capability to `d` (before pci_bus_add_dev) and allocate the
 * table (all vectors masked).  -EINVAL bad cfg, -ENOSPC, -ENOMEM. */
int msix_create(struct pci_dev *d, const struct msix_cfg *cfg,
		struct msix **out);
void msix_destroy(struct msix *m);

/* Guest accesses to the table / PBA; `off` is relative to the table or
 * PBA start.  Accesses must be 4 or 8 bytes and aligned, else reads give
 * all-ones / writes are dropped (-EINVAL).  vCPU threads. */
int msix_table_read(struct msix *m, uint64_t off, void *data, uint32_t len);
int msix_table_write(struct msix *m, uint64_t off, const void *data,
		     uint32_t len);
int msix_pba_read(struct msix *m, uint64_t off, void *data, uint32_t len);
/* Size in bytes of the table and of the PBA (for BAR layout). */
uint32_t msix_table_size(uint16_t nr_vectors);
uint32_t msix_pba_size(uint16_t nr_vectors);

/* Call from the device's pci_dev_ops.cfg_write: tracks the Enable and
 * Function Mask bits of Message Control.  Device mutex held. */
void msix_cfg_write(struct msix *m, uint32_t off, uint32_t len, uint32_t val);

/* Signal vector `v`: delivered now, or left pending while masked.
 * -EINVAL for v out of range (nothing happens).  Any thread. */
int msix_notify(struct msix *m, uint16_t v);

/* 1 if MSI-X is enabled by the guest. */
int msix_enabled(struct msix *m);

/* Back to power-on state: disabled, all vectors masked, no pending bits,
 * routes cleared. */
void msix_reset(struct msix *m);

/*
 * Additions to the contract above.
 *
 * Guest write to the PBA: the PBA is read-only, so the write is dropped.
 * Returns 0, or -EINVAL (also dropped) for a size/alignment/range the
 * table and PBA accessors reject.  vCPU threads.
 */
int msix_pba_write(struct msix *m, uint64_t off, const void *data,
		   uint32_t len);

/*
 * Notes on the functions above:
 * - msix_create: table_off/pba_off must be 8-byte aligned and the two
 *   ranges must not overlap; BARs may be declared before or after, but a
 *   BAR already declared must be a memory BAR large enough to hold the
 *   range.  router (with set and clear) and efds (all >= 0) are required;
 *   the efds array is copied, the descriptors stay the caller's.  `d`
 *   must outlive the msix.
 * - Routes: the route for gsi_base + i is installed when vector i becomes
 *   unmasked (or its message changes while unmasked) and is kept while it
 *   is masked; only msix_reset clears routes.  On x86 a message address
 *   whose low dword is not 0xFEExxxxx is not installed: the vector then
 *   stays pending until the guest writes a valid address.  Elsewhere any
 *   address is passed to the router.
 * - msix_reset also clears Enable and Function Mask in d's config space:
 *   call it with the device mutex held or while vCPUs are stopped.  It
 *   calls router->clear for the routes it installed.
 * - msix_destroy does not call the router (call msix_reset first to drop
 *   the routes, e.g. on hot-unplug).  NULL-safe.  Main thread, no other
 *   calls in flight.
 */

#endif /* NIMBUS_DEVICES_MSIX_H */
