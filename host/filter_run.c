/* filter_run.c — a tcpdump expression over a capture file, through eBPF
 * (see filter_run.h).
 *
 * One libpcap handle reads the file (pcap or pcapng, either byte order,
 * micro or nano: libpcap converts); the expression is compiled for the
 * handle's link type and snap length, as tcpdump does, and translated by
 * filter.c into the prelude of a small BPF object built here. Per packet:
 * one memcpy into a buffer with the lengths in front, one BPF_PROG_TEST_RUN.
 * Matching packets are written as read (bytes, timestamps, wire length). */
#include "filter_run.h"

/* Why: libpcap's <pcap/bpf.h> and the kernel's <linux/bpf.h> (through
 * libbpf) both define struct bpf_insn, differently. This file needs both
 * (classic BPF from libpcap, test runs through libbpf) and never touches a
 * classic instruction itself, so libpcap's is renamed here. */
#define bpf_insn pcap_bpf_insn
#include <pcap/pcap.h>
#include "filter.h"
#undef bpf_insn

#include "compiler.h"
#include "loader.h"
#include "log.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_MAX_WARNINGS 10
#define META_LEN 8              /* struct pl_lens in front of the frame */

/* What the BPF programs return (the test run's retval). */
enum { RUN_BAD = 0, RUN_NO = 1, RUN_MATCH = 2 };

/* The BPF object around the translated expression (the prelude defines
 * pl_match, pl_match__len and pl_match__buf). Self-contained on purpose:
 * without <vmlinux.h> clang parses a few hundred lines, not 100k.
 *
 * pl_filter_xdp: the frame is the XDP packet; its lengths arrive as 8 bytes
 * of metadata in front of it (BPF_PROG_TEST_RUN's ctx_in with data > 0), so
 * data .. data_end is exactly the captured frame and no extra syscall
 * carries the wire length. It checks that the kernel gave it the whole
 * frame (not a part of it, as happens above a page) before matching.
 *
 * pl_filter_buf: frames the XDP test run cannot take (under 14 bytes, over
 * a page) are copied into the memory-mapped value of pl_frames, their
 * lengths passed as the program's context. A syscall program, because it
 * runs without any packet and takes a context of our own shape. */
static const char program_text[] =
	"#define SEC(n) __attribute__((section(n), used))\n"
	"struct xdp_md {\n"
	"\tunsigned int data, data_end, data_meta;\n"
	"\tunsigned int ingress_ifindex, rx_queue_index, egress_ifindex;\n"
	"};\n"
	"struct pl_lens { unsigned int caplen, wirelen; };\n"
	"struct pl_frame { unsigned char bytes[262144]; };   /* PL_FILTER_BUF_MAX */\n"
	"struct {\n"
	"\tint (*type)[2];           /* BPF_MAP_TYPE_ARRAY */\n"
	"\tint (*max_entries)[1];\n"
	"\tint (*map_flags)[1024];   /* BPF_F_MMAPABLE */\n"
	"\tunsigned int *key;\n"
	"\tstruct pl_frame *value;\n"
	"} pl_frames SEC(\".maps\");\n"
	"static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;\n"
	"\n"
	"SEC(\"xdp\") int pl_filter_xdp(struct xdp_md *ctx)\n"
	"{\n"
	"\tconst void *data = (const void *)(long)ctx->data;\n"
	"\tconst void *data_end = (const void *)(long)ctx->data_end;\n"
	"\tconst struct pl_lens *lens = (const void *)(long)ctx->data_meta;\n"
	"\n"
	"\tif ((const void *)(lens + 1) > data)\n"
	"\t\treturn 0;\n"
	"\tif ((unsigned long)(data_end - data) != lens->caplen)\n"
	"\t\treturn 0;\n"
	"\treturn pl_match__len(data, data_end, lens->wirelen) ? 2 : 1;\n"
	"}\n"
	"\n"
	"SEC(\"syscall\") int pl_filter_buf(const struct pl_lens *lens)\n"
	"{\n"
	"\tunsigned int key = 0;\n"
	"\tstruct pl_frame *f = bpf_map_lookup_elem(&pl_frames, &key);\n"
	"\n"
	"\tif (!f)\n"
	"\t\treturn 0;\n"
	"\treturn pl_match__buf(f->bytes, lens->caplen, lens->wirelen) ? 2 : 1;\n"
	"}\n";

