/*
 * replay_format.c — the execution order as a teacher's slide (text) or as
 * the documented JSON.
 */
#include "replay_format.h"

#include "text.h"

#include <string.h>
#include <unistd.h>

/* --- text --- */

void lt_replay_text_begin(struct lt_replay_text *t, FILE *out, int64_t origin_ns, int show_all)
{
	memset(t, 0, sizeof(*t));
	t->show_all = show_all;
	t->out = out;
	t->origin_ns = origin_ns;
	t->pid = t->tid = t->iteration = -1;
	if (!getcwd(t->cwd, sizeof(t->cwd)))
		t->cwd[0] = '\0';
}

static const char *short_path(const struct lt_replay_text *t, const char *file)
{
	size_t n = strlen(t->cwd);
	if (n && strncmp(file, t->cwd, n) == 0 && file[n] == '/')
		return file + n + 1;
	if (strncmp(file, "file://", 7) == 0)
		return short_path(t, file + 7);
	return file;
}

static int is_task_queue(const char *q)
{
	return strcmp(q, "nextTick") != 0 && strcmp(q, "microtask") != 0;
}

static void put_output(FILE *o, int indent, const struct lt_output *out, size_t n_out)
{
	for (size_t k = 0; k < n_out; k++) {
		const char *p = out[k].text, *end = p + out[k].len;
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
			fprintf(o, "%*s%s ", indent + 9, "", out[k].fd == 2 ? "2>" : " >");
			lt_put_safe(o, p, len);
			fputc('\n', o);
			p += len + (nl ? 1 : 0);
		}
	}
}

/* Under a slow dispatch, the work its samples saw:
 *   "~ 480 ms in handler (src/app.js:22) -> readFileSync, called from route (src/app.js:9)"
 * and, when no frame of the program's own code was sampled, the library or
 * Node's own function that ran, so a slow dispatch never reads as empty. */
static void put_frame(struct lt_replay_text *t, const struct lt_user_frame *fr)
{
	FILE *o = t->out;
	if (fr->function[0]) {
		lt_put_safe(o, fr->function, strlen(fr->function));
		fputs(" (", o);
	}
	const char *f = short_path(t, fr->file);
	lt_put_safe(o, f, strlen(f));
	fprintf(o, ":%lld%s", (long long)fr->line, fr->function[0] ? ")" : "");
}

static void put_sampled(struct lt_replay_text *t, int indent, const struct lt_dispatch *d)
{
	const struct lt_sample_summary *s = d->sampled;
	FILE *o = t->out;
	double dur = (double)(d->end_ns - d->begin_ns) / 1e6;
	if (s->user_samples) {
		double ms = dur * (double)s->user_votes / (double)s->samples;
		fprintf(o, "%*s~ %.0f ms in ", indent + 9, "", ms);
		put_frame(t, &s->user);
		if (s->called[0]) {
			fputs(" -> ", o);
			lt_put_safe(o, s->called, strlen(s->called));
		}
		if (s->caller_votes && s->caller.file[0] &&
		    (s->caller.line != s->user.line || strcmp(s->caller.file, s->user.file) != 0)) {
			fputs(", called from ", o);
			put_frame(t, &s->caller);
		}
		fprintf(o, "  (%lld of %lld samples)\n", (long long)s->user_votes, (long long)s->samples);
		return;
	}
	fprintf(o, "%*s~ %.0f ms in ", indent + 9, "", dur);
	if (s->has_library) {
		fputs("library code ", o);
		put_frame(t, &s->library);
		if (s->called[0]) {
			fputs(" -> ", o);
			lt_put_safe(o, s->called, strlen(s->called));
		}
	} else if (s->n_modules) {
		fputs("loading ", o);
		lt_put_safe(o, s->modules[0], strlen(s->modules[0]));
	} else if (s->called[0]) {
		lt_put_safe(o, s->called, strlen(s->called));
	} else {
		fputs("Node's own code", o);
	}
	fputs(", none of the program's own code sampled", o);
	fprintf(o, "  (%lld samples)\n", (long long)s->samples);
}

/* The first dispatch of a thread prints its header: the process's command
 * line the first time the process shows up, the thread's name the first
 * time a thread of it does.  Coming back to a thread already introduced
 * prints a short tag instead ("[pid 1234 worker 1]"). */
static void thread_name(char *buf, size_t len, const struct lt_dispatch *d)
{
	if (d->tid == d->pid || d->js_thread == 0)
		buf[0] = '\0';
	else if (d->js_thread > 0)
		snprintf(buf, len, " worker %lld", (long long)d->js_thread);
	else
		snprintf(buf, len, " thread %lld", (long long)d->tid);
}

