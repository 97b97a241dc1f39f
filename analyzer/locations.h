/*
 * locations.h — placing things in the program's own code.
 *
 * A stack's "user frame" is its innermost frame in the program's code: not
 * Node's internals ("node:..."), not a frame without a file.
 * lt_locations_prepare builds TEMP.user_frame(stack_id, function, file, line,
 * column) once per connection so that queries can join on it.
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

#endif
