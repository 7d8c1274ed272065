# lib.sh — helpers for the bundled tools' end-to-end tests (sourced).
#
#   . tests/e2e/tools/lib.sh
#   tool_start execsnoop -q            # $PKTLUA -t execsnoop -q in the background
#   tool_wait 'PCOMM'                  # until its output has a line matching the ERE
#   ... make the ground truth happen ...
#   tool_stop                          # Ctrl-C; waits; fails if it did not exit 0
#   grep ... "$TOOL_OUT"
#
# Every test names its temporary things pl_tools_<x>_$$ and removes them in
# its EXIT trap (tool_cleanup kills a tool still running).
set -u
: "${PKTLUA:?PKTLUA must name the pktlua binary}"
[ "$(id -u)" = 0 ] || { echo "SKIPPED: the tools load BPF programs: needs root"; exit 77; }

TOOL_DIR=$(mktemp -d "/tmp/pl_tools_$$.XXXXXX")
TOOL_OUT=$TOOL_DIR/out
TOOL_ERR=$TOOL_DIR/err
TOOL_PID=
TOOL_RC=
TOOL_FAILS=0
CLEANUPS=()     # commands run at exit, last first (loop devices, namespaces, cgroups)

tool_cleanup() {
	if [ -n "$TOOL_PID" ] && kill -0 "$TOOL_PID" 2>/dev/null; then
		kill -KILL "$TOOL_PID" 2>/dev/null
		wait "$TOOL_PID" 2>/dev/null
	fi
	local i
	if [ -n "${TARGET_PID:-}" ] && kill -0 "$TARGET_PID" 2>/dev/null; then
		kill -KILL "$TARGET_PID" 2>/dev/null
		wait "$TARGET_PID" 2>/dev/null
	fi
	for ((i = ${#CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${CLEANUPS[i]}" >/dev/null 2>&1
	done
	rm -rf "$TOOL_DIR"
}
trap tool_cleanup EXIT

# tool_start NAME ARGS...: run the tool in the background, stdout to
# $TOOL_OUT, stderr to $TOOL_ERR.
tool_start() {
	: >"$TOOL_OUT"
	: >"$TOOL_ERR"
	"$PKTLUA" -t "$@" >"$TOOL_OUT" 2>"$TOOL_ERR" &
	TOOL_PID=$!
}

# tool_wait ERE [FILE] [SECONDS]: wait until FILE (default $TOOL_OUT, then
# $TOOL_ERR) has a line matching ERE. Fails the test if the tool died or
# the time ran out (default 60 s: a cold compile on a loaded machine).
tool_wait() {
	local re=$1 file=${2:-} secs=${3:-60} i=0
	while [ "$i" -lt $((secs * 20)) ]; do
		if [ -n "$file" ]; then
			grep -qE -- "$re" "$file" && return 0
		else
			grep -qE -- "$re" "$TOOL_OUT" "$TOOL_ERR" && return 0
		fi
		if ! kill -0 "$TOOL_PID" 2>/dev/null; then
			wait "$TOOL_PID"
			echo "FAIL: the tool ended (status $?) before printing /$re/"
			tool_show
			exit 1
		fi
		sleep 0.05
		i=$((i + 1))
	done
	echo "FAIL: no /$re/ from the tool in ${secs}s"
	tool_show
	exit 1
}

# tool_stop [SIGNAL]: Ctrl-C (SIGINT) and wait; a tool must end with status 0.
tool_stop() {
	kill -"${1:-INT}" "$TOOL_PID" 2>/dev/null
	wait "$TOOL_PID"
	TOOL_RC=$?
	TOOL_PID=
	if [ "$TOOL_RC" -ne 0 ]; then
		echo "FAIL: the tool exited with status $TOOL_RC after SIG${1:-INT}"
		tool_show
		exit 1
	fi
}

# tool_finish: wait for a tool that ends on its own (a duration, a count).
tool_finish() {
	wait "$TOOL_PID"
	TOOL_RC=$?
	TOOL_PID=
	if [ "$TOOL_RC" -ne 0 ]; then
		echo "FAIL: the tool exited with status $TOOL_RC"
		tool_show
		exit 1
	fi
}

tool_show() {
	echo "--- tool stdout"
	cat "$TOOL_OUT"
	echo "--- tool stderr"
	cat "$TOOL_ERR"
	echo "---"
}

# check DESCRIPTION COMMAND...: run COMMAND; count a failure (with the
# tool's output shown once) if it fails.
check() {
	local what=$1
	shift
	if "$@"; then
		echo "ok: $what"
	else
		echo "FAIL: $what"
		TOOL_FAILS=$((TOOL_FAILS + 1))
	fi
}

# has ERE [FILE]: FILE (default $TOOL_OUT) has a line matching ERE.
has() { grep -qE -- "$1" "${2:-$TOOL_OUT}"; }
hasnt() { ! grep -qE -- "$1" "${2:-$TOOL_OUT}"; }

# tool_done: the verdict; prints the tool's output on failure.
tool_done() {
	if [ "$TOOL_FAILS" -ne 0 ]; then
		tool_show
		echo "FAILED: $TOOL_FAILS check(s)"
		exit 1
	fi
	echo "PASS: ${1:-all checks}"
	exit 0
}

# target_start CMD...: a process that waits (in sh, on a fifo) and then
# execs CMD, so its PID ($TARGET_PID) is known before it does anything:
# start a tool with -p $TARGET_PID, then target_go and target_wait.
# Its stdin is $TARGET_STDIN if set, else /dev/null.
target_start() {
	local fifo=$TOOL_DIR/go.$RANDOM
	mkfifo "$fifo"
	TARGET_FIFO=$fifo
	# (a background command reads /dev/null unless told otherwise: the
	# target's stdin is $TARGET_STDIN when set)
	sh -c 'read _ <"$0"; exec "$@"' "$fifo" "$@" <"${TARGET_STDIN:-/dev/null}" &
	TARGET_PID=$!
}
target_go() { echo go >"$TARGET_FIFO"; }
target_wait() { wait "$TARGET_PID"; TARGET_RC=$?; }

# The test binary of tests/e2e/tools/tools_target.c.
TARGET_BIN=${PKTLUA_BUILD:-$(dirname "$PKTLUA")/..}/tests/tools_target
[ -x "$TARGET_BIN" ] || { echo "FAIL: no $TARGET_BIN (build the tests)"; exit 1; }

# spinners N MS: N CPU-bound processes pinned together on CPU 0 for MS ms,
# so each waits in the run queue while the others run. Each prints
# "schedstat PID RUN_NS WAIT_NS SLICES" (its own /proc/self/schedstat) into
# $TOOL_DIR/spin.N. Returns when all are done.
spinners() {
	local n=$1 ms=$2 i pids=()
	for i in $(seq "$n"); do
		taskset -c 0 "$TARGET_BIN" spin "$ms" >"$TOOL_DIR/spin.$i" &
		pids+=($!)
	done
	wait "${pids[@]}"
}

# hist_bounds FILE KEY VALUE: from the JSON histogram line whose KEY field
# is VALUE, "SUM_LOW SUM_HIGH COUNT": the least and most its samples add
# up to (each sample lies in [low, high] of its bucket, values floored).
hist_bounds() {
	jq -r --argjson v "$3" "select(.$2 == \$v) | [([.data[] | .low * .count] | add), ([.data[] | (.high + 1) * .count] | add), ([.data[] | .count] | add)] | @tsv" "$1"
}

# counted_within FIELD NAME: the tool's count of NAME (the sum of .count
# over its JSON lines whose FIELD is NAME) lies between the increase of the
# kernel's counter NAME across the workload (snapshots $TOOL_DIR/s1 -> s2,
# lines "NAME COUNT") and across the whole run (s0 -> s3), give or take one
# per CPU (events at the edges); nothing is checked when neither moved.
# Sets INNER to the increase across the workload.
counted_within() {
	local field=$1 name=$2 c0 c1 c2 c3 got outer ncpu
	ncpu=$(nproc)
	c0=$(awk -v n="$name" '$1 == n { print $2 }' "$TOOL_DIR/s0")
	c1=$(awk -v n="$name" '$1 == n { print $2 }' "$TOOL_DIR/s1")
	c2=$(awk -v n="$name" '$1 == n { print $2 }' "$TOOL_DIR/s2")
	c3=$(awk -v n="$name" '$1 == n { print $2 }' "$TOOL_DIR/s3")
	got=$(jq -s --arg n "$name" "map(select(.$field == \$n) | .count) | add // 0" "$TOOL_OUT")
	INNER=$((c2 - c1)) outer=$((c3 - c0))
	[ "$outer" -eq 0 ] && [ "$got" -eq 0 ] && return
	check "$name: $INNER - $ncpu <= counted $got <= $outer + $ncpu" \
		test "$got" -ge $((INNER - ncpu)) -a "$got" -le $((outer + ncpu))
}

# spinner_hists: after spinners and a tool's JSON histograms per process
# (-P --json) in $TOOL_OUT, a line per spinner, "PID RUN_US WAIT_US SLICES
# SUM_LOW SUM_HIGH COUNT": what the scheduler counted for it, and what its
# histogram adds up to (hist_bounds; the last three empty without one).
spinner_hists() {
	local f pid run_ns wait_ns slices
	for f in "$TOOL_DIR"/spin.*; do
		read -r _ pid run_ns wait_ns slices <"$f"
		printf '%s %s %s %s %s\n' "$pid" $((run_ns / 1000)) $((wait_ns / 1000)) "$slices" \
			"$(hist_bounds "$TOOL_OUT" pid "$pid" | head -n 1 | tr '\t' ' ')"
	done
}

# loop_setup MB: a loop device over a fresh MB-sized file; $LOOP is its name
# ("loop3"), detached at exit.
loop_setup() {
	command -v losetup >/dev/null || { echo "SKIPPED: losetup (util-linux) is needed"; exit 77; }
	truncate -s "${1}M" "$TOOL_DIR/loop.img"
	local dev
	dev=$(losetup -f --show "$TOOL_DIR/loop.img" 2>/dev/null) || { echo "SKIPPED: no loop device (losetup -f failed)"; exit 77; }
	LOOP=${dev#/dev/}
	CLEANUPS+=("losetup -d $dev")
}

# netns_pair: two network namespaces joined by a veth pair, 198.18.0.1 in
# $NS_A and 198.18.0.2 in $NS_B (names unique to this run), removed at exit.
netns_pair() {
	NS_A=pl_tools_${TOOL_NAME:-t}_$$_a NS_B=pl_tools_${TOOL_NAME:-t}_$$_b
	ip netns add "$NS_A" && ip netns add "$NS_B" || { echo "SKIPPED: cannot make network namespaces"; exit 77; }
	CLEANUPS+=("ip netns del $NS_A" "ip netns del $NS_B")
	ip -n "$NS_A" link add va type veth peer name vb netns "$NS_B"
	ip -n "$NS_A" addr add 198.18.0.1/24 dev va
	ip -n "$NS_B" addr add 198.18.0.2/24 dev vb
	ip -n "$NS_A" link set va up
	ip -n "$NS_B" link set vb up
	ip -n "$NS_A" link set lo up
	ip -n "$NS_B" link set lo up
}

# serve_start NETNS ADDR N: a tools_target server (in NETNS, or here if "")
# that sends N bytes back; $SERVE_PID, $SERVE_PORT.
serve_start() {
	local ns=$1 addr=$2 n=$3 i
	: >"$TOOL_DIR/serve.port"
	if [ -n "$ns" ]; then
		ip netns exec "$ns" "$TARGET_BIN" serve "$addr" 0 "$n" >"$TOOL_DIR/serve.port" 2>"$TOOL_DIR/serve.err" &
	else
		"$TARGET_BIN" serve "$addr" 0 "$n" >"$TOOL_DIR/serve.port" 2>"$TOOL_DIR/serve.err" &
	fi
	SERVE_PID=$!
	for i in $(seq 500); do [ -s "$TOOL_DIR/serve.port" ] && break; sleep 0.02; done
	SERVE_PORT=$(cat "$TOOL_DIR/serve.port")
	[ -n "$SERVE_PORT" ] || { echo "FAIL: the test server did not start"; cat "$TOOL_DIR/serve.err"; exit 1; }
}

# tool_wait_count ERE N [SECONDS]: wait until $TOOL_OUT has N lines matching
# ERE (a tool whose callbacks resolve symbols prints a little after the
# event; Ctrl-C interrupts a callback that is still running).
tool_wait_count() {
	local re=$1 n=$2 secs=${3:-30} i=0
	while [ "$i" -lt $((secs * 20)) ]; do
		[ "$(grep -cE -- "$re" "$TOOL_OUT")" -ge "$n" ] && return 0
		sleep 0.05
		i=$((i + 1))
	done
	echo "note: fewer than $n lines match /$re/ after ${secs}s"
}
