/* SPDX-License-Identifier: Apache-2.0 */
/*
 * console.h - host side of a guest console: tty, file, pty, unix socket
 * or null (Cloud Hypervisor's --serial modes).
 *
 * A console outlives VMs (it survives guest reboots).  Output comes from
 * vCPU threads through console_output(); input is read on the main loop
 * and handed to a sink (the guest's UART) which may accept only part of
 * it: the rest is kept and offered again when the sink calls
 * console_rx_space(), and the host fd is not read while bytes are pending
 * (back-pressure instead of drops).
 */
#ifndef NIMBUS_VMM_CONSOLE_H
#define NIMBUS_VMM_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/config.h"
#include "vmm/event.h"

struct console;

/* Returns how many bytes the guest device accepted. Main thread. */
typedef size_t console_sink_fn(void *opaque, const uint8_t *buf, size_t len);

/*
 * Open the backend for `cc` and register its input with `loop`.  A tty
 * on stdin is switched to raw mode until console_close.  On failure a
 * one-line reason naming the path is in err.  Main thread.
 */
int console_open(const struct console_config *cc, struct event_loop *loop,
		 struct console **out, char *err, size_t errlen);

/* Route input to `sink` (NULL: hold input).  Main thread. */
void console_set_sink(struct console *c, console_sink_fn *sink, void *opaque);

/* Guest output; `opaque` is the struct console.  Any thread. */
void console_output(void *opaque, const uint8_t *buf, size_t len);

/* The sink has room again; `opaque` is the struct console.  Any thread. */
void console_rx_space(void *opaque);

/* Unregister, restore the terminal, close fds, free.  NULL-safe. */
void console_close(struct console *c);

#endif /* NIMBUS_VMM_CONSOLE_H */
