/*
 * tune_choice.c - tune's choice on a results folder made up by the test
 * (test_tune.sh choice): the machine from a synthetic topology, the
 * settings from run_tune_sweep, the scores and the recommendation from
 * run_tune_score on DIR/results.csv, printed one per line:
 *   tune_choice TOPOLOGY DIR
 */
#include "run_tune.h"
#include "wl_topo.h"

#include <stdio.h>

int main(int argc, char **argv)
{
	static struct run_tune t;
	struct wl_topo topo;
	char err[1024];
	if (argc != 3) {
		fprintf(stderr, "usage: tune_choice TOPOLOGY DIR\n");
		return 2;
	}
	if (wl_topo_load(&topo, argv[1], NULL, err, sizeof(err)) ||
	    run_tune_sweep(&t, &topo, NULL, err, sizeof(err)) ||
	    run_tune_score(&t, argv[2], err, sizeof(err))) {
		fprintf(stderr, "tune_choice: %s\n", err);
		return 1;
	}
	for (unsigned i = 0; i < t.n; i++)
		printf("setting %s score %.4f magazines %u\n", t.s[i].label, t.s[i].score,
		       t.s[i].table.used_mags);
	printf("rec %s\nfastest %s\nfewer_mags %d\nreason %s\n", t.s[t.rec.rec].label,
	       t.s[t.rec.fastest].label, t.rec.fewer_mags, t.rec.reason);
	return 0;
}
