// SPDX-License-Identifier: Apache-2.0
/*
 * seccomp_groups.c - a cmocka group with and without the seccomp filters
 * (see seccomp_groups.h).
 */
#include <signal.h>
#include <stdio.h>

#include "tests/lib/seccomp_groups.h"
#include "vmm/config.h"
#include "vmm/sandbox.h"

int run_groups_with_seccomp(const char *name, const struct CMUnitTest *tests,
			    size_t n, const struct sandbox **slot)
{
	struct sandbox_ctx ctx = {
		.mode = SECCOMP_ON,
		.log_fd = 2,
		.kick_signo = SIGUSR1,
	};
	struct sandbox *sb;
	char again[128];
	int failed;

	failed = _cmocka_run_group_tests(name, tests, n, NULL, NULL);
	if (sandbox_new(&ctx, &sb)) {
		fprintf(stderr, "cannot build the seccomp filters\n");
		return 1;
	}
	snprintf(again, sizeof(again), "%s under seccomp", name);
	*slot = sb;
	failed += _cmocka_run_group_tests(again, tests, n, NULL, NULL);
	*slot = NULL;
	sandbox_free(sb);
	return failed;
}
