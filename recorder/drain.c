/*
 * drain.c — ring slots into flat capture files.
 */
#include "drain.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "flight.h"

#define CHUNK_BYTES ((size_t)LT_CHUNK_WORDS * 4u)

struct lt_drain_ring {
	char name[64]; /* <pid>-<tid>[.<n>] */
	int dir;       /* index in ring_dirs */
	struct lt_file_header *hdr;
	size_t map_bytes;
	uint32_t slots;
	const char *slot_mem;
	int out_fd;
	uint32_t copied; /* chunks copied out (or counted as lost) */
	int finished;
	int broken;      /* a write failed: the flat file ends where it was */
	struct lt_loss lost; /* what the drain itself could not write */
	int flight_id;       /* flight mode: the stream in d->flight */
	uint32_t scan_chunk, scan_off; /* flight mode: next record not yet scanned */
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int open_dir(const char *path)
{
	return open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

void lt_drain_init(struct lt_drain *d, const char *ring_dir, const char *out_dir)
{
	memset(d, 0, sizeof(*d));
	for (int i = 0; i < LT_DRAIN_RING_DIRS; i++)
		d->ring_dfd[i] = -1;
	snprintf(d->ring_dirs[0], sizeof(d->ring_dirs[0]), "%s", ring_dir);
	snprintf(d->out_dir, sizeof(d->out_dir), "%s", out_dir);
	d->ring_dfd[0] = open_dir(ring_dir);
	d->out_dfd = open_dir(out_dir);
	d->spill_dfd = -1;
	if (d->out_dfd < 0)
		d->error = -errno;
}

void lt_drain_add_ring_dir(struct lt_drain *d, const char *dir)
{
	for (int i = 0; i < LT_DRAIN_RING_DIRS; i++)
		if (!d->ring_dirs[i][0]) {
			snprintf(d->ring_dirs[i], sizeof(d->ring_dirs[i]), "%s", dir);
			d->ring_dfd[i] = open_dir(dir);
			return;
		}
}

void lt_drain_spill_to(struct lt_drain *d, const char *spill_dir, uint64_t limit_bytes)
{
	snprintf(d->spill_dir, sizeof(d->spill_dir), "%s", spill_dir);
	if (d->spill_dfd >= 0)
		close(d->spill_dfd);
	d->spill_dfd = open_dir(spill_dir);
	if (d->spill_dfd < 0)
		d->spill_dir[0] = '\0';
	d->limit_bytes = limit_bytes;
}

static int known(const struct lt_drain *d, const char *name)
{
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->rings[i].name, name))
			return 1;
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
		if (w == 0)
			return -EIO;
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
	return r->slot_mem + (size_t)lt_ring_slot(r->hdr, r->slots, chunk) * CHUNK_BYTES;
}

/* Add a stretch of `events` dropped records to L (the last gap slot
 * absorbs every gap past the others). */
static void add_gap(struct lt_loss *L, uint64_t begin, uint64_t end, uint64_t events)
{
	uint32_t used = L->gaps < LT_LOSS_GAPS ? L->gaps : LT_LOSS_GAPS;
	L->gaps++;
	if (!L->first_ns || (begin && begin < L->first_ns))
		L->first_ns = begin;
	if (end > L->last_ns)
		L->last_ns = end;
	if (used < LT_LOSS_GAPS) {
		L->gap[used] = (struct lt_gap){begin, end, events};
		return;
	}
	struct lt_gap *g = &L->gap[LT_LOSS_GAPS - 1];
	if (begin && begin < g->begin_ns)
		g->begin_ns = begin;
	if (end > g->end_ns)
		g->end_ns = end;
	g->events += events;
}

/* dst += src. */
static void merge_loss(struct lt_loss *dst, const struct lt_loss *src)
{
	dst->events += src->events;
	dst->words += src->words;
	dst->reasons |= src->reasons;
	for (unsigned k = 0; k < 32; k++)
		dst->by_kind[k] += src->by_kind[k];
	uint32_t n = src->gaps < LT_LOSS_GAPS ? src->gaps : LT_LOSS_GAPS;
	for (uint32_t i = 0; i < n; i++)
		add_gap(dst, src->gap[i].begin_ns, src->gap[i].end_ns, src->gap[i].events);
	/* Gaps the source folded into its last slot still count as gaps. */
	if (src->gaps > n)
		dst->gaps += src->gaps - n;
}

