/*
 * Translation: endpoint-independent mapping (RFC 4787 REQ-1, RFC 5382
 * REQ-1), filtering per protocol, hairpinning, forged sources; the
 * directions and nat_packet(), which sends each packet to one of them by
 * its hook and side.
 */
#include "nat_impl.h"

/* LAN -> WAN, at FORWARD: the source becomes the WAN address. */
static int
nat_out(struct nat *n, struct pk *p, struct nat_result *res)
{
	struct nat_map	*m;
	uint32_t	 mi, client, osrc = p->src;
	uint16_t	 rport = p->dport;

	if (p->proto == IPPROTO_ICMP) {
		if (icmp_is_error(p->icmp_type))
			return icmp_error_out(n, p, res);
		if (p->icmp_type != 8) {
			n->st.unsupported++;
			return 0;
		}
		rport = 0;
	}
	if ((mi = map_get_out(n, p, &client)) == 0)
		return 0;
	m = &n->maps[mi - 1];
	m->remote_ip = p->dst;
	m->remote_port = rport;
	if (p->proto != IPPROTO_ICMP)
		sess_out(n, mi, p, p->dst, rport);
	set_addr(p, p->ip + 12, n->cf.wan);
	set_port(p, p->sp, m->wan_port);
	finish_csum(n, p);
	if (p->frag)
		frag_note(n, p, osrc, p->dst, n->cf.wan, 1);
	count(n, client, 1, p->len);
	result(res, m, p, NAT_DIR_UP, p->dst, rport);
	res->modified = 1;
	n->st.out_packets++;
	n->st.out_bytes += p->len;
	return 1;
}

/* WAN -> LAN, at PREROUTING: the destination becomes the device. */
static int
nat_in(struct nat *n, struct pk *p, struct nat_result *res)
{
	struct nat_map	*m;
	uint32_t	 mi, odst = p->dst;
	uint16_t	 rport = p->sport;
	int		 pi = pidx(p->proto);

	if (pi < 0) {
		n->st.unsupported++;
		return 0;
	}
	if (p->proto == IPPROTO_ICMP) {
		if (icmp_is_error(p->icmp_type))
			return icmp_error_in(n, p, res);
		if (p->icmp_type == 8) {
			/* A ping of the router itself. */
			n->st.local_accepted++;
			return 1;
		}
		if (p->icmp_type != 0) {
			n->st.unsupported++;
			return 0;
		}
		rport = 0;
	} else if (is_local_port(n, p->dport)) {
		n->st.local_accepted++;
		return 1;
	}
	if ((mi = *rev_slot(n, pi, p->dport)) == 0) {
		n->st.no_mapping++;
		return 0;
	}
	m = &n->maps[mi - 1];
	if (p->proto != IPPROTO_ICMP && !filter_in(n, mi, p, p->src, rport)) {
		n->st.filtered++;
		return 0;
	}
	m->last_seen = n->now;
	set_addr(p, p->ip + 16, m->lan_ip);
	set_port(p, p->dp, m->lan_port);
	finish_csum(n, p);
	if (p->frag)
		frag_note(n, p, p->src, odst, m->lan_ip, 0);
	count(n, m->client, 0, p->len);
	result(res, m, p, NAT_DIR_DOWN, p->src, rport);
	res->modified = 1;
	n->st.in_packets++;
	n->st.in_bytes += p->len;
	return 1;
}

/*
 * Hairpin, first half (REQ-9): a LAN device A sends to the WAN address,
 * at PREROUTING. The destination becomes the device B behind the mapped
 * port, before routing; the source is rewritten in the second half, at
 * FORWARD, since a local source address before routing is a martian.
 */
static int
hairpin_pre(struct nat *n, struct pk *p, struct nat_result *res)
{
	struct nat_map	*b, *a;
	uint32_t	 bi, ai, client;
	int		 pi = pidx(p->proto);

	if (pi < 0 || p->proto == IPPROTO_ICMP || is_local_port(n, p->dport) ||
	    (bi = *rev_slot(n, pi, p->dport)) == 0) {
		/* For the router itself: the kernel answers. */
		n->st.local_accepted++;
		return 1;
	}
	if ((ai = map_get_out(n, p, &client)) == 0)
		return 0;
	a = &n->maps[ai - 1];
	if (!filter_in(n, bi, p, n->cf.wan, a->wan_port)) {
		n->st.filtered++;
		return 0;
	}
	b = &n->maps[bi - 1];
	b->last_seen = n->now;
	set_addr(p, p->ip + 16, b->lan_ip);
	set_port(p, p->dp, b->lan_port);
	finish_csum(n, p);
	count(n, b->client, 0, p->len);
	res->modified = 1;
	n->st.hairpin++;
	return 1;
}

