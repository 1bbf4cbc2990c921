/*
 * Unit tests for the gatekeeper.conf parser (common/conf.c).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "conf.h"
#include "util.h"

#define MAXERRS	64

struct errs {
	int	 n;
	char	 msg[MAXERRS][512];
};

static void
collect(void *arg, const char *msg)
{
	struct errs *e = arg;

	if (e->n < MAXERRS)
		strlcpy(e->msg[e->n], msg, sizeof(e->msg[0]));
	e->n++;
}

static int
parse(struct gk_config *c, struct errs *e, const char *text)
{
	conf_init(c);
	memset(e, 0, sizeof(*e));
	return conf_parse_buf(c, "t.conf", text, strlen(text), collect, e);
}

static int
has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void
dump(const char *text, const struct errs *e)
{
	int	 i;

	fprintf(stderr, "  input: %s\n", text);
	for (i = 0; i < e->n && i < MAXERRS; i++)
		fprintf(stderr, "  error: %s\n", e->msg[i]);
}

/* text must give exactly one error, starting with prefix. */
static void
expect_one(const char *text, const char *prefix)
{
	struct gk_config c;
	struct errs	 e;
	int		 n;

	n = parse(&c, &e, text);
	CHECK(n == 1 && e.n == 1 && has_prefix(e.msg[0], prefix));
	if (!(n == 1 && e.n == 1 && has_prefix(e.msg[0], prefix))) {
		fprintf(stderr, "  wanted one error starting %s\n", prefix);
		dump(text, &e);
	}
}

static void
expect_ok(const char *text)
{
	struct gk_config c;
	struct errs	 e;

	CHECK(parse(&c, &e, text) == 0);
	if (e.n != 0)
		dump(text, &e);
}

static const char example[] =
    "wan eth0\n"
    "lan eth1 eth2                    # several LAN ports are bridged\n"
    "lan-address 10.42.0.1/24\n"
    "dhcp-range 10.42.0.100 10.42.0.250\n"
    "lease-time 12h\n"
    "domain lan\n"
    "upstream 9.9.9.9 149.112.112.112  "
    "# default: nameservers of /etc/resolv.conf\n"
    "static-lease 52:54:00:12:34:56 10.42.0.10 printer\n"
    "port-forward tcp 8443 10.42.0.10 443\n"
    "nat-filtering udp endpoint-independent  # full cone (default for udp)\n"
    "nat-filtering tcp address-dependent     "
    "# default for tcp; also address-and-port-dependent\n"
    "web-listen 80\n"
    "capture-size 5M                  # per LAN device; 0 turns capture off\n"
    "history 24h\n"
    "history-memory 64M\n"
    "state-dir /var/lib/gatekeeper\n"
    "run-dir /run/gatekeeper\n";

static uint32_t
ip(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		abort();
	return a.s_addr;
}

static void
test_example(void)
{
	struct gk_config c;
	struct errs	 e;
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

	CHECK(parse(&c, &e, example) == 0);
	CHECK(e.n == 0);
	if (e.n)
		dump("example", &e);
	CHECK_STR(c.wan, "eth0");
	CHECK(c.nlan == 2);
	CHECK_STR(c.lan[0], "eth1");
	CHECK_STR(c.lan[1], "eth2");
	CHECK(c.lan_addr.s_addr == ip("10.42.0.1"));
	CHECK(c.lan_prefix == 24);
	CHECK(c.dhcp_start.s_addr == ip("10.42.0.100"));
	CHECK(c.dhcp_end.s_addr == ip("10.42.0.250"));
	CHECK(c.lease_time == 12 * 3600);
	CHECK_STR(c.domain, "lan");
	CHECK(c.nupstream == 2);
	CHECK(c.upstream[0].s_addr == ip("9.9.9.9"));
	CHECK(c.upstream[1].s_addr == ip("149.112.112.112"));
	CHECK(c.nstatic == 1);
	CHECK(memcmp(c.static_lease[0].mac, mac, 6) == 0);
	CHECK(c.static_lease[0].ip.s_addr == ip("10.42.0.10"));
	CHECK_STR(c.static_lease[0].name, "printer");
	CHECK(c.nforward == 1);
	CHECK(c.forward[0].proto == IPPROTO_TCP);
	CHECK(c.forward[0].wan_port == 8443);
	CHECK(c.forward[0].ip.s_addr == ip("10.42.0.10"));
	CHECK(c.forward[0].port == 443);
	CHECK(c.filter_udp == NAT_FILTER_ENDPOINT_INDEPENDENT);
	CHECK(c.filter_tcp == NAT_FILTER_ADDRESS_DEPENDENT);
	CHECK(c.web_port == 80);
	CHECK(c.web_tls_port == 443);
	CHECK(c.capture_size == 5 * 1024 * 1024);
	CHECK(c.history == 24 * 3600);
	CHECK(c.history_memory == 64 * 1024 * 1024);
	CHECK_STR(c.state_dir, "/var/lib/gatekeeper");
	CHECK_STR(c.run_dir, "/run/gatekeeper");
}

static void
test_defaults(void)
{
	struct gk_config c;
	struct errs	 e;

	CHECK(parse(&c, &e, "") == 0);
	CHECK(parse(&c, &e, "# only a comment\n\n   \t \n") == 0);
	CHECK_STR(c.wan, "");
	CHECK(c.nlan == 0);
	CHECK(c.lan_addr.s_addr == 0);
	CHECK(c.lan_prefix == 0);
	CHECK(c.dhcp_start.s_addr == 0 && c.dhcp_end.s_addr == 0);
	CHECK(c.lease_time == 12 * 3600);
	CHECK_STR(c.domain, "lan");
	CHECK(c.nupstream == 0);
	CHECK(c.nstatic == 0);
	CHECK(c.nforward == 0);
	CHECK(c.filter_udp == NAT_FILTER_ENDPOINT_INDEPENDENT);
	CHECK(c.filter_tcp == NAT_FILTER_ADDRESS_DEPENDENT);
	CHECK(c.web_port == 80);
	CHECK(c.capture_size == 5 * 1024 * 1024);
	CHECK(c.capture_total == 64 * 1024 * 1024);
	CHECK(c.history == 24 * 3600);
	CHECK(c.history_memory == 64 * 1024 * 1024);
	CHECK_STR(c.state_dir, CONF_DEFAULT_STATE_DIR);
	CHECK_STR(c.run_dir, CONF_DEFAULT_RUN_DIR);
	CHECK_STR(conf_filtering_name(NAT_FILTER_ADDRESS_PORT_DEPENDENT),
	    "address-and-port-dependent");
}

