/*
 * wl_harness.c - running one cell (see wl_harness.h for the sequence).
 *
 * Threads and slots. A slot is one of the T measured workers. Normally one
 * thread runs a slot from the start gate to the end; a workload may instead
 * return WL_STEP_HANDOVER, and the slot continues on a freshly created thread
 * (it inherits the CPU binding of its creator, and joins it first). Every
 * thread stores its own id in the slot when it starts, and the main thread
 * joins the slot's last thread once all slots have reported finished; so
 * every thread is joined exactly once without the main thread chasing ids.
 *
 * Time. The wall time is from the earliest worker start (right after the
 * gate opens) to the latest slot finish, both CLOCK_MONOTONIC.
 */
#include "wl_harness.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "wl_topo.h"

static struct wl_run the_run;

/* ------------------------------------------------------------------------
 * Memory, failure, release
 * ---------------------------------------------------------------------- */

/* Room for one more mapping in r->mem: the table grows by doubling, itself
 * mapped (a workload asks for one or two mappings a thread, and a run may
 * have thousands of threads). */
static int mem_room(struct wl_run *r)
{
	if (r->nmem < r->mem_cap)
		return 0;
	unsigned cap = r->mem_cap ? 2 * r->mem_cap : 64;
	struct wl_mapping *t = mmap(NULL, cap * sizeof(*t), PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t == MAP_FAILED)
		return -1;
	if (r->mem) {
		memcpy(t, r->mem, r->nmem * sizeof(*t));
		munmap(r->mem, r->mem_cap * sizeof(*t));
	}
	r->mem = t;
	r->mem_cap = cap;
	return 0;
}

void *wl_mem(struct wl_run *r, size_t bytes)
{
	void *p;
	if (bytes == 0 || mem_room(r))
		return NULL;
	/* populated now, in set-up: the harness's own memory (a workload's
	 * records, its per-thread state) never takes a page fault inside the
	 * measured interval, where it would be counted as the allocator's */
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
		 -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	r->mem[r->nmem].p = p;
	r->mem[r->nmem++].len = bytes;
	return p;
}

static void mem_release_all(struct wl_run *r)
{
	for (unsigned i = 0; i < r->nmem; i++)
		munmap(r->mem[i].p, r->mem[i].len);
	if (r->mem)
		munmap(r->mem, r->mem_cap * sizeof(*r->mem));
	r->mem = NULL;
	r->nmem = r->mem_cap = 0;
}

/* Raise the stop flag, and wake the workload's waiting threads (xmalloc's
 * queue) so they see it. */
static void raise_stop(struct wl_run *r)
{
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	if (r->wl->wake && r->shared)
		r->wl->wake(r);
}

void wl_fail(struct wl_run *r, const char *fmt, ...)
{
	va_list ap;
	if (__atomic_exchange_n(&r->failed, 1, __ATOMIC_ACQ_REL) == 0) {
		va_start(ap, fmt);
		vsnprintf(r->fail_msg, sizeof(r->fail_msg), fmt, ap);
		va_end(ap);
	}
	raise_stop(r);
}

void wl_fail_tag(struct wl_thread *t, const struct wl_blk *b)
{
	wl_fail(t->run, "block verification failed: block %p (%u bytes) of thread %u was "
		"written by someone else (handed out twice or overwritten)",
		b->p, b->size, t->id);
}

int wl_fail_null(struct wl_thread *t, struct wl_blk *b, uint32_t size)
{
	b->p = NULL;
	wl_fail(t->run, "malloc(%u) returned NULL in thread %u", size, t->id);
	return -1;
}

void wl_release(struct wl_run *r, struct wl_blk *b)
{
	if (!b->p)
		return;
	if (!wl_tag_check(b, r->touch, r->salt)) {
		wl_fail(r, "block verification failed at teardown: block %p (%u bytes) was "
			"written by someone else (handed out twice or overwritten)", b->p, b->size);
		b->p = NULL;
		return;
	}
	wl_raw_put(b->p, r->release_how);
	b->p = NULL;
}

