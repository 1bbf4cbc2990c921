/*
 * dnsd's observations for webd (dnsd/observe.c): the A and AAAA records
 * of an answer become (client, name, address, TTL) entries; repeats
 * within OBS_REPEAT_S are suppressed per client, address and name; a
 * dropped batch may be sent again; errors, names that would need
 * escaping and answers without addresses add nothing; a full batch asks
 * to be sent and is what proto_check accepts.
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dns.h"
#include "observe.h"
#include "proto.h"

static struct obs obs;

/* A reply for name: nv4 A records 203.0.113.(80+i), TTL 300, and one
 * AAAA 2001:db8::80 (TTL 60) when v6. */
static size_t
reply(uint8_t *m, const char *name, int nv4, int v6, int rcode)
{
	uint8_t	 n[DNS_MAX_NAME], a[4] = { 203, 0, 113, 80 };
	uint8_t	 a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x80 };
	struct dns_writer w;
	int	 i;

	dns_name_from_str(name, n);
	dns_w_init(&w, m, 1500);
	dns_w_u16(&w, 7);
	dns_w_u16(&w, DNS_QR | DNS_RA | DNS_RD | (uint16_t)rcode);
	dns_w_u16(&w, 1);
	dns_w_u16(&w, (uint16_t)(nv4 + (v6 ? 1 : 0)));
	dns_w_u32(&w, 0);
	dns_w_name(&w, n, 1);
	dns_w_u16(&w, v6 && nv4 == 0 ? DNS_T_AAAA : DNS_T_A);
	dns_w_u16(&w, DNS_C_IN);
	for (i = 0; i < nv4; i++) {
		a[3] = (uint8_t)(80 + i);
		dns_w_rr(&w, n, DNS_T_A, DNS_C_IN, 300, a, 4);
	}
	if (v6)
		dns_w_rr(&w, n, DNS_T_AAAA, DNS_C_IN, 60, a6, 16);
	return w.len;
}

static size_t
qname(const char *name, uint8_t *out)
{
	return (size_t)dns_name_from_str(name, out);
}

static struct in_addr
ip4(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a;
}

static void
test_basic(void)
{
	struct in_addr	 c1 = ip4("10.42.0.11"), c2 = ip4("10.42.0.12");
	uint8_t		 m[1500], qn[DNS_MAX_NAME];
	size_t		 len, ql;
	uint32_t	 t = 1000;

	obs_init(&obs);
	CHECK(obs_len(&obs) == 0);
	len = reply(m, "host.example.test", 2, 1, DNS_NOERROR);
	ql = qname("host.example.test", qn);
	CHECK(obs_add(&obs, c1, qn, ql, m, len, t) == 0);
	CHECK(obs.batch.count == 3);
	CHECK(obs_len(&obs) == DNS_OBS_LEN(3));
	CHECK_STR(obs.batch.obs[0].name, "host.example.test.");
	CHECK(obs.batch.obs[0].family == 4 && obs.batch.obs[0].ttl == 300 &&
	    memcmp(obs.batch.obs[0].addr, "\xcb\x00\x71\x50", 4) == 0);
	CHECK(obs.batch.obs[1].addr[3] == 81);
	CHECK(obs.batch.obs[2].family == 6 && obs.batch.obs[2].ttl == 60 &&
	    obs.batch.obs[2].addr[15] == 0x80);
	CHECK(obs.batch.obs[0].client.s_addr == c1.s_addr);
	CHECK_STR(obs.batch.obs[2].name, "host.example.test.");

	/* asked again (the cache): nothing new for webd */
	CHECK(obs_add(&obs, c1, qn, ql, m, len, t + 1) == 0);
	CHECK(obs.batch.count == 3 && obs.st.suppressed == 3);
	/* another device: its own entries */
	CHECK(obs_add(&obs, c2, qn, ql, m, len, t + 1) == 0);
	CHECK(obs.batch.count == 6);
	/* the same address by another name is news */
	ql = qname("www.example.test", qn);
	len = reply(m, "www.example.test", 1, 0, DNS_NOERROR);
	CHECK(obs_add(&obs, c1, qn, ql, m, len, t + 1) == 0);
	CHECK(obs.batch.count == 7);
	CHECK_STR(obs.batch.obs[6].name, "www.example.test.");
	obs_done(&obs, 1);
	CHECK(obs.batch.count == 0 && obs.st.sent == 7 &&
	    obs.st.batches == 1 && obs_len(&obs) == 0);

	/* after OBS_REPEAT_S it is sent again (webd's copy is refreshed) */
	CHECK(obs_add(&obs, c1, qn, ql, m, len, t + OBS_REPEAT_S - 1) == 0);
	CHECK(obs.batch.count == 0);
	CHECK(obs_add(&obs, c1, qn, ql, m, len, t + OBS_REPEAT_S + 1) == 0);
	CHECK(obs.batch.count == 1);

	/* lost (webd's channel full): counted, and not taken as sent */
	obs_done(&obs, 0);
	CHECK(obs.st.dropped == 1 && obs.batch.count == 0);
	CHECK(obs_add(&obs, c1, qn, ql, m, len, t + OBS_REPEAT_S + 2) == 0);
	CHECK(obs.batch.count == 1);
	obs_done(&obs, 1);
	obs_done(&obs, 1);		/* empty: nothing counted */
	CHECK(obs.st.batches == 2 && obs.st.sent == 8);
}

