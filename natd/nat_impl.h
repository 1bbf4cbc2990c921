/*
 * What the pieces of the translation share and nothing outside natd's
 * core may use (nat.h is the interface): the layout of the shared
 * region, a parsed packet, and the helpers the per-packet path calls
 * from several files. Those are static inline here, since the build has
 * no link-time optimisation and the path now crosses files.
 *
 * The tables are arrays in the shared region, linked by index + 1 (0 is
 * "none"), so they mean the same at whatever address a restarted natd
 * maps them. The entries are the truth: on attach every index (hash
 * chains, reverse port arrays, free lists, LRU, per-device counts) is
 * rebuilt from them (nat_shm.c), which makes a natd killed half-way
 * through an update harmless. Nothing in the core allocates, logs or
 * makes a system call.
 *
 * The files: nat_shm.c (layout, attach, rebuild, config), nat_table.c
 * (clients, mappings, ports, sessions, filtering, sweep), nat_parse.c
 * (parsing, checksum finishing), nat_frag.c (fragments, held packets),
 * nat_icmp.c (ICMP errors), nat_other.c (address-only protocols),
 * nat_xlate.c (nat_packet: out, in, hairpin), nat_forward.c (port
 * forwards), nat_list.c (listings for gkctl).
 */
#ifndef GK_NATD_NAT_IMPL_H
#define GK_NATD_NAT_IMPL_H

#include <netinet/in.h>
#include <netinet/ip.h>

#include <arpa/inet.h>

#include <string.h>

#include "csum.h"
#include "nat.h"

#define NAT_MAGIC	0x3176544e41544b47ULL	/* "GKTANTv1" */

#define MAP_USED	0x01
#define MAP_FORWARD	0x02

#define SESS_USED	0x01

#define OTHER_USED	0x01

/* TCP events seen on a session */
#define T_SYN_OUT	0x01
#define T_SYN_IN	0x02
#define T_FIN_OUT	0x04
#define T_FIN_IN	0x08
#define T_RST		0x10

#define TH_FIN		0x01
#define TH_SYN		0x02
#define TH_RST		0x04
#define TH_ACK		0x10

#define PORT_MIN	1024

/* The states of a held fragment (struct nat_hold). */
#define HOLD_FREE	0
#define HOLD_WAIT	1	/* for its first fragment */
#define HOLD_READY	2	/* translated, verdict to give */
#define HOLD_TAKEN	3	/* verdict in the caller's send */

struct nat_shm {
	uint64_t	 magic;
	uint32_t	 version, hdr_size;
	uint64_t	 size;
	uint32_t	 max_maps, map_buckets, max_sess, sess_buckets;
	uint32_t	 max_clients, client_buckets;
	uint64_t	 off_maps, off_map_hash, off_rev, off_sess;
	uint64_t	 off_sess_hash, off_clients, off_client_hash;
	uint32_t	 max_other, other_size;
	uint64_t	 off_other;
	uint64_t	 layout_check;		/* of every field above */
	uint64_t	 seed;			/* hash seed */
	uint64_t	 resets;		/* corrupt or foreign layouts */
	uint64_t	 attaches;
	/*
	 * Slots ever handed out, from index 0 up: those above were never
	 * written, so nothing reads them (a page of the region is resident
	 * only once touched). Kept across attaches, clamped on attach.
	 */
	uint32_t	 map_hi, sess_hi;
	/* Rebuilt on attach: */
	uint32_t	 map_free, sess_free;
	uint32_t	 nmaps, nsess, nclients;
	uint32_t	 lru_head, lru_tail;	/* dynamic UDP, idlest first */
	uint32_t	 map_gen;
};

struct nat_map {
	uint32_t	 next;		/* hash chain or free list */
	uint32_t	 lru_prev, lru_next;
	uint32_t	 lan_ip, remote_ip;
	uint32_t	 last_out, last_seen;
	uint32_t	 gen;
	uint32_t	 client;
	uint16_t	 lan_port, wan_port, remote_port;
	uint16_t	 nsess;
	uint8_t		 proto, flags;
	uint8_t		 pad[2];
};

struct nat_sess {
	uint32_t	 next;
	uint32_t	 map, map_gen;
	uint32_t	 remote_ip;
	uint32_t	 last;
	uint16_t	 remote_port;
	uint8_t		 tcp, flags;
};

/*
 * The owner of an address-only protocol (GRE, ESP, ...), at the index of
 * its protocol number: one LAN device per protocol at a time.
 */
struct nat_other {
	uint32_t	 lan_ip, remote;	/* replies from remote only */
	uint32_t	 last_out, last_seen;	/* expiry; display */
	uint32_t	 client;
	uint8_t		 proto, flags;
	uint8_t		 pad[2];
};

