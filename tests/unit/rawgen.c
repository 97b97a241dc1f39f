/*
 * rawgen.c — synthetic capture files for unit tests.
 */
#include "rawgen.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>
#include <stdio.h>

#include "analyzer/store.h"
#include "recorder/import.h"

void rawgen_init(struct rawgen *g, int pid, int tid, uint64_t base_ns)
{
	memset(g, 0, sizeof(*g));
	g->pid = pid;
	g->tid = tid;
	g->base_ns = base_ns;
}

void rawgen_free(struct rawgen *g)
{
	free(g->words);
	memset(g, 0, sizeof(*g));
}

static void push(struct rawgen *g, uint32_t w)
{
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 1024;
		g->words = realloc(g->words, g->cap * sizeof(*g->words));
		if (!g->words)
			abort();
	}
	g->words[g->n++] = w;
}

/* Records never straddle a chunk: pad the tail first, as the writers do. */
static void reserve(struct rawgen *g, size_t words)
{
	size_t used = g->n % LT_CHUNK_WORDS;
	if (used + words <= LT_CHUNK_WORDS)
		return;
	size_t rest = LT_CHUNK_WORDS - used;
	push(g, lt_record_header(LT_PAD, 0, (unsigned)rest));
	for (size_t i = 1; i < rest; i++)
		push(g, 0);
}

void rawgen_record(struct rawgen *g, unsigned kind, unsigned aux, const uint32_t *payload, size_t n)
{
	reserve(g, n + 1);
	push(g, lt_record_header(kind, aux, (unsigned)(n + 1)));
	for (size_t i = 0; i < n; i++)
		push(g, payload[i]);
}

uint32_t rawgen_string(struct rawgen *g, const char *s)
{
	size_t len = strlen(s), words = (len + 3) / 4;
	uint32_t id = ++g->next_string;
	reserve(g, 3 + words);
	push(g, lt_record_header(LT_STRING, 0, (unsigned)(3 + words)));
	push(g, id);
	push(g, (uint32_t)len);
	for (size_t i = 0; i < words; i++) {
		uint32_t w = 0;
		memcpy(&w, s + i * 4, len - i * 4 < 4 ? len - i * 4 : 4);
		push(g, w);
	}
	return id;
}

static void put64(uint32_t *w, uint64_t v)
{
	w[0] = (uint32_t)v;
	w[1] = (uint32_t)(v >> 32);
}

void rawgen_js_start(struct rawgen *g, const char *main_script)
{
	uint32_t s = rawgen_string(g, main_script);
	uint32_t p[4];
	put64(p, g->base_ns);
	p[2] = 1;
	p[3] = s;
	rawgen_record(g, LT_JS_START, 0, p, 4);
}

void rawgen_main_end(struct rawgen *g, uint64_t rel)
{
	uint32_t p[2];
	put64(p, rel);
	rawgen_record(g, LT_MAIN_END, 0, p, 2);
}

void rawgen_r_init(struct rawgen *g, uint32_t id, uint32_t trigger, const char *type, uint64_t rel,
		   int delay_ms)
{
	uint32_t t = rawgen_string(g, type);
	uint32_t p[9] = {id, trigger, t, 0, 0, 0, (uint32_t)delay_ms, 0, 0};
	put64(p + 4, rel);
	rawgen_record(g, LT_R_INIT, 0, p, 9);
}

static void r_event(struct rawgen *g, unsigned kind, unsigned aux, uint32_t id, uint64_t rel)
{
	uint32_t p[3] = {id, 0, 0};
	put64(p + 1, rel);
	rawgen_record(g, kind, aux, p, 3);
}

void rawgen_r_before(struct rawgen *g, uint32_t id, uint64_t rel, int closing)
{
	r_event(g, LT_R_BEFORE, closing ? 1 : 0, id, rel);
}

void rawgen_r_after(struct rawgen *g, uint32_t id, uint64_t rel) { r_event(g, LT_R_AFTER, 0, id, rel); }

static uint32_t coarse(const struct rawgen *g, uint64_t rel) { return (uint32_t)((g->base_ns + rel) / 1000u); }

void rawgen_p_init(struct rawgen *g, uint32_t id, uint32_t parent, uint64_t rel)
{
	uint32_t p[3] = {id, parent, coarse(g, rel)};
	rawgen_record(g, LT_P_INIT, 0, p, 3);
}

void rawgen_p_event(struct rawgen *g, unsigned kind, uint32_t id, uint64_t rel)
{
	uint32_t p[2] = {id, coarse(g, rel)};
	rawgen_record(g, kind, 0, p, 2);
}

