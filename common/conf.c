/*
 * gatekeeper.conf parser (CONTRACT.md, gatekeeper.conf(5)).
 *
 * The parser is pure: it reads a buffer, fills a struct gk_config and
 * reports every problem through a callback as "FILE:LINE: message".  It
 * never stops at the first error, because `gatekeeperd -n` promises to
 * list them all.  It keeps no global state and allocates nothing except
 * in conf_parse_file, so it can be fuzzed as is.
 *
 * A statement that fails leaves the config untouched: each handler
 * validates all its words first and only then stores them.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "util.h"

#define MAX_WORDS	32	/* words on one line; no statement needs more */
#define QUOTE_MAX	48	/* characters of a bad word shown in a message */
#define QUOTE_BUF	(QUOTE_MAX * 4 + 8)

/* Statements that make sense once; the index into parser.seen[]. */
enum once {
	ONCE_WAN,
	ONCE_LAN,
	ONCE_LAN_ADDRESS,
	ONCE_DHCP_RANGE,
	ONCE_LEASE_TIME,
	ONCE_DOMAIN,
	ONCE_UPSTREAM,
	ONCE_FILTER_UDP,
	ONCE_FILTER_TCP,
	ONCE_NAT_TIMEOUT_UDP,
	ONCE_NAT_TIMEOUT_TCP_ESTABLISHED,
	ONCE_NAT_TIMEOUT_TCP_TRANSITORY,
	ONCE_NAT_TIMEOUT_ICMP,
	ONCE_NAT_TIMEOUT_OTHER,
	ONCE_DHCP_MTU,
	ONCE_DHCP_NTP,
	ONCE_DHCP_CONFLICT_CHECK,
	ONCE_DHCP_MAC_LIMIT,
	ONCE_WEB_LISTEN,
	ONCE_WEB_TLS_LISTEN,
	ONCE_CAPTURE_SIZE,
	ONCE_CAPTURE_TOTAL,
	ONCE_HISTORY,
	ONCE_HISTORY_MEMORY,
	ONCE_STATE_DIR,
	ONCE_RUN_DIR,
	ONCE_MAX,
	ONCE_MANY = -1		/* may be repeated (static-lease, ...) */
};

struct parser {
	struct gk_config *conf;
	const char	*file;
	conf_error_fn	 errfn;
	void		*arg;
	const char	*stmt;		/* name of the statement being parsed */
	int		 lineno;
	int		 nerr;
	int		 seen[ONCE_MAX];	/* line of the first occurrence */
	/* Lines of accepted statements, for the checks after the file. */
	int		 lan_line;
	int		 range_line;
	int		 static_line[CONF_MAX_STATIC];
	int		 forward_line[CONF_MAX_FORWARDS];
	int		 route_line[CONF_MAX_ROUTES];
	int		 rebind_line[CONF_MAX_REBIND_ALLOW];
};

struct statement {
	const char	*name;
	const char	*usage;
	int		 minargs, maxargs;	/* words after the name */
	enum once	 once;
	void		(*fn)(struct parser *, char **);	/* argv ends in NULL */
};

static void	perr_at(struct parser *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/*
 * Errors.
 */

static void
perr_at(struct parser *p, int line, const char *fmt, ...)
{
	char	 body[512], msg[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	snprintf(msg, sizeof(msg), "%s:%d: %s",
	    p->file != NULL ? p->file : "-", line, body);
	if (p->nerr < INT_MAX)
		p->nerr++;
	if (p->errfn != NULL)
		p->errfn(p->arg, msg);
}

/*
 * Quotes a word for a message.  Words come from untrusted files, so
 * anything but printable ASCII is escaped and long words are cut: the
 * message must stay one readable line whatever the input.
 */
static const char *
quote(char *dst, size_t dsz, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t	 n = 0, shown;
	unsigned char c;

	if (dsz < QUOTE_BUF)
		return "\"?\"";
	dst[n++] = '"';
	for (shown = 0; *s != '\0' && shown < QUOTE_MAX; s++, shown++) {
		c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			dst[n++] = '\\';
			dst[n++] = c;
		} else if (c < 0x20 || c >= 0x7f) {
			dst[n++] = '\\';
			dst[n++] = 'x';
			dst[n++] = hex[c >> 4];
			dst[n++] = hex[c & 0xf];
		} else
			dst[n++] = c;
	}
	if (*s != '\0') {
		memcpy(dst + n, "...", 3);
		n += 3;
	}
	dst[n++] = '"';
	dst[n] = '\0';
	return dst;
}

/* The common "STMT: expected WHAT, got "WORD"" error. */
static void
expected(struct parser *p, const char *what, const char *word)
{
	char	 q[QUOTE_BUF];

	perr_at(p, p->lineno, "%s: expected %s, got %s", p->stmt, what,
	    quote(q, sizeof(q), word));
}

/*
 * Value parsers.
 */

/* Decimal digits only: no sign, no space, no hex, and at most max. */
static int
parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return -1;
	}
	if (*s != '\0')
		return -1;
	*out = v;
	return 0;
}

int
conf_parse_duration(const char *s, uint32_t *seconds)
{
	uint64_t v = 0, mul = 1;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return -1;
	}
	switch (*s) {
	case '\0':
		break;
	case 's':
		mul = 1;
		s++;
		break;
	case 'm':
		mul = 60;
		s++;
		break;
	case 'h':
		mul = 60 * 60;
		s++;
		break;
	case 'd':
		mul = 24 * 60 * 60;
		s++;
		break;
	default:
		return -1;
	}
	/* v <= 2^32 and mul <= 86400: the product fits in 64 bits. */
	if (*s != '\0' || v * mul > UINT32_MAX)
		return -1;
	*seconds = (uint32_t)(v * mul);
	return 0;
}

