// SPDX-License-Identifier: Apache-2.0
/*
 * nettest - the small static helper of the network end-to-end tests, run
 * in the guest (Debian rootfs, /usr/local/bin) and in the emulated host
 * (L1, busybox): TCP bulk transfers with a SHA-256 of what went over the
 * wire, and vsock / UNIX-socket echo peers for Nimbus's hybrid vsock.
 *
 *   nettest gen SIZE SEED                  SIZE pseudo-random bytes
 *   nettest tcp-send IPV4 PORT SIZE SEED   connect (retrying), send them;
 *                                          prints "sent BYTES SHA256"
 *   nettest tcp-recv PORT                  one connection, read to EOF;
 *                                          prints "recv BYTES SHA256"
 *   nettest vsock-server PORT              AF_VSOCK echo server (forks)
 *   nettest vsock-wait PORT                accept one AF_VSOCK connection
 *                                          and exit 0
 *   nettest vsock-client CID PORT MSG      send MSG, print the reply
 *   nettest uds-server PATH                UNIX-socket echo server
 *   nettest uds-connect PATH PORT MSG N    N times: "CONNECT PORT\n",
 *                                          "OK <n>\n", MSG echoed back;
 *                                          prints "ok N" (exit 0)
 *   nettest rr-server PORT                 TCP 1-byte echo (one client)
 *   nettest rr-client IPV4 PORT N          N 1-byte request/responses;
 *                                          prints "rr N median_us MIN_US"
 *
 * Every mode gives up after $NETTEST_TIMEOUT seconds (default 300).
 * Built with gcc -static (mk/net.mk), so it runs on either side.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/vm_sockets.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (256u * 1024)

/* ---- SHA-256 (FIPS 180-4) ---- */

struct sha256 {
	uint32_t h[8];
	uint64_t len;
	uint8_t buf[64];
	unsigned int n;
};

static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, unsigned int n)
{
	return x >> n | x << (32 - n);
}

static void sha_block(struct sha256 *s, const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, h, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 16; i < 64; i++)
		w[i] = (ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^
			w[i - 2] >> 10) +
		       w[i - 7] +
		       (ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^
			w[i - 15] >> 3) +
		       w[i - 16];
	a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
	e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
	for (i = 0; i < 64; i++) {
		t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) +
		     ((e & f) ^ (~e & g)) + sha_k[i] + w[i];
		t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) +
		     ((a & b) ^ (a & c) ^ (b & c));
		h = g, g = f, f = e, e = d + t1;
		d = c, c = b, b = a, a = t1 + t2;
	}
	s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d;
	s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

static void sha_init(struct sha256 *s)
{
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372,
					0xa54ff53a, 0x510e527f, 0x9b05688c,
					0x1f83d9ab, 0x5be0cd19 };

	memset(s, 0, sizeof(*s));
	memcpy(s->h, iv, sizeof(iv));
}

static void sha_update(struct sha256 *s, const uint8_t *p, size_t len)
{
	s->len += len;
	while (len) {
		size_t n = 64 - s->n < len ? 64 - s->n : len;

		memcpy(s->buf + s->n, p, n);
		s->n += (unsigned int)n;
		p += n;
		len -= n;
		if (s->n == 64) {
			sha_block(s, s->buf);
			s->n = 0;
		}
	}
}

static void sha_hex(struct sha256 *s, char out[65])
{
	uint64_t bits = s->len * 8;
	uint8_t pad = 0x80, z = 0, l[8];
	int i;

	sha_update(s, &pad, 1);
	while (s->n != 56)
		sha_update(s, &z, 1);
	for (i = 0; i < 8; i++)
		l[i] = (uint8_t)(bits >> (56 - 8 * i));
	sha_update(s, l, 8);
	for (i = 0; i < 8; i++)
		sprintf(out + 8 * i, "%08x", s->h[i]);
}

/* ---- helpers ---- */

