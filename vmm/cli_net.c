// SPDX-License-Identifier: Apache-2.0
/*
 * cli_net.c - the network and host-channel options of the `nimbus`
 * command line (Cloud Hypervisor syntax): --net (repeatable, several
 * values per option), --vsock (one device) and --pmem (repeatable).
 * Called from the option table in cli.c; like the rest of the parser it
 * never logs and reports problems through st->err.
 *
 * The one impurity: a --net without mac= gets a random locally
 * administered unicast MAC here, once, so it stays the same across guest
 * reboots (the VM is rebuilt from this config).  getrandom() is used,
 * with a time/pid mix as a fallback.
 */
#define LOG_MOD "cli"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vmm/cli.h"
#include "vmm/cli_priv.h"
#include "vmm/log.h"

#define NET_QUEUES_MAX (2u * CONFIG_MAX_NET_FDS)
#define NET_QSIZE_MAX 1024u
#define NET_MTU_MIN 68u
#define NET_IFNAME_MAX 15u
#define PMEM_ALIGN (2ull << 20)
/* "PATH_<port>" must fit sockaddr_un with a 10-digit port. */
#define VSOCK_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 12)

/* CH keys Nimbus does not implement yet. */
static const char *const net_later_keys[] = {
	"vhost_user",	     "socket",
	"vhost_mode",	     "iommu",
	"pci_segment",	     "bw_size",
	"bw_one_time_burst", "bw_refill_time",
	"ops_size",	     "ops_one_time_burst",
	"ops_refill_time",   "rate_limit_group",
};

static const char *const vsock_later_keys[] = { "iommu", "pci_segment" };
static const char *const pmem_later_keys[] = { "iommu", "pci_segment" };

/* ---- ids ----------------------------------------------------------------- */

static bool id_taken(const struct vm_config *cfg, const char *id)
{
	unsigned int i;

	for (i = 0; i < cfg->nr_disks && i < CONFIG_MAX_DISKS; i++)
		if (cfg->disks[i].id && !strcmp(cfg->disks[i].id, id))
			return true;
	for (i = 0; i < cfg->nr_nets && i < CONFIG_MAX_NETS; i++)
		if (cfg->nets[i].id && !strcmp(cfg->nets[i].id, id))
			return true;
	for (i = 0; i < cfg->nr_pmems && i < CONFIG_MAX_PMEMS; i++)
		if (cfg->pmems[i].id && !strcmp(cfg->pmems[i].id, id))
			return true;
	return cfg->vsock.id && !strcmp(cfg->vsock.id, id);
}

static int set_str(struct cli_state *st, const struct cli_opt *opt,
		   const struct kv *kv, char **dst)
{
	if (kv->val[0] == '\0')
		return cli_err(st, "--%s: %s= is empty", opt->name, kv->key);
	free(*dst);
	*dst = strdup(kv->val);
	if (!*dst)
		return cli_nomem(st);
	return 0;
}

static int set_id(struct cli_state *st, const struct cli_opt *opt,
		  const struct kv *kv, char **dst)
{
	int len = kv_echo_len(strlen(kv->val));

	if (!strncmp(kv->val, "__", 2))
		return cli_err(st,
			       "--%s: id '%.*s' is reserved (\"__\" prefix)",
			       opt->name, len, kv->val);
	if (id_taken(st->cfg, kv->val))
		return cli_err(st, "--%s: id '%.*s' is not unique", opt->name,
			       len, kv->val);
	return set_str(st, opt, kv, dst);
}

static int set_onoff(struct cli_state *st, const struct cli_opt *opt,
		     const struct kv *kv, uint8_t *dst)
{
	int v;

	if (parse_bool(kv->val, &v))
		return cli_err(st, "--%s: %s=%.*s must be on or off", opt->name,
			       kv->key, kv_echo_len(strlen(kv->val)), kv->val);
	*dst = (uint8_t)v;
	return 0;
}

/* ---- --net --------------------------------------------------------------- */

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char end;
	int i;

	if (strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &end) != 6)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		if (s[3 * i] == '+' || s[3 * i] == '-' || s[3 * i] == ' ' ||
		    s[3 * i + 1] == ' ')
			return -EINVAL;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

