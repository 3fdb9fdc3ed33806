/*
 * nano_msg.h - messages without stdio.
 *
 * The zone cannot use printf: stdio may call malloc, and the zone may be
 * malloc. A message is built in a fixed buffer on the stack and written with
 * write(2). Text that does not fit is cut, never overflowed.
 */
#ifndef NANO_MSG_H
#define NANO_MSG_H

#include <stddef.h>
#include <stdint.h>

struct nano_msg {
	size_t len;
	char buf[1024];
};

void nano_msg_str(struct nano_msg *m, const char *s);
void nano_msg_u64(struct nano_msg *m, uint64_t v);
/* Right-aligned decimal in a field of width characters. */
void nano_msg_u64w(struct nano_msg *m, uint64_t v, unsigned width);
void nano_msg_hex(struct nano_msg *m, uint64_t v);
void nano_msg_flush(struct nano_msg *m, int fd);

/* "nano: WHAT: VALUE ..." warnings on stderr. */
void nano_warn(const char *what, const char *value, const char *expected);

/* Heap corruption, double free, foreign pointer: one line naming nano, the
 * pointer and the problem on stderr, then abort(). */
__attribute__((noreturn, cold))
void nano_fatal(const char *problem, const void *ptr);

#endif
