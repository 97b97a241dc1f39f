/*
 * capture.h — per-thread capture logs, owned by the preload library.
 *
 * Each traced thread that produces an event gets one struct lt_log, created on
 * first use and backed by <LOOPTRACE_DIR>/<pid>-<tid>.ltr (see probes/wire.h).
 * The log belongs to its thread: every function here must be called on the
 * thread that owns the log, and never concurrently with itself (a signal
 * handler that interrupts a record in progress is detected and its event
 * dropped).  The Node addon reaches these functions through dlsym, so the
 * agent's records and the preload's records share one log and one order.
 *
 * Ownership: logs and their ring mappings live until the process exits, so
 * views of a ring slot handed to the agent never dangle.
 */
#ifndef LOOPTRACE_CAPTURE_H
#define LOOPTRACE_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../wire.h"

struct lt_log;

/* Exported symbol names, for dlsym from the addon. */
#define LT_SYM_LOG_CURRENT "looptrace_log_current"
#define LT_SYM_LOG_ADVANCE "looptrace_log_advance"
#define LT_SYM_LOG_HEADER "looptrace_log_header"
#define LT_SYM_LOG_CHUNK "looptrace_log_chunk"
#define LT_SYM_COARSE_CLOCK "looptrace_coarse_clock"
#define LT_SYM_NOW_NS "looptrace_now_ns"
#define LT_SYM_LOG_BUSY_SINCE "looptrace_log_busy_since"
#define LT_SYM_HELPER_THREAD "looptrace_helper_thread"

/* This thread's log, created on first call.  NULL when capture is off
 * (LOOPTRACE_DIR unset, or the file could not be created: capture then stays
 * off for this thread and the program runs on untouched). */
struct lt_log *looptrace_log_current(void);

/* Ensure `words` free words at the cursor, moving to the next chunk (and
 * ring slot, once the recorder drained it) when the current one is too
 * short.  Returns 0 or -errno (capture is then off for this thread). */
int looptrace_log_advance(struct lt_log *log, uint32_t words);

/* The control page (cursor at word LT_CURSOR_WORD). */
struct lt_file_header *looptrace_log_header(struct lt_log *log);

/* The ring slot of the chunk that holds the cursor (LT_CHUNK_WORDS words);
 * *base is the chunk's word offset in the data region. */
uint32_t *looptrace_log_chunk(struct lt_log *log, uint32_t *base);

/* The 32-bit microsecond clock word, kept fresh by a helper thread that the
 * first call starts. */
const volatile uint32_t *looptrace_coarse_clock(void);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t looptrace_now_ns(void);

/* The word that says since when the log's thread has been busy: the moment
 * it last returned from epoll (or when the agent's watchdog started on it),
 * 0 while it waits in epoll.  Written by the owning thread only (the epoll
 * interposers, the watchdog's start()), read by the watchdog thread; lives
 * as long as the log. */
uint64_t *looptrace_log_busy_since(struct lt_log *log);
void lt_capture_set_busy(struct lt_log *log, uint64_t since);

/* looptrace_helper_thread: see helper_thread.h. */

/* --- C-side record writing (used by the interposers) --- */

uint64_t lt_now_ns(void);

/* Reserve a record of `words` words; returns NULL when capture is off or the
 * log is busy (re-entered from a signal handler).  Fill words 1.., then call
 * lt_record_commit with the header word. */
uint32_t *lt_record_begin(struct lt_log *log, uint32_t words);
void lt_record_commit(struct lt_log *log, uint32_t *rec, uint32_t header);

/* Write a string record with a C-side id (top bit set) and return the id, or
 * 0 when it could not be written. */
uint32_t lt_record_string(struct lt_log *log, const char *bytes, size_t n);

/* --- the log's lifecycle, used by the interposers only (process state
 * such as the tracing variables lives in state.h) --- */

/* This thread's log if it has one already (never creates one). */
struct lt_log *lt_capture_existing_log(void);
/* Whether the log was created by this process (not inherited via vfork). */
int lt_capture_log_is_own(const struct lt_log *log);
/* Whether the log belongs to the process's main thread. */
int lt_capture_log_is_main_thread(const struct lt_log *log);
/* Fork child only (atfork handler): forget the parent's log (never
 * unmapped: the agent may hold views) and the clock thread. */
void lt_capture_after_fork_child(void);
void lt_capture_at_exit(void);

static inline void lt_put_ts(uint32_t *w, uint64_t ts)
{
	w[0] = (uint32_t)ts;
	w[1] = (uint32_t)(ts >> 32);
}

#endif
