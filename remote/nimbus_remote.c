// SPDX-License-Identifier: Apache-2.0
/*
 * nimbus_remote.c - nimbus-remote, the command-line client of the REST
 * API (Cloud Hypervisor's ch-remote):
 *
 *   nimbus-remote --api-socket PATH <subcommand> [args]
 *
 * One subcommand per endpoint.  Request bodies are built from the same
 * key=value strings as the nimbus command line (`add-disk path=/x,
 * readonly=on`), `create` sends a VmConfig file ("-" for stdin).  The
 * answer's JSON body (info, counters, ping) goes to stdout; on an HTTP
 * error the server's message goes to stderr and the exit status is 1
 * (2 for a usage error).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmm/kvparse.h"

#define BODY_MAX (256 * 1024)
#define TIMEOUT_S 120

enum ftype { T_STR, T_BOOL, T_INT, T_SIZE };

struct fdef {
	const char *key;
	int type;
};

struct cmd {
	const char *name;
	const char *endpoint;
	const char *method;
	int args; /* 0: none, 1: key=value list, 2: file, 3: one value */
	const struct fdef *fields; /* args 1: the keys; args 3: fields[0] */
	const char *help;
};

static const struct fdef disk_fields[] = {
	{ "path", T_STR },	  { "readonly", T_BOOL },
	{ "direct", T_BOOL },	  { "num_queues", T_INT },
	{ "queue_size", T_INT },  { "id", T_STR },
	{ "serial", T_STR },	  { "iommu", T_BOOL },
	{ "pci_segment", T_INT }, { NULL, 0 },
};
static const struct fdef net_fields[] = {
	{ "tap", T_STR },
	{ "ip", T_STR },
	{ "mask", T_STR },
	{ "mac", T_STR },
	{ "host_mac", T_STR },
	{ "mtu", T_INT },
	{ "num_queues", T_INT },
	{ "queue_size", T_INT },
	{ "id", T_STR },
	{ "offload_tso", T_BOOL },
	{ "offload_ufo", T_BOOL },
	{ "offload_csum", T_BOOL },
	{ "iommu", T_BOOL },
	{ "pci_segment", T_INT },
	{ NULL, 0 },
};
static const struct fdef pmem_fields[] = {
	{ "file", T_STR },   { "size", T_SIZE },
	{ "iommu", T_BOOL }, { "discard_writes", T_BOOL },
	{ "id", T_STR },     { NULL, 0 },
};
static const struct fdef vsock_fields[] = {
	{ "cid", T_INT }, { "socket", T_STR }, { "iommu", T_BOOL },
	{ "id", T_STR },  { NULL, 0 },
};
static const struct fdef fs_fields[] = {
	{ "tag", T_STR },	 { "socket", T_STR }, { "num_queues", T_INT },
	{ "queue_size", T_INT }, { "id", T_STR },     { NULL, 0 },
};
static const struct fdef device_fields[] = {
	{ "path", T_STR },
	{ "iommu", T_BOOL },
	{ "id", T_STR },
	{ NULL, 0 },
};
static const struct fdef user_device_fields[] = {
	{ "socket", T_STR },
	{ "id", T_STR },
	{ NULL, 0 },
};
static const struct fdef resize_fields[] = {
	{ "desired_vcpus", T_INT },
	{ "desired_ram", T_SIZE },
	{ "desired_balloon", T_SIZE },
	{ NULL, 0 },
};
static const struct fdef resize_zone_fields[] = {
	{ "id", T_STR },
	{ "desired_ram", T_SIZE },
	{ NULL, 0 },
};
static const struct fdef restore_fields[] = {
	{ "source_url", T_STR },
	{ "prefault", T_BOOL },
	{ NULL, 0 },
};
static const struct fdef id_field[] = { { "id", T_STR }, { NULL, 0 } };
static const struct fdef dest_field[] = { { "destination_url", T_STR },
					  { NULL, 0 } };
static const struct fdef recv_field[] = { { "receiver_url", T_STR },
					  { NULL, 0 } };

