/*
 * libFuzzer target for the protocol decoder: every datagram a child or
 * gkctl can send passes proto_decode() before anything else looks at it.
 */
#include <stdint.h>
#include <string.h>

#include "proto.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_msg msg;
	volatile uint8_t sink = 0;
	size_t		 i;

	if (proto_decode(data, size, &msg) != NULL)
		return 0;
	/* An accepted message is read whole by its handler: touch it all. */
	for (i = 0; i < msg.len; i++)
		sink ^= msg.data[i];
	(void)sink;
	return 0;
}
