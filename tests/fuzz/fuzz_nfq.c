/*
 * libFuzzer target for natd's nfqueue message parser: the kernel is
 * trusted, but the parser must still never read past what it received.
 */
#include <stdint.h>
#include <string.h>

#include "nfq.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t	 buf[256 * 1024];
	struct nfq_pkt	 pkts[8];
	volatile uint8_t sink = 0;
	int		 n, i;
	size_t		 j;

	/* natd parses (and rewrites) in its own receive buffer. */
	if (size > sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	n = nfq_parse(buf, size, pkts, 8);
	for (i = 0; i < n; i++)
		for (j = 0; j < pkts[i].len; j++)
			sink ^= pkts[i].payload[j];
	(void)sink;
	return 0;
}
