/*
 * What dnsd may send to (gatekeeperd/dnsout.c): the upstreams read from
 * a resolv.conf text, and the allowance the output rule is built from
 * (the LAN's network, the upstreams outside it, sorted and unique).
 */
#include <arpa/inet.h>

#include <string.h>

#include "check.h"
#include "netcfg.h"

static struct in_addr
ip(const char *s)
{
	struct in_addr	 a;

	CHECK(inet_pton(AF_INET, s, &a) == 1);
	return a;
}

static void
test_resolv_conf(void)
{
	const char	*t = "# written by the DHCP client on wan0\n"
	    "search example.net\n"
	    "nameserver 127.0.0.53\n"		/* a stub: unreachable */
	    "nameserver 203.0.113.1\n"
	    "  nameserver\t198.51.100.7  # second\n"
	    "nameserver 2001:db8::1\n"		/* IPv6: dnsd asks IPv4 */
	    "nameserver 203.0.113.1\n"		/* again */
	    "nameserver 0.0.0.0\n"
	    "nameserver 224.0.0.1\n"
	    "nameserver 300.1.1.1\n"
	    "#nameserver 192.0.2.9\n"
	    "options edns0\n"
	    "nameserver 192.0.2.53";		/* no newline at the end */
	struct in_addr	 up[CONF_MAX_UPSTREAM];
	char		 longline[600];
	int		 n;

	n = resolv_conf_parse(t, strlen(t), up, CONF_MAX_UPSTREAM);
	CHECK(n == 3);
	CHECK(up[0].s_addr == ip("203.0.113.1").s_addr);
	CHECK(up[1].s_addr == ip("198.51.100.7").s_addr);
	CHECK(up[2].s_addr == ip("192.0.2.53").s_addr);
	/* at most max */
	CHECK(resolv_conf_parse(t, strlen(t), up, 1) == 1);
	CHECK(up[0].s_addr == ip("203.0.113.1").s_addr);
	/* the length counts, not a NUL */
	CHECK(resolv_conf_parse(t, 0, up, CONF_MAX_UPSTREAM) == 0);
	CHECK(resolv_conf_parse("nameserver 192.0.2.1\n", 14, up,
	    CONF_MAX_UPSTREAM) == 0);
	/* an over-long line is cut, the next still read */
	memset(longline, 'x', sizeof(longline));
	memcpy(longline + sizeof(longline) - 22, "\nnameserver 192.0.2.2",
	    21);
	longline[sizeof(longline) - 1] = '\n';
	CHECK(resolv_conf_parse(longline, sizeof(longline), up,
	    CONF_MAX_UPSTREAM) == 1);
	CHECK(up[0].s_addr == ip("192.0.2.2").s_addr);
}

static void
test_build(void)
{
	struct in_addr	 up[CONF_MAX_UPSTREAM];
	struct dnsout	 a, b;

	up[0] = ip("203.0.113.1");
	up[1] = ip("10.42.0.9");	/* in the LAN: allowed whole anyway */
	up[2] = ip("198.51.100.7");
	up[3] = ip("203.0.113.1");	/* twice */
	up[4] = ip("127.0.0.1");	/* a local resolver of the config */
	dnsout_build(&a, 107, ip("10.42.0.1"), 24, up, 5);
	CHECK(a.uid == 107);
	CHECK(a.lan.s_addr == ip("10.42.0.0").s_addr && a.prefix == 24);
	CHECK(a.nup == 3);
	CHECK(a.up[0].s_addr == ip("127.0.0.1").s_addr);
	CHECK(a.up[1].s_addr == ip("198.51.100.7").s_addr);
	CHECK(a.up[2].s_addr == ip("203.0.113.1").s_addr);
	/* another order: the same set */
	up[0] = ip("127.0.0.1");
	up[4] = ip("203.0.113.1");
	dnsout_build(&b, 107, ip("10.42.0.77"), 24, up, 5);
	CHECK(dnsout_equal(&a, &b));
	/* an upstream gone, another uid, another LAN: not the same */
	dnsout_build(&b, 107, ip("10.42.0.1"), 24, up, 4);
	CHECK(b.nup == 3 && dnsout_equal(&a, &b));
	dnsout_build(&b, 107, ip("10.42.0.1"), 24, up, 3);
	CHECK(b.nup == 2 && !dnsout_equal(&a, &b));
	dnsout_build(&b, 108, ip("10.42.0.1"), 24, up, 5);
	CHECK(!dnsout_equal(&a, &b));
	dnsout_build(&b, 107, ip("10.42.0.1"), 16, up, 5);
	CHECK(!dnsout_equal(&a, &b) && b.lan.s_addr == ip("10.42.0.0").s_addr);
	/* no upstream: the LAN only */
	dnsout_build(&b, 107, ip("192.168.1.1"), 24, NULL, 0);
	CHECK(b.nup == 0 && b.lan.s_addr == ip("192.168.1.0").s_addr);
	/* prefixes at the edges, nonsense clamped to one address */
	dnsout_build(&b, 107, ip("192.168.1.1"), 32, up, 1);
	CHECK(b.lan.s_addr == ip("192.168.1.1").s_addr && b.nup == 1);
	dnsout_build(&b, 107, ip("192.168.1.1"), 0, up, 5);
	CHECK(b.lan.s_addr == 0 && b.prefix == 0 && b.nup == 0);
	dnsout_build(&b, 107, ip("192.168.1.1"), 40, up, 1);
	CHECK(b.prefix == 32);
	/* unroutable addresses never go in; more than the config's limit
	 * is cut */
	up[0] = ip("0.0.0.0");
	up[1] = ip("239.1.2.3");
	up[2] = ip("255.255.255.255");
	dnsout_build(&b, 107, ip("10.42.0.1"), 24, up, 3);
	CHECK(b.nup == 0);
	CHECK(strcmp(dnsout_mode_name(DNSOUT_REJECT), "reject") == 0);
	CHECK(strcmp(dnsout_mode_name(DNSOUT_DROP), "drop") == 0);
	CHECK(strcmp(dnsout_mode_name(DNSOUT_OFF), "off") == 0);
}

int
main(void)
{
	test_resolv_conf();
	test_build();
	return check_result();
}
