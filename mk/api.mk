# SPDX-License-Identifier: Apache-2.0
# The REST API's client, nimbus-remote (remote/nimbus_remote.c), built by
# `all` into $(O)/nimbus-remote.  It shares the CLI's value parsers
# (vmm/kvparse.c) and nothing else.
REMOTE := $(O)/nimbus-remote
EXTRA_BINS += $(REMOTE)

$(REMOTE): $(O)/remote/nimbus_remote.o $(O)/vmm/kvparse.o
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(LDFLAGS_HARD) -o $@ $^
