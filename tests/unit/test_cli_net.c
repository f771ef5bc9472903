// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for vmm/cli_net.c: --net, --vsock, --pmem and their default
 * ids and MACs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "vmm/cli.h"
#include "tests/lib/cli_fixture.h"

static void test_net_defaults(void **state)
{
	struct vm_config cfg;
	const struct net_config *n;

	PARSE_OK(&cfg, "--kernel", "k", "--net", "tap=tap0");
	assert_int_equal(cfg.nr_nets, 1);
	n = &cfg.nets[0];
	assert_string_equal(n->tap, "tap0");
	assert_string_equal(n->id, "_net0");
	assert_int_equal(n->num_queues, 2);
	assert_int_equal(n->queue_size, 256);
	assert_int_equal(n->nr_fds, 0);
	assert_int_equal(n->mtu, 0);
	assert_false(n->has_ip);
	assert_false(n->has_mask);
	assert_false(n->has_mac);
	assert_true(n->offload_tso && n->offload_ufo && n->offload_csum);
	/* A random MAC: locally administered, unicast. */
	assert_int_equal(n->mac[0] & 3, 2);
	vm_config_free(&cfg);

	/* Without tap= or fd=, a NIC on a new TAP; an empty value is an
	 * error as for the other options. */
	PARSE_OK(&cfg, "--kernel", "k", "--net", "mtu=1500");
	assert_int_equal(cfg.nr_nets, 1);
	assert_null(cfg.nets[0].tap);
	vm_config_free(&cfg);
	PARSE_ERR("--net: empty value", "--kernel", "k", "--net=");
}

static void test_net_all_keys(void **state)
{
	static const uint8_t mac[6] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc };
	static const uint8_t hmac[6] = { 0x02, 0, 0, 0, 0, 0xff };
	struct vm_config cfg;
	const struct net_config *n;

	PARSE_OK(&cfg, "--kernel", "k", "--net",
		 "tap=vm0,ip=192.168.249.1,mask=255.255.255.0,"
		 "mac=12:34:56:78:9a:bc,host_mac=02:00:00:00:00:ff,mtu=9000,"
		 "num_queues=4,queue_size=1024,id=eth,offload_tso=off,"
		 "offload_ufo=false,offload_csum=on");
	n = &cfg.nets[0];
	assert_int_equal(ntohl(n->ip), 0xc0a8f901);
	assert_int_equal(ntohl(n->mask), 0xffffff00);
	assert_true(n->has_ip && n->has_mask && n->has_mac && n->has_host_mac);
	assert_memory_equal(n->mac, mac, 6);
	assert_memory_equal(n->host_mac, hmac, 6);
	assert_int_equal(n->mtu, 9000);
	assert_int_equal(n->num_queues, 4);
	assert_int_equal(n->queue_size, 1024);
	assert_string_equal(n->id, "eth");
	assert_false(n->offload_tso);
	assert_false(n->offload_ufo);
	assert_true(n->offload_csum);
	vm_config_free(&cfg);
}

static void test_net_several(void **state)
{
	struct vm_config cfg;

	/* Several values after one --net, and --net again, in order. */
	PARSE_OK(&cfg, "--kernel", "k", "--net", "tap=a", "tap=b,id=_net0",
		 "--net", "tap=c", "--cpus", "boot=1");
	assert_int_equal(cfg.nr_nets, 3);
	assert_string_equal(cfg.nets[0].tap, "a");
	assert_string_equal(cfg.nets[1].tap, "b");
	assert_string_equal(cfg.nets[2].tap, "c");
	/* Default ids skip the one given. */
	assert_string_equal(cfg.nets[1].id, "_net0");
	assert_string_equal(cfg.nets[0].id, "_net1");
	assert_string_equal(cfg.nets[2].id, "_net2");
	/* Two random MACs differ. */
	assert_memory_not_equal(cfg.nets[0].mac, cfg.nets[2].mac, 6);
	vm_config_free(&cfg);
}

