/* filter_run.h — `pktlua --filter EXPR --pcap FILE [-w OUT]`: count (and
 * write) the packets of a capture that a tcpdump expression matches, through
 * the eBPF path.
 *
 * The expression is compiled by libpcap for the capture's own link type and
 * snap length (filter.h), translated to C (the PL_FILTER_BUF flavour) and
 * built into one BPF object: a BPF_PROG_TYPE_SYSCALL program that walks a
 * batch of frames (up to 8192, or 1.75 MB of them) held in a memory-mapped
 * array map value with bpf_loop(), and writes each one's verdict beside it.
 * One BPF_PROG_TEST_RUN runs a batch; every frame, from 1 byte to
 * PL_FILTER_BUF_MAX, runs on its original bytes with its record's wire
 * length. A packet that cannot be run is counted in errors and warned about;
 * none is skipped silently. Plain C, no Lua. */
#ifndef PKTLUA_FILTER_RUN_H
#define PKTLUA_FILTER_RUN_H

#include <stddef.h>
#include <stdint.h>

/* Zero means the default. */
struct pl_filter_run_opts {
	const char *out;         /* write the matching packets to this pcap file */
	unsigned max_warnings;   /* per-packet warnings printed (default 10) */
};

struct pl_filter_run_result {
	uint64_t packets;        /* read from the file */
	uint64_t matched;        /* the expression accepted them */
	uint64_t batches;        /* test runs of the batch program */
	uint64_t errors;         /* could not be run (each warned about) */
	uint64_t written;        /* to opts.out */
	uint64_t run_ns;         /* time spent reading and running packets */
	uint64_t setup_ns;       /* time spent compiling and loading */
	int linktype;            /* of the capture (DLT_*), -1 before it is opened */
};

/* Run EXPR over FILE. Fills *RES as far as it got, even on failure. Returns
 *   0        the whole file was read and every packet ran;
 *   -EIO     the file ended mid-record or is corrupt after some packets
 *            (RES counts what was read; ERR has libpcap's message, naming
 *            FILE), or some packets could not be run (RES->errors);
 *   other negative errnos with ERR naming the thing and the reason: the file
 *            cannot be opened (-ENOENT, ...), the expression does not compile
 *            or cannot be translated (-EINVAL), the BPF object does not build
 *            or load, OUT cannot be written.
 * OUT is written to a temporary file next to it and renamed into place only
 * on success (return 0); on failure nothing is left at OUT. */
int pl_filter_run(const char *expr, const char *file, const struct pl_filter_run_opts *opts,
		  struct pl_filter_run_result *res, char *err, size_t errlen);

/* The C that --filter-c prints (malloc'd): EXPR translated for FILE's link
 * type and snap length, or for DLT_EN10MB and 262144 when FILE is NULL, as
 * both flavours (PL_FILTER_PKT, what XDP and tc code calls, and
 * PL_FILTER_BUF, what the engine runs). Returns NULL with errno set and a
 * message in ERR. */
char *pl_filter_run_c(const char *expr, const char *file, char *err, size_t errlen);

#endif
