/*
 * lesson_page.c — the lesson page: markup, glossary, data, script.
 */
#include "lesson_page.h"

#include <errno.h>
#include <string.h>

#include "html.h"
#include "json.h"

/* cmake/embed.cmake compiles these in from reports/html/. */
extern const char lt_lesson_css[];
extern const char lt_lesson_js[];

static void head(FILE *o, const char *nonce, const char *title)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n", o);
	fprintf(o,
		"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline';"
		" script-src 'nonce-%s'\">\n",
		nonce);
	fputs("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n", o);
	fputs("<meta name=\"generator\" content=\"looptrace lesson\">\n<title>", o);
	lt_html_cstr(o, title);
	fputs(" &#183; looptrace lesson</title>\n<style>\n", o);
	fputs(lt_lesson_css, o);
	fputs("</style>\n</head>\n", o);
}

static void banner(FILE *o, const struct lt_lesson_info *info, const char *title)
{
	fputs("<body>\n<a class=\"skip\" href=\"#predict\">Skip to the exercise</a>\n<header>\n<h1>", o);
	lt_html_cstr(o, title);
	fputs("</h1>\n<p class=\"command\">Recorded: <code>", o);
	lt_html_cstr(o, info->command && *info->command ? info->command : "(command line not recorded)");
	fprintf(o, "</code> &#183; exit status %d", info->exit_status);
	if (info->runtime && *info->runtime) {
		fputs(" &#183; ", o);
		lt_html_cstr(o, info->runtime);
	}
	fputs("</p>\n</header>\n<main>\n", o);
}

static void source_pane(FILE *o)
{
	fputs("<section id=\"source-pane\" aria-labelledby=\"source-title\">\n"
	      "<h2 id=\"source-title\">Program</h2>\n"
	      "<p class=\"legend\"><span class=\"mark ran\">printed this step's output</span> "
	      "<span class=\"mark site\">scheduled this step</span></p>\n"
	      "<div id=\"source\"></div>\n</section>\n",
	      o);
}

static void predict(FILE *o)
{
	fputs("<section id=\"predict\" aria-labelledby=\"predict-title\">\n"
	      "<h2 id=\"predict-title\">1. Predict the output</h2>\n"
	      "<p class=\"help\">Put the lines in the order you think the program printed them. Drag a line, or "
	      "focus it (Tab, &#8593;/&#8595;) and move it with <kbd>Alt</kbd>+<kbd>&#8593;</kbd>/<kbd>&#8595;</kbd> "
	      "(or the buttons). Then check.</p>\n"
	      "<p id=\"predict-note\" class=\"note\" hidden></p>\n"
	      "<ol id=\"guess\" aria-label=\"Your predicted order\"></ol>\n"
	      "<p><button type=\"button\" id=\"check\">Check my order</button> "
	      "<button type=\"button\" id=\"skip\" class=\"quiet\">Show the real order without predicting</button></p>\n"
	      "<p id=\"score\" role=\"status\" aria-live=\"polite\"></p>\n"
	      "</section>\n",
	      o);
}

static void reveal(FILE *o)
{
	fputs("<section id=\"reveal\" aria-labelledby=\"reveal-title\" hidden>\n"
	      "<h2 id=\"reveal-title\">2. What really happened, step by step</h2>\n"
	      "<div class=\"controls\">"
	      "<button type=\"button\" id=\"first\" aria-label=\"First step\">&#8676;</button> "
	      "<button type=\"button\" id=\"prev\">&#8592; Previous</button> "
	      "<span id=\"step-label\" role=\"status\" aria-live=\"polite\"></span> "
	      "<button type=\"button\" id=\"next\">Next &#8594;</button> "
	      "<button type=\"button\" id=\"last\" aria-label=\"Last step\">&#8677;</button>"
	      "<label class=\"scrub\">step <input type=\"range\" id=\"scrub\" min=\"0\" value=\"0\"></label>"
	      "</div>\n"
	      "<p class=\"help\">Keys: <kbd>&#8594;</kbd>/<kbd>n</kbd> next, <kbd>&#8592;</kbd>/<kbd>p</kbd> previous, "
	      "<kbd>Home</kbd>/<kbd>End</kbd>.</p>\n"
	      "<div class=\"why\" id=\"why\"><h3>Why now?</h3><p id=\"why-text\"></p>"
	      "<p><a id=\"why-link\" href=\"#glossary\">About this</a></p></div>\n"
	      "<div class=\"grid\">\n"
	      "<div class=\"panel\" id=\"running\"><h3>Running</h3><ol class=\"body\"></ol></div>\n"
	      "<div class=\"panel\" id=\"queues\"><h3>Still waiting</h3><div class=\"body\"></div></div>\n"
	      "<div class=\"panel\" id=\"output\"><h3>Output so far</h3><ol class=\"body\"></ol></div>\n"
	      "<div class=\"panel\" id=\"steps-window\"><h3>Steps</h3><ol class=\"body\"></ol></div>\n"
	      "</div>\n</section>\n",
	      o);
}

