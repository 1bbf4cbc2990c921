/*
 * The tables: per-device counters (clients), mappings with their reverse
 * port arrays and the LRU of dynamic UDP ones, port allocation (RFC 4787
 * REQ-3/4, RFC 6056), sessions (what each mapping has talked to, TCP
 * state per direction) with the filtering they decide, and the sweep
 * that expires them.
 */
#include "nat_impl.h"

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

uint32_t
client_find(const struct nat *n, uint32_t ip)
{
	uint32_t	 i;

	for (i = n->client_hash[client_bucket(n, ip)]; i != 0;
	    i = n->clients[i - 1].next)
		if (n->clients[i - 1].ip == ip)
			return i;
	return 0;
}

/* The slot of ip, a free one taken when it has none; 0 when full. */
uint32_t
client_get(struct nat *n, uint32_t ip)
{
	uint32_t	 b = client_bucket(n, ip), i;
	struct nat_client *c;

	if ((i = client_find(n, ip)) != 0)
		return i;
	if ((i = n->client_free) != 0 && i <= n->hdr->nclients)
		n->client_free = n->clients[i - 1].next;
	else if (n->hdr->nclients < NAT_MAX_CLIENTS)
		i = ++n->hdr->nclients;
	else
		return 0;
	c = &n->clients[i - 1];
	memset(c, 0, sizeof(*c));
	c->ip = ip;
	c->last = n->now;
	c->next = n->client_hash[b];
	c->used = 1;
	n->client_hash[b] = i;
	n->nclients_live++;
	return i;
}

/* Chains a slot with a MAC into mac_hash. */
void
client_hash_mac(struct nat *n, uint32_t client)
{
	struct nat_client *c = &n->clients[client - 1];
	uint32_t	 b = mac_bucket(n, c->mac);

	c->mac_next = n->mac_hash[b];
	n->mac_hash[b] = client;
}

static void
client_unhash_mac(struct nat *n, uint32_t client)
{
	struct nat_client *c = &n->clients[client - 1];
	uint32_t	*pp;

	if (!c->has_mac)
		return;
	for (pp = &n->mac_hash[mac_bucket(n, c->mac)]; *pp != 0;
	    pp = &n->clients[*pp - 1].mac_next)
		if (*pp == client) {
			*pp = c->mac_next;
			break;
		}
	c->mac_next = 0;
	c->has_mac = 0;
}

/*
 * What the device with mac holds: its addresses, and their mappings
 * (all, when maps is not NULL). Walks one MAC chain: done when a mapping
 * or a slot is created, never per packet of a known mapping.
 */
static uint32_t
mac_addrs(const struct nat *n, const uint8_t mac[6], uint32_t *maps)
{
	const struct nat_client *c;
	uint32_t	 i, addrs = 0;

	if (maps != NULL)
		*maps = 0;
	for (i = n->mac_hash[mac_bucket(n, mac)]; i != 0; i = c->mac_next) {
		c = &n->clients[i - 1];
		if (memcmp(c->mac, mac, 6) != 0)
			continue;
		addrs++;
		if (maps != NULL)
			*maps += c->nmaps;
	}
	return addrs;
}

/*
 * Ties client to the device mac: returns 1 when it is (or already was),
 * 0 when that MAC holds NAT_ADDRS_PER_MAC addresses already.
 */
int
client_bind(struct nat *n, uint32_t client, const uint8_t mac[6])
{
	struct nat_client *c = &n->clients[client - 1];

	if (c->has_mac && memcmp(c->mac, mac, 6) == 0)
		return 1;
	if (mac_addrs(n, mac, NULL) >= NAT_ADDRS_PER_MAC)
		return 0;
	client_unhash_mac(n, client);
	memcpy(c->mac, mac, 6);
	c->has_mac = 1;
	client_hash_mac(n, client);
	return 1;
}

/*
 * The slot of a LAN source, tied to the frame's MAC when one came; 0,
 * counted, when the table is full or the MAC holds too many addresses.
 */
uint32_t
client_from_lan(struct nat *n, uint32_t ip)
{
	uint32_t	 client = client_find(n, ip);

	if (client == 0) {
		if (n->mac != NULL &&
		    mac_addrs(n, n->mac, NULL) >= NAT_ADDRS_PER_MAC) {
			n->st.mac_addrs++;
			return 0;
		}
		if ((client = client_get(n, ip)) == 0) {
			n->st.clients_full++;
			return 0;
		}
	}
	if (n->mac != NULL && !client_bind(n, client, n->mac)) {
		n->st.mac_addrs++;
		return 0;
	}
	return client;
}

/* A slot that holds nothing and saw nothing for a while is freed. */
static void
client_free_idle(struct nat *n, uint32_t client)
{
	struct nat_client *c = &n->clients[client - 1];
	uint32_t	*pp, k;

	if (!c->used || c->nmaps != 0 || age(n, c->last) < n->cf.to.udp)
		return;
	for (k = 0; k < NAT_OTHER; k++)
		if ((n->other[k].flags & OTHER_USED) &&
		    n->other[k].client == client)
			return;
	client_unhash_mac(n, client);
	for (pp = &n->client_hash[client_bucket(n, c->ip)]; *pp != 0;
	    pp = &n->clients[*pp - 1].next)
		if (*pp == client) {
			*pp = c->next;
			break;
		}
	memset(c, 0, sizeof(*c));
	c->next = n->client_free;
	n->client_free = client;
	n->nclients_live--;
	n->st.clients_freed++;
}

uint32_t
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

void
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