/*
 * A LAN address natd translates for, and the device (MAC) behind it.
 * Slots are chained by address (next: client_hash, or the free list)
 * and, once a MAC is known, by MAC (mac_next: nat.mac_hash), which is
 * how limits per MAC are counted.
 */
struct nat_client {
	uint32_t	 next;
	uint32_t	 ip;
	uint32_t	 nmaps;
	uint32_t	 used;		/* 0: a free slot */
	uint64_t	 bytes_up, bytes_down, pkts_up, pkts_down;
	uint8_t		 mac[6];	/* the device, from NFQA_HWADDR */
	uint8_t		 has_mac;
	uint8_t		 pad;
	uint32_t	 mac_next;
	uint32_t	 last;		/* s, its last packet either way */
};

/* A parsed packet: pointers into it for the fields translation touches. */
struct pk {
	uint8_t		*ip;
	size_t		 hlen, len;
	uint8_t		*l4;
	size_t		 l4len;
	uint8_t		 proto;
	uint8_t		 tcpflags;
	uint8_t		 icmp_type;
	uint8_t		 frag;		/* first fragment of several */
	uint32_t	 src, dst;
	uint16_t	 sport, dport;	/* host order; ICMP echo: the id */
	uint8_t		*sp, *dp;
	uint8_t		*csum;		/* transport checksum, NULL if none */
	int		 full;		/* recompute the checksum in full */
	uint32_t	 id;		/* the caller's (queue's) packet id:
					 * a held fragment's verdict */
};

/* The packet an ICMP error quotes. */
struct inner {
	uint8_t		*ip, *l4;
	size_t		 hlen, avail;	/* bytes of L4 present */
	uint8_t		 proto;
};

static inline uint16_t
ld16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return ntohs(v);
}

