# SPDX-License-Identifier: Apache-2.0
# The MSHV plugin (hv/mshv): build/plugins/hv-mshv.so, installed with the
# others, and its unit tests (tests/unit/test_mshv_*.c), which link the
# plugin's non-PIC objects minus the descriptor, the scripted /dev/mshv
# fake tests/fakes/mshv_script*.c and, on x86_64, the shared instruction
# emulator of mk/x86emu.mk.
#
# X86EMU_SRCS comes from mk/x86emu.mk, which is read after this file, so
# the prerequisites that use it are expanded a second time, once every
# fragment has been read (.SECONDEXPANSION, hence the $$); so is
# CONFIG_STAMP, defined by the top Makefile after the fragments.

MSHV_SRCS := $(call arch_filter,$(wildcard hv/mshv/*.c))
MSHV_PIC_OBJS := $(MSHV_SRCS:%.c=$(O)/pic/%.o)
# Everything but the descriptor and its libc table: what the unit tests
# (and the MSHV-on-KVM simulator) combine with their own system calls.
MSHV_TEST_OBJS := $(patsubst %.c,$(O)/%.o,$(filter-out \
	hv/mshv/mshv_desc.c,$(MSHV_SRCS)))
MSHV_SCRIPT_OBJ := $(O)/tests/fakes/mshv_script.o \
	$(O)/tests/fakes/mshv_script_hvcall.o

ifeq ($(ARCH),x86_64)
MSHV_EMU_PIC = $(X86EMU_SRCS:%.c=$(O)/pic/%.o)
MSHV_EMU_OBJS = $(X86EMU_SRCS:%.c=$(O)/%.o)
else
MSHV_EMU_PIC =
MSHV_EMU_OBJS =
endif

PLUGINS += $(O)/plugins/hv-mshv.so

MSHV_UNIT_BINS := $(patsubst tests/unit/%.c,$(O)/tests/unit/%, \
	$(wildcard tests/unit/test_mshv_*.c))
# test_mshv_aarch64 covers the aarch64 objects, the others the x86_64
# ones: each build runs only its own.
MSHV_A64_TEST := $(O)/tests/unit/test_mshv_aarch64
ifeq ($(ARCH),aarch64)
UNIT_BINS := $(filter-out $(filter-out $(MSHV_A64_TEST),$(MSHV_UNIT_BINS)), \
	$(UNIT_BINS))
else
UNIT_BINS := $(filter-out $(MSHV_A64_TEST),$(UNIT_BINS))
endif

.SECONDEXPANSION:

$(O)/plugins/hv-mshv.so: $(MSHV_PIC_OBJS) $$(MSHV_EMU_PIC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(PLUGIN_LDFLAGS) -o $@ $^ -lpthread
	$(Q)chmod 755 $@

# The descriptor embeds VERSION.
$(O)/pic/hv/mshv/mshv_desc.o: $$(CONFIG_STAMP)

$(MSHV_UNIT_BINS): $(MSHV_TEST_OBJS) $(MSHV_SCRIPT_OBJ) $$(MSHV_EMU_OBJS)
