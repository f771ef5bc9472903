// SPDX-License-Identifier: Apache-2.0
/*
 * lifecycle.c - VM states and the actions that move between them (see
 * lifecycle.h).  One VM at a time; building it is vm_create + vm_start,
 * tearing it down is vm_request_stop + vm_join + vm_destroy, both on the
 * main loop, which also hears the guest's own stop requests through the
 * VM's stop eventfd.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_MOD "lifecycle"
#include "arch/arch.h"
#include "vmm/cli.h"
#include "vmm/console.h"
#include "vmm/evmon.h"
#include "vmm/lifecycle.h"
#include "vmm/log.h"
#include "vmm/vm_virtio.h"

static const char *const state_names[] = {
	[LC_NONE] = "NotCreated",   [LC_CREATED] = "Created",
	[LC_RUNNING] = "Running",   [LC_PAUSED] = "Paused",
	[LC_SHUTDOWN] = "Shutdown",
};

const char *lc_state_name(int state)
{
	if (state < 0 || state > LC_SHUTDOWN)
		return "Unknown";
	return state_names[state];
}

static int lc_err(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int lc_err(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* -ENOENT without a VM, -EBUSY naming the state otherwise. */
static int bad_state(struct lifecycle *lc, const char *what, char *err,
		     size_t errlen)
{
	if (lc->state == LC_NONE)
		return lc_err(err, errlen, -ENOENT, "no VM is created");
	return lc_err(err, errlen, -EBUSY, "cannot %s: the VM is %s", what,
		      lc_state_name(lc->state));
}

static void emit(struct lifecycle *lc, const char *event)
{
	evmon_emit(lc->c.evmon, "vm", event, NULL);
}

void lc_init(struct lifecycle *lc, const struct lifecycle_cfg *c)
{
	memset(lc, 0, sizeof(*lc));
	lc->c = *c;
	lc->vm.stop_efd = -1;
}

/* --- consoles ------------------------------------------------------------ */

static size_t console_to_guest(void *opaque, const uint8_t *buf, size_t len)
{
	struct vm *vm = opaque;

	return arch_console_input(vm->arch, buf, len);
}

static size_t vconsole_to_guest(void *opaque, const uint8_t *buf, size_t len)
{
	return vm_virtio_console_input(opaque, buf, len);
}

static int consoles_open(struct lifecycle *lc, char *err, size_t errlen)
{
	char msg[256] = "";
	int ret;

	if (!lc->console) {
		ret = console_open(&lc->cfg->serial, lc->c.loop, &lc->console,
				   msg, sizeof(msg));
		if (ret)
			return lc_err(err, errlen, ret, "serial: %s", msg);
	}
	if (!lc->vconsole && lc->cfg->console.mode != CONSOLE_OFF) {
		ret = console_open(&lc->cfg->console, lc->c.loop, &lc->vconsole,
				   msg, sizeof(msg));
		if (ret)
			return lc_err(err, errlen, ret, "console: %s", msg);
	}
	return 0;
}

static void consoles_close(struct lifecycle *lc)
{
	console_close(lc->vconsole);
	console_close(lc->console);
	lc->vconsole = lc->console = NULL;
}

/* --- one VM incarnation -------------------------------------------------- */

static void on_vm_stop(void *opaque, int fd, uint32_t events);

static void vm_teardown(struct lifecycle *lc, int reason)
{
	if (!lc->vm_live)
		return;
	event_del(lc->c.loop, lc->vm.stop_efd);
	vm_request_stop(&lc->vm, reason);
	vm_join(&lc->vm);
	console_set_sink(lc->console, NULL, NULL);
	if (lc->vconsole)
		console_set_sink(lc->vconsole, NULL, NULL);
	vm_destroy(&lc->vm);
	lc->vm_live = 0;
}

