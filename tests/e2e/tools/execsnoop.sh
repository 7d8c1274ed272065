#!/usr/bin/env bash
# execsnoop sees the exact argv, PID, PPID and status of the execs this test
# makes; -u (a load-time global) keeps only one user's; -x adds failed ones.
. tests/e2e/tools/lib.sh
tag=pl_exec_$$
tool_start execsnoop -q -U
tool_wait '^UID +PCOMM +PID +PPID +RET ARGS$'
sh -c "echo \$\$ >$TOOL_DIR/pid; exec /bin/echo $tag 'a b' c" >/dev/null
sh -c "exec /nonexistent/${tag}_fail x" 2>/dev/null
tool_stop
pid=$(cat "$TOOL_DIR/pid")
check "the echo: comm, pid, ppid, ret, quoted argv" \
	has "^0 +echo +$pid +$$ +0 \"/bin/echo\" \"$tag\" \"a b\" \"c\"$"
check "no failed exec without -x" hasnt " \"/nonexistent/${tag}_fail\" \"x\"$"

# JSON, -u 65534 and -x: only nobody's execs, failed ones included.
tool_start execsnoop --json -x -u 65534
tool_wait 'execsnoop: tracing' "$TOOL_ERR"
/bin/true "${tag}_root"
setpriv --reuid=65534 --regid=65534 --clear-groups /bin/true "${tag}_nobody"
setpriv --reuid=65534 --regid=65534 --clear-groups "/nonexistent/${tag}_fail" 2>/dev/null
tool_stop
check "JSON: nobody's exec with its argv" \
	test "$(jq -c "select(.args[1] == \"${tag}_nobody\") | [.uid, .comm, .ret, .args]" "$TOOL_OUT")" = \
	"[65534,\"true\",0,[\"/bin/true\",\"${tag}_nobody\"]]"
check "JSON: nobody's failed exec with -x (ENOENT)" \
	test "$(jq -c "select(.args[0] == \"/nonexistent/${tag}_fail\") | [.uid, .ret]" "$TOOL_OUT")" = "[65534,-2]"
check "-u filters root's exec out" hasnt "${tag}_root"
check "every line is JSON" jq -e . "$TOOL_OUT" >/dev/null
tool_done "execsnoop"
