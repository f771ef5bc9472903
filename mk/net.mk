# SPDX-License-Identifier: Apache-2.0
# Networking and host channels (virtio-net, virtio-vsock, virtio-pmem):
# the static helper the end-to-end tests run in the guest and in the
# emulated host (tests/guest-tools/nettest.c; see tests/e2e/cases-net.sh,
# tests/e2e/l1-net.list and tests/e2e/rootfs-net.list, which ship
# $(O)/guest-tools/nettest).  Built by `make` because every e2e run packs
# it into L1.

NET_GUEST_TOOLS := $(O)/guest-tools/nettest

EXTRA_BINS += $(NET_GUEST_TOOLS)

$(O)/guest-tools/%: tests/guest-tools/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC [static] $<")
	$(Q)$(CC) -std=gnu11 -O2 $(WARN) -D_GNU_SOURCE -static -o $@ $<
