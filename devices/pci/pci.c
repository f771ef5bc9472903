// SPDX-License-Identifier: Apache-2.0
/*
 * pci.c - PCI segment 0, bus 0: config space, BARs and capabilities.
 *
 * Register layout and semantics follow the PCI Local Bus spec 3.0 (type-0
 * header, BAR encoding, command/status bits, capability list, configuration
 * mechanism #1) and the PCIe base spec (ECAM: base + bus<<20 | dev<<15 |
 * fn<<12 | reg).  Only function 0 of each slot exists.
 *
 * Host bridge at 00:00.0: vendor 0x8086 device 0x0d57, class 0x060000, as
 * Cloud Hypervisor presents its virtual PCIe host (a synthetic id, not a
 * real Intel part; OVMF's CloudHv build recognises it).  No BARs, no caps.
 *
 * Decoding model: a BAR is registered on the PIO/MMIO bus only while its
 * decode bit is set and its address lies inside one of the host bridge's
 * windows (the ranges the firmware tables advertise: a real root complex
 * forwards nothing else).  That excludes address 0 and the all-ones sizing
 * pattern; an overlap with another registration (-EEXIST) is refused too.
 * Refused BARs decode nothing and are retried on the next write to the
 * command register or to a BAR of the same device.
 *
 * CONFIG_ADDRESS keeps bit 31 (enable) and bits 23:2 (bus, device,
 * function, dword register); bits 30:24 read as zero, so AMD's extended
 * register bits 27:24 are not supported and CF8/CFC reaches offsets
 * 0-0xff only.  Extended config space 0x100-0xfff exists through ECAM and
 * reads zero (no extended capabilities).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MOD "pci"
#include "devices/pci/pci.h"
#include "vmm/log.h"

/* Type-0 header registers. */
#define PCI_REG_ID 0x00 /* vendor, then device */
#define PCI_REG_COMMAND 0x04
#define PCI_REG_STATUS 0x06
#define PCI_REG_REVISION 0x08 /* then prog-if, subclass, base class */
#define PCI_REG_CACHE_LINE 0x0c
#define PCI_REG_BAR0 0x10
#define PCI_REG_SUBSYS 0x2c /* subsystem vendor, then subsystem id */
#define PCI_REG_CAP_PTR 0x34
#define PCI_REG_INT_LINE 0x3c
#define PCI_CAP_FIRST 0x40
#define PCI_STD_CFG_SIZE 0x100
#define PCI_CAP_MAX 48 /* (0x100 - 0x40) / 4: bounds a list walk */

#define PCI_CMD_IO 0x0001
#define PCI_CMD_MEM 0x0002
#define PCI_CMD_MASTER 0x0004
#define PCI_CMD_INTX_OFF 0x0400
#define PCI_STATUS_CAP_LIST 0x0010
/* Master data parity error, signaled/received target abort, received
 * master abort, signaled system error, detected parity error. */
#define PCI_STATUS_W1C 0xf900

#define PCI_BARF_IO 0x1
#define PCI_BARF_MEM64 0x4
#define PCI_BARF_PREFETCH 0x8
#define PCI_BAR_IO_MAX 256 /* PCI 3.0: at most 256 bytes per I/O BAR */

#define PCI_CA_ENABLE 0x80000000u
#define PCI_CA_MASK 0x80fffffcu /* enable, bus, dev, fn, dword register */

#define PCI_HOST_VENDOR 0x8086
#define PCI_HOST_DEVICE 0x0d57
#define PCI_HOST_CLASS 0x060000

struct pci_bus {
	struct pci_bus_cfg cfg;
	struct pci_dev host;
	struct pci_dev *slot[PCI_MAX_SLOTS]; /* fixed once vCPUs run */
	uint32_t cfg_addr; /* CONFIG_ADDRESS latch, accessed atomically */
	uint64_t next_mmio32, next_mmio64, next_io; /* assignment cursors */
	int cfgio_registered, ecam_registered;
	struct log_rl rl; /* guest-triggered warnings */
};

static uint32_t le_get(const uint8_t *p, uint32_t len)
{
	uint32_t v = 0;

	while (len--)
		v = v << 8 | p[len];
	return v;
}

