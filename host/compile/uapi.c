/* uapi.c — the names of the UAPI headers the compiler shim serves (uapi.h). */
#include "compile/uapi.h"

#include <string.h>

bool pl_uapi_serves(const char *name)
{
	return pl_uapi__has(pl_uapi_headers, pl_uapi_header_off, pl_uapi_header_count, 0, name,
			    strlen(name));
}
