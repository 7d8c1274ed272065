/* pcap_file.c — capture files through libpcap (see pcap_file.h).
 *
 * Files are opened with nanosecond precision whatever their own precision
 * (libpcap scales microsecond files up), so one timestamp type serves pcap
 * and pcapng alike and nothing is lost between reading and writing. */
#include "packets/pcap_file.h"
#include "packets/out_file.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct pl_pcap_reader {
	pcap_t *pcap;
	char *buf;             /* the stdio buffer libpcap reads through */
	uint64_t count;
	char *file;
	char err[PCAP_ERRBUF_SIZE + 256];
};

struct pl_pcap_writer {
	pcap_t *dead;          /* carries link type, snap length, precision */
	struct pl_out out;     /* the file (written through links, devices, FIFOs) */
	pcap_dumper_t *dumper; /* writes to out.f; closed by pl_out_close */
	uint32_t snaplen;
	bool nano;
	uint64_t count;
};

/* ---- reader --------------------------------------------------------------- */

/* A capture is opened once, whatever it is: a FIFO or a <(...) pipe cannot
 * be opened again or rewound. Its first bytes (the magic number) are read
 * here, for the caller, then handed to libpcap ahead of the rest: a file
 * that can seek is rewound, a pipe is read through a stdio cookie that
 * replays them. */
struct source {
	int fd;
	unsigned char head[4];
	size_t nhead, off;
};

static ssize_t source_read(void *cookie, char *buf, size_t n)
{
	struct source *s = cookie;
	ssize_t r;

	if (s->off < s->nhead) {
		size_t k = s->nhead - s->off < n ? s->nhead - s->off : n;
		memcpy(buf, s->head + s->off, k);
		s->off += k;
		return (ssize_t)k;
	}
	do
		r = read(s->fd, buf, n);
	while (r < 0 && errno == EINTR);
	return r;
}

static int source_close(void *cookie)
{
	struct source *s = cookie;
	int rc = close(s->fd);

	free(s);
	return rc;
}

/* FILE ("-": a copy of standard input) as a stdio stream positioned at its
 * start, its first 4 bytes in *MAGIC (0 when shorter). NULL, errno set. */
static FILE *open_source(const char *file, uint32_t *magic)
{
	struct source *s = calloc(1, sizeof(*s));
	FILE *f = NULL;
	int e = 0;

	if (!s)
		return NULL;
	s->fd = strcmp(file, "-") ? open(file, O_RDONLY | O_CLOEXEC) : fcntl(0, F_DUPFD_CLOEXEC, 3);
	if (s->fd < 0) {
		e = errno;
		goto fail;
	}
	while (s->nhead < sizeof(s->head)) {
		ssize_t r = read(s->fd, s->head + s->nhead, sizeof(s->head) - s->nhead);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = errno;             /* a directory: EISDIR */
			goto fail;
		}
		if (r == 0)
			break;
		s->nhead += (size_t)r;
	}
	*magic = 0;
	if (s->nhead == 4)
		memcpy(magic, s->head, 4);
	if (lseek(s->fd, 0, SEEK_SET) == 0) {
		f = fdopen(s->fd, "rb");
		if (!f) {
			e = errno;
			goto fail;
		}
		free(s);
		return f;
	}
	f = fopencookie(s, "rb", (cookie_io_functions_t){ .read = source_read,
							  .close = source_close });
	if (f)
		return f;
	e = errno;
fail:
	if (s->fd >= 0)
		close(s->fd);
	free(s);
	errno = e;
	return NULL;
}

/* Why a FILE of our own: libpcap reads through stdio, and glibc's 4 KB
 * buffer made a 24 MB capture 6,135 read() calls, a third of what --filter's
 * batched run of it took; with 1 MB, 47. glibc ignores setvbuf's size
 * unless the caller gives the buffer, hence *BUF. */
pcap_t *pl_pcap_open_offline(const char *file, char **buf, uint32_t *magic, char *err,
			     size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	uint32_t m;
	FILE *f;
	pcap_t *p;

	*buf = NULL;
	f = open_source(file, magic ? magic : &m);
	if (!f) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", file, strerror(e));
		errno = e;
		return NULL;
	}
	*buf = malloc(PL_PCAP_READ_BUFFER);
	if (*buf)
		setvbuf(f, *buf, _IOFBF, PL_PCAP_READ_BUFFER);
	p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (!p) {
		fclose(f);           /* still ours when libpcap refuses it */
		free(*buf);
		*buf = NULL;
		/* libpcap's messages often start with the file name already. */
		if (!strncmp(perr, file, strlen(file)))
			snprintf(err, errlen, "%s", perr);
		else
			snprintf(err, errlen, "%s: %s", file, perr);
		errno = EINVAL;
	}
	return p;
}

struct pl_pcap_reader *pl_pcap_reader__open(const char *file, char *err, size_t errlen)
{
	struct pl_pcap_reader *r = calloc(1, sizeof(*r));

