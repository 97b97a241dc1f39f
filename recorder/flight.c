/*
 * flight.c — the flight recorder's bounded chunk ring, pinned definitions
 * and stream triggers.
 */
#include "flight.h"
#include "../analyzer/queue.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK_BYTES ((uint64_t)LT_CHUNK_WORDS * 4u)

struct chunk {
	uint32_t *w;
	uint64_t last_ns; /* the stream's latest time when the chunk was finished */
	struct chunk *next;
};

struct stream {
	int pid, tid;
	struct chunk *head, *tail; /* oldest first */
	uint32_t *pin;             /* pinned records, back to back */
	size_t pin_words, pin_cap;
	uint64_t last_ns;          /* latest full timestamp seen */
	uint64_t js_base;          /* LT_JS_START's time: the base of rel64 times */
	uint64_t poll_exit_ns;     /* out of epoll since (0: in it, or unknown) */
	uint64_t evicted_to_ns;    /* records before this were evicted */
	uint32_t server_types[8];  /* string ids naming a listening handle's type */
	unsigned n_server_types;
	int closed;                /* lt_flight_close_stream: hdr and tail below */
	struct lt_file_header hdr;
	uint32_t *last;            /* the unfinished chunk at the close */
	size_t last_words;
};

struct lt_flight {
	struct lt_flight_opts o;
	struct stream *s;
	size_t n, cap;
	uint64_t bytes, chunks, evicted, lost, pin_bytes, pin_dropped;
	uint32_t *spare; /* an evicted chunk's memory, reused for the next one (no page faults) */
	enum lt_flight_trigger trigger;
	uint64_t trigger_ns;
	char detail[200];
};

static uint64_t ts64(const uint32_t *w)
{
	return (uint64_t)w[0] | ((uint64_t)w[1] << 32);
}

int lt_flight_new(struct lt_flight **out, const struct lt_flight_opts *o)
{
	struct lt_flight *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->o = *o;
	if (f->o.limit_bytes < CHUNK_BYTES)
		f->o.limit_bytes = CHUNK_BYTES;
	*out = f;
	return 0;
}

void lt_flight_free(struct lt_flight *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++) {
		struct chunk *c = f->s[i].head;
		while (c) {
			struct chunk *next = c->next;
			free(c->w);
			free(c);
			c = next;
		}
		free(f->s[i].pin);
		free(f->s[i].last);
	}
	free(f->s);
	free(f->spare);
	free(f);
}

int lt_flight_add_stream(struct lt_flight *f, int pid, int tid)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 8;
		struct stream *grown = realloc(f->s, cap * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		f->s = grown;
		f->cap = cap;
	}
	struct stream *s = &f->s[f->n];
	memset(s, 0, sizeof(*s));
	s->pid = pid;
	s->tid = tid;
	return (int)f->n++;
}

/* The next record at p (n words left): its length, or 0 at the end of the
 * records (a zero word, padding to the chunk's end, or a record that does
 * not fit). */
static size_t record_len(const uint32_t *p, size_t n)
{
	if (n == 0 || p[0] == 0)
		return 0;
	size_t w = lt_record_words(p[0]);
	if (w == 0 || w > n)
		return 0;
	return w;
}

/* The first trigger stands until taken. */
static int set_trigger(struct lt_flight *f, enum lt_flight_trigger t, uint64_t ns)
{
	if (f->trigger != LT_TRIGGER_NONE)
		return 0;
	f->trigger = t;
	f->trigger_ns = ns;
	return 1;
}

/* The agent names a resource's type by a string id: remember the ids of
 * the types a listening service has (a server socket or pipe, a UDP
 * socket), whose creation records are kept past their chunk (evict). */
static void note_server_type(struct stream *s, const uint32_t *p, size_t w)
{
	if (w < 3 || s->n_server_types == sizeof(s->server_types) / sizeof(s->server_types[0]))
		return;
	size_t len = p[2];
	if (len > (w - 3) * 4u)
		return;
	if (lt_type_listens((const char *)(p + 3), len))
		s->server_types[s->n_server_types++] = p[1];
}

/* A resource record of a listening handle: the service's server socket is
 * made once at start-up, and a window without it would read as a batch run
 * (nothing listens), not as a service whose loop lagged. */
