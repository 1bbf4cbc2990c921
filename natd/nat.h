/*
 * The translation itself, without sockets: natd.c hands each queued IPv4
 * packet to nat_packet() with the hook it came from, and gets back a
 * verdict and whether the bytes were rewritten in place. Every table
 * lives in one memory region (the memfd the parent keeps across natd
 * restarts), laid out with a versioned header and indices instead of
 * pointers, so a restarted natd attaches to the same mappings.
 *
 * Addresses are kept as they are in the packet (network order); ports
 * and ICMP identifiers in host order.
 */
#ifndef GK_NATD_NAT_H
#define GK_NATD_NAT_H

#include <stddef.h>
#include <stdint.h>

#define NAT_LAYOUT_VERSION	5	/* 2: address-only owners added;
					 * 3: a client's MAC; 4: client slots
					 * freed, chained by MAC; 5: high
					 * water marks, arrays touched lazily */

#define NAT_MAX_MAPS		131072
#define NAT_MAP_BUCKETS		262144
#define NAT_MAX_SESS		262144
#define NAT_SESS_BUCKETS	524288
#define NAT_MAX_CLIENTS		4096
#define NAT_CLIENT_BUCKETS	8192
/*
 * LAN addresses one MAC may hold: a Wi-Fi extender that bridges by
 * rewriting its clients' MACs to its own shows several behind one.
 */
#define NAT_ADDRS_PER_MAC	16
#define NAT_FRAGS		64
#define NAT_HOLD		16	/* later fragments held for a first */
#define NAT_HOLD_SLOT		2048	/* bytes: bigger ones are not held */
#define NAT_HOLD_PER_SRC	4	/* one sender holds no more */
#define NAT_HOLD_SECS		2
#define NAT_MAX_FORWARDS	256
#define NAT_OTHER		256	/* address-only owners, one per protocol */
#define NAT_PORT_HINTS		8	/* ports freed while all were taken */

enum nat_filter {
	NAT_EIF,		/* endpoint-independent: full cone */
	NAT_ADF,		/* address-dependent */
	NAT_APDF,		/* address-and-port-dependent */
};

/*
 * Where packets come from: the hook (NF_INET_*) and, at PREROUTING, the
 * side, which natd knows by the input interface (the source address
 * proves nothing: anyone on the WAN can write a LAN one).
 */
#define NAT_HOOK_PRE		0	/* NF_INET_PRE_ROUTING, from the WAN */
#define NAT_HOOK_FORWARD	2	/* NF_INET_FORWARD, from the LAN */
#define NAT_HOOK_PRE_LAN	16	/* PRE_ROUTING, from the LAN: hairpin
					 * and the router's WAN address */

/* NFQA_SKB_INFO bits that matter here. */
#define NAT_SKB_CSUMNOTREADY	0x1
#define NAT_SKB_GSO		0x2

struct nat_timeouts {
	uint32_t	 udp;		/* s, refreshed outbound; >= 120 */
	uint32_t	 tcp_est;	/* established */
	uint32_t	 tcp_trans;	/* opening, closing, reset */
	uint32_t	 icmp;		/* echo */
	uint32_t	 other;		/* address-only (GRE, ESP..) owner,
					 * refreshed outbound */
};

struct nat_forward {
	uint8_t		 proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t		 from_conf;	/* 1: gatekeeper.conf, else gkctl */
	uint16_t	 wan_port;
	uint32_t	 ip;		/* LAN address */
	uint16_t	 port;		/* LAN port */
};

struct nat_config {
	uint32_t	 wan;		/* 0: unknown, nothing is translated */
	uint32_t	 lan_net, lan_mask;
	uint32_t	 lan_addr;	/* the router's own LAN address */
	uint16_t	 local_min, local_max;	/* the router's own ports */
	uint16_t	 web_port;
	uint8_t		 filter_udp, filter_tcp;	/* enum nat_filter */
	uint32_t	 per_client_max;	/* mappings per LAN address */
	uint32_t	 per_mac_max;		/* mappings per MAC, all its
						 * addresses together */
	struct nat_timeouts to;
};

