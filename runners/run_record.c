/*
 * run_record.c - the column table and the writers (see run_record.h).
 *
 * Each column is a name, a help line, and a getter that formats the value
 * into a buffer (an empty buffer means "unknown"). The getters are tiny and
 * live next to their column, so adding a column is one line in one table;
 * CSV, JSON and text writers all walk the same table.
 */
#include "run_record.h"

#include "res_cols.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef void (*getter)(const struct run_record *r, char *buf, size_t n);

struct column {
	const char *name;
	int is_string;            /* JSON: quoted */
	getter get;
	const char *help;
};

/* ------------------------------------------------------------------------
 * Formatting helpers
 * ---------------------------------------------------------------------- */

static void put_i(char *buf, size_t n, int64_t v)
{
	if (v == RUN_EMPTY || v < 0)
		buf[0] = 0;
	else
		snprintf(buf, n, "%lld", (long long)v);
}

static void put_f(char *buf, size_t n, double v, int digits)
{
	if (isnan(v) || v < 0)
		buf[0] = 0;
	else
		snprintf(buf, n, "%.*f", digits, v);
}

static void put_s(char *buf, size_t n, const char *s)
{
	snprintf(buf, n, "%s", s);
}

static int ran(const struct run_record *r)
{
	return r->res.seconds > 0;
}

#define NANO(r) (&(r)->res.nano)

/* The rseq front's counters mean something only when that front ran, and
 * are known only when libnano counts (statistics compiled in); otherwise
 * their columns are empty, as for any other allocator. */
static int front_counted(const struct run_record *r)
{
	return NANO(r)->present && NANO(r)->stats_compiled && ran(r) &&
	       strcmp(NANO(r)->front, "rseq") == 0;
}

/* Mallocs nano's front served: cache hits (a refill only fills the cache,
 * the malloc then takes its block from it) and those that took the v1
 * path. */
static uint64_t front_mallocs(const struct run_record *r)
{
	const struct nano_front_counts *c = &NANO(r)->fc;
	return c->cache_allocs + c->v1_allocs;
}

/* Events per thousand calls of the measured loops. */
static double per_kop(const struct run_record *r, uint64_t events)
{
	return front_counted(r) && r->res.total_ops ?
		(double)events * 1000.0 / (double)r->res.total_ops : NAN;
}
#define S(field) static void g_##field(const struct run_record *r, char *b, size_t n) { put_s(b, n, r->field); }
#define I(name, expr) static void g_##name(const struct run_record *r, char *b, size_t n) { put_i(b, n, (expr)); }
#define F(name, expr, d) static void g_##name(const struct run_record *r, char *b, size_t n) { put_f(b, n, (expr), d); }

S(workload) S(params) S(size_dist) S(placement) S(cpus) S(end) S(alloc_requested)
S(alloc_library) S(alloc_version) S(alloc_env) S(topology) S(status)
static void g_seed(const struct run_record *r, char *b, size_t n) { snprintf(b, n, "%llu", (unsigned long long)r->seed); }
static void g_cpus_used(const struct run_record *r, char *b, size_t n) { put_s(b, n, r->res.cpus_used); }
static void g_message(const struct run_record *r, char *b, size_t n) { put_s(b, n, r->res.message); }
static void g_verify(const struct run_record *r, char *b, size_t n) { put_s(b, n, r->res.verify); }
I(threads, r->threads)
I(sample_every, r->sample_every)
F(wall_s, ran(r) ? r->res.seconds : NAN, 6)
F(rest_s, ran(r) ? r->res.rest_s : NAN, 3)
I(total_ops, ran(r) ? (int64_t)r->res.total_ops : RUN_EMPTY)
F(ops_per_s, ran(r) ? (double)r->res.total_ops / r->res.seconds : NAN, 0)
I(thread_ops_min, ran(r) ? (int64_t)r->res.ops_min : RUN_EMPTY)
I(thread_ops_max, ran(r) ? (int64_t)r->res.ops_max : RUN_EMPTY)
I(threads_created, ran(r) ? (int64_t)r->res.threads_created : RUN_EMPTY)
I(lat_samples, ran(r) ? (int64_t)r->res.samples : RUN_EMPTY)
F(p50_ns, r->res.samples ? r->res.p50_ns : NAN, 1)
F(p90_ns, r->res.samples ? r->res.p90_ns : NAN, 1)
F(p99_ns, r->res.samples ? r->res.p99_ns : NAN, 1)
F(p999_ns, r->res.samples ? r->res.p999_ns : NAN, 1)
F(max_ns, r->res.samples ? r->res.max_ns : NAN, 1)
F(timer_cost_ns, ran(r) ? r->res.timer_cost_ns : NAN, 2)
F(timer_res_ns, ran(r) ? r->res.timer_res_ns : NAN, 3)
I(cpu_migrations, ran(r) ? r->res.perf[WL_PERF_MIGRATIONS] : RUN_EMPTY)
I(peak_rss_kib, ran(r) ? r->res.rss_peak_kib : RUN_EMPTY)
I(base_rss_kib, ran(r) ? r->res.rss_base_kib : RUN_EMPTY)
I(peak_live_kib, ran(r) ? r->res.peak_live_bytes / 1024 : RUN_EMPTY)
F(rss_per_live, ran(r) && r->res.peak_live_bytes > 0 ?
  (double)r->res.rss_peak_kib * 1024.0 / (double)r->res.peak_live_bytes : NAN, 3)
