/* replay.c — capture files through packet programs (see replay.h).
 *
 * The loop is one pcap_next_ex (libpcap's own buffer, no copy) and one
 * BPF_PROG_TEST_RUN per packet; no output bytes are copied back (the kept
 * packets are written as read). A copy happens only when a link-layer header
 * must be synthesized or for socket filters (see below). */
#include "packets/replay.h"

#include "base/log.h"
#include "packets/pcap_file.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ETH_HLEN 14
#define DEFAULT_MAX_WARNINGS 10

static const char *const xdp_names[] = {
	"XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT",
};

static const char *const tc_names[] = {     /* from TC_ACT_UNSPEC (-1) */
	"TC_ACT_UNSPEC", "TC_ACT_OK", "TC_ACT_RECLASSIFY", "TC_ACT_SHOT", "TC_ACT_PIPE",
	"TC_ACT_STOLEN", "TC_ACT_QUEUED", "TC_ACT_REPEAT", "TC_ACT_REDIRECT", "TC_ACT_TRAP",
};

const char *pl_replay_verdict_name(enum bpf_prog_type type, int retval)
{
	switch (type) {
	case BPF_PROG_TYPE_XDP:
		return retval >= 0 && retval < 5 ? xdp_names[retval] : NULL;
	case BPF_PROG_TYPE_SCHED_CLS:
	case BPF_PROG_TYPE_SCHED_ACT:
		return retval >= -1 && retval <= 8 ? tc_names[retval + 1] : NULL;
	default:
		return NULL;
	}
}

