/* lua_offline.c — pktlua --pcap FILE: the same script live or offline.
 *
 * With --pcap, attaching a packet program (XDP, tc, socket filter) to an
 * interface binds it to the capture instead (lua_program.c asks here). The
 * first bpf.run() then replays the file, packet by packet in capture order,
 * through every bound program with BPF_PROG_TEST_RUN, so maps fill as they
 * would live; the event loop runs between chunks of packets, so timers fire
 * and ring/perf buffers are read. At the end bpf.run() returns "eof" and one
 * summary line goes to stderr.
 *
 * One capture per process (it is a command-line option): the state is a
 * static, so a Link can unbind itself without a Lua state at hand. */
#include "lua/lua_offline.h"

#include "base/log.h"
#include "events/loop.h"
#include "packets/pcap_file.h"
#include "packets/replay.h"

#include <lauxlib.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ETH_HLEN 14
#define CHUNK 1024            /* packets between two turns of the event loop */
#define MAX_WARNINGS 10
#define PROGRESS_NS 100000000 /* progress line at most every 100 ms */

struct pl_offline_target {
	struct bpf_program *prog;      /* NULL once unbound during the replay */
	enum bpf_prog_type type;
	bool frags;
	char name[64];
	char desc[128];
	struct pl_replay_result res;   /* run, too_big, refused, verdicts */
	struct pl_offline_target *next;
};

static struct {
	const char *file;
	struct pl_pcap_reader *reader;       /* opened once (a FIFO works), until replayed */
	struct pl_offline_target *targets;   /* in bind order */
	bool replaying, replayed;
	unsigned warned;
} offline;

static int offline_gc(lua_State *L)
{
	(void)L;
	pl_pcap_reader__close(offline.reader);
	offline.reader = NULL;
	return 0;
}

void pl_lua_offline_open(lua_State *L, const char *file)
{
	char err[512], lbuf[32];

	/* Closed with the Lua state if no bpf.run() replays it. */
	lua_newuserdatauv(L, 1, 0);
	lua_newtable(L);
	lua_pushcfunction(L, offline_gc);
	lua_setfield(L, -2, "__gc");
	lua_setmetatable(L, -2);
	lua_setfield(L, LUA_REGISTRYINDEX, "pktlua.offline");
	offline.reader = pl_pcap_reader__open(file, err, sizeof(err));
	if (!offline.reader)
		luaL_error(L, "--pcap: %s", err);
	int linktype = pl_pcap_reader__linktype(offline.reader);
	if (!pl_pcap_ether_capable(linktype))
		luaL_error(L, "--pcap: %s: link type %s is not supported (Ethernet, raw IP, "
			   "LINUX_SLL and LINUX_SLL2 are)", file,
			   pl_pcap_linktype_name(linktype, lbuf, sizeof(lbuf)));
	offline.file = file;
}

const char *pl_lua_offline_file(void)
{
	return offline.file;
}

bool pl_lua_offline_takes(struct bpf_program *prog, const char *iface)
{
	enum bpf_prog_type t = bpf_program__type(prog);

	return offline.file && iface &&
	       (t == BPF_PROG_TYPE_XDP || t == BPF_PROG_TYPE_SCHED_CLS ||
		t == BPF_PROG_TYPE_SCHED_ACT || t == BPF_PROG_TYPE_SOCKET_FILTER);
}

struct pl_offline_target *pl_lua_offline_bind(struct bpf_program *prog, const char *direction)
{
	struct pl_offline_target *t = calloc(1, sizeof(*t)), **pp;
	const char *sec = bpf_program__section_name(prog);

