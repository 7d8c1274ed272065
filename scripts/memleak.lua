#!/usr/bin/env pktlua
-- memleak.lua — find memory leaks: outstanding allocations by stack, user (-p) or kernel
-- usage: pktlua -t memleak [-h] [-p PID] [-t] [-a] [-o OLDER] [--combined-only] [-z MIN] [-Z MAX] [-T TOP] [interval] [count]
-- ci: 1 1
-- ci-expect: Attaching to kernel allocators
--
-- As BCC's memleak: with -p, uprobes and uretprobes on the process's
-- libc malloc, calloc, realloc, free, posix_memalign, aligned_alloc,
-- valloc, memalign and pvalloc; without, the kernel's kmem:kmalloc /
-- kmem:kfree and kmem_cache_alloc / kmem_cache_free tracepoints. Each
-- allocation is kept with its size, time and stack until it is freed;
-- every interval the stacks holding the most outstanding bytes are printed.
local bpf = require "pktlua"
local tool = require "pktlua.tool"
local elf = require "pktlua.elf"

local t = tool.new {
  name = "memleak",
  about = "Trace outstanding memory allocations that weren't freed",
  options = {
    { "-p", "--pid", "PID", "process ID to trace; if not specified, trace kernel allocs", type = "int" },
    { "-t", "--trace", nil, "print trace messages for each alloc/free call" },
    { "-a", "--show-allocs", nil, "show allocation addresses and sizes as well as call stacks" },
    { "-o", "--older", "OLDER", "prune allocations younger than this age in milliseconds", type = "int", default = 500 },
    { nil, "--combined-only", nil, "show combined allocation statistics only" },
    { "-z", "--min-size", "MIN_SIZE", "capture only allocations larger than or equal to this size", type = "int" },
    { "-Z", "--max-size", "MAX_SIZE", "capture only allocations smaller than or equal to this size", type = "int" },
    { "-T", "--top", "TOP", "display only this many top allocating stacks (by size)", type = "int", default = 10 },
    { nil, "--libc", "LIBC", "the C library to probe with -p", default = "libc.so.6" },
  },
  args = {
    { "interval", "interval in seconds to print outstanding allocations (default 5)", type = "number" },
    { "count", "number of times to print the report before exiting", type = "int" },
  },
  examples = {
    { "memleak -p 1234", "trace allocations and display each 5 s the top 10 stacks" },
    { "memleak -p 1234 -t", "trace allocations and display each call" },
    { "memleak -ap 1234 10", "every 10 s, with the allocations themselves" },
    { "memleak -p 1234 -o 60000", "only allocations older than a minute" },
    { "memleak", "the kernel's kmalloc/kmem_cache allocations" },
  },
  notes = [[
Same kinds of hooks as BCC (user: uprobes; kernel: kmem tracepoints). -o
defaults to 500 ms: younger allocations are not yet leaks. Frees of memory
allocated before memleak started are ignored.]],
}
local o = t:parse(arg)
local interval = o.interval or 5