static void die(const char *what)
{
	fprintf(stderr, "nettest: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* xorshift64*: SIZE bytes from SEED, the same on every machine. */
static void gen_fill(uint64_t *state, uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i += 8) {
		uint64_t x = *state;

		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		*state = x;
		x *= 0x2545f4914f6cdd1dull;
		memcpy(p + i, &x, len - i < 8 ? len - i : 8);
	}
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static uint64_t parse_num(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (*end == 'M')
		v <<= 20;
	else if (*end == 'K')
		v <<= 10;
	return v;
}

/* ---- modes ---- */

static int do_gen(uint64_t size, uint64_t seed)
{
	static uint8_t buf[CHUNK];
	uint64_t st = seed * 0x9e3779b97f4a7c15ull + 1;

	while (size) {
		size_t n = size < CHUNK ? (size_t)size : CHUNK;

		gen_fill(&st, buf, n);
		if (write_all(1, buf, n))
			die("write");
		size -= n;
	}
	return 0;
}

static int tcp_connect_retry(const char *ip, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	int fd, tries;

	if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1) {
		fprintf(stderr, "nettest: bad address %s\n", ip);
		exit(2);
	}
	for (tries = 0;; tries++) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			die("socket");
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			return fd;
		close(fd);
		if (tries > 600)
			die("connect");
		usleep(100000);
	}
}

static int do_tcp_send(const char *ip, int port, uint64_t size, uint64_t seed)
{
	static uint8_t buf[CHUNK];
	uint64_t st = seed * 0x9e3779b97f4a7c15ull + 1, left = size;
	struct sha256 s;
	char hex[65];
	int fd = tcp_connect_retry(ip, port);

	sha_init(&s);
	while (left) {
		size_t n = left < CHUNK ? (size_t)left : CHUNK;

		gen_fill(&st, buf, n);
		sha_update(&s, buf, n);
		if (write_all(fd, buf, n))
			die("send");
		left -= n;
	}
	shutdown(fd, SHUT_WR);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
	sha_hex(&s, hex);
	printf("sent %llu %s\n", (unsigned long long)size, hex);
	return 0;
}

static int do_tcp_recv(int port)
{
	static uint8_t buf[CHUNK];
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	uint64_t total = 0;
	struct sha256 s;
	char hex[65];
	int lfd, fd, one = 1;
	ssize_t n;

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 1))
		die("listen");
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("accept");
	sha_init(&s);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("recv");
		sha_update(&s, buf, (size_t)n);
		total += (uint64_t)n;
	}
	close(fd);
	close(lfd);
	sha_hex(&s, hex);
	printf("recv %llu %s\n", (unsigned long long)total, hex);
	return 0;
}

/* Echo fd until EOF, then close. */
static void echo(int fd)
{
	uint8_t buf[4096];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write_all(fd, buf, (size_t)n))
			break;
	close(fd);
}

static int serve(int lfd)
{
	signal(SIGCHLD, SIG_IGN);
	alarm(0); /* servers run until killed */
	for (;;) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die("accept");
		}
		if (fork() == 0) {
			close(lfd);
			echo(fd);
			_exit(0);
		}
		close(fd);
	}
}

static int do_vsock_server(unsigned int port)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK,
				  .svm_cid = VMADDR_CID_ANY,
				  .svm_port = port };
	int lfd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (lfd < 0)
		die("vsock socket");
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 64))
		die("vsock listen");
	return serve(lfd);
}

static int do_vsock_wait(unsigned int port)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK,
				  .svm_cid = VMADDR_CID_ANY,
				  .svm_port = port };
	int lfd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0), fd;

	if (lfd < 0)
		die("vsock socket");
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 1))
		die("vsock listen");
	alarm(0);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("vsock accept");
	close(fd);
	return 0;
}

static int do_vsock_client(unsigned int cid, unsigned int port, const char *msg)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK,
				  .svm_cid = cid,
				  .svm_port = port };
	char buf[4096];
	size_t got = 0;
	ssize_t n;
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("vsock socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		die("vsock connect");
	if (write_all(fd, (const uint8_t *)msg, strlen(msg)))
		die("vsock send");
	shutdown(fd, SHUT_WR);
	while (got < sizeof(buf) - 1 &&
	       (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(fd);
	printf("%s\n", buf);
	return strcmp(buf, msg) ? 1 : 0;
}

static int do_uds_server(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (lfd < 0)
		die("socket");
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 64))
		die("listen");
	return serve(lfd);
}