void
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
	if (pi >= 0 && *rev_slot(n, pi, m->wan_port) == i) {
		*rev_slot(n, pi, m->wan_port) = 0;
		if (n->ports_full[pi] && n->nhints[pi] < NAT_PORT_HINTS)
			n->port_hints[pi][n->nhints[pi]++] = m->wan_port;
		else
			n->ports_full[pi] = 0;	/* too many: scan */
	}
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
 * privileged; else a random free one of the same parity, else any. Once
 * a scan found them all taken, only the ports of the mappings freed since
 * can be free (nat.ports_full): a new mapping at exhaustion costs a few
 * tries, not a walk over every port.
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
	if (n->ports_full[pi]) {
		while (n->nhints[pi] > 0) {
			p = n->port_hints[pi][--n->nhints[pi]];
			if (port_free(n, pi, p))
				return (int)p;
		}
		return -1;
	}
	start = PORT_MIN + rnd(n) % (65536 - PORT_MIN);
	for (i = 0; i < 65536 - PORT_MIN; i++) {
		p = PORT_MIN + (start - PORT_MIN + i) % (65536 - PORT_MIN);
		if (port_free(n, pi, p))
			return (int)p;
	}
	n->ports_full[pi] = 1;
	n->nhints[pi] = 0;
	return -1;
}

/* Is a mapping slot left: a freed one, or one never used? */
static int
map_room(const struct nat *n)
{
	return n->hdr->map_free != 0 || n->hdr->map_hi < NAT_MAX_MAPS;
}

static uint32_t
map_entry(struct nat *n)
{
	uint32_t	 i = n->hdr->map_free;

	if (i != 0 && i <= n->hdr->map_hi) {
		n->hdr->map_free = n->maps[i - 1].next;
		return i;
	}
	if (n->hdr->map_hi < NAT_MAX_MAPS)
		return ++n->hdr->map_hi;	/* never used: zero, untouched */
	return 0;
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

uint32_t
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

/*
 * Whether a packet may create a mapping: TCP only by a SYN (without ACK,
 * RST or FIN), so stray segments from the LAN allocate nothing.
 */
static int
may_create(struct nat *n, const struct pk *p)
{
	if (p->proto != IPPROTO_TCP ||
	    (p->tcpflags & (TH_SYN | TH_ACK | TH_RST | TH_FIN)) == TH_SYN)
		return 1;
	n->st.tcp_no_syn++;
	return 0;
}

/* Whether the device of client may hold one more mapping. */
static int
client_room(struct nat *n, uint32_t client)
{
	struct nat_client *c = &n->clients[client - 1];
	uint32_t	 maps;

	if (c->nmaps >= n->cf.per_client_max) {
		n->st.client_limit++;
		return 0;
	}
	if (c->has_mac) {
		mac_addrs(n, c->mac, &maps);
		if (maps >= n->cf.per_mac_max) {
			n->st.mac_limit++;
			return 0;
		}
	}
	return 1;
}

/*
 * The mapping of the packet's LAN endpoint (source), created on its
 * first packet out; the device's slot in *clientp.
 */
uint32_t
map_get_out(struct nat *n, const struct pk *p, uint32_t *clientp)
{
	struct nat_map	*m;
	uint32_t	 i, client;
	int		 pi = pidx(p->proto), wp, tries;

	*clientp = 0;
	if ((i = map_find(n, p->proto, p->src, p->sport)) != 0) {
		m = &n->maps[i - 1];
		if (n->mac != NULL && m->client != 0 &&
		    !client_bind(n, m->client, n->mac)) {
			n->st.mac_addrs++;
			return 0;
		}
		*clientp = m->client;
		m->last_out = m->last_seen = n->now;
		if (in_lru(m) && n->hdr->lru_tail != i) {
			lru_unlink(n, i);
			lru_append(n, i);
		}
		return i;
	}
	if (!may_create(n, p) || (client = client_from_lan(n, p->src)) == 0)
		return 0;
	if (!client_room(n, client)) {
		n->limited_src = p->src;
		return 0;
	}
	*clientp = client;
	for (tries = 0; tries < 2; tries++) {
		if (!map_room(n) && !evict_udp(n))
			break;
		if ((wp = port_alloc(n, pi, p->sport)) != -1)
			return map_insert(n, p->proto, p->src, p->sport,
			    (uint16_t)wp, 0, client);
		if (p->proto != IPPROTO_UDP || !evict_udp(n))
			break;
	}
	n->st.ports_exhausted++;
	return 0;
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
uint32_t
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

	if (i != 0 && i <= n->hdr->sess_hi)
		n->hdr->sess_free = n->sess[i - 1].next;
	else if (n->hdr->sess_hi < NAT_MAX_SESS)
		i = ++n->hdr->sess_hi;	/* never used: zero, untouched */
	else {
		n->st.sess_full++;
		return 0;
	}
	s = &n->sess[i - 1];
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
void
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
int
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
		i = n->sweep_pos++ % (NAT_MAX_MAPS + NAT_MAX_SESS +
		    NAT_MAX_CLIENTS);
		if (i >= NAT_MAX_MAPS + NAT_MAX_SESS) {
			i -= NAT_MAX_MAPS + NAT_MAX_SESS;
			if (i < n->hdr->nclients)
				client_free_idle(n, i + 1);
			continue;
		}
		if (i < NAT_MAX_SESS) {
			/* Above the mark: never written, not to be touched. */
			if (i >= n->hdr->sess_hi)
				continue;
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
		if (i >= n->hdr->map_hi)
			continue;
		m = &n->maps[i];
		if ((m->flags & MAP_USED) && map_expired(n, m)) {
			map_free(n, i + 1);
			n->st.maps_expired++;
		}
	}
}
