/*
 * test_fatal.c - heap misuse is detected, reported and aborts.
 *
 * Each case runs in a forked child (stderr through a pipe, pinned to one CPU
 * so that the magazine and the LIFO order are predictable). The child must
 * die of SIGABRT after writing one line that names nano, the problem and the
 * pointer, in hex. Cases:
 *   double free           free(p); free(p)                     "double free"
 *   double free, buried   free(p), then 100 more frees of the class on top of
 *                         it, then free(p) again               "double free"
 *   corrupted guard       free(p); overwrite its first word; malloc the class
 *                         until p is popped                    "free list corrupted"
 *   corrupted link/guard  the same with the guard zeroed       "free list corrupted"
 *   misaligned pointer    free(p + 8)                          "did not allocate"
 *   interior pointer      free(p + 16) in the 64-byte class    "did not allocate"
 *   above the bump        free(p + 1000 blocks)                "did not allocate"
 *   unused magazine       free of a block-shaped address in a magazine that
 *                         never allocated                      "did not allocate"
 *   realloc forged        realloc(p + 8, 10)                   "did not allocate"
 *   sized free, too big   free_sized(p48, 200)                 "does not match"
 *   sized free, half      free_sized(p208, 104)                "does not match"
 * And the non-fatal counterpart: a live block whose first word happens to
 * equal its guard value is freed normally (the double-free scan finds it on
 * no list).
 */
#include "nano_internal.h"
#include "nt.h"

#include <sys/mman.h>

static int cpu0;
/* Shared with the children: the pointer the message must name. */
static volatile uint64_t *expect_ptr;

static void expect(const void *p)
{
	*expect_ptr = (uint64_t)(uintptr_t)p;
}

static void pin(void)
{
	CHECK(nt_pin(cpu0) == 0);
}

static void case_double_free(void *arg)
{
	(void)arg;
	pin();
	void *p = nano_malloc(32);
	nano_free(p);
	expect(p);
	nano_free(p);
}

static void case_double_free_buried(void *arg)
{
	void *v[100];
	(void)arg;
	pin();
	void *p = nano_malloc(96);
	for (int i = 0; i < 100; i++)
		v[i] = nano_malloc(96);
	nano_free(p);
	for (int i = 0; i < 100; i++)
		nano_free(v[i]);
	expect(p);
	nano_free(p);
}

static void corrupt_and_pop(uint64_t value)
{
	pin();
	uint64_t *p = nano_malloc(48);
	void *keep[8];
	for (int i = 0; i < 8; i++)
		keep[i] = nano_malloc(48);
	nano_free(p);
	for (int i = 0; i < 8; i++)
		nano_free(keep[i]);          /* p is now 9th on the list */
	p[0] = value;                        /* use after free: the guard word */
	expect(p);
	for (int i = 0; i < 20; i++)
		(void)nano_malloc(48);       /* the 9th pop aborts */
}

static void case_guard(void *arg)
{
	(void)arg;
	corrupt_and_pop(0xdeadbeefdeadbeefull);
}

static void case_guard_zero(void *arg)
{
	(void)arg;
	corrupt_and_pop(0);
}

static void case_misaligned(void *arg)
{
	(void)arg;
	pin();
	char *p = nano_malloc(64);
	expect(p + 8);
	nano_free(p + 8);
}

static void case_interior(void *arg)
{
	(void)arg;
	pin();
	char *p = nano_malloc(64);
	expect(p + 16);
	nano_free(p + 16);
}

static void case_above_bump(void *arg)
{
	(void)arg;
	pin();
	char *p = nano_malloc(64);
	expect(p + 64 * 1000);
	nano_free(p + 64 * 1000);
}

static void case_unused_mag(void *arg)
{
	(void)arg;
	pin();
	(void)nano_malloc(16);               /* the zone is up */
	void *f = (void *)(uintptr_t)(nano_area_addr(NANO_MAX_MAGAZINES - 1, 0, 2) + 48 * 10);
	expect(f);
	nano_free(f);
}

