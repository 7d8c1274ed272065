/* embedded.c — lookup in the build-time table of embedded files. */
#include "base/embedded.h"

#include <stdlib.h>
#include <string.h>

static int cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct pl_embedded_file *)elem)->name);
}

const struct pl_embedded_file *pl_embedded_find(const char *name)
{
	return bsearch(name, pl_embedded_files, pl_embedded_count,
		       sizeof(pl_embedded_files[0]), cmp);
}
