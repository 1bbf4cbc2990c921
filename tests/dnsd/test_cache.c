/*
 * dnsd's cache, local names and query decisions: TTLs counting down,
 * expiry, serve-stale, LRU eviction under both limits (recency to the
 * second), flush; local
 * A/PTR/NXDOMAIN; the server's answer to each kind of query.
 */
#include <arpa/inet.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "check.h"
#include "local.h"
#include "server.h"

static struct dns_resp resp;
static struct ans_build ab;
static struct server srv;

/* A stored answer for name: one A record with ttl. */
static size_t
mkanswer(uint8_t *m, const char *name, uint32_t ttl, uint16_t *ttloff)
{
	uint8_t	 n[DNS_MAX_NAME];
	struct dns_writer w;

	dns_name_from_str(name, n);
	dns_w_init(&w, m, 512);
	dns_w_u16(&w, 0);
	dns_w_u16(&w, DNS_QR | DNS_RA | DNS_RD);
	dns_w_u16(&w, 1);
	dns_w_u16(&w, 1);
	dns_w_u32(&w, 0);
	dns_w_name(&w, n, 1);
	dns_w_u16(&w, DNS_T_A);
	dns_w_u16(&w, DNS_C_IN);
	*ttloff = (uint16_t)dns_w_rr(&w, n, DNS_T_A, DNS_C_IN, ttl,
	    (const uint8_t *)"\1\2\3\4", 4);
	return w.len;
}

static size_t
mkquery(uint8_t *buf, uint16_t id, const char *name, uint16_t type)
{
	uint8_t	 wire[DNS_MAX_NAME];
	struct dns_writer w;

	dns_name_from_str(name, wire);
	dns_w_init(&w, buf, 512);
	dns_w_u16(&w, id);
	dns_w_u16(&w, DNS_RD);
	dns_w_u16(&w, 1);
	dns_w_u32(&w, 0);
	dns_w_u16(&w, 0);
	dns_w_name(&w, wire, 0);
	dns_w_u16(&w, type);
	dns_w_u16(&w, DNS_C_IN);
	return w.len;
}

static void
test_cache(void)
{
	struct cache	*c = cache_new(4, 65536);
	const struct cache_entry *e;
	struct cache_stats st;
	uint8_t		 m[512], n[DNS_MAX_NAME];
	uint16_t	 off;
	size_t		 len, nl;
	int		 fresh, i;
	char		 name[32];

	CHECK(c != NULL);
	if (c == NULL)
		return;
	len = mkanswer(m, "a.example", 100, &off);
	CHECK(cache_store(c, m, len, &off, 1, 100, 1000) == 0);
	nl = (size_t)dns_name_from_str("a.example", n);
	e = cache_lookup(c, n, nl, DNS_T_A, DNS_C_IN, 1050, &fresh);
	CHECK(e != NULL && fresh && e->len == len);
	CHECK(e != NULL && memcmp(cache_data(c, e), m, len) == 0);
	CHECK(cache_lookup(c, n, nl, DNS_T_AAAA, DNS_C_IN, 1050, &fresh) ==
	    NULL);
	/* expired: still there for serve-stale, not fresh */
	e = cache_lookup(c, n, nl, DNS_T_A, DNS_C_IN, 1100, &fresh);
	CHECK(e != NULL && !fresh);
	/* past the stale limit: gone */
	e = cache_lookup(c, n, nl, DNS_T_A, DNS_C_IN,
	    1100 + CACHE_STALE_MAX, &fresh);
	CHECK(e == NULL);
	/* entry limit 4: the least recently used goes */
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "n%d.example", i);
		len = mkanswer(m, name, 100, &off);
		CHECK(cache_store(c, m, len, &off, 1, 100, 2000) == 0);
	}
	nl = (size_t)dns_name_from_str("n0.example", n);
	CHECK(cache_lookup(c, n, nl, DNS_T_A, DNS_C_IN, 2001, &fresh) != NULL);
	len = mkanswer(m, "n4.example", 100, &off);
	CHECK(cache_store(c, m, len, &off, 1, 100, 2000) == 0);
	CHECK(cache_lookup(c, n, nl, DNS_T_A, DNS_C_IN, 2001, &fresh) != NULL);
	nl = (size_t)dns_name_from_str("n1.example", n);
	CHECK(cache_lookup(c, n, nl, DNS_T_A, DNS_C_IN, 2001, &fresh) == NULL);
	cache_get_stats(c, &st);
	CHECK(st.entries == 4 && st.evictions >= 1);
	/* replacing the same question keeps one entry */
	len = mkanswer(m, "n4.example", 50, &off);
	CHECK(cache_store(c, m, len, &off, 1, 50, 2000) == 0);
	cache_get_stats(c, &st);
	CHECK(st.entries == 4);
	/* too large */
	CHECK(cache_store(c, m, CACHE_MAX_DATA + 1, &off, 1, 50, 2000) == -1);
	cache_flush(c);
	cache_get_stats(c, &st);
	CHECK(st.entries == 0);
	nl = (size_t)dns_name_from_str("n4.example", n);
	CHECK(cache_lookup(c, n, nl, DNS_T_A, DNS_C_IN, 2001, &fresh) == NULL);
	cache_free(c);

	/* the arena limit (one 64 KiB chunk = 512 small slots) evicts too */
	c = cache_new(100000, 65536);
	for (i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "x%d.example", i);
		len = mkanswer(m, name, 100, &off);
		CHECK(cache_store(c, m, len, &off, 1, 100, 2000) == 0);
	}
	cache_get_stats(c, &st);
	CHECK(st.entries == 512 && st.evictions == 2000 - 512);
	nl = (size_t)dns_name_from_str("x1999.example", n);
	CHECK(cache_lookup(c, n, nl, DNS_T_A, DNS_C_IN, 2001, &fresh) != NULL);
	cache_free(c);
}

