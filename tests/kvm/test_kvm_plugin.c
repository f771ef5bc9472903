// SPDX-License-Identifier: Apache-2.0
/*
 * test_kvm_plugin.c - the KVM plugin against the real /dev/kvm: descriptor
 * and capabilities, port I/O and MMIO exits, kicks, registers, memory
 * maps, dirty logging and read-only memory, CPUID and MSRs.
 *
 * Loads hv-kvm.so with dlopen ($NIMBUS_PLUGIN_PATH's first directory, else
 * argv[1], else build/plugins/hv-kvm.so) and drives it only through its
 * struct hv_ops, with the fixture of tests/lib/kvm_fixture.h.  Each test
 * runs a tiny real-mode guest (hand-assembled below, one instruction per
 * line) that talks back through port I/O and MMIO.  Without a usable
 * /dev/kvm every test is skipped.  The interrupt tests are in
 * test_kvm_irq.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <linux/kvm.h>

#include "tests/lib/kvm_fixture.h"

static void test_probe_caps(void **state)
{
	struct kvmt_fx *fx = *state;
	struct hv_vm_config bad = { .size = sizeof(bad),
				    .arch = HV_ARCH_AARCH64,
				    .nr_vcpus = 1 };
	const unsigned long *cmds;
	struct hv_vm *vm = NULL;
	struct hv_caps caps;
	bool has_run = false;
	size_t n, i;

	KVMT_REQUIRE_KVM(fx);
	assert_int_equal(fx->desc->magic, PLUGIN_MAGIC);
	assert_int_equal(fx->desc->kind, PLUGIN_HV);
	assert_int_equal(fx->desc->abi_major, HV_ABI_MAJOR);
	assert_int_equal(fx->desc->desc_size, sizeof(struct plugin_desc));
	assert_string_equal(fx->desc->name, "kvm");
	assert_non_null(fx->desc->build_id);
	assert_int_equal(fx->ops->size, sizeof(struct hv_ops));
	assert_int_equal(fx->ops->probe(&fx->host), 0);
	kvmt_open_hv(fx);
	assert_int_equal(fx->ops->get_caps(fx->hv, &caps), 0);
	assert_true(caps.flags & HV_CAP_IRQFD);
	assert_true(caps.flags & HV_CAP_IOEVENTFD);
	assert_true(caps.flags & HV_CAP_PIO_IOEVENTFD);
	assert_true(caps.flags & HV_CAP_MSI_ROUTES);
	assert_true(caps.flags & HV_CAP_SPLIT_IRQCHIP);
	assert_true(caps.flags & HV_CAP_SIGNAL_MSI);
	assert_true(caps.flags & HV_CAP_DIRTY_LOG);
	assert_false(caps.flags & HV_CAP_GICV3);
	assert_true(caps.max_vcpus >= 1);
	assert_true(caps.max_gsi >= 24);
	assert_in_range(caps.ipa_bits, 32, 64);
	assert_int_equal(fx->ops->get_ioctl_allowlist(fx->hv, &cmds, &n), 0);
	assert_true(n > 0);
	for (i = 0; i < n; i++)
		has_run |= cmds[i] == KVM_RUN;
	assert_true(has_run);
	/* Wrong architecture and too many vCPUs are refused. */
	assert_int_equal(fx->ops->vm_create(fx->hv, &bad, &vm), -EINVAL);
	bad.arch = HV_ARCH_X86_64;
	bad.nr_vcpus = caps.max_vcpus + 1;
	assert_int_equal(fx->ops->vm_create(fx->hv, &bad, &vm), -EINVAL);
	assert_null(vm);
}

