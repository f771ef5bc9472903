// SPDX-License-Identifier: Apache-2.0
/*
 * boot_pvh.c - ELF vmlinux loader for the Xen PVH direct boot ABI.
 *
 * The kernel names its 32-bit entry in an ELF note (owner "Xen", type
 * XEN_ELFNOTE_PHYS32_ENTRY).  We load the PT_LOAD segments at their
 * physical addresses and describe the machine in a struct hvm_start_info.
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MOD "x86-pvh"
#include "arch/x86_64/boot.h"
#include "arch/x86_64/layout.h"
#include "vmm/log.h"

#define PVH_PAGE 0x1000ull
#define PVH_MAX_PHDRS 128u /* more is hostile, not a kernel */
#define PVH_MAX_NOTE (64u << 10) /* bytes of one PT_NOTE we parse */
#define PVH_MEMMAP_MAX 32u
/* The module list follows the room reserved for the memory map. */
#define PVH_MODLIST_ADDR       \
	(X86_PVH_MEMMAP_ADDR + \
	 PVH_MEMMAP_MAX * sizeof(struct x86_hvm_memmap_entry))

_Static_assert(X86_PVH_INFO_ADDR + sizeof(struct x86_hvm_start_info) <=
		       X86_PVH_MEMMAP_ADDR,
	       "start_info overlaps the memory map");
_Static_assert(PVH_MODLIST_ADDR % 8 == 0, "modlist alignment");
_Static_assert(PVH_MODLIST_ADDR + sizeof(struct x86_hvm_modlist_entry) <=
		       X86_ZERO_PAGE_ADDR,
	       "PVH data overlaps the zero page");

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static int pvh_check_ehdr(const Elf64_Ehdr *eh, const struct x86_boot_file *f,
			  char *err, size_t errlen)
{
	uint64_t ph_bytes;

	if (eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_machine != EM_X86_64)
		return x86_boot_err(err, errlen, -ENOEXEC,
				    "%s: not a little-endian ELF64 x86_64 "
				    "file",
				    f->path);
	if (eh->e_type != ET_EXEC)
		return x86_boot_err(err, errlen, -ENOEXEC,
				    "%s: ELF type %u is not an executable",
				    f->path, eh->e_type);
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || !eh->e_phnum ||
	    eh->e_phnum > PVH_MAX_PHDRS)
		return x86_boot_err(err, errlen, -EINVAL,
				    "%s: bad program header table (%u entries "
				    "of %u bytes)",
				    f->path, eh->e_phnum, eh->e_phentsize);
	ph_bytes = (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr);
	if (eh->e_phoff > f->size || ph_bytes > f->size - eh->e_phoff)
		return x86_boot_err(err, errlen, -EINVAL,
				    "%s: program headers lie past the end of "
				    "the file (truncated?)",
				    f->path);
	return 0;
}

/*
 * Walk one note segment's bytes.  Returns 1 and sets *entry if the PVH
 * note is there, 0 if not, -EINVAL if the notes are malformed.
 */
static int pvh_parse_notes(const uint8_t *p, uint64_t len, uint64_t align,
			   uint64_t *entry)
{
	uint64_t off = 0, namesz, descsz, npad, dpad, v;
	uint32_t type;
	const uint8_t *name, *desc;

	while (len - off >= 12) {
		namesz = rd32(p + off);
		descsz = rd32(p + off + 4);
		type = rd32(p + off + 8);
		off += 12;
		npad = (namesz + align - 1) & ~(align - 1);
		dpad = (descsz + align - 1) & ~(align - 1);
		if (npad > len - off)
			return -EINVAL;
		name = p + off;
		off += npad;
		if (descsz > len - off)
			return -EINVAL;
		desc = p + off;
		off += dpad < len - off ? dpad : len - off;
		if (namesz != 4 || memcmp(name, "Xen", 4) ||
		    type != X86_XEN_ELFNOTE_PHYS32_ENTRY)
			continue;
		if (descsz == 4) {
			*entry = rd32(desc);
		} else if (descsz == 8) {
			v = (uint64_t)rd32(desc + 4) << 32 | rd32(desc);
			if (v >> 32)
				return -EINVAL;
			*entry = v;
		} else {
			return -EINVAL;
		}
		return 1;
	}
	return 0;
}

