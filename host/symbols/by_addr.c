/* by_addr.c — the last address at or below a value, in a sorted table. */
#include "symbols/by_addr.h"

#include <errno.h>
#include <string.h>

static uint64_t addr_at(const void *base, size_t size, size_t offset, size_t i)
{
	uint64_t a;

	memcpy(&a, (const char *)base + i * size + offset, sizeof(a));
	return a;
}

int pl_by_addr__floor(const void *base, size_t n, size_t size, size_t offset, uint64_t addr,
		      size_t *i)
{
	size_t lo = 0, hi = n;

	/* The first entry above ADDR; the one before it holds ADDR. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (addr_at(base, size, offset, mid) <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return -ENOENT;
	size_t k = lo - 1;
	uint64_t at = addr_at(base, size, offset, k);
	while (k > 0 && addr_at(base, size, offset, k - 1) == at)
		k--;
	*i = k;
	return 0;
}
