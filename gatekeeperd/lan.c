/*
 * Choosing and configuring the LAN. Autodetection fills only what the
 * config leaves blank; setup records every change in struct lan_state so
 * teardown removes what we added and nothing the admin had before.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "netcfg.h"

/* Enough for a container host's veths; autodetect reads them all. */
#define LAN_MAX_LINKS	4096

static const char *
ntoa(struct in_addr a, char *buf, size_t len)
{
	return inet_ntop(AF_INET, &a, buf, len);
}

static int
autodetect_wan(struct gk_config *conf)
{
	if (conf->wan[0] != '\0')
		return 0;
	if (netcfg_default_route_dev(conf->wan) == -1) {
		if (errno == ENOENT)
			log_warnx("no IPv4 default route: cannot choose the "
			    "WAN; set \"wan\" in the config");
		else
			log_warn("reading the default route");
		return -1;
	}
	log_info("wan %s (interface of the default route)", conf->wan);
	return 0;
}

/* A LAN candidate: a free port nobody else is using. */
static int
lan_candidate(const struct netcfg_link *l, const char *wan)
{
	if (l->loopback || l->master != 0 || l->has_ipv4 ||
	    strcmp(l->name, wan) == 0)
		return 0;
	if (strcmp(l->name, LAN_BRIDGE_NAME) == 0) {
		log_warnx("%s exists, probably left by an earlier run; remove "
		    "it with \"ip link del %s\"", LAN_BRIDGE_NAME,
		    LAN_BRIDGE_NAME);
		return 0;
	}
	return 1;
}

static int
autodetect_lan(struct gk_config *conf)
{
	struct netcfg_link	*links;
	char			 list[CONF_MAX_LAN * (IF_NAMESIZE + 1)];
	int			 i, n;

	if (conf->nlan > 0)
		return 0;
	list[0] = '\0';
	if ((links = calloc(LAN_MAX_LINKS, sizeof(*links))) == NULL) {
		log_warn("autodetect");
		return -1;
	}
	if (netcfg_list_links(links, LAN_MAX_LINKS, &n) == -1 &&
	    errno != ENOBUFS) {
		log_warn("listing links");
		free(links);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (!lan_candidate(&links[i], conf->wan))
			continue;
		if (conf->nlan == CONF_MAX_LAN) {
			log_warnx("more than %d free links; %s not used as "
			    "LAN", CONF_MAX_LAN, links[i].name);
			continue;
		}
		strlcpy(conf->lan[conf->nlan++], links[i].name, IF_NAMESIZE);
		if (list[0] != '\0')
			strlcat(list, " ", sizeof(list));
		strlcat(list, links[i].name, sizeof(list));
	}
	free(links);
	if (conf->nlan == 0) {
		log_warnx("no free interface for the LAN (one with no IPv4 "
		    "address, not the WAN %s); set \"lan\" in the config",
		    conf->wan);
		return -1;
	}
	if (conf->nlan > 1)
		log_info("lan %s (bridged as %s)", list, LAN_BRIDGE_NAME);
	else
		log_info("lan %s (the only free interface)", list);
	return 0;
}

/* Candidate n of 10.42.0.1/24 ... 10.255.0.1/24, 192.168.42.1/24. */
static int
lan_addr_candidate(int n, struct in_addr *a)
{
	if (n <= 255 - 42) {
		a->s_addr = htonl(0x0a000001U | (uint32_t)(42 + n) << 16);
		return 0;
	}
	if (n == 255 - 42 + 1) {
		a->s_addr = htonl(0xc0a82a01U);
		return 0;
	}
	return -1;
}

