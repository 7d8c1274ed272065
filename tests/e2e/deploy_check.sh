#!/usr/bin/env bash
# deploy/ checked with the client-side tools Debian has, no cluster, no
# container runtime:
#   - yamllint on every manifest;
#   - kubectl kustomize builds the set offline;
#   - kubectl decodes each object into Kubernetes's own Go types, offline
#     ("kubectl set env/selector --local -o json"), and nothing of the
#     manifest may be lost on the way: a misspelt or misplaced field, or a
#     value of the wrong type, fails here (kubectl's client-side dry-run and
#     --validate both need an API server: "kubectl create --dry-run=client"
#     asks it for the resource list);
#   - the DaemonSet's rules: not privileged, capabilities named one by one,
#     hostPID/hostNetwork, the host mounts, limits, a readiness probe on
#     /metrics at the port the exporter's arguments listen on, and those
#     arguments accepted by the exporter itself;
#   - promtool check config on deploy/prometheus.yml, and its target the
#     headless Service's name and port;
#   - the Containerfile: its build stage installs the package of every
#     library on pktlua's link lines, its runtime stage a package for every
#     library the built binaries load, and it copies clang's builtin headers
#     from where this build looks for them; the tree `cmake --install` makes
#     runs the image's ENTRYPOINT (the exporter) and answers on /metrics.
set -u
: "${PKTLUA:?PKTLUA must name the pktlua binary}"
: "${PKTLUA_BUILD:?PKTLUA_BUILD must name the build directory}"
export KUBECONFIG=/nonexistent      # no cluster: nothing may try one
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
ok() { echo "ok: $*"; }

# -- YAML --------------------------------------------------------------------------
if yamllint -s -d '{extends: default, rules: {line-length: {max: 100}}}' deploy/; then
  ok "yamllint deploy/"
else
  bad "yamllint deploy/"
fi

# -- kustomize, and kubectl's own types ----------------------------------------------
kubectl kustomize deploy/ >"$tmp/all.yaml" 2>"$tmp/err" || bad "kubectl kustomize: $(cat "$tmp/err")"
kinds=$(grep '^kind:' "$tmp/all.yaml" | sort | tr '\n' ' ')
[ "$kinds" = "kind: DaemonSet kind: Namespace kind: Service " ] && ok "kustomize: $kinds" ||
  bad "kustomize gives: $kinds"

