/*
 * The answer cache (cache.h): a table of entries chained in hash buckets
 * and in one LRU list, and an arena of slots in six size classes (128 to
 * 4096 bytes) carved from 64 KiB chunks as needed. All of it is one mmap
 * each, reserved at start: pages are touched only as the cache fills, so
 * an empty cache costs almost nothing and a full one never allocates.
 */
#include <sys/mman.h>

#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "dns.h"

#define NCLS		6
#define SLOT_MIN	128
#define CHUNK		65536
#define EVICT_TRIES	64

struct cache {
	struct cache_entry *e;
	uint32_t	 max, next_unused, free_entry;
	uint32_t	*bucket;
	uint32_t	 nbucket;
	uint32_t	 lru_head, lru_tail;	/* index + 1 */
	uint8_t		*arena;
	size_t		 arena_size, arena_used;
	uint32_t	 free_slot[NCLS];	/* offset + 1, 0 = none */
	uint32_t	 seed;
	struct cache_stats st;
};

static void *
reserve(size_t n)
{
	void	*p;

	p = mmap(NULL, n, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

struct cache *
cache_new(uint32_t max_entries, size_t arena)
{
	struct cache	*c;

	if (max_entries == 0 || max_entries > (1U << 24) ||
	    arena < CHUNK || arena > (1UL << 31))
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->max = max_entries;
	c->nbucket = 1;
	while (c->nbucket < max_entries)
		c->nbucket <<= 1;
	c->arena_size = arena - arena % CHUNK;
	c->e = reserve(sizeof(*c->e) * (size_t)max_entries);
	c->bucket = reserve(sizeof(*c->bucket) * (size_t)c->nbucket);
	c->arena = reserve(c->arena_size);
	if (c->e == NULL || c->bucket == NULL || c->arena == NULL) {
		cache_free(c);
		return NULL;
	}
	/* Keyed, so a LAN client cannot aim names at one bucket. */
	c->seed = arc4random();
	c->st.max_entries = max_entries;
	c->st.arena_size = c->arena_size;
	return c;
}

void
cache_free(struct cache *c)
{
	if (c == NULL)
		return;
	if (c->e != NULL)
		munmap(c->e, sizeof(*c->e) * (size_t)c->max);
	if (c->bucket != NULL)
		munmap(c->bucket, sizeof(*c->bucket) * (size_t)c->nbucket);
	if (c->arena != NULL)
		munmap(c->arena, c->arena_size);
	free(c);
}

/* Forgets everything and gives the touched pages back to the kernel. */
void
cache_flush(struct cache *c)
{
	madvise(c->e, sizeof(*c->e) * (size_t)c->max, MADV_DONTNEED);
	madvise(c->bucket, sizeof(*c->bucket) * (size_t)c->nbucket,
	    MADV_DONTNEED);
	madvise(c->arena, c->arena_size, MADV_DONTNEED);
	c->next_unused = c->free_entry = 0;
	c->lru_head = c->lru_tail = 0;
	c->arena_used = 0;
	memset(c->free_slot, 0, sizeof(c->free_slot));
	c->st.entries = c->st.bytes = 0;
}

void
cache_get_stats(const struct cache *c, struct cache_stats *st)
{
	*st = c->st;
}

static uint32_t
qhash(const struct cache *c, const uint8_t *name, size_t n, uint16_t type,
    uint16_t class)
{
	uint32_t h = 2166136261U ^ c->seed;
	size_t	 i;

	for (i = 0; i < n; i++)
		h = (h ^ name[i]) * 16777619U;
	h = (h ^ (type >> 8)) * 16777619U;
	h = (h ^ (type & 0xff)) * 16777619U;
	h = (h ^ class) * 16777619U;
	return h ^ (h >> 15);
}

const uint8_t *
cache_data(const struct cache *c, const struct cache_entry *e)
{
	return c->arena + e->slot;
}

const uint16_t *
cache_ttl_offs(const struct cache *c, const struct cache_entry *e)
{
	return (const uint16_t *)(c->arena + e->slot + ((e->len + 1U) & ~1U));
}

static void
lru_unlink(struct cache *c, struct cache_entry *e)
{
	if (e->lprev)
		c->e[e->lprev - 1].lnext = e->lnext;
	else
		c->lru_head = e->lnext;
	if (e->lnext)
		c->e[e->lnext - 1].lprev = e->lprev;
	else
		c->lru_tail = e->lprev;
	e->lprev = e->lnext = 0;
}

static void
lru_push(struct cache *c, struct cache_entry *e)
{
	uint32_t idx = (uint32_t)(e - c->e) + 1;

	e->lprev = 0;
	e->lnext = c->lru_head;
	if (c->lru_head)
		c->e[c->lru_head - 1].lprev = idx;
	else
		c->lru_tail = idx;
	c->lru_head = idx;
}

static void
slot_put(struct cache *c, uint8_t cls, uint32_t off)
{
	memcpy(c->arena + off, &c->free_slot[cls], sizeof(uint32_t));
	c->free_slot[cls] = off + 1;
}

static void
entry_remove(struct cache *c, struct cache_entry *e)
{
	uint32_t idx = (uint32_t)(e - c->e) + 1, *pp;

	pp = &c->bucket[e->hash & (c->nbucket - 1)];
	while (*pp != 0 && *pp != idx)
		pp = &c->e[*pp - 1].hnext;
	if (*pp == idx)
		*pp = e->hnext;
	lru_unlink(c, e);
	slot_put(c, e->cls, e->slot);
	c->st.entries--;
	c->st.bytes -= SLOT_MIN << e->cls;
	e->inuse = 0;
	e->hnext = c->free_entry;
	c->free_entry = idx;
}

static int
entry_matches(const struct cache *c, const struct cache_entry *e,
    uint32_t h, const uint8_t *qname, size_t qnamelen, uint16_t qtype,
    uint16_t qclass)
{
	const uint8_t *d;

	if (e->hash != h || e->qnamelen != qnamelen)
		return 0;
	d = c->arena + e->slot + DNS_HDR_LEN;
	return memcmp(d, qname, qnamelen) == 0 &&
	    dns_get16(d + qnamelen) == qtype &&
	    dns_get16(d + qnamelen + 2) == qclass;
}

static struct cache_entry *
find(struct cache *c, uint32_t h, const uint8_t *qname, size_t qnamelen,
    uint16_t qtype, uint16_t qclass)
{
	uint32_t i;

	for (i = c->bucket[h & (c->nbucket - 1)]; i != 0; i = c->e[i - 1].hnext)
		if (entry_matches(c, &c->e[i - 1], h, qname, qnamelen, qtype,
		    qclass))
			return &c->e[i - 1];
	return NULL;
}

struct cache_entry *
cache_lookup(struct cache *c, const uint8_t *qname, size_t qnamelen,
    uint16_t qtype, uint16_t qclass, uint32_t now, int *fresh)
{
	struct cache_entry *e;
	uint32_t h = qhash(c, qname, qnamelen, qtype, qclass);

	*fresh = 0;
	if ((e = find(c, h, qname, qnamelen, qtype, qclass)) == NULL)
		return NULL;
	if (now >= e->expire && now - e->expire >= CACHE_STALE_MAX) {
		c->st.expired_drop++;
		entry_remove(c, e);
		return NULL;
	}
	*fresh = now < e->expire;
	/* LRU to the second: a name asked a thousand times a second moves
	 * once, not a thousand times (each move writes three entries). */
	if (e->touched != now) {
		e->touched = now;
		lru_unlink(c, e);
		lru_push(c, e);
	}
	return e;
}

static void
evict_one(struct cache *c)
{
	if (c->lru_tail == 0)
		return;
	entry_remove(c, &c->e[c->lru_tail - 1]);
	c->st.evictions++;
}

/* A slot of class cls: free list, a new chunk, or evictions. */
static int
slot_get(struct cache *c, uint8_t cls, uint32_t *off)
{
	size_t	 sz = (size_t)SLOT_MIN << cls, o;
	int	 i;

	for (i = 0; i <= EVICT_TRIES; i++) {
		if (c->free_slot[cls] != 0) {
			*off = c->free_slot[cls] - 1;
			memcpy(&c->free_slot[cls], c->arena + *off,
			    sizeof(uint32_t));
			return 0;
		}
		if (c->arena_used + CHUNK <= c->arena_size) {
			for (o = CHUNK; o >= sz; o -= sz)
				slot_put(c, cls, (uint32_t)(c->arena_used +
				    o - sz));
			c->arena_used += CHUNK;
			continue;
		}
		if (c->lru_tail == 0)
			break;
		evict_one(c);
	}
	return -1;
}

int
cache_store(struct cache *c, const uint8_t *msg, size_t len,
    const uint16_t *ttl_offs, int nttl, uint32_t ttl, uint32_t now)
{
	struct cache_entry *e, *old;
	size_t		 need, qnamelen;
	uint32_t	 h, off, idx;
	uint8_t		 cls = 0;
	uint8_t		 qname[DNS_MAX_NAME];
	size_t		 qo = DNS_HDR_LEN;
	int		 n;

	need = ((len + 1) & ~(size_t)1) + 2 * (size_t)nttl;
	if (need > CACHE_MAX_DATA || nttl < 0) {
		c->st.too_large++;
		return -1;
	}
	if ((n = dns_name_read(msg, len, &qo, qname)) < 0 || qo + 4 > len)
		return -1;
	qnamelen = (size_t)n;
	h = qhash(c, qname, qnamelen, dns_get16(msg + qo),
	    dns_get16(msg + qo + 2));
	if ((old = find(c, h, qname, qnamelen, dns_get16(msg + qo),
	    dns_get16(msg + qo + 2))) != NULL)
		entry_remove(c, old);
	while (((size_t)SLOT_MIN << cls) < need)
		cls++;
	if (c->free_entry == 0 && c->next_unused == c->max)
		evict_one(c);
	if (slot_get(c, cls, &off) == -1) {
		c->st.no_room++;
		return -1;
	}
	if (c->free_entry != 0) {
		idx = c->free_entry;
		c->free_entry = c->e[idx - 1].hnext;
	} else if (c->next_unused < c->max) {
		idx = ++c->next_unused;
	} else {
		slot_put(c, cls, off);
		c->st.no_room++;
		return -1;
	}
	e = &c->e[idx - 1];
	memset(e, 0, sizeof(*e));
	e->inuse = 1;
	e->hash = h;
	e->slot = off;
	e->cls = cls;
	e->len = (uint16_t)len;
	e->nttl = (uint16_t)nttl;
	e->qnamelen = (uint8_t)qnamelen;
	e->stored = e->touched = now;
	e->expire = now + ttl;
	memcpy(c->arena + off, msg, len);
	memcpy(c->arena + off + ((len + 1) & ~(size_t)1), ttl_offs,
	    2 * (size_t)nttl);
	e->hnext = c->bucket[h & (c->nbucket - 1)];
	c->bucket[h & (c->nbucket - 1)] = idx;
	lru_push(c, e);
	c->st.entries++;
	c->st.bytes += SLOT_MIN << cls;
	c->st.stores++;
	return 0;
}
