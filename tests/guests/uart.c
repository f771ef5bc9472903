// SPDX-License-Identifier: Apache-2.0
/*
 * uart: the 16550A as a driver sees it: scratch register, loopback with
 * the modem-status mirror, and a THRE interrupt delivered through the
 * IOAPIC (pin 4) and the LAPIC.
 */
#include "lib.h"

#define UART_VECTOR 0x24

/*
 * The handler ends the test instead of returning: this machine's software
 * KVM cannot emulate a protected-mode IRET, so no test relies on one.
 */
static void uart_isr(uint32_t vector)
{
	uint8_t iir = inb(COM1 + 2);

	outb(COM1 + 1, 0x00); /* one interrupt is all we want */
	lapic_eoi();
	if ((iir & 0x0f) == 0x02 && vector == UART_VECTOR)
		pass("uart-irq");
	else
		fail("uart-irq", "interrupt source is not THRE");
	poweroff();
}

static int loopback(void)
{
	uint8_t msr;

	outb(COM1 + 7, 0x5a);
	if (inb(COM1 + 7) != 0x5a) {
		fail("uart-loopback", "scratch register");
		return -1;
	}
	outb(COM1 + 4, 0x1a); /* LOOP | OUT2 | RTS */
	msr = inb(COM1 + 6) & 0xf0;
	if (msr != 0x90) {
		fail("uart-loopback", "MSR does not mirror MCR");
		return -1;
	}
	while (inb(COM1 + 5) & 0x01) /* drain */
		inb(COM1);
	outb(COM1, 'Z');
	if (!(inb(COM1 + 5) & 0x01) || inb(COM1) != 'Z') {
		fail("uart-loopback", "byte not looped back");
		return -1;
	}
	outb(COM1 + 4, 0x0b);
	pass("uart-loopback");
	return 0;
}

static void thre_irq(void)
{
	uint32_t spins;

	set_handler(UART_VECTOR, uart_isr);
	lapic_enable();
	ioapic_route(4, UART_VECTOR, 0);
	outb(COM1 + 1, 0x02); /* ETBEI with THR empty: interrupt now */
	sti();
	for (spins = 0; spins < 50000000; spins++)
		__asm__ volatile("pause");
	cli();
	fail("uart-irq", "no THRE interrupt arrived");
}

int guest_main(uint32_t start_info)
{
	serial_init();
	if (!loopback())
		thre_irq();
	return 0;
}
