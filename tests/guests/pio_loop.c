// SPDX-License-Identifier: Apache-2.0
/*
 * pio_loop: benchmark guest.  Writes a port that no device claims
 * 100000 times (one exit each), then powers off.  The run time minus
 * hello's is the cost of the exits.
 */
#include "lib.h"

int guest_main(uint32_t start_info)
{
	uint32_t i;

	for (i = 0; i < 100000; i++)
		outb(0x510, (uint8_t)i);
	serial_init();
	pass("pio_loop");
	return 0;
}
