/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_mshv_fx.h - the fixture shared by the MSHV plugin's unit tests
 * (test_mshv_*.c; header-only: each test binary includes it once).
 *
 * The plugin runs on the scripted fake /dev/mshv (tests/fakes/
 * mshv_script.h) and is driven only through a struct hv_ops built with
 * MSHV_HV_OPS_INIT(), as the VMM drives hv-mshv.so.  The hv_host
 * callbacks give the plugin 2 MiB of guest RAM at GPA 0 and record every
 * MMIO and port access (reads return fx->io_read's bytes).  mfx_free()
 * checks that no fd is left open and that the fake saw no ABI violation.
 */
#ifndef NIMBUS_TESTS_MSHV_FX_H
#define NIMBUS_TESTS_MSHV_FX_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hv/hv.h"
#include "hv/hv_x86_64.h"
#include "hv/mshv/mshv_abi.h"
#include "hv/mshv/mshv_sys.h"
#include "tests/fakes/mshv_script.h"

#define MFX_RAM_SIZE (2u << 20)
#define MFX_MAX_IO 32

struct mfx_io {
	uint64_t addr; /* GPA or port */
	uint32_t len;
	int write;
	uint8_t data[8];
};

struct mfx {
	struct mshv_script *s;
	struct hv_host host;
	const struct hv_ops *ops;
	struct hv *hv;
	struct hv_vm *vm;
	struct hv_vcpu *vcpu;
	uint8_t *ram;
	struct mfx_io mmio[MFX_MAX_IO], pio[MFX_MAX_IO];
	unsigned int nr_mmio, nr_pio;
	uint64_t io_read; /* bytes returned by MMIO and port reads */
	int host_ret; /* result of the mmio/pio callbacks */
};

/* The fake the ops table's probe/open use, and the last log line. */
static struct mshv_script *mfx_cur;
static char mfx_log[512];
static unsigned int mfx_logs;

static void mfx_host_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(mfx_log, sizeof(mfx_log), fmt, ap);
	va_end(ap);
	mfx_logs++;
}

static void mfx_record(struct mfx_io *log, unsigned int *nr, uint64_t addr,
		       void *data, uint32_t len, int write, uint64_t rd)
{
	struct mfx_io *e = &log[*nr % MFX_MAX_IO];

	(*nr)++;
	memset(e, 0, sizeof(*e));
	e->addr = addr;
	e->len = len;
	e->write = write;
	if (write)
		memcpy(e->data, data, len > 8 ? 8 : len);
	else
		memcpy(data, &rd, len > 8 ? 8 : len);
}

static int mfx_host_mmio(void *cookie, uint64_t gpa, void *data, uint32_t len,
			 int write)
{
	struct mfx *f = cookie;

	assert_true(len >= 1 && len <= 8);
	mfx_record(f->mmio, &f->nr_mmio, gpa, data, len, write, f->io_read);
	return f->host_ret;
}

static int mfx_host_pio(void *cookie, uint16_t port, void *data, uint32_t len,
			int write)
{
	struct mfx *f = cookie;

	mfx_record(f->pio, &f->nr_pio, port, data, len, write, f->io_read);
	return f->host_ret;
}

static void *mfx_host_gpa_to_hva(void *cookie, uint64_t gpa, uint64_t len)
{
	struct mfx *f = cookie;

	if (gpa >= MFX_RAM_SIZE || len > MFX_RAM_SIZE - gpa)
		return NULL;
	return f->ram + gpa;
}

static int mfx_probe(const struct hv_host *h)
{
	return mshv_probe_with_sys(h, mshv_script_sys(mfx_cur));
}

static int mfx_open(const struct hv_host *h, struct hv **out)
{
	return mshv_open_with_sys(h, mshv_script_sys(mfx_cur), out);
}

static const struct hv_ops mfx_ops = MSHV_HV_OPS_INIT(mfx_probe, mfx_open);

