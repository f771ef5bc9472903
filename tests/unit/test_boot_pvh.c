// SPDX-License-Identifier: Apache-2.0
/*
 * test_boot_pvh.c - ELF vmlinux (PVH note) loading into malloc'd guest RAM.
 *
 * Synthetic ELF64 files with a PT_NOTE and two PT_LOAD segments (the second
 * with bss) are written to a temp dir and loaded; hvm_start_info is checked
 * at the byte offsets of the Xen ABI.  Set NIMBUS_TEST_VMLINUX=/path to
 * also load a real PVH-capable vmlinux.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "arch/x86_64/boot.h"
#include "arch/x86_64/layout.h"
#include "vmm/guest_mem.h"

#define MiB (1ull << 20)
#define RAM_SIZE (64 * MiB)
#define HIGH_SIZE (1 * MiB)
#define FILE_SIZE 0x3800u
#define SI X86_PVH_INFO_ADDR

struct fx {
	char dir[64];
	char kernel[128], initrd[128];
	uint8_t *ram, *high;
	struct guest_mem m;
	struct x86_boot_cfg cfg;
	struct x86_boot_info bi;
	char err[256];
};

struct seg {
	uint64_t paddr, offset, filesz, memsz;
};

struct elf {
	uint8_t cls;
	uint16_t machine, type, phentsize, phnum;
	uint64_t phoff;
	int xen_note; /* emit the type 18 note */
	uint32_t xen_descsz; /* 4 or 8 (others are malformed) */
	uint32_t xen_namesz;
	uint64_t entry;
	struct seg s[2];
};

static const struct elf elf_default = {
	.cls = ELFCLASS64,
	.machine = EM_X86_64,
	.type = ET_EXEC,
	.phentsize = sizeof(Elf64_Phdr),
	.phnum = 3,
	.phoff = 0x40,
	.xen_note = 1,
	.xen_descsz = 4,
	.xen_namesz = 4,
	.entry = 0x1000100,
	.s = { { 0x1000000, 0x1000, 0x2000, 0x2000 },
	       { 0x1200000, 0x3000, 0x800, 0x5000 } },
};

static uint8_t seg_byte(unsigned int s, size_t i)
{
	return (uint8_t)(i * 13 + 1 + s * 101);
}

static uint64_t get(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static size_t put_note(uint8_t *p, uint32_t namesz, const char *name,
		       uint32_t type, const void *desc, uint32_t descsz)
{
	size_t off = 12;

	memcpy(p, &namesz, 4);
	memcpy(p + 4, &descsz, 4);
	memcpy(p + 8, &type, 4);
	/* Lay out by the real name; namesz may lie (hostile cases). */
	memcpy(p + off, name, strlen(name) + 1);
	off += (strlen(name) + 1 + 3) & ~(size_t)3;
	memcpy(p + off, desc, descsz);
	off += (descsz + 3) & ~3u;
	return off;
}

/* Build the ELF image in a FILE_SIZE buffer. */
static void make_elf(const struct elf *o, uint8_t *b)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph[3];
	uint8_t build_id[20];
	uint64_t entry8 = o->entry;
	uint32_t entry4 = (uint32_t)o->entry;
	size_t notes = 0x200, n = 0, i;
	unsigned int k;

	memset(b, 0, FILE_SIZE);
	memset(&eh, 0, sizeof(eh));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = o->cls;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = o->type;
	eh.e_machine = o->machine;
	eh.e_version = EV_CURRENT;
	eh.e_entry = 0xffffffff81000000ull; /* virtual: must be ignored */
	eh.e_phoff = o->phoff;
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = o->phentsize;
	eh.e_phnum = o->phnum;
	memcpy(b, &eh, sizeof(eh));

	memset(build_id, 0x42, sizeof(build_id));
	n += put_note(b + notes + n, 4, "GNU", 3, build_id, 20);
	n += put_note(b + notes + n, 4, "Xen", 6, "linux", 6);
	/* Same name, other type carrying an address: must be skipped. */
	n += put_note(b + notes + n, 4, "Xen", 1, &entry8, 8);
	if (o->xen_note) {
		if (o->xen_descsz == 8)
			n += put_note(b + notes + n, o->xen_namesz, "Xen", 18,
				      &entry8, 8);
		else
			n += put_note(b + notes + n, o->xen_namesz, "Xen", 18,
				      &entry4, o->xen_descsz);
	}
	assert_true(notes + n <= 0x1000);

	memset(ph, 0, sizeof(ph));
	for (k = 0; k < 2; k++) {
		ph[k].p_type = PT_LOAD;
		ph[k].p_flags = PF_R | PF_X;
		ph[k].p_offset = o->s[k].offset;
		ph[k].p_vaddr = 0xffffffff80000000ull + o->s[k].paddr;
		ph[k].p_paddr = o->s[k].paddr;
		ph[k].p_filesz = o->s[k].filesz;
		ph[k].p_memsz = o->s[k].memsz;
		ph[k].p_align = 0x1000;
	}
	ph[2].p_type = PT_NOTE;
	ph[2].p_offset = notes;
	ph[2].p_filesz = n;
	ph[2].p_memsz = n;
	ph[2].p_align = 4;
	if (o->phoff <= FILE_SIZE - sizeof(ph))
		memcpy(b + o->phoff, ph, sizeof(ph));
	for (i = 0; i < 0x2000; i++)
		b[0x1000 + i] = seg_byte(0, i);
	for (i = 0; i < 0x800; i++)
		b[0x3000 + i] = seg_byte(1, i);
}

