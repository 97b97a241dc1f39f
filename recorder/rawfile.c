/*
 * rawfile.c — validated sequential reading of a capture file.
 */
#include "rawfile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int lt_raw_open(struct lt_raw_file *f, const char *path)
{
	memset(f, 0, sizeof(*f));
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	struct stat st;
	int rc = 0;
	if (fstat(fd, &st) != 0) {
		rc = -errno;
		goto close_fd;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EPROTO;
		goto close_fd;
	}
	if ((size_t)st.st_size < LT_HEADER_BYTES) {
		rc = -EPROTO;
		goto close_fd;
	}
	/* The header by pread, and only what is allocated is mapped: touching a
	 * hole of a file on a full tmpfs through a mapping is a SIGBUS (a cut
	 * capture, or one whose writer met a full file system). */
	struct lt_file_header h;
	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
		rc = -EPROTO;
		goto close_fd;
	}
	if (memcmp(h.magic, LT_MAGIC, sizeof(h.magic)) != 0) {
		rc = -EPROTO;
		goto close_fd;
	}
	if (h.version != LT_WIRE_VERSION || h.header_bytes != LT_HEADER_BYTES ||
	    h.chunk_words != LT_CHUNK_WORDS) {
		rc = -EPROTONOSUPPORT;
		goto close_fd;
	}
	size_t bytes = (size_t)st.st_size;
	off_t data = lseek(fd, 0, SEEK_DATA);
	if (data != 0) {
		rc = -EPROTO; /* the control page itself is a hole */
		goto close_fd;
	}
	off_t hole = lseek(fd, 0, SEEK_HOLE);
	if (hole >= 0 && (size_t)hole < bytes)
		bytes = (size_t)hole; /* the data ends at the first hole */
	if (bytes < LT_HEADER_BYTES) {
		rc = -EPROTO;
		goto close_fd;
	}
	void *map = mmap(NULL, bytes, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		rc = -errno;
		goto close_fd;
	}
	madvise(map, bytes, MADV_SEQUENTIAL);
	f->map = map;
	f->map_bytes = bytes;
	f->hdr = map;
	f->data = (const uint32_t *)((const char *)map + LT_HEADER_BYTES);
	f->data_words = (bytes - LT_HEADER_BYTES) / 4;
	close(fd);
	return 0;

close_fd:
	close(fd);
	return rc;
}

int lt_raw_next(struct lt_raw_file *f, const uint32_t **rec)
{
	for (;;) {
		if (f->pos >= f->data_words)
			return 0;
		uint32_t h = f->data[f->pos];
		if (h == 0)
			return 0;
		unsigned kind = lt_record_kind(h), words = lt_record_words(h);
		size_t chunk_end = (f->pos / LT_CHUNK_WORDS + 1) * (size_t)LT_CHUNK_WORDS;
		if (words == 0 || kind == 0 || kind >= LT_KIND_MAX || f->pos + words > chunk_end ||
		    f->pos + words > f->data_words)
			return -EBADMSG;
		const uint32_t *r = f->data + f->pos;
		f->pos += words;
		if (kind == LT_PAD)
			continue;
		*rec = r;
		return 1;
	}
}

void lt_raw_close(struct lt_raw_file *f)
{
	if (f->map)
		munmap(f->map, f->map_bytes);
	memset(f, 0, sizeof(*f));
}

size_t lt_raw_written_bytes(const struct lt_raw_file *f)
{
	int32_t cursor = f->hdr ? f->hdr->cursor : 0;
	return cursor > 0 ? (size_t)cursor * 4u : 0u;
}
