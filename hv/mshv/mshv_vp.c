// SPDX-License-Identifier: Apache-2.0
/*
 * mshv_vp.c - virtual processors of the MSHV plugin: creation, teardown,
 * kicks, and register / VP-state access.
 *
 * Upstream MSHV has no register ioctls: registers travel through the
 * passthrough hypercalls HVCALL_GET_VP_REGISTERS (input: names, output:
 * 16-byte values) and HVCALL_SET_VP_REGISTERS (input: name/value pairs),
 * issued on the VP fd with the VP index in the input header.
 *
 * Kicks: MSHV has no immediate-exit flag.  vcpu_kick sets vcpu->kicked
 * and signals the vCPU thread (through sys->kick); vcpu_run reports a
 * kick that landed before it entered MSHV_RUN_VP, and the signal makes a
 * running MSHV_RUN_VP return EINTR.  A kick that lands between that check
 * and the kernel entry is only seen at the next exit (see README.md).
 */
#define LOG_MOD "mshv"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hv/mshv/mshv_priv.h"

int mshv_get_vp_regs(struct hv_vcpu *vcpu, const uint32_t *names,
		     union hv_register_value *vals, uint32_t n)
{
	struct {
		struct hv_input_vp_registers_hdr hdr;
		uint32_t names[MSHV_MAX_REGS_PER_CALL];
	} in;
	int ret;

	if (!n)
		return 0;
	if (n > MSHV_MAX_REGS_PER_CALL)
		return -EINVAL;
	memset(&in.hdr, 0, sizeof(in.hdr));
	in.hdr.vp_index = vcpu->vp_index;
	memcpy(in.names, names, n * sizeof(names[0]));
	memset(vals, 0, n * sizeof(*vals));
	ret = mshv_hvcall(vcpu->vm->hv, vcpu->fd, HVCALL_GET_VP_REGISTERS,
			  (uint16_t)n, &in, sizeof(in.hdr) + 4 * n, vals,
			  16 * n, NULL);
	if (ret < 0 && mshv_rl_ok(&vcpu->rl))
		mshv_err(vcpu->vm->hv,
			 "vCPU %u: get %u registers (first %#x): %s", vcpu->id,
			 n, names[0], strerror(-ret));
	return ret;
}

int mshv_set_vp_regs(struct hv_vcpu *vcpu, const struct hv_register_assoc *regs,
		     uint32_t n)
{
	struct {
		struct hv_input_vp_registers_hdr hdr;
		struct hv_register_assoc regs[MSHV_MAX_REGS_PER_CALL];
	} in;
	uint32_t i;
	int ret;

	if (!n)
		return 0;
	if (n > MSHV_MAX_REGS_PER_CALL)
		return -EINVAL;
	memset(&in.hdr, 0, sizeof(in.hdr));
	in.hdr.vp_index = vcpu->vp_index;
	for (i = 0; i < n; i++) {
		in.regs[i] = regs[i];
		in.regs[i].reserved1 = 0;
		in.regs[i].reserved2 = 0;
	}
	ret = mshv_hvcall(vcpu->vm->hv, vcpu->fd, HVCALL_SET_VP_REGISTERS,
			  (uint16_t)n, &in, sizeof(in.hdr) + 32 * n, NULL, 0,
			  NULL);
	if (ret < 0 && mshv_rl_ok(&vcpu->rl))
		mshv_err(vcpu->vm->hv,
			 "vCPU %u: set %u registers (first %#x): %s", vcpu->id,
			 n, regs[0].name, strerror(-ret));
	return ret;
}

void mshv_assoc64(struct hv_register_assoc *a, uint32_t name, uint64_t val)
{
	memset(a, 0, sizeof(*a));
	a->name = name;
	a->value.reg64 = val;
}

int mshv_get_vp_reg64(struct hv_vcpu *vcpu, uint32_t name, uint64_t *val)
{
	union hv_register_value v;
	int ret = mshv_get_vp_regs(vcpu, &name, &v, 1);

	if (!ret)
		*val = v.reg64;
	return ret;
}

