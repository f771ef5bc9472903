// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_uart.c - the 16550A (devices/serial_8250.c) under a sequence of
 * guest port accesses, interleaved with host input (uart8250_rx) and
 * resets.
 */
#include <stdlib.h>

#include "devices/irq.h"
#include "devices/serial_8250.h"
#include "tests/fuzz/fuzz.h"

#define BASE 0x3f8u

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct st {
	struct uart8250 *u;
	size_t tx_bytes;
	unsigned int irqs, spaces;
};

static void on_irq(void *opaque, uint32_t pin, int level)
{
	struct st *s = opaque;

	s->irqs += !!level;
}

static void on_tx(void *opaque, const uint8_t *buf, size_t len)
{
	struct st *s = opaque;

	FUZZ_CHECK(len > 0 && buf);
	s->tx_bytes += len;
}

static void on_space(void *opaque)
{
	struct st *s = opaque;

	s->spaces++;
}

static void hook(void *opaque, uint8_t op, struct fz *f)
{
	struct st *s = opaque;
	uint8_t buf[32];

	if (op & 0x08) {
		size_t n = fz_u8(f) % sizeof(buf), room, took;

		fz_take(f, buf, n);
		room = uart8250_rx_space(s->u);
		took = uart8250_rx(s->u, buf, n);
		FUZZ_CHECK(took <= n);
		FUZZ_CHECK(took <= room || room == 0);
	}
	if ((op & 0xf0) == 0xf0)
		uart8250_reset(s->u);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_log();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct st s = { 0 };
	struct uart8250_cfg cfg = {
		.tx = on_tx,
		.rx_space = on_space,
		.opaque = &s,
	};
	struct irq_line irq;
	struct bus pio;
	struct fz f;

	fz_init(&f, data, size);
	irq_line_init_cb(&irq, on_irq, &s, 4);
	if (fz_u8(&f) & 1)
		cfg.irq = &irq; /* or none */
	if (bus_init(&pio, "pio"))
		abort();
	if (uart8250_create(&cfg, &s.u) || uart8250_attach(s.u, &pio, BASE))
		abort();
	fz_bus_ops(&f, &pio, BASE, UART8250_NR_PORTS + 2, 4096, hook, &s);
	uart8250_destroy(s.u);
	bus_destroy(&pio);
	return 0;
}
