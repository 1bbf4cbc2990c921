/*
 * The DHCP server's logic: lease table, reservations, address choice and
 * the answer to each message (RFC 2131 4.3, 2132, 3442, 4702).
 *
 * The table holds one entry per address that was ever given out or is
 * reserved, found by address, by client key and by hostname through
 * chained hashes. The pool's never-used addresses are a bitmap with a
 * cursor, so a new client costs O(1) until the pool is used up; only then
 * is the longest-expired entry searched for (a scan).
 */
#include <sys/types.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "server.h"
#include "util.h"

struct dhcp_server {
	struct dhcp_conf	 conf;
	struct dhcp_ops		 ops;
	uint32_t		 mask;		/* network order */
	uint32_t		 hstart, hend;	/* the pool, host order */
	uint32_t		 range;
	struct dhcp_lease	*leases;
	uint32_t		 nleases, cap;
	uint32_t		*h_ip, *h_key, *h_name;	/* heads: index+1 */
	uint32_t		*h_src;		/* leases by frame source */
	uint32_t		 hmask;
	uint8_t			*used;		/* pool bitmap: has an entry */
	uint8_t			*probed;	/* pool bitmap: ARP said free */
	uint8_t			*probing;	/* pool bitmap: probe running */
	uint32_t		*ready;		/* probed, free: a ring */
	int64_t			*ready_at;	/* when each was probed */
	uint32_t		 rhead, rcount;
	uint32_t		 nprobing;	/* bits set in probing */
	/* New addresses handed out this second and the last one: how many
	 * dhcp_probe_ahead() keeps probed in advance. */
	int64_t			 demand_sec;
	uint32_t		 demand_now, demand_prev;
	uint32_t		 unused, cursor;
	struct dhcp_resv	 resv[DHCP_MAX_RESV];
	int			 nresv;
	struct dhcp_stats	 st;
	int64_t			 full_logged;
	struct log_due		 mac_due;	/* dhcp-mac-limit refusals */

	/* The message being handled and who sent it. */
	struct dhcp_msg		 msg;
	uint8_t			 key[DHCP_KEY_MAX];
	size_t			 keylen;
	uint8_t			 mac[6];
	int			 has_mac;
	uint8_t			 frame_mac[6];	/* the frame's source */
	int			 has_frame;
};

/* ------------------------------------------------------------ hashing */

static uint32_t
hash_bytes(const void *p, size_t len)
{
	const uint8_t	*b = p;
	uint32_t	 h = 2166136261U;

	while (len--)
		h = (h ^ *b++) * 16777619U;
	return h;
}

static uint32_t
hash_ip(const struct dhcp_server *s, uint32_t ip)
{
	return (ntohl(ip) * 2654435761U) & s->hmask;
}

static uint32_t
hash_key(const struct dhcp_server *s, const uint8_t *key, size_t len)
{
	return hash_bytes(key, len) & s->hmask;
}

static uint32_t
hash_src(const struct dhcp_server *s, const uint8_t mac[6])
{
	return hash_bytes(mac, 6) & s->hmask;
}

static uint32_t
hash_name(const struct dhcp_server *s, const char *name)
{
	return hash_bytes(name, strlen(name)) & s->hmask;
}

static uint32_t *
next_of(struct dhcp_lease *e, size_t off)
{
	return (uint32_t *)((char *)e + off);
}

static void
chain_add(struct dhcp_server *s, uint32_t *heads, uint32_t h, uint32_t idx,
    size_t off)
{
	*next_of(&s->leases[idx], off) = heads[h];
	heads[h] = idx + 1;
}

static void
chain_del(struct dhcp_server *s, uint32_t *heads, uint32_t h, uint32_t idx,
    size_t off)
{
	uint32_t	*pp = &heads[h];

	while (*pp != 0) {
		if (*pp == idx + 1) {
			*pp = *next_of(&s->leases[idx], off);
			*next_of(&s->leases[idx], off) = 0;
			return;
		}
		pp = next_of(&s->leases[*pp - 1], off);
	}
}

#define OFF_IP		offsetof(struct dhcp_lease, next_ip)
#define OFF_KEY		offsetof(struct dhcp_lease, next_key)
#define OFF_NAME	offsetof(struct dhcp_lease, next_name)
#define OFF_SRC		offsetof(struct dhcp_lease, next_src)

static struct dhcp_lease *
find_ip(const struct dhcp_server *s, uint32_t ip)
{
	uint32_t	i;

	for (i = s->h_ip[hash_ip(s, ip)]; i != 0; i = s->leases[i - 1].next_ip)
		if (s->leases[i - 1].ip == ip)
			return &s->leases[i - 1];
	return NULL;
}

static struct dhcp_lease *
find_key(const struct dhcp_server *s, const uint8_t *key, size_t len)
{
	struct dhcp_lease *e;
	uint32_t	 i;

	for (i = s->h_key[hash_key(s, key, len)]; i != 0; i = e->next_key) {
		e = &s->leases[i - 1];
		if (e->keylen == len && memcmp(e->key, key, len) == 0)
			return e;
	}
	return NULL;
}

static struct dhcp_lease *
find_name(const struct dhcp_server *s, const char *name)
{
	struct dhcp_lease *e;
	uint32_t	 i;

	for (i = s->h_name[hash_name(s, name)]; i != 0; i = e->next_name) {
		e = &s->leases[i - 1];
		if (strcmp(e->hostname, name) == 0)
			return e;
	}
	return NULL;
}

static uint32_t
idx_of(const struct dhcp_server *s, const struct dhcp_lease *e)
{
	return (uint32_t)(e - s->leases);
}

/* ------------------------------------------------------------ addresses */

static int
in_pool(const struct dhcp_server *s, uint32_t ip)
{
	uint32_t	h = ntohl(ip);

	return h >= s->hstart && h <= s->hend;
}

/* A host address of the LAN that is not the router's own. */
static int
in_subnet(const struct dhcp_server *s, uint32_t ip)
{
	uint32_t	net = s->conf.server & s->mask;

	return (ip & s->mask) == net && ip != net && ip != (net | ~s->mask) &&
	    ip != s->conf.server;
}

static int
bit_get(const uint8_t *map, uint32_t i)
{
	return (map[i / 8] >> (i % 8)) & 1;
}

static void
bit_set(uint8_t *map, uint32_t i)
{
	map[i / 8] |= 1U << (i % 8);
}

static void
mark_used(struct dhcp_server *s, uint32_t ip)
{
	uint32_t	i;

	if (!in_pool(s, ip))
		return;
	i = ntohl(ip) - s->hstart;
	if (!bit_get(s->used, i)) {
		bit_set(s->used, i);
		s->unused--;
	}
}

static int
live(const struct dhcp_lease *e, int64_t now)
{
	return (e->state == LEASE_OFFERED || e->state == LEASE_BOUND ||
	    e->state == LEASE_DECLINED) && e->expires > now;
}

static int
is_ours(const struct dhcp_server *s, const struct dhcp_lease *e)
{
	return e->keylen == s->keylen && memcmp(e->key, s->key, s->keylen) == 0;
}

static struct dhcp_lease *
lease_new(struct dhcp_server *s, uint32_t ip)
{
	struct dhcp_lease *e;

	if (s->nleases == s->cap)
		return NULL;
	e = &s->leases[s->nleases];
	memset(e, 0, sizeof(*e));
	e->ip = ip;
	chain_add(s, s->h_ip, hash_ip(s, ip), s->nleases, OFF_IP);
	s->nleases++;
	mark_used(s, ip);
	return e;
}

