/*
 * detect_blocking.c — blocking-task: a task or microtask that held the event
 * loop longer than the threshold, named where it happened.
 *
 * Where: the stacks the agent sampled while the dispatch ran (samples.h)
 * give the user line that was running and what it called (readFileSync,
 * JSON.parse...), with the library frame as context.  Without samples the
 * callback is placed at its own definition (a stack taken while it ran, or
 * the function of that name in the source) or where it was scheduled.
 * Findings are grouped by that user site.
 *
 * Why: the time in blocking system calls the preload library saw (read,
 * fsync, a child process, a sleep) against the rest (CPU); the advice
 * follows the larger share, and module loading is named as such.
 *
 * The main module and module loading before the first loop iteration are
 * startup (detect_startup.c), not blocking-task.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detectors.h"
#include "user_code.h"
#include "locations.h"
#include "metrics.h"
#include "samples.h"
#include "source.h"
#include "store.h"

static const char *const call_kinds[] = {"poll", "read", "write", "fsync", "open", "sleep", "waitpid"};
#define N_CALLS (sizeof(call_kinds) / sizeof(call_kinds[0]))
#define FIRST_USE_ITERATIONS 5 /* "early": within the loop's first iterations */
#define BUSY_MACHINE_SHARE 0.5 /* of a busy period spent waiting for a CPU */

struct site {
	char key[4500];
	char file[4096], function[256], callback[256], queue[16], type[64];
	int64_t line, column, pid, tid, count, first_seq, first_iteration;
	int64_t user_innermost; /* samples with the program's own code executing */
	double max_ms, total_ms;
	double runq_ms; /* of total_ms, the thread waited for a CPU the machine gave others */
	double blocked_ms[N_CALLS];
	/* from the samples, summed over the site's dispatches */
	int64_t samples, user_samples, module_samples, with_frames;
	char called[256];
	struct lt_user_frame library;
	int has_library, sampled_location;
	int64_t unsampled; /* dispatches no sample fell in, sampling on, no blocking call */
	char modules[LT_TOP_MODULES][256];
	int n_modules;
};

/* One long dispatch as read from the trace. */
struct dispatch {
	int64_t seq, pid, tid, begin_ns, end_ns, iteration;
	double ms;
	char queue[16], type[64], callback[256];
	struct lt_user_frame site; /* user frame of where it was scheduled */
	int has_site;
};

/* One long dispatch with its callback and site: the dispatches to read are
 * picked from the analysis's dispatch table (depth 1, not main or exit, at
 * least block_ms long). */
static const char dispatch_sql[] =
	"SELECT d.seq, d.pid, d.tid, d.queue, d.type, d.begin_ns, d.end_ns, COALESCE(r.callback, ''),"
	" u.function, u.file, u.line, u.column, COALESCE(d.iteration, 0)"
	" FROM dispatches d"
	" LEFT JOIN resources r ON r.id = d.resource_id"
	" LEFT JOIN promises p ON p.id = d.promise_id"
	" LEFT JOIN temp.user_frame u ON u.stack_id = COALESCE(r.site_stack_id, p.site_stack_id)"
	" WHERE d.seq = ?";

static const char calls_sql[] =
	"SELECT call, sum(end_ns - begin_ns) / 1e6 FROM blocking_calls WHERE dispatch_seq = ? GROUP BY call";

static const char *text(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	return t ? (const char *)t : "";
}

struct sites {
	struct site *v;
	size_t n, cap;
};

static struct site *find_site(struct site **sites, size_t *n, size_t *cap, const char *key)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*sites)[i].key, key))
			return &(*sites)[i];
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		struct site *grown = realloc(*sites, c * sizeof(*grown));
		if (!grown)
			return NULL;
		*sites = grown;
		*cap = c;
	}
	struct site *s = &(*sites)[(*n)++];
	memset(s, 0, sizeof(*s));
	snprintf(s->key, sizeof(s->key), "%s", key);
	return s;
}

