/*
 * locations.h — placing things in the program's own code.
 *
 * A stack's "user frame" is its innermost frame in the program's code: not
 * Node's internals ("node:..."), not a frame without a file.
 * lt_locations_prepare builds, once per connection, TEMP.user_frame(stack_id,
 * function, file, line, column) and TEMP.created_stack(seq, stack_id) — the
 * sampled stacks of what each dispatch created — for queries to join on.
 */
#ifndef LOOPTRACE_LOCATIONS_H
#define LOOPTRACE_LOCATIONS_H

#include <sqlite3.h>
#include <stdint.h>

/* Returns 0 or -EIO. Idempotent. */
int lt_locations_prepare(sqlite3 *db);

struct lt_user_frame {
	char function[256];
	char file[4096];
	int64_t line, column;
};

/* The user frame of a stack; returns 0, or -ENOENT when it has none. */
int lt_user_frame_of(sqlite3 *db, int64_t stack_id, struct lt_user_frame *out);

/* The outermost user frame of what dispatch `seq` created while it ran,
 * i.e. the program's function that was running; 0 or -ENOENT. */
int lt_running_frame_of(sqlite3 *db, int64_t seq, struct lt_user_frame *out);

#endif
