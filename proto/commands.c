/*
 * The command catalogue (commands.h): the table, and the checks gkctl and
 * the parent share.
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "conf.h"
#include "proto.h"
#include "util.h"

#define OWN(p)		(1U << (p))

const struct gk_command gk_commands[CMD_MAX] = {
	[CMD_STATUS] = {
		.id = CMD_STATUS, .name = "status",
		.owners = OWN(PEER_PARENT),
		.from = CMD_FROM_ANYONE | CMD_FROM_WEBD,
		.summary = "daemons, addresses, queue backend",
		.text = "The WAN and LAN interfaces and addresses, the queue "
		    "rule backend, and per daemon its pid, uid, state, "
		    "restarts, uptime and detail (the daemon's own status "
		    "object). gatekeeperd answers it after asking each "
		    "running daemon for its detail.",
	},
	[CMD_RESTART] = {
		.id = CMD_RESTART, .name = "restart",
		.args = { { "natd|dhcpd|dnsd|webd", ARG_DAEMON } }, .nargs = 1, .nreq = 1,
		.owners = OWN(PEER_PARENT),
		.from = CMD_FROM_ROOT,
		.summary = "re-exec one daemon (root only)",
		.text = "Execute natd, dhcpd, dnsd or webd again, with the same "
		    "sockets: what arrived meanwhile waits in the kernel. "
		    "Root only.",
	},
	[CMD_CLIENTS] = {
		.id = CMD_CLIENTS, .name = "clients",
		.owners = OWN(PEER_DHCPD) | OWN(PEER_NATD),
		.from = CMD_FROM_ANYONE | CMD_FROM_WEBD,
		.summary = "LAN devices: leases joined with traffic",
		.text = "The LAN devices: dhcpd's leases and reservations "
		    "joined on their ip with natd's per-device counters.",
	},
	[CMD_LEASES] = {
		.id = CMD_LEASES, .name = "leases",
		.owners = OWN(PEER_DHCPD),
		.from = CMD_FROM_ANYONE | CMD_FROM_WEBD,
		.summary = "DHCP leases and reservations",
		.text = "Every lease and static reservation: ip, mac, "
		    "hostname, expiry, static or not, state.",
	},
	[CMD_LEASE_ADD] = {
		.id = CMD_LEASE_ADD, .name = "lease add",
		.args = { { "MAC", ARG_MAC }, { "IP", ARG_IPV4 },
		    { "NAME", ARG_HOSTNAME } }, .nargs = 3, .nreq = 2,
		.owners = OWN(PEER_DHCPD),
		.from = CMD_FROM_ANYONE | CMD_FROM_WEBD,
		.summary = "reserve IP for MAC, kept across restarts",
		.text = "Reserve IP for the device MAC, optionally with a host "
		    "name; kept in the lease database across restarts.",
	},
	[CMD_LEASE_DEL] = {
		.id = CMD_LEASE_DEL, .name = "lease del",
		.args = { { "MAC", ARG_MAC } }, .nargs = 1, .nreq = 1,
		.owners = OWN(PEER_DHCPD),
		.from = CMD_FROM_ANYONE | CMD_FROM_WEBD,
		.summary = "remove the reservation of MAC",
		.text = "Remove a reservation made with lease add (one from "
		    "gatekeeper.conf is removed there).",
	},
	[CMD_DNS_STATS] = {
		.id = CMD_DNS_STATS, .name = "dns stats",
		.owners = OWN(PEER_DNSD),
		.from = CMD_FROM_ANYONE | CMD_FROM_WEBD,
		.summary = "cache and upstream figures",
		.text = "dnsd's counters (queries, cache hits and misses, "
		    "upstream answers) and each upstream's state and RTT.",
	},
	[CMD_DNS_FLUSH] = {
		.id = CMD_DNS_FLUSH, .name = "dns flush",
		.owners = OWN(PEER_DNSD),
		.from = CMD_FROM_ANYONE,
		.summary = "empty the DNS cache",
		.text = "Empty dnsd's cache; says how many entries went.",
	},
	[CMD_DNS_LOG] = {
		.id = CMD_DNS_LOG, .name = "dns log",
		.args = { { "IP", ARG_IPV4 } }, .nargs = 1, .nreq = 0,
		.owners = OWN(PEER_DNSD),
		.from = CMD_FROM_ANYONE | CMD_FROM_WEBD,
		.summary = "recent queries, of one device or all",
		.text = "The recent queries of the device IP, or of every "
		    "device: time, name, type, rcode, answers, latency, "
		    "cached.",
	},
	[CMD_NAT] = {
		.id = CMD_NAT, .name = "nat",
		.args = { { "IP", ARG_IPV4 } }, .nargs = 1, .nreq = 0,
		.owners = OWN(PEER_NATD),
		.from = CMD_FROM_ANYONE | CMD_FROM_WEBD,
		.summary = "NAT mappings, of one device or all",
		.text = "The NAT mappings (of the device IP, or all): "
		    "protocol, LAN address and port, WAN port, remote when "
		    "filtered, idle time; type address-only rows are the LAN "
		    "device that owns a protocol without ports (GRE, ESP), "
		    "with no ports.",
	},
	[CMD_NAT_TIMEOUT] = {
		.id = CMD_NAT_TIMEOUT, .name = "nat timeout",
		.args = { { "NAME", ARG_TIMEOUT_NAME },
		    { "SECONDS", ARG_SECONDS } }, .nargs = 2, .nreq = 0,
		.repeat = 2,
		.owners = OWN(PEER_NATD),
		.from = CMD_FROM_ANYONE,
		.summary = "show or set NAT idle timeouts",
		.text = "Without arguments, the idle timeouts in force; with "
		    "NAME SECONDS pairs (NAME: udp, tcp-established, "
		    "tcp-transitory, icmp, other), set them, kept across "
		    "restarts until gatekeeper.conf changes that timeout.",
	},
	[CMD_FORWARDS] = {
		.id = CMD_FORWARDS, .name = "forwards",
		.owners = OWN(PEER_NATD),
		.from = CMD_FROM_ANYONE | CMD_FROM_WEBD,
		.summary = "port forwards",
		.text = "The port forwards: proto, wan_port, ip, port, and "
		    "source (config or gkctl).",
	},
	[CMD_FORWARD_ADD] = {
		.id = CMD_FORWARD_ADD, .name = "forward add",
		.args = { { "tcp|udp", ARG_PROTO }, { "WANPORT", ARG_PORT },
		    { "IP", ARG_IPV4 }, { "PORT", ARG_PORT } },
		.nargs = 4, .nreq = 3,
		.owners = OWN(PEER_NATD),
		.from = CMD_FROM_ANYONE | CMD_FROM_WEBD,
		.summary = "forward a WAN port to a LAN device",
		.text = "Forward WANPORT of the WAN address to IP, on PORT "
		    "(default: the same port); kept across restarts. A port "
		    "the router itself uses is refused.",
	},
	[CMD_FORWARD_DEL] = {
		.id = CMD_FORWARD_DEL, .name = "forward del",
		.args = { { "tcp|udp", ARG_PROTO }, { "WANPORT", ARG_PORT } },
		.nargs = 2, .nreq = 2,
		.owners = OWN(PEER_NATD),
		.from = CMD_FROM_ANYONE | CMD_FROM_WEBD,
		.summary = "remove a port forward",
		.text = "Remove a forward made with forward add (one from "
		    "gatekeeper.conf is removed there).",
	},
	[CMD_NAMES] = {
		.id = CMD_NAMES, .name = "names",
		.args = { { "IP", ARG_IPV4 } }, .nargs = 1, .nreq = 0,
		.owners = OWN(PEER_WEBD),
		.from = CMD_FROM_ANYONE | CMD_FROM_WEBD,
		.summary = "remote addresses by the names devices used",
		.text = "The names each LAN device (or the device IP) resolved "
		    "remote addresses by, learnt from dnsd, most recently "
		    "used first; the PTR names dnsd found for remotes no "
		    "device resolved show with the client 0.0.0.0.",
	},
	[CMD_PASSWD] = {
		.id = CMD_PASSWD, .name = "passwd",
		.args = { { "PASSWORD", ARG_SECRET } }, .nargs = 1, .nreq = 1,
		.owners = OWN(PEER_WEBD),
		.from = CMD_FROM_ROOT,
		.summary = "set the dashboard password (root only)",
		.text = "Set the dashboard's admin password: gkctl asks for it "
		    "twice without echo on a terminal, else reads one line "
		    "from standard input. 8 to 127 characters. Stored as a "
		    "yescrypt hash in webd's state directory; every session "
		    "of the old password ends.",
	},
	[CMD_TRAFFIC] = {
		.id = CMD_TRAFFIC, .name = "traffic",
		.args = { { "IP|MAC", ARG_CLIENT } }, .nargs = 1, .nreq = 1,
		.opts = { { "--remote", "ADDR", ARG_IPV4 },
		    { "--from", "T", ARG_TIME }, { "--to", "T", ARG_TIME },
		    { "--step", "D", ARG_STEP }, { "--points", "N", ARG_ROWS },
		    { "--csv", NULL, 0 } },
		.nopts = 6,
		.owners = OWN(PEER_WEBD),
		.from = CMD_FROM_ANYONE | CMD_FROM_WEBD,
		.summary = "a device's traffic history, JSON or CSV",
		.text = "The traffic history of the device (its MAC, or the "
		    "IP it holds now): rows of time (ms), bytes up and down, "
		    "packets up and down, and the least and most bytes of one "
		    "100 ms within each step; totals, the peak 100 ms, the "
		    "average rate and the active seconds. With --remote, one "
		    "remote address only. --from and --to take epoch ms or "
		    "ISO 8601 (default: the whole history up to now); --step "
		    "takes ms or a number with ms, s, m or h; --points N "
		    "instead asks for about N rows (1 to 100000) over the "
		    "window, as the dashboard zooms (default: about 1000 "
		    "rows). JSON, or CSV with a header with --csv.",
	},
	[CMD_PCAP] = {
		.id = CMD_PCAP, .name = "pcap",
		.args = { { "IP|MAC", ARG_CLIENT } }, .nargs = 1, .nreq = 1,
		.owners = OWN(PEER_WEBD),
		.from = CMD_FROM_ROOT,
		.stream = 1,
		.summary = "a device's capture as pcap on stdout (root only)",
		.text = "Write the capture ring of the device (its MAC, or the "
		    "IP it holds now) to standard output as a pcap file, "
		    "the same as the dashboard's download: the newest "
		    "packets it sent and received, up to capture-size "
		    "bytes, a consistent copy even while traffic flows. "
		    "Standard output must be a file or a pipe, never a "
		    "terminal: gkctl pcap 10.42.0.5 > phone.pcap.",
	},
	[CMD_USAGE] = {
		.id = CMD_USAGE, .name = "usage",
		.args = { { "IP|MAC", ARG_CLIENT }, { "FROM", ARG_DAY },
		    { "TO", ARG_DAY } }, .nargs = 3, .nreq = 1,
		.opts = { { "--from", "DAY", ARG_DAY },
		    { "--to", "DAY", ARG_DAY }, { "--csv", NULL, 0 } },
		.nopts = 3,
		.owners = OWN(PEER_WEBD),
		.from = CMD_FROM_ANYONE | CMD_FROM_WEBD,
		.summary = "a device's daily totals, JSON or CSV",
		.text = "The daily totals of the device (its MAC, or the IP "
		    "it holds now), kept 400 days: per local date, bytes up "
		    "and down, packets up and down and the minutes with "
		    "traffic, and their totals. FROM and TO (or --from and "
		    "--to) are dates, YYYY-MM-DD, both included (default: "
		    "the 400 days up to today). Days count up to the last "
		    "closed minute. JSON, or CSV with a header with --csv.",
	},
	[CMD_PCAP_CLEAR] = {
		.id = CMD_PCAP_CLEAR, .name = "pcap clear",
		.args = { { "IP", ARG_IPV4 } }, .nargs = 1, .nreq = 1,
		.owners = OWN(PEER_NATD),
		.from = CMD_FROM_ROOT,
		.summary = "clear a device's capture ring (root only)",
		.text = "Empty and zero the capture ring of the device that "
		    "holds IP now (natd knows it by the MAC of its packets); "
		    "its newer packets are recorded again. capture-size 0 "
		    "clears every ring.",
	},
	[CMD_DEVICES] = {
		.id = CMD_DEVICES, .name = "devices",
		.owners = OWN(PEER_WEBD),
		.from = CMD_FROM_ANYONE | CMD_FROM_WEBD,
		.summary = "every device ever seen, online or not",
		.text = "The device registry: every device seen on the LAN "
		    "(by DHCP or traffic) until forgotten, kept across "
		    "restarts: mac, last ip, vendor (from the MAC's OUI; a "
		    "locally administered MAC is a private address), online "
		    "(traffic or DHCP in the last 5 minutes), label, new "
		    "(not acknowledged yet), first and last seen (ms), the "
		    "host name it gave in DHCP, the name shown, and bytes up "
		    "and down since local midnight.",
	},
	[CMD_LABEL] = {
		.id = CMD_LABEL, .name = "label",
		.args = { { "IP|MAC", ARG_CLIENT }, { "TEXT", ARG_LABEL } },
		.nargs = 2, .nreq = 2,
		.owners = OWN(PEER_WEBD),
		.from = CMD_FROM_ANYONE,
		.summary = "name a device (\"\" clears the label)",
		.text = "Set the label the dashboard shows for the device (its "
		    "MAC, or the IP it holds now): at most 63 bytes of UTF-8, "
		    "no control characters; an empty TEXT clears it. Setting "
		    "a label also acknowledges a new device.",
	},
	[CMD_FORGET] = {
		.id = CMD_FORGET, .name = "forget",
		.args = { { "IP|MAC", ARG_CLIENT } }, .nargs = 1, .nreq = 1,
		.owners = OWN(PEER_WEBD),
		.from = CMD_FROM_ANYONE,
		.summary = "remove a device from the registry",
		.text = "Forget the device (its MAC, or the IP it holds now): "
		    "its label and first-seen time go; seen again, it is new "
		    "again. Its traffic history stays until it ages out.",
	},
};

/* How many words name has: "lease add" is 2. */
static int
name_words(const char *name)
{
	int	 n = 1;

	for (; *name != '\0'; name++)
		n += *name == ' ';
	return n;
}