/* Build and start a VM from lc->cfg; consoles must be open. */
static int vm_build(struct lifecycle *lc, char *err, size_t errlen)
{
	struct vm *vm = &lc->vm;
	int ret;

	vm->console_tx = console_output;
	vm->console_rx_space = console_rx_space;
	vm->console_opaque = lc->console;
	vm->vcon_tx = lc->vconsole ? console_output : NULL;
	vm->vcon_rx_space = lc->vconsole ? console_rx_space : NULL;
	vm->vcon_opaque = lc->vconsole;
	vm->kick_signo = lc->c.kick_signo;
	vm->evmon = lc->c.evmon;
	vm->sandbox = lc->c.sandbox;
	ret = vm_create(lc->cfg, lc->c.ops, lc->c.hv, lc->c.loop, vm, err,
			errlen);
	if (ret)
		return ret;
	lc->vm_live = 1;
	console_set_sink(lc->console, console_to_guest, vm);
	if (lc->vconsole)
		console_set_sink(lc->vconsole, vconsole_to_guest, vm);
	ret = event_add(lc->c.loop, vm->stop_efd, EV_IN, on_vm_stop, lc);
	if (ret) {
		lc_err(err, errlen, ret, "event loop: %s", strerror(-ret));
		vm_request_stop(vm, VM_STOP_ERROR);
		vm_join(vm);
		console_set_sink(lc->console, NULL, NULL);
		if (lc->vconsole)
			console_set_sink(lc->vconsole, NULL, NULL);
		vm_destroy(vm);
		lc->vm_live = 0;
		return ret;
	}
	ret = vm_start(vm);
	if (ret) {
		lc_err(err, errlen, ret, "cannot start the vCPUs: %s",
		       strerror(-ret));
		vm_teardown(lc, VM_STOP_ERROR);
	}
	return ret;
}

/* The VM is gone for good: Shutdown, and maybe the end of the VMM. */
static void went_down(struct lifecycle *lc, int status)
{
	vm_teardown(lc, VM_STOP_SIGNAL);
	consoles_close(lc);
	lc->state = LC_SHUTDOWN;
	if (!lc->c.keep_alive)
		lc_exit(lc, status);
}

static int do_reboot(struct lifecycle *lc, char *err, size_t errlen)
{
	int ret;

	emit(lc, "rebooting");
	vm_teardown(lc, VM_STOP_RESET);
	ret = vm_build(lc, err, errlen);
	if (ret) {
		log_err("reboot failed: %s", err ? err : "");
		went_down(lc, 1);
		return ret;
	}
	lc->state = LC_RUNNING;
	emit(lc, "rebooted");
	return 0;
}

/* The guest (or an error) stopped the VM. */
static void on_vm_stop(void *opaque, int fd, uint32_t events)
{
	struct lifecycle *lc = opaque;
	char err[512] = "";
	uint64_t v;
	int reason;

	if (read(fd, &v, sizeof(v)) < 0) {
		/* drained already */
	}
	reason = __atomic_load_n(&lc->vm.stop_reason, __ATOMIC_ACQUIRE);
	switch (reason) {
	case VM_STOP_RESET:
		log_info("rebooting the guest");
		do_reboot(lc, err, sizeof(err));
		break;
	case VM_STOP_POWEROFF:
		log_info("the guest powered off");
		emit(lc, "shutdown");
		went_down(lc, 0);
		break;
	case VM_STOP_ERROR:
		log_err("the VM stopped on an error");
		emit(lc, "shutdown");
		went_down(lc, 1);
		break;
	default:
		emit(lc, "shutdown");
		went_down(lc, 0);
		break;
	}
}

/* --- actions ------------------------------------------------------------- */

int lc_create(struct lifecycle *lc, struct vm_config *cfg, int owned, char *err,
	      size_t errlen)
{
	const char *files[] = { cfg->payload.kernel, cfg->payload.initramfs };
	const char *what[] = { "kernel", "initramfs" };
	unsigned int i;
	int ret = 0;

	if (lc->state != LC_NONE) {
		ret = lc_err(err, errlen, -EBUSY,
			     "a VM is already created (state %s)",
			     lc_state_name(lc->state));
		goto fail;
	}
	if (!cfg->payload.kernel) {
		ret = lc_err(err, errlen, -EINVAL, "no kernel to boot");
		goto fail;
	}
	for (i = 0; i < 2; i++) {
		if (files[i] && access(files[i], R_OK)) {
			ret = lc_err(err, errlen, -EINVAL, "%s %s: %s", what[i],
				     files[i], strerror(errno));
			goto fail;
		}
	}
	lc->cfg = cfg;
	lc->cfg_owned = owned;
	lc->state = LC_CREATED;
	return 0;
fail:
	if (owned) {
		vm_config_free(cfg);
		free(cfg);
	}
	return ret;
}

