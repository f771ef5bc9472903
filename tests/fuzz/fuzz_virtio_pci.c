// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_virtio_pci.c - the virtio-pci transport (devices/virtio/
 * virtio_pci.c, virtio_pci_regs.c, devices/pci/msix.c) under guest
 * accesses: BAR 0 (common config, ISR, device config, notify, MSI-X table
 * and PBA) and the PCI config space (capabilities, the config-access
 * window), with a virtio-rng, -console or -blk device behind it.
 *
 * The harness maps BAR 0 first (as firmware would) so inputs start from a
 * decoded device; the guest can move or disable it like any other
 * register.  The worker threads are not started: kicks land in their
 * eventfds, and device queues are the device targets' business.  The
 * platform checks the transport's use of it: ioeventfds of 2 bytes,
 * never assigned twice, all gone once the bus is; vectors asked once.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/irq.h"
#include "devices/pci/pci.h"
#include "devices/virtio/virtio.h"
#include "devices/virtio/virtio_blk.h"
#include "devices/virtio/virtio_console.h"
#include "devices/virtio/virtio_pci.h"
#include "devices/virtio/virtio_rng.h"
#include "tests/fuzz/fuzz.h"

#define ECAM 0xe0000000ull
#define MMIO32 0xc0000000ull
#define MMIO64 0x100000000ull
#define BAR0 0xc0000000ull
#define MAX_VEC (VIRTIO_MAX_QUEUES + 1)
#define MAX_IOEV 128

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fz_ram ram;
static char disk_path[64];

struct plat {
	int efd[MAX_VEC];
	uint16_t nvec;
	int vec_calls;
	uint64_t ioev_addr[MAX_IOEV];
	int ioev_fd[MAX_IOEV];
	unsigned int nioev;
};

static int alloc_vectors(void *opaque, uint16_t n, uint32_t *gsi_base,
			 int *efds)
{
	struct plat *p = opaque;

	FUZZ_CHECK(!p->vec_calls++ && n && n <= MAX_VEC);
	for (uint16_t i = 0; i < n; i++) {
		p->efd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (p->efd[i] < 0)
			abort();
		efds[i] = p->efd[i];
	}
	p->nvec = n;
	*gsi_base = 24;
	return 0;
}

static int ioeventfd(void *opaque, uint64_t addr, uint32_t len, int fd,
		     int assign)
{
	struct plat *p = opaque;
	unsigned int i;

	FUZZ_CHECK(len == 2);
	for (i = 0; i < p->nioev; i++)
		if (p->ioev_addr[i] == addr)
			break;
	if (assign) {
		FUZZ_CHECK(i == p->nioev && p->nioev < MAX_IOEV);
		p->ioev_addr[p->nioev] = addr;
		p->ioev_fd[p->nioev++] = fd;
		return 0;
	}
	FUZZ_CHECK(i < p->nioev && p->ioev_fd[i] == fd);
	p->ioev_addr[i] = p->ioev_addr[--p->nioev];
	p->ioev_fd[i] = p->ioev_fd[p->nioev];
	return 0;
}

static int route_set(void *opaque, uint32_t gsi, uint64_t addr, uint32_t data)
{
	struct plat *p = opaque;

	FUZZ_CHECK(gsi >= 24 && gsi < 24u + p->nvec);
	return 0;
}

static int route_clear(void *opaque, uint32_t gsi)
{
	struct plat *p = opaque;

	FUZZ_CHECK(gsi >= 24 && gsi < 24u + p->nvec);
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const uint8_t zero[65536];

	fuzz_quiet_log();
	if (fz_ram_init(&ram, 0, 1 << 20) ||
	    fz_memfd("fuzz-disk", zero, sizeof(zero), disk_path) < 0)
		abort();
	return 0;
}

