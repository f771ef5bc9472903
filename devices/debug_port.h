/* SPDX-License-Identifier: Apache-2.0 */
/*
 * debug_port.h - the x86 POST/debug port 0x80 as a guest tracing channel.
 *
 * Each byte the guest writes is logged at info level with the time since
 * VMM start and the range it falls in, as Cloud Hypervisor users expect:
 * 0x00-0x1f firmware, 0x20-0x3f bootloader, 0x40-0x5f kernel, 0x60-0x7f
 * userspace, anything else unknown.  The log is rate-limited (the guest
 * controls it, and Linux without the KVM no-I/O-delay feature writes the
 * port as a delay); every write is still counted and the last one kept.
 *
 * Reads return 0xff: nothing drives the bus for port 0x80 reads, which is
 * what QEMU answers too (Cloud Hypervisor leaves the data untouched).
 * Accesses are 1 byte.  Safe from any thread.
 */
#ifndef NIMBUS_DEVICES_DEBUG_PORT_H
#define NIMBUS_DEVICES_DEBUG_PORT_H

#include <stdint.h>

#include "devices/bus.h"

struct debug_port;

struct debug_port_cfg {
	/* Optional clock for the timestamps (tests); default
	 * log_uptime_ns().  Any thread. */
	uint64_t (*clock_ns)(void *opaque);
	void *opaque;
};

/*
 * Allocate the device; cfg may be NULL (defaults) and is copied.  Returns
 * 0 and *out, -EINVAL for a NULL out, -ENOMEM.  Setup thread.
 */
int debug_port_create(const struct debug_port_cfg *cfg,
		      struct debug_port **out);

/* Claim the single port `base` (0x80).  bus_register's result. */
int debug_port_attach(struct debug_port *d, struct bus *pio, uint16_t base);

/* Free the device (NULL-safe); the caller unregisters it first. */
void debug_port_destroy(struct debug_port *d);

/* Forget the record (count and last write).  Any thread. */
void debug_port_reset(struct debug_port *d);

/*
 * The last byte written and its timestamp (ns since VMM start, or from
 * cfg->clock_ns).  Returns 0, or -ENOENT if nothing was written since
 * create/reset.  Any thread.
 */
int debug_port_last(struct debug_port *d, uint8_t *code, uint64_t *ns);

/* Number of bytes written since create/reset.  Any thread. */
uint64_t debug_port_count(struct debug_port *d);

/* The range name for a code: "firmware", ..., "unknown". */
const char *debug_port_range(uint8_t code);

#endif /* NIMBUS_DEVICES_DEBUG_PORT_H */
