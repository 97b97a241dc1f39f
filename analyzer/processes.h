/*
 * processes.h — the traced processes and threads as a reader names them:
 * a thread's name ("main", "worker 2" or what the agent recorded), a
 * process's script, lifetime, exit and whether it exec'd another binary.
 *
 * Columns added to the trace after its first version (threads.thread_name,
 * exec_path, end_reason) are used only when the trace has them.
 * Ownership: lt_processes_load fills a caller-owned list freed with
 * lt_processes_free.  Errors: 0, -EIO or -ENOMEM.
 */
#ifndef LOOPTRACE_PROCESSES_H
#define LOOPTRACE_PROCESSES_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* 1 when `table` has column `column` (0 also when the table is missing). */
int lt_table_has_column(sqlite3 *db, const char *table, const char *column);
/* 1 when the trace has table `table`. */
int lt_table_exists(sqlite3 *db, const char *table);

/* Name and script of one thread; "" when the thread is not in the trace. */
int lt_thread_label(sqlite3 *db, int64_t pid, int64_t tid, char *name, size_t namelen, char *script,
		    size_t scriptlen);
/* The main thread of a process (its lowest tid when none is marked); 0 when unknown. */
int64_t lt_main_tid(sqlite3 *db, int64_t pid);

struct lt_process {
	int64_t pid, ppid, main_tid;
	char script[1024];
	char argv[1024];         /* as the process was started ("node src/app.js") */
	double start_ms, end_ms; /* from the trace's first thread start */
	int clean_exit;          /* 1, 0, or -1 unknown */
	int threads;             /* JS threads recorded */
	char exec_path[1024];    /* non-empty when it exec'd another binary */
	double exec_after_ms;    /* its life before the exec */
};

struct lt_processes {
	struct lt_process *items;
	size_t n;
};

int lt_processes_load(sqlite3 *db, struct lt_processes *out);
void lt_processes_free(struct lt_processes *p);

#endif
