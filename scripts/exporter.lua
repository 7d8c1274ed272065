#!/usr/bin/env pktlua
-- exporter.lua — a node exporter of eBPF metrics for Prometheus
-- usage: pktlua -t exporter [-h] [-l ADDR] [-i IFACE]... [-d COLLECTOR]... [-c FILE.lua]
--                           [--prog-stats] [--once SECONDS]
-- ci: -d net,tcp,drops,bio,oom --listen 127.0.0.1:0 --once 0.5
-- ci-expect: exporter: serving http://127.0.0.1:
-- ci-expect: # TYPE ebpf_execs_total counter
-- ci-expect: # TYPE ebpf_runqueue_latency_seconds histogram
--   (two collectors in CI's 4 seconds, cold cache included: tests/e2e/exporter.sh
--   runs them all)
--
-- What a node exporter of eBPF metrics keeps, each collector a program of
-- its own (one that cannot load on this kernel is skipped with a warning):
--   net    packets and bytes by interface, direction, family and protocol
--          (tc, ingress and egress, on every interface up at start but lo,
--          or the -i ones; a new interface later is not seen)
--   tcp    TCP retransmits by family and state (tp_btf/tcp_retransmit_skb)
--   drops  packets the kernel dropped, by reason (tp_btf/kfree_skb; reason
--          names from tracefs's kfree_skb format)
--   runq   run-queue latency, a histogram (tp_btf sched_wakeup/_new, sched_switch)
--   bio    block I/O latency by disk, a histogram (tp_btf block_rq_issue/_complete)
--   exec   process execs by command (tp_btf/sched_process_exec)
--   oom    OOM kills by victim command (tp_btf/mark_victim)
-- Its tc programs return TC_ACT_UNSPEC: other tc programs on the interface
-- run as before. --config FILE.lua runs a Lua file first, with the same
-- require "pktlua" / "pktlua.metrics", for collectors of your own; it may
-- return settings ({listen=, ifaces=, disable=, prog_stats=}) that the
-- command line overrides.
local bpf = require "pktlua"
local metrics = require "pktlua.metrics"
local net = require "pktlua.net"
local tool = require "pktlua.tool"

local COLLECTORS = { "net", "tcp", "drops", "runq", "bio", "exec", "oom" }

local t = tool.new {
  name = "exporter",
  about = "Serve eBPF metrics of this node to Prometheus: packets, TCP retransmits, drops, "
    .. "run-queue and block I/O latency, execs, OOM kills",
  options = {
    { "-l", "--listen", "ADDR", "serve on ADDR: HOST:PORT, [IPV6]:PORT, :PORT (every address)",
      default = "127.0.0.1:9435" },
    { "-i", "--iface", "IFACE", "count packets on IFACE (repeat; default: every interface "
      .. "up at start but lo)", type = "list" },
    { "-d", "--disable", "NAME", "turn a collector off (repeat, or NAME,NAME): "
      .. table.concat(COLLECTORS, ", "), type = "list" },
    { "-c", "--config", "FILE", "run FILE.lua first: collectors of your own, settings" },
    { nil, "--prog-stats", nil, "also export each BPF program's run count and time "
      .. "(turns on the kernel's BPF run-time statistics while serving)" },
    { nil, "--once", "SECONDS", "run SECONDS, print the metrics on stdout and exit",
      type = "number" },
  },
  examples = {
    { "exporter", "serve on 127.0.0.1:9435" },
    { "exporter -l :9435 -d bio,oom", "every address, without two collectors" },
    { "exporter -i eth0 -c my.lua", "packets of eth0 only, plus the metrics of my.lua" },
  },
  notes = "Metric names start with ebpf_; pktlua's own (pktlua_*) come last.",
}
local o = t:parse(arg)

-- --config: the user's collectors and settings; the command line wins.
local settings = {}
if o.config then
  local chunk, err = loadfile(o.config)
  if not chunk then t:fail("--config: " .. err) end
  local ok, res = pcall(chunk)
  if not ok then
    io.stderr:write("exporter: --config ", o.config, ": ", tostring(res), "\n")
    os.exit(1)
  end
  if res ~= nil and type(res) ~= "table" then
    t:fail("--config: " .. o.config .. " returned a " .. type(res) .. ", not a table of settings")
  end
  settings = res or {}
end
local listen = (o.listen ~= "127.0.0.1:9435" or not settings.listen) and o.listen or settings.listen
local ifaces = #o.iface > 0 and o.iface or settings.ifaces
local disabled = {}
for _, list in ipairs { o.disable, settings.disable or {} } do
  for _, d in ipairs(list) do
    for name in tostring(d):gmatch("[^,%s]+") do
      local known = false
      for _, c in ipairs(COLLECTORS) do known = known or c == name end
      if not known then t:fail(("--disable: no collector '%s' (%s)"):format(name,
        table.concat(COLLECTORS, ", "))) end
      disabled[name] = true
    end
  end
end

local function warn(fmt, ...)
  io.stderr:write("exporter: ", fmt:format(...), "\n")
end

-- Load and attach one collector; on failure say why and go on without it.
local function collector(name, src, setup)
  if disabled[name] then return end
  local ok, err = pcall(function()
    local p = bpf.load { src = src, name = "exporter_" .. name }
    setup(p)
  end)
  if not ok then warn("collector '%s' off: %s", name, tostring(err):gsub("\n.*", "")) end
end

-- net ------------------------------------------------------------------------------
local function up_interfaces()
  local list = {}
  local p = io.popen("ls /sys/class/net 2>/dev/null")
  for name in p:lines() do
    local f = io.open("/sys/class/net/" .. name .. "/operstate")
    local state = f and f:read("l")
    if f then f:close() end
    if name ~= "lo" and (state == "up" or state == "unknown") then list[#list + 1] = name end
  end
  p:close()
  return list
end

local function proto_name(n) return n == 0 and "" or net.proto(n) end
local function direction(n) return n == 0 and "ingress" or "egress" end

collector("net", [[
#include <pktlua/tc.h>
struct exp_net_key { __u32 iface; __u8 direction; __u8 proto; __u16 family; };
struct exp_net_val { __u64 packets; __u64 bytes; };
PKTLUA_PERCPU_HASH(net_counts, struct exp_net_key, struct exp_net_val, 4096);

static __always_inline int count(struct __sk_buff *skb, __u8 dir)
{
	struct exp_net_key k = { .iface = skb->ifindex, .direction = dir,
			     .family = bpf_ntohs(skb->protocol) };
	struct pkt pkt;
	if (pkt_parse(skb, &pkt) == 0) {
		k.family = pkt.l3proto;
		k.proto = pkt.l4proto;
	}
	struct exp_net_val *v = bpf_map_lookup_elem(&net_counts, &k);
	if (v) {
		v->packets++;
		v->bytes += skb->len;
	} else {
		struct exp_net_val init = { 1, skb->len };
		bpf_map_update_elem(&net_counts, &k, &init, BPF_NOEXIST);
	}
	return TC_ACT_UNSPEC;     /* the next tc program, if any, decides */
}
SEC("tc") int net_in(struct __sk_buff *skb) { return count(skb, 0); }
SEC("tc") int net_out(struct __sk_buff *skb) { return count(skb, 1); }
]], function(p)
  local n = 0
  for _, ifname in ipairs(ifaces or up_interfaces()) do
    local ok, err = pcall(function()
      p.progs.net_in:attach { iface = ifname, direction = "ingress" }
      p.progs.net_out:attach { iface = ifname, direction = "egress" }
    end)
    if ok then n = n + 1 else warn("net: %s: %s", ifname, tostring(err):gsub("\n.*", "")) end
  end
  local opts = function(field) return { value = field,
    labels = { "iface", "direction", "family", "proto" }, decode = {
    iface = "ifname", direction = direction, proto = proto_name, family = net.ethertype } }
  end
  metrics.counter("ebpf_net_packets_total", "Packets by interface, direction, family and "
    .. "protocol, at tc.", p.maps.net_counts, opts("packets"))
  metrics.counter("ebpf_net_bytes_total", "Bytes (skb->len, from the Ethernet header) by "
    .. "interface, direction, family and protocol, at tc.", p.maps.net_counts, opts("bytes"))
  if n == 0 then warn("net: no interface to count on") end
end)

-- tcp ------------------------------------------------------------------------------
local tcp_states = { "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
  "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV",
  "BOUND_INACTIVE" }
local families = { [2] = "ipv4", [10] = "ipv6" }

collector("tcp", [[
#include <pktlua/bpf.h>
struct exp_tcp_key { __u16 family; __u16 state; };
PKTLUA_HASH(retransmits, struct exp_tcp_key, __u64, 64);
SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(tcp_retransmit, const struct sock *sk)
{
	struct exp_tcp_key k = { .family = sk->__sk_common.skc_family,
			     .state = sk->__sk_common.skc_state };
	PKTLUA_ADD(retransmits, &k, 1);
	return 0;
}
]], function(p)
  p:attach()
  metrics.counter("ebpf_tcp_retransmits_total", "TCP segments retransmitted, by address "
    .. "family and the socket's state.", p.maps.retransmits, { decode = {
      family = function(n) return families[n] or tostring(n) end,
      state = function(n) return tcp_states[n] or tostring(n) end } })
end)

-- drops ----------------------------------------------------------------------------
-- Reason names as this kernel prints them (its kfree_skb format's __print_symbolic).
local function drop_reasons()
  local names = {}
  for _, dir in ipairs { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" } do
    local f = io.open(dir .. "/events/skb/kfree_skb/format")
    if f then
      local text = f:read("a")
      f:close()
      for n, name in text:gmatch('{%s*(%d+),%s*"([%w_]+)"%s*}') do names[tonumber(n)] = name end
      if next(names) then break end
    end
  end
  return names
end

collector("drops", [[
#include <pktlua/bpf.h>
PKTLUA_HASH(drops, __u32, __u64, 512);
SEC("tp_btf/kfree_skb")
int BPF_PROG(skb_drop, struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	__u32 r = reason;
	PKTLUA_ADD(drops, &r, 1);
	return 0;
}
]], function(p)
  p:attach()
  local names = drop_reasons()
  if not next(names) then warn("drops: no tracefs kfree_skb format: reasons stay numbers") end
  metrics.counter("ebpf_skb_drops_total", "Packets the kernel dropped (kfree_skb), by reason.",
    p.maps.drops, { labels = { "reason" },
      decode = { reason = function(n) return names[n] or tostring(n) end } })
end)

-- runq -----------------------------------------------------------------------------
collector("runq", [[
#include <pktlua/hist.h>
PKTLUA_HASH(runq_start, __u32, __u64, 16384);
PKTLUA_PERCPU_ARRAY(runq_lat, __u64, PKTLUA_HIST_SLOTS);

static __always_inline int enqueue(__u32 pid)
{
	__u64 ts = bpf_ktime_get_ns();
	if (pid)
		bpf_map_update_elem(&runq_start, &pid, &ts, BPF_ANY);
	return 0;
}
SEC("tp_btf/sched_wakeup")
int BPF_PROG(runq_wakeup, struct task_struct *p) { return enqueue(p->pid); }
SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(runq_wakeup_new, struct task_struct *p) { return enqueue(p->pid); }
SEC("tp_btf/sched_switch")
int BPF_PROG(runq_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	if (prev->__state == 0)       /* preempted while runnable: queued again */
		enqueue(prev->pid);
	__u32 pid = next->pid;
	__u64 *ts = bpf_map_lookup_elem(&runq_start, &pid);
	if (!ts)
		return 0;
	__u64 delta = bpf_ktime_get_ns() - *ts;
	bpf_map_delete_elem(&runq_start, &pid);
	__u32 slot = pktlua_log2(delta);
	__u64 *n = bpf_map_lookup_elem(&runq_lat, &slot);
	if (n)
		(*n)++;                /* this CPU's slot: no atomics */
	return 0;
}
]], function(p)
  p:attach()
  metrics.histogram("ebpf_runqueue_latency_seconds", "Time tasks waited on a run queue, "
    .. "from wakeup (or preemption) to running.", p.maps.runq_lat, { scale = 1e-9 })
end)

-- bio ------------------------------------------------------------------------------
collector("bio", [[
#include <pktlua/hist.h>
struct exp_bio_key { char disk[32]; __u32 bucket; };
PKTLUA_HASH(bio_start, __u64, __u64, 16384);
PKTLUA_HASH(bio_lat, struct exp_bio_key, __u64, 4096);

SEC("tp_btf/block_rq_issue")
int BPF_PROG(bio_issue, struct request *rq)
{
	__u64 key = (__u64)rq, ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&bio_start, &key, &ts, BPF_ANY);
	return 0;
}
SEC("tp_btf/block_rq_complete")
int BPF_PROG(bio_complete, struct request *rq)
{
	__u64 key = (__u64)rq;
	__u64 *ts = bpf_map_lookup_elem(&bio_start, &key);
	if (!ts)
		return 0;             /* issued before we started */
	__u64 delta = bpf_ktime_get_ns() - *ts;
	bpf_map_delete_elem(&bio_start, &key);
	struct exp_bio_key k = { .bucket = pktlua_log2(delta) };
	BPF_CORE_READ_STR_INTO(&k.disk, rq, q, disk, disk_name);
	PKTLUA_ADD(bio_lat, &k, 1);
	return 0;
}
]], function(p)
  p:attach()
  metrics.histogram("ebpf_block_io_latency_seconds", "Block I/O latency, issue to "
    .. "completion, by disk.", p.maps.bio_lat, { scale = 1e-9 })
end)

-- exec, oom ------------------------------------------------------------------------
collector("exec", [[
#include <pktlua/bpf.h>
struct exp_comm_key { char comm[16]; };
PKTLUA_LRU_HASH(execs, struct exp_comm_key, __u64, 4096);
SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec, struct task_struct *p)
{
	struct exp_comm_key k = {};
	bpf_get_current_comm(&k.comm, sizeof(k.comm));
	PKTLUA_ADD(execs, &k, 1);
	return 0;
}
]], function(p)
  p:attach()
  metrics.counter("ebpf_execs_total", "Processes started (exec), by command.", p.maps.execs)
end)

collector("oom", [[
#include <pktlua/bpf.h>
struct exp_comm_key { char comm[16]; };
PKTLUA_LRU_HASH(oom_kills, struct exp_comm_key, __u64, 1024);
SEC("tp_btf/mark_victim")
int BPF_PROG(oom_victim, struct task_struct *task)
{
	struct exp_comm_key k = {};
	bpf_probe_read_kernel_str(&k.comm, sizeof(k.comm), task->comm);
	PKTLUA_ADD(oom_kills, &k, 1);
	return 0;
}
]], function(p)
  p:attach()
  metrics.counter("ebpf_oom_kills_total", "Processes the OOM killer chose, by command.",
    p.maps.oom_kills)
end)

local srv = metrics.serve { addr = listen, prog_stats = o.prog_stats or settings.prog_stats }
io.stderr:write("exporter: serving http://", srv.address, "/metrics\n")
if o.once then
  bpf.run(o.once)
  io.stdout:write(metrics.text())
  return
end
bpf.run()
