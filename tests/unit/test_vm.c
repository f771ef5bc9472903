// SPDX-License-Identifier: Apache-2.0
/*
 * test_vm.c - the VM core on the fake hypervisor: construction (what the
 * platform asks of the hypervisor), vcpu_handle_exit() with fabricated
 * exits, the vCPU threads running scripted exits to power-off, and
 * unwinding when a hypervisor op fails.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "arch/x86_64/layout.h"
#include "hv/hv_call.h"
#include "tests/fakes/hv_fake.h"
#include "tests/lib/test_image.h"
#include "vmm/log.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

struct fixture {
	char kernel[64];
	struct vm_config cfg;
	const struct hv_ops *ops;
	struct hv_host host;
	struct hv *hv;
	struct event_loop *loop;
	struct vm vm;
	char out[256]; /* console output captured */
	size_t nout;
	pthread_mutex_t out_lock;
};

static void host_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, "hv", fmt, ap);
	va_end(ap);
}

static void capture(void *opaque, const uint8_t *buf, size_t len)
{
	struct fixture *f = opaque;

	pthread_mutex_lock(&f->out_lock);
	if (f->nout + len < sizeof(f->out)) {
		memcpy(f->out + f->nout, buf, len);
		f->nout += len;
	}
	pthread_mutex_unlock(&f->out_lock);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

static int setup(void **state)
{
	static const uint8_t code[] = { 0xf4 }; /* hlt: never run here */
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->kernel, "/tmp/nimbus-test-vm-XXXXXX");
	if (test_write_pvh_elf(f->kernel, 0x200000, code, sizeof(code)))
		return -1;
	f->cfg.payload.kernel = f->kernel;
	f->cfg.cpus.boot = f->cfg.cpus.max = 2;
	f->cfg.memory.size = 64ull << 20;
	f->cfg.serial.mode = CONSOLE_NULL;
	f->ops = hv_fake_desc.ops;
	f->host = (struct hv_host){
		.abi_major = HV_ABI_MAJOR,
		.abi_minor = HV_ABI_MINOR,
		.size = sizeof(f->host),
		.kick_signo = SIGUSR2,
		.log = host_log,
		.mmio = vcpu_host_mmio,
		.pio = vcpu_host_pio,
		.gpa_to_hva = vcpu_host_gpa_to_hva,
	};
	pthread_mutex_init(&f->out_lock, NULL);
	hv_fake_fail_clear();
	if (f->ops->open(&f->host, &f->hv) || event_loop_new(&f->loop))
		return -1;
	f->vm.console_tx = capture;
	f->vm.console_opaque = f;
	f->vm.kick_signo = SIGUSR2;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	event_loop_free(f->loop);
	f->ops->close(f->hv);
	unlink(f->kernel);
	pthread_mutex_destroy(&f->out_lock);
	free(f);
	return 0;
}

static void create(struct fixture *f)
{
	char err[256] = "";
	int ret = vm_create(&f->cfg, f->ops, f->hv, f->loop, &f->vm, err,
			    sizeof(err));

	if (ret)
		fail_msg("vm_create: %d %s", ret, err);
}

static struct hv_exit pio(uint16_t port, uint8_t size, uint32_t count,
			  int write, uint8_t *data);

