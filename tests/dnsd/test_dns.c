/*
 * dnsd's message code: names (compression both ways, loops, limits),
 * queries (status per kind of bad input), responses (records, counts that
 * lie, rdata names), the writer, rendering and rebinding.
 */
#include <arpa/inet.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "check.h"
#include "dns.h"

static struct dns_resp resp;
static struct ans_build ab;

/* A query for name (presentation) and type, optionally with EDNS. */
static size_t
mkquery(uint8_t *buf, const char *name, uint16_t type, int edns)
{
	uint8_t	 wire[DNS_MAX_NAME];
	struct dns_writer w;

	dns_name_from_str(name, wire);
	dns_w_init(&w, buf, 512);
	dns_w_u16(&w, 0x1234);
	dns_w_u16(&w, DNS_RD);
	dns_w_u16(&w, 1);
	dns_w_u16(&w, 0);
	dns_w_u16(&w, 0);
	dns_w_u16(&w, edns ? 1 : 0);
	dns_w_name(&w, wire, 0);
	dns_w_u16(&w, type);
	dns_w_u16(&w, DNS_C_IN);
	if (edns)
		dns_w_opt(&w, 0);
	return w.len;
}

static void
test_names(void)
{
	/* header, then "www.example.com", then "mail" + pointer to 16 */
	uint8_t	 m[64] = { 0 }, out[DNS_MAX_NAME];
	size_t	 off;
	int	 n;
	char	 s[1024];

	memcpy(m + 12, "\3www\7ExAmple\3com\0", 17);
	memcpy(m + 29, "\4mail\xc0\x10", 7);
	off = 29;
	n = dns_name_read(m, 36, &off, out);
	CHECK(n == 18);
	CHECK(off == 36);
	dns_name_str(out, s, sizeof(s));
	CHECK_STR(s, "mail.example.com.");

	/* a pointer to itself, and forward: loops are impossible */
	memcpy(m + 40, "\xc0\x28", 2);
	off = 40;
	CHECK(dns_name_read(m, 42, &off, out) == -1);
	memcpy(m + 40, "\xc0\x2a\0", 3);
	off = 40;
	CHECK(dns_name_read(m, 43, &off, out) == -1);
	/* two names pointing at each other */
	memcpy(m + 12, "\1a\xc0\x10\1b\xc0\x0c", 8);
	off = 12;
	CHECK(dns_name_read(m, 20, &off, out) == -1);
	off = 16;
	CHECK(dns_name_read(m, 20, &off, out) == -1);
	/* into the header */
	memcpy(m + 12, "\xc0\x02", 2);
	off = 12;
	CHECK(dns_name_read(m, 14, &off, out) == -1);
	/* 0x40 and 0x80 label types */
	m[12] = 0x41;
	off = 12;
	CHECK(dns_name_read(m, 20, &off, out) == -1);
	/* truncated label */
	memcpy(m + 12, "\5ab", 3);
	off = 12;
	CHECK(dns_name_read(m, 15, &off, out) == -1);
	/* no terminating root */
	memcpy(m + 12, "\1a", 2);
	off = 12;
	CHECK(dns_name_read(m, 14, &off, out) == -1);
}

static void
test_name_limits(void)
{
	uint8_t	 m[600], out[DNS_MAX_NAME];
	size_t	 off, i;
	char	 s[300];

	/* a 64-byte label cannot even be encoded (0x40 is a type) and a
	 * 63-byte one can */
	memset(m, 0, sizeof(m));
	m[12] = 63;
	memset(m + 13, 'a', 63);
	m[76] = 0;
	off = 12;
	CHECK(dns_name_read(m, 77, &off, out) == 65);
	/* 4 labels of 63 = 256 bytes with the root: too long */
	for (i = 0; i < 4; i++) {
		m[12 + i * 64] = 63;
		memset(m + 13 + i * 64, 'b', 63);
	}
	m[12 + 256] = 0;
	off = 12;
	CHECK(dns_name_read(m, 12 + 257, &off, out) == -1);
	/* 3 x 63 + 61 + root = 255: just fits */
	m[12 + 192] = 61;
	m[12 + 192 + 62] = 0;
	off = 12;
	CHECK(dns_name_read(m, 12 + 255, &off, out) == 255);
	/* the same length reached through a pointer also counts */
	CHECK(dns_name_from_str("a.b.c.", out) == 7);
	CHECK(dns_name_from_str(".", out) == 1);
	memset(s, 'x', 64);
	s[64] = '\0';
	CHECK(dns_name_from_str(s, out) == -1);
	CHECK(dns_name_from_str("a..b", out) == -1);
}

