/* lua_main.h — one pktlua run as the command line asks for it.
 *
 * Plain C (no lua.h): the command line (cli/) calls in here and knows
 * nothing of Lua. */
#ifndef PKTLUA_LUA_MAIN_H
#define PKTLUA_LUA_MAIN_H

#include <stdbool.h>

/* What the command line asks of the Lua side. */
struct pl_cli {
	const char *script;    /* NULL with -e or -i */
	const char *code;      /* -e CODE */
	int script_argc;       /* arguments after the script: arg[1..n] */
	char **script_argv;
	char **argv;           /* the whole command line, for arg[negative] */
	int argc;
	int script_index;      /* index of the script in argv (arg[0]) */
	bool interactive;      /* -i: a prompt after the script or CODE, if any */
	bool json;             /* --json: require("pktlua").output = "json" */
	const char *pcap;      /* --pcap FILE: packet programs read the capture */
	bool tool;             /* -t: SCRIPT names a bundled tool (base/tools.h) */
	bool drop_caps;        /* --drop-caps: drop every capability at the first bpf.run() */
	const char *metrics;   /* --metrics ADDR: serve the run's metrics there */
};

/* Run the script of CLI in a fresh Lua state; returns the process exit status. */
int pl_lua_main(const struct pl_cli *cli);

#endif
