#!/usr/bin/env bash
# run-case.sh — run one end-to-end case written in the directive format
# (after bpftrace's tests/runtime):
#
#   NAME        what the case shows
#   REQUIRES    a shell command that must succeed, else the case is SKIPPED
#               (exit 77) with the command as the reason; may repeat
#   RUN         the shell command under test ($PKTLUA is the binary; the
#               working directory is the source tree)
#   EXPECT      a literal substring the output (stdout+stderr) must contain
#   EXPECT_REGEX  an extended regex one line of the output must match
#   EXPECT_NOT  a literal substring the output must not contain
#   EXPECT_EXIT the exit status RUN must have (default 0)
#   AFTER       a shell command that must succeed after RUN (cleanliness)
#   TIMEOUT     seconds before RUN is killed (default 30)
#
# Lines starting with # and blank lines are ignored.
set -u
case_file=$1
: "${PKTLUA:?PKTLUA must name the pktlua binary}"
export PKTLUA

name="" run="" timeout=30 want_exit=0
requires=() expects=() regexes=() nots=() afters=()
while IFS= read -r line || [ -n "$line" ]; do
  case "$line" in ''|'#'*) continue ;; esac
  key=${line%% *}
  val=${line#"$key"}; val=${val# }
  case "$key" in
    NAME) name=$val ;;
    REQUIRES) requires+=("$val") ;;
    RUN) run=$val ;;
    EXPECT) expects+=("$val") ;;
    EXPECT_REGEX) regexes+=("$val") ;;
    EXPECT_NOT) nots+=("$val") ;;
    EXPECT_EXIT) want_exit=$val ;;
    AFTER) afters+=("$val") ;;
    TIMEOUT) timeout=$val ;;
    *) echo "$case_file: unknown directive '$key'"; exit 2 ;;
  esac
done < "$case_file"
[ -n "$run" ] || { echo "$case_file: no RUN line"; exit 2; }

echo "case: ${name:-$case_file}"
for r in "${requires[@]+"${requires[@]}"}"; do
  if ! bash -c "$r" >/dev/null 2>&1; then
    echo "SKIPPED: requirement not met: $r"
    exit 77
  fi
done

out=$(mktemp)
trap 'rm -f "$out"' EXIT
timeout -k 5 "$timeout" bash -c "$run" >"$out" 2>&1
status=$?
echo "--- output (exit $status) ---"
cat "$out"
echo "---"

fail=0
if [ "$status" -ne "$want_exit" ]; then
  echo "FAIL: exit status $status, expected $want_exit"; fail=1
fi
for e in "${expects[@]+"${expects[@]}"}"; do
  grep -qF -- "$e" "$out" || { echo "FAIL: output lacks: $e"; fail=1; }
done
for e in "${regexes[@]+"${regexes[@]}"}"; do
  grep -qE -- "$e" "$out" || { echo "FAIL: no line matches: $e"; fail=1; }
done
for e in "${nots[@]+"${nots[@]}"}"; do
  grep -qF -- "$e" "$out" && { echo "FAIL: output contains: $e"; fail=1; }
done
for a in "${afters[@]+"${afters[@]}"}"; do
  bash -c "$a" || { echo "FAIL: after-check failed: $a"; fail=1; }
done
[ "$fail" -eq 0 ] && echo "PASS"
exit "$fail"