static void write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static void write_elf(struct fx *f, const struct elf *o, size_t len)
{
	uint8_t b[FILE_SIZE];

	make_elf(o, b);
	write_file(f->kernel, b, len);
}

static void write_initrd(struct fx *f, size_t len)
{
	uint8_t *b = malloc(len);
	size_t i;

	assert_non_null(b);
	for (i = 0; i < len; i++)
		b[i] = (uint8_t)(i * 3 + 11);
	write_file(f->initrd, b, len);
	free(b);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/nimbus-pvh-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->kernel, sizeof(f->kernel), "%s/vmlinux", f->dir);
	snprintf(f->initrd, sizeof(f->initrd), "%s/initrd", f->dir);
	f->ram = malloc(RAM_SIZE);
	f->high = malloc(HIGH_SIZE);
	if (!f->ram || !f->high)
		return -1;
	memset(f->ram, 0xcc, RAM_SIZE);
	memset(f->high, 0xcc, HIGH_SIZE);
	guest_mem_init(&f->m);
	if (guest_mem_add_external(&f->m, 0, RAM_SIZE, f->ram) ||
	    guest_mem_add_external(&f->m, X86_HIGH_RAM_START, HIGH_SIZE,
				   f->high))
		return -1;
	f->cfg.kernel_path = f->kernel;
	f->cfg.layout.low_size = RAM_SIZE;
	f->cfg.layout.high_size = HIGH_SIZE;
	f->cfg.rsdp_addr = X86_ACPI_BASE;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	unlink(f->kernel);
	unlink(f->initrd);
	rmdir(f->dir);
	guest_mem_destroy(&f->m);
	free(f->ram);
	free(f->high);
	free(f);
	return 0;
}

static int load(struct fx *f)
{
	memset(f->err, 0, sizeof(f->err));
	return x86_boot_load(&f->m, &f->cfg, &f->bi, f->err, sizeof(f->err));
}

static void expect_fail(struct fx *f, int ret)
{
	assert_int_equal(load(f), ret);
	assert_true(strlen(f->err) > 0);
	assert_null(strchr(f->err, '\n'));
	if (ret != -E2BIG)
		assert_non_null(strstr(f->err, f->kernel));
	assert_int_equal(f->bi.mode, 0);
}

static void check_segments(const uint8_t *ram)
{
	size_t i;

	for (i = 0; i < 0x2000; i++)
		if (ram[0x1000000 + i] != seg_byte(0, i))
			fail_msg("segment 0 byte %zu differs", i);
	for (i = 0; i < 0x800; i++)
		if (ram[0x1200000 + i] != seg_byte(1, i))
			fail_msg("segment 1 byte %zu differs", i);
	for (i = 0x800; i < 0x5000; i++)
		if (ram[0x1200000 + i])
			fail_msg("bss byte 0x%zx not zeroed", i);
	assert_int_equal(ram[0x1205000], 0xcc); /* nothing past memsz */
	assert_int_equal(ram[0x1000000 - 1], 0xcc);
}

