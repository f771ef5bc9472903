// SPDX-License-Identifier: Apache-2.0
/*
 * test_mshv_irq.c - interrupt plumbing of the MSHV plugin on the scripted
 * /dev/mshv: the split irqchip, irqfd assign/deassign (no resample fds),
 * MMIO ioeventfds (PIO refused with -EOPNOTSUPP before the kernel), the
 * MSI routing table (replace semantics, address_hi, duplicates) and
 * signal_msi through HVCALL_ASSERT_VIRTUAL_INTERRUPT.
 */
#include "tests/unit/test_mshv_fx.h"

static void test_irqchip(void **state)
{
	struct mfx *f = mfx_new();
	struct hv_vm_config vc = { .size = sizeof(vc),
				   .arch = HV_ARCH_X86_64,
				   .nr_vcpus = 1 };
	struct hv_irqchip_config ic = { .size = sizeof(ic),
					.model = HV_IRQCHIP_GICV3,
					.nr_pins = 24 };

	mfx_open_hv(f);
	assert_int_equal(f->ops->vm_create(f->hv, &vc, &f->vm), 0);
	assert_int_equal(f->ops->irqchip_create(f->vm, &ic), -EOPNOTSUPP);
	ic.model = HV_IRQCHIP_X86_SPLIT;
	ic.nr_pins = 0;
	assert_int_equal(f->ops->irqchip_create(f->vm, &ic), -EINVAL);
	ic.nr_pins = 24;
	ic.size = 4;
	assert_int_equal(f->ops->irqchip_create(f->vm, &ic), -EINVAL);
	ic.size = sizeof(ic);
	assert_int_equal(f->ops->irqchip_create(f->vm, &ic), 0);
	assert_int_equal(f->ops->irqchip_create(f->vm, &ic), -EEXIST);
	assert_int_equal(f->ops->irqchip_finalize(f->vm), 0);
	/* No in-kernel pins: wired interrupts are routes + irqfds. */
	assert_int_equal(f->ops->irq_line(f->vm, 4, 1), -EOPNOTSUPP);
	f->ops->vm_destroy(f->vm);
	f->vm = NULL;
	mfx_free(f);
}

static void test_irqchip_after_vcpu(void **state)
{
	struct mfx *f = mfx_new();
	struct hv_vm_config vc = { .size = sizeof(vc),
				   .arch = HV_ARCH_X86_64,
				   .nr_vcpus = 1 };
	struct hv_irqchip_config ic = { .size = sizeof(ic),
					.model = HV_IRQCHIP_X86_SPLIT,
					.nr_pins = 24 };

	mfx_open_hv(f);
	assert_int_equal(f->ops->vm_create(f->hv, &vc, &f->vm), 0);
	f->vcpu = mfx_vcpu_new(f, 0);
	assert_int_equal(f->ops->irqchip_create(f->vm, &ic), -EBUSY);
	f->ops->vcpu_destroy(f->vcpu);
	f->vcpu = NULL;
	f->ops->vm_destroy(f->vm);
	f->vm = NULL;
	mfx_free(f);
}

static void test_irqfd(void **state)
{
	struct mfx *f = *state;
	uint32_t gsi;

	assert_int_equal(f->ops->irqfd(f->vm, 7, 5, -1, 1), 0);
	assert_int_equal(mshv_script_irqfd(f->s, 7, &gsi), 0);
	assert_int_equal(gsi, 5);
	assert_int_equal(f->ops->irqfd(f->vm, 7, 6, -1, 1), -EBUSY);
	assert_int_equal(f->ops->irqfd(f->vm, 8, 4096, -1, 1), -EINVAL);
	assert_int_equal(f->ops->irqfd(f->vm, -1, 5, -1, 1), -EINVAL);
	/* Resample fds are not offered: EOIs come back as HV_EXIT_EOI. */
	assert_int_equal(f->ops->irqfd(f->vm, 9, 5, 10, 1), -EOPNOTSUPP);
	assert_int_equal(mshv_script_irqfd(f->s, 9, &gsi), -ENOENT);
	assert_int_equal(f->ops->irqfd(f->vm, 7, 5, -1, 0), 0);
	assert_int_equal(mshv_script_irqfd(f->s, 7, &gsi), -ENOENT);
	assert_int_equal(f->ops->irqfd(f->vm, 7, 5, -1, 0), -ENOENT);
	assert_int_equal(mshv_script_ioctls(f->s, MSHV_IRQFD), 4);
}

static void test_ioeventfd(void **state)
{
	struct mfx *f = *state;
	struct hv_ioeventfd ioe = { .space = HV_IO_MMIO,
				    .len = 2,
				    .addr = 0xe0001000,
				    .datamatch = 0x1234,
				    .fd = 11,
				    .has_datamatch = 1 };
	struct mshv_user_ioeventfd k;

	assert_int_equal(f->ops->ioeventfd(f->vm, &ioe, 1), 0);
	assert_int_equal(f->s->nr_ioes, 1);
	k = f->s->ioes[0];
	assert_int_equal(k.addr, 0xe0001000);
	assert_int_equal(k.len, 2);
	assert_int_equal(k.fd, 11);
	assert_int_equal(k.datamatch, 0x1234);
	assert_int_equal(k.flags, MSHV_IOEVENTFD_FLAG_DATAMATCH);
	assert_int_equal(f->ops->ioeventfd(f->vm, &ioe, 1), -EEXIST);
	/* Any-value match, any length. */
	ioe.has_datamatch = 0;
	ioe.len = 0;
	ioe.addr = 0xe0002000;
	ioe.fd = 12;
	assert_int_equal(f->ops->ioeventfd(f->vm, &ioe, 1), 0);
	assert_int_equal(f->s->ioes[1].flags, 0);
	assert_int_equal(f->ops->ioeventfd(f->vm, &ioe, 0), 0);
	assert_int_equal(f->s->nr_ioes, 1);
	/* Refused before the kernel: PIO, bad lengths, datamatch too wide. */
	ioe.space = HV_IO_PIO;
	ioe.len = 2;
	assert_int_equal(f->ops->ioeventfd(f->vm, &ioe, 1), -EOPNOTSUPP);
	ioe.space = HV_IO_MMIO;
	ioe.len = 3;
	assert_int_equal(f->ops->ioeventfd(f->vm, &ioe, 1), -EINVAL);
	ioe.len = 1;
	ioe.has_datamatch = 1;
	ioe.datamatch = 0x100;
	assert_int_equal(f->ops->ioeventfd(f->vm, &ioe, 1), -EINVAL);
	ioe.fd = -1;
	assert_int_equal(f->ops->ioeventfd(f->vm, &ioe, 1), -EINVAL);
	assert_int_equal(mshv_script_ioctls(f->s, MSHV_IOEVENTFD), 4);
}