/* Count the records of `words` words of a chunk as dropped by the drain. */
static void count_lost(struct lt_drain_ring *r, const uint32_t *p, size_t words)
{
	size_t i;
	uint64_t n = lt_count_records(p, words, r->lost.by_kind, &i);
	uint64_t t = now_ns();
	r->lost.events += n;
	r->lost.words += i;
	r->lost.reasons |= LT_DRAIN_LOSS_WRITE;
	add_gap(&r->lost, t, t, n);
}

/* The flat file's control page as of now: the ring's, made flat, with the
 * drain's own loss added. */
static void flat_header(const struct lt_drain_ring *r, struct lt_file_header *h, uint32_t cursor)
{
	memcpy(h, r->hdr, sizeof(*h));
	h->ring_slots = h->ring_first_slots = h->ring_grown = 0;
	memset(h->ring_grow_chunk, 0, sizeof(h->ring_grow_chunk));
	h->ring_written = h->ring_drained = 0;
	h->flags &= ~(uint32_t)(LT_FILE_DROPPING | LT_FILE_ON_DISK);
	h->cursor = (int32_t)cursor;
	merge_loss(&h->loss, &r->lost);
	if (r->lost.events)
		h->flags |= LT_FILE_LOST;
}

static int write_header(const struct lt_drain_ring *r, uint32_t cursor)
{
	char page[LT_HEADER_BYTES] = {0};
	struct lt_file_header h;
	flat_header(r, &h, cursor);
	memcpy(page, &h, sizeof(h));
	return write_all(r->out_fd, page, sizeof(page), 0);
}

/* The next slot of d->rings (room made by the caller), zeroed and filled
 * with the mapped ring; d->n is the caller's to advance. */
static struct lt_drain_ring *next_ring(struct lt_drain *d, int dir, const char *name, void *map,
				       size_t map_bytes, uint32_t slots, int out_fd)
{
	struct lt_drain_ring *r = &d->rings[d->n];
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->dir = dir;
	r->hdr = map;
	r->map_bytes = map_bytes;
	r->slots = slots;
	r->slot_mem = (const char *)map + LT_HEADER_BYTES;
	r->out_fd = out_fd;
	return r;
}

/* Flight mode: the ring's records go to d->flight, no flat file. */
static int adopt_in_flight(struct lt_drain *d, int dir, const char *name, void *map, size_t map_bytes,
			   const struct lt_file_header *h)
{
	int id = lt_flight_add_stream(d->flight, h->pid, h->tid);
	if (id < 0) {
		munmap(map, map_bytes);
		return id;
	}
	struct lt_drain_ring *r = next_ring(d, dir, name, map, map_bytes, h->ring_slots, -1);
	r->flight_id = id;
	/* What a dead recorder drained is not ours to show: start where the
	 * ring is. */
	r->copied = r->scan_chunk = __atomic_load_n(&r->hdr->ring_drained, __ATOMIC_ACQUIRE);
	d->n++;
	return 0;
}

/* Map a ring whose writer has finished initialising it (magic set) and
 * open (or continue) its flat file. */
