/*
 * elf_symbols.h — find functions in an ELF file by symbol name, as file
 * offsets a uprobe attaches at.
 *
 * Reads .symtab and .dynsym (so static functions such as libuv's uv__*
 * internals are found when the binary keeps its symbol table) of a 64-bit
 * little-endian ELF file.  Names are matched exactly (mangled C++ names
 * included).  The file is untrusted: every table is bounds-checked.
 */
#ifndef LOOPTRACE_ELF_SYMBOLS_H
#define LOOPTRACE_ELF_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

/* For each of the n names, offsets[i] = the file offset of the function's
 * first instruction, or 0 when the file defines no such function.  Returns
 * how many were found, -ENOEXEC when the file is not a 64-bit ELF file, or
 * -errno. */
int lt_elf_find_functions(const char *path, const char *const *names, size_t n, uint64_t *offsets);

#endif
