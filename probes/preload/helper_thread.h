/*
 * helper_thread.h — threads of ours inside the traced program.
 *
 * The preload's helpers (the coarse clock, the page warmer) and the addon's
 * watchdog (through dlsym of LT_SYM_HELPER_THREAD, capture.h) run on
 * detached threads made with the real pthread_create, so they are not the
 * program's: no lineage record, every signal blocked, a small stack.
 *
 * Ownership: the thread owns nothing of the caller's but `arg`, which must
 * outlive it.
 */
#ifndef LOOPTRACE_HELPER_THREAD_H
#define LOOPTRACE_HELPER_THREAD_H

/* Start fn(arg) on a detached helper thread.  Returns 0 or an errno. */
int looptrace_helper_thread(void *(*fn)(void *), void *arg);

#endif