int lc_boot(struct lifecycle *lc, char *err, size_t errlen)
{
	int ret;

	if (lc->state != LC_CREATED && lc->state != LC_SHUTDOWN)
		return bad_state(lc, "boot", err, errlen);
	emit(lc, "booting");
	ret = consoles_open(lc, err, errlen);
	if (!ret)
		ret = vm_build(lc, err, errlen);
	if (ret) {
		consoles_close(lc);
		return ret;
	}
	lc->state = LC_RUNNING;
	emit(lc, "booted");
	return 0;
}

int lc_shutdown(struct lifecycle *lc, char *err, size_t errlen)
{
	if (lc->state != LC_RUNNING && lc->state != LC_PAUSED)
		return bad_state(lc, "shut down", err, errlen);
	vm_teardown(lc, VM_STOP_SIGNAL);
	consoles_close(lc);
	lc->state = LC_SHUTDOWN;
	emit(lc, "shutdown");
	return 0;
}

int lc_reboot(struct lifecycle *lc, char *err, size_t errlen)
{
	if (lc->state != LC_RUNNING && lc->state != LC_PAUSED)
		return bad_state(lc, "reboot", err, errlen);
	return do_reboot(lc, err, errlen);
}

int lc_pause(struct lifecycle *lc, char *err, size_t errlen)
{
	int ret;

	if (lc->state != LC_RUNNING)
		return bad_state(lc, "pause", err, errlen);
	emit(lc, "pausing");
	ret = vm_pause(&lc->vm);
	if (ret)
		return lc_err(err, errlen, ret, "cannot pause: %s",
			      ret == -ETIMEDOUT ? "a vCPU did not stop" :
						  "the VM is stopping");
	lc->state = LC_PAUSED;
	emit(lc, "paused");
	return 0;
}

int lc_resume(struct lifecycle *lc, char *err, size_t errlen)
{
	if (lc->state != LC_PAUSED)
		return bad_state(lc, "resume", err, errlen);
	emit(lc, "resuming");
	vm_resume(&lc->vm);
	lc->state = LC_RUNNING;
	emit(lc, "resumed");
	return 0;
}

int lc_power_button(struct lifecycle *lc, char *err, size_t errlen)
{
	int ret;

	if (lc->state != LC_RUNNING)
		return bad_state(lc, "press the power button", err, errlen);
	ret = vm_power_button(&lc->vm);
	if (ret == -ENODEV)
		return lc_err(err, errlen, ret,
			      "this platform has no power button");
	if (ret)
		return lc_err(err, errlen, ret, "power button: %s",
			      strerror(-ret));
	log_info("power button pressed");
	return 0;
}

static void forget(struct lifecycle *lc)
{
	vm_teardown(lc, VM_STOP_SIGNAL);
	consoles_close(lc);
	if (lc->cfg && lc->cfg_owned) {
		vm_config_free(lc->cfg);
		free(lc->cfg);
	}
	lc->cfg = NULL;
	lc->cfg_owned = 0;
	lc->state = LC_NONE;
}

int lc_delete(struct lifecycle *lc, char *err, size_t errlen)
{
	int had = lc->state != LC_NONE;

	if (lc->vm_live)
		emit(lc, "shutdown");
	forget(lc);
	if (had)
		emit(lc, "deleted");
	return 0;
}

void lc_exit(struct lifecycle *lc, int status)
{
	if (lc->vm_live) {
		vm_teardown(lc, VM_STOP_SIGNAL);
		emit(lc, "shutdown");
		lc->state = LC_SHUTDOWN;
	}
	if (!lc->exit_requested || status)
		lc->exit_status = status;
	lc->exit_requested = 1;
	event_loop_stop(lc->c.loop);
}

int lc_exit_requested(const struct lifecycle *lc)
{
	return lc->exit_requested;
}

struct vm *lc_vm(struct lifecycle *lc)
{
	return lc->vm_live ? &lc->vm : NULL;
}

void lc_fini(struct lifecycle *lc)
{
	forget(lc);
}