/* 1 when the first n words of argv spell name. */
static int
name_matches(const char *name, int n, const char *const *argv)
{
	size_t	 len;
	int	 i;

	for (i = 0; i < n; i++) {
		len = strlen(argv[i]);
		if (strncmp(name, argv[i], len) != 0 ||
		    (name[len] != ' ' && name[len] != '\0'))
			return 0;
		name += len + (name[len] == ' ');
	}
	return *name == '\0';
}

const struct gk_command *
cmd_find(int argc, const char *const *argv, int *nwords)
{
	const struct gk_command *best = NULL;
	int	 i, n, bestn = 0;

	for (i = 0; i < CMD_MAX; i++) {
		n = name_words(gk_commands[i].name);
		if (n <= argc && n > bestn &&
		    name_matches(gk_commands[i].name, n, argv)) {
			best = &gk_commands[i];
			bestn = n;
		}
	}
	*nwords = bestn;
	return best;
}

void
cmd_usage(const struct gk_command *c, char *buf, size_t len)
{
	size_t	 off;
	int	 i, opt;

	snprintf(buf, len, "%s", c->name);
	for (i = 0; i < c->nargs; i++) {
		if (c->args[i].kind == ARG_SECRET)
			continue;	/* read by gkctl, not typed */
		off = strlen(buf);
		opt = i >= c->nreq;
		snprintf(buf + off, len - off, " %s%s%s",
		    opt && (!c->repeat || i == c->nreq) ? "[" : "",
		    c->args[i].name,
		    opt && (!c->repeat ? 1 : i == c->nargs - 1) ?
		    (c->repeat ? "]..." : "]") : "");
	}
	for (i = 0; i < c->nopts; i++) {
		off = strlen(buf);
		snprintf(buf + off, len - off, " [%s%s%s]", c->opts[i].name,
		    c->opts[i].meta != NULL ? " " : "",
		    c->opts[i].meta != NULL ? c->opts[i].meta : "");
	}
}

