// SPDX-License-Identifier: Apache-2.0
/*
 * test_mshv_sim_kvm.c - the MSHV plugin on the MSHV simulator
 * (hv-mshv-sim.so) against the real /dev/kvm, driven through struct
 * hv_ops with the fixture of tests/lib/kvm_fixture.h, which gets a host
 * table with mmio/pio/gpa_to_hva callbacks here (the MSHV plugin completes
 * MMIO itself through them).
 *
 * Each test runs a tiny real-mode guest (assembled with nasm, one
 * instruction per line) that makes the simulator take its hard paths:
 * MMIO and port writes that KVM retires before exiting (MOV forms with
 * 16-bit addressing, REP STOS/MOVS to MMIO, OUT, REP OUTS), pending reads
 * (MOV, a read-modify-write OR, IN, REP INS both ways), a write to a
 * read-only region (GPA intercept), a level-triggered MSI route whose EOI
 * comes back as an exit, a kick of a spinning vCPU, and the dirty log.
 * Skipped without /dev/kvm or without the plugin file (next to
 * hv-kvm.so: $NIMBUS_PLUGIN_PATH, else build/plugins).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "tests/lib/kvm_fixture.h"

#define T_MMIO KVMT_MMIO_GPA
#define T_ROM_GPA 0x100000ull
#define T_DONE_PORT 0x10
#define T_MAX_ACC 64

/* What the guest did through the host callbacks (test-only state). */
static struct {
	uint32_t n;
	struct {
		uint64_t gpa;
		uint32_t len;
		int write;
		uint64_t val;
	} acc[T_MAX_ACC];
} t_log;

static int t_mmio(void *cookie, uint64_t gpa, void *data, uint32_t len,
		  int write)
{
	uint64_t v = 0;

	if (len > 8)
		return -EINVAL;
	if (!write) {
		if (gpa == T_MMIO + 0x50)
			v = 0xcafef00d;
		else if (gpa == T_MMIO + 0x60)
			v = 0x01;
		memcpy(data, &v, len);
	} else {
		memcpy(&v, data, len);
	}
	if (t_log.n < T_MAX_ACC) {
		t_log.acc[t_log.n].gpa = gpa;
		t_log.acc[t_log.n].len = len;
		t_log.acc[t_log.n].write = write;
		t_log.acc[t_log.n].val = v;
		t_log.n++;
	}
	return 0;
}

static int t_pio(void *cookie, uint16_t port, void *data, uint32_t len,
		 int write)
{
	if (!write)
		memset(data, 0xff, len);
	return 0;
}

static void *t_gpa_to_hva(void *cookie, uint64_t gpa, uint64_t len)
{
	struct kvmt_fx *fx = cookie;

	if (!fx->ram || gpa >= KVMT_RAM_SIZE || len > KVMT_RAM_SIZE - gpa)
		return NULL;
	return fx->ram + gpa;
}

/* The simulator next to hv-kvm.so; skip the test if it is not built. */
static void t_start(struct kvmt_fx *fx)
{
	KVMT_REQUIRE_KVM(fx);
	memset(&t_log, 0, sizeof(t_log));
	fx->host.mmio = t_mmio;
	fx->host.pio = t_pio;
	fx->host.gpa_to_hva = t_gpa_to_hva;
	assert_string_equal(fx->desc->name, "mshv-sim");
}

/* vcpu_run until an exit the plugin does not handle itself. */
static void t_run(struct kvmt_fx *fx, struct hv_exit *exit)
{
	int i;

	for (i = 0; i < 1000; i++) {
		kvmt_run(fx, exit);
		if (exit->reason != HV_EXIT_NONE)
			return;
	}
	fail_msg("no exit but NONE in 1000 runs");
}

static void t_expect_acc(uint32_t i, uint64_t gpa, uint32_t len, int write,
			 uint64_t val)
{
	if (i >= t_log.n)
		fail_msg("access %u missing (%u recorded)", i, t_log.n);
	assert_int_equal(t_log.acc[i].gpa, gpa);
	assert_int_equal(t_log.acc[i].len, len);
	assert_int_equal(t_log.acc[i].write, write);
	if (write)
		assert_int_equal(t_log.acc[i].val, val);
}

static void t_regs(struct kvmt_fx *fx, struct hv_x86_regs *r)
{
	assert_int_equal(fx->ops->vcpu_get_regs(fx->vcpu, HV_REGS_CORE, r,
						sizeof(*r)),
			 0);
}

