// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_cli.c - the command line (vmm/cli.c, cli_dev.c, cli_net.c,
 * cli_mgmt.c) and the key=value parser under it (vmm/kvparse.c).
 *
 * Input: a selector byte, then NUL-separated strings.  Selector bit 0
 * clear: each string is one argv element of `nimbus ...` for cli_parse.
 * Set: the first string goes to kv_parse and each later one to
 * parse_size, parse_u32 and parse_bool.  A successful parse must produce
 * a configuration vm_config_free can free, and kv_parse pairs with
 * non-NULL keys and values.
 */
#include <stdlib.h>

#include "vmm/cli.h"
#include "vmm/kvparse.h"
#include "tests/fuzz/fuzz.h"

#define MAX_ARGS 64

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_log();
	return 0;
}

static void run_kv(struct fz *f)
{
	char err[256], *s = fz_str(f, 4096);
	struct kv *kv = NULL;
	size_t n = 0;

	if (!kv_parse(s, &kv, &n, err, sizeof(err))) {
		for (size_t i = 0; i < n; i++)
			FUZZ_CHECK(kv[i].key && kv[i].val);
		kv_free(kv, n);
	} else {
		FUZZ_CHECK(memchr(err, 0, sizeof(err)));
	}
	free(s);
	while (f->n) {
		uint64_t sz;
		uint32_t u;
		int b;

		s = fz_str(f, 256);
		if (!parse_size(s, &sz))
			FUZZ_CHECK(s[0] >= '0' && s[0] <= '9');
		if (!parse_u32(s, 3, 1000, &u))
			FUZZ_CHECK(u >= 3 && u <= 1000);
		if (!parse_bool(s, &b))
			FUZZ_CHECK(b == 0 || b == 1);
		free(s);
	}
}

static void run_cli(struct fz *f)
{
	char *argv[MAX_ARGS + 2], err[512];
	struct vm_config cfg;
	int argc = 1, ret;

	argv[0] = strdup("nimbus");
	while (f->n && argc <= MAX_ARGS)
		argv[argc++] = fz_str(f, 1024);
	argv[argc] = NULL;
	memset(&cfg, 0, sizeof(cfg));
	ret = cli_parse(argc, argv, &cfg, err, sizeof(err));
	if (ret < 0)
		FUZZ_CHECK(err[0] && memchr(err, 0, sizeof(err)));
	vm_config_free(&cfg);
	vm_config_free(&cfg); /* idempotent, as promised */
	for (int i = 0; i < argc; i++)
		free(argv[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f;

	fz_init(&f, data, size);
	if (fz_u8(&f) & 1)
		run_kv(&f);
	else
		run_cli(&f);
	return 0;
}