static void test_create_wires_platform(void **state)
{
	struct fixture *f = *state;
	struct hv_irqchip_config ic;
	struct hv_fake_region r;
	struct hv_vm_config vc;
	static const uint8_t want_stub[] = {
		0xba, 0x00, 0x06, 0xb0, 0x01, 0xee
	};
	uint8_t rsdp[8], stub[6];
	uint32_t magic, gsi;
	struct hv_fake_irqfd irqfd;

	create(f);
	assert_int_equal(hv_fake_get_irqchip(f->vm.hvm, &ic, NULL), 0);
	assert_int_equal(ic.model, HV_IRQCHIP_X86_SPLIT);
	assert_int_equal(ic.nr_pins, 24);
	/* One irqfd per IOAPIC pin, on GSI = pin, then the MSI-X vectors
	 * of virtio-rng (always present): its queue and config vectors. */
	assert_int_equal(hv_fake_nr_irqfds(f->vm.hvm), 24 + 2);
	for (gsi = 0; gsi < 24 + 2; gsi++)
		assert_int_equal(hv_fake_find_irqfd(f->vm.hvm, gsi, &irqfd), 0);
	/* virtio-rng answers at 00:01.0 through CONFIG_ADDRESS/DATA. */
	{
		struct vcpu v = { .vm = &f->vm };
		uint32_t addr = 0x80000000u | 1u << 11, id = 0;
		struct hv_exit e = pio(0xcf8, 4, 1, 1, (uint8_t *)&addr);

		assert_int_equal(vcpu_handle_exit(&f->vm, &v, &e),
				 VCPU_CONTINUE);
		e = pio(0xcfc, 4, 1, 0, (uint8_t *)&id);
		assert_int_equal(vcpu_handle_exit(&f->vm, &v, &e),
				 VCPU_CONTINUE);
		assert_int_equal(id, 0x10441af4); /* 1af4:1044 virtio rng */
	}
	assert_int_equal(hv_fake_nr_regions(f->vm.hvm), 1);
	assert_int_equal(hv_fake_get_region(f->vm.hvm, 0, &r), 0);
	assert_int_equal(r.gpa, 0);
	assert_int_equal(r.size, 64ull << 20);
	hv_fake_vm_config(f->vm.hvm, &vc);
	assert_int_equal(vc.nr_vcpus, 2);
	assert_int_equal(vc.arch, HV_ARCH_X86_64);
	/* Firmware tables and the PVH start info are in guest RAM. */
	assert_int_equal(guest_mem_read(&f->vm.mem, X86_ACPI_BASE, rsdp, 8), 0);
	assert_memory_equal(rsdp, "RSD PTR ", 8);
	assert_int_equal(
		guest_mem_read(&f->vm.mem, X86_PVH_INFO_ADDR, &magic, 4), 0);
	assert_int_equal(magic, 0x336ec578);
	/* The reset vector holds a stub that writes the ACPI reset
	 * register (mov dx, 0x600; mov al, 1; out dx, al). */
	assert_int_equal(guest_mem_read(&f->vm.mem, X86_RESET_VECTOR, stub,
					sizeof(stub)),
			 0);
	assert_memory_equal(stub, want_stub, sizeof(stub));
	vm_destroy(&f->vm);
}

static struct hv_exit pio(uint16_t port, uint8_t size, uint32_t count,
			  int write, uint8_t *data)
{
	struct hv_exit e = { .reason = HV_EXIT_PIO };

	e.u.pio.port = port;
	e.u.pio.size = size;
	e.u.pio.count = count;
	e.u.pio.write = (uint8_t)write;
	e.u.pio.data = data;
	return e;
}

static struct hv_exit mmio(uint64_t gpa, uint32_t len, int write, uint32_t val)
{
	struct hv_exit e = { .reason = HV_EXIT_MMIO };

	e.u.mmio.gpa = gpa;
	e.u.mmio.len = len;
	e.u.mmio.write = (uint8_t)write;
	memcpy(e.u.mmio.data, &val, sizeof(val));
	return e;
}

