// SPDX-License-Identifier: Apache-2.0
/*
 * net_tap.c - TAP interfaces for virtio-net (see net_tap.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define LOG_MOD "net-tap"
#include "devices/virtio/net_tap.h"
#include "vmm/log.h"

#define TUN_DEV "/dev/net/tun"

struct net_tap {
	int fds[NET_TAP_MAX_QUEUES];
	unsigned int nr;
	int multi_queue;
	char name[IFNAMSIZ];
};

/* One line for the caller of the setup functions (errmsg_set). */
#define tap_err(err, errlen, name, ret, ...) \
	errmsg_set(err, errlen, "tap", name, ret, __VA_ARGS__)

/* Every queue fd carries the 12-byte virtio_net_hdr_v1 in little endian,
 * and may have any number of frames in flight towards the host stack:
 * the socket's default send buffer (about 200 KiB, three 64 KiB GSO
 * frames) would make writes fail with EAGAIN under load. */
static int tap_vnet_hdr(int fd)
{
	int sz = NET_TAP_VNET_HDR_LEN, le = 1, sndbuf = INT_MAX;

	if (ioctl(fd, TUNSETVNETHDRSZ, &sz))
		return -errno;
	if (ioctl(fd, TUNSETSNDBUF, &sndbuf))
		return -errno;
	/* Kernels without TUNSETVNETLE are little-endian-only hosts' kind:
	 * the header is in host order, which is what a LE host wants. */
	if (ioctl(fd, TUNSETVNETLE, &le) && errno != EINVAL && errno != ENOTTY)
		return -errno;
	return 0;
}

static int tap_create(struct net_tap *t, const struct net_tap_cfg *cfg,
		      unsigned int nq, char *err, size_t errlen)
{
	const char *want = cfg->name ? cfg->name : NET_TAP_DEFAULT_NAME;
	struct ifreq ifr;
	unsigned int i;
	int ret;

	if (strlen(want) >= IFNAMSIZ)
		return tap_err(err, errlen, want, -EINVAL,
			       "name longer than %d characters", IFNAMSIZ - 1);
	t->multi_queue = nq > 1;
	snprintf(t->name, sizeof(t->name), "%s", want);
	for (i = 0; i < nq; i++) {
		int fd = open(TUN_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);

		if (fd < 0)
			return tap_err(err, errlen, want, -errno,
				       "cannot open " TUN_DEV ": %s",
				       strerror(errno));
		t->fds[t->nr++] = fd;
		memset(&ifr, 0, sizeof(ifr));
		ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
		if (t->multi_queue)
			ifr.ifr_flags |= IFF_MULTI_QUEUE;
		memcpy(ifr.ifr_name, t->name, sizeof(t->name));
		if (ioctl(fd, TUNSETIFF, &ifr)) {
			ret = -errno;
			return tap_err(
				err, errlen, t->name, ret,
				"cannot attach queue %u: %s%s", i,
				strerror(-ret),
				ret == -EPERM ?
					" (needs CAP_NET_ADMIN)" :
				ret == -EINVAL ?
					" (exists with other flags, or is not a TAP?)" :
					"");
		}
		/* The kernel resolved "%d": later queues use the real name. */
		memcpy(t->name, ifr.ifr_name, IFNAMSIZ);
		t->name[IFNAMSIZ - 1] = '\0';
		ret = tap_vnet_hdr(fd);
		if (ret)
			return tap_err(err, errlen, t->name, ret,
				       "vnet header setup: %s", strerror(-ret));
	}
	return 0;
}

