/*
 * wl_mailbox.h - handing blocks to another thread without locks.
 *
 * Owns: the one way workloads pass live blocks between threads (xmalloc's
 * queue, rptest's and the mutator's remote frees, larson's and churn's
 * leftovers). A mailbox is a bounded multi-producer multi-consumer ring in
 * the style of D. Vyukov's bounded queue: each cell carries a sequence number
 * that says whether it is free for the lap of the producer or full for the
 * lap of the consumer, so a push is one CAS on the tail plus two stores, a pop
 * one CAS on the head plus two stores, and neither ever allocates. A full
 * ring refuses the push (the caller decides: free locally, or wait).
 */
#ifndef WL_MAILBOX_H
#define WL_MAILBOX_H

#include <stdint.h>

#include "wl_tag.h"

struct wl_cell {
	uint64_t seq;
	struct wl_blk blk;
};

struct wl_mailbox {
	uint64_t head __attribute__((aligned(64)));
	uint64_t tail __attribute__((aligned(64)));
	uint64_t mask __attribute__((aligned(64)));
	struct wl_cell *cells;
};

/* cap must be a power of two; cells points at cap zeroed cells. */
static inline void wl_mailbox_init(struct wl_mailbox *m, struct wl_cell *cells, uint64_t cap)
{
	m->head = m->tail = 0;
	m->mask = cap - 1;
	m->cells = cells;
	for (uint64_t i = 0; i < cap; i++)
		__atomic_store_n(&cells[i].seq, i, __ATOMIC_RELAXED);
}

/* 1 when pushed, 0 when full. */
static inline int wl_mailbox_push(struct wl_mailbox *m, const struct wl_blk *b)
{
	uint64_t pos = __atomic_load_n(&m->tail, __ATOMIC_RELAXED);
	for (;;) {
		struct wl_cell *c = &m->cells[pos & m->mask];
		uint64_t seq = __atomic_load_n(&c->seq, __ATOMIC_ACQUIRE);
		int64_t dif = (int64_t)(seq - pos);
		if (dif == 0) {
			if (__atomic_compare_exchange_n(&m->tail, &pos, pos + 1, 1,
							__ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
				c->blk = *b;
				__atomic_store_n(&c->seq, pos + 1, __ATOMIC_RELEASE);
				return 1;
			}
		} else if (dif < 0) {
			return 0;
		} else {
			pos = __atomic_load_n(&m->tail, __ATOMIC_RELAXED);
		}
	}
}

/* 1 when a block was taken, 0 when empty. */
static inline int wl_mailbox_pop(struct wl_mailbox *m, struct wl_blk *out)
{
	uint64_t pos = __atomic_load_n(&m->head, __ATOMIC_RELAXED);
	for (;;) {
		struct wl_cell *c = &m->cells[pos & m->mask];
		uint64_t seq = __atomic_load_n(&c->seq, __ATOMIC_ACQUIRE);
		int64_t dif = (int64_t)(seq - (pos + 1));
		if (dif == 0) {
			if (__atomic_compare_exchange_n(&m->head, &pos, pos + 1, 1,
							__ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
				*out = c->blk;
				__atomic_store_n(&c->seq, pos + m->mask + 1, __ATOMIC_RELEASE);
				return 1;
			}
		} else if (dif < 0) {
			return 0;
		} else {
			pos = __atomic_load_n(&m->head, __ATOMIC_RELAXED);
		}
	}
}

#endif
