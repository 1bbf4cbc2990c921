/*
 * Translation: endpoint-independent mapping (RFC 4787 REQ-1, RFC 5382
 * REQ-1), filtering per protocol, TCP state, ICMP queries and errors (RFC
 * 5508), hairpinning, port forwards, address-only protocols (one owner
 * each), forged sources, checksums.
 *
 * The tables are arrays in the shared region, linked by index + 1 (0 is
 * "none"), so they mean the same at whatever address a restarted natd
 * maps them. The entries are the truth: on attach every index (hash
 * chains, reverse port arrays, free lists, LRU, per-device counts) is
 * rebuilt from them, which makes a natd killed half-way through an
 * update harmless. Nothing here allocates, logs or makes a system call.
 */
#include <netinet/in.h>
#include <netinet/ip.h>

#include <arpa/inet.h>

#include <stdio.h>
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

struct nat_client {
	uint32_t	 next;
	uint32_t	 ip;
	uint32_t	 nmaps;
	uint32_t	 used;
	uint64_t	 bytes_up, bytes_down, pkts_up, pkts_down;
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
};

/* ---- small helpers ---- */

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

static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint32_t
rnd(struct nat *n)
{
	/* xorshift64*: ports need to be unpredictable from outside, not
	 * cryptographic; seeded from getrandom() by natd. */
	n->rng ^= n->rng >> 12;
	n->rng ^= n->rng << 25;
	n->rng ^= n->rng >> 27;
	return (uint32_t)((n->rng * 0x2545f4914f6cdd1dULL) >> 32);
}

static int
in_lan(const struct nat *n, uint32_t ip)
{
	return n->cf.lan_mask != 0 && (ip & n->cf.lan_mask) == n->cf.lan_net;
}

static int
is_local_port(const struct nat *n, uint16_t port)
{
	return n->cf.local_min != 0 && port >= n->cf.local_min &&
	    port <= n->cf.local_max;
}

static uint32_t
age(const struct nat *n, uint32_t t)
{
	return n->now > t ? n->now - t : 0;
}

/* ---- layout ---- */

#define ALIGN64(x)	(((x) + 63) & ~(uint64_t)63)

static void
layout(struct nat_shm *h)
{
	uint64_t	 off = ALIGN64(sizeof(*h));

	/* Every field, also those rebuilt on attach, starts at zero. */
	memset(h, 0, sizeof(*h));
	h->magic = NAT_MAGIC;
	h->version = NAT_LAYOUT_VERSION;
	h->hdr_size = sizeof(*h);
	h->max_maps = NAT_MAX_MAPS;
	h->map_buckets = NAT_MAP_BUCKETS;
	h->max_sess = NAT_MAX_SESS;
	h->sess_buckets = NAT_SESS_BUCKETS;
	h->max_clients = NAT_MAX_CLIENTS;
	h->client_buckets = NAT_CLIENT_BUCKETS;
	h->off_maps = off;
	off = ALIGN64(off + (uint64_t)NAT_MAX_MAPS * sizeof(struct nat_map));
	h->off_map_hash = off;
	off = ALIGN64(off + (uint64_t)NAT_MAP_BUCKETS * 4);
	h->off_rev = off;
	off = ALIGN64(off + 3ULL * 65536 * 4);
	h->off_sess = off;
	off = ALIGN64(off + (uint64_t)NAT_MAX_SESS * sizeof(struct nat_sess));
	h->off_sess_hash = off;
	off = ALIGN64(off + (uint64_t)NAT_SESS_BUCKETS * 4);
	h->off_clients = off;
	off = ALIGN64(off + (uint64_t)NAT_MAX_CLIENTS *
	    sizeof(struct nat_client));
	h->off_client_hash = off;
	off = ALIGN64(off + (uint64_t)NAT_CLIENT_BUCKETS * 4);
	h->max_other = NAT_OTHER;
	h->other_size = sizeof(struct nat_other);
	h->off_other = off;
	off = ALIGN64(off + (uint64_t)NAT_OTHER * sizeof(struct nat_other));
	h->size = off;
}

static uint64_t
layout_check(const struct nat_shm *h)
{
	return mix64(h->magic ^ mix64(h->version ^ mix64(h->hdr_size ^
	    mix64(h->size ^ mix64(h->max_maps ^ mix64(h->map_buckets ^
	    mix64(h->max_sess ^ mix64(h->sess_buckets ^
	    mix64(h->max_clients ^ mix64(h->client_buckets ^
	    mix64(h->off_maps ^ mix64(h->off_map_hash ^ mix64(h->off_rev ^
	    mix64(h->off_sess ^ mix64(h->off_sess_hash ^
	    mix64(h->off_clients ^ mix64(h->off_client_hash ^
	    mix64(h->max_other ^ mix64(h->other_size ^
	    mix64(h->off_other))))))))))))))))))));
}

size_t
nat_region_size(void)
{
	struct nat_shm	 h;

	layout(&h);
	return (size_t)h.size;
}

static void
set_pointers(struct nat *n, uint8_t *base)
{
	struct nat_shm	*h = (struct nat_shm *)base;

	n->hdr = h;
	n->maps = (struct nat_map *)(base + h->off_maps);
	n->map_hash = (uint32_t *)(base + h->off_map_hash);
	n->rev = (uint32_t *)(base + h->off_rev);
	n->sess = (struct nat_sess *)(base + h->off_sess);
	n->sess_hash = (uint32_t *)(base + h->off_sess_hash);
	n->clients = (struct nat_client *)(base + h->off_clients);
	n->client_hash = (uint32_t *)(base + h->off_client_hash);
	n->other = (struct nat_other *)(base + h->off_other);
}

/* ---- hashing ---- */

static uint32_t
map_bucket(const struct nat *n, uint8_t proto, uint32_t ip, uint16_t port)
{
	uint64_t k = ((uint64_t)ip << 32) | ((uint64_t)port << 8) | proto;

	return (uint32_t)(mix64(k ^ n->hdr->seed) & (NAT_MAP_BUCKETS - 1));
}

static uint32_t
sess_bucket(const struct nat *n, uint32_t map, uint32_t ip)
{
	uint64_t k = ((uint64_t)map << 32) | ip;

	return (uint32_t)(mix64(k ^ ~n->hdr->seed) & (NAT_SESS_BUCKETS - 1));
}

static uint32_t
client_bucket(const struct nat *n, uint32_t ip)
{
	return (uint32_t)(mix64(ip ^ (n->hdr->seed << 1)) &
	    (NAT_CLIENT_BUCKETS - 1));
}

static uint32_t *
rev_slot(struct nat *n, int pi, uint16_t port)
{
	return &n->rev[(size_t)pi * 65536 + port];
}

/* ---- clients ---- */

static uint32_t
client_get(struct nat *n, uint32_t ip, int create)
{
	uint32_t	 b = client_bucket(n, ip), i;
	struct nat_client *c;

	for (i = n->client_hash[b]; i != 0; i = n->clients[i - 1].next)
		if (n->clients[i - 1].ip == ip)
			return i;
	if (!create || n->hdr->nclients >= NAT_MAX_CLIENTS)
		return 0;
	i = ++n->hdr->nclients;
	c = &n->clients[i - 1];
	memset(c, 0, sizeof(*c));
	c->ip = ip;
	c->next = n->client_hash[b];
	c->used = 1;
	n->client_hash[b] = i;
	return i;
}

