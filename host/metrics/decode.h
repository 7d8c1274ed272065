/* decode.h — label decoders: raw key bytes made readable, as ebpf_exporter's
 * decoders do ("ip", "port", "ksym", "comm", "ifname", "errno").
 *
 * A pl_mdecoders holds per-scrape caches of interface and process names (an
 * interface or a process may come and go between scrapes, not during one).
 * Kernel symbols are symbols/kallsyms.h's, read once per process.
 *
 * Plain C, no Lua. */
#ifndef PKTLUA_METRICS_DECODE_H
#define PKTLUA_METRICS_DECODE_H

#include "metrics/expo.h"

#include <stdbool.h>
#include <stdint.h>

enum pl_mdecode {
	PL_MDECODE_NONE,
	PL_MDECODE_IP,       /* 4 bytes: IPv4; 16: IPv6, or IPv4 when bytes 4..15 are 0 (union pkt_addr) */
	PL_MDECODE_PORT,     /* 2 bytes in network order */
	PL_MDECODE_KSYM,     /* a kernel address: the symbol that holds it */
	PL_MDECODE_COMM,     /* char[N]: the string; an integer: that pid's comm */
	PL_MDECODE_IFNAME,   /* an ifindex: the interface's name */
	PL_MDECODE_ERRNO,    /* an errno, either sign: "ENOENT" */
	PL_MDECODE_FN,       /* a callback's text */
};

/* What a decoder may be given (the field's representation). */
enum pl_mfield_kind {
	PL_MFIELD_UINT,
	PL_MFIELD_INT,
	PL_MFIELD_BOOL,
	PL_MFIELD_FLOAT,
	PL_MFIELD_CHARS,
	PL_MFIELD_BYTES,     /* arrays, unions, anything else */
};

/* Decoder by its name ("ip", ...), or PL_MDECODE_NONE for an unknown name. */
enum pl_mdecode pl_mdecode__parse(const char *name);
const char *pl_mdecode__name(enum pl_mdecode d);

/* Can decoder D read a field of KIND and SIZE bytes? NULL if so, else why
 * not ("needs a 4- or 16-byte field"). */
const char *pl_mdecode__check(enum pl_mdecode d, enum pl_mfield_kind kind, uint32_t size);

struct pl_mdecoders;

struct pl_mdecoders *pl_mdecoders__new(void);
void pl_mdecoders__free(struct pl_mdecoders *d);
/* A scrape starts: forget interface and process names. */
void pl_mdecoders__begin_scrape(struct pl_mdecoders *d);

/* Append the text of the SIZE bytes at FIELD (KIND) decoded by DEC (not
 * PL_MDECODE_FN) to OUT, unescaped. What cannot be decoded (an unknown
 * address, a gone process) falls back to the number. */
void pl_mdecoders__run(struct pl_mdecoders *d, enum pl_mdecode dec, enum pl_mfield_kind kind,
		       const void *field, uint32_t size, struct pl_mbuf *out);

/* The plain text of a field without a decoder: integers in decimal, bool
 * "true"/"false", char[N] NUL-trimmed, other bytes in hex. */
void pl_mfield__text(enum pl_mfield_kind kind, const void *field, uint32_t size,
		     struct pl_mbuf *out);
/* An integer field of SIZE 1/2/4/8 bytes (bitfields: BIT_SIZE bits from
 * BIT_OFFSET), sign-extended when SIGNED. */
uint64_t pl_mfield__u64(const void *field, uint32_t size, uint8_t bit_offset, uint8_t bit_size,
			bool is_signed);
/* A floating-point field: a float (SIZE 4) or a double (8). */
double pl_mfield__f64(const void *field, uint32_t size);

#endif
