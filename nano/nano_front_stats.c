/*
 * nano_front_stats.c - what the rseq front tells the statistics
 * (nano_stats.c) about one (magazine, class), and the settings' front fields.
 *
 * Flows through the front, per (magazine m, class s):
 *   caches of m's CPUs   in: user frees + refills (cache_in)
 *                        out: user mallocs (hits) + flushes (flush_blocks) and
 *                             relief's drains (cache_drained)
 *   remote buffers       in: user frees of m's blocks on other magazines' CPUs
 *                        out: handed to m (rflush_blocks, by a flush or relief)
 *   m's transfer stage   its count (exact, under its mutex)
 *   the front as a whole takes blocks from the bump pointer (from_bump) and
 *                        the v1 list (from_list) and gives some to the list
 *                        (to_list).
 * The per-CPU counts are monotonic and commit each critical section, so
 *   hits = sum of pops - flush_blocks - cache_drained,
 *   cache frees = sum of pushes - cache_in,
 *   remote frees = rflush_blocks + the blocks of m in remote buffers now
 * (read from the buffers' slots), and every block is in exactly one place.
 */
#include "nano_front_stage.h"

#include <string.h>

static uint64_t sub_sat(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

void nano_front_cell(unsigned mag, unsigned slot, struct nano_front_cell *out)
{
	static const struct nano_fmeta none;
	memset(out, 0, sizeof(*out));
	out->fm = &none;
	if (!nano_fr.on)
		return;
	const struct nano_fmeta *f = &nano_fr.fm[mag][slot];
	const unsigned cpus = nano_front_cpus();
	uint64_t pops = 0, pushes = 0, remote = 0;
#define FM(field) __atomic_load_n(&f->field, __ATOMIC_RELAXED)

	for (unsigned c = 0; c < cpus; c++) {
		const struct nano_pcls *h = nano_front_pcls(c, slot);
		if (nano_magmap_lookup(&nano_z.map, (int)c) == mag) {
			pops += __atomic_load_n(&h->pops, __ATOMIC_RELAXED);
			pushes += __atomic_load_n(&h->pushes, __ATOMIC_RELAXED);
		}
		/* a remote buffer holds blocks only once its CPU is claimed (its
		 * slots may not be committed before) */
		uint64_t rn = __atomic_load_n(&h->rpushes, __ATOMIC_RELAXED) -
			      __atomic_load_n(&h->rpops, __ATOMIC_RELAXED);
		if (rn > NANO_FS_REMOTE_MAX)
			rn = NANO_FS_REMOTE_MAX;
		const uint64_t *r = nano_front_area(c, slot)->rslot;
		for (uint64_t i = 0; i < rn; i++) {
			uint64_t off = __atomic_load_n(&r[i], __ATOMIC_RELAXED) - nano_z.base;
			remote += off < nano_z.size && nano_off_mag(off) == mag;
		}
	}
	out->fm = f;
	out->hits = sub_sat(pops, FM(flush_blocks) + FM(cache_drained));
	out->cache_frees = sub_sat(pushes, FM(cache_in));
	out->remote_frees = FM(rflush_blocks) + remote;
	out->cached = sub_sat(pushes, pops);
	out->remote = remote;
	out->xfer = __atomic_load_n(&nano_fr.xf[mag][slot].n, __ATOMIC_RELAXED);
	out->from_bump = FM(from_bump);
	out->from_list = FM(from_list);
	out->to_list = FM(to_list);
#undef FM
}

void nano_front_settings(struct nano_settings *out)
{
	out->front = nano_fr.on ? "rseq" : "v1";
	out->front_requested = nano_fr.requested;
	out->front_reason = nano_fr.reason;
	out->front_cap = nano_fr.on ? nano_fr.cap_max : 0;
	out->front_drain = nano_fr.drain;
}
