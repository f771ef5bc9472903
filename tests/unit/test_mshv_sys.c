// SPDX-License-Identifier: Apache-2.0
/*
 * test_mshv_sys.c - the MSHV plugin's system and VM ops on the scripted
 * /dev/mshv: probe (no node -> -ENODEV, no permission -> -EACCES, the old
 * out-of-tree ABI -> -EPROTO with a message), open/close, capabilities,
 * the ioctl allow-list, the ops table itself, and partition creation with
 * its flags and early/late properties, hypercall retries and unwinding.
 */
#include "tests/unit/test_mshv_fx.h"

#include "hv/hv_call.h"

static void test_ops_table_complete(void **state)
{
	char err[256] = "";

	assert_int_equal(mfx_ops.size, sizeof(struct hv_ops));
	assert_int_equal(hv_check_ops(&mfx_ops, err, sizeof(err)), 0);
	assert_non_null(mfx_ops.signal_msi);
	assert_non_null(mfx_ops.dirty_log_fetch);
	assert_non_null(mfx_ops.vcpu_get_reg);
}

static void test_probe_no_device(void **state)
{
	struct mfx *f = mfx_new();
	struct hv *hv = NULL;

	f->s->open_err = ENOENT;
	assert_int_equal(f->ops->probe(&f->host), -ENODEV);
	assert_int_equal(f->ops->open(&f->host, &hv), -ENODEV);
	assert_null(hv);
	f->s->open_err = EACCES;
	assert_int_equal(f->ops->probe(&f->host), -EACCES);
	f->s->open_err = EIO;
	assert_int_equal(f->ops->probe(&f->host), -EIO);
	mfx_free(f);
}

static void test_probe_upstream(void **state)
{
	struct mfx *f = mfx_new();

	assert_int_equal(f->ops->probe(&f->host), 0);
	/* No side effects: no partition, the node closed again. */
	assert_int_equal(mshv_script_ioctls(f->s, MSHV_CREATE_PARTITION), 0);
	assert_int_equal(mshv_script_open_fds(f->s), 0);
	assert_int_equal(mshv_script_ioctls(f->s, MSHV_OLD_CHECK_EXTENSION), 1);
	mfx_free(f);
}

static void test_probe_old_abi(void **state)
{
	struct mfx *f = mfx_new();
	struct hv *hv = NULL;

	f->s->abi = MSHV_SCRIPT_ABI_OLD;
	assert_int_equal(f->ops->probe(&f->host), -EPROTO);
	assert_non_null(strstr(mfx_log, "old out-of-tree"));
	assert_non_null(strstr(mfx_log, "6.15"));
	assert_null(strchr(mfx_log, '\n'));
	assert_int_equal(f->ops->open(&f->host, &hv), -EPROTO);
	assert_null(hv);
	assert_int_equal(mshv_script_open_fds(f->s), 0);
	mfx_free(f);
}

static void test_open_bad_host(void **state)
{
	struct mfx *f = mfx_new();
	struct hv *hv = NULL;
	struct hv_host small = f->host;

	small.size = offsetof(struct hv_host, mmio);
	assert_int_equal(f->ops->open(&small, &hv), -EINVAL);
	small = f->host;
	small.gpa_to_hva = NULL;
	assert_int_equal(f->ops->open(&small, &hv), -EINVAL);
	assert_int_equal(mshv_open_with_sys(&f->host, NULL, &hv), -EINVAL);
	assert_null(hv);
	assert_int_equal(mshv_script_open_fds(f->s), 0);
	mfx_free(f);
}

