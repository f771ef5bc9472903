// SPDX-License-Identifier: Apache-2.0
/*
 * cli_mgmt.c - the management options of the command line: --api-socket,
 * --event-monitor, --pvpanic and --seccomp (Cloud Hypervisor syntax).
 * See cli_priv.h for the calling rules.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/cli_priv.h"

/*
 * path=PATH or fd=N (and, as CH accepts, a bare absolute path) into *ep.
 * fd must be an open descriptor number >= 3 (0-2 are the terminal).
 */
static int cli_endpoint(struct cli_state *st, const struct cli_opt *opt,
			const char *val, struct endpoint_config *ep)
{
	struct kv *kv = NULL;
	size_t n = 0;
	uint32_t fd;
	int ret;

	if (val[0] == '/') {
		ep->path = strdup(val);
		return ep->path ? 0 : cli_nomem(st);
	}
	ret = cli_kv(st, opt, val, &kv, &n);
	if (ret)
		return ret;
	if (n != 1) {
		ret = cli_err(st, "--%s: give exactly one of path= or fd=",
			      opt->name);
	} else if (!strcmp(kv[0].key, "path")) {
		if (kv[0].val[0] != '/') {
			ret = cli_err(
				st, "--%s: path '%.*s' is not an absolute path",
				opt->name, kv_echo_len(strlen(kv[0].val)),
				kv[0].val);
		} else {
			ep->path = strdup(kv[0].val);
			if (!ep->path)
				ret = cli_nomem(st);
		}
	} else if (!strcmp(kv[0].key, "fd")) {
		if (parse_u32(kv[0].val, 3, INT_MAX, &fd))
			ret = cli_err(
				st,
				"--%s: fd=%.*s must be a descriptor number >= 3",
				opt->name, kv_echo_len(strlen(kv[0].val)),
				kv[0].val);
		else
			ep->fd = (int)fd;
	} else {
		ret = cli_bad_key(st, opt, kv[0].key, NULL, 0);
	}
	kv_free(kv, n);
	return ret;
}

int cli_opt_api_socket(struct cli_state *st, const struct cli_opt *opt,
		       const char *val)
{
	int ret = cli_endpoint(st, opt, val, &st->cfg->api);

	if (!ret)
		st->wait_for_api = true;
	return ret;
}

int cli_opt_event_monitor(struct cli_state *st, const struct cli_opt *opt,
			  const char *val)
{
	return cli_endpoint(st, opt, val, &st->cfg->event_monitor);
}

int cli_opt_pvpanic(struct cli_state *st, const struct cli_opt *opt,
		    const char *val)
{
	st->cfg->pvpanic = 1;
	return 0;
}

int cli_opt_seccomp(struct cli_state *st, const struct cli_opt *opt,
		    const char *val)
{
	if (!strcmp(val, "true"))
		st->cfg->seccomp = SECCOMP_ON;
	else if (!strcmp(val, "false"))
		st->cfg->seccomp = SECCOMP_OFF;
	else if (!strcmp(val, "log"))
		st->cfg->seccomp = SECCOMP_LOG;
	else
		return cli_err(st,
			       "--seccomp: '%.*s' is not true, false or log",
			       kv_echo_len(strlen(val)), val);
	return 0;
}