static void read_dispatch(sqlite3_stmt *s, struct dispatch *d)
{
	memset(d, 0, sizeof(*d));
	d->seq = sqlite3_column_int64(s, 0);
	d->pid = sqlite3_column_int64(s, 1);
	d->tid = sqlite3_column_int64(s, 2);
	snprintf(d->queue, sizeof(d->queue), "%s", text(s, 3));
	snprintf(d->type, sizeof(d->type), "%s", text(s, 4));
	d->begin_ns = sqlite3_column_int64(s, 5);
	d->end_ns = sqlite3_column_int64(s, 6);
	d->ms = (double)(d->end_ns - d->begin_ns) / 1e6;
	snprintf(d->callback, sizeof(d->callback), "%s", text(s, 7));
	if (sqlite3_column_type(s, 9) != SQLITE_NULL) {
		d->has_site = 1;
		snprintf(d->site.function, sizeof(d->site.function), "%s", text(s, 8));
		snprintf(d->site.file, sizeof(d->site.file), "%s", text(s, 9));
		d->site.line = sqlite3_column_int64(s, 10);
		d->site.column = sqlite3_column_int64(s, 11);
	}
	d->iteration = sqlite3_column_int64(s, 12);
}

/* Without samples: the callback's own code rather than where it was
 * scheduled — its frame in a stack taken while it ran, and the line where
 * the function of that name is defined when the source is readable. */
static void place_without_samples(sqlite3 *db, const struct dispatch *d, struct lt_user_frame *at,
				  int *placed)
{
	*placed = d->has_site;
	if (d->has_site)
		*at = d->site;
	const char *name = d->callback;
	struct lt_user_frame f;
	if (lt_running_frame_of(db, d->seq, &f) == 0) {
		*at = f;
		*placed = 1;
		if (!*name)
			name = at->function;
	}
	int64_t line, column;
	if (*placed && *name && lt_source_definition(at->file, name, at->line, &line, &column) == 0) {
		at->line = line;
		at->column = column;
		if (name != at->function)
			snprintf(at->function, sizeof(at->function), "%s", name);
	}
}

/* With samples: the user function sampled most, at the line holding most
 * of its samples.  When that line was inside a call (readFileSync,
 * JSON.parse...) it is the place.  When the function's own code was running
 * (a loop), the user line that called it is the place if one did ("in
 * countPrimes, called from app.js:64": a route calling a CPU-heavy helper);
 * else the line, or the function's definition when the samples spread over
 * its lines. */
static void place_with_samples(const struct lt_sample_summary *sum, int attached, struct lt_user_frame *at,
			       char *called, size_t called_len)
{
	*at = sum->user;
	/* An attached trace's frames are named from the perf map: their lines
	 * are where the functions begin, so a caller's frame shows no call
	 * site and the function sampled most is the place. */
	if (sum->called[0] || attached)
		return;
	if (2 * sum->caller_votes > sum->function_votes) {
		if (sum->user.function[0])
			snprintf(called, called_len, "%s", sum->user.function);
		*at = sum->caller;
		return;
	}
	int spread = 2 * sum->user_votes <= sum->function_votes;
	int64_t line, column;
	if (spread && at->function[0] &&
	    lt_source_definition(at->file, at->function, at->line, &line, &column) == 0) {
		at->line = line;
		at->column = column;
	}
}

static void merge_modules(struct site *s, const struct lt_sample_summary *sum)
{
	for (int i = 0; i < sum->n_modules; i++) {
		int seen = 0;
		for (int k = 0; k < s->n_modules; k++)
			seen |= !strcmp(s->modules[k], sum->modules[i]);
		if (!seen && s->n_modules < LT_TOP_MODULES)
			snprintf(s->modules[s->n_modules++], sizeof(s->modules[0]), "%s", sum->modules[i]);
	}
}

