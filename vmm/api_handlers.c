// SPDX-License-Identifier: Apache-2.0
/*
 * api_handlers.c - endpoint table and actions (see api_handlers.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#define LOG_MOD "api"
#include "devices/counters.h"
#include "devices/pci/pci.h"
#include "devices/pvpanic.h"
#include "vmm/api_handlers.h"
#include "vmm/api_json.h"
#include "vmm/log.h"

#ifndef NIMBUS_VERSION
#define NIMBUS_VERSION "unknown"
#endif

#define API_PREFIX "/api/v1/"
#define ERR_MAX 512

struct endpoint {
	const char *name;
	int method; /* enum api_http_method */
	/* Fill resp; return 0, or -errno with a reason in err. */
	int (*fn)(struct api_ctx *ctx, const struct api_request *req,
		  struct api_response *resp, char *err);
	const char *missing; /* 501: the feature Nimbus lacks */
};

static int errno_status(int ret)
{
	switch (ret) {
	case -ENOENT:
		return 404;
	case -EBUSY:
		return 405;
	case -EINVAL:
		return 400;
	case -ENODEV:
	case -EOPNOTSUPP:
		return 501;
	default:
		return 500;
	}
}

/* Serialize j (stolen) as the 200 body. */
static int reply_json(struct api_response *resp, json_t *j, char *err)
{
	if (!j) {
		snprintf(err, ERR_MAX, "out of memory");
		return -ENOMEM;
	}
	resp->body = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (!resp->body) {
		snprintf(err, ERR_MAX, "out of memory");
		return -ENOMEM;
	}
	resp->body_len = strlen(resp->body);
	resp->status = 200;
	return 0;
}

static int vmm_ping(struct api_ctx *ctx, const struct api_request *req,
		    struct api_response *resp, char *err)
{
	return reply_json(resp,
			  json_pack("{s:s, s:s, s:I, s:[s]}", "build_version",
				    NIMBUS_VERSION, "version", NIMBUS_VERSION,
				    "pid", (json_int_t)getpid(), "features",
				    ctx->hv_name ? ctx->hv_name : "unknown"),
			  err);
}

static int vmm_shutdown(struct api_ctx *ctx, const struct api_request *req,
			struct api_response *resp, char *err)
{
	lc_exit(ctx->lc, 0);
	return 0;
}

static int vm_create_ep(struct api_ctx *ctx, const struct api_request *req,
			struct api_response *resp, char *err)
{
	struct vm_config *cfg;
	int ret;

	if (ctx->lc->state != LC_NONE) {
		snprintf(err, ERR_MAX, "a VM is already created (state %s)",
			 lc_state_name(ctx->lc->state));
		return -EBUSY;
	}
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg) {
		snprintf(err, ERR_MAX, "out of memory");
		return -ENOMEM;
	}
	ret = api_json_parse_vm_config(req->body, req->body_len, cfg, err,
				       ERR_MAX);
	if (ret) {
		free(cfg);
		return ret == -ENOMEM ? ret : -EINVAL;
	}
	return lc_create(ctx->lc, cfg, 1, err, ERR_MAX);
}

#define LC_ACTION(fn, action)                                             \
	static int fn(struct api_ctx *ctx, const struct api_request *req, \
		      struct api_response *resp, char *err)               \
	{                                                                 \
		return action(ctx->lc, err, ERR_MAX);                     \
	}

LC_ACTION(vm_boot_ep, lc_boot)
LC_ACTION(vm_shutdown_ep, lc_shutdown)
LC_ACTION(vm_reboot_ep, lc_reboot)
LC_ACTION(vm_pause_ep, lc_pause)
LC_ACTION(vm_resume_ep, lc_resume)
LC_ACTION(vm_power_button_ep, lc_power_button)
LC_ACTION(vm_delete_ep, lc_delete)

