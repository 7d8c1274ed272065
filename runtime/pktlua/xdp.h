/* pktlua/xdp.h — everything an XDP snippet usually needs.
 *
 *   #include <pktlua/xdp.h>
 *   SEC("xdp") int prog(struct xdp_md *ctx) { ... return XDP_PASS; }
 *
 * Kernel types (struct xdp_md, enum xdp_action), libbpf's helpers, map
 * macros (PKTLUA_HASH...), protocol constants and pkt_parse(). */
#ifndef PKTLUA_XDP_H
#define PKTLUA_XDP_H

#include <pktlua/bpf.h>
#include <pktlua/net.h>
#include <pktlua/parse.h>

#endif
