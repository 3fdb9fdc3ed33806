/*
 * nano_stats.c - statistics and settings of the nano zone.
 *
 * Most counts cost nothing on the fast path because they are already kept
 * for another reason:
 *   - list pops and pushes: the free-list generation counts them in two
 *     halves (nano_internal.h), so every successful CAS is also a count;
 *   - bump allocations: follow from the bump pointer, the first block of the
 *     current band and the blocks carved in earlier bands;
 *   - bands and bytes: kept by the grower under its lock.
 * Two counts happen on paths of their own and live in per-thread records:
 *   - CAS retries (only on the retry path of a pop or push);
 *   - remote frees (a free whose block belongs to another magazine than the
 *     caller's CPU: costs one CPU-number read and a table load per free).
 * A thread takes a record from a static pool the first time it counts (a
 * pthread key's destructor folds it into global totals at thread exit and
 * gives it back, without calling malloc); readers sum the folded totals and
 * every record in use under the registry lock. Built with
 * -Dnano_stats=false, these two counts are compiled out and read as zero.
 */
#include "nano_internal.h"
#include "nano_front.h"
#include "nano_msg.h"

#include <string.h>

#define NCELLS (NANO_MAX_MAGAZINES * NANO_SLOTS)

/* ========================================================================
 * Per-thread counter records
 *
 * A thread's records live in a static pool, never in its TLS: a thread can
 * count after its key destructor ran (glibc frees its own per-thread buffers
 * in __libc_thread_freeres, after the destructors, and such a free may be
 * remote), and nothing would then unlink TLS memory that is about to be
 * reused or unmapped. A pool record taken that late is simply never given
 * back: its counts stay visible, nothing dangles. A thread that finds the
 * pool empty, or that is exiting, counts into the folded totals with atomic
 * adds instead. TLS holds only the record pointer and the exiting flag.
 * ====================================================================== */

#define POOL 256

struct nano_tls_stats {
	uint64_t remote[NCELLS];
	uint64_t retry_pop[NCELLS];
	uint64_t retry_push[NCELLS];
	int in_use;           /* under nano_registry_lock */
};

static struct nano_tls_stats nano_pool[POOL];
static struct nano_tls_stats nano_folded;           /* counters of exited threads */
static __thread struct nano_tls_stats *nano_tls_rec __attribute__((tls_model("initial-exec")));
static __thread int nano_tls_exiting __attribute__((tls_model("initial-exec")));
static pthread_mutex_t nano_registry_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_key_t nano_key;
static int nano_key_ok;