static int seen(const struct lt_replay_text *t, int64_t pid, int64_t tid)
{
	for (size_t i = 0; i < t->n_seen; i++)
		if (t->seen[i].pid == pid && (tid < 0 || t->seen[i].tid == tid))
			return 1;
	return 0;
}

static void switch_thread(struct lt_replay_text *t, const struct lt_dispatch *d)
{
	FILE *o = t->out;
	char name[48];
	thread_name(name, sizeof(name), d);
	if (t->count)
		fputc('\n', o);
	if (seen(t, d->pid, d->tid)) {
		fprintf(o, "[pid %lld%s]\n", (long long)d->pid, name);
	} else if (seen(t, d->pid, -1)) {
		fprintf(o, "== process %lld%s", (long long)d->pid, name);
		if (d->js_thread > 0)
			fprintf(o, " (thread %lld)", (long long)d->tid);
		fputc('\n', o);
	} else {
		fprintf(o, "== process %lld%s", (long long)d->pid, name);
		if (d->js_thread > 0)
			fprintf(o, " (thread %lld)", (long long)d->tid);
		if (d->argv[0]) {
			fputs(": ", o);
			lt_put_safe(o, d->argv, strlen(d->argv));
		}
		fputc('\n', o);
	}
	if (!seen(t, d->pid, d->tid) && t->n_seen < LT_REPLAY_SEEN_THREADS) {
		t->seen[t->n_seen].pid = d->pid;
		t->seen[t->n_seen].tid = d->tid;
		t->n_seen++;
	}
	t->pid = d->pid;
	t->tid = d->tid;
	t->iteration = -1;
}

int lt_replay_text_dispatch(void *ctx, const struct lt_dispatch *d, const struct lt_output *out,
			    size_t n_out)
{
	struct lt_replay_text *t = ctx;
	FILE *o = t->out;
	/* Node's own housekeeping (stream write ticks, fs steps of readFile...)
	 * says nothing on a slide: no output, not created by the program's code. */
	if (!t->show_all && lt_replay_is_housekeeping(d, n_out)) {
		t->hidden++;
		return 0;
	}
	if (d->pid != t->pid || d->tid != t->tid)
		switch_thread(t, d);
	if (d->depth <= 1 && (d->iteration != t->iteration || strcmp(d->phase, t->phase) != 0)) {
		if (d->iteration == 0 || !strcmp(d->phase, "main") || !strcmp(d->phase, "exit"))
			fprintf(o, "-- %s\n", d->phase);
		else
			fprintf(o, "-- iteration %lld, %s phase\n", (long long)d->iteration, d->phase);
		t->iteration = d->iteration;
		snprintf(t->phase, sizeof(t->phase), "%s", d->phase);
		t->after_task = 0;
	}
	/* Indentation shows nesting up to LT_REPLAY_MAX_INDENT levels; deeper
	 * dispatches say their depth instead (a trace's depth is data: a line
	 * stays short whatever it says). */
	int64_t levels = d->depth > 1 ? d->depth - 1 : 0;
	char deeper[48] = "";
	if (levels > LT_REPLAY_MAX_INDENT) {
		snprintf(deeper, sizeof(deeper), "[depth %lld] ", (long long)d->depth);
		levels = LT_REPLAY_MAX_INDENT;
	}
	int indent = 2 * (int)levels;
	if (d->depth <= 1) {
		if (is_task_queue(d->queue))
			t->after_task = 1;
		else if (t->after_task)
			indent += 2;
	}
	double at_ms = (double)(d->begin_ns - t->origin_ns) / 1e6;
	double dur_ms = (double)(d->end_ns - d->begin_ns) / 1e6;
	fprintf(o, "%*s%s#%-5lld %9.3f ms  %-9s %-14s %8.3f ms", indent, "", deeper, (long long)d->seq, at_ms,
		d->queue, d->type, dur_ms);
	if (d->callback[0] || d->loc.file) {
		fputs("  ", o);
		if (d->callback[0])
			lt_put_safe(o, d->callback, strlen(d->callback));
		else if (d->loc.function[0])
			lt_put_safe(o, d->loc.function, strlen(d->loc.function));
		if (d->loc.file) {
			const char *f = short_path(t, d->loc.file);
			fprintf(o, "%s(", d->callback[0] || d->loc.function[0] ? " " : "");
			lt_put_safe(o, f, strlen(f));
			fprintf(o, ":%lld:%lld)", (long long)d->loc.line, (long long)d->loc.column);
		}
	}
	if (d->trigger_seq)
		fprintf(o, "  <- #%lld", (long long)d->trigger_seq);
	fputc('\n', o);
	if (d->sampled)
		put_sampled(t, indent, d);
	put_output(o, indent, out, n_out);
	t->count++;
	return 0;
}

