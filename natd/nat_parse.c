/*
 * A packet parsed into the fields translation touches (struct pk), and
 * its transport checksum finished after the rewrites: incrementally
 * updated on the way (set_addr, set_port in nat_impl.h) when it came
 * complete, computed in full when it came as a seed (CSUMNOTREADY).
 */
#include "nat_impl.h"

int
parse_l4(struct pk *p, uint32_t skbinfo)
{
	uint16_t	 ulen;
	size_t		 doff;

	p->csum = NULL;
	switch (p->proto) {
	case IPPROTO_TCP:
		if (p->l4len < 20)
			return -1;
		doff = (size_t)(p->l4[12] >> 4) * 4;
		if (doff < 20 || doff > p->l4len)
			return -1;
		p->sp = p->l4;
		p->dp = p->l4 + 2;
		p->tcpflags = p->l4[13];
		p->csum = p->l4 + 16;
		break;
	case IPPROTO_UDP:
		if (p->l4len < 8)
			return -1;
		ulen = ld16(p->l4 + 4);
		if (!p->frag) {
			if (ulen < 8 || ulen > p->l4len)
				return -1;
		}
		p->sp = p->l4;
		p->dp = p->l4 + 2;
		/* Zero: sent without a checksum, and it stays so. */
		if (ld16raw(p->l4 + 6) != 0 ||
		    (skbinfo & NAT_SKB_CSUMNOTREADY))
			p->csum = p->l4 + 6;
		break;
	case IPPROTO_ICMP:
		if (p->l4len < 8)
			return -1;
		p->icmp_type = p->l4[0];
		p->sp = p->dp = p->l4 + 4;
		p->csum = p->l4 + 2;
		break;
	default:
		return 0;
	}
	p->sport = ld16(p->sp);
	p->dport = ld16(p->dp);
	/* A seed-only checksum becomes final: the kernel marks what we
	 * hand back CHECKSUM_NONE. A fragment cannot be one. */
	p->full = (skbinfo & NAT_SKB_CSUMNOTREADY) && !p->frag &&
	    p->proto != IPPROTO_ICMP;
	return 0;
}

int
parse_ip(struct pk *p, uint8_t *pkt, size_t len)
{
	size_t		 hlen, tot;
	uint16_t	 off;

	if (len < 20 || (pkt[0] >> 4) != 4)
		return -1;
	hlen = (size_t)(pkt[0] & 0xf) * 4;
	tot = ld16(pkt + 2);
	if (hlen < 20 || hlen > len || tot < hlen || tot > len)
		return -1;
	memset(p, 0, sizeof(*p));
	p->ip = pkt;
	p->hlen = hlen;
	p->len = tot;
	p->l4 = pkt + hlen;
	p->l4len = tot - hlen;
	p->proto = pkt[9];
	p->src = ld32raw(pkt + 12);
	p->dst = ld32raw(pkt + 16);
	off = ld16(pkt + 6);
	if (off & IP_OFFMASK)
		return 1;		/* a later fragment */
	p->frag = (off & IP_MF) != 0;
	return 0;
}

/* After the rewrites: the seed-only checksum made complete. */
void
finish_csum(struct nat *n, struct pk *p)
{
	size_t		 l4len = p->l4len, off;
	uint16_t	 c;

	if (p->csum == NULL)
		return;
	if (!p->full) {
		n->st.csum_incremental++;
		return;
	}
	if (p->proto == IPPROTO_UDP)
		l4len = ld16(p->l4 + 4);
	off = (size_t)(p->csum - p->l4);
	c = csum_l4(p->l4, l4len, off, ld32raw(p->ip + 12),
	    ld32raw(p->ip + 16), p->proto);
	if (c == 0 && p->proto == IPPROTO_UDP)
		c = 0xffff;
	st16raw(p->csum, c);
	n->st.csum_full++;
}
