/*
 * big_array.h — arrays of millions of rows (a big trace's dispatches, its
 * awaits): allocated once at their final size and asked for transparent
 * huge pages.
 *
 * A fresh 4 KiB page costs ~13-17 us on a paravirtualized VM (the fault and
 * the kernel zeroing it): 800 MiB of them were ~3 CPU s of a report.  With
 * huge pages the faults are 512 times fewer.  The memory is not zeroed:
 * the caller writes every element it reads.
 *
 * Ownership: the caller frees the array with free().
 */
#ifndef LOOPTRACE_BIG_ARRAY_H
#define LOOPTRACE_BIG_ARRAY_H

#include <stddef.h>

/* Room for n elements of size bytes (at least one), or NULL when out of
 * memory or when n * size overflows. */
void *lt_big_array(size_t n, size_t size);

#endif
