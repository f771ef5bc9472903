# SPDX-License-Identifier: Apache-2.0
# libFuzzer targets (tests/fuzz/fuzz_*.c, see tests/fuzz/README.md).
#
#   make fuzz [FUZZ_SECONDS=10] [FUZZ_TARGETS="virtqueue uart"]
#             [FUZZ_RUNS=10000000] [FUZZ_JOBS=2]
#
# builds every target with clang -fsanitize=fuzzer,address,undefined into
# $(O)/fuzz/ (its own objects: the core is compiled again with the fuzzing
# flags into $(O)/fuzz/libnimbus-fuzz.a) and runs each for FUZZ_SECONDS
# from its committed seeds (tests/fuzz/corpus/<target>/), printing the
# executions per target.  It fails on any crash, leak, timeout or
# out-of-memory; the input is kept in $(O)/fuzz/artifacts/.  FUZZ_RUNS
# ends a target after that many executions instead (FUZZ_SECONDS then
# bounds it); FUZZ_JOBS runs that many targets at once.
# `make fuzz-bins` only builds.

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 10
FUZZ_O := $(O)/fuzz

FUZZ_CFLAGS := -std=gnu11 $(WARN) -I. -D_GNU_SOURCE -pthread -MMD -MP \
	-g -O1 -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-DNIMBUS_VERSION='"$(VERSION)"' -DNIMBUS_PLUGINDIR='"$(PLUGINDIR)"'
FUZZ_LIBS := $(JANSSON_LIBS) $(SECCOMP_LIBS) $(CORE_LIBS)

FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_ALL := $(FUZZ_SRCS:tests/fuzz/fuzz_%.c=%)
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_BINS := $(FUZZ_ALL:%=$(FUZZ_O)/fuzz_%)

# The core, built again with coverage instrumentation for the fuzzer.
FUZZ_CORE_OBJS := $(CORE_SRCS:%.c=$(FUZZ_O)/obj/%.o)
FUZZ_CORE_LIB := $(FUZZ_O)/libnimbus-fuzz.a
FUZZ_LIB_OBJ := $(FUZZ_O)/obj/tests/fuzz/lib.o
# A stand-in virtio transport for the device targets, which call the
# devices' ops directly (the real transport has its own target).
FUZZ_VT_OBJ := $(FUZZ_O)/obj/tests/fuzz/vtransport.o
FUZZ_VT_TARGETS := virtio_blk virtio_console virtio_rng virtio_net \
	virtio_vsock virtio_pmem

.PHONY: fuzz fuzz-bins
fuzz-bins: $(FUZZ_TARGETS:%=$(FUZZ_O)/fuzz_%)

fuzz: fuzz-bins
	$(Q)FUZZ_RUNS=$(FUZZ_RUNS) FUZZ_JOBS=$(FUZZ_JOBS) \
		./tests/fuzz/run-fuzz.sh $(FUZZ_O) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

$(FUZZ_O)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC [fuzz] $<")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_CORE_LIB): $(FUZZ_CORE_OBJS)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(FUZZ_VT_TARGETS:%=$(FUZZ_O)/fuzz_%): $(FUZZ_VT_OBJ)

# The x86 instruction emulator is not in the core library (mk/x86emu.mk).
FUZZ_X86EMU_OBJS := $(patsubst %.c,$(FUZZ_O)/obj/%.o,$(wildcard hv/x86emu/*.c))
$(FUZZ_O)/fuzz_x86_emu: $(FUZZ_X86EMU_OBJS)

$(FUZZ_O)/fuzz_%: $(FUZZ_O)/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIB_OBJ) \
		$(FUZZ_CORE_LIB)
	@$(if $(Q),echo "  LD [fuzz] $@")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ \
		$(filter %.o,$^) $(FUZZ_CORE_LIB) $(FUZZ_LIBS)

.SECONDARY: $(FUZZ_SRCS:%.c=$(FUZZ_O)/obj/%.o) $(FUZZ_LIB_OBJ) \
	$(FUZZ_VT_OBJ) $(FUZZ_CORE_OBJS) $(FUZZ_X86EMU_OBJS)