/* Fold one long dispatch into its site.  Returns 0, -ENOMEM or -EIO. */
static int add_dispatch(struct lt_analysis *a, sqlite3_stmt *calls, const struct dispatch *d,
			struct site **sites, size_t *n, size_t *cap, struct sites *busy, int sampling_on,
			int attached)
{
	struct lt_sample_summary sum;
	int rc = lt_samples_summarize(a->db, &a->opts.user_code, d->pid, d->tid, d->begin_ns, d->end_ns, &sum);
	if (rc != 0)
		return rc;
	/* Module loading before the first loop iteration is startup; so is a
	 * callback before it that no sample saw (it continued the start-up's
	 * busy stretch, whose later samples are spaced out, and nothing could
	 * wait on a loop that had not turned yet): detect_startup counts both.
	 * A blocking call the preload library saw in it (execSync in a
	 * nextTick: V8 takes no interrupt there) is evidence enough. */
	if (d->iteration == 0 && sum.samples && 2 * sum.module_samples > sum.samples)
		return 0;
	double blocked[N_CALLS] = {0}, blocked_all = 0;
	sqlite3_bind_int64(calls, 1, d->seq);
	while ((rc = sqlite3_step(calls)) == SQLITE_ROW)
		for (size_t k = 0; k < N_CALLS; k++)
			if (!strcmp(text(calls, 0), call_kinds[k])) {
				blocked[k] += sqlite3_column_double(calls, 1);
				blocked_all += sqlite3_column_double(calls, 1);
			}
	sqlite3_reset(calls);
	if (rc != SQLITE_DONE)
		return -EIO;
	if (d->iteration == 0 && sampling_on && sum.samples == 0 && blocked_all < a->opts.block_ms)
		return 0;
	/* A callback stretched by a busy machine (its thread runnable but
	 * waiting for a CPU while other processes ran more than half the time)
	 * is the machine's doing: it counts for what it would have taken with
	 * a CPU of its own.  Below half, the stretch is mostly the program's
	 * (and a loop that spins until a deadline is as long either way). */
	double on_cpu, runq, window, runq_ms = 0;
	rc = lt_samples_cpu(a->db, d->pid, d->tid, d->begin_ns, d->end_ns, &on_cpu, &runq, &window);
	if (rc == -EIO)
		return rc;
	if (rc == 0 && window > 0 && runq > 0) {
		runq_ms = d->ms * (runq < window ? runq / window : 1.0);
		if (runq >= BUSY_MACHINE_SHARE * window && d->ms - runq_ms < a->opts.block_ms) {
			char key[64];
			snprintf(key, sizeof(key), "%lld|%lld", (long long)d->pid, (long long)d->tid);
			struct site *busy_machine = find_site(&busy->v, &busy->n, &busy->cap, key);
			if (!busy_machine)
				return -ENOMEM;
			busy_machine->pid = d->pid;
			busy_machine->tid = d->tid;
			busy_machine->count++;
			busy_machine->total_ms += d->ms;
			busy_machine->runq_ms += runq_ms;
			if (d->ms > busy_machine->max_ms)
				busy_machine->max_ms = d->ms;
			return 0;
		}
	}
	struct lt_user_frame at = {0};
	int placed = 0, sampled = 0;
	char helper[256] = "";
	/* The callback's name: an attached trace has none for I/O callbacks;
	 * the outermost function of the program in its stacks is what Node
	 * called (the place itself may be a function it called). */
	char callback[sizeof(d->callback)];
	snprintf(callback, sizeof(callback), "%s", d->callback);
	struct lt_user_frame outer;
	if (attached && !callback[0] && sum.user_samples && lt_running_frame_of(a->db, d->seq, &outer) == 0)
		snprintf(callback, sizeof(callback), "%s", outer.function);
	if (sum.user_samples) {
		place_with_samples(&sum, attached, &at, helper, sizeof(helper));
		placed = sampled = 1;
	} else {
		place_without_samples(a->db, d, &at, &placed);
	}
	char key[sizeof(((struct site *)0)->key)];
	if (sampled)
		snprintf(key, sizeof(key), "%lld|%lld|%s|%lld", (long long)d->pid, (long long)d->tid, at.file,
			 (long long)at.line);
	else
		snprintf(key, sizeof(key), "%lld|%lld|%s|%lld|%lld|%s|%s", (long long)d->pid, (long long)d->tid,
			 at.file, (long long)at.line, (long long)at.column, callback, d->queue);
	struct site *s = find_site(sites, n, cap, key);
	if (!s)
		return -ENOMEM;
	if (s->count++ == 0) {
		if (placed) {
			snprintf(s->file, sizeof(s->file), "%s", at.file);
			snprintf(s->function, sizeof(s->function), "%s", at.function);
			s->line = at.line;
			s->column = at.column;
		}
		s->sampled_location = sampled;
		s->unsampled = 0;
		snprintf(s->callback, sizeof(s->callback), "%s", callback);
		snprintf(s->queue, sizeof(s->queue), "%s", d->queue);
		snprintf(s->type, sizeof(s->type), "%s", d->type);
		s->pid = d->pid;
		s->tid = d->tid;
		s->first_seq = d->seq;
		s->first_iteration = d->iteration;
	}
	s->total_ms += d->ms;
	s->runq_ms += runq_ms;
	if (sampling_on && sum.samples == 0 && blocked_all < a->opts.block_ms)
		s->unsampled++;
	if (d->ms > s->max_ms)
		s->max_ms = d->ms;
	s->samples += sum.samples;
	s->user_samples += sum.user_samples;
	s->user_innermost += sum.user_innermost;
	s->module_samples += sum.module_samples;
	s->with_frames += sum.with_frames;
	if (!s->called[0] && helper[0])
		snprintf(s->called, sizeof(s->called), "%s", helper);
	else if (!s->called[0] && sum.called[0] && sum.user_samples)
		snprintf(s->called, sizeof(s->called), "%s", sum.called);
	if (!s->has_library && sum.has_library) {
		s->library = sum.library;
		s->has_library = 1;
	}
	merge_modules(s, &sum);
	for (size_t k = 0; k < N_CALLS; k++)
		s->blocked_ms[k] += blocked[k];
	return 0;
}

