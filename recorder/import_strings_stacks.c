/*
 * import_strings_stacks.c — strings and stacks of a capture stream.
 */
#include "import_strings_stacks.h"

#include <stdlib.h>
#include <string.h>

int lt_strings_stacks_init(struct lt_stream *s)
{
	s->n_js_strings = s->max_js_string + 1;
	s->n_c_strings = s->max_c_string + 1;
	s->n_stacks = s->max_stack + 1;
	s->js_strings = calloc(s->n_js_strings, sizeof(*s->js_strings));
	s->c_strings = calloc(s->n_c_strings, sizeof(*s->c_strings));
	s->stacks = calloc(s->n_stacks, sizeof(*s->stacks));
	if (!s->js_strings || !s->c_strings || !s->stacks)
		return -1;
	return 0;
}

void lt_strings_stacks_free(struct lt_stream *s)
{
	free(s->js_strings);
	free(s->c_strings);
	free(s->stacks);
	s->js_strings = s->c_strings = NULL;
	s->stacks = NULL;
}

void lt_user_stacks_free(struct lt_importer *im)
{
	free(im->user_stack);
	im->user_stack = NULL;
	im->n_user_stack = 0;
}

struct lt_text lt_string_of(const struct lt_stream *s, uint32_t id)
{
	struct lt_text none = {"", 0};
	if (id & 0x80000000u) {
		id &= 0x7fffffffu;
		return id < s->n_c_strings && s->c_strings[id].s ? s->c_strings[id] : none;
	}
	return id < s->n_js_strings && s->js_strings[id].s ? s->js_strings[id] : none;
}

void lt_on_string(struct lt_stream *s, const uint32_t *r)
{
	uint32_t words = lt_record_words(r[0]);
	uint32_t n = r[2];
	if (n > (words - 3u) * 4u)
		n = (words - 3u) * 4u;
	struct lt_text t = {(const char *)(r + 3), n};
	uint32_t id = r[1];
	if (id & 0x80000000u) {
		id &= 0x7fffffffu;
		if (id < s->n_c_strings)
			s->c_strings[id] = t;
	} else if (id < s->n_js_strings) {
		s->js_strings[id] = t;
	}
}

/* A frame in the program's own code: a file that is not Node's ("node:...")
 * and not the agent's. */
static int is_user_file(struct lt_text file)
{
	return file.n > 0 && !(file.n >= 5 && memcmp(file.s, "node:", 5) == 0);
}

int lt_reaches_user_code(const struct lt_importer *im, uint64_t stack)
{
	return stack && stack < im->n_user_stack && im->user_stack[stack];
}

void lt_on_stack(struct lt_importer *im, struct lt_stream *s, const uint32_t *r)
{
	uint32_t words = lt_record_words(r[0]);
	uint32_t id = r[1], frames = r[2];
	if (id >= s->n_stacks || 3u + frames * 4u > words)
		return;
	uint64_t gid = ++im->next_stack;
	s->stacks[id] = gid;
	if (gid >= im->n_user_stack) {
		uint64_t n = im->n_user_stack ? im->n_user_stack * 2 : 4096;
		uint8_t *grown = realloc(im->user_stack, n);
		if (!grown) {
			im->db.failed = 1;
			return;
		}
		memset(grown + im->n_user_stack, 0, n - im->n_user_stack);
		im->user_stack = grown;
		im->n_user_stack = n;
	}
	sqlite3_stmt *st = im->db.st[ST_STACK];
	for (uint32_t f = 0; f < frames; f++) {
		const uint32_t *w = r + 3 + f * 4;
		struct lt_text fn = lt_string_of(s, w[0]), file = lt_string_of(s, w[1]);
		if (is_user_file(file))
			im->user_stack[gid] = 1;
		sqlite3_bind_int64(st, 1, (int64_t)gid);
		sqlite3_bind_int(st, 2, (int)f);
		sqlite3_bind_text(st, 3, fn.s, (int)fn.n, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, file.s, (int)file.n, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, w[2]);
		sqlite3_bind_int64(st, 6, w[3]);
		lt_import_db_run(&im->db, ST_STACK);
	}
}

uint64_t lt_stack_of(const struct lt_stream *s, uint32_t local)
{
	return local && local < s->n_stacks ? s->stacks[local] : 0;
}
