/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mshv_script.h - a scripted fake /dev/mshv for the MSHV plugin's tests.
 *
 * mshv_script_sys() returns a struct mshv_sys (hv/mshv/mshv_sys.h) whose
 * open/ioctl/close behave like the upstream kernel driver, in memory:
 * one /dev/mshv, one partition, up to MSHV_SCRIPT_MAX_VPS VPs.  Every
 * ioctl is checked against the reference ABI (mshv_abi.h): the request
 * number for the fd type, the argument struct (flags, reserved fields,
 * sizes, alignment, pointers) and for MSHV_ROOT_HVCALL the hypercall
 * code, the input/output sizes and each hypercall's input page.  A
 * mistake fails the call like the kernel would (EINVAL, ENOTTY ...) and is
 * recorded as a violation; tests assert mshv_script_violations() == 0.
 *
 * Behaviour: partition properties and creation flags are recorded (with
 * whether they came before MSHV_INITIALIZE_PARTITION); memory regions,
 * irqfds, ioeventfds and the MSI table follow the kernel's rules
 * (overlap -EEXIST, exact unmap, ...); GET/SET_VP_REGISTERS use a
 * per-VP register file keyed by name (tests preset and inspect it and
 * count writes); the LAPIC VP-state blob is per VP; TRANSLATE is the
 * identity unless scripted; GET_GPAP_ACCESS_BITMAP returns scripted dirty
 * pages and applies CLEAR/SET.  MSHV_RUN_VP pops the next scripted
 * hv_message (or error) of that VP; with an empty queue it fails with
 * EINTR, as if a signal arrived.
 *
 * Fds: /dev/mshv opens are MSHV_SCRIPT_DEV_FD + n, the partition is
 * MSHV_SCRIPT_PT_FD, VP i is MSHV_SCRIPT_VP_FD + i.
 *
 * The state is a plain struct (below) that tests read directly.  The fake
 * is split in two: mshv_script.c (the table and the ioctls) and
 * mshv_script_hvcall.c (the passthrough hypercalls and the test-side
 * functions).
 *
 * Thread-safety: the table's functions may be called from any thread (one
 * mutex); the test-side functions from the test's thread between calls
 * into the plugin.
 * Symbols carry the mshv_script_ prefix (the hv_fake objects are linked
 * into every unit test too).
 */
#ifndef NIMBUS_TESTS_MSHV_SCRIPT_H
#define NIMBUS_TESTS_MSHV_SCRIPT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/mshv/mshv_abi.h"
#include "hv/mshv/mshv_sys.h"

#define MSHV_SCRIPT_DEV_FD 100
#define MSHV_SCRIPT_PT_FD 200
#define MSHV_SCRIPT_VP_FD 300
#define MSHV_SCRIPT_MAX_VPS 8
#define MSHV_SCRIPT_PARTITION_ID 0x5a5a0001ull

/* Which driver the fake pretends to be. */
enum mshv_script_abi {
	MSHV_SCRIPT_ABI_UPSTREAM = 0, /* Linux >= 6.15 */
	MSHV_SCRIPT_ABI_OLD, /* pre-2024 out-of-tree: CHECK_EXTENSION works,
			      * upstream numbers are ENOTTY */
};

#define MSHV_SCRIPT_MAX_REGS 96
#define MSHV_SCRIPT_MAX_MSGS 32
#define MSHV_SCRIPT_MAX_REGIONS 32
#define MSHV_SCRIPT_MAX_IRQFDS 64
#define MSHV_SCRIPT_MAX_IOES 32
#define MSHV_SCRIPT_MAX_PROPS 32
#define MSHV_SCRIPT_MAX_CPUID 32
#define MSHV_SCRIPT_MAX_XLATE 16
#define MSHV_SCRIPT_MAX_DIRTY 64
#define MSHV_SCRIPT_MAX_FAILS 8
#define MSHV_SCRIPT_MAX_COUNTS 48

struct mshv_script_reg {
	uint32_t name;
	unsigned int writes; /* SET_VP_REGISTERS writes since reset */
	union hv_register_value v;
};