static const char *noun_of(const char *queue)
{
	static const struct {
		const char *queue, *what;
	} nouns[] = {
		{"timer", "Timer callback"},         {"immediate", "Immediate callback"},
		{"io", "I/O callback"},              {"nextTick", "nextTick callback"},
		{"microtask", "Promise continuation"}, {"close", "Close callback"},
	};
	for (size_t k = 0; k < sizeof(nouns) / sizeof(nouns[0]); k++)
		if (!strcmp(nouns[k].queue, queue))
			return nouns[k].what;
	return "Callback";
}

/* Why it blocked, from the same figures the JSON carries. */
struct cause {
	const char *kind; /* "module-loading", "child-process", "sleep", "io", "cpu" */
	char text[512];
	const char *fix;
};

static void explain(const struct site *s, double blocked, size_t worst, struct cause *c)
{
	double cpu = s->total_ms - blocked;
	if (cpu < 0)
		cpu = 0;
	if (s->samples && 2 * s->module_samples > s->samples) {
		c->kind = "module-loading";
		int n = snprintf(c->text, sizeof(c->text), "loading modules (require/import in %.0f%% of samples",
				 100.0 * (double)s->module_samples / (double)s->samples);
		for (int i = 0; i < s->n_modules && n > 0 && (size_t)n < sizeof(c->text); i++)
			n += snprintf(c->text + n, sizeof(c->text) - (size_t)n, "%s%s", i ? ", " : ": ", s->modules[i]);
		if (n > 0 && (size_t)n < sizeof(c->text))
			snprintf(c->text + n, sizeof(c->text) - (size_t)n, ")");
		c->fix = "load the module once at startup (a top-level require/import) instead of on the first "
			 "call, or warm it up before serving";
	} else if (worst != N_CALLS && blocked >= cpu) {
		const char *call = call_kinds[worst];
		if (!strcmp(call, "poll") || !strcmp(call, "waitpid")) {
			c->kind = "child-process";
			snprintf(c->text, sizeof(c->text),
				 "%.0f of %.0f ms waiting for a synchronous child process (%s)", blocked,
				 s->total_ms, call);
			c->fix = "use the asynchronous child_process API (execFile/spawn) instead of "
				 "execSync/spawnSync";
		} else if (!strcmp(call, "sleep")) {
			c->kind = "sleep";
			snprintf(c->text, sizeof(c->text), "%.0f of %.0f ms in a synchronous sleep", blocked,
				 s->total_ms);
			c->fix = "wait with a timer (await setTimeout from timers/promises) instead of sleeping "
				 "the thread";
		} else {
			c->kind = "io";
			snprintf(c->text, sizeof(c->text), "%.0f of %.0f ms in synchronous file I/O (%s)", blocked,
				 s->total_ms, call);
			c->fix = "use the asynchronous fs API (fs.promises) instead of the *Sync calls";
		}
	} else {
		c->kind = "cpu";
		if (blocked > 0 && worst != N_CALLS)
			snprintf(c->text, sizeof(c->text),
				 "CPU-bound: %.0f of %.0f ms computing, %.0f ms in blocking calls (%s)", cpu,
				 s->total_ms, blocked, call_kinds[worst]);
		else
			snprintf(c->text, sizeof(c->text), "CPU-bound: %.0f ms computing, no blocking system call seen",
				 s->total_ms);
		c->fix = "split the work into chunks that yield (setImmediate) or move it to a worker_thread";
	}
}