static int pvh_find_entry(const struct x86_boot_file *f, const Elf64_Phdr *ph,
			  unsigned int n, uint64_t *entry, char *err,
			  size_t errlen)
{
	unsigned int i;
	uint8_t *buf;
	int ret;

	for (i = 0; i < n; i++) {
		if (ph[i].p_type != PT_NOTE || !ph[i].p_filesz)
			continue;
		if (ph[i].p_filesz > PVH_MAX_NOTE)
			return x86_boot_err(err, errlen, -EINVAL,
					    "%s: PT_NOTE %u is too large (%llu "
					    "bytes)",
					    f->path, i,
					    (unsigned long long)ph[i].p_filesz);
		buf = malloc(ph[i].p_filesz);
		if (!buf)
			return x86_boot_err(err, errlen, -ENOMEM,
					    "%s: out of memory", f->path);
		ret = x86_boot_read(f, buf, ph[i].p_filesz, ph[i].p_offset, err,
				    errlen);
		if (!ret)
			ret = pvh_parse_notes(buf, ph[i].p_filesz,
					      ph[i].p_align == 8 ? 8 : 4,
					      entry);
		free(buf);
		if (ret == 1)
			return 0;
		if (ret == -EINVAL)
			return x86_boot_err(err, errlen, -EINVAL,
					    "%s: malformed PT_NOTE %u", f->path,
					    i);
		if (ret)
			return ret;
	}
	return x86_boot_err(err, errlen, -ENOEXEC,
			    "%s: ELF has no PVH entry note "
			    "(XEN_ELFNOTE_PHYS32_ENTRY); the kernel needs "
			    "CONFIG_PVH",
			    f->path);
}

/* Is PT_LOAD `ph` loadable: inside the file and in RAM above 1 MiB? */
static int pvh_check_load(const struct x86_mem_layout *l, const Elf64_Phdr *ph,
			  unsigned int i, const struct x86_boot_file *f,
			  char *err, size_t errlen)
{
	uint64_t start = ph->p_paddr, end;

	if (ph->p_filesz > ph->p_memsz)
		return x86_boot_err(err, errlen, -EINVAL,
				    "%s: segment %u has p_filesz 0x%llx > "
				    "p_memsz 0x%llx",
				    f->path, i,
				    (unsigned long long)ph->p_filesz,
				    (unsigned long long)ph->p_memsz);
	if (ph->p_offset > f->size || ph->p_filesz > f->size - ph->p_offset)
		return x86_boot_err(
			err, errlen, -EINVAL,
			"%s: segment %u data (offset 0x%llx, 0x%llx "
			"bytes) lies outside the file",
			f->path, i, (unsigned long long)ph->p_offset,
			(unsigned long long)ph->p_filesz);
	if (start > UINT64_MAX - ph->p_memsz)
		return x86_boot_err(err, errlen, -EINVAL,
				    "%s: segment %u address range overflows",
				    f->path, i);
	end = start + ph->p_memsz;
	if (start < X86_HIMEM_START)
		return x86_boot_err(err, errlen, -EINVAL,
				    "%s: segment %u at 0x%llx overlaps the "
				    "first MiB (boot data)",
				    f->path, i, (unsigned long long)start);
	if (end <= l->low_size)
		return 0;
	if (l->high_size && start >= X86_HIGH_RAM_START &&
	    end - X86_HIGH_RAM_START <= l->high_size)
		return 0;
	return x86_boot_err(err, errlen, -EINVAL,
			    "%s: segment %u [0x%llx, 0x%llx) lies outside "
			    "guest RAM",
			    f->path, i, (unsigned long long)start,
			    (unsigned long long)end);
}

static int pvh_load_segments(struct guest_mem *m,
			     const struct x86_boot_cfg *cfg,
			     const struct x86_boot_file *f,
			     const Elf64_Phdr *ph, unsigned int n,
			     struct x86_boot_info *bi, uint64_t *low_end,
			     char *err, size_t errlen)
{
	uint64_t start = UINT64_MAX, end = 0, seg_end;
	unsigned int i;
	uint8_t *dst;
	int ret;

	*low_end = X86_HIMEM_START;
	for (i = 0; i < n; i++) {
		if (ph[i].p_type != PT_LOAD || !ph[i].p_memsz)
			continue;
		ret = pvh_check_load(&cfg->layout, &ph[i], i, f, err, errlen);
		if (ret)
			return ret;
		dst = guest_mem_ptr(m, ph[i].p_paddr, ph[i].p_memsz);
		if (!dst)
			return x86_boot_err(err, errlen, -EFAULT,
					    "%s: no guest RAM at 0x%llx for "
					    "segment %u",
					    f->path,
					    (unsigned long long)ph[i].p_paddr,
					    i);
		ret = x86_boot_read(f, dst, ph[i].p_filesz, ph[i].p_offset, err,
				    errlen);
		if (ret)
			return ret;
		memset(dst + ph[i].p_filesz, 0, ph[i].p_memsz - ph[i].p_filesz);
		seg_end = ph[i].p_paddr + ph[i].p_memsz;
		if (ph[i].p_paddr < start)
			start = ph[i].p_paddr;
		if (seg_end > end)
			end = seg_end;
		if (seg_end <= cfg->layout.low_size && seg_end > *low_end)
			*low_end = seg_end;
	}
	if (!end)
		return x86_boot_err(err, errlen, -EINVAL,
				    "%s: ELF has no loadable segment", f->path);
	bi->kernel_start = start;
	bi->kernel_end = end;
	return 0;
}

static int pvh_entry_loaded(const Elf64_Phdr *ph, unsigned int n,
			    uint64_t entry)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (ph[i].p_type == PT_LOAD && entry >= ph[i].p_paddr &&
		    entry - ph[i].p_paddr < ph[i].p_memsz)
			return 1;
	return 0;
}

