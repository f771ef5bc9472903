// SPDX-License-Identifier: Apache-2.0
/*
 * test_api_json.c - VmConfig JSON <-> struct vm_config: defaults, every
 * field, every refusal class (invalid JSON, wrong root, unknown field,
 * wrong type, out of range, missing required, duplicate key, CH fields
 * Nimbus lacks) and the round trip through vm.info's dump.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/api_json.h"
#include "vmm/cli.h"

static int parse(const char *s, struct vm_config *cfg, char *err)
{
	return api_json_parse_vm_config(s, strlen(s), cfg, err, 256);
}

/* Refused with a message containing `needle`. */
static void refused(const char *s, const char *needle)
{
	struct vm_config cfg;
	char err[256] = "";
	int ret = parse(s, &cfg, err);

	if (ret != -EINVAL || !strstr(err, needle))
		fail_msg("'%.80s': ret %d, err '%s', wanted '%s'", s, ret, err,
			 needle);
	/* Nothing is left owned after a failure. */
	assert_null(cfg.payload.kernel);
	assert_null(cfg.disks[0].path);
	assert_null(cfg.rng.src);
}

#define K "\"payload\":{\"kernel\":\"/k\"}"

static void test_defaults(void **state)
{
	struct vm_config cfg;
	char err[256];

	assert_int_equal(parse("{" K "}", &cfg, err), 0);
	assert_string_equal(cfg.payload.kernel, "/k");
	assert_null(cfg.payload.cmdline);
	assert_int_equal(cfg.cpus.boot, 1);
	assert_int_equal(cfg.cpus.max, 1);
	assert_int_equal(cfg.memory.size, CLI_MEM_DEFAULT);
	assert_int_equal(cfg.serial.mode, CONSOLE_NULL);
	assert_int_equal(cfg.console.mode, CONSOLE_TTY);
	assert_string_equal(cfg.rng.src, CLI_RNG_DEFAULT);
	assert_int_equal(cfg.nr_disks, 0);
	assert_int_equal(cfg.api.fd, -1);
	assert_int_equal(cfg.event_monitor.fd, -1);
	assert_null(cfg.hv);
	vm_config_free(&cfg);
	/* serial Tty moves the console default to Off, as on the CLI. */
	assert_int_equal(
		parse("{" K ",\"serial\":{\"mode\":\"Tty\"}}", &cfg, err), 0);
	assert_int_equal(cfg.console.mode, CONSOLE_OFF);
	vm_config_free(&cfg);
}

static const char *full =
	"{\"payload\":{\"kernel\":\"/boot/vmlinux\",\"initramfs\":\"/i.cpio\","
	"\"cmdline\":\"console=ttyS0 quiet\",\"firmware\":null},"
	"\"cpus\":{\"boot_vcpus\":2,\"max_vcpus\":4,\"nested\":true,"
	"\"kvm_hyperv\":false},"
	"\"memory\":{\"size\":268435456,\"shared\":false,\"thp\":true,"
	"\"hotplug_method\":\"Acpi\"},"
	"\"disks\":[{\"path\":\"/a.img\",\"readonly\":true,\"iommu\":false},"
	"{\"path\":\"/b.img\",\"id\":\"_disk0\",\"direct\":true,"
	"\"num_queues\":4,\"queue_size\":128,\"serial\":\"SER1\","
	"\"image_type\":\"Raw\"},{\"path\":\"/c.img\"}],"
	"\"net\":[{\"tap\":\"tap7\",\"ip\":\"192.168.1.1\","
	"\"mask\":\"255.255.255.0\",\"mac\":\"12:34:56:78:9a:bc\","
	"\"mtu\":1400,\"num_queues\":4,\"offload_tso\":false}],"
	"\"rng\":{\"src\":\"/dev/random\"},"
	"\"serial\":{\"mode\":\"File\",\"file\":\"/tmp/s.log\"},"
	"\"console\":{\"mode\":\"off\"},"
	"\"vsock\":{\"cid\":3,\"socket\":\"/tmp/v.sock\"},"
	"\"pmem\":[{\"file\":\"/p.img\",\"size\":1048576,"
	"\"discard_writes\":true}],"
	"\"pvpanic\":true,\"iommu\":false,\"watchdog\":false,"
	"\"devices\":[]}";

