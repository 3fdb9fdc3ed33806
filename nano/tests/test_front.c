/*
 * test_front.c - the rseq front (nano_front.h) under load: per-CPU caches,
 * transfer stages, remote buffers, relief, fork, signals, fallback.
 * (Misuse: test_front_misuse.c; exact counts, capacities, relief's
 * release and hand-overs to many magazines: test_front_stats.c.)
 *
 *   test_front stress [CAP [THREADS [SECONDS]]]
 *       THREADS (16) workers on the 2 CPUs (a quarter pinned to each of the
 *       first two CPUs, the rest free to migrate, so that preemption and
 *       migration inside critical sections happen) allocate blocks of 1..256
 *       bytes, fill each over its whole usable size with a pattern derived
 *       from its address and a unique block id (so two live blocks that
 *       overlap, or one block handed out twice, fail the check), and pass a
 *       share of them, singly and in bursts of one class, through
 *       mutex-protected inboxes to other workers, which check and free them
 *       (remote frees: remote buffers, hand-overs to the owners' transfer
 *       stages). Every block is checked before its free; every pointer must
 *       be 16-byte aligned with nano_size() its class size. At the end (all
 *       joined, all freed) the statistics must match the workers' own counts
 *       exactly, in_use 0, carved = in use + free + retired, and the front
 *       must have served: cache hits, refills (taking more than they carved:
 *       the transfer stages gave blocks back), flushes, hand-overs, no
 *       operation on the v1 path. Aborts are printed (not asserted: they
 *       need a preemption inside a critical section). CAP 8 (a fixed
 *       capacity, and remote buffers of 8) makes flushes, refills and
 *       hand-overs frequent. Under GLIBC_TUNABLES=glibc.pthread.rseq=0 the
 *       same load must pass on the v1 path (front "v1", a reason naming
 *       rseq, front counters 0); without rseq otherwise, the test is skipped
 *       (77).
 *   test_front relief_concurrent [CAP]
 *       stress (8 threads, 3 s) with a thread calling nano_pressure_relief()
 *       in a loop: the drain fences CPUs, stops their pops by the count and
 *       restarts their critical sections under the workers' feet; patterns
 *       and exact totals as above, and drains must have happened when
 *       front_drain is 1. Also built against libnano_widen
 *       (test_front_widen), whose pauses put a pop's two loads of the counts
 *       across relief's restore of them, and a claim and a drain side by
 *       side, in every run.
 *   test_front fallback [env]
 *       re-executes itself with GLIBC_TUNABLES=glibc.pthread.rseq=0: rseq is
 *       asked for (by the config, or with `env` by NANO_FRONT=rseq and
 *       nano_zone_init(NULL)) but the settings say front "v1", front_reason
 *       names rseq, front_cap 0, cpu from getcpu; a multithreaded churn
 *       works and every front counter stays 0.
 *   test_front unregistered
 *       stress (6 threads, 2 s) in which worker 0 unregisters its thread's
 *       rseq area first (glibc's, with RSEQ_FLAG_UNREGISTER): its cpu_id
 *       reads -1, its sections find the read-only zero headers below the
 *       slabs, and every one of its operations takes the v1 path while the
 *       others' take the front, blocks passing between them; exact totals,
 *       v1 operations counted.
 *   test_front onecpu
 *       8 threads pinned to one CPU churn pattern-checked blocks of one class
 *       (malloc, free and hand-offs), so that threads preempted inside a
 *       critical section are resumed after others used the same cache. With
 *       the front as built, 2 s pass clean. Built with NANO_FRONT_NO_RESTART
 *       (the sections are never armed: the kernel does not restart them;
 *       test_front_norestart), the load runs in a child that must be caught
 *       corrupting blocks (a pattern check fails, or it crashes) within 30 s:
 *       proof that these tests see what a front without restarts does.
 *   test_front aborts
 *       a malloc/free loop hit by tens of thousands of signals from another
 *       thread: front.aborts must count the restarted critical sections.
 *   test_front fork
 *       workers churn as in stress while one of them forks 8 times; each
 *       child (front still on) checks and frees that worker's blocks, churns
 *       in two threads with patterns, runs relief, churns again, exits 0.
 *
 * Built twice: plain, and with ThreadSanitizer (NT_TSAN=1), which cannot see
 * rseq critical sections and runs `stress` on the fallback path only.
 */