void rawgen_output(struct rawgen *g, int fd, const char *text, uint64_t rel)
{
	size_t len = strlen(text), words = (len + 3) / 4;
	reserve(g, 4 + words);
	push(g, lt_record_header(LT_OUTPUT, (unsigned)fd, (unsigned)(4 + words)));
	push(g, (uint32_t)(g->base_ns + rel));
	push(g, (uint32_t)((g->base_ns + rel) >> 32));
	push(g, (uint32_t)len);
	for (size_t i = 0; i < words; i++) {
		uint32_t w = 0;
		memcpy(&w, text + i * 4, len - i * 4 < 4 ? len - i * 4 : 4);
		push(g, w);
	}
}

void rawgen_poll(struct rawgen *g, uint64_t enter_rel, uint64_t exit_rel, int timeout, int events)
{
	uint32_t p[3];
	put64(p, g->base_ns + enter_rel);
	p[2] = (uint32_t)timeout;
	rawgen_record(g, LT_POLL_ENTER, 0, p, 3);
	put64(p, g->base_ns + exit_rel);
	p[2] = (uint32_t)events;
	rawgen_record(g, LT_POLL_EXIT, 0, p, 3);
}

void rawgen_loss(struct rawgen *g, unsigned kind, uint64_t events, uint64_t begin_rel, uint64_t end_rel)
{
	struct lt_loss *L = &g->loss;
	uint64_t begin = g->base_ns + begin_rel, end = g->base_ns + end_rel;
	if (L->gaps < LT_LOSS_GAPS)
		L->gap[L->gaps] = (struct lt_gap){begin, end, events};
	L->gaps++;
	L->events += events;
	L->words += events * 3;
	L->by_kind[kind < 32 ? kind : 0] += events;
	L->reasons |= LT_LOSS_BEHIND;
	if (!L->first_ns)
		L->first_ns = begin;
	L->last_ns = end;
}

int rawgen_write(const struct rawgen *g, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	char page[LT_HEADER_BYTES] = {0};
	struct lt_file_header *h = (struct lt_file_header *)page;
	memcpy(h->magic, LT_MAGIC, sizeof(h->magic));
	h->version = LT_WIRE_VERSION;
	h->header_bytes = LT_HEADER_BYTES;
	h->chunk_words = LT_CHUNK_WORDS;
	h->pid = g->pid;
	h->tid = g->tid;
	h->start_ns = g->base_ns;
	h->flags = g->pid == g->tid ? LT_FILE_MAIN_THREAD : 0;
	h->cursor = (int32_t)g->n;
	h->loss = g->loss;
	if (g->loss.events || g->loss.gaps)
		h->flags |= LT_FILE_LOST;
	int rc = 0;
	size_t chunks = g->n / LT_CHUNK_WORDS + 1;
	if (write(fd, page, sizeof(page)) != (ssize_t)sizeof(page) ||
	    write(fd, g->words, g->n * 4) != (ssize_t)(g->n * 4) ||
	    ftruncate(fd, (off_t)(LT_HEADER_BYTES + chunks * (size_t)LT_CHUNK_WORDS * 4)) != 0)
		rc = -EIO;
	close(fd);
	return rc;
}

static uint32_t next_stack_id;

uint32_t rawgen_stack(struct rawgen *g, const char *function, const char *file, uint32_t line,
		      uint32_t column)
{
	uint32_t fn = rawgen_string(g, function), fl = rawgen_string(g, file);
	uint32_t id = ++next_stack_id;
	uint32_t p[6] = {id, 1, fn, fl, line, column};
	rawgen_record(g, LT_STACK, 0, p, 6);
	return id;
}

uint32_t rawgen_stack2(struct rawgen *g, const char *inner_fn, const char *inner_file, uint32_t inner_line,
		       const char *outer_fn, const char *outer_file, uint32_t outer_line)
{
	uint32_t p[10] = {++next_stack_id, 2, rawgen_string(g, inner_fn), rawgen_string(g, inner_file), inner_line, 1,
			  rawgen_string(g, outer_fn), rawgen_string(g, outer_file), outer_line, 1};
	rawgen_record(g, LT_STACK, 0, p, 10);
	return p[0];
}

void rawgen_r_init_ex(struct rawgen *g, uint32_t id, uint32_t trigger, const char *type, uint64_t rel,
		      int delay_ms, uint32_t stack, unsigned flags, const char *callback)
{
	uint32_t t = rawgen_string(g, type);
	uint32_t cb = callback ? rawgen_string(g, callback) : 0;
	uint32_t p[9] = {id, trigger, t, stack, 0, 0, (uint32_t)delay_ms, cb, 0};
	put64(p + 4, rel);
	rawgen_record(g, LT_R_INIT, flags, p, 9);
}

