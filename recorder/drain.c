/*
 * drain.c — ring slots into flat capture files.
 */
#include "drain.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../probes/wire.h"

#define CHUNK_BYTES ((size_t)LT_CHUNK_WORDS * 4u)
#define RING_MAP_BYTES (LT_HEADER_BYTES + (size_t)LT_RING_SLOTS * CHUNK_BYTES)

struct lt_drain_ring {
	char name[64]; /* <pid>-<tid> */
	struct lt_file_header *hdr;
	const char *slots;
	int out_fd;
	uint32_t copied; /* chunks copied out */
	int finished;
};

void lt_drain_init(struct lt_drain *d, const char *ring_dir, const char *out_dir)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->ring_dir, sizeof(d->ring_dir), "%s", ring_dir);
	snprintf(d->out_dir, sizeof(d->out_dir), "%s", out_dir);
}

void lt_drain_spill_to(struct lt_drain *d, const char *spill_dir, uint64_t limit_bytes)
{
	snprintf(d->spill_dir, sizeof(d->spill_dir), "%s", spill_dir);
	d->limit_bytes = limit_bytes;
}

static int known(const struct lt_drain *d, const char *name)
{
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->rings[i].name, name))
			return 1;
	return 0;
}

/* Map a ring whose writer has finished initialising it (magic set). */
static int adopt(struct lt_drain *d, const char *file)
{
	char name[64], path[8192];
	size_t len = strlen(file) - strlen(".ring");
	if (len >= sizeof(name))
		return 0;
	memcpy(name, file, len);
	name[len] = '\0';
	if (known(d, name))
		return 0;
	snprintf(path, sizeof(path), "%s/%s", d->ring_dir, file);
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return 0; /* vanished or not ready: next poll */
	struct stat st;
	/* The writer creates the file, then sizes it: map it only once sized,
	 * or touching the page would fault (SIGBUS). */
	if (fstat(fd, &st) != 0 || (size_t)st.st_size < RING_MAP_BYTES) {
		close(fd);
		return 0;
	}
	void *map = mmap(NULL, RING_MAP_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return 0;
	struct lt_file_header *h = map;
	if (memcmp(h->magic, LT_MAGIC, sizeof(h->magic)) != 0 || h->ring_slots != LT_RING_SLOTS) {
		munmap(map, RING_MAP_BYTES);
		return 0;
	}
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		struct lt_drain_ring *grown = realloc(d->rings, cap * sizeof(*grown));
		if (!grown) {
			munmap(map, RING_MAP_BYTES);
			return -ENOMEM;
		}
		d->rings = grown;
		d->cap = cap;
	}
	snprintf(path, sizeof(path), "%s/%s.ltr", d->out_dir, name);
	int out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		munmap(map, RING_MAP_BYTES);
		return -errno;
	}
	struct lt_drain_ring *r = &d->rings[d->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->hdr = h;
	r->slots = (const char *)map + LT_HEADER_BYTES;
	r->out_fd = out;
	return 0;
}