static void
count(struct nat *n, uint32_t client, int up, size_t bytes)
{
	struct nat_client *c;

	if (client == 0 || client > NAT_MAX_CLIENTS)
		return;
	c = &n->clients[client - 1];
	if (up) {
		c->bytes_up += bytes;
		c->pkts_up++;
	} else {
		c->bytes_down += bytes;
		c->pkts_down++;
	}
}

/* ---- mappings ---- */

static uint32_t
map_find(const struct nat *n, uint8_t proto, uint32_t ip, uint16_t port)
{
	uint32_t	 i;
	const struct nat_map *m;

	for (i = n->map_hash[map_bucket(n, proto, ip, port)]; i != 0;
	    i = m->next) {
		m = &n->maps[i - 1];
		if (m->lan_ip == ip && m->lan_port == port && m->proto == proto)
			return i;
	}
	return 0;
}

static void
lru_unlink(struct nat *n, uint32_t i)
{
	struct nat_map	*m = &n->maps[i - 1];

	if (m->lru_prev != 0)
		n->maps[m->lru_prev - 1].lru_next = m->lru_next;
	else if (n->hdr->lru_head == i)
		n->hdr->lru_head = m->lru_next;
	if (m->lru_next != 0)
		n->maps[m->lru_next - 1].lru_prev = m->lru_prev;
	else if (n->hdr->lru_tail == i)
		n->hdr->lru_tail = m->lru_prev;
	m->lru_prev = m->lru_next = 0;
}

static void
lru_append(struct nat *n, uint32_t i)
{
	struct nat_map	*m = &n->maps[i - 1];

	m->lru_prev = n->hdr->lru_tail;
	m->lru_next = 0;
	if (n->hdr->lru_tail != 0)
		n->maps[n->hdr->lru_tail - 1].lru_next = i;
	else
		n->hdr->lru_head = i;
	n->hdr->lru_tail = i;
}

static int
in_lru(const struct nat_map *m)
{
	return m->proto == IPPROTO_UDP && !(m->flags & MAP_FORWARD);
}

static void
map_free(struct nat *n, uint32_t i)
{
	struct nat_map	*m = &n->maps[i - 1];
	uint32_t	*pp, b;
	int		 pi = pidx(m->proto);

	/* Unused first: a natd killed from here on leaves an entry the
	 * rebuild ignores. */
	m->flags &= ~MAP_USED;
	b = map_bucket(n, m->proto, m->lan_ip, m->lan_port);
	for (pp = &n->map_hash[b]; *pp != 0; pp = &n->maps[*pp - 1].next)
		if (*pp == i) {
			*pp = m->next;
			break;
		}
	if (pi >= 0 && *rev_slot(n, pi, m->wan_port) == i)
		*rev_slot(n, pi, m->wan_port) = 0;
	if (in_lru(m))
		lru_unlink(n, i);
	if (m->client != 0 && m->client <= NAT_MAX_CLIENTS &&
	    n->clients[m->client - 1].nmaps > 0)
		n->clients[m->client - 1].nmaps--;
	m->flags = 0;
	m->next = n->hdr->map_free;
	n->hdr->map_free = i;
	n->hdr->nmaps--;
}

static int
port_free(struct nat *n, int pi, uint32_t port)
{
	int	 i;

	if (port < PORT_MIN || port > 65535 || is_local_port(n, port) ||
	    port == n->cf.web_port || *rev_slot(n, pi, port) != 0)
		return 0;
	for (i = 0; i < n->nfwd; i++)
		if (n->fwd[i].wan_port == port &&
		    pidx(n->fwd[i].proto) == pi)
			return 0;
	return 1;
}

/*
 * RFC 4787 REQ-3/4, RFC 6056: keep the port when it is free and not
 * privileged; else a random free one of the same parity, else any.
 */
static int
port_alloc(struct nat *n, int pi, uint16_t want)
{
	uint32_t	 p, start, i;

	if (want >= PORT_MIN && port_free(n, pi, want))
		return want;
	for (i = 0; i < 32; i++) {
		p = PORT_MIN + rnd(n) % (65536 - PORT_MIN);
		p = (p & ~1U) | (want & 1U);
		if (p < PORT_MIN)
			p += 2;
		if (port_free(n, pi, p))
			return (int)p;
	}
	start = PORT_MIN + rnd(n) % (65536 - PORT_MIN);
	for (i = 0; i < 65536 - PORT_MIN; i++) {
		p = PORT_MIN + (start - PORT_MIN + i) % (65536 - PORT_MIN);
		if (port_free(n, pi, p))
			return (int)p;
	}
	return -1;
}

static uint32_t
map_entry(struct nat *n)
{
	uint32_t	 i = n->hdr->map_free;

	if (i == 0 || i > NAT_MAX_MAPS)
		return 0;
	n->hdr->map_free = n->maps[i - 1].next;
	return i;
}

/* Takes the longest-idle dynamic UDP mapping (under pressure). */
static int
evict_udp(struct nat *n)
{
	uint32_t	 i = n->hdr->lru_head;

	if (i == 0)
		return 0;
	map_free(n, i);
	n->st.evicted++;
	return 1;
}

static uint32_t
map_insert(struct nat *n, uint8_t proto, uint32_t ip, uint16_t port,
    uint16_t wan_port, uint8_t flags, uint32_t client)
{
	struct nat_map	*m;
	uint32_t	 i, b;
	int		 pi = pidx(proto);

	if ((i = map_entry(n)) == 0)
		return 0;
	m = &n->maps[i - 1];
	memset(m, 0, sizeof(*m));
	m->proto = proto;
	m->lan_ip = ip;
	m->lan_port = port;
	m->wan_port = wan_port;
	m->last_out = m->last_seen = n->now;
	m->gen = ++n->hdr->map_gen;
	m->client = client;
	b = map_bucket(n, proto, ip, port);
	m->next = n->map_hash[b];
	m->flags = flags | MAP_USED;
	n->map_hash[b] = i;
	*rev_slot(n, pi, wan_port) = i;
	if (in_lru(m))
		lru_append(n, i);
	if (client != 0)
		n->clients[client - 1].nmaps++;
	n->hdr->nmaps++;
	n->st.maps_created++;
	return i;
}

