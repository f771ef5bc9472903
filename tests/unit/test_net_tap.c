// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests for devices/virtio/net_tap.c on real TAP interfaces, plus
 * virtio-net on a TAP end to end (ARP through the host kernel, UDP with
 * checksum offload).
 *
 * Needs root and /dev/net/tun (skipped otherwise).  main() forks: the
 * child moves into a new network namespace (unshare(CLONE_NEWNET)) and
 * runs every test there, so nothing here ever touches the host's
 * network; the parent returns the child's verdict.
 *
 * test_under_filters runs the TAP calls under the seccomp filters of the
 * threads that make them in the VMM, so a request missing from an
 * allowlist fails here and not in a guest boot.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include "devices/virtio/net_tap.h"
#include "vmm/config.h"
#include "vmm/sandbox.h"
#include "tests/unit/test_virtio_net_fx.h"

#define HOST_IP "10.77.0.1"
#define GUEST_IP "10.77.0.2"
#define HOST_MAC                                   \
	{                                          \
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01 \
	}
#define GUEST_MAC                                  \
	{                                          \
		0x02, 0x00, 0x00, 0x00, 0x00, 0x02 \
	}

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static int if_ioctl(const char *name, unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret;

	assert_true(s >= 0);
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, IFNAMSIZ, "%s", name);
	ret = ioctl(s, req, ifr);
	close(s);
	return ret;
}

static bool if_exists(const char *name)
{
	return if_nametoindex(name) != 0;
}

