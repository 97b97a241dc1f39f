/*
 * rawgen.h — build flat capture files (probes/wire.h) in unit tests.
 *
 * Records are appended in memory and written out by rawgen_write, so a test
 * states a thread's history event by event and then imports it.
 */
#ifndef LOOPTRACE_TEST_RAWGEN_H
#define LOOPTRACE_TEST_RAWGEN_H

#include <stddef.h>
#include <stdint.h>

#include "probes/wire.h"

struct rawgen {
	uint32_t *words;
	size_t n, cap;
	int pid, tid;
	uint64_t base_ns; /* LT_JS_START time */
	uint32_t next_string;
	struct lt_loss loss; /* written into the control page */
};

void rawgen_init(struct rawgen *g, int pid, int tid, uint64_t base_ns);
void rawgen_free(struct rawgen *g);
/* Append a record: kind, aux, then `n` payload words. */
void rawgen_record(struct rawgen *g, unsigned kind, unsigned aux, const uint32_t *payload, size_t n);
uint32_t rawgen_string(struct rawgen *g, const char *s);

/* Shorthands for the agent's records; times are ns after base_ns. */
void rawgen_js_start(struct rawgen *g, const char *main_script);
void rawgen_main_end(struct rawgen *g, uint64_t rel);
void rawgen_r_init(struct rawgen *g, uint32_t id, uint32_t trigger, const char *type, uint64_t rel,
		   int delay_ms);
void rawgen_r_before(struct rawgen *g, uint32_t id, uint64_t rel, int closing);
void rawgen_r_after(struct rawgen *g, uint32_t id, uint64_t rel);
void rawgen_p_init(struct rawgen *g, uint32_t id, uint32_t parent, uint64_t rel);
void rawgen_p_event(struct rawgen *g, unsigned kind, uint32_t id, uint64_t rel);
void rawgen_output(struct rawgen *g, int fd, const char *text, uint64_t rel);
void rawgen_poll(struct rawgen *g, uint64_t enter_rel, uint64_t exit_rel, int timeout, int events);

/* A two-frame stack (inner called from outer); returns its id. */
uint32_t rawgen_stack2(struct rawgen *g, const char *inner_fn, const char *inner_file, uint32_t inner_line,
		       const char *outer_fn, const char *outer_file, uint32_t outer_line);
/* A one-frame stack; returns its id. */
uint32_t rawgen_stack(struct rawgen *g, const char *function, const char *file, uint32_t line,
		      uint32_t column);
/* R_INIT with a creation stack and flags (bit 0 unref'd, bit 1 repeating timer). */
void rawgen_r_init_ex(struct rawgen *g, uint32_t id, uint32_t trigger, const char *type, uint64_t rel,
		      int delay_ms, uint32_t stack, unsigned flags, const char *callback);
/* P_INIT with a sampled stack. */
void rawgen_p_init_stack(struct rawgen *g, uint32_t id, uint32_t parent, uint64_t rel, uint32_t stack);
/* LT_REJECT (kind: enum lt_reject_kind) with its reason text. */
void rawgen_reject(struct rawgen *g, unsigned kind, uint32_t promise, const char *reason, uint64_t rel,
		   uint32_t ordinal);
/* ... with a stack id (an unhandled then/catch promise: its handler's place). */
void rawgen_reject_stack(struct rawgen *g, unsigned kind, uint32_t promise, const char *reason, uint32_t stack,
			 uint64_t rel, uint32_t ordinal);
/* LT_EXIT_EMIT + LT_EXIT_DONE (aux 0 beforeExit, 1 exit). */
void rawgen_exit(struct rawgen *g, int is_exit, uint64_t rel);

/* LT_SAMPLE taken at base_ns + rel (written where the call puts it). */
void rawgen_sample(struct rawgen *g, uint64_t rel, uint32_t stack, uint32_t busy_ns);
/* ... with the thread's on-CPU and run-queue ns in the busy period. */
void rawgen_sample_sched(struct rawgen *g, uint64_t rel, uint32_t stack, uint32_t busy_ns, uint32_t on_cpu_ns,
			 uint32_t runq_ns);
/* LT_SAMPLING (state: enum lt_sampling) for Node ABI `abi`. */
void rawgen_sampling(struct rawgen *g, unsigned state, uint32_t abi);
/* LT_R_DESTROY of async id `id` (close(), or a clear of a timer). */
/* LT_WORK: a threadpool request of a libuv program (LT_WORK_UNSEEN: a time not seen) */
void rawgen_work(struct rawgen *g, unsigned kind, uint64_t submit_abs, uint32_t wait_ns, uint32_t run_ns,
		 uint32_t done_ns, uint32_t id);
void rawgen_destroy(struct rawgen *g, uint32_t id, uint64_t rel);
/* LT_EXEC of `path` at base_ns + rel; `failed`: then its failure record. */
void rawgen_exec(struct rawgen *g, const char *path, uint64_t rel, int failed);

/* Say in the control page that `events` records of `kind` were dropped in a
 * gap from base_ns + begin_rel to base_ns + end_rel (as the writer would). */
void rawgen_loss(struct rawgen *g, unsigned kind, uint64_t events, uint64_t begin_rel, uint64_t end_rel);

/* Write the file (header + data, padded to a whole chunk).  Returns 0 or -errno. */
int rawgen_write(const struct rawgen *g, const char *path);

struct sqlite3;
/* Write the stream as <dir>/<pid>-<tid>.ltr, free it, and import every
 * capture file in dir into a new <dir>/trace.db, left open in *db.  Returns
 * 0, or -errno with the importer's reason in err. */
int rawgen_import(struct rawgen *g, const char *dir, struct sqlite3 **db, char *err, size_t errlen);

#endif
