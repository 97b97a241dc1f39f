/*
 * import_strings_stacks.c — strings and stacks of a capture stream.
 *
 * A string's bytes are copied out of its record into the stream's text
 * blocks: records are only valid while they are read.
 */
#include "import_strings_stacks.h"

#include "native_frames.h"

#include <stdlib.h>
#include <string.h>

#define TEXT_BLOCK 65536u

int lt_strings_stacks_init(struct lt_stream *s)
{
	lt_id_map_init(&s->strings, sizeof(struct lt_text), 0, NULL, NULL);
	lt_id_map_init(&s->stacks, sizeof(uint64_t), 0, NULL, NULL);
	s->texts = NULL;
	return 0;
}

void lt_strings_stacks_free(struct lt_stream *s)
{
	lt_id_map_free(&s->strings);
	lt_id_map_free(&s->stacks);
	while (s->texts) {
		struct lt_text_block *next = s->texts->next;
		free(s->texts);
		s->texts = next;
	}
}

void lt_user_stacks_free(struct lt_importer *im)
{
	free(im->user_stack);
	im->user_stack = NULL;
	im->n_user_stack = 0;
	lt_native_frames_free(im->native);
	im->native = NULL;
}

/* A copy of n bytes in the stream's text storage (NULL: out of memory). */
static const char *keep_text(struct lt_stream *s, const void *bytes, uint32_t n)
{
	struct lt_text_block *b = s->texts;
	if (!b || b->size - b->used < n) {
		size_t size = n > TEXT_BLOCK / 4 ? n : TEXT_BLOCK;
		b = malloc(sizeof(*b) + size);
		if (!b)
			return NULL;
		b->size = size;
		b->used = 0;
		if (n > TEXT_BLOCK / 4 && s->texts) {
			/* a big one gets a block of its own, behind the current one */
			b->next = s->texts->next;
			s->texts->next = b;
		} else {
			b->next = s->texts;
			s->texts = b;
		}
	}
	char *at = b->bytes + b->used;
	if (n)
		memcpy(at, bytes, n);
	b->used += n;
	return at;
}

struct lt_text lt_string_of(const struct lt_stream *s, uint32_t id)
{
	struct lt_text none = {"", 0};
	/* the string map is unbounded: a lookup never moves its entries */
	const struct lt_text *t = lt_id_map_get((struct lt_id_map *)&s->strings, id);
	return t ? *t : none;
}

void lt_on_string(struct lt_importer *im, struct lt_stream *s, const uint32_t *r)
{
	/* the reader checked that the bytes lie inside the record */
	uint32_t n = r[2];
	const char *copy = keep_text(s, r + 3, n);
	struct lt_text *t = copy ? lt_id_map_put(&s->strings, r[1], NULL) : NULL;
	if (!t) {
		im->db.failed = 1;
		return;
	}
	t->s = copy;
	t->n = n;
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
	/* the reader checked that the frames lie inside the record */
	uint32_t id = r[1], frames = r[2];
	uint64_t gid = im->next_stack + 1;
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
	uint64_t *local = lt_id_map_put(&s->stacks, id, NULL);
	if (!local) {
		im->db.failed = 1;
		return;
	}
	im->next_stack = gid;
	*local = gid;
	for (uint32_t f = 0; f < frames; f++) {
		const uint32_t *w = r + 3 + (size_t)f * 4;
		struct lt_text fn = lt_string_of(s, w[0]), file = lt_string_of(s, w[1]);
		int64_t line = w[2], column = w[3];
		struct lt_native_place place;
		int copy = 0; /* the stream's text outlives the import; a native place does not */
		if (w[3] == LT_FRAME_NATIVE) {
			copy = 1;
			lt_native_frame_place(&im->native, file.s, file.n, w[2], fn.s, fn.n, &place);
			fn = (struct lt_text){place.function, (uint32_t)strlen(place.function)};
			file = (struct lt_text){place.file, (uint32_t)strlen(place.file)};
			line = place.line;
			column = place.column;
		}
		if (is_user_file(file))
			im->user_stack[gid] = 1;
		struct lt_import_cell *c = lt_import_op(&im->db, ST_STACK);
		lt_cell_int(&c[0], (int64_t)gid);
		lt_cell_int(&c[1], (int)f);
		if (copy) {
			lt_cell_text_copy(&im->db, &c[2], fn.s, (int)fn.n);
			lt_cell_text_copy(&im->db, &c[3], file.s, (int)file.n);
		} else {
			lt_cell_text(&c[2], fn.s, (int)fn.n);
			lt_cell_text(&c[3], file.s, (int)file.n);
		}
		lt_cell_int(&c[4], line);
		lt_cell_int(&c[5], column);
	}
}

uint64_t lt_stack_of(const struct lt_stream *s, uint32_t local)
{
	if (!local)
		return 0;
	const uint64_t *gid = lt_id_map_get((struct lt_id_map *)&s->stacks, local);
	return gid ? *gid : 0;
}