static inline void add_relaxed(uint64_t *c, uint64_t n)
{
	/* One writer (the owning thread); readers load with relaxed atomics. */
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

/* Under the lock: add a record into the folded totals and free it. The
 * folded totals also take atomic adds from exiting threads. */
static void fold_release_locked(struct nano_tls_stats *t)
{
	for (unsigned i = 0; i < NCELLS; i++) {
		__atomic_fetch_add(&nano_folded.remote[i], __atomic_load_n(&t->remote[i], __ATOMIC_RELAXED),
				   __ATOMIC_RELAXED);
		__atomic_fetch_add(&nano_folded.retry_pop[i],
				   __atomic_load_n(&t->retry_pop[i], __ATOMIC_RELAXED), __ATOMIC_RELAXED);
		__atomic_fetch_add(&nano_folded.retry_push[i],
				   __atomic_load_n(&t->retry_push[i], __ATOMIC_RELAXED), __ATOMIC_RELAXED);
	}
	t->in_use = 0;
}

static void nano_tls_exit(void *v)
{
	pthread_mutex_lock(&nano_registry_lock);
	fold_release_locked(v);
	pthread_mutex_unlock(&nano_registry_lock);
	nano_tls_rec = NULL;
	nano_tls_exiting = 1;
}

/* Take a pool record for the calling thread; NULL when the pool is empty. */
__attribute__((noinline))
static struct nano_tls_stats *nano_tls_acquire(void)
{
	struct nano_tls_stats *t = NULL;
	pthread_mutex_lock(&nano_registry_lock);
	for (unsigned i = 0; i < POOL; i++) {
		if (!nano_pool[i].in_use) {
			t = &nano_pool[i];
			memset(t, 0, sizeof(*t));
			t->in_use = 1;
			break;
		}
	}
	pthread_mutex_unlock(&nano_registry_lock);
	if (t) {
		nano_tls_rec = t;
		/* After the lock: for keys beyond the first 32, glibc may malloc here. */
		if (nano_key_ok)
			pthread_setspecific(nano_key, t);
	}
	return t;
}

enum { COUNT_REMOTE, COUNT_RETRY_POP, COUNT_RETRY_PUSH };

static uint64_t *counter(struct nano_tls_stats *t, int kind, unsigned i)
{
	return kind == COUNT_REMOTE ? &t->remote[i] : kind == COUNT_RETRY_POP ? &t->retry_pop[i]
									     : &t->retry_push[i];
}

static void count(int kind, unsigned mag, unsigned slot, uint64_t n)
{
	unsigned i = mag * NANO_SLOTS + slot;
	struct nano_tls_stats *t = nano_tls_rec;
	if (nano_unlikely(!t) && (nano_tls_exiting || !(t = nano_tls_acquire()))) {
		__atomic_fetch_add(counter(&nano_folded, kind, i), n, __ATOMIC_RELAXED);
		return;
	}
	add_relaxed(counter(t, kind, i), n);
}

void nano_stats_init(void)
{
	nano_key_ok = pthread_key_create(&nano_key, nano_tls_exit) == 0;
}

void nano_stats_count_retry_pop(unsigned mag, unsigned slot)
{
	count(COUNT_RETRY_POP, mag, slot, 1);
}

void nano_stats_count_retry_push(unsigned mag, unsigned slot, unsigned n)
{
	count(COUNT_RETRY_PUSH, mag, slot, n);
}

void nano_stats_count_remote(unsigned mag, unsigned slot)
{
	count(COUNT_REMOTE, mag, slot, 1);
}

void nano_stats_atfork_prepare(void)
{
	pthread_mutex_lock(&nano_registry_lock);
}

void nano_stats_atfork_parent(void)
{
	pthread_mutex_unlock(&nano_registry_lock);
}

/* The child has one thread: the other threads' records will never be given
 * back by their destructors, so fold and free them now. */
void nano_stats_atfork_child(void)
{
	for (unsigned i = 0; i < POOL; i++)
		if (nano_pool[i].in_use && &nano_pool[i] != nano_tls_rec)
			fold_release_locked(&nano_pool[i]);
	pthread_mutex_unlock(&nano_registry_lock);
}

/* ========================================================================
 * Readers
 * ====================================================================== */

static uint64_t sub_sat(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/* Counts of one cell, without the thread-local ones.
 *
 * v1's counts (list pops and pushes from the generation, bump allocations
 * from the bump state) cover the v1 path and the list; with the rseq front,
 * its accessor (nano_front_cell) says what passed through the front and what
 * it holds. Every block is accounted for exactly once:
 *   allocs = v1 pops + (carved - carved by the front) + the front's hits
 *   frees  = v1 pushes + the front's cache and remote frees
 *   free   = list + the front's caches, remote buffers and transfer stages,
 *            where the list holds v1 pushes - v1 pops + what the front put
 *            there - what it took - retired
 * so that carved = in use + free + retired. */
static void cell_shared(unsigned mag, unsigned slot, struct nano_counts *c,
			struct nano_front_counts *fc)
{
	struct nano_meta *m = &nano_z.meta[mag][slot];
	uint64_t gen = __atomic_load_n(&m->head.h.gen, __ATOMIC_RELAXED);
	uint64_t pops = (__atomic_load_n(&m->pop_wraps, __ATOMIC_RELAXED) << 32 | (uint32_t)gen) -
			__atomic_load_n(&m->adj_pops, __ATOMIC_RELAXED);
	uint64_t pushes = (__atomic_load_n(&m->push_wraps, __ATOMIC_RELAXED) << 32 | gen >> 32) -
			  __atomic_load_n(&m->adj_pushes, __ATOMIC_RELAXED);
	uint64_t size = nano_z.cls[slot].size;
	struct nano_front_cell fr;

	memset(c, 0, sizeof(*c));
	nano_front_cell(mag, slot, &fr);
	uint64_t carved = nano_carved(m, mag, slot);
	uint64_t bump_v1 = sub_sat(carved, fr.from_bump);

	c->bump_allocs = carved;
	c->allocs = pops + bump_v1 + fr.hits;
	c->frees = pushes + fr.cache_frees + fr.remote_frees;
	c->remote_frees = fr.remote_frees;
	c->retired = __atomic_load_n(&m->retired, __ATOMIC_RELAXED);
	c->in_use = sub_sat(c->allocs, c->frees);
	c->free_blocks = sub_sat(pushes + fr.to_list, pops + fr.from_list + c->retired) + fr.cached +
			 fr.remote + fr.xfer;
	c->bands = __atomic_load_n(&m->bands, __ATOMIC_RELAXED);
	c->bytes_mapped = c->bands * NANO_AREA_SIZE;
	c->bytes_in_use = c->in_use * size;

	if (fc) {
		const struct nano_fmeta *f = fr.fm;
#define FM(field) __atomic_load_n(&f->field, __ATOMIC_RELAXED)
		fc->cache_allocs += fr.hits;
		fc->cache_frees += fr.cache_frees;
		fc->refills += FM(refills);
		fc->refill_blocks += FM(cache_in);
		fc->refills_bump += FM(refills_bump);
		fc->flushes += FM(flushes);
		fc->flush_blocks += FM(flush_blocks);
		fc->chains += FM(rflushes);
		fc->chain_blocks += FM(rflush_blocks);
		fc->drains += FM(drains);
		fc->drain_blocks += FM(drain_blocks);
		fc->v1_allocs += pops + bump_v1;
		fc->v1_frees += pushes;
		fc->cached_blocks += fr.cached;
		fc->chained_blocks += fr.remote;
		fc->xfer_blocks += fr.xfer;
		fc->grows += FM(grows);
		fc->shrinks += FM(shrinks);
#undef FM
	}
}

static void cell_tls_locked(unsigned i, struct nano_counts *c)
{
	const struct nano_tls_stats *t;
	c->remote_frees += __atomic_load_n(&nano_folded.remote[i], __ATOMIC_RELAXED);
	c->retries_pop = __atomic_load_n(&nano_folded.retry_pop[i], __ATOMIC_RELAXED);
	c->retries_push = __atomic_load_n(&nano_folded.retry_push[i], __ATOMIC_RELAXED);
	for (t = nano_pool; t < nano_pool + POOL; t++) {
		if (!t->in_use)
			continue;
		c->remote_frees += __atomic_load_n(&t->remote[i], __ATOMIC_RELAXED);
		c->retries_pop += __atomic_load_n(&t->retry_pop[i], __ATOMIC_RELAXED);
		c->retries_push += __atomic_load_n(&t->retry_push[i], __ATOMIC_RELAXED);
	}
}

int nano_stats_cell(unsigned mag, unsigned slot, struct nano_counts *out)
{
	if (mag >= NANO_MAX_MAGAZINES || slot >= NANO_SLOTS)
		return -1;
	cell_shared(mag, slot, out, NULL);
	pthread_mutex_lock(&nano_registry_lock);
	cell_tls_locked(mag * NANO_SLOTS + slot, out);
	pthread_mutex_unlock(&nano_registry_lock);
	return 0;
}

static void counts_add(struct nano_counts *a, const struct nano_counts *b)
{
	a->allocs += b->allocs;
	a->bump_allocs += b->bump_allocs;
	a->frees += b->frees;
	a->remote_frees += b->remote_frees;
	a->retries_pop += b->retries_pop;
	a->retries_push += b->retries_push;
	a->in_use += b->in_use;
	a->free_blocks += b->free_blocks;
	a->retired += b->retired;
	a->bands += b->bands;
	a->bytes_mapped += b->bytes_mapped;
	a->bytes_in_use += b->bytes_in_use;
}

void nano_stats_totals(struct nano_totals *out)
{
	struct nano_counts c;
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&nano_registry_lock);
	for (unsigned g = 0; g < NANO_MAX_MAGAZINES; g++) {
		for (unsigned s = 0; s < NANO_SLOTS; s++) {
			cell_shared(g, s, &c, &out->front);
			cell_tls_locked(g * NANO_SLOTS + s, &c);
			counts_add(&out->all, &c);
		}
		out->committed_bytes += __atomic_load_n(&nano_z.mags[g].committed, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&nano_registry_lock);
	out->helper_small = __atomic_load_n(&nano_z.helper_small, __ATOMIC_RELAXED);
	out->exhausted_classes = __atomic_load_n(&nano_z.exhausted_classes, __ATOMIC_RELAXED);
	out->small_requests = out->all.allocs + out->helper_small;
	out->relief_bytes = __atomic_load_n(&nano_z.relief_bytes, __ATOMIC_RELAXED);
	out->front.aborts = nano_front_aborts();
	if (!nano_front_on())
		memset(&out->front, 0, sizeof(out->front));
}

void nano_get_settings(struct nano_settings *out)
{
	memset(out, 0, sizeof(*out));
	out->ready = __atomic_load_n(&nano_z.state, __ATOMIC_ACQUIRE) == 2;
	out->layout = nano_z.layout;
	out->band_bits = nano_z.band_bits;
	out->region_base = (uintptr_t)nano_z.base;
	out->region_size = (size_t)nano_z.size;
	out->hyper_shift = nano_z.map.hyper_shift;
	out->map = nano_z.map.map;
	out->map_name = nano_map_name(nano_z.map.map);
	out->nmags = nano_z.map.nmags;
	out->ncpus = nano_z.map.ncpus;
	out->split_cores = nano_z.map.split_cores;
	out->shared_mags = nano_z.map.shared_mags;
	out->fingerprint = nano_z.fingerprint;
	out->source = nano_z.source;
	out->cpu_source = nano_cpu_uses_rseq() ? "rseq" : "getcpu";
	out->stats_compiled = NANO_STATS;
	nano_front_settings(out);
}

/* ========================================================================
 * The table (NANO_STATS=1 in the preload, or any caller)
 * ====================================================================== */

static void print_row(struct nano_msg *m, const char *label, unsigned mag, unsigned size,
		      const struct nano_counts *c)
{
	if (label) {
		nano_msg_str(m, label);
	} else {
		nano_msg_u64w(m, mag, 4);
		nano_msg_u64w(m, size, 5);
	}
	nano_msg_u64w(m, c->allocs, 13);
	nano_msg_u64w(m, c->frees, 13);
	nano_msg_u64w(m, c->remote_frees, 12);
	nano_msg_u64w(m, c->retries_pop, 11);
	nano_msg_u64w(m, c->retries_push, 11);
	nano_msg_u64w(m, c->in_use, 10);
	nano_msg_u64w(m, c->bands, 6);
	nano_msg_u64w(m, c->bytes_mapped, 12);
	nano_msg_u64w(m, c->bytes_in_use, 12);
	nano_msg_str(m, "\n");
}

static void print_settings(struct nano_msg *m)
{
	struct nano_settings s;
	nano_get_settings(&s);
	nano_msg_str(m, "nano: layout ");
	nano_msg_str(m, s.layout);
	nano_msg_str(m, " (band bits ");
	nano_msg_u64(m, s.band_bits);
	nano_msg_str(m, "), map ");
	nano_msg_str(m, s.map_name);
	nano_msg_str(m, ", hyper_shift ");
	nano_msg_u64(m, s.hyper_shift);
	nano_msg_str(m, ", magazines ");
	nano_msg_u64(m, s.nmags);
	nano_msg_str(m, ", cpus ");
	nano_msg_u64(m, s.ncpus);
	nano_msg_str(m, ", settings from ");
	nano_msg_str(m, s.source);
	nano_msg_str(m, ", front ");
	nano_msg_str(m, s.front);
	if (s.front_reason[0]) {
		nano_msg_str(m, " (rseq asked for: ");
		nano_msg_str(m, s.front_reason);
		nano_msg_str(m, ")");
	}
	nano_msg_str(m, s.stats_compiled ? "\n" : " (remote frees and retries not compiled in)\n");
}

/* One line of the front's own figures. */
static void print_front(struct nano_msg *m, const struct nano_front_counts *f)
{
	static const char *const names[] = {
		"cache_allocs", "cache_frees", "refills", "refill_blocks", "refills_bump", "flushes",
		"flush_blocks", "chains", "chain_blocks", "drains", "drain_blocks", "aborts",
		"v1_allocs", "v1_frees", "cached_blocks", "chained_blocks", "xfer_blocks", "grows",
		"shrinks",
	};
	const uint64_t v[] = {
		f->cache_allocs, f->cache_frees, f->refills, f->refill_blocks, f->refills_bump,
		f->flushes, f->flush_blocks, f->chains, f->chain_blocks, f->drains, f->drain_blocks,
		f->aborts, f->v1_allocs, f->v1_frees, f->cached_blocks, f->chained_blocks,
		f->xfer_blocks, f->grows, f->shrinks,
	};
	nano_msg_str(m, "nano: rseq front:");
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		nano_msg_str(m, " ");
		nano_msg_str(m, names[i]);
		nano_msg_str(m, "=");
		nano_msg_u64(m, v[i]);
	}
	nano_msg_str(m, "\n");
}

void nano_stats_print(int fd)
{
	struct nano_msg m = { 0 };
	struct nano_counts c;
	struct nano_totals t;

	print_settings(&m);
	nano_msg_str(&m, " mag size       allocs        frees      remote  retry_pop retry_push"
			 "    in_use bands bytes_mapped bytes_in_use\n");
	nano_msg_flush(&m, fd);
	for (unsigned g = 0; g < NANO_MAX_MAGAZINES; g++) {
		for (unsigned s = 0; s < NANO_SLOTS; s++) {
			nano_stats_cell(g, s, &c);
			if (!c.allocs && !c.frees)
				continue;
			print_row(&m, NULL, g, (unsigned)nano_z.cls[s].size, &c);
			nano_msg_flush(&m, fd);
		}
	}
	nano_stats_totals(&t);
	print_row(&m, "    total", 0, 0, &t.all);
	nano_msg_str(&m, "nano: served ");
	nano_msg_u64(&m, t.all.allocs);
	nano_msg_str(&m, " of ");
	nano_msg_u64(&m, t.small_requests);
	nano_msg_str(&m, " requests of 256 bytes or less (");
	uint64_t permille = t.small_requests ? t.all.allocs * 1000 / t.small_requests : 0;
	nano_msg_u64(&m, permille / 10);
	nano_msg_str(&m, ".");
	nano_msg_u64(&m, permille % 10);
	nano_msg_str(&m, "%); committed ");
	nano_msg_u64(&m, t.committed_bytes);
	nano_msg_str(&m, " bytes; relief released ");
	nano_msg_u64(&m, t.relief_bytes);
	nano_msg_str(&m, " bytes; exhausted classes ");
	nano_msg_u64(&m, t.exhausted_classes);
	nano_msg_str(&m, "\n");
	if (nano_front_on())
		print_front(&m, &t.front);
	nano_msg_flush(&m, fd);
}