static int adopt(struct lt_drain *d, int dir, const char *file)
{
	char name[64], path[128];
	size_t len = strlen(file) - strlen(".ring");
	if (len >= sizeof(name))
		return 0;
	memcpy(name, file, len);
	name[len] = '\0';
	if (known(d, name))
		return 0;
	int fd = openat(d->ring_dfd[dir], file, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return 0; /* vanished or not ready: next poll */
	struct stat st;
	struct lt_file_header h;
	/* The writer reserves the file, then fills the control page, magic
	 * last: read it with pread (never through a mapping of a page that
	 * might not be there) and map only what the file holds. */
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    memcmp(h.magic, LT_MAGIC, sizeof(h.magic)) != 0 || h.version != LT_WIRE_VERSION ||
	    h.header_bytes != LT_HEADER_BYTES || h.chunk_words != LT_CHUNK_WORDS ||
	    h.ring_slots > LT_RING_SLOTS) {
		close(fd);
		return 0;
	}
	size_t map_bytes = LT_HEADER_BYTES + (size_t)h.ring_slots * CHUNK_BYTES;
	if ((size_t)st.st_size < map_bytes) {
		close(fd);
		return 0;
	}
	void *map = mmap(NULL, map_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return 0;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		struct lt_drain_ring *grown = realloc(d->rings, cap * sizeof(*grown));
		if (!grown) {
			munmap(map, map_bytes);
			return -ENOMEM;
		}
		d->rings = grown;
		d->cap = cap;
	}
	if (d->flight)
		return adopt_in_flight(d, dir, name, map, map_bytes, &h);
	snprintf(path, sizeof(path), "%s.ltr", name);
	int out = openat(d->out_dfd, path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out < 0 || fstat(out, &st) != 0) {
		int e = errno;
		if (out >= 0)
			close(out);
		munmap(map, map_bytes);
		return -e;
	}
	struct lt_drain_ring *r = next_ring(d, dir, name, map, map_bytes, h.ring_slots, out);
	/* A dead recorder's flat file holds the chunks it drained; without it
	 * they are gone and the file starts where the ring does. */
	r->copied = __atomic_load_n(&r->hdr->ring_drained, __ATOMIC_ACQUIRE);
	if (r->copied && st.st_size < chunk_offset(r->copied)) {
		r->broken = 1;
		r->lost.reasons |= LT_DRAIN_LOSS_WRITE;
	}
	/* The control page first: cut anywhere later, the file is a capture. */
	int rc = r->broken ? 0 : write_header(r, r->copied * LT_CHUNK_WORDS);
	if (rc != 0) {
		close(out);
		unlinkat(d->out_dfd, path, 0);
		munmap(map, map_bytes);
		return rc;
	}
	d->n++;
	return 0;
}

