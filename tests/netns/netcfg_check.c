/*
 * gatekeeperd's network setup against the real kernel: links, bridges,
 * addresses, routes, LAN setup and teardown, sysctls, queue rules and
 * the nfqueue socket. It changes the network stack it runs in, so it runs
 * only in a fresh scratch namespace (tests/netns/netcfg.sh makes one):
 * GK_NETNS_SCRATCH=1 must be set and lo must be the only link.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "check.h"
#include "conf.h"
#include "log.h"
#include "netcfg.h"

#define OUT_MAX		(1024 * 1024)

static int verbose;

/*
 * Runs a command line split on spaces (no shell, no quoting) and returns
 * its exit status; stdout goes to *out when out is not NULL.
 */
static int __attribute__((format(printf, 2, 0)))
vrun(char **out, const char *fmt, va_list ap)
{
	char	 line[512], *argv[32], *p, *buf = NULL;
	int	 argc = 0, pfd[2], status, null;
	size_t	 len = 0;
	ssize_t	 n;
	pid_t	 pid;

	vsnprintf(line, sizeof(line), fmt, ap);
	if (verbose)
		fprintf(stderr, "+ %s\n", line);
	for (p = strtok(line, " "); p != NULL && argc < 31;
	    p = strtok(NULL, " "))
		argv[argc++] = p;
	argv[argc] = NULL;
	if (pipe(pfd) == -1 || (buf = malloc(OUT_MAX)) == NULL)
		return -1;
	if ((pid = fork()) == 0) {
		null = open("/dev/null", O_WRONLY);
		dup2(out != NULL ? pfd[1] : (verbose ? 2 : null), 1);
		if (!verbose)
			dup2(null, 2);
		close(pfd[0]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], buf + len, OUT_MAX - 1 - len)) > 0)
		len += n;
	close(pfd[0]);
	buf[len] = '\0';
	if (pid == -1 || waitpid(pid, &status, 0) == -1) {
		free(buf);
		return -1;
	}
	if (out != NULL)
		*out = buf;
	else
		free(buf);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int __attribute__((format(printf, 1, 2)))
run(const char *fmt, ...)
{
	va_list	 ap;
	int	 ret;

	va_start(ap, fmt);
	ret = vrun(NULL, fmt, ap);
	va_end(ap);
	return ret;
}

/* stdout of a command; "" when it failed. Caller frees. */
static char * __attribute__((format(printf, 1, 2)))
output(const char *fmt, ...)
{
	va_list	 ap;
	char	*out = NULL;

	va_start(ap, fmt);
	if (vrun(&out, fmt, ap) == -1 || out == NULL)
		out = strdup("");
	va_end(ap);
	return out;
}

static int
same_text(const char *what, const char *before, const char *after)
{
	if (strcmp(before, after) == 0)
		return 1;
	fprintf(stderr, "%s changed:\n--- before\n%s--- after\n%s---\n",
	    what, before, after);
	return 0;
}

static struct in_addr
ip(const char *s)
{
	struct in_addr	 a;

	if (inet_pton(AF_INET, s, &a) != 1)
		a.s_addr = 0;
	return a;
}

static int
fresh_namespace(void)
{
	char	*links = output("ip -o link show");
	int	 n = 0;
	char	*p;

	for (p = links; (p = strchr(p, '\n')) != NULL; p++)
		n++;
	free(links);
	return n == 1;
}

static void
setup_topology(void)
{
	CHECK(run("ip link set lo up") == 0);
	CHECK(run("ip link add wan0 type veth peer name wanpeer") == 0);
	CHECK(run("ip link add lan0 type veth peer name lanpeer0") == 0);
	CHECK(run("ip link add lan1 type veth peer name lanpeer1") == 0);
	/* Peers get addresses so LAN autodetection leaves them alone. */
	CHECK(run("ip addr add 198.51.100.1/32 dev wanpeer") == 0);
	CHECK(run("ip addr add 198.51.100.2/32 dev lanpeer0") == 0);
	CHECK(run("ip addr add 198.51.100.3/32 dev lanpeer1") == 0);
	/*
	 * The first up attaches a qdisc (noop becomes noqueue), which no
	 * down undoes: do it now so teardown can restore "ip -o link".
	 */
	CHECK(run("ip link set lan1 up") == 0);
	CHECK(run("ip link set lan1 down") == 0);
}

