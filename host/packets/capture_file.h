/* capture_file.h — the file a live capture writes: pcap or pcapng, whole or
 * not at all.
 *
 * pcap: tcpdump -w's format (Ethernet, microsecond timestamps, the snap
 * length in the header). pcapng: one section, an interface description
 * block per interface (its name, Ethernet, the snap length, nanosecond
 * timestamps) and an enhanced packet block per packet with the direction in
 * its flags (inbound/outbound), as Wireshark's dumpcap writes it.
 *
 * The file is written next to PATH under a temporary name and renamed to
 * PATH only by pl_capture_file__close(f, true): a capture that fails leaves
 * nothing at PATH, and PATH never holds half a file. "-" writes to standard
 * output instead (no rename). Plain C, no libpcap (libpcap 1.10 cannot
 * write pcapng). */
#ifndef PKTLUA_CAPTURE_FILE_H
#define PKTLUA_CAPTURE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pl_capture_file;

struct pl_capture_file_opts {
	bool pcapng;          /* pcapng rather than pcap */
	uint32_t snaplen;     /* written in the header(s); 0: 262144 */
};

/* Packet directions (pcapng epb_flags bits 0-1). */
#define PL_CAPTURE_IN 1u
#define PL_CAPTURE_OUT 2u

/* Whether PATH's name asks for pcapng (it ends in ".pcapng"). */
bool pl_capture_file_is_pcapng(const char *path);

/* Create the temporary file (or take stdout for "-") and write the file
 * header. NULL with errno set and ERR naming PATH and the reason ("cannot
 * create: Permission denied"). */
struct pl_capture_file *pl_capture_file__open(const char *path,
					      const struct pl_capture_file_opts *opts,
					      char *err, size_t errlen);

/* Declare an interface (pcapng: an interface block; pcap: nothing to
 * write). Interfaces are numbered from 0 in the order they are added; add
 * them all before the first packet. Returns 0 or -errno. */
int pl_capture_file__add_iface(struct pl_capture_file *f, const char *name);

/* Append a packet seen on interface IFACE (its number) in direction DIR
 * (PL_CAPTURE_IN/OUT, 0 unknown), CAPLEN bytes of LEN, at TS_NS (ns since
 * the epoch). Returns 0 or -errno (a failed write also fails the close). */
int pl_capture_file__write(struct pl_capture_file *f, unsigned iface, unsigned dir,
			   int64_t ts_ns, const void *data, uint32_t caplen, uint32_t len);

/* Push what is buffered to the file (a reader of stdout sees it). */
int pl_capture_file__flush(struct pl_capture_file *f);

/* Finish. KEEP: flush, close and rename into place; returns 0 or -errno with
 * ERR set (then the temporary file is removed: nothing at PATH). Not KEEP:
 * remove the temporary file, return 0. NULL is fine. */
int pl_capture_file__close(struct pl_capture_file *f, bool keep, char *err, size_t errlen);

#endif
