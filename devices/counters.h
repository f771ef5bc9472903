/* SPDX-License-Identifier: Apache-2.0 */
/*
 * counters.h - per-device statistics for the REST API's vm.counters.
 *
 * A device embeds a `struct dev_counters` in its state, initialises it
 * with a static table of counter names, and bumps counters from whatever
 * thread does the work (queue worker, vCPU, main loop): updates are
 * relaxed atomic adds, so there is no lock and no ordering cost.  The VMM
 * registers the device's counters with the VM (vm_counters_add() in
 * vmm/vm.h) under the device's id; vm.counters then answers
 * {"<id>": {"<name>": <value>, ...}, ...} with a snapshot read on the
 * main loop.  Values only grow, except across a VM reset.
 *
 * Names follow Cloud Hypervisor's, so its tools read them as they are:
 *   block: read_bytes, write_bytes, read_ops, write_ops
 *   net:   rx_bytes, rx_frames, tx_bytes, tx_frames
 * (the DEV_CTR_* macros below; a device may add its own).
 *
 * Example (a block device):
 *
 *	static const char *const vblk_ctr_names[] = {
 *		DEV_CTR_READ_BYTES, DEV_CTR_WRITE_BYTES,
 *		DEV_CTR_READ_OPS, DEV_CTR_WRITE_OPS,
 *	};
 *	enum { VBLK_RB, VBLK_WB, VBLK_RO, VBLK_WO };
 *	dev_counters_init(&b->ctr, vblk_ctr_names, 4);     // at create
 *	dev_counter_add(&b->ctr, VBLK_RB, len);           // per request
 *	dev_counter_add(&b->ctr, VBLK_RO, 1);
 *
 * This header is self-contained (static inline only): devices include it
 * without linking anything.
 */
#ifndef NIMBUS_DEVICES_COUNTERS_H
#define NIMBUS_DEVICES_COUNTERS_H

#include <stdint.h>

#define DEV_COUNTERS_MAX 16u

#define DEV_CTR_READ_BYTES "read_bytes"
#define DEV_CTR_WRITE_BYTES "write_bytes"
#define DEV_CTR_READ_OPS "read_ops"
#define DEV_CTR_WRITE_OPS "write_ops"
#define DEV_CTR_RX_BYTES "rx_bytes"
#define DEV_CTR_RX_FRAMES "rx_frames"
#define DEV_CTR_TX_BYTES "tx_bytes"
#define DEV_CTR_TX_FRAMES "tx_frames"

struct dev_counters {
	const char *const *names; /* nr names, static storage */
	unsigned int nr; /* at most DEV_COUNTERS_MAX */
	uint64_t val[DEV_COUNTERS_MAX];
};

/* Set up `c` with nr (capped at DEV_COUNTERS_MAX) names, all zero.
 * Before any other thread sees c. */
static inline void dev_counters_init(struct dev_counters *c,
				     const char *const *names, unsigned int nr)
{
	unsigned int i;

	c->names = names;
	c->nr = nr < DEV_COUNTERS_MAX ? nr : DEV_COUNTERS_MAX;
	for (i = 0; i < DEV_COUNTERS_MAX; i++)
		c->val[i] = 0;
}

/* Add n to counter idx (ignored if idx >= nr).  Any thread. */
static inline void dev_counter_add(struct dev_counters *c, unsigned int idx,
				   uint64_t n)
{
	if (idx < c->nr)
		__atomic_fetch_add(&c->val[idx], n, __ATOMIC_RELAXED);
}

/* Current value of counter idx (0 if idx >= nr).  Any thread. */
static inline uint64_t dev_counter_get(const struct dev_counters *c,
				       unsigned int idx)
{
	return idx < c->nr ? __atomic_load_n(&c->val[idx], __ATOMIC_RELAXED) :
			     0;
}

#endif /* NIMBUS_DEVICES_COUNTERS_H */