/* What natd counts; every drop has a reason. */
struct nat_stats {
	uint64_t	 out_packets, out_bytes;	/* translated LAN -> WAN */
	uint64_t	 in_packets, in_bytes;		/* translated WAN -> LAN */
	uint64_t	 hairpin;
	uint64_t	 local_accepted;	/* for the router itself */
	uint64_t	 malformed;		/* bad IHL, lengths, headers */
	uint64_t	 no_mapping;		/* inbound, nothing to map to */
	uint64_t	 filtered;		/* refused by the filtering mode */
	uint64_t	 unsupported;		/* other protocols and types */
	uint64_t	 spoofed;		/* from the LAN, a source outside
						 * it or the router's */
	uint64_t	 spoofed_wan;		/* from the WAN, a LAN source or
						 * the WAN address itself */
	uint64_t	 not_for_wan;		/* WAN inbound to other addresses */
	uint64_t	 ports_exhausted;
	uint64_t	 client_limit;
	uint64_t	 evicted;		/* UDP mappings taken under pressure */
	uint64_t	 frag_unknown;		/* later fragments, first unseen,
						 * not held (too big, too many
						 * from one sender) */
	uint64_t	 frag_held;		/* held for their first */
	uint64_t	 frag_released;		/* held, then translated */
	uint64_t	 frag_evicted;		/* held, then dropped: timeout
						 * or room for a newer one */
	uint64_t	 icmp_errors;		/* translated */
	uint64_t	 csum_full;		/* full recomputations */
	uint64_t	 csum_incremental;
	uint64_t	 maps_created, maps_expired;
	uint64_t	 sess_full;
	uint64_t	 no_wan;		/* no WAN address known yet */
	uint64_t	 other_out, other_in;	/* address-only (GRE, ESP..) */
	uint64_t	 other_busy;		/* another device holds it */
	/* LAN identity (docs/security.md): refused from the LAN */
	uint64_t	 mac_limit;		/* the MAC's mappings at its max */
	uint64_t	 mac_addrs;		/* a new address for a MAC that
						 * holds NAT_ADDRS_PER_MAC */
	uint64_t	 clients_full;		/* no client slot free */
	uint64_t	 tcp_no_syn;		/* TCP without a mapping, not a
						 * SYN: allocates nothing */
	uint64_t	 icmp_unmatched;	/* ICMP errors quoting a packet
						 * of no mapping or session */
	uint64_t	 clients_freed;		/* slots holding nothing, freed */
};

/* One packet's summary for the ring and the counters. */
struct nat_result {
	uint8_t		 modified;	/* bytes rewritten: send them back */
	uint8_t		 dir;		/* 0 none, 1 up (LAN -> WAN), 2 down */
	uint8_t		 proto;
	uint32_t	 lan_ip, remote_ip;
	uint16_t	 lan_port, remote_port, wan_port;
	uint32_t	 client;	/* the LAN device's slot + 1, 0: none */
};

#define NAT_DIR_UP	1
#define NAT_DIR_DOWN	2

struct nat_shm;
struct nat_map;
struct nat_sess;
struct nat_client;
struct nat_other;

struct nat {
	struct nat_shm		*hdr;
	struct nat_map		*maps;
	uint32_t		*map_hash;
	uint32_t		*rev;		/* [3][65536] map index + 1 */
	struct nat_sess		*sess;
	uint32_t		*sess_hash;
	struct nat_client	*clients;
	uint32_t		*client_hash;
	struct nat_other	*other;		/* [NAT_OTHER], by protocol */
	struct nat_config	 cf;
	struct nat_stats	 st;
	uint64_t		 rng;
	uint32_t		 now;		/* s, CLOCK_MONOTONIC */
	/*
	 * The frame's source MAC of the packet nat_packet is given, from
	 * nat_frame_mac(); NULL when none came. Consumed by nat_packet.
	 */
	const uint8_t		*mac;
	/* Rebuilt on attach from the client slots: */
	uint32_t		 client_free;	/* free slots, chained by next */
	uint32_t		 nclients_live;
	uint32_t		 mac_hash[NAT_CLIENT_BUCKETS];	/* by MAC */
	uint32_t		 last_client;	/* counted by this packet */
	uint32_t		 limited_src;	/* the LAN address a device
						 * limit refused last, for
						 * natd's report */
	uint32_t		 sweep_pos;
	/*
	 * Per protocol (pidx): the last scan of the WAN ports found none
	 * free; the free ones are then only those of the mappings freed
	 * since, kept here (up to NAT_PORT_HINTS, else a scan again). So a
	 * new mapping at exhaustion does not walk 64,512 ports (230 us,
	 * bench/scale). Cleared by a new config or set of forwards.
	 */
	uint8_t			 ports_full[3];
	uint8_t			 nhints[3];
	uint16_t		 port_hints[3][NAT_PORT_HINTS];
	struct nat_frag {
		uint32_t	 src, dst, id_proto;
		uint32_t	 addr;		/* the rewritten address */
		uint16_t	 when;
		uint8_t		 used, out;
	}			 frags[NAT_FRAGS];
	uint32_t		 frag_next;
	/*
	 * Later fragments that came before their first (RFC 4787 REQ-14):
	 * copied here while the queue keeps the packet itself, verdict
	 * pending under the packet's id (nat_packet returns NAT_HELD).
	 * Small and bounded: NAT_HOLD slots, NAT_HOLD_PER_SRC per sender,
	 * NAT_HOLD_SECS each; the oldest goes when a newer one needs room.
	 */
	struct nat_hold {
		uint8_t		 state;		/* NAT_HOLD_* */
		uint8_t		 out, accept;
		uint32_t	 id;		/* the caller's packet id */
		uint32_t	 src, dst, id_proto;
		uint32_t	 since;
		uint16_t	 len;
		uint8_t		 pkt[NAT_HOLD_SLOT];
	}			 hold[NAT_HOLD];
	uint32_t		 hold_drop[2 * NAT_HOLD];	/* ids */
	uint32_t		 nhold_drop;
	struct nat_forward	 fwd[NAT_MAX_FORWARDS];
	int			 nfwd;
};

