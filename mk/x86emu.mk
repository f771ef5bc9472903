# SPDX-License-Identifier: Apache-2.0
# x86 instruction emulator (hv/x86emu/).  It is not part of the core
# library: the hypervisor plugins that need it (MSHV) compile
# X86EMU_SRCS into their .so as PIC objects from their own fragment, and
# its unit tests link the non-PIC objects built by the generic rule.
X86EMU_SRCS := $(wildcard hv/x86emu/*.c)
X86EMU_OBJS := $(X86EMU_SRCS:%.c=$(O)/%.o)
X86EMU_TESTS := $(addprefix $(O)/tests/unit/,test_x86_emu \
	test_x86_emu_addr test_x86_emu_walk test_x86_emu_hostile)

$(X86EMU_TESTS): $(X86EMU_OBJS)
