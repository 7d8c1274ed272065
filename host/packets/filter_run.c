/* filter_run.c — a tcpdump expression over a capture file, through eBPF
 * (see filter_run.h).
 *
 * One libpcap handle reads the file (pcap or pcapng, either byte order,
 * micro or nano: libpcap converts); the expression is compiled for the
 * handle's link type and snap length, as tcpdump does, and translated by
 * filter.c into the prelude of a small BPF object built here. Per packet:
 * one memcpy into a batch buffer; per batch of up to 8192 packets, one
 * BPF_PROG_TEST_RUN. Matching packets are written as read (bytes,
 * timestamps, wire length). */
#include "packets/filter_run.h"

/* Why: libpcap's <pcap/bpf.h> and the kernel's <linux/bpf.h> (through
 * libbpf) both define struct bpf_insn, differently. This file needs both
 * (classic BPF from libpcap, test runs through libbpf) and never touches a
 * classic instruction itself, so libpcap's is renamed here. */
#define bpf_insn pcap_bpf_insn
#include <pcap/pcap.h>
#include "packets/filter.h"
#undef bpf_insn

#include "base/log.h"
#include "bpf/loader.h"
#include "compile/compiler.h"
#include "packets/out_file.h"
#include "packets/pcap_file.h"

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

/* One batch: frames packed into the value of pl_frames, one descriptor each
 * in pl_descs. PL_FILTER_BUF_MAX of the value is kept past the last frame's
 * start, so that the program's bound on a frame's offset plus its bound on a
 * load inside the frame stay inside the value for the verifier. Both must
 * match program_text. */
#define BATCH_VALUE (2u << 20)
#define BATCH_BYTES (BATCH_VALUE - PL_FILTER_BUF_MAX)
#define BATCH_MAX 8192u

/* What the program writes into a descriptor's verdict. */
enum { VERDICT_NOT_RUN = 0, VERDICT_NO = 1, VERDICT_MATCH = 2 };

/* The BPF object around the translated expression (the prelude defines
 * pl_match__buf). Self-contained on purpose: without <vmlinux.h> clang
 * parses a few hundred lines, not 100k.
 *
 * Why batches: BPF_PROG_TEST_RUN costs 0.5-1.2 us a call here (copy in,
 * run, copy out), many times what a filter of tens of instructions takes. So the
 * host copies up to BATCH_MAX frames into a memory-mapped array map value
 * and one test run of a syscall program walks them with bpf_loop(), writing
 * each frame's verdict next to its offset and lengths; -w writes the
 * matching frames from the same buffer. The frame is data the program reads
 * through the PL_FILTER_BUF flavour, so any size from 1 byte to
 * PL_FILTER_BUF_MAX runs the same way, and the wire length is the record's. */
static const char program_text[] =
	"#define SEC(n) __attribute__((section(n), used))\n"
	"#define PL_BATCH_VALUE 2097152\n"
	"#define PL_BATCH_BYTES (PL_BATCH_VALUE - 262144)   /* - PL_FILTER_BUF_MAX */\n"
	"#define PL_BATCH_MAX 8192\n"
	"struct pl_desc { unsigned int off, caplen, wirelen, verdict; };\n"
	"struct pl_frames_v { unsigned char bytes[PL_BATCH_VALUE]; };\n"
	"struct pl_descs_v { struct pl_desc d[PL_BATCH_MAX]; };\n"
	"struct {\n"
	"\tint (*type)[2];           /* BPF_MAP_TYPE_ARRAY */\n"
	"\tint (*max_entries)[1];\n"
	"\tint (*map_flags)[1024];   /* BPF_F_MMAPABLE */\n"
	"\tunsigned int *key;\n"
	"\tstruct pl_frames_v *value;\n"
	"} pl_frames SEC(\".maps\");\n"
	"struct {\n"
	"\tint (*type)[2];\n"
	"\tint (*max_entries)[1];\n"
	"\tint (*map_flags)[1024];\n"
	"\tunsigned int *key;\n"
	"\tstruct pl_descs_v *value;\n"
	"} pl_descs SEC(\".maps\");\n"
	"static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;\n"
	"static long (*bpf_loop)(unsigned int nr_loops, void *callback_fn, void *callback_ctx,\n"
	"\t\t\tunsigned long long flags) = (void *)181;\n"
	"\n"
	"static long pl_one(unsigned int i, void *unused)\n"
	"{\n"
	"\tunsigned int k = 0;\n"
	"\tstruct pl_frames_v *f = bpf_map_lookup_elem(&pl_frames, &k);\n"
	"\tstruct pl_descs_v *ds = bpf_map_lookup_elem(&pl_descs, &k);\n"
	"\n"
	"\tif (!f || !ds || i >= PL_BATCH_MAX)\n"
	"\t\treturn 1;\n"
	"\tstruct pl_desc *d = &ds->d[i];\n"
	"\tunsigned int off = d->off;\n"
	"\tif (off > PL_BATCH_BYTES)\n"
	"\t\treturn 0;                 /* verdict stays 0: not run */\n"
	"\td->verdict = pl_match__buf(f->bytes + off, &d->caplen, d->wirelen) ? 2 : 1;\n"
	"\treturn 0;\n"
	"}\n"
	"\n"
	"SEC(\"syscall\") int pl_filter_batch(const unsigned int *n)\n"
	"{\n"
	"\tbpf_loop(*n, pl_one, (void *)0, 0);\n"
	"\treturn 0;\n"
	"}\n";