/* Model selection: 0 rng, 1 console, 2 blk (two queues). */
static int make_model(int kind, void **dev, const struct virtio_dev_info **info,
		      const struct virtio_dev_ops **ops)
{
	struct vblk_cfg bcfg = { .path = disk_path,
				 .num_queues = 2,
				 .io_engine = BLK_ENGINE_SYNC };
	struct vcon_cfg ccfg = { 0 };

	switch (kind) {
	case 0:
		*info = vrng_info();
		*ops = vrng_ops();
		return vrng_create("/dev/zero", (struct vrng **)dev);
	case 1:
		if (vcon_create(&ccfg, (struct vcon **)dev))
			return -1;
		*info = vcon_info(*dev);
		*ops = vcon_ops();
		return 0;
	default:
		if (vblk_create(&bcfg, (struct vblk **)dev, NULL, 0))
			return -1;
		*info = vblk_info(*dev);
		*ops = vblk_ops();
		return 0;
	}
}

static void destroy_model(int kind, void *dev)
{
	if (kind == 0)
		vrng_destroy(dev);
	else if (kind == 1)
		vcon_destroy(dev);
	else
		vblk_destroy(dev);
}

static void run_ops(struct fz *f, struct bus *mmio, struct pci_bus *pb,
		    uint8_t devfn, uint64_t bar_size)
{
	for (unsigned int n = 0; f->n && n < 2048; n++) {
		uint8_t op = fz_u8(f), buf[8];
		uint32_t len = 1u << ((op >> 1) & 3);
		int write = op & 1;

		if (write)
			fz_take(f, buf, len);
		switch ((op >> 3) & 3) {
		case 0:
		case 1: /* BAR 0 where the harness put it (and a bit past) */
			bus_access(mmio, BAR0 + fz_u16(f) % (bar_size + 64),
				   buf, len, write);
			break;
		case 2: /* config space, as the guest's ECAM accesses */
			bus_access(mmio,
				   ECAM + ((uint64_t)devfn << 12) +
					   fz_u16(f) % PCI_CFG_SIZE,
				   buf, len, write);
			break;
		default: /* wherever the guest moved BAR 0 */
			bus_access(mmio, MMIO32 + fz_u32(f) % (1u << 24), buf,
				   len, write);
			break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct plat p = { 0 };
	struct msi_router router = { route_set, route_clear, &p };
	struct virtio_pci_host host = {
		.mem = &ram.mem,
		.router = &router,
		.alloc_vectors = alloc_vectors,
		.ioeventfd = ioeventfd,
		.opaque = &p,
	};
	struct pci_bus_cfg pc = {
		.ecam_base = ECAM,
		.mmio32_base = MMIO32,
		.mmio32_size = 0x20000000ull,
		.mmio64_base = MMIO64,
		.mmio64_size = 0x100000000ull,
	};
	const struct virtio_dev_info *info;
	const struct virtio_dev_ops *ops;
	struct virtio_dev *vd;
	struct pci_bus *pb;
	struct pci_dev *pd;
	struct bus pio, mmio;
	uint32_t v;
	uint8_t devfn;
	void *dev;
	struct fz f;
	int kind;

	fz_init(&f, data, size);
	kind = fz_u8(&f) % 3;
	if (bus_init(&pio, "pio") || bus_init(&mmio, "mmio"))
		abort();
	pc.pio = &pio;
	pc.mmio = &mmio;
	if (pci_bus_create(&pc, &pb) || make_model(kind, &dev, &info, &ops))
		abort();
	if (virtio_pci_create(info, ops, dev, &host, &vd))
		abort();
	pd = virtio_pci_dev(vd);
	if (pci_bus_add_dev(pb, pd, -1, &devfn))
		abort();
	/* Firmware: BAR 0 at BAR0, memory decoding and bus mastering on. */
	v = (uint32_t)BAR0 | 4; /* 64-bit */
	pci_cfg_rw(pb, devfn, 0x10, &v, 4, 1);
	v = 0;
	pci_cfg_rw(pb, devfn, 0x14, &v, 4, 1);
	v = 0x6;
	pci_cfg_rw(pb, devfn, 0x04, &v, 2, 1);
	memset(ram.host, 0, 0x10000);
	run_ops(&f, &mmio, pb, devfn, pd->bar[0].size);

	pci_bus_destroy(pb);
	FUZZ_CHECK(p.nioev == 0);
	virtio_pci_destroy(vd);
	destroy_model(kind, dev);
	for (uint16_t i = 0; i < p.nvec; i++)
		close(p.efd[i]);
	bus_destroy(&pio);
	bus_destroy(&mmio);
	return 0;
}
