/*
 * run_expand.c - turn a matrix into cells for one machine.
 *
 * Thread specs adapt to the machine, so one preset means the same thing on 2
 * and on 128 CPUs: `all` is every hardware thread, `cores` one per core,
 * `half` half the hardware threads, `pow2` 1, 2, 4, ... up to all (and all
 * itself), `A..B` every count from A to B (B may be all or cores). Counts
 * are sorted and made unique; a count above the machine's hardware threads
 * is refused (the run would need --oversubscribe). The machine is the host's,
 * or the one a job line names (--machine PUS:CORES, from --emit-jobs), so
 * that every job of a distributed run expands the same cells.
 *
 * Order: comparison block by block (workload, size distribution, threads,
 * placement). Inside a block: the warm-ups, then the repetitions, each one
 * running every allocator variant once (A B C A B C), so that drift of the
 * machine over time does not favour one allocator.
 */
#include "run_matrix.h"

#include "res_blocks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Thread counts
 * ---------------------------------------------------------------------- */

static int word_count(const char *w, const struct run_machine *mach, unsigned *out)
{
	char *end;
	unsigned long v;
	if (!strcmp(w, "all"))
		*out = mach->npus;
	else if (!strcmp(w, "cores"))
		*out = mach->ncores;
	else if (!strcmp(w, "half"))
		*out = mach->npus / 2 ? mach->npus / 2 : 1;
	else {
		v = strtoul(w, &end, 10);
		if (!*w || *end || v == 0 || v > 4096 || *w == '-')
			return -1;
		*out = (unsigned)v;
	}
	return 0;
}

int run_machine_parse(const char *s, struct run_machine *m)
{
	char *end;
	unsigned long pus, cores;
	if (*s < '0' || *s > '9')
		return -1;
	pus = strtoul(s, &end, 10);
	if (*end != ':' || end[1] < '0' || end[1] > '9')
		return -1;
	cores = strtoul(end + 1, &end, 10);
	if (*end || pus < 1 || pus > 4096 || cores < 1 || cores > pus)
		return -1;
	m->npus = (unsigned)pus;
	m->ncores = (unsigned)cores;
	return 0;
}

static int add_count(unsigned *out, unsigned *n, unsigned max, unsigned v)
{
	for (unsigned i = 0; i < *n; i++)
		if (out[i] == v)
			return 0;
	if (*n == max)
		return -1;
	out[(*n)++] = v;
	return 0;
}

static int cmp_unsigned(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
	return x < y ? -1 : x > y;
}

int run_threads_expand(const struct run_list *spec, const struct run_machine *mach,
		       unsigned *out, unsigned max, char *err, size_t errlen)
{
	unsigned n = 0, a, b;
	for (unsigned i = 0; i < spec->n; i++) {
		const char *w = spec->item[i];
		const char *dots = strstr(w, "..");
		if (!strcmp(w, "pow2")) {
			for (a = 1; a < mach->npus; a *= 2)
				if (add_count(out, &n, max, a))
					goto full;
			if (add_count(out, &n, max, mach->npus))
				goto full;
			continue;
		}
		if (dots) {
			char lo[RUN_NAME];
			snprintf(lo, sizeof(lo), "%.*s", (int)(dots - w), w);
			if (word_count(lo, mach, &a) || word_count(dots + 2, mach, &b) || a > b)
				goto bad;
			for (unsigned v = a; v <= b; v++)
				if (add_count(out, &n, max, v))
					goto full;
			continue;
		}
		if (word_count(w, mach, &a))
			goto bad;
		if (add_count(out, &n, max, a))
			goto full;
		continue;
bad:
		snprintf(err, errlen, "thread count '%s' is not a number, all, cores, half, pow2 or A..B", w);
		return -1;
	}
	qsort(out, n, sizeof(unsigned), cmp_unsigned);
	if (n && out[n - 1] > RUN_MAX_THREAD_COUNTS) {
		snprintf(err, errlen, "thread count %u is more than the %u threads a cell runs",
			 out[n - 1], RUN_MAX_THREAD_COUNTS);
		return -1;
	}
	if (n && out[n - 1] > mach->npus) {
		snprintf(err, errlen, "thread count %u is more than the %u hardware threads this "
			 "process may use", out[n - 1], mach->npus);
		return -1;
	}
	return (int)n;
full:
	snprintf(err, errlen, "more than %u thread counts (a cell runs at most %u threads)", max,
		 RUN_MAX_THREAD_COUNTS);
	return -1;
}

/* ------------------------------------------------------------------------
 * Cells
 * ---------------------------------------------------------------------- */

static const struct run_list *pick(const struct run_list *own, const struct run_list *dflt)
{
	return own->n ? own : dflt;
}

struct variant {
	const struct run_alloc_def *alloc;
	int hyper_shift;
	const char *map;
};

int run_hyper_shift_parse(const char *s, int *out)
{
	char *end;
	long x;
	*out = -1;
	if (!strcmp(s, "default"))
		return 0;
	x = strtol(s, &end, 10);
	if (!*s || *end || x < 0 || x > 16)
		return -1;
	*out = (int)x;
	return 0;
}

