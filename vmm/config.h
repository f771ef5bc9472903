/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.h - the typed VM configuration built from the command line (and
 * later from the REST API's VmConfig JSON).  Devices and the VMM core see
 * only these structs, never CLI strings or JSON.
 *
 * Strings are owned by the config (heap copies) and freed by
 * vm_config_free() (vmm/cli.h).
 */
#ifndef NIMBUS_VMM_CONFIG_H
#define NIMBUS_VMM_CONFIG_H

#include <stdint.h>

#include "vmm/config_net.h"

enum console_mode {
	CONSOLE_OFF = 0,
	CONSOLE_NULL,
	CONSOLE_TTY,
	CONSOLE_FILE,
	CONSOLE_PTY,
	CONSOLE_SOCKET,
};

struct console_config {
	int mode; /* enum console_mode */
	char *path; /* CONSOLE_FILE / CONSOLE_SOCKET */
};

struct payload_config {
	char *kernel; /* required to boot */
	char *initramfs; /* NULL = none */
	char *cmdline; /* NULL = empty */
};

struct cpus_config {
	uint32_t boot; /* default 1 */
	uint32_t max; /* default = boot */
};

struct memory_config {
	uint64_t size; /* bytes, default 512 MiB */
};

#define CONFIG_MAX_DISKS 16

/* --disk (Cloud Hypervisor syntax). */
struct disk_config {
	char *path; /* required */
	int readonly; /* readonly=on|off, default off */
	int direct; /* direct=on|off (O_DIRECT), default off */
	uint16_t num_queues; /* default 1 */
	uint16_t queue_size; /* default 256 */
	char *id; /* default "_disk<N>" */
	char *serial; /* GET_ID string, may be NULL */
	int io_engine; /* enum blk_io_engine value (io_engine=), 0 = auto */
};

/* --rng src=PATH (default /dev/urandom); virtio-rng is always present. */
struct rng_config {
	char *src;
};

/* --api-socket path=PATH|fd=N and --event-monitor path=PATH|fd=N. */
struct endpoint_config {
	char *path; /* NULL when unset or fd= */
	int fd; /* -1 when unset or path= */
};

enum seccomp_mode {
	SECCOMP_ON = 0, /* --seccomp true: violations kill the VMM */
	SECCOMP_OFF, /* --seccomp false */
	SECCOMP_LOG, /* --seccomp log: violations are logged and allowed */
};

struct vm_config {
	struct payload_config payload;
	struct cpus_config cpus;
	struct memory_config memory;
	struct console_config serial; /* default CONSOLE_NULL, as CH */
	/* virtio-console (--console); wired when the virtio devices land. */
	struct console_config console;
	struct disk_config disks[CONFIG_MAX_DISKS];
	unsigned int nr_disks;
	struct rng_config rng;
	struct net_config nets[CONFIG_MAX_NETS];
	unsigned int nr_nets;
	struct vsock_config vsock; /* vsock.cid == 0: none */
	struct pmem_config pmems[CONFIG_MAX_PMEMS];
	unsigned int nr_pmems;
	struct endpoint_config api; /* --api-socket */
	struct endpoint_config event_monitor; /* --event-monitor */
	int pvpanic; /* --pvpanic */
	int seccomp; /* enum seccomp_mode (--seccomp), default SECCOMP_ON */
	char *hv; /* "auto" (default), "kvm", "mshv" */
	char *hv_plugin; /* --hv-plugin PATH or NULL */
	int verbosity; /* number of -v */
	char *log_file; /* --log-file or NULL */
};

#endif /* NIMBUS_VMM_CONFIG_H */