static void test_load_full(void **state)
{
	struct fx *f = *state;
	const uint8_t *si = f->ram + SI, *mm, *mod;
	uint64_t want_initrd = (RAM_SIZE - 5000) & ~0xfffull, modlist;
	size_t i;

	write_elf(f, &elf_default, FILE_SIZE);
	write_initrd(f, 5000);
	f->cfg.initramfs_path = f->initrd;
	f->cfg.cmdline = "console=hvc0 quiet";
	assert_int_equal(load(f), 0);
	assert_string_equal(f->err, "");

	assert_int_equal(f->bi.mode, X86_ENTRY_PVH32);
	assert_int_equal(f->bi.entry, 0x1000100);
	assert_int_equal(f->bi.params_addr, 0x6000);
	assert_int_equal(f->bi.kernel_start, 0x1000000);
	assert_int_equal(f->bi.kernel_end, 0x1205000);
	assert_int_equal(f->bi.initrd_addr, want_initrd);
	assert_int_equal(f->bi.initrd_size, 5000);
	check_segments(f->ram);

	/* hvm_start_info at the ABI's byte offsets. */
	assert_int_equal(get(si + 0, 4), 0x336ec578);
	assert_int_equal(get(si + 4, 4), 1);
	assert_int_equal(get(si + 8, 4), 0);
	assert_int_equal(get(si + 12, 4), 1);
	modlist = get(si + 16, 8);
	assert_int_equal(get(si + 24, 8), 0x20000);
	assert_int_equal(get(si + 32, 8), X86_ACPI_BASE);
	assert_int_equal(get(si + 40, 8), 0x6040);
	assert_int_equal(get(si + 48, 4), 4);
	assert_int_equal(get(si + 52, 4), 0);
	for (i = 56; i < 0x40; i++)
		assert_int_equal(si[i], 0);

	/* memory map: 24-byte entries */
	mm = f->ram + 0x6040;
	assert_int_equal(get(mm + 0, 8), 0);
	assert_int_equal(get(mm + 8, 8), 0x9fc00);
	assert_int_equal(get(mm + 16, 4), 1);
	assert_int_equal(get(mm + 20, 4), 0);
	assert_int_equal(get(mm + 24, 8), 0x9fc00);
	assert_int_equal(get(mm + 32, 8), 0x60400);
	assert_int_equal(get(mm + 40, 4), 2);
	assert_int_equal(get(mm + 48, 8), MiB);
	assert_int_equal(get(mm + 56, 8), RAM_SIZE - MiB);
	assert_int_equal(get(mm + 64, 4), 1);
	assert_int_equal(get(mm + 72, 8), 0x100000000ull);
	assert_int_equal(get(mm + 80, 8), HIGH_SIZE);
	assert_int_equal(get(mm + 88, 4), 1);
	assert_int_equal(get(mm + 92, 4), 0);

	/* module list: inside the PVH page, after the map, 8-aligned */
	assert_true(modlist >= 0x6040 + 4 * 24);
	assert_true(modlist + 32 <= X86_ZERO_PAGE_ADDR);
	assert_int_equal(modlist % 8, 0);
	mod = f->ram + modlist;
	assert_int_equal(get(mod + 0, 8), want_initrd);
	assert_int_equal(get(mod + 8, 8), 5000);
	assert_int_equal(get(mod + 16, 8), 0);
	assert_int_equal(get(mod + 24, 8), 0);

	assert_string_equal((const char *)f->ram + 0x20000,
			    "console=hvc0 quiet");
	for (i = 0; i < 5000; i++)
		if (f->ram[want_initrd + i] != (uint8_t)(i * 3 + 11))
			fail_msg("initrd byte %zu differs", i);
}

static void test_no_initrd_desc8(void **state)
{
	struct fx *f = *state;
	struct elf o = elf_default;

	o.xen_descsz = 8;
	o.entry = 0x1200010; /* in the second segment */
	write_elf(f, &o, FILE_SIZE);
	f->cfg.rsdp_addr = 0;
	assert_int_equal(load(f), 0);
	assert_int_equal(f->bi.entry, 0x1200010);
	assert_int_equal(f->bi.initrd_size, 0);
	assert_int_equal(get(f->ram + SI + 12, 4), 0); /* nr_modules */
	assert_int_equal(get(f->ram + SI + 16, 8), 0); /* modlist_paddr */
	assert_int_equal(get(f->ram + SI + 32, 8), 0); /* rsdp */
	assert_string_equal((const char *)f->ram + 0x20000, "");
	check_segments(f->ram);
}

