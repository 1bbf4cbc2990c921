/*
 * dnsd's decisions (server.h): per query, per upstream response, per
 * upstream choice. No sockets, no allocation, no logging: this is the
 * hot path.
 */
#include <arpa/inet.h>

#include <string.h>

#include "server.h"
#include "util.h"

_Static_assert(CONF_MAX_REBIND_ALLOW <= REBIND_ALLOW_MAX,
    "the config allows more rebind-allow domains than the policy holds");

void
srv_init(struct server *s, struct cache *c)
{
	zero_lazily(s, sizeof(*s));	/* megabytes: only what was used */
	s->cache = c;
	local_init(&s->local);
}

/*
 * The allowlist from rebind-allow. Answers it let through are cached: a
 * domain taken off the list must not keep resolving from the cache, so a
 * changed list empties it. (Answers it refused were never cached.)
 */
static void
rebind_configure(struct server *s, const struct gk_config *conf)
{
	struct rebind_policy old = s->rebind;
	int	 i, n;

	s->rebind.enabled = 1;
	s->rebind.lan_net = s->lan_net;
	s->rebind.lan_mask = s->lan_mask;
	s->rebind.nallow = 0;
	memset(s->rebind.allow, 0, sizeof(s->rebind.allow));
	memset(s->rebind.allowlen, 0, sizeof(s->rebind.allowlen));
	n = conf->nrebind_allow < 0 ? 0 : conf->nrebind_allow;
	for (i = 0; i < n && i < CONF_MAX_REBIND_ALLOW; i++)
		rebind_allow(&s->rebind, conf->rebind_allow[i]);
	if (s->configured && s->cache != NULL &&
	    (old.nallow != s->rebind.nallow ||
	    memcmp(old.allow, s->rebind.allow, sizeof(old.allow)) != 0))
		cache_flush(s->cache);
}

void
srv_configure(struct server *s, const struct gk_config *conf)
{
	struct upstream	 old[CONF_MAX_UPSTREAM];
	const char	*why;
	int		 i, j, nold = s->nupstream;

	/* New local zones: what the cache holds may be under them now. */
	if (s->configured && s->cache != NULL &&
	    (strcmp(s->domain, conf->domain) != 0 ||
	    s->local.lan_addr.s_addr != conf->lan_addr.s_addr ||
	    s->local.lan_prefix != conf->lan_prefix))
		cache_flush(s->cache);
	strlcpy(s->domain, conf->domain, sizeof(s->domain));
	s->lan_mask.s_addr = conf->lan_prefix <= 0 ? 0 :
	    htonl(~0U << (32 - (conf->lan_prefix > 32 ? 32 :
	    conf->lan_prefix)));
	s->lan_net.s_addr = conf->lan_addr.s_addr & s->lan_mask.s_addr;
	if (local_configure(&s->local, conf->domain[0] ? conf->domain : "lan",
	    conf->lan_addr, conf->lan_prefix) == -1)
		local_configure(&s->local, "lan", conf->lan_addr,
		    conf->lan_prefix);
	for (i = 0; i < conf->nstatic; i++)
		if (conf->static_lease[i].name[0] != '\0')
			local_add(&s->local, LOCAL_STATIC,
			    conf->static_lease[i].name,
			    conf->static_lease[i].ip, 0, &why);
	/* Keep what was measured of the upstreams that stay. */
	memcpy(old, s->up, sizeof(old));
	memset(s->up, 0, sizeof(s->up));
	s->nupstream = conf->nupstream > CONF_MAX_UPSTREAM ?
	    CONF_MAX_UPSTREAM : conf->nupstream;
	for (i = 0; i < s->nupstream; i++) {
		s->up[i].addr = conf->upstream[i];
		for (j = 0; j < nold; j++)
			if (old[j].addr.s_addr == conf->upstream[i].s_addr)
				s->up[i] = old[j];
	}
	rebind_configure(s, conf);
	s->configured = 1;
}