int
conf_parse_size(const char *s, uint64_t *bytes)
{
	uint64_t v = 0;
	int	 shift = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	switch (*s) {
	case '\0':
		break;
	case 'K':
	case 'k':
		shift = 10;
		s++;
		break;
	case 'M':
	case 'm':
		shift = 20;
		s++;
		break;
	case 'G':
	case 'g':
		shift = 30;
		s++;
		break;
	default:
		return -1;
	}
	if (*s != '\0' || v > (UINT64_MAX >> shift))
		return -1;
	*bytes = v << shift;
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly six pairs of hex digits separated by colons. */
int
conf_parse_mac(const char *s, uint8_t mac[6])
{
	uint8_t	 m[6];
	int	 i, hi, lo;

	for (i = 0; i < 6; i++) {
		if ((hi = hexval(s[0])) == -1 || (lo = hexval(s[1])) == -1)
			return -1;
		m[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (i < 5 && *s++ != ':')
			return -1;
	}
	if (*s != '\0')
		return -1;
	memcpy(mac, m, sizeof(m));
	return 0;
}

static int
parse_ip(const char *s, struct in_addr *ip)
{
	/* inet_pton wants exactly four decimal octets: no "10.1" forms. */
	return inet_pton(AF_INET, s, ip) == 1 ? 0 : -1;
}

/* "A.B.C.D/N" with N in 0..32; range checks are the caller's. */
int
conf_parse_prefix(const char *s, struct in_addr *addr, int *prefixlen)
{
	char		 buf[INET_ADDRSTRLEN];
	const char	*slash;
	struct in_addr	 a;
	uint64_t	 n;

	if ((slash = strchr(s, '/')) == NULL ||
	    (size_t)(slash - s) >= sizeof(buf))
		return -1;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	if (parse_ip(buf, &a) == -1 || strlen(slash + 1) > 2 ||
	    parse_uint(slash + 1, 32, &n) == -1)
		return -1;
	*addr = a;
	*prefixlen = (int)n;
	return 0;
}

/*
 * Name checks.
 */

/* As the kernel's dev_valid_name(), minus the odd bytes it tolerates. */
static int
valid_ifname(const char *s)
{
	size_t	 len = strlen(s);

	if (len == 0 || len >= IF_NAMESIZE ||
	    strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return 0;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c <= ' ' || c >= 0x7f || c == '/' || c == ':')
			return 0;
	}
	return 1;
}

/* One DNS label of len bytes: letters, digits, inner hyphens. */
static int
valid_label(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-')
		return 0;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-'))
			return 0;
	}
	return 1;
}

static int
valid_domain(const char *s)
{
	const char	*dot;
	size_t		 len = strlen(s);

	if (len == 0 || len > CONF_MAX_DOMAIN)
		return 0;
	for (;;) {
		dot = strchr(s, '.');
		if (!valid_label(s, dot != NULL ? (size_t)(dot - s) :
		    strlen(s)))
			return 0;
		if (dot == NULL)
			return 1;
		s = dot + 1;
	}
}

/* DNS names are case-insensitive; store them one way so lookups match. */
static void
lowercase(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static int
valid_abspath(const char *s)
{
	if (s[0] != '/' || strlen(s) >= CONF_MAX_PATH)
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return 0;
	return 1;
}

/*
 * Address helpers, in host byte order.
 */

static uint32_t
hostorder(struct in_addr a)
{
	return ntohl(a.s_addr);
}

static const char *
ntoa(struct in_addr a, char *buf)
{
	if (inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN) == NULL)
		strlcpy(buf, "0.0.0.0", INET_ADDRSTRLEN);
	return buf;
}

static uint32_t
prefix_mask(int prefix)
{
	return prefix <= 0 ? 0 : 0xffffffffU << (32 - prefix);
}

/* An address a LAN device could have: not 0/8, loopback or class D/E. */
static int
unicast(struct in_addr a)
{
	uint32_t h = hostorder(a);

	return (h >> 24) != 0 && (h >> 24) != 127 && h < 0xe0000000U;
}

/* The whole subnet inside one RFC 1918 block. */
static int
rfc1918(uint32_t h, int prefix)
{
	if ((h & 0xff000000U) == 0x0a000000U)		/* 10/8 */
		return prefix >= 8;
	if ((h & 0xfff00000U) == 0xac100000U)		/* 172.16/12 */
		return prefix >= 12;
	if ((h & 0xffff0000U) == 0xc0a80000U)		/* 192.168/16 */
		return prefix >= 16;
	return 0;
}

/*
 * Statements.  Each gets the words after its name as a NULL-terminated
 * list, already counted against the table, and reports at most one error.
 */

static int
nwords(char **argv)
{
	int	 n = 0;

	while (argv[n] != NULL)
		n++;
	return n;
}

static int
once(struct parser *p, enum once which)
{
	if (p->seen[which] != 0) {
		perr_at(p, p->lineno, "%s: already given at line %d",
		    p->stmt, p->seen[which]);
		return -1;
	}
	p->seen[which] = p->lineno;
	return 0;
}

static void
st_wan(struct parser *p, char **argv)
{
	if (!valid_ifname(argv[0])) {
		expected(p, "an interface name (1-15 characters, no '/')",
		    argv[0]);
		return;
	}
	strlcpy(p->conf->wan, argv[0], sizeof(p->conf->wan));
}

static void
st_lan(struct parser *p, char **argv)
{
	struct gk_config *c = p->conf;
	int	 i, j, argc = nwords(argv);

	if (argc > CONF_MAX_LAN) {
		perr_at(p, p->lineno, "lan: expected at most %d interfaces, "
		    "got %d", CONF_MAX_LAN, argc);
		return;
	}
	for (i = 0; i < argc; i++) {
		if (!valid_ifname(argv[i])) {
			expected(p, "an interface name (1-15 characters, "
			    "no '/')", argv[i]);
			return;
		}
		for (j = 0; j < i; j++)
			if (strcmp(argv[i], argv[j]) == 0) {
				perr_at(p, p->lineno, "lan: interface %s "
				    "listed twice", argv[i]);
				return;
			}
	}
	for (i = 0; i < argc; i++)
		strlcpy(c->lan[i], argv[i], sizeof(c->lan[i]));
	c->nlan = argc;
	p->lan_line = p->lineno;
}

static void
st_lan_address(struct parser *p, char **argv)
{
	struct in_addr	 a;
	int		 prefix;
	uint32_t	 h, mask;

	if (conf_parse_prefix(argv[0], &a, &prefix) == -1) {
		expected(p, "an address and prefix like 10.42.0.1/24",
		    argv[0]);
		return;
	}
	if (prefix < 8 || prefix > 30) {
		perr_at(p, p->lineno, "lan-address: expected a prefix length "
		    "from 8 to 30, got /%d", prefix);
		return;
	}
	h = hostorder(a);
	mask = prefix_mask(prefix);
	if (!rfc1918(h, prefix)) {
		expected(p, "a private subnet inside 10.0.0.0/8, "
		    "172.16.0.0/12 or 192.168.0.0/16", argv[0]);
		return;
	}
	if ((h & ~mask) == 0 || (h & ~mask) == ~mask) {
		expected(p, "a host address, not the network or broadcast "
		    "address of the subnet", argv[0]);
		return;
	}
	p->conf->lan_addr = a;
	p->conf->lan_prefix = prefix;
}