/* A fake and a host table, nothing opened. */
static inline struct mfx *mfx_new(void)
{
	struct mfx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(mshv_script_new(&f->s), 0);
	mfx_cur = f->s;
	mfx_logs = 0;
	mfx_log[0] = '\0';
	f->ops = &mfx_ops;
	f->host = (struct hv_host){ .abi_major = HV_ABI_MAJOR,
				    .abi_minor = HV_ABI_MINOR,
				    .size = sizeof(f->host),
				    .kick_signo = 0,
				    .log = mfx_host_log,
				    .mmio = mfx_host_mmio,
				    .pio = mfx_host_pio,
				    .gpa_to_hva = mfx_host_gpa_to_hva };
	f->ram = aligned_alloc(4096, MFX_RAM_SIZE);
	assert_non_null(f->ram);
	memset(f->ram, 0, MFX_RAM_SIZE);
	f->io_read = 0x8877665544332211ull;
	return f;
}

static inline void mfx_open_hv(struct mfx *f)
{
	assert_int_equal(f->ops->open(&f->host, &f->hv), 0);
}

/* hv opened, an x86 VM with nr vCPUs, the split irqchip and RAM mapped. */
static inline void mfx_vm(struct mfx *f, uint32_t nr)
{
	struct hv_vm_config vc = { .size = sizeof(vc),
				   .arch = HV_ARCH_X86_64,
				   .nr_vcpus = nr };
	struct hv_irqchip_config ic = { .size = sizeof(ic),
					.model = HV_IRQCHIP_X86_SPLIT,
					.nr_pins = 24 };

	mfx_open_hv(f);
	assert_int_equal(f->ops->vm_create(f->hv, &vc, &f->vm), 0);
	assert_int_equal(f->ops->irqchip_create(f->vm, &ic), 0);
	assert_int_equal(f->ops->map_memory(f->vm, 0, MFX_RAM_SIZE, f->ram,
					    HV_MEM_READ | HV_MEM_WRITE |
						    HV_MEM_EXEC),
			 0);
}

static inline struct hv_vcpu *mfx_vcpu_new(struct mfx *f, uint32_t id)
{
	struct hv_vcpu_config cc = { .size = sizeof(cc),
				     .nr_vcpus = 2,
				     .apic_id = id,
				     .threads_per_core = 1,
				     .cores_per_die = 2 };
	struct hv_vcpu *v = NULL;

	assert_int_equal(f->ops->vcpu_create(f->vm, id, &cc, f, &v), 0);
	return v;
}

/* mfx_vm() plus vCPU 0 in f->vcpu, with the write counters reset. */
static inline struct mfx *mfx_ready(void)
{
	struct mfx *f = mfx_new();

	mfx_vm(f, 2);
	f->vcpu = mfx_vcpu_new(f, 0);
	mshv_script_reset_writes(f->s);
	return f;
}

static inline void mfx_check_clean(struct mfx *f)
{
	if (f->s->violations)
		fail_msg("fake /dev/mshv saw %u violation(s), first: %s",
			 f->s->violations, f->s->first_violation);
}

static inline void mfx_free(struct mfx *f)
{
	if (f->vcpu)
		f->ops->vcpu_destroy(f->vcpu);
	if (f->vm) {
		f->ops->unmap_memory(f->vm, 0, MFX_RAM_SIZE);
		f->ops->vm_destroy(f->vm);
	}
	if (f->hv)
		f->ops->close(f->hv);
	assert_int_equal(mshv_script_open_fds(f->s), 0);
	mfx_check_clean(f);
	mshv_script_free(f->s);
	mfx_cur = NULL;
	free(f->ram);
	free(f);
}

static inline int mfx_setup(void **state)
{
	*state = mfx_ready();
	return 0;
}

static inline int mfx_teardown(void **state)
{
	mfx_free(*state);
	return 0;
}

/* VP 0's register `name` in the fake. */
static inline uint64_t mfx_reg(struct mfx *f, uint32_t name)
{
	return mshv_script_reg64(f->s, 0, name);
}

static inline void mfx_push(struct mfx *f, const struct hv_message *m)
{
	assert_int_equal(mshv_script_push_msg(f->s, 0, m), 0);
}

/* One vcpu_run that must succeed with exit reason `want`. */
static inline void mfx_run_expect(struct mfx *f, struct hv_exit *e,
				  uint32_t want)
{
	assert_int_equal(f->ops->vcpu_run(f->vcpu, e), 0);
	if (e->reason != want)
		fail_msg("exit reason %u, want %u (log: %s)", e->reason, want,
			 mfx_log);
}

#endif /* NIMBUS_TESTS_MSHV_FX_H */
