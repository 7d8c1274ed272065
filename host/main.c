/* main.c — the pktlua command line. */
#include "log.h"
#include "lua_host.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
	"usage: pktlua [options] script.lua [args...]\n"
	"       pktlua [options] -e CODE\n"
	"       pktlua [options] -i [script.lua [args...]]\n"
	"\n"
	"Runs a Lua script that carries C BPF snippets: each snippet is compiled\n"
	"in-process, checked by the kernel verifier, loaded and attached; its maps\n"
	"read and write as Lua tables.\n"
	"\n"
	"options:\n"
	"  -e CODE        run CODE instead of a script file\n"
	"  -i             interactive prompt (after the script or CODE, if any)\n"
	"  --pcap FILE    packet programs (XDP, tc, socket filter) the script attaches\n"
	"                 to an interface read FILE instead: bpf.run() replays it\n"
	"                 through them and returns \"eof\"\n"
	"  --json         output = \"json\": pktlua.hist and friends print JSON lines\n"
	"  -v             more detail: libbpf messages, full verifier logs on\n"
	"                 rejection, tracebacks (-vv: every verifier log)\n"
	"  -h, --help     this text\n"
	"  -V, --version  print the version\n"
	"  --             end of options\n"
	"\n"
	"The script gets its arguments in 'arg' (arg[0] is the script), as with lua.\n"
	"Lua API: local bpf = require \"pktlua\"; see README.md.\n";

int main(int argc, char **argv)
{
	struct pl_cli cli = { .argc = argc, .argv = argv };
	int verbose = 0, i;

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
		if (a[1] == 'v' && strspn(a + 1, "v") == strlen(a + 1)) {
			verbose += (int)strlen(a + 1);
			continue;
		}
		if (!strcmp(a, "-i")) {
			cli.interactive = true;
			continue;
		}
		if (!strcmp(a, "--json")) {
			cli.json = true;
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

	pl_log_set_level(verbose >= 2 ? PL_LOG_DEBUG : verbose ? PL_LOG_INFO : PL_LOG_WARN);
	pl_log_route_libbpf();
	return pl_lua_main(&cli);
}