/* The mapping of a LAN endpoint, created on its first packet out. */
static uint32_t
map_get_out(struct nat *n, uint8_t proto, uint32_t ip, uint16_t port,
    uint32_t *clientp)
{
	struct nat_map	*m;
	uint32_t	 i, client;
	int		 pi = pidx(proto), wp, tries;

	if ((i = map_find(n, proto, ip, port)) != 0) {
		m = &n->maps[i - 1];
		*clientp = m->client;
		m->last_out = m->last_seen = n->now;
		if (in_lru(m) && n->hdr->lru_tail != i) {
			lru_unlink(n, i);
			lru_append(n, i);
		}
		return i;
	}
	client = client_get(n, ip, 1);
	*clientp = client;
	if (client != 0 &&
	    n->clients[client - 1].nmaps >= n->cf.per_client_max) {
		n->st.client_limit++;
		return 0;
	}
	for (tries = 0; tries < 2; tries++) {
		if (n->hdr->map_free == 0 && !evict_udp(n))
			break;
		if ((wp = port_alloc(n, pi, port)) != -1)
			return map_insert(n, proto, ip, port, (uint16_t)wp, 0,
			    client);
		if (proto != IPPROTO_UDP || !evict_udp(n))
			break;
	}
	n->st.ports_exhausted++;
	return 0;
}

/* ---- sessions: what each mapping has talked to ---- */

static int
sess_valid(const struct nat *n, const struct nat_sess *s)
{
	const struct nat_map *m;

	if (!(s->flags & SESS_USED) || s->map == 0 || s->map > NAT_MAX_MAPS)
		return 0;
	m = &n->maps[s->map - 1];
	return (m->flags & MAP_USED) && m->gen == s->map_gen;
}

static void
sess_unlink(struct nat *n, uint32_t *pp)
{
	uint32_t	 i = *pp;
	struct nat_sess	*s = &n->sess[i - 1];
	struct nat_map	*m;

	if (sess_valid(n, s)) {
		m = &n->maps[s->map - 1];
		if (m->nsess > 0)
			m->nsess--;
	}
	s->flags = 0;
	*pp = s->next;
	s->next = n->hdr->sess_free;
	n->hdr->sess_free = i;
	n->hdr->nsess--;
}

/*
 * Finds the session of mapping mi with ip (and port unless any_port);
 * frees stale ones met on the way.
 */
static uint32_t
sess_find(struct nat *n, uint32_t mi, uint32_t ip, uint16_t port,
    int any_port)
{
	uint32_t	*pp, i;
	struct nat_sess	*s;
	uint32_t	 gen = n->maps[mi - 1].gen;

	pp = &n->sess_hash[sess_bucket(n, mi, ip)];
	while ((i = *pp) != 0) {
		s = &n->sess[i - 1];
		if (!sess_valid(n, s)) {
			sess_unlink(n, pp);
			continue;
		}
		if (s->map == mi && s->map_gen == gen && s->remote_ip == ip &&
		    (any_port || s->remote_port == port))
			return i;
		pp = &s->next;
	}
	return 0;
}

static uint32_t
sess_new(struct nat *n, uint32_t mi, uint32_t ip, uint16_t port)
{
	struct nat_sess	*s;
	uint32_t	 i = n->hdr->sess_free, b;

	if (i == 0 || i > NAT_MAX_SESS) {
		n->st.sess_full++;
		return 0;
	}
	s = &n->sess[i - 1];
	n->hdr->sess_free = s->next;
	memset(s, 0, sizeof(*s));
	s->map = mi;
	s->map_gen = n->maps[mi - 1].gen;
	s->remote_ip = ip;
	s->remote_port = port;
	s->last = n->now;
	b = sess_bucket(n, mi, ip);
	s->next = n->sess_hash[b];
	s->flags = SESS_USED;
	n->sess_hash[b] = i;
	n->maps[mi - 1].nsess++;
	n->hdr->nsess++;
	return i;
}

static void
tcp_event(struct nat_sess *s, uint8_t th, int out)
{
	/* A fresh SYN on a finished tuple starts a new connection. */
	if ((th & (TH_SYN | TH_ACK)) == TH_SYN &&
	    (s->tcp & (T_RST | T_FIN_OUT | T_FIN_IN)))
		s->tcp = 0;
	if (th & TH_RST)
		s->tcp |= T_RST;
	if (th & TH_SYN)
		s->tcp |= out ? T_SYN_OUT : T_SYN_IN;
	if (th & TH_FIN)
		s->tcp |= out ? T_FIN_OUT : T_FIN_IN;
}

static int
tcp_established(uint8_t t)
{
	return (t & (T_SYN_OUT | T_SYN_IN)) == (T_SYN_OUT | T_SYN_IN) &&
	    !(t & (T_FIN_OUT | T_FIN_IN | T_RST));
}

/* Outbound traffic records who the mapping talks to. */
static void
sess_out(struct nat *n, uint32_t mi, const struct pk *p, uint32_t rip,
    uint16_t rport)
{
	uint32_t	 si;
	struct nat_sess	*s;

	if ((si = sess_find(n, mi, rip, rport, 0)) == 0 &&
	    (si = sess_new(n, mi, rip, rport)) == 0)
		return;
	s = &n->sess[si - 1];
	s->last = n->now;
	if (p->proto == IPPROTO_TCP)
		tcp_event(s, p->tcpflags, 1);
}

/*
 * May a packet from rip:rport come in through mapping mi? TCP sessions
 * also follow the connection here.
 */
static int
filter_in(struct nat *n, uint32_t mi, const struct pk *p, uint32_t rip,
    uint16_t rport)
{
	struct nat_map	*m = &n->maps[mi - 1];
	struct nat_sess	*s;
	uint32_t	 si;
	int		 mode, ok;

	mode = p->proto == IPPROTO_TCP ? n->cf.filter_tcp : n->cf.filter_udp;
	if (m->flags & MAP_FORWARD)
		mode = NAT_EIF;
	si = sess_find(n, mi, rip, rport, 0);
	if (si != 0 || mode == NAT_EIF)
		ok = 1;
	else if (mode == NAT_ADF)
		ok = sess_find(n, mi, rip, 0, 1) != 0;
	else
		ok = 0;
	if (!ok)
		return 0;
	if (p->proto != IPPROTO_TCP)
		return 1;
	if (si == 0 && (si = sess_new(n, mi, rip, rport)) == 0)
		return 1;
	s = &n->sess[si - 1];
	s->last = n->now;
	tcp_event(s, p->tcpflags, 0);
	return 1;
}

/* ---- parsing and rewriting ---- */

static int
parse_l4(struct pk *p, uint32_t skbinfo)
{
	uint16_t	 ulen;
	size_t		 doff;

	p->csum = NULL;
	switch (p->proto) {
	case IPPROTO_TCP:
		if (p->l4len < 20)
			return -1;
		doff = (size_t)(p->l4[12] >> 4) * 4;
		if (doff < 20 || doff > p->l4len)
			return -1;
		p->sp = p->l4;
		p->dp = p->l4 + 2;
		p->tcpflags = p->l4[13];
		p->csum = p->l4 + 16;
		break;
	case IPPROTO_UDP:
		if (p->l4len < 8)
			return -1;
		ulen = ld16(p->l4 + 4);
		if (!p->frag) {
			if (ulen < 8 || ulen > p->l4len)
				return -1;
		}
		p->sp = p->l4;
		p->dp = p->l4 + 2;
		/* Zero: sent without a checksum, and it stays so. */
		if (ld16raw(p->l4 + 6) != 0 ||
		    (skbinfo & NAT_SKB_CSUMNOTREADY))
			p->csum = p->l4 + 6;
		break;
	case IPPROTO_ICMP:
		if (p->l4len < 8)
			return -1;
		p->icmp_type = p->l4[0];
		p->sp = p->dp = p->l4 + 4;
		p->csum = p->l4 + 2;
		break;
	default:
		return 0;
	}
	p->sport = ld16(p->sp);
	p->dport = ld16(p->dp);
	/* A seed-only checksum becomes final: the kernel marks what we
	 * hand back CHECKSUM_NONE. A fragment cannot be one. */
	p->full = (skbinfo & NAT_SKB_CSUMNOTREADY) && !p->frag &&
	    p->proto != IPPROTO_ICMP;
	return 0;
}