static int is_server_handle(const struct stream *s, const uint32_t *p, size_t w)
{
	if (lt_record_kind(p[0]) != LT_R_INIT || w < 4)
		return 0;
	for (unsigned k = 0; k < s->n_server_types; k++)
		if (p[3] == s->server_types[k])
			return 1;
	return 0;
}

void lt_flight_scan(struct lt_flight *f, size_t i, const uint32_t *p, size_t n)
{
	if (i >= f->n)
		return;
	struct stream *s = &f->s[i];
	size_t w;
	for (; (w = record_len(p, n)) != 0; p += w, n -= w) {
		unsigned kind = lt_record_kind(p[0]);
		switch (kind) {
		case LT_STRING:
			note_server_type(s, p, w);
			break;
		case LT_POLL_EXIT:
			if (w >= 3)
				s->last_ns = s->poll_exit_ns = ts64(p + 1);
			break;
		case LT_POLL_ENTER:
			if (w < 3)
				break;
			s->last_ns = ts64(p + 1);
			if (f->o.lag_ns && s->poll_exit_ns && s->last_ns > s->poll_exit_ns &&
			    s->last_ns - s->poll_exit_ns > f->o.lag_ns)
				if (set_trigger(f, LT_TRIGGER_LAG, s->last_ns))
					snprintf(f->detail, sizeof(f->detail),
						 "the loop stayed %.0f ms out of epoll (pid %d, tid %d)",
						 (double)(s->last_ns - s->poll_exit_ns) / 1e6, s->pid, s->tid);
			s->poll_exit_ns = 0;
			break;
		case LT_JS_START:
			if (w >= 3)
				s->js_base = ts64(p + 1);
			/* fall through */
		case LT_PROC_START:
		case LT_OUTPUT:
		case LT_FORK:
		case LT_EXEC:
		case LT_THREAD_CREATE:
		case LT_BLOCKING:
			if (w >= 3 && ts64(p + 1) > s->last_ns)
				s->last_ns = ts64(p + 1);
			break;
		case LT_REJECT:
			if (f->o.on_rejection && lt_record_aux(p[0]) == LT_REJECT_UNHANDLED && w >= 6 &&
			    s->js_base)
				if (set_trigger(f, LT_TRIGGER_REJECTION, s->js_base + ts64(p + 4)))
					snprintf(f->detail, sizeof(f->detail), "an unhandled rejection (pid %d, tid %d)",
						 s->pid, s->tid);
			break;
		default:
			break;
		}
	}
}

/* Records later ones refer to, kept when their chunk goes. */
static int is_definition(unsigned kind) { return lt_record_defines(kind) || kind == LT_MAIN_END; }

static void pin(struct lt_flight *f, struct stream *s, const uint32_t *r, size_t w)
{
	if (f->pin_bytes + w * 4u > f->o.limit_bytes / 4u) {
		f->pin_dropped++;
		return;
	}
	if (s->pin_words + w > s->pin_cap) {
		size_t cap = s->pin_cap ? s->pin_cap * 2 : 4096;
		while (cap < s->pin_words + w)
			cap *= 2;
		uint32_t *grown = realloc(s->pin, cap * 4u);
		if (!grown) {
			f->pin_dropped++;
			return;
		}
		s->pin = grown;
		s->pin_cap = cap;
	}
	memcpy(s->pin + s->pin_words, r, w * 4u);
	s->pin_words += w;
	f->pin_bytes += w * 4u;
	f->bytes += w * 4u;
}

static void evict(struct lt_flight *f, struct stream *s)
{
	struct chunk *c = s->head;
	const uint32_t *p = c->w;
	size_t n = LT_CHUNK_WORDS, w;
	for (; (w = record_len(p, n)) != 0; p += w, n -= w)
		if (is_definition(lt_record_kind(p[0])) || is_server_handle(s, p, w))
			pin(f, s, p, w);
	if (c->last_ns > s->evicted_to_ns)
		s->evicted_to_ns = c->last_ns;
	s->head = c->next;
	if (!s->head)
		s->tail = NULL;
	if (!f->spare)
		f->spare = c->w;
	else
		free(c->w);
	free(c);
	f->bytes -= CHUNK_BYTES;
	f->chunks--;
	f->evicted++;
}