static void
test_local(void)
{
	struct local_zone *z = calloc(1, sizeof(*z));
	struct in_addr	 lan, ip;
	struct dns_query q;
	uint8_t		 qm[512], out[512];
	size_t		 n, ol;
	const char	*why;
	char		 s[300];

	local_init(z);
	inet_pton(AF_INET, "10.42.0.1", &lan);
	CHECK(local_configure(z, "lan", lan, 24) == 0);
	inet_pton(AF_INET, "10.42.0.23", &ip);
	CHECK(local_add(z, LOCAL_DHCP, "Laptop", ip, 5000, &why) == 0);
	CHECK(local_add(z, LOCAL_DHCP, "gatekeeper", ip, 5000, &why) == -1);
	CHECK(local_add(z, LOCAL_DHCP, "bad_name", ip, 5000, &why) == -1);
	/* WPAD hijack (issue 16): refused from dhcpd, whatever it sends */
	CHECK(local_add(z, LOCAL_DHCP, "wpad", ip, 5000, &why) == -1);
	CHECK_STR(why, "reserved name");
	CHECK(local_add(z, LOCAL_DHCP, "ISATAP", ip, 5000, &why) == -1);
	CHECK(local_add(z, LOCAL_DHCP, "localhost", ip, 5000, &why) == -1);

	n = mkquery(qm, 1, "laptop.lan", DNS_T_A);
	CHECK(dns_query_parse(qm, n, &q) == DNS_Q_OK);
	CHECK(local_answer(z, qm, &q, 100, out, 512, &ol) == LOCAL_ANSWERED);
	CHECK(dns_resp_parse(out, ol, &resp) == NULL);
	CHECK(resp.rcode == DNS_NOERROR && resp.nrr == 1 &&
	    memcmp(resp.rr[0].rdata, &ip.s_addr, 4) == 0);
	CHECK(dns_get16(out + 2) & DNS_AA);
	/* after the lease expired */
	CHECK(local_answer(z, qm, &q, 6000, out, 512, &ol) == LOCAL_ANSWERED);
	CHECK(dns_resp_parse(out, ol, &resp) == NULL &&
	    resp.rcode == DNS_NXDOMAIN);

	n = mkquery(qm, 1, "gatekeeper.lan", DNS_T_A);
	dns_query_parse(qm, n, &q);
	CHECK(local_answer(z, qm, &q, 100, out, 512, &ol) == LOCAL_ANSWERED);
	CHECK(dns_resp_parse(out, ol, &resp) == NULL && resp.nrr == 1 &&
	    memcmp(resp.rr[0].rdata, &lan.s_addr, 4) == 0);

	n = mkquery(qm, 1, "nosuch.lan", DNS_T_A);
	dns_query_parse(qm, n, &q);
	CHECK(local_answer(z, qm, &q, 100, out, 512, &ol) == LOCAL_ANSWERED);
	CHECK(dns_resp_parse(out, ol, &resp) == NULL &&
	    resp.rcode == DNS_NXDOMAIN && resp.nrr == 1 &&
	    resp.rr[0].type == DNS_T_SOA);
	n = mkquery(qm, 1, "laptop.lan", DNS_T_AAAA);
	dns_query_parse(qm, n, &q);
	CHECK(local_answer(z, qm, &q, 100, out, 512, &ol) == LOCAL_ANSWERED);
	CHECK(dns_resp_parse(out, ol, &resp) == NULL &&
	    resp.rcode == DNS_NOERROR && resp.nrr == 1);

	n = mkquery(qm, 1, "23.0.42.10.in-addr.arpa", DNS_T_PTR);
	dns_query_parse(qm, n, &q);
	CHECK(local_answer(z, qm, &q, 100, out, 512, &ol) == LOCAL_ANSWERED);
	CHECK(dns_resp_parse(out, ol, &resp) == NULL && resp.nrr == 1);
	dns_name_str(resp.rr[0].rdata, s, sizeof(s));
	CHECK_STR(s, "laptop.lan.");
	n = mkquery(qm, 1, "99.0.42.10.in-addr.arpa", DNS_T_PTR);
	dns_query_parse(qm, n, &q);
	CHECK(local_answer(z, qm, &q, 100, out, 512, &ol) == LOCAL_ANSWERED);
	CHECK(dns_resp_parse(out, ol, &resp) == NULL &&
	    resp.rcode == DNS_NXDOMAIN);
	/* RFC 6303: other private reverse zones never leave */
	n = mkquery(qm, 1, "1.1.168.192.in-addr.arpa", DNS_T_PTR);
	dns_query_parse(qm, n, &q);
	CHECK(local_answer(z, qm, &q, 100, out, 512, &ol) == LOCAL_ANSWERED);
	/* public reverse names are forwarded */
	n = mkquery(qm, 1, "1.113.0.203.in-addr.arpa", DNS_T_PTR);
	dns_query_parse(qm, n, &q);
	CHECK(local_answer(z, qm, &q, 100, out, 512, &ol) == LOCAL_NOT_OURS);
	n = mkquery(qm, 1, "www.example.com", DNS_T_A);
	dns_query_parse(qm, n, &q);
	CHECK(local_answer(z, qm, &q, 100, out, 512, &ol) == LOCAL_NOT_OURS);
	/* the name moves, then is deleted */
	inet_pton(AF_INET, "10.42.0.24", &ip);
	CHECK(local_add(z, LOCAL_DHCP, "laptop", ip, 0, &why) == 0);
	n = mkquery(qm, 1, "laptop.lan", DNS_T_A);
	dns_query_parse(qm, n, &q);
	CHECK(local_answer(z, qm, &q, 100, out, 512, &ol) == LOCAL_ANSWERED);
	CHECK(dns_resp_parse(out, ol, &resp) == NULL && resp.nrr == 1 &&
	    memcmp(resp.rr[0].rdata, &ip.s_addr, 4) == 0);
	CHECK(local_del(z, ip) == 0);
	CHECK(local_answer(z, qm, &q, 100, out, 512, &ol) == LOCAL_ANSWERED);
	CHECK(dns_resp_parse(out, ol, &resp) == NULL &&
	    resp.rcode == DNS_NXDOMAIN);
	free(z);
}