static int net_mac(struct cli_state *st, const struct kv *kv, uint8_t *mac,
		   uint8_t *has)
{
	if (parse_mac(kv->val, mac))
		return cli_err(
			st,
			"--net: %s=%.*s is not a MAC address (xx:xx:xx:xx:xx:xx)",
			kv->key, kv_echo_len(strlen(kv->val)), kv->val);
	if (mac[0] & 1)
		return cli_err(st, "--net: %s=%s is a multicast address",
			       kv->key, kv->val);
	*has = 1;
	return 0;
}

static int net_ipv4(struct cli_state *st, const struct kv *kv, uint32_t *dst,
		    uint8_t *has)
{
	struct in_addr a;
	uint32_t h;

	if (inet_pton(AF_INET, kv->val, &a) != 1)
		return cli_err(st, "--net: %s=%.*s is not an IPv4 address",
			       kv->key, kv_echo_len(strlen(kv->val)), kv->val);
	h = ntohl(a.s_addr);
	/* A netmask is ones then zeros. */
	if (!strcmp(kv->key, "mask") && (~h & (~h + 1)))
		return cli_err(st, "--net: mask=%s is not a netmask", kv->val);
	*dst = a.s_addr;
	*has = 1;
	return 0;
}

/* "3", "[3]" or "[3;4]" (commas were turned into ';'). */
static int net_fds(struct cli_state *st, struct net_config *n, const char *v)
{
	const char *p = v;
	size_t len = strlen(v);
	char num[16];
	uint32_t fd;

	if (v[0] == '[') {
		if (len < 2 || v[len - 1] != ']')
			goto bad;
		p++;
		len -= 2;
	}
	n->nr_fds = 0;
	while (len) {
		const char *sep = memchr(p, ';', len);
		size_t l = sep ? (size_t)(sep - p) : len;

		if (!l || l >= sizeof(num) || n->nr_fds >= CONFIG_MAX_NET_FDS)
			goto bad;
		memcpy(num, p, l);
		num[l] = '\0';
		if (parse_u32(num, 3, INT32_MAX, &fd))
			goto bad;
		n->fds[n->nr_fds++] = (int)fd;
		p += l + (sep ? 1 : 0);
		len -= l + (sep ? 1 : 0);
		if (sep && !len)
			goto bad;
	}
	if (n->nr_fds)
		return 0;
bad:
	n->nr_fds = 0;
	return cli_err(
		st,
		"--net: fd=%.*s must be a descriptor >= 3 or a list [a,b] of at most %u",
		kv_echo_len(strlen(v)), v, CONFIG_MAX_NET_FDS);
}

static int net_key(struct cli_state *st, const struct cli_opt *opt,
		   struct net_config *n, const struct kv *kv, bool *nq_given)
{
	const char *k = kv->key, *v = kv->val;
	int vlen = kv_echo_len(strlen(v));
	uint32_t u;

	if (!strcmp(k, "tap")) {
		if (strlen(v) > NET_IFNAME_MAX || strchr(v, '/'))
			return cli_err(
				st,
				"--net: tap=%.*s is not an interface name (at most %u characters, no '/')",
				vlen, v, NET_IFNAME_MAX);
		return set_str(st, opt, kv, &n->tap);
	}
	if (!strcmp(k, "ip"))
		return net_ipv4(st, kv, &n->ip, &n->has_ip);
	if (!strcmp(k, "mask"))
		return net_ipv4(st, kv, &n->mask, &n->has_mask);
	if (!strcmp(k, "mac"))
		return net_mac(st, kv, n->mac, &n->has_mac);
	if (!strcmp(k, "host_mac"))
		return net_mac(st, kv, n->host_mac, &n->has_host_mac);
	if (!strcmp(k, "mtu")) {
		if (parse_u32(v, NET_MTU_MIN, 65535, &u))
			return cli_err(
				st,
				"--net: mtu=%.*s must be a number from %u to 65535",
				vlen, v, NET_MTU_MIN);
		n->mtu = (uint16_t)u;
		return 0;
	}
	if (!strcmp(k, "num_queues")) {
		if (parse_u32(v, 2, NET_QUEUES_MAX, &u) || (u & 1))
			return cli_err(
				st,
				"--net: num_queues=%.*s must be an even number from 2 to %u",
				vlen, v, NET_QUEUES_MAX);
		n->num_queues = (uint16_t)u;
		*nq_given = true;
		return 0;
	}
	if (!strcmp(k, "queue_size")) {
		if (parse_u32(v, 2, NET_QSIZE_MAX, &u) || (u & (u - 1)))
			return cli_err(
				st,
				"--net: queue_size=%.*s must be a power of two from 2 to %u",
				vlen, v, NET_QSIZE_MAX);
		n->queue_size = (uint16_t)u;
		return 0;
	}
	if (!strcmp(k, "id"))
		return set_id(st, opt, kv, &n->id);
	if (!strcmp(k, "fd"))
		return net_fds(st, n, v);
	if (!strcmp(k, "offload_tso"))
		return set_onoff(st, opt, kv, &n->offload_tso);
	if (!strcmp(k, "offload_ufo"))
		return set_onoff(st, opt, kv, &n->offload_ufo);
	if (!strcmp(k, "offload_csum"))
		return set_onoff(st, opt, kv, &n->offload_csum);
	return cli_bad_key(st, opt, k, net_later_keys,
			   ARRAY_SIZE(net_later_keys));
}

