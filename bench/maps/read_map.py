# read_map.py — the map benchmark in BCC Python: the same N-entry hash map
# (u32 -> u64, keys 0..N-1, value 2*key), filled with items_update_batch(),
# read with items_lookup_batch() and with items(), counting the entries and
# summing the values as read_map.lua does. time.monotonic() around the read.
#   python3 read_map.py N [ROUNDS [ITEMS_ROUNDS]]
# prints one line per way: "bcc items_lookup_batch N: MEDIAN ms (min MIN, R rounds)".
import ctypes as ct
import sys
import time

from bcc import BPF

n = int(sys.argv[1])
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
items_rounds = int(sys.argv[3]) if len(sys.argv) > 3 else rounds

b = BPF(text="BPF_HASH(m, u32, u64, %d);" % n)
m = b["m"]
keys = (m.Key * n)(*range(n))
vals = (m.Leaf * n)(*(2 * i for i in range(n)))
m.items_update_batch(keys, vals)
want = n * (n - 1)


def measure(name, read, r, plain):
    # items_lookup_batch() yields ints (elements of a ctypes array), items()
    # ctypes objects: each loop reads its values the cheapest way.
    times = []
    for _ in range(r):
        t0 = time.monotonic()
        count = total = 0
        if plain:
            for _k, v in read():
                count += 1
                total += v
        else:
            for _k, v in read():
                count += 1
                total += v.value
        times.append((time.monotonic() - t0) * 1e3)
        if count != n or total != want:
            sys.exit("bcc %s: read %d entries summing to %d" % (name, count, total))
    times.sort()
    print("bcc %s %d: %.1f ms (min %.1f, %d rounds)" %
          (name, n, times[(r - 1) // 2], times[0], r), flush=True)


measure("items_lookup_batch", m.items_lookup_batch, rounds, True)
if items_rounds > 0:
    measure("items", m.items, items_rounds, False)
