/* uapi.c — the names of the UAPI headers the compiler shim serves (uapi.h). */
#include "compile/uapi.h"

#include <string.h>

bool pl_uapi_serves(const char *name)
{
	size_t lo = 0, hi = pl_uapi_header_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, pl_uapi_headers + pl_uapi_header_off[mid]);

		if (!c)
			return true;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}