static void
test_query(void)
{
	struct dns_query q;
	uint8_t	 m[600];
	size_t	 n;

	n = mkquery(m, "www.Example.com", DNS_T_A, 1);
	CHECK(dns_query_parse(m, n, &q) == DNS_Q_OK);
	CHECK(q.id == 0x1234 && q.qtype == DNS_T_A && q.edns &&
	    q.edns_size == DNS_EDNS_SIZE && q.qname_raw);
	CHECK(q.qnamelen == 17 && memcmp(q.qname, "\3www\7example", 12) == 0);
	CHECK(dns_query_parse(m, 11, &q) == DNS_Q_DROP);
	/* a response is never answered */
	m[2] |= 0x80;
	CHECK(dns_query_parse(m, n, &q) == DNS_Q_DROP);
	m[2] &= 0x7f;
	/* opcode NOTIFY, STATUS */
	m[2] |= 4 << 3;
	CHECK(dns_query_parse(m, n, &q) == DNS_Q_NOTIMP);
	m[2] &= ~(0xf << 3);
	/* qdcount 0 and 2 */
	m[5] = 0;
	CHECK(dns_query_parse(m, n, &q) == DNS_Q_FORMERR);
	m[5] = 2;
	CHECK(dns_query_parse(m, n, &q) == DNS_Q_FORMERR);
	m[5] = 1;
	/* counts that lie: one more additional than sent, and one fewer */
	m[11] = 2;
	CHECK(dns_query_parse(m, n, &q) == DNS_Q_FORMERR);
	m[11] = 0;
	CHECK(dns_query_parse(m, n, &q) == DNS_Q_FORMERR);
	m[11] = 1;
	/* an answer record in a query */
	m[7] = 1;
	CHECK(dns_query_parse(m, n, &q) == DNS_Q_FORMERR);
	m[7] = 0;
	/* truncated question */
	CHECK(dns_query_parse(m, 12 + 17 + 2, &q) == DNS_Q_FORMERR);
	/* EDNS version 1 */
	m[n - 11 + 6] = 1;
	CHECK(dns_query_parse(m, n, &q) == DNS_Q_BADVERS);
	m[n - 11 + 6] = 0;
	/* two OPTs */
	memcpy(m + n, m + n - 11, 11);
	m[11] = 2;
	CHECK(dns_query_parse(m, n + 11, &q) == DNS_Q_FORMERR);
	/* no EDNS: 512 */
	n = mkquery(m, "a.b", DNS_T_AAAA, 0);
	CHECK(dns_query_parse(m, n, &q) == DNS_Q_OK && !q.edns &&
	    q.edns_size == 512);
}

/* A response: question www.example.com A, a CNAME to web.example.com
 * and two A records of it, compressed. */
static size_t
mkresp(uint8_t *m, uint16_t id, const uint8_t a1[4], uint32_t ttl1,
    uint32_t ttl2)
{
	uint8_t	 n1[DNS_MAX_NAME], n2[DNS_MAX_NAME];
	struct dns_writer w;

	dns_name_from_str("www.example.com", n1);
	dns_name_from_str("web.example.com", n2);
	dns_w_init(&w, m, 1500);
	dns_w_u16(&w, id);
	dns_w_u16(&w, DNS_QR | DNS_RD | DNS_RA);
	dns_w_u16(&w, 1);
	dns_w_u16(&w, 3);
	dns_w_u16(&w, 0);
	dns_w_u16(&w, 0);
	dns_w_name(&w, n1, 1);
	dns_w_u16(&w, DNS_T_A);
	dns_w_u16(&w, DNS_C_IN);
	dns_w_rr(&w, n1, DNS_T_CNAME, DNS_C_IN, 300, n2,
	    (uint16_t)dns_name_len(n2));
	dns_w_rr(&w, n2, DNS_T_A, DNS_C_IN, ttl1, a1, 4);
	dns_w_rr(&w, n2, DNS_T_A, DNS_C_IN, ttl2,
	    (const uint8_t *)"\xcb\x00\x71\x0b", 4);
	return w.overflow ? 0 : w.len;
}