void lt_replay_text_end(struct lt_replay_text *t)
{
	if (!t->count && !t->hidden)
		fprintf(t->out, "(no dispatches %s)\n", t->filters ? "match the filters" : "in this trace");
	if (t->left_out)
		fprintf(t->out, "(%llu dispatches not shown by %s)\n", (unsigned long long)t->left_out,
			t->filters ? t->filters : "the filters");
	if (t->hidden)
		fprintf(t->out, "(%llu dispatches of Node's own (short, no output, no program code created or sampled in"
				" them) hidden; --all shows them)\n",
			(unsigned long long)t->hidden);
}

/* --- JSON --- */

void lt_replay_json_begin(struct lt_replay_json *r, FILE *out)
{
	lt_json_init(&r->json, out);
	lt_json_begin_object(&r->json);
	lt_json_key(&r->json, "dispatches");
	lt_json_begin_array(&r->json);
}

int lt_replay_json_dispatch(void *ctx, const struct lt_dispatch *d, const struct lt_output *out,
			    size_t n_out)
{
	struct lt_json *j = &((struct lt_replay_json *)ctx)->json;
	lt_json_begin_object(j);
	lt_json_key_int(j, "seq", d->seq);
	lt_json_key_int(j, "pid", d->pid);
	lt_json_key_int(j, "tid", d->tid);
	lt_json_key_cstring(j, "queue", d->queue);
	lt_json_key_cstring(j, "type", d->type);
	lt_json_key_int(j, "begin_ns", d->begin_ns);
	lt_json_key_int(j, "end_ns", d->end_ns);
	lt_json_key(j, "trigger");
	if (d->trigger_seq)
		lt_json_int(j, d->trigger_seq);
	else
		lt_json_null(j);
	lt_json_key(j, "parent");
	if (d->parent_seq)
		lt_json_int(j, d->parent_seq);
	else
		lt_json_null(j);
	lt_json_key_int(j, "depth", d->depth);
	lt_json_key_int(j, "iteration", d->iteration);
	lt_json_key_cstring(j, "phase", d->phase);
	lt_json_key_cstring(j, "callback", d->callback[0] ? d->callback : NULL);
	lt_json_key(j, "location");
	if (d->loc.file) {
		lt_json_begin_object(j);
		lt_json_key_cstring(j, "file", d->loc.file);
		lt_json_key_int(j, "line", d->loc.line);
		lt_json_key_int(j, "column", d->loc.column);
		lt_json_key_cstring(j, "function", d->loc.function);
		lt_json_key(j, "inherited");
		lt_json_bool(j, d->loc.inherited);
		lt_json_end_object(j);
	} else {
		lt_json_null(j);
	}
	if (d->sampled) { /* what the samples inside a slow dispatch name */
		const struct lt_sample_summary *sm = d->sampled;
		int user = sm->user_samples > 0;
		lt_json_key(j, "sampled");
		lt_json_begin_object(j);
		lt_json_key_int(j, "samples", sm->samples);
		lt_json_key_int(j, "user_samples", user ? sm->user_votes : 0);
		lt_json_key_cstring(j, "file", user ? sm->user.file : NULL);
		lt_json_key(j, "line");
		if (user)
			lt_json_int(j, sm->user.line);
		else
			lt_json_null(j);
		lt_json_key_cstring(j, "function", user && sm->user.function[0] ? sm->user.function : NULL);
		lt_json_key_cstring(j, "calling", sm->called[0] ? sm->called : NULL);
		lt_json_key(j, "library");
		if (sm->has_library) {
			lt_json_begin_object(j);
			lt_json_key_cstring(j, "file", sm->library.file);
			lt_json_key_int(j, "line", sm->library.line);
			lt_json_key_cstring(j, "function", sm->library.function[0] ? sm->library.function : NULL);
			lt_json_end_object(j);
		} else {
			lt_json_null(j);
		}
		lt_json_end_object(j);
	}
	lt_json_key(j, "output");
	lt_json_begin_array(j);
	for (size_t k = 0; k < n_out; k++)
		lt_json_string(j, out[k].text, out[k].len);
	lt_json_end_array(j);
	lt_json_key(j, "output_fd");
	lt_json_begin_array(j);
	for (size_t k = 0; k < n_out; k++)
		lt_json_int(j, out[k].fd);
	lt_json_end_array(j);
	lt_json_end_object(j);
	return 0;
}

void lt_replay_json_end(struct lt_replay_json *r)
{
	lt_json_end_array(&r->json);
	lt_json_end_object(&r->json);
	fputc('\n', r->json.out);
}