static void
lease_set_key(struct dhcp_server *s, struct dhcp_lease *e, const uint8_t *key,
    size_t len)
{
	if (e->keylen != 0)
		chain_del(s, s->h_key, hash_key(s, e->key, e->keylen),
		    idx_of(s, e), OFF_KEY);
	e->keylen = (uint8_t)len;
	if (len != 0) {
		memcpy(e->key, key, len);
		chain_add(s, s->h_key, hash_key(s, key, len), idx_of(s, e),
		    OFF_KEY);
	}
}

/* Takes the name off dnsd and out of the name index. */
static void
name_drop(struct dhcp_server *s, struct dhcp_lease *e)
{
	if (!e->named)
		return;
	chain_del(s, s->h_name, hash_name(s, e->hostname), idx_of(s, e),
	    OFF_NAME);
	e->named = 0;
	if (s->ops.name_del != NULL)
		s->ops.name_del(e, s->ops.arg);
}

static void
persist(struct dhcp_server *s, const struct dhcp_lease *e)
{
	if (s->ops.persist != NULL)
		s->ops.persist(e, s->ops.arg);
}

/* ------------------------------------------------------------ reservations */

const struct dhcp_resv *
dhcp_resv_by_mac(const struct dhcp_server *s, const uint8_t mac[6])
{
	int	i;

	for (i = 0; i < s->nresv; i++)
		if (memcmp(s->resv[i].mac, mac, 6) == 0)
			return &s->resv[i];
	return NULL;
}

const struct dhcp_resv *
dhcp_resv_by_ip(const struct dhcp_server *s, uint32_t ip)
{
	int	i;

	for (i = 0; i < s->nresv; i++)
		if (s->resv[i].ip == ip)
			return &s->resv[i];
	return NULL;
}

static const struct dhcp_resv *
resv_by_name(const struct dhcp_server *s, const char *name)
{
	int	i;

	for (i = 0; i < s->nresv; i++)
		if (strcmp(s->resv[i].name, name) == 0)
			return &s->resv[i];
	return NULL;
}

int
dhcp_resv_add(struct dhcp_server *s, const uint8_t mac[6], uint32_t ip,
    const char *name, int from_config, char *err, size_t errlen)
{
	const struct dhcp_resv *o;
	struct dhcp_resv *r;
	char		 a[INET_ADDRSTRLEN], m[18], clean[CONF_MAX_HOSTNAME + 1];

	inet_ntop(AF_INET, &ip, a, sizeof(a));
	if (!in_subnet(s, ip)) {
		snprintf(err, errlen, "%s is not a host address of the LAN "
		    "(or is the router's own)", a);
		return -1;
	}
	if ((o = dhcp_resv_by_mac(s, mac)) != NULL) {
		snprintf(err, errlen, "%s is already reserved (%s)",
		    mac_str(mac, m, sizeof(m)), inet_ntop(AF_INET, &o->ip, a,
		    sizeof(a)));
		return -1;
	}
	if ((o = dhcp_resv_by_ip(s, ip)) != NULL) {
		snprintf(err, errlen, "%s is already reserved for %s", a,
		    mac_str(o->mac, m, sizeof(m)));
		return -1;
	}
	clean[0] = '\0';
	if (name != NULL && name[0] != '\0') {
		if (dhcp_clean_label((const uint8_t *)name, strlen(name), clean,
		    sizeof(clean)) == 0 || strcmp(clean, name) != 0) {
			snprintf(err, errlen, "\"%s\" is not a valid host name "
			    "(one DNS label: a-z, 0-9 and '-')", name);
			return -1;
		}
		if (resv_by_name(s, clean) != NULL) {
			snprintf(err, errlen, "the name %s is already reserved",
			    clean);
			return -1;
		}
	}
	if (s->nresv == DHCP_MAX_RESV) {
		snprintf(err, errlen, "too many reservations (%d)",
		    DHCP_MAX_RESV);
		return -1;
	}
	r = &s->resv[s->nresv++];
	memcpy(r->mac, mac, 6);
	r->ip = ip;
	r->from_config = from_config != 0;
	strlcpy(r->name, clean, sizeof(r->name));
	mark_used(s, ip);
	return 0;
}

int
dhcp_resv_del(struct dhcp_server *s, const uint8_t mac[6], char *err,
    size_t errlen)
{
	const struct dhcp_resv *r;
	char		 m[18];
	int		 i;

	if ((r = dhcp_resv_by_mac(s, mac)) == NULL) {
		snprintf(err, errlen, "%s has no reservation",
		    mac_str(mac, m, sizeof(m)));
		return -1;
	}
	if (r->from_config) {
		snprintf(err, errlen, "%s is reserved by a static-lease line of "
		    "the config file; remove it there", mac_str(mac, m,
		    sizeof(m)));
		return -1;
	}
	i = (int)(r - s->resv);
	memmove(&s->resv[i], &s->resv[i + 1],
	    (size_t)(s->nresv - i - 1) * sizeof(s->resv[0]));
	s->nresv--;
	return 0;
}

int
dhcp_resv_count(const struct dhcp_server *s)
{
	return s->nresv;
}

const struct dhcp_resv *
dhcp_resv_get(const struct dhcp_server *s, int i)
{
	return i >= 0 && i < s->nresv ? &s->resv[i] : NULL;
}

/* ------------------------------------------------------------ life cycle */

static uint32_t
pow2_above(uint32_t n)
{
	uint32_t	p = 16;

	while (p < n)
		p <<= 1;
	return p;
}