static void le_put(uint8_t *p, uint32_t len, uint32_t v)
{
	uint32_t i;

	for (i = 0; i < len; i++, v >>= 8)
		p[i] = v & 0xff;
}

static int cfg_len_ok(uint32_t off, uint32_t len)
{
	return (len == 1 || len == 2 || len == 4) && off <= PCI_CFG_SIZE - len;
}

uint32_t pci_cfg_get(const struct pci_dev *d, uint32_t off, uint32_t len)
{
	return cfg_len_ok(off, len) ? le_get(&d->cfg[off], len) : 0;
}

void pci_cfg_set(struct pci_dev *d, uint32_t off, uint32_t len, uint32_t v)
{
	if (cfg_len_ok(off, len))
		le_put(&d->cfg[off], len, v);
}

void pci_dev_init(struct pci_dev *d, const char *name, uint16_t vendor,
		  uint16_t device, uint32_t class_code, uint8_t revision,
		  uint16_t subsys_vendor, uint16_t subsys_id,
		  const struct pci_dev_ops *ops, void *opaque)
{
	memset(d, 0, sizeof(*d));
	pthread_mutex_init(&d->lock, NULL);
	d->name = name;
	d->ops = ops;
	d->opaque = opaque;
	d->cap_next = PCI_CAP_FIRST;
	pci_cfg_set(d, PCI_REG_ID, 4, (uint32_t)device << 16 | vendor);
	pci_cfg_set(d, PCI_REG_REVISION, 4,
		    (class_code & 0xffffff) << 8 | revision);
	pci_cfg_set(d, PCI_REG_SUBSYS, 4,
		    (uint32_t)subsys_id << 16 | subsys_vendor);
	/* Header type 0 with bit 7 (multi-function) clear, interrupt pin 0
	 * (no INTx), no expansion ROM: all zero already. */
	le_put(&d->wmask[PCI_REG_COMMAND], 2,
	       PCI_CMD_IO | PCI_CMD_MEM | PCI_CMD_MASTER | PCI_CMD_INTX_OFF);
	le_put(&d->w1cmask[PCI_REG_STATUS], 2, PCI_STATUS_W1C);
	d->wmask[PCI_REG_CACHE_LINE] = 0xff; /* no effect, OS scratch */
	d->wmask[PCI_REG_INT_LINE] = 0xff;
}

static int bar_slot_used(const struct pci_dev *d, unsigned int idx)
{
	return d->bar[idx].type != PCI_BAR_NONE ||
	       (idx > 0 && d->bar[idx - 1].type == PCI_BAR_MEM64);
}

int pci_dev_set_bar(struct pci_dev *d, unsigned int idx, uint32_t type,
		    int prefetch, uint64_t size, const struct io_ops *ops,
		    void *opaque)
{
	uint32_t off = PCI_REG_BAR0 + 4 * idx, flags;
	uint64_t mask;

	if (idx >= PCI_NUM_BARS || !ops || !size || (size & (size - 1)) ||
	    d->bus || bar_slot_used(d, idx))
		return -EINVAL;
	mask = ~(size - 1);
	switch (type) {
	case PCI_BAR_IO:
		if (size < 4 || size > PCI_BAR_IO_MAX)
			return -EINVAL;
		prefetch = 0;
		flags = PCI_BARF_IO;
		/* Upper 16 bits hardwired to zero: x86 ports are 16-bit. */
		le_put(&d->wmask[off], 4, mask & 0xfffc);
		break;
	case PCI_BAR_MEM32:
		if (size < 16 || size > 1ull << 31)
			return -EINVAL;
		flags = prefetch ? PCI_BARF_PREFETCH : 0;
		le_put(&d->wmask[off], 4, mask & 0xfffffff0);
		break;
	case PCI_BAR_MEM64:
		if (idx + 1 >= PCI_NUM_BARS || d->bar[idx + 1].type ||
		    size < 16 || size > 1ull << 63)
			return -EINVAL;
		flags = PCI_BARF_MEM64 | (prefetch ? PCI_BARF_PREFETCH : 0);
		le_put(&d->wmask[off], 4, mask & 0xfffffff0);
		le_put(&d->wmask[off + 4], 4, mask >> 32);
		break;
	default:
		return -EINVAL;
	}
	pci_cfg_set(d, off, 4, flags);
	d->bar[idx] = (struct pci_bar){ .type = type,
					.prefetch = !!prefetch,
					.size = size,
					.ops = ops,
					.opaque = opaque };
	return 0;
}

