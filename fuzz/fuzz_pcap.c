/* fuzz_pcap.c — the capture reader (pcap_file.c) on arbitrary files: every
 * packet read, its time normalized, its link header turned into Ethernet.
 * The input goes through a memfd, as a file would. */
#define _GNU_SOURCE
#include "packets/pcap_file.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[262144 + PL_PCAP_ETHER_GROWTH];
	char path[64], err[512];
	int fd = memfd_create("fuzz_pcap", MFD_CLOEXEC);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct pl_pcap_reader *r = pl_pcap_reader__open(path, err, sizeof(err));
	if (r) {
		struct pl_pcap_pkt pkt;
		int lt = pl_pcap_reader__linktype(r), n;
		while ((n = pl_pcap_reader__next(r, &pkt)) > 0) {
			const uint8_t *out;
			if (pkt.ts_nsec >= 1000000000u)
				abort();              /* the time must come normalized */
			if (pkt.caplen <= 262144)
				pl_pcap_to_ether(lt, pkt.data, pkt.caplen, frame, &out);
		}
		if (n < 0 && !pl_pcap_reader__error(r)[0])
			abort();                      /* an error says why */
		pl_pcap_reader__close(r);
	} else if (!err[0]) {
		abort();
	}
	close(fd);
	return 0;
}
