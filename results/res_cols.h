/*
 * res_cols.h - the names of results.csv's columns: the one list that
 * runners/ (which write them), results/ and plots/ (which read them) share.
 *
 * Two groups, in the order of the header line: the matrix's own columns
 * (runners/run_row.c writes them for every cell, from this list), then the
 * record of one cell (`nanobench run`: runners/run_record.c's table gives
 * each its JSON type, help line and value; it may name only columns of
 * RES_RECORD_COLUMNS, and as many, which the compiler checks).
 * docs/results.md documents every column (runners/tests/test_cli.sh checks
 * that too).
 *
 * Code names a column with RES_COL(name): the name as a string, and a
 * compile error when the list has no such column, so a reader cannot ask for
 * a column that no writer writes, and renaming one breaks the build instead
 * of the readers. RES_COL(name) is a constant, usable in static tables.
 *
 * Columns are only ever added (docs/results.md, "Versions"), and readers
 * find them by name: a run folder of an older build, which lacks the newer
 * columns, still loads (an absent column reads as empty).
 */
#ifndef RES_COLS_H
#define RES_COLS_H

#define RES_MATRIX_COLUMNS(X) \
	X(matrix) X(host) X(block) X(rep) X(cell_key) X(wl_label) X(req_size_dist) X(alloc_label) \
	X(req_hyper_shift) X(req_map) X(cell_status) X(cell_reason) X(cell_wall_s) X(command) \
	X(metric) X(metric_unit) X(higher_is_better)

#define RES_RECORD_COLUMNS(X) \
	X(workload) X(params) X(size_dist) X(verify) X(seed) X(threads) X(placement) X(cpus) X(cpus_used) \
	X(cpu_migrations) X(alloc_requested) X(alloc_library) X(alloc_version) X(alloc_env) \
	X(nano_layout) X(nano_hyper_shift) X(nano_map) X(nano_nmags) X(nano_source) X(nano_front) \
	X(nano_front_reason) X(nano_front_cap) X(topology) X(end) X(wall_s) X(rest_s) X(total_ops) \
	X(ops_per_s) X(thread_ops_min) X(thread_ops_max) X(threads_created) X(sample_every) \
	X(lat_samples) X(p50_ns) X(p90_ns) X(p99_ns) X(p999_ns) X(max_ns) X(timer_cost_ns) \
	X(timer_res_ns) X(peak_rss_kib) X(base_rss_kib) X(peak_live_kib) X(rss_per_live) \
	X(rss_after_free_kib) X(minor_faults) X(major_faults) X(vol_ctx_switches) \
	X(invol_ctx_switches) X(user_s) X(sys_s) X(steal_s) X(perf_ctx_switches) \
	X(perf_page_faults) X(cycles) X(instructions) X(cache_misses) X(nano_retries_per_op) \
	X(nano_remote_frees) X(nano_cache_hit_rate) X(nano_refills_per_kop) \
	X(nano_flushes_per_kop) X(nano_chains) X(nano_chain_mean_len) X(nano_rseq_aborts) \
	X(nano_front_v1_ops) X(prog_procs) X(prog_alloc_calls) X(prog_calls_per_s) X(prog_main) \
	X(prog_nano_served) X(status) X(message)

#define RES_COL_ID_(name) RES_COL_##name,
#define RES_COL_ONE_(name) +1
enum res_col_id {
	RES_MATRIX_COLUMNS(RES_COL_ID_)
	RES_RECORD_COLUMNS(RES_COL_ID_)
	RES_NCOLS
};
enum {
	RES_NMATRIX_COLS = 0 RES_MATRIX_COLUMNS(RES_COL_ONE_),
	RES_NRECORD_COLS = 0 RES_RECORD_COLUMNS(RES_COL_ONE_),
};

/* The name of column `name` (a bare word: RES_COL(wall_s)). */
#define RES_COL(name) (&(#name)[0 * RES_COL_##name])

#endif
