/*
 * locations.h — placing things in the program's own code.
 *
 * A stack's "user frame" is its innermost frame in user code (user_code.h:
 * outside Node's internals and node_modules, or matching --user-code
 * globs); its "library frame" is its innermost frame inside node_modules
 * that is not user code — the library function that actually ran.
 *
 * lt_locations_prepare_for registers the SQL functions lt_user_file(file)
 * and lt_library_file(file) on the connection and builds, once per
 * connection (the first preparation fixes the rule), the TEMP tables
 *   user_frame(stack_id, function, file, line, column)
 *   library_frame(stack_id, function, file, line, column)
 *   created_stack(seq, stack_id)  — sampled stacks of what each dispatch created
 * for queries to join on.  Errors: 0, -EIO or -ENOMEM.
 */
#ifndef LOOPTRACE_LOCATIONS_H
#define LOOPTRACE_LOCATIONS_H

#include <sqlite3.h>
#include <stdint.h>

#include "user_code.h"

/* uc NULL: the default user-code rule. */
int lt_locations_prepare_for(sqlite3 *db, const struct lt_user_code *uc);
/* Same with the default rule (or the rule already prepared on db). */
int lt_locations_prepare(sqlite3 *db);

struct lt_user_frame {
	char function[256];
	char file[4096];
	int64_t line, column;
};

/* Where a stack places something: its user frame and its library frame. */
struct lt_place {
	struct lt_user_frame user;
	int has_user;
	struct lt_user_frame library;
	int has_library;
};

/* Returns 0 when the stack has a user or a library frame, -ENOENT when it
 * has neither, -EIO on a database error. */
int lt_place_of_stack(sqlite3 *db, int64_t stack_id, struct lt_place *out);

/* 1 when any stack recorded in process pid (creation sites, sampled
 * stacks) has a user frame, or when it has no stack at all (no evidence):
 * 0 for a tool process whose stacks show none of the program's code (npm
 * itself, the node --test runner). */
int lt_pid_ran_user_code(sqlite3 *db, int64_t pid);

/* The user frame of a stack; returns 0, or -ENOENT when it has none. */
int lt_user_frame_of(sqlite3 *db, int64_t stack_id, struct lt_user_frame *out);

/* The outermost user frame of what dispatch `seq` created while it ran,
 * i.e. the program's function that was running; 0 or -ENOENT. */
int lt_running_frame_of(sqlite3 *db, int64_t seq, struct lt_user_frame *out);

#endif
