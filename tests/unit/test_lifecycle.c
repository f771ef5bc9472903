// SPDX-License-Identifier: Apache-2.0
/*
 * test_lifecycle.c - the VM life cycle on the fake hypervisor, driven
 * directly (lc_*) and through the REST endpoints (api_handle): every
 * state transition and every refusal naming the state, vCPUs created in
 * id order, pause parking the vCPUs, guest-initiated power-off and reset, the event monitor
 * stream, and the JSON answers of vm.info, vm.counters and vmm.ping.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "arch/x86_64/layout.h"
#include "devices/counters.h"
#include "tests/fakes/hv_fake.h"
#include "tests/lib/test_image.h"
#include "vmm/api_handlers.h"
#include "vmm/cli.h"
#include "vmm/evmon.h"
#include "vmm/lifecycle.h"
#include "vmm/log.h"
#include "vmm/vcpu.h"

struct fixture {
	char kernel[64];
	struct hv_ops ops; /* the fake's, with blocking vCPUs */
	struct hv_host host;
	struct hv *hv;
	struct event_loop *loop;
	struct evmon *evmon;
	int ev_pipe[2];
	struct lifecycle lc;
	struct api_ctx ctx;
};

static void host_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, "hv", fmt, ap);
	va_end(ap);
}

/* vCPUs wait for scripted exits or kicks instead of powering off when
 * their script runs dry: a guest that just runs. */
static int blocking_vcpu_create(struct hv_vm *vm, uint32_t id,
				const struct hv_vcpu_config *cfg, void *cookie,
				struct hv_vcpu **out)
{
	const struct hv_ops *fake = hv_fake_desc.ops;
	int ret = fake->vcpu_create(vm, id, cfg, cookie, out);

	if (!ret)
		hv_fake_set_blocking(*out, 1);
	return ret;
}

static void kick_handler(int sig)
{
}

static struct vm_config *new_cfg(struct fixture *f)
{
	struct vm_config *cfg = calloc(1, sizeof(*cfg));

	cfg->payload.kernel = strdup(f->kernel);
	cfg->cpus.boot = cfg->cpus.max = 2;
	cfg->memory.size = 64ull << 20;
	cfg->serial.mode = CONSOLE_NULL;
	cfg->console.mode = CONSOLE_OFF;
	cfg->api.fd = cfg->event_monitor.fd = -1;
	return cfg;
}

static void lc_setup(struct fixture *f, int keep_alive)
{
	struct lifecycle_cfg c = {
		.ops = &f->ops,
		.hv = f->hv,
		.loop = f->loop,
		.evmon = f->evmon,
		.kick_signo = SIGUSR2,
		.keep_alive = keep_alive,
	};

	lc_init(&f->lc, &c);
	f->ctx = (struct api_ctx){ .lc = &f->lc, .hv_name = "fake" };
}

static int setup(void **state)
{
	static const uint8_t code[] = { 0xf4 };
	struct fixture *f = calloc(1, sizeof(*f));
	struct sigaction sa = { .sa_handler = kick_handler };
	struct endpoint_config ep = { .path = NULL };
	char err[128];

	if (!f)
		return -1;
	sigaction(SIGUSR2, &sa, NULL);
	strcpy(f->kernel, "/tmp/nimbus-test-lc-XXXXXX");
	if (test_write_pvh_elf(f->kernel, 0x200000, code, sizeof(code)))
		return -1;
	f->ops = *(const struct hv_ops *)hv_fake_desc.ops;
	f->ops.vcpu_create = blocking_vcpu_create;
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
	hv_fake_fail_clear();
	if (f->ops.open(&f->host, &f->hv) || event_loop_new(&f->loop))
		return -1;
	if (pipe2(f->ev_pipe, O_CLOEXEC))
		return -1;
	fcntl(f->ev_pipe[0], F_SETFL, O_NONBLOCK);
	ep.fd = f->ev_pipe[1];
	if (evmon_open(&ep, &f->evmon, err, sizeof(err)))
		return -1;
	lc_setup(f, 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	lc_fini(&f->lc);
	evmon_close(f->evmon);
	close(f->ev_pipe[0]);
	event_loop_free(f->loop);
	f->ops.close(f->hv);
	unlink(f->kernel);
	free(f);
	return 0;
}

/* The "vm"/"vmm" event names emitted so far, space separated. */
static void events(struct fixture *f, char *out, size_t cap)
{
	char buf[8192], *line, *save;
	ssize_t n = read(f->ev_pipe[0], buf, sizeof(buf) - 1);
	size_t len = 0;

	out[0] = '\0';
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		json_t *j = json_loads(line, 0, NULL);

		assert_non_null(j);
		len += (size_t)snprintf(
			out + len, cap - len, "%s%s", len ? " " : "",
			json_string_value(json_object_get(j, "event")));
		json_decref(j);
	}
}

