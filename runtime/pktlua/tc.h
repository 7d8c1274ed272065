/* pktlua/tc.h — everything a tc (clsact/tcx) snippet usually needs.
 *
 *   #include <pktlua/tc.h>
 *   SEC("tc") int prog(struct __sk_buff *skb) { ... return TC_ACT_OK; }
 *
 * Kernel types (struct __sk_buff), libbpf's helpers, map macros, protocol
 * constants (TC_ACT_*, ETH_P_*) and pkt_parse(). */
#ifndef PKTLUA_TC_H
#define PKTLUA_TC_H

#include <pktlua/bpf.h>
#include <pktlua/net.h>
#include <pktlua/parse.h>

#endif