void rawgen_p_init_stack(struct rawgen *g, uint32_t id, uint32_t parent, uint64_t rel, uint32_t stack)
{
	uint32_t p[4] = {id, parent, coarse(g, rel), stack};
	rawgen_record(g, LT_P_INIT, 1, p, 4);
}

void rawgen_reject(struct rawgen *g, unsigned kind, uint32_t promise, const char *reason, uint64_t rel,
		   uint32_t ordinal)
{
	rawgen_reject_stack(g, kind, promise, reason, 0, rel, ordinal);
}

void rawgen_reject_stack(struct rawgen *g, unsigned kind, uint32_t promise, const char *reason, uint32_t stack,
			 uint64_t rel, uint32_t ordinal)
{
	uint32_t r = reason ? rawgen_string(g, reason) : 0;
	uint32_t p[6] = {promise, r, stack, 0, 0, ordinal};
	put64(p + 3, rel);
	rawgen_record(g, LT_REJECT, kind, p, 6);
}

void rawgen_exit(struct rawgen *g, int is_exit, uint64_t rel)
{
	uint32_t p[3] = {0, 0, 0};
	put64(p, rel);
	rawgen_record(g, LT_EXIT_EMIT, is_exit ? 1 : 0, p, 3);
	put64(p, rel + 1000);
	rawgen_record(g, LT_EXIT_DONE, is_exit ? 1 : 0, p, 3);
}

void rawgen_sample(struct rawgen *g, uint64_t rel, uint32_t stack, uint32_t busy_ns)
{
	rawgen_sample_sched(g, rel, stack, busy_ns, UINT32_MAX, UINT32_MAX);
}

void rawgen_sample_sched(struct rawgen *g, uint64_t rel, uint32_t stack, uint32_t busy_ns, uint32_t on_cpu_ns,
			 uint32_t runq_ns)
{
	uint32_t p[6] = {0, 0, stack, busy_ns, on_cpu_ns, runq_ns};
	put64(p, g->base_ns + rel);
	rawgen_record(g, LT_SAMPLE, 0, p, 6);
}

void rawgen_sampling(struct rawgen *g, unsigned state, uint32_t abi)
{
	uint32_t p[2] = {abi, 40};
	rawgen_record(g, LT_SAMPLING, state, p, 2);
}

void rawgen_work(struct rawgen *g, unsigned kind, uint64_t submit_abs, uint32_t wait_ns, uint32_t run_ns,
		 uint32_t done_ns, uint32_t id)
{
	uint32_t p[6] = {0, 0, wait_ns, run_ns, done_ns, id};
	put64(p, submit_abs);
	rawgen_record(g, LT_WORK, kind, p, 6);
}

void rawgen_destroy(struct rawgen *g, uint32_t id, uint64_t rel)
{
	uint32_t p[3] = {id, 0, 0};
	put64(p + 1, rel);
	rawgen_record(g, LT_R_DESTROY, 0, p, 3);
}

void rawgen_exec(struct rawgen *g, const char *path, uint64_t rel, int failed)
{
	uint32_t p[3] = {0, 0, rawgen_string(g, path)};
	put64(p, g->base_ns + rel);
	rawgen_record(g, LT_EXEC, 0, p, 3);
	if (failed) {
		put64(p, g->base_ns + rel + 1000);
		p[2] = 2; /* ENOENT */
		rawgen_record(g, LT_EXEC, LT_EXEC_FAILED, p, 3);
	}
}

int rawgen_import(struct rawgen *g, const char *dir, sqlite3 **db, char *err, size_t errlen)
{
	char path[8192], dbp[8192];
	snprintf(path, sizeof(path), "%s/%d-%d.ltr", dir, g->pid, g->tid);
	snprintf(dbp, sizeof(dbp), "%s/trace.db", dir);
	int rc = rawgen_write(g, path);
	rawgen_free(g);
	if (rc != 0) {
		snprintf(err, errlen, "cannot write %s", path);
		return rc;
	}
	struct lt_import_stats st;
	if ((rc = lt_store_create(dbp, db)) != 0) {
		snprintf(err, errlen, "cannot create %s", dbp);
		return rc;
	}
	if ((rc = lt_import_dir(*db, dir, &st, err, errlen)) != 0)
		return rc;
	return lt_store_finish(*db);
}