static void
st_dhcp_range(struct parser *p, char **argv)
{
	struct in_addr	 a[2];
	int		 i;

	for (i = 0; i < 2; i++) {
		if (parse_ip(argv[i], &a[i]) == -1) {
			expected(p, "an IPv4 address like 10.42.0.100",
			    argv[i]);
			return;
		}
		if (!unicast(a[i])) {
			expected(p, "a unicast address", argv[i]);
			return;
		}
	}
	if (hostorder(a[0]) > hostorder(a[1])) {
		perr_at(p, p->lineno, "dhcp-range: expected START <= END, "
		    "got %s > %s", argv[0], argv[1]);
		return;
	}
	p->conf->dhcp_start = a[0];
	p->conf->dhcp_end = a[1];
	p->range_line = p->lineno;
}

static void
st_lease_time(struct parser *p, char **argv)
{
	uint32_t s;

	if (conf_parse_duration(argv[0], &s) == -1) {
		expected(p, "a duration like 12h", argv[0]);
		return;
	}
	if (s < 60) {
		expected(p, "at least 60s", argv[0]);
		return;
	}
	p->conf->lease_time = s;
}

static void
st_domain(struct parser *p, char **argv)
{
	if (!valid_domain(argv[0])) {
		expected(p, "a domain name like lan or home.example "
		    "(labels of letters, digits and '-')", argv[0]);
		return;
	}
	strlcpy(p->conf->domain, argv[0], sizeof(p->conf->domain));
	lowercase(p->conf->domain);
}

static void
st_upstream(struct parser *p, char **argv)
{
	struct in_addr	 a[MAX_WORDS];
	int		 i, j, argc = nwords(argv);

	if (argc > CONF_MAX_UPSTREAM) {
		perr_at(p, p->lineno, "upstream: expected at most %d "
		    "addresses, got %d", CONF_MAX_UPSTREAM, argc);
		return;
	}
	for (i = 0; i < argc; i++) {
		if (parse_ip(argv[i], &a[i]) == -1) {
			expected(p, "an IPv4 address like 9.9.9.9", argv[i]);
			return;
		}
		/* Loopback is fine: a local resolver may listen there. */
		if ((hostorder(a[i]) >> 24) == 0 ||
		    hostorder(a[i]) >= 0xe0000000U) {
			expected(p, "a unicast address", argv[i]);
			return;
		}
		for (j = 0; j < i; j++)
			if (a[j].s_addr == a[i].s_addr) {
				perr_at(p, p->lineno, "upstream: %s listed "
				    "twice", argv[i]);
				return;
			}
	}
	for (i = 0; i < argc; i++)
		p->conf->upstream[i] = a[i];
	p->conf->nupstream = argc;
}

/*
 * May repeat: each line adds its domains. A domain given twice is an
 * error, not silently merged, so a typo in one of two similar lines shows.
 */
static void
st_rebind_allow(struct parser *p, char **argv)
{
	struct gk_config *c = p->conf;
	char		 d[MAX_WORDS][CONF_MAX_DOMAIN + 1];
	int		 i, j, argc = nwords(argv);

	if (c->nrebind_allow < 0 ||
	    c->nrebind_allow + argc > CONF_MAX_REBIND_ALLOW) {
		perr_at(p, p->lineno, "rebind-allow: at most %d domains in "
		    "all", CONF_MAX_REBIND_ALLOW);
		return;
	}
	for (i = 0; i < argc; i++) {
		if (!valid_domain(argv[i])) {
			expected(p, "a domain name like nas.example.com "
			    "(labels of letters, digits and '-')", argv[i]);
			return;
		}
		strlcpy(d[i], argv[i], sizeof(d[i]));
		lowercase(d[i]);
		for (j = 0; j < c->nrebind_allow; j++)
			if (strcmp(c->rebind_allow[j], d[i]) == 0) {
				perr_at(p, p->lineno, "rebind-allow: %s "
				    "already listed at line %d", d[i],
				    p->rebind_line[j]);
				return;
			}
		for (j = 0; j < i; j++)
			if (strcmp(d[j], d[i]) == 0) {
				perr_at(p, p->lineno, "rebind-allow: %s "
				    "listed twice", d[i]);
				return;
			}
	}
	for (i = 0; i < argc; i++) {
		strlcpy(c->rebind_allow[c->nrebind_allow], d[i],
		    sizeof(c->rebind_allow[0]));
		p->rebind_line[c->nrebind_allow++] = p->lineno;
	}
}

static void
st_static_lease(struct parser *p, char **argv)
{
	struct gk_config *c = p->conf;
	struct conf_static_lease *sl;
	uint8_t		 mac[6];
	struct in_addr	 ip;
	char		 name[CONF_MAX_HOSTNAME + 1] = "";
	int		 i;

	if (c->nstatic < 0 || c->nstatic >= CONF_MAX_STATIC) {
		perr_at(p, p->lineno, "static-lease: at most %d allowed",
		    CONF_MAX_STATIC);
		return;
	}
	if (conf_parse_mac(argv[0], mac) == -1) {
		expected(p, "a MAC address like 52:54:00:12:34:56", argv[0]);
		return;
	}
	/* A group or all-zero address never asks for a lease. */
	if ((mac[0] & 1) || memcmp(mac, "\0\0\0\0\0\0", 6) == 0) {
		expected(p, "a unicast MAC address", argv[0]);
		return;
	}
	if (parse_ip(argv[1], &ip) == -1 || !unicast(ip)) {
		expected(p, "a unicast IPv4 address like 10.42.0.10", argv[1]);
		return;
	}
	if (argv[2] != NULL) {
		if (!valid_label(argv[2], strlen(argv[2]))) {
			expected(p, "a host name (1-63 letters, digits, "
			    "inner '-')", argv[2]);
			return;
		}
		strlcpy(name, argv[2], sizeof(name));
		lowercase(name);
	}
	for (i = 0; i < c->nstatic; i++) {
		sl = &c->static_lease[i];
		if (memcmp(sl->mac, mac, 6) == 0) {
			perr_at(p, p->lineno, "static-lease: MAC %s already "
			    "reserved at line %d", argv[0], p->static_line[i]);
			return;
		}
		if (sl->ip.s_addr == ip.s_addr) {
			perr_at(p, p->lineno, "static-lease: address %s "
			    "already reserved at line %d", argv[1],
			    p->static_line[i]);
			return;
		}
		/* One name, two addresses: DNS could answer only one. */
		if (name[0] != '\0' && strcmp(sl->name, name) == 0) {
			perr_at(p, p->lineno, "static-lease: name %s already "
			    "used at line %d", name, p->static_line[i]);
			return;
		}
	}
	sl = &c->static_lease[c->nstatic];
	memcpy(sl->mac, mac, 6);
	sl->ip = ip;
	strlcpy(sl->name, name, sizeof(sl->name));
	p->static_line[c->nstatic++] = p->lineno;
}