static void
test_resp(void)
{
	uint8_t	 m[1500], pub[4] = { 203, 0, 113, 10 };
	uint8_t	 priv[4] = { 192, 168, 1, 1 };
	char	 s[300];
	size_t	 n;
	struct rebind_policy rp;

	n = mkresp(m, 7, pub, 600, 100);
	CHECK(n > 0 && n < 100);	/* compression worked */
	CHECK(dns_resp_parse(m, n, &resp) == NULL);
	CHECK(resp.nrr == 3 && resp.id == 7);
	CHECK(resp.rr[0].type == DNS_T_CNAME);
	dns_name_str(resp.rr[0].rdata, s, sizeof(s));
	CHECK_STR(s, "web.example.com.");
	CHECK(resp.rr[1].rdlen == 4 && resp.rr[1].ttl == 600);
	/* every truncation point is refused, never read past */
	for (size_t k = 0; k < n; k++)
		CHECK(dns_resp_parse(m, k, &resp) != NULL);
	/* trailing garbage, lying counts */
	CHECK(dns_resp_parse(m, n + 1, &resp) != NULL);
	m[7] = 4;
	CHECK(dns_resp_parse(m, n, &resp) != NULL);
	m[7] = 2;
	CHECK(dns_resp_parse(m, n, &resp) != NULL);
	m[7] = 3;
	CHECK(dns_resp_parse(m, n, &resp) == NULL);
	/* an A record of 5 bytes: its rdlength grows, the rest shifts */
	m[n - 5] = 5;
	m[n] = 0;
	CHECK(dns_resp_parse(m, n + 1, &resp) != NULL);
	m[n - 5] = 4;
	CHECK(dns_resp_parse(m, n, &resp) == NULL);

	/* the answer we keep: RRset TTL is the minimum of its records */
	CHECK(ans_from_resp(&resp, &ab) == NULL);
	CHECK(ab.nttl == 3 && ab.min_ttl == 100 && ab.cacheable);
	CHECK(dns_resp_parse(ab.msg, ab.len, &resp) == NULL);
	CHECK(resp.rr[1].ttl == 100 && resp.rr[2].ttl == 100 &&
	    resp.rr[0].ttl == 300);

	/* rebinding: a private address under a public name */
	memset(&rp, 0, sizeof(rp));
	rp.enabled = 1;
	n = mkresp(m, 7, priv, 60, 60);
	CHECK(dns_resp_parse(m, n, &resp) == NULL);
	CHECK(rebind_check(&rp, &resp) == 1);
	CHECK(rebind_allow(&rp, "example.com") == 0);
	CHECK(rebind_check(&rp, &resp) == 0);
	rp.nallow = 0;
	n = mkresp(m, 7, pub, 60, 60);
	CHECK(dns_resp_parse(m, n, &resp) == NULL);
	CHECK(rebind_check(&rp, &resp) == 0);
	{
		uint8_t v6[16] = { 0xfd, 1 }, v6p[16] = { 0x20, 1, 0xd, 0xb8 };
		uint8_t map[16] = { [10] = 0xff, [11] = 0xff, [12] = 10 };

		CHECK(rebind_private6(&rp, v6) && !rebind_private6(&rp, v6p) &&
		    rebind_private6(&rp, map));
		CHECK(rebind_private4(&rp, (const uint8_t *)"\x7f\0\0\1") &&
		    rebind_private4(&rp, (const uint8_t *)"\xac\x1f\0\1") &&
		    !rebind_private4(&rp, (const uint8_t *)"\xac\x20\0\1"));
	}
}