static void
test_messages(void)
{
	struct gk_config c;
	struct errs	 e;
	const char	*text = "wan eth0\n\nlease-time 12x\n\nfoo bar\n";

	conf_init(&c);
	memset(&e, 0, sizeof(e));
	CHECK(conf_parse_buf(&c, "gatekeeper.conf", text, strlen(text),
	    collect, &e) == 2);
	CHECK(e.n == 2);
	CHECK_STR(e.msg[0], "gatekeeper.conf:3: lease-time: expected a "
	    "duration like 12h, got \"12x\"");
	CHECK_STR(e.msg[1], "gatekeeper.conf:5: unknown statement \"foo\"");
	/* The good line before the errors still counts. */
	CHECK_STR(c.wan, "eth0");

	/* Bytes from the file are escaped, and long words cut. */
	CHECK(parse(&c, &e, "wan e\x01th\"0\n") == 1);
	CHECK_STR(e.msg[0], "t.conf:1: wan: expected an interface name "
	    "(1-15 characters, no '/'), got \"e\\x01th\\\"0\"");
	CHECK(parse(&c, &e, "domain "
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "\n") == 1);
	CHECK(strstr(e.msg[0], "...\"") != NULL);

	/* A null callback is allowed: only the count comes back. */
	conf_init(&c);
	CHECK(conf_parse_buf(&c, "t.conf", "x\ny\n", 4, NULL, NULL) == 2);
}

