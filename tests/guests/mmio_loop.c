// SPDX-License-Identifier: Apache-2.0
/* mmio_loop: benchmark guest: 100000 reads of unclaimed MMIO. */
#include "lib.h"

int guest_main(uint32_t start_info)
{
	uint32_t i, sum = 0;

	for (i = 0; i < 100000; i++)
		sum += mmio_read32(0xd0000000u);
	serial_init();
	/* Nimbus answers unclaimed MMIO with all-ones, QEMU with zeros. */
	puts_serial(sum == 100000u * 0xffffffffu ? "all-ones\n" : "other\n");
	pass("mmio_loop");
	return 0;
}
