/*
 * gkctl's tables (gkctl/print.c): sizes and durations rounded for
 * people, times as dates, and control characters in strings that LAN
 * devices chose (host names) escaped before they reach a terminal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "check.h"
#include "print.h"

/* The table print_reply makes of the JSON text. */
static char *
render(const char *command, const char *text)
{
	static char	*out;
	json_error_t	 err;
	json_t		*body;
	size_t		 len;
	FILE		*f;

	free(out);
	out = NULL;
	if ((body = json_loads(text, 0, &err)) == NULL) {
		fprintf(stderr, "bad test JSON: %s\n", err.text);
		return NULL;
	}
	if ((f = open_memstream(&out, &len)) == NULL)
		return NULL;
	print_reply(f, command, body);
	fclose(f);
	json_decref(body);
	return out;
}

static int
contains(const char *s, const char *what)
{
	if (s != NULL && strstr(s, what) != NULL)
		return 1;
	fprintf(stderr, "want \"%s\" in:\n%s\n", what, s ? s : "(null)");
	return 0;
}

static void
test_rounding(void)
{
	const char *t = render("clients", "{\"clients\": [{\"ip\": "
	    "\"10.42.0.10\", \"bytes_up\": 1536, \"bytes_down\": 5242880, "
	    "\"rate_up\": 2048, \"rate_down\": 100, \"idle\": 3700, "
	    "\"packets_up\": 123456}]}");

	CHECK(contains(t, "1.5K"));
	CHECK(contains(t, "5.0M"));
	CHECK(contains(t, "2.0K/s"));
	CHECK(contains(t, "100/s"));
	CHECK(contains(t, "1h01m"));
	/* Counts of packets stay exact. */
	CHECK(contains(t, "123456"));
	CHECK(contains(t, "BYTES UP"));
	t = render("dns stats", "{\"cache_bytes\": 3221225472, "
	    "\"uptime\": 90061, \"queries\": 7}");
	CHECK(contains(t, "cache_bytes: 3.0G"));
	CHECK(contains(t, "uptime: 1d01h"));
	CHECK(contains(t, "queries: 7"));
	/* times: unix seconds (dhcpd) and ms (webd's devices) alike */
	setenv("TZ", "UTC", 1);
	tzset();
	t = render("devices", "{\"devices\": [{\"mac\": \"b8:27:eb:01:02:03\", "
	    "\"first_seen\": 1800000000000, \"last_seen\": 1800000060}]}");
	CHECK(contains(t, "2027-01-15 08:00:00"));
	CHECK(contains(t, "2027-01-15 08:01:00"));
}

static void
test_control_characters(void)
{
	const char *t;

	/* A host name that would clear the screen and one with a C1 CSI. */
	t = render("leases", "{\"leases\": [{\"ip\": \"10.42.0.11\", "
	    "\"hostname\": \"evil\\u001b[2J\\u0007x\"}, {\"ip\": "
	    "\"10.42.0.12\", \"hostname\": \"c1\\u009b31m\"}]}");
	CHECK(t != NULL && strchr(t, '\033') == NULL && strchr(t, '\a') ==
	    NULL && strstr(t, "\xc2\x9b") == NULL);
	CHECK(contains(t, "evil\\x1b[2J\\x07x"));
	CHECK(contains(t, "c1\\x9b31m"));
	/* Keys too, and the status table's strings. */
	t = render("names", "{\"k\\u001bey\": \"v\\nw\"}");
	CHECK(contains(t, "k\\x1bey: v\\x0aw"));
	t = render("status", "{\"wan\": {\"ifname\": \"wan0\\u001b\"}, "
	    "\"daemons\": [{\"name\": \"dns\\u001bd\", \"pid\": 1, \"uid\": 2,"
	    " \"state\": \"running\", \"restarts\": 0, \"uptime\": 61}]}");
	CHECK(t != NULL && strchr(t, '\033') == NULL);
	CHECK(contains(t, "wan0\\x1b"));
	CHECK(contains(t, "dns\\x1bd"));
	CHECK(contains(t, "1m01s"));
}

/* Each daemon's PSS and the parent's, the shared regions apart. */
static void
test_status_memory(void)
{
	const char *t;

	t = render("status", "{\"daemons\": [{\"name\": \"natd\", "
	    "\"pid\": 7, \"uid\": 2, \"state\": \"running\", "
	    "\"restarts\": 0, \"uptime\": 5, \"pss_kb\": 1536, "
	    "\"pss_shmem_kb\": 512}, {\"name\": \"webd\", \"pid\": null, "
	    "\"uid\": 3, \"state\": \"restarting\", \"restarts\": 1, "
	    "\"uptime\": null, \"pss_kb\": null, \"pss_shmem_kb\": null}], "
	    "\"memory\": {\"gatekeeperd\": {\"pss_kb\": 1200, "
	    "\"pss_shmem_kb\": 0}, \"total_pss_kb\": 2736, "
	    "\"total_pss_shmem_kb\": 512}}");
	CHECK(contains(t, "PSS"));
	CHECK(contains(t, "1.5M (shared 512K)"));
	CHECK(contains(t, "restarting 1        -       -\n"));
	CHECK(contains(t, "1.2M\n"));
	CHECK(contains(t, "memory: 2.7M PSS in all, 512K of it the shared "
	    "regions"));
}

/* dnsd's output rule, loaded or refused. */
static void
test_status_dnsout(void)
{
	const char *t;

	t = render("status", "{\"queue_backend\": \"nft\", \"dnsd_output\": "
	    "{\"mode\": \"reject\", \"error\": null, \"uid\": 993, "
	    "\"lan\": \"10.42.0.0/24\", \"upstreams\": [\"198.51.100.1\", "
	    "\"203.0.113.1\"], \"refused\": 12}}");
	CHECK(contains(t, "queue nft\ndnsd output reject: LAN 10.42.0.0/24, "
	    "port 53 of 198.51.100.1 203.0.113.1; 12 refused\n\n"));
	t = render("status", "{\"dnsd_output\": {\"mode\": \"off\", "
	    "\"error\": \"the kernel refused the rule (x)\"}}");
	CHECK(contains(t, "dnsd output off: the kernel refused the rule (x)\n"));
	t = render("status", "{\"dnsd_output\": {\"mode\": \"drop\", "
	    "\"error\": null, \"lan\": \"10.42.0.0/24\", \"upstreams\": []}}");
	CHECK(contains(t, "dnsd output drop: LAN 10.42.0.0/24, port 53 of no "
	    "upstream\n"));
}

int
main(void)
{
	test_status_dnsout();
	test_status_memory();
	test_rounding();
	test_control_characters();
	return check_result();
}