int
srv_client_ok(const struct server *s, struct in_addr a)
{
	return s->configured &&
	    (a.s_addr & s->lan_mask.s_addr) == s->lan_net.s_addr;
}

static int
is_tc(const uint8_t *out, size_t len)
{
	return len >= DNS_HDR_LEN && (dns_get16(out + 2) & DNS_TC);
}

static enum srv_action
short_reply(uint8_t *out, size_t max, size_t *outlen, const uint8_t *msg,
    const struct dns_query *q, int with_q, int rcode)
{
	*outlen = dns_reply_short(out, max, msg, q, with_q, rcode, 0);
	return *outlen ? SRV_REPLY : SRV_DROP;
}

enum srv_action
srv_query(struct server *s, const uint8_t *msg, size_t len, int tcp,
    const struct srv_time *t, struct dns_query *q, uint8_t *out, size_t max,
    size_t *outlen, int *cached)
{
	struct cache_entry *e;
	int	 fresh;

	if (tcp)
		s->st.queries_tcp++;
	else
		s->st.queries_udp++;
	*cached = 0;
	*outlen = 0;
	s->hit = NULL;
	switch (dns_query_parse(msg, len, q)) {
	case DNS_Q_DROP:
		s->st.dropped_short_or_response++;
		return SRV_DROP;
	case DNS_Q_NOTIMP:
		s->st.notimp++;
		return short_reply(out, max, outlen, msg, q, 0, DNS_NOTIMP);
	case DNS_Q_FORMERR:
		s->st.formerr++;
		return short_reply(out, max, outlen, msg, q, 0, DNS_FORMERR);
	case DNS_Q_BADVERS:
		s->st.badvers++;
		return short_reply(out, max, outlen, msg, q, 1, DNS_BADVERS);
	case DNS_Q_OK:
		break;
	}
	/* UDP: what the client said it takes, at most what we advertise. */
	if (!tcp && max > ans_udp_max(q))
		max = ans_udp_max(q);
	if (!s->configured) {
		s->st.not_configured++;
		return short_reply(out, max, outlen, msg, q, 1, DNS_REFUSED);
	}
	/* Zone transfers, meta types and other classes are not ours. */
	if (q->qclass != DNS_C_IN || q->qtype == DNS_T_AXFR ||
	    q->qtype == DNS_T_IXFR || q->qtype == DNS_T_MAILA ||
	    q->qtype == DNS_T_MAILB || q->qtype == DNS_T_OPT ||
	    q->qtype == DNS_T_TSIG) {
		s->st.refused++;
		return short_reply(out, max, outlen, msg, q, 1, DNS_REFUSED);
	}
	/* The cache first: local names never enter it (never forwarded,
	 * and it is flushed when the local zones change). */
	e = cache_lookup(s->cache, q->qname, q->qnamelen, q->qtype,
	    q->qclass, t->mono_s, &fresh);
	if (e != NULL && (fresh || t->mono_ms < s->all_down_until)) {
		*outlen = ans_render(cache_data(s->cache, e), e->len,
		    cache_ttl_offs(s->cache, e), e->nttl,
		    t->mono_s - e->stored, fresh ? 0 : CACHE_STALE_TTL, msg, q,
		    out, max);
		if (fresh)
			s->st.cache_hits++;
		else
			s->st.stale_served++;
		if (is_tc(out, *outlen))
			s->st.truncated++;
		*cached = 1;
		s->hit = e;
		return *outlen ? SRV_REPLY : SRV_DROP;
	}
	if (local_answer(&s->local, msg, q, t->unix_s, out, max, outlen) ==
	    LOCAL_ANSWERED) {
		s->st.local_answers++;
		if (is_tc(out, *outlen))
			s->st.truncated++;
		return *outlen ? SRV_REPLY : SRV_DROP;
	}
	s->st.cache_misses++;
	if (s->nupstream == 0) {
		*outlen = srv_fail_reply(s, msg, q, t, out, max, cached);
		return *outlen ? SRV_REPLY : SRV_DROP;
	}
	return SRV_FORWARD;
}