/* One hybrid-vsock round trip through Nimbus's socket; 0 on success. */
static int uds_once(const char *path, unsigned int port, const char *msg)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char line[64], buf[4096];
	size_t got = 0, mlen = strlen(msg);
	ssize_t n;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), ret = 1;

	if (fd < 0)
		die("socket");
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		goto out;
	n = snprintf(line, sizeof(line), "CONNECT %u\n", port);
	if (write_all(fd, (const uint8_t *)line, (size_t)n))
		goto out;
	/* "OK <port>\n", one byte at a time: nothing after it is ours. */
	while (got < sizeof(line) - 1 && read(fd, line + got, 1) == 1)
		if (line[got++] == '\n')
			break;
	line[got] = '\0';
	if (strncmp(line, "OK ", 3) || line[got ? got - 1 : 0] != '\n')
		goto out;
	if (write_all(fd, (const uint8_t *)msg, mlen))
		goto out;
	shutdown(fd, SHUT_WR);
	got = 0;
	while (got < sizeof(buf) &&
	       (n = read(fd, buf + got, sizeof(buf) - got)) > 0)
		got += (size_t)n;
	ret = got == mlen && !memcmp(buf, msg, mlen) ? 0 : 1;
out:
	close(fd);
	return ret;
}

static int do_uds_connect(const char *path, unsigned int port, const char *msg,
			  unsigned int count)
{
	unsigned int i;

	for (i = 0; i < count; i++) {
		if (uds_once(path, port, msg)) {
			printf("fail %u\n", i);
			return 1;
		}
	}
	printf("ok %u\n", count);
	return 0;
}

static int do_rr_server(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	int lfd, fd, one = 1;
	uint8_t b;

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 1))
		die("listen");
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("accept");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	while (read(fd, &b, 1) == 1)
		if (write(fd, &b, 1) != 1)
			break;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int do_rr_client(const char *ip, int port, unsigned int n)
{
	uint64_t *t = calloc(n ? n : 1, sizeof(*t));
	int fd = tcp_connect_retry(ip, port), one = 1;
	unsigned int i;
	uint8_t b = 'x';

	if (!t || !n)
		return 2;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (i = 0; i < n; i++) {
		uint64_t t0 = now_ns();

		if (write(fd, &b, 1) != 1 || read(fd, &b, 1) != 1)
			die("rr");
		t[i] = now_ns() - t0;
	}
	close(fd);
	qsort(t, n, sizeof(*t), cmp_u64);
	printf("rr %u %llu %llu\n", n, (unsigned long long)(t[n / 2] / 1000),
	       (unsigned long long)(t[0] / 1000));
	free(t);
	return 0;
}

int main(int argc, char **argv)
{
	const char *t = getenv("NETTEST_TIMEOUT");

	alarm(t ? (unsigned int)atoi(t) : 300);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && !strcmp(argv[1], "gen"))
		return do_gen(parse_num(argv[2]), parse_num(argv[3]));
	if (argc == 6 && !strcmp(argv[1], "tcp-send"))
		return do_tcp_send(argv[2], atoi(argv[3]), parse_num(argv[4]),
				   parse_num(argv[5]));
	if (argc == 3 && !strcmp(argv[1], "tcp-recv"))
		return do_tcp_recv(atoi(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "vsock-server"))
		return do_vsock_server((unsigned int)atoi(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "vsock-wait"))
		return do_vsock_wait((unsigned int)atoi(argv[2]));
	if (argc == 5 && !strcmp(argv[1], "vsock-client"))
		return do_vsock_client((unsigned int)atoi(argv[2]),
				       (unsigned int)atoi(argv[3]), argv[4]);
	if (argc == 3 && !strcmp(argv[1], "uds-server"))
		return do_uds_server(argv[2]);
	if (argc == 6 && !strcmp(argv[1], "uds-connect"))
		return do_uds_connect(argv[2], (unsigned int)atoi(argv[3]),
				      argv[4], (unsigned int)atoi(argv[5]));
	if (argc == 3 && !strcmp(argv[1], "rr-server"))
		return do_rr_server(atoi(argv[2]));
	if (argc == 5 && !strcmp(argv[1], "rr-client"))
		return do_rr_client(argv[2], atoi(argv[3]),
				    (unsigned int)atoi(argv[4]));
	fprintf(stderr,
		"usage: nettest gen SIZE SEED | tcp-send IP PORT SIZE SEED |\n"
		"       tcp-recv PORT | vsock-server PORT | vsock-wait PORT |\n"
		"       vsock-client CID PORT MSG | uds-server PATH |\n"
		"       uds-connect PATH PORT MSG COUNT | rr-server PORT |\n"
		"       rr-client IP PORT COUNT\n");
	return 2;
}
