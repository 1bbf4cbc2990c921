/*
 * What gatekeeperd changes in the network stack, and how it undoes it.
 * Every change is recorded in a struct so teardown removes exactly what
 * was added and nothing the admin had before.
 */
#ifndef GK_NETCFG_H
#define GK_NETCFG_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>

#include "conf.h"

/* ---- the WAN's health for status (wan.c, pure) ---- */

/*
 * What a status shows of the WAN: whether its link is up (administratively
 * and with a carrier) and since when, its address and since when it has
 * had it, from observations the parent makes every WAN_POLL_S.
 */
#define WAN_POLL_S	2

struct wan_health {
	int		 known;		/* observed once at least */
	int		 link;		/* up with a carrier */
	struct in_addr	 addr;		/* 0: none */
	int		 prefix;
	uint64_t	 link_since;	/* wall ms of the last change */
	uint64_t	 addr_since;
	uint64_t	 link_changes, addr_changes;
};

/* One observation at now_ms (link: up with a carrier; addr 0: none). */
void	wan_observe(struct wan_health *, int link, struct in_addr addr,
	    int prefix, uint64_t now_ms);
/* Since when the WAN has been usable (link up and an address), in wall
 * ms; 0 when it is not. */
uint64_t wan_up_since(const struct wan_health *);

/* ---- rtnetlink (netcfg.c, libmnl) ---- */

struct netcfg_link {
	char		name[IF_NAMESIZE];
	int		index;
	int		up;		/* IFF_UP */
	int		carrier;	/* IFF_LOWER_UP: a cable, a peer */
	int		loopback;
	int		has_ipv4;
	int		master;		/* ifindex of master, 0 = none */
	uint8_t		mac[6];		/* Ethernet address, 0 if none */
	uint32_t	mtu;		/* 0 if unknown */
};

/* All return 0 on success, -1 with errno set (and nothing logged). */
/* More than max links: the first max filled, *n = max, -1/ENOBUFS. */
int	netcfg_list_links(struct netcfg_link *, int max, int *n);
int	netcfg_link_get(const char *name, struct netcfg_link *);
int	netcfg_link_set_up(const char *name, int up);
int	netcfg_link_set_master(const char *name, const char *master);
int	netcfg_bridge_create(const char *name);
int	netcfg_link_delete(const char *name);
int	netcfg_addr_add(const char *name, struct in_addr, int prefix);
int	netcfg_addr_del(const char *name, struct in_addr, int prefix);
/* First IPv4 address of name; -1/ENOENT when it has none. */
int	netcfg_addr_get(const char *name, struct in_addr *, int *prefix);
/* 1 when name has exactly addr/prefix, 0 when not, -1 on error. */
int	netcfg_addr_has(const char *name, struct in_addr, int prefix);
/* Interface of the IPv4 default route; -1/ENOENT when there is none. */
int	netcfg_default_route_dev(char name[IF_NAMESIZE]);
/* Is addr/prefix overlapping any address configured on any link?
 * 1 yes, 0 no, -1 on error. */
int	netcfg_subnet_in_use(struct in_addr, int prefix);

/* ---- LAN and WAN setup (lan.c) ---- */

#define LAN_BRIDGE_NAME	"gkbr0"

struct lan_state {
	char		ifname[IF_NAMESIZE];	/* the LAN: port or bridge */
	struct in_addr	addr;
	int		prefix;
	int		created_bridge;
	int		added_addr;
	int		brought_up;
	int		nports;
	char		port[CONF_MAX_LAN][IF_NAMESIZE];
	int		port_brought_up[CONF_MAX_LAN];
	int		port_enslaved[CONF_MAX_LAN];
};

/*
 * Fills the blanks of conf (wan, lan, lan-address, dhcp-range) from the
 * system as CONTRACT.md says, logging what it chose. -1 on failure
 * (logged).
 */
int	lan_autodetect(struct gk_config *);
/* Bridge (when several ports), address, link up. -1 on failure (logged),
 * after undoing what it did. */
int	lan_setup(const struct gk_config *, struct lan_state *);
void	lan_teardown(struct lan_state *);

/* ---- sysctls (sysctl.c) ---- */

#define SYSCTL_MAX_SAVED	8

struct sysctl_saved {
	int		n;
	char		path[SYSCTL_MAX_SAVED][128];
	char		value[SYSCTL_MAX_SAVED][32];
};

/* Sets /proc/sys/<key> (key in dotted or slashed form), saving the old
 * value first. -1 on failure (logged). */
int	sysctl_set(struct sysctl_saved *, const char *key, const char *value);
void	sysctl_restore(struct sysctl_saved *);

/* ---- queue rules (rules.c, libnftnl) ---- */

#define NFT_RULES_TABLE	"gatekeeper"	/* table ip gatekeeper */

enum queue_backend {
	QUEUE_BACKEND_NONE,
	QUEUE_BACKEND_NFT,		/* nft's queue expression */
	QUEUE_BACKEND_COMPAT,		/* xt NFQUEUE through nft compat */
};