static int
parse_number(const char *s, long min, long max)
{
	char	*end;
	long	 v;

	if (*s < '0' || *s > '9')
		return 0;
	v = strtol(s, &end, 10);
	return *end == '\0' && v >= min && v <= max;
}

static const char *const timeout_names[] = {
	"udp", "tcp-established", "tcp-transitory", "icmp", "other", NULL
};
static const char *const daemon_names[] = {
	"natd", "dhcpd", "dnsd", "webd", NULL
};

static const char *const step_units[] = { "ms", "s", "m", "h", NULL };

static int
one_of(const char *s, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(s, *set) == 0)
			return 1;
	return 0;
}

/* A label's bytes: webd checks the UTF-8 too (webd/devices.c). */
static const char *
label_problem(const char *s)
{
	if (strlen(s) > 63)
		return "is too long (at most 63 bytes)";
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return "has a control character";
	return NULL;
}

/* NULL when s is of kind, else what it should have been. */
static const char *
arg_problem(enum cmd_arg_kind kind, const char *s)
{
	struct in_addr	 a;
	uint8_t		 mac[6];

	switch (kind) {
	case ARG_IPV4:
		return inet_pton(AF_INET, s, &a) == 1 ? NULL :
		    "is not an IPv4 address";
	case ARG_MAC:
		return conf_parse_mac(s, mac) == 0 ? NULL :
		    "is not a MAC address";
	case ARG_HOSTNAME:
		return s[0] != '\0' && strlen(s) <= CONF_MAX_HOSTNAME ? NULL :
		    "is not a host name (one DNS label)";
	case ARG_PROTO:
		return strcmp(s, "tcp") == 0 || strcmp(s, "udp") == 0 ? NULL :
		    "is not a protocol (tcp or udp)";
	case ARG_PORT:
		return parse_number(s, 1, 65535) ? NULL :
		    "is not a port (1 to 65535)";
	case ARG_DAEMON:
		return one_of(s, daemon_names) ? NULL :
		    "is not a daemon (natd, dhcpd, dnsd or webd)";
	case ARG_TIMEOUT_NAME:
		return one_of(s, timeout_names) ? NULL : "is not a timeout "
		    "(udp, tcp-established, tcp-transitory, icmp, other)";
	case ARG_SECONDS:
		return parse_number(s, 1, 30L * 86400) ? NULL :
		    "is not a number of seconds (1 to 2592000)";
	case ARG_SECRET:
		return s[0] != '\0' ? NULL : "is empty";
	case ARG_CLIENT:
		return inet_pton(AF_INET, s, &a) == 1 ||
		    conf_parse_mac(s, mac) == 0 ? NULL :
		    "is not a device (a MAC or an IPv4 address)";
	case ARG_TIME:
		return s[0] >= '0' && s[0] <= '9' &&
		    s[strspn(s, "0123456789-T:.+Z")] == '\0' ? NULL :
		    "is not a time (epoch ms or ISO 8601)";
	case ARG_STEP:
		return parse_number(s, 1, 999999999) || ((s[0] >= '0' &&
		    s[0] <= '9') && s[strspn(s, "0123456789")] != '\0' &&
		    one_of(s + strspn(s, "0123456789"), step_units)) ? NULL :
		    "is not a duration (ms, or with ms, s, m or h)";
	case ARG_LABEL:
		return label_problem(s);
	case ARG_DAY:
		return strlen(s) == 10 && s[4] == '-' && s[7] == '-' &&
		    strspn(s, "0123456789-") == 10 ? NULL :
		    "is not a date (YYYY-MM-DD)";
	case ARG_ROWS:
		/* webd's QUERY_MAX_ROWS */
		return parse_number(s, 1, 100000) ? NULL :
		    "is not a number of rows (1 to 100000)";
	}
	return "is not understood";
}

