/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hv_fake.h - the fake hypervisor: every op of struct hv_ops, in memory.
 *
 * Unit tests link tests/fakes/hv_fake*.c statically and attach it with
 * plugin_attach(&hv_fake_desc); the same sources also build
 * build/plugins/hv-fake.so (descriptor name "fake") for the loader tests.
 * Nothing here touches /dev/kvm: the fake records what the core asks for
 * (memory map, irqfds, ioeventfds, routes, MSIs, irq lines, irqchip,
 * registers, vCPU config) and plays back exits a test scripted with
 * hv_fake_push_exit().  Tests inspect the records through the accessors
 * below, using the struct hv_vm / struct hv_vcpu handles the core holds
 * (or hv_fake_last_vm()/hv_fake_last_vcpu() when they only hold core
 * objects).
 *
 * Semantics the core can rely on (and that tests check):
 *  - map_memory: gpa, size and hva 4 KiB aligned, size > 0, no wrap, known
 *    flags (else -EINVAL); an overlap with an existing mapping is -EEXIST.
 *    unmap_memory needs the exact gpa (-ENOENT) and size (-EINVAL).
 *  - Config structs (vm, vcpu, irqchip) need cfg->size >= sizeof (-EINVAL).
 *  - vm_create: nr_vcpus 1..caps.max_vcpus.  vcpu_create: id < nr_vcpus,
 *    each id once (-EEXIST).  A split irqchip must be created before the
 *    first vCPU (-EINVAL), irq_line needs an irqchip (-ENXIO).
 *  - irqfd: one binding per eventfd (-EBUSY), gsi < caps.max_gsi;
 *    deassigning an unknown binding is -ENOENT.  ioeventfd: a duplicate
 *    (space, addr, len, datamatch) is -EEXIST, unknown removal -ENOENT.
 *  - set_routes copies the table; the caller's array is not kept.
 *  - Registers: a get returns what was last set; the initial state is the
 *    x86 reset state (rip 0xfff0, rflags 0x2, cs 0xf000 base 0xffff0000,
 *    cr0 0x60000010, apic_base 0xfee00900 for vCPU 0 / 0xfee00800 others).
 *  - vcpu_run: a pending kick first (HV_EXIT_INTR), else the next scripted
 *    exit, else HV_EXIT_SHUTDOWN (or, in blocking mode, it waits for a push
 *    or a kick, up to HV_FAKE_BLOCK_MS, then fails with -ETIMEDOUT).  Read
 *    buffers (MMIO data, PIO data) are pre-filled with HV_FAKE_POISON so a
 *    core that forgets to fill them is caught.  On re-entry the fake
 *    records what the core wrote back (hv_fake_last_read,
 *    hv_fake_last_completion).
 *  - vCPU ops record (but do not refuse) calls from a thread other than the
 *    one that created the vCPU: hv_fake_thread_violations().
 *
 * Thread-safety: every function here may be called from any thread; the
 * VM and each vCPU have their own lock, vcpu_kick is async-signal-safe.
 * Handles passed to accessors must be live (not yet destroyed).
 */
#ifndef NIMBUS_TESTS_HV_FAKE_H
#define NIMBUS_TESTS_HV_FAKE_H

#include <stddef.h>
#include <stdint.h>

#include "hv/hv.h"
#include "hv/hv_x86_64.h"
#include "plugins/plugin.h"

/* Test controls stay reachable when the file is built with
 * -fvisibility=hidden (they are harmless in hv-fake.so). */
#define HV_FAKE_API __attribute__((visibility("default")))

/* The fake's descriptor (also exported as nimbus_plugin_desc). */
extern HV_FAKE_API const struct plugin_desc hv_fake_desc;

/* Fake-only bits in a scripted hv_exit.flags; cleared before the core sees
 * the exit.  HV_FAKE_F_HOST_IO: on an MMIO or PIO exit the fake completes
 * the access itself through host->mmio / host->pio (one call per PIO
 * element) and returns HV_EXIT_NONE, like a backend that emulates
 * internally.  HV_FAKE_F_HOST_RAM: on an MMIO exit the fake calls
 * host->gpa_to_hva(u.mmio.gpa, u.mmio.len) and copies u.mmio.data to guest
 * RAM (write) or guest RAM to the read record (read); returns HV_EXIT_NONE,
 * or vcpu_run fails with -EFAULT when the address is not RAM.  With either
 * flag a negative host result makes vcpu_run return it. */