/* Move every flat file from out_dir to spill_dir and carry on there. */
static int spill(struct lt_drain *d)
{
	for (size_t i = 0; i < d->n; i++) {
		struct lt_drain_ring *r = &d->rings[i];
		char file[128];
		snprintf(file, sizeof(file), "%s.ltr", r->name);
		int out = openat(d->spill_dfd, file, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (out < 0)
			return -errno;
		struct stat st;
		if (fstat(r->out_fd, &st) != 0) {
			int e = errno;
			close(out);
			return -e;
		}
		off_t left = st.st_size, off = 0;
		static char buf[1 << 20];
		while (left > 0) {
			ssize_t n = pread(r->out_fd, buf, sizeof(buf), off);
			if (n <= 0 || write_all(out, buf, (size_t)n, off) != 0)
				break;
			left -= n;
			off += n;
		}
		if (left > 0) {
			close(out);
			unlinkat(d->spill_dfd, file, 0);
			return -EIO;
		}
		close(r->out_fd);
		r->out_fd = out;
		unlinkat(d->out_dfd, file, 0);
	}
	snprintf(d->out_dir, sizeof(d->out_dir), "%s", d->spill_dir);
	d->spill_dir[0] = '\0';
	close(d->out_dfd);
	d->out_dfd = d->spill_dfd;
	d->spill_dfd = -1;
	return 0;
}

static void note_error(struct lt_drain *d, int rc)
{
	if (rc != 0 && !d->error)
		d->error = rc;
}

/* Write `n` bytes of a chunk at `off`; on a full staging file system,
 * spill to disk and try again there.  A failure breaks the ring's file. */
static int write_chunk(struct lt_drain *d, struct lt_drain_ring *r, const void *p, size_t n, off_t off)
{
	int rc = write_all(r->out_fd, p, n, off);
	if (rc == -ENOSPC && d->spill_dir[0]) {
		int s = spill(d);
		note_error(d, s);
		if (s == 0)
			rc = write_all(r->out_fd, p, n, off);
	}
	if (rc != 0) {
		note_error(d, rc);
		r->broken = 1;
	}
	return rc;
}

/* The writer's cursor as a word offset in chunk r->copied, or -1 when it
 * is elsewhere (a gap's scratch chunk, or a value that makes no sense). */
static long cursor_in_chunk(const struct lt_drain_ring *r)
{
	uint32_t flags = __atomic_load_n(&r->hdr->flags, __ATOMIC_ACQUIRE);
	uint32_t cursor = (uint32_t)__atomic_load_n(&r->hdr->cursor, __ATOMIC_ACQUIRE);
	uint32_t base = r->copied * LT_CHUNK_WORDS;
	if ((flags & LT_FILE_DROPPING) || r->slots == 0 || cursor < base || cursor - base > LT_CHUNK_WORDS)
		return -1;
	return (long)(cursor - base);
}

/* Flight mode: show new records to the flight recorder, hand it the
 * finished chunks, and give their slots back. */
static int flight_ring(struct lt_drain *d, struct lt_drain_ring *r, int final)
{
	uint32_t written = __atomic_load_n(&r->hdr->ring_written, __ATOMIC_ACQUIRE);
	size_t id = (size_t)r->flight_id;
	if (r->slots == 0)
		return 0;
	while (r->scan_chunk < written) {
		const uint32_t *p = (const uint32_t *)slot(r, r->scan_chunk);
		if (r->scan_off < LT_CHUNK_WORDS)
			lt_flight_scan(d->flight, id, p + r->scan_off, LT_CHUNK_WORDS - r->scan_off);
		r->scan_chunk++;
		r->scan_off = 0;
	}
	int rc = 0;
	while (r->copied < written) {
		int k = lt_flight_keep(d->flight, id, (const uint32_t *)slot(r, r->copied));
		if (k != 0 && !rc)
			rc = k;
		r->copied++;
		__atomic_store_n(&r->hdr->ring_drained, r->copied, __ATOMIC_RELEASE);
	}
	long at = cursor_in_chunk(r);
	if (r->scan_chunk == r->copied && at > (long)r->scan_off) {
		const uint32_t *p = (const uint32_t *)slot(r, r->copied);
		lt_flight_scan(d->flight, id, p + r->scan_off, (size_t)at - r->scan_off);
		r->scan_off = (uint32_t)at;
	}
	if (final)
		r->finished = 1;
	return rc;
}

void lt_drain_to_flight(struct lt_drain *d, struct lt_flight *flight)
{
	d->flight = flight;
}

size_t lt_drain_rings(const struct lt_drain *d)
{
	return d->n;
}

void lt_drain_ring_view(const struct lt_drain *d, size_t i, struct lt_file_header *flat,
			const uint32_t **words, size_t *n)
{
	const struct lt_drain_ring *r = &d->rings[i];
	long at = cursor_in_chunk(r);
	flat_header(r, flat, 0);
	*words = (const uint32_t *)(r->slots ? slot(r, r->copied) : NULL);
	*n = at > 0 ? (size_t)at : 0;
}

void lt_drain_flight_view(void *drain, size_t i, struct lt_file_header *flat, const uint32_t **words,
			  size_t *n)
{
	const struct lt_drain *d = drain;
	/* Ring i is flight stream r->flight_id == i (adopted in order). */
	for (size_t k = 0; k < d->n; k++)
		if ((size_t)d->rings[k].flight_id == i) {
			lt_drain_ring_view(d, k, flat, words, n);
			return;
		}
	memset(flat, 0, sizeof(*flat));
	*words = NULL;
	*n = 0;
}

static int drain_ring(struct lt_drain *d, struct lt_drain_ring *r, int final)
{
	if (d->flight)
		return flight_ring(d, r, final);
	uint32_t written = __atomic_load_n(&r->hdr->ring_written, __ATOMIC_ACQUIRE);
	int moved = 0;
	while (r->copied < written && r->slots > 0) {
		const char *p = slot(r, r->copied);
		if (r->broken || write_chunk(d, r, p, CHUNK_BYTES, chunk_offset(r->copied)) != 0)
			count_lost(r, (const uint32_t *)p, LT_CHUNK_WORDS);
		else
			d->written += CHUNK_BYTES;
		r->copied++;
		moved = 1;
		__atomic_store_n(&r->hdr->ring_drained, r->copied, __ATOMIC_RELEASE);
	}
	/* Commit what was copied: the cursor of a cut file. */
	if (moved && !r->broken && !final && write_header(r, r->copied * LT_CHUNK_WORDS) != 0)
		r->broken = 1;
	if (!final || r->finished)
		return 0;

	/* The unfinished chunk, up to the cursor (unless the writer is in a
	 * gap: its cursor is then in its scratch chunk, counted by itself). */
	struct lt_file_header h;
	memcpy(&h, r->hdr, sizeof(h));
	uint32_t base = r->copied * LT_CHUNK_WORDS;
	uint32_t cursor = (uint32_t)h.cursor;
	size_t words = 0;
	if (!(h.flags & LT_FILE_DROPPING) && r->slots > 0 && cursor > base && cursor - base <= LT_CHUNK_WORDS)
		words = cursor - base;
	if (words > 0) {
		const char *p = slot(r, r->copied);
		if (r->broken || write_chunk(d, r, p, words * 4u, chunk_offset(r->copied)) != 0)
			count_lost(r, (const uint32_t *)p, words);
		else
			d->written += words * 4u;
	}
	r->finished = 1;
	/* The final control page (flags, loss).  Even a broken file gets it:
	 * its page was written when the ring was adopted, so it is there. */
	uint32_t end = r->broken ? r->copied * LT_CHUNK_WORDS : base + (uint32_t)words;
	int rc = write_header(r, end);
	return rc;
}

#define RESCAN_EVERY 32

static int scan(struct lt_drain *d, int dir)
{
	int fd = d->ring_dfd[dir] >= 0 ? dup(d->ring_dfd[dir]) : -1;
	DIR *dh = fd >= 0 ? fdopendir(fd) : NULL;
	if (!dh) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	rewinddir(dh);
	struct dirent *e;
	while ((e = readdir(dh)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len > 5 && !strcmp(e->d_name + len - 5, ".ring"))
			note_error(d, adopt(d, dir, e->d_name));
	}
	closedir(dh);
	return 0;
}

int lt_drain_poll(struct lt_drain *d, int final)
{
	if (final || d->polls++ % RESCAN_EVERY == 0)
		for (int i = 0; i < LT_DRAIN_RING_DIRS; i++)
			if (d->ring_dfd[i] >= 0)
				scan(d, i);
	if (d->out_dfd < 0)
		return d->error;
	for (size_t i = 0; i < d->n; i++)
		note_error(d, drain_ring(d, &d->rings[i], final));
	if (!d->flight && d->spill_dir[0] && d->written > d->limit_bytes)
		note_error(d, spill(d));
	return d->error;
}

uint64_t lt_drain_written_bytes(const struct lt_drain *d)
{
	return d->written;
}

void lt_drain_loss(const struct lt_drain *d, struct lt_drain_loss *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < d->n; i++) {
		const struct lt_drain_ring *r = &d->rings[i];
		struct lt_file_header h;
		flat_header(r, &h, 0);
		if (r->hdr->flags & LT_FILE_ON_DISK)
			out->on_disk++;
		if (r->slots == 0)
			out->no_ring++;
		if (h.start_ns && (!out->origin_ns || h.start_ns < out->origin_ns))
			out->origin_ns = h.start_ns;
		if (!h.loss.events && !h.loss.gaps)
			continue;
		out->streams++;
		out->events += h.loss.events;
		out->reasons |= h.loss.reasons;
		if (h.loss.first_ns && (!out->first_ns || h.loss.first_ns < out->first_ns))
			out->first_ns = h.loss.first_ns;
		if (h.loss.last_ns > out->last_ns)
			out->last_ns = h.loss.last_ns;
	}
}

