/*
 * wl_workload.h - what a workload is: its parameters and its loop.
 *
 * Owns: the descriptor every workload fills in, and the registry of them.
 * A workload is a table of named integer parameters (with defaults, bounds
 * and help), a default size distribution, and four functions:
 *   check     optional; reject parameter/thread combinations (message, -1)
 *   init      main thread, before the start barrier: allocate per-thread and
 *             shared state with wl_mem() and any initial blocks (not counted);
 *             it may also set run->touch, and a slot's budget (--ops) when
 *             only some slots' calls are counted
 *   thread    one worker's measured loop; every allocator call goes through
 *             wl_alloc()/wl_free() and is guarded by wl_go(), or goes
 *             through wl_get()/wl_put() with WL_GO, which see the stop
 *             themselves (wl_harness.h). Returns
 *             WL_STEP_DONE, or WL_STEP_HANDOVER to continue the same slot on
 *             a freshly created thread (larson, churn)
 *   teardown  main thread, after the measured interval: wl_release() every
 *             block still held (not counted)
 *   wake      optional; called right after the stop flag is raised (the
 *             deadline, a failure), from any thread, once run->shared is
 *             set: wake the threads that wait for each other (xmalloc's
 *             queue). It must not call the allocator.
 */
#ifndef WL_WORKLOAD_H
#define WL_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

struct wl_run;
struct wl_thread;

#define WL_MAX_PARAMS 16

struct wl_param {
	const char *name;
	int64_t def, min, max;
	const char *help;
};

enum wl_step { WL_STEP_DONE, WL_STEP_HANDOVER };

struct wl_workload {
	const char *name;
	const char *summary;
	const struct wl_param *params;
	unsigned nparams;
	/* Default --size-dist; when sizes() is set it builds it from the params. */
	const char *default_dist;
	void (*sizes)(const int64_t *pv, char *spec, size_t len);
	/* Bytes the workload writes from the start of every block it gets, as
	 * its original does (WL_TOUCH_ALL: every byte; 0: none). The harness
	 * writes them right after malloc and lays its tag over them (wl_tag.h);
	 * init may change it (run->touch) when a parameter decides. */
	uint32_t touch;
	/* Parameter that gives the natural run length in seconds (larson's sleep,
	 * xmalloc's t), or NULL when the workload ends by itself. */
	const char *natural_seconds;
	int (*check)(const struct wl_run *r, char *err, size_t errlen);
	int (*init)(struct wl_run *r);
	enum wl_step (*thread)(struct wl_thread *t);
	void (*teardown)(struct wl_run *r);
	void (*wake)(struct wl_run *r);
	/* The published program it re-implements (docs/workloads.md gives the
	 * commit), or why there is none; and where it deliberately differs
	 * from that program beyond what every workload does (run --list prints
	 * both), or NULL. */
	const char *original;
	const char *differs;
};

/* NULL-terminated list of every workload, in --list order. */
extern const struct wl_workload *const wl_workloads[];

const struct wl_workload *wl_workload_find(const char *name);
/* Index of a parameter, or -1. */
int wl_param_index(const struct wl_workload *w, const char *name);

#define WL_COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

#endif
