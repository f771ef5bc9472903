// SPDX-License-Identifier: Apache-2.0
/*
 * smp: the boot CPU wakes APIC id 1 with INIT-SIPI-SIPI through the LAPIC
 * (in the hypervisor); the AP runs a real-mode trampoline at 0x10000
 * that increments a counter.
 */
#include "lib.h"

#define TRAMPOLINE 0x10000u
#define COUNTER ((volatile uint32_t *)0x10f00u)

extern char ap_tramp_start[], ap_tramp_end[];

static void ipi(uint32_t apic_id, uint32_t low)
{
	uint32_t spins = 0;

	mmio_write32(LAPIC_BASE + 0x310, apic_id << 24);
	mmio_write32(LAPIC_BASE + 0x300, low);
	while ((mmio_read32(LAPIC_BASE + 0x300) & (1u << 12)) &&
	       ++spins < 1000000)
		;
}

int guest_main(uint32_t start_info)
{
	uint32_t spins;

	serial_init();
	lapic_enable();
	*COUNTER = 0;
	memcpy((void *)TRAMPOLINE, ap_tramp_start,
	       (uint32_t)(ap_tramp_end - ap_tramp_start));
	ipi(1, 0x4500); /* INIT, assert */
	delay_loops(10000);
	ipi(1, 0x4600 | (TRAMPOLINE >> 12)); /* SIPI */
	delay_loops(1000);
	if (!*COUNTER)
		ipi(1, 0x4600 | (TRAMPOLINE >> 12)); /* second SIPI */
	for (spins = 0; !*COUNTER && spins < 100000000; spins++)
		__asm__ volatile("pause");
	if (*COUNTER == 1)
		pass("smp");
	else
		fail("smp", "the second vCPU did not run");
	return 0;
}