struct pl_lens {
	uint32_t caplen, wirelen;
};

struct engine {
	struct bpf_object *obj;
	int xdp_fd, buf_fd;
	uint8_t *frame;          /* the mmap()ed value of pl_frames */
	uint8_t *xdp_buf;        /* META_LEN + PL_FILTER_RUN_XDP_MAX */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void engine_destroy(struct engine *e)
{
	if (e->frame && e->frame != MAP_FAILED)
		munmap(e->frame, PL_FILTER_BUF_MAX);
	free(e->xdp_buf);
	bpf_object__close(e->obj);
	memset(e, 0, sizeof(*e));
}

/* EXPR compiled and translated to C (FLAVOURS of pl_match).
 *
 * Why the capture's own handle: tcpdump -r compiles on it, and two things
 * differ from a pcap_open_dead() handle of the same link type: DLT_NULL's
 * address family is compared in the byte order of the machine that wrote
 * the file (libpcap swaps the constant for a swapped file), and the netmask
 * is 0 (tcpdump's for files), so `ip broadcast` compiles. Without a capture
 * (--filter-c alone): pl_filter_compile() for Ethernet. */
static char *translate(const char *expr, pcap_t *p, unsigned flavours, char *err, size_t errlen)
{
	struct bpf_program bp;
	char *c;
	int rc;

	if (p) {
		if (pcap_compile(p, &bp, expr, 1, 0) < 0) {
			/* The same words as pl_filter_compile(): libpcap's message
			 * without its "can't parse filter expression: " preamble. */
			const char *msg = pcap_geterr(p);
			const char *pfx = "can't parse filter expression: ";
			if (!strncmp(msg, pfx, strlen(pfx)))
				msg += strlen(pfx);
			snprintf(err, errlen, "filter '%s': %s", expr, msg);
			errno = EINVAL;
			return NULL;
		}
	} else {
		rc = pl_filter_compile(expr, DLT_EN10MB, PL_FILTER_BUF_MAX, &bp, err, errlen);
		if (rc) {
			errno = -rc;
			return NULL;
		}
	}
	c = pl_filter_to_c(&bp, "pl_match", expr, flavours, err, errlen);
	pcap_freecode(&bp);
	return c;
}

/* Compile, load and map the object for EXPR on the capture P. */
static int engine_build(struct engine *e, const char *expr, pcap_t *p, char *err, size_t errlen)
{
	struct pl_compile_opts copts = {
		.filename = "<filter>", .first_line = 1,
	};
	struct pl_compile_result res;
	struct bpf_map *map;
	char *prelude, *msg = NULL;
	int rc;

	_Static_assert(PL_FILTER_BUF_MAX == 262144, "program_text's buffer size");
	prelude = translate(expr, p, PL_FILTER_PKT | PL_FILTER_BUF, err, errlen);
	if (!prelude)
		return -errno;
	copts.prelude = prelude;
	rc = pl_compile(program_text, sizeof(program_text) - 1, &copts, &res);
	free(prelude);
	if (rc) {
		/* The translator's output must always compile: this is a bug, say
		 * so with clang's words. */
		snprintf(err, errlen, "filter '%s': the generated C does not compile: %s", expr,
			 res.diag && res.diag[0] ? res.diag : strerror(-rc));
		pl_compile_result__free(&res);
		return rc;
	}
	if (res.diag && res.diag[0])
		pl_log(PL_LOG_INFO, "filter '%s': %s", expr, res.diag);
	struct pl_load_opts lopts = { .name = "filter" };
	rc = pl_object_load(res.obj, res.obj_len, &lopts, &e->obj, &msg);
	pl_compile_result__free(&res);
	if (rc) {
		snprintf(err, errlen, "filter '%s': %s", expr, msg ? msg : strerror(-rc));
		free(msg);
		e->obj = NULL;
		return rc;
	}
	e->xdp_fd = bpf_program__fd(bpf_object__find_program_by_name(e->obj, "pl_filter_xdp"));
	e->buf_fd = bpf_program__fd(bpf_object__find_program_by_name(e->obj, "pl_filter_buf"));
	map = bpf_object__find_map_by_name(e->obj, "pl_frames");
	if (e->xdp_fd < 0 || e->buf_fd < 0 || !map) {
		snprintf(err, errlen, "filter '%s': loaded object lacks its programs or map", expr);
		return -ENOENT;
	}
	e->frame = mmap(NULL, PL_FILTER_BUF_MAX, PROT_READ | PROT_WRITE, MAP_SHARED,
			bpf_map__fd(map), 0);
	if (e->frame == MAP_FAILED) {
		rc = -errno;
		e->frame = NULL;
		snprintf(err, errlen, "filter '%s': cannot map the frame buffer: %s", expr,
			 strerror(-rc));
		return rc;
	}
	e->xdp_buf = malloc(META_LEN + PL_FILTER_RUN_XDP_MAX);
	if (!e->xdp_buf) {
		snprintf(err, errlen, "filter '%s': out of memory", expr);
		return -ENOMEM;
	}
	return 0;
}

/* Run one packet. Returns RUN_MATCH or RUN_NO, or RUN_BAD with WHY set. */
static int engine_run(struct engine *e, const uint8_t *data, uint32_t caplen, uint32_t wirelen,
		      struct pl_filter_run_result *res, char *why, size_t whylen)
{
	struct pl_lens lens = { .caplen = caplen, .wirelen = wirelen };
	int rc;

