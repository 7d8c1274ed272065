/* out_file.h — output files written where the user points, as tcpdump -w
 * writes them.
 *
 * pl_out_open(PATH) decides how, by what PATH names (through symlinks):
 *   - nothing yet, or a regular file (with one link): a temporary file is
 *     made beside it (beside the symlink's target: the link stays) and
 *     pl_out_close(keep) renames it into place, so a failed run leaves
 *     nothing, and an old file stays whole until the new one is complete;
 *   - a device node, a FIFO, a dangling symlink, a file with other hard
 *     links, a file in a directory we may not write: written in place,
 *     as tcpdump does (/dev/null, /dev/stdout, a FIFO a reader waits on
 *     stay what they are). Opening a FIFO waits for its reader;
 *   - a directory, a socket: an error.
 * "-" is standard output (never closed).
 *
 * Plain C; used by --filter -w, pcap.writer, replay's out= and live capture.
 * Errors: 0 or -errno, with a message naming PATH and the reason in ERR. */
#ifndef PKTLUA_OUT_FILE_H
#define PKTLUA_OUT_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct pl_out {
	FILE *f;          /* write here; NULL once closed */
	char *path;       /* where the bytes end up (symlinks resolved) */
	char *tmp;        /* the temporary file, or NULL when written in place */
};

/* Open PATH for writing (see above). On error *O is left closed. */
int pl_out_open(struct pl_out *o, const char *path, char *err, size_t errlen);

/* Close O->f (if the caller has not: set O->f = NULL after closing it
 * yourself, e.g. through pcap_dump_close), then KEEP: rename the temporary
 * file into place; !KEEP: remove it (in-place output stays as written).
 * Returns 0 or -errno of a failed write, close or rename (ERR says which).
 * Frees what O holds; O may be closed twice. */
int pl_out_close(struct pl_out *o, bool keep, char *err, size_t errlen);

#endif
