/*
 * wl_inbox.h - remote frees: sending a live block to another slot to free.
 *
 * Owns: one mailbox per slot (wl_mailbox.h) for workloads whose blocks are
 * freed by a thread other than the one that allocated them (shbench's cross
 * variant, rptest, churn, the mutator). Sending is not an allocator call and
 * is not counted; the receiver's free is. A full inbox refuses the block and
 * the sender frees it itself.
 */
#ifndef WL_INBOX_H
#define WL_INBOX_H

#include "wl_harness.h"
#include "wl_mailbox.h"

/* In init: an inbox of `cap` blocks (a power of two) per slot. 0 or -1. */
int wl_inbox_init(struct wl_run *r, uint64_t cap);

/* Send b to slot `to`: 1 when sent (b->p becomes NULL), 0 when the inbox is
 * full. The block stays on the sender's live count; the receiver's free
 * takes it off its own, so the sum over slots stays right. */
static inline int wl_send(struct wl_thread *t, unsigned to, struct wl_blk *b)
{
	if (!wl_mailbox_push(&t->run->inbox[to], b))
		return 0;
	b->p = NULL;
	return 1;
}

/* Free what others sent to this slot. 0, or -1 when the run failed. */
static inline int wl_drain(struct wl_thread *t)
{
	struct wl_blk b;
	while (wl_go(t) && wl_mailbox_pop(&t->run->inbox[t->id], &b))
		if (wl_free(t, &b))
			return -1;
	return 0;
}

/* Teardown: release whatever is still in the inboxes. */
void wl_inbox_release(struct wl_run *r);

#endif
