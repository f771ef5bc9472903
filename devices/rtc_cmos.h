/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rtc_cmos.h - the PC CMOS real-time clock (MC146818 style) and its NVRAM.
 *
 * Two 1-byte ports: base+0 selects a register (bit 7 is the NMI mask and is
 * ignored, so indices are 7 bits: there is no register beyond 0x7f and no
 * extended bank), base+1 reads/writes it.  Reading the index port returns
 * 0xff.  Registers 0x00-0x09 and 0x32 (century) hold the time of day, the
 * date and the alarm; 0x0a-0x0d are status registers A-D; every other byte
 * in 0x0e-0x7f is battery-backed NVRAM, pre-filled at creation with the
 * memory-size bytes PC firmware reads (0x15-0x18, 0x30/0x31, 0x34/0x35,
 * 0x5b-0x5d).
 *
 * Time model: guest time = host CLOCK_REALTIME (UTC) + an offset the guest
 * changes by writing the time (with register B SET, or directly).  Register
 * values are computed from the clock on each read, so no timer is needed to
 * keep time.  UIP (register A bit 7) reads 1 during the last 244 us before
 * each second boundary; the new second is visible as UIP clears.  The update
 * (UF), alarm (AF, with 0xc0-0xff "don't care" bytes) and periodic (PF)
 * flags are computed lazily from the clock when register C is read, and by
 * rtc_cmos_tick() which the VMM main loop calls from a timer armed with
 * rtc_cmos_next_event_ns(); IRQ 8 follows IRQF until register C is read.
 * Divider values 000/001/010 all run the clock at the 32.768 kHz rate;
 * 011-111 stop it (11x is the divider reset: the first update comes 500 ms
 * after it is released).  DSE and SQWE are stored but have no effect.
 * Guest-written time values that are out of range are clamped (then
 * normalised: Feb 30 becomes Mar 2); the day of week is always derived
 * from the date.
 *
 * Thread safety: one mutex per device.  Port accesses come from vCPU
 * threads, rtc_cmos_tick/next_event from the main loop.  The IRQ line is
 * driven with the mutex held (lock order: rtc_cmos before whatever the line
 * calls, e.g. the IOAPIC).
 */
#ifndef NIMBUS_DEVICES_RTC_CMOS_H
#define NIMBUS_DEVICES_RTC_CMOS_H

#include <stdint.h>

#include "devices/bus.h"
#include "devices/irq.h"

#define RTC_CMOS_NR_PORTS 2u
#define RTC_CMOS_NVRAM_SIZE 128u

/* Returns the current host CLOCK_REALTIME in nanoseconds. */
typedef int64_t rtc_cmos_clock_fn(void *opaque);
/* Tells the VMM the next event time may have changed (re-query it). */
typedef void rtc_cmos_rearm_fn(void *opaque);

struct rtc_cmos_cfg {
	/* IRQ 8.  Copied into the device; NULL = no interrupt output. */
	const struct irq_line *irq;
	/* Guest RAM below 4 GiB (from 0) and above 4 GiB, in bytes. */
	uint64_t mem_below_4g, mem_above_4g;
	/* Optional clock (tests); NULL = clock_gettime(CLOCK_REALTIME). */
	rtc_cmos_clock_fn *clock_ns;
	void *opaque;
	/*
	 * Optional: called on a vCPU thread, without the device mutex held,
	 * after a guest access that may have moved the next event (writes to
	 * registers A/B or the time, register C reads).  It may call
	 * rtc_cmos_next_event_ns().
	 */
	rtc_cmos_rearm_fn *rearm;
	void *rearm_opaque;
};

struct rtc_cmos;

/*
 * Allocate and initialise an RTC (register A 0x26, B 0x02: 24-hour BCD,
 * time = host time, NVRAM zero except the memory-size bytes).  Main
 * thread, before vCPUs run.  Returns 0 with *out set (free with
 * rtc_cmos_destroy), -EINVAL on a NULL cfg/out, -ENOMEM.
 */
int rtc_cmos_create(const struct rtc_cmos_cfg *cfg, struct rtc_cmos **out);

/*
 * Claim ports [base, base+2) on `bus` (normally the PIO bus at
 * X86_RTC_PORT), 1-byte accesses only.  Returns bus_register()'s result.
 */
int rtc_cmos_attach(struct rtc_cmos *r, struct bus *bus, uint64_t base);

/* Free the device.  NULL-safe.  Does not unregister from the bus. */
void rtc_cmos_destroy(struct rtc_cmos *r);

/*
 * Hardware reset (RESET pin): clears PIE/AIE/UIE/SQWE and all register C
 * flags and lowers IRQ 8.  Time, register A and NVRAM are battery-backed
 * and kept.  Main thread (vCPUs paused) or any thread.
 */
void rtc_cmos_reset(struct rtc_cmos *r);

/*
 * The host CLOCK_REALTIME (ns) at which the next enabled interrupt source
 * (periodic with PIE, update/alarm with UIE/AIE; alarms are checked at
 * every update) becomes due.  Returns 0 with *when set, or -ENOENT when
 * nothing is enabled or IRQ 8 is already raised (nothing can change until
 * the guest reads register C, which calls cfg->rearm).  Main loop thread.
 */
int rtc_cmos_next_event_ns(struct rtc_cmos *r, int64_t *when);

/*
 * Bring the register C flags up to the current clock and raise IRQ 8 if an
 * enabled flag is set.  Called by the main loop when the timer armed from
 * rtc_cmos_next_event_ns() fires; harmless at any other time.
 */
void rtc_cmos_tick(struct rtc_cmos *r);

#endif /* NIMBUS_DEVICES_RTC_CMOS_H */