	if (!r || !(r->file = strdup(file))) {
		snprintf(err, errlen, "%s: out of memory", file);
		free(r);
		errno = ENOMEM;
		return NULL;
	}
	r->pcap = pl_pcap_open_offline(file, &r->buf, NULL, err, errlen);
	if (!r->pcap) {
		int e = errno;
		pl_pcap_reader__close(r);
		errno = e;
		return NULL;
	}
	return r;
}

#define NS 1000000000

/* The time of a record as libpcap gives it, whatever the file says: a
 * pcapng timestamp is 64 bits of any unit (libpcap's seconds may be near
 * 2^64 / 10^9 or wrap negative), a pcap record's fraction is 32 bits that
 * libpcap scales up (4e12 ns is possible). Normalized without overflow. */
static void set_time(struct pl_pcap_pkt *pkt, int64_t sec, int64_t frac)
{
	int64_t carry = frac / NS, ns;

	frac %= NS;
	if (frac < 0) {
		frac += NS;
		carry--;
	}
	if (__builtin_add_overflow(sec, carry, &sec))
		sec = carry > 0 ? INT64_MAX : INT64_MIN;
	pkt->ts_sec = sec;
	pkt->ts_nsec = (uint32_t)frac;
	pkt->ts_ns_ok = !__builtin_mul_overflow(sec, (int64_t)NS, &ns) &&
			!__builtin_add_overflow(ns, frac, &ns);
	pkt->ts_ns = pkt->ts_ns_ok ? ns : sec < 0 ? INT64_MIN : INT64_MAX;
}

int pl_pcap_reader__next(struct pl_pcap_reader *r, struct pl_pcap_pkt *pkt)
{
	struct pcap_pkthdr *hdr;
	const u_char *data;
	int ret = pcap_next_ex(r->pcap, &hdr, &data);

	if (ret == PCAP_ERROR_BREAK)
		return 0;
	if (ret != 1) {
		/* The packet that could not be read is the one after the last good one. */
		snprintf(r->err, sizeof(r->err), "%s: packet %llu: %s", r->file,
			 (unsigned long long)r->count + 1, pcap_geterr(r->pcap));
		return -EIO;
	}
	r->count++;
	pkt->data = data;
	pkt->caplen = hdr->caplen;
	pkt->len = hdr->len < hdr->caplen ? hdr->caplen : hdr->len;
	set_time(pkt, hdr->ts.tv_sec, hdr->ts.tv_usec);   /* the usec field holds ns */
	return 1;
}

const char *pl_pcap_reader__error(const struct pl_pcap_reader *r) { return r->err; }
int pl_pcap_reader__linktype(const struct pl_pcap_reader *r) { return pcap_datalink(r->pcap); }
uint32_t pl_pcap_reader__snaplen(const struct pl_pcap_reader *r) { return (uint32_t)pcap_snapshot(r->pcap); }
uint64_t pl_pcap_reader__count(const struct pl_pcap_reader *r) { return r->count; }
const char *pl_pcap_reader__file(const struct pl_pcap_reader *r) { return r->file; }

void pl_pcap_reader__close(struct pl_pcap_reader *r)
{
	if (!r)
		return;
	if (r->pcap)
		pcap_close(r->pcap);
	free(r->buf);
	free(r->file);
	free(r);
}

/* ---- writer --------------------------------------------------------------- */

#define DEFAULT_SNAPLEN 262144

