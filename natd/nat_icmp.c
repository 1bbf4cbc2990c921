/*
 * ICMP errors (RFC 5508): the outer address and the quoted packet's
 * address, port or echo id, its IP checksum and, when quoted, its
 * transport checksum are translated; the ICMP checksum follows by the
 * difference (RFC 1624), so a corrupt message stays corrupt. Errors
 * about address-only protocols are nat_other.c's.
 */
#include "nat_impl.h"

static int
parse_inner(struct pk *p, struct inner *in)
{
	size_t		 len;

	if (p->l4len < 8 + 20)
		return -1;
	in->ip = p->l4 + 8;
	len = p->l4len - 8;
	if ((in->ip[0] >> 4) != 4)
		return -1;
	in->hlen = (size_t)(in->ip[0] & 0xf) * 4;
	if (in->hlen < 20 || in->hlen + 8 > len)
		return -1;
	if (ld16(in->ip + 6) & IP_OFFMASK)
		return -1;
	in->l4 = in->ip + in->hlen;
	in->avail = len - in->hlen;
	in->proto = in->ip[9];
	if (in->proto == IPPROTO_ICMP) {
		/* Errors about echoes only, never about errors. */
		if (in->l4[0] != 8 && in->l4[0] != 0)
			return -1;
	} else if (pidx(in->proto) < 0 && !other_ok(in->proto))
		return -1;
	return 0;
}

static uint16_t
fold16(uint32_t s)
{
	return (uint16_t)~csum_fold(s);
}

/* The embedded transport checksum field, when it was quoted. */
static uint8_t *
inner_csum(struct inner *in)
{
	switch (in->proto) {
	case IPPROTO_TCP:
		return in->avail >= 18 ? in->l4 + 16 : NULL;
	case IPPROTO_UDP:
		return ld16raw(in->l4 + 6) != 0 ? in->l4 + 6 : NULL;
	case IPPROTO_ICMP:
		return in->l4 + 2;
	default:
		/* Address-only: GRE's and AH's do not cover the addresses,
		 * ESP has none. */
		return NULL;
	}
}

/*
 * Rewrites the embedded packet's address at aoff (12 src, 16 dst) and
 * its port (or echo id) at poff (-1: none, an address-only protocol),
 * with the embedded checksums, then the ICMP checksum by the difference
 * of the quoted bytes (RFC 1624, so a corrupt message stays corrupt).
 */
void
inner_rewrite(struct pk *p, struct inner *in, int aoff, int poff,
    uint32_t addr, uint16_t port)
{
	uint8_t		*ic = inner_csum(in);
	size_t		 span = p->l4len - 8;
	uint32_t	 before, after, old = ld32raw(in->ip + aoff);
	uint16_t	 oldp = 0, newp = 0;
	uint16_t	 c;

	before = fold16(csum_partial(in->ip, span, 0));
	memcpy(in->ip + aoff, &addr, 4);
	st16raw(in->ip + 10, csum_update32(ld16raw(in->ip + 10), old, addr));
	if (poff >= 0) {
		oldp = ld16raw(in->l4 + poff);
		newp = htons(port);
		st16raw(in->l4 + poff, newp);
	}
	if (ic != NULL) {
		c = ld16raw(ic);
		if (in->proto != IPPROTO_ICMP)
			c = csum_update32(c, old, addr);
		c = csum_update16(c, oldp, newp);
		if (c == 0 && in->proto == IPPROTO_UDP)
			c = 0xffff;
		st16raw(ic, c);
	}
	after = fold16(csum_partial(in->ip, span, 0));
	c = csum_update16(ld16raw(p->l4 + 2), (uint16_t)before,
	    (uint16_t)after);
	st16raw(p->l4 + 2, c);
}

/*
 * Whether the packet an inbound error quotes (sent from the WAN through
 * mapping mi) went where the mapping has been: to a session's address
 * and port, or for an echo, to the address it pings. Else anyone who
 * guesses a WAN port could reach the device with errors.
 */
