# tp_count.py — the startup benchmark's tiny tracepoint counter in BCC Python.
# BPF() compiles, loads and (TRACEPOINT_PROBE) attaches; the line after it
# marks "attached"; the script then exits.
from bcc import BPF

b = BPF(text=r"""
BPF_ARRAY(c, u64, 1);
TRACEPOINT_PROBE(syscalls, sys_enter_openat)
{
	int k = 0;
	u64 *v = c.lookup(&k);
	if (v)
		__sync_fetch_and_add(v, 1);
	return 0;
}
""")
print("attached", flush=True)
