#!/usr/bin/env bash
# gen-tool-docs.sh — write docs/tools/NAME.md for every bundled tool: its
# purpose and hooks (from the script's header), its -h text, and sample
# output from a real run on this machine while a small workload runs.
#   tools/gen-tool-docs.sh [NAME...]     (root; BUILD_DIR defaults to build/)
# The sample runs are listed below: tool arguments, then the workload.
set -u
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
pktlua=$build/host/pktlua
target=$build/tests/tools_target
[ -x "$pktlua" ] && [ -x "$target" ] || { echo "gen-tool-docs: build first ($build)" >&2; exit 1; }
mkdir -p docs/tools
tmp=$(mktemp -d /tmp/pl_docs_$$.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# NAME|ARGS|WORKLOAD (shell, run once the tool is up); ARGS "@" alone: the
# tool runs to its own end (a duration, a capture).
samples() {
	cat <<EOF
bashreadline||printf 'echo hello\nls /tmp >/dev/null\nexit\n' | script -qfc "bash --norc --noprofile -i" /dev/null >/dev/null
bindsnoop||$target bind tcp 127.0.0.1 0 reuse >/dev/null; $target bind udp ::1 0 >/dev/null
biolatency|-D 1 2|dd if=/dev/zero of=$tmp/f bs=4k count=200 oflag=direct status=none
biosnoop||dd if=/dev/zero of=$tmp/f bs=4k count=8 oflag=direct status=none
biotop|-C 1 1|dd if=/dev/zero of=$tmp/f bs=8k count=100 oflag=direct status=none
bitesize|-c dd 1 1|dd if=/dev/zero of=$tmp/f bs=16k count=50 oflag=direct status=none; dd if=/dev/zero of=$tmp/f bs=4k count=50 oflag=direct status=none
capable||setpriv --reuid=65534 chown 0 /tmp 2>/dev/null; true
cpudist|-m 1 1|$target spin 300 >/dev/null
dnssnoop|-r samples/mixed.pcap lo|@
drsnoop|-M -d 6|dd if=/dev/zero of=$tmp/big bs=1M count=64 oflag=direct status=none; cg=/sys/fs/cgroup/memory/pl_docs_dr; mkdir -p \$cg; echo 16M >\$cg/memory.limit_in_bytes; sh -c "echo \\\$\\\$ >\$cg/cgroup.procs; exec cat $tmp/big" >/dev/null; rmdir \$cg
execsnoop||ls /tmp >/dev/null; sh -c 'exit 3'; /bin/true hello world
exitsnoop||sh -c 'exit 3'; sleep 5 & sleep 0.2; kill \$!
funccount|-d 2 'c:str*'|ls -la /tmp >/dev/null; ls /etc >/dev/null
funclatency|-u -d 5 $target:pl_tool_fn|$target calls 30 2000
gethostlatency||getent ahosts localhost >/dev/null; getent ahosts 127.0.0.1 >/dev/null
hardirqs|1 1|dd if=/dev/zero of=$tmp/f bs=4k count=50 oflag=direct status=none
killsnoop||sleep 5 & sleep 0.2; kill -TERM \$!; kill -0 999999 2>/dev/null; true
mountsnoop||mkdir -p $tmp/m; unshare -m sh -c "mount -t tmpfs -o size=1m none $tmp/m && umount $tmp/m"
oomkill||cg=/sys/fs/cgroup/memory/pl_docs_oom; mkdir -p \$cg; echo 32M >\$cg/memory.limit_in_bytes; sh -c "echo \\\$\\\$ >\$cg/cgroup.procs; exec $target hog 256"; rmdir \$cg
opensnoop|-n cat|cat /etc/hostname $tmp/missing 2>/dev/null; true
pidpersec|-d 2|for i in 1 2 3 4 5; do /bin/true; done
pkttop|-r samples/mixed.pcap -n 8 lo|@
runqlat|1 1|taskset -c 0 $target spin 400 >/dev/null & taskset -c 0 $target spin 400 >/dev/null; wait
runqslower|-P 5000|taskset -c 0 $target spin 400 >/dev/null & taskset -c 0 $target spin 400 >/dev/null; wait
setuids||setpriv --reuid=65534 -- setpriv --reuid=0 true 2>/dev/null; true
sigsnoop|-n|sleep 5 & sleep 0.2; kill -USR1 \$!
softirqs|1 1|true
statsnoop||stat /etc/hostname $tmp/missing >/dev/null 2>&1; true
syncsnoop||sync
syscount|-d 2 -T 8|ls -R /usr/share/doc >/dev/null 2>&1
tcpaccept||$target serve 127.0.0.1 0 100 >$tmp/port 2>/dev/null & sleep 0.3; $target send 127.0.0.1 \$(cat $tmp/port) 1000 >/dev/null 2>&1; wait
tcpconnect||$target serve 127.0.0.1 0 100 >$tmp/port 2>/dev/null & sleep 0.3; $target send 127.0.0.1 \$(cat $tmp/port) 1000 >/dev/null 2>&1; $target send 127.0.0.1 1 10 >/dev/null 2>&1; wait
tcpdrop||$target send 127.0.0.1 1 10 >/dev/null 2>&1; true
tcplife||$target serve 127.0.0.1 0 30000 >$tmp/port 2>/dev/null & sleep 0.3; $target send 127.0.0.1 \$(cat $tmp/port) 100000 >/dev/null 2>&1; wait
tcpretrans||true
tcpstates||$target serve 127.0.0.1 0 100 >$tmp/port 2>/dev/null & sleep 0.3; $target send 127.0.0.1 \$(cat $tmp/port) 1000 >/dev/null 2>&1; wait
tcpsynrtt|-r samples/mixed.pcap lo|@
threadsnoop||$target threads 3
writeback||dd if=/dev/zero of=$tmp/f bs=64k count=16 status=none; sync -f $tmp/f
stackcount|-U -D 3 $target:pl_tool_fn|$target calls 1000 0
memleak|-p @PID -o 0 2 3|@LEAK
wakeuptime|-p @PID 3|@WAKE
profile|-F 99 -p @PID 3|@SPIN
offcputime|-p @PID 3|@SLEEPS
pktstat|samples/mixed.pcap 0 5|@
pktdump|lo tcp -c 6|$target serve 127.0.0.1 0 100 >$tmp/port 2>/dev/null & sleep 0.3; $target send 127.0.0.1 \$(cat $tmp/port) 1000 >/dev/null 2>&1; wait
exporter|--once 2 -d net,bio|@
EOF
}

doc() {
	local name=$1 args=$2 work=$3 f=scripts/$1.lua
	local purpose
	purpose=$(sed -n "s/^-- $name\.lua — //p" "$f" | head -1)
	{
		echo "# $name"
		echo
		echo "$purpose."
		echo
		# The header's prose: the comment lines after the ci lines.
		awk 'NR > 2 && /^-- ci/ { seen = 1; next } seen && /^--$/ { next } seen && /^-- / { sub(/^-- /, ""); print; next } seen { exit }' "$f"
		echo
		echo '```'
		echo "\$ pktlua -t $name -h"
		"$pktlua" -t "$name" -h
		echo '```'
		if [ -n "$work" ]; then
			echo
			echo "## Sample output"
			echo
			local what=$work
			case $work in
			@LEAK) what="tools_target leak 50 4096 3 (50 allocations of 4096 bytes, all but 3 freed)" ;;
			@WAKE) what="head -c1 FIFO, woken 0.3 s later by a sh writing to the fifo" ;;
			@SPIN) what="tools_target spin 1500 (1.5 s on a CPU)" ;;
			@SLEEPS) what="tools_target sleeps 20 50000 (20 sleeps of 50 ms)" ;;
			esac
			echo "On the project's test machine (Linux $(uname -r), $(nproc) CPUs)$( [ "$what" != @ ] && [ "$what" != true ] && printf ', while running: `%s`' "$(echo "$what" | sed "s|$target|tools_target|g; s|$tmp|/tmp/x|g")"):"
			echo
			echo '```'
			echo "\$ pktlua -t $name $args" | sed 's/ *$//' | sed "s|$target|tools_target|g; s|$tmp|/tmp/x|g; s|@PID|PID|"
			local tpid= gate=$tmp/gate
			if [[ "$args" == *@PID* ]]; then
				# A target that waits on a fifo until the tool is up.
				rm -f "$gate" "$tmp/in" "$tmp/pipe"; mkfifo "$gate" "$tmp/in" "$tmp/pipe"
				exec 8<>"$tmp/in"
				case $work in
				@LEAK) sh -c 'read _ <"$0"; exec "$@"' "$gate" "$target" leak 50 4096 3 <"$tmp/in" & ;;
				@WAKE) sh -c 'read _ <"$0"; exec "$@"' "$gate" head -c1 "$tmp/pipe" >/dev/null & ;;
				@SPIN) sh -c 'read _ <"$0"; exec "$@"' "$gate" "$target" spin 1500 >/dev/null & ;;
				@SLEEPS) sh -c 'read _ <"$0"; exec "$@"' "$gate" "$target" sleeps 20 50000 >/dev/null & ;;
				esac
				tpid=$!
				args=${args//@PID/$tpid}
				case $work in
				@LEAK) work="echo go >$gate; sleep 3; echo done >&8" ;;
				@WAKE) work="echo go >$gate; sleep 0.3; echo x >$tmp/pipe" ;;
				@SPIN|@SLEEPS) work="echo go >$gate" ;;
				esac
			fi
			eval "set -- $args"
			if [ "$work" = @ ]; then
				timeout 20 "$pktlua" -t "$name" "$@" 2>&1 | head -24
			else
				timeout -s INT 6 "$pktlua" -t "$name" "$@" >"$tmp/out" 2>&1 &
				local pid=$!
				sleep 2.5
				bash -c "$work" >/dev/null 2>&1
				wait $pid
				[ -n "$tpid" ] && { wait "$tpid" 2>/dev/null; exec 8>&-; }
				sed "s|$tmp|/tmp/x|g" "$tmp/out" | head -24
				[ "$(wc -l <"$tmp/out")" -gt 24 ] && echo "[...]"
			fi
			echo '```'
		fi
	} >"docs/tools/$name.md"
	echo "docs/tools/$name.md"
}

want=" $* "
samples | while IFS='|' read -r name args work; do
	[ "$#" -eq 0 ] || [[ "$want" == *" $name "* ]] || continue
	doc "$name" "$args" "$work"
done
