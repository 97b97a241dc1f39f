/*
 * elf_symbols.c — symbol name -> file offset, from .symtab and .dynsym.
 */
#include "elf_symbols.h"

#include "elf_image.h"

#include <elf.h>
#include <errno.h>
#include <string.h>

/* Virtual address -> file offset through the loadable segments. */
static uint64_t file_offset(const struct lt_elf_image *im, uint64_t vaddr)
{
	const Elf64_Ehdr *eh = im->eh;
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(im->base + eh->e_phoff + (uint64_t)i * eh->e_phentsize);
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && vaddr >= ph->p_vaddr &&
		    vaddr - ph->p_vaddr < ph->p_filesz)
			return vaddr - ph->p_vaddr + ph->p_offset;
	}
	return 0;
}

static void scan_table(const struct lt_elf_image *im, const Elf64_Shdr *symtab, const char *const *names,
		       const size_t *lens, size_t n, uint64_t *offsets, int *found)
{
	const Elf64_Ehdr *eh = im->eh;
	if (symtab->sh_entsize != sizeof(Elf64_Sym) || symtab->sh_link >= eh->e_shnum ||
	    !lt_elf_in_file(im, symtab->sh_offset, symtab->sh_size))
		return;
	const Elf64_Shdr *strtab =
		(const Elf64_Shdr *)(im->base + eh->e_shoff + (uint64_t)symtab->sh_link * eh->e_shentsize);
	if (!lt_elf_in_file(im, strtab->sh_offset, strtab->sh_size) || strtab->sh_size == 0)
		return;
	const char *strs = (const char *)im->base + strtab->sh_offset;
	const Elf64_Sym *syms = (const Elf64_Sym *)(im->base + symtab->sh_offset);
	size_t count = symtab->sh_size / sizeof(Elf64_Sym);
	for (size_t k = 0; k < count && *found < (int)n; k++) {
		const Elf64_Sym *sym = &syms[k];
		unsigned type = ELF64_ST_TYPE(sym->st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) || sym->st_shndx == SHN_UNDEF ||
		    sym->st_value == 0 || sym->st_name >= strtab->sh_size)
			continue;
		const char *name = strs + sym->st_name;
		size_t room = strtab->sh_size - sym->st_name;
		for (size_t i = 0; i < n; i++) {
			if (offsets[i] || name[0] != names[i][0] || lens[i] >= room ||
			    memcmp(name, names[i], lens[i] + 1) != 0)
				continue;
			uint64_t off = file_offset(im, sym->st_value);
			if (off) {
				offsets[i] = off;
				++*found;
			}
		}
	}
}

int lt_elf_find_functions(const char *path, const char *const *names, size_t n, uint64_t *offsets)
{
	memset(offsets, 0, n * sizeof(*offsets));
	size_t lens[256];
	if (n > sizeof(lens) / sizeof(lens[0]))
		return -E2BIG;
	for (size_t i = 0; i < n; i++)
		lens[i] = strlen(names[i]);
	struct lt_elf_image im;
	int rc = lt_elf_image_open(path, &im);
	if (rc != 0)
		return rc;
	const Elf64_Ehdr *eh = im.eh;
	int found = 0;
	/* .symtab first: it has the static functions .dynsym lacks. */
	for (unsigned pass = 0; pass < 2; pass++)
		for (unsigned i = 0; i < eh->e_shnum; i++) {
			const Elf64_Shdr *sh = (const Elf64_Shdr *)(im.base + eh->e_shoff + (uint64_t)i * sizeof(Elf64_Shdr));
			if (sh->sh_type == (pass == 0 ? SHT_SYMTAB : SHT_DYNSYM))
				scan_table(&im, sh, names, lens, n, offsets, &found);
		}
	lt_elf_image_close(&im);
	return found;
}
