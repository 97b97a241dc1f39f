/*
 * graph.c — laying out and rendering a graph view with libgvc (graph.h);
 * the views are graph_order.c, graph_timeline.c and graph_causality.c.
 */
#include "graph.h"

#include <errno.h>
#include <gvc.h>
#include <stdlib.h>
#include <string.h>

/* Under LeakSanitizer (the ASan and fuzz builds): what Graphviz's text
 * layout keeps for the process (fontconfig and pango caches, plugin
 * tables) is not ours and does not grow per graph. */
#if defined(__SANITIZE_ADDRESS__)
#define LT_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LT_UNDER_ASAN 1
#endif
#endif
#ifdef LT_UNDER_ASAN
/* and no statistics of them on stderr: a command's error stays one line */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void) { return "print_suppressions=0"; }
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libfontconfig.so\nleak:libgvc.so\nleak:libgvplugin_pango.so\nleak:libpango\n"
	       "leak:libcairo.so\nleak:libglib-2.0.so\nleak:libgobject-2.0.so\nleak:libharfbuzz.so\n"
	       "leak:libcgraph.so\nleak:libltdl.so\n";
}
#endif

int lt_graph_render(Agraph_t *g, const char *format, char **data, size_t *len)
{
	/* One Graphviz context for the process, never freed: Graphviz 2.42
	 * keeps a text-size cache across contexts that the next context then
	 * reads after gvFreeContext freed it (a use after free on the second
	 * render in one process). */
	static GVC_t *gvc;
	if (!gvc)
		gvc = gvContext();
	if (!gvc)
		return -EIO;
	int rc = -EIO;
	char *out = NULL;
	unsigned int n = 0;
	/* pinned positions: the nop layout keeps them (neato -n) */
	const char *engine = strcmp(agnameof(g), "timeline") == 0 ? "nop" : "dot";
	if (gvLayout(gvc, g, engine) == 0) {
		if (gvRenderData(gvc, g, format, &out, &n) == 0 && out) {
			*data = malloc(n ? n : 1);
			if (*data) {
				memcpy(*data, out, n);
				*len = n;
				rc = 0;
			}
			gvFreeRenderData(out);
		}
		gvFreeLayout(gvc, g);
	}
	return rc;
}
