/*
 * nano_zone.c - the nano zone's top layer: start-up, the malloc family's
 * API, fork (layers: nano_core.h; v1's malloc and free: nano_core.c).
 *
 * Design (docs/nano.md §2-7). All blocks live in one reserved region; a block's
 * address encodes its magazine, band and size class, so free needs no lookup.
 * Each (magazine, class) has a LIFO free list of freed blocks and a bump
 * pointer into its current band's area (nano_core.c).
 *
 * malloc and free pick their front inline (nano_entry.h); the rseq front
 * (nano_front.h) falls back to the v1 path for an operation it cannot serve.
 *
 * Under limits the layout shrinks to fit (nano_region_init): with `ulimit -v`
 * the reservation takes at most an eighth of the address-space limit (sized
 * for the magazines the CPU table uses), and with `ulimit -d` memory is
 * committed area by area rather than band by band, so that one busy class
 * does not charge 2 MiB of the data limit per 128 KiB it uses.
 *
 * There is no per-thread state: a thread that migrates simply uses the other
 * CPU's magazine on its next call.
 */
#include "nano_entry.h"

#include <errno.h>
#include <string.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

static void nano_zone_start_lazily(void);

struct nano_zone nano_z = {
	.helper = {
		.malloc = __libc_malloc,
		.calloc = __libc_calloc,
		.realloc = __libc_realloc,
		.free = __libc_free,
		.memalign = __libc_memalign,
	},
	.layout = "none",
	.source = "default",
	.lazy_start = nano_zone_start_lazily,
};

/* ========================================================================
 * Start-up
 * ====================================================================== */

static void nano_classes_init(void)
{
	for (unsigned s = 0; s < NANO_SLOTS; s++) {
		struct nano_class *c = &nano_z.cls[s];
		uint64_t odd, inv;
		c->size = NANO_QUANTUM * (s + 1);
		c->limit = NANO_AREA_SIZE / c->size * c->size;
		c->shift = (unsigned)__builtin_ctzll(c->size);
		odd = c->size >> c->shift;
		inv = odd;                       /* Newton: each step doubles the good bits */
		for (int i = 0; i < 5; i++)
			inv *= 2 - odd * inv;
		c->inv = inv;
		c->div_max = UINT64_MAX / c->size;
	}
}

static void nano_layout_set(uint64_t base, unsigned band_bits, unsigned nmags, const char *name)
{
	nano_z.base = base;
	nano_z.band_bits = band_bits;
	nano_z.mag_shift = NANO_OFFSET_BITS + NANO_SLOT_BITS + band_bits;
	nano_z.band_mask = ((uint64_t)1 << band_bits) - 1;
	nano_z.size = (uint64_t)nmags << nano_z.mag_shift;
	nano_z.layout = name;
}

/* The full layout at its fixed base, else the largest small layout that can
 * be reserved anywhere. band_bits 0 asks for that search; 1..17 forces a
 * small layout of at most that many band bits. The small layout covers only
 * the magazines the CPU table uses. An address-space limit caps the
 * reservation at an eighth of it (the program needs the rest); below one band
 * per class and magazine nano serves nothing. */
static int nano_region_init(unsigned band_bits)
{
	const uint64_t full_size = (uint64_t)NANO_MAX_MAGAZINES
				   << (NANO_OFFSET_BITS + NANO_SLOT_BITS + NANO_BAND_BITS_FULL);
	const uint64_t as = nano_limit_as();
	const uint64_t budget = as == UINT64_MAX ? UINT64_MAX : as / 8;
	const unsigned nmags = nano_z.map.nmags ? nano_z.map.nmags : 1;

	if (band_bits == 0 && full_size <= budget && nano_reserve(NANO_FULL_BASE, full_size, 0, true)) {
		nano_layout_set(NANO_FULL_BASE, NANO_BAND_BITS_FULL, NANO_MAX_MAGAZINES, "full");
		return 0;
	}
	for (int bb = band_bits ? (int)band_bits : NANO_BAND_BITS_FULL; bb >= 0; bb--) {
		uint64_t size = (uint64_t)nmags << (NANO_OFFSET_BITS + NANO_SLOT_BITS + bb);
		if (size > budget)
			continue;
		void *p = nano_reserve(0, size, NANO_BAND_SIZE, false);
		if (p) {
			nano_layout_set((uint64_t)(uintptr_t)p, (unsigned)bb, nmags, "small");
			return 0;
		}
	}
	return -1;
}