static void test_routes(void **state)
{
	struct mfx *f = *state;
	struct hv_route r[3] = {
		{ .gsi = 0,
		  .type = HV_ROUTE_MSI,
		  .u.msi = { .addr = 0xfee01000, .data = 0x8031 } },
		{ .gsi = 40,
		  .type = HV_ROUTE_MSI,
		  .u.msi = { .addr = 0xfee00004, .data = 0x22 } },
		{ .gsi = 41,
		  .type = HV_ROUTE_MSI,
		  .u.msi = { .addr = 0xfee00000, .data = 0x23 } },
	};
	struct mshv_user_irq_entry e;

	assert_int_equal(f->ops->set_routes(f->vm, r, 3), 0);
	assert_int_equal(f->s->nr_routes, 3);
	e = f->s->routes[1];
	assert_int_equal(e.gsi, 40);
	assert_int_equal(e.address_lo, 0xfee00004);
	assert_int_equal(e.address_hi, 0);
	assert_int_equal(e.data, 0x22);
	/* Replace semantics. */
	assert_int_equal(f->ops->set_routes(f->vm, r, 1), 0);
	assert_int_equal(f->s->nr_routes, 1);
	assert_int_equal(f->ops->set_routes(f->vm, NULL, 0), 0);
	assert_int_equal(f->s->nr_routes, 0);
	/* Refused: above 4 GiB, irqchip pins, duplicates, range. */
	r[2].u.msi.addr = 0x1fee00000ull;
	assert_int_equal(f->ops->set_routes(f->vm, r, 3), -EINVAL);
	r[2].u.msi.addr = 0xfee00000;
	r[2].type = HV_ROUTE_IRQCHIP;
	assert_int_equal(f->ops->set_routes(f->vm, r, 3), -EINVAL);
	r[2].type = HV_ROUTE_MSI;
	r[2].gsi = 40;
	assert_int_equal(f->ops->set_routes(f->vm, r, 3), -EINVAL);
	r[2].gsi = 4096;
	assert_int_equal(f->ops->set_routes(f->vm, r, 3), -EINVAL);
	assert_int_equal(f->ops->set_routes(f->vm, r, 4097), -EINVAL);
	assert_int_equal(mshv_script_ioctls(f->s, MSHV_SET_MSI_ROUTING), 3);
}

static void test_signal_msi(void **state)
{
	struct mfx *f = *state;
	struct hv_input_assert_virtual_interrupt a;

	/* Logical destination 3, lowest priority, level, vector 0x41. */
	assert_int_equal(f->ops->signal_msi(f->vm, 0xfee03004, 0x8141, 0), 0);
	assert_int_equal(f->s->nr_asserts, 1);
	a = f->s->last_assert;
	assert_int_equal(a.interrupt_type,
			 HV_X64_INTERRUPT_TYPE_LOWESTPRIORITY);
	assert_int_equal(a.control_flags,
			 HV_INTERRUPT_CONTROL_LEVEL |
				 HV_INTERRUPT_CONTROL_LOGICAL_DEST);
	assert_int_equal(a.dest_addr, 3);
	assert_int_equal(a.vector, 0x41);
	/* NMI to APIC 1, physical, edge. */
	assert_int_equal(f->ops->signal_msi(f->vm, 0xfee01000, 0x400, 0), 0);
	a = f->s->last_assert;
	assert_int_equal(a.interrupt_type, HV_X64_INTERRUPT_TYPE_NMI);
	assert_int_equal(a.control_flags, 0);
	assert_int_equal(a.dest_addr, 1);
	assert_int_equal(f->ops->signal_msi(f->vm, 0x1fee00000ull, 0x30, 0),
			 -EINVAL);
	mshv_script_fail_hvcall(f->s, HVCALL_ASSERT_VIRTUAL_INTERRUPT, EINVAL,
				1);
	assert_int_equal(f->ops->signal_msi(f->vm, 0xfee00000, 0x30, 0),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_irqchip),
		cmocka_unit_test(test_irqchip_after_vcpu),
		cmocka_unit_test_setup_teardown(test_irqfd, mfx_setup,
						mfx_teardown),
		cmocka_unit_test_setup_teardown(test_ioeventfd, mfx_setup,
						mfx_teardown),
		cmocka_unit_test_setup_teardown(test_routes, mfx_setup,
						mfx_teardown),
		cmocka_unit_test_setup_teardown(test_signal_msi, mfx_setup,
						mfx_teardown),
	};

	return cmocka_run_group_tests_name("mshv_irq", tests, NULL, NULL);
}
