// SPDX-License-Identifier: Apache-2.0
/*
 * test_mshv_aarch64.c - the aarch64 part of the MSHV plugin on the
 * scripted /dev/mshv (built and run only in aarch64 builds, e.g. under
 * qemu-aarch64-static; elsewhere it skips): the partition initialised at
 * irqchip_create after the GIC properties, memory recorded before and
 * mapped after, VP setup (PSTATE, GICR address), data aborts decoded from
 * the ESR syndrome (sizes, sign extension, XZR, RAM vs MMIO, PC + 4),
 * PSCI resets, registers, routes and irq_line.
 */
#include "tests/unit/test_mshv_fx.h"

#if defined(__aarch64__)
#include "hv/hv_aarch64.h"

#define DIST 0x08000000ull
#define REDIST 0x080a0000ull
#define ITS 0x08080000ull
#define MMIO 0x09000000ull
#define PC0 0x40080000ull

static int setup_a64(void **state)
{
	struct mfx *f = mfx_new();
	struct hv_vm_config vc = { .size = sizeof(vc),
				   .arch = HV_ARCH_AARCH64,
				   .nr_vcpus = 2 };

	mfx_open_hv(f);
	assert_int_equal(f->ops->vm_create(f->hv, &vc, &f->vm), 0);
	assert_int_equal(f->ops->map_memory(f->vm, 0, MFX_RAM_SIZE, f->ram,
					    HV_MEM_READ | HV_MEM_WRITE |
						    HV_MEM_EXEC),
			 0);
	*state = f;
	return 0;
}

static void gic(struct mfx *f)
{
	struct hv_irqchip_config ic = { .size = sizeof(ic),
					.model = HV_IRQCHIP_GICV3,
					.nr_pins = 256,
					.dist_base = DIST,
					.redist_base = REDIST,
					.redist_size = 0x40000,
					.its_base = ITS };

	assert_int_equal(f->ops->irqchip_create(f->vm, &ic), 0);
}

static void prop_early(struct mfx *f, uint32_t code, uint64_t want)
{
	uint64_t val;
	bool early;

	assert_int_equal(mshv_script_property(f->s, code, &val, &early), 0);
	assert_true(early);
	assert_int_equal(val, want);
}

static void test_partition_and_vp(void **state)
{
	struct mfx *f = *state;
	struct hv_vcpu_config cc = { .size = sizeof(cc), .nr_vcpus = 2 };
	struct hv_vcpu *v1 = NULL;

	assert_int_equal(f->s->create.pt_flags,
			 1u << MSHV_PT_BIT_GPA_SUPER_PAGES);
	assert_false(f->s->initialized);
	assert_int_equal(f->s->nr_regions, 0); /* recorded, not mapped */
	assert_int_equal(f->ops->vcpu_create(f->vm, 0, &cc, f, &f->vcpu),
			 -EINVAL);
	gic(f);
	prop_early(f, HV_PARTITION_PROPERTY_GICD_BASE_ADDRESS, DIST);
	prop_early(f, HV_PARTITION_PROPERTY_GITS_TRANSLATER_BASE_ADDRESS, ITS);
	prop_early(f, HV_PARTITION_PROPERTY_GIC_LPI_INT_ID_BITS, 0);
	prop_early(f,
		   HV_PARTITION_PROPERTY_GIC_PPI_OVERFLOW_INTERRUPT_FROM_CNTV,
		   27);
	prop_early(f,
		   HV_PARTITION_PROPERTY_GIC_PPI_PERFORMANCE_MONITORS_INTERRUPT,
		   23);
	assert_true(f->s->initialized);
	assert_int_equal(f->s->nr_regions, 1);
	assert_int_equal(f->ops->vcpu_create(f->vm, 0, &cc, f, &f->vcpu), 0);
	assert_int_equal(f->ops->vcpu_create(f->vm, 1, &cc, f, &v1), 0);
	assert_int_equal(mshv_script_reg64(f->s, 1, HV_ARM64_REGISTER_PSTATE),
			 0x3c5);
	assert_int_equal(mshv_script_reg64(f->s, 1,
					   HV_ARM64_REGISTER_GICR_BASE_GPA),
			 REDIST + 0x20000);
	f->ops->vcpu_destroy(v1);
	/* The kernel keeps a VP until the partition goes. */
	assert_int_equal(f->ops->vcpu_create(f->vm, 1, &cc, f, &v1), -EEXIST);
	cc.features = 1ull << 40;
	assert_int_equal(f->ops->vcpu_create(f->vm, 2, &cc, f, &v1),
			 -EOPNOTSUPP);
	assert_false(f->s->vps[2].open);
}

