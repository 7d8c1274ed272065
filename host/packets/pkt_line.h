/* pkt_line.h — one line per packet, as `tcpdump -n -S` prints it.
 *
 * What a live capture prints without -w: the protocol summary tcpdump
 * prints after the time (and after "IFACE In/Out" with several
 * interfaces). Ethernet frames (VLAN and QinQ tags skipped, as tcpdump
 * skips them without -e): ARP; IPv4 and IPv6 with TCP (flags, absolute
 * sequence and acknowledgement numbers as -S prints them, window, options,
 * length), UDP, ICMP (echo, unreachable, time exceeded, ...), ICMPv6 (echo,
 * neighbour discovery, MLD, ...); IPv4 fragments; IPv6 extension headers
 * (hop-by-hop, destination options, routing, fragment) walked to the
 * payload. Anything else gets a shorter line of the same shape ("IP
 * 198.18.0.1 > 198.18.0.2: ip-proto-47, length 24", "ethertype Unknown
 * (0x88b5), length 60"); a frame cut before what a line needs ends in
 * "[|ip]" / "[|tcp]" ... as tcpdump's do. Plain C. */
#ifndef PKTLUA_PKT_LINE_H
#define PKTLUA_PKT_LINE_H

#include <stddef.h>
#include <stdint.h>

/* Write the line for the CAPLEN bytes at DATA of a frame of LEN bytes into
 * BUF (NUL-terminated, cut to BUFLEN - 1, no newline). Returns BUF. */
char *pl_pkt_line(char *buf, size_t buflen, const uint8_t *data, uint32_t caplen, uint32_t len);

/* "HH:MM:SS.uuuuuu" (local time) of TS_NS into BUF (at least 16 bytes). */
char *pl_pkt_time(char *buf, size_t buflen, int64_t ts_ns);

#endif
