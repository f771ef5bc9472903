/* SPDX-License-Identifier: Apache-2.0 */
/*
 * i8042.h - the PS/2 keyboard controller, as far as a VM needs it.
 *
 * The controller sits at ports 0x60 (data) and 0x64 (status/command) and
 * exists mainly so that the guest can reset the machine: command 0xFE (and
 * any other 0xF0-0xFF pulse command with bit 0 clear), or writing the
 * output port (0xD1) with bit 0 clear, calls cfg->reset.
 *
 * Enough of the controller is modelled for Linux's i8042 driver to probe
 * it without hanging: the status register (OBF, IBF never set, system
 * flag, command/data, not inhibited), the 32 bytes of controller RAM with
 * the command byte (0x20-0x3F/0x60-0x7F), self test (0xAA -> 0x55),
 * interface tests (0xAB/0xA9 -> 0x00), port disable/enable (0xAD/0xAE/
 * 0xA7/0xA8, reflected in the command byte), the output port (0xD0/0xD1)
 * and the output-buffer writes used as loopback (0xD2/0xD3).
 *
 * No keyboard or mouse is attached and the controller has no interrupt
 * lines: bytes written to a device (data port, 0xD4) are swallowed with
 * no acknowledge.  Linux then times out on the device (atkbd/psmouse find
 * nothing) and never reads a stale reply as the answer to a later
 * controller command.
 *
 * Accesses are 1 byte.  A per-device mutex serialises vCPU threads;
 * reset() is called with it released.
 */
#ifndef NIMBUS_DEVICES_I8042_H
#define NIMBUS_DEVICES_I8042_H

#include <stdint.h>

#include "devices/bus.h"

struct i8042;

struct i8042_cfg {
	/* The guest pulsed the CPU reset line.  vCPU thread; must not call
	 * back into this device synchronously.  May be NULL. */
	void (*reset)(void *opaque);
	void *opaque;
};

/*
 * Allocate a controller in its power-on state (cfg copied).  Returns 0
 * and *out, -EINVAL for NULL cfg/out, -ENOMEM.  Setup thread.
 */
int i8042_create(const struct i8042_cfg *cfg, struct i8042 **out);

/*
 * Claim the data port `base` (0x60) and the command port base + 4 (0x64),
 * one port each.  Returns 0 or bus_register's error (nothing left
 * registered on failure).  Setup thread.
 */
int i8042_attach(struct i8042 *d, struct bus *pio, uint16_t base);

/* Free the device (NULL-safe); the caller unregisters both ports first. */
void i8042_destroy(struct i8042 *d);

/* Back to the power-on state.  Any thread. */
void i8042_reset(struct i8042 *d);

#endif /* NIMBUS_DEVICES_I8042_H */
