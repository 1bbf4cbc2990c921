/*
 * The command catalogue: its entries are whole, its checks say what a user
 * needs, and every program that answers commands handles exactly the ones
 * the catalogue gives it (a child prints its list with -L, gatekeeperd
 * with -C), so the catalogue, the parent's routing and the daemons'
 * handlers cannot drift apart.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "commands.h"
#include "proto.h"

static const struct gk_command *
check_line(const char *line, char *err, size_t errlen)
{
	const char	*argv[16];
	char		 buf[512], *p, *save = NULL;
	int		 argc = 0;

	strlcpy(buf, line, sizeof(buf));
	for (p = strtok_r(buf, " ", &save); p != NULL && argc < 16;
	    p = strtok_r(NULL, " ", &save))
		argv[argc++] = p;
	err[0] = '\0';
	return cmd_check(argc, argv, err, errlen);
}

/* cmd_check accepts line, as command name. */
static void
accepts(const char *line, const char *name)
{
	const struct gk_command *c;
	char		 err[512];

	c = check_line(line, err, sizeof(err));
	if (c == NULL)
		fprintf(stderr, "refused \"%s\": %s\n", line, err);
	CHECK(c != NULL);
	if (c != NULL)
		CHECK_STR(c->name, name);
}

/* cmd_check refuses line with an error containing want. */
static void
refuses(const char *line, const char *want)
{
	const struct gk_command *c;
	char		 err[512];

	c = check_line(line, err, sizeof(err));
	CHECK(c == NULL);
	if (strstr(err, want) == NULL)
		fprintf(stderr, "\"%s\": error \"%s\" lacks \"%s\"\n", line,
		    err, want);
	CHECK(strstr(err, want) != NULL);
}

/* gkctl joins "--from T" into the one word the catalogue checks. */
static void
test_join(void)
{
	char	*argv[] = { "traffic", "10.42.0.5", "--from", "2027-01-15",
	    "--csv", "--step", "1s", "--to" };
	char	 err[256];
	int	 argc;

	argc = cmd_join_options(8, argv);
	CHECK(argc == 6);
	CHECK_STR(argv[2], "--from=2027-01-15");
	CHECK_STR(argv[3], "--csv");
	CHECK_STR(argv[4], "--step=1s");
	CHECK_STR(argv[5], "--to");
	/* a trailing option without its value stays, and is refused */
	CHECK(cmd_check(argc, (const char *const *)argv, err,
	    sizeof(err)) == NULL);
	CHECK(strstr(err, "--to needs a value") != NULL);
	CHECK(cmd_check(argc - 1, (const char *const *)argv, err,
	    sizeof(err)) != NULL);
	free(argv[2]);
	free(argv[4]);
}

static void
test_entries(void)
{
	const struct gk_command *c;
	int	 i, j;

	for (i = 0; i < CMD_MAX; i++) {
		c = &gk_commands[i];
		CHECK(c->id == (enum gk_cmd)i);
		CHECK(c->name != NULL && c->name[0] != '\0');
		CHECK(c->summary != NULL && c->summary[0] != '\0');
		CHECK(c->text != NULL && strlen(c->text) > 20);
		CHECK(c->owners != 0 && (c->owners >> PEER_MAX) == 0);
		CHECK((c->owners & (1U << PEER_GKCTL)) == 0);
		/* The parent answers alone, or not at all. */
		CHECK(c->owners == 1U << PEER_PARENT ||
		    (c->owners & (1U << PEER_PARENT)) == 0);
		CHECK(c->from != 0);
		CHECK(c->nreq <= c->nargs && c->nargs <= CMD_MAX_ARGS);
		CHECK(c->repeat == 0 || c->nargs - c->nreq == c->repeat);
		for (j = 0; j < c->nargs; j++)
			CHECK(c->args[j].name != NULL);
		for (j = 0; j < i; j++)
			CHECK(strcmp(c->name, gk_commands[j].name) != 0);
		/* A stream goes to one daemon, from gkctl only: webd has
		 * no pipe to send, and a merged reply has no one file. */
		if (c->stream)
			CHECK((c->owners & (c->owners - 1)) == 0 &&
			    (c->from & CMD_FROM_WEBD) == 0);
	}
}

