/*
 * graph_cmd.c — `looptrace graph [--view order] [--format svg|png|pdf|dot]
 * [--from SEQ] [--to SEQ] [--max-nodes N] [--all] [-o FILE] TRACE.db`.
 */
#include "graph_cmd.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cli/cli.h"
#include "../reports/graph.h"
#include "store.h"

#define USAGE                                                                           \
	"looptrace graph [--view order|timeline|causality] [--format svg|png|pdf|dot] [--from SEQ] [--to SEQ] " \
	"[--max-nodes N] [--all] [-o FILE] TRACE.db"

static int usage_error(const char *msg)
{
	lt_cli_error("graph: %s (usage: " USAGE ")", msg);
	return LT_EXIT_USAGE;
}

static int parse_count(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v < 0)
		return -EINVAL;
	*out = v;
	return 0;
}

int lt_cmd_graph(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"view", required_argument, NULL, 'v'},   {"format", required_argument, NULL, 'f'},
		{"from", required_argument, NULL, 'F'},   {"to", required_argument, NULL, 'T'},
		{"max-nodes", required_argument, NULL, 'm'}, {"all", no_argument, NULL, 'a'},
		{"output", required_argument, NULL, 'o'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *view = "order", *format = "svg", *output = NULL;
	struct lt_graph_opts opts = {.max_nodes = 500};
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":f:o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'v': view = optarg; break;
		case 'f': format = optarg; break;
		case 'o': output = optarg; break;
		case 'a': opts.show_all = 1; break;
		case 'F':
			if (parse_count(optarg, &opts.from_seq) != 0)
				return usage_error("--from takes a dispatch number (seq)");
			break;
		case 'T':
			if (parse_count(optarg, &opts.to_seq) != 0)
				return usage_error("--to takes a dispatch number (seq)");
			break;
		case 'm':
			if (parse_count(optarg, &opts.max_nodes) != 0 || opts.max_nodes == 0)
				return usage_error("--max-nodes takes a positive number");
			break;
		case 'h':
			printf("usage: " USAGE "\n");
			return 0;
		default:
			return usage_error(lt_cli_getopt_problem(c, argv));
		}
	}
	if (strcmp(view, "order") != 0 && strcmp(view, "timeline") != 0 && strcmp(view, "causality") != 0)
		return usage_error("--view is order, timeline or causality");
	static const char *const formats[] = {"svg", "png", "pdf", "dot"};
	int known = 0;
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		known |= !strcmp(format, formats[i]);
	if (!known)
		return usage_error("--format is svg, png, pdf or dot");
	if (optind + 1 != argc)
		return usage_error(optind >= argc ? "no trace given" : "one trace at a time");

	char err[1024];
	sqlite3 *db;
	if (lt_store_open(argv[optind], &db, err, sizeof(err)) != 0) {
		lt_cli_error("%s", err);
		return LT_EXIT_USAGE;
	}
	/* An attached (eBPF) trace has no creation sites to tell Node's own
	 * housekeeping from the program's callbacks: draw everything. */
	char capture[16];
	lt_store_get_meta(db, "capture", capture, sizeof(capture));
	if (!strcmp(capture, "bpf"))
		opts.show_all = 1;
	struct lt_graph_stats st;
	Agraph_t *g = !strcmp(view, "timeline")    ? lt_graph_timeline(db, &opts, 50, &st, err, sizeof(err))
		      : !strcmp(view, "causality") ? lt_graph_causality(db, &opts, &st, err, sizeof(err))
						   : lt_graph_order(db, &opts, &st, err, sizeof(err));
	sqlite3_close(db);
	if (!g) {
		lt_cli_error("%s: %s", argv[optind], err);
		return LT_EXIT_USAGE;
	}
	char *data = NULL;
	size_t len = 0;
	int rc = lt_graph_render(g, format, &data, &len);
	agclose(g);
	if (rc != 0) {
		lt_cli_error("graph: Graphviz could not lay out or render %s", format);
		return LT_EXIT_USAGE;
	}
	FILE *out = output ? fopen(output, "wb") : stdout;
	if (!out) {
		lt_cli_error("graph: cannot write %s: %s", output, strerror(errno));
		free(data);
		return LT_EXIT_USAGE;
	}
	int status = fwrite(data, 1, len, out) == len ? 0 : 1;
	if (fflush(out) != 0 || (out != stdout && fclose(out) != 0))
		status = 1;
	free(data);
	if (output && !strcmp(view, "causality"))
		fprintf(stderr,
			"looptrace: %lld resources and promises drawn, %lld more folded into them, %lld edges, "
			"%lld left out -> %s\n",
			(long long)st.nodes, (long long)st.collapsed, (long long)st.edges, (long long)st.omitted, output);
	else if (output)
		fprintf(stderr, "looptrace: %lld dispatches drawn in %lld %s%s%.0lld%s, %lld enqueue edges, "
				"%lld collapsed, %lld left out -> %s\n",
			(long long)st.nodes, (long long)st.clusters,
			strcmp(view, "timeline") ? "clusters" : "lanes", st.lanes ? " on " : "",
			(long long)st.lanes, st.lanes ? " queue lanes" : "", (long long)st.edges,
			(long long)st.collapsed, (long long)st.omitted, output);
	return status;
}
