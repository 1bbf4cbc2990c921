/*
 * webd's status and its gkctl commands, over the state webd.c keeps.
 */
#include <sys/socket.h>

#include <arpa/inet.h>

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include "child.h"
#include "commands.h"
#include "http.h"
#include "names.h"
#include "pcapctl.h"
#include "trafficctl.h"
#include "util.h"
#include "webd.h"
#include "ws.h"

#define NAMES_LIST_MAX		1000	/* entries in one `names` reply */

#ifndef nitems
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#endif

static const struct json_counter names_size[] = {
	JSON_COUNTER_AS("entries", struct names, count),
};

static const struct json_counter names_counters[] = {
	JSON_COUNTER(struct names_stats, observations),
	JSON_COUNTER(struct names_stats, batches),
	JSON_COUNTER(struct names_stats, added),
	JSON_COUNTER(struct names_stats, renamed),
	JSON_COUNTER(struct names_stats, refreshed),
	JSON_COUNTER(struct names_stats, evicted),
	JSON_COUNTER(struct names_stats, expired),
	JSON_COUNTER(struct names_stats, rejected),
	JSON_COUNTER(struct names_stats, ptr_asked),
	JSON_COUNTER(struct names_stats, ptr_named),
	JSON_COUNTER(struct names_stats, ptr_none),
	JSON_COUNTER(struct names_stats, ptr_failed),
	JSON_COUNTER(struct names_stats, ptr_limited),
	JSON_COUNTER(struct names_stats, ptr_unasked),
};

static const struct json_counter webd_counters[] = {
	JSON_COUNTER_AS("unexpected_messages", struct webd, dnsd_unexpected),
};

static json_t	*devices_stats_json(void);

static json_t *
names_stats_json(void)
{
	json_t	*o = json_object();

	json_counters(o, webd.names, names_size, nitems(names_size));
	json_object_set_new(o, "max_entries", json_integer(NAMES_MAX));
	json_counters(o, &webd.names->st, names_counters,
	    nitems(names_counters));
	json_counters(o, &webd, webd_counters, nitems(webd_counters));
	return o;
}

static const struct json_counter auth_counters[] = {
	JSON_COUNTER(struct auth_stats, logins),
	JSON_COUNTER(struct auth_stats, login_failures),
	JSON_COUNTER(struct auth_stats, lockouts),
	JSON_COUNTER(struct auth_stats, locked_refusals),
	JSON_COUNTER(struct auth_stats, logouts),
	JSON_COUNTER(struct auth_stats, expired),
	JSON_COUNTER(struct auth_stats, evicted),
	JSON_COUNTER(struct auth_stats, bad_csrf),
};

static const struct json_counter http_counters[] = {
	JSON_COUNTER(struct http_stats, requests),
	JSON_COUNTER(struct http_stats, responses),
	JSON_COUNTER(struct http_stats, errors),
	JSON_COUNTER(struct http_stats, refused_conns),
	JSON_COUNTER(struct http_stats, accept_paused),
	JSON_COUNTER(struct http_stats, relay_timeouts),
};

static const struct json_counter live_counters[] = {
	JSON_COUNTER(struct live_stats, frames),
	JSON_COUNTER(struct live_stats, records),
	JSON_COUNTER(struct live_stats, devices_full),
	JSON_COUNTER(struct live_stats, devices_evicted),
	JSON_COUNTER(struct live_stats, remotes_over),
	JSON_COUNTER(struct live_stats, subscribe),
	JSON_COUNTER(struct live_stats, bad_messages),
	JSON_COUNTER(struct live_stats, watch_full),
	JSON_COUNTER(struct live_stats, bad_replies),
};

static const struct json_counter ws_counters[] = {
	JSON_COUNTER(struct ws_stats, opened),
	JSON_COUNTER(struct ws_stats, frames),
	JSON_COUNTER(struct ws_stats, coalesced),
	JSON_COUNTER(struct ws_stats, cut),
	JSON_COUNTER(struct ws_stats, received),
};

static json_t *
auth_json(void)
{
	json_t	*o = json_object();

	json_object_set_new(o, "password_set",
	    json_boolean(webd.srv.hash[0] != '\0'));
	json_object_set_new(o, "sessions",
	    json_integer(auth_count(&webd.auth, (uint64_t)time(NULL))));
	json_counters(o, &webd.auth.st, auth_counters, nitems(auth_counters));
	json_object_set_new(o, "save_failures",
	    json_integer((json_int_t)webd.save_failures));
	return o;
}

void
webd_status(json_t *detail, void *arg)
{
	json_t	*http = json_object(), *ws = json_object();
	json_t	*live = json_object();

	json_object_set_new(detail, "service", json_string(webd.serving ?
	    "HTTP and HTTPS on the LAN address: the dashboard, the live "
	    "traffic, the 24 h history, captures" :
	    "not serving yet (no configuration)"));
	json_object_set_new(detail, "tls", json_pack("{s:i,s:s}", "port",
	    (int)webd.srv.tls_port, "fingerprint", webd.srv.fingerprint ?
	    webd.srv.fingerprint : ""));
	json_counters(http, http_stats(), http_counters,
	    nitems(http_counters));
	json_object_set_new(detail, "http", http);
	json_counters(ws, ws_stats(), ws_counters, nitems(ws_counters));
	json_object_set_new(ws, "connections", json_integer(ws_count()));
	json_object_set_new(detail, "websocket", ws);
	json_counters(live, &webd.live.st, live_counters,
	    nitems(live_counters));
	json_object_set_new(live, "devices", json_integer(webd.live.ndev));
	json_object_set_new(detail, "live", live);
	json_object_set_new(detail, "auth", auth_json());
	json_object_set_new(detail, "names", names_stats_json());
	json_object_set_new(detail, "traffic", traffic_status_json());
	json_object_set_new(detail, "devices", devices_stats_json());
}

