/* test_pkt_line.c — the tcpdump -n -S style lines of live capture
 * (pkt_line.c), on frames built here: each expected line is what tcpdump
 * 4.99 prints for that frame (capture_live.sh compares the lines of real
 * traffic with tcpdump itself). No root needed. */
#include "harness.h"

#include "packets/pkt_line.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint8_t f[256];
static uint32_t n;

static void eth(uint16_t type)
{
	static const uint8_t dst[6] = { 2, 0, 0, 0, 0, 2 }, src[6] = { 2, 0, 0, 0, 0, 1 };

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = type >> 8;
	f[13] = type & 0xff;
	n = 14;
}

static void add(const void *p, uint32_t len)
{
	memcpy(f + n, p, len);
	n += len;
}

/* An IPv4 header: total length LEN (of the IP packet), protocol, frag word. */
static void ip4(uint16_t len, uint8_t proto, uint16_t frag)
{
	uint8_t h[20] = { 0x45, 0, len >> 8, len & 0xff, 0, 1, frag >> 8, frag & 0xff, 64, proto, 0, 0,
			  198, 18, 0, 1, 198, 18, 0, 2 };
	add(h, 20);
}

/* The line for the N bytes built, of a frame of N + CUT on the wire. */
static void expect_cut(const char *want, uint32_t cut)
{
	char line[512];

	pl_pkt_line(line, sizeof(line), f, n, n + cut);
	CHECK_MSG(!strcmp(line, want), "got  '%s'\nwant '%s'", line, want);
}

static void expect(const char *want)
{
	expect_cut(want, 0);
}

static void test_udp_icmp(void)
{
	uint8_t udp[8] = { 0xa9, 0x4a, 0, 9, 0, 8 + 18, 0, 0 }, pay[18] = { 0 };

	eth(0x0800);
	ip4(20 + 8 + 18, 17, 0);
	add(udp, 8);
	add(pay, 18);
	expect("IP 198.18.0.1.43338 > 198.18.0.2.9: UDP, length 18");

	/* The same behind VLAN 100 and QinQ: the tags are not printed. */
	uint8_t copy[256];
	uint32_t len = n;
	memcpy(copy, f, n);
	eth(0x8100);
	uint8_t tag[4] = { 0, 100, 0x08, 0x00 };
	add(tag, 4);
	add(copy + 14, len - 14);
	expect("IP 198.18.0.1.43338 > 198.18.0.2.9: UDP, length 18");

	uint8_t echo[8] = { 8, 0, 0, 0, 0x12, 0x34, 0, 7 };
	eth(0x0800);
	ip4(20 + 8 + 56, 1, 0);
	add(echo, 8);
	n += 56;
	expect("IP 198.18.0.1 > 198.18.0.2: ICMP echo request, id 4660, seq 7, length 64");

	/* Port unreachable quoting a UDP datagram to port 9. */
	uint8_t unreach[8] = { 3, 3, 0, 0, 0, 0, 0, 0 };
	eth(0x0800);
	ip4(20 + 8 + 28, 1, 0);
	add(unreach, 8);
	ip4(28, 17, 0);
	add(udp, 8);
	expect("IP 198.18.0.1 > 198.18.0.2: ICMP 198.18.0.2 udp port 9 unreachable, length 36");

	/* A later fragment: no transport header to print. */
	eth(0x0800);
	ip4(20 + 100, 17, 185);
	n += 100;
	expect("IP 198.18.0.1 > 198.18.0.2: ip-proto-17");

	/* A protocol without a printer. */
	eth(0x0800);
	ip4(20 + 24, 47, 0);
	n += 24;
	expect("IP 198.18.0.1 > 198.18.0.2:  ip-proto-47 24");
}

static void test_tcp(void)
{
	uint8_t syn[40] = { 0xbe, 0xef, 0x13, 0x89, 0, 0, 0x30, 0x39, 0, 0, 0, 0, 0xa0, 0x02, 0xfa, 0xf0,
			    0, 0, 0, 0,
			    2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7 };

	eth(0x0800);
	ip4(60, 6, 0x4000);
	add(syn, 40);
	expect("IP 198.18.0.1.48879 > 198.18.0.2.5001: Flags [S], seq 12345, win 64240, "
	       "options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7], length 0");

	uint8_t data[20] = { 0x13, 0x89, 0xbe, 0xef, 0, 0, 0, 100, 0, 0, 0, 200, 0x50, 0x18, 1, 0,
			     0, 0, 0, 0 };
	eth(0x0800);
	ip4(20 + 20 + 10, 6, 0);
	add(data, 20);
	n += 10;
	expect("IP 198.18.0.1.5001 > 198.18.0.2.48879: Flags [P.], seq 100:110, ack 200, win 256, length 10");

	/* Cut inside the TCP header. */
	eth(0x0800);
	ip4(20 + 20, 6, 0);
	add(data, 10);
	expect_cut("IP 198.18.0.1.5001 > 198.18.0.2.48879: [|tcp]", 10);
}

static void test_ip6_arp_other(void)
{
	uint8_t ip6[40] = { 0x60, 0, 0, 0, 0, 8 + 16, 58, 64,
			    0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 1,
			    0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 0, 2 };
	uint8_t echo6[8] = { 128, 0, 0, 0, 0x12, 0x34, 0, 1 };

	eth(0x86dd);
	add(ip6, 40);
	add(echo6, 8);
	n += 16;
	expect("IP6 fe80::7:1 > fe80::7:2: ICMP6, echo request, id 4660, seq 1, length 24");

	/* UDP behind a hop-by-hop header: the ports alone after "HBH". */
	uint8_t hbh[8] = { 17, 0, 1, 4, 0, 0, 0, 0 }, udp[8] = { 0x9c, 0x40, 0, 9, 0, 10, 0, 0 };
	ip6[6] = 0;
	ip6[5] = 8 + 10;
	eth(0x86dd);
	add(ip6, 40);
	add(hbh, 8);
	add(udp, 8);
	n += 2;
	expect("IP6 fe80::7:1 > fe80::7:2: HBH 40000 > 9: UDP, length 2");

	uint8_t arp[28] = { 0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 198, 18, 7, 1,
			    0, 0, 0, 0, 0, 0, 198, 18, 7, 2 };
	eth(0x0806);
	add(arp, 28);
	expect("ARP, Request who-has 198.18.7.2 tell 198.18.7.1, length 28");
	f[14 + 7] = 2;
	expect("ARP, Reply 198.18.7.1 is-at 02:00:00:00:00:01, length 28");

	eth(0x88b5);
	n += 46;
	expect("02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype Unknown (0x88b5), length 60: ");

	n = 10;
	expect("[|ether]");
}

static void test_time(void)
{
	char t[32];

	pl_pkt_time(t, sizeof(t), 1700000000123456789LL);
	CHECK(strlen(t) == 15 && t[2] == ':' && t[5] == ':' && !strcmp(t + 8, ".123456"));
}

int main(void)
{
	RUN(test_udp_icmp);
	RUN(test_tcp);
	RUN(test_ip6_arp_other);
	RUN(test_time);
	return pl_test_summary();
}
