/* names.c — a growing block of names (names.h). */
#include "symbols/names.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int pl_names__add(struct pl_names *b, const char *s, size_t n, size_t *off)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : b->first ? b->first : 16384;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->p[b->len + n] = '\0';
	*off = b->len;
	b->len += n + 1;
	return 0;
}