int pci_dev_add_cap(struct pci_dev *d, uint8_t cap_id, uint8_t len,
		    uint8_t *off)
{
	uint32_t at = d->cap_next, link = PCI_REG_CAP_PTR, n = 0;

	if (len < 2)
		return -EINVAL;
	/* cap_next wraps to 0 once the list has reached 0x100. */
	if (at < PCI_CAP_FIRST || at + len > PCI_STD_CFG_SIZE)
		return -ENOSPC;
	while (d->cfg[link] && n++ < PCI_CAP_MAX)
		link = d->cfg[link] + 1;
	d->cfg[at] = cap_id;
	d->cfg[at + 1] = 0;
	d->cfg[link] = at;
	d->cfg[PCI_REG_STATUS] |= PCI_STATUS_CAP_LIST;
	/* Capabilities start on dword boundaries (pointer bits 1:0 = 0). */
	d->cap_next = (at + len + 3) & ~3u; /* 0x100 wraps to 0: full */
	*off = at;
	return 0;
}

/* ---- BAR decoding ------------------------------------------------- */

static struct bus *bar_bus(const struct pci_dev *d, unsigned int i)
{
	return d->bar[i].type == PCI_BAR_IO ? d->bus->cfg.pio :
					      d->bus->cfg.mmio;
}

/* The address in BAR i as `regs` (cfg, or wmask: all address bits set,
 * which is what a sizing write leaves) holds it. */
static uint64_t bar_addr(const struct pci_dev *d, unsigned int i,
			 const uint8_t *regs)
{
	uint32_t off = PCI_REG_BAR0 + 4 * i;
	uint64_t v = le_get(&regs[off], 4);

	v &= d->bar[i].type == PCI_BAR_IO ? ~3ull : ~0xfull;
	if (d->bar[i].type == PCI_BAR_MEM64)
		v |= (uint64_t)le_get(&regs[off + 4], 4) << 32;
	return v;
}

static int in_window(uint64_t addr, uint64_t size, uint64_t base,
		     uint64_t wsize)
{
	return addr >= base && addr - base < wsize &&
	       size <= wsize - (addr - base);
}

/* Whether the host bridge forwards [addr, addr+size) to BAR i. */
static int bar_addr_ok(const struct pci_dev *d, unsigned int i, uint64_t addr)
{
	const struct pci_bus_cfg *c = &d->bus->cfg;
	uint64_t size = d->bar[i].size;
	int ok;

	if (addr == bar_addr(d, i, d->wmask))
		return 0; /* mid-sizing: quietly decode nothing */
	if (!addr)
		ok = 0;
	else if (d->bar[i].type == PCI_BAR_IO)
		ok = in_window(addr, size, c->io_base, c->io_size);
	else
		ok = in_window(addr, size, c->mmio32_base, c->mmio32_size) ||
		     (d->bar[i].type == PCI_BAR_MEM64 &&
		      in_window(addr, size, c->mmio64_base, c->mmio64_size));
	if (!ok)
		log_ratelimited(&d->bus->rl, LOG_WARN,
				"%s BAR%u at %#llx (size %#llx) is zero or "
				"outside the host bridge windows: not decoded",
				d->name, i, (unsigned long long)addr,
				(unsigned long long)size);
	return ok;
}

static void bar_notify(struct pci_dev *d, unsigned int i, uint64_t addr,
		       int mapped)
{
	if (d->ops && d->ops->bar_map)
		d->ops->bar_map(d, i, addr, mapped);
}

static void bar_unmap(struct pci_dev *d, unsigned int i)
{
	struct pci_bar *bar = &d->bar[i];

	if (!bar->mapped)
		return;
	bus_unregister(bar_bus(d, i), bar->addr);
	bar->mapped = 0;
	bar_notify(d, i, bar->addr, 0);
}

