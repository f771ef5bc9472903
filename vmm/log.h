/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.h - logging for the VMM core, devices and arch code.
 *
 * Define LOG_MOD "name" before including this header.  Each message is
 * formatted once and written with a single write(2) to the log fd
 * (stderr unless log_set_fd was called), prefixed with the time since
 * start, level and module.  Safe from any thread.  The global level and fd
 * are set once at start-up by main before threads exist.
 */
#ifndef NIMBUS_VMM_LOG_H
#define NIMBUS_VMM_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

enum log_level {
	LOG_ERR = 0,
	LOG_WARN = 1,
	LOG_INFO = 2,
	LOG_DEBUG = 3,
};

#ifndef LOG_MOD
#define LOG_MOD "nimbus"
#endif

/* Set the level (messages above it are dropped) and output fd. */
void log_set_level(int level);
int log_get_level(void);
void log_set_fd(int fd);
/* The fd log lines go to (2 unless log_set_fd changed it).  Any thread. */
int log_get_fd(void);

/* Monotonic nanoseconds since log_init_clock (called by main first). */
void log_init_clock(void);
uint64_t log_uptime_ns(void);

void log_msg(int level, const char *mod, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void log_vmsg(int level, const char *mod, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/*
 * For setup functions that report one line to their caller: format
 * "<kind> <name>: <message>" into err[errlen] (nothing if err is NULL or
 * errlen is 0; the message is cut at 255 bytes) and return ret, so they
 * can `return errmsg_set(err, errlen, "disk", path, -EINVAL, "...")`.
 * Writes no log line.  Pure; any thread.
 */
int errmsg_set(char *err, size_t errlen, const char *kind, const char *name,
	       int ret, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

#define log_err(...) log_msg(LOG_ERR, LOG_MOD, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, LOG_MOD, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, LOG_MOD, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, LOG_MOD, __VA_ARGS__)

/*
 * Rate limiting for anything a guest can trigger.  A `struct log_rl` lives
 * in the device state (zero-initialised).  At most `burst` messages per
 * `interval_ms`; a later message notes how many were suppressed.
 */
struct log_rl {
	uint64_t window_start_ns;
	uint32_t printed;
	uint32_t suppressed;
};

#define LOG_RL_INTERVAL_MS 5000
#define LOG_RL_BURST 10

void log_rl_msg(struct log_rl *rl, int level, const char *mod, const char *fmt,
		...) __attribute__((format(printf, 4, 5)));

#define log_ratelimited(rl, level, ...) \
	log_rl_msg((rl), (level), LOG_MOD, __VA_ARGS__)

#endif /* NIMBUS_VMM_LOG_H */