#define HV_FAKE_F_HOST_IO (1u << 31)
#define HV_FAKE_F_HOST_RAM (1u << 30)

#define HV_FAKE_POISON 0xcc /* fill byte of read buffers */
#define HV_FAKE_PIO_MAX 4096 /* max size * count of a scripted PIO */
#define HV_FAKE_BLOCK_MS 10000 /* blocking vcpu_run gives up after */

struct hv_fake_region {
	uint64_t gpa;
	uint64_t size;
	void *hva;
	uint32_t flags; /* HV_MEM_* as mapped */
	uint32_t dirty_log; /* 1 while dirty logging is on */
};

struct hv_fake_irqfd {
	int fd;
	uint32_t gsi;
	int resample_fd; /* -1 if none */
};

struct hv_fake_msi {
	uint64_t addr;
	uint32_t data;
	uint32_t devid;
};

struct hv_fake_irq_line {
	uint32_t gsi;
	int level;
};

/* --- process-wide test controls (test-only global state) --- */

/* Make the next call of op `op` ("map_memory", "vcpu_run", ... any op
 * returning int) fail with `err` (negative errno) once, before it does
 * anything.  Returns 0, or -EINVAL for an unknown/void op or err >= 0. */
HV_FAKE_API int hv_fake_fail_next(const char *op, int err);
/* Forget every pending injected failure. */
HV_FAKE_API void hv_fake_fail_clear(void);
/* The most recently opened hv / created VM / created vCPU still alive,
 * or NULL. */
HV_FAKE_API struct hv *hv_fake_last_hv(void);
HV_FAKE_API struct hv_vm *hv_fake_last_vm(void);
HV_FAKE_API struct hv_vcpu *hv_fake_last_vcpu(void);

/* --- per hv handle --- */

/* Capabilities reported by later get_caps calls (default: every x86 cap,
 * max_vcpus 64, max_gsi 1024, ipa_bits 48); also bounds vm_create,
 * set_routes and irqfd.  caps NULL restores the default. */
HV_FAKE_API void hv_fake_set_caps(struct hv *hv, const struct hv_caps *caps);

/* --- per VM: each get returns 0, or -ENOENT when idx is out of range --- */

HV_FAKE_API void hv_fake_vm_config(struct hv_vm *vm, struct hv_vm_config *out);
/* vCPU `id` of the VM, or NULL. */
HV_FAKE_API struct hv_vcpu *hv_fake_vm_vcpu(struct hv_vm *vm, uint32_t id);
HV_FAKE_API unsigned int hv_fake_nr_regions(struct hv_vm *vm);
HV_FAKE_API int hv_fake_get_region(struct hv_vm *vm, unsigned int idx,
				   struct hv_fake_region *out);
/* Host address of mapped guest RAM [gpa, gpa+len), or NULL. */
HV_FAKE_API void *hv_fake_gpa_to_hva(struct hv_vm *vm, uint64_t gpa,
				     uint64_t len);
HV_FAKE_API unsigned int hv_fake_nr_irqfds(struct hv_vm *vm);
HV_FAKE_API int hv_fake_get_irqfd(struct hv_vm *vm, unsigned int idx,
				  struct hv_fake_irqfd *out);
/* The binding for `gsi` (first one), 0 or -ENOENT. */
HV_FAKE_API int hv_fake_find_irqfd(struct hv_vm *vm, uint32_t gsi,
				   struct hv_fake_irqfd *out);
HV_FAKE_API unsigned int hv_fake_nr_ioeventfds(struct hv_vm *vm);
HV_FAKE_API int hv_fake_get_ioeventfd(struct hv_vm *vm, unsigned int idx,
				      struct hv_ioeventfd *out);
/* Copy of the last set_routes table: up to `cap` entries into out, the
 * table length into *n.  *calls (may be NULL) = number of set_routes. */
HV_FAKE_API void hv_fake_get_routes(struct hv_vm *vm, struct hv_route *out,
				    uint32_t cap, uint32_t *n,
				    unsigned int *calls);