static void test_pio_mmio(void **state)
{
	static const uint8_t code[] = {
		0xb0, 0x42, /* mov al, 0x42 */
		0xe6, 0x10, /* out 0x10, al */
		0xe4, 0x11, /* in al, 0x11 */
		0xe6, 0x12, /* out 0x12, al */
		0x64, 0xa2, 0x00, 0x00, /* mov [fs:0x0000], al (MMIO write) */
		0x64, 0xa0, 0x04, 0x00, /* mov al, [fs:0x0004] (MMIO read) */
		0xe6, 0x13, /* out 0x13, al */
		0xb8, 0x34, 0x12, /* mov ax, 0x1234 */
		0xe7, 0x16, /* out 0x16, ax */
		0xbe, 0x00, 0x20, /* mov si, 0x2000 */
		0xb9, 0x04, 0x00, /* mov cx, 4 */
		0xba, 0x17, 0x00, /* mov dx, 0x17 */
		0xfc, /* cld */
		0xf3, 0x6e, /* rep outsb */
		0xf4, /* hlt */
	};
	struct kvmt_fx *fx = *state;
	struct hv_exit exit = { 0 };
	char str[5] = { 0 };
	uint32_t got = 0;

	KVMT_REQUIRE_KVM(fx);
	kvmt_boot(fx, code, sizeof(code), KVMT_MMIO_GPA);
	memcpy(fx->ram + 0x2000, "ABCD", 4);

	kvmt_run(fx, &exit);
	kvmt_expect_pio(&exit, 0x10, 1, 1);
	assert_int_equal(exit.u.pio.count, 1);
	assert_int_equal(exit.u.pio.data[0], 0x42);

	kvmt_run(fx, &exit);
	kvmt_expect_pio(&exit, 0x11, 1, 0);
	exit.u.pio.data[0] = 0x5a; /* the host answers the IN */

	kvmt_run(fx, &exit);
	kvmt_expect_pio(&exit, 0x12, 1, 1);
	assert_int_equal(exit.u.pio.data[0], 0x5a);

	kvmt_run(fx, &exit);
	kvmt_expect_reason(&exit, HV_EXIT_MMIO);
	assert_int_equal(exit.u.mmio.gpa, KVMT_MMIO_GPA);
	assert_int_equal(exit.u.mmio.len, 1);
	assert_int_equal(exit.u.mmio.write, 1);
	assert_int_equal(exit.u.mmio.data[0], 0x5a);

	kvmt_run(fx, &exit);
	kvmt_expect_reason(&exit, HV_EXIT_MMIO);
	assert_int_equal(exit.u.mmio.gpa, KVMT_MMIO_GPA + 4);
	assert_int_equal(exit.u.mmio.len, 1);
	assert_int_equal(exit.u.mmio.write, 0);
	exit.u.mmio.data[0] = 0xa5; /* the host answers the MMIO read */

	kvmt_run(fx, &exit);
	kvmt_expect_pio(&exit, 0x13, 1, 1);
	assert_int_equal(exit.u.pio.data[0], 0xa5);

	kvmt_run(fx, &exit);
	kvmt_expect_pio(&exit, 0x16, 2, 1);
	assert_int_equal(kvmt_pio_u32(&exit), 0x1234);

	/* rep outsb: KVM may split the string into several exits. */
	while (got < 4) {
		kvmt_run(fx, &exit);
		kvmt_expect_pio(&exit, 0x17, 1, 1);
		assert_in_range(exit.u.pio.count, 1, 4 - got);
		memcpy(str + got, exit.u.pio.data, exit.u.pio.count);
		got += exit.u.pio.count;
	}
	assert_string_equal(str, "ABCD");

	kvmt_run(fx, &exit);
	kvmt_expect_reason(&exit, HV_EXIT_HLT);
}

struct kicker {
	const struct hv_ops *ops;
	struct hv_vcpu *vcpu;
};

static void *kicker_main(void *arg)
{
	struct kicker *k = arg;
	struct timespec ts = { 0, 100 * 1000000l };

	nanosleep(&ts, NULL);
	k->ops->vcpu_kick(k->vcpu);
	return NULL;
}