/* `passwd PASSWORD`, from root's gkctl: every old session ends. */
static json_t *
ctl_passwd(const struct ctl_call *call, char *err, size_t errlen)
{
	if (web_set_password(&webd.srv, call->argv[0], err, errlen) == -1)
		return NULL;
	auth_logout_all(&webd.auth);
	webd_save_sessions();
	return json_pack("{s:s}", "password", "set");
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
	/* a PTR name is every device's: its client is 0.0.0.0 */
	json_object_set_new(o, "source", json_string(e->client.s_addr ==
	    NAMES_PTR_CLIENT ? "ptr" : "dns"));
	json_object_set_new(o, "address", json_string(addr));
	json_object_set_new(o, "name", json_string(e->name));
	json_object_set_new(o, "seen_s_ago", json_integer(now - e->seen));
	json_object_set_new(o, "expires_in_s",
	    json_integer(e->expiry > now ? e->expiry - now : 0));
	return o;
}

/* `names [IP]`: the table, most recently used first. */
static json_t *
ctl_names(const struct ctl_call *call, char *err, size_t errlen)
{
	const struct names	*t = webd.names;
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
	for (i = t->head; i != -1 && n < NAMES_LIST_MAX; i = t->e[i].next) {
		e = &t->e[i];
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

/* ---- the device registry ---- */

static const struct json_counter devices_counters[] = {
	JSON_COUNTER(struct devices_stats, added),
	JSON_COUNTER(struct devices_stats, refused),
	JSON_COUNTER(struct devices_stats, forgotten),
	JSON_COUNTER(struct devices_stats, not_device),
	JSON_COUNTER(struct devices_stats, load_bad),
	JSON_COUNTER(struct devices_stats, load_corrupt),
};

static json_t *
devices_stats_json(void)
{
	const struct devices *t = webd.devices;
	json_t		*o = json_object();
	uint64_t	 now = wall_ms();
	int		 i, online = 0, fresh = 0;

	for (i = 0; i < t->n; i++) {
		online += devices_online(&t->d[i], now);
		fresh += t->d[i].is_new;
	}
	json_object_set_new(o, "devices", json_integer(t->n));
	json_object_set_new(o, "max_devices", json_integer(DEVICES_MAX));
	json_object_set_new(o, "online", json_integer(online));
	json_object_set_new(o, "new", json_integer(fresh));
	json_counters(o, &t->st, devices_counters, nitems(devices_counters));
	json_object_set_new(o, "save_failures",
	    json_integer((json_int_t)webd.devices_save_failures));
	json_object_set_new(o, "vendors", json_pack("{s:I,s:I,s:I}",
	    "prefixes", (json_int_t)webd.oui.n, "name_bytes",
	    (json_int_t)webd.oui.names_len, "skipped",
	    (json_int_t)webd.oui.skipped));
	return o;
}

/* `devices`: the registry, by MAC. */
static json_t *
ctl_devices(const struct ctl_call *call, char *err, size_t errlen)
{
	json_t	*o = devices_list_json(webd.devices, web_vendor, &webd.oui,
	    wall_ms());

	json_object_set_new(o, "stats", devices_stats_json());
	return o;
}

static struct device *
ctl_device(const char *client, char *err, size_t errlen)
{
	struct device	*d = devices_lookup(webd.devices, client);

	if (d == NULL)
		snprintf(err, errlen, "no such device: %s (gkctl devices "
		    "lists them)", client);
	return d;
}

/* `label CLIENT TEXT`: also acknowledges the device. */
static json_t *
ctl_label(const struct ctl_call *call, char *err, size_t errlen)
{
	struct device	*d;

	if ((d = ctl_device(call->argv[0], err, errlen)) == NULL ||
	    devices_set_label(webd.devices, d, call->argv[1], err,
	    errlen) == -1)
		return NULL;
	devices_ack(webd.devices, d);
	webd_save_devices();
	return devices_json(d, web_vendor(d->mac, &webd.oui), wall_ms());
}

/* `forget CLIENT` */
static json_t *
ctl_forget(const struct ctl_call *call, char *err, size_t errlen)
{
	struct device	*d;
	char		 mac[MAC_STR_SIZE];

	if ((d = ctl_device(call->argv[0], err, errlen)) == NULL)
		return NULL;
	mac_str(d->mac, mac, sizeof(mac));
	devices_forget(webd.devices, d);
	webd_save_devices();
	return json_pack("{s:s}", "forgotten", mac);
}

const struct ctl_handler webd_handlers[] = {
	{ CMD_NAMES, ctl_names },
	{ CMD_PASSWD, ctl_passwd },
	{ CMD_TRAFFIC, ctl_traffic },
	{ CMD_PCAP, ctl_pcap },
	{ CMD_DEVICES, ctl_devices },
	{ CMD_LABEL, ctl_label },
	{ CMD_FORGET, ctl_forget },
	{ CMD_USAGE, ctl_usage },
};
const int webd_nhandlers = nitems(webd_handlers);
