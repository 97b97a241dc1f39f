/*
 * import_strings_stacks.h — a stream's strings (LT_STRING) and stacks
 * (LT_STACK): the text of a string id, the global id of a local stack id,
 * and whether a stack reaches the program's own code.
 *
 * Ownership: the string and stack tables belong to the stream (filled here,
 * released by lt_strings_stacks_free); the global user-code marks belong to
 * the importer (released by lt_user_stacks_free).  Texts point into the
 * stream's own storage and stay valid until the stream is closed.
 */
#ifndef LOOPTRACE_IMPORT_STRINGS_STACKS_H
#define LOOPTRACE_IMPORT_STRINGS_STACKS_H

#include "import_state.h"

int lt_strings_stacks_init(struct lt_stream *s);
void lt_strings_stacks_free(struct lt_stream *s);
void lt_user_stacks_free(struct lt_importer *im);

void lt_on_string(struct lt_importer *im, struct lt_stream *s, const uint32_t *r);
void lt_on_stack(struct lt_importer *im, struct lt_stream *s, const uint32_t *r);

/* The text of string id `id` ("" when unknown). */
struct lt_text lt_string_of(const struct lt_stream *s, uint32_t id);
/* The global stack id of local stack `local` (0 when unknown). */
uint64_t lt_stack_of(const struct lt_stream *s, uint32_t local);
/* Global stack `stack` has a frame in the program's own code. */
int lt_reaches_user_code(const struct lt_importer *im, uint64_t stack);

#endif