struct pl_pcap_writer *pl_pcap_writer__open(const char *file, const struct pl_pcap_writer_opts *opts,
					    char *err, size_t errlen)
{
	struct pl_pcap_writer_opts o = opts ? *opts : (struct pl_pcap_writer_opts){0};
	struct pl_pcap_writer *w = calloc(1, sizeof(*w));
	int rc;

	if (!w) {
		snprintf(err, errlen, "%s: out of memory", file);
		errno = ENOMEM;
		return NULL;
	}
	w->snaplen = o.snaplen ? o.snaplen : DEFAULT_SNAPLEN;
	w->nano = o.nanosecond;
	w->dead = pcap_open_dead_with_tstamp_precision(o.linktype ? o.linktype : DLT_EN10MB,
			(int)w->snaplen, w->nano ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
	if (!w->dead) {
		snprintf(err, errlen, "%s: cannot set up a capture of link type %d", file, o.linktype);
		rc = -EINVAL;
		goto fail;
	}
	rc = pl_out_open(&w->out, file, err, errlen);
	if (rc)
		goto fail;
	w->dumper = pcap_dump_fopen(w->dead, w->out.f);
	if (!w->dumper) {
		snprintf(err, errlen, "%s: %s", file, pcap_geterr(w->dead));
		rc = -EIO;
		goto fail;
	}
	return w;
fail:
	pl_out_close(&w->out, false, NULL, 0);   /* nothing left half-written */
	if (w->dead)
		pcap_close(w->dead);
	free(w);
	errno = -rc;
	return NULL;
}

int pl_pcap_writer__write(struct pl_pcap_writer *w, const void *data, uint32_t caplen,
			  uint32_t origlen, int64_t ts_ns)
{
	int64_t sec = ts_ns / NS, frac = ts_ns % NS;

	if (frac < 0) {           /* before 1970: keep the fraction positive */
		frac += NS;
		sec--;
	}
	return pl_pcap_writer__write_ts(w, data, caplen, origlen, sec, (uint32_t)frac);
}

int pl_pcap_writer__write_ts(struct pl_pcap_writer *w, const void *data, uint32_t caplen,
			     uint32_t origlen, int64_t sec, uint32_t nsec)
{
	struct pcap_pkthdr hdr;
	uint32_t frac = nsec % NS;

	hdr.ts.tv_sec = (time_t)sec;
	hdr.ts.tv_usec = (suseconds_t)(w->nano ? frac : frac / 1000);
	hdr.len = origlen > caplen ? origlen : caplen;
	hdr.caplen = caplen > w->snaplen ? w->snaplen : caplen;
	errno = 0;
	pcap_dump((u_char *)w->dumper, &hdr, data);
	if (ferror(w->out.f))
		return errno ? -errno : -EIO;
	w->count++;
	return 0;
}

uint64_t pl_pcap_writer__count(const struct pl_pcap_writer *w) { return w->count; }

int pl_pcap_writer__close(struct pl_pcap_writer *w)
{
	int err = 0;

	if (!w)
		return 0;
	/* The dumper is the FILE (libpcap's pcap_dump_close only fcloses it):
	 * pl_out_close flushes and closes it, then renames it into place. */
	err = pl_out_close(&w->out, true, NULL, 0);
	if (w->dead)
		pcap_close(w->dead);
	free(w);
	return err;
}

/* ---- link types ----------------------------------------------------------- */

const char *pl_pcap_linktype_name(int linktype, char *buf, size_t buflen)
{
	const char *n = pcap_datalink_val_to_name(linktype);

	if (n)
		return n;
	snprintf(buf, buflen, "DLT %d", linktype);
	return buf;
}

int pl_pcap_linktype_from_name(const char *name)
{
	int v = pcap_datalink_name_to_val(name);
	return v < 0 ? -EINVAL : v;
}

bool pl_pcap_ether_capable(int linktype)
{
	switch (linktype) {
	case DLT_EN10MB:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
		return true;
	default:
		return false;
	}
}

#define SLL_HDR_LEN  16   /* pkttype, hatype, halen, addr[8], protocol */
#define SLL2_HDR_LEN 20   /* protocol, reserved, ifindex, hatype, pkttype, halen, addr[8] */

/* Write an Ethernet header of type PROTO (network order bytes in P) with
 * source SRC (or zeros) into BUF, then the payload. */
static int put_ether(uint8_t *buf, const uint8_t *src, const uint8_t proto[2],
		     const uint8_t *payload, uint32_t n)
{
	memset(buf, 0, 12);
	if (src)
		memcpy(buf + 6, src, 6);
	buf[12] = proto[0];
	buf[13] = proto[1];
	memcpy(buf + 14, payload, n);
	return (int)n + 14;
}

int pl_pcap_to_ether(int linktype, const uint8_t *in, uint32_t caplen, uint8_t *buf,
		     const uint8_t **out)
{
	static const uint8_t ip4[2] = {0x08, 0x00}, ip6[2] = {0x86, 0xdd};
	const uint8_t *src;
	uint8_t version;

	switch (linktype) {
	case DLT_EN10MB:
		*out = in;
		return (int)caplen;
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		if (caplen < 1)
			return -EPROTO;
		version = in[0] >> 4;
		if (version != 4 && version != 6)
			return -EPROTO;
		*out = buf;
		return put_ether(buf, NULL, version == 4 ? ip4 : ip6, in, caplen);
	case DLT_LINUX_SLL:
		if (caplen < SLL_HDR_LEN || (in[14] << 8 | in[15]) < 0x0600)
			return -EPROTO;   /* cut, or 802.2/802.3 payloads with no EtherType */
		src = (in[4] << 8 | in[5]) == 6 ? in + 6 : NULL;
		*out = buf;
		return put_ether(buf, src, in + 14, in + SLL_HDR_LEN, caplen - SLL_HDR_LEN);
	case DLT_LINUX_SLL2:
		if (caplen < SLL2_HDR_LEN || (in[0] << 8 | in[1]) < 0x0600)
			return -EPROTO;
		src = in[11] == 6 ? in + 12 : NULL;
		*out = buf;
		return put_ether(buf, src, in, in + SLL2_HDR_LEN, caplen - SLL2_HDR_LEN);
	default:
		return -EPROTONOSUPPORT;
	}
}