static int
parse_proto(const char *s, uint8_t *proto)
{
	if (strcmp(s, "tcp") == 0)
		*proto = IPPROTO_TCP;
	else if (strcmp(s, "udp") == 0)
		*proto = IPPROTO_UDP;
	else
		return -1;
	return 0;
}

static void
st_port_forward(struct parser *p, char **argv)
{
	struct gk_config *c = p->conf;
	struct conf_forward *fw;
	uint8_t		 proto;
	uint64_t	 wport, lport;
	struct in_addr	 ip;
	int		 i;

	if (c->nforward < 0 || c->nforward >= CONF_MAX_FORWARDS) {
		perr_at(p, p->lineno, "port-forward: at most %d allowed",
		    CONF_MAX_FORWARDS);
		return;
	}
	if (parse_proto(argv[0], &proto) == -1) {
		expected(p, "tcp or udp", argv[0]);
		return;
	}
	if (parse_uint(argv[1], 65535, &wport) == -1 || wport == 0) {
		expected(p, "a port from 1 to 65535", argv[1]);
		return;
	}
	if (parse_ip(argv[2], &ip) == -1 || !unicast(ip)) {
		expected(p, "a unicast IPv4 address like 10.42.0.10", argv[2]);
		return;
	}
	lport = wport;
	if (argv[3] != NULL && (parse_uint(argv[3], 65535, &lport) == -1 ||
	    lport == 0)) {
		expected(p, "a port from 1 to 65535", argv[3]);
		return;
	}
	for (i = 0; i < c->nforward; i++)
		if (c->forward[i].proto == proto &&
		    c->forward[i].wan_port == wport) {
			perr_at(p, p->lineno, "port-forward: %s port %s "
			    "already forwarded at line %d", argv[0], argv[1],
			    p->forward_line[i]);
			return;
		}
	fw = &c->forward[c->nforward];
	fw->proto = proto;
	fw->wan_port = (uint16_t)wport;
	fw->ip = ip;
	fw->port = (uint16_t)lport;
	p->forward_line[c->nforward++] = p->lineno;
}

static int
parse_filtering(const char *s, enum nat_filtering *f)
{
	static const enum nat_filtering all[] = {
		NAT_FILTER_ENDPOINT_INDEPENDENT,
		NAT_FILTER_ADDRESS_DEPENDENT,
		NAT_FILTER_ADDRESS_PORT_DEPENDENT,
	};
	size_t	 i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(s, conf_filtering_name(all[i])) == 0) {
			*f = all[i];
			return 0;
		}
	return -1;
}

static void
st_nat_filtering(struct parser *p, char **argv)
{
	enum nat_filtering f;
	uint8_t		 proto;

	if (parse_proto(argv[0], &proto) == -1) {
		expected(p, "udp or tcp", argv[0]);
		return;
	}
	/* Once per protocol, so the check is here and not in the table. */
	if (once(p, proto == IPPROTO_UDP ? ONCE_FILTER_UDP :
	    ONCE_FILTER_TCP) == -1)
		return;
	if (parse_filtering(argv[1], &f) == -1) {
		expected(p, "endpoint-independent, address-dependent or "
		    "address-and-port-dependent", argv[1]);
		return;
	}
	if (proto == IPPROTO_UDP)
		p->conf->filter_udp = f;
	else
		p->conf->filter_tcp = f;
}

/*
 * NAT timeouts and their floors: shorter ones break applications, which
 * is why the RFCs set them (the error names the RFC).
 */
static const struct nat_timeout {
	const char	*name;
	enum once	 once;
	size_t		 off;		/* in struct gk_config */
	uint32_t	 min;		/* seconds */
	const char	*min_text, *why;
	const char	*dflt_text;	/* natd's default, for -nv */
} nat_timeouts[] = {
	{ "udp", ONCE_NAT_TIMEOUT_UDP,
	    offsetof(struct gk_config, nat_timeout_udp), 2 * 60, "2m",
	    "RFC 4787 REQ-5", "5m" },
	{ "tcp-established", ONCE_NAT_TIMEOUT_TCP_ESTABLISHED,
	    offsetof(struct gk_config, nat_timeout_tcp_established),
	    2 * 3600 + 4 * 60, "2h4m (124m)", "RFC 5382 REQ-5", "124m" },
	{ "tcp-transitory", ONCE_NAT_TIMEOUT_TCP_TRANSITORY,
	    offsetof(struct gk_config, nat_timeout_tcp_transitory), 4 * 60,
	    "4m", "RFC 5382 REQ-5", "4m" },
	{ "icmp", ONCE_NAT_TIMEOUT_ICMP,
	    offsetof(struct gk_config, nat_timeout_icmp), 60, "60s",
	    "RFC 5508 REQ-1", "60s" },
	/* No RFC: a floor over the usual tunnel keepalives (10-60 s), so a
	 * quiet tunnel does not lose its protocol to another device. */
	{ "other", ONCE_NAT_TIMEOUT_OTHER,
	    offsetof(struct gk_config, nat_timeout_other), 60, "60s",
	    "tunnel keepalives", "5m" },
};

static void
st_nat_timeout(struct parser *p, char **argv)
{
	const struct nat_timeout *t = NULL;
	char		 q[QUOTE_BUF];
	uint32_t	 s;
	size_t		 i;

	for (i = 0; i < sizeof(nat_timeouts) / sizeof(nat_timeouts[0]); i++)
		if (strcmp(argv[0], nat_timeouts[i].name) == 0)
			t = &nat_timeouts[i];
	if (t == NULL) {
		expected(p, "udp, tcp-established, tcp-transitory, icmp or "
		    "other", argv[0]);
		return;
	}
	/* Once per kind, so the check is here and not in the table. */
	if (once(p, t->once) == -1)
		return;
	if (conf_parse_duration(argv[1], &s) == -1) {
		expected(p, "a duration like 5m", argv[1]);
		return;
	}
	if (s < t->min) {
		perr_at(p, p->lineno, "nat-timeout %s: expected at least %s "
		    "(%s), got %s", t->name, t->min_text, t->why,
		    quote(q, sizeof(q), argv[1]));
		return;
	}
	*(uint32_t *)(void *)((char *)p->conf + t->off) = s;
}

static void
st_dhcp_mtu(struct parser *p, char **argv)
{
	uint64_t mtu;

	/* RFC 2132 9.2: the minimum legal value is 68. */
	if (parse_uint(argv[0], 65535, &mtu) == -1 || mtu < 68) {
		expected(p, "an MTU from 68 to 65535", argv[0]);
		return;
	}
	p->conf->dhcp_mtu = (uint16_t)mtu;
}