static void
test_server(void)
{
	struct gk_config *conf = calloc(1, sizeof(*conf));
	struct srv_time	 t = { 1000, 1000000, 1700000000 };
	struct dns_query q;
	uint8_t		 qm[512], out[1500], rm[512], wire[DNS_MAX_NAME];
	size_t		 n, ol, rl;
	int		 cached, up;
	uint16_t	 off;

	srv_init(&srv, cache_new(1000, 1 << 20));
	n = mkquery(qm, 9, "www.example.com", DNS_T_A);
	/* before the configuration: REFUSED */
	CHECK(srv_query(&srv, qm, n, 0, &t, &q, out, 512, &ol, &cached) ==
	    SRV_REPLY && (dns_get16(out + 2) & 0xf) == DNS_REFUSED);
	conf_init(conf);
	inet_pton(AF_INET, "10.42.0.1", &conf->lan_addr);
	conf->lan_prefix = 24;
	inet_pton(AF_INET, "192.0.2.53", &conf->upstream[0]);
	inet_pton(AF_INET, "192.0.2.54", &conf->upstream[1]);
	conf->nupstream = 2;
	srv_configure(&srv, conf);
	CHECK(srv_client_ok(&srv, conf->lan_addr));
	CHECK(!srv_client_ok(&srv, conf->upstream[0]));
	CHECK(srv_query(&srv, qm, n, 0, &t, &q, out, 512, &ol, &cached) ==
	    SRV_FORWARD);
	/* the upstream answers; a wrong id or question is ignored */
	rl = mkanswer(rm, "www.example.com", 300, &off);
	dns_put16(rm, 77);
	dns_name_from_str("www.example.com", wire);
	CHECK(srv_upstream_response(&srv, 0, rm, rl, 78, wire, 17, DNS_T_A,
	    DNS_C_IN, &t, &resp, &ab) == SRV_RESP_IGNORE);
	CHECK(srv_upstream_response(&srv, 0, rm, rl, 77, wire, 17, DNS_T_AAAA,
	    DNS_C_IN, &t, &resp, &ab) == SRV_RESP_IGNORE);
	CHECK(srv_upstream_response(&srv, 0, rm, rl - 1, 77, wire, 17,
	    DNS_T_A, DNS_C_IN, &t, &resp, &ab) == SRV_RESP_IGNORE);
	CHECK(srv.st.upstream_mismatched == 2 && srv.st.upstream_malformed == 1);
	CHECK(srv_upstream_response(&srv, 0, rm, rl, 77, wire, 17, DNS_T_A,
	    DNS_C_IN, &t, &resp, &ab) == SRV_RESP_OK);
	/* now from the cache, TTL counted down */
	t.mono_s += 100;
	CHECK(srv_query(&srv, qm, n, 0, &t, &q, out, 512, &ol, &cached) ==
	    SRV_REPLY && cached);
	CHECK(dns_resp_parse(out, ol, &resp) == NULL && resp.nrr == 1 &&
	    resp.rr[0].ttl == 200 && dns_get16(out) == 9);
	/* expired: forwarded again; when all fail, served stale */
	t.mono_s += 1000;
	CHECK(srv_query(&srv, qm, n, 0, &t, &q, out, 512, &ol, &cached) ==
	    SRV_FORWARD);
	ol = srv_fail_reply(&srv, qm, &q, &t, out, 512, &cached);
	CHECK(cached && dns_resp_parse(out, ol, &resp) == NULL &&
	    resp.rr[0].ttl == CACHE_STALE_TTL);
	CHECK(srv_outage(&srv, 0) == NULL);
	srv_all_failed(&srv, &t);
	CHECK(srv_query(&srv, qm, n, 0, &t, &q, out, 512, &ol, &cached) ==
	    SRV_REPLY && cached);
	/* an outage: one, going on, two queries unanswered */
	t.unix_s += 3;
	srv_all_failed(&srv, &t);
	CHECK(srv_outage(&srv, 0) != NULL && srv_outage(&srv, 1) == NULL);
	CHECK(srv_outage(&srv, 0)->start_ms == (uint64_t)(t.unix_s - 3) *
	    1000 && srv_outage(&srv, 0)->end_ms == 0 &&
	    srv_outage(&srv, 0)->failed == 2);
	/* an answer ends it; the next failure starts another */
	t.unix_s += 4;
	CHECK(srv_upstream_response(&srv, 0, rm, rl, 77, wire, 17, DNS_T_A,
	    DNS_C_IN, &t, &resp, &ab) == SRV_RESP_OK);
	CHECK(srv_outage(&srv, 0)->end_ms == (uint64_t)t.unix_s * 1000);
	srv_all_failed(&srv, &t);
	CHECK(srv.noutages == 2 && srv_outage(&srv, 0)->end_ms == 0 &&
	    srv_outage(&srv, 1)->failed == 2);
	/* unknown name, all failed: SERVFAIL */
	n = mkquery(qm, 10, "other.example.com", DNS_T_A);
	CHECK(srv_query(&srv, qm, n, 0, &t, &q, out, 512, &ol, &cached) ==
	    SRV_FORWARD);
	ol = srv_fail_reply(&srv, qm, &q, &t, out, 512, &cached);
	CHECK(!cached && (dns_get16(out + 2) & 0xf) == DNS_SERVFAIL);
	/* upstream choice: fastest first, a silent one skipped */
	srv_upstream_rtt(&srv, 0, 5000);
	srv_upstream_rtt(&srv, 1, 1000);
	CHECK(srv_pick_upstream(&srv, 0, t.mono_ms) == 1);
	srv_upstream_timeout(&srv, 1, t.mono_ms);
	CHECK(srv_pick_upstream(&srv, 0, t.mono_ms) == 0);
	CHECK(srv_pick_upstream(&srv, 1, t.mono_ms) == 1);
	CHECK(srv_pick_upstream(&srv, 3, t.mono_ms) == -1);
	up = srv_pick_upstream(&srv, 0, t.mono_ms + SRV_UP_PENALTY_MS + 1);
	CHECK(up == 0);
	/* other classes, AXFR, a non-QUERY opcode */
	n = mkquery(qm, 11, "example.com", DNS_T_AXFR);
	CHECK(srv_query(&srv, qm, n, 1, &t, &q, out, 512, &ol, &cached) ==
	    SRV_REPLY && (dns_get16(out + 2) & 0xf) == DNS_REFUSED);
	qm[2] |= 2 << 3;
	CHECK(srv_query(&srv, qm, n, 1, &t, &q, out, 512, &ol, &cached) ==
	    SRV_REPLY && (dns_get16(out + 2) & 0xf) == DNS_NOTIMP);
	CHECK(srv.st.notimp == 1 && srv.st.refused == 1);
	/* the log */
	srv_log(&srv, conf->lan_addr, wire, 17, DNS_T_A, rm, rl, 5, 1,
	    t.unix_s);
	CHECK(srv_log_dev(&srv, conf->lan_addr) != NULL &&
	    srv_log_dev(&srv, conf->lan_addr)->count == 1 &&
	    srv_log_dev(&srv, conf->lan_addr)->e[0].naddr == 1);
	CHECK(srv_flush(&srv) == 1);
	cache_free(srv.cache);
	free(conf);
}