static int
parse_ip(struct pk *p, uint8_t *pkt, size_t len)
{
	size_t		 hlen, tot;
	uint16_t	 off;

	if (len < 20 || (pkt[0] >> 4) != 4)
		return -1;
	hlen = (size_t)(pkt[0] & 0xf) * 4;
	tot = ld16(pkt + 2);
	if (hlen < 20 || hlen > len || tot < hlen || tot > len)
		return -1;
	memset(p, 0, sizeof(*p));
	p->ip = pkt;
	p->hlen = hlen;
	p->len = tot;
	p->l4 = pkt + hlen;
	p->l4len = tot - hlen;
	p->proto = pkt[9];
	p->src = ld32raw(pkt + 12);
	p->dst = ld32raw(pkt + 16);
	off = ld16(pkt + 6);
	if (off & IP_OFFMASK)
		return 1;		/* a later fragment */
	p->frag = (off & IP_MF) != 0;
	return 0;
}

/* Rewrites an address field of the IP header, and its checksums. */
static void
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

static void
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

/* After the rewrites: the seed-only checksum made complete. */
static void
finish_csum(struct nat *n, struct pk *p)
{
	size_t		 l4len = p->l4len, off;
	uint16_t	 c;

	if (p->csum == NULL)
		return;
	if (!p->full) {
		n->st.csum_incremental++;
		return;
	}
	if (p->proto == IPPROTO_UDP)
		l4len = ld16(p->l4 + 4);
	off = (size_t)(p->csum - p->l4);
	c = csum_l4(p->l4, l4len, off, ld32raw(p->ip + 12),
	    ld32raw(p->ip + 16), p->proto);
	if (c == 0 && p->proto == IPPROTO_UDP)
		c = 0xffff;
	st16raw(p->csum, c);
	n->st.csum_full++;
}

static void
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

/* ---- fragments: later ones follow the first by (addresses, id) ---- */

#define HOLD_FREE	0
#define HOLD_WAIT	1	/* for its first fragment */
#define HOLD_READY	2	/* translated, verdict to give */
#define HOLD_TAKEN	3	/* verdict in the caller's send */

static uint32_t
frag_key(const struct pk *p)
{
	return ((uint32_t)ld16(p->ip + 4) << 8) | p->proto;
}

/* A held fragment given up: its id goes to the caller for a drop. */
static void
hold_evict(struct nat *n, struct nat_hold *h)
{
	if (n->nhold_drop < sizeof(n->hold_drop) / sizeof(n->hold_drop[0]))
		n->hold_drop[n->nhold_drop++] = h->id;
	h->state = HOLD_FREE;
	n->st.frag_evicted++;
}

/* The first fragment f came: the held ones it leads are translated. */
static void
hold_release(struct nat *n, const struct nat_frag *f)
{
	struct nat_hold	*h;
	struct pk	 p;
	int		 i;

	for (i = 0; i < NAT_HOLD; i++) {
		h = &n->hold[i];
		if (h->state != HOLD_WAIT || h->out != f->out ||
		    h->src != f->src || h->dst != f->dst ||
		    h->id_proto != f->id_proto)
			continue;
		if (parse_ip(&p, h->pkt, h->len) != 1) {
			hold_evict(n, h);
			continue;
		}
		p.csum = NULL;
		set_addr(&p, p.ip + (f->out ? 12 : 16), f->addr);
		h->state = HOLD_READY;
		h->accept = 1;
		n->st.frag_released++;
	}
}

static void
frag_note(struct nat *n, const struct pk *p, uint32_t src, uint32_t dst,
    uint32_t addr, int out)
{
	struct nat_frag	*f = &n->frags[n->frag_next++ % NAT_FRAGS];

	f->src = src;
	f->dst = dst;
	f->id_proto = frag_key(p);
	f->addr = addr;
	f->when = (uint16_t)n->now;
	f->out = (uint8_t)out;
	f->used = 1;
	hold_release(n, f);
}

/*
 * A later fragment before its first: held (a copy here, the packet in the
 * kernel's queue) when it is small enough and its sender does not hold
 * too many already; the oldest held one makes room if need be.
 */
static int
frag_hold(struct nat *n, struct pk *p, int out)
{
	struct nat_hold	*h, *slot = NULL, *old = NULL;
	int		 i, from_src = 0;

	if (p->len > NAT_HOLD_SLOT) {
		n->st.frag_unknown++;
		return 0;
	}
	for (i = 0; i < NAT_HOLD; i++) {
		h = &n->hold[i];
		if (h->state == HOLD_FREE && slot == NULL)
			slot = h;
		if (h->state != HOLD_WAIT)
			continue;
		if (h->src == p->src)
			from_src++;
		if (old == NULL || age(n, h->since) > age(n, old->since))
			old = h;
	}
	if (from_src >= NAT_HOLD_PER_SRC || (slot == NULL && old == NULL)) {
		n->st.frag_unknown++;
		return 0;
	}
	if (slot == NULL) {
		hold_evict(n, old);
		slot = old;
	}
	memcpy(slot->pkt, p->ip, p->len);
	slot->len = (uint16_t)p->len;
	slot->id = n->cur_id;
	slot->out = (uint8_t)out;
	slot->src = p->src;
	slot->dst = p->dst;
	slot->id_proto = frag_key(p);
	slot->since = n->now;
	slot->accept = 0;
	slot->state = HOLD_WAIT;
	n->st.frag_held++;
	return NAT_HELD;
}

static int
frag_later(struct nat *n, struct pk *p, int out, struct nat_result *res)
{
	uint32_t	 key = frag_key(p);
	int		 i;
	struct nat_frag	*f;

	for (i = 0; i < NAT_FRAGS; i++) {
		f = &n->frags[i];
		if (!f->used || f->out != out || f->src != p->src ||
		    f->dst != p->dst || f->id_proto != key ||
		    (uint16_t)((uint16_t)n->now - f->when) > 30)
			continue;
		p->csum = NULL;
		set_addr(p, p->ip + (out ? 12 : 16), f->addr);
		res->modified = 1;
		return 1;
	}
	/* Out of order: the first not seen yet. */
	return frag_hold(n, p, out);
}

