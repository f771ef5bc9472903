/* SPDX-License-Identifier: Apache-2.0 */
/*
 * seccomp_groups.h - run a cmocka group twice, as the device tests of
 * thread-owning devices do: once as is, once with their threads under
 * the VMM's seccomp filters.  Test-only; cmocka test thread.
 */
#ifndef NIMBUS_TESTS_LIB_SECCOMP_GROUPS_H
#define NIMBUS_TESTS_LIB_SECCOMP_GROUPS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

struct sandbox;

/*
 * Run tests[0..n) as group `name`, then build the filters (SECCOMP_ON,
 * reports to stderr, kick signal SIGUSR1), point *slot at them (the
 * fixture hands *slot to each device it creates) and run the group
 * again as "<name> under seccomp".  A syscall missing from an allowlist
 * ends the process without a summary (cmocka's SIGSYS handler replaces
 * the sandbox's during a test, so the exit status is cmocka's).
 * Returns the failed count of both runs, or 1 if the filters cannot be
 * built.  *slot is NULL again on return.
 */
int run_groups_with_seccomp(const char *name, const struct CMUnitTest *tests,
			    size_t n, const struct sandbox **slot);

#define RUN_GROUPS_WITH_SECCOMP(name, tests, slot) \
	run_groups_with_seccomp((name), (tests),   \
				sizeof(tests) / sizeof((tests)[0]), (slot))

#endif /* NIMBUS_TESTS_LIB_SECCOMP_GROUPS_H */
