/*
 * wl_check.h - the tests' one assertion macro: report and count, go on.
 */
#ifndef WL_CHECK_H
#define WL_CHECK_H

#include <stdio.h>

static int wl_check_failures;

#define CHECK(cond, ...)                                                        \
	do {                                                                    \
		if (!(cond)) {                                                  \
			wl_check_failures++;                                    \
			fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__,  \
				__LINE__, #cond);                               \
			fprintf(stderr, __VA_ARGS__);                           \
			fputc('\n', stderr);                                    \
		}                                                               \
	} while (0)

#define CHECK_DONE()                                                            \
	(wl_check_failures ? (fprintf(stderr, "%d check(s) failed\n",           \
				      wl_check_failures), 1) : 0)

#endif