/* Why the finding has no user location. */
static void note_missing_location(struct lt_finding *f, const struct site *s, const char *state)
{
	if (s->samples && !s->with_frames)
		lt_finding_location_note(f, "native code: the sampled stacks had no JavaScript frame");
	else if (s->samples)
		lt_finding_location_note(f, "only library frames were sampled");
	else if (!strcmp(state, "on"))
		lt_finding_location_note(f, "no stack was sampled while it ran");
	else if (!strcmp(state, "bpf"))
		lt_finding_location_note(f, "attached with eBPF: no JavaScript stack was recorded");
	else
		lt_finding_location_note(f, "no stack was sampled (in-dispatch sampling %s)", state);
}

static int ends_with_sync(const char *name)
{
	size_t n = strlen(name);
	return n > 4 && !strcmp(name + n - 4, "Sync");
}

static int is_main_thread(sqlite3 *db, int64_t pid, int64_t tid)
{
	sqlite3_stmt *st;
	int main = 1;
	if (sqlite3_prepare_v2(db, "SELECT is_main_thread FROM threads WHERE pid = ? AND tid = ?", -1, &st, NULL) !=
	    SQLITE_OK)
		return main;
	sqlite3_bind_int64(st, 1, pid);
	sqlite3_bind_int64(st, 2, tid);
	if (sqlite3_step(st) == SQLITE_ROW)
		main = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return main;
}

/* How much a long callback matters:
 * - a service (someone waits on its loop): warning, error from 500 ms; one
 *   with no place in the program's code (only library or Node frames) is a
 *   note below 500 ms and at most a warning;
 * - a batch run (nobody waits on its loop; the work is the job): a warning
 *   only for the main thread's own code or a *Sync call it makes, a note
 *   when a library is doing its work or on a worker thread (running long
 *   work is what a worker is for); never an error;
 * - module loading on first use (paid once) and a tool process that ran
 *   none of the program's code (npm itself, the node --test runner): notes. */
/* A library's code running once, early in the process (its first request
 * through axios or express: lazy compilation and set-up), like module
 * loading, is paid once: a note.  The program's own code running, a *Sync
 * call, or anything that repeats is not. */
static int first_use_of_library(const struct site *s)
{
	return s->count == 1 && s->first_iteration <= FIRST_USE_ITERATIONS && s->has_library &&
	       !ends_with_sync(s->called) && s->samples > 0 && s->user_innermost == 0;
}

static enum lt_severity severity_of(struct lt_analysis *a, const struct site *s, enum lt_loop_mode mode, int tool)
{
	if (tool || (s->samples && 2 * s->module_samples > s->samples) || first_use_of_library(s))
		return LT_SEV_INFO;
	/* No sample fell in it (native code V8 does not interrupt) and no
	 * blocking call was seen: placed only at the callback that began it,
	 * which says little; a note below 500 ms, as for unplaced ones. */
	if (s->unsampled == s->count && s->max_ms < 500)
		return LT_SEV_INFO;
	if (mode == LT_MODE_BATCH) {
		int library_at_work = s->has_library && !ends_with_sync(s->called);
		if (!s->file[0] || library_at_work || !is_main_thread(a->db, s->pid, s->tid))
			return LT_SEV_INFO;
		return LT_SEV_WARNING;
	}
	if (!s->file[0])
		return s->max_ms >= 500 ? LT_SEV_WARNING : LT_SEV_INFO;
	return s->max_ms >= 500 ? LT_SEV_ERROR : LT_SEV_WARNING;
}

