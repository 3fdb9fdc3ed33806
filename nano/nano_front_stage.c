/*
 * nano_front_stage.c - the rseq front's transfer stages, the hand-over of
 * remote blocks to their owners, pressure relief's drain, and fork (design:
 * nano_front.h).
 *
 * A transfer stage (struct nano_xfer, one per magazine and class) is an
 * array stack of block pointers under a mutex. Blocks enter it from the
 * magazine's caches (flush: the pointers are copied straight from the cache
 * into the array inside a critical section, while the mutex is held), from
 * remote buffers (hand-over: one group per owner), and from refills that
 * took more than the cache could hold; they leave it for caches (refill) and,
 * under relief, for the v1 list. No block is touched on the way: each keeps
 * the free guard its free wrote, and the malloc that finally hands it out
 * checks it. The array's address space (up to NANO_XFER_MAX pointers, less
 * under an address-space limit) is reserved when the stage is first used
 * and committed NANO_XFER_CHUNK slots at a time; when either is refused, or
 * the stage is full, blocks overflow to the v1 list (their guards checked,
 * list format written): never a lost block.
 */
#include "nano_front_stage.h"

#include <sched.h>
#include <string.h>

static uint32_t xfer_max;        /* slots a stage may reserve */

/* Magazines whose stages can hold blocks: those of the CPU table. */
static unsigned stage_mags(void)
{
	unsigned n = nano_z.map.nmags;
	return n == 0 ? 1 : n > NANO_MAX_MAGAZINES ? NANO_MAX_MAGAZINES : n;
}

void nano_stage_init(void)
{
	const uint64_t as = nano_limit_as();
	uint64_t per = NANO_XFER_MAX;
	for (unsigned m = 0; m < NANO_MAX_MAGAZINES; m++)
		for (unsigned s = 0; s < NANO_SLOTS; s++)
			pthread_mutex_init(&nano_fr.xf[m][s].lock, NULL);
	/* Under an address-space limit the stages together reserve at most a
	 * sixteenth of it (the region takes an eighth). */
	if (as != UINT64_MAX) {
		uint64_t fit = as / 16 / ((uint64_t)stage_mags() * NANO_SLOTS) / sizeof(uint64_t);
		fit = fit / NANO_XFER_CHUNK * NANO_XFER_CHUNK;
		per = fit < per ? fit : per;
	}
	xfer_max = (uint32_t)per;
}

/* Check each block's free guard (a write after free is caught as the block
 * leaves for the list), then put them on (mag, slot)'s list in list format
 * with one CAS. */
static void to_list(const uint64_t *b, uint64_t n, unsigned mag, unsigned slot)
{
	if (!n)
		return;
	for (uint64_t i = 0; i < n; i++)
		if (nano_unlikely(nano_load_relaxed((uint64_t *)b[i] + 1) != (b[i] ^ nano_fr.cookie)))
			nano_front_corrupt(b[i]);
	nano_list_push_array(b, n, mag, slot);
	nano_fm_add(&nano_fr.fm[mag][slot].to_list, n);
}

/* Under the stage's mutex: free slots for up to need more blocks, reserving
 * and committing as needed; how many there are. */
static uint64_t room(struct nano_xfer *x, uint64_t need)
{
	if (!x->arr && !x->failed) {
		x->arr = xfer_max ? nano_reserve(0, (size_t)xfer_max * sizeof(uint64_t), nano_page_size(),
						 false)
				  : NULL;
		x->failed = x->arr == NULL;
	}
	while (!x->failed && x->room - x->n < need && x->room < xfer_max) {
		if (nano_commit(x->arr + x->room, NANO_XFER_CHUNK * sizeof(uint64_t)) != 0) {
			x->failed = 1;
			break;
		}
		x->room += NANO_XFER_CHUNK;
	}
	return x->room - x->n;
}

void nano_xfer_put(unsigned mag, unsigned slot, const uint64_t *blocks, uint64_t n)
{
	struct nano_xfer *x = &nano_fr.xf[mag][slot];
	uint64_t k;
	if (!n)
		return;
	pthread_mutex_lock(&x->lock);
	k = room(x, n);
	if (k > n)
		k = n;
	memcpy(x->arr + x->n, blocks, k * sizeof(uint64_t));
	__atomic_store_n(&x->n, x->n + (uint32_t)k, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&x->lock);
	to_list(blocks + k, n - k, mag, slot);
}

void nano_xfer_put_run(unsigned mag, unsigned slot, uint64_t first, uint64_t size, uint64_t n)
{
	uint64_t buf[64];
	while (n) {
		uint64_t k = n < 64 ? n : 64;
		for (uint64_t i = 0; i < k; i++)
			buf[i] = first + i * size;
		nano_xfer_put(mag, slot, buf, k);
		first += k * size;
		n -= k;
	}
}

