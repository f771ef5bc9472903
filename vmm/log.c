// SPDX-License-Identifier: Apache-2.0
/*
 * log.c - one write(2) per line, a global level, rate limiting.
 *
 * The level, fd and start time are process-wide settings written once by
 * main before any thread starts; readers only load them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmm/log.h"

static struct {
	int level;
	int fd;
	uint64_t start_ns;
} log_cfg = { LOG_WARN, 2, 0 };

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void log_set_level(int level)
{
	log_cfg.level = level;
}

int log_get_level(void)
{
	return log_cfg.level;
}

int log_get_fd(void)
{
	return log_cfg.fd;
}

void log_set_fd(int fd)
{
	log_cfg.fd = fd;
}

void log_init_clock(void)
{
	log_cfg.start_ns = now_ns();
}

uint64_t log_uptime_ns(void)
{
	return now_ns() - log_cfg.start_ns;
}

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void log_vmsg(int level, const char *mod, const char *fmt, va_list ap)
{
	char buf[1024];
	uint64_t t;
	int n, m;
	int saved = errno;

	if (level > log_cfg.level)
		return;
	if (level < LOG_ERR)
		level = LOG_ERR;
	if (level > LOG_DEBUG)
		level = LOG_DEBUG;
	t = log_uptime_ns();
	n = snprintf(buf, sizeof(buf), "nimbus[%llu.%06llu] %s %s: ",
		     (unsigned long long)(t / 1000000000ull),
		     (unsigned long long)(t % 1000000000ull / 1000),
		     level_names[level], mod);
	if (n < 0)
		goto out;
	m = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		goto out;
	n += m;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n++] = '\n';
	if (write(log_cfg.fd, buf, (size_t)n) < 0) {
		/* Nowhere left to report a failing log. */
	}
out:
	errno = saved;
}

void log_msg(int level, const char *mod, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, mod, fmt, ap);
	va_end(ap);
}

void log_rl_msg(struct log_rl *rl, int level, const char *mod, const char *fmt,
		...)
{
	uint64_t t = now_ns();
	va_list ap;

	if (level > log_cfg.level)
		return;
	/* Racy across threads by design: worst case a few extra lines. */
	if (t - rl->window_start_ns > LOG_RL_INTERVAL_MS * 1000000ull) {
		if (rl->suppressed)
			log_msg(level, mod, "%u similar messages suppressed",
				rl->suppressed);
		rl->window_start_ns = t;
		rl->printed = 0;
		rl->suppressed = 0;
	}
	if (rl->printed >= LOG_RL_BURST) {
		rl->suppressed++;
		return;
	}
	rl->printed++;
	va_start(ap, fmt);
	log_vmsg(level, mod, fmt, ap);
	va_end(ap);
}

int errmsg_set(char *err, size_t errlen, const char *kind, const char *name,
	       int ret, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (!err || !errlen)
		return ret;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "%s %s: %s", kind, name, msg);
	return ret;
}
