/*
 * Local names (local.h): the router, static leases and DHCP clients under
 * the local domain, their PTRs, and the zones we answer NXDOMAIN for.
 */
#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "local.h"
#include "util.h"

/* in-addr.arpa. in wire form */
static const uint8_t in_addr_arpa[] = "\7in-addr\4arpa";
#define IN_ADDR_ARPA_LEN	14
static const uint8_t localhost[] = "\11localhost";
#define LOCALHOST_LEN		11

/* RFC 6303 4.2-4.4: reverse zones of addresses never used on the
 * internet, as (first octets, count). */
static const struct {
	uint8_t	 o[2];
	int	 n;
	int	 range;		/* second octet up to o[1] + range */
} private_rev[] = {
	{ { 0, 0 }, 1, 0 },
	{ { 10, 0 }, 1, 0 },
	{ { 127, 0 }, 1, 0 },
	{ { 169, 254 }, 2, 0 },
	{ { 172, 16 }, 2, 15 },
	{ { 192, 168 }, 2, 0 },
};

void
local_init(struct local_zone *z)
{
	zero_lazily(z, sizeof(*z));
}

int
local_label_ok(const char *label)
{
	size_t	 n = strlen(label), i;

	if (n == 0 || n > DNS_MAX_LABEL || label[0] == '-' ||
	    label[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)label[i]) && label[i] != '-')
			return 0;
	return 1;
}

static struct local_host *
find_label(struct local_zone *z, const char *label, size_t len, uint32_t now)
{
	int	 i;

	for (i = 0; i < z->nhosts; i++) {
		struct local_host *h = &z->hosts[i];

		if (h->len == len && memcmp(h->label, label, len) == 0 &&
		    (h->expiry == 0 || now == 0 || h->expiry > now))
			return h;
	}
	return NULL;
}

static void
host_clear(struct local_zone *z, struct local_host *h)
{
	h->len = 0;
	while (z->nhosts > 0 && z->hosts[z->nhosts - 1].len == 0)
		z->nhosts--;
}

int
local_add(struct local_zone *z, enum local_kind kind, const char *label,
    struct in_addr ip, uint32_t expiry, const char **why)
{
	struct local_host *h, *slot = NULL;
	char	 lower[DNS_MAX_LABEL + 1];
	size_t	 n, i;
	int	 k;

	if (!local_label_ok(label)) {
		*why = "not a valid hostname label";
		return -1;
	}
	/* dhcpd refuses these too; a compromised dhcpd must not get them. */
	if (kind == LOCAL_DHCP && name_reserved(label)) {
		*why = "reserved name";
		return -1;
	}
	n = strlen(label);
	for (i = 0; i <= n; i++)
		lower[i] = (char)tolower((unsigned char)label[i]);
	if ((h = find_label(z, lower, n, 0)) != NULL) {
		if (h->kind != LOCAL_DHCP) {
			*why = "name taken by the router or a static lease";
			return -1;
		}
		host_clear(z, h);	/* the name moves to this address */
	}
	if (kind == LOCAL_DHCP)
		local_del(z, ip);
	for (k = 0; k < z->nhosts && slot == NULL; k++)
		if (z->hosts[k].len == 0)
			slot = &z->hosts[k];
	if (slot == NULL) {
		if (z->nhosts == LOCAL_MAX_HOSTS) {
			*why = "name table full";
			return -1;
		}
		slot = &z->hosts[z->nhosts++];
	}
	slot->ip = ip;
	slot->expiry = kind == LOCAL_DHCP ? expiry : 0;
	slot->kind = (uint8_t)kind;
	slot->len = (uint8_t)n;
	memcpy(slot->label, lower, n + 1);
	return 0;
}

int
local_del(struct local_zone *z, struct in_addr ip)
{
	int	 i, found = -1;

	for (i = 0; i < z->nhosts; i++)
		if (z->hosts[i].len != 0 && z->hosts[i].kind == LOCAL_DHCP &&
		    z->hosts[i].ip.s_addr == ip.s_addr) {
			host_clear(z, &z->hosts[i]);
			found = 0;
		}
	return found;
}

void
local_expire(struct local_zone *z, uint32_t now)
{
	int	 i;

	for (i = 0; i < z->nhosts; i++)
		if (z->hosts[i].len != 0 && z->hosts[i].expiry != 0 &&
		    z->hosts[i].expiry <= now)
			host_clear(z, &z->hosts[i]);
}