static void
test_checks(void)
{
	char	 u[256];

	accepts("status", "status");
	accepts("nat", "nat");
	accepts("nat 10.42.0.5", "nat");
	accepts("nat timeout", "nat timeout");
	accepts("nat timeout udp 30 icmp 60", "nat timeout");
	accepts("lease add 02:00:00:00:00:01 10.42.0.9", "lease add");
	accepts("lease add 02:00:00:00:00:01 10.42.0.9 printer", "lease add");
	accepts("forward add tcp 8443 10.42.0.10 443", "forward add");
	accepts("forward del udp 53", "forward del");
	accepts("restart dnsd", "restart");
	accepts("dns log", "dns log");

	refuses("leses", "did you mean \"leases\"");
	refuses("statsu", "did you mean \"status\"");
	refuses("frobnicate", "unknown command \"frobnicate\"");
	refuses("lease", "usage: lease add MAC IP [NAME] | lease del MAC");
	refuses("dns", "dns stats | dns flush | dns log [IP]");
	refuses("status now", "usage: status");
	refuses("lease add 02:00:00:00:00:01", "usage: lease add MAC IP");
	refuses("lease add 1 10.42.0.9", "\"1\" is not a MAC address");
	refuses("lease add 02:00:00:00:00:01 10.42.0", "not an IPv4 address");
	refuses("nat timeout udp", "usage: nat timeout [NAME SECONDS]...");
	refuses("nat timeout udp 0", "not a number of seconds");
	refuses("nat timeout tcp 30", "\"tcp\" is not a timeout");
	refuses("forward add sctp 80 10.42.0.1", "not a protocol");
	refuses("forward add tcp 65536 10.42.0.1", "not a port");
	refuses("forward add tcp 80 10.42.0.1 0", "not a port");
	refuses("forward add tcp 8x 10.42.0.1", "not a port");
	refuses("restart sshd", "not a daemon");
	refuses("", "no command");

	/* options: "--from T" typed, "--from=T" sent */
	accepts("traffic 10.42.0.5", "traffic");
	accepts("traffic 52:54:00:12:34:56 --csv", "traffic");
	accepts("traffic 10.42.0.5 --remote=192.0.2.1 --from=1800000000000 "
	    "--to=2027-01-15T08:00:00Z --step=5s --csv", "traffic");
	accepts("traffic --step=250 10.42.0.5", "traffic");
	accepts("traffic 10.42.0.5 --points=1000 --csv", "traffic");
	accepts("traffic 10.42.0.5 --remote=192.0.2.1 --from=1800000000000 "
	    "--to=1800000060000 --step=1s --points=100000 --csv", "traffic");
	refuses("traffic", "usage: traffic IP|MAC [--remote ADDR] [--from T] "
	    "[--to T] [--step D] [--points N] [--csv]");
	refuses("traffic 10.42.0.5 --points=0", "is not a number of rows");
	refuses("traffic 10.42.0.5 --points=100001", "is not a number of rows");
	refuses("traffic 10.42.0.5 --points=12x", "is not a number of rows");
	refuses("traffic 10.42.0.5 --points", "--points needs a value");
	refuses("traffic 10.42.0.5 10.42.0.6", "usage: traffic");
	refuses("traffic printer", "\"printer\" is not a device");
	refuses("traffic 10.42.0.5 --remote", "--remote needs a value");
	refuses("traffic 10.42.0.5 --remote=x", "\"x\" is not an IPv4");
	refuses("traffic 10.42.0.5 --from=yesterday", "is not a time");
	refuses("traffic 10.42.0.5 --step=5x", "is not a duration");
	refuses("traffic 10.42.0.5 --csv=1", "--csv takes no value");
	refuses("traffic 10.42.0.5 --csv --csv", "--csv is given twice");
	refuses("traffic 10.42.0.5 --color", "unknown option \"--color\"");
	accepts("usage 10.42.0.5", "usage");
	accepts("usage 52:54:00:12:34:56 2027-01-01", "usage");
	accepts("usage 10.42.0.5 2027-01-01 2027-01-31 --csv", "usage");
	accepts("usage 10.42.0.5 --from=2027-01-01 --to=2027-01-31", "usage");
	refuses("usage", "usage: usage IP|MAC [FROM] [TO] [--from DAY] "
	    "[--to DAY] [--csv]");
	refuses("usage 10.42.0.5 yesterday", "is not a date (YYYY-MM-DD)");
	refuses("usage 10.42.0.5 --from=2027-1-1", "is not a date");
	refuses("usage 10.42.0.5 2027-01-01 2027-01-02 2027-01-03",
	    "usage: usage");
	refuses("usage 10.42.0.5 --step=1s", "unknown option \"--step=1s\"");

	/* pcap IP|MAC streams a file; pcap clear IP is another command */
	accepts("pcap 10.42.0.5", "pcap");
	accepts("pcap 52:54:00:12:34:56", "pcap");
	accepts("pcap clear 10.42.0.5", "pcap clear");
	refuses("pcap", "usage: pcap IP|MAC");
	refuses("pcap printer", "\"printer\" is not a device");
	refuses("pcap 10.42.0.5 10.42.0.6", "usage: pcap IP|MAC");

	cmd_usage(&gk_commands[CMD_FORWARD_ADD], u, sizeof(u));
	CHECK_STR(u, "forward add tcp|udp WANPORT IP [PORT]");
	cmd_usage(&gk_commands[CMD_NAT_TIMEOUT], u, sizeof(u));
	CHECK_STR(u, "nat timeout [NAME SECONDS]...");
	cmd_usage(&gk_commands[CMD_LEASE_ADD], u, sizeof(u));
	CHECK_STR(u, "lease add MAC IP [NAME]");
}

