// SPDX-License-Identifier: Apache-2.0
/*
 * api_json_dev.c - the device entries of a VmConfig: disks[], net[],
 * vsock and pmem[] (see api_json.h), with the CLI's defaults, limits and
 * default ids ("_disk0", "_net0", "_vsock0", "_pmem0").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/api_json_priv.h"
#include "vmm/cli.h"

/* --- disks ---------------------------------------------------------------- */

static const struct api_json_field disk_fields[] = {
	FSTR("path", struct disk_config, path),
	FBOOL("readonly", struct disk_config, readonly),
	FBOOL("direct", struct disk_config, direct),
	FU16("num_queues", struct disk_config, num_queues, 1,
	     CLI_DISK_QUEUES_MAX),
	FU16("queue_size", struct disk_config, queue_size, CLI_DISK_QSIZE_MIN,
	     CLI_DISK_QSIZE_MAX),
	FSTR("id", struct disk_config, id),
	FSTR("serial", struct disk_config, serial),
	FLATER("iommu"),
	FLATER("vhost_user"),
	FLATER("vhost_socket"),
	FLATER("rate_limiter_config"),
	FLATER("pci_segment"),
	FLATER("pci_device_id"),
	FLATER("rate_limit_group"),
	FLATER("queue_affinity"),
	FLATER("backing_files"),
	FLATER_TRUE("sparse"),
	FLATER_STR("image_type", "Raw"),
	FLATER_STR("lock_granularity", "ByteRange"),
};

static bool id_taken(const struct vm_config *cfg, const char *id,
		     const struct disk_config *self)
{
	unsigned int i;

	for (i = 0; i < cfg->nr_disks; i++)
		if (&cfg->disks[i] != self && cfg->disks[i].id &&
		    !strcmp(cfg->disks[i].id, id))
			return true;
	return false;
}

static int parse_disk(struct api_json_ctx *c, const char *where,
		      const json_t *v, struct disk_config *d)
{
	int ret;

	d->num_queues = 1;
	d->queue_size = CLI_DISK_QSIZE_DEFAULT;
	ret = api_json_parse_object(c, v, where, disk_fields,
				    NFIELDS(disk_fields), d);
	if (ret)
		return ret;
	if (!d->path)
		return api_json_err(c, "%s.path is required", where);
	if (!is_pow2(d->queue_size))
		return api_json_err(c, "%s.queue_size must be a power of two",
				    where);
	if (d->serial && strlen(d->serial) > CLI_DISK_SERIAL_MAX)
		return api_json_err(c, "%s.serial is longer than %u bytes",
				    where, CLI_DISK_SERIAL_MAX);
	if (d->id && !strncmp(d->id, "__", 2))
		return api_json_err(
			c, "%s.id: ids starting with \"__\" are reserved",
			where);
	return 0;
}

int api_json_parse_disks(struct api_json_ctx *c, const char *where,
			 const json_t *v, void *base)
{
	struct vm_config *cfg = base;
	char w[48];
	unsigned int i, next = 0;
	size_t idx;
	json_t *e;
	int ret;

	if (!json_is_array(v))
		return api_json_err(c, "%s: must be an array", where);
	if (json_array_size(v) > CONFIG_MAX_DISKS)
		return api_json_err(c, "%s: at most %u disks", where,
				    CONFIG_MAX_DISKS);
	for (idx = 0; idx < json_array_size(v); idx++) {
		e = json_array_get(v, idx);
		snprintf(w, sizeof(w), "disks[%zu]", idx);
		cfg->nr_disks = (unsigned int)idx + 1;
		ret = parse_disk(c, w, e, &cfg->disks[idx]);
		if (ret)
			return ret;
		if (cfg->disks[idx].id &&
		    id_taken(cfg, cfg->disks[idx].id, &cfg->disks[idx]))
			return api_json_err(c, "%s.id '%.32s' is used twice", w,
					    cfg->disks[idx].id);
	}
	/* CH's default names, from one counter skipping given ids. */
	for (i = 0; i < cfg->nr_disks; i++) {
		if (cfg->disks[i].id)
			continue;
		do
			snprintf(w, sizeof(w), "_disk%u", next++);
		while (id_taken(cfg, w, NULL));
		cfg->disks[i].id = strdup(w);
		if (!cfg->disks[i].id)
			return api_json_nomem(c);
	}
	return 0;
}

