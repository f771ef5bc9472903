// SPDX-License-Identifier: Apache-2.0
/*
 * cli_fixture.c - shared cmocka helpers for the vmm/cli.c unit tests.
 * See cli_fixture.h.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tests/lib/cli_fixture.h"

void clit_assert_owns_nothing(const struct vm_config *cfg)
{
	unsigned int i;

	assert_null(cfg->payload.kernel);
	assert_null(cfg->payload.initramfs);
	assert_null(cfg->payload.cmdline);
	assert_null(cfg->serial.path);
	assert_null(cfg->console.path);
	assert_null(cfg->rng.src);
	assert_null(cfg->hv);
	assert_null(cfg->hv_plugin);
	assert_null(cfg->log_file);
	for (i = 0; i < CONFIG_MAX_DISKS; i++) {
		assert_null(cfg->disks[i].path);
		assert_null(cfg->disks[i].id);
		assert_null(cfg->disks[i].serial);
	}
	for (i = 0; i < CONFIG_MAX_NETS; i++) {
		assert_null(cfg->nets[i].tap);
		assert_null(cfg->nets[i].id);
	}
	for (i = 0; i < CONFIG_MAX_PMEMS; i++) {
		assert_null(cfg->pmems[i].file);
		assert_null(cfg->pmems[i].id);
	}
	assert_null(cfg->vsock.socket);
	assert_null(cfg->vsock.id);
	assert_null(cfg->api.path);
	assert_null(cfg->event_monitor.path);
}

void clit_parse_ok(int argc, char **argv, struct vm_config *cfg, int line)
{
	char err[256] = "";
	int ret;

	ret = cli_parse(argc, argv, cfg, err, sizeof(err));
	if (ret != CLI_OK)
		fail_msg("line %d: cli_parse returned %d (%s), want CLI_OK",
			 line, ret, err);
	assert_string_equal(err, "");
}

void clit_parse_err(int argc, char **argv, const char *want, int line)
{
	struct vm_config cfg;
	char err[256] = "";
	int ret;

	ret = cli_parse(argc, argv, &cfg, err, sizeof(err));
	if (ret != -EINVAL)
		fail_msg("line %d: cli_parse returned %d, want -EINVAL (%s)",
			 line, ret, want);
	if (!strstr(err, want))
		fail_msg("line %d: error \"%s\" lacks \"%s\"", line, err, want);
	if (strchr(err, '\n'))
		fail_msg("line %d: error \"%s\" is not one line", line, err);
	clit_assert_owns_nothing(&cfg);
	vm_config_free(&cfg);
}