static void
test_senders(void)
{
	/* Restarting daemons is root's; webd may not, nor flush. */
	CHECK(cmd_allowed(&gk_commands[CMD_RESTART], CMD_FROM_ROOT));
	CHECK(!cmd_allowed(&gk_commands[CMD_RESTART], CMD_FROM_GROUP));
	CHECK(!cmd_allowed(&gk_commands[CMD_RESTART], CMD_FROM_WEBD));
	CHECK(!cmd_allowed(&gk_commands[CMD_DNS_FLUSH], CMD_FROM_WEBD));
	CHECK(cmd_allowed(&gk_commands[CMD_LEASE_ADD], CMD_FROM_WEBD));
	CHECK(cmd_allowed(&gk_commands[CMD_FORWARD_DEL], CMD_FROM_GROUP));
	CHECK(cmd_owner(&gk_commands[CMD_NAMES]) == PEER_WEBD);
	/* Captures hold the household's traffic: root's alone. */
	CHECK(cmd_allowed(&gk_commands[CMD_PCAP], CMD_FROM_ROOT));
	CHECK(!cmd_allowed(&gk_commands[CMD_PCAP], CMD_FROM_GROUP));
	CHECK(!cmd_allowed(&gk_commands[CMD_PCAP], CMD_FROM_WEBD));
	CHECK(gk_commands[CMD_PCAP].stream && cmd_owner(
	    &gk_commands[CMD_PCAP]) == PEER_WEBD);
	CHECK(cmd_owner(&gk_commands[CMD_USAGE]) == PEER_WEBD);
	CHECK(cmd_allowed(&gk_commands[CMD_USAGE], CMD_FROM_WEBD));
	CHECK(cmd_owner(&gk_commands[CMD_STATUS]) == PEER_PARENT);
}

/*
 * `program flag` lists the commands it handles; they must be exactly the
 * catalogue's commands owned by peer.
 */
static void
test_handlers(const char *build, const char *rel, const char *flag,
    uint32_t peer)
{
	char		 cmd[1024], line[256];
	int		 seen[CMD_MAX] = { 0 }, i, nw, status;
	const char	*argv[CMD_MAX_WORDS + 1];
	const struct gk_command *c;
	char		*p, *save;
	FILE		*f;

	snprintf(cmd, sizeof(cmd), "%s/%s %s", build, rel, flag);
	if ((f = popen(cmd, "r")) == NULL) {
		fprintf(stderr, "%s: %s\n", cmd, strerror(errno));
		CHECK(0);
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		nw = 0;
		save = NULL;
		for (p = strtok_r(line, " ", &save); p != NULL &&
		    nw <= CMD_MAX_WORDS; p = strtok_r(NULL, " ", &save))
			argv[nw++] = p;
		c = nw > 0 && nw <= CMD_MAX_WORDS ?
		    cmd_find(nw, argv, &i) : NULL;
		if (c == NULL || i != nw) {
			fprintf(stderr, "%s handles \"%s\", not in the "
			    "catalogue\n", rel, line);
			CHECK(0);
			continue;
		}
		seen[c->id]++;
	}
	status = pclose(f);
	if (status != 0)
		fprintf(stderr, "%s exited with %d\n", cmd, status);
	CHECK(status == 0);
	for (i = 0; i < CMD_MAX; i++) {
		int owned = (gk_commands[i].owners & (1U << peer)) != 0;

		if (seen[i] != owned)
			fprintf(stderr, "%s: \"%s\" handled %d times, owned "
			    "%d\n", rel, gk_commands[i].name, seen[i], owned);
		CHECK(seen[i] == owned);
	}
}

int
main(void)
{
	const char	*build = getenv("GK_BUILD");

	test_join();
	test_entries();
	test_checks();
	test_senders();
	if (build == NULL) {
		fprintf(stderr, "GK_BUILD is not set: meson test sets it\n");
		CHECK(0);
	} else {
		test_handlers(build, "gatekeeperd/gatekeeperd", "-C",
		    PEER_PARENT);
		test_handlers(build, "natd/natd", "-L", PEER_NATD);
		test_handlers(build, "dhcpd/dhcpd", "-L", PEER_DHCPD);
		test_handlers(build, "dnsd/dnsd", "-L", PEER_DNSD);
		test_handlers(build, "webd/webd", "-L", PEER_WEBD);
	}
	return check_result();
}