/* Copy of val with the commas inside [...] turned into ';' so that
 * kv_parse keeps "fd=[3,4]" in one item. */
static char *net_protect_lists(const char *val)
{
	char *s = strdup(val), *p;
	int depth = 0;

	if (!s)
		return NULL;
	for (p = s; *p; p++) {
		if (*p == '[')
			depth++;
		else if (*p == ']' && depth)
			depth--;
		else if (*p == ',' && depth)
			*p = ';';
	}
	return s;
}

static void net_free(struct net_config *n)
{
	free(n->tap);
	free(n->id);
	n->tap = n->id = NULL;
}

static int net_check(struct cli_state *st, struct net_config *n, bool nq_given)
{
	if (n->tap && n->nr_fds)
		return cli_err(st, "--net: give tap= or fd=, not both");
	if (n->nr_fds) {
		if (!nq_given)
			n->num_queues = (uint16_t)(2 * n->nr_fds);
		else if (n->num_queues != 2 * n->nr_fds)
			return cli_err(
				st,
				"--net: num_queues=%u needs %u fds, %u given",
				n->num_queues, n->num_queues / 2, n->nr_fds);
	}
	if (n->has_mask && !n->has_ip)
		return cli_err(st, "--net: mask= needs ip=");
	return 0;
}

int cli_opt_net(struct cli_state *st, const struct cli_opt *opt,
		const char *val)
{
	struct net_config n = {
		.num_queues = 2,
		.queue_size = 256,
		.offload_tso = 1,
		.offload_ufo = 1,
		.offload_csum = 1,
	};
	bool nq_given = false;
	struct kv *kv = NULL;
	size_t nkv = 0, i;
	char *copy;
	int ret;

	if (st->cfg->nr_nets >= CONFIG_MAX_NETS)
		return cli_err(st, "--net: more than %d network devices",
			       CONFIG_MAX_NETS);
	copy = net_protect_lists(val);
	if (!copy)
		return cli_nomem(st);
	ret = cli_kv(st, opt, copy, &kv, &nkv);
	free(copy);
	if (ret)
		return ret;
	for (i = 0; i < nkv && !ret; i++)
		ret = net_key(st, opt, &n, &kv[i], &nq_given);
	kv_free(kv, nkv);
	if (!ret)
		ret = net_check(st, &n, nq_given);
	if (ret) {
		net_free(&n);
		return ret;
	}
	st->cfg->nets[st->cfg->nr_nets++] = n;
	return 0;
}

/* ---- --vsock ------------------------------------------------------------- */

int cli_opt_vsock(struct cli_state *st, const struct cli_opt *opt,
		  const char *val)
{
	struct vsock_config *vs = &st->cfg->vsock;
	struct kv *kv = NULL;
	size_t n = 0, i;
	uint32_t cid;
	int ret;

	if (vs->cid)
		return cli_err(st,
			       "--vsock: only one vsock device is supported");
	ret = cli_kv(st, opt, val, &kv, &n);
	if (ret)
		return ret;
	for (i = 0; i < n && !ret; i++) {
		const char *k = kv[i].key, *v = kv[i].val;

		if (!strcmp(k, "cid")) {
			if (parse_u32(v, 3, 0xfffffffeu, &cid))
				ret = cli_err(
					st,
					"--vsock: cid=%.*s must be a number from 3 to 4294967294",
					kv_echo_len(strlen(v)), v);
			else
				vs->cid = cid;
		} else if (!strcmp(k, "socket")) {
			if (strlen(v) > VSOCK_PATH_MAX)
				ret = cli_err(
					st,
					"--vsock: socket= is longer than %zu bytes",
					VSOCK_PATH_MAX);
			else
				ret = set_str(st, opt, &kv[i], &vs->socket);
		} else if (!strcmp(k, "id")) {
			ret = set_id(st, opt, &kv[i], &vs->id);
		} else {
			ret = cli_bad_key(st, opt, k, vsock_later_keys,
					  ARRAY_SIZE(vsock_later_keys));
		}
	}
	kv_free(kv, n);
	if (!ret && !vs->cid)
		ret = cli_err(st, "--vsock: cid= is required");
	if (!ret && !vs->socket)
		ret = cli_err(st, "--vsock: socket= is required");
	if (ret) {
		free(vs->socket);
		free(vs->id);
		memset(vs, 0, sizeof(*vs));
	}
	return ret;
}

