/*
 * res_host.c - machine facts for meta.json (see res_host.h).
 *
 * Where each fact comes from (Linux sysfs, all read-only):
 *   smt         cpu/smt/active (1: siblings online) and cpu/smt/control
 *               ("notsupported", "notimplemented": no SMT to switch)
 *   cpu_boost   cpu/cpufreq/boost (acpi-cpufreq), else
 *               cpu/cpu0/cpufreq/boost (a per-policy switch, amd-pstate),
 *               else cpu/intel_pstate/no_turbo (inverted)
 *   cpufreq_driver, cpufreq_governor   cpu/cpu0/cpufreq/scaling_*
 *   mitigations one key per file of cpu/vulnerabilities, its one line
 * A VM usually has no cpufreq at all: those read "unknown".
 */
#include "res_host.h"
#include "res_meta.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CPU_SYS "/sys/devices/system/cpu"

/* A one-line file into buf, or "unknown". 0 when read. */
static int fact(const char *path, char *buf, size_t len)
{
	if (res_read_line(path, buf, len) == 0 && buf[0])
		return 0;
	snprintf(buf, len, RES_UNKNOWN);
	return -1;
}

void res_host_smt(char *buf, size_t len)
{
	char active[32], control[64];
	int have_active = fact(CPU_SYS "/smt/active", active, sizeof(active)) == 0;
	fact(CPU_SYS "/smt/control", control, sizeof(control));
	if (!strcmp(control, "notsupported") || !strcmp(control, "notimplemented"))
		snprintf(buf, len, "not supported");
	else if (have_active)
		snprintf(buf, len, "%s", !strcmp(active, "1") ? "on" : "off");
	else
		snprintf(buf, len, RES_UNKNOWN);
}

static const char *on_off(const char *v, int inverted)
{
	if (!strcmp(v, "1"))
		return inverted ? "off" : "on";
	if (!strcmp(v, "0"))
		return inverted ? "on" : "off";
	return RES_UNKNOWN;
}

void res_host_boost(char *buf, size_t len)
{
	char v[32];
	if (fact(CPU_SYS "/cpufreq/boost", v, sizeof(v)) == 0 ||
	    fact(CPU_SYS "/cpu0/cpufreq/boost", v, sizeof(v)) == 0)
		snprintf(buf, len, "%s", on_off(v, 0));
	else if (fact(CPU_SYS "/intel_pstate/no_turbo", v, sizeof(v)) == 0)
		snprintf(buf, len, "%s", on_off(v, 1));
	else
		snprintf(buf, len, RES_UNKNOWN);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "mitigations": { "meltdown": "Not affected", ... } in file-name order. */
static void mitigations(struct res_json *j)
{
	DIR *d = opendir(CPU_SYS "/vulnerabilities");
	struct dirent *e;
	char *names[128], path[512], line[512];
	size_t n = 0;

	if (!d) {
		res_json_str(j, "mitigations", RES_UNKNOWN);
		return;
	}
	while ((e = readdir(d)) && n < sizeof(names) / sizeof(names[0]))
		if (e->d_name[0] != '.' && (names[n] = strdup(e->d_name)))
			n++;
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	res_json_obj(j, "mitigations");
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), CPU_SYS "/vulnerabilities/%s", names[i]);
		fact(path, line, sizeof(line));
		res_json_str(j, names[i], line);
		free(names[i]);
	}
	res_json_end_obj(j);
}

void res_host_write(struct res_json *j)
{
	char buf[256];
	res_host_smt(buf, sizeof(buf));
	res_json_str(j, "smt", buf);
	res_host_boost(buf, sizeof(buf));
	res_json_str(j, "cpu_boost", buf);
	fact(CPU_SYS "/cpu0/cpufreq/scaling_driver", buf, sizeof(buf));
	res_json_str(j, "cpufreq_driver", buf);
	fact(CPU_SYS "/cpu0/cpufreq/scaling_governor", buf, sizeof(buf));
	res_json_str(j, "cpufreq_governor", buf);
	mitigations(j);
}
