/*
 * libFuzzer target for the gatekeeper.conf parser.  Also linked with a
 * plain replay main that feeds corpus files, so it defines nothing but
 * LLVMFuzzerTestOneInput.
 */

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "conf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
ignore(void *arg, const char *msg)
{
	/* Touch the message so a bad format or overread shows up. */
	volatile size_t n = 0;

	while (msg[n] != '\0')
		n++;
	(void)arg;
}

/* conf_print's output, counted and dropped: no write(2) per input (a
 * FILE on /dev/null made one per 4 KiB of output). */
static ssize_t
sink_write(void *cookie, const char *buf, size_t n)
{
	*(size_t *)cookie += n;
	return (ssize_t)n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE	*sink;
	static size_t	 printed;
	cookie_io_functions_t io = { NULL, sink_write, NULL, NULL };
	struct gk_config c;

	/* Opened once and kept. */
	if (sink == NULL && (sink = fopencookie(&printed, "w", io)) == NULL)
		return 0;
	conf_init(&c);
	conf_parse_buf(&c, "fuzz.conf", (const char *)data, size, ignore,
	    NULL);
	conf_print(sink, &c);
	fflush(sink);
	return 0;
}