static void check_full(const struct vm_config *cfg)
{
	struct in_addr a;

	assert_string_equal(cfg->payload.kernel, "/boot/vmlinux");
	assert_string_equal(cfg->payload.initramfs, "/i.cpio");
	assert_string_equal(cfg->payload.cmdline, "console=ttyS0 quiet");
	assert_int_equal(cfg->cpus.boot, 2);
	assert_int_equal(cfg->cpus.max, 4);
	assert_int_equal(cfg->memory.size, 256ull << 20);
	assert_int_equal(cfg->nr_disks, 3);
	assert_string_equal(cfg->disks[0].path, "/a.img");
	assert_int_equal(cfg->disks[0].readonly, 1);
	assert_int_equal(cfg->disks[0].num_queues, 1);
	assert_int_equal(cfg->disks[0].queue_size, CLI_DISK_QSIZE_DEFAULT);
	/* "_disk0" is taken by the second disk: CH's counter skips it. */
	assert_string_equal(cfg->disks[0].id, "_disk1");
	assert_string_equal(cfg->disks[1].id, "_disk0");
	assert_string_equal(cfg->disks[2].id, "_disk2");
	assert_int_equal(cfg->disks[1].direct, 1);
	assert_int_equal(cfg->disks[1].num_queues, 4);
	assert_int_equal(cfg->disks[1].queue_size, 128);
	assert_string_equal(cfg->disks[1].serial, "SER1");
	assert_int_equal(cfg->nr_nets, 1);
	assert_string_equal(cfg->nets[0].tap, "tap7");
	assert_int_equal(cfg->nets[0].has_ip, 1);
	inet_pton(AF_INET, "192.168.1.1", &a);
	assert_int_equal(cfg->nets[0].ip, a.s_addr);
	assert_int_equal(cfg->nets[0].has_mask, 1);
	assert_int_equal(cfg->nets[0].has_mac, 1);
	assert_int_equal(cfg->nets[0].mac[5], 0xbc);
	assert_int_equal(cfg->nets[0].has_host_mac, 0);
	assert_int_equal(cfg->nets[0].mtu, 1400);
	assert_int_equal(cfg->nets[0].num_queues, 4);
	assert_int_equal(cfg->nets[0].queue_size, 256);
	assert_int_equal(cfg->nets[0].offload_tso, 0);
	assert_int_equal(cfg->nets[0].offload_csum, 1);
	assert_string_equal(cfg->nets[0].id, "_net0");
	assert_string_equal(cfg->rng.src, "/dev/random");
	assert_int_equal(cfg->serial.mode, CONSOLE_FILE);
	assert_string_equal(cfg->serial.path, "/tmp/s.log");
	assert_int_equal(cfg->console.mode, CONSOLE_OFF);
	assert_int_equal(cfg->vsock.cid, 3);
	assert_string_equal(cfg->vsock.socket, "/tmp/v.sock");
	assert_string_equal(cfg->vsock.id, "_vsock0");
	assert_int_equal(cfg->nr_pmems, 1);
	assert_string_equal(cfg->pmems[0].file, "/p.img");
	assert_int_equal(cfg->pmems[0].size, 1 << 20);
	assert_int_equal(cfg->pmems[0].discard_writes, 1);
	assert_string_equal(cfg->pmems[0].id, "_pmem0");
	assert_int_equal(cfg->pvpanic, 1);
}

static void test_full(void **state)
{
	struct vm_config cfg;
	char err[256];

	if (parse(full, &cfg, err))
		fail_msg("%s", err);
	check_full(&cfg);
	vm_config_free(&cfg);
}

/* vm.info's dump parses back into the same config. */
static void test_round_trip(void **state)
{
	struct vm_config cfg, back;
	char err[256], *s;
	json_t *j;

	assert_int_equal(parse(full, &cfg, err), 0);
	j = api_json_from_vm_config(&cfg);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(j, "serial"), "mode")),
			    "File");
	s = json_dumps(j, 0);
	assert_non_null(s);
	if (parse(s, &back, err))
		fail_msg("%s in %s", err, s);
	check_full(&back);
	vm_config_free(&back);
	free(s);
	json_decref(j);
	vm_config_free(&cfg);
}

static void test_invalid_json(void **state)
{
	refused("", "invalid JSON");
	refused("{", "invalid JSON");
	refused("{" K "} trailing", "invalid JSON");
	refused("{" K ",}", "invalid JSON");
	refused("{\"payload\":{\"kernel\":\"/k\",\"kernel\":\"/j\"}}",
		"invalid JSON"); /* duplicate key */
	refused("{\"payload\":{\"kernel\":\"/k\\u0000x\"}}", "invalid JSON");
	refused("\xff\xfe", "invalid JSON");
	refused("{\"cpus\":{\"boot_vcpus\":99999999999999999999999}," K "}",
		"invalid JSON");
}