static void test_high_segment(void **state)
{
	struct fx *f = *state;
	struct elf o = elf_default;

	o.s[1].paddr = X86_HIGH_RAM_START + 0x10000;
	write_elf(f, &o, FILE_SIZE);
	write_initrd(f, 100);
	f->cfg.initramfs_path = f->initrd;
	assert_int_equal(load(f), 0);
	assert_int_equal(f->bi.kernel_end, X86_HIGH_RAM_START + 0x15000);
	assert_int_equal(f->high[0x10000 + 3], seg_byte(1, 3));
	assert_int_equal(f->high[0x10000 + 0x900], 0);
	assert_int_equal(f->high[0x15000], 0xcc);
	assert_int_equal(f->bi.initrd_addr, RAM_SIZE - 0x1000);

	/* Crossing the end of high RAM. */
	o.s[1].paddr = X86_HIGH_RAM_START + HIGH_SIZE - 0x4000;
	write_elf(f, &o, FILE_SIZE);
	expect_fail(f, -EINVAL);
}

static void test_bad_segments(void **state)
{
	struct fx *f = *state;
	struct elf o;

	o = elf_default; /* overlaps the first MiB */
	o.s[1].paddr = 0xf0000;
	write_elf(f, &o, FILE_SIZE);
	expect_fail(f, -EINVAL);

	o = elf_default; /* beyond low RAM */
	o.s[1].paddr = RAM_SIZE - 0x1000;
	write_elf(f, &o, FILE_SIZE);
	expect_fail(f, -EINVAL);

	o = elf_default; /* in the MMIO hole */
	o.s[1].paddr = 0xd0000000ull;
	write_elf(f, &o, FILE_SIZE);
	expect_fail(f, -EINVAL);

	o = elf_default;
	o.s[1].filesz = 0x5001; /* > memsz */
	write_elf(f, &o, FILE_SIZE);
	expect_fail(f, -EINVAL);
	assert_non_null(strstr(f->err, "p_filesz"));

	o = elf_default; /* huge p_offset: offset + filesz overflows */
	o.s[1].offset = 0xffffffffffffff00ull;
	write_elf(f, &o, FILE_SIZE);
	expect_fail(f, -EINVAL);

	o = elf_default; /* data past EOF */
	o.s[1].offset = FILE_SIZE - 0x100;
	write_elf(f, &o, FILE_SIZE);
	expect_fail(f, -EINVAL);

	o = elf_default; /* paddr + memsz overflows */
	o.s[1].paddr = 0xfffffffffffff000ull;
	write_elf(f, &o, FILE_SIZE);
	expect_fail(f, -EINVAL);

	o = elf_default; /* entry not in any segment */
	o.entry = 0x1100000;
	write_elf(f, &o, FILE_SIZE);
	expect_fail(f, -EINVAL);
}

static void test_truncated(void **state)
{
	struct fx *f = *state;

	write_elf(f, &elf_default, 40); /* inside the ELF header */
	expect_fail(f, -EINVAL);
	write_elf(f, &elf_default, 100); /* inside the program headers */
	expect_fail(f, -EINVAL);
	write_elf(f, &elf_default, 0x240); /* inside the notes */
	expect_fail(f, -EINVAL);
	write_elf(f, &elf_default, 0x3400); /* inside segment 1 data */
	expect_fail(f, -EINVAL);
}

static void test_not_pvh(void **state)
{
	struct fx *f = *state;
	struct elf o;

	o = elf_default;
	o.xen_note = 0;
	write_elf(f, &o, FILE_SIZE);
	expect_fail(f, -ENOEXEC);
	assert_non_null(strstr(f->err, "PVH"));

	o = elf_default;
	o.cls = ELFCLASS32;
	write_elf(f, &o, FILE_SIZE);
	expect_fail(f, -ENOEXEC);

	o = elf_default;
	o.machine = EM_AARCH64;
	write_elf(f, &o, FILE_SIZE);
	expect_fail(f, -ENOEXEC);

	o = elf_default;
	o.type = ET_REL;
	write_elf(f, &o, FILE_SIZE);
	expect_fail(f, -ENOEXEC);
}