	if (caplen >= 14 && caplen <= PL_FILTER_RUN_XDP_MAX) {
		struct xdp_md md = { .data = META_LEN, .data_end = META_LEN + caplen };

		memcpy(e->xdp_buf, &lens, META_LEN);
		memcpy(e->xdp_buf + META_LEN, data, caplen);
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = e->xdp_buf,
			    .data_size_in = META_LEN + caplen, .ctx_in = &md,
			    .ctx_size_in = sizeof(md), .repeat = 1);
		rc = bpf_prog_test_run_opts(e->xdp_fd, &t);
		if (rc) {
			snprintf(why, whylen, "XDP test run of %u bytes: %s", caplen, strerror(errno));
			return RUN_BAD;
		}
		if (t.retval == RUN_BAD) {
			snprintf(why, whylen, "the XDP program did not get the whole %u-byte frame",
				 caplen);
			return RUN_BAD;
		}
		res->run_xdp++;
		return (int)t.retval;
	}
	if (caplen > PL_FILTER_BUF_MAX) {
		snprintf(why, whylen, "%u bytes, more than the %d a filter takes", caplen,
			 PL_FILTER_BUF_MAX);
		return RUN_BAD;
	}
	memcpy(e->frame, data, caplen);
	/* Syscall programs take neither data_in nor repeat. */
	LIBBPF_OPTS(bpf_test_run_opts, t, .ctx_in = &lens, .ctx_size_in = sizeof(lens));
	rc = bpf_prog_test_run_opts(e->buf_fd, &t);
	if (rc) {
		snprintf(why, whylen, "test run of %u bytes from the map buffer: %s", caplen,
			 strerror(errno));
		return RUN_BAD;
	}
	if (t.retval != RUN_MATCH && t.retval != RUN_NO) {
		snprintf(why, whylen, "the buffer program could not read its frame");
		return RUN_BAD;
	}
	res->run_buf++;
	return (int)t.retval;
}

/* The file's timestamp precision, from its magic number: pcap files keep
 * theirs in the output; pcapng (a resolution per interface) and what cannot
 * be peeked at (stdin) are written in nanoseconds, which loses nothing. */