static void test_caps_and_allowlist(void **state)
{
	struct mfx *f = mfx_new();
	const unsigned long *cmds;
	struct hv_caps caps;
	bool run = false, hvcall = false, create_vp = false,
	     create_part = false;
	size_t n, i;

	mfx_open_hv(f);
	assert_int_equal(mshv_script_open_fds(f->s), 1);
	assert_int_equal(f->ops->get_caps(f->hv, &caps), 0);
	assert_true(caps.flags & HV_CAP_IRQFD);
	assert_true(caps.flags & HV_CAP_IOEVENTFD);
	assert_true(caps.flags & HV_CAP_MSI_ROUTES);
	assert_true(caps.flags & HV_CAP_DIRTY_LOG);
	assert_true(caps.flags & HV_CAP_SPLIT_IRQCHIP);
	assert_false(caps.flags & HV_CAP_PIO_IOEVENTFD);
	assert_false(caps.flags & HV_CAP_IRQ_LINE);
	assert_int_equal(caps.max_vcpus, 256);
	assert_int_equal(caps.max_gsi, 4096);
	assert_true(caps.ipa_bits >= 32 && caps.ipa_bits <= 64);
	assert_int_equal(f->ops->get_ioctl_allowlist(f->hv, &cmds, &n), 0);
	for (i = 0; i < n; i++) {
		run |= cmds[i] == MSHV_RUN_VP;
		hvcall |= cmds[i] == MSHV_ROOT_HVCALL;
		create_vp |= cmds[i] == MSHV_CREATE_VP;
		/* A reboot makes a new partition on the sandboxed thread. */
		create_part |= cmds[i] == MSHV_CREATE_PARTITION;
	}
	assert_true(run && hvcall && create_vp && create_part);
	f->ops->close(f->hv);
	f->hv = NULL;
	assert_int_equal(mshv_script_open_fds(f->s), 0);
	mfx_free(f);
}

static void test_vm_create_partition(void **state)
{
	struct mfx *f = mfx_new();
	struct mshv_create_partition c;
	uint64_t val;
	bool early;

	mfx_vm(f, 2);
	c = f->s->create;
	assert_int_equal(c.pt_flags,
			 (1u << MSHV_PT_BIT_LAPIC) |
				 (1u << MSHV_PT_BIT_X2APIC) |
				 (1u << MSHV_PT_BIT_GPA_SUPER_PAGES));
	assert_int_equal(c.pt_isolation, MSHV_PT_ISOLATION_NONE);
	assert_true(f->s->initialized);
	assert_int_equal(mshv_script_ioctls(f->s, MSHV_INITIALIZE_PARTITION),
			 1);
	/* Synthetic features before initialize: QEMU's set. */
	assert_int_equal(mshv_script_property(
				 f->s,
				 HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES,
				 &val, &early),
			 0);
	assert_true(early);
	assert_int_equal(val, 0x6400FFB);
	/* Unknown MSRs read as zero, set after initialize. */
	assert_int_equal(mshv_script_property(
				 f->s,
				 HV_PARTITION_PROPERTY_UNIMPLEMENTED_MSR_ACTION,
				 &val, &early),
			 0);
	assert_false(early);
	assert_int_equal(val, 1);
	assert_int_equal(mshv_script_open_fds(f->s), 2);
	mfx_free(f);
}

static void test_vm_create_bad_config(void **state)
{
	struct mfx *f = mfx_new();
	struct hv_vm_config vc = { .size = sizeof(vc),
				   .arch = HV_ARCH_AARCH64,
				   .nr_vcpus = 1 };
	struct hv_vm *vm = NULL;

	mfx_open_hv(f);
	assert_int_equal(f->ops->vm_create(f->hv, &vc, &vm), -EINVAL);
	vc.arch = HV_ARCH_X86_64;
	vc.nr_vcpus = 0;
	assert_int_equal(f->ops->vm_create(f->hv, &vc, &vm), -EINVAL);
	vc.nr_vcpus = 257;
	assert_int_equal(f->ops->vm_create(f->hv, &vc, &vm), -EINVAL);
	vc.nr_vcpus = 1;
	vc.size = 8;
	assert_int_equal(f->ops->vm_create(f->hv, &vc, &vm), -EINVAL);
	vc.size = sizeof(vc);
	vc.ipa_bits = 65;
	assert_int_equal(f->ops->vm_create(f->hv, &vc, &vm), -EINVAL);
	assert_null(vm);
	/* The arch refusal came after creation: the partition is gone. */
	assert_int_equal(mshv_script_open_fds(f->s), 1);
	mfx_free(f);
}

