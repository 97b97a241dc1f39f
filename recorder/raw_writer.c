/*
 * raw_writer.c — append-only writer of one flat capture file.
 */
#include "raw_writer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flight.h"

static uint64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void fill_header(struct lt_raw_writer *w, int pid, int tid, int ppid, uint64_t start_ns)
{
	struct lt_file_header *h = &w->hdr;
	memcpy(h->magic, LT_MAGIC, sizeof(h->magic));
	lt_file_header_init(h, pid, tid, ppid, start_ns, realtime_ns());
}

int lt_raw_writer_open_flight(struct lt_raw_writer *w, struct lt_flight *flight, int pid, int tid, int ppid,
			      uint64_t start_ns)
{
	memset(w, 0, sizeof(*w));
	w->chunk = malloc((size_t)LT_CHUNK_WORDS * 4u);
	if (!w->chunk)
		return -ENOMEM;
	int id = lt_flight_add_stream(flight, pid, tid);
	if (id < 0) {
		free(w->chunk);
		w->chunk = NULL;
		return id;
	}
	w->flight = flight;
	w->flight_id = id;
	fill_header(w, pid, tid, ppid, start_ns);
	return 0;
}

int lt_raw_writer_open(struct lt_raw_writer *w, const char *path, int pid, int tid, int ppid,
		       uint64_t start_ns)
{
	memset(w, 0, sizeof(*w));
	w->f = fopen(path, "wbx");
	if (!w->f)
		return -errno;
	fill_header(w, pid, tid, ppid, start_ns);
	struct lt_file_header *h = &w->hdr;
	/* The control page first: a file cut short (the recorder killed, the
	 * disk full) is still a capture, read up to its last whole record. */
	char page[LT_HEADER_BYTES] = {0};
	memcpy(page, h, sizeof(*h));
	if (fwrite(page, 1, sizeof(page), w->f) != sizeof(page) || fflush(w->f) != 0) {
		int rc = -errno;
		fclose(w->f);
		w->f = NULL;
		return rc ? rc : -EIO;
	}
	return 0;
}

static int put_words(struct lt_raw_writer *w, const uint32_t *v, size_t n)
{
	if (w->error)
		return w->error;
	if (w->flight) {
		/* Records never straddle a chunk (lt_raw_writer_add pads). */
		size_t at = (size_t)(w->words % LT_CHUNK_WORDS);
		memcpy(w->chunk + at, v, n * 4u);
		w->words += n;
		if (w->words % LT_CHUNK_WORDS == 0)
			lt_flight_keep(w->flight, (size_t)w->flight_id, w->chunk);
		return 0;
	}
	if (fwrite(v, sizeof(*v), n, w->f) != n) {
		w->error = errno ? -errno : -EIO;
		return w->error;
	}
	w->words += n;
	return 0;
}

int lt_raw_writer_add(struct lt_raw_writer *w, unsigned kind, unsigned aux, const uint32_t *payload,
		      uint32_t n)
{
	uint32_t words = n + 1;
	if (words > LT_MAX_RECORD_WORDS || kind == 0 || kind >= LT_KIND_MAX)
		return -EINVAL;
	uint64_t left = LT_CHUNK_WORDS - w->words % LT_CHUNK_WORDS;
	if (words > left) {
		/* Cover the rest of the chunk with one LT_PAD record. */
		uint32_t pad = lt_record_header(LT_PAD, 0, (unsigned)left);
		int rc = put_words(w, &pad, 1);
		for (uint64_t i = 1; i < left && rc == 0; i++) {
			uint32_t z = 0;
			rc = put_words(w, &z, 1);
		}
		if (rc)
			return rc;
	}
	uint32_t h = lt_record_header(kind, aux, words);
	if (w->flight && !w->error) {
		/* Whole, so the flight recorder sees it (its triggers) at once. */
		size_t at = (size_t)(w->words % LT_CHUNK_WORDS);
		w->chunk[at] = h;
		memcpy(w->chunk + at + 1, payload, n * 4u);
		lt_flight_scan(w->flight, (size_t)w->flight_id, w->chunk + at, words);
		w->words += words;
		if (w->words % LT_CHUNK_WORDS == 0)
			lt_flight_keep(w->flight, (size_t)w->flight_id, w->chunk);
		return 0;
	}
	int rc = put_words(w, &h, 1);
	return rc ? rc : put_words(w, payload, n);
}

int lt_raw_writer_string(struct lt_raw_writer *w, uint32_t id, const char *s, size_t len)
{
	uint32_t buf[2 + 1024];
	if (len > (sizeof(buf) - 2 * sizeof(uint32_t)))
		len = sizeof(buf) - 2 * sizeof(uint32_t);
	uint32_t payload_words = 2 + (uint32_t)((len + 3) / 4);
	memset(buf, 0, payload_words * sizeof(uint32_t));
	buf[0] = id;
	buf[1] = (uint32_t)len;
	memcpy(buf + 2, s, len);
	return lt_raw_writer_add(w, LT_STRING, 0, buf, payload_words);
}

void lt_raw_writer_flat_header(const struct lt_raw_writer *w, uint32_t flags, struct lt_file_header *h)
{
	*h = w->hdr;
	h->flags = flags | (w->hdr.pid == w->hdr.tid ? LT_FILE_MAIN_THREAD : 0u);
	h->cursor = 0;
}

int lt_raw_writer_close(struct lt_raw_writer *w, uint32_t flags)
{
	if (w->flight) {
		struct lt_file_header h;
		lt_raw_writer_flat_header(w, flags, &h);
		int rc = lt_flight_close_stream(w->flight, (size_t)w->flight_id, &h, w->chunk,
						(size_t)(w->words % LT_CHUNK_WORDS));
		free(w->chunk);
		w->chunk = NULL;
		w->flight = NULL;
		return rc ? rc : w->error;
	}
	if (!w->f)
		return w->error;
	int rc = w->error;
	w->hdr.flags = flags | (w->hdr.pid == w->hdr.tid ? LT_FILE_MAIN_THREAD : 0u);
	w->hdr.cursor = w->words > INT32_MAX ? INT32_MAX : (int32_t)w->words;
	if (fflush(w->f) != 0 && !rc)
		rc = -errno;
	if (!rc && (fseek(w->f, 0, SEEK_SET) != 0 || fwrite(&w->hdr, sizeof(w->hdr), 1, w->f) != 1))
		rc = errno ? -errno : -EIO;
	if (fclose(w->f) != 0 && !rc)
		rc = -errno;
	w->f = NULL;
	return rc;
}
