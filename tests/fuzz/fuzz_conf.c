/*
 * libFuzzer target for the gatekeeper.conf parser.  Also linked with a
 * plain replay main that feeds corpus files, so it defines nothing but
 * LLVMFuzzerTestOneInput.
 */

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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE	*devnull;
	struct gk_config c;

	/* Opened once and kept: one fd, not one per input. */
	if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL)
		return 0;
	conf_init(&c);
	conf_parse_buf(&c, "fuzz.conf", (const char *)data, size, ignore,
	    NULL);
	conf_print(devnull, &c);
	return 0;
}