local p = bpf.load { src = [[
#include <pktlua/tool.h>
#include <pktlua/stack.h>

const volatile __u64 min_size = 0, max_size = (__u64)-1;
const volatile bool trace_all = false;
const volatile bool kernel = false;

struct alloc_info { __u64 size, ts; int stack_id; };
struct combined { __u64 total_size, number_of_allocs; };
struct ev { __u64 addr, size; int free; };
PKTLUA_HASH(sizes, __u32, __u64, 10240);            /* tid -> size being allocated */
PKTLUA_HASH(memptrs, __u32, __u64, 10240);          /* tid -> posix_memalign's out pointer */
PKTLUA_HASH(allocs, __u64, struct alloc_info, 1000000);
PKTLUA_HASH(combined_allocs, __u64, struct combined, 10240);
PKTLUA_RINGBUF(events, 1 << 20);
PKTLUA_STACKS(stacks, 10240);

static __always_inline void add_combined(int stack_id, __u64 size, bool add)
{
	__u64 k = (__u64)(__s64)stack_id;
	struct combined *c = bpf_map_lookup_elem(&combined_allocs, &k);
	if (!c) {
		if (!add)
			return;
		struct combined zero = {};
		bpf_map_update_elem(&combined_allocs, &k, &zero, BPF_NOEXIST);
		c = bpf_map_lookup_elem(&combined_allocs, &k);
		if (!c)
			return;
	}
	if (add) {
		__sync_fetch_and_add(&c->total_size, size);
		__sync_fetch_and_add(&c->number_of_allocs, 1);
	} else {
		__sync_fetch_and_add(&c->total_size, -size);
		__sync_fetch_and_add(&c->number_of_allocs, -1);
	}
}

static __always_inline int gen_alloc_enter(__u64 size)
{
	if (size < min_size || size > max_size)
		return 0;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	bpf_map_update_elem(&sizes, &tid, &size, BPF_ANY);
	return 0;
}

static __always_inline int gen_alloc_exit2(void *ctx, __u64 addr)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *size = bpf_map_lookup_elem(&sizes, &tid);
	if (!size)
		return 0;
	__u64 sz = *size;
	bpf_map_delete_elem(&sizes, &tid);
	if (!addr)
		return 0;
	struct alloc_info info = { .size = sz, .ts = bpf_ktime_get_ns() };
	info.stack_id = kernel ? pktlua_stack_kernel(ctx, &stacks) : pktlua_stack_user(ctx, &stacks);
	bpf_map_update_elem(&allocs, &addr, &info, BPF_ANY);
	add_combined(info.stack_id, sz, true);
	if (trace_all) {
		struct ev e = { .addr = addr, .size = sz };
		pktlua_emit(&events, &e, sizeof(e));
	}
	return 0;
}

static __always_inline int gen_free_enter(__u64 addr)
{
	struct alloc_info *info = bpf_map_lookup_elem(&allocs, &addr);
	if (!info)
		return 0;
	add_combined(info->stack_id, info->size, false);
	if (trace_all) {
		struct ev e = { .addr = addr, .size = info->size, .free = 1 };
		pktlua_emit(&events, &e, sizeof(e));
	}
	bpf_map_delete_elem(&allocs, &addr);
	return 0;
}

SEC("uprobe") int BPF_KPROBE(malloc_enter, size_t size) { return gen_alloc_enter(size); }
SEC("uretprobe") int BPF_KRETPROBE(alloc_exit, void *ret) { return gen_alloc_exit2(ctx, (__u64)ret); }
SEC("uprobe") int BPF_KPROBE(free_enter, void *address) { return gen_free_enter((__u64)address); }
SEC("uprobe") int BPF_KPROBE(calloc_enter, size_t nmemb, size_t size) { return gen_alloc_enter(nmemb * size); }
SEC("uprobe") int BPF_KPROBE(realloc_enter, void *ptr, size_t size)
{
	gen_free_enter((__u64)ptr);
	return gen_alloc_enter(size);
}
SEC("uprobe") int BPF_KPROBE(posix_memalign_enter, void **memptr, size_t alignment, size_t size)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 p = (__u64)memptr;
	bpf_map_update_elem(&memptrs, &tid, &p, BPF_ANY);
	return gen_alloc_enter(size);
}
SEC("uretprobe") int BPF_KRETPROBE(posix_memalign_exit)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *pp = bpf_map_lookup_elem(&memptrs, &tid);
	if (!pp)
		return 0;
	void *addr = 0;
	bpf_probe_read_user(&addr, sizeof(addr), (void *)*pp);
	bpf_map_delete_elem(&memptrs, &tid);
	return gen_alloc_exit2(ctx, (__u64)addr);
}
SEC("uprobe") int BPF_KPROBE(aligned_alloc_enter, size_t alignment, size_t size) { return gen_alloc_enter(size); }
SEC("uprobe") int BPF_KPROBE(valloc_enter, size_t size) { return gen_alloc_enter(size); }

SEC("tracepoint/kmem/kmalloc")
int kmalloc(struct trace_event_raw_kmalloc *ctx)
{
	gen_alloc_enter(ctx->bytes_alloc);
	return gen_alloc_exit2(ctx, (__u64)ctx->ptr);
}
SEC("tracepoint/kmem/kfree")
int kfree(struct trace_event_raw_kfree *ctx) { return gen_free_enter((__u64)ctx->ptr); }
SEC("tracepoint/kmem/kmem_cache_alloc")
int cache_alloc(struct trace_event_raw_kmem_cache_alloc *ctx)
{
	gen_alloc_enter(ctx->bytes_alloc);
	return gen_alloc_exit2(ctx, (__u64)ctx->ptr);
}
SEC("tracepoint/kmem/kmem_cache_free")
int cache_free(struct trace_event_raw_kmem_cache_free *ctx) { return gen_free_enter((__u64)ctx->ptr); }
]], globals = { targ_pid = o.pid, min_size = o.min_size, max_size = o.max_size, trace_all = o.trace,
                kernel = not o.pid } }