int
nat_hold_take(struct nat *n, uint32_t *id, int *accept, uint8_t **pkt,
    size_t *len)
{
	struct nat_hold	*h;
	int		 i;

	if (n->nhold_drop > 0) {
		*id = n->hold_drop[--n->nhold_drop];
		*accept = 0;
		*pkt = NULL;
		*len = 0;
		return 1;
	}
	for (i = 0; i < NAT_HOLD; i++) {
		h = &n->hold[i];
		if (h->state != HOLD_READY)
			continue;
		h->state = HOLD_TAKEN;
		*id = h->id;
		*accept = 1;
		*pkt = h->pkt;
		*len = h->len;
		return 1;
	}
	return 0;
}

void
nat_hold_sent(struct nat *n)
{
	int	 i;

	for (i = 0; i < NAT_HOLD; i++)
		if (n->hold[i].state == HOLD_TAKEN)
			n->hold[i].state = HOLD_FREE;
}

/* Held fragments whose first did not come in time. */
static void
hold_expire(struct nat *n)
{
	int	 i;

	for (i = 0; i < NAT_HOLD; i++)
		if (n->hold[i].state == HOLD_WAIT &&
		    age(n, n->hold[i].since) >= NAT_HOLD_SECS)
			hold_evict(n, &n->hold[i]);
}

/* Protocols whose checksum covers the addresses: cannot go by address. */
static int
other_ok(uint8_t proto)
{
	return proto != 33 && proto != 136;	/* DCCP, UDP-Lite */
}

/* ---- ICMP errors (RFC 5508) ---- */

struct inner {
	uint8_t		*ip, *l4;
	size_t		 hlen, avail;	/* bytes of L4 present */
	uint8_t		 proto;
};

static int
parse_inner(struct pk *p, struct inner *in)
{
	size_t		 len;

	if (p->l4len < 8 + 20)
		return -1;
	in->ip = p->l4 + 8;
	len = p->l4len - 8;
	if ((in->ip[0] >> 4) != 4)
		return -1;
	in->hlen = (size_t)(in->ip[0] & 0xf) * 4;
	if (in->hlen < 20 || in->hlen + 8 > len)
		return -1;
	if (ld16(in->ip + 6) & IP_OFFMASK)
		return -1;
	in->l4 = in->ip + in->hlen;
	in->avail = len - in->hlen;
	in->proto = in->ip[9];
	if (in->proto == IPPROTO_ICMP) {
		/* Errors about echoes only, never about errors. */
		if (in->l4[0] != 8 && in->l4[0] != 0)
			return -1;
	} else if (pidx(in->proto) < 0 && !other_ok(in->proto))
		return -1;
	return 0;
}

static uint16_t
fold16(uint32_t s)
{
	return (uint16_t)~csum_fold(s);
}

/* The embedded transport checksum field, when it was quoted. */
static uint8_t *
inner_csum(struct inner *in)
{
	switch (in->proto) {
	case IPPROTO_TCP:
		return in->avail >= 18 ? in->l4 + 16 : NULL;
	case IPPROTO_UDP:
		return ld16raw(in->l4 + 6) != 0 ? in->l4 + 6 : NULL;
	case IPPROTO_ICMP:
		return in->l4 + 2;
	default:
		/* Address-only: GRE's and AH's do not cover the addresses,
		 * ESP has none. */
		return NULL;
	}
}

/*
 * Rewrites the embedded packet's address at aoff (12 src, 16 dst) and
 * its port (or echo id) at poff (-1: none, an address-only protocol),
 * with the embedded checksums, then the ICMP checksum by the difference
 * of the quoted bytes (RFC 1624, so a corrupt message stays corrupt).
 */
static void
inner_rewrite(struct pk *p, struct inner *in, int aoff, int poff,
    uint32_t addr, uint16_t port)
{
	uint8_t		*ic = inner_csum(in);
	size_t		 span = p->l4len - 8;
	uint32_t	 before, after, old = ld32raw(in->ip + aoff);
	uint16_t	 oldp = 0, newp = 0;
	uint16_t	 c;

	before = fold16(csum_partial(in->ip, span, 0));
	memcpy(in->ip + aoff, &addr, 4);
	st16raw(in->ip + 10, csum_update32(ld16raw(in->ip + 10), old, addr));
	if (poff >= 0) {
		oldp = ld16raw(in->l4 + poff);
		newp = htons(port);
		st16raw(in->l4 + poff, newp);
	}
	if (ic != NULL) {
		c = ld16raw(ic);
		if (in->proto != IPPROTO_ICMP)
			c = csum_update32(c, old, addr);
		c = csum_update16(c, oldp, newp);
		if (c == 0 && in->proto == IPPROTO_UDP)
			c = 0xffff;
		st16raw(ic, c);
	}
	after = fold16(csum_partial(in->ip, span, 0));
	c = csum_update16(ld16raw(p->l4 + 2), (uint16_t)before,
	    (uint16_t)after);
	st16raw(p->l4 + 2, c);
}

static int	other_error_in(struct nat *, struct pk *, struct inner *,
		    struct nat_result *);
static int	other_error_out(struct nat *, struct pk *, struct inner *,
		    struct nat_result *);

/* An error from the internet about a packet we sent from the WAN. */
static int
icmp_error_in(struct nat *n, struct pk *p, struct nat_result *res)
{
	struct inner	 in;
	struct nat_map	*m;
	uint16_t	 wport;
	uint32_t	 mi;
	int		 pi;

	if (parse_inner(p, &in) == -1 || ld32raw(in.ip + 12) != n->cf.wan) {
		n->st.malformed++;
		return 0;
	}
	if (pidx(in.proto) < 0)
		return other_error_in(n, p, &in, res);
	wport = in.proto == IPPROTO_ICMP ? ld16(in.l4 + 4) : ld16(in.l4);
	if (in.proto != IPPROTO_ICMP && is_local_port(n, wport)) {
		n->st.local_accepted++;
		return 1;
	}
	pi = pidx(in.proto);
	if ((mi = *rev_slot(n, pi, wport)) == 0) {
		n->st.no_mapping++;
		return 0;
	}
	m = &n->maps[mi - 1];
	p->csum = NULL;		/* the outer ICMP checksum is done below */
	set_addr(p, p->ip + 16, m->lan_ip);
	inner_rewrite(p, &in, 12, in.proto == IPPROTO_ICMP ? 4 : 0,
	    m->lan_ip, m->lan_port);
	m->last_seen = n->now;
	count(n, m->client, 0, p->len);
	result(res, m, p, NAT_DIR_DOWN, p->src, 0);
	res->modified = 1;
	n->st.icmp_errors++;
	return 1;
}

/* An error from a LAN device about a packet it got from outside. */
static int
icmp_error_out(struct nat *n, struct pk *p, struct nat_result *res)
{
	struct inner	 in;
	struct nat_map	*m;
	uint32_t	 mi;

	if (parse_inner(p, &in) == -1 || ld32raw(in.ip + 16) != p->src) {
		n->st.malformed++;
		return 0;
	}
	if (in.proto == IPPROTO_ICMP) {
		n->st.unsupported++;
		return 0;
	}
	if (pidx(in.proto) < 0)
		return other_error_out(n, p, &in, res);
	mi = map_find(n, in.proto, p->src, ld16(in.l4 + 2));
	if (mi == 0) {
		/* RFC 5508 REQ-4: no mapping, silently dropped. */
		n->st.no_mapping++;
		return 0;
	}
	m = &n->maps[mi - 1];
	p->csum = NULL;
	set_addr(p, p->ip + 12, n->cf.wan);
	inner_rewrite(p, &in, 16, 2, n->cf.wan, m->wan_port);
	count(n, m->client, 1, p->len);
	result(res, m, p, NAT_DIR_UP, p->dst, 0);
	res->modified = 1;
	n->st.icmp_errors++;
	return 1;
}