I(rss_after_free_kib, ran(r) ? r->res.rss_after_free_kib : RUN_EMPTY)
I(minor_faults, ran(r) ? r->res.minflt : RUN_EMPTY)
I(major_faults, ran(r) ? r->res.majflt : RUN_EMPTY)
I(vol_ctx_switches, ran(r) ? r->res.nvcsw : RUN_EMPTY)
I(invol_ctx_switches, ran(r) ? r->res.nivcsw : RUN_EMPTY)
F(user_s, ran(r) ? r->res.user_s : NAN, 3)
F(sys_s, ran(r) ? r->res.sys_s : NAN, 3)
F(steal_s, ran(r) ? r->res.steal_s : NAN, 2)
I(perf_ctx_switches, ran(r) ? r->res.perf[WL_PERF_CSWITCHES] : RUN_EMPTY)
I(perf_page_faults, ran(r) ? r->res.perf[WL_PERF_FAULTS] : RUN_EMPTY)
I(cycles, ran(r) ? r->res.perf[WL_PERF_CYCLES] : RUN_EMPTY)
I(instructions, ran(r) ? r->res.perf[WL_PERF_INSTRUCTIONS] : RUN_EMPTY)
I(cache_misses, ran(r) ? r->res.perf[WL_PERF_CACHE_MISSES] : RUN_EMPTY)
static void g_nano_layout(const struct run_record *r, char *b, size_t n) { put_s(b, n, NANO(r)->present ? NANO(r)->layout : ""); }
static void g_nano_map(const struct run_record *r, char *b, size_t n) { put_s(b, n, NANO(r)->present ? NANO(r)->map : ""); }
static void g_nano_source(const struct run_record *r, char *b, size_t n) { put_s(b, n, NANO(r)->present ? NANO(r)->source : ""); }
static void g_nano_front(const struct run_record *r, char *b, size_t n) { put_s(b, n, NANO(r)->present ? NANO(r)->front : ""); }
static void g_nano_front_reason(const struct run_record *r, char *b, size_t n) { put_s(b, n, NANO(r)->present ? NANO(r)->front_reason : ""); }
I(nano_front_cap, NANO(r)->present && NANO(r)->front_cap ? (int64_t)NANO(r)->front_cap : RUN_EMPTY)
I(nano_hyper_shift, NANO(r)->present ? (int64_t)NANO(r)->hyper_shift : RUN_EMPTY)
I(nano_nmags, NANO(r)->present ? (int64_t)NANO(r)->nmags : RUN_EMPTY)
F(nano_retries_per_op, NANO(r)->present && NANO(r)->stats_compiled && ran(r) && r->res.total_ops ?
  (double)NANO(r)->retries / (double)r->res.total_ops : NAN, 6)
I(nano_remote_frees, NANO(r)->present && NANO(r)->stats_compiled && ran(r) ?
  (int64_t)NANO(r)->remote_frees : RUN_EMPTY)
