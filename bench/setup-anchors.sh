#!/usr/bin/env bash
# setup-anchors.sh — install the tools pktlua is measured against (Debian 12).
#   bench/setup-anchors.sh     (root; never run in CI)
# bpftrace 0.17, BCC 0.26 (bpfcc-tools, python3-bpfcc) and libbpf-tools 0.26
# (BCC's C tools: bench/tools/) are the anchors;
# hyperfine and time for timing; clang-19 + libbpf-dev + gcc build the raw
# libbpf C programs (the floors); python3-prometheus-client serves the same
# series as bench/metrics/ (the reference client library). Only missing
# packages are installed.
set -eu
pkgs="bpftrace bpfcc-tools python3-bpfcc libbpf-tools hyperfine bpftool time
      clang-19 llvm-19 gcc make pkg-config libbpf-dev libelf-dev zlib1g-dev
      linux-perf strace python3-prometheus-client"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "setup-anchors: installing:$missing"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi
# BCC (0.26) compiles its C at run time against the kernel's headers and
# cannot run from BTF alone: without /lib/modules/$(uname -r)/build it fails
# with "chdir(/lib/modules/.../build): No such file or directory" and
# "Unable to find kernel headers". Headers for a non-Debian kernel (6.18
# here) are not in the archive and this kernel has no CONFIG_IKHEADERS, so
# point build/ and source/ at Debian's own linux-headers (6.1): for the
# tracepoint and map programs of bench/ that is enough (BCC reads the
# tracepoint's fields from tracefs; the maps need no kernel types). Set
# BCC_NO_HEADERS=1 to leave /lib/modules alone (BCC then cannot run).
k=/lib/modules/$(uname -r)
if [ ! -e "$k/build" ] && [ -z "${BCC_NO_HEADERS:-}" ]; then
	dpkg-query -W -f='${Status}' linux-headers-amd64 2>/dev/null | grep -q 'ok installed' ||
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends linux-headers-amd64
	hdr=$(ls -d /usr/src/linux-headers-*-amd64 | sort -V | tail -1)
	common=${hdr%-amd64}-common
	mkdir -p "$k"
	ln -sfn "$hdr" "$k/build"
	ln -sfn "$common" "$k/source"
	echo "setup-anchors: BCC will use $hdr (Debian's headers, not $(uname -r)'s)"
fi
bpftrace --version
# Debian's python3 (/usr/bin/python3): python3-bpfcc is not visible from
# other pythons (pyenv, venvs) first in PATH.
/usr/bin/python3 -c 'import bcc; print("bcc python ok")'
hyperfine --version
