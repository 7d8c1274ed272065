/* filter_cmd.c — the one-liners that run no script (see filter_cmd.h). */
#include "cli/filter_cmd.h"

#include "base/log.h"
#include "cli/capture_cmd.h"
#include "compile/cache.h"
#include "packets/filter_run.h"
#include "packets/capture_file.h"
#include "packets/live.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Options that take a value (the next argument). */
static bool takes_value(const char *a)
{
	static const char *const opts[] = {
		"--filter", "--filter-c", "-w", "--pcap", "-e", "--metrics", "-i", "-c", "-s", "-Q", "-B",
		NULL,
	};

	for (int i = 0; opts[i]; i++)
		if (!strcmp(a, opts[i]))
			return true;
	return false;
}

bool pl_cli_is_filter(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] != '-' || !strcmp(a, "-") || !strcmp(a, "--") || !strcmp(a, "-h") ||
		    !strcmp(a, "--help") || !strcmp(a, "-V") || !strcmp(a, "--version"))
			return false;   /* a script, or what main() answers itself */
		if (!strcmp(a, "--filter") || !strcmp(a, "--filter-c") || !strcmp(a, "-w"))
			return true;
		/* -i alone is the prompt (then a script may follow); with
		 * --filter it names an interface: look past it either way. */
		if (!strcmp(a, "-i") ? i + 1 < argc && argv[i + 1][0] != '-' : takes_value(a))
			i++;
	}
	return false;
}

static int stdout_errno;   /* why a flush of stdout failed */

static void flush_stdout(void)
{
	errno = 0;
	if ((fflush(stdout) || ferror(stdout)) && !stdout_errno)
		stdout_errno = errno ? errno : EIO;
}

/* --filter and --filter-c: the count or the C on stdout must arrive. */
static int stdout_status(int rc)
{
	flush_stdout();
	if (!stdout_errno || stdout_errno == EPIPE)
		return rc;
	pl_log(PL_LOG_ERROR, "cannot write to stdout: %s", strerror(stdout_errno));
	return rc ? rc : 1;
}

/* --filter: the count on stdout, details at -v, problems on stderr. A cut
 * file or packets that could not be run still print the count of what was
 * read, then the error (status 1). */
static int filter_main(const char *expr, const char *file, const char *out)
{
	struct pl_filter_run_opts opts = { .out = out };
	struct pl_filter_run_result res;
	char err[1024] = "";
	int rc;

	rc = pl_filter_run(expr, file, &opts, &res, err, sizeof(err));
	if (rc && rc != -EIO) {
		pl_log(PL_LOG_ERROR, "%s", err);
		return 1;
	}
	printf("%llu packet%s matched\n", (unsigned long long)res.matched,
	       res.matched == 1 ? "" : "s");
	flush_stdout();
	pl_log(PL_LOG_INFO, "%s: %llu packets read, %llu matched, in %llu batches, %llu not run; "
	       "setup %.1f ms, run %.1f ms (%.0f packets/s)", file,
	       (unsigned long long)res.packets, (unsigned long long)res.matched,
	       (unsigned long long)res.batches,
	       (unsigned long long)res.errors, res.setup_ns / 1e6, res.run_ns / 1e6,
	       res.run_ns ? res.packets * 1e9 / res.run_ns : 0.0);
	if (rc) {
		pl_log(PL_LOG_ERROR, "%s", err);
		return 1;
	}
	return 0;
}

static int filter_c_main(const char *expr, const char *file)
{
	char err[1024] = "";
	char *c = pl_filter_run_c(expr, file, err, sizeof(err));

	if (!c) {
		pl_log(PL_LOG_ERROR, "%s", err);
		return 1;
	}
	fputs(c, stdout);
	free(c);
	return 0;
}

/* A whole decimal number in 1..MAX, or -1. */
static long long number(const char *s, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > max)
		return -1;
	return v;
}

#define MAX_IFACES 64

