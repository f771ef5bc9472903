// SPDX-License-Identifier: Apache-2.0
/*
 * cmos: read the RTC as a kernel does (wait for UIP to clear, honour the
 * BCD/binary and 12/24-hour bits) and print the time for the host to
 * compare with its own clock.
 */
#include "lib.h"

static uint32_t bcd(uint8_t v, int binary)
{
	return binary ? v : (uint32_t)(v >> 4) * 10 + (v & 0x0f);
}

int guest_main(uint32_t start_info)
{
	uint8_t s, m, h, d, mo, y, c, b;
	uint32_t spins = 0;

	serial_init();
	if (!(cmos_read(0x0d) & 0x80)) {
		fail("cmos", "register D says the RTC is not valid");
		return 0;
	}
	while ((cmos_read(0x0a) & 0x80) && ++spins < 100000000)
		;
	s = cmos_read(0x00);
	m = cmos_read(0x02);
	h = cmos_read(0x04);
	d = cmos_read(0x07);
	mo = cmos_read(0x08);
	y = cmos_read(0x09);
	c = cmos_read(0x32);
	b = cmos_read(0x0b);
	puts_serial("NIMBUS-TEST: RTC ");
	put_dec(bcd(c, b & 4) * 100 + bcd(y, b & 4));
	puts_serial("-");
	put_dec(bcd(mo, b & 4));
	puts_serial("-");
	put_dec(bcd(d, b & 4));
	puts_serial(" ");
	put_dec(bcd(h & 0x7f, b & 4) + ((b & 2) ? 0 : ((h & 0x80) ? 12 : 0)));
	puts_serial(":");
	put_dec(bcd(m, b & 4));
	puts_serial(":");
	put_dec(bcd(s, b & 4));
	puts_serial("\n");
	/* NVRAM survives a write/read round trip. */
	cmos_write(0x40, 0xa5);
	if (cmos_read(0x40) != 0xa5) {
		fail("cmos", "NVRAM byte did not stick");
		return 0;
	}
	pass("cmos");
	return 0;
}
