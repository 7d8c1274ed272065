# anchor.py — the same N series from Python's prometheus_client (Debian's
# python3-prometheus-client), the reference client library, for run.sh.
# usage: python3 bench/metrics/anchor.py N     prints "serving ADDR" when ready
import sys, time
from prometheus_client import Counter, start_http_server, REGISTRY, PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR

for c in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
    REGISTRY.unregister(c)
n = int(sys.argv[1])
c = Counter("bench_packets", "Packets by flow.", ["saddr", "dport", "proto"])
for i in range(n):
    c.labels("198.18.%d.%d" % ((i >> 8) & 0xff, i & 0xff), str(1024 + i % 50000),
             "6" if i % 2 == 0 else "17").inc(i)
# A free port (start_http_server of 0.16 does not say which it took).
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
start_http_server(port, addr="127.0.0.1")
print("serving 127.0.0.1:%d" % port, flush=True)
while True:
    time.sleep(3600)
