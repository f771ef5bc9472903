# SPDX-License-Identifier: Apache-2.0
# Nimbus top-level Makefile.  `make` builds build/nimbus and the plugins,
# `make check` runs every test, `make run` boots the demo guest.

ARCH ?= $(shell uname -m)
O ?= build
# One spelling of every object path, however O was given: the rules the
# compiler writes into the .d files name their target as spelt, so
# "build/x.o" and "/work/build/x.o" would not see each other's header
# dependencies (and a header change would leave stale objects behind).
override O := $(abspath $(O))
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
PLUGINDIR ?= $(PREFIX)/lib/nimbus/plugins
DESTDIR ?=
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo 0.1.0)

CROSS_COMPILE ?=
CC ?= cc
ifeq ($(origin CC),default)
CC := $(CROSS_COMPILE)gcc
endif
AR := $(CROSS_COMPILE)ar

ifneq ($(V),1)
Q := @
endif

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wundef -Wno-unused-parameter
ifneq ($(WERROR),0)
WARN += -Werror
endif

CFLAGS ?= -O2 -g
BASE_CFLAGS := -std=gnu11 $(WARN) -I. -D_GNU_SOURCE -pthread \
	-fstack-protector-strong -MMD -MP \
	-DNIMBUS_VERSION='"$(VERSION)"' -DNIMBUS_PLUGINDIR='"$(PLUGINDIR)"'
LDFLAGS_HARD := -Wl,-z,relro,-z,now

ifeq ($(SANITIZE),1)
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
BASE_CFLAGS += $(SAN)
LDFLAGS_HARD += $(SAN)
else
BASE_CFLAGS += -D_FORTIFY_SOURCE=2
endif

ALL_CFLAGS = $(BASE_CFLAGS) $(CFLAGS)

JANSSON_LIBS := $(shell pkg-config --libs jansson 2>/dev/null || echo -ljansson)
SECCOMP_LIBS := $(shell pkg-config --libs libseccomp 2>/dev/null || echo -lseccomp)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)
URING_LIBS := $(shell pkg-config --libs liburing 2>/dev/null || echo -luring)
CORE_LIBS := $(URING_LIBS) -ldl -lpthread -lrt

