/* kallsyms.h — kernel symbols from /proc/kallsyms, read once, searched by
 * binary search.
 *
 * /proc/kallsyms has ~200,000 lines and the kernel takes tens of ms to make
 * it, so it is read once per process, on first use (pl_ksyms()), into one
 * sorted array and one string arena. Module symbols carry their module's
 * name ("[xfs]" → "xfs"), BPF programs the module "bpf". */
#ifndef PKTLUA_KALLSYMS_H
#define PKTLUA_KALLSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pl_ksym {
	uint64_t addr;
	const char *name;
	const char *module;   /* NULL for the kernel image itself */
};

struct pl_ksyms;

/* Parse the text of /proc/kallsyms (TEXT need not be NUL-terminated).
 * Absolute symbols ('a'/'A': per-CPU offsets, not code) are left out.
 * Returns NULL with errno set (ENOMEM). Malformed lines are skipped: this
 * is also the entry point for fuzzing. */
struct pl_ksyms *pl_ksyms__parse(const char *text, size_t len);
void pl_ksyms__free(struct pl_ksyms *ks);

/* The symbol at or before ADDR (a symbol's extent is up to the next one),
 * with ADDR - its address in *OFFSET; NULL below the first symbol, after
 * the last by more than 1 MB, or when the addresses are hidden. The result
 * points into KS. */
const struct pl_ksym *pl_ksyms__find(const struct pl_ksyms *ks, uint64_t addr,
				     uint64_t *offset);
/* The first symbol named NAME (a linear scan: for tests and tools). */
const struct pl_ksym *pl_ksyms__by_name(const struct pl_ksyms *ks, const char *name);
size_t pl_ksyms__count(const struct pl_ksyms *ks);
/* Whether every address read as zero: kptr_restrict hides them from this
 * process (not root, or kptr_restrict=2). */
bool pl_ksyms__hidden(const struct pl_ksyms *ks);

/* The running kernel's symbols: /proc/kallsyms read on the first call and
 * kept (owned here, never free it) until pl_ksyms_invalidate(). NULL with
 * errno set when it cannot be read. When the addresses are hidden, the
 * first read logs one warning saying why (and later reads stay quiet). */
const struct pl_ksyms *pl_ksyms(void);
/* Modules and BPF programs loaded since the read are not in it: make the
 * next pl_ksyms() read /proc/kallsyms again (only if it was read). What an
 * earlier pl_ksyms() returned stays valid until that next call. */
void pl_ksyms_invalidate(void);
/* Nanoseconds (CLOCK_MONOTONIC) since the last read; 0 before the first. */
uint64_t pl_ksyms_age_ns(void);

#endif