static struct hv_arm64_memory_intercept_message *
abort_msg(struct hv_message *m, uint64_t gpa, uint64_t esr)
{
	struct hv_arm64_memory_intercept_message *a = &m->u.a64_mem;

	mshv_script_msg(m, HVMSG_UNMAPPED_GPA, sizeof(*a));
	a->header.pc = PC0;
	a->guest_physical_address = gpa;
	a->syndrome = esr;
	return a;
}

/* ESR of a data abort with a valid syndrome. */
static uint64_t esr(uint32_t sas, bool sse, uint32_t srt, bool sf, bool wnr)
{
	return (1ull << 25) | (1ull << 24) | ((uint64_t)sas << 22) |
	       ((uint64_t)sse << 21) | ((uint64_t)srt << 16) |
	       ((uint64_t)sf << 15) | ((uint64_t)wnr << 6);
}

static void test_data_aborts(void **state)
{
	struct mfx *f = *state;
	struct hv_message m;
	struct hv_exit e;

	gic(f);
	f->vcpu = mfx_vcpu_new(f, 0);
	mshv_script_reg_set64(f->s, 0, HV_ARM64_REGISTER_X0 + 1,
			      0x1122334455667788ull);
	abort_msg(&m, MMIO, esr(2, false, 1, false, true)); /* str w1 */
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_NONE);
	assert_int_equal(f->mmio[0].len, 4);
	assert_true(f->mmio[0].write);
	assert_memory_equal(f->mmio[0].data, "\x88\x77\x66\x55", 4);
	assert_int_equal(mfx_reg(f, HV_ARM64_REGISTER_PC), PC0 + 4);
	assert_int_equal(e.pc, PC0);
	f->io_read = 0x80;
	abort_msg(&m, MMIO, esr(0, true, 3, true, false)); /* ldrsb x3 */
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_NONE);
	assert_int_equal(mfx_reg(f, HV_ARM64_REGISTER_X0 + 3),
			 0xffffffffffffff80ull);
	f->io_read = 0xffffffff80000000ull;
	abort_msg(&m, MMIO, esr(3, false, 4, false, false)); /* ldr w4 */
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_NONE);
	assert_int_equal(mfx_reg(f, HV_ARM64_REGISTER_X0 + 4), 0x80000000);
	/* str wzr, 16-bit instruction length. */
	abort_msg(&m, MMIO, esr(1, false, 31, false, true) & ~(1ull << 25));
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_NONE);
	assert_memory_equal(f->mmio[3].data, "\0\0", 2);
	assert_int_equal(mfx_reg(f, HV_ARM64_REGISTER_PC), PC0 + 2);
	/* A RAM address is served from RAM; no syndrome is an error. */
	abort_msg(&m, 0x1000, esr(3, false, 1, true, true));
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_NONE);
	assert_memory_equal(f->ram + 0x1000, "\x88\x77\x66\x55\x44\x33\x22\x11",
			    8);
	abort_msg(&m, MMIO, 0);
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_INTERNAL);
	abort_msg(&m, MMIO, esr(2, false, 1, false, true))->header.vp_index = 1;
	mfx_push(f, &m);
	mfx_run_expect(f, &e, HV_EXIT_INTERNAL);
	assert_int_equal(f->nr_mmio, 4);
}

