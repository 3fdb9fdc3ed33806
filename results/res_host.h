/*
 * res_host.h - the facts of this machine that decide whether two runs'
 * numbers can be compared, for meta.json's "host" object.
 *
 * Owns: reading, from /sys and /proc, whether SMT is on, whether the CPU
 * frequency may boost, the cpufreq driver and governor, and the kernel's
 * state for each CPU vulnerability (its mitigations). A fact the machine
 * does not expose (a VM without cpufreq, a kernel without the file) is
 * written as the string "unknown", never left out and never guessed, so
 * two meta.json files always have the same keys to compare.
 */
#ifndef RES_HOST_H
#define RES_HOST_H

#include <stddef.h>

#include "res_json.h"

#define RES_UNKNOWN "unknown"

/* SMT: "on", "off", "not supported" or "unknown" (smt/active and
 * smt/control under /sys/devices/system/cpu). */
void res_host_smt(char *buf, size_t len);

/* Frequency boost (turbo): "on", "off" or "unknown" (cpufreq/boost, the
 * per-policy boost file, or intel_pstate/no_turbo). */
void res_host_boost(char *buf, size_t len);

/* Write the facts above, the cpufreq driver and governor and a
 * "mitigations" object (one key per file of cpu/vulnerabilities, or the
 * string "unknown") into the JSON object open in j. */
void res_host_write(struct res_json *j);

#endif
