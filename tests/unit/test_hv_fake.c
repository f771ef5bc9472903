// SPDX-License-Identifier: Apache-2.0
/*
 * test_hv_fake.c - the fake hypervisor's own behaviour, plus the core-side
 * hv wrappers (HV_CALL, hv_op_present, hv_check_ops, exit-reason names).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv/hv_call.h"
#include "hv/hv_x86_64.h"
#include "tests/fakes/hv_fake.h"

#define RAM_SIZE (16 * 4096)

struct fx {
	const struct hv_ops *ops;
	struct hv_host host;
	struct hv *hv;
	struct hv_vm *vm;
	struct hv_vcpu *vcpu;
	uint8_t *ram;
	/* what the hv_host callbacks saw */
	int mmio_calls, pio_calls;
	uint64_t gpa;
	uint16_t port;
	uint32_t len;
	int write;
	uint8_t data[8];
	int host_ret;
};

static int log_lines;

static void host_log(int level, const char *fmt, ...)
{
	log_lines++;
}

static int host_mmio(void *cookie, uint64_t gpa, void *data, uint32_t len,
		     int write)
{
	struct fx *f = cookie;

	f->mmio_calls++;
	f->gpa = gpa;
	f->len = len;
	f->write = write;
	if (write)
		memcpy(f->data, data, len);
	else
		memset(data, 0x5a, len);
	return f->host_ret;
}

static int host_pio(void *cookie, uint16_t port, void *data, uint32_t len,
		    int write)
{
	struct fx *f = cookie;

	f->pio_calls++;
	f->port = port;
	f->len = len;
	f->write = write;
	if (write)
		memcpy(f->data, data, len);
	else
		memset(data, 0x40 + f->pio_calls, len);
	return f->host_ret;
}

static void *host_gpa_to_hva(void *cookie, uint64_t gpa, uint64_t len)
{
	struct fx *f = cookie;

	return hv_fake_gpa_to_hva(f->vm, gpa, len);
}

