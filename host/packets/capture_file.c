/* capture_file.c — pcap and pcapng files for live capture (see
 * capture_file.h). Both formats are written in the machine's byte order, as
 * tcpdump and dumpcap write them; readers swap by the magic number. */
#include "packets/capture_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_SNAPLEN 262144
#define WRITE_BUFFER (1u << 20)
#define LINKTYPE_ETHERNET 1

/* pcapng block types and option codes (draft-ietf-opsawg-pcapng). */
#define PCAPNG_SHB 0x0A0D0D0Au
#define PCAPNG_IDB 0x00000001u
#define PCAPNG_EPB 0x00000006u
#define PCAPNG_BYTE_ORDER 0x1A2B3C4Du
#define OPT_END 0
#define OPT_SHB_USERAPPL 4
#define OPT_IF_NAME 2
#define OPT_IF_TSRESOL 9
#define OPT_EPB_FLAGS 2

struct pl_capture_file {
	char *path;           /* where it goes */
	char *tmp;            /* where it is written; NULL for stdout */
	FILE *f;
	char *buf;
	bool pcapng;
	uint32_t snaplen;
	unsigned ifaces;      /* interface blocks written */
	int werr;             /* first write error (errno) */
};

bool pl_capture_file_is_pcapng(const char *path)
{
	size_t n = strlen(path);

	return n >= 7 && !strcmp(path + n - 7, ".pcapng");
}

static void put(struct pl_capture_file *f, const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, f->f) != n && !f->werr)
		f->werr = errno ? errno : EIO;
}

static void put32(struct pl_capture_file *f, uint32_t v)
{
	put(f, &v, 4);
}

static void put16(struct pl_capture_file *f, uint16_t v)
{
	put(f, &v, 2);
}

static void pad4(struct pl_capture_file *f, size_t n)
{
	static const uint8_t zero[4];

	put(f, zero, (4 - n % 4) % 4);
}

static uint32_t align4(size_t n)
{
	return (uint32_t)((n + 3) & ~(size_t)3);
}

/* One pcapng option: code, length, value padded to 32 bits. */
static void put_opt(struct pl_capture_file *f, uint16_t code, const void *v, uint16_t len)
{
	put16(f, code);
	put16(f, len);
	put(f, v, len);
	pad4(f, len);
}

static uint32_t opt_size(size_t len)
{
	return 4 + align4(len);
}

static void write_headers(struct pl_capture_file *f)
{
	if (!f->pcapng) {
		/* struct pcap_file_header: magic (microseconds), 2.4, zone,
		 * sigfigs, snaplen, link type. */
		put32(f, 0xa1b2c3d4u);
		put16(f, 2);
		put16(f, 4);
		put32(f, 0);
		put32(f, 0);
		put32(f, f->snaplen);
		put32(f, LINKTYPE_ETHERNET);
		return;
	}
	static const char appl[] = "pktlua " PKTLUA_VERSION;
	uint32_t len = 28 + opt_size(sizeof(appl) - 1) + 4;
	int64_t section_len = -1;   /* not known: readers walk the blocks */

	put32(f, PCAPNG_SHB);
	put32(f, len);
	put32(f, PCAPNG_BYTE_ORDER);
	put16(f, 1);
	put16(f, 0);
	put(f, &section_len, 8);
	put_opt(f, OPT_SHB_USERAPPL, appl, sizeof(appl) - 1);
	put32(f, OPT_END);
	put32(f, len);
}

static void destroy(struct pl_capture_file *f)
{
	if (f->f && f->f != stdout)
		fclose(f->f);
	if (f->tmp)
		unlink(f->tmp);
	free(f->tmp);
	free(f->path);
	free(f->buf);
	free(f);
}