	if (!t)
		return NULL;
	t->prog = prog;
	t->type = bpf_program__type(prog);
	/* As pcap.replay: libbpf 1.1 does not record xdp.frags in the flags. */
	t->frags = t->type == BPF_PROG_TYPE_XDP &&
		   ((bpf_program__flags(prog) & BPF_F_XDP_HAS_FRAGS) || !strncmp(sec, "xdp.frags", 9));
	snprintf(t->name, sizeof(t->name), "%s", bpf_program__name(prog));
	const char *kind = t->type == BPF_PROG_TYPE_XDP ? "xdp" :
			   t->type == BPF_PROG_TYPE_SOCKET_FILTER ? "socket" : "tc";
	if (t->type == BPF_PROG_TYPE_SCHED_CLS || t->type == BPF_PROG_TYPE_SCHED_ACT)
		snprintf(t->desc, sizeof(t->desc), "%s %s on capture %s", kind,
			 direction ? direction : "ingress", offline.file);
	else
		snprintf(t->desc, sizeof(t->desc), "%s on capture %s", kind, offline.file);
	for (pp = &offline.targets; *pp; pp = &(*pp)->next)
		;
	*pp = t;
	return t;
}

void pl_lua_offline_unbind(struct pl_offline_target *t)
{
	struct pl_offline_target **pp;

	if (!t)
		return;
	if (offline.replaying) {
		t->prog = NULL;          /* the replay frees it when it is done */
		return;
	}
	for (pp = &offline.targets; *pp && *pp != t; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = t->next;
	free(t);
}

const char *pl_lua_offline_describe(const struct pl_offline_target *t)
{
	return t->desc;
}

/* ---- replay ----------------------------------------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* 1234567 -> "1,234,567" */
static const char *grouped(uint64_t n, char *buf, size_t len)
{
	char tmp[32];
	int d = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)n), o = 0;

	for (int i = 0; i < d && (size_t)o + 2 < len; i++) {
		if (i && (d - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = '\0';
	return buf;
}

static void warn_packet(uint64_t num, const char *prog, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void warn_packet(uint64_t num, const char *prog, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (offline.warned++ > MAX_WARNINGS)
		return;
	if (offline.warned > MAX_WARNINGS) {
		pl_log(PL_LOG_WARN, "%s: more packets not replayed; the summary counts them all",
		       offline.file);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (prog)
		pl_log(PL_LOG_WARN, "%s: packet %llu not replayed through '%s': %s", offline.file,
		       (unsigned long long)num, prog, msg);
	else
		pl_log(PL_LOG_WARN, "%s: packet %llu not replayed: %s", offline.file,
		       (unsigned long long)num, msg);
}

/* One packet (an Ethernet frame of N bytes in BUF + ETH_HLEN or at FRAME)
 * through one target, fed and counted exactly as pcap.replay does. */
static void feed(struct pl_offline_target *t, uint64_t num, const uint8_t *frame, int n,
		 uint8_t *buf)
{
	char why[160];
	int rv;

	if (!pl_replay_frame(bpf_program__fd(t->prog), t->type, t->frags, frame, (uint32_t)n,
			     buf, &t->res, &rv, why, sizeof(why)))
		warn_packet(num, t->name, "%s", why);
}

static void append(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void append(char *buf, size_t len, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

/* What one target did: "XDP_PASS 418", "kept 3, dropped 415", with the
 * packets it could not take. */
static void describe_target(const struct pl_offline_target *t, char *buf, size_t len)
{
	const char *sep = "";

	if (t->type == BPF_PROG_TYPE_SOCKET_FILTER) {
		append(buf, len, "kept %llu, dropped %llu", (unsigned long long)t->res.kept,
		       (unsigned long long)t->res.not_kept);
		sep = ", ";
	} else {
		for (int i = 0; i < PL_REPLAY_NRET; i++) {
			const char *name = pl_replay_verdict_name(t->type, i + PL_REPLAY_RET_MIN);
			uint64_t n = t->res.by_ret[i];
			if (!n)
				continue;
			if (name)
				append(buf, len, "%s%s %llu", sep, name, (unsigned long long)n);
			else
				append(buf, len, "%sreturned %d: %llu", sep, i + PL_REPLAY_RET_MIN,
				       (unsigned long long)n);
			sep = ", ";
		}
		if (t->res.other_ret) {
			append(buf, len, "%sother %llu", sep, (unsigned long long)t->res.other_ret);
			sep = ", ";
		}
		if (!t->res.run)
			append(buf, len, "%snone run", sep), sep = ", ";
	}
	if (t->res.too_big + t->res.refused) {
		append(buf, len, "%s%llu not fed:", sep, (unsigned long long)(t->res.too_big + t->res.refused));
		if (t->res.too_big)
			append(buf, len, " %llu too big", (unsigned long long)t->res.too_big);
		if (t->res.refused)
			append(buf, len, "%s %llu refused", t->res.too_big ? "," : "",
			       (unsigned long long)t->res.refused);
	}
}

static void summary(uint64_t packets, uint64_t short_pkts, uint64_t bad_link, bool whole)
{
	char line[1024] = "", cnt[32];
	int ntargets = 0;

	for (struct pl_offline_target *t = offline.targets; t; t = t->next)
		ntargets++;
	append(line, sizeof(line), "replayed %s: %s packets%s (", offline.file,
	       grouped(packets, cnt, sizeof(cnt)), whole ? "" : ", stopped before the end");
	for (struct pl_offline_target *t = offline.targets; t; t = t->next) {
		if (ntargets > 1)
			append(line, sizeof(line), "%s: ", t->name);
		describe_target(t, line, sizeof(line));
		if (t->next)
			append(line, sizeof(line), "; ");
	}
	append(line, sizeof(line), ")");
	if (short_pkts + bad_link) {
		append(line, sizeof(line), ", %llu not fed:", (unsigned long long)(short_pkts + bad_link));
		if (short_pkts)
			append(line, sizeof(line), " %llu shorter than an Ethernet header",
			       (unsigned long long)short_pkts);
		if (bad_link)
			append(line, sizeof(line), "%s %llu with a link header that cannot become "
			       "Ethernet", short_pkts ? "," : "", (unsigned long long)bad_link);
	}
	pl_log(PL_LOG_WARN, "%s", line);
}

/* Count the packets of the file, for the progress line (terminal only): a
 * regular file can be read twice, a FIFO cannot (no total then). */
static uint64_t count_packets(void)
{
	char err[512];
	struct stat st;
	struct pl_pcap_reader *r;
	struct pl_pcap_pkt pkt;
	uint64_t n = 0;

	if (stat(offline.file, &st) || !S_ISREG(st.st_mode))
		return 0;
	r = pl_pcap_reader__open(offline.file, err, sizeof(err));
	if (!r)
		return 0;
	while (pl_pcap_reader__next(r, &pkt) > 0)
		n++;
	pl_pcap_reader__close(r);
	return n;
}

static void progress(uint64_t done, uint64_t total)
{
	char a[32], b[32];

	if (total)
		fprintf(stderr, "\r%s/%s packets", grouped(done, a, sizeof(a)), grouped(total, b, sizeof(b)));
	else
		fprintf(stderr, "\r%s packets", grouped(done, a, sizeof(a)));
	fflush(stderr);
}

/* One turn of the loop: timers that are due fire, buffers are read. A zero
 * time limit would return before looking, so give it a millisecond. */
static enum pl_loop_end turn(struct pl_loop *loop)
{
	return pl_loop__run(loop, 0.001);
}

static enum pl_offline_end do_replay(struct pl_loop *loop, char *err, size_t errlen)
{
	struct pl_pcap_reader *r;
	uint8_t *buf = NULL;
	uint64_t packets = 0, short_pkts = 0, bad_link = 0, total = 0, last = 0;
	enum pl_offline_end ret = PL_OFFLINE_EOF;
	bool tty = isatty(STDERR_FILENO), shown = false, at_end = false;
	char lbuf[32];

	if (tty)
		total = count_packets();
	r = offline.reader;
	offline.reader = NULL;
	int linktype = pl_pcap_reader__linktype(r);
	size_t snap = pl_pcap_reader__snaplen(r);
	size_t bufsize = (snap ? snap : 262144) + PL_PCAP_ETHER_GROWTH + ETH_HLEN;
	buf = malloc(bufsize);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", offline.file);
		pl_pcap_reader__close(r);
		return PL_OFFLINE_ERROR;
	}
	offline.replaying = true;
	for (;;) {
		struct pl_pcap_pkt pkt;
		const uint8_t *frame;
		int n = pl_pcap_reader__next(r, &pkt);

		if (n == 0) {
			at_end = true;
			break;
		}
		if (n < 0) {
			snprintf(err, errlen, "%s", pl_pcap_reader__error(r));
			ret = PL_OFFLINE_ERROR;
			break;
		}
		uint64_t num = ++packets;
		if (pkt.caplen > bufsize - PL_PCAP_ETHER_GROWTH - ETH_HLEN) {
			bad_link++;
			warn_packet(num, NULL, "%u bytes, more than the file's snap length", pkt.caplen);
		} else if ((n = pl_pcap_to_ether(linktype, pkt.data, pkt.caplen, buf + ETH_HLEN,
						 &frame)) < 0) {
			bad_link++;
			warn_packet(num, NULL, "its %s header cannot become an Ethernet header",
				    pl_pcap_linktype_name(linktype, lbuf, sizeof(lbuf)));
		} else if (n < ETH_HLEN) {
			short_pkts++;
			warn_packet(num, NULL, "%d bytes, shorter than an Ethernet header", n);
		} else {
			for (struct pl_offline_target *t = offline.targets; t; t = t->next)
				if (t->prog)
					feed(t, num, frame, n, buf);
		}
		if (packets % CHUNK == 0) {
			enum pl_loop_end e = turn(loop);
			if (e == PL_LOOP_STOPPED || e == PL_LOOP_SIGNAL || e == PL_LOOP_ERROR) {
				ret = e == PL_LOOP_SIGNAL ? PL_OFFLINE_SIGNAL : PL_OFFLINE_STOPPED;
				break;
			}
		}
		if (tty && packets % 256 == 0) {
			uint64_t now = now_ns();
			if (now - last >= PROGRESS_NS) {
				progress(packets, total);
				last = now;
				shown = true;
			}
		}
	}
	pl_pcap_reader__close(r);
	free(buf);
	if (shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	/* A last turn: what the last packets produced reaches the callbacks, and
	 * timers that came due fire. */
	if (ret == PL_OFFLINE_EOF) {
		enum pl_loop_end e = turn(loop);
		if (e == PL_LOOP_SIGNAL)
			ret = PL_OFFLINE_SIGNAL;
		else if (e == PL_LOOP_STOPPED || e == PL_LOOP_ERROR)
			ret = PL_OFFLINE_STOPPED;
	}
	offline.replaying = false;
	offline.replayed = true;
	summary(packets, short_pkts, bad_link, at_end);
	/* Targets unbound while the replay ran go now. */
	for (struct pl_offline_target **pp = &offline.targets; *pp;) {
		struct pl_offline_target *t = *pp;
		if (t->prog) {
			pp = &t->next;
		} else {
			*pp = t->next;
			free(t);
		}
	}
	return ret;
}

enum pl_offline_end pl_lua_offline_run(struct pl_loop *loop, double timeout, char *err, size_t errlen)
{
	if (!offline.file)
		return PL_OFFLINE_NONE;
	if (offline.replayed)
		/* Nothing more will come: without a time limit, end at once. */
		return timeout < 0 ? PL_OFFLINE_EOF : PL_OFFLINE_NONE;
	if (!offline.targets)
		return PL_OFFLINE_NONE;     /* nothing bound yet: an ordinary run */
	return do_replay(loop, err, errlen);
}