static void test_kick(void **state)
{
	static const uint8_t code[] = {
		0xe6, 0x10, /* out 0x10, al */
		0xeb, 0xfe, /* jmp $ */
	};
	struct kvmt_fx *fx = *state;
	struct hv_exit exit = { 0 };
	struct kicker k;
	pthread_t t;
	uint64_t rip;

	KVMT_REQUIRE_KVM(fx);
	kvmt_boot(fx, code, sizeof(code), 0);

	/* A kick before the run: the guest must not even start. */
	fx->ops->vcpu_kick(fx->vcpu);
	kvmt_run(fx, &exit);
	kvmt_expect_reason(&exit, HV_EXIT_INTR);
	assert_int_equal(fx->ops->vcpu_get_reg(fx->vcpu, HV_X86_RIP, &rip), 0);
	assert_int_equal(rip, KVMT_CODE_ADDR);

	/* The kick is consumed: the next run reaches the guest. */
	kvmt_run(fx, &exit);
	kvmt_expect_pio(&exit, 0x10, 1, 1);

	/* A kick from another thread while the guest spins. */
	k.ops = fx->ops;
	k.vcpu = fx->vcpu;
	assert_int_equal(pthread_create(&t, NULL, kicker_main, &k), 0);
	kvmt_run(fx, &exit);
	pthread_join(t, NULL);
	kvmt_expect_reason(&exit, HV_EXIT_INTR);
	assert_int_equal(fx->ops->vcpu_get_reg(fx->vcpu, HV_X86_RIP, &rip), 0);
	assert_int_equal(rip, KVMT_CODE_ADDR + 2);
}

static void test_regs(void **state)
{
	static const uint8_t code[] = {
		0xe6, 0x10, /* out 0x10, al */
		0xf4, /* hlt */
	};
	struct kvmt_fx *fx = *state;
	struct hv_x86_regs r, r2;
	struct hv_x86_sregs s, s2;
	struct hv_exit exit = { 0 };
	uint64_t v, *p;
	size_t i;

	KVMT_REQUIRE_KVM(fx);
	kvmt_boot(fx, code, sizeof(code), 0);

	/* Core registers round-trip exactly. */
	for (p = &r.rax, i = 0; p <= &r.r15; p++, i++)
		*p = 0x1111111111111111ull * (i % 15 + 1) + i;
	r.rip = KVMT_CODE_ADDR;
	r.rflags = 0x246;
	assert_int_equal(fx->ops->vcpu_set_regs(fx->vcpu, HV_REGS_CORE, &r,
						sizeof(r)),
			 0);
	memset(&r2, 0, sizeof(r2));
	assert_int_equal(fx->ops->vcpu_get_regs(fx->vcpu, HV_REGS_CORE, &r2,
						sizeof(r2)),
			 0);
	assert_memory_equal(&r, &r2, sizeof(r));

	/* Special registers: segments and descriptor tables. */
	assert_int_equal(fx->ops->vcpu_get_regs(fx->vcpu, HV_REGS_SPECIAL, &s,
						sizeof(s)),
			 0);
	s.es.base = 0x56780;
	s.es.selector = 0x5678;
	s.gs.base = 0x9abc0;
	s.gs.selector = 0x9abc;
	s.gs.limit = 0xffff;
	s.gdt.base = 0x500;
	s.gdt.limit = 0x1f;
	s.idt.base = 0x1000;
	s.idt.limit = 0x7ff;
	s.cr2 = 0xdead000;
	assert_int_equal(fx->ops->vcpu_set_regs(fx->vcpu, HV_REGS_SPECIAL, &s,
						sizeof(s)),
			 0);
	memset(&s2, 0xff, sizeof(s2));
	assert_int_equal(fx->ops->vcpu_get_regs(fx->vcpu, HV_REGS_SPECIAL, &s2,
						sizeof(s2)),
			 0);
	assert_int_equal(s2.es.base, 0x56780);
	assert_int_equal(s2.es.selector, 0x5678);
	assert_int_equal(s2.gs.base, 0x9abc0);
	assert_int_equal(s2.gs.selector, 0x9abc);
	assert_int_equal(s2.gs.limit, 0xffff);
	assert_int_equal(s2.gdt.base, 0x500);
	assert_int_equal(s2.gdt.limit, 0x1f);
	assert_int_equal(s2.idt.base, 0x1000);
	assert_int_equal(s2.idt.limit, 0x7ff);
	assert_int_equal(s2.cr2, 0xdead000);
	assert_int_equal(s2.cr0, s.cr0);
	assert_int_equal(s2.efer, s.efer);
	assert_int_equal(s2.cs.base, 0);
	assert_int_equal(s2.cs.limit, s.cs.limit);
	assert_int_equal(s2.cs.type, s.cs.type);
	assert_int_equal(s2.cs.present, s.cs.present);
	assert_int_equal(s2.apic_base, s.apic_base);
	assert_int_equal(s2.es.pad, 0);
	assert_int_equal(s2.gdt.pad[0], 0);

	/* Single registers, and that they reach the guest. */
	assert_int_equal(fx->ops->vcpu_get_reg(fx->vcpu, HV_X86_RBX, &v), 0);
	assert_int_equal(v, r.rbx);
	assert_int_equal(fx->ops->vcpu_get_reg(fx->vcpu, HV_X86_CR0, &v), 0);
	assert_int_equal(v, s.cr0);
	assert_int_equal(fx->ops->vcpu_set_reg(fx->vcpu, HV_X86_RAX, 0x77), 0);
	assert_int_equal(fx->ops->vcpu_get_reg(fx->vcpu, HV_X86_RAX, &v), 0);
	assert_int_equal(v, 0x77);
	kvmt_run(fx, &exit);
	kvmt_expect_pio(&exit, 0x10, 1, 1);
	assert_int_equal(exit.u.pio.data[0], 0x77);
	assert_int_equal(fx->ops->vcpu_get_reg(fx->vcpu, HV_X86_RIP, &v), 0);
	assert_int_equal(v, KVMT_CODE_ADDR + 2);

	/* Bad sizes, sets and ids. */
	assert_int_equal(fx->ops->vcpu_get_regs(fx->vcpu, HV_REGS_CORE, &r,
						sizeof(r) - 1),
			 -EINVAL);
	assert_int_equal(fx->ops->vcpu_set_regs(fx->vcpu, HV_REGS_SPECIAL, &s,
						sizeof(r)),
			 -EINVAL);
	assert_int_equal(fx->ops->vcpu_get_regs(fx->vcpu, 99, &r, sizeof(r)),
			 -EINVAL);
	assert_int_equal(fx->ops->vcpu_get_reg(fx->vcpu, 0, &v), -EINVAL);
	assert_int_equal(fx->ops->vcpu_set_reg(fx->vcpu, 0x1ff, 0), -EINVAL);
}