struct pl_capture_file *pl_capture_file__open(const char *path,
					      const struct pl_capture_file_opts *opts,
					      char *err, size_t errlen)
{
	struct pl_capture_file *f = calloc(1, sizeof(*f));
	int fd, e;

	if (!f || !(f->path = strdup(path))) {
		free(f);
		snprintf(err, errlen, "%s: out of memory", path);
		errno = ENOMEM;
		return NULL;
	}
	f->pcapng = opts && opts->pcapng;
	f->snaplen = opts && opts->snaplen ? opts->snaplen : DEFAULT_SNAPLEN;
	if (!strcmp(path, "-")) {
		f->f = stdout;
	} else {
		if (asprintf(&f->tmp, "%s.XXXXXX", path) < 0) {
			f->tmp = NULL;
			e = ENOMEM;
			snprintf(err, errlen, "%s: out of memory", path);
			goto fail;
		}
		fd = mkstemp(f->tmp);
		if (fd < 0) {
			e = errno;
			snprintf(err, errlen, "%s: cannot create: %s", path, strerror(e));
			free(f->tmp);
			f->tmp = NULL;
			goto fail;
		}
		mode_t mask = umask(0);
		umask(mask);
		fchmod(fd, 0666 & ~mask);     /* as tcpdump -w creates it */
		f->f = fdopen(fd, "wb");
		if (!f->f) {
			e = errno;
			close(fd);
			snprintf(err, errlen, "%s: %s", path, strerror(e));
			goto fail;
		}
		f->buf = malloc(WRITE_BUFFER);
		if (f->buf)
			setvbuf(f->f, f->buf, _IOFBF, WRITE_BUFFER);
	}
	write_headers(f);
	if (f->werr) {
		e = f->werr;
		snprintf(err, errlen, "%s: cannot write: %s", path, strerror(e));
		goto fail;
	}
	return f;
fail:
	destroy(f);
	errno = e;
	return NULL;
}

int pl_capture_file__add_iface(struct pl_capture_file *f, const char *name)
{
	if (f->pcapng) {
		uint8_t tsresol = 9;  /* nanoseconds */
		size_t nlen = strlen(name);
		uint32_t len = 20 + opt_size(nlen) + opt_size(1) + 4;

		if (nlen > 0xffff)
			return -EINVAL;
		put32(f, PCAPNG_IDB);
		put32(f, len);
		put16(f, LINKTYPE_ETHERNET);
		put16(f, 0);
		put32(f, f->snaplen);
		put_opt(f, OPT_IF_NAME, name, (uint16_t)nlen);
		put_opt(f, OPT_IF_TSRESOL, &tsresol, 1);
		put32(f, OPT_END);
		put32(f, len);
	}
	f->ifaces++;
	return f->werr ? -f->werr : 0;
}

int pl_capture_file__write(struct pl_capture_file *f, unsigned iface, unsigned dir,
			   int64_t ts_ns, const void *data, uint32_t caplen, uint32_t len)
{
	if (caplen > f->snaplen)
		caplen = f->snaplen;
	if (!f->pcapng) {
		uint32_t hdr[4] = {
			(uint32_t)(ts_ns / 1000000000), (uint32_t)(ts_ns % 1000000000 / 1000),
			caplen, len,
		};

		put(f, hdr, sizeof(hdr));
		put(f, data, caplen);
		return f->werr ? -f->werr : 0;
	}
	if (iface >= f->ifaces)
		return -EINVAL;
	bool flags = dir == PL_CAPTURE_IN || dir == PL_CAPTURE_OUT;
	uint32_t blen = 32 + align4(caplen) + (flags ? opt_size(4) + 4 : 0);
	uint64_t ts = (uint64_t)ts_ns;
	uint32_t hdr[7] = {
		PCAPNG_EPB, blen, iface, (uint32_t)(ts >> 32), (uint32_t)ts, caplen, len,
	};

	put(f, hdr, sizeof(hdr));
	put(f, data, caplen);
	pad4(f, caplen);
	if (flags) {
		uint32_t v = dir;   /* bits 0-1: 01 inbound, 10 outbound */

		put_opt(f, OPT_EPB_FLAGS, &v, 4);
		put32(f, OPT_END);
	}
	put32(f, blen);
	return f->werr ? -f->werr : 0;
}

int pl_capture_file__flush(struct pl_capture_file *f)
{
	if (fflush(f->f) && !f->werr)
		f->werr = errno ? errno : EIO;
	return f->werr ? -f->werr : 0;
}

int pl_capture_file__close(struct pl_capture_file *f, bool keep, char *err, size_t errlen)
{
	int rc = 0;

	if (!f)
		return 0;
	if (keep) {
		pl_capture_file__flush(f);
		if (f->f != stdout) {
			if (fclose(f->f) && !f->werr)
				f->werr = errno ? errno : EIO;
			f->f = NULL;
		}
		if (f->werr) {
			rc = -f->werr;
			snprintf(err, errlen, "%s: cannot write: %s", f->path, strerror(f->werr));
		} else if (f->tmp) {
			if (rename(f->tmp, f->path) < 0) {
				rc = -errno;
				snprintf(err, errlen, "%s: cannot rename %s to it: %s", f->path, f->tmp,
					 strerror(-rc));
			} else {
				free(f->tmp);
				f->tmp = NULL;   /* in place: not removed */
			}
		}
	}
	destroy(f);
	return rc;
}
