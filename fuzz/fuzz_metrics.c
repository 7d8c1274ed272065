/* fuzz_metrics.c — the metrics code that reads outside bytes
 * (host/metrics/expo.c): a scraper's Accept header (content negotiation;
 * libmicrohttpd parses the rest of the request), and label values made of
 * map bytes (escaped, invalid UTF-8 included). */
#include "metrics/expo.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *accept = malloc(size + 1);

	if (!accept)
		return 0;
	memcpy(accept, data, size);
	accept[size] = '\0';
	enum pl_expo_format f = pl_expo__negotiate(accept);
	if (!pl_expo__content_type(f))
		abort();
	struct pl_mbuf b = { 0 };
	pl_expo__label_value(&b, (const char *)data, size);
	pl_expo__label(&b, "l", (const char *)data, size);
	pl_metrics__valid_name(accept);
	pl_metrics__valid_label(accept);
	pl_mbuf__free(&b);
	free(accept);
	return 0;
}
