/* SPDX-License-Identifier: Apache-2.0 */
/*
 * api_handlers.h - the REST API's endpoints (Cloud Hypervisor's, under
 * /api/v1/), run on the main loop against the VM life cycle.
 *
 *   GET  vmm.ping        200 {"build_version","version","pid","features"}
 *   PUT  vmm.shutdown    204, then the VMM ends
 *   PUT  vm.create       VmConfig body (api_json.h); 204
 *   PUT  vm.boot | vm.shutdown | vm.reboot | vm.pause | vm.resume |
 *        vm.power-button | vm.delete                        204
 *   GET  vm.info         200 {"config","state","memory_actual_size",
 *                             "device_tree"}
 *   GET  vm.counters     200 {"<device id>": {"<counter>": n, ...}, ...}
 *
 * Other CH endpoints (vm.resize, vm.add-*, vm.remove-device,
 * vm.snapshot, vm.restore, migration, vm.nmi, vm.coredump, ...) answer
 * 501 with an error naming the missing feature.
 *
 * Status codes (CH's OpenAPI where it has one): 400 a bad body (invalid
 * JSON, unknown field, wrong type, bad value); 404 an unknown path or
 * endpoint, or no VM created; 405 a method the endpoint does not take,
 * or an action invalid in the VM's state (the error names the state);
 * 500 a failure to build or run the VM; 501 a feature Nimbus lacks.
 * Every error has a JSON body {"error": "..."}.
 */
#ifndef NIMBUS_VMM_API_HANDLERS_H
#define NIMBUS_VMM_API_HANDLERS_H

#include "vmm/api_server.h"
#include "vmm/lifecycle.h"

struct api_ctx {
	struct lifecycle *lc;
	const char *hv_name; /* the hypervisor plugin, for vmm.ping */
};

/* The api_handler_fn for api_server_cfg: opaque is a struct api_ctx *.
 * Main loop thread. */
void api_handle(void *opaque, const struct api_request *req,
		struct api_response *resp);

#endif /* NIMBUS_VMM_API_HANDLERS_H */