bool pl_replay_kept(enum bpf_prog_type type, int retval)
{
	switch (type) {
	case BPF_PROG_TYPE_XDP:
		return retval == 2;                    /* XDP_PASS */
	case BPF_PROG_TYPE_SCHED_CLS:
	case BPF_PROG_TYPE_SCHED_ACT:
		return retval == 0 || retval == -1;    /* TC_ACT_OK, TC_ACT_UNSPEC */
	default:
		return retval != 0;                    /* socket filter: bytes kept */
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct replay {
	const char *file;
	struct pl_replay_result *res;
	unsigned warned, max_warnings;
};

static void warn_packet(struct replay *rp, uint64_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void warn_packet(struct replay *rp, uint64_t n, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (rp->warned++ > rp->max_warnings)
		return;
	if (rp->warned > rp->max_warnings) {
		pl_log(PL_LOG_WARN, "%s: more packets not replayed; the totals count them all", rp->file);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pl_log(PL_LOG_WARN, "%s: packet %llu not replayed: %s", rp->file, (unsigned long long)n, msg);
}

bool pl_replay_frame(int prog_fd, enum bpf_prog_type type, bool frags,
		     const uint8_t *frame, uint32_t n, uint8_t *buf,
		     struct pl_replay_result *res, int *retval, char *why, size_t whylen)
{
	bool socket_filter = type == BPF_PROG_TYPE_SOCKET_FILTER;
	const uint8_t *data = frame;
	uint32_t size = n;

	/* Why: the kernel's XDP test run puts what exceeds one page into
	 * fragments even for a program loaded without BPF_F_XDP_HAS_FRAGS,
	 * which would then see a cut frame; such a program cannot take the
	 * frame live either (no attach to an MTU above a page). */
	if (type == BPF_PROG_TYPE_XDP && !frags && n > PL_REPLAY_XDP_LINEAR_MAX) {
		res->errors++, res->too_big++;
		snprintf(why, whylen, "%u bytes, more than %d without fragments "
			 "(an xdp.frags program takes them)", n, PL_REPLAY_XDP_LINEAR_MAX);
		return false;
	}
	if (socket_filter) {
		/* Why: BPF_PROG_TEST_RUN pulls an Ethernet header off (eth_type_trans)
		 * before a socket filter runs, but on the SOCK_RAW packet socket that
		 * attach uses the filter sees the frame from its Ethernet header. A
		 * copy of that header in front keeps the two views the same. */
		if (frame != buf + ETH_HLEN)
			memcpy(buf + ETH_HLEN, frame, size);
		memcpy(buf, buf + ETH_HLEN, ETH_HLEN);
		data = buf;
		size += ETH_HLEN;
	}
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = data, .data_size_in = size, .repeat = 1);
	if (bpf_prog_test_run_opts(prog_fd, &t)) {
		int e = errno;
		res->errors++;
		if (n > PL_REPLAY_XDP_LINEAR_MAX) {
			res->too_big++;
			snprintf(why, whylen, "%u bytes, too big for BPF_PROG_TEST_RUN (%s)", n,
				 strerror(e));
		} else {
			res->refused++;
			snprintf(why, whylen, "BPF_PROG_TEST_RUN: %s", strerror(e));
		}
		return false;
	}
	res->run++;
	int rv = (int)t.retval;
	if (!socket_filter && rv >= PL_REPLAY_RET_MIN && rv <= PL_REPLAY_RET_MAX)
		res->by_ret[rv - PL_REPLAY_RET_MIN]++;
	else if (!socket_filter)
		res->other_ret++;
	if (pl_replay_kept(type, rv))
		res->kept++;
	else
		res->not_kept++;
	*retval = rv;
	return true;
}

int pl_replay_file(int prog_fd, enum bpf_prog_type type, const char *file,
		   const struct pl_replay_opts *opts, struct pl_replay_result *res,
		   char *err, size_t errlen)
{
	struct pl_replay_opts o = opts ? *opts : (struct pl_replay_opts){0};
	struct replay rp = { .file = file, .res = res };
	struct pl_pcap_reader *r = NULL;
	struct pl_pcap_writer *w = NULL;
	uint8_t *buf = NULL;
	char lbuf[32];
	uint64_t start = now_ns();
	bool socket_filter = type == BPF_PROG_TYPE_SOCKET_FILTER;
	int linktype, ret = 0;

	memset(res, 0, sizeof(*res));
	rp.max_warnings = o.max_warnings ? o.max_warnings : DEFAULT_MAX_WARNINGS;
	if (type != BPF_PROG_TYPE_XDP && type != BPF_PROG_TYPE_SCHED_CLS &&
	    type != BPF_PROG_TYPE_SCHED_ACT && !socket_filter) {
		snprintf(err, errlen, "replay needs an XDP, tc or socket filter program");
		return -EOPNOTSUPP;
	}
	r = pl_pcap_reader__open(file, err, errlen);
	if (!r)
		return -errno;
	linktype = pl_pcap_reader__linktype(r);
	if (!pl_pcap_ether_capable(linktype)) {
		snprintf(err, errlen, "%s: link type %s is not supported (Ethernet, raw IP, "
			 "LINUX_SLL and LINUX_SLL2 are)", file,
			 pl_pcap_linktype_name(linktype, lbuf, sizeof(lbuf)));
		ret = -EPROTONOSUPPORT;
		goto out;
	}
	/* Room for a synthesized Ethernet header, and ETH_HLEN in front of it for
	 * socket filters; the snap length bounds every packet of the file. */
	size_t snap = pl_pcap_reader__snaplen(r);
	size_t bufsize = (snap ? snap : 262144) + PL_PCAP_ETHER_GROWTH + ETH_HLEN;
	buf = malloc(bufsize);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", file);
		ret = -ENOMEM;
		goto out;
	}
	if (o.out) {
		struct pl_pcap_writer_opts wo = { .linktype = linktype, .snaplen = (uint32_t)snap,
						  .nanosecond = true };
		w = pl_pcap_writer__open(o.out, &wo, err, errlen);
		if (!w) {
			ret = -errno;
			goto out;
		}
	}

	for (;;) {
		struct pl_pcap_pkt pkt;
		const uint8_t *frame;
		int n = pl_pcap_reader__next(r, &pkt);
		uint64_t num;

		if (n == 0)
			break;
		if (n < 0) {
			snprintf(err, errlen, "%s", pl_pcap_reader__error(r));
			ret = n;
			goto out;
		}
		num = ++res->packets;
		if (pkt.caplen > bufsize - PL_PCAP_ETHER_GROWTH - ETH_HLEN) {
			/* Never with a sane file: libpcap checks caplen against the snap
			 * length, but a lying header must not overrun buf. */
			res->errors++, res->refused++;
			warn_packet(&rp, num, "%u bytes, more than the file's snap length", pkt.caplen);
			continue;
		}
		n = pl_pcap_to_ether(linktype, pkt.data, pkt.caplen, buf + ETH_HLEN, &frame);
		if (n < 0) {
			res->errors++, res->bad_link++;
			warn_packet(&rp, num, "its %s header cannot become an Ethernet header",
				    pl_pcap_linktype_name(linktype, lbuf, sizeof(lbuf)));
			continue;
		}
		if (n < ETH_HLEN) {
			res->errors++, res->short_pkts++;
			warn_packet(&rp, num, "%d bytes, shorter than an Ethernet header", n);
			continue;
		}

		int rv;
		char why[160];
		if (!pl_replay_frame(prog_fd, type, o.frags, frame, (uint32_t)n, buf, res, &rv,
				     why, sizeof(why))) {
			warn_packet(&rp, num, "%s", why);
			continue;
		}
		bool kept = pl_replay_kept(type, rv);
		if (w && kept != o.keep_drop) {
			if (pl_pcap_writer__write_ts(w, pkt.data, pkt.caplen, pkt.len, pkt.ts_sec,
						     pkt.ts_nsec)) {
				snprintf(err, errlen, "%s: cannot write: %s", o.out, strerror(EIO));
				ret = -EIO;
				goto out;
			}
			res->written++;
		}
	}
out:
	if (w) {
		int e = pl_pcap_writer__close(w);
		if (e && !ret) {
			snprintf(err, errlen, "%s: cannot write: %s", o.out, strerror(-e));
			ret = e;
		}
	}
	free(buf);
	pl_pcap_reader__close(r);
	res->wall_ns = now_ns() - start;
	return ret;
}