static void glossary(FILE *o)
{
	fputs("<section id=\"glossary\" aria-labelledby=\"glossary-title\">\n<h2 id=\"glossary-title\">Glossary</h2>\n<dl>\n", o);
	for (size_t k = 0; k < lt_why_glossary_count(); k++) {
		const char *anchor, *title, *text;
		lt_why_glossary_entry(k, &anchor, &title, &text);
		fprintf(o, "<dt id=\"g-%s\">", anchor);
		lt_html_cstr(o, title);
		fputs("</dt><dd>", o);
		lt_html_cstr(o, text);
		fputs("</dd>\n", o);
	}
	fputs("</dl>\n</section>\n", o);
}

static void step_json(struct lt_json *j, const struct lt_lesson *l, const struct lt_lesson_step *s)
{
	lt_json_begin_object(j);
	lt_json_key_int(j, "seq", s->why.seq);
	lt_json_key_cstring(j, "queue", s->queue);
	lt_json_key_cstring(j, "type", s->type);
	lt_json_key_cstring(j, "callback", s->callback);
	lt_json_key_cstring(j, "phase", s->phase);
	lt_json_key_int(j, "iteration", s->why.iteration);
	lt_json_key_int(j, "depth", s->depth);
	lt_json_key_int(j, "parent", s->why.parent);
	lt_json_key_int(j, "enqueued", s->why.enqueued);
	lt_json_key_double(j, "t_ms", s->t_ms);
	lt_json_key_int(j, "source", lt_lesson_source_index(l, s->file));
	lt_json_key_cstring(j, "file", s->file);
	lt_json_key_int(j, "line", s->line);
	lt_json_key_int(j, "column", s->column);
	lt_json_key_cstring(j, "function", s->function);
	lt_json_key(j, "out");
	lt_json_string(j, s->out ? s->out : "", s->out_len);
	lt_json_key(j, "err");
	lt_json_string(j, s->err ? s->err : "", s->err_len);
	lt_json_key_cstring(j, "why", s->because);
	lt_json_key_cstring(j, "concept", s->concept);
	lt_json_end_object(j);
}

static void data(FILE *o, const struct lt_lesson *l, const struct lt_lesson_info *info)
{
	struct lt_json j;
	lt_json_init(&j, o);
	j.html_safe = 1;
	lt_json_begin_object(&j);
	lt_json_key_cstring(&j, "main", info->main_file);
	lt_json_key_cstring(&j, "runtime", info->runtime);
	lt_json_key(&j, "sources");
	lt_json_begin_array(&j);
	for (size_t i = 0; i < l->n_sources; i++) {
		lt_json_begin_object(&j);
		lt_json_key_cstring(&j, "file", l->sources[i].file);
		lt_json_key(&j, "lines");
		lt_json_begin_array(&j);
		for (size_t k = 0; k < l->sources[i].n; k++)
			lt_json_cstring(&j, l->sources[i].lines[k]);
		lt_json_end_array(&j);
		lt_json_end_object(&j);
	}
	lt_json_end_array(&j);
	lt_json_key(&j, "steps");
	lt_json_begin_array(&j);
	for (size_t i = 0; i < l->n; i++)
		step_json(&j, l, &l->steps[i]);
	lt_json_end_array(&j);
	lt_json_key_int(&j, "hidden", (int64_t)l->hidden);
	lt_json_key(&j, "truncated");
	lt_json_bool(&j, l->truncated);
	lt_json_end_object(&j);
}

int lt_lesson_page(FILE *o, const struct lt_lesson *l, const struct lt_lesson_info *info)
{
	const char *title = info->title && *info->title ? info->title : "Lesson";
	char nonce[40] = "";
	lt_html_nonce(nonce, sizeof(nonce));
	head(o, nonce, title);
	banner(o, info, title);
	fputs("<div class=\"columns\">\n", o);
	source_pane(o);
	fputs("<div class=\"work\">\n", o);
	predict(o);
	reveal(o);
	fputs("</div>\n</div>\n", o);
	glossary(o);
	fputs("</main>\n<script type=\"application/json\" id=\"lesson-data\">", o);
	data(o, l, info);
	fprintf(o, "</script>\n<script nonce=\"%s\">\n", nonce);
	fputs(lt_lesson_js, o);
	fputs("</script>\n<footer>Made by looptrace from a recorded trace of the program.</footer>\n</body>\n</html>\n", o);
	return ferror(o) ? -EIO : 0;
}