static void
test_links(void)
{
	struct netcfg_link	 l[64], one;
	int			 n, i, seen = 0;

	CHECK(netcfg_list_links(l, 64, &n) == 0);
	for (i = 0; i < n; i++) {
		if (strcmp(l[i].name, "lo") == 0) {
			CHECK(l[i].loopback);
			CHECK(l[i].up);
			seen |= 1;
		} else if (strcmp(l[i].name, "lan0") == 0) {
			CHECK(!l[i].loopback && !l[i].has_ipv4);
			CHECK(l[i].index == (int)if_nametoindex("lan0"));
			CHECK(l[i].master == 0);
			seen |= 2;
		} else if (strcmp(l[i].name, "lanpeer0") == 0) {
			CHECK(l[i].has_ipv4);
			seen |= 4;
		}
	}
	CHECK(seen == 7);
	CHECK(netcfg_list_links(l, 2, &n) == -1 && errno == ENOBUFS);
	CHECK(n == 2);
	CHECK(netcfg_link_get("lanpeer1", &one) == 0);
	CHECK_STR(one.name, "lanpeer1");
	CHECK(one.has_ipv4 && !one.up);
	CHECK(netcfg_link_get("nosuch0", &one) == -1 && errno == ENODEV);
}

static void
test_updown(void)
{
	struct netcfg_link	 l;

	CHECK(netcfg_link_set_up("lan0", 1) == 0);
	CHECK(netcfg_link_get("lan0", &l) == 0 && l.up);
	CHECK(netcfg_link_set_up("lan0", 0) == 0);
	CHECK(netcfg_link_get("lan0", &l) == 0 && !l.up);
	CHECK(netcfg_link_set_up("nosuch0", 1) == -1 && errno == ENODEV);
}

static void
test_bridge(void)
{
	struct netcfg_link	 br, l;

	CHECK(netcfg_bridge_create("gkttest0") == 0);
	CHECK(netcfg_bridge_create("gkttest0") == -1 && errno == EEXIST);
	CHECK(netcfg_link_get("gkttest0", &br) == 0);
	CHECK(netcfg_link_set_master("lan0", "gkttest0") == 0);
	CHECK(netcfg_link_get("lan0", &l) == 0 && l.master == br.index);
	CHECK(netcfg_link_set_master("lan0", NULL) == 0);
	CHECK(netcfg_link_get("lan0", &l) == 0 && l.master == 0);
	CHECK(netcfg_link_set_master("lan0", "nosuch0") == -1);
	CHECK(netcfg_link_delete("gkttest0") == 0);
	CHECK(netcfg_link_get("gkttest0", &br) == -1 && errno == ENODEV);
	CHECK(netcfg_link_delete("gkttest0") == -1 && errno == ENODEV);
}

static void
test_addr(void)
{
	struct in_addr	 a;
	int		 prefix;
	char		*s;

	CHECK(netcfg_addr_get("lan0", &a, &prefix) == -1 && errno == ENOENT);
	CHECK(netcfg_addr_add("lan0", ip("10.99.0.1"), 24) == 0);
	CHECK(netcfg_addr_add("lan0", ip("10.99.0.1"), 24) == -1 &&
	    errno == EEXIST);
	CHECK(netcfg_addr_has("lan0", ip("10.99.0.1"), 24) == 1);
	CHECK(netcfg_addr_has("lan0", ip("10.99.0.1"), 25) == 0);
	CHECK(netcfg_addr_has("lan1", ip("10.99.0.1"), 24) == 0);
	CHECK(netcfg_addr_get("lan0", &a, &prefix) == 0);
	CHECK(a.s_addr == ip("10.99.0.1").s_addr && prefix == 24);
	s = output("ip -o -4 addr show dev lan0");
	CHECK(strstr(s, "inet 10.99.0.1/24 brd 10.99.0.255 ") != NULL);
	free(s);
	CHECK(netcfg_subnet_in_use(ip("10.99.200.0"), 16) == 1);
	CHECK(netcfg_subnet_in_use(ip("10.0.0.0"), 8) == 1);
	CHECK(netcfg_subnet_in_use(ip("10.99.0.128"), 25) == 1);
	CHECK(netcfg_subnet_in_use(ip("10.98.0.0"), 24) == 0);
	CHECK(netcfg_subnet_in_use(ip("198.51.100.0"), 24) == 1);
	CHECK(netcfg_addr_del("lan0", ip("10.99.0.1"), 24) == 0);
	CHECK(netcfg_addr_has("lan0", ip("10.99.0.1"), 24) == 0);
	CHECK(netcfg_addr_del("lan0", ip("10.99.0.1"), 24) == -1);
	CHECK(netcfg_subnet_in_use(ip("10.99.0.0"), 24) == 0);
	/* /31 and /32 have no broadcast address. */
	CHECK(netcfg_addr_add("lan1", ip("10.98.0.1"), 32) == 0);
	s = output("ip -o -4 addr show dev lan1");
	CHECK(strstr(s, "inet 10.98.0.1/32 scope global") != NULL);
	free(s);
	CHECK(netcfg_addr_del("lan1", ip("10.98.0.1"), 32) == 0);
}

