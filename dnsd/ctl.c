/*
 * dnsd's status and its gkctl commands (dns stats, flush, log), over the
 * state dnsd.c keeps. Nothing here runs per query.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "child.h"
#include "commands.h"
#include "dnsd.h"
#include "log.h"
#include "proto.h"
#include "util.h"

#define LOG_ALL_MAX	200		/* entries in `dns log` without IP */
#define LOG_JSON_BUDGET	(PROTO_MAX_PAYLOAD - 8192)

#ifndef nitems
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/* The keys of `stats`, in their order; "queries" (the sum) comes first. */
static const struct json_counter query_counters[] = {
	JSON_COUNTER(struct srv_stats, queries_udp),
	JSON_COUNTER(struct srv_stats, queries_tcp),
	JSON_COUNTER(struct srv_stats, cache_hits),
	JSON_COUNTER(struct srv_stats, cache_misses),
	JSON_COUNTER(struct srv_stats, stale_served),
	JSON_COUNTER(struct srv_stats, local_answers),
	JSON_COUNTER(struct srv_stats, forwarded),
	JSON_COUNTER(struct srv_stats, coalesced),
};

static const struct json_counter cache_counters[] = {
	JSON_COUNTER_AS("cache_entries", struct cache_stats, entries),
	JSON_COUNTER_AS("cache_bytes", struct cache_stats, bytes),
	JSON_COUNTER_AS("cache_max_entries", struct cache_stats, max_entries),
	JSON_COUNTER_AS("cache_evictions", struct cache_stats, evictions),
	JSON_COUNTER_AS("cache_too_large", struct cache_stats, too_large),
	JSON_COUNTER_AS("cache_no_room", struct cache_stats, no_room),
};

static const struct json_counter answer_counters[] = {
	JSON_COUNTER(struct srv_stats, servfail_sent),
	JSON_COUNTER(struct srv_stats, truncated),
	JSON_COUNTER(struct srv_stats, rebind_refused),
	JSON_COUNTER(struct srv_stats, refused),
	JSON_COUNTER(struct srv_stats, formerr),
	JSON_COUNTER(struct srv_stats, notimp),
	JSON_COUNTER(struct srv_stats, badvers),
	JSON_COUNTER(struct srv_stats, not_configured),
	JSON_COUNTER(struct srv_stats, dropped_outside_lan),
	JSON_COUNTER_AS("dropped_malformed", struct srv_stats,
	    dropped_short_or_response),
	JSON_COUNTER(struct srv_stats, upstream_malformed),
	JSON_COUNTER(struct srv_stats, upstream_mismatched),
	JSON_COUNTER(struct srv_stats, upstream_timeouts),
	JSON_COUNTER(struct srv_stats, upstream_failures),
	JSON_COUNTER_AS("upstream_truncated", struct srv_stats, upstream_tc),
	JSON_COUNTER(struct srv_stats, pending_full),
	JSON_COUNTER(struct srv_stats, tcp_accepted),
	JSON_COUNTER(struct srv_stats, tcp_refused),
	JSON_COUNTER(struct srv_stats, tcp_idle_closed),
	JSON_COUNTER(struct srv_stats, tcp_client_limit),
	JSON_COUNTER(struct srv_stats, tcp_lifetime_closed),
	JSON_COUNTER(struct srv_stats, tcp_malformed),
	JSON_COUNTER(struct srv_stats, send_errors),
	JSON_COUNTER(struct srv_stats, udp_naps),
};

static const struct json_counter channel_counters[] = {
	JSON_COUNTER(struct dnsd, dhcp_names_added),
	JSON_COUNTER(struct dnsd, dhcp_names_refused),
	JSON_COUNTER_AS("observations_sent", struct dnsd, obs.st.sent),
	JSON_COUNTER_AS("observations_dropped", struct dnsd, obs.st.dropped),
	JSON_COUNTER_AS("observations_suppressed", struct dnsd,
	    obs.st.suppressed),
	JSON_COUNTER_AS("observations_unnamed", struct dnsd, obs.st.unnamed),
	JSON_COUNTER(struct dnsd, ptr_asked),
	JSON_COUNTER(struct dnsd, ptr_found),
	JSON_COUNTER(struct dnsd, ptr_busy),
	JSON_COUNTER(struct dnsd, ptr_lost),
};