static void case_realloc_forged(void *arg)
{
	(void)arg;
	pin();
	char *p = nano_malloc(64);
	expect(p + 8);
	(void)nano_realloc(p + 8, 10);
}

static void case_sized_wrong(void *arg)
{
	(void)arg;
	pin();
	void *p = nano_malloc(48);
	expect(p);
	nano_free_sized(p, 200);
}

static void case_sized_half(void *arg)
{
	(void)arg;
	pin();
	void *p = nano_malloc(208);
	expect(p);
	nano_free_sized(p, 104);            /* half the class: no realloc keeps that */
}

static const struct {
	const char *name;
	void (*fn)(void *);
	const char *expect;
} cases[] = {
	{ "double free", case_double_free, "double free" },
	{ "double free, buried", case_double_free_buried, "double free" },
	{ "corrupted guard", case_guard, "free list corrupted" },
	{ "zeroed guard", case_guard_zero, "free list corrupted" },
	{ "misaligned pointer", case_misaligned, "did not allocate" },
	{ "interior pointer", case_interior, "did not allocate" },
	{ "above the bump pointer", case_above_bump, "did not allocate" },
	{ "unused magazine", case_unused_mag, "did not allocate" },
	{ "realloc of a forged pointer", case_realloc_forged, "did not allocate" },
	{ "sized free, size too big", case_sized_wrong, "does not match" },
	{ "sized free, half the class", case_sized_half, "does not match" },
};

/* Not fatal: a live block that holds its own guard value. */
static void case_guard_lookalike(void *arg)
{
	(void)arg;
	pin();
	uint64_t *p = nano_malloc(32), *q = nano_malloc(32);
	struct nano_counts c0, c1;
	unsigned mag = nano_off_mag((uint64_t)(uintptr_t)p - nano_z.base);
	nano_free(q);                                /* something on the list */
	nano_stats_cell(mag, 1, &c0);
	p[0] = (uint64_t)(uintptr_t)p ^ nano_z.cookie;
	nano_free(p);                                /* scan: not on the list */
	nano_stats_cell(mag, 1, &c1);
	CHECK_EQ(c1.frees, c0.frees + 1);            /* the scan's detach/push-back */
	CHECK_EQ(c1.allocs, c0.allocs);              /* is not counted */
	CHECK_EQ(c1.free_blocks, c0.free_blocks + 1);
	CHECK(nano_malloc(32) == p);
	CHECK(nano_malloc(32) == q);
}

int main(void)
{
	struct nt_child r;
	int failed = 0;

	cpu0 = nt_allowed_cpu(0);
	CHECK(cpu0 >= 0);
	expect_ptr = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(expect_ptr != MAP_FAILED);
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char hex[32];
		*expect_ptr = 0;
		nt_run_child(cases[i].fn, NULL, &r);
		snprintf(hex, sizeof(hex), "0x%" PRIx64, *expect_ptr);
		int aborted = WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGABRT;
		int named = strstr(r.err, "nano") && strstr(r.err, cases[i].expect) &&
			    *expect_ptr && strstr(r.err, hex);
		int one_line = r.err_len > 0 && strchr(r.err, '\n') == r.err + r.err_len - 1;
		if (aborted && named && one_line) {
			printf("ok   %-30s %s", cases[i].name, r.err);
		} else {
			printf("FAIL %-30s status 0x%x (%s), stderr: \"%s\", expected \"%s\"\n",
			       cases[i].name, r.status,
			       WIFSIGNALED(r.status) ? strsignal(WTERMSIG(r.status)) : "exited",
			       r.err, cases[i].expect);
			failed++;
		}
	}
	nt_run_child(case_guard_lookalike, NULL, &r);
	if (WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0 && r.err_len == 0) {
		printf("ok   %-30s freed normally\n", "guard look-alike");
	} else {
		printf("FAIL %-30s status 0x%x, stderr: \"%s\"\n", "guard look-alike", r.status, r.err);
		failed++;
	}
	return failed ? 1 : 0;
}
