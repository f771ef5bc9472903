/* SPDX-License-Identifier: Apache-2.0 */
/*
 * acpi_pm.h - power management registers of a hardware-reduced ACPI VM.
 *
 * Registered over 12 ports at X86_ACPI_PM_PORT (0x600..0x60b); the FADT
 * built by the ACPI code points at them:
 *   +0  SLEEP_CONTROL_REG and RESET_REG (8 bit, write).  Writing
 *       X86_ACPI_RESET_VALUE (1) calls cfg->reset.  Otherwise, with
 *       SLP_EN (bit 5) set, SLP_TYP (bits 4:2) == X86_ACPI_S5_TYP calls
 *       cfg->poweroff (reserved bits are ignored, so Linux's 0x34
 *       matches); any other sleep type is logged (rate-limited) and
 *       answered as an immediate wake (WAK_STS set), because the guest
 *       spins on WAK_STS after requesting a sleep state.  Reads 0.
 *   +1  SLEEP_STATUS_REG (8 bit): WAK_STS is bit 7, write 1 to clear;
 *       other bits read 0.
 *   +2..+7 reserved: read 0, writes ignored.
 *   +8  PM_TMR_BLK (X86_ACPI_PM_TMR_PORT), a read-only 32-bit counter
 *       at 3.579545 MHz from a monotonic clock, 0 at create/reset,
 *       wrapping at 2^32 (FADT TMR_VAL_EXT).
 * Accesses of 1 to 4 bytes are accepted; each one samples the clock once,
 * so a 4-byte timer read is never torn.
 *
 * Callbacks run on the vCPU thread with no device lock held and must not
 * re-enter the device synchronously.  Safe from any thread.
 */
#ifndef NIMBUS_DEVICES_ACPI_PM_H
#define NIMBUS_DEVICES_ACPI_PM_H

#include <stdint.h>

#include "devices/bus.h"

#define ACPI_PM_NR_PORTS 12u
#define ACPI_PM_TMR_OFF 8u
#define ACPI_PM_TMR_HZ 3579545ull
#define ACPI_PM_WAK_STS 0x80u

struct acpi_pm;

struct acpi_pm_cfg {
	void (*poweroff)(void *opaque); /* may be NULL */
	void (*reset)(void *opaque); /* may be NULL */
	void *opaque;
	/* Optional monotonic clock in ns (tests); default CLOCK_MONOTONIC. */
	uint64_t (*clock_ns)(void *opaque);
};

/*
 * Allocate the device (cfg copied) with the timer at 0.  Returns 0 and
 * *out, -EINVAL for NULL cfg/out, -ENOMEM.  Setup thread.
 */
int acpi_pm_create(const struct acpi_pm_cfg *cfg, struct acpi_pm **out);

/* Claim [base, base+12).  bus_register's result.  Setup thread. */
int acpi_pm_attach(struct acpi_pm *d, struct bus *pio, uint16_t base);

/* Free the device (NULL-safe); the caller unregisters it first. */
void acpi_pm_destroy(struct acpi_pm *d);

/* Power-on state: WAK_STS clear, timer restarts from 0.  Any thread. */
void acpi_pm_reset(struct acpi_pm *d);

#endif /* NIMBUS_DEVICES_ACPI_PM_H */