static int
icmp_is_error(uint8_t type)
{
	return type == 3 || type == 11 || type == 12;
}

/* ---- other protocols: address only, one device each ---- */

/*
 * The live owner of proto, or NULL. Ownership lasts while the device
 * keeps sending (refreshed outbound only, so nobody outside can keep a
 * protocol taken).
 */
static struct nat_other *
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
	uint32_t	 client = client_get(n, src, 1);

	o->flags = 0;
	o->lan_ip = src;
	o->remote = 0;
	o->client = client;
	o->last_out = o->last_seen = n->now;
	o->proto = proto;
	o->flags = OTHER_USED;
	return o;
}

static int
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
	if (o == NULL)
		o = other_take(n, p->proto, p->src);
	o->remote = p->dst;
	o->last_out = o->last_seen = n->now;
	set_addr(p, p->ip + 12, n->cf.wan);
	if (p->frag)
		frag_note(n, p, osrc, p->dst, n->cf.wan, 1);
	count(n, o->client, 1, p->len);
	res->dir = NAT_DIR_UP;
	res->proto = p->proto;
	res->lan_ip = osrc;
	res->remote_ip = p->dst;
	res->modified = 1;
	n->st.other_out++;
	return 1;
}

static int
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
	res->dir = NAT_DIR_DOWN;
	res->proto = p->proto;
	res->lan_ip = o->lan_ip;
	res->remote_ip = p->src;
	res->modified = 1;
	n->st.other_in++;
	return 1;
}

/*
 * An error from the internet about an address-only packet we sent: to
 * the protocol's owner, when it is about a packet to the owner's remote
 * (the only one its replies come from).
 */
static int
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
	res->dir = NAT_DIR_DOWN;
	res->proto = p->proto;
	res->lan_ip = o->lan_ip;
	res->remote_ip = p->src;
	res->modified = 1;
	n->st.icmp_errors++;
	return 1;
}

/* An error from the owner of an address-only protocol about a reply. */
static int
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
	res->dir = NAT_DIR_UP;
	res->proto = p->proto;
	res->lan_ip = o->lan_ip;
	res->remote_ip = p->dst;
	res->modified = 1;
	n->st.icmp_errors++;
	return 1;
}

/* ---- the directions ---- */

/* LAN -> WAN, at FORWARD: the source becomes the WAN address. */
static int
nat_out(struct nat *n, struct pk *p, struct nat_result *res)
{
	struct nat_map	*m;
	uint32_t	 mi, client, osrc = p->src;
	uint16_t	 rport = p->dport;

	if (p->proto == IPPROTO_ICMP) {
		if (icmp_is_error(p->icmp_type))
			return icmp_error_out(n, p, res);
		if (p->icmp_type != 8) {
			n->st.unsupported++;
			return 0;
		}
		rport = 0;
	}
	if ((mi = map_get_out(n, p->proto, p->src, p->sport, &client)) == 0)
		return 0;
	m = &n->maps[mi - 1];
	m->remote_ip = p->dst;
	m->remote_port = rport;
	if (p->proto != IPPROTO_ICMP)
		sess_out(n, mi, p, p->dst, rport);
	set_addr(p, p->ip + 12, n->cf.wan);
	set_port(p, p->sp, m->wan_port);
	finish_csum(n, p);
	if (p->frag)
		frag_note(n, p, osrc, p->dst, n->cf.wan, 1);
	count(n, client, 1, p->len);
	result(res, m, p, NAT_DIR_UP, p->dst, rport);
	res->modified = 1;
	n->st.out_packets++;
	n->st.out_bytes += p->len;
	return 1;
}

/* WAN -> LAN, at PREROUTING: the destination becomes the device. */
static int
nat_in(struct nat *n, struct pk *p, struct nat_result *res)
{
	struct nat_map	*m;
	uint32_t	 mi, odst = p->dst;
	uint16_t	 rport = p->sport;
	int		 pi = pidx(p->proto);

	if (pi < 0) {
		n->st.unsupported++;
		return 0;
	}
	if (p->proto == IPPROTO_ICMP) {
		if (icmp_is_error(p->icmp_type))
			return icmp_error_in(n, p, res);
		if (p->icmp_type == 8) {
			/* A ping of the router itself. */
			n->st.local_accepted++;
			return 1;
		}
		if (p->icmp_type != 0) {
			n->st.unsupported++;
			return 0;
		}
		rport = 0;
	} else if (is_local_port(n, p->dport)) {
		n->st.local_accepted++;
		return 1;
	}
	if ((mi = *rev_slot(n, pi, p->dport)) == 0) {
		n->st.no_mapping++;
		return 0;
	}
	m = &n->maps[mi - 1];
	if (p->proto != IPPROTO_ICMP && !filter_in(n, mi, p, p->src, rport)) {
		n->st.filtered++;
		return 0;
	}
	m->last_seen = n->now;
	set_addr(p, p->ip + 16, m->lan_ip);
	set_port(p, p->dp, m->lan_port);
	finish_csum(n, p);
	if (p->frag)
		frag_note(n, p, p->src, odst, m->lan_ip, 0);
	count(n, m->client, 0, p->len);
	result(res, m, p, NAT_DIR_DOWN, p->src, rport);
	res->modified = 1;
	n->st.in_packets++;
	n->st.in_bytes += p->len;
	return 1;
}

/*
 * Hairpin, first half (REQ-9): a LAN device A sends to the WAN address,
 * at PREROUTING. The destination becomes the device B behind the mapped
 * port, before routing; the source is rewritten in the second half, at
 * FORWARD, since a local source address before routing is a martian.
 */
static int
hairpin_pre(struct nat *n, struct pk *p, struct nat_result *res)
{
	struct nat_map	*b, *a;
	uint32_t	 bi, ai, client;
	int		 pi = pidx(p->proto);

	if (pi < 0 || p->proto == IPPROTO_ICMP || is_local_port(n, p->dport) ||
	    (bi = *rev_slot(n, pi, p->dport)) == 0) {
		/* For the router itself: the kernel answers. */
		n->st.local_accepted++;
		return 1;
	}
	if ((ai = map_get_out(n, p->proto, p->src, p->sport, &client)) == 0)
		return 0;
	a = &n->maps[ai - 1];
	if (!filter_in(n, bi, p, n->cf.wan, a->wan_port)) {
		n->st.filtered++;
		return 0;
	}
	b = &n->maps[bi - 1];
	b->last_seen = n->now;
	set_addr(p, p->ip + 16, b->lan_ip);
	set_port(p, p->dp, b->lan_port);
	finish_csum(n, p);
	count(n, b->client, 0, p->len);
	res->modified = 1;
	n->st.hairpin++;
	return 1;
}

