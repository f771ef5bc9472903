// SPDX-License-Identifier: Apache-2.0
/* mmio_loop: benchmark guest: 100000 reads of unclaimed MMIO. */
#include "lib.h"

int guest_main(uint32_t start_info)
{
	uint32_t i, sum = 0;

	for (i = 0; i < 100000; i++)
		sum += mmio_read32(0xd0000000u);
	return sum == 0x12345678; /* keeps the loop; value unused */
}