static const struct cmd cmds[] = {
	{ "ping", "vmm.ping", "GET", 0, NULL, "the VMM's version and pid" },
	{ "shutdown-vmm", "vmm.shutdown", "PUT", 0, NULL, "end the VMM" },
	{ "create", "vm.create", "PUT", 2, NULL,
	  "create the VM from a VmConfig JSON file (- for stdin)" },
	{ "boot", "vm.boot", "PUT", 0, NULL, "boot the created VM" },
	{ "delete", "vm.delete", "PUT", 0, NULL, "delete the VM" },
	{ "shutdown", "vm.shutdown", "PUT", 0, NULL, "shut the VM down" },
	{ "reboot", "vm.reboot", "PUT", 0, NULL, "reboot the VM" },
	{ "power-button", "vm.power-button", "PUT", 0, NULL,
	  "press the power button" },
	{ "pause", "vm.pause", "PUT", 0, NULL, "pause the VM" },
	{ "resume", "vm.resume", "PUT", 0, NULL, "resume the VM" },
	{ "info", "vm.info", "GET", 0, NULL, "the VM's config and state" },
	{ "counters", "vm.counters", "GET", 0, NULL, "device counters" },
	{ "nmi", "vm.nmi", "PUT", 0, NULL, "inject an NMI" },
	{ "resize", "vm.resize", "PUT", 1, resize_fields,
	  "desired_vcpus=N,desired_ram=SIZE,desired_balloon=SIZE" },
	{ "resize-zone", "vm.resize-zone", "PUT", 1, resize_zone_fields,
	  "id=ID,desired_ram=SIZE" },
	{ "add-disk", "vm.add-disk", "PUT", 1, disk_fields,
	  "--disk syntax: path=...,readonly=on,..." },
	{ "add-net", "vm.add-net", "PUT", 1, net_fields, "--net syntax" },
	{ "add-pmem", "vm.add-pmem", "PUT", 1, pmem_fields, "--pmem syntax" },
	{ "add-vsock", "vm.add-vsock", "PUT", 1, vsock_fields,
	  "--vsock syntax" },
	{ "add-fs", "vm.add-fs", "PUT", 1, fs_fields, "--fs syntax" },
	{ "add-device", "vm.add-device", "PUT", 1, device_fields,
	  "--device syntax" },
	{ "add-user-device", "vm.add-user-device", "PUT", 1, user_device_fields,
	  "--user-device syntax" },
	{ "remove-device", "vm.remove-device", "PUT", 3, id_field, "ID" },
	{ "snapshot", "vm.snapshot", "PUT", 3, dest_field, "DESTINATION_URL" },
	{ "coredump", "vm.coredump", "PUT", 3, dest_field, "DESTINATION_URL" },
	{ "restore", "vm.restore", "PUT", 1, restore_fields,
	  "source_url=URL[,prefault=on]" },
	{ "send-migration", "vm.send-migration", "PUT", 3, dest_field,
	  "DESTINATION_URL" },
	{ "receive-migration", "vm.receive-migration", "PUT", 3, recv_field,
	  "RECEIVER_URL" },
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"Usage: nimbus-remote --api-socket PATH <subcommand> [args]\n"
		"Subcommands:\n");
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "  %-18s %s\n", cmds[i].name, cmds[i].help);
}

/* A growable string. */
struct sbuf {
	char *p;
	size_t len, cap;
	int oom;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *np = realloc(b->p, cap);

		if (!np) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

/* s as a JSON string. */
static void sb_json_str(struct sbuf *b, const char *s)
{
	char esc[8];

	sb_add(b, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			sb_add(b, esc, 2);
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			sb_add(b, esc, 6);
		} else {
			sb_add(b, s, 1);
		}
	}
	sb_add(b, "\"", 1);
}

static int json_value(struct sbuf *b, const struct fdef *f, const char *v,
		      const char *cmd)
{
	char num[32];
	uint64_t n;
	int on;

	switch (f->type) {
	case T_BOOL:
		if (parse_bool(v, &on)) {
			fprintf(stderr,
				"nimbus-remote: %s: %s=%s is not on or off\n",
				cmd, f->key, v);
			return -EINVAL;
		}
		sb_str(b, on ? "true" : "false");
		return 0;
	case T_INT:
	case T_SIZE:
		if ((f->type == T_SIZE ?
			     parse_size(v, &n) :
			     parse_size(v, &n) || strpbrk(v, "KMGT"))) {
			fprintf(stderr,
				"nimbus-remote: %s: %s=%s is not a %s\n", cmd,
				f->key, v,
				f->type == T_SIZE ? "size" : "number");
			return -EINVAL;
		}
		snprintf(num, sizeof(num), "%llu", (unsigned long long)n);
		sb_str(b, num);
		return 0;
	default:
		sb_json_str(b, v);
		return 0;
	}
}

/* key=value,... -> {"key": value, ...} typed by the command's table. */
static int kv_body(const struct cmd *c, const char *arg, struct sbuf *b)
{
	struct kv *kv = NULL;
	char err[160];
	size_t n = 0, i, k;
	int ret;

	ret = kv_parse(arg, &kv, &n, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "nimbus-remote: %s: %s\n", c->name, err);
		return ret;
	}
	sb_str(b, "{");
	for (i = 0; i < n && !ret; i++) {
		for (k = 0; c->fields[k].key; k++)
			if (!strcmp(kv[i].key, c->fields[k].key))
				break;
		if (!c->fields[k].key) {
			fprintf(stderr, "nimbus-remote: %s: unknown key '%s'\n",
				c->name, kv[i].key);
			ret = -EINVAL;
			break;
		}
		if (i)
			sb_str(b, ",");
		sb_json_str(b, kv[i].key);
		sb_str(b, ":");
		ret = json_value(b, &c->fields[k], kv[i].val, c->name);
	}
	sb_str(b, "}");
	kv_free(kv, n);
	return ret;
}