/* Hairpin, second half: at FORWARD, LAN to LAN. */
static int
hairpin_fwd(struct nat *n, struct pk *p, struct nat_result *res)
{
	struct nat_map	*a, *b;
	uint32_t	 ai, bi, client;

	if (p->proto == IPPROTO_ICMP || pidx(p->proto) < 0 ||
	    (bi = map_find(n, p->proto, p->dst, p->dport)) == 0) {
		/* Routed LAN to LAN but not hairpinned: nothing to do. */
		return 1;
	}
	if ((ai = map_get_out(n, p, &client)) == 0)
		return 0;
	a = &n->maps[ai - 1];
	b = &n->maps[bi - 1];
	sess_out(n, ai, p, n->cf.wan, b->wan_port);
	set_addr(p, p->ip + 12, n->cf.wan);
	set_port(p, p->sp, a->wan_port);
	finish_csum(n, p);
	count(n, client, 1, p->len);
	res->modified = 1;
	return 1;
}

/*
 * At PREROUTING from the LAN (queued only when addressed to a local
 * address other than the LAN interface's): hairpin through the WAN
 * address, or the router's own business.
 */
static int
pre_lan(struct nat *n, struct pk *p, int r, uint32_t skbinfo,
    struct nat_result *res)
{
	if (!in_lan(n, p->src) || p->src == n->cf.lan_addr) {
		n->st.spoofed++;
		return 0;
	}
	if (n->cf.wan == 0 || p->dst != n->cf.wan) {
		/* To another local address. */
		n->st.local_accepted++;
		return 1;
	}
	if (r == 1)
		return frag_later(n, p, 0, res);
	if (pidx(p->proto) < 0) {
		/* Another protocol to the WAN address: the router's own. */
		n->st.local_accepted++;
		return 1;
	}
	if (parse_l4(p, skbinfo) == -1) {
		n->st.malformed++;
		return 0;
	}
	return hairpin_pre(n, p, res);
}

static int
translate(struct nat *n, uint8_t *pkt, size_t len, uint32_t id, int hook,
    uint32_t skbinfo, struct nat_result *res)
{
	struct pk	 p;
	int		 r;

	memset(res, 0, sizeof(*res));
	if ((r = parse_ip(&p, pkt, len)) == -1) {
		n->st.malformed++;
		return 0;
	}
	p.id = id;
	if (hook == NAT_HOOK_FORWARD) {
		if (!in_lan(n, p.src) || p.src == n->cf.lan_addr) {
			n->st.spoofed++;
			return 0;
		}
		if (n->cf.wan == 0) {
			n->st.no_wan++;
			return 0;
		}
		if (r == 1)
			return in_lan(n, p.dst) ? 1 : frag_later(n, &p, 1, res);
		if (pidx(p.proto) < 0) {
			/* LAN to LAN, routed: nothing to translate. */
			if (in_lan(n, p.dst))
				return 1;
			return other_out(n, &p, res);
		}
		if (parse_l4(&p, skbinfo) == -1) {
			n->st.malformed++;
			return 0;
		}
		if (in_lan(n, p.dst))
			return hairpin_fwd(n, &p, res);
		return nat_out(n, &p, res);
	}
	if (hook == NAT_HOOK_PRE_LAN)
		return pre_lan(n, &p, r, skbinfo, res);
	if (hook != NAT_HOOK_PRE) {
		n->st.unsupported++;
		return 0;
	}
	/* From the WAN: a LAN source or our own is forged. Hairpin traffic
	 * has the same addresses but comes from the LAN side. */
	if (in_lan(n, p.src) || (n->cf.wan != 0 && p.src == n->cf.wan)) {
		n->st.spoofed_wan++;
		return 0;
	}
	if (n->cf.wan == 0 || p.dst != n->cf.wan) {
		if (n->cf.wan == 0)
			n->st.no_wan++;
		else
			n->st.not_for_wan++;
		return 0;
	}
	if (r == 1)
		return frag_later(n, &p, 0, res);
	if (pidx(p.proto) < 0)
		return other_in(n, &p, res);
	if (parse_l4(&p, skbinfo) == -1) {
		n->st.malformed++;
		return 0;
	}
	return nat_in(n, &p, res);
}

void
nat_frame_mac(struct nat *n, const uint8_t *mac)
{
	n->mac = mac;
}

/*
 * translate(), and the device it counted the packet to. The frame's MAC
 * counts only for a packet from the LAN: from the WAN it is the
 * upstream router's.
 */
int
nat_packet(struct nat *n, uint8_t *pkt, size_t len, uint32_t id, int hook,
    uint32_t skbinfo, struct nat_result *res)
{
	int	 r;

	n->last_client = 0;
	if (hook == NAT_HOOK_PRE)
		n->mac = NULL;
	r = translate(n, pkt, len, id, hook, skbinfo, res);
	res->client = r == 1 ? n->last_client : 0;
	n->mac = NULL;
	return r;
}