static void
test_negative(void)
{
	uint8_t	 m[600], z[DNS_MAX_NAME], rd[200], q[DNS_MAX_NAME];
	struct dns_writer w;
	size_t	 n, k;

	dns_name_from_str("nx.example.com", q);
	dns_name_from_str("example.com", z);
	n = (size_t)dns_name_from_str("ns.example.com", rd);
	k = (size_t)dns_name_from_str("h.example.com", rd + n);
	memset(rd + n + k, 0, 20);
	dns_put32(rd + n + k + 16, 900);	/* minimum */
	dns_w_init(&w, m, sizeof(m));
	dns_w_u16(&w, 1);
	dns_w_u16(&w, DNS_QR | DNS_NXDOMAIN);
	dns_w_u16(&w, 1);
	dns_w_u16(&w, 0);
	dns_w_u16(&w, 1);
	dns_w_u16(&w, 0);
	dns_w_name(&w, q, 1);
	dns_w_u16(&w, DNS_T_A);
	dns_w_u16(&w, DNS_C_IN);
	dns_w_rr(&w, z, DNS_T_SOA, DNS_C_IN, 7200, rd,
	    (uint16_t)(n + k + 20));
	CHECK(!w.overflow);
	CHECK(dns_resp_parse(m, w.len, &resp) == NULL);
	CHECK(ans_from_resp(&resp, &ab) == NULL);
	/* RFC 2308: min(SOA TTL, SOA minimum) */
	CHECK(ab.cacheable && ab.min_ttl == 900 && ab.rcode == DNS_NXDOMAIN);
	/* SERVFAIL is not an answer */
	m[3] = (m[3] & 0xf0) | DNS_SERVFAIL;
	CHECK(dns_resp_parse(m, w.len, &resp) == NULL);
	CHECK(ans_from_resp(&resp, &ab) != NULL);
	/* NXDOMAIN without SOA: not cached */
	m[3] = (m[3] & 0xf0) | DNS_NXDOMAIN;
	m[9] = 0;
	CHECK(dns_resp_parse(m, 12 + 16 + 4, &resp) == NULL);
	CHECK(ans_from_resp(&resp, &ab) == NULL && !ab.cacheable);
}

static void
test_render(void)
{
	uint8_t	 m[1500], qm[512], out[1500], pub[4] = { 1, 2, 3, 4 };
	struct dns_query q;
	size_t	 n, qn;

	n = mkresp(m, 7, pub, 600, 600);
	CHECK(dns_resp_parse(m, n, &resp) == NULL);
	CHECK(ans_from_resp(&resp, &ab) == NULL);
	qn = mkquery(qm, "WWW.example.COM", DNS_T_A, 1);
	memcpy(qm + 12, "\3WWW", 4);	/* mkquery lowercases */
	CHECK(dns_query_parse(qm, qn, &q) == DNS_Q_OK);
	n = ans_render(ab.msg, ab.len, ab.ttl_offs, ab.nttl, 100, 0, qm, &q,
	    out, ans_udp_max(&q));
	CHECK(n == ab.len + 11);
	CHECK(dns_get16(out) == 0x1234 && (dns_get16(out + 2) & DNS_QR));
	CHECK(memcmp(out + 12, "\3WWW", 4) == 0);	/* client's spelling */
	CHECK(dns_resp_parse(out, n, &resp) == NULL && resp.edns);
	CHECK(resp.rr[0].ttl == 200 && resp.rr[1].ttl == 500);
	/* serve stale: TTL 30 everywhere */
	n = ans_render(ab.msg, ab.len, ab.ttl_offs, ab.nttl, 5000, 30, qm, &q,
	    out, 1500);
	CHECK(dns_resp_parse(out, n, &resp) == NULL && resp.rr[2].ttl == 30);
	/* does not fit: TC, question only */
	n = ans_render(ab.msg, ab.len, ab.ttl_offs, ab.nttl, 0, 0, qm, &q,
	    out, 50);
	CHECK(n > 0 && n <= 50 && (dns_get16(out + 2) & DNS_TC) &&
	    dns_get16(out + 6) == 0);
}

static void
test_writer(void)
{
	uint8_t	 buf[16], n1[DNS_MAX_NAME];
	struct dns_writer w;

	dns_name_from_str("abcdefghij.example", n1);
	dns_w_init(&w, buf, sizeof(buf));
	dns_w_name(&w, n1, 1);
	CHECK(w.overflow);
	CHECK(dns_build_query(buf, sizeof(buf), 1, n1, 1, 1) == 0);
}

int
main(void)
{
	test_names();
	test_name_limits();
	test_query();
	test_resp();
	test_negative();
	test_render();
	test_writer();
	return check_result();
}
