/*
 * nano_profile.h - the per-machine profile: its text format, parsed and
 * written.
 *
 * Owns: the profile file format, version 1. `nanobench tune` writes one;
 * libnano reads one at start-up when NANO_PROFILE names it (nano_config.c),
 * and checks its fingerprint against the machine before using it. This module
 * is pure like nano_magmap.c (no I/O, no malloc, no stdio, no locale), so
 * that the zone can use it inside the first malloc of a process and the suite
 * can compile it in: both sides then read and write exactly one format.
 *
 * The format: lines of `key = value`, '#' comments and blank lines; the first
 * line is the header, so that a profile is never mistaken for another file:
 *
 *     # nanobench tune profile v1
 *     fingerprint = 0x0123456789abcdef     topology, nano_topo_fingerprint()
 *     hyper_shift = 1                      0..16 (ignored by map cpu)
 *     map = topology                       shift, topology or cpu
 *     max_magazines = 8                    1..64
 *     written_by = nanobench tune 2026-11-26 on HOST (CPU model)   optional
 *
 * Every key but written_by is required and may appear once; an unknown key is
 * an error (a typo must not silently fall back to a default).
 */
#ifndef NANO_PROFILE_H
#define NANO_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "nano_magmap.h"

#define NANO_PROFILE_HEADER "# nanobench tune profile v1"
#define NANO_PROFILE_MAX_BYTES 4096    /* a longer file is not a profile */

/* A parsed profile. Field by field:
 *   fingerprint    of the topology it was tuned on (nano_topo_fingerprint)
 *   hyper_shift    0..16
 *   map            the CPU -> magazine map
 *   max_magazines  1..64: the magazine count of the tuned table
 *   written_by     free text (who, when, where); "" when absent
 */
struct nano_profile {
	uint64_t fingerprint;
	int hyper_shift;
	enum nano_map map;
	int max_magazines;
	char written_by[160];
};

/* Why a profile was refused: the 1-based line (0: the file as a whole, e.g. a
 * missing key) and what is wrong, naming the offending text. */
struct nano_profile_error {
	unsigned line;
	char what[192];
};

/* Parse len bytes of text (need not be NUL-terminated). Returns 0 and fills
 * p, or -1 and fills err. */
__attribute__((visibility("default")))
int nano_profile_parse(const char *text, size_t len, struct nano_profile *p,
		       struct nano_profile_error *err);

/* Write p in the format above into buf (NUL-terminated). Returns the length,
 * or -1 when cap is too small or a field is out of range. */
__attribute__((visibility("default")))
int nano_profile_format(char *buf, size_t cap, const struct nano_profile *p);

#endif
