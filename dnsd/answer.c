/*
 * Answers: what we keep of an upstream response, how a stored answer
 * becomes a client's reply, and the rebinding check. See answer.h.
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "answer.h"
#include "cache.h"

static uint32_t
clamp(uint32_t v, uint32_t lo, uint32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* The smallest TTL among the records of rr's RRset in the same section. */
static uint32_t
rrset_ttl(const struct dns_resp *r, const struct dns_rr *rr)
{
	uint32_t ttl = rr->ttl;
	int	 i;

	for (i = 0; i < r->nrr; i++) {
		const struct dns_rr *o = &r->rr[i];

		if (o->section == rr->section && o->type == rr->type &&
		    o->class == rr->class && o->namelen == rr->namelen &&
		    memcmp(o->name, rr->name, rr->namelen) == 0 &&
		    o->ttl < ttl)
			ttl = o->ttl;
	}
	return ttl;
}

static void
put_ttl(struct ans_build *b, size_t off, uint32_t ttl)
{
	if (off == 0 || b->nttl >= DNS_MAX_RR)
		return;
	b->ttl_offs[b->nttl++] = (uint16_t)off;
	if (ttl < b->min_ttl)
		b->min_ttl = ttl;
}

const char *
ans_from_resp(const struct dns_resp *r, struct ans_build *b)
{
	struct dns_writer w;
	const struct dns_rr *rr, *soa = NULL;
	uint32_t	 ttl, soamin;
	uint16_t	 an = 0, ns = 0;
	int		 i, have_qtype = 0;
	size_t		 off;

	if (r->rcode != DNS_NOERROR && r->rcode != DNS_NXDOMAIN)
		return "upstream rcode not NOERROR or NXDOMAIN";
	b->nttl = 0;
	b->min_ttl = UINT32_MAX;
	b->rcode = r->rcode;
	b->cacheable = 1;
	dns_w_init(&w, b->msg, sizeof(b->msg));
	dns_w_u16(&w, 0);
	dns_w_u16(&w, DNS_QR | DNS_RD | DNS_RA | (uint16_t)r->rcode);
	dns_w_u16(&w, 1);
	dns_w_u32(&w, 0);	/* an, ns: filled in below */
	dns_w_u16(&w, 0);
	dns_w_name(&w, r->qname, 0);
	dns_w_u16(&w, r->qtype);
	dns_w_u16(&w, r->qclass);
	for (i = 0; i < r->nrr; i++) {
		rr = &r->rr[i];
		if (rr->section == DNS_S_NS && rr->type == DNS_T_SOA &&
		    soa == NULL)
			soa = rr;
		if (rr->section != DNS_S_AN || rr->class != r->qclass)
			continue;
		if (rr->type == r->qtype || r->qtype == DNS_T_ANY)
			have_qtype = 1;
		ttl = clamp(rrset_ttl(r, rr), CACHE_TTL_MIN, CACHE_TTL_MAX);
		off = dns_w_rr(&w, rr->name, rr->type, rr->class, ttl,
		    rr->rdata, rr->rdlen);
		put_ttl(b, off, ttl);
		an++;
	}
	/* A negative answer keeps its SOA: RFC 2308 5 wants it sent back,
	 * with the negative TTL, whenever the answer comes from the cache. */
	if ((r->rcode == DNS_NXDOMAIN || !have_qtype) && soa != NULL) {
		soamin = dns_get32(soa->rdata + soa->rdlen - 4);
		ttl = soa->ttl < soamin ? soa->ttl : soamin;
		ttl = clamp(ttl, CACHE_TTL_MIN, CACHE_NEG_TTL_MAX);
		off = dns_w_rr(&w, soa->name, soa->type, soa->class, ttl,
		    soa->rdata, soa->rdlen);
		put_ttl(b, off, ttl);
		ns++;
	} else if (r->rcode == DNS_NXDOMAIN || !have_qtype) {
		/* RFC 2308 5: no SOA, no negative caching. */
		if (an == 0)
			b->cacheable = 0;
	}
	if (w.overflow)
		return "answer too large";
	if (b->min_ttl == UINT32_MAX)
		b->cacheable = 0;
	dns_put16(b->msg + 6, an);
	dns_put16(b->msg + 8, ns);
	b->len = w.len;
	return NULL;
}

size_t
ans_udp_max(const struct dns_query *q)
{
	if (!q->edns)
		return DNS_MAX_UDP;
	return q->edns_size < DNS_EDNS_SIZE ? q->edns_size : DNS_EDNS_SIZE;
}

size_t
ans_render(const uint8_t *stored, size_t len, const uint16_t *ttl_offs,
    int nttl, uint32_t elapsed, uint32_t stale_ttl, const uint8_t *qmsg,
    const struct dns_query *q, uint8_t *out, size_t max)
{
	size_t	 need = len + (q->edns ? 11 : 0);
	uint16_t flags;
	uint32_t t;
	int	 i;

	if (need > max)
		return dns_reply_short(out, max, qmsg, q, 1,
		    dns_get16(stored + 2) & DNS_RCODE_MASK, DNS_TC);
	memcpy(out, stored, len);
	dns_put16(out, q->id);
	flags = DNS_QR | DNS_RA | (q->flags & (DNS_RD | DNS_CD)) |
	    (dns_get16(stored + 2) & DNS_RCODE_MASK);
	dns_put16(out + 2, flags);
	if (q->qname_raw)
		memcpy(out + DNS_HDR_LEN, qmsg + q->qname_off, q->qnamelen);
	for (i = 0; i < nttl; i++) {
		if ((size_t)ttl_offs[i] + 4 > len)
			continue;
		t = dns_get32(out + ttl_offs[i]);
		if (stale_ttl)
			t = stale_ttl;
		else
			t = t > elapsed ? t - elapsed : 0;
		dns_put32(out + ttl_offs[i], t);
	}
	if (q->edns) {
		uint8_t	*o = out + len;

		o[0] = 0;
		dns_put16(o + 1, DNS_T_OPT);
		dns_put16(o + 3, DNS_EDNS_SIZE);
		dns_put32(o + 5, 0);
		dns_put16(o + 9, 0);
		dns_put16(out + 10, dns_get16(out + 10) + 1);
	}
	return need;
}

