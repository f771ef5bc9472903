// SPDX-License-Identifier: Apache-2.0
/*
 * test_kvm_irq.c - the KVM plugin's interrupt and notification paths
 * against the real /dev/kvm: the split irqchip, MSI routes, irqfd,
 * signal_msi, irq_line, EOI exits of level interrupts, and ioeventfd on
 * port I/O and MMIO.
 *
 * Uses the fixture of tests/lib/kvm_fixture.h (hv-kvm.so loaded with
 * dlopen, driven only through its struct hv_ops).  Each test runs a tiny
 * real-mode guest (hand-assembled below, one instruction per line) that
 * talks back through port I/O.  Without a usable /dev/kvm every test is
 * skipped.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "tests/lib/kvm_fixture.h"

static void test_msi_irqfd(void **state)
{
	/* clang-format off */
	static const uint8_t code[] = {
		/* 0x1000 */ 0x31, 0xc0,                /* xor ax, ax */
		/* 0x1002 */ 0x8e, 0xd8,                /* mov ds, ax */
		/* 0x1004 */ 0xc7, 0x06, 0xc0, 0x00, 0x3c, 0x10,
				/* mov word [0x00c0], 0x103c ; IVT[0x30].ip */
		/* 0x100a */ 0xc7, 0x06, 0xc2, 0x00, 0x00, 0x00,
				/* mov word [0x00c2], 0 ; IVT[0x30].cs */
		/* 0x1010 */ 0xc7, 0x06, 0xc4, 0x00, 0x49, 0x10,
				/* mov word [0x00c4], 0x1049 ; IVT[0x31].ip */
		/* 0x1016 */ 0xc7, 0x06, 0xc6, 0x00, 0x00, 0x00,
				/* mov word [0x00c6], 0 ; IVT[0x31].cs */
		/* 0x101c */ 0x66, 0x64, 0xa1, 0x50, 0x03,
				/* mov eax, [fs:0x0350] ; LAPIC LVT LINT0 */
		/* 0x1021 */ 0x66, 0xe7, 0x16,          /* out 0x16, eax */
		/* 0x1024 */ 0x66, 0x64, 0xa1, 0x60, 0x03,
				/* mov eax, [fs:0x0360] ; LAPIC LVT LINT1 */
		/* 0x1029 */ 0x66, 0xe7, 0x16,          /* out 0x16, eax */
		/* 0x102c */ 0x66, 0x64, 0xc7, 0x06, 0xf0, 0x00,
			     0xff, 0x01, 0x00, 0x00,
				/* mov dword [fs:0x00f0], 0x1ff ; SVR on */
		/* 0x1036 */ 0xe6, 0x15,                /* out 0x15, al */
		/* 0x1038 */ 0xfb,                      /* sti */
		/* 0x1039 */ 0xf4,                      /* hlt */
		/* 0x103a */ 0xeb, 0xfc,                /* jmp 0x1038 */
		/* vector 0x30 (edge) handler: */
		/* 0x103c */ 0xe6, 0x14,                /* out 0x14, al */
		/* 0x103e */ 0x66, 0x64, 0xc7, 0x06, 0xb0, 0x00,
			     0x00, 0x00, 0x00, 0x00,
				/* mov dword [fs:0x00b0], 0 ; LAPIC EOI */
		/* 0x1048 */ 0xcf,                      /* iret */
		/* vector 0x31 (level) handler: */
		/* 0x1049 */ 0xe6, 0x17,                /* out 0x17, al */
		/* 0x104b */ 0x66, 0x64, 0xc7, 0x06, 0xb0, 0x00,
			     0x00, 0x00, 0x00, 0x00,
				/* mov dword [fs:0x00b0], 0 ; LAPIC EOI */
		/* 0x1055 */ 0xcf,                      /* iret */
	};
	/* clang-format on */
	const struct hv_irqchip_config chip = { .size = sizeof(chip),
						.model = HV_IRQCHIP_X86_SPLIT,
						.nr_pins = 24 };
	/* GSI 30: edge MSI, vector 0x30, fixed, physical dest APIC 0.
	 * GSI 5 (an IOAPIC pin): level MSI (trigger bit 15, assert bit 14),
	 * vector 0x31, whose EOI must come back as HV_EXIT_EOI. */
	const struct hv_route routes[] = {
		{ .gsi = 30,
		  .type = HV_ROUTE_MSI,
		  .u.msi = { .addr = HV_X86_LAPIC_BASE, .data = 0x30 } },
		{ .gsi = 5,
		  .type = HV_ROUTE_MSI,
		  .u.msi = { .addr = HV_X86_LAPIC_BASE,
			     .data = 0x31 | 1u << 15 | 1u << 14 } },
	};
	struct kvmt_fx *fx = *state;
	struct hv_exit exit = { 0 };
	uint64_t one = 1;
	int efd;

	KVMT_REQUIRE_KVM(fx);
	kvmt_create_vm(fx, 1);
	kvmt_map_ram(fx, 0);
	memcpy(fx->ram + KVMT_CODE_ADDR, code, sizeof(code));
	assert_int_equal(fx->ops->irqchip_create(fx->vm, &chip), 0);
	assert_int_equal(fx->ops->irqchip_create(fx->vm, &chip), -EEXIST);
	kvmt_create_vcpu(fx, NULL, HV_X86_LAPIC_BASE);
	assert_int_equal(fx->ops->irqchip_finalize(fx->vm), 0);
	assert_int_equal(fx->ops->set_routes(fx->vm, routes, 2), 0);
	efd = eventfd(0, EFD_CLOEXEC);
	assert_true(efd >= 0);
	assert_int_equal(fx->ops->irqfd(fx->vm, efd, 30, -1, 1), 0);

	/* The plugin set LINT0 to ExtINT and LINT1 to NMI. */
	kvmt_run(fx, &exit);
	kvmt_expect_pio(&exit, 0x16, 4, 1);
	assert_int_equal(kvmt_pio_u32(&exit) & 0x700, 0x700);
	kvmt_run(fx, &exit);
	kvmt_expect_pio(&exit, 0x16, 4, 1);
	assert_int_equal(kvmt_pio_u32(&exit) & 0x700, 0x400);

	kvmt_run(fx, &exit);
	kvmt_expect_pio(&exit, 0x15, 1, 1);
	/* irqfd -> MSI route -> LAPIC vector 0x30 -> handler. */
	assert_int_equal(write(efd, &one, sizeof(one)), sizeof(one));
	kvmt_run(fx, &exit);
	kvmt_expect_pio(&exit, 0x14, 1, 1);

	/* One-shot MSI. */
	assert_int_equal(
		fx->ops->signal_msi(fx->vm, HV_X86_LAPIC_BASE, 0x30, 0), 0);
	kvmt_run(fx, &exit);
	kvmt_expect_pio(&exit, 0x14, 1, 1);

	/* KVM_IRQ_LINE on the same GSI goes through the route too. */
	assert_int_equal(fx->ops->irq_line(fx->vm, 30, 1), 0);
	assert_int_equal(fx->ops->irq_line(fx->vm, 30, 0), 0);
	kvmt_run(fx, &exit);
	kvmt_expect_pio(&exit, 0x14, 1, 1);

	/* A level interrupt on an IOAPIC pin: its EOI exits to the host. */
	assert_int_equal(fx->ops->irq_line(fx->vm, 5, 1), 0);
	kvmt_run(fx, &exit);
	kvmt_expect_pio(&exit, 0x17, 1, 1);
	kvmt_run(fx, &exit);
	kvmt_expect_reason(&exit, HV_EXIT_EOI);
	assert_int_equal(exit.u.eoi.vector, 0x31);
	assert_int_equal(fx->ops->irq_line(fx->vm, 5, 0), 0);

	assert_int_equal(fx->ops->irqfd(fx->vm, efd, 30, -1, 0), 0);
	assert_int_equal(fx->ops->irqfd(fx->vm, efd, 1u << 30, -1, 1), -EINVAL);
	close(efd);
}

