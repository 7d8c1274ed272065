/* main.c — the pktlua command line. */
#include "base/log.h"
#include "probes/probes.h"
#include "base/tools.h"
#include "compile/cache.h"
#include "lua/lua_main.h"
#include "cli/filter_cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"usage: pktlua [options] script.lua [args...]\n"
	"       pktlua [options] -e CODE\n"
	"       pktlua [options] -i [script.lua [args...]]\n"
	"       pktlua [-v] [--no-cache] --filter EXPR --pcap FILE [-w OUT]\n"
	"       pktlua [-v] --filter EXPR -i IFACE [-i IFACE...] [-w FILE] [-c COUNT]\n"
	"              [-s SNAPLEN] [-Q in|out|inout] [--xdp] [--pcapng] [-B KiB] [-l] [-f]\n"
	"       pktlua --filter-c EXPR [--pcap FILE]\n"
	"       pktlua [options] -t [NAME [args...]]\n"
	"       pktlua -l [PATTERN] | -lv PROBE\n"
	"\n"
	"Runs a Lua script that carries C BPF snippets: each snippet is compiled\n"
	"in-process, checked by the kernel verifier, loaded and attached; its maps\n"
	"read and write as Lua tables.\n"
	"\n"
	"options:\n"
	"  -e CODE        run CODE instead of a script file\n"
	"  -i             interactive prompt (after the script or CODE, if any);\n"
	"                 with --filter, -i IFACE names an interface\n"
	"  -t [NAME]      run the bundled tool NAME (execsnoop, opensnoop, ...) with\n"
	"                 the arguments after it (NAME -h: its usage); alone, list\n"
	"                 the tools\n"
	"  -l [PATTERN]   list probes in SEC() spelling (tracepoint/CAT/NAME, raw_tp/,\n"
	"                 tp_btf/, perf_event/; 'uprobe/PATH:GLOB', 'usdt/PATH:GLOB'):\n"
	"                 PATTERN is a glob, or a word the names contain\n"
	"  -lv PROBE      PROBE's arguments (a glob: each match's)\n"
	"  --pcap FILE    packet programs (XDP, tc, socket filter) the script attaches\n"
	"                 to an interface read FILE instead: bpf.run() replays it\n"
	"                 through them and returns \"eof\"\n"
	"  --filter EXPR  no script: count the packets of --pcap FILE that the tcpdump\n"
	"                 expression EXPR matches, compiled for the file's link type\n"
	"                 and run in BPF; the last line of stdout is \"N packets\n"
	"                 matched\"\n"
	"  -w OUT         with --filter: also write the matching packets to OUT (pcap)\n"
	"  --filter EXPR -i IFACE  live capture, tcpdump's way: EXPR runs in the kernel\n"
	"                 (tc, or XDP with --xdp); without -w, one line per packet as\n"
	"                 tcpdump -n prints it; at the end \"N packets captured, M\n"
	"                 dropped (ring full)\" on stderr. -i again for more\n"
	"                 interfaces; -w FILE (pcap; .pcapng or --pcapng: pcapng with\n"
	"                 interfaces and directions; -: stdout), -c COUNT, -s SNAPLEN\n"
	"                 (default 262144), -Q in|out|inout (default inout; XDP: in),\n"
	"                 -B KiB ring buffer (default 4096), -l line-buffered output,\n"
	"                 -f the interface's netmask for `ip broadcast`, as tcpdump -f\n"
	"  --filter-c EXPR  print the C that EXPR becomes (for Ethernet, or for the\n"
	"                 link type of --pcap FILE) and exit\n"
	"  --metrics ADDR serve the script's metrics (require \"pktlua.metrics\") on\n"
	"                 http://ADDR/metrics while its loop runs: HOST:PORT, [IPV6]:PORT,\n"
	"                 :PORT (every address) or PORT (127.0.0.1)\n"
	"  --json         output = \"json\": pktlua.hist and friends print JSON lines\n"
	"  --drop-caps    drop every capability right before the script's first\n"
	"                 bpf.run(), as bpf.drop_caps() does: what is loaded and\n"
	"                 attached keeps working, nothing more can be\n"
	"  --no-cache     compile every snippet afresh: neither read nor write the\n"
	"                 compile cache ($PKTLUA_CACHE_DIR, else $XDG_CACHE_HOME/pktlua,\n"
	"                 else ~/.cache/pktlua)\n"
	"  -v             more detail: libbpf messages, full verifier logs on\n"
	"                 rejection, tracebacks, compile cache hits and misses\n"
	"                 (-vv: every verifier log, compile times)\n"
	"  -h, --help     this text\n"
	"  -V, --version  print the version\n"
	"  --             end of options\n"
	"\n"
	"The script gets its arguments in 'arg' (arg[0] is the script), as with lua.\n"
	"Lua API: local bpf = require \"pktlua\"; see README.md.\n";

/* Started with stdin, stdout or stderr closed (>&-): the next file we open
 * would get that number, and print() would write into it (a capture, a
 * cache entry). Hold the number with /dev/null opened the wrong way round,
 * so using it fails (EBADF) as it would have: output lost is reported. */
static void hold_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		int n = open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY);
		if (n >= 0 && n != fd) {
			dup2(n, fd);
			close(n);
		}
	}
}

