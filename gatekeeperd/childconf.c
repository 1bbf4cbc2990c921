/*
 * The configuration given to the children: the parsed file plus what
 * the parent finds at run time (LAN link, its index and MAC, WAN
 * address, the kernel's local port range, upstreams from
 * /etc/resolv.conf, which the chrooted dnsd cannot read), built afresh
 * for each child's hello and sent again to every running child after a
 * SIGHUP that changed something.
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "gatekeeperd.h"
#include "log.h"

/*
 * Without `upstream`, the nameservers of /etc/resolv.conf (IPv4 ones; a
 * loopback stub such as systemd-resolved's is useless to dnsd in its
 * chroot, so it is skipped). Read here because dnsd cannot see /etc.
 */
static void
resolv_conf_upstreams(struct gk_config *conf)
{
	char		 line[256], addr[64];
	struct in_addr	 a;
	FILE		*f;

	if ((f = fopen("/etc/resolv.conf", "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL &&
	    conf->nupstream < CONF_MAX_UPSTREAM) {
		if (sscanf(line, " nameserver %63s", addr) != 1 ||
		    inet_pton(AF_INET, addr, &a) != 1 ||
		    (ntohl(a.s_addr) >> 24) == 127)
			continue;
		conf->upstream[conf->nupstream++] = a;
	}
	fclose(f);
}

static void
local_port_range(uint16_t *lo, uint16_t *hi)
{
	unsigned	 a = 32768, b = 60999;
	FILE		*f;

	if ((f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re")) !=
	    NULL) {
		if (fscanf(f, "%u %u", &a, &b) != 2 || a > b || b > 65535) {
			a = 32768;
			b = 60999;
		}
		fclose(f);
	}
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
}

static struct msg_config *
build_config(void)
{
	struct msg_config *mc;
	struct netcfg_link link;

	if ((mc = calloc(1, sizeof(*mc))) == NULL)
		return NULL;
	mc->conf = gk->conf;
	if (mc->conf.nupstream == 0)
		resolv_conf_upstreams(&mc->conf);
	strlcpy(mc->lan_ifname, gk->lan.ifname, sizeof(mc->lan_ifname));
	if (netcfg_link_get(gk->lan.ifname, &link) == 0) {
		memcpy(mc->lan_mac, link.mac, sizeof(mc->lan_mac));
		mc->lan_ifindex = link.index > 0 ? (uint32_t)link.index : 0;
		mc->lan_mtu = link.mtu;
	}
	if (netcfg_addr_get(gk->conf.wan, &mc->wan_addr,
	    &mc->wan_prefix) == -1) {
		mc->wan_addr.s_addr = 0;
		mc->wan_prefix = 0;
	}
	mc->generation = gk->config_generation;
	local_port_range(&mc->local_port_min, &mc->local_port_max);
	return mc;
}

void
childconf_send(struct child *c)
{
	struct msg_config *mc;

	if (c->chan == NULL || (mc = build_config()) == NULL)
		return;
	if (proto_chan_send(c->chan, MSG_CONFIG, mc, sizeof(*mc), -1) == -1)
		log_warnx("%s: cannot send the configuration", c->name);
	free(mc);
}

void
childconf_send_all(void)
{
	int	 i;

	for (i = 0; i < NCHILDREN; i++)
		if (gk->children[i].state == CHILD_RUNNING)
			childconf_send(&gk->children[i]);
}

/* What only a restart of gatekeeperd can change: interfaces, addresses,
 * directories and the sockets bound to them. */
static int
keep_fixed(struct gk_config *next, const struct gk_config *cur)
{
	int	 changed = 0;

	changed |= next->wan[0] && strcmp(next->wan, cur->wan) != 0;
	changed |= next->nlan && (next->nlan != cur->nlan ||
	    memcmp(next->lan, cur->lan, sizeof(cur->lan)) != 0);
	changed |= next->lan_addr.s_addr &&
	    (next->lan_addr.s_addr != cur->lan_addr.s_addr ||
	    next->lan_prefix != cur->lan_prefix);
	changed |= strcmp(next->state_dir, cur->state_dir) != 0;
	changed |= strcmp(next->run_dir, cur->run_dir) != 0;
	changed |= next->web_port != cur->web_port;
	changed |= next->web_tls_port != cur->web_tls_port;
	memcpy(next->wan, cur->wan, sizeof(cur->wan));
	memcpy(next->lan, cur->lan, sizeof(cur->lan));
	next->nlan = cur->nlan;
	next->lan_addr = cur->lan_addr;
	next->lan_prefix = cur->lan_prefix;
	memcpy(next->state_dir, cur->state_dir, sizeof(cur->state_dir));
	memcpy(next->run_dir, cur->run_dir, sizeof(cur->run_dir));
	next->web_port = cur->web_port;
	next->web_tls_port = cur->web_tls_port;
	return changed;
}

/*
 * SIGHUP: re-read the config. A file with errors leaves everything as it
 * is; otherwise the new settings go to the children, except what needs a
 * restart of gatekeeperd, which is reported and kept.
 */
void
childconf_reload(void)
{
	struct gk_config *next;

	if ((next = malloc(sizeof(*next))) == NULL) {
		log_warn("reload");
		return;
	}
	if (load_config(next, gk->conf_path, NULL) == -1) {
		log_warnx("reload: %s has errors; keeping the running config",
		    gk->conf_path);
		free(next);
		return;
	}
	if (keep_fixed(next, &gk->conf))
		log_warnx("reload: interfaces, addresses, ports and "
		    "directories change only with a restart of gatekeeperd");
	if (next->dhcp_start.s_addr == 0 && lan_autodetect(next) == -1) {
		free(next);
		return;
	}
	if (memcmp(next, &gk->conf, sizeof(*next)) == 0) {
		log_info("reload: %s read, nothing changed", gk->conf_path);
		free(next);
		return;
	}
	gk->conf = *next;
	free(next);
	gk->config_generation++;
	log_info("reload: configuration %u sent to the daemons",
	    gk->config_generation);
	childconf_send_all();
}