#include "front_load.h"

#include <sys/syscall.h>

static int mode_stress(int argc, char **argv)
{
	unsigned cap = argc > 2 ? (unsigned)atoi(argv[2]) : 0;
	struct load l = { .threads = argc > 3 ? (unsigned)atoi(argv[3]) : 16,
			  .seconds = argc > 4 ? atof(argv[4]) : (NT_TSAN ? 2.0 : 3.0) };
	struct nano_totals t0, t1;
	int front = start_front(cap);

	if (!front && !tunable_off()) {
		printf("skipped: the rseq front is not available here: %s\n", st.front_reason);
		return NT_SKIP;
	}
	/* under the tunable, the run is about the v1 path (TSan's too) */
	CHECK_MSG(!front || !tunable_off(), "GLIBC_TUNABLES=" TUNABLE " is set, yet the front is on");
	t0 = totals();
	run_load(&l);
	t1 = totals();
	print_load("stress", &t1, &l);
	check_after_load(&t0, &t1, &l);
	if (front) {
		check_front_served(&t0, &t1, &l);
	} else {
		CHECK_MSG(memcmp(&t1.front, &zero_front, sizeof(zero_front)) == 0,
			  "the v1 front reports front counters (cache_allocs %" PRIu64 ", refills %" PRIu64 ")",
			  t1.front.cache_allocs, t1.front.refills);
	}
	return 0;
}

static int mode_relief_concurrent(int argc, char **argv)
{
	unsigned cap = argc > 2 ? (unsigned)atoi(argv[2]) : 0;
	struct load l = { .threads = 8, .seconds = 3.0, .relief = 1 };
	struct nano_totals t0, t1;

	need_front(cap);
	t0 = totals();
	run_load(&l);
	/* everything is free now: the drain and the release find it all */
	l.relief_bytes += nano_pressure_relief();
	t1 = totals();
	print_load("relief_concurrent", &t1, &l);
	CHECK(l.relief_bytes > 0);
	check_after_load(&t0, &t1, &l);
	check_front_served(&t0, &t1, &l);
	if (st.front_drain) {
		CHECK(t1.front.drains > 0 && t1.front.drain_blocks > 0);
		CHECK_EQ(t1.front.cached_blocks, 0);
		CHECK_EQ(t1.front.chained_blocks, 0);
	}
	return 0;
}

/* ========================================================================
 * fallback
 * ====================================================================== */

static int mode_fallback(int argc, char **argv)
{
	int by_env = argc > 2 && strcmp(argv[2], "env") == 0;
	struct load l = { .threads = 4, .seconds = 1.0 };
	struct nano_totals t0, t1;

	if (!tunable_off()) {
		/* glibc reads the tunable at start-up: run again with it */
		CHECK(setenv("GLIBC_TUNABLES", TUNABLE, 1) == 0);
		fflush(NULL);
		execv("/proc/self/exe", argv);
		CHECK_MSG(0, "execv(/proc/self/exe): %s", strerror(errno));
	}
	CHECK_MSG(!rseq_registered(), "GLIBC_TUNABLES=" TUNABLE " did not disable rseq");
	if (by_env) {
		CHECK(setenv("NANO_FRONT", "rseq", 1) == 0);
		CHECK(setenv("NANO_FRONT_CAP", "16", 1) == 0);
		CHECK_EQ(nano_zone_init(NULL), 0);
		nano_get_settings(&st);
		CHECK(st.ready);
		check_fallback_settings();
	} else {
		CHECK_EQ(start_front(16), 0);
	}
	printf("fallback: front %s (requested %s): %s\n", st.front, st.front_requested,
	       st.front_reason);
	t0 = totals();
	run_load(&l);
	t1 = totals();
	print_load("fallback", &t1, &l);
	check_after_load(&t0, &t1, &l);
	CHECK(memcmp(&t1.front, &zero_front, sizeof(zero_front)) == 0);
	return 0;
}

/* ========================================================================
 * aborts: signals delivered inside critical sections are counted
 * ====================================================================== */

static atomic_long signals_seen;
static atomic_int stop_signals;