/* Recency is kept to the second: hits within the second an entry was
 * stored or last moved do not move it; a hit a second later does. */
static void
test_lru_second(void)
{
	struct cache	*c = cache_new(2, 65536);
	uint8_t		 m[512], n[DNS_MAX_NAME];
	uint16_t	 off;
	size_t		 len, nl;
	int		 fresh;

	CHECK(c != NULL);
	if (c == NULL)
		return;
	len = mkanswer(m, "a.example", 100, &off);
	CHECK(cache_store(c, m, len, &off, 1, 100, 3000) == 0);
	len = mkanswer(m, "b.example", 100, &off);
	CHECK(cache_store(c, m, len, &off, 1, 100, 3000) == 0);
	/* a, asked in the second it was stored: still the oldest */
	nl = (size_t)dns_name_from_str("a.example", n);
	CHECK(cache_lookup(c, n, nl, DNS_T_A, DNS_C_IN, 3000, &fresh) != NULL);
	len = mkanswer(m, "c.example", 100, &off);
	CHECK(cache_store(c, m, len, &off, 1, 100, 3000) == 0);
	CHECK(cache_lookup(c, n, nl, DNS_T_A, DNS_C_IN, 3000, &fresh) == NULL);
	/* b (now the oldest), asked a second later, moves ahead of c:
	 * d evicts c */
	nl = (size_t)dns_name_from_str("b.example", n);
	CHECK(cache_lookup(c, n, nl, DNS_T_A, DNS_C_IN, 3001, &fresh) != NULL);
	len = mkanswer(m, "d.example", 100, &off);
	CHECK(cache_store(c, m, len, &off, 1, 100, 3001) == 0);
	CHECK(cache_lookup(c, n, nl, DNS_T_A, DNS_C_IN, 3001, &fresh) != NULL);
	nl = (size_t)dns_name_from_str("c.example", n);
	CHECK(cache_lookup(c, n, nl, DNS_T_A, DNS_C_IN, 3001, &fresh) == NULL);
	cache_free(c);
}

