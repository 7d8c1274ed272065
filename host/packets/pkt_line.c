/* pkt_line.c — a packet as `tcpdump -n -S` prints it (see pkt_line.h).
 *
 * The wording follows tcpdump 4.99's printers (print-ether.c, print-arp.c,
 * print-ip.c, print-ip6.c, print-tcp.c, print-udp.c, print-icmp.c,
 * print-icmp6.c) for the cases they print at the default verbosity; where
 * tcpdump would dissect an application protocol (DNS, NTP, HTTP, ...), the
 * line stops at the transport ("UDP, length 40"). */
#include "packets/pkt_line.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct out {
	char *buf;
	size_t len, cap;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len + 1 >= o->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len = o->len + (size_t)n < o->cap ? o->len + (size_t)n : o->cap - 1;
}

/* The captured bytes of one layer: P..P+N, and how much the layer says. */
struct span {
	const uint8_t *p;
	uint32_t n;      /* captured bytes from p on */
};

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static const char *ip4s(const uint8_t *p, char *b)
{
	return inet_ntop(AF_INET, p, b, INET6_ADDRSTRLEN);
}

static const char *ip6s(const uint8_t *p, char *b)
{
	return inet_ntop(AF_INET6, p, b, INET6_ADDRSTRLEN);
}