struct rules_state {
	enum queue_backend backend;
	char		lan[IF_NAMESIZE];
	char		wan[IF_NAMESIZE];
	uint16_t	qnum;
	int		installed;
	int		owner;		/* table flags owner + persist */
};

/*
 * What dnsd may send to (docs/security.md, "dnsd's output"): packets of
 * its uid's sockets, and of the sockets the parent opens for it (marked
 * DNSD_SOCKET_MARK, which dnsd cannot change: SO_MARK needs
 * CAP_NET_ADMIN), leave only to the LAN, any port, and to the upstreams,
 * UDP and TCP port 53. A chain on the output hook in table ip gatekeeper,
 * so it has the table's owner, persist and repair.
 */
#define DNSD_SOCKET_MARK	0x676b0035	/* "gk", 53 */
#define DNSOUT_SET		"dnsd_upstreams"

enum dnsout_mode {
	DNSOUT_OFF,		/* no rule: the kernel refused it, or none asked */
	DNSOUT_REJECT,		/* TCP gets a reset, the rest EPERM */
	DNSOUT_DROP,		/* everything EPERM (no nft reject) */
};

struct dnsout {
	uint32_t	 uid;		/* dnsd's */
	struct in_addr	 lan;		/* the LAN's network address */
	int		 prefix;
	int		 nup;		/* sorted, unique, outside the LAN */
	struct in_addr	 up[CONF_MAX_UPSTREAM];
};

/* dnsout.c, pure */
/* The usable IPv4 nameservers of a resolv.conf text, at most max, in
 * order, without repeats; loopback (a stub dnsd cannot reach from its
 * chroot), 0/8 and multicast skipped. Returns how many. */
int	resolv_conf_parse(const char *text, size_t len, struct in_addr *out,
	    int max);
/* What the rule allows dnsd (uid): the LAN's network from its address
 * and prefix, and the upstreams outside it (sorted, deduplicated). */
void	dnsout_build(struct dnsout *, uint32_t uid, struct in_addr lan_addr,
	    int prefix, const struct in_addr *up, int nup);
int	dnsout_equal(const struct dnsout *, const struct dnsout *);
const char *dnsout_mode_name(enum dnsout_mode);

const char *rules_backend_name(enum queue_backend);
/*
 * Probes, over the parent's own netfilter socket, whether the kernel
 * takes owner + persist tables, and which queue backend works: nft's
 * queue expression, else the xt NFQUEUE target; logs what it found.
 */
enum queue_backend rules_probe(void);
/* What the probe found: 1 when tables are made owned and persistent. */
int	rules_persist(void);
/*
 * Queues traffic crossing LAN<->WAN to qnum with conntrack bypassed for
 * it, never with a bypass flag: without a listener, packets are dropped.
 * One atomic batch into table ip gatekeeper, replacing one left behind.
 */
int	rules_install(struct rules_state *, enum queue_backend,
	    const char *lan, const char *wan, uint16_t qnum,
	    const struct dnsout *);
/*
 * With the rules above (dnsout not NULL), dnsd's output chain, where the
 * probe found the kernel takes it. A refused chain never costs the queue
 * rules: they go in without it, logged, and rules_dnsout_mode() says
 * DNSOUT_OFF with rules_dnsout_error() the reason.
 */
enum dnsout_mode rules_dnsout_mode(void);
const char *rules_dnsout_error(void);
/* The allowance loaded now (NULL when the mode is off). */
const struct dnsout *rules_dnsout(void);
/* The packets the rule refused since the rules were installed (its
 * counters, summed across reloads). -1 when off or unreadable. */
int	rules_dnsout_refused(uint64_t *packets);
/* New upstreams (or uid, LAN): the table reloaded in one batch. 0 when
 * loaded or nothing changed; -1 (logged) leaves the rules as they were. */
int	rules_dnsout_update(struct rules_state *, const struct dnsout *);
/* Replaces the table with the rules st describes, in one batch. */
int	rules_repair(struct rules_state *);
void	rules_remove(struct rules_state *);
/* The netlink port id of the socket that writes (and owns) the table;
 * 0 before the first probe. */
uint32_t rules_portid(void);
/* The kernel's handle of table ip gatekeeper as last loaded (table
 * handles only grow), 0 when none. */
uint64_t rules_table_handle(void);
struct nlmsghdr;
/*
 * Undoes an nf_tables NEW event (a table, rule or set element) with the
 * DEL of the same attributes: on the rules socket, waiting for the ACK
 * (fd -1), or on fd (a socket whose owner created the object) without.
 */
int	rules_undo(const struct nlmsghdr *ev, int fd);

/* ---- the nfqueue socket natd inherits (queue.c) ---- */

/* Opens NETLINK_NETFILTER, binds queue qnum, copy-packet mode with GSO;
 * no fail-open. Returns the fd or -1 (logged). The fd is a plain socket
 * (no libmnl object to keep), O_NONBLOCK and close-on-exec. Call it
 * before rules_install: a packet queued while it waits for the kernel's
 * ACKs would be skipped and left without a verdict. */
int	queue_open(uint16_t qnum);
/* Unbinds the queue (so it is free even while a natd holds a copy of
 * the fd) and closes fd. */
void	queue_close(int fd);

#endif
