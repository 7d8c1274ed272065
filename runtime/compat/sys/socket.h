/* sys/socket.h — what the kernel's UAPI headers take from the C library's
 * <sys/socket.h>, for BPF programs: <linux/if.h> (included by
 * <linux/icmp.h>, <linux/if_tunnel.h>, ...) includes it for struct sockaddr
 * and sa_family_t. glibc's own cannot be compiled for -target bpf (nor is it
 * served: pktlua does not depend on where a system keeps its headers).
 *
 * Next to vmlinux.h: its definitions win, as for the UAPI headers (the
 * __PL_VMLINUX_ guards, tools/uapi.c). */
#ifndef _SYS_SOCKET_H
#define _SYS_SOCKET_H

#include <linux/socket.h>

#if !defined(__PL_VMLINUX_id_sa_family_t)
typedef __kernel_sa_family_t sa_family_t;
#endif

#if !defined(__PL_VMLINUX_tag_sockaddr)
struct sockaddr {
	sa_family_t sa_family;
	char sa_data[14];
};
#endif

#endif /* _SYS_SOCKET_H */