void lt_drain_close(struct lt_drain *d)
{
	for (size_t i = 0; i < d->n; i++) {
		char file[128];
		munmap(d->rings[i].hdr, d->rings[i].map_bytes);
		if (d->rings[i].out_fd >= 0)
			close(d->rings[i].out_fd);
		snprintf(file, sizeof(file), "%s.ring", d->rings[i].name);
		unlinkat(d->ring_dfd[d->rings[i].dir], file, 0);
	}
	free(d->rings);
	d->rings = NULL;
	d->n = d->cap = 0;
	for (int i = 0; i < LT_DRAIN_RING_DIRS; i++)
		if (d->ring_dfd[i] >= 0)
			close(d->ring_dfd[i]);
	if (d->out_dfd >= 0)
		close(d->out_dfd);
	if (d->spill_dfd >= 0)
		close(d->spill_dfd);
	d->out_dfd = d->spill_dfd = -1;
	for (int i = 0; i < LT_DRAIN_RING_DIRS; i++)
		d->ring_dfd[i] = -1;
}

int lt_drain_recover(const char *dir, unsigned *rings)
{
	struct lt_drain d;
	lt_drain_init(&d, dir, dir);
	int rc = lt_drain_poll(&d, 1);
	*rings = (unsigned)d.n;
	lt_drain_close(&d);
	return rc;
}
