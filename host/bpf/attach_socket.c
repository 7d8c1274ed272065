/* attach_socket.c — socket filter programs on an interface.
 *
 * A socket filter runs on the packets a socket receives, so pktlua makes a
 * packet socket (AF_PACKET, every protocol) bound to the interface and
 * attaches the program to it: the program sees every frame the interface
 * sends or receives, and leaves with the socket when the process ends. The
 * socket's own receive queue is never read; frames the program keeps
 * (returns non-zero for) fill it up to SO_RCVBUF and are then dropped for
 * this socket only, which is why the buffer is made small. */
#include "bpf/attach_kind.h"
#include "bpf/caps.h"

#include <arpa/inet.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SO_ATTACH_BPF
#define SO_ATTACH_BPF 50
#endif

static int socket_attach(struct bpf_program *prog, const struct pl_attach_opts *opts,
			 struct pl_link *link, char *err, size_t errlen)
{
	const char *name = bpf_program__name(prog), *iface = opts->iface;
	int prog_fd = bpf_program__fd(prog), rcvbuf = 1, fd, rc;

	if (!iface)
		return pl_attach_err(err, errlen, -EINVAL, "socket filter '%s' needs iface=", name);
	unsigned int ifindex = if_nametoindex(iface);
	if (!ifindex)
		return pl_attach_err(err, errlen, -ENODEV,
				     "socket filter attach to '%s': no such interface", iface);

	/* Protocol 0: the socket receives nothing until bind(), so no frame
	 * slips in before the filter is on. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		rc = -errno;
		return pl_attach_err(err, errlen, rc,
				     "socket filter attach to '%s': cannot open a packet socket: %s",
				     iface, strerror(-rc));
	}
	rc = pl_link__add_fd(link, fd);
	if (rc)
		return rc;
	/* The kernel rounds this up to its minimum. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_BPF, &prog_fd, sizeof(prog_fd))) {
		rc = -errno;
		return pl_attach_err(err, errlen, rc, "socket filter attach to '%s': %s", iface,
				     strerror(-rc));
	}
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = (int)ifindex,
	};
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		rc = -errno;
		return pl_attach_err(err, errlen, rc, "socket filter attach to '%s': bind: %s",
				     iface, strerror(-rc));
	}
	pl_link__set_desc(link, "socket filter on %s", iface);
	return 0;
}

static const char *const socket_secs[] = { "socket+", NULL };

const struct pl_attach_kind pl_attach_socket = {
	.name = "socket",
	.secs = socket_secs,
	.attach = socket_attach,
	.caps = PL_CAP(CAP_NET_RAW),
	.caps_note = "the packet socket that carries the filter takes it",
};
