// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_i8042.c - the i8042 controller (devices/i8042.c) under a sequence
 * of guest accesses to ports 0x60-0x67 (data, command/status, and the
 * unclaimed ports between them), with resets.
 */
#include <stdlib.h>

#include "devices/i8042.h"
#include "tests/fuzz/fuzz.h"

#define BASE 0x60u

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct st {
	struct i8042 *d;
	unsigned int resets;
};

static void on_reset(void *opaque)
{
	struct st *s = opaque;

	s->resets++;
}

static void hook(void *opaque, uint8_t op, struct fz *f)
{
	struct st *s = opaque;

	if ((op & 0xf8) == 0xf8)
		i8042_reset(s->d);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_log();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct st s = { 0 };
	struct i8042_cfg cfg = { .reset = on_reset, .opaque = &s };
	struct bus pio;
	struct fz f;

	fz_init(&f, data, size);
	if (bus_init(&pio, "pio"))
		abort();
	if (fz_u8(&f) & 1)
		cfg.reset = NULL;
	if (i8042_create(&cfg, &s.d) || i8042_attach(s.d, &pio, BASE))
		abort();
	fz_bus_ops(&f, &pio, BASE, 8, 4096, hook, &s);
	i8042_destroy(s.d);
	bus_destroy(&pio);
	return 0;
}
