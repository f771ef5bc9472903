/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aml.h - a tiny ACPI Machine Language (AML) byte-code builder.
 *
 * Builds the definition block of a DSDT/SSDT into a growable heap buffer
 * (ACPI 6.5, chapter 20 "ACPI Machine Language Specification" and
 * section 6.4 "Resource Data Types").  Only the subset a VMM needs is
 * covered: names, scopes, devices, methods, packages, integers, strings,
 * buffers, UUIDs, EISA ids, resource templates, and the few operators a
 * host bridge's _OSC needs (If, LNot, LEqual, Or, CreateDWordField, ArgN).
 *
 * Usage: constructs with a PkgLength (Scope, Device, Method, Package,
 * Buffer, ResourceTemplate) are opened with aml_*_open(), which returns a
 * mark, filled with further calls, and closed with the matching close
 * call, innermost first.  Closing computes the PkgLength (1-4 bytes) and
 * inserts it.  A Name (aml_name) or Return (aml_return) is followed by
 * exactly one data object emitted by the next call; operators are emitted
 * the same way, in prefix order: the opcode first, then each operand
 * (aml_integer, aml_arg, aml_namestring, a nested operator...).
 *
 * Errors are sticky: the first failure (-ENOMEM, -EINVAL for a bad name,
 * id or argument, -E2BIG for a package over 2^28 bytes) is stored in the
 * buffer, every later call returns it without doing anything, and
 * aml_buf_err() reports it at the end.  So a builder may call a sequence
 * of emitters and check once.  All functions return 0 or that negative
 * errno.  A struct aml_buf belongs to one thread; there is no global state.
 */
#ifndef NIMBUS_ARCH_X86_64_AML_H
#define NIMBUS_ARCH_X86_64_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct aml_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	int err; /* first error, sticky */
};

/* Largest value a PkgLength can encode (28 bits, itself included). */
#define AML_PKGLEN_MAX 0x0fffffffu

/* Method flags (ACPI 6.5, 20.2.5.2 MethodFlags). */
#define AML_NOT_SERIALIZED false
#define AML_SERIALIZED true

/* IRQ / Extended Interrupt descriptor flags (ACPI 6.5, 6.4.2.1, 6.4.3.6). */
#define AML_IRQ_EDGE 0x1u /* else level triggered */
#define AML_IRQ_ACTIVE_LOW 0x2u /* else active high */
#define AML_IRQ_SHARED 0x4u /* else exclusive */
#define AML_IRQ_WAKE 0x8u /* wake capable */

/* Address space descriptors: resource type (ACPI 6.5, 6.4.3.5). */
#define AML_ADDR_MEMORY 0u
#define AML_ADDR_IO 1u
#define AML_ADDR_BUS 2u

/* General flags of address space descriptors. */
#define AML_ADDR_CONSUMER 0x01u /* ResourceConsumer (else producer) */
#define AML_ADDR_SUB_DECODE 0x02u /* _DEC: subtractive decode */
#define AML_ADDR_MIN_FIXED 0x04u /* _MIF */
#define AML_ADDR_MAX_FIXED 0x08u /* _MAF */

/* Type-specific flags: memory ranges. */
#define AML_MEM_RW 0x01u /* _RW: read-write (else read-only) */
#define AML_MEM_NONCACHEABLE (0u << 1) /* _MEM */
#define AML_MEM_CACHEABLE (1u << 1)
#define AML_MEM_WRITE_COMBINING (2u << 1)
#define AML_MEM_PREFETCHABLE (3u << 1)
/* OperationRegion spaces (ACPI 6.5, 19.6.100). */
#define AML_SPACE_SYSTEM_MEMORY 0x00u
#define AML_SPACE_SYSTEM_IO 0x01u

/* Field flags (ACPI 6.5, 20.2.5.2 FieldFlags): access type, lock rule,
 * update rule. */
#define AML_FIELD_ANY_ACC 0x00u
#define AML_FIELD_BYTE_ACC 0x01u
#define AML_FIELD_WORD_ACC 0x02u
#define AML_FIELD_DWORD_ACC 0x03u
#define AML_FIELD_QWORD_ACC 0x04u
#define AML_FIELD_LOCK 0x10u
#define AML_FIELD_PRESERVE 0x00u
#define AML_FIELD_WRITE_AS_ONES 0x20u
#define AML_FIELD_WRITE_AS_ZEROS 0x40u

