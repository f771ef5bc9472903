// SPDX-License-Identifier: Apache-2.0
/*
 * kvm.c - Linux KVM backend of the Nimbus hv ABI: system, VM and
 * interrupt ops, and the plugin descriptor.  Memory and the dirty log live
 * in kvm_mem.c, the vCPUs in kvm_<arch>.c.
 *
 * Interrupts use KVM's split irqchip: the LAPIC lives in the kernel, the
 * IOAPIC/PIC in userspace, and device pins reach the guest as MSI routes
 * driven by irqfds.  On aarch64 the irqchip ops are kvm_aarch64.c's
 * in-kernel vGICv3 + ITS instead (the #if defined(__aarch64__) blocks).
 */
#define LOG_MOD "kvm"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hv/kvm/kvm_priv.h"
#include "plugins/plugin.h"

#ifndef NIMBUS_VERSION
#define NIMBUS_VERSION "unknown"
#endif

#define KVM_API_VERSION_WANTED 12

/* Every ioctl the plugin may issue once the VMM is sandboxed: the run
 * loop, register access, interrupt plumbing, memory hot(un)plug, dirty
 * logging, and vCPU creation (vCPU threads may create their vCPU late). */
/* clang-format off */
static const unsigned long kvm_ioctl_allowlist[] = {
	KVM_RUN, KVM_IRQ_LINE, KVM_IRQFD, KVM_IOEVENTFD, KVM_SET_GSI_ROUTING,
	KVM_SIGNAL_MSI, KVM_SET_USER_MEMORY_REGION, KVM_GET_DIRTY_LOG,
	KVM_CHECK_EXTENSION, KVM_CREATE_VCPU,
	/* A reboot or vm.create builds a new VM on the sandboxed main
	 * thread. */
	KVM_CREATE_VM, KVM_ENABLE_CAP, KVM_GET_VCPU_MMAP_SIZE,
#if defined(__aarch64__)
	KVM_GET_ONE_REG, KVM_SET_ONE_REG, KVM_ARM_PREFERRED_TARGET,
	KVM_ARM_VCPU_INIT, KVM_GET_MP_STATE, KVM_SET_MP_STATE,
	KVM_CREATE_DEVICE, KVM_SET_DEVICE_ATTR,
#else
	KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS, KVM_SET_SREGS,
	KVM_GET_SUPPORTED_CPUID, KVM_SET_CPUID2, KVM_GET_TSC_KHZ,
	KVM_SET_MSRS, KVM_GET_LAPIC, KVM_SET_LAPIC,
	KVM_SET_TSS_ADDR, KVM_SET_IDENTITY_MAP_ADDR, KVM_GET_MP_STATE,
	KVM_SET_MP_STATE,
#endif
};

/* Capabilities the plugin cannot work without. */
#define KVM_CAP(x) { KVM_CAP_##x, #x }
static const struct {
	int cap;
	const char *name;
} kvm_required_caps[] = {
	KVM_CAP(USER_MEMORY), KVM_CAP(IRQFD), KVM_CAP(IOEVENTFD),
	KVM_CAP(IRQ_ROUTING), KVM_CAP(IMMEDIATE_EXIT), KVM_CAP(SIGNAL_MSI),
#if defined(__aarch64__)
	KVM_CAP(ONE_REG), KVM_CAP(ARM_PSCI_0_2), KVM_CAP(DEVICE_CTRL),
#else
	KVM_CAP(SPLIT_IRQCHIP),
#endif
};
/* clang-format on */

int kvm_ioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, req, arg);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : ret;
}

static int kvm_check_cap(int fd, int cap)
{
	int ret = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	return ret < 0 ? 0 : ret;
}

/* Open /dev/kvm and check the API version and required caps.  Returns the
 * fd or -ENODEV / -EACCES / -EPROTO / -errno. */