struct desc {
	uint32_t off, caplen, wirelen, verdict;
};

struct engine {
	struct bpf_object *obj;
	int batch_fd;
	uint8_t *frames;          /* the mmap()ed value of pl_frames */
	struct desc *descs;       /* ... and of pl_descs */
	struct pcap_pkthdr *hdrs; /* the records of the batch's frames, for -w */
	uint32_t n, bytes;        /* frames and frame bytes in the batch */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void engine_destroy(struct engine *e)
{
	if (e->frames)
		munmap(e->frames, BATCH_VALUE);
	if (e->descs)
		munmap(e->descs, BATCH_MAX * sizeof(*e->descs));
	free(e->hdrs);
	bpf_object__close(e->obj);
	memset(e, 0, sizeof(*e));
	e->batch_fd = -1;
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
		rc = pl_filter_pcap_compile(p, expr, &bp, err, errlen);
		if (rc) {
			errno = -rc;
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

/* The mmap()ed value of map NAME, LEN bytes, into *OUT. */
static int map_value(struct bpf_object *obj, const char *name, size_t len, void **out,
		     const char *expr, char *err, size_t errlen)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, name);
	void *m;

	if (!map) {
		snprintf(err, errlen, "filter '%.*s%s': loaded object lacks its map %s",
			 PL_FILTER_QUOTE(expr), name);
		return -ENOENT;
	}
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(map), 0);
	if (m == MAP_FAILED) {
		int rc = -errno;
		snprintf(err, errlen, "filter '%.*s%s': cannot map %s: %s", PL_FILTER_QUOTE(expr),
			 name, strerror(-rc));
		return rc;
	}
	*out = m;
	return 0;
}

/* Compile, load and map the object for EXPR on the capture P. */
static int engine_build(struct engine *e, const char *expr, pcap_t *p, char *err, size_t errlen)
{
	struct pl_compile_opts copts = {
		.filename = "<filter>", .first_line = 1,
	};
	struct pl_compile_result res;
	char *prelude, *msg = NULL;
	int rc;

	_Static_assert(PL_FILTER_BUF_MAX == 262144, "program_text's batch layout");
	_Static_assert(BATCH_VALUE == 2097152 && BATCH_MAX == 8192, "program_text's batch layout");
	_Static_assert(sizeof(struct desc) == 16, "struct pl_desc");
	prelude = translate(expr, p, PL_FILTER_BUF, err, errlen);
	if (!prelude)
		return -errno;
	copts.prelude = prelude;
	rc = pl_compile(program_text, sizeof(program_text) - 1, &copts, &res);
	free(prelude);
	if (rc) {
		/* The translator's output must always compile: this is a bug, say
		 * so with clang's words. */
		snprintf(err, errlen, "filter '%.*s%s': the generated C does not compile: %s",
			 PL_FILTER_QUOTE(expr), res.diag && res.diag[0] ? res.diag : strerror(-rc));
		pl_compile_result__free(&res);
		return rc;
	}
	if (res.diag && res.diag[0])
		pl_log(PL_LOG_INFO, "filter '%.*s%s': %s", PL_FILTER_QUOTE(expr), res.diag);
	struct pl_load_opts lopts = { .name = "filter" };
	rc = pl_object_load(res.obj, res.obj_len, &lopts, &e->obj, &msg);
	pl_compile_result__free(&res);
	if (rc) {
		snprintf(err, errlen, "filter '%.*s%s': %s", PL_FILTER_QUOTE(expr),
			 msg ? msg : strerror(-rc));
		free(msg);
		e->obj = NULL;
		return rc;
	}
	e->batch_fd = bpf_program__fd(bpf_object__find_program_by_name(e->obj, "pl_filter_batch"));
	if (e->batch_fd < 0) {
		snprintf(err, errlen, "filter '%.*s%s': loaded object lacks its program",
			 PL_FILTER_QUOTE(expr));
		return -ENOENT;
	}
	rc = map_value(e->obj, "pl_frames", BATCH_VALUE, (void **)&e->frames, expr, err, errlen);
	if (rc)
		return rc;
	rc = map_value(e->obj, "pl_descs", BATCH_MAX * sizeof(*e->descs), (void **)&e->descs, expr,
		       err, errlen);
	if (rc)
		return rc;
	e->hdrs = calloc(BATCH_MAX, sizeof(*e->hdrs));
	if (!e->hdrs) {
		snprintf(err, errlen, "filter '%.*s%s': out of memory", PL_FILTER_QUOTE(expr));
		return -ENOMEM;
	}
	return 0;
}

