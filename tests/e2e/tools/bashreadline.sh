#!/usr/bin/env bash
# bashreadline prints the lines typed into an interactive bash (on a pty
# that script(1) gives it), exactly, with the shell's PID.
. tests/e2e/tools/lib.sh
command -v script >/dev/null || { echo "SKIPPED: script(1) (util-linux) is needed for a pty"; exit 77; }
tool_start bashreadline
tool_wait '^TIME +PID +COMMAND$'
printf 'echo pl_readline_%s "a  b"\necho $$ >%s\nexit\n' $$ "$TOOL_DIR/bashpid" |
	script -qfc "bash --norc --noprofile -i" /dev/null >/dev/null 2>&1
tool_stop
bp=$(tr -d '\r' <"$TOOL_DIR/bashpid")
check "the first line, exactly, by that bash ($bp)" has "^[0-9:]{8} +$bp +echo pl_readline_$$ \"a  b\"$"
check "the exit line" has "^[0-9:]{8} +$bp +exit$"
tool_done "bashreadline"
