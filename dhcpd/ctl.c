/*
 * dhcpd's status and its gkctl commands (leases, clients, lease add,
 * lease del), over the state dhcpd.c keeps (dhcpd.h).
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "child.h"
#include "commands.h"
#include "conf.h"
#include "dhcpd.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "util.h"
#include "wire.h"
#include "writer.h"

#ifndef nitems
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* The status counters, by group, in the order they are shown. */
static const struct json_counter sent_counters[] = {
	JSON_COUNTER(struct dhcp_stats, offers),
	JSON_COUNTER(struct dhcp_stats, acks),
	JSON_COUNTER(struct dhcp_stats, naks),
};

/* After the malformed ones, by reason (dhcp_err_name()), and no_address. */
static const struct json_counter dropped_counters[] = {
	JSON_COUNTER_AS("truncated", struct dhcpd, io.truncated),
	JSON_COUNTER_AS("probe_busy", struct dhcpd, io.probe_busy),
	JSON_COUNTER_AS("not_durable", struct dhcpd, io.commit_failures),
};

static const struct json_counter silent_counters[] = {
	JSON_COUNTER(struct dhcp_stats, other_server),
	JSON_COUNTER(struct dhcp_stats, unknown_client),
	JSON_COUNTER(struct dhcp_stats, release_unknown),
	JSON_COUNTER(struct dhcp_stats, pool_full),
	JSON_COUNTER(struct dhcp_stats, mac_limit),
};

static const struct json_counter conflict_counters[] = {
	JSON_COUNTER(struct dhcp_stats, probes),
	JSON_COUNTER(struct dhcp_stats, conflicts),
	JSON_COUNTER(struct dhcp_stats, declines),
};

static const struct json_counter probe_counters[] = {
	JSON_COUNTER_AS("arp_seen", struct dhcpd, io.arp_seen),
	JSON_COUNTER_AS("probes_ahead", struct dhcpd, io.probes_ahead),
};

static const struct json_counter io_counters[] = {
	JSON_COUNTER_AS("recv_errors", struct dhcpd, io.recv_errors),
	JSON_COUNTER_AS("send_errors", struct dhcpd, io.send_errors),
	JSON_COUNTER_AS("names_unsent", struct dhcpd, io.names_unsent),
};

static json_t *
pool_json(void)
{
	json_t	*o = json_object();

	json_object_set_new(o, "size", json_integer(dhcp_pool_size(dhcpd.srv)));
	json_object_set_new(o, "never_used",
	    json_integer(dhcp_pool_unused(dhcpd.srv)));
	json_object_set_new(o, "leases",
	    json_integer(dhcp_lease_count(dhcpd.srv)));
	json_object_set_new(o, "reservations",
	    json_integer(dhcp_resv_count(dhcpd.srv)));
	return o;
}

static json_t *
dropped_json(const struct dhcp_stats *st)
{
	json_t	*o = json_object();
	int	 i;

	for (i = DHCP_ERR_SHORT; i < DHCP_ERR_MAX; i++)
		json_object_set_new(o, dhcp_err_name(i),
		    json_integer((json_int_t)st->drop[i]));
	json_object_set_new(o, "no_address",
	    json_integer((json_int_t)st->drop_no_address));
	json_counters(o, &dhcpd, dropped_counters, nitems(dropped_counters));
	return o;
}

/* The frame socket: what was read, and why frames were dropped. */
static json_t *
frames_json(void)
{
	json_t	*o = json_object();
	int	 i;

	json_object_set_new(o, "read", json_integer((json_int_t)
	    dhcpd.io.frames));
	json_object_set_new(o, "not_for_us", json_integer((json_int_t)
	    dhcpd.io.frames_not_for_us));
	for (i = FRAME_ERR_SHORT; i < FRAME_ERR_MAX; i++)
		json_object_set_new(o, dhcp_frame_err_name(i),
		    json_integer((json_int_t)dhcpd.io.frame_drop[i]));
	json_object_set_new(o, "kernel_drops", json_integer((json_int_t)
	    dhcpd_kernel_drops()));
	return o;
}