static void
test_nothing(void)
{
	struct in_addr	 c = ip4("10.42.0.11");
	uint8_t		 m[1500], qn[DNS_MAX_NAME];
	size_t		 len, ql;

	obs_init(&obs);
	ql = qname("nosuch.example.test", qn);
	len = reply(m, "nosuch.example.test", 0, 0, DNS_NXDOMAIN);
	CHECK(obs_add(&obs, c, qn, ql, m, len, 5) == 0);
	len = reply(m, "nosuch.example.test", 1, 0, DNS_SERVFAIL);
	CHECK(obs_add(&obs, c, qn, ql, m, len, 5) == 0);
	len = reply(m, "nosuch.example.test", 0, 0, DNS_NOERROR);
	CHECK(obs_add(&obs, c, qn, ql, m, len, 5) == 0);
	CHECK(obs_add(&obs, c, qn, ql, m, 5, 5) == 0);
	CHECK(obs.batch.count == 0);
	/* a label with a dot or a space in it: not a name to show */
	ql = qname("a\\.b.example", qn);
	len = reply(m, "a\\.b.example", 1, 0, DNS_NOERROR);
	CHECK(obs_add(&obs, c, qn, ql, m, len, 5) == 0);
	CHECK(obs.batch.count == 0 && obs.st.unnamed == 1);
	/* and not remembered as sent */
	CHECK(obs_add(&obs, c, qn, ql, m, len, 6) == 0);
	CHECK(obs.st.unnamed == 2 && obs.st.suppressed == 0);
}

static void
test_full(void)
{
	static uint8_t	 buf[PROTO_MAX_MSG];
	struct proto_hdr hdr;
	struct proto_msg msg;
	struct in_addr	 c = ip4("10.42.0.11");
	uint8_t		 m[1500], qn[DNS_MAX_NAME];
	char		 name[64];
	size_t		 len, ql;
	int		 i, full = 0;

	obs_init(&obs);
	/* each answer with the most addresses one answer gives */
	for (i = 0; i < 10 && !full; i++) {
		snprintf(name, sizeof(name), "n%d.example", i);
		ql = qname(name, qn);
		len = reply(m, name, OBS_PER_ANSWER + 4, 0, DNS_NOERROR);
		full = obs_add(&obs, c, qn, ql, m, len, 9);
		CHECK(obs.batch.count == (uint32_t)(i + 1) * OBS_PER_ANSWER);
	}
	CHECK(full && obs.batch.count == DNS_OBS_MAX - OBS_PER_ANSWER + 16);
	/* what dnsd sends passes webd's check */
	proto_hdr_init(&hdr, MSG_DNS_OBS, (uint32_t)obs_len(&obs), PEER_DNSD);
	memcpy(buf, &hdr, sizeof(hdr));
	memcpy(buf + sizeof(hdr), &obs.batch, obs_len(&obs));
	CHECK(proto_decode(buf, sizeof(hdr) + obs_len(&obs), &msg) == NULL);
}

/*
 * A client asking for the same 1,000 names over and over (dnsperf does, a
 * busy LAN does over ten minutes) has each sent once: no two of them
 * keep evicting each other.
 */
static void
test_many(void)
{
	struct in_addr	 c = ip4("10.42.0.11");
	uint8_t		 m[1500], qn[DNS_MAX_NAME];
	char		 name[64];
	size_t		 len, ql;
	int		 pass, i;

	obs_init(&obs);
	for (pass = 0; pass < 3; pass++) {
		for (i = 0; i < 1000; i++) {
			snprintf(name, sizeof(name), "n%d.bench.test", i);
			ql = qname(name, qn);
			len = reply(m, name, 1, 0, DNS_NOERROR);
			if (obs_add(&obs, c, qn, ql, m, len, 50 + pass))
				obs_done(&obs, 1);
		}
		obs_done(&obs, 1);
		CHECK(obs.st.sent == 1000);
		CHECK(obs.st.suppressed == (uint64_t)pass * 1000);
	}
}