/* The size of the region the tables need. */
size_t	nat_region_size(void);

/*
 * Attaches to the region (size bytes): keeps what a previous natd left
 * when its header and entries check out, else resets it. Returns 1 when
 * it kept the mappings, 0 when it started afresh, -1 when size is too
 * small. The rebuild of every index from the entries themselves makes a
 * natd killed in the middle of an update harmless.
 */
int	nat_attach(struct nat *, void *mem, size_t size, uint64_t seed);
/* How many times a region was found corrupt or foreign and reset. */
uint64_t nat_resets(const struct nat *);

void	nat_set_config(struct nat *, const struct nat_config *);
void	nat_default_timeouts(struct nat_timeouts *);

/*
 * The source MAC of the frame of the next nat_packet() (NFQA_HWADDR on
 * the LAN side), NULL when none came. The LAN device's packets tie its
 * address to it; limits then hold per MAC. The pointer must stay valid
 * until nat_packet returns, which forgets it.
 */
void	nat_frame_mac(struct nat *, const uint8_t *mac);

/*
 * Translates one IPv4 packet in place. id is the queue's id of the
 * packet (a held fragment's verdict goes out under it); hook is
 * NAT_HOOK_*; skbinfo the NFQA_SKB_INFO bits. Returns 1 to accept
 * (res->modified says whether the bytes changed), 0 to drop; every drop
 * is counted in st.
 */
int	nat_packet(struct nat *, uint8_t *pkt, size_t len, uint32_t id,
	    int hook, uint32_t skbinfo, struct nat_result *res);

/* nat_packet's return for a fragment held for its first: no verdict yet. */
#define NAT_HELD		2

/*
 * Held fragments whose fate is decided (their first came and they were
 * translated: accept; or they timed out or were pushed out: drop), one
 * per call: returns 1 with the caller's id, the verdict (1 accept with
 * the bytes at *pkt, 0 drop), or 0 when there are none. The bytes stay
 * valid until nat_hold_sent(), which the caller calls once the verdicts
 * are sent.
 */
int	nat_hold_take(struct nat *, uint32_t *id, int *accept, uint8_t **pkt,
	    size_t *len);
void	nat_hold_sent(struct nat *);

/* Frees what expired; call often, it does a bounded slice each time. */
void	nat_sweep(struct nat *, uint32_t max_entries);

/*
 * Port forwards. nat_forward_check says why a forward cannot be (NULL
 * when it can); nat_forwards_apply replaces the set (conf's and gkctl's
 * together) and makes the table match it.
 */
const char *nat_forward_check(const struct nat *, const struct nat_forward *);
int	nat_forwards_apply(struct nat *, const struct nat_forward *, int n,
	    char *err, size_t errlen);

/* Iteration for gkctl. */
struct nat_map_info {
	uint8_t		 proto, forward;
	uint8_t		 addr_only;	/* GRE, ESP..: the protocol's owner,
					 * no ports */
	uint32_t	 lan_ip;
	uint16_t	 lan_port, wan_port;
	uint32_t	 remote_ip;
	uint16_t	 remote_port;
	uint32_t	 idle;		/* s */
	uint32_t	 sessions;
};
/*
 * Calls fn for every live mapping, then every live address-only owner;
 * returns how many.
 */
uint32_t nat_map_foreach(struct nat *, void (*fn)(const struct nat_map_info *,
	    void *), void *arg);

struct nat_client_info {
	uint32_t	 ip;
	uint64_t	 bytes_up, bytes_down, packets_up, packets_down;
	uint32_t	 maps;
	uint32_t	 idx;		/* stable slot, for rates */
};
uint32_t nat_client_foreach(struct nat *, void (*fn)(
	    const struct nat_client_info *, void *), void *arg);
uint32_t nat_live_maps(const struct nat *);
uint32_t nat_clients(const struct nat *);
uint32_t nat_live_sessions(const struct nat *);
uint32_t nat_live_others(const struct nat *);

/*
 * The device behind a client slot (nat_result.client): natd learns it
 * from the source MAC of the device's own packets (nat_frame_mac()), so
 * inbound packets, which carry the WAN's MAC, know it too. A new MAC for
 * the same address replaces the old one (the address has passed to
 * another device) unless that MAC holds NAT_ADDRS_PER_MAC addresses
 * already. A slot that holds no mapping and saw no packet for the UDP
 * timeout is freed by nat_sweep and may serve another address.
 * nat_client_learn returns 0 when refused; nat_client_mac returns 1 with
 * the MAC, 0 while none is known.
 */
int	nat_client_learn(struct nat *, uint32_t client, const uint8_t mac[6]);
/* The client slot + 1 of a LAN address, 0 when natd has none. */
uint32_t nat_client_find(struct nat *, uint32_t ip);
int	nat_client_mac(const struct nat *, uint32_t client, uint8_t mac[6]);

/* Looks a mapping up the way an inbound packet would (tests, gkctl). */
int	nat_lookup_wan(struct nat *, uint8_t proto, uint16_t wan_port,
	    struct nat_map_info *);

#endif