static int tap_adopt(struct net_tap *t, const struct net_tap_cfg *cfg,
		     char *err, size_t errlen)
{
	struct ifreq ifr;
	unsigned int i;
	int ret;

	snprintf(t->name, sizeof(t->name), "fd%d", cfg->fds[0]);
	for (i = 0; i < cfg->nr_fds; i++) {
		int fd = fcntl(cfg->fds[i], F_DUPFD_CLOEXEC, 3);
		int fl;

		if (fd < 0)
			return tap_err(err, errlen, t->name, -errno,
				       "fd %d: %s", cfg->fds[i],
				       strerror(errno));
		t->fds[t->nr++] = fd;
		memset(&ifr, 0, sizeof(ifr));
		if (ioctl(fd, TUNGETIFF, &ifr))
			return tap_err(err, errlen, t->name, -EINVAL,
				       "fd %d is not a TAP device: %s",
				       cfg->fds[i], strerror(errno));
		if (!(ifr.ifr_flags & IFF_TAP) ||
		    !(ifr.ifr_flags & IFF_VNET_HDR) ||
		    !(ifr.ifr_flags & IFF_NO_PI))
			return tap_err(
				err, errlen, t->name, -EINVAL,
				"fd %d must be a TAP opened with IFF_TAP|IFF_NO_PI|IFF_VNET_HDR",
				cfg->fds[i]);
		if (i == 0) {
			memcpy(t->name, ifr.ifr_name, IFNAMSIZ);
			t->name[IFNAMSIZ - 1] = '\0';
			t->multi_queue = !!(ifr.ifr_flags & IFF_MULTI_QUEUE);
		}
		/* The device expects non-blocking I/O on every queue. */
		fl = fcntl(fd, F_GETFL);
		if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK))
			return tap_err(err, errlen, t->name, -errno,
				       "fd %d: cannot make it non-blocking",
				       cfg->fds[i]);
		ret = tap_vnet_hdr(fd);
		if (ret)
			return tap_err(err, errlen, t->name, ret,
				       "vnet header setup: %s", strerror(-ret));
	}
	if (cfg->nr_fds > 1 && !t->multi_queue)
		return tap_err(err, errlen, t->name, -EINVAL,
			       "%u fds given for a single-queue TAP",
			       cfg->nr_fds);
	return 0;
}

static int tap_ioctl(int sock, unsigned long req, struct ifreq *ifr,
		     const char *what, const char *name, char *err,
		     size_t errlen)
{
	if (!ioctl(sock, req, ifr))
		return 0;
	return tap_err(err, errlen, name, -errno, "cannot set %s: %s", what,
		       strerror(errno));
}

static void tap_sin(struct ifreq *ifr, const char *name, uint32_t addr,
		    int netmask)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };

	memset(ifr, 0, sizeof(*ifr));
	memcpy(ifr->ifr_name, name, IFNAMSIZ);
	sin.sin_addr.s_addr = addr;
	if (netmask)
		memcpy(&ifr->ifr_netmask, &sin, sizeof(sin));
	else
		memcpy(&ifr->ifr_addr, &sin, sizeof(sin));
}

/* Host MAC, MTU, address, netmask, then up (see the header). */
static int tap_configure(struct net_tap *t, const struct net_tap_cfg *cfg,
			 int bring_up, char *err, size_t errlen)
{
	struct ifreq ifr;
	int sock, ret = 0;

	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return tap_err(err, errlen, t->name, -errno,
			       "cannot open a configuration socket: %s",
			       strerror(errno));
	if (cfg->has_host_mac) {
		memset(&ifr, 0, sizeof(ifr));
		memcpy(ifr.ifr_name, t->name, IFNAMSIZ);
		ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
		memcpy(ifr.ifr_hwaddr.sa_data, cfg->host_mac, 6);
		ret = tap_ioctl(sock, SIOCSIFHWADDR, &ifr, "host_mac", t->name,
				err, errlen);
	}
	if (!ret && cfg->mtu) {
		memset(&ifr, 0, sizeof(ifr));
		memcpy(ifr.ifr_name, t->name, IFNAMSIZ);
		ifr.ifr_mtu = cfg->mtu;
		ret = tap_ioctl(sock, SIOCSIFMTU, &ifr, "mtu", t->name, err,
				errlen);
	}
	if (!ret && cfg->has_ip) {
		tap_sin(&ifr, t->name, cfg->ip, 0);
		ret = tap_ioctl(sock, SIOCSIFADDR, &ifr, "ip", t->name, err,
				errlen);
	}
	if (!ret && cfg->has_mask) {
		tap_sin(&ifr, t->name, cfg->mask, 1);
		ret = tap_ioctl(sock, SIOCSIFNETMASK, &ifr, "mask", t->name,
				err, errlen);
	}
	if (!ret && bring_up) {
		memset(&ifr, 0, sizeof(ifr));
		memcpy(ifr.ifr_name, t->name, IFNAMSIZ);
		ret = tap_ioctl(sock, SIOCGIFFLAGS, &ifr, "flags", t->name, err,
				errlen);
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		if (!ret)
			ret = tap_ioctl(sock, SIOCSIFFLAGS, &ifr, "up", t->name,
					err, errlen);
	}
	close(sock);
	return ret;
}