/* One device node: {"id", "resources", "children", "pci_bdf"}. */
static int tree_add(json_t *tree, const char *id, uint8_t devfn)
{
	char bdf[16];

	snprintf(bdf, sizeof(bdf), "0000:00:%02x.%x", devfn >> 3, devfn & 7);
	return json_object_set_new(tree, id,
				   json_pack("{s:s, s:[], s:[], s:s}", "id", id,
					     "resources", "children", "pci_bdf",
					     bdf));
}

static json_t *device_tree(struct vm *vm)
{
	json_t *tree = json_object();
	unsigned int i, disk = 0;
	char name[32];
	int ret = 0;

	for (i = 0; tree && vm && i < vm->nr_vdevs; i++) {
		const struct vm_vdev *d = &vm->vdevs[i];
		const char *id = name;

		if (d->kind == VM_VDEV_RNG)
			id = "_rng";
		else if (d->kind == VM_VDEV_CONSOLE)
			id = "_console";
		else if (d->kind == VM_VDEV_BLOCK && disk < vm->cfg->nr_disks)
			id = vm->cfg->disks[disk++].id;
		else
			snprintf(name, sizeof(name), "_virtio%u", i);
		ret |= tree_add(tree, id, d->devfn);
	}
	if (tree && vm && vm->pvpanic)
		ret |= tree_add(tree, "_pvpanic",
				pvpanic_pci_dev(vm->pvpanic)->devfn);
	if (ret) {
		json_decref(tree);
		return NULL;
	}
	return tree;
}

static int vm_info_ep(struct api_ctx *ctx, const struct api_request *req,
		      struct api_response *resp, char *err)
{
	struct lifecycle *lc = ctx->lc;

	if (lc->state == LC_NONE) {
		snprintf(err, ERR_MAX, "no VM is created");
		return -ENOENT;
	}
	return reply_json(resp,
			  json_pack("{s:o, s:s, s:I, s:o}", "config",
				    api_json_from_vm_config(lc->cfg), "state",
				    lc_state_name(lc->state),
				    "memory_actual_size",
				    (json_int_t)lc->cfg->memory.size,
				    "device_tree", device_tree(lc_vm(lc))),
			  err);
}

static int vm_counters_ep(struct api_ctx *ctx, const struct api_request *req,
			  struct api_response *resp, char *err)
{
	struct vm *vm = lc_vm(ctx->lc);
	json_t *all, *dev;
	unsigned int i, k;

	if (!vm && ctx->lc->state == LC_NONE) {
		snprintf(err, ERR_MAX, "no VM is created");
		return -ENOENT;
	}
	if (!vm) {
		snprintf(err, ERR_MAX, "the VM is not booted (state %s)",
			 lc_state_name(ctx->lc->state));
		return -EBUSY;
	}
	all = json_object();
	for (i = 0; all && i < vm->nr_counters; i++) {
		const struct dev_counters *c = vm->counters[i].c;

		dev = json_object();
		for (k = 0; dev && k < c->nr; k++)
			if (json_object_set_new(
				    dev, c->names[k],
				    json_integer((json_int_t)dev_counter_get(
					    c, k)))) {
				json_decref(dev);
				dev = NULL;
			}
		if (!dev || json_object_set_new(all, vm->counters[i].id, dev)) {
			json_decref(all);
			all = NULL;
		}
	}
	return reply_json(resp, all, err);
}