static int write_all(int fd, const void *buf, size_t n, off_t off)
{
	const char *p = buf;
	while (n > 0) {
		ssize_t w = pwrite(fd, p, n, off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

static off_t chunk_offset(uint32_t chunk)
{
	return (off_t)LT_HEADER_BYTES + (off_t)chunk * (off_t)CHUNK_BYTES;
}

static const char *slot(const struct lt_drain_ring *r, uint32_t chunk)
{
	return r->slots + (size_t)(chunk % LT_RING_SLOTS) * CHUNK_BYTES;
}

static int drain_ring(struct lt_drain *d, struct lt_drain_ring *r, int final)
{
	uint32_t written = __atomic_load_n(&r->hdr->ring_written, __ATOMIC_ACQUIRE);
	while (r->copied < written) {
		int rc = write_all(r->out_fd, slot(r, r->copied), CHUNK_BYTES, chunk_offset(r->copied));
		if (rc != 0)
			return rc;
		d->written += CHUNK_BYTES;
		r->copied++;
		__atomic_store_n(&r->hdr->ring_drained, r->copied, __ATOMIC_RELEASE);
	}
	if (!final || r->finished)
		return 0;

	/* The unfinished chunk, up to the cursor; the rest of it reads as
	 * zeros (the end of the data) in the flat file. */
	struct lt_file_header h;
	memcpy(&h, r->hdr, sizeof(h));
	uint32_t base = r->copied * LT_CHUNK_WORDS;
	uint32_t cursor = (uint32_t)h.cursor;
	size_t bytes = cursor > base ? (size_t)(cursor - base) * 4u : 0u;
	if (bytes > CHUNK_BYTES)
		bytes = CHUNK_BYTES;
	int rc = write_all(r->out_fd, slot(r, r->copied), bytes, chunk_offset(r->copied));
	if (rc == 0 && ftruncate(r->out_fd, chunk_offset(r->copied + 1)) != 0)
		rc = -errno;
	h.ring_slots = 0;
	h.ring_written = h.ring_drained = 0;
	char page[LT_HEADER_BYTES] = {0};
	memcpy(page, &h, sizeof(h));
	if (rc == 0)
		rc = write_all(r->out_fd, page, sizeof(page), 0);
	r->finished = 1;
	return rc;
}

/* Move every flat file from out_dir to spill_dir and carry on there. */
static int spill(struct lt_drain *d)
{
	for (size_t i = 0; i < d->n; i++) {
		struct lt_drain_ring *r = &d->rings[i];
		char from[8192], to[8192];
		snprintf(from, sizeof(from), "%s/%s.ltr", d->out_dir, r->name);
		snprintf(to, sizeof(to), "%s/%s.ltr", d->spill_dir, r->name);
		int out = open(to, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (out < 0)
			return -errno;
		int in = open(from, O_RDONLY | O_CLOEXEC);
		struct stat st;
		if (in < 0 || fstat(in, &st) != 0) {
			int e = errno;
			if (in >= 0)
				close(in);
			close(out);
			return -e;
		}
		off_t left = st.st_size;
		/* copy_file_range refuses to cross file systems on recent kernels. */
		while (left > 0) {
			ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
			if (n <= 0)
				break;
			left -= n;
		}
		static char buf[1 << 20];
		while (left > 0) {
			ssize_t n = pread(in, buf, sizeof(buf), st.st_size - left);
			if (n <= 0 || write_all(out, buf, (size_t)n, st.st_size - left) != 0)
				break;
			left -= n;
		}
		close(in);
		if (left > 0) {
			close(out);
			return -EIO;
		}
		close(r->out_fd);
		r->out_fd = out;
		unlink(from);
	}
	snprintf(d->out_dir, sizeof(d->out_dir), "%s", d->spill_dir);
	d->spill_dir[0] = '\0';
	return 0;
}

#define RESCAN_EVERY 32

int lt_drain_poll(struct lt_drain *d, int final)
{
	DIR *dir = final || d->polls++ % RESCAN_EVERY == 0 ? opendir(d->ring_dir) : NULL;
	if (dir) {
		struct dirent *e;
		while ((e = readdir(dir)) != NULL) {
			size_t len = strlen(e->d_name);
			if (len > 5 && !strcmp(e->d_name + len - 5, ".ring")) {
				int rc = adopt(d, e->d_name);
				if (rc != 0 && !d->error)
					d->error = rc;
			}
		}
		closedir(dir);
	}
	for (size_t i = 0; i < d->n; i++) {
		int rc = drain_ring(d, &d->rings[i], final);
		if (rc != 0 && !d->error)
			d->error = rc;
	}
	if (d->spill_dir[0] && d->written > d->limit_bytes) {
		int rc = spill(d);
		if (rc != 0 && !d->error)
			d->error = rc;
	}
	return d->error;
}

uint64_t lt_drain_written_bytes(const struct lt_drain *d)
{
	uint64_t total = 0;
	for (size_t i = 0; i < d->n; i++)
		if (d->rings[i].hdr->cursor > 0)
			total += (uint64_t)d->rings[i].hdr->cursor * 4u;
	return total;
}

void lt_drain_close(struct lt_drain *d)
{
	for (size_t i = 0; i < d->n; i++) {
		char path[8192];
		munmap(d->rings[i].hdr, RING_MAP_BYTES);
		close(d->rings[i].out_fd);
		snprintf(path, sizeof(path), "%s/%s.ring", d->ring_dir, d->rings[i].name);
		unlink(path);
	}
	free(d->rings);
	d->rings = NULL;
	d->n = d->cap = 0;
}
