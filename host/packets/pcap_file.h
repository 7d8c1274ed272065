/* pcap_file.h — capture files through libpcap: read, write, link types.
 *
 * Plain C (no Lua): a reader hands out packets with nanosecond timestamps
 * from pcap and pcapng files; a writer makes pcap files tcpdump and
 * Wireshark open. Link-layer helpers turn raw-IP and Linux cooked (SLL,
 * SLL2) frames into Ethernet frames for programs that expect one.
 *
 * Errors: constructors return NULL with errno set and a message naming the
 * file and the reason in ERR; other calls return 0 or a negative errno. */
#ifndef PKTLUA_PCAP_FILE_H
#define PKTLUA_PCAP_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pl_pcap_reader;
struct pl_pcap_writer;

/* One packet as the reader hands it out. DATA belongs to the reader and is
 * valid until the next pl_pcap_reader__next() or close. */
struct pl_pcap_pkt {
	const uint8_t *data;
	uint32_t caplen;     /* bytes in DATA */
	uint32_t len;        /* length on the wire (>= caplen when cut) */
	int64_t ts_sec;      /* the time: seconds since the epoch */
	uint32_t ts_nsec;    /* and nanoseconds, 0 to 999,999,999 */
	/* The time in nanoseconds since the epoch when it fits in 64 bits
	 * (1677 to 2262; ts_ns_ok), else saturated: a file may say anything. */
	int64_t ts_ns;
	bool ts_ns_ok;
};

/* Open FILE (pcap or pcapng, any timestamp precision). */
struct pl_pcap_reader *pl_pcap_reader__open(const char *file, char *err, size_t errlen);

/* What pl_pcap_reader__open() opens with, for code that needs libpcap's own
 * handle (struct pcap is pcap_t): FILE ("-" is standard input) opened once
 * (a FIFO or a pipe works) as a libpcap handle with nanosecond timestamps,
 * read through a PL_PCAP_READ_BUFFER stdio buffer that is *BUF (free() it
 * after pcap_close()). MAGIC (may be NULL) gets the file's first 4 bytes as
 * they are in memory order (0 when shorter): its own timestamp precision.
 * NULL with errno set and ERR naming the file and the reason. */
#define PL_PCAP_READ_BUFFER (1u << 20)
struct pcap;
struct pcap *pl_pcap_open_offline(const char *file, char **buf, uint32_t *magic, char *err,
				  size_t errlen);
/* The next packet: 1 and *PKT filled, 0 at the end of the file, or -EIO for
 * a truncated or corrupt file (the message, naming the file and the packet
 * number, is in pl_pcap_reader__error()). */
int pl_pcap_reader__next(struct pl_pcap_reader *r, struct pl_pcap_pkt *pkt);
const char *pl_pcap_reader__error(const struct pl_pcap_reader *r);
int pl_pcap_reader__linktype(const struct pl_pcap_reader *r);   /* DLT_* */
uint32_t pl_pcap_reader__snaplen(const struct pl_pcap_reader *r);
uint64_t pl_pcap_reader__count(const struct pl_pcap_reader *r); /* packets read */
const char *pl_pcap_reader__file(const struct pl_pcap_reader *r);
void pl_pcap_reader__close(struct pl_pcap_reader *r);           /* NULL is fine */

/* Zero means the default, as in the Lua table pcap.writer(file, opts). */
struct pl_pcap_writer_opts {
	int linktype;        /* DLT_*; default DLT_EN10MB */
	uint32_t snaplen;    /* default 262144; longer packets are cut */
	bool nanosecond;     /* nanosecond timestamps (default microsecond) */
};

/* Create FILE (truncating it). OPTS may be NULL. */
struct pl_pcap_writer *pl_pcap_writer__open(const char *file, const struct pl_pcap_writer_opts *opts,
					    char *err, size_t errlen);
/* Append a packet of CAPLEN bytes that had ORIGLEN on the wire (0: CAPLEN).
 * Returns 0 or -errno (write errors are reported at close at the latest). */
int pl_pcap_writer__write(struct pl_pcap_writer *w, const void *data, uint32_t caplen,
			  uint32_t origlen, int64_t ts_ns);
/* The same with the time as seconds and nanoseconds (any time a reader
 * hands out; NSEC is taken modulo one second). */
int pl_pcap_writer__write_ts(struct pl_pcap_writer *w, const void *data, uint32_t caplen,
			     uint32_t origlen, int64_t sec, uint32_t nsec);
uint64_t pl_pcap_writer__count(const struct pl_pcap_writer *w);
/* Flush and close; returns 0 or -errno of a failed write or flush. */
int pl_pcap_writer__close(struct pl_pcap_writer *w);

/* ---- link types ---------------------------------------------------------- */

/* libpcap's name of a link type ("EN10MB", "LINUX_SLL"), or "DLT <n>". The
 * string is static or lives in BUF. */
const char *pl_pcap_linktype_name(int linktype, char *buf, size_t buflen);
/* DLT_* value of a name as tcpdump spells it ("EN10MB", "RAW"), or -EINVAL. */
int pl_pcap_linktype_from_name(const char *name);

/* Can pl_pcap_to_ether() convert frames of LINKTYPE? (Ethernet, DLT_RAW,
 * DLT_IPV4, DLT_IPV6, DLT_LINUX_SLL, DLT_LINUX_SLL2.) */
bool pl_pcap_ether_capable(int linktype);

/* Bytes an Ethernet frame may need beyond the captured bytes. */
#define PL_PCAP_ETHER_GROWTH 14

/* Make an Ethernet frame of the CAPLEN bytes of IN (link type LINKTYPE):
 * Ethernet frames are returned as they are (*OUT = IN); other link types get
 * a synthesized 14-byte Ethernet header written to BUF (which must hold
 * CAPLEN + PL_PCAP_ETHER_GROWTH bytes), and *OUT = BUF:
 *   raw IP:          dst 00:00:00:00:00:00, src 00:00:00:00:00:00, type
 *                    0x0800 or 0x86dd from the IP version nibble;
 *   LINUX_SLL/SLL2:  the cooked header is replaced; src is the cooked
 *                    header's link-layer address when it is 6 bytes long
 *                    (else zeros), dst zeros, type the cooked protocol.
 * Returns the frame length, or -EPROTO for a frame that cannot be converted
 * (cut inside the link header, not IP, an 802.2 protocol), -EPROTONOSUPPORT
 * for a link type outside the list above. */
int pl_pcap_to_ether(int linktype, const uint8_t *in, uint32_t caplen, uint8_t *buf,
		     const uint8_t **out);

#endif
