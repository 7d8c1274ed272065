/* capture_cmd.h — `pktlua --filter EXPR -i IFACE [-i IFACE2 ...] [-w FILE]
 * [-c COUNT] [-s SNAPLEN] [-Q in|out|inout] [--xdp] [--pcapng] [-B KiB] [-l]`:
 * live capture, the expression running at tc or XDP (packets/live.h). */
#ifndef PKTLUA_CAPTURE_CMD_H
#define PKTLUA_CAPTURE_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pl_capture_args {
	const char *expr;
	const char *const *ifaces;
	size_t n_ifaces;
	const char *out;         /* -w FILE ("-": stdout), or NULL: print lines */
	bool pcapng;             /* --pcapng, or OUT ends in .pcapng */
	uint64_t count;          /* -c: stop after this many; 0: no limit */
	uint32_t snaplen;        /* -s; 0: 262144 */
	unsigned dirs;           /* -Q: PL_LIVE_IN/OUT bits; 0: the default */
	bool xdp;                /* --xdp */
	bool foreign;            /* -f: the interfaces' netmasks, as tcpdump -f */
	size_t ring_kib;         /* -B; 0: the default */
	bool line_buffered;      /* -l */
};

/* Run the capture; returns the exit status: 0 after -c COUNT, Ctrl-C or
 * SIGTERM; 1 when it cannot start (nothing attached, nothing at OUT) or an
 * interface went away or OUT could not be written. */
int pl_cli_capture(const struct pl_capture_args *a);

#endif