static void
st_dhcp_ntp(struct parser *p, char **argv)
{
	struct in_addr	 a[MAX_WORDS];
	int		 i, j, argc = nwords(argv);

	if (argc > CONF_MAX_UPSTREAM) {
		perr_at(p, p->lineno, "dhcp-ntp: expected at most %d "
		    "addresses, got %d", CONF_MAX_UPSTREAM, argc);
		return;
	}
	for (i = 0; i < argc; i++) {
		if (parse_ip(argv[i], &a[i]) == -1) {
			expected(p, "an IPv4 address like 10.42.0.1",
			    argv[i]);
			return;
		}
		if (!unicast(a[i])) {
			expected(p, "a unicast address", argv[i]);
			return;
		}
		for (j = 0; j < i; j++)
			if (a[j].s_addr == a[i].s_addr) {
				perr_at(p, p->lineno, "dhcp-ntp: %s listed "
				    "twice", argv[i]);
				return;
			}
	}
	for (i = 0; i < argc; i++)
		p->conf->dhcp_ntp[i] = a[i];
	p->conf->ndhcp_ntp = argc;
}

static void
st_dhcp_route(struct parser *p, char **argv)
{
	struct gk_config *c = p->conf;
	struct conf_route *r;
	struct in_addr	 net, gw;
	int		 plen, i;

	if (c->ndhcp_route < 0 || c->ndhcp_route >= CONF_MAX_ROUTES) {
		perr_at(p, p->lineno, "dhcp-route: at most %d allowed",
		    CONF_MAX_ROUTES);
		return;
	}
	if (conf_parse_prefix(argv[0], &net, &plen) == -1) {
		expected(p, "a network like 192.168.50.0/24", argv[0]);
		return;
	}
	if ((hostorder(net) & ~prefix_mask(plen)) != 0) {
		expected(p, "a network address (no host bits set)", argv[0]);
		return;
	}
	if (parse_ip(argv[1], &gw) == -1 || !unicast(gw)) {
		expected(p, "a unicast IPv4 gateway like 10.42.0.2", argv[1]);
		return;
	}
	for (i = 0; i < c->ndhcp_route; i++)
		if (c->dhcp_route[i].net.s_addr == net.s_addr &&
		    c->dhcp_route[i].prefix == plen) {
			perr_at(p, p->lineno, "dhcp-route: %s already routed "
			    "at line %d", argv[0], p->route_line[i]);
			return;
		}
	r = &c->dhcp_route[c->ndhcp_route];
	r->net = net;
	r->prefix = plen;
	r->gw = gw;
	p->route_line[c->ndhcp_route++] = p->lineno;
}

static void
st_dhcp_conflict_check(struct parser *p, char **argv)
{
	if (strcmp(argv[0], "on") == 0)
		p->conf->dhcp_conflict_check = 1;
	else if (strcmp(argv[0], "off") == 0)
		p->conf->dhcp_conflict_check = 0;
	else
		expected(p, "on or off", argv[0]);
}

/* 0 turns the limit off; more than a /16's pool would mean the same. */
static void
st_dhcp_mac_limit(struct parser *p, char **argv)
{
	uint64_t n;

	if (parse_uint(argv[0], 65536, &n) == -1) {
		expected(p, "a number of leases from 0 (no limit) to 65536",
		    argv[0]);
		return;
	}
	p->conf->dhcp_mac_limit = (uint32_t)n;
}

static void
st_web_listen(struct parser *p, char **argv)
{
	uint64_t port;

	if (parse_uint(argv[0], 65535, &port) == -1 || port == 0) {
		expected(p, "a port from 1 to 65535", argv[0]);
		return;
	}
	p->conf->web_port = (uint16_t)port;
}

static void
st_web_tls_listen(struct parser *p, char **argv)
{
	uint64_t port;

	if (parse_uint(argv[0], 65535, &port) == -1 || port == 0) {
		expected(p, "a port from 1 to 65535", argv[0]);
		return;
	}
	p->conf->web_tls_port = (uint16_t)port;
}

static void
st_capture_size(struct parser *p, char **argv)
{
	if (conf_parse_size(argv[0], &p->conf->capture_size) == -1)
		expected(p, "a size like 5M (K, M or G; 0 turns capture off)",
		    argv[0]);
}

/* A size of 1M up to max for a memory region, into *out; 0 when good. */
static int
region_size(struct parser *p, const char *arg, uint64_t max,
    const char *range, uint64_t *out)
{
	uint64_t v;

	if (conf_parse_size(arg, &v) == -1 || v < 1024 * 1024 || v > max) {
		expected(p, range, arg);
		return -1;
	}
	*out = v;
	return 0;
}

/* The history's region: below 1M it holds too little to be useful,
 * above 4G it is no home router's memory. */
static void
st_history_memory(struct parser *p, char **argv)
{
	(void)region_size(p, argv[0], 4ULL * 1024 * 1024 * 1024,
	    "a size from 1M to 4G", &p->conf->history_memory);
}

/* The region of every device's ring: memory, sparse until used. */
static void
st_capture_total(struct parser *p, char **argv)
{
	(void)region_size(p, argv[0], 16ULL * 1024 * 1024 * 1024,
	    "a size from 1M to 16G", &p->conf->capture_total);
}

static void
st_history(struct parser *p, char **argv)
{
	uint32_t s;

	if (conf_parse_duration(argv[0], &s) == -1 || s == 0) {
		expected(p, "a duration like 24h", argv[0]);
		return;
	}
	p->conf->history = s;
}

static void
st_dir(struct parser *p, char *dst, const char *path)
{
	if (!valid_abspath(path)) {
		expected(p, "an absolute path", path);
		return;
	}
	strlcpy(dst, path, CONF_MAX_PATH);
}

static void
st_state_dir(struct parser *p, char **argv)
{
	st_dir(p, p->conf->state_dir, argv[0]);
}

static void
st_run_dir(struct parser *p, char **argv)
{
	st_dir(p, p->conf->run_dir, argv[0]);
}

