/* net_hooks.c — what BPF programs an interface carries, for the cases that
 * must show nothing was left attached (this bpftool predates tcx links):
 *   net_hooks IFACE   prints "tcx_ingress N tcx_egress N xdp ID"
 * (programs on each tcx hook; the XDP program's id, 0 for none). Run it in
 * the interface's network namespace. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <net/if.h>
#include <stdio.h>

/* enum bpf_attach_type of Linux 6.6+ (the installed uapi header is older). */
#define TCX_INGRESS 46
#define TCX_EGRESS 47

static int count(int ifindex, int type)
{
	__u32 ids[64], cnt = 64, flags = 0;

	if (bpf_prog_query(ifindex, (enum bpf_attach_type)type, 0, &flags, ids, &cnt))
		return -1;
	return (int)cnt;
}

int main(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int ifindex;

	if (argc != 2 || !(ifindex = (int)if_nametoindex(argv[1]))) {
		fprintf(stderr, "usage: net_hooks IFACE (an interface of this namespace)\n");
		return 2;
	}
	if (bpf_xdp_query(ifindex, 0, &q))
		q.prog_id = 0;
	printf("tcx_ingress %d tcx_egress %d xdp %u\n", count(ifindex, TCX_INGRESS),
	       count(ifindex, TCX_EGRESS), q.prog_id);
	return 0;
}