/* Bring BAR i's registration in line with the command register and the
 * BAR value.  Device mutex held. */
static void bar_update(struct pci_dev *d, unsigned int i)
{
	struct pci_bar *bar = &d->bar[i];
	struct bus *bus = bar_bus(d, i);
	uint32_t cmd = pci_cfg_get(d, PCI_REG_COMMAND, 2);
	uint64_t addr = bar_addr(d, i, d->cfg);
	int on, ret;

	on = cmd & (bar->type == PCI_BAR_IO ? PCI_CMD_IO : PCI_CMD_MEM);
	if (bar->mapped && on && bar->addr == addr)
		return;
	bar_unmap(d, i);
	if (!on || !bus || !bar_addr_ok(d, i, addr))
		return;
	ret = bus_register(bus, addr, bar->size, bar->ops, bar->opaque,
			   d->name);
	if (ret) {
		log_ratelimited(&d->bus->rl, LOG_WARN,
				"%s BAR%u at %#llx not decoded: %s", d->name, i,
				(unsigned long long)addr, strerror(-ret));
		return;
	}
	bar->addr = addr;
	bar->mapped = 1;
	bar_notify(d, i, addr, 1);
}

/* ---- config accesses ---------------------------------------------- */

static int overlaps(uint32_t off, uint32_t len, uint32_t start, uint32_t n)
{
	return off < start + n && start < off + len;
}

static void cfg_write_locked(struct pci_dev *d, uint32_t off, uint32_t len,
			     const uint8_t *p)
{
	uint32_t i;

	for (i = 0; i < len; i++) {
		uint8_t wm = d->wmask[off + i], w1c = d->w1cmask[off + i];
		uint8_t *c = &d->cfg[off + i];

		*c = ((*c & ~wm) | (p[i] & wm)) & ~(p[i] & w1c);
	}
	if (overlaps(off, len, PCI_REG_COMMAND, 2) ||
	    overlaps(off, len, PCI_REG_BAR0, 4 * PCI_NUM_BARS))
		for (i = 0; i < PCI_NUM_BARS; i++)
			if (d->bar[i].type != PCI_BAR_NONE)
				bar_update(d, i);
	if (d->ops && d->ops->cfg_write)
		d->ops->cfg_write(d, off, len, le_get(p, len));
}

/* What a read of nothing returns; writes to nothing vanish. */
static void answer_ones(void *data, uint32_t len, int write)
{
	if (!write)
		memset(data, 0xff, len);
}

int pci_cfg_rw(struct pci_bus *b, uint8_t devfn, uint32_t off, void *data,
	       uint32_t len, int write)
{
	struct pci_dev *d = (devfn & 7) ? NULL : b->slot[devfn >> 3];

	if (!d || !cfg_len_ok(off, len) || (off & (len - 1))) {
		answer_ones(data, len, write);
		if (!d)
			return -ENODEV; /* ordinary bus enumeration */
		log_ratelimited(&b->rl, LOG_WARN,
				"%02x.%u: bad %u-byte config %s at %#x",
				devfn >> 3, devfn & 7, len,
				write ? "write" : "read", off);
		return -EINVAL;
	}
	pthread_mutex_lock(&d->lock);
	if (write)
		cfg_write_locked(d, off, len, data);
	else
		memcpy(data, &d->cfg[off], len);
	pthread_mutex_unlock(&d->lock);
	return 0;
}

/* CONFIG_ADDRESS at 0xCF8 (offsets 0-3) and CONFIG_DATA at 0xCFC (4-7). */
static int cfgio_rw(struct pci_bus *b, uint64_t off, void *data, uint32_t len,
		    int write)
{
	uint32_t a, port = off - 4;

	if (off < 4) {
		/* Only dword accesses reach CONFIG_ADDRESS; anything else on
		 * 0xCF8-0xCFB is answered as if nobody claimed it. */
		if (off || len != 4) {
			answer_ones(data, len, write);
			return 0;
		}
		if (write)
			__atomic_store_n(&b->cfg_addr,
					 le_get(data, 4) & PCI_CA_MASK,
					 __ATOMIC_RELAXED);
		else
			le_put(data, 4,
			       __atomic_load_n(&b->cfg_addr, __ATOMIC_RELAXED));
		return 0;
	}
	a = __atomic_load_n(&b->cfg_addr, __ATOMIC_RELAXED);
	if (!(a & PCI_CA_ENABLE) || ((a >> 16) & 0xff) || len > 4)
		answer_ones(data, len, write); /* disabled, or not bus 0 */
	else
		pci_cfg_rw(b, (a >> 8) & 0xff, (a & 0xfc) + port, data, len,
			   write);
	return 0;
}