static void test_resets_and_regs(void **state)
{
	struct mfx *f = *state;
	static const uint32_t want[] = { HV_EXIT_SHUTDOWN, HV_EXIT_RESET,
					 HV_EXIT_RESET, HV_EXIT_SHUTDOWN,
					 HV_EXIT_INTERNAL };
	struct hv_a64_regs r, back;
	struct hv_message m;
	struct hv_exit e;
	uint64_t val;
	uint32_t i;

	gic(f);
	f->vcpu = mfx_vcpu_new(f, 0);
	for (i = 0; i < 5; i++) {
		mshv_script_msg(&m, HVMSG_ARM64_RESET_INTERCEPT, 32);
		m.u.a64_reset.reset_type = i;
		mfx_push(f, &m);
		mfx_run_expect(f, &e, want[i]);
	}
	memset(&r, 0, sizeof(r));
	for (i = 0; i < 31; i++)
		r.x[i] = 100 + i;
	r.pc = PC0;
	r.pstate = 0x3c5;
	r.sp_el1 = 0x1234;
	assert_int_equal(f->ops->vcpu_set_regs(f->vcpu, HV_A64_REGS_CORE, &r,
					       sizeof(r)),
			 0);
	assert_int_equal(mfx_reg(f, HV_ARM64_REGISTER_LR), 130);
	assert_int_equal(mfx_reg(f, HV_ARM64_REGISTER_SP_EL1), 0x1234);
	assert_int_equal(f->ops->vcpu_get_regs(f->vcpu, HV_A64_REGS_CORE, &back,
					       sizeof(back)),
			 0);
	assert_memory_equal(&r, &back, sizeof(r));
	assert_int_equal(f->ops->vcpu_get_reg(f->vcpu, HV_A64_PC, &val), 0);
	assert_int_equal(val, PC0);
	assert_int_equal(f->ops->vcpu_set_reg(f->vcpu, HV_A64_X0, 0x4000), 0);
	assert_int_equal(mfx_reg(f, HV_ARM64_REGISTER_X0), 0x4000);
	assert_int_equal(f->ops->vcpu_get_reg(f->vcpu, HV_A64_MP_STATE, &val),
			 -EOPNOTSUPP);
}

static void test_interrupts(void **state)
{
	struct mfx *f = *state;
	struct hv_route r[2] = {
		{ .gsi = 1, .type = HV_ROUTE_IRQCHIP, .u.irqchip.pin = 5 },
		{ .gsi = 2,
		  .type = HV_ROUTE_MSI,
		  .u.msi = { .addr = ITS + 0x10040, .data = 7 } },
	};
	struct hv_input_assert_virtual_interrupt a;

	assert_int_equal(f->ops->irq_line(f->vm, 5, 1), -ENXIO);
	gic(f);
	assert_int_equal(f->ops->set_routes(f->vm, r, 2), 0);
	assert_int_equal(f->s->routes[0].data, 37);
	assert_int_equal(f->s->routes[0].address_lo, 0);
	assert_int_equal(f->s->routes[1].address_lo, ITS + 0x10040);
	r[1].u.msi.addr = 1ull << 32;
	assert_int_equal(f->ops->set_routes(f->vm, r, 2), -EINVAL);
	assert_int_equal(f->ops->irq_line(f->vm, 5, 1), 0);
	a = f->s->last_assert;
	assert_int_equal(a.vector, 37);
	assert_int_equal(a.control_flags, 5);
	assert_int_equal(f->ops->irq_line(f->vm, 5, 0), 0);
	assert_int_equal(f->s->last_assert.control_flags, 1);
	assert_int_equal(f->ops->irq_line(f->vm, 988, 1), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_partition_and_vp,
						setup_a64, mfx_teardown),
		cmocka_unit_test_setup_teardown(test_data_aborts, setup_a64,
						mfx_teardown),
		cmocka_unit_test_setup_teardown(test_resets_and_regs, setup_a64,
						mfx_teardown),
		cmocka_unit_test_setup_teardown(test_interrupts, setup_a64,
						mfx_teardown),
	};

	return cmocka_run_group_tests_name("mshv_aarch64", tests, NULL, NULL);
}

#else /* !__aarch64__ */

static void test_not_aarch64(void **state)
{
	skip();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_aarch64),
	};

	return cmocka_run_group_tests_name("mshv_aarch64", tests, NULL, NULL);
}

#endif
