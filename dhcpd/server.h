/*
 * The DHCP server's decisions, without sockets: the lease table, the
 * reservations, address choice, and what to answer to each message in
 * each client state (RFC 2131 4.3). The I/O main feeds it packets and
 * the time, and carries out what it returns; the unit tests and the
 * fuzzer call it directly.
 */
#ifndef GK_DHCPD_SERVER_H
#define GK_DHCPD_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "wire.h"

#define DHCP_MAX_RESV		(CONF_MAX_STATIC + 256)
#define DHCP_MAX_ROUTES		16
#define DHCP_MAX_NTP		CONF_MAX_UPSTREAM
#define DHCP_OFFER_HOLD		60	/* s an offered address waits */
#define DHCP_DECLINE_HOLD	600	/* s a declined address rests */
#define DHCP_MAX_RANGE		65536	/* addresses in one pool */
#define DHCP_READY_MAX		4096	/* probed addresses kept ready */
#define DHCP_PROBE_MIN		32	/* probed ahead when idle */
#define DHCP_PROBE_FRESH	120	/* s a probe result is trusted */
#define DHCP_FIRST_LEASE	600	/* s of a lease until its first renewal */
#define DHCP_MAC_LIMIT		8	/* dhcp-mac-limit's default */

struct dhcp_route {
	uint32_t	dst;		/* network order */
	uint8_t		plen;
	uint32_t	gw;		/* network order */
};

/* What the server hands out; addresses in network order. */
struct dhcp_conf {
	uint32_t	 server;	/* the LAN address: router, DNS, id */
	int		 prefix;
	uint32_t	 start, end;
	uint32_t	 lease_time;
	char		 domain[CONF_MAX_DOMAIN + 1];
	uint8_t		 mac[6];	/* the LAN's, for ARP probes */
	uint16_t	 mtu;		/* option 26; 0: not sent */
	uint32_t	 ntp[DHCP_MAX_NTP];	/* option 42 */
	int		 nntp;
	struct dhcp_route routes[DHCP_MAX_ROUTES];	/* option 121 */
	int		 nroutes;
	int		 probe;		/* ARP check before first use */
	/* Live leases one frame source MAC may hold for other hardware
	 * addresses (an extender, a relay); 0: no limit. */
	uint32_t	 mac_limit;
};

enum lease_state {
	LEASE_FREE,		/* no client (e.g. after a conflict) */
	LEASE_OFFERED,
	LEASE_BOUND,		/* expired when expires <= now */
	LEASE_RELEASED,
	LEASE_DECLINED,		/* quarantined until expires */
};

struct dhcp_lease {
	uint32_t	 ip;		/* network order */
	uint8_t		 state;		/* enum lease_state */
	uint8_t		 keylen;	/* 0: nobody */
	uint8_t		 named;		/* hostname registered with dnsd */
	uint8_t		 mac[6];
	uint8_t		 key[DHCP_KEY_MAX];	/* client id, else htype+chaddr */
	char		 hostname[CONF_MAX_HOSTNAME + 1];
	/* option 12 as the client sent it, cut at 63 bytes or a NUL (for
	 * the dashboard, never for DNS); memory only */
	char		 sent_name[CONF_MAX_HOSTNAME + 1];
	int64_t		 expires;	/* unix time */
	int64_t		 first_seen, last_seen;
	int64_t		 bound_at;	/* this lease began; memory only */
	uint32_t	 next_ip, next_key, next_name;	/* chains: index+1 */
	/*
	 * The frame source MAC this lease was last given to, when it is not
	 * the client's own chaddr (an extender or a relay carried it, or a
	 * host invented the chaddr): such leases count against that MAC's
	 * dhcp-mac-limit. Kept in leases.db, so a restart does not hand
	 * a host a fresh allowance.
	 */
	uint8_t		 src[6];
	uint8_t		 src_linked;	/* on the chain of src's hash */
	uint32_t	 next_src;
};

struct dhcp_resv {
	uint8_t		 mac[6];
	uint8_t		 from_config;	/* static-lease: not deletable */
	uint32_t	 ip;
	char		 name[CONF_MAX_HOSTNAME + 1];
};

/*
 * Called as leases change. persist: the lease must be durable before the
 * reply of this dhcp_handle() call leaves. name_add/name_del: dnsd's view.
 */
struct dhcp_ops {
	void	(*persist)(const struct dhcp_lease *, void *arg);
	void	(*name_add)(const struct dhcp_lease *, void *arg);
	void	(*name_del)(const struct dhcp_lease *, void *arg);
	void	 *arg;
};

/* Counters for dhcpd's status: every dropped input has one. */
struct dhcp_stats {
	uint64_t	rx[DHCPINFORM + 1];	/* by message type */
	uint64_t	drop[DHCP_ERR_MAX];	/* malformed, by reason */
	uint64_t	drop_no_address;	/* REQUEST/INFORM naming none */
	uint64_t	offers, acks, naks;
	uint64_t	other_server;		/* client chose another server */
	uint64_t	unknown_client;		/* INIT-REBOOT, no record */
	uint64_t	release_unknown;	/* RELEASE/DECLINE of no lease */
	uint64_t	declines, conflicts;
	uint64_t	pool_full;
	uint64_t	probes;
	uint64_t	mac_limit;		/* refused: dhcp-mac-limit */
};