static json_t *
batches_json(void)
{
	const struct dhcp_writer *w = dhcpd.w;
	json_t	*o = json_object();

	json_object_set_new(o, "commits",
	    json_integer((json_int_t)writer_commits(w)));
	json_object_set_new(o, "changes",
	    json_integer((json_int_t)writer_changes(w)));
	json_object_set_new(o, "messages",
	    json_integer((json_int_t)dhcpd.io.batched));
	json_object_set_new(o, "background_checkpoints",
	    json_boolean(writer_checkpointing(w)));
	json_object_set_new(o, "longest_commit_ms",
	    json_integer((json_int_t)(writer_max_us(w) / 1000)));
	json_object_set_new(o, "waiting_replies",
	    json_integer((json_int_t)dhcpd.pcount));
	json_object_set_new(o, "reading_paused",
	    json_integer((json_int_t)dhcpd.io.paused));
	return o;
}

static json_t *
counters_json(const void *base, const struct json_counter *c, size_t n)
{
	json_t	*o = json_object();

	json_counters(o, base, c, n);
	return o;
}

void
dhcpd_status(json_t *detail, void *arg)
{
	const struct dhcp_stats *st;
	json_t		*rx, *o;
	int		 i;

	if (dhcpd.srv == NULL) {
		json_object_set_new(detail, "service",
		    json_string("waiting for the configuration"));
		return;
	}
	st = dhcp_server_stats(dhcpd.srv);
	json_object_set_new(detail, "service", json_string("serving"));
	json_object_set_new(detail, "interface",
	    json_string(dhcpd.lan_ifname));
	json_object_set_new(detail, "pool", pool_json());
	json_object_set_new(detail, "mac_limit",
	    json_integer((json_int_t)dhcp_server_conf(dhcpd.srv)->mac_limit));
	rx = json_object();
	for (i = DHCPDISCOVER; i <= DHCPINFORM; i++)
		if (i != DHCPOFFER && i != DHCPACK && i != DHCPNAK)
			json_object_set_new(rx, dhcp_type_name(i),
			    json_integer((json_int_t)st->rx[i]));
	json_object_set_new(detail, "received", rx);
	json_object_set_new(detail, "sent", counters_json(st, sent_counters,
	    nitems(sent_counters)));
	json_object_set_new(detail, "frames", frames_json());
	json_object_set_new(detail, "dropped", dropped_json(st));
	json_object_set_new(detail, "silent", counters_json(st,
	    silent_counters, nitems(silent_counters)));
	o = counters_json(st, conflict_counters, nitems(conflict_counters));
	json_counters(o, &dhcpd, probe_counters, nitems(probe_counters));
	json_object_set_new(o, "ready",
	    json_integer((json_int_t)dhcp_probe_ready(dhcpd.srv)));
	json_object_set_new(detail, "conflicts", o);
	json_object_set_new(detail, "batches", batches_json());
	json_counters(detail, &dhcpd, io_counters, nitems(io_counters));
	json_object_set_new(detail, "dnsd_channel",
	    json_boolean(dhcpd.dnsd != NULL));
}

struct collect {
	json_t		*array;
	int64_t		 now;
	int		 clients;	/* "clients" rather than "leases" */
};

/* The name as sent; bytes that are not UTF-8 become '?' (JSON strings
 * are UTF-8: anything else would be no string at all). */
static json_t *
sent_name_json(const char *name)
{
	char	 buf[CONF_MAX_HOSTNAME + 1];
	json_t	*o;
	size_t	 i;

	if ((o = json_string(name)) != NULL)
		return o;
	strlcpy(buf, name, sizeof(buf));
	for (i = 0; buf[i] != '\0'; i++)
		if ((unsigned char)buf[i] >= 0x80)
			buf[i] = '?';
	return json_string(buf);
}

