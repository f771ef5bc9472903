// SPDX-License-Identifier: Apache-2.0
/*
 * test_ged.c - the ACPI Generic Event Device: notify pulses the edge
 * interrupt, a full register read returns and clears the events; the DSDT's GED/PWRB AML (cross-checked with iasl -d:
 * "Local0 = GDAT; If ((Local0 & 0x08)) { Notify (\_SB.PWRB, 0x80) }"),
 * and the AML operators added for it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86_64/acpi.h"
#include "arch/x86_64/aml.h"
#include "arch/x86_64/layout.h"
#include "devices/bus.h"
#include "devices/ged.h"
#include "vmm/log.h"

#define BASE 0xfeb00000ull

struct fixture {
	struct bus mmio;
	struct irq_line irq;
	struct ged *g;
	int level;
	unsigned int raises, lowers;
};

static void set_irq(void *opaque, uint32_t pin, int level)
{
	struct fixture *f = opaque;

	assert_int_equal(pin, 16);
	if (level && !f->level)
		f->raises++;
	if (!level && f->level)
		f->lowers++;
	f->level = level;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ged_cfg cfg = { .irq = NULL };

	if (!f || bus_init(&f->mmio, "mmio"))
		return -1;
	irq_line_init_cb(&f->irq, set_irq, f, 16);
	cfg.irq = &f->irq;
	if (ged_create(&cfg, &f->g) || ged_attach(f->g, &f->mmio, BASE))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	bus_unregister(&f->mmio, BASE);
	ged_destroy(f->g);
	bus_destroy(&f->mmio);
	free(f);
	return 0;
}

static uint32_t rd(struct fixture *f, uint64_t off, uint32_t len)
{
	uint32_t v = 0xdeadbeef;

	if (len < 4)
		v = 0;
	assert_int_equal(bus_access(&f->mmio, BASE + off, &v, len, 0), 0);
	return v;
}

static void test_notify_read_clears(void **state)
{
	struct fixture *f = *state;
	uint32_t w = 0xffffffff;

	assert_int_equal(rd(f, 0, 4), 0);
	assert_int_equal(f->level, 0);
	/* One edge per event: raised and lowered at once. */
	assert_int_equal(ged_notify(f->g, GED_EVT_POWER_BUTTON), 0);
	assert_int_equal(f->raises, 1);
	assert_int_equal(f->lowers, 1);
	assert_int_equal(f->level, 0);
	/* A second event before the guest reads: bits accumulate. */
	ged_notify(f->g, GED_EVT_PCI_HOTPLUG);
	assert_int_equal(f->raises, 2);
	assert_int_equal(ged_pending(f->g),
			 GED_EVT_POWER_BUTTON | GED_EVT_PCI_HOTPLUG);
	/* Writes do nothing; partial reads do not consume. */
	bus_access(&f->mmio, BASE, &w, 4, 1);
	assert_int_equal(rd(f, 0, 1), 0);
	assert_int_equal(rd(f, 4, 4), 0);
	assert_int_equal(rd(f, 0, 4),
			 GED_EVT_POWER_BUTTON | GED_EVT_PCI_HOTPLUG);
	assert_int_equal(rd(f, 0, 4), 0);
	/* Nothing to report: no edge. */
	assert_int_equal(ged_notify(f->g, 0), 0);
	assert_int_equal(f->raises, 2);
	ged_notify(f->g, GED_EVT_POWER_BUTTON);
	assert_int_equal(f->raises, 3);
	assert_int_equal(ged_create(&(struct ged_cfg){ 0 }, &f->g), -EINVAL);
}

static bool has_bytes(const struct aml_buf *b, const void *needle, size_t n)
{
	size_t i;

	for (i = 0; i + n <= b->len; i++)
		if (!memcmp(b->data + i, needle, n))
			return true;
	return false;
}

