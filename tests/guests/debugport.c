// SPDX-License-Identifier: Apache-2.0
/* debugport: POST codes on port 0x80 end up in the VMM's log. */
#include "lib.h"

int guest_main(uint32_t start_info)
{
	serial_init();
	outb(0x80, 0x41);
	outb(0x80, 0x61);
	pass("debugport");
	return 0;
}