static int cfgio_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	return cfgio_rw(opaque, off, data, len, 0);
}

static int cfgio_write(void *opaque, uint64_t off, const void *data,
		       uint32_t len)
{
	return cfgio_rw(opaque, off, (void *)data, len, 1);
}

static const struct io_ops pci_cfgio_ops = {
	.read = cfgio_read,
	.write = cfgio_write,
};

/* ECAM: the window covers bus 0 only, so off = devfn << 12 | reg. */
static int ecam_read(void *opaque, uint64_t off, void *data, uint32_t len)
{
	pci_cfg_rw(opaque, (off >> 12) & 0xff, off & 0xfff, data, len, 0);
	return 0;
}

static int ecam_write(void *opaque, uint64_t off, const void *data,
		      uint32_t len)
{
	pci_cfg_rw(opaque, (off >> 12) & 0xff, off & 0xfff, (void *)data, len,
		   1);
	return 0;
}

static const struct io_ops pci_ecam_ops = {
	.read = ecam_read,
	.write = ecam_write,
};

/* ---- bus ---------------------------------------------------------- */

/* A window that wraps, or ends above `limit` (0: no limit). */
static int window_bad(uint64_t base, uint64_t size, uint64_t limit)
{
	if (!size)
		return 0;
	if (base + size - 1 < base)
		return 1;
	return limit && base + size > limit;
}

static int cfg_check(const struct pci_bus_cfg *c)
{
	if (!c->pio && !c->mmio)
		return -EINVAL;
	if ((c->ecam_base || c->mmio32_size || c->mmio64_size) && !c->mmio)
		return -EINVAL;
	if (c->io_size && !c->pio)
		return -EINVAL;
	/* ECAM is aligned to its size (1 MiB for one bus). */
	if (c->ecam_base & (PCI_ECAM_BUS_SIZE - 1))
		return -EINVAL;
	if (window_bad(c->mmio32_base, c->mmio32_size, 1ull << 32) ||
	    window_bad(c->mmio64_base, c->mmio64_size, 0) ||
	    window_bad(c->io_base, c->io_size, 0x10000))
		return -EINVAL;
	return 0;
}

int pci_bus_create(const struct pci_bus_cfg *cfg, struct pci_bus **out)
{
	struct pci_bus *b;
	int ret;

	ret = cfg_check(cfg);
	if (ret)
		return ret;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->cfg = *cfg;
	b->next_mmio32 = cfg->mmio32_base;
	b->next_mmio64 = cfg->mmio64_base;
	b->next_io = cfg->io_base;
	pci_dev_init(&b->host, "pci-host", PCI_HOST_VENDOR, PCI_HOST_DEVICE,
		     PCI_HOST_CLASS, 0, 0, 0, NULL, NULL);
	b->host.bus = b;
	b->slot[0] = &b->host;
	if (cfg->pio) {
		ret = bus_register(cfg->pio, PCI_CONFIG_ADDRESS, 8,
				   &pci_cfgio_ops, b, "pci-cf8");
		if (ret)
			goto err_free;
		b->cfgio_registered = 1;
	}
	if (cfg->ecam_base) {
		ret = bus_register(cfg->mmio, cfg->ecam_base, PCI_ECAM_BUS_SIZE,
				   &pci_ecam_ops, b, "pci-ecam");
		if (ret)
			goto err_unregister_cfgio;
		b->ecam_registered = 1;
	}
	*out = b;
	return 0;

err_unregister_cfgio:
	if (b->cfgio_registered)
		bus_unregister(cfg->pio, PCI_CONFIG_ADDRESS);
err_free:
	log_err("cannot register PCI config windows: %s", strerror(-ret));
	pthread_mutex_destroy(&b->host.lock);
	free(b);
	return ret;
}