static int
autodetect_addr(struct gk_config *conf)
{
	char		 abuf[INET_ADDRSTRLEN];
	struct in_addr	 a;
	int		 n, r;

	if (conf->lan_addr.s_addr != 0)
		return 0;
	/* A single port that already has an address keeps it. */
	if (conf->nlan == 1 && netcfg_addr_get(conf->lan[0], &conf->lan_addr,
	    &conf->lan_prefix) == 0) {
		log_info("lan-address %s/%d (already on %s)",
		    ntoa(conf->lan_addr, abuf, sizeof(abuf)),
		    conf->lan_prefix, conf->lan[0]);
		return 0;
	}
	for (n = 0; lan_addr_candidate(n, &a) == 0; n++) {
		if ((r = netcfg_subnet_in_use(a, 24)) == -1) {
			log_warn("reading addresses");
			return -1;
		}
		if (r == 0) {
			conf->lan_addr = a;
			conf->lan_prefix = 24;
			log_info("lan-address %s/24 (first free private "
			    "subnet)", ntoa(a, abuf, sizeof(abuf)));
			return 0;
		}
	}
	log_warnx("no free private /24 for the LAN; set \"lan-address\" in "
	    "the config");
	return -1;
}

/*
 * .100 to .250 in a /24 or wider, the upper half of the hosts in a
 * narrower subnet, never including the router's own address.
 */
static int
dhcp_range(struct in_addr addr, int prefix, uint32_t *start, uint32_t *end)
{
	uint32_t	 self = ntohl(addr.s_addr), net, size;

	if (prefix < 8 || prefix > 30)
		return -1;
	size = 1U << (32 - prefix);
	net = self & ~(size - 1);
	if (prefix <= 24) {
		*start = net + 100;
		*end = net + 250;
	} else {
		*start = net + size / 2;
		*end = net + size - 2;
	}
	if (self >= *start && self <= *end) {
		if (self - *start > *end - self)
			*end = self - 1;
		else
			*start = self + 1;
	}
	return *start <= *end ? 0 : -1;
}

static int
autodetect_dhcp(struct gk_config *conf)
{
	char		 sbuf[INET_ADDRSTRLEN], ebuf[INET_ADDRSTRLEN];
	uint32_t	 start, end;

	if (conf->dhcp_start.s_addr != 0)
		return 0;
	if (dhcp_range(conf->lan_addr, conf->lan_prefix, &start, &end) == -1) {
		log_warnx("lan-address prefix /%d leaves no room for a DHCP "
		    "range; set \"dhcp-range\" in the config",
		    conf->lan_prefix);
		return -1;
	}
	conf->dhcp_start.s_addr = htonl(start);
	conf->dhcp_end.s_addr = htonl(end);
	log_info("dhcp-range %s %s",
	    ntoa(conf->dhcp_start, sbuf, sizeof(sbuf)),
	    ntoa(conf->dhcp_end, ebuf, sizeof(ebuf)));
	return 0;
}

int
lan_autodetect(struct gk_config *conf)
{
	if (autodetect_wan(conf) == -1 || autodetect_lan(conf) == -1 ||
	    autodetect_addr(conf) == -1 || autodetect_dhcp(conf) == -1)
		return -1;
	return 0;
}

/* ---- setup and teardown ---- */

static int
setup_bridge(const struct gk_config *conf, struct lan_state *st)
{
	struct netcfg_link	 l;
	int			 i;

	strlcpy(st->ifname, LAN_BRIDGE_NAME, sizeof(st->ifname));
	if (netcfg_bridge_create(LAN_BRIDGE_NAME) == -1) {
		if (errno == EEXIST)
			log_warnx("%s already exists, probably left by an "
			    "earlier run; remove it with \"ip link del %s\"",
			    LAN_BRIDGE_NAME, LAN_BRIDGE_NAME);
		else
			log_warn("creating bridge %s", LAN_BRIDGE_NAME);
		return -1;
	}
	st->created_bridge = 1;
	for (i = 0; i < conf->nlan; i++) {
		strlcpy(st->port[i], conf->lan[i], IF_NAMESIZE);
		st->nports = i + 1;
		if (netcfg_link_get(st->port[i], &l) == -1) {
			log_warn("LAN port %s", st->port[i]);
			return -1;
		}
		/* Stealing a port from another bridge or bond breaks it. */
		if (l.master != 0) {
			log_warnx("LAN port %s is already part of another "
			    "interface", st->port[i]);
			return -1;
		}
		if (netcfg_link_set_master(st->port[i],
		    LAN_BRIDGE_NAME) == -1) {
			log_warn("adding %s to %s", st->port[i],
			    LAN_BRIDGE_NAME);
			return -1;
		}
		st->port_enslaved[i] = 1;
		if (!l.up) {
			if (netcfg_link_set_up(st->port[i], 1) == -1) {
				log_warn("bringing %s up", st->port[i]);
				return -1;
			}
			st->port_brought_up[i] = 1;
		}
	}
	log_info("bridge %s created with %d ports", LAN_BRIDGE_NAME,
	    conf->nlan);
	return 0;
}