/* The catalogue argument that the n-th argument word stands for. */
static const struct cmd_arg *
arg_at(const struct gk_command *c, int n)
{
	if (c->repeat && n >= c->nreq)
		return &c->args[c->nreq + (n - c->nreq) % c->repeat];
	return &c->args[n];
}

static int
count_ok(const struct gk_command *c, int n)
{
	if (n < c->nreq)
		return 0;
	if (c->repeat)
		return (n - c->nreq) % c->repeat == 0;
	return n <= c->nargs;
}

/* The option of c that word names ("--from" or "--from=..."), or NULL. */
static const struct cmd_opt *
opt_find(const struct gk_command *c, const char *word)
{
	size_t	 n = strcspn(word, "=");
	int	 i;

	if (strncmp(word, "--", 2) != 0)
		return NULL;
	for (i = 0; i < c->nopts; i++)
		if (strlen(c->opts[i].name) == n &&
		    strncmp(c->opts[i].name, word, n) == 0)
			return &c->opts[i];
	return NULL;
}

/* NULL when an option word is well formed, else what is wrong. */
static const char *
opt_problem(const struct cmd_opt *o, const char *word)
{
	const char	*eq = strchr(word, '=');

	if (o->meta == NULL)
		return eq == NULL ? NULL : "takes no value";
	if (eq == NULL)
		return "needs a value";
	return arg_problem(o->kind, eq + 1);
}

