/* live.c — live capture with a tcpdump expression in the kernel (see
 * live.h). The BPF side is <pktlua/tcpdump.h>; this file compiles the
 * expression per interface, builds the object around it, attaches it,
 * reads the ring buffer on the event loop and watches the interfaces. */
#include "packets/live.h"

#include "base/log.h"
#include "bpf/attach.h"
#include "bpf/loader.h"
#include "compile/compiler.h"
#include "events/events.h"
#include "events/loop.h"
#include "packets/filter.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <net/if.h>             /* before <linux/...>: libc-compat.h then agrees */
#include <linux/if_arp.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* struct pktlua_tcpdump_rec of <pktlua/tcpdump.h>. */
struct rec {
	uint64_t ts_ns;
	uint32_t len, caplen, ifindex, flags;
};

struct iface {
	const char *name;
	unsigned ifindex;
	bool loopback;
	int filter;                   /* which pl_match_K runs on it */
	struct pl_link *links[2];     /* tc in, tc out; or xdp */
};

struct pl_live {
	struct iface *ifs;
	size_t nifs;
	int nfilters;
	uint32_t snaplen;
	unsigned dirs;
	bool xdp;
	bool foreign;                 /* -f: each interface's netmask */
	const char *xdp_mode;
	size_t ring_bytes;
	struct bpf_object *obj;
	struct pl_loop *loop;
	struct pl_events *ev;
	struct pl_evbuf *buf;
	int nl_fd;
	bool attached;
	int64_t clock_off;            /* CLOCK_REALTIME - CLOCK_MONOTONIC, ns */
	pl_live_fn fn;
	void *ctx;
	bool stopping;                /* the callback said stop */
	int vanished;                 /* index of an interface that went away, or -1 */
	uint64_t captured;
	uint64_t bad_records;         /* shorter than they say: a bug, counted */
	char desc[512];
};

static int64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Realtime minus monotonic, read between two monotonic reads. */
static int64_t clock_offset(void)
{
	int64_t m1 = clock_ns(CLOCK_MONOTONIC);
	int64_t r = clock_ns(CLOCK_REALTIME);
	int64_t m2 = clock_ns(CLOCK_MONOTONIC);

	return r - (m1 + (m2 - m1) / 2);
}

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

/* IFACE's hardware type (ARPHRD_*), or -errno. */
static int iface_type(const char *name)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	rc = ioctl(fd, SIOCGIFHWADDR, &ifr) < 0 ? -errno : ifr.ifr_hwaddr.sa_family;
	close(fd);
	return rc;
}

/* The interfaces: they exist, once each, and carry Ethernet frames (the
 * link type the expression is compiled for). */
static int check_ifaces(struct pl_live *l, const struct pl_live_opts *o, char *err,
			size_t errlen)
{
	for (size_t i = 0; i < l->nifs; i++) {
		const char *name = o->ifaces[i];
		int type;

		if (!name || !*name || strlen(name) >= IFNAMSIZ)
			return fail(err, errlen, -EINVAL, "'%s' is not an interface name",
				    name ? name : "");
		l->ifs[i].name = name;
		l->ifs[i].ifindex = if_nametoindex(name);
		if (!l->ifs[i].ifindex)
			return fail(err, errlen, -ENODEV, "no such interface '%s'", name);
		for (size_t j = 0; j < i; j++)
			if (l->ifs[j].ifindex == l->ifs[i].ifindex)
				return fail(err, errlen, -EINVAL, "interface '%s' given twice", name);
		type = iface_type(name);
		if (type < 0)
			return fail(err, errlen, type, "interface '%s': %s", name, strerror(-type));
		l->ifs[i].loopback = type == ARPHRD_LOOPBACK;
		if (type != ARPHRD_ETHER && type != ARPHRD_LOOPBACK)
			return fail(err, errlen, -EPROTONOSUPPORT,
				    "interface '%s' does not carry Ethernet frames (hardware type %d); "
				    "live capture takes Ethernet and loopback interfaces", name, type);
	}
	return 0;
}