F(nano_cache_hit_rate, front_counted(r) && front_mallocs(r) ?
  (double)NANO(r)->fc.cache_allocs / (double)front_mallocs(r) : NAN, 4)
F(nano_refills_per_kop, per_kop(r, NANO(r)->fc.refills), 3)
F(nano_flushes_per_kop, per_kop(r, NANO(r)->fc.flushes), 3)
I(nano_chains, front_counted(r) ? (int64_t)NANO(r)->fc.chains : RUN_EMPTY)
F(nano_chain_mean_len, front_counted(r) && NANO(r)->fc.chains ?
  (double)NANO(r)->fc.chain_blocks / (double)NANO(r)->fc.chains : NAN, 2)
I(nano_rseq_aborts, front_counted(r) ? (int64_t)NANO(r)->fc.aborts : RUN_EMPTY)
I(nano_front_v1_ops, front_counted(r) ? (int64_t)(NANO(r)->fc.v1_allocs + NANO(r)->fc.v1_frees) :
  RUN_EMPTY)
/* [program] cells only: the runner fills these from the report of the
 * cell's processes (run_procs.h); a `nanobench run` record leaves them
 * empty. */
static void g_program_only(const struct run_record *r, char *b, size_t n)
{
	(void)r;
	(void)n;
	b[0] = 0;
}
#define g_prog_procs g_program_only
#define g_prog_alloc_calls g_program_only
#define g_prog_calls_per_s g_program_only
#define g_prog_main g_program_only
#define g_prog_nano_served g_program_only

/* Only the columns of res_cols.h's RES_RECORD_COLUMNS, by their names there
 * (an unknown one does not compile), and all of them (the count is checked
 * below the table). */
#define COL(name, str, help) { RES_COL(name), str, g_##name, help }