static void expect_events(struct fixture *f, const char *want)
{
	char got[1024];

	events(f, got, sizeof(got));
	if (strcmp(got, want))
		fail_msg("events '%s', want '%s'", got, want);
}

static void stop_cb(void *opaque, int fd, uint32_t events)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0) {
		/* spurious */
	}
	event_loop_stop(opaque);
}

/* Let the loop handle what is pending (the VM's stop) for 200 ms. */
static void spin_loop(struct fixture *f, int wait_stop)
{
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);

	if (wait_stop) {
		struct pollfd pfd = { .fd = f->lc.vm.stop_efd,
				      .events = POLLIN };

		assert_int_equal(poll(&pfd, 1, 5000), 1);
	}
	assert_true(tfd >= 0);
	assert_int_equal(event_add(f->loop, tfd, EV_IN, stop_cb, f->loop), 0);
	event_timer_arm(tfd, 200000000ull);
	assert_int_equal(event_loop_run(f->loop), 0);
	event_del(f->loop, tfd);
	close(tfd);
}

static void push(struct fixture *f, uint32_t vcpu, const struct hv_exit *e)
{
	struct hv_vcpu *v = hv_fake_vm_vcpu(f->lc.vm.hvm, vcpu);

	assert_non_null(v);
	assert_int_equal(hv_fake_push_exit(v, e), 0);
}