/* Hairpin, second half: at FORWARD, LAN to LAN. */
static int
hairpin_fwd(struct nat *n, struct pk *p, struct nat_result *res)
{
	struct nat_map	*a, *b;
	uint32_t	 ai, bi, client;

	if (p->proto == IPPROTO_ICMP || pidx(p->proto) < 0 ||
	    (bi = map_find(n, p->proto, p->dst, p->dport)) == 0) {
		/* Routed LAN to LAN but not hairpinned: nothing to do. */
		return 1;
	}
	if ((ai = map_get_out(n, p->proto, p->src, p->sport, &client)) == 0)
		return 0;
	a = &n->maps[ai - 1];
	b = &n->maps[bi - 1];
	sess_out(n, ai, p, n->cf.wan, b->wan_port);
	set_addr(p, p->ip + 12, n->cf.wan);
	set_port(p, p->sp, a->wan_port);
	finish_csum(n, p);
	count(n, client, 1, p->len);
	res->modified = 1;
	return 1;
}

/*
 * At PREROUTING from the LAN (queued only when addressed to a local
 * address other than the LAN interface's): hairpin through the WAN
 * address, or the router's own business.
 */
static int
pre_lan(struct nat *n, struct pk *p, int r, uint32_t skbinfo,
    struct nat_result *res)
{
	if (!in_lan(n, p->src) || p->src == n->cf.lan_addr) {
		n->st.spoofed++;
		return 0;
	}
	if (n->cf.wan == 0 || p->dst != n->cf.wan) {
		/* To another local address. */
		n->st.local_accepted++;
		return 1;
	}
	if (r == 1)
		return frag_later(n, p, 0, res);
	if (pidx(p->proto) < 0) {
		/* Another protocol to the WAN address: the router's own. */
		n->st.local_accepted++;
		return 1;
	}
	if (parse_l4(p, skbinfo) == -1) {
		n->st.malformed++;
		return 0;
	}
	return hairpin_pre(n, p, res);
}

int
nat_packet(struct nat *n, uint8_t *pkt, size_t len, int hook,
    uint32_t skbinfo, struct nat_result *res)
{
	struct pk	 p;
	int		 r;

	memset(res, 0, sizeof(*res));
	if ((r = parse_ip(&p, pkt, len)) == -1) {
		n->st.malformed++;
		return 0;
	}
	if (hook == NAT_HOOK_FORWARD) {
		if (!in_lan(n, p.src) || p.src == n->cf.lan_addr) {
			n->st.spoofed++;
			return 0;
		}
		if (n->cf.wan == 0) {
			n->st.no_wan++;
			return 0;
		}
		if (r == 1)
			return in_lan(n, p.dst) ? 1 : frag_later(n, &p, 1, res);
		if (pidx(p.proto) < 0) {
			/* LAN to LAN, routed: nothing to translate. */
			if (in_lan(n, p.dst))
				return 1;
			return other_out(n, &p, res);
		}
		if (parse_l4(&p, skbinfo) == -1) {
			n->st.malformed++;
			return 0;
		}
		if (in_lan(n, p.dst))
			return hairpin_fwd(n, &p, res);
		return nat_out(n, &p, res);
	}
	if (hook == NAT_HOOK_PRE_LAN)
		return pre_lan(n, &p, r, skbinfo, res);
	if (hook != NAT_HOOK_PRE) {
		n->st.unsupported++;
		return 0;
	}
	/* From the WAN: a LAN source or our own is forged. Hairpin traffic
	 * has the same addresses but comes from the LAN side. */
	if (in_lan(n, p.src) || (n->cf.wan != 0 && p.src == n->cf.wan)) {
		n->st.spoofed_wan++;
		return 0;
	}
	if (n->cf.wan == 0 || p.dst != n->cf.wan) {
		if (n->cf.wan == 0)
			n->st.no_wan++;
		else
			n->st.not_for_wan++;
		return 0;
	}
	if (r == 1)
		return frag_later(n, &p, 0, res);
	if (pidx(p.proto) < 0)
		return other_in(n, &p, res);
	if (parse_l4(&p, skbinfo) == -1) {
		n->st.malformed++;
		return 0;
	}
	return nat_in(n, &p, res);
}

/* ---- expiry ---- */

static uint32_t
sess_timeout(const struct nat *n, const struct nat_sess *s,
    const struct nat_map *m)
{
	if (m->proto == IPPROTO_TCP)
		return tcp_established(s->tcp) ? n->cf.to.tcp_est :
		    n->cf.to.tcp_trans;
	return n->cf.to.udp;
}

static int
map_expired(const struct nat *n, const struct nat_map *m)
{
	if (m->flags & MAP_FORWARD)
		return 0;
	switch (m->proto) {
	case IPPROTO_UDP:
		return age(n, m->last_out) >= n->cf.to.udp;
	case IPPROTO_ICMP:
		return age(n, m->last_out) >= n->cf.to.icmp;
	default:
		return m->nsess == 0 && age(n, m->last_seen) >= n->cf.to.tcp_trans;
	}
}

/* Frees a session found in the array by walking its hash chain to it. */
static void
sess_drop(struct nat *n, uint32_t i)
{
	struct nat_sess	*s = &n->sess[i - 1];
	uint32_t	*pp;

	pp = &n->sess_hash[sess_bucket(n, s->map, s->remote_ip)];
	for (; *pp != 0; pp = &n->sess[*pp - 1].next)
		if (*pp == i) {
			sess_unlink(n, pp);
			return;
		}
}

void
nat_sweep(struct nat *n, uint32_t max)
{
	uint32_t	 k, i;
	struct nat_sess	*s;
	struct nat_map	*m;

	hold_expire(n);
	/* Address-only owners: few, all of them each time. */
	for (k = 0; k < NAT_OTHER; k++)
		if ((n->other[k].flags & OTHER_USED) &&
		    other_find(n, (uint8_t)k) == NULL)
			n->other[k].flags = 0;
	for (k = 0; k < max; k++) {
		i = n->sweep_pos++ % (NAT_MAX_MAPS + NAT_MAX_SESS);
		if (i < NAT_MAX_SESS) {
			s = &n->sess[i];
			if (!(s->flags & SESS_USED))
				continue;
			if (!sess_valid(n, s)) {
				sess_drop(n, i + 1);
				continue;
			}
			m = &n->maps[s->map - 1];
			if (age(n, s->last) >= sess_timeout(n, s, m))
				sess_drop(n, i + 1);
			continue;
		}
		i -= NAT_MAX_SESS;
		m = &n->maps[i];
		if ((m->flags & MAP_USED) && map_expired(n, m)) {
			map_free(n, i + 1);
			n->st.maps_expired++;
		}
	}
}

/* ---- attach: validate, rebuild ---- */

static int
map_sane(const struct nat_map *m)
{
	if (pidx(m->proto) < 0 || m->wan_port < PORT_MIN)
		return (m->flags & MAP_FORWARD) && pidx(m->proto) >= 0 &&
		    m->wan_port != 0;
	return 1;
}