/* The stream whose oldest chunk is the oldest of all, or NULL. */
static struct stream *oldest(struct lt_flight *f)
{
	struct stream *best = NULL;
	for (size_t i = 0; i < f->n; i++)
		if (f->s[i].head && (!best || f->s[i].head->last_ns < best->head->last_ns))
			best = &f->s[i];
	return best;
}

static void fit(struct lt_flight *f, uint64_t incoming)
{
	struct stream *s;
	while (f->bytes + incoming > f->o.limit_bytes && (s = oldest(f)) != NULL)
		evict(f, s);
}

int lt_flight_keep(struct lt_flight *f, size_t i, const uint32_t *words)
{
	if (i >= f->n)
		return -EINVAL;
	struct stream *s = &f->s[i];
	fit(f, CHUNK_BYTES);
	struct chunk *c = malloc(sizeof(*c));
	uint32_t *copy = NULL;
	if (c && f->spare) {
		copy = f->spare;
		f->spare = NULL;
	} else if (c) {
		copy = malloc(CHUNK_BYTES);
	}
	if (!copy) {
		free(c);
		f->lost++;
		return -ENOMEM;
	}
	memcpy(copy, words, CHUNK_BYTES);
	c->w = copy;
	c->last_ns = s->last_ns;
	c->next = NULL;
	if (s->tail)
		s->tail->next = c;
	else
		s->head = c;
	s->tail = c;
	f->bytes += CHUNK_BYTES;
	f->chunks++;
	return 0;
}

int lt_flight_close_stream(struct lt_flight *f, size_t i, const struct lt_file_header *flat,
			   const uint32_t *tail, size_t n)
{
	if (i >= f->n || n > LT_CHUNK_WORDS)
		return -EINVAL;
	struct stream *s = &f->s[i];
	uint32_t *copy = n ? malloc(n * 4u) : NULL;
	if (n && !copy)
		return -ENOMEM;
	if (n)
		memcpy(copy, tail, n * 4u);
	free(s->last);
	s->last = copy;
	s->last_words = n;
	s->hdr = *flat;
	s->closed = 1;
	return 0;
}

size_t lt_flight_streams(const struct lt_flight *f)
{
	return f->n;
}

int lt_flight_closed(const struct lt_flight *f, size_t i, struct lt_file_header *flat, const uint32_t **tail,
		     size_t *n)
{
	if (i >= f->n || !f->s[i].closed)
		return 0;
	*flat = f->s[i].hdr;
	*tail = f->s[i].last;
	*n = f->s[i].last_words;
	return 1;
}

void lt_flight_expire(struct lt_flight *f, uint64_t now_ns)
{
	if (!f->o.window_ns || now_ns <= f->o.window_ns)
		return;
	uint64_t from = now_ns - f->o.window_ns;
	struct stream *s;
	/* A chunk whose last record is older than the window holds nothing of
	 * it (the stream's newer records are in later chunks). */
	while ((s = oldest(f)) != NULL && s->head->last_ns && s->head->last_ns < from)
		evict(f, s);
}

enum lt_flight_trigger lt_flight_take_trigger(struct lt_flight *f, uint64_t *ns, char *detail, size_t n)
{
	enum lt_flight_trigger t = f->trigger;
	if (t == LT_TRIGGER_NONE)
		return t;
	*ns = f->trigger_ns;
	snprintf(detail, n, "%s", f->detail);
	f->trigger = LT_TRIGGER_NONE;
	return t;
}

uint64_t lt_flight_window_start(const struct lt_flight *f, uint64_t end_ns)
{
	uint64_t from = 0;
	for (size_t i = 0; i < f->n; i++)
		if (f->s[i].evicted_to_ns > from)
			from = f->s[i].evicted_to_ns;
	if (f->o.window_ns && end_ns > f->o.window_ns && end_ns - f->o.window_ns > from)
		from = end_ns - f->o.window_ns;
	return from;
}