static void mac(struct out *o, const uint8_t *m)
{
	put(o, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* ---- transport ------------------------------------------------------------ */

/* The "SRC.SPORT > DST.DPORT: " (IPv4/IPv6 addresses in A, B) tcpdump's TCP
 * and UDP printers begin with. AS_NEXT: the IP header's own next header is
 * this protocol (else, after extension headers, only the ports). */
static void ports(struct out *o, const char *a, const char *b, uint16_t sp, uint16_t dp,
		  bool as_next)
{
	if (as_next)
		put(o, "%s.%u > %s.%u: ", a, sp, b, dp);
	else
		put(o, "%u > %u: ", sp, dp);
}

static void tcp_opts(struct out *o, const uint8_t *p, uint32_t n)
{
	bool first = true;

	put(o, ", options [");
	while (n > 0) {
		uint8_t kind = p[0], len = 1;

		if (!first)
			put(o, ",");
		first = false;
		if (kind == 0) {
			put(o, "eol");
			break;
		}
		if (kind == 1) {
			put(o, "nop");
			p++, n--;
			continue;
		}
		if (n < 2 || (len = p[1]) < 2 || len > n) {
			put(o, "[bad opt]");
			break;
		}
		switch (kind) {
		case 2:
			if (len == 4)
				put(o, "mss %u", be16(p + 2));
			else
				put(o, "mss [bad opt]");
			break;
		case 3:
			if (len == 3)
				put(o, "wscale %u", p[2]);
			else
				put(o, "wscale [bad opt]");
			break;
		case 4:
			put(o, "sackOK");
			break;
		case 5:
			put(o, "sack %u ", (len - 2) / 8);
			for (uint32_t i = 2; i + 8 <= len; i += 8)
				put(o, "{%u:%u}", be32(p + i), be32(p + i + 4));
			break;
		case 8:
			if (len == 10)
				put(o, "TS val %u ecr %u", be32(p + 2), be32(p + 6));
			else
				put(o, "TS [bad opt]");
			break;
		default:
			put(o, "unknown-%u", kind);
			for (uint32_t i = 2; i < len; i++)
				put(o, "%s%02x", i == 2 ? " 0x" : "", p[i]);
			break;
		}
		p += len;
		n -= len;
	}
	put(o, "]");
}

/* LENGTH: the TCP segment's length by the IP header. */
static void tcp(struct out *o, struct span s, uint32_t length, const char *a, const char *b,
		bool as_next)
{
	static const struct { uint8_t bit; char c; } flags[] = {
		{ 0x01, 'F' }, { 0x02, 'S' }, { 0x04, 'R' }, { 0x08, 'P' },
		{ 0x20, 'U' }, { 0x40, 'E' }, { 0x80, 'W' }, { 0x10, '.' },
	};

	if (s.n < 20) {
		if (s.n >= 4)
			ports(o, a, b, be16(s.p), be16(s.p + 2), as_next);
		else
			put(o, "%s > %s: ", a, b);
		put(o, "[|tcp]");
		return;
	}
	uint16_t sp = be16(s.p), dp = be16(s.p + 2);
	uint32_t seq = be32(s.p + 4), ack = be32(s.p + 8);
	uint32_t hlen = (uint32_t)(s.p[12] >> 4) * 4;
	uint8_t fl = s.p[13];
	uint16_t win = be16(s.p + 14), urp = be16(s.p + 18);
	char f[16];
	size_t nf = 0;

	ports(o, a, b, sp, dp, as_next);
	if (hlen < 20) {
		put(o, "tcp %u [bad hdr length %u - too short, < 20]", length, hlen);
		return;
	}
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (fl & flags[i].bit)
			f[nf++] = flags[i].c;
	f[nf] = 0;
	put(o, "Flags [%s]", nf ? f : "none");
	if (hlen > length) {
		put(o, " [bad hdr length %u - too long, > %u]", hlen, length);
		return;
	}
	uint32_t plen = length - hlen;
	if (plen > 0 || (fl & 0x07)) {
		if (plen > 0)
			put(o, ", seq %u:%u", seq, seq + plen);
		else
			put(o, ", seq %u", seq);
	}
	if (fl & 0x10)
		put(o, ", ack %u", ack);
	put(o, ", win %u", win);
	if (fl & 0x20)
		put(o, ", urg %u", urp);
	if (hlen > 20) {
		if (s.n < hlen) {
			put(o, "[|tcp]");
			return;
		}
		tcp_opts(o, s.p + 20, hlen - 20);
	}
	put(o, ", length %u", plen);
}

/* LENGTH: the UDP datagram's length by the IP header. */
static void udp(struct out *o, struct span s, uint32_t length, const char *a, const char *b,
		bool as_next)
{
	if (s.n < 8) {
		if (s.n >= 4)
			ports(o, a, b, be16(s.p), be16(s.p + 2), as_next);
		put(o, "[|udp]");
		return;
	}
	uint16_t ulen = be16(s.p + 4);

	(void)length;   /* tcpdump prints the header's length, fragments too */
	ports(o, a, b, be16(s.p), be16(s.p + 2), as_next);
	if (ulen < 8) {
		put(o, "truncated-udplength %u", ulen);
		return;
	}
	put(o, "UDP, length %u", ulen - 8);
}

/* ---- ICMP ---------------------------------------------------------------------- */

static void icmp(struct out *o, struct span s, uint32_t length)
{
	char x[INET6_ADDRSTRLEN];

	if (s.n < 4) {
		put(o, "[|icmp]");
		return;
	}
	uint8_t type = s.p[0], code = s.p[1];
	const uint8_t *ip = s.p + 8;            /* the packet an error quotes */
	bool quoted = s.n >= 8 + 20 && (ip[0] >> 4) == 4;
	uint32_t ihl = quoted ? (uint32_t)(ip[0] & 0xf) * 4 : 0;

	put(o, "ICMP ");
	switch (type) {
	case 0:
	case 8:
		if (s.n < 8) {
			put(o, "[|icmp]");
			return;
		}
		put(o, "echo %s, id %u, seq %u", type ? "request" : "reply", be16(s.p + 4),
		    be16(s.p + 6));
		break;
	case 3:
		if (!quoted) {
			put(o, "[|icmp]");
			return;
		}
		ip4s(ip + 16, x);
		switch (code) {
		case 0: put(o, "net %s unreachable", x); break;
		case 1: put(o, "host %s unreachable", x); break;
		case 2: put(o, "%s protocol %u unreachable", x, ip[9]); break;
		case 3:
			if (s.n < 8 + ihl + 4) {
				put(o, "[|icmp]");
				return;
			}
			put(o, "%s %s port %u unreachable", x, ip[9] == 6 ? "tcp" : "udp",
			    be16(ip + ihl + 2));
			break;
		case 4: put(o, "%s unreachable - need to frag (mtu %u)", x, be16(s.p + 6)); break;
		case 13: put(o, "host %s unreachable - admin prohibited filter", x); break;
		default: put(o, "%s unreachable - #%u", x, code); break;
		}
		break;
	case 11:
		put(o, "%s", code == 1 ? "ip reassembly time exceeded" : "time exceeded in-transit");
		break;
	case 5: put(o, "redirect"); break;
	case 12: put(o, "parameter problem"); break;
	case 13: put(o, "time stamp request"); break;
	case 14: put(o, "time stamp reply"); break;
	default: put(o, "type-#%u", type); break;
	}
	put(o, ", length %u", length);
}

/* The transport header a quoted IPv6 packet carries, after its extension
 * headers: *PROTO and a pointer to it, or NULL. */
static const uint8_t *ip6_upper(const uint8_t *ip6, uint32_t n, uint8_t *proto)
{
	uint8_t nh = ip6[6];
	uint32_t off = 40;

	for (int i = 0; i < 8; i++) {
		if (nh == 0 || nh == 43 || nh == 60) {
			if (off + 2 > n)
				return NULL;
			uint8_t next = ip6[off];
			off += ((uint32_t)ip6[off + 1] + 1) * 8;
			nh = next;
		} else if (nh == 44) {
			if (off + 8 > n)
				return NULL;
			nh = ip6[off];
			off += 8;
		} else {
			break;
		}
	}
	if (off + 4 > n)
		return NULL;
	*proto = nh;
	return ip6 + off;
}

static void icmp6(struct out *o, struct span s, uint32_t length)
{
	char x[INET6_ADDRSTRLEN];

	put(o, "ICMP6, ");
	if (s.n < 4) {
		put(o, "[|icmp6]");
		return;
	}
	uint8_t type = s.p[0], code = s.p[1];
	switch (type) {
	case 1: {
		static const char *const why[] = {
			"unreachable route", "unreachable prohibited", "beyond scope",
			"unreachable address", "unreachable port",
		};
		put(o, "destination unreachable, ");
		if (code < 5)
			put(o, "%s", why[code]);
		else
			put(o, "unknown unreach code (%u)", code);
		if (s.n < 8 + 40) {
			put(o, "[|icmp6]");
			return;
		}
		const uint8_t *ip = s.p + 8;
		if (code == 4) {
			uint8_t proto;
			const uint8_t *u = ip6_upper(ip, s.n - 8, &proto);
			if (!u) {
				put(o, "[|icmp6]");
				return;
			}
			if (proto == 6 || proto == 17)
				put(o, ", %s %s port %u", ip6s(ip + 24, x), proto == 6 ? "tcp" : "udp",
				    be16(u + 2));
			else
				put(o, ", %s protocol %u port %u unreachable", ip6s(ip + 24, x), proto,
				    be16(u + 2));
		} else if (code == 0 || code == 1 || code == 3) {
			put(o, " %s", ip6s(ip + 24, x));
		}
		break;
	}
	case 2: put(o, "packet too big, mtu %u", s.n >= 8 ? be32(s.p + 4) : 0); break;
	case 3: put(o, "time exceeded in-transit"); break;
	case 4: put(o, "parameter problem"); break;
	case 128:
	case 129:
		if (s.n < 8) {
			put(o, "[|icmp6]");
			return;
		}
		put(o, "echo %s, id %u, seq %u", type == 128 ? "request" : "reply", be16(s.p + 4),
		    be16(s.p + 6));
		break;
	case 130: put(o, "multicast listener query"); break;
	case 131:
	case 132:
		put(o, "multicast listener %s", type == 131 ? "report" : "done");
		if (s.n >= 24)
			put(o, " max resp delay: %u addr: %s", be16(s.p + 4), ip6s(s.p + 8, x));
		break;
	case 133: put(o, "router solicitation"); break;
	case 134: put(o, "router advertisement"); break;
	case 135:
		if (s.n < 24) {
			put(o, "neighbor solicitation[|icmp6]");
			return;
		}
		put(o, "neighbor solicitation, who has %s", ip6s(s.p + 8, x));
		break;
	case 136:
		if (s.n < 24) {
			put(o, "neighbor advertisement[|icmp6]");
			return;
		}
		put(o, "neighbor advertisement, tgt is %s", ip6s(s.p + 8, x));
		break;
	case 137: put(o, "redirect"); break;
	case 143:
		if (s.n < 8) {
			put(o, "multicast listener report v2[|icmp6]");
			return;
		}
		put(o, "multicast listener report v2, %u group record(s)", be16(s.p + 6));
		break;
	default: put(o, "unknown icmp6 type (%u)", type); break;
	}
	put(o, ", length %u", length);
}

/* ---- IP ---------------------------------------------------------------------------- */

static void ip4(struct out *o, struct span s, uint32_t length)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	put(o, "IP ");
	if (s.n < 20) {
		put(o, "[|ip]");
		return;
	}
	uint32_t hlen = (uint32_t)(s.p[0] & 0xf) * 4, len = be16(s.p + 2);
	uint16_t off = be16(s.p + 6);
	uint8_t proto = s.p[9];

	if ((s.p[0] >> 4) != 4) {
		put(o, "IP%u ", s.p[0] >> 4);   /* tcpdump: wrong version */
		return;
	}
	if (hlen < 20) {
		put(o, "bad-hlen %u", hlen);
		return;
	}
	if (length < len)
		put(o, "truncated-ip - %u bytes missing! ", len - length);
	if (len < hlen) {
		put(o, "bad-len %u", len);
		return;
	}
	ip4s(s.p + 12, a);
	ip4s(s.p + 16, b);
	if (off & 0x1fff) {
		put(o, "%s > %s: ip-proto-%u", a, b, proto);
		return;
	}
	struct span l4 = { s.p + hlen, s.n > hlen ? s.n - hlen : 0 };
	uint32_t l4len = len - hlen;

	if (s.n < hlen) {
		put(o, "%s > %s: [|ip]", a, b);
		return;
	}
	switch (proto) {
	case 6: tcp(o, l4, l4len, a, b, true); return;
	case 17: udp(o, l4, l4len, a, b, true); return;
	}
	put(o, "%s > %s: ", a, b);
	switch (proto) {
	case 1: icmp(o, l4, l4len); break;
	default: put(o, " ip-proto-%u %u", proto, l4len); break;
	}
}

static void ip6(struct out *o, struct span s, uint32_t length)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	put(o, "IP6 ");
	if (s.n < 40) {
		put(o, "[|ip6]");
		return;
	}
	uint32_t plen = be16(s.p + 4), off = 40;
	uint8_t nh = s.p[6];
	bool first = true;

	(void)length;
	ip6s(s.p + 8, a);
	ip6s(s.p + 24, b);
	if (nh != 6 && nh != 17)
		put(o, "%s > %s: ", a, b);
	for (;;) {
		struct span l4 = { s.p + off, s.n > off ? s.n - off : 0 };
		uint32_t left = plen + 40 > off ? plen + 40 - off : 0;

		switch (nh) {
		case 0:
		case 60:
		case 43:
			if (l4.n < 2) {
				put(o, "[|ip6]");
				return;
			}
			put(o, "%s ", nh == 0 ? "HBH" : nh == 60 ? "DSTOPT" : "srcrt");
			nh = l4.p[0];
			off += ((uint32_t)l4.p[1] + 1) * 8;
			first = false;
			continue;
		case 44:
			if (l4.n < 8) {
				put(o, "[|frag]");
				return;
			}
			put(o, "frag (%u|%u)", be16(l4.p + 2) & 0xfff8, left - 8);
			if (be16(l4.p + 2) & 0xfff8)
				return;   /* not the first: no transport header */
			put(o, " ");
			nh = l4.p[0];
			off += 8;
			first = false;
			continue;
		case 6:
			tcp(o, l4, left, a, b, first);
			return;
		case 17:
			udp(o, l4, left, a, b, first);
			return;
		case 58:
			icmp6(o, l4, left);
			return;
		case 59:
			put(o, "no next header");
			return;
		default:
			put(o, "ip-proto-%u %u", nh, left);
			return;
		}
	}
}