/* ---- --pmem -------------------------------------------------------------- */

static int pmem_key(struct cli_state *st, const struct cli_opt *opt,
		    struct pmem_config *p, const struct kv *kv)
{
	const char *k = kv->key, *v = kv->val;

	if (!strcmp(k, "file"))
		return set_str(st, opt, kv, &p->file);
	if (!strcmp(k, "size")) {
		if (parse_size(v, &p->size) || !p->size || p->size % PMEM_ALIGN)
			return cli_err(
				st,
				"--pmem: size=%.*s must be a non-zero multiple of 2M",
				kv_echo_len(strlen(v)), v);
		return 0;
	}
	if (!strcmp(k, "discard_writes"))
		return set_onoff(st, opt, kv, &p->discard_writes);
	if (!strcmp(k, "id"))
		return set_id(st, opt, kv, &p->id);
	return cli_bad_key(st, opt, k, pmem_later_keys,
			   ARRAY_SIZE(pmem_later_keys));
}

int cli_opt_pmem(struct cli_state *st, const struct cli_opt *opt,
		 const char *val)
{
	struct pmem_config p = { 0 };
	struct kv *kv = NULL;
	size_t n = 0, i;
	int ret;

	if (st->cfg->nr_pmems >= CONFIG_MAX_PMEMS)
		return cli_err(st, "--pmem: more than %d pmem devices",
			       CONFIG_MAX_PMEMS);
	ret = cli_kv(st, opt, val, &kv, &n);
	if (ret)
		return ret;
	for (i = 0; i < n && !ret; i++)
		ret = pmem_key(st, opt, &p, &kv[i]);
	kv_free(kv, n);
	if (!ret && !p.file)
		ret = cli_err(st, "--pmem: file= is required");
	if (ret) {
		free(p.file);
		free(p.id);
		return ret;
	}
	st->cfg->pmems[st->cfg->nr_pmems++] = p;
	return 0;
}

/* ---- defaults -------------------------------------------------------------- */

static int default_id(struct cli_state *st, const char *prefix, char **dst)
{
	unsigned int next = 0;
	char name[32];

	do
		snprintf(name, sizeof(name), "%s%u", prefix, next++);
	while (id_taken(st->cfg, name));
	*dst = strdup(name);
	return *dst ? 0 : cli_nomem(st);
}

/* Random, locally administered, unicast. */
static void random_mac(uint8_t mac[6], unsigned int salt)
{
	if (getrandom(mac, 6, GRND_NONBLOCK) != 6) {
		struct timespec ts;
		uint64_t h;

		clock_gettime(CLOCK_REALTIME, &ts);
		h = ((uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 30 ^
		     (uint64_t)getpid() << 12 ^ salt) *
		    0x9e3779b97f4a7c15ull;
		memcpy(mac, &h, 6);
	}
	mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02);
}

int cli_net_default_ids(struct cli_state *st)
{
	struct vm_config *cfg = st->cfg;
	unsigned int i;
	int ret;

	for (i = 0; i < cfg->nr_nets; i++) {
		if (!cfg->nets[i].has_mac)
			random_mac(cfg->nets[i].mac, i);
		if (!cfg->nets[i].id) {
			ret = default_id(st, "_net", &cfg->nets[i].id);
			if (ret)
				return ret;
		}
	}
	if (cfg->vsock.cid && !cfg->vsock.id) {
		ret = default_id(st, "_vsock", &cfg->vsock.id);
		if (ret)
			return ret;
	}
	for (i = 0; i < cfg->nr_pmems; i++) {
		if (cfg->pmems[i].id)
			continue;
		ret = default_id(st, "_pmem", &cfg->pmems[i].id);
		if (ret)
			return ret;
	}
	return 0;
}