static void on_usr1(int sig)
{
	(void)sig;
	atomic_fetch_add_explicit(&signals_seen, 1, memory_order_relaxed);
}

static void *signaller(void *arg)
{
	pthread_t target = *(pthread_t *)arg;
	if (cpu1 >= 0)
		pin(cpu1);
	while (!atomic_load_explicit(&stop_signals, memory_order_relaxed)) {
		pthread_kill(target, SIGUSR1);
		for (volatile int i = 0; i < 200; i++)
			;
	}
	return NULL;
}

/* A malloc/free loop (cache hits only: the fast paths) under a rain of
 * signals: a signal that arrives inside a critical section restarts it, and
 * nano.h says every restart counts in front.aborts. About one signal in ten
 * lands inside a section here. The loop ends on counts, not on time, so a
 * loaded machine that gives the signaller little CPU only makes it longer:
 * once an abort is counted after at least MIN_SIGNALS signals (pass), or
 * when MAX_SIGNALS signals brought not one abort (fail); the 40 s bound only
 * stops a signaller that never runs (fail: too few signals). */
enum { MIN_SIGNALS = 1000, MAX_SIGNALS = 100000 };

static int mode_aborts(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	pthread_t self = pthread_self(), t;
	struct nano_totals t0, t1;
	long pairs = 0, sigs = 0;

	need_front(0);
	pin(cpu0);
	CHECK(signal(SIGUSR1, on_usr1) != SIG_ERR);
	nano_free(nano_malloc(32));          /* the class's cache is ready */
	t0 = totals();
	CHECK(pthread_create(&t, NULL, signaller, &self) == 0);
	double give_up = now_s() + 40;
	for (;;) {
		for (int i = 0; i < 1000; i++) {
			void *volatile p = nano_malloc(32);
			nano_free(p);
		}
		pairs += 1000;
		sigs = atomic_load(&signals_seen);
		if (sigs >= MAX_SIGNALS || now_s() > give_up)
			break;
		if (sigs >= MIN_SIGNALS && totals().front.aborts > t0.front.aborts)
			break;
	}
	atomic_store(&stop_signals, 1);
	CHECK(pthread_join(t, NULL) == 0);
	t1 = totals();
	printf("aborts: %ld malloc/free pairs, %ld signals handled, %" PRIu64 " rseq aborts counted, "
	       "%" PRIu64 " refills\n", pairs, sigs,
	       t1.front.aborts - t0.front.aborts, t1.front.refills - t0.front.refills);
	CHECK_MSG(sigs >= MIN_SIGNALS, "only %ld signals in 40 s: the signaller never ran", sigs);
	CHECK_EQ(t1.front.cache_allocs - t0.front.cache_allocs, pairs);
	CHECK_MSG(t1.front.aborts > t0.front.aborts,
		  "%ld signals into %ld malloc/free pairs, and not one rseq abort counted",
		  sigs, pairs);
	return 0;
}

/* ========================================================================
 * fork from a worker while the others churn
 * ====================================================================== */

#define FORKS 8

static unsigned forks_done;

static void *child_churn(void *arg)
{
	uint64_t rng = nt_seed((uint64_t)(uintptr_t)arg), id = (uint64_t)(uintptr_t)arg << 40;
	struct rec keep[64];
	unsigned n = 0;
	for (int i = 0; i < 50000; i++) {
		if (n == 64 || (n && (nt_rand(&rng) & 1)))
			blk_free(&keep[--n], &rng);
		else
			keep[n++] = blk_new(1 + nt_rand(&rng) % 256, ++id);
	}
	while (n)
		blk_free(&keep[--n], &rng);
	return NULL;
}

/* In the child: one thread now (the forking worker's). */
static void fork_child(struct worker *w)
{
	struct nano_settings s;
	struct nano_totals a, b;
	pthread_t t;
	alarm(30);
	nano_get_settings(&s);
	CHECK_STR(s.front, "rseq");
	a = totals();
	while (w->nlocal)                   /* the parent's blocks */
		blk_free(&w->local[--w->nlocal], &w->rng);
	CHECK(pthread_create(&t, NULL, child_churn, (void *)(uintptr_t)1) == 0);
	child_churn((void *)(uintptr_t)2);
	CHECK(pthread_join(t, NULL) == 0);
	(void)nano_pressure_relief();
	child_churn((void *)(uintptr_t)3);
	b = totals();
	CHECK(b.front.cache_allocs > a.front.cache_allocs);
	fflush(NULL);
	_exit(0);
}