static const struct json_counter upstream_counters[] = {
	JSON_COUNTER(struct upstream, queries),
	JSON_COUNTER(struct upstream, answers),
	JSON_COUNTER(struct upstream, timeouts),
	JSON_COUNTER(struct upstream, failures),
	JSON_COUNTER_AS("truncated", struct upstream, tc),
	JSON_COUNTER(struct upstream, mismatched),
	JSON_COUNTER(struct upstream, malformed),
};

static json_t *
stats_json(void)
{
	const struct srv_stats *s = &dnsd.srv.st;
	struct cache_stats cs;
	json_t	*o = json_object();

	cache_get_stats(dnsd.srv.cache, &cs);
	json_object_set_new(o, "queries",
	    json_integer((json_int_t)(s->queries_udp + s->queries_tcp)));
	json_counters(o, s, query_counters, nitems(query_counters));
	json_counters(o, &cs, cache_counters, nitems(cache_counters));
	json_counters(o, s, answer_counters, nitems(answer_counters));
	json_counters(o, &dnsd, channel_counters, nitems(channel_counters));
	return o;
}

static json_t *
upstreams_json(void)
{
	const struct upstream *u;
	uint64_t	 now_ms = mono_ms();
	json_t		*a = json_array(), *o;
	int		 i;

	for (i = 0; i < dnsd.srv.nupstream; i++) {
		u = &dnsd.srv.up[i];
		o = json_object();
		json_object_set_new(o, "address",
		    json_string(inet_ntoa(u->addr)));
		json_object_set_new(o, "srtt_ms",
		    json_real(u->srtt_us / 1000.0));
		json_object_set_new(o, "state", json_string(
		    u->penalty_until > now_ms ? "penalized" : "ok"));
		json_counters(o, u, upstream_counters,
		    nitems(upstream_counters));
		json_array_append_new(a, o);
	}
	return a;
}

/* The outages, newest first: start and end in wall ms (end null while
 * it goes on), and the queries no upstream answered meanwhile. */
static json_t *
outages_json(void)
{
	const struct srv_outage *o;
	json_t		*a = json_array();
	int		 i;

	for (i = 0; (o = srv_outage(&dnsd.srv, i)) != NULL; i++)
		json_array_append_new(a, json_pack("{s:I,s:o,s:I}",
		    "start", (json_int_t)o->start_ms,
		    "end", o->end_ms != 0 ? json_integer((json_int_t)o->end_ms) :
		    json_null(), "failed_queries", (json_int_t)o->failed));
	return a;
}

void
dnsd_status(json_t *detail, void *arg)
{
	json_object_set_new(detail, "service", json_string(
	    dnsd.srv.configured ? "dns" : "waiting for the configuration"));
	json_object_set_new(detail, "stats", stats_json());
	json_object_set_new(detail, "upstreams", upstreams_json());
	json_object_set_new(detail, "outages", outages_json());
	json_object_set_new(detail, "outages_total",
	    json_integer((json_int_t)dnsd.srv.noutages));
	json_object_set_new(detail, "local_names",
	    json_integer(dnsd.srv.local.nhosts));
	json_object_set_new(detail, "not_built", json_string(
	    "IPv6 upstreams and IPv6 clients"));
}

static const char *
rcode_name(int r)
{
	static const char *names[] = { "NOERROR", "FORMERR", "SERVFAIL",
	    "NXDOMAIN", "NOTIMP", "REFUSED" };

	return r >= 0 && r < 6 ? names[r] : "other";
}

static const char *
type_name(uint16_t t, char *buf, size_t n)
{
	switch (t) {
	case DNS_T_A: return "A";
	case DNS_T_NS: return "NS";
	case DNS_T_CNAME: return "CNAME";
	case DNS_T_SOA: return "SOA";
	case DNS_T_PTR: return "PTR";
	case DNS_T_MX: return "MX";
	case DNS_T_TXT: return "TXT";
	case DNS_T_AAAA: return "AAAA";
	case DNS_T_SRV: return "SRV";
	case 64: return "SVCB";
	case 65: return "HTTPS";
	case DNS_T_ANY: return "ANY";
	}
	snprintf(buf, n, "TYPE%u", t);
	return buf;
}