static void test_exit_dispatch(void **state)
{
	struct fixture *f = *state;
	struct vcpu v = { .id = 0 };
	uint8_t buf[8] = "Habc";
	struct hv_exit e;
	uint32_t val;

	create(f);
	v.vm = &f->vm;
	/* A byte to COM1 reaches the console backend. */
	e = pio(X86_COM1_PORT, 1, 1, 1, buf);
	assert_int_equal(vcpu_handle_exit(&f->vm, &v, &e), VCPU_CONTINUE);
	/* String I/O: one bus access per element. */
	e = pio(X86_COM1_PORT, 1, 3, 1, buf + 1);
	assert_int_equal(vcpu_handle_exit(&f->vm, &v, &e), VCPU_CONTINUE);
	assert_int_equal(f->nout, 4);
	assert_memory_equal(f->out, "Habc", 4);
	/* Unclaimed port reads answer all-ones. */
	memset(buf, 0, sizeof(buf));
	e = pio(0x510, 2, 1, 0, buf);
	assert_int_equal(vcpu_handle_exit(&f->vm, &v, &e), VCPU_CONTINUE);
	assert_int_equal(buf[0], 0xff);
	assert_int_equal(buf[1], 0xff);
	/* IOAPIC version through MMIO (select register 1, read window). */
	e = mmio(X86_IOAPIC_ADDR, 4, 1, 1);
	assert_int_equal(vcpu_handle_exit(&f->vm, &v, &e), VCPU_CONTINUE);
	e = mmio(X86_IOAPIC_ADDR + 0x10, 4, 0, 0xdeadbeef);
	assert_int_equal(vcpu_handle_exit(&f->vm, &v, &e), VCPU_CONTINUE);
	memcpy(&val, e.u.mmio.data, 4);
	assert_int_equal(val & 0xff, 0x20);
	assert_int_equal((val >> 16) & 0xff, 23);
	/* Unclaimed MMIO reads answer all-ones, stale data is not leaked. */
	e = mmio(0xd0000000, 4, 0, 0x12345678);
	assert_int_equal(vcpu_handle_exit(&f->vm, &v, &e), VCPU_CONTINUE);
	memcpy(&val, e.u.mmio.data, 4);
	assert_int_equal(val, 0xffffffff);
	/* Arch exits: EOI is consumed, an unknown MSR faults, a hypercall
	 * gets -ENOSYS. */
	e = (struct hv_exit){ .reason = HV_EXIT_EOI, .u.eoi.vector = 0x30 };
	assert_int_equal(vcpu_handle_exit(&f->vm, &v, &e), VCPU_CONTINUE);
	e = (struct hv_exit){ .reason = HV_EXIT_MSR, .u.msr.index = 0x1234 };
	assert_int_equal(vcpu_handle_exit(&f->vm, &v, &e), VCPU_CONTINUE);
	assert_int_equal(e.u.msr.error, 1);
	e = (struct hv_exit){ .reason = HV_EXIT_HYPERCALL };
	assert_int_equal(vcpu_handle_exit(&f->vm, &v, &e), VCPU_CONTINUE);
	assert_int_equal((int64_t)e.u.hcall.ret[0], -1000);
	assert_int_equal(f->vm.stop_reason, VM_RUNNING);
	assert_int_equal(v.exits, 9);
	vm_destroy(&f->vm);
}

/* One fabricated exit on a fresh VM; returns the stop reason. */
static int stop_reason_for(struct fixture *f, struct hv_exit *e)
{
	struct vcpu v = { .id = 0 };
	int reason, action;

	create(f);
	v.vm = &f->vm;
	action = vcpu_handle_exit(&f->vm, &v, e);
	reason = f->vm.stop_reason;
	vm_destroy(&f->vm);
	assert_int_equal(action, reason ? VCPU_STOP : VCPU_CONTINUE);
	return reason;
}

static void test_exit_stops(void **state)
{
	struct fixture *f = *state;
	uint8_t poweroff = 0x34, reset = 0xfe, one = 1;
	struct hv_exit e;

	e = (struct hv_exit){ .reason = HV_EXIT_SHUTDOWN };
	assert_int_equal(stop_reason_for(f, &e), VM_STOP_POWEROFF);
	e = (struct hv_exit){ .reason = HV_EXIT_SHUTDOWN,
			      .flags = HV_EXIT_F_TRIPLE_FAULT };
	assert_int_equal(stop_reason_for(f, &e), VM_STOP_RESET);
	e = (struct hv_exit){ .reason = HV_EXIT_RESET };
	assert_int_equal(stop_reason_for(f, &e), VM_STOP_RESET);
	e = (struct hv_exit){ .reason = HV_EXIT_FAIL_ENTRY };
	assert_int_equal(stop_reason_for(f, &e), VM_STOP_ERROR);
	e = (struct hv_exit){ .reason = HV_EXIT_INTERNAL };
	assert_int_equal(stop_reason_for(f, &e), VM_STOP_ERROR);
	e = (struct hv_exit){ .reason = HV_EXIT_UNKNOWN };
	assert_int_equal(stop_reason_for(f, &e), VM_STOP_ERROR);
	e = (struct hv_exit){ .reason = 999 };
	assert_int_equal(stop_reason_for(f, &e), VM_STOP_ERROR);
	/* Backend bugs: impossible lengths stop the VM, never crash it. */
	e = mmio(0xd0000000, 0, 0, 0);
	assert_int_equal(stop_reason_for(f, &e), VM_STOP_ERROR);
	e = mmio(0xd0000000, 9, 0, 0);
	assert_int_equal(stop_reason_for(f, &e), VM_STOP_ERROR);
	e = pio(0x80, 3, 1, 1, &one);
	assert_int_equal(stop_reason_for(f, &e), VM_STOP_ERROR);
	e = pio(0x80, 1, 1, 1, NULL);
	assert_int_equal(stop_reason_for(f, &e), VM_STOP_ERROR);
	e = pio(0x80, 4, 2000, 1, &one);
	assert_int_equal(stop_reason_for(f, &e), VM_STOP_ERROR);
	/* Platform devices: ACPI S5 powers off, the i8042 resets. */
	e = pio(X86_ACPI_PM_PORT, 1, 1, 1, &poweroff);
	assert_int_equal(stop_reason_for(f, &e), VM_STOP_POWEROFF);
	e = pio(X86_I8042_CMD_PORT, 1, 1, 1, &reset);
	assert_int_equal(stop_reason_for(f, &e), VM_STOP_RESET);
}