static void test_map_memory(void **state)
{
	const uint32_t rw = HV_MEM_READ | HV_MEM_WRITE | HV_MEM_EXEC;
	struct kvmt_fx *fx = *state;
	uint8_t *extra;

	KVMT_REQUIRE_KVM(fx);
	kvmt_create_vm(fx, 1);
	extra = mmap(NULL, 0x20000, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(extra != MAP_FAILED);
	kvmt_map_ram(fx, 0);
	/* Overlaps, inside and across the end. */
	assert_int_equal(fx->ops->map_memory(fx->vm, 0x80000, 0x10000, extra,
					     rw),
			 -EEXIST);
	assert_int_equal(fx->ops->map_memory(fx->vm, 0xf0000, 0x20000, extra,
					     rw),
			 -EEXIST);
	/* Adjacent is fine; read-only too. */
	assert_int_equal(fx->ops->map_memory(fx->vm, KVMT_RAM_SIZE, 0x10000,
					     extra, rw),
			 0);
	assert_int_equal(fx->ops->map_memory(fx->vm, 0x200000, 0x10000,
					     extra + 0x10000, HV_MEM_READ),
			 0);
	/* Malformed requests. */
	assert_int_equal(fx->ops->map_memory(fx->vm, 0x300800, 0x1000, extra,
					     rw),
			 -EINVAL);
	assert_int_equal(fx->ops->map_memory(fx->vm, 0x300000, 0x1000,
					     extra + 8, rw),
			 -EINVAL);
	assert_int_equal(fx->ops->map_memory(fx->vm, 0x300000, 0, extra, rw),
			 -EINVAL);
	assert_int_equal(fx->ops->map_memory(fx->vm, 0x300000, 0x1000, extra,
					     rw | 0x100),
			 -EINVAL);
	/* Unmap exactly one mapping. */
	assert_int_equal(fx->ops->unmap_memory(fx->vm, 0, 0x1000), -EINVAL);
	assert_int_equal(fx->ops->unmap_memory(fx->vm, 0x1000, 0x1000),
			 -ENOENT);
	assert_int_equal(fx->ops->unmap_memory(fx->vm, KVMT_RAM_SIZE, 0x10000),
			 0);
	assert_int_equal(fx->ops->unmap_memory(fx->vm, KVMT_RAM_SIZE, 0x10000),
			 -ENOENT);
	/* The hole can be mapped again, now overlapping nothing. */
	assert_int_equal(fx->ops->map_memory(fx->vm, 0xf0000 + 0x10000, 0x20000,
					     extra, rw),
			 0);
	assert_int_equal(fx->ops->unmap_memory(fx->vm, KVMT_RAM_SIZE, 0x20000),
			 0);
	assert_int_equal(fx->ops->unmap_memory(fx->vm, 0x200000, 0x10000), 0);
	assert_int_equal(fx->ops->unmap_memory(fx->vm, 0, KVMT_RAM_SIZE), 0);
	munmap(extra, 0x20000);
}

static void test_dirty_log_readonly(void **state)
{
	static const uint8_t code[] = {
		0xb8, 0x00, 0x10, /* mov ax, 0x1000 */
		0x8e, 0xc0, /* mov es, ax */
		0x26, 0xc6, 0x06, 0x00, 0x00, 0xaa,
		/* mov byte [es:0x0000], 0xaa ; GPA 0x10000 */
		0x26, 0xc6, 0x06, 0x00, 0x30, 0xbb,
		/* mov byte [es:0x3000], 0xbb ; GPA 0x13000 */
		0xb8, 0xff, 0xff, /* mov ax, 0xffff */
		0x8e, 0xc0, /* mov es, ax */
		0x26, 0xa0, 0x10, 0x00, /* mov al, [es:0x10] ; GPA 0x100000 */
		0xe6, 0x10, /* out 0x10, al */
		0x26, 0xa2, 0x10, 0x00, /* mov [es:0x10], al ; read-only */
		0xf4, /* hlt */
	};
	const uint64_t want = 1ull << 0x10 | 1ull << 0x13;
	struct kvmt_fx *fx = *state;
	struct hv_exit exit = { 0 };
	uint64_t bm[KVMT_RAM_SIZE / 4096 / 64];
	uint64_t sub;
	uint8_t *rom;
	size_t i;

	KVMT_REQUIRE_KVM(fx);
	kvmt_create_vm(fx, 1);
	kvmt_map_ram(fx, HV_MEM_LOG_DIRTY);
	memcpy(fx->ram + KVMT_CODE_ADDR, code, sizeof(code));
	rom = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(rom != MAP_FAILED);
	rom[0] = 0x99;
	assert_int_equal(fx->ops->map_memory(fx->vm, KVMT_RAM_SIZE, 0x10000,
					     rom, HV_MEM_READ | HV_MEM_EXEC),
			 0);
	kvmt_create_vcpu(fx, NULL, 0);

	kvmt_run(fx, &exit);
	kvmt_expect_pio(&exit, 0x10, 1, 1);
	assert_int_equal(exit.u.pio.data[0], 0x99);
	assert_int_equal(fx->ram[0x10000], 0xaa);
	assert_int_equal(fx->ram[0x13000], 0xbb);

	/* Without HV_DIRTY_CLEAR the same pages come back every time. */
	for (i = 0; i < 2; i++) {
		memset(bm, 0xff, sizeof(bm));
		assert_int_equal(fx->ops->dirty_log_fetch(fx->vm, 0,
							  KVMT_RAM_SIZE, bm, 0),
				 0);
		assert_int_equal(bm[0], want);
		assert_int_equal(bm[1] | bm[2] | bm[3], 0);
	}
	/* A sub-range lands at bit 0 of the caller's bitmap. */
	assert_int_equal(
		fx->ops->dirty_log_fetch(fx->vm, 0x10000, 0x4000, &sub, 0), 0);
	assert_int_equal(sub, 0x9);
	/* Clearing forgets the reported pages only. */
	assert_int_equal(fx->ops->dirty_log_fetch(fx->vm, 0x13000, 0x1000, &sub,
						  HV_DIRTY_CLEAR),
			 0);
	assert_int_equal(sub, 1);
	assert_int_equal(fx->ops->dirty_log_fetch(fx->vm, 0, KVMT_RAM_SIZE, bm,
						  HV_DIRTY_CLEAR),
			 0);
	assert_int_equal(bm[0], 1ull << 0x10);
	assert_int_equal(
		fx->ops->dirty_log_fetch(fx->vm, 0, KVMT_RAM_SIZE, bm, 0), 0);
	assert_int_equal(bm[0] | bm[1] | bm[2] | bm[3], 0);

	/* Errors: holes, slots without logging, partial enable. */
	assert_int_equal(fx->ops->dirty_log_fetch(fx->vm, 0x200000, 0x1000, bm,
						  0),
			 -ENOENT);
	assert_int_equal(fx->ops->dirty_log_fetch(fx->vm, KVMT_RAM_SIZE, 0x1000,
						  bm, 0),
			 -EINVAL);
	assert_int_equal(fx->ops->dirty_log_enable(fx->vm, 0, 0x1000, 1),
			 -EINVAL);
	assert_int_equal(fx->ops->dirty_log_enable(fx->vm, 0, KVMT_RAM_SIZE, 0),
			 0);
	assert_int_equal(fx->ops->dirty_log_fetch(fx->vm, 0, KVMT_RAM_SIZE, bm,
						  0),
			 -EINVAL);
	assert_int_equal(fx->ops->dirty_log_enable(fx->vm, 0, KVMT_RAM_SIZE, 1),
			 0);

	/* A write to read-only memory is an MMIO exit; memory unchanged. */
	kvmt_run(fx, &exit);
	kvmt_expect_reason(&exit, HV_EXIT_MMIO);
	assert_int_equal(exit.u.mmio.gpa, KVMT_RAM_SIZE);
	assert_int_equal(exit.u.mmio.write, 1);
	assert_int_equal(exit.u.mmio.data[0], 0x99);
	assert_int_equal(rom[0], 0x99);
	kvmt_run(fx, &exit);
	kvmt_expect_reason(&exit, HV_EXIT_HLT);
	fx->ops->vcpu_destroy(fx->vcpu);
	fx->vcpu = NULL;
	assert_int_equal(fx->ops->unmap_memory(fx->vm, KVMT_RAM_SIZE, 0x10000),
			 0);
	munmap(rom, 0x10000);
}

static void test_cpuid_msrs(void **state)
{
	static const uint8_t code[] = {
		0x66, 0xb8, 0x01, 0x00, 0x00, 0x00, /* mov eax, 1 */
		0x0f, 0xa2, /* cpuid */
		0x66, 0x89, 0xd8, /* mov eax, ebx */
		0x66, 0xe7, 0x20, /* out 0x20, eax */
		0x66, 0x89, 0xd0, /* mov eax, edx */
		0x66, 0xe7, 0x21, /* out 0x21, eax */
		0x66, 0x89, 0xc8, /* mov eax, ecx */
		0x66, 0xe7, 0x22, /* out 0x22, eax */
		0x66, 0xb8, 0x00, 0x00, 0x00, 0x40, /* mov eax, 0x40000000 */
		0x0f, 0xa2, /* cpuid */
		0x66, 0xe7, 0x23, /* out 0x23, eax */
		0x66, 0x89, 0xd8, /* mov eax, ebx */
		0x66, 0xe7, 0x24, /* out 0x24, eax */
		0x66, 0xb8, 0x0b, 0x00, 0x00, 0x00, /* mov eax, 0xb */
		0x66, 0xb9, 0x01, 0x00, 0x00, 0x00, /* mov ecx, 1 */
		0x0f, 0xa2, /* cpuid */
		0x66, 0xe7, 0x25, /* out 0x25, eax */
		0x66, 0x89, 0xd8, /* mov eax, ebx */
		0x66, 0xe7, 0x26, /* out 0x26, eax */
		0x66, 0x89, 0xd0, /* mov eax, edx */
		0x66, 0xe7, 0x27, /* out 0x27, eax */
		0x66, 0xb8, 0x10, 0x00, 0x00, 0x40, /* mov eax, 0x40000010 */
		0x0f, 0xa2, /* cpuid */
		0x66, 0xe7, 0x28, /* out 0x28, eax */
		0x66, 0x89, 0xd8, /* mov eax, ebx */
		0x66, 0xe7, 0x29, /* out 0x29, eax */
		0x66, 0xb9, 0xa0, 0x01, 0x00, 0x00, /* mov ecx, 0x1a0 */
		0x0f, 0x32, /* rdmsr ; IA32_MISC_ENABLE */
		0x66, 0xe7, 0x2a, /* out 0x2a, eax */
		0x66, 0xb9, 0xff, 0x02, 0x00, 0x00, /* mov ecx, 0x2ff */
		0x0f, 0x32, /* rdmsr ; MTRR_DEF_TYPE */
		0x66, 0xe7, 0x2b, /* out 0x2b, eax */
		0x66, 0xb9, 0x82, 0x00, 0x00, 0xc0, /* mov ecx, 0xc0000082 */
		0x0f, 0x32, /* rdmsr ; LSTAR */
		0x66, 0xe7, 0x2c, /* out 0x2c, eax */
		0xf4, /* hlt */
	};
	/* vCPU with APIC id 3 of 4: 2 threads x 2 cores. */
	const struct hv_vcpu_config cfg = { .size = sizeof(cfg),
					    .nr_vcpus = 4,
					    .apic_id = 3,
					    .threads_per_core = 2,
					    .cores_per_die = 2 };
	struct kvmt_fx *fx = *state;
	struct hv_exit exit = { 0 };
	uint32_t v[13];
	int i;

	KVMT_REQUIRE_KVM(fx);
	kvmt_create_vm(fx, 4);
	kvmt_map_ram(fx, 0);
	memcpy(fx->ram + KVMT_CODE_ADDR, code, sizeof(code));
	kvmt_create_vcpu(fx, &cfg, 0);
	for (i = 0; i < 13; i++) {
		kvmt_run(fx, &exit);
		kvmt_expect_pio(&exit, 0x20 + i, 4, 1);
		v[i] = kvmt_pio_u32(&exit);
	}
	kvmt_run(fx, &exit);
	kvmt_expect_reason(&exit, HV_EXIT_HLT);

	assert_int_equal(v[0] >> 24, 3); /* initial APIC id */
	assert_int_equal((v[0] >> 16) & 0xff, 4); /* logical per pkg */
	assert_true(v[1] & (1u << 28)); /* HTT */
	assert_true(v[2] & (1u << 31)); /* hypervisor */
	/* TSC-deadline timer, whenever KVM emulates it. */
	if (kvmt_cap(KVM_CAP_TSC_DEADLINE_TIMER))
		assert_true(v[2] & (1u << 24));
	assert_int_equal(v[3], 0x40000010); /* max hv leaf */
	assert_memory_equal(&v[4], "KVMK", 4); /* signature */
	assert_int_equal(v[5], 2); /* 0xB.1 shift */
	assert_int_equal(v[6], 4); /* 0xB.1 count */
	assert_int_equal(v[7], 3); /* x2APIC id */
	assert_true(v[8] > 0); /* TSC kHz */
	assert_int_equal(v[9], 1000000); /* APIC bus kHz */
	assert_true(v[10] & 1); /* fast strings */
	assert_int_equal(v[11], 0x806); /* MTRRs on, default WB */
	assert_int_equal(v[12], 0); /* LSTAR */
}

int main(int argc, char **argv)
{
	struct kvmt_env env;
	const struct CMUnitTest tests[] = {
		KVMT_TEST(test_probe_caps, &env),
		KVMT_TEST(test_pio_mmio, &env),
		KVMT_TEST(test_kick, &env),
		KVMT_TEST(test_regs, &env),
		KVMT_TEST(test_map_memory, &env),
		KVMT_TEST(test_dirty_log_readonly, &env),
		KVMT_TEST(test_cpuid_msrs, &env),
	};

	if (kvmt_env_init(&env, argc, argv)) {
		fprintf(stderr, "test_kvm_plugin: cannot set up\n");
		return 1;
	}
	return cmocka_run_group_tests_name("kvm_plugin", tests, NULL, NULL);
}