/* One unit of a Field list: a named field of `bits`, or (name NULL) a
 * reserved gap of `bits`. */
struct aml_field_unit {
	const char *name; /* a NameSeg of 1-4 characters */
	uint32_t bits; /* > 0 */
};

/* Type-specific flags: I/O ranges. */
#define AML_IO_RANGE_ENTIRE 0x03u /* _RNG: ISA and non-ISA ranges */

/* Initialise an empty buffer.  No allocation happens until data arrives. */
void aml_buf_init(struct aml_buf *b);

/* Free the bytes and reset to empty (the sticky error is cleared too). */
void aml_buf_free(struct aml_buf *b);

/* The sticky error: 0 if every call so far succeeded. */
int aml_buf_err(const struct aml_buf *b);

/*
 * Encode a PkgLength for `content_len` bytes that follow it.  The value
 * encoded counts the PkgLength bytes themselves (ACPI 6.5, 20.2.4).
 * Returns the number of bytes written to out (1-4) or -E2BIG.
 */
int aml_pkglen_encode(size_t content_len, uint8_t out[4]);

/*
 * Compress a 7-character EISA id ("PNP0501": three upper-case letters,
 * four upper-case hex digits) into the 32-bit value AML stores
 * (0x0105D041 for "PNP0501").  -EINVAL if malformed.
 */
int aml_eisaid_encode(const char *id, uint32_t *out);

/* Append raw bytes (for callers that build their own encodings). */
int aml_bytes(struct aml_buf *b, const void *data, size_t len);

/*
 * A NameString: optional root '\' or parent '^' prefixes, then NameSegs
 * of 1-4 characters separated by '.' ("\\_SB_.COM1", "_S5", "^PCI0").
 * Short segments are padded with '_'.  Characters: A-Z, 0-9, '_' (not a
 * digit first).  Lower case is rejected (-EINVAL).
 */
int aml_namestring(struct aml_buf *b, const char *path);

/* Integer with the shortest encoding: Zero/One/Ones or Byte..QWord const. */
int aml_integer(struct aml_buf *b, uint64_t v);

/* Null-terminated ASCII string (StringPrefix); chars 0x01-0x7f only. */
int aml_string(struct aml_buf *b, const char *s);

/* EisaId("PNP0501") as the DWordConst the ASL compiler emits. */
int aml_eisaid(struct aml_buf *b, const char *id);

/* Name(path, <next object>): emit NameOp + NameString only. */
int aml_name(struct aml_buf *b, const char *path);

/* Conveniences: Name(path, integer / EisaId / string). */
int aml_name_integer(struct aml_buf *b, const char *path, uint64_t v);
int aml_name_eisaid(struct aml_buf *b, const char *path, const char *id);
int aml_name_string(struct aml_buf *b, const char *path, const char *s);

/* Return(<next object>): emit ReturnOp only. */
int aml_return(struct aml_buf *b);

/* ArgN, n 0-6: a method argument as an operand (-EINVAL above 6). */
int aml_arg(struct aml_buf *b, unsigned int n);

/*
 * ToUUID("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx") (hex digits of either
 * case) as the 16-byte Buffer ASL produces: the first three fields are
 * stored little-endian, the last two in string order.  -EINVAL if
 * malformed.
 */
int aml_uuid(struct aml_buf *b, const char *uuid);

/*
 * Operators, prefix form: each emits its opcode only; the caller then
 * emits the operands in order.
 *   aml_lnot:   LNot(operand)
 *   aml_lequal: LEqual(operand, operand)
 *   aml_or:     Or(operand, operand, target) -- the target is a name
 *               (aml_namestring) or an ArgN
 *   aml_create_dword_field: CreateDWordField(source buffer, byte index,
 *               field name) -- the name is emitted with aml_namestring
 */
int aml_lnot(struct aml_buf *b);
int aml_lequal(struct aml_buf *b);
int aml_or(struct aml_buf *b);
int aml_create_dword_field(struct aml_buf *b);