int
rebind_private4(const struct rebind_policy *p, const uint8_t *a)
{
	uint32_t x = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 |
	    (uint32_t)a[2] << 8 | a[3];
	struct in_addr in;

	memcpy(&in.s_addr, a, 4);
	if ((in.s_addr & p->lan_mask.s_addr) == p->lan_net.s_addr &&
	    p->lan_mask.s_addr != 0)
		return 1;
	return (x >> 24) == 0 ||		/* 0.0.0.0/8 */
	    (x >> 24) == 10 ||			/* 10/8 */
	    (x >> 24) == 127 ||			/* loopback */
	    (x >> 22) == (100U << 2 | 1) ||	/* 100.64/10, CGNAT */
	    (x >> 16) == (169U << 8 | 254) ||	/* link-local */
	    (x >> 20) == (172U << 4 | 1) ||	/* 172.16/12 */
	    (x >> 16) == (192U << 8 | 168);	/* 192.168/16 */
}

int
rebind_private6(const struct rebind_policy *p, const uint8_t *a)
{
	static const uint8_t zero[15];
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (memcmp(a, zero, 15) == 0 && (a[15] == 0 || a[15] == 1))
		return 1;			/* :: and ::1 */
	if ((a[0] & 0xfe) == 0xfc)		/* fc00::/7 */
		return 1;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)	/* fe80::/10 */
		return 1;
	if (memcmp(a, mapped, 12) == 0)
		return rebind_private4(p, a + 12);
	return 0;
}

int
rebind_allow(struct rebind_policy *p, const char *domain)
{
	int	 n;

	if (p->nallow >= REBIND_ALLOW_MAX ||
	    (n = dns_name_from_str(domain, p->allow[p->nallow])) < 0)
		return -1;
	p->allowlen[p->nallow++] = (uint8_t)n;
	return 0;
}

int
rebind_check(const struct rebind_policy *p, const struct dns_resp *r)
{
	const struct dns_rr *rr;
	int	 i;

	if (!p->enabled)
		return 0;
	for (i = 0; i < p->nallow; i++)
		if (dns_name_under(r->qname, r->qnamelen, p->allow[i],
		    p->allowlen[i]))
			return 0;
	for (i = 0; i < r->nrr; i++) {
		rr = &r->rr[i];
		if (rr->section != DNS_S_AN || rr->class != DNS_C_IN)
			continue;
		if (rr->type == DNS_T_A && rebind_private4(p, rr->rdata))
			return 1;
		if (rr->type == DNS_T_AAAA && rebind_private6(p, rr->rdata))
			return 1;
	}
	return 0;
}

/* Steps over a name in place (a pointer ends it) without reading it:
 * the log only needs the records' types and data. */
static int
name_skip(const uint8_t *msg, size_t len, size_t *off)
{
	size_t	 o = *off;
	int	 labels;

	for (labels = 0; labels < 128 && o < len; labels++) {
		if ((msg[o] & 0xc0) == 0xc0) {
			*off = o + 2;
			return *off <= len ? 0 : -1;
		}
		if (msg[o] & 0xc0)
			return -1;
		if (msg[o] == 0) {
			*off = o + 1;
			return 0;
		}
		o += 1 + (size_t)msg[o];
	}
	return -1;
}

int
ans_addrs(const uint8_t *msg, size_t len, uint8_t *af, uint8_t (*addr)[16],
    uint32_t *ttl, int max)
{
	size_t	 off = DNS_HDR_LEN;
	uint16_t an, i, type, rdlen;
	uint32_t t;
	int	 n = 0;

	if (len < DNS_HDR_LEN || dns_get16(msg + 4) != 1)
		return 0;
	an = dns_get16(msg + 6);
	if (name_skip(msg, len, &off) < 0 || (off += 4) > len)
		return 0;
	for (i = 0; i < an && n < max; i++) {
		if (name_skip(msg, len, &off) < 0 || off + 10 > len)
			break;
		type = dns_get16(msg + off);
		t = dns_get32(msg + off + 4);
		rdlen = dns_get16(msg + off + 8);
		off += 10;
		if (off + rdlen > len)
			break;
		if (type == DNS_T_A && rdlen == 4) {
			af[n] = AF_INET;
			memcpy(addr[n], msg + off, 4);
		} else if (type == DNS_T_AAAA && rdlen == 16) {
			af[n] = AF_INET6;
			memcpy(addr[n], msg + off, 16);
		} else {
			off += rdlen;
			continue;
		}
		if (ttl != NULL)
			ttl[n] = t;
		n++;
		off += rdlen;
	}
	return n;
}