/* Whether the frame of record H fits in the batch as it stands. */
static bool engine_fits(const struct engine *e, const struct pcap_pkthdr *h)
{
	return e->n < BATCH_MAX && e->bytes + h->caplen <= BATCH_BYTES;
}

/* Add a frame to the batch (engine_fits() said it fits). */
static void engine_add(struct engine *e, const struct pcap_pkthdr *h, const uint8_t *data)
{
	memcpy(e->frames + e->bytes, data, h->caplen);
	e->descs[e->n] = (struct desc){ .off = e->bytes, .caplen = h->caplen, .wirelen = h->len };
	e->hdrs[e->n] = *h;
	e->n++;
	e->bytes += h->caplen;
}

/* Run the batch: 0 with every descriptor's verdict set, or -errno with WHY
 * set (then no frame of it ran). */
static int engine_run(struct engine *e, struct pl_filter_run_result *res, char *why, size_t whylen)
{
	uint32_t n = e->n;
	/* Syscall programs take neither data_in nor repeat. */
	LIBBPF_OPTS(bpf_test_run_opts, t, .ctx_in = &n, .ctx_size_in = sizeof(n));

	if (bpf_prog_test_run_opts(e->batch_fd, &t)) {
		int rc = -errno;
		snprintf(why, whylen, "test run of a batch of %u frames: %s", n, strerror(-rc));
		return rc;
	}
	res->batches++;
	return 0;
}

/* The file's timestamp precision, from its magic number (its first 4
 * bytes, as read): pcap files keep theirs in the output; pcapng (a
 * resolution per interface) is written in nanoseconds, which loses nothing. */
static int file_precision(uint32_t magic)
{
	uint32_t swapped = __builtin_bswap32(magic);

	if (magic == 0xa1b2c3d4 || swapped == 0xa1b2c3d4 ||
	    magic == 0xa1b2cd34 || swapped == 0xa1b2cd34)    /* Kuznetzov's modified pcap */
		return PCAP_TSTAMP_PRECISION_MICRO;
	return PCAP_TSTAMP_PRECISION_NANO;
}

/* The output (out_file.h): a temporary file beside OUT renamed over it on
 * success, or OUT itself when it is a device, a FIFO, ... */
struct output {
	struct pl_out o;
	char *buf;               /* the FILE's buffer (as big as the reader's) */
	pcap_t *dead;
	pcap_dumper_t *d;        /* writes to o.f; closed by pl_out_close */
	bool micro;
};

