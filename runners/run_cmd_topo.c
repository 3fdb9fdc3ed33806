/*
 * run_cmd_topo.c - `nanobench topo`: the machine, placements and magazine maps.
 *
 * Prints what nanobench and nano would do on a topology: the counts, the
 * order each placement policy uses, nano's default hyper_shift and
 * fingerprint, the CPU -> magazine table of each map, and the diagnosis of
 * the shift map (does it merge different cores into one magazine, does it
 * split a core's hardware threads over several).
 */
#include <stdio.h>
#include <stdlib.h>

#include "run_args.h"
#include "run_cmds.h"
#include "wl_magmaps.h"
#include "wl_place.h"
#include "wl_topo.h"

static void print_help(void)
{
	printf("usage: nanobench topo [--topology SPEC | --topology-xml FILE] [--hyper-shift N]\n\n"
	       "Shows the machine (or a synthetic one such as --topology \"pack:2 core:16 pu:2\",\n"
	       "or an hwloc XML file), the order of each placement policy, and nano's\n"
	       "CPU -> magazine tables (maps shift, topology, cpu) with their diagnosis.\n"
	       "  --hyper-shift N   build the shift/topology tables with N instead of the default\n");
}

static void print_table(const struct nano_magmap *m, const struct nano_topo *t)
{
	printf("map %-8s hyper_shift %u, %u magazines (%u used): %u core(s) split, "
	       "%u magazine(s) shared by cores\n", nano_map_name(m->map), m->hyper_shift,
	       m->nmags, m->used_mags, m->split_cores, m->shared_mags);
	for (unsigned cpu = 0; cpu < m->ncpus; cpu++) {
		if (cpu % 16 == 0)
			printf("  cpu %4u:", cpu);
		if (t->core[cpu] < 0)
			printf("   -");
		else
			printf(" %3u", m->mag[cpu]);
		if (cpu % 16 == 15 || cpu + 1 == m->ncpus)
			printf("\n");
	}
}

static void print_orders(const struct wl_topo *topo)
{
	static const char *const policies[] = { "compact", "scatter", "cores" };
	static int order[4096];
	char err[256];
	for (size_t i = 0; i < sizeof(policies) / sizeof(policies[0]); i++) {
		struct wl_placement p;
		wl_place_parse(&p, policies[i], err, sizeof(err));
		int n = wl_place_order(topo->h, &p, order, 4096, err, sizeof(err));
		printf("placement %-8s", policies[i]);
		for (int k = 0; k < n && k < 64; k++)
			printf(" %d", order[k]);
		printf(n > 64 ? " ...\n" : "\n");
	}
}

static void diagnose(const struct wl_magmaps *m)
{
	const struct nano_magmap *s = &m->map[NANO_MAP_SHIFT];
	printf("sibling numbering: %s\n", wl_numbering_name(m->numbering));
	if (s->shared_mags || s->split_cores)
		printf("diagnosis: shift map (hyper_shift %u) merges different cores into %u "
		       "magazine(s) and splits the hardware threads of %u core(s)%s; the "
		       "topology map keeps siblings together\n", s->hyper_shift, s->shared_mags,
		       s->split_cores, m->numbering == WL_NUM_SPLIT ?
		       " (Linux numbers siblings cpu i and i+N/2)" : "");
	else
		printf("diagnosis: shift map (hyper_shift %u) keeps each core's hardware threads "
		       "in one magazine and never mixes cores\n", s->hyper_shift);
}

/* 0, or the exit status: 2 (bad usage, said on stderr) or -1 (--help). */
static int parse(int argc, char **argv, const char **syn, const char **xml, int *shift)
{
	static const struct option opts[] = {
		{ "topology", required_argument, NULL, 't' },
		{ "topology-xml", required_argument, NULL, 'x' },
		{ "hyper-shift", required_argument, NULL, 's' }, RUN_ARGS_HELP_AND_END,
	};
	struct run_args a;
	char **rest, *end;
	long s;
	int c;

	run_args_begin(&a, "topo", argc, argv, opts);
	while ((c = run_args_next(&a)) != -1) {
		switch (c) {
		case 't': *syn = a.val; break;
		case 'x': *xml = a.val; break;
		case 's':
			s = strtol(a.val, &end, 10);
			if (!*a.val || *end || s < 0 || s > 16)
				return run_args_fail("topo", "--hyper-shift '%s': expected 0..16", a.val);
			*shift = (int)s;
			break;
		case RUN_ARG_HELP: print_help(); return -1;
		default: return run_args_fail("topo", "%s", a.err);
		}
	}
	if (run_args_rest(&a, &rest))
		return run_args_fail("topo", "unexpected argument '%s' (topo takes options only)",
				     rest[0]);
	if (*syn && *xml)
		return run_args_fail("topo", "give --topology or --topology-xml, not both");
	return 0;
}

void run_topo_fingerprint(const struct wl_topo *topo, char *buf, unsigned long len)
{
	static struct wl_magmaps m;
	if (wl_magmaps_build(topo, -1, &m) == 0)
		snprintf(buf, len, "%016llx", (unsigned long long)m.fingerprint);
	else if (len)
		buf[0] = 0;
}

int run_cmd_topo(int argc, char **argv)
{
	static struct wl_magmaps m;
	struct wl_topo topo;
	struct wl_topo_summary s;
	const char *syn = NULL, *xml = NULL;
	int shift = -1, rc;
	char err[512];

	if ((rc = parse(argc - 1, argv + 1, &syn, &xml, &shift)))
		return rc < 0 ? 0 : rc;
	if (wl_topo_load(&topo, syn, xml, err, sizeof(err)))
		return run_args_fail("topo", "%s", err);
	wl_topo_summarise(&topo, &s);
	printf("topology: %s\n", topo.source);
	printf("summary: %u package(s), %u NUMA node(s), %u core(s), %u PU(s), SMT %u\n",
	       s.packages, s.numa_nodes, s.cores, s.pus, s.smt);
	if (s.disallowed)
		printf("not allowed: %u more PU(s) that this process may not use (a cgroup "
		       "cpuset, the CPU affinity it started with, or the XML's allowed_cpuset): "
		       "placements leave them out, nano's tables below cover them\n", s.disallowed);
	print_orders(&topo);
	if (wl_magmaps_build(&topo, shift, &m)) {
		wl_topo_destroy(&topo);
		return run_args_fail("topo", "the machine has more CPU numbers than nano supports (1024)");
	}
	printf("nano: default hyper_shift %u, fingerprint %016llx\n", m.default_shift,
	       (unsigned long long)m.fingerprint);
	for (int i = 0; i < NANO_MAP_COUNT; i++)
		print_table(&m.map[i], &m.topo);
	diagnose(&m);
	wl_topo_destroy(&topo);
	return 0;
}
