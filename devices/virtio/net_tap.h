/* SPDX-License-Identifier: Apache-2.0 */
/*
 * net_tap.h - the host side of virtio-net: a Linux TAP interface.
 *
 * Opens one file descriptor per queue pair on a TAP interface, creating
 * it when it does not exist (by name, or "vmtap%d" so the kernel picks
 * one), or takes already-open TAP fds (Cloud Hypervisor's fd=[...]), which
 * are duplicated so the caller's fds stay valid (a VM reboot opens the
 * device again from the same config).  Every fd is non-blocking and
 * close-on-exec and carries a 12-byte virtio-net header (IFF_VNET_HDR,
 * TUNSETVNETHDRSZ, little-endian where the kernel has TUNSETVNETLE), the
 * layout of struct virtio_net_hdr_v1, so guest frames go in and out
 * without conversion.  Several queues use IFF_MULTI_QUEUE.
 *
 * Host configuration through ioctls on an AF_INET socket: MAC address
 * (host_mac), MTU, IPv4 address and netmask, and the interface is brought
 * up (IFF_UP) when Nimbus opened it by name.  For fd= TAPs these are only
 * applied when given.
 *
 * Threading: net_tap_open/close on the main thread; the queue and offload
 * calls from any one thread at a time per queue (the device's threads).
 * Reads and writes on the fds are the device's.
 */
#ifndef NIMBUS_DEVICES_NET_TAP_H
#define NIMBUS_DEVICES_NET_TAP_H

#include <stddef.h>
#include <stdint.h>

#define NET_TAP_MAX_QUEUES 16
#define NET_TAP_VNET_HDR_LEN 12 /* struct virtio_net_hdr_v1 */
#define NET_TAP_DEFAULT_NAME "vmtap%d"

struct net_tap_cfg {
	const char *name; /* interface name; NULL: NET_TAP_DEFAULT_NAME */
	const int *fds; /* nr_fds > 0: use these TAP fds instead of name */
	unsigned int nr_fds;
	unsigned int nr_queues; /* with fds: must equal nr_fds; 0 means 1 */
	uint32_t ip, mask; /* network byte order, when has_ip / has_mask */
	int has_ip, has_mask;
	uint8_t host_mac[6];
	int has_host_mac;
	uint16_t mtu; /* 0: leave as is */
};

struct net_tap;

/*
 * Open (or create) the TAP and configure it as described above.  cfg is
 * not kept.  On failure returns -errno and writes one line naming the
 * interface into err (errlen may be 0): -EINVAL bad cfg (queue count,
 * fd without IFF_VNET_HDR or IFF_NO_PI, not a TAP), -EPERM/-EACCES when
 * the TAP cannot be created (no CAP_NET_ADMIN), -EBUSY name in use by
 * another kind of interface, or the failing ioctl's error.  Main thread.
 */
int net_tap_open(const struct net_tap_cfg *cfg, struct net_tap **out, char *err,
		 size_t errlen);

/* Interface name (valid until net_tap_close). */
const char *net_tap_name(const struct net_tap *t);

/* Number of queue fds and fd `i` (-1 out of range).  The tap keeps
 * ownership. */
unsigned int net_tap_nr_queues(const struct net_tap *t);
int net_tap_fd(const struct net_tap *t, unsigned int i);

/*
 * Tell the kernel which offloads the reader accepts (TUNSETOFFLOAD with
 * TUN_F_* bits from <linux/if_tun.h>): with TUN_F_CSUM frames may arrive
 * with a partial checksum, with TSO4/6/ECN/UFO as large GSO frames.
 * Applies to the whole interface.  0 or -errno.
 */
int net_tap_set_offload(struct net_tap *t, unsigned int tun_flags);

/*
 * Attach (1) or detach (0) queue `i` (TUNSETQUEUE): a detached queue
 * receives no frames and cannot send.  Only for multi-queue TAPs;
 * -EINVAL otherwise or for a bad index, else 0 or -errno.
 */
int net_tap_set_queue(struct net_tap *t, unsigned int i, int attach);

/* Close every fd (a TAP Nimbus created disappears with them) and free.
 * NULL-safe.  Main thread, after the device stopped using the fds. */
void net_tap_close(struct net_tap *t);

#endif /* NIMBUS_DEVICES_NET_TAP_H */