/* Sort blocks[0..n) (n <= NANO_FS_REMOTE_MAX) by magazine into out; cnt[m]
 * says how many of magazine m, starting at out + start[m]. */
static void group(const uint64_t *blocks, uint64_t n, uint64_t *out, uint32_t *cnt, uint32_t *start)
{
	uint32_t at[NANO_MAX_MAGAZINES];
	memset(cnt, 0, NANO_MAX_MAGAZINES * sizeof(*cnt));
	for (uint64_t i = 0; i < n; i++)
		cnt[nano_off_mag(blocks[i] - nano_z.base)]++;
	for (unsigned m = 0, sum = 0; m < NANO_MAX_MAGAZINES; sum += cnt[m], m++)
		start[m] = at[m] = sum;
	for (uint64_t i = 0; i < n; i++)
		out[at[nano_off_mag(blocks[i] - nano_z.base)]++] = blocks[i];
}

static void count_handed(unsigned mag, unsigned slot, uint64_t n)
{
	nano_fm_add(&nano_fr.fm[mag][slot].rflushes, 1);
	nano_fm_add(&nano_fr.fm[mag][slot].rflush_blocks, n);
}

void nano_hand_over(uint64_t *blocks, uint64_t n, unsigned slot)
{
	uint64_t out[NANO_FS_REMOTE_MAX];
	uint32_t cnt[NANO_MAX_MAGAZINES], start[NANO_MAX_MAGAZINES];
	group(blocks, n, out, cnt, start);
	for (unsigned m = 0; m < NANO_MAX_MAGAZINES; m++) {
		if (!cnt[m])
			continue;
		nano_xfer_put(m, slot, out + start[m], cnt[m]);
		count_handed(m, slot, cnt[m]);
	}
}

#if NANO_FRONT_BUILT
/* The hints go to the header of the CPU the thread is on now, which is the
 * flushed cache's unless the thread migrated in between: then another
 * CPU's sections prefetch in vain until its next flush. A cache hands its
 * blocks out in the reverse of the order they went in, so the pops follow
 * the stream the other way. */
static void set_ahead(unsigned slot, int64_t ahead)
{
	const int cpu = nano_front_cpu();
	if (cpu < 0 || (unsigned)cpu >= nano_fr.slab_cpus)
		return;
	struct nano_pcls *h = nano_front_pcls((unsigned)cpu, slot);
	__atomic_store_n(&h->ahead, (int32_t)ahead, __ATOMIC_RELAXED);
	__atomic_store_n(&h->pahead, (int32_t)-ahead, __ATOMIC_RELAXED);
}

#define STREAM_STEPS 32         /* the steps between blocks a flush looks at */
#define STREAM_MIN 8            /* fewer say too little */

/* A flush's blocks b[0..n), in the order they were freed -> the class's
 * hints (nano_front.h): the stride d is the step that has a majority among
 * the last STREAM_STEPS steps between them (Boyer-Moore's vote), and the
 * hints become NANO_FS_AHEAD x d when at least 3 in 4 of those steps are d
 * and 0 < |d| <= NANO_FS_STRIDE_MAX, else 0. A flush of fewer than
 * STREAM_MIN steps (a capacity lowered by a few blocks, a cache that others
 * on the CPU nearly emptied) leaves them as they are. */
static void stream_hint(unsigned slot, const uint64_t *b, uint64_t n)
{
	if (n < STREAM_MIN + 1)
		return;
	const uint64_t steps = n - 1 < STREAM_STEPS ? n - 1 : STREAM_STEPS;
	const uint64_t *s = b + n - 1 - steps;    /* the steps s[i + 1] - s[i] */
	int64_t d = 0;
	uint64_t votes = 0, same = 0;
	for (uint64_t i = 0; i < steps; i++) {
		const int64_t e = (int64_t)(s[i + 1] - s[i]);
		if (votes == 0)
			d = e, votes = 1;
		else if (e == d)
			votes++;
		else
			votes--;
	}
	for (uint64_t i = 0; i < steps; i++)
		same += (int64_t)(s[i + 1] - s[i]) == d;
	const bool stream = 4 * same >= 3 * steps && d != 0 &&
			    d >= -(int64_t)NANO_FS_STRIDE_MAX && d <= (int64_t)NANO_FS_STRIDE_MAX;
	set_ahead(slot, stream ? NANO_FS_AHEAD * d : 0);
}