static const uint8_t t_code_mmio[] = {
	0x64, 0xc7, 0x06, 0x10, 0x00, 0x34,
	0x12, /* mov word [fs:0x10],0x1234 */
	0x66, 0xb8, 0xef, 0xbe, 0xad, 0xde, /* mov eax,0xdeadbeef */
	0x64, 0x66, 0xa3, 0x20, 0x00, /* mov [fs:0x20],eax */
	0xbb, 0x30, 0x00, /* mov bx,0x30 */
	0x31, 0xf6, /* xor si,si */
	0xb4, 0x77, /* mov ah,0x77 */
	0x64, 0x88, 0x20, /* mov [fs:bx+si],ah */
	0xbf, 0x40, 0x00, /* mov di,0x40 */
	0xb9, 0x04, 0x00, /* mov cx,0x4 */
	0xb0, 0x5a, /* mov al,0x5a */
	0xfc, /* cld */
	0xf3, 0xaa, /* rep stosb (ES = MMIO) */
	0xbe, 0x00, 0x20, /* mov si,0x2000 */
	0xbf, 0x48, 0x00, /* mov di,0x48 */
	0xb9, 0x02, 0x00, /* mov cx,0x2 */
	0xf3, 0xa5, /* rep movsw (RAM to MMIO) */
	0x64, 0x66, 0x8b, 0x1e, 0x50, 0x00, /* mov ebx,[fs:0x50] */
	0x64, 0x80, 0x0e, 0x60, 0x00, 0x80, /* or byte [fs:0x60],0x80 */
	0xba, 0x10, 0x00, /* mov dx,0x10 */
	0xee, /* out dx,al (0x1041) */
	0xf4, /* hlt */
};

static void test_mmio_writes_and_reads(void **state)
{
	struct kvmt_fx *fx = *state;
	struct hv_x86_sregs s;
	struct hv_x86_regs r;
	struct hv_exit exit;

	t_start(fx);
	kvmt_boot(fx, t_code_mmio, sizeof(t_code_mmio), T_MMIO);
	memcpy(fx->ram + 0x2000, "\x11\x22\x33\x44", 4);
	assert_int_equal(fx->ops->vcpu_get_regs(fx->vcpu, HV_REGS_SPECIAL, &s,
						sizeof(s)),
			 0);
	s.es.base = T_MMIO;
	assert_int_equal(fx->ops->vcpu_set_regs(fx->vcpu, HV_REGS_SPECIAL, &s,
						sizeof(s)),
			 0);
	t_run(fx, &exit);
	kvmt_expect_pio(&exit, T_DONE_PORT, 1, 1);
	t_expect_acc(0, T_MMIO + 0x10, 2, 1, 0x1234);
	t_expect_acc(1, T_MMIO + 0x20, 4, 1, 0xdeadbeef);
	t_expect_acc(2, T_MMIO + 0x30, 1, 1, 0x77);
	t_expect_acc(3, T_MMIO + 0x40, 1, 1, 0x5a);
	t_expect_acc(4, T_MMIO + 0x41, 1, 1, 0x5a);
	t_expect_acc(5, T_MMIO + 0x42, 1, 1, 0x5a);
	t_expect_acc(6, T_MMIO + 0x43, 1, 1, 0x5a);
	t_expect_acc(7, T_MMIO + 0x48, 2, 1, 0x2211);
	t_expect_acc(8, T_MMIO + 0x4a, 2, 1, 0x4433);
	t_expect_acc(9, T_MMIO + 0x50, 4, 0, 0);
	t_expect_acc(10, T_MMIO + 0x60, 1, 0, 0);
	t_expect_acc(11, T_MMIO + 0x60, 1, 1, 0x81);
	assert_int_equal(t_log.n, 12);
	t_regs(fx, &r);
	assert_int_equal(r.rip, 0x1041); /* at the OUT: not completed yet */
	assert_int_equal(r.rbx, 0xcafef00d);
	assert_int_equal(r.rcx, 0);
	assert_int_equal(r.rdi, 0x4c);
	assert_int_equal(r.rsi, 0x2004);
	assert_int_equal(r.rax & 0xffff, 0x775a);
}

