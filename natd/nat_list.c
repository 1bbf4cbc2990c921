/*
 * Listings and counts for gkctl and status.
 */
#include "nat_impl.h"

uint32_t
nat_map_foreach(struct nat *n, void (*fn)(const struct nat_map_info *, void *),
    void *arg)
{
	struct nat_map_info mi;
	const struct nat_map *m;
	const struct nat_other *o;
	uint32_t	 i, c = 0;

	for (i = 0; i < n->hdr->map_hi; i++) {
		m = &n->maps[i];
		if (!(m->flags & MAP_USED))
			continue;
		memset(&mi, 0, sizeof(mi));
		mi.proto = m->proto;
		mi.forward = (m->flags & MAP_FORWARD) != 0;
		mi.lan_ip = m->lan_ip;
		mi.lan_port = m->lan_port;
		mi.wan_port = m->wan_port;
		mi.remote_ip = m->remote_ip;
		mi.remote_port = m->remote_port;
		mi.idle = age(n, m->last_seen);
		mi.sessions = m->nsess;
		fn(&mi, arg);
		c++;
	}
	for (i = 0; i < NAT_OTHER; i++) {
		if ((o = other_find(n, (uint8_t)i)) == NULL)
			continue;
		memset(&mi, 0, sizeof(mi));
		mi.proto = o->proto;
		mi.addr_only = 1;
		mi.lan_ip = o->lan_ip;
		mi.remote_ip = o->remote;
		mi.idle = age(n, o->last_seen);
		fn(&mi, arg);
		c++;
	}
	return c;
}

uint32_t
nat_client_foreach(struct nat *n,
    void (*fn)(const struct nat_client_info *, void *), void *arg)
{
	struct nat_client_info ci;
	const struct nat_client *c;
	uint32_t	 i;

	for (i = 0; i < n->hdr->nclients; i++) {
		c = &n->clients[i];
		if (!c->used)
			continue;
		ci.ip = c->ip;
		ci.bytes_up = c->bytes_up;
		ci.bytes_down = c->bytes_down;
		ci.packets_up = c->pkts_up;
		ci.packets_down = c->pkts_down;
		ci.maps = c->nmaps;
		ci.idx = i;
		fn(&ci, arg);
	}
	return n->nclients_live;
}

uint32_t
nat_live_maps(const struct nat *n)
{
	return n->hdr->nmaps;
}

uint32_t
nat_clients(const struct nat *n)
{
	return n->nclients_live;
}

uint32_t
nat_live_sessions(const struct nat *n)
{
	return n->hdr->nsess;
}

uint32_t
nat_live_others(const struct nat *n)
{
	uint32_t	 i, c = 0;

	for (i = 0; i < NAT_OTHER; i++)
		c += (n->other[i].flags & OTHER_USED) &&
		    age(n, n->other[i].last_out) < n->cf.to.other;
	return c;
}

int
nat_lookup_wan(struct nat *n, uint8_t proto, uint16_t wan_port,
    struct nat_map_info *out)
{
	int		 pi = pidx(proto);
	uint32_t	 i;
	const struct nat_map *m;

	if (pi < 0 || (i = *rev_slot(n, pi, wan_port)) == 0)
		return 0;
	m = &n->maps[i - 1];
	memset(out, 0, sizeof(*out));
	out->proto = m->proto;
	out->forward = (m->flags & MAP_FORWARD) != 0;
	out->lan_ip = m->lan_ip;
	out->lan_port = m->lan_port;
	out->wan_port = m->wan_port;
	out->remote_ip = m->remote_ip;
	out->remote_port = m->remote_port;
	out->idle = age(n, m->last_seen);
	out->sessions = m->nsess;
	return 1;
}

int
nat_client_learn(struct nat *n, uint32_t client, const uint8_t mac[6])
{
	if (client == 0 || client > n->hdr->nclients ||
	    !n->clients[client - 1].used)
		return 0;
	return client_bind(n, client, mac);
}

uint32_t
nat_client_find(struct nat *n, uint32_t ip)
{
	return client_find(n, ip);
}

int
nat_client_mac(const struct nat *n, uint32_t client, uint8_t mac[6])
{
	const struct nat_client *c;

	if (client == 0 || client > n->hdr->nclients)
		return 0;
	c = &n->clients[client - 1];
	if (!c->used || !c->has_mac)
		return 0;
	memcpy(mac, c->mac, sizeof(c->mac));
	return 1;
}