/* A kernel that lost the upstream numbers after probe. */
static void test_vm_create_not_upstream(void **state)
{
	struct mfx *f = mfx_new();
	struct hv_vm_config vc = { .size = sizeof(vc),
				   .arch = HV_ARCH_X86_64,
				   .nr_vcpus = 1 };
	struct hv_vm *vm = NULL;

	mfx_open_hv(f);
	mshv_script_fail_ioctl(f->s, MSHV_CREATE_PARTITION, ENOTTY, 1);
	assert_int_equal(f->ops->vm_create(f->hv, &vc, &vm), -EPROTO);
	assert_non_null(strstr(mfx_log, "upstream"));
	mshv_script_fail_ioctl(f->s, MSHV_CREATE_PARTITION, EINTR, 2);
	assert_int_equal(f->ops->vm_create(f->hv, &vc, &vm), 0);
	assert_int_equal(mshv_script_ioctls(f->s, MSHV_CREATE_PARTITION), 4);
	f->vm = vm;
	mfx_free(f);
}

static void test_hvcall_eagain_retried(void **state)
{
	struct mfx *f = mfx_new();

	mshv_script_fail_hvcall(f->s, HVCALL_SET_PARTITION_PROPERTY, EAGAIN, 3);
	mfx_vm(f, 1);
	/* Three deposits, then the synthetic features, then the MSR action. */
	assert_int_equal(
		mshv_script_hvcalls(f->s, HVCALL_SET_PARTITION_PROPERTY), 5);
	assert_int_equal(mshv_script_property(
				 f->s,
				 HV_PARTITION_PROPERTY_SYNTHETIC_PROC_FEATURES,
				 NULL, NULL),
			 0);
	mfx_free(f);
}

static void test_vm_create_unwinds(void **state)
{
	struct mfx *f = mfx_new();
	struct hv_vm_config vc = { .size = sizeof(vc),
				   .arch = HV_ARCH_X86_64,
				   .nr_vcpus = 1 };
	struct hv_vm *vm = NULL;

	mfx_open_hv(f);
	mshv_script_fail_hvcall(f->s, HVCALL_SET_PARTITION_PROPERTY, EINVAL, 1);
	assert_int_equal(f->ops->vm_create(f->hv, &vc, &vm), -EINVAL);
	assert_int_equal(mshv_script_open_fds(f->s), 1);
	mshv_script_fail_ioctl(f->s, MSHV_INITIALIZE_PARTITION, ENOMEM, 1);
	assert_int_equal(f->ops->vm_create(f->hv, &vc, &vm), -ENOMEM);
	assert_int_equal(mshv_script_open_fds(f->s), 1);
	assert_null(vm);
	/* A working one afterwards, and teardown closes it. */
	assert_int_equal(f->ops->vm_create(f->hv, &vc, &vm), 0);
	assert_int_equal(mshv_script_open_fds(f->s), 2);
	f->ops->vm_destroy(vm);
	assert_int_equal(mshv_script_open_fds(f->s), 1);
	mfx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ops_table_complete),
		cmocka_unit_test(test_probe_no_device),
		cmocka_unit_test(test_probe_upstream),
		cmocka_unit_test(test_probe_old_abi),
		cmocka_unit_test(test_open_bad_host),
		cmocka_unit_test(test_caps_and_allowlist),
		cmocka_unit_test(test_vm_create_partition),
		cmocka_unit_test(test_vm_create_bad_config),
		cmocka_unit_test(test_vm_create_not_upstream),
		cmocka_unit_test(test_hvcall_eagain_retried),
		cmocka_unit_test(test_vm_create_unwinds),
	};

	return cmocka_run_group_tests_name("mshv_sys", tests, NULL, NULL);
}