/* Worker 0's extra step: a fork every 0.25 s, FORKS in all. */
static void fork_step(struct worker *w)
{
	static double next;
	int status;
	if (__atomic_load_n(&forks_done, __ATOMIC_RELAXED) == FORKS || now_s() < next)
		return;
	next = now_s() + 0.25;
	fflush(NULL);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0)
		fork_child(w);
	while (waitpid(pid, &status, 0) < 0)
		CHECK(errno == EINTR);
	CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "fork child %u: status 0x%x (%s)", forks_done, status,
		  WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "exited");
	__atomic_store_n(&forks_done, forks_done + 1, __ATOMIC_RELAXED);
}

/* The load goes on past its 3 s until FORKS forks happened (a loaded
 * machine slows the children; the test's timeout bounds the wait). */
static int forks_pending(void)
{
	return __atomic_load_n(&forks_done, __ATOMIC_RELAXED) < FORKS;
}

static int mode_fork(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	struct load l = { .threads = 8, .seconds = 3.0, .extra = fork_step, .more = forks_pending };
	struct nano_totals t0, t1;

	need_front(0);
	t0 = totals();
	run_load(&l);
	t1 = totals();
	print_load("fork", &t1, &l);
	printf("fork: %u children forked by a worker, all exited 0\n", forks_done);
	CHECK_EQ(forks_done, FORKS);
	check_after_load(&t0, &t1, &l);
	check_front_served(&t0, &t1, &l);
	return 0;
}

/* ========================================================================
 * unregistered: one thread without rseq among threads with it
 * ====================================================================== */

#ifndef RSEQ_FLAG_UNREGISTER
#define RSEQ_FLAG_UNREGISTER 1
#endif

static atomic_int unregistered;

/* Worker 0's extra step: unregister glibc's rseq area of this thread, once
 * (the kernel then reports cpu_id -1 there). */
static void unregister_step(struct worker *w)
{
	(void)w;
#if NANO_HAVE_RSEQ && defined(__NR_rseq)
	if (atomic_load(&unregistered))
		return;
	struct rseq *rs = (struct rseq *)((char *)__builtin_thread_pointer() + __rseq_offset);
	/* the length must be the one glibc registered: __rseq_size, or the
	 * original 32 bytes where glibc reports only the fields it uses */
	CHECK_MSG(syscall(__NR_rseq, rs, __rseq_size, RSEQ_FLAG_UNREGISTER, RSEQ_SIG) == 0 ||
		  syscall(__NR_rseq, rs, 32, RSEQ_FLAG_UNREGISTER, RSEQ_SIG) == 0,
		  "rseq unregister: %s", strerror(errno));
	CHECK((int)__atomic_load_n(&rs->cpu_id, __ATOMIC_RELAXED) < 0);
	atomic_store(&unregistered, 1);
#endif
}

static int mode_unregistered(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	struct load l = { .threads = 6, .seconds = 2.0, .extra = unregister_step };
	struct nano_totals t0, t1;

	need_front(0);
	t0 = totals();
	run_load(&l);
	t1 = totals();
	print_load("unregistered", &t1, &l);
	CHECK_MSG(atomic_load(&unregistered), "worker 0 never unregistered its rseq area");
	check_after_load(&t0, &t1, &l);
	/* worker 0's mallocs and frees took v1's path, the others' the front */
	CHECK(t1.front.v1_allocs - t0.front.v1_allocs > 0);
	CHECK(t1.front.v1_frees - t0.front.v1_frees > 0);
	CHECK(t1.front.cache_allocs - t0.front.cache_allocs > 0);
	CHECK_EQ((t1.front.cache_allocs - t0.front.cache_allocs) +
		 (t1.front.v1_allocs - t0.front.v1_allocs), l.allocs);
	return 0;
}

/* ========================================================================
 * onecpu: many threads on one CPU's caches
 * ====================================================================== */