static void test_wrong_root_and_required(void **state)
{
	refused("[]", "must be a JSON object");
	refused("42", "JSON");
	refused("{}", "payload is required");
	refused("{\"payload\":null}", "payload is required");
	refused("{\"payload\":{}}", "payload.kernel is required");
	refused("{\"payload\":[]}", "payload: must be an object");
	refused("{" K ",\"disks\":[{\"readonly\":true}]}",
		"disks[0].path is required");
	refused("{" K ",\"vsock\":{\"cid\":3}}", "cid and socket");
	refused("{" K ",\"pmem\":[{\"size\":4096}]}", "pmem[0].file");
	refused("{" K ",\"serial\":{}}", "serial.mode is required");
}

static void test_unknown_fields(void **state)
{
	refused("{" K ",\"cpu\":{}}", "unknown field 'cpu'");
	refused("{\"payload\":{\"kernel\":\"/k\",\"kernal\":\"x\"}}",
		"unknown field 'payload.kernal'");
	refused("{" K ",\"disks\":[{\"path\":\"/a\",\"ro\":true}]}",
		"unknown field 'disks[0].ro'");
	refused("{" K ",\"memory\":{\"size\":268435456,\"sizee\":1}}",
		"unknown field 'memory.sizee'");
}

static void test_wrong_types(void **state)
{
	refused("{\"payload\":{\"kernel\":42}}",
		"payload.kernel: must be a string");
	refused("{" K ",\"cpus\":{\"boot_vcpus\":\"2\"}}",
		"cpus.boot_vcpus: must be an integer");
	refused("{" K ",\"cpus\":{\"boot_vcpus\":2.0}}",
		"cpus.boot_vcpus: must be an integer");
	refused("{" K ",\"disks\":[{\"path\":\"/a\",\"readonly\":1}]}",
		"disks[0].readonly: must be true or false");
	refused("{" K ",\"disks\":{\"path\":\"/a\"}}",
		"disks: must be an array");
	refused("{" K ",\"disks\":[\"/a\"]}", "disks[0]: must be an object");
	refused("{" K ",\"pvpanic\":\"yes\"}",
		"pvpanic: must be true or false");
	refused("{" K ",\"net\":[{\"ip\":1}]}", "net[0].ip: must be a string");
	refused("{\"payload\":{\"kernel\":\"\"}}", "must not be empty");
}

static void test_ranges(void **state)
{
	refused("{" K ",\"cpus\":{\"boot_vcpus\":0}}", "outside 1..255");
	refused("{" K ",\"cpus\":{\"boot_vcpus\":256}}", "outside 1..255");
	refused("{" K ",\"cpus\":{\"boot_vcpus\":-1}}", "outside");
	refused("{" K ",\"cpus\":{\"boot_vcpus\":4,\"max_vcpus\":2}}",
		"below boot_vcpus");
	refused("{" K ",\"memory\":{\"size\":1024}}", "memory.size");
	refused("{" K ",\"memory\":{\"size\":268435457}}", "multiple of 4096");
	refused("{" K ",\"disks\":[{\"path\":\"/a\",\"queue_size\":100}]}",
		"power of two");
	refused("{" K ",\"disks\":[{\"path\":\"/a\",\"num_queues\":65}]}",
		"disks[0].num_queues");
	refused("{" K ",\"disks\":[{\"path\":\"/a\",\"serial\":"
		"\"012345678901234567890\"}]}",
		"longer than 20");
	refused("{" K ",\"disks\":[{\"path\":\"/a\",\"id\":\"x\"},"
		"{\"path\":\"/b\",\"id\":\"x\"}]}",
		"used twice");
	refused("{" K ",\"disks\":[{\"path\":\"/a\",\"id\":\"__x\"}]}",
		"reserved");
	refused("{" K ",\"net\":[{\"num_queues\":3}]}", "even");
	refused("{" K ",\"net\":[{\"ip\":\"1.2.3\"}]}", "not an IPv4");
	refused("{" K ",\"net\":[{\"mask\":\"255.0.255.0\"}]}", "contiguous");
	refused("{" K ",\"net\":[{\"mac\":\"12:34:56:78:9a\"}]}", "not a MAC");
	refused("{" K ",\"net\":[{\"mac\":\"13:34:56:78:9a:bc\"}]}",
		"multicast");
	refused("{" K ",\"vsock\":{\"cid\":2,\"socket\":\"/s\"}}", "vsock.cid");
	refused("{" K ",\"pmem\":[{\"file\":\"/p\",\"size\":100}]}",
		"multiple of 4096");
	refused("{" K ",\"serial\":{\"mode\":\"Tty\"},"
		"\"console\":{\"mode\":\"Tty\"}}",
		"both be Tty");
	refused("{" K ",\"serial\":{\"mode\":\"Blue\"}}", "is not Off");
	refused("{" K ",\"serial\":{\"mode\":\"File\"}}", "needs file");
	refused("{" K ",\"serial\":{\"mode\":\"Tty\",\"file\":\"/x\"}}",
		"needs file");
	refused("{" K ",\"console\":{\"mode\":\"Socket\",\"socket\":\"/s\"}}",
		"not supported yet");
	{
		char many[2048];
		size_t n = (size_t)snprintf(many, sizeof(many),
					    "{" K ",\"disks\":[");
		int i;

		for (i = 0; i <= CONFIG_MAX_DISKS; i++)
			n += (size_t)snprintf(many + n, sizeof(many) - n,
					      "%s{\"path\":\"/d%d\"}",
					      i ? "," : "", i);
		snprintf(many + n, sizeof(many) - n, "]}");
		refused(many, "at most 16 disks");
	}
}