/* hvm_start_info, memory map and module list in the 0x6000 page. */
static int pvh_write_start_info(struct guest_mem *m,
				const struct x86_boot_cfg *cfg,
				const struct x86_boot_info *bi)
{
	struct x86_e820_entry e820[PVH_MEMMAP_MAX];
	struct x86_hvm_memmap_entry mm[PVH_MEMMAP_MAX];
	struct x86_hvm_modlist_entry mod;
	struct x86_hvm_start_info si;
	static const uint8_t zero[X86_ZERO_PAGE_ADDR - X86_PVH_INFO_ADDR];
	unsigned int i, nr;
	int ret;

	ret = x86_e820_build(&cfg->layout, e820, PVH_MEMMAP_MAX, &nr);
	if (ret)
		return ret;
	memset(mm, 0, sizeof(mm));
	for (i = 0; i < nr; i++) {
		mm[i].addr = e820[i].addr;
		mm[i].size = e820[i].size;
		mm[i].type = e820[i].type; /* PVH types equal e820's */
	}
	memset(&si, 0, sizeof(si));
	si.magic = X86_PVH_START_MAGIC;
	si.version = X86_PVH_START_VERSION;
	si.cmdline_paddr = X86_CMDLINE_ADDR;
	si.rsdp_paddr = cfg->rsdp_addr;
	si.memmap_paddr = X86_PVH_MEMMAP_ADDR;
	si.memmap_entries = nr;
	memset(&mod, 0, sizeof(mod));
	if (bi->initrd_size) {
		mod.paddr = bi->initrd_addr;
		mod.size = bi->initrd_size;
		si.nr_modules = 1;
		si.modlist_paddr = PVH_MODLIST_ADDR;
	}
	if (guest_mem_write(m, X86_PVH_INFO_ADDR, zero, sizeof(zero)) ||
	    guest_mem_write(m, X86_PVH_INFO_ADDR, &si, sizeof(si)) ||
	    guest_mem_write(m, X86_PVH_MEMMAP_ADDR, mm, nr * sizeof(mm[0])) ||
	    guest_mem_write(m, PVH_MODLIST_ADDR, &mod, sizeof(mod)))
		return -EFAULT;
	return 0;
}

int x86_boot_load_pvh(struct guest_mem *m, const struct x86_boot_cfg *cfg,
		      const struct x86_boot_file *f, const uint8_t *head,
		      size_t head_len, struct x86_boot_info *bi, char *err,
		      size_t errlen)
{
	Elf64_Ehdr eh;
	Elf64_Phdr *ph;
	uint64_t entry = 0, low_end;
	int ret;

	if (head_len < sizeof(eh))
		return x86_boot_err(err, errlen, -EINVAL,
				    "%s: truncated ELF header", f->path);
	memcpy(&eh, head, sizeof(eh));
	ret = pvh_check_ehdr(&eh, f, err, errlen);
	if (ret)
		return ret;
	ph = calloc(eh.e_phnum, sizeof(*ph));
	if (!ph)
		return x86_boot_err(err, errlen, -ENOMEM, "%s: out of memory",
				    f->path);
	ret = x86_boot_read(f, ph, (uint64_t)eh.e_phnum * sizeof(*ph),
			    eh.e_phoff, err, errlen);
	if (ret)
		goto out_free;
	ret = pvh_find_entry(f, ph, eh.e_phnum, &entry, err, errlen);
	if (ret)
		goto out_free;
	if (!pvh_entry_loaded(ph, eh.e_phnum, entry)) {
		ret = x86_boot_err(err, errlen, -EINVAL,
				   "%s: PVH entry 0x%llx is not inside a "
				   "loadable segment",
				   f->path, (unsigned long long)entry);
		goto out_free;
	}
	ret = pvh_load_segments(m, cfg, f, ph, eh.e_phnum, bi, &low_end, err,
				errlen);
	if (ret)
		goto out_free;
	ret = x86_boot_put_cmdline(m, cfg, X86_CMDLINE_MAX - 1, err, errlen);
	if (ret)
		goto out_free;
	low_end = (low_end + PVH_PAGE - 1) & ~(PVH_PAGE - 1);
	ret = x86_boot_put_initrd(m, cfg, low_end, cfg->layout.low_size, bi,
				  err, errlen);
	if (ret)
		goto out_free;
	ret = pvh_write_start_info(m, cfg, bi);
	if (ret) {
		x86_boot_err(err, errlen, ret,
			     "cannot write hvm_start_info at 0x%llx",
			     (unsigned long long)X86_PVH_INFO_ADDR);
		goto out_free;
	}
	bi->mode = X86_ENTRY_PVH32;
	bi->entry = entry;
	bi->params_addr = X86_PVH_INFO_ADDR;
	log_info("PVH vmlinux %s: entry 0x%llx, [0x%llx, 0x%llx)", f->path,
		 (unsigned long long)entry,
		 (unsigned long long)bi->kernel_start,
		 (unsigned long long)bi->kernel_end);
out_free:
	free(ph);
	return ret;
}