static uint64_t efd_count(int efd)
{
	uint64_t v = 0;

	if (read(efd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

static void test_ioeventfd(void **state)
{
	static const uint8_t code[] = {
		0xb0, 0x42, /* mov al, 0x42 */
		0xe6, 0x30, /* out 0x30, al (ioeventfd) */
		0x64, 0xa2, 0x00, 0x00, /* mov [fs:0], al (MMIO ioeventfd) */
		0xe6, 0x31, /* out 0x31, al -> exit 1 */
		0xb0, 0x41, /* mov al, 0x41 */
		0xe6, 0x32, /* out 0x32, al (no match) -> exit 2 */
		0xb0, 0x42, /* mov al, 0x42 */
		0xe6, 0x32, /* out 0x32, al (datamatch) */
		0xe6, 0x33, /* out 0x33, al -> exit 3 */
		0xe6, 0x30, /* out 0x30, al (deassigned) -> exit 4 */
		0xf4, /* hlt */
	};
	struct kvmt_fx *fx = *state;
	struct hv_exit exit = { 0 };
	struct hv_ioeventfd pio = { .space = HV_IO_PIO,
				    .len = 1,
				    .addr = 0x30 };
	struct hv_ioeventfd dm = { .space = HV_IO_PIO,
				   .len = 1,
				   .addr = 0x32,
				   .datamatch = 0x42,
				   .has_datamatch = 1 };
	struct hv_ioeventfd mmio = { .space = HV_IO_MMIO,
				     .len = 1,
				     .addr = KVMT_MMIO_GPA };
	struct hv_ioeventfd bad = { .space = HV_IO_PIO,
				    .len = 3,
				    .addr = 0x40 };

	KVMT_REQUIRE_KVM(fx);
	kvmt_boot(fx, code, sizeof(code), KVMT_MMIO_GPA);
	pio.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	dm.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	mmio.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_true(pio.fd >= 0 && dm.fd >= 0 && mmio.fd >= 0);
	assert_int_equal(fx->ops->ioeventfd(fx->vm, &pio, 1), 0);
	assert_int_equal(fx->ops->ioeventfd(fx->vm, &dm, 1), 0);
	assert_int_equal(fx->ops->ioeventfd(fx->vm, &mmio, 1), 0);
	bad.fd = pio.fd;
	assert_int_equal(fx->ops->ioeventfd(fx->vm, &bad, 1), -EINVAL);
	bad.len = 1;
	bad.addr = 0x10000;
	assert_int_equal(fx->ops->ioeventfd(fx->vm, &bad, 1), -EINVAL);
	assert_int_equal(efd_count(pio.fd), 0);

	kvmt_run(fx, &exit);
	kvmt_expect_pio(&exit, 0x31, 1, 1);
	assert_int_equal(efd_count(pio.fd), 1);
	assert_int_equal(efd_count(mmio.fd), 1);

	kvmt_run(fx, &exit);
	kvmt_expect_pio(&exit, 0x32, 1, 1);
	assert_int_equal(exit.u.pio.data[0], 0x41);
	assert_int_equal(efd_count(dm.fd), 0);

	kvmt_run(fx, &exit);
	kvmt_expect_pio(&exit, 0x33, 1, 1);
	assert_int_equal(efd_count(dm.fd), 1);
	assert_int_equal(fx->ops->ioeventfd(fx->vm, &pio, 0), 0);

	kvmt_run(fx, &exit);
	kvmt_expect_pio(&exit, 0x30, 1, 1);
	assert_int_equal(efd_count(pio.fd), 0);

	assert_int_equal(fx->ops->ioeventfd(fx->vm, &dm, 0), 0);
	assert_int_equal(fx->ops->ioeventfd(fx->vm, &mmio, 0), 0);
	close(pio.fd);
	close(dm.fd);
	close(mmio.fd);
}

int main(int argc, char **argv)
{
	struct kvmt_env env;
	const struct CMUnitTest tests[] = {
		KVMT_TEST(test_msi_irqfd, &env),
		KVMT_TEST(test_ioeventfd, &env),
	};

	if (kvmt_env_init(&env, argc, argv)) {
		fprintf(stderr, "test_kvm_irq: cannot set up\n");
		return 1;
	}
	return cmocka_run_group_tests_name("kvm_irq", tests, NULL, NULL);
}