static const struct statement statements[] = {
	{ "wan", "wan INTERFACE", 1, 1, ONCE_WAN, st_wan },
	{ "lan", "lan INTERFACE [INTERFACE ...]", 1, MAX_WORDS - 1,
	    ONCE_LAN, st_lan },
	{ "lan-address", "lan-address A.B.C.D/N", 1, 1, ONCE_LAN_ADDRESS,
	    st_lan_address },
	{ "dhcp-range", "dhcp-range START END", 2, 2, ONCE_DHCP_RANGE,
	    st_dhcp_range },
	{ "lease-time", "lease-time DURATION", 1, 1, ONCE_LEASE_TIME,
	    st_lease_time },
	{ "domain", "domain NAME", 1, 1, ONCE_DOMAIN, st_domain },
	{ "upstream", "upstream IP [IP ...]", 1, MAX_WORDS - 1,
	    ONCE_UPSTREAM, st_upstream },
	{ "rebind-allow", "rebind-allow DOMAIN [DOMAIN ...]", 1,
	    MAX_WORDS - 1, ONCE_MANY, st_rebind_allow },
	{ "static-lease", "static-lease MAC IP [NAME]", 2, 3, ONCE_MANY,
	    st_static_lease },
	{ "port-forward", "port-forward tcp|udp WANPORT IP [PORT]", 3, 4,
	    ONCE_MANY, st_port_forward },
	{ "nat-filtering", "nat-filtering udp|tcp endpoint-independent|"
	    "address-dependent|address-and-port-dependent", 2, 2, ONCE_MANY,
	    st_nat_filtering },
	{ "nat-timeout", "nat-timeout udp|tcp-established|tcp-transitory|"
	    "icmp|other DURATION", 2, 2, ONCE_MANY, st_nat_timeout },
	{ "dhcp-mtu", "dhcp-mtu MTU", 1, 1, ONCE_DHCP_MTU, st_dhcp_mtu },
	{ "dhcp-ntp", "dhcp-ntp IP [IP ...]", 1, MAX_WORDS - 1,
	    ONCE_DHCP_NTP, st_dhcp_ntp },
	{ "dhcp-route", "dhcp-route NET/LEN GATEWAY", 2, 2, ONCE_MANY,
	    st_dhcp_route },
	{ "dhcp-conflict-check", "dhcp-conflict-check on|off", 1, 1,
	    ONCE_DHCP_CONFLICT_CHECK, st_dhcp_conflict_check },
	{ "dhcp-mac-limit", "dhcp-mac-limit N", 1, 1, ONCE_DHCP_MAC_LIMIT,
	    st_dhcp_mac_limit },
	{ "web-listen", "web-listen PORT", 1, 1, ONCE_WEB_LISTEN,
	    st_web_listen },
	{ "web-tls-listen", "web-tls-listen PORT", 1, 1, ONCE_WEB_TLS_LISTEN,
	    st_web_tls_listen },
	{ "capture-size", "capture-size SIZE", 1, 1, ONCE_CAPTURE_SIZE,
	    st_capture_size },
	{ "capture-total", "capture-total SIZE", 1, 1, ONCE_CAPTURE_TOTAL,
	    st_capture_total },
	{ "history", "history DURATION", 1, 1, ONCE_HISTORY, st_history },
	{ "history-memory", "history-memory SIZE", 1, 1, ONCE_HISTORY_MEMORY,
	    st_history_memory },
	{ "state-dir", "state-dir PATH", 1, 1, ONCE_STATE_DIR,
	    st_state_dir },
	{ "run-dir", "run-dir PATH", 1, 1, ONCE_RUN_DIR, st_run_dir },
};

/*
 * Lines.
 */

/* The error for an unknown word, with the statement it is a typo of. */
static void
unknown_statement(struct parser *p, const char *word)
{
	const char	*near = NULL;
	char		 q[QUOTE_BUF];
	size_t		 i;
	int		 d, best = 3;	/* more is another word, not a typo */

	for (i = 0; i < sizeof(statements) / sizeof(statements[0]); i++)
		if ((d = word_distance_max(word, statements[i].name, best)) <
		    best) {
			best = d;
			near = statements[i].name;
		}
	if (near != NULL)
		perr_at(p, p->lineno, "unknown statement %s, did you mean "
		    "\"%s\"?", quote(q, sizeof(q), word), near);
	else
		perr_at(p, p->lineno, "unknown statement %s",
		    quote(q, sizeof(q), word));
}

static void
parse_words(struct parser *p, int argc, char **argv)
{
	const struct statement *st = NULL;
	size_t	 i;

	for (i = 0; i < sizeof(statements) / sizeof(statements[0]); i++)
		if (strcmp(argv[0], statements[i].name) == 0) {
			st = &statements[i];
			break;
		}
	if (st == NULL) {
		unknown_statement(p, argv[0]);
		return;
	}
	p->stmt = st->name;
	if (st->once != ONCE_MANY && once(p, st->once) == -1)
		return;
	if (argc - 1 < st->minargs || argc - 1 > st->maxargs) {
		perr_at(p, p->lineno, "%s: %s, expected \"%s\"", st->name,
		    argc - 1 < st->minargs ? "missing argument" :
		    "too many arguments", st->usage);
		return;
	}
	st->fn(p, argv + 1);
}

/* line is NUL-terminated and free of NUL bytes; it may be modified. */
static void
parse_line(struct parser *p, char *line)
{
	char	*argv[MAX_WORDS + 1];
	char	*s;
	int	 argc = 0;

	if ((s = strchr(line, '#')) != NULL)
		*s = '\0';
	s = line;
	for (;;) {
		while (*s == ' ' || *s == '\t')
			*s++ = '\0';
		if (*s == '\0')
			break;
		if (argc == MAX_WORDS) {
			perr_at(p, p->lineno, "too many words on the line "
			    "(at most %d)", MAX_WORDS);
			return;
		}
		argv[argc++] = s;
		while (*s != '\0' && *s != ' ' && *s != '\t')
			s++;
	}
	argv[argc] = NULL;
	if (argc > 0)
		parse_words(p, argc, argv);
}

/*
 * Checks between statements, once the whole file is read, so the order
 * of the statements in the file does not matter.  Each error is reported
 * at the line of the statement that does not fit.
 */
static void
check_in_lan(struct parser *p, int line, const char *what, struct in_addr a)
{
	const struct gk_config *c = p->conf;
	char		 ip[INET_ADDRSTRLEN], lan[INET_ADDRSTRLEN];
	struct in_addr	 n;
	uint32_t	 mask = prefix_mask(c->lan_prefix);
	uint32_t	 h = hostorder(a), net = hostorder(c->lan_addr) & mask;

	n.s_addr = htonl(net);
	ntoa(a, ip);
	ntoa(n, lan);
	if ((h & mask) != net)
		perr_at(p, line, "%s: %s is outside the LAN subnet %s/%d",
		    what, ip, lan, c->lan_prefix);
	else if (h == net || h == (net | ~mask))
		perr_at(p, line, "%s: %s is the network or broadcast address "
		    "of %s/%d", what, ip, lan, c->lan_prefix);
	else if (a.s_addr == c->lan_addr.s_addr)
		perr_at(p, line, "%s: %s is the router's own LAN address",
		    what, ip);
}

/*
 * A gateway the clients cannot reach directly is no gateway. The router
 * itself is one: clients given option 121 ignore option 3 (RFC 3442),
 * so a default route through the router is written as a dhcp-route.
 */
static void
check_gateway(struct parser *p, int line, struct in_addr gw)
{
	if (gw.s_addr != p->conf->lan_addr.s_addr)
		check_in_lan(p, line, "dhcp-route", gw);
}

