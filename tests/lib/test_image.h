/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_image.h - guest payload files for tests: a minimal ELF64 vmlinux
 * with a PVH entry note, written to a temporary file.
 */
#ifndef NIMBUS_TESTS_TEST_IMAGE_H
#define NIMBUS_TESTS_TEST_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Write an ELF64 file with one PT_LOAD segment holding `code` at guest
 * physical `load` and a Xen PVH note whose entry is `load`.  `path` is a
 * mkstemp template ("/tmp/x-XXXXXX") and is updated in place.  Returns 0
 * or -errno.  The caller unlinks the file.
 */
int test_write_pvh_elf(char *path, uint64_t load, const void *code, size_t len);

#endif
