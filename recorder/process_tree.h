/*
 * process_tree.h — the processes a recorded command started, all of them.
 *
 * `record --duration` must end the whole command, not only the process it
 * forked: `npm test` runs a shell that runs node that runs a node per test
 * file, and a process whose parent exits is re-parented.  The recorder makes
 * itself the child subreaper of its own descendants (lt_tree_adopt_orphans),
 * so they stay below it and can be found through the ppid links of /proc.
 *
 * Ownership: no state; lists are built and freed inside each call.
 * Errors: 0 or -errno.
 */
#ifndef LOOPTRACE_PROCESS_TREE_H
#define LOOPTRACE_PROCESS_TREE_H

#include <sys/types.h>

/* Orphans among this process's descendants are re-parented to it rather
 * than to init (PR_SET_CHILD_SUBREAPER).  0 or -errno. */
int lt_tree_adopt_orphans(void);

/* Send `sig` to every process descended from `root` (root itself not
 * included), as /proc shows them now.  Returns how many were signalled, or
 * -errno when /proc cannot be read. */
int lt_tree_signal_descendants(pid_t root, int sig);

#endif
