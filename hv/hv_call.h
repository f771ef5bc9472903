/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hv_call.h - core-side helpers for calling a hypervisor plugin.
 *
 * The core never dereferences a struct hv_ops member without knowing that
 * the plugin's table is long enough to hold it (ops->size, see the bump rule
 * in hv/hv.h) and that the pointer is set.  HV_CALL() does both checks and
 * turns an absent op into -EOPNOTSUPP, so optional ops can be called
 * unconditionally.  hv_check_ops() is what the plugin loader runs once at
 * load time so that mandatory [M] ops may then be called directly.  Also
 * here: readable names for exit reasons, for logs and test failures.
 *
 * Unlike hv/hv.h this is not part of the plugin ABI; plugins never include
 * it.  Everything here is pure and thread-safe.
 */
#ifndef NIMBUS_HV_CALL_H
#define NIMBUS_HV_CALL_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/hv.h"

/*
 * HV_CALL(ops, op, args...) - call ops->op(args...) if the plugin has it.
 *
 * Evaluates to the op's int result, or to -EOPNOTSUPP when `ops` is NULL,
 * when ops->size does not cover the op (an older plugin) or when the pointer
 * is NULL (an optional op the plugin left out).  `ops` is evaluated once;
 * the arguments are evaluated only if the op is called.  Only for ops that
 * return int.  Usable as a statement when the result does not matter.
 */
#define HV_CALL(ops, op, ...)                                               \
	({                                                                  \
		const struct hv_ops *hv_call_ops_ = (ops);                  \
		int hv_call_ret_ = -EOPNOTSUPP;                             \
		if (hv_call_ops_ && hv_call_ops_->size >= HV_OPS_END(op) && \
		    hv_call_ops_->op)                                       \
			hv_call_ret_ = hv_call_ops_->op(__VA_ARGS__);       \
		hv_call_ret_;                                               \
	})

/*
 * HV_CALL_VOID(ops, op, args...) - the same for ops returning void
 * (close, vm_destroy, vcpu_destroy, vcpu_kick): does nothing when the op is
 * absent.  Those four are mandatory, so after hv_check_ops() this only
 * matters for robustness.  vcpu_kick through this macro stays
 * async-signal-safe (no calls besides the op itself).
 */
#define HV_CALL_VOID(ops, op, ...)                                          \
	do {                                                                \
		const struct hv_ops *hv_call_ops_ = (ops);                  \
		if (hv_call_ops_ && hv_call_ops_->size >= HV_OPS_END(op) && \
		    hv_call_ops_->op)                                       \
			hv_call_ops_->op(__VA_ARGS__);                      \
	} while (0)

/* HV_HAS_OP(ops, op) - 1 if HV_CALL(ops, op, ...) would call the plugin. */
#define HV_HAS_OP(ops, op) hv_op_present((ops), HV_OPS_END(op))

/*
 * Is the op that ends at byte offset `end` of struct hv_ops (HV_OPS_END(x))
 * present, i.e. covered by ops->size and non-NULL?  Returns 1 or 0; 0 also
 * for a NULL `ops` and for an `end` that does not mark the end of a
 * function pointer in this host's struct hv_ops.  Any thread.
 */
int hv_op_present(const struct hv_ops *ops, size_t end);

/*
 * Check a plugin's ops table once, before any op is called: ops->size must
 * cover every mandatory [M] op of hv/hv.h and each of them must be
 * non-NULL.  Returns 0, or -EINVAL with a one-line reason naming the size
 * or the missing op in err[errlen] (err may be NULL when errlen is 0).  The
 * table is read only up to the smaller of ops->size and the host's
 * sizeof(struct hv_ops).  Any thread.
 */
int hv_check_ops(const struct hv_ops *ops, char *err, size_t errlen);

/*
 * Readable names for enum hv_exit_reason, e.g. "mmio", "fail_entry".
 *
 *   hv_exit_reason_str(reason)
 *     Returns a static string; a value outside the enum gives "unknown(?)".
 *   hv_exit_reason_str(reason, buf, len)
 *     The same, but a value outside the enum is formatted as "unknown(N)"
 *     into the caller's buf (HV_EXIT_REASON_STRLEN bytes are enough) and
 *     buf is returned.
 *
 * Never NULL.  Any thread; no state.  The macro picks the function by the
 * number of arguments.
 */
#define HV_EXIT_REASON_STRLEN 24

const char *hv_exit_reason_name(uint32_t reason);
const char *hv_exit_reason_fmt(uint32_t reason, char *buf, size_t len);

#define HV_EXIT_REASON_PICK_(a, b, c, fn, ...) fn
#define hv_exit_reason_str(...)                                                \
	HV_EXIT_REASON_PICK_(__VA_ARGS__, hv_exit_reason_fmt,                  \
			     hv_exit_reason_bad_arity_, hv_exit_reason_name, ) \
	(__VA_ARGS__)

#endif /* NIMBUS_HV_CALL_H */