static void test_states_and_refusals(void **state)
{
	struct fixture *f = *state;
	char err[256];

	assert_string_equal(lc_state_name(f->lc.state), "NotCreated");
	assert_int_equal(lc_boot(&f->lc, err, sizeof(err)), -ENOENT);
	assert_int_equal(lc_pause(&f->lc, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no VM"));
	assert_int_equal(lc_create(&f->lc, new_cfg(f), 1, err, sizeof(err)), 0);
	assert_string_equal(lc_state_name(f->lc.state), "Created");
	assert_int_equal(lc_create(&f->lc, new_cfg(f), 1, err, sizeof(err)),
			 -EBUSY);
	assert_non_null(strstr(err, "Created"));
	assert_int_equal(lc_pause(&f->lc, err, sizeof(err)), -EBUSY);
	assert_string_equal(err, "cannot pause: the VM is Created");
	assert_int_equal(lc_resume(&f->lc, err, sizeof(err)), -EBUSY);
	assert_int_equal(lc_shutdown(&f->lc, err, sizeof(err)), -EBUSY);
	assert_int_equal(lc_reboot(&f->lc, err, sizeof(err)), -EBUSY);
	assert_int_equal(lc_power_button(&f->lc, err, sizeof(err)), -EBUSY);
	assert_null(lc_vm(&f->lc));

	if (lc_boot(&f->lc, err, sizeof(err)))
		fail_msg("boot: %s", err);
	assert_int_equal(f->lc.state, LC_RUNNING);
	assert_non_null(lc_vm(&f->lc));
	assert_int_equal(lc_boot(&f->lc, err, sizeof(err)), -EBUSY);
	assert_string_equal(err, "cannot boot: the VM is Running");
	assert_int_equal(lc_resume(&f->lc, err, sizeof(err)), -EBUSY);
	assert_int_equal(lc_pause(&f->lc, err, sizeof(err)), 0);
	assert_int_equal(f->lc.state, LC_PAUSED);
	assert_int_equal(lc_pause(&f->lc, err, sizeof(err)), -EBUSY);
	assert_string_equal(err, "cannot pause: the VM is Paused");
	assert_int_equal(lc_power_button(&f->lc, err, sizeof(err)), -EBUSY);
	assert_int_equal(lc_resume(&f->lc, err, sizeof(err)), 0);
	assert_int_equal(lc_power_button(&f->lc, err, sizeof(err)), 0);
	assert_int_equal(lc_reboot(&f->lc, err, sizeof(err)), 0);
	assert_int_equal(f->lc.state, LC_RUNNING);
	assert_int_equal(lc_shutdown(&f->lc, err, sizeof(err)), 0);
	assert_int_equal(f->lc.state, LC_SHUTDOWN);
	assert_null(lc_vm(&f->lc));
	assert_int_equal(lc_shutdown(&f->lc, err, sizeof(err)), -EBUSY);
	assert_string_equal(err, "cannot shut down: the VM is Shutdown");
	assert_int_equal(lc_pause(&f->lc, err, sizeof(err)), -EBUSY);
	/* Shutdown -> boot again from the same config. */
	assert_int_equal(lc_boot(&f->lc, err, sizeof(err)), 0);
	assert_int_equal(lc_pause(&f->lc, err, sizeof(err)), 0);
	/* A paused VM can be shut down or deleted. */
	assert_int_equal(lc_delete(&f->lc, err, sizeof(err)), 0);
	assert_int_equal(f->lc.state, LC_NONE);
	assert_int_equal(lc_delete(&f->lc, err, sizeof(err)), 0);
	assert_false(lc_exit_requested(&f->lc));
	expect_events(f, "booting booted pausing paused resuming resumed "
			 "rebooting rebooted shutdown booting booted pausing "
			 "paused shutdown deleted");
}

static void test_create_checks_payload(void **state)
{
	struct fixture *f = *state;
	struct vm_config *cfg = new_cfg(f);
	char err[256];

	free(cfg->payload.kernel);
	cfg->payload.kernel = strdup("/nonexistent/vmlinux");
	assert_int_equal(lc_create(&f->lc, cfg, 1, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "/nonexistent/vmlinux"));
	assert_int_equal(f->lc.state, LC_NONE);
	/* A config the VM cannot be built from: boot fails, no state change. */
	cfg = new_cfg(f);
	cfg->cpus.boot = cfg->cpus.max = 100; /* the fake allows 64 */
	assert_int_equal(lc_create(&f->lc, cfg, 1, err, sizeof(err)), 0);
	assert_true(lc_boot(&f->lc, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "cpus"));
	assert_int_equal(f->lc.state, LC_CREATED);
	expect_events(f, "booting");
}

/* Paused vCPUs run nothing: a scripted exit stays queued until resume. */
static void test_pause_parks_vcpus(void **state)
{
	struct fixture *f = *state;
	struct hv_exit e = { .reason = HV_EXIT_PIO };
	uint8_t b = 'x';
	struct hv_vcpu *v1;
	char err[256];
	int i;

	e.u.pio.port = 0x80; /* debug port: harmless */
	e.u.pio.size = 1;
	e.u.pio.count = 1;
	e.u.pio.write = 1;
	e.u.pio.data = &b;
	assert_int_equal(lc_create(&f->lc, new_cfg(f), 1, err, sizeof(err)), 0);
	assert_int_equal(lc_boot(&f->lc, err, sizeof(err)), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(lc_pause(&f->lc, err, sizeof(err)), 0);
		assert_int_equal(f->lc.vm.active, 2);
		assert_int_equal(f->lc.vm.parked, 2);
		v1 = hv_fake_vm_vcpu(f->lc.vm.hvm, 1);
		push(f, 1, &e);
		usleep(100000);
		assert_int_equal(hv_fake_nr_queued(v1), 1);
		assert_int_equal(lc_resume(&f->lc, err, sizeof(err)), 0);
		for (int t = 0; t < 100 && hv_fake_nr_queued(v1); t++)
			usleep(10000);
		assert_int_equal(hv_fake_nr_queued(v1), 0);
	}
	assert_int_equal(f->lc.vm.stop_reason, VM_RUNNING);
}

/* Creation order seen by ordered_vcpu_create (one test at a time). */
static uint32_t created_ids[8];
static unsigned int nr_created;

/* vCPU 0 is slow to create: only a core that creates vCPUs in id order
 * gets index == id from the hypervisor (KVM on arm64 before Linux 6.6
 * routes a vCPU's timer interrupt by creation index). */
static int ordered_vcpu_create(struct hv_vm *vm, uint32_t id,
			       const struct hv_vcpu_config *cfg, void *cookie,
			       struct hv_vcpu **out)
{
	unsigned int n;

	if (id == 0)
		usleep(20000);
	n = __atomic_fetch_add(&nr_created, 1, __ATOMIC_RELAXED);
	if (n < 8)
		created_ids[n] = id;
	return blocking_vcpu_create(vm, id, cfg, cookie, out);
}

static void test_vcpus_created_in_order(void **state)
{
	struct fixture *f = *state;
	struct vm_config *cfg = new_cfg(f);
	char err[256];

	nr_created = 0;
	f->ops.vcpu_create = ordered_vcpu_create;
	cfg->cpus.boot = cfg->cpus.max = 8;
	assert_int_equal(lc_create(&f->lc, cfg, 1, err, sizeof(err)), 0);
	assert_int_equal(lc_boot(&f->lc, err, sizeof(err)), 0);
	assert_int_equal(nr_created, 8);
	for (uint32_t i = 0; i < 8; i++)
		assert_int_equal(created_ids[i], i);
	assert_int_equal(f->lc.vm.active, 8);
}

/* The guest powers off (ACPI S5): Shutdown with an API, exit without. */
static void test_guest_poweroff(void **state)
{
	struct fixture *f = *state;
	struct hv_exit e = { .reason = HV_EXIT_PIO };
	uint8_t s5 = 0x34;
	char err[256];

	e.u.pio.port = X86_ACPI_PM_PORT;
	e.u.pio.size = 1;
	e.u.pio.count = 1;
	e.u.pio.write = 1;
	e.u.pio.data = &s5;
	assert_int_equal(lc_create(&f->lc, new_cfg(f), 1, err, sizeof(err)), 0);
	assert_int_equal(lc_boot(&f->lc, err, sizeof(err)), 0);
	push(f, 0, &e);
	spin_loop(f, 1);
	assert_int_equal(f->lc.state, LC_SHUTDOWN);
	assert_false(lc_exit_requested(&f->lc));
	assert_null(lc_vm(&f->lc));
	expect_events(f, "booting booted shutdown");

	/* Without an API the VMM ends, status 0. */
	lc_fini(&f->lc);
	lc_setup(f, 0);
	assert_int_equal(lc_create(&f->lc, new_cfg(f), 1, err, sizeof(err)), 0);
	assert_int_equal(lc_boot(&f->lc, err, sizeof(err)), 0);
	push(f, 1, &e);
	spin_loop(f, 1);
	assert_true(lc_exit_requested(&f->lc));
	assert_int_equal(f->lc.exit_status, 0);
	assert_int_equal(f->lc.state, LC_SHUTDOWN);
	expect_events(f, "booting booted shutdown");
}

/* The guest resets (i8042 pulse): a fresh VM, Running again. */
static void test_guest_reset(void **state)
{
	struct fixture *f = *state;
	struct hv_exit e = { .reason = HV_EXIT_RESET };
	char err[256];

	assert_int_equal(lc_create(&f->lc, new_cfg(f), 1, err, sizeof(err)), 0);
	assert_int_equal(lc_boot(&f->lc, err, sizeof(err)), 0);
	push(f, 0, &e);
	spin_loop(f, 1);
	assert_int_equal(f->lc.state, LC_RUNNING);
	assert_non_null(lc_vm(&f->lc));
	assert_int_equal(f->lc.vm.stop_reason, VM_RUNNING);
	assert_true(f->lc.vm.hvm == hv_fake_last_vm());
	/* A VM error without an API: exit status 1. */
	e.reason = HV_EXIT_INTERNAL;
	lc_fini(&f->lc);
	lc_setup(f, 0);
	assert_int_equal(lc_create(&f->lc, new_cfg(f), 1, err, sizeof(err)), 0);
	assert_int_equal(lc_boot(&f->lc, err, sizeof(err)), 0);
	push(f, 0, &e);
	spin_loop(f, 1);
	assert_true(lc_exit_requested(&f->lc));
	assert_int_equal(f->lc.exit_status, 1);
	expect_events(f, "booting booted rebooting rebooted booting booted "
			 "shutdown");
}

/* --- through the endpoints ------------------------------------------------ */

static int call(struct fixture *f, const char *method, const char *path,
		const char *body, json_t **out)
{
	struct api_request req = {
		.method = !strcmp(method, "GET") ? API_HTTP_GET :
			  !strcmp(method, "PUT") ? API_HTTP_PUT :
						   API_HTTP_POST,
		.method_str = method,
		.path = path,
		.body = body ? body : "",
		.body_len = body ? strlen(body) : 0,
	};
	struct api_response resp = { 0 };
	json_t *j = NULL;

	api_handle(&f->ctx, &req, &resp);
	if (resp.body) {
		j = json_loadb(resp.body, resp.body_len, 0, NULL);
		assert_non_null(j);
		if (resp.status >= 400)
			assert_true(
				json_is_string(json_object_get(j, "error")));
	} else {
		assert_int_equal(resp.status, 204);
	}
	free(resp.body);
	if (out)
		*out = j;
	else
		json_decref(j);
	return resp.status;
}

static const char *err_of(json_t *j)
{
	return json_string_value(json_object_get(j, "error"));
}

static void test_endpoints(void **state)
{
	struct fixture *f = *state;
	char body[512];
	json_t *j;

	assert_int_equal(call(f, "GET", "/api/v1/vmm.ping", NULL, &j), 200);
	assert_int_equal(json_integer_value(json_object_get(j, "pid")),
			 getpid());
	assert_non_null(json_object_get(j, "version"));
	json_decref(j);
	/* Paths, endpoints and methods. */
	assert_int_equal(call(f, "GET", "/api/v2/vm.info", NULL, NULL), 404);
	assert_int_equal(call(f, "GET", "/api/v1/vm.bogus", NULL, &j), 404);
	assert_non_null(strstr(err_of(j), "vm.bogus"));
	json_decref(j);
	assert_int_equal(call(f, "PUT", "/api/v1/vm.info", NULL, &j), 405);
	assert_non_null(strstr(err_of(j), "GET"));
	json_decref(j);
	assert_int_equal(call(f, "POST", "/api/v1/vm.boot", NULL, NULL), 405);
	assert_int_equal(call(f, "GET", "/api/v1/vm.boot", NULL, NULL), 405);
	/* Not created yet. */
	assert_int_equal(call(f, "GET", "/api/v1/vm.info", NULL, NULL), 404);
	assert_int_equal(call(f, "GET", "/api/v1/vm.counters", NULL, NULL),
			 404);
	assert_int_equal(call(f, "PUT", "/api/v1/vm.boot", NULL, NULL), 404);
	assert_int_equal(call(f, "PUT", "/api/v1/vm.delete", NULL, NULL), 204);
	/* Missing features: 501 naming them. */
	assert_int_equal(call(f, "PUT", "/api/v1/vm.snapshot", "{}", &j), 501);
	assert_non_null(strstr(err_of(j), "snapshot"));
	json_decref(j);
	assert_int_equal(call(f, "PUT", "/api/v1/vm.add-disk", "{}", &j), 501);
	assert_non_null(strstr(err_of(j), "disk hotplug"));
	json_decref(j);
	assert_int_equal(call(f, "PUT", "/api/v1/vm.resize", "{}", NULL), 501);
	assert_int_equal(call(f, "PUT", "/api/v1/vm.restore", "{}", NULL), 501);
	/* Bad bodies: 400 naming the problem. */
	assert_int_equal(call(f, "PUT", "/api/v1/vm.create", "{", &j), 400);
	assert_non_null(strstr(err_of(j), "invalid JSON"));
	json_decref(j);
	assert_int_equal(call(f, "PUT", "/api/v1/vm.create",
			      "{\"payload\":{\"kernel\":\"/k\"},\"x\":1}", &j),
			 400);
	assert_non_null(strstr(err_of(j), "unknown field 'x'"));
	json_decref(j);
	snprintf(
		body, sizeof(body),
		"{\"payload\":{\"kernel\":\"%s\"},\"cpus\":{\"boot_vcpus\":\"1\"}}",
		f->kernel);
	assert_int_equal(call(f, "PUT", "/api/v1/vm.create", body, NULL), 400);
	assert_int_equal(call(f, "PUT", "/api/v1/vm.create",
			      "{\"payload\":{\"kernel\":\"/nonexistent\"}}",
			      NULL),
			 400);
	assert_int_equal(f->lc.state, LC_NONE);

	snprintf(body, sizeof(body),
		 "{\"payload\":{\"kernel\":\"%s\",\"cmdline\":\"quiet\"},"
		 "\"cpus\":{\"boot_vcpus\":1},\"memory\":{\"size\":67108864},"
		 "\"console\":{\"mode\":\"Off\"},\"pvpanic\":true}",
		 f->kernel);
	assert_int_equal(call(f, "PUT", "/api/v1/vm.create", body, NULL), 204);
	assert_int_equal(call(f, "PUT", "/api/v1/vm.create", body, &j), 405);
	assert_non_null(strstr(err_of(j), "Created"));
	json_decref(j);
	assert_int_equal(call(f, "GET", "/api/v1/vm.info", NULL, &j), 200);
	assert_string_equal(json_string_value(json_object_get(j, "state")),
			    "Created");
	assert_int_equal(
		json_integer_value(json_object_get(j, "memory_actual_size")),
		64 << 20);
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(json_object_get(j, "config"), "payload"),
			"cmdline")),
		"quiet");
	json_decref(j);
	assert_int_equal(call(f, "GET", "/api/v1/vm.counters", NULL, &j), 405);
	assert_non_null(strstr(err_of(j), "Created"));
	json_decref(j);
	assert_int_equal(call(f, "PUT", "/api/v1/vm.pause", NULL, &j), 405);
	assert_non_null(strstr(err_of(j), "the VM is Created"));
	json_decref(j);

	assert_int_equal(call(f, "PUT", "/api/v1/vm.boot", NULL, NULL), 204);
	assert_int_equal(call(f, "GET", "/api/v1/vm.info", NULL, &j), 200);
	assert_string_equal(json_string_value(json_object_get(j, "state")),
			    "Running");
	/* virtio-rng and pvpanic are on the PCI bus. */
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(json_object_get(j, "device_tree"),
					"_pvpanic"),
			"pci_bdf")),
		"0000:00:02.0");
	json_decref(j);
	assert_int_equal(call(f, "PUT", "/api/v1/vm.boot", NULL, &j), 405);
	assert_non_null(strstr(err_of(j), "Running"));
	json_decref(j);
	assert_int_equal(call(f, "PUT", "/api/v1/vm.pause", NULL, NULL), 204);
	assert_int_equal(call(f, "GET", "/api/v1/vm.info", NULL, &j), 200);
	assert_string_equal(json_string_value(json_object_get(j, "state")),
			    "Paused");
	json_decref(j);
	assert_int_equal(call(f, "PUT", "/api/v1/vm.power-button", NULL, &j),
			 405);
	assert_non_null(strstr(err_of(j), "Paused"));
	json_decref(j);
	assert_int_equal(call(f, "PUT", "/api/v1/vm.resume", NULL, NULL), 204);
	assert_int_equal(call(f, "PUT", "/api/v1/vm.power-button", NULL, NULL),
			 204);
	assert_int_equal(call(f, "PUT", "/api/v1/vm.reboot", NULL, NULL), 204);
	assert_int_equal(call(f, "PUT", "/api/v1/vm.shutdown", NULL, NULL),
			 204);
	assert_int_equal(call(f, "GET", "/api/v1/vm.info", NULL, &j), 200);
	assert_string_equal(json_string_value(json_object_get(j, "state")),
			    "Shutdown");
	json_decref(j);
	assert_int_equal(call(f, "PUT", "/api/v1/vm.delete", NULL, NULL), 204);
	assert_int_equal(call(f, "GET", "/api/v1/vm.info", NULL, NULL), 404);
	assert_false(lc_exit_requested(&f->lc));
	assert_int_equal(call(f, "PUT", "/api/v1/vmm.shutdown", NULL, NULL),
			 204);
	assert_true(lc_exit_requested(&f->lc));
	assert_int_equal(f->lc.exit_status, 0);
	expect_events(f, "booting booted pausing paused resuming resumed "
			 "rebooting rebooted shutdown deleted");
}