static int output_open(struct output *o, const char *path, pcap_t *in, int precision,
		       char *err, size_t errlen)
{
	int rc;

	o->micro = precision == PCAP_TSTAMP_PRECISION_MICRO;
	rc = pl_out_open(&o->o, path, err, errlen);
	if (rc)
		return rc;
	o->buf = malloc(PL_PCAP_READ_BUFFER);
	if (o->buf)
		setvbuf(o->o.f, o->buf, _IOFBF, PL_PCAP_READ_BUFFER);
	o->dead = pcap_open_dead_with_tstamp_precision(pcap_datalink(in), pcap_snapshot(in),
						       precision);
	if (o->dead)
		o->d = pcap_dump_fopen(o->dead, o->o.f);
	if (!o->d) {
		snprintf(err, errlen, "%s: %s", path, o->dead ? pcap_geterr(o->dead) : "out of memory");
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
	int rc = pl_out_close(&o->o, keep, err, errlen);

	o->d = NULL;
	free(o->buf);
	o->buf = NULL;
	if (o->dead)
		pcap_close(o->dead);
	o->dead = NULL;
	return rc;
}

/* The state of one --filter run. */
struct run {
	struct engine e;
	struct output out;
	const char *file;
	unsigned warned, max_warnings;
	struct pl_filter_run_result *res;
};

/* Packet number NR (1-based) could not be run: count and warn. */
static void not_run(struct run *r, uint64_t nr, const char *why)
{
	r->res->errors++;
	if (r->warned++ < r->max_warnings)
		pl_log(PL_LOG_WARN, "%s: packet %llu not run: %s", r->file, (unsigned long long)nr, why);
	else if (r->warned == r->max_warnings + 1)
		pl_log(PL_LOG_WARN, "%s: more packets not run; the totals count them all", r->file);
}

/* Run what the batch holds, count the verdicts and write the matches, in
 * capture order; the batch is empty after. Its frames are the packets just
 * before res->packets + 1 - (those not run, which never entered a batch and
 * are counted already). */
static void flush(struct run *r, uint64_t first_nr)
{
	struct engine *e = &r->e;
	char why[160];

	if (!e->n)
		return;
	if (engine_run(e, r->res, why, sizeof(why))) {
		for (uint32_t i = 0; i < e->n; i++)
			not_run(r, first_nr + i, why);
	} else {
		for (uint32_t i = 0; i < e->n; i++) {
			uint32_t v = e->descs[i].verdict;

			if (v == VERDICT_NO)
				continue;
			if (v != VERDICT_MATCH) {
				not_run(r, first_nr + i, "the batch program did not reach it");
				continue;
			}
			r->res->matched++;
			if (r->out.d) {
				output_write(&r->out, &e->hdrs[i], e->frames + e->descs[i].off);
				r->res->written++;
			}
		}
	}
	e->n = e->bytes = 0;
}

int pl_filter_run(const char *expr, const char *file, const struct pl_filter_run_opts *opts,
		  struct pl_filter_run_result *res, char *err, size_t errlen)
{
	struct pl_filter_run_opts o = opts ? *opts : (struct pl_filter_run_opts){0};
	struct run r = {
		.e = { .batch_fd = -1 }, .file = file, .res = res,
		.max_warnings = o.max_warnings ? o.max_warnings : DEFAULT_MAX_WARNINGS,
	};
	uint64_t first_nr = 1;      /* packet number of the batch's first frame */
	bool looped = false;
	uint64_t t0 = now_ns();
	char *readbuf;
	uint32_t magic = 0;
	pcap_t *p;
	int rc = 0;

	memset(res, 0, sizeof(*res));
	res->linktype = -1;
	p = pl_pcap_open_offline(file, &readbuf, &magic, err, errlen);
	if (!p)
		return -errno;
	res->linktype = pcap_datalink(p);
	rc = engine_build(&r.e, expr, p, err, errlen);
	if (rc)
		goto out;
	if (o.out) {
		rc = output_open(&r.out, o.out, p, file_precision(magic), err, errlen);
		if (rc)
			goto out;
	}
	res->setup_ns = now_ns() - t0;
	t0 = now_ns();
	looped = true;

	for (;;) {
		struct pcap_pkthdr *h;
		const u_char *data;
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
		if (h->caplen > PL_FILTER_BUF_MAX) {
			/* libpcap reads such frames only for link types whose
			 * largest snap length is above it (USBPCAP, D-Bus). The
			 * batch before it runs first: warnings in packet order. */
			char why[96];
			flush(&r, first_nr);
			snprintf(why, sizeof(why), "%u bytes, more than the %d a filter takes",
				 h->caplen, PL_FILTER_BUF_MAX);
			not_run(&r, res->packets, why);
			first_nr = res->packets + 1;
			continue;
		}
		if (!engine_fits(&r.e, h)) {
			flush(&r, first_nr);
			first_nr = res->packets;
		}
		engine_add(&r.e, h, data);
	}
	flush(&r, first_nr);
	res->run_ns = now_ns() - t0;
	if (!rc && res->errors) {
		snprintf(err, errlen, "%s: %llu of %llu packets could not be run (not counted)", file,
			 (unsigned long long)res->errors, (unsigned long long)res->packets);
		rc = -EIO;
	}
out:
	if (r.out.o.path) {
		/* A cut file or unrunnable packets keep what was matched, as
		 * tcpdump -w keeps what it read; a failure before the loop
		 * leaves nothing. */
		char werr[256];
		bool keep = looped && (!rc || rc == -EIO);
		int wrc = output_close(&r.out, keep, werr, sizeof(werr));
		if (wrc && keep) {
			if (!rc)
				snprintf(err, errlen, "%s", werr);
			else
				pl_log(PL_LOG_ERROR, "%s", werr);
			rc = rc ? rc : wrc;
		}
	}
	engine_destroy(&r.e);
	pcap_close(p);
	free(readbuf);
	return rc;
}

char *pl_filter_run_c(const char *expr, const char *file, char *err, size_t errlen)
{
	pcap_t *p = NULL;
	char *readbuf = NULL, *c;

	if (file && !(p = pl_pcap_open_offline(file, &readbuf, NULL, err, errlen)))
		return NULL;
	c = translate(expr, p, PL_FILTER_PKT | PL_FILTER_BUF, err, errlen);
	if (p) {
		int e = errno;
		pcap_close(p);
		free(readbuf);
		errno = e;
	}
	return c;
}
