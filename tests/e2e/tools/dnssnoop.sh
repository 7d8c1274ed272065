#!/usr/bin/env bash
# dnssnoop over the bundled capture: every DNS response, with the name, the
# answer and the latency tshark computes (dns.time); live in a network
# namespace: the test's own query for a name unique to the run, and the
# answer its server gives.
. tests/e2e/tools/lib.sh
command -v tshark >/dev/null || { echo "SKIPPED: tshark is needed for the capture half"; exit 77; }
tool_start dnssnoop -r samples/mixed.pcap --json lo
tool_finish
tshark -r samples/mixed.pcap -Y 'dns.flags.response == 1' -T fields -e dns.id -e dns.qry.name -e dns.a -e dns.time 2>/dev/null |
	awk -F'\t' '{ printf "%d %s. %s %.3f\n", $1, $2, $3, $4 * 1000 }' | sort >"$TOOL_DIR/want"
jq -r '"\(.id) \(.qname) \(.answers | join(",")) \(.lat_ms * 1000 | round / 1000 | tostring | if test("\\.") then . else . + ".0" end)"' "$TOOL_OUT" |
	awk '{ printf "%d %s %s %.3f\n", $1, $2, $3, $4 }' | sort >"$TOOL_DIR/got"
check "capture: $(wc -l <"$TOOL_DIR/want") responses: ID, name, answer, latency as tshark's" cmp -s "$TOOL_DIR/want" "$TOOL_DIR/got"
cmp -s "$TOOL_DIR/want" "$TOOL_DIR/got" || diff "$TOOL_DIR/want" "$TOOL_DIR/got" | head

TOOL_NAME=dns netns_pair
name=pl-$$.tools.example
ip netns exec "$NS_B" "$TARGET_BIN" dnsserve 198.18.0.2 1 198.18.77.$(($$ % 250)) >"$TOOL_DIR/dns.ready" &
srv=$!
for _ in $(seq 500); do grep -q ready "$TOOL_DIR/dns.ready" && break; sleep 0.02; done
grep -q ready "$TOOL_DIR/dns.ready" || { echo "FAIL: the DNS server did not start"; exit 1; }
: >"$TOOL_OUT"; : >"$TOOL_ERR"
ip netns exec "$NS_A" "$PKTLUA" -t dnssnoop -Q --json va >"$TOOL_OUT" 2>"$TOOL_ERR" &
TOOL_PID=$!
tool_wait 'dnssnoop: tracing' "$TOOL_ERR"
ip netns exec "$NS_A" "$TARGET_BIN" dnsquery 198.18.0.2 "$name" >"$TOOL_DIR/q"
wait $srv
tool_stop
cport=$(sed -n 1p "$TOOL_DIR/q")
check "live: the query" test "$(jq -c "select(.kind == \"query\") | [.client, .server, .id, .qtype, .qname]" "$TOOL_OUT")" = \
	"[\"198.18.0.1:$cport\",\"198.18.0.2:53\",23063,\"A\",\"$name.\"]"
check "live: the answer, with a latency" test "$(jq -c "select(.kind == \"response\") | [.qname, .rcode, .answers, (.lat_ms > 0)]" "$TOOL_OUT")" = \
	"[\"$name.\",\"NOERROR\",[\"$(sed -n 2p "$TOOL_DIR/q")\"],true]"
tool_done "dnssnoop"
