// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_api_json.c - the VmConfig JSON parser of vm.create
 * (vmm/api_json.c) on arbitrary bodies.  A body it accepts must turn back
 * into JSON (api_json_from_vm_config) that parses again to the same
 * JSON, as api_json.h promises; a refusal carries a message.
 */
#include <stdlib.h>

#include <jansson.h>

#include "vmm/api_json.h"
#include "vmm/cli.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_quiet_log();
	/* A fixed hash seed: runs are reproducible. */
	json_object_seed(1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], *again = NULL, *first = NULL;
	struct vm_config cfg, cfg2;
	json_t *j;

	if (api_json_parse_vm_config((const char *)data, size, &cfg, err,
				     sizeof(err))) {
		FUZZ_CHECK(err[0] && memchr(err, 0, sizeof(err)));
		return 0;
	}
	j = api_json_from_vm_config(&cfg);
	FUZZ_CHECK(j);
	first = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(j);
	FUZZ_CHECK(first);
	if (api_json_parse_vm_config(first, strlen(first), &cfg2, err,
				     sizeof(err))) {
		fprintf(stderr, "re-parse failed: %s\n%s\n", err, first);
		FUZZ_CHECK(0);
	}
	j = api_json_from_vm_config(&cfg2);
	again = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);
	json_decref(j);
	if (!again || strcmp(first, again)) {
		fprintf(stderr, "round trip differs:\n%s\n%s\n", first, again);
		FUZZ_CHECK(0);
	}
	free(first);
	free(again);
	vm_config_free(&cfg);
	vm_config_free(&cfg2);
	return 0;
}
