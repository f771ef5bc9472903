// SPDX-License-Identifier: Apache-2.0
/*
 * reset: announce a boot, then pulse the CPU reset line through the
 * i8042 (command 0xFE).  The host sees one BOOT line per boot.
 */
#include "lib.h"

int guest_main(uint32_t start_info)
{
	serial_init();
	puts_serial("NIMBUS-TEST: BOOT\n");
	outb(0x64, 0xfe);
	for (;;)
		__asm__ volatile("cli; hlt");
	return 0;
}