static void test_bad_headers(void **state)
{
	struct fx *f = *state;
	struct elf o;

	o = elf_default;
	o.phnum = 0;
	write_elf(f, &o, FILE_SIZE);
	expect_fail(f, -EINVAL);

	o = elf_default;
	o.phnum = 0xffff;
	write_elf(f, &o, FILE_SIZE);
	expect_fail(f, -EINVAL);

	o = elf_default;
	o.phentsize = 32;
	write_elf(f, &o, FILE_SIZE);
	expect_fail(f, -EINVAL);

	o = elf_default;
	o.phoff = 0xfffffffffffffff0ull;
	write_elf(f, &o, FILE_SIZE);
	expect_fail(f, -EINVAL);

	o = elf_default; /* PVH note with a 2-byte descriptor */
	o.xen_descsz = 2;
	write_elf(f, &o, FILE_SIZE);
	expect_fail(f, -EINVAL);

	o = elf_default; /* 8-byte entry above 4 GiB, inside a segment */
	o.xen_descsz = 8;
	o.s[1].paddr = X86_HIGH_RAM_START + 0x10000;
	o.entry = X86_HIGH_RAM_START + 0x10010;
	write_elf(f, &o, FILE_SIZE);
	expect_fail(f, -EINVAL);

	o = elf_default; /* namesz runs past the note segment */
	o.xen_namesz = 0xfffffff0u;
	write_elf(f, &o, FILE_SIZE);
	expect_fail(f, -EINVAL);
}

static void test_cmdline_and_initrd_limits(void **state)
{
	struct fx *f = *state;
	char big[X86_CMDLINE_MAX + 1];
	int fd;

	write_elf(f, &elf_default, FILE_SIZE);
	memset(big, 'x', sizeof(big));
	big[X86_CMDLINE_MAX - 1] = '\0';
	f->cfg.cmdline = big;
	assert_int_equal(load(f), 0);
	big[X86_CMDLINE_MAX - 1] = 'x';
	big[X86_CMDLINE_MAX] = '\0';
	expect_fail(f, -E2BIG);

	f->cfg.cmdline = NULL;
	fd = open(f->initrd, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, RAM_SIZE - 0x1205000 + 1), 0);
	close(fd);
	f->cfg.initramfs_path = f->initrd;
	assert_int_equal(load(f), -ENOSPC);
	assert_non_null(strstr(f->err, f->initrd));
	fd = open(f->initrd, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, RAM_SIZE - 0x1205000), 0);
	close(fd);
	assert_int_equal(load(f), 0);
	assert_int_equal(f->bi.initrd_addr, 0x1205000);
}

static void test_real_vmlinux(void **state)
{
	const char *path = getenv("NIMBUS_TEST_VMLINUX");
	struct x86_boot_cfg cfg = { 0 };
	struct x86_boot_info bi;
	struct guest_mem m;
	char err[256];
	void *hva;
	uint8_t *si;

	if (!path)
		skip();
	guest_mem_init(&m);
	assert_int_equal(guest_mem_add(&m, 0, 512 * MiB, &hva), 0);
	cfg.kernel_path = path;
	cfg.cmdline = "console=ttyS0";
	x86_mem_layout_from_size(512 * MiB, &cfg.layout);
	if (x86_boot_load(&m, &cfg, &bi, err, sizeof(err)))
		fail_msg("%s", err);
	si = (uint8_t *)hva + SI;
	assert_int_equal(bi.mode, X86_ENTRY_PVH32);
	assert_int_equal(get(si, 4), 0x336ec578);
	assert_true(bi.entry >= bi.kernel_start && bi.entry < bi.kernel_end);
	print_message("real vmlinux: entry 0x%llx, [0x%llx, 0x%llx)\n",
		      (unsigned long long)bi.entry,
		      (unsigned long long)bi.kernel_start,
		      (unsigned long long)bi.kernel_end);
	guest_mem_destroy(&m);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_load_full),
		T(test_no_initrd_desc8),
		T(test_high_segment),
		T(test_bad_segments),
		T(test_truncated),
		T(test_not_pvh),
		T(test_bad_headers),
		T(test_cmdline_and_initrd_limits),
		cmocka_unit_test(test_real_vmlinux),
	};

	return cmocka_run_group_tests_name("boot_pvh", tests, NULL, NULL);
}
