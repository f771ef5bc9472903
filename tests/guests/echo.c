// SPDX-License-Identifier: Apache-2.0
/*
 * echo: console input.  Prints READY, then echoes every byte received on
 * COM1 (polling LSR.DR) until it reads 'q', then prints the count and
 * powers off.  The host sends more than the 16-byte FIFO holds, so the
 * VMM's input back-pressure is exercised too.
 */
#include "lib.h"

int guest_main(uint32_t start_info)
{
	uint32_t n = 0;
	uint8_t c;

	serial_init();
	puts_serial("NIMBUS-TEST: READY\n");
	for (;;) {
		while (!(inb(COM1 + 5) & 0x01))
			__asm__ volatile("pause");
		c = inb(COM1);
		if (c == 'q')
			break;
		putc_serial((char)c);
		n++;
	}
	puts_serial("\nNIMBUS-TEST: ECHOED ");
	put_dec(n);
	puts_serial("\n");
	pass("echo");
	return 0;
}
