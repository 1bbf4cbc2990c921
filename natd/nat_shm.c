/*
 * The shared region: its layout (a versioned header, then the arrays), the
 * check that decides whether a restarted natd keeps what it finds, and
 * the rebuild of every index from the entries themselves. Also the
 * configuration, which attach keeps across a reset of the tables.
 */
#include "nat_impl.h"
#include "util.h"

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

static int
map_sane(const struct nat_map *m)
{
	if (pidx(m->proto) < 0 || m->wan_port < PORT_MIN)
		return (m->flags & MAP_FORWARD) && pidx(m->proto) >= 0 &&
		    m->wan_port != 0;
	return 1;
}

/*
 * Rebuilds every index from the entries below the high water marks, the
 * only ones ever written. The indexes of a fresh region are zero already:
 * clearing them would make every page of them resident for nothing. Those
 * of a kept region are punched out of the memfd (zero_shared), not
 * written: a memset made all 3.8 MB of them resident in every natd
 * restarted on kept tables; now the rebuild makes resident only the
 * buckets the live entries hash to.
 */
static void
rebuild(struct nat *n, int fresh)
{
	struct nat_shm	*h = n->hdr;
	struct nat_map	*m;
	struct nat_sess	*s;
	struct nat_client *c;
	struct nat_other *o;
	uint32_t	 i, b, *slot;

	if (!fresh) {
		zero_shared(n->map_hash, (size_t)NAT_MAP_BUCKETS * 4);
		zero_shared(n->rev, 3 * 65536 * 4);
		zero_shared(n->sess_hash, (size_t)NAT_SESS_BUCKETS * 4);
		zero_shared(n->client_hash, (size_t)NAT_CLIENT_BUCKETS * 4);
	}
	if (h->map_hi > NAT_MAX_MAPS)
		h->map_hi = NAT_MAX_MAPS;
	if (h->sess_hi > NAT_MAX_SESS)
		h->sess_hi = NAT_MAX_SESS;
	h->map_free = h->sess_free = 0;
	h->nmaps = h->nsess = 0;
	h->lru_head = h->lru_tail = 0;
	if (h->nclients > NAT_MAX_CLIENTS)
		h->nclients = NAT_MAX_CLIENTS;
	memset(n->mac_hash, 0, sizeof(n->mac_hash));
	n->client_free = n->nclients_live = 0;
	/* Backwards, so the free list hands out low slots first. */
	for (i = h->nclients; i-- > 0;) {
		c = &n->clients[i];
		c->nmaps = 0;
		if (!c->used || client_find(n, c->ip) != 0) {
			memset(c, 0, sizeof(*c));
			c->next = n->client_free;
			n->client_free = i + 1;
			continue;
		}
		b = client_bucket(n, c->ip);
		c->next = n->client_hash[b];
		n->client_hash[b] = i + 1;
		c->has_mac = c->has_mac != 0;
		if (c->has_mac)
			client_hash_mac(n, i + 1);
		n->nclients_live++;
	}
	/* Backwards, so the free list hands out low indices first. */
	for (i = h->map_hi; i-- > 0;) {
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
				if (m->client > h->nclients ||
				    (m->client != 0 &&
				    !n->clients[m->client - 1].used))
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
		if (o->client > h->nclients ||
		    (o->client != 0 && !n->clients[o->client - 1].used))
			o->client = 0;
	}
	/* LRU order: by last outbound use, approximately (insertion). */
	for (i = 0; i < h->map_hi; i++)
		if ((n->maps[i].flags & MAP_USED) && in_lru(&n->maps[i]))
			lru_append(n, i + 1);
	for (i = h->sess_hi; i-- > 0;) {
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

/* A header of zeros: a region nobody wrote (a new memfd is all zeros). */
static int
never_written(const struct nat_shm *h)
{
	static const struct nat_shm zero;

	return memcmp(h, &zero, sizeof(zero)) == 0;
}

int
nat_attach(struct nat *n, void *mem, size_t size, uint64_t seed)
{
	struct nat_shm	*h = mem, want;
	uint64_t	 resets = 0;
	int		 kept = 0, fresh = 0;
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
	else if (never_written(h))
		fresh = 1;
	else {
		/* Something else was here: count it, start afresh. */
		resets = (h->magic == want.magic ? h->resets : 0) + 1;
	}
	if (!kept) {
		/*
		 * natd writes the header before any entry, so behind a
		 * header of zeros is nothing: left as is, untouched.
		 */
		if (!fresh)
			zero_shared(mem, (size_t)want.size);
		*h = want;
		h->resets = resets;
		h->seed = seed;
	}
	set_pointers(n, mem);
	h->attaches++;
	rebuild(n, fresh);
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
	/* The local range or the web port may have moved: ports to scan. */
	memset(n->ports_full, 0, sizeof(n->ports_full));
	if (n->cf.per_client_max == 0)
		n->cf.per_client_max = 8192;
	if (n->cf.per_mac_max == 0)
		n->cf.per_mac_max = n->cf.per_client_max;
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