/* The filters: EXPR compiled for each interface (with -f its netmask may differ);
 * interfaces whose C is the same share one. Appends the distinct ones,
 * named pl_match_K, to *PRELUDE. */
static int make_filters(struct pl_live *l, const char *expr, char **prelude, char *err,
			size_t errlen)
{
	char **texts = calloc(l->nifs, sizeof(*texts));
	size_t len = 0;
	int rc = 0;

	if (!texts)
		return fail(err, errlen, -ENOMEM, "out of memory");
	*prelude = NULL;
	for (size_t i = 0; i < l->nifs; i++) {
		uint32_t mask;
		char *c = pl_filter_iface_to_c(expr, l->ifs[i].name, l->snaplen, "pl_match",
					       PL_FILTER_PKT | PL_FILTER_BUF | PL_FILTER_LIVE, l->foreign, &mask,
					       err, errlen);
		if (!c) {
			rc = -errno;
			goto out;
		}
		pl_log(PL_LOG_DEBUG, "filter '%s' on %s: netmask %u.%u.%u.%u", expr, l->ifs[i].name,
		       ((unsigned char *)&mask)[0], ((unsigned char *)&mask)[1],
		       ((unsigned char *)&mask)[2], ((unsigned char *)&mask)[3]);
		l->ifs[i].filter = -1;
		for (size_t j = 0; j < i; j++)
			if (texts[j] && !strcmp(texts[j], c)) {
				l->ifs[i].filter = l->ifs[j].filter;
				break;
			}
		if (l->ifs[i].filter >= 0) {
			free(c);
			continue;
		}
		l->ifs[i].filter = l->nfilters++;
		texts[i] = c;
	}
	/* Again under their own names (the name is part of the text). */
	for (size_t i = 0; i < l->nifs; i++) {
		char name[32], *c, *p;

		if (!texts[i])
			continue;
		snprintf(name, sizeof(name), "pl_match_%d", l->ifs[i].filter);
		c = pl_filter_iface_to_c(expr, l->ifs[i].name, l->snaplen, name,
					 PL_FILTER_PKT | PL_FILTER_BUF | PL_FILTER_LIVE, l->foreign, NULL, err,
					 errlen);
		if (!c) {
			rc = -errno;
			goto out;
		}
		p = realloc(*prelude, len + strlen(c) + 1);
		if (!p) {
			free(c);
			rc = fail(err, errlen, -ENOMEM, "out of memory");
			goto out;
		}
		*prelude = p;
		memcpy(p + len, c, strlen(c) + 1);
		len += strlen(c);
		free(c);
	}
out:
	for (size_t i = 0; i < l->nifs; i++)
		free(texts[i]);
	free(texts);
	if (rc) {
		free(*prelude);
		*prelude = NULL;
	}
	return rc;
}

/* The programs around the filters: per filter K, a tc program for each
 * direction and an XDP program; only those asked for are loaded
 * (autoload), and the sizes of the ring and of the slot map are set at
 * load: the text, and so the compile cache's entry, depends on the
 * expression alone — a tc and an XDP capture of it share one. */
static char *make_source(const struct pl_live *l)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	if (!f)
		return NULL;
	fprintf(f, "#include <pktlua/tcpdump.h>\n"
		   "PKTLUA_RINGBUF(pktlua_capture, 4096);   /* sized at load */\n");
	for (int k = 0; k < l->nfilters; k++) {
		fprintf(f, "SEC(\"xdp\") int pktlua_xdp_%d(struct xdp_md *ctx)\n{\n"
			   "\tpktlua_tcpdump_xdp(ctx, &pktlua_capture, pl_match_%d, PL_SNAPLEN);\n"
			   "\treturn XDP_PASS;\n}\n", k, k);
		/* -1 is TC_ACT_UNSPEC: tcx goes on to the next program. */
		fprintf(f, "SEC(\"tc\") int pktlua_in_%d(struct __sk_buff *skb)\n{\n"
			   "\tpktlua_tcpdump_skb(skb, &pktlua_capture, pl_match_%d, "
			   "PKTLUA_TCPDUMP_IN, PL_SNAPLEN);\n\treturn -1;\n}\n", k, k);
		fprintf(f, "SEC(\"tc\") int pktlua_out_%d(struct __sk_buff *skb)\n{\n"
			   "\tpktlua_tcpdump_skb(skb, &pktlua_capture, pl_match_%d, "
			   "PKTLUA_TCPDUMP_OUT, PL_SNAPLEN);\n\treturn -1;\n}\n", k, k);
	}
	if (fclose(f)) {
		free(s);
		return NULL;
	}
	return s;
}

/* Which of the object's programs this capture attaches. */
static bool wanted(const struct pl_live *l, const char *name)
{
	if (!strncmp(name, "pktlua_xdp_", 11))
		return l->xdp;
	if (!strncmp(name, "pktlua_in_", 10))
		return !l->xdp && (l->dirs & PL_LIVE_IN);
	if (!strncmp(name, "pktlua_out_", 11))
		return !l->xdp && (l->dirs & PL_LIVE_OUT);
	return true;
}

static int build(struct pl_live *l, const char *expr, char *err, size_t errlen)
{
	char snap[48], *prelude = NULL, *src = NULL, *msg = NULL;
	/* One slot in the source; the map gets one per possible CPU at load. */
	const char *defines[] = { "PKTLUA_TCPDUMP_CPUS=1", snap, NULL };
	struct pl_compile_opts copts = {
		.filename = "<capture>", .first_line = 1, .defines = defines,
	};
	struct pl_compile_result res = { 0 };
	struct pl_load_opts lopts = { .name = "capture" };
	int ncpus = libbpf_num_possible_cpus(), rc;
	struct bpf_program *prog;
	struct bpf_map *map;

	if (ncpus < 0)
		return fail(err, errlen, ncpus, "cannot count the CPUs: %s", strerror(-ncpus));
	snprintf(snap, sizeof(snap), "PL_SNAPLEN=%uu", l->snaplen);
	rc = make_filters(l, expr, &prelude, err, errlen);
	if (rc)
		return rc;
	src = make_source(l);
	if (!src) {
		rc = fail(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	copts.prelude = prelude;
	rc = pl_compile(src, strlen(src), &copts, &res);
	if (rc) {
		/* The generated C must always compile: a bug, in clang's words. */
		fail(err, errlen, rc, "filter '%s': the generated C does not compile: %s", expr,
		     res.diag && res.diag[0] ? res.diag : strerror(-rc));
		goto out;
	}
	rc = pl_object_open(res.obj, res.obj_len, &lopts, &l->obj, &msg);
	if (rc) {
		fail(err, errlen, rc, "filter '%s': %s", expr, msg ? msg : strerror(-rc));
		l->obj = NULL;
		goto out;
	}
	bpf_object__for_each_program(prog, l->obj)
		bpf_program__set_autoload(prog, wanted(l, bpf_program__name(prog)));
	map = bpf_object__find_map_by_name(l->obj, "pktlua_capture");
	rc = map ? bpf_map__set_max_entries(map, (__u32)l->ring_bytes) : -ENOENT;
	map = bpf_object__find_map_by_name(l->obj, "pktlua_tcpdump_slots");
	rc = rc ?: map ? bpf_map__set_max_entries(map, (__u32)ncpus) : -ENOENT;
	if (rc) {
		fail(err, errlen, rc, "filter '%s': sizing the capture's maps: %s", expr, strerror(-rc));
		goto out;
	}
	rc = pl_object_load_opened(l->obj, &lopts, &msg);
	if (rc)
		fail(err, errlen, rc, "filter '%s': %s", expr, msg ? msg : strerror(-rc));
out:
	pl_compile_result__free(&res);
	free(msg);
	free(src);
	free(prelude);
	return rc;
}

/* ---- the ring buffer -------------------------------------------------------- */

static int on_record(void *ctx, const void *data, size_t size)
{
	struct pl_live *l = ctx;
	struct rec r;
	struct pl_live_pkt pkt;

	if (l->stopping)
		return 1;
	if (size < sizeof(r)) {
		l->bad_records++;
		return 0;
	}
	memcpy(&r, data, sizeof(r));
	if (r.caplen > size - sizeof(r)) {
		l->bad_records++;
		return 0;
	}
	pkt = (struct pl_live_pkt){
		.data = (const uint8_t *)data + sizeof(r), .caplen = r.caplen, .len = r.len,
		.ts_ns = (int64_t)r.ts_ns + l->clock_off, .iface = 0,
		.dir = r.flags & (PL_LIVE_IN | PL_LIVE_OUT),
	};
	for (size_t i = 0; i < l->nifs; i++)
		if (l->ifs[i].ifindex == r.ifindex) {
			pkt.iface = (unsigned)i;
			break;
		}
	l->captured++;
	if (l->fn(l->ctx, &pkt)) {
		l->stopping = true;
		pl_loop__stop(l->loop);
		return 1;
	}
	return 0;
}

/* ---- interfaces going away ----------------------------------------------------- */

static int nl_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

/* Is interface I still there under its index? (Renamed is still there.) */
static bool iface_present(const struct pl_live *l, size_t i)
{
	char name[IF_NAMESIZE];

	return if_indextoname(l->ifs[i].ifindex, name) != NULL;
}

static void check_all(struct pl_live *l)
{
	for (size_t i = 0; i < l->nifs && l->vanished < 0; i++)
		if (!iface_present(l, i)) {
			l->vanished = (int)i;
			pl_loop__stop(l->loop);
		}
}

/* Link notifications: a RTM_DELLINK of one of ours (confirmed by asking
 * for the index: bridge port removal is a DELLINK too), or a lost
 * notification (ENOBUFS: check them all). */
static void on_netlink(void *ctx, int id)
{
	struct pl_live *l = ctx;
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));

	(void)id;
	for (;;) {
		ssize_t n = recv(l->nl_fd, buf, sizeof(buf), 0);

		if (n < 0) {
			if (errno == ENOBUFS) {
				check_all(l);
				continue;
			}
			break;   /* EAGAIN: all read */
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type != RTM_DELLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
				continue;
			const struct ifinfomsg *ifi = NLMSG_DATA(h);
			for (size_t i = 0; i < l->nifs; i++)
				if ((int)l->ifs[i].ifindex == ifi->ifi_index && l->vanished < 0 &&
				    !iface_present(l, i)) {
					l->vanished = (int)i;
					pl_loop__stop(l->loop);
				}
		}
	}
}

/* ---- the object's life -------------------------------------------------------- */

static size_t ring_size(size_t want)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), n = page;

	if (!want)
		want = PL_LIVE_RING_DEFAULT;
	while (n < want && n < (1u << 30))
		n <<= 1;
	return n;
}

struct pl_live *pl_live__open(const struct pl_live_opts *opts, char *err, size_t errlen)
{
	struct pl_live *l = calloc(1, sizeof(*l));
	const char *expr = opts->expr ? opts->expr : "";
	int rc;

	if (!l) {
		fail(err, errlen, -ENOMEM, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	l->nl_fd = -1;
	l->vanished = -1;
	l->nifs = opts->n_ifaces;
	l->snaplen = opts->snaplen ? opts->snaplen : PL_LIVE_SNAPLEN_MAX;
	l->xdp = opts->xdp;
	l->foreign = opts->foreign;
	l->xdp_mode = opts->xdp_mode ? opts->xdp_mode : "skb";
	l->dirs = opts->dirs ? opts->dirs : l->xdp ? PL_LIVE_IN : PL_LIVE_IN | PL_LIVE_OUT;
	l->ring_bytes = ring_size(opts->ring_bytes);
	if (!l->nifs || !opts->ifaces) {
		rc = fail(err, errlen, -EINVAL, "no interface to capture on");
		goto out;
	}
	if (l->snaplen > PL_LIVE_SNAPLEN_MAX) {
		rc = fail(err, errlen, -EINVAL, "snap length %u: at most %u", l->snaplen,
			  PL_LIVE_SNAPLEN_MAX);
		goto out;
	}
	if (l->xdp && (l->dirs & PL_LIVE_OUT)) {
		rc = fail(err, errlen, -EINVAL, "XDP sees incoming packets only (no -Q out at XDP)");
		goto out;
	}
	if (l->dirs & ~(PL_LIVE_IN | PL_LIVE_OUT)) {
		rc = fail(err, errlen, -EINVAL, "directions 0x%x: want in and/or out", l->dirs);
		goto out;
	}
	l->ifs = calloc(l->nifs, sizeof(*l->ifs));
	if (!l->ifs) {
		rc = fail(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	/* Listen before looking the names up: an interface that goes away
	 * in between is then noticed. */
	l->nl_fd = nl_open();
	if (l->nl_fd < 0) {
		rc = fail(err, errlen, l->nl_fd, "cannot watch the interfaces (netlink): %s",
			  strerror(-l->nl_fd));
		goto out;
	}
	rc = check_ifaces(l, opts, err, errlen);
	if (rc)
		goto out;
	rc = build(l, expr, err, errlen);
	if (rc)
		goto out;
	l->loop = pl_loop__new();
	l->ev = l->loop ? pl_events__new(l->loop) : NULL;
	if (!l->ev) {
		rc = fail(err, errlen, -errno, "event loop: %s", strerror(errno));
		goto out;
	}
	struct bpf_map *ring = bpf_object__find_map_by_name(l->obj, "pktlua_capture");
	struct bpf_map *lost = bpf_object__find_map_by_name(l->obj, "pktlua_lost");
	if (!ring || !lost) {
		rc = fail(err, errlen, -ENOENT, "the capture object lacks its maps");
		goto out;
	}
	struct pl_evbuf_opts eo = {
		.fn = on_record, .ctx = l, .lost_map_fd = bpf_map__fd(lost),
	};
	l->buf = pl_events__add(l->ev, ring, &eo);
	if (!l->buf) {
		rc = fail(err, errlen, -errno, "ring buffer: %s", strerror(errno));
		goto out;
	}
	rc = pl_loop__add_fd(l->loop, l->nl_fd, on_netlink, l);
	if (rc < 0) {
		fail(err, errlen, rc, "event loop: %s", strerror(-rc));
		goto out;
	}
	rc = 0;
out:
	if (rc) {
		pl_live__close(l);
		errno = -rc;
		return NULL;
	}
	return l;
}

static void detach_all(struct pl_live *l)
{
	struct pl_link *links[2 * 64];
	size_t n = 0;

	for (size_t i = 0; i < l->nifs; i++)
		for (int d = 0; d < 2; d++) {
			if (!l->ifs[i].links[d])
				continue;
			if (n == sizeof(links) / sizeof(links[0])) {
				pl_link__destroy_all(links, n);
				n = 0;
			}
			links[n++] = l->ifs[i].links[d];
			l->ifs[i].links[d] = NULL;
		}
	pl_link__destroy_all(links, n);
	l->attached = false;
}

static struct bpf_program *prog_named(struct pl_live *l, const char *kind, int k)
{
	char name[32];

	snprintf(name, sizeof(name), "pktlua_%s_%d", kind, k);
	return bpf_object__find_program_by_name(l->obj, name);
}

int pl_live__attach(struct pl_live *l, char *err, size_t errlen)
{
	size_t len = 0;
	int rc = 0;

	l->desc[0] = 0;
	for (size_t i = 0; i < l->nifs && !rc; i++) {
		struct iface *f = &l->ifs[i];
		struct pl_attach_opts ao = { .iface = f->name };

		if (l->xdp) {
			ao.mode = l->xdp_mode;
			rc = pl_attach(prog_named(l, "xdp", f->filter), &ao, &f->links[0], err, errlen);
		} else {
			if (l->dirs & PL_LIVE_IN) {
				/* First at ingress: see the frame before other tc
				 * programs change it, as the packet socket does. */
				ao.direction = "ingress";
				ao.first = true;
				rc = pl_attach(prog_named(l, "in", f->filter), &ao, &f->links[0], err,
					       errlen);
			}
			/* Loopback: every packet passes egress, then ingress;
			 * libpcap skips the outgoing copy ("they'd show up
			 * twice"), and so does this. */
			if (!rc && (l->dirs & PL_LIVE_OUT) && !f->loopback) {
				/* Last at egress: after the others, as the packet
				 * socket sees it (it taps after tc). */
				ao.direction = "egress";
				ao.first = false;
				rc = pl_attach(prog_named(l, "out", f->filter), &ao, &f->links[1], err,
					       errlen);
			}
		}
		if (!rc)
			len += (size_t)snprintf(l->desc + len, len < sizeof(l->desc) ? sizeof(l->desc) - len : 0,
						"%s%s (%s%s)", i ? ", " : "", f->name,
						l->xdp ? "xdp " : "tc ",
						l->xdp ? l->xdp_mode :
						f->loopback ? (l->dirs & PL_LIVE_IN ? "in" : "nothing: loopback") :
						l->dirs == (PL_LIVE_IN | PL_LIVE_OUT) ? "in+out" :
						l->dirs & PL_LIVE_IN ? "in" : "out");
	}
	l->attached = true;
	/* An interface removed just before its attach is refused by the
	 * kernel; one removed just after is caught here or by netlink. */
	if (!rc) {
		check_all(l);
		if (l->vanished >= 0)
			rc = fail(err, errlen, -ENODEV, "interface '%s' went away",
				  l->ifs[l->vanished].name);
	}
	if (rc)
		detach_all(l);
	return rc;
}

const char *pl_live__describe(const struct pl_live *l)
{
	return l->desc;
}

void pl_live__post_signal(struct pl_live *l, int sig)
{
	if (l && l->loop)
		pl_loop__post_signal(l->loop, sig);
}

int pl_live__run(struct pl_live *l, pl_live_fn fn, void *ctx, int *signal, char *err,
		 size_t errlen)
{
	enum pl_loop_end end;
	int rc = 0;

	*signal = 0;
	l->fn = fn;
	l->ctx = ctx;
	l->clock_off = clock_offset();
	if (l->vanished < 0 && !l->stopping) {
		end = pl_loop__run(l->loop, -1);
		if (end == PL_LOOP_SIGNAL)
			*signal = pl_loop__signal(l->loop);
		else if (end == PL_LOOP_ERROR)
			rc = fail(err, errlen, -errno, "event loop: %s", strerror(errno));
	}
	/* No new matches after this; then what is in the ring is handed out,
	 * so that each match is either captured or counted as dropped. */
	detach_all(l);
	while (!l->stopping && pl_events__drain(l->ev) > 0)
		;
	if (l->vanished >= 0 && !rc)
		rc = fail(err, errlen, -ENODEV, "interface '%s' went away", l->ifs[l->vanished].name);
	if (l->bad_records)
		pl_log(PL_LOG_WARN, "%llu malformed capture records skipped",
		       (unsigned long long)l->bad_records);
	return rc;
}

void pl_live__stats(const struct pl_live *l, struct pl_live_stats *st)
{
	st->captured = l->captured;
	st->dropped = l->buf ? pl_evbuf__lost(l->buf) : 0;
}

void pl_live__close(struct pl_live *l)
{
	if (!l)
		return;
	if (l->ifs)
		detach_all(l);
	pl_events__free(l->ev);
	pl_loop__free(l->loop);
	bpf_object__close(l->obj);
	if (l->nl_fd >= 0)
		close(l->nl_fd);
	free(l->ifs);
	free(l);
}
