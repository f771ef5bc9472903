/* SPDX-License-Identifier: Apache-2.0 */
/*
 * evmon.h - the event monitor (--event-monitor path=PATH|fd=N): a stream
 * of events for management software, in Cloud Hypervisor's shape, one
 * JSON object per line:
 *
 *   {"timestamp":{"secs":1,"nanos":2500},"source":"vm","event":"booted",
 *    "properties":{"id":"_disk0"}}
 *
 * timestamp is the time since the VMM started (log_uptime_ns()), source
 * one of "vmm", "vm", "virtio-device", "guest", and properties an object
 * of string values or null.  Events Nimbus emits: vmm starting/shutdown;
 * vm booting/booted, pausing/paused, resuming/resumed, rebooting/rebooted,
 * shutdown, deleted; virtio-device activated/reset (properties "id");
 * guest panic / crash-loaded (pvpanic).
 *
 * Writes never block the emitter for long: a FIFO or socket is switched
 * to non-blocking mode and an event that does not fit is dropped (and
 * counted in the log); a regular file is appended to.  Each event is one
 * write(2), so lines from different threads never interleave.
 */
#ifndef NIMBUS_VMM_EVMON_H
#define NIMBUS_VMM_EVMON_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/config.h"

#define EVMON_LINE_MAX 1024u /* longer events are truncated to fit */

struct evmon;

/*
 * Open the monitor: ep->path is created (or truncated) for writing; a
 * FIFO without a reader blocks here until one opens it; ep->fd is used
 * as is (and closed by evmon_close).  With neither set, *out is NULL and
 * the call succeeds: every evmon_* function accepts a NULL monitor.  On
 * failure a one-line reason naming the path is in err.  Main thread.
 */
int evmon_open(const struct endpoint_config *ep, struct evmon **out, char *err,
	       size_t errlen);

/*
 * Emit one event.  The variadic part is property pairs, const char *key
 * then const char *value, ended by a NULL key:
 *
 *   evmon_emit(m, "virtio-device", "activated", "id", "_disk0", NULL);
 *   evmon_emit(m, "vm", "booted", NULL);
 *
 * Strings are JSON-escaped here.  NULL-safe (m NULL: nothing happens).
 * Any thread, including vCPU threads; never blocks on a slow reader.
 */
void evmon_emit(struct evmon *m, const char *source, const char *event, ...);

/* Events dropped so far because the reader was not keeping up. */
uint64_t evmon_dropped(const struct evmon *m);

/* Close (the fd too) and free.  NULL-safe.  After every emitter stopped. */
void evmon_close(struct evmon *m);

/*
 * Format one event line (with its '\n') into out[0..cap) for time `ns`
 * and nkv/2 property pairs kv[] = {key, value, ...}.  Returns the length,
 * or -ENOSPC if cap is too small.  Pure: what evmon_emit writes.
 */
int evmon_format(char *out, size_t cap, uint64_t ns, const char *source,
		 const char *event, const char *const *kv, size_t nkv);

#endif /* NIMBUS_VMM_EVMON_H */