static void test_counters(void **state)
{
	static const char *const names[] = { DEV_CTR_READ_BYTES,
					     DEV_CTR_READ_OPS };
	struct fixture *f = *state;
	struct dev_counters c, d;
	char err[256];
	json_t *j, *dev;

	assert_int_equal(lc_create(&f->lc, new_cfg(f), 1, err, sizeof(err)), 0);
	assert_int_equal(lc_boot(&f->lc, err, sizeof(err)), 0);
	assert_int_equal(call(f, "GET", "/api/v1/vm.counters", NULL, &j), 200);
	assert_int_equal(json_object_size(j), 0);
	json_decref(j);
	dev_counters_init(&c, names, 2);
	dev_counters_init(&d, names, 1);
	assert_int_equal(vm_counters_add(&f->lc.vm, "_disk0", &c), 0);
	assert_int_equal(vm_counters_add(&f->lc.vm, "_disk0", &d), -EEXIST);
	assert_int_equal(vm_counters_add(&f->lc.vm, "_disk1", &d), 0);
	dev_counter_add(&c, 0, 4096);
	dev_counter_add(&c, 0, 512);
	dev_counter_add(&c, 1, 2);
	dev_counter_add(&c, 7, 2); /* out of range: ignored */
	dev_counter_add(&d, 1, 9); /* d has one counter */
	assert_int_equal(call(f, "GET", "/api/v1/vm.counters", NULL, &j), 200);
	dev = json_object_get(j, "_disk0");
	assert_int_equal(json_integer_value(json_object_get(dev, "read_bytes")),
			 4608);
	assert_int_equal(json_integer_value(json_object_get(dev, "read_ops")),
			 2);
	dev = json_object_get(j, "_disk1");
	assert_int_equal(json_object_size(dev), 1);
	assert_int_equal(json_integer_value(json_object_get(dev, "read_bytes")),
			 0);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_states_and_refusals, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_create_checks_payload,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_pause_parks_vcpus, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_vcpus_created_in_order,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_poweroff, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_guest_reset, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_endpoints, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_counters, setup, teardown),
	};

	log_init_clock();
	log_set_level(LOG_ERR);
	return cmocka_run_group_tests_name("lifecycle", tests, NULL, NULL);
}