/* ---- ARP and Ethernet -------------------------------------------------------------- */

static void arp(struct out *o, struct span s, uint32_t length)
{
	static const char *const ops[] = {
		NULL, "Request", "Reply", "Reverse Request", "Reverse Reply",
	};
	char x[INET6_ADDRSTRLEN], y[INET6_ADDRSTRLEN];

	put(o, "ARP, ");
	if (s.n < 8) {
		put(o, "[|ARP]");
		return;
	}
	uint16_t op = be16(s.p + 6);
	if (be16(s.p) != 1 || be16(s.p + 2) != 0x0800 || s.p[4] != 6 || s.p[5] != 4) {
		put(o, "Unknown Hardware (%u), Unknown Protocol (0x%04x), length %u", be16(s.p),
		    be16(s.p + 2), length);
		return;
	}
	if (s.n < 28) {
		put(o, "[|ARP]");
		return;
	}
	const uint8_t *sha = s.p + 8, *spa = s.p + 14, *tha = s.p + 18, *tpa = s.p + 24;
	if (op >= 1 && op <= 4)
		put(o, "%s ", ops[op]);
	else
		put(o, "Unknown (%u) ", op);
	switch (op) {
	case 1:
		put(o, "who-has %s", ip4s(tpa, x));
		if (memcmp(tha, "\0\0\0\0\0\0", 6)) {
			put(o, " (");
			mac(o, tha);
			put(o, ")");
		}
		put(o, " tell %s", ip4s(spa, y));
		break;
	case 2:
		put(o, "%s is-at ", ip4s(spa, x));
		mac(o, sha);
		break;
	case 3:
		put(o, "who-is ");
		mac(o, tha);
		put(o, " tell ");
		mac(o, sha);
		break;
	case 4:
		mac(o, tha);
		put(o, " at %s", ip4s(tpa, x));
		break;
	default:
		break;
	}
	put(o, ", length %u", length);
}