static const struct endpoint endpoints[] = {
	{ "vmm.ping", API_HTTP_GET, vmm_ping, NULL },
	{ "vmm.shutdown", API_HTTP_PUT, vmm_shutdown, NULL },
	{ "vm.create", API_HTTP_PUT, vm_create_ep, NULL },
	{ "vm.boot", API_HTTP_PUT, vm_boot_ep, NULL },
	{ "vm.shutdown", API_HTTP_PUT, vm_shutdown_ep, NULL },
	{ "vm.reboot", API_HTTP_PUT, vm_reboot_ep, NULL },
	{ "vm.pause", API_HTTP_PUT, vm_pause_ep, NULL },
	{ "vm.resume", API_HTTP_PUT, vm_resume_ep, NULL },
	{ "vm.power-button", API_HTTP_PUT, vm_power_button_ep, NULL },
	{ "vm.delete", API_HTTP_PUT, vm_delete_ep, NULL },
	{ "vm.info", API_HTTP_GET, vm_info_ep, NULL },
	{ "vm.counters", API_HTTP_GET, vm_counters_ep, NULL },
	{ "vm.nmi", API_HTTP_PUT, NULL, "NMI injection" },
	{ "vm.resize", API_HTTP_PUT, NULL, "vCPU and memory hotplug" },
	{ "vm.resize-zone", API_HTTP_PUT, NULL, "memory zones" },
	{ "vm.resize-disk", API_HTTP_PUT, NULL, "disk resizing" },
	{ "vm.add-device", API_HTTP_PUT, NULL, "VFIO device hotplug" },
	{ "vm.add-user-device", API_HTTP_PUT, NULL, "vfio-user devices" },
	{ "vm.add-disk", API_HTTP_PUT, NULL, "disk hotplug" },
	{ "vm.add-fs", API_HTTP_PUT, NULL, "virtio-fs" },
	{ "vm.add-pmem", API_HTTP_PUT, NULL, "pmem hotplug" },
	{ "vm.add-net", API_HTTP_PUT, NULL, "network device hotplug" },
	{ "vm.add-vsock", API_HTTP_PUT, NULL, "vsock hotplug" },
	{ "vm.add-vdpa", API_HTTP_PUT, NULL, "vDPA devices" },
	{ "vm.add-generic-vhost-user", API_HTTP_PUT, NULL,
	  "vhost-user devices" },
	{ "vm.remove-device", API_HTTP_PUT, NULL, "device hot-unplug" },
	{ "vm.snapshot", API_HTTP_PUT, NULL, "snapshots" },
	{ "vm.restore", API_HTTP_PUT, NULL, "restoring snapshots" },
	{ "vm.coredump", API_HTTP_PUT, NULL, "guest core dumps" },
	{ "vm.send-migration", API_HTTP_PUT, NULL, "live migration" },
	{ "vm.receive-migration", API_HTTP_PUT, NULL, "live migration" },
	{ "vm.balloon-stats", API_HTTP_GET, NULL, "virtio-balloon" },
};

void api_handle(void *opaque, const struct api_request *req,
		struct api_response *resp)
{
	struct api_ctx *ctx = opaque;
	const struct endpoint *ep = NULL;
	char err[ERR_MAX] = "";
	const char *name;
	size_t i;
	int ret;

	resp->status = 204;
	if (strncmp(req->path, API_PREFIX, strlen(API_PREFIX))) {
		api_response_error(resp, 404,
				   "unknown path '%.64s' (the API is under %s)",
				   req->path, API_PREFIX);
		return;
	}
	name = req->path + strlen(API_PREFIX);
	for (i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++)
		if (!strcmp(name, endpoints[i].name))
			ep = &endpoints[i];
	if (!ep) {
		api_response_error(resp, 404, "unknown endpoint '%.64s'", name);
		return;
	}
	if (req->method != ep->method) {
		api_response_error(resp, 405, "%s takes %s, not %.16s",
				   ep->name,
				   ep->method == API_HTTP_GET ? "GET" : "PUT",
				   req->method_str);
		return;
	}
	if (!ep->fn) {
		api_response_error(resp, 501,
				   "%s is not implemented yet (missing: %s)",
				   ep->name, ep->missing);
		return;
	}
	log_debug("%s %s", req->method_str, ep->name);
	ret = ep->fn(ctx, req, resp, err);
	if (ret) {
		free(resp->body);
		resp->body = NULL;
		resp->body_len = 0;
		if (errno_status(ret) >= 500)
			log_warn("%s: %s", ep->name, err);
		api_response_error(resp, errno_status(ret), "%s: %s", ep->name,
				   err[0] ? err : strerror(-ret));
	}
}
