/*
 * libFuzzer target for webd's reading of the capture region: natd writes
 * it, but webd must never trust its bytes. The input is laid over a
 * region of three 4 KiB rings; when its first byte is odd a valid header
 * is laid over it too, so the fuzzer spends its time in the slots and
 * records rather than in the magic. Every slot is snapshotted and walked
 * to the end; every byte of every record is read, and a GSO record is
 * cut into its segments as the pcap writer does.
 */
#include <stdint.h>
#include <string.h>

#include "capring.h"

#define REGION	(4 * 4096)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t	 region[REGION], copy[REGION], seg[65536];
	struct cap_hdr	 h;
	struct cap_layout l;
	struct cap_snap	 s;
	struct cap_pkt	 k;
	volatile uint8_t sink = 0;
	uint32_t	 i, j, n;
	uint16_t	 hl;

	memset(region, 0, sizeof(region));
	memcpy(region, data, size < sizeof(region) ? size : sizeof(region));
	if (size > 0 && (data[0] & 1)) {
		memset(&h, 0, sizeof(h));
		h.magic = CAP_MAGIC;
		h.version = CAP_VERSION;
		h.snaplen = 4000;
		h.total = REGION;
		h.ring_size = 4096;
		h.data_off = 4096;
		h.nslots = 3;
		memcpy(region, &h, sizeof(h));
	}
	if (cap_layout(region, sizeof(region), &l) == -1)
		return 0;
	for (i = 0; i < l.nslots; i++) {
		if (cap_snapshot(region, &l, (int)i, copy, sizeof(copy),
		    &s) != 0)
			continue;
		while (cap_next(&s, &k)) {
			for (j = 0; j < k.caplen; j++)
				sink ^= k.data[j];
			/* A GSO record's headers are as hostile as the rest. */
			n = cap_segs(&k, &hl);
			for (j = 0; n > 1 && j < n; j++)
				sink ^= seg[cap_seg(&k, j, n, hl, seg) - 1];
		}
	}
	(void)sink;
	return 0;
}
