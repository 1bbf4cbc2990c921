/*
 * Protocols without ports (GRE, ESP, ...): address-only translation, one
 * LAN device per protocol at a time, its entry at the index of its
 * protocol number in the shared region; and ICMP errors about them.
 */
#include "nat_impl.h"

/*
 * The live owner of proto, or NULL. Ownership lasts while the device
 * keeps sending (refreshed outbound only, so nobody outside can keep a
 * protocol taken).
 */
struct nat_other *
other_find(struct nat *n, uint8_t proto)
{
	struct nat_other *o = &n->other[proto];

	if (!(o->flags & OTHER_USED) || age(n, o->last_out) >= n->cf.to.other)
		return NULL;
	return o;
}

/*
 * src takes proto. The used flag goes last: a natd killed half-way leaves
 * the entry free, never half one device's and half another's.
 */
static struct nat_other *
other_take(struct nat *n, uint8_t proto, uint32_t src)
{
	struct nat_other *o = &n->other[proto];
	uint32_t	 client = client_from_lan(n, src);

	if (client == 0)
		return NULL;
	o->flags = 0;
	o->lan_ip = src;
	o->remote = 0;
	o->client = client;
	o->last_out = o->last_seen = n->now;
	o->proto = proto;
	o->flags = OTHER_USED;
	return o;
}

/* The summary of a translated packet: no ports, no mapping. */
static void
other_result(struct nat_result *res, const struct pk *p, uint8_t dir,
    uint32_t lan_ip, uint32_t remote_ip)
{
	res->dir = dir;
	res->proto = p->proto;
	res->lan_ip = lan_ip;
	res->remote_ip = remote_ip;
	res->modified = 1;
}

int
other_out(struct nat *n, struct pk *p, struct nat_result *res)
{
	struct nat_other *o;
	uint32_t	 osrc = p->src;

	if (!other_ok(p->proto)) {
		n->st.unsupported++;
		return 0;
	}
	if ((o = other_find(n, p->proto)) != NULL && o->lan_ip != p->src) {
		n->st.other_busy++;
		return 0;
	}
	if (o == NULL && (o = other_take(n, p->proto, p->src)) == NULL)
		return 0;
	o->remote = p->dst;
	o->last_out = o->last_seen = n->now;
	set_addr(p, p->ip + 12, n->cf.wan);
	if (p->frag)
		frag_note(n, p, osrc, p->dst, n->cf.wan, 1);
	count(n, o->client, 1, p->len);
	other_result(res, p, NAT_DIR_UP, osrc, p->dst);
	n->st.other_out++;
	return 1;
}

int
other_in(struct nat *n, struct pk *p, struct nat_result *res)
{
	struct nat_other *o;
	uint32_t	 odst = p->dst;

	if ((o = other_find(n, p->proto)) == NULL) {
		n->st.no_mapping++;
		return 0;
	}
	if (o->remote != p->src) {
		n->st.filtered++;
		return 0;
	}
	o->last_seen = n->now;
	set_addr(p, p->ip + 16, o->lan_ip);
	if (p->frag)
		frag_note(n, p, p->src, odst, o->lan_ip, 0);
	count(n, o->client, 0, p->len);
	other_result(res, p, NAT_DIR_DOWN, o->lan_ip, p->src);
	n->st.other_in++;
	return 1;
}

/*
 * An error from the internet about an address-only packet we sent: to
 * the protocol's owner, when it is about a packet to the owner's remote
 * (the only one its replies come from).
 */
int
other_error_in(struct nat *n, struct pk *p, struct inner *in,
    struct nat_result *res)
{
	struct nat_other *o;

	if ((o = other_find(n, in->proto)) == NULL) {
		n->st.no_mapping++;
		return 0;
	}
	if (ld32raw(in->ip + 16) != o->remote) {
		n->st.filtered++;
		return 0;
	}
	p->csum = NULL;		/* the outer ICMP checksum is done below */
	set_addr(p, p->ip + 16, o->lan_ip);
	inner_rewrite(p, in, 12, -1, o->lan_ip, 0);
	o->last_seen = n->now;
	count(n, o->client, 0, p->len);
	other_result(res, p, NAT_DIR_DOWN, o->lan_ip, p->src);
	n->st.icmp_errors++;
	return 1;
}

/* An error from the owner of an address-only protocol about a reply. */
int
other_error_out(struct nat *n, struct pk *p, struct inner *in,
    struct nat_result *res)
{
	struct nat_other *o;

	if ((o = other_find(n, in->proto)) == NULL || o->lan_ip != p->src) {
		n->st.no_mapping++;
		return 0;
	}
	p->csum = NULL;
	set_addr(p, p->ip + 12, n->cf.wan);
	inner_rewrite(p, in, 16, -1, n->cf.wan, 0);
	count(n, o->client, 1, p->len);
	other_result(res, p, NAT_DIR_UP, o->lan_ip, p->dst);
	n->st.icmp_errors++;
	return 1;
}
