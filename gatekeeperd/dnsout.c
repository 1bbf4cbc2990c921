/*
 * Where dnsd may send packets (docs/security.md, "dnsd's output"): the
 * LAN, any port (answers to its clients), and its current upstreams,
 * port 53. Pure logic: the upstreams from the text of /etc/resolv.conf,
 * and the set rules.c loads from an upstream list. No I/O here.
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netcfg.h"

/* First octet 0 ("this host"), 127 (a stub dnsd cannot reach from its
 * chroot), multicast and above: no nameserver for dnsd. */
static int
resolv_usable(struct in_addr a)
{
	uint32_t	 h = ntohl(a.s_addr);

	return (h >> 24) != 0 && (h >> 24) != 127 && h < 0xe0000000U;
}

int
resolv_conf_parse(const char *text, size_t len, struct in_addr *out, int max)
{
	char		 line[256], addr[64];
	const char	*p = text, *end = text + len, *nl;
	struct in_addr	 a;
	size_t		 l;
	int		 i, n = 0, dup;

	while (p < end && n < max) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		l = (size_t)(nl - p);
		if (l >= sizeof(line))
			l = sizeof(line) - 1;	/* a nameserver line is short */
		memcpy(line, p, l);
		line[l] = '\0';
		p = nl + 1;
		if (sscanf(line, " nameserver %63s", addr) != 1 ||
		    inet_pton(AF_INET, addr, &a) != 1 || !resolv_usable(a))
			continue;
		for (i = 0, dup = 0; i < n; i++)
			dup |= out[i].s_addr == a.s_addr;
		if (!dup)
			out[n++] = a;
	}
	return n;
}

static int
addr_cmp(const void *a, const void *b)
{
	uint32_t	 x = ntohl(((const struct in_addr *)a)->s_addr);
	uint32_t	 y = ntohl(((const struct in_addr *)b)->s_addr);

	return x < y ? -1 : x > y;
}

void
dnsout_build(struct dnsout *d, uint32_t uid, struct in_addr lan_addr,
    int prefix, const struct in_addr *up, int nup)
{
	uint32_t	 mask, h;
	int		 i, j, dup;

	memset(d, 0, sizeof(*d));
	d->uid = uid;
	if (prefix < 0 || prefix > 32)
		prefix = 32;
	mask = prefix == 0 ? 0 : 0xffffffffU << (32 - prefix);
	d->lan.s_addr = htonl(ntohl(lan_addr.s_addr) & mask);
	d->prefix = prefix;
	if (nup > CONF_MAX_UPSTREAM)
		nup = CONF_MAX_UPSTREAM;
	for (i = 0; i < nup; i++) {
		h = ntohl(up[i].s_addr);
		/* the LAN is allowed whole; nothing to route to in these */
		if ((h & mask) == ntohl(d->lan.s_addr) || h == 0 ||
		    h >= 0xe0000000U)
			continue;
		for (j = 0, dup = 0; j < d->nup; j++)
			dup |= d->up[j].s_addr == up[i].s_addr;
		if (!dup)
			d->up[d->nup++] = up[i];
	}
	/* Sorted: the same upstreams in another order are the same set. */
	qsort(d->up, (size_t)d->nup, sizeof(d->up[0]), addr_cmp);
}

int
dnsout_equal(const struct dnsout *a, const struct dnsout *b)
{
	return a->uid == b->uid && a->lan.s_addr == b->lan.s_addr &&
	    a->prefix == b->prefix && a->nup == b->nup &&
	    memcmp(a->up, b->up, (size_t)a->nup * sizeof(a->up[0])) == 0;
}

const char *
dnsout_mode_name(enum dnsout_mode m)
{
	switch (m) {
	case DNSOUT_REJECT:
		return "reject";
	case DNSOUT_DROP:
		return "drop";
	default:
		return "off";
	}
}
