/*
 * lesson_text.h — one step of a lesson (lesson_data.h) as plain text, for
 * `replay --step` in a terminal: the step and its queue, why it ran then,
 * the source line that scheduled it with its neighbours, what is still
 * waiting in each queue, and what it printed.
 *
 * Program text (source, output, names) is written through text.h's
 * terminal-safe escaping: control characters never reach the terminal.
 */
#ifndef LOOPTRACE_LESSON_TEXT_H
#define LOOPTRACE_LESSON_TEXT_H

#include <stdio.h>

#include "lesson_data.h"

/* Write step i (0-based, < l->n) of l. */
void lt_lesson_text_step(FILE *out, const struct lt_lesson *l, size_t i);

#endif