static int
error_in_matches(struct nat *n, uint32_t mi, const struct inner *in)
{
	const struct nat_map *m = &n->maps[mi - 1];
	uint32_t	 dst = ld32raw(in->ip + 16);

	if (in->proto == IPPROTO_ICMP)
		return dst == m->remote_ip;
	return sess_find(n, mi, dst, ld16(in->l4 + 2), 0) != 0;
}

/* An error from the internet about a packet we sent from the WAN. */
int
icmp_error_in(struct nat *n, struct pk *p, struct nat_result *res)
{
	struct inner	 in;
	struct nat_map	*m;
	uint16_t	 wport;
	uint32_t	 mi;
	int		 pi;

	if (parse_inner(p, &in) == -1 || ld32raw(in.ip + 12) != n->cf.wan) {
		n->st.malformed++;
		return 0;
	}
	if (pidx(in.proto) < 0)
		return other_error_in(n, p, &in, res);
	wport = in.proto == IPPROTO_ICMP ? ld16(in.l4 + 4) : ld16(in.l4);
	if (in.proto != IPPROTO_ICMP && is_local_port(n, wport)) {
		n->st.local_accepted++;
		return 1;
	}
	pi = pidx(in.proto);
	if ((mi = *rev_slot(n, pi, wport)) == 0 ||
	    !error_in_matches(n, mi, &in)) {
		n->st.icmp_unmatched++;
		return 0;
	}
	m = &n->maps[mi - 1];
	p->csum = NULL;		/* the outer ICMP checksum is done below */
	set_addr(p, p->ip + 16, m->lan_ip);
	inner_rewrite(p, &in, 12, in.proto == IPPROTO_ICMP ? 4 : 0,
	    m->lan_ip, m->lan_port);
	m->last_seen = n->now;
	count(n, m->client, 0, p->len);
	result(res, m, p, NAT_DIR_DOWN, p->src, 0);
	res->modified = 1;
	n->st.icmp_errors++;
	return 1;
}

/*
 * Whether the packet an outbound error quotes (received from outside
 * through mapping mi) could have come in: the error goes back to its
 * sender, and under address(-and-port)-dependent filtering that sender
 * is one the mapping let in. Else a device could aim errors that seem to
 * come from the router at any host, about any of its WAN ports.
 */
static int
error_out_matches(struct nat *n, uint32_t mi, const struct pk *p,
    const struct inner *in)
{
	const struct nat_map *m = &n->maps[mi - 1];
	uint32_t	 from = ld32raw(in->ip + 12);
	int		 mode;

	if (from != p->dst)
		return 0;
	mode = in->proto == IPPROTO_TCP ? n->cf.filter_tcp : n->cf.filter_udp;
	if ((m->flags & MAP_FORWARD) || mode == NAT_EIF)
		return 1;
	return sess_find(n, mi, from, ld16(in->l4), mode == NAT_ADF) != 0;
}

/* An error from a LAN device about a packet it got from outside. */
int
icmp_error_out(struct nat *n, struct pk *p, struct nat_result *res)
{
	struct inner	 in;
	struct nat_map	*m;
	uint32_t	 mi;

	if (parse_inner(p, &in) == -1 || ld32raw(in.ip + 16) != p->src) {
		n->st.malformed++;
		return 0;
	}
	if (in.proto == IPPROTO_ICMP) {
		n->st.unsupported++;
		return 0;
	}
	if (pidx(in.proto) < 0)
		return other_error_out(n, p, &in, res);
	mi = map_find(n, in.proto, p->src, ld16(in.l4 + 2));
	if (mi == 0 || !error_out_matches(n, mi, p, &in)) {
		/* RFC 5508 REQ-4: no mapping, silently dropped. */
		n->st.icmp_unmatched++;
		return 0;
	}
	m = &n->maps[mi - 1];
	p->csum = NULL;
	set_addr(p, p->ip + 12, n->cf.wan);
	inner_rewrite(p, &in, 16, 2, n->cf.wan, m->wan_port);
	count(n, m->client, 1, p->len);
	result(res, m, p, NAT_DIR_UP, p->dst, 0);
	res->modified = 1;
	n->st.icmp_errors++;
	return 1;
}