static int setup(void **state)
{
	struct hv_vm_config vc = { .size = sizeof(vc),
				   .arch = HV_ARCH_X86_64,
				   .nr_vcpus = 2 };
	struct hv_vcpu_config cc = { .size = sizeof(cc), .nr_vcpus = 2 };
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	hv_fake_fail_clear();
	f->ops = hv_fake_desc.ops;
	f->host = (struct hv_host){ .abi_major = HV_ABI_MAJOR,
				    .abi_minor = HV_ABI_MINOR,
				    .size = sizeof(f->host),
				    .log = host_log,
				    .mmio = host_mmio,
				    .pio = host_pio,
				    .gpa_to_hva = host_gpa_to_hva };
	f->ram = aligned_alloc(4096, RAM_SIZE);
	assert_non_null(f->ram);
	memset(f->ram, 0, RAM_SIZE);
	assert_int_equal(f->ops->probe(&f->host), 0);
	assert_int_equal(f->ops->open(&f->host, &f->hv), 0);
	assert_int_equal(f->ops->vm_create(f->hv, &vc, &f->vm), 0);
	assert_int_equal(f->ops->vcpu_create(f->vm, 0, &cc, f, &f->vcpu), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (f->vcpu)
		f->ops->vcpu_destroy(f->vcpu);
	f->ops->vm_destroy(f->vm);
	f->ops->close(f->hv);
	assert_null(hv_fake_last_vm());
	assert_null(hv_fake_last_vcpu());
	free(f->ram);
	free(f);
	return 0;
}

/* --- core-side wrappers --- */

static void test_exit_reason_names(void **state)
{
	static const char *const want[HV_EXIT_REASON_MAX] = {
		"none",	      "mmio",	  "pio",       "hlt", "intr",
		"shutdown",   "reset",	  "hypercall", "msr", "debug",
		"fail_entry", "internal", "unknown",   "eoi",
	};
	char buf[HV_EXIT_REASON_STRLEN];
	uint32_t r;

	for (r = 0; r < HV_EXIT_REASON_MAX; r++) {
		assert_non_null(want[r]); /* a new reason needs a name here */
		assert_string_equal(hv_exit_reason_str(r), want[r]);
		assert_string_equal(hv_exit_reason_str(r, buf, sizeof(buf)),
				    want[r]);
	}
	assert_string_equal(hv_exit_reason_str(HV_EXIT_REASON_MAX),
			    "unknown(?)");
	assert_ptr_equal(hv_exit_reason_str(99, buf, sizeof(buf)), buf);
	assert_string_equal(buf, "unknown(99)");
	assert_string_equal(hv_exit_reason_fmt(4294967295u, buf, sizeof(buf)),
			    "unknown(4294967295)");
	assert_string_equal(hv_exit_reason_fmt(1000, NULL, 0), "unknown(?)");
	/* Truncation stays inside the buffer and NUL-terminated. */
	memset(buf, 'x', sizeof(buf));
	hv_exit_reason_fmt(12345, buf, 5);
	assert_string_equal(buf, "unkn");
}

static int stub_calls;

static int stub_vm_create(struct hv *hv, const struct hv_vm_config *cfg,
			  struct hv_vm **out)
{
	stub_calls++;
	return 7;
}

static void stub_kick(struct hv_vcpu *vcpu)
{
	stub_calls++;
}

static int count_arg(int *n)
{
	return ++*n;
}

static void test_hv_call(void **state)
{
	struct hv_ops o = *(const struct hv_ops *)hv_fake_desc.ops;
	struct hv_caps caps;
	int args = 0;

	stub_calls = 0;
	o.vm_create = stub_vm_create;
	o.vcpu_kick = stub_kick;
	/* Table ends before vm_create: never read it, never evaluate args. */
	o.size = HV_OPS_END(get_ioctl_allowlist);
	assert_int_equal(HV_CALL(&o, vm_create, NULL,
				 (void *)(uintptr_t)count_arg(&args), NULL),
			 -EOPNOTSUPP);
	assert_int_equal(stub_calls, 0);
	assert_int_equal(args, 0);
	assert_false(HV_HAS_OP(&o, vm_create));
	assert_true(HV_HAS_OP(&o, get_ioctl_allowlist));
	/* One byte short of the pointer still does not cover it. */
	o.size = HV_OPS_END(vm_create) - 1;
	assert_int_equal(HV_CALL(&o, vm_create, NULL, NULL, NULL), -EOPNOTSUPP);
	o.size = HV_OPS_END(vm_create);
	assert_int_equal(HV_CALL(&o, vm_create, NULL, NULL, NULL), 7);
	assert_int_equal(stub_calls, 1);
	/* A NULL optional op inside the table. */
	o.size = sizeof(o);
	o.signal_msi = NULL;
	assert_int_equal(HV_CALL(&o, signal_msi, NULL, 0, 0, 0), -EOPNOTSUPP);
	assert_false(HV_HAS_OP(&o, signal_msi));
	assert_int_equal(HV_CALL((const struct hv_ops *)NULL, get_caps, NULL,
				 &caps),
			 -EOPNOTSUPP);
	/* Void ops. */
	o.size = HV_OPS_END(vcpu_run);
	HV_CALL_VOID(&o, vcpu_kick, NULL);
	assert_int_equal(stub_calls, 1);
	o.size = HV_OPS_END(vcpu_kick);
	HV_CALL_VOID(&o, vcpu_kick, NULL);
	assert_int_equal(stub_calls, 2);
	/* hv_op_present rejects offsets that are not the end of an op. */
	o.size = sizeof(o);
	assert_true(hv_op_present(&o, HV_OPS_END(probe)));
	assert_true(hv_op_present(&o, HV_OPS_END(vcpu_set_reg)));
	assert_false(hv_op_present(&o, 0));
	assert_false(hv_op_present(&o, offsetof(struct hv_ops, probe)));
	assert_false(hv_op_present(&o, HV_OPS_END(probe) + 1));
	assert_false(hv_op_present(&o, sizeof(o) + sizeof(void *)));
	assert_false(hv_op_present(NULL, HV_OPS_END(probe)));
}

static const struct {
	const char *name;
	size_t off;
} mandatory[] = {
	{ "probe", offsetof(struct hv_ops, probe) },
	{ "open", offsetof(struct hv_ops, open) },
	{ "close", offsetof(struct hv_ops, close) },
	{ "get_caps", offsetof(struct hv_ops, get_caps) },
	{ "vm_create", offsetof(struct hv_ops, vm_create) },
	{ "vm_destroy", offsetof(struct hv_ops, vm_destroy) },
	{ "map_memory", offsetof(struct hv_ops, map_memory) },
	{ "unmap_memory", offsetof(struct hv_ops, unmap_memory) },
	{ "vcpu_create", offsetof(struct hv_ops, vcpu_create) },
	{ "vcpu_destroy", offsetof(struct hv_ops, vcpu_destroy) },
	{ "vcpu_run", offsetof(struct hv_ops, vcpu_run) },
	{ "vcpu_kick", offsetof(struct hv_ops, vcpu_kick) },
	{ "vcpu_get_regs", offsetof(struct hv_ops, vcpu_get_regs) },
	{ "vcpu_set_regs", offsetof(struct hv_ops, vcpu_set_regs) },
};

static void test_check_ops(void **state)
{
	const struct hv_ops *fake = hv_fake_desc.ops;
	struct hv_ops o;
	char err[256];
	size_t i;

	assert_int_equal(hv_check_ops(fake, err, sizeof(err)), 0);
	assert_int_equal(hv_check_ops(NULL, err, sizeof(err)), -EINVAL);
	/* Optional ops may be absent, inside or beyond the table. */
	o = *fake;
	o.signal_msi = NULL;
	o.get_ioctl_allowlist = NULL;
	o.size = HV_OPS_END(vcpu_set_regs);
	assert_int_equal(hv_check_ops(&o, err, sizeof(err)), 0);
	o.size = HV_OPS_END(vcpu_set_regs) - 1;
	assert_int_equal(hv_check_ops(&o, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "too short"));
	o.size = 0;
	assert_int_equal(hv_check_ops(&o, NULL, 0), -EINVAL);
	for (i = 0; i < sizeof(mandatory) / sizeof(mandatory[0]); i++) {
		o = *fake;
		memset((char *)&o + mandatory[i].off, 0, sizeof(void *));
		err[0] = '\0';
		assert_int_equal(hv_check_ops(&o, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, mandatory[i].name));
	}
}

/* --- memory --- */

static void test_map_memory(void **state)
{
	struct fx *f = *state;
	const struct hv_ops *o = f->ops;
	struct hv_fake_region r;
	uint8_t *ram = f->ram;

	assert_int_equal(o->map_memory(f->vm, 0x10000, 0x4000, ram,
				       HV_MEM_READ | HV_MEM_WRITE),
			 0);
	/* Overlaps: inside, across either end, covering. */
	assert_int_equal(o->map_memory(f->vm, 0x11000, 0x1000, ram + 0x8000, 1),
			 -EEXIST);
	assert_int_equal(o->map_memory(f->vm, 0xf000, 0x2000, ram + 0x8000, 1),
			 -EEXIST);
	assert_int_equal(o->map_memory(f->vm, 0x13000, 0x2000, ram + 0x8000, 1),
			 -EEXIST);
	assert_int_equal(o->map_memory(f->vm, 0x0, 0x20000, ram + 0x8000, 1),
			 -EEXIST);
	/* Adjacent on both sides is fine. */
	assert_int_equal(o->map_memory(f->vm, 0x14000, 0x1000, ram + 0x8000, 1),
			 0);
	assert_int_equal(o->map_memory(f->vm, 0xf000, 0x1000, ram + 0x9000, 1),
			 0);
	/* Malformed requests. */
	assert_int_equal(o->map_memory(f->vm, 0x20000, 0, ram, 1), -EINVAL);
	assert_int_equal(o->map_memory(f->vm, 0x20800, 0x1000, ram, 1),
			 -EINVAL);
	assert_int_equal(o->map_memory(f->vm, 0x20000, 0x1000, ram + 1, 1),
			 -EINVAL);
	assert_int_equal(o->map_memory(f->vm, ~0xfffull, 0x2000, ram, 1),
			 -EINVAL);
	assert_int_equal(o->map_memory(f->vm, 0x20000, 0x1000, ram, 1u << 9),
			 -EINVAL);
	assert_int_equal(hv_fake_nr_regions(f->vm), 3);
	assert_int_equal(hv_fake_get_region(f->vm, 0, &r), 0);
	assert_int_equal(r.gpa, 0x10000);
	assert_int_equal(r.size, 0x4000);
	assert_ptr_equal(r.hva, ram);
	assert_int_equal(r.flags, HV_MEM_READ | HV_MEM_WRITE);
	assert_int_equal(hv_fake_get_region(f->vm, 3, &r), -ENOENT);
	/* gpa_to_hva bounds. */
	assert_ptr_equal(hv_fake_gpa_to_hva(f->vm, 0x13fff, 1), ram + 0x3fff);
	assert_null(hv_fake_gpa_to_hva(f->vm, 0x13fff, 2 + 0x1000));
	assert_null(hv_fake_gpa_to_hva(f->vm, 0x20000, 1));
	assert_null(hv_fake_gpa_to_hva(f->vm, 0x10000, ~0ull));
	/* Unmap needs the exact mapping. */
	assert_int_equal(o->unmap_memory(f->vm, 0x11000, 0x1000), -ENOENT);
	assert_int_equal(o->unmap_memory(f->vm, 0x10000, 0x1000), -EINVAL);
	assert_int_equal(o->unmap_memory(f->vm, 0x10000, 0x4000), 0);
	assert_int_equal(hv_fake_nr_regions(f->vm), 2);
	assert_null(hv_fake_gpa_to_hva(f->vm, 0x10000, 1));
	assert_int_equal(o->map_memory(f->vm, 0x10000, 0x4000, ram, 1), 0);
}

static void test_dirty_log(void **state)
{
	struct fx *f = *state;
	const struct hv_ops *o = f->ops;
	uint64_t bm[2] = { ~0ull, ~0ull };

	assert_int_equal(o->map_memory(f->vm, 0, 0x10000, f->ram,
				       HV_MEM_READ | HV_MEM_LOG_DIRTY),
			 0);
	assert_int_equal(o->map_memory(f->vm, 0x100000, 0x1000, f->ram, 1), 0);
	assert_int_equal(hv_fake_mark_dirty(f->vm, 0x1234), 0);
	assert_int_equal(hv_fake_mark_dirty(f->vm, 0xf000), 0);
	assert_int_equal(hv_fake_mark_dirty(f->vm, 0xf001), 0);
	assert_int_equal(o->dirty_log_fetch(f->vm, 0, 0x10000, bm, 0), 0);
	assert_int_equal(bm[0], (1ull << 1) | (1ull << 15));
	assert_int_equal(bm[1], ~0ull); /* only 1 word for 16 pages */
	/* A sub-range is relative to its own start. */
	assert_int_equal(o->dirty_log_fetch(f->vm, 0x1000, 0x1000, bm, 0), 0);
	assert_int_equal(bm[0], 1);
	assert_int_equal(
		o->dirty_log_fetch(f->vm, 0, 0x10000, bm, HV_DIRTY_CLEAR), 0);
	assert_int_equal(bm[0], (1ull << 1) | (1ull << 15));
	assert_int_equal(o->dirty_log_fetch(f->vm, 0, 0x10000, bm, 0), 0);
	assert_int_equal(bm[0], 0);
	/* Logging off or unmapped: -ENOENT; misaligned: -EINVAL. */
	assert_int_equal(o->dirty_log_fetch(f->vm, 0x100000, 0x1000, bm, 0),
			 -ENOENT);
	assert_int_equal(o->dirty_log_fetch(f->vm, 0x200000, 0x1000, bm, 0),
			 -ENOENT);
	assert_int_equal(o->dirty_log_fetch(f->vm, 0x10, 0x1000, bm, 0),
			 -EINVAL);
	assert_int_equal(o->dirty_log_enable(f->vm, 0x100000, 0x1000, 1), 0);
	assert_int_equal(o->dirty_log_fetch(f->vm, 0x100000, 0x1000, bm, 0), 0);
	assert_int_equal(o->dirty_log_enable(f->vm, 0x300000, 0x1000, 1),
			 -ENOENT);
}

/* --- scripted exits --- */

static void test_mmio_read(void **state)
{
	struct fx *f = *state;
	struct hv_exit e = { .reason = HV_EXIT_MMIO,
			     .u.mmio = { .gpa = 0xd0000000, .len = 4 } };
	uint8_t buf[8];
	uint32_t len = sizeof(buf);

	assert_int_equal(hv_fake_push_exit(f->vcpu, &e), 0);
	assert_int_equal(hv_fake_nr_queued(f->vcpu), 1);
	memset(&e, 0, sizeof(e));
	assert_int_equal(f->ops->vcpu_run(f->vcpu, &e), 0);
	assert_int_equal(e.reason, HV_EXIT_MMIO);
	assert_int_equal(e.u.mmio.gpa, 0xd0000000);
	assert_int_equal(e.u.mmio.len, 4);
	assert_int_equal(e.u.mmio.write, 0);
	assert_int_equal(e.u.mmio.data[0], HV_FAKE_POISON);
	assert_int_equal(e.u.mmio.data[7], HV_FAKE_POISON);
	assert_int_equal(hv_fake_last_read(f->vcpu, buf, &len), -ENOENT);
	memcpy(e.u.mmio.data, "\x11\x22\x33\x44", 4);
	assert_int_equal(f->ops->vcpu_run(f->vcpu, &e), 0);
	assert_int_equal(e.reason, HV_EXIT_SHUTDOWN); /* queue now empty */
	len = sizeof(buf);
	assert_int_equal(hv_fake_last_read(f->vcpu, buf, &len), 0);
	assert_int_equal(len, 4);
	assert_memory_equal(buf, "\x11\x22\x33\x44", 4);
	len = 2;
	assert_int_equal(hv_fake_last_read(f->vcpu, buf, &len), -ENOSPC);
	assert_int_equal(len, 4);
	assert_int_equal(f->ops->vcpu_run(f->vcpu, &e), 0);
	assert_int_equal(e.reason, HV_EXIT_SHUTDOWN);
	assert_int_equal(hv_fake_nr_runs(f->vcpu), 1);
	assert_int_equal(hv_fake_nr_queued(f->vcpu), 0);
	/* A new read exit hides the old record until it completes. */
	e = (struct hv_exit){ .reason = HV_EXIT_MMIO,
			      .u.mmio = { .gpa = 0xd0000008, .len = 8 } };
	assert_int_equal(hv_fake_push_exit(f->vcpu, &e), 0);
	assert_int_equal(f->ops->vcpu_run(f->vcpu, &e), 0);
	len = sizeof(buf);
	assert_int_equal(hv_fake_last_read(f->vcpu, buf, &len), -ENOENT);
	memcpy(e.u.mmio.data, "ABCDEFGH", 8);
	assert_int_equal(f->ops->vcpu_run(f->vcpu, &e), 0);
	assert_int_equal(hv_fake_last_read(f->vcpu, buf, &len), 0);
	assert_int_equal(len, 8);
	assert_memory_equal(buf, "ABCDEFGH", 8);
}

static void test_pio(void **state)
{
	struct fx *f = *state;
	uint8_t out[4] = { 1, 2, 3, 4 }, buf[16];
	struct hv_exit e = { .reason = HV_EXIT_PIO,
			     .u.pio = { .port = 0x3f8,
					.size = 2,
					.write = 1,
					.count = 2,
					.data = out } };
	uint32_t len = sizeof(buf);

	assert_int_equal(hv_fake_push_exit(f->vcpu, &e), 0);
	e.u.pio = (typeof(e.u.pio)){ .port = 0x60, .size = 1, .count = 3 };
	assert_int_equal(hv_fake_push_exit(f->vcpu, &e), 0);
	e.u.pio.size = 4;
	e.u.pio.count = HV_FAKE_PIO_MAX / 4 + 1;
	assert_int_equal(hv_fake_push_exit(f->vcpu, &e), -EINVAL);
	out[0] = 9; /* the fake took a copy at push time */

	memset(&e, 0, sizeof(e));
	assert_int_equal(f->ops->vcpu_run(f->vcpu, &e), 0);
	assert_int_equal(e.reason, HV_EXIT_PIO);
	assert_int_equal(e.u.pio.port, 0x3f8);
	assert_non_null(e.u.pio.data);
	assert_ptr_not_equal(e.u.pio.data, out);
	assert_memory_equal(e.u.pio.data, "\x01\x02\x03\x04", 4);
	assert_int_equal(f->ops->vcpu_run(f->vcpu, &e), 0);
	assert_int_equal(e.reason, HV_EXIT_PIO);
	assert_int_equal(e.u.pio.port, 0x60);
	assert_int_equal(e.u.pio.write, 0);
	assert_memory_equal(e.u.pio.data, "\xcc\xcc\xcc", 3);
	/* The write exit completed without a read record. */
	assert_int_equal(hv_fake_last_read(f->vcpu, buf, &len), -ENOENT);
	memcpy(e.u.pio.data, "abc", 3);
	assert_int_equal(f->ops->vcpu_run(f->vcpu, &e), 0);
	len = sizeof(buf);
	assert_int_equal(hv_fake_last_read(f->vcpu, buf, &len), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(buf, "abc", 3);
}

static void test_kick(void **state)
{
	struct fx *f = *state;
	struct hv_exit e = { .reason = HV_EXIT_MMIO,
			     .u.mmio = { .gpa = 0x1000, .len = 1 } };
	uint8_t buf[8];
	uint32_t len = sizeof(buf);

	assert_int_equal(hv_fake_push_exit(f->vcpu, &e), 0);
	assert_int_equal(hv_fake_push_exit(f->vcpu, &e), 0);
	assert_int_equal(f->ops->vcpu_run(f->vcpu, &e), 0);
	assert_int_equal(e.reason, HV_EXIT_MMIO);
	e.u.mmio.data[0] = 0x77;
	f->ops->vcpu_kick(f->vcpu);
	assert_true(hv_fake_kick_pending(f->vcpu));
	/* The kick wins over the queue but the read still completes. */
	assert_int_equal(f->ops->vcpu_run(f->vcpu, &e), 0);
	assert_int_equal(e.reason, HV_EXIT_INTR);
	assert_false(hv_fake_kick_pending(f->vcpu));
	assert_int_equal(hv_fake_last_read(f->vcpu, buf, &len), 0);
	assert_int_equal(buf[0], 0x77);
	assert_int_equal(hv_fake_nr_queued(f->vcpu), 1);
	assert_int_equal(f->ops->vcpu_run(f->vcpu, &e), 0);
	assert_int_equal(e.reason, HV_EXIT_MMIO);
	/* Two kicks before a run give one INTR. */
	f->ops->vcpu_kick(f->vcpu);
	f->ops->vcpu_kick(f->vcpu);
	assert_int_equal(f->ops->vcpu_run(f->vcpu, &e), 0);
	assert_int_equal(e.reason, HV_EXIT_INTR);
	assert_int_equal(f->ops->vcpu_run(f->vcpu, &e), 0);
	assert_int_equal(e.reason, HV_EXIT_SHUTDOWN);
}

static void test_completion(void **state)
{
	struct fx *f = *state;
	struct hv_exit e = { .reason = HV_EXIT_HYPERCALL,
			     .u.hcall = { .nr = 0x84000000 } };

	assert_int_equal(hv_fake_last_completion(f->vcpu, &e), -ENOENT);
	assert_int_equal(hv_fake_push_exit(f->vcpu, &e), 0);
	e = (struct hv_exit){ .reason = HV_EXIT_MSR,
			      .u.msr = { .index = 0x1b } };
	assert_int_equal(hv_fake_push_exit(f->vcpu, &e), 0);
	assert_int_equal(f->ops->vcpu_run(f->vcpu, &e), 0);
	assert_int_equal(e.reason, HV_EXIT_HYPERCALL);
	assert_int_equal(e.u.hcall.nr, 0x84000000);
	e.u.hcall.ret[0] = 0x10002;
	assert_int_equal(f->ops->vcpu_run(f->vcpu, &e), 0);
	assert_int_equal(e.reason, HV_EXIT_MSR);
	e.u.msr.error = 1;
	assert_int_equal(f->ops->vcpu_run(f->vcpu, &e), 0);
	assert_int_equal(hv_fake_last_completion(f->vcpu, &e), 0);
	assert_int_equal(e.reason, HV_EXIT_MSR);
	assert_int_equal(e.u.msr.error, 1);
}

static void test_odd_exits(void **state)
{
	struct fx *f = *state;
	struct hv_exit e = { .reason = HV_EXIT_REASON_MAX + 5, .pc = 0x42 };

	/* A backend may hand out anything; the fake passes it through so
	 * core tests can check their handling of it. */
	assert_int_equal(hv_fake_push_exit(f->vcpu, &e), 0);
	e = (struct hv_exit){ .reason = HV_EXIT_SHUTDOWN,
			      .flags = HV_EXIT_F_TRIPLE_FAULT };
	assert_int_equal(hv_fake_push_exit(f->vcpu, &e), 0);
	memset(&e, 0, sizeof(e));
	assert_int_equal(f->ops->vcpu_run(f->vcpu, &e), 0);
	assert_int_equal(e.reason, HV_EXIT_REASON_MAX + 5);
	assert_int_equal(e.pc, 0x42);
	assert_int_equal(f->ops->vcpu_run(f->vcpu, &e), 0);
	assert_int_equal(e.reason, HV_EXIT_SHUTDOWN);
	assert_int_equal(e.flags, HV_EXIT_F_TRIPLE_FAULT);
}

static void test_fail_next(void **state)
{
	struct fx *f = *state;
	struct hv_exit e = { .reason = HV_EXIT_HLT };

	assert_int_equal(hv_fake_push_exit(f->vcpu, &e), 0);
	assert_int_equal(hv_fake_fail_next("vcpu_run", -EIO), 0);
	assert_int_equal(f->ops->vcpu_run(f->vcpu, &e), -EIO);
	assert_int_equal(hv_fake_nr_queued(f->vcpu), 1); /* nothing popped */
	assert_int_equal(f->ops->vcpu_run(f->vcpu, &e), 0);
	assert_int_equal(e.reason, HV_EXIT_HLT);

	assert_int_equal(hv_fake_fail_next("map_memory", -ENOMEM), 0);
	assert_int_equal(f->ops->map_memory(f->vm, 0, 0x1000, f->ram, 1),
			 -ENOMEM);
	assert_int_equal(hv_fake_nr_regions(f->vm), 0);
	assert_int_equal(f->ops->map_memory(f->vm, 0, 0x1000, f->ram, 1), 0);

	assert_int_equal(hv_fake_fail_next("probe", -ENODEV), 0);
	assert_int_equal(f->ops->probe(&f->host), -ENODEV);
	assert_int_equal(f->ops->probe(&f->host), 0);

	assert_int_equal(hv_fake_fail_next("set_routes", -EIO), 0);
	hv_fake_fail_clear();
	assert_int_equal(f->ops->set_routes(f->vm, NULL, 0), 0);

	assert_int_equal(hv_fake_fail_next("no_such_op", -EIO), -EINVAL);
	assert_int_equal(hv_fake_fail_next("vcpu_kick", -EIO), -EINVAL);
	assert_int_equal(hv_fake_fail_next(NULL, -EIO), -EINVAL);
	assert_int_equal(hv_fake_fail_next("vcpu_run", 5), -EINVAL);
	assert_int_equal(hv_fake_fail_next("vcpu_run", 0), -EINVAL);
}

/* --- interrupts --- */

static void test_routes_copy(void **state)
{
	struct fx *f = *state;
	struct hv_route r[3] = {
		{ .gsi = 1,
		  .type = HV_ROUTE_MSI,
		  .u.msi = { .addr = 0xfee00000, .data = 0x31 } },
		{ .gsi = 2,
		  .type = HV_ROUTE_MSI,
		  .u.msi = { .addr = 0xfee01000, .data = 0x32 } },
		{ .gsi = 3,
		  .type = HV_ROUTE_IRQCHIP,
		  .u.irqchip = { .chip = 0, .pin = 3 } },
	};
	struct hv_route got[4];
	unsigned int calls;
	uint32_t n;

	assert_int_equal(f->ops->set_routes(f->vm, r, 3), 0);
	r[0].u.msi.data = 0xdead; /* the caller's array is not kept */
	hv_fake_get_routes(f->vm, got, 4, &n, &calls);
	assert_int_equal(n, 3);
	assert_int_equal(calls, 1);
	assert_int_equal(got[0].u.msi.data, 0x31);
	assert_int_equal(got[1].u.msi.addr, 0xfee01000);
	assert_int_equal(got[2].u.irqchip.pin, 3);
	/* Replaces the whole table. */
	assert_int_equal(f->ops->set_routes(f->vm, &r[1], 1), 0);
	hv_fake_get_routes(f->vm, got, 1, &n, &calls);
	assert_int_equal(n, 1);
	assert_int_equal(calls, 2);
	assert_int_equal(got[0].gsi, 2);
	/* Bad entries are refused and leave the table alone. */
	r[0].type = 9;
	assert_int_equal(f->ops->set_routes(f->vm, r, 3), -EINVAL);
	r[0].type = HV_ROUTE_MSI;
	r[0].gsi = 1024;
	assert_int_equal(f->ops->set_routes(f->vm, r, 1), -EINVAL);
	assert_int_equal(f->ops->set_routes(f->vm, NULL, 1), -EINVAL);
	hv_fake_get_routes(f->vm, NULL, 0, &n, &calls);
	assert_int_equal(n, 1);
	assert_int_equal(calls, 2);
	assert_int_equal(f->ops->set_routes(f->vm, NULL, 0), 0);
	hv_fake_get_routes(f->vm, NULL, 0, &n, NULL);
	assert_int_equal(n, 0);
}

static void test_irqfd_ioeventfd(void **state)
{
	struct fx *f = *state;
	const struct hv_ops *o = f->ops;
	struct hv_ioeventfd io = {
		.space = HV_IO_MMIO, .len = 4, .addr = 0xd0000050, .fd = 12
	};
	struct hv_ioeventfd got;
	struct hv_fake_irqfd b;

	assert_int_equal(o->irqfd(f->vm, 10, 5, -1, 1), 0);
	assert_int_equal(o->irqfd(f->vm, 11, 6, 13, 1), 0);
	assert_int_equal(o->irqfd(f->vm, 10, 7, -1, 1), -EBUSY);
	assert_int_equal(o->irqfd(f->vm, -1, 7, -1, 1), -EINVAL);
	assert_int_equal(o->irqfd(f->vm, 14, 5000, -1, 1), -EINVAL);
	assert_int_equal(hv_fake_nr_irqfds(f->vm), 2);
	assert_int_equal(hv_fake_find_irqfd(f->vm, 6, &b), 0);
	assert_int_equal(b.fd, 11);
	assert_int_equal(b.resample_fd, 13);
	assert_int_equal(hv_fake_find_irqfd(f->vm, 7, &b), -ENOENT);
	assert_int_equal(o->irqfd(f->vm, 10, 6, -1, 0), -ENOENT);
	assert_int_equal(o->irqfd(f->vm, 10, 5, -1, 0), 0);
	assert_int_equal(hv_fake_nr_irqfds(f->vm), 1);
	assert_int_equal(hv_fake_get_irqfd(f->vm, 0, &b), 0);
	assert_int_equal(b.gsi, 6);

	assert_int_equal(o->ioeventfd(f->vm, &io, 1), 0);
	assert_int_equal(o->ioeventfd(f->vm, &io, 1), -EEXIST);
	io.has_datamatch = 1;
	io.datamatch = 2;
	assert_int_equal(o->ioeventfd(f->vm, &io, 1), 0);
	io.len = 3;
	assert_int_equal(o->ioeventfd(f->vm, &io, 1), -EINVAL);
	io.len = 4;
	assert_int_equal(hv_fake_nr_ioeventfds(f->vm), 2);
	assert_int_equal(hv_fake_get_ioeventfd(f->vm, 1, &got), 0);
	assert_int_equal(got.datamatch, 2);
	assert_int_equal(got.fd, 12);
	io.fd = 99;
	assert_int_equal(o->ioeventfd(f->vm, &io, 0), -ENOENT);
	io.fd = 12;
	assert_int_equal(o->ioeventfd(f->vm, &io, 0), 0);
	assert_int_equal(hv_fake_nr_ioeventfds(f->vm), 1);
	/* Without the capability, PIO ioeventfds are refused. */
	struct hv_caps caps;
	assert_int_equal(o->get_caps(f->hv, &caps), 0);
	caps.flags &= ~HV_CAP_PIO_IOEVENTFD;
	hv_fake_set_caps(f->hv, &caps);
	struct hv_vm_config vc = { .size = sizeof(vc),
				   .arch = HV_ARCH_X86_64,
				   .nr_vcpus = 1 };
	struct hv_vm *vm2;
	assert_int_equal(o->vm_create(f->hv, &vc, &vm2), 0);
	io.space = HV_IO_PIO;
	assert_int_equal(o->ioeventfd(vm2, &io, 1), -EOPNOTSUPP);
	assert_int_equal(o->ioeventfd(f->vm, &io, 1), 0);
	o->vm_destroy(vm2);
	hv_fake_set_caps(f->hv, NULL);
}

static void test_msi_irqchip(void **state)
{
	struct fx *f = *state;
	const struct hv_ops *o = f->ops;
	struct hv_irqchip_config chip = { .size = sizeof(chip),
					  .model = HV_IRQCHIP_X86_SPLIT,
					  .nr_pins = 24 };
	struct hv_vm_config vc = { .size = sizeof(vc),
				   .arch = HV_ARCH_X86_64,
				   .nr_vcpus = 1 };
	struct hv_fake_irq_line l;
	struct hv_fake_msi m;
	struct hv_vm *vm2;
	int fin;

	assert_int_equal(o->signal_msi(f->vm, 0xfee00000, 0x4021, 0), 0);
	assert_int_equal(o->signal_msi(f->vm, 0xfee01000, 0x22, 7), 0);
	assert_int_equal(hv_fake_nr_msis(f->vm), 2);
	assert_int_equal(hv_fake_get_msi(f->vm, 1, &m), 0);
	assert_int_equal(m.addr, 0xfee01000);
	assert_int_equal(m.data, 0x22);
	assert_int_equal(m.devid, 7);
	/* The setup VM already has a vCPU: too late for a split irqchip. */
	assert_int_equal(o->irqchip_create(f->vm, &chip), -EINVAL);
	assert_int_equal(o->irq_line(f->vm, 4, 1), -ENXIO);

	assert_int_equal(o->vm_create(f->hv, &vc, &vm2), 0);
	assert_ptr_equal(hv_fake_last_vm(), vm2);
	assert_int_equal(hv_fake_get_irqchip(vm2, &chip, &fin), -ENOENT);
	assert_int_equal(o->irqchip_finalize(vm2), -ENXIO);
	chip.size = 4;
	assert_int_equal(o->irqchip_create(vm2, &chip), -EINVAL);
	chip.size = sizeof(chip);
	assert_int_equal(o->irqchip_create(vm2, &chip), 0);
	assert_int_equal(o->irqchip_create(vm2, &chip), -EEXIST);
	memset(&chip, 0, sizeof(chip));
	assert_int_equal(hv_fake_get_irqchip(vm2, &chip, &fin), 0);
	assert_int_equal(chip.nr_pins, 24);
	assert_int_equal(fin, 0);
	assert_int_equal(o->irqchip_finalize(vm2), 0);
	assert_int_equal(o->irqchip_finalize(vm2), -EBUSY);
	assert_int_equal(hv_fake_get_irqchip(vm2, &chip, &fin), 0);
	assert_int_equal(fin, 1);
	assert_int_equal(o->irq_line(vm2, 4, 1), 0);
	assert_int_equal(o->irq_line(vm2, 4, 0), 0);
	assert_int_equal(hv_fake_nr_irq_lines(vm2), 2);
	assert_int_equal(hv_fake_get_irq_line(vm2, 1, &l), 0);
	assert_int_equal(l.gsi, 4);
	assert_int_equal(l.level, 0);
	hv_fake_clear_events(vm2);
	assert_int_equal(hv_fake_nr_irq_lines(vm2), 0);
	o->vm_destroy(vm2);
	assert_null(hv_fake_last_vm()); /* the newest is gone */
}

/* --- vCPU state --- */

static void test_registers(void **state)
{
	struct fx *f = *state;
	const struct hv_ops *o = f->ops;
	struct hv_x86_regs r;
	struct hv_x86_sregs s;
	uint64_t v;

	assert_int_equal(o->vcpu_get_regs(f->vcpu, HV_REGS_CORE, &r, sizeof(r)),
			 0);
	assert_int_equal(r.rip, 0xfff0);
	assert_int_equal(r.rflags, 0x2);
	assert_int_equal(r.rax, 0);
	assert_int_equal(
		o->vcpu_get_regs(f->vcpu, HV_REGS_SPECIAL, &s, sizeof(s)), 0);
	assert_int_equal(s.cs.selector, 0xf000);
	assert_int_equal(s.cs.base, 0xffff0000);
	assert_int_equal(s.cs.limit, 0xffff);
	assert_int_equal(s.cs.type, 0xb);
	assert_int_equal(s.cs.present, 1);
	assert_int_equal(s.ds.selector, 0);
	assert_int_equal(s.ss.limit, 0xffff);
	assert_int_equal(s.ss.type, 3);
	assert_int_equal(s.tr.type, 0xb);
	assert_int_equal(s.ldt.type, 2);
	assert_int_equal(s.idt.limit, 0xffff);
	assert_int_equal(s.cr0, 0x60000010);
	assert_int_equal(s.efer, 0);
	assert_int_equal(s.apic_base, 0xfee00900);

	r.rip = 0x100000;
	r.rsi = 0x7000;
	assert_int_equal(o->vcpu_set_regs(f->vcpu, HV_REGS_CORE, &r, sizeof(r)),
			 0);
	assert_int_equal(o->vcpu_get_reg(f->vcpu, HV_X86_RIP, &v), 0);
	assert_int_equal(v, 0x100000);
	assert_int_equal(o->vcpu_get_reg(f->vcpu, HV_X86_RSI, &v), 0);
	assert_int_equal(v, 0x7000);
	assert_int_equal(o->vcpu_set_reg(f->vcpu, HV_X86_EFER, 0x500), 0);
	assert_int_equal(o->vcpu_set_reg(f->vcpu, HV_X86_CR3, 0x9000), 0);
	assert_int_equal(
		o->vcpu_get_regs(f->vcpu, HV_REGS_SPECIAL, &s, sizeof(s)), 0);
	assert_int_equal(s.efer, 0x500);
	assert_int_equal(s.cr3, 0x9000);
	assert_int_equal(s.cs.selector, 0xf000);

	assert_int_equal(o->vcpu_get_regs(f->vcpu, HV_REGS_CORE, &r,
					  sizeof(r) - 8),
			 -EINVAL);
	assert_int_equal(o->vcpu_set_regs(f->vcpu, HV_REGS_SPECIAL, &r,
					  sizeof(r)),
			 -EINVAL);
	assert_int_equal(o->vcpu_get_regs(f->vcpu, 77, &r, sizeof(r)), -EINVAL);
	assert_int_equal(o->vcpu_get_reg(f->vcpu, 0x1ff, &v), -EINVAL);
	assert_int_equal(o->vcpu_set_reg(f->vcpu, 0, 1), -EINVAL);
	assert_int_equal(hv_fake_thread_violations(f->vcpu), 0);
}

static void test_vcpu_create(void **state)
{
	struct fx *f = *state;
	const struct hv_ops *o = f->ops;
	struct hv_vcpu_config cc = { .size = sizeof(cc),
				     .nr_vcpus = 2,
				     .apic_id = 1 };
	struct hv_vcpu_config got;
	struct hv_x86_sregs s;
	struct hv_vcpu *v1, *dup;

	assert_ptr_equal(hv_fake_last_hv(), f->hv);
	assert_ptr_equal(hv_fake_last_vcpu(), f->vcpu);
	assert_ptr_equal(hv_fake_vcpu_cookie(f->vcpu), f);
	assert_int_equal(o->vcpu_create(f->vm, 0, &cc, NULL, &dup), -EEXIST);
	assert_int_equal(o->vcpu_create(f->vm, 2, &cc, NULL, &dup), -EINVAL);
	cc.size = 8;
	assert_int_equal(o->vcpu_create(f->vm, 1, &cc, NULL, &dup), -EINVAL);
	cc.size = sizeof(cc);
	assert_int_equal(o->vcpu_create(f->vm, 1, &cc, &cc, &v1), 0);
	assert_ptr_equal(hv_fake_last_vcpu(), v1);
	assert_ptr_equal(hv_fake_vm_vcpu(f->vm, 1), v1);
	assert_ptr_equal(hv_fake_vm_vcpu(f->vm, 0), f->vcpu);
	assert_null(hv_fake_vm_vcpu(f->vm, 2));
	assert_int_equal(hv_fake_vcpu_id(v1), 1);
	assert_ptr_equal(hv_fake_vcpu_cookie(v1), &cc);
	hv_fake_vcpu_config(v1, &got);
	assert_int_equal(got.apic_id, 1);
	assert_int_equal(got.nr_vcpus, 2);
	assert_int_equal(o->vcpu_get_regs(v1, HV_REGS_SPECIAL, &s, sizeof(s)),
			 0);
	assert_int_equal(s.apic_base, 0xfee00800); /* not the BSP */
	o->vcpu_destroy(v1);
	assert_null(hv_fake_vm_vcpu(f->vm, 1));
	assert_null(hv_fake_last_vcpu());
}

static void test_caps_and_config(void **state)
{
	struct fx *f = *state;
	const struct hv_ops *o = f->ops;
	struct hv_vm_config vc = { .size = sizeof(vc),
				   .arch = HV_ARCH_X86_64,
				   .nr_vcpus = 65 };
	const unsigned long *cmds = NULL;
	struct hv_caps caps;
	struct hv_vm *vm2;
	size_t n = 5;

	assert_int_equal(o->get_caps(f->hv, &caps), 0);
	assert_true(caps.flags & HV_CAP_IRQFD);
	assert_true(caps.flags & HV_CAP_SPLIT_IRQCHIP);
	assert_int_equal(caps.max_vcpus, 64);
	assert_int_equal(o->vm_create(f->hv, &vc, &vm2), -EINVAL);
	vc.nr_vcpus = 0;
	assert_int_equal(o->vm_create(f->hv, &vc, &vm2), -EINVAL);
	vc.nr_vcpus = 1;
	vc.size = 4;
	assert_int_equal(o->vm_create(f->hv, &vc, &vm2), -EINVAL);
	vc.size = sizeof(vc);
	vc.arch = 7;
	assert_int_equal(o->vm_create(f->hv, &vc, &vm2), -EINVAL);
	hv_fake_vm_config(f->vm, &vc);
	assert_int_equal(vc.nr_vcpus, 2);
	caps.max_vcpus = 1;
	hv_fake_set_caps(f->hv, &caps);
	assert_int_equal(o->get_caps(f->hv, &caps), 0);
	assert_int_equal(caps.max_vcpus, 1);
	hv_fake_set_caps(f->hv, NULL);
	assert_int_equal(o->get_ioctl_allowlist(f->hv, &cmds, &n), 0);
	assert_non_null(cmds);
	assert_int_equal(n, 0);
	/* probe refuses a host of another ABI major. */
	f->host.abi_major++;
	assert_int_equal(o->probe(&f->host), -EPROTO);
	f->host.abi_major--;
}

/* --- backend completion through hv_host --- */

static void test_host_io(void **state)
{
	struct fx *f = *state;
	const struct hv_ops *o = f->ops;
	struct hv_exit e = { .reason = HV_EXIT_MMIO,
			     .flags = HV_FAKE_F_HOST_IO,
			     .u.mmio = { .gpa = 0xfed00000,
					 .len = 4,
					 .write = 1,
					 .data = { 1, 2, 3, 4 } } };
	uint8_t pio[4] = { 0xa, 0xb, 0xc, 0xd }, buf[8];
	uint32_t len = sizeof(buf);
	int ret;

	assert_int_equal(hv_fake_push_exit(f->vcpu, &e), 0);
	e.u.mmio.write = 0;
	assert_int_equal(hv_fake_push_exit(f->vcpu, &e), 0);
	memset(&e, 0xff, sizeof(e));
	assert_int_equal(o->vcpu_run(f->vcpu, &e), 0);
	assert_int_equal(e.reason, HV_EXIT_NONE);
	assert_int_equal(e.flags, 0);
	assert_int_equal(f->mmio_calls, 1);
	assert_int_equal(f->gpa, 0xfed00000);
	assert_int_equal(f->len, 4);
	assert_int_equal(f->write, 1);
	assert_memory_equal(f->data, "\x01\x02\x03\x04", 4);
	assert_int_equal(o->vcpu_run(f->vcpu, &e), 0);
	assert_int_equal(e.reason, HV_EXIT_NONE);
	assert_int_equal(f->mmio_calls, 2);
	assert_int_equal(f->write, 0);
	assert_int_equal(hv_fake_last_read(f->vcpu, buf, &len), 0);
	assert_int_equal(len, 4);
	assert_memory_equal(buf, "\x5a\x5a\x5a\x5a", 4);

	/* Rep OUTSW: one host->pio per element. */
	e = (struct hv_exit){ .reason = HV_EXIT_PIO,
			      .flags = HV_FAKE_F_HOST_IO,
			      .u.pio = { .port = 0x1f0,
					 .size = 2,
					 .count = 2,
					 .write = 1,
					 .data = pio } };
	assert_int_equal(hv_fake_push_exit(f->vcpu, &e), 0);
	assert_int_equal(o->vcpu_run(f->vcpu, &e), 0);
	assert_int_equal(f->pio_calls, 2);
	assert_int_equal(f->port, 0x1f0);
	assert_int_equal(f->len, 2);
	assert_memory_equal(f->data, "\x0c\x0d", 2);

	/* A failing host callback stops the run. */
	f->host_ret = -EIO;
	e = (struct hv_exit){ .reason = HV_EXIT_MMIO,
			      .flags = HV_FAKE_F_HOST_IO,
			      .u.mmio = { .gpa = 0x1000, .len = 1 } };
	assert_int_equal(hv_fake_push_exit(f->vcpu, &e), 0);
	assert_int_equal(o->vcpu_run(f->vcpu, &e), -EIO);
	hv_fake_last_host(f->vcpu, &ret, NULL);
	assert_int_equal(ret, -EIO);
	f->host_ret = 0;

	/* A host table too old to have the callbacks. */
	f->host.size = offsetof(struct hv_host, mmio);
	e = (struct hv_exit){ .reason = HV_EXIT_MMIO,
			      .flags = HV_FAKE_F_HOST_IO,
			      .u.mmio = { .gpa = 0x1000, .len = 1 } };
	assert_int_equal(hv_fake_push_exit(f->vcpu, &e), 0);
	assert_int_equal(o->vcpu_run(f->vcpu, &e), -EOPNOTSUPP);
	assert_int_equal(f->mmio_calls, 3);
	f->host.size = sizeof(f->host);
}

static void test_host_ram(void **state)
{
	struct fx *f = *state;
	const struct hv_ops *o = f->ops;
	struct hv_exit e = { .reason = HV_EXIT_MMIO,
			     .flags = HV_FAKE_F_HOST_RAM,
			     .u.mmio = { .gpa = 0x2010,
					 .len = 2,
					 .write = 1,
					 .data = { 0xbe, 0xef } } };
	uint8_t buf[8];
	uint32_t len = sizeof(buf);
	void *hva;
	int ret;

	assert_int_equal(o->map_memory(f->vm, 0x2000, 0x1000, f->ram, 3), 0);
	assert_int_equal(hv_fake_push_exit(f->vcpu, &e), 0);
	assert_int_equal(o->vcpu_run(f->vcpu, &e), 0);
	assert_int_equal(e.reason, HV_EXIT_NONE);
	assert_memory_equal(f->ram + 0x10, "\xbe\xef", 2);
	hv_fake_last_host(f->vcpu, &ret, &hva);
	assert_int_equal(ret, 0);
	assert_ptr_equal(hva, f->ram + 0x10);

	f->ram[0x20] = 0x99;
	e = (struct hv_exit){ .reason = HV_EXIT_MMIO,
			      .flags = HV_FAKE_F_HOST_RAM,
			      .u.mmio = { .gpa = 0x2020, .len = 1 } };
	assert_int_equal(hv_fake_push_exit(f->vcpu, &e), 0);
	assert_int_equal(o->vcpu_run(f->vcpu, &e), 0);
	assert_int_equal(hv_fake_last_read(f->vcpu, buf, &len), 0);
	assert_int_equal(len, 1);
	assert_int_equal(buf[0], 0x99);

	/* Straddling the end of RAM is not RAM. */
	e = (struct hv_exit){ .reason = HV_EXIT_MMIO,
			      .flags = HV_FAKE_F_HOST_RAM,
			      .u.mmio = { .gpa = 0x2fff, .len = 2 } };
	assert_int_equal(hv_fake_push_exit(f->vcpu, &e), 0);
	assert_int_equal(o->vcpu_run(f->vcpu, &e), -EFAULT);
	hv_fake_last_host(f->vcpu, &ret, &hva);
	assert_null(hva);
	assert_int_equal(f->mmio_calls, 0);
}

/* --- threads --- */

struct runner {
	struct fx *f;
	struct hv_vcpu *_Atomic vcpu;
	uint32_t reasons[2];
	int rets[2];
};

static void *runner_main(void *arg)
{
	struct runner *r = arg;
	struct hv_vcpu_config cc = { .size = sizeof(cc), .nr_vcpus = 2 };
	struct hv_vcpu *v;
	struct hv_exit e;
	int i;

	if (r->f->ops->vcpu_create(r->f->vm, 1, &cc, r, &v))
		return NULL;
	hv_fake_set_blocking(v, 1);
	r->vcpu = v;
	for (i = 0; i < 2; i++) {
		r->rets[i] = r->f->ops->vcpu_run(v, &e);
		r->reasons[i] = e.reason;
	}
	return NULL;
}

static void test_blocking_kick_thread(void **state)
{
	struct fx *f = *state;
	struct runner r = { .f = f };
	struct hv_exit e = { .reason = HV_EXIT_HLT };
	struct hv_vcpu *v;
	pthread_t t;
	int i;

	assert_int_equal(pthread_create(&t, NULL, runner_main, &r), 0);
	for (i = 0; i < 5000 && !r.vcpu; i++)
		usleep(1000);
	v = r.vcpu;
	assert_non_null(v);
	usleep(20000); /* let it block in vcpu_run */
	assert_int_equal(hv_fake_push_exit(v, &e), 0);
	usleep(20000);
	f->ops->vcpu_kick(v);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(r.rets[0], 0);
	assert_int_equal(r.reasons[0], HV_EXIT_HLT);
	assert_int_equal(r.rets[1], 0);
	assert_int_equal(r.reasons[1], HV_EXIT_INTR);
	assert_int_equal(hv_fake_thread_violations(v), 0);
	/* Running it from this thread breaks the threading rule. */
	hv_fake_set_blocking(v, 0);
	assert_int_equal(f->ops->vcpu_run(v, &e), 0);
	assert_int_equal(e.reason, HV_EXIT_SHUTDOWN);
	assert_int_equal(hv_fake_thread_violations(v), 1);
	f->ops->vcpu_destroy(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_reason_names),
		cmocka_unit_test(test_hv_call),
		cmocka_unit_test(test_check_ops),
		cmocka_unit_test_setup_teardown(test_map_memory, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_dirty_log, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mmio_read, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pio, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kick, setup, teardown),
		cmocka_unit_test_setup_teardown(test_completion, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_odd_exits, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fail_next, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_routes_copy, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_irqfd_ioeventfd, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_msi_irqchip, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_registers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_vcpu_create, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_caps_and_config, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_host_io, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_ram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blocking_kick_thread,
						setup, teardown),
	};

	return cmocka_run_group_tests_name("hv_fake", tests, NULL, NULL);
}
