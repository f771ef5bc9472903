// SPDX-License-Identifier: Apache-2.0
/*
 * evmon.c - the event monitor stream (see evmon.h).  JSON is written by
 * hand: the values are short strings and jansson stays in the API files.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_MOD "evmon"
#include "vmm/evmon.h"
#include "vmm/log.h"

#define EVMON_MAX_PROPS 8 /* property pairs kept per event */

struct evmon {
	int fd;
	pthread_mutex_t lock;
	uint64_t dropped;
	struct log_rl rl;
};

/* Append s to out[*n..cap) as a JSON string; false if it does not fit. */
static bool put_str(char *out, size_t cap, size_t *n, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	if (*n + 1 >= cap)
		return false;
	out[(*n)++] = '"';
	for (; *p; p++) {
		char esc = 0;

		if (*p == '"' || *p == '\\')
			esc = (char)*p;
		else if (*p == '\n')
			esc = 'n';
		else if (*p == '\t')
			esc = 't';
		else if (*p == '\r')
			esc = 'r';
		if (esc) {
			if (*n + 2 >= cap)
				return false;
			out[(*n)++] = '\\';
			out[(*n)++] = esc;
		} else if (*p < 0x20 || *p == 0x7f) {
			if (*n + 6 >= cap)
				return false;
			memcpy(out + *n, "\\u00", 4);
			out[*n + 4] = hex[*p >> 4];
			out[*n + 5] = hex[*p & 15];
			*n += 6;
		} else {
			/* Bytes >= 0x80 pass through: UTF-8 stays UTF-8. */
			if (*n + 1 >= cap)
				return false;
			out[(*n)++] = (char)*p;
		}
	}
	if (*n + 1 >= cap)
		return false;
	out[(*n)++] = '"';
	return true;
}

static bool put_raw(char *out, size_t cap, size_t *n, const char *s)
{
	size_t l = strlen(s);

	if (*n + l >= cap)
		return false;
	memcpy(out + *n, s, l);
	*n += l;
	return true;
}

int evmon_format(char *out, size_t cap, uint64_t ns, const char *source,
		 const char *event, const char *const *kv, size_t nkv)
{
	char ts[80];
	size_t n = 0, i;
	bool ok;

	snprintf(ts, sizeof(ts), "{\"timestamp\":{\"secs\":%llu,\"nanos\":%u},",
		 (unsigned long long)(ns / 1000000000ull),
		 (unsigned int)(ns % 1000000000ull));
	ok = put_raw(out, cap, &n, ts) &&
	     put_raw(out, cap, &n, "\"source\":") &&
	     put_str(out, cap, &n, source) &&
	     put_raw(out, cap, &n, ",\"event\":") &&
	     put_str(out, cap, &n, event) &&
	     put_raw(out, cap, &n, ",\"properties\":");
	if (ok && nkv < 2) {
		ok = put_raw(out, cap, &n, "null");
	} else {
		ok = ok && put_raw(out, cap, &n, "{");
		for (i = 0; ok && i + 1 < nkv; i += 2)
			ok = (!i || put_raw(out, cap, &n, ",")) &&
			     put_str(out, cap, &n, kv[i]) &&
			     put_raw(out, cap, &n, ":") &&
			     put_str(out, cap, &n, kv[i + 1]);
		ok = ok && put_raw(out, cap, &n, "}");
	}
	ok = ok && put_raw(out, cap, &n, "}\n");
	if (!ok)
		return -ENOSPC;
	out[n] = '\0';
	return (int)n;
}

int evmon_open(const struct endpoint_config *ep, struct evmon **out, char *err,
	       size_t errlen)
{
	struct evmon *m;
	struct stat st;
	int fd, fl;

	*out = NULL;
	if (!ep->path && ep->fd < 0)
		return 0;
	if (ep->path) {
		fd = open(ep->path,
			  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NONBLOCK,
			  0640);
		if (fd < 0 && errno == ENXIO) /* a FIFO nobody reads yet */
			fd = open(ep->path, O_WRONLY | O_CLOEXEC);
		if (fd < 0) {
			snprintf(err, errlen, "--event-monitor %s: %s",
				 ep->path, strerror(errno));
			return -errno;
		}
	} else {
		fd = ep->fd;
		if (fcntl(fd, F_GETFD) < 0) {
			snprintf(err, errlen, "--event-monitor fd=%d: %s", fd,
				 strerror(errno));
			return -EBADF;
		}
	}
	/* Pipes and sockets must never block an emitter; files cannot. */
	if (!fstat(fd, &st) && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))) {
		fl = fcntl(fd, F_GETFL);
		if (fl >= 0)
			fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	} else if (!fstat(fd, &st) && S_ISREG(st.st_mode)) {
		fl = fcntl(fd, F_GETFL);
		if (fl >= 0)
			fcntl(fd, F_SETFL, (fl | O_APPEND) & ~O_NONBLOCK);
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		if (ep->path)
			close(fd);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	m->fd = fd;
	pthread_mutex_init(&m->lock, NULL);
	*out = m;
	return 0;
}

void evmon_emit(struct evmon *m, const char *source, const char *event, ...)
{
	const char *kv[2 * EVMON_MAX_PROPS];
	char line[EVMON_LINE_MAX];
	size_t nkv = 0;
	const char *k;
	va_list ap;
	ssize_t w;
	int n;

	if (!m)
		return;
	va_start(ap, event);
	while ((k = va_arg(ap, const char *)) != NULL) {
		const char *v = va_arg(ap, const char *);

		if (nkv < 2 * EVMON_MAX_PROPS) {
			kv[nkv++] = k;
			kv[nkv++] = v;
		}
	}
	va_end(ap);
	n = evmon_format(line, sizeof(line), log_uptime_ns(), source, event, kv,
			 nkv);
	if (n < 0) /* over-long properties: keep the event, drop them */
		n = evmon_format(line, sizeof(line), log_uptime_ns(), source,
				 event, NULL, 0);
	if (n < 0)
		return;
	pthread_mutex_lock(&m->lock);
	do
		w = write(m->fd, line, (size_t)n);
	while (w < 0 && errno == EINTR);
	if (w != n) {
		m->dropped++;
		log_ratelimited(&m->rl, LOG_WARN,
				"event monitor: dropped '%s %s' (%s)", source,
				event, w < 0 ? strerror(errno) : "short write");
	}
	pthread_mutex_unlock(&m->lock);
}

uint64_t evmon_dropped(const struct evmon *m)
{
	uint64_t d;

	if (!m)
		return 0;
	pthread_mutex_lock((pthread_mutex_t *)&m->lock);
	d = m->dropped;
	pthread_mutex_unlock((pthread_mutex_t *)&m->lock);
	return d;
}

void evmon_close(struct evmon *m)
{
	if (!m)
		return;
	close(m->fd);
	pthread_mutex_destroy(&m->lock);
	free(m);
}
