# SPDX-License-Identifier: Apache-2.0
# The MSHV simulator (tests/mshv-sim, x86_64 only): $(O)/plugins/
# hv-mshv-sim.so is the MSHV plugin (every PIC object of mk/mshv.mk but
# its descriptor mshv_desc.o, plus the x86 emulator) linked with the
# simulator, which implements /dev/mshv on /dev/kvm and brings its own
# descriptor (plugin name "mshv-sim": the loader wants hv-<name>.so).
# Run it with
#   nimbus --hv mshv --hv-plugin $PWD/$(O)/plugins/hv-mshv-sim.so ...
# (tests/kvm/run-mshv.sh, tests/e2e/cases-mshv.sh).  The unit test
# tests/unit/test_mshv_sim_kvm.c dlopens it from $(O)/plugins.
#
# This fragment is read before mk/mshv.mk and mk/x86emu.mk, whose
# variables it uses: those are recursive here and expanded a second time
# in the prerequisites (.SECONDEXPANSION, hence the $$).

ifeq ($(ARCH),x86_64)

MSHV_SIM_SRCS := $(wildcard tests/mshv-sim/*.c)
MSHV_SIM_PIC := $(MSHV_SIM_SRCS:%.c=$(O)/pic/%.o)
MSHV_SIM_PLUGIN_PIC = $(filter-out $(O)/pic/hv/mshv/mshv_desc.o, \
	$(MSHV_PIC_OBJS))
# The pure helpers (no system calls) that tests/unit/test_mshv_sim.c
# links besides mk/mshv.mk's objects for test_mshv_*.
MSHV_SIM_UNIT_OBJS := $(O)/tests/mshv-sim/sim_msg.o \
	$(O)/tests/mshv-sim/sim_insn.o \
	$(O)/tests/mshv-sim/sim_cpuid.o

TEST_PLUGINS += $(O)/plugins/hv-mshv-sim.so

.SECONDEXPANSION:

$(O)/plugins/hv-mshv-sim.so: $$(MSHV_SIM_PLUGIN_PIC) $(MSHV_SIM_PIC) \
		$$(MSHV_EMU_PIC)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(PLUGIN_LDFLAGS) -o $@ $^ -lpthread
	$(Q)chmod 755 $@

# The descriptor embeds VERSION.
$(O)/pic/tests/mshv-sim/sim_desc.o: $$(CONFIG_STAMP)

$(O)/tests/unit/test_mshv_sim: $(MSHV_SIM_UNIT_OBJS)

endif
