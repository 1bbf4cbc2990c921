/*
 * Port forwards: which may be, and the table made to match the set.
 */
#include <stdio.h>

#include "nat_impl.h"

const char *
nat_forward_check(const struct nat *n, const struct nat_forward *f)
{
	static char	 why[128];
	uint32_t	 host, mask = ntohl(n->cf.lan_mask);

	if (f->proto != IPPROTO_TCP && f->proto != IPPROTO_UDP)
		return "the protocol must be tcp or udp";
	if (f->wan_port == 0 || f->port == 0)
		return "ports are 1 to 65535";
	if (f->wan_port == 53 || f->wan_port == 67 ||
	    (n->cf.web_port != 0 && f->wan_port == n->cf.web_port)) {
		snprintf(why, sizeof(why), "WAN port %u is served by the "
		    "router itself (%s)", f->wan_port, f->wan_port == 53 ?
		    "DNS" : f->wan_port == 67 ? "DHCP" : "the web dashboard");
		return why;
	}
	if (is_local_port(n, f->wan_port)) {
		snprintf(why, sizeof(why), "WAN port %u is in the router's "
		    "local port range %u-%u", f->wan_port, n->cf.local_min,
		    n->cf.local_max);
		return why;
	}
	if (!in_lan(n, f->ip))
		return "the address is not on the LAN";
	host = ntohl(f->ip) & ~mask;
	if (f->ip == n->cf.lan_addr || host == 0 || host == (~mask))
		return "the address is the router's, the network's or the "
		    "broadcast address";
	return NULL;
}

int
nat_forwards_apply(struct nat *n, const struct nat_forward *f, int nf,
    char *err, size_t errlen)
{
	const char	*why;
	uint32_t	 i, slot, k;
	int		 j, pi;

	if (nf > NAT_MAX_FORWARDS) {
		snprintf(err, errlen, "more than %d forwards", NAT_MAX_FORWARDS);
		return -1;
	}
	for (j = 0; j < nf; j++) {
		if ((why = nat_forward_check(n, &f[j])) != NULL) {
			snprintf(err, errlen, "%s %u: %s", f[j].proto ==
			    IPPROTO_TCP ? "tcp" : "udp", f[j].wan_port, why);
			return -1;
		}
		for (k = 0; k < (uint32_t)j; k++) {
			if (f[k].proto != f[j].proto)
				continue;
			if (f[k].wan_port == f[j].wan_port) {
				snprintf(err, errlen, "WAN port %u is "
				    "forwarded twice", f[j].wan_port);
				return -1;
			}
			if (f[k].ip == f[j].ip && f[k].port == f[j].port) {
				snprintf(err, errlen, "one LAN endpoint "
				    "cannot take WAN ports %u and %u",
				    f[k].wan_port, f[j].wan_port);
				return -1;
			}
		}
	}
	memcpy(n->fwd, f, (size_t)nf * sizeof(*f));
	n->nfwd = nf;
	/* A forward gone may leave its port free: ports to scan. */
	memset(n->ports_full, 0, sizeof(n->ports_full));
	/* Forward mappings no longer wanted go. */
	for (i = 0; i < n->hdr->map_hi; i++) {
		struct nat_map *m = &n->maps[i];

		if ((m->flags & (MAP_USED | MAP_FORWARD)) !=
		    (MAP_USED | MAP_FORWARD))
			continue;
		for (j = 0; j < nf; j++)
			if (f[j].proto == m->proto &&
			    f[j].wan_port == m->wan_port &&
			    f[j].ip == m->lan_ip && f[j].port == m->lan_port)
				break;
		if (j == nf)
			map_free(n, i + 1);
	}
	for (j = 0; j < nf; j++) {
		pi = pidx(f[j].proto);
		slot = *rev_slot(n, pi, f[j].wan_port);
		if (slot != 0 && (n->maps[slot - 1].flags & MAP_FORWARD))
			continue;	/* already there */
		/* A dynamic mapping on the port or of the endpoint yields. */
		if (slot != 0)
			map_free(n, slot);
		if ((i = map_find(n, f[j].proto, f[j].ip, f[j].port)) != 0)
			map_free(n, i);
		if (map_insert(n, f[j].proto, f[j].ip, f[j].port,
		    f[j].wan_port, MAP_FORWARD, client_get(n, f[j].ip)) ==
		    0) {
			snprintf(err, errlen, "the mapping table is full");
			return -1;
		}
	}
	return 0;
}