static void test_ioapic_routes(void **state)
{
	struct fixture *f = *state;
	struct vcpu v = { .id = 0 };
	struct hv_route routes[32];
	uint32_t n = 32, i, found = 0;
	struct hv_exit e;

	create(f);
	v.vm = &f->vm;
	/* Pin 4 -> vector 0x24, edge, APIC 1, unmasked. */
	e = mmio(X86_IOAPIC_ADDR, 4, 1, 0x10 + 4 * 2 + 1);
	vcpu_handle_exit(&f->vm, &v, &e);
	e = mmio(X86_IOAPIC_ADDR + 0x10, 4, 1, 1u << 24);
	vcpu_handle_exit(&f->vm, &v, &e);
	e = mmio(X86_IOAPIC_ADDR, 4, 1, 0x10 + 4 * 2);
	vcpu_handle_exit(&f->vm, &v, &e);
	e = mmio(X86_IOAPIC_ADDR + 0x10, 4, 1, 0x24);
	vcpu_handle_exit(&f->vm, &v, &e);
	hv_fake_get_routes(f->vm.hvm, routes, 32, &n, NULL);
	for (i = 0; i < n; i++) {
		if (routes[i].gsi != 4)
			continue;
		found++;
		assert_int_equal(routes[i].type, HV_ROUTE_MSI);
		assert_int_equal(routes[i].u.msi.addr, 0xfee01000);
		assert_int_equal(routes[i].u.msi.data & 0x80ff, 0x24);
	}
	assert_int_equal(found, 1);
	/* Masking keeps the route (EOIs of a level interrupt in service
	 * must still be reported), unchanged. */
	e = mmio(X86_IOAPIC_ADDR + 0x10, 4, 1, 0x24 | 1u << 16);
	vcpu_handle_exit(&f->vm, &v, &e);
	n = 32;
	found = 0;
	hv_fake_get_routes(f->vm.hvm, routes, 32, &n, NULL);
	for (i = 0; i < n; i++) {
		if (routes[i].gsi != 4)
			continue;
		found++;
		assert_int_equal(routes[i].u.msi.data & 0x80ff, 0x24);
	}
	assert_int_equal(found, 1);
	vm_destroy(&f->vm);
}