/* The last max entries of a device's log, oldest first, while the
 * budget (bytes of JSON, roughly) lasts: the reply is one message. */
static void
log_dev_json(json_t *a, const struct qlog_dev *d, int max, size_t *budget)
{
	const struct qlog_entry *e;
	char	 name[1024], tb[16], addr[INET6_ADDRSTRLEN];
	char	 answers[QLOG_ADDRS * (INET6_ADDRSTRLEN + 1)];
	json_t	*o;
	int	 i, k;
	size_t	 off;

	for (i = d->count > max ? d->count - max : 0; i < d->count; i++) {
		e = &d->e[(d->head + QLOG_PER_DEVICE - d->count + i) %
		    QLOG_PER_DEVICE];
		dns_name_str(e->qname, name, sizeof(name));
		answers[0] = '\0';
		for (k = 0, off = 0; k < e->naddr; k++) {
			inet_ntop(e->af[k], e->addr[k], addr, sizeof(addr));
			off += (size_t)snprintf(answers + off,
			    sizeof(answers) - off, "%s%s", k ? " " : "", addr);
		}
		if (*budget < strlen(name) + off + 160)
			return;
		*budget -= strlen(name) + off + 160;
		o = json_object();
		json_object_set_new(o, "time", json_integer(e->time));
		json_object_set_new(o, "client",
		    json_string(inet_ntoa(d->ip)));
		json_object_set_new(o, "name", json_string(name));
		json_object_set_new(o, "type",
		    json_string(type_name(e->qtype, tb, sizeof(tb))));
		json_object_set_new(o, "rcode",
		    json_string(rcode_name(e->rcode)));
		json_object_set_new(o, "answers", json_string(answers));
		json_object_set_new(o, "latency_ms",
		    json_real(e->latency_us / 1000.0));
		json_object_set_new(o, "cached", json_boolean(e->cached));
		json_array_append_new(a, o);
	}
}

static json_t *
ctl_dns_stats(const struct ctl_call *call, char *err, size_t errlen)
{
	json_t		*o = json_object();

	json_object_set_new(o, "stats", stats_json());
	json_object_set_new(o, "upstreams", upstreams_json());
	return o;
}

static json_t *
ctl_dns_flush(const struct ctl_call *call, char *err, size_t errlen)
{
	json_t		*o = json_object();

	json_object_set_new(o, "flushed",
	    json_integer((json_int_t)srv_flush(&dnsd.srv)));
	log_info("cache flushed by uid %u", call->uid);
	return o;
}

/* dns log [IP] */
static json_t *
ctl_dns_log(const struct ctl_call *call, char *err, size_t errlen)
{
	const struct qlog_dev *d;
	struct in_addr	 ip;
	json_t		*o, *a;
	size_t		 budget = LOG_JSON_BUDGET;
	int		 i, n, per;

	if (call->argc == 1 && inet_pton(AF_INET, call->argv[0], &ip) != 1) {
		snprintf(err, errlen, "dns log: \"%s\" is not an IPv4 "
		    "address", call->argv[0]);
		return NULL;
	}
	a = json_array();
	if (call->argc == 1) {
		if ((d = srv_log_dev(&dnsd.srv, ip)) != NULL)
			log_dev_json(a, d, QLOG_PER_DEVICE, &budget);
	} else {
		/* the reply must fit one message: fewer per device when
		 * many devices asked */
		for (i = 0, n = 0; i < QLOG_DEVICES; i++)
			n += dnsd.srv.qlog[i].ip.s_addr != 0;
		per = n ? LOG_ALL_MAX / n : 0;
		for (i = 0; i < QLOG_DEVICES; i++)
			if (dnsd.srv.qlog[i].ip.s_addr != 0)
				log_dev_json(a, &dnsd.srv.qlog[i],
				    per < 1 ? 1 : per, &budget);
	}
	o = json_object();
	json_object_set_new(o, "log", a);
	return o;
}

const struct ctl_handler dnsd_handlers[] = {
	{ CMD_DNS_STATS, ctl_dns_stats },
	{ CMD_DNS_FLUSH, ctl_dns_flush },
	{ CMD_DNS_LOG, ctl_dns_log },
};
const int dnsd_nhandlers = nitems(dnsd_handlers);
