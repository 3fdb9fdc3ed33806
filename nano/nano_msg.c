/*
 * nano_msg.c - messages without stdio (see nano_msg.h).
 */
#include "nano_msg.h"
#include "nano_prim.h"

#include <stdlib.h>
#include <string.h>

void nano_msg_str(struct nano_msg *m, const char *s)
{
	size_t room = sizeof(m->buf) - m->len;
	size_t n = strlen(s);
	if (n > room)
		n = room;
	memcpy(m->buf + m->len, s, n);
	m->len += n;
}

void nano_msg_u64w(struct nano_msg *m, uint64_t v, unsigned width)
{
	char tmp[24];
	unsigned n = 0;
	do {
		tmp[sizeof(tmp) - 1 - n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < sizeof(tmp));
	while (width > n && m->len < sizeof(m->buf)) {
		m->buf[m->len++] = ' ';
		width--;
	}
	for (unsigned i = sizeof(tmp) - n; i < sizeof(tmp) && m->len < sizeof(m->buf); i++)
		m->buf[m->len++] = tmp[i];
}

void nano_msg_u64(struct nano_msg *m, uint64_t v)
{
	nano_msg_u64w(m, v, 0);
}

void nano_msg_hex(struct nano_msg *m, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[19];
	unsigned n = 0;
	do {
		tmp[sizeof(tmp) - 1 - n++] = digits[v & 15];
		v >>= 4;
	} while (v);
	tmp[sizeof(tmp) - 1 - n++] = 'x';
	tmp[sizeof(tmp) - 1 - n++] = '0';
	for (unsigned i = sizeof(tmp) - n; i < sizeof(tmp) && m->len < sizeof(m->buf); i++)
		m->buf[m->len++] = tmp[i];
}

void nano_msg_flush(struct nano_msg *m, int fd)
{
	nano_write_all(fd, m->buf, m->len);
	m->len = 0;
}

void nano_warn(const char *what, const char *value, const char *expected)
{
	struct nano_msg m = { 0 };
	nano_msg_str(&m, "nano: warning: ");
	nano_msg_str(&m, what);
	nano_msg_str(&m, "='");
	nano_msg_str(&m, value);
	nano_msg_str(&m, "' is not ");
	nano_msg_str(&m, expected);
	nano_msg_str(&m, "; using the default\n");
	nano_msg_flush(&m, 2);
}

void nano_fatal(const char *problem, const void *ptr)
{
	struct nano_msg m = { 0 };
	nano_msg_str(&m, "nano: ");
	nano_msg_str(&m, problem);
	nano_msg_str(&m, ": pointer ");
	nano_msg_hex(&m, (uint64_t)(uintptr_t)ptr);
	nano_msg_str(&m, " (nano zone heap corruption or misuse; aborting)\n");
	nano_msg_flush(&m, 2);
	abort();
}
