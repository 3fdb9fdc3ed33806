/*
 * plot_render.h - running gnuplot on one template.
 *
 * Owns: the only place nanobench starts gnuplot. A template is a gnuplot
 * script that draws one picture from data files the C side wrote; it never
 * sets the terminal's output. plot_render writes the script it runs, the
 * caller's variables and the template with the templates it loads inlined,
 * to OUT_BASE.gp (so what drew a picture can be read, and rerun: `gnuplot
 * NAME.gp` in its folder redraws NAME.png), and runs it twice in one gnuplot
 * process in OUT_BASE's folder, once for PNG (pngcairo) and once for SVG,
 * each into a temporary file that is renamed to its final name only when
 * gnuplot finished without printing anything: any warning is a failure, so
 * a template that skips a series or meets an undefined value does not
 * produce a misleading picture quietly.
 *
 * What a template sees, besides the caller's variables:
 *
 *   nb_tpldir     the template folder (to `load nb_tpldir.'/common.gp'`)
 *   nb_format     'png' or 'svg' (the pass being drawn)
 *   nb_terminal   a format string; `eval sprintf(nb_terminal, W, H)` sets
 *                 another size than the default 1200x800 (keeping the
 *                 font and the output)
 */
#ifndef PLOT_RENDER_H
#define PLOT_RENDER_H

#include <stddef.h>

#define PLOT_WIDTH 1200
#define PLOT_HEIGHT 800

/* Render TEMPLATE_DIR/TEMPLATE_NAME into OUT_BASE.png and OUT_BASE.svg
 * (and its script into OUT_BASE.gp).
 * vars: NULL-terminated "NAME=VALUE" strings, each set as a gnuplot variable
 * before the template runs: a VALUE that is a finite number in full becomes
 * a number, anything else a string (quoted for gnuplot; names must be
 * identifiers). Returns 0, or -1 with a one-line reason in err (gnuplot
 * missing: which Debian package to install; gnuplot complained: its first
 * message line), or PLOT_EDISK (plot.h) when the folder could not be
 * written at the time of the failure. Nothing is left at the final names
 * on failure. */
int plot_render(const char *template_dir, const char *template_name, const char *const *vars,
		const char *out_base, char *err, size_t errlen);

/* 0 when gnuplot can be started, else -1 with the same message plot_render
 * gives. Lets a caller refuse before it writes anything. */
int plot_render_check(char *err, size_t errlen);

#endif
