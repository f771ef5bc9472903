// SPDX-License-Identifier: Apache-2.0
/*
 * test_image.c - build a minimal PVH ELF64 payload for tests.
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/lib/test_image.h"

struct pvh_note {
	Elf64_Nhdr h;
	char name[4]; /* "Xen" */
	uint64_t entry; /* XEN_ELFNOTE_PHYS32_ENTRY: 64-bit as Linux */
};

int test_write_pvh_elf(char *path, uint64_t load, const void *code, size_t len)
{
	struct {
		Elf64_Ehdr eh;
		Elf64_Phdr ph[2];
		struct pvh_note note;
	} hdr;
	size_t off = (sizeof(hdr) + 15) & ~(size_t)15;
	uint8_t pad[16] = { 0 };
	int fd = mkstemp(path), ret = 0;

	if (fd < 0)
		return -errno;
	memset(&hdr, 0, sizeof(hdr));
	memcpy(hdr.eh.e_ident, ELFMAG, SELFMAG);
	hdr.eh.e_ident[EI_CLASS] = ELFCLASS64;
	hdr.eh.e_ident[EI_DATA] = ELFDATA2LSB;
	hdr.eh.e_ident[EI_VERSION] = EV_CURRENT;
	hdr.eh.e_type = ET_EXEC;
	hdr.eh.e_machine = EM_X86_64;
	hdr.eh.e_version = EV_CURRENT;
	hdr.eh.e_entry = load;
	hdr.eh.e_phoff = offsetof(typeof(hdr), ph);
	hdr.eh.e_ehsize = sizeof(Elf64_Ehdr);
	hdr.eh.e_phentsize = sizeof(Elf64_Phdr);
	hdr.eh.e_phnum = 2;
	hdr.ph[0].p_type = PT_LOAD;
	hdr.ph[0].p_flags = PF_R | PF_X;
	hdr.ph[0].p_offset = off;
	hdr.ph[0].p_paddr = hdr.ph[0].p_vaddr = load;
	hdr.ph[0].p_filesz = hdr.ph[0].p_memsz = len;
	hdr.ph[0].p_align = 16;
	hdr.ph[1].p_type = PT_NOTE;
	hdr.ph[1].p_offset = offsetof(typeof(hdr), note);
	hdr.ph[1].p_filesz = sizeof(struct pvh_note);
	hdr.ph[1].p_align = 4;
	hdr.note.h.n_namesz = 4;
	hdr.note.h.n_descsz = 8;
	hdr.note.h.n_type = 18;
	memcpy(hdr.note.name, "Xen", 4);
	hdr.note.entry = load;
	if (write(fd, &hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr) ||
	    write(fd, pad, off - sizeof(hdr)) != (ssize_t)(off - sizeof(hdr)) ||
	    write(fd, code, len) != (ssize_t)len)
		ret = errno ? -errno : -EIO;
	close(fd);
	if (ret)
		unlink(path);
	return ret;
}