struct wl_cxx wl_cxx;

int wl_cxx_bind(struct wl_run *r)
{
	static const char *const lib = "libstdc++.so.6";
	void *n = dlsym(RTLD_DEFAULT, "_Znam"), *d = dlsym(RTLD_DEFAULT, "_ZdaPv");
	/* Loaded with RTLD_GLOBAL, libstdc++ comes after the preloaded
	 * allocator in the lookup order, as it does in a C++ program. */
	if ((!n || !d) && dlopen(lib, RTLD_NOW | RTLD_GLOBAL)) {
		n = dlsym(RTLD_DEFAULT, "_Znam");
		d = dlsym(RTLD_DEFAULT, "_ZdaPv");
	}
	if (!n || !d) {
		const char *why = dlerror();
		wl_fail(r, "cxx=1 needs C++'s operator new[] and delete[]: %s could not be loaded "
			"(%s); install libstdc++6 or use cxx=0", lib, why ? why : "not found");
		return -1;
	}
	*(void **)&wl_cxx.new_arr = n;
	*(void **)&wl_cxx.delete_arr = d;
	r->release_how = WL_CXX;
	return 0;
}

void wl_release_data(struct wl_run *r, struct wl_blk *b)
{
	(void)r;
	free(b->p);
	b->p = NULL;
}

int wl_give_arrays(struct wl_run *r, size_t n)
{
	for (unsigned i = 0; i < r->nthreads; i++)
		if (!(r->threads[i].state = wl_mem(r, n * sizeof(struct wl_blk))))
			return -1;
	return 0;
}

void wl_release_array(struct wl_run *r, struct wl_blk *blk, size_t n)
{
	for (size_t k = 0; blk && k < n; k++)
		wl_release(r, &blk[k]);
}

void wl_release_arrays(struct wl_run *r, size_t n)
{
	for (unsigned i = 0; i < r->nthreads; i++)
		wl_release_array(r, r->threads[i].state, n);
}

int wl_prealloc(struct wl_thread *t, struct wl_blk *b)
{
	uint32_t size = wl_size_draw(t->sizes, &t->rng);
	/* as the workload gives it back (new[] where it has bound C++'s) */
	b->p = wl_raw_get(size, t->run->release_how & WL_CXX);
	if (!b->p) {
		wl_fail(t->run, "malloc(%u) returned NULL during set-up", size);
		return -1;
	}
	t->touch = t->run->touch;       /* as init has it now */
	wl_adopt(t, b, b->p, size, wl_nonce_take(t), 0);
	t->live_start++;
	return 0;
}

void wl_prealloc_free(struct wl_thread *t, struct wl_blk *b)
{
	if (b->p)
		t->live_start--;
	wl_release(t->run, b);
}

/* ------------------------------------------------------------------------
 * Stretches: counting, the stop flag, the budget, latency samples
 * ---------------------------------------------------------------------- */

/* Longest stretch: how many calls a thread may make without reading the
 * stop flag (about 20 us of calls at 20 ns each). */
#define WL_STRETCH_MAX 1024u

static void wl_sample(struct wl_thread *t, uint64_t a, uint64_t b)
{
	uint64_t d = b - a;
	wl_hist_add(t->hist, d > t->cost_ticks ? d - t->cost_ticks : 0);
}

/* Start the next stretch after the current one's calls are all made: count
 * them, then stop (left = 0) or allow up to the next timed call, the
 * stretch limit or the budget, whichever comes first. */