/* Next naturally aligned `size` bytes in [base, base+wsize) at *next. */
static int window_alloc(uint64_t *next, uint64_t base, uint64_t wsize,
			uint64_t size, uint64_t *addr)
{
	uint64_t a = (*next + size - 1) & ~(size - 1);

	if (!wsize || a < *next || !in_window(a, size, base, wsize))
		return -ENOSPC;
	*addr = a;
	*next = a + size;
	return 0;
}

static int bar_assign(struct pci_bus *b, struct pci_dev *d, uint64_t *mmio32,
		      uint64_t *mmio64, uint64_t *io)
{
	const struct pci_bus_cfg *c = &b->cfg;
	uint64_t addr[PCI_NUM_BARS];
	unsigned int i;
	int ret = 0;

	for (i = 0; i < PCI_NUM_BARS && !ret; i++) {
		uint64_t size = d->bar[i].size;
		uint32_t type = d->bar[i].type;

		if (type == PCI_BAR_IO)
			ret = window_alloc(io, c->io_base, c->io_size, size,
					   &addr[i]);
		else if (type == PCI_BAR_MEM64 && c->mmio64_size)
			ret = window_alloc(mmio64, c->mmio64_base,
					   c->mmio64_size, size, &addr[i]);
		else if (type != PCI_BAR_NONE) /* MEM64: no 64-bit window */
			ret = window_alloc(mmio32, c->mmio32_base,
					   c->mmio32_size, size, &addr[i]);
	}
	if (ret)
		return ret;
	/* Decode bits stay clear: the guest OS turns them on. */
	for (i = 0; i < PCI_NUM_BARS; i++) {
		uint32_t off = PCI_REG_BAR0 + 4 * i;

		if (d->bar[i].type == PCI_BAR_NONE)
			continue;
		pci_cfg_set(d, off, 4, pci_cfg_get(d, off, 4) | addr[i]);
		if (d->bar[i].type == PCI_BAR_MEM64)
			pci_cfg_set(d, off + 4, 4, addr[i] >> 32);
	}
	return 0;
}

int pci_bus_add_dev(struct pci_bus *b, struct pci_dev *d, int slot,
		    uint8_t *devfn)
{
	uint64_t mmio32 = b->next_mmio32, mmio64 = b->next_mmio64;
	uint64_t io = b->next_io;
	int ret;

	if (d->bus || slot >= PCI_MAX_SLOTS)
		return -EINVAL;
	if (slot < 0) {
		for (slot = 1; slot < PCI_MAX_SLOTS && b->slot[slot]; slot++)
			;
		if (slot == PCI_MAX_SLOTS)
			return -ENOSPC;
	} else if (b->slot[slot]) {
		return -EBUSY; /* slot 0 is the host bridge */
	}
	ret = bar_assign(b, d, &mmio32, &mmio64, &io);
	if (ret) {
		log_err("%s: no room for its BARs in the PCI windows", d->name);
		return ret;
	}
	b->next_mmio32 = mmio32;
	b->next_mmio64 = mmio64;
	b->next_io = io;
	d->bus = b;
	d->devfn = slot << 3;
	b->slot[slot] = d;
	*devfn = d->devfn;
	return 0;
}

void pci_bus_destroy(struct pci_bus *b)
{
	unsigned int s, i;

	if (!b)
		return;
	for (s = 0; s < PCI_MAX_SLOTS; s++) {
		struct pci_dev *d = b->slot[s];

		if (!d)
			continue;
		pthread_mutex_lock(&d->lock);
		for (i = 0; i < PCI_NUM_BARS; i++)
			if (d->bar[i].type != PCI_BAR_NONE)
				bar_unmap(d, i);
		d->bus = NULL;
		pthread_mutex_unlock(&d->lock);
	}
	if (b->ecam_registered)
		bus_unregister(b->cfg.mmio, b->cfg.ecam_base);
	if (b->cfgio_registered)
		bus_unregister(b->cfg.pio, PCI_CONFIG_ADDRESS);
	pthread_mutex_destroy(&b->host.lock);
	free(b);
}
