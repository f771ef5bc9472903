# SPDX-License-Identifier: Apache-2.0
# Builds the tiny bare-metal test guests: freestanding 32-bit code linked
# at 2 MiB, entered through a PVH note, stored as ELF64 like a vmlinux.
O ?= build
GDIR := $(O)/guests
GCFLAGS := -m32 -ffreestanding -fno-pic -fno-stack-protector -nostdlib \
	-mgeneral-regs-only -mno-red-zone -O2 -Wall -Wextra -Werror -Wno-unused-parameter \
	-fno-asynchronous-unwind-tables -Itests/guests
GUESTS := hello uart cmos reset acpireset echo debugport smp pio_loop mmio_loop
COMMON := $(GDIR)/entry.o $(GDIR)/lib.o

all: $(GUESTS:%=$(GDIR)/%.elf)

$(GDIR)/%.o: tests/guests/%.c tests/guests/lib.h
	@mkdir -p $(GDIR)
	@$(CC) $(GCFLAGS) -c $< -o $@

$(GDIR)/%.o: tests/guests/%.S
	@mkdir -p $(GDIR)
	@$(CC) -m32 -c $< -o $@

$(GDIR)/smp.elf32: $(GDIR)/smp.o $(GDIR)/smp_tramp.o $(COMMON)
$(GDIR)/%.elf32: $(GDIR)/%.o $(COMMON) tests/guests/guest.ld
	@ld -m elf_i386 -z noexecstack --no-warn-rwx-segments -T tests/guests/guest.ld -o $@ $(filter %.o,$^)

$(GDIR)/%.elf: $(GDIR)/%.elf32
	@objcopy -I elf32-i386 -O elf64-x86-64 $< $@

.SECONDARY:
