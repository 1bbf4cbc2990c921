/*
 * (client, remote address) -> name, from dnsd's observations. See names.h.
 * A hash of chains over a fixed array, and a doubly linked LRU list
 * through the same entries; both by index, so the table is one block.
 */
#include <arpa/inet.h>

#include <string.h>

#include "names.h"
#include "util.h"

static uint32_t
hash(struct in_addr client, int family, const uint8_t *addr)
{
	uint32_t h = 2166136261U;
	size_t	 i, n = family == 4 ? 4 : 16;

	for (i = 0; i < 4; i++)
		h = (h ^ ((const uint8_t *)&client.s_addr)[i]) * 16777619U;
	h = (h ^ (uint32_t)family) * 16777619U;
	for (i = 0; i < n; i++)
		h = (h ^ addr[i]) * 16777619U;
	return h & (NAMES_BUCKETS - 1);
}

void
names_init(struct names *n)
{
	int32_t	 i;

	/* The entries stay untouched (unresident) until first used. */
	zero_lazily(n, sizeof(*n));
	for (i = 0; i < NAMES_BUCKETS; i++)
		n->bucket[i] = -1;
	n->free = -1;
	n->unused = 0;
	n->ptr_tokens = NAMES_PTR_BURST;
	n->head = n->tail = -1;
}

static void
lru_unlink(struct names *n, int32_t i)
{
	struct names_entry *e = &n->e[i];

	if (e->prev != -1)
		n->e[e->prev].next = e->next;
	else
		n->head = e->next;
	if (e->next != -1)
		n->e[e->next].prev = e->prev;
	else
		n->tail = e->prev;
}

static void
lru_push(struct names *n, int32_t i)
{
	struct names_entry *e = &n->e[i];

	e->prev = -1;
	e->next = n->head;
	if (n->head != -1)
		n->e[n->head].prev = i;
	n->head = i;
	if (n->tail == -1)
		n->tail = i;
}

static int32_t
find(const struct names *n, uint32_t h, struct in_addr client, int family,
    const uint8_t *addr)
{
	int32_t	 i;
	size_t	 alen = family == 4 ? 4 : 16;

	for (i = n->bucket[h]; i != -1; i = n->e[i].hnext)
		if (n->e[i].client.s_addr == client.s_addr &&
		    n->e[i].family == family &&
		    memcmp(n->e[i].addr, addr, alen) == 0)
			return i;
	return -1;
}

/* Takes entry i out of its chain and the list, onto the free list. */
static void
drop(struct names *n, int32_t i)
{
	struct names_entry *e = &n->e[i];
	int32_t	*pp;

	pp = &n->bucket[hash(e->client, e->family, e->addr)];
	while (*pp != i)
		pp = &n->e[*pp].hnext;
	*pp = e->hnext;
	lru_unlink(n, i);
	memset(e, 0, sizeof(*e));
	e->hnext = n->free;
	n->free = i;
	n->count--;
}

static uint32_t
life(uint32_t ttl)
{
	return ttl < NAMES_MIN_LIFE ? NAMES_MIN_LIFE :
	    ttl > NAMES_MAX_LIFE ? NAMES_MAX_LIFE : ttl;
}

int
names_observe(struct names *n, struct in_addr client, int family,
    const uint8_t *addr, const char *name, uint32_t ttl, uint32_t now)
{
	struct names_entry *e;
	uint32_t h;
	int32_t	 i;
	size_t	 len;

	len = strnlen(name, DNS_OBS_NAME);
	if ((family != 4 && family != 6) || len == 0 || len >= DNS_OBS_NAME) {
		n->st.rejected++;
		return -1;
	}
	n->st.observations++;
	h = hash(client, family, addr);
	if ((i = find(n, h, client, family, addr)) != -1) {
		e = &n->e[i];
		if (strcmp(e->name, name) != 0) {
			/* the latest name the device used for it wins */
			memcpy(e->name, name, len + 1);
			n->st.renamed++;
		} else
			n->st.refreshed++;
		lru_unlink(n, i);
	} else {
		if (n->free == -1 && n->unused < NAMES_MAX)
			i = n->unused++;	/* never used yet */
		else {
			if (n->free == -1) {
				drop(n, n->tail);
				n->st.evicted++;
			}
			i = n->free;
			n->free = n->e[i].hnext;
		}
		e = &n->e[i];
		e->client = client;
		e->family = (uint8_t)family;
		memcpy(e->addr, addr, family == 4 ? 4 : 16);
		memcpy(e->name, name, len + 1);
		e->hnext = n->bucket[h];
		n->bucket[h] = i;
		n->count++;
		n->st.added++;
	}
	e->seen = now;
	if (now + life(ttl) > e->expiry)
		e->expiry = now + life(ttl);
	lru_push(n, i);
	return 0;
}

void
names_observe_batch(struct names *n, const struct msg_dns_obs *m,
    uint32_t now)
{
	uint32_t i;

	n->st.batches++;
	for (i = 0; i < m->count && i < DNS_OBS_MAX; i++)
		names_observe(n, m->obs[i].client, m->obs[i].family,
		    m->obs[i].addr, m->obs[i].name, m->obs[i].ttl, now);
}

const char *
names_lookup(struct names *n, struct in_addr client, int family,
    const uint8_t *addr, uint32_t now)
{
	int32_t	 i;

	if (family != 4 && family != 6)
		return NULL;
	i = find(n, hash(client, family, addr), client, family, addr);
	if (i == -1 || n->e[i].expiry <= now)
		return NULL;
	lru_unlink(n, i);
	lru_push(n, i);
	return n->e[i].name;
}

uint32_t
names_expire(struct names *n, uint32_t now)
{
	int32_t	 i, prev;
	uint32_t k = 0;

	/* Not in expiry order (the list is by use): look at every entry.
	 * A few thousand compares, from a timer, not per message. */
	for (i = n->tail; i != -1; i = prev) {
		prev = n->e[i].prev;
		if (n->e[i].expiry <= now) {
			drop(n, i);
			k++;
		}
	}
	n->st.expired += k;
	return k;
}

/* ---- PTR names of remotes no device resolved ---- */

static struct names_ptr_slot *
ptr_slot(struct names *n, uint32_t addr)
{
	return &n->ptr[(ntohl(addr) * 2654435761U) & (NAMES_PTR_SLOTS - 1)];
}

/* One question may go: a token and room in flight. */
static int
ptr_may_ask(struct names *n, uint32_t now)
{
	uint32_t add;

	if (now > n->ptr_refill) {
		add = (now - n->ptr_refill) * NAMES_PTR_RATE;
		n->ptr_tokens = n->ptr_tokens + add > NAMES_PTR_BURST ?
		    NAMES_PTR_BURST : n->ptr_tokens + add;
		n->ptr_refill = now;
	}
	if (n->ptr_tokens == 0 || n->ptr_inflight >= NAMES_PTR_INFLIGHT) {
		n->st.ptr_limited++;
		return 0;
	}
	n->ptr_tokens--;
	return 1;
}

const char *
names_remote(struct names *n, struct in_addr client, uint32_t remote,
    uint32_t now, int *ask)
{
	struct in_addr	 any = { NAMES_PTR_CLIENT };
	struct names_ptr_slot *p;
	const char	*name;

	*ask = 0;
	if ((name = names_lookup(n, client, 4, (const uint8_t *)&remote,
	    now)) != NULL ||
	    (name = names_lookup(n, any, 4, (const uint8_t *)&remote,
	    now)) != NULL || remote == 0)
		return name;
	p = ptr_slot(n, remote);
	if (p->addr == remote && p->state != PTR_UNKNOWN && now < p->until)
		return NULL;	/* asked, or answered, lately */
	if (p->addr == remote && p->state == PTR_ASKED) {
		/* never answered: its room back, once */
		if (n->ptr_inflight > 0)
			n->ptr_inflight--;
		p->state = PTR_UNKNOWN;
	}
	if (!ptr_may_ask(n, now))
		return NULL;
	if (p->addr != 0 && p->addr != remote && p->state == PTR_ASKED &&
	    now < p->until && n->ptr_inflight > 0)
		n->ptr_inflight--;	/* its answer will find no slot */
	p->addr = remote;
	p->state = PTR_ASKED;
	p->until = now + NAMES_PTR_WAIT;
	n->ptr_inflight++;
	n->st.ptr_asked++;
	*ask = 1;
	return NULL;
}

void
names_ptr_answer(struct names *n, const struct msg_dns_ptr *m, uint32_t now)
{
	struct in_addr	 any = { NAMES_PTR_CLIENT };
	struct names_ptr_slot *p = ptr_slot(n, m->addr.s_addr);

	if (p->addr != m->addr.s_addr || p->state != PTR_ASKED) {
		n->st.ptr_unasked++;
		return;
	}
	if (n->ptr_inflight > 0)
		n->ptr_inflight--;
	switch (m->status) {
	case DNS_PTR_FOUND:
		if (names_observe(n, any, 4, (const uint8_t *)&m->addr.s_addr,
		    m->name, m->ttl, now) == 0) {
			p->state = PTR_NAMED;
			p->until = now + NAMES_MIN_LIFE;
			n->st.ptr_named++;
			break;
		}
		/* FALLTHROUGH */
	case DNS_PTR_NONE:
		p->state = PTR_NONE;
		p->until = now + (m->ttl > NAMES_PTR_NONE_MIN ? (m->ttl >
		    NAMES_MAX_LIFE ? NAMES_MAX_LIFE : m->ttl) :
		    NAMES_PTR_NONE_MIN);
		n->st.ptr_none++;
		break;
	default:
		p->state = PTR_FAILED;
		p->until = now + NAMES_PTR_FAILED;
		n->st.ptr_failed++;
		break;
	}
}