# --- sources -----------------------------------------------------------
# Everything in vmm/, devices/ (recursively) and arch/$(ARCH)/ is the core;
# vmm/main.c is the program entry and stays out of the core library.
VMM_SRCS := $(filter-out vmm/main.c,$(wildcard vmm/*.c))
DEV_SRCS := $(wildcard devices/*.c devices/*/*.c)
ARCH_SRCS := $(wildcard arch/$(ARCH)/*.c)
PLUGIN_LOADER_SRCS := plugins/loader.c hv/hv.c
CORE_SRCS := $(VMM_SRCS) $(DEV_SRCS) $(ARCH_SRCS) $(PLUGIN_LOADER_SRCS)
CORE_OBJS := $(CORE_SRCS:%.c=$(O)/%.o)
CORE_LIB := $(O)/libnimbus.a

# Plugin sources: common files plus the ones for $(ARCH) (*_x86_64.c,
# *_aarch64.c).
arch_filter = $(filter-out %_x86_64.c %_aarch64.c,$(1)) \
	$(filter %_$(ARCH).c,$(1))
KVM_SRCS := $(call arch_filter,$(wildcard hv/kvm/*.c))
KVM_OBJS := $(KVM_SRCS:%.c=$(O)/pic/%.o)

FAKE_SRCS := $(wildcard tests/fakes/hv_fake*.c)
FAKE_OBJ := $(FAKE_SRCS:%.c=$(O)/%.o)
FAKE_PIC_OBJ := $(FAKE_SRCS:%.c=$(O)/pic/%.o)
BAD_SRCS := $(wildcard tests/fakes/bad_*.c)
BAD_PLUGINS := $(BAD_SRCS:tests/fakes/bad_%.c=$(O)/plugins/hv-bad-%.so)

TESTLIB_SRCS := $(wildcard tests/lib/*.c)
TESTLIB_OBJS := $(TESTLIB_SRCS:%.c=$(O)/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(O)/tests/unit/%)
KVMTEST_SRCS := $(wildcard tests/kvm/test_*.c)
KVMTEST_BINS := $(KVMTEST_SRCS:tests/kvm/%.c=$(O)/tests/kvm/%)

NIMBUS := $(O)/nimbus
PLUGINS := $(O)/plugins/hv-kvm.so
TEST_PLUGINS := $(O)/plugins/hv-fake.so $(BAD_PLUGINS)

# Extension fragments: each mk/*.mk adds its own programs and tests by
# appending to PLUGINS (built by `all`, installed), EXTRA_BINS (built by
# `all`), TEST_PLUGINS and EXTRA_TEST_BINS (built by `test-bins`), and by
# giving extra prerequisites (objects) to its unit-test binaries.
EXTRA_BINS :=
EXTRA_TEST_BINS :=
# `make` alone builds `all`, whatever rules the fragments define first.
.DEFAULT_GOAL := all
include $(sort $(wildcard mk/*.mk))

.PHONY: deps-check all plugins check unit-tests test-bins run install clean format deps \
	guests bench e2e
all: deps $(NIMBUS) $(PLUGINS) $(EXTRA_BINS)

plugins: $(PLUGINS)

# Install missing build dependencies (Debian packages) once.
deps:
	$(Q)./tests/deps.sh build

$(O)/%.o: %.c | deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(O)/pic/%.o: %.c | deps
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC [pic] $<")
	$(Q)$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -c $< -o $@

$(CORE_LIB): $(CORE_OBJS)
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

# Objects that embed PLUGINDIR or VERSION are rebuilt when those change
# (e.g. `make install PREFIX=/usr` after a plain `make`).
CONFIG_STAMP := $(O)/.config-$(shell printf '%s %s' '$(PLUGINDIR)' \
	'$(VERSION)' | cksum | cut -d' ' -f1)
$(CONFIG_STAMP):
	@mkdir -p $(O)
	@rm -f $(O)/.config-*
	@touch $@
$(O)/vmm/main.o $(O)/plugins/loader.o $(O)/pic/hv/kvm/kvm.o: $(CONFIG_STAMP)

$(NIMBUS): $(O)/vmm/main.o $(CORE_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS_HARD) -o $@ $^ $(JANSSON_LIBS) \
		$(SECCOMP_LIBS) $(CORE_LIBS)

PLUGIN_LDFLAGS = -shared -Wl,-z,defs -Wl,-z,now $(LDFLAGS_HARD)

$(O)/plugins/hv-kvm.so: $(KVM_OBJS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(PLUGIN_LDFLAGS) -o $@ $^ -lpthread
	$(Q)chmod 755 $@

$(O)/plugins/hv-fake.so: $(FAKE_PIC_OBJ)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) $(PLUGIN_LDFLAGS) -o $@ $^ -lpthread
	$(Q)chmod 755 $@

$(O)/plugins/hv-bad-%.so: $(O)/pic/tests/fakes/bad_%.o
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) $(PLUGIN_LDFLAGS) -o $@ $^ -lpthread
	$(Q)chmod 755 $@

$(O)/tests/unit/%: $(O)/tests/unit/%.o $(TESTLIB_OBJS) $(FAKE_OBJ) $(CORE_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(JANSSON_LIBS) \
		$(SECCOMP_LIBS) $(CORE_LIBS)

$(O)/tests/kvm/%: $(O)/tests/kvm/%.o $(TESTLIB_OBJS) $(CORE_LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(JANSSON_LIBS) \
		$(SECCOMP_LIBS) $(CORE_LIBS)

test-bins: | deps-check
test-bins: all $(UNIT_BINS) $(KVMTEST_BINS) $(TEST_PLUGINS) \
	$(EXTRA_TEST_BINS) guests

guests:
	$(Q)$(MAKE) --no-print-directory -f tests/guests/guests.mk O=$(O)

# `make check` builds everything and runs every test; it ends with an
# "N passed, N failed" line and fails on any failure.
check: test-bins | deps-check
	$(Q)O=$(O) ./tests/run-tests.sh

deps-check:
	$(Q)./tests/deps.sh check

run: all
	$(Q)O=$(O) ./tests/e2e/demo.sh

bench: all guests
	$(Q)O=$(O) ./bench/run.sh

install: $(NIMBUS) $(PLUGINS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(PLUGINDIR)
	install -m 755 $(NIMBUS) $(DESTDIR)$(BINDIR)/nimbus
	install -m 755 $(PLUGINS) $(DESTDIR)$(PLUGINDIR)/

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(O)

-include $(shell find $(O) -name '*.d' -type f 2>/dev/null)

# Keep the objects that only chained rules produce.
.SECONDARY: $(UNIT_BINS:%=%.o) $(KVMTEST_BINS:%=%.o) $(FAKE_PIC_OBJ) \
	$(FAKE_OBJ) $(TESTLIB_OBJS) \
	$(BAD_SRCS:tests/fakes/%.c=$(O)/pic/tests/fakes/%.o)
