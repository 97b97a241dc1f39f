/*
 * proc_modules.c — executable mappings of a process, and what their ELF
 * files say (proc_modules.h).
 */
#include "proc_modules.h"

#include "elf_image.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int lt_proc_modules_read(struct lt_proc_modules *mods, pid_t pid)
{
	char path[64], line[PATH_MAX + 128];
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	mods->pid = pid;
	mods->n = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end, offset;
		char perms[8];
		int at = 0;
		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &start, &end, perms, &offset, &at) != 4 || !at ||
		    perms[2] != 'x' || line[at] != '/')
			continue;
		if (mods->n == mods->cap) {
			size_t cap = mods->cap ? mods->cap * 2 : 32;
			struct lt_proc_module *grown = realloc(mods->m, cap * sizeof(*grown));
			if (!grown) {
				fclose(f);
				return -ENOMEM;
			}
			mods->m = grown;
			mods->cap = cap;
		}
		struct lt_proc_module *m = &mods->m[mods->n++];
		memset(m, 0, sizeof(*m));
		m->start = start;
		m->end = end;
		m->offset = offset;
		line[strcspn(line, "\n")] = '\0';
		snprintf(m->path, sizeof(m->path), "%s", line + at);
	}
	fclose(f);
	return 0;
}

static struct lt_proc_module *find(struct lt_proc_modules *mods, uint64_t addr)
{
	for (size_t i = 0; i < mods->n; i++)
		if (addr >= mods->m[i].start && addr < mods->m[i].end)
			return &mods->m[i];
	return NULL;
}

struct lt_proc_module *lt_proc_modules_find(struct lt_proc_modules *mods, uint64_t addr)
{
	struct lt_proc_module *m = find(mods, addr);
	if (m || lt_proc_modules_read(mods, mods->pid) != 0)
		return m;
	return find(mods, addr);
}

void lt_proc_module_open_path(const struct lt_proc_modules *mods, const struct lt_proc_module *m, char *out,
			      size_t cap)
{
	snprintf(out, cap, "/proc/%d/root%s", (int)mods->pid, m->path);
}

uint64_t lt_proc_module_file_offset(const struct lt_proc_module *m, uint64_t addr)
{
	return addr - m->start + m->offset;
}

/* --- ELF files --- */

uint64_t lt_proc_module_link_address(const struct lt_proc_modules *mods, struct lt_proc_module *m, uint64_t addr)
{
	if (!m->bias_known) {
		char path[PATH_MAX + 64];
		struct lt_elf_image im;
		lt_proc_module_open_path(mods, m, path, sizeof(path));
		m->bias_known = -1;
		if (lt_elf_image_open(path, &im) == 0) {
			/* the loadable segment holding the mapping's first byte */
			for (unsigned i = 0; i < im.eh->e_phnum; i++) {
				const Elf64_Phdr *ph = (const Elf64_Phdr *)(im.base + im.eh->e_phoff +
									    (uint64_t)i * sizeof(Elf64_Phdr));
				if (ph->p_type == PT_LOAD && m->offset >= ph->p_offset &&
				    m->offset - ph->p_offset < ph->p_filesz) {
					m->bias = m->start - (ph->p_vaddr + (m->offset - ph->p_offset));
					m->bias_known = 1;
					break;
				}
			}
			lt_elf_image_close(&im);
		}
	}
	return m->bias_known == 1 ? addr - m->bias : 0;
}

static size_t align4(size_t n) { return (n + 3u) & ~(size_t)3u; }

/* Whether one SHT_NOTE section holds a stapsdt note of `provider`: each
 * note's descriptor is three addresses (pc, base, semaphore) then the
 * provider, name and argument strings. */
static int notes_have_provider(const struct lt_elf_image *im, const Elf64_Shdr *sh, const char *provider)
{
	if (!lt_elf_in_file(im, sh->sh_offset, sh->sh_size))
		return 0;
	const unsigned char *p = im->base + sh->sh_offset, *end = p + sh->sh_size;
	size_t plen = strlen(provider);
	while ((size_t)(end - p) >= sizeof(Elf64_Nhdr)) {
		const Elf64_Nhdr *nh = (const Elf64_Nhdr *)p;
		size_t name_at = sizeof(*nh), desc_at = name_at + align4(nh->n_namesz);
		if (nh->n_namesz > (size_t)(end - p) || nh->n_descsz > (size_t)(end - p) ||
		    desc_at + align4(nh->n_descsz) > (size_t)(end - p))
			return 0;
		const char *desc = (const char *)p + desc_at;
		if (nh->n_type == 3 && nh->n_namesz == 8 && !memcmp(p + name_at, "stapsdt", 8) &&
		    nh->n_descsz > 24 + plen && !memcmp(desc + 24, provider, plen + 1))
			return 1;
		p += desc_at + align4(nh->n_descsz);
	}
	return 0;
}

int lt_elf_has_usdt_provider(const char *path, const char *provider)
{
	struct lt_elf_image im;
	int rc = lt_elf_image_open(path, &im);
	if (rc != 0)
		return rc;
	const Elf64_Ehdr *eh = im.eh;
	const Elf64_Shdr *names = eh->e_shstrndx < eh->e_shnum
		? (const Elf64_Shdr *)(im.base + eh->e_shoff + (uint64_t)eh->e_shstrndx * sizeof(Elf64_Shdr)) : NULL;
	int found = 0;
	for (unsigned i = 0; names && i < eh->e_shnum && !found; i++) {
		const Elf64_Shdr *sh = (const Elf64_Shdr *)(im.base + eh->e_shoff + (uint64_t)i * sizeof(Elf64_Shdr));
		static const char want[] = ".note.stapsdt";
		if (sh->sh_type != SHT_NOTE || sh->sh_name >= names->sh_size ||
		    !lt_elf_in_file(&im, names->sh_offset + sh->sh_name, sizeof(want)) ||
		    memcmp(im.base + names->sh_offset + sh->sh_name, want, sizeof(want)) != 0)
			continue;
		found = notes_have_provider(&im, sh, provider);
	}
	lt_elf_image_close(&im);
	return found;
}

void lt_proc_modules_free(struct lt_proc_modules *mods)
{
	free(mods->m);
	mods->m = NULL;
	mods->n = mods->cap = 0;
}