static json_t *
lease_json(const struct dhcp_lease *e, const struct collect *c)
{
	char		 a[INET_ADDRSTRLEN], m[18];
	const struct dhcp_resv *r;
	int		 is_static;

	mac_str(e->mac, m, sizeof(m));
	r = dhcp_resv_by_ip(dhcpd.srv, e->ip);
	is_static = r != NULL && memcmp(r->mac, e->mac, 6) == 0;
	if (c->clients)
		return json_pack("{s:s, s:s, s:s, s:o, s:I, s:b, s:I, s:I}",
		    "ip", inet_ntop(AF_INET, &e->ip, a, sizeof(a)), "mac", m,
		    "hostname", e->hostname,
		    "client_hostname", sent_name_json(e->sent_name),
		    "lease_expires",
		    (json_int_t)e->expires, "static", is_static,
		    "first_seen", (json_int_t)e->first_seen,
		    "last_seen", (json_int_t)e->last_seen);
	return json_pack("{s:s, s:s, s:s, s:I, s:b, s:s}",
	    "ip", inet_ntop(AF_INET, &e->ip, a, sizeof(a)), "mac", m,
	    "hostname", e->hostname, "expires", (json_int_t)e->expires,
	    "static", is_static, "state", dhcp_lease_state(e, c->now));
}

static void
collect_lease(const struct dhcp_lease *e, void *arg)
{
	struct collect	*c = arg;
	json_t		*o;

	/* A client is an entry somebody holds a claim on; a lease list
	 * also shows addresses set aside (declined, in conflict). */
	if (c->clients ? e->keylen == 0 || e->first_seen == 0 :
	    e->keylen == 0 && strcmp(dhcp_lease_state(e, c->now), "free") == 0)
		return;
	if ((o = lease_json(e, c)) != NULL)
		json_array_append_new(c->array, o);
}

static int
by_ip(const void *a, const void *b)
{
	const char	*x, *y;
	struct in_addr	 p, q;

	x = json_string_value(json_object_get(*(json_t *const *)a, "ip"));
	y = json_string_value(json_object_get(*(json_t *const *)b, "ip"));
	if (x == NULL || y == NULL || inet_pton(AF_INET, x, &p) != 1 ||
	    inet_pton(AF_INET, y, &q) != 1)
		return 0;
	return ntohl(p.s_addr) < ntohl(q.s_addr) ? -1 :
	    ntohl(p.s_addr) > ntohl(q.s_addr);
}

static json_t *
sorted(json_t *array)
{
	json_t		**v, *out;
	size_t		 i, n = json_array_size(array);

	if (n < 2 || (v = calloc(n, sizeof(*v))) == NULL)
		return array;
	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(array, i));
	qsort(v, n, sizeof(*v), by_ip);
	out = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(out, v[i]);
	free(v);
	json_decref(array);
	return out;
}

struct taken {
	const struct dhcp_resv	 *r;
	const struct dhcp_lease	**e;
};

/* Is the reservation's address held by its owner in the table? */
static void
find_taken(const struct dhcp_lease *e, void *arg)
{
	struct taken	*t = arg;

	if (e->ip == t->r->ip && e->keylen != 0 &&
	    memcmp(e->mac, t->r->mac, 6) == 0)
		*t->e = e;
}

static json_t *
ctl_leases(int clients)
{
	struct collect	 c = { json_array(), (int64_t)time(NULL), clients };
	const struct dhcp_resv *r;
	const struct dhcp_lease *e;
	char		 a[INET_ADDRSTRLEN], m[18];
	int		 i;

	dhcp_foreach_lease(dhcpd.srv, collect_lease, &c);
	/* Reservations nobody has taken yet are listed as leases too. */
	for (i = 0; !clients && i < dhcp_resv_count(dhcpd.srv); i++) {
		r = dhcp_resv_get(dhcpd.srv, i);
		e = NULL;
		dhcp_foreach_lease(dhcpd.srv, find_taken,
		    &(struct taken){ r, &e });
		if (e != NULL)
			continue;
		mac_str(r->mac, m, sizeof(m));
		json_array_append_new(c.array, json_pack("{s:s, s:s, s:s, "
		    "s:I, s:b, s:s}",
		    "ip", inet_ntop(AF_INET, &r->ip, a, sizeof(a)),
		    "mac", m, "hostname", r->name, "expires", (json_int_t)0,
		    "static", 1, "state", "reserved"));
	}
	return json_pack("{s:o}", clients ? "clients" : "leases",
	    sorted(c.array));
}