static void
rebuild(struct nat *n)
{
	struct nat_shm	*h = n->hdr;
	struct nat_map	*m;
	struct nat_sess	*s;
	struct nat_client *c;
	struct nat_other *o;
	uint32_t	 i, b, *slot;

	memset(n->map_hash, 0, (size_t)NAT_MAP_BUCKETS * 4);
	memset(n->rev, 0, 3 * 65536 * 4);
	memset(n->sess_hash, 0, (size_t)NAT_SESS_BUCKETS * 4);
	memset(n->client_hash, 0, (size_t)NAT_CLIENT_BUCKETS * 4);
	h->map_free = h->sess_free = 0;
	h->nmaps = h->nsess = 0;
	h->lru_head = h->lru_tail = 0;
	if (h->nclients > NAT_MAX_CLIENTS)
		h->nclients = NAT_MAX_CLIENTS;
	for (i = 0; i < h->nclients; i++) {
		c = &n->clients[i];
		c->nmaps = 0;
		b = client_bucket(n, c->ip);
		c->next = n->client_hash[b];
		n->client_hash[b] = i + 1;
	}
	/* Backwards, so the free list hands out low indices first. */
	for (i = NAT_MAX_MAPS; i-- > 0;) {
		m = &n->maps[i];
		if ((m->flags & MAP_USED) && map_sane(m)) {
			slot = rev_slot(n, pidx(m->proto), m->wan_port);
			if (*slot == 0 && map_find(n, m->proto, m->lan_ip,
			    m->lan_port) == 0) {
				*slot = i + 1;
				b = map_bucket(n, m->proto, m->lan_ip,
				    m->lan_port);
				m->next = n->map_hash[b];
				n->map_hash[b] = i + 1;
				m->nsess = 0;
				m->lru_prev = m->lru_next = 0;
				if (m->client > h->nclients)
					m->client = 0;
				if (m->client != 0)
					n->clients[m->client - 1].nmaps++;
				if (m->gen > h->map_gen)
					h->map_gen = m->gen;
				h->nmaps++;
				continue;
			}
		}
		m->flags = 0;
		m->next = h->map_free;
		h->map_free = i + 1;
	}
	for (i = 0; i < NAT_OTHER; i++) {
		o = &n->other[i];
		if (!(o->flags & OTHER_USED) || o->proto != i ||
		    !other_ok(o->proto) || pidx(o->proto) >= 0 ||
		    o->lan_ip == 0) {
			memset(o, 0, sizeof(*o));
			continue;
		}
		if (o->client > h->nclients)
			o->client = 0;
	}
	/* LRU order: by last outbound use, approximately (insertion). */
	for (i = 0; i < NAT_MAX_MAPS; i++)
		if ((n->maps[i].flags & MAP_USED) && in_lru(&n->maps[i]))
			lru_append(n, i + 1);
	for (i = NAT_MAX_SESS; i-- > 0;) {
		s = &n->sess[i];
		if (sess_valid(n, s)) {
			b = sess_bucket(n, s->map, s->remote_ip);
			s->next = n->sess_hash[b];
			n->sess_hash[b] = i + 1;
			n->maps[s->map - 1].nsess++;
			h->nsess++;
			continue;
		}
		s->flags = 0;
		s->next = h->sess_free;
		h->sess_free = i + 1;
	}
}

int
nat_attach(struct nat *n, void *mem, size_t size, uint64_t seed)
{
	struct nat_shm	*h = mem, want;
	uint64_t	 resets = 0;
	int		 kept = 0;
	struct nat_config cf = n->cf;
	struct nat_forward fwd[NAT_MAX_FORWARDS];
	int		 nfwd = n->nfwd;

	memcpy(fwd, n->fwd, sizeof(fwd));
	memset(n, 0, sizeof(*n));
	n->cf = cf;
	memcpy(n->fwd, fwd, sizeof(fwd));
	n->nfwd = nfwd;
	n->rng = seed | 1;
	layout(&want);
	if (size < want.size)
		return -1;
	want.layout_check = layout_check(&want);
	if (h->magic == want.magic && h->version == want.version &&
	    h->layout_check == want.layout_check &&
	    layout_check(h) == want.layout_check)
		kept = 1;
	else if (h->magic != 0 || h->version != 0 || h->size != 0) {
		/* Something else was here: count it, start afresh. */
		resets = (h->magic == want.magic ? h->resets : 0) + 1;
	}
	if (!kept) {
		memset(mem, 0, (size_t)want.size);
		*h = want;
		h->resets = resets;
		h->seed = seed;
	}
	set_pointers(n, mem);
	h->attaches++;
	rebuild(n);
	return kept;
}

uint64_t
nat_resets(const struct nat *n)
{
	return n->hdr->resets;
}

void
nat_default_timeouts(struct nat_timeouts *to)
{
	to->udp = 300;
	to->tcp_est = 7440;
	to->tcp_trans = 240;
	to->icmp = 60;
	to->other = 300;
}

void
nat_set_config(struct nat *n, const struct nat_config *cf)
{
	struct nat_timeouts def;

	n->cf = *cf;
	if (n->cf.per_client_max == 0)
		n->cf.per_client_max = 8192;
	/* A zero timeout means nothing would live: the default. */
	nat_default_timeouts(&def);
	if (n->cf.to.udp == 0)
		n->cf.to.udp = def.udp;
	if (n->cf.to.tcp_est == 0)
		n->cf.to.tcp_est = def.tcp_est;
	if (n->cf.to.tcp_trans == 0)
		n->cf.to.tcp_trans = def.tcp_trans;
	if (n->cf.to.icmp == 0)
		n->cf.to.icmp = def.icmp;
	if (n->cf.to.other == 0)
		n->cf.to.other = def.other;
}

/* ---- port forwards ---- */

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
	/* Forward mappings no longer wanted go. */
	for (i = 0; i < NAT_MAX_MAPS; i++) {
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
		    f[j].wan_port, MAP_FORWARD, client_get(n, f[j].ip, 1)) ==
		    0) {
			snprintf(err, errlen, "the mapping table is full");
			return -1;
		}
	}
	return 0;
}

/* ---- listing ---- */

uint32_t
nat_map_foreach(struct nat *n, void (*fn)(const struct nat_map_info *, void *),
    void *arg)
{
	struct nat_map_info mi;
	const struct nat_map *m;
	const struct nat_other *o;
	uint32_t	 i, c = 0;

	for (i = 0; i < NAT_MAX_MAPS; i++) {
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
		ci.ip = c->ip;
		ci.bytes_up = c->bytes_up;
		ci.bytes_down = c->bytes_down;
		ci.packets_up = c->pkts_up;
		ci.packets_down = c->pkts_down;
		ci.maps = c->nmaps;
		ci.idx = i;
		fn(&ci, arg);
	}
	return n->hdr->nclients;
}

uint32_t
nat_live_maps(const struct nat *n)
{
	return n->hdr->nmaps;
}

uint32_t
nat_clients(const struct nat *n)
{
	return n->hdr->nclients;
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