static int kvm_open_dev(const struct hv_host *h)
{
	size_t i;
	int fd, ver;

	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		kvm_log(h, HV_LOG_DEBUG, "cannot open /dev/kvm: %s",
			strerror(err));
		if (err == ENOENT || err == ENODEV || err == ENXIO)
			return -ENODEV;
		if (err == EACCES || err == EPERM)
			return -EACCES;
		return -err;
	}
	ver = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (ver != KVM_API_VERSION_WANTED) {
		kvm_log(h, HV_LOG_WARN, "KVM API version %d, need %d", ver,
			KVM_API_VERSION_WANTED);
		close(fd);
		return -EPROTO;
	}
	for (i = 0;
	     i < sizeof(kvm_required_caps) / sizeof(kvm_required_caps[0]);
	     i++) {
		if (kvm_check_cap(fd, kvm_required_caps[i].cap) <= 0) {
			kvm_log(h, HV_LOG_WARN, "KVM lacks KVM_CAP_%s",
				kvm_required_caps[i].name);
			close(fd);
			return -ENODEV;
		}
	}
	return fd;
}

static int kvm_probe(const struct hv_host *h)
{
	int fd = kvm_open_dev(h);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

static int kvm_open(const struct hv_host *h, struct hv **out)
{
	struct hv *hv;
	int fd, n;

	if (!h || !out || h->size < offsetof(struct hv_host, mmio))
		return -EINVAL;
	fd = kvm_open_dev(h);
	if (fd < 0)
		return fd;
	hv = calloc(1, sizeof(*hv));
	if (!hv) {
		close(fd);
		return -ENOMEM;
	}
	hv->host = h;
	hv->kvm_fd = fd;
	n = ioctl(fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (n < (int)sizeof(struct kvm_run)) {
		kvm_err(hv, "bad KVM_GET_VCPU_MMAP_SIZE %d", n);
		free(hv);
		close(fd);
		return -EPROTO;
	}
	hv->run_size = (uint32_t)n;
	n = kvm_check_cap(fd, KVM_CAP_MAX_VCPUS);
	if (n <= 0)
		n = kvm_check_cap(fd, KVM_CAP_NR_VCPUS);
	hv->max_vcpus = n > 0 ? (uint32_t)n : 4;
	n = kvm_check_cap(fd, KVM_CAP_MAX_VCPU_ID);
	hv->max_vcpu_id = n > 0 ? (uint32_t)n : hv->max_vcpus;
	hv->max_gsi = (uint32_t)kvm_check_cap(fd, KVM_CAP_IRQ_ROUTING);
	n = kvm_check_cap(fd, KVM_CAP_NR_MEMSLOTS);
	hv->max_memslots = n > 0 ? (uint32_t)n : 32;
	hv->readonly_mem = kvm_check_cap(fd, KVM_CAP_READONLY_MEM) > 0;
	hv->ioeventfd_any_len =
		kvm_check_cap(fd, KVM_CAP_IOEVENTFD_ANY_LENGTH) > 0;
	if (h->kick_signo <= 0)
		kvm_warn(hv,
			 "no kick signal: kicks cannot stop a running vCPU");
	kvm_debug(hv, "opened: max_vcpus %u, max_gsi %u, memslots %u",
		  hv->max_vcpus, hv->max_gsi, hv->max_memslots);
	*out = hv;
	return 0;
}

static void kvm_close(struct hv *hv)
{
	if (!hv)
		return;
	if (hv->nr_vms)
		kvm_err(hv, "close with %u VMs alive", hv->nr_vms);
	close(hv->kvm_fd);
	free(hv);
}

static int kvm_get_caps(struct hv *hv, struct hv_caps *caps)
{
	int fd = hv->kvm_fd;

	memset(caps, 0, sizeof(*caps));
	/* KVM_GET_DIRTY_LOG and PIO ioeventfds are part of the base API. */
	caps->flags = HV_CAP_DIRTY_LOG | HV_CAP_IRQ_LINE;
	if (kvm_check_cap(fd, KVM_CAP_IRQFD))
		caps->flags |= HV_CAP_IRQFD;
	if (kvm_check_cap(fd, KVM_CAP_IOEVENTFD))
		caps->flags |= HV_CAP_IOEVENTFD | HV_CAP_PIO_IOEVENTFD;
	if (hv->max_gsi)
		caps->flags |= HV_CAP_MSI_ROUTES;
	if (kvm_check_cap(fd, KVM_CAP_SPLIT_IRQCHIP))
		caps->flags |= HV_CAP_SPLIT_IRQCHIP;
	if (kvm_check_cap(fd, KVM_CAP_SIGNAL_MSI))
		caps->flags |= HV_CAP_SIGNAL_MSI;
#if defined(__aarch64__)
	/* The in-kernel vGICv3 (+ITS) is what kvm_aarch64.c drives; KVM
	 * reports it only per VM, so probing is left to irqchip_create. */
	caps->flags |= HV_CAP_GICV3;
#endif
	caps->max_vcpus = hv->max_vcpus;
	caps->max_gsi = hv->max_gsi;
	caps->ipa_bits = kvm_arch_ipa_bits(hv);
	return 0;
}

static int kvm_get_ioctl_allowlist(struct hv *hv, const unsigned long **cmds,
				   size_t *n)
{
	*cmds = kvm_ioctl_allowlist;
	*n = sizeof(kvm_ioctl_allowlist) / sizeof(kvm_ioctl_allowlist[0]);
	return 0;
}

/* --- VM ------------------------------------------------------------------ */

static int kvm_vm_create(struct hv *hv, const struct hv_vm_config *cfg,
			 struct hv_vm **out)
{
	struct hv_vm *vm;
	int ret;

	if (!cfg || cfg->size < offsetof(struct hv_vm_config, mem_size))
		return -EINVAL;
	if (cfg->nr_vcpus > hv->max_vcpus) {
		kvm_err(hv, "%u vCPUs requested, KVM allows %u", cfg->nr_vcpus,
			hv->max_vcpus);
		return -EINVAL;
	}
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->hv = hv;
	ret = kvm_ioctl(hv->kvm_fd, KVM_CREATE_VM, 0);
	if (ret < 0) {
		kvm_err(hv, "KVM_CREATE_VM: %s", strerror(-ret));
		goto err_free;
	}
	vm->fd = ret;
	ret = kvm_arch_vm_init(vm, cfg);
	if (ret < 0)
		goto err_close;
	hv->nr_vms++;
	*out = vm;
	return 0;

err_close:
	close(vm->fd);
err_free:
	free(vm);
	return ret;
}

static void kvm_vm_destroy(struct hv_vm *vm)
{
	uint32_t i;

	if (!vm)
		return;
	if (vm->nr_vcpus)
		kvm_err(vm->hv, "VM destroyed with %u vCPUs alive",
			vm->nr_vcpus);
	for (i = 0; i < vm->nr_slots; i++)
		free(vm->slots[i].dirty);
	free(vm->slots);
#if defined(__aarch64__)
	kvm_a64_vm_fini(vm);
#endif
	close(vm->fd);
	vm->hv->nr_vms--;
	free(vm);
}

/* --- interrupts ---------------------------------------------------------- */

#if !defined(__aarch64__)
static int kvm_irqchip_create(struct hv_vm *vm,
			      const struct hv_irqchip_config *cfg)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP };
	int ret;

	if (!cfg || cfg->size < offsetof(struct hv_irqchip_config, reserved))
		return -EINVAL;
	if (cfg->model != HV_IRQCHIP_X86_SPLIT)
		return -EOPNOTSUPP;
	if (vm->irqchip)
		return -EEXIST;
	if (vm->vcpus_created)
		return -EBUSY;
	if (!cfg->nr_pins || cfg->nr_pins > vm->hv->max_gsi)
		return -EINVAL;
	/* args[0]: GSIs [0, nr_pins) are reserved for the userspace IOAPIC,
	 * whose level-triggered routes then report EOIs to us. */
	cap.args[0] = cfg->nr_pins;
	ret = kvm_ioctl(vm->fd, KVM_ENABLE_CAP, &cap);
	if (ret < 0) {
		kvm_err(vm->hv, "split irqchip: %s", strerror(-ret));
		return ret;
	}
	vm->irqchip = true;
	return 0;
}