static void describe(struct lt_analysis *a, const struct site *s, const char *state)
{
	enum lt_loop_mode mode = LT_MODE_SERVICE;
	lt_loop_mode_with(a->db, &a->dispatches, s->pid, s->tid, &mode);
	int tool = !s->file[0] && !lt_pid_ran_user_code(a->db, s->pid);
	enum lt_severity sev = severity_of(a, s, mode, tool);
	struct lt_finding *f = lt_findings_add(&a->findings, "blocking-task", sev);
	if (!f)
		return;
	double blocked = 0;
	size_t worst = N_CALLS;
	for (size_t k = 0; k < N_CALLS; k++) {
		blocked += s->blocked_ms[k];
		if (s->blocked_ms[k] > 0 && (worst == N_CALLS || s->blocked_ms[k] > s->blocked_ms[worst]))
			worst = k;
	}
	struct cause c;
	explain(s, blocked, worst, &c);
	const char *name = s->callback[0] ? s->callback : s->function[0] ? s->function : NULL;
	char type[96], where[4700] = "";
	snprintf(type, sizeof(type), " (%s)", s->type);
	if (s->called[0] && s->file[0])
		snprintf(where, sizeof(where), " in %s, called from %s:%lld", s->called, s->file,
			 (long long)s->line);
	else if (s->called[0])
		snprintf(where, sizeof(where), " in %s", s->called);
	if (s->count > 1)
		lt_finding_message(f, "%s%s%s%s blocked the event loop %lld times, up to %.0f ms (%.0f ms in all)%s; %s",
				   noun_of(s->queue), name ? " " : "", name ? name : "", type, (long long)s->count,
				   s->max_ms, s->total_ms, where, c.text);
	else
		lt_finding_message(f, "%s%s%s%s blocked the event loop for %.0f ms%s; %s", noun_of(s->queue),
				   name ? " " : "", name ? name : "", type, s->max_ms, where, c.text);
	if (strcmp(c.kind, "module-loading") != 0 && ends_with_sync(s->called))
		lt_finding_fix(f, "call the asynchronous form of %s (callback or promise API) instead, or move the work "
				  "to a worker_thread",
			       s->called);
	else if (first_use_of_library(s))
		lt_finding_fix(f, "%s", "a library's first use (lazy compilation and set-up), paid once: warm it up at start "
					"if the first request's latency matters");
	else if (lt_is_native_source(s->file))
		lt_finding_fix(f, "%s", "move the work off the loop thread (a thread pool; uv_queue_work on libuv) "
					"or split it into slices run on successive loop iterations");
	else
		lt_finding_fix(f, "%s", c.fix);
	if (s->file[0]) {
		lt_finding_location(f, s->file, s->line, s->column, s->function);
		if (s->unsampled == s->count)
			lt_finding_location_note(f, "%s", "no sample fell inside it: the time went to native code V8 does "
							"not interrupt (a C++ builtin such as JSON.parse, a native "
							"addon); placed at the callback that began it");
	} else if (tool)
		lt_finding_location_note(f, "the process ran none of the program's own code (a tool such as npm "
					    "or a test runner)");
	else
		note_missing_location(f, s, state);
	if (s->has_library)
		lt_finding_library_location(f, s->library.file, s->library.line, s->library.column,
					    s->library.function);
	lt_finding_thread(f, s->pid, s->tid);
	f->impact_ms = s->total_ms;
	lt_finding_number(f, "duration_ms", s->max_ms);
	lt_finding_number(f, "total_ms", s->total_ms);
	lt_finding_int(f, "count", s->count);
	lt_finding_text(f, "queue", s->queue);
	lt_finding_text(f, "type", s->type);
	if (s->callback[0])
		lt_finding_text(f, "callback", s->callback);
	lt_finding_int(f, "first_seq", s->first_seq);
	lt_finding_number(f, "blocked_in_calls_ms", blocked);
	lt_finding_number(f, "cpu_ms", s->total_ms - blocked > 0 ? s->total_ms - blocked : 0);
	if (worst != N_CALLS)
		lt_finding_text(f, "blocking_call", call_kinds[worst]);
	lt_finding_text(f, "cause", c.kind);
	if (s->called[0])
		lt_finding_text(f, "blocking_function", s->called);
	lt_finding_int(f, "samples", s->samples);
	if (s->runq_ms >= 1)
		lt_finding_number(f, "waiting_for_cpu_ms", s->runq_ms);
	if (mode == LT_MODE_BATCH)
		lt_finding_text(f, "mode", "batch");
	if (first_use_of_library(s))
		lt_finding_bool(f, "first_use", 1);
}

