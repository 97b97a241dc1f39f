/*
 * native_frames.c — DWARF lookups of native frames, one libdwfl session per
 * module (each reported at bias 0, so capture addresses are its addresses).
 */
#include "native_frames.h"

#include "../analyzer/user_code.h"
#include "../probes/wire.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_MODULES 64

struct module {
	char *path;
	Dwfl *dwfl;     /* NULL: the module could not be opened */
	Dwfl_Module *mod;
};

struct lt_native_frames {
	struct module m[MAX_MODULES];
	size_t n;
};

static char *debuginfo_path;
static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_build_id_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.debuginfo_path = &debuginfo_path,
};

static void open_module(struct module *m)
{
	int fd = open(m->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		goto close_fd;
	m->dwfl = dwfl_begin(&callbacks);
	if (!m->dwfl)
		goto close_fd;
	/* the module takes the descriptor */
	m->mod = dwfl_report_elf(m->dwfl, m->path, m->path, fd, 0, false);
	dwfl_report_end(m->dwfl, NULL, NULL);
	if (!m->mod) {
		dwfl_end(m->dwfl);
		m->dwfl = NULL;
	}
	return;
close_fd:
	close(fd);
}

static struct module *module_of(struct lt_native_frames *c, const char *path, size_t len)
{
	for (size_t i = 0; i < c->n; i++)
		if (strlen(c->m[i].path) == len && !memcmp(c->m[i].path, path, len))
			return &c->m[i];
	if (c->n == MAX_MODULES)
		return NULL;
	struct module *m = &c->m[c->n];
	m->path = strndup(path, len);
	if (!m->path)
		return NULL;
	c->n++;
	open_module(m);
	return m;
}

static void copy(char *dst, size_t cap, const char *src, size_t len)
{
	if (len >= cap)
		len = cap - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* The innermost function whose code is at `address`: the inlined one when
 * the compiler inlined it into its caller (DW_TAG_inlined_subroutine, named
 * through its abstract origin), so a line inside an inlined helper is not
 * shown under the caller's name. */
static void inlined_function(Dwfl_Module *mod, Dwarf_Addr address, char *out, size_t cap)
{
	Dwarf_Addr bias = 0;
	Dwarf_Die *cu = dwfl_module_addrdie(mod, address, &bias);
	Dwarf_Die *scopes = NULL;
	int n = cu ? dwarf_getscopes(cu, address - bias, &scopes) : 0;
	for (int i = 0; i < n; i++) {
		int tag = dwarf_tag(&scopes[i]);
		if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram)
			continue;
		Dwarf_Attribute attr;
		const char *name = dwarf_formstring(dwarf_attr_integrate(&scopes[i], DW_AT_name, &attr));
		if (tag == DW_TAG_inlined_subroutine && name)
			snprintf(out, cap, "%s", name);
		break;
	}
	free(scopes);
}

void lt_native_frame_place(struct lt_native_frames **cache, const char *module, size_t module_len,
			   uint64_t address, const char *symbol, size_t symbol_len, struct lt_native_place *out)
{
	copy(out->function, sizeof(out->function), symbol, symbol_len);
	copy(out->file, sizeof(out->file), module, module_len);
	out->line = 0;
	out->column = 0;
	if (!*cache)
		*cache = calloc(1, sizeof(**cache));
	struct module *m = *cache ? module_of(*cache, module, module_len) : NULL;
	if (!m || !m->mod)
		return;
	const char *name = dwfl_module_addrname(m->mod, (Dwarf_Addr)address);
	if (name) /* without a symbol version: "clock_gettime@@GLIBC_2.17" */
		snprintf(out->function, sizeof(out->function), "%.*s", (int)strcspn(name, "@"), name);
	/* The system's libraries are named by function only and keep the
	 * module's path as their file (lt_is_system_library), even where
	 * Debian's debug symbols would place them in glibc's sources. */
	if (lt_is_system_library(out->file))
		return;
	Dwfl_Line *line = dwfl_module_getsrc(m->mod, (Dwarf_Addr)address);
	int lineno = 0, col = 0;
	const char *file = line ? dwfl_lineinfo(line, NULL, &lineno, &col, NULL, NULL) : NULL;
	if (file && lineno > 0) {
		const char *dir = file[0] == '/' ? NULL : dwfl_line_comp_dir(line);
		if (dir)
			snprintf(out->file, sizeof(out->file), "%s/%s", dir, file);
		else
			snprintf(out->file, sizeof(out->file), "%s", file);
		out->line = lineno;
		out->column = col > 0 ? col : 0;
		inlined_function(m->mod, (Dwarf_Addr)address, out->function, sizeof(out->function));
	}
}

int lt_native_callback_name(struct lt_native_frames **cache, const char *text, size_t len, char *out, size_t cap)
{
	char buf[1200];
	if (len < 4 || len >= sizeof(buf) || text[0] != LT_NATIVE_CALLBACK)
		return -EINVAL;
	memcpy(buf, text + 1, len - 1);
	buf[len - 1] = '\0';
	char *end;
	unsigned long long address = strtoull(buf, &end, 16);
	if (end == buf || *end != ' ' || !end[1])
		return -EINVAL;
	struct lt_native_place place;
	lt_native_frame_place(cache, end + 1, strlen(end + 1), address, "", 0, &place);
	snprintf(out, cap, "%s", place.function[0] ? place.function : "(native)");
	return 0;
}

void lt_native_frames_free(struct lt_native_frames *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		if (c->m[i].dwfl)
			dwfl_end(c->m[i].dwfl);
		free(c->m[i].path);
	}
	free(c);
}
