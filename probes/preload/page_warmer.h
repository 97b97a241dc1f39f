/*
 * page_warmer.h — the pages of a capture ring touched before their thread
 * writes there.
 *
 * On a paravirtualized VM the first write to each 4 KiB page of a mapping
 * costs 5-15 us (a guest page fault, then the hypervisor's own mapping of the
 * page), even after MADV_POPULATE_WRITE: a 32 MiB ring is 8192 such writes,
 * more than the whole untraced run of a promise-heavy loop.  The warmer takes
 * that cost off the traced thread: a helper thread of ours maps the slots
 * ahead of the writer and writes each page once, with an atomic OR of zero
 * (the writer may already be there: its words are kept).
 *
 * Ownership: one process-wide helper thread, started on the first request,
 * and a fixed queue of requests; a request that finds the queue full is
 * dropped (the writer then pays the faults itself).  The memory named in a
 * request belongs to the caller and must stay mapped for the process's life
 * (capture rings do).  lt_warm_pages never blocks and takes no lock: it may
 * run in a signal handler.
 */
#ifndef LOOPTRACE_PAGE_WARMER_H
#define LOOPTRACE_PAGE_WARMER_H

#include <stddef.h>

/* Ask for [from, from + bytes) to be mapped in and written once, soon. */
void lt_warm_pages(void *from, size_t bytes);

/* In a forked child: the helper thread did not survive; forget it and the
 * parent's requests. */
void lt_warm_after_fork_child(void);

#endif
