// SPDX-License-Identifier: Apache-2.0
/*
 * lib.c - helpers shared by the tiny test guests (freestanding, 32-bit).
 */
#include "lib.h"

struct idt_entry {
	uint16_t off_lo, sel;
	uint8_t zero, type;
	uint16_t off_hi;
} __attribute__((packed));

static struct idt_entry idt[64] __attribute__((aligned(8)));
static irq_handler_fn *handlers[64];
extern char isr_stubs[];

void idt_setup(void);
void guest_interrupt(uint32_t vector);

void idt_setup(void)
{
	struct {
		uint16_t limit;
		uint32_t base;
	} __attribute__((packed)) desc = { sizeof(idt) - 1, (uint32_t)idt };
	uint32_t i;

	for (i = 0; i < 64; i++) {
		uint32_t a = (uint32_t)isr_stubs + i * 16;

		idt[i].off_lo = a & 0xffff;
		idt[i].off_hi = a >> 16;
		idt[i].sel = 0x08;
		idt[i].type = 0x8e; /* present, ring 0, 32-bit interrupt gate */
		idt[i].zero = 0;
	}
	__asm__ volatile("lidt %0" : : "m"(desc));
}

void guest_interrupt(uint32_t vector)
{
	if (vector < 64 && handlers[vector]) {
		handlers[vector](vector);
		return;
	}
	if (vector < 32) {
		puts_serial("NIMBUS-TEST: FAIL exception ");
		put_dec(vector);
		puts_serial("\n");
		poweroff();
	}
	/* A spurious device vector: acknowledge it. */
	lapic_eoi();
}

void set_handler(uint32_t vector, irq_handler_fn *fn)
{
	if (vector < 64)
		handlers[vector] = fn;
}

void *memcpy(void *d, const void *s, uint32_t n)
{
	uint8_t *dd = d;
	const uint8_t *ss = s;

	while (n--)
		*dd++ = *ss++;
	return d;
}

void serial_init(void)
{
	outb(COM1 + 1, 0x00); /* no interrupts */
	outb(COM1 + 3, 0x80); /* DLAB */
	outb(COM1 + 0, 0x01); /* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03); /* 8N1 */
	outb(COM1 + 2, 0x07); /* FIFO on, cleared */
	outb(COM1 + 4, 0x0b); /* DTR RTS OUT2 */
}

void putc_serial(char c)
{
	uint32_t spins = 0;

	while (!(inb(COM1 + 5) & 0x20) && ++spins < 1000000)
		;
	outb(COM1, (uint8_t)c);
}

void puts_serial(const char *s)
{
	while (*s)
		putc_serial(*s++);
}

void put_dec(uint32_t v)
{
	char buf[11];
	int i = 10;

	buf[10] = 0;
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	puts_serial(&buf[i]);
}

void put_hex(uint32_t v)
{
	static const char digits[] = "0123456789abcdef";
	int i;

	puts_serial("0x");
	for (i = 28; i >= 0; i -= 4)
		putc_serial(digits[(v >> i) & 0xf]);
}

void pass(const char *name)
{
	puts_serial("NIMBUS-TEST: PASS ");
	puts_serial(name);
	puts_serial("\n");
}

void fail(const char *name, const char *why)
{
	puts_serial("NIMBUS-TEST: FAIL ");
	puts_serial(name);
	puts_serial(" ");
	puts_serial(why);
	puts_serial("\n");
}

void poweroff(void)
{
	/* ACPI sleep control register: SLP_TYP=5 (S5) | SLP_EN. */
	outb(0x600, 0x34);
	/* QEMU's isa-debug-exit (benchmarks only); unclaimed on Nimbus. */
	outb(0xf4, 0);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void lapic_enable(void)
{
	mmio_write32(LAPIC_BASE + 0x80, 0); /* TPR: accept everything */
	mmio_write32(LAPIC_BASE + 0xf0, 0x1ff); /* SVR: enable, vector 0xff */
}

void lapic_eoi(void)
{
	mmio_write32(LAPIC_BASE + 0xb0, 0);
}

void ioapic_route(uint32_t pin, uint32_t vector, int level)
{
	uint32_t lo = vector | (level ? 1u << 15 : 0);

	mmio_write32(IOAPIC_BASE, 0x10 + pin * 2 + 1);
	mmio_write32(IOAPIC_BASE + 0x10, 0); /* destination APIC 0 */
	mmio_write32(IOAPIC_BASE, 0x10 + pin * 2);
	mmio_write32(IOAPIC_BASE + 0x10, lo);
}

uint8_t cmos_read(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

void cmos_write(uint8_t reg, uint8_t v)
{
	outb(0x70, reg);
	outb(0x71, v);
}

void delay_loops(uint32_t n)
{
	while (n--)
		__asm__ volatile("pause");
}
