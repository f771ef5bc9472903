/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_json.h - Cloud Hypervisor's VmConfig JSON <-> struct vm_config.
 *
 * The REST API's vm.create body and vm.info's "config" use CH's field
 * names: payload{kernel,initramfs,cmdline}, cpus{boot_vcpus,max_vcpus},
 * memory{size}, disks[{path,readonly,direct,num_queues,queue_size,id,
 * serial}], net[{tap,ip,mask,mac,host_mac,mtu,num_queues,queue_size,id,
 * offload_tso,offload_ufo,offload_csum}], rng{src},
 * serial{mode,file,socket}, console{mode,file,socket}, vsock{cid,socket,
 * id}, pmem[{file,size,discard_writes,id}], pvpanic.  Defaults and limits
 * are the command line's (vmm/cli.h): a config that the CLI refuses is
 * refused here too, with a message naming the field ("disks[1].
 * queue_size: ...").
 *
 * Strictness: a field that is neither Nimbus's nor CH's, a wrong JSON
 * type (a string for a number, 1.5 for an integer, ...), a duplicate key,
 * trailing bytes or a value out of range is an error.  A field CH has and
 * Nimbus lacks is accepted only with its default value (false, 0, null,
 * an empty array, CH's documented default) so that configs written by CH
 * tools still load; any other value is "not supported yet".
 *
 * jansson is used only by the vmm/api_*.c files; this header exposes it.
 * Everything here is pure (no I/O, no global state): any thread, and
 * api_json_parse_vm_config is a fuzzing entry point.
 */
#ifndef NIMBUS_VMM_API_JSON_H
#define NIMBUS_VMM_API_JSON_H

#include <stddef.h>

#include <jansson.h>

#include "vmm/config.h"

/*
 * Parse the VmConfig in buf[0..len) into *cfg, which is first zeroed and
 * given the CLI's defaults (api/event-monitor fds -1, seccomp on; the
 * VMM-wide fields hv, hv_plugin, log_file and verbosity stay empty: they
 * belong to the process, not the VM).  Returns 0 (the caller owns the
 * strings: vm_config_free), -EINVAL with a one-line reason in err, or
 * -ENOMEM.  On failure *cfg owns nothing.
 */
int api_json_parse_vm_config(const char *buf, size_t len, struct vm_config *cfg,
			     char *err, size_t errlen);

/* The same from an already parsed JSON value (not consumed). */
int api_json_to_vm_config(const json_t *root, struct vm_config *cfg, char *err,
			  size_t errlen);

/*
 * The VmConfig object describing *cfg (new reference), such that parsing
 * it back gives an equal config.  NULL on allocation failure.
 */
json_t *api_json_from_vm_config(const struct vm_config *cfg);

/*
 * Check that `obj` is an object whose keys are all in `allowed` (NULL-
 * terminated).  0, or -EINVAL with "<where>: unknown field 'x'" (or "must
 * be an object") in err.  For the small bodies of other endpoints.
 */
int api_json_check_keys(const json_t *obj, const char *where,
			const char *const *allowed, char *err, size_t errlen);

/* The CH name of a console mode ("Null", "Tty", ...). */
const char *api_json_console_mode_name(int mode);

#endif /* NIMBUS_VMM_API_JSON_H */