/* signal_msi and irq_line calls, in order. */
HV_FAKE_API unsigned int hv_fake_nr_msis(struct hv_vm *vm);
HV_FAKE_API int hv_fake_get_msi(struct hv_vm *vm, unsigned int idx,
				struct hv_fake_msi *out);
HV_FAKE_API unsigned int hv_fake_nr_irq_lines(struct hv_vm *vm);
HV_FAKE_API int hv_fake_get_irq_line(struct hv_vm *vm, unsigned int idx,
				     struct hv_fake_irq_line *out);
/* Forget the signal_msi and irq_line records. */
HV_FAKE_API void hv_fake_clear_events(struct hv_vm *vm);
/* Irqchip config as created; *finalized (may be NULL) 0/1.  -ENOENT if
 * irqchip_create was not called. */
HV_FAKE_API int hv_fake_get_irqchip(struct hv_vm *vm,
				    struct hv_irqchip_config *out,
				    int *finalized);
/* Script the dirty log: mark the 4 KiB page holding gpa dirty.  It shows
 * in dirty_log_fetch until fetched with HV_DIRTY_CLEAR.  0 or -ENOMEM. */
HV_FAKE_API int hv_fake_mark_dirty(struct hv_vm *vm, uint64_t gpa);

/* --- per vCPU --- */

/* Queue an exit for vcpu_run (copied; for a PIO exit size*count bytes of
 * u.pio.data are copied too when it is a write and data is non-NULL).
 * 0, -EINVAL (size*count > HV_FAKE_PIO_MAX) or -ENOMEM.  Wakes a blocked
 * vcpu_run. */
HV_FAKE_API int hv_fake_push_exit(struct hv_vcpu *vcpu,
				  const struct hv_exit *exit);
/* Scripted exits not yet consumed. */
HV_FAKE_API unsigned int hv_fake_nr_queued(struct hv_vcpu *vcpu);
/* Blocking mode: with an empty queue vcpu_run waits for a push or a kick
 * instead of returning HV_EXIT_SHUTDOWN. */
HV_FAKE_API void hv_fake_set_blocking(struct hv_vcpu *vcpu, int on);
/*
 * Data the core supplied for the most recent MMIO read or PIO IN exit,
 * captured when it called vcpu_run again (or filled by host->mmio/pio or
 * guest RAM for HV_FAKE_F_HOST_* exits).  *len: in, capacity of buf; out,
 * bytes recorded.  0; -ENOENT if no read was completed since the last read
 * exit was handed out; -ENOSPC if buf is too small (nothing copied, *len
 * set to the size needed).
 */
HV_FAKE_API int hv_fake_last_read(struct hv_vcpu *vcpu, uint8_t *buf,
				  uint32_t *len);
/* The hv_exit as the core passed it back on the vcpu_run that followed the
 * last scripted exit (hypercall ret[], msr value/error ...; u.pio.data is
 * NULL in the copy).  0 or -ENOENT. */
HV_FAKE_API int hv_fake_last_completion(struct hv_vcpu *vcpu,
					struct hv_exit *out);
/* Result of the last HV_FAKE_F_HOST_* exit: host callback return value
 * and, for HV_FAKE_F_HOST_RAM, the host address gpa_to_hva gave. */
HV_FAKE_API void hv_fake_last_host(struct hv_vcpu *vcpu, int *ret, void **hva);
/* vcpu_run calls so far that returned an exit. */
HV_FAKE_API unsigned int hv_fake_nr_runs(struct hv_vcpu *vcpu);
/* 1 if a kick is pending (not yet consumed by vcpu_run). */
HV_FAKE_API int hv_fake_kick_pending(struct hv_vcpu *vcpu);
HV_FAKE_API uint32_t hv_fake_vcpu_id(struct hv_vcpu *vcpu);
HV_FAKE_API void hv_fake_vcpu_config(struct hv_vcpu *vcpu,
				     struct hv_vcpu_config *out);
HV_FAKE_API void *hv_fake_vcpu_cookie(struct hv_vcpu *vcpu);
/* vCPU ops called on a thread other than the vCPU's own. */
HV_FAKE_API unsigned int hv_fake_thread_violations(struct hv_vcpu *vcpu);

#endif /* NIMBUS_TESTS_HV_FAKE_H */
