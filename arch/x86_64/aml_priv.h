/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aml_priv.h - byte-level helpers shared by the AML builder's files
 * (aml.c, aml_res.c); not for other users, who go through aml.h.
 *
 * Same rules as aml.h: any thread, one builder per thread; after the
 * first error the buffer is sticky-failed and every helper returns that
 * error without writing.
 */
#ifndef NIMBUS_ARCH_X86_64_AML_PRIV_H
#define NIMBUS_ARCH_X86_64_AML_PRIV_H

#include <stdint.h>

#include "arch/x86_64/aml.h"

/* Record err (a negative errno) as b's error unless it has one; returns
 * b's error. */
int aml_fail(struct aml_buf *b, int err);

/* Append one byte; 0 or b's error (-ENOMEM, -E2BIG). */
int aml_put8(struct aml_buf *b, uint8_t v);

/* Append the low `size` bytes of v, little endian; 0 or b's error. */
int aml_put_le(struct aml_buf *b, uint64_t v, unsigned int size);

#endif /* NIMBUS_ARCH_X86_64_AML_PRIV_H */
