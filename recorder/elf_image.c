/*
 * elf_image.c — mapping an ELF file and checking its header (elf_image.h).
 */
#include "elf_image.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int header_fits(const struct lt_elf_image *im)
{
	const Elf64_Ehdr *eh = im->eh;
	return !memcmp(eh->e_ident, ELFMAG, SELFMAG) && eh->e_ident[EI_CLASS] == ELFCLASS64 &&
	       eh->e_ident[EI_DATA] == ELFDATA2LSB && eh->e_shentsize == sizeof(Elf64_Shdr) &&
	       eh->e_phentsize == sizeof(Elf64_Phdr) &&
	       lt_elf_in_file(im, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)) &&
	       lt_elf_in_file(im, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr));
}

int lt_elf_image_open(const char *path, struct lt_elf_image *im)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	int rc = -ENOEXEC;
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		goto close_fd;
	}
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size < sizeof(Elf64_Ehdr))
		goto close_fd;
	void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		rc = -errno;
		goto close_fd;
	}
	*im = (struct lt_elf_image){map, (size_t)st.st_size, map};
	if (!header_fits(im))
		goto unmap;
	rc = 0;
	goto close_fd;
unmap:
	munmap(map, (size_t)st.st_size);
close_fd:
	close(fd);
	return rc;
}

void lt_elf_image_close(struct lt_elf_image *im)
{
	munmap((void *)im->base, im->size);
}