static int kvm_irqchip_finalize(struct hv_vm *vm)
{
	return 0; /* nothing to finish for the x86 split irqchip */
}

static int kvm_irq_line(struct hv_vm *vm, uint32_t gsi, int level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = level ? 1 : 0 };

	if (!vm->irqchip)
		return -ENXIO;
	return kvm_ioctl(vm->fd, KVM_IRQ_LINE, &irq);
}
#endif /* aarch64: kvm_aarch64.c has the vGICv3 versions */

static int kvm_set_irqfd(struct hv_vm *vm, int efd, uint32_t gsi,
			 int resample_efd, int assign)
{
	struct kvm_irqfd req = { .fd = (uint32_t)efd, .gsi = gsi };
	int ret;

	if (efd < 0 || gsi >= vm->hv->max_gsi)
		return -EINVAL;
#if defined(__aarch64__)
	ret = kvm_a64_irqfd_early(vm, efd, gsi, resample_efd, assign);
	if (ret <= 0)
		return ret;
#endif
	/* KVM refuses resample fds with the split irqchip (-EINVAL): level
	 * pins there use level MSI routes below nr_pins and HV_EXIT_EOI. */
	if (!assign) {
		req.flags = KVM_IRQFD_FLAG_DEASSIGN;
	} else if (resample_efd >= 0) {
		req.flags = KVM_IRQFD_FLAG_RESAMPLE;
		req.resamplefd = (uint32_t)resample_efd;
	}
	ret = kvm_ioctl(vm->fd, KVM_IRQFD, &req);
	if (ret < 0)
		kvm_debug(vm->hv, "irqfd %s fd %d gsi %u: %s",
			  assign ? "assign" : "deassign", efd, gsi,
			  strerror(-ret));
	return ret < 0 ? ret : 0;
}

