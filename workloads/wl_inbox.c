/*
 * wl_inbox.c - per-slot inboxes (see wl_inbox.h).
 */
#include "wl_inbox.h"

int wl_inbox_init(struct wl_run *r, uint64_t cap)
{
	r->inbox = wl_mem(r, r->nthreads * sizeof(struct wl_mailbox));
	if (!r->inbox)
		return -1;
	for (unsigned i = 0; i < r->nthreads; i++) {
		struct wl_cell *cells = wl_mem(r, cap * sizeof(*cells));
		if (!cells)
			return -1;
		wl_mailbox_init(&r->inbox[i], cells, cap);
	}
	return 0;
}

void wl_inbox_release(struct wl_run *r)
{
	struct wl_blk b;
	for (unsigned i = 0; r->inbox && i < r->nthreads; i++)
		while (r->inbox[i].cells && wl_mailbox_pop(&r->inbox[i], &b))
			wl_release(r, &b);
}