enum dhcp_dest {
	DEST_NONE,
	DEST_RELAY,		/* giaddr, port 67 */
	DEST_CLIENT,		/* ciaddr, port 68, by the UDP socket */
	DEST_BROADCAST,		/* 255.255.255.255:68 */
	DEST_HWADDR,		/* yiaddr at chaddr, by the packet socket */
};

struct dhcp_reply {
	enum dhcp_dest	 dest;
	uint32_t	 ip;		/* relay, client, or probe address */
	/* An ACK that gives a lease: it may leave only once the lease is
	 * on disk. Anything else (OFFER, NAK, an ACK to an INFORM) promises
	 * nothing a crash could break, and leaves at once. */
	int		 durable;
	uint8_t		 hwaddr[6];
	size_t		 len;
	uint8_t		 buf[DHCP_MAX_MSG];
};

enum dhcp_result {
	DHCP_R_DROP,		/* malformed: counted */
	DHCP_R_SILENT,		/* valid, and the answer is silence */
	DHCP_R_REPLY,		/* send reply */
	DHCP_R_PROBE,		/* ARP-probe reply.ip, then call again */
};

struct dhcp_rx {
	int64_t		 now;		/* unix time */
	uint32_t	 src;		/* the IP source address */
	int		 broadcast;	/* sent to a broadcast address */
	int		 retry;		/* handled again after a probe */
	/* The Ethernet source of the frame; has_frame_mac 0 when unknown
	 * (then no dhcp-mac-limit applies). */
	uint8_t		 frame_mac[6];
	int		 has_frame_mac;
};

struct dhcp_server;

/* NULL with err filled when the configuration cannot be served. */
struct dhcp_server *dhcp_server_new(const struct dhcp_conf *,
	    const struct dhcp_ops *, char *err, size_t errlen);
void	dhcp_server_free(struct dhcp_server *);
const struct dhcp_conf *dhcp_server_conf(const struct dhcp_server *);
const struct dhcp_stats *dhcp_server_stats(const struct dhcp_server *);

enum dhcp_result dhcp_handle(struct dhcp_server *, const uint8_t *buf,
	    size_t len, const struct dhcp_rx *, struct dhcp_reply *);

/*
 * The outcome of an ARP probe of ip: conflict when somebody answered.
 * Also called with conflict for any ARP sender address: an address that
 * was checked free and is not handed out yet is then set aside too.
 */
void	dhcp_probe_done(struct dhcp_server *, uint32_t ip, int conflict,
	    int64_t now);

/* A probe that could not be sent (no slot): ip is no longer probing. */
void	dhcp_probe_abandon(struct dhcp_server *, uint32_t ip);

/*
 * The conflict check ahead of demand: the next address to ARP-probe now
 * (marked as being probed; report with dhcp_probe_done()), or -1 when
 * enough are probed or being probed. Keeps the never-used addresses of
 * about two seconds of demand (at least DHCP_PROBE_MIN) probed, and
 * probes each again before its result is DHCP_PROBE_FRESH s old, so that
 * a DISCOVER is answered at once with an address checked recently.
 */
int	dhcp_probe_ahead(struct dhcp_server *, int64_t now, uint32_t *ip);
/* Probed addresses ready to be offered. */
uint32_t dhcp_probe_ready(const struct dhcp_server *);

/*
 * Live leases (offered, bound, declined) the frame source mac holds for
 * other hardware addresses: what dhcp-mac-limit bounds.
 */
uint32_t dhcp_src_leases(struct dhcp_server *, const uint8_t mac[6],
	    int64_t now);

/* Expires names of leases past their time. */
void	dhcp_tick(struct dhcp_server *, int64_t now);

/* A lease from the database; -1 when it does not fit this LAN. */
int	dhcp_lease_load(struct dhcp_server *, const struct dhcp_lease *);
void	dhcp_foreach_lease(const struct dhcp_server *,
	    void (*)(const struct dhcp_lease *, void *), void *);
/* Every registered name (dnsd's MSG_HOST_SYNC). */
void	dhcp_foreach_name(const struct dhcp_server *,
	    void (*)(const struct dhcp_lease *, void *), void *);
const char *dhcp_lease_state(const struct dhcp_lease *, int64_t now);

/* Reservations: -1 with err filled for the user when refused. */
int	dhcp_resv_add(struct dhcp_server *, const uint8_t mac[6], uint32_t ip,
	    const char *name, int from_config, char *err, size_t errlen);
int	dhcp_resv_del(struct dhcp_server *, const uint8_t mac[6], char *err,
	    size_t errlen);
const struct dhcp_resv *dhcp_resv_by_mac(const struct dhcp_server *,
	    const uint8_t mac[6]);
const struct dhcp_resv *dhcp_resv_by_ip(const struct dhcp_server *,
	    uint32_t ip);
int	dhcp_resv_count(const struct dhcp_server *);
const struct dhcp_resv *dhcp_resv_get(const struct dhcp_server *, int i);

/* Addresses the pool has, and how many of them are never used yet. */
uint32_t dhcp_pool_size(const struct dhcp_server *);
uint32_t dhcp_pool_unused(const struct dhcp_server *);
uint32_t dhcp_lease_count(const struct dhcp_server *);

#endif