/* The reservation commands write the store from this thread. */
static int
ctl_ready(char *err, size_t errlen)
{
	if (dhcpd.srv == NULL) {
		snprintf(err, errlen, "dhcpd has no configuration yet");
		return 0;
	}
	dhcpd_drain();
	return 1;
}

static json_t *
ctl_cmd_leases(const struct ctl_call *call, char *err, size_t errlen)
{
	return ctl_ready(err, errlen) ? ctl_leases(0) : NULL;
}

static json_t *
ctl_cmd_clients(const struct ctl_call *call, char *err, size_t errlen)
{
	return ctl_ready(err, errlen) ? ctl_leases(1) : NULL;
}

/* lease add MAC IP [NAME] */
static json_t *
ctl_lease_add(const struct ctl_call *call, char *err, size_t errlen)
{
	const char	*name = call->argc > 2 ? call->argv[2] : "";
	uint8_t		 mac[6];
	struct in_addr	 ip;
	char		 m[18];

	if (!ctl_ready(err, errlen))
		return NULL;
	if (conf_parse_mac(call->argv[0], mac) == -1 ||
	    inet_pton(AF_INET, call->argv[1], &ip) != 1) {
		snprintf(err, errlen, "usage: lease add MAC IP [NAME]");
		return NULL;
	}
	if (dhcp_resv_add(dhcpd.srv, mac, ip.s_addr, name, 0, err,
	    errlen) == -1)
		return NULL;
	if (store_begin(dhcpd.store) == -1 ||
	    store_put_resv(dhcpd.store, mac, ip.s_addr, name) == -1 ||
	    store_commit(dhcpd.store) == -1) {
		snprintf(err, errlen, "lease database: %s",
		    store_error(dhcpd.store));
		store_rollback(dhcpd.store);
		(void)dhcp_resv_del(dhcpd.srv, mac, m, sizeof(m));
		return NULL;
	}
	mac_str(mac, m, sizeof(m));
	log_info("reservation %s -> %s%s%s added by gkctl", m,
	    call->argv[1], name[0] ? " " : "", name);
	return json_pack("{s:{s:s, s:s, s:s}}", "reserved", "mac", m,
	    "ip", call->argv[1], "hostname", name);
}

/* lease del MAC */
static json_t *
ctl_lease_del(const struct ctl_call *call, char *err, size_t errlen)
{
	uint8_t		 mac[6];
	char		 m[18];

	if (!ctl_ready(err, errlen))
		return NULL;
	if (conf_parse_mac(call->argv[0], mac) == -1) {
		snprintf(err, errlen, "usage: lease del MAC");
		return NULL;
	}
	if (dhcp_resv_del(dhcpd.srv, mac, err, errlen) == -1)
		return NULL;
	if (store_begin(dhcpd.store) == -1 ||
	    store_del_resv(dhcpd.store, mac) == -1 ||
	    store_commit(dhcpd.store) == -1) {
		snprintf(err, errlen, "lease database: %s",
		    store_error(dhcpd.store));
		store_rollback(dhcpd.store);
		return NULL;
	}
	mac_str(mac, m, sizeof(m));
	log_info("reservation of %s deleted by gkctl", m);
	return json_pack("{s:{s:s}}", "deleted", "mac", m);
}

const struct ctl_handler dhcpd_handlers[] = {
	{ CMD_LEASES, ctl_cmd_leases },
	{ CMD_CLIENTS, ctl_cmd_clients },
	{ CMD_LEASE_ADD, ctl_lease_add },
	{ CMD_LEASE_DEL, ctl_lease_del },
};
const int dhcpd_nhandlers = nitems(dhcpd_handlers);
