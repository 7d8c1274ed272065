/* filter_run.h — `pktlua --filter EXPR --pcap FILE [-w OUT]`: count (and
 * write) the packets of a capture that a tcpdump expression matches, through
 * the eBPF path.
 *
 * The expression is compiled by libpcap for the capture's own link type and
 * snap length (filter.h), translated to C, built into one BPF object with two
 * programs and run once per packet with BPF_PROG_TEST_RUN, on the packet's
 * original bytes:
 *   - an XDP program for frames of 14 .. PL_FILTER_RUN_XDP_MAX bytes; the
 *     wire length travels in front of the frame as XDP metadata (data_meta),
 *     so one syscall runs one packet;
 *   - a BPF_PROG_TYPE_SYSCALL program for the others (shorter than an
 *     Ethernet header, or bigger than the kernel's linear test-run data, up to
 *     PL_FILTER_BUF_MAX bytes): the frame is copied into a memory-mapped
 *     array map value and the program reads it from there.
 * A packet that cannot be run is counted in errors and warned about; none
 * is skipped silently. Plain C, no Lua. */
#ifndef PKTLUA_FILTER_RUN_H
#define PKTLUA_FILTER_RUN_H

#include <stddef.h>
#include <stdint.h>

/* Largest frame the XDP program takes: BPF_PROG_TEST_RUN's linear XDP data
 * (PL_REPLAY_XDP_LINEAR_MAX) less the 8 bytes of metadata in front. */
#define PL_FILTER_RUN_XDP_MAX (3520 - 8)

/* Zero means the default. */
struct pl_filter_run_opts {
	const char *out;         /* write the matching packets to this pcap file */
	unsigned max_warnings;   /* per-packet warnings printed (default 10) */
};

struct pl_filter_run_result {
	uint64_t packets;        /* read from the file */
	uint64_t matched;        /* the expression accepted them */
	uint64_t run_xdp;        /* ran through the XDP program */
	uint64_t run_buf;        /* ran through the map-buffer program */
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
 * the function flavours the engine uses. Returns NULL with errno set and a
 * message in ERR. */
char *pl_filter_run_c(const char *expr, const char *file, char *err, size_t errlen);

#endif
