/*
 * webd: the dashboard. This is its foundation: it holds the web listener
 * on the LAN address and its channels to natd and dnsd, runs sandboxed,
 * and answers status. It serves no pages yet and its status says so.
 *
 * What it keeps already: the names each LAN device resolved remote
 * addresses by, from dnsd's observations (names.c), for the dashboard
 * to label remote hosts with; `gkctl names [IP]` shows them.
 */
#include <sys/socket.h>

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "chan.h"
#include "child.h"
#include "commands.h"
#include "log.h"
#include "names.h"
#include "util.h"

#define EXPIRE_INTERVAL_S	10
#define NAMES_LIST_MAX		1000	/* entries in one `names` reply */

static struct names	*names;
static struct proto_chan *dnsd_chan;
static struct event	 ev_expire;
static uint64_t		 dnsd_unexpected;

static void
dnsd_msg(struct proto_chan *c, struct proto_msg *msg, void *arg)
{
	static struct msg_dns_obs m;

	if (msg->hdr.type != MSG_DNS_OBS) {
		/* dnsd sends nothing else; proto_check vouched for size */
		dnsd_unexpected++;
		log_warnx("unexpected %s from dnsd",
		    proto_type_name(msg->hdr.type));
		return;
	}
	memset(&m, 0, sizeof(m));
	memcpy(&m, msg->data, msg->len);
	names_observe_batch(names, &m, mono_s());
}

static void
dnsd_closed(struct proto_chan *c, const char *why, void *arg)
{
	log_warnx("dnsd channel %s; no more names from dnsd", why);
	proto_chan_free(c);
	dnsd_chan = NULL;
}

static void
expire_tick(evutil_socket_t fd, short what, void *arg)
{
	names_expire(names, mono_s());
}

static void
webd_init(struct event_base *base, void *arg)
{
	struct timeval	 tv = { EXPIRE_INTERVAL_S, 0 };

	if ((names = malloc(sizeof(*names))) == NULL)
		fatal("names table");
	names_init(names);
	dnsd_chan = proto_chan_new(base, FD_WEBD_DNSD, PEER_WEBD, PEER_DNSD,
	    dnsd_msg, dnsd_closed, NULL);
	if (dnsd_chan == NULL)
		fatal("dnsd channel");
	event_assign(&ev_expire, base, -1, EV_PERSIST, expire_tick, NULL);
	event_add(&ev_expire, &tv);
}

#define JSET(o, k, v)	json_object_set_new((o), (k), json_integer((json_int_t)(v)))

static json_t *
names_stats_json(void)
{
	const struct names_stats *s = &names->st;
	json_t	*o = json_object();

	JSET(o, "entries", names->count);
	JSET(o, "max_entries", NAMES_MAX);
	JSET(o, "observations", s->observations);
	JSET(o, "batches", s->batches);
	JSET(o, "added", s->added);
	JSET(o, "renamed", s->renamed);
	JSET(o, "refreshed", s->refreshed);
	JSET(o, "evicted", s->evicted);
	JSET(o, "expired", s->expired);
	JSET(o, "rejected", s->rejected);
	JSET(o, "unexpected_messages", dnsd_unexpected);
	return o;
}

static void
webd_status(json_t *detail, void *arg)
{
	json_object_set_new(detail, "service",
	    json_string("none yet: the dashboard is not built"));
	json_object_set_new(detail, "names", names_stats_json());
}

static json_t *
entry_json(const struct names_entry *e, uint32_t now)
{
	char	 client[INET_ADDRSTRLEN], addr[INET6_ADDRSTRLEN];
	json_t	*o = json_object();

	inet_ntop(AF_INET, &e->client, client, sizeof(client));
	inet_ntop(e->family == 4 ? AF_INET : AF_INET6, e->addr, addr,
	    sizeof(addr));
	json_object_set_new(o, "client", json_string(client));
	json_object_set_new(o, "address", json_string(addr));
	json_object_set_new(o, "name", json_string(e->name));
	JSET(o, "seen_s_ago", now - e->seen);
	JSET(o, "expires_in_s", e->expiry > now ? e->expiry - now : 0);
	return o;
}

/* `names [IP]`: the table, most recently used first. */
static json_t *
ctl_names(const struct ctl_call *call, char *err, size_t errlen)
{
	const struct names_entry *e;
	struct in_addr	 ip = { 0 };
	uint32_t	 now = mono_s();
	json_t		*o, *a;
	int32_t		 i;
	int		 n = 0;

	if (call->argc == 1 && inet_pton(AF_INET, call->argv[0], &ip) != 1) {
		snprintf(err, errlen, "names: \"%s\" is not an IPv4 address",
		    call->argv[0]);
		return NULL;
	}
	a = json_array();
	for (i = names->head; i != -1 && n < NAMES_LIST_MAX;
	    i = names->e[i].next) {
		e = &names->e[i];
		if (e->expiry <= now ||
		    (ip.s_addr != 0 && e->client.s_addr != ip.s_addr))
			continue;
		json_array_append_new(a, entry_json(e, now));
		n++;
	}
	o = json_object();
	json_object_set_new(o, "names", a);
	json_object_set_new(o, "stats", names_stats_json());
	return o;
}

static const struct ctl_handler webd_handlers[] = {
	{ CMD_NAMES, ctl_names },
};

int
main(int argc, char **argv)
{
	static const struct child_spec spec = {
		.peer = PEER_WEBD,
		.init = webd_init,
		.status = webd_status,
		.handlers = webd_handlers,
		.nhandlers = sizeof(webd_handlers) / sizeof(webd_handlers[0]),
	};

	child_main(argc, argv, &spec);
}