long nano_front_cache_out(unsigned mag, unsigned slot, uint64_t k)
{
	struct nano_xfer *x = &nano_fr.xf[mag][slot];
	struct nano_fmeta *f = &nano_fr.fm[mag][slot];
	uint64_t got = 0, avail;
	int r;

	pthread_mutex_lock(&x->lock);
	avail = room(x, k);
	if (avail) {
		if (k > avail)
			k = avail;
		while ((r = nano_cs_popn(NANO_CS_ARGS(slot), x->arr + x->n, k, mag, &got)) ==
		       NANO_CS_ABORT)
			nano_front_count_abort();
		if (r == NANO_CS_OK) {
			stream_hint(slot, x->arr + x->n, got);
			__atomic_store_n(&x->n, x->n + (uint32_t)got, __ATOMIC_RELAXED);
		}
		pthread_mutex_unlock(&x->lock);
	} else {
		/* the stage cannot grow: to the list, a bounded batch at a time */
		uint64_t buf[64];
		pthread_mutex_unlock(&x->lock);
		if (k > 64)
			k = 64;
		while ((r = nano_cs_popn(NANO_CS_ARGS(slot), buf, k, mag, &got)) == NANO_CS_ABORT)
			nano_front_count_abort();
		if (r == NANO_CS_OK) {
			stream_hint(slot, buf, got);
			to_list(buf, got, mag, slot);
		}
	}
	if (r != NANO_CS_OK)
		return -r;
	/* The cache may have emptied since the push found it full (others on
	 * the CPU popped meanwhile): a flush that moved nothing is none. */
	if (got) {
		nano_fm_add(&f->flushes, 1);
		nano_fm_add(&f->flush_blocks, got);
	}
	return (long)got;
}

/* ========================================================================
 * Drain (pressure relief)
 * ====================================================================== */

/* Restart whatever critical section runs on CPU c now. Without the CPU flag
 * (kernels before 5.10 refuse it) every CPU running this process is
 * interrupted. false when membarrier cannot. */
static bool restart_cpu(unsigned c)
{
	return nano_membarrier(NANO_MB_PRIVATE_EXPEDITED_RSEQ, NANO_MB_FLAG_CPU, (int)c) == 0 ||
	       nano_membarrier(NANO_MB_PRIVATE_EXPEDITED_RSEQ, 0, 0) == 0;
}

/* The remote buffer of (c, s) to its owners' lists (c fenced). */
static uint64_t drain_remote(unsigned c, unsigned s)
{
	struct nano_pcls *h = nano_front_pcls(c, s);
	uint64_t out[NANO_FS_REMOTE_MAX], rpops = h->rpops, rn = h->rpushes - rpops;
	uint32_t cnt[NANO_MAX_MAGAZINES], start[NANO_MAX_MAGAZINES];
	if (!rn)
		return 0;
	group(nano_front_area(c, s)->rslot, rn, out, cnt, start);
	for (unsigned m = 0; m < NANO_MAX_MAGAZINES; m++) {
		if (!cnt[m])
			continue;
		to_list(out + start[m], cnt[m], m, s);
		count_handed(m, s, cnt[m]);
		nano_fm_add(&nano_fr.fm[m][s].drains, 1);
		nano_fm_add(&nano_fr.fm[m][s].drain_blocks, cnt[m]);
	}
	__atomic_store_n(&h->rpops, rpops + rn, __ATOMIC_RELAXED);
	return rn;
}

/* CPU c's classes in mask are fenced and every section but pop fails:
 * stop the pops by the count (pushes 0), wait them out, move the cached and
 * remote blocks to the lists, restore the counts (pops first, and a pop
 * loads pushes first, so that it never reads a positive count before both
 * are right), reset the capacities. */
static uint64_t drain_fenced(unsigned c, uint32_t mask, const uint32_t *owns)
{
	uint64_t moved = 0, pushes[NANO_SLOTS];
	for (unsigned s = 0; s < NANO_SLOTS; s++)
		if (mask >> s & 1) {
			pushes[s] = nano_front_pcls(c, s)->pushes;
			__atomic_store_n(&nano_front_pcls(c, s)->pushes, 0, __ATOMIC_SEQ_CST);
		}
	if (!restart_cpu(c)) {          /* cannot happen after the first one worked */
		for (unsigned s = 0; s < NANO_SLOTS; s++)
			if (mask >> s & 1)
				__atomic_store_n(&nano_front_pcls(c, s)->pushes, pushes[s],
						 __ATOMIC_RELAXED);
		return UINT64_MAX;
	}
	nano_test_widen();
	for (unsigned s = 0; s < NANO_SLOTS; s++) {
		if (!(mask >> s & 1))
			continue;
		struct nano_pcls *h = nano_front_pcls(c, s);
		struct nano_fmeta *f = &nano_fr.fm[owns[s]][s];
		uint64_t n = pushes[s] - h->pops;
		to_list(nano_front_area(c, s)->slot, n, owns[s], s);
		/* pops, then pushes (release keeps the order): a pop loads them
		 * the other way round (nano_cs_pop) */
		__atomic_store_n(&h->pops, pushes[s], __ATOMIC_RELAXED);
		__atomic_store_n(&h->pushes, pushes[s], __ATOMIC_RELEASE);
		if (n) {
			nano_fm_add(&f->cache_drained, n);
			nano_fm_add(&f->drains, 1);
			nano_fm_add(&f->drain_blocks, n);
		}
		moved += n + drain_remote(c, s);
	}
	nano_front_adapt_reset(c, mask);
	return moved;
}