static void test_threads_run_to_poweroff(void **state)
{
	struct fixture *f = *state;
	uint8_t bytes[] = "OK", s5 = 0x34;
	struct pollfd pfd;
	struct hv_exit e;
	struct hv_vcpu *v0, *v1;

	create(f);
	assert_int_equal(vm_prepare(&f->vm), 0);
	v0 = f->vm.vcpus[0].hv_vcpu;
	v1 = f->vm.vcpus[1].hv_vcpu;
	assert_non_null(v0);
	assert_non_null(v1);
	/* vCPU 1 idles until the stop kicks it. */
	hv_fake_set_blocking(v1, 1);
	e = pio(X86_COM1_PORT, 1, 2, 1, bytes);
	assert_int_equal(hv_fake_push_exit(v0, &e), 0);
	e = pio(X86_ACPI_PM_PORT, 1, 1, 1, &s5);
	assert_int_equal(hv_fake_push_exit(v0, &e), 0);
	vm_go(&f->vm);
	pfd = (struct pollfd){ .fd = f->vm.stop_efd, .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	vm_join(&f->vm);
	assert_int_equal(f->vm.stop_reason, VM_STOP_POWEROFF);
	assert_int_equal(f->nout, 2);
	assert_memory_equal(f->out, "OK", 2);
	assert_int_equal(hv_fake_nr_queued(v0), 0);
	assert_int_equal(hv_fake_thread_violations(v0), 0);
	assert_int_equal(hv_fake_thread_violations(v1), 0);
	vm_destroy(&f->vm);
}

static void test_backend_completion(void **state)
{
	struct fixture *f = *state;
	uint8_t one = 'X';
	struct pollfd pfd;
	struct hv_exit e;
	struct hv_vcpu *v0;
	int ret;
	void *hva;

	f->cfg.cpus.boot = 1;
	create(f);
	assert_int_equal(vm_prepare(&f->vm), 0);
	v0 = f->vm.vcpus[0].hv_vcpu;
	/* The backend completes a PIO itself through host->pio. */
	e = pio(X86_COM1_PORT, 1, 1, 1, &one);
	e.flags = HV_FAKE_F_HOST_IO;
	hv_fake_push_exit(v0, &e);
	/* And reaches guest RAM through host->gpa_to_hva. */
	e = mmio(0x1000, 4, 1, 0x11223344);
	e.flags = HV_FAKE_F_HOST_RAM;
	hv_fake_push_exit(v0, &e);
	/* Then the queue runs dry: the fake reports a shutdown. */
	vm_go(&f->vm);
	pfd = (struct pollfd){ .fd = f->vm.stop_efd, .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	vm_join(&f->vm);
	assert_int_equal(f->vm.stop_reason, VM_STOP_POWEROFF);
	assert_int_equal(f->nout, 1);
	assert_int_equal(f->out[0], 'X');
	hv_fake_last_host(v0, &ret, &hva);
	assert_int_equal(ret, 0);
	assert_ptr_equal(hva, guest_mem_ptr(&f->vm.mem, 0x1000, 4));
	assert_int_equal(*(uint32_t *)hva, 0x11223344);
	vm_destroy(&f->vm);
}

static void test_create_failures_unwind(void **state)
{
	static const char *const ops[] = { "vm_create", "map_memory",
					   "irqchip_create", "irqfd",
					   "set_routes" };
	struct fixture *f = *state;
	char err[256];
	unsigned int i;
	int fds = count_fds(), ret;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		err[0] = '\0';
		hv_fake_fail_next(ops[i], -EIO);
		ret = vm_create(&f->cfg, f->ops, f->hv, f->loop, &f->vm, err,
				sizeof(err));
		hv_fake_fail_clear();
		if (!strcmp(ops[i], "set_routes")) {
			/* Routes are pushed only when the guest programs
			 * the IOAPIC: creation does not call it. */
			assert_int_equal(ret, 0);
			vm_destroy(&f->vm);
			continue;
		}
		assert_int_equal(ret, -EIO);
		assert_true(strlen(err) > 0);
		assert_null(strchr(err, '\n'));
		assert_int_equal(count_fds(), fds);
	}
	/* A kernel that does not exist: a message naming it. */
	f->cfg.payload.kernel = "/nonexistent/vmlinux";
	err[0] = '\0';
	ret = vm_create(&f->cfg, f->ops, f->hv, f->loop, &f->vm, err,
			sizeof(err));
	assert_true(ret < 0);
	assert_non_null(strstr(err, "/nonexistent/vmlinux"));
	assert_int_equal(count_fds(), fds);
	f->cfg.payload.kernel = f->kernel;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_wires_platform,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_exit_dispatch, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_exit_stops, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ioapic_routes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_threads_run_to_poweroff,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_backend_completion, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_create_failures_unwind,
						setup, teardown),
	};
	sigset_t set;

	/* As in main: the kick signal is blocked outside vCPU threads. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	return cmocka_run_group_tests_name("vm", tests, NULL, NULL);
}