/* CH fields Nimbus lacks: accepted at their default, refused otherwise. */
static void test_ch_fields_not_supported(void **state)
{
	struct vm_config cfg;
	char err[256];

	assert_int_equal(parse("{" K ",\"balloon\":null,\"numa\":[],"
			       "\"platform\":{},\"cpus\":{\"boot_vcpus\":1,"
			       "\"core_scheduling\":\"Vm\"}}",
			       &cfg, err),
			 0);
	vm_config_free(&cfg);
	refused("{" K ",\"watchdog\":true}", "watchdog is not supported yet");
	refused("{" K ",\"balloon\":{\"size\":0}}", "balloon is not supported");
	refused("{\"payload\":{\"kernel\":\"/k\",\"firmware\":\"/fw\"}}",
		"payload.firmware is not supported yet");
	refused("{" K ",\"disks\":[{\"path\":\"/a\",\"vhost_user\":true}]}",
		"disks[0].vhost_user is not supported yet");
	refused("{" K
		",\"disks\":[{\"path\":\"/a\",\"image_type\":\"Qcow2\"}]}",
		"disks[0].image_type is not supported yet");
	refused("{" K ",\"net\":[{\"fds\":[3]}]}", "net[0].fds");
	refused("{" K ",\"memory\":{\"size\":268435456,\"hugepages\":true}}",
		"memory.hugepages");
}

static void test_check_keys(void **state)
{
	static const char *const allowed[] = { "id", NULL };
	json_t *o = json_pack("{s:s}", "id", "x");
	json_t *bad = json_pack("{s:s}", "idx", "x");
	char err[128];

	assert_int_equal(
		api_json_check_keys(o, "body", allowed, err, sizeof(err)), 0);
	assert_int_equal(api_json_check_keys(bad, "body", allowed, err,
					     sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "unknown field 'idx'"));
	json_decref(o);
	o = json_array();
	assert_int_equal(api_json_check_keys(o, "body", allowed, err,
					     sizeof(err)),
			 -EINVAL);
	json_decref(o);
	json_decref(bad);
}

/* Random mutations of a valid config: never a crash or a leak. */
static void test_mutations(void **state)
{
	size_t len = strlen(full), i;
	unsigned int seed = 7;
	struct vm_config cfg;
	char err[256];
	char *buf = malloc(len + 1);

	assert_non_null(buf);
	for (i = 0; i < 3000; i++) {
		unsigned int k;

		memcpy(buf, full, len + 1);
		static const char set[] = "{}[]\",:0-9aetn \\";

		for (k = 0; k < 1 + (unsigned int)rand_r(&seed) % 4; k++)
			buf[(size_t)rand_r(&seed) % len] =
				set[(size_t)rand_r(&seed) % (sizeof(set) - 1)];
		if (!api_json_parse_vm_config(buf, len, &cfg, err, sizeof(err)))
			vm_config_free(&cfg);
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_invalid_json),
		cmocka_unit_test(test_wrong_root_and_required),
		cmocka_unit_test(test_unknown_fields),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_ch_fields_not_supported),
		cmocka_unit_test(test_check_keys),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests_name("api_json", tests, NULL, NULL);
}