/* Fence CPU c, restart what runs there, drain it, unfence. UINT64_MAX when
 * membarrier failed (nothing drained; relief stops trying). */
static uint64_t drain_cpu(unsigned c)
{
	uint32_t owns[NANO_SLOTS], mask = 0;
	uint64_t moved;

	for (unsigned s = 0; s < NANO_SLOTS; s++) {
		struct nano_pcls *h = nano_front_pcls(c, s);
		owns[s] = __atomic_load_n(&h->own, __ATOMIC_RELAXED);
		if (owns[s] == NANO_PC_FENCED || !__atomic_load_n(&h->cap, __ATOMIC_ACQUIRE))
			continue;                      /* fenced, or never claimed */
		if (__atomic_compare_exchange_n(&h->own, &owns[s], NANO_PC_FENCED, false,
						__ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
			mask |= 1u << s;
	}
	if (!mask)
		return 0;
	/* every later section but pop sees the fence */
	moved = restart_cpu(c) ? drain_fenced(c, mask, owns) : UINT64_MAX;
	for (unsigned s = 0; s < NANO_SLOTS; s++)
		if (mask >> s & 1)
			__atomic_store_n(&nano_front_pcls(c, s)->own, owns[s], __ATOMIC_RELEASE);
	return moved;
}

/* A transfer stage's blocks to the list; its pages back to the kernel. */
static uint64_t drain_xfer(unsigned m, unsigned s)
{
	struct nano_xfer *x = &nano_fr.xf[m][s];
	uint64_t n;
	if (!__atomic_load_n(&x->n, __ATOMIC_RELAXED))
		return 0;
	pthread_mutex_lock(&x->lock);
	n = x->n;
	to_list(x->arr, n, m, s);
	__atomic_store_n(&x->n, 0, __ATOMIC_RELAXED);
	(void)nano_release_pages(x->arr, (size_t)x->room * sizeof(uint64_t));
	pthread_mutex_unlock(&x->lock);
	nano_fm_add(&nano_fr.fm[m][s].drains, 1);
	nano_fm_add(&nano_fr.fm[m][s].drain_blocks, n);
	return n;
}

uint64_t nano_front_drain_all(void)
{
	uint64_t moved = 0;
	if (!nano_fr.on)
		return 0;
	if (nano_fr.drain) {
		unsigned cpus = nano_front_cpus();
		for (unsigned c = 0; c < cpus; c++) {
			uint64_t d = drain_cpu(c);
			if (d == UINT64_MAX)
				break;
			moved += d;
		}
	}
	for (unsigned m = 0; m < stage_mags(); m++)
		for (unsigned s = 0; s < NANO_SLOTS; s++)
			moved += drain_xfer(m, s);
	return moved;
}
#else
uint64_t nano_front_drain_all(void)
{
	return 0;
}
#endif /* NANO_FRONT_BUILT */

/* ========================================================================
 * fork: the stages' mutexes are held across it; in the child, the
 * adaptation locks of threads that no longer exist are released.
 * ====================================================================== */

void nano_front_atfork_prepare(void)
{
	if (!nano_fr.ready)
		return;
	for (unsigned m = 0; m < stage_mags(); m++)
		for (unsigned s = 0; s < NANO_SLOTS; s++)
			pthread_mutex_lock(&nano_fr.xf[m][s].lock);
}

void nano_front_atfork_release(int child)
{
	if (!nano_fr.ready)
		return;
	for (unsigned m = 0; m < stage_mags(); m++)
		for (unsigned s = 0; s < NANO_SLOTS; s++)
			pthread_mutex_unlock(&nano_fr.xf[m][s].lock);
	if (child) {
		unsigned cpus = nano_front_cpus();
		for (unsigned c = 0; c < cpus; c++)
			__atomic_store_n(&nano_fr.pcpu[c].lock, 0, __ATOMIC_RELAXED);
	}
}
