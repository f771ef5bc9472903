# SPDX-License-Identifier: Apache-2.0
# AArch64 platform (arch/aarch64, devices/pl0*): libfdt linking, the unit
# tests of the AArch64 code on every host, and the cross build
#
#   make ARCH=aarch64 CROSS_COMPILE=aarch64-linux-gnu- O=build-arm64
#
# which builds a dynamically linked nimbus and hv-kvm.so against Debian's
# arm64 multiarch libraries (libjansson-dev:arm64, libseccomp-dev:arm64,
# libcmocka-dev:arm64, libfdt1:arm64; the libfdt headers come from the
# amd64 libfdt-dev, which conflicts with libfdt-dev:arm64).  `make
# ARCH=aarch64 ... check-cross` builds the unit tests and runs them under
# qemu-aarch64-static.  See arch/aarch64/README.md.

# libfdt: pkg-config natively; cross builds link the runtime library of
# libfdt1:<arch> by file name (its -dev package cannot be installed next
# to the build machine's).
ifneq ($(CROSS_COMPILE),)
FDT_LIBS := -l:libfdt.so.1
else
FDT_LIBS := $(shell pkg-config --libs libfdt 2>/dev/null || echo -lfdt)
endif

A64_OBJS := $(O)/arch/aarch64/fdt.o $(O)/arch/aarch64/boot_image.o

ifeq ($(ARCH),aarch64)
# fdt.o is in libnimbus.a: every program that may pull the platform in
# links libfdt.
CORE_LIBS += $(FDT_LIBS)

# Unit tests of x86-only code (ACPI/AML, e820, the bzImage/PVH loaders,
# the x86 platform through test_vm; any test that includes an
# arch/x86_64 header) and the tiny x86 guests on /dev/kvm are left out of
# the aarch64 test set.
AARCH64_SKIP_TESTS := test_acpi test_aml test_e820 test_boot_cpu \
	test_mshv_exits test_mshv_irq test_mshv_mem test_mshv_mmio \
	test_mshv_pio test_mshv_sys test_mshv_vp \
	test_boot_linux test_boot_pvh test_vm \
	$(basename $(notdir $(shell grep -l '"arch/x86_64/' \
		tests/unit/test_*.c 2>/dev/null)))
UNIT_BINS := $(filter-out $(AARCH64_SKIP_TESTS:%=$(O)/tests/unit/%), \
	$(UNIT_BINS))
KVMTEST_BINS :=

# Tests that qemu-user (7.2) cannot run, though the code is the same on
# both architectures and they pass natively in `make check` and on arm64
# hardware: they hang in qemu-user's emulation of threads blocked in
# epoll/poll/eventfd while another thread signals or joins them, of fork()
# in a threaded process (test_bus), or of seccomp filters (qemu-user's
# own syscalls are x86_64's, so an aarch64 filter kills qemu: test_sandbox
# and the device tests that run again under the filters), and qemu-user
# has no TUN ioctls (test_net_tap, test_virtio_net_vm) and no io_uring
# (test_virtio_blk_aio would only skip its cases).  Measured: each
# hangs until its timeout; the arm64 end-to-end stage runs the same
# device code on real (nested) arm64 KVM.
AARCH64_QEMU_USER_SKIP := test_api_server test_bus test_evmon test_hv_fake \
	test_virtio_blk_aio \
	test_msix test_net_tap test_pci_bar test_sandbox test_serial_8250 \
	test_virtio_net test_virtio_net_hostile test_virtio_net_vm \
	test_virtio_pci test_virtio_pci_regs test_virtio_rng test_vsock \
	test_vsock_hostile
CROSS_UNIT_BINS := $(filter-out $(AARCH64_QEMU_USER_SKIP:%=$(O)/tests/unit/%), \
	$(UNIT_BINS))

# Run the unit tests of a cross build under qemu-user (no binfmt_misc
# needed): the cmocka output and a PASS:/FAIL: line per binary, then a
# "unit-arm64: N passed, N failed" line.
QEMU_AARCH64 ?= qemu-aarch64-static
QEMU_AARCH64_SYSROOT ?= /usr/aarch64-linux-gnu
.PHONY: check-cross
check-cross: $(UNIT_BINS) $(TEST_PLUGINS) | deps-check
	@echo "# unit-arm64: not run under qemu-user (see mk/aarch64.mk): $(AARCH64_QEMU_USER_SKIP)"
	$(Q)QEMU_AARCH64="$(QEMU_AARCH64)" \
		QEMU_AARCH64_SYSROOT="$(QEMU_AARCH64_SYSROOT)" \
		NIMBUS_PLUGIN_PATH="$(abspath $(O))/plugins" \
		O=$(O) tests/e2e-arm64/run-unit.sh $(CROSS_UNIT_BINS)
else
# On other hosts the AArch64 code is not in libnimbus.a: its unit tests
# link the objects and libfdt themselves.
$(O)/tests/unit/test_fdt: $(A64_OBJS)
$(O)/tests/unit/test_boot_image: $(A64_OBJS)
$(O)/tests/unit/test_fdt $(O)/tests/unit/test_boot_image: \
	CORE_LIBS += $(FDT_LIBS)
endif

# The end-to-end stage on an emulated arm64 host (tests/e2e-arm64).
.PHONY: e2e-arm64
e2e-arm64:
	$(Q)O=$(O) tests/e2e-arm64/run.sh
