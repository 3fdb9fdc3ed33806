/*
 * plot_tool.c - the plot library's entry points from the command line, for
 * the tests (test_plots.py): the same calls nanobench makes, without the
 * rest of nanobench.
 *
 *   plot_tool render TEMPLATE_DIR TEMPLATE OUT_BASE [NAME=VALUE...]
 *   plot_tool folder DIR TEMPLATE_DIR
 *   plot_tool compare COMPARE_CSV TEMPLATE_DIR OUT_BASE
 *   plot_tool styles      the allocators of res_allocs.h, one a line, then
 *                         the fixed colours in words (plot_style_legend)
 *
 * Exit 0, or 2 with the library's one-line error on stderr.
 */
#include "plot.h"
#include "plot_render.h"
#include "plot_style.h"
#include "res_allocs.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	char err[1024];
	int rc = -1;

	if (argc >= 5 && !strcmp(argv[1], "render"))
		rc = plot_render(argv[2], argv[3], (const char *const *)argv + 5, argv[4], err,
				 sizeof(err));
	else if (argc == 4 && !strcmp(argv[1], "folder"))
		rc = plot_run_folder(argv[2], argv[3], err, sizeof(err));
	else if (argc == 5 && !strcmp(argv[1], "compare"))
		rc = plot_compare(argv[2], argv[3], argv[4], err, sizeof(err));
	else if (argc == 2 && !strcmp(argv[1], "styles")) {
		char legend[1024];
		for (int i = 0; i < RES_NALLOCS; i++)
			printf("%s\n", res_alloc_names[i]);
		plot_style_legend(legend, sizeof(legend));
		printf("%s\n", legend);
		rc = 0;
	}
	else
		snprintf(err, sizeof(err), "usage: plot_tool render|folder|compare|styles ...");
	if (rc == 0)
		return 0;
	fprintf(stderr, "plot_tool: %s\n", err);
	return 2;
}