/* Long callbacks that were long only because the machine was busy: one
 * note, so the reader knows why they are not findings. */
static int note_busy_machine(struct lt_analysis *a, const struct site *b)
{
	struct lt_finding *f = lt_findings_add(&a->findings, "blocking-task", LT_SEV_INFO);
	if (!f)
		return -ENOMEM;
	lt_finding_message(f, "%lld callback%s ran past %.0f ms (up to %.0f ms) only because the machine was busy: "
			      "their thread waited %.0f ms in all for a CPU that other processes had",
			   (long long)b->count, b->count > 1 ? "s" : "", a->opts.block_ms, b->max_ms, b->runq_ms);
	lt_finding_fix(f, "measure again on a quieter machine, or give the process a CPU of its own");
	lt_finding_location_note(f, "%s", "the time went to other processes on the machine");
	f->impact_ms = 0;
	lt_finding_number(f, "duration_ms", b->max_ms);
	lt_finding_number(f, "total_ms", b->total_ms);
	lt_finding_int(f, "count", b->count);
	lt_finding_number(f, "waiting_for_cpu_ms", b->runq_ms);
	lt_finding_text(f, "cause", "busy-machine");
	lt_finding_thread(f, b->pid, b->tid);
	return 0;
}

int lt_detect_blocking(struct lt_analysis *a)
{
	sqlite3_stmt *ds = NULL, *cs = NULL;
	struct site *sites = NULL;
	struct sites busy = {0}; /* per thread: callbacks long only because the machine was busy */
	size_t n = 0, cap = 0;
	int rc = -EIO;
	if (sqlite3_prepare_v2(a->db, dispatch_sql, -1, &ds, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(a->db, calls_sql, -1, &cs, NULL) != SQLITE_OK)
		goto finalize;
	int64_t threshold = (int64_t)(a->opts.block_ms * 1e6);
	char state[128], capture[16];
	lt_samples_state(a->db, state, sizeof(state));
	lt_store_get_meta(a->db, "capture", capture, sizeof(capture));
	const int attached = !strcmp(capture, "bpf");
	const struct lt_dispatch_table *t = &a->dispatches;
	for (size_t i = 0; i < t->n; i++) {
		uint8_t q = t->queue[i];
		if (t->depth[i] != 1 || q == LT_QUEUE_MAIN || q == LT_QUEUE_EXIT || q == LT_DISPATCH_QUEUE_NULL ||
		    t->end_ns[i] - t->begin_ns[i] < threshold)
			continue;
		sqlite3_reset(ds);
		sqlite3_bind_int64(ds, 1, lt_dispatch_seq(t, i));
		rc = -EIO;
		if (sqlite3_step(ds) != SQLITE_ROW)
			goto finalize;
		struct dispatch d;
		read_dispatch(ds, &d);
		rc = add_dispatch(a, cs, &d, &sites, &n, &cap, &busy, !strcmp(state, "on"), attached);
		if (rc != 0)
			goto finalize;
	}
	rc = -EIO;
	if (attached && !strcmp(state, "absent"))
		snprintf(state, sizeof(state), "bpf");
	for (size_t i = 0; i < n; i++)
		describe(a, &sites[i], state);
	rc = 0;
	for (size_t i = 0; i < busy.n && rc == 0; i++)
		rc = note_busy_machine(a, &busy.v[i]);
finalize:
	free(busy.v);
	free(sites);
	sqlite3_finalize(ds);
	sqlite3_finalize(cs);
	return rc;
}