static int kvm_set_ioeventfd(struct hv_vm *vm, const struct hv_ioeventfd *ioe,
			     int assign)
{
	struct kvm_ioeventfd req = { 0 };
	int ret;

	if (!ioe || ioe->fd < 0)
		return -EINVAL;
	if (ioe->len != 0 && ioe->len != 1 && ioe->len != 2 && ioe->len != 4 &&
	    ioe->len != 8)
		return -EINVAL;
	if (!ioe->len && (ioe->has_datamatch || !vm->hv->ioeventfd_any_len))
		return -EINVAL;
	if (ioe->has_datamatch && ioe->len < 8 &&
	    (ioe->datamatch >> (ioe->len * 8)))
		return -EINVAL;
	if (ioe->space == HV_IO_PIO) {
		if (ioe->addr > 0xffff || ioe->addr + ioe->len > 0x10000)
			return -EINVAL;
		req.flags |= KVM_IOEVENTFD_FLAG_PIO;
	} else if (ioe->space != HV_IO_MMIO) {
		return -EINVAL;
	}
	req.addr = ioe->addr;
	req.len = ioe->len;
	req.fd = ioe->fd;
	if (ioe->has_datamatch) {
		req.flags |= KVM_IOEVENTFD_FLAG_DATAMATCH;
		req.datamatch = ioe->datamatch;
	}
	if (!assign)
		req.flags |= KVM_IOEVENTFD_FLAG_DEASSIGN;
	ret = kvm_ioctl(vm->fd, KVM_IOEVENTFD, &req);
	if (ret < 0)
		kvm_debug(vm->hv, "ioeventfd %s %s %#llx: %s",
			  assign ? "assign" : "deassign",
			  ioe->space == HV_IO_PIO ? "pio" : "mmio",
			  (unsigned long long)ioe->addr, strerror(-ret));
	return ret < 0 ? ret : 0;
}

/* Replace KVM's whole GSI routing table.  The MSI device id is passed only
 * when the VM has an ITS (aarch64); x86 has none. */