int net_tap_open(const struct net_tap_cfg *cfg, struct net_tap **out, char *err,
		 size_t errlen)
{
	unsigned int nq;
	struct net_tap *t;
	int ret;

	if (errlen)
		err[0] = '\0';
	if (!cfg || !out)
		return -EINVAL;
	nq = cfg->nr_queues ? cfg->nr_queues : 1;
	if (cfg->nr_fds)
		nq = cfg->nr_queues ? cfg->nr_queues : cfg->nr_fds;
	if (nq > NET_TAP_MAX_QUEUES || (cfg->nr_fds && cfg->nr_fds != nq) ||
	    (cfg->nr_fds && !cfg->fds))
		return tap_err(
			err, errlen, cfg->name ? cfg->name : "(new)", -EINVAL,
			"%u queue(s) with %u fd(s): want 1..%u and one fd per queue",
			nq, cfg->nr_fds, NET_TAP_MAX_QUEUES);
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	if (cfg->nr_fds)
		ret = tap_adopt(t, cfg, err, errlen);
	else
		ret = tap_create(t, cfg, nq, err, errlen);
	if (!ret) {
		int given = cfg->has_ip || cfg->has_mask || cfg->mtu ||
			    cfg->has_host_mac;

		if (!cfg->nr_fds || given)
			ret = tap_configure(t, cfg, !cfg->nr_fds || cfg->has_ip,
					    err, errlen);
	}
	if (ret) {
		net_tap_close(t);
		return ret;
	}
	log_info("tap %s: %u queue(s)%s", t->name, t->nr,
		 cfg->nr_fds ? " (given fds)" : "");
	*out = t;
	return 0;
}

const char *net_tap_name(const struct net_tap *t)
{
	return t->name;
}

unsigned int net_tap_nr_queues(const struct net_tap *t)
{
	return t->nr;
}

int net_tap_fd(const struct net_tap *t, unsigned int i)
{
	return i < t->nr ? t->fds[i] : -1;
}

int net_tap_set_offload(struct net_tap *t, unsigned int tun_flags)
{
	if (!t->nr)
		return -EINVAL;
	/* Offloads belong to the interface: any queue's fd sets them. */
	if (ioctl(t->fds[0], TUNSETOFFLOAD, (unsigned long)tun_flags))
		return -errno;
	return 0;
}

int net_tap_set_queue(struct net_tap *t, unsigned int i, int attach)
{
	struct ifreq ifr;

	if (i >= t->nr || !t->multi_queue)
		return -EINVAL;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = attach ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE;
	if (ioctl(t->fds[i], TUNSETQUEUE, &ifr))
		return -errno;
	return 0;
}

void net_tap_close(struct net_tap *t)
{
	unsigned int i;

	if (!t)
		return;
	for (i = 0; i < t->nr; i++)
		close(t->fds[i]);
	free(t);
}