/*
 * More operators, prefix form like the ones above:
 *   aml_local:  Local0-Local7 as an operand or target (-EINVAL above 7)
 *   aml_store:  Store(source, target)
 *   aml_and:    And(operand, operand, target); a NullName target
 *               (aml_null_target) keeps only the result value
 *   aml_notify: Notify(object name, value)
 */
int aml_local(struct aml_buf *b, unsigned int n);
int aml_store(struct aml_buf *b);
int aml_and(struct aml_buf *b);
int aml_null_target(struct aml_buf *b);
int aml_notify(struct aml_buf *b);

/* OperationRegion(name, space, offset, len), complete. */
int aml_opregion(struct aml_buf *b, const char *name, uint8_t space,
		 uint64_t offset, uint64_t len);

/*
 * Field(region, flags) { units }, complete: AML_FIELD_* flags, n units in
 * order from bit 0 of the region.  -EINVAL for a bad name or a 0-bit unit.
 */
int aml_field(struct aml_buf *b, const char *region, uint8_t flags,
	      const struct aml_field_unit *u, size_t n);

/*
 * If(<predicate>) { ... }: emit IfOp and open its PkgLength; the caller
 * emits the predicate, then the body, then aml_close(mark).
 */
int aml_if_open(struct aml_buf *b, size_t *mark);

/* Scope(path) { ... } */
int aml_scope_open(struct aml_buf *b, const char *path, size_t *mark);

/* Device(name) { ... } */
int aml_device_open(struct aml_buf *b, const char *name, size_t *mark);

/* Method(name, nargs 0-7, serialized, sync_level 0-15) { ... } */
int aml_method_open(struct aml_buf *b, const char *name, unsigned int nargs,
		    bool serialized, unsigned int sync_level, size_t *mark);

/* Package(nelems 0-255) { <nelems objects> } */
int aml_package_open(struct aml_buf *b, unsigned int nelems, size_t *mark);

/* Close a Scope, Device, Method, Package or If opened at `mark`. */
int aml_close(struct aml_buf *b, size_t mark);

/* Buffer() { raw bytes }: the BufferSize is computed at close. */
int aml_buffer_open(struct aml_buf *b, size_t *mark);
int aml_buffer_close(struct aml_buf *b, size_t mark);

/* ResourceTemplate() { descriptors }: a Buffer closed with an EndTag. */
int aml_restemplate_open(struct aml_buf *b, size_t *mark);
int aml_restemplate_close(struct aml_buf *b, size_t mark);

/* IO(Decode16, min, max, align, len) port descriptor. */
int aml_res_io(struct aml_buf *b, uint16_t min, uint16_t max, uint8_t align,
	       uint8_t len);

/*
 * IRQ descriptor for one ISA IRQ 0-15, flags AML_IRQ_*.  Edge, active
 * high, exclusive and not wake capable gives the short IRQNoFlags form.
 */
int aml_res_irq(struct aml_buf *b, unsigned int irq, unsigned int flags);

/* Extended Interrupt descriptor (ResourceConsumer) for one GSI. */
int aml_res_ext_irq(struct aml_buf *b, uint32_t gsi, unsigned int flags);

/* Memory32Fixed(ReadWrite or ReadOnly, base, len). */
int aml_res_mem32_fixed(struct aml_buf *b, bool rw, uint32_t base,
			uint32_t len);

/*
 * Word/DWord/QWord address space descriptors (AML_ADDR_* type, general
 * flags, type-specific flags, granularity, min, max, translation, len).
 * No resource source.  -EINVAL if max < min.
 */
int aml_res_word_addr(struct aml_buf *b, uint8_t type, uint8_t gflags,
		      uint8_t tflags, uint16_t gran, uint16_t min, uint16_t max,
		      uint16_t tra, uint16_t len);
int aml_res_dword_addr(struct aml_buf *b, uint8_t type, uint8_t gflags,
		       uint8_t tflags, uint32_t gran, uint32_t min,
		       uint32_t max, uint32_t tra, uint32_t len);
int aml_res_qword_addr(struct aml_buf *b, uint8_t type, uint8_t gflags,
		       uint8_t tflags, uint64_t gran, uint64_t min,
		       uint64_t max, uint64_t tra, uint64_t len);

#endif /* NIMBUS_ARCH_X86_64_AML_H */
