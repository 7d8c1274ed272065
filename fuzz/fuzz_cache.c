/* fuzz_cache.c — the compile-cache entry parser (cache.c) on arbitrary
 * entries. The harness makes the key and both checksums agree with the
 * input (a fuzzer cannot forge SHA-256), so the lengths and the dependency
 * list behind them get fuzzed too. */
#include "base/sha256.h"
#include "compile/cache.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The entry header's layout (cache.c): magic[8], format, hdr_len, key[32],
 * ndeps, deps_len, diag_len, obj_len, obj_sha[32], meta_sha[32]. */
#define HDR_LEN (8 + 4 + 4 + 32 + 4 * 8 + 32 + 32)
#define KEY_OFF 16
#define DEPS_LEN_OFF (KEY_OFF + 32 + 8)
#define OBJ_SHA_OFF (KEY_OFF + 32 + 4 * 8)
#define META_SHA_OFF (OBJ_SHA_OFF + 32)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char key[PL_SHA256_LEN];
	struct pl_cache_entry e;
	char why[256];
	unsigned char *buf;

	if (size > (1u << 20))
		return 0;
	buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	if (size >= HDR_LEN) {
		uint64_t deps, diag;
		memcpy(key, buf + KEY_OFF, sizeof(key));
		memcpy(&deps, buf + DEPS_LEN_OFF, 8);
		memcpy(&diag, buf + DEPS_LEN_OFF + 8, 8);
		size_t meta = deps <= size - HDR_LEN && diag <= size - HDR_LEN - deps ?
			      HDR_LEN + deps + diag : 0;
		if (meta) {
			pl_sha256(buf + meta, size - meta, buf + OBJ_SHA_OFF);
			memset(buf + META_SHA_OFF, 0, PL_SHA256_LEN);
			unsigned char sum[PL_SHA256_LEN];
			pl_sha256(buf, meta, sum);
			memcpy(buf + META_SHA_OFF, sum, PL_SHA256_LEN);
		}
	} else {
		memset(key, 0, sizeof(key));
	}
	if (pl_cache_parse(buf, size, key, &e, why, sizeof(why)) == 0) {
		/* What it points at is inside the buffer. */
		if (e.obj_len == 0 || (const unsigned char *)e.obj + e.obj_len != buf + size ||
		    e.deps < buf || e.diag + e.diag_len != (const char *)e.obj)
			abort();
	} else if (!why[0]) {
		abort();
	}
	free(buf);
	return 0;
}