static void test_net_fds(void **state)
{
	struct vm_config cfg;

	PARSE_OK(&cfg, "--kernel", "k", "--net",
		 "fd=[3,4],mac=02:00:00:00:00:01");
	assert_int_equal(cfg.nets[0].nr_fds, 2);
	assert_int_equal(cfg.nets[0].fds[0], 3);
	assert_int_equal(cfg.nets[0].fds[1], 4);
	assert_int_equal(cfg.nets[0].num_queues, 4);
	assert_true(cfg.nets[0].has_mac);
	vm_config_free(&cfg);

	PARSE_OK(&cfg, "--kernel", "k", "--net", "fd=7");
	assert_int_equal(cfg.nets[0].nr_fds, 1);
	assert_int_equal(cfg.nets[0].fds[0], 7);
	assert_int_equal(cfg.nets[0].num_queues, 2);
	vm_config_free(&cfg);

	PARSE_OK(&cfg, "--kernel", "k", "--net", "fd=[5],num_queues=2");
	assert_int_equal(cfg.nets[0].nr_fds, 1);
	vm_config_free(&cfg);

	PARSE_ERR("--net: num_queues=4 needs 2 fds, 1 given", "--kernel", "k",
		  "--net", "fd=[5],num_queues=4");
	PARSE_ERR("--net: fd=[3;x] must be a descriptor >= 3", "--kernel", "k",
		  "--net", "fd=[3,x]");
	PARSE_ERR("--net: fd=2 must be a descriptor >= 3", "--kernel", "k",
		  "--net", "fd=2");
	PARSE_ERR("--net: fd=[] must be", "--kernel", "k", "--net", "fd=[]");
	PARSE_ERR("--net: fd=[3;] must be", "--kernel", "k", "--net",
		  "fd=[3,]");
	PARSE_ERR("--net: give tap= or fd=, not both", "--kernel", "k", "--net",
		  "tap=t,fd=3");
}

static void test_net_errors(void **state)
{
	PARSE_ERR("--net: ip=1.2.3 is not an IPv4 address", "--kernel", "k",
		  "--net", "ip=1.2.3");
	PARSE_ERR("--net: mask=255.0.255.0 is not a netmask", "--kernel", "k",
		  "--net", "ip=10.0.0.1,mask=255.0.255.0");
	PARSE_ERR("--net: mask= needs ip=", "--kernel", "k", "--net",
		  "mask=255.255.255.0");
	PARSE_ERR("--net: mac=12:34 is not a MAC address", "--kernel", "k",
		  "--net", "mac=12:34");
	PARSE_ERR("--net: mac=01:00:5e:00:00:01 is a multicast address",
		  "--kernel", "k", "--net", "mac=01:00:5e:00:00:01");
	PARSE_ERR("--net: host_mac=zz:00:00:00:00:00 is not a MAC", "--kernel",
		  "k", "--net", "host_mac=zz:00:00:00:00:00");
	PARSE_ERR("--net: mtu=67 must be a number from 68 to 65535", "--kernel",
		  "k", "--net", "mtu=67");
	PARSE_ERR("--net: num_queues=3 must be an even number from 2 to 32",
		  "--kernel", "k", "--net", "num_queues=3");
	PARSE_ERR("--net: num_queues=34 must be", "--kernel", "k", "--net",
		  "num_queues=34");
	PARSE_ERR("--net: queue_size=100 must be a power of two", "--kernel",
		  "k", "--net", "queue_size=100");
	PARSE_ERR("--net: tap=abcdefghijklmnop is not an interface name",
		  "--kernel", "k", "--net", "tap=abcdefghijklmnop");
	PARSE_ERR("--net: offload_tso=maybe must be on or off", "--kernel", "k",
		  "--net", "offload_tso=maybe");
	PARSE_ERR("--net: vhost_user= is not supported yet", "--kernel", "k",
		  "--net", "vhost_user=true");
	PARSE_ERR("--net: unknown key 'tapp'", "--kernel", "k", "--net",
		  "tapp=x");
	PARSE_ERR("--net: id '__x' is reserved", "--kernel", "k", "--net",
		  "id=__x");
	PARSE_ERR("--net: id 'd' is not unique", "--kernel", "k", "--disk",
		  "path=/a,id=d", "--net", "id=d");
	PARSE_ERR("--net: tap= is empty", "--kernel", "k", "--net", "tap=");
	PARSE_ERR("--net: more than 8 network devices", "--kernel", "k",
		  "--net", "tap=a", "tap=b", "tap=c", "tap=d", "tap=e", "tap=f",
		  "tap=g", "tap=h", "tap=i");
	/* A VM option: needs a payload. */
	PARSE_ERR("--kernel is required", "--net", "tap=a");
}