char *pl_pkt_line(char *buf, size_t buflen, const uint8_t *data, uint32_t caplen, uint32_t len)
{
	struct out o = { buf, 0, buflen };
	uint32_t off = 12;
	uint16_t type;

	if (!buflen)
		return buf;
	buf[0] = 0;
	if (caplen < 14) {
		put(&o, "[|ether]");
		return buf;
	}
	type = be16(data + 12);
	/* VLAN tags: skipped, as tcpdump does without -e. */
	while ((type == 0x8100 || type == 0x88a8 || type == 0x9100) && caplen >= off + 6) {
		off += 4;
		type = be16(data + off);
	}
	off += 2;
	struct span s = { data + off, caplen > off ? caplen - off : 0 };
	uint32_t rest = len > off ? len - off : 0;

	switch (type) {
	case 0x0800: ip4(&o, s, rest); break;
	case 0x86dd: ip6(&o, s, rest); break;
	case 0x0806: arp(&o, s, rest); break;
	default:
		mac(&o, data + 6);
		put(&o, " > ");
		mac(&o, data);
		put(&o, ", ethertype Unknown (0x%04x), length %u: ", type, len);
		break;
	}
	return buf;
}

char *pl_pkt_time(char *buf, size_t buflen, int64_t ts_ns)
{
	time_t sec = (time_t)(ts_ns / 1000000000);
	struct tm tm;

	localtime_r(&sec, &tm);
	snprintf(buf, buflen, "%02d:%02d:%02d.%06ld", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (long)(ts_ns % 1000000000 / 1000));
	return buf;
}