size_t
srv_fail_reply(struct server *s, const uint8_t *qmsg,
    const struct dns_query *q, const struct srv_time *t, uint8_t *out,
    size_t max, int *stale)
{
	const struct cache_entry *e;
	int	 fresh;

	*stale = 0;
	e = cache_lookup(s->cache, q->qname, q->qnamelen, q->qtype,
	    q->qclass, t->mono_s, &fresh);
	if (e != NULL) {
		/* RFC 8767: better an old answer than none. */
		*stale = 1;
		s->st.stale_served++;
		return ans_render(cache_data(s->cache, e), e->len,
		    cache_ttl_offs(s->cache, e), e->nttl,
		    t->mono_s - e->stored, fresh ? 0 : CACHE_STALE_TTL, qmsg,
		    q, out, max);
	}
	s->st.servfail_sent++;
	return dns_reply_short(out, max, qmsg, q, 1, DNS_SERVFAIL, 0);
}

int
srv_pick_upstream(struct server *s, uint32_t tried, uint64_t now_ms)
{
	int	 i, best = -1, pass;

	/* First the upstreams not penalized, then any not yet tried. */
	for (pass = 0; pass < 2 && best == -1; pass++)
		for (i = 0; i < s->nupstream; i++) {
			if (tried & (1U << i))
				continue;
			if (pass == 0 && s->up[i].penalty_until > now_ms)
				continue;
			if (best == -1 || s->up[i].srtt_us < s->up[best].srtt_us)
				best = i;
		}
	return best;
}

void
srv_upstream_rtt(struct server *s, int i, uint32_t rtt_us)
{
	struct upstream *u = &s->up[i];

	u->srtt_us = u->srtt_us == 0 ? rtt_us : (7 * u->srtt_us + rtt_us) / 8;
	if (u->srtt_us == 0)
		u->srtt_us = 1;
	u->penalty_until = 0;
}

void
srv_upstream_timeout(struct server *s, int i, uint64_t now_ms)
{
	struct upstream *u = &s->up[i];

	u->timeouts++;
	s->st.upstream_timeouts++;
	u->penalty_until = now_ms + SRV_UP_PENALTY_MS;
	if (u->srtt_us < SRV_UP_TIMEOUT_MS * 1000U)
		u->srtt_us = SRV_UP_TIMEOUT_MS * 1000U;
}

void
srv_upstream_failed(struct server *s, int i, uint64_t now_ms)
{
	struct upstream *u = &s->up[i];

	u->failures++;
	s->st.upstream_failures++;
	u->penalty_until = now_ms + SRV_UP_PENALTY_MS;
	if (u->srtt_us < SRV_UP_TIMEOUT_MS * 1000U)
		u->srtt_us = SRV_UP_TIMEOUT_MS * 1000U;
}

void
srv_all_failed(struct server *s, const struct srv_time *t)
{
	struct srv_outage *o;

	s->all_down_until = t->mono_ms + SRV_DOWN_MS;
	if (!s->in_outage) {
		o = &s->outages[s->noutages++ % SRV_OUTAGES];
		memset(o, 0, sizeof(*o));
		o->start_ms = (uint64_t)t->unix_s * 1000;
		s->in_outage = 1;
	}
	s->outages[(s->noutages - 1) % SRV_OUTAGES].failed++;
}

const struct srv_outage *
srv_outage(const struct server *s, int i)
{
	if (i < 0 || (uint64_t)i >= s->noutages || i >= SRV_OUTAGES)
		return NULL;
	return &s->outages[(s->noutages - 1 - (uint64_t)i) % SRV_OUTAGES];
}

/* An upstream answered: an outage is over. */
static void
outage_end(struct server *s, const struct srv_time *t)
{
	if (!s->in_outage)
		return;
	s->outages[(s->noutages - 1) % SRV_OUTAGES].end_ms =
	    (uint64_t)t->unix_s * 1000;
	s->in_outage = 0;
}