static void next_stretch(struct wl_thread *t)
{
	uint64_t ops = t->ops + t->stretch, n;
	const uint64_t nonce = t->lc & ~(WL_LC_NONCE - 1);
	/* fold the nonce's steps into the 64-bit count, so that it never
	 * wraps for the supervisor */
	__atomic_store_n(&t->mallocs, t->mallocs + (uint32_t)((uint32_t)(nonce >> 32) - t->mark),
			 __ATOMIC_RELAXED);
	__atomic_store_n(&t->mark, (uint32_t)(nonce >> 32), __ATOMIC_RELAXED);
	__atomic_store_n(&t->ops, ops, __ATOMIC_RELAXED);
	__atomic_store_n(&t->stretch, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&t->lc, nonce, __ATOMIC_RELAXED);
	if (ops >= t->budget || wl_stopped(t->run))
		return;
	n = t->budget - ops;
	if (n > WL_STRETCH_MAX)
		n = WL_STRETCH_MAX;
	t->timed = n >= t->sample_left;
	if (t->timed) {
		n = t->sample_left;
		t->sample_left = t->sample_every;
	} else {
		t->sample_left -= (uint32_t)n;
	}
	__atomic_store_n(&t->stretch, (uint32_t)n, __ATOMIC_RELAXED);
	__atomic_store_n(&t->lc, nonce | n, __ATOMIC_RELAXED);
}

/* The calls a slot made, at any point (from its own thread). */
static uint64_t ops_made(const struct wl_thread *t)
{
	return t->ops + (t->stretch - wl_left(t));
}

/* A slot's live blocks, read by the supervisor while the slot runs: its
 * mallocs are the nonce's steps since the gate (less the uncounted ones),
 * its counted frees the rest of its calls. A racy read is off by at most a
 * stretch, for one 10 ms sample. */
static int64_t live_blocks(const struct wl_thread *t)
{
	uint64_t ops = __atomic_load_n(&t->ops, __ATOMIC_RELAXED);
	uint32_t stretch = __atomic_load_n(&t->stretch, __ATOMIC_RELAXED);
	uint64_t lc = __atomic_load_n(&t->lc, __ATOMIC_RELAXED);
	uint32_t left = (uint32_t)lc;
	int64_t mallocs = (int64_t)(__atomic_load_n(&t->mallocs, __ATOMIC_RELAXED) +
				    (uint32_t)((uint32_t)(lc >> 32) -
					       __atomic_load_n(&t->mark, __ATOMIC_RELAXED)));
	int64_t qa = __atomic_load_n(&t->quiet_allocs, __ATOMIC_RELAXED);
	int64_t qf = __atomic_load_n(&t->quiet_frees, __ATOMIC_RELAXED);
	int64_t calls = (int64_t)(ops + (stretch >= left ? stretch - left : 0));
	int64_t frees = calls - (mallocs - qa) + qf;
	return t->live_start + mallocs - frees;
}

void *wl_get_last(struct wl_thread *t, size_t size, unsigned how)
{
	void *p;
	if (wl_left(t) == 0 && (how & WL_GO))
		return WL_STOPPED;
	(void)wl_nonce_take(t);   /* the block has the nonce wl_call_get read */
	if (wl_left(t) == 0) {                  /* past the budget: counted anyway */
		__atomic_store_n(&t->ops, t->ops + 1, __ATOMIC_RELAXED);
		return wl_raw_get(size, how);
	}
	if (t->timed) {
		uint64_t a = wl_ticks();
		p = wl_raw_get(size, how);
		wl_sample(t, a, wl_ticks());
	} else {
		p = wl_raw_get(size, how);
	}
	next_stretch(t);
	return p;
}

int wl_put_last(struct wl_thread *t, void *p, unsigned how)
{
	if (wl_left(t) == 0 && (how & WL_GO))
		return 1;
	if (wl_left(t) == 0) {
		__atomic_store_n(&t->ops, t->ops + 1, __ATOMIC_RELAXED);
		wl_raw_put(p, how);
		return 0;
	}
	if (t->timed) {
		uint64_t a = wl_ticks();
		wl_raw_put(p, how);
		wl_sample(t, a, wl_ticks());
	} else {
		wl_raw_put(p, how);
	}
	next_stretch(t);
	return 0;
}