static int file_precision(const char *file)
{
	unsigned char m[4];
	uint32_t be, le;
	FILE *f;

	if (!strcmp(file, "-") || !(f = fopen(file, "rb")))
		return PCAP_TSTAMP_PRECISION_NANO;
	size_t n = fread(m, 1, 4, f);
	fclose(f);
	if (n != 4)
		return PCAP_TSTAMP_PRECISION_NANO;
	be = (uint32_t)m[0] << 24 | m[1] << 16 | m[2] << 8 | m[3];
	le = (uint32_t)m[3] << 24 | m[2] << 16 | m[1] << 8 | m[0];
	if (be == 0xa1b2c3d4 || le == 0xa1b2c3d4 || be == 0xa1b2cd34 || le == 0xa1b2cd34)
		return PCAP_TSTAMP_PRECISION_MICRO;
	return PCAP_TSTAMP_PRECISION_NANO;
}

static pcap_t *open_capture(const char *file, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p;

	errno = 0;
	p = pcap_open_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (!p) {
		int e = errno ? errno : EINVAL;
		/* libpcap names the file for open errors, not for format ones. */
		if (!strncmp(ebuf, file, strlen(file)))
			snprintf(err, errlen, "%s", ebuf);
		else
			snprintf(err, errlen, "%s: %s", file, ebuf);
		errno = e;
	}
	return p;
}

/* The output: a temporary file next to OUT, renamed over it on success. */
struct output {
	const char *path;
	char *tmp;
	pcap_t *dead;
	pcap_dumper_t *d;
	bool micro;
};