int
local_configure(struct local_zone *z, const char *domain,
    struct in_addr lan_addr, int prefix)
{
	const char *why;
	int	 n, i;

	if ((n = dns_name_from_str(domain, z->domain)) < 0 || n == 1)
		return -1;
	z->domainlen = (size_t)n;
	z->lan_addr = lan_addr;
	z->lan_prefix = prefix < 0 ? 0 : prefix > 32 ? 32 : prefix;
	z->lan_mask.s_addr = z->lan_prefix == 0 ? 0 :
	    htonl(~0U << (32 - z->lan_prefix));
	z->lan_net.s_addr = lan_addr.s_addr & z->lan_mask.s_addr;
	for (i = 0; i < z->nhosts; i++)
		if (z->hosts[i].len != 0 && z->hosts[i].kind != LOCAL_DHCP)
			host_clear(z, &z->hosts[i]);
	z->configured = 1;
	return local_add(z, LOCAL_ROUTER, LOCAL_ROUTER_NAME, lan_addr, 0,
	    &why);
}

/* ---- answering ---- */

struct reply {
	struct dns_writer w;
	const uint8_t	*qmsg;
	const struct dns_query *q;
	uint16_t	 an, ns;
};

static void
reply_start(struct reply *r, uint8_t *out, size_t max, const uint8_t *qmsg,
    const struct dns_query *q)
{
	r->qmsg = qmsg;
	r->q = q;
	r->an = r->ns = 0;
	dns_w_init(&r->w, out, max);
	dns_w_u16(&r->w, q->id);
	dns_w_u16(&r->w, 0);
	dns_w_u16(&r->w, 1);
	dns_w_u32(&r->w, 0);
	dns_w_u16(&r->w, q->edns ? 1 : 0);
	dns_w_name(&r->w, q->qname, 0);
	dns_w_u16(&r->w, q->qtype);
	dns_w_u16(&r->w, q->qclass);
}

static size_t
reply_end(struct reply *r, int rcode)
{
	const struct dns_query *q = r->q;
	uint8_t	*out = r->w.buf;

	if (q->edns)
		dns_w_opt(&r->w, 0);
	if (r->w.overflow)
		return dns_reply_short(r->w.buf, r->w.cap, r->qmsg, q, 1,
		    rcode, DNS_TC);
	dns_put16(out + 2, DNS_QR | DNS_AA | DNS_RA |
	    (q->flags & (DNS_RD | DNS_CD)) | (uint16_t)rcode);
	dns_put16(out + 6, r->an);
	dns_put16(out + 8, r->ns);
	if (q->qname_raw)
		memcpy(out + DNS_HDR_LEN, r->qmsg + q->qname_off, q->qnamelen);
	return r->w.len;
}

/* name.<domain> in wire form */
static size_t
host_name(const struct local_zone *z, const char *label, uint8_t *out)
{
	size_t	 n = strlen(label);

	out[0] = (uint8_t)n;
	memcpy(out + 1, label, n);
	memcpy(out + 1 + n, z->domain, z->domainlen);
	return 1 + n + z->domainlen;
}

static void
add_soa(struct reply *r, const struct local_zone *z, const uint8_t *zone)
{
	uint8_t	 rd[2 * DNS_MAX_NAME + 20 + 64];
	size_t	 n;

	/* mname: the router; rname: hostmaster.<domain>; then the
	 * timers, minimum = our TTL (RFC 2308 negative TTL). */
	n = host_name(z, LOCAL_ROUTER_NAME, rd);
	if (n + z->domainlen + 11 + 20 > sizeof(rd))
		return;
	n += host_name(z, "hostmaster", rd + n);
	dns_put32(rd + n, 1);
	dns_put32(rd + n + 4, 3600);
	dns_put32(rd + n + 8, 600);
	dns_put32(rd + n + 12, 86400);
	dns_put32(rd + n + 16, LOCAL_TTL);
	n += 20;
	dns_w_rr(&r->w, zone, DNS_T_SOA, DNS_C_IN, LOCAL_TTL, rd,
	    (uint16_t)n);
	r->ns++;
}

static void
add_a(struct reply *r, const uint8_t *owner, struct in_addr ip)
{
	dns_w_rr(&r->w, owner, DNS_T_A, DNS_C_IN, LOCAL_TTL,
	    (const uint8_t *)&ip.s_addr, 4);
	r->an++;
}