static const struct column columns[] = {
	COL(workload, 1, "workload name"),
	COL(params, 1, "workload parameters in effect, NAME=VALUE separated by ';'"),
	COL(size_dist, 1, "size distribution SPEC in effect"),
	COL(verify, 1, "which words of the blocks carry the harness's tag: ends (first and last "
	    "word of every block), first+ends/64 (first word of every block, both ends of the blocks "
	    "on 1 page in 64 chosen by address), ends/64 (both ends of those only)"),
	COL(seed, 0, "RNG seed"),
	COL(threads, 0, "measured worker threads (slots)"),
	COL(placement, 1, "placement policy as given"),
	COL(cpus, 1, "CPU os index per thread as planned, ';'-separated (-1 unpinned)"),
	COL(cpus_used, 1, "CPUs the threads were seen on at start and end, ';'-separated, runs of three or more as A-B"),
	COL(cpu_migrations, 0, "perf cpu-migrations over the measured interval (count)"),
	COL(alloc_requested, 1, "allocator asked for (--allocator), empty when none"),
	COL(alloc_library, 1, "file of the library that answers malloc (dladdr)"),
	COL(alloc_version, 1, "allocator version as the library reports it, when it does"),
	COL(alloc_env, 1, "environment the cell set for the allocator, VAR=VALUE separated by ';'"),
	COL(nano_layout, 1, "nano: region layout (full/small); empty for other allocators"),
	COL(nano_hyper_shift, 0, "nano: hyper_shift in effect"),
	COL(nano_map, 1, "nano: CPU->magazine map (shift/topology/cpu)"),
	COL(nano_nmags, 0, "nano: magazines in use"),
	COL(nano_source, 1, "nano: where the settings came from (default/env/config/profile/profile+env)"),
	COL(nano_front, 1, "nano: front end in effect (v1, or rseq: per-CPU caches, allocator nano-rseq)"),
	COL(nano_front_reason, 1, "nano: why the rseq front was asked for but is not in effect (empty otherwise)"),
	COL(nano_front_cap, 0, "nano, rseq front: the most blocks one CPU's cache of a size class may grow to"),
	COL(topology, 1, "topology source: machine, xml:FILE (or empty when unpinned)"),
	COL(end, 1, "what ended the run: ops (--ops), time (--duration or the workload's "
	    "natural seconds) or natural (the workload's own iteration count)"),
	COL(wall_s, 0, "seconds from the first worker start to the last finish (CLOCK_MONOTONIC), "
		    "the rests taken out"),
	COL(rest_s, 0, "the workload's rests in that span: all threads idle together, not measured"),
	COL(total_ops, 0, "allocator calls (malloc + free) made by the measured loops"),
	COL(ops_per_s, 0, "total_ops / wall_s"),
	COL(thread_ops_min, 0, "fewest calls made by one slot"),
	COL(thread_ops_max, 0, "most calls made by one slot"),
	COL(threads_created, 0, "threads that ran slots (> threads when a workload hands over)"),
	COL(sample_every, 0, "one latency sample per this many calls per thread"),
	COL(lat_samples, 0, "latency samples taken"),
	COL(p50_ns, 0, "sampled call latency, median, ns (timer cost subtracted)"),
	COL(p90_ns, 0, "sampled call latency, 90th percentile, ns"),
	COL(p99_ns, 0, "sampled call latency, 99th percentile, ns"),
	COL(p999_ns, 0, "sampled call latency, 99.9th percentile, ns"),
	COL(max_ns, 0, "sampled call latency, maximum, ns"),
	COL(timer_cost_ns, 0, "median cost of two back-to-back timer reads, subtracted, ns"),
	COL(timer_res_ns, 0, "timer resolution: smallest step seen between distinct timer deltas, ns"),
	COL(peak_rss_kib, 0, "peak resident set of the process (getrusage ru_maxrss), KiB"),
	COL(base_rss_kib, 0, "resident set before the workload's set-up, KiB"),
	COL(peak_live_kib, 0, "peak of the blocks held (sampled every 10 ms) times the size distribution's mean, KiB"),
	COL(rss_per_live, 0, "peak_rss / peak live bytes requested (fragmentation and overhead, ratio)"),
	COL(rss_after_free_kib, 0, "resident set after every block was freed (/proc/self/statm), KiB"),
	COL(minor_faults, 0, "minor page faults over the measured interval (getrusage)"),
	COL(major_faults, 0, "major page faults over the measured interval (getrusage)"),
	COL(vol_ctx_switches, 0, "voluntary context switches over the interval (getrusage)"),
	COL(invol_ctx_switches, 0, "involuntary context switches over the interval (getrusage)"),
	COL(user_s, 0, "user CPU seconds over the interval, all threads"),
	COL(sys_s, 0, "system CPU seconds over the interval, all threads"),
	COL(steal_s, 0, "steal time over the interval, all CPUs, seconds (/proc/stat)"),
	COL(perf_ctx_switches, 0, "perf context-switches over the interval (count)"),
	COL(perf_page_faults, 0, "perf page-faults over the interval (count)"),
	COL(cycles, 0, "perf hardware cycles (empty when the kernel refuses)"),
	COL(instructions, 0, "perf hardware instructions (empty when refused)"),
	COL(cache_misses, 0, "perf hardware cache-misses (empty when refused)"),
	COL(nano_retries_per_op, 0, "nano: failed CAS attempts (pop + push) per call"),
	COL(nano_remote_frees, 0, "nano: frees on a CPU whose magazine does not own the block"),
	COL(nano_cache_hit_rate, 0, "nano, rseq front: mallocs served from the CPU's cache / all mallocs "
	    "nano served (cache hits + v1-path mallocs)"),
	COL(nano_refills_per_kop, 0, "nano, rseq front: cache refills from the magazine per 1000 calls"),
	COL(nano_flushes_per_kop, 0, "nano, rseq front: full caches that moved half to the magazine's transfer stage, per 1000 calls"),
	COL(nano_chains, 0, "nano, rseq front: groups of remote frees handed to their owner magazine (one step each)"),
	COL(nano_chain_mean_len, 0, "nano, rseq front: blocks per remote hand-off group (mean)"),
	COL(nano_rseq_aborts, 0, "nano, rseq front: critical sections the kernel restarted (count)"),
	COL(nano_front_v1_ops, 0, "nano, rseq front: calls that took the v1 path although the front is on"),
	COL(prog_procs, 0, "program: processes that reported (each exec'd image and forked child counts)"),
	COL(prog_alloc_calls, 0, "program: allocator calls (malloc family and free) over all its processes"),
	COL(prog_calls_per_s, 0, "program: prog_alloc_calls / wall_s"),
	COL(prog_main, 1, "program: the process with the most calls (its peak RSS is peak_rss_kib)"),
	COL(prog_nano_served, 0, "program, nano: share of small requests nano served (processes of 1000 calls or more)"),
	COL(status, 1, "ok or failed"),
	COL(message, 1, "why the cell failed (empty when ok)"),
};