static const uint8_t t_code_pio[] = {
	0xba, 0xf8, 0x03, /* mov dx,0x3f8 */
	0xb0, 0x41, /* mov al,0x41 */
	0xee, /* out dx,al */
	0xb8, 0xef, 0xbe, /* mov ax,0xbeef */
	0xe7, 0x80, /* out 0x80,ax */
	0xbe, 0x00, 0x20, /* mov si,0x2000 */
	0xb9, 0x03, 0x00, /* mov cx,0x3 */
	0xba, 0x00, 0x05, /* mov dx,0x500 */
	0xf3, 0x6e, /* rep outsb */
	0xe4, 0x60, /* in al,0x60 */
	0xa2, 0x00, 0x30, /* mov [0x3000],al */
	0xbf, 0x10, 0x30, /* mov di,0x3010 */
	0xb9, 0x04, 0x00, /* mov cx,0x4 */
	0xba, 0x10, 0x05, /* mov dx,0x510 */
	0xf3, 0x6c, /* rep insb */
	0xfd, /* std */
	0xbf, 0x23, 0x30, /* mov di,0x3023 */
	0xb9, 0x02, 0x00, /* mov cx,0x2 */
	0xf3, 0x6c, /* rep insb (downwards) */
	0xfc, /* cld */
	0xba, 0x10, 0x00, /* mov dx,0x10 */
	0xee, /* out dx,al */
	0xf4, /* hlt */
};

static void test_port_io(void **state)
{
	struct kvmt_fx *fx = *state;
	struct hv_x86_regs r;
	struct hv_exit exit;

	t_start(fx);
	kvmt_boot(fx, t_code_pio, sizeof(t_code_pio), 0);
	memcpy(fx->ram + 0x2000, "abc", 3);
	memset(fx->ram + 0x3000, 0xee, 0x40);
	t_run(fx, &exit);
	kvmt_expect_pio(&exit, 0x3f8, 1, 1);
	assert_int_equal(kvmt_pio_u32(&exit), 0x41);
	t_run(fx, &exit);
	kvmt_expect_pio(&exit, 0x80, 2, 1);
	assert_int_equal(kvmt_pio_u32(&exit), 0xbeef);
	t_run(fx, &exit);
	kvmt_expect_pio(&exit, 0x500, 1, 1);
	assert_int_equal(exit.u.pio.count, 3);
	assert_memory_equal(exit.u.pio.data, "abc", 3);
	t_run(fx, &exit);
	kvmt_expect_pio(&exit, 0x60, 1, 0);
	exit.u.pio.data[0] = 0x99;
	t_run(fx, &exit);
	kvmt_expect_pio(&exit, 0x510, 1, 0);
	assert_int_equal(exit.u.pio.count, 4);
	memcpy(exit.u.pio.data, "wxyz", 4);
	t_run(fx, &exit);
	kvmt_expect_pio(&exit, 0x510, 1, 0);
	assert_int_equal(exit.u.pio.count, 2);
	memcpy(exit.u.pio.data, "12", 2);
	t_run(fx, &exit);
	kvmt_expect_pio(&exit, T_DONE_PORT, 1, 1);
	assert_int_equal(fx->ram[0x3000], 0x99);
	assert_memory_equal(fx->ram + 0x3010, "wxyz", 4);
	assert_int_equal(fx->ram[0x3014], 0xee);
	assert_int_equal(fx->ram[0x3023], '1');
	assert_int_equal(fx->ram[0x3022], '2');
	assert_int_equal(fx->ram[0x3021], 0xee);
	t_regs(fx, &r);
	assert_int_equal(r.rip, 0x1033);
	assert_int_equal(r.rsi, 0x2003);
	assert_int_equal(r.rdi, 0x3021);
	assert_int_equal(r.rcx, 0);
	assert_int_equal(r.rflags & (1u << 10), 0);
	assert_int_equal(t_log.n, 0); /* no MMIO at all */
}

static const uint8_t t_code_rom[] = {
	0x64, 0xc6, 0x06, 0x08, 0x00, 0x42, /* mov byte [fs:0x8],0x42 */
	0x64, 0xa0, 0x08, 0x00, /* mov al,[fs:0x8] */
	0xba, 0x10, 0x00, /* mov dx,0x10 */
	0xee, /* out dx,al */
	0xf4, /* hlt */
};

