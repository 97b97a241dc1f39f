/*
 * native_frames.h — machine-code frames of a capture (an LT_STACK frame
 * marked LT_FRAME_NATIVE: module path + address relative to its load bias,
 * written by the preload library's uv_* interposers) turned into function,
 * file and line through the module's DWARF (elfutils libdwfl; Debian's
 * -dbgsym packages under /usr/lib/debug are found by build-id).
 *
 * The module path comes from the traced program: it is opened read-only,
 * without following a final link, and only when it is a regular file.
 * Errors: lt_native_frame_place never fails; what it cannot resolve keeps
 * the symbol name the capture gave, the module path as the file and line 0.
 * Ownership: the cache is the caller's (lt_native_frames_free); it owns its
 * open modules.
 */
#ifndef LOOPTRACE_NATIVE_FRAMES_H
#define LOOPTRACE_NATIVE_FRAMES_H

#include <stddef.h>
#include <stdint.h>

struct lt_native_frames;

struct lt_native_place {
	char function[256];
	char file[1024];
	int line, column;
};

/* `*cache` is created on first use (NULL to start). */
void lt_native_frame_place(struct lt_native_frames **cache, const char *module, size_t module_len,
			   uint64_t address, const char *symbol, size_t symbol_len, struct lt_native_place *out);
/* The function named by an LT_R_INIT callback text of the form
 * LT_NATIVE_CALLBACK "<hex address> <module path>" into out (cap bytes);
 * 0, or -EINVAL when the text is not of that form. */
int lt_native_callback_name(struct lt_native_frames **cache, const char *text, size_t len, char *out, size_t cap);
void lt_native_frames_free(struct lt_native_frames *cache);

#endif