struct mshv_script_item {
	int err; /* RUN_VP fails with -err, else returns msg */
	struct hv_message msg;
};

struct mshv_script_vp {
	bool created, open;
	struct mshv_script_reg regs[MSHV_SCRIPT_MAX_REGS];
	unsigned int nr_regs;
	struct mshv_script_item q[MSHV_SCRIPT_MAX_MSGS];
	unsigned int q_head, q_len; /* queued RUN_VP results */
	unsigned int runs; /* RUN_VP calls */
	struct hv_local_interrupt_controller_state lapic;
};

struct mshv_script_prop {
	uint32_t code;
	uint64_t val;
	bool early; /* set before MSHV_INITIALIZE_PARTITION */
};

struct mshv_script_fail {
	bool hvcall; /* key is a hypercall code, else an ioctl number */
	unsigned long key;
	int err;
	unsigned int times;
};

struct mshv_script_count {
	unsigned long key;
	unsigned int n;
};

struct mshv_script_xlate {
	uint64_t gva_page, gpa_page;
	uint32_t result;
};

/*
 * The fake's whole state.  Tests set the knobs and read the records
 * directly (between calls into the plugin, or under `lock`); the
 * functions below cover what needs logic.
 */
struct mshv_script {
	pthread_mutex_t lock;
	struct mshv_sys sys;
	/* knobs */
	int open_err; /* open() fails with -open_err when nonzero */
	enum mshv_script_abi abi;
	struct mshv_script_xlate xlate[MSHV_SCRIPT_MAX_XLATE]; /* else 1:1 */
	unsigned int nr_xlate;
	uint64_t dirty[MSHV_SCRIPT_MAX_DIRTY]; /* dirty guest pages */
	unsigned int nr_dirty;
	struct mshv_script_fail fails[MSHV_SCRIPT_MAX_FAILS];
	/* state and records */
	uint32_t dev_open; /* bit n: MSHV_SCRIPT_DEV_FD + n is open */
	bool pt_open, initialized;
	struct mshv_create_partition create; /* last CREATE_PARTITION */
	struct mshv_script_prop props[MSHV_SCRIPT_MAX_PROPS];
	unsigned int nr_props;
	struct mshv_user_mem_region regions[MSHV_SCRIPT_MAX_REGIONS];
	unsigned int nr_regions;
	struct mshv_user_irqfd irqfds[MSHV_SCRIPT_MAX_IRQFDS];
	unsigned int nr_irqfds;
	struct mshv_user_ioeventfd ioes[MSHV_SCRIPT_MAX_IOES];
	unsigned int nr_ioes;
	struct mshv_user_irq_entry routes[MSHV_MAX_GSI];
	unsigned int nr_routes;
	struct hv_input_register_intercept_result_cpuid
		cpuid[MSHV_SCRIPT_MAX_CPUID];
	unsigned int nr_cpuid;
	struct hv_input_assert_virtual_interrupt last_assert;
	unsigned int nr_asserts;
	struct mshv_gpap_access_bitmap last_gpap;
	struct mshv_script_count ioctl_counts[MSHV_SCRIPT_MAX_COUNTS];
	struct mshv_script_count hvcall_counts[MSHV_SCRIPT_MAX_COUNTS];
	struct mshv_script_vp vps[MSHV_SCRIPT_MAX_VPS];
	unsigned int kicks; /* sys->kick calls (atomic) */
	unsigned int violations; /* ABI mistakes seen */
	char first_violation[256];
};

/* Create / free a fake.  new returns 0 or -ENOMEM. */
int mshv_script_new(struct mshv_script **out);
void mshv_script_free(struct mshv_script *s);

/* The system-call table backed by `s` (valid until mshv_script_free). */
const struct mshv_sys *mshv_script_sys(struct mshv_script *s);

/* --- knobs --- */

/* The next `times` ioctls `req` (any fd) fail with -err, untouched. */
void mshv_script_fail_ioctl(struct mshv_script *s, unsigned long req, int err,
			    unsigned int times);
