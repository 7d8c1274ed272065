/* pcap_digest.c — one line per packet of a capture file, without its time:
 * "WIRELEN CAPLEN DIGEST" (64-bit FNV-1a of the captured bytes, in hex).
 * capture_live.sh sorts two files' lines and compares them: the same
 * packets, byte for byte, whatever their order and timestamps, in a
 * fraction of the time a hex dump takes (its captures hold megabytes of
 * offloaded TCP).
 *   pcap_digest FILE      (pcap or pcapng, as libpcap reads them) */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *p;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: pcap_digest FILE\n");
		return 2;
	}
	p = pcap_open_offline(argv[1], err);
	if (!p) {
		fprintf(stderr, "pcap_digest: %s\n", err);
		return 1;
	}
	while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
		uint64_t x = 0xcbf29ce484222325ull;

		for (uint32_t i = 0; i < h->caplen; i++)
			x = (x ^ d[i]) * 0x100000001b3ull;
		printf("%u %u %016llx\n", h->len, h->caplen, (unsigned long long)x);
	}
	if (rc != PCAP_ERROR_BREAK) {
		fprintf(stderr, "pcap_digest: %s: %s\n", argv[1], pcap_geterr(p));
		return 1;
	}
	pcap_close(p);
	return 0;
}
