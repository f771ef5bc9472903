/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lifecycle.h - the VM life cycle behind the command line and the REST
 * API: one VM configuration and at most one running VM, moved through
 * Cloud Hypervisor's states by actions that run on the main loop.
 *
 *   (none) --create--> Created --boot--> Running <--pause/resume--> Paused
 *   Running|Paused --shutdown--> Shutdown --boot--> Running
 *   Running|Paused --reboot--> Running      (a fresh VM from the config)
 *   any --delete--> (none)
 *
 * The guest drives it too: a reset (ACPI, i8042, triple fault) reboots
 * the VM the same way as the reboot action; a power-off tears the VM
 * down to Shutdown.  Without an API (lifecycle_cfg.keep_alive 0) a
 * power-off or a VM error ends the VMM instead: lc_exit_requested()
 * turns true and the main loop is stopped.
 *
 * Every transition is reported to the event monitor: vm booting/booted,
 * pausing/paused, resuming/resumed, rebooting/rebooted, shutdown,
 * deleted.  The host consoles (--serial/--console of the config) are
 * opened at boot, survive reboots and are closed with the VM.
 *
 * Errors: every action returns 0 or a negative errno with a one-line
 * reason in err: -ENOENT no VM created; -EBUSY the action is invalid in
 * the current state (the message names it, e.g. "the VM is Paused");
 * -EINVAL a bad configuration (missing kernel file, ...); -ENODEV the
 * platform lacks the feature (power button); others from building or
 * running the VM.  A failed action leaves the state as it was, except
 * that a boot or reboot whose VM cannot be built leaves Shutdown.
 *
 * Threading: every function runs on the main loop thread.
 */
#ifndef NIMBUS_VMM_LIFECYCLE_H
#define NIMBUS_VMM_LIFECYCLE_H

#include <stddef.h>

#include "hv/hv.h"
#include "vmm/config.h"
#include "vmm/event.h"
#include "vmm/vm.h"

struct console;
struct evmon;
struct sandbox;

enum lc_state {
	LC_NONE = 0, /* no VM created (vm.info answers 404) */
	LC_CREATED,
	LC_RUNNING,
	LC_PAUSED,
	LC_SHUTDOWN,
};

struct lifecycle_cfg {
	const struct hv_ops *ops;
	struct hv *hv;
	struct event_loop *loop;
	struct evmon *evmon; /* NULL: no event monitor */
	/* Filters the VM's threads install (NULL: none). */
	const struct sandbox *sandbox;
	int kick_signo;
	int keep_alive; /* an API exists: the VMM outlives its VM */
};

struct lifecycle {
	struct lifecycle_cfg c;
	int state; /* enum lc_state */
	struct vm_config *cfg; /* the VM's configuration, or NULL */
	int cfg_owned; /* free cfg on delete */
	struct vm vm;
	int vm_live; /* vm holds a created VM */
	struct console *console; /* --serial backend while booted */
	struct console *vconsole; /* --console backend, or NULL */
	int exit_requested; /* the VMM should end */
	int exit_status; /* 0 or 1 */
};

/* The CH name of a state: "Created", "Running", "Paused", "Shutdown"
 * ("NotCreated" for LC_NONE). */
const char *lc_state_name(int state);

/* Set up an empty life cycle.  Nothing is allocated. */
void lc_init(struct lifecycle *lc, const struct lifecycle_cfg *c);

/* Store a configuration: none -> Created.  If `owned`, lc frees cfg
 * (vm_config_free + free) when deleted, also when this call fails; else
 * cfg must outlive lc.  Checks that the payload files are readable. */
int lc_create(struct lifecycle *lc, struct vm_config *cfg, int owned, char *err,
	      size_t errlen);

/* Build and start the VM: Created|Shutdown -> Running. */
int lc_boot(struct lifecycle *lc, char *err, size_t errlen);

/* Stop and free the VM: Running|Paused -> Shutdown. */
int lc_shutdown(struct lifecycle *lc, char *err, size_t errlen);

/* A fresh VM from the same config: Running|Paused -> Running. */
int lc_reboot(struct lifecycle *lc, char *err, size_t errlen);

/* Park every vCPU (vm_pause): Running -> Paused. */
int lc_pause(struct lifecycle *lc, char *err, size_t errlen);

/* Paused -> Running. */
int lc_resume(struct lifecycle *lc, char *err, size_t errlen);

/* Press the power button (Running only); the guest decides the rest. */
int lc_power_button(struct lifecycle *lc, char *err, size_t errlen);

/* Stop the VM if any and forget the config: any -> none.  Always 0. */
int lc_delete(struct lifecycle *lc, char *err, size_t errlen);

/* End the VMM: tear the VM down, remember `status`, stop the loop. */
void lc_exit(struct lifecycle *lc, int status);

/* True once the VMM should end (lc_exit, or a guest power-off / VM
 * error without keep_alive). */
int lc_exit_requested(const struct lifecycle *lc);

/* The live VM (Running or Paused), else NULL. */
struct vm *lc_vm(struct lifecycle *lc);

/* Free everything (lc_delete without events).  NULL-safe members. */
void lc_fini(struct lifecycle *lc);

#endif /* NIMBUS_VMM_LIFECYCLE_H */
