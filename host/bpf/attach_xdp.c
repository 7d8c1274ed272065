/* attach_xdp.c — XDP programs on a network interface, as BPF links.
 *
 * BPF_LINK_CREATE rather than the netlink attach libbpf's bpf_xdp_attach()
 * does: a link is released with the last fd to it, so the program leaves the
 * interface when the process ends, SIGKILL included. A netlink attachment
 * would stay behind on the interface. */
#include "bpf/attach_kind.h"
#include "bpf/caps.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

static const char *mode_name(__u8 attach_mode)
{
	switch (attach_mode) {
	case XDP_ATTACHED_DRV: return "native";
	case XDP_ATTACHED_SKB: return "skb";
	case XDP_ATTACHED_HW: return "hw";
	default: return NULL;
	}
}

static int xdp_attach(struct bpf_program *prog, const struct pl_attach_opts *opts,
		      struct pl_link *link, char *err, size_t errlen)
{
	const char *iface = opts->iface, *mode = opts->mode;
	__u32 flags = 0;
	int fd, rc;

	if (!iface)
		return pl_attach_err(err, errlen, -EINVAL, "xdp program needs iface=");
	/* Modes by their canonical names, for the description. */
	if (!mode) {
		flags = 0; /* the kernel picks: native if the driver has it, else skb */
	} else if (!strcmp(mode, "skb") || !strcmp(mode, "generic")) {
		flags = XDP_FLAGS_SKB_MODE;
		mode = "skb";
	} else if (!strcmp(mode, "native") || !strcmp(mode, "drv")) {
		flags = XDP_FLAGS_DRV_MODE;
		mode = "native";
	} else if (!strcmp(mode, "hw") || !strcmp(mode, "offload")) {
		flags = XDP_FLAGS_HW_MODE;
		mode = "hw";
	} else {
		return pl_attach_err(err, errlen, -EINVAL,
				     "xdp attach to '%s': unknown mode '%s' (use \"skb\" or \"native\")",
				     iface, mode);
	}

	unsigned int ifindex = if_nametoindex(iface);
	if (!ifindex)
		return pl_attach_err(err, errlen, -ENODEV, "xdp attach to '%s': no such interface",
				     iface);

	LIBBPF_OPTS(bpf_link_create_opts, lopts, .flags = flags);
	fd = bpf_link_create(bpf_program__fd(prog), (int)ifindex, BPF_XDP, &lopts);
	if (fd < 0) {
		LIBBPF_OPTS(bpf_xdp_query_opts, q);

		rc = pl_errno(fd);
		/* EBUSY: that mode is taken (by a link or a netlink attachment);
		 * EEXIST: the other of skb/native is, and they cannot mix. */
		if ((rc == -EBUSY || rc == -EEXIST) && !bpf_xdp_query((int)ifindex, 0, &q) &&
		    q.prog_id)
			return pl_attach_err(err, errlen, -EBUSY,
					     "xdp attach to '%s': the interface already has an XDP "
					     "program (id %u, %s mode)", iface, q.prog_id,
					     mode_name(q.attach_mode) ?: "several");
		if (rc == -EBUSY || rc == -EEXIST)
			return pl_attach_err(err, errlen, -EBUSY,
					     "xdp attach to '%s': the interface already has an XDP program",
					     iface);
		if (rc == -EOPNOTSUPP && (flags & (XDP_FLAGS_DRV_MODE | XDP_FLAGS_HW_MODE)))
			return pl_attach_err(err, errlen, rc,
					     "xdp attach to '%s': its driver does not support %s mode "
					     "(mode=\"skb\" works everywhere)", iface, mode);
		return pl_attach_err(err, errlen, rc, "xdp attach to '%s': %s", iface,
				     strerror(-rc));
	}
	rc = pl_link__add_fd(link, fd);
	if (rc)
		return rc;

	/* Name the mode the kernel chose when none was asked for. */
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	const char *chosen = mode;
	if (!chosen && !bpf_xdp_query((int)ifindex, 0, &q))
		chosen = mode_name(q.attach_mode);
	if (chosen)
		pl_link__set_desc(link, "xdp on %s (%s)", iface, chosen);
	else
		pl_link__set_desc(link, "xdp on %s", iface);
	return 0;
}

/* Exact names: "xdp/devmap", "xdp/cpumap" and their .frags twins run from
 * map entries, not on an interface; pktlua does not attach them. */
static const char *const xdp_secs[] = { "xdp", "xdp.frags", NULL };

const struct pl_attach_kind pl_attach_xdp = {
	.name = "xdp",
	.secs = xdp_secs,
	.attach = xdp_attach,
	.caps = PL_CAP(CAP_NET_ADMIN),
};