/* rebind-allow from the configuration, and a reload that changes it. */
static void
test_rebind_config(void)
{
	struct gk_config *conf = calloc(1, sizeof(*conf));
	struct srv_time	 t = { 1000, 1000000, 1700000000 };
	struct dns_query q;
	uint8_t		 qm[512], out[1500], rm[512], wire[DNS_MAX_NAME];
	size_t		 n, ol, rl, wl;
	int		 cached;
	uint16_t	 off;

	srv_init(&srv, cache_new(1000, 1 << 20));
	conf_init(conf);
	inet_pton(AF_INET, "10.42.0.1", &conf->lan_addr);
	conf->lan_prefix = 24;
	inet_pton(AF_INET, "192.0.2.53", &conf->upstream[0]);
	conf->nupstream = 1;
	srv_configure(&srv, conf);

	/* nas.home.example -> 192.168.1.10 */
	rl = mkanswer(rm, "nas.home.example", 300, &off);
	memcpy(rm + rl - 4, "\xc0\xa8\x01\x0a", 4);
	dns_put16(rm, 5);
	wl = (size_t)dns_name_from_str("nas.home.example", wire);
	n = mkquery(qm, 9, "nas.home.example", DNS_T_A);
	CHECK(srv_upstream_response(&srv, 0, rm, rl, 5, wire, wl, DNS_T_A,
	    DNS_C_IN, &t, &resp, &ab) == SRV_RESP_REBIND);

	/* allowed by a parent domain: answered and cached */
	strlcpy(conf->rebind_allow[0], "other.example",
	    sizeof(conf->rebind_allow[0]));
	strlcpy(conf->rebind_allow[1], "home.example",
	    sizeof(conf->rebind_allow[1]));
	conf->nrebind_allow = 2;
	srv_configure(&srv, conf);
	CHECK(srv.rebind.nallow == 2);
	CHECK(srv_upstream_response(&srv, 0, rm, rl, 5, wire, wl, DNS_T_A,
	    DNS_C_IN, &t, &resp, &ab) == SRV_RESP_OK);
	CHECK(srv_query(&srv, qm, n, 0, &t, &q, out, 512, &ol, &cached) ==
	    SRV_REPLY && cached);
	/* the same list again keeps the cache */
	srv_configure(&srv, conf);
	CHECK(srv_query(&srv, qm, n, 0, &t, &q, out, 512, &ol, &cached) ==
	    SRV_REPLY && cached);

	/* taken off the list: not from the cache, refused again */
	conf->nrebind_allow = 1;
	memset(conf->rebind_allow[1], 0, sizeof(conf->rebind_allow[1]));
	srv_configure(&srv, conf);
	CHECK(srv.rebind.nallow == 1);
	CHECK(srv_query(&srv, qm, n, 0, &t, &q, out, 512, &ol, &cached) ==
	    SRV_FORWARD);
	CHECK(srv_upstream_response(&srv, 0, rm, rl, 5, wire, wl, DNS_T_A,
	    DNS_C_IN, &t, &resp, &ab) == SRV_RESP_REBIND);
	/* the name itself, not only what is under it */
	strlcpy(conf->rebind_allow[0], "nas.home.example",
	    sizeof(conf->rebind_allow[0]));
	srv_configure(&srv, conf);
	CHECK(srv_upstream_response(&srv, 0, rm, rl, 5, wire, wl, DNS_T_A,
	    DNS_C_IN, &t, &resp, &ab) == SRV_RESP_OK);
	cache_free(srv.cache);
	free(conf);
}

int
main(void)
{
	test_cache();
	test_lru_second();
	test_rebind_config();
	test_local();
	test_server();
	return check_result();
}