static void test_rom_write(void **state)
{
	struct kvmt_fx *fx = *state;
	struct hv_exit exit;
	uint8_t *rom;

	t_start(fx);
	kvmt_boot(fx, t_code_rom, sizeof(t_code_rom), T_ROM_GPA);
	rom = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(rom != MAP_FAILED);
	rom[8] = 0x11;
	assert_int_equal(fx->ops->map_memory(fx->vm, T_ROM_GPA, 4096, rom,
					     HV_MEM_READ | HV_MEM_EXEC),
			 0);
	t_run(fx, &exit);
	kvmt_expect_pio(&exit, T_DONE_PORT, 1, 1);
	assert_int_equal(kvmt_pio_u32(&exit), 0x11); /* read the ROM */
	t_expect_acc(0, T_ROM_GPA + 8, 1, 1, 0x42); /* write: to the host */
	assert_int_equal(t_log.n, 1);
	assert_int_equal(rom[8], 0x11);
	assert_int_equal(fx->ops->unmap_memory(fx->vm, T_ROM_GPA, 4096), 0);
	munmap(rom, 4096);
}

static const uint8_t t_code_irq[] = {
	0xc7, 0x06, 0x00, 0x01, 0x1e, 0x10, /* mov word [0x100],0x101e */
	0xc7, 0x06, 0x02, 0x01, 0x00, 0x00, /* mov word [0x102],0x0 */
	0x64, 0x66, 0xc7, 0x06, 0xf0, 0x00,
	0xff, 0x01, 0x00, 0x00, /* mov dword [fs:0xf0],0x1ff: APIC on */
	0xba, 0x11, 0x00, /* mov dx,0x11 */
	0xee, /* out dx,al */
	0xfb, /* sti */
	0xf4, /* hlt (0x101b) */
	0xeb, 0xfd, /* jmp 0x101b */
	0x64, 0x66, 0xc7, 0x06, 0xb0, 0x00,
	0x00, 0x00, 0x00, 0x00, /* 0x101e: mov dword [fs:0xb0],0: EOI */
	0xba, 0x10, 0x00, /* mov dx,0x10 */
	0xee, /* out dx,al */
	0xcf, /* iret */
};

/* A level-triggered MSI route on an IOAPIC GSI, fired through an irqfd:
 * the guest's EOI of its vector comes back as HV_EXIT_EOI. */
static void test_level_irq_eoi(void **state)
{
	struct kvmt_fx *fx = *state;
	struct hv_route route = { .gsi = 5, .type = HV_ROUTE_MSI };
	bool eoi = false, done = false;
	uint64_t one = 1;
	struct hv_exit exit;
	int efd, i;

	t_start(fx);
	kvmt_boot(fx, t_code_irq, sizeof(t_code_irq), 0xfee00000ull);
	route.u.msi.addr = 0xfee00000ull; /* APIC id 0, physical */
	route.u.msi.data = 0x40 | 1u << 15; /* vector 0x40, level */
	assert_int_equal(fx->ops->set_routes(fx->vm, &route, 1), 0);
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_true(efd >= 0);
	assert_int_equal(fx->ops->irqfd(fx->vm, efd, 5, -1, 1), 0);
	t_run(fx, &exit);
	kvmt_expect_pio(&exit, 0x11, 1, 1);
	assert_int_equal(write(efd, &one, sizeof(one)), sizeof(one));
	/* The handler EOIs, then writes the done port; KVM may report the
	 * EOI after that port write (its request is seen at the next
	 * entry), so either order passes. */
	for (i = 0; i < 10 && !(eoi && done); i++) {
		t_run(fx, &exit);
		if (exit.reason == HV_EXIT_EOI) {
			assert_int_equal(exit.u.eoi.vector, 0x40);
			eoi = true;
		} else {
			kvmt_expect_pio(&exit, T_DONE_PORT, 1, 1);
			done = true;
		}
	}
	assert_true(eoi);
	assert_true(done);
	assert_int_equal(fx->ops->irqfd(fx->vm, efd, 5, -1, 0), 0);
	close(efd);
}

struct t_kicker {
	struct kvmt_fx *fx;
	long ms;
};

static void *t_kick_main(void *arg)
{
	struct t_kicker *k = arg;
	struct timespec ts = { 0, k->ms * 1000000l };

	nanosleep(&ts, NULL);
	k->fx->ops->vcpu_kick(k->fx->vcpu);
	return NULL;
}

static const uint8_t t_code_spin[] = { 0xeb, 0xfe }; /* jmp $ */