/* Adds name for c at time t; returns the set it was noted in, -1 if it
 * was not sent (a repeat). */
static int
add_name(struct in_addr c, const char *name, uint32_t t)
{
	uint8_t		 m[1500], qn[DNS_MAX_NAME];
	size_t		 len, ql;
	uint32_t	 before = obs.batch.count;
	int		 full, set;

	ql = qname(name, qn);
	len = reply(m, name, 1, 0, DNS_NOERROR);
	full = obs_add(&obs, c, qn, ql, m, len, t);
	if (obs.batch.count == before)
		return -1;
	set = obs.slot[obs.batch.count - 1] / OBS_WAYS;
	if (full)
		obs_done(&obs, 1);
	return set;
}

/* A set full of fresh entries gives its oldest way to a new one. */
static void
test_set_full(void)
{
	struct in_addr	 c = ip4("10.42.0.11");
	char		 name[64], same[OBS_WAYS + 1][64];
	int		 i, n = 0, set0 = -1, s;

	obs_init(&obs);
	/* names until OBS_WAYS + 1 of them share the first one's set, each
	 * noted a second after the one before */
	for (i = 0; i < 1000000 && n <= OBS_WAYS; i++) {
		snprintf(name, sizeof(name), "s%d.example", i);
		s = add_name(c, name, (uint32_t)(100 + n));
		if (set0 == -1)
			set0 = s;
		if (s == set0)
			snprintf(same[n++], sizeof(same[0]), "%s", name);
	}
	CHECK(n == OBS_WAYS + 1);
	if (n != OBS_WAYS + 1)
		return;
	/* the last took the first's way: the second is still a repeat, the
	 * first is news again */
	CHECK(add_name(c, same[1], 110) == -1);
	CHECK(add_name(c, same[OBS_WAYS], 110) == -1);
	CHECK(add_name(c, same[0], 110) == set0);
}

/* A cached answer's stamp: set only when nothing is pending, then a
 * repeat for that client skips the table; another client, a lapsed
 * window or a dropped batch do not. */
static void
test_cached(void)
{
	struct in_addr	 c1 = ip4("10.42.0.11"), c2 = ip4("10.42.0.12");
	uint8_t		 m[1500], qn[DNS_MAX_NAME];
	uint32_t	 sc = 0, ss = 0;
	size_t		 len, ql;

	obs_init(&obs);
	len = reply(m, "www.example.test", 2, 0, DNS_NOERROR);
	ql = qname("www.example.test", qn);
	/* news: pending in the batch, no stamp yet */
	CHECK(obs_add_cached(&obs, &sc, &ss, c1, qn, ql, m, len, 20) == 0);
	CHECK(obs.batch.count == 2 && ss == 0);
	/* the batch is lost: still no stamp, and it is news again */
	obs_done(&obs, 0);
	CHECK(obs_add_cached(&obs, &sc, &ss, c1, qn, ql, m, len, 21) == 0);
	CHECK(obs.batch.count == 2 && ss == 0);
	obs_done(&obs, 1);
	/* a repeat with nothing pending sets the stamp */
	CHECK(obs_add_cached(&obs, &sc, &ss, c1, qn, ql, m, len, 22) == 0);
	CHECK(obs.batch.count == 0 && ss == 22 && sc == c1.s_addr);
	CHECK(obs.st.suppressed == 2);
	/* with the stamp the table is not looked at: emptied, still a repeat */
	memset(obs.recent, 0, sizeof(obs.recent));
	CHECK(obs_add_cached(&obs, &sc, &ss, c1, qn, ql, m, len, 30) == 0);
	CHECK(obs.batch.count == 0 && obs.st.suppressed == 3);
	/* another client is news; pending, it leaves the stamp c1's */
	CHECK(obs_add_cached(&obs, &sc, &ss, c2, qn, ql, m, len, 31) == 0);
	CHECK(obs.batch.count == 2 && sc == c1.s_addr);
	obs_done(&obs, 1);
	/* the window lapsed: looked up again, and the emptied table says
	 * news for c1 */
	CHECK(obs_add_cached(&obs, &sc, &ss, c1, qn, ql, m, len,
	    22 + OBS_REPEAT_S) == 0);
	CHECK(obs.batch.count == 2);
}

int
main(void)
{
	test_basic();
	test_nothing();
	test_full();
	test_many();
	test_set_full();
	test_cached();
	return check_result();
}