/* ------------------------------------------------------------------------
 * Worker threads
 * ---------------------------------------------------------------------- */

/* Arrive at the gate, then wait until it opens. The wait is on the open
 * word itself (a futex), not on a condition variable: a woken waiter of a
 * condition variable takes its mutex again, one after another, and with
 * more threads than CPUs each holder waits for a CPU while the others run,
 * so the last slots passed the gate seconds after the first (256 threads on
 * 2 CPUs: a 0.2 s threadtest cell ran 16 s, its slots started over 15 s). */
static void gate_wait(struct wl_run *r)
{
	pthread_mutex_lock(&r->gate_lock);
	r->arrived++;
	pthread_cond_signal(&r->gate_arrived);
	pthread_mutex_unlock(&r->gate_lock);
	while (!__atomic_load_n(&r->open, __ATOMIC_ACQUIRE))
		syscall(SYS_futex, &r->open, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
}

/* The rest (wl_harness.h). The last slot to arrive sleeps for the others
 * and wakes them. The waiting slots look every 10 ms at the stop flag (a
 * deadline, a failure) and at the slots finished: a slot whose --ops
 * budget ran out never arrives, and once one has finished the others go on
 * without resting. */
int wl_rest(struct wl_thread *t, unsigned ms)
{
	struct wl_run *r = t->run;

	pthread_mutex_lock(&r->rest_lock);
	const uint64_t gen = r->rest_gen;
	if (__atomic_load_n(&r->finished, __ATOMIC_ACQUIRE)) {
		/* no rest can gather every slot any more */
	} else if (++r->rest_arrived == r->nthreads) {
		/* asleep in steps of at most 10 ms: a stop (a failure, or a
		 * deadline reached while the slots gathered) ends the rest */
		const uint64_t t0 = wl_now_ns(), until = t0 + (uint64_t)ms * 1000000u;
		r->rest_arrived = 0;
		__atomic_store_n(&r->rest_since, t0, __ATOMIC_RELEASE);
		pthread_mutex_unlock(&r->rest_lock);
		for (uint64_t now = t0; now < until && !wl_stopped(r); now = wl_now_ns()) {
			const uint64_t step = until - now < 10000000u ? until - now : 10000000u;
			const struct timespec nap = { 0, (long)step };
			nanosleep(&nap, NULL);
		}
		pthread_mutex_lock(&r->rest_lock);
		__atomic_add_fetch(&r->rest_ns, wl_now_ns() - t0, __ATOMIC_RELEASE);
		__atomic_store_n(&r->rest_since, 0, __ATOMIC_RELEASE);
		r->rest_gen++;
		pthread_cond_broadcast(&r->rest_done);
	} else {
		while (r->rest_gen == gen && !wl_stopped(r) &&
		       !__atomic_load_n(&r->finished, __ATOMIC_ACQUIRE)) {
			const uint64_t at = wl_now_ns() + 10000000u;   /* rest_done's clock */
			const struct timespec until = { (time_t)(at / 1000000000u),
							(long)(at % 1000000000u) };
			pthread_cond_timedwait(&r->rest_done, &r->rest_lock, &until);
		}
		/* leave without resting, unless everyone had arrived (the
		 * last one is asleep: stopped meanwhile by a failure) */
		if (r->rest_gen == gen && !__atomic_load_n(&r->rest_since, __ATOMIC_RELAXED))
			r->rest_arrived--;
	}
	const int rc = wl_stopped(r) ? -1 : 0;
	pthread_mutex_unlock(&r->rest_lock);
	return rc;
}

static void *slot_main(void *arg);

static int hand_over(struct wl_thread *t)
{
	pthread_t next;
	t->prev = pthread_self();
	if (pthread_create(&next, NULL, slot_main, t) == 0)
		return 0;
	wl_fail(t->run, "could not create a successor thread for slot %u", t->id);
	return -1;
}

static void *slot_main(void *arg)
{
	struct wl_thread *t = arg;
	struct wl_run *r = t->run;

	if (t->generations++ == 0) {
		t->tid = pthread_self();
		if (t->cpu_target >= 0 && wl_topo_bind_self(r->cfg->topo, t->cpu_target))
			wl_fail(r, "could not bind thread %u to CPU %d: %s", t->id, t->cpu_target,
				strerror(errno));
		t->cpu_seen_first = sched_getcpu();
		gate_wait(r);
		__atomic_store_n(&t->start_ns, wl_now_ns(), __ATOMIC_RELEASE);
		next_stretch(t);
	} else {
		pthread_join(t->prev, NULL);
		t->tid = pthread_self();
	}
	if (r->wl->thread(t) == WL_STEP_HANDOVER && !wl_stopped(r) && wl_go(t) &&
	    hand_over(t) == 0)
		return NULL;
	__atomic_store_n(&t->ops, ops_made(t), __ATOMIC_RELAXED);
	__atomic_store_n(&t->stretch, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&t->lc, t->lc & ~(WL_LC_NONCE - 1), __ATOMIC_RELAXED);
	t->cpu_seen_last = sched_getcpu();
	t->finish_ns = wl_now_ns();
	t->finished = 1;
	__atomic_fetch_add(&r->finished, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* ------------------------------------------------------------------------
 * Set-up
 * ---------------------------------------------------------------------- */

static int setup_sizes(struct wl_run *r, const struct wl_config *cfg, char *err, size_t n)
{
	char spec[128];
	if (cfg->size_dist)
		snprintf(spec, sizeof(spec), "%s", cfg->size_dist);
	else if (r->wl->sizes)
		r->wl->sizes(cfg->param, spec, sizeof(spec));
	else
		snprintf(spec, sizeof(spec), "%s", r->wl->default_dist);
	return wl_sizes_parse(&r->sizes, spec, err, n);
}

static int setup_slots(struct wl_run *r, const struct wl_config *cfg)
{
	struct wl_hist *h;
	unsigned n = cfg->nthreads;

	r->threads = wl_mem(r, n * sizeof(struct wl_thread));
	h = wl_mem(r, n * sizeof(struct wl_hist));
	if (!r->threads || !h)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		struct wl_thread *t = &r->threads[i];
		t->id = i;
		t->run = r;
		t->sizes = &r->sizes;
		t->hist = &h[i];
		t->cost_ticks = r->clock.cost_ticks;
		t->sample_every = cfg->sample_every;
		t->sample_left = cfg->sample_every;
		t->lc = (uint64_t)(i * 0x9e3779b9u) << 32;   /* nonces far apart */
		t->salt = r->salt;
		wl_rng_seed(&t->rng, cfg->seed, i);
		t->budget = UINT64_MAX;
		if (cfg->end == WL_END_OPS)
			t->budget = cfg->ops / n + (i < cfg->ops % n);
		t->cpu_target = cfg->cpus ? cfg->cpus[i] : -1;
		t->cpu_seen_first = t->cpu_seen_last = -1;
	}
	return 0;
}

static void run_reset(struct wl_run *r, const struct wl_config *cfg)
{
	memset(r, 0, sizeof(*r));
	r->cfg = cfg;
	r->wl = cfg->wl;
	r->param = cfg->param;
	r->nthreads = cfg->nthreads;
	r->touch = cfg->wl->touch;
	r->salt = wl_mix64(cfg->seed ^ 0x74616773616c74ull);
	pthread_mutex_init(&r->gate_lock, NULL);
	pthread_cond_init(&r->gate_arrived, NULL);
	pthread_mutex_init(&r->rest_lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->rest_done, &ca);
	pthread_condattr_destroy(&ca);
}

/* ------------------------------------------------------------------------
 * The measured interval
 * ---------------------------------------------------------------------- */

struct snapshot {
	int64_t perf[WL_PERF_COUNT];
	struct rusage ru;
	int64_t steal;
	struct wl_nano_snap nano;
};

static void take_snapshot(struct snapshot *s, const struct wl_perf *perf)
{
	wl_perf_read(perf, s->perf);
	getrusage(RUSAGE_SELF, &s->ru);
	s->steal = wl_steal_ticks();
	wl_nano_snapshot(&s->nano);
}

static int64_t live_now(const struct wl_run *r)
{
	int64_t sum = 0;
	for (unsigned i = 0; i < r->nthreads; i++)
		sum += live_blocks(&r->threads[i]);
	return sum;
}

/* Have all slots passed the gate? (On a loaded machine a woken thread may
 * wait for a CPU longer than a short run lasts.) */
static int all_started(struct wl_run *r)
{
	for (unsigned i = 0; i < r->nthreads; i++)
		if (!__atomic_load_n(&r->threads[i].start_ns, __ATOMIC_ACQUIRE))
			return 0;
	return 1;
}

/* Sleep in 10 ms steps until every slot finished; raise the stop flag at
 * the deadline, counted from when every slot has started, so that no slot
 * of a timed run is stopped before its first call. Returns the peak live
 * blocks seen. */
static int64_t supervise(struct wl_run *r, const struct wl_config *cfg)
{
	const uint64_t length = (uint64_t)(cfg->seconds * 1e9);
	uint64_t deadline = UINT64_MAX;
	int64_t peak = live_now(r);
	struct timespec step = { 0, 10 * 1000 * 1000 };

	for (;;) {
		if (cfg->end == WL_END_TIME && deadline == UINT64_MAX && all_started(r))
			deadline = wl_now_ns() + length;
		if (__atomic_load_n(&r->finished, __ATOMIC_ACQUIRE) >= r->nthreads)
			break;
		nanosleep(&step, NULL);
		int64_t live = live_now(r);
		if (live > peak)
			peak = live;
		/* the rests are outside the measured time: none ends a run, and
		 * the deadline moves by their length */
		if (!__atomic_load_n(&r->rest_since, __ATOMIC_ACQUIRE) &&
		    wl_now_ns() - __atomic_load_n(&r->rest_ns, __ATOMIC_ACQUIRE) >= deadline &&
		    !wl_stopped(r))
			raise_stop(r);
	}
	for (unsigned i = 0; i < r->nthreads; i++)
		pthread_join(r->threads[i].tid, NULL);
	int64_t live = live_now(r);
	return live > peak ? live : peak;
}

static unsigned start_workers(struct wl_run *r)
{
	unsigned created = 0;
	for (unsigned i = 0; i < r->nthreads; i++) {
		pthread_t tid;
		if (pthread_create(&tid, NULL, slot_main, &r->threads[i])) {
			wl_fail(r, "could not create worker thread %u: %s", i, strerror(errno));
			break;
		}
		created++;
	}
	r->nthreads = created;
	return created;
}

static void open_gate(struct wl_run *r, unsigned created, struct snapshot *before,
		      const struct wl_perf *perf)
{
	pthread_mutex_lock(&r->gate_lock);
	while (r->arrived < created)
		pthread_cond_wait(&r->gate_arrived, &r->gate_lock);
	take_snapshot(before, perf);
	pthread_mutex_unlock(&r->gate_lock);
	__atomic_store_n(&r->open, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &r->open, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

/* Fails a slot that did not stay on the CPU it was pinned to. */
static void check_pinning(struct wl_run *r)
{
	for (unsigned i = 0; i < r->nthreads; i++) {
		struct wl_thread *t = &r->threads[i];
		if (t->cpu_target < 0)
			continue;
		if (t->cpu_seen_first != t->cpu_target || t->cpu_seen_last != t->cpu_target)
			wl_fail(r, "thread %u was pinned to CPU %d but ran on CPU %d/%d", i,
				t->cpu_target, t->cpu_seen_first, t->cpu_seen_last);
	}
}

/* ------------------------------------------------------------------------
 * Results
 * ---------------------------------------------------------------------- */

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void fill_cpus_used(struct wl_run *r, struct wl_result *res)
{
	static unsigned char seen[65536];
	size_t len = 0;

	memset(seen, 0, sizeof(seen));
	for (unsigned i = 0; i < r->nthreads; i++) {
		const struct wl_thread *t = &r->threads[i];
		if (t->cpu_seen_first >= 0 && t->cpu_seen_first < 65536)
			seen[t->cpu_seen_first] = 1;
		if (t->cpu_seen_last >= 0 && t->cpu_seen_last < 65536)
			seen[t->cpu_seen_last] = 1;
	}
	/* runs of three or more as A-B ("0-127"), so that a big machine's set
	 * fits; one that still does not ends in "..." */
	res->cpus_used[0] = 0;
	for (unsigned c = 0; c < 65536; c++) {
		if (!seen[c])
			continue;
		unsigned end = c;
		while (end + 1 < 65536 && seen[end + 1])
			end++;
		if (len + 16 >= sizeof(res->cpus_used)) {
			snprintf(res->cpus_used + len, sizeof(res->cpus_used) - len, ";...");
			break;
		}
		if (end < c + 2)
			end = c;        /* a pair is written as two numbers */
		len += (size_t)snprintf(res->cpus_used + len, sizeof(res->cpus_used) - len,
					end > c ? "%s%u-%u" : "%s%u", len ? ";" : "", c, end);
		c = end;
	}
}

static void fill_latency(struct wl_run *r, struct wl_result *res)
{
	static struct wl_hist all;
	double k = r->clock.ns_per_tick;

	memset(&all, 0, sizeof(all));
	for (unsigned i = 0; i < r->nthreads; i++)
		wl_hist_merge(&all, r->threads[i].hist);
	res->samples = all.count;
	res->p50_ns = wl_hist_quantile(&all, 0.50) * k;
	res->p90_ns = wl_hist_quantile(&all, 0.90) * k;
	res->p99_ns = wl_hist_quantile(&all, 0.99) * k;
	res->p999_ns = wl_hist_quantile(&all, 0.999) * k;
	res->max_ns = wl_hist_quantile(&all, 1.0) * k;
	res->timer_cost_ns = r->clock.cost_ns;
	res->timer_res_ns = r->clock.res_ns;
}

static void fill_counts(struct wl_run *r, struct wl_result *res)
{
	uint64_t t0 = UINT64_MAX, t1 = 0;

	res->ops_min = UINT64_MAX;
	for (unsigned i = 0; i < r->nthreads; i++) {
		const struct wl_thread *t = &r->threads[i];
		res->total_ops += t->ops;
		if (t->ops < res->ops_min)
			res->ops_min = t->ops;
		if (t->ops > res->ops_max)
			res->ops_max = t->ops;
		if (t->start_ns && t->start_ns < t0)
			t0 = t->start_ns;
		if (t->finish_ns > t1)
			t1 = t->finish_ns;
		res->threads_created += t->generations;
	}
	if (r->nthreads == 0)
		res->ops_min = 0;
	/* the measured time: the rests (wl_rest) taken out */
	const uint64_t rest = __atomic_load_n(&r->rest_ns, __ATOMIC_ACQUIRE);
	res->seconds = t1 > t0 + rest ? (double)(t1 - t0 - rest) / 1e9 : 0;
	res->rest_s = (double)rest / 1e9;
}

static void fill_result(struct wl_run *r, struct wl_result *res, const struct snapshot *a,
			const struct snapshot *b, int64_t peak)
{
	long hz = sysconf(_SC_CLK_TCK);

	fill_counts(r, res);
	fill_latency(r, res);
	fill_cpus_used(r, res);
	res->peak_live_bytes = (int64_t)((double)peak * wl_sizes_mean(&r->sizes));
	res->rss_peak_kib = b->ru.ru_maxrss;
	res->minflt = b->ru.ru_minflt - a->ru.ru_minflt;
	res->majflt = b->ru.ru_majflt - a->ru.ru_majflt;
	res->nvcsw = b->ru.ru_nvcsw - a->ru.ru_nvcsw;
	res->nivcsw = b->ru.ru_nivcsw - a->ru.ru_nivcsw;
	res->user_s = tv_s(b->ru.ru_utime) - tv_s(a->ru.ru_utime);
	res->sys_s = tv_s(b->ru.ru_stime) - tv_s(a->ru.ru_stime);
	res->steal_s = a->steal >= 0 && b->steal >= 0 && hz > 0 ?
		(double)(b->steal - a->steal) / (double)hz : -1;
	for (int i = 0; i < WL_PERF_COUNT; i++)
		res->perf[i] = a->perf[i] >= 0 && b->perf[i] >= 0 ? b->perf[i] - a->perf[i] : -1;
	wl_nano_info(&res->nano, &a->nano, &b->nano);
}

/* After init: every slot takes the touch the workload settled on, and its
 * live-block count starts from what set-up left it; the record says what
 * the tags cover (wl_tag.h). */
static void arm_slots(struct wl_run *r, struct wl_result *res)
{
	const char *what = r->touch == 0 ? "ends/64" :
			   r->touch >= wl_sizes_max(&r->sizes) ? "ends" : "first+ends/64";
	for (unsigned i = 0; i < r->nthreads; i++) {
		r->threads[i].touch = r->touch;
		r->threads[i].mallocs = 0;
		r->threads[i].mark = (uint32_t)(r->threads[i].lc >> 32);
	}
	snprintf(res->verify, sizeof(res->verify), "%s", what);
}

int wl_check_config(const struct wl_config *cfg, char *err, size_t errlen)
{
	static struct wl_run r;
	r.cfg = cfg;
	r.wl = cfg->wl;
	r.param = cfg->param;
	r.nthreads = cfg->nthreads;
	return cfg->wl->check ? cfg->wl->check(&r, err, errlen) : 0;
}

int wl_run_cell(const struct wl_config *cfg, struct wl_result *res)
{
	struct wl_run *r = &the_run;
	struct snapshot before, after;
	struct wl_perf perf;
	unsigned created;
	int64_t peak;

	run_reset(r, cfg);
	memset(res, 0, sizeof(*res));
	res->steal_s = -1;
	for (int i = 0; i < WL_PERF_COUNT; i++)
		res->perf[i] = -1;
	if (r->wl->check && r->wl->check(r, res->message, sizeof(res->message)))
		return -1;
	if (setup_sizes(r, cfg, res->message, sizeof(res->message)))
		return -1;
	snprintf(res->size_dist, sizeof(res->size_dist), "%.127s", r->sizes.spec);
	wl_clock_calibrate(&r->clock);
	if (setup_slots(r, cfg)) {
		snprintf(res->message, sizeof(res->message), "out of memory for %u threads",
			 cfg->nthreads);
		return -1;
	}
	res->rss_base_kib = wl_rss_kib();
	const int set_up = r->wl->init(r) == 0;
	if (!set_up && !r->failed)
		/* a set-up that could not get its memory measured nothing */
		wl_fail(r, "the set-up failed (out of memory for the workload's own state?)");
	if (set_up) {
		arm_slots(r, res);
		wl_perf_open(&perf);
		created = start_workers(r);
		open_gate(r, created, &before, &perf);
		peak = supervise(r, cfg);
		take_snapshot(&after, &perf);
		wl_perf_close(&perf);
		check_pinning(r);
		fill_result(r, res, &before, &after, peak);
	}
	if (r->wl->teardown)
		r->wl->teardown(r);
	res->rss_after_free_kib = wl_rss_kib();
	res->failed = r->failed;
	if (r->failed)
		snprintf(res->message, sizeof(res->message), "%.319s", r->fail_msg);
	wl_sizes_free(&r->sizes);
	mem_release_all(r);
	return 0;
}