static void test_vsock(void **state)
{
	struct vm_config cfg;

	PARSE_OK(&cfg, "--kernel", "k", "--vsock", "cid=3,socket=/tmp/v.sock");
	assert_int_equal(cfg.vsock.cid, 3);
	assert_string_equal(cfg.vsock.socket, "/tmp/v.sock");
	assert_string_equal(cfg.vsock.id, "_vsock0");
	vm_config_free(&cfg);

	PARSE_OK(&cfg, "--kernel", "k", "--vsock",
		 "cid=4294967294,socket=rel.sock,id=vs");
	assert_int_equal(cfg.vsock.cid, 4294967294u);
	assert_string_equal(cfg.vsock.id, "vs");
	vm_config_free(&cfg);

	PARSE_OK(&cfg, "--kernel", "k");
	assert_int_equal(cfg.vsock.cid, 0);
	assert_null(cfg.vsock.socket);
	vm_config_free(&cfg);

	PARSE_ERR("--vsock: cid=2 must be a number from 3", "--kernel", "k",
		  "--vsock", "cid=2,socket=/s");
	PARSE_ERR("--vsock: cid=4294967295 must be", "--kernel", "k", "--vsock",
		  "cid=4294967295,socket=/s");
	PARSE_ERR("--vsock: cid= is required", "--kernel", "k", "--vsock",
		  "socket=/s");
	PARSE_ERR("--vsock: socket= is required", "--kernel", "k", "--vsock",
		  "cid=5");
	PARSE_ERR(
		"--vsock: socket= is longer than", "--kernel", "k", "--vsock",
		"cid=5,socket=/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	PARSE_ERR("--vsock: iommu= is not supported yet", "--kernel", "k",
		  "--vsock", "cid=5,socket=/s,iommu=on");
	PARSE_ERR("--vsock: only one vsock device is supported", "--kernel",
		  "k", "--vsock", "cid=5,socket=/s", "--vsock",
		  "cid=6,socket=/t");
	PARSE_ERR("--vsock: id 'x' is not unique", "--kernel", "k", "--net",
		  "id=x", "--vsock", "cid=5,socket=/s,id=x");
}

static void test_pmem(void **state)
{
	struct vm_config cfg;

	PARSE_OK(&cfg, "--kernel", "k", "--pmem", "file=/img",
		 "file=/b,size=4M", "--pmem", "file=/c,discard_writes=on,id=p");
	assert_int_equal(cfg.nr_pmems, 3);
	assert_string_equal(cfg.pmems[0].file, "/img");
	assert_int_equal(cfg.pmems[0].size, 0);
	assert_false(cfg.pmems[0].discard_writes);
	assert_string_equal(cfg.pmems[0].id, "_pmem0");
	assert_int_equal(cfg.pmems[1].size, 4u << 20);
	assert_string_equal(cfg.pmems[1].id, "_pmem1");
	assert_true(cfg.pmems[2].discard_writes);
	assert_string_equal(cfg.pmems[2].id, "p");
	vm_config_free(&cfg);

	PARSE_ERR("--pmem: file= is required", "--kernel", "k", "--pmem",
		  "size=2M");
	PARSE_ERR("--pmem: size=3M must be a non-zero multiple of 2M",
		  "--kernel", "k", "--pmem", "file=/a,size=3M");
	PARSE_ERR("--pmem: size=0 must be", "--kernel", "k", "--pmem",
		  "file=/a,size=0");
	PARSE_ERR("--pmem: discard_writes=2 must be on or off", "--kernel", "k",
		  "--pmem", "file=/a,discard_writes=2");
	PARSE_ERR("--pmem: iommu= is not supported yet", "--kernel", "k",
		  "--pmem", "file=/a,iommu=on");
	PARSE_ERR("--pmem: unknown key 'path'", "--kernel", "k", "--pmem",
		  "path=/a");
	PARSE_ERR("--pmem: id '_pmem0' is not unique", "--kernel", "k",
		  "--pmem", "file=/a,id=_pmem0", "file=/b,id=_pmem0");
	PARSE_ERR("--kernel is required", "--pmem", "file=/a");
}

static void test_usage_mentions_options(void **state)
{
	const char *u = cli_usage_text();

	assert_non_null(strstr(u, "--net "));
	assert_non_null(strstr(u, "--vsock "));
	assert_non_null(strstr(u, "--pmem "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_net_defaults),
		cmocka_unit_test(test_net_all_keys),
		cmocka_unit_test(test_net_several),
		cmocka_unit_test(test_net_fds),
		cmocka_unit_test(test_net_errors),
		cmocka_unit_test(test_vsock),
		cmocka_unit_test(test_pmem),
		cmocka_unit_test(test_usage_mentions_options),
	};

	return cmocka_run_group_tests_name("cli_net", tests, NULL, NULL);
}