static void test_create_configured(void **state)
{
	static const uint8_t hmac[6] = HOST_MAC;
	struct net_tap_cfg cfg = {
		.name = "nbt0",
		.nr_queues = 1,
		.ip = ip4(HOST_IP),
		.mask = ip4("255.255.255.0"),
		.has_ip = 1,
		.has_mask = 1,
		.host_mac = HOST_MAC,
		.has_host_mac = 1,
		.mtu = 1400,
	};
	struct net_tap *t;
	struct ifreq ifr;
	char err[256];
	int sndbuf;

	assert_int_equal(net_tap_open(&cfg, &t, err, sizeof(err)), 0);
	assert_string_equal(net_tap_name(t), "nbt0");
	assert_int_equal(net_tap_nr_queues(t), 1);
	assert_true(net_tap_fd(t, 0) >= 0);
	assert_int_equal(net_tap_fd(t, 1), -1);
	assert_int_equal(if_ioctl("nbt0", SIOCGIFADDR, &ifr), 0);
	assert_int_equal(((struct sockaddr_in *)&ifr.ifr_addr)->sin_addr.s_addr,
			 ip4(HOST_IP));
	assert_int_equal(if_ioctl("nbt0", SIOCGIFNETMASK, &ifr), 0);
	assert_int_equal(
		((struct sockaddr_in *)&ifr.ifr_netmask)->sin_addr.s_addr,
		ip4("255.255.255.0"));
	assert_int_equal(if_ioctl("nbt0", SIOCGIFMTU, &ifr), 0);
	assert_int_equal(ifr.ifr_mtu, 1400);
	assert_int_equal(if_ioctl("nbt0", SIOCGIFHWADDR, &ifr), 0);
	assert_memory_equal(ifr.ifr_hwaddr.sa_data, hmac, 6);
	assert_int_equal(if_ioctl("nbt0", SIOCGIFFLAGS, &ifr), 0);
	assert_true(ifr.ifr_flags & IFF_UP);
	/* Frames in flight are not limited by the socket's send buffer. */
	sndbuf = 0;
	assert_int_equal(ioctl(net_tap_fd(t, 0), TUNGETSNDBUF, &sndbuf), 0);
	assert_int_equal(sndbuf, INT_MAX);
	/* The fd is non-blocking and close-on-exec. */
	assert_true(fcntl(net_tap_fd(t, 0), F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(net_tap_fd(t, 0), F_GETFD) & FD_CLOEXEC);
	/* Single queue: no attach/detach. */
	assert_int_equal(net_tap_set_queue(t, 0, 0), -EINVAL);
	net_tap_close(t);
	/* Nimbus created it: it goes with the last fd. */
	assert_false(if_exists("nbt0"));
}

static void test_default_name_and_offloads(void **state)
{
	struct net_tap_cfg cfg = { 0 };
	struct net_tap *t, *t2;
	char err[256];

	assert_int_equal(net_tap_open(&cfg, &t, err, sizeof(err)), 0);
	assert_int_equal(strncmp(net_tap_name(t), "vmtap", 5), 0);
	assert_true(if_exists(net_tap_name(t)));
	assert_int_equal(net_tap_open(&cfg, &t2, err, sizeof(err)), 0);
	assert_string_not_equal(net_tap_name(t), net_tap_name(t2));
	assert_int_equal(net_tap_set_offload(t, TUN_F_CSUM | TUN_F_TSO4 |
							TUN_F_TSO6 |
							TUN_F_TSO_ECN),
			 0);
	assert_int_equal(net_tap_set_offload(t, 0), 0);
	/* A bit the kernel does not know is refused. */
	assert_int_equal(net_tap_set_offload(t, 0x8000), -EINVAL);
	net_tap_close(t);
	net_tap_close(t2);
}

static void test_multi_queue(void **state)
{
	struct net_tap_cfg cfg = { .name = "nbt1", .nr_queues = 4 };
	struct net_tap *t;
	char err[256];

	assert_int_equal(net_tap_open(&cfg, &t, err, sizeof(err)), 0);
	assert_int_equal(net_tap_nr_queues(t), 4);
	assert_int_equal(net_tap_set_queue(t, 3, 0), 0);
	assert_int_equal(net_tap_set_queue(t, 3, 1), 0);
	/* Twice the same way: the kernel says no, no harm done. */
	assert_int_equal(net_tap_set_queue(t, 2, 1), -EINVAL);
	assert_int_equal(net_tap_set_queue(t, 4, 0), -EINVAL);
	net_tap_close(t);

	cfg.nr_queues = NET_TAP_MAX_QUEUES + 1;
	assert_int_equal(net_tap_open(&cfg, &t, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "one fd per queue"));
}

static int open_tap_fd(const char *name, short flags)
{
	struct ifreq ifr = { 0 };
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	assert_true(fd >= 0);
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	ifr.ifr_flags = flags;
	assert_int_equal(ioctl(fd, TUNSETIFF, &ifr), 0);
	return fd;
}

static void test_given_fds(void **state)
{
	int fd = open_tap_fd("nbt2", IFF_TAP | IFF_NO_PI | IFF_VNET_HDR);
	int bad = open_tap_fd("nbt3", IFF_TAP | IFF_NO_PI);
	int notap = open("/dev/null", O_RDWR | O_CLOEXEC);
	struct net_tap_cfg cfg = { .fds = &fd, .nr_fds = 1 };
	struct net_tap *t;
	struct ifreq ifr;
	char err[256];

	assert_int_equal(net_tap_open(&cfg, &t, err, sizeof(err)), 0);
	assert_string_equal(net_tap_name(t), "nbt2");
	/* A duplicate: the caller's fd stays its own. */
	assert_int_not_equal(net_tap_fd(t, 0), fd);
	assert_true(fcntl(net_tap_fd(t, 0), F_GETFL) & O_NONBLOCK);
	/* Given fds are not brought up unless ip= is given. */
	assert_int_equal(if_ioctl("nbt2", SIOCGIFFLAGS, &ifr), 0);
	assert_false(ifr.ifr_flags & IFF_UP);
	net_tap_close(t);
	assert_true(fcntl(fd, F_GETFD) >= 0);
	assert_true(if_exists("nbt2"));

	cfg.fds = &bad;
	assert_int_equal(net_tap_open(&cfg, &t, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "IFF_VNET_HDR"));
	cfg.fds = &notap;
	assert_int_equal(net_tap_open(&cfg, &t, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a TAP"));
	cfg.nr_queues = 2; /* one fd for two queues */
	cfg.fds = &fd;
	assert_int_equal(net_tap_open(&cfg, &t, err, sizeof(err)), -EINVAL);
	close(fd);
	close(bad);
	close(notap);
}

/* ---- virtio-net on the TAP ------------------------------------------------ */

static int tap_offload(void *opaque, unsigned int flags)
{
	return net_tap_set_offload(opaque, flags);
}

static int tap_queue(void *opaque, uint16_t pair, int attach)
{
	return net_tap_set_queue(opaque, pair, attach);
}

static const struct vnet_backend_ops tap_bops = {
	.set_offload = tap_offload,
	.set_queue = tap_queue,
};

static struct fx *tap_fx(struct net_tap **tp)
{
	struct net_tap_cfg tcfg = {
		.name = "nbt9",
		.ip = ip4(HOST_IP),
		.mask = ip4("255.255.255.0"),
		.has_ip = 1,
		.has_mask = 1,
		.host_mac = HOST_MAC,
		.has_host_mac = 1,
	};
	struct vnet_cfg cfg = { .mac = GUEST_MAC,
				.offload_csum = 1,
				.offload_tso = 1,
				.queue_size = 64,
				.nr_pairs = 1,
				.bops = &tap_bops };
	struct fx *f = calloc(1, sizeof(*f));
	char err[256];
	int fd;

	assert_non_null(f);
	assert_int_equal(net_tap_open(&tcfg, tp, err, sizeof(err)), 0);
	fd = net_tap_fd(*tp, 0);
	vdrv_ram_init(&f->ram, FX_RAM_GPA, FX_RAM_SIZE);
	f->next_buf = FX_BUF_BASE;
	f->qsize = 64;
	f->nq = 3;
	cfg.fds = &fd;
	cfg.bopaque = *tp;
	assert_int_equal(vnet_create(&cfg, &f->n, err, sizeof(err)), 0);
	f->ops = vnet_ops();
	return f;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static void test_vnet_arp_and_udp_over_tap(void **state)
{
	static const uint8_t gmac[6] = GUEST_MAC, hmac[6] = HOST_MAC;
	struct net_tap *t;
	struct fx *f = tap_fx(&t);
	uint8_t *p, got[2048];
	struct vdrv_seg s;
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(4242) };
	uint16_t heads[8], head, u16;
	uint32_t len, sum, a;
	uint64_t buf;
	int us, i;

	fx_start(f, BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_NET_F_MAC) |
			    BIT(VIRTIO_NET_F_CSUM) |
			    BIT(VIRTIO_NET_F_GUEST_CSUM) |
			    BIT(VIRTIO_NET_F_MRG_RXBUF));
	buf = fx_post_rx(f, 0, 8, 2048, heads);
	fx_kick(f, 0);

	/* ARP request from the guest: who has HOST_IP? */
	s = (struct vdrv_seg){ fx_buf(f, 12 + 42), 12 + 42, 0 };
	p = fx_ptr(f, s.gpa, 12 + 42);
	fx_hdr(p, 0, 0);
	p += 12;
	memset(p, 0xff, 6);
	memcpy(p + 6, gmac, 6);
	p[12] = 0x08, p[13] = 0x06; /* ARP */
	p[14] = 0, p[15] = 1, p[16] = 8, p[17] = 0, p[18] = 6, p[19] = 4;
	p[20] = 0, p[21] = 1; /* request */
	memcpy(p + 22, gmac, 6);
	a = ip4(GUEST_IP);
	memcpy(p + 28, &a, 4);
	memset(p + 32, 0, 6);
	a = ip4(HOST_IP);
	memcpy(p + 38, &a, 4);
	head = vdrv_vq_post(&f->dq[1], &s, 1, true);
	fx_kick(f, 1);
	assert_int_equal(vdrv_vq_take_used(&f->dq[1], head), 0);

	/* The host kernel answers: an ARP reply to the guest's MAC (IPv6
	 * chatter may come first; look at up to eight frames). */
	for (i = 0; i < 8; i++) {
		assert_true(VDRV_WAIT_FOR(vdrv_vq_used_idx(&f->dq[0]) > i));
		len = vdrv_vq_take_used(&f->dq[0], heads[i]);
		p = fx_ptr(f, buf + 2048ull * i, len);
		if (len >= 12 + 42 && p[24] == 0x08 && p[25] == 0x06)
			break;
		assert_true(i < 7);
	}
	assert_int_equal(vdrv_ld16(&f->ram, buf + 2048ull * i + 10), 1);
	assert_memory_equal(p + 12, gmac, 6);
	assert_memory_equal(p + 18, hmac, 6);
	assert_int_equal(p[12 + 21], 2); /* reply */

	/* UDP to the host with the checksum left to the host (NEEDS_CSUM). */
	us = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(us >= 0);
	sin.sin_addr.s_addr = ip4(HOST_IP);
	assert_int_equal(bind(us, (struct sockaddr *)&sin, sizeof(sin)), 0);
	s = (struct vdrv_seg){ fx_buf(f, 12 + 14 + 20 + 8 + 5),
			       12 + 14 + 20 + 8 + 5, 0 };
	p = fx_ptr(f, s.gpa, s.len);
	fx_hdr(p, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0);
	p[6] = 34; /* csum_start: the UDP header */
	p[8] = 6; /* csum_offset: its checksum field */
	p += 12;
	memcpy(p, hmac, 6);
	memcpy(p + 6, gmac, 6);
	p[12] = 0x08, p[13] = 0x00;
	p += 14;
	memset(p, 0, 28);
	p[0] = 0x45, p[3] = 20 + 8 + 5, p[8] = 64, p[9] = 17;
	a = ip4(GUEST_IP);
	memcpy(p + 12, &a, 4);
	a = ip4(HOST_IP);
	memcpy(p + 16, &a, 4);
	u16 = htons((uint16_t)~csum_fold(csum_add(0, p, 20)));
	memcpy(p + 10, &u16, 2);
	p[20] = 0x30, p[21] = 0x39; /* sport 12345 */
	p[22] = 4242 >> 8, p[23] = 4242 & 0xff;
	p[25] = 8 + 5;
	memcpy(p + 28, "hello", 5);
	/* Partial checksum: the pseudo header only. */
	sum = csum_add(0, p + 12, 8) + 17 + 8 + 5;
	u16 = htons(csum_fold(sum));
	memcpy(p + 26, &u16, 2);
	head = vdrv_vq_post(&f->dq[1], &s, 1, true);
	fx_kick(f, 1);
	assert_int_equal(vdrv_vq_take_used(&f->dq[1], head), 0);
	{
		struct pollfd pfd = { .fd = us, .events = POLLIN };

		assert_int_equal(poll(&pfd, 1, 2000), 1);
		assert_int_equal(recv(us, got, sizeof(got), 0), 5);
		assert_memory_equal(got, "hello", 5);
	}
	close(us);
	assert_int_equal(FX_CTR(f, tx_frames), 2);

	f->nr_pairs = 0; /* the fds are the tap's */
	fx_free(f);
	net_tap_close(t);
}

/*
 * In a child: build the filters, open (or not) a TAP unfiltered, install
 * `kind`'s filter, then make the calls that thread kind makes in the VMM.
 * A call the filter forbids ends the child through the SIGSYS handler
 * (status SANDBOX_EXIT_STATUS, one log line naming the syscall).
 */
static int tap_child(enum sandbox_thread kind)
{
	struct net_tap_cfg cfg = {
		.name = "nbt9",
		.nr_queues = 2,
		.ip = ip4(HOST_IP),
		.mask = ip4("255.255.255.0"),
		.has_ip = 1,
		.has_mask = 1,
		.host_mac = HOST_MAC,
		.has_host_mac = 1,
		.mtu = 1400,
	};
	struct sandbox_ctx ctx = {
		.mode = SECCOMP_ON,
		.log_fd = 2,
		.kick_signo = SIGUSR1,
	};
	struct net_tap *t = NULL;
	struct sandbox *sb;
	char err[256];

	if (sandbox_new(&ctx, &sb))
		return 10;
	if (kind != SANDBOX_MAIN && net_tap_open(&cfg, &t, err, sizeof(err)))
		return 11;
	if (sandbox_install(sb, kind))
		return 12;
	switch (kind) {
	case SANDBOX_MAIN: /* device creation, and a reboot's */
		if (net_tap_open(&cfg, &t, err, sizeof(err))) {
			fprintf(stderr, "%s\n", err);
			return 13;
		}
		break;
	case SANDBOX_VCPU: /* activation: the guest's offloads */
		if (net_tap_set_offload(t, TUN_F_CSUM | TUN_F_TSO4))
			return 14;
		break;
	case SANDBOX_VIRTIO_NET: /* control queue, receive threads */
		if (net_tap_set_offload(t, TUN_F_CSUM) ||
		    net_tap_set_queue(t, 1, 0) || net_tap_set_queue(t, 1, 1))
			return 15;
		break;
	default:
		return 16;
	}
	if (kind == SANDBOX_MAIN) /* the only thread that closes it */
		net_tap_close(t);
	return 0;
}

static void test_under_filters(void **state)
{
	static const enum sandbox_thread kinds[] = {
		SANDBOX_MAIN,
		SANDBOX_VCPU,
		SANDBOX_VIRTIO_NET,
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		int status;
		pid_t pid;

		fflush(NULL);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0)
			_exit(tap_child(kinds[i]));
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			fail_msg(
				"%s thread: TAP calls under its filter: status %#x",
				sandbox_thread_name(kinds[i]), status);
	}
}

static void test_skipped(void **state)
{
	skip();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_configured),
		cmocka_unit_test(test_default_name_and_offloads),
		cmocka_unit_test(test_multi_queue),
		cmocka_unit_test(test_given_fds),
		cmocka_unit_test(test_vnet_arp_and_udp_over_tap),
		cmocka_unit_test(test_under_filters),
	};
	const struct CMUnitTest skipped[] = {
		cmocka_unit_test(test_skipped),
	};
	int status;
	pid_t pid;

	if (geteuid() != 0 || access("/dev/net/tun", R_OK | W_OK))
		return cmocka_run_group_tests_name(
			"net_tap (needs root and /dev/net/tun)", skipped, NULL,
			NULL);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		if (unshare(CLONE_NEWNET)) {
			perror("unshare(CLONE_NEWNET)");
			_exit(1);
		}
		_exit(cmocka_run_group_tests_name("net_tap", tests, NULL,
						  NULL));
	}
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