int mshv_set_vp_reg64(struct hv_vcpu *vcpu, uint32_t name, uint64_t val)
{
	struct hv_register_assoc a;

	mshv_assoc64(&a, name, val);
	return mshv_set_vp_regs(vcpu, &a, 1);
}

int mshv_vp_state(struct hv_vcpu *vcpu, uint8_t type, void *page, bool set)
{
	struct mshv_get_set_vp_state st = {
		.type = type,
		.buf_sz = MSHV_PAGE_SIZE,
		.buf_ptr = (uint64_t)(uintptr_t)page,
	};
	int ret;

	ret = mshv_ioctl(vcpu->vm->hv, vcpu->fd,
			 set ? MSHV_SET_VP_STATE : MSHV_GET_VP_STATE, &st);
	if (ret < 0)
		mshv_err(vcpu->vm->hv, "vCPU %u: %s VP state %u: %s", vcpu->id,
			 set ? "set" : "get", type, strerror(-ret));
	return ret < 0 ? ret : 0;
}

int mshv_vcpu_create(struct hv_vm *vm, uint32_t id,
		     const struct hv_vcpu_config *cfg, void *cookie,
		     struct hv_vcpu **out)
{
	struct mshv_create_vp args = { 0 };
	struct hv *hv = vm->hv;
	struct hv_vcpu *vcpu;
	int ret;

	if (!out ||
	    (cfg && cfg->size < offsetof(struct hv_vcpu_config, reserved0)))
		return -EINVAL;
	if (!vm->initialized) {
		mshv_err(
			hv,
			"vCPU %u: the partition is not initialised yet (aarch64: create the irqchip first)",
			id);
		return -EINVAL;
	}
	ret = mshv_arch_vp_index(id, cfg, &args.vp_index);
	if (ret < 0)
		return ret;
	vcpu = calloc(1, sizeof(*vcpu));
	if (!vcpu)
		return -ENOMEM;
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->vp_index = args.vp_index;
	vcpu->cookie = cookie;
	vcpu->thread = pthread_self();
	ret = mshv_ioctl(hv, vm->fd, MSHV_CREATE_VP, &args);
	if (ret < 0) {
		mshv_err(hv, "MSHV_CREATE_VP %u: %s", args.vp_index,
			 strerror(-ret));
		goto err_free;
	}
	vcpu->fd = ret;
	__atomic_add_fetch(&vm->vcpus_created, 1, __ATOMIC_ACQ_REL);
	ret = mshv_arch_vcpu_init(vcpu, cfg);
	if (ret < 0)
		goto err_close;
	__atomic_add_fetch(&vm->nr_vcpus, 1, __ATOMIC_ACQ_REL);
	*out = vcpu;
	return 0;

err_close:
	hv->sys->close(hv->sys->ctx, vcpu->fd);
err_free:
	free(vcpu);
	return ret;
}

void mshv_vcpu_destroy(struct hv_vcpu *vcpu)
{
	struct hv *hv;

	if (!vcpu)
		return;
	hv = vcpu->vm->hv;
	hv->sys->close(hv->sys->ctx, vcpu->fd);
	__atomic_sub_fetch(&vcpu->vm->nr_vcpus, 1, __ATOMIC_ACQ_REL);
	free(vcpu);
}

void mshv_vcpu_kick(struct hv_vcpu *vcpu)
{
	const struct hv *hv = vcpu->vm->hv;

	/* Flag first: vcpu_run checks it before entering the kernel; the
	 * signal covers a VP that is already inside MSHV_RUN_VP. */
	__atomic_store_n(&vcpu->kicked, 1, __ATOMIC_SEQ_CST);
	hv->sys->kick(hv->sys->ctx, vcpu->fd, vcpu->thread,
		      hv->host->kick_signo);
}