/* Every statement's bad forms, each one error at the right line. */
static void
test_bad_forms(void)
{
	static const struct {
		const char *text, *prefix;
	} t[] = {
		{ "wan", "t.conf:1: wan: missing argument" },
		{ "wan eth0 eth1", "t.conf:1: wan: too many arguments" },
		{ "wan abcdefghijklmnop", "t.conf:1: wan: expected an interface" },
		{ "wan eth/0", "t.conf:1: wan: expected an interface" },
		{ "wan eth:0", "t.conf:1: wan: expected an interface" },
		{ "wan ..", "t.conf:1: wan: expected an interface" },
		{ "\nwan eth\v0", "t.conf:2: wan: expected an interface" },
		{ "lan", "t.conf:1: lan: missing argument" },
		{ "lan e0 e1 e2 e3 e4 e5 e6 e7 e8",
		    "t.conf:1: lan: expected at most 8 interfaces, got 9" },
		{ "lan eth1 eth1", "t.conf:1: lan: interface eth1 listed twice" },
		{ "lan eth1 bad/name", "t.conf:1: lan: expected an interface" },
		{ "lan-address 10.42.0.1", "t.conf:1: lan-address: expected an "
		    "address and prefix like 10.42.0.1/24, got \"10.42.0.1\"" },
		{ "lan-address 10.42.0/24", "t.conf:1: lan-address: expected" },
		{ "lan-address 10.42.0.1/", "t.conf:1: lan-address: expected" },
		{ "lan-address 10.42.0.1/x", "t.conf:1: lan-address: expected" },
		{ "lan-address 10.42.0.1/024", "t.conf:1: lan-address: expected" },
		{ "lan-address 10.42.0.1/33", "t.conf:1: lan-address: expected" },
		{ "lan-address 10.42.0.1/7", "t.conf:1: lan-address: expected a "
		    "prefix length from 8 to 30, got /7" },
		{ "lan-address 10.42.0.1/31", "t.conf:1: lan-address: expected a "
		    "prefix length from 8 to 30, got /31" },
		{ "lan-address 8.8.8.1/24", "t.conf:1: lan-address: expected a "
		    "private subnet" },
		{ "lan-address 172.32.0.1/24", "t.conf:1: lan-address: expected "
		    "a private subnet" },
		{ "lan-address 192.168.1.1/15", "t.conf:1: lan-address: expected "
		    "a private subnet" },
		{ "lan-address 10.42.0.0/24", "t.conf:1: lan-address: expected "
		    "a host address" },
		{ "lan-address 10.42.0.255/24", "t.conf:1: lan-address: expected "
		    "a host address" },
		{ "dhcp-range 10.0.0.1", "t.conf:1: dhcp-range: missing argument" },
		{ "dhcp-range 10.0.0.1 10.0.0.300", "t.conf:1: dhcp-range: "
		    "expected an IPv4 address like 10.42.0.100, got "
		    "\"10.0.0.300\"" },
		{ "dhcp-range 10.0.0.9 10.0.0.5", "t.conf:1: dhcp-range: "
		    "expected START <= END, got 10.0.0.9 > 10.0.0.5" },
		{ "dhcp-range 0.0.0.1 0.0.0.5", "t.conf:1: dhcp-range: "
		    "expected a unicast address" },
		{ "lease-time 12x", "t.conf:1: lease-time: expected a duration "
		    "like 12h, got \"12x\"" },
		{ "lease-time h", "t.conf:1: lease-time: expected a duration" },
		{ "lease-time -5m", "t.conf:1: lease-time: expected a duration" },
		{ "lease-time 12hh", "t.conf:1: lease-time: expected a duration" },
		{ "lease-time 59", "t.conf:1: lease-time: expected at least 60s, "
		    "got \"59\"" },
		{ "lease-time 99999999999", "t.conf:1: lease-time: expected a "
		    "duration" },
		{ "lease-time 50000d", "t.conf:1: lease-time: expected a "
		    "duration" },
		{ "domain -lan", "t.conf:1: domain: expected a domain name" },
		{ "domain lan-", "t.conf:1: domain: expected a domain name" },
		{ "domain home..lan", "t.conf:1: domain: expected a domain name" },
		{ "domain home.lan.", "t.conf:1: domain: expected a domain name" },
		{ "domain ho_me", "t.conf:1: domain: expected a domain name" },
		{ "upstream", "t.conf:1: upstream: missing argument" },
		{ "upstream 9.9.9", "t.conf:1: upstream: expected an IPv4 "
		    "address like 9.9.9.9, got \"9.9.9\"" },
		{ "upstream 1.1.1.1 1.1.1.1", "t.conf:1: upstream: 1.1.1.1 "
		    "listed twice" },
		{ "upstream 224.0.0.1", "t.conf:1: upstream: expected a unicast" },
		{ "upstream 1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5 1.1.1.6 "
		    "1.1.1.7 1.1.1.8 1.1.1.9", "t.conf:1: upstream: expected at "
		    "most 8 addresses, got 9" },
		{ "static-lease 52:54:00:12:34", "t.conf:1: static-lease: "
		    "missing argument" },
		{ "static-lease 52:54:00:12:34 10.0.0.1", "t.conf:1: "
		    "static-lease: expected a MAC address like "
		    "52:54:00:12:34:56, got \"52:54:00:12:34\"" },
		{ "static-lease 52:54:00:12:34:5g 10.0.0.1",
		    "t.conf:1: static-lease: expected a MAC address" },
		{ "static-lease 52-54-00-12-34-56 10.0.0.1",
		    "t.conf:1: static-lease: expected a MAC address" },
		{ "static-lease 52:54:00:12:34:56:78 10.0.0.1",
		    "t.conf:1: static-lease: expected a MAC address" },
		{ "static-lease 01:00:5e:00:00:01 10.0.0.1",
		    "t.conf:1: static-lease: expected a unicast MAC address" },
		{ "static-lease 00:00:00:00:00:00 10.0.0.1",
		    "t.conf:1: static-lease: expected a unicast MAC address" },
		{ "static-lease 52:54:00:12:34:56 10.0.0",
		    "t.conf:1: static-lease: expected a unicast IPv4 address" },
		{ "static-lease 52:54:00:12:34:56 10.0.0.1 bad_name",
		    "t.conf:1: static-lease: expected a host name" },
		{ "static-lease 52:54:00:12:34:56 10.0.0.1 a.b",
		    "t.conf:1: static-lease: expected a host name" },
		{ "static-lease 52:54:00:12:34:56 10.0.0.1 p x",
		    "t.conf:1: static-lease: too many arguments" },
		{ "port-forward tcp 80", "t.conf:1: port-forward: missing "
		    "argument" },
		{ "port-forward sctp 80 10.0.0.1", "t.conf:1: port-forward: "
		    "expected tcp or udp, got \"sctp\"" },
		{ "port-forward tcp 0 10.0.0.1", "t.conf:1: port-forward: "
		    "expected a port from 1 to 65535, got \"0\"" },
		{ "port-forward tcp 65536 10.0.0.1", "t.conf:1: port-forward: "
		    "expected a port from 1 to 65535, got \"65536\"" },
		{ "port-forward tcp +80 10.0.0.1", "t.conf:1: port-forward: "
		    "expected a port" },
		{ "port-forward udp 80 10.0.0.1 0", "t.conf:1: port-forward: "
		    "expected a port from 1 to 65535, got \"0\"" },
		{ "port-forward udp 80 host", "t.conf:1: port-forward: expected "
		    "a unicast IPv4 address" },
		{ "nat-filtering udp", "t.conf:1: nat-filtering: missing" },
		{ "nat-filtering icmp endpoint-independent",
		    "t.conf:1: nat-filtering: expected udp or tcp" },
		{ "nat-filtering tcp full-cone", "t.conf:1: nat-filtering: "
		    "expected endpoint-independent, address-dependent or "
		    "address-and-port-dependent, got \"full-cone\"" },
		{ "web-listen 0", "t.conf:1: web-listen: expected a port" },
		{ "web-listen 99999", "t.conf:1: web-listen: expected a port" },
		{ "web-listen http", "t.conf:1: web-listen: expected a port" },
		{ "web-listen 80x", "t.conf:1: web-listen: expected a port" },
		{ "web-tls-listen 0", "t.conf:1: web-tls-listen: expected a "
		    "port" },
		{ "capture-size 5X", "t.conf:1: capture-size: expected a size "
		    "like 5M" },
		{ "capture-size M", "t.conf:1: capture-size: expected a size" },
		{ "capture-total 512K", "t.conf:1: capture-total: expected a "
		    "size from 1M to 16G" },
		{ "capture-total 17G", "t.conf:1: capture-total: expected a "
		    "size from 1M to 16G" },
		{ "capture-total 0", "t.conf:1: capture-total: expected a "
		    "size from 1M to 16G" },
		{ "capture-size 5MB", "t.conf:1: capture-size: expected a size" },
		{ "capture-size 99999999999999999999",
		    "t.conf:1: capture-size: expected a size" },
		{ "capture-size 17179869184G", "t.conf:1: capture-size: "
		    "expected a size" },
		{ "history 0", "t.conf:1: history: expected a duration" },
		{ "history 1w", "t.conf:1: history: expected a duration" },
		{ "history-memory 512K", "t.conf:1: history-memory: expected "
		    "a size from 1M to 4G" },
		{ "history-memory 5G", "t.conf:1: history-memory: expected "
		    "a size from 1M to 4G" },
		{ "history-memory lots", "t.conf:1: history-memory: expected "
		    "a size" },
		{ "state-dir var/lib", "t.conf:1: state-dir: expected an "
		    "absolute path, got \"var/lib\"" },
		{ "run-dir run", "t.conf:1: run-dir: expected an absolute path" },
		{ "run-dir /run/gk\x7f", "t.conf:1: run-dir: expected an "
		    "absolute path" },
		{ "WAN eth0", "t.conf:1: unknown statement \"WAN\", did you "
		    "mean \"wan\"?" },
		{ "  \t lease-time\t12x # comment",
		    "t.conf:1: lease-time: expected a duration" },
		{ "a b c d e f g h i j k l m n o p q r s t u v w x y z "
		    "1 2 3 4 5 6 7", "t.conf:1: too many words" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		expect_one(t[i].text, t[i].prefix);
}

static void
test_good_forms(void)
{
	struct gk_config c;
	struct errs	 e;

	expect_ok("wan enp0s31f6\n");
	expect_ok("wan abcdefghijklmno\n");
	expect_ok("lan e0 e1 e2 e3 e4 e5 e6 e7\n");
	expect_ok("lan-address 172.16.5.1/12\n");
	expect_ok("lan-address 192.168.1.254/30\n");
	expect_ok("lan-address 10.0.0.1/8\n");
	expect_ok("upstream 127.0.0.53\n");
	expect_ok("port-forward udp 65535 10.0.0.1 1\n");
	expect_ok("nat-filtering tcp address-and-port-dependent\n"
	    "nat-filtering udp address-dependent\n");
	expect_ok("capture-size 0\n");
	expect_ok("wan eth0");		/* no newline at the end */
	expect_ok("wan eth0\r\nlan eth1\r\n");	/* CRLF */
	expect_ok("wan eth0# comment touching the word\n");

	CHECK(parse(&c, &e, "domain Home.Example-1.LAN\n"
	    "static-lease 52:54:00:AB:cd:EF 10.0.0.2 NAS\n"
	    "port-forward udp 53 10.0.0.2\n") == 0);
	CHECK_STR(c.domain, "home.example-1.lan");
	CHECK_STR(c.static_lease[0].name, "nas");
	CHECK(c.static_lease[0].mac[3] == 0xab && c.static_lease[0].mac[5] ==
	    0xef);
	CHECK(c.forward[0].proto == IPPROTO_UDP);
	CHECK(c.forward[0].port == 53);

	CHECK(parse(&c, &e, "static-lease 52:54:00:00:00:01 10.0.0.2\n") == 0);
	CHECK_STR(c.static_lease[0].name, "");
}

/* Labels up to 63 characters, names up to 253. */
static void
test_name_lengths(void)
{
	char	 label[64], text[300];
	int	 i;

	memset(label, 'a', 63);
	label[63] = '\0';
	snprintf(text, sizeof(text), "domain %s", label);
	expect_ok(text);
	snprintf(text, sizeof(text), "static-lease 52:54:00:00:00:01 "
	    "10.0.0.2 %s", label);
	expect_ok(text);
	snprintf(text, sizeof(text), "domain %sb", label);
	expect_one(text, "t.conf:1: domain: expected a domain name");
	snprintf(text, sizeof(text), "static-lease 52:54:00:00:00:01 "
	    "10.0.0.2 %sb", label);
	expect_one(text, "t.conf:1: static-lease: expected a host name");

	/* 4 x 63 + 3 dots = 255; cut to exactly 253 and 254. */
	strlcpy(text, "domain ", sizeof(text));
	for (i = 0; i < 4; i++) {
		if (i > 0)
			strlcat(text, ".", sizeof(text));
		strlcat(text, label, sizeof(text));
	}
	text[7 + 254] = '\0';
	expect_one(text, "t.conf:1: domain: expected a domain name");
	text[7 + 253] = '\0';
	expect_ok(text);
}

static void
test_history_memory(void)
{
	struct gk_config c;
	struct errs	 e;

	CHECK(parse(&c, &e, "history-memory 8M\n") == 0);
	CHECK(c.history_memory == 8 * 1024 * 1024);
	CHECK(parse(&c, &e, "history-memory 1M\n") == 0);
	CHECK(c.history_memory == 1024 * 1024);
	CHECK(parse(&c, &e, "history-memory 4G\n") == 0);
	CHECK(c.history_memory == 4ULL * 1024 * 1024 * 1024);
	CHECK(parse(&c, &e, "history-memory 8M\nhistory-memory 9M\n") == 1);
}

static void
test_three_bad_lines(void)
{
	struct gk_config c;
	struct errs	 e;

	CHECK(parse(&c, &e,
	    "wan eth0\n"
	    "lease-time forever\n"
	    "# fine\n"
	    "web-listen 0\n"
	    "domain lan\n"
	    "\n"
	    "bogus\n"
	    "history 1h\n") == 3);
	CHECK(e.n == 3);
	CHECK(has_prefix(e.msg[0], "t.conf:2: lease-time:"));
	CHECK(has_prefix(e.msg[1], "t.conf:4: web-listen:"));
	CHECK_STR(e.msg[2], "t.conf:7: unknown statement \"bogus\"");
	/* Good lines around the errors are still applied. */
	CHECK_STR(c.wan, "eth0");
	CHECK(c.history == 3600);
	/* Bad statements leave the defaults. */
	CHECK(c.lease_time == 12 * 3600);
	CHECK(c.web_port == 80);
}

static void
test_duplicates(void)
{
	static const char *once[] = {
		"wan eth0", "lan eth1", "lan-address 10.0.0.1/24",
		"dhcp-range 10.0.0.10 10.0.0.20", "lease-time 1h",
		"domain lan", "upstream 1.1.1.1", "web-listen 80",
		"capture-size 1M", "capture-total 8M", "history 1h", "state-dir /a", "run-dir /b",
		"nat-filtering udp address-dependent",
	};
	struct gk_config c;
	struct errs	 e;
	char		 text[256], want[128];
	size_t		 i;

	for (i = 0; i < sizeof(once) / sizeof(once[0]); i++) {
		snprintf(text, sizeof(text), "%s\n# x\n%s\n", once[i], once[i]);
		snprintf(want, sizeof(want), "t.conf:3: %.*s: already given "
		    "at line 1", (int)strcspn(once[i], " "), once[i]);
		expect_one(text, want);
	}
	/* The first value stays. */
	CHECK(parse(&c, &e, "wan eth0\nwan eth9\n") == 1);
	CHECK_STR(c.wan, "eth0");
	/* udp and tcp filtering are separate statements. */
	expect_ok("nat-filtering udp address-dependent\n"
	    "nat-filtering tcp endpoint-independent\n");

	expect_one("static-lease 52:54:00:00:00:01 10.0.0.2 a\n"
	    "static-lease 52:54:00:00:00:01 10.0.0.3 b\n",
	    "t.conf:2: static-lease: MAC 52:54:00:00:00:01 already reserved "
	    "at line 1");
	expect_one("static-lease 52:54:00:00:00:01 10.0.0.2\n\n"
	    "static-lease 52:54:00:00:00:02 10.0.0.2\n",
	    "t.conf:3: static-lease: address 10.0.0.2 already reserved at "
	    "line 1");
	expect_one("static-lease 52:54:00:00:00:01 10.0.0.2 nas\n"
	    "static-lease 52:54:00:00:00:02 10.0.0.3 NAS\n",
	    "t.conf:2: static-lease: name nas already used at line 1");
	expect_one("port-forward tcp 80 10.0.0.2\n"
	    "port-forward tcp 80 10.0.0.3 8080\n",
	    "t.conf:2: port-forward: tcp port 80 already forwarded at line 1");
	/* Same port, other protocol: fine. */
	expect_ok("port-forward tcp 80 10.0.0.2\nport-forward udp 80 10.0.0.3\n");
	/* Two static leases without names do not clash on the name. */
	expect_ok("static-lease 52:54:00:00:00:01 10.0.0.2\n"
	    "static-lease 52:54:00:00:00:02 10.0.0.3\n");
}

static void
test_limits(void)
{
	struct gk_config c;
	struct errs	 e;
	char		*text, *s;
	size_t		 sz = (CONF_MAX_STATIC + 1) * 64;
	int		 i;

	if ((text = malloc(sz)) == NULL)
		abort();
	s = text;
	for (i = 0; i <= CONF_MAX_STATIC; i++)
		s += snprintf(s, sz - (size_t)(s - text),
		    "static-lease 52:54:00:00:%02x:%02x 10.1.%d.%d\n",
		    i >> 8, i & 0xff, i / 200, 1 + i % 200);
	CHECK(parse(&c, &e, text) == 1);
	CHECK(c.nstatic == CONF_MAX_STATIC);
	CHECK(e.n == 1 && has_prefix(e.msg[0], "t.conf:257: static-lease: "
	    "at most 256"));
	if (e.n != 1)
		dump("256 static leases", &e);

	s = text;
	for (i = 0; i <= CONF_MAX_FORWARDS; i++)
		s += snprintf(s, sz - (size_t)(s - text),
		    "port-forward udp %d 10.1.0.1\n", 1000 + i);
	CHECK(parse(&c, &e, text) == 1);
	CHECK(c.nforward == CONF_MAX_FORWARDS);
	CHECK(e.n == 1 && has_prefix(e.msg[0], "t.conf:257: port-forward: "
	    "at most 256"));
	free(text);
}

static void
test_cross_checks(void)
{
	struct gk_config c;
	struct errs	 e;

	/* Order does not matter: the subnet comes after the range. */
	expect_one("dhcp-range 10.9.0.100 10.9.0.200\n"
	    "lan-address 10.42.0.1/24\n",
	    "t.conf:1: dhcp-range: 10.9.0.100 is outside the LAN subnet "
	    "10.42.0.0/24");
	expect_one("lan-address 10.42.0.1/24\n"
	    "dhcp-range 10.42.0.100 10.42.1.200\n",
	    "t.conf:2: dhcp-range: 10.42.1.200 is outside the LAN subnet");
	expect_one("lan-address 10.42.0.1/24\n"
	    "dhcp-range 10.42.0.0 10.42.0.200\n",
	    "t.conf:2: dhcp-range: 10.42.0.0 is the network or broadcast");
	expect_one("lan-address 10.42.0.1/24\n"
	    "dhcp-range 10.42.0.100 10.42.0.255\n",
	    "t.conf:2: dhcp-range: 10.42.0.255 is the network or broadcast");
	expect_one("lan-address 10.42.0.1/24\n"
	    "dhcp-range 10.42.0.1 10.42.0.200\n",
	    "t.conf:2: dhcp-range: 10.42.0.1 is the router's own LAN address");
	expect_one("lan-address 10.42.0.50/24\n"
	    "dhcp-range 10.42.0.2 10.42.0.200\n",
	    "t.conf:2: dhcp-range: expected a range that leaves out the LAN "
	    "address 10.42.0.50");
	expect_one("static-lease 52:54:00:00:00:01 192.168.1.5 x\n"
	    "lan-address 10.42.0.1/24\n",
	    "t.conf:1: static-lease: 192.168.1.5 is outside the LAN subnet");
	expect_one("lan-address 10.42.0.1/24\n"
	    "static-lease 52:54:00:00:00:01 10.42.0.1\n",
	    "t.conf:2: static-lease: 10.42.0.1 is the router's own");
	expect_one("port-forward tcp 22 10.43.0.5\n"
	    "lan-address 10.42.0.1/24\n",
	    "t.conf:1: port-forward: 10.43.0.5 is outside the LAN subnet");
	expect_one("port-forward tcp 22 10.42.0.1\n"
	    "lan-address 10.42.0.1/24\n",
	    "t.conf:1: port-forward: 10.42.0.1 is the router's own");
	expect_one("lan eth1 eth0\nwan eth0\n",
	    "t.conf:1: lan: eth0 is the wan interface");

	/* Each offending statement at its own line, after the file. */
	CHECK(parse(&c, &e,
	    "static-lease 52:54:00:00:00:01 10.1.0.5\n"
	    "bogus\n"
	    "port-forward tcp 22 10.1.0.6\n"
	    "lan-address 192.168.7.1/24\n") == 3);
	CHECK(e.n == 3);
	CHECK(has_prefix(e.msg[0], "t.conf:2: unknown statement"));
	CHECK(has_prefix(e.msg[1], "t.conf:1: static-lease: 10.1.0.5"));
	CHECK(has_prefix(e.msg[2], "t.conf:3: port-forward: 10.1.0.6"));

	/* Without lan-address there is nothing to compare with. */
	expect_ok("dhcp-range 10.9.0.100 10.9.0.200\n"
	    "static-lease 52:54:00:00:00:01 192.168.1.5\n"
	    "port-forward tcp 22 172.16.0.9\n");
	/* A bad lan-address does not cause more errors elsewhere. */
	expect_one("lan-address 8.8.8.8/24\n"
	    "dhcp-range 10.9.0.100 10.9.0.200\n",
	    "t.conf:1: lan-address: expected a private subnet");
	/* Larger subnets work across octets. */
	expect_ok("lan-address 172.20.0.1/14\n"
	    "dhcp-range 172.21.0.1 172.23.255.254\n"
	    "static-lease 52:54:00:00:00:01 172.22.9.9\n");
}

static void
test_values(void)
{
	uint32_t s;
	uint64_t b;
	uint8_t	 mac[6];
	struct in_addr a;
	int	 p;

	CHECK(conf_parse_duration("0", &s) == 0 && s == 0);
	CHECK(conf_parse_duration("90", &s) == 0 && s == 90);
	CHECK(conf_parse_duration("90s", &s) == 0 && s == 90);
	CHECK(conf_parse_duration("5m", &s) == 0 && s == 300);
	CHECK(conf_parse_duration("12h", &s) == 0 && s == 43200);
	CHECK(conf_parse_duration("7d", &s) == 0 && s == 604800);
	CHECK(conf_parse_duration("4294967295", &s) == 0 && s == UINT32_MAX);
	CHECK(conf_parse_duration("4294967296", &s) == -1);
	CHECK(conf_parse_duration("49711d", &s) == -1);
	CHECK(conf_parse_duration("49710d", &s) == 0 && s == 49710U * 86400);
	CHECK(conf_parse_duration("71583m", &s) == 0);
	CHECK(conf_parse_duration("71583min", &s) == -1);
	CHECK(conf_parse_duration("", &s) == -1);
	CHECK(conf_parse_duration("h", &s) == -1);
	CHECK(conf_parse_duration("1.5h", &s) == -1);
	CHECK(conf_parse_duration("1H", &s) == -1);
	CHECK(conf_parse_duration(" 1h", &s) == -1);
	CHECK(conf_parse_duration("1h30m", &s) == -1);

	CHECK(conf_parse_size("0", &b) == 0 && b == 0);
	CHECK(conf_parse_size("1536", &b) == 0 && b == 1536);
	CHECK(conf_parse_size("64K", &b) == 0 && b == 65536);
	CHECK(conf_parse_size("5M", &b) == 0 && b == 5 << 20);
	CHECK(conf_parse_size("2G", &b) == 0 && b == 2ULL << 30);
	CHECK(conf_parse_size("18446744073709551615", &b) == 0 &&
	    b == UINT64_MAX);
	CHECK(conf_parse_size("18446744073709551616", &b) == -1);
	CHECK(conf_parse_size("18446744073709551620", &b) == -1);
	CHECK(conf_parse_size("99999999999999999999", &b) == -1);
	CHECK(conf_parse_size("17179869183G", &b) == 0);
	CHECK(conf_parse_size("17179869184G", &b) == -1);
	CHECK(conf_parse_size("", &b) == -1);
	CHECK(conf_parse_size("5T", &b) == -1);
	CHECK(conf_parse_size("-1", &b) == -1);

	CHECK(conf_parse_mac("52:54:00:12:34:56", mac) == 0 &&
	    mac[0] == 0x52 && mac[5] == 0x56);
	CHECK(conf_parse_mac("52:54:00:12:34:5", mac) == -1);
	CHECK(conf_parse_mac("52:54:00:12:34:567", mac) == -1);
	CHECK(conf_parse_mac("5:54:00:12:34:56", mac) == -1);
	CHECK(conf_parse_mac("", mac) == -1);

	CHECK(conf_parse_prefix("10.42.0.1/24", &a, &p) == 0 && p == 24 &&
	    a.s_addr == ip("10.42.0.1"));
	CHECK(conf_parse_prefix("10.42.0.1/0", &a, &p) == 0 && p == 0);
	CHECK(conf_parse_prefix("10.42.0.1/32", &a, &p) == 0 && p == 32);
	CHECK(conf_parse_prefix("10.42.0.1/33", &a, &p) == -1);
	CHECK(conf_parse_prefix("10.42.0.1", &a, &p) == -1);
	CHECK(conf_parse_prefix("10.42.0.1/24/1", &a, &p) == -1);
	CHECK(conf_parse_prefix("255.255.255.255.1/24", &a, &p) == -1);
	CHECK(conf_parse_prefix("/24", &a, &p) == -1);
}

static void
test_lines(void)
{
	struct gk_config c;
	struct errs	 e;
	char		 buf[CONF_MAX_LINE + 64];
	static const char nul[] = "wan eth0\nlan e\0th1\ndomain x\n";

	/* Exactly CONF_MAX_LINE characters is fine... */
	memset(buf, ' ', sizeof(buf));
	memcpy(buf, "wan eth0", 8);
	buf[CONF_MAX_LINE] = '\0';
	expect_ok(buf);
	/* ...one more is an error, and the next line is still read. */
	memset(buf, 'x', sizeof(buf));
	buf[0] = '#';
	buf[CONF_MAX_LINE + 1] = '\0';
	strlcat(buf, "\nwan eth0\nfoo\n", sizeof(buf));
	CHECK(parse(&c, &e, buf) == 2);
	CHECK(has_prefix(e.msg[0], "t.conf:1: line longer than 1024"));
	CHECK(has_prefix(e.msg[1], "t.conf:3: unknown statement"));
	CHECK_STR(c.wan, "eth0");

	/* A NUL byte is an error for its line only. */
	conf_init(&c);
	memset(&e, 0, sizeof(e));
	CHECK(conf_parse_buf(&c, "t.conf", nul, sizeof(nul) - 1, collect,
	    &e) == 1);
	CHECK_STR(e.msg[0], "t.conf:2: NUL byte in line");
	CHECK_STR(c.wan, "eth0");
	CHECK_STR(c.domain, "x");
	CHECK(c.nlan == 0);

	/* len is honoured: nothing after it is read. */
	conf_init(&c);
	CHECK(conf_parse_buf(&c, "t.conf", "wan eth0garbage", 8, collect,
	    &e) == 0);
	CHECK_STR(c.wan, "eth0");
	CHECK(conf_parse_buf(&c, "t.conf", "", 0, collect, &e) == 0);
}

/* Prints c into a malloc'ed string. */
static char *
print(const struct gk_config *c)
{
	char	*s = NULL;
	size_t	 len = 0;
	FILE	*fp;

	if ((fp = open_memstream(&s, &len)) == NULL)
		abort();
	conf_print(fp, c);
	fclose(fp);
	return s;
}

static void
round_trip(const char *text)
{
	struct gk_config a, b;
	struct errs	 e;
	char		*p1, *p2;

	CHECK(parse(&a, &e, text) == 0);
	if (e.n)
		dump(text, &e);
	p1 = print(&a);
	CHECK(parse(&b, &e, p1) == 0);
	if (e.n)
		dump(p1, &e);
	/* conf_init zeroes the whole struct, padding included. */
	CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	p2 = print(&b);
	CHECK_STR(p1, p2);
	free(p1);
	free(p2);
}

static void
test_round_trip(void)
{
	struct gk_config c;
	struct errs	 e;
	char		*s;

	round_trip(example);
	round_trip("");
	round_trip("lease-time 90\nhistory 3600\ncapture-size 1536\n");
	round_trip("lease-time 120\nhistory 7d\ncapture-size 3072\n");
	round_trip("capture-size 0\nhistory 86401\n");
	round_trip("history-memory 1536K\n");
	round_trip("capture-total 1M\n");
	round_trip("capture-total 16G\ncapture-size 64K\n");
	round_trip("capture-size 2048M\nlease-time 4294967295\n");
	round_trip("lan-address 10.42.0.1/24\nnat-timeout udp 5m\n"
	    "nat-timeout tcp-established 124m\nnat-timeout tcp-transitory 241\n"
	    "nat-timeout icmp 1d\nnat-timeout other 90s\ndhcp-mtu 1400\n"
	    "dhcp-ntp 10.42.0.1 192.0.2.1\n"
	    "dhcp-route 192.168.50.0/24 10.42.0.2\n"
	    "dhcp-route 0.0.0.0/0 10.42.0.3\ndhcp-conflict-check off\n");
	round_trip("dhcp-conflict-check on\nnat-timeout icmp 61\n");
	round_trip("dhcp-mac-limit 0\n");
	round_trip("dhcp-mac-limit 65536\n");
	round_trip("port-forward udp 53 10.0.0.2\n"
	    "static-lease 52:54:00:00:00:02 10.0.0.3\n"
	    "nat-filtering udp address-and-port-dependent\n"
	    "domain Example.ORG\n");

	parse(&c, &e, example);
	s = print(&c);
	CHECK_STR(s,
	    "wan eth0\n"
	    "lan eth1 eth2\n"
	    "lan-address 10.42.0.1/24\n"
	    "dhcp-range 10.42.0.100 10.42.0.250\n"
	    "lease-time 12h\n"
	    "domain lan\n"
	    "upstream 9.9.9.9 149.112.112.112\n"
	    "# rebind-allow: none\n"
	    "static-lease 52:54:00:12:34:56 10.42.0.10 printer\n"
	    "port-forward tcp 8443 10.42.0.10 443\n"
	    "# dhcp-mtu: not sent\n"
	    "# dhcp-ntp: not sent\n"
	    "# dhcp-route: none\n"
	    "dhcp-conflict-check on\n"
	    "dhcp-mac-limit 8\n"
	    "# nat-timeout udp 5m (natd's default)\n"
	    "# nat-timeout tcp-established 124m (natd's default)\n"
	    "# nat-timeout tcp-transitory 4m (natd's default)\n"
	    "# nat-timeout icmp 60s (natd's default)\n"
	    "# nat-timeout other 5m (natd's default)\n"
	    "nat-filtering udp endpoint-independent\n"
	    "nat-filtering tcp address-dependent\n"
	    "web-listen 80\n"
	    "web-tls-listen 443\n"
	    "capture-size 5M\n"
	    "capture-total 64M\n"
	    "history 1d\n"
	    "history-memory 64M\n"
	    "state-dir /var/lib/gatekeeper\n"
	    "run-dir /run/gatekeeper\n");
	free(s);

	parse(&c, &e, "");
	s = print(&c);
	CHECK(strstr(s, "# wan: autodetect\n# lan: autodetect\n") != NULL);
	CHECK(strstr(s, "\nlease-time 12h\n") != NULL);
	CHECK(strstr(s, "\ncapture-size 5M\n") != NULL);
	free(s);
}

static void
test_file(void)
{
	struct gk_config c;
	struct errs	 e;
	char		 path[] = "/tmp/test_conf.XXXXXX";
	FILE		*fp;
	int		 fd;
	size_t		 i;

	conf_init(&c);
	memset(&e, 0, sizeof(e));
	errno = 0;
	CHECK(conf_parse_file(&c, "/nonexistent/gatekeeper.conf", collect,
	    &e) == -1);
	CHECK(errno == ENOENT);
	CHECK(e.n == 0);
	/* Opens, but read fails: still -1 with errno, not a parse error. */
	errno = 0;
	CHECK(conf_parse_file(&c, "/", collect, &e) == -1);
	CHECK(errno == EISDIR);
	CHECK(e.n == 0);

	if ((fd = mkstemp(path)) == -1 || (fp = fdopen(fd, "w")) == NULL)
		abort();
	fputs("wan eth0\nlease-time 1x\n", fp);
	fclose(fp);
	CHECK(conf_parse_file(&c, path, collect, &e) == 1);
	CHECK(e.n == 1);
	CHECK(has_prefix(e.msg[0], path) &&
	    has_prefix(e.msg[0] + strlen(path), ":2: lease-time:"));
	CHECK_STR(c.wan, "eth0");

	/* Over the size cap: one error, nothing parsed. */
	if ((fp = fopen(path, "w")) == NULL)
		abort();
	for (i = 0; i <= CONF_MAX_FILE / 9; i++)
		fputs("wan eth1\n", fp);
	fclose(fp);
	conf_init(&c);
	memset(&e, 0, sizeof(e));
	CHECK(conf_parse_file(&c, path, collect, &e) == 1);
	CHECK(e.n == 1 && strstr(e.msg[0], ":1: file larger than") != NULL);
	CHECK_STR(c.wan, "");
	unlink(path);
}

/* nat-timeout, dhcp-mtu, dhcp-ntp, dhcp-route, dhcp-conflict-check,
 * dhcp-mac-limit. */
static void
test_dhcp_nat_options(void)
{
	struct gk_config c;
	struct errs	 e;

	/* unset by default; the conflict check on */
	CHECK(parse(&c, &e, "") == 0);
	CHECK(c.nat_timeout_udp == 0 && c.nat_timeout_tcp_established == 0 &&
	    c.nat_timeout_tcp_transitory == 0 && c.nat_timeout_icmp == 0 &&
	    c.nat_timeout_other == 0);
	CHECK(c.dhcp_mtu == 0 && c.ndhcp_ntp == 0 && c.ndhcp_route == 0);
	CHECK(c.dhcp_conflict_check == 1);
	CHECK(c.dhcp_mac_limit == 8);

	CHECK(parse(&c, &e, "lan-address 10.42.0.1/24\n"
	    "nat-timeout udp 5m\n"
	    "nat-timeout tcp-established 124m\n"
	    "nat-timeout tcp-transitory 240\n"
	    "nat-timeout icmp 60s\n"
	    "nat-timeout other 10m\n"
	    "dhcp-mtu 1492\n"
	    "dhcp-ntp 10.42.0.1 192.0.2.123\n"
	    "dhcp-route 192.168.50.0/24 10.42.0.2\n"
	    "dhcp-route 0.0.0.0/0 10.42.0.1\n"
	    "dhcp-conflict-check off\n") == 0);
	if (e.n)
		dump("options", &e);
	CHECK(c.nat_timeout_udp == 300);
	CHECK(c.nat_timeout_tcp_established == 7440);
	CHECK(c.nat_timeout_tcp_transitory == 240);
	CHECK(c.nat_timeout_icmp == 60);
	CHECK(c.nat_timeout_other == 600);
	CHECK(c.dhcp_mtu == 1492);
	CHECK(c.ndhcp_ntp == 2 && c.dhcp_ntp[0].s_addr == ip("10.42.0.1") &&
	    c.dhcp_ntp[1].s_addr == ip("192.0.2.123"));
	CHECK(c.ndhcp_route == 2);
	CHECK(c.dhcp_route[0].net.s_addr == ip("192.168.50.0") &&
	    c.dhcp_route[0].prefix == 24 &&
	    c.dhcp_route[0].gw.s_addr == ip("10.42.0.2"));
	CHECK(c.dhcp_route[1].net.s_addr == 0 && c.dhcp_route[1].prefix == 0);
	CHECK(c.dhcp_conflict_check == 0);
	CHECK(parse(&c, &e, "dhcp-conflict-check on\n") == 0 &&
	    c.dhcp_conflict_check == 1);
	expect_ok("dhcp-mtu 68\ndhcp-ntp 9.9.9.9\n");
	expect_ok("dhcp-mtu 65535\n");
	/* without lan-address the gateway cannot be checked yet */
	expect_ok("dhcp-route 10.1.0.0/16 172.16.0.9\n");

	/* the floors of the RFCs */
	expect_one("nat-timeout udp 119s\n", "t.conf:1: nat-timeout udp: "
	    "expected at least 2m (RFC 4787 REQ-5), got \"119s\"");
	expect_one("nat-timeout tcp-established 2h\n", "t.conf:1: "
	    "nat-timeout tcp-established: expected at least 2h4m (124m) "
	    "(RFC 5382 REQ-5), got \"2h\"");
	expect_one("nat-timeout tcp-transitory 3m\n", "t.conf:1: "
	    "nat-timeout tcp-transitory: expected at least 4m (RFC 5382 "
	    "REQ-5)");
	expect_one("nat-timeout icmp 59\n", "t.conf:1: nat-timeout icmp: "
	    "expected at least 60s (RFC 5508 REQ-1)");
	expect_one("nat-timeout other 30s\n", "t.conf:1: nat-timeout other: "
	    "expected at least 60s (tunnel keepalives)");
	expect_one("nat-timeout sctp 5m\n", "t.conf:1: nat-timeout: "
	    "expected udp, tcp-established, tcp-transitory, icmp or other, "
	    "got \"sctp\"");
	expect_one("nat-timeout udp 5x\n", "t.conf:1: nat-timeout: "
	    "expected a duration like 5m, got \"5x\"");
	expect_one("nat-timeout udp\n", "t.conf:1: nat-timeout: missing "
	    "argument");
	expect_one("nat-timeout udp 5m\nnat-timeout icmp 2m\n"
	    "nat-timeout udp 6m\n", "t.conf:3: nat-timeout: already given "
	    "at line 1");

	expect_one("dhcp-mtu 67\n", "t.conf:1: dhcp-mtu: expected an MTU "
	    "from 68 to 65535, got \"67\"");
	expect_one("dhcp-mtu 65536\n", "t.conf:1: dhcp-mtu: expected an MTU");
	expect_one("dhcp-mtu 1500\ndhcp-mtu 1400\n", "t.conf:2: dhcp-mtu: "
	    "already given at line 1");

	expect_one("dhcp-ntp ntp.example\n", "t.conf:1: dhcp-ntp: expected "
	    "an IPv4 address like 10.42.0.1, got \"ntp.example\"");
	expect_one("dhcp-ntp 224.0.1.1\n", "t.conf:1: dhcp-ntp: expected "
	    "a unicast address");
	expect_one("dhcp-ntp 9.9.9.9 9.9.9.9\n", "t.conf:1: dhcp-ntp: "
	    "9.9.9.9 listed twice");
	expect_one("dhcp-ntp 1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5 1.1.1.6 "
	    "1.1.1.7 1.1.1.8 1.1.1.9\n", "t.conf:1: dhcp-ntp: expected at "
	    "most 8 addresses, got 9");

	expect_one("dhcp-route 192.168.50.1/24 10.42.0.2\n", "t.conf:1: "
	    "dhcp-route: expected a network address (no host bits set)");
	expect_one("dhcp-route 192.168.50.0 10.42.0.2\n", "t.conf:1: "
	    "dhcp-route: expected a network like 192.168.50.0/24");
	expect_one("dhcp-route 192.168.50.0/33 10.42.0.2\n", "t.conf:1: "
	    "dhcp-route: expected a network like");
	expect_one("dhcp-route 192.168.50.0/24 gw\n", "t.conf:1: "
	    "dhcp-route: expected a unicast IPv4 gateway like 10.42.0.2");
	expect_one("dhcp-route 192.168.50.0/24\n", "t.conf:1: dhcp-route: "
	    "missing argument, expected \"dhcp-route NET/LEN GATEWAY\"");
	expect_one("dhcp-route 192.168.50.0/24 10.42.0.2\n"
	    "dhcp-route 192.168.50.0/24 10.42.0.3\n", "t.conf:2: dhcp-route: "
	    "192.168.50.0/24 already routed at line 1");
	/* the gateway must be on the LAN, whatever the order of lines */
	expect_one("dhcp-route 192.168.50.0/24 10.43.0.2\n"
	    "lan-address 10.42.0.1/24\n", "t.conf:1: dhcp-route: 10.43.0.2 "
	    "is outside the LAN subnet 10.42.0.0/24");
	expect_one("lan-address 10.42.0.1/24\n"
	    "dhcp-route 192.168.50.0/24 10.42.0.255\n", "t.conf:2: "
	    "dhcp-route: 10.42.0.255 is the network or broadcast address");

	expect_one("dhcp-conflict-check yes\n", "t.conf:1: "
	    "dhcp-conflict-check: expected on or off, got \"yes\"");
	expect_one("dhcp-conflict-check on\ndhcp-conflict-check off\n",
	    "t.conf:2: dhcp-conflict-check: already given at line 1");

	CHECK(parse(&c, &e, "dhcp-mac-limit 0\n") == 0 &&
	    c.dhcp_mac_limit == 0);
	CHECK(parse(&c, &e, "dhcp-mac-limit 32\n") == 0 &&
	    c.dhcp_mac_limit == 32);
	expect_one("dhcp-mac-limit -1\n", "t.conf:1: dhcp-mac-limit: "
	    "expected a number of leases from 0 (no limit) to 65536, got "
	    "\"-1\"");
	expect_one("dhcp-mac-limit 65537\n", "t.conf:1: dhcp-mac-limit: "
	    "expected a number of leases from 0 (no limit) to 65536, got "
	    "\"65537\"");
	expect_one("dhcp-mac-limit 8\ndhcp-mac-limit 9\n",
	    "t.conf:2: dhcp-mac-limit: already given at line 1");
}

/* rebind-allow: repeats add up, names are checked and lowercased. */
static void
test_rebind_allow(void)
{
	struct gk_config c;
	struct errs	 e;
	char		 text[2048], *out;
	size_t		 off = 0;
	int		 i;

	CHECK(parse(&c, &e, "") == 0 && c.nrebind_allow == 0);
	CHECK(parse(&c, &e, "rebind-allow NAS.Example.com plex.direct\n"
	    "# more\nrebind-allow home.arpa\n") == 0);
	if (e.n)
		dump("rebind-allow", &e);
	CHECK(c.nrebind_allow == 3);
	CHECK_STR(c.rebind_allow[0], "nas.example.com");
	CHECK_STR(c.rebind_allow[1], "plex.direct");
	CHECK_STR(c.rebind_allow[2], "home.arpa");
	/* printed as one statement, and read back the same */
	out = print(&c);
	CHECK(strstr(out, "\nrebind-allow nas.example.com plex.direct "
	    "home.arpa\n") != NULL);
	free(out);
	round_trip("rebind-allow a.example b.example\nrebind-allow c\n");
	/* -nv shows every default: none, as a comment */
	parse(&c, &e, "");
	out = print(&c);
	CHECK(strstr(out, "\n# rebind-allow: none\n") != NULL);
	free(out);

	expect_one("rebind-allow\n", "t.conf:1: rebind-allow: missing "
	    "argument, expected \"rebind-allow DOMAIN [DOMAIN ...]\"");
	expect_one("rebind-allow nas..example\n", "t.conf:1: rebind-allow: "
	    "expected a domain name like nas.example.com (labels of letters, "
	    "digits and '-'), got \"nas..example\"");
	expect_one("rebind-allow example.com.\n", "t.conf:1: rebind-allow: "
	    "expected a domain name");
	expect_one("rebind-allow .\n", "t.conf:1: rebind-allow: expected a "
	    "domain name");
	expect_one("rebind-allow 192.168.1.0/24\n", "t.conf:1: rebind-allow: "
	    "expected a domain name");
	expect_one("rebind-allow a.example\n\nrebind-allow b A.example\n",
	    "t.conf:3: rebind-allow: a.example already listed at line 1");
	expect_one("rebind-allow a.example b A.Example\n",
	    "t.conf:1: rebind-allow: a.example listed twice");
	/* a bad line adds nothing, not even its good words */
	CHECK(parse(&c, &e, "rebind-allow good.example bad_name\n") == 1);
	CHECK(c.nrebind_allow == 0);

	for (i = 0; i < CONF_MAX_REBIND_ALLOW; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
		    "rebind-allow d%d.example\n", i);
	expect_ok(text);
	snprintf(text + off, sizeof(text) - off, "rebind-allow one.more\n");
	expect_one(text, "t.conf:17: rebind-allow: at most 16 domains in all");
}

/* A misspelled statement gets the one it is a typo of; another word none. */
static void
test_did_you_mean(void)
{
	static const struct {
		const char *line, *msg;
	} cases[] = {
		{ "lese-time 12h", "t.conf:1: unknown statement \"lese-time\", "
		    "did you mean \"lease-time\"?" },
		{ "upstrem 9.9.9.9", "t.conf:1: unknown statement \"upstrem\", "
		    "did you mean \"upstream\"?" },
		{ "static-leases 52:54:00:12:34:56 10.0.0.3", "t.conf:1: "
		    "unknown statement \"static-leases\", did you mean "
		    "\"static-lease\"?" },
		{ "portforward tcp 1 10.0.0.2", "t.conf:1: unknown statement "
		    "\"portforward\", did you mean \"port-forward\"?" },
		{ "frobnicate yes", "t.conf:1: unknown statement "
		    "\"frobnicate\"" },
	};
	struct gk_config c;
	struct errs	 e;
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK(parse(&c, &e, cases[i].line) == 1);
		CHECK_STR(e.msg[0], cases[i].msg);
	}
}

/* The capped distance is the distance while under the cap, else the cap,
 * whether the cap is met by the lengths or along the way. */
static void
test_word_distance_max(void)
{
	CHECK(word_distance("kitten", "sitting") == 3);
	CHECK(word_distance_max("kitten", "sitting", 9) == 3);
	CHECK(word_distance_max("kitten", "sitting", 4) == 3);
	CHECK(word_distance_max("kitten", "sitting", 3) == 3);
	CHECK(word_distance_max("kitten", "sitting", 2) == 2);
	CHECK(word_distance_max("WAN", "wan", 3) == 0);
	CHECK(word_distance_max("lese-time", "lease-time", 3) == 1);
	CHECK(word_distance_max("frobnicate", "lease-time", 3) == 3);
	CHECK(word_distance_max("ab", "abcdefgh", 9) == 6);
	CHECK(word_distance_max("ab", "abcdefgh", 3) == 3);
	CHECK(word_distance("", "wan") == 3);
	CHECK(word_distance("abcdefghijklmnopqrstuvwxyzabcde", "a") == 9);
}

static void
test_route_limit(void)
{
	char		 text[4096];
	size_t		 off = 0;
	int		 i;

	for (i = 0; i <= CONF_MAX_ROUTES; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
		    "dhcp-route 192.168.%d.0/24 10.42.0.2\n", i);
	expect_one(text, "t.conf:17: dhcp-route: at most 16 allowed");
}

int
main(void)
{
	test_example();
	test_defaults();
	test_messages();
	test_bad_forms();
	test_good_forms();
	test_name_lengths();
	test_history_memory();
	test_three_bad_lines();
	test_duplicates();
	test_limits();
	test_cross_checks();
	test_values();
	test_lines();
	test_round_trip();
	test_file();
	test_dhcp_nat_options();
	test_route_limit();
	test_did_you_mean();
	test_word_distance_max();
	test_rebind_allow();
	return check_result();
}