int
cmd_join_options(int argc, char **argv)
{
	const struct gk_command *c;
	const struct cmd_opt *o;
	char		*w;
	int		 nw, i, j;

	if ((c = cmd_find(argc, (const char *const *)argv, &nw)) == NULL)
		return argc;
	for (i = nw; i + 1 < argc; i++) {
		if ((o = opt_find(c, argv[i])) == NULL || o->meta == NULL ||
		    strchr(argv[i], '=') != NULL)
			continue;
		if (asprintf(&w, "%s=%s", argv[i], argv[i + 1]) == -1)
			return argc;
		argv[i] = w;
		for (j = i + 1; j + 1 < argc; j++)
			argv[j] = argv[j + 1];
		argc--;
	}
	return argc;
}

/* Checks the option words of argv[nw..argc); -1 with err filled. The
 * rest are positional: their count in *npos. */
static int
check_opts(const struct gk_command *c, int argc, const char *const *argv,
    int nw, int *npos, char *err, size_t errlen)
{
	const struct cmd_opt *o;
	const char	*why;
	uint32_t	 seen = 0, bit;
	int		 i;

	*npos = 0;
	for (i = nw; i < argc; i++) {
		if ((o = opt_find(c, argv[i])) == NULL) {
			if (c->nopts > 0 && strncmp(argv[i], "--", 2) == 0) {
				snprintf(err, errlen, "%s: unknown option "
				    "\"%s\"", c->name, argv[i]);
				return -1;
			}
			(*npos)++;
			continue;
		}
		bit = 1U << (o - c->opts);
		why = seen & bit ? "is given twice" : opt_problem(o, argv[i]);
		if (why != NULL && o->meta != NULL && !(seen & bit) &&
		    strchr(argv[i], '=') != NULL) {
			snprintf(err, errlen, "%s: %s \"%s\" %s", c->name,
			    o->name, strchr(argv[i], '=') + 1, why);
			return -1;
		}
		if (why != NULL) {
			snprintf(err, errlen, "%s: %s %s", c->name, o->name,
			    why);
			return -1;
		}
		seen |= bit;
	}
	return 0;
}

