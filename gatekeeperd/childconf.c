/*
 * The configuration given to the children: the parsed file plus what
 * the parent finds at run time (LAN link, its index and MAC, WAN
 * address, the kernel's local port range, upstreams from
 * /etc/resolv.conf, which the chrooted dnsd cannot read), built afresh
 * for each child's hello and sent again to every running child after a
 * SIGHUP that changed something.
 *
 * The upstreams are watched too (every UPSTREAMS_POLL_S): without
 * `upstream` they are /etc/resolv.conf's, which the host's DHCP client
 * on the WAN rewrites when its lease brings other nameservers. Each poll
 * reads them once; dnsd's output rule (rules.c) follows that list first,
 * and dnsd gets only a list the rule allows (given_up below).
 */
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "chan.h"
#include "gatekeeperd.h"
#include "log.h"
#include "util.h"

#define UPSTREAMS_POLL_S	2
#define RESOLV_CONF		"/etc/resolv.conf"

/*
 * The upstreams dnsd gets: the config's, else the nameservers of
 * /etc/resolv.conf (IPv4 ones; a loopback stub such as
 * systemd-resolved's is useless to dnsd in its chroot, so it is
 * skipped). Read here because dnsd cannot see /etc. A resolv.conf that
 * is missing or names none keeps the last ones it named: a DHCP client
 * that rewrites it in place leaves it empty for a moment. Returns how
 * many.
 */
static int
upstreams_read(struct in_addr up[CONF_MAX_UPSTREAM])
{
	static char		 text[64 * 1024];
	static struct in_addr	 last[CONF_MAX_UPSTREAM];
	static int		 nlast;
	size_t			 len;
	int			 n = 0;

	if (gk->conf.nupstream > 0) {
		memcpy(up, gk->conf.upstream,
		    (size_t)gk->conf.nupstream * sizeof(up[0]));
		return gk->conf.nupstream;
	}
	/* Often a symlink (resolvconf, systemd-resolved, NetworkManager). */
	if (file_read_follow(RESOLV_CONF, text, sizeof(text), &len) == 0)
		n = resolv_conf_parse(text, len, up, CONF_MAX_UPSTREAM);
	if (n == 0) {
		memcpy(up, last, sizeof(last));
		return nlast;
	}
	memcpy(last, up, (size_t)n * sizeof(up[0]));
	nlast = n;
	return n;
}

/* What dnsd may send to with upstreams up: -1 when no dnsd user. */
static int
dnsout_want(struct dnsout *d, const struct in_addr *up, int n)
{
	struct child	*c = proc_by_name("dnsd");

	/* Never a rule on root's packets. */
	if (c == NULL || c->uid == 0)
		return -1;
	dnsout_build(d, (uint32_t)c->uid, gk->conf.lan_addr,
	    gk->conf.lan_prefix, up, n);
	return 0;
}

int
childconf_dnsout(struct dnsout *d)
{
	struct in_addr	 up[CONF_MAX_UPSTREAM];
	int		 n = upstreams_read(up);

	return dnsout_want(d, up, n);
}

/*
 * The upstreams dnsd is given: the last list read that the output rule
 * allows (or any, when no rule is loaded). -1 until the first poll.
 */
static struct in_addr	 given_up[CONF_MAX_UPSTREAM];
static int		 given_nup = -1;

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
	/* Never read here: a list read now might not be in the rule yet. */
	mc->conf.nupstream = given_nup > 0 ? given_nup : 0;
	memcpy(mc->conf.upstream, given_up, sizeof(given_up));
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

/* ---- the upstreams, followed ---- */

static struct event	*ev_upstreams;

/*
 * One read of the upstreams, then the rule, so dnsd never asks a server
 * it may not reach yet: a rule that could not follow (the kernel refused
 * the batch; retried at the next poll) keeps dnsd on the list it has.
 * Then, when tell is set and the list changed, dnsd (a reload tells
 * every daemon itself).
 */
static void
upstreams_follow(int tell)
{
	struct in_addr	 up[CONF_MAX_UPSTREAM];
	struct dnsout	 want;
	struct child	*c;
	int		 n = upstreams_read(up);

	if (dnsout_want(&want, up, n) == 0 &&
	    rules_dnsout_update(&gk->rules, &want) == -1)
		return;
	if (n == given_nup &&
	    memcmp(up, given_up, (size_t)n * sizeof(up[0])) == 0)
		return;
	if (given_nup != -1 && gk->conf.nupstream == 0)
		log_info("%s: %d upstream%s now", RESOLV_CONF, n,
		    n == 1 ? "" : "s");
	memset(given_up, 0, sizeof(given_up));
	memcpy(given_up, up, (size_t)n * sizeof(up[0]));
	given_nup = n;
	if (tell && (c = proc_by_name("dnsd")) != NULL &&
	    c->state == CHILD_RUNNING)
		childconf_send(c);
}

static void
upstreams_poll(evutil_socket_t fd, short what, void *arg)
{
	upstreams_follow(1);
}

void
childconf_watch_start(void)
{
	struct timeval	 tv = { UPSTREAMS_POLL_S, 0 };

	upstreams_follow(0);
	if ((ev_upstreams = event_new(gk->base, -1, EV_PERSIST,
	    upstreams_poll, NULL)) == NULL ||
	    event_add(ev_upstreams, &tv) == -1)
		log_warnx("the upstreams will not be followed");
}

void
childconf_watch_stop(void)
{
	if (ev_upstreams != NULL)
		event_free(ev_upstreams);
	ev_upstreams = NULL;
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
	upstreams_follow(0);
	log_info("reload: configuration %u sent to the daemons",
	    gk->config_generation);
	childconf_send_all();
}
