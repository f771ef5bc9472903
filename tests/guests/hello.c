// SPDX-License-Identifier: Apache-2.0
/* hello: the smallest guest: one line on COM1, then ACPI power-off. */
#include "lib.h"

int guest_main(uint32_t start_info)
{
	serial_init();
	puts_serial("NIMBUS-TEST: HELLO\n");
	pass("hello");
	return 0;
}
