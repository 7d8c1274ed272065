/* demangle.c — libiberty's demangler behind a plain C call. */
#include "symbols/demangle.h"

#include <libiberty/demangle.h>
#include <stdlib.h>

char *pl_demangle(const char *name)
{
	/* Itanium C++ (_Z), Rust v0 (_R) and D (_D) names; legacy Rust names
	 * are Itanium-shaped. Anything else is not mangled: do not ask. */
	if (!name || name[0] != '_' || (name[1] != 'Z' && name[1] != 'R' && name[1] != 'D'))
		return NULL;
	return cplus_demangle(name, DMGL_PARAMS | DMGL_ANSI | DMGL_AUTO);
}
