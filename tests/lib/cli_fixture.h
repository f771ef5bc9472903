/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli_fixture.h - shared cmocka helpers for the vmm/cli.c unit tests
 * (tests/unit/test_cli.c and tests/unit/test_cli_dev.c).
 *
 * ARGV()/ARGC() build an argument vector from string literals with
 * "nimbus" as argv[0].  PARSE_OK() parses it and requires success;
 * PARSE_ERR() parses it and requires -EINVAL with a given one-line
 * message and an empty config.  The helpers check their work with cmocka
 * assertions and fail the running test on error, so they may only be
 * called from inside a test, on the test's thread.  Include <cmocka.h>
 * (with its prerequisite headers) before this header.
 */
#ifndef NIMBUS_TESTS_LIB_CLI_FIXTURE_H
#define NIMBUS_TESTS_LIB_CLI_FIXTURE_H

#include "vmm/cli.h"

/* argv/argc from string literals; argv[0] is the program name. */
#define ARGV(...) ((char *[]){ "nimbus", __VA_ARGS__, NULL })
#define ARGC(...) \
	((int)(sizeof((char *[]){ "nimbus", __VA_ARGS__ }) / sizeof(char *)))

/*
 * Require that @cfg owns no heap memory (every string pointer NULL), as
 * after a failed cli_parse().  Fails the running test otherwise.
 */
void clit_assert_owns_nothing(const struct vm_config *cfg);

/*
 * Parse @argc/@argv into @cfg and require CLI_OK with an empty error
 * message; @line is reported on failure.  On return the caller owns @cfg
 * and frees it with vm_config_free().
 */
void clit_parse_ok(int argc, char **argv, struct vm_config *cfg, int line);

/*
 * Parse @argc/@argv and require -EINVAL with @want inside a one-line
 * error message and a config that owns nothing; @line is reported on
 * failure.  The config is freed before returning.
 */
void clit_parse_err(int argc, char **argv, const char *want, int line);

#define PARSE_OK(cfg, ...) \
	clit_parse_ok(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (cfg), __LINE__)

#define PARSE_ERR(want, ...) \
	clit_parse_err(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (want), __LINE__)

#endif /* NIMBUS_TESTS_LIB_CLI_FIXTURE_H */