local function frames(id)
  if id < 0 then return { "[unknown]" } end
  return o.pid and tool.ustack(p.maps.stacks, id, o.pid) or tool.kstack(p.maps.stacks, id)
end

local function report()
  local now = bpf.clock()
  local rows = {}
  if o.combined_only then
    for id, c in pairs(p.maps.combined_allocs) do
      if c.number_of_allocs > 0 then
        rows[#rows + 1] = { id = id, size = c.total_size, count = c.number_of_allocs }
      end
    end
  else
    local by = {}
    for addr, a in pairs(p.maps.allocs) do
      if now - a.ts >= o.older * 1000000 then
        local r = by[a.stack_id]
        if not r then
          r = { id = a.stack_id, size = 0, count = 0, allocs = {} }
          by[a.stack_id] = r
          rows[#rows + 1] = r
        end
        r.size, r.count = r.size + a.size, r.count + 1
        if o.show_allocs then r.allocs[#r.allocs + 1] = { addr = addr, size = a.size } end
      end
    end
  end
  table.sort(rows, function(a, b) return a.size > b.size end)
  local shown = {}
  for i = 1, math.min(#rows, o.top) do shown[i] = rows[i] end
  if t:json() then
    for _, r in ipairs(shown) do
      require("pktlua.json").line { time = os.date("%H:%M:%S"), bytes = r.size, allocations = r.count,
                                    stack = frames(r.id) }
    end
    return
  end
  print(("[%s] Top %d stacks with outstanding allocations:"):format(os.date("%H:%M:%S"), math.min(#rows, o.top)))
  for i = #shown, 1, -1 do
    local r = shown[i]
    if o.show_allocs then
      table.sort(r.allocs, function(a, b) return a.addr < b.addr end)
      for _, a in ipairs(r.allocs) do print(("\taddr = %x size = %d"):format(a.addr, a.size)) end
    end
    print(("\t%d bytes in %d allocations from stack"):format(r.size, r.count))
    for _, f in ipairs(frames(r.id)) do print("\t\t" .. f) end
  end
end

if o.trace then
  bpf.on(p.maps.events, function(rec)
    local addr, size, free = ("<I8I8i4"):unpack(rec)
    if free == 1 then
      print(("free entered, address = %x, size = %d"):format(addr, size))
    else
      print(("alloc exited, size = %d, result = %x"):format(size, addr))
    end
  end)
end

if o.pid then
  local lib, err = elf.find(o.libc)
  if not lib then t:fail("--libc: " .. err) end
  local function at(fn) return elf.offset(lib, fn) end
  local function up(prog, fn, ret)
    local off = at(fn)
    if off then prog:attach { binary = lib, offset = off, pid = o.pid, retprobe = ret } end
    return off
  end
  for _, fn in ipairs { "malloc", "calloc", "realloc", "aligned_alloc", "valloc", "memalign", "pvalloc" } do
    local enter = ({ calloc = p.progs.calloc_enter, realloc = p.progs.realloc_enter,
                     aligned_alloc = p.progs.aligned_alloc_enter, memalign = p.progs.aligned_alloc_enter })[fn]
                  or (fn == "valloc" or fn == "pvalloc") and p.progs.valloc_enter or p.progs.malloc_enter
    if up(enter, fn) then up(p.progs.alloc_exit, fn, true) end
  end
  if up(p.progs.posix_memalign_enter, "posix_memalign") then up(p.progs.posix_memalign_exit, "posix_memalign", true) end
  up(p.progs.free_enter, "free")
  t:say("Attaching to pid %d, Ctrl+C to quit.", o.pid)
else
  for _, n in ipairs { "kmalloc", "kfree", "cache_alloc", "cache_free" } do p.progs[n]:attach() end
  t:say("Attaching to kernel allocators, Ctrl+C to quit.")
end
t:run { interval = interval, count = o.count, tick = report, done = report }