#define ONECPU_THREADS 8
#define ONECPU_LOCAL 48
#define ONECPU_SIZE 48

static struct rec onecpu_box[ONECPU_THREADS];     /* one hand-off slot each */
static pthread_mutex_t onecpu_mu = PTHREAD_MUTEX_INITIALIZER;
static atomic_int onecpu_stop;

static void *onecpu_main(void *arg)
{
	unsigned idx = (unsigned)(uintptr_t)arg;
	uint64_t rng = nt_seed(idx + 77), ids = (uint64_t)idx << 40;
	struct rec local[ONECPU_LOCAL];
	unsigned n = 0;
	pin(cpu0);
	while (!atomic_load_explicit(&onecpu_stop, memory_order_relaxed)) {
		uint64_t r = nt_rand(&rng);
		if (n < ONECPU_LOCAL && (n == 0 || (r & 1))) {
			local[n++] = blk_new(ONECPU_SIZE, ++ids);
		} else if (r & 2) {
			blk_free(&local[--n], &rng);
		} else {
			/* swap one with another thread's hand-off slot */
			unsigned j = (unsigned)(r >> 8) % ONECPU_THREADS;
			struct rec mine = local[--n], theirs;
			blk_check(&mine);
			pthread_mutex_lock(&onecpu_mu);
			theirs = onecpu_box[j];
			onecpu_box[j] = mine;
			pthread_mutex_unlock(&onecpu_mu);
			if (theirs.p)
				blk_free(&theirs, &rng);
		}
	}
	while (n)
		blk_free(&local[--n], &rng);
	return NULL;
}

static void onecpu_load(double seconds)
{
	pthread_t t[ONECPU_THREADS];
	uint64_t rng = nt_seed(5);
	atomic_store(&onecpu_stop, 0);
	for (unsigned i = 0; i < ONECPU_THREADS; i++)
		CHECK(pthread_create(&t[i], NULL, onecpu_main, (void *)(uintptr_t)i) == 0);
	usleep((useconds_t)(seconds * 1e6));
	atomic_store(&onecpu_stop, 1);
	for (unsigned i = 0; i < ONECPU_THREADS; i++)
		CHECK(pthread_join(t[i], NULL) == 0);
	for (unsigned i = 0; i < ONECPU_THREADS; i++)
		if (onecpu_box[i].p)
			blk_free(&onecpu_box[i], &rng);
}

static int mode_onecpu(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	struct nano_totals t0, t1;
	need_front(0);
#ifndef NANO_FRONT_NO_RESTART
	t0 = totals();
	onecpu_load(2.0);
	t1 = totals();
	printf("onecpu: %" PRIu64 " allocs on one CPU, %" PRIu64 " rseq aborts, all blocks intact\n",
	       t1.all.allocs - t0.all.allocs, t1.front.aborts - t0.front.aborts);
	CHECK_EQ(t1.all.in_use, t0.all.in_use);
	check_identity(&t1);
	return 0;
#else
	int status;
	double start = now_s();
	(void)t0;
	(void)t1;
	fflush(NULL);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		alarm(40);
		onecpu_load(30.0);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0)
		CHECK(errno == EINTR);
	printf("onecpu without restarts: the child %s after %.1f s\n",
	       WIFEXITED(status) ? (WEXITSTATUS(status) ? "failed a check" : "finished clean")
				 : strsignal(WTERMSIG(status)),
	       now_s() - start);
	CHECK_MSG(!(WIFEXITED(status) && WEXITSTATUS(status) == 0),
		  "30 s of 8 threads on one CPU without rseq restarts, and no corruption caught");
	return 0;
#endif
}

/* ======================================================================== */

static const struct front_mode modes[] = {
	{ "stress", mode_stress },
	{ "relief_concurrent", mode_relief_concurrent },
	{ "fallback", mode_fallback },
	{ "unregistered", mode_unregistered },
	{ "onecpu", mode_onecpu },
	{ "aborts", mode_aborts },
	{ "fork", mode_fork },
};

FRONT_MAIN(modes, "test_front stress [CAP [THREADS [SECONDS]]] | relief_concurrent [CAP] | "
		  "fallback [env] | unregistered | onecpu | aborts | fork")
