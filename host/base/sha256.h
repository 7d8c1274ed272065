/* sha256.h — SHA-256 (FIPS 180-4), small and dependency-free.
 *
 * Used for the compile cache's keys and integrity checks (cache.c) and by the
 * build-time embed tool (tools/embed.c) for the digest of the embedded
 * headers. Not constant-time and not meant for secrets: it identifies
 * content. */
#ifndef PKTLUA_SHA256_H
#define PKTLUA_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define PL_SHA256_LEN 32
#define PL_SHA256_HEX_LEN 64

struct pl_sha256 {
	uint32_t h[8];
	uint64_t total;          /* bytes hashed so far */
	unsigned char buf[64];   /* pending partial block */
	size_t nbuf;
};

void pl_sha256_init(struct pl_sha256 *s);
void pl_sha256_update(struct pl_sha256 *s, const void *data, size_t len);
void pl_sha256_final(struct pl_sha256 *s, unsigned char out[PL_SHA256_LEN]);

/* One-shot digest of DATA. */
void pl_sha256(const void *data, size_t len, unsigned char out[PL_SHA256_LEN]);

/* DIGEST as 64 lowercase hex digits and a NUL (HEX holds 65 bytes). */
void pl_sha256_hex(const unsigned char digest[PL_SHA256_LEN],
		   char hex[PL_SHA256_HEX_LEN + 1]);

#endif