void lt_flight_stats(const struct lt_flight *f, struct lt_flight_stats *out)
{
	out->bytes = f->bytes;
	out->chunks = f->chunks;
	out->evicted_chunks = f->evicted;
	out->pinned_bytes = f->pin_bytes;
	out->pinned_dropped = f->pin_dropped;
	out->lost_chunks = f->lost;
}

const char *lt_flight_trigger_name(enum lt_flight_trigger t)
{
	switch (t) {
	case LT_TRIGGER_SIGNAL: return "signal";
	case LT_TRIGGER_LAG: return "lag";
	case LT_TRIGGER_REJECTION: return "rejection";
	case LT_TRIGGER_EXIT: return "exit";
	default: return "none";
	}
}

/* A flat file written front to back; records laid into chunks as the
 * probes lay them (an LT_PAD covers a chunk's tail too short for one). */
struct flat {
	FILE *out;
	uint64_t words;
	int error;
};

static void put(struct flat *fl, const uint32_t *w, size_t n)
{
	if (!fl->error && n && fwrite(w, 4u, n, fl->out) != n)
		fl->error = errno ? -errno : -EIO;
	fl->words += n;
}

/* Cover the rest of the current chunk, if the next `need` words do not fit. */
static void pad_for(struct flat *fl, size_t need)
{
	uint64_t left = LT_CHUNK_WORDS - fl->words % LT_CHUNK_WORDS;
	if (left == LT_CHUNK_WORDS || need <= left)
		return;
	static const uint32_t zeros[1024];
	uint32_t h = lt_record_header(LT_PAD, 0, (unsigned)(left > LT_MAX_RECORD_WORDS ? 0 : left));
	if (left > LT_MAX_RECORD_WORDS) {
		/* Longer than one record can say: pads of the largest size. */
		while (left > LT_MAX_RECORD_WORDS) {
			uint32_t big = lt_record_header(LT_PAD, 0, LT_MAX_RECORD_WORDS);
			put(fl, &big, 1);
			for (size_t k = 1; k < LT_MAX_RECORD_WORDS; k += 1024)
				put(fl, zeros, LT_MAX_RECORD_WORDS - k < 1024 ? LT_MAX_RECORD_WORDS - k : 1024);
			left -= LT_MAX_RECORD_WORDS;
		}
		h = lt_record_header(LT_PAD, 0, (unsigned)left);
	}
	put(fl, &h, 1);
	for (uint64_t k = 1; k < left; k += 1024)
		put(fl, zeros, left - k < 1024 ? left - k : 1024);
}

int lt_flight_write_stream(const struct lt_flight *f, size_t i, int dfd, const char *name,
			   const struct lt_file_header *hdr, const uint32_t *partial, size_t n)
{
	if (i >= f->n || n > LT_CHUNK_WORDS)
		return -EINVAL;
	const struct stream *s = &f->s[i];
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	struct flat fl = {.out = fdopen(fd, "wb")};
	if (!fl.out) {
		int e = errno;
		close(fd);
		return -e;
	}
	static const char page[LT_HEADER_BYTES];
	if (fwrite(page, 1, sizeof(page), fl.out) != sizeof(page))
		fl.error = -EIO;
	/* Pinned records first: they are older than anything kept. */
	size_t w;
	for (size_t k = 0; k < s->pin_words && (w = record_len(s->pin + k, s->pin_words - k)) != 0; k += w) {
		pad_for(&fl, w);
		put(&fl, s->pin + k, w);
	}
	for (const struct chunk *c = s->head; c; c = c->next) {
		pad_for(&fl, LT_CHUNK_WORDS);
		put(&fl, c->w, LT_CHUNK_WORDS);
	}
	if (n) {
		pad_for(&fl, LT_CHUNK_WORDS);
		put(&fl, partial, n);
	}
	struct lt_file_header h = *hdr;
	h.cursor = fl.words > INT32_MAX ? INT32_MAX : (int32_t)fl.words;
	if (!fl.error && (fflush(fl.out) != 0 || fseek(fl.out, 0, SEEK_SET) != 0 ||
			  fwrite(&h, sizeof(h), 1, fl.out) != 1))
		fl.error = errno ? -errno : -EIO;
	if (fclose(fl.out) != 0 && !fl.error)
		fl.error = errno ? -errno : -EIO;
	return fl.error;
}
