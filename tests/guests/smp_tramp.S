/* SPDX-License-Identifier: Apache-2.0 */
/* Real-mode AP trampoline, copied to 0x10000 and started by SIPI 0x10. */
	.data
	.globl ap_tramp_start, ap_tramp_end
	.code16
ap_tramp_start:
	cli
	movw %cs, %ax
	movw %ax, %ds
	lock incl 0xf00
1:	hlt
	jmp 1b
ap_tramp_end:
	.code32