/* --- net, vsock, pmem ------------------------------------------------------ */

static int parse_ipv4(struct api_json_ctx *c, const char *where,
		      const json_t *v, uint32_t *out, uint8_t *has)
{
	struct in_addr a;

	if (!json_is_string(v))
		return api_json_err(c, "%s: must be a string", where);
	if (inet_pton(AF_INET, json_string_value(v), &a) != 1)
		return api_json_err(c, "%s: '%.40s' is not an IPv4 address",
				    where, json_string_value(v));
	*out = a.s_addr;
	*has = 1;
	return 0;
}

static int net_ip(struct api_json_ctx *c, const char *where, const json_t *v,
		  void *base)
{
	struct net_config *n = base;

	return parse_ipv4(c, where, v, &n->ip, &n->has_ip);
}

static int net_mask(struct api_json_ctx *c, const char *where, const json_t *v,
		    void *base)
{
	struct net_config *n = base;
	uint32_t m;
	int ret = parse_ipv4(c, where, v, &n->mask, &n->has_mask);

	m = ntohl(n->mask);
	if (!ret && (m & (~m >> 1)))
		return api_json_err(c, "%s: not a contiguous netmask", where);
	return ret;
}

static int parse_mac(struct api_json_ctx *c, const char *where, const json_t *v,
		     uint8_t mac[6], uint8_t *has)
{
	unsigned int b[6], i;
	char tail;
	const char *s;

	if (!json_is_string(v))
		return api_json_err(c, "%s: must be a string", where);
	s = json_string_value(v);
	if (strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &tail) != 6)
		return api_json_err(c, "%s: '%.20s' is not a MAC address",
				    where, s);
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	if (mac[0] & 1)
		return api_json_err(c, "%s: a multicast MAC address", where);
	*has = 1;
	return 0;
}

static int net_mac(struct api_json_ctx *c, const char *where, const json_t *v,
		   void *base)
{
	struct net_config *n = base;

	return parse_mac(c, where, v, n->mac, &n->has_mac);
}

static int net_host_mac(struct api_json_ctx *c, const char *where,
			const json_t *v, void *base)
{
	struct net_config *n = base;

	return parse_mac(c, where, v, n->host_mac, &n->has_host_mac);
}

static const struct api_json_field net_fields[] = {
	FSTR("tap", struct net_config, tap),
	FFN("ip", net_ip),
	FFN("mask", net_mask),
	FFN("mac", net_mac),
	FFN("host_mac", net_host_mac),
	FU16("mtu", struct net_config, mtu, 68, 65535),
	FU16("num_queues", struct net_config, num_queues, 2,
	     2 * CONFIG_MAX_NET_FDS),
	FU16("queue_size", struct net_config, queue_size, 2, 32768),
	FSTR("id", struct net_config, id),
	FBOOL8("offload_tso", struct net_config, offload_tso),
	FBOOL8("offload_ufo", struct net_config, offload_ufo),
	FBOOL8("offload_csum", struct net_config, offload_csum),
	FLATER("fds"),
	FLATER("iommu"),
	FLATER("vhost_user"),
	FLATER("vhost_socket"),
	FLATER_STR("vhost_mode", "Client"),
	FLATER("pci_segment"),
	FLATER("pci_device_id"),
	FLATER("rate_limiter_config"),
};

int api_json_parse_nets(struct api_json_ctx *c, const char *where,
			const json_t *v, void *base)
{
	struct vm_config *cfg = base;
	char w[48];
	unsigned int i, j;
	size_t idx;
	json_t *e;
	int ret;

	if (!json_is_array(v))
		return api_json_err(c, "%s: must be an array", where);
	if (json_array_size(v) > CONFIG_MAX_NETS)
		return api_json_err(c, "%s: at most %u devices", where,
				    CONFIG_MAX_NETS);
	for (idx = 0; idx < json_array_size(v); idx++) {
		struct net_config *n = &cfg->nets[idx];

		e = json_array_get(v, idx);
		snprintf(w, sizeof(w), "net[%zu]", idx);
		cfg->nr_nets = (unsigned int)idx + 1;
		n->num_queues = 2;
		n->queue_size = 256;
		n->offload_tso = n->offload_ufo = n->offload_csum = 1;
		ret = api_json_parse_object(c, e, w, net_fields,
					    NFIELDS(net_fields), n);
		if (ret)
			return ret;
		if (n->num_queues % 2 || !is_pow2(n->queue_size))
			return api_json_err(c,
					    "%s: num_queues must be even and "
					    "queue_size a power of two",
					    w);
	}
	for (i = 0; i < cfg->nr_nets; i++) {
		if (!cfg->nets[i].id) {
			snprintf(w, sizeof(w), "_net%u", i);
			cfg->nets[i].id = strdup(w);
			if (!cfg->nets[i].id)
				return api_json_nomem(c);
		}
		for (j = 0; j < i; j++)
			if (!strcmp(cfg->nets[i].id, cfg->nets[j].id))
				return api_json_err(
					c, "net[%u].id '%.32s' is used twice",
					i, cfg->nets[i].id);
	}
	return 0;
}

static const struct api_json_field vsock_fields[] = {
	FU64("cid", struct vsock_config, cid, 3, UINT32_MAX - 1),
	FSTR("socket", struct vsock_config, socket),
	FSTR("id", struct vsock_config, id),
	FLATER("iommu"),
	FLATER("pci_segment"),
	FLATER("pci_device_id"),
};

int api_json_parse_vsock(struct api_json_ctx *c, const char *where,
			 const json_t *v, void *base)
{
	struct vsock_config *vs = &((struct vm_config *)base)->vsock;
	int ret = api_json_parse_object(c, v, where, vsock_fields,
					NFIELDS(vsock_fields), vs);

	if (ret)
		return ret;
	if (!vs->cid || !vs->socket)
		return api_json_err(c, "vsock: cid and socket are required");
	if (!vs->id) {
		vs->id = strdup("_vsock0");
		if (!vs->id)
			return api_json_nomem(c);
	}
	return 0;
}

static const struct api_json_field pmem_fields[] = {
	FSTR("file", struct pmem_config, file),
	FU64("size", struct pmem_config, size, 0, CLI_MEM_MAX),
	FBOOL8("discard_writes", struct pmem_config, discard_writes),
	FSTR("id", struct pmem_config, id),
	FLATER("iommu"),
	FLATER("pci_segment"),
	FLATER("pci_device_id"),
};

int api_json_parse_pmems(struct api_json_ctx *c, const char *where,
			 const json_t *v, void *base)
{
	struct vm_config *cfg = base;
	char w[48];
	size_t idx;
	json_t *e;
	int ret;

	if (!json_is_array(v))
		return api_json_err(c, "%s: must be an array", where);
	if (json_array_size(v) > CONFIG_MAX_PMEMS)
		return api_json_err(c, "%s: at most %u devices", where,
				    CONFIG_MAX_PMEMS);
	for (idx = 0; idx < json_array_size(v); idx++) {
		struct pmem_config *p = &cfg->pmems[idx];

		e = json_array_get(v, idx);
		snprintf(w, sizeof(w), "pmem[%zu]", idx);
		cfg->nr_pmems = (unsigned int)idx + 1;
		ret = api_json_parse_object(c, e, w, pmem_fields,
					    NFIELDS(pmem_fields), p);
		if (ret)
			return ret;
		if (!p->file)
			return api_json_err(c, "%s.file is required", w);
		if (p->size % 4096)
			return api_json_err(
				c, "%s.size must be a multiple of 4096", w);
		if (!p->id) {
			snprintf(w, sizeof(w), "_pmem%zu", idx);
			p->id = strdup(w);
			if (!p->id)
				return api_json_nomem(c);
		}
	}
	return 0;
}