static size_t
negative(struct reply *r, const struct local_zone *z, const uint8_t *zone,
    int rcode)
{
	add_soa(r, z, zone);
	return reply_end(r, rcode);
}

static const struct local_host *
host_by_label(const struct local_zone *z, const uint8_t *label, size_t n,
    uint32_t now)
{
	return find_label((struct local_zone *)z, (const char *)label, n,
	    now);
}

static const struct local_host *
host_by_ip(const struct local_zone *z, struct in_addr ip, uint32_t now)
{
	int	 i;

	for (i = 0; i < z->nhosts; i++) {
		const struct local_host *h = &z->hosts[i];

		if (h->len != 0 && h->ip.s_addr == ip.s_addr &&
		    (h->expiry == 0 || h->expiry > now))
			return h;
	}
	return NULL;
}

static size_t
answer_domain(const struct local_zone *z, const struct dns_query *q,
    struct reply *r, uint32_t now)
{
	const struct local_host *h;
	uint8_t	 rd[DNS_MAX_NAME + 64];

	if (q->qnamelen == z->domainlen) {
		if (q->qtype == DNS_T_SOA || q->qtype == DNS_T_ANY) {
			add_soa(r, z, z->domain);
			r->an = r->ns;
			r->ns = 0;
			return reply_end(r, DNS_NOERROR);
		}
		if (q->qtype == DNS_T_NS) {
			host_name(z, LOCAL_ROUTER_NAME, rd);
			dns_w_rr(&r->w, z->domain, DNS_T_NS, DNS_C_IN,
			    LOCAL_TTL, rd, (uint16_t)dns_name_len(rd));
			r->an++;
			return reply_end(r, DNS_NOERROR);
		}
		return negative(r, z, z->domain, DNS_NOERROR);
	}
	/* exactly one label above the domain */
	if ((size_t)q->qname[0] + 1 + z->domainlen != q->qnamelen ||
	    (h = host_by_label(z, q->qname + 1, q->qname[0], now)) == NULL)
		return negative(r, z, z->domain, DNS_NXDOMAIN);
	if (q->qtype == DNS_T_A || q->qtype == DNS_T_ANY) {
		add_a(r, q->qname, h->ip);
		return reply_end(r, DNS_NOERROR);
	}
	return negative(r, z, z->domain, DNS_NOERROR);
}

/*
 * The octets of a name under in-addr.arpa, first octet first. Returns
 * their count (0..4), or -1 when a label is not an octet or too many.
 */
static int
rev_octets(const struct dns_query *q, uint8_t o[4])
{
	const uint8_t *p = q->qname;
	size_t	 end = q->qnamelen - IN_ADDR_ARPA_LEN;
	uint8_t	 tmp[4];
	int	 n = 0, i, v;
	size_t	 j;

	while ((size_t)(p - q->qname) < end) {
		if (n == 4 || *p == 0 || *p > 3)
			return -1;
		for (v = 0, j = 1; j <= *p; j++) {
			if (!isdigit(p[j]))
				return -1;
			v = v * 10 + (p[j] - '0');
		}
		if (v > 255 || (*p > 1 && p[1] == '0'))
			return -1;
		tmp[n++] = (uint8_t)v;
		p += 1 + *p;
	}
	for (i = 0; i < n; i++)
		o[i] = tmp[n - 1 - i];
	return n;
}

/* The reverse zone name of the first n octets, into out. */
static size_t
rev_zone_build(const uint8_t o[4], int n, uint8_t *out)
{
	size_t	 len = 0;
	int	 i, w;

	for (i = n - 1; i >= 0; i--) {
		w = snprintf((char *)out + len + 1, 4, "%u", o[i]);
		out[len] = (uint8_t)w;
		len += 1 + (size_t)w;
	}
	memcpy(out + len, in_addr_arpa, IN_ADDR_ARPA_LEN);
	return len + IN_ADDR_ARPA_LEN;
}

/* Octets of a private reverse zone holding o[0..n), or 0. */
static int
private_zone(const uint8_t o[4], int n)
{
	size_t	 i;

	for (i = 0; i < sizeof(private_rev) / sizeof(private_rev[0]); i++) {
		if (n < private_rev[i].n || o[0] != private_rev[i].o[0])
			continue;
		if (private_rev[i].n == 2 && (o[1] < private_rev[i].o[1] ||
		    o[1] > private_rev[i].o[1] + private_rev[i].range))
			continue;
		return private_rev[i].n;
	}
	return 0;
}