static void test_kick(void **state)
{
	struct kvmt_fx *fx = *state;
	struct t_kicker k = { fx, 100 };
	struct timespec t0, t1;
	struct hv_exit exit;
	pthread_t th;
	int i;

	t_start(fx);
	kvmt_boot(fx, t_code_spin, sizeof(t_code_spin), 0);
	/* A kick before the run: reported at once. */
	fx->ops->vcpu_kick(fx->vcpu);
	assert_int_equal(fx->ops->vcpu_run(fx->vcpu, &exit), 0);
	kvmt_expect_reason(&exit, HV_EXIT_INTR);
	/* A kick of a spinning vCPU, from another thread. */
	for (i = 0; i < 3; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		assert_int_equal(pthread_create(&th, NULL, t_kick_main, &k), 0);
		assert_int_equal(fx->ops->vcpu_run(fx->vcpu, &exit), 0);
		pthread_join(th, NULL);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		kvmt_expect_reason(&exit, HV_EXIT_INTR);
		assert_true(t1.tv_sec - t0.tv_sec < 3);
	}
}

static const uint8_t t_code_dirty[] = {
	0xc6, 0x06, 0x00, 0x50, 0x01, /* mov byte [0x5000],1 */
	0xc6, 0x06, 0x00, 0x70, 0x01, /* mov byte [0x7000],1 */
	0xba, 0x10, 0x00, /* mov dx,0x10 */
	0xee, /* out dx,al */
	0xc6, 0x06, 0x00, 0x60, 0x01, /* mov byte [0x6000],1 */
	0xee, /* out dx,al */
	0xf4, /* hlt */
};

static void test_dirty_log(void **state)
{
	struct kvmt_fx *fx = *state;
	uint64_t bm[KVMT_RAM_SIZE / 4096 / 64];
	struct hv_exit exit;

	t_start(fx);
	kvmt_create_vm(fx, 1);
	kvmt_map_ram(fx, HV_MEM_LOG_DIRTY);
	memcpy(fx->ram + KVMT_CODE_ADDR, t_code_dirty, sizeof(t_code_dirty));
	kvmt_create_vcpu(fx, NULL, 0);
	t_run(fx, &exit);
	kvmt_expect_pio(&exit, T_DONE_PORT, 1, 1);
	/* A read without CLEAR keeps the bits. */
	assert_int_equal(
		fx->ops->dirty_log_fetch(fx->vm, 0, KVMT_RAM_SIZE, bm, 0), 0);
	assert_true(bm[0] & (1ull << 5));
	assert_true(bm[0] & (1ull << 7));
	assert_false(bm[0] & (1ull << 6));
	assert_int_equal(fx->ops->dirty_log_fetch(fx->vm, 0, KVMT_RAM_SIZE, bm,
						  HV_DIRTY_CLEAR),
			 0);
	assert_true(bm[0] & (1ull << 5));
	assert_true(bm[0] & (1ull << 7));
	t_run(fx, &exit);
	kvmt_expect_pio(&exit, T_DONE_PORT, 1, 1);
	assert_int_equal(fx->ops->dirty_log_fetch(fx->vm, 0, KVMT_RAM_SIZE, bm,
						  HV_DIRTY_CLEAR),
			 0);
	assert_true(bm[0] & (1ull << 6));
	assert_false(bm[0] & (1ull << 5));
	assert_false(bm[0] & (1ull << 7));
	assert_int_equal(fx->ops->dirty_log_enable(fx->vm, 0, KVMT_RAM_SIZE, 0),
			 0);
}

static void test_not_built(void **state)
{
	skip();
}

int main(int argc, char **argv)
{
	static struct kvmt_env env;
	const struct CMUnitTest tests[] = {
		KVMT_TEST(test_mmio_writes_and_reads, &env),
		KVMT_TEST(test_port_io, &env),
		KVMT_TEST(test_rom_write, &env),
		KVMT_TEST(test_level_irq_eoi, &env),
		KVMT_TEST(test_kick, &env),
		KVMT_TEST(test_dirty_log, &env),
	};
	char *slash;

	if (kvmt_env_init(&env, argc, argv))
		return 1;
	/* The simulator sits next to hv-kvm.so. */
	slash = strrchr(env.plugin_path, '/');
	if (!slash ||
	    (size_t)(slash - env.plugin_path) + sizeof("/hv-mshv-sim.so") >
		    sizeof(env.plugin_path))
		return 1;
	strcpy(slash, "/hv-mshv-sim.so");
	if (access(env.plugin_path, R_OK)) {
		const struct CMUnitTest none[] = {
			cmocka_unit_test(test_not_built),
		};

		print_message("%s not built\n", env.plugin_path);
		return cmocka_run_group_tests_name("mshv_sim_kvm", none, NULL,
						   NULL);
	}
	return cmocka_run_group_tests_name("mshv_sim_kvm", tests, NULL, NULL);
}
