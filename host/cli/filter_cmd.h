/* filter_cmd.h — the one-liners that run no script: `pktlua --filter EXPR
 * --pcap FILE [-w OUT]` and `pktlua --filter-c EXPR [--pcap FILE]`. */
#ifndef PKTLUA_FILTER_CMD_H
#define PKTLUA_FILTER_CMD_H

#include <stdbool.h>

/* Whether the command line asks for a one-liner: --filter, --filter-c or
 * -w among its options (before a script name or "--"). */
bool pl_cli_is_filter(int argc, char **argv);

/* Parse the whole command line for a one-liner and run it; returns the exit
 * status (2 for a mistake on the command line). */
int pl_cli_filter_main(int argc, char **argv);

#endif