# FILE TYPED_CMD...: every scalar of FILE (as kubectl reads it, untyped) must
# come out of the typed decoding unchanged. Paths under IGNORE are what the
# typed command itself changed.
typed_check() {
  local file=$1 ignore=$2
  shift 2
  kubectl label --local -f "$file" pl-check=1 -o json >"$tmp/raw.json" 2>"$tmp/err" ||
    { bad "$file: kubectl cannot read it: $(cat "$tmp/err")"; return; }
  "$@" -f "$file" -o json >"$tmp/typed.json" 2>"$tmp/err" ||
    { bad "$file: kubectl cannot decode it: $(cat "$tmp/err")"; return; }
  local lost
  lost=$(jq -rn --slurpfile raw "$tmp/raw.json" --slurpfile typed "$tmp/typed.json" \
    --arg ignore "$ignore" '
      $raw[0] as $r | $typed[0] as $t |
      [$r | paths(type != "object" and type != "array")] | map(select(
        (map(tostring) | join(".")) as $s |
        ($s | startswith("metadata.labels.pl-check")) or ($s | test($ignore)) | not)) |
      map(select(. as $p | ($t | getpath($p)) != ($r | getpath($p)))) |
      map(map(tostring) | join(".")) | .[]')
  if [ -n "$lost" ]; then
    bad "$file: not a valid $(jq -r .kind "$tmp/raw.json") field (lost or changed by kubectl's types): $(echo $lost)"
  else
    ok "$file: every field decodes into $(jq -r '.apiVersion + " " + .kind' "$tmp/typed.json")"
  fi
}
typed_check deploy/daemonset.yaml '^spec\.template\.spec\.containers\.[0-9]+\.env' \
  kubectl set env --local PL_CHECK=1
typed_check deploy/service.yaml '^spec\.selector' kubectl set selector --local pl-check=1
# The check itself catches mistakes: a misspelt field, a field in the wrong
# place, and a value of the wrong type (each must fail it).
for mistake in 's/readinessProbe:/readinesProbe:/' 's/^      hostPID: true/      hostPID: true\n      privileged: false/' \
    's/timeoutSeconds: 5/timeoutSeconds: "5s"/'; do
  sed "$mistake" deploy/daemonset.yaml >"$tmp/broken.yaml"
  saved=$fail
  typed_check "$tmp/broken.yaml" '^spec\.template\.spec\.containers\.[0-9]+\.env' \
    kubectl set env --local PL_CHECK=1 >"$tmp/broken.out" 2>&1
  if [ "$fail" = "$saved" ]; then
    bad "a broken DaemonSet passes the typed check ($mistake)"
  else
    fail=$saved
    echo "ok: a broken DaemonSet fails it ($mistake): $(sed 's/^FAIL: //' "$tmp/broken.out" | cut -c1-110)"
  fi
done
ds=$tmp/ds.json
kubectl set env --local -f deploy/daemonset.yaml PL_CHECK=1 -o json >"$ds" 2>/dev/null

# -- the DaemonSet's rules -------------------------------------------------------------
rule() {  # DESCRIPTION JQ-EXPRESSION (true when the rule holds)
  if [ "$(jq -r "$2" "$ds" 2>/dev/null)" = true ]; then ok "$1"; else bad "$1"; fi
}
pod='.spec.template.spec'
c="$pod.containers[0]"
rule "hostNetwork and hostPID" "$pod.hostNetwork == true and $pod.hostPID == true"
rule "no container privileged" "[$pod.containers[].securityContext.privileged] | all(. != true)"
rule "capabilities: drop ALL, add BPF, NET_ADMIN, PERFMON" \
  "$c.securityContext.capabilities.drop == [\"ALL\"] and ($c.securityContext.capabilities.add | sort) == [\"BPF\", \"NET_ADMIN\", \"PERFMON\"]"
rule "resource requests and limits (cpu, memory)" \
  "$c.resources.limits.cpu != null and $c.resources.limits.memory != null and $c.resources.requests.cpu != null and $c.resources.requests.memory != null"
for m in /sys/kernel/btf /sys/kernel/tracing /sys/fs/bpf /sys/fs/cgroup; do
  rule "host mount $m" "($c.volumeMounts[] | select(.mountPath == \"$m\") | .name) as \$n | [$pod.volumes[] | select(.name == \$n) | .hostPath.path] == [\"$m\"]"
done
port=$(jq -r "$c.args | index(\"--listen\") as \$i | .[\$i + 1] | sub(\"^.*:\"; \"\")" "$ds")
rule "readiness probe: GET /metrics on the port --listen names ($port)" \
  "$c.readinessProbe.httpGet.path == \"/metrics\" and ($c.readinessProbe.httpGet.port as \$p | [$c.ports[] | select(.name == \$p or .containerPort == \$p) | .containerPort] == [$port])"
args=$(jq -r "$c.args | @sh" "$ds")
if eval "\"\$PKTLUA\" -t exporter $args -h" >/dev/null 2>"$tmp/err"; then
  ok "the exporter accepts the DaemonSet's arguments: $args"
else
  bad "the exporter refuses the DaemonSet's arguments $args: $(cat "$tmp/err")"
fi
svc_ok=$(jq -n --argjson ds "$(cat "$ds")" --argjson svc "$(kubectl label --local -f deploy/service.yaml pl=1 -o json)" \
  '($svc.spec.selector | to_entries | all(. as $e | $ds.spec.template.metadata.labels[$e.key] == $e.value)) and
   $svc.spec.ports[0].port == 9435 and $svc.spec.clusterIP == "None"')
[ "$svc_ok" = true ] && ok "the headless Service selects the exporter pods, port 9435" ||
  bad "the Service does not select the DaemonSet's pods on 9435"

# -- Prometheus ------------------------------------------------------------------------
if promtool check config deploy/prometheus.yml >"$tmp/err" 2>&1; then
  ok "promtool check config deploy/prometheus.yml"
else
  bad "promtool check config: $(cat "$tmp/err")"
fi
grep -q '"pktlua-exporter.pktlua.svc.cluster.local"' deploy/prometheus.yml &&
  grep -q "port: $port\$" deploy/prometheus.yml &&
  ok "prometheus.yml scrapes the Service's name on port $port" ||
  bad "prometheus.yml does not name the Service and port $port"

# -- Containerfile -----------------------------------------------------------------------
cf=deploy/Containerfile
stage_packages() {  # N: the packages apt-get installs in stage N (1 or 2)
  awk -v want="$1" '/^FROM /{ stage++ } stage == want' "$cf" |
    sed -n '/apt-get install/,/rm -rf/p' | tr ' \\' '\n\n' | grep -E '^[a-z0-9][a-z0-9.+-]+$' |
    grep -vE '^(apt-get|install|update|rm|DEBIAN_FRONTEND.*|no-install-recommends|y|rf|RUN)$' | sort -u
}
stage_packages 1 >"$tmp/build-pkgs"
stage_packages 2 >"$tmp/run-pkgs"
# The build stage: the package of every library on pktlua's and the
# compiler shim's link lines (what the image builds; tools/setup.sh also
# installs what only the tests need).
: >"$tmp/link-libs"
for t in pktlua pktlua-cc; do
  for w in $(cat "$PKTLUA_BUILD/host/CMakeFiles/$t.dir/link.txt"); do
    case $w in
    /*.so|/*.a) echo "$w" ;;
    -l*) n=${w#-l}
         for d in /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu; do
           for ext in so a; do [ -e "$d/lib$n.$ext" ] && echo "$d/lib$n.$ext"; done
         done | head -n1 ;;
    esac
  done
done | sort -u >"$tmp/link-libs"
xargs -r dpkg -S <"$tmp/link-libs" 2>/dev/null | sed 's/: .*//' | tr -d ' ' | tr ',' '\n' |
  sed 's/:.*//' | sort -u >"$tmp/link-pkgs"
# What the build stage's packages bring with them (their Depends, three
# levels down, as installed here): libpcap-dev brings libpcap0.8-dev,
# llvm-19-dev libxml2-dev and libz3-dev.
cp "$tmp/build-pkgs" "$tmp/closure"
for _ in 1 2 3; do
  xargs -r dpkg-query -W -f='${Depends}\n' <"$tmp/closure" 2>/dev/null | tr ',|' '\n\n' |
    sed 's/([^)]*)//g; s/:any//; s/ //g' | grep -v '^$' | sort -u - "$tmp/closure" >"$tmp/closure.new"
  mv "$tmp/closure.new" "$tmp/closure"
done
missing=
while read -r pkg; do
  case $pkg in libc6-dev|libgcc-*-dev|libstdc++-*-dev) continue ;; esac   # build-essential's
  grep -qx "$pkg" "$tmp/closure" || missing="$missing $pkg"
done <"$tmp/link-pkgs"
[ -s "$tmp/link-pkgs" ] || bad "no package found for pktlua's link line"
[ -z "$missing" ] && ok "Containerfile builds with the package of every library pktlua links ($(wc -l <"$tmp/link-pkgs"))" ||
  bad "Containerfile's build stage lacks:$missing (on pktlua's link line)"
# Each library the binaries link (NEEDED), its file, its package: one dpkg -S
# for all of them (it reads every package's file list, each time).
: >"$tmp/sos"
for f in "$PKTLUA_BUILD/host/pktlua" "$PKTLUA_BUILD/host/libpktlua-cc.so"; do
  readelf -d "$f" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' >>"$tmp/sos"
done
sort -u -o "$tmp/sos" "$tmp/sos"
paths=()
: >"$tmp/so-paths"
while read -r so; do
  path=$(ldconfig -p | awk -v so="$so" '$1 == so && /x86-64|x86_64/ { print $NF; exit }')
  [ -n "$path" ] || { bad "$so: not found by ldconfig"; continue; }
  real=$(readlink -f "$path")
  paths+=("$path" "$real")
  echo "$so $path $real" >>"$tmp/so-paths"
done <"$tmp/sos"
dpkg -S "${paths[@]}" 2>/dev/null >"$tmp/owners"
need=
while read -r so path real; do
  pkg=$(awk -F': ' -v a="$path" -v b="$real" '$2 == a || $2 == b { print $1; exit }' "$tmp/owners")
  pkg=${pkg%%:*}
  [ -n "$pkg" ] || { bad "$so: no Debian package owns $path"; continue; }
  case $pkg in
  libc6) continue ;;                          # in every Debian image
  libasan*|libubsan*|liblsan*|libtsan*) continue ;;  # a sanitizer build's (CI's second pass)
  esac
  grep -qx "$pkg" "$tmp/run-pkgs" || need="$need $so($pkg)"