static void
check_dhcp_range(struct parser *p)
{
	const struct gk_config *c = p->conf;
	char	 a[INET_ADDRSTRLEN];
	int	 before = p->nerr;
	uint32_t lan = hostorder(c->lan_addr);

	check_in_lan(p, p->range_line, "dhcp-range", c->dhcp_start);
	if (p->nerr == before)
		check_in_lan(p, p->range_line, "dhcp-range", c->dhcp_end);
	/* The router's address must never be leased to a device. */
	if (p->nerr == before && lan >= hostorder(c->dhcp_start) &&
	    lan <= hostorder(c->dhcp_end))
		perr_at(p, p->range_line, "dhcp-range: expected a range "
		    "that leaves out the LAN address %s",
		    ntoa(c->lan_addr, a));
}

static void
cross_check(struct parser *p)
{
	const struct gk_config *c = p->conf;
	int	 i;

	if (p->lan_line != 0 && c->wan[0] != '\0')
		for (i = 0; i < c->nlan && i < CONF_MAX_LAN; i++)
			if (strcmp(c->lan[i], c->wan) == 0) {
				perr_at(p, p->lan_line, "lan: %s is the wan "
				    "interface", c->wan);
				break;
			}
	if (c->lan_addr.s_addr == 0)
		return;
	if (p->range_line != 0)
		check_dhcp_range(p);
	for (i = 0; i < c->nstatic && i < CONF_MAX_STATIC; i++)
		if (p->static_line[i] != 0)
			check_in_lan(p, p->static_line[i], "static-lease",
			    c->static_lease[i].ip);
	for (i = 0; i < c->nforward && i < CONF_MAX_FORWARDS; i++)
		if (p->forward_line[i] != 0)
			check_in_lan(p, p->forward_line[i], "port-forward",
			    c->forward[i].ip);
	for (i = 0; i < c->ndhcp_route && i < CONF_MAX_ROUTES; i++)
		if (p->route_line[i] != 0)
			check_gateway(p, p->route_line[i],
			    c->dhcp_route[i].gw);
}

void
conf_init(struct gk_config *c)
{
	memset(c, 0, sizeof(*c));
	c->lease_time = 12 * 60 * 60;
	strlcpy(c->domain, "lan", sizeof(c->domain));
	c->filter_udp = NAT_FILTER_ENDPOINT_INDEPENDENT;
	c->filter_tcp = NAT_FILTER_ADDRESS_DEPENDENT;
	c->web_port = 80;
	c->web_tls_port = 443;
	c->capture_size = 5 * 1024 * 1024;
	c->capture_total = 64 * 1024 * 1024;
	c->history = 24 * 60 * 60;
	c->history_memory = 64 * 1024 * 1024;
	c->dhcp_conflict_check = 1;
	c->dhcp_mac_limit = 8;
	strlcpy(c->state_dir, CONF_DEFAULT_STATE_DIR, sizeof(c->state_dir));
	strlcpy(c->run_dir, CONF_DEFAULT_RUN_DIR, sizeof(c->run_dir));
}

int
conf_parse_buf(struct gk_config *c, const char *filename, const char *buf,
    size_t len, conf_error_fn errfn, void *arg)
{
	struct parser	 p;
	char		 line[CONF_MAX_LINE + 1];
	const char	*end, *nl;
	size_t		 n, off = 0;

	memset(&p, 0, sizeof(p));
	p.conf = c;
	p.file = filename;
	p.errfn = errfn;
	p.arg = arg;

	while (off < len) {
		if (p.lineno < INT_MAX)
			p.lineno++;
		nl = memchr(buf + off, '\n', len - off);
		end = nl != NULL ? nl : buf + len;
		n = (size_t)(end - (buf + off));
		/* Tolerate CRLF files: the CR is not part of the line. */
		if (n > 0 && buf[off + n - 1] == '\r')
			n--;
		if (n > CONF_MAX_LINE)
			perr_at(&p, p.lineno, "line longer than %d characters",
			    CONF_MAX_LINE);
		else if (memchr(buf + off, '\0', n) != NULL)
			perr_at(&p, p.lineno, "NUL byte in line");
		else {
			memcpy(line, buf + off, n);
			line[n] = '\0';
			parse_line(&p, line);
		}
		off = nl != NULL ? (size_t)(nl - buf) + 1 : len;
	}
	cross_check(&p);
	return p.nerr;
}