struct dhcp_server *
dhcp_server_new(const struct dhcp_conf *conf, const struct dhcp_ops *ops,
    char *err, size_t errlen)
{
	struct dhcp_server *s;
	uint32_t	 hsize, bytes;

	if (conf->prefix < 8 || conf->prefix > 30) {
		snprintf(err, errlen, "LAN prefix /%d cannot be served",
		    conf->prefix);
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->conf = *conf;
	if (ops != NULL)
		s->ops = *ops;
	s->mask = htonl(0xffffffffU << (32 - conf->prefix));
	s->hstart = ntohl(conf->start);
	s->hend = ntohl(conf->end);
	if (s->hstart > s->hend || s->hend - s->hstart >= DHCP_MAX_RANGE ||
	    (conf->start & s->mask) != (conf->server & s->mask) ||
	    (conf->end & s->mask) != (conf->server & s->mask)) {
		snprintf(err, errlen, "the DHCP range is empty, larger than "
		    "%d addresses or outside the LAN", DHCP_MAX_RANGE);
		free(s);
		return NULL;
	}
	s->range = s->hend - s->hstart + 1;
	s->unused = s->range;
	s->cap = s->range + DHCP_MAX_RESV;
	hsize = pow2_above(s->cap * 2);
	s->hmask = hsize - 1;
	bytes = (s->range + 7) / 8;
	s->leases = calloc(s->cap, sizeof(*s->leases));
	s->h_ip = calloc(hsize, sizeof(uint32_t));
	s->h_key = calloc(hsize, sizeof(uint32_t));
	s->h_name = calloc(hsize, sizeof(uint32_t));
	s->h_src = calloc(hsize, sizeof(uint32_t));
	s->used = calloc(bytes, 1);
	s->probed = calloc(bytes, 1);
	s->probing = calloc(bytes, 1);
	s->ready = calloc(DHCP_READY_MAX, sizeof(uint32_t));
	s->ready_at = calloc(DHCP_READY_MAX, sizeof(int64_t));
	if (s->probing == NULL || s->ready == NULL || s->ready_at == NULL ||
	    s->leases == NULL || s->h_ip == NULL || s->h_key == NULL ||
	    s->h_name == NULL || s->h_src == NULL || s->used == NULL ||
	    s->probed == NULL) {
		dhcp_server_free(s);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/* Never handed out: the network, broadcast and router addresses. */
	mark_used(s, conf->server);
	mark_used(s, conf->server & s->mask);
	mark_used(s, conf->server | ~s->mask);
	return s;
}

void
dhcp_server_free(struct dhcp_server *s)
{
	if (s == NULL)
		return;
	free(s->leases);
	free(s->h_ip);
	free(s->h_key);
	free(s->h_name);
	free(s->h_src);
	free(s->used);
	free(s->probed);
	free(s->probing);
	free(s->ready);
	free(s->ready_at);
	free(s);
}

const struct dhcp_conf *
dhcp_server_conf(const struct dhcp_server *s)
{
	return &s->conf;
}

const struct dhcp_stats *
dhcp_server_stats(const struct dhcp_server *s)
{
	return &s->st;
}

uint32_t
dhcp_pool_size(const struct dhcp_server *s)
{
	return s->range;
}

uint32_t
dhcp_pool_unused(const struct dhcp_server *s)
{
	return s->unused;
}

uint32_t
dhcp_lease_count(const struct dhcp_server *s)
{
	return s->nleases;
}

const char *
dhcp_lease_state(const struct dhcp_lease *e, int64_t now)
{
	switch (e->state) {
	case LEASE_OFFERED:
		return e->expires > now ? "offered" : "free";
	case LEASE_BOUND:
		return e->expires > now ? "bound" : "expired";
	case LEASE_RELEASED:
		return "released";
	case LEASE_DECLINED:
		return e->expires > now ? "declined" : "free";
	default:
		return "free";
	}
}

int
dhcp_lease_load(struct dhcp_server *s, const struct dhcp_lease *in)
{
	struct dhcp_lease *e;

	if (!in_subnet(s, in->ip) || (!in_pool(s, in->ip) &&
	    dhcp_resv_by_ip(s, in->ip) == NULL))
		return -1;
	if (in->keylen > DHCP_KEY_MAX || in->state > LEASE_DECLINED)
		return -1;
	if (find_ip(s, in->ip) != NULL ||
	    (in->keylen != 0 && find_key(s, in->key, in->keylen) != NULL))
		return -1;
	if ((e = lease_new(s, in->ip)) == NULL)
		return -1;
	e->state = in->state;
	memcpy(e->mac, in->mac, 6);
	memcpy(e->hostname, in->hostname, sizeof(e->hostname));
	e->hostname[sizeof(e->hostname) - 1] = '\0';
	e->expires = in->expires;
	e->first_seen = in->first_seen;
	e->last_seen = in->last_seen;
	lease_set_key(s, e, in->key, in->keylen);
	/* the frame source it counts against, if another host's */
	if (in->src_linked && memcmp(in->src, in->mac, 6) != 0) {
		memcpy(e->src, in->src, 6);
		chain_add(s, s->h_src, hash_src(s, e->src), idx_of(s, e),
		    OFF_SRC);
		e->src_linked = 1;
	}
	/* Names come back for the leases still bound; dnsd gets them in
	 * the sync that follows a start. */
	if (e->state == LEASE_BOUND && e->hostname[0] != '\0' &&
	    find_name(s, e->hostname) == NULL) {
		e->named = 1;
		chain_add(s, s->h_name, hash_name(s, e->hostname),
		    idx_of(s, e), OFF_NAME);
	}
	return 0;
}

void
dhcp_foreach_lease(const struct dhcp_server *s,
    void (*fn)(const struct dhcp_lease *, void *), void *arg)
{
	uint32_t	i;

	for (i = 0; i < s->nleases; i++)
		fn(&s->leases[i], arg);
}

void
dhcp_foreach_name(const struct dhcp_server *s,
    void (*fn)(const struct dhcp_lease *, void *), void *arg)
{
	uint32_t	i;

	for (i = 0; i < s->nleases; i++)
		if (s->leases[i].named)
			fn(&s->leases[i], arg);
}

void
dhcp_tick(struct dhcp_server *s, int64_t now)
{
	struct dhcp_lease *e;
	uint32_t	 i;

	for (i = 0; i < s->nleases; i++) {
		e = &s->leases[i];
		if (e->named && e->expires <= now)
			name_drop(s, e);
	}
}

/* ------------------------------------------------------------ choice */

/* Is the reservation's address free for its owner (the current client)? */
static int
resv_usable(const struct dhcp_server *s, const struct dhcp_resv *r,
    int64_t now)
{
	const struct dhcp_lease *e = find_ip(s, r->ip);

	return e == NULL || !live(e, now) || is_ours(s, e);
}

/* The current client's reservation when it can have it now. */
static const struct dhcp_resv *
my_resv(const struct dhcp_server *s, int64_t now)
{
	const struct dhcp_resv *r;

	if (!s->has_mac || (r = dhcp_resv_by_mac(s, s->mac)) == NULL)
		return NULL;
	return resv_usable(s, r, now) ? r : NULL;
}

/* May a dynamic client take ip? Not reserved for another, in the pool. */
static int
dynamic_ok(const struct dhcp_server *s, uint32_t ip)
{
	const struct dhcp_resv *r;

	if (!in_pool(s, ip) || !in_subnet(s, ip))
		return 0;
	r = dhcp_resv_by_ip(s, ip);
	return r == NULL || (s->has_mac && memcmp(r->mac, s->mac, 6) == 0);
}

/* Free for this client: nobody's record, or its own, or nobody's key. */
static int
free_for_me(const struct dhcp_server *s, uint32_t ip, int64_t now)
{
	const struct dhcp_lease *e = find_ip(s, ip);

	if (e == NULL || is_ours(s, e))
		return e == NULL || e->state != LEASE_DECLINED ||
		    e->expires <= now;
	return e->keylen == 0 && !live(e, now);
}

static void
demand_roll(struct dhcp_server *s, int64_t now)
{
	if (now != s->demand_sec) {
		s->demand_prev = now == s->demand_sec + 1 ? s->demand_now : 0;
		s->demand_now = 0;
		s->demand_sec = now;
	}
}

/* One more never-used address handed out (or asked for) now. */
static void
count_demand(struct dhcp_server *s, int64_t now)
{
	demand_roll(s, now);
	s->demand_now++;
}

static int
next_unused(struct dhcp_server *s, uint32_t *ip)
{
	uint32_t	n, i;

	for (n = 0; n < s->range && s->unused > 0; n++) {
		i = s->cursor;
		s->cursor = (s->cursor + 1) % s->range;
		/* Probed or being probed: the ready ring hands those out. */
		if (!bit_get(s->used, i) && !bit_get(s->probing, i) &&
		    !bit_get(s->probed, i) &&
		    dynamic_ok(s, htonl(s->hstart + i))) {
			*ip = htonl(s->hstart + i);
			return 0;
		}
	}
	return -1;
}

/* The pool's entry that expired longest ago and nobody reserved. */
static struct dhcp_lease *
longest_expired(struct dhcp_server *s, int64_t now)
{
	struct dhcp_lease *e, *best = NULL;
	uint32_t	 i;

	for (i = 0; i < s->nleases; i++) {
		e = &s->leases[i];
		if (live(e, now) || !dynamic_ok(s, e->ip))
			continue;
		if (best == NULL || e->expires < best->expires)
			best = e;
	}
	return best;
}

enum choice { CHOSEN, PROBE, FULL };

static void
set_probing(struct dhcp_server *s, uint32_t ip)
{
	bit_set(s->probing, ntohl(ip) - s->hstart);
	s->nprobing++;
}

static enum choice
start_probe(struct dhcp_server *s, uint32_t ip, int64_t now)
{
	set_probing(s, ip);
	count_demand(s, now);
	return PROBE;
}

static void
bit_clear(uint8_t *map, uint32_t i)
{
	map[i / 8] &= (uint8_t)~(1U << (i % 8));
}

/* Takes the oldest probed address off the ring. */
static uint32_t
ready_shift(struct dhcp_server *s, int64_t *at)
{
	uint32_t	a = s->ready[s->rhead];

	*at = s->ready_at[s->rhead];
	s->rhead = (s->rhead + 1) % DHCP_READY_MAX;
	s->rcount--;
	return a;
}

/*
 * An address that passed its probe recently and is still unused. One
 * probed too long ago is forgotten (probed again when its turn comes).
 */
static int
ready_pop(struct dhcp_server *s, int64_t now, uint32_t *ip)
{
	uint32_t	a;
	int64_t		at;

	while (s->rcount > 0) {
		a = ready_shift(s, &at);
		if (bit_get(s->used, ntohl(a) - s->hstart) ||
		    !dynamic_ok(s, a))
			continue;
		if (at + DHCP_PROBE_FRESH <= now) {
			bit_clear(s->probed, ntohl(a) - s->hstart);
			continue;
		}
		*ip = a;
		count_demand(s, now);
		return 0;
	}
	return -1;
}

static void
ready_push(struct dhcp_server *s, uint32_t ip, int64_t now)
{
	uint32_t	t;

	if (s->rcount == DHCP_READY_MAX) {
		/* Full: forgotten, so that next_unused() finds it again. */
		bit_clear(s->probed, ntohl(ip) - s->hstart);
		return;
	}
	t = (s->rhead + s->rcount) % DHCP_READY_MAX;
	s->ready[t] = ip;
	s->ready_at[t] = now;
	s->rcount++;
}

int
dhcp_probe_ahead(struct dhcp_server *s, int64_t now, uint32_t *ip)
{
	uint32_t	want, a;
	int64_t		at;

	if (!s->conf.probe)
		return -1;
	/* The oldest ready address is due for a fresh check. */
	while (s->rcount > 0 && s->ready_at[s->rhead] +
	    DHCP_PROBE_FRESH * 3 / 4 <= now) {
		a = ready_shift(s, &at);
		bit_clear(s->probed, ntohl(a) - s->hstart);
		if (bit_get(s->used, ntohl(a) - s->hstart) ||
		    !dynamic_ok(s, a))
			continue;
		set_probing(s, a);
		*ip = a;
		return 0;
	}
	demand_roll(s, now);
	want = DHCP_PROBE_MIN + s->demand_now + s->demand_prev;
	if (want > DHCP_READY_MAX / 2)
		want = DHCP_READY_MAX / 2;
	if (s->rcount + s->nprobing >= want || next_unused(s, ip) == -1)
		return -1;
	set_probing(s, *ip);
	return 0;
}

uint32_t
dhcp_probe_ready(const struct dhcp_server *s)
{
	return s->rcount;
}

static enum choice
choose_address(struct dhcp_server *s, uint32_t want, int64_t now,
    uint32_t *ip)
{
	const struct dhcp_resv *r;
	struct dhcp_lease *e;

	/* 1. a reservation; 2. the client's previous address. */
	if ((r = my_resv(s, now)) != NULL) {
		*ip = r->ip;
		return CHOSEN;
	}
	e = find_key(s, s->key, s->keylen);
	if (e != NULL && dynamic_ok(s, e->ip) && free_for_me(s, e->ip, now)) {
		*ip = e->ip;
		return CHOSEN;
	}
	/* 3. the address it asks for, if free (and not being probed for
	 * another client). */
	if (want != 0 && dynamic_ok(s, want) && free_for_me(s, want, now) &&
	    !bit_get(s->probing, ntohl(want) - s->hstart)) {
		*ip = want;
		/* Never used yet: probe it like any other first use. */
		if (find_ip(s, want) == NULL && s->conf.probe &&
		    !bit_get(s->probed, ntohl(want) - s->hstart))
			return start_probe(s, want, now);
		return CHOSEN;
	}
	/* 4. an address never used: probed already, else probe one; each
	 * waiting client probes its own. 5. the longest expired. */
	if (ready_pop(s, now, ip) == 0)
		return CHOSEN;
	if (next_unused(s, ip) == 0)
		return s->conf.probe ? start_probe(s, *ip, now) : CHOSEN;
	if ((e = longest_expired(s, now)) != NULL) {
		*ip = e->ip;
		return CHOSEN;
	}
	return FULL;
}

void
dhcp_probe_abandon(struct dhcp_server *s, uint32_t ip)
{
	uint32_t	 i;

	if (!in_pool(s, ip))
		return;
	i = ntohl(ip) - s->hstart;
	if (bit_get(s->probing, i)) {
		bit_clear(s->probing, i);
		s->nprobing--;
	}
}

void
dhcp_probe_done(struct dhcp_server *s, uint32_t ip, int conflict,
    int64_t now)
{
	struct dhcp_lease *e;
	char		 a[INET_ADDRSTRLEN];

	uint32_t	 i;

	if (!in_pool(s, ip))
		return;
	i = ntohl(ip) - s->hstart;
	if (!bit_get(s->probing, i)) {
		/* Not being probed: a second answer to a probe, or any ARP
		 * from a host on an address checked as free a while ago
		 * and not handed out yet: it is in use after all. */
		if (!conflict || !bit_get(s->probed, i) ||
		    bit_get(s->used, i))
			return;
		bit_clear(s->probed, i);
	} else {
		bit_clear(s->probing, i);
		s->nprobing--;
		bit_set(s->probed, i);
	}
	if (!conflict) {
		if (!bit_get(s->used, i))
			ready_push(s, ip, now);
		return;
	}
	if (find_ip(s, ip) != NULL)
		return;
	/* Somebody uses it without a lease: rest it like a DECLINE. */
	s->st.conflicts++;
	log_warnx("address %s is in use by a host without a lease; not "
	    "offered for %d s", inet_ntop(AF_INET, &ip, a, sizeof(a)),
	    DHCP_DECLINE_HOLD);
	if ((e = lease_new(s, ip)) != NULL) {
		e->state = LEASE_DECLINED;
		e->expires = now + DHCP_DECLINE_HOLD;
	}
}

/* ------------------------------------------------------------ names */

/* The name the current client should have, made unique; "" for none. */
static void
pick_name(struct dhcp_server *s, const struct dhcp_lease *self, char *out,
    size_t outlen)
{
	const struct dhcp_resv *r;
	const struct dhcp_lease *o;
	const uint8_t	*p;
	char		 base[CONF_MAX_HOSTNAME + 1];
	size_t		 l, bl;
	int		 n;

	out[0] = '\0';
	base[0] = '\0';
	if (s->has_mac && (r = dhcp_resv_by_mac(s, s->mac)) != NULL &&
	    r->name[0] != '\0')
		strlcpy(base, r->name, sizeof(base));
	else if ((p = dhcp_opt(&s->msg, OPT_FQDN, &l)) != NULL &&
	    dhcp_fqdn_label(p, l, base, sizeof(base)) > 0)
		;
	else if ((p = dhcp_opt(&s->msg, OPT_HOSTNAME, &l)) != NULL)
		dhcp_clean_label(p, l, base, sizeof(base));
	/* A client naming itself wpad would be every browser's proxy. */
	if (name_reserved(base))
		base[0] = '\0';
	if (base[0] == '\0')
		return;
	bl = strlen(base);
	for (n = 1; n < 100; n++) {
		if (n == 1)
			strlcpy(out, base, outlen);
		else {
			/* keep room for the suffix within 63 */
			if (bl > CONF_MAX_HOSTNAME - 3)
				bl = CONF_MAX_HOSTNAME - 3;
			snprintf(out, outlen, "%.*s-%d", (int)bl, base, n);
		}
		o = find_name(s, out);
		r = resv_by_name(s, out);
		if ((o == NULL || o == self) && (r == NULL || (s->has_mac &&
		    memcmp(r->mac, s->mac, 6) == 0)))
			return;
	}
	out[0] = '\0';
}

static void
name_set(struct dhcp_server *s, struct dhcp_lease *e, const char *name)
{
	if (e->named && strcmp(e->hostname, name) != 0)
		name_drop(s, e);
	strlcpy(e->hostname, name, sizeof(e->hostname));
	if (name[0] == '\0')
		return;
	if (!e->named) {
		e->named = 1;
		chain_add(s, s->h_name, hash_name(s, name), idx_of(s, e),
		    OFF_NAME);
	}
	/* Sent again on every ACK: dnsd learns the new expiry. */
	if (s->ops.name_add != NULL)
		s->ops.name_add(e, s->ops.arg);
}

/* ------------------------------------------------------------ frame source */

/*
 * dhcp-mac-limit. A host that invents chaddrs still sends its frames
 * from its own MAC: the leases it gets for chaddrs other than that MAC
 * are counted per frame source, and past the limit it gets no new one.
 * A client whose chaddr is the frame's source is never limited, nor one
 * with a reservation (the admin named it). Leases counted are on the
 * chain of their source's hash; those that stop being live are dropped
 * from it as the chain is walked.
 */

/* Does the current message get a lease for somebody else's MAC? */
static int
src_foreign(const struct dhcp_server *s)
{
	if (!s->has_frame)
		return 0;
	if (s->has_mac && (memcmp(s->mac, s->frame_mac, 6) == 0 ||
	    dhcp_resv_by_mac(s, s->mac) != NULL))
		return 0;
	return 1;
}

uint32_t
dhcp_src_leases(struct dhcp_server *s, const uint8_t mac[6], int64_t now)
{
	struct dhcp_lease *e;
	uint32_t	*pp = &s->h_src[hash_src(s, mac)], n = 0;

	while (*pp != 0) {
		e = &s->leases[*pp - 1];
		if (!live(e, now)) {
			*pp = e->next_src;
			e->next_src = 0;
			e->src_linked = 0;
			continue;
		}
		if (memcmp(e->src, mac, 6) == 0)
			n++;
		pp = &e->next_src;
	}
	return n;
}

/* e now belongs to the current client: counted for its frame's source
 * when that is not the client's own MAC. */
static void
src_track(struct dhcp_server *s, struct dhcp_lease *e)
{
	if (e->src_linked) {
		chain_del(s, s->h_src, hash_src(s, e->src), idx_of(s, e),
		    OFF_SRC);
		e->src_linked = 0;
	}
	memcpy(e->src, s->frame_mac, 6);
	if (src_foreign(s)) {
		chain_add(s, s->h_src, hash_src(s, e->src), idx_of(s, e),
		    OFF_SRC);
		e->src_linked = 1;
	}
}

/*
 * May the current message take a lease? Not when its frame's source
 * holds mac_limit leases for other MACs already, unless the client's
 * own live lease came from that source (a renewal, the REQUEST after our
 * OFFER). Refusals are counted, and logged at most once a minute.
 */
static int
src_may_take(struct dhcp_server *s, int64_t now)
{
	const struct dhcp_lease *e;
	uint64_t	 k;
	char		 m[18];

	if (s->conf.mac_limit == 0 || !src_foreign(s))
		return 1;
	e = find_key(s, s->key, s->keylen);
	if (e != NULL && live(e, now) && e->src_linked &&
	    memcmp(e->src, s->frame_mac, 6) == 0)
		return 1;
	if (dhcp_src_leases(s, s->frame_mac, now) < s->conf.mac_limit)
		return 1;
	s->st.mac_limit++;
	if ((k = log_due(&s->mac_due, s->st.mac_limit, (uint64_t)now,
	    60)) > 0)
		log_warnx("%s holds %u leases for other hardware addresses "
		    "(dhcp-mac-limit): %llu request(s) for more refused",
		    mac_str(s->frame_mac, m, sizeof(m)), s->conf.mac_limit,
		    (unsigned long long)k);
	return 0;
}

/* ------------------------------------------------------------ leases */

/*
 * Gives ip to the current client: the entry changes hands if it must,
 * and a previous entry of the client's elsewhere lets go of its key.
 */
static struct dhcp_lease *
take(struct dhcp_server *s, uint32_t ip, int64_t now)
{
	struct dhcp_lease *e, *old;
	int64_t		 first = now;

	old = find_key(s, s->key, s->keylen);
	if ((e = find_ip(s, ip)) == NULL && (e = lease_new(s, ip)) == NULL)
		return NULL;
	if (old != NULL && old != e) {
		first = old->first_seen;
		name_drop(s, old);
		lease_set_key(s, old, NULL, 0);
		old->state = LEASE_FREE;
		persist(s, old);
	}
	if (!is_ours(s, e)) {
		name_drop(s, e);
		lease_set_key(s, e, s->key, s->keylen);
		e->first_seen = old != NULL ? first : now;
		/* the previous holder's name is not this client's */
		if (old != NULL)
			memcpy(e->sent_name, old->sent_name,
			    sizeof(e->sent_name));
		else
			e->sent_name[0] = '\0';
	}
	if (e->first_seen == 0)
		e->first_seen = now;
	if (s->has_mac)
		memcpy(e->mac, s->mac, 6);
	e->last_seen = now;
	src_track(s, e);
	return e;
}

/*
 * The lease time for e: short until the client comes back for it, so
 * that addresses bound by made-up clients (one host binding the pool
 * with invented MACs) return within DHCP_FIRST_LEASE unless each keeps
 * renewing; a real client renews at T1 and gets the full time. Coming
 * back is renewing a live lease held for a quarter of a first lease at
 * least (T1 is half of it; a client may count it from its REQUEST): a
 * REQUEST sent again at once does not count. Leases read from the
 * database were held before the start (bound_at 0).
 */
static uint32_t
lease_for(const struct dhcp_server *s, const struct dhcp_lease *e,
    int64_t now)
{
	if (e->state == LEASE_BOUND && e->expires > now &&
	    now - e->bound_at >= DHCP_FIRST_LEASE / 4)
		return s->conf.lease_time;
	return s->conf.lease_time < DHCP_FIRST_LEASE ? s->conf.lease_time :
	    DHCP_FIRST_LEASE;
}

/* The host name option as sent, whatever its bytes: the dashboard
 * shows it as text (a client that sends none keeps its last). */
static void
keep_sent_name(struct dhcp_server *s, struct dhcp_lease *e)
{
	const uint8_t	*p;
	size_t		 l;

	if ((p = dhcp_opt(&s->msg, OPT_HOSTNAME, &l)) == NULL || l == 0)
		return;
	if (l > sizeof(e->sent_name) - 1)
		l = sizeof(e->sent_name) - 1;
	memcpy(e->sent_name, p, l);
	e->sent_name[l] = '\0';
}

static void
bind_lease(struct dhcp_server *s, struct dhcp_lease *e, int64_t now)
{
	char		name[CONF_MAX_HOSTNAME + 1];
	uint32_t	t = lease_for(s, e, now);

	if (e->state != LEASE_BOUND || e->expires <= now)
		e->bound_at = now;
	e->expires = now + t;
	e->state = LEASE_BOUND;
	keep_sent_name(s, e);
	pick_name(s, e, name, sizeof(name));
	name_set(s, e, name);
	persist(s, e);
}

/* ------------------------------------------------------------ replies */

struct optctx {
	uint32_t	 lease_time;	/* 0: none (INFORM, NAK) */
	const char	*hostname;	/* NULL: none */
};

static int
add_classless(struct dhcp_server *s, struct dhcp_build *b)
{
	const struct dhcp_route *rt;
	uint8_t		 buf[DHCP_MAX_ROUTES * 9 + 9];
	size_t		 n = 0, sig;
	int		 i;

	for (i = 0; i < s->conf.nroutes; i++) {
		rt = &s->conf.routes[i];
		sig = (rt->plen + 7) / 8;
		buf[n++] = rt->plen;
		memcpy(buf + n, &rt->dst, sig);
		n += sig;
		memcpy(buf + n, &rt->gw, 4);
		n += 4;
	}
	/* A client that takes 121 ignores option 3 (RFC 3442): the
	 * default route goes in here too, unless one is configured. */
	for (i = 0; i < s->conf.nroutes; i++)
		if (s->conf.routes[i].plen == 0)
			break;
	if (i == s->conf.nroutes) {
		buf[n++] = 0;
		memcpy(buf + n, &s->conf.server, 4);
		n += 4;
	}
	return dhcp_build_opt(b, OPT_CLASSLESS, buf, n);
}

static int
add_fqdn(struct dhcp_server *s, struct dhcp_build *b, const char *host)
{
	const uint8_t	*p;
	uint8_t		 buf[3 + CONF_MAX_HOSTNAME + CONF_MAX_DOMAIN + 4];
	char		 fqdn[CONF_MAX_HOSTNAME + CONF_MAX_DOMAIN + 2];
	size_t		 l, n;

	if ((p = dhcp_opt(&s->msg, OPT_FQDN, &l)) == NULL || host == NULL ||
	    host[0] == '\0')
		return 0;
	/* S: we update DNS; O: we overrode a client that wanted to. */
	buf[0] = (p[0] & 0x04) | 0x01 | ((p[0] & 0x01) ? 0 : 0x02);
	buf[1] = buf[2] = 255;
	snprintf(fqdn, sizeof(fqdn), "%s.%s", host, s->conf.domain);
	if (p[0] & 0x04) {
		if ((n = dns_name_encode(fqdn, buf + 3, sizeof(buf) - 3)) == 0)
			return 0;
	} else {
		n = strlen(fqdn);
		memcpy(buf + 3, fqdn, n);
	}
	return dhcp_build_opt(b, OPT_FQDN, buf, 3 + n);
}

/* Appends option code if we have it; -1 only when it does not fit. */
static int
add_option(struct dhcp_server *s, struct dhcp_build *b, int code,
    const struct optctx *c)
{
	uint32_t	 v, net;
	uint16_t	 mtu;
	uint8_t		 name[CONF_MAX_DOMAIN + 2];
	size_t		 n;

	switch (code) {
	case OPT_SUBNET_MASK:
		return dhcp_build_opt(b, code, &s->mask, 4);
	case OPT_ROUTER:
	case OPT_DNS:
		return dhcp_build_opt(b, code, &s->conf.server, 4);
	case OPT_HOSTNAME:
		if (c->hostname == NULL || c->hostname[0] == '\0')
			return 0;
		return dhcp_build_opt(b, code, c->hostname,
		    strlen(c->hostname));
	case OPT_DOMAIN:
		return dhcp_build_opt(b, code, s->conf.domain,
		    strlen(s->conf.domain));
	case OPT_MTU:
		if (s->conf.mtu == 0)
			return 0;
		mtu = htons(s->conf.mtu);
		return dhcp_build_opt(b, code, &mtu, 2);
	case OPT_BROADCAST:
		net = s->conf.server | ~s->mask;
		return dhcp_build_opt(b, code, &net, 4);
	case OPT_NTP:
		if (s->conf.nntp == 0)
			return 0;
		return dhcp_build_opt(b, code, s->conf.ntp,
		    4 * (size_t)s->conf.nntp);
	case OPT_LEASE_TIME:
	case OPT_T1:
	case OPT_T2:
		if (c->lease_time == 0)
			return 0;
		v = c->lease_time;
		if (code == OPT_T1)
			v /= 2;
		else if (code == OPT_T2)
			v = (uint32_t)((uint64_t)v * 7 / 8);
		v = htonl(v);
		return dhcp_build_opt(b, code, &v, 4);
	case OPT_SEARCH:
		if ((n = dns_name_encode(s->conf.domain, name,
		    sizeof(name))) == 0)
			return 0;
		return dhcp_build_opt(b, code, name, n);
	case OPT_CLASSLESS:
		if (s->conf.nroutes == 0)
			return 0;
		return add_classless(s, b);
	case OPT_FQDN:
		return add_fqdn(s, b, c->hostname);
	default:
		return 0;
	}
}

static void
mark_sent(uint8_t *sent, int code)
{
	sent[code / 8] |= 1U << (code % 8);
}

static int
was_sent(const uint8_t *sent, int code)
{
	return (sent[code / 8] >> (code % 8)) & 1;
}

/*
 * The options of an OFFER or ACK: the required ones, then the client's
 * Parameter Request List in its order, then the basics a client without
 * a list needs. What does not fit the client's maximum is left out.
 */
static void
add_options(struct dhcp_server *s, struct dhcp_build *b,
    const struct optctx *c)
{
	static const uint8_t	 first[] = { OPT_SERVER_ID, OPT_LEASE_TIME,
	    OPT_T1, OPT_T2 };
	static const uint8_t	 basics[] = { OPT_SUBNET_MASK, OPT_ROUTER,
	    OPT_DNS, OPT_DOMAIN, OPT_BROADCAST };
	const uint8_t		*prl;
	uint8_t			 sent[32];
	size_t			 i, l = 0;

	memset(sent, 0, sizeof(sent));
	for (i = 0; i < sizeof(first); i++) {
		if (first[i] == OPT_SERVER_ID)
			(void)dhcp_build_opt(b, OPT_SERVER_ID, &s->conf.server,
			    4);
		else
			(void)add_option(s, b, first[i], c);
		mark_sent(sent, first[i]);
	}
	mark_sent(sent, OPT_MSGTYPE);
	prl = dhcp_opt(&s->msg, OPT_PRL, &l);
	for (i = 0; prl != NULL && i < l; i++) {
		if (was_sent(sent, prl[i]))
			continue;
		mark_sent(sent, prl[i]);
		(void)add_option(s, b, prl[i], c);
	}
	for (i = 0; i < sizeof(basics); i++)
		if (!was_sent(sent, basics[i]))
			(void)add_option(s, b, basics[i], c);
	/* An FQDN asked for by sending one, not by the list (RFC 4702). */
	if (!was_sent(sent, OPT_FQDN))
		(void)add_option(s, b, OPT_FQDN, c);
}

/* How large a reply this client takes (option 57, at least 576). */
static size_t
reply_max(const struct dhcp_server *s)
{
	const uint8_t	*p;
	size_t		 l, v = DHCP_DEFAULT_MAX;

	if ((p = dhcp_opt(&s->msg, OPT_MAX_SIZE, &l)) != NULL && l == 2) {
		v = (size_t)p[0] << 8 | p[1];
		if (v < DHCP_DEFAULT_MAX)
			v = DHCP_DEFAULT_MAX;
	}
	if (v > 1500)
		v = 1500;
	return v - DHCP_IPUDP_LEN;
}

static void
put_addr(uint8_t *buf, size_t off, uint32_t a)
{
	memcpy(buf + off, &a, 4);
}

/* RFC 2131 4.1: where a reply goes. */
static void
set_dest(struct dhcp_server *s, struct dhcp_reply *r, int type,
    uint32_t yiaddr, const struct dhcp_rx *rx)
{
	const struct dhcp_hdr *h = &s->msg.h;
	uint16_t	 flags;

	if (h->giaddr != 0) {
		r->dest = DEST_RELAY;
		r->ip = h->giaddr;
		if (type == DHCPNAK) {
			flags = htons(DHCP_FLAG_BROADCAST);
			memcpy(r->buf + offsetof(struct dhcp_hdr, flags),
			    &flags, 2);
		}
	} else if (type == DHCPNAK)
		r->dest = DEST_BROADCAST;
	else if (h->ciaddr != 0) {
		r->dest = DEST_CLIENT;
		r->ip = h->ciaddr;
	} else if (s->msg.type == DHCPINFORM && rx->src != 0) {
		r->dest = DEST_CLIENT;
		r->ip = rx->src;
	} else if ((ntohs(h->flags) & DHCP_FLAG_BROADCAST) ||
	    h->htype != 1 || h->hlen != 6 || yiaddr == 0)
		r->dest = DEST_BROADCAST;
	else {
		r->dest = DEST_HWADDR;
		r->ip = yiaddr;
		memcpy(r->hwaddr, h->chaddr, 6);
	}
}

static enum dhcp_result
reply(struct dhcp_server *s, int type, const struct dhcp_lease *e,
    const struct dhcp_rx *rx, struct dhcp_reply *r)
{
	struct dhcp_build b;
	struct optctx	 c;
	uint32_t	 yiaddr = 0;

	dhcp_build_init(&b, r->buf, reply_max(s), &s->msg.h, type);
	memset(&c, 0, sizeof(c));
	if (type == DHCPNAK) {
		(void)dhcp_build_opt(&b, OPT_SERVER_ID, &s->conf.server, 4);
	} else {
		if (e != NULL) {
			yiaddr = e->ip;
			/* an ACK: what bind_lease() just gave */
			c.lease_time = type == DHCPACK && e->expires > rx->now ?
			    (uint32_t)(e->expires - rx->now) :
			    lease_for(s, e, rx->now);
			c.hostname = e->hostname;
		}
		if (type == DHCPACK && s->msg.h.ciaddr != 0)
			put_addr(r->buf, offsetof(struct dhcp_hdr, ciaddr),
			    s->msg.h.ciaddr);
		put_addr(r->buf, offsetof(struct dhcp_hdr, yiaddr), yiaddr);
		add_options(s, &b, &c);
	}
	r->len = dhcp_build_finish(&b);
	r->durable = type == DHCPACK && c.lease_time != 0;
	set_dest(s, r, type, yiaddr, rx);
	if (type == DHCPOFFER)
		s->st.offers++;
	else if (type == DHCPACK)
		s->st.acks++;
	else
		s->st.naks++;
	return DHCP_R_REPLY;
}

/* ------------------------------------------------------------ messages */

static enum dhcp_result
on_discover(struct dhcp_server *s, const struct dhcp_rx *rx,
    struct dhcp_reply *r)
{
	struct dhcp_lease *e;
	uint32_t	 ip;
	char		 m[18];

	if (!src_may_take(s, rx->now))
		return DHCP_R_SILENT;
	switch (choose_address(s, dhcp_opt_addr(&s->msg, OPT_REQUESTED_IP),
	    rx->now, &ip)) {
	case PROBE:
		s->st.probes++;
		r->dest = DEST_NONE;
		r->ip = ip;
		return DHCP_R_PROBE;
	case FULL:
		s->st.pool_full++;
		if (rx->now - s->full_logged >= 60) {
			s->full_logged = rx->now;
			log_warnx("pool full: no address to offer %s (%u "
			    "addresses, all leased, none expired)",
			    mac_str(s->msg.h.chaddr, m, sizeof(m)), s->range);
		}
		return DHCP_R_SILENT;
	case CHOSEN:
		break;
	}
	if ((e = take(s, ip, rx->now)) == NULL)
		return DHCP_R_SILENT;
	/* A bound lease stays bound (the client may be re-discovering). */
	if (e->state != LEASE_BOUND || e->expires <= rx->now) {
		e->state = LEASE_OFFERED;
		e->expires = rx->now + DHCP_OFFER_HOLD;
	}
	return reply(s, DHCPOFFER, e, rx, r);
}

/*
 * May the current client have ip? 1 yes, 0 no (NAK). Refused: another
 * LAN, somebody else's reservation or live lease, outside the pool, or
 * the client has a reservation elsewhere.
 */
static int
may_have(struct dhcp_server *s, uint32_t ip, int64_t now)
{
	const struct dhcp_resv *r;
	const struct dhcp_lease *e;

	if (!in_subnet(s, ip))
		return 0;
	if ((r = my_resv(s, now)) != NULL)
		return r->ip == ip;
	if (!dynamic_ok(s, ip))
		return 0;
	if ((e = find_ip(s, ip)) == NULL)
		return 1;
	if (is_ours(s, e))
		return e->state != LEASE_DECLINED || e->expires <= now;
	return e->keylen == 0 && !live(e, now);
}

static enum dhcp_result
ack_or_nak(struct dhcp_server *s, uint32_t ip, const struct dhcp_rx *rx,
    struct dhcp_reply *r)
{
	struct dhcp_lease *e;

	if (!may_have(s, ip, rx->now))
		return reply(s, DHCPNAK, NULL, rx, r);
	if (!src_may_take(s, rx->now))
		return DHCP_R_SILENT;
	if ((e = take(s, ip, rx->now)) == NULL)
		return reply(s, DHCPNAK, NULL, rx, r);
	bind_lease(s, e, rx->now);
	return reply(s, DHCPACK, e, rx, r);
}

static enum dhcp_result
on_request(struct dhcp_server *s, const struct dhcp_rx *rx,
    struct dhcp_reply *r)
{
	struct dhcp_lease *e;
	uint32_t	 sid, want, ciaddr = s->msg.h.ciaddr;

	sid = dhcp_opt_addr(&s->msg, OPT_SERVER_ID);
	want = dhcp_opt_addr(&s->msg, OPT_REQUESTED_IP);
	if (sid != 0) {
		/* SELECTING: our offer, or another server's. */
		if (sid != s->conf.server) {
			s->st.other_server++;
			e = find_key(s, s->key, s->keylen);
			if (e != NULL && e->state == LEASE_OFFERED)
				e->expires = rx->now;
			return DHCP_R_SILENT;
		}
		if (want == 0)
			want = ciaddr;
		if (want == 0) {
			s->st.drop_no_address++;
			return DHCP_R_DROP;
		}
		return ack_or_nak(s, want, rx, r);
	}
	if (want != 0 && ciaddr == 0) {
		/* INIT-REBOOT: NAK a wrong network; silence for a client we
		 * have no record of (RFC 2131 4.3.2). */
		if (!in_subnet(s, want))
			return reply(s, DHCPNAK, NULL, rx, r);
		e = find_key(s, s->key, s->keylen);
		if (e == NULL &&
		    (!s->has_mac || dhcp_resv_by_mac(s, s->mac) == NULL)) {
			s->st.unknown_client++;
			return DHCP_R_SILENT;
		}
		/* Its record names another address: it must start over. */
		if (e != NULL && e->ip != want && my_resv(s, rx->now) == NULL)
			return reply(s, DHCPNAK, NULL, rx, r);
		return ack_or_nak(s, want, rx, r);
	}
	if (ciaddr != 0)		/* RENEWING (unicast), REBINDING */
		return ack_or_nak(s, ciaddr, rx, r);
	s->st.drop_no_address++;
	return DHCP_R_DROP;
}

/* The lease a DECLINE or RELEASE is about, if it is this client's. */
static struct dhcp_lease *
own_lease(struct dhcp_server *s, uint32_t ip)
{
	struct dhcp_lease *e;
	uint32_t	 sid = dhcp_opt_addr(&s->msg, OPT_SERVER_ID);

	if ((sid != 0 && sid != s->conf.server) || ip == 0 ||
	    (e = find_ip(s, ip)) == NULL || !is_ours(s, e) ||
	    (e->state != LEASE_BOUND && e->state != LEASE_OFFERED)) {
		s->st.release_unknown++;
		return NULL;
	}
	return e;
}

static enum dhcp_result
on_decline(struct dhcp_server *s, const struct dhcp_rx *rx)
{
	struct dhcp_lease *e;
	char		 a[INET_ADDRSTRLEN], m[18];
	uint32_t	 ip = dhcp_opt_addr(&s->msg, OPT_REQUESTED_IP);

	if ((e = own_lease(s, ip)) == NULL)
		return DHCP_R_SILENT;
	s->st.declines++;
	log_warnx("%s declined %s: another host uses it; not offered for "
	    "%d s", mac_str(s->msg.h.chaddr, m, sizeof(m)),
	    inet_ntop(AF_INET, &ip, a, sizeof(a)), DHCP_DECLINE_HOLD);
	name_drop(s, e);
	lease_set_key(s, e, NULL, 0);
	e->state = LEASE_DECLINED;
	e->expires = rx->now + DHCP_DECLINE_HOLD;
	persist(s, e);
	return DHCP_R_SILENT;
}

static enum dhcp_result
on_release(struct dhcp_server *s, const struct dhcp_rx *rx)
{
	struct dhcp_lease *e;

	if ((e = own_lease(s, s->msg.h.ciaddr)) == NULL)
		return DHCP_R_SILENT;
	/* The client keeps its claim: it gets this address back next time
	 * unless the pool runs out. */
	name_drop(s, e);
	e->state = LEASE_RELEASED;
	e->expires = rx->now;
	e->last_seen = rx->now;
	persist(s, e);
	return DHCP_R_SILENT;
}

static enum dhcp_result
on_inform(struct dhcp_server *s, const struct dhcp_rx *rx,
    struct dhcp_reply *r)
{
	struct dhcp_lease *e;

	if (s->msg.h.ciaddr == 0 && rx->src == 0) {
		s->st.drop_no_address++;
		return DHCP_R_DROP;
	}
	if ((e = find_key(s, s->key, s->keylen)) != NULL)
		e->last_seen = rx->now;
	return reply(s, DHCPACK, NULL, rx, r);
}

/* The lease key: option 61 when present, else htype and chaddr. */
static void
client_key(struct dhcp_server *s)
{
	const uint8_t	*p;
	size_t		 l;

	if ((p = dhcp_opt(&s->msg, OPT_CLIENT_ID, &l)) != NULL) {
		memcpy(s->key, p, l);
		s->keylen = l;
	} else {
		s->key[0] = s->msg.h.htype;
		memcpy(s->key + 1, s->msg.h.chaddr, s->msg.h.hlen);
		s->keylen = 1 + (size_t)s->msg.h.hlen;
	}
	s->has_mac = s->msg.h.htype == 1 && s->msg.h.hlen == 6;
	memset(s->mac, 0, sizeof(s->mac));
	if (s->has_mac)
		memcpy(s->mac, s->msg.h.chaddr, 6);
}

static void
frame_source(struct dhcp_server *s, const struct dhcp_rx *rx)
{
	s->has_frame = rx->has_frame_mac != 0;
	memset(s->frame_mac, 0, sizeof(s->frame_mac));
	if (s->has_frame)
		memcpy(s->frame_mac, rx->frame_mac, 6);
}

enum dhcp_result
dhcp_handle(struct dhcp_server *s, const uint8_t *buf, size_t len,
    const struct dhcp_rx *rx, struct dhcp_reply *r)
{
	enum dhcp_err	 e;

	r->dest = DEST_NONE;
	r->len = 0;
	if ((e = dhcp_parse(buf, len, &s->msg)) != DHCP_OK) {
		s->st.drop[e]++;
		return DHCP_R_DROP;
	}
	/* Without a client id, chaddr is the only name a client has. */
	if (s->msg.h.hlen == 0 &&
	    dhcp_opt(&s->msg, OPT_CLIENT_ID, &(size_t){ 0 }) == NULL) {
		s->st.drop[DHCP_ERR_HLEN]++;
		return DHCP_R_DROP;
	}
	if (!rx->retry)
		s->st.rx[s->msg.type]++;
	client_key(s);
	frame_source(s, rx);
	switch (s->msg.type) {
	case DHCPDISCOVER:
		return on_discover(s, rx, r);
	case DHCPREQUEST:
		return on_request(s, rx, r);
	case DHCPDECLINE:
		return on_decline(s, rx);
	case DHCPRELEASE:
		return on_release(s, rx);
	case DHCPINFORM:
		return on_inform(s, rx, r);
	}
	return DHCP_R_DROP;	/* dhcp_parse admits no other type */
}