int run_map_parse(const char *s, const char **out)
{
	static const char *const maps[] = { "shift", "topology", "cpu" };
	*out = "";
	if (!strcmp(s, "default"))
		return 0;
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		if (!strcmp(s, maps[i])) {
			*out = maps[i];
			return 0;
		}
	return -1;
}

/* Allocator variants of a block: nano multiplies by hyper_shifts x maps. */
static int variants(const struct run_matrix *m, const struct run_wl *w, struct variant *v,
		    unsigned max, char *err, size_t errlen)
{
	const struct run_list *hs = pick(&w->axes.hyper_shifts, &m->axes.hyper_shifts);
	const struct run_list *maps = pick(&w->axes.maps, &m->axes.maps);
	unsigned n = 0;
	for (unsigned a = 0; a < m->nalloc; a++) {
		unsigned nh = m->alloc[a].is_nano ? hs->n : 1, nm = m->alloc[a].is_nano ? maps->n : 1;
		for (unsigned h = 0; h < nh; h++) {
			for (unsigned k = 0; k < nm; k++) {
				int shift = -1;
				const char *map = "";
				if (m->alloc[a].is_nano) {
					if (run_hyper_shift_parse(hs->item[h], &shift)) {
						snprintf(err, errlen, "hyper_shift '%s' is not default or 0..16",
							 hs->item[h]);
						return -1;
					}
					if (run_map_parse(maps->item[k], &map)) {
						snprintf(err, errlen, "map '%s' is not default, shift, topology or cpu",
							 maps->item[k]);
						return -1;
					}
				}
				if (n == max) {
					snprintf(err, errlen, "more than %u allocator variants in one block "
						 "(allocators x hyper_shifts x maps for nano's; the results "
						 "hold %u)", max, max);
					return -1;
				}
				v[n++] = (struct variant){ &m->alloc[a], shift, map };
			}
		}
	}
	return (int)n;
}

static void cell_key(struct run_cell *c)
{
	snprintf(c->key, sizeof(c->key), "%s|%s|t%u|%s|%s|hs%d|%s|%s%u", c->wl->name, c->size_dist,
		 c->threads, c->placement, c->alloc->name, c->hyper_shift,
		 c->map[0] ? c->map : "-", c->warmup ? "w" : "r", c->rep);
}

int run_matrix_expand(const struct run_matrix *m, const struct run_machine *mach,
		      struct run_cell **cells, char *err, size_t errlen)
{
	size_t n = 0, cap = 256;
	unsigned block = 0;
	struct run_cell *out = malloc(cap * sizeof(*out));
	struct variant var[256];
	static unsigned threads[RUN_MAX_THREAD_COUNTS];

	if (!out)
		return -1;
	for (unsigned wi = 0; wi < m->nwl; wi++) {
		const struct run_wl *w = &m->wl[wi];
		const struct run_list *dists = pick(&w->axes.size_dists, &m->axes.size_dists);
		const struct run_list *places = pick(&w->axes.placements, &m->axes.placements);
		int nt = run_threads_expand(pick(&w->axes.threads, &m->axes.threads), mach, threads,
					    sizeof(threads) / sizeof(threads[0]), err, errlen);
		int nv = variants(m, w, var, RES_MAX_VARIANTS, err, errlen);
		if (nt < 0 || nv < 0)
			goto fail;
		unsigned nd = w->is_program ? 1 : dists->n;
		for (unsigned d = 0; d < nd; d++) {
			for (int t = 0; t < nt; t++) {
				for (unsigned p = 0; p < places->n; p++, block++) {
					unsigned total = m->warmup +
							 (m->auto_reps ? m->max_repetitions : m->repetitions);
					for (unsigned r = 0; r < total; r++) {
						for (int k = 0; k < nv; k++) {
							if (n == cap) {
								cap *= 2;
								struct run_cell *nc = realloc(out, cap * sizeof(*out));
								if (!nc)
									goto fail;
								out = nc;
							}
							struct run_cell *c = &out[n];
							memset(c, 0, sizeof(*c));
							c->index = (unsigned)n;
							c->block = block;
							c->warmup = r < m->warmup;
							c->rep = c->warmup ? r : r - m->warmup;
							c->wl = w;
							c->alloc = var[k].alloc;
							snprintf(c->size_dist, sizeof(c->size_dist), "%s",
								 w->is_program ? "program" : dists->item[d]);
							c->threads = (unsigned)threads[t];
							snprintf(c->placement, sizeof(c->placement), "%s", places->item[p]);
							c->hyper_shift = var[k].hyper_shift;
							snprintf(c->map, sizeof(c->map), "%s", var[k].map);
							c->duration = w->axes.duration != 0 ? w->axes.duration
											   : m->axes.duration;
							cell_key(c);
							n++;
						}
					}
				}
			}
		}
	}
	*cells = out;
	return (int)n;
fail:
	free(out);
	return -1;
}

double run_cell_estimate_s(const struct run_cell *c)
{
	return (c->duration == RUN_NATURAL ? RUN_NATURAL_ESTIMATE_S : c->duration) + RUN_CELL_OVERHEAD_S;
}