/* The usages of the commands whose first word is word, joined by " | ";
 * 0 when there are none. */
static int
family_usage(const char *word, char *buf, size_t len)
{
	char		 one[160];
	size_t		 n = strlen(word), off;
	int		 i, found = 0;

	buf[0] = '\0';
	for (i = 0; i < CMD_MAX; i++) {
		if (strncmp(gk_commands[i].name, word, n) != 0 ||
		    gk_commands[i].name[n] != ' ')
			continue;
		cmd_usage(&gk_commands[i], one, sizeof(one));
		off = strlen(buf);
		snprintf(buf + off, len - off, "%s%s", found ? " | " : "", one);
		found = 1;
	}
	return found;
}

const struct gk_command *
cmd_check(int argc, const char *const *argv, char *err, size_t errlen)
{
	const struct gk_command *c, *near;
	const struct cmd_arg *a;
	const char	*why;
	char		 usage[256];
	int		 nw, i, k, npos;

	if (argc < 1) {
		snprintf(err, errlen, "no command (gkctl help lists them)");
		return NULL;
	}
	if ((c = cmd_find(argc, argv, &nw)) == NULL) {
		/* "lease" alone names a family: its members' usages. */
		if (family_usage(argv[0], usage, sizeof(usage))) {
			snprintf(err, errlen, "usage: %s", usage);
			return NULL;
		}
		near = cmd_suggest(argv[0]);
		if (near != NULL)
			snprintf(err, errlen, "unknown command \"%s\", did you "
			    "mean \"%s\"?", argv[0], near->name);
		else
			snprintf(err, errlen, "unknown command \"%s\" (gkctl "
			    "help lists them)", argv[0]);
		return NULL;
	}
	cmd_usage(c, usage, sizeof(usage));
	if (check_opts(c, argc, argv, nw, &npos, err, errlen) == -1)
		return NULL;
	if (!count_ok(c, npos)) {
		snprintf(err, errlen, "usage: %s", usage);
		return NULL;
	}
	for (i = nw, k = 0; i < argc; i++) {
		if (opt_find(c, argv[i]) != NULL)
			continue;
		a = arg_at(c, k++);
		if ((why = arg_problem(a->kind, argv[i])) != NULL) {
			snprintf(err, errlen, "%s: \"%s\" %s (usage: %s)",
			    c->name, argv[i], why, usage);
			return NULL;
		}
	}
	return c;
}