static void
test_route(void)
{
	char	 dev[IF_NAMESIZE];

	CHECK(netcfg_default_route_dev(dev) == -1 && errno == ENOENT);
	CHECK(run("ip link set wanpeer up") == 0);
	CHECK(run("ip link set wan0 up") == 0);
	CHECK(run("ip link set lanpeer0 up") == 0);
	CHECK(run("ip addr add 10.42.0.2/24 dev wan0") == 0);
	/* Other tables and worse metrics do not count. */
	CHECK(run("ip route add default dev lanpeer0 table 100") == 0);
	CHECK(run("ip route add default dev lanpeer0 metric 200") == 0);
	CHECK(run("ip route add default via 10.42.0.254 dev wan0 metric 10")
	    == 0);
	CHECK(netcfg_default_route_dev(dev) == 0);
	CHECK_STR(dev, "wan0");
	CHECK(run("ip route del default dev lanpeer0 metric 200") == 0);
	CHECK(run("ip route del default dev lanpeer0 table 100") == 0);
	CHECK(run("ip link set lanpeer0 down") == 0);
	CHECK(netcfg_default_route_dev(dev) == 0);
	CHECK_STR(dev, "wan0");
}

static void
test_dhcp_range(const char *addr, int prefix, const char *start,
    const char *end)
{
	struct gk_config	 c;

	conf_init(&c);
	strlcpy(c.wan, "wan0", sizeof(c.wan));
	strlcpy(c.lan[0], "lan0", sizeof(c.lan[0]));
	c.nlan = 1;
	c.lan_addr = ip(addr);
	c.lan_prefix = prefix;
	CHECK(lan_autodetect(&c) == 0);
	CHECK(c.dhcp_start.s_addr == ip(start).s_addr);
	CHECK(c.dhcp_end.s_addr == ip(end).s_addr);
}

static void
test_autodetect(struct gk_config *c)
{
	struct gk_config	 one;

	conf_init(c);
	CHECK(lan_autodetect(c) == 0);
	CHECK_STR(c->wan, "wan0");
	CHECK(c->nlan == 2);
	CHECK_STR(c->lan[0], "lan0");
	CHECK_STR(c->lan[1], "lan1");
	/* 10.42.0.0/24 is taken by wan0. */
	CHECK(c->lan_addr.s_addr == ip("10.43.0.1").s_addr);
	CHECK(c->lan_prefix == 24);
	CHECK(c->dhcp_start.s_addr == ip("10.43.0.100").s_addr);
	CHECK(c->dhcp_end.s_addr == ip("10.43.0.250").s_addr);

	test_dhcp_range("192.168.7.129", 25, "192.168.7.192",
	    "192.168.7.254");
	test_dhcp_range("10.1.2.150", 24, "10.1.2.151", "10.1.2.250");
	test_dhcp_range("172.16.0.1", 16, "172.16.0.100", "172.16.0.250");
	test_dhcp_range("10.9.9.1", 30, "10.9.9.2", "10.9.9.2");

	/* A single configured port keeps the address it has. */
	CHECK(run("ip addr add 192.168.5.1/24 dev lan1") == 0);
	conf_init(&one);
	strlcpy(one.lan[0], "lan1", sizeof(one.lan[0]));
	one.nlan = 1;
	CHECK(lan_autodetect(&one) == 0);
	CHECK(one.lan_addr.s_addr == ip("192.168.5.1").s_addr);
	CHECK(one.dhcp_start.s_addr == ip("192.168.5.100").s_addr);
	CHECK(run("ip addr del 192.168.5.1/24 dev lan1") == 0);

	/* No free link for the LAN. */
	conf_init(&one);
	strlcpy(one.wan, "wan0", sizeof(one.wan));
	CHECK(run("ip addr add 198.51.100.4/32 dev lan0") == 0);
	CHECK(run("ip addr add 198.51.100.5/32 dev lan1") == 0);
	CHECK(lan_autodetect(&one) == -1);
	CHECK(run("ip addr del 198.51.100.4/32 dev lan0") == 0);
	CHECK(run("ip addr del 198.51.100.5/32 dev lan1") == 0);
}

