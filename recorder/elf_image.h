/*
 * elf_image.h — a 64-bit little-endian ELF file mapped read-only, with its
 * section and program header tables checked to lie inside the file, for the
 * readers of symbols (elf_symbols.c) and of notes and segments
 * (proc_modules.c).  The file is named by the traced program (a module it
 * maps): only a regular file is mapped, and every offset read from it goes
 * through lt_elf_in_file.
 *
 * Errors: lt_elf_image_open returns 0, -ENOEXEC (not a 64-bit LE ELF file,
 * or its tables do not fit) or -errno.
 * Ownership: the caller owns the mapping from a successful open until
 * lt_elf_image_close.
 */
#ifndef LOOPTRACE_ELF_IMAGE_H
#define LOOPTRACE_ELF_IMAGE_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>

struct lt_elf_image {
	const unsigned char *base;
	size_t size;
	const Elf64_Ehdr *eh;
};

int lt_elf_image_open(const char *path, struct lt_elf_image *im);
void lt_elf_image_close(struct lt_elf_image *im);

/* Whether [off, off + len) lies inside the file. */
static inline int lt_elf_in_file(const struct lt_elf_image *im, uint64_t off, uint64_t len)
{
	return off <= im->size && len <= im->size - off;
}

#endif