int
cmd_allowed(const struct gk_command *c, uint32_t from)
{
	return (c->from & from) != 0;
}

uint32_t
cmd_owner(const struct gk_command *c)
{
	uint32_t	 p;

	for (p = 0; p < PEER_MAX; p++)
		if (c->owners & OWN(p))
			return p;
	return PEER_PARENT;
}

const struct gk_command *
cmd_suggest(const char *word)
{
	const struct gk_command *best = NULL;
	char		 first[32];
	size_t		 n;
	int		 i, d, bestd = 3;	/* more is no typo */

	for (i = 0; i < CMD_MAX; i++) {
		n = strcspn(gk_commands[i].name, " ");
		if (n >= sizeof(first))
			continue;
		memcpy(first, gk_commands[i].name, n);
		first[n] = '\0';
		if ((d = word_distance(word, first)) < bestd) {
			best = &gk_commands[i];
			bestd = d;
		}
	}
	return best;
}

/* The i-th entry of a handler table of n entries of size bytes each,
 * every one starting with its command (enum gk_cmd, as an int). */
static int
table_cmd(const void *table, size_t size, size_t i)
{
	int	 cmd;

	memcpy(&cmd, (const char *)table + i * size, sizeof(cmd));
	return cmd;
}

const void *
cmd_table_find(const void *table, size_t n, size_t size, int cmd)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (table_cmd(table, size, i) == cmd)
			return (const char *)table + i * size;
	return NULL;
}

int
cmd_table_check(uint32_t peer, const void *table, size_t n, size_t size,
    char *err, size_t errlen)
{
	const struct gk_command *c;
	size_t	 i;
	int	 cmd;

	for (i = 0; i < CMD_MAX; i++) {
		c = &gk_commands[i];
		if ((c->owners & OWN(peer)) != 0 &&
		    cmd_table_find(table, n, size, c->id) == NULL) {
			snprintf(err, errlen, "no handler for the command "
			    "\"%s\"", c->name);
			return -1;
		}
	}
	for (i = 0; i < n; i++) {
		cmd = table_cmd(table, size, i);
		if (cmd < 0 || cmd >= CMD_MAX ||
		    (gk_commands[cmd].owners & OWN(peer)) == 0) {
			snprintf(err, errlen, "handler %zu is for a command "
			    "not %s's", i, proto_peer_name(peer));
			return -1;
		}
	}
	return 0;
}

void
cmd_table_print(const void *table, size_t n, size_t size)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		printf("%s\n", gk_commands[table_cmd(table, size, i)].name);
}
