/*
 * graph_dot.h — what the graph views share to write Graphviz attributes:
 * the queue palette, label escaping for text a traced program controls,
 * short file names, and setting an attribute on a graph, node or edge.
 *
 * The views themselves are graph_order.c, graph_timeline.c and
 * graph_causality.c; graph.h is their public API.
 *
 * Ownership: nothing here allocates.  The label functions append to a
 * caller's NUL-terminated buffer of cap bytes and truncate silently when it
 * is full (a label is never an error); returned strings are static or point
 * into the argument.  lt_dot_set copies the value into the graph (cgraph
 * interns attribute strings).
 */
#ifndef LOOPTRACE_GRAPH_DOT_H
#define LOOPTRACE_GRAPH_DOT_H

#include <stddef.h>

#define LT_DOT_LABEL_BYTES 2048 /* a node's label or tooltip */

/* The fill colour of a queue's dispatches (white for an unknown queue). */
const char *lt_dot_colour_of(const char *queue);

/* Append n bytes of program-controlled text to a label: backslashes
 * doubled (Graphviz expands \N, \G, \l...), control characters and bytes
 * that are not well-formed UTF-8 as \xNN. */
void lt_dot_label_append(char *buf, size_t cap, const char *s, size_t n);

/* lt_dot_label_append of a whole NUL-terminated string. */
void lt_dot_label_add(char *buf, size_t cap, const char *s);

/* Append our own label markup (Graphviz escapes such as \n) as is. */
void lt_dot_label_raw(char *buf, size_t cap, const char *s);

/* The last path component, for short labels. */
const char *lt_dot_base_name(const char *path);

/* Set attribute name to value on a graph, node or edge (declaring it with
 * an empty default when the graph has not yet). */
void lt_dot_set(void *obj, const char *name, const char *value);

#endif
