// SPDX-License-Identifier: Apache-2.0
/*
 * api_json_dump.c - struct vm_config -> VmConfig JSON (vm.info's
 * "config"), the inverse of api_json.c: parsing the result gives back an
 * equal config.  Unset options are written as null, as CH does.
 */
#include <arpa/inet.h>
#include <stdio.h>

#include "vmm/api_json.h"

/* A string or null; jansson refuses invalid UTF-8, which becomes null
 * rather than a failed dump (paths are bytes, JSON strings are not). */
static json_t *str_or_null(const char *s)
{
	json_t *v = s ? json_string(s) : NULL;

	return v ? v : json_null();
}

static json_t *ipv4(uint32_t a, int has)
{
	char buf[INET_ADDRSTRLEN];
	struct in_addr in = { .s_addr = a };

	if (!has || !inet_ntop(AF_INET, &in, buf, sizeof(buf)))
		return json_null();
	return json_string(buf);
}

static json_t *mac(const uint8_t m[6], int has)
{
	char buf[18];

	if (!has)
		return json_null();
	snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1],
		 m[2], m[3], m[4], m[5]);
	return json_string(buf);
}

static json_t *cons(const struct console_config *cc)
{
	return json_pack(
		"{s:s, s:o, s:o}", "mode", api_json_console_mode_name(cc->mode),
		"file", str_or_null(cc->mode == CONSOLE_FILE ? cc->path : NULL),
		"socket",
		str_or_null(cc->mode == CONSOLE_SOCKET ? cc->path : NULL));
}

static json_t *disks(const struct vm_config *cfg)
{
	json_t *a = json_array();
	unsigned int i;

	for (i = 0; a && i < cfg->nr_disks; i++) {
		const struct disk_config *d = &cfg->disks[i];

		if (json_array_append_new(
			    a,
			    json_pack("{s:o, s:b, s:b, s:I, s:I, s:o, s:o}",
				      "path", str_or_null(d->path), "readonly",
				      d->readonly, "direct", d->direct,
				      "num_queues", (json_int_t)d->num_queues,
				      "queue_size", (json_int_t)d->queue_size,
				      "id", str_or_null(d->id), "serial",
				      str_or_null(d->serial)))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *nets(const struct vm_config *cfg)
{
	json_t *a = json_array();
	unsigned int i;

	for (i = 0; a && i < cfg->nr_nets; i++) {
		const struct net_config *n = &cfg->nets[i];
		json_t *o = json_pack(
			"{s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:o, s:b, s:b, s:b}",
			"tap", str_or_null(n->tap), "ip",
			ipv4(n->ip, n->has_ip), "mask",
			ipv4(n->mask, n->has_mask), "mac",
			mac(n->mac, n->has_mac), "host_mac",
			mac(n->host_mac, n->has_host_mac), "num_queues",
			(json_int_t)n->num_queues, "queue_size",
			(json_int_t)n->queue_size, "id", str_or_null(n->id),
			"offload_tso", n->offload_tso, "offload_ufo",
			n->offload_ufo, "offload_csum", n->offload_csum);

		if (o && n->mtu &&
		    json_object_set_new(o, "mtu", json_integer(n->mtu))) {
			json_decref(o);
			o = NULL;
		}
		if (json_array_append_new(a, o)) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *pmems(const struct vm_config *cfg)
{
	json_t *a = json_array();
	unsigned int i;

	for (i = 0; a && i < cfg->nr_pmems; i++) {
		const struct pmem_config *p = &cfg->pmems[i];

		if (json_array_append_new(
			    a, json_pack("{s:o, s:I, s:b, s:o}", "file",
					 str_or_null(p->file), "size",
					 (json_int_t)p->size, "discard_writes",
					 p->discard_writes, "id",
					 str_or_null(p->id)))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *vsock(const struct vm_config *cfg)
{
	if (!cfg->vsock.cid)
		return json_null();
	return json_pack("{s:I, s:o, s:o}", "cid", (json_int_t)cfg->vsock.cid,
			 "socket", str_or_null(cfg->vsock.socket), "id",
			 str_or_null(cfg->vsock.id));
}

json_t *api_json_from_vm_config(const struct vm_config *cfg)
{
	/* json_pack's "o" steals each reference, also on failure. */
	return json_pack(
		"{s:{s:o, s:o, s:o}, s:{s:I, s:I}, s:{s:I}, s:o, s:o, s:{s:o},"
		" s:o, s:o, s:o, s:o, s:b}",
		"payload", "kernel", str_or_null(cfg->payload.kernel),
		"initramfs", str_or_null(cfg->payload.initramfs), "cmdline",
		str_or_null(cfg->payload.cmdline), "cpus", "boot_vcpus",
		(json_int_t)cfg->cpus.boot, "max_vcpus",
		(json_int_t)cfg->cpus.max, "memory", "size",
		(json_int_t)cfg->memory.size, "disks", disks(cfg), "net",
		nets(cfg), "rng", "src", str_or_null(cfg->rng.src), "serial",
		cons(&cfg->serial), "console", cons(&cfg->console), "vsock",
		vsock(cfg), "pmem", pmems(cfg), "pvpanic", cfg->pvpanic);
}
