/* SPDX-License-Identifier: Apache-2.0 */
/*
 * entry.S - entry point of the tiny test guests.
 *
 * Nimbus enters through the PVH note in 32-bit flat protected mode with
 * paging off and EBX pointing at hvm_start_info.  We load our own GDT and
 * IDT so interrupt gates have a known code selector, set up a stack and
 * call guest_main(start_info).  Interrupt stubs push their vector and
 * call guest_interrupt(vector).
 */
	.section .note.Xen, "a"
	.p2align 2
	.long 4			/* name size: "Xen\0" */
	.long 8			/* desc size: 64-bit entry address as Linux */
	.long 18		/* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long _start
	.long 0

	.section .text.entry, "ax"
	.code32
	.globl _start
_start:
	cli
	lgdt gdt_desc
	ljmp $0x08, $1f
1:	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw %ax, %fs
	movw %ax, %gs
	movl $stack_top, %esp
	pushl %ebx
	call idt_setup
	call guest_main
	call poweroff		/* does not return */

/* One stub per vector 0..63: push the vector, join the common path. */
	.globl isr_stubs
	.p2align 4
isr_stubs:
	.set vec, 0
	.rept 64
	.p2align 4
	pushl $vec
	jmp isr_common
	.set vec, vec + 1
	.endr

isr_common:
	pushal
	pushl 32(%esp)		/* the vector pushed by the stub */
	call guest_interrupt
	addl $4, %esp
	popal
	addl $4, %esp
	iret

	.section .rodata
	.p2align 3
gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: flat 32-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: flat data */
gdt_end:
gdt_desc:
	.word gdt_end - gdt - 1
	.long gdt

	.bss
	.p2align 4
	.space 16384
stack_top:
