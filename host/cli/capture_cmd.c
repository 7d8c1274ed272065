/* capture_cmd.c — live capture from the command line (see capture_cmd.h).
 *
 * Order, so that a failure leaves nothing behind: compile and load (the
 * expression and the interfaces are checked), create the output (a
 * temporary file next to OUT), attach, capture; then detach, hand out what
 * the ring still holds, finish the file and rename it into place. A SIGINT
 * or SIGTERM that comes before the capture starts ends it as soon as it
 * does, cleanly. */
#include "cli/capture_cmd.h"

#include "base/interrupt.h"
#include "base/log.h"
#include "packets/capture_file.h"
#include "packets/live.h"
#include "packets/pkt_line.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

struct run {
	const struct pl_capture_args *a;
	struct pl_capture_file *file;
	uint64_t n;
	int werr;                /* first write error */
};

static int on_packet(void *ctx, const struct pl_live_pkt *p)
{
	struct run *r = ctx;

	if (r->file) {
		int rc = pl_capture_file__write(r->file, p->iface, p->dir, p->ts_ns, p->data,
						p->caplen, p->len);
		if (rc) {
			r->werr = -rc;
			return 1;
		}
	} else {
		char line[1024], t[32];

		pl_pkt_line(line, sizeof(line), p->data, p->caplen, p->len);
		pl_pkt_time(t, sizeof(t), p->ts_ns);
		if (r->a->n_ifaces > 1)
			printf("%s %s %-3s %s\n", t, r->a->ifaces[p->iface],
			       p->dir == PL_LIVE_OUT ? "Out" : "In", line);
		else
			printf("%s %s\n", t, line);
	}
	return ++r->n >= r->a->count && r->a->count;
}

/* SIGINT/SIGTERM: the first ends the capture (a compile under way stops at
 * once: pl_interrupt_set); later ones are ignored while it finishes —
 * detaching, handing out the ring, completing the file takes a moment, and
 * cut short it would leave the file half done. */
static struct pl_live *volatile signal_live;
static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	if (got_signal)
		return;
	got_signal = sig;
	pl_interrupt_set(sig);
	if (signal_live)
		pl_live__post_signal(signal_live, sig);
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int pl_cli_capture(const struct pl_capture_args *a)
{
	struct pl_live_opts lo = {
		.expr = a->expr, .ifaces = a->ifaces, .n_ifaces = a->n_ifaces,
		.snaplen = a->snaplen, .dirs = a->dirs, .xdp = a->xdp, .foreign = a->foreign,
		.ring_bytes = a->ring_kib * 1024,
	};
	struct run r = { .a = a };
	struct pl_live_stats st;
	struct pl_live *l;
	char err[1024] = "";
	int sig = 0, rc, status = 0;

	catch_signals();
	l = pl_live__open(&lo, err, sizeof(err));
	if (!l) {
		if (got_signal)
			return 128 + got_signal;   /* Ctrl-C before anything began */
		pl_log(PL_LOG_ERROR, "%s", err);
		return 1;
	}
	signal_live = l;
	if (got_signal)
		pl_live__post_signal(l, got_signal);
	if (a->out) {
		struct pl_capture_file_opts fo = {
			.pcapng = a->pcapng, .snaplen = a->snaplen ? a->snaplen : PL_LIVE_SNAPLEN_MAX,
		};
		r.file = pl_capture_file__open(a->out, &fo, err, sizeof(err));
		for (size_t i = 0; r.file && i < a->n_ifaces; i++)
			if ((rc = pl_capture_file__add_iface(r.file, a->ifaces[i]))) {
				snprintf(err, sizeof(err), "%s: cannot write: %s", a->out, strerror(-rc));
				pl_capture_file__close(r.file, false, NULL, 0);
				r.file = NULL;
			}
		if (!r.file) {
			pl_log(PL_LOG_ERROR, "%s", err);
			signal_live = NULL;
			pl_live__close(l);
			return 1;
		}
	} else if (a->line_buffered) {
		setvbuf(stdout, NULL, _IOLBF, 0);
	}
	rc = pl_live__attach(l, err, sizeof(err));
	if (rc) {
		pl_log(PL_LOG_ERROR, "%s", err);
		pl_capture_file__close(r.file, false, NULL, 0);
		signal_live = NULL;
		pl_live__close(l);
		return 1;
	}
	fprintf(stderr, "listening on %s, link-type EN10MB (Ethernet), snapshot length %u bytes\n",
		pl_live__describe(l), a->snaplen ? a->snaplen : PL_LIVE_SNAPLEN_MAX);
	fflush(stderr);

	rc = pl_live__run(l, on_packet, &r, &sig, err, sizeof(err));
	pl_live__stats(l, &st);
	signal_live = NULL;
	pl_live__close(l);   /* detached already; unload */
	fflush(stdout);
	if (rc) {
		/* An interface went away: what was captured is kept, whole. */
		pl_log(PL_LOG_ERROR, "%s", err);
		status = 1;
	}
	if (r.werr) {
		pl_log(PL_LOG_ERROR, "%s: cannot write: %s", a->out, strerror(r.werr));
		status = 1;
	}
	if (r.file) {
		char cerr[512];
		if (pl_capture_file__close(r.file, !r.werr, cerr, sizeof(cerr))) {
			pl_log(PL_LOG_ERROR, "%s", cerr);
			status = 1;
		}
	}
	fprintf(stderr, "%llu packet%s captured, %llu dropped (ring full)\n",
		(unsigned long long)r.n, r.n == 1 ? "" : "s", (unsigned long long)st.dropped);
	(void)sig;
	return status;
}
