// SPDX-License-Identifier: Apache-2.0
/*
 * acpireset: announce a boot, then write the FADT reset value to the ACPI
 * reset register (port 0x600).  The host sees one BOOT line per boot.
 */
#include "lib.h"

int guest_main(uint32_t start_info)
{
	serial_init();
	puts_serial("NIMBUS-TEST: BOOT\n");
	outb(0x600, 0x01);
	for (;;)
		__asm__ volatile("cli; hlt");
	return 0;
}
