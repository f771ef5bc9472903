/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lib.h - freestanding helpers for the tiny test guests: port and MMIO
 * access, COM1 output, the IOAPIC/LAPIC, CMOS, power-off and results.
 * Results are reported as lines "NIMBUS-TEST: PASS <name>" or
 * "NIMBUS-TEST: FAIL <name> <why>" on COM1, then the guest powers off.
 */
#ifndef NIMBUS_TEST_GUEST_LIB_H
#define NIMBUS_TEST_GUEST_LIB_H

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void mmio_write32(uint32_t addr, uint32_t v)
{
	*(volatile uint32_t *)addr = v;
}

static inline uint32_t mmio_read32(uint32_t addr)
{
	return *(volatile uint32_t *)addr;
}

static inline void sti(void)
{
	__asm__ volatile("sti" ::: "memory");
}

static inline void cli(void)
{
	__asm__ volatile("cli" ::: "memory");
}

/* sti; hlt as one unit so an interrupt cannot slip in between. */
static inline void sti_hlt(void)
{
	__asm__ volatile("sti; hlt" ::: "memory");
}

typedef void irq_handler_fn(uint32_t vector);

void serial_init(void);
void putc_serial(char c);
void puts_serial(const char *s);
void put_dec(uint32_t v);
void put_hex(uint32_t v);
void pass(const char *name);
void fail(const char *name, const char *why);
void poweroff(void) __attribute__((noreturn));
void set_handler(uint32_t vector, irq_handler_fn *fn);
void lapic_enable(void);
void lapic_eoi(void);
void ioapic_route(uint32_t pin, uint32_t vector, int level);
uint8_t cmos_read(uint8_t reg);
void cmos_write(uint8_t reg, uint8_t v);
void *memcpy(void *d, const void *s, uint32_t n);
void delay_loops(uint32_t n);

int guest_main(uint32_t start_info);

#define LAPIC_BASE 0xfee00000u
#define IOAPIC_BASE 0xfec00000u
#define COM1 0x3f8

#endif