int
conf_parse_file(struct gk_config *c, const char *path, conf_error_fn errfn,
    void *arg)
{
	struct parser	 p;
	char		*buf;
	size_t		 len = 0;
	ssize_t		 r;
	int		 fd, nerr, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	/* One byte over the cap tells a too-large file from a full one. */
	if ((buf = malloc(CONF_MAX_FILE + 1)) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	while (len < CONF_MAX_FILE + 1) {
		r = read(fd, buf + len, CONF_MAX_FILE + 1 - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			saved = errno;
			free(buf);
			close(fd);
			errno = saved;
			return -1;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	close(fd);
	if (len > CONF_MAX_FILE) {
		memset(&p, 0, sizeof(p));
		p.file = path;
		p.errfn = errfn;
		p.arg = arg;
		perr_at(&p, 1, "file larger than %d bytes", CONF_MAX_FILE);
		nerr = p.nerr;
	} else
		nerr = conf_parse_buf(c, path, buf, len, errfn, arg);
	free(buf);
	return nerr;
}

/*
 * Printing: the normalized config, parseable again.
 */

const char *
conf_filtering_name(enum nat_filtering f)
{
	switch (f) {
	case NAT_FILTER_ENDPOINT_INDEPENDENT:
		return "endpoint-independent";
	case NAT_FILTER_ADDRESS_DEPENDENT:
		return "address-dependent";
	case NAT_FILTER_ADDRESS_PORT_DEPENDENT:
		return "address-and-port-dependent";
	}
	return "unknown";
}

/* In the largest unit that is exact: 43200 is "12h", 90 is "90s". */
static void
print_duration(FILE *fp, uint32_t s)
{
	if (s != 0 && s % 86400 == 0)
		fprintf(fp, "%ud", s / 86400);
	else if (s != 0 && s % 3600 == 0)
		fprintf(fp, "%uh", s / 3600);
	else if (s != 0 && s % 60 == 0)
		fprintf(fp, "%um", s / 60);
	else
		fprintf(fp, "%us", s);
}

static void
print_size(FILE *fp, uint64_t b)
{
	static const char units[] = "GMK";
	int	 i, shift;

	for (i = 0, shift = 30; b != 0 && i < 3; i++, shift -= 10)
		if (b % (1ULL << shift) == 0) {
			fprintf(fp, "%llu%c",
			    (unsigned long long)(b >> shift), units[i]);
			return;
		}
	fprintf(fp, "%llu", (unsigned long long)b);
}

static void
print_lists(FILE *fp, const struct gk_config *c)
{
	char	 a[INET_ADDRSTRLEN];
	int	 i;
	const struct conf_static_lease *sl;
	const struct conf_forward *fw;

	for (i = 0; i < c->nstatic && i < CONF_MAX_STATIC; i++) {
		sl = &c->static_lease[i];
		fprintf(fp, "static-lease %02x:%02x:%02x:%02x:%02x:%02x %s",
		    sl->mac[0], sl->mac[1], sl->mac[2], sl->mac[3],
		    sl->mac[4], sl->mac[5], ntoa(sl->ip, a));
		if (sl->name[0] != '\0')
			fprintf(fp, " %.*s", CONF_MAX_HOSTNAME, sl->name);
		fputc('\n', fp);
	}
	if (c->nstatic == 0)
		fprintf(fp, "# static-lease: none\n");
	for (i = 0; i < c->nforward && i < CONF_MAX_FORWARDS; i++) {
		fw = &c->forward[i];
		fprintf(fp, "port-forward %s %u %s %u\n",
		    fw->proto == IPPROTO_UDP ? "udp" : "tcp", fw->wan_port,
		    ntoa(fw->ip, a), fw->port);
	}
	if (c->nforward == 0)
		fprintf(fp, "# port-forward: none\n");
}

/* The DHCP options and NAT timeouts; what is not set, as a comment
 * saying what holds instead, so -nv shows every default. */
static void
print_options(FILE *fp, const struct gk_config *c)
{
	char	 a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	const struct conf_route *r;
	uint32_t v;
	size_t	 i;
	int	 j;

	if (c->dhcp_mtu != 0)
		fprintf(fp, "dhcp-mtu %u\n", c->dhcp_mtu);
	else
		fprintf(fp, "# dhcp-mtu: not sent\n");
	if (c->ndhcp_ntp > 0) {
		fprintf(fp, "dhcp-ntp");
		for (j = 0; j < c->ndhcp_ntp && j < CONF_MAX_UPSTREAM; j++)
			fprintf(fp, " %s", ntoa(c->dhcp_ntp[j], a));
		fputc('\n', fp);
	} else
		fprintf(fp, "# dhcp-ntp: not sent\n");
	for (j = 0; j < c->ndhcp_route && j < CONF_MAX_ROUTES; j++) {
		r = &c->dhcp_route[j];
		fprintf(fp, "dhcp-route %s/%d %s\n", ntoa(r->net, a),
		    r->prefix, ntoa(r->gw, b));
	}
	if (c->ndhcp_route == 0)
		fprintf(fp, "# dhcp-route: none\n");
	fprintf(fp, "dhcp-conflict-check %s\n",
	    c->dhcp_conflict_check ? "on" : "off");
	fprintf(fp, "dhcp-mac-limit %u\n", c->dhcp_mac_limit);
	for (i = 0; i < sizeof(nat_timeouts) / sizeof(nat_timeouts[0]); i++) {
		v = *(const uint32_t *)(const void *)((const char *)c +
		    nat_timeouts[i].off);
		if (v == 0) {
			fprintf(fp, "# nat-timeout %s %s (natd's default)\n",
			    nat_timeouts[i].name, nat_timeouts[i].dflt_text);
			continue;
		}
		fprintf(fp, "nat-timeout %s ", nat_timeouts[i].name);
		print_duration(fp, v);
		fputc('\n', fp);
	}
}

void
conf_print(FILE *fp, const struct gk_config *c)
{
	char	 a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	int	 i;

	if (c->wan[0] != '\0')
		fprintf(fp, "wan %.*s\n", IF_NAMESIZE - 1, c->wan);
	else
		fprintf(fp, "# wan: autodetect\n");
	if (c->nlan > 0) {
		fprintf(fp, "lan");
		for (i = 0; i < c->nlan && i < CONF_MAX_LAN; i++)
			fprintf(fp, " %.*s", IF_NAMESIZE - 1, c->lan[i]);
		fputc('\n', fp);
	} else
		fprintf(fp, "# lan: autodetect\n");
	if (c->lan_addr.s_addr != 0)
		fprintf(fp, "lan-address %s/%d\n", ntoa(c->lan_addr, a),
		    c->lan_prefix);
	else
		fprintf(fp, "# lan-address: autodetect\n");
	if (c->dhcp_start.s_addr != 0)
		fprintf(fp, "dhcp-range %s %s\n", ntoa(c->dhcp_start, a),
		    ntoa(c->dhcp_end, b));
	else
		fprintf(fp, "# dhcp-range: derived from lan-address\n");
	fprintf(fp, "lease-time ");
	print_duration(fp, c->lease_time);
	fprintf(fp, "\ndomain %.*s\n", CONF_MAX_DOMAIN, c->domain);
	if (c->nupstream > 0) {
		fprintf(fp, "upstream");
		for (i = 0; i < c->nupstream && i < CONF_MAX_UPSTREAM; i++)
			fprintf(fp, " %s", ntoa(c->upstream[i], a));
		fputc('\n', fp);
	} else
		fprintf(fp, "# upstream: nameservers of /etc/resolv.conf\n");
	if (c->nrebind_allow > 0) {
		fprintf(fp, "rebind-allow");
		for (i = 0; i < c->nrebind_allow && i < CONF_MAX_REBIND_ALLOW;
		    i++)
			fprintf(fp, " %.*s", CONF_MAX_DOMAIN,
			    c->rebind_allow[i]);
		fputc('\n', fp);
	} else
		fprintf(fp, "# rebind-allow: none\n");
	print_lists(fp, c);
	print_options(fp, c);
	fprintf(fp, "nat-filtering udp %s\n",
	    conf_filtering_name(c->filter_udp));
	fprintf(fp, "nat-filtering tcp %s\n",
	    conf_filtering_name(c->filter_tcp));
	fprintf(fp, "web-listen %u\n", c->web_port);
	fprintf(fp, "web-tls-listen %u\n", c->web_tls_port);
	fprintf(fp, "capture-size ");
	print_size(fp, c->capture_size);
	fprintf(fp, "\ncapture-total ");
	print_size(fp, c->capture_total);
	fprintf(fp, "\nhistory ");
	print_duration(fp, c->history);
	fprintf(fp, "\nhistory-memory ");
	print_size(fp, c->history_memory);
	fprintf(fp, "\nstate-dir %.*s\n", CONF_MAX_PATH - 1, c->state_dir);
	fprintf(fp, "run-dir %.*s\n", CONF_MAX_PATH - 1, c->run_dir);
}