/* How many areas one commit makes usable. Without a data limit, a whole band
 * (neighbouring bands of a magazine merge into one mapping). With one, every
 * committed byte counts against the program, so commit as little as the
 * kernel's map-count limit allows: a class carved across N areas costs up to
 * two mappings per committed chunk, and at most half of the limit goes to
 * nano. */
static void nano_chunk_init(void)
{
	const uint64_t data = nano_limit_data();
	const uint64_t maps = nano_limit_maps();
	unsigned k = 0;
	if (data == UINT64_MAX) {
		nano_z.chunk_log2 = NANO_SLOT_BITS;
		return;
	}
	while (k < NANO_SLOT_BITS && (data / (NANO_AREA_SIZE << k)) * 2 > maps / 2)
		k++;
	nano_z.chunk_log2 = k;
}

static void nano_atfork_prepare(void);
static void nano_atfork_parent(void);
static void nano_atfork_child(void);

/* cfg NULL: the settings come from the environment and NANO_PROFILE, read
 * here, after the state change, so only the thread that starts the zone reads
 * them (and warns about them). */
static int nano_zone_start(const struct nano_config *cfg, const char *source)
{
	static const char *const env_sources[] = { "default", "env", "profile", "profile+env" };
	static struct nano_topo topo;     /* 7 KiB: keep it off the stack */
	static struct nano_config env;
	int expected = NANO_UNINIT;

	if (!__atomic_compare_exchange_n(&nano_z.state, &expected, NANO_INITIALISING, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return -1;
	if (!cfg) {
		source = env_sources[nano_config_from_env(&env) & 3];
		cfg = &env;
	}
	if (cfg->helper)
		nano_z.helper = *cfg->helper;
	nano_z.source = source;
	nano_prim_init();
	nano_classes_init();
	nano_z.cookie = nano_random64();

	if (cfg->topo)
		topo = *cfg->topo;
	else
		nano_topo_from_sysfs(&topo);
	nano_z.fingerprint = nano_topo_fingerprint(&topo);
	if (nano_magmap_build(&nano_z.map, &topo, cfg->map, cfg->hyper_shift, cfg->max_magazines) != 0)
		nano_magmap_build(&nano_z.map, &topo, NANO_MAP_SHIFT, -1, 0);

	nano_core_init();
	nano_z.verbose = cfg->verbose;
	nano_chunk_init();
	if (nano_region_init(cfg->band_bits) != 0) {
		if (nano_z.verbose)
			nano_warn("region", "reserve",
				  "possible (no address space, or ulimit -v too low); nano serves nothing");
		__atomic_store_n(&nano_z.state, NANO_FAILED, __ATOMIC_RELEASE);
		return -1;
	}
	/* pthread_atfork may allocate: while we are INITIALISING, that request
	 * goes to the helper, which is exactly right. */
	pthread_atfork(nano_atfork_prepare, nano_atfork_parent, nano_atfork_child);
	nano_stats_init();
	nano_front_init(cfg);
	__atomic_store_n(&nano_z.state, NANO_READY, __ATOMIC_RELEASE);
	/* Only now: a thread that sees the front on sees a ready zone. */
	nano_front_start();
	return 0;
}

int nano_zone_init(const struct nano_config *cfg)
{
	return nano_zone_start(cfg, cfg ? "config" : NULL);
}

/* The core's lazy start (nano_z.lazy_start): the first call of a thread that
 * found the zone not ready. */
static void nano_zone_start_lazily(void)
{
	nano_zone_init(NULL);
}

void *nano_malloc(size_t size)
{
	return nano_malloc_entry(size);
}

void nano_free(void *ptr)
{
	nano_free_entry(ptr);
}

void nano_free_sized(void *ptr, size_t size)
{
	const uint64_t p = (uint64_t)(uintptr_t)ptr;
	const uint64_t off = p - nano_z.base;
	if (off >= nano_z.size) {
		if (ptr)
			nano_z.helper.free(ptr);
		return;
	}
	const unsigned mag = nano_off_mag(off);
	const unsigned slot = nano_off_slot(off);
	const uint64_t cls = nano_z.cls[slot].size;
	/* The size the caller last asked for: a malloc size rounds up to the
	 * class, and realloc keeps a block for any size above half of it. */
	if (nano_unlikely(size > cls || (cls > NANO_QUANTUM && size <= cls / 2)))
		nano_fatal("sized free with a size that does not match the block's class", ptr);
	nano_free_trusted_entry(p, mag, slot);
}

/* ========================================================================
 * The rest of the malloc family
 * ====================================================================== */

void *nano_calloc(size_t n, size_t size)
{
	size_t total;
	if (__builtin_mul_overflow(n, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	if (total > NANO_MAX_SIZE)
		return nano_z.helper.calloc(n, size);
	if (nano_ready() || nano_ready_slow()) {
		unsigned slot = nano_size_to_slot(total);
		void *p = nano_alloc_entry(slot);
		if (p) {
			memset(p, 0, nano_z.cls[slot].size);
			return p;
		}
	}
	return nano_small_to_helper(total, true);
}

size_t nano_size(const void *ptr)
{
	const uint64_t p = (uint64_t)(uintptr_t)ptr;
	const uint64_t off = p - nano_z.base;
	if (off >= nano_z.size)
		return 0;
	const unsigned mag = nano_off_mag(off);
	const unsigned slot = nano_off_slot(off);
	return nano_vet(p, off, mag, slot) ? nano_z.cls[slot].size : 0;
}

int nano_owns(const void *ptr)
{
	return (uint64_t)(uintptr_t)ptr - nano_z.base < nano_z.size;
}

void *nano_realloc(void *ptr, size_t size)
{
	size_t old;
	void *q;

	if (!ptr)
		return nano_malloc(size);
	if (!nano_owns(ptr)) {
		if (size && size <= NANO_MAX_SIZE)     /* v1: a foreign block stays foreign */
			__atomic_fetch_add(&nano_z.helper_small, 1, __ATOMIC_RELAXED);
		return nano_z.helper.realloc(ptr, size);
	}
	if (size == 0) {            /* glibc: free, return NULL */
		nano_free(ptr);
		return NULL;
	}
	old = nano_size(ptr);
	if (!old)
		nano_fatal("realloc of a pointer inside the nano region that nano did not allocate", ptr);
	if (size <= old && size > old / 2)
		return ptr;
	q = nano_malloc(size);
	if (!q)
		return NULL;
	memcpy(q, ptr, size < old ? size : old);
	nano_free(ptr);
	return q;
}

void *nano_memalign(size_t align, size_t size)
{
	if (size <= NANO_MAX_SIZE)           /* v1: aligned requests are never nano's */
		__atomic_fetch_add(&nano_z.helper_small, 1, __ATOMIC_RELAXED);
	return nano_z.helper.memalign(align, size);
}

/* ========================================================================
 * fork: hold every grow lock (and the front's, relief's and the statistics'
 * locks) across fork, so the child finds them consistent. The free lists
 * need nothing: each update is one CAS, so a list is always whole. What other
 * threads had in flight at fork (a chain detached by a double-free scan or
 * relief, blocks between a front's stages) is lost to the child: a leak,
 * never a corruption.
 * ====================================================================== */

static void nano_atfork_prepare(void)
{
	nano_relief_atfork_prepare();
	nano_front_atfork_prepare();
	nano_core_atfork_prepare();
	nano_stats_atfork_prepare();
}

static void nano_atfork_release(int child)
{
	nano_core_atfork_release();
	nano_front_atfork_release(child);
	nano_relief_atfork_release();
}

static void nano_atfork_parent(void)
{
	nano_stats_atfork_parent();
	nano_atfork_release(0);
}

static void nano_atfork_child(void)
{
	nano_stats_atfork_child();
	nano_atfork_release(1);
}