enum srv_resp
srv_upstream_response(struct server *s, int up, const uint8_t *msg,
    size_t len, uint16_t id, const uint8_t *qname, size_t qnamelen,
    uint16_t qtype, uint16_t qclass, const struct srv_time *t,
    struct dns_resp *r, struct ans_build *b)
{
	struct upstream *u = &s->up[up];

	if (dns_resp_parse(msg, len, r) != NULL) {
		u->malformed++;
		s->st.upstream_malformed++;
		return SRV_RESP_IGNORE;
	}
	if (r->id != id || r->qnamelen != qnamelen ||
	    memcmp(r->qname, qname, qnamelen) != 0 || r->qtype != qtype ||
	    r->qclass != qclass) {
		u->mismatched++;
		s->st.upstream_mismatched++;
		return SRV_RESP_IGNORE;
	}
	if (r->flags & DNS_TC) {
		u->tc++;
		s->st.upstream_tc++;
		return SRV_RESP_TC;
	}
	if (ans_from_resp(r, b) != NULL) {
		u->failures++;
		s->st.upstream_failures++;
		return SRV_RESP_FAIL;
	}
	u->answers++;
	s->all_down_until = 0;
	outage_end(s, t);
	if (rebind_check(&s->rebind, r)) {
		s->st.rebind_refused++;
		return SRV_RESP_REBIND;
	}
	if (b->cacheable)
		cache_store(s->cache, b->msg, b->len, b->ttl_offs, b->nttl,
		    b->min_ttl, t->mono_s);
	return SRV_RESP_OK;
}

static struct qlog_dev *
log_dev(struct server *s, struct in_addr ip, uint32_t now)
{
	uint32_t h = ntohl(ip.s_addr);
	struct qlog_dev *d, *oldest = NULL;
	int	 i;

	for (i = 0; i < QLOG_DEVICES; i++) {
		d = &s->qlog[(h + (uint32_t)i) % QLOG_DEVICES];
		if (d->ip.s_addr == ip.s_addr)
			return d;
		if (d->ip.s_addr == 0) {
			d->ip = ip;
			return d;
		}
		if (oldest == NULL || d->last < oldest->last)
			oldest = d;
	}
	/* Full: the device silent the longest makes room. */
	oldest->ip = ip;
	oldest->head = oldest->count = 0;
	(void)now;
	return oldest;
}

void
srv_log(struct server *s, struct in_addr client, const uint8_t *qname,
    size_t qnamelen, uint16_t qtype, const uint8_t *reply, size_t replylen,
    uint32_t latency_us, int cached, uint32_t unix_s)
{
	struct qlog_dev	*d;
	struct qlog_entry *e;

	if (client.s_addr == 0 || replylen < DNS_HDR_LEN)
		return;
	d = log_dev(s, client, unix_s);
	d->last = unix_s;
	e = &d->e[d->head];
	d->head = (d->head + 1) % QLOG_PER_DEVICE;
	if (d->count < QLOG_PER_DEVICE)
		d->count++;
	e->time = unix_s;
	e->latency_us = latency_us;
	e->qtype = qtype;
	e->rcode = dns_get16(reply + 2) & DNS_RCODE_MASK;
	e->cached = (uint8_t)cached;
	e->qnamelen = (uint8_t)qnamelen;
	memcpy(e->qname, qname, qnamelen);
	e->naddr = (uint8_t)ans_addrs(reply, replylen, e->af, e->addr, NULL,
	    QLOG_ADDRS);
}

const struct qlog_dev *
srv_log_dev(const struct server *s, struct in_addr ip)
{
	int	 i;

	for (i = 0; i < QLOG_DEVICES; i++)
		if (s->qlog[i].ip.s_addr == ip.s_addr && ip.s_addr != 0)
			return &s->qlog[i];
	return NULL;
}

uint64_t
srv_flush(struct server *s)
{
	struct cache_stats st;

	cache_get_stats(s->cache, &st);
	cache_flush(s->cache);
	return st.entries;
}