done <"$tmp/so-paths"
[ -z "$need" ] && ok "the runtime stage has a package for every library pktlua links" ||
  bad "the runtime stage lacks:$need"
# Where the compiler shim was built to find clang's headers (its -D).
res=$(grep -o 'PKTLUA_CLANG_RESOURCE_DIR=[^ ]*' "$PKTLUA_BUILD/host/CMakeFiles/pktlua-cc.dir/flags.make" |
  head -n1 | sed 's/^[^=]*=//; s/[\\"]//g')
grep -q "^COPY --from=build $res/include $res/include\$" "$cf" &&
  ok "Containerfile copies clang's builtin headers ($res/include)" ||
  bad "Containerfile does not copy $res/include (where this build's compiler looks)"
grep -q '^ENTRYPOINT \["pktlua", "-t", "exporter"\]$' "$cf" && grep -q "^EXPOSE $port\$" "$cf" &&
  ok "ENTRYPOINT pktlua -t exporter, EXPOSE $port" || bad "Containerfile's ENTRYPOINT/EXPOSE"

# The image's tree: what `cmake --install` makes under the image's prefix
# runs the ENTRYPOINT from anywhere (one collector, for speed).
if [ "$(id -u)" = 0 ]; then
  cmake --install "$PKTLUA_BUILD" --prefix "$tmp/opt" >/dev/null 2>"$tmp/err" ||
    bad "cmake --install: $(cat "$tmp/err")"
  (cd / && exec "$tmp/opt/bin/pktlua" -t exporter --listen 127.0.0.1:0 --iface lo \
    -d net,tcp,drops,runq,bio,oom) >"$tmp/exp.log" 2>&1 &
  pid=$!
  for _ in $(seq 150); do grep -q 'serving http' "$tmp/exp.log" && break; sleep 0.1; done
  addr=$(sed -n 's|^exporter: serving http://\(.*\)/metrics$|\1|p' "$tmp/exp.log")
  if [ -n "$addr" ] && curl -sf "http://$addr/metrics" | grep -q '^# TYPE ebpf_execs_total counter$'; then
    ok "the installed tree runs pktlua -t exporter and serves /metrics"
  else
    bad "the installed exporter: $(cat "$tmp/exp.log")"
  fi
  kill -INT "$pid"; wait "$pid"; pid=
else
  echo "SKIP: the installed exporter (loading BPF needs root)"
fi

[ "$fail" = 0 ] && echo "PASS: deploy/ checked" || exit 1