/* -t alone: "NAME  purpose", one tool a line. */
static int tools_list(void)
{
	struct pl_tool *t = NULL;
	int n = pl_tools__list(&t), width = 0;

	if (n < 0) {
		pl_log(PL_LOG_ERROR, "cannot list the tools: %s", strerror(-n));
		return 1;
	}
	for (int i = 0; i < n; i++)
		if ((int)strlen(t[i].name) > width)
			width = (int)strlen(t[i].name);
	for (int i = 0; i < n; i++)
		printf("%-*s  %s\n", width, t[i].name, t[i].summary);
	free(t);
	return 0;
}

/* -l [PATTERN], -lv PROBE: a big stdout buffer, the count only on errors. */
static int list_main(const char *pattern, bool verbose)
{
	static char buf[1 << 20];
	struct pl_probes_opts opts = { .verbose = verbose };

	setvbuf(stdout, buf, _IOFBF, sizeof(buf));
	int n = pl_probes_list(pattern, &opts, stdout);
	fflush(stdout);
	if (n < 0)
		return 1;
	if (verbose && !n && pattern && !strpbrk(pattern, "*?[")) {
		pl_log(PL_LOG_ERROR, "no probe '%s' (pktlua -l '%s*' lists the names that start so)",
		       pattern, pattern);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct pl_cli cli = { .argc = argc, .argv = argv };
	bool cache = true;
	int verbose = 0, i;

	hold_std_fds();
	/* --filter, --filter-c, -w: one-liners that run no script. */
	if (pl_cli_is_filter(argc, argv))
		return pl_cli_filter_main(argc, argv);

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] != '-' || !strcmp(a, "-"))
			break;
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			return 0;
		}
		if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			printf("pktlua %s\n", PKTLUA_VERSION);
			return 0;
		}
		if (!strcmp(a, "-l") || !strcmp(a, "-lv")) {
			bool v = a[2] == 'v';
			const char *pattern = i + 1 < argc ? argv[i + 1] : NULL;
			if (v && !pattern) {
				pl_log(PL_LOG_ERROR, "-lv needs a probe (pktlua -lv tracepoint/syscalls/sys_enter_openat)");
				return 2;
			}
			if (pattern && i + 2 < argc) {
				pl_log(PL_LOG_ERROR, "%s takes one pattern, got '%s' after it", a, argv[i + 2]);
				return 2;
			}
			pl_log_set_level(verbose >= 2 ? PL_LOG_DEBUG : verbose ? PL_LOG_INFO : PL_LOG_WARN);
			pl_log_route_libbpf();
			return list_main(pattern, v);
		}
		if (a[1] == 'v' && strspn(a + 1, "v") == strlen(a + 1)) {
			verbose += (int)strlen(a + 1);
			continue;
		}
		if (!strcmp(a, "-i")) {
			cli.interactive = true;
			continue;
		}
		if (!strcmp(a, "-t")) {
			cli.tool = true;
			continue;
		}
		if (!strcmp(a, "--json")) {
			cli.json = true;
			continue;
		}
		if (!strcmp(a, "--drop-caps")) {
			cli.drop_caps = true;
			continue;
		}
		if (!strcmp(a, "--no-cache")) {
			cache = false;
			continue;
		}
		if (!strcmp(a, "--metrics")) {
			if (i + 1 >= argc) {
				pl_log(PL_LOG_ERROR, "--metrics needs an argument (an address: "
				       "127.0.0.1:9435, :9435, 9435)");
				return 2;
			}
			cli.metrics = argv[++i];
			continue;
		}
		if (!strcmp(a, "--pcap")) {
			if (i + 1 >= argc) {
				pl_log(PL_LOG_ERROR, "--pcap needs an argument (a capture file)");
				return 2;
			}
			cli.pcap = argv[++i];
			continue;
		}
		if (!strcmp(a, "-e")) {
			if (i + 1 >= argc) {
				pl_log(PL_LOG_ERROR, "-e needs an argument (Lua code)");
				return 2;
			}
			cli.code = argv[++i];
			continue;
		}
		pl_log(PL_LOG_ERROR, "unknown option '%s' (try --help)", a);
		return 2;
	}
	pl_log_set_level(verbose >= 2 ? PL_LOG_DEBUG : verbose ? PL_LOG_INFO : PL_LOG_WARN);
	pl_cache_set_enabled(cache);
	if (cli.tool) {
		if (cli.code || cli.interactive) {
			pl_log(PL_LOG_ERROR, "-t runs a tool: '%s' does not go with it",
			       cli.code ? "-e" : "-i");
			return 2;
		}
		if (i >= argc)
			return tools_list();
	}
	if (!cli.code && !(cli.interactive && i >= argc)) {
		if (i >= argc) {
			fputs(usage, stderr);
			return 2;
		}
		cli.script = argv[i];
	}
	/* arg[0] is the script (or the last option with -e). */
	cli.script_index = cli.script ? i : i - 1;
	cli.script_argv = argv + cli.script_index + 1;
	cli.script_argc = argc - cli.script_index - 1;

	pl_log_route_libbpf();
	return pl_lua_main(&cli);
}