struct snapshot {
	char	*addr;
	char	*link;
};

/* Drops every " tentative" from text: an IPv6 link-local address of a
 * fresh veth leaves duplicate address detection whenever the kernel is
 * done with it, which is no change of ours. */
static void
drop_tentative(char *text)
{
	static const char tag[] = " tentative";
	size_t	 n = sizeof(tag) - 1;
	char	*p;

	while ((p = strstr(text, tag)) != NULL)
		memmove(p, p + n, strlen(p + n) + 1);
}

static void
snap(struct snapshot *s)
{
	s->addr = output("ip -o addr");
	drop_tentative(s->addr);
	s->link = output("ip -o link");
}

static int
snap_same(struct snapshot *before)
{
	struct snapshot	 after;
	int		 ok;

	snap(&after);
	ok = same_text("ip -o addr", before->addr, after.addr) &
	    same_text("ip -o link", before->link, after.link);
	free(after.addr);
	free(after.link);
	return ok;
}

static void
snap_free(struct snapshot *s)
{
	free(s->addr);
	free(s->link);
}

static void
test_lan_bridge(const struct gk_config *c)
{
	struct snapshot		 before;
	struct lan_state	 st;
	struct netcfg_link	 br, l;

	snap(&before);
	CHECK(lan_setup(c, &st) == 0);
	CHECK_STR(st.ifname, LAN_BRIDGE_NAME);
	CHECK(st.created_bridge && st.added_addr && st.brought_up);
	CHECK(netcfg_link_get(LAN_BRIDGE_NAME, &br) == 0 && br.up);
	CHECK(netcfg_link_get("lan0", &l) == 0 && l.master == br.index);
	CHECK(l.up);
	CHECK(netcfg_link_get("lan1", &l) == 0 && l.master == br.index);
	CHECK(netcfg_addr_has(LAN_BRIDGE_NAME, c->lan_addr, 24) == 1);
	lan_teardown(&st);
	CHECK(snap_same(&before));
	lan_teardown(&st);		/* twice is harmless */
	CHECK(snap_same(&before));
	snap_free(&before);
}

static void
test_lan_single(const struct gk_config *bridged)
{
	struct gk_config	 c = *bridged;
	struct snapshot		 before;
	struct lan_state	 st;
	struct netcfg_link	 l;

	c.nlan = 1;
	snap(&before);
	CHECK(lan_setup(&c, &st) == 0);
	CHECK_STR(st.ifname, "lan0");
	CHECK(!st.created_bridge && st.added_addr && st.brought_up);
	CHECK(netcfg_link_get("lan0", &l) == 0 && l.up);
	lan_teardown(&st);
	CHECK(snap_same(&before));
	snap_free(&before);

	/* What the admin set up already stays after teardown. */
	CHECK(run("ip addr add 10.43.0.1/24 dev lan0") == 0);
	CHECK(run("ip link set lan0 up") == 0);
	snap(&before);
	CHECK(lan_setup(&c, &st) == 0);
	CHECK(!st.added_addr && !st.brought_up);
	lan_teardown(&st);
	CHECK(snap_same(&before));
	snap_free(&before);
	CHECK(run("ip link set lan0 down") == 0);
	CHECK(run("ip addr del 10.43.0.1/24 dev lan0") == 0);
}

