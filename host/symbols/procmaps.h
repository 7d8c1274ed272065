/* procmaps.h — the executable mappings of a process (/proc/PID/maps).
 *
 * Only what symbolizing code addresses needs: mappings with execute
 * permission (files, [vdso], anonymous JIT code), with their file offset,
 * device and inode, and path. A set can also be built by hand, from the
 * records pktlua's exit hook sends (stack.h) for a process that is gone. */
#ifndef PKTLUA_PROCMAPS_H
#define PKTLUA_PROCMAPS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pl_mapping {
	uint64_t start, end;   /* [start, end) */
	uint64_t pgoff;        /* file offset of START */
	uint64_t dev;          /* makedev(major, minor), as stat's st_dev */
	uint64_t ino;          /* 0: not a file */
	const char *path;      /* "" for anonymous memory; "[vdso]" ... */
};

struct pl_procmaps;

/* Parse the text of a maps file (need not be NUL-terminated). Lines that do
 * not parse are skipped: this is also the entry point for fuzzing. Returns
 * NULL with errno set (ENOMEM). */
struct pl_procmaps *pl_procmaps__parse(const char *text, size_t len);
/* Read /proc/PID/maps. NULL with errno set: ESRCH/ENOENT when the process
 * is gone, EACCES... */
struct pl_procmaps *pl_procmaps__read(pid_t pid);
/* An empty set, to fill with pl_procmaps__add. */
struct pl_procmaps *pl_procmaps__new(void);
/* Add one mapping (PATH is copied). Returns 0 or -ENOMEM. */
int pl_procmaps__add(struct pl_procmaps *pm, const struct pl_mapping *m);
void pl_procmaps__free(struct pl_procmaps *pm);

/* The mapping holding ADDR, or NULL. Points into PM. */
const struct pl_mapping *pl_procmaps__find(struct pl_procmaps *pm, uint64_t addr);
size_t pl_procmaps__count(const struct pl_procmaps *pm);
const struct pl_mapping *pl_procmaps__at(const struct pl_procmaps *pm, size_t i);

#endif