/* The next `times` MSHV_ROOT_HVCALLs of `code` fail with -err after the
 * checks; EAGAIN sets status HV_STATUS_INSUFFICIENT_MEMORY, others
 * HV_STATUS_INVALID_PARAMETER. */
void mshv_script_fail_hvcall(struct mshv_script *s, uint16_t code, int err,
			     unsigned int times);

/* --- MSHV_RUN_VP script --- */

/* Queue a message / an error (-err) for VP `vp`.  0, -E2BIG when full. */
int mshv_script_push_msg(struct mshv_script *s, uint32_t vp,
			 const struct hv_message *m);
int mshv_script_push_run_error(struct mshv_script *s, uint32_t vp, int err);

/* Message builders: zero *m, set type and payload size; the x86 variant
 * also fills the intercept header (vp index, rip, instruction length,
 * access type, CS as flat 64-bit code, EFER.LMA, rflags 0x202) and
 * returns it. */
void mshv_script_msg(struct hv_message *m, uint32_t type, uint32_t size);
struct hv_x64_intercept_message_header *
mshv_script_msg_x64(struct hv_message *m, uint32_t type, uint32_t size,
		    uint32_t vp, uint64_t rip, uint8_t insn_len,
		    uint8_t access);

/* --- inspection --- */

/* ioctls of number `req` / hypercalls of `code` issued (checked or not). */
unsigned int mshv_script_ioctls(struct mshv_script *s, unsigned long req);
unsigned int mshv_script_hvcalls(struct mshv_script *s, uint16_t code);
/* Fds currently open (a leak check after close/destroy). */
unsigned int mshv_script_open_fds(struct mshv_script *s);
/* Partition property: 0 with *val and *early (either may be NULL), or
 * -ENOENT when never set. */
int mshv_script_property(struct mshv_script *s, uint32_t code, uint64_t *val,
			 bool *early);
/* 0 with the gsi eventfd `fd` is bound to, or -ENOENT. */
int mshv_script_irqfd(struct mshv_script *s, int fd, uint32_t *gsi);

/* VP register file: preset, read (0 or -ENOENT when never set), read as
 * u64 (0 when unset), SET_VP_REGISTERS writes of `name` since the last
 * reset_writes. */
void mshv_script_reg_set(struct mshv_script *s, uint32_t vp, uint32_t name,
			 const union hv_register_value *v);
void mshv_script_reg_set64(struct mshv_script *s, uint32_t vp, uint32_t name,
			   uint64_t v);
int mshv_script_reg_get(struct mshv_script *s, uint32_t vp, uint32_t name,
			union hv_register_value *v);
uint64_t mshv_script_reg64(struct mshv_script *s, uint32_t vp, uint32_t name);
unsigned int mshv_script_reg_writes(struct mshv_script *s, uint32_t vp,
				    uint32_t name);
void mshv_script_reset_writes(struct mshv_script *s);

/* --- internal to the fake (mshv_script.c, mshv_script_hvcall.c) --- */

/* Record a violation (the first one's text is kept); returns -err. */
int mshv_script_bad(struct mshv_script *s, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Count `key`; look up a count. */
void mshv_script_count(struct mshv_script_count *c, unsigned long key);
unsigned int mshv_script_counted(const struct mshv_script_count *c,
				 unsigned long key);
/* A pending injected failure for (hvcall, key): its errno, else 0. */
int mshv_script_failing(struct mshv_script *s, bool hvcall, unsigned long key);
bool mshv_script_zero(const void *p, size_t n);
/* A created VP (NULL otherwise), and its register `name`. */
struct mshv_script_vp *mshv_script_vp(struct mshv_script *s, uint32_t vp);
struct mshv_script_reg *mshv_script_vp_reg(struct mshv_script_vp *vp,
					   uint32_t name, bool create);
/* MSHV_ROOT_HVCALL on the partition (fd_vp -1) or VP fd_vp's fd. */
int mshv_script_hvcall(struct mshv_script *s, int fd_vp,
		       struct mshv_root_hvcall *a);

#endif /* NIMBUS_TESTS_MSHV_SCRIPT_H */
