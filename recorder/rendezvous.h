/*
 * rendezvous.h — how `looptrace dump -p PID` finds the flight recorder
 * (record --ring) of PID, whether PID is the recorder or a process it traces.
 *
 * A recorder in ring mode publishes one small file named after its pid in
 * its user's directory /tmp/looptrace-UID (created 0700; used only when it
 * is a real directory, owned by UID, with no group or other access).  The
 * file says the recorder's pid and start time (/proc/PID/stat field 22, so
 * a reused pid does not match), the command's pid, and how many dumps it
 * wrote (all, and on request) with the last one's path.  It is replaced by
 * rename and removed when the recorder ends.
 *
 * Finding (safe as root): the candidates are PID and its ancestors, then
 * (attach --ring, which is no ancestor) the recorders of PID's user and of
 * the caller whose file names PID as the command; a
 * candidate is the recorder only when the directory is as above for the
 * uid owning PID, the file is a regular file (opened O_NOFOLLOW|O_NONBLOCK)
 * owned by that uid, and the candidate is alive, owned by that uid, and
 * started when the file says.  A file planted by another user is never
 * read; one planted by the same user can only point at that user's own
 * processes among PID's ancestors.
 *
 * Ownership: plain values; the directory fd of a publisher is the
 * caller's (lt_rendezvous_close).  Errors: 0 or -errno, with a reason in a
 * buffer where one is taken.
 */
#ifndef LOOPTRACE_RENDEZVOUS_H
#define LOOPTRACE_RENDEZVOUS_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

struct lt_rendezvous {
	int dfd;                 /* publisher: the directory, -1 if none */
	pid_t recorder, command;
	unsigned long long start_time; /* the recorder's, in clock ticks since boot */
	unsigned dumps;          /* dumps written */
	unsigned requested;      /* dumps written on SIGUSR2 / `looptrace dump` */
	char last[PATH_MAX];     /* the last dump's path, "" if none */
};

/* Publish this process as a flight recorder for `command`.  Returns 0, or
 * -errno with a reason (the recorder runs on; `dump -p` cannot find it). */
int lt_rendezvous_publish(struct lt_rendezvous *r, pid_t command, char *err, size_t n);
/* Rewrite the file with r's counts and last path.  Returns 0 or -errno. */
int lt_rendezvous_update(const struct lt_rendezvous *r);
/* Remove the file and close the directory. */
void lt_rendezvous_close(struct lt_rendezvous *r);

/* Find the flight recorder of `pid` (above).  Returns 0 with *out filled,
 * -ESRCH when there is none, or -errno, with a reason in err. */
int lt_rendezvous_find(pid_t pid, struct lt_rendezvous *out, char *err, size_t n);

/* Read the recorder's file again (after a dump request).  Returns 0,
 * -ESRCH when the recorder is gone, or -errno. */
int lt_rendezvous_reread(struct lt_rendezvous *r);

#endif
