/*
 * lesson_text.c — a lesson step in a terminal.
 */
#include "lesson_text.h"

#include <string.h>

#include "text.h"

#define WAITING_SHOWN 4
#define OUTPUT_SHOWN 20

static void put(FILE *o, const char *s)
{
	if (s)
		lt_put_safe(o, s, strlen(s));
}

/* The first line of what a step printed, or what names it. */
static void name_of(FILE *o, const struct lt_lesson_step *s)
{
	if (s->out && s->out_len) {
		size_t n = strcspn(s->out, "\n");
		fputc('"', o);
		lt_put_safe(o, s->out, n > 60 ? 60 : n);
		fputc('"', o);
	} else if (*s->callback) {
		put(o, s->callback);
		fputs("()", o);
	} else if (*s->function) {
		put(o, s->function);
		fputs("()", o);
	} else if (s->line) {
		fprintf(o, "line %lld", (long long)s->line);
	} else {
		put(o, s->type);
	}
}

static void source_context(FILE *o, const struct lt_lesson *l, const struct lt_lesson_step *s)
{
	int k = lt_lesson_source_index(l, s->file);
	if (k < 0 || s->line < 1 || (size_t)s->line > l->sources[k].n)
		return;
	fputs("  scheduled at ", o);
	put(o, s->file);
	fprintf(o, ":%lld\n", (long long)s->line);
	for (int64_t n = s->line - 1; n <= s->line + 1; n++) {
		if (n < 1 || (size_t)n > l->sources[k].n)
			continue;
		fprintf(o, "  %s %4lld | ", n == s->line ? ">" : " ", (long long)n);
		put(o, l->sources[k].lines[n - 1]);
		fputc('\n', o);
	}
}

static void waiting(FILE *o, const struct lt_lesson *l, size_t i)
{
	static const char *const queues[] = {"nextTick", "microtask", "timer", "immediate", "io", "close"};
	int64_t seq = l->steps[i].why.seq;
	int any = 0;
	for (size_t q = 0; q < sizeof(queues) / sizeof(queues[0]); q++) {
		size_t count = 0;
		for (size_t k = i + 1; k < l->n; k++) {
			const struct lt_lesson_step *s = &l->steps[k];
			if (s->why.enqueued <= 0 || s->why.enqueued > seq || s->why.parent != 0 || strcmp(s->queue, queues[q]))
				continue;
			if (count == 0)
				fprintf(o, "%s  %-9s:", any++ ? "" : "  still waiting\n", queues[q]);
			if (count < WAITING_SHOWN) {
				fprintf(o, " #%lld ", (long long)s->why.seq);
				name_of(o, s);
			}
			count++;
		}
		if (count > WAITING_SHOWN)
			fprintf(o, " (+%zu more)", count - WAITING_SHOWN);
		if (count)
			fputc('\n', o);
	}
	if (!any)
		fputs("  still waiting: nothing\n", o);
}

static void printed(FILE *o, const char *text, size_t len, const char *prefix)
{
	size_t lines = 0;
	for (const char *p = text; p && p < text + len && lines < OUTPUT_SHOWN; lines++) {
		const char *nl = memchr(p, '\n', (size_t)(text + len - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(text + len - p);
		fputs(prefix, o);
		lt_put_safe(o, p, n);
		fputc('\n', o);
		p += n + 1;
	}
}

void lt_lesson_text_step(FILE *o, const struct lt_lesson *l, size_t i)
{
	const struct lt_lesson_step *s = &l->steps[i];
	fprintf(o, "step %zu of %zu: #%lld %s ", i + 1, l->n, (long long)s->why.seq, s->queue);
	name_of(o, s);
	fprintf(o, "  (iteration %lld, %s)\n", (long long)s->why.iteration, s->phase);
	fputs("  why now: ", o);
	put(o, s->because);
	fprintf(o, " [%s]\n", s->concept);
	source_context(o, l, s);
	waiting(o, l, i);
	printed(o, s->out, s->out_len, "  > ");
	printed(o, s->err, s->err_len, "  2> ");
}
