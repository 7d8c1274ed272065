#!/usr/bin/env bash
# gethostlatency times the getaddrinfo() of a test process and names the
# host it asked for.
. tests/e2e/tools/lib.sh
host=127.$((($$ >> 8) & 255)).$(($$ & 255)).7
target_start getent ahosts "$host"
tool_start gethostlatency -p "$TARGET_PID"
tool_wait '^TIME +PID +COMM +LATms +HOST$'
target_go; target_wait
getent ahosts 127.0.0.9 >/dev/null
tool_stop
check "getent's lookup of $host" has "^[0-9:]{8} $TARGET_PID +getent +[0-9]+\.[0-9]{3} +$host$"
check "-p: nothing else" test "$(grep -c . "$TOOL_OUT")" = 2
tool_done "gethostlatency"