static int file_body(const char *path, struct sbuf *b)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char buf[4096];
	size_t n;

	if (!f) {
		fprintf(stderr, "nimbus-remote: %s: %s\n", path,
			strerror(errno));
		return -errno;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		sb_add(b, buf, n);
		if (b->len > BODY_MAX) {
			fprintf(stderr,
				"nimbus-remote: %s: larger than %d bytes\n",
				path, BODY_MAX);
			if (f != stdin)
				fclose(f);
			return -E2BIG;
		}
	}
	if (f != stdin)
		fclose(f);
	return 0;
}

/* Send the request; read the whole answer (the server closes). */
static int exchange(const char *sock, const struct cmd *c,
		    const struct sbuf *body, struct sbuf *resp)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = TIMEOUT_S };
	struct sbuf req = { 0 };
	char head[512], buf[8192];
	size_t off = 0;
	ssize_t n;
	int fd, ret = 0;

	if (strlen(sock) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "nimbus-remote: %s: path too long\n", sock);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "nimbus-remote: cannot connect to %s: %s\n",
			sock, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	snprintf(head, sizeof(head),
		 "%s /api/v1/%s HTTP/1.1\r\nHost: localhost\r\n"
		 "Accept: application/json\r\n"
		 "Content-Type: application/json\r\n"
		 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		 c->method, c->endpoint, body->len);
	sb_str(&req, head);
	if (body->len)
		sb_add(&req, body->p, body->len);
	while (!req.oom && off < req.len) {
		n = send(fd, req.p + off, req.len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "nimbus-remote: send: %s\n",
				strerror(errno));
			ret = -EIO;
			goto out;
		}
		off += (size_t)n;
	}
	while ((n = recv(fd, buf, sizeof(buf), 0)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "nimbus-remote: no answer: %s\n",
				strerror(errno));
			ret = -EIO;
			goto out;
		}
		sb_add(resp, buf, (size_t)n);
	}
	if (req.oom || resp->oom) {
		fprintf(stderr, "nimbus-remote: out of memory\n");
		ret = -ENOMEM;
	}
out:
	free(req.p);
	close(fd);
	return ret;
}

/* Print the "error" string of a JSON error body (unescaped enough). */
static void print_error(const char *body, int status)
{
	const char *p = strstr(body, "\"error\":\"");

	fprintf(stderr, "nimbus-remote: ");
	if (!p) {
		fprintf(stderr, "HTTP %d %s\n", status, body);
		return;
	}
	for (p += 9; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			fputc(*p == 'n' ? '\n' : *p, stderr);
		} else {
			fputc(*p, stderr);
		}
	}
	fputc('\n', stderr);
}

int main(int argc, char **argv)
{
	struct sbuf body = { 0 }, resp = { 0 };
	const char *sock = NULL, *sub, *p;
	const struct cmd *c = NULL;
	int i = 1, status, ret;
	size_t k;

	if (argc > 1 &&
	    (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (i < argc && !strncmp(argv[i], "--api-socket=", 13)) {
		sock = argv[i] + 13;
		i++;
	} else if (i + 1 < argc && !strcmp(argv[i], "--api-socket")) {
		sock = argv[i + 1];
		i += 2;
	}
	if (!sock || i >= argc) {
		usage(stderr);
		return 2;
	}
	sub = argv[i++];
	for (k = 0; k < NCMDS; k++)
		if (!strcmp(sub, cmds[k].name))
			c = &cmds[k];
	if (!c) {
		fprintf(stderr, "nimbus-remote: unknown subcommand '%s'\n",
			sub);
		usage(stderr);
		return 2;
	}
	if ((c->args == 0 && i != argc) || (c->args == 2 && i + 1 != argc) ||
	    (c->args == 3 && i + 1 != argc) || (c->args == 1 && i + 1 < argc)) {
		fprintf(stderr, "nimbus-remote: %s: usage: %s %s\n", c->name,
			c->name, c->args ? c->help : "(no arguments)");
		return 2;
	}
	ret = 0;
	if (c->args == 1) {
		ret = kv_body(c, i < argc ? argv[i] : "", &body);
	} else if (c->args == 2) {
		ret = file_body(argv[i], &body);
	} else if (c->args == 3) {
		sb_str(&body, "{");
		sb_json_str(&body, c->fields[0].key);
		sb_str(&body, ":");
		sb_json_str(&body, argv[i]);
		sb_str(&body, "}");
	}
	if (ret || body.oom) {
		free(body.p);
		return 2;
	}
	ret = exchange(sock, c, &body, &resp);
	free(body.p);
	if (ret || !resp.p || sscanf(resp.p, "HTTP/1.%*d %d", &status) != 1) {
		if (!ret)
			fprintf(stderr, "nimbus-remote: malformed answer\n");
		free(resp.p);
		return 1;
	}
	p = strstr(resp.p, "\r\n\r\n");
	p = p ? p + 4 : "";
	if (status < 200 || status >= 300) {
		print_error(p, status);
		free(resp.p);
		return 1;
	}
	if (*p)
		printf("%s\n", p);
	free(resp.p);
	return 0;
}
