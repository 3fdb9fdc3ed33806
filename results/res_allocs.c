/*
 * res_allocs.c - the names of the allocators nanobench knows (res_allocs.h).
 */
#include "res_allocs.h"

#include <stdio.h>
#include <string.h>

#define RES_ALLOC_NAME_(id, name) [RES_ALLOC_##id] = name,
const char *const res_alloc_names[RES_NALLOCS] = { RES_ALLOCATORS(RES_ALLOC_NAME_) };

int res_alloc_find(const char *name, size_t len)
{
	for (int i = 0; i < RES_NALLOCS; i++)
		if (strlen(res_alloc_names[i]) == len && !strncmp(res_alloc_names[i], name, len))
			return i;
	return -1;
}

void res_alloc_list(char *buf, size_t len, const char *sep)
{
	size_t l = 0;
	if (len)
		buf[0] = 0;
	for (int i = 0; i < RES_NALLOCS && l < len; i++)
		l += (size_t)snprintf(buf + l, len - l, "%s%s", i ? sep : "", res_alloc_names[i]);
}
