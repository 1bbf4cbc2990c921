/*
 * libFuzzer target for the resolv.conf reader and the set dnsd's output
 * rule is built from (gatekeeperd/dnsout.c): /etc/resolv.conf is written
 * by the WAN's DHCP client from what the ISP's server sent. Also linked
 * with the plain replay main, so it defines nothing but
 * LLVMFuzzerTestOneInput.
 */
#include <arpa/inet.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netcfg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in_addr	 up[CONF_MAX_UPSTREAM], lan;
	struct dnsout	 d, e;
	int		 n, i, prefix;

	n = resolv_conf_parse((const char *)data, size, up, CONF_MAX_UPSTREAM);
	if (n < 0 || n > CONF_MAX_UPSTREAM)
		abort();
	/* The first bytes pick a LAN for the set built from the result. */
	lan.s_addr = 0;
	if (size >= 4)
		memcpy(&lan.s_addr, data, 4);
	prefix = size >= 5 ? data[4] % 34 : 24;
	dnsout_build(&d, 1000, lan, prefix, up, n);
	if (d.nup > n || d.prefix < 0 || d.prefix > 32)
		abort();
	for (i = 1; i < d.nup; i++)
		if (ntohl(d.up[i - 1].s_addr) >= ntohl(d.up[i].s_addr))
			abort();	/* sorted and unique */
	dnsout_build(&e, 1000, lan, prefix, d.up, d.nup);
	if (!dnsout_equal(&d, &e))
		abort();	/* building again changes nothing */
	return 0;
}
