/*
 * test_free_sized_realloc.c - a sized free with the size of the last
 * realloc, after realloc kept the block in place (C23 free_sized contract:
 * the size is the one the block was last requested with).
 *
 * nano_realloc keeps a block when the new size fits its class and is more
 * than half of it (v1), so realloc(malloc(200), 105) returns the same
 * 208-byte block. C23 then allows free_sized(p, 105), and the preload maps
 * free_sized to nano_free_sized, which must accept it (it used to compare the
 * class of 105, 112, with the block's, 208, and abort: "sized free with a
 * size that does not match the block's class"). Each case runs in a forked
 * child, which must exit 0.
 */
#include "nano.h"
#include "nt.h"

static size_t sizes[][2] = {
	{ 200, 105 },   /* 208-byte class, kept down to 105 */
	{ 256, 129 },
	{ 64, 33 },
	{ 32, 17 },
};

static void shrink_then_free_sized(void *arg)
{
	size_t *s = arg;
	void *p = nano_malloc(s[0]);
	void *q = nano_realloc(p, s[1]);
	CHECK(q == p);                       /* kept in place (v1 rule) */
	nano_free_sized(q, s[1]);            /* the size it was last requested with */
}

int main(void)
{
	int failed = 0;
	for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct nt_child r;
		nt_run_child(shrink_then_free_sized, sizes[i], &r);
		if (WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0) {
			printf("ok   realloc(malloc(%zu), %zu) then free_sized(p, %zu)\n", sizes[i][0],
			       sizes[i][1], sizes[i][1]);
		} else {
			printf("FAIL realloc(malloc(%zu), %zu) then free_sized(p, %zu): status 0x%x, %s",
			       sizes[i][0], sizes[i][1], sizes[i][1], r.status, r.err);
			failed++;
		}
	}
	return failed ? 1 : 0;
}