int pl_cli_filter_main(int argc, char **argv)
{
	const char *ifaces[MAX_IFACES];
	struct pl_capture_args cap = { .ifaces = ifaces };
	const char *live_only = NULL;   /* an option only live capture takes */
	const char *filter = NULL, *filter_c = NULL, *out = NULL, *pcap = NULL;
	const char *other = NULL;       /* an option that does not go with them */
	bool cache = true;
	int verbose = 0, i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] != '-' || !strcmp(a, "-"))
			break;
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[1] == 'v' && strspn(a + 1, "v") == strlen(a + 1)) {
			verbose += (int)strlen(a + 1);
			continue;
		}
		if (!strcmp(a, "--no-cache")) {
			cache = false;
			continue;
		}
		if (!strcmp(a, "--json") || !strcmp(a, "-t") || !strcmp(a, "--drop-caps")) {
			other = other ? other : a;
			continue;
		}
		if (!strcmp(a, "--xdp") || !strcmp(a, "--pcapng") || !strcmp(a, "-l") ||
		    !strcmp(a, "-f")) {
			if (a[1] == 'f')
				cap.foreign = true;   /* tcpdump -f: the netmask */
			else if (a[2] == 'x')
				cap.xdp = true;
			else if (a[2] == 'p')
				cap.pcapng = true;
			else
				cap.line_buffered = true;
			live_only = live_only ? live_only : a;
			continue;
		}
		if (!strcmp(a, "-n"))   /* tcpdump habit: output is numeric anyway */
			continue;
		if (takes_value(a)) {
			if (i + 1 >= argc) {
				pl_log(PL_LOG_ERROR, "%s needs an argument (%s)", a,
				       !strcmp(a, "-w") ? "an output file" :
				       !strcmp(a, "--pcap") ? "a capture file" :
				       !strcmp(a, "-e") ? "Lua code" : !strcmp(a, "-i") ? "an interface" :
				       !strcmp(a, "-Q") ? "in, out or inout" :
				       !strcmp(a, "-c") ? "a count" : !strcmp(a, "-s") ? "a snap length" :
				       !strcmp(a, "-B") ? "a size in KiB" :
				       !strcmp(a, "--metrics") ? "an address" : "a tcpdump expression");
				return 2;
			}
			const char *v = argv[++i];
			if (!strcmp(a, "--filter"))
				filter = v;
			else if (!strcmp(a, "--filter-c"))
				filter_c = v;
			else if (!strcmp(a, "-w"))
				out = v;
			else if (!strcmp(a, "--pcap"))
				pcap = v;
			else if (!strcmp(a, "-e") || !strcmp(a, "--metrics"))
				other = other ? other : a;
			else if (!strcmp(a, "-i")) {
				if (cap.n_ifaces == MAX_IFACES) {
					pl_log(PL_LOG_ERROR, "-i: at most %d interfaces", MAX_IFACES);
					return 2;
				}
				ifaces[cap.n_ifaces++] = v;
			} else {
				long long n;

				live_only = live_only ? live_only : a;
				switch (a[1]) {
				case 'c':
					if ((n = number(v, (long long)1 << 62)) < 0) {
						pl_log(PL_LOG_ERROR, "-c %s: want a count of packets, 1 or more", v);
						return 2;
					}
					cap.count = (uint64_t)n;
					break;
				case 's':
					/* tcpdump: -s 0 is the largest, 262144. */
					if (strcmp(v, "0") && (n = number(v, PL_LIVE_SNAPLEN_MAX)) < 0) {
						pl_log(PL_LOG_ERROR, "-s %s: want a snap length of 0..%u bytes "
						       "(0: %u)", v, PL_LIVE_SNAPLEN_MAX, PL_LIVE_SNAPLEN_MAX);
						return 2;
					}
					cap.snaplen = strcmp(v, "0") ? (uint32_t)n : 0;
					break;
				case 'B':
					if ((n = number(v, 1 << 20)) < 0) {
						pl_log(PL_LOG_ERROR, "-B %s: want a ring buffer size in KiB, "
						       "1..1048576", v);
						return 2;
					}
					cap.ring_kib = (size_t)n;
					break;
				case 'Q':
					if (!strcmp(v, "in"))
						cap.dirs = PL_LIVE_IN;
					else if (!strcmp(v, "out"))
						cap.dirs = PL_LIVE_OUT;
					else if (!strcmp(v, "inout"))
						cap.dirs = PL_LIVE_IN | PL_LIVE_OUT;
					else {
						pl_log(PL_LOG_ERROR, "-Q %s: want in, out or inout", v);
						return 2;
					}
					break;
				}
			}
			continue;
		}
		pl_log(PL_LOG_ERROR, "unknown option '%s' (try --help)", a);
		return 2;
	}
	pl_log_set_level(verbose >= 2 ? PL_LOG_DEBUG : verbose ? PL_LOG_INFO : PL_LOG_WARN);
	pl_cache_set_enabled(cache);

	/* --filter and --filter-c run no script: nothing else may be asked for. */
	const char *what = filter ? "--filter" : filter_c ? "--filter-c" : NULL;
	if (!what) {
		pl_log(PL_LOG_ERROR, "-w needs --filter (-w OUT writes the packets it matches)");
		return 2;
	}
	if (filter && filter_c) {
		pl_log(PL_LOG_ERROR, "--filter and --filter-c do not go together");
		return 2;
	}
	if (i < argc || other) {
		pl_log(PL_LOG_ERROR, "%s runs no script: '%s' does not go with it", what,
		       i < argc ? argv[i] : other);
		return 2;
	}
	if (filter_c && out) {
		pl_log(PL_LOG_ERROR, "-w goes with --filter, not --filter-c");
		return 2;
	}
	if (filter && cap.n_ifaces) {
		if (pcap) {
			pl_log(PL_LOG_ERROR, "--filter takes -i IFACE (live) or --pcap FILE, not both");
			return 2;
		}
		if (cap.pcapng && !out) {
			pl_log(PL_LOG_ERROR, "--pcapng goes with -w FILE");
			return 2;
		}
		if (cap.xdp && cap.dirs & PL_LIVE_OUT) {
			pl_log(PL_LOG_ERROR, "--xdp sees incoming packets only: -Q %s does not go with it",
			       cap.dirs & PL_LIVE_IN ? "inout" : "out");
			return 2;
		}
		cap.expr = filter;
		cap.out = out;
		cap.pcapng = cap.pcapng || (out && pl_capture_file_is_pcapng(out));
		pl_log_route_libbpf();
		return pl_cli_capture(&cap);
	}
	if (live_only) {
		pl_log(PL_LOG_ERROR, "%s goes with --filter EXPR -i IFACE (live capture)", live_only);
		return 2;
	}
	if (filter && !pcap) {
		pl_log(PL_LOG_ERROR, "--filter needs --pcap FILE (the capture to filter) or -i IFACE (live)");
		return 2;
	}
	if (out && !strcmp(out, "-")) {
		pl_log(PL_LOG_ERROR, "-w -: stdout carries the count; name a file");
		return 2;
	}
	pl_log_route_libbpf();
	return stdout_status(filter ? filter_main(filter, pcap, out) : filter_c_main(filter_c, pcap));
}