static void
test_lan_failures(const struct gk_config *bridged)
{
	struct gk_config	 c = *bridged;
	struct snapshot		 before;
	struct lan_state	 st;

	/* A missing port: everything done before it is undone. */
	strlcpy(c.lan[1], "nosuch0", sizeof(c.lan[1]));
	snap(&before);
	CHECK(lan_setup(&c, &st) == -1);
	CHECK(snap_same(&before));
	snap_free(&before);

	/* A bridge of that name exists: refuse, leave it alone. */
	CHECK(run("ip link add " LAN_BRIDGE_NAME " type bridge") == 0);
	snap(&before);
	CHECK(lan_setup(bridged, &st) == -1);
	CHECK(snap_same(&before));
	snap_free(&before);
	CHECK(run("ip link del " LAN_BRIDGE_NAME) == 0);

	/* A port enslaved elsewhere is not stolen. */
	CHECK(run("ip link add gktother type bridge") == 0);
	CHECK(run("ip link set lan1 master gktother") == 0);
	snap(&before);
	CHECK(lan_setup(bridged, &st) == -1);
	CHECK(snap_same(&before));
	snap_free(&before);
	CHECK(run("ip link del gktother") == 0);
}

static char *
sysctl_get(const char *path)
{
	static char	 buf[64];
	FILE		*f;

	buf[0] = '\0';
	if ((f = fopen(path, "r")) != NULL) {
		if (fgets(buf, sizeof(buf), f) == NULL)
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static void
test_sysctl(void)
{
	struct sysctl_saved	 s;
	const char		*fwd = "/proc/sys/net/ipv4/ip_forward";
	const char		*rp;
	char			 rp_old[64];

	rp = "/proc/sys/net/ipv4/conf/lan0/rp_filter";
	memset(&s, 0, sizeof(s));
	CHECK_STR(sysctl_get(fwd), "0");
	strlcpy(rp_old, sysctl_get(rp), sizeof(rp_old));
	CHECK(sysctl_set(&s, "net.ipv4.ip_forward", "1") == 0);
	CHECK_STR(sysctl_get(fwd), "1");
	CHECK(s.n == 1);
	CHECK(sysctl_set(&s, "net/ipv4/ip_forward", "1") == 0);
	CHECK(s.n == 1);
	CHECK(sysctl_set(&s, "net/ipv4/conf/lan0/rp_filter", "2") == 0);
	CHECK_STR(sysctl_get(rp), "2");
	CHECK(sysctl_set(&s, "net.ipv4.conf.lan0.rp_filter", "1") == 0);
	CHECK(s.n == 2);
	CHECK(sysctl_set(&s, "net.ipv4.no_such_key", "1") == -1);
	CHECK(sysctl_set(&s, "net/../../etc/passwd", "1") == -1);
	CHECK(s.n == 2);
	sysctl_restore(&s);
	CHECK(s.n == 0);
	CHECK_STR(sysctl_get(fwd), "0");
	CHECK_STR(sysctl_get(rp), rp_old);
}

static int
count(const char *hay, const char *needle)
{
	int	 n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/* Queue rules in a listing, whichever backend wrote them. */
static int
queued(const char *s)
{
	return count(s, "queue num 3") + count(s, "NFQUEUE");
}

/* install then remove leaves `nft list ruleset` as it was. */
static void
rules_roundtrip(enum queue_backend b)
{
	struct rules_state	 st;
	char			*before, *during, *after;

	before = output("nft list ruleset");
	CHECK(rules_install(&st, b, "lan0", "wan0", 3, NULL) == 0);
	CHECK(st.installed && st.backend == b);
	during = output("nft list ruleset");
	CHECK(queued(during) == 4);
	CHECK(count(during, "notrack") == 2);
	CHECK(count(during, "fib daddr . iif type local return") == 2);
	CHECK(count(during, "fib daddr type local") == 1);
	CHECK(strstr(during, "bypass") == NULL);
	rules_remove(&st);
	after = output("nft list ruleset");
	CHECK(same_text("nft list ruleset", before, after));
	rules_remove(&st);		/* twice is harmless */
	free(before);
	free(during);
	free(after);
}

/*
 * dnsd's output chain goes in with the queue rules, follows new
 * upstreams in one batch, survives a repair, and goes with the table.
 */
static void
rules_dnsout_roundtrip(enum queue_backend b)
{
	struct rules_state	 st;
	struct dnsout		 d;
	struct in_addr		 lan = { htonl(0x0a2a0001) }, up[2];
	uint64_t		 refused;
	char			*before, *s;

	up[0].s_addr = htonl(0xc6336401);	/* 198.51.100.1 */
	up[1].s_addr = htonl(0x0a2a0005);	/* in the LAN: not in the set */
	dnsout_build(&d, 4242, lan, 24, up, 2);
	before = output("nft list ruleset");
	CHECK(rules_install(&st, b, "lan0", "wan0", 3, &d) == 0);
	printf("dnsd output: %s\n", dnsout_mode_name(rules_dnsout_mode()));
	CHECK(rules_dnsout_mode() != DNSOUT_OFF);
	s = output("nft list ruleset");
	CHECK(queued(s) == 4);
	CHECK(count(s, "meta skuid 4242 jump dnsd_out") == 1);
	CHECK(count(s, "meta mark 0x676b0035 jump dnsd_out") == 1);
	CHECK(count(s, "ip daddr 10.42.0.0/24 accept") == 1);
	CHECK(count(s, "elements = { 198.51.100.1 }") == 1);
	CHECK(count(s, "dport 53 ip daddr @dnsd_upstreams accept") == 2);
	CHECK(count(s, "drop") == 1);
	if (rules_dnsout_mode() == DNSOUT_REJECT)
		CHECK(count(s, "reject with tcp reset") == 1);
	free(s);
	/* The same upstreams in another order change nothing. */
	up[1] = up[0];
	up[0].s_addr = htonl(0x0a2a0005);
	dnsout_build(&d, 4242, lan, 24, up, 2);
	CHECK(rules_dnsout_update(&st, &d) == 0);
	up[1].s_addr = htonl(0xcb007101);	/* 203.0.113.1 */
	dnsout_build(&d, 4242, lan, 24, up, 2);
	CHECK(rules_dnsout_update(&st, &d) == 0);
	CHECK(rules_repair(&st) == 0);
	s = output("nft list ruleset");
	CHECK(queued(s) == 4);
	CHECK(count(s, "elements = { 203.0.113.1 }") == 1);
	CHECK(count(s, "198.51.100.1") == 0);
	free(s);
	CHECK(rules_dnsout() != NULL && rules_dnsout()->nup == 1);
	CHECK(rules_dnsout_refused(&refused) == 0 && refused == 0);
	rules_remove(&st);
	CHECK(rules_dnsout_refused(&refused) == -1);
	CHECK(rules_dnsout_mode() == DNSOUT_OFF);
	s = output("nft list ruleset");
	CHECK(same_text("nft list ruleset", before, s));
	free(s);
	free(before);
}

static void
test_rules(void)
{
	enum queue_backend	 b;
	struct rules_state	 st, stale;
	char			*before, *after, *s;

	before = output("nft list ruleset");
	b = rules_probe();
	after = output("nft list ruleset");
	CHECK(same_text("nft list ruleset (probe)", before, after));
	free(before);
	free(after);
	printf("queue backend: %s, owned persistent table: %s\n",
	    rules_backend_name(b), rules_persist() ? "yes" : "no");
	/* GK_EXPECT_BACKEND pins it where the kernel is known. */
	if (getenv("GK_EXPECT_BACKEND") != NULL)
		CHECK_STR(rules_backend_name(b), getenv("GK_EXPECT_BACKEND"));
	CHECK(b != QUEUE_BACKEND_NONE);
	if (b == QUEUE_BACKEND_NONE)
		return;
	rules_roundtrip(b);
	rules_dnsout_roundtrip(b);
	if (b == QUEUE_BACKEND_COMPAT) {
		/* No nft queue here: that install fails, leaving nothing. */
		before = output("nft list ruleset");
		CHECK(rules_install(&st, QUEUE_BACKEND_NFT, "lan0", "wan0",
		    3, NULL) == -1);
		after = output("nft list ruleset");
		CHECK(same_text("nft list ruleset", before, after));
		free(before);
		free(after);
	}

	/* A crash left them: the next install replaces, not doubles. */
	CHECK(rules_install(&st, b, "lan0", "wan0", 3, NULL) == 0);
	stale = st;
	CHECK(rules_install(&st, b, "lan0", "wan0", 3, NULL) == 0);
	s = output("nft list ruleset");
	CHECK(queued(s) == 4);
	free(s);
	/* A repair leaves the same rules. */
	CHECK(rules_repair(&st) == 0);
	s = output("nft list ruleset");
	CHECK(queued(s) == 4);
	free(s);
	rules_remove(&st);
	rules_remove(&stale);
	s = output("nft list ruleset");
	CHECK_STR(s, "");
	free(s);
	/* One somebody else made by that name is replaced too. */
	CHECK(run("nft add table ip gatekeeper") == 0);
	CHECK(run("nft add chain ip gatekeeper x") == 0);
	CHECK(rules_install(&st, b, "lan0", "wan0", 3, NULL) == 0);
	s = output("nft list ruleset");
	CHECK(queued(s) == 4);
	CHECK(strstr(s, "chain x") == NULL);
	free(s);
	rules_remove(&st);
	s = output("nft list ruleset");
	CHECK_STR(s, "");
	free(s);

	/* Alongside the admin's own tables, which stay as they are. */
	CHECK(run("nft add table inet other") == 0);
	CHECK(run("nft add chain inet other c") == 0);
	rules_roundtrip(b);
	CHECK(rules_install(&st, b, "lan0", "wan0", 3, NULL) == 0);
	if (rules_persist()) {
		/* Owned: nobody else deletes or flushes it, root included. */
		CHECK(run("nft delete table ip gatekeeper 2>/dev/null") != 0);
		CHECK(run("nft flush chain ip gatekeeper mangle_forward "
		    "2>/dev/null") != 0);
		CHECK(run("nft flush ruleset") == 0);
		s = output("nft list ruleset");
		CHECK(queued(s) == 4);
		CHECK(strstr(s, "table inet other") == NULL);
		free(s);
	}
	rules_remove(&st);
	CHECK(run("nft flush ruleset") == 0);

	CHECK(rules_install(&st, b, "lan 0", "wan0", 3, NULL) == -1);
	CHECK(rules_install(&st, b, "lan+", "wan0", 3, NULL) == -1);
	CHECK(rules_install(&st, QUEUE_BACKEND_NONE, "lan0", "wan0",
	    3, NULL) == -1);
}

static void
test_queue(void)
{
	int		 fd, fd2, copy, size;
	socklen_t	 len = sizeof(size);

	CHECK((fd = queue_open(0)) >= 0);
	if (fd < 0)
		return;
	CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	CHECK(getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, &len) == 0);
	CHECK(size >= 8 * 1024 * 1024);
	/* One listener per queue. */
	CHECK(queue_open(0) == -1);
	CHECK((fd2 = queue_open(1)) >= 0);
	queue_close(fd2);
	/* natd's copy keeps the socket alive: UNBIND frees the queue. */
	copy = dup(fd);
	queue_close(fd);
	CHECK((fd = queue_open(0)) >= 0);
	close(copy);
	queue_close(fd);
}

static int
open_fds(void)
{
	char	*s = output("ls /proc/%d/fd", (int)getpid());
	int	 n;

	n = count(s, "\n");
	free(s);
	return n;
}

int
main(int argc, char *argv[])
{
	struct gk_config	 c;
	int			 fds;

	if (getenv("GK_NETNS_SCRATCH") == NULL ||
	    strcmp(getenv("GK_NETNS_SCRATCH"), "1") != 0)
		SKIP("needs GK_NETNS_SCRATCH=1 in a scratch network namespace "
		    "(run tests/netns/netcfg.sh)");
	if (geteuid() != 0)
		SKIP("needs root");
	if (!fresh_namespace())
		SKIP("the namespace has links besides lo: not a fresh one");
	verbose = getenv("GK_TEST_VERBOSE") != NULL;
	log_init(1, LOG_DAEMON);
	log_setverbose(verbose ? 2 : 0);

	fds = open_fds();
	setup_topology();
	test_links();
	test_updown();
	test_bridge();
	test_addr();
	test_route();
	test_autodetect(&c);
	test_lan_bridge(&c);
	test_lan_single(&c);
	test_lan_failures(&c);
	test_sysctl();
	test_rules();
	test_queue();
	CHECK(open_fds() == fds);	/* nothing leaks a descriptor */
	return check_result();
}