static int kvm_set_routes(struct hv_vm *vm, const struct hv_route *r,
			  uint32_t n)
{
	struct kvm_irq_routing_entry *e;
	struct kvm_irq_routing *tbl;
	uint32_t i;
	int ret;

	if (n > vm->hv->max_gsi || (n && !r))
		return -EINVAL;
	tbl = calloc(1, sizeof(*tbl) + (size_t)n * sizeof(*e));
	if (!tbl)
		return -ENOMEM;
	tbl->nr = n;
	for (i = 0; i < n; i++) {
		e = &tbl->entries[i];
		if (r[i].gsi >= vm->hv->max_gsi) {
			ret = -EINVAL;
			goto out;
		}
		e->gsi = r[i].gsi;
		switch (r[i].type) {
		case HV_ROUTE_MSI:
			e->type = KVM_IRQ_ROUTING_MSI;
			e->u.msi.address_lo = (uint32_t)r[i].u.msi.addr;
			e->u.msi.address_hi = (uint32_t)(r[i].u.msi.addr >> 32);
			e->u.msi.data = r[i].u.msi.data;
			if (vm->msi_devid) {
				e->flags = KVM_MSI_VALID_DEVID;
				e->u.msi.devid = r[i].u.msi.devid;
			}
			break;
		case HV_ROUTE_IRQCHIP:
			e->type = KVM_IRQ_ROUTING_IRQCHIP;
			e->u.irqchip.irqchip = r[i].u.irqchip.chip;
			e->u.irqchip.pin = r[i].u.irqchip.pin;
			break;
		default:
			ret = -EINVAL;
			goto out;
		}
	}
	ret = kvm_ioctl(vm->fd, KVM_SET_GSI_ROUTING, tbl);
	if (ret < 0)
		kvm_err(vm->hv, "KVM_SET_GSI_ROUTING (%u entries): %s", n,
			strerror(-ret));
out:
	free(tbl);
	return ret < 0 ? ret : 0;
}

static int kvm_signal_msi(struct hv_vm *vm, uint64_t addr, uint32_t data,
			  uint32_t devid)
{
	struct kvm_msi msi = {
		.address_lo = (uint32_t)addr,
		.address_hi = (uint32_t)(addr >> 32),
		.data = data,
	};
	int ret;

	if (vm->msi_devid) {
		msi.flags = KVM_MSI_VALID_DEVID;
		msi.devid = devid;
	}
	/* > 0 delivered, 0 blocked by the guest (still a success). */
	ret = kvm_ioctl(vm->fd, KVM_SIGNAL_MSI, &msi);
	return ret < 0 ? ret : 0;
}

/* --- descriptor ---------------------------------------------------------- */

static const struct hv_ops kvm_ops = {
	.size = sizeof(struct hv_ops),
	.probe = kvm_probe,
	.open = kvm_open,
	.close = kvm_close,
	.get_caps = kvm_get_caps,
	.get_ioctl_allowlist = kvm_get_ioctl_allowlist,
	.vm_create = kvm_vm_create,
	.vm_destroy = kvm_vm_destroy,
	.map_memory = kvm_map_memory,
	.unmap_memory = kvm_unmap_memory,
	.dirty_log_enable = kvm_dirty_log_enable,
	.dirty_log_fetch = kvm_dirty_log_fetch,
#if defined(__aarch64__)
	.irqchip_create = kvm_a64_irqchip_create,
	.irqchip_finalize = kvm_a64_irqchip_finalize,
	.irq_line = kvm_a64_irq_line,
#else
	.irqchip_create = kvm_irqchip_create,
	.irqchip_finalize = kvm_irqchip_finalize,
	.irq_line = kvm_irq_line,
#endif
	.irqfd = kvm_set_irqfd,
	.ioeventfd = kvm_set_ioeventfd,
	.set_routes = kvm_set_routes,
	.signal_msi = kvm_signal_msi,
	.vcpu_create = kvm_vcpu_create,
	.vcpu_destroy = kvm_vcpu_destroy,
	.vcpu_run = kvm_vcpu_run,
	.vcpu_kick = kvm_vcpu_kick,
	.vcpu_get_regs = kvm_vcpu_get_regs,
	.vcpu_set_regs = kvm_vcpu_set_regs,
	.vcpu_get_reg = kvm_vcpu_get_reg,
	.vcpu_set_reg = kvm_vcpu_set_reg,
};

PLUGIN_EXPORT const struct plugin_desc nimbus_plugin_desc = {
	.magic = PLUGIN_MAGIC,
	.kind = PLUGIN_HV,
	.abi_major = HV_ABI_MAJOR,
	.abi_minor = HV_ABI_MINOR,
	.desc_size = sizeof(struct plugin_desc),
	.name = "kvm",
	.build_id = NIMBUS_VERSION,
	.ops = &kvm_ops,
};
