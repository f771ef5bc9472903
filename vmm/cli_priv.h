/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_priv.h - internals shared by the two halves of the command-line
 * parser: vmm/cli.c (the option table, the argument loop and the VM-wide
 * options), vmm/cli_dev.c (the device options --serial, --console,
 * --disk and --rng), vmm/cli_net.c (--net, --vsock, --pmem) and
 * vmm/cli_mgmt.c (--api-socket, --event-monitor, --pvpanic, --seccomp).  Nothing outside those two files includes it.
 *
 * Everything here runs inside one cli_parse() call, on the caller's
 * thread, with all state in the struct cli_state that cli_parse() keeps on
 * its stack.  Errors follow cli_parse(): -EINVAL or -ENOMEM with a
 * one-line message written to st->err.
 */
#ifndef NIMBUS_VMM_CLI_PRIV_H
#define NIMBUS_VMM_CLI_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include "vmm/cli.h"
#include "vmm/config.h"
#include "vmm/kvparse.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* The state of one cli_parse() call. */
struct cli_state {
	struct vm_config *cfg;
	char *err;
	size_t errlen;
	unsigned int vm_opts; /* options that describe the VM itself */
	/*
	 * True once an option lets the VMM start without a payload and wait
	 * for one over the API (CH's --api-socket).
	 */
	bool wait_for_api;
	bool console_set; /* --console given (else a default applies) */
};

struct cli_opt;
typedef int (*cli_opt_fn)(struct cli_state *st, const struct cli_opt *opt,
			  const char *val);

#define OPT_ARG 0x1u /* takes a value */
#define OPT_MULTI 0x2u /* may be given more than once */
#define OPT_VM 0x4u /* describes the VM: needs a payload */
#define OPT_EMPTY_OK 0x8u /* the value may be empty */
#define OPT_ABSPATH 0x10u /* the value must be an absolute path */
#define OPT_VALUES 0x20u /* takes every following non-option argument */

/* One row of the option table in cli.c. */
struct cli_opt {
	const char *name; /* long name without "--", or NULL */
	char short_name; /* short name (flags only), or 0 */
	unsigned int flags;
	cli_opt_fn fn;
	size_t field; /* for opt_string: offset of the char * in vm_config */
};

/* Write a message to st->err; evaluates to -EINVAL (see kv_set_err). */
#define cli_err(st, ...) kv_set_err((st)->err, (st)->errlen, __VA_ARGS__)

/* ---- helpers in cli.c ------------------------------------------------- */

/* Report "out of memory" in st->err; returns -ENOMEM. */
int cli_nomem(struct cli_state *st);

/*
 * Report a key --opt does not accept: "not supported yet" when key is one
 * of the nlater names in later (CH keys Nimbus lacks), else "unknown key".
 * Returns -EINVAL.
 */
int cli_bad_key(struct cli_state *st, const struct cli_opt *opt,
		const char *key, const char *const *later, size_t nlater);

/*
 * Split val into *n key=value pairs with kv_parse().  On success the
 * caller owns *kv and frees it with kv_free(*kv, *n).  Returns 0, -EINVAL
 * (message names --opt) or -ENOMEM.
 */
int cli_kv(struct cli_state *st, const struct cli_opt *opt, const char *val,
	   struct kv **kv, size_t *n);

/* ---- helpers in cli_dev.c --------------------------------------------- */

/*
 * Option handlers (cli_opt_fn) for --serial, --console, --disk (one value;
 * the loop calls it again for every further value) and --rng.  Each
 * stores into st->cfg, which then owns the strings (cli_parse frees them
 * with vm_config_free on any failure).  Return 0, -EINVAL or -ENOMEM.
 */
int cli_opt_serial(struct cli_state *st, const struct cli_opt *opt,
		   const char *val);
int cli_opt_console(struct cli_state *st, const struct cli_opt *opt,
		    const char *val);
int cli_opt_disk(struct cli_state *st, const struct cli_opt *opt,
		 const char *val);
int cli_opt_rng(struct cli_state *st, const struct cli_opt *opt,
		const char *val);

/* ---- helpers in cli_mgmt.c -------------------------------------------- */

/*
 * Option handlers for --api-socket and --event-monitor (path=PATH, fd=N
 * or a bare absolute path; --api-socket also lets the VMM start without a
 * payload), --pvpanic (flag) and --seccomp true|false|log.  Return 0,
 * -EINVAL or -ENOMEM.
 */
int cli_opt_api_socket(struct cli_state *st, const struct cli_opt *opt,
		       const char *val);
int cli_opt_event_monitor(struct cli_state *st, const struct cli_opt *opt,
			  const char *val);
int cli_opt_pvpanic(struct cli_state *st, const struct cli_opt *opt,
		    const char *val);
int cli_opt_seccomp(struct cli_state *st, const struct cli_opt *opt,
		    const char *val);

/* ---- helpers in cli_net.c --------------------------------------------- */

/*
 * Option handlers for --net (repeatable, one value per call), --vsock and
 * --pmem (repeatable), storing into st->cfg (struct net_config and
 * friends, vmm/config_net.h), and the default ids ("_net0", "_vsock0",
 * "_pmem0"...) given after all options are parsed.  Return 0, -EINVAL or
 * -ENOMEM.
 */
int cli_opt_net(struct cli_state *st, const struct cli_opt *opt,
		const char *val);
int cli_opt_vsock(struct cli_state *st, const struct cli_opt *opt,
		  const char *val);
int cli_opt_pmem(struct cli_state *st, const struct cli_opt *opt,
		 const char *val);
int cli_net_default_ids(struct cli_state *st);

/*
 * Give every disk without id= its CH default name ("_disk0", ...), after
 * all options are parsed.  Returns 0 or -ENOMEM.
 */
int cli_disk_default_ids(struct cli_state *st);

/* Free the strings of one disk and set them to NULL; idempotent. */
void cli_disk_free(struct disk_config *d);

#endif /* NIMBUS_VMM_CLI_PRIV_H */