static inline uint32_t
ld32raw(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static inline uint16_t
ld16raw(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static inline void
st16raw(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static inline int
pidx(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return 0;
	case IPPROTO_UDP:
		return 1;
	case IPPROTO_ICMP:
		return 2;
	}
	return -1;
}

static inline uint64_t
mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static inline int
in_lan(const struct nat *n, uint32_t ip)
{
	return n->cf.lan_mask != 0 && (ip & n->cf.lan_mask) == n->cf.lan_net;
}

static inline int
is_local_port(const struct nat *n, uint16_t port)
{
	return n->cf.local_min != 0 && port >= n->cf.local_min &&
	    port <= n->cf.local_max;
}

static inline uint32_t
age(const struct nat *n, uint32_t t)
{
	return n->now > t ? n->now - t : 0;
}

static inline uint32_t
map_bucket(const struct nat *n, uint8_t proto, uint32_t ip, uint16_t port)
{
	uint64_t k = ((uint64_t)ip << 32) | ((uint64_t)port << 8) | proto;

	return (uint32_t)(mix64(k ^ n->hdr->seed) & (NAT_MAP_BUCKETS - 1));
}

static inline uint32_t
sess_bucket(const struct nat *n, uint32_t map, uint32_t ip)
{
	uint64_t k = ((uint64_t)map << 32) | ip;

	return (uint32_t)(mix64(k ^ ~n->hdr->seed) & (NAT_SESS_BUCKETS - 1));
}

static inline uint32_t
client_bucket(const struct nat *n, uint32_t ip)
{
	return (uint32_t)(mix64(ip ^ (n->hdr->seed << 1)) &
	    (NAT_CLIENT_BUCKETS - 1));
}

static inline uint32_t
mac_bucket(const struct nat *n, const uint8_t mac[6])
{
	uint64_t k = 0;

	memcpy(&k, mac, 6);
	return (uint32_t)(mix64(k ^ (n->hdr->seed << 2)) &
	    (NAT_CLIENT_BUCKETS - 1));
}

static inline uint32_t *
rev_slot(struct nat *n, int pi, uint16_t port)
{
	return &n->rev[(size_t)pi * 65536 + port];
}

static inline void
count(struct nat *n, uint32_t client, int up, size_t bytes)
{
	struct nat_client *c;

	if (client == 0 || client > NAT_MAX_CLIENTS)
		return;
	n->last_client = client;
	c = &n->clients[client - 1];
	c->last = n->now;
	if (up) {
		c->bytes_up += bytes;
		c->pkts_up++;
	} else {
		c->bytes_down += bytes;
		c->pkts_down++;
	}
}

static inline int
in_lru(const struct nat_map *m)
{
	return m->proto == IPPROTO_UDP && !(m->flags & MAP_FORWARD);
}

static inline int
sess_valid(const struct nat *n, const struct nat_sess *s)
{
	const struct nat_map *m;

	if (!(s->flags & SESS_USED) || s->map == 0 || s->map > n->hdr->map_hi)
		return 0;
	m = &n->maps[s->map - 1];
	return (m->flags & MAP_USED) && m->gen == s->map_gen;
}

/* Rewrites an address field of the IP header, and its checksums. */
static inline void
set_addr(struct pk *p, uint8_t *field, uint32_t new)
{
	uint32_t	 old = ld32raw(field);
	uint16_t	 c;

	if (old == new)
		return;
	memcpy(field, &new, 4);
	c = csum_update32(ld16raw(p->ip + 10), old, new);
	st16raw(p->ip + 10, c);
	/* ICMP's checksum has no pseudo-header. */
	if (p->csum != NULL && !p->full && p->proto != IPPROTO_ICMP) {
		c = csum_update32(ld16raw(p->csum), old, new);
		if (c == 0 && p->proto == IPPROTO_UDP)
			c = 0xffff;
		st16raw(p->csum, c);
	}
}

static inline void
set_port(struct pk *p, uint8_t *field, uint16_t port)
{
	uint16_t	 old = ld16raw(field), new = htons(port), c;

	if (old == new)
		return;
	st16raw(field, new);
	if (p->csum != NULL && !p->full) {
		c = csum_update16(ld16raw(p->csum), old, new);
		if (c == 0 && p->proto == IPPROTO_UDP)
			c = 0xffff;
		st16raw(p->csum, c);
	}
}

static inline void
result(struct nat_result *r, const struct nat_map *m, const struct pk *p,
    uint8_t dir, uint32_t rip, uint16_t rport)
{
	r->dir = dir;
	r->proto = p->proto;
	r->lan_ip = m->lan_ip;
	r->lan_port = m->lan_port;
	r->wan_port = m->wan_port;
	r->remote_ip = rip;
	r->remote_port = rport;
}

/* Protocols whose checksum covers the addresses: cannot go by address. */
static inline int
other_ok(uint8_t proto)
{
	return proto != 33 && proto != 136;	/* DCCP, UDP-Lite */
}

static inline int
icmp_is_error(uint8_t type)
{
	return type == 3 || type == 11 || type == 12;
}

/* nat_shm.c: nothing beyond nat.h. */

/* nat_table.c */
uint32_t client_find(const struct nat *, uint32_t ip);
uint32_t client_get(struct nat *, uint32_t ip);
uint32_t client_from_lan(struct nat *, uint32_t ip);
int	 client_bind(struct nat *, uint32_t client, const uint8_t mac[6]);
void	 client_hash_mac(struct nat *, uint32_t client);
uint32_t map_find(const struct nat *, uint8_t proto, uint32_t ip,
	    uint16_t port);
void	 lru_append(struct nat *, uint32_t i);
void	 map_free(struct nat *, uint32_t i);
uint32_t map_insert(struct nat *, uint8_t proto, uint32_t ip, uint16_t port,
	    uint16_t wan_port, uint8_t flags, uint32_t client);
uint32_t map_get_out(struct nat *, const struct pk *, uint32_t *clientp);
void	 sess_out(struct nat *, uint32_t mi, const struct pk *, uint32_t rip,
	    uint16_t rport);
uint32_t sess_find(struct nat *, uint32_t mi, uint32_t ip, uint16_t port,
	    int any_port);
int	 filter_in(struct nat *, uint32_t mi, const struct pk *, uint32_t rip,
	    uint16_t rport);

/* nat_parse.c */
int	 parse_ip(struct pk *, uint8_t *pkt, size_t len);
int	 parse_l4(struct pk *, uint32_t skbinfo);
void	 finish_csum(struct nat *, struct pk *);

/* nat_frag.c */
void	 frag_note(struct nat *, const struct pk *, uint32_t src,
	    uint32_t dst, uint32_t addr, int out);
int	 frag_later(struct nat *, struct pk *, int out, struct nat_result *);
void	 hold_expire(struct nat *);

/* nat_icmp.c */
void	 inner_rewrite(struct pk *, struct inner *, int aoff, int poff,
	    uint32_t addr, uint16_t port);
int	 icmp_error_in(struct nat *, struct pk *, struct nat_result *);
int	 icmp_error_out(struct nat *, struct pk *, struct nat_result *);

/* nat_other.c */
struct nat_other *other_find(struct nat *, uint8_t proto);
int	 other_out(struct nat *, struct pk *, struct nat_result *);
int	 other_in(struct nat *, struct pk *, struct nat_result *);
int	 other_error_in(struct nat *, struct pk *, struct inner *,
	    struct nat_result *);
int	 other_error_out(struct nat *, struct pk *, struct inner *,
	    struct nat_result *);

#endif