static enum local_result
answer_reverse(const struct local_zone *z, const struct dns_query *q,
    struct reply *r, uint32_t now, size_t *outlen)
{
	const struct local_host *h;
	uint8_t	 o[4] = { 0 }, zone[DNS_MAX_NAME], rd[DNS_MAX_NAME];
	uint32_t addr, mask;
	struct in_addr ip;
	int	 n, zo, lan_octets;

	if ((n = rev_octets(q, o)) < 0 || n == 0)
		return LOCAL_NOT_OURS;
	addr = (uint32_t)o[0] << 24 | (uint32_t)o[1] << 16 |
	    (uint32_t)o[2] << 8 | o[3];
	/* does some LAN address start with these n octets? */
	mask = n == 4 ? ~0U : ~0U << (32 - 8 * n);
	if (z->lan_prefix < 8 * n)
		mask = z->lan_prefix == 0 ? 0 : ~0U << (32 - z->lan_prefix);
	lan_octets = z->lan_prefix / 8 ? z->lan_prefix / 8 : 1;
	if (z->lan_prefix > 0 &&
	    (addr & mask) == (ntohl(z->lan_net.s_addr) & mask)) {
		zo = n < lan_octets ? n : lan_octets;
		rev_zone_build(o, zo, zone);
		if (n < 4)
			*outlen = negative(r, z, zone, DNS_NOERROR);
		else {
			ip.s_addr = htonl(addr);
			if ((h = host_by_ip(z, ip, now)) == NULL)
				*outlen = negative(r, z, zone, DNS_NXDOMAIN);
			else if (q->qtype == DNS_T_PTR ||
			    q->qtype == DNS_T_ANY) {
				host_name(z, h->label, rd);
				dns_w_rr(&r->w, q->qname, DNS_T_PTR, DNS_C_IN,
				    LOCAL_TTL, rd, (uint16_t)dns_name_len(rd));
				r->an++;
				*outlen = reply_end(r, DNS_NOERROR);
			} else
				*outlen = negative(r, z, zone, DNS_NOERROR);
		}
		return LOCAL_ANSWERED;
	}
	if ((zo = private_zone(o, n)) == 0)
		return LOCAL_NOT_OURS;
	rev_zone_build(o, zo, zone);
	*outlen = negative(r, z, zone, n == zo ? DNS_NOERROR : DNS_NXDOMAIN);
	return LOCAL_ANSWERED;
}

static size_t
answer_localhost(const struct dns_query *q, struct reply *r)
{
	static const uint8_t v6[16] = { [15] = 1 };
	static const uint8_t v4[4] = { 127, 0, 0, 1 };

	if (q->qtype == DNS_T_A || q->qtype == DNS_T_ANY) {
		dns_w_rr(&r->w, q->qname, DNS_T_A, DNS_C_IN, LOCAL_TTL, v4, 4);
		r->an++;
	}
	if (q->qtype == DNS_T_AAAA || q->qtype == DNS_T_ANY) {
		dns_w_rr(&r->w, q->qname, DNS_T_AAAA, DNS_C_IN, LOCAL_TTL, v6,
		    16);
		r->an++;
	}
	return reply_end(r, DNS_NOERROR);
}

enum local_result
local_answer(const struct local_zone *z, const uint8_t *qmsg,
    const struct dns_query *q, uint32_t now, uint8_t *out, size_t max,
    size_t *outlen)
{
	struct reply r;

	if (!z->configured || q->qclass != DNS_C_IN)
		return LOCAL_NOT_OURS;
	if (dns_name_under(q->qname, q->qnamelen, localhost, LOCALHOST_LEN)) {
		reply_start(&r, out, max, qmsg, q);
		*outlen = answer_localhost(q, &r);
		return LOCAL_ANSWERED;
	}
	if (dns_name_under(q->qname, q->qnamelen, z->domain, z->domainlen)) {
		reply_start(&r, out, max, qmsg, q);
		*outlen = answer_domain(z, q, &r, now);
		return LOCAL_ANSWERED;
	}
	if (q->qnamelen > IN_ADDR_ARPA_LEN && dns_name_under(q->qname,
	    q->qnamelen, in_addr_arpa, IN_ADDR_ARPA_LEN)) {
		reply_start(&r, out, max, qmsg, q);
		return answer_reverse(z, q, &r, now, outlen);
	}
	return LOCAL_NOT_OURS;
}