static int
setup_addr(struct lan_state *st)
{
	char	 abuf[INET_ADDRSTRLEN];
	int	 r;

	ntoa(st->addr, abuf, sizeof(abuf));
	if ((r = netcfg_addr_has(st->ifname, st->addr, st->prefix)) == -1) {
		log_warn("reading addresses of %s", st->ifname);
		return -1;
	}
	if (r == 1)
		return 0;
	if (netcfg_addr_add(st->ifname, st->addr, st->prefix) == -1) {
		log_warn("adding %s/%d to %s", abuf, st->prefix, st->ifname);
		return -1;
	}
	st->added_addr = 1;
	log_info("%s: added %s/%d", st->ifname, abuf, st->prefix);
	return 0;
}

static int
setup_up(struct lan_state *st)
{
	struct netcfg_link	 l;

	if (netcfg_link_get(st->ifname, &l) == -1) {
		log_warn("LAN %s", st->ifname);
		return -1;
	}
	if (l.up)
		return 0;
	if (netcfg_link_set_up(st->ifname, 1) == -1) {
		log_warn("bringing %s up", st->ifname);
		return -1;
	}
	st->brought_up = 1;
	return 0;
}

int
lan_setup(const struct gk_config *conf, struct lan_state *st)
{
	memset(st, 0, sizeof(*st));
	st->addr = conf->lan_addr;
	st->prefix = conf->lan_prefix;
	if (conf->nlan < 1 || conf->nlan > CONF_MAX_LAN) {
		log_warnx("no LAN interface configured");
		return -1;
	}
	if (conf->lan_addr.s_addr == 0) {
		log_warnx("no LAN address configured");
		return -1;
	}
	if (conf->nlan > 1) {
		if (setup_bridge(conf, st) == -1)
			goto fail;
	} else
		strlcpy(st->ifname, conf->lan[0], sizeof(st->ifname));
	if (setup_addr(st) == -1 || setup_up(st) == -1)
		goto fail;
	return 0;
fail:
	lan_teardown(st);
	return -1;
}

/* Undo steps may find the link already gone: that is not an error. */
static void
undo_warn(const char *what, const char *name)
{
	if (errno != ENODEV && errno != ENXIO)
		log_warn("%s %s", what, name);
}

void
lan_teardown(struct lan_state *st)
{
	int	 i;

	if (st->added_addr && netcfg_addr_del(st->ifname, st->addr,
	    st->prefix) == -1 && errno != EADDRNOTAVAIL)
		undo_warn("removing the LAN address from", st->ifname);
	if (st->brought_up && netcfg_link_set_up(st->ifname, 0) == -1)
		undo_warn("bringing down", st->ifname);
	for (i = st->nports - 1; i >= 0; i--) {
		if (st->port_brought_up[i] &&
		    netcfg_link_set_up(st->port[i], 0) == -1)
			undo_warn("bringing down", st->port[i]);
		if (st->port_enslaved[i] &&
		    netcfg_link_set_master(st->port[i], NULL) == -1)
			undo_warn("releasing", st->port[i]);
	}
	if (st->created_bridge && netcfg_link_delete(st->ifname) == -1)
		undo_warn("deleting bridge", st->ifname);
	/* Teardown twice (error path, then exit) must not undo twice. */
	st->added_addr = st->brought_up = st->created_bridge = 0;
	st->nports = 0;
}
