/*
 * run_auto.h - `repetitions = auto`: as many repetitions as a block needs.
 *
 * Owns: the stopping rule. A block's cells are expanded up to
 * max_repetitions (default RUN_AUTO_MAX); before each round from the
 * RES_MIN_REPS-th on, the rows of the rounds so far are read back from
 * results.csv and the block stops when every allocator's 95% interval of
 * its ratio to glibc (the Hodges-Lehmann interval of res_decide.h) lies
 * within RUN_AUTO_HALFWIDTH of its estimate: ratio / lo and hi / ratio both
 * at most 1.05. Allocators without any successful cell are left out (they
 * cannot converge); a block without glibc uses its first allocator. The
 * count a block took goes into meta.json ("auto_repetitions") the moment it
 * is known, so --resume, --block jobs and merge treat the block as complete
 * with that many repetitions.
 */
#ifndef RUN_AUTO_H
#define RUN_AUTO_H

#define RUN_AUTO_MAX 15
#define RUN_AUTO_HALFWIDTH 0.05

/* Have the rows of block `block` with rep < `below` in DIR/results.csv
 * converged? 1 yes, 0 no (or unreadable). */
int run_auto_converged(const char *dir, unsigned block, unsigned below);

#endif