static int output_open(struct output *o, const char *path, pcap_t *in, int precision,
		       char *err, size_t errlen)
{
	mode_t mask;
	FILE *f;
	int fd;

	o->path = path;
	o->micro = precision == PCAP_TSTAMP_PRECISION_MICRO;
	if (asprintf(&o->tmp, "%s.XXXXXX", path) < 0) {
		o->tmp = NULL;
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	fd = mkstemp(o->tmp);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: cannot create: %s", path, strerror(e));
		free(o->tmp);
		o->tmp = NULL;
		return -e;
	}
	mask = umask(0);
	umask(mask);
	fchmod(fd, 0666 & ~mask);     /* as tcpdump -w creates it */
	f = fdopen(fd, "wb");
	if (!f) {
		int e = errno;
		close(fd);
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	o->dead = pcap_open_dead_with_tstamp_precision(pcap_datalink(in), pcap_snapshot(in),
						       precision);
	if (o->dead)
		o->d = pcap_dump_fopen(o->dead, f);
	if (!o->d) {
		snprintf(err, errlen, "%s: %s", path, o->dead ? pcap_geterr(o->dead) : "out of memory");
		fclose(f);
		return -EIO;
	}
	return 0;
}

static void output_write(struct output *o, const struct pcap_pkthdr *h, const uint8_t *data)
{
	struct pcap_pkthdr h2 = *h;

	if (o->micro)                 /* the handle reads nanoseconds */
		h2.ts.tv_usec /= 1000;
	pcap_dump((u_char *)o->d, &h2, data);
}

/* Finish: KEEP renames the file into place (returns 0 or -errno with ERR
 * set); otherwise the temporary file is removed. */
static int output_close(struct output *o, bool keep, char *err, size_t errlen)
{
	int rc = 0;

	if (o->d) {
		FILE *f = pcap_dump_file(o->d);
		if (keep && (fflush(f) || ferror(f))) {
			rc = -(errno ? errno : EIO);
			snprintf(err, errlen, "%s: cannot write: %s", o->path, strerror(-rc));
		}
		pcap_dump_close(o->d);
		o->d = NULL;
	}
	if (o->dead)
		pcap_close(o->dead);
	o->dead = NULL;
	if (o->tmp) {
		if (keep && !rc && rename(o->tmp, o->path) < 0) {
			rc = -errno;
			snprintf(err, errlen, "%s: cannot rename %s to it: %s", o->path, o->tmp,
				 strerror(-rc));
		}
		if (!keep || rc)
			unlink(o->tmp);
		free(o->tmp);
		o->tmp = NULL;
	}
	return rc;
}

int pl_filter_run(const char *expr, const char *file, const struct pl_filter_run_opts *opts,
		  struct pl_filter_run_result *res, char *err, size_t errlen)
{
	struct pl_filter_run_opts o = opts ? *opts : (struct pl_filter_run_opts){0};
	unsigned max_warnings = o.max_warnings ? o.max_warnings : DEFAULT_MAX_WARNINGS;
	struct engine e = { .xdp_fd = -1, .buf_fd = -1 };
	struct output out = {0};
	unsigned warned = 0;
	bool looped = false;
	uint64_t t0 = now_ns();
	pcap_t *p;
	int rc = 0;

	memset(res, 0, sizeof(*res));
	res->linktype = -1;
	p = open_capture(file, err, errlen);
	if (!p)
		return -errno;
	res->linktype = pcap_datalink(p);
	rc = engine_build(&e, expr, p, err, errlen);
	if (rc)
		goto out;
	if (o.out) {
		rc = output_open(&out, o.out, p, file_precision(file), err, errlen);
		if (rc)
			goto out;
	}
	res->setup_ns = now_ns() - t0;
	t0 = now_ns();
	looped = true;

	for (;;) {
		struct pcap_pkthdr *h;
		const u_char *data;
		char why[160];
		int n = pcap_next_ex(p, &h, &data);

		if (n == PCAP_ERROR_BREAK)    /* end of the file */
			break;
		if (n != 1) {
			/* Cut mid-record or corrupt: what was read stays counted. */
			snprintf(err, errlen, "%s: packet %llu: %s", file,
				 (unsigned long long)res->packets + 1, pcap_geterr(p));
			rc = -EIO;
			break;
		}
		res->packets++;
		n = engine_run(&e, data, h->caplen, h->len, res, why, sizeof(why));
		if (n == RUN_BAD) {
			res->errors++;
			if (warned++ < max_warnings)
				pl_log(PL_LOG_WARN, "%s: packet %llu not run: %s", file,
				       (unsigned long long)res->packets, why);
			else if (warned == max_warnings + 1)
				pl_log(PL_LOG_WARN, "%s: more packets not run; the totals count them all",
				       file);
			continue;
		}
		if (n != RUN_MATCH)
			continue;
		res->matched++;
		if (out.d) {
			output_write(&out, h, data);
			res->written++;
		}
	}
	res->run_ns = now_ns() - t0;
	if (!rc && res->errors) {
		snprintf(err, errlen, "%s: %llu of %llu packets could not be run (not counted)", file,
			 (unsigned long long)res->errors, (unsigned long long)res->packets);
		rc = -EIO;
	}
out:
	if (out.tmp) {
		/* A cut file or unrunnable packets keep what was matched, as
		 * tcpdump -w keeps what it read; a failure before the loop
		 * leaves nothing. */
		char werr[256];
		bool keep = looped && (!rc || rc == -EIO);
		int wrc = output_close(&out, keep, werr, sizeof(werr));
		if (wrc && keep) {
			if (!rc)
				snprintf(err, errlen, "%s", werr);
			else
				pl_log(PL_LOG_ERROR, "%s", werr);
			rc = rc ? rc : wrc;
		}
	}
	engine_destroy(&e);
	pcap_close(p);
	return rc;
}

char *pl_filter_run_c(const char *expr, const char *file, char *err, size_t errlen)
{
	pcap_t *p = NULL;
	char *c;

	if (file && !(p = open_capture(file, err, errlen)))
		return NULL;
	c = translate(expr, p, PL_FILTER_PKT | PL_FILTER_BUF, err, errlen);
	if (p) {
		int e = errno;
		pcap_close(p);
		errno = e;
	}
	return c;
}