static void test_dsdt(void **state)
{
	struct x86_acpi_cfg c = {
		.nr_vcpus = 1,
		.has_ged = 1,
		.ged_base = X86_GED_ADDR,
		.ged_gsi = X86_GED_GSI,
	};
	static const uint8_t hid[] = "\x08_HID\x0d"
				     "ACPI0013";
	/* Extended Interrupt: consumer, edge, active high, exclusive. */
	static const uint8_t crs[] = { 0x89, 0x06, 0x00, 0x03, 0x01,
				       0x10, 0x00, 0x00, 0x00 };
	static const uint8_t opregion[] = { 0x5b, 0x80, 'G',  'D',  'S',
					    'T',  0x00, 0x0c, 0x00, 0x00,
					    0xb0, 0xfe, 0x0a, 0x04 };
	static const uint8_t field[] = { 'G', 'D', 'S', 'T', 0x43,
					 'G', 'D', 'A', 'T', 0x20 };
	static const uint8_t evt[] = { 0x70, 'G',  'D',	 'A',  'T',  0x60, 0xa0,
				       0x13, 0x7b, 0x60, 0x0a, 0x08, 0x00, 0x86,
				       0x5c, 0x2e, '_',	 'S',  'B',  '_',  'P',
				       'W',  'R',  'B',	 0x0a, 0x80 };
	static const uint8_t pwrb[] = { 0x08, '_',  'H',  'I',	'D',
					0x0c, 0x41, 0xd0, 0x0c, 0x0c };
	struct aml_buf b;

	aml_buf_init(&b);
	assert_int_equal(x86_acpi_dsdt_build(&b, &c), 0);
	assert_true(has_bytes(&b, hid, sizeof(hid) - 1));
	assert_true(has_bytes(&b, crs, sizeof(crs)));
	assert_true(has_bytes(&b, opregion, sizeof(opregion)));
	assert_true(has_bytes(&b, field, sizeof(field)));
	assert_true(has_bytes(&b, evt, sizeof(evt)));
	assert_true(has_bytes(&b, pwrb, sizeof(pwrb)));
	aml_buf_free(&b);
	/* Without has_ged, none of it. */
	c.has_ged = 0;
	assert_int_equal(x86_acpi_dsdt_build(&b, &c), 0);
	assert_false(has_bytes(&b, hid, sizeof(hid) - 1));
	assert_false(has_bytes(&b, pwrb, sizeof(pwrb)));
	aml_buf_free(&b);
}

static void test_aml_ops(void **state)
{
	static const struct aml_field_unit u[] = {
		{ "AB", 8 },   { NULL, 16 },	  { "C", 100 },
		{ "D", 5000 }, { "E", 1u << 20 },
	};
	/* Lengths: 8 (one byte), 100 (two), 5000 (three), 2^20 (four). */
	static const uint8_t want[] = {
		0x5b, 0x81, 0x22, 'R',	'E',  'G',  '_',  0x01, 'A',
		'B',  '_',  '_',  0x08, 0x00, 0x10, 'C',  '_',	'_',
		'_',  0x44, 0x06, 'D',	'_',  '_',  '_',  0x88, 0x38,
		0x01, 'E',  '_',  '_',	'_',  0xc0, 0x00, 0x00, 0x01,
	};
	struct aml_buf b;

	aml_buf_init(&b);
	assert_int_equal(aml_field(&b, "REG", AML_FIELD_BYTE_ACC, u, 5), 0);
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	aml_buf_free(&b);

	aml_buf_init(&b);
	aml_local(&b, 7);
	aml_store(&b);
	aml_and(&b);
	aml_null_target(&b);
	aml_notify(&b);
	assert_int_equal(aml_buf_err(&b), 0);
	assert_memory_equal(b.data, "\x67\x70\x7b\x00\x86", 5);
	assert_int_equal(aml_local(&b, 8), -EINVAL);
	aml_buf_free(&b);

	aml_buf_init(&b);
	assert_int_equal(
		aml_field(&b, "REG", 0,
			  (const struct aml_field_unit[]){ { "x", 8 } }, 1),
		-EINVAL);
	aml_buf_free(&b);
	aml_buf_init(&b);
	assert_int_equal(
		aml_field(&b, "REG", 0,
			  (const struct aml_field_unit[]){ { "X", 0 } }, 1),
		-EINVAL);
	aml_buf_free(&b);
	aml_buf_init(&b);
	assert_int_equal(aml_opregion(&b, "R", AML_SPACE_SYSTEM_IO, 0x600, 8),
			 0);
	assert_memory_equal(b.data, "\x5b\x80R___\x01\x0b\x00\x06\x0a\x08", 12);
	aml_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_notify_read_clears, setup,
						teardown),
		cmocka_unit_test(test_dsdt),
		cmocka_unit_test(test_aml_ops),
	};

	log_set_level(LOG_ERR);
	return cmocka_run_group_tests_name("ged", tests, NULL, NULL);
}
