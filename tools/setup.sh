#!/usr/bin/env bash
# setup.sh — install what pktlua needs from Debian 12 (only what is missing),
# then configure and build into build/ (or $BUILD_DIR).
#
#   tools/setup.sh                 # release build in build/
#   BUILD_DIR=build-asan CMAKE_ARGS=-DPKTLUA_SANITIZE=ON tools/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# Build: compiler, CMake, the libraries (libzstd-dev: LLVM's static archives,
# linked into the compiler shim, use zstd; libmicrohttpd-dev: the HTTP server
# of GET /metrics; linux-libc-dev: the kernel's UAPI headers, which pktlua
# serves to BPF code from memory); test: tcpdump (reads back pcap files), bpftool and
# iproute2 for the end-to-end cases; prometheus (with promtool) scrapes a
# script and lints its metrics, curl asks the metrics server, yamllint and
# kubectl check deploy/; libiberty-dev: the C++/Rust demangler
# (symbols/demangle.c); systemtap-sdt-dev: <sys/sdt.h> for the test binary's
# USDT probe; libxml2-utils: xmllint checks the flame graph SVG; fuzz
# (fuzz/, CC=clang-19 -DPKTLUA_FUZZ=ON): clang 19 and libclang-rt-19-dev
# (libFuzzer's libclang_rt.fuzzer and clang's ASan/UBSan runtimes).
packages=(
  build-essential cmake pkg-config
  liblua5.4-dev libbpf-dev libelf-dev zlib1g-dev libpcap-dev libedit-dev jq
  llvm-19-dev libclang-19-dev libclang-cpp19-dev libzstd-dev libmicrohttpd-dev
  linux-libc-dev
  bpftool iproute2 tcpdump tshark curl prometheus yamllint
  libiberty-dev systemtap-sdt-dev libxml2-utils
  clang-19 libclang-rt-19-dev
)
# kubectl: Debian's is kubernetes-client; a kubectl already installed
# otherwise (e.g. from Google's Cloud SDK repository) ships the same file, so
# that one is kept.
command -v kubectl >/dev/null || packages+=(kubernetes-client)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

build=${BUILD_DIR:-build}
# shellcheck disable=SC2086 # CMAKE_ARGS are words
cmake -S . -B "$build" ${CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j"$(nproc)"
