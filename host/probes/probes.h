/* probes.h — what can be probed: pktlua -l [PATTERN] and -lv PROBE.
 *
 * Probes are named in the SEC() spelling a snippet uses:
 *   tracepoint/CAT/NAME      tracefs available_events
 *   raw_tp/NAME, tp_btf/NAME the kernel's BTF (btf_trace_NAME typedefs, and
 *                            those of modules' BTF)
 *   perf_event/EVENT         SEC("perf_event") with attach{event = EVENT}:
 *                            the software events, and the hardware events
 *                            this machine can open
 *   uprobe/PATH:SYMBOL       the function symbols of PATH (asked for with a
 *                            pattern 'uprobe/PATH:GLOB')
 *   usdt/PATH:PROVIDER:NAME  PATH's .note.stapsdt (pattern 'usdt/PATH:GLOB')
 *   kprobe/FUNC, fentry/FUNC only where the kernel can attach them; else
 *                            one line on stderr says why they are left out
 *                            (only when the pattern could match them)
 *
 * PATTERN is a shell glob (fnmatch) over the whole probe name; one without
 * a wildcard matches probes that contain it. listing.c lists, describe.c
 * shows a probe's arguments; listing.c calls it, never the other way. A
 * binary is found as uprobes find it (symbols/libs.h: "c" is libc.so.6).
 * Plain C: output on OUT, problems logged. */
#ifndef PKTLUA_PROBES_H
#define PKTLUA_PROBES_H

#include <stdbool.h>
#include <stdio.h>

struct pl_probes_opts {
	bool verbose;   /* -lv: each probe's arguments after its name */
};

/* Print the probes matching PATTERN (NULL: all), one per line, sorted
 * within each kind. Returns how many (>= 0), or a negative errno (a
 * binary that cannot be read, a bad pattern), logged. */
int pl_probes_list(const char *pattern, const struct pl_probes_opts *opts, FILE *out);

/* Print PROBE's arguments (describe.c): a tracepoint's fields as a C struct
 * (from its format file: offsets, sizes, __data_loc strings), a
 * raw_tp/tp_btf's typed arguments (from BTF), a USDT probe's argument
 * specs, a uprobe's address. Returns 0, -ENOENT (no such probe), logged. */
int pl_probes_describe(const char *probe, FILE *out);

#endif