#define NCOLS (sizeof(columns) / sizeof(columns[0]))
_Static_assert(NCOLS == RES_NRECORD_COLS,
	       "the record's columns are RES_RECORD_COLUMNS of res_cols.h, all of them");

unsigned run_columns(const struct run_column **out)
{
	static struct run_column pub[NCOLS];
	for (unsigned i = 0; i < NCOLS; i++) {
		pub[i].name = columns[i].name;
		pub[i].help = columns[i].help;
	}
	*out = pub;
	return NCOLS;
}

void run_record_init(struct run_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->threads = RUN_EMPTY;
	rec->sample_every = RUN_EMPTY;
	snprintf(rec->status, sizeof(rec->status), "failed");
}

/* ------------------------------------------------------------------------
 * Writers
 * ---------------------------------------------------------------------- */

struct out {
	char buf[16384];
	size_t len;
};

static void emit(struct out *o, const char *s)
{
	size_t n = strlen(s);
	if (o->len + n < sizeof(o->buf)) {
		memcpy(o->buf + o->len, s, n);
		o->len += n;
	}
}

static void emit_csv(struct out *o, const char *s)
{
	if (!strpbrk(s, ",\"\n\r")) {
		emit(o, s);
		return;
	}
	emit(o, "\"");
	for (char c[2] = { 0, 0 }; (c[0] = *s); s++)
		emit(o, c[0] == '"' ? "\"\"" : c[0] == '\n' ? " " : c);
	emit(o, "\"");
}

static void emit_json_string(struct out *o, const char *s)
{
	char esc[8];
	emit(o, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			snprintf(esc, sizeof(esc), "\\%c", c);
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
		} else {
			esc[0] = (char)c;
			esc[1] = 0;
		}
		emit(o, esc);
	}
	emit(o, "\"");
}

static void build(const struct run_record *rec, struct out *o, enum run_format fmt, int header)
{
	/* the widest field: a path, or the cpus list of 1024 threads */
	char val[sizeof(rec->cpus) > PATH_MAX + 64 ? sizeof(rec->cpus) : PATH_MAX + 64];

	if (fmt == RUN_FMT_CSV && header) {
		for (unsigned i = 0; i < NCOLS; i++) {
			emit(o, i ? "," : "");
			emit(o, columns[i].name);
		}
		emit(o, "\n");
	}
	emit(o, fmt == RUN_FMT_JSON ? "{" : "");
	for (unsigned i = 0; i < NCOLS; i++) {
		columns[i].get(rec, val, sizeof(val));
		if (fmt == RUN_FMT_CSV) {
			emit(o, i ? "," : "");
			emit_csv(o, val);
		} else if (fmt == RUN_FMT_JSON) {
			emit(o, i ? "," : "");
			emit_json_string(o, columns[i].name);
			emit(o, ":");
			if (columns[i].is_string)
				emit_json_string(o, val);
			else
				emit(o, val[0] ? val : "null");
		} else {
			char line[64];
			snprintf(line, sizeof(line), "%-20s ", columns[i].name);
			emit(o, line);
			emit(o, val);
			emit(o, "\n");
		}
	}
	emit(o, fmt == RUN_FMT_JSON ? "}\n" : fmt == RUN_FMT_CSV ? "\n" : "");
}

int run_record_write(const struct run_record *rec, int fd, enum run_format fmt, int header)
{
	static struct out o;
	size_t off = 0;

	o.len = 0;
	build(rec, &o, fmt, header);
	while (off < o.len) {
		ssize_t w = write(fd, o.buf + off, o.len - off);
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}
